/* invite.c - people join by themselves (docs/onboarding.md): invitations (CreateInvitation,
 * ListInvitations, CancelInvitation: admin), joining (GetServerCa and RedeemInvitation, which
 * also come on connections without a client certificate) and renewal (RenewCredential: any
 * credential, for itself). The service issues the certificates (server/issue.c) for keys made on
 * the person's own machine: only a certificate request comes here, never a private key. */
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "invite.h"
#include "issue.h"
#include "joining.h"
#include "log.h"
#include "server.h"
#include "sql.h"
#include "validate.h"
#include "values.h"
#include "xmalloc.h"

/* An invitation lasts this long unless the admin says otherwise, and at most INVITE_MAX_S. */
#define INVITE_DEFAULT_S (72 * 3600)
#define INVITE_MIN_S 60
#define INVITE_MAX_S (30 * 24 * 3600)

/* The one answer to a secret that does not open an invitation, whatever the reason: a guesser
 * learns nothing from it (a wrong secret reads as an expired one). */
#define INVITE_INVALID                                                                                                 \
	"this invitation code cannot be used: it is wrong, was used already, was cancelled or has expired; ask the "   \
	"Combined Authority for a new invitation"

/* SQL reads better laid out by hand. */
/* clang-format off */
#define INVITATION_COLUMNS                                                                                        \
	"i.id, i.org_code AS organisation, i.role, i.person, coalesce(i.email, '') AS email, "                     \
	TS_AS("i.created_at", "created_at") ", i.created_by, " TS_AS("i.expires_at", "expires_at") ","             \
	" CASE WHEN i.used_at IS NOT NULL THEN 'used' WHEN i.cancelled_at IS NOT NULL THEN 'cancelled'"            \
	"  WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END AS state, " TS_AS("i.used_at", "used_at") "," \
	" coalesce(i.credential_name, '') AS credential, " TS_AS("i.cancelled_at", "cancelled_at") ","            \
	" coalesce(i.cancelled_by, '') AS cancelled_by, coalesce(i.person_id, 0) AS person_id"
enum invitation_col {
	INV_ID, INV_ORG, INV_ROLE, INV_PERSON, INV_EMAIL, INV_CREATED_AT, INV_CREATED_BY, INV_EXPIRES_AT, INV_STATE,
	INV_USED_AT, INV_CREDENTIAL, INV_CANCELLED_AT, INV_CANCELLED_BY, INV_PERSON_ID,
};

/* $1 secret hash, $2 organisation, $3 role, $4 person, $5 email, $6 by, $7 seconds, $8 the person of the register
 * it is for (0: none; then it must be a current person of that organisation, whose name fills an empty $4) */
static const char SQL_CREATE[] =
	"INSERT INTO invitation AS i (secret_sha256, org_code, role, person, email, created_by, expires_at, person_id)"
	" SELECT $1, o.code, $3::credential_role, coalesce(nullif($4, ''), x.name), NULLIF($5, ''), $6,"
	"  now() + make_interval(secs => $7::bigint), x.id"
	" FROM organisation o LEFT JOIN org_person x ON x.id = $8::bigint"
	" WHERE lower(o.code) = lower($2) AND ($8::bigint = 0 OR (x.org_code = o.code AND x.ended_at IS NULL))"
	" RETURNING " INVITATION_COLUMNS;
/* $1 organisation, $2 person: why SQL_CREATE made nothing */
static const char SQL_CREATE_WHY[] =
	"SELECT (SELECT code FROM organisation WHERE lower(code) = lower($1)), x.org_code, x.ended_at IS NOT NULL"
	" FROM (SELECT 1) one LEFT JOIN org_person x ON x.id = $2::bigint";
enum create_why_col { WHY_ORG, WHY_PERSON_ORG, WHY_PERSON_ENDED };
static const char SQL_LIST[] = "SELECT " INVITATION_COLUMNS " FROM invitation i ORDER BY i.id DESC";
static const char SQL_CANCEL[] =
	"UPDATE invitation AS i SET cancelled_at = now(), cancelled_by = $2"
	" WHERE i.id = $1::bigint AND i.used_at IS NULL AND i.cancelled_at IS NULL RETURNING " INVITATION_COLUMNS;
