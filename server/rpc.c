/* rpc.c - a request's way through the daemon (see rpc.h):
 * conn.c decodes -> rpc_dispatch -> lease a database connection -> look up the
 * credential -> auth.c decides -> handlers/<family>.c -> rpc_reply -> conn.c writes. */
#include "rpc.h"

#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "decode.h"
#include "frame.h"
#include "handlers/handlers.h"
#include "log.h"
#include "server.h"
#include "text.h"
#include "tls.h"
#include "values.h"
#include "xmalloc.h"

/*
 * Every request kind, its handler, and whether it is a read: the one place that decides
 * what may run on the replica (read_db_dsn, docs/scale-out.md). A read changes nothing and
 * may see the register a moment old. Credentials stay on the primary: who may do what is
 * never read from a copy that may lag behind a revocation.
 */
static const struct rpc_method rpc_methods[] = {
	{PLANREG__V1__REQUEST__BODY_WHOAMI, "Whoami", register_whoami, true},
	{PLANREG__V1__REQUEST__BODY_LIST_THEMES, "ListThemes", register_list_themes, true},
	{PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS, "ListOrganisations", register_list_organisations, true},
	{PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION, "UpsertOrganisation", register_upsert_organisation, false},
	{PLANREG__V1__REQUEST__BODY_LIST_PROJECTS, "ListProjects", register_list_projects, true},
	{PLANREG__V1__REQUEST__BODY_GET_PROJECT, "GetProject", register_get_project, true},
	{PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, "ImportPlan", import_plan, false},
	{PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL, "EnrolCredential", credential_enrol, false},
	{PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL, "RevokeCredential", credential_revoke, false},
	{PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS, "ListCredentials", credential_list, false},
	{PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, "SubmitUpdate", update_submit, false},
	{PLANREG__V1__REQUEST__BODY_GET_UPDATE, "GetUpdate", update_get, true},
	{PLANREG__V1__REQUEST__BODY_LIST_UPDATES, "ListUpdates", update_list, true},
	{PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE, "ReviewUpdate", update_review, false},
	{PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE, "UpdateTemplate", update_template, true},
	{PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT, "VerifyAudit", audit_verify, true},
	{PLANREG__V1__REQUEST__BODY_GET_STATUS, "GetStatus", status_get, true},
	{PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING, "ListOutstanding", status_outstanding, true},
	{PLANREG__V1__REQUEST__BODY_GET_TIMELINESS, "GetTimeliness", status_timeliness, true},
	{PLANREG__V1__REQUEST__BODY_DIFF_PERIODS, "DiffPeriods", status_diff, true},
	{PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES, "ExportUpdates", update_export, true},
	{PLANREG__V1__REQUEST__BODY_GET_REMINDER_POLICY, "GetReminderPolicy", remind_get_policy, true},
	{PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY, "SetReminderPolicy", remind_set_policy, false},
	{PLANREG__V1__REQUEST__BODY_CLAIM_REMINDERS, "ClaimReminders", remind_claim, false},
	{PLANREG__V1__REQUEST__BODY_ACK_REMINDER, "AckReminder", remind_ack, false},
	{PLANREG__V1__REQUEST__BODY_LIST_REMINDERS, "ListReminders", remind_list, true},
};

static const char SQL_CREDENTIAL[] =
	"SELECT name, org_code, coalesce(person, ''), role, revoked_at IS NOT NULL,"
	" coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"
	" FROM credential WHERE fingerprint = $1";

/* After a write, where the primary's WAL ends: at or past the write's commit record. */
static const char SQL_WAL_LSN[] = "SELECT pg_current_wal_insert_lsn()::text";
/* How far a standby has replayed (a server that is not one: where its WAL ends). */
static const char SQL_REPLAY_LSN[] = "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
				     " ELSE pg_current_wal_lsn() END)::text";

/* A read waiting for the replica asks again after this long, doubling up to RPC_RYW_POLL_MAX_MS. */
#define RPC_RYW_POLL_MIN_MS 2
#define RPC_RYW_POLL_MAX_MS 50

#define RPC_REFERENCE_MAX 16 /* "r-" + 8 hex digits + NUL, with room */

static const struct rpc_method *rpc_method_for(Planreg__V1__Request__BodyCase kind)
{
	for (size_t i = 0; i < sizeof rpc_methods / sizeof rpc_methods[0]; i++)
		if (rpc_methods[i].kind == kind)
			return &rpc_methods[i];
	return NULL;
}

/* ---------------------------------------------------------------- request ids */

