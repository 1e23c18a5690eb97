/* http.c - /healthz and /metrics over plain HTTP on localhost (libevent's evhttp). */
#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "status.h"
#include "xmalloc.h"

static void http_healthz(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evbuffer *out = evbuffer_new();
	/* connected and answering: a server that stopped answering (frozen, cut off) is not healthy */
	bool up = db_pool_healthy(srv->pool);
	bool draining = srv->state == SERVER_DRAINING;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	if (up && !draining) {
		/* a replica that is away costs no availability: reads go to the primary meanwhile */
		if (srv->read_pool != NULL && !db_pool_healthy(srv->read_pool))
			evbuffer_add_printf(out, "ok (replica unavailable: reads are served by the primary)\n");
		else
			evbuffer_add_printf(out, "ok\n");
		evhttp_send_reply(req, 200, "OK", out);
	} else {
		evbuffer_add_printf(out, "%s\n", draining ? "shutting down" : "database unavailable");
		evhttp_send_reply(req, 503, "Service Unavailable", out);
	}
	evbuffer_free(out);
}

static void http_metric(struct evbuffer *out, const char *name, const char *type, const char *help, uint64_t v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

/* A counter family with one label: one line per value, values[i] labelled names[i]. */
static void http_family(struct evbuffer *out, const char *name, const char *help, const char *label,
			const char *const *names, const uint64_t *values, size_t n)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL)
			evbuffer_add_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, names[i], values[i]);
}

/* The connection layer (conn.c, admission.c). */
static void http_metrics_connections(struct evbuffer *out, const struct server *srv)
{
	const struct conn_metrics *cm = &srv->conns.metrics;
	http_metric(out, "planregd_connections_accepted_total", "counter", "TCP connections accepted",
		    cm->connections_accepted);
	http_family(out, "planregd_connections_refused_total", "connections closed at accept, by the limit", "reason",
		    conn_refusal_names, cm->connections_refused, CONN_REFUSALS);
	http_metric(out, "planregd_handshakes_evicted_total", "counter",
		    "unauthenticated connections closed to make room for a new one (handshake budget full)",
		    cm->handshakes_evicted);
	http_metric(out, "planregd_connections_open", "gauge", "client connections open", srv->conns.n);
	http_metric(out, "planregd_connections_unauthenticated", "gauge",
		    "connections in the TLS handshake or authenticating", srv->conns.n_unauth);
	http_family(out, "planregd_deadlines_passed_total", "connections closed by a deadline, by which", "deadline",
		    conn_deadline_names + 1, cm->deadlines_passed + 1, CONN_DEADLINES - 1);
	http_family(out, "planregd_requests_refused_total", "requests refused before decoding or dispatch", "reason",
		    conn_request_refusal_names, cm->requests_refused, CONN_REQUEST_REFUSALS);
	http_metric(out, "planregd_tls_failures_total", "counter", "TLS handshakes that failed or timed out",
		    cm->tls_failures);
	http_metric(out, "planregd_protocol_errors_total", "counter", "bad frames and undecodable requests",
		    cm->protocol_errors);
	const struct proxy_metrics *pm = &srv->proxies.metrics;
	static const char *const proxy_outcomes[] = {"header", "invalid", "timeout", "displaced"};
	const uint64_t proxy_counts[] = {pm->headers, pm->invalid, pm->timeouts, pm->displaced};
	http_metric(out, "planregd_proxy_connections_total", "counter",
		    "connections from trusted_proxies (each must start with a PROXY v2 header)", pm->accepted);
	http_family(out, "planregd_proxy_headers_total", "what became of those connections' PROXY headers", "outcome",
		    proxy_outcomes, proxy_counts, 4);
}

