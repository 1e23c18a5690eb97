/* queries.c - the Combined Authority's queries on one section of a return (docs/assurance.md, "Queries"):
 * RaiseQuery, AddQueryEntry (the lead body's answer, the CA's reply or closing), ListQueries and GetQuery,
 * and the queries of a return as GetUpdate shows them. A query leaves the return as it is. Who may do what
 * is auth.c's (auth_project_party, auth_query_entry_kind). */
#include "queries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "period.h"
#include "sql.h"
#include "validate.h"

#define QUERIES_COMMENT_MAX 5000

/* The sections a query may name: a kind, and for some an argument (docs/decisions.md, "Queries"). */
enum queries_arg { QUERIES_ARG_NONE, QUERIES_ARG_POSITION, QUERIES_ARG_ID };
static const struct {
	const char *kind;
	enum queries_arg arg;
} queries_sections[] = {
	{"spend", QUERIES_ARG_NONE},         {"forecast", QUERIES_ARG_NONE},   {"variance", QUERIES_ARG_NONE},
	{"narrative", QUERIES_ARG_NONE},     {"confidence", QUERIES_ARG_NONE}, {"stage", QUERIES_ARG_NONE},
	{"milestone", QUERIES_ARG_POSITION}, {"risk", QUERIES_ARG_POSITION},   {"actual", QUERIES_ARG_ID},
};
#define QUERIES_SECTIONS (sizeof queries_sections / sizeof queries_sections[0])
#define QUERIES_SECTION_WORDS                                                                                          \
	"spend, forecast, variance, narrative, confidence, stage, milestone:N, risk:N (N from 1, in the return's "     \
	"order) or actual:ID (an indicator's id)"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* One query (aliases q = update_query, u = progress_update, p = project), named as the Query message's fields
 * (result_fill), in the order queries.h counts (16 columns, lead_orgs joined with RESULT_SEP); day is the date
 * overdue is measured against. */
#define QUERY_COLUMNS(day)                                                                                        \
	"q.id, q.update_id, coalesce(c.ref, p.ref) AS ref, coalesce(c.title, p.title) AS title, u.period,"        \
	" u.revision, q.section, q.comment, to_char(q.answer_by, 'YYYY-MM-DD') AS answer_by,"                    \
	" CASE le.kind WHEN 'answer' THEN 'answered' WHEN 'close' THEN 'closed' ELSE 'open' END AS state,"       \
	" coalesce(le.kind, 'reply') = 'reply' AND q.answer_by < " day " AS overdue,"                           \
	" q.raised_by, " TS_AS("q.raised_at", "raised_at") ","                                                   \
	" coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position) FROM project_lead_org l"          \
	"   WHERE l.project_id = u.project_id), '') AS lead_orgs,"                                              \
	" (SELECT count(*) FROM query_entry n WHERE n.query_id = q.id)::int AS entries_count,"                   \
	" " TS("coalesce(le.at, q.raised_at)") " AS last_at"
#define QUERY_FROM                                                                                                \
	" FROM update_query q JOIN progress_update u ON u.id = q.update_id JOIN project p ON p.id = u.project_id" \
	" LEFT JOIN project c ON c.lineage = p.lineage AND c.plan_id = " CURRENT_PLAN                            \
	" LEFT JOIN LATERAL (SELECT e.kind, e.at FROM query_entry e WHERE e.query_id = q.id"                     \
	"   ORDER BY e.id DESC LIMIT 1) le ON true"
#define QUERY_TODAY "(now() AT TIME ZONE 'UTC')::date"
enum { QUERY_LEAD_ORGS = 13, QUERY_COLUMN_COUNT = 16 };

/* $1 query ids as an array: their threads, oldest first (QueryEntry's fields, then the query's id) */
static const char SQL_ENTRIES[] =
	"SELECT e.id, e.kind, e.comment, coalesce(e.revision_id, 0) AS revision_id, e.by_credential AS \"by\","
	" e.by_org AS organisation, e.by_person AS person, " TS_AS("e.at", "at") ", e.query_id"
	" FROM query_entry e WHERE e.query_id = ANY ($1::bigint[]) ORDER BY e.query_id, e.id";
