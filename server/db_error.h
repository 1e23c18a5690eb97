/* db_error.h - a failed statement as the client sees it: one table (db_error.c) maps
 * PostgreSQL's SQLSTATE, and for some a constraint, to a status code, a reason and a plain
 * message. PostgreSQL's own words stay in the daemon's log: they name tables, constraints and
 * values, which are the schema's business; a client gets what it can act on, or a reference
 * ("r-1a2b3c4d") to the log line with the details. */
#ifndef PLANREG_DB_ERROR_H
#define PLANREG_DB_ERROR_H

#include <libpq-fe.h>

#include "rpc.h"
#include "status.h"

struct db_error_answer {
	status_code code;
	const char *reason; /* static */
	char message[1024];
};

/* res NULL: the connection failed or the pool gave up (pool_error says why, or NULL).
 * doing: what was being done ("SubmitUpdate"); method: for the log line. Logs the details. */
void db_error_describe(const PGresult *res, const char *pool_error, const char *doing, const char *method,
		       struct db_error_answer *out);
/* Answers the call with the mapped error. */
void db_error_reply(struct rpc_call *call, const PGresult *res, const char *pool_error, const char *doing);

#endif
