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
 *                              only when all of it is written and the kernel has sent
 *                              it too (a client that reads a trickle is as stuck as one
 *                              that reads nothing; a large send buffer must not let it
 *                              restart the clock each time ours empties into it)
 *   CLOSING, LINGERING         closing_timeout_ms for flush, close_notify and linger
 *
 * Admission (conn_accept) follows admission.c's verdict: a socket over a limit is closed at
 * once with a reset; one that fits may first evict a silent or stalled handshake.
 *
 * Everything above the connection (the credential, request kinds, dispatch, the Status
 * replies) is reached through tab->hooks. */
#include "conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

#include <stdarg.h>

#include "admission.h"
#include "decode.h"
#include "frame.h"
#include "log.h"
#include "tls.h"
#include "wirecheck.h"
#include "xmalloc.h"

static const char *const conn_state_names[] = {"handshake", "authenticating", "open",  "draining",
					       "closing",   "lingering",      "closed"};

/* At most one conn_refused line per reason this often; the others are counted in the next one. */
#define CONN_REFUSAL_LOG_MS 1000

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

const char *const conn_refusal_names[CONN_REFUSALS] = {
	[CONN_REFUSED_MAX_CONNECTIONS] = "max_connections",
	[CONN_REFUSED_HANDSHAKES] = "handshakes",
	[CONN_REFUSED_PER_ADDR] = "per_addr",
};
const char *const conn_request_refusal_names[CONN_REQUEST_REFUSALS] = {
	[CONN_REQ_MAX_REQUEST_BYTES] = "max_request_bytes",
	[CONN_REQ_DECODE_BUDGET] = "decode_budget_bytes",
	[CONN_REQ_ROLE_NOT_ALLOWED] = "role_not_allowed",
	[CONN_REQ_INVALID_STRING] = "invalid_string",
};
const char *const conn_deadline_names[CONN_DEADLINES] = {
	[CONN_DEADLINE_NONE] = "none",
	[CONN_DEADLINE_HANDSHAKE] = "handshake",
	[CONN_DEADLINE_AUTHENTICATING] = "authenticating",
	[CONN_DEADLINE_FRAME] = "frame",
	[CONN_DEADLINE_IDLE] = "idle",
	[CONN_DEADLINE_WRITE] = "write",
	[CONN_DEADLINE_CLOSING] = "closing",
};

uint64_t conn_now_ms(void)
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
	if (c->unauth && !conn_state_unauthenticated(st) && !(c->anonymous && st == CONN_OPEN)) {
		TAILQ_REMOVE(&c->tab->unauth, c, unauth_link);
		c->tab->n_unauth--;
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

static void conn_free(struct conn *c)
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
	struct conn_table *tab = c->tab;
	conn_free(c);
	tab->hooks->gone(tab);
}

