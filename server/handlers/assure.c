/* assure.c - the Combined Authority's assurance beside each return (docs/assurance.md): its rating
 * set on review (ReviewUpdate), the deployment's rating scale and the folding of five-point history
 * for three-point reports, and what GetStatus shows of the rating and the baselines. Change
 * requests are change.c's. */
#include "assure.h"

#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "validate.h"
#include "values.h"

#define ASSURE_RATIONALE_MAX 5000

/* clang-format off */
/* $1 update, $2 reviewer, $3 idempotency key or '', $4 rating, $5 rationale: the rating of the review just
 * made (or replayed) with this key; inserted once per review, so that a retry of a review whose rating was
 * not recorded records it. One row: the rating now recorded for that review. */
static const char SQL_RATE[] =
	"WITH r AS (SELECT id, update_id, reviewed_by, reviewed_at FROM update_review"
	"   WHERE update_id = $1::bigint AND reviewed_by = $2"
	"   AND idempotency_key IS NOT DISTINCT FROM NULLIF($3, '') ORDER BY id DESC LIMIT 1),"
	" ins AS (INSERT INTO assurance_rating (review_id, update_id, rating, rationale, rated_by, rated_at)"
	"   SELECT r.id, r.update_id, $4::confidence, $5, r.reviewed_by, r.reviewed_at FROM r"
	"   ON CONFLICT (review_id) DO NOTHING RETURNING *)"
	" SELECT " ASSURE_COLUMNS " FROM ins x"
	" UNION ALL SELECT " ASSURE_COLUMNS " FROM assurance_rating x JOIN r ON x.review_id = r.id";

/* The reported projects (a return, not returned) of SQL_STATUS's selection by the body's rating and the
 * CA's (NULL: none), counted in one pass (migrations/0028): $1 period, $2 as_at, $3 due date, $4 theme,
 * $5 objective, $6 lead, $7 scope, $8 stage, $9 confidence, $10 plan (SQL_STATUS's parameters but the
 * previous period, the narratives and the page). */
static const char SQL_TOTALS[] =
	DB_CUSTOM_PLAN "SELECT confidence, rating, projects FROM planreg_status_assurance_counts($1, $2::timestamptz, $3::date,"
	" $4::int, $5, $6, $7, $8::stage, $9::confidence, $10)";
enum { TOTALS_BODY, TOTALS_CA, TOTALS_COUNT };
/* clang-format on */

/* ---------------------------------------------------------------- the scale */

bool assure_three_point(const struct rpc_call *call)
{
	return call->srv && call->srv->cfg && call->srv->cfg->rating_scale &&
	       strcmp(call->srv->cfg->rating_scale, "three") == 0;
}

int assure_fold(const struct rpc_call *call, int confidence)
{
	if (assure_three_point(call) && (confidence == CONFIDENCE_AMBER_GREEN || confidence == CONFIDENCE_AMBER_RED))
		return CONFIDENCE_AMBER;
	return confidence;
}

void assure_check_scale(struct rpc_call *call, const char *field, int c)
{
	if (assure_fold(call, c) != c)
		reply_violation(call, field,
				"%s is not on this deployment's three-point scale: one of green, amber, red",
				values_confidence_name((enum confidence)c));
}

static int assure_parse(const char *s)
{
	enum confidence c = CONFIDENCE_UNSPECIFIED;
	if (s == NULL || !values_confidence_parse(s, &c))
		return CONFIDENCE_UNSPECIFIED;
	return (int)c;
}

Planreg__V1__Assurance *assure_from_row(struct rpc_call *call, PGresult *res, int row, int col)
{
	if (result_is_null(res, row, col + ASSURE_RATING))
		return NULL;
	Planreg__V1__Assurance *a = ARENA_NEW(&call->arena, Planreg__V1__Assurance, planreg__v1__assurance__init);
	a->update_id = result_int64(res, row, col + ASSURE_UPDATE_ID);
	a->rating = (Planreg__V1__Confidence)assure_parse(result_value(res, row, col + ASSURE_RATING));
	a->rationale = rpc_strdup(call, result_value(res, row, col + ASSURE_RATIONALE));
	a->rated_by = rpc_strdup(call, result_value(res, row, col + ASSURE_BY));
	a->rated_at = rpc_strdup(call, result_value(res, row, col + ASSURE_AT));
	return a;
}

