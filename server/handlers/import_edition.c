/* import_edition.c - ImportPlan of a new edition (successor_of): under the
 * import's lock, the edition it succeeds (which must be the current plan) and
 * that edition's projects; each project of the document matched to the one it
 * continues (import_match.c), an import with an ambiguous match refused until
 * the map settles it; then, once planreg_import_plan has written the edition,
 * every project reported as carried over (with what changed), new or closed. */
#include <stdlib.h>
#include <string.h>

#include "import_int.h"
#include "sql.h"

/* The lock planreg_import_plan takes (migrations/0016), taken first so that what is read here still holds when
 * it runs. */
static const char SQL_LOCK[] = "SELECT pg_advisory_xact_lock(31644363112211816)";

/* $1 the plan named, $2 the document's title. No row when the register holds no plan. */
static const char SQL_PREVIOUS[] =
	"SELECT p.id, p.title, " CURRENT_PLAN ", (SELECT n.id FROM plan n WHERE n.title = $2)"
	" FROM plan p WHERE p.id = " PLAN_NAMED("$1");
enum previous_col { PREVIOUS_ID, PREVIOUS_TITLE, PREVIOUS_CURRENT, PREVIOUS_SAME_TITLE };

/* $1 the previous plan: its projects, with their lead organisations joined with RESULT_SEP. */
static const char SQL_PREVIOUS_PROJECTS[] =
	"SELECT f.id, f.ref, f.title, coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position)"
	"  FROM project_lead_org l WHERE l.project_id = f.id), '')"
	" FROM project f WHERE f.plan_id = $1::int ORDER BY f.ref";
enum previous_projects_col { PREV_ID, PREV_REF, PREV_TITLE, PREV_LEADS };

/* What the previous edition's projects are while matching: the matcher's view, and each project's id. */
struct import_edition_prev {
	struct import_match_project *m;
	long long *id;
};

static int import_edition_index_of(const struct import_edition *e, int previous_ref)
{
	for (size_t k = 0; k < e->n_prev; k++)
		if (e->prev_refs[k] == previous_ref)
			return (int)k;
	return -1;
}

/* The map's previous refs must be projects of the previous edition. */
static bool import_edition_check_map(struct rpc_call *call, const struct import_edition *e)
{
	const Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	for (size_t i = 0; i < q->n_map; i++)
		if (q->map[i]->previous_ref != 0 && import_edition_index_of(e, q->map[i]->previous_ref) < 0)
			reply_violation(call, rpc_printf(call, "map[%zu]", i), "plan %d has no project %d", e->previous,
					q->map[i]->previous_ref);
	if (!reply_has_violations(call))
		return true;
	reply_violations(call, "invalid_map");
	return false;
}

/* "could continue project 67 or project 68 of plan 1 (the same title)" for an ambiguous match (in the call's
 * arena). */
static const char *import_edition_could(struct rpc_call *call, const struct import_edition *e,
					const struct import_match_result *r)
{
	char *s = rpc_printf(call, "could continue");
	for (size_t c = 0; c < r->n_candidates; c++)
		s = rpc_printf(call, "%s%s project %d", s, c == 0 ? "" : " or", e->prev_refs[r->candidates[c]]);
	return rpc_printf(call, "%s of plan %d%s (%s)", s, e->previous,
			  r->n_candidates == 1 ? ", as another project of the new edition could" : "",
			  r->ambiguous_by == IMPORT_MATCH_TITLE ? "the same title" : "the same lead and a close title");
}

/* An import (not a dry run) with an ambiguous match is refused, each one named. */
static void import_edition_refuse(struct rpc_call *call, const struct import_edition *e)
{
	const Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	const char *first = NULL;
	int first_ref = 0;
	for (size_t i = 0; i < q->n_projects; i++) {
		if (e->match[i].how != IMPORT_MATCH_AMBIGUOUS)
			continue;
		const char *could = import_edition_could(call, e, &e->match[i]);
		reply_violation(call, rpc_printf(call, "projects[ref=%d]", q->projects[i]->ref), "%s", could);
		if (first == NULL)
			first = could, first_ref = q->projects[i]->ref;
	}
	reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "ambiguous_match",
		    "%zu project%s of the new edition cannot be matched to the one %s continues; a --map file settles "
		    "each (a line NEW_REF OLD_REF, or NEW_REF new); project %d %s",
		    e->ambiguous, e->ambiguous == 1 ? "" : "s", e->ambiguous == 1 ? "it" : "each", first_ref, first);
}