static void conn_closed(struct conn *c)
{
	event_del(c->linger);
	conn_set_state(c, CONN_CLOSED);
	if (c->addr_counted) {
		LIST_REMOVE(c, addr_link);
		c->addr_counted = false;
	}
	c->tab->n--;
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
	event_assign(c->linger, c->tab->base, fd, EV_READ | EV_PERSIST, conn_linger_cb, c);
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
	return evbuffer_get_length(bufferevent_get_output(c->bev)) > 4 * (size_t)c->tab->cfg->max_frame_bytes;
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

void conn_request_done(struct conn *c, size_t decoded)
{
	c->inflight--;
	c->decoded_inflight -= decoded < c->decoded_inflight ? decoded : c->decoded_inflight;
	if (c->inflight == 0)
		c->idle_since_ms = conn_now_ms();
	if (c->state == CONN_DRAINING && c->inflight == 0)
		conn_close(c, c->drain_reason ? c->drain_reason : "server shutting down");
	else if (c->state == CONN_OPEN && c->inflight < c->tab->cfg->max_inflight_per_conn)
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

static void conn_consider(uint64_t *at, enum conn_deadline *kind, uint64_t since, int ms, enum conn_deadline k)
{
	uint64_t t = since + (uint64_t)ms;
	if (*at == 0 || t < *at) {
		*at = t;
		*kind = k;
	}
}

/* The deadline the connection lives under now (0: none) and which one it is. */
static uint64_t conn_next_deadline(const struct conn *c, enum conn_deadline *kind)
{
	const struct config *cfg = c->tab->cfg;
	uint64_t at = 0;
	*kind = CONN_DEADLINE_NONE;
	switch (c->state) {
	case CONN_HANDSHAKE:
		conn_consider(&at, kind, c->accepted_ms, cfg->handshake_timeout_ms, CONN_DEADLINE_HANDSHAKE);
		break;
	case CONN_AUTHENTICATING:
		conn_consider(&at, kind, c->accepted_ms, cfg->handshake_timeout_ms, CONN_DEADLINE_AUTHENTICATING);
		break;
	case CONN_OPEN:
	case CONN_DRAINING:
		if (c->anonymous) /* joining: all of it within the handshake's time */
			conn_consider(&at, kind, c->accepted_ms, cfg->handshake_timeout_ms,
				      CONN_DEADLINE_AUTHENTICATING);
		if (c->state == CONN_OPEN && c->frame_started_ms != 0 && !c->reading_paused)
			conn_consider(&at, kind, c->frame_started_ms, cfg->frame_timeout_ms, CONN_DEADLINE_FRAME);
		if (c->state == CONN_OPEN && c->frame_started_ms == 0 && c->inflight == 0 && c->output_since_ms == 0)
			conn_consider(&at, kind, c->idle_since_ms, cfg->idle_timeout_ms, CONN_DEADLINE_IDLE);
		if (c->output_since_ms != 0)
			conn_consider(&at, kind, c->output_since_ms, cfg->write_timeout_ms, CONN_DEADLINE_WRITE);
		break;
	case CONN_CLOSING:
	case CONN_LINGERING:
		conn_consider(&at, kind, c->closing_since_ms, cfg->closing_timeout_ms, CONN_DEADLINE_CLOSING);
		break;
	case CONN_CLOSED:
		break;
	}
	return at;
}

static void conn_rearm(struct conn *c)
{
	enum conn_deadline kind;
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

/* Has everything left: our output empty, and nothing waiting in the kernel for the client's window (bytes sent
 * and not acknowledged yet are on their way, not waiting)? Unknown counts as yes. */
static bool conn_output_sent(struct conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return false;
	int unsent = 0;
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	return fd < 0 || ioctl(fd, SIOCOUTQNSD, &unsent) != 0 || unsent == 0;
}

/* All the output has left: the write clock stops, the idle one starts. */
static void conn_output_gone(struct conn *c)
{
	c->output_since_ms = 0;
	if (c->inflight == 0)
		c->idle_since_ms = conn_now_ms();
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	enum conn_deadline kind;
	uint64_t at = conn_next_deadline(c, &kind);
	if (at == 0)
		return;
	if (at > conn_now_ms()) {
		conn_rearm(c); /* libevent's clock is coarser than ours: not yet */
		return;
	}
	if (kind == CONN_DEADLINE_FRAME && evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
	    !conn_tls_pending(c)) {
		/* what arrived was a whole TLS record without application data (a key update, a
		 * ticket): no frame was started after all. The idle clock, which those bytes did
		 * not move, applies again. */
		c->frame_started_ms = 0;
		conn_rearm(c);
		return;
	}
	if (kind == CONN_DEADLINE_WRITE && conn_output_sent(c)) {
		/* it all left after all (when ours emptied, the kernel still held some of it) */
		conn_output_gone(c);
		conn_rearm(c);
		return;
	}
	c->tab->metrics.deadlines_passed[kind]++;
	switch (kind) {
	case CONN_DEADLINE_HANDSHAKE:
		c->tab->metrics.tls_failures++;
		conn_abort(c, "TLS handshake deadline passed");
		break;
	case CONN_DEADLINE_AUTHENTICATING:
		conn_close(c, "authentication deadline passed");
		break;
	case CONN_DEADLINE_FRAME:
		c->tab->metrics.protocol_errors++;
		conn_close(c, "frame not completed in time");
		break;
	case CONN_DEADLINE_IDLE:
		conn_close(c, "idle timeout");
		break;
	case CONN_DEADLINE_WRITE:
		conn_abort(c, "write timeout: the client is not taking its answers");
		break;
	case CONN_DEADLINE_CLOSING:
		log_debug("conn_close_timeout", "conn=%llu state=%s", (unsigned long long)c->id,
			  conn_state_names[c->state]);
		c->ssl = NULL;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		conn_closed(c);
		break;
	case CONN_DEADLINE_NONE:
	case CONN_DEADLINES:
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

void conn_connection_error(struct conn *c, status_code code, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->tab->hooks->connection_error(c, code, reason, msg);
}

/* Answers a request refused before it was dispatched, counted under why. */
static void conn_refuse_request(struct conn *c, uint64_t id, uint32_t kind, enum conn_request_refusal why,
				status_code code, const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
static void conn_refuse_request(struct conn *c, uint64_t id, uint32_t kind, enum conn_request_refusal why,
				status_code code, const char *reason, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->tab->metrics.requests_refused[why]++;
	c->tab->hooks->refuse(c, id, kind, code, reason, field, msg);
}

/* protobuf-c hands strings over as C strings: a NUL inside would cut them short unseen. True when
 * every string of the body is UTF-8 without NUL; else the request is answered. */
static bool conn_strings_ok(struct conn *c, uint64_t id, uint32_t kind, const uint8_t *body, size_t len)
{
	struct wirecheck_problem p;
	enum wirecheck_result wr = wirecheck_strings(&planreg__v1__request__descriptor, body, len, &p);
	if (wr == WIRECHECK_OK)
		return true;
	if (wr == WIRECHECK_NUL || wr == WIRECHECK_BAD_UTF8)
		conn_refuse_request(c, id, kind, CONN_REQ_INVALID_STRING, PLANREG__V1__CODE__INVALID_ARGUMENT,
				    "invalid_string", p.path,
				    "%s holds %s at byte %zu; text must be UTF-8 without NUL bytes", p.path,
				    wirecheck_result_text(wr), p.offset);
	else
		conn_refuse_request(c, id, kind, CONN_REQ_INVALID_STRING, PLANREG__V1__CODE__INVALID_ARGUMENT,
				    "invalid_string", p.path, "%s: %s", p.path[0] ? p.path : "request",
				    wirecheck_result_text(wr));
	return false;
}

/* A request that would decode into more than the connection's budget has left. */
static void conn_refuse_budget(struct conn *c, uint64_t id, uint32_t kind, bool others_hold)
{
	const char *doing = c->tab->hooks->kind_doing(kind);
	if (!doing)
		doing = "of a kind this server does not know";
	if (others_hold)
		conn_refuse_request(c, id, kind, CONN_REQ_DECODE_BUDGET, PLANREG__V1__CODE__RESOURCE_EXHAUSTED,
				    "request_too_large", NULL,
				    "the request (%s) and the %d in flight on this connection need more than "
				    "decode_budget_bytes (%d) to decode; wait for their answers or send less at once",
				    doing, c->inflight, c->tab->cfg->decode_budget_bytes);
	else
		conn_refuse_request(
			c, id, kind, CONN_REQ_DECODE_BUDGET, PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "request_too_large",
			NULL, "the request (%s) needs more than decode_budget_bytes (%d) to decode; send less at once",
			doing, c->tab->cfg->decode_budget_bytes);
}

/*
 * One whole frame of need bytes (header included) is at the front of in. Before
 * anything is decoded the admit hook judges its kind and size (what that kind may
 * take, whether the connection's role may make it at all); then it is decoded under
 * decode_budget_bytes and its strings checked. A refusal is answered with the
 * request's id and the stream stays in sync. Consumes the frame; false when the
 * connection is finishing.
 */
static bool conn_take_frame(struct conn *c, struct evbuffer *in, size_t need)
{
	struct conn_table *tab = c->tab;
	const uint8_t *body = evbuffer_pullup(in, (ssize_t)need) + FRAME_HEADER_BYTES;
	size_t len = need - FRAME_HEADER_BYTES;
	uint64_t id;
	uint32_t kind;
	/* a top level that does not scan is left to protobuf-c to judge, under the smaller cap */
	if (!wirecheck_request_head(body, len, &id, &kind))
		kind = 0;
	c->requests++;
	c->frame_started_ms = 0;
	c->idle_since_ms = conn_now_ms();
	struct conn_verdict v;
	if (!tab->hooks->admit(c, kind, len, &v)) {
		evbuffer_drain(in, need);
		conn_refuse_request(c, id, kind, v.why, v.code, v.reason, NULL, "%s", v.message);
		return true;
	}
	enum decode_result dr;
	size_t used = 0, budget = (size_t)tab->cfg->decode_budget_bytes;
	/* the budget bounds the connection, not one request: what its requests in flight hold counts */
	size_t left = budget > c->decoded_inflight ? budget - c->decoded_inflight : 0;
	ProtobufCMessage *m = decode_unpack(&planreg__v1__request__descriptor, body, len, left, &dr, &used);
	if (m == NULL && dr == DECODE_OVER_BUDGET) {
		evbuffer_drain(in, need);
		conn_refuse_budget(c, id, kind, left < budget);
		return true;
	}
	if (m == NULL) {
		evbuffer_drain(in, need);
		tab->metrics.protocol_errors++;
		conn_connection_error(c, PLANREG__V1__CODE__INVALID_ARGUMENT, "bad_message",
				      "the frame is not a valid planreg.v1.Request message");
		conn_finish_requests(c, "undecodable request");
		return false;
	}
	bool strings_ok = conn_strings_ok(c, id, kind, body, len);
	evbuffer_drain(in, need);
	if (!strings_ok) {
		decode_free(m);
		return true;
	}
	log_debug("request_decoded", "conn=%llu kind=%u bytes=%zu decoded=%zu", (unsigned long long)c->id,
		  (unsigned)kind, len, used);
	c->inflight++;
	c->decoded_inflight += used;
	tab->hooks->dispatch(c, (Planreg__V1__Request *)m, used); /* takes ownership; freed with decode_free */
	return true;
}

/* Reads whole frames and takes them while the in-flight limit allows. */
static void conn_process_input(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const size_t max = (size_t)c->tab->cfg->max_frame_bytes;
	while (c->state == CONN_OPEN) {
		size_t avail = evbuffer_get_length(in);
		if (avail == 0)
			break;
		if (c->inflight >= c->tab->cfg->max_inflight_per_conn || conn_output_full(c)) {
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
			c->tab->metrics.protocol_errors++;
			conn_connection_error(c, PLANREG__V1__CODE__INVALID_ARGUMENT, "bad_frame",
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
	if (conn_output_sent(c))
		conn_output_gone(c);
	/* else the write clock runs on while the kernel holds what the client has not made room for */
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
		c->tab->metrics.tls_failures++;
		conn_set_state(c, CONN_AUTHENTICATING);
		conn_connection_error(c, PLANREG__V1__CODE__UNAUTHENTICATED, "alpn_required",
				      "the client must offer ALPN protocol %s", TLS_ALPN);
		conn_close(c, "no ALPN planreg/1");
		return;
	}
	if (!tls_peer_fingerprint(c->ssl, c->fingerprint)) {
		/* no client certificate: someone joining with an invitation code. Only the request kinds
		 * that the hooks admit for it are answered, within the handshake deadline from accept, and
		 * it keeps its place in the handshake budget until it closes */
		c->anonymous = true;
		conn_set_state(c, CONN_AUTHENTICATING);
		log_info("conn_open", "conn=%llu peer=%s cred=- anonymous=1", (unsigned long long)c->id, c->peer);
		conn_set_state(c, CONN_OPEN);
		conn_process_input(c);
		return;
	}
	char when[64];
	if (SSL_session_reused(c->ssl) && !tls_peer_valid_now(c->ssl, when, sizeof when)) {
		/* a full handshake checks the dates with the chain; a resumed one must do it here */
		c->tab->metrics.tls_failures++;
		conn_set_state(c, CONN_AUTHENTICATING);
		conn_connection_error(c, PLANREG__V1__CODE__UNAUTHENTICATED, "certificate_expired",
				      "this client certificate is not valid now (%s); ask an admin for a new one",
				      when[0] ? when : "outside its dates");
		conn_close(c, "certificate expired (resumed session)");
		return;
	}
	/* the handshake deadline (from accept) keeps running until the credential is found */
	conn_set_state(c, CONN_AUTHENTICATING);
	bufferevent_disable(c->bev, EV_READ);
	c->tab->hooks->authenticate(c);
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
			c->tab->metrics.tls_failures++;
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

/* ---------------------------------------------------------------- accept */

/* Closes a socket at accept, with a reset: a flood of refused sockets leaves no TIME_WAIT behind. */
static void conn_refuse(struct conn_table *tab, int fd, const char *peer, enum conn_refusal why, unsigned limit)
{
	tab->metrics.connections_refused[why]++;
	uint64_t now = conn_now_ms();
	if (tab->refusal_log[why].last_ms == 0 || now - tab->refusal_log[why].last_ms >= CONN_REFUSAL_LOG_MS) {
		log_warn("conn_refused", "peer=%s reason=%s limit=%u suppressed=%llu", peer, conn_refusal_names[why],
			 limit, (unsigned long long)tab->refusal_log[why].suppressed);
		tab->refusal_log[why].last_ms = now;
		tab->refusal_log[why].suppressed = 0;
	} else {
		tab->refusal_log[why].suppressed++;
	}
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	evutil_closesocket(fd);
}

/* Closes the handshake a newcomer replaces (admission_pick_victim chose it). */
static void conn_evict(struct conn_table *tab, struct conn *victim, uint64_t now, const char *peer)
{
	tab->metrics.handshakes_evicted++;
	log_debug("conn_evict", "conn=%llu peer=%s bytes_in=%llu age_ms=%llu for=%s", (unsigned long long)victim->id,
		  victim->peer, (unsigned long long)victim->bytes_in, (unsigned long long)(now - victim->accepted_ms),
		  peer);
	/* at debug level, like the refusals (rate-limited): a flood must not flood the log */
	conn_abort_logged(victim, LOG_DEBUG, "handshake budget full: made room for a newer connection");
}

/* A TLS bufferevent on fd, or NULL (fd closed) when OpenSSL or libevent cannot make one. */
static struct bufferevent *conn_tls_socket(struct conn_table *tab, int fd, const char *peer, SSL **ssl_out)
{
	/* answers go out at once: without this a response of two TLS records waits for the
	 * client's delayed ACK (Nagle), about 40 ms on Linux */
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		log_debug("conn_nodelay", "peer=%s error=%s", peer, log_q(strerror(errno)));
	SSL *ssl = SSL_new(tab->ssl_ctx);
	if (ssl == NULL) {
		log_error("conn_refused", "peer=%s reason=%s", peer, log_q(tls_error_string()));
		evutil_closesocket(fd);
		return NULL;
	}
	/* plain socket bufferevent, no deferred callbacks (docs/hacking.md: libevent 2.1 bugs live there) */
	struct bufferevent *bev =
		bufferevent_openssl_socket_new(tab->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_error("conn_refused", "peer=%s reason=\"cannot make a TLS bufferevent\"", peer);
		evutil_closesocket(fd); /* the SSL was freed with the failure */
		return NULL;
	}
	*ssl_out = ssl;
	return bev;
}

/* A new connection in HANDSHAKE, counted in every list of the table. */
static struct conn *conn_new(struct conn_table *tab, struct bufferevent *bev, SSL *ssl, const struct conn_addr *addr,
			     uint32_t h, uint64_t now, const char *peer)
{
	struct conn *c = xcalloc(1, sizeof *c);
	c->tab = tab;
	c->id = ++tab->next_id;
	c->state = CONN_HANDSHAKE;
	c->refs = 1;
	c->ssl = ssl;
	c->bev = bev;
	c->addr = *addr;
	c->addr_hash = h;
	c->accepted_ms = now;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->deadline = evtimer_new(tab->base, conn_deadline_cb, c);
	c->reaper = event_new(tab->base, -1, 0, conn_reap, c);
	c->kick = event_new(tab->base, -1, 0, conn_kick_cb, c);
	c->linger = event_new(tab->base, -1, 0, conn_linger_cb, c);
	LIST_INSERT_HEAD(&tab->all, c, link);
	LIST_INSERT_HEAD(&tab->addr_buckets[h & tab->addr_mask], c, addr_link);
	c->addr_counted = true;
	TAILQ_INSERT_TAIL(&tab->unauth, c, unauth_link);
	c->unauth = true;
	tab->n_unauth++;
	tab->n++;
	return c;
}

void conn_accept(struct conn_table *tab, int fd, const struct sockaddr *sa, const char *peer)
{
	tab->metrics.connections_accepted++;
	struct conn_addr addr;
	admission_addr_key(sa, &addr);
	uint32_t h = admission_addr_hash(tab->addr_seed, &addr);
	uint64_t now = conn_now_ms();
	struct admission verdict;
	admission_decide(tab, &addr, h, now, &verdict);
	if (!verdict.admit) {
		conn_refuse(tab, fd, peer, verdict.refused, verdict.limit);
		return;
	}
	if (verdict.victim != NULL)
		conn_evict(tab, verdict.victim, now, peer);
	SSL *ssl = NULL;
	struct bufferevent *bev = conn_tls_socket(tab, fd, peer, &ssl);
	if (bev == NULL)
		return;
	struct conn *c = conn_new(tab, bev, ssl, &addr, h, now, peer);
	/* see every byte before OpenSSL does (conn_raw_input) */
	BIO *rbio = SSL_get_rbio(ssl);
	if (rbio != NULL) {
		BIO_set_callback_ex(rbio, conn_bio_cb);
		BIO_set_callback_arg(rbio, (char *)c);
	}
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, FRAME_HEADER_BYTES + (size_t)tab->cfg->max_frame_bytes);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_rearm(c);
	log_debug("conn_accept", "conn=%llu peer=%s", (unsigned long long)c->id, peer);
}

/* ---------------------------------------------------------------- the table */

void conn_table_init(struct conn_table *tab, struct event_base *base, const struct config *cfg,
		     const struct conn_hooks *hooks, void *owner)
{
	*tab = (struct conn_table){.base = base, .cfg = cfg, .hooks = hooks, .owner = owner};
	LIST_INIT(&tab->all);
	TAILQ_INIT(&tab->unauth);
	/* the per-address table: a power of two of buckets, at least max_connections, and a random seed */
	uint32_t n = 64;
	while (n < (uint32_t)cfg->max_connections)
		n *= 2;
	tab->addr_buckets = xcalloc(n, sizeof *tab->addr_buckets);
	tab->addr_mask = n - 1;
	if (getrandom(&tab->addr_seed, sizeof tab->addr_seed, GRND_NONBLOCK) != (ssize_t)sizeof tab->addr_seed)
		tab->addr_seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
}

void conn_table_free(struct conn_table *tab)
{
	struct conn *c;
	while ((c = LIST_FIRST(&tab->all)) != NULL) {
		LIST_REMOVE(c, link);
		conn_free(c);
	}
	free(tab->addr_buckets);
	tab->addr_buckets = NULL;
}
