/* query.h - a handler as a chain of steps: each query's result goes to the next step. A step
 * runs only with a good result; a failed statement (or a lost connection) is answered for the
 * handler through db_error.c's table, unless the step asked for errors too (query_any). */
#ifndef PLANREG_QUERY_H
#define PLANREG_QUERY_H

#include "rpc.h"

/* Sends sql with text parameters ($1...; NULL is SQL NULL) on the call's connection. */
void query_run(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next);
/* The same, but next also gets failed results (and decides itself); never a NULL one. */
void query_any(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next);

#endif