/* ---------------------------------------------------------------- ReviewUpdate */

bool assure_review_validate(struct rpc_call *call)
{
	const Planreg__V1__ReviewUpdateRequest *q = call->req->review_update;
	if (q->assurance == PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED) {
		if (q->assurance_rationale[0])
			reply_violation(call, "assurance_rationale",
					"a rationale goes with the Combined Authority's rating: give the rating too");
		return !reply_has_violations(call);
	}
	if (!values_confidence_valid(q->assurance))
		reply_violation(call, "assurance", "%d is not a rating: one of %s", q->assurance,
				assure_three_point(call) ? "green, amber, red" : values_confidence_names());
	else
		assure_check_scale(call, "assurance", q->assurance);
	validate_text(call, "assurance_rationale", q->assurance_rationale, ASSURE_RATIONALE_MAX,
		      VALIDATE_REQUIRED | VALIDATE_MULTILINE);
	return !reply_has_violations(call);
}

static void assure_review_rated(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__ReviewUpdateRequest *q = call->req->review_update;
	Planreg__V1__ReviewUpdateResponse *r = call->state;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__ABORTED, "conflict",
			    "the review of update %lld was recorded but not found again to rate it; try again",
			    (long long)q->id);
		return;
	}
	r->assurance = assure_from_row(call, res, 0, 0);
	if (r->assurance == NULL || (int)r->assurance->rating != (int)q->assurance ||
	    strcmp(r->assurance->rationale, q->assurance_rationale) != 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "idempotency_key_reused",
			    "idempotency key \"%s\" was already used for this review with another rating; use a new "
			    "key for a new review",
			    call->req->idempotency_key);
		return;
	}
	reply_ok(call, r);
}

void assure_review_reply(struct rpc_call *call, Planreg__V1__ReviewUpdateResponse *r)
{
	const Planreg__V1__ReviewUpdateRequest *q = call->req->review_update;
	if (q->assurance == PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED) {
		reply_ok(call, r);
		return;
	}
	call->state = r;
	const char *params[5] = {rpc_printf(call, "%lld", (long long)q->id), call->principal.credential,
				 call->req->idempotency_key, values_confidence_name((enum confidence)q->assurance),
				 q->assurance_rationale};
	query_run(call, SQL_RATE, 5, params, assure_review_rated);
}

/* ---------------------------------------------------------------- GetStatus */

/* How far pence lies outside [lo, hi] (hi < 0: open-ended), signed, in tenths of a percent, as
 * status.c's variance against the plan; false when lo is not a positive amount. */
static bool assure_variance(int64_t f, int64_t lo, int64_t hi, long long *tenths)
{
	if (lo <= 0)
		return false;
	*tenths = 0;
	if (f < lo)
		*tenths = -(long long)((__int128)(lo - f) * 1000 / lo);
	else if (hi > 0 && f > hi)
		*tenths = (long long)((__int128)(f - hi) * 1000 / hi);
	return true;
}

/* One baseline of row (min, max, end date and slip columns; change the approved change's column or -1). */
static Planreg__V1__Baseline *assure_baseline(struct rpc_call *call, PGresult *res, int row, int min, int max, int end,
					      int slip, int change, const Planreg__V1__ProjectStatus *ps)
{
	if (result_is_null(res, row, min) && result_is_null(res, row, end))
		return NULL;
	Planreg__V1__Baseline *b = ARENA_NEW(&call->arena, Planreg__V1__Baseline, planreg__v1__baseline__init);
	b->cost_min = register_money(call, res, row, min);
	b->cost_max = register_money(call, res, row, max);
	b->end_date = rpc_strdup(call, result_is_null(res, row, end) ? "" : result_value(res, row, end));
	b->change_id = change >= 0 && !result_is_null(res, row, change) ? result_int64(res, row, change) : 0;
	long long tenths;
	if (ps->update_id && ps->forecast_total && b->cost_min &&
	    assure_variance(ps->forecast_total->pence, b->cost_min->pence, b->cost_max ? b->cost_max->pence : -1,
			    &tenths)) {
		b->variance = ARENA_NEW(&call->arena, Planreg__V1__VariancePct, planreg__v1__variance_pct__init);
		b->variance->tenths = (int32_t)tenths;
	}
	if (ps->update_id && !result_is_null(res, row, slip)) {
		b->end_slip = ARENA_NEW(&call->arena, Planreg__V1__Days, planreg__v1__days__init);
		b->end_slip->days = result_int(res, row, slip);
	}
	return b;
}

