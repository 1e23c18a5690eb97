/* indicator.h - benefits and indicators (docs/assurance.md, "Indicators"): what indicator.c gives the
 * handlers of returns (update.c, audit.c) and of the status (status.c). */
#ifndef PLANREG_HANDLERS_INDICATOR_H
#define PLANREG_HANDLERS_INDICATOR_H
#include "chain.h"
#include "handlers.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* $1 the project's row, $2 the actuals' indicator ids (a bigint[] literal), in the return's order: one row each,
 * enum actual_check_col. */
#define INDICATOR_SQL_ACTUALS_CHECK                                                                              \
	"SELECT x.id, i.name, coalesce(i.lineage = p.lineage, false),"                                           \
	" (SELECT c.ref FROM project c WHERE c.lineage = i.lineage ORDER BY c.plan_id DESC LIMIT 1)"              \
	" FROM unnest($2::bigint[]) WITH ORDINALITY x(id, n) LEFT JOIN indicator i ON i.id = x.id"               \
	" CROSS JOIN project p WHERE p.id = $1::bigint ORDER BY x.n"
/* Each indicator of the project of row `project` (a project's id) with the actual of return `update` and the
 * target set for `period`, as one cell read by indicator_progress_cell: joined with RESULT_SEP by id, each in
 * enum progress_field's order joined with RESULT_SUBSEP. */
#define INDICATOR_PROGRESS_CELL(project, update, period)                                                         \
	"coalesce((SELECT string_agg(i.id || chr(30) || i.name || chr(30) || i.unit || chr(30) || i.baseline_value" \
	"   || chr(30) || i.target_value || chr(30) || to_char(i.target_date, 'YYYY-MM-DD') || chr(30) ||"          \
	"   coalesce(a.value, '') || chr(30) || coalesce(t.value, '') || chr(30) ||"                                \
	"   coalesce(round((a.value::numeric - i.baseline_value::numeric) * 1000"                                  \
	"     / nullif(i.target_value::numeric - i.baseline_value::numeric, 0))::text, '') || chr(30) ||"              \
	"   CASE WHEN a.value IS NULL AND i.created_at <= (SELECT pu.submitted_at FROM progress_update pu"            \
	"    WHERE pu.id = " update ") THEN 't' ELSE 'f' END, chr(31) ORDER BY i.id)"                                \
	"  FROM indicator i LEFT JOIN update_actual a ON a.indicator_id = i.id AND a.update_id = " update             \
	"  LEFT JOIN indicator_period_target t ON t.indicator_id = i.id AND t.period = " period                    \
	"  WHERE i.lineage = (SELECT m.lineage FROM project m WHERE m.id = " project ")), '')"
/* clang-format on */

/* SubmitUpdate: violations for the content's actuals that need no database (a number, a note, no repeat). */
void indicator_validate_actuals(struct rpc_call *call, const Planreg__V1__UpdateContent *c);
/* The row of INDICATOR_SQL_ACTUALS_CHECK: false, with the call answered, when an actual is for an indicator
 * that does not exist or is another project's than ref's. */
bool indicator_actuals_checked(struct rpc_call *call, PGresult *res, int ref);
/* The bigint[] literal of the content's indicator ids, and the actuals as the JSON array SQL_SUBMIT stores. */
const char *indicator_actual_ids(struct rpc_call *call, const Planreg__V1__UpdateContent *c);
const char *indicator_actuals_json(struct rpc_call *call, const Planreg__V1__UpdateContent *c);

/* A return's actuals from its cell (sql.h's SQL_ACTUALS_CELL). */
void indicator_actuals_cell(struct rpc_call *call, const char *cell, Planreg__V1__Actual ***out, size_t *n);
/* The same as the chain encodes them (audit.c). */
const struct chain_actual *indicator_chain_actuals(struct rpc_call *call, const char *cell, size_t *n);
/* The progress of a project's indicators from INDICATOR_PROGRESS_CELL. */
void indicator_progress_cell(struct rpc_call *call, const char *cell, Planreg__V1__IndicatorProgress ***out, size_t *n);

#endif
