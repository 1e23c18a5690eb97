/* serve.c - `planregd serve`: builds the server (TLS context, database pool,
 * listeners, signals), runs the loop, and drains on SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admission.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "main.h"
#include "notify.h"
#include "reply.h"
#include "route.h"
#include "rpc.h"
#include "server.h"
#include "session.h"
#include "tls.h"
#include "xmalloc.h"

#define SERVE_ACCEPT_PAUSE_MS 1000
/* how often a starting daemon looks whether the pool has connected, to say it is ready */
#define SERVE_READY_CHECK_MS 25

/* Readiness as a service manager sees it (notify.h). File state: one server per process. */
static struct {
	struct event *check; /* polls until the pool has connected; freed with the server */
	bool ready;          /* READY=1 was sent: the listeners are up and PostgreSQL answered */
} serve_readiness;

/* One message to the service manager (notify.h); a failure is logged, never fatal. */
static void serve_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void serve_notify(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *err = NULL;
	if (!notify_send(msg, &err)) {
		log_warn("notify_failed", "error=%s", log_q(err));
		free(err);
	}
	free(msg);
}

/* Ready once the listeners are up (before the loop starts) and the pool has a connection. */
static void serve_ready_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *srv = arg;
	if (srv->state != SERVER_RUNNING) {
		event_del(serve_readiness.check); /* stopping before it was ever ready */
		return;
	}
	if (!db_pool_up(srv->pool))
		return;
	event_del(serve_readiness.check);
	serve_readiness.ready = true;
	log_info("ready", "addr=%s port=%d", srv->cfg->listen_addr, srv->port);
	serve_notify("READY=1\nSTATUS=serving on %s:%d", srv->cfg->listen_addr, srv->port);
}

static void serve_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)salen;
	struct server *srv = arg;
	char peer[64];
	proxy_format_peer(sa, peer, sizeof peer);
	evutil_make_socket_nonblocking(fd);
	if (proxy_trusted(&srv->trusted_proxies, sa))
		proxy_accept(&srv->proxies, fd, sa, peer); /* admitted once its header names the client */
	else
		conn_accept(&srv->conns, fd, sa, peer);
}

/* A trusted proxy's connection named its client: admitted as the client's. */
static void serve_proxied(void *arg, int fd, const struct sockaddr *sa, const char *peer)
{
	struct server *srv = arg;
	conn_accept(&srv->conns, fd, sa, peer);
}

/* accept() failed (out of descriptors): libevent 2.1 would retry in a tight loop, so pause. */
static void serve_accept_error(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	int e = EVUTIL_SOCKET_ERROR();
	log_warn("accept_failed", "error=%s pause_ms=%d", log_q(evutil_socket_error_to_string(e)),
		 SERVE_ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	struct timeval tv = {SERVE_ACCEPT_PAUSE_MS / 1000, 0};
	evtimer_add(srv->accept_resume, &tv);
}

static void serve_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *srv = arg;
	if (srv->state == SERVER_RUNNING && srv->listener)
		evconnlistener_enable(srv->listener);
}

/* A connection was freed: a draining server is done once the last one is. */
static void serve_conn_gone(struct conn_table *tab)
{
	struct server *srv = tab->owner;
	if (srv->state == SERVER_DRAINING && LIST_EMPTY(&srv->conns.all)) {
		log_info("drained", "connections=0");
		event_base_loopexit(srv->base, NULL);
	}
}

static void serve_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct server *srv = arg;
	log_warn("drain_timeout", "connections=%u", srv->conns.n);
	event_base_loopexit(srv->base, NULL);
}

static void serve_begin_drain(struct server *srv, const char *why)
{
	if (srv->state == SERVER_DRAINING) {
		log_warn("shutdown_now", "reason=%s", log_q(why));
		event_base_loopbreak(srv->base);
		return;
	}
	srv->state = SERVER_DRAINING;
	serve_notify("STOPPING=1\nSTATUS=draining %u connections", srv->conns.n);
	log_info("draining", "reason=%s connections=%u drain_timeout_ms=%d", log_q(why), srv->conns.n,
		 srv->cfg->drain_timeout_ms);
	/* close the listening socket, not just stop accepting: otherwise the kernel
	 * keeps completing handshakes into the backlog and new clients hang */
	evconnlistener_free(srv->listener);
	srv->listener = NULL;
	struct conn *c, *next;
	for (c = LIST_FIRST(&srv->conns.all); c != NULL; c = next) {
		next = LIST_NEXT(c, link);
		conn_drain(c);
	}
	struct timeval tv = {srv->cfg->drain_timeout_ms / 1000, (srv->cfg->drain_timeout_ms % 1000) * 1000};
	evtimer_add(srv->drain_deadline, &tv);
	if (LIST_EMPTY(&srv->conns.all))
		event_base_loopexit(srv->base, NULL);
}

