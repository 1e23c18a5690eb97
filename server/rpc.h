/* rpc.h - one request in flight, from dispatch to its reply. conn.c hands a decoded request
 * to rpc_dispatch; the call then leases a database connection (route.c chooses which pool),
 * learns who sent it (session.c), passes the gate (auth.c, from the method table) and runs
 * its handler (handlers/), which chains queries (query.c) and ends with one reply (reply.c).
 *
 * Ownership: the call owns req (freed with decode_free) and its arena (where the reply is
 * built); it holds a reference on its connection until rpc_finish. */
#ifndef PLANREG_RPC_H
#define PLANREG_RPC_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/time.h>

#include "arena.h"
#include "auth.h"
#include "conn.h"
#include "db_pool.h"
#include "methods.h"
#include "planreg.pb-c.h"
#include "status.h"

struct server;
struct rpc_call;
typedef void (*rpc_step)(struct rpc_call *call, PGresult *res);

/* "<10 hex digits of this process>.<counter>": names a request in the log (rid=) and in
 * Response.request_id; unique across daemons and restarts (40 random bits per process). */
#define RPC_RID_MAX 32

/* Where a call runs and what read-your-writes did (route.c's state). */
struct rpc_route {
	bool on_replica;        /* a read running on the replica */
	const char *ryw;        /* NULL, "waited" or "fallback": what read-your-writes did */
	int64_t ryw_started_ms; /* when the wait for the replica began */
	struct event *ryw_timer;
	bool lsn_asked;     /* a write's reply waits for the primary's WAL position */
	void *held_body;    /* the reply body meanwhile */
	uint64_t wrote_lsn; /* that position, once known (Response.write_position) */
	bool retried;       /* a read that failed on the replica is running again on the primary */
};

struct rpc_call {
	struct conn *conn;
	struct server *srv;
	Planreg__V1__Request *req;
	uint64_t id;
	const struct method *method; /* NULL for a kind this daemon does not serve */
	struct principal principal;
	struct db_conn *db;
	struct arena arena;
	Planreg__V1__Status status;
	rpc_step next;         /* query.c: the step that gets the next result */
	bool next_gets_errors; /* ... failed results too (query_any) */
	bool close_after;      /* close the connection once the reply is written */
	struct timeval started;
	void *state;                       /* the handler's own, allocated in arena */
	void (*cleanup)(void *state);      /* frees what state holds outside the arena, when the call ends */
	uint64_t cred_epoch, cred_notices; /* session.c: the server's counters when the lookup was sent */
	size_t decoded;                    /* bytes the request decoded into (the connection's budget) */
	char rid[RPC_RID_MAX];
	struct rpc_route route;
};

/* The connection hooks serve.c installs (conn.h). */
void rpc_dispatch(struct conn *c, Planreg__V1__Request *req, size_t decoded);
bool rpc_admit(const struct conn *c, uint32_t kind, size_t len, struct conn_verdict *v);
/* A kind's protocol name (logs) and what it does in words (messages); NULL when unknown. */
const char *rpc_kind_name(uint32_t kind);
const char *rpc_kind_doing(uint32_t kind);

/* Leases a connection of pool for the call; what follows runs when it is had (or not). */
void rpc_acquire(struct rpc_call *call, struct db_pool *pool);
/* The call has its database connection and its principal: the gate, then the handler. */
void rpc_run(struct rpc_call *call);
/* Ends the call once its reply is sent: releases the database connection and frees everything. */
void rpc_finish(struct rpc_call *call);

/* A new request id. */
void rpc_new_rid(char out[RPC_RID_MAX]);
/* Monotonic milliseconds. */
int64_t rpc_now_ms(void);

/* Copies into the call's arena (NULL becomes ""). */
char *rpc_strdup(struct rpc_call *call, const char *s);
char *rpc_printf(struct rpc_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
