/* session.c - the credential behind a connection, and the principal cache (see session.h). */
#include "session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db_error.h"
#include "handlers/sql.h"
#include "log.h"
#include "query.h"
#include "reply.h"
#include "result.h"
#include "server.h"
#include "tls.h"
#include "values.h"
#include "xmalloc.h"

/* Who the certificate is, and on the way: when it was last seen (written at most every ten
 * minutes), and a renewal's first use retires the credential it replaces (docs/onboarding.md). A
 * credential whose retire_at has passed counts as revoked. */
static const char SQL_CREDENTIAL[] =
	"WITH seen AS (UPDATE credential SET last_seen_at = now() WHERE fingerprint = $1 AND revoked_at IS NULL"
	"   AND (last_seen_at IS NULL OR last_seen_at < now() - interval '10 minutes') RETURNING 1),"
	" retired AS (UPDATE credential o SET revoked_at = now(), revoked_by = 'renewed as ' || n.name"
	"   FROM credential n WHERE n.fingerprint = $1 AND n.revoked_at IS NULL"
	"   AND (n.retire_at IS NULL OR n.retire_at > now()) AND o.name = n.replaces AND o.revoked_at IS NULL"
	"   RETURNING 1)"
	" SELECT name, org_code, coalesce(person, ''), role, revoked_at IS NOT NULL OR retire_at <= now(), " TS(
		"coalesce(revoked_at, retire_at)") ", revoked_at IS NULL AND retire_at <= now()"
						   " FROM credential WHERE fingerprint = $1"; /* the two writes run
												 whatever the SELECT
												 reads */
enum { CRED_NAME, CRED_ORG, CRED_PERSON, CRED_ROLE, CRED_REVOKED, CRED_REVOKED_AT, CRED_RETIRED };

/* Why a connection may not go on: what its answer says. */
struct session_refusal {
	status_code code;
	const char *reason;
	char message[640];
};

