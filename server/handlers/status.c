/* status.c - the Combined Authority's consolidated picture of a reporting
 * period: GetStatus (every project's latest revision as known at a moment,
 * flags and totals), ListOutstanding (who still owes a return), GetTimeliness
 * (on time, late or missing, per organisation and period) and DiffPeriods
 * (what changed between two quarters). The rows come from one SQL function,
 * planreg_status_rows (migrations/0003), the CA's rating and the baselines beside
 * them from assure.c (migrations/0019); who sees which projects is auth.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assure.h"
#include "auth.h"
#include "buf.h"
#include "handlers.h"
#include "indicator.h"

#include "mailbox.h"
#include "period.h"
#include "queries.h"
#include "server.h"
#include "sql.h"
#include "validate.h"
#include "values.h"

#define STATUS_PAGE_DEFAULT 500
#define STATUS_PAGE_MAX 1000
#define STATUS_VARIANCE_TENTHS 50 /* 5%: the same rule as SubmitUpdate's variance note */
#define STATUS_MAX_PERIODS 40     /* ten years of quarters in one timeliness answer */

/* SQL reads better laid out by hand. */
/* clang-format off */
/* The first instant after a due date's day, UTC: submitted before it is on time. */
#define DUE_END(col) "((" col " + 1)::timestamp AT TIME ZONE 'UTC')"

/* $1 period, $2 as_at (NULL = now), $3 previous period, $4 default due date, $5 theme, $6 objective,
 * $7 lead organisation, $8 scope, $9 narratives, $10 stage, $11 confidence, $12 after this ref,
 * $13 rows (one more than the page), $14 plan. One row even when no project matches (ref NULL). */
static const char SQL_STATUS[] =
	DB_CUSTOM_PLAN "WITH a AS (SELECT coalesce($2::timestamptz, now()) AS t,"
	"  coalesce((SELECT due FROM reporting_period WHERE period = $1), $4::date) AS due)"
	" SELECT s.ref, s.title, s.theme, s.objective, s.lead_orgs, s.cost_text, s.cost_status,"
	"  s.cost_min_pence, s.cost_max_pence, s.cost_approximate, s.register_stage,"
	"  s.update_id, s.revision, s.confidence, s.stage, s.spend_to_date_pence,"
	"  s.forecast_total_pence, " TS_US("s.submitted_at") ", s.submitted_at < " DUE_END("a.due") ","
	"  s.review_accepted, s.review_comment, s.prev_update_id, s.prev_stage,"
	"  s.narrative_repeated, s.narrative,"
	"  " TS_US("a.t") ", to_char(a.due, 'YYYY-MM-DD'), a.t >= " DUE_END("a.due") ","
	"  " ASSURE_STATUS_COLUMNS ", " INDICATOR_PROGRESS_CELL("s.project_id", "s.update_id", "$1")
	" FROM a LEFT JOIN LATERAL planreg_status_rows($1, a.t, $3, a.due, $5::int, $6, $7, $8, $9::boolean,"
	"  $10::stage, $11::confidence, $12::int, $13::int, $14) s ON true"
	ASSURE_STATUS_JOIN("s.project_id", "s.update_id", "$1", "a.t")
	" ORDER BY s.ref";
enum status_col {
	STATUS_REF,
	STATUS_TITLE,
	STATUS_THEME,
	STATUS_OBJECTIVE,
	STATUS_LEAD_ORGS,
	STATUS_COST, /* the cost's columns (enum register_cost_col) */
	STATUS_REGISTER_STAGE = STATUS_COST + COST_COLUMNS,
	STATUS_UPDATE_ID,
	STATUS_REVISION,
	STATUS_CONFIDENCE,
	STATUS_STAGE,
	STATUS_SPEND,
	STATUS_FORECAST,
	STATUS_SUBMITTED_AT,
	STATUS_ON_TIME,
	STATUS_REVIEW_ACCEPTED,
	STATUS_REVIEW_COMMENT,
	STATUS_PREV_UPDATE_ID,
	STATUS_PREV_STAGE,
	STATUS_NARRATIVE_REPEATED,
	STATUS_NARRATIVE,
	STATUS_AS_AT, /* this and the next two: the same on every row */
	STATUS_DUE,
	STATUS_PAST_DUE,
	STATUS_ASSURANCE, /* the CA's rating and the baselines (assure.h's ASSURE_STATUS_COLUMNS) */
	STATUS_INDICATORS = STATUS_ASSURANCE + ASSURE_STATUS_COUNT, /* indicator.h's INDICATOR_PROGRESS_CELL */
};

/* $1 period, $2 as_at (the page's), $3 default due date, $4 theme, $5 objective, $6 lead organisation,
 * $7 scope, $8 stage, $9 confidence, $10 plan: one row per group (dim, key, name, counts, sums;
 * migrations/0011, 0016). */
static const char SQL_TOTALS[] =
	DB_CUSTOM_PLAN "SELECT dim, key, coalesce(name, ''), projects, reported, outstanding, late, returned, green, amber_green,"
	"  amber, amber_red, red, not_reported, spend_pence, forecast_pence, plan_cost_pence, compared_projects,"
	"  compared_forecast_pence, compared_plan_cost_pence, forecast_without_plan_cost"
	" FROM planreg_status_totals($1, $2::timestamptz, $3::date, $4::int, $5, $6, $7, $8::stage, $9::confidence,"
	"  $10)";
enum totals_col {
	TOTALS_DIM,
	TOTALS_KEY,
	TOTALS_NAME,
	TOTALS_PROJECTS,
	TOTALS_REPORTED,
	TOTALS_OUTSTANDING,
	TOTALS_LATE,
	TOTALS_RETURNED,
	TOTALS_GREEN, /* green to red, then none: reported projects by colour, and those with no return */
	TOTALS_AMBER_GREEN,
	TOTALS_AMBER,
	TOTALS_AMBER_RED,
	TOTALS_RED,
	TOTALS_NONE,
	TOTALS_SPEND,
	TOTALS_FORECAST,
	TOTALS_PLAN_COST,
	TOTALS_COMPARED, /* like for like: this and the next two */
	TOTALS_COMPARED_FORECAST,
	TOTALS_COMPARED_PLAN_COST,
	TOTALS_UNCOSTED,
};

static const char SQL_ORG_CODE[] = "SELECT code FROM organisation WHERE lower(code) = lower($1)";
enum { ORG_CODE };

/* $1 period, $2 as_of date (NULL = today, UTC), $3 default due date, $4 scope, $5 plan. One row even when
 * nothing is outstanding (code NULL). */
