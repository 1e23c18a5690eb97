/* migrate.c - applies migrations/NNNN_*.sql in order under an advisory lock (see migrate.h). */
#include "migrate.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

/* pg_advisory_lock key: "planreg" spelt in ASCII, so other tools can see whose lock it is. */
#define MIGRATE_LOCK_KEY "31644363112211815"

static const char SQL_LOCK[] = "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")";
static const char SQL_CREATE_TABLE[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				       " version integer PRIMARY KEY,"
				       " name text NOT NULL,"
				       " checksum text NOT NULL,"
				       " applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_APPLIED[] = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
enum applied_col { APPLIED_VERSION, APPLIED_NAME, APPLIED_CHECKSUM };
static const char SQL_RECORD[] = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

struct migrate_applied {
	int version;
	char *name;
	char *checksum;
};

static void migrate_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* "relation already exists, skipping" and the like are expected */
}

static void migrate_sha256(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	text_hex(md, n, out);
}

/* Runs a statement that returns no rows or some rows; true when it succeeded. */
static bool migrate_exec(PGconn *pg, const char *sql, PGresult **out, char **err)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*err = xasprintf("%s", PQresultErrorMessage(r));
		PQclear(r);
		return false;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return true;
}

static int migrate_version_of(const char *name)
{
	int v = 0;
	int digits = 0;
	for (const char *p = name; *p >= '0' && *p <= '9'; p++, digits++)
		v = v * 10 + (*p - '0');
	return (digits == 4 && name[4] == '_') ? v : -1;
}

static bool migrate_apply(PGconn *pg, const struct embedded_file *m, int version, const char *checksum, FILE *out,
			  char **err)
{
	char *e = NULL;
	if (!migrate_exec(pg, "BEGIN", NULL, &e))
		goto fail;
	if (!migrate_exec(pg, m->data, NULL, &e))
		goto rollback;
	char vbuf[16];
	snprintf(vbuf, sizeof vbuf, "%d", version);
	const char *params[3] = {vbuf, m->name, checksum};
	PGresult *r = PQexecParams(pg, SQL_RECORD, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		e = xstrdup(PQresultErrorMessage(r));
		PQclear(r);
		goto rollback;
	}
	PQclear(r);
	if (!migrate_exec(pg, "COMMIT", NULL, &e))
		goto fail;
	fprintf(out, "applied %s\n", m->name);
	return true;
rollback:
	PQclear(PQexec(pg, "ROLLBACK"));
fail:
	*err = xasprintf("migration %s failed and was rolled back: %s", m->name, e ? e : "unknown error");
	free(e);
	return false;
}

/* The migration of this build with that version (the last, were two to share it), or NULL. */
static const struct embedded_file *migrate_find(int version)
{
	const struct embedded_file *m = NULL;
	for (const struct embedded_file *f = embedded_migrations; f->name; f++)
		if (migrate_version_of(f->name) == version)
			m = f;
	return m;
}

/* Every recorded migration (SQL_APPLIED's rows) must be one this build has, unchanged; false with *e set. */
static bool migrate_check_applied(PGresult *applied, char **e)
{
	for (int i = 0; i < PQntuples(applied); i++) {
		const char *name = PQgetvalue(applied, i, APPLIED_NAME);
		const char *recorded = PQgetvalue(applied, i, APPLIED_CHECKSUM);
		const struct embedded_file *m = migrate_find(atoi(PQgetvalue(applied, i, APPLIED_VERSION)));
		if (m == NULL) {
			*e = xasprintf("the database has migration %s, which this planregd does not have; "
				       "run the planregd that applied it (or a newer one)",
				       name);
			return false;
		}
		char sum[65];
		migrate_sha256(m->data, m->len, sum);
		if (strcmp(sum, recorded) != 0) {
			*e = xasprintf("migration %s was changed after it was applied (file checksum %.12s, recorded "
				       "%.12s); restore the file as it was and put the change in a new migration",
				       m->name, sum, recorded);
			return false;
		}
	}
	return true;
}

static bool migrate_is_applied(PGresult *applied, int version)
{
	for (int i = 0; i < PQntuples(applied); i++)
		if (atoi(PQgetvalue(applied, i, APPLIED_VERSION)) == version)
			return true;
	return false;
}

/* Applies, in order, each migration of this build not among those applied; how many, or -1 with *e set. */
static int migrate_apply_new(PGconn *pg, PGresult *applied, FILE *out, char **e)
{
	int n_new = 0;
	for (const struct embedded_file *m = embedded_migrations; m->name; m++) {
		int version = migrate_version_of(m->name);
		if (version < 0) {
			*e = xasprintf("migration file %s is not named NNNN_name.sql", m->name);
			return -1;
		}
		if (migrate_is_applied(applied, version))
			continue;
		char sum[65];
		migrate_sha256(m->data, m->len, sum);
		if (!migrate_apply(pg, m, version, sum, out, e))
			return -1;
		n_new++;
	}
	return n_new;
}

bool migrate_run(const char *dsn, FILE *out, char **err)
{
	PGconn *pg = PQconnectdb(dsn);
	if (PQstatus(pg) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return false;
	}
	PQsetNoticeProcessor(pg, migrate_notice, NULL);

	bool ok = false;
	bool locked = false;
	PGresult *applied = NULL;
	char *e = NULL;
	if (!migrate_exec(pg, SQL_LOCK, NULL, &e))
		goto done;
	locked = true;
	if (!migrate_exec(pg, SQL_CREATE_TABLE, NULL, &e) || !migrate_exec(pg, SQL_APPLIED, &applied, &e))
		goto done;
	if (!migrate_check_applied(applied, &e))
		goto done;
	int n_applied = PQntuples(applied);
	int n_new = migrate_apply_new(pg, applied, out, &e);
	if (n_new < 0)
		goto done;
	if (n_new == 0)
		fprintf(out, "database is up to date (%d migrations applied)\n", n_applied);
	else
		fprintf(out, "applied %d migration%s; %d in all\n", n_new, n_new == 1 ? "" : "s", n_applied + n_new);
	ok = true;
done:
	if (applied)
		PQclear(applied);
	if (locked) {
		char *ignored = NULL;
		if (!migrate_exec(pg, SQL_UNLOCK, NULL, &ignored))
			free(ignored);
	}
	PQfinish(pg);
	if (!ok)
		*err = e;
	else
		free(e);
	return ok;
}
