/* update.c - quarterly progress: SubmitUpdate (validated, authorised by lead,
 * idempotent, compared with the current revision, hash-chained), GetUpdate,
 * ListUpdates, ReviewUpdate, UpdateTemplate and ExportUpdates. Every decision
 * on who may is auth.c's. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assure.h"
#include "auth.h"
#include "buf.h"
#include "chain.h"
#include "handlers.h"
#include "indicator.h"
#include "json.h"
#include "log.h"
#include "log_seq.h"
#include "money.h"
#include "period.h"
#include "queries.h"
#include "submitsig.h"
#include "server.h"
#include "signed.h"
#include "sql.h"
#include "validate.h"
#include "values.h"
#include "xmalloc.h"

#define UPDATE_MAX_MILESTONES 50
#define UPDATE_MAX_RISKS 50
#define UPDATE_NARRATIVE_MAX 20000
#define UPDATE_VARIANCE_PERCENT 5

/* SQL reads better laid out by hand. */
/* clang-format off */
/* What the submission is checked against, read without the chain's lock (the revision, the previous
 * hash, the time and the comparison with the current revision are the sequencer's batch's, under it:
 * planreg_log_sequence_batch, migrations/0031).
 * $1 ref, $2 period, $3 credential, $4 idempotency key, $5 the quarter before $2 */
static const char SQL_SUBMIT_CONTEXT[] =
	"SELECT p.id,"
	" coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"
	"           WHERE project_id = p.id), ''),"
	" p.cost_status, p.cost_min_pence, p.cost_max_pence, p.stage,"
	" (SELECT stage FROM progress_update WHERE project_id IN " SAME_PROJECT("p.lineage") " AND period = $5"
	"  ORDER BY revision DESC LIMIT 1),"
	" (SELECT narrative FROM progress_update WHERE project_id IN " SAME_PROJECT("p.lineage") " AND period < $2"
	"  ORDER BY period DESC, revision DESC LIMIT 1),"
	" (SELECT period FROM progress_update WHERE project_id IN " SAME_PROJECT("p.lineage") " AND period < $2"
	"  ORDER BY period DESC, revision DESC LIMIT 1),"
	" (SELECT id FROM progress_update WHERE submitted_by = $3 AND idempotency_key = $4)"
	" FROM project p WHERE p.plan_id = " CURRENT_PLAN " AND p.ref = $1";
enum context_col {
	CONTEXT_PROJECT_ID,
	CONTEXT_LEADS,
	CONTEXT_COST_STATUS,
	CONTEXT_COST_MIN_PENCE,
	CONTEXT_COST_MAX_PENCE,
	CONTEXT_REGISTER_STAGE,
	CONTEXT_PREV_STAGE,     /* of the quarter before's current revision, NULL when it has none */
	CONTEXT_PREV_NARRATIVE, /* of the latest update of an earlier period */
	CONTEXT_PREV_PERIOD,    /* ... and its period */
	CONTEXT_REPLAY_ID,      /* the update this credential submitted with this key, NULL when none */
};

static const char SQL_RECEIPT[] =
	"SELECT id, revision, hash, coalesce(array_to_string(warnings, chr(31)), ''), content_sha256, " TS_US(
		"submitted_at") " FROM progress_update WHERE id = $1";

enum receipt_col {
	RECEIPT_ID,
	RECEIPT_REVISION,
	RECEIPT_HASH,
	RECEIPT_WARNINGS,
	RECEIPT_CONTENT_SHA256,
	RECEIPT_SUBMITTED_AT,
};

/* The columns of one update: SQL_UPDATE_RECORD_COLUMNS (enum sql_update_col), then enum update_col's;
 * read by update_from_row (the columns named as Update's fields by result_fill). */
#define UPDATE_COLUMNS                                                                                           \
	SQL_UPDATE_RECORD_COLUMNS ","                                                                            \
	" u.hash, u.prev_hash,"                                                                                  \
	" rv.accepted, coalesce(rv.comment, ''), coalesce(rv.reviewed_by, ''),"                                  \
	" coalesce(" TS_US("rv.reviewed_at") ", ''),"                                                           \
	" EXISTS (SELECT 1 FROM progress_update later WHERE later.project_id IN " SAME_PROJECT("p.lineage")    \
	"   AND later.period = u.period AND later.revision > u.revision) AS superseded,"                       \
	" coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"               \
	"   WHERE project_id = u.project_id), ''),"                                                              \
	" p.title AS project_title, " ASSURE_COLUMNS ", " ASSURE_EVIDENCE_CELL
#define UPDATE_FROM                                                                                              \
	" FROM progress_update u JOIN project p ON p.id = u.project_id"                                          \
	" LEFT JOIN LATERAL (SELECT * FROM update_review r WHERE r.update_id = u.id ORDER BY r.id DESC LIMIT 1) rv" \
	" ON true"                                                                                              \
	" LEFT JOIN LATERAL (SELECT * FROM assurance_rating a WHERE a.update_id = u.id ORDER BY a.id DESC LIMIT 1) x" \
	" ON true"
enum update_col {
	UPD_HASH = UPD_RECORD_COLUMNS,
	UPD_PREV_HASH,
	UPD_REVIEW_ACCEPTED, /* the latest review's; NULL when there is none */
	UPD_REVIEW_COMMENT,
	UPD_REVIEWED_BY,
	UPD_REVIEWED_AT,
	UPD_SUPERSEDED, /* a later revision of the same period exists */
	UPD_LEADS,      /* the project's lead organisations, joined with RESULT_SEP */
	UPD_TITLE,      /* the project's title */
	UPD_ASSURANCE,  /* the CA's latest rating of this revision (ASSURE_COLUMNS) */
	UPD_EVIDENCE = UPD_ASSURANCE + ASSURE_COUNT, /* the documents that back it (ASSURE_EVIDENCE_CELL) */
	UPD_SORT_REF, /* SQL_UPDATES only: the ref in the plan listed (UPDATE_SORT_REF) */
};

/* A row's project as the plan $6 numbers it: what listings are ordered and paged by. */
#define UPDATE_SORT_REF "(SELECT c.ref FROM project c WHERE c.lineage = p.lineage AND c.plan_id = " PLAN_NAMED("$6") ")"
/* $1 id, $2 ref, $3 period, $4 lead organisation, $5 latest only, $6 plan; $7-$9 the page token's ref (in that
 * plan), period and revision, the page starting after it. A ref is the project's in that plan, and its history
 * is every edition's (migrations/0016); a period's updates are those of the plan's projects. */
static const char SQL_UPDATES[] =
	DB_CUSTOM_PLAN "SELECT " UPDATE_COLUMNS ", " UPDATE_SORT_REF UPDATE_FROM
	" WHERE ($1::bigint IS NULL OR u.id = $1::bigint)"
	"  AND ($2::int IS NULL OR p.lineage = (SELECT c.lineage FROM project c"
	"       WHERE c.plan_id = " PLAN_NAMED("$6") " AND c.ref = $2::int))"
	"  AND ($1::bigint IS NOT NULL OR EXISTS (SELECT 1 FROM project c WHERE c.lineage = p.lineage"
	"       AND c.plan_id = " PLAN_NAMED("$6") "))"
	"  AND ($3::text IS NULL OR u.period = $3::text)"
	"  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l WHERE l.project_id = u.project_id"
	"       AND lower(l.org_code) = lower($4::text)))"
	"  AND (NOT $5::boolean OR NOT EXISTS (SELECT 1 FROM progress_update later"
	"       WHERE later.project_id IN " SAME_PROJECT("p.lineage") " AND later.period = u.period"
	"       AND later.revision > u.revision))"
	"  AND ($7::int IS NULL OR (" UPDATE_SORT_REF ", u.period, u.revision) > ($7::int, $8::text, $9::int))"
	" ORDER BY " UPDATE_SORT_REF ", u.period, u.revision, u.id";