static const char SQL_OUTSTANDING[] =
	DB_CUSTOM_PLAN "WITH a AS (SELECT coalesce($2::date, (now() AT TIME ZONE 'UTC')::date) AS d,"
	"  coalesce((SELECT due FROM reporting_period WHERE period = $1), $3::date) AS due)"
	" SELECT to_char(a.d, 'YYYY-MM-DD'), to_char(a.due, 'YYYY-MM-DD'), greatest(a.d - a.due, 0),"
	"  x.code, x.name, x.contact, x.ref, x.title, x.update_id, x.review_comment, x.assignee, x.sro"
	" FROM a LEFT JOIN LATERAL ("
	"  SELECT o.code, o.name, coalesce(o.contact_email, '') AS contact, s.ref, s.title, s.update_id,"
	"   s.review_comment,"
	/* whom its returns are assigned to, and its organisation's SRO: "id<US>name", "name<US>addr" */
	"   (SELECT y.id || chr(31) || y.name FROM project pj JOIN project_assignment pa ON pa.lineage = pj.lineage"
	"     AND pa.ended_at IS NULL JOIN org_person y ON y.id = pa.person_id WHERE pj.id = s.project_id) AS assignee,"
	"   (SELECT z.name || chr(31) || z.email FROM org_person z WHERE z.org_code = o.code AND z.ended_at IS NULL"
	"     AND 'sro' = ANY (z.roles)) AS sro"
	"  FROM planreg_status_rows($1, ((a.d + 1)::timestamp AT TIME ZONE 'UTC') - interval '1 microsecond',"
	"   NULL, a.due, NULL, NULL, NULL, $4, false, NULL, NULL, NULL, NULL, $5) s"
	"  JOIN project_lead_org l ON l.project_id = s.project_id"
	"  JOIN organisation o ON o.code = l.org_code"
	"  WHERE (s.update_id IS NULL OR s.review_accepted = false)"
	"   AND ($4::text IS NULL OR lower(o.code) = lower($4::text))) x ON true"
	" ORDER BY x.code, x.ref";
enum outstanding_col {
	OUTSTANDING_AS_OF, /* this and the next two: the same on every row */
	OUTSTANDING_DUE,
	OUTSTANDING_DAYS_LATE,
	OUTSTANDING_ORG,
	OUTSTANDING_ORG_NAME,
	OUTSTANDING_CONTACT,
	OUTSTANDING_REF,
	OUTSTANDING_TITLE,
	OUTSTANDING_UPDATE_ID,
	OUTSTANDING_REVIEW_COMMENT,
	OUTSTANDING_ASSIGNEE, /* "id<US>name"; NULL when nobody */
	OUTSTANDING_SRO,      /* "name<US>addr"; NULL when none */
};

/* $1 periods, $2 their default due dates, $3 scope, $4 plan: per organisation and period, the projects it
 * leads, how many have an update (made in any edition: migrations/0016), and when the last of them was
 * first reported. */
static const char SQL_TIMELINESS[] =
	DB_CUSTOM_PLAN "SELECT o.code, o.name, per.period, to_char(coalesce(rp.due, per.dd), 'YYYY-MM-DD'),"
	"  count(*), count(f.first_at), coalesce(" TS_US("max(f.first_at)") ", ''),"
	"  greatest(0, (max(f.first_at) AT TIME ZONE 'UTC')::date - coalesce(rp.due, per.dd)),"
	"  now() >= " DUE_END("coalesce(rp.due, per.dd)")
	" FROM organisation o"
	" JOIN project_lead_org l ON l.org_code = o.code"
	" JOIN project p ON p.id = l.project_id AND p.plan_id = " PLAN_NAMED("$4")
	" CROSS JOIN unnest($1::text[], $2::date[]) AS per(period, dd)"
	" LEFT JOIN reporting_period rp ON rp.period = per.period"
	" LEFT JOIN LATERAL (SELECT min(u.submitted_at) AS first_at FROM progress_update u"
	"   WHERE u.project_id IN (SELECT m.id FROM project m WHERE m.lineage = p.lineage)"
	"   AND u.period = per.period) f ON true"
	" WHERE ($3::text IS NULL OR lower(o.code) = lower($3::text))"
	" GROUP BY o.code, o.name, per.period, per.dd, rp.due"
	" ORDER BY o.code, per.period";
enum timeliness_col {
	TIMELINESS_ORG,
	TIMELINESS_ORG_NAME,
	TIMELINESS_PERIOD,
	TIMELINESS_DUE,
	TIMELINESS_PROJECTS,
	TIMELINESS_REPORTED,
	TIMELINESS_LAST_FIRST_AT,
	TIMELINESS_DAYS_LATE,
	TIMELINESS_PAST_DUE,
};

/* $1 from, $2 to, $3/$4 their default due dates, $5 scope, $6 the last day of `from`, $7 plan (each side's
 * latest revision is found in every edition, so the quarters of two editions compare carried-over projects). */
static const char SQL_DIFF[] =
	DB_CUSTOM_PLAN "SELECT b.ref, b.title, a.update_id, a.confidence, a.stage, a.forecast_total_pence, a.review_accepted,"
	"  b.update_id, b.confidence, b.stage, b.forecast_total_pence, b.review_accepted, b.register_stage,"
	"  coalesce((SELECT string_agg(m2.title, chr(31) ORDER BY m2.position) FROM update_milestone m2"
	"   WHERE m2.update_id = b.update_id AND m2.achieved IS NOT NULL"
	"   AND CASE WHEN a.update_id IS NULL THEN m2.achieved > $6::date"
	"       ELSE NOT EXISTS (SELECT 1 FROM update_milestone m1 WHERE m1.update_id = a.update_id"
	"        AND m1.title = m2.title AND m1.achieved IS NOT NULL) END), ''),"
	"  coalesce((SELECT string_agg(m2.title, chr(31) ORDER BY m2.position) FROM update_milestone m2"
	"   JOIN update_milestone m1 ON m1.update_id = a.update_id AND m1.title = m2.title"
	"   WHERE m2.update_id = b.update_id AND m2.achieved IS NULL AND m1.achieved IS NULL"
	"   AND m2.forecast > m1.forecast), ''),"
	"  (SELECT x.rating FROM planreg_assurance_latest(a.project_id, $1, now()) x),"
	"  (SELECT x.rating FROM planreg_assurance_latest(b.project_id, $2, now()) x),"
	"  coalesce((SELECT string_agg(i.name || ': ' || coalesce(x.value, 'none') || ' -> ' || coalesce(y.value, 'none')"
	"   || ' ' || i.unit, chr(31) ORDER BY i.id) FROM indicator i"
	"   LEFT JOIN update_actual x ON x.indicator_id = i.id AND x.update_id = a.update_id"
	"   LEFT JOIN update_actual y ON y.indicator_id = i.id AND y.update_id = b.update_id"
	"   WHERE (x.value IS NOT NULL OR y.value IS NOT NULL) AND x.value IS DISTINCT FROM y.value"
	"   AND i.id IN (SELECT indicator_id FROM update_actual WHERE update_id IN (a.update_id, b.update_id))), '')"
	" FROM planreg_status_rows($2, now(), NULL, $4::date, NULL, NULL, NULL, $5, false, NULL, NULL, NULL, NULL,"
	"  $7) b"
	" JOIN planreg_status_rows($1, now(), NULL, $3::date, NULL, NULL, NULL, $5, false, NULL, NULL, NULL, NULL,"
	"  $7) a"
	"  ON a.project_id = b.project_id"
	" ORDER BY b.ref";
