/* people.c - the named people of each organisation (docs/protocol.md, "People"): AddPerson, ListPeople,
 * RemovePerson, and AssignProject, which gives a project's returns to one of them. Who may is auth.c's; the
 * reminder job reads the people and the assignments in its own statement (remind.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "handlers.h"
#include "mailbox.h"
#include "sql.h"
#include "validate.h"

/* The responsibilities a person may hold, in the order they are stored and shown. */
static const char *const people_roles[] = {"sro", "submitter", "finance"};
#define PEOPLE_ROLES (sizeof people_roles / sizeof people_roles[0])

/* SQL reads better laid out by hand. */
/* clang-format off */
/* One person (alias x = org_person), in the order of enum person_col: its active credential is the newest one
 * not revoked that an invitation naming it became (or a renewal of that one, which keeps the invitation). */
#define PERSON_COLUMNS                                                                                            \
	"x.id, x.org_code, x.name, x.email, array_to_string(x.roles, chr(31)), " TS("x.added_at") ", x.added_by, " \
	TS("x.ended_at") ", coalesce(x.ended_by, ''),"                                                            \
	" coalesce((SELECT c.name FROM credential c JOIN invitation i ON i.id = c.invitation_id"                  \
	"   WHERE i.person_id = x.id AND c.revoked_at IS NULL ORDER BY c.id DESC LIMIT 1), ''),"                   \
	" coalesce((SELECT string_agg(p.ref::text, chr(31) ORDER BY p.ref) FROM project_assignment a"            \
	"   JOIN project p ON p.lineage = a.lineage AND p.plan_id = " CURRENT_PLAN                                 \
	"   WHERE a.person_id = x.id AND a.ended_at IS NULL), '')"
enum person_col {
	PERSON_ID, PERSON_ORG, PERSON_NAME, PERSON_EMAIL, PERSON_ROLES, PERSON_ADDED_AT, PERSON_ADDED_BY,
	PERSON_ENDED_AT, PERSON_ENDED_BY, PERSON_CREDENTIAL, PERSON_PROJECTS, PERSON_COLUMN_COUNT
};

/* $1 organisation, $2 name, $3 email, $4 roles, $5 by. The first column says what happened: "added", or why not:
 * "sro" (the row is the organisation's current senior responsible owner) or "same" (a current person of it with
 * that address). No row: there is no such organisation. */
static const char SQL_ADD[] =
	"WITH o AS (SELECT code FROM organisation WHERE lower(code) = lower($1)),"
	" clash AS (SELECT CASE WHEN lower(y.email) = lower($3) THEN 'same' ELSE 'sro' END AS why, y.id"
	"   FROM org_person y JOIN o ON y.org_code = o.code WHERE y.ended_at IS NULL"
	"   AND (lower(y.email) = lower($3) OR ('sro' = ANY (y.roles) AND 'sro' = ANY ($4::text[])))),"
	" ins AS (INSERT INTO org_person (org_code, name, email, roles, added_by)"
	"   SELECT o.code, $2, $3, $4::text[], $5 FROM o WHERE NOT EXISTS (SELECT 1 FROM clash) RETURNING *)"
	" SELECT 'added', " PERSON_COLUMNS " FROM ins x"
	" UNION ALL (SELECT c.why, " PERSON_COLUMNS " FROM clash c JOIN org_person x ON x.id = c.id ORDER BY c.why LIMIT 1)";

/* $1 organisation ("" for every one), $2 include ended, $3 after id */
static const char SQL_LIST[] =
	"SELECT " PERSON_COLUMNS " FROM org_person x WHERE ($1 = '' OR lower(x.org_code) = lower($1))"
	" AND ($2::boolean OR x.ended_at IS NULL) AND x.id > $3::bigint ORDER BY x.id";
/* $1 id, or a second id ($2; 0 for none): AssignProject's answer */
static const char SQL_ONE[] =
	"SELECT " PERSON_COLUMNS " FROM org_person x WHERE x.id IN ($1::bigint, $2::bigint) ORDER BY x.id = $1::bigint DESC";

