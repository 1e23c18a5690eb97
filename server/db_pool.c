/* db_pool.c - non-blocking libpq connections driven by libevent (see db_pool.h).
 *
 * Each connection is one struct db_conn with an explicit state. Its socket is
 * watched by a one-shot event re-armed at every wait, because PQsocket() may
 * change while connecting. The pool hands idle connections to waiters from a
 * deferred "kick" event, so no callback ever runs inside the caller's frame. */
#include "db_pool.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

enum db_state {
	DB_DISCONNECTED, /* waiting for the reconnect timer */
	DB_RESOLVING,    /* looking up the server's address (evdns; libpq's own lookup would block) */
	DB_CONNECTING,   /* PQconnectPoll in progress */
	DB_SETUP,        /* session settings being applied */
	DB_IDLE,         /* in the pool */
	DB_LEASED,       /* owned by a request, no query running */
	DB_QUERY,        /* owned by a request, query running */
	DB_RESETTING,    /* released mid-transaction: ROLLBACK running */
};

static const char *const db_state_names[] = {"disconnected", "resolving", "connecting", "setup",
					     "idle",         "leased",    "query",      "resetting"};

struct db_conn {
	struct db_pool *pool;
	int index;
	enum db_state state;
	PGconn *pg;
	struct event *io;    /* one-shot, re-armed on the current socket */
	struct event *timer; /* reconnect backoff and connect deadline */
	int backoff_ms;
	bool flushing;     /* query sent but PQflush still has data */
	bool pending_fail; /* a send failed: report it from the loop */
	db_result_cb cb;
	void *cb_arg;
	PGresult *result; /* first result of the running query */
	struct evdns_getaddrinfo_request *dns_req;
	char error[512];
};

struct db_waiter {
	db_acquire_cb cb;
	void *arg;
};

struct db_pool {
	struct event_base *base;
	struct db_pool_settings s;
	char *dsn;
	char setup_sql[128];
	struct db_conn *conns;
	struct db_waiter *waiters; /* a ring buffer of queue_max */
	int w_head, w_count;
	struct event *kick;
	struct evdns_base *dns; /* only when the server is named by a host name */
	char *dns_host;
	bool ever_failed; /* a connection attempt failed since the last success */
	char last_error[600];
	struct db_pool_stats stats;
};

static void db_conn_connect(struct db_conn *dc);
static void db_conn_io(evutil_socket_t fd, short what, void *arg);
static void db_conn_broken(struct db_conn *dc, const char *why);

static void db_set_state(struct db_conn *dc, enum db_state st)
{
	if (dc->state != st)
		log_debug("db_state", "conn=%d from=%s to=%s", dc->index, db_state_names[dc->state],
			  db_state_names[st]);
	dc->state = st;
}

static void db_notice(void *arg, const PGresult *res)
{
	struct db_conn *dc = arg;
	log_debug("db_notice", "conn=%d message=%s", dc->index, log_q(PQresultErrorMessage(res)));
}

static void db_copy_error(char *dst, size_t n, const char *msg)
{
	snprintf(dst, n, "%s", msg && msg[0] ? msg : "connection lost");
	size_t len = strlen(dst);
	while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
		dst[--len] = '\0';
}

static void db_wait(struct db_conn *dc, short what)
{
	event_del(dc->io);
	event_assign(dc->io, dc->pool->base, PQsocket(dc->pg), what, db_conn_io, dc);
	event_add(dc->io, NULL);
}

static int db_count(const struct db_pool *p, bool (*pred)(enum db_state))
{
	int n = 0;
	for (int i = 0; i < p->s.size; i++)
		if (pred(p->conns[i].state))
			n++;
	return n;
}

static bool db_is_connected(enum db_state s)
{
	return s == DB_IDLE || s == DB_LEASED || s == DB_QUERY || s == DB_RESETTING;
}

static bool db_is_leased(enum db_state s)
{
	return s == DB_LEASED || s == DB_QUERY;
}

bool db_pool_up(const struct db_pool *p)
{
	return db_count(p, db_is_connected) > 0;
}

/* ---------------------------------------------------------------- waiters */

static void db_kick(struct db_pool *p)
{
	event_active(p->kick, EV_TIMEOUT, 0);
}

