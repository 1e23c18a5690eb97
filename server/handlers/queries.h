/* queries.h - the Combined Authority's queries on one section of a return (docs/assurance.md, "Queries"), as
 * other families show them: GetUpdate (each query on the return, with its thread), ListOutstanding and the
 * reminder digests (the queries waiting for a lead body past their answer-by date, by organisation). */
#ifndef PLANREG_HANDLERS_QUERIES_H
#define PLANREG_HANDLERS_QUERIES_H

#include "handlers.h"

/* The queries on update update_id, oldest first, each with its thread, given to done with arg (call->state is
 * the loader's until then, and done may set it again). On a failure the call is answered and done not called. */
typedef void (*queries_done_fn)(struct rpc_call *call, void *arg, Planreg__V1__Query **qs, size_t n);
void queries_of_update(struct rpc_call *call, int64_t update_id, queries_done_fn done, void *arg);

/* Each query waiting for a lead body whose answer-by date is before day (YYYY-MM-DD), once, oldest date first,
 * without threads; org non-NULL: only those on returns of projects org leads. As queries_of_update. */
void queries_overdue(struct rpc_call *call, const char *day, const char *org, queries_done_fn done, void *arg);

/* $1 a day (YYYY-MM-DD), $2 an organisation or NULL for every one: each query waiting for a lead body whose
 * answer-by date is before that day, once per lead organisation (ORDER BY the organisation, the date): the query's
 * columns (read by queries_from_row, no thread), then enum queries_overdue_col. */
extern const char QUERIES_SQL_OVERDUE_BY_ORG[];
enum queries_overdue_col {
	QUERIES_OVERDUE_ORG = 16, /* after the query's own columns */
	QUERIES_OVERDUE_ORG_NAME,
	QUERIES_OVERDUE_ORG_CONTACTS, /* its mailboxes, joined with RESULT_SEP */
};
Planreg__V1__Query *queries_from_row(struct rpc_call *call, PGresult *res, int row);

/* One line about a query for people: "query 4 on project 3's 2026-Q3 return (milestone:2), answer by
 * 2026-10-30: Why has it slipped?" (the comment cut to a line), into call's arena. */
const char *queries_line(struct rpc_call *call, const Planreg__V1__Query *q);

#endif