static const char SQL_ONE[] = "SELECT " INVITATION_COLUMNS " FROM invitation i WHERE i.id = $1::bigint";

static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
/* Marks the invitation used (the row lock makes a second redemption wait, then find it used) and
 * names the credential after the organisation, the person and the invitation: sefton-ann-williams-7. */
static const char SQL_CLAIM[] =
	"UPDATE invitation SET used_at = now(), credential_name = left(lower(org_code) || '-' || coalesce(nullif("
	"   btrim(regexp_replace(lower(person), '[^a-z0-9]+', '-', 'g'), '-'), ''), 'person'), 48) || '-' || id"
	" WHERE secret_sha256 = $1 AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > now()"
	" RETURNING id, org_code, role, person, credential_name";
enum claim_col { CLAIM_ID, CLAIM_ORG, CLAIM_ROLE, CLAIM_PERSON, CLAIM_NAME };
/* $1 name, $2 fingerprint, $3 organisation, $4 person, $5 role, $6 by, $7 not_after (unix), $8 invitation */
static const char SQL_ENROL[] =
	"INSERT INTO credential AS c (name, fingerprint, org_code, person, role, enrolled_by, not_after, invitation_id)"
	" VALUES ($1, $2, $3, NULLIF($4, ''), $5::credential_role, $6, to_timestamp($7::bigint), $8::bigint)"
	" RETURNING " CREDENTIAL_COLUMNS;

/* Renewal, in one transaction: the credential (still active), any unused earlier renewal of it
 * revoked, the new one enrolled as NAME.rN, the old one retired after the grace period (or, by
 * the session lookup, at once when the new one first connects). */
static const char SQL_RENEW_LOCK[] =
	"SELECT c.retire_at IS NOT NULL, coalesce(c.invitation_id::text, '') FROM credential c"
	" WHERE c.name = $1 AND c.revoked_at IS NULL FOR UPDATE";
enum renew_lock_col { LOCK_RENEWED, LOCK_INVITATION };
static const char SQL_RENEW_DROP_UNUSED[] =
	"UPDATE credential SET revoked_at = now(), revoked_by = 'renewed again by ' || $1"
	" WHERE replaces = $1 AND revoked_at IS NULL AND last_seen_at IS NULL";
/* $1 old name, $2 fingerprint, $3 organisation, $4 person, $5 role, $6 not_after (unix), $7 invitation */
static const char SQL_RENEW_ENROL[] =
	"INSERT INTO credential AS c (name, fingerprint, org_code, person, role, enrolled_by, not_after,"
	"   invitation_id, replaces)"
	" SELECT left(b.base, 56) || '.r' || (1 + coalesce((SELECT max((regexp_match(name, '\\.r([0-9]+)$'))[1]::int)"
	"   FROM credential WHERE starts_with(name, b.base || '.r')), 1)),"
	"   $2, $3, NULLIF($4, ''), $5::credential_role, 'renewal of ' || $1, to_timestamp($6::bigint),"
	"   NULLIF($7, '')::bigint, $1"
	" FROM (SELECT regexp_replace($1, '\\.r[0-9]+$', '') AS base) b RETURNING " CREDENTIAL_COLUMNS;
static const char SQL_RENEW_RETIRE[] =
	"UPDATE credential SET retire_at = now() + make_interval(days => $2::int) WHERE name = $1 AND retire_at IS NULL";
/* clang-format on */

static Planreg__V1__Invitation *invite_from_row(struct rpc_call *call, PGresult *res, int row)
{
	Planreg__V1__Invitation *i = ARENA_NEW(&call->arena, Planreg__V1__Invitation, planreg__v1__invitation__init);
	result_fill(&call->arena, res, row, &i->base);
	i->role = (Planreg__V1__Role)handlers_cell_role(res, row, INV_ROLE);
	return i;
}

/* Refuses a joining request when this deployment issues no certificates. */
static bool invite_issuer_ready(struct rpc_call *call)
{
	if (call->srv->joining.issuer != NULL)
		return true;
	reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "no_issuer",
		    "this deployment issues no certificates, so nobody can join by invitation: the operator sets "
		    "issuer_cert and issuer_key in planregd.conf (docs/onboarding.md); until then enrol certificates "
		    "with `planreg cred enrol`");
	return false;
}

