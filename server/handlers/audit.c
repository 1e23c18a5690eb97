/* audit.c - VerifyAudit: recomputes the hash chain over every progress update
 * (docs/audit.md) and each update's leaf in the verifiable log (docs/verifiable-log.md), and names the first
 * update whose content, link or leaf does not match. */
#include <string.h>

#include "chain.h"
#include "merkle.h"
#include "text.h"
#include "handlers.h"
#include "indicator.h"
#include "sql.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* The chain's order is the log's (the sequencer links each update to the one whose leaf came before it,
 * migrations/0025); an update without a leaf comes after every one with, in id order. One the sequencer has not
 * reached yet (in log_pending) is in neither. */
#define AUDIT_NOT_PENDING(col, id) " NOT EXISTS (SELECT 1 FROM log_pending q WHERE q." col " = " id ")"
#define AUDIT_CHAIN_KEY(idx, id) idx " IS NULL, coalesce(" idx ", 0), " id
/* $1 the first update (0: from the start), $2 how many (NULL: all). The columns of enum sql_update_col, then
 * enum chain_col's. */
static const char SQL_CHAIN[] =
	"SELECT " SQL_UPDATE_RECORD_COLUMNS ", u.prev_hash, u.hash,"
	" l.idx, convert_from(l.entry, 'UTF8'), encode(n.hash, 'hex'), encode(u.signature, 'hex'), u.certificate_sha256"
	" FROM progress_update u JOIN project p ON p.id = u.project_id"
	" LEFT JOIN log_leaf l ON l.update_id = u.id"
	" LEFT JOIN log_node n ON n.level = 0 AND n.idx = l.idx"
	" WHERE" AUDIT_NOT_PENDING("update_id", "u.id")
	" AND ($1::bigint = 0 OR (" AUDIT_CHAIN_KEY("l.idx", "u.id") ") >= (SELECT " AUDIT_CHAIN_KEY("a.idx", "$1::bigint")
	"   FROM (SELECT (SELECT x.idx FROM log_leaf x WHERE x.update_id = $1::bigint) AS idx) a))"
	" ORDER BY l.idx IS NULL, l.idx, u.id LIMIT $2";
enum chain_col {
	CHAIN_PREV_HASH = UPD_RECORD_COLUMNS,
	CHAIN_HASH,
	CHAIN_LEAF_INDEX, /* NULL: the update has no leaf */
	CHAIN_LEAF_ENTRY,
	CHAIN_LEAF_HASH, /* the node table's level 0 */
	CHAIN_SIGNATURE, /* hex; NULL when recorded unsigned */
	CHAIN_CERTIFICATE_SHA256,
};
/* Every review with its leaf (but those the sequencer has not reached yet): checked with the first piece (reviews are few; they are not in the chain). */
static const char SQL_REVIEW_LEAVES[] =
	"SELECT r.id, r.update_id, r.accepted, r.comment, r.reviewed_by, " TS_US("r.reviewed_at") ","
	" l.idx, convert_from(l.entry, 'UTF8'), encode(n.hash, 'hex'), encode(r.signature, 'hex'), r.certificate_sha256"
	" FROM update_review r LEFT JOIN log_leaf l ON l.review_id = r.id"
	" LEFT JOIN log_node n ON n.level = 0 AND n.idx = l.idx WHERE" AUDIT_NOT_PENDING("review_id", "r.id")
	" ORDER BY r.id";
enum review_leaf_col {
	RL_ID,
	RL_UPDATE_ID,
	RL_ACCEPTED,
	RL_COMMENT,
	RL_BY,
	RL_AT,
	RL_LEAF, /* the leaf's index, entry and hash */
	RL_SIGNATURE = RL_LEAF + 3,
	RL_CERTIFICATE_SHA256,
};
/* How many updates the chain holds: asked once, with the first piece. */
static const char SQL_CHAIN_COUNT[] = "SELECT count(*) FROM progress_update u WHERE" AUDIT_NOT_PENDING("update_id", "u.id");
enum { CHAIN_COUNT };
/* clang-format on */

