/* conn.h - one client connection: TLS over a bufferevent, frame reading and
 * writing, the in-flight request count, and an explicit state. Owned by its
 * table (struct conn_table); freed from the loop (never inside its own
 * callbacks) once it is closed and no request still holds a reference.
 *
 * conn.c knows nothing of request kinds, the database or the server: it calls
 * up through the hooks of its table (struct conn_hooks), which serve.c installs. */
#ifndef PLANREG_CONN_H
#define PLANREG_CONN_H

#include <event2/bufferevent.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "auth.h"
#include "config.h"
#include "planreg.pb-c.h"
#include "status.h"

enum conn_state {
	CONN_HANDSHAKE,      /* TLS handshake under a deadline */
	CONN_AUTHENTICATING, /* certificate verified; looking up its credential */
	CONN_OPEN,           /* reading requests */
	CONN_DRAINING,       /* no new requests; finishing in-flight ones */
	CONN_CLOSING,        /* flushing the last bytes, then close_notify */
	CONN_LINGERING,      /* half-closed; discarding input until the client closes */
	CONN_CLOSED,         /* waiting for references to drop before being freed */
};

/* Why a connection was refused at accept (planregd_connections_refused_total{reason}). */
enum conn_refusal {
	CONN_REFUSED_MAX_CONNECTIONS, /* max_connections open already */
	CONN_REFUSED_HANDSHAKES,      /* the handshake budget is full and nobody could be evicted */
	CONN_REFUSED_PER_ADDR,        /* max_connections_per_addr from that address already */
	CONN_REFUSALS,
};

/* Why a request was refused before it was decoded or dispatched (planregd_requests_refused_total{reason}). */
enum conn_request_refusal {
	CONN_REQ_MAX_REQUEST_BYTES, /* a frame above max_request_bytes that is not ImportPlan */
	CONN_REQ_DECODE_BUDGET,     /* it would decode into more than decode_budget_bytes */
	CONN_REQ_ROLE_NOT_ALLOWED,  /* the connection's role may not make that request */
	CONN_REQ_INVALID_STRING,    /* a string with NUL or invalid UTF-8 */
	CONN_REQUEST_REFUSALS,
};

/* The deadline a connection lives under in its state (planregd_deadlines_passed_total{deadline}). */
enum conn_deadline {
	CONN_DEADLINE_NONE,
	CONN_DEADLINE_HANDSHAKE,      /* handshake_timeout_ms from accept */
	CONN_DEADLINE_AUTHENTICATING, /* the same budget: authenticated within handshake_timeout_ms of accept */
	CONN_DEADLINE_FRAME,          /* frame_timeout_ms from a frame's first byte */
	CONN_DEADLINE_IDLE,           /* idle_timeout_ms since the connection last had nothing to do */
	CONN_DEADLINE_WRITE,          /* write_timeout_ms from when output became pending */
	CONN_DEADLINE_CLOSING,        /* closing_timeout_ms for flush, close_notify and linger */
	CONN_DEADLINES,
};

/* Label values for the enums above, for /metrics and logs. */
extern const char *const conn_refusal_names[CONN_REFUSALS];
extern const char *const conn_request_refusal_names[CONN_REQUEST_REFUSALS];
extern const char *const conn_deadline_names[CONN_DEADLINES];

/* What the connection layer counts (exported by http.c). */
struct conn_metrics {
	uint64_t connections_accepted;
	uint64_t connections_refused[CONN_REFUSALS];
	uint64_t handshakes_evicted; /* unauthenticated connections closed to make room for a new one */
	uint64_t tls_failures;
	uint64_t protocol_errors;
	uint64_t requests_refused[CONN_REQUEST_REFUSALS];
	uint64_t deadlines_passed[CONN_DEADLINES];
};

/* A source address as the per-address limit counts it: IPv4 as ::ffff:a.b.c.d, IPv6 by its /64. */
struct conn_addr {
	uint8_t bytes[16];
};

struct conn_table;

struct conn {
	LIST_ENTRY(conn) link;
	TAILQ_ENTRY(conn) unauth_link; /* in tab->unauth while unauth is true */
	LIST_ENTRY(conn) addr_link;    /* in tab->addr_buckets[addr_hash & mask] while addr_counted */
	struct conn_table *tab;
	uint64_t id;
	enum conn_state state;
	int refs; /* the table's list holds one; each in-flight request one more */
	struct bufferevent *bev;
	SSL *ssl;
	struct event *deadline; /* the one deadline of the current state (conn_rearm) */
	struct event *reaper;   /* deferred free */
	struct event *kick;     /* deferred look at buffered input */
	struct event *linger;   /* reads and drops input while lingering */
	char peer[64];
	char fingerprint[65];
	struct principal principal; /* from the credential at connect time */
	/* The principal stands in for a credential lookup while principal_cached (session.c's policy). */
	bool principal_cached;
	uint64_t principal_epoch;     /* the server's credential epoch when it was looked up */
	uint64_t principal_cached_ms; /* when it was looked up (conn_now_ms) */
	/* Read-your-writes with a replica (route.c): the primary's WAL position after this
	 * connection's last write; its reads on the replica wait until that is replayed. */
	uint64_t written_lsn;
	bool reads_on_primary; /* a write's position could not be learnt: its reads use the primary */
	int inflight;
	size_t decoded_inflight; /* what the requests in flight decoded into: together under decode_budget_bytes */
	bool reading_paused;
	bool unauth;       /* counted in tab->n_unauth (handshake, authenticating, or anonymous) */
	bool anonymous;    /* no client certificate: may only join with an invitation (methods.c .anonymous) */
	bool addr_counted; /* counted in its address bucket */
	struct conn_addr addr;
	uint32_t addr_hash;
	const char *drain_reason; /* why a DRAINING connection will close (static string) */
	uint64_t requests;
	uint64_t bytes_in; /* raw bytes read from the socket, TLS records included */
	/* Deadline clocks, monotonic milliseconds; 0 = not running. Bytes that do
	 * not complete a frame never move them back. */
	uint64_t accepted_ms;      /* handshake and authentication */
	uint64_t frame_started_ms; /* the first byte (TLS record bytes too) of a frame not yet complete */
	uint64_t idle_since_ms;    /* since the connection last had nothing in flight, to send or to read */
	uint64_t output_since_ms;  /* output pending since; reset only when it is all written */
	uint64_t closing_since_ms; /* entered CLOSING */
};