/* A new request id: this process's random prefix (drawn once) and a counter. */
static void rpc_new_rid(char out[RPC_RID_MAX])
{
	static char prefix[11];
	static uint64_t counter;
	if (prefix[0] == '\0') {
		uint8_t b[5];
		if (RAND_bytes(b, sizeof b) != 1) {
			ERR_clear_error();
			uint64_t x = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid() << 20 ^ (uint64_t)clock();
			memcpy(b, &x, sizeof b);
		}
		snprintf(prefix, sizeof prefix, "%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4]);
	}
	snprintf(out, RPC_RID_MAX, "%s.%" PRIu64, prefix, ++counter);
}

static int64_t rpc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- replies */

struct rpc_fixup;
static struct rpc_fixup *rpc_status_sanitize(Planreg__V1__Status *st);
static void rpc_status_restore(struct rpc_fixup *fixups);

/* Packs resp into a frame and queues it; one that will not fit becomes RESOURCE_EXHAUSTED.
 * The Status's text goes out as valid UTF-8 whatever it echoes (bad bytes become U+FFFD). */
static void rpc_send(struct conn *c, Planreg__V1__Response *resp)
{
	struct rpc_fixup *fixups = rpc_status_sanitize(resp->status);
	size_t max = (size_t)c->srv->cfg->max_frame_bytes;
	size_t n = planreg__v1__response__get_packed_size(resp);
	if (n > max) {
		Planreg__V1__Status st = PLANREG__V1__STATUS__INIT;
		char msg[160];
		snprintf(msg, sizeof msg,
			 "the answer is %zu bytes, above max_frame_bytes %zu; ask for less (page_size)", n, max);
		st.code = PLANREG__V1__CODE__RESOURCE_EXHAUSTED;
		st.message = msg;
		st.reason = "response_too_large";
		Planreg__V1__Response small = PLANREG__V1__RESPONSE__INIT;
		small.id = resp->id;
		small.status = &st;
		rpc_send(c, &small);
		rpc_status_restore(fixups);
		return;
	}
	uint8_t *frame = xmalloc(FRAME_HEADER_BYTES + n);
	frame_put_header(frame, (uint32_t)n);
	planreg__v1__response__pack(resp, frame + FRAME_HEADER_BYTES);
	rpc_status_restore(fixups);
	conn_send_frame(c, frame, FRAME_HEADER_BYTES + n);
	free(frame);
}

void rpc_send_connection_error(struct conn *c, status_code code, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	Planreg__V1__Status st = PLANREG__V1__STATUS__INIT;
	st.code = code;
	st.message = msg;
	st.reason = (char *)reason;
	char rid[RPC_RID_MAX];
	rpc_new_rid(rid);
	Planreg__V1__Response resp = PLANREG__V1__RESPONSE__INIT;
	resp.id = 0;
	resp.status = &st;
	resp.request_id = rid;
	rpc_send(c, &resp);
	c->srv->metrics.responses_by_code[code < 17 ? code : 13]++;
	log_set_request(rid);
	log_info("connection_error", "conn=%llu code=%s reason=%s", (unsigned long long)c->id, status_code_name(code),
		 reason);
	log_set_request(NULL);
}

static void rpc_finish(struct rpc_call *call)
{
	struct conn *c = call->conn;
	if (call->db)
		db_release(call->db);
	if (call->req)
		decode_free(&call->req->base); /* the allocator conn.c decoded it with */
	arena_free(&call->arena);
	if (call->ryw_timer)
		event_free(call->ryw_timer);
	if (call->req)
		conn_request_done(c);
	conn_unref(c);
	free(call);
}

/* Sends the reply, logs the request and finishes the call. */
static void rpc_reply_now(struct rpc_call *call, void *body)
{
	struct conn *c = call->conn;
	Planreg__V1__Response resp = PLANREG__V1__RESPONSE__INIT;
	resp.id = call->id;
	resp.status = &call->status;
	resp.request_id = call->rid;
	if (body != NULL && call->status.code == PLANREG__V1__CODE__OK) {
		/* the Response oneof member has the same number as the Request's */
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
			&planreg__v1__response__descriptor, (unsigned)call->method->kind);
		if (f != NULL) {
			resp.body_case = (Planreg__V1__Response__BodyCase)call->method->kind;
			*(void **)((char *)&resp + f->offset) = body;
		}
	}
	rpc_send(c, &resp);

	struct timeval now, d;
	gettimeofday(&now, NULL);
	timersub(&now, &call->started, &d);
	long long us = (long long)d.tv_sec * 1000000 + d.tv_usec;
	struct server_metrics *m = &c->srv->metrics;
	m->requests++;
	m->request_us_total += (uint64_t)us;
	m->responses_by_code[call->status.code < 17 ? call->status.code : 13]++;
	const char *db = call->db == NULL ? "-" : call->on_replica ? "replica" : "primary";
	if (call->method && call->method->read && call->srv->read_pool && call->db)
		call->on_replica ? m->reads_replica++ : m->reads_primary++;
	char ryw[48] = "";
	if (call->ryw)
		snprintf(ryw, sizeof ryw, " ryw=%s ryw_ms=%lld", call->ryw,
			 call->ryw_started_ms ? (long long)(rpc_now_ms() - call->ryw_started_ms) : 0LL);
	enum log_level lvl = call->status.code == PLANREG__V1__CODE__INTERNAL ? LOG_ERROR : LOG_INFO;
	/* whoever called keeps its own id afterwards (a reply sent from a timer has none) */
	char outer[RPC_RID_MAX];
	snprintf(outer, sizeof outer, "%s", log_request());
	log_set_request(call->rid);
	log_event(lvl, "request", "conn=%llu id=%" PRIu64 " method=%s cred=%s code=%s us=%lld db=%s%s%s%s",
		  (unsigned long long)c->id, call->id, call->method ? call->method->name : "-",
		  call->principal.credential[0] ? call->principal.credential : "-", status_code_name(call->status.code),
		  us, db, ryw, call->status.code ? " message=" : "",
		  call->status.code ? log_q(call->status.message) : "");
	if (call->req == NULL && call->status.code != PLANREG__V1__CODE__OK)
		call->close_after = true; /* a connection that cannot be authenticated is not kept */
	if (call->close_after)
		conn_close(c, call->status.reason && call->status.reason[0] ? call->status.reason : "refused");
	rpc_finish(call);
	log_set_request(outer[0] ? outer : NULL);
}

