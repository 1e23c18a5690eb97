/* conn.h - one client connection: TLS over a bufferevent, frame reading and
 * writing, the in-flight request count, and an explicit state. Owned by the
 * server's list; freed from the loop (never inside its own callbacks) once it
 * is closed and no request still holds a reference. */
#ifndef PLANREG_CONN_H
#define PLANREG_CONN_H

#include <event2/bufferevent.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "planreg.pb-c.h"
#include "values.h"

struct server;

enum conn_state {
	CONN_HANDSHAKE,      /* TLS handshake under a deadline */
	CONN_AUTHENTICATING, /* certificate verified; looking up its credential */
	CONN_OPEN,           /* reading requests */
	CONN_DRAINING,       /* no new requests; finishing in-flight ones */
	CONN_CLOSING,        /* flushing the last bytes, then close_notify */
	CONN_LINGERING,      /* half-closed; discarding input until the client closes */
	CONN_CLOSED,         /* waiting for references to drop before being freed */
};

struct principal {
	char credential[80];
	char organisation[20];
	char person[256];
	enum role role;
	char fingerprint[65];
};

/* A source address as the per-address limit counts it: IPv4 as ::ffff:a.b.c.d, IPv6 by its /64. */
struct conn_addr {
	uint8_t bytes[16];
};

struct conn {
	LIST_ENTRY(conn) link;
	TAILQ_ENTRY(conn) unauth_link; /* in srv->unauth while unauth is true */
	LIST_ENTRY(conn) addr_link;    /* in srv->addr_buckets[addr_hash & mask] while addr_counted */
	struct server *srv;
	uint64_t id;
	enum conn_state state;
	int refs; /* the server's list holds one; each in-flight request one more */
	struct bufferevent *bev;
	SSL *ssl;
	struct event *deadline; /* the one deadline of the current state (conn_rearm) */
	struct event *reaper;   /* deferred free */
	struct event *kick;     /* deferred look at buffered input */
	struct event *linger;   /* reads and drops input while lingering */
	char peer[64];
	char fingerprint[65];
	struct principal principal; /* from the credential at connect time */
	/* The principal stands in for a credential lookup while principal_cached, the server
	 * still listens for revocations and nothing made every cache stale since (see conn.c). */
	bool principal_cached;
	uint64_t principal_epoch;     /* srv->cred_epoch when it was looked up */
	uint64_t principal_cached_ms; /* when it was looked up: a cache lives CONN_PRINCIPAL_TTL_MS at most */
	/* Read-your-writes with a replica (rpc.c): the primary's WAL position after this
	 * connection's last write; its reads on the replica wait until that is replayed. */
	uint64_t written_lsn;
	bool reads_on_primary; /* a write's position could not be learnt: its reads use the primary */
	int inflight;
	bool reading_paused;
	bool unauth;       /* counted in srv->n_unauth (handshake or authenticating) */
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

/* Takes a new socket from the listener, or refuses it (closes it at once) when a
 * limit says so: max_connections, max_connections_per_addr, or the handshake
 * budget (see conn.c for the budget and the reserve it leaves). */
void conn_accept(struct server *srv, int fd, const struct sockaddr *sa, const char *peer);

/* The state machine's only door: checks and logs every change, re-arms the deadline. */
void conn_set_state(struct conn *c, enum conn_state st);

/* Sends one encoded Response frame (header included). Dropped when the connection is closing. */
void conn_send_frame(struct conn *c, const uint8_t *frame, size_t len);

/* Stops the connection: stop reading, flush what is queued, close_notify, free later. */
void conn_close(struct conn *c, const char *why);

/* A request finished: one less in flight; resumes reading after back-pressure. */
void conn_request_done(struct conn *c);

void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

/* SIGTERM: stop reading new requests; close once in-flight ones are answered. */
void conn_drain(struct conn *c);

/* Authentication at connect finished: principal found, or refusal sent. */
void conn_authenticated(struct conn *c, const struct principal *p);

bool conn_is_usable(const struct conn *c);

/* The channel RevokeCredential notifies with the revoked certificate's fingerprint. */
#define CONN_CREDENTIAL_CHANNEL "planreg_credentials"

/* Whether the cached principal may answer for the credential lookup of a request. */
bool conn_principal_fresh(const struct conn *c);
/* Caches the principal found by a lookup that started at epoch and notices (the server's
 * counters then); nothing is cached when a revocation was noticed meanwhile. */
void conn_principal_cache(struct conn *c, uint64_t epoch, uint64_t notices);
/* A credential was revoked: connections with that certificate look it up on their next request. */
void conn_credential_revoked(struct server *srv, const char *fingerprint);
/* The revocation listener (db_listener_cb): a fingerprint, or NULL when it (re)subscribed or was lost. */
void conn_credential_notice(const char *fingerprint, bool listening, void *arg);

/* Frees a connection at once, whatever its state (the server's hard stop). */
void conn_free(struct conn *c);

/* Connections still in the handshake or authenticating may hold at most this
 * many slots: min(max_handshakes, max_connections - max_connections / 4). */
unsigned conn_unauth_limit(const struct server *srv);

#endif