static void assure_push_flag(struct rpc_call *call, Planreg__V1__ProjectStatus *ps, const char *flag)
{
	*(char **)arena_push(&call->arena, &ps->flags, &ps->n_flags, sizeof(char *)) = (char *)flag;
}

void assure_status_project(struct rpc_call *call, PGresult *res, int row, int col, Planreg__V1__ProjectStatus *ps,
			   bool has_update)
{
	ps->assurance = assure_from_row(call, res, row, col);
	ps->original_baseline = assure_baseline(call, res, row, col + ASSURE_ORIGINAL_MIN, col + ASSURE_ORIGINAL_MAX,
						col + ASSURE_ORIGINAL_END, col + ASSURE_SLIP_ORIGINAL, -1, ps);
	ps->approved_baseline =
		assure_baseline(call, res, row, col + ASSURE_APPROVED_MIN, col + ASSURE_APPROVED_MAX,
				col + ASSURE_APPROVED_END, col + ASSURE_SLIP_APPROVED, col + ASSURE_END_CHANGE, ps);
	if (ps->approved_baseline && ps->approved_baseline->change_id == 0 &&
	    !result_is_null(res, row, col + ASSURE_COST_CHANGE))
		ps->approved_baseline->change_id = result_int64(res, row, col + ASSURE_COST_CHANGE);
	ps->pending_changes = result_int(res, row, col + ASSURE_PENDING);
	ps->return_end_date = rpc_strdup(call, has_update ? result_value(res, row, col + ASSURE_RETURN_END) : "");
	/* the end date moved beyond the tolerance with no approved change (the change is pending or rejected) */
	if (has_update && result_bool(res, row, col + ASSURE_END_UNAPPROVED))
		assure_push_flag(call, ps, "end_date_unapproved");
	ps->confidence = (Planreg__V1__Confidence)assure_fold(call, ps->confidence);
	if (ps->assurance) {
		ps->assurance->rating = (Planreg__V1__Confidence)assure_fold(call, ps->assurance->rating);
		ps->ratings_differ = has_update && ps->assurance->rating != ps->confidence;
	}
}

/* The CountByName of name in a list, or NULL. */
static Planreg__V1__CountByName *assure_count_of(Planreg__V1__CountByName **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i]->name, name) == 0)
			return list[i];
	return NULL;
}

/* A list of counts by rating folded to three points: amber_green and amber_red added to amber and left out. */
static void assure_fold_counts(Planreg__V1__CountByName **list, size_t *n)
{
	Planreg__V1__CountByName *amber = assure_count_of(list, *n, "amber");
	size_t o = 0;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(list[i]->name, "amber_green") == 0 || strcmp(list[i]->name, "amber_red") == 0) {
			if (amber)
				amber->count += list[i]->count;
			continue;
		}
		list[o++] = list[i];
	}
	*n = o;
}

/* g's counts and sums added to into's (a group folded into another). */
static void assure_group_add(Planreg__V1__StatusGroup *into, const Planreg__V1__StatusGroup *g)
{
	into->projects += g->projects;
	into->reported += g->reported;
	into->outstanding += g->outstanding;
	into->late += g->late;
	into->returned += g->returned;
	into->spend_pence += g->spend_pence;
	into->forecast_pence += g->forecast_pence;
	into->plan_cost_pence += g->plan_cost_pence;
	into->compared_projects += g->compared_projects;
	into->compared_forecast_pence += g->compared_forecast_pence;
	into->compared_plan_cost_pence += g->compared_plan_cost_pence;
	into->forecast_without_plan_cost += g->forecast_without_plan_cost;
	for (size_t i = 0; i < g->n_by_confidence; i++) {
		Planreg__V1__CountByName *c =
			assure_count_of(into->by_confidence, into->n_by_confidence, g->by_confidence[i]->name);
		if (c)
			c->count += g->by_confidence[i]->count;
	}
}