/* $1 id, $2 by: the person ended, and the projects that were assigned to them (now to nobody) */
static const char SQL_REMOVE[] =
	"WITH a AS (UPDATE project_assignment SET ended_at = now(), ended_by = $2"
	"   WHERE person_id = $1::bigint AND ended_at IS NULL RETURNING lineage),"
	" e AS (UPDATE org_person SET ended_at = now(), ended_by = $2 WHERE id = $1::bigint AND ended_at IS NULL"
	"   RETURNING *)"
	" SELECT " PERSON_COLUMNS ", coalesce((SELECT string_agg(p.ref::text, chr(31) ORDER BY p.ref) FROM a"
	"   JOIN project p ON p.lineage = a.lineage AND p.plan_id = " CURRENT_PLAN "), '') FROM e x";
enum { REMOVE_UNASSIGNED = PERSON_COLUMN_COUNT };

/* $1 ref, $2 person (0: none): the project's lineage and leads, the person's organisation and whether they are
 * current, and the organisation of whoever has the project now. No row: no such project in the current plan. */
static const char SQL_ASSIGN_TARGET[] =
	"SELECT p.lineage, coalesce((SELECT string_agg(l.org_code, chr(31) ORDER BY l.position) FROM project_lead_org l"
	"   WHERE l.project_id = p.id), ''),"
	" x.id IS NOT NULL, coalesce(x.org_code, ''), x.ended_at IS NULL, coalesce(x.name, ''),"
	" coalesce((SELECT y.org_code FROM project_assignment a JOIN org_person y ON y.id = a.person_id"
	"   WHERE a.lineage = p.lineage AND a.ended_at IS NULL), '')"
	" FROM project p LEFT JOIN org_person x ON x.id = $2::bigint"
	" WHERE p.plan_id = " CURRENT_PLAN " AND p.ref = $1::int";
enum assign_target_col {
	TARGET_LINEAGE, TARGET_LEADS, TARGET_PERSON_EXISTS, TARGET_PERSON_ORG, TARGET_PERSON_CURRENT,
	TARGET_PERSON_NAME, TARGET_ASSIGNEE_ORG
};
/* $1 lineage, $2 person (0: nobody), $3 by: whoever had it loses it, unless it is the same person; the insert reads
 * the ending's rows (count), so it runs after it and the one-current-assignment index sees the old row ended.
 * Returns the person before (0: nobody) and whether anything changed. */
static const char SQL_ASSIGN[] =
	"WITH old AS (UPDATE project_assignment SET ended_at = now(), ended_by = $3"
	"   WHERE lineage = $1::bigint AND ended_at IS NULL AND person_id <> $2::bigint RETURNING person_id),"
	" ins AS (INSERT INTO project_assignment (lineage, person_id, assigned_by)"
	"   SELECT $1::bigint, $2::bigint, $3 FROM (SELECT count(*) FROM old) n WHERE $2::bigint <> 0"
	"   AND NOT EXISTS (SELECT 1 FROM project_assignment WHERE lineage = $1::bigint AND ended_at IS NULL"
	"   AND person_id = $2::bigint) RETURNING 1)"
	" SELECT coalesce((SELECT person_id FROM old LIMIT 1), 0), (SELECT count(*) FROM ins) > 0";
enum assign_col { ASSIGN_BEFORE, ASSIGN_CHANGED };
/* clang-format on */

static Planreg__V1__Person *people_from_row(struct rpc_call *call, PGresult *res, int row, int col)
{
	Planreg__V1__Person *p = ARENA_NEW(&call->arena, Planreg__V1__Person, planreg__v1__person__init);
	p->id = result_int64(res, row, col + PERSON_ID);
	p->organisation = rpc_strdup(call, result_value(res, row, col + PERSON_ORG));
	p->name = rpc_strdup(call, result_value(res, row, col + PERSON_NAME));
	p->email = rpc_strdup(call, result_value(res, row, col + PERSON_EMAIL));
	p->n_roles = result_split(&call->arena, result_value(res, row, col + PERSON_ROLES), RESULT_SEP, &p->roles);
	p->added_at = rpc_strdup(call, result_value(res, row, col + PERSON_ADDED_AT));
	p->added_by = rpc_strdup(call, result_value(res, row, col + PERSON_ADDED_BY));
	p->ended_at = rpc_strdup(call, result_value(res, row, col + PERSON_ENDED_AT));
	p->ended_by = rpc_strdup(call, result_value(res, row, col + PERSON_ENDED_BY));
	p->credential = rpc_strdup(call, result_value(res, row, col + PERSON_CREDENTIAL));
	char **refs;
	size_t n = result_split(&call->arena, result_value(res, row, col + PERSON_PROJECTS), RESULT_SEP, &refs);
	p->projects = arena_alloc(&call->arena, (n ? n : 1) * sizeof *p->projects);
	for (size_t i = 0; i < n; i++)
		p->projects[p->n_projects++] = atoi(refs[i]);
	return p;
}