/* $1 ref, $2 plan */
static const char SQL_PROJECT_LEADS[] =
	"SELECT coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"
	" WHERE project_id = p.id), '') FROM project p WHERE p.plan_id = " PLAN_NAMED("$2") " AND p.ref = $1";
enum { LEADS_CODES };

static const char SQL_ORG_EXISTS[] = "SELECT code FROM organisation WHERE lower(code) = lower($1)";
enum { ORG_CODE };

/* A review's columns, as update_review_reply reads them (enum review_col). */
#define REVIEW_COLUMNS "update_id, accepted, comment, reviewed_by, " TS_US("reviewed_at") ", id"
enum review_col { REVIEW_UPDATE_ID, REVIEW_ACCEPTED, REVIEW_COMMENT, REVIEW_BY, REVIEW_AT, REVIEW_ID, REVIEW_COUNT };

/* ReviewUpdate in one statement: $1 update, $2 accepted, $3 comment, $4 reviewer, $5 idempotency key or '',
 * $6 the reviewer's signature and $7 the DER of the certificate it verified against (both NULL: unsigned).
 * Rows: 'replay' (the review already made with this key), 'inserted' (the new review), 'update' (the
 * update reviewed: ref, period, revision, superseded; absent when there is none). Nothing is inserted
 * for a replay, a missing or a superseded update. */
static const char SQL_REVIEW_ONCE[] =
	"WITH k AS (SELECT " REVIEW_COLUMNS " FROM update_review"
	"   WHERE reviewed_by = $4 AND idempotency_key = NULLIF($5, '')),"
	" u AS (SELECT x.id, p.ref, x.period, x.revision,"
	"   EXISTS (SELECT 1 FROM progress_update later WHERE later.project_id IN " SAME_PROJECT("p.lineage")
	"     AND later.period = x.period AND later.revision > x.revision) AS superseded"
	"   FROM progress_update x JOIN project p ON p.id = x.project_id WHERE x.id = $1::bigint),"
	" cert AS (INSERT INTO submitter_certificate (sha256, der)"
	"   SELECT encode(sha256($7::bytea), 'hex'), $7::bytea WHERE $6::bytea IS NOT NULL ON CONFLICT DO NOTHING),"
	" ins AS (INSERT INTO update_review (update_id, accepted, comment, reviewed_by, idempotency_key, signature,"
	"   certificate_sha256)"
	"   SELECT $1::bigint, $2::boolean, $3, $4, NULLIF($5, ''), $6::bytea,"
	"   CASE WHEN $6::bytea IS NULL THEN NULL ELSE encode(sha256($7::bytea), 'hex') END FROM u"
	"   WHERE NOT u.superseded AND NOT EXISTS (SELECT 1 FROM k)"
	"   ON CONFLICT (reviewed_by, idempotency_key) DO NOTHING RETURNING " REVIEW_COLUMNS ")"
	" SELECT 'replay', k.*, NULL::int, NULL::text, NULL::int, NULL::boolean FROM k"
	" UNION ALL SELECT 'inserted', ins.*, NULL, NULL, NULL, NULL FROM ins"
	" UNION ALL SELECT 'update', u.id, NULL, NULL, NULL, NULL, NULL, u.ref, u.period, u.revision, u.superseded"
	" FROM u";
enum review_once_col {
	ONCE_ROW,                              /* 'replay', 'inserted' or 'update' */
	ONCE_REVIEW,                           /* the review (enum review_col); the 'update' row: its id only */
	ONCE_REF = ONCE_REVIEW + REVIEW_COUNT, /* this and the next three: the 'update' row's */
	ONCE_PERIOD,
	ONCE_REVISION,
	ONCE_SUPERSEDED,
};

/* $1 reviewer, $2 idempotency key */
static const char SQL_REVIEW_BY_KEY[] =
	"SELECT " REVIEW_COLUMNS " FROM update_review WHERE reviewed_by = $1 AND idempotency_key = $2";
/* clang-format on */

/* ---------------------------------------------------------------- reading updates */

static Planreg__V1__Date *update_date(struct rpc_call *call, const char *iso)
{
	if (iso == NULL || iso[0] == '\0')
		return NULL;
	Planreg__V1__Date *d = ARENA_NEW(&call->arena, Planreg__V1__Date, planreg__v1__date__init);
	d->iso = rpc_strdup(call, iso);
	return d;
}

/* The milestones of one result cell: title, baseline, forecast and achieved joined with RESULT_SUBSEP. */
void update_milestones_cell(struct rpc_call *call, const char *cell, Planreg__V1__Milestone ***out, size_t *n_out)
{
	char **ms;
	size_t n = result_split(&call->arena, cell, RESULT_SEP, &ms);
	for (size_t i = 0; i < n; i++) {
		char **f;
		size_t nf = result_split(&call->arena, ms[i], RESULT_SUBSEP, &f);
		Planreg__V1__Milestone *m =
			ARENA_NEW(&call->arena, Planreg__V1__Milestone, planreg__v1__milestone__init);
		m->title = nf > 0 ? f[0] : "";
		m->baseline = update_date(call, nf > 1 ? f[1] : NULL);
		m->forecast = update_date(call, nf > 2 ? f[2] : NULL);
		m->achieved = update_date(call, nf > 3 ? f[3] : NULL);
		*(Planreg__V1__Milestone **)arena_push(&call->arena, out, n_out, sizeof m) = m;
	}
}

/* The content of an update row (UPDATE_COLUMNS). */
static Planreg__V1__UpdateContent *update_content_from_row(struct rpc_call *call, PGresult *res, int row)
{
	Planreg__V1__UpdateContent *c =
		ARENA_NEW(&call->arena, Planreg__V1__UpdateContent, planreg__v1__update_content__init);
	c->ref = result_int(res, row, UPD_REF);
	c->period = rpc_strdup(call, result_value(res, row, UPD_PERIOD));
	c->confidence = (Planreg__V1__Confidence)handlers_cell_confidence(res, row, UPD_CONFIDENCE);
	c->stage = (Planreg__V1__Stage)handlers_cell_stage(res, row, UPD_STAGE);
	c->narrative = rpc_strdup(call, result_value(res, row, UPD_NARRATIVE));
	c->spend_to_date = register_money(call, res, row, UPD_SPEND_PENCE);
	c->forecast_total = register_money(call, res, row, UPD_FORECAST_PENCE);
	c->variance_note = rpc_strdup(call, result_value(res, row, UPD_VARIANCE_NOTE));
	update_milestones_cell(call, result_value(res, row, UPD_MILESTONES), &c->milestones, &c->n_milestones);
	c->n_risks = result_split(&call->arena, result_value(res, row, UPD_RISKS), RESULT_SEP, &c->risks);
	indicator_actuals_cell(call, result_value(res, row, UPD_ACTUALS), &c->actuals, &c->n_actuals);
	return c;
}

/* Reads an update row (UPDATE_COLUMNS); *leads gets the project's lead organisations. */
static Planreg__V1__Update *update_from_row(struct rpc_call *call, PGresult *res, int row, char ***leads,
					    size_t *n_leads)
{
	Planreg__V1__Update *u = ARENA_NEW(&call->arena, Planreg__V1__Update, planreg__v1__update__init);
	/* id, revision, the record (submitted_by ... submitted_at), hash, prev_hash, superseded, project_title */
	result_fill(&call->arena, res, row, &u->base);
	u->content = update_content_from_row(call, res, row);
	if (!result_is_null(res, row, UPD_REVIEW_ACCEPTED)) {
		Planreg__V1__Review *rv = ARENA_NEW(&call->arena, Planreg__V1__Review, planreg__v1__review__init);
		rv->accepted = result_bool(res, row, UPD_REVIEW_ACCEPTED);
		rv->comment = rpc_strdup(call, result_value(res, row, UPD_REVIEW_COMMENT));
		rv->reviewed_by = rpc_strdup(call, result_value(res, row, UPD_REVIEWED_BY));
		rv->reviewed_at = rpc_strdup(call, result_value(res, row, UPD_REVIEWED_AT));
		u->review = rv;
	}
	u->assurance = assure_from_row(call, res, row, UPD_ASSURANCE);
	evidence_from_cell(call, result_value(res, row, UPD_EVIDENCE), &u->evidence, &u->n_evidence);
	u->n_lead_orgs = result_split(&call->arena, result_value(res, row, UPD_LEADS), RESULT_SEP, &u->lead_orgs);
	if (leads) {
		*leads = u->lead_orgs;
		*n_leads = u->n_lead_orgs;
	}
	return u;
}

