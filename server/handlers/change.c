/* change.c - change requests to a project's approved baseline (docs/assurance.md): ListChanges,
 * GetChange and DecideChange. A return beyond the tolerance raises them (migrations/0019's
 * trigger); only an approved one moves the baseline. Who may see and decide is auth.c's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assure.h"
#include "auth.h"
#include "server.h"
#include "validate.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* One change request (alias c, project p), in the order of enum change_col and named as the Change message's
 * fields (change_from_row fills one with result_fill). */
#define CHANGE_COLUMNS                                                                                          \
	"c.id, p.ref, p.title, c.kind, c.state, coalesce(c.update_id, 0) AS update_id, coalesce(c.period, '') AS period," \
	" CASE c.kind WHEN 'time' THEN coalesce(to_char(c.old_date, 'YYYY-MM-DD'), '')"                          \
	"  WHEN 'cost' THEN coalesce(c.old_pence::text, '') ELSE c.old_text END AS old_value,"                    \
	" CASE c.kind WHEN 'time' THEN coalesce(to_char(c.new_date, 'YYYY-MM-DD'), '')"                          \
	"  WHEN 'cost' THEN coalesce(c.new_pence::text, '') ELSE c.new_text END AS new_value,"                    \
	" c.rationale, " TS_AS("c.raised_at", "raised_at") ", coalesce(c.decided_by, '') AS decided_by,"          \
	" " TS_AS("c.decided_at", "decided_at") ", c.decision_comment AS comment,"                                \
	" coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"               \
	"   WHERE project_id = p.id), ''),"                                                                      \
	" coalesce((SELECT i.id FROM indicator i WHERE i.change_id = c.id), 0) AS indicator_id"
/* $1 project, $2 the indicator's definition, $3 rationale: a new scope request, as CHANGE_COLUMNS */
static const char SQL_PROPOSE[] =
	"WITH c AS (INSERT INTO change_request (project_id, kind, new_text, rationale)"
	"  VALUES ($1::bigint, 'scope', $2, $3) RETURNING *)"
	" SELECT " CHANGE_COLUMNS " FROM c JOIN project p ON p.id = c.project_id";
/* $1 id, $2 state, $3 ref, $4 scope (a submitter's organisation) */
static const char SQL_CHANGES[] =
	DB_CUSTOM_PLAN "SELECT " CHANGE_COLUMNS " FROM change_request c JOIN project p ON p.id = c.project_id"
	" WHERE ($1::bigint IS NULL OR c.id = $1::bigint)"
	"  AND ($2::change_state IS NULL OR c.state = $2::change_state)"
	"  AND ($3::int IS NULL OR (p.ref = $3::int AND p.plan_id = " CURRENT_PLAN "))"
	"  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l WHERE l.project_id = p.id"
	"       AND lower(l.org_code) = lower($4::text)))"
	" ORDER BY c.id";
/* $1 id, $2 approve, $3 comment, $4 deciding credential: the id when it was pending and is now decided */
static const char SQL_DECIDE[] = "SELECT planreg_change_decide($1::bigint, $2::boolean, $3, $4)";
/* clang-format on */
enum change_col {
	CHANGE_ID,
	CHANGE_REF,
	CHANGE_TITLE,
	CHANGE_KIND,
	CHANGE_STATE,
	CHANGE_UPDATE_ID,
	CHANGE_PERIOD,
	CHANGE_OLD,
	CHANGE_NEW,
	CHANGE_RATIONALE,
	CHANGE_RAISED_AT,
	CHANGE_DECIDED_BY,
	CHANGE_DECIDED_AT,
	CHANGE_COMMENT,
	CHANGE_LEADS,
};

static Planreg__V1__ChangeKind change_kind(const char *s)
{
	if (strcmp(s, "time") == 0)
		return PLANREG__V1__CHANGE_KIND__CHANGE_KIND_TIME;
	if (strcmp(s, "cost") == 0)
		return PLANREG__V1__CHANGE_KIND__CHANGE_KIND_COST;
	if (strcmp(s, "scope") == 0)
		return PLANREG__V1__CHANGE_KIND__CHANGE_KIND_SCOPE;
	return PLANREG__V1__CHANGE_KIND__CHANGE_KIND_UNSPECIFIED;
}

static Planreg__V1__Change *change_from_row(struct rpc_call *call, PGresult *res, int i)
{
	Planreg__V1__Change *c = ARENA_NEW(&call->arena, Planreg__V1__Change, planreg__v1__change__init);
	result_fill(&call->arena, res, i, &c->base);
	c->kind = change_kind(result_value(res, i, CHANGE_KIND));
	c->n_lead_orgs = result_split(&call->arena, result_value(res, i, CHANGE_LEADS), RESULT_SEP, &c->lead_orgs);
	return c;
}

/* ---------------------------------------------------------------- ListChanges */

static void change_list_rows(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListChangesResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListChangesResponse, planreg__v1__list_changes_response__init);
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Change *c = change_from_row(call, res, i);
		*(Planreg__V1__Change **)arena_push(&call->arena, &r->changes, &r->n_changes, sizeof c) = c;
	}
	reply_ok(call, r);
}