/* Hands idle connections to waiters, or fails them when the database is down. */
static void db_pool_dispatch(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct db_pool *p = arg;
	while (p->w_count > 0) {
		struct db_conn *idle = NULL;
		for (int i = 0; i < p->s.size && idle == NULL; i++)
			if (p->conns[i].state == DB_IDLE)
				idle = &p->conns[i];
		bool down = !db_pool_up(p) && p->ever_failed;
		if (idle == NULL && !down)
			return;
		struct db_waiter w = p->waiters[p->w_head];
		p->w_head = (p->w_head + 1) % p->s.queue_max;
		p->w_count--;
		if (idle) {
			db_set_state(idle, DB_LEASED);
			event_del(idle->io);
			w.cb(idle, false, NULL, w.arg);
		} else {
			p->stats.unavailable++;
			w.cb(NULL, false, p->last_error, w.arg);
		}
	}
}

/* Refuses one waiter from the loop: the queue was full when it asked. */
static void db_pool_refuse(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct db_waiter *w = arg;
	w->cb(NULL, true, "too many requests are waiting for the database", w->arg);
	free(w);
}

void db_pool_acquire(struct db_pool *p, db_acquire_cb cb, void *arg)
{
	if (p->w_count >= p->s.queue_max) {
		struct db_waiter *w = xmalloc(sizeof *w);
		w->cb = cb;
		w->arg = arg;
		if (event_base_once(p->base, -1, EV_TIMEOUT, db_pool_refuse, w, NULL) != 0) {
			free(w);
			cb(NULL, true, "too many requests are waiting for the database", arg);
		}
		return;
	}
	int tail = (p->w_head + p->w_count) % p->s.queue_max;
	p->waiters[tail].cb = cb;
	p->waiters[tail].arg = arg;
	p->w_count++;
	db_kick(p);
}

/* ---------------------------------------------------------------- connecting */

static void db_conn_schedule_reconnect(struct db_conn *dc)
{
	db_set_state(dc, DB_DISCONNECTED);
	if (dc->pg) {
		event_del(dc->io);
		PQfinish(dc->pg);
		dc->pg = NULL;
	}
	struct timeval tv = {dc->backoff_ms / 1000, (dc->backoff_ms % 1000) * 1000};
	evtimer_add(dc->timer, &tv);
	dc->backoff_ms *= 2;
	if (dc->backoff_ms > dc->pool->s.reconnect_max_ms)
		dc->backoff_ms = dc->pool->s.reconnect_max_ms;
}

/* A connection attempt failed, or an established connection broke. */
static void db_conn_broken(struct db_conn *dc, const char *why)
{
	struct db_pool *p = dc->pool;
	bool was_connected = db_is_connected(dc->state);
	if (why != dc->error)
		db_copy_error(dc->error, sizeof dc->error, why);
	snprintf(p->last_error, sizeof p->last_error, "database unavailable: %s", dc->error);
	if (was_connected)
		log_warn("db_disconnected", "conn=%d error=%s", dc->index, log_q(dc->error));
	else
		log_warn("db_connect_failed", "conn=%d error=%s retry_ms=%d", dc->index, log_q(dc->error),
			 dc->backoff_ms);
	p->stats.connection_failures++;
	p->ever_failed = true;

	db_result_cb cb = dc->state == DB_QUERY ? dc->cb : NULL;
	void *cb_arg = dc->cb_arg;
	bool leased = db_is_leased(dc->state);
	if (dc->result) {
		PQclear(dc->result);
		dc->result = NULL;
	}
	if (leased) {
		/* the request still owns it: tell it, and reconnect when it releases */
		db_set_state(dc, DB_LEASED);
		event_del(dc->io);
		evtimer_del(dc->timer);
		if (dc->pg)
			PQfinish(dc->pg);
		dc->pg = NULL;
		if (cb)
			cb(dc, NULL, dc->error, cb_arg);
	} else {
		evtimer_del(dc->timer);
		db_conn_schedule_reconnect(dc);
	}
	/* with nothing connected, waiters must hear it now rather than wait */
	db_kick(p);
}

