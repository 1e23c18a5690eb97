/* import.c - ImportPlan: the CLI sends the plan it parsed; this checks every
 * field again (a client is not trusted), then applies it in one transaction
 * through planreg_import_plan() (migrations/0016) and reports the changes. A
 * new edition (successor_of) takes the steps of import_edition.c first. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "import_int.h"
#include "json.h"
#include "validate.h"
#include "values.h"

#define IMPORT_MAX_PROJECTS 10000
#define IMPORT_MAX_ATTRIBUTES 50

static const char SQL_IMPORT[] = "SELECT change, entity, key, detail FROM planreg_import_plan($1::jsonb, $2)";
enum import_col { IMPORT_CHANGE, IMPORT_ENTITY, IMPORT_KEY, IMPORT_DETAIL };
static const char SQL_COUNTS[] =
	"SELECT (SELECT count(*) FROM project WHERE plan_id = p.id), (SELECT count(*) FROM theme WHERE plan_id = p.id),"
	" (SELECT count(*) FROM objective WHERE plan_id = p.id), (SELECT count(*) FROM organisation), p.id"
	" FROM plan p WHERE p.title = $1";
enum counts_col { COUNT_PROJECTS, COUNT_THEMES, COUNT_OBJECTIVES, COUNT_ORGANISATIONS, COUNT_PLAN };

static bool import_find_org(Planreg__V1__ImportPlanRequest *q, const char *code)
{
	for (size_t i = 0; i < q->n_organisations; i++)
		if (strcasecmp(q->organisations[i]->code, code) == 0)
			return true;
	return false;
}

static bool import_find_objective(Planreg__V1__ImportPlanRequest *q, int theme, const char *code)
{
	for (size_t i = 0; i < q->n_themes; i++) {
		if (q->themes[i]->number != theme)
			continue;
		for (size_t k = 0; k < q->themes[i]->n_objectives; k++)
			if (strcmp(q->themes[i]->objectives[k]->code, code) == 0)
				return true;
	}
	return false;
}

/* "6.1" -> 6, 1 */
static bool import_objective_numbers(const char *code, int *theme, int *number)
{
	char extra;
	return sscanf(code, "%d.%d%c", theme, number, &extra) == 2 && *theme >= 1 && *theme <= 99 && *number >= 1 &&
	       *number <= 99;
}

static void import_validate_cost(struct rpc_call *call, const char *f, const Planreg__V1__Cost *c)
{
	char field[160];
	if (c == NULL) {
		reply_violation(call, f, "has no cost (send status unknown when the cost is not known)");
		return;
	}
	snprintf(field, sizeof field, "%s.text", f);
	validate_text(call, field, c->text, 500, 0);
	switch ((int)c->status) {
	case COST_STATUS_KNOWN:
		if (c->min == NULL)
			reply_violation(call, f, "is known but has no minimum amount");
		else if (c->min->pence < 0 || (c->max && c->max->pence < 0))
			reply_violation(call, f, "has a negative amount; money is never negative");
		else if (c->max && c->max->pence < c->min->pence)
			reply_violation(call, f, "has a maximum below its minimum");
		break;
	case COST_STATUS_UNKNOWN:
	case COST_STATUS_NOT_APPLICABLE:
		if (c->min || c->max)
			reply_violation(call, f, "is %s but carries an amount",
					values_cost_status_name((enum cost_status)c->status));
		break;
	default:
		reply_violation(call, f, "has no status (known, unknown or not_applicable)");
	}
}

