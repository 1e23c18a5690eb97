/* indicator.c - benefits and indicators (docs/assurance.md, "Indicators"): AddIndicator (the CA defines one; a
 * lead body's submitter proposes one, a change request of kind scope that change.c keeps), ListIndicators and
 * GetIndicator, and the actuals each return reports (checked here, stored by update.c's SQL_SUBMIT, covered by
 * the return's hash: proto/chain.c). Who may do which is auth.c's. */
#include "indicator.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "buf.h"
#include "json.h"
#include "mailbox.h"
#include "period.h"
#include "server.h"
#include "sql.h"
#include "validate.h"
#include "values.h"

#define INDICATOR_MAX_ACTUALS 50
#define INDICATOR_MAX_TARGETS 40 /* ten years of quarters */

/* SQL reads better laid out by hand. */
/* clang-format off */
/* One indicator (alias i, its project in the plan read p), in the order of enum indicator_col; the scalar
 * columns named as the Indicator message's fields (result_fill). */
#define INDICATOR_COLUMNS                                                                                        \
	"i.id, p.ref, p.title AS project_title, i.name, i.unit, i.baseline_value,"                                \
	" to_char(i.baseline_date, 'YYYY-MM-DD') AS baseline_date, i.target_value,"                               \
	" to_char(i.target_date, 'YYYY-MM-DD') AS target_date, i.responsible, i.created_by,"                     \
	" " TS_AS("i.created_at", "created_at") ", coalesce(i.change_id, 0) AS change_id,"                        \
	" coalesce((SELECT string_agg(t.period || chr(30) || t.value, chr(31) ORDER BY t.period)"                 \
	"   FROM indicator_period_target t WHERE t.indicator_id = i.id), ''),"                                    \
	" coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"                \
	"   WHERE project_id = p.id), '')"
/* $1 id, $2 ref, $3 plan, $4 scope (a submitter's organisation) */
static const char SQL_INDICATORS[] =
	DB_CUSTOM_PLAN "SELECT " INDICATOR_COLUMNS " FROM indicator i"
	" JOIN project p ON p.lineage = i.lineage AND p.plan_id = " PLAN_NAMED("$3")
	" WHERE ($1::bigint IS NULL OR i.id = $1::bigint) AND ($2::int IS NULL OR p.ref = $2::int)"
	"  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l WHERE l.project_id = p.id"
	"       AND lower(l.org_code) = lower($4::text)))"
	" ORDER BY p.ref, i.id";
/* $1 ref, $2 plan, $3 name: the project's row, its leads, whether it has an indicator of that name already */
static const char SQL_ADD_TARGET[] =
	"SELECT p.id, coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"
	"   WHERE project_id = p.id), ''),"
	" EXISTS (SELECT 1 FROM indicator i WHERE i.lineage = p.lineage AND lower(i.name) = lower($3))"
	" FROM project p WHERE p.plan_id = " PLAN_NAMED("$2") " AND p.ref = $1::int";
/* $1 project, $2 definition, $3 credential: the new indicator's id */
static const char SQL_CREATE[] = "SELECT planreg_indicator_create($1::bigint, $2::jsonb, $3, NULL)";
/* clang-format on */
enum indicator_col {
	IND_ID,
	IND_REF,
	IND_PROJECT_TITLE,
	IND_NAME,
	IND_UNIT,
	IND_BASELINE_VALUE,
	IND_BASELINE_DATE,
	IND_TARGET_VALUE,
	IND_TARGET_DATE,
	IND_RESPONSIBLE,
	IND_CREATED_BY,
	IND_CREATED_AT,
	IND_CHANGE_ID,
	IND_TARGETS, /* period and value joined with RESULT_SUBSEP, the targets with RESULT_SEP */
	IND_LEADS,
};
enum { ADD_PROJECT_ID, ADD_LEADS, ADD_NAME_TAKEN };
enum actual_check_col { CHECK_ID, CHECK_NAME, CHECK_OURS, CHECK_REF };
enum actual_field { ACT_ID, ACT_VALUE, ACT_NOTE, ACT_NAME, ACT_UNIT, ACT_FIELDS };
enum progress_field {
	PROG_ID,
	PROG_NAME,
	PROG_UNIT,
	PROG_BASELINE,
	PROG_TARGET,
	PROG_TARGET_DATE,
	PROG_ACTUAL,
	PROG_PERIOD_TARGET,
	PROG_TENTHS,
	PROG_MISSING, /* 't': the return came after the indicator was defined and has no actual for it */
	PROG_FIELDS
};

