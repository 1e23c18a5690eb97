/* db_pool.c - non-blocking libpq connections driven by libevent (see db_pool.h).
 *
 * Each connection is one struct db_conn with an explicit state. Its socket is
 * watched by a one-shot event re-armed at every wait, because PQsocket() may
 * change while connecting. The pool hands idle connections to waiters from a
 * deferred "kick" event, so no callback ever runs inside the caller's frame.
 *
 * Nothing waits on the server unbounded. Each connection's timer is, by state:
 * the reconnect pause (disconnected), the connect deadline (resolving,
 * connecting, setup) or the answer deadline (query, ping, resetting). A missed
 * answer deadline closes the connection with PQfinish (it sends Terminate
 * without waiting and closes the socket; PQcancel would block) and a new one
 * is started. One pool timer bounds how long requests wait for a connection;
 * another pings an idle connection when nothing has answered for a while. */
#include "db_pool.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xmalloc.h"

enum db_state {
	DB_DISCONNECTED, /* waiting for the reconnect timer */
	DB_RESOLVING,    /* looking up the server's address (evdns; libpq's own lookup would block) */
	DB_CONNECTING,   /* PQconnectPoll in progress */
	DB_SETUP,        /* session settings being applied */
	DB_IDLE,         /* in the pool */
	DB_PING,         /* in the pool, SELECT 1 running to see that the server answers */
	DB_LEASED,       /* owned by a request, no query running */
	DB_QUERY,        /* owned by a request, query running */
	DB_RESETTING,    /* released mid-transaction: ROLLBACK running */
};

static const char *const db_state_names[] = {"disconnected", "resolving", "connecting", "setup",    "idle",
					     "ping",         "leased",    "query",      "resetting"};

/* An idle pool asks SELECT 1 when nothing answered for this long (or half the query deadline). */
#define DB_PING_INTERVAL_MS 2000
#define DB_TICK_MS 250
/* Connection 0 retries at least this often, so a returning server is used within about a second:
 * one cheap attempt (a refused connect) every 250-500 ms while the server is away. */
#define DB_SCOUT_MAX_MS 500
/* The server abandons a query whose client went away after at most this long (PostgreSQL 14+). */
#define DB_CLIENT_CHECK_MS 1000
#define DB_TCP_OPTS 5
/* Statements prepared per connection at most; further ones run unnamed (never evicted: the
 * handlers' statements are a fixed set of constants). */
#define DB_PREPARED_MAX 128

/* One statement prepared on a connection's session, named "s<its position>". */
struct db_prepared {
	uint64_t hash; /* FNV-1a of the text */
	char *sql;
};

struct db_conn {
	struct db_pool *pool;
	int index;
	enum db_state state;
	PGconn *pg;
	struct event *io;    /* one-shot, re-armed on the current socket */
	struct event *timer; /* reconnect pause, connect deadline or answer deadline (see the top) */
	int backoff_ms;      /* the next reconnect pause before jitter */
	int64_t sent_ms;     /* when the running query, ping or rollback was sent */
	int64_t used_ms;     /* when it last answered: the least recently used idle one is pinged */
	bool flushing;       /* query sent but PQflush still has data */
	bool pending_fail;   /* a send failed: report it from the loop */
	db_result_cb cb;
	void *cb_arg;
	PGresult *result; /* first result of the running query */
	struct evdns_getaddrinfo_request *dns_req;
	/* Statements prepared on this session (emptied when a new session starts). While a
	 * statement is being prepared, its text and a copy of its parameters wait here for
	 * the execution that follows: the caller's arrays are gone by then. */
	struct db_prepared *prepared;
	int n_prepared;
	bool preparing;
	uint64_t prep_hash;
	char *prep_sql;
	int prep_nparams;
	char **prep_params; /* one block: the pointers, then the strings */
	uint64_t seen_lsn;  /* db_conn_seen_lsn: reset with the session */
	char error[512];
};

struct db_waiter {
	db_acquire_cb cb;
	void *arg;
	int64_t since_ms;
};

struct db_pool {
	struct event_base *base;
	struct db_pool_settings s;
	char *dsn;
	char setup_sql[256];
	struct db_conn *conns;
	struct db_waiter *waiters; /* a ring buffer of queue_max, oldest first */
	int w_head, w_count;
	struct event *kick;
	struct event *acquire_timer; /* due when the oldest waiter's acquire deadline passes */
	struct event *tick;          /* persistent: pings an idle connection when nothing answered lately */
	int ping_interval_ms;
	int64_t last_answer_ms; /* when any connection last got an answer from the server */
	bool stalled;           /* an answer deadline passed with nothing answered since it was sent */
	const char *tcp_keys[DB_TCP_OPTS + 1];
	char tcp_values[DB_TCP_OPTS][16];
	int n_tcp;
	struct evdns_base *dns; /* only when the server is named by a host name */
	char *dns_host;
	bool ever_failed; /* a connection attempt failed since the last success */
	char last_error[600];
	struct db_pool_stats stats;
};

static void db_conn_connect(struct db_conn *dc);
static void db_conn_io(evutil_socket_t fd, short what, void *arg);
static void db_conn_broken(struct db_conn *dc, const char *why);
static void db_conn_prepared(struct db_conn *dc);
static void db_conn_sent(struct db_conn *dc);