/* Each project of the document matched; then the import, or its refusal. */
static void import_edition_matched(struct rpc_call *call, const struct import_edition_prev *prev)
{
	const Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	struct import_state *st = call->state;
	struct import_edition *e = st->edition;
	struct import_match_project *next = arena_alloc(&call->arena, (q->n_projects + 1) * sizeof *next);
	struct import_match_map *map = arena_alloc(&call->arena, (q->n_map + 1) * sizeof *map);
	for (size_t i = 0; i < q->n_projects; i++)
		next[i] = (struct import_match_project){q->projects[i]->ref, q->projects[i]->title,
							q->projects[i]->lead_orgs, q->projects[i]->n_lead_orgs};
	for (size_t i = 0; i < q->n_map; i++)
		map[i] = (struct import_match_map){q->map[i]->ref, q->map[i]->previous_ref};
	e->match = arena_alloc(&call->arena, (q->n_projects + 1) * sizeof *e->match);
	e->continues = arena_alloc(&call->arena, (q->n_projects + 1) * sizeof *e->continues);
	import_match(next, q->n_projects, prev->m, e->n_prev, map, q->n_map, e->match);
	for (size_t i = 0; i < q->n_projects; i++) {
		e->continues[i] = e->match[i].previous >= 0 ? prev->id[e->match[i].previous] : 0;
		e->ambiguous += e->match[i].how == IMPORT_MATCH_AMBIGUOUS;
	}
	if (e->ambiguous > 0 && !q->dry_run) {
		import_edition_refuse(call, e);
		return;
	}
	/* a dry run goes on with the ambiguous ones as new, to show the rest of what the import would do */
	char *doc = import_to_json(q, e);
	st->doc = rpc_strdup(call, doc);
	free(doc);
	import_send(call);
}

static void import_edition_have_projects(struct rpc_call *call, PGresult *res)
{
	struct import_edition *e = ((struct import_state *)call->state)->edition;
	size_t n = (size_t)PQntuples(res);
	struct import_edition_prev prev = {arena_alloc(&call->arena, (n + 1) * sizeof *prev.m),
					   arena_alloc(&call->arena, (n + 1) * sizeof *prev.id)};
	e->prev_refs = arena_alloc(&call->arena, (n + 1) * sizeof *e->prev_refs);
	e->n_prev = n;
	for (size_t k = 0; k < n; k++) {
		char **leads;
		size_t n_leads = result_split(&call->arena, result_value(res, (int)k, PREV_LEADS), RESULT_SEP, &leads);
		e->prev_refs[k] = result_int(res, (int)k, PREV_REF);
		prev.id[k] = result_int64(res, (int)k, PREV_ID);
		prev.m[k] = (struct import_match_project){
			e->prev_refs[k], rpc_strdup(call, result_value(res, (int)k, PREV_TITLE)), leads, n_leads};
	}
	if (import_edition_check_map(call, e))
		import_edition_matched(call, &prev);
}

static void import_edition_have_previous(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	struct import_edition *e = ((struct import_state *)call->state)->edition;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "no_plan",
			    "the register holds no plan yet, so there is none to succeed: import the first edition "
			    "without --successor-of");
		return;
	}
	e->previous = result_int(res, 0, PREVIOUS_ID);
	e->previous_title = rpc_strdup(call, result_value(res, 0, PREVIOUS_TITLE));
	int current = result_int(res, 0, PREVIOUS_CURRENT);
	if (e->previous != current) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "not_current_plan",
			    "plan %d (\"%s\") is not the current edition: plan %d is, and a new edition succeeds the "
			    "current one",
			    e->previous, e->previous_title, current);
		return;
	}
	if (!result_is_null(res, 0, PREVIOUS_SAME_TITLE)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "plan_title_taken",
			    "the register already holds a plan titled \"%s\" (plan %d); a new edition needs a title of "
			    "its own",
			    q->title, result_int(res, 0, PREVIOUS_SAME_TITLE));
		return;
	}
	const char *params[1] = {rpc_printf(call, "%d", e->previous)};
	query_run(call, SQL_PREVIOUS_PROJECTS, 1, params, import_edition_have_projects);
}