/* Requests: totals, by status code, and by method (labels from the method table). */
static void http_metrics_requests(struct evbuffer *out, const struct server *srv)
{
	const struct server_metrics *m = &srv->metrics;
	http_metric(out, "planregd_requests_total", "counter", "requests answered", m->requests);
	http_metric(out, "planregd_credential_lookups_total", "counter",
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
	http_family(out, "planregd_method_requests_total", "requests answered (after dispatch), by method", "method",
		    names, m->method_requests, method_count());
	evbuffer_add_printf(out, "# HELP planregd_method_seconds_sum time spent answering, by method\n"
				 "# TYPE planregd_method_seconds_sum counter\n");
	for (size_t i = 0; i < method_count(); i++)
		evbuffer_add_printf(out, "planregd_method_seconds_sum{method=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n",
				    names[i], m->method_us[i] / 1000000, m->method_us[i] % 1000000);
}

/* The primary's pool, the replica's, and where reads went. */
static void http_metrics_db(struct evbuffer *out, const struct server *srv)
{
	const struct server_metrics *m = &srv->metrics;
	struct db_pool_stats db;
	db_pool_get_stats(srv->pool, &db);
	http_metric(out, "planregd_db_connections", "gauge", "PostgreSQL connections in the pool", (uint64_t)db.size);
	http_metric(out, "planregd_db_connections_up", "gauge", "PostgreSQL connections established",
		    (uint64_t)db.connected);
	http_metric(out, "planregd_db_connections_leased", "gauge", "PostgreSQL connections in use",
		    (uint64_t)db.leased);
	http_metric(out, "planregd_db_waiting", "gauge", "requests waiting for a connection", (uint64_t)db.waiting);
	http_metric(out, "planregd_db_queries_total", "counter", "queries sent", db.queries);
	http_metric(out, "planregd_db_query_errors_total", "counter", "queries that failed", db.query_errors);
	http_metric(out, "planregd_db_connection_failures_total", "counter", "connection attempts failed or lost",
		    db.connection_failures);
	http_metric(out, "planregd_db_unavailable_total", "counter", "requests refused: database down", db.unavailable);
	http_metric(out, "planregd_db_prepared_total", "counter",
		    "statements prepared (once per pool connection and statement)", db.prepares);
	if (srv->read_pool != NULL) {
		struct db_pool_stats rd;
		db_pool_get_stats(srv->read_pool, &rd);
		http_metric(out, "planregd_read_db_connections_up", "gauge",
			    "PostgreSQL connections established to the replica (read_db_dsn)", (uint64_t)rd.connected);
		http_metric(out, "planregd_read_db_healthy", "gauge", "1 while the replica answers, else 0",
			    db_pool_healthy(srv->read_pool) ? 1 : 0);
	}
	static const char *const where[] = {"replica", "primary"};
	const uint64_t reads[] = {m->reads_replica, m->reads_primary};
	http_family(out, "planregd_reads_total", "read requests answered, by the database that served them", "db",
		    where, reads, 2);
	http_metric(out, "planregd_ryw_waits_total", "counter",
		    "reads that waited for the replica to replay their connection's write", m->ryw_waits);
	http_metric(out, "planregd_ryw_fallbacks_total", "counter",
		    "reads served by the primary because the replica had not replayed their connection's write in time",
		    m->ryw_fallbacks);
}

static void http_metrics(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evbuffer *out = evbuffer_new();
	http_metrics_connections(out, srv);
	http_metrics_requests(out, srv);
	http_metrics_db(out, srv);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void http_not_found(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, 404, "only /healthz and /metrics are here");
}

bool http_start(struct server *srv, char **err)
{
	srv->http_port = -1;
	if (srv->cfg->http_port < 0)
		return true;
	srv->http = evhttp_new(srv->base);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(srv->http, "/healthz", http_healthz, srv);
	evhttp_set_cb(srv->http, "/metrics", http_metrics, srv);
	evhttp_set_gencb(srv->http, http_not_found, srv);
	evhttp_set_timeout(srv->http, 10);
	struct evhttp_bound_socket *s =
		evhttp_bind_socket_with_handle(srv->http, srv->cfg->http_addr, (ev_uint16_t)srv->cfg->http_port);
	if (s == NULL) {
		*err = xasprintf("cannot listen for HTTP on %s:%d", srv->cfg->http_addr, srv->cfg->http_port);
		return false;
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	srv->http_port = srv->cfg->http_port;
	if (getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			srv->http_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			srv->http_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	log_info("http_listening", "addr=%s port=%d", srv->cfg->http_addr, srv->http_port);
	return true;
}

void http_stop(struct server *srv)
{
	if (srv->http) {
		evhttp_free(srv->http);
		srv->http = NULL;
	}
}
