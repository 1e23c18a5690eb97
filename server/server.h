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
#include "conn.h"
#include "db_pool.h"
#include "handlers/log_seq.h"
#include "handlers/log_sign.h"
#include "http.h"
#include "joining.h"
#include "methods.h"
#include "proxy.h"

struct http_conn;

enum server_state {
	SERVER_RUNNING,
	SERVER_DRAINING, /* SIGTERM: no new connections or requests; finishing in-flight ones */
};

/* What the dispatch layer counts (the connection layer's own: struct conn_metrics). */
struct server_metrics {
	uint64_t requests;
	uint64_t responses_by_code[17];       /* indexed by status code */
	uint64_t request_us_total;            /* summed handling time, for a mean */
	uint64_t method_requests[METHOD_MAX]; /* per method_index(): requests answered */
	uint64_t method_us[METHOD_MAX];       /* per method_index(): their summed handling time */
	uint64_t credential_lookups; /* SQL_CREDENTIAL queries: at connect, and when no cached principal serves */
	uint64_t reads_replica;      /* read requests served by the replica (read_db_dsn) */
	uint64_t reads_primary;      /* read requests served by the primary although a replica is configured */
	uint64_t ryw_waits;          /* reads that waited for the replica to replay their connection's write */
	uint64_t ryw_fallbacks;      /* ... and went to the primary because it had not within read_db_wait_ms */
	uint64_t reads_retried;      /* reads that failed on the replica and ran again on the primary */
};

struct server {
	struct event_base *base;
	struct config *cfg;
	const char *config_file; /* for SIGHUP reload; NULL when none */
	struct db_pool *pool;
	struct db_pool *read_pool; /* the replica (read_db_dsn) for read requests, or NULL (route.c) */
	/* LISTEN planreg_credentials (session.c): revocations drop cached principals */
	struct db_listener *cred_listener;
	bool cred_listening;   /* cached principals are used only while revocations can be heard */
	uint64_t cred_epoch;   /* bumped when the listener subscribes or is lost: every cache is stale */
	uint64_t cred_notices; /* bumped per revocation heard: a lookup spanning one caches nothing */
	struct evconnlistener *listener;
	struct event *accept_resume;        /* re-enables the listener after accept() failed (EMFILE) */
	struct evconnlistener *http;        /* /healthz and /metrics (http.c) */
	TAILQ_HEAD(, http_conn) http_conns; /* oldest first */
	unsigned http_open;
	struct http_metrics http_metrics;
	struct event *sig_term, *sig_int, *sig_hup, *sig_quit;
	struct event *drain_deadline;
	enum server_state state;
	struct conn_table conns;            /* every client connection (conn.c), with its TLS context */
	struct proxy_trust trusted_proxies; /* whose connections start with a PROXY v2 header */
	struct proxy_waits proxies;         /* connections from them whose header has not arrived */
	struct joining joining;             /* issuing certificates to people who join (joining.c) */
	struct log_signer log_signer;       /* the verifiable log's key and last signed tree (handlers/log_sign.c) */
	struct log_seq log_seq;             /* the writes waiting for a leaf (handlers/log_seq.c) */
	struct server_metrics metrics;
	int port;      /* bound TLS port */
	int http_port; /* bound HTTP port, -1 when disabled */
};

#endif
