/* credential.c - EnrolCredential, RevokeCredential, ListCredentials (admin).
 * A credential is a client certificate's SHA-256 fingerprint bound to an
 * organisation, a person and a role; revoking it takes effect on the next request. */
#include <string.h>

#include "handlers.h"
#include "session.h"
#include "sql.h"
#include "tls.h"
#include "validate.h"
#include "values.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
static const char SQL_ENROL_CHECK[] =
	"SELECT (SELECT code FROM organisation WHERE lower(code) = lower($3)),"
	" (SELECT count(*) FROM credential WHERE name = $1),"
	" (SELECT count(*) FROM credential WHERE fingerprint = $2),"
	" (SELECT count(*) FROM credential WHERE name = $1 AND fingerprint = $2 AND revoked_at IS NULL"
	"   AND org_code = (SELECT code FROM organisation WHERE lower(code) = lower($3))"
	"   AND coalesce(person, '') = $4 AND role = $5::credential_role),"
	" (SELECT name FROM credential WHERE fingerprint = $2),"
	" (SELECT revoked_at IS NOT NULL FROM credential WHERE fingerprint = $2)";
enum enrol_check_col {
	ENROL_ORG,              /* the organisation's code as stored; NULL when there is none */
	ENROL_NAME_USED,        /* how many credentials have this name */
	ENROL_FINGERPRINT_USED, /* how many have this certificate */
	ENROL_SAME,             /* 1 when exactly this enrolment exists, unrevoked */
	ENROL_HOLDER,           /* the name the certificate is enrolled under */
	ENROL_HOLDER_REVOKED,   /* whether that credential is revoked */
};

static const char SQL_ENROL[] =
	"INSERT INTO credential AS c (name, fingerprint, org_code, person, role, enrolled_by)"
	" VALUES ($1, $2, $3, NULLIF($4, ''), $5::credential_role, $6) RETURNING " CREDENTIAL_COLUMNS;
static const char SQL_ONE[] = "SELECT " CREDENTIAL_COLUMNS " FROM credential c WHERE c.name = $1 OR c.fingerprint = $2";
/* The notification goes out when the statement commits: every daemon drops the connection's cached principal. */
static const char SQL_REVOKE[] =
	"WITH c AS (UPDATE credential AS r SET revoked_at = now(), revoked_by = $3"
	"   WHERE (r.name = $1 OR r.fingerprint = $2) AND r.revoked_at IS NULL RETURNING r.*)"
	" SELECT " CREDENTIAL_COLUMNS ", pg_notify('" SESSION_CREDENTIAL_CHANNEL "', c.fingerprint) FROM c";
static const char SQL_LIST[] =
	DB_CUSTOM_PLAN "SELECT " CREDENTIAL_COLUMNS " FROM credential c WHERE $1::boolean OR c.revoked_at IS NULL ORDER BY c.name";
/* clang-format on */

struct credential_state {
	char fingerprint[65];
	char org[20];
};

Planreg__V1__Credential *credential_from_row(struct rpc_call *call, PGresult *res, int row)
{
	Planreg__V1__Credential *c = ARENA_NEW(&call->arena, Planreg__V1__Credential, planreg__v1__credential__init);
	result_fill(&call->arena, res, row, &c->base);
	c->role = (Planreg__V1__Role)handlers_cell_role(res, row, CREDENTIAL_ROLE);
	return c;
}

/* ---------------------------------------------------------------- enrol */

static void credential_enrol_reply(struct rpc_call *call, PGresult *res, bool created)
{
	Planreg__V1__EnrolCredentialResponse *r = ARENA_NEW(&call->arena, Planreg__V1__EnrolCredentialResponse,
							    planreg__v1__enrol_credential_response__init);
	r->credential = credential_from_row(call, res, 0);
	r->created = created;
	reply_ok(call, r);
}

static void credential_enrolled(struct rpc_call *call, PGresult *res)
{
	credential_enrol_reply(call, res, true);
}

static void credential_existing(struct rpc_call *call, PGresult *res)
{
	credential_enrol_reply(call, res, false);
}