/* "LCC" or "STFC, ATOS", for messages */
static const char *update_leads_text(struct rpc_call *call, char **leads, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", leads[i]);
	char *s = rpc_strdup(call, n ? buf_str(&b) : "nobody");
	buf_free(&b);
	return s;
}

static void update_refuse_not_lead(struct rpc_call *call, int ref, char **leads, size_t n, const char *doing)
{
	reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
		    "credential %s (organisation %s) may not %s project %d: it is led by %s, and submitters act "
		    "only for projects their organisation leads",
		    call->principal.credential, call->principal.organisation, doing, ref,
		    update_leads_text(call, leads, n));
}

/* ---------------------------------------------------------------- SubmitUpdate */

struct update_submit {
	Planreg__V1__UpdateContent *c;
	struct period period;
	char period_s[PERIOD_FMT_MAX];
	char prev_period_s[PERIOD_FMT_MAX]; /* the quarter before: what the stage is compared with */
	struct chain_content content;
	struct chain_milestone *milestones;
	const char **risks;
	struct chain_actual *actuals;
	char digest[65];
	long long project_id;
	bool on_behalf;
	char hash[65];              /* chain.c's, to check the database's */
	bool written;               /* this call wrote the row (not a replay, nor the current revision again) */
	struct log_chain_link link; /* set by the sequencer with the leaf (migrations/0025) */
	struct signed_by signer;    /* the submitter's signature and certificate, NULL when unsigned */
	struct buf warnings;        /* JSON array, for the insert */
	Planreg__V1__SubmitUpdateResponse *resp;
};

static struct date update_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	struct date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
	return d;
}

static const char *update_money_text(struct rpc_call *call, int64_t pence)
{
	char buf[MONEY_FMT_MAX];
	money_format(pence, buf);
	return rpc_strdup(call, buf);
}

/* The content's fields but its milestones and risks; current is today's quarter. */
static void update_validate_fields(struct rpc_call *call, struct update_submit *st, struct period current)
{
	const Planreg__V1__UpdateContent *c = st->c;
	if (c->ref <= 0)
		reply_violation(call, "ref", "%d is not a project reference (a positive number)", c->ref);
	if (validate_period(call, "period", c->period, VALIDATE_SINCE_2000, &st->period) &&
	    period_compare(st->period, current) > 0) {
		reply_violation(call, "period",
				"%s is after the current quarter (%s): report on a quarter that has begun",
				validate_period_name(call, st->period), validate_period_name(call, current));
	}
	period_format(st->period, st->period_s);
	if (!values_confidence_valid(c->confidence))
		reply_violation(call, "confidence", "is required: one of %s", values_confidence_names());
	else
		assure_check_scale(call, "confidence", c->confidence);
	if (!values_stage_valid(c->stage))
		reply_violation(call, "stage", "is required: one of %s", values_stage_names());
	validate_text(call, "narrative", c->narrative, UPDATE_NARRATIVE_MAX, VALIDATE_REQUIRED | VALIDATE_MULTILINE);
	validate_text(call, "variance_note", c->variance_note, 5000, VALIDATE_MULTILINE);
	if (c->spend_to_date && (c->spend_to_date->pence < 0 || c->spend_to_date->pence > MONEY_MAX_PENCE))
		reply_violation(call, "spend_to_date", "must be between £0 and £10 trillion; money is never negative");
	if (c->forecast_total && (c->forecast_total->pence < 0 || c->forecast_total->pence > MONEY_MAX_PENCE))
		reply_violation(call, "forecast_total", "must be between £0 and £10 trillion; money is never negative");
	if (c->n_milestones > UPDATE_MAX_MILESTONES)
		reply_violation(call, "milestones", "%zu milestones; at most %d", c->n_milestones,
				UPDATE_MAX_MILESTONES);
	if (c->n_risks > UPDATE_MAX_RISKS)
		reply_violation(call, "risks", "%zu risks; at most %d", c->n_risks, UPDATE_MAX_RISKS);
}

/* Milestone i (counted from 1 in its field name); its title and dates go to st->milestones[i]. */
static void update_validate_milestone(struct rpc_call *call, struct update_submit *st, size_t i, struct date today)
{
	const Planreg__V1__UpdateContent *c = st->c;
	const Planreg__V1__Milestone *m = c->milestones[i];
	struct chain_milestone *cm = &st->milestones[i];
	char field[64];
	snprintf(field, sizeof field, "milestones[%zu]", i + 1);
	cm->title = m->title;
	cm->baseline = m->baseline ? m->baseline->iso : "";
	cm->forecast = m->forecast ? m->forecast->iso : "";
	cm->achieved = m->achieved ? m->achieved->iso : "";
	if (!validate_text(call, field, m->title, 200, VALIDATE_REQUIRED))
		return;
	for (size_t k = 0; k < i; k++)
		if (strcmp(c->milestones[k]->title, m->title) == 0)
			reply_violation(call, field, "\"%s\" is listed twice", m->title);
	struct date baseline, forecast, achieved;
	bool has_forecast = cm->forecast[0] != '\0', has_achieved = cm->achieved[0] != '\0';
	if (cm->baseline[0] == '\0')
		reply_violation(call, field, "\"%s\" has no baseline date (the date first planned)", m->title);
	else if (!date_parse(cm->baseline, &baseline))
		reply_violation(call, field, "\"%s\": baseline \"%s\" is not a date (YYYY-MM-DD)", m->title,
				cm->baseline);
	if (has_forecast && !date_parse(cm->forecast, &forecast))
		reply_violation(call, field, "\"%s\": forecast \"%s\" is not a date (YYYY-MM-DD)", m->title,
				cm->forecast);
	if (has_achieved && !date_parse(cm->achieved, &achieved)) {
		reply_violation(call, field, "\"%s\": achieved \"%s\" is not a date (YYYY-MM-DD)", m->title,
				cm->achieved);
		has_achieved = false;
	} else if (has_achieved && date_compare(achieved, today) > 0) {
		reply_violation(call, field, "\"%s\" is marked achieved on %s, which is in the future", m->title,
				cm->achieved);
	}
	if (!has_forecast && cm->achieved[0] == '\0')
		reply_violation(call, field, "\"%s\" needs a forecast date, or the date it was achieved", m->title);
	else if (has_forecast && cm->achieved[0] == '\0' && date_parse(cm->forecast, &forecast) &&
		 date_compare(forecast, period_start(st->period)) < 0)
		reply_violation(call, field,
				"\"%s\" is forecast for %s, before %s began, but is not achieved: give a new "
				"forecast or the date it was achieved",
				m->title, cm->forecast, validate_period_name(call, st->period));
}

/* The validated content as the hash chain encodes it (what the CLI signed, proto/submitsig.c), and its digest. */
static void update_chain_content(struct update_submit *st)
{
	struct submitsig_parts parts = {st->milestones, st->risks, st->actuals};
	(void)submitsig_content(st->c, st->period_s, &parts, &st->content); /* validated */
	chain_content_digest(&st->content, st->digest);
}

