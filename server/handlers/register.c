/* register.c - requests on the register as imported: who am I, themes,
 * organisations (and changing one), projects (a filtered page, or one). */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "json.h"
#include "mailbox.h"
#include "server.h"
#include "sql.h"
#include "validate.h"
#include "values.h"

#define REGISTER_PAGE_DEFAULT 100
#define REGISTER_PAGE_MAX 1000
#define REGISTER_CONTACTS_MAX 10 /* the register's check (migrations/0009) */

static const char SQL_PLAN_TITLE[] = "SELECT coalesce((SELECT title FROM plan WHERE id = " CURRENT_PLAN "), '')";
enum { PLAN_TITLE };

static const char SQL_THEMES[] =
	"SELECT t.number, t.title,"
	" coalesce(string_agg(o.theme || '.' || o.number || chr(30) || o.title, chr(31) ORDER BY o.number), '')"
	" FROM theme t LEFT JOIN objective o ON o.plan_id = t.plan_id AND o.theme = t.number"
	" WHERE t.plan_id = " PLAN_NAMED("$1") " GROUP BY t.number, t.title ORDER BY t.number";
/* THEME_OBJECTIVES: the objectives joined with RESULT_SEP, each its code and title joined with RESULT_SUBSEP. */
enum themes_col { THEME_NUMBER, THEME_TITLE, THEME_OBJECTIVES };

static const char SQL_ORGANISATIONS[] =
	"SELECT o.code, o.name, o.kind, coalesce(o.contact_email, ''), array_to_string(o.contacts, chr(31)),"
	" coalesce((SELECT string_agg(a.alias, chr(31) ORDER BY a.alias) FROM organisation_alias a"
	"           WHERE a.org_code = o.code), ''),"
	" (SELECT count(*) FROM project_lead_org l JOIN project p ON p.id = l.project_id"
	"   WHERE l.org_code = o.code AND p.plan_id = " CURRENT_PLAN ")"
	" FROM organisation o ORDER BY lower(o.code)";
/* Every organisation statement here returns the first five (ORG_CONTACTS: the mailboxes joined with RESULT_SEP;
 * ORG_EMAIL is the first one's address, kept by migrations/0009's trigger); SQL_ORGANISATIONS adds the aliases
 * (joined with RESULT_SEP) and how many projects of the plan the organisation leads. */
enum org_col { ORG_CODE, ORG_NAME, ORG_KIND, ORG_EMAIL, ORG_CONTACTS, ORG_ALIASES, ORG_PROJECTS_LED };
#define ORG_COLUMNS "code, name, kind, coalesce(contact_email, ''), array_to_string(contacts, chr(31))"

static const char SQL_ORGANISATION_ONE[] = "SELECT " ORG_COLUMNS " FROM organisation WHERE lower(code) = lower($1)";

/* $1 code, $2 name, $3 kind, $4 the contacts as a JSON array of strings, or NULL for none */
static const char SQL_ORGANISATION_INSERT[] =
	"INSERT INTO organisation (code, name, kind, contacts) VALUES ($1, $2, $3::org_kind,"
	"  coalesce(ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), '{}'))"
	" RETURNING " ORG_COLUMNS;

/* $1 code as stored, $2 name or '', $3 kind or NULL, $4 the contacts (JSON) or NULL: what is given changes */
static const char SQL_ORGANISATION_UPDATE[] = "UPDATE organisation SET"
					      "  name = coalesce(NULLIF($2::text, ''), name),"
					      "  kind = coalesce($3::org_kind, kind),"
					      "  contacts = CASE WHEN $4::jsonb IS NULL THEN contacts ELSE "
					      "ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END,"
					      "  updated_at = now()"
					      " WHERE code = $1 RETURNING " ORG_COLUMNS;