static Planreg__V1__Indicator *indicator_from_row(struct rpc_call *call, PGresult *res, int row)
{
	Planreg__V1__Indicator *ind = ARENA_NEW(&call->arena, Planreg__V1__Indicator, planreg__v1__indicator__init);
	result_fill(&call->arena, res, row, &ind->base);
	char **targets;
	size_t n = result_split(&call->arena, result_value(res, row, IND_TARGETS), RESULT_SEP, &targets);
	for (size_t i = 0; i < n; i++) {
		char **f;
		if (result_split(&call->arena, targets[i], RESULT_SUBSEP, &f) < 2)
			continue;
		Planreg__V1__PeriodTarget *t =
			ARENA_NEW(&call->arena, Planreg__V1__PeriodTarget, planreg__v1__period_target__init);
		t->period = f[0];
		t->value = f[1];
		*(Planreg__V1__PeriodTarget **)arena_push(&call->arena, &ind->period_targets, &ind->n_period_targets,
							  sizeof t) = t;
	}
	ind->n_lead_orgs = result_split(&call->arena, result_value(res, row, IND_LEADS), RESULT_SEP, &ind->lead_orgs);
	return ind;
}

/* ---------------------------------------------------------------- ListIndicators, GetIndicator */

static void indicator_list_rows(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListIndicatorsResponse *r = ARENA_NEW(&call->arena, Planreg__V1__ListIndicatorsResponse,
							   planreg__v1__list_indicators_response__init);
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Indicator *ind = indicator_from_row(call, res, i);
		*(Planreg__V1__Indicator **)arena_push(&call->arena, &r->indicators, &r->n_indicators, sizeof ind) =
			ind;
	}
	reply_ok(call, r);
}

void indicator_list(struct rpc_call *call)
{
	const Planreg__V1__ListIndicatorsRequest *q = call->req->list_indicators;
	if (q->ref < 0) {
		reply_violation(call, "ref", "%d is not a project reference (a positive number, or 0 for all)", q->ref);
		reply_violations(call, "invalid_indicator_request");
		return;
	}
	const char *params[4] = {NULL, q->ref ? rpc_printf(call, "%d", q->ref) : NULL, q->plan,
				 auth_progress_scope(&call->principal)};
	query_run(call, SQL_INDICATORS, 4, params, indicator_list_rows);
}

/* The one indicator of SQL_INDICATORS' answer by id, if the caller may see it; else the refusal, and NULL. */
static Planreg__V1__Indicator *indicator_one(struct rpc_call *call, PGresult *res, int64_t id)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "indicator_not_found",
			    "there is no indicator %lld (`planreg indicator list` shows them)", (long long)id);
		return NULL;
	}
	Planreg__V1__Indicator *ind = indicator_from_row(call, res, 0);
	if (!auth_may_read_progress(&call->principal, ind->lead_orgs, ind->n_lead_orgs)) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "indicator %lld is project %d's, which your organisation %s does not lead", (long long)id,
			    ind->ref, call->principal.organisation);
		return NULL;
	}
	return ind;
}

static void indicator_get_row(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__Indicator *ind = indicator_one(call, res, call->req->get_indicator->id);
	if (ind == NULL)
		return;
	Planreg__V1__GetIndicatorResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetIndicatorResponse, planreg__v1__get_indicator_response__init);
	r->indicator = ind;
	reply_ok(call, r);
}

void indicator_get(struct rpc_call *call)
{
	int64_t id = call->req->get_indicator->id;
	if (id <= 0) {
		reply_violation(call, "id", "%lld is not an indicator id (a positive number)", (long long)id);
		reply_violations(call, "invalid_indicator_request");
		return;
	}
	const char *params[4] = {rpc_printf(call, "%lld", (long long)id), NULL, "", NULL};
	query_run(call, SQL_INDICATORS, 4, params, indicator_get_row);
}

/* ---------------------------------------------------------------- AddIndicator */

/* The request's definition, checked, as the JSON planreg_indicator_create reads (migrations/0022). */
struct indicator_add {
	const char *definition;
	char responsible[MAILBOX_MAX];
};