#define AUDIT_LIMIT_MAX 100000

/* The request's range: the anchor (after_id's row, first in the result when after_id > 0) and the count. */
struct audit_state {
	int64_t after_id;
	int64_t total;
};

/* The milestones cell of row i, as the chain encodes them. */
static struct chain_milestone *audit_milestones(struct rpc_call *call, PGresult *res, int i, size_t *n)
{
	char **ms;
	*n = result_split(&call->arena, result_value(res, i, UPD_MILESTONES), RESULT_SEP, &ms);
	struct chain_milestone *cms = arena_alloc(&call->arena, (*n + 1) * sizeof *cms);
	for (size_t k = 0; k < *n; k++) {
		char **f;
		size_t nf = result_split(&call->arena, ms[k], RESULT_SUBSEP, &f);
		cms[k].title = nf > 0 ? f[0] : "";
		cms[k].baseline = nf > 1 ? f[1] : "";
		cms[k].forecast = nf > 2 ? f[2] : "";
		cms[k].achieved = nf > 3 ? f[3] : "";
	}
	return cms;
}

/* Recomputes row i's hash from its stored content, and (leaf not NULL) its leaf in the log. */
static void audit_hash_row(struct rpc_call *call, PGresult *res, int i, const char *prev, char out[65],
			   struct buf *leaf)
{
	size_t n_ms;
	struct chain_milestone *cms = audit_milestones(call, res, i, &n_ms);
	char **risks;
	size_t n_risks = result_split(&call->arena, result_value(res, i, UPD_RISKS), RESULT_SEP, &risks);
	size_t n_actuals;
	const struct chain_actual *actuals =
		indicator_chain_actuals(call, result_value(res, i, UPD_ACTUALS), &n_actuals);
	struct chain_content c = {
		.ref = result_int(res, i, UPD_REF),
		.period = result_value(res, i, UPD_PERIOD),
		.confidence = result_value(res, i, UPD_CONFIDENCE),
		.stage = result_value(res, i, UPD_STAGE),
		.narrative = result_value(res, i, UPD_NARRATIVE),
		.has_spend = !result_is_null(res, i, UPD_SPEND_PENCE),
		.spend_pence = result_int64(res, i, UPD_SPEND_PENCE),
		.has_forecast = !result_is_null(res, i, UPD_FORECAST_PENCE),
		.forecast_pence = result_int64(res, i, UPD_FORECAST_PENCE),
		.variance_note = result_value(res, i, UPD_VARIANCE_NOTE),
		.milestones = cms,
		.n_milestones = n_ms,
		.risks = (const char *const *)risks,
		.n_risks = n_risks,
		.actuals = actuals,
		.n_actuals = n_actuals,
	};
	struct chain_record r = {
		.revision = result_int(res, i, UPD_REVISION),
		.submitted_by = result_value(res, i, UPD_SUBMITTED_BY),
		.submitted_org = result_value(res, i, UPD_SUBMITTED_ORG),
		.submitted_person = result_value(res, i, UPD_SUBMITTED_PERSON),
		.on_behalf = result_bool(res, i, UPD_ON_BEHALF),
		.submitted_at = result_value(res, i, UPD_SUBMITTED_AT),
	};
	chain_hash(prev, &c, &r, out);
	if (leaf == NULL)
		return;
	char digest[65];
	chain_content_digest(&c, digest);
	struct chain_leaf_update lu = {
		.update_id = result_int64(res, i, UPD_ID),
		.ref = c.ref,
		.period = c.period,
		.content_sha256 = digest,
		.chain_hash = out,
		.record = r,
		.signature = result_value(res, i, CHAIN_SIGNATURE),
		.certificate_sha256 = result_value(res, i, CHAIN_CERTIFICATE_SHA256),
	};
	chain_leaf_update(&lu, leaf);
}