/* ---------------------------------------------------------------- CreateInvitation */

struct invite_create {
	char *code; /* sent once, never stored: the secret is in it */
};

/* No invitation was made: no such organisation, or the person it names is not a current one of it. */
static void invite_create_refused(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__CreateInvitationRequest *q = call->req->create_invitation;
	long long id = (long long)q->person_id;
	if (result_is_null(res, 0, WHY_ORG))
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_not_found",
			    "there is no organisation %s (`planreg org list` shows the codes)", q->organisation);
	else if (result_is_null(res, 0, WHY_PERSON_ORG))
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "person_not_found",
			    "there is no person %lld (`planreg person list` shows their ids)", id);
	else if (result_bool(res, 0, WHY_PERSON_ENDED))
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "person_ended",
			    "person %lld was removed: invite a current person", id);
	else
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "person_not_of_organisation",
			    "person %lld is of %s, not %s: an invitation names a person of the organisation it is for",
			    id, result_value(res, 0, WHY_PERSON_ORG), q->organisation);
}

static void invite_created(struct rpc_call *call, PGresult *res)
{
	struct invite_create *st = call->state;
	if (PQntuples(res) != 1) {
		const Planreg__V1__CreateInvitationRequest *q = call->req->create_invitation;
		const char *params[2] = {q->organisation, rpc_printf(call, "%lld", (long long)q->person_id)};
		query_run(call, SQL_CREATE_WHY, 2, params, invite_create_refused);
		return;
	}
	Planreg__V1__CreateInvitationResponse *r = ARENA_NEW(&call->arena, Planreg__V1__CreateInvitationResponse,
							     planreg__v1__create_invitation_response__init);
	r->invitation = invite_from_row(call, res, 0);
	r->code = st->code;
	log_info("invitation_created", "id=%lld org=%s role=%s person=%s by=%s expires=%s",
		 (long long)r->invitation->id, r->invitation->organisation,
		 values_role_name((enum role)r->invitation->role), log_q(r->invitation->person),
		 call->principal.credential, r->invitation->expires_at);
	reply_ok(call, r);
}

static bool invite_create_valid(struct rpc_call *call, const Planreg__V1__CreateInvitationRequest *q)
{
	validate_org_code(call, "organisation", q->organisation);
	if (!values_role_valid((int)q->role))
		reply_violation(call, "role", "is one of %s", values_role_names());
	validate_text(call, "person", q->person, 200, q->person_id ? 0 : VALIDATE_REQUIRED);
	if (q->person_id < 0)
		reply_violation(call, "person_id", "give a person's id (`planreg person list`), or 0 for none");
	if (q->email[0] != '\0')
		validate_email(call, "email", q->email);
	if (q->expires_seconds != 0 && (q->expires_seconds < INVITE_MIN_S || q->expires_seconds > INVITE_MAX_S))
		reply_violation(call, "expires", "must be between 1 minute and 30 days");
	if (!reply_has_violations(call))
		return true;
	reply_violations(call, "invalid_invitation");
	return false;
}

void invite_create(struct rpc_call *call)
{
	const Planreg__V1__CreateInvitationRequest *q = call->req->create_invitation;
	if (!invite_issuer_ready(call) || !invite_create_valid(call, q))
		return;
	struct joining *j = &call->srv->joining;
	struct invite inv;
	char *err = NULL, hash[INVITE_HASH_SIZE];
	if (!invite_new(&inv, j->public_host, j->public_port, j->server_ca_fp, &err) ||
	    !invite_secret_hash(inv.secret, sizeof inv.secret, hash)) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "invitation_failed", "cannot make an invitation: %s",
			    err ? err : "no random bytes");
		free(err);
		invite_clear(&inv);
		return;
	}
	struct invite_create *st = arena_alloc(&call->arena, sizeof *st);
	char *code = invite_format(&inv);
	st->code = rpc_strdup(call, code);
	invite_free_code(code);
	invite_clear(&inv);
	call->state = st;
	long long seconds = q->expires_seconds ? q->expires_seconds : INVITE_DEFAULT_S;
	const char *params[8] = {hash,
				 q->organisation,
				 values_role_name((enum role)q->role),
				 q->person,
				 q->email,
				 call->principal.credential,
				 rpc_printf(call, "%lld", seconds),
				 rpc_printf(call, "%lld", (long long)q->person_id)};
	query_run(call, SQL_CREATE, 8, params, invite_created);
}