static void db_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct db_conn *dc = arg;
	if (dc->state == DB_DISCONNECTED) {
		db_conn_connect(dc);
	} else if (dc->state == DB_RESOLVING) {
		struct evdns_getaddrinfo_request *r = dc->dns_req;
		dc->dns_req = NULL;
		if (r)
			evdns_getaddrinfo_cancel(r); /* its callback sees EVUTIL_EAI_CANCEL and does nothing */
		db_conn_broken(dc, "timed out looking up the database server's address");
	} else if (dc->state == DB_CONNECTING || dc->state == DB_SETUP) {
		db_conn_broken(dc, "timed out connecting to PostgreSQL");
	}
}

/* Starts libpq's connection. hostaddr (when not NULL) is the looked-up address
 * list, spared libpq's own blocking lookup; host repeats the name once per
 * address (libpq pairs them, and keeps the name for TLS verification). */
static void db_conn_start(struct db_conn *dc, const char *hostaddr, const char *host)
{
	struct db_pool *p = dc->pool;
	db_set_state(dc, DB_CONNECTING);
	const char *keys[] = {"dbname", hostaddr ? "hostaddr" : NULL, "host", NULL};
	const char *values[] = {p->dsn, hostaddr, host, NULL};
	dc->pg = PQconnectStartParams(keys, values, 1);
	if (dc->pg == NULL) {
		db_conn_broken(dc, "out of memory starting a connection");
		return;
	}
	if (PQstatus(dc->pg) == CONNECTION_BAD) {
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	PQsetNoticeReceiver(dc->pg, db_notice, dc);
	/* PQconnectStart behaves as if the last poll said "writing" */
	db_wait(dc, EV_WRITE);
}

static void db_conn_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct db_conn *dc = arg;
	if (result == EVUTIL_EAI_CANCEL)
		return; /* timed out or the pool is going away: already handled */
	dc->dns_req = NULL;
	if (result != 0 || ai == NULL) {
		char why[512];
		snprintf(why, sizeof why, "cannot look up %s: %s", dc->pool->dns_host, evutil_gai_strerror(result));
		if (ai)
			evutil_freeaddrinfo(ai);
		db_conn_broken(dc, why);
		return;
	}
	/* every address, so libpq tries the next when one refuses (localhost: ::1 and 127.0.0.1) */
	char addrs[8 * (INET6_ADDRSTRLEN + 1)] = "", hosts[8 * 256] = "";
	int n = 0;
	for (struct evutil_addrinfo *a = ai; a != NULL && n < 8; a = a->ai_next) {
		char ip[INET6_ADDRSTRLEN] = "";
		if (a->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr, ip, sizeof ip);
		else if (a->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, ip, sizeof ip);
		if (ip[0] == '\0' || strstr(addrs, ip) != NULL)
			continue;
		snprintf(addrs + strlen(addrs), sizeof addrs - strlen(addrs), "%s%s", n ? "," : "", ip);
		snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "%s%s", n ? "," : "", dc->pool->dns_host);
		n++;
	}
	evutil_freeaddrinfo(ai);
	log_debug("db_resolved", "conn=%d host=%s addr=%s", dc->index, dc->pool->dns_host, addrs);
	db_conn_start(dc, addrs, hosts);
}

static void db_conn_connect(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	struct timeval tv = {p->s.connect_timeout_ms / 1000, (p->s.connect_timeout_ms % 1000) * 1000};
	evtimer_add(dc->timer, &tv);
	if (p->dns == NULL) {
		db_conn_start(dc, NULL, NULL);
		return;
	}
	db_set_state(dc, DB_RESOLVING);
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* may answer at once (from /etc/hosts), calling db_conn_resolved before returning */
	struct evdns_getaddrinfo_request *r =
		evdns_getaddrinfo(p->dns, p->dns_host, NULL, &hints, db_conn_resolved, dc);
	if (dc->state == DB_RESOLVING && dc->dns_req == NULL)
		dc->dns_req = r;
}

/* Whether the DSN (or PGHOST) names the server by a host name that libpq would look up, blocking. */
static char *db_pool_host_to_resolve(const char *dsn)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &err);
	if (opts == NULL) {
		PQfreemem(err); /* the connection attempt reports the same error */
		return NULL;
	}
	const char *host = NULL, *hostaddr = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
	}
	if (host == NULL || host[0] == '\0')
		host = getenv("PGHOST");
	if (hostaddr == NULL || hostaddr[0] == '\0')
		hostaddr = getenv("PGHOSTADDR");
	char *name = NULL;
	unsigned char addr[sizeof(struct in6_addr)];
	if (host && host[0] && host[0] != '/' && host[0] != '@' && (hostaddr == NULL || hostaddr[0] == '\0') &&
	    strchr(host, ',') == NULL && inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)
		name = xstrdup(host);
	PQconninfoFree(opts);
	return name;
}

