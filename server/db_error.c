/* db_error.c - the SQLSTATE table and its use (see db_error.h). */
#include "db_error.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "reply.h"

/* One line of the table. sqlstate is a whole code (5 characters) or a class (2). The message
 * may name {doing}, {primary} (our own RAISE text, written for users), {ref} and {col}. */
struct db_error_rule {
	const char *sqlstate;
	const char *constraint; /* NULL: any */
	status_code code;
	const char *reason;
	enum log_level level;
	const char *message;
};

#define C(x) PLANREG__V1__CODE__##x
#define STOPPED "the database stopped serving while {doing}; try again shortly (reference {ref})"
#define CLASHED "{doing} clashed with a change made at the same moment and was undone; try again"
#define DANGLING "{doing}: refused, because it names a record that does not exist or other records still name it{col}"

/* First match wins. */
static const struct db_error_rule db_error_rules[] = {
	{"P0001", NULL, C(FAILED_PRECONDITION), "refused", LOG_INFO, "{doing}: {primary}"},
	/* planreg's own: a plan a request names is not there (planreg_plan_id, migrations/0016) */
	{"PR404", NULL, C(NOT_FOUND), "plan_not_found", LOG_INFO, "{doing}: {primary}"},
	{"57014", NULL, C(DEADLINE_EXCEEDED), "statement_timeout", LOG_WARN,
	 "{doing} was cancelled: it ran longer than the database allows (statement timeout); ask for less or try "
	 "again (reference {ref})"},
	/* 57P01-03 and the rest of class 57: an operator or a restart stopped the database */
	{"08", NULL, C(UNAVAILABLE), "database_unavailable", LOG_WARN, STOPPED},
	{"57", NULL, C(UNAVAILABLE), "database_unavailable", LOG_WARN, STOPPED},
	{"55P03", NULL, C(UNAVAILABLE), "database_busy", LOG_WARN,
	 "{doing} waited too long for data another request was changing; try again shortly (reference {ref})"},
	{"53", NULL, C(RESOURCE_EXHAUSTED), "database_resources", LOG_ERROR,
	 "the database ran short of resources (disk, memory or connections) while {doing}; try again later "
	 "(reference {ref})"},
	{"40001", NULL, C(ABORTED), "conflict", LOG_WARN, CLASHED},
	{"40P01", NULL, C(ABORTED), "conflict", LOG_WARN, CLASHED},
	/* another writer extended the chain at the same moment (migrations/0005) */
	{"23505", "progress_update_prev_hash_key", C(ABORTED), "conflict", LOG_WARN, CLASHED},
	{"23505", NULL, C(ALREADY_EXISTS), "already_exists", LOG_INFO, "{doing}: already exists"},
	{"23503", NULL, C(FAILED_PRECONDITION), "still_referenced", LOG_INFO, DANGLING},
	{"23001", NULL, C(FAILED_PRECONDITION), "still_referenced", LOG_INFO, DANGLING},
	{"23502", NULL, C(INVALID_ARGUMENT), "invalid_value", LOG_INFO, "{doing}: a required value is missing{col}"},
	{"23", NULL, C(INVALID_ARGUMENT), "invalid_value", LOG_INFO, "{doing}: a value is not allowed{col}"},
	{"22", NULL, C(INVALID_ARGUMENT), "invalid_value", LOG_INFO,
	 "{doing}: a value is not valid (out of range, too long or badly formed){col}"},
};

static const struct db_error_rule db_error_other = {
	"",          NULL,
	C(INTERNAL), "database_error",
	LOG_ERROR,   "{doing}: internal error, reference {ref}; the daemon's log has the details"};

#define DB_ERROR_REF_MAX 16 /* "r-" + 8 hex digits + NUL, with room */

/* "r-" and 8 hex digits: ties what a client was told to the daemon's log line with the details. */
static void db_error_reference(char out[DB_ERROR_REF_MAX])
{
	static uint32_t fallback;
	uint8_t b[4];
	if (RAND_bytes(b, sizeof b) != 1) {
		ERR_clear_error();
		uint32_t x = (uint32_t)time(NULL) ^ (++fallback * 2654435761u);
		memcpy(b, &x, sizeof b);
	}
	snprintf(out, DB_ERROR_REF_MAX, "r-%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

static const struct db_error_rule *db_error_rule_for(const char *state, const char *constraint)
{
	for (size_t i = 0; i < sizeof db_error_rules / sizeof db_error_rules[0]; i++) {
		const struct db_error_rule *r = &db_error_rules[i];
		if (strncmp(state, r->sqlstate, strlen(r->sqlstate)) != 0)
			continue;
		if (r->constraint != NULL && (constraint == NULL || strcmp(constraint, r->constraint) != 0))
			continue;
		return r;
	}
	return &db_error_other;
}

/* The values a message template may name. */
struct db_error_words {
	const char *doing, *primary, *ref, *col;
};

/* Expands {name} in template into out. */
static void db_error_expand(const char *template, const struct db_error_words *w, char *out, size_t n)
{
	static const char *const names[] = {"{doing}", "{primary}", "{ref}", "{col}"};
	const char *values[] = {w->doing, w->primary, w->ref, w->col};
	size_t used = 0;
	for (const char *p = template; *p && used + 1 < n;) {
		size_t k = 0;
		while (k < 4 && strncmp(p, names[k], strlen(names[k])) != 0)
			k++;
		if (k == 4) {
			out[used++] = *p++;
			continue;
		}
		int wrote = snprintf(out + used, n - used, "%s", values[k]);
		used = wrote < 0 ? used : used + (size_t)wrote < n ? used + (size_t)wrote : n - 1;
		p += strlen(names[k]);
	}
	out[used] = '\0';
}

/* No result: the connection failed, or the pool gave up on the query (its deadline). */
static void db_error_no_result(const char *pool_error, const char *doing, struct db_error_answer *out)
{
	out->code = C(UNAVAILABLE);
	out->reason = "database_unavailable";
	if (pool_error != NULL && pool_error[0])
		snprintf(out->message, sizeof out->message, "%s; try again", pool_error);
	else
		snprintf(out->message, sizeof out->message, "the database connection was lost while %s; try again",
			 doing);
}

void db_error_describe(const PGresult *res, const char *pool_error, const char *doing, const char *method,
		       struct db_error_answer *out)
{
	if (res == NULL) {
		db_error_no_result(pool_error, doing, out);
		return;
	}
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const char *table = PQresultErrorField(res, PG_DIAG_TABLE_NAME);
	const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
	char ref[DB_ERROR_REF_MAX], col[160] = "";
	db_error_reference(ref);
	if (column && column[0])
		snprintf(col, sizeof col, " (column %s)", column);
	const struct db_error_rule *r = db_error_rule_for(state ? state : "", constraint);
	struct db_error_words w = {doing, primary ? primary : "unknown error", ref, col};
	db_error_expand(r->message, &w, out->message, sizeof out->message);
	out->code = r->code;
	out->reason = r->reason;
	log_event(r->level, "db_error",
		  "reference=%s method=%s doing=%s sqlstate=%s error=%s detail=%s constraint=%s table=%s column=%s",
		  ref, method, log_q(doing), state ? state : "", log_q(w.primary), log_q(detail ? detail : ""),
		  log_q(constraint ? constraint : ""), log_q(table ? table : ""), log_q(column ? column : ""));
}

void db_error_reply(struct rpc_call *call, const PGresult *res, const char *pool_error, const char *doing)
{
	struct db_error_answer a;
	db_error_describe(res, pool_error, doing, call->method ? call->method->name : "-", &a);
	reply_error(call, a.code, a.reason, "%s", a.message);
}