/* Checks everything that needs no database; fills st->content. */
static bool update_validate(struct rpc_call *call, struct update_submit *st)
{
	Planreg__V1__UpdateContent *c = st->c;
	struct date today = update_today();
	update_validate_fields(call, st, period_of_date(today));
	if (call->req->submit_update->amends_update_id < 0)
		reply_violation(call, "amends_update_id", "%lld is not an update id",
				(long long)call->req->submit_update->amends_update_id);
	st->milestones = arena_alloc(&call->arena, (c->n_milestones + 1) * sizeof *st->milestones);
	for (size_t i = 0; i < c->n_milestones && i < UPDATE_MAX_MILESTONES; i++)
		update_validate_milestone(call, st, i, today);
	st->risks = arena_alloc(&call->arena, (c->n_risks + 1) * sizeof *st->risks);
	for (size_t i = 0; i < c->n_risks && i < UPDATE_MAX_RISKS; i++) {
		char field[64];
		snprintf(field, sizeof field, "risks[%zu]", i + 1);
		validate_text(call, field, c->risks[i], 2000, VALIDATE_REQUIRED | VALIDATE_MULTILINE);
		st->risks[i] = c->risks[i];
	}
	indicator_validate_actuals(call, c);
	st->actuals = arena_alloc(&call->arena, (c->n_actuals + 1) * sizeof *st->actuals);
	if (reply_has_violations(call))
		return false;
	update_chain_content(st);
	return true;
}

/* How far forecast strays outside the plan's cost, in tenths of a percent (0 when within it). */
static long long update_variance_tenths(PGresult *res, int64_t forecast, int64_t *plan)
{
	if (strcmp(result_value(res, 0, CONTEXT_COST_STATUS), "known") != 0 ||
	    result_is_null(res, 0, CONTEXT_COST_MIN_PENCE))
		return 0;
	int64_t lo = result_int64(res, 0, CONTEXT_COST_MIN_PENCE);
	bool has_hi = !result_is_null(res, 0, CONTEXT_COST_MAX_PENCE);
	int64_t hi = has_hi ? result_int64(res, 0, CONTEXT_COST_MAX_PENCE) : 0;
	if (lo > 0 && forecast < lo) {
		*plan = lo;
		return (long long)((__int128)(lo - forecast) * 1000 / lo);
	}
	if (has_hi && hi > 0 && forecast > hi) {
		*plan = hi;
		return (long long)((__int128)(forecast - hi) * 1000 / hi);
	}
	return 0;
}

static void update_warn(struct rpc_call *call, struct update_submit *st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void update_warn(struct rpc_call *call, struct update_submit *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *s = rpc_strdup(call, msg);
	free(msg);
	*(char **)arena_push(&call->arena, &st->resp->warnings, &st->resp->n_warnings, sizeof(char *)) = s;
}

/* The receipt's place in the log (handlers/log.c), then the answer, with the chain hash the sequencer gave it. */
static void update_submit_logged(struct rpc_call *call, Planreg__V1__LogReceipt *receipt)
{
	struct update_submit *st = call->state;
	Planreg__V1__SubmitUpdateResponse *r = st->resp;
	r->receipt = receipt;
	r->hash = (char *)st->link.hash;
	if (st->written) { /* the database hashed it; chain.c (which audit verify uses) must agree */
		struct chain_record rec = {
			.revision = r->revision,
			.submitted_by = call->principal.credential,
			.submitted_org = call->principal.organisation,
			.submitted_person = call->principal.person,
			.on_behalf = st->on_behalf,
			.submitted_at = r->submitted_at,
		};
		chain_hash(st->link.prev_hash, &st->content, &rec, st->hash);
		if (strcmp(st->hash, r->hash) != 0)
			log_error("chain_hash_mismatch", "update=%lld database=%s daemon=%s", (long long)r->update_id,
				  r->hash, st->hash);
	}
	reply_ok(call, r);
}

static void update_submit_reply(struct rpc_call *call, Planreg__V1__SubmitUpdateResponse *r)
{
	struct update_submit *st = call->state;
	log_receipt_update(call, r->update_id, &st->link, update_submit_logged);
}

/* A retry of a return already written (by this credential, with this key): its receipt, unless the content
 * differs; false when the call was answered. */
static bool update_submit_replayed(struct rpc_call *call, const struct log_seq_written *w)
{
	struct update_submit *st = call->state;
	if (strcmp(w->content_sha256, st->digest) != 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "idempotency_key_reused",
			    "idempotency key \"%s\" was already used by credential %s for a different submission "
			    "(update %lld); use a new key for new content",
			    call->req->idempotency_key, call->principal.credential, (long long)w->id);
		return false;
	}
	Planreg__V1__SubmitUpdateResponse *r = st->resp;
	r->update_id = w->id;
	r->revision = w->revision;
	r->hash = rpc_strdup(call, w->hash);
	r->n_warnings = result_split(&call->arena, w->warnings, RESULT_SEP, &r->warnings);
	r->submitted_at = rpc_strdup(call, w->submitted_at);
	r->replayed = true;
	return true;
}

/* SQL_RECEIPT's row: the return the context found for this key. */
static void update_submit_receipt_row(struct rpc_call *call, PGresult *res)
{
	struct log_seq_written w = {
		.outcome = "replayed",
		.id = result_int64(res, 0, RECEIPT_ID),
		.revision = result_int(res, 0, RECEIPT_REVISION),
		.hash = result_value(res, 0, RECEIPT_HASH),
		.warnings = result_value(res, 0, RECEIPT_WARNINGS),
		.content_sha256 = result_value(res, 0, RECEIPT_CONTENT_SHA256),
		.submitted_at = result_value(res, 0, RECEIPT_SUBMITTED_AT),
	};
	if (update_submit_replayed(call, &w))
		update_submit_reply(call, ((struct update_submit *)call->state)->resp);
}

/* An amend whose update is not the current revision (w names the current one; id 0 when the period has none): it
 * was made from what its author saw, so it is not written over what they did not. */
static void update_submit_stale(struct rpc_call *call, const struct log_seq_written *w)
{
	struct update_submit *st = call->state;
	long long amends = (long long)call->req->submit_update->amends_update_id;
	if (w->id == 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "amend_stale",
			    "update %lld is not a return for project %d, %s, which has none: submit it without "
			    "--amend",
			    amends, st->c->ref, validate_period_name(call, st->period));
		return;
	}
	reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "amend_stale",
		    "update %lld is not the current return for project %d, %s: that is revision %d (update %lld), "
		    "submitted since; nothing was written. Look at it (`planreg update show %lld`), then amend again",
		    amends, st->c->ref, validate_period_name(call, st->period), w->revision, (long long)w->id,
		    (long long)w->id);
}

/* The content is the current revision's: its receipt, marked unchanged; nothing was written. */
static void update_submit_unchanged(struct rpc_call *call, const struct log_seq_written *w)
{
	Planreg__V1__SubmitUpdateResponse *r = ((struct update_submit *)call->state)->resp;
	r->update_id = w->id;
	r->revision = w->revision;
	r->hash = rpc_strdup(call, w->hash);
	r->submitted_at = rpc_strdup(call, w->submitted_at);
	r->n_warnings = 0; /* nothing was submitted to warn about */
	r->warnings = NULL;
	r->unchanged = true;
}

/* The sequencer's batch answered for the return (migrations/0031): written (committed with its leaf), a retry of
 * one written before or in the same batch, the current revision's content, or a stale amend. True to go on to
 * the receipt of the update it names. */
static bool update_submit_batched(struct rpc_call *call, const struct log_seq_written *w)
{
	struct update_submit *st = call->state;
	if (strcmp(w->outcome, "replayed") == 0)
		return update_submit_replayed(call, w);
	if (strcmp(w->outcome, "stale") == 0 || w->id == 0) {
		update_submit_stale(call, w);
		return false;
	}
	if (strcmp(w->outcome, "unchanged") == 0) {
		update_submit_unchanged(call, w);
		return true;
	}
	Planreg__V1__SubmitUpdateResponse *r = st->resp;
	r->update_id = w->id;
	r->revision = w->revision;
	r->submitted_at = rpc_strdup(call, w->submitted_at);
	st->written = true; /* its chain link comes with its leaf */
	return true;
}