/* Whether row i's leaf (index, entry and leaf hash in the columns from col on) is the one its content makes
 * (leaf), and its hash the node table's. */
static bool audit_leaf_matches(PGresult *res, int i, int col, const struct buf *leaf)
{
	if (result_is_null(res, i, col) || result_is_null(res, i, col + 2))
		return false;
	const char *entry = result_value(res, i, col + 1);
	if (strlen(entry) != leaf->len || memcmp(entry, leaf->data, leaf->len) != 0)
		return false;
	uint8_t h[MERKLE_HASH_LEN];
	char hex[2 * MERKLE_HASH_LEN + 1];
	merkle_leaf_hash(leaf->data, leaf->len, h);
	text_hex(h, sizeof h, hex);
	return strcmp(hex, result_value(res, i, col + 2)) == 0;
}

/* Checks row i against prev, the hash of the update before it; false, with r saying why, when its link or
 * its content does not match. */
static bool audit_check_row(struct rpc_call *call, PGresult *res, int i, const char *prev,
			    Planreg__V1__VerifyAuditResponse *r)
{
	const char *id = result_value(res, i, UPD_ID);
	const char *stored_prev = result_value(res, i, CHAIN_PREV_HASH);
	char computed[65];
	if (strcmp(stored_prev, prev) != 0) {
		r->detail = rpc_printf(call,
				       "update %s (project %s, %s revision %s) does not link to the update before "
				       "it: its previous hash is %.16s..., the chain says %.16s...; an update was "
				       "removed, reordered or rewritten",
				       id, result_value(res, i, UPD_REF), result_value(res, i, UPD_PERIOD),
				       result_value(res, i, UPD_REVISION), stored_prev, prev);
	} else {
		struct buf leaf = {0};
		audit_hash_row(call, res, i, prev, computed, &leaf);
		bool hash_ok = strcmp(computed, result_value(res, i, CHAIN_HASH)) == 0;
		bool leaf_ok = hash_ok && audit_leaf_matches(res, i, CHAIN_LEAF_INDEX, &leaf);
		buf_free(&leaf);
		if (leaf_ok)
			return true;
		if (!hash_ok)
			r->detail = rpc_printf(call,
					       "update %s (project %s, %s revision %s) does not match its hash: its "
					       "stored content was changed after it was submitted",
					       id, result_value(res, i, UPD_REF), result_value(res, i, UPD_PERIOD),
					       result_value(res, i, UPD_REVISION));
		else
			r->detail = rpc_printf(
				call,
				"update %s (project %s, %s revision %s) does not match its leaf in the "
				"log (%s): the update or the log was changed after it was submitted",
				id, result_value(res, i, UPD_REF), result_value(res, i, UPD_PERIOD),
				result_value(res, i, UPD_REVISION),
				result_is_null(res, i, CHAIN_LEAF_INDEX)
					? "it has none"
					: rpc_printf(call, "leaf %s", result_value(res, i, CHAIN_LEAF_INDEX)));
	}
	r->ok = false;
	r->first_bad_id = result_int64(res, i, UPD_ID);
	return false;
}

static void audit_verified(struct rpc_call *call, PGresult *res)
{
	const struct audit_state *st = call->state;
	Planreg__V1__VerifyAuditResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__VerifyAuditResponse, planreg__v1__verify_audit_response__init);
	const char *prev = CHAIN_GENESIS;
	int n = PQntuples(res), first = 0;
	if (st->after_id > 0) {
		if (n == 0 || result_int64(res, 0, UPD_ID) != st->after_id) {
			reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "audit_after_id_unknown",
				    "there is no update %lld to continue after: after_id must be the last_id "
				    "of an earlier answer (or 0 to start)",
				    (long long)st->after_id);
			return;
		}
		prev = result_value(res, 0, CHAIN_HASH); /* the anchor: checked by the piece before */
		first = 1;
		r->last_id = st->after_id;
	}
	const Planreg__V1__VerifyAuditRequest *q = call->req->verify_audit;
	r->ok = true;
	r->total = st->total;
	r->more = q->limit > 0 && n - first == q->limit;
	for (int i = first; i < n; i++) {
		r->checked = i - first + 1;
		if (!audit_check_row(call, res, i, prev, r))
			break;
		prev = result_value(res, i, CHAIN_HASH);
		r->last_id = result_int64(res, i, UPD_ID);
	}
	if (!r->ok)
		r->more = false;
	r->head_hash = rpc_strdup(call, prev);
	if (r->ok)
		r->detail = rpc_printf(call, "%lld update%s, every hash and link as recorded", (long long)r->checked,
				       r->checked == 1 ? "" : "s");
	reply_ok(call, r);
}