static void import_validate_project(struct rpc_call *call, Planreg__V1__ImportPlanRequest *q, size_t i)
{
	const Planreg__V1__Project *p = q->projects[i];
	char f[96];
#define FIELD(name) (snprintf(f, sizeof f, "projects[ref=%d].%s", p->ref, name), f)
	if (p->ref < 1 || p->ref > 100000)
		reply_violation(call, FIELD("ref"), "must be between 1 and 100000");
	for (size_t k = 0; k < i; k++)
		if (q->projects[k]->ref == p->ref)
			reply_violation(call, FIELD("ref"), "appears twice in the document");
	if (!import_find_objective(q, p->theme, p->objective))
		reply_violation(call, FIELD("objective"), "\"%s\" is not an objective of theme %d in this document",
				p->objective, p->theme);
	validate_text(call, FIELD("title"), p->title, 500, VALIDATE_REQUIRED);
	validate_text(call, FIELD("description"), p->description, 20000, VALIDATE_MULTILINE);
	validate_text(call, FIELD("lead_text"), p->lead_text, 500, 0);
	validate_text(call, FIELD("partners_text"), p->partners_text, 5000, VALIDATE_MULTILINE);
	validate_text(call, FIELD("funding"), p->funding, 2000, VALIDATE_MULTILINE);
	validate_text(call, FIELD("stage_note"), p->stage_note, 1000, 0);
	validate_text(call, FIELD("stage_text"), p->stage_text, 1000, 0);
	if (p->n_lead_orgs == 0)
		reply_violation(call, FIELD("lead_orgs"), "is empty; every project needs a lead organisation");
	for (size_t k = 0; k < p->n_lead_orgs; k++)
		if (!import_find_org(q, p->lead_orgs[k]))
			reply_violation(call, FIELD("lead_orgs"), "\"%s\" is not among the document's organisations",
					p->lead_orgs[k]);
	for (size_t k = 0; k < p->n_lead_people; k++)
		validate_text(call, FIELD("lead_people"), p->lead_people[k], 200, VALIDATE_REQUIRED);
	for (size_t k = 0; k < p->n_partners; k++) {
		validate_text(call, FIELD("partners"), p->partners[k]->name, 500, VALIDATE_REQUIRED);
		if (p->partners[k]->organisation[0] && !import_find_org(q, p->partners[k]->organisation))
			reply_violation(call, FIELD("partners"), "\"%s\" is not among the document's organisations",
					p->partners[k]->organisation);
	}
	import_validate_cost(call, FIELD("cost"), p->cost);
	if (!values_stage_valid(p->stage))
		reply_violation(call, FIELD("stage"), "is not a stage (%s)", values_stage_names());
	if (p->n_attributes > IMPORT_MAX_ATTRIBUTES)
		reply_violation(call, FIELD("attributes"), "%zu attributes; at most %d", p->n_attributes,
				IMPORT_MAX_ATTRIBUTES);
	for (size_t k = 0; k < p->n_attributes && k < IMPORT_MAX_ATTRIBUTES; k++) {
		validate_text(call, FIELD("attributes"), p->attributes[k]->name, 200, VALIDATE_REQUIRED);
		validate_text(call, FIELD("attributes"), p->attributes[k]->value, 5000,
			      VALIDATE_REQUIRED | VALIDATE_MULTILINE);
	}
#undef FIELD
}

static bool import_has_ref(const Planreg__V1__ImportPlanRequest *q, int ref)
{
	for (size_t i = 0; i < q->n_projects; i++)
		if (q->projects[i]->ref == ref)
			return true;
	return false;
}

/* The map's lines, as far as the document can tell (the previous edition's refs are import_edition.c's). */
static void import_validate_map(struct rpc_call *call, const Planreg__V1__ImportPlanRequest *q)
{
	char f[64];
	if (q->n_map > 0 && q->successor_of[0] == '\0')
		reply_violation(call, "map",
				"a map matches a new edition's projects to the previous edition's: it goes "
				"with successor_of");
	for (size_t i = 0; i < q->n_map; i++) {
		const Planreg__V1__RefMapping *m = q->map[i];
		snprintf(f, sizeof f, "map[%zu]", i);
		if (!import_has_ref(q, m->ref))
			reply_violation(call, f, "%d is not a project of the document", m->ref);
		if (m->previous_ref < 0 || m->previous_ref > 100000)
			reply_violation(call, f, "%d is not a project reference", m->previous_ref);
		for (size_t k = 0; k < i; k++) {
			if (q->map[k]->ref == m->ref)
				reply_violation(call, f, "project %d is mapped twice", m->ref);
			if (m->previous_ref != 0 && q->map[k]->previous_ref == m->previous_ref)
				reply_violation(call, f,
						"projects %d and %d both continue project %d; one project "
						"continues each",
						q->map[k]->ref, m->ref, m->previous_ref);
		}
	}
}

