/* conn.c - one client connection: admission at accept, TLS handshake, frame
 * reading with back-pressure, what a request must pass before it is decoded and
 * dispatched, response writing, deadlines, and an orderly close.
 *
 * Life of a connection: HANDSHAKE -> AUTHENTICATING -> OPEN [-> DRAINING]
 * -> CLOSING -> LINGERING -> CLOSED -> freed by the reaper once no request holds it.
 *
 * Deadlines. Each state has one absolute deadline, kept by one evtimer that is
 * re-armed when the state or its clock changes (conn_rearm). Bytes that arrive
 * without completing something never move a clock back:
 *   HANDSHAKE, AUTHENTICATING  handshake_timeout_ms from accept, for both together
 *   OPEN, a frame started      frame_timeout_ms from its first byte; bytes of a TLS
 *                              record not yet whole count (conn_bio_cb)
 *   OPEN, idle                 idle_timeout_ms since the connection last had nothing
 *                              to do: no request in flight, nothing to send, no frame
 *                              started (a request in flight is busy, not idle)
 *   OPEN, DRAINING, output     write_timeout_ms from when output became pending; reset
 *                              only when all of it is written (a client that reads a
 *                              trickle is as stuck as one that reads nothing)
 *   CLOSING, LINGERING         closing_timeout_ms for flush, close_notify and linger
 *
 * Admission (conn_accept). A new socket is closed at once (with a reset) when
 * max_connections are open, when max_connections_per_addr are open from its
 * address (IPv4 address, or IPv6 /64), or when the handshake budget is full.
 * The budget counts connections in HANDSHAKE or AUTHENTICATING and is
 * conn_unauth_limit() = min(max_handshakes, max_connections - max_connections / 4):
 * a quarter of the slots is always left to authenticated clients. When it is
 * full, a newcomer takes the place of the oldest handshake that has sent
 * nothing for CONN_EVICT_SILENT_MS, else of the oldest handshake under way for
 * CONN_EVICT_STALLED_MS (or half of handshake_timeout_ms, if less); only when
 * there is no such connection is the newcomer refused. So silent sockets, however
 * many, cannot lock enrolled clients out: a real client sends its ClientHello at
 * once and finishes in milliseconds, a silent socket is the first to go. */
#include "conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "auth.h"
#include "decode.h"
#include "frame.h"
#include "log.h"
#include "rpc.h"
#include "server.h"
#include "tls.h"
#include "wirecheck.h"
#include "xmalloc.h"

static const char *const conn_state_names[] = {"handshake", "authenticating", "open",  "draining",
					       "closing",   "lingering",      "closed"};

/* A handshake that has sent no byte for this long may be evicted for a newcomer. */
#define CONN_EVICT_SILENT_MS 200
/* Any handshake under way this long (at most handshake_timeout_ms / 2) may be evicted for a newcomer. */
#define CONN_EVICT_STALLED_MS 1000
/* At most one conn_refused line per reason this often; the others are counted in the next one. */
#define CONN_REFUSAL_LOG_MS 1000
/* A cached principal is looked up again after this long whatever was heard: a revocation made
 * by hand in SQL, without the notification, still applies within a minute. */
#define CONN_PRINCIPAL_TTL_MS 60000

/* Allowed transitions: from -> bitmask of to. */
#define B(s) (1u << (s))
static const unsigned conn_transitions[] = {
	[CONN_HANDSHAKE] = B(CONN_AUTHENTICATING) | B(CONN_CLOSING) | B(CONN_CLOSED),
	[CONN_AUTHENTICATING] = B(CONN_OPEN) | B(CONN_CLOSING) | B(CONN_CLOSED),
	[CONN_OPEN] = B(CONN_DRAINING) | B(CONN_CLOSING) | B(CONN_CLOSED),
	[CONN_DRAINING] = B(CONN_CLOSING) | B(CONN_CLOSED),
	[CONN_CLOSING] = B(CONN_LINGERING) | B(CONN_CLOSED),
	[CONN_LINGERING] = B(CONN_CLOSED),
	[CONN_CLOSED] = 0,
};
#undef B

static void conn_process_input(struct conn *c);
static void conn_rearm(struct conn *c);

/* Monotonic milliseconds; never 0, which marks a clock that is not running. */
static uint64_t conn_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

static bool conn_state_unauthenticated(enum conn_state st)
{
	return st == CONN_HANDSHAKE || st == CONN_AUTHENTICATING;
}