/* The period targets: each a period and a number, no period twice; written into j. */
static void indicator_validate_targets(struct rpc_call *call, const Planreg__V1__AddIndicatorRequest *q, struct json *j)
{
	if (q->n_period_targets > INDICATOR_MAX_TARGETS)
		reply_violation(call, "period_targets", "%zu targets; at most %d", q->n_period_targets,
				INDICATOR_MAX_TARGETS);
	json_key(j, "period_targets");
	json_array_begin(j);
	struct period *seen = arena_alloc(&call->arena, (q->n_period_targets + 1) * sizeof *seen);
	for (size_t i = 0; i < q->n_period_targets && i < INDICATOR_MAX_TARGETS; i++) {
		const char *field = rpc_printf(call, "period_targets[%zu]", i + 1);
		const Planreg__V1__PeriodTarget *t = q->period_targets[i];
		if (!validate_period(call, field, t->period, VALIDATE_SINCE_2000, &seen[i]) ||
		    !validate_number(call, field, t->value))
			continue;
		for (size_t k = 0; k < i; k++)
			if (period_compare(seen[k], seen[i]) == 0)
				reply_violation(call, field, "%s has a target already", t->period);
		char p[PERIOD_FMT_MAX];
		period_format(seen[i], p);
		json_object_begin(j);
		json_kv_str(j, "period", p);
		json_kv_str(j, "value", t->value);
		json_object_end(j);
	}
	json_array_end(j);
}

static const char *indicator_definition(struct rpc_call *call, const struct indicator_add *st);

/* Checks the request; false with violations recorded. */
static bool indicator_validate(struct rpc_call *call, struct indicator_add *st)
{
	const Planreg__V1__AddIndicatorRequest *q = call->req->add_indicator;
	if (q->ref <= 0)
		reply_violation(call, "ref", "%d is not a project reference (a positive number)", q->ref);
	validate_text(call, "name", q->name, 200, VALIDATE_REQUIRED);
	validate_text(call, "unit", q->unit, 50, VALIDATE_REQUIRED);
	validate_number(call, "baseline_value", q->baseline_value);
	validate_number(call, "target_value", q->target_value);
	struct date from, to;
	bool has_from = date_parse(q->baseline_date, &from), has_to = date_parse(q->target_date, &to);
	if (!has_from)
		reply_violation(call, "baseline_date", "\"%s\" is not a date (YYYY-MM-DD)", q->baseline_date);
	if (!has_to)
		reply_violation(call, "target_date", "\"%s\" is not a date (YYYY-MM-DD)", q->target_date);
	else if (has_from && date_compare(to, from) < 0)
		reply_violation(call, "target_date", "%s is before the baseline's date %s", q->target_date,
				q->baseline_date);
	st->responsible[0] = '\0';
	struct mailbox m;
	const char *why = q->responsible[0] ? mailbox_parse(q->responsible, &m) : NULL;
	char text[MAILBOX_MAX + 200];
	if (why) {
		mailbox_error(q->responsible, why, text, sizeof text);
		reply_violation(call, "responsible", "%s", text);
	} else if (q->responsible[0]) {
		mailbox_format(&m, st->responsible);
	}
	validate_text(call, "rationale", q->rationale, 5000, VALIDATE_MULTILINE);
	st->definition = indicator_definition(call, st);
	return !reply_has_violations(call);
}

/* The definition as JSON, the period targets checked on the way. */
static const char *indicator_definition(struct rpc_call *call, const struct indicator_add *st)
{
	const Planreg__V1__AddIndicatorRequest *q = call->req->add_indicator;
	struct buf b = {0};
	struct json j;
	json_init(&j, &b, false);
	json_object_begin(&j);
	json_kv_str(&j, "name", q->name);
	json_kv_str(&j, "unit", q->unit);
	json_kv_str(&j, "baseline_value", q->baseline_value);
	json_kv_str(&j, "baseline_date", q->baseline_date);
	json_kv_str(&j, "target_value", q->target_value);
	json_kv_str(&j, "target_date", q->target_date);
	json_kv_str(&j, "responsible", st->responsible);
	indicator_validate_targets(call, q, &j);
	json_object_end(&j);
	const char *s = rpc_strdup(call, buf_str(&b));
	buf_free(&b);
	return s;
}