enum { ENTRY_QUERY_ID = 8 };

/* $1 update */
static const char SQL_OF_UPDATE[] =
	"SELECT " QUERY_COLUMNS(QUERY_TODAY) QUERY_FROM " WHERE q.update_id = $1::bigint ORDER BY q.id";
/* $1 query */
static const char SQL_ONE[] = "SELECT " QUERY_COLUMNS(QUERY_TODAY) QUERY_FROM " WHERE q.id = $1::bigint";

/* $1 update, $2 credential, $3 idempotency key, $4 an indicator (0: none): the return's leads, how many milestones
 * and risks it has, whether a later revision exists, the query this credential raised with this key (NULL: none),
 * whether the indicator is the project's */
static const char SQL_RAISE_TARGET[] =
	"SELECT coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position) FROM project_lead_org l"
	"   WHERE l.project_id = u.project_id), ''),"
	" (SELECT count(*) FROM update_milestone m WHERE m.update_id = u.id),"
	" (SELECT count(*) FROM update_risk k WHERE k.update_id = u.id),"
	" (SELECT max(later.id) FROM progress_update later WHERE later.project_id IN " SAME_PROJECT("p.lineage")
	"   AND later.period = u.period AND later.revision > u.revision),"
	" p.ref, u.period,"
	" (SELECT x.id FROM update_query x WHERE x.raised_by = $2 AND x.idempotency_key = $3),"
	" EXISTS (SELECT 1 FROM indicator i WHERE i.id = $4::bigint AND i.lineage = p.lineage)"
	" FROM progress_update u JOIN project p ON p.id = u.project_id WHERE u.id = $1::bigint";
enum raise_target_col {
	RAISE_LEADS, RAISE_MILESTONES, RAISE_RISKS, RAISE_LATER, RAISE_REF, RAISE_PERIOD, RAISE_REPLAY,
	RAISE_INDICATOR /* the indicator of actual:ID is the project's (in any edition: its lineage) */
};
/* $1 update, $2 section, $3 comment, $4 answer by, $5 credential, $6 organisation, $7 person, $8 key */
static const char SQL_RAISE[] =
	"INSERT INTO update_query (update_id, section, comment, answer_by, raised_by, raised_org, raised_person,"
	"   idempotency_key)"
	" VALUES ($1::bigint, $2, $3, $4::date, $5, $6, $7, $8)"
	" ON CONFLICT (raised_by, idempotency_key) DO NOTHING RETURNING id";

/* $1 query, $2 revision (0: none), $3 credential, $4 key: the query, then whether the revision is one of the same
 * project and period, a later one than the queried, and the entry this credential added with this key (named so
 * that result_fill leaves them to the caller) */
static const char SQL_ENTRY_TARGET[] =
	"SELECT " QUERY_COLUMNS(QUERY_TODAY) ","
	" EXISTS (SELECT 1 FROM progress_update r JOIN project rp ON rp.id = r.project_id"
	"   WHERE r.id = $2::bigint AND rp.lineage = p.lineage AND r.period = u.period) AS revision_fits,"
	" EXISTS (SELECT 1 FROM progress_update r WHERE r.id = $2::bigint AND r.revision > u.revision) AS revision_later,"
	" (SELECT x.id FROM query_entry x WHERE x.by_credential = $3 AND x.idempotency_key = $4) AS replay_id"
	QUERY_FROM " WHERE q.id = $1::bigint";
enum entry_target_col { TARGET_SAME = QUERY_COLUMN_COUNT, TARGET_LATER, TARGET_REPLAY };
/* $1 query, $2 kind, $3 comment, $4 revision (0: none), $5 credential, $6 organisation, $7 person, $8 key */
static const char SQL_ADD_ENTRY[] =
	"INSERT INTO query_entry (query_id, kind, comment, revision_id, by_credential, by_org, by_person,"
	"   idempotency_key)"
	" VALUES ($1::bigint, $2, $3, NULLIF($4::bigint, 0), $5, $6, $7, $8)"
	" ON CONFLICT (by_credential, idempotency_key) DO NOTHING RETURNING query_id";