/* "X/Y" (pg_lsn as text) as a number; 0 when it is not one. */
static uint64_t rpc_parse_lsn(const char *s)
{
	unsigned int hi, lo;
	char end;
	if (s == NULL || sscanf(s, "%X/%X%c", &hi, &lo, &end) != 2)
		return 0;
	return (uint64_t)hi << 32 | lo;
}

/* The primary's WAL position after a write: the connection's reads on the replica wait for it. */
static void rpc_have_write_lsn(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	struct conn *c = call->conn;
	uint64_t lsn = 0;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		lsn = rpc_parse_lsn(PQgetvalue(res, 0, 0));
	if (lsn == 0) {
		/* the write may have happened; its reads cannot be matched with the replica now */
		c->reads_on_primary = true;
		log_warn("ryw_position_unknown", "conn=%llu error=%s", (unsigned long long)c->id,
			 log_q(res ? PQresultErrorMessage(res) : error));
	} else if (lsn > c->written_lsn) {
		c->written_lsn = lsn;
	}
	rpc_reply_now(call, call->held_body);
	log_set_request(NULL);
}

/*
 * With a replica configured, a write's reply first learns where the primary's WAL ends
 * (one more round trip on the connection it used): the reads this client connection sends
 * after the answer then wait for the replica to replay that far (read-your-writes).
 */
static void rpc_reply(struct rpc_call *call, void *body)
{
	if (call->srv->read_pool != NULL && call->req != NULL && call->method != NULL && !call->method->read &&
	    call->db != NULL && !call->on_replica && !call->lsn_asked && !db_conn_txn_failed(call->db)) {
		call->lsn_asked = true;
		call->held_body = body;
		if (db_query(call->db, SQL_WAL_LSN, 0, NULL, rpc_have_write_lsn, call))
			return;
		call->conn->reads_on_primary = true;
	}
	rpc_reply_now(call, body);
}

void rpc_reply_ok(struct rpc_call *call, void *body)
{
	call->status.code = PLANREG__V1__CODE__OK;
	rpc_reply(call, body);
}

static void rpc_vset_error(struct rpc_call *call, status_code code, const char *reason, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void rpc_vset_error(struct rpc_call *call, status_code code, const char *reason, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	call->status.code = code;
	call->status.message = rpc_strdup(call, msg);
	call->status.reason = rpc_strdup(call, reason ? reason : "");
}

void rpc_reply_error(struct rpc_call *call, status_code code, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rpc_vset_error(call, code, reason, fmt, ap);
	va_end(ap);
	rpc_reply(call, NULL);
}

void rpc_violation(struct rpc_call *call, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	Planreg__V1__FieldViolation *v =
		ARENA_NEW(&call->arena, Planreg__V1__FieldViolation, planreg__v1__field_violation__init);
	v->field = rpc_strdup(call, field);
	v->description = rpc_strdup(call, msg);
	*(Planreg__V1__FieldViolation **)arena_push(&call->arena, &call->status.violations, &call->status.n_violations,
						    sizeof v) = v;
}

bool rpc_has_violations(const struct rpc_call *call)
{
	return call->status.n_violations > 0;
}

void rpc_reply_violations(struct rpc_call *call, const char *reason)
{
	size_t n = call->status.n_violations;
	Planreg__V1__FieldViolation *first = call->status.violations[0];
	if (n == 1)
		rpc_reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, reason, "%s: %s", first->field,
				first->description);
	else
		rpc_reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, reason, "%zu problems; first %s: %s", n,
				first->field, first->description);
}