static void credential_enrol_checked(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__EnrolCredentialRequest *q = call->req->enrol_credential;
	struct credential_state *st = call->state;
	const char *role = values_role_name((enum role)q->role);
	if (result_is_null(res, 0, ENROL_ORG)) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s; import the plan or add it with `planreg org set` first",
			    q->organisation);
		return;
	}
	snprintf(st->org, sizeof st->org, "%s", result_value(res, 0, ENROL_ORG));
	if (result_int(res, 0, ENROL_SAME) == 1) {
		/* the same enrolment again: a retry, answered with what exists */
		const char *params[2] = {q->name, st->fingerprint};
		query_run(call, SQL_ONE, 2, params, credential_existing);
		return;
	}
	if (result_int(res, 0, ENROL_FINGERPRINT_USED) > 0) {
		if (result_bool(res, 0, ENROL_HOLDER_REVOKED))
			reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "certificate_revoked",
				    "this certificate was enrolled as %s and revoked; issue a new certificate",
				    result_value(res, 0, ENROL_HOLDER));
		else
			reply_error(call, PLANREG__V1__CODE__ALREADY_EXISTS, "certificate_enrolled",
				    "this certificate is already enrolled as %s (with other details); revoke it "
				    "first to enrol it differently",
				    result_value(res, 0, ENROL_HOLDER));
		return;
	}
	if (result_int(res, 0, ENROL_NAME_USED) > 0) {
		reply_error(call, PLANREG__V1__CODE__ALREADY_EXISTS, "name_taken",
			    "the credential name %s is taken by another certificate; choose another name", q->name);
		return;
	}
	const char *params[6] = {q->name, st->fingerprint, st->org, q->person, role, call->principal.credential};
	query_run(call, SQL_ENROL, 6, params, credential_enrolled);
}

void credential_enrol(struct rpc_call *call)
{
	Planreg__V1__EnrolCredentialRequest *q = call->req->enrol_credential;
	struct credential_state *st = arena_alloc(&call->arena, sizeof *st);
	call->state = st;
	size_t n = strlen(q->name);
	bool name_ok = n >= 1 && n <= 64;
	for (size_t i = 0; name_ok && i < n; i++) {
		char ch = q->name[i];
		name_ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  (i > 0 && (ch == '.' || ch == '_' || ch == '-'));
	}
	if (!name_ok)
		reply_violation(call, "name",
				"\"%s\" is not a credential name (letters, digits, '.', '_', '-'; up to 64)", q->name);
	if (!tls_normalise_fingerprint(q->fingerprint, st->fingerprint))
		reply_violation(call, "fingerprint", "is not a SHA-256 fingerprint (64 hex digits, colons allowed)");
	validate_org_code(call, "organisation", q->organisation);
	validate_text(call, "person", q->person, 200, 0);
	if (!values_role_valid(q->role))
		reply_violation(call, "role", "is required: one of %s", values_role_names());
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_credential");
		return;
	}
	const char *params[5] = {q->name, st->fingerprint, q->organisation, q->person,
				 values_role_name((enum role)q->role)};
	query_run(call, SQL_ENROL_CHECK, 5, params, credential_enrol_checked);
}

/* ---------------------------------------------------------------- revoke */

static void credential_revoke_reply(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__RevokeCredentialResponse *r = ARENA_NEW(&call->arena, Planreg__V1__RevokeCredentialResponse,
							     planreg__v1__revoke_credential_response__init);
	r->credential = credential_from_row(call, res, 0);
	reply_ok(call, r);
}

static void credential_revoke_lookup(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "credential_not_found",
			    "there is no credential %s (`planreg cred list` shows them)",
			    call->req->revoke_credential->name);
		return;
	}
	credential_revoke_reply(call, res); /* already revoked: revoking again changes nothing */
}

static void credential_revoked(struct rpc_call *call, PGresult *res)
{
	/* committed: this daemon's connections with the certificate look it up on their next request,
	 * before this answer leaves (the notification reaches the other daemons) */
	for (int i = 0; i < PQntuples(res); i++)
		session_credential_revoked(call->srv, result_value(res, i, CREDENTIAL_FINGERPRINT));
	if (PQntuples(res) == 1) {
		credential_revoke_reply(call, res);
		return;
	}
	struct credential_state *st = call->state;
	const char *params[2] = {call->req->revoke_credential->name, st->fingerprint};
	query_run(call, SQL_ONE, 2, params, credential_revoke_lookup);
}

void credential_revoke(struct rpc_call *call)
{
	Planreg__V1__RevokeCredentialRequest *q = call->req->revoke_credential;
	struct credential_state *st = arena_alloc(&call->arena, sizeof *st);
	call->state = st;
	if (!tls_normalise_fingerprint(q->name, st->fingerprint))
		st->fingerprint[0] = '\0';
	if (q->name[0] == '\0') {
		reply_violation(call, "name", "is required: the credential's name or its certificate's fingerprint");
		reply_violations(call, "invalid_credential");
		return;
	}
	const char *params[3] = {q->name, st->fingerprint, call->principal.credential};
	query_run(call, SQL_REVOKE, 3, params, credential_revoked);
}

/* ---------------------------------------------------------------- list */

static void credential_listed(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListCredentialsResponse *r = ARENA_NEW(&call->arena, Planreg__V1__ListCredentialsResponse,
							    planreg__v1__list_credentials_response__init);
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__Credential *c = credential_from_row(call, res, i);
		*(Planreg__V1__Credential **)arena_push(&call->arena, &r->credentials, &r->n_credentials, sizeof c) = c;
	}
	reply_ok(call, r);
}

void credential_list(struct rpc_call *call)
{
	const char *params[1] = {call->req->list_credentials->include_revoked ? "true" : "false"};
	query_run(call, SQL_LIST, 1, params, credential_listed);
}