/* In the order of enum register_project_col (handlers.h). */
const char REGISTER_SQL_PROJECT_COLUMNS[] =
	"f.ref, f.theme, f.theme || '.' || f.objective, f.title, f.description, f.capital, f.lead_text,"
	" coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position) FROM project_lead_org l"
	"           WHERE l.project_id = f.id), ''),"
	" coalesce((SELECT string_agg(pe.name, chr(31) ORDER BY l.position) FROM project_lead_person l"
	"           JOIN person pe ON pe.id = l.person_id WHERE l.project_id = f.id), ''),"
	" coalesce((SELECT string_agg(pp.name || chr(30) || coalesce(pp.org_code, ''), chr(31) ORDER BY pp.position)"
	"           FROM project_partner pp WHERE pp.project_id = f.id), ''),"
	" f.partners_text, f.cost_text, f.cost_status, f.cost_min_pence, f.cost_max_pence, f.cost_approximate,"
	" f.funding, f.stage, f.stage_note, f.stage_text,"
	" coalesce((SELECT string_agg(a.name || chr(30) || a.value, chr(31) ORDER BY a.position)"
	"           FROM project_attribute a WHERE a.project_id = f.id), ''),"
	" coalesce((SELECT x.id || chr(31) || x.name || chr(31) || x.email FROM project_assignment pa"
	"           JOIN org_person x ON x.id = pa.person_id WHERE pa.lineage = f.lineage AND pa.ended_at IS NULL), "
	"'')";

/* $1 theme, $2 objective, $3 lead org, $4 stage, $5 capital, $6 text, $7 ref, $8 after ref, $9 limit,
 * $10 plan */
static const char SQL_PROJECTS_HEAD[] =
	DB_CUSTOM_PLAN "WITH f AS (SELECT p.* FROM project p WHERE p.plan_id = " PLAN_NAMED(
		"$10") "  AND ($1::int IS NULL OR p.theme = $1::int)"
		       "  AND ($2::text IS NULL OR p.theme || '.' || p.objective = $2::text)"
		       "  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM project_lead_org l"
		       "       WHERE l.project_id = p.id AND lower(l.org_code) = lower($3::text)))"
		       "  AND ($4::stage IS NULL OR p.stage = $4::stage)"
		       "  AND ($5::boolean IS NULL OR p.capital = $5::boolean)"
		       "  AND ($6::text IS NULL OR strpos(lower(p.title || ' ' || p.description), lower($6::text)) > 0)"
		       "  AND ($7::int IS NULL OR p.ref = $7::int))"
		       " SELECT ";
static const char SQL_PROJECTS_TAIL[] =
	", (SELECT count(*) FROM f) FROM f WHERE f.ref > $8::int ORDER BY f.ref LIMIT $9::int";
enum { PROJECTS_TOTAL = PROJECT_COLUMNS }; /* how many match the filter, on every row */

static const char *register_sql_projects(void)
{
	static char sql[sizeof SQL_PROJECTS_HEAD + sizeof REGISTER_SQL_PROJECT_COLUMNS + sizeof SQL_PROJECTS_TAIL];
	if (sql[0] == '\0')
		snprintf(sql, sizeof sql, "%s%s%s", SQL_PROJECTS_HEAD, REGISTER_SQL_PROJECT_COLUMNS, SQL_PROJECTS_TAIL);
	return sql;
}

Planreg__V1__Money *register_money(struct rpc_call *call, PGresult *res, int row, int col)
{
	if (result_is_null(res, row, col))
		return NULL;
	Planreg__V1__Money *m = ARENA_NEW(&call->arena, Planreg__V1__Money, planreg__v1__money__init);
	m->pence = result_int64(res, row, col);
	return m;
}

Planreg__V1__Cost *register_cost(struct rpc_call *call, PGresult *res, int row, int col)
{
	Planreg__V1__Cost *cost = ARENA_NEW(&call->arena, Planreg__V1__Cost, planreg__v1__cost__init);
	cost->text = rpc_strdup(call, result_value(res, row, col + COST_TEXT));
	enum cost_status cs = COST_STATUS_UNSPECIFIED;
	if (!values_cost_status_parse(result_value(res, row, col + COST_STATUS), &cs))
		cs = COST_STATUS_UNSPECIFIED;
	cost->status = (Planreg__V1__CostStatus)cs;
	cost->min = register_money(call, res, row, col + COST_MIN_PENCE);
	cost->max = register_money(call, res, row, col + COST_MAX_PENCE);
	cost->approximate = result_bool(res, row, col + COST_APPROXIMATE);
	return cost;
}