/* SQL_REVIEW_LEAVES answered: the first review whose leaf is not the one it makes ends the audit; otherwise the
 * chain's first piece. */
static void audit_reviews_checked(struct rpc_call *call, PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct chain_leaf_review lr = {
			.review_id = result_int64(res, i, RL_ID),
			.update_id = result_int64(res, i, RL_UPDATE_ID),
			.accepted = result_bool(res, i, RL_ACCEPTED),
			.comment = result_value(res, i, RL_COMMENT),
			.reviewed_by = result_value(res, i, RL_BY),
			.reviewed_at = result_value(res, i, RL_AT),
			.signature = result_value(res, i, RL_SIGNATURE),
			.certificate_sha256 = result_value(res, i, RL_CERTIFICATE_SHA256),
		};
		struct buf leaf = {0};
		chain_leaf_review(&lr, &leaf);
		bool ok = audit_leaf_matches(res, i, RL_LEAF, &leaf);
		buf_free(&leaf);
		if (ok)
			continue;
		Planreg__V1__VerifyAuditResponse *r = ARENA_NEW(&call->arena, Planreg__V1__VerifyAuditResponse,
								planreg__v1__verify_audit_response__init);
		r->ok = false;
		r->first_bad_id = lr.update_id;
		r->head_hash = "";
		r->detail = rpc_printf(call,
				       "review %lld of update %lld does not match its leaf in the log: the review or "
				       "the log was changed after it was recorded",
				       (long long)lr.review_id, (long long)lr.update_id);
		reply_ok(call, r);
		return;
	}
	const Planreg__V1__VerifyAuditRequest *q = call->req->verify_audit;
	const char *params[2] = {"0", q->limit > 0 ? rpc_printf(call, "%d", q->limit) : NULL};
	query_run(call, SQL_CHAIN, 2, params, audit_verified);
}

static void audit_counted(struct rpc_call *call, PGresult *res)
{
	struct audit_state *st = call->state;
	st->total = result_int64(res, 0, CHAIN_COUNT);
	query_run(call, SQL_REVIEW_LEAVES, 0, NULL, audit_reviews_checked);
}

void audit_verify(struct rpc_call *call)
{
	const Planreg__V1__VerifyAuditRequest *q = call->req->verify_audit;
	if (q->after_id < 0 || q->limit < 0 || q->limit > AUDIT_LIMIT_MAX) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "audit_range_invalid",
			    "after_id must be 0 or an update's id, and limit 0 (all) to %d", AUDIT_LIMIT_MAX);
		return;
	}
	struct audit_state *st = arena_alloc(&call->arena, sizeof *st);
	st->after_id = q->after_id;
	st->total = 0;
	call->state = st;
	if (q->after_id == 0) {
		query_run(call, SQL_CHAIN_COUNT, 0, NULL, audit_counted);
		return;
	}
	/* the anchor row comes first, so one more than the limit */
	const char *params[2] = {rpc_printf(call, "%lld", (long long)q->after_id),
				 q->limit > 0 ? rpc_printf(call, "%d", q->limit + 1) : NULL};
	query_run(call, SQL_CHAIN, 2, params, audit_verified);
}