/* "LCC has no people" and the like are answers; these are the refusals every request shares. */
static void people_not_yours(struct rpc_call *call, const char *org, const char *doing)
{
	reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_own_organisation",
		    "credential %s (organisation %s) may not %s the people of %s: a submitter manages its own "
		    "organisation's people only, and the Combined Authority's admin every organisation's",
		    call->principal.credential, call->principal.organisation, doing, org);
}

static void people_not_found(struct rpc_call *call, long long id)
{
	reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "person_not_found",
		    "there is no person %lld (`planreg person list` shows their ids)", id);
}

/* ---------------------------------------------------------------- AddPerson */

/* The roles as a PostgreSQL array in people_roles' order, each once; NULL after a violation. */
static const char *people_roles_array(struct rpc_call *call, char **roles, size_t n)
{
	bool held[PEOPLE_ROLES] = {false};
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < PEOPLE_ROLES && strcasecmp(roles[i], people_roles[k]) != 0)
			k++;
		if (k == PEOPLE_ROLES) {
			reply_violation(call, "roles", "\"%.40s\" is not a role: sro, submitter or finance", roles[i]);
			return NULL;
		}
		held[k] = true;
	}
	if (n == 0) {
		reply_violation(call, "roles", "give at least one: sro, submitter or finance");
		return NULL;
	}
	const char *a = "{";
	for (size_t k = 0; k < PEOPLE_ROLES; k++)
		if (held[k])
			a = rpc_printf(call, "%s%s%s", a, a[1] ? "," : "", people_roles[k]);
	return rpc_printf(call, "%s}", a);
}

/* The name and the address make one mailbox a mail's To: can carry (mailbox.h). */
static void people_check_mailbox(struct rpc_call *call, const char *name, const char *email)
{
	const char *why = mailbox_addr_problem(email);
	if (why) {
		char text[MAILBOX_MAX + 200];
		mailbox_error(email, why, text, sizeof text);
		reply_violation(call, "email", "%s", text);
		return;
	}
	struct mailbox m = {0}, back;
	if (strlen(name) > MAILBOX_NAME_MAX || strlen(email) > MAILBOX_ADDR_MAX)
		return; /* validate_text said so */
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.addr, sizeof m.addr, "%s", email);
	char text[MAILBOX_MAX];
	mailbox_format(&m, text);
	if (mailbox_parse(text, &back) != NULL)
		reply_violation(call, "name", "cannot be written in a mail's To: (no double quote or backslash)");
}

static void people_added(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AddPersonRequest *q = call->req->add_person;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s (`planreg org list` shows the codes)", q->organisation);
		return;
	}
	Planreg__V1__Person *p = people_from_row(call, res, 0, 1);
	const char *what = result_value(res, 0, 0);
	if (strcmp(what, "sro") == 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "sro_exists",
			    "%s has a senior responsible owner already: %s <%s> (person %lld); an organisation has one "
			    "at a time: remove them first (`planreg person remove %lld`), then add the new one",
			    p->organisation, p->name, p->email, (long long)p->id, (long long)p->id);
		return;
	}
	if (strcmp(what, "same") == 0) {
		reply_error(
			call, PLANREG__V1__CODE__ALREADY_EXISTS, "person_exists",
			"%s <%s> is a person of %s already (person %lld): one record holds all of a person's roles; "
			"to change them, remove it and add it again with every role",
			p->name, p->email, p->organisation, (long long)p->id);
		return;
	}
	Planreg__V1__AddPersonResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__AddPersonResponse, planreg__v1__add_person_response__init);
	r->person = p;
	reply_ok(call, r);
}