static bool change_state_valid(const char *s)
{
	static const char *const states[] = {"pending", "approved", "rejected", "superseded"};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

void change_list(struct rpc_call *call)
{
	const Planreg__V1__ListChangesRequest *q = call->req->list_changes;
	if (q->state[0] && !change_state_valid(q->state))
		reply_violation(call, "state", "\"%s\" is not a state: one of pending, approved, rejected, superseded",
				q->state);
	if (q->ref < 0)
		reply_violation(call, "ref", "%d is not a project reference (a positive number, or 0 for all)", q->ref);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_change_request");
		return;
	}
	const char *params[4] = {NULL, q->state[0] ? q->state : NULL, q->ref ? rpc_printf(call, "%d", q->ref) : NULL,
				 auth_progress_scope(&call->principal)};
	query_run(call, SQL_CHANGES, 4, params, change_list_rows);
}

/* ---------------------------------------------------------------- GetChange */

/* The change of a one-row answer of SQL_CHANGES (by id), if the caller may see it; else a refusal. */
static Planreg__V1__Change *change_one(struct rpc_call *call, PGresult *res, int64_t id)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "change_not_found",
			    "there is no change request %lld (`planreg change list` shows them)", (long long)id);
		return NULL;
	}
	Planreg__V1__Change *c = change_from_row(call, res, 0);
	if (!auth_may_read_progress(&call->principal, c->lead_orgs, c->n_lead_orgs)) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "change request %lld is for project %d, which your organisation %s does not lead",
			    (long long)id, c->ref, call->principal.organisation);
		return NULL;
	}
	return c;
}

static void change_get_row(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__Change *c = change_one(call, res, call->req->get_change->id);
	if (c == NULL)
		return;
	Planreg__V1__GetChangeResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetChangeResponse, planreg__v1__get_change_response__init);
	r->change = c;
	reply_ok(call, r);
}

static bool change_id_valid(struct rpc_call *call, int64_t id)
{
	if (id <= 0)
		reply_violation(call, "id", "%lld is not a change request id", (long long)id);
	return !reply_has_violations(call);
}

void change_get(struct rpc_call *call)
{
	int64_t id = call->req->get_change->id;
	if (!change_id_valid(call, id)) {
		reply_violations(call, "invalid_change_request");
		return;
	}
	const char *params[4] = {rpc_printf(call, "%lld", (long long)id), NULL, NULL, NULL};
	query_run(call, SQL_CHANGES, 4, params, change_get_row);
}

/* ---------------------------------------------------------------- DecideChange */

static void change_decided_row(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__DecideChangeRequest *q = call->req->decide_change;
	Planreg__V1__Change *c = change_one(call, res, q->id);
	if (c == NULL)
		return;
	const char *want = q->approve ? "approved" : "rejected";
	bool decided = (intptr_t)call->state != 0;
	/* decided before: the same decision by the same credential is a retry and gets the change back */
	if (!decided && (strcmp(c->state, want) != 0 || strcmp(c->decided_by, call->principal.credential) != 0)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "change_decided",
			    "change request %lld is %s%s%s, not pending: it cannot be %s now", (long long)q->id,
			    c->state, c->decided_by[0] ? " by " : "", c->decided_by, want);
		return;
	}
	Planreg__V1__DecideChangeResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__DecideChangeResponse, planreg__v1__decide_change_response__init);
	r->change = c;
	reply_ok(call, r);
}

static void change_decide_done(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__DecideChangeRequest *q = call->req->decide_change;
	call->state = (void *)(intptr_t)(PQntuples(res) > 0 && !result_is_null(res, 0, 0));
	const char *params[4] = {rpc_printf(call, "%lld", (long long)q->id), NULL, NULL, NULL};
	query_run(call, SQL_CHANGES, 4, params, change_decided_row);
}

void change_decide(struct rpc_call *call)
{
	const Planreg__V1__DecideChangeRequest *q = call->req->decide_change;
	change_id_valid(call, q->id);
	validate_text(call, "comment", q->comment, 5000, (q->approve ? 0 : VALIDATE_REQUIRED) | VALIDATE_MULTILINE);
	if (reply_has_violations(call)) {
		reply_violations(call, q->approve ? "invalid_change_request" : "comment_required");
		return;
	}
	const char *params[4] = {rpc_printf(call, "%lld", (long long)q->id), q->approve ? "true" : "false", q->comment,
				 call->principal.credential};
	query_run(call, SQL_DECIDE, 4, params, change_decide_done);
}

/* ---------------------------------------------------------------- a proposed indicator (indicator.c) */

static void change_proposed(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__AddIndicatorResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__AddIndicatorResponse, planreg__v1__add_indicator_response__init);
	r->change = change_from_row(call, res, 0);
	reply_ok(call, r);
}

void change_propose_scope(struct rpc_call *call, const char *project, const char *definition, const char *rationale)
{
	const char *params[3] = {project, definition, rationale};
	query_run(call, SQL_PROPOSE, 3, params, change_proposed);
}