static bool session_refuse(struct session_refusal *r, status_code code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool session_refuse(struct session_refusal *r, status_code code, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	r->code = code;
	r->reason = reason;
	return false;
}

/*
 * The certificate's subject O must name the organisation its credential is enrolled for
 * (docs/protocol.md: O = organisation code), on every request as at connect: a certificate
 * issued for one organisation and enrolled (by mistake or by a compromised admin tool) for
 * another is refused rather than trusted for either. Codes compare case-insensitively.
 */
static bool session_check_org(const struct conn *c, const char *name, const char *enrolled, struct session_refusal *r)
{
	char cn[256], org[256];
	if (c->ssl == NULL)
		return session_refuse(r, PLANREG__V1__CODE__UNAVAILABLE, "connection_closed",
				      "the connection closed before its certificate could be checked");
	bool ok = tls_peer_subject(c->ssl, cn, sizeof cn, org, sizeof org);
	if (ok && org[0] != '\0' && strcasecmp(org, enrolled) == 0)
		return true;
	if (!ok || org[0] == '\0')
		return session_refuse(r, PLANREG__V1__CODE__UNAUTHENTICATED, "organisation_mismatch",
				      "this certificate carries no single organisation (subject O) but credential %s "
				      "is enrolled for organisation %s; ask an admin for a certificate issued for %s",
				      name, enrolled, enrolled);
	return session_refuse(r, PLANREG__V1__CODE__UNAUTHENTICATED, "organisation_mismatch",
			      "this certificate carries organisation (subject O) %s but credential %s is enrolled "
			      "for organisation %s; ask an admin for a certificate issued for %s, or to enrol "
			      "this one for %s",
			      org, name, enrolled, enrolled, org);
}

/* Reads the lookup's row into p; false with *r filled when the connection may not go on. */
static bool session_read(const struct conn *c, const PGresult *res, struct principal *p, struct session_refusal *r)
{
	if (PQntuples(res) != 1)
		return session_refuse(r, PLANREG__V1__CODE__UNAUTHENTICATED, "certificate_not_enrolled",
				      "this certificate (SHA-256 %s) is not enrolled; ask an admin to run "
				      "`planreg cred enrol` for it",
				      c->fingerprint);
	if (result_bool(res, 0, CRED_RETIRED))
		return session_refuse(r, PLANREG__V1__CODE__UNAUTHENTICATED, "credential_revoked",
				      "credential %s was renewed and retired at %s; use the renewed certificate (the "
				      "CLI keeps it where the old one was), or ask the Combined Authority for a new "
				      "invitation",
				      result_value(res, 0, CRED_NAME), result_value(res, 0, CRED_REVOKED_AT));
	if (result_bool(res, 0, CRED_REVOKED))
		return session_refuse(r, PLANREG__V1__CODE__UNAUTHENTICATED, "credential_revoked",
				      "credential %s was revoked at %s; ask an admin for a new certificate",
				      result_value(res, 0, CRED_NAME), result_value(res, 0, CRED_REVOKED_AT));
	if (!session_check_org(c, result_value(res, 0, CRED_NAME), result_value(res, 0, CRED_ORG), r))
		return false;
	snprintf(p->credential, sizeof p->credential, "%s", result_value(res, 0, CRED_NAME));
	snprintf(p->organisation, sizeof p->organisation, "%s", result_value(res, 0, CRED_ORG));
	snprintf(p->person, sizeof p->person, "%s", result_value(res, 0, CRED_PERSON));
	snprintf(p->fingerprint, sizeof p->fingerprint, "%s", c->fingerprint);
	if (!values_role_parse(result_value(res, 0, CRED_ROLE), &p->role))
		p->role = ROLE_UNSPECIFIED;
	return true;
}

/* ---------------------------------------------------------------- the cache */

bool session_principal_fresh(const struct conn *c)
{
	const struct server *srv = c->tab->owner;
	return c->principal_cached && srv->cred_listening && c->principal_epoch == srv->cred_epoch &&
	       conn_now_ms() - c->principal_cached_ms < SESSION_PRINCIPAL_TTL_MS;
}

/* Caches the principal found by a lookup sent at epoch and notices (the server's counters
 * then); nothing is cached when a revocation was heard meanwhile. */
static void session_cache(struct conn *c, uint64_t epoch, uint64_t notices)
{
	const struct server *srv = c->tab->owner;
	if (!conn_is_usable(c) || !srv->cred_listening || epoch != srv->cred_epoch || notices != srv->cred_notices)
		return; /* the lookup may predate a revocation heard since: the next request looks again */
	c->principal_cached = true;
	c->principal_epoch = epoch;
	c->principal_cached_ms = conn_now_ms();
}

void session_credential_revoked(struct server *srv, const char *fingerprint)
{
	srv->cred_notices++;
	struct conn *c;
	LIST_FOREACH(c, &srv->conns.all, link)
	{
		if (c->principal_cached && strcmp(c->fingerprint, fingerprint) == 0) {
			c->principal_cached = false;
			log_debug("conn_principal_dropped", "conn=%llu cred=%s", (unsigned long long)c->id,
				  c->principal.credential);
		}
	}
}

void session_credential_notice(const char *fingerprint, bool listening, void *arg)
{
	struct server *srv = arg;
	if (fingerprint != NULL) {
		session_credential_revoked(srv, fingerprint);
		return;
	}
	srv->cred_listening = listening;
	srv->cred_epoch++;
	srv->cred_notices++;
}

/* ---------------------------------------------------------------- before a request */

static void session_have_principal(struct rpc_call *call, PGresult *res)
{
	struct session_refusal r;
	if (!session_read(call->conn, res, &call->principal, &r)) {
		call->close_after = true;
		reply_error(call, r.code, r.reason, "%s", r.message);
		return;
	}
	session_cache(call->conn, call->cred_epoch, call->cred_notices);
	rpc_run(call);
}

void session_check(struct rpc_call *call)
{
	struct conn *c = call->conn;
	if (c->anonymous) { /* no certificate, no credential: the method table admitted it */
		rpc_run(call);
		return;
	}
	if (session_principal_fresh(c)) {
		/* no revocation was heard since the lookup: the principal stands */
		call->principal = c->principal;
		rpc_run(call);
		return;
	}
	call->cred_epoch = call->srv->cred_epoch;
	call->cred_notices = call->srv->cred_notices;
	call->srv->metrics.credential_lookups++;
	const char *params[1] = {c->fingerprint};
	query_run(call, SQL_CREDENTIAL, 1, params, session_have_principal);
}

/* ---------------------------------------------------------------- at connect */

/* One connect-time lookup: holds a reference on its connection until it is done. */
struct session_lookup {
	struct conn *conn;
	struct server *srv;
	struct db_conn *db;
	uint64_t epoch, notices;
};

static void session_lookup_done(struct session_lookup *lk)
{
	if (lk->db != NULL)
		db_release(lk->db);
	conn_unref(lk->conn);
	free(lk);
}

/* The connection cannot be authenticated: say why (a Response with id 0) and close it. */
static void session_fail(struct session_lookup *lk, status_code code, const char *reason, const char *message)
{
	conn_connection_error(lk->conn, code, reason, "%s", message);
	conn_close(lk->conn, reason);
	session_lookup_done(lk);
}

static void session_have_row(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct session_lookup *lk = arg;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		struct db_error_answer a;
		db_error_describe(res, error, "looking up the certificate's credential", "-", &a);
		session_fail(lk, a.code, a.reason, a.message);
		return;
	}
	struct principal p;
	struct session_refusal r;
	if (!session_read(lk->conn, res, &p, &r)) {
		session_fail(lk, r.code, r.reason, r.message);
		return;
	}
	conn_authenticated(lk->conn, &p);
	session_cache(lk->conn, lk->epoch, lk->notices);
	session_lookup_done(lk);
}

static void session_have_db(struct db_conn *dc, bool exhausted, const char *error, void *arg)
{
	struct session_lookup *lk = arg;
	char msg[512];
	if (dc == NULL) {
		snprintf(msg, sizeof msg,
			 exhausted ? "the server is busy (%s); try again shortly" : "%s; try again shortly", error);
		session_fail(lk, exhausted ? PLANREG__V1__CODE__RESOURCE_EXHAUSTED : PLANREG__V1__CODE__UNAVAILABLE,
			     exhausted ? "server_busy" : "database_unavailable", msg);
		return;
	}
	lk->db = dc;
	lk->epoch = lk->srv->cred_epoch;
	lk->notices = lk->srv->cred_notices;
	lk->srv->metrics.credential_lookups++;
	const char *params[1] = {lk->conn->fingerprint};
	if (!db_query(dc, SQL_CREDENTIAL, 1, params, session_have_row, lk))
		session_fail(lk, PLANREG__V1__CODE__INTERNAL, "bug", "query issued without a database connection");
}

void session_authenticate(struct conn *c)
{
	struct session_lookup *lk = xcalloc(1, sizeof *lk);
	lk->conn = c;
	lk->srv = c->tab->owner;
	conn_ref(c);
	db_pool_acquire(lk->srv->pool, session_have_db, lk);
}