static void assure_fold_groups(Planreg__V1__StatusGroup **gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assure_fold_counts(gs[i]->by_confidence, &gs[i]->n_by_confidence);
}

/* The totals of a three-point deployment: every count by rating folded, and the groups by rating too. */
static void assure_fold_totals(Planreg__V1__StatusTotals *t)
{
	Planreg__V1__StatusGroup *amber = NULL;
	size_t o = 0;
	for (size_t i = 0; i < t->n_by_confidence_group; i++)
		if (strcmp(t->by_confidence_group[i]->key, "amber") == 0)
			amber = t->by_confidence_group[i];
	for (size_t i = 0; i < t->n_by_confidence_group; i++) {
		Planreg__V1__StatusGroup *g = t->by_confidence_group[i];
		if (amber && (strcmp(g->key, "amber_green") == 0 || strcmp(g->key, "amber_red") == 0)) {
			assure_group_add(amber, g);
			continue;
		}
		t->by_confidence_group[o++] = g;
	}
	t->n_by_confidence_group = o;
	assure_fold_counts(t->by_confidence, &t->n_by_confidence);
	assure_fold_groups(t->by_confidence_group, t->n_by_confidence_group);
	assure_fold_groups(t->by_theme, t->n_by_theme);
	assure_fold_groups(t->by_stage, t->n_by_stage);
	assure_fold_groups(t->by_lead, t->n_by_lead);
}

static void assure_push_count(struct rpc_call *call, Planreg__V1__StatusTotals *t, const char *name)
{
	Planreg__V1__CountByName *c =
		ARENA_NEW(&call->arena, Planreg__V1__CountByName, planreg__v1__count_by_name__init);
	c->name = (char *)name;
	*(Planreg__V1__CountByName **)arena_push(&call->arena, &t->by_assurance, &t->n_by_assurance, sizeof c) = c;
}

static void assure_status_counted(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__GetStatusResponse *r = call->state;
	Planreg__V1__StatusTotals *t = r->totals;
	bool three = assure_three_point(call);
	for (int c = CONFIDENCE_GREEN; c <= CONFIDENCE_RED; c++)
		if (!three || assure_fold(call, c) == c)
			assure_push_count(call, t, values_confidence_name((enum confidence)c));
	assure_push_count(call, t, "unrated");
	for (int i = 0; i < PQntuples(res); i++) {
		int body = assure_fold(call, assure_parse(result_value(res, i, TOTALS_BODY)));
		int ca = assure_fold(call, assure_parse(result_value(res, i, TOTALS_CA)));
		int n = result_int(res, i, TOTALS_COUNT);
		Planreg__V1__CountByName *c = assure_count_of(
			t->by_assurance, t->n_by_assurance,
			ca == CONFIDENCE_UNSPECIFIED ? "unrated" : values_confidence_name((enum confidence)ca));
		if (c)
			c->count += n;
		if (ca != CONFIDENCE_UNSPECIFIED && ca != body)
			t->ratings_differ += n;
	}
	if (three)
		assure_fold_totals(t);
	reply_ok(call, r);
}

void assure_status_totals(struct rpc_call *call, Planreg__V1__GetStatusResponse *r, const char *const params[14])
{
	r->rating_scale = assure_three_point(call) ? "three" : "five";
	if (r->totals == NULL) {
		reply_ok(call, r);
		return;
	}
	const char *p[10] = {params[0], params[1], params[3], params[4],  params[5],
			     params[6], params[7], params[9], params[10], params[13]};
	call->state = r; /* the status' own state is done with: this is its last step */
	query_run(call, SQL_TOTALS, 10, p, assure_status_counted);
}
