/* conn.c - one client connection: TLS handshake, frame reading with
 * back-pressure and deadlines, response writing, and an orderly close.
 *
 * Life of a connection: HANDSHAKE -> AUTHENTICATING -> OPEN [-> DRAINING]
 * -> CLOSING -> CLOSED -> freed by the reaper once no request holds it. */
#include "conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "frame.h"
#include "log.h"
#include "rpc.h"
#include "server.h"
#include "tls.h"
#include "xmalloc.h"

static const char *const conn_state_names[] = {"handshake", "authenticating", "open",  "draining",
					       "closing",   "lingering",      "closed"};

/* How long a closed connection keeps reading (and discarding) before the socket is closed. */
#define CONN_LINGER_MS 2000

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
	c->state = st;
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

/* The reaper: frees the connection from the loop, outside its own callbacks. */
static void conn_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	if (c->refs > 0)
		return;
	LIST_REMOVE(c, link);
	bufferevent_free(c->bev); /* BEV_OPT_CLOSE_ON_FREE: closes the socket and frees the SSL */
	event_free(c->deadline);
	event_free(c->reaper);
	event_free(c->kick);
	event_free(c->linger);
	struct server *srv = c->srv;
	free(c);
	server_conn_gone(srv);
}

static void conn_closed(struct conn *c)
{
	event_del(c->linger);
	evtimer_del(c->deadline);
	conn_set_state(c, CONN_CLOSED);
	c->srv->n_conns--;
	conn_unref(c); /* the server list's reference */
}

/* Lingering: reads and drops what the client still sends until it closes too
 * (or CONN_LINGER_MS pass). Closing a socket with unread input makes the
 * kernel send a reset, which can destroy the answer we just sent. */
static void conn_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	if (what & EV_READ) {
		char sink[4096];
		for (;;) {
			ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
			if (n > 0)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			break; /* EOF or error: the client is gone */
		}
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
	evtimer_del(c->deadline);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	if (!orderly || fd < 0) {
		if (c->state != CONN_CLOSING)
			conn_set_state(c, CONN_CLOSING);
		conn_closed(c);
		return;
	}
	shutdown(fd, SHUT_WR);
	conn_set_state(c, CONN_LINGERING);
	struct timeval tv = {CONN_LINGER_MS / 1000, (CONN_LINGER_MS % 1000) * 1000};
	event_assign(c->linger, c->srv->base, fd, EV_READ | EV_PERSIST, conn_linger_cb, c);
	event_add(c->linger, &tv);
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
	/* otherwise the write callback finishes once the output is flushed */
}

/* Closes at once, without flushing: the transport is already broken. */
static void conn_abort(struct conn *c, const char *why)
{
	if (c->state == CONN_CLOSED || c->state == CONN_LINGERING)
		return;
	if (c->state != CONN_CLOSING)
		log_info("conn_close", "conn=%llu peer=%s cred=%s requests=%llu reason=%s", (unsigned long long)c->id,
			 c->peer, c->principal.credential[0] ? c->principal.credential : "-",
			 (unsigned long long)c->requests, log_q(why));
	c->ssl = NULL; /* no close_notify on a broken transport */
	if (c->state != CONN_CLOSING)
		conn_set_state(c, CONN_CLOSING);
	conn_finish(c);
}

void conn_send_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	if (!conn_is_usable(c))
		return;
	bufferevent_write(c->bev, frame, len);
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
	}
}

static void conn_resume(struct conn *c)
{
	if (c->reading_paused && c->state == CONN_OPEN) {
		c->reading_paused = false;
		bufferevent_enable(c->bev, EV_READ);
	}
	/* frames may already be buffered: look at them from the loop */
	event_active(c->kick, EV_TIMEOUT, 0);
}

void conn_request_done(struct conn *c)
{
	c->inflight--;
	if (c->state == CONN_DRAINING && c->inflight == 0)
		conn_close(c, c->drain_reason ? c->drain_reason : "server shutting down");
	else if (c->state == CONN_OPEN && c->inflight < c->srv->cfg->max_inflight_per_conn)
		conn_resume(c);
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
	evtimer_del(c->deadline);
	if (c->inflight == 0)
		conn_close(c, why);
}

void conn_drain(struct conn *c)
{
	conn_finish_requests(c, "server shutting down");
}

static void conn_arm_deadline(struct conn *c, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(c->deadline, &tv);
}