/* A request refused before it is decoded: which counter, and what its answer says. */
struct conn_verdict {
	enum conn_request_refusal why;
	status_code code;
	const char *reason; /* static */
	char message[512];
};

/* How conn.c calls up; serve.c installs them. Each gets the connection it is about. */
struct conn_hooks {
	/* The handshake is done and c->fingerprint known: find the credential, then call
	 * conn_authenticated(), or answer with conn_connection_error and close. */
	void (*authenticate)(struct conn *c);
	/* A whole frame of this kind (0 when its head does not scan) and body size: true to
	 * decode it; false with *v filled to refuse it undecoded. */
	bool (*admit)(const struct conn *c, uint32_t kind, size_t len, struct conn_verdict *v);
	/* A decoded request; ownership of req passes (free it with decode_free); decoded: the bytes it
	 * took, given back with conn_request_done. */
	void (*dispatch)(struct conn *c, Planreg__V1__Request *req, size_t decoded);
	/* Answers request id (of kind) refused before dispatch; field, when not NULL, is its one violation. */
	void (*refuse)(struct conn *c, uint64_t id, uint32_t kind, status_code code, const char *reason,
		       const char *field, const char *message);
	/* Sends a Response with id 0: a connection-level error, before the connection closes. */
	void (*connection_error)(struct conn *c, status_code code, const char *reason, const char *message);
	/* What a request of this kind does, in words, for messages; NULL when unknown. */
	const char *(*kind_doing)(uint32_t kind);
	/* A connection was freed (a draining server may be done). */
	void (*gone)(struct conn_table *tab);
};

/* One bucket of the per-address table: the connections whose address hashes there. */
LIST_HEAD(conn_addr_bucket, conn);

/* Every connection of the listener, the limits' bookkeeping, and the hooks. */
struct conn_table {
	struct event_base *base;
	const struct config *cfg;
	SSL_CTX *ssl_ctx; /* swapped whole on reload; connections keep their own reference */
	const struct conn_hooks *hooks;
	void *owner; /* whoever installed the hooks (the server) */
	LIST_HEAD(, conn) all;
	unsigned n;
	/* connections in the handshake or authenticating, oldest first (admission.c) */
	TAILQ_HEAD(, conn) unauth;
	unsigned n_unauth;
	/* open connections by source address (IPv6 by /64): a hash of lists, for max_connections_per_addr */
	struct conn_addr_bucket *addr_buckets;
	uint32_t addr_mask; /* buckets - 1 (a power of two) */
	uint32_t addr_seed; /* random: the hash cannot be steered by chosen addresses */
	struct {
		uint64_t last_ms;    /* when a refusal of this reason was last logged */
		uint64_t suppressed; /* refusals not logged since */
	} refusal_log[CONN_REFUSALS];
	uint64_t next_id;
	struct conn_metrics metrics;
};

/* Sets up an empty table (the per-address table sized for cfg->max_connections). */
void conn_table_init(struct conn_table *tab, struct event_base *base, const struct config *cfg,
		     const struct conn_hooks *hooks, void *owner);
/* Frees every connection at once, whatever its state (the server's hard stop), and the table's memory. */
void conn_table_free(struct conn_table *tab);

/* Monotonic milliseconds; never 0, which marks a clock that is not running. */
uint64_t conn_now_ms(void);

/* Takes a new socket from the listener, or refuses it (closes it at once) when a
 * limit says so (admission.c): max_connections, max_connections_per_addr, or the
 * handshake budget. */
void conn_accept(struct conn_table *tab, int fd, const struct sockaddr *sa, const char *peer);

/* The state machine's only door: checks and logs every change, re-arms the deadline. */
void conn_set_state(struct conn *c, enum conn_state st);

/* Sends one encoded Response frame (header included). Dropped when the connection is closing. */
void conn_send_frame(struct conn *c, const uint8_t *frame, size_t len);

/* Stops the connection: stop reading, flush what is queued, close_notify, free later. */
void conn_close(struct conn *c, const char *why);

/* A request finished: one less in flight, its decoded bytes given back; resumes reading after back-pressure. */
void conn_request_done(struct conn *c, size_t decoded);

void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

/* SIGTERM: stop reading new requests; close once in-flight ones are answered. */
void conn_drain(struct conn *c);

/* Authentication at connect finished: the principal was found. */
void conn_authenticated(struct conn *c, const struct principal *p);

bool conn_is_usable(const struct conn *c);

/* Answers with a Response of id 0 (a connection-level error) through the connection_error hook. */
void conn_connection_error(struct conn *c, status_code code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
