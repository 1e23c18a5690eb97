/* assure.h - what the Combined Authority assures beside each return (docs/assurance.md): its own
 * rating set on review, the rating scale, and each project's baselines. The SQL fragments are pasted
 * into status.c's and update.c's statements; the functions read their columns. */
#ifndef PLANREG_HANDLERS_ASSURE_H
#define PLANREG_HANDLERS_ASSURE_H
#include "handlers.h"
#include "sql.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* The CA's rating (alias x: planreg_assurance_latest's columns, or assurance_rating's), in the order
 * assure_from_row reads them; all NULL when there is none. */
#define ASSURE_COLUMNS "x.update_id, x.rating, x.rationale, x.rated_by, " TS_US("x.rated_at")
enum { ASSURE_UPDATE_ID, ASSURE_RATING, ASSURE_RATIONALE, ASSURE_BY, ASSURE_AT, ASSURE_COUNT };

/* What a status row shows beside its return: the CA's latest rating for the project and period, then
 * the baselines (alias y, planreg_assurance_status): ASSURE_COLUMNS then enum assure_status_col. */
#define ASSURE_STATUS_COLUMNS                                                                                    \
	ASSURE_COLUMNS ", y.original_cost_min_pence, y.original_cost_max_pence,"                                 \
	" to_char(y.original_end_date, 'YYYY-MM-DD'), y.cost_min_pence, y.cost_max_pence,"                       \
	" to_char(y.end_date, 'YYYY-MM-DD'), y.cost_change_id, y.end_change_id,"                                 \
	" coalesce(to_char(y.return_end_date, 'YYYY-MM-DD'), ''), coalesce(y.pending_changes, 0),"               \
	" y.return_end_date - y.original_end_date, y.return_end_date - y.end_date, coalesce(y.end_unapproved, false)"
#define ASSURE_STATUS_JOIN(project, update, period, as_at)                                                       \
	" LEFT JOIN LATERAL planreg_assurance_latest(" project ", " period ", " as_at ") x ON true"               \
	" LEFT JOIN LATERAL planreg_assurance_status(" project ", " update ") y ON true"
/* clang-format on */
enum assure_status_col {
	ASSURE_ORIGINAL_MIN = ASSURE_COUNT,
	ASSURE_ORIGINAL_MAX,
	ASSURE_ORIGINAL_END,
	ASSURE_APPROVED_MIN,
	ASSURE_APPROVED_MAX,
	ASSURE_APPROVED_END,
	ASSURE_COST_CHANGE,
	ASSURE_END_CHANGE,
	ASSURE_RETURN_END,
	ASSURE_PENDING,
	ASSURE_SLIP_ORIGINAL,
	ASSURE_SLIP_APPROVED,
	ASSURE_END_UNAPPROVED,
	ASSURE_STATUS_COUNT
};

/* The deployment's scale is three-point (rating_scale = three). */
bool assure_three_point(const struct rpc_call *call);
/* A rating as reports show it: on a three-point deployment amber_green and amber_red are amber. */
int assure_fold(const struct rpc_call *call, int confidence);
/* A violation on field unless c is a rating of the deployment's scale (c is valid). */
void assure_check_scale(struct rpc_call *call, const char *field, int c);

/* The rating of row's ASSURE_COLUMNS from col; NULL when there is none. */
Planreg__V1__Assurance *assure_from_row(struct rpc_call *call, PGresult *res, int row, int col);

/* ReviewUpdate: checks the rating and rationale of the request (false: violations added). */
bool assure_review_validate(struct rpc_call *call);
/* Replies with the review's answer r; with a rating asked for, records it first (once per review). */
void assure_review_reply(struct rpc_call *call, Planreg__V1__ReviewUpdateResponse *r);

/* GetStatus: the CA's rating and the baselines of row's ASSURE_STATUS_COLUMNS from col into ps (the flag
 * end_date_unapproved among them), then ps's ratings folded to the scale. */
void assure_status_project(struct rpc_call *call, PGresult *res, int row, int col, Planreg__V1__ProjectStatus *ps,
			   bool has_update);
/* GetStatus's last step: the totals by the CA's rating over the projects planreg_status_rows gives for
 * params (13, as status.c's SQL_STATUS; the page's two last ignored), ratings folded, then the reply. */
void assure_status_totals(struct rpc_call *call, Planreg__V1__GetStatusResponse *r, const char *const params[14]);
/* evidence.c: documents that back a return (docs/assurance.md) */
/* The evidence of update u (alias u) as one cell, read by evidence_from_cell. */
#define ASSURE_EVIDENCE_CELL                                                                                           \
	"coalesce((SELECT string_agg(e.id || chr(30) || e.update_id || chr(30) || coalesce(e.milestone, 0) ||"         \
	" chr(30) || e.location || chr(30) || coalesce(e.sha256, '') || chr(30) || e.category || chr(30) ||"           \
	" e.title || chr(30) || e.added_by || chr(30) || " TS(                                                         \
		"e.added_at") " || chr(30) || coalesce(e.indicator_id, 0), chr(31) ORDER BY e.id)"                     \
			      " FROM evidence_link e WHERE e.update_id = u.id), '')"
void evidence_from_cell(struct rpc_call *call, const char *cell, Planreg__V1__Evidence ***out, size_t *n);
#endif