void conn_set_state(struct conn *c, enum conn_state st)
{
	if (c->state == st)
		return;
	if (!(conn_transitions[c->state] & (1u << st))) {
		log_error("conn_bad_transition", "conn=%llu from=%s to=%s", (unsigned long long)c->id,
			  conn_state_names[c->state], conn_state_names[st]);
		abort(); /* a broken invariant: better a core dump than a confused connection */
	}
	log_debug("conn_state", "conn=%llu from=%s to=%s", (unsigned long long)c->id, conn_state_names[c->state],
		  conn_state_names[st]);
	if (c->unauth && !conn_state_unauthenticated(st)) {
		TAILQ_REMOVE(&c->srv->unauth, c, unauth_link);
		c->srv->n_unauth--;
		c->unauth = false;
	}
	if (st == CONN_OPEN)
		c->idle_since_ms = conn_now_ms();
	if (st == CONN_CLOSING)
		c->closing_since_ms = conn_now_ms();
	c->state = st;
	conn_rearm(c);
}

bool conn_is_usable(const struct conn *c)
{
	return c->state == CONN_AUTHENTICATING || c->state == CONN_OPEN || c->state == CONN_DRAINING;
}

void conn_ref(struct conn *c)
{
	c->refs++;
}

void conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		event_active(c->reaper, EV_TIMEOUT, 0);
}

void conn_free(struct conn *c)
{
	/* the socket BIO may outlive c inside libevent's deferred finalisation: forget c first */
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	BIO *rbio = ssl ? SSL_get_rbio(ssl) : NULL;
	if (rbio != NULL)
		BIO_set_callback_arg(rbio, NULL);
	bufferevent_free(c->bev); /* BEV_OPT_CLOSE_ON_FREE: closes the socket and frees the SSL */
	event_free(c->deadline);
	event_free(c->reaper);
	event_free(c->kick);
	event_free(c->linger);
	free(c);
}

/* The reaper: frees the connection from the loop, outside its own callbacks. */
static void conn_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	if (c->refs > 0)
		return;
	LIST_REMOVE(c, link);
	struct server *srv = c->srv;
	conn_free(c);
	server_conn_gone(srv);
}

static void conn_closed(struct conn *c)
{
	event_del(c->linger);
	conn_set_state(c, CONN_CLOSED);
	if (c->addr_counted) {
		LIST_REMOVE(c, addr_link);
		c->addr_counted = false;
	}
	c->srv->n_conns--;
	conn_unref(c); /* the server list's reference */
}

/* Lingering: reads and drops what the client still sends until it closes too
 * (or the closing deadline passes). Closing a socket with unread input makes the
 * kernel send a reset, which can destroy the answer we just sent. */
static void conn_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (!(what & EV_READ))
		return;
	char sink[4096];
	for (;;) {
		ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		break; /* EOF or error: the client is gone */
	}
	conn_closed(c);
}

/* The last steps: close_notify (best effort; the socket is non-blocking), half-close, linger. */
static void conn_finish(struct conn *c)
{
	if (c->state == CONN_LINGERING || c->state == CONN_CLOSED)
		return;
	bool orderly = c->ssl != NULL && c->state == CONN_CLOSING;
	if (orderly)
		SSL_shutdown(c->ssl);
	ERR_clear_error();
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	if (!orderly || fd < 0) {
		if (c->state != CONN_CLOSING)
			conn_set_state(c, CONN_CLOSING);
		conn_closed(c);
		return;
	}
	shutdown(fd, SHUT_WR);
	conn_set_state(c, CONN_LINGERING); /* the closing deadline still runs: lingering cannot be kept alive */
	event_assign(c->linger, c->srv->base, fd, EV_READ | EV_PERSIST, conn_linger_cb, c);
	event_add(c->linger, NULL);
}

void conn_close(struct conn *c, const char *why)
{
	if (c->state == CONN_CLOSING || c->state == CONN_LINGERING || c->state == CONN_CLOSED)
		return;
	log_info("conn_close", "conn=%llu peer=%s cred=%s requests=%llu reason=%s", (unsigned long long)c->id, c->peer,
		 c->principal.credential[0] ? c->principal.credential : "-", (unsigned long long)c->requests,
		 log_q(why));
	bool handshake_done = c->state != CONN_HANDSHAKE;
	conn_set_state(c, CONN_CLOSING);
	bufferevent_disable(c->bev, EV_READ);
	if (!handshake_done || evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_finish(c);
	/* otherwise the write callback finishes once the output is flushed (or the closing deadline does) */
}

/* Closes at once, without flushing, logging at level: the transport is already broken, or the client will not read. */
static void conn_abort_logged(struct conn *c, enum log_level level, const char *why)
{
	if (c->state == CONN_CLOSED || c->state == CONN_LINGERING)
		return;
	if (c->state != CONN_CLOSING)
		log_event(level, "conn_close", "conn=%llu peer=%s cred=%s requests=%llu reason=%s",
			  (unsigned long long)c->id, c->peer,
			  c->principal.credential[0] ? c->principal.credential : "-", (unsigned long long)c->requests,
			  log_q(why));
	c->ssl = NULL; /* no close_notify on a broken transport */
	if (c->state != CONN_CLOSING)
		conn_set_state(c, CONN_CLOSING);
	conn_finish(c);
}

static void conn_abort(struct conn *c, const char *why)
{
	conn_abort_logged(c, LOG_INFO, why);
}

void conn_send_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	if (!conn_is_usable(c))
		return;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	bufferevent_write(c->bev, frame, len);
	/* the write deadline runs from when output became pending (the write may have gone out at once) */
	if (c->output_since_ms == 0 && evbuffer_get_length(out) > 0) {
		c->output_since_ms = conn_now_ms();
		conn_rearm(c);
	}
}

