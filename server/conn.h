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

struct conn {
	LIST_ENTRY(conn) link;
	struct server *srv;
	uint64_t id;
	enum conn_state state;
	int refs; /* the server's list holds one; each in-flight request one more */
	struct bufferevent *bev;
	SSL *ssl;
	struct event *deadline; /* handshake or frame-completion deadline */
	struct event *reaper;   /* deferred free */
	struct event *kick;     /* deferred look at buffered input */
	struct event *linger;   /* reads and drops input while lingering */
	char peer[64];
	char fingerprint[65];
	struct principal principal; /* from the credential at connect time */
	int inflight;
	bool reading_paused;
	const char *drain_reason; /* why a DRAINING connection will close (static string) */
	uint64_t requests;
};

void conn_accept(struct server *srv, int fd, const char *peer);

/* The state machine's only door: checks and logs every change. */
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

#endif
