/* db_pool.h - PostgreSQL for the event loop: a fixed pool of non-blocking libpq
 * connections driven by libevent. A request leases one connection, runs its
 * queries one after another, and releases it. Nothing here ever blocks.
 *
 * Deadlines: a query unanswered after query_timeout_ms is failed and its
 * connection closed and replaced; a request that waited acquire_timeout_ms for
 * a connection is refused. When no connection has answered anything for a
 * whole query deadline the pool counts as stalled: requests fail at once and
 * db_pool_healthy() is false until the server answers again (an idle pool
 * sends SELECT 1 every couple of seconds so that this stays true to life). */
#ifndef PLANREG_DB_POOL_H
#define PLANREG_DB_POOL_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct db_pool;
struct db_conn;

struct db_pool_settings {
	const char *dsn;
	int size;
	int connect_timeout_ms;
	int reconnect_max_ms;
	int statement_timeout_ms;
	int queue_max;
	int query_timeout_ms;    /* 0: 5000 */
	int acquire_timeout_ms;  /* 0: 5000 */
	int reconnect_min_ms;    /* 0: 50; doubles up to reconnect_max_ms, with jitter */
	int tcp_user_timeout_ms; /* 0: leave TCP keepalive and user timeout to the system */
};

/*
 * Called with a leased connection, or with dc == NULL and error saying why
 * none can be had: exhausted is true when the database answers but no
 * connection was free (the queue is full, or acquire_timeout_ms passed while
 * the pool kept answering others): the caller answers RESOURCE_EXHAUSTED;
 * otherwise the database is down or silent: UNAVAILABLE. Always called from
 * the loop, never from inside db_pool_acquire.
 */
typedef void (*db_acquire_cb)(struct db_conn *dc, bool exhausted, const char *error, void *arg);

/*
 * Called when a query finished. res is the first result (the pool clears it
 * after the callback returns); res == NULL means the connection failed, or
 * the query was not answered within query_timeout_ms (the connection is then
 * already closed and is replaced on release), and error says why. The callback
 * may issue the next query or release dc.
 */
typedef void (*db_result_cb)(struct db_conn *dc, PGresult *res, const char *error, void *arg);

struct db_pool_stats {
	int size;
	int connected;
	int leased;
	int waiting;
	uint64_t queries;
	uint64_t query_errors;
	uint64_t connection_failures;
	uint64_t unavailable;      /* acquires refused because the database was down */
	uint64_t query_timeouts;   /* queries (and pings, rollbacks) not answered within the deadline */
	uint64_t acquire_timeouts; /* requests that waited acquire_timeout_ms for a connection */
	uint64_t pings;            /* SELECT 1 sent on idle connections */
	uint64_t prepares;         /* statements prepared (once per connection and statement text) */
	bool stalled;              /* a deadline passed with no answer from the server since */
	int64_t last_answer_ms;    /* milliseconds since the server last answered anything */
};

struct db_pool *db_pool_new(struct event_base *base, const struct db_pool_settings *s);
void db_pool_free(struct db_pool *p);

void db_pool_acquire(struct db_pool *p, db_acquire_cb cb, void *arg);

/* Marks a statement (its text starts with it) that is planned with its parameters' values every time it
 * runs: sent unnamed, never prepared. For the listings and status statements whose optional filters
 * ("$1 IS NULL OR ...") need the values to plan well: a generic plan made GetStatus 50% slower. Every other
 * statement is left to PostgreSQL's plan cache (plan_cache_mode auto), and so are the statements of the
 * functions and triggers it calls, which a session-wide force_custom_plan planned again on every call
 * (docs/performance.md, "Planning"). */
#define DB_CUSTOM_PLAN "/* custom plan */ "

/* Sends one statement with text parameters ($1...); params[i] NULL is SQL NULL.
 * A statement with parameters is prepared on the connection the first time it
 * runs there (named "s<N>", keyed by its text) and executed by name after,
 * unless it starts with DB_CUSTOM_PLAN:
 * a pooler between the daemon and PostgreSQL must run in session mode
 * (docs/decisions.md). The callback gets the preparation's error, if any,
 * like the statement's own. Only one statement per text, no "a; b".
 * False (and no callback) only when dc is not leased or idle-in-lease: a bug. */
bool db_query(struct db_conn *dc, const char *sql, int nparams, const char *const *params, db_result_cb cb, void *arg)
	__attribute__((warn_unused_result));

/* Gives the connection back; an open or failed transaction is rolled back first. */
void db_release(struct db_conn *dc);

/* A standby's replay position last seen on dc's session (0: none yet; a new session starts
 * at 0). rpc.c keeps it so that a read need not ask again while the position it waits for
 * is already replayed there; the pool only forgets it with the session. */
uint64_t db_conn_seen_lsn(const struct db_conn *dc);
/* The session is inside a transaction that failed (only ROLLBACK will run): a write there committed
 * nothing, and any other statement would fail too. */
bool db_conn_txn_failed(const struct db_conn *dc);
void db_conn_set_seen_lsn(struct db_conn *dc, uint64_t lsn);

/* True while at least one connection is established. */
bool db_pool_up(const struct db_pool *p);
/* Up and answering: false too while stalled (see the top of this file). */
bool db_pool_healthy(const struct db_pool *p);
void db_pool_get_stats(const struct db_pool *p, struct db_pool_stats *out);

/* ---------------------------------------------------------------- LISTEN
 * A connection of its own (never leased) subscribed to one channel, to the server the
 * pool reached; it comes back by itself after a loss. The callback hears each
 * notification's payload (listening true), and payload NULL whenever the subscription
 * begins (listening true) or ends (false): notifications in between may be lost. */
struct db_listener;
typedef void (*db_listener_cb)(const char *payload, bool listening, void *arg);
struct db_listener *db_listener_new(struct db_pool *p, const char *channel, db_listener_cb cb, void *arg);
bool db_listener_up(const struct db_listener *l);
/* Before db_pool_free. */
void db_listener_free(struct db_listener *l);

#endif