/* "r-" and 8 hex digits: ties what a client was told to the daemon's log line with the details. */
static void rpc_error_reference(char out[RPC_REFERENCE_MAX])
{
	static uint32_t fallback;
	uint8_t b[4];
	if (RAND_bytes(b, sizeof b) != 1) {
		ERR_clear_error();
		uint32_t x = (uint32_t)time(NULL) ^ (++fallback * 2654435761u);
		memcpy(b, &x, sizeof b);
	}
	snprintf(out, RPC_REFERENCE_MAX, "r-%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

/*
 * PostgreSQL's own words stay in the daemon's log: they name tables,
 * constraints and values, which are the schema's business, not the client's.
 * A client gets a plain sentence for what it can act on (our own RAISE
 * messages, written for users; a duplicate; a reference; a bad value, with the
 * column when PostgreSQL names one) and otherwise a reference to the log line.
 */
void rpc_reply_db_error(struct rpc_call *call, PGresult *res, const char *doing)
{
	if (res == NULL) {
		rpc_reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "database_unavailable",
				"the database connection was lost while %s; try again", doing);
		return;
	}
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	const char *table = PQresultErrorField(res, PG_DIAG_TABLE_NAME);
	const char *column = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
	if (state == NULL)
		state = "";
	if (primary == NULL)
		primary = "unknown error";
	char ref[RPC_REFERENCE_MAX], col[160] = "";
	rpc_error_reference(ref);
	if (column && column[0])
		snprintf(col, sizeof col, " (column %s)", column);

	status_code code = PLANREG__V1__CODE__INTERNAL;
	const char *reason = "database_error";
	char msg[1024];
	enum log_level lvl = LOG_WARN;
	if (strcmp(state, "P0001") == 0) {
		/* RAISE from our own SQL: its message is written for the user */
		code = PLANREG__V1__CODE__FAILED_PRECONDITION;
		reason = "refused";
		snprintf(msg, sizeof msg, "%s: %s", doing, primary);
		lvl = LOG_INFO;
	} else if (strcmp(state, "57014") == 0) {
		code = PLANREG__V1__CODE__DEADLINE_EXCEEDED;
		reason = "statement_timeout";
		snprintf(msg, sizeof msg,
			 "%s was cancelled: it ran longer than the database allows (statement timeout); ask for less "
			 "or try again (reference %s)",
			 doing, ref);
	} else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0) {
		/* 57P01-03 and the rest of class 57: an operator or a restart stopped the database */
		code = PLANREG__V1__CODE__UNAVAILABLE;
		reason = "database_unavailable";
		snprintf(msg, sizeof msg, "the database stopped serving while %s; try again shortly (reference %s)",
			 doing, ref);
	} else if (strcmp(state, "55P03") == 0) {
		code = PLANREG__V1__CODE__UNAVAILABLE;
		reason = "database_busy";
		snprintf(msg, sizeof msg,
			 "%s waited too long for data another request was changing; try again shortly (reference %s)",
			 doing, ref);
	} else if (strncmp(state, "53", 2) == 0) {
		code = PLANREG__V1__CODE__RESOURCE_EXHAUSTED;
		reason = "database_resources";
		snprintf(msg, sizeof msg,
			 "the database ran short of resources (disk, memory or connections) while %s; try again "
			 "later (reference %s)",
			 doing, ref);
		lvl = LOG_ERROR;
	} else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
		   (strcmp(state, "23505") == 0 && constraint &&
		    strcmp(constraint, "progress_update_prev_hash_key") == 0)) {
		/* the last: another writer extended the chain at the same moment (migrations/0005) */
		code = PLANREG__V1__CODE__ABORTED;
		reason = "conflict";
		snprintf(msg, sizeof msg, "%s clashed with a change made at the same moment and was undone; try again",
			 doing);
	} else if (strcmp(state, "23505") == 0) {
		code = PLANREG__V1__CODE__ALREADY_EXISTS;
		reason = "already_exists";
		snprintf(msg, sizeof msg, "%s: already exists", doing);
		lvl = LOG_INFO;
	} else if (strcmp(state, "23503") == 0 || strcmp(state, "23001") == 0) {
		code = PLANREG__V1__CODE__FAILED_PRECONDITION;
		reason = "still_referenced";
		snprintf(msg, sizeof msg,
			 "%s: refused, because it names a record that does not exist or other records still name "
			 "it%s",
			 doing, col);
		lvl = LOG_INFO;
	} else if (strcmp(state, "23502") == 0) {
		code = PLANREG__V1__CODE__INVALID_ARGUMENT;
		reason = "invalid_value";
		snprintf(msg, sizeof msg, "%s: a required value is missing%s", doing, col);
		lvl = LOG_INFO;
	} else if (strncmp(state, "23", 2) == 0) {
		code = PLANREG__V1__CODE__INVALID_ARGUMENT;
		reason = "invalid_value";
		snprintf(msg, sizeof msg, "%s: a value is not allowed%s", doing, col);
		lvl = LOG_INFO;
	} else if (strncmp(state, "22", 2) == 0) {
		code = PLANREG__V1__CODE__INVALID_ARGUMENT;
		reason = "invalid_value";
		snprintf(msg, sizeof msg, "%s: a value is not valid (out of range, too long or badly formed)%s", doing,
			 col);
		lvl = LOG_INFO;
	} else {
		snprintf(msg, sizeof msg, "%s: internal error, reference %s; the daemon's log has the details", doing,
			 ref);
		lvl = LOG_ERROR;
	}
	log_event(lvl, "db_error",
		  "reference=%s method=%s doing=%s sqlstate=%s error=%s detail=%s constraint=%s table=%s column=%s",
		  ref, call->method ? call->method->name : "-", log_q(doing), state, log_q(primary),
		  log_q(detail ? detail : ""), log_q(constraint ? constraint : ""), log_q(table ? table : ""),
		  log_q(column ? column : ""));
	rpc_reply_error(call, code, reason, "%s", msg);
}

