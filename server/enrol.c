/* enrol.c - `planregd enrol` and `planregd invite`: a credential, or an invitation, written straight into the
 * database. They exist to bootstrap the first admin (who then invites or enrols everyone else over the wire);
 * `planregd invite` prints a code that `planreg join` redeems, so the admin's key too is made on the admin's
 * own machine. Blocking libpq: a command, not the loop. */
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certfile.h"
#include "invite.h"
#include "joining.h"
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

/* ---------------------------------------------------------------- planregd invite */

/* The invitation, written by the owner as CreateInvitation would, with the organisation made when missing (the
 * first admin's, before any plan is imported). $1 secret hash, $2 organisation, $3 role, $4 person, $5 email,
 * $6 seconds. */
static const char SQL_INVITE[] =
	"INSERT INTO invitation (secret_sha256, org_code, role, person, email, created_by, expires_at)"
	" SELECT $1, o.code, $3::credential_role, $4, NULLIF($5, ''), 'planregd invite',"
	" now() + make_interval(secs => $6::bigint) FROM organisation o WHERE lower(o.code) = lower($2)"
	" RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

struct main_invite {
	const char *org, *role, *person, *email;
	long long seconds;
	char host[JOINING_HOST_SIZE], ca_fp[CERTFILE_FP_SIZE];
	unsigned port;
};

/* --expires as written (30m, 72h, 7d) in seconds; false when not one from a minute to 30 days. */
static bool main_invite_duration(const char *text, long long *seconds)
{
	char *end;
	long long n = strtoll(text, &end, 10);
	long long unit = strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600 : strcmp(end, "d") == 0 ? 86400 : 0;
	if (end == text || unit == 0 || n <= 0 || n > 30 * 86400)
		return false;
	*seconds = n * unit;
	return *seconds >= 60 && *seconds <= 30 * 86400;
}

/* The options after `invite`; 0, or 2 with *err. */
static int main_invite_options(struct main_invite *iv, int argc, char **argv, char **err)
{
	static const struct option opts[] = {
		{"org", required_argument, NULL, 'o'},     {"role", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},    {"email", required_argument, NULL, 'e'},
		{"expires", required_argument, NULL, 'x'}, {NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: planregd invite --org CODE --role ROLE --name NAME [--email ADDR] "
				    "[--expires 72h]";
	int ch;
	optind = 0; /* a new scan of these arguments */
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			iv->org = optarg;
			break;
		case 'r':
			iv->role = optarg;
			break;
		case 'n':
			iv->person = optarg;
			break;
		case 'e':
			iv->email = optarg;
			break;
		case 'x':
			if (main_invite_duration(optarg, &iv->seconds))
				break;
			*err = xasprintf("--expires takes 30m, 72h or 7d (1 minute to 30 days), not \"%s\"", optarg);
			return 2;
		default:
			*err = xstrdup(usage);
			return 2;
		}
	}
	enum role r;
	if (optind != argc || iv->org == NULL || iv->role == NULL || iv->person == NULL) {
		*err = xstrdup(usage);
		return 2;
	}
	if (!values_role_parse(iv->role, &r)) {
		*err = xasprintf("role \"%s\" is not one of %s", iv->role, values_role_names());
		return 2;
	}
	return 0;
}

/* Where the code sends the joiner, and the CA it pins: as the daemon of this configuration writes them; 0 or 2. */
static int main_invite_address(const struct config *cfg, struct main_invite *iv, char **err)
{
	if (cfg->public_address[0] == '\0' && cfg->listen_port == 0) {
		*err = xstrdup("listen_port is 0 (chosen at start), so the code cannot name the port: set "
			       "public_address = HOST:PORT");
		return 2;
	}
	const char *ca = cfg->server_ca[0] ? cfg->server_ca : cfg->tls_ca;
	if (!joining_address(cfg, cfg->listen_port, iv->host, &iv->port, err))
		return 2;
	if (ca[0] == '\0') {
		*err = xstrdup("neither server_ca nor tls_ca is set: the code must pin the CA that verifies this "
			       "server");
		return 2;
	}
	if (!certfile_fingerprint_file(ca, iv->ca_fp, err))
		return 2;
	if (cfg->issuer_cert[0] == '\0' || cfg->issuer_key[0] == '\0')
		fprintf(stderr, "planregd: warning: issuer_cert and issuer_key are not set: planregd cannot issue "
				"the certificate for this invitation until they are (docs/onboarding.md)\n");
	return 0;
}

/* Writes the invitation of hash; 0 with its id and expiry printed with the code, else 1 with *err. */
static int main_invite_write(const struct config *cfg, const struct main_invite *iv, const char *hash, const char *code,
			     char **err)
{
	PGconn *pg = PQconnectdb(cfg->db_dsn);
	if (PQstatus(pg) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return 1;
	}
	char secs[24];
	snprintf(secs, sizeof secs, "%lld", iv->seconds ? iv->seconds : 72LL * 3600);
	const char *p1[1] = {iv->org};
	PGresult *res = PQexecParams(pg, SQL_ENSURE_ORG, 1, NULL, p1, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	const char *p[6] = {hash, iv->org, iv->role, iv->person, iv->email ? iv->email : "", secs};
	res = ok ? PQexecParams(pg, SQL_INVITE, 6, NULL, p, NULL, NULL, 0) : NULL;
	ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok) {
		printf("%s\n", code);
		fprintf(stderr,
			"planregd: invitation %s for %s (%s, %s), usable once until %s; on their own machine they "
			"run:\n"
			"  planreg join '%s'\n",
			PQgetvalue(res, 0, 0), iv->person, iv->org, iv->role, PQgetvalue(res, 0, 1), code);
	} else {
		*err = xasprintf("cannot write the invitation: %s",
				 res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
	}
	PQclear(res);
	PQfinish(pg);
	return ok ? 0 : 1;
}

int main_invite(const struct config *cfg, int argc, char **argv, char **err)
{
	struct main_invite iv = {0};
	int rc = main_invite_options(&iv, argc, argv, err);
	if (rc == 0)
		rc = main_invite_address(cfg, &iv, err);
	if (rc != 0)
		return rc;
	struct invite inv;
	char hash[INVITE_HASH_SIZE];
	if (!invite_new(&inv, iv.host, iv.port, iv.ca_fp, err) ||
	    !invite_secret_hash(inv.secret, sizeof inv.secret, hash)) {
		if (*err == NULL)
			*err = xstrdup("cannot make an invitation: no random bytes");
		invite_clear(&inv);
		return 1;
	}
	char *code = invite_format(&inv);
	invite_clear(&inv);
	rc = main_invite_write(cfg, &iv, hash, code, err);
	invite_free_code(code);
	return rc;
}