static int64_t db_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval db_tv(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

/* A pause of ms with "equal jitter": somewhere in [ms/2, ms], so that connections
 * (and daemons) that lost the server together do not come back in step. */
static int db_jitter(int ms)
{
	uint32_t r;
	evutil_secure_rng_get_bytes(&r, sizeof r);
	int half = ms / 2;
	return half + (int)(r % (uint32_t)(ms - half + 1));
}

static void db_set_state(struct db_conn *dc, enum db_state st)
{
	/* pings come and go every couple of seconds: not worth a line each */
	if (dc->state != st && st != DB_PING && dc->state != DB_PING)
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

/* What PQconnectPoll's answer asks for: the events to wait for, 0 once connected, -1 when it failed. */
static int db_connect_events(PostgresPollingStatusType st)
{
	switch (st) {
	case PGRES_POLLING_READING:
		return EV_READ;
	case PGRES_POLLING_WRITING:
		return EV_WRITE;
	case PGRES_POLLING_FAILED:
		return -1;
	case PGRES_POLLING_OK:
		return 0;
	default:
		return EV_READ | EV_WRITE;
	}
}

/* What one turn of db_pump found. */
enum db_pump_result {
	DB_PUMP_FAILED,  /* reading or sending failed: PQerrorMessage says why */
	DB_PUMP_SENDING, /* output is still queued: wait to write, and to read */
	DB_PUMP_BUSY,    /* a result is still on its way: wait to read */
	DB_PUMP_DONE,    /* every result has been read (PQgetResult said NULL) */
	DB_PUMP_STOPPED, /* take returned false: it has dealt with the connection */
};

/*
 * One turn of libpq's input and output on pg, whose socket reported what: reads what arrived,
 * sends what is still queued (while *flushing), then hands each complete result to take, which
 * owns it, until none is ready or take returns false. The pool's connections and the listener
 * both run on it.
 */
static enum db_pump_result db_pump(PGconn *pg, short what, bool *flushing, bool (*take)(void *arg, PGresult *r),
				   void *arg)
{
	if ((what & EV_READ) && PQconsumeInput(pg) != 1)
		return DB_PUMP_FAILED;
	if (*flushing) {
		int f = PQflush(pg);
		if (f < 0)
			return DB_PUMP_FAILED;
		if (f == 1)
			return DB_PUMP_SENDING;
		*flushing = false;
	}
	while (!PQisBusy(pg)) {
		PGresult *r = PQgetResult(pg);
		if (r == NULL)
			return DB_PUMP_DONE;
		if (!take(arg, r))
			return DB_PUMP_STOPPED;
	}
	return DB_PUMP_BUSY;
}

/* ---------------------------------------------------------------- prepared statements */

static uint64_t db_sql_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *c = (const unsigned char *)sql; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return h;
}

/* The position (and name suffix) of sql among dc's prepared statements, or -1. */
static int db_prepared_find(const struct db_conn *dc, const char *sql, uint64_t hash)
{
	for (int i = 0; i < dc->n_prepared; i++)
		if (dc->prepared[i].hash == hash && strcmp(dc->prepared[i].sql, sql) == 0)
			return i;
	return -1;
}

/* Forgets a preparation in flight (finished, failed, or its session gone). */
static void db_prepare_drop(struct db_conn *dc)
{
	free(dc->prep_sql);
	free(dc->prep_params);
	dc->prep_sql = NULL;
	dc->prep_params = NULL;
	dc->prep_nparams = 0;
	dc->preparing = false;
}

/* A new session (or none): nothing is prepared on it. */
static void db_prepared_clear(struct db_conn *dc)
{
	db_prepare_drop(dc);
	for (int i = 0; i < dc->n_prepared; i++)
		free(dc->prepared[i].sql);
	dc->n_prepared = 0;
}

/* Copies params into one block that outlives the caller's frame. */
static char **db_params_copy(int n, const char *const *params)
{
	size_t size = (size_t)n * sizeof(char *);
	for (int i = 0; i < n; i++)
		if (params[i])
			size += strlen(params[i]) + 1;
	char **out = xmalloc(size > 0 ? size : 1);
	char *at = (char *)(out + n);
	for (int i = 0; i < n; i++) {
		if (params[i] == NULL) {
			out[i] = NULL;
			continue;
		}
		size_t len = strlen(params[i]) + 1;
		memcpy(at, params[i], len);
		out[i] = at;
		at += len;
	}
	return out;
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
	return s == DB_IDLE || s == DB_PING || s == DB_LEASED || s == DB_QUERY || s == DB_RESETTING;
}

static bool db_is_leased(enum db_state s)
{
	return s == DB_LEASED || s == DB_QUERY;
}

bool db_pool_up(const struct db_pool *p)
{
	return db_count(p, db_is_connected) > 0;
}

bool db_pool_healthy(const struct db_pool *p)
{
	return db_pool_up(p) && !p->stalled;
}

/* The server said something on dc: the pool is not stalled. */
static void db_conn_answered(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	int64_t now = db_now_ms();
	dc->used_ms = now;
	if (p->stalled) {
		p->stalled = false;
		log_info("db_answering", "conn=%d silent_ms=%lld", dc->index, (long long)(now - p->last_answer_ms));
	}
	p->last_answer_ms = now;
}

/* Requests fail at once rather than queue: connections failed and none is up, or the server is silent. */
static bool db_pool_down(const struct db_pool *p)
{
	return p->stalled || (!db_pool_up(p) && p->ever_failed);
}

static const char *db_pool_down_reason(struct db_pool *p, char *buf, size_t n)
{
	if (!p->stalled)
		return p->last_error;
	snprintf(buf, n, "the database did not answer within %d ms", p->s.query_timeout_ms);
	return buf;
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
		bool down = db_pool_down(p);
		if (idle == NULL && !down)
			return;
		struct db_waiter w = p->waiters[p->w_head];
		p->w_head = (p->w_head + 1) % p->s.queue_max;
		p->w_count--;
		if (down) {
			char why[128];
			p->stats.unavailable++;
			w.cb(NULL, false, db_pool_down_reason(p, why, sizeof why), w.arg);
		} else {
			db_set_state(idle, DB_LEASED);
			event_del(idle->io);
			w.cb(idle, false, NULL, w.arg);
		}
	}
}