/* The latest update of a project in a period: its id, confidence, stage, forecast and review. */
enum diff_side_col { SIDE_UPDATE_ID, SIDE_CONFIDENCE, SIDE_STAGE, SIDE_FORECAST, SIDE_ACCEPTED, SIDE_COLUMNS };
enum diff_col {
	DIFF_REF,
	DIFF_TITLE,
	DIFF_FROM,                          /* the side of `from` (enum diff_side_col) */
	DIFF_TO = DIFF_FROM + SIDE_COLUMNS, /* and of `to` */
	DIFF_REGISTER_STAGE = DIFF_TO + SIDE_COLUMNS,
	DIFF_ACHIEVED,
	DIFF_SLIPPED,
	DIFF_ASSURANCE_FROM, /* the CA's latest rating of each side, NULL when none */
	DIFF_ASSURANCE_TO,
	DIFF_INDICATORS, /* "NAME: FROM -> TO UNIT" of each actual that changed, joined with RESULT_SEP */
};

/* $1 update ids, $2 as_at: for each update what a report shows besides its status row (the
 * variance note, milestones and risks, joined as sql.h's SQL_UPDATE_RECORD_COLUMNS joins them), its
 * end date (the latest milestone date: achieved, else forecast) and whether it was returned then. */
static const char SQL_DETAIL[] =
	DB_CUSTOM_PLAN "SELECT u.id, u.period, u.confidence, u.stage, u.forecast_total_pence, u.variance_note,"
	"  coalesce((SELECT string_agg(m.title || chr(30) || to_char(m.baseline, 'YYYY-MM-DD') || chr(30) ||"
	"   coalesce(to_char(m.forecast, 'YYYY-MM-DD'), '') || chr(30) || coalesce(to_char(m.achieved, 'YYYY-MM-DD'), ''),"
	"   chr(31) ORDER BY m.position) FROM update_milestone m WHERE m.update_id = u.id), ''),"
	"  coalesce((SELECT string_agg(k.risk, chr(31) ORDER BY k.position) FROM update_risk k"
	"   WHERE k.update_id = u.id), ''),"
	"  coalesce((SELECT to_char(max(coalesce(m.achieved, m.forecast)), 'YYYY-MM-DD') FROM update_milestone m"
	"   WHERE m.update_id = u.id), ''),"
	"  coalesce((SELECT NOT r.accepted FROM update_review r WHERE r.update_id = u.id"
	"   AND r.reviewed_at <= $2::timestamptz ORDER BY r.id DESC LIMIT 1), false)"
	" FROM progress_update u WHERE u.id = ANY ($1::bigint[])";
enum detail_col {
	DETAIL_ID,
	DETAIL_PERIOD,
	DETAIL_CONFIDENCE,
	DETAIL_STAGE,
	DETAIL_FORECAST,
	DETAIL_VARIANCE_NOTE,
	DETAIL_MILESTONES,
	DETAIL_RISKS,
	DETAIL_END_DATE,
	DETAIL_RETURNED,
};
/* clang-format on */

/* ---------------------------------------------------------------- shared */

/* A request's from_period and to_period; false (with violations) unless both are periods. */
static bool status_period_pair(struct rpc_call *call, const char *from_s, const char *to_s, struct period *from,
			       struct period *to)
{
	bool ok = validate_period(call, "from_period", from_s, VALIDATE_SINCE_2000, from);
	return validate_period(call, "to_period", to_s, VALIDATE_SINCE_2000, to) && ok;
}

static const char *status_period_text(struct rpc_call *call, struct period p)
{
	char s[PERIOD_FMT_MAX];
	period_format(p, s);
	return rpc_strdup(call, s);
}

/* The due date from the configuration; a period already reported on keeps the one stored with it. */
static const char *status_due_default(struct rpc_call *call, struct period p)
{
	char s[DATE_FMT_MAX];
	date_format(period_due(p, call->srv->cfg->due_days), s);
	return rpc_strdup(call, s);
}

static Planreg__V1__VariancePct *status_pct(struct rpc_call *call, long long tenths)
{
	Planreg__V1__VariancePct *v =
		ARENA_NEW(&call->arena, Planreg__V1__VariancePct, planreg__v1__variance_pct__init);
	v->tenths = (int32_t)(tenths > INT32_MAX ? INT32_MAX : tenths < -INT32_MAX ? -INT32_MAX : tenths);
	return v;
}

enum stage handlers_cell_stage(PGresult *res, int row, int col)
{
	enum stage s = STAGE_UNSPECIFIED;
	if (result_is_null(res, row, col) || !values_stage_parse(result_value(res, row, col), &s))
		return STAGE_UNSPECIFIED;
	return s;
}

enum confidence handlers_cell_confidence(PGresult *res, int row, int col)
{
	enum confidence c = CONFIDENCE_UNSPECIFIED;
	if (result_is_null(res, row, col) || !values_confidence_parse(result_value(res, row, col), &c))
		return CONFIDENCE_UNSPECIFIED;
	return c;
}

enum role handlers_cell_role(PGresult *res, int row, int col)
{
	enum role r = ROLE_UNSPECIFIED;
	if (result_is_null(res, row, col) || !values_role_parse(result_value(res, row, col), &r))
		return ROLE_UNSPECIFIED;
	return r;
}

static void status_push_string(struct rpc_call *call, char ***items, size_t *n, const char *s)
{
	*(char **)arena_push(&call->arena, items, n, sizeof(char *)) = rpc_strdup(call, s);
}

/* ---------------------------------------------------------------- GetStatus */

struct get_status {
	struct period period;
	const char *period_s;
	const char *as_at; /* NULL = now */
	const char *lead;  /* filter, normalised to the stored code */
	const char *scope; /* auth.c's restriction, NULL = none */
	int after_ref;     /* page token */
	int page_size;
	Planreg__V1__GetStatusResponse *resp;
	int64_t *prev_ids; /* with include_detail: each project's update of the previous quarter, 0 for none */
};

/* SQL_STATUS's parameters for the request and the page (the same selection gives the totals). */
static void status_rows_params(struct rpc_call *call, const char *params[14])
{
	struct get_status *st = call->state;
	const Planreg__V1__GetStatusRequest *q = call->req->get_status;
	params[0] = st->period_s;
	params[1] = st->resp && st->resp->as_at[0] ? st->resp->as_at : st->as_at;
	params[2] = status_period_text(call, period_prev(st->period));
	params[3] = status_due_default(call, st->period);
	params[4] = q->theme ? rpc_printf(call, "%d", q->theme) : NULL;
	params[5] = q->objective[0] ? q->objective : NULL;
	params[6] = st->lead;
	params[7] = st->scope;
	params[8] = q->include_narrative ? "true" : "false";
	params[9] = q->stage ? values_stage_name((enum stage)q->stage) : NULL;
	params[10] = q->confidence ? values_confidence_name((enum confidence)q->confidence) : NULL;
	params[11] = rpc_printf(call, "%d", st->after_ref);
	params[12] = rpc_printf(call, "%d", st->page_size + 1);
	params[13] = q->plan;
}

/* How far the forecast lies outside the plan's cost, signed, in tenths of a percent; false when
 * there is nothing to compare (no forecast, cost unknown or not applicable, a zero cost). */
static bool status_variance(const Planreg__V1__ProjectStatus *ps, long long *tenths)
{
	const Planreg__V1__Cost *c = ps->plan_cost;
	if (ps->forecast_total == NULL || c == NULL || c->status != PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN ||
	    c->min == NULL || c->min->pence <= 0)
		return false;
	int64_t f = ps->forecast_total->pence, lo = c->min->pence;
	*tenths = 0;
	if (f < lo)
		*tenths = -(long long)((__int128)(lo - f) * 1000 / lo);
	else if (c->max && c->max->pence > 0 && f > c->max->pence)
		*tenths = (long long)((__int128)(f - c->max->pence) * 1000 / c->max->pence);
	return true;
}