/* ---------------------------------------------------------------- queries */

static void rpc_result_step(struct rpc_call *call, PGresult *res, const char *error)
{
	if (res == NULL && error != NULL && error[0]) {
		/* the pool says why: a query deadline, a lost connection */
		rpc_reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "database_unavailable", "%s; try again", error);
		return;
	}
	if (res == NULL) {
		rpc_reply_db_error(call, NULL, "working on the request");
		return;
	}
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !call->next_gets_errors) {
		rpc_reply_db_error(call, res, call->method ? call->method->name : "request");
		return;
	}
	rpc_step next = call->next;
	call->next = NULL;
	next(call, res);
}

static void rpc_on_result(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct rpc_call *call = arg;
	log_set_request(call->rid); /* the call may be gone after the step: cleared without it */
	rpc_result_step(call, res, error);
	log_set_request(NULL);
}

static void rpc_send_query(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next,
			   bool any)
{
	call->next = next;
	call->next_gets_errors = any;
	if (!db_query(call->db, sql, n, params, rpc_on_result, call))
		rpc_reply_error(call, PLANREG__V1__CODE__INTERNAL, "bug", "query issued without a database connection");
}

void rpc_query(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next)
{
	rpc_send_query(call, sql, n, params, next, false);
}

void rpc_query_any(struct rpc_call *call, const char *sql, int n, const char *const *params, rpc_step next)
{
	rpc_send_query(call, sql, n, params, next, true);
}

/* ---------------------------------------------------------------- the pipeline */

/*
 * The certificate's subject O must name the organisation its credential is
 * enrolled for (DESIGN.md §3: O = organisation code), on every request as at
 * connect: a certificate issued for one organisation and enrolled (by mistake
 * or by a compromised admin tool) for another is refused rather than trusted
 * for either. Codes compare case-insensitively, as everywhere.
 */
static bool rpc_check_certificate_org(struct rpc_call *call, PGresult *res)
{
	const char *enrolled = rpc_value(res, 0, 1);
	char cn[256], org[256];
	if (call->conn->ssl == NULL) {
		call->close_after = true;
		rpc_reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "connection_closed",
				"the connection closed before its certificate could be checked");
		return false;
	}
	bool ok = tls_peer_subject(call->conn->ssl, cn, sizeof cn, org, sizeof org);
	if (ok && org[0] != '\0' && strcasecmp(org, enrolled) == 0)
		return true;
	call->close_after = true;
	if (!ok || org[0] == '\0')
		rpc_reply_error(call, PLANREG__V1__CODE__UNAUTHENTICATED, "organisation_mismatch",
				"this certificate carries no single organisation (subject O) but credential %s is "
				"enrolled for organisation %s; ask an admin for a certificate issued for %s",
				rpc_value(res, 0, 0), enrolled, enrolled);
	else
		rpc_reply_error(call, PLANREG__V1__CODE__UNAUTHENTICATED, "organisation_mismatch",
				"this certificate carries organisation (subject O) %s but credential %s is enrolled "
				"for organisation %s; ask an admin for a certificate issued for %s, or to enrol "
				"this one for %s",
				org, rpc_value(res, 0, 0), enrolled, enrolled, org);
	return false;
}

static bool rpc_read_principal(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) != 1) {
		call->close_after = true;
		rpc_reply_error(call, PLANREG__V1__CODE__UNAUTHENTICATED, "certificate_not_enrolled",
				"this certificate (SHA-256 %s) is not enrolled; ask an admin to run "
				"`planreg cred enrol` for it",
				call->conn->fingerprint);
		return false;
	}
	if (rpc_bool(res, 0, 4)) {
		call->close_after = true;
		rpc_reply_error(call, PLANREG__V1__CODE__UNAUTHENTICATED, "credential_revoked",
				"credential %s was revoked at %s; ask an admin for a new certificate",
				rpc_value(res, 0, 0), rpc_value(res, 0, 5));
		return false;
	}
	if (!rpc_check_certificate_org(call, res))
		return false;
	struct principal *p = &call->principal;
	snprintf(p->credential, sizeof p->credential, "%s", rpc_value(res, 0, 0));
	snprintf(p->organisation, sizeof p->organisation, "%s", rpc_value(res, 0, 1));
	snprintf(p->person, sizeof p->person, "%s", rpc_value(res, 0, 2));
	snprintf(p->fingerprint, sizeof p->fingerprint, "%s", call->conn->fingerprint);
	if (!values_role_parse(rpc_value(res, 0, 3), &p->role))
		p->role = ROLE_UNSPECIFIED;
	return true;
}