/* Ends item at its first RESULT_SUBSEP and returns what follows it; "" (item kept whole) when it has none. */
static char *register_cut(char *item)
{
	char *sep = strstr(item, RESULT_SUBSEP);
	if (sep == NULL)
		return "";
	*sep = '\0';
	return sep + 1;
}

/* The attributes cell: each one's name and value joined with RESULT_SUBSEP. */
static void register_attributes(struct rpc_call *call, Planreg__V1__Project *p, const char *cell)
{
	char **items;
	size_t n = result_split(&call->arena, cell, RESULT_SEP, &items);
	for (size_t i = 0; i < n; i++) {
		Planreg__V1__Attribute *a =
			ARENA_NEW(&call->arena, Planreg__V1__Attribute, planreg__v1__attribute__init);
		a->value = register_cut(items[i]);
		a->name = items[i];
		*(Planreg__V1__Attribute **)arena_push(&call->arena, &p->attributes, &p->n_attributes, sizeof a) = a;
	}
}

/* The partners cell: each partner's name and organisation code joined with RESULT_SUBSEP. */
static void register_partners(struct rpc_call *call, Planreg__V1__Project *p, const char *cell)
{
	char **partners;
	size_t n = result_split(&call->arena, cell, RESULT_SEP, &partners);
	for (size_t i = 0; i < n; i++) {
		Planreg__V1__Partner *pa = ARENA_NEW(&call->arena, Planreg__V1__Partner, planreg__v1__partner__init);
		char *sep = strstr(partners[i], RESULT_SUBSEP);
		pa->organisation = sep ? sep + 1 : "";
		if (sep)
			*sep = '\0';
		pa->name = partners[i];
		*(Planreg__V1__Partner **)arena_push(&call->arena, &p->partners, &p->n_partners, sizeof pa) = pa;
	}
}

Planreg__V1__Project *register_project_from_row(struct rpc_call *call, PGresult *res, int row, int col)
{
	Planreg__V1__Project *p = ARENA_NEW(&call->arena, Planreg__V1__Project, planreg__v1__project__init);
	p->ref = result_int(res, row, col + PROJECT_REF);
	p->theme = result_int(res, row, col + PROJECT_THEME);
	p->objective = rpc_strdup(call, result_value(res, row, col + PROJECT_OBJECTIVE));
	p->title = rpc_strdup(call, result_value(res, row, col + PROJECT_TITLE));
	p->description = rpc_strdup(call, result_value(res, row, col + PROJECT_DESCRIPTION));
	p->capital = result_bool(res, row, col + PROJECT_CAPITAL);
	p->lead_text = rpc_strdup(call, result_value(res, row, col + PROJECT_LEAD_TEXT));
	p->n_lead_orgs =
		result_split(&call->arena, result_value(res, row, col + PROJECT_LEAD_ORGS), RESULT_SEP, &p->lead_orgs);
	p->n_lead_people = result_split(&call->arena, result_value(res, row, col + PROJECT_LEAD_PEOPLE), RESULT_SEP,
					&p->lead_people);
	register_partners(call, p, result_value(res, row, col + PROJECT_PARTNERS));
	p->partners_text = rpc_strdup(call, result_value(res, row, col + PROJECT_PARTNERS_TEXT));
	p->cost = register_cost(call, res, row, col + PROJECT_COST);
	p->funding = rpc_strdup(call, result_value(res, row, col + PROJECT_FUNDING));
	p->stage = (Planreg__V1__Stage)handlers_cell_stage(res, row, col + PROJECT_STAGE);
	p->stage_note = rpc_strdup(call, result_value(res, row, col + PROJECT_STAGE_NOTE));
	p->stage_text = rpc_strdup(call, result_value(res, row, col + PROJECT_STAGE_TEXT));
	register_attributes(call, p, result_value(res, row, col + PROJECT_ATTRIBUTES));
	char **assignee;
	if (result_split(&call->arena, result_value(res, row, col + PROJECT_ASSIGNEE), RESULT_SEP, &assignee) == 3) {
		p->assignee_id = strtoll(assignee[0], NULL, 10);
		p->assignee = assignee[1];
		p->assignee_email = assignee[2];
	}
	return p;
}

