/* joining.c - the issuing CA, the pinned CA, the public address and the throttle (see joining.h). */
#include "joining.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certfile.h"
#include "issue.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

/* Every minute: how many credentials' certificates end within 14 days (planregd_credentials_expiring). */
static const char SQL_EXPIRING[] = "SELECT count(*) FROM credential WHERE revoked_at IS NULL"
				   " AND (retire_at IS NULL OR retire_at > now())"
				   " AND not_after BETWEEN now() AND now() + interval '14 days'";
enum { EXPIRING_COUNT };
#define JOINING_EXPIRY_EVERY_S 60

/* The CA certificates joiners get, and the fingerprint of the first. */
static bool joining_load_server_ca(struct joining *j, const char *path, char **err)
{
	size_t len;
	mode_t mode;
	unsigned char *data = certfile_read("server_ca", path, CERTFILE_MAX, &len, &mode, err);
	if (data == NULL)
		return false;
	X509 *first = certfile_parse_cert(data, len);
	bool ok = first != NULL && certfile_fingerprint(first, j->server_ca_fp);
	X509_free(first);
	if (!ok) {
		*err = xasprintf("server_ca %s holds no certificate that can be read", path);
		free(data);
		return false;
	}
	j->server_ca_pem = xstrndup((const char *)data, len);
	free(data);
	return true;
}

bool joining_address(const struct config *cfg, int port, char host[JOINING_HOST_SIZE], unsigned *port_out, char **err)
{
	const char *pub = cfg->public_address;
	if (pub[0] == '\0') {
		const char *h = cfg->listen_addr;
		if (strcmp(h, "127.0.0.1") == 0 || strcmp(h, "::1") == 0 || strcmp(h, "0.0.0.0") == 0 ||
		    strcmp(h, "::") == 0)
			h = "localhost";
		snprintf(host, JOINING_HOST_SIZE, "%s", h);
		*port_out = (unsigned)port;
		return true;
	}
	const char *colon = strrchr(pub, ':');
	char *end = NULL;
	long p = colon ? strtol(colon + 1, &end, 10) : 0;
	if (colon == NULL || colon == pub || *end != '\0' || p < 1 || p > 65535 ||
	    (size_t)(colon - pub) >= JOINING_HOST_SIZE) {
		*err = xasprintf("public_address \"%s\" is not host:port (planreg.example.org:7443)", pub);
		return false;
	}
	snprintf(host, JOINING_HOST_SIZE, "%.*s", (int)(colon - pub), pub);
	if (host[0] == '[') { /* [::1]:7443 */
		size_t n = strlen(host);
		memmove(host, host + 1, n);
		if (n >= 2 && host[n - 2] == ']')
			host[n - 2] = '\0';
	}
	*port_out = (unsigned)p;
	return true;
}

static void joining_have_count(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)error;
	struct server *srv = arg;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		srv->joining.expiring = (uint64_t)strtoull(PQgetvalue(res, 0, EXPIRING_COUNT), NULL, 10);
	db_release(dc);
}

static void joining_have_db(struct db_conn *dc, bool exhausted, const char *error, void *arg)
{
	(void)exhausted;
	(void)error;
	if (dc != NULL && !db_query(dc, SQL_EXPIRING, 0, NULL, joining_have_count, arg))
		db_release(dc);
}

static void joining_expiry_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *srv = arg;
	if (db_pool_healthy(srv->pool))
		db_pool_acquire(srv->pool, joining_have_db, srv);
}

bool joining_start(struct server *srv, char **err)
{
	const struct config *cfg = srv->cfg;
	struct joining *j = &srv->joining;
	j->lifetime_s = cfg->cert_lifetime_seconds > 0 ? cfg->cert_lifetime_seconds
						       : (long long)cfg->cert_lifetime_days * 24 * 3600;
	if (!joining_load_server_ca(j, cfg->server_ca[0] ? cfg->server_ca : cfg->tls_ca, err) ||
	    !joining_address(cfg, srv->port, j->public_host, &j->public_port, err))
		return false;
	if (cfg->issuer_cert[0] != '\0' || cfg->issuer_key[0] != '\0') {
		j->issuer = issue_ca_load(cfg->issuer_cert, cfg->issuer_key, err);
		if (j->issuer == NULL)
			return false;
	}
	j->expiry_timer = event_new(srv->base, -1, EV_PERSIST, joining_expiry_tick, srv);
	struct timeval every = {JOINING_EXPIRY_EVERY_S, 0};
	event_add(j->expiry_timer, &every);
	struct timeval soon = {2, 0}; /* the gauge is right soon after a start, not a minute later */
	event_base_once(srv->base, -1, EV_TIMEOUT, joining_expiry_tick, srv, &soon);
	log_info("joining", "issuer=%s public_address=%s:%u server_ca_sha256=%s cert_lifetime_s=%lld",
		 j->issuer ? "yes" : "no", j->public_host, j->public_port, j->server_ca_fp, j->lifetime_s);
	return true;
}

void joining_stop(struct server *srv)
{
	struct joining *j = &srv->joining;
	issue_ca_free(j->issuer);
	j->issuer = NULL;
	free(j->server_ca_pem);
	j->server_ca_pem = NULL;
	if (j->expiry_timer)
		event_free(j->expiry_timer);
	j->expiry_timer = NULL;
}

/* The slot counting addr, or NULL. */
static struct joining_throttle *joining_find(struct joining *j, const struct conn_addr *addr)
{
	for (size_t i = 0; i < JOINING_THROTTLE_SLOTS; i++) {
		struct joining_throttle *t = &j->throttle[i];
		if (t->window_started_ms != 0 && memcmp(t->addr.bytes, addr->bytes, sizeof addr->bytes) == 0)
			return t;
	}
	return NULL;
}

/* A slot for addr: its own, else the one whose window began first (a fixed table: an address
 * pushed out by many others starts counting again, which only loses part of a guesser's count). */
static struct joining_throttle *joining_slot(struct joining *j, const struct conn_addr *addr)
{
	struct joining_throttle *t = joining_find(j, addr);
	if (t != NULL)
		return t;
	t = &j->throttle[0];
	for (size_t i = 1; i < JOINING_THROTTLE_SLOTS; i++)
		if (j->throttle[i].window_started_ms < t->window_started_ms)
			t = &j->throttle[i];
	memset(t, 0, sizeof *t);
	t->addr = *addr;
	return t;
}

bool joining_throttled(struct server *srv, const struct conn_addr *addr, uint64_t now_ms, unsigned *wait_s)
{
	struct joining_throttle *t = joining_find(&srv->joining, addr);
	if (t == NULL || now_ms - t->window_started_ms >= JOINING_WINDOW_MS ||
	    t->failures < (unsigned)srv->cfg->invite_failures_per_minute)
		return false;
	srv->joining.throttled++;
	*wait_s = (unsigned)((JOINING_WINDOW_MS - (now_ms - t->window_started_ms)) / 1000 + 1);
	return true;
}

void joining_failed(struct server *srv, const struct conn_addr *addr, uint64_t now_ms)
{
	struct joining_throttle *t = joining_slot(&srv->joining, addr);
	if (t->window_started_ms == 0 || now_ms - t->window_started_ms >= JOINING_WINDOW_MS) {
		t->window_started_ms = now_ms;
		t->failures = 0;
	}
	t->failures++;
	srv->joining.failures++;
}
