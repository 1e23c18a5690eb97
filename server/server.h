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

/* Why a connection was refused at accept (planregd_connections_refused_total{reason}). */
enum server_refusal {
	SERVER_REFUSED_MAX_CONNECTIONS, /* max_connections open already */
	SERVER_REFUSED_HANDSHAKES,      /* the handshake budget is full and nobody could be evicted */
	SERVER_REFUSED_PER_ADDR,        /* max_connections_per_addr from that address already */
	SERVER_REFUSALS,
};

/* Why a request was refused before it was decoded or dispatched (planregd_requests_refused_total{reason}). */
enum server_request_refusal {
	SERVER_REQ_MAX_REQUEST_BYTES, /* a frame above max_request_bytes that is not ImportPlan */
	SERVER_REQ_DECODE_BUDGET,     /* it would decode into more than decode_budget_bytes */
	SERVER_REQ_ROLE_NOT_ALLOWED,  /* the connection's role may not make that request */
	SERVER_REQ_INVALID_STRING,    /* a string with NUL or invalid UTF-8 */
	SERVER_REQUEST_REFUSALS,
};

/* The deadline a connection lives under in its state (planregd_deadlines_passed_total{deadline}). */
enum server_deadline {
	SERVER_DEADLINE_NONE,
	SERVER_DEADLINE_HANDSHAKE,      /* handshake_timeout_ms from accept */
	SERVER_DEADLINE_AUTHENTICATING, /* the same budget: authenticated within handshake_timeout_ms of accept */
	SERVER_DEADLINE_FRAME,          /* frame_timeout_ms from a frame's first byte */
	SERVER_DEADLINE_IDLE,           /* idle_timeout_ms since the connection last had nothing to do */
	SERVER_DEADLINE_WRITE,          /* write_timeout_ms from when output became pending */
	SERVER_DEADLINE_CLOSING,        /* closing_timeout_ms for flush, close_notify and linger */
	SERVER_DEADLINES,
};

/* Label values for the enums above, for /metrics and logs. */
extern const char *const server_refusal_names[SERVER_REFUSALS];
extern const char *const server_request_refusal_names[SERVER_REQUEST_REFUSALS];
extern const char *const server_deadline_names[SERVER_DEADLINES];

struct server_metrics {
	uint64_t connections_accepted;
	uint64_t connections_refused[SERVER_REFUSALS];
	uint64_t handshakes_evicted; /* unauthenticated connections closed to make room for a new one */
	uint64_t tls_failures;
	uint64_t requests;
	uint64_t responses_by_code[17]; /* indexed by status code */
	uint64_t protocol_errors;
	uint64_t request_us_total; /* summed handling time, for a mean */
	uint64_t requests_refused[SERVER_REQUEST_REFUSALS];
	uint64_t deadlines_passed[SERVER_DEADLINES];
	uint64_t credential_lookups; /* SQL_CREDENTIAL queries: at connect, and when no cached principal serves */
	uint64_t reads_replica;      /* read requests served by the replica (read_db_dsn) */
	uint64_t reads_primary;      /* read requests served by the primary although a replica is configured */
	uint64_t ryw_waits;          /* reads that waited for the replica to replay their connection's write */
	uint64_t ryw_fallbacks;      /* ... and went to the primary because it had not within read_db_wait_ms */
};

/* One bucket of the per-address table: the connections whose address hashes there. */
LIST_HEAD(server_addr_bucket, conn);

struct server {
	struct event_base *base;
	struct config *cfg;
	const char *config_file; /* for SIGHUP reload; NULL when none */
	SSL_CTX *ssl_ctx;        /* swapped whole on reload; connections keep their own reference */
	struct db_pool *pool;
	struct db_pool *read_pool; /* the replica (read_db_dsn) for read requests, or NULL (rpc.c) */
	/* LISTEN planreg_credentials (conn.c): revocations drop cached principals */
	struct db_listener *cred_listener;
	bool cred_listening;   /* cached principals are used only while revocations can be heard */
	uint64_t cred_epoch;   /* bumped when the listener subscribes or is lost: every cache is stale */
	uint64_t cred_notices; /* bumped per revocation heard: a lookup spanning one caches nothing */
	struct evconnlistener *listener;
	struct event *accept_resume; /* re-enables the listener after accept() failed (EMFILE) */
	struct evhttp *http;
	struct event *sig_term, *sig_int, *sig_hup, *sig_quit;
	struct event *drain_deadline;
	enum server_state state;
	LIST_HEAD(, conn) conns;
	unsigned n_conns;
	/* connections in the handshake or authenticating, oldest first (conn.c's admission policy) */
	TAILQ_HEAD(, conn) unauth;
	unsigned n_unauth;
	/* open connections by source address (IPv6 by /64): a hash of lists, for max_connections_per_addr */
	struct server_addr_bucket *addr_buckets;
	uint32_t addr_mask; /* buckets - 1 (a power of two) */
	uint32_t addr_seed; /* random: the hash cannot be steered by chosen addresses */
	struct {
		uint64_t last_ms;    /* when a refusal of this reason was last logged */
		uint64_t suppressed; /* refusals not logged since */
	} refusal_log[SERVER_REFUSALS];
	uint64_t next_conn_id;
	struct server_metrics metrics;
	int port;      /* bound TLS port */
	int http_port; /* bound HTTP port, -1 when disabled */
};

/* Called by conn.c when a connection is gone, so a draining server can finish. */
void server_conn_gone(struct server *srv);

#endif