/* $1 open only, $2 overdue only, $3 ref (0: any), $4 period ('': any), $5 the day, $6 organisation ('': any),
 * $7 after id */
static const char SQL_LIST[] =
	DB_CUSTOM_PLAN "SELECT * FROM (SELECT " QUERY_COLUMNS("$5::date") QUERY_FROM
	"   WHERE ($3::int = 0 OR p.lineage = (SELECT k.lineage FROM project k WHERE k.plan_id = " CURRENT_PLAN
	"     AND k.ref = $3::int))"
	"   AND ($4 = '' OR u.period = $4)"
	"   AND ($6 = '' OR EXISTS (SELECT 1 FROM project_lead_org l WHERE l.project_id = u.project_id"
	"     AND lower(l.org_code) = lower($6)))"
	"   AND q.id > $7::bigint) x"
	" WHERE (NOT $1::boolean OR x.state <> 'closed') AND (NOT $2::boolean OR x.overdue) ORDER BY x.id";

/* $1 a day, $2 an organisation or NULL: each query waiting for a lead body past its date, once */
static const char SQL_OVERDUE[] =
	DB_CUSTOM_PLAN "SELECT * FROM (SELECT " QUERY_COLUMNS("$1::date") QUERY_FROM
	"   WHERE $2::text IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l WHERE l.project_id = u.project_id"
	"     AND lower(l.org_code) = lower($2::text))) x"
	" WHERE x.overdue ORDER BY x.answer_by, x.id";

/* $1 a day, $2 an organisation or NULL: queries.h */
const char QUERIES_SQL_OVERDUE_BY_ORG[] =
	"SELECT * FROM (SELECT " QUERY_COLUMNS("$1::date") ", o.code AS org_code, o.name AS org_name,"
	"   array_to_string(o.contacts, chr(31)) AS org_contacts"
	  QUERY_FROM
	"   JOIN project_lead_org lo ON lo.project_id = u.project_id"
	"   JOIN organisation o ON o.code = lo.org_code"
	"   WHERE $2::text IS NULL OR lower(o.code) = lower($2::text)) x"
	" WHERE x.overdue ORDER BY x.org_code, x.answer_by, x.id";
/* clang-format on */

/* ---------------------------------------------------------------- reading queries */

Planreg__V1__Query *queries_from_row(struct rpc_call *call, PGresult *res, int row)
{
	Planreg__V1__Query *q = ARENA_NEW(&call->arena, Planreg__V1__Query, planreg__v1__query__init);
	result_fill(&call->arena, res, row, &q->base);
	q->n_lead_orgs = result_split(&call->arena, result_value(res, row, QUERY_LEAD_ORGS), RESULT_SEP, &q->lead_orgs);
	return q;
}

const char *queries_line(struct rpc_call *call, const Planreg__V1__Query *q)
{
	size_t len = strcspn(q->comment, "\r\n");
	bool cut = len > 120 || q->comment[len] != '\0';
	return rpc_printf(call, "query %lld on project %d's %s return (%s), answer by %s: %.*s%s", (long long)q->id,
			  q->ref, validate_period_name_of(call, q->period), q->section, q->answer_by,
			  (int)(len > 120 ? 120 : len), q->comment, cut ? "..." : "");
}

/* The queries of a result (QUERY_COLUMNS rows) without their threads. */
static size_t queries_rows(struct rpc_call *call, PGresult *res, Planreg__V1__Query ***out)
{
	size_t n = 0;
	*out = NULL;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Query *q = queries_from_row(call, res, i);
		*(Planreg__V1__Query **)arena_push(&call->arena, out, &n, sizeof q) = q;
	}
	return n;
}

/* The loading of some queries' threads, then done. */
struct queries_load {
	Planreg__V1__Query **qs;
	size_t n;
	queries_done_fn done;
	void *arg;
};