static bool conn_output_full(struct conn *c)
{
	/* a client that does not read its answers stops being read */
	return evbuffer_get_length(bufferevent_get_output(c->bev)) > 4 * (size_t)c->srv->cfg->max_frame_bytes;
}

static void conn_pause(struct conn *c)
{
	if (!c->reading_paused) {
		c->reading_paused = true;
		bufferevent_disable(c->bev, EV_READ);
		log_debug("conn_backpressure", "conn=%llu inflight=%d", (unsigned long long)c->id, c->inflight);
		conn_rearm(c); /* the frame clock stops while we are the ones not reading */
	}
}

static void conn_resume(struct conn *c)
{
	if (c->reading_paused && c->state == CONN_OPEN) {
		c->reading_paused = false;
		if (c->frame_started_ms != 0)
			c->frame_started_ms = conn_now_ms(); /* a partial frame gets its whole time again */
		bufferevent_enable(c->bev, EV_READ);
		conn_rearm(c);
	}
	/* frames may already be buffered: look at them from the loop */
	event_active(c->kick, EV_TIMEOUT, 0);
}

void conn_request_done(struct conn *c)
{
	c->inflight--;
	if (c->inflight == 0)
		c->idle_since_ms = conn_now_ms();
	if (c->state == CONN_DRAINING && c->inflight == 0)
		conn_close(c, c->drain_reason ? c->drain_reason : "server shutting down");
	else if (c->state == CONN_OPEN && c->inflight < c->srv->cfg->max_inflight_per_conn)
		conn_resume(c);
	conn_rearm(c);
}

/* Stops reading; answers what is in flight, then closes with why. */
static void conn_finish_requests(struct conn *c, const char *why)
{
	if (c->state == CONN_HANDSHAKE || c->state == CONN_AUTHENTICATING) {
		conn_close(c, why);
		return;
	}
	if (c->state != CONN_OPEN)
		return;
	c->drain_reason = why;
	conn_set_state(c, CONN_DRAINING);
	bufferevent_disable(c->bev, EV_READ);
	if (c->inflight == 0)
		conn_close(c, why);
}

void conn_drain(struct conn *c)
{
	conn_finish_requests(c, "server shutting down");
}

/* ---------------------------------------------------------------- deadlines */

static void conn_consider(uint64_t *at, enum server_deadline *kind, uint64_t since, int ms, enum server_deadline k)
{
	uint64_t t = since + (uint64_t)ms;
	if (*at == 0 || t < *at) {
		*at = t;
		*kind = k;
	}
}

/* The deadline the connection lives under now (0: none) and which one it is. */
static uint64_t conn_next_deadline(const struct conn *c, enum server_deadline *kind)
{
	const struct config *cfg = c->srv->cfg;
	uint64_t at = 0;
	*kind = SERVER_DEADLINE_NONE;
	switch (c->state) {
	case CONN_HANDSHAKE:
		conn_consider(&at, kind, c->accepted_ms, cfg->handshake_timeout_ms, SERVER_DEADLINE_HANDSHAKE);
		break;
	case CONN_AUTHENTICATING:
		conn_consider(&at, kind, c->accepted_ms, cfg->handshake_timeout_ms, SERVER_DEADLINE_AUTHENTICATING);
		break;
	case CONN_OPEN:
	case CONN_DRAINING:
		if (c->state == CONN_OPEN && c->frame_started_ms != 0 && !c->reading_paused)
			conn_consider(&at, kind, c->frame_started_ms, cfg->frame_timeout_ms, SERVER_DEADLINE_FRAME);
		if (c->state == CONN_OPEN && c->frame_started_ms == 0 && c->inflight == 0 && c->output_since_ms == 0)
			conn_consider(&at, kind, c->idle_since_ms, cfg->idle_timeout_ms, SERVER_DEADLINE_IDLE);
		if (c->output_since_ms != 0)
			conn_consider(&at, kind, c->output_since_ms, cfg->write_timeout_ms, SERVER_DEADLINE_WRITE);
		break;
	case CONN_CLOSING:
	case CONN_LINGERING:
		conn_consider(&at, kind, c->closing_since_ms, cfg->closing_timeout_ms, SERVER_DEADLINE_CLOSING);
		break;
	case CONN_CLOSED:
		break;
	}
	return at;
}