/* The latest update of row i of SQL_STATUS into ps (there is one); true when it was returned. */
static bool status_project_update(struct rpc_call *call, PGresult *res, int i, Planreg__V1__ProjectStatus *ps)
{
	bool returned = false;
	ps->update_id = result_int64(res, i, STATUS_UPDATE_ID);
	ps->revision = result_int(res, i, STATUS_REVISION);
	ps->confidence = (Planreg__V1__Confidence)handlers_cell_confidence(res, i, STATUS_CONFIDENCE);
	ps->stage = (Planreg__V1__Stage)handlers_cell_stage(res, i, STATUS_STAGE);
	ps->spend_to_date = register_money(call, res, i, STATUS_SPEND);
	ps->forecast_total = register_money(call, res, i, STATUS_FORECAST);
	ps->submitted_at = rpc_strdup(call, result_value(res, i, STATUS_SUBMITTED_AT));
	ps->on_time = result_bool(res, i, STATUS_ON_TIME);
	if (!result_is_null(res, i, STATUS_REVIEW_ACCEPTED)) {
		returned = !result_bool(res, i, STATUS_REVIEW_ACCEPTED);
		ps->review = returned ? PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED
				      : PLANREG__V1__REVIEW_STATE__REVIEW_ACCEPTED;
		ps->review_comment = rpc_strdup(call, result_value(res, i, STATUS_REVIEW_COMMENT));
	}
	ps->narrative = rpc_strdup(call, result_value(res, i, STATUS_NARRATIVE));
	return returned;
}

/* The consistency flags of row i, the same rules as SubmitUpdate's warnings; tenths is the variance. */
static void status_project_flags(struct rpc_call *call, PGresult *res, int i, Planreg__V1__ProjectStatus *ps,
				 bool has_update, long long tenths)
{
	if (has_update && ps->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN && ps->variance &&
	    (tenths > STATUS_VARIANCE_TENTHS || tenths < -STATUS_VARIANCE_TENTHS))
		status_push_string(call, &ps->flags, &ps->n_flags, "green_over_variance");
	if (has_update) {
		enum stage before = result_is_null(res, i, STATUS_PREV_STAGE)
					    ? (enum stage)ps->register_stage
					    : handlers_cell_stage(res, i, STATUS_PREV_STAGE);
		int b = values_stage_rank(before), now = values_stage_rank((enum stage)ps->stage);
		if (b && now && now < b)
			status_push_string(call, &ps->flags, &ps->n_flags, "stage_backwards");
	}
	if (ps->spend_to_date && ps->forecast_total && ps->spend_to_date->pence > ps->forecast_total->pence)
		status_push_string(call, &ps->flags, &ps->n_flags, "spend_above_forecast");
	if (result_bool(res, i, STATUS_NARRATIVE_REPEATED))
		status_push_string(call, &ps->flags, &ps->n_flags, "narrative_repeated");
	if (!has_update && result_is_null(res, i, STATUS_PREV_UPDATE_ID))
		status_push_string(call, &ps->flags, &ps->n_flags, "missing_two_periods");
}

/* The project of one row of SQL_STATUS, with its flags. */
static Planreg__V1__ProjectStatus *status_project(struct rpc_call *call, PGresult *res, int i, bool past_due)
{
	Planreg__V1__ProjectStatus *ps =
		ARENA_NEW(&call->arena, Planreg__V1__ProjectStatus, planreg__v1__project_status__init);
	ps->ref = result_int(res, i, STATUS_REF);
	ps->title = rpc_strdup(call, result_value(res, i, STATUS_TITLE));
	ps->theme = result_int(res, i, STATUS_THEME);
	ps->objective = rpc_strdup(call, result_value(res, i, STATUS_OBJECTIVE));
	ps->n_lead_orgs =
		result_split(&call->arena, result_value(res, i, STATUS_LEAD_ORGS), RESULT_SEP, &ps->lead_orgs);
	ps->plan_cost = register_cost(call, res, i, STATUS_COST);
	ps->register_stage = (Planreg__V1__Stage)handlers_cell_stage(res, i, STATUS_REGISTER_STAGE);

	bool has_update = !result_is_null(res, i, STATUS_UPDATE_ID);
	bool returned = has_update && status_project_update(call, res, i, ps);
	/* the same definitions as planreg_status_totals (migrations/0003) */
	ps->outstanding = !has_update || returned;
	ps->late = (has_update && !ps->on_time) || (ps->outstanding && past_due);

	long long tenths = 0;
	if (status_variance(ps, &tenths))
		ps->variance = status_pct(call, tenths);
	status_project_flags(call, res, i, ps, has_update, tenths);
	assure_status_project(call, res, i, STATUS_ASSURANCE, ps, has_update);
	indicator_progress_cell(call, result_value(res, i, STATUS_INDICATORS), &ps->indicators, &ps->n_indicators);
	for (size_t k = 0; has_update && k < ps->n_indicators; k++)
		if (ps->indicators[k]->actual_missing) { /* each return reports every indicator of its project */
			status_push_string(call, &ps->flags, &ps->n_flags, "actual_missing");
			break;
		}
	return ps;
}

/* The ratings in the order totals show them, each with its count column: the colours of reported
 * projects, then those returned, then those with no return (they add up to every project). */
static const struct {
	const char *key;
	int col;
} status_ratings[] = {
	{"green", TOTALS_GREEN}, {"amber_green", TOTALS_AMBER_GREEN},
	{"amber", TOTALS_AMBER}, {"amber_red", TOTALS_AMBER_RED},
	{"red", TOTALS_RED},     {"returned", TOTALS_RETURNED},
	{"none", TOTALS_NONE},
};
#define STATUS_RATINGS (sizeof status_ratings / sizeof status_ratings[0])

/* The counts and sums a StatusGroup and the StatusTotals both carry (m points to either), from row i of
 * SQL_TOTALS: a macro, the two being messages of their own with the same field names. */
#define STATUS_COUNTS_FROM_ROW(m, res, i)                                                                              \
	do {                                                                                                           \
		(m)->projects = result_int((res), (i), TOTALS_PROJECTS);                                               \
		(m)->reported = result_int((res), (i), TOTALS_REPORTED);                                               \
		(m)->outstanding = result_int((res), (i), TOTALS_OUTSTANDING);                                         \
		(m)->late = result_int((res), (i), TOTALS_LATE);                                                       \
		(m)->returned = result_int((res), (i), TOTALS_RETURNED);                                               \
		(m)->spend_pence = result_int64((res), (i), TOTALS_SPEND);                                             \
		(m)->forecast_pence = result_int64((res), (i), TOTALS_FORECAST);                                       \
		(m)->plan_cost_pence = result_int64((res), (i), TOTALS_PLAN_COST);                                     \
		(m)->compared_projects = result_int((res), (i), TOTALS_COMPARED);                                      \
		(m)->compared_forecast_pence = result_int64((res), (i), TOTALS_COMPARED_FORECAST);                     \
		(m)->compared_plan_cost_pence = result_int64((res), (i), TOTALS_COMPARED_PLAN_COST);                   \
		(m)->forecast_without_plan_cost = result_int((res), (i), TOTALS_UNCOSTED);                             \
	} while (0)