/*
 * Refuses the waiters whose acquire deadline passed. RESOURCE_EXHAUSTED when the
 * server answered other requests while this one waited (the pool is healthy
 * but saturated), UNAVAILABLE when it did not (a silent server holds every
 * connection): the first asks for less load, the second for a retry later.
 */
static void db_pool_acquire_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct db_pool *p = arg;
	int64_t now = db_now_ms();
	while (p->w_count > 0) {
		struct db_waiter w = p->waiters[p->w_head];
		int64_t due = w.since_ms + p->s.acquire_timeout_ms;
		if (due > now) {
			struct timeval tv = db_tv(due - now);
			evtimer_add(p->acquire_timer, &tv);
			return;
		}
		p->w_head = (p->w_head + 1) % p->s.queue_max;
		p->w_count--;
		p->stats.acquire_timeouts++;
		char buf[160];
		const char *why = buf;
		bool busy = !db_pool_down(p) && p->last_answer_ms >= w.since_ms;
		if (busy)
			snprintf(buf, sizeof buf, "no database connection became free within %d ms",
				 p->s.acquire_timeout_ms);
		else if (db_pool_down(p) || !db_pool_up(p))
			why = db_pool_down_reason(p, buf, sizeof buf); /* not connected yet, or failing */
		else
			snprintf(buf, sizeof buf, "the database did not answer within %d ms", p->s.acquire_timeout_ms);
		log_warn("db_acquire_timeout", "waited_ms=%lld busy=%s waiting=%d", (long long)(now - w.since_ms),
			 busy ? "yes" : "no", p->w_count);
		if (!busy)
			p->stats.unavailable++;
		/* the callback may ask again: the loop re-reads the queue */
		w.cb(NULL, busy, why, w.arg);
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
	p->waiters[tail].since_ms = db_now_ms();
	p->w_count++;
	if (!evtimer_pending(p->acquire_timer, NULL)) {
		struct timeval tv = db_tv(p->s.acquire_timeout_ms);
		evtimer_add(p->acquire_timer, &tv);
	}
	db_kick(p);
}

/* ---------------------------------------------------------------- connecting */

/* The longest reconnect pause of dc. Connection 0 is the scout: it keeps trying
 * every DB_SCOUT_MAX_MS at most, so that a returning server is found quickly,
 * while the others back off to reconnect_max_ms and are woken when it gets in. */
static int db_conn_backoff_cap(const struct db_conn *dc)
{
	int cap = dc->pool->s.reconnect_max_ms;
	if (dc->index == 0 && cap > DB_SCOUT_MAX_MS)
		cap = DB_SCOUT_MAX_MS;
	return cap;
}

/* Closes dc (if open) and starts the reconnect pause; returns the pause in ms. */
static int db_conn_schedule_reconnect(struct db_conn *dc)
{
	db_set_state(dc, DB_DISCONNECTED);
	if (dc->pg) {
		event_del(dc->io);
		PQfinish(dc->pg);
		dc->pg = NULL;
	}
	dc->flushing = false;
	int pause = db_jitter(dc->backoff_ms);
	struct timeval tv = db_tv(pause);
	evtimer_add(dc->timer, &tv);
	int cap = db_conn_backoff_cap(dc);
	dc->backoff_ms = dc->backoff_ms > cap / 2 ? cap : dc->backoff_ms * 2;
	return pause;
}

/* Closes the session of dc, which a request holds, and tells the request when a statement was running (cb
 * not NULL); dc is replaced when the request releases it. */
static void db_conn_drop_leased(struct db_conn *dc, db_result_cb cb, void *cb_arg)
{
	db_set_state(dc, DB_LEASED);
	event_del(dc->io);
	if (dc->pg)
		PQfinish(dc->pg);
	dc->pg = NULL;
	dc->flushing = false;
	dc->cb = NULL;
	if (cb)
		cb(dc, NULL, dc->error, cb_arg);
}