static void indicator_created_row(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__AddIndicatorResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__AddIndicatorResponse, planreg__v1__add_indicator_response__init);
	r->indicator = PQntuples(res) ? indicator_from_row(call, res, 0) : NULL;
	reply_ok(call, r);
}

static void indicator_created(struct rpc_call *call, PGresult *res)
{
	const char *params[4] = {result_value(res, 0, 0), NULL, call->req->add_indicator->plan, NULL};
	query_run(call, SQL_INDICATORS, 4, params, indicator_created_row);
}

static void indicator_add_target(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AddIndicatorRequest *q = call->req->add_indicator;
	struct indicator_add *st = call->state;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "project_not_found",
			    "there is no project %d in the register (`planreg projects list` shows them)", q->ref);
		return;
	}
	char **leads;
	size_t n = result_split(&call->arena, result_value(res, 0, ADD_LEADS), RESULT_SEP, &leads);
	enum auth_party may = auth_project_party(&call->principal, leads, n);
	if (may == AUTH_PARTY_NONE) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "your organisation %s may not propose an indicator for project %d: it is led by %s",
			    call->principal.organisation, q->ref, n ? leads[0] : "nobody");
		return;
	}
	if (result_bool(res, 0, ADD_NAME_TAKEN)) {
		reply_error(call, PLANREG__V1__CODE__ALREADY_EXISTS, "indicator_exists",
			    "project %d has an indicator named \"%s\" already (`planreg indicator list --project %d`)",
			    q->ref, q->name, q->ref);
		return;
	}
	const char *project = result_value(res, 0, ADD_PROJECT_ID);
	if (may == AUTH_PARTY_LEAD) { /* proposes; the CA creates */
		change_propose_scope(call, project, st->definition, q->rationale);
		return;
	}
	const char *params[3] = {project, st->definition, call->principal.credential};
	query_run(call, SQL_CREATE, 3, params, indicator_created);
}

void indicator_add(struct rpc_call *call)
{
	const Planreg__V1__AddIndicatorRequest *q = call->req->add_indicator;
	struct indicator_add *st = arena_alloc(&call->arena, sizeof *st);
	call->state = st;
	if (!indicator_validate(call, st)) {
		reply_violations(call, "invalid_indicator");
		return;
	}
	const char *params[3] = {rpc_printf(call, "%d", q->ref), q->plan, q->name};
	query_run(call, SQL_ADD_TARGET, 3, params, indicator_add_target);
}

/* ---------------------------------------------------------------- a return's actuals */

void indicator_validate_actuals(struct rpc_call *call, const Planreg__V1__UpdateContent *c)
{
	if (c->n_actuals > INDICATOR_MAX_ACTUALS)
		reply_violation(call, "actuals", "%zu actuals; at most %d", c->n_actuals, INDICATOR_MAX_ACTUALS);
	for (size_t i = 0; i < c->n_actuals && i < INDICATOR_MAX_ACTUALS; i++) {
		const Planreg__V1__Actual *a = c->actuals[i];
		const char *field = rpc_printf(call, "actuals[%zu]", i + 1);
		if (a->indicator_id <= 0)
			reply_violation(call, field, "%lld is not an indicator id", (long long)a->indicator_id);
		validate_number(call, field, a->value);
		validate_text(call, field, a->note, 2000, VALIDATE_MULTILINE);
		for (size_t k = 0; k < i; k++)
			if (c->actuals[k]->indicator_id == a->indicator_id)
				reply_violation(call, field, "indicator %lld has an actual already in this return",
						(long long)a->indicator_id);
	}
}

bool indicator_actuals_checked(struct rpc_call *call, PGresult *res, int ref)
{
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = result_value(res, i, CHECK_ID);
		if (result_is_null(res, i, CHECK_NAME)) {
			reply_error(
				call, PLANREG__V1__CODE__NOT_FOUND, "indicator_not_found",
				"there is no indicator %s (`planreg indicator list --project %d` shows project %d's)",
				id, ref, ref);
			return false;
		}
		if (!result_bool(res, i, CHECK_OURS)) {
			reply_error(
				call, PLANREG__V1__CODE__INVALID_ARGUMENT, "indicator_not_of_project",
				"indicator %s (\"%s\") is project %s's, not project %d's: a return reports only its "
				"own project's indicators",
				id, result_value(res, i, CHECK_NAME), result_value(res, i, CHECK_REF), ref);
			return false;
		}
	}
	return true;
}