/* One group of SQL_TOTALS' row i: its counts and sums (no row: a group with no project). */
static Planreg__V1__StatusGroup *status_group(struct rpc_call *call, PGresult *res, int i, const char *key)
{
	Planreg__V1__StatusGroup *g =
		ARENA_NEW(&call->arena, Planreg__V1__StatusGroup, planreg__v1__status_group__init);
	g->key = rpc_strdup(call, key);
	g->name = (char *)"";
	for (size_t k = 0; k < STATUS_RATINGS; k++) {
		Planreg__V1__CountByName *c =
			ARENA_NEW(&call->arena, Planreg__V1__CountByName, planreg__v1__count_by_name__init);
		c->name = (char *)status_ratings[k].key;
		c->count = res ? result_int(res, i, status_ratings[k].col) : 0;
		*(Planreg__V1__CountByName **)arena_push(&call->arena, &g->by_confidence, &g->n_by_confidence,
							 sizeof c) = c;
	}
	if (res == NULL)
		return g; /* a group with no project */
	g->name = rpc_strdup(call, result_value(res, i, TOTALS_NAME));
	STATUS_COUNTS_FROM_ROW(g, res, i);
	return g;
}

static void status_push_group(struct rpc_call *call, Planreg__V1__StatusGroup ***groups, size_t *n,
			      Planreg__V1__StatusGroup *g)
{
	*(Planreg__V1__StatusGroup **)arena_push(&call->arena, groups, n, sizeof g) = g;
}

/* The row of SQL_TOTALS for (dim, key), or -1. */
static int status_totals_row(PGresult *res, const char *dim, const char *key)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(result_value(res, i, TOTALS_DIM), dim) == 0 &&
		    strcmp(result_value(res, i, TOTALS_KEY), key) == 0)
			return i;
	return -1;
}

static int status_group_theme_cmp(const void *a, const void *b)
{
	return atoi((*(Planreg__V1__StatusGroup *const *)a)->key) - atoi((*(Planreg__V1__StatusGroup *const *)b)->key);
}

static int status_group_code_cmp(const void *a, const void *b)
{
	return strcasecmp((*(Planreg__V1__StatusGroup *const *)a)->key, (*(Planreg__V1__StatusGroup *const *)b)->key);
}

static void status_get_totals(struct rpc_call *call, PGresult *res)
{
	struct get_status *st = call->state;
	Planreg__V1__StatusTotals *t =
		ARENA_NEW(&call->arena, Planreg__V1__StatusTotals, planreg__v1__status_totals__init);
	int all = status_totals_row(res, "all", "");
	if (all >= 0)
		STATUS_COUNTS_FROM_ROW(t, res, all);
	for (size_t k = 0; k < STATUS_RATINGS; k++) {
		int i = status_totals_row(res, "confidence", status_ratings[k].key);
		Planreg__V1__CountByName *c =
			ARENA_NEW(&call->arena, Planreg__V1__CountByName, planreg__v1__count_by_name__init);
		c->name = (char *)status_ratings[k].key;
		c->count = i >= 0 ? result_int(res, i, TOTALS_PROJECTS) : 0;
		*(Planreg__V1__CountByName **)arena_push(&call->arena, &t->by_confidence, &t->n_by_confidence,
							 sizeof c) = c;
		status_push_group(call, &t->by_confidence_group, &t->n_by_confidence_group,
				  status_group(call, i >= 0 ? res : NULL, i, status_ratings[k].key));
	}
	for (int sg = 1; sg < STAGE_COUNT; sg++) {
		const char *name = values_stage_name((enum stage)sg);
		int i = status_totals_row(res, "stage", name);
		status_push_group(call, &t->by_stage, &t->n_by_stage, status_group(call, i >= 0 ? res : NULL, i, name));
	}
	for (int i = 0; i < PQntuples(res); i++) {
		if (strcmp(result_value(res, i, TOTALS_DIM), "theme") == 0)
			status_push_group(call, &t->by_theme, &t->n_by_theme,
					  status_group(call, res, i, result_value(res, i, TOTALS_KEY)));
		else if (strcmp(result_value(res, i, TOTALS_DIM), "lead") == 0)
			status_push_group(call, &t->by_lead, &t->n_by_lead,
					  status_group(call, res, i, result_value(res, i, TOTALS_KEY)));
	}
	if (t->n_by_theme > 1)
		qsort(t->by_theme, t->n_by_theme, sizeof *t->by_theme, status_group_theme_cmp);
	if (t->n_by_lead > 1)
		qsort(t->by_lead, t->n_by_lead, sizeof *t->by_lead, status_group_code_cmp);
	st->resp->totals = t;
	const char *params[14];
	status_rows_params(call, params);
	assure_status_totals(call, st->resp, params); /* the totals by the CA's rating, then the reply */
}

/* The totals on the first page (the reply then), or the reply of a later page. */
static void status_get_totals_query(struct rpc_call *call)
{
	struct get_status *st = call->state;
	const Planreg__V1__GetStatusRequest *q = call->req->get_status;
	if (st->after_ref) {
		assure_status_totals(call, st->resp, NULL); /* the totals come with the first page */
		return;
	}
	char theme[16];
	snprintf(theme, sizeof theme, "%d", q->theme);
	const char *params[10] = {
		st->period_s,
		st->resp->as_at,
		status_due_default(call, st->period),
		q->theme ? rpc_strdup(call, theme) : NULL,
		q->objective[0] ? q->objective : NULL,
		st->lead,
		st->scope,
		q->stage ? values_stage_name((enum stage)q->stage) : NULL,
		q->confidence ? values_confidence_name((enum confidence)q->confidence) : NULL,
		q->plan,
	};
	query_run(call, SQL_TOTALS, 10, params, status_get_totals);
}

/* ---------------------------------------------------------------- GetStatus: the details of a report */

/* The previous quarter's return of SQL_DETAIL's row i. */
static Planreg__V1__PreviousReturn *status_detail_previous(struct rpc_call *call, PGresult *res, int i)
{
	Planreg__V1__PreviousReturn *pr =
		ARENA_NEW(&call->arena, Planreg__V1__PreviousReturn, planreg__v1__previous_return__init);
	pr->period = rpc_strdup(call, result_value(res, i, DETAIL_PERIOD));
	pr->update_id = result_int64(res, i, DETAIL_ID);
	pr->confidence =
		(Planreg__V1__Confidence)assure_fold(call, handlers_cell_confidence(res, i, DETAIL_CONFIDENCE));
	pr->stage = (Planreg__V1__Stage)handlers_cell_stage(res, i, DETAIL_STAGE);
	pr->forecast_total = register_money(call, res, i, DETAIL_FORECAST);
	pr->end_date = rpc_strdup(call, result_value(res, i, DETAIL_END_DATE));
	pr->returned = result_bool(res, i, DETAIL_RETURNED);
	return pr;
}