static void conn_rearm(struct conn *c)
{
	enum server_deadline kind;
	uint64_t at = conn_next_deadline(c, &kind);
	if (at == 0) {
		evtimer_del(c->deadline);
		return;
	}
	uint64_t now = conn_now_ms();
	uint64_t ms = at > now ? at - now : 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(c->deadline, &tv);
}

/* Does OpenSSL hold bytes it has not turned into application data yet (a partial record)? */
static bool conn_tls_pending(struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	return ssl != NULL && SSL_has_pending(ssl);
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	enum server_deadline kind;
	uint64_t at = conn_next_deadline(c, &kind);
	if (at == 0)
		return;
	if (at > conn_now_ms()) {
		conn_rearm(c); /* libevent's clock is coarser than ours: not yet */
		return;
	}
	if (kind == SERVER_DEADLINE_FRAME && evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
	    !conn_tls_pending(c)) {
		/* what arrived was a whole TLS record without application data (a key update, a
		 * ticket): no frame was started after all. The idle clock, which those bytes did
		 * not move, applies again. */
		c->frame_started_ms = 0;
		conn_rearm(c);
		return;
	}
	c->srv->metrics.deadlines_passed[kind]++;
	switch (kind) {
	case SERVER_DEADLINE_HANDSHAKE:
		c->srv->metrics.tls_failures++;
		conn_abort(c, "TLS handshake deadline passed");
		break;
	case SERVER_DEADLINE_AUTHENTICATING:
		conn_close(c, "authentication deadline passed");
		break;
	case SERVER_DEADLINE_FRAME:
		c->srv->metrics.protocol_errors++;
		conn_close(c, "frame not completed in time");
		break;
	case SERVER_DEADLINE_IDLE:
		conn_close(c, "idle timeout");
		break;
	case SERVER_DEADLINE_WRITE:
		conn_abort(c, "write timeout: the client is not taking its answers");
		break;
	case SERVER_DEADLINE_CLOSING:
		log_debug("conn_close_timeout", "conn=%llu state=%s", (unsigned long long)c->id,
			  conn_state_names[c->state]);
		c->ssl = NULL;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		conn_closed(c);
		break;
	case SERVER_DEADLINE_NONE:
	case SERVER_DEADLINES:
		break;
	}
}

/* Every byte that arrives, before OpenSSL makes records of it. */
static void conn_raw_input(struct conn *c, size_t n)
{
	c->bytes_in += n;
	/* the bufferevent sees nothing until a TLS record is whole: without this, a record
	 * trickled a few bytes a second would hold the connection forever */
	if (c->state == CONN_OPEN && c->frame_started_ms == 0 && !c->reading_paused) {
		c->frame_started_ms = conn_now_ms();
		conn_rearm(c);
	}
}

/* A callback on the socket BIO under the SSL (OpenSSL calls it around each read). */
static long conn_bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret, size_t *processed)
{
	(void)argp;
	(void)len;
	(void)argi;
	(void)argl;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL && *processed > 0) {
		struct conn *c = (struct conn *)BIO_get_callback_arg(b);
		if (c != NULL)
			conn_raw_input(c, *processed);
	}
	return ret;
}

/* ---------------------------------------------------------------- requests */

/* The largest frame a request of this kind may be: only ImportPlan may use max_frame_bytes. */
static size_t conn_request_cap(const struct config *cfg, uint32_t kind)
{
	size_t frame = (size_t)cfg->max_frame_bytes;
	size_t request = (size_t)cfg->max_request_bytes;
	if (kind == PLANREG__V1__REQUEST__BODY_IMPORT_PLAN || request > frame)
		return frame;
	return request;
}

/*
 * One whole frame of need bytes (header included) is at the front of in. Before
 * anything is decoded: its size against what its kind may take, and whether the
 * connection's role may make that request at all; then it is decoded under
 * decode_budget_bytes and its strings checked. A refusal is answered with the
 * request's id and the stream stays in sync. Consumes the frame; false when the
 * connection is finishing.
 */
