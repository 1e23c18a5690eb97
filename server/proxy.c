/* proxy.c - the PROXY protocol v2 on the TLS listener (see proxy.h). */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

static const uint8_t proxy_signature[PROXY_SIGNATURE_BYTES] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
							       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* ---------------------------------------------------------------- trust */

/* sa's address as 16 bytes, IPv4 mapped into ::ffff:0:0/96; false for other families. */
static bool proxy_addr16(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

/* One entry: an address, or an address/prefix. */
static bool proxy_net_parse(const char *entry, struct proxy_net *net)
{
	char addr[64];
	const char *slash = strchr(entry, '/');
	size_t len = slash ? (size_t)(slash - entry) : strlen(entry);
	if (len == 0 || len >= sizeof addr)
		return false;
	memcpy(addr, entry, len);
	addr[len] = '\0';
	struct in_addr v4;
	struct in6_addr v6;
	unsigned max, base = 0;
	memset(net->bytes, 0, sizeof net->bytes);
	if (inet_pton(AF_INET, addr, &v4) == 1) {
		net->bytes[10] = net->bytes[11] = 0xff;
		memcpy(net->bytes + 12, &v4, 4);
		max = 32, base = 96;
	} else if (inet_pton(AF_INET6, addr, &v6) == 1) {
		memcpy(net->bytes, &v6, 16);
		max = 128;
	} else {
		return false;
	}
	net->prefix = base + max;
	if (slash != NULL) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p < 0 || p > (long)max)
			return false;
		net->prefix = base + (unsigned)p;
	}
	return true;
}

bool proxy_trust_parse(const char *spec, struct proxy_trust *t, char **err)
{
	memset(t, 0, sizeof *t);
	char *copy = xstrdup(spec ? spec : "");
	bool ok = true;
	for (char *save = NULL, *e = strtok_r(copy, ", \t", &save); e != NULL; e = strtok_r(NULL, ", \t", &save)) {
		if (t->n == PROXY_TRUST_MAX) {
			*err = xasprintf("trusted_proxies: at most %d entries; name networks (10.0.0.0/8) rather than "
					 "each address",
					 PROXY_TRUST_MAX);
			ok = false;
			break;
		}
		if (!proxy_net_parse(e, &t->nets[t->n])) {
			*err = xasprintf("trusted_proxies: \"%s\" is not an IP address or network (write 10.0.0.5, "
					 "10.0.0.0/8 or fd00::/8)",
					 e);
			ok = false;
			break;
		}
		t->n++;
	}
	free(copy);
	return ok;
}

bool proxy_trusted(const struct proxy_trust *t, const struct sockaddr *sa)
{
	uint8_t a[16];
	if (t->n == 0 || !proxy_addr16(sa, a))
		return false;
	for (size_t i = 0; i < t->n; i++) {
		const struct proxy_net *net = &t->nets[i];
		unsigned whole = net->prefix / 8, rest = net->prefix % 8;
		if (memcmp(a, net->bytes, whole) != 0)
			continue;
		if (rest == 0 || ((a[whole] ^ net->bytes[whole]) & (uint8_t)(0xff << (8 - rest))) == 0)
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- the header */

static enum proxy_result proxy_invalid(const char **why, const char *what)
{
	*why = what;
	return PROXY_INVALID;
}

/* The addresses of a PROXY command: IPv4 or IPv6 source; other families keep the proxy's. */
static enum proxy_result proxy_parse_addresses(const uint8_t *body, size_t len, uint8_t family,
					       struct proxy_header *out, const char **why)
{
	if (family == 0x1) {
		if (len < 12)
			return proxy_invalid(why, "an IPv4 header shorter than its addresses");
		struct sockaddr_in *in = (struct sockaddr_in *)&out->source;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, body, 4);
		memcpy(&in->sin_port, body + 8, 2);
		return PROXY_OK;
	}
	if (family == 0x2) {
		if (len < 36)
			return proxy_invalid(why, "an IPv6 header shorter than its addresses");
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->source;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, body, 16);
		memcpy(&in6->sin6_port, body + 32, 2);
		return PROXY_OK;
	}
	out->local = true; /* unspecified or unix: nothing we can count by */
	return PROXY_OK;
}

enum proxy_result proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *out, size_t *need, const char **why)
{
	memset(out, 0, sizeof *out);
	*need = PROXY_HEAD_BYTES;
	*why = "";
	size_t cmp = len < PROXY_SIGNATURE_BYTES ? len : PROXY_SIGNATURE_BYTES;
	if (memcmp(buf, proxy_signature, cmp) != 0)
		return proxy_invalid(why, "the connection did not start with a PROXY protocol v2 header");
	if (len < PROXY_HEAD_BYTES)
		return PROXY_NEED_MORE;
	if ((buf[12] >> 4) != 2)
		return proxy_invalid(why, "a PROXY header of a version other than 2");
	uint8_t command = buf[12] & 0x0f, family = buf[13] >> 4, transport = buf[13] & 0x0f;
	size_t body = (size_t)buf[14] << 8 | buf[15];
	if (command > 1)
		return proxy_invalid(why, "a PROXY header with an unknown command");
	if (PROXY_HEAD_BYTES + body > PROXY_MAX_BYTES)
		return proxy_invalid(why, "a PROXY header longer than planregd reads");
	*need = PROXY_HEAD_BYTES + body;
	if (len < *need)
		return PROXY_NEED_MORE;
	out->length = *need;
	if (command == 0) {
		out->local = true;
		return PROXY_OK;
	}
	if (family != 0 && transport != 0x1)
		return proxy_invalid(why, "a PROXY header for a transport other than TCP");
	return proxy_parse_addresses(buf + PROXY_HEAD_BYTES, body, family, out, why);
}