/* Each update of SQL_DETAIL goes to the project whose latest revision it is, or whose previous quarter's. */
static void status_get_detail(struct rpc_call *call, PGresult *res)
{
	struct get_status *st = call->state;
	Planreg__V1__GetStatusResponse *r = st->resp;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t id = result_int64(res, i, DETAIL_ID);
		for (size_t k = 0; k < r->n_projects; k++) {
			Planreg__V1__ProjectStatus *ps = r->projects[k];
			if (ps->update_id == id) {
				ps->variance_note = rpc_strdup(call, result_value(res, i, DETAIL_VARIANCE_NOTE));
				update_milestones_cell(call, result_value(res, i, DETAIL_MILESTONES), &ps->milestones,
						       &ps->n_milestones);
				ps->n_risks = result_split(&call->arena, result_value(res, i, DETAIL_RISKS), RESULT_SEP,
							   &ps->risks);
				ps->end_date = rpc_strdup(call, result_value(res, i, DETAIL_END_DATE));
			}
			if (st->prev_ids[k] == id)
				ps->previous = status_detail_previous(call, res, i);
		}
	}
	status_get_totals_query(call);
}

/* Asks for the details of the page's updates and their previous quarter's; false when there are none. */
static bool status_get_detail_query(struct rpc_call *call)
{
	struct get_status *st = call->state;
	const Planreg__V1__GetStatusResponse *r = st->resp;
	struct buf ids = {0};
	for (size_t k = 0; k < r->n_projects; k++) {
		/* numbers from the database only: safe inside an array literal */
		if (r->projects[k]->update_id)
			buf_printf(&ids, "%s%lld", ids.len ? "," : "{", (long long)r->projects[k]->update_id);
		if (st->prev_ids[k])
			buf_printf(&ids, "%s%lld", ids.len ? "," : "{", (long long)st->prev_ids[k]);
	}
	if (ids.len == 0)
		return false;
	buf_putc(&ids, '}');
	const char *params[2] = {rpc_strdup(call, buf_str(&ids)), r->as_at};
	buf_free(&ids);
	query_run(call, SQL_DETAIL, 2, params, status_get_detail);
	return true;
}

static void status_get_rows(struct rpc_call *call, PGresult *res)
{
	struct get_status *st = call->state;
	const Planreg__V1__GetStatusRequest *q = call->req->get_status;
	Planreg__V1__GetStatusResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetStatusResponse, planreg__v1__get_status_response__init);
	st->resp = r;
	r->period = (char *)st->period_s;
	int rows = PQntuples(res);
	bool past_due = rows > 0 && result_bool(res, 0, STATUS_PAST_DUE);
	r->as_at = rpc_strdup(call, rows > 0 ? result_value(res, 0, STATUS_AS_AT) : "");
	r->due = rpc_strdup(call, rows > 0 ? result_value(res, 0, STATUS_DUE) : "");
	size_t n_prev = 0;
	for (int i = 0; i < rows; i++) {
		if (result_is_null(res, i, STATUS_REF))
			continue; /* no project matched */
		if ((int)r->n_projects == st->page_size) {
			r->next_page_token = rpc_printf(call, "%d", r->projects[r->n_projects - 1]->ref);
			break;
		}
		Planreg__V1__ProjectStatus *ps = status_project(call, res, i, past_due);
		if (!q->include_narrative)
			ps->narrative = "";
		*(Planreg__V1__ProjectStatus **)arena_push(&call->arena, &r->projects, &r->n_projects, sizeof ps) = ps;
		*(int64_t *)arena_push(&call->arena, &st->prev_ids, &n_prev, sizeof(int64_t)) =
			result_int64(res, i, STATUS_PREV_UPDATE_ID);
	}
	if (q->include_detail && status_get_detail_query(call))
		return;
	status_get_totals_query(call);
}

static void status_get_page(struct rpc_call *call)
{
	const char *params[14];
	status_rows_params(call, params);
	query_run(call, SQL_STATUS, 14, params, status_get_rows);
}

static void status_get_lead(struct rpc_call *call, PGresult *res)
{
	struct get_status *st = call->state;
	const Planreg__V1__GetStatusRequest *q = call->req->get_status;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s (`planreg org list` shows the codes)", q->lead_org);
		return;
	}
	st->lead = rpc_strdup(call, result_value(res, 0, ORG_CODE));
	status_get_page(call);
}

/* "6.1": a theme number, a dot, an objective number. */
static bool status_objective_valid(const char *s)
{
	int dots = 0, digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (digits == 0 || ++dots > 1)
				return false;
			digits = 0;
		} else if (*p >= '0' && *p <= '9') {
			if (++digits > 2)
				return false;
		} else {
			return false;
		}
	}
	return dots == 1 && digits > 0;
}

void status_get(struct rpc_call *call)
{
	const Planreg__V1__GetStatusRequest *q = call->req->get_status;
	struct get_status *st = arena_alloc(&call->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	call->state = st;
	if (validate_period(call, "period", q->period, VALIDATE_SINCE_2000, &st->period))
		st->period_s = status_period_text(call, st->period);
	if (q->as_at) {
		char ts[TIMESTAMP_FMT_MAX];
		if (!timestamp_parse(q->as_at->rfc3339, ts))
			reply_violation(
				call, "as_at",
				"\"%s\" is not a moment: write a date (2026-10-20, meaning the end of that day, "
				"UTC) or a date and time with a zone (2026-10-20T09:30:00Z, or +01:00)",
				q->as_at->rfc3339);
		else
			st->as_at = rpc_strdup(call, ts);
	}
	if (q->theme < 0 || q->theme > 99)
		reply_violation(call, "theme", "%d is not a theme number (1-99; 0 for any)", q->theme);
	if (q->objective[0] && !status_objective_valid(q->objective))
		reply_violation(call, "objective", "\"%s\" is not an objective: write THEME.NUMBER, e.g. 6.1",
				q->objective);
	if (q->lead_org[0])
		validate_org_code(call, "lead_org", q->lead_org);
	if (q->stage != PLANREG__V1__STAGE__STAGE_UNSPECIFIED && !values_stage_valid(q->stage))
		reply_violation(call, "stage", "%d is not a stage: one of %s", q->stage, values_stage_names());
	if (q->confidence != PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED && !values_confidence_valid(q->confidence))
		reply_violation(call, "confidence", "%d is not a confidence: one of %s", q->confidence,
				values_confidence_names());
	if (q->page_size < 0 || q->page_size > STATUS_PAGE_MAX)
		reply_violation(call, "page_size", "%d is out of range: 1-%d, or 0 for the default (%d)", q->page_size,
				STATUS_PAGE_MAX, STATUS_PAGE_DEFAULT);
	st->page_size = q->page_size ? q->page_size : STATUS_PAGE_DEFAULT;
	if (q->page_token[0]) {
		char *end;
		long v = strtol(q->page_token, &end, 10);
		if (*end != '\0' || v < 1 || v > 100000)
			reply_violation(call, "page_token", "\"%s\" is not a token this server gave", q->page_token);
		else
			st->after_ref = (int)v;
	}
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_status_request");
		return;
	}
	st->scope = auth_progress_scope(&call->principal);
	if (q->lead_org[0]) {
		const char *params[1] = {q->lead_org};
		query_run(call, SQL_ORG_CODE, 1, params, status_get_lead);
		return;
	}
	status_get_page(call);
}

/* ---------------------------------------------------------------- ListOutstanding */