static void queries_entries_read(struct rpc_call *call, PGresult *res)
{
	struct queries_load *st = call->state;
	for (int i = 0; i < PQntuples(res); i++) {
		long long qid = result_int64(res, i, ENTRY_QUERY_ID);
		Planreg__V1__Query *q = NULL;
		for (size_t k = 0; k < st->n && q == NULL; k++)
			if (st->qs[k]->id == qid)
				q = st->qs[k];
		if (q == NULL)
			continue;
		Planreg__V1__QueryEntry *e =
			ARENA_NEW(&call->arena, Planreg__V1__QueryEntry, planreg__v1__query_entry__init);
		result_fill(&call->arena, res, i, &e->base);
		*(Planreg__V1__QueryEntry **)arena_push(&call->arena, &q->entries, &q->n_entries, sizeof e) = e;
	}
	st->done(call, st->arg, st->qs, st->n);
}

/* The queries of res (QUERY_COLUMNS rows), with their threads, to done. */
static void queries_load(struct rpc_call *call, PGresult *res, queries_done_fn done, void *arg)
{
	struct queries_load *st = arena_alloc(&call->arena, sizeof *st);
	*st = (struct queries_load){.done = done, .arg = arg};
	st->n = queries_rows(call, res, &st->qs);
	const char *ids = "{";
	for (size_t i = 0; i < st->n; i++)
		ids = rpc_printf(call, "%s%s%lld", ids, i ? "," : "", (long long)st->qs[i]->id);
	if (st->n == 0) {
		done(call, arg, NULL, 0);
		return;
	}
	call->state = st;
	const char *params[1] = {rpc_printf(call, "%s}", ids)};
	query_run(call, SQL_ENTRIES, 1, params, queries_entries_read);
}

/* query_run's steps take no argument: the loader's own is kept in the call's state until the rows come. */
struct queries_pending {
	queries_done_fn done;
	void *arg;
	bool threads;
};

static void queries_rows_read(struct rpc_call *call, PGresult *res)
{
	struct queries_pending *p = call->state;
	if (p->threads) {
		queries_load(call, res, p->done, p->arg);
		return;
	}
	Planreg__V1__Query **qs;
	size_t n = queries_rows(call, res, &qs);
	p->done(call, p->arg, qs, n);
}

/* Runs sql (QUERY_COLUMNS rows) and, with threads, loads their threads, to done. */
static void queries_run(struct rpc_call *call, const char *sql, int n, const char *const *params, bool threads,
			queries_done_fn done, void *arg)
{
	struct queries_pending *p = arena_alloc(&call->arena, sizeof *p);
	*p = (struct queries_pending){.done = done, .arg = arg, .threads = threads};
	call->state = p;
	query_run(call, sql, n, params, queries_rows_read);
}

void queries_overdue(struct rpc_call *call, const char *day, const char *org, queries_done_fn done, void *arg)
{
	const char *params[2] = {day, org};
	queries_run(call, SQL_OVERDUE, 2, params, false, done, arg);
}

void queries_of_update(struct rpc_call *call, int64_t update_id, queries_done_fn done, void *arg)
{
	const char *params[1] = {rpc_printf(call, "%lld", (long long)update_id)};
	queries_run(call, SQL_OF_UPDATE, 1, params, true, done, arg);
}

/* ---------------------------------------------------------------- answering one query */

/* queries_one_reply's arg when the idempotency key was seen before */
static char queries_replayed;

/* An answer of type T carrying q, and whether it was replayed */
#define QUERIES_REPLY(call, T, init, q, was_replayed)                                                                  \
	do {                                                                                                           \
		T *r_ = ARENA_NEW(&(call)->arena, T, init);                                                            \
		r_->query = (q);                                                                                       \
		r_->replayed = (was_replayed);                                                                         \
		reply_ok((call), r_);                                                                                  \
	} while (0)