/* SIGHUP: the config file and environment again; only the reloadable keys take effect. */
static bool serve_reload(struct server *srv, char **err)
{
	struct config next;
	if (!config_load(&next, srv->config_file, err)) {
		log_error("reload_failed", "error=%s", log_q(*err));
		config_free(&next);
		return false;
	}
	SSL_CTX *ctx = tls_server_ctx_new(next.tls_cert, next.tls_key, next.tls_ca, err);
	if (ctx == NULL) {
		log_error("reload_failed", "error=%s keeping=previous_tls", log_q(*err));
		config_free(&next);
		return false;
	}
	/* connections made before keep the old context through their SSL's reference */
	SSL_CTX_free(srv->conns.ssl_ctx);
	srv->conns.ssl_ctx = ctx;
	config_apply_reloadable(srv->cfg, &next);
	enum log_level level;
	if (log_parse_level(srv->cfg->log_level, &level))
		log_set_level(level);
	config_free(&next);
	log_info("reloaded", "tls_cert=%s tls_ca=%s log_level=%s", log_q(srv->cfg->tls_cert), log_q(srv->cfg->tls_ca),
		 srv->cfg->log_level);
	return true;
}

/* A reload as the service manager sees it: RELOADING=1, then READY=1 again whether or not
 * it worked (a failed reload keeps the previous settings, still serving). Before the daemon
 * is ready it says nothing, so that the reload does not announce readiness early. */
static void serve_hup(struct server *srv)
{
	bool tell = serve_readiness.ready && srv->state == SERVER_RUNNING;
	if (tell)
		serve_notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading", notify_monotonic_usec());
	char *err = NULL;
	bool ok = serve_reload(srv, &err);
	/* one line: a newline would start another VAR=value of the message */
	for (char *p = err; p && *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (tell && ok)
		serve_notify("READY=1\nSTATUS=serving on %s:%d", srv->cfg->listen_addr, srv->port);
	else if (tell)
		serve_notify("READY=1\nSTATUS=serving on %s:%d; the last reload failed: %s", srv->cfg->listen_addr,
			     srv->port, err);
	free(err);
}

static void serve_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct server *srv = arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		serve_begin_drain(srv, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	case SIGQUIT:
		serve_notify("STOPPING=1");
		log_warn("shutdown_now", "reason=SIGQUIT");
		event_base_loopbreak(srv->base);
		break;
	case SIGHUP:
		serve_hup(srv);
		break;
	}
}

static bool serve_listen(struct server *srv, char **err)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, srv->cfg->listen_addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)srv->cfg->listen_port);
		sl = sizeof *sin;
	} else if (inet_pton(AF_INET6, srv->cfg->listen_addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)srv->cfg->listen_port);
		sl = sizeof *sin6;
	} else {
		*err = xasprintf("listen_addr \"%s\" is not an IPv4 or IPv6 address", srv->cfg->listen_addr);
		return false;
	}
	srv->listener = evconnlistener_new_bind(srv->base, serve_accept, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
						512, (struct sockaddr *)&ss, (int)sl);
	if (srv->listener == NULL) {
		*err = xasprintf("cannot listen on %s:%d: %s", srv->cfg->listen_addr, srv->cfg->listen_port,
				 strerror(errno));
		return false;
	}
	evconnlistener_set_error_cb(srv->listener, serve_accept_error);
	sl = sizeof ss;
	getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&ss, &sl);
	srv->port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	log_info("listening", "addr=%s port=%d alpn=planreg/1", srv->cfg->listen_addr, srv->port);
	return true;
}

