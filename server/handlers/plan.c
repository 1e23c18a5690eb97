/* plan.c - the editions of the action plan: ListPlans (every edition, which
 * one is current, what each carried over, added and closed) and GetPlan (one
 * edition, project by project against the one before it). */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "sql.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* $1 the plan, or NULL for every plan; by number. Its columns are named as the Plan message's fields
 * (plan_from_row fills one with result_fill). */
static const char SQL_PLANS[] =
	DB_CUSTOM_PLAN "SELECT p.id AS number, p.title, coalesce(p.previous, 0) AS previous,"
	"  coalesce((SELECT n.id FROM plan n WHERE n.previous = p.id), 0) AS next,"
	"  p.id = " CURRENT_PLAN " AS current, " TS_AS("p.imported_at", "imported_at") ", p.imported_by,"
	"  coalesce(p.source_sha256, '') AS source_sha256,"
	"  (SELECT count(*) FROM project x WHERE x.plan_id = p.id) AS projects,"
	"  (SELECT count(*) FROM theme t WHERE t.plan_id = p.id) AS themes,"
	"  (SELECT count(*) FROM project x WHERE x.plan_id = p.id AND x.continues IS NOT NULL) AS carried_over,"
	"  (SELECT count(*) FROM project x WHERE x.plan_id = p.id AND x.continues IS NULL) AS new_projects,"
	"  (SELECT count(*) FROM project o WHERE o.plan_id = p.previous"
	"    AND NOT EXISTS (SELECT 1 FROM project x WHERE x.continues = o.id)) AS closed"
	" FROM plan p WHERE $1::text IS NULL OR p.id = " PLAN_NAMED("$1") " ORDER BY p.id";

/* What changed from one edition's row of a project (o) to the next's (x): the names joined with RESULT_SEP. */
#define PLAN_CHANGED                                                                                            \
	"array_to_string(ARRAY["                                                                                 \
	"  CASE WHEN o.ref <> x.ref THEN 'ref' END,"                                                             \
	"  CASE WHEN o.title <> x.title THEN 'title' END,"                                                       \
	"  CASE WHEN (SELECT array_agg(l.org_code::text ORDER BY l.position) FROM project_lead_org l"            \
	"             WHERE l.project_id = o.id) IS DISTINCT FROM"                                               \
	"            (SELECT array_agg(l.org_code::text ORDER BY l.position) FROM project_lead_org l"            \
	"             WHERE l.project_id = x.id)"                                                                \
	"         OR (SELECT array_agg(l.person_id ORDER BY l.position) FROM project_lead_person l"              \
	"             WHERE l.project_id = o.id) IS DISTINCT FROM"                                               \
	"            (SELECT array_agg(l.person_id ORDER BY l.position) FROM project_lead_person l"              \
	"             WHERE l.project_id = x.id) THEN 'lead' END,"                                               \
	"  CASE WHEN (o.cost_status, o.cost_min_pence, o.cost_max_pence, o.cost_approximate) IS DISTINCT FROM"  \
	"            (x.cost_status, x.cost_min_pence, x.cost_max_pence, x.cost_approximate) THEN 'cost' END,"  \
	"  CASE WHEN (o.stage, o.stage_note) IS DISTINCT FROM (x.stage, x.stage_note) THEN 'stage' END,"        \
	"  CASE WHEN (o.theme, o.objective) IS DISTINCT FROM (x.theme, x.objective) THEN 'objective' END,"      \
	"  CASE WHEN o.description <> x.description THEN 'description' END,"                                     \
	"  CASE WHEN o.partners_text <> x.partners_text THEN 'partners' END,"                                    \
	"  CASE WHEN o.funding <> x.funding THEN 'funding' END,"                                                 \
	"  CASE WHEN o.capital <> x.capital THEN 'capital' END], chr(31))"

/* $1 the plan's number (as text): its projects, each carried over or new, then the previous edition's
 * projects it closed. */
const char PLAN_SQL_PROJECTS[] =
	"SELECT e.status, e.ref, e.previous_ref, e.title, e.changed FROM ("
	" SELECT CASE WHEN x.continues IS NULL THEN 'new' ELSE 'carried' END AS status, x.ref,"
	"  coalesce(o.ref, 0) AS previous_ref, x.title::text AS title,"
	"  CASE WHEN o.id IS NULL THEN '' ELSE " PLAN_CHANGED " END AS changed"
	" FROM project x LEFT JOIN project o ON o.id = x.continues WHERE x.plan_id = $1::int"
	" UNION ALL"
	" SELECT 'closed', 0, o.ref, o.title::text, '' FROM project o JOIN plan p ON p.id = $1::int"
	"  WHERE o.plan_id = p.previous AND NOT EXISTS (SELECT 1 FROM project x WHERE x.continues = o.id)) e"
	" ORDER BY e.ref = 0, e.ref, e.previous_ref";
/* clang-format on */

static Planreg__V1__Plan *plan_from_row(struct rpc_call *call, PGresult *res, int i)
{
	Planreg__V1__Plan *p = ARENA_NEW(&call->arena, Planreg__V1__Plan, planreg__v1__plan__init);
	result_fill(&call->arena, res, i, &p->base);
	return p;
}

Planreg__V1__PlanProject *plan_project_from_row(struct rpc_call *call, PGresult *res, int i)
{
	Planreg__V1__PlanProject *p =
		ARENA_NEW(&call->arena, Planreg__V1__PlanProject, planreg__v1__plan_project__init);
	result_fill(&call->arena, res, i, &p->base);
	p->n_changed = result_split(&call->arena, result_value(res, i, PLAN_PROJECT_CHANGED), RESULT_SEP, &p->changed);
	return p;
}

static void plan_list_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListPlansResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListPlansResponse, planreg__v1__list_plans_response__init);
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Plan *p = plan_from_row(call, res, i);
		*(Planreg__V1__Plan **)arena_push(&call->arena, &r->plans, &r->n_plans, sizeof p) = p;
	}
	reply_ok(call, r);
}

void plan_list(struct rpc_call *call)
{
	const char *params[1] = {NULL};
	query_run(call, SQL_PLANS, 1, params, plan_list_done);
}

static void plan_get_projects(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__GetPlanResponse *r = call->state;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__PlanProject *p = plan_project_from_row(call, res, i);
		*(Planreg__V1__PlanProject **)arena_push(&call->arena, &r->projects, &r->n_projects, sizeof p) = p;
	}
	reply_ok(call, r);
}

static void plan_get_done(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "plan_not_found",
			    "the register holds no plan yet (`planreg plan import FILE` imports the first)");
		return;
	}
	Planreg__V1__GetPlanResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetPlanResponse, planreg__v1__get_plan_response__init);
	r->plan = plan_from_row(call, res, 0);
	call->state = r;
	const char *params[1] = {rpc_printf(call, "%d", r->plan->number)};
	query_run(call, PLAN_SQL_PROJECTS, 1, params, plan_get_projects);
}

void plan_get(struct rpc_call *call)
{
	const char *params[1] = {call->req->get_plan->plan};
	query_run(call, SQL_PLANS, 1, params, plan_get_done);
}