static void queries_one_reply(struct rpc_call *call, void *arg, Planreg__V1__Query **qs, size_t n)
{
	bool replayed = arg == &queries_replayed;
	Planreg__V1__Query *q = n ? qs[0] : NULL;
	if (call->req->body_case == PLANREG__V1__REQUEST__BODY_RAISE_QUERY) {
		QUERIES_REPLY(call, Planreg__V1__RaiseQueryResponse, planreg__v1__raise_query_response__init, q,
			      replayed);
	} else if (call->req->body_case == PLANREG__V1__REQUEST__BODY_ADD_QUERY_ENTRY) {
		QUERIES_REPLY(call, Planreg__V1__AddQueryEntryResponse, planreg__v1__add_query_entry_response__init, q,
			      replayed);
	} else {
		Planreg__V1__GetQueryResponse *r =
			ARENA_NEW(&call->arena, Planreg__V1__GetQueryResponse, planreg__v1__get_query_response__init);
		r->query = q;
		reply_ok(call, r);
	}
}

/* Answers with query id and its whole thread (replayed: the idempotency key was seen before). */
static void queries_answer_one(struct rpc_call *call, long long id, bool replayed)
{
	const char *params[1] = {rpc_printf(call, "%lld", id)};
	queries_run(call, SQL_ONE, 1, params, true, queries_one_reply, replayed ? &queries_replayed : NULL);
}

static void queries_not_found(struct rpc_call *call, long long id)
{
	reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "query_not_found",
		    "there is no query %lld (`planreg query list` shows them)", id);
}

/* "LCC" or "STFC, ATOS", for messages */
static const char *queries_leads_text(struct rpc_call *call, const Planreg__V1__Query *q)
{
	const char *t = q->n_lead_orgs ? "" : "nobody";
	for (size_t i = 0; i < q->n_lead_orgs; i++)
		t = rpc_printf(call, "%s%s%s", t, i ? ", " : "", q->lead_orgs[i]);
	return t;
}

static void queries_refuse_not_lead(struct rpc_call *call, const Planreg__V1__Query *q, const char *doing)
{
	reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
		    "credential %s (organisation %s) may not %s query %lld: it is on project %d's return, led by %s; "
		    "a query is answered by a submitter of the project's lead organisation and raised, replied to "
		    "and closed by the Combined Authority",
		    call->principal.credential, call->principal.organisation, doing, (long long)q->id, q->ref,
		    queries_leads_text(call, q));
}

/* ---------------------------------------------------------------- RaiseQuery */

struct queries_raise {
	enum queries_arg arg;
	long long number; /* the position or the indicator's id */
	const char *section;
	const char *answer_by;
};

/* The section's kind and argument into st, canonical; false after a violation. */
static bool queries_parse_section(struct rpc_call *call, const char *s, struct queries_raise *st)
{
	size_t klen = strcspn(s, ":");
	for (size_t i = 0; i < QUERIES_SECTIONS; i++) {
		if (strlen(queries_sections[i].kind) != klen || strncmp(s, queries_sections[i].kind, klen) != 0)
			continue;
		st->arg = queries_sections[i].arg;
		if (st->arg == QUERIES_ARG_NONE && s[klen] == '\0') {
			st->section = queries_sections[i].kind;
			return true;
		}
		char *end;
		st->number = s[klen] == ':' && s[klen + 1] >= '1' && s[klen + 1] <= '9'
				     ? strtoll(s + klen + 1, &end, 10)
				     : 0;
		if (st->arg != QUERIES_ARG_NONE && st->number > 0 && *end == '\0' && st->number < (1LL << 53)) {
			st->section = rpc_printf(call, "%s:%lld", queries_sections[i].kind, st->number);
			return true;
		}
		reply_violation(call, "section", "\"%.40s\": %s", s,
				st->arg == QUERIES_ARG_NONE       ? "this section takes no \":N\""
				: st->arg == QUERIES_ARG_POSITION ? "say which one with \":N\", N from 1"
								  : "say which indicator with \":ID\"");
		return false;
	}
	reply_violation(call, "section", "\"%.40s\" is not a section of a return: give %s", s, QUERIES_SECTION_WORDS);
	return false;
}

static struct date queries_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	return (struct date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

static void queries_raised(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__ABORTED, "conflict",
			    "another query with idempotency key \"%s\" was being raised at the same moment; try again",
			    call->req->idempotency_key);
		return;
	}
	queries_answer_one(call, result_int64(res, 0, 0), false);
}