static char *update_json_milestones(const struct update_submit *st)
{
	struct buf b = {0};
	struct json j;
	json_init(&j, &b, false);
	json_array_begin(&j);
	for (size_t i = 0; i < st->content.n_milestones; i++) {
		json_object_begin(&j);
		json_kv_str(&j, "title", st->milestones[i].title);
		json_kv_str(&j, "baseline", st->milestones[i].baseline);
		json_kv_str(&j, "forecast", st->milestones[i].forecast);
		json_kv_str(&j, "achieved", st->milestones[i].achieved);
		json_object_end(&j);
	}
	json_array_end(&j);
	return buf_take(&b);
}

static char *update_json_strings(char *const *items, size_t n)
{
	struct buf b = {0};
	struct json j;
	json_init(&j, &b, false);
	json_str_array(&j, items, n);
	return buf_take(&b);
}

/* The variance rule, which needs the plan's cost (SQL_SUBMIT_CONTEXT's row): false, with the call
 * answered, when the forecast strays too far from it without a note. */
static bool update_check_variance(struct rpc_call *call, const struct update_submit *st, PGresult *res,
				  long long *tenths, bool *over)
{
	const Planreg__V1__UpdateContent *c = st->c;
	int64_t plan = 0;
	*tenths = c->forecast_total ? update_variance_tenths(res, c->forecast_total->pence, &plan) : 0;
	*over = *tenths > UPDATE_VARIANCE_PERCENT * 10;
	if (!*over || c->variance_note[0] != '\0')
		return true;
	reply_violation(call, "variance_note",
			"is required: the forecast %s differs from the plan's cost %s by %lld.%lld%%, more than "
			"%d%%; explain the difference",
			update_money_text(call, c->forecast_total->pence), update_money_text(call, plan), *tenths / 10,
			*tenths % 10, UPDATE_VARIANCE_PERCENT);
	reply_violations(call, "variance_note_required");
	return false;
}

/* The consistency warnings: recorded with the update, returned on every replay. */
static void update_submit_warnings(struct rpc_call *call, struct update_submit *st, PGresult *res, bool over,
				   long long tenths)
{
	Planreg__V1__UpdateContent *c = st->c;
	if (over && c->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN)
		update_warn(call, st,
			    "confidence is green but the forecast differs from the plan's cost by %lld.%lld%%",
			    tenths / 10, tenths % 10);
	/* the quarter before's current revision, as the status flag compares (docs/protocol.md): a late return
	 * for an earlier quarter is not compared with a later one */
	enum stage last = STAGE_UNSPECIFIED;
	bool in_register = result_is_null(res, 0, CONTEXT_PREV_STAGE);
	const char *last_s = result_value(res, 0, in_register ? CONTEXT_REGISTER_STAGE : CONTEXT_PREV_STAGE);
	if (values_stage_parse(last_s, &last)) {
		int before = values_stage_rank(last), now = values_stage_rank((enum stage)c->stage);
		if (before && now && now < before && in_register)
			update_warn(call, st,
				    "the stage moves backwards: %s, after %s in the register (%s has no return)",
				    st->content.stage, last_s, validate_period_name_of(call, st->prev_period_s));
		else if (before && now && now < before)
			update_warn(call, st, "the stage moves backwards: %s, after %s in the %s return",
				    st->content.stage, last_s, validate_period_name_of(call, st->prev_period_s));
	}
	if (c->spend_to_date && c->forecast_total && c->spend_to_date->pence > c->forecast_total->pence)
		update_warn(call, st, "spend to date %s is above the forecast total %s",
			    update_money_text(call, c->spend_to_date->pence),
			    update_money_text(call, c->forecast_total->pence));
	if (!result_is_null(res, 0, CONTEXT_PREV_NARRATIVE) &&
	    strcmp(result_value(res, 0, CONTEXT_PREV_NARRATIVE), c->narrative) == 0)
		update_warn(call, st, "the narrative is identical to the %s update's",
			    result_value(res, 0, CONTEXT_PREV_PERIOD));
}

/* An amount in pence, or null when it was not given. */
static void update_json_pence(struct json *j, const char *key, const Planreg__V1__Money *m)
{
	json_key(j, key);
	if (m)
		json_int(j, m->pence);
	else
		json_null(j);
}

/* The return as planreg_log_sequence_batch (migrations/0031) reads it: the content, its canonical bytes and
 * digest, who submits it, the warnings, milestones, risks and actuals, and the period's dates. */
static const char *update_write_json(struct rpc_call *call, struct update_submit *st)
{
	Planreg__V1__UpdateContent *c = st->c;
	Planreg__V1__SubmitUpdateResponse *r = st->resp;
	struct buf canonical = {0}, b = {0};
	chain_encode(&st->content, NULL, &canonical); /* the record's lines are the database's to add */
	char start[DATE_FMT_MAX], end[DATE_FMT_MAX], due[DATE_FMT_MAX];
	date_format(period_start(st->period), start);
	date_format(period_end(st->period), end);
	date_format(period_due(st->period, call->srv->cfg->due_days), due);
	char *lists[3] = {update_json_strings(r->warnings, r->n_warnings), update_json_milestones(st),
			  update_json_strings(c->risks, c->n_risks)};
	static const char *const list_keys[3] = {"warnings", "milestones", "risks"};
	long long amends = (long long)call->req->submit_update->amends_update_id;
	struct json j;
	json_init(&j, &b, false);
	json_object_begin(&j);
	json_kv_int(&j, "project_id", st->project_id);
	json_kv_str(&j, "period", st->period_s);
	json_kv_str(&j, "confidence", st->content.confidence);
	json_kv_str(&j, "stage", st->content.stage);
	json_kv_str(&j, "narrative", c->narrative);
	update_json_pence(&j, "spend_pence", c->spend_to_date);
	update_json_pence(&j, "forecast_pence", c->forecast_total);
	json_kv_str(&j, "variance_note", c->variance_note);
	json_kv_str(&j, "submitted_by", call->principal.credential);
	json_kv_str(&j, "submitted_org", call->principal.organisation);
	json_kv_str(&j, "submitted_person", call->principal.person);
	json_kv_bool(&j, "on_behalf", st->on_behalf);
	json_kv_str(&j, "idempotency_key", call->req->idempotency_key);
	json_kv_str(&j, "content_sha256", st->digest);
	json_kv_str(&j, "content", buf_str(&canonical));
	for (size_t i = 0; i < 3; i++) {
		json_key(&j, list_keys[i]);
		json_raw(&j, lists[i]);
		free(lists[i]);
	}
	json_key(&j, "actuals");
	json_raw(&j, c->n_actuals ? indicator_actuals_json(call, c) : "[]");
	json_kv_str(&j, "starts", start);
	json_kv_str(&j, "ends", end);
	json_kv_str(&j, "due", due);
	json_key(&j, "amends_id");
	if (amends)
		json_int(&j, amends);
	else
		json_null(&j);
	json_kv_str(&j, "signature", st->signer.signature);
	json_kv_str(&j, "certificate", st->signer.certificate);
	json_object_end(&j);
	const char *out = rpc_strdup(call, buf_str(&b));
	buf_free(&b);
	buf_free(&canonical);
	return out;
}

/* Hands the return to the sequencer, whose next batch writes it (log_receipt_write). */
static void update_submit_send(struct rpc_call *call, struct update_submit *st)
{
	log_receipt_write(call, update_write_json(call, st), &st->link, update_submit_batched, update_submit_logged);
}

static const char SQL_ACTUALS_CHECK[] = INDICATOR_SQL_ACTUALS_CHECK;

/* Each actual is for one of the project's indicators (indicator.c), then the return is sent. */
static void update_submit_actuals(struct rpc_call *call, PGresult *res)
{
	struct update_submit *st = call->state;
	if (indicator_actuals_checked(call, res, st->c->ref))
		update_submit_send(call, st);
}