/* ---------------------------------------------------------------- Whoami */

/* The current plan's title, once there is a plan. It changes only when a new edition is imported
 * (docs/decisions.md, "Editions"): this daemon's import forgets it at once (register_forget_plan_title),
 * and another daemon's is seen within REGISTER_TITLE_TTL_MS, so Whoami rarely needs to ask. */
#define REGISTER_TITLE_TTL_MS 1000
static char register_plan_title[2048];
static int64_t register_plan_title_at;

void register_forget_plan_title(void)
{
	register_plan_title[0] = '\0';
}

static void register_whoami_reply(struct rpc_call *call, const char *title)
{
	Planreg__V1__WhoamiResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__WhoamiResponse, planreg__v1__whoami_response__init);
	Planreg__V1__Principal *p = ARENA_NEW(&call->arena, Planreg__V1__Principal, planreg__v1__principal__init);
	p->credential = rpc_strdup(call, call->principal.credential);
	p->organisation = rpc_strdup(call, call->principal.organisation);
	p->person = rpc_strdup(call, call->principal.person);
	p->role = (Planreg__V1__Role)call->principal.role;
	p->fingerprint = rpc_strdup(call, call->principal.fingerprint);
	r->principal = p;
	r->server_version = PLANREG_VERSION;
	r->plan_title = rpc_strdup(call, title);
	reply_ok(call, r);
}

static void register_whoami_done(struct rpc_call *call, PGresult *res)
{
	const char *title = PQntuples(res) > 0 ? result_value(res, 0, PLAN_TITLE) : "";
	if (title[0] && strlen(title) < sizeof register_plan_title) {
		snprintf(register_plan_title, sizeof register_plan_title, "%s", title);
		register_plan_title_at = rpc_now_ms();
	}
	register_whoami_reply(call, title);
}

static void register_whoami_cached(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	register_whoami_reply(arg, register_plan_title);
}

void register_whoami(struct rpc_call *call)
{
	/* no round trip; the answer still goes from the loop, as every database answer does, never from
	 * inside the connection's own read callback */
	static const struct timeval now = {0, 0};
	if (register_plan_title[0] && rpc_now_ms() - register_plan_title_at < REGISTER_TITLE_TTL_MS &&
	    event_base_once(call->srv->base, -1, EV_TIMEOUT, register_whoami_cached, call, &now) == 0)
		return;
	query_run(call, SQL_PLAN_TITLE, 0, NULL, register_whoami_done);
}

/* ---------------------------------------------------------------- ListThemes */

static void register_list_themes_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListThemesResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListThemesResponse, planreg__v1__list_themes_response__init);
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Theme *t = ARENA_NEW(&call->arena, Planreg__V1__Theme, planreg__v1__theme__init);
		t->number = result_int(res, i, THEME_NUMBER);
		t->title = rpc_strdup(call, result_value(res, i, THEME_TITLE));
		char **objs;
		size_t n = result_split(&call->arena, result_value(res, i, THEME_OBJECTIVES), RESULT_SEP, &objs);
		for (size_t k = 0; k < n; k++) {
			Planreg__V1__Objective *o =
				ARENA_NEW(&call->arena, Planreg__V1__Objective, planreg__v1__objective__init);
			o->title = register_cut(objs[k]);
			o->code = objs[k];
			o->theme = t->number;
			*(Planreg__V1__Objective **)arena_push(&call->arena, &t->objectives, &t->n_objectives,
							       sizeof o) = o;
		}
		*(Planreg__V1__Theme **)arena_push(&call->arena, &r->themes, &r->n_themes, sizeof t) = t;
	}
	reply_ok(call, r);
}