static bool conn_take_frame(struct conn *c, struct evbuffer *in, size_t need)
{
	struct server *srv = c->srv;
	const struct config *cfg = srv->cfg;
	const uint8_t *body = evbuffer_pullup(in, (ssize_t)need) + FRAME_HEADER_BYTES;
	size_t len = need - FRAME_HEADER_BYTES;
	uint64_t id;
	uint32_t kind;
	/* a top level that does not scan is left to protobuf-c to judge, under the smaller cap */
	if (!wirecheck_request_head(body, len, &id, &kind))
		kind = 0;
	const char *name = rpc_method_name((Planreg__V1__Request__BodyCase)kind);
	c->requests++;
	c->frame_started_ms = 0;
	c->idle_since_ms = conn_now_ms();

	size_t cap = conn_request_cap(cfg, kind);
	if (len > cap) {
		evbuffer_drain(in, need);
		srv->metrics.requests_refused[SERVER_REQ_MAX_REQUEST_BYTES]++;
		rpc_refuse(c, id, kind, PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "request_too_large", NULL,
			   "the request (%s) is %zu bytes, above max_request_bytes (%d); only ImportPlan may be "
			   "larger (up to max_frame_bytes, %d)",
			   name ? name : "unknown kind", len, cfg->max_request_bytes, cfg->max_frame_bytes);
		return true;
	}
	const char *who;
	if (name != NULL && !auth_request_allowed(&c->principal, (Planreg__V1__Request__BodyCase)kind, &who)) {
		/* the same decision rpc.c makes after decoding, made before: never decode what cannot run */
		evbuffer_drain(in, need);
		srv->metrics.requests_refused[SERVER_REQ_ROLE_NOT_ALLOWED]++;
		rpc_refuse(c, id, kind, PLANREG__V1__CODE__PERMISSION_DENIED, "role_not_allowed", NULL,
			   "%s needs the role %s; credential %s has role %s", name, who, c->principal.credential,
			   values_role_name(c->principal.role));
		return true;
	}
	enum decode_result dr;
	size_t used = 0;
	ProtobufCMessage *m = decode_unpack(&planreg__v1__request__descriptor, body, len,
					    (size_t)cfg->decode_budget_bytes, &dr, &used);
	if (m == NULL && dr == DECODE_OVER_BUDGET) {
		evbuffer_drain(in, need);
		srv->metrics.requests_refused[SERVER_REQ_DECODE_BUDGET]++;
		rpc_refuse(c, id, kind, PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "request_too_large", NULL,
			   "the request (%s) needs more than decode_budget_bytes (%d) to decode; send less at once",
			   name ? name : "unknown kind", cfg->decode_budget_bytes);
		return true;
	}
	if (m == NULL) {
		evbuffer_drain(in, need);
		srv->metrics.protocol_errors++;
		rpc_send_connection_error(c, PLANREG__V1__CODE__INVALID_ARGUMENT, "bad_message",
					  "the frame is not a valid planreg.v1.Request message");
		conn_finish_requests(c, "undecodable request");
		return false;
	}
	/* protobuf-c hands strings over as C strings: a NUL inside would cut them short unseen */
	struct wirecheck_problem p;
	enum wirecheck_result wr = wirecheck_strings(&planreg__v1__request__descriptor, body, len, &p);
	evbuffer_drain(in, need);
	if (wr != WIRECHECK_OK) {
		decode_free(m);
		srv->metrics.requests_refused[SERVER_REQ_INVALID_STRING]++;
		if (wr == WIRECHECK_NUL || wr == WIRECHECK_BAD_UTF8)
			rpc_refuse(c, id, kind, PLANREG__V1__CODE__INVALID_ARGUMENT, "invalid_string", p.path,
				   "%s holds %s at byte %zu; text must be UTF-8 without NUL bytes", p.path,
				   wirecheck_result_text(wr), p.offset);
		else
			rpc_refuse(c, id, kind, PLANREG__V1__CODE__INVALID_ARGUMENT, "invalid_string", p.path, "%s: %s",
				   p.path[0] ? p.path : "request", wirecheck_result_text(wr));
		return true;
	}
	log_debug("request_decoded", "conn=%llu kind=%u bytes=%zu decoded=%zu", (unsigned long long)c->id,
		  (unsigned)kind, len, used);
	c->inflight++;
	rpc_dispatch(c, (Planreg__V1__Request *)m); /* takes ownership; freed with decode_free */
	return true;
}

/* Reads whole frames and takes them while the in-flight limit allows. */
static void conn_process_input(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const size_t max = (size_t)c->srv->cfg->max_frame_bytes;
	while (c->state == CONN_OPEN) {
		size_t avail = evbuffer_get_length(in);
		if (avail == 0)
			break;
		if (c->inflight >= c->srv->cfg->max_inflight_per_conn || conn_output_full(c)) {
			conn_pause(c);
			break;
		}
		uint8_t header[FRAME_HEADER_BYTES];
		size_t hn = avail < FRAME_HEADER_BYTES ? avail : FRAME_HEADER_BYTES;
		evbuffer_copyout(in, header, hn);
		const uint8_t *body;
		size_t body_len, consumed, need;
		enum frame_result fr = frame_decode(header, hn, max, &body, &body_len, &consumed, &need);
		if (fr == FRAME_EMPTY || fr == FRAME_TOO_LARGE) {
			c->srv->metrics.protocol_errors++;
			rpc_send_connection_error(c, PLANREG__V1__CODE__INVALID_ARGUMENT, "bad_frame",
						  "frame length %zu is outside 1..%zu bytes", body_len, max);
			conn_finish_requests(c, "bad frame length"); /* earlier requests still get their answers */
			return;
		}
		if (fr == FRAME_NEED_MORE && hn < FRAME_HEADER_BYTES)
			break;
		/* header complete: is the body here? */
		need = FRAME_HEADER_BYTES + (size_t)frame_get_header(header);
		if (avail < need)
			break;
		if (!conn_take_frame(c, in, need))
			return;
	}
	if (c->state != CONN_OPEN)
		return;
	/* a frame begun and not complete keeps its clock (or starts it now); none: the clock stops */
	if (evbuffer_get_length(in) == 0 && !conn_tls_pending(c))
		c->frame_started_ms = 0;
	else if (c->frame_started_ms == 0)
		c->frame_started_ms = conn_now_ms();
	conn_rearm(c);
}