/* ---------------------------------------------------------------- ListInvitations, CancelInvitation */

static void invite_listed(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListInvitationsResponse *r = ARENA_NEW(&call->arena, Planreg__V1__ListInvitationsResponse,
							    planreg__v1__list_invitations_response__init);
	int n = PQntuples(res);
	r->invitations = arena_alloc(&call->arena, (size_t)(n ? n : 1) * sizeof *r->invitations);
	for (int i = 0; i < n; i++)
		r->invitations[r->n_invitations++] = invite_from_row(call, res, i);
	reply_ok(call, r);
}

void invite_list(struct rpc_call *call)
{
	query_run(call, SQL_LIST, 0, NULL, invite_listed);
}

static void invite_cancel_explained(struct rpc_call *call, PGresult *res)
{
	long long id = (long long)call->req->cancel_invitation->id;
	if (PQntuples(res) == 0)
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "invitation_not_found", "there is no invitation %lld",
			    id);
	else
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "invitation_closed",
			    "invitation %lld is %s already: there is nothing to cancel", id,
			    result_value(res, 0, INV_STATE));
}

static void invite_cancelled(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		const char *params[1] = {rpc_printf(call, "%lld", (long long)call->req->cancel_invitation->id)};
		query_run(call, SQL_ONE, 1, params, invite_cancel_explained);
		return;
	}
	Planreg__V1__CancelInvitationResponse *r = ARENA_NEW(&call->arena, Planreg__V1__CancelInvitationResponse,
							     planreg__v1__cancel_invitation_response__init);
	r->invitation = invite_from_row(call, res, 0);
	log_info("invitation_cancelled", "id=%lld by=%s", (long long)r->invitation->id, call->principal.credential);
	reply_ok(call, r);
}

void invite_cancel(struct rpc_call *call)
{
	const char *params[2] = {rpc_printf(call, "%lld", (long long)call->req->cancel_invitation->id),
				 call->principal.credential};
	query_run(call, SQL_CANCEL, 2, params, invite_cancelled);
}

/* ---------------------------------------------------------------- GetServerCa */

void invite_server_ca(struct rpc_call *call)
{
	Planreg__V1__GetServerCaResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetServerCaResponse, planreg__v1__get_server_ca_response__init);
	r->ca_pem = call->srv->joining.server_ca_pem;
	r->ca_fingerprint = call->srv->joining.server_ca_fp;
	reply_ok(call, r);
}

/* ---------------------------------------------------------------- issuing, for both */

/* What redeeming and renewing share: the request parsed, the certificate issued, the reply. */
struct invite_issue {
	X509_REQ *csr;
	struct issue_cert cert;
	bool issued;
	char org[20], person[256], role[16], name[80], invitation[24], secret_hash[INVITE_HASH_SIZE];
	Planreg__V1__Credential *credential;
};

/* Frees what the arena cannot: OpenSSL's request and the issued PEM. Runs when the call ends. */
static void invite_issue_free(struct invite_issue *st)
{
	X509_REQ_free(st->csr);
	st->csr = NULL;
	if (st->issued)
		issue_cert_free(&st->cert);
	st->issued = false;
}

/* The request's CSR, or a refusal; the state is registered to be freed with the call. */
static struct invite_issue *invite_issue_begin(struct rpc_call *call, const ProtobufCBinaryData *csr)
{
	char *err = NULL;
	X509_REQ *req = issue_csr_parse(csr->data, csr->len, &err);
	if (req == NULL) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "invalid_request",
			    "the certificate request cannot be used: %s", err ? err : "unreadable");
		free(err);
		return NULL;
	}
	struct invite_issue *st = arena_alloc(&call->arena, sizeof *st);
	st->csr = req;
	call->state = st;
	call->cleanup = (void (*)(void *))invite_issue_free;
	return st;
}