void register_list_themes(struct rpc_call *call)
{
	const char *params[1] = {call->req->list_themes->plan};
	query_run(call, SQL_THEMES, 1, params, register_list_themes_done);
}

/* ---------------------------------------------------------------- organisations */

static Planreg__V1__Organisation *register_org_from_row(struct rpc_call *call, PGresult *res, int row)
{
	Planreg__V1__Organisation *o =
		ARENA_NEW(&call->arena, Planreg__V1__Organisation, planreg__v1__organisation__init);
	o->code = rpc_strdup(call, result_value(res, row, ORG_CODE));
	o->name = rpc_strdup(call, result_value(res, row, ORG_NAME));
	enum org_kind k = ORG_KIND_UNSPECIFIED;
	if (!values_org_kind_parse(result_value(res, row, ORG_KIND), &k))
		k = ORG_KIND_UNSPECIFIED;
	o->kind = (Planreg__V1__OrgKind)k;
	o->contact_email = rpc_strdup(call, result_value(res, row, ORG_EMAIL));
	o->n_contacts = result_split(&call->arena, result_value(res, row, ORG_CONTACTS), RESULT_SEP, &o->contacts);
	return o;
}

static void register_list_organisations_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListOrganisationsResponse *r = ARENA_NEW(&call->arena, Planreg__V1__ListOrganisationsResponse,
							      planreg__v1__list_organisations_response__init);
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Organisation *o = register_org_from_row(call, res, i);
		o->n_aliases = result_split(&call->arena, result_value(res, i, ORG_ALIASES), RESULT_SEP, &o->aliases);
		o->projects_led = result_int(res, i, ORG_PROJECTS_LED);
		*(Planreg__V1__Organisation **)arena_push(&call->arena, &r->organisations, &r->n_organisations,
							  sizeof o) = o;
	}
	reply_ok(call, r);
}

void register_list_organisations(struct rpc_call *call)
{
	query_run(call, SQL_ORGANISATIONS, 0, NULL, register_list_organisations_done);
}

struct register_upsert {
	bool existed;
	const char *contacts; /* the contacts checked and written back, as a JSON array; NULL: leave them */
	char *old_name, *old_kind, *old_contacts; /* before */
};

static void register_upsert_done(struct rpc_call *call, PGresult *res)
{
	struct register_upsert *st = call->state;
	Planreg__V1__UpsertOrganisationResponse *r = ARENA_NEW(&call->arena, Planreg__V1__UpsertOrganisationResponse,
							       planreg__v1__upsert_organisation_response__init);
	r->organisation = register_org_from_row(call, res, 0);
	r->created = !st->existed;
	r->changed = !st->existed || strcmp(st->old_name, result_value(res, 0, ORG_NAME)) != 0 ||
		     strcmp(st->old_kind, result_value(res, 0, ORG_KIND)) != 0 ||
		     strcmp(st->old_contacts, result_value(res, 0, ORG_CONTACTS)) != 0;
	reply_ok(call, r);
}

static void register_upsert_have_old(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__UpsertOrganisationRequest *q = call->req->upsert_organisation;
	struct register_upsert *st = call->state;
	const char *code = q->code;
	if (PQntuples(res) == 1) {
		st->existed = true;
		code = rpc_strdup(call, result_value(res, 0, ORG_CODE)); /* as stored: "UoL" for "uol" */
		st->old_name = rpc_strdup(call, result_value(res, 0, ORG_NAME));
		st->old_kind = rpc_strdup(call, result_value(res, 0, ORG_KIND));
		st->old_contacts = rpc_strdup(call, result_value(res, 0, ORG_CONTACTS));
	} else if (q->name[0] == '\0' || q->kind == PLANREG__V1__ORG_KIND__ORG_KIND_UNSPECIFIED) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s; to create it give both a name and a kind (%s)", q->code,
			    values_org_kind_names());
		return;
	}
	const char *kind = q->kind == PLANREG__V1__ORG_KIND__ORG_KIND_UNSPECIFIED
				   ? NULL
				   : values_org_kind_name((enum org_kind)q->kind);
	const char *params[4] = {code, q->name, kind, st->contacts};
	query_run(call, st->existed ? SQL_ORGANISATION_UPDATE : SQL_ORGANISATION_INSERT, 4, params,
		  register_upsert_done);
}