/* A connection attempt failed, or an established connection broke. */
static void db_conn_broken(struct db_conn *dc, const char *why)
{
	struct db_pool *p = dc->pool;
	bool was_connected = db_is_connected(dc->state);
	if (why != dc->error)
		db_copy_error(dc->error, sizeof dc->error, why);
	snprintf(p->last_error, sizeof p->last_error, "database unavailable: %s", dc->error);
	p->stats.connection_failures++;
	p->ever_failed = true;

	db_result_cb cb = dc->state == DB_QUERY ? dc->cb : NULL;
	void *cb_arg = dc->cb_arg;
	bool leased = db_is_leased(dc->state);
	if (dc->result) {
		PQclear(dc->result);
		dc->result = NULL;
	}
	evtimer_del(dc->timer);
	if (leased) {
		/* the request still owns it: tell it, and reconnect when it releases */
		log_warn("db_disconnected", "conn=%d error=%s", dc->index, log_q(dc->error));
		db_conn_drop_leased(dc, cb, cb_arg);
	} else {
		int pause = db_conn_schedule_reconnect(dc);
		if (was_connected)
			log_warn("db_disconnected", "conn=%d error=%s retry_ms=%d", dc->index, log_q(dc->error), pause);
		else
			log_warn("db_connect_failed", "conn=%d error=%s retry_ms=%d", dc->index, log_q(dc->error),
				 pause);
	}
	/* with nothing connected, waiters must hear it now rather than wait */
	db_kick(p);
}

/*
 * The query, ping or rollback on dc was not answered in time. The connection is
 * closed, not cancelled (PQcancel blocks, and a server that does not answer a
 * query will not answer a cancel either), and a new one is started. When
 * nothing at all has answered since the query was sent, the server is silent:
 * the pool is stalled until something answers.
 */
static void db_conn_overdue(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	int64_t now = db_now_ms();
	p->stats.query_timeouts++;
	snprintf(dc->error, sizeof dc->error, "the database did not answer within %d ms", p->s.query_timeout_ms);
	log_warn("db_query_timeout", "conn=%d state=%s timeout_ms=%d", dc->index, db_state_names[dc->state],
		 p->s.query_timeout_ms);
	if (!p->stalled && p->last_answer_ms <= dc->sent_ms) {
		p->stalled = true;
		log_warn("db_stalled", "conn=%d silent_ms=%lld", dc->index, (long long)(now - p->last_answer_ms));
	}
	snprintf(p->last_error, sizeof p->last_error, "database unavailable: %s", dc->error);
	p->ever_failed = true;
	if (dc->result) {
		PQclear(dc->result);
		dc->result = NULL;
	}
	if (dc->state == DB_QUERY)
		db_conn_drop_leased(dc, dc->cb, dc->cb_arg);
	else
		db_conn_schedule_reconnect(dc);
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
	} else if (dc->state == DB_QUERY || dc->state == DB_PING || dc->state == DB_RESETTING) {
		db_conn_overdue(dc);
	}
}

/* Starts libpq's connection. hostaddr (when not NULL) is the looked-up address
 * list, spared libpq's own blocking lookup; host repeats the name once per
 * address (libpq pairs them, and keeps the name for TLS verification). */