/* Issues the certificate for st's subject; false when it replied the failure. */
static bool invite_issue_cert(struct rpc_call *call, struct invite_issue *st)
{
	char *err = NULL;
	const char *cn = st->person[0] ? st->person : st->name;
	if (!issue_certificate(call->srv->joining.issuer, st->csr, st->org, cn, call->srv->joining.lifetime_s,
			       time(NULL), &st->cert, &err)) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "cannot_issue",
			    "cannot issue the certificate: %s", err ? err : "unknown reason");
		free(err);
		return false;
	}
	st->issued = true;
	return true;
}

/* ---------------------------------------------------------------- RedeemInvitation */

static void invite_redeemed(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct invite_issue *st = call->state;
	Planreg__V1__RedeemInvitationResponse *r = ARENA_NEW(&call->arena, Planreg__V1__RedeemInvitationResponse,
							     planreg__v1__redeem_invitation_response__init);
	r->certificate_pem = rpc_strdup(call, st->cert.pem);
	r->credential = st->credential;
	r->ca_pem = call->srv->joining.server_ca_pem;
	call->srv->joining.redeemed++;
	log_info("invitation_redeemed", "invitation=%s credential=%s org=%s role=%s serial=%s peer=%s", st->invitation,
		 st->name, st->org, st->role, st->cert.serial, call->conn->peer);
	reply_ok(call, r);
}

static void invite_enrolled(struct rpc_call *call, PGresult *res)
{
	struct invite_issue *st = call->state;
	st->credential = credential_from_row(call, res, 0);
	query_run(call, SQL_COMMIT, 0, NULL, invite_redeemed);
}

static void invite_claimed(struct rpc_call *call, PGresult *res)
{
	struct invite_issue *st = call->state;
	if (PQntuples(res) != 1) {
		joining_failed(call->srv, &call->conn->addr, conn_now_ms());
		log_info("invitation_refused", "peer=%s", call->conn->peer); /* never the secret */
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "invitation_invalid", INVITE_INVALID);
		return;
	}
	snprintf(st->org, sizeof st->org, "%s", result_value(res, 0, CLAIM_ORG));
	snprintf(st->person, sizeof st->person, "%s", result_value(res, 0, CLAIM_PERSON));
	snprintf(st->role, sizeof st->role, "%s", result_value(res, 0, CLAIM_ROLE));
	snprintf(st->name, sizeof st->name, "%s", result_value(res, 0, CLAIM_NAME));
	snprintf(st->invitation, sizeof st->invitation, "%s", result_value(res, 0, CLAIM_ID));
	if (!invite_issue_cert(call, st))
		return; /* the transaction is rolled back with the connection's release: the invitation stays open */
	const char *params[8] = {st->name,
				 st->cert.fingerprint,
				 st->org,
				 st->person,
				 st->role,
				 rpc_printf(call, "invitation %s", st->invitation),
				 rpc_printf(call, "%lld", (long long)st->cert.not_after),
				 st->invitation};
	query_run(call, SQL_ENROL, 8, params, invite_enrolled);
}

static void invite_redeem_begun(struct rpc_call *call, PGresult *res)
{
	(void)res;
	const char *params[1] = {((struct invite_issue *)call->state)->secret_hash};
	query_run(call, SQL_CLAIM, 1, params, invite_claimed);
}

/* The secret as the code carries it (32 hex digits), hashed as the server keeps it; false: not one. */
static bool invite_secret_of(const char *hex, char hash[INVITE_HASH_SIZE])
{
	unsigned char secret[INVITE_SECRET_BYTES];
	if (strlen(hex) != 2 * INVITE_SECRET_BYTES)
		return false;
	for (size_t i = 0; i < INVITE_SECRET_BYTES; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		secret[i] = (unsigned char)v;
	}
	bool ok = invite_secret_hash(secret, sizeof secret, hash);
	memset(secret, 0, sizeof secret);
	return ok;
}

