/* query.c - the step chain of a handler (see query.h). */
#include "query.h"

#include "db_error.h"
#include "log.h"
#include "reply.h"
#include "route.h"

static void query_result(struct rpc_call *call, PGresult *res, const char *error)
{
	bool failed =
		res == NULL || (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK);
	if (failed && route_retry_on_primary(call, res))
		return; /* a dying replica: the read starts again on the primary */
	if (res == NULL) {
		db_error_reply(call, NULL, error, "working on the request");
		return;
	}
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !call->next_gets_errors) {
		db_error_reply(call, res, NULL, call->method ? call->method->doing : "working on the request");
		return;
	}
	rpc_step next = call->next;
	call->next = NULL;
	next(call, res);
}

static void query_on_result(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct rpc_call *call = arg;
	log_set_request(call->rid); /* the call may be gone after the step: cleared without it */
	query_result(call, res, error);
	log_set_request(NULL);
}

static void query_send(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next,
		       bool any)
{
	call->next = next;
	call->next_gets_errors = any;
	if (!db_query(call->db, sql, n, params, query_on_result, call))
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "bug", "query issued without a database connection");
}

void query_run(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next)
{
	query_send(call, sql, n, params, next, false);
}

void query_any(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next)
{
	query_send(call, sql, n, params, next, true);
}