static int status_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* How many different projects the organisations list: a co-led project is listed under each lead. */
static int32_t status_outstanding_count(struct rpc_call *call, const Planreg__V1__ListOutstandingResponse *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_organisations; i++)
		n += r->organisations[i]->n_projects;
	if (n == 0)
		return 0;
	int *refs = arena_alloc(&call->arena, n * sizeof *refs);
	size_t k = 0;
	for (size_t i = 0; i < r->n_organisations; i++)
		for (size_t j = 0; j < r->organisations[i]->n_projects; j++)
			refs[k++] = r->organisations[i]->projects[j]->ref;
	qsort(refs, n, sizeof *refs, status_int_cmp);
	int32_t distinct = 1;
	for (size_t i = 1; i < n; i++)
		distinct += refs[i] != refs[i - 1];
	return distinct;
}

/* "name<US>addr" as one mailbox, "Full Name <addr>" (mailbox.h); "" for none. */
static char *status_sro(struct rpc_call *call, const char *cell)
{
	struct mailbox m = {0};
	const char *sep = strchr(cell, '\x1f');
	if (sep == NULL)
		return "";
	snprintf(m.name, sizeof m.name, "%.*s", (int)(sep - cell), cell);
	snprintf(m.addr, sizeof m.addr, "%s", sep + 1);
	char text[MAILBOX_MAX];
	mailbox_format(&m, text);
	return rpc_strdup(call, text);
}

/* The CA's queries waiting for the lead bodies past their answer-by dates (queries.c), any period's */
static void status_outstanding_queries(struct rpc_call *call, void *arg, Planreg__V1__Query **qs, size_t n)
{
	Planreg__V1__ListOutstandingResponse *r = arg;
	r->overdue_queries = qs;
	r->n_overdue_queries = n;
	reply_ok(call, r);
}

static void status_outstanding_rows(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListOutstandingResponse *r = ARENA_NEW(&call->arena, Planreg__V1__ListOutstandingResponse,
							    planreg__v1__list_outstanding_response__init);
	r->period = (char *)call->state;
	Planreg__V1__OutstandingOrganisation *org = NULL;
	for (int i = 0; i < PQntuples(res); i++) {
		if (i == 0) {
			r->as_of = rpc_strdup(call, result_value(res, 0, OUTSTANDING_AS_OF));
			r->due = rpc_strdup(call, result_value(res, 0, OUTSTANDING_DUE));
		}
		if (result_is_null(res, i, OUTSTANDING_ORG))
			continue; /* nothing outstanding */
		if (org == NULL || strcmp(org->code, result_value(res, i, OUTSTANDING_ORG)) != 0) {
			org = ARENA_NEW(&call->arena, Planreg__V1__OutstandingOrganisation,
					planreg__v1__outstanding_organisation__init);
			org->code = rpc_strdup(call, result_value(res, i, OUTSTANDING_ORG));
			org->name = rpc_strdup(call, result_value(res, i, OUTSTANDING_ORG_NAME));
			org->contact_email = rpc_strdup(call, result_value(res, i, OUTSTANDING_CONTACT));
			org->due = r->due;
			org->days_late = result_int(res, i, OUTSTANDING_DAYS_LATE);
			org->sro = status_sro(call, result_value(res, i, OUTSTANDING_SRO));
			*(Planreg__V1__OutstandingOrganisation **)arena_push(&call->arena, &r->organisations,
									     &r->n_organisations, sizeof org) = org;
		}
		Planreg__V1__OutstandingProject *p = ARENA_NEW(&call->arena, Planreg__V1__OutstandingProject,
							       planreg__v1__outstanding_project__init);
		p->ref = result_int(res, i, OUTSTANDING_REF);
		p->title = rpc_strdup(call, result_value(res, i, OUTSTANDING_TITLE));
		if (result_is_null(res, i, OUTSTANDING_UPDATE_ID)) {
			p->why = "never_reported";
		} else {
			p->why = "returned";
			p->update_id = result_int64(res, i, OUTSTANDING_UPDATE_ID);
			p->review_comment = rpc_strdup(call, result_value(res, i, OUTSTANDING_REVIEW_COMMENT));
		}
		char **who;
		if (result_split(&call->arena, result_value(res, i, OUTSTANDING_ASSIGNEE), RESULT_SEP, &who) == 2) {
			p->assignee_id = strtoll(who[0], NULL, 10);
			p->assignee = who[1];
		}
		*(Planreg__V1__OutstandingProject **)arena_push(&call->arena, &org->projects, &org->n_projects,
								sizeof p) = p;
	}
	r->projects = status_outstanding_count(call, r);
	queries_overdue(call, r->as_of, auth_progress_scope(&call->principal), status_outstanding_queries, r);
}

void status_outstanding(struct rpc_call *call)
{
	const Planreg__V1__ListOutstandingRequest *q = call->req->list_outstanding;
	struct period p;
	struct date as_of;
	bool ok = validate_period(call, "period", q->period, VALIDATE_SINCE_2000, &p);
	if (q->as_of && !date_parse(q->as_of->iso, &as_of))
		reply_violation(call, "as_of", "\"%s\" is not a date (YYYY-MM-DD)", q->as_of->iso);
	if (!ok || reply_has_violations(call)) {
		reply_violations(call, "invalid_outstanding_request");
		return;
	}
	call->state = (void *)status_period_text(call, p);
	const char *params[5] = {call->state, q->as_of ? q->as_of->iso : NULL, status_due_default(call, p),
				 auth_progress_scope(&call->principal), q->plan};
	query_run(call, SQL_OUTSTANDING, 5, params, status_outstanding_rows);
}

/* ---------------------------------------------------------------- GetTimeliness */

static void status_timeliness_rows(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__GetTimelinessResponse *r = call->state;
	Planreg__V1__TimelinessRow *row = NULL;
	for (int i = 0; i < PQntuples(res); i++) {
		if (row == NULL || strcmp(row->organisation, result_value(res, i, TIMELINESS_ORG)) != 0) {
			row = ARENA_NEW(&call->arena, Planreg__V1__TimelinessRow, planreg__v1__timeliness_row__init);
			row->organisation = rpc_strdup(call, result_value(res, i, TIMELINESS_ORG));
			row->name = rpc_strdup(call, result_value(res, i, TIMELINESS_ORG_NAME));
			*(Planreg__V1__TimelinessRow **)arena_push(&call->arena, &r->organisations, &r->n_organisations,
								   sizeof row) = row;
		}
		Planreg__V1__TimelinessCell *c =
			ARENA_NEW(&call->arena, Planreg__V1__TimelinessCell, planreg__v1__timeliness_cell__init);
		c->period = rpc_strdup(call, result_value(res, i, TIMELINESS_PERIOD));
		c->due = rpc_strdup(call, result_value(res, i, TIMELINESS_DUE));
		c->projects = result_int(res, i, TIMELINESS_PROJECTS);
		c->reported = result_int(res, i, TIMELINESS_REPORTED);
		bool past_due = result_bool(res, i, TIMELINESS_PAST_DUE);
		if (c->reported < c->projects) {
			c->status = past_due ? "missing" : "not_due";
		} else {
			c->returned_at = rpc_strdup(call, result_value(res, i, TIMELINESS_LAST_FIRST_AT));
			c->days_late = result_int(res, i, TIMELINESS_DAYS_LATE);
			c->status = c->days_late > 0 ? "late" : "on_time";
		}
		*(Planreg__V1__TimelinessCell **)arena_push(&call->arena, &row->periods, &row->n_periods, sizeof c) = c;
	}
	reply_ok(call, r);
}