/* The contacts given (the list, or an older client's one contact_email), each checked and written back in one
 * form, as the JSON array the statements take; NULL when none were given. Violations name each one that is
 * wrong and say what to write. */
static const char *register_contacts(struct rpc_call *call, const Planreg__V1__UpsertOrganisationRequest *q)
{
	char **given = q->contacts;
	size_t n = q->n_contacts;
	char *one[1] = {q->contact_email};
	const char *field = "contacts";
	if (n == 0 && q->contact_email[0]) {
		given = one;
		n = 1;
		field = "contact_email";
	}
	if (n == 0)
		return NULL;
	if (n > REGISTER_CONTACTS_MAX)
		reply_violation(call, field, "%zu contacts given: an organisation may have at most %d", n,
				REGISTER_CONTACTS_MAX);
	struct mailbox *m = arena_alloc(&call->arena, n * sizeof *m);
	struct buf out = {0};
	struct json j;
	json_init(&j, &out, false);
	json_array_begin(&j);
	for (size_t i = 0; i < n && i < REGISTER_CONTACTS_MAX; i++) {
		const char *path = given == q->contacts ? rpc_printf(call, "%s[%zu]", field, i) : field;
		const char *why = mailbox_parse(given[i], &m[i]);
		for (size_t k = 0; why == NULL && k < i; k++)
			if (mailbox_same_addr(m[k].addr, m[i].addr))
				why = "it is given twice";
		char text[MAILBOX_MAX + 200];
		if (why) {
			mailbox_error(given[i], why, text, sizeof text);
			reply_violation(call, path, "%s", text);
			continue;
		}
		mailbox_format(&m[i], text);
		json_str(&j, text);
	}
	json_array_end(&j);
	const char *json = rpc_strdup(call, buf_str(&out));
	buf_free(&out);
	return json;
}

void register_upsert_organisation(struct rpc_call *call)
{
	Planreg__V1__UpsertOrganisationRequest *q = call->req->upsert_organisation;
	struct register_upsert *st = arena_alloc(&call->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	call->state = st;
	validate_org_code(call, "code", q->code);
	validate_text(call, "name", q->name, 500, 0);
	if (q->kind != PLANREG__V1__ORG_KIND__ORG_KIND_UNSPECIFIED && !values_org_kind_valid(q->kind))
		reply_violation(call, "kind", "%d is not an organisation kind (%s)", (int)q->kind,
				values_org_kind_names());
	st->contacts = register_contacts(call, q);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_organisation");
		return;
	}
	const char *params[1] = {q->code};
	query_run(call, SQL_ORGANISATION_ONE, 1, params, register_upsert_have_old);
}

/* ---------------------------------------------------------------- projects */

static void register_list_projects_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListProjectsResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListProjectsResponse, planreg__v1__list_projects_response__init);
	int n = PQntuples(res);
	int limit = *(int *)call->state;
	for (int i = 0; i < n && i < limit; i++) {
		Planreg__V1__Project *p = register_project_from_row(call, res, i, 0);
		*(Planreg__V1__Project **)arena_push(&call->arena, &r->projects, &r->n_projects, sizeof p) = p;
		r->total = result_int(res, i, PROJECTS_TOTAL);
	}
	/* one row more than the page was asked for: there is a next page */
	if (n > limit && limit > 0)
		r->next_page_token = rpc_printf(call, "after:%d", r->projects[r->n_projects - 1]->ref);
	reply_ok(call, r);
}