/* The section names a part the return has; false after replying why not. */
static bool queries_section_exists(struct rpc_call *call, PGresult *res, const struct queries_raise *st)
{
	if (st->arg == QUERIES_ARG_NONE)
		return true;
	if (st->arg == QUERIES_ARG_ID) {
		if (result_bool(res, 0, RAISE_INDICATOR))
			return true;
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "indicator_not_of_project",
			    "indicator %lld is not one of project %s's: %s names none of its indicators (`planreg "
			    "indicator list --project %s` lists them)",
			    st->number, result_value(res, 0, RAISE_REF), st->section, result_value(res, 0, RAISE_REF));
		return false;
	}
	bool milestone = strncmp(st->section, "milestone", 9) == 0;
	long long have = result_int64(res, 0, milestone ? RAISE_MILESTONES : RAISE_RISKS);
	if (st->number <= have)
		return true;
	reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "no_such_section",
		    "update %lld has %lld %s%s: %s names none of them (`planreg update show %lld` lists them)",
		    (long long)call->req->raise_query->update_id, have, milestone ? "milestone" : "risk",
		    have == 1 ? "" : "s", st->section, (long long)call->req->raise_query->update_id);
	return false;
}

static void queries_raise_target(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__RaiseQueryRequest *q = call->req->raise_query;
	struct queries_raise *st = call->state;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "update_not_found", "there is no update %lld",
			    (long long)q->update_id);
		return;
	}
	if (!result_is_null(res, 0, RAISE_REPLAY)) {
		queries_answer_one(call, result_int64(res, 0, RAISE_REPLAY), true);
		return;
	}
	if (!result_is_null(res, 0, RAISE_LATER)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "superseded",
			    "update %lld is not the current return of project %s for %s: query the current one, "
			    "update %s",
			    (long long)q->update_id, result_value(res, 0, RAISE_REF),
			    validate_period_name_of(call, result_value(res, 0, RAISE_PERIOD)),
			    result_value(res, 0, RAISE_LATER));
		return;
	}
	if (!queries_section_exists(call, res, st))
		return;
	const struct principal *p = &call->principal;
	const char *params[8] = {rpc_printf(call, "%lld", (long long)q->update_id),
				 st->section,
				 q->comment,
				 st->answer_by,
				 p->credential,
				 p->organisation,
				 p->person,
				 call->req->idempotency_key};
	query_run(call, SQL_RAISE, 8, params, queries_raised);
}

/* The answer-by date: a date, today or later; NULL after a violation. */
static const char *queries_answer_by(struct rpc_call *call, const Planreg__V1__Date *d)
{
	struct date day, today = queries_today();
	if (d == NULL || d->iso[0] == '\0') {
		reply_violation(call, "answer_by", "give the day an answer is wanted by (YYYY-MM-DD)");
		return NULL;
	}
	if (!date_parse(d->iso, &day)) {
		reply_violation(call, "answer_by", "\"%.40s\" is not a date (YYYY-MM-DD)", d->iso);
		return NULL;
	}
	if (date_compare(day, today) < 0) {
		char t[DATE_FMT_MAX];
		date_format(today, t);
		reply_violation(call, "answer_by", "%s is in the past: give today (%s) or a later day", d->iso, t);
		return NULL;
	}
	return d->iso;
}

void queries_raise(struct rpc_call *call)
{
	const Planreg__V1__RaiseQueryRequest *q = call->req->raise_query;
	struct queries_raise *st = arena_alloc(&call->arena, sizeof *st);
	*st = (struct queries_raise){0};
	if (q->update_id <= 0)
		reply_violation(call, "update_id", "give the id of the return queried (`planreg update list`)");
	queries_parse_section(call, q->section, st);
	validate_text(call, "comment", q->comment, QUERIES_COMMENT_MAX, VALIDATE_REQUIRED | VALIDATE_MULTILINE);
	st->answer_by = queries_answer_by(call, q->answer_by);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_query");
		return;
	}
	call->state = st;
	const char *params[4] = {rpc_printf(call, "%lld", (long long)q->update_id), call->principal.credential,
				 call->req->idempotency_key,
				 rpc_printf(call, "%lld", st->arg == QUERIES_ARG_ID ? st->number : 0LL)};
	query_run(call, SQL_RAISE_TARGET, 4, params, queries_raise_target);
}