static void rpc_run(struct rpc_call *call);

static void rpc_have_principal(struct rpc_call *call, PGresult *res)
{
	if (!rpc_read_principal(call, res))
		return;
	if (call->req == NULL) {
		/* the connect-time check: nothing to answer */
		conn_authenticated(call->conn, &call->principal);
		conn_principal_cache(call->conn, call->cred_epoch, call->cred_notices);
		rpc_finish(call);
		return;
	}
	conn_principal_cache(call->conn, call->cred_epoch, call->cred_notices);
	rpc_run(call);
}

/* The principal is known: auth.c decides, then the handler runs. */
static void rpc_run(struct rpc_call *call)
{
	const char *who;
	if (!auth_request_allowed(&call->principal, call->method->kind, &who)) {
		rpc_reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "role_not_allowed",
				"%s needs the role %s; credential %s has role %s", call->method->name, who,
				call->principal.credential, values_role_name(call->principal.role));
		return;
	}
	call->method->handler(call);
}

static void rpc_have_db(struct db_conn *dc, bool exhausted, const char *error, void *arg);

/* A read leaves the replica for the primary (why: "fallback" after waiting, or the replica failed). */
static void rpc_read_on_primary(struct rpc_call *call, const char *why)
{
	if (call->db != NULL)
		db_release(call->db);
	call->db = NULL;
	call->on_replica = false;
	if (why != NULL)
		call->ryw = why;
	db_pool_acquire(call->srv->pool, rpc_have_db, call);
}

static void rpc_replica_check(struct rpc_call *call, bool ask_now);

static void rpc_ryw_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	rpc_replica_check(call, true);
	log_set_request(NULL);
}

static void rpc_have_replay_lsn(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		db_conn_set_seen_lsn(dc, rpc_parse_lsn(rpc_value(res, 0, 0)));
		rpc_replica_check(call, false);
	} else {
		log_warn("replica_failed", "conn=%llu error=%s", (unsigned long long)call->conn->id,
			 log_q(res ? PQresultErrorMessage(res) : error));
		rpc_read_on_primary(call, "fallback");
	}
	log_set_request(NULL);
}

/*
 * Read-your-writes on the replica: a read whose connection wrote runs once the replica has
 * replayed the primary's WAL as far as it ended after that write. Until then it asks the
 * replica again (2, 4 ... 50 ms apart, keeping the replica connection) for at most
 * read_db_wait_ms, then runs on the primary instead. A position once seen on a replica
 * session is remembered there, so later reads need not ask. ask_now: ask rather than pause
 * first (the first time, and when the pause is over).
 */
static void rpc_replica_check(struct rpc_call *call, bool ask_now)
{
	uint64_t want = call->conn->written_lsn;
	if (want == 0 || db_conn_seen_lsn(call->db) >= want) {
		if (call->ryw_started_ms != 0) {
			call->ryw = "waited";
			if (!conn_principal_fresh(call->conn)) {
				/* a revocation was heard while it waited: the lookup (and the read) on the primary */
				rpc_read_on_primary(call, NULL);
				return;
			}
		}
		rpc_run(call);
		return;
	}
	int64_t now = rpc_now_ms();
	if (call->ryw_started_ms == 0) {
		call->ryw_started_ms = now;
		call->srv->metrics.ryw_waits++;
	}
	int64_t waited = now - call->ryw_started_ms, left = call->srv->cfg->read_db_wait_ms - waited;
	if (left <= 0) {
		call->srv->metrics.ryw_fallbacks++;
		log_info("ryw_fallback", "conn=%llu waited_ms=%lld want_lsn=%" PRIx64 " seen_lsn=%" PRIx64,
			 (unsigned long long)call->conn->id, (long long)waited, want, db_conn_seen_lsn(call->db));
		rpc_read_on_primary(call, "fallback");
		return;
	}
	if (!ask_now) {
		int64_t pause = RPC_RYW_POLL_MIN_MS;
		while (pause < waited && pause < RPC_RYW_POLL_MAX_MS)
			pause *= 2;
		if (pause > left)
			pause = left;
		struct timeval tv = {(time_t)(pause / 1000), (suseconds_t)(pause % 1000) * 1000};
		evtimer_add(call->ryw_timer, &tv);
		return;
	}
	if (!db_query(call->db, SQL_REPLAY_LSN, 0, NULL, rpc_have_replay_lsn, call))
		rpc_read_on_primary(call, "fallback");
}