void people_add(struct rpc_call *call)
{
	const Planreg__V1__AddPersonRequest *q = call->req->add_person;
	validate_org_code(call, "organisation", q->organisation);
	bool named = validate_text(call, "name", q->name, MAILBOX_NAME_MAX, VALIDATE_REQUIRED);
	if (validate_email(call, "email", q->email) && named)
		people_check_mailbox(call, q->name, q->email);
	const char *roles = people_roles_array(call, q->roles, q->n_roles);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_person");
		return;
	}
	if (!auth_may_manage_people(&call->principal, q->organisation)) {
		people_not_yours(call, q->organisation, "add to");
		return;
	}
	const char *params[5] = {q->organisation, q->name, q->email, roles, call->principal.credential};
	query_run(call, SQL_ADD, 5, params, people_added);
}

/* ---------------------------------------------------------------- ListPeople */

static void people_listed(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListPeopleResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListPeopleResponse, planreg__v1__list_people_response__init);
	size_t used = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Person *p = people_from_row(call, res, i, 0);
		/* as many as fit in a frame; the next page starts after the last one */
		if (!reply_page_add(call, &used, &r->people, &r->n_people, &p->base)) {
			r->next_after_id = r->people[r->n_people - 1]->id;
			break;
		}
	}
	reply_ok(call, r);
}

void people_list(struct rpc_call *call)
{
	const Planreg__V1__ListPeopleRequest *q = call->req->list_people;
	const char *scope = auth_people_scope(&call->principal), *org = q->organisation;
	if (org[0] && !validate_org_code(call, "organisation", org)) {
		reply_violations(call, "invalid_organisation");
		return;
	}
	if (scope && org[0] && strcasecmp(scope, org) != 0) {
		people_not_yours(call, org, "list");
		return;
	}
	const char *params[3] = {scope ? scope : org, q->include_ended ? "true" : "false",
				 rpc_printf(call, "%lld", (long long)q->after_id)};
	query_run(call, SQL_LIST, 3, params, people_listed);
}

/* ---------------------------------------------------------------- RemovePerson */

static void people_removed(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) != 1) { /* ended meanwhile by someone else */
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "person_ended",
			    "person %lld was removed already", (long long)call->req->remove_person->id);
		return;
	}
	Planreg__V1__RemovePersonResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__RemovePersonResponse, planreg__v1__remove_person_response__init);
	r->person = people_from_row(call, res, 0, 0);
	r->person->n_projects = 0; /* the statement read them before it ended the assignments */
	char **refs;
	size_t n = result_split(&call->arena, result_value(res, 0, REMOVE_UNASSIGNED), RESULT_SEP, &refs);
	r->unassigned = arena_alloc(&call->arena, (n ? n : 1) * sizeof *r->unassigned);
	for (size_t i = 0; i < n; i++)
		r->unassigned[r->n_unassigned++] = atoi(refs[i]);
	reply_ok(call, r);
}

static void people_remove_found(struct rpc_call *call, PGresult *res)
{
	long long id = (long long)call->req->remove_person->id;
	if (PQntuples(res) == 0) {
		people_not_found(call, id);
		return;
	}
	const char *org = result_value(res, 0, PERSON_ORG);
	if (!auth_may_manage_people(&call->principal, org)) {
		people_not_yours(call, org, "remove from");
		return;
	}
	if (result_value(res, 0, PERSON_ENDED_AT)[0]) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "person_ended",
			    "person %lld (%s) was removed already, at %s by %s", id, result_value(res, 0, PERSON_NAME),
			    result_value(res, 0, PERSON_ENDED_AT), result_value(res, 0, PERSON_ENDED_BY));
		return;
	}
	const char *params[2] = {rpc_printf(call, "%lld", id), call->principal.credential};
	query_run(call, SQL_REMOVE, 2, params, people_removed);
}

void people_remove(struct rpc_call *call)
{
	long long id = (long long)call->req->remove_person->id;
	if (id <= 0) {
		reply_violation(call, "id", "give the person's id (`planreg person list` shows them)");
		reply_violations(call, "invalid_person");
		return;
	}
	const char *params[2] = {rpc_printf(call, "%lld", id), "0"};
	query_run(call, SQL_ONE, 2, params, people_remove_found);
}

/* ---------------------------------------------------------------- AssignProject */