static bool import_validate(struct rpc_call *call, Planreg__V1__ImportPlanRequest *q)
{
	char f[96];
	validate_text(call, "title", q->title, 500, VALIDATE_REQUIRED);
	if (q->source_sha256[0]) {
		size_t n = strlen(q->source_sha256);
		bool hex = n == 64;
		for (size_t i = 0; hex && i < n; i++)
			hex = isxdigit((unsigned char)q->source_sha256[i]) &&
			      !isupper((unsigned char)q->source_sha256[i]);
		if (!hex)
			reply_violation(call, "source_sha256", "must be 64 lower-case hex digits");
	}
	if (q->n_projects == 0)
		reply_violation(call, "projects", "the document has no projects");
	if (q->n_projects > IMPORT_MAX_PROJECTS)
		reply_violation(call, "projects", "%zu projects; at most %d", q->n_projects, IMPORT_MAX_PROJECTS);
	for (size_t i = 0; i < q->n_themes; i++) {
		const Planreg__V1__Theme *t = q->themes[i];
		snprintf(f, sizeof f, "themes[%d]", t->number);
		if (t->number < 1 || t->number > 99)
			reply_violation(call, f, "theme numbers run from 1 to 99");
		for (size_t k = 0; k < i; k++)
			if (q->themes[k]->number == t->number)
				reply_violation(call, f, "appears twice");
		validate_text(call, f, t->title, 500, VALIDATE_REQUIRED);
		for (size_t k = 0; k < t->n_objectives; k++) {
			const Planreg__V1__Objective *o = t->objectives[k];
			int th, num;
			snprintf(f, sizeof f, "themes[%d].objectives[%s]", t->number, o->code);
			if (!import_objective_numbers(o->code, &th, &num) || th != t->number)
				reply_violation(call, f, "\"%s\" is not an objective code of theme %d (such as %d.1)",
						o->code, t->number, t->number);
			for (size_t j = 0; j < k; j++)
				if (strcmp(t->objectives[j]->code, o->code) == 0)
					reply_violation(call, f, "appears twice");
			validate_text(call, f, o->title, 1000, VALIDATE_REQUIRED);
		}
	}
	for (size_t i = 0; i < q->n_organisations; i++) {
		const Planreg__V1__Organisation *o = q->organisations[i];
		snprintf(f, sizeof f, "organisations[%zu]", i);
		validate_org_code(call, f, o->code);
		validate_text(call, f, o->name, 500, VALIDATE_REQUIRED);
		if (!values_org_kind_valid(o->kind))
			reply_violation(call, f, "organisation %s has no kind (%s)", o->code, values_org_kind_names());
		for (size_t k = 0; k < o->n_aliases; k++)
			validate_text(call, f, o->aliases[k], 500, VALIDATE_REQUIRED);
	}
	for (size_t i = 0; i < q->n_person_aliases; i++) {
		snprintf(f, sizeof f, "person_aliases[%zu]", i);
		validate_text(call, f, q->person_aliases[i]->alias, 200, VALIDATE_REQUIRED);
		validate_text(call, f, q->person_aliases[i]->target, 200, VALIDATE_REQUIRED);
	}
	for (size_t i = 0; i < q->n_projects && call->status.n_violations < 50; i++)
		import_validate_project(call, q, i);
	validate_text(call, "successor_of", q->successor_of, 500, 0);
	import_validate_map(call, q);
	return !reply_has_violations(call);
}

/* The themes and their objectives, as two arrays of the document planreg_import_plan reads. */
static void import_json_themes(struct json *j, const Planreg__V1__ImportPlanRequest *q)
{
	json_key(j, "themes");
	json_array_begin(j);
	for (size_t i = 0; i < q->n_themes; i++) {
		json_object_begin(j);
		json_kv_int(j, "number", q->themes[i]->number);
		json_kv_str(j, "title", q->themes[i]->title);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "objectives");
	json_array_begin(j);
	for (size_t i = 0; i < q->n_themes; i++)
		for (size_t k = 0; k < q->themes[i]->n_objectives; k++) {
			int th, num;
			if (!import_objective_numbers(q->themes[i]->objectives[k]->code, &th, &num))
				continue; /* validated already */
			json_object_begin(j);
			json_kv_int(j, "theme", th);
			json_kv_int(j, "number", num);
			json_kv_str(j, "title", q->themes[i]->objectives[k]->title);
			json_object_end(j);
		}
	json_array_end(j);
}