static void conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_process_input(arg);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process_input(arg);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	c->output_since_ms = 0;
	if (c->inflight == 0)
		c->idle_since_ms = conn_now_ms();
	if (c->state == CONN_CLOSING) {
		conn_finish(c);
		return;
	}
	if (c->state == CONN_OPEN && c->reading_paused)
		conn_resume(c); /* the client caught up with its answers */
	conn_rearm(c);
}

/* Collects what OpenSSL said about a failure; true when it is only an abrupt close. */
static bool conn_tls_error(struct conn *c, char *out, size_t n)
{
	bool only_eof = true;
	unsigned long e;
	out[0] = '\0';
	while ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
		/* libevent 2.1 also queues SSL_get_error()'s own code (library 0): not an OpenSSL error */
		if (ERR_GET_LIB(e) == 0)
			continue;
		/* OpenSSL 3: a peer closing without close_notify is an "error" (libevent 2.1) */
		if (ERR_GET_REASON(e) != SSL_R_UNEXPECTED_EOF_WHILE_READING)
			only_eof = false;
		if (out[0] == '\0')
			ERR_error_string_n(e, out, n);
	}
	ERR_clear_error();
	if (out[0] == '\0')
		snprintf(out, n, "connection reset");
	return only_eof;
}

static void conn_handshake_done(struct conn *c)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
	if (alpn_len != sizeof TLS_ALPN - 1 || memcmp(alpn, TLS_ALPN, alpn_len) != 0) {
		c->srv->metrics.tls_failures++;
		conn_set_state(c, CONN_AUTHENTICATING);
		rpc_send_connection_error(c, PLANREG__V1__CODE__UNAUTHENTICATED, "alpn_required",
					  "the client must offer ALPN protocol %s", TLS_ALPN);
		conn_close(c, "no ALPN planreg/1");
		return;
	}
	if (!tls_peer_fingerprint(c->ssl, c->fingerprint)) {
		/* cannot happen with SSL_VERIFY_FAIL_IF_NO_PEER_CERT, but never trust that */
		conn_abort(c, "no client certificate");
		return;
	}
	char when[64];
	if (SSL_session_reused(c->ssl) && !tls_peer_valid_now(c->ssl, when, sizeof when)) {
		/* a full handshake checks the dates with the chain; a resumed one must do it here */
		c->srv->metrics.tls_failures++;
		conn_set_state(c, CONN_AUTHENTICATING);
		rpc_send_connection_error(c, PLANREG__V1__CODE__UNAUTHENTICATED, "certificate_expired",
					  "this client certificate is not valid now (%s); ask an admin for a new one",
					  when[0] ? when : "outside its dates");
		conn_close(c, "certificate expired (resumed session)");
		return;
	}
	/* the handshake deadline (from accept) keeps running until the credential is found */
	conn_set_state(c, CONN_AUTHENTICATING);
	bufferevent_disable(c->bev, EV_READ);
	rpc_authenticate(c);
}

void conn_authenticated(struct conn *c, const struct principal *p)
{
	if (c->state != CONN_AUTHENTICATING)
		return;
	c->principal = *p;
	log_info("conn_open", "conn=%llu peer=%s cred=%s org=%s role=%s resumed=%d", (unsigned long long)c->id, c->peer,
		 p->credential, p->organisation, values_role_name(p->role),
		 c->ssl != NULL && SSL_session_reused(c->ssl) ? 1 : 0);
	conn_set_state(c, CONN_OPEN);
	bufferevent_enable(c->bev, EV_READ);
	conn_process_input(c);
}

/* ---------------------------------------------------------------- the cached principal
 *
 * A credential changes only by being revoked (migrations/0005), so the principal found at
 * connect can answer for the lookup of each request, as long as a revocation reaches the
 * connection before its next request: RevokeCredential drops the caches of this daemon at
 * once and notifies CONN_CREDENTIAL_CHANNEL, which every daemon listens on (db_listener).
 * While the listener is down nothing is cached; when it subscribes again (or is lost) every
 * cache becomes stale (cred_epoch), since a notification may have been missed meanwhile. */

