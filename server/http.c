/* http.c - the plain HTTP listener for /healthz and /metrics: a small HTTP/1.x server of its own
 * on libevent bufferevents. libevent 2.1's evhttp has neither a connection cap nor a deadline a
 * slow client cannot extend (its timeouts are per read), and no hook to count its connections;
 * this listener has both: at most http_max_connections at once (its own small share of
 * descriptors, so that it can never starve the TLS listener; when all are taken a newcomer
 * replaces the oldest that has sent no request for HTTP_EVICT_AFTER_MS, else it is closed), and
 * one whole-connection deadline, http_timeout_ms from accept, for the request to arrive and the
 * answer to go. One request per connection (Connection: close); GET and HEAD only. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "server.h"
#include "xmalloc.h"

/* The longest request head read (request line and headers); a longer one is answered 431. */
#define HTTP_HEAD_MAX 8192

/* When all http_max_connections are taken, a newcomer replaces the oldest connection that has not
 * sent its request after this long (a real client sends it at once), else it is closed. */
#define HTTP_EVICT_AFTER_MS 200

struct http_conn {
	TAILQ_ENTRY(http_conn) link; /* oldest first */
	struct server *srv;
	uint64_t accepted_ms;
	struct bufferevent *bev;
	struct event *deadline;
	bool answered; /* the answer is queued: close once it is written */
};

static void http_conn_free(struct http_conn *hc)
{
	TAILQ_REMOVE(&hc->srv->http_conns, hc, link);
	hc->srv->http_open--;
	event_free(hc->deadline);
	bufferevent_free(hc->bev); /* closes the socket */
	free(hc);
}

/* Queues one answer and stops reading; the connection closes once it is written. */
static void http_answer(struct http_conn *hc, int code, const char *reason, const char *type, struct evbuffer *body,
			bool head_only)
{
	struct evbuffer *out = bufferevent_get_output(hc->bev);
	size_t n = body ? evbuffer_get_length(body) : 0;
	evbuffer_add_printf(out,
			    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
			    "Cache-Control: no-store\r\n\r\n",
			    code, reason, type, n);
	if (body != NULL && !head_only)
		evbuffer_add_buffer(out, body);
	hc->answered = true;
	bufferevent_disable(hc->bev, EV_READ);
}

static void http_answer_text(struct http_conn *hc, int code, const char *reason, const char *text, bool head_only)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_printf(b, "%s\n", text);
	http_answer(hc, code, reason, "text/plain; charset=utf-8", b, head_only);
	evbuffer_free(b);
}

/* Answers the request line "METHOD TARGET VERSION" (the headers are not needed). */
static void http_route(struct http_conn *hc, char *line)
{
	char *save = NULL, *method = strtok_r(line, " ", &save), *target = strtok_r(NULL, " ", &save),
	     *version = strtok_r(NULL, " ", &save);
	if (method == NULL || target == NULL || version == NULL || strncmp(version, "HTTP/1.", 7) != 0) {
		hc->srv->http_metrics.bad_requests++;
		http_answer_text(hc, 400, "Bad Request", "send an HTTP/1.x GET request", false);
		return;
	}
	bool head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		http_answer_text(hc, 405, "Method Not Allowed", "only GET and HEAD are answered here", false);
		return;
	}
	target[strcspn(target, "?#")] = '\0';
	struct evbuffer *b = evbuffer_new();
	if (strcmp(target, "/healthz") == 0) {
		int code = metrics_healthz(hc->srv, b);
		http_answer(hc, code, code == 200 ? "OK" : "Service Unavailable", "text/plain; charset=utf-8", b, head);
	} else if (strcmp(target, "/metrics") == 0) {
		metrics_write(hc->srv, b);
		http_answer(hc, 200, "OK", "text/plain; version=0.0.4", b, head);
	} else {
		http_answer_text(hc, 404, "Not Found", "only /healthz and /metrics are here", head);
	}
	evbuffer_free(b);
}

static void http_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *hc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (hc->answered)
		return;
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0 && evbuffer_search(in, "\n\n", 2, NULL).pos >= 0)
		end = evbuffer_search(in, "\n\n", 2, NULL); /* a bare-LF client */
	if (end.pos < 0) {
		if (evbuffer_get_length(in) >= HTTP_HEAD_MAX) {
			hc->srv->http_metrics.too_large++;
			http_answer_text(hc, 431, "Request Header Fields Too Large", "the request head is too long",
					 false);
		}
		return;
	}
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		hc->srv->http_metrics.bad_requests++;
		http_answer_text(hc, 400, "Bad Request", "send an HTTP/1.x GET request", false);
		return;
	}
	http_route(hc, line);
	free(line);
}