static void update_submit_context(struct rpc_call *call, PGresult *res)
{
	struct update_submit *st = call->state;
	Planreg__V1__UpdateContent *c = st->c;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "project_not_found",
			    "there is no project %d in the register (`planreg projects list` shows them)", c->ref);
		return;
	}
	char **leads;
	size_t n_leads = result_split(&call->arena, result_value(res, 0, CONTEXT_LEADS), RESULT_SEP, &leads);
	if (!auth_may_write_progress(&call->principal, leads, n_leads)) {
		update_refuse_not_lead(call, c->ref, leads, n_leads, "report on");
		return;
	}
	if (!result_is_null(res, 0, CONTEXT_REPLAY_ID)) {
		const char *params[1] = {result_value(res, 0, CONTEXT_REPLAY_ID)};
		query_run(call, SQL_RECEIPT, 1, params, update_submit_receipt_row);
		return;
	}
	long long tenths;
	bool over;
	if (!update_check_variance(call, st, res, &tenths, &over))
		return;
	st->project_id = result_int64(res, 0, CONTEXT_PROJECT_ID);
	st->on_behalf = !auth_leads_project(&call->principal, leads, n_leads); /* an admin, for the lead */
	update_submit_warnings(call, st, res, over, tenths);
	if (c->n_actuals == 0) {
		update_submit_send(call, st);
		return;
	}
	const char *params[2] = {rpc_printf(call, "%lld", st->project_id), indicator_actual_ids(call, c)};
	query_run(call, SQL_ACTUALS_CHECK, 2, params, update_submit_actuals);
}

void update_submit(struct rpc_call *call)
{
	Planreg__V1__SubmitUpdateRequest *q = call->req->submit_update;
	if (q->content == NULL) {
		reply_violation(call, "content", "is required");
		reply_violations(call, "invalid_update");
		return;
	}
	struct update_submit *st = arena_alloc(&call->arena, sizeof *st);
	st->c = q->content;
	st->resp =
		ARENA_NEW(&call->arena, Planreg__V1__SubmitUpdateResponse, planreg__v1__submit_update_response__init);
	call->state = st;
	if (!update_validate(call, st)) {
		reply_violations(call, "invalid_update");
		return;
	}
	struct buf msg = {0};
	submitsig_return_message(st->content.ref, st->period_s, st->digest, &msg);
	bool signed_ok = signed_check(call, &q->signature, &msg, "the return", &st->signer);
	buf_free(&msg);
	if (!signed_ok)
		return;
	period_format(period_prev(st->period), st->prev_period_s);
	/* no transaction: the context is read without the chain's lock; the sequencer's batch writes the return */
	const char *params[5] = {rpc_printf(call, "%d", st->c->ref), st->period_s, call->principal.credential,
				 call->req->idempotency_key, st->prev_period_s};
	query_run(call, SQL_SUBMIT_CONTEXT, 5, params, update_submit_context);
}

/* ---------------------------------------------------------------- GetUpdate, ListUpdates */

/* The CA's queries on the return, each with its thread (queries.c) */
static void update_get_queries(struct rpc_call *call, void *arg, Planreg__V1__Query **qs, size_t n)
{
	Planreg__V1__GetUpdateResponse *r = arg;
	r->update->queries = qs;
	r->update->n_queries = n;
	reply_ok(call, r);
}

static void update_get_done(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "update_not_found", "there is no update %lld",
			    (long long)call->req->get_update->id);
		return;
	}
	char **leads;
	size_t n_leads;
	Planreg__V1__Update *u = update_from_row(call, res, 0, &leads, &n_leads);
	if (!auth_may_read_progress(&call->principal, leads, n_leads)) {
		update_refuse_not_lead(call, u->content->ref, leads, n_leads, "read the updates of");
		return;
	}
	Planreg__V1__GetUpdateResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetUpdateResponse, planreg__v1__get_update_response__init);
	r->update = u;
	queries_of_update(call, u->id, update_get_queries, r);
}

void update_get(struct rpc_call *call)
{
	long long id = call->req->get_update->id;
	if (id <= 0) {
		reply_violation(call, "id", "%lld is not an update id (a positive number)", id);
		reply_violations(call, "invalid_id");
		return;
	}
	const char *params[9] = {rpc_printf(call, "%lld", id), NULL, NULL, NULL, "false", NULL, NULL, NULL, NULL};
	query_run(call, SQL_UPDATES, 9, params, update_get_done);
}

/* A page token of ListUpdates: where the last page ended, in the listing's order ("ref:period:revision"). */
struct update_list_token {
	int ref, revision;
	char period[32]; /* as the rows hold it; checked with period_parse */
};

static bool update_list_token_parse(const char *s, struct update_list_token *t)
{
	int end = 0;
	struct period p;
	return sscanf(s, "%d:%31[^:]:%d%n", &t->ref, t->period, &t->revision, &end) == 3 && s[end] == '\0' &&
	       t->ref > 0 && t->revision > 0 && period_parse(t->period, &p);
}

/* As many updates as fit in a frame (reply_page_add); the token of the next page when some are left. */
static void update_list_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListUpdatesResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListUpdatesResponse, planreg__v1__list_updates_response__init);
	size_t used = 0;
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		Planreg__V1__Update *u = update_from_row(call, res, i, NULL, NULL);
		if (!reply_page_add(call, &used, &r->updates, &r->n_updates, &u->base)) {
			const Planreg__V1__Update *last = r->updates[r->n_updates - 1];
			r->next_page_token = rpc_printf(call, "%s:%s:%d", PQgetvalue(res, i - 1, UPD_SORT_REF),
							last->content->period, last->revision);
			break;
		}
	}
	reply_ok(call, r);
}

/* Runs the listing for org's projects; without org, for every project p may see (auth.c). */
static void update_list_query(struct rpc_call *call, const char *org)
{
	Planreg__V1__ListUpdatesRequest *q = call->req->list_updates;
	if (org == NULL)
		org = auth_progress_scope(&call->principal);
	const char *period = call->state; /* normalised by update_list */
	struct update_list_token t = {0};
	bool after = q->page_token[0] && update_list_token_parse(q->page_token, &t); /* checked by update_list */
	const char *params[9] = {NULL,
				 q->ref ? rpc_printf(call, "%d", q->ref) : NULL,
				 period,
				 org,
				 q->latest_only ? "true" : "false",
				 q->plan,
				 after ? rpc_printf(call, "%d", t.ref) : NULL,
				 after ? rpc_strdup(call, t.period) : NULL,
				 after ? rpc_printf(call, "%d", t.revision) : NULL};
	query_run(call, SQL_UPDATES, 9, params, update_list_done);
}

static void update_list_have_leads(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListUpdatesRequest *q = call->req->list_updates;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "project_not_found",
			    "there is no project %d in the register", q->ref);
		return;
	}
	char **leads;
	size_t n = result_split(&call->arena, result_value(res, 0, LEADS_CODES), RESULT_SEP, &leads);
	if (!auth_may_read_progress(&call->principal, leads, n)) {
		update_refuse_not_lead(call, q->ref, leads, n, "read the updates of");
		return;
	}
	update_list_query(call, NULL);
}

static void update_list_have_org(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListUpdatesRequest *q = call->req->list_updates;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s (`planreg org list` shows the codes)", q->organisation);
		return;
	}
	update_list_query(call, q->organisation);
}

void update_list(struct rpc_call *call)
{
	Planreg__V1__ListUpdatesRequest *q = call->req->list_updates;
	struct period p;
	if (q->ref == 0 && q->period[0] == '\0')
		reply_violation(call, "ref", "give a project reference (its history) or a period (its updates)");
	if (q->ref < 0)
		reply_violation(call, "ref", "%d is not a project reference", q->ref);
	if (q->period[0])
		validate_period(call, "period", q->period, 0, &p);
	if (q->organisation[0])
		validate_org_code(call, "organisation", q->organisation);
	struct update_list_token t;
	if (q->page_token[0] && !update_list_token_parse(q->page_token, &t))
		reply_violation(call, "page_token",
				"\"%s\" is not a page token of this listing: send the one the last "
				"page gave, or none for the first page",
				q->page_token);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_filter");
		return;
	}
	if (q->organisation[0] && !auth_may_list_org(&call->principal, q->organisation)) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "credential %s (organisation %s) may not list the updates of %s's projects: submitters "
			    "see only the projects their own organisation leads",
			    call->principal.credential, call->principal.organisation, q->organisation);
		return;
	}
	if (q->period[0]) {
		char norm[PERIOD_FMT_MAX];
		period_format(p, norm); /* "2026-q3" means 2026-Q3 */
		call->state = rpc_strdup(call, norm);
	}
	if (q->ref) {
		const char *params[2] = {rpc_printf(call, "%d", q->ref), q->plan};
		query_run(call, SQL_PROJECT_LEADS, 2, params, update_list_have_leads);
	} else if (q->organisation[0]) {
		const char *params[1] = {q->organisation};
		query_run(call, SQL_ORG_EXISTS, 1, params, update_list_have_org);
	} else {
		update_list_query(call, NULL);
	}
}

