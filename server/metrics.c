/* metrics.c - what /healthz and /metrics say (see metrics.h): health from the pools and the
 * server's state; the Prometheus text format of every counter the daemon keeps. */
#include "metrics.h"

#include <inttypes.h>
#include <string.h>

#include "server.h"
#include "status.h"

int metrics_healthz(const struct server *srv, struct evbuffer *out)
{
	/* connected and answering: a server that stopped answering (frozen, cut off) is not healthy */
	bool up = db_pool_healthy(srv->pool);
	bool draining = srv->state == SERVER_DRAINING;
	if (up && !draining) {
		/* a replica that is away costs no availability: reads go to the primary meanwhile */
		if (srv->read_pool != NULL && !db_pool_healthy(srv->read_pool))
			evbuffer_add_printf(out, "ok (replica unavailable: reads are served by the primary)\n");
		else
			evbuffer_add_printf(out, "ok\n");
		return 200;
	}
	evbuffer_add_printf(out, "%s\n", draining ? "shutting down" : "database unavailable");
	return 503;
}

static void metrics_one(struct evbuffer *out, const char *name, const char *type, const char *help, uint64_t v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

/* A counter family with one label: one line per value, values[i] labelled names[i]. */
static void metrics_family(struct evbuffer *out, const char *name, const char *help, const char *label,
			   const char *const *names, const uint64_t *values, size_t n)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL)
			evbuffer_add_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, names[i], values[i]);
}

/* The connection layer (conn.c, admission.c). */
static void metrics_connections(struct evbuffer *out, const struct server *srv)
{
	const struct conn_metrics *cm = &srv->conns.metrics;
	metrics_one(out, "planregd_connections_accepted_total", "counter", "TCP connections accepted",
		    cm->connections_accepted);
	metrics_family(out, "planregd_connections_refused_total", "connections closed at accept, by the limit",
		       "reason", conn_refusal_names, cm->connections_refused, CONN_REFUSALS);
	metrics_one(out, "planregd_handshakes_evicted_total", "counter",
		    "unauthenticated connections closed to make room for a new one (handshake budget full)",
		    cm->handshakes_evicted);
	metrics_one(out, "planregd_connections_open", "gauge", "client connections open", srv->conns.n);
	metrics_one(out, "planregd_connections_unauthenticated", "gauge",
		    "connections in the TLS handshake or authenticating", srv->conns.n_unauth);
	metrics_family(out, "planregd_deadlines_passed_total", "connections closed by a deadline, by which", "deadline",
		       conn_deadline_names + 1, cm->deadlines_passed + 1, CONN_DEADLINES - 1);
	metrics_family(out, "planregd_requests_refused_total", "requests refused before decoding or dispatch", "reason",
		       conn_request_refusal_names, cm->requests_refused, CONN_REQUEST_REFUSALS);
	metrics_one(out, "planregd_tls_failures_total", "counter", "TLS handshakes that failed or timed out",
		    cm->tls_failures);
	metrics_one(out, "planregd_protocol_errors_total", "counter", "bad frames and undecodable requests",
		    cm->protocol_errors);
	const struct proxy_metrics *pm = &srv->proxies.metrics;
	static const char *const proxy_outcomes[] = {"header", "invalid", "timeout", "displaced"};
	const uint64_t proxy_counts[] = {pm->headers, pm->invalid, pm->timeouts, pm->displaced};
	metrics_one(out, "planregd_proxy_connections_total", "counter",
		    "connections from trusted_proxies (each must start with a PROXY v2 header)", pm->accepted);
	metrics_family(out, "planregd_proxy_headers_total", "what became of those connections' PROXY headers",
		       "outcome", proxy_outcomes, proxy_counts, 4);
}

/* Requests: totals, by status code, and by method (labels from the method table). */
static void metrics_requests(struct evbuffer *out, const struct server *srv)
{
	const struct server_metrics *m = &srv->metrics;
	metrics_one(out, "planregd_requests_total", "counter", "requests answered", m->requests);
	metrics_one(out, "planregd_credential_lookups_total", "counter",
		    "credential lookups in the database (at connect, and per request when no cached principal serves)",
		    m->credential_lookups);
	evbuffer_add_printf(out,
			    "# HELP planregd_request_seconds_sum time spent answering requests\n"
			    "# TYPE planregd_request_seconds_sum counter\nplanregd_request_seconds_sum %" PRIu64
			    ".%06" PRIu64 "\n",
			    m->request_us_total / 1000000, m->request_us_total % 1000000);
	evbuffer_add_printf(out, "# HELP planregd_responses_total responses by status code\n"
				 "# TYPE planregd_responses_total counter\n");
	for (int code = 0; code < 17; code++)
		if (m->responses_by_code[code])
			evbuffer_add_printf(out, "planregd_responses_total{code=\"%s\"} %" PRIu64 "\n",
					    status_code_name((status_code)code), m->responses_by_code[code]);
	const char *names[METHOD_MAX];
	for (size_t i = 0; i < method_count(); i++)
		names[i] = method_at(i)->name;
	metrics_family(out, "planregd_method_requests_total", "requests answered (after dispatch), by method", "method",
		       names, m->method_requests, method_count());
	evbuffer_add_printf(out, "# HELP planregd_method_seconds_sum time spent answering, by method\n"
				 "# TYPE planregd_method_seconds_sum counter\n");
	for (size_t i = 0; i < method_count(); i++)
		evbuffer_add_printf(out, "planregd_method_seconds_sum{method=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n",
				    names[i], m->method_us[i] / 1000000, m->method_us[i] % 1000000);
}