struct people_assign {
	long long before; /* whom it was assigned to; 0 for nobody */
};

static void people_assign_answer(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AssignProjectRequest *q = call->req->assign_project;
	struct people_assign *st = call->state;
	Planreg__V1__AssignProjectResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__AssignProjectResponse, planreg__v1__assign_project_response__init);
	r->ref = q->ref;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Person *p = people_from_row(call, res, i, 0);
		if (p->id == q->person_id)
			r->person = p;
		else if (p->id == st->before)
			r->previous = p;
	}
	reply_ok(call, r);
}

static void people_assigned(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AssignProjectRequest *q = call->req->assign_project;
	struct people_assign *st = call->state;
	st->before = result_int64(res, 0, ASSIGN_BEFORE);
	const char *params[2] = {rpc_printf(call, "%lld", (long long)q->person_id),
				 rpc_printf(call, "%lld", st->before)};
	query_run(call, SQL_ONE, 2, params, people_assign_answer);
}

/* The refusals that need the target row; false after replying one. */
static bool people_assign_allowed(struct rpc_call *call, PGresult *res, char **leads, size_t n_leads)
{
	const Planreg__V1__AssignProjectRequest *q = call->req->assign_project;
	const char *person_org = result_value(res, 0, TARGET_PERSON_ORG);
	if (q->person_id && !result_bool(res, 0, TARGET_PERSON_EXISTS)) {
		people_not_found(call, (long long)q->person_id);
		return false;
	}
	if (q->person_id && !result_bool(res, 0, TARGET_PERSON_CURRENT)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "person_ended",
			    "person %lld (%s) was removed: assign a current person (`planreg person list --org %s`)",
			    (long long)q->person_id, result_value(res, 0, TARGET_PERSON_NAME), person_org);
		return false;
	}
	bool of_lead = false;
	for (size_t i = 0; i < n_leads; i++)
		of_lead = of_lead || strcasecmp(leads[i], person_org) == 0;
	if (q->person_id && !of_lead) {
		reply_error(
			call, PLANREG__V1__CODE__FAILED_PRECONDITION, "person_not_of_lead",
			"person %lld (%s) is of %s, which does not lead project %d (led by %s): its returns go to a "
			"person of its lead organisation",
			(long long)q->person_id, result_value(res, 0, TARGET_PERSON_NAME), person_org, q->ref,
			n_leads ? result_value(res, 0, TARGET_LEADS) : "nobody");
		return false;
	}
	if (!auth_may_assign(&call->principal, leads, n_leads, person_org, result_value(res, 0, TARGET_ASSIGNEE_ORG))) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "credential %s (organisation %s) may not assign project %d: a submitter assigns only "
			    "projects its organisation leads, to and from its own organisation's people",
			    call->principal.credential, call->principal.organisation, q->ref);
		return false;
	}
	return true;
}

static void people_assign_target(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AssignProjectRequest *q = call->req->assign_project;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "project_not_found",
			    "there is no project %d in the current plan", q->ref);
		return;
	}
	char **leads;
	size_t n_leads = result_split(&call->arena, result_value(res, 0, TARGET_LEADS), RESULT_SEP, &leads);
	if (!people_assign_allowed(call, res, leads, n_leads))
		return;
	call->state = arena_alloc(&call->arena, sizeof(struct people_assign));
	const char *params[3] = {rpc_strdup(call, result_value(res, 0, TARGET_LINEAGE)),
				 rpc_printf(call, "%lld", (long long)q->person_id), call->principal.credential};
	query_run(call, SQL_ASSIGN, 3, params, people_assigned);
}

void people_assign(struct rpc_call *call)
{
	const Planreg__V1__AssignProjectRequest *q = call->req->assign_project;
	if (q->ref <= 0)
		reply_violation(call, "ref", "give the project's ref (`planreg projects list`)");
	if (q->person_id < 0)
		reply_violation(call, "person_id", "give a person's id (`planreg person list`), or 0 to unassign");
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_assignment");
		return;
	}
	const char *params[2] = {rpc_printf(call, "%d", q->ref), rpc_printf(call, "%lld", (long long)q->person_id)};
	query_run(call, SQL_ASSIGN_TARGET, 2, params, people_assign_target);
}