const char *indicator_actual_ids(struct rpc_call *call, const Planreg__V1__UpdateContent *c)
{
	struct buf b = {0};
	buf_putc(&b, '{');
	for (size_t i = 0; i < c->n_actuals; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)c->actuals[i]->indicator_id);
	buf_putc(&b, '}');
	const char *ids = rpc_strdup(call, buf_str(&b));
	buf_free(&b);
	return ids;
}

const char *indicator_actuals_json(struct rpc_call *call, const Planreg__V1__UpdateContent *c)
{
	struct buf b = {0};
	struct json j;
	json_init(&j, &b, false);
	json_array_begin(&j);
	for (size_t i = 0; i < c->n_actuals; i++) {
		json_object_begin(&j);
		json_kv_int(&j, "indicator_id", c->actuals[i]->indicator_id);
		json_kv_str(&j, "value", c->actuals[i]->value);
		json_kv_str(&j, "note", c->actuals[i]->note);
		json_object_end(&j);
	}
	json_array_end(&j);
	const char *s = rpc_strdup(call, buf_str(&b));
	buf_free(&b);
	return s;
}

void indicator_actuals_cell(struct rpc_call *call, const char *cell, Planreg__V1__Actual ***out, size_t *n)
{
	char **items;
	size_t k = result_split(&call->arena, cell, RESULT_SEP, &items);
	for (size_t i = 0; i < k; i++) {
		char **f;
		if (result_split(&call->arena, items[i], RESULT_SUBSEP, &f) < ACT_FIELDS)
			continue;
		Planreg__V1__Actual *a = ARENA_NEW(&call->arena, Planreg__V1__Actual, planreg__v1__actual__init);
		a->indicator_id = strtoll(f[ACT_ID], NULL, 10);
		a->value = f[ACT_VALUE];
		a->note = f[ACT_NOTE];
		a->name = f[ACT_NAME];
		a->unit = f[ACT_UNIT];
		*(Planreg__V1__Actual **)arena_push(&call->arena, out, n, sizeof a) = a;
	}
}

const struct chain_actual *indicator_chain_actuals(struct rpc_call *call, const char *cell, size_t *n)
{
	Planreg__V1__Actual **as = NULL;
	*n = 0;
	indicator_actuals_cell(call, cell, &as, n);
	struct chain_actual *ca = arena_alloc(&call->arena, (*n + 1) * sizeof *ca);
	for (size_t i = 0; i < *n; i++)
		ca[i] = (struct chain_actual){as[i]->indicator_id, as[i]->value, as[i]->note};
	return ca;
}

void indicator_progress_cell(struct rpc_call *call, const char *cell, Planreg__V1__IndicatorProgress ***out, size_t *n)
{
	char **items;
	size_t k = result_split(&call->arena, cell, RESULT_SEP, &items);
	for (size_t i = 0; i < k; i++) {
		char **f;
		if (result_split(&call->arena, items[i], RESULT_SUBSEP, &f) < PROG_FIELDS)
			continue;
		Planreg__V1__IndicatorProgress *p =
			ARENA_NEW(&call->arena, Planreg__V1__IndicatorProgress, planreg__v1__indicator_progress__init);
		p->indicator_id = strtoll(f[PROG_ID], NULL, 10);
		p->name = f[PROG_NAME];
		p->unit = f[PROG_UNIT];
		p->baseline_value = f[PROG_BASELINE];
		p->target_value = f[PROG_TARGET];
		p->target_date = f[PROG_TARGET_DATE];
		p->actual = f[PROG_ACTUAL];
		p->period_target = f[PROG_PERIOD_TARGET];
		p->actual_missing = f[PROG_MISSING][0] == 't';
		if (f[PROG_TENTHS][0]) {
			p->progress =
				ARENA_NEW(&call->arena, Planreg__V1__VariancePct, planreg__v1__variance_pct__init);
			long long t = strtoll(f[PROG_TENTHS], NULL, 10);
			p->progress->tenths = (int32_t)(t > INT32_MAX ? INT32_MAX : t < -INT32_MAX ? -INT32_MAX : t);
		}
		*(Planreg__V1__IndicatorProgress **)arena_push(&call->arena, out, n, sizeof p) = p;
	}
}