static void rpc_have_db_step(struct rpc_call *call, struct db_conn *dc, bool exhausted, const char *error)
{
	if (dc == NULL && call->on_replica) {
		/* the replica is down or busy: reads still work, on the primary */
		log_info("replica_unavailable", "conn=%llu error=%s", (unsigned long long)call->conn->id, log_q(error));
		rpc_read_on_primary(call, NULL);
		return;
	}
	if (dc == NULL) {
		if (exhausted)
			rpc_reply_error(call, PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "server_busy",
					"the server is busy (%s); try again shortly", error);
		else
			rpc_reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "database_unavailable",
					"%s; try again shortly", error);
		return;
	}
	call->db = dc;
	struct conn *c = call->conn;
	if (call->on_replica) {
		if (!conn_principal_fresh(c)) {
			/* a revocation was heard while it waited: the lookup runs on the primary */
			rpc_read_on_primary(call, NULL);
			return;
		}
		call->principal = c->principal;
		if (call->ryw_timer == NULL)
			call->ryw_timer = evtimer_new(call->srv->base, rpc_ryw_poll, call);
		rpc_replica_check(call, true);
		return;
	}
	if (call->req != NULL && conn_principal_fresh(c)) {
		/* no revocation was heard since the lookup (conn.c): the principal stands */
		call->principal = c->principal;
		rpc_run(call);
		return;
	}
	call->cred_epoch = call->srv->cred_epoch;
	call->cred_notices = call->srv->cred_notices;
	call->srv->metrics.credential_lookups++;
	const char *params[1] = {c->fingerprint};
	rpc_query(call, SQL_CREDENTIAL, 1, params, rpc_have_principal);
}

static void rpc_have_db(struct db_conn *dc, bool exhausted, const char *error, void *arg)
{
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	rpc_have_db_step(call, dc, exhausted, error);
	log_set_request(NULL);
}

static struct rpc_call *rpc_call_new(struct conn *c, Planreg__V1__Request *req)
{
	struct rpc_call *call = xcalloc(1, sizeof *call);
	call->conn = c;
	call->srv = c->srv;
	call->req = req;
	call->id = req ? req->id : 0;
	rpc_new_rid(call->rid);
	planreg__v1__status__init(&call->status);
	gettimeofday(&call->started, NULL);
	conn_ref(c);
	return call;
}

/*
 * Where a request runs: a read on the replica when one is configured and answering, the
 * connection's cached principal stands (credential lookups run on the primary), and no
 * write of the connection left its reads on the primary; everything else on the primary.
 */
static struct db_pool *rpc_pool_for(struct rpc_call *call)
{
	struct server *srv = call->srv;
	call->on_replica = srv->read_pool != NULL && call->method->read && !call->conn->reads_on_primary &&
			   conn_principal_fresh(call->conn) && db_pool_healthy(srv->read_pool);
	return call->on_replica ? srv->read_pool : srv->pool;
}

void rpc_dispatch(struct conn *c, Planreg__V1__Request *req)
{
	struct rpc_call *call = rpc_call_new(c, req);
	log_set_request(call->rid);
	call->method = rpc_method_for(req->body_case);
	if (call->method == NULL)
		rpc_reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "unknown_request",
				"request type %d is not one this server knows (upgrade planregd or planreg?)",
				(int)req->body_case);
	else
		db_pool_acquire(rpc_pool_for(call), rpc_have_db, call);
	log_set_request(NULL);
}

void rpc_authenticate(struct conn *c)
{
	db_pool_acquire(c->srv->pool, rpc_have_db, rpc_call_new(c, NULL));
}

void rpc_start(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	if (cfg->read_db_dsn[0] == '\0')
		return;
	struct db_pool_settings ps = {
		.dsn = cfg->read_db_dsn,
		.size = cfg->read_db_pool_size,
		.connect_timeout_ms = cfg->db_connect_timeout_ms,
		.reconnect_max_ms = cfg->db_reconnect_max_ms,
		.statement_timeout_ms = cfg->db_statement_timeout_ms,
		.queue_max = cfg->db_queue_max,
		.query_timeout_ms = cfg->db_query_timeout_ms,
		.acquire_timeout_ms = cfg->db_acquire_timeout_ms,
		.reconnect_min_ms = cfg->db_reconnect_min_ms,
		.tcp_user_timeout_ms = cfg->db_tcp_user_timeout_ms,
	};
	srv->read_pool = db_pool_new(srv->base, &ps);
	log_info("read_pool", "size=%d read_db_wait_ms=%d", cfg->read_db_pool_size, cfg->read_db_wait_ms);
}

void rpc_stop(struct server *srv)
{
	db_pool_free(srv->read_pool);
	srv->read_pool = NULL;
}

/* ---------------------------------------------------------------- helpers */

char *rpc_strdup(struct rpc_call *call, const char *s)
{
	return arena_strdup(&call->arena, s ? s : "");
}