void status_timeliness(struct rpc_call *call)
{
	const Planreg__V1__GetTimelinessRequest *q = call->req->get_timeliness;
	struct period from, to;
	bool ok = status_period_pair(call, q->from_period, q->to_period, &from, &to);
	if (ok && period_distance(from, to) < 0)
		reply_violation(call, "to_period", "%s is before %s: give the earlier period first",
				validate_period_name(call, to), validate_period_name(call, from));
	else if (ok && period_distance(from, to) >= STATUS_MAX_PERIODS)
		reply_violation(call, "to_period", "%d periods asked for; at most %d at once",
				period_distance(from, to) + 1, STATUS_MAX_PERIODS);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_timeliness_request");
		return;
	}
	Planreg__V1__GetTimelinessResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetTimelinessResponse, planreg__v1__get_timeliness_response__init);
	struct buf periods = {0}, dues = {0};
	for (struct period p = from; period_distance(p, to) >= 0; p = period_next(p)) {
		const char *s = status_period_text(call, p);
		status_push_string(call, &r->periods, &r->n_periods, s);
		/* validated periods and computed dates only: safe inside an array literal */
		buf_printf(&periods, "%s%s", periods.len ? "," : "{", s);
		buf_printf(&dues, "%s%s", dues.len ? "," : "{", status_due_default(call, p));
	}
	buf_putc(&periods, '}');
	buf_putc(&dues, '}');
	call->state = r;
	const char *params[4] = {rpc_strdup(call, buf_str(&periods)), rpc_strdup(call, buf_str(&dues)),
				 auth_progress_scope(&call->principal), call->req->get_timeliness->plan};
	buf_free(&periods);
	buf_free(&dues);
	query_run(call, SQL_TIMELINESS, 4, params, status_timeliness_rows);
}

/* ---------------------------------------------------------------- DiffPeriods */

/* Whether one side of SQL_DIFF's row (its columns from side on) is still owed: never reported, or returned. */
static bool status_outstanding_side(PGresult *res, int row, int side)
{
	return result_is_null(res, row, side + SIDE_UPDATE_ID) ||
	       (!result_is_null(res, row, side + SIDE_ACCEPTED) && !result_bool(res, row, side + SIDE_ACCEPTED));
}

static void status_diff_rows(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__DiffPeriodsResponse *r = call->state;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__ProjectDiff *d =
			ARENA_NEW(&call->arena, Planreg__V1__ProjectDiff, planreg__v1__project_diff__init);
		bool has_a = !result_is_null(res, i, DIFF_FROM + SIDE_UPDATE_ID),
		     has_b = !result_is_null(res, i, DIFF_TO + SIDE_UPDATE_ID);
		d->ref = result_int(res, i, DIFF_REF);
		d->title = rpc_strdup(call, result_value(res, i, DIFF_TITLE));
		d->confidence_from = (Planreg__V1__Confidence)assure_fold(
			call, handlers_cell_confidence(res, i, DIFF_FROM + SIDE_CONFIDENCE));
		d->confidence_to = (Planreg__V1__Confidence)assure_fold(
			call, handlers_cell_confidence(res, i, DIFF_TO + SIDE_CONFIDENCE));
		d->assurance_from = (Planreg__V1__Confidence)assure_fold(
			call, handlers_cell_confidence(res, i, DIFF_ASSURANCE_FROM));
		d->assurance_to =
			(Planreg__V1__Confidence)assure_fold(call, handlers_cell_confidence(res, i, DIFF_ASSURANCE_TO));
		d->confidence_change = "";
		if (has_a && has_b)
			d->confidence_change = d->confidence_to < d->confidence_from   ? "up"
					       : d->confidence_to > d->confidence_from ? "down"
										       : "same";
		d->stage_from = (Planreg__V1__Stage)handlers_cell_stage(res, i, DIFF_FROM + SIDE_STAGE);
		d->stage_to = (Planreg__V1__Stage)handlers_cell_stage(res, i, DIFF_TO + SIDE_STAGE);
		d->forecast_from = register_money(call, res, i, DIFF_FROM + SIDE_FORECAST);
		d->forecast_to = register_money(call, res, i, DIFF_TO + SIDE_FORECAST);
		if (d->forecast_from && d->forecast_to) {
			int64_t change = d->forecast_to->pence - d->forecast_from->pence;
			d->forecast_change = ARENA_NEW(&call->arena, Planreg__V1__Money, planreg__v1__money__init);
			d->forecast_change->pence = change;
			if (d->forecast_from->pence > 0)
				d->forecast_change_pct = status_pct(
					call, (long long)((__int128)change * 1000 / d->forecast_from->pence));
		}
		d->n_milestones_achieved = result_split(&call->arena, result_value(res, i, DIFF_ACHIEVED), RESULT_SEP,
							&d->milestones_achieved);
		d->n_milestones_slipped = result_split(&call->arena, result_value(res, i, DIFF_SLIPPED), RESULT_SEP,
						       &d->milestones_slipped);
		d->outstanding_from = status_outstanding_side(res, i, DIFF_FROM);
		d->outstanding_to = status_outstanding_side(res, i, DIFF_TO);
		d->newly_outstanding = d->outstanding_to && !d->outstanding_from;
		d->n_indicators_moved = result_split(&call->arena, result_value(res, i, DIFF_INDICATORS), RESULT_SEP,
						     &d->indicators_moved);
		bool changed = strcmp(d->confidence_change, "up") == 0 || strcmp(d->confidence_change, "down") == 0 ||
			       (has_a && has_b && d->stage_from != d->stage_to) ||
			       (d->forecast_change && d->forecast_change->pence != 0) ||
			       (has_a != has_b && (d->forecast_from || d->forecast_to)) || d->n_milestones_achieved ||
			       d->n_milestones_slipped || d->n_indicators_moved ||
			       d->outstanding_from != d->outstanding_to || has_a != has_b ||
			       (d->assurance_from && d->assurance_to && d->assurance_from != d->assurance_to);
		if (changed)
			*(Planreg__V1__ProjectDiff **)arena_push(&call->arena, &r->projects, &r->n_projects, sizeof d) =
				d;
	}
	reply_ok(call, r);
}

void status_diff(struct rpc_call *call)
{
	const Planreg__V1__DiffPeriodsRequest *q = call->req->diff_periods;
	struct period from, to;
	bool ok = status_period_pair(call, q->from_period, q->to_period, &from, &to);
	if (ok && period_distance(from, to) == 0)
		reply_violation(call, "to_period", "compare two different periods, not %s with itself",
				validate_period_name(call, to));
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_diff_request");
		return;
	}
	Planreg__V1__DiffPeriodsResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__DiffPeriodsResponse, planreg__v1__diff_periods_response__init);
	r->from_period = (char *)status_period_text(call, from);
	r->to_period = (char *)status_period_text(call, to);
	call->state = r;
	char end[DATE_FMT_MAX];
	date_format(period_end(from), end);
	const char *params[7] = {r->from_period,
				 r->to_period,
				 status_due_default(call, from),
				 status_due_default(call, to),
				 auth_progress_scope(&call->principal),
				 rpc_strdup(call, end),
				 call->req->diff_periods->plan};
	query_run(call, SQL_DIFF, 7, params, status_diff_rows);
}