/* ---------------------------------------------------------------- AddQueryEntry */

static void queries_entry_added(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__ABORTED, "conflict",
			    "another entry with idempotency key \"%s\" was being added at the same moment; try again",
			    call->req->idempotency_key);
		return;
	}
	queries_answer_one(call, (long long)call->req->add_query_entry->query_id, false);
}

/* A revision given with an answer is a later one of the queried return's project and period; false after
 * replying why not. */
static bool queries_revision_fits(struct rpc_call *call, PGresult *res, const Planreg__V1__Query *q)
{
	long long rev = (long long)call->req->add_query_entry->revision_id;
	if (rev == 0)
		return true;
	if (!result_bool(res, 0, TARGET_SAME)) {
		reply_error(
			call, PLANREG__V1__CODE__FAILED_PRECONDITION, "revision_not_of_return",
			"update %lld is not a return of project %d for %s: an answer's revision is a later revision "
			"of the queried return (update %lld)",
			rev, q->ref, validate_period_name_of(call, q->period), (long long)q->update_id);
		return false;
	}
	if (!result_bool(res, 0, TARGET_LATER)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "revision_not_later",
			    "update %lld is not later than the queried revision %d (update %lld): submit the "
			    "corrected return first (`planreg update submit %d --period %s --amend ...`)",
			    rev, q->revision, (long long)q->update_id, q->ref, q->period);
		return false;
	}
	return true;
}

static bool queries_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* What this entry is, by who adds it and what it carries; NULL after replying why it may not be added. */
static const char *queries_entry_kind(struct rpc_call *call, PGresult *res, const Planreg__V1__Query *q)
{
	const Planreg__V1__AddQueryEntryRequest *r = call->req->add_query_entry;
	enum auth_party party = auth_project_party(&call->principal, q->lead_orgs, q->n_lead_orgs);
	const char *kind = auth_query_entry_kind(party, r->close);
	if (party == AUTH_PARTY_NONE) {
		queries_refuse_not_lead(call, q, "answer");
		return NULL;
	}
	if (kind == NULL) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "ca_closes",
			    "only the Combined Authority closes a query: answer it (`planreg query answer %lld`)",
			    (long long)q->id);
		return NULL;
	}
	bool answer = strcmp(kind, "answer") == 0, closing = strcmp(kind, "close") == 0;
	if (r->revision_id != 0 && !answer)
		reply_violation(call, "revision_id",
				"a revision is the lead body's answer: the Combined Authority "
				"replies with a comment, or closes the query");
	else if (!closing && queries_blank(r->comment) && r->revision_id == 0)
		reply_violation(call, "comment", answer ? "give a comment, a revision, or both" : "give a comment");
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_query_entry");
		return NULL;
	}
	if (strcmp(q->state, "closed") == 0 && strcmp(kind, "reply") != 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "query_closed",
			    "query %lld is closed: the Combined Authority reopens it by replying", (long long)q->id);
		return NULL;
	}
	return answer && !queries_revision_fits(call, res, q) ? NULL : kind;
}

static void queries_entry_target(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AddQueryEntryRequest *r = call->req->add_query_entry;
	if (PQntuples(res) == 0) {
		queries_not_found(call, (long long)r->query_id);
		return;
	}
	Planreg__V1__Query *q = queries_from_row(call, res, 0);
	if (!result_is_null(res, 0, TARGET_REPLAY) &&
	    auth_project_party(&call->principal, q->lead_orgs, q->n_lead_orgs) != AUTH_PARTY_NONE) {
		queries_answer_one(call, q->id, true);
		return;
	}
	const char *kind = queries_entry_kind(call, res, q);
	if (kind == NULL)
		return;
	const struct principal *p = &call->principal;
	const char *params[8] = {rpc_printf(call, "%lld", (long long)q->id),
				 kind,
				 r->comment,
				 rpc_printf(call, "%lld", (long long)r->revision_id),
				 p->credential,
				 p->organisation,
				 p->person,
				 call->req->idempotency_key};
	query_run(call, SQL_ADD_ENTRY, 8, params, queries_entry_added);
}