/* Reads whole frames and dispatches them while the in-flight limit allows. */
static void conn_process_input(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const size_t max = (size_t)c->srv->cfg->max_frame_bytes;
	while (c->state == CONN_OPEN) {
		size_t avail = evbuffer_get_length(in);
		if (avail == 0) {
			evtimer_del(c->deadline);
			return;
		}
		if (c->inflight >= c->srv->cfg->max_inflight_per_conn || conn_output_full(c)) {
			conn_pause(c);
			return;
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
		if (fr == FRAME_NEED_MORE && hn < FRAME_HEADER_BYTES) {
			if (!evtimer_pending(c->deadline, NULL))
				conn_arm_deadline(c, c->srv->cfg->frame_timeout_ms);
			return;
		}
		/* header complete: is the body here? */
		need = FRAME_HEADER_BYTES + (size_t)frame_get_header(header);
		if (avail < need) {
			if (!evtimer_pending(c->deadline, NULL))
				conn_arm_deadline(c, c->srv->cfg->frame_timeout_ms);
			return;
		}
		evtimer_del(c->deadline);
		unsigned char *frame = evbuffer_pullup(in, (ssize_t)need);
		Planreg__V1__Request *req =
			planreg__v1__request__unpack(NULL, need - FRAME_HEADER_BYTES, frame + FRAME_HEADER_BYTES);
		evbuffer_drain(in, need);
		if (req == NULL) {
			c->srv->metrics.protocol_errors++;
			rpc_send_connection_error(c, PLANREG__V1__CODE__INVALID_ARGUMENT, "bad_message",
						  "the frame is not a valid planreg.v1.Request message");
			conn_finish_requests(c, "undecodable request");
			return;
		}
		c->requests++;
		c->inflight++;
		rpc_dispatch(c, req); /* takes ownership of req */
	}
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
	if (c->state == CONN_CLOSING)
		conn_finish(c);
	else if (c->state == CONN_OPEN && c->reading_paused)
		conn_resume(c); /* the client caught up with its answers */
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	if (c->state == CONN_HANDSHAKE) {
		c->srv->metrics.tls_failures++;
		conn_abort(c, "TLS handshake deadline passed");
	} else {
		c->srv->metrics.protocol_errors++;
		conn_close(c, "frame not completed in time");
	}
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
	evtimer_del(c->deadline);
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
	conn_set_state(c, CONN_AUTHENTICATING);
	bufferevent_disable(c->bev, EV_READ);
	struct timeval idle = {c->srv->cfg->idle_timeout_ms / 1000, (c->srv->cfg->idle_timeout_ms % 1000) * 1000};
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	rpc_authenticate(c);
}

void conn_authenticated(struct conn *c, const struct principal *p)
{
	if (c->state != CONN_AUTHENTICATING)
		return;
	c->principal = *p;
	log_info("conn_open", "conn=%llu peer=%s cred=%s org=%s role=%s", (unsigned long long)c->id, c->peer,
		 p->credential, p->organisation, values_role_name(p->role));
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
	if (what & BEV_EVENT_TIMEOUT) {
		if (c->inflight > 0 && c->state == CONN_OPEN) {
			bufferevent_enable(c->bev, EV_READ); /* busy, not idle */
			return;
		}
		conn_close(c, "idle timeout");
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

void conn_accept(struct server *srv, int fd, const char *peer)
{
	srv->metrics.connections_accepted++;
	if (srv->n_conns >= (unsigned)srv->cfg->max_connections) {
		srv->metrics.connections_refused++;
		log_warn("conn_refused", "peer=%s reason=max_connections limit=%d", peer, srv->cfg->max_connections);
		evutil_closesocket(fd);
		return;
	}
	SSL *ssl = SSL_new(srv->ssl_ctx);
	if (ssl == NULL) {
		log_error("conn_refused", "peer=%s reason=%s", peer, log_q(tls_error_string()));
		evutil_closesocket(fd);
		return;
	}
	struct conn *c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->id = ++srv->next_conn_id;
	c->state = CONN_HANDSHAKE;
	c->refs = 1;
	c->ssl = ssl;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	/* plain socket bufferevent, no deferred callbacks (PITFALLS: libevent 2.1 bugs live there) */
	c->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(srv->base, conn_deadline_cb, c);
	c->reaper = event_new(srv->base, -1, 0, conn_reap, c);
	c->kick = event_new(srv->base, -1, 0, conn_kick_cb, c);
	c->linger = event_new(srv->base, -1, 0, conn_linger_cb, c);
	LIST_INSERT_HEAD(&srv->conns, c, link);
	srv->n_conns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, FRAME_HEADER_BYTES + (size_t)srv->cfg->max_frame_bytes);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_arm_deadline(c, srv->cfg->handshake_timeout_ms);
	log_debug("conn_accept", "conn=%llu peer=%s", (unsigned long long)c->id, peer);
}