char *rpc_printf(struct rpc_call *call, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *tmp = xvasprintf(fmt, ap);
	va_end(ap);
	char *s = arena_strdup(&call->arena, tmp);
	free(tmp);
	return s;
}

const char *rpc_value(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

bool rpc_is_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

int rpc_int(PGresult *res, int row, int col)
{
	return (int)strtol(rpc_value(res, row, col), NULL, 10);
}

long long rpc_int64(PGresult *res, int row, int col)
{
	return strtoll(rpc_value(res, row, col), NULL, 10);
}

bool rpc_bool(PGresult *res, int row, int col)
{
	return rpc_value(res, row, col)[0] == 't';
}

size_t rpc_split(struct rpc_call *call, const char *joined, const char *sep, char ***out)
{
	*out = NULL;
	size_t n = 0;
	if (joined == NULL || joined[0] == '\0')
		return 0;
	const char *p = joined;
	for (;;) {
		const char *e = strstr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		*(char **)arena_push(&call->arena, out, &n, sizeof(char *)) = arena_strndup(&call->arena, p, len);
		if (e == NULL)
			break;
		p = e + strlen(sep);
	}
	return n;
}

/* ---------------------------------------------------------------- refusals before dispatch */

const char *rpc_method_name(Planreg__V1__Request__BodyCase kind)
{
	const struct rpc_method *m = rpc_method_for(kind);
	return m ? m->name : NULL;
}

void rpc_refuse(struct conn *c, uint64_t id, uint32_t kind, status_code code, const char *reason, const char *field,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	Planreg__V1__Status st = PLANREG__V1__STATUS__INIT;
	st.code = code;
	st.message = msg;
	st.reason = (char *)reason;
	Planreg__V1__FieldViolation v = PLANREG__V1__FIELD_VIOLATION__INIT;
	Planreg__V1__FieldViolation *vs[1] = {&v};
	if (field != NULL) {
		v.field = (char *)field;
		v.description = msg;
		st.violations = vs;
		st.n_violations = 1;
	}
	char rid[RPC_RID_MAX];
	rpc_new_rid(rid);
	Planreg__V1__Response resp = PLANREG__V1__RESPONSE__INIT;
	resp.id = id;
	resp.status = &st;
	resp.request_id = rid;
	rpc_send(c, &resp);
	struct server_metrics *m = &c->srv->metrics;
	m->requests++;
	m->responses_by_code[code < 17 ? code : 13]++;
	const char *name = rpc_method_name((Planreg__V1__Request__BodyCase)kind);
	log_set_request(rid);
	log_info("request", "conn=%llu id=%" PRIu64 " method=%s cred=%s code=%s us=0 decoded=no reason=%s message=%s",
		 (unsigned long long)c->id, id, name ? name : "-",
		 c->principal.credential[0] ? c->principal.credential : "-", status_code_name(code), reason,
		 log_q(msg));
	log_set_request(NULL);
}

/* ---------------------------------------------------------------- UTF-8 on the way out */

/* A Status string replaced for the wire, and what to put back. */
struct rpc_fixup {
	char **slot; /* NULL ends the list */
	char *original;
};

/* The i-th string of st: message, reason, then each violation's field and description. */
static char **rpc_status_slot(Planreg__V1__Status *st, size_t i)
{
	if (i == 0)
		return &st->message;
	if (i == 1)
		return &st->reason;
	Planreg__V1__FieldViolation *v = st->violations[(i - 2) / 2];
	return i % 2 == 0 ? &v->field : &v->description;
}

/*
 * Makes every string of st valid UTF-8 in place, U+FFFD for each bad byte:
 * Status.message echoes request text and may be cut mid-character by a fixed
 * buffer. Returns what rpc_status_restore puts back (NULL when all was fine).
 */
static struct rpc_fixup *rpc_status_sanitize(Planreg__V1__Status *st)
{
	if (st == NULL)
		return NULL;
	size_t n = 2 + 2 * st->n_violations, used = 0;
	struct rpc_fixup *fx = NULL;
	for (size_t i = 0; i < n; i++) {
		char **slot = rpc_status_slot(st, i);
		if (*slot == NULL)
			continue;
		size_t len = strlen(*slot);
		if (text_utf8_valid(*slot, len, NULL))
			continue;
		if (fx == NULL)
			fx = xcalloc(n + 1, sizeof *fx);
		char *fixed = xmalloc(3 * len + 1);
		text_sanitize_utf8(*slot, len, fixed, 3 * len + 1);
		fx[used].slot = slot;
		fx[used].original = *slot;
		used++;
		*slot = fixed;
	}
	return fx;
}

static void rpc_status_restore(struct rpc_fixup *fixups)
{
	for (struct rpc_fixup *f = fixups; f != NULL && f->slot != NULL; f++) {
		free(*f->slot);
		*f->slot = f->original;
	}
	free(fixups);
}