/* The primary's pool, the replica's, and where reads went. */
static void metrics_db(struct evbuffer *out, const struct server *srv)
{
	const struct server_metrics *m = &srv->metrics;
	struct db_pool_stats db;
	db_pool_get_stats(srv->pool, &db);
	metrics_one(out, "planregd_db_connections", "gauge", "PostgreSQL connections in the pool", (uint64_t)db.size);
	metrics_one(out, "planregd_db_connections_up", "gauge", "PostgreSQL connections established",
		    (uint64_t)db.connected);
	metrics_one(out, "planregd_db_connections_leased", "gauge", "PostgreSQL connections in use",
		    (uint64_t)db.leased);
	metrics_one(out, "planregd_db_waiting", "gauge", "requests waiting for a connection", (uint64_t)db.waiting);
	metrics_one(out, "planregd_db_queries_total", "counter", "queries sent", db.queries);
	metrics_one(out, "planregd_db_query_errors_total", "counter", "queries that failed", db.query_errors);
	metrics_one(out, "planregd_db_connection_failures_total", "counter", "connection attempts failed or lost",
		    db.connection_failures);
	metrics_one(out, "planregd_db_unavailable_total", "counter", "requests refused: database down", db.unavailable);
	metrics_one(out, "planregd_db_prepared_total", "counter",
		    "statements prepared (once per pool connection and statement)", db.prepares);
	if (srv->read_pool != NULL) {
		struct db_pool_stats rd;
		db_pool_get_stats(srv->read_pool, &rd);
		metrics_one(out, "planregd_read_db_connections_up", "gauge",
			    "PostgreSQL connections established to the replica (read_db_dsn)", (uint64_t)rd.connected);
		metrics_one(out, "planregd_read_db_healthy", "gauge", "1 while the replica answers, else 0",
			    db_pool_healthy(srv->read_pool) ? 1 : 0);
	}
	static const char *const where[] = {"replica", "primary"};
	const uint64_t reads[] = {m->reads_replica, m->reads_primary};
	metrics_family(out, "planregd_reads_total", "read requests answered, by the database that served them", "db",
		       where, reads, 2);
	static const char *const made[] = {"batch", "read"};
	const uint64_t receipts[] = {srv->log_seq.receipts_batch, srv->log_seq.receipts_read};
	metrics_family(out, "planregd_log_receipts_total",
		       "signed receipts answered, by how: from the sequencer's batch and the nodes read to sign it, or "
		       "from the leaf and nodes read for the receipt",
		       "made", made, receipts, 2);
	metrics_one(out, "planregd_ryw_waits_total", "counter",
		    "reads that waited for the replica to replay their connection's write", m->ryw_waits);
	metrics_one(
		out, "planregd_reads_retried_total", "counter",
		"reads that failed on the replica (it went away, or a recovery conflict) and ran again on the primary",
		m->reads_retried);
	metrics_one(out, "planregd_ryw_fallbacks_total", "counter",
		    "reads served by the primary because the replica had not replayed their connection's write in time",
		    m->ryw_fallbacks);
}

/* The HTTP listener's own (http.c). */
static void metrics_http(struct evbuffer *out, const struct server *srv)
{
	const struct http_metrics *hm = &srv->http_metrics;
	static const char *const why[] = {"max_connections", "evicted", "deadline", "too_large", "bad_request"};
	const uint64_t counts[] = {hm->refused_full, hm->evicted, hm->deadlines, hm->too_large, hm->bad_requests};
	metrics_one(out, "planregd_http_connections_open", "gauge", "connections to /healthz and /metrics open",
		    srv->http_open);
	metrics_family(out, "planregd_http_refused_total",
		       "HTTP connections closed without an answer, or with an error, by why", "reason", why, counts, 5);
}

/* Joining (joining.c, handlers/invite.c): invitations redeemed, secrets that opened none, attempts refused for
 * too many of those from one address, and certificates that end soon (the gauge counted every minute). */
static void metrics_joining(struct evbuffer *out, const struct server *srv)
{
	const struct joining *j = &srv->joining;
	metrics_one(out, "planregd_invitations_redeemed_total", "counter",
		    "invitations redeemed: a certificate issued and enrolled", j->redeemed);
	metrics_one(out, "planregd_invitations_failed_total", "counter",
		    "invitation secrets that opened no invitation (wrong, used, cancelled or expired)", j->failures);
	metrics_one(out, "planregd_invitations_throttled_total", "counter",
		    "redemptions refused because their address sent too many secrets that opened none", j->throttled);
	metrics_one(out, "planregd_credentials_expiring", "gauge",
		    "active credentials whose certificate ends within 14 days (counted every minute)", j->expiring);
}

void metrics_write(const struct server *srv, struct evbuffer *out)
{
	metrics_connections(out, srv);
	metrics_requests(out, srv);
	metrics_db(out, srv);
	metrics_http(out, srv);
	metrics_joining(out, srv);
}