void invite_redeem(struct rpc_call *call)
{
	const Planreg__V1__RedeemInvitationRequest *q = call->req->redeem_invitation;
	unsigned wait_s = 0;
	if (joining_throttled(call->srv, &call->conn->addr, conn_now_ms(), &wait_s)) {
		reply_error(call, PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "too_many_attempts",
			    "too many invitation codes that could not be used came from your address; try again in %u "
			    "s, with the code exactly as the invitation gives it",
			    wait_s);
		return;
	}
	if (!invite_issuer_ready(call))
		return;
	char hash[INVITE_HASH_SIZE];
	if (!invite_secret_of(q->secret, hash)) {
		joining_failed(call->srv, &call->conn->addr, conn_now_ms());
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "invitation_invalid", INVITE_INVALID);
		return;
	}
	struct invite_issue *st = invite_issue_begin(call, &q->csr);
	if (st == NULL)
		return;
	snprintf(st->secret_hash, sizeof st->secret_hash, "%s", hash);
	query_run(call, SQL_BEGIN, 0, NULL, invite_redeem_begun);
}

/* ---------------------------------------------------------------- RenewCredential */

static void invite_renewed(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct invite_issue *st = call->state;
	Planreg__V1__RenewCredentialResponse *r = ARENA_NEW(&call->arena, Planreg__V1__RenewCredentialResponse,
							    planreg__v1__renew_credential_response__init);
	r->certificate_pem = rpc_strdup(call, st->cert.pem);
	r->credential = st->credential;
	log_info("credential_renewed", "credential=%s new=%s serial=%s not_after=%s", call->principal.credential,
		 st->credential->name, st->cert.serial, st->credential->not_after);
	reply_ok(call, r);
}

static void invite_renew_retired(struct rpc_call *call, PGresult *res)
{
	(void)res;
	query_run(call, SQL_COMMIT, 0, NULL, invite_renewed);
}

static void invite_renew_enrolled(struct rpc_call *call, PGresult *res)
{
	struct invite_issue *st = call->state;
	st->credential = credential_from_row(call, res, 0);
	const char *params[2] = {call->principal.credential, rpc_printf(call, "%d", call->srv->cfg->renew_grace_days)};
	query_run(call, SQL_RENEW_RETIRE, 2, params, invite_renew_retired);
}

static void invite_renew_enrol(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct invite_issue *st = call->state;
	if (!invite_issue_cert(call, st))
		return;
	const char *params[7] = {call->principal.credential,
				 st->cert.fingerprint,
				 st->org,
				 st->person,
				 st->role,
				 rpc_printf(call, "%lld", (long long)st->cert.not_after),
				 st->invitation};
	query_run(call, SQL_RENEW_ENROL, 7, params, invite_renew_enrolled);
}

static void invite_renew_locked(struct rpc_call *call, PGresult *res)
{
	struct invite_issue *st = call->state;
	if (PQntuples(res) != 1) {
		call->close_after = true;
		reply_error(call, PLANREG__V1__CODE__UNAUTHENTICATED, "credential_revoked",
			    "credential %s was revoked and cannot be renewed; ask the Combined Authority for a new "
			    "invitation",
			    call->principal.credential);
		return;
	}
	snprintf(st->invitation, sizeof st->invitation, "%s", result_value(res, 0, LOCK_INVITATION));
	const char *params[1] = {call->principal.credential};
	if (result_bool(res, 0, LOCK_RENEWED)) /* renewed before, and that certificate never came into use */
		query_run(call, SQL_RENEW_DROP_UNUSED, 1, params, invite_renew_enrol);
	else
		invite_renew_enrol(call, res);
}

static void invite_renew_begun(struct rpc_call *call, PGresult *res)
{
	(void)res;
	const char *params[1] = {call->principal.credential};
	query_run(call, SQL_RENEW_LOCK, 1, params, invite_renew_locked);
}

void invite_renew(struct rpc_call *call)
{
	if (!invite_issuer_ready(call))
		return;
	struct invite_issue *st = invite_issue_begin(call, &call->req->renew_credential->csr);
	if (st == NULL)
		return;
	const struct principal *p = &call->principal;
	snprintf(st->org, sizeof st->org, "%s", p->organisation);
	snprintf(st->person, sizeof st->person, "%s", p->person);
	snprintf(st->role, sizeof st->role, "%s", values_role_name(p->role));
	snprintf(st->name, sizeof st->name, "%s", p->credential);
	query_run(call, SQL_BEGIN, 0, NULL, invite_renew_begun);
}