void queries_add_entry(struct rpc_call *call)
{
	const Planreg__V1__AddQueryEntryRequest *r = call->req->add_query_entry;
	if (r->query_id <= 0)
		reply_violation(call, "query_id", "give the query's id (`planreg query list`)");
	if (r->revision_id < 0)
		reply_violation(call, "revision_id", "give an update id, or 0 for none");
	validate_text(call, "comment", r->comment, QUERIES_COMMENT_MAX, VALIDATE_MULTILINE);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_query_entry");
		return;
	}
	const char *params[4] = {rpc_printf(call, "%lld", (long long)r->query_id),
				 rpc_printf(call, "%lld", (long long)r->revision_id), call->principal.credential,
				 call->req->idempotency_key};
	query_run(call, SQL_ENTRY_TARGET, 4, params, queries_entry_target);
}

/* ---------------------------------------------------------------- GetQuery */

static void queries_got(struct rpc_call *call, void *arg, Planreg__V1__Query **qs, size_t n)
{
	(void)arg;
	if (n == 0) {
		queries_not_found(call, (long long)call->req->get_query->id);
		return;
	}
	if (!auth_may_read_progress(&call->principal, qs[0]->lead_orgs, qs[0]->n_lead_orgs)) {
		queries_refuse_not_lead(call, qs[0], "see");
		return;
	}
	queries_one_reply(call, NULL, qs, n);
}

void queries_get(struct rpc_call *call)
{
	long long id = (long long)call->req->get_query->id;
	if (id <= 0) {
		reply_violation(call, "id", "give the query's id (`planreg query list`)");
		reply_violations(call, "invalid_id");
		return;
	}
	const char *params[1] = {rpc_printf(call, "%lld", id)};
	queries_run(call, SQL_ONE, 1, params, true, queries_got, NULL);
}

/* ---------------------------------------------------------------- ListQueries */

static void queries_listed(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListQueriesResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListQueriesResponse, planreg__v1__list_queries_response__init);
	r->as_of = call->state;
	size_t used = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Query *q = queries_from_row(call, res, i);
		if (!reply_page_add(call, &used, &r->queries, &r->n_queries, &q->base)) {
			r->next_after_id = r->queries[r->n_queries - 1]->id;
			break;
		}
	}
	reply_ok(call, r);
}

void queries_list(struct rpc_call *call)
{
	const Planreg__V1__ListQueriesRequest *q = call->req->list_queries;
	struct period period;
	char day[DATE_FMT_MAX];
	struct date d = queries_today();
	if (q->ref < 0)
		reply_violation(call, "ref", "give a project's ref (`planreg projects list`), or 0 for every project");
	if (q->period[0])
		validate_period(call, "period", q->period, 0, &period);
	if (q->as_of && q->as_of->iso[0] && !date_parse(q->as_of->iso, &d))
		reply_violation(call, "as_of", "\"%.40s\" is not a date (YYYY-MM-DD)", q->as_of->iso);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_query_list");
		return;
	}
	char ps[PERIOD_FMT_MAX] = "";
	if (q->period[0])
		period_format(period, ps);
	date_format(d, day);
	const char *scope = auth_progress_scope(&call->principal);
	call->state = rpc_strdup(call, day);
	const char *params[7] = {q->open_only ? "true" : "false",
				 q->overdue_only ? "true" : "false",
				 rpc_printf(call, "%d", q->ref),
				 rpc_strdup(call, ps),
				 call->state,
				 scope ? scope : "",
				 rpc_printf(call, "%lld", (long long)q->after_id)};
	query_run(call, SQL_LIST, 7, params, queries_listed);
}