/* The organisations and the person aliases. */
static void import_json_names(struct json *j, const Planreg__V1__ImportPlanRequest *q)
{
	json_key(j, "organisations");
	json_array_begin(j);
	for (size_t i = 0; i < q->n_organisations; i++) {
		const Planreg__V1__Organisation *o = q->organisations[i];
		json_object_begin(j);
		json_kv_str(j, "code", o->code);
		json_kv_str(j, "name", o->name);
		json_kv_str(j, "kind", values_org_kind_name((enum org_kind)o->kind));
		json_key(j, "aliases");
		json_str_array(j, o->aliases, o->n_aliases);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "person_aliases");
	json_array_begin(j);
	for (size_t i = 0; i < q->n_person_aliases; i++) {
		json_object_begin(j);
		json_kv_str(j, "alias", q->person_aliases[i]->alias);
		json_kv_str(j, "target", q->person_aliases[i]->target);
		json_object_end(j);
	}
	json_array_end(j);
}

/* An amount in pence, or null. */
static void import_json_money(struct json *j, const char *key, const Planreg__V1__Money *m)
{
	json_key(j, key);
	if (m)
		json_int(j, m->pence);
	else
		json_null(j);
}

/* The columns the register does not read, and the project of the previous edition this one continues. */
static void import_json_lineage(struct json *j, const Planreg__V1__Project *p, int64_t continues)
{
	json_key(j, "attributes");
	json_array_begin(j);
	for (size_t k = 0; k < p->n_attributes; k++) {
		json_object_begin(j);
		json_kv_str(j, "name", p->attributes[k]->name);
		json_kv_str(j, "value", p->attributes[k]->value);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "continues");
	if (continues > 0)
		json_int(j, continues);
	else
		json_null(j);
}

/* One project, its objective given as theme and number. */
static void import_json_project(struct json *j, const Planreg__V1__Project *p, int theme, int objective,
				int64_t continues)
{
	json_object_begin(j);
	json_kv_int(j, "ref", p->ref);
	json_kv_int(j, "theme", theme);
	json_kv_int(j, "objective", objective);
	json_kv_str(j, "title", p->title);
	json_kv_str(j, "description", p->description);
	json_kv_bool(j, "capital", p->capital);
	json_kv_str(j, "lead_text", p->lead_text);
	json_key(j, "lead_orgs");
	json_str_array(j, p->lead_orgs, p->n_lead_orgs);
	json_key(j, "lead_people");
	json_str_array(j, p->lead_people, p->n_lead_people);
	json_key(j, "partners");
	json_array_begin(j);
	for (size_t k = 0; k < p->n_partners; k++) {
		json_object_begin(j);
		json_kv_str(j, "name", p->partners[k]->name);
		json_kv_str(j, "org", p->partners[k]->organisation);
		json_object_end(j);
	}
	json_array_end(j);
	json_kv_str(j, "partners_text", p->partners_text);
	json_kv_str(j, "cost_text", p->cost->text);
	json_kv_str(j, "cost_status", values_cost_status_name((enum cost_status)p->cost->status));
	import_json_money(j, "cost_min", p->cost->min);
	import_json_money(j, "cost_max", p->cost->max);
	json_kv_bool(j, "cost_approximate", p->cost->approximate);
	json_kv_str(j, "funding", p->funding);
	json_kv_str(j, "stage", values_stage_name((enum stage)p->stage));
	json_kv_str(j, "stage_note", p->stage_note);
	json_kv_str(j, "stage_text", p->stage_text);
	import_json_lineage(j, p, continues);
	json_object_end(j);
}

/* The validated plan as the JSON document planreg_import_plan (migrations/0016) reads; with e, as the edition
 * that succeeds e->previous. */
char *import_to_json(const Planreg__V1__ImportPlanRequest *q, const struct import_edition *e)
{
	struct buf b = {0};
	struct json j;
	json_init(&j, &b, false);
	json_object_begin(&j);
	json_kv_str(&j, "title", q->title);
	json_kv_str(&j, "source_sha256", q->source_sha256);
	if (e != NULL)
		json_kv_int(&j, "previous", e->previous);
	import_json_themes(&j, q);
	import_json_names(&j, q);
	json_key(&j, "projects");
	json_array_begin(&j);
	for (size_t i = 0; i < q->n_projects; i++) {
		int th = 0, num = 0;
		if (import_objective_numbers(q->projects[i]->objective, &th, &num))
			import_json_project(&j, q->projects[i], th, num, e != NULL ? e->continues[i] : 0);
	}
	json_array_end(&j);
	json_object_end(&j);
	return buf_take(&b);
}