static void register_list_projects_query(struct rpc_call *call, const char *lead_org)
{
	Planreg__V1__ListProjectsRequest *q = call->req->list_projects;
	int *limit = arena_alloc(&call->arena, sizeof *limit);
	*limit = q->page_size > 0 ? q->page_size : REGISTER_PAGE_DEFAULT;
	call->state = limit;
	int after = 0;
	if (q->page_token[0] && sscanf(q->page_token, "after:%d", &after) != 1)
		after = -1;
	const char *params[10] = {
		q->theme ? rpc_printf(call, "%d", q->theme) : NULL,
		q->objective[0] ? q->objective : NULL,
		lead_org,
		q->stage ? values_stage_name((enum stage)q->stage) : NULL,
		q->capital == PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY   ? "true"
		: q->capital == PLANREG__V1__CAPITAL_FILTER__CAPITAL_NONE ? "false"
									  : NULL,
		q->text[0] ? q->text : NULL,
		NULL,
		rpc_printf(call, "%d", after),
		rpc_printf(call, "%d", *limit + 1),
		q->plan,
	};
	query_run(call, register_sql_projects(), 10, params, register_list_projects_done);
}

static void register_list_projects_have_org(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListProjectsRequest *q = call->req->list_projects;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s (`planreg org list` shows the codes)", q->lead_org);
		return;
	}
	register_list_projects_query(call, q->lead_org);
}

void register_list_projects(struct rpc_call *call)
{
	Planreg__V1__ListProjectsRequest *q = call->req->list_projects;
	if (q->theme < 0 || q->theme > 99)
		reply_violation(call, "theme", "%d is not a theme number (1 to 99)", q->theme);
	int a, b;
	char extra;
	if (q->objective[0] && sscanf(q->objective, "%d.%d%c", &a, &b, &extra) != 2)
		reply_violation(call, "objective", "\"%s\" is not an objective code such as 6.1", q->objective);
	if (q->lead_org[0])
		validate_org_code(call, "lead_org", q->lead_org);
	if (q->stage != 0 && !values_stage_valid(q->stage))
		reply_violation(call, "stage", "%d is not a stage (%s)", (int)q->stage, values_stage_names());
	if (q->page_size < 0 || q->page_size > REGISTER_PAGE_MAX)
		reply_violation(call, "page_size", "%d is outside 0..%d", q->page_size, REGISTER_PAGE_MAX);
	int after;
	if (q->page_token[0] && (sscanf(q->page_token, "after:%d%c", &after, &extra) != 1 || after < 0))
		reply_violation(call, "page_token", "\"%s\" is not a page token this server gave out", q->page_token);
	validate_text(call, "text", q->text, 200, 0);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_filter");
		return;
	}
	if (q->lead_org[0]) {
		const char *params[1] = {q->lead_org};
		query_run(call, SQL_ORGANISATION_ONE, 1, params, register_list_projects_have_org);
		return;
	}
	register_list_projects_query(call, NULL);
}

static void register_get_project_done(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "project_not_found",
			    "there is no project %d in the register (`planreg projects list` shows them)",
			    call->req->get_project->ref);
		return;
	}
	Planreg__V1__GetProjectResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetProjectResponse, planreg__v1__get_project_response__init);
	r->project = register_project_from_row(call, res, 0, 0);
	reply_ok(call, r);
}

void register_get_project(struct rpc_call *call)
{
	int ref = call->req->get_project->ref;
	if (ref <= 0) {
		reply_violation(call, "ref", "%d is not a project reference (a positive number)", ref);
		reply_violations(call, "invalid_ref");
		return;
	}
	const char *params[10] = {NULL,
				  NULL,
				  NULL,
				  NULL,
				  NULL,
				  NULL,
				  rpc_printf(call, "%d", ref),
				  "0",
				  "1",
				  call->req->get_project->plan};
	query_run(call, register_sql_projects(), 10, params, register_get_project_done);
}