/* ---------------------------------------------------------------- ReviewUpdate */

/* A review is recorded once per idempotency key (scoped to the reviewer, like
 * SubmitUpdate's): a retry with the same key gets the first review back. */
static void update_review_logged(struct rpc_call *call, Planreg__V1__LogReceipt *receipt)
{
	Planreg__V1__ReviewUpdateResponse *r = call->state;
	r->receipt = receipt;
	assure_review_reply(call, r); /* with the CA's rating, when one was given */
}

/* Replies with the review in row i, columns from col on (REVIEW_COLUMNS), and its place in the log. */
static void update_review_reply(struct rpc_call *call, PGresult *res, int i, int col)
{
	Planreg__V1__ReviewUpdateResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ReviewUpdateResponse, planreg__v1__review_update_response__init);
	Planreg__V1__Review *rv = ARENA_NEW(&call->arena, Planreg__V1__Review, planreg__v1__review__init);
	rv->accepted = result_bool(res, i, col + REVIEW_ACCEPTED);
	rv->comment = rpc_strdup(call, result_value(res, i, col + REVIEW_COMMENT));
	rv->reviewed_by = rpc_strdup(call, result_value(res, i, col + REVIEW_BY));
	rv->reviewed_at = rpc_strdup(call, result_value(res, i, col + REVIEW_AT));
	r->review = rv;
	r->review_id = result_int64(res, i, col + REVIEW_ID);
	call->state = r;
	log_receipt_review(call, r->review_id, update_review_logged);
}

/* The review already made with this request's key (REVIEW_COLUMNS from col): the same review is a
 * retry and gets it back; another review under the same key is a client bug. */
static void update_review_replay(struct rpc_call *call, PGresult *res, int i, int col)
{
	Planreg__V1__ReviewUpdateRequest *q = call->req->review_update;
	if (result_int64(res, i, col + REVIEW_UPDATE_ID) != q->id ||
	    result_bool(res, i, col + REVIEW_ACCEPTED) != q->accept ||
	    strcmp(result_value(res, i, col + REVIEW_COMMENT), q->comment) != 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "idempotency_key_reused",
			    "idempotency key \"%s\" was already used by credential %s for a different review "
			    "(of update %s); use a new key for a new review",
			    call->req->idempotency_key, call->principal.credential,
			    result_value(res, i, col + REVIEW_UPDATE_ID));
		return;
	}
	update_review_reply(call, res, i, col); /* a retry: the first review, nothing written */
}

/* The key was taken by a concurrent review between the statement's look-up and its insert. */
static void update_review_raced(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__ABORTED, "conflict",
			    "another review with idempotency key \"%s\" was being recorded at the same moment; "
			    "try again",
			    call->req->idempotency_key);
		return;
	}
	update_review_replay(call, res, 0, REVIEW_UPDATE_ID); /* SQL_REVIEW_BY_KEY: REVIEW_COLUMNS only */
}

static void update_review_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ReviewUpdateRequest *q = call->req->review_update;
	int replay = -1, inserted = -1, update = -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *what = result_value(res, i, ONCE_ROW);
		if (strcmp(what, "replay") == 0)
			replay = i;
		else if (strcmp(what, "inserted") == 0)
			inserted = i;
		else if (strcmp(what, "update") == 0)
			update = i;
	}
	if (replay >= 0) {
		update_review_replay(call, res, replay, ONCE_REVIEW);
		return;
	}
	if (inserted >= 0) {
		update_review_reply(call, res, inserted, ONCE_REVIEW);
		return;
	}
	if (update < 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "update_not_found", "there is no update %lld",
			    (long long)q->id);
		return;
	}
	if (result_bool(res, update, ONCE_SUPERSEDED)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "superseded",
			    "update %lld (project %s, %s revision %s) has been superseded by a later revision; review "
			    "the latest one",
			    (long long)q->id, result_value(res, update, ONCE_REF),
			    result_value(res, update, ONCE_PERIOD), result_value(res, update, ONCE_REVISION));
		return;
	}
	const char *params[2] = {call->principal.credential, call->req->idempotency_key};
	query_run(call, SQL_REVIEW_BY_KEY, 2, params, update_review_raced);
}

void update_review(struct rpc_call *call)
{
	Planreg__V1__ReviewUpdateRequest *q = call->req->review_update;
	if (q->id <= 0)
		reply_violation(call, "id", "%lld is not an update id", (long long)q->id);
	if (!q->accept)
		validate_text(call, "comment", q->comment, 5000, VALIDATE_REQUIRED | VALIDATE_MULTILINE);
	else
		validate_text(call, "comment", q->comment, 5000, VALIDATE_MULTILINE);
	validate_text(call, "idempotency_key", call->req->idempotency_key, 200, 0);
	if (reply_has_violations(call)) {
		reply_violations(call, q->accept ? "invalid_review" : "comment_required");
		return;
	}
	if (!assure_review_validate(call)) {
		reply_violations(call, "invalid_assurance");
		return;
	}
	struct buf msg = {0};
	struct signed_by signer;
	submitsig_review_message(q->id, q->accept, q->comment, &msg);
	bool signed_ok = signed_check(call, &q->signature, &msg, "the review", &signer);
	buf_free(&msg);
	if (!signed_ok)
		return;
	/* one statement: the key's earlier review, the update's state and the insert (one round trip) */
	const char *params[7] = {rpc_printf(call, "%lld", (long long)q->id),
				 q->accept ? "true" : "false",
				 q->comment,
				 call->principal.credential,
				 call->req->idempotency_key,
				 signer.signature,
				 signer.certificate};
	query_run(call, SQL_REVIEW_ONCE, 7, params, update_review_done);
}

/* ---------------------------------------------------------------- UpdateTemplate */

/* $1 organisation, $2 period, $3 the ref the page starts after: the projects it leads, each with its current revision
 * for the period, else the current revision of the latest earlier period that has one (what the form is filled in from)
 */
static const char *update_sql_template(void)
{
	static char sql[8192];
	if (sql[0] == '\0')
		snprintf(sql, sizeof sql,
			 "SELECT %s, lu.id FROM project f" /* TEMPLATE_LATEST_ID */
			 " LEFT JOIN LATERAL (SELECT x.id FROM progress_update x WHERE x.project_id IN " SAME_PROJECT(
				 "f.lineage") "   AND x.period <= $2 ORDER BY x.period DESC, x.revision DESC LIMIT 1) "
					      "lu ON true"
					      " WHERE f.plan_id = " CURRENT_PLAN
					      " AND EXISTS (SELECT 1 FROM project_lead_org l"
					      "   WHERE l.project_id = f.id AND lower(l.org_code) = lower($1))"
					      "  AND f.ref > $3::int"
					      " ORDER BY f.ref",
			 REGISTER_SQL_PROJECT_COLUMNS);
	return sql;
}

enum { TEMPLATE_LATEST_ID = PROJECT_COLUMNS }; /* the latest update up to the period, NULL when none */

struct update_template {
	Planreg__V1__UpdateTemplateResponse *resp;
	char period[PERIOD_FMT_MAX];
	struct buf ids;    /* the latest updates to fetch, as a Postgres array literal of integers */
	long long *latest; /* per row: its latest update's id (made in this edition or an earlier one), 0 when none */
};