bool conn_principal_fresh(const struct conn *c)
{
	const struct server *srv = c->srv;
	return c->principal_cached && srv->cred_listening && c->principal_epoch == srv->cred_epoch &&
	       conn_now_ms() - c->principal_cached_ms < CONN_PRINCIPAL_TTL_MS;
}

void conn_principal_cache(struct conn *c, uint64_t epoch, uint64_t notices)
{
	const struct server *srv = c->srv;
	if (!conn_is_usable(c) || !srv->cred_listening || epoch != srv->cred_epoch || notices != srv->cred_notices)
		return; /* the lookup may predate a revocation heard since: the next request looks again */
	c->principal_cached = true;
	c->principal_epoch = epoch;
	c->principal_cached_ms = conn_now_ms();
}

void conn_credential_revoked(struct server *srv, const char *fingerprint)
{
	srv->cred_notices++;
	struct conn *c;
	LIST_FOREACH(c, &srv->conns, link)
	{
		if (c->principal_cached && strcmp(c->fingerprint, fingerprint) == 0) {
			c->principal_cached = false;
			log_debug("conn_principal_dropped", "conn=%llu cred=%s", (unsigned long long)c->id,
				  c->principal.credential);
		}
	}
}

void conn_credential_notice(const char *fingerprint, bool listening, void *arg)
{
	struct server *srv = arg;
	if (fingerprint != NULL) {
		conn_credential_revoked(srv, fingerprint);
		return;
	}
	srv->cred_listening = listening;
	srv->cred_epoch++;
	srv->cred_notices++;
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct conn *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		conn_handshake_done(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		char why[256];
		bool eof = conn_tls_error(c, why, sizeof why);
		if (c->state == CONN_HANDSHAKE) {
			c->srv->metrics.tls_failures++;
			log_info("tls_failed", "conn=%llu peer=%s error=%s", (unsigned long long)c->id, c->peer,
				 log_q(why));
		}
		conn_abort(c, eof ? "client disconnected" : why);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* close_notify: the client sends nothing more but may still read its answers */
		if (c->state == CONN_OPEN && c->inflight > 0)
			conn_finish_requests(c, "client disconnected");
		else
			conn_close(c, "client disconnected");
	}
}

/* ---------------------------------------------------------------- admission */

unsigned conn_unauth_limit(const struct server *srv)
{
	unsigned total = (unsigned)srv->cfg->max_connections;
	unsigned limit = total - total / 4;
	if ((unsigned)srv->cfg->max_handshakes < limit)
		limit = (unsigned)srv->cfg->max_handshakes;
	return limit > 0 ? limit : 1;
}

static void conn_addr_key(const struct sockaddr *sa, struct conn_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		a->bytes[10] = a->bytes[11] = 0xff;
		memcpy(a->bytes + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6))
			memcpy(a->bytes, in6->s6_addr, 16); /* an IPv4 client of a dual-stack socket */
		else
			memcpy(a->bytes, in6->s6_addr, 8); /* one site's /64 counts as one address */
	}
}

static uint32_t conn_addr_hash(const struct server *srv, const struct conn_addr *a)
{
	uint32_t h = 2166136261u ^ srv->addr_seed; /* FNV-1a, seeded */
	for (size_t i = 0; i < sizeof a->bytes; i++) {
		h ^= a->bytes[i];
		h *= 16777619u;
	}
	return h;
}

static unsigned conn_addr_count(const struct server *srv, const struct conn_addr *a, uint32_t h)
{
	unsigned n = 0;
	const struct conn *c;
	LIST_FOREACH(c, &srv->addr_buckets[h & srv->addr_mask], addr_link)
	if (memcmp(c->addr.bytes, a->bytes, sizeof a->bytes) == 0)
		n++;
	return n;
}

/* Closes a socket at accept, with a reset: a flood of refused sockets leaves no TIME_WAIT behind. */
static void conn_refuse(struct server *srv, int fd, const char *peer, enum server_refusal why, unsigned limit)
{
	srv->metrics.connections_refused[why]++;
	uint64_t now = conn_now_ms();
	if (srv->refusal_log[why].last_ms == 0 || now - srv->refusal_log[why].last_ms >= CONN_REFUSAL_LOG_MS) {
		log_warn("conn_refused", "peer=%s reason=%s limit=%u suppressed=%llu", peer, server_refusal_names[why],
			 limit, (unsigned long long)srv->refusal_log[why].suppressed);
		srv->refusal_log[why].last_ms = now;
		srv->refusal_log[why].suppressed = 0;
	} else {
		srv->refusal_log[why].suppressed++;
	}
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	evutil_closesocket(fd);
}