static void http_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *hc = arg;
	if (hc->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		http_conn_free(hc);
	}
}

static void http_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		http_conn_free(arg); /* the client went, or the socket broke */
}

static void http_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct http_conn *hc = arg;
	hc->srv->http_metrics.deadlines++;
	log_debug("http_deadline", "timeout_ms=%d answered=%d", hc->srv->cfg->http_timeout_ms, hc->answered ? 1 : 0);
	http_conn_free(hc);
}

/* Closes a socket at once, with a reset: a flood leaves no TIME_WAIT behind. */
static void http_refuse(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

/* Monotonic milliseconds. */
static uint64_t http_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Room for one more: true when there is, or when the oldest silent connection made way for it. */
static bool http_make_room(struct server *srv, uint64_t now)
{
	if (srv->http_open < (unsigned)srv->cfg->http_max_connections)
		return true;
	struct http_conn *hc;
	TAILQ_FOREACH(hc, &srv->http_conns, link)
	{
		if (!hc->answered && now - hc->accepted_ms >= HTTP_EVICT_AFTER_MS) {
			srv->http_metrics.evicted++;
			http_conn_free(hc);
			return true;
		}
	}
	return false;
}

static void http_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)sa;
	(void)salen;
	struct server *srv = arg;
	uint64_t now = http_now_ms();
	if (!http_make_room(srv, now)) {
		srv->http_metrics.refused_full++;
		http_refuse(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	struct bufferevent *bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		http_refuse(fd);
		return;
	}
	struct http_conn *hc = xcalloc(1, sizeof *hc);
	hc->srv = srv;
	hc->bev = bev;
	hc->accepted_ms = now;
	hc->deadline = evtimer_new(srv->base, http_deadline_cb, hc);
	TAILQ_INSERT_TAIL(&srv->http_conns, hc, link);
	srv->http_open++;
	int ms = srv->cfg->http_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(hc->deadline, &tv);
	bufferevent_setcb(bev, http_read_cb, http_write_cb, http_event_cb, hc);
	bufferevent_setwatermark(bev, EV_READ, 0, HTTP_HEAD_MAX);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void http_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *srv = arg;
	if (srv->http != NULL)
		evconnlistener_enable(srv->http);
}

/* accept() failed (out of descriptors): libevent 2.1 would retry in a tight loop, so pause a second. */
static void http_accept_error(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	log_warn("http_accept_failed", "error=%s pause_ms=1000",
		 log_q(evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR())));
	evconnlistener_disable(l);
	struct timeval tv = {1, 0};
	event_base_once(srv->base, -1, EV_TIMEOUT, http_accept_resume, srv, &tv);
}

/* The listening address of cfg as a sockaddr; false when http_addr is not an address. */
static bool http_address(const struct config *cfg, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, cfg->http_addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)cfg->http_port);
		*len = sizeof *in;
		return true;
	}
	if (inet_pton(AF_INET6, cfg->http_addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->http_port);
		*len = sizeof *in6;
		return true;
	}
	return false;
}

bool http_start(struct server *srv, char **err)
{
	srv->http_port = -1;
	TAILQ_INIT(&srv->http_conns);
	if (srv->cfg->http_port < 0)
		return true;
	struct sockaddr_storage ss;
	socklen_t len;
	if (!http_address(srv->cfg, &ss, &len)) {
		*err = xasprintf("http_addr \"%s\" is not an IPv4 or IPv6 address", srv->cfg->http_addr);
		return false;
	}
	srv->http = evconnlistener_new_bind(srv->base, http_accept, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
					    (struct sockaddr *)&ss, (int)len);
	if (srv->http == NULL) {
		*err = xasprintf("cannot listen for HTTP on %s:%d: %s", srv->cfg->http_addr, srv->cfg->http_port,
				 strerror(errno));
		return false;
	}
	evconnlistener_set_error_cb(srv->http, http_accept_error);
	len = sizeof ss;
	getsockname(evconnlistener_get_fd(srv->http), (struct sockaddr *)&ss, &len);
	srv->http_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						       : ((struct sockaddr_in6 *)&ss)->sin6_port);
	log_info("http_listening", "addr=%s port=%d max_connections=%d timeout_ms=%d", srv->cfg->http_addr,
		 srv->http_port, srv->cfg->http_max_connections, srv->cfg->http_timeout_ms);
	return true;
}

void http_stop(struct server *srv)
{
	while (!TAILQ_EMPTY(&srv->http_conns))
		http_conn_free(TAILQ_FIRST(&srv->http_conns));
	if (srv->http) {
		evconnlistener_free(srv->http);
		srv->http = NULL;
	}
}