void proxy_format_peer(const struct sockaddr *sa, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	}
	snprintf(out, n, "%s:%d", host, port);
}

/* ---------------------------------------------------------------- waiting for it */

struct proxy_wait {
	TAILQ_ENTRY(proxy_wait) link;
	struct proxy_waits *owner;
	int fd;
	struct sockaddr_storage proxy; /* where the connection came from */
	char peer[64];
	struct event *readable, *deadline;
	uint8_t buf[PROXY_MAX_BYTES];
	size_t have, need;
};

/* Drops a waiting connection; close: the socket too (with a reset), else it was handed on. */
static void proxy_wait_end(struct proxy_wait *pw, bool close_it)
{
	struct proxy_waits *w = pw->owner;
	TAILQ_REMOVE(&w->list, pw, link);
	w->n--;
	event_free(pw->readable);
	event_free(pw->deadline);
	if (close_it) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(pw->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(pw->fd);
	}
	free(pw);
}

static void proxy_refuse(struct proxy_wait *pw, const char *why)
{
	log_info("proxy_refused", "peer=%s reason=%s", pw->peer, log_q(why));
	proxy_wait_end(pw, true);
}

/* The header is whole: hand the socket on with the client's address. */
static void proxy_done(struct proxy_wait *pw, const struct proxy_header *h)
{
	struct proxy_waits *w = pw->owner;
	w->metrics.headers++;
	struct sockaddr_storage client = h->local ? pw->proxy : h->source;
	char peer[64];
	proxy_format_peer((struct sockaddr *)&client, peer, sizeof peer);
	log_debug("proxy_header", "via=%s peer=%s local=%d", pw->peer, peer, h->local ? 1 : 0);
	int fd = pw->fd;
	proxy_ready_cb ready = w->ready;
	void *arg = w->arg;
	proxy_wait_end(pw, false);
	ready(arg, fd, (struct sockaddr *)&client, peer);
}

static void proxy_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct proxy_wait *pw = arg;
	/* read exactly what the header still needs: the TLS handshake's bytes stay in the socket */
	ssize_t n = recv(fd, pw->buf + pw->have, pw->need - pw->have, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		proxy_refuse(pw, n == 0 ? "closed before its PROXY header" : strerror(errno));
		return;
	}
	if (n < 0)
		return;
	pw->have += (size_t)n;
	struct proxy_header h;
	const char *why;
	switch (proxy_parse(pw->buf, pw->have, &h, &pw->need, &why)) {
	case PROXY_NEED_MORE:
		return;
	case PROXY_OK:
		proxy_done(pw, &h);
		return;
	case PROXY_INVALID:
		pw->owner->metrics.invalid++;
		proxy_refuse(pw, why);
		return;
	}
}

static void proxy_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct proxy_wait *pw = arg;
	pw->owner->metrics.timeouts++;
	proxy_refuse(pw, "the PROXY header did not arrive in time");
}

void proxy_accept(struct proxy_waits *w, int fd, const struct sockaddr *sa, const char *peer)
{
	w->metrics.accepted++;
	if (w->n >= (unsigned)w->cfg->max_handshakes) {
		/* a trusted proxy sends the header at once: the oldest still waiting is the one to go */
		w->metrics.displaced++;
		proxy_refuse(TAILQ_FIRST(&w->list), "too many connections waiting for their PROXY header");
	}
	struct proxy_wait *pw = xcalloc(1, sizeof *pw);
	pw->owner = w;
	pw->fd = fd;
	pw->need = PROXY_HEAD_BYTES;
	memcpy(&pw->proxy, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	snprintf(pw->peer, sizeof pw->peer, "%s", peer);
	pw->readable = event_new(w->base, fd, EV_READ | EV_PERSIST, proxy_readable, pw);
	pw->deadline = evtimer_new(w->base, proxy_deadline, pw);
	TAILQ_INSERT_TAIL(&w->list, pw, link);
	w->n++;
	struct timeval tv = {w->cfg->handshake_timeout_ms / 1000, (w->cfg->handshake_timeout_ms % 1000) * 1000};
	event_add(pw->readable, NULL);
	evtimer_add(pw->deadline, &tv);
}

void proxy_waits_init(struct proxy_waits *w, struct event_base *base, const struct config *cfg, proxy_ready_cb ready,
		      void *arg)
{
	*w = (struct proxy_waits){.base = base, .cfg = cfg, .ready = ready, .arg = arg};
	TAILQ_INIT(&w->list);
}

void proxy_waits_free(struct proxy_waits *w)
{
	while (!TAILQ_EMPTY(&w->list))
		proxy_wait_end(TAILQ_FIRST(&w->list), true);
}