/* The unauthenticated connection a newcomer may replace when the budget is full, or NULL. */
static struct conn *conn_pick_victim(struct server *srv, uint64_t now)
{
	uint64_t stalled = CONN_EVICT_STALLED_MS;
	if ((uint64_t)srv->cfg->handshake_timeout_ms / 2 < stalled)
		stalled = (uint64_t)srv->cfg->handshake_timeout_ms / 2;
	struct conn *slow = NULL, *v;
	TAILQ_FOREACH(v, &srv->unauth, unauth_link)
	{
		if (v->state != CONN_HANDSHAKE)
			continue; /* authenticating: it showed a valid certificate; its lookup is bounded */
		uint64_t age = now - v->accepted_ms;
		if (v->bytes_in == 0 && age >= CONN_EVICT_SILENT_MS)
			return v; /* the oldest silent one */
		if (slow == NULL && age >= stalled)
			slow = v;
	}
	return slow;
}

void conn_accept(struct server *srv, int fd, const struct sockaddr *sa, const char *peer)
{
	const struct config *cfg = srv->cfg;
	srv->metrics.connections_accepted++;
	if (srv->n_conns >= (unsigned)cfg->max_connections) {
		conn_refuse(srv, fd, peer, SERVER_REFUSED_MAX_CONNECTIONS, (unsigned)cfg->max_connections);
		return;
	}
	struct conn_addr addr;
	conn_addr_key(sa, &addr);
	uint32_t h = conn_addr_hash(srv, &addr);
	if (conn_addr_count(srv, &addr, h) >= (unsigned)cfg->max_connections_per_addr) {
		conn_refuse(srv, fd, peer, SERVER_REFUSED_PER_ADDR, (unsigned)cfg->max_connections_per_addr);
		return;
	}
	uint64_t now = conn_now_ms();
	if (srv->n_unauth >= conn_unauth_limit(srv)) {
		struct conn *victim = conn_pick_victim(srv, now);
		if (victim == NULL) {
			conn_refuse(srv, fd, peer, SERVER_REFUSED_HANDSHAKES, conn_unauth_limit(srv));
			return;
		}
		srv->metrics.handshakes_evicted++;
		log_debug("conn_evict", "conn=%llu peer=%s bytes_in=%llu age_ms=%llu for=%s",
			  (unsigned long long)victim->id, victim->peer, (unsigned long long)victim->bytes_in,
			  (unsigned long long)(now - victim->accepted_ms), peer);
		/* at debug level, like the refusals (rate-limited): a flood must not flood the log */
		conn_abort_logged(victim, LOG_DEBUG, "handshake budget full: made room for a newer connection");
	}
	/* answers go out at once: without this a response of two TLS records waits for the
	 * client's delayed ACK (Nagle), about 40 ms on Linux */
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		log_debug("conn_nodelay", "peer=%s error=%s", peer, log_q(strerror(errno)));
	SSL *ssl = SSL_new(srv->ssl_ctx);
	if (ssl == NULL) {
		log_error("conn_refused", "peer=%s reason=%s", peer, log_q(tls_error_string()));
		evutil_closesocket(fd);
		return;
	}
	/* plain socket bufferevent, no deferred callbacks (PITFALLS: libevent 2.1 bugs live there) */
	struct bufferevent *bev =
		bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_error("conn_refused", "peer=%s reason=\"cannot make a TLS bufferevent\"", peer);
		evutil_closesocket(fd); /* the SSL was freed with the failure */
		return;
	}
	struct conn *c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->id = ++srv->next_conn_id;
	c->state = CONN_HANDSHAKE;
	c->refs = 1;
	c->ssl = ssl;
	c->bev = bev;
	c->addr = addr;
	c->addr_hash = h;
	c->accepted_ms = now;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->deadline = evtimer_new(srv->base, conn_deadline_cb, c);
	c->reaper = event_new(srv->base, -1, 0, conn_reap, c);
	c->kick = event_new(srv->base, -1, 0, conn_kick_cb, c);
	c->linger = event_new(srv->base, -1, 0, conn_linger_cb, c);
	LIST_INSERT_HEAD(&srv->conns, c, link);
	LIST_INSERT_HEAD(&srv->addr_buckets[h & srv->addr_mask], c, addr_link);
	c->addr_counted = true;
	TAILQ_INSERT_TAIL(&srv->unauth, c, unauth_link);
	c->unauth = true;
	srv->n_unauth++;
	srv->n_conns++;
	/* see every byte before OpenSSL does (conn_raw_input) */
	BIO *rbio = SSL_get_rbio(ssl);
	if (rbio != NULL) {
		BIO_set_callback_ex(rbio, conn_bio_cb);
		BIO_set_callback_arg(rbio, (char *)c);
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, FRAME_HEADER_BYTES + (size_t)cfg->max_frame_bytes);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_rearm(c);
	log_debug("conn_accept", "conn=%llu peer=%s", (unsigned long long)c->id, peer);
}