/* The rows that fit in a frame (reply_page_fits); where the next page starts when some are left. */
static void update_template_reply(struct rpc_call *call, Planreg__V1__UpdateTemplateResponse *r)
{
	size_t used = 0;
	for (size_t k = 0; k < r->n_rows; k++)
		if (!reply_page_fits(call, &used, planreg__v1__template_row__get_packed_size(r->rows[k]))) {
			r->n_rows = k;
			r->next_after_ref = r->rows[k - 1]->project->ref;
			break;
		}
	reply_ok(call, r);
}

static void update_template_latest(struct rpc_call *call, PGresult *res)
{
	struct update_template *st = call->state;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Update *u = update_from_row(call, res, i, NULL, NULL);
		for (size_t k = 0; k < st->resp->n_rows; k++)
			if (st->latest[k] == u->id) {
				st->resp->rows[k]->latest = u->content;
				st->resp->rows[k]->latest_update_id = u->id;
				st->resp->rows[k]->latest_review = u->review;
			}
	}
	buf_free(&st->ids);
	update_template_reply(call, st->resp);
}

static void update_template_projects(struct rpc_call *call, PGresult *res)
{
	struct update_template *st = call->state;
	buf_puts(&st->ids, "{");
	bool any = false;
	st->latest = arena_alloc(&call->arena, ((size_t)PQntuples(res) + 1) * sizeof *st->latest);
	for (int i = 0; i < PQntuples(res); i++) {
		st->latest[i] =
			result_is_null(res, i, TEMPLATE_LATEST_ID) ? 0 : result_int64(res, i, TEMPLATE_LATEST_ID);
		Planreg__V1__TemplateRow *row =
			ARENA_NEW(&call->arena, Planreg__V1__TemplateRow, planreg__v1__template_row__init);
		row->project = register_project_from_row(call, res, i, 0);
		*(Planreg__V1__TemplateRow **)arena_push(&call->arena, &st->resp->rows, &st->resp->n_rows, sizeof row) =
			row;
		if (!result_is_null(res, i, TEMPLATE_LATEST_ID)) {
			buf_printf(&st->ids, "%s%s", any ? "," : "", result_value(res, i, TEMPLATE_LATEST_ID));
			any = true;
		}
	}
	buf_puts(&st->ids, "}");
	if (!any) {
		buf_free(&st->ids);
		update_template_reply(call, st->resp);
		return;
	}
	/* the ids came from our own query: integers only */
	static const char sql[] = "SELECT " UPDATE_COLUMNS UPDATE_FROM " WHERE u.id = ANY ($1::bigint[])";
	const char *params[1] = {rpc_strdup(call, buf_str(&st->ids))};
	buf_free(&st->ids);
	query_run(call, sql, 1, params, update_template_latest);
}

static void update_template_have_org(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__UpdateTemplateRequest *q = call->req->update_template;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s (`planreg org list` shows the codes)", q->organisation);
		return;
	}
	struct update_template *st = call->state;
	const char *params[3] = {rpc_strdup(call, result_value(res, 0, ORG_CODE)), st->period,
				 rpc_printf(call, "%d", q->after_ref)};
	query_run(call, update_sql_template(), 3, params, update_template_projects);
}

void update_template(struct rpc_call *call)
{
	Planreg__V1__UpdateTemplateRequest *q = call->req->update_template;
	struct period p;
	validate_period(call, "period", q->period, 0, &p);
	if (q->organisation[0])
		validate_org_code(call, "organisation", q->organisation);
	if (q->after_ref < 0)
		reply_violation(call, "after_ref", "%d is not a project reference", q->after_ref);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_template");
		return;
	}
	const char *org = auth_template_org(&call->principal, q->organisation);
	if (org == NULL) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "credential %s (organisation %s) may not have the template of %s's projects: a "
			    "submitter gets the template of its own organisation (%s) only",
			    call->principal.credential, call->principal.organisation, q->organisation,
			    call->principal.organisation);
		return;
	}
	struct update_template *st = arena_alloc(&call->arena, sizeof *st);
	period_format(p, st->period);
	st->resp = ARENA_NEW(&call->arena, Planreg__V1__UpdateTemplateResponse,
			     planreg__v1__update_template_response__init);
	call->state = st;
	const char *params[1] = {org};
	query_run(call, SQL_ORG_EXISTS, 1, params, update_template_have_org);
}

/* ---------------------------------------------------------------- ExportUpdates */

#define UPDATE_EXPORT_PAGE_DEFAULT 500
#define UPDATE_EXPORT_PAGE_MAX 1000

/* $1 after id, $2 from period, $3 to period, $4 scope (auth.c), $5 rows to read (one more than a page), $6 plan:
 * the returns of its projects, made in any edition */
static const char SQL_EXPORT[] = DB_CUSTOM_PLAN
	"SELECT " UPDATE_COLUMNS UPDATE_FROM " WHERE u.id > $1::bigint AND ($2::text IS NULL OR u.period >= $2::text)"
	"  AND ($3::text IS NULL OR u.period <= $3::text)"
	"  AND EXISTS (SELECT 1 FROM project c WHERE c.lineage = p.lineage AND c.plan_id = " PLAN_NAMED(
		"$6") ")"
		      "  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l"
		      "       WHERE l.project_id = u.project_id AND lower(l.org_code) = lower($4::text)))"
		      " ORDER BY u.id LIMIT $5::int";

static void update_export_done(struct rpc_call *call, PGresult *res)
{
	int page = *(int *)call->state;
	Planreg__V1__ExportUpdatesResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ExportUpdatesResponse, planreg__v1__export_updates_response__init);
	int n = PQntuples(res);
	size_t used = 0;
	for (int i = 0; i < n && i < page; i++) {
		Planreg__V1__Update *u = update_from_row(call, res, i, NULL, NULL);
		if (!reply_page_add(call, &used, &r->updates, &r->n_updates, &u->base))
			break; /* the page is full before page_size: the rest on the next one */
	}
	if ((size_t)n > r->n_updates)
		r->next_after_id = r->updates[r->n_updates - 1]->id;
	reply_ok(call, r);
}

void update_export(struct rpc_call *call)
{
	Planreg__V1__ExportUpdatesRequest *q = call->req->export_updates;
	struct period from, to;
	char from_s[PERIOD_FMT_MAX] = "", to_s[PERIOD_FMT_MAX] = "";
	if (q->from_period[0] && validate_period(call, "from_period", q->from_period, 0, &from))
		period_format(from, from_s);
	if (q->to_period[0] && validate_period(call, "to_period", q->to_period, 0, &to))
		period_format(to, to_s);
	if (from_s[0] && to_s[0] && period_compare(from, to) > 0)
		reply_violation(call, "to_period", "%s is before %s: give the earlier period first",
				validate_period_name(call, to), validate_period_name(call, from));
	if (q->after_id < 0)
		reply_violation(call, "after_id", "%lld is not an update id", (long long)q->after_id);
	if (q->page_size < 0 || q->page_size > UPDATE_EXPORT_PAGE_MAX)
		reply_violation(call, "page_size", "%d is out of range: 1-%d, or 0 for the default (%d)", q->page_size,
				UPDATE_EXPORT_PAGE_MAX, UPDATE_EXPORT_PAGE_DEFAULT);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_export_request");
		return;
	}
	int *page = arena_alloc(&call->arena, sizeof *page);
	*page = q->page_size ? q->page_size : UPDATE_EXPORT_PAGE_DEFAULT;
	call->state = page;
	const char *params[6] = {rpc_printf(call, "%lld", (long long)q->after_id),
				 from_s[0] ? rpc_strdup(call, from_s) : NULL,
				 to_s[0] ? rpc_strdup(call, to_s) : NULL,
				 auth_progress_scope(&call->principal),
				 rpc_printf(call, "%d", *page + 1),
				 q->plan};
	query_run(call, SQL_EXPORT, 6, params, update_export_done);
}
