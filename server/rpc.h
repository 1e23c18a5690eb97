/* rpc.h - one request's way through the daemon: credential lookup, the
 * authorisation decision, dispatch to its handler, and the reply. Handlers
 * are chains of steps, each run when the previous query's result arrives. */
#ifndef PLANREG_RPC_H
#define PLANREG_RPC_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/time.h>

#include "arena.h"
#include "conn.h"
#include "db_pool.h"
#include "planreg.pb-c.h"
#include "status.h"

struct rpc_call;
typedef void (*rpc_handler)(struct rpc_call *call);
typedef void (*rpc_step)(struct rpc_call *call, PGresult *res);

struct rpc_method {
	Planreg__V1__Request__BodyCase kind;
	const char *name;
	rpc_handler handler;
	bool read; /* changes nothing: may run on the replica (read_db_dsn) */
};

/* "<10 hex digits of this process>.<counter>": names a request in the log (rid=) and in
 * Response.request_id; unique across daemons and restarts (40 random bits per process). */
#define RPC_RID_MAX 32

/* One request in flight. Owns req (decoded by conn.c with decode_unpack, freed with decode_free)
 * and its arena (where the reply is built); holds a reference on conn. */
struct rpc_call {
	struct conn *conn;
	struct server *srv;
	Planreg__V1__Request *req; /* NULL for the connect-time credential check */
	uint64_t id;
	const struct rpc_method *method;
	struct principal principal;
	struct db_conn *db;
	struct arena arena;
	Planreg__V1__Status status;
	rpc_step next;
	bool next_gets_errors;
	bool close_after; /* close the connection once the reply is written */
	struct timeval started;
	void *state;                       /* the handler's own, allocated in arena */
	uint64_t cred_epoch, cred_notices; /* the server's counters when the credential lookup was sent */
	char rid[RPC_RID_MAX];
	/* Read routing (rpc.c): a read runs on the replica unless this is false. */
	bool on_replica;
	const char *ryw;        /* NULL, "waited" or "fallback": what read-your-writes did */
	int64_t ryw_started_ms; /* when the wait for the replica began */
	struct event *ryw_timer;
	bool lsn_asked;  /* a write's reply waits for the primary's WAL position */
	void *held_body; /* the reply body meanwhile */
};

/* serve.c: makes the replica pool when read_db_dsn is set, and frees it. */
void rpc_start(struct server *srv);
void rpc_stop(struct server *srv);

/* conn.c hands over each decoded request (ownership of req passes). */
void rpc_dispatch(struct conn *c, Planreg__V1__Request *req);
/* conn.c asks, once per connection, who the certificate belongs to. */
void rpc_authenticate(struct conn *c);
/* A request refused before it was decoded or dispatched (conn.c: too large, role,
 * bad strings): answers id with code, reason and the message; field, when not
 * NULL, becomes the one FieldViolation. Counted and logged like a request. */
void rpc_refuse(struct conn *c, uint64_t id, uint32_t kind, status_code code, const char *reason, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* "GetProject", ...; NULL for a request kind this server does not know. */
const char *rpc_method_name(Planreg__V1__Request__BodyCase kind);
/* A Response with id 0: a connection-level error, sent before closing. */
void rpc_send_connection_error(struct conn *c, status_code code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* For handlers. A query's next step runs with its result; on a database error
 * rpc_query replies for the handler (rpc_query_any passes errors on too). */
void rpc_query(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next);
void rpc_query_any(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next);

/* Replies OK with body as the Response's oneof member for kind (see rpc.c). */
void rpc_reply_ok(struct rpc_call *call, void *body);
void rpc_reply_error(struct rpc_call *call, status_code code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Collects one field violation; rpc_reply_violations sends them all as INVALID_ARGUMENT. */
void rpc_violation(struct rpc_call *call, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool rpc_has_violations(const struct rpc_call *call);
void rpc_reply_violations(struct rpc_call *call, const char *reason);
/* Maps a failed result (constraint, timeout, connection) to a status with a plain message. */
void rpc_reply_db_error(struct rpc_call *call, PGresult *res, const char *doing);

/* Helpers for building replies and reading results. */
char *rpc_strdup(struct rpc_call *call, const char *s);
char *rpc_printf(struct rpc_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *rpc_value(PGresult *res, int row, int col); /* "" for NULL */
bool rpc_is_null(PGresult *res, int row, int col);
int rpc_int(PGresult *res, int row, int col);
long long rpc_int64(PGresult *res, int row, int col);
bool rpc_bool(PGresult *res, int row, int col);
/* Splits an aggregated list (items joined with RPC_SEP, "\x1f") into an arena array. */
#define RPC_SEP "\x1f"
#define RPC_SUBSEP "\x1e"
size_t rpc_split(struct rpc_call *call, const char *joined, const char *sep, char ***out);

#endif
