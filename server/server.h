/* server.h - the daemon's one long-lived object: the loop, settings, TLS
 * context, database pool, listeners and connections. Owned by serve.c. */
#ifndef PLANREG_SERVER_H
#define PLANREG_SERVER_H

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "db_pool.h"

struct conn;
struct evhttp;

enum server_state {
	SERVER_RUNNING,
	SERVER_DRAINING, /* SIGTERM: no new connections or requests; finishing in-flight ones */
};

struct server_metrics {
	uint64_t connections_accepted;
	uint64_t connections_refused; /* over max_connections */
	uint64_t tls_failures;
	uint64_t requests;
	uint64_t responses_by_code[17]; /* indexed by status code */
	uint64_t protocol_errors;
	uint64_t request_us_total; /* summed handling time, for a mean */
};

struct server {
	struct event_base *base;
	struct config *cfg;
	const char *config_file; /* for SIGHUP reload; NULL when none */
	SSL_CTX *ssl_ctx;        /* swapped whole on reload; connections keep their own reference */
	struct db_pool *pool;
	struct evconnlistener *listener;
	struct event *accept_resume; /* re-enables the listener after accept() failed (EMFILE) */
	struct evhttp *http;
	struct event *sig_term, *sig_int, *sig_hup, *sig_quit;
	struct event *drain_deadline;
	enum server_state state;
	LIST_HEAD(, conn) conns;
	unsigned n_conns;
	uint64_t next_conn_id;
	struct server_metrics metrics;
	int port;      /* bound TLS port */
	int http_port; /* bound HTTP port, -1 when disabled */
};

/* Called by conn.c when a connection is gone, so a draining server can finish. */
void server_conn_gone(struct server *srv);

#endif