static void db_conn_start(struct db_conn *dc, const char *hostaddr, const char *host)
{
	struct db_pool *p = dc->pool;
	db_set_state(dc, DB_CONNECTING);
	db_prepared_clear(dc); /* a new session has nothing prepared */
	dc->seen_lsn = 0;      /* nor a known replay position (it may be another server) */
	/* the TCP settings come first: the DSN, expanded from dbname, overrides them
	 * (it does not set them: see db_pool_tcp_options); hostaddr and host last */
	const char *keys[DB_TCP_OPTS + 4], *values[DB_TCP_OPTS + 4];
	int n = 0;
	for (int i = 0; i < p->n_tcp; i++) {
		keys[n] = p->tcp_keys[i];
		values[n++] = p->tcp_values[i];
	}
	keys[n] = "dbname";
	values[n++] = p->dsn;
	if (hostaddr) {
		keys[n] = "hostaddr";
		values[n++] = hostaddr;
		keys[n] = "host";
		values[n++] = host;
	}
	keys[n] = NULL;
	values[n] = NULL;
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
	struct timeval tv = db_tv(p->s.connect_timeout_ms);
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
	int events = db_connect_events(PQconnectPoll(dc->pg));
	if (events < 0) {
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	if (events > 0) {
		db_wait(dc, (short)events);
		return;
	}
	if (PQsetnonblocking(dc->pg, 1) != 0) {
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	db_set_state(dc, DB_SETUP);
	/* so that a query we gave up on (closed) does not run on, holding locks, to statement_timeout */
	char sql[sizeof dc->pool->setup_sql + 64];
	if (PQserverVersion(dc->pg) >= 140000)
		snprintf(sql, sizeof sql, "%s; SET client_connection_check_interval = %d", dc->pool->setup_sql,
			 DB_CLIENT_CHECK_MS);
	else
		snprintf(sql, sizeof sql, "%s", dc->pool->setup_sql);
	if (PQsendQuery(dc->pg, sql) != 1) {
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
	dc->backoff_ms = p->s.reconnect_min_ms;
	bool was_down = !db_pool_up(p);
	if (p->ever_failed || was_down)
		log_info("db_connected", "conn=%d server_version=%d", dc->index, PQserverVersion(dc->pg));
	db_conn_answered(dc);
	db_set_state(dc, DB_IDLE);
	if (db_count(p, db_is_connected) == p->s.size)
		p->ever_failed = false;
	if (was_down) {
		/* the server is back: the others need not sit out their long pauses */
		for (int i = 0; i < p->s.size; i++) {
			struct db_conn *o = &p->conns[i];
			if (o == dc || o->state != DB_DISCONNECTED)
				continue;
			evtimer_del(o->timer);
			o->backoff_ms = p->s.reconnect_min_ms;
			db_conn_schedule_reconnect(o);
		}
	}
	/* watch idle connections too: a server that goes away is noticed at once */
	db_wait(dc, EV_READ);
	db_kick(p);
}

/* Asks SELECT 1 on an idle connection, under the answer deadline. */
static void db_conn_ping(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	p->stats.pings++;
	db_set_state(dc, DB_PING);
	if (PQsendQuery(dc->pg, "SELECT 1") != 1) {
		db_conn_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	db_conn_sent(dc);
}

/* Every DB_TICK_MS: when nothing answered for ping_interval_ms (or the pool is
 * stalled) and no ping is out, pings the idle connection unused the longest. */
static void db_pool_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct db_pool *p = arg;
	int64_t now = db_now_ms();
	if (!p->stalled && now - p->last_answer_ms < p->ping_interval_ms)
		return;
	struct db_conn *lru = NULL;
	for (int i = 0; i < p->s.size; i++) {
		struct db_conn *dc = &p->conns[i];
		if (dc->state == DB_PING)
			return;
		if (dc->state == DB_IDLE && (lru == NULL || dc->used_ms < lru->used_ms))
			lru = dc;
	}
	if (lru)
		db_conn_ping(lru);
}

/* Clears res, the answer to the setup or a ping; true when it had the status wanted, else dc breaks
 * with the server's message. */
static bool db_conn_result_ok(struct db_conn *dc, PGresult *res, ExecStatusType want)
{
	if (PQresultStatus(res) == want) {
		PQclear(res);
		return true;
	}
	char why[512];
	db_copy_error(why, sizeof why, PQresultErrorMessage(res));
	PQclear(res);
	db_conn_broken(dc, why);
	return false;
}

/* A statement finished (all results read). */
static void db_conn_complete(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	PGresult *res = dc->result;
	dc->result = NULL;
	if (dc->state == DB_QUERY || dc->state == DB_PING || dc->state == DB_RESETTING)
		evtimer_del(dc->timer); /* the answer deadline */
	switch (dc->state) {
	case DB_SETUP:
		if (db_conn_result_ok(dc, res, PGRES_COMMAND_OK))
			db_conn_ready(dc);
		return;
	case DB_RESETTING:
		PQclear(res);
		db_conn_ready(dc);
		return;
	case DB_PING:
		if (!db_conn_result_ok(dc, res, PGRES_TUPLES_OK))
			return;
		db_conn_answered(dc);
		db_set_state(dc, DB_IDLE);
		db_wait(dc, EV_READ);
		db_kick(p);
		return;
	case DB_QUERY: {
		ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (dc->preparing && st == PGRES_COMMAND_OK) {
			PQclear(res);
			db_conn_answered(dc);
			db_conn_prepared(dc);
			return;
		}
		db_prepare_drop(dc); /* a preparation that failed reports its error as the statement's */
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			p->stats.query_errors++;
		db_conn_answered(dc); /* even an error is the server answering */
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

/* db_pump's take for a statement: its first result is kept, any further one dropped. */
static bool db_conn_take(void *arg, PGresult *r)
{
	struct db_conn *dc = arg;
	if (dc->result == NULL)
		dc->result = r;
	else
		PQclear(r);
	return true;
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
	enum db_pump_result r = db_pump(dc->pg, what, &dc->flushing, db_conn_take, dc);
	if (r == DB_PUMP_FAILED)
		db_conn_broken(dc, PQerrorMessage(dc->pg));
	else if (r == DB_PUMP_DONE)
		db_conn_complete(dc);
	else if (r == DB_PUMP_SENDING)
		db_wait(dc, EV_READ | EV_WRITE); /* the server may be blocked writing to us: read while we write */
	else
		db_wait(dc, EV_READ);
}

/* A send failed: report it from the loop like any other failure, never inside the caller. */
static void db_conn_send_failed(struct db_conn *dc)
{
	if (dc->pg)
		db_copy_error(dc->error, sizeof dc->error, PQerrorMessage(dc->pg));
	else if (dc->error[0] == '\0')
		db_copy_error(dc->error, sizeof dc->error, "connection lost");
	dc->pending_fail = true;
	event_del(dc->io);
	event_assign(dc->io, dc->pool->base, -1, 0, db_conn_io, dc);
	event_active(dc->io, EV_TIMEOUT, 0);
}

/* A statement, ping or rollback sent: waits for the answer under the deadline. */
static void db_conn_sent(struct db_conn *dc)
{
	dc->sent_ms = db_now_ms();
	struct timeval tv = db_tv(dc->pool->s.query_timeout_ms);
	evtimer_add(dc->timer, &tv);
	dc->flushing = true;
	db_wait(dc, EV_READ | EV_WRITE);
}

/* Sends sql on dc: by name when prepared there, prepared first when it takes parameters and
 * is not yet (db_conn_complete sends the execution), unnamed otherwise. 1 when sent. */
static int db_conn_send(struct db_conn *dc, const char *sql, int nparams, const char *const *params)
{
	if (nparams == 0 || strncmp(sql, DB_CUSTOM_PLAN, sizeof DB_CUSTOM_PLAN - 1) == 0)
		return PQsendQueryParams(dc->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	uint64_t hash = db_sql_hash(sql);
	int i = db_prepared_find(dc, sql, hash);
	char name[16];
	if (i >= 0) {
		snprintf(name, sizeof name, "s%d", i);
		return PQsendQueryPrepared(dc->pg, name, nparams, params, NULL, NULL, 0);
	}
	if (dc->n_prepared >= DB_PREPARED_MAX)
		return PQsendQueryParams(dc->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	snprintf(name, sizeof name, "s%d", dc->n_prepared);
	if (PQsendPrepare(dc->pg, name, sql, nparams, NULL) != 1)
		return 0;
	dc->preparing = true;
	dc->prep_hash = hash;
	dc->prep_sql = xstrdup(sql);
	dc->prep_nparams = nparams;
	dc->prep_params = db_params_copy(nparams, params);
	return 1;
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
	db_prepare_drop(dc); /* a preparation cut short by a failure */
	if (dc->pg == NULL || db_conn_send(dc, sql, nparams, params) != 1) {
		db_conn_send_failed(dc);
		return true;
	}
	db_conn_sent(dc);
	return true;
}

/* The statement being prepared on dc is: remembers it and sends its execution. */
static void db_conn_prepared(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	int i = dc->n_prepared++;
	dc->prepared[i].hash = dc->prep_hash;
	dc->prepared[i].sql = dc->prep_sql;
	dc->prep_sql = NULL;
	p->stats.prepares++;
	char name[16];
	snprintf(name, sizeof name, "s%d", i);
	log_debug("db_prepare", "conn=%d name=%s prepared=%d", dc->index, name, dc->n_prepared);
	int sent = PQsendQueryPrepared(dc->pg, name, dc->prep_nparams, (const char *const *)dc->prep_params, NULL, NULL,
				       0);
	db_prepare_drop(dc); /* libpq copied the parameters into its buffer */
	if (sent != 1) {
		db_conn_send_failed(dc);
		return;
	}
	db_conn_sent(dc);
}

bool db_conn_txn_failed(const struct db_conn *dc)
{
	return dc->pg != NULL && PQtransactionStatus(dc->pg) == PQTRANS_INERROR;
}

uint64_t db_conn_seen_lsn(const struct db_conn *dc)
{
	return dc->seen_lsn;
}

void db_conn_set_seen_lsn(struct db_conn *dc, uint64_t lsn)
{
	if (dc->pg != NULL && lsn > dc->seen_lsn)
		dc->seen_lsn = lsn;
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
		db_conn_sent(dc);
		return;
	}
	db_set_state(dc, DB_IDLE);
	db_wait(dc, EV_READ);
	db_kick(p);
}

/* ---------------------------------------------------------------- pool */

/*
 * Keepalives and tcp_user_timeout from db_tcp_user_timeout_ms, for each that the
 * operator's DSN does not set: a server that vanished (a partition, a host
 * that died) is then noticed in about that long rather than after ~15 minutes
 * of retransmissions, even on an idle connection. Unix sockets ignore them.
 */
static void db_pool_tcp_options(struct db_pool *p)
{
	int t = p->s.tcp_user_timeout_ms;
	if (t <= 0)
		return;
	int idle = t / 2000 > 1 ? t / 2000 : 1, interval = t / 5000 > 1 ? t / 5000 : 1;
	struct {
		const char *key;
		int value;
	} want[DB_TCP_OPTS] = {{"keepalives", 1},
			       {"keepalives_idle", idle},
			       {"keepalives_interval", interval},
			       {"keepalives_count", 3},
			       {"tcp_user_timeout", t}};
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(p->dsn, &err);
	PQfreemem(err); /* a bad DSN: the connection attempt reports it */
	for (int i = 0; i < DB_TCP_OPTS; i++) {
		bool set = false;
		for (PQconninfoOption *o = opts; o && o->keyword && !set; o++)
			set = strcmp(o->keyword, want[i].key) == 0 && o->val != NULL && o->val[0] != '\0';
		if (set)
			continue;
		p->tcp_keys[p->n_tcp] = want[i].key;
		snprintf(p->tcp_values[p->n_tcp], sizeof p->tcp_values[0], "%d", want[i].value);
		p->n_tcp++;
	}
	if (opts)
		PQconninfoFree(opts);
	log_info("db_tcp",
		 "keepalives_idle_s=%d keepalives_interval_s=%d keepalives_count=3 tcp_user_timeout_ms=%d "
		 "left_to_dsn=%d",
		 idle, interval, t, DB_TCP_OPTS - p->n_tcp);
}

struct db_pool *db_pool_new(struct event_base *base, const struct db_pool_settings *s)
{
	struct db_pool *p = xcalloc(1, sizeof *p);
	p->base = base;
	p->s = *s;
	p->dsn = xstrdup(s->dsn ? s->dsn : "");
	p->s.dsn = p->dsn;
	if (p->s.query_timeout_ms <= 0)
		p->s.query_timeout_ms = 5000;
	if (p->s.acquire_timeout_ms <= 0)
		p->s.acquire_timeout_ms = 5000;
	if (p->s.reconnect_min_ms <= 0)
		p->s.reconnect_min_ms = 50;
	if (p->s.reconnect_max_ms < p->s.reconnect_min_ms)
		p->s.reconnect_max_ms = p->s.reconnect_min_ms;
	/* half the deadline, so that an idle healthy pool is never silent for a whole deadline */
	p->ping_interval_ms = p->s.query_timeout_ms / 2;
	if (p->ping_interval_ms > DB_PING_INTERVAL_MS)
		p->ping_interval_ms = DB_PING_INTERVAL_MS;
	if (p->ping_interval_ms < 2 * DB_TICK_MS)
		p->ping_interval_ms = 2 * DB_TICK_MS;
	evutil_secure_rng_init(); /* seeds the jitter now, not in the loop */
	db_pool_tcp_options(p);
	/* jit off: JIT compiling costs tens of milliseconds per query, more than the short queries of a
	 * request take to run (docs/status-explain.md). The plan cache as PostgreSQL leaves it: the
	 * statements that need custom plans say so (DB_CUSTOM_PLAN). */
	snprintf(p->setup_sql, sizeof p->setup_sql,
		 "SET statement_timeout = %d; SET application_name = 'planregd'; SET jit = off",
		 s->statement_timeout_ms);
	p->conns = xcalloc((size_t)s->size, sizeof *p->conns);
	p->waiters = xcalloc((size_t)s->queue_max, sizeof *p->waiters);
	p->kick = event_new(base, -1, 0, db_pool_dispatch, p);
	p->acquire_timer = evtimer_new(base, db_pool_acquire_expired, p);
	p->tick = event_new(base, -1, EV_PERSIST, db_pool_tick, p);
	struct timeval tick = db_tv(DB_TICK_MS);
	event_add(p->tick, &tick);
	p->last_answer_ms = db_now_ms();
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
		dc->backoff_ms = p->s.reconnect_min_ms;
		dc->io = event_new(base, -1, 0, db_conn_io, dc);
		dc->timer = evtimer_new(base, db_conn_timer, dc);
		dc->prepared = xcalloc(DB_PREPARED_MAX, sizeof *dc->prepared);
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
		db_prepared_clear(dc);
		free(dc->prepared);
	}
	event_free(p->kick);
	event_free(p->acquire_timer);
	event_free(p->tick);
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
	out->stalled = p->stalled;
	out->last_answer_ms = db_now_ms() - p->last_answer_ms;
}

/* ---------------------------------------------------------------- LISTEN on a connection of its own
 *
 * Kept apart from the pool's query code: one more connection, never leased, that only
 * LISTENs. It connects once a pool connection is up, to the server that connection
 * reached (its host, address and port: no name lookup that would block the loop), under
 * connect_timeout_ms, and after a loss tries again every DB_LISTEN_RETRY_MS. The callback
 * hears each notification's payload, and NULL whenever the subscription begins or ends:
 * what was notified while it was down may have been missed. */

#define DB_LISTEN_RETRY_MS 1000

enum db_listen_phase { DB_LISTEN_IDLE, DB_LISTEN_CONNECTING, DB_LISTEN_SUBSCRIBING, DB_LISTEN_LISTENING };

struct db_listener {
	struct db_pool *pool;
	char channel[64];
	db_listener_cb cb;
	void *arg;
	enum db_listen_phase phase;
	PGconn *pg;
	bool flushing;
	struct event *io;    /* one-shot, re-armed on the current socket */
	struct event *timer; /* the retry pause (idle), or the connect and LISTEN deadline */
};

static void db_listener_io(evutil_socket_t fd, short what, void *arg);

static void db_listener_retry(struct db_listener *l, int ms)
{
	struct timeval tv = db_tv(ms);
	evtimer_add(l->timer, &tv);
}

static void db_listener_lost(struct db_listener *l, const char *why)
{
	bool was = l->phase == DB_LISTEN_LISTENING;
	char msg[512];
	db_copy_error(msg, sizeof msg, why);
	event_del(l->io);
	if (l->pg != NULL)
		PQfinish(l->pg);
	l->pg = NULL;
	l->phase = DB_LISTEN_IDLE;
	db_listener_retry(l, DB_LISTEN_RETRY_MS);
	if (was) {
		log_warn("db_listen_lost", "channel=%s error=%s", l->channel, log_q(msg));
		l->cb(NULL, false, l->arg);
	} else {
		log_debug("db_listen_failed", "channel=%s error=%s", l->channel, log_q(msg));
	}
}

static void db_listener_wait(struct db_listener *l, short what)
{
	event_del(l->io);
	event_assign(l->io, l->pool->base, PQsocket(l->pg), what, db_listener_io, l);
	event_add(l->io, NULL);
}

static void db_listener_notice(void *arg, const PGresult *res)
{
	struct db_listener *l = arg;
	log_debug("db_notice", "conn=listen channel=%s message=%s", l->channel, log_q(PQresultErrorMessage(res)));
}

static void db_listener_start(struct db_listener *l)
{
	struct db_pool *p = l->pool;
	const struct db_conn *up = NULL;
	for (int i = 0; i < p->s.size && up == NULL; i++)
		if (db_is_connected(p->conns[i].state) && p->conns[i].pg != NULL)
			up = &p->conns[i];
	if (up == NULL) {
		db_listener_retry(l, DB_TICK_MS); /* not yet: the pool finds the server first */
		return;
	}
	const char *host = PQhost(up->pg), *addr = PQhostaddr(up->pg), *port = PQport(up->pg);
	const char *keys[6 + DB_TCP_OPTS], *values[6 + DB_TCP_OPTS];
	int n = 0;
	keys[n] = "dbname"; /* the whole DSN, expanded; what follows overrides it */
	values[n++] = p->dsn;
	keys[n] = "host";
	values[n++] = host ? host : "";
	if (addr != NULL && addr[0] != '\0') {
		keys[n] = "hostaddr";
		values[n++] = addr;
	}
	keys[n] = "port";
	values[n++] = port ? port : "";
	keys[n] = "application_name";
	values[n++] = "planregd-listen";
	for (int i = 0; i < p->n_tcp; i++) {
		keys[n] = p->tcp_keys[i];
		values[n++] = p->tcp_values[i];
	}
	keys[n] = NULL;
	values[n] = NULL;
	l->pg = PQconnectStartParams(keys, values, 1);
	if (l->pg == NULL || PQstatus(l->pg) == CONNECTION_BAD) {
		db_listener_lost(l, l->pg ? PQerrorMessage(l->pg) : "out of memory");
		return;
	}
	PQsetNoticeReceiver(l->pg, db_listener_notice, l);
	l->phase = DB_LISTEN_CONNECTING;
	db_listener_retry(l, p->s.connect_timeout_ms > 0 ? p->s.connect_timeout_ms : 5000);
	db_listener_wait(l, EV_WRITE);
}

static void db_listener_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct db_listener *l = arg;
	if (l->phase == DB_LISTEN_IDLE)
		db_listener_start(l);
	else if (l->phase != DB_LISTEN_LISTENING)
		db_listener_lost(l, "the database did not answer in time");
}

static void db_listener_subscribe(struct db_listener *l)
{
	if (PQsetnonblocking(l->pg, 1) != 0) {
		db_listener_lost(l, PQerrorMessage(l->pg));
		return;
	}
	char sql[96];
	snprintf(sql, sizeof sql, "LISTEN \"%s\"", l->channel);
	if (PQsendQuery(l->pg, sql) != 1) {
		db_listener_lost(l, PQerrorMessage(l->pg));
		return;
	}
	l->phase = DB_LISTEN_SUBSCRIBING;
	l->flushing = true;
	db_listener_io(PQsocket(l->pg), EV_WRITE, l);
}

/* db_pump's take for the listener: LISTEN's answer begins the subscription, or ends the attempt. */
static bool db_listener_take(void *arg, PGresult *r)
{
	struct db_listener *l = arg;
	ExecStatusType st = PQresultStatus(r);
	if (l->phase == DB_LISTEN_SUBSCRIBING && st != PGRES_COMMAND_OK) {
		char why[512];
		db_copy_error(why, sizeof why, PQresultErrorMessage(r));
		PQclear(r);
		db_listener_lost(l, why);
		return false;
	}
	PQclear(r);
	if (l->phase == DB_LISTEN_SUBSCRIBING) {
		l->phase = DB_LISTEN_LISTENING;
		evtimer_del(l->timer);
		log_info("db_listening", "channel=%s", l->channel);
		l->cb(NULL, true, l->arg);
	}
	return true;
}

static void db_listener_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	struct db_listener *l = arg;
	if (l->pg == NULL)
		return;
	if (l->phase == DB_LISTEN_CONNECTING) {
		int events = db_connect_events(PQconnectPoll(l->pg));
		if (events < 0)
			db_listener_lost(l, PQerrorMessage(l->pg));
		else if (events > 0)
			db_listener_wait(l, (short)events);
		else
			db_listener_subscribe(l);
		return;
	}
	switch (db_pump(l->pg, what, &l->flushing, db_listener_take, l)) {
	case DB_PUMP_FAILED:
		db_listener_lost(l, PQerrorMessage(l->pg));
		return;
	case DB_PUMP_SENDING:
		db_listener_wait(l, EV_READ | EV_WRITE);
		return;
	case DB_PUMP_STOPPED:
		return;
	default:
		break; /* every result read, or one still on its way: on to the notifications */
	}
	if (PQstatus(l->pg) == CONNECTION_BAD) {
		db_listener_lost(l, PQerrorMessage(l->pg));
		return;
	}
	PGnotify *nt;
	while (l->phase == DB_LISTEN_LISTENING && (nt = PQnotifies(l->pg)) != NULL) {
		if (strcmp(nt->relname, l->channel) == 0)
			l->cb(nt->extra, true, l->arg);
		PQfreemem(nt);
	}
	db_listener_wait(l, EV_READ);
}

struct db_listener *db_listener_new(struct db_pool *p, const char *channel, db_listener_cb cb, void *arg)
{
	struct db_listener *l = xcalloc(1, sizeof *l);
	l->pool = p;
	snprintf(l->channel, sizeof l->channel, "%s", channel);
	l->cb = cb;
	l->arg = arg;
	l->io = event_new(p->base, -1, 0, db_listener_io, l);
	l->timer = evtimer_new(p->base, db_listener_timer, l);
	db_listener_retry(l, 0);
	return l;
}

bool db_listener_up(const struct db_listener *l)
{
	return l != NULL && l->phase == DB_LISTEN_LISTENING;
}

void db_listener_free(struct db_listener *l)
{
	if (l == NULL)
		return;
	event_free(l->io);
	event_free(l->timer);
	if (l->pg != NULL)
		PQfinish(l->pg);
	free(l);
}