static void import_finished(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct import_state *st = call->state;
	if (st->edition != NULL && !call->req->import_plan->dry_run)
		register_forget_plan_title(); /* the current plan is another one now */
	reply_ok(call, st->resp);
}

static void import_counted(struct rpc_call *call, PGresult *res)
{
	struct import_state *st = call->state;
	if (PQntuples(res) == 1) {
		st->resp->projects = result_int(res, 0, COUNT_PROJECTS);
		st->resp->themes = result_int(res, 0, COUNT_THEMES);
		st->resp->objectives = result_int(res, 0, COUNT_OBJECTIVES);
		st->resp->organisations = result_int(res, 0, COUNT_ORGANISATIONS);
		st->resp->plan = result_int(res, 0, COUNT_PLAN);
	}
	/* a dry run reports what would change and keeps nothing */
	query_run(call, call->req->import_plan->dry_run ? "ROLLBACK" : "COMMIT", 0, NULL, import_finished);
}

static void import_count(struct rpc_call *call, PGresult *res)
{
	(void)res;
	const char *params[1] = {call->req->import_plan->title};
	query_run(call, SQL_COUNTS, 1, params, import_counted);
}

/* Whether a change planreg_import_plan reports is shown: a new edition's projects (and its themes and
 * objectives, all new) are reported project by project against the previous edition instead. */
static bool import_change_shown(const struct import_state *st, const char *entity)
{
	return st->edition == NULL || strcmp(entity, "plan") == 0 || strcmp(entity, "organisation") == 0;
}

static void import_applied(struct rpc_call *call, PGresult *res)
{
	struct import_state *st = call->state;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_error_reply(call, res, NULL, "importing the plan");
		return;
	}
	Planreg__V1__ImportPlanResponse *r = st->resp;
	int plan = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *entity = result_value(res, i, IMPORT_ENTITY);
		if (strcmp(entity, "plan") == 0)
			plan = atoi(result_value(res, i, IMPORT_KEY));
		if (!import_change_shown(st, entity))
			continue;
		Planreg__V1__ImportChange *c =
			ARENA_NEW(&call->arena, Planreg__V1__ImportChange, planreg__v1__import_change__init);
		c->kind = rpc_strdup(call, result_value(res, i, IMPORT_CHANGE));
		c->entity = rpc_strdup(call, entity);
		c->key = rpc_strdup(call, result_value(res, i, IMPORT_KEY));
		c->detail = rpc_strdup(call, result_value(res, i, IMPORT_DETAIL));
		*(Planreg__V1__ImportChange **)arena_push(&call->arena, &r->changes, &r->n_changes, sizeof c) = c;
	}
	if (st->edition != NULL)
		import_edition_report(call, plan, import_count);
	else
		import_count(call, NULL);
}

void import_send(struct rpc_call *call)
{
	struct import_state *st = call->state;
	const char *params[2] = {st->doc, call->principal.credential};
	query_any(call, SQL_IMPORT, 2, params, import_applied);
}

static void import_begun(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct import_state *st = call->state;
	if (st->edition != NULL) {
		import_edition_begin(call);
		return;
	}
	char *doc = import_to_json(call->req->import_plan, NULL);
	st->doc = rpc_strdup(call, doc);
	free(doc);
	import_send(call);
}

void import_plan(struct rpc_call *call)
{
	Planreg__V1__ImportPlanRequest *q = call->req->import_plan;
	if (!import_validate(call, q)) {
		reply_violations(call, "invalid_plan");
		return;
	}
	struct import_state *st = arena_alloc(&call->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	st->resp = ARENA_NEW(&call->arena, Planreg__V1__ImportPlanResponse, planreg__v1__import_plan_response__init);
	if (q->successor_of[0] != '\0') {
		st->edition = arena_alloc(&call->arena, sizeof *st->edition);
		memset(st->edition, 0, sizeof *st->edition);
	}
	call->state = st;
	query_run(call, "BEGIN", 0, NULL, import_begun);
}
