/* enrol.c - `planregd enrol`: writes a credential straight into the database.
 * It exists to bootstrap the first admin, who then enrols everyone else over
 * the wire with `planreg cred enrol`. Blocking libpq: a command, not the loop. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "main.h"
#include "tls.h"
#include "values.h"
#include "xmalloc.h"

/* The organisation may not exist yet (the plan is imported by this admin):
 * create it known only by its code; the import fills in its name and kind. */
static const char SQL_ENSURE_ORG[] =
	"INSERT INTO organisation (code, name, kind) VALUES ($1::text, $1::text, 'other') ON CONFLICT DO NOTHING";
static const char SQL_ENROL[] =
	"INSERT INTO credential (name, fingerprint, org_code, person, role, enrolled_by)"
	" VALUES ($1, $2, (SELECT code FROM organisation WHERE lower(code) = lower($3)), NULLIF($4, ''),"
	" $5::credential_role, 'planregd enrol')";

int main_enrol(const struct config *cfg, int argc, char **argv, char **err)
{
	if (argc < 4 || argc > 5) {
		*err = xstrdup("usage: planregd enrol NAME ORG ROLE FINGERPRINT [PERSON]");
		return 2;
	}
	const char *name = argv[0], *org = argv[1], *role = argv[2], *person = argc == 5 ? argv[4] : "";
	char fp[65];
	enum role r;
	if (!values_role_parse(role, &r)) {
		*err = xasprintf("role \"%s\" is not one of %s", role, values_role_names());
		return 2;
	}
	if (!tls_normalise_fingerprint(argv[3], fp)) {
		*err = xasprintf("fingerprint \"%s\" is not a SHA-256 fingerprint (64 hex digits, colons allowed)",
				 argv[3]);
		return 2;
	}

	PGconn *pg = PQconnectdb(cfg->db_dsn);
	if (PQstatus(pg) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return 1;
	}
	int rc = 0;
	const char *p1[1] = {org};
	PGresult *res = PQexecParams(pg, SQL_ENSURE_ORG, 1, NULL, p1, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*err = xasprintf("cannot create organisation %s: %s", org, PQresultErrorMessage(res));
		rc = 1;
	}
	PQclear(res);
	if (rc == 0) {
		const char *p[5] = {name, fp, org, person, role};
		res = PQexecParams(pg, SQL_ENROL, 5, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			if (state && strcmp(state, "23505") == 0)
				*err = xasprintf("a credential with name %s or this fingerprint is already enrolled",
						 name);
			else
				*err = xasprintf("cannot enrol %s: %s", name, PQresultErrorMessage(res));
			rc = 1;
		} else {
			printf("enrolled %s (%s, %s) fingerprint %s\n", name, org, role, fp);
		}
		PQclear(res);
	}
	PQfinish(pg);
	return rc;
}
