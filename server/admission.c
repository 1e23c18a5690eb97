/* admission.c - who may connect (see admission.h).
 *
 * A new socket is refused (closed with a reset) when max_connections are open, when
 * max_connections_per_addr are open from its address and none of them can be evicted, or
 * when the handshake budget is full
 * and nobody can be evicted. Within one address's quota, as within the budget, a newcomer
 * takes the place of that address's oldest silent or stalled handshake. The budget counts connections in HANDSHAKE or
 * AUTHENTICATING and leaves a quarter of max_connections to authenticated clients. When it is full a newcomer takes the
 * place of the oldest silent handshake, else of the oldest stalled one: silent sockets, however many, cannot lock
 * enrolled clients out, since a real client sends its ClientHello at once and finishes in milliseconds. */
#include "admission.h"

#include <netinet/in.h>
#include <string.h>

unsigned admission_unauth_limit(const struct config *cfg)
{
	unsigned total = (unsigned)cfg->max_connections;
	unsigned limit = total - total / 4;
	if ((unsigned)cfg->max_handshakes < limit)
		limit = (unsigned)cfg->max_handshakes;
	return limit > 0 ? limit : 1;
}

void admission_addr_key(const struct sockaddr *sa, struct conn_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		a->bytes[10] = a->bytes[11] = 0xff;
		memcpy(a->bytes + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6))
			memcpy(a->bytes, in6->s6_addr, 16); /* an IPv4 client of a dual-stack socket */
		else
			memcpy(a->bytes, in6->s6_addr, 8); /* one site's /64 counts as one address */
	}
}

uint32_t admission_addr_hash(uint32_t seed, const struct conn_addr *a)
{
	uint32_t h = 2166136261u ^ seed; /* FNV-1a, seeded */
	for (size_t i = 0; i < sizeof a->bytes; i++) {
		h ^= a->bytes[i];
		h *= 16777619u;
	}
	return h;
}

unsigned admission_addr_count(const struct conn_table *tab, const struct conn_addr *a, uint32_t h)
{
	unsigned n = 0;
	const struct conn *c;
	LIST_FOREACH(c, &tab->addr_buckets[h & tab->addr_mask], addr_link)
	if (memcmp(c->addr.bytes, a->bytes, sizeof a->bytes) == 0)
		n++;
	return n;
}

/* How long a handshake must have been under way to count as stalled. */
static uint64_t admission_stalled_ms(const struct conn_table *tab)
{
	uint64_t stalled = ADMISSION_EVICT_STALLED_MS;
	if ((uint64_t)tab->cfg->handshake_timeout_ms / 2 < stalled)
		stalled = (uint64_t)tab->cfg->handshake_timeout_ms / 2;
	return stalled;
}

/* Whether v may be evicted at now: silent, or stalled. */
static bool admission_evictable(const struct conn *v, uint64_t now, uint64_t stalled, bool *silent)
{
	if (v->state != CONN_HANDSHAKE)
		return false;
	uint64_t age = now - v->accepted_ms;
	*silent = v->bytes_in == 0 && age >= ADMISSION_EVICT_SILENT_MS;
	return *silent || age >= stalled;
}

struct conn *admission_pick_victim(const struct conn_table *tab, uint64_t now)
{
	uint64_t stalled = admission_stalled_ms(tab);
	struct conn *slow = NULL, *v;
	TAILQ_FOREACH(v, &tab->unauth, unauth_link)
	{
		bool silent;
		if (!admission_evictable(v, now, stalled, &silent))
			continue;
		if (silent)
			return v; /* the oldest silent one */
		if (slow == NULL)
			slow = v;
	}
	return slow;
}

struct conn *admission_pick_victim_at(const struct conn_table *tab, const struct conn_addr *a, uint32_t h, uint64_t now)
{
	uint64_t stalled = admission_stalled_ms(tab);
	struct conn *silent_one = NULL, *slow = NULL, *v;
	/* the bucket is newest first: the last match of each kind is the oldest */
	LIST_FOREACH(v, &tab->addr_buckets[h & tab->addr_mask], addr_link)
	{
		bool silent;
		if (memcmp(v->addr.bytes, a->bytes, sizeof a->bytes) != 0 ||
		    !admission_evictable(v, now, stalled, &silent))
			continue;
		if (silent)
			silent_one = v;
		else
			slow = v;
	}
	return silent_one != NULL ? silent_one : slow;
}

static void admission_refuse(struct admission *out, enum conn_refusal why, unsigned limit)
{
	out->admit = false;
	out->refused = why;
	out->limit = limit;
}

void admission_decide(const struct conn_table *tab, const struct conn_addr *a, uint32_t h, uint64_t now,
		      struct admission *out)
{
	const struct config *cfg = tab->cfg;
	memset(out, 0, sizeof *out);
	out->admit = true;
	if (tab->n >= (unsigned)cfg->max_connections) {
		admission_refuse(out, CONN_REFUSED_MAX_CONNECTIONS, (unsigned)cfg->max_connections);
		return;
	}
	if (admission_addr_count(tab, a, h) >= (unsigned)cfg->max_connections_per_addr) {
		/* the address's own quota: a newcomer replaces that address's oldest silent or stalled
		 * handshake (clients behind one NAT or proxy share an address); never an authenticated one */
		out->victim = admission_pick_victim_at(tab, a, h, now);
		if (out->victim == NULL)
			admission_refuse(out, CONN_REFUSED_PER_ADDR, (unsigned)cfg->max_connections_per_addr);
		return; /* a victim is unauthenticated: its place in the handshake budget is the newcomer's */
	}
	if (tab->n_unauth < admission_unauth_limit(cfg))
		return;
	out->victim = admission_pick_victim(tab, now);
	if (out->victim == NULL)
		admission_refuse(out, CONN_REFUSED_HANDSHAKES, admission_unauth_limit(cfg));
}