static void import_edition_locked(struct rpc_call *call, PGresult *res)
{
	(void)res;
	const Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	const char *params[2] = {q->successor_of, q->title};
	query_run(call, SQL_PREVIOUS, 2, params, import_edition_have_previous);
}

void import_edition_begin(struct rpc_call *call)
{
	query_run(call, SQL_LOCK, 0, NULL, import_edition_locked);
}

/* ---------------------------------------------------------------- the report */

/* The match of the document's project ref, or NULL. */
static const struct import_match_result *import_edition_match_of(struct rpc_call *call, int ref)
{
	const Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	const struct import_edition *e = ((struct import_state *)call->state)->edition;
	for (size_t i = 0; i < q->n_projects; i++)
		if (q->projects[i]->ref == ref)
			return &e->match[i];
	return NULL;
}

/* A closed project of the previous edition that an ambiguous project could continue is reported with it. */
static bool import_edition_pending(const struct import_edition *e, size_t n, int previous_ref)
{
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; e->match[i].how == IMPORT_MATCH_AMBIGUOUS && c < e->match[i].n_candidates; c++)
			if (e->prev_refs[e->match[i].candidates[c]] == previous_ref)
				return true;
	return false;
}

/* One row of PLAN_SQL_PROJECTS as a change of the answer, the match's words added; NULL when it is left out. */
static Planreg__V1__ImportChange *import_edition_change(struct rpc_call *call, PGresult *res, int i)
{
	const struct import_edition *e = ((struct import_state *)call->state)->edition;
	Planreg__V1__PlanProject *p = plan_project_from_row(call, res, i);
	if (strcmp(p->status, "closed") == 0 &&
	    import_edition_pending(e, call->req->import_plan->n_projects, p->previous_ref))
		return NULL;
	Planreg__V1__ImportChange *c =
		ARENA_NEW(&call->arena, Planreg__V1__ImportChange, planreg__v1__import_change__init);
	c->kind = p->status;
	c->entity = "project";
	c->key = p->ref ? rpc_printf(call, "%d", p->ref) : "";
	c->previous_key = p->previous_ref ? rpc_printf(call, "%d", p->previous_ref) : "";
	c->detail = p->title;
	c->changed = p->changed;
	c->n_changed = p->n_changed;
	const struct import_match_result *m = p->ref ? import_edition_match_of(call, p->ref) : NULL;
	if (m != NULL)
		c->matched_by = (char *)import_match_how_name(m->how);
	if (m != NULL && m->how == IMPORT_MATCH_AMBIGUOUS) {
		c->kind = "ambiguous";
		for (size_t k = 0; k < m->n_candidates; k++)
			*(char **)arena_push(&call->arena, &c->candidates, &c->n_candidates, sizeof(char *)) =
				rpc_printf(call, "%d", e->prev_refs[m->candidates[k]]);
	}
	return c;
}

static void import_edition_reported(struct rpc_call *call, PGresult *res)
{
	struct import_state *st = call->state;
	Planreg__V1__ImportPlanResponse *r = st->resp;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__ImportChange *c = import_edition_change(call, res, i);
		if (c == NULL)
			continue;
		r->carried += strcmp(c->kind, "carried") == 0;
		r->new_projects += strcmp(c->kind, "new") == 0;
		r->closed += strcmp(c->kind, "closed") == 0;
		r->ambiguous += strcmp(c->kind, "ambiguous") == 0;
		*(Planreg__V1__ImportChange **)arena_push(&call->arena, &r->changes, &r->n_changes, sizeof c) = c;
	}
	r->previous_plan = st->edition->previous;
	st->edition->after_report(call, res);
}

void import_edition_report(struct rpc_call *call, int plan, rpc_step next)
{
	struct import_state *st = call->state;
	st->edition->after_report = next;
	const char *params[1] = {rpc_printf(call, "%d", plan)};
	query_run(call, PLAN_SQL_PROJECTS, 1, params, import_edition_reported);
}