static void serve_write_pid(const char *path)
{
	if (path[0] == '\0')
		return;
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		log_warn("pid_file_failed", "path=%s error=%s", log_q(path), log_q(strerror(errno)));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

static void serve_free(struct server *srv)
{
	/* connections still open after a hard stop: free them so the process exits clean */
	conn_table_free(&srv->conns);
	proxy_waits_free(&srv->proxies);
	http_stop(srv);
	if (srv->listener)
		evconnlistener_free(srv->listener);
	db_listener_free(srv->cred_listener);
	route_stop(srv); /* the replica pool */
	joining_stop(srv);
	db_pool_free(srv->pool);
	struct event *evs[] = {srv->sig_term, srv->sig_int,        srv->sig_hup,
			       srv->sig_quit, srv->drain_deadline, srv->accept_resume};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	if (serve_readiness.check)
		event_free(serve_readiness.check);
	serve_readiness.check = NULL;
	serve_readiness.ready = false;
	if (srv->conns.ssl_ctx)
		SSL_CTX_free(srv->conns.ssl_ctx);
	event_base_free(srv->base);
}

/* How the connection layer calls up into the rest of the daemon. */
static const struct conn_hooks serve_conn_hooks = {
	.authenticate = session_authenticate,
	.admit = rpc_admit,
	.dispatch = rpc_dispatch,
	.refuse = reply_refuse,
	.connection_error = reply_connection_error,
	.kind_doing = rpc_kind_doing,
	.gone = serve_conn_gone,
};

/* The verifiable log's key and the last checkpoint signed (handlers/log_sign.c). */
static bool serve_open_log(struct server *srv, char **err)
{
	if (!log_signer_open(&srv->log_signer, srv->cfg, err))
		return false;
	if (!log_signer_start(&srv->log_signer, srv->base, err))
		return false;
	if (!srv->log_signer.enabled)
		log_warn("log_not_signed", "log_key is not set: the log is kept, but no checkpoint is signed");
	else
		log_info("log_key", "origin=%s size=%llu", srv->log_signer.origin,
			 (unsigned long long)srv->log_signer.size);
	return true;
}

int main_serve(struct config *cfg, const char *config_file, char **err)
{
	signal(SIGPIPE, SIG_IGN);
	struct server srv;
	memset(&srv, 0, sizeof srv);
	srv.cfg = cfg;
	srv.config_file = config_file;
	srv.base = event_base_new();
	if (srv.base == NULL) {
		*err = xstrdup("cannot create the event loop");
		return 1;
	}
	int rc = 1;
	conn_table_init(&srv.conns, srv.base, cfg, &serve_conn_hooks, &srv);
	proxy_waits_init(&srv.proxies, srv.base, cfg, serve_proxied, &srv);
	if (!proxy_trust_parse(cfg->trusted_proxies, &srv.trusted_proxies, err))
		goto out;
	if (!serve_open_log(&srv, err))
		goto out;
	srv.conns.ssl_ctx = tls_server_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_ca, err);
	if (srv.conns.ssl_ctx == NULL)
		goto out;
	struct db_pool_settings ps;
	config_pool_settings(cfg, cfg->db_dsn, cfg->db_pool_size, &ps);
	srv.pool = db_pool_new(srv.base, &ps);
	route_start(&srv); /* the replica pool for reads, when read_db_dsn is set */
	/* revocations reach the connections that cache their principal (session.c) */
	srv.cred_listener = db_listener_new(srv.pool, SESSION_CREDENTIAL_CHANNEL, session_credential_notice, &srv);
	srv.accept_resume = evtimer_new(srv.base, serve_accept_resume, &srv);
	srv.drain_deadline = evtimer_new(srv.base, serve_drain_deadline, &srv);
	if (!serve_listen(&srv, err) || !http_start(&srv, err) || !joining_start(&srv, err))
		goto out;
	srv.sig_term = evsignal_new(srv.base, SIGTERM, serve_signal, &srv);
	srv.sig_int = evsignal_new(srv.base, SIGINT, serve_signal, &srv);
	srv.sig_hup = evsignal_new(srv.base, SIGHUP, serve_signal, &srv);
	srv.sig_quit = evsignal_new(srv.base, SIGQUIT, serve_signal, &srv);
	evsignal_add(srv.sig_term, NULL);
	evsignal_add(srv.sig_int, NULL);
	evsignal_add(srv.sig_hup, NULL);
	evsignal_add(srv.sig_quit, NULL);
	serve_write_pid(cfg->pid_file);
	serve_readiness.check = event_new(srv.base, -1, EV_PERSIST, serve_ready_check, &srv);
	struct timeval every = {0, SERVE_READY_CHECK_MS * 1000};
	event_add(serve_readiness.check, &every);
	serve_notify("STATUS=waiting for PostgreSQL");
	log_info("started",
		 "version=%s pid=%ld db_pool_size=%d max_inflight_per_conn=%d max_connections=%d "
		 "unauthenticated_limit=%u max_connections_per_addr=%d max_request_bytes=%d decode_budget_bytes=%d",
		 PLANREG_VERSION, (long)getpid(), cfg->db_pool_size, cfg->max_inflight_per_conn, cfg->max_connections,
		 admission_unauth_limit(cfg), cfg->max_connections_per_addr, cfg->max_request_bytes,
		 cfg->decode_budget_bytes);

	event_base_dispatch(srv.base);
	log_info("stopped", "requests=%llu", (unsigned long long)srv.metrics.requests);
	rc = 0;
out:
	if (cfg->pid_file[0] && rc == 0)
		unlink(cfg->pid_file);
	serve_free(&srv);
	log_signer_close(&srv.log_signer);
	return rc;
}
