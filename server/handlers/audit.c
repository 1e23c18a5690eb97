/* audit.c - VerifyAudit: recomputes the hash chain over every progress update
 * (docs/audit.md) and names the first update whose content or link does not match. */
#include <string.h>

#include "chain.h"
#include "handlers.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
static const char SQL_CHAIN[] =
	"SELECT u.id, p.ref, u.period, u.revision, u.confidence, u.stage, u.narrative, u.spend_to_date_pence,"
	" u.forecast_total_pence, u.variance_note,"
	" coalesce((SELECT string_agg(m.title || chr(30) || to_char(m.baseline, 'YYYY-MM-DD') || chr(30) ||"
	"   coalesce(to_char(m.forecast, 'YYYY-MM-DD'), '') || chr(30) || coalesce(to_char(m.achieved, 'YYYY-MM-DD'), ''),"
	"   chr(31) ORDER BY m.position) FROM update_milestone m WHERE m.update_id = u.id), ''),"
	" coalesce((SELECT string_agg(k.risk, chr(31) ORDER BY k.position) FROM update_risk k"
	"   WHERE k.update_id = u.id), ''),"
	" u.submitted_by, u.submitted_org, u.submitted_person, u.on_behalf,"
	" to_char(u.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), u.prev_hash, u.hash"
	" FROM progress_update u JOIN project p ON p.id = u.project_id ORDER BY u.id";
/* clang-format on */

/* Recomputes row i's hash from its stored content. */
static void audit_hash_row(struct rpc_call *call, PGresult *res, int i, const char *prev, char out[65])
{
	char **ms, **risks;
	size_t n_ms = rpc_split(call, rpc_value(res, i, 10), RPC_SEP, &ms);
	size_t n_risks = rpc_split(call, rpc_value(res, i, 11), RPC_SEP, &risks);
	struct chain_milestone *cms = arena_alloc(&call->arena, (n_ms + 1) * sizeof *cms);
	for (size_t k = 0; k < n_ms; k++) {
		char **f;
		size_t nf = rpc_split(call, ms[k], RPC_SUBSEP, &f);
		cms[k].title = nf > 0 ? f[0] : "";
		cms[k].baseline = nf > 1 ? f[1] : "";
		cms[k].forecast = nf > 2 ? f[2] : "";
		cms[k].achieved = nf > 3 ? f[3] : "";
	}
	struct chain_content c = {
		.ref = rpc_int(res, i, 1),
		.period = rpc_value(res, i, 2),
		.confidence = rpc_value(res, i, 4),
		.stage = rpc_value(res, i, 5),
		.narrative = rpc_value(res, i, 6),
		.has_spend = !rpc_is_null(res, i, 7),
		.spend_pence = rpc_int64(res, i, 7),
		.has_forecast = !rpc_is_null(res, i, 8),
		.forecast_pence = rpc_int64(res, i, 8),
		.variance_note = rpc_value(res, i, 9),
		.milestones = cms,
		.n_milestones = n_ms,
		.risks = (const char *const *)risks,
		.n_risks = n_risks,
	};
	struct chain_record r = {
		.revision = rpc_int(res, i, 3),
		.submitted_by = rpc_value(res, i, 12),
		.submitted_org = rpc_value(res, i, 13),
		.submitted_person = rpc_value(res, i, 14),
		.on_behalf = rpc_bool(res, i, 15),
		.submitted_at = rpc_value(res, i, 16),
	};
	chain_hash(prev, &c, &r, out);
}

static void audit_verified(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__VerifyAuditResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__VerifyAuditResponse, planreg__v1__verify_audit_response__init);
	const char *prev = CHAIN_GENESIS;
	r->ok = true;
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *id = rpc_value(res, i, 0);
		const char *stored_prev = rpc_value(res, i, 17);
		const char *stored = rpc_value(res, i, 18);
		r->checked = i + 1;
		if (strcmp(stored_prev, prev) != 0) {
			r->ok = false;
			r->first_bad_id = rpc_int64(res, i, 0);
			r->detail =
				rpc_printf(call,
					   "update %s (project %s, %s revision %s) does not link to the update before "
					   "it: its previous hash is %.16s..., the chain says %.16s...; an update was "
					   "removed, reordered or rewritten",
					   id, rpc_value(res, i, 1), rpc_value(res, i, 2), rpc_value(res, i, 3),
					   stored_prev, prev);
			break;
		}
		char computed[65];
		audit_hash_row(call, res, i, prev, computed);
		if (strcmp(computed, stored) != 0) {
			r->ok = false;
			r->first_bad_id = rpc_int64(res, i, 0);
			r->detail =
				rpc_printf(call,
					   "update %s (project %s, %s revision %s) does not match its hash: its stored "
					   "content was changed after it was submitted",
					   id, rpc_value(res, i, 1), rpc_value(res, i, 2), rpc_value(res, i, 3));
			break;
		}
		prev = stored;
	}
	r->head_hash = rpc_strdup(call, prev);
	if (r->ok)
		r->detail = rpc_printf(call, "%d update%s, every hash and link as recorded", n, n == 1 ? "" : "s");
	rpc_reply_ok(call, r);
}

void audit_verify(struct rpc_call *call)
{
	rpc_query(call, SQL_CHAIN, 0, NULL, audit_verified);
}