static void db_conn_poll_connect(struct db_conn *dc)
{
	switch (PQconnectPoll(dc->pg)) {
	case PGRES_POLLING_READING:
		db_wait(dc, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		db_wait(dc, EV_WRITE);
		return;
	case PGRES_POLLING_FAILED:
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		db_wait(dc, EV_READ | EV_WRITE);
		return;
	}
	if (PQsetnonblocking(dc->pg, 1) != 0) {
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	db_set_state(dc, DB_SETUP);
	if (PQsendQuery(dc->pg, dc->pool->setup_sql) != 1) {
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	dc->flushing = true;
	db_conn_io(PQsocket(dc->pg), EV_WRITE, dc);
}

/* ---------------------------------------------------------------- queries */

static void db_conn_ready(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	evtimer_del(dc->timer);
	dc->backoff_ms = 100;
	if (p->ever_failed || !db_pool_up(p))
		log_info("db_connected", "conn=%d server_version=%d", dc->index, PQserverVersion(dc->pg));
	db_set_state(dc, DB_IDLE);
	if (db_count(p, db_is_connected) == p->s.size)
		p->ever_failed = false;
	/* watch idle connections too: a server that goes away is noticed at once */
	db_wait(dc, EV_READ);
	db_kick(p);
}

/* A statement finished (all results read). */
static void db_conn_complete(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	PGresult *res = dc->result;
	dc->result = NULL;
	switch (dc->state) {
	case DB_SETUP:
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			char why[512];
			db_copy_error(why, sizeof why, PQresultErrorMessage(res));
			PQclear(res);
			db_conn_broken(dc, why);
			return;
		}
		PQclear(res);
		db_conn_ready(dc);
		return;
	case DB_RESETTING:
		PQclear(res);
		db_conn_ready(dc);
		return;
	case DB_QUERY: {
		ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			p->stats.query_errors++;
		db_set_state(dc, DB_LEASED);
		event_del(dc->io);
		db_result_cb cb = dc->cb;
		dc->cb = NULL;
		/* the callback may query again or release; dc is not touched after it */
		cb(dc, res, res ? NULL : "no result", dc->cb_arg);
		PQclear(res);
		return;
	}
	default:
		PQclear(res);
		return;
	}
}

static void db_conn_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct db_conn *dc = arg;
	if (dc->pending_fail) {
		dc->pending_fail = false;
		db_conn_broken(dc, dc->error);
		return;
	}
	if (dc->state == DB_CONNECTING) {
		db_conn_poll_connect(dc);
		return;
	}
	if (dc->pg == NULL)
		return;
	if (dc->state == DB_IDLE || dc->state == DB_LEASED) {
		/* nothing is expected: the server closed, or sent a notice */
		if (PQconsumeInput(dc->pg) != 1 || PQstatus(dc->pg) == CONNECTION_BAD) {
			db_conn_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
		if (dc->state == DB_IDLE)
			db_wait(dc, EV_READ);
		return;
	}
	if (what & EV_READ) {
		if (PQconsumeInput(dc->pg) != 1) {
			db_conn_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
	}
	if (dc->flushing) {
		int f = PQflush(dc->pg);
		if (f < 0) {
			db_conn_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
		if (f == 1) {
			/* the server may be blocked writing to us: read while we write */
			db_wait(dc, EV_READ | EV_WRITE);
			return;
		}
		dc->flushing = false;
	}
	while (!PQisBusy(dc->pg)) {
		PGresult *r = PQgetResult(dc->pg);
		if (r == NULL) {
			db_conn_complete(dc);
			return;
		}
		if (dc->result == NULL)
			dc->result = r;
		else
			PQclear(r);
	}
	db_wait(dc, EV_READ);
}

bool db_query(struct db_conn *dc, const char *sql, int nparams, const char *const *params, db_result_cb cb, void *arg)
{
	if (dc->state != DB_LEASED)
		return false;
	struct db_pool *p = dc->pool;
	p->stats.queries++;
	dc->cb = cb;
	dc->cb_arg = arg;
	db_set_state(dc, DB_QUERY);
	if (dc->pg == NULL || PQsendQueryParams(dc->pg, sql, nparams, NULL, params, NULL, NULL, 0) != 1) {
		/* report it from the loop like any other failure, never inside the caller */
		if (dc->pg)
			db_copy_error(dc->error, sizeof dc->error, PQerrorMessage(dc->pg));
		else if (dc->error[0] == '\0')
			db_copy_error(dc->error, sizeof dc->error, "connection lost");
		dc->pending_fail = true;
		event_del(dc->io);
		event_assign(dc->io, p->base, -1, 0, db_conn_io, dc);
		event_active(dc->io, EV_TIMEOUT, 0);
		return true;
	}
	dc->flushing = true;
	db_wait(dc, EV_READ | EV_WRITE);
	return true;
}

void db_release(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	if (dc->pg == NULL || PQstatus(dc->pg) != CONNECTION_OK) {
		evtimer_del(dc->timer);
		db_conn_schedule_reconnect(dc);
		db_kick(p);
		return;
	}
	PGTransactionStatusType ts = PQtransactionStatus(dc->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		db_set_state(dc, DB_RESETTING);
		if (PQsendQuery(dc->pg, "ROLLBACK") != 1) {
			db_conn_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
		dc->flushing = true;
		db_wait(dc, EV_READ | EV_WRITE);
		return;
	}
	db_set_state(dc, DB_IDLE);
	db_wait(dc, EV_READ);
	db_kick(p);
}

/* ---------------------------------------------------------------- pool */

struct db_pool *db_pool_new(struct event_base *base, const struct db_pool_settings *s)
{
	struct db_pool *p = xcalloc(1, sizeof *p);
	p->base = base;
	p->s = *s;
	p->dsn = xstrdup(s->dsn ? s->dsn : "");
	p->s.dsn = p->dsn;
	snprintf(p->setup_sql, sizeof p->setup_sql, "SET statement_timeout = %d; SET application_name = 'planregd'",
		 s->statement_timeout_ms);
	p->conns = xcalloc((size_t)s->size, sizeof *p->conns);
	p->waiters = xcalloc((size_t)s->queue_max, sizeof *p->waiters);
	p->kick = event_new(base, -1, 0, db_pool_dispatch, p);
	p->dns_host = db_pool_host_to_resolve(p->dsn);
	if (p->dns_host) {
		/* reads resolv.conf and /etc/hosts now, at start, not in the loop */
		p->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (p->dns)
			evdns_base_load_hosts(p->dns, "/etc/hosts");
		log_info("db_resolver", "host=%s resolver=%s", p->dns_host, p->dns ? "evdns" : "unavailable");
	}
	snprintf(p->last_error, sizeof p->last_error, "database unavailable: not connected yet");
	for (int i = 0; i < s->size; i++) {
		struct db_conn *dc = &p->conns[i];
		dc->pool = p;
		dc->index = i;
		dc->backoff_ms = 100;
		dc->io = event_new(base, -1, 0, db_conn_io, dc);
		dc->timer = evtimer_new(base, db_conn_timer, dc);
		db_conn_connect(dc);
	}
	return p;
}

void db_pool_free(struct db_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->s.size; i++) {
		struct db_conn *dc = &p->conns[i];
		if (dc->dns_req) {
			struct evdns_getaddrinfo_request *r = dc->dns_req;
			dc->dns_req = NULL;
			evdns_getaddrinfo_cancel(r);
		}
		event_free(dc->io);
		event_free(dc->timer);
		if (dc->result)
			PQclear(dc->result);
		if (dc->pg)
			PQfinish(dc->pg);
	}
	event_free(p->kick);
	if (p->dns)
		evdns_base_free(p->dns, 0);
	free(p->dns_host);
	free(p->conns);
	free(p->waiters);
	free(p->dsn);
	free(p);
}

void db_pool_get_stats(const struct db_pool *p, struct db_pool_stats *out)
{
	*out = p->stats;
	out->size = p->s.size;
	out->connected = db_count(p, db_is_connected);
	out->leased = db_count(p, db_is_leased);
	out->waiting = p->w_count;
}
