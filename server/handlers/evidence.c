/* evidence.c - documents that back a return or one of its milestones (docs/assurance.md): AddEvidence,
 * IATI's document categories, and the evidence of an update as GetUpdate, ListUpdates and ExportUpdates
 * answer it. Whether the caller may add to a return is auth.c's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "assure.h"
#include "auth.h"
#include "server.h"
#include "validate.h"
#include "values.h"

/* clang-format off */
/* One evidence link (alias e), in the order of enum evidence_col. */
#define EVIDENCE_COLUMNS                                                                                        \
	"e.id, e.update_id, coalesce(e.milestone, 0), e.location, coalesce(e.sha256, ''), e.category, e.title,"  \
	" e.added_by, " TS("e.added_at") ", coalesce(e.indicator_id, 0)"
/* $1 update, $2 milestone (0: the return), $3 indicator (0: none): the project's leads, whether the milestone
 * exists, the ref, whether the return reports an actual for the indicator */
static const char SQL_TARGET[] =
	"SELECT coalesce((SELECT string_agg(org_code, chr(31) ORDER BY position) FROM project_lead_org"
	"   WHERE project_id = u.project_id), ''),"
	" $2::int = 0 OR EXISTS (SELECT 1 FROM update_milestone m WHERE m.update_id = u.id AND m.position = $2::int),"
	" p.ref,"
	" $3::bigint = 0 OR EXISTS (SELECT 1 FROM update_actual a WHERE a.update_id = u.id AND a.indicator_id = $3::bigint)"
	" FROM progress_update u JOIN project p ON p.id = u.project_id WHERE u.id = $1::bigint";
enum { TARGET_LEADS, TARGET_MILESTONE_EXISTS, TARGET_REF, TARGET_ACTUAL_EXISTS };
/* $1 update, $2 milestone, $3 location, $4 sha256, $5 category, $6 title, $7 credential, $8 key, $9 indicator:
 * the new link, or the one this credential added with this key (a retry) */
static const char SQL_ADD[] =
	"WITH ins AS (INSERT INTO evidence_link (update_id, milestone, location, sha256, category, title, added_by,"
	"   idempotency_key, indicator_id)"
	"   VALUES ($1::bigint, NULLIF($2::int, 0), $3, NULLIF($4, ''), $5, $6, $7, NULLIF($8, ''), NULLIF($9::bigint, 0))"
	"   ON CONFLICT (added_by, idempotency_key) DO NOTHING RETURNING *)"
	" SELECT " EVIDENCE_COLUMNS " FROM ins e"
	" UNION ALL SELECT " EVIDENCE_COLUMNS " FROM evidence_link e WHERE e.added_by = $7"
	"  AND e.idempotency_key = NULLIF($8, '')";
/* clang-format on */
enum evidence_col {
	EVIDENCE_ID,
	EVIDENCE_UPDATE_ID,
	EVIDENCE_MILESTONE,
	EVIDENCE_LOCATION,
	EVIDENCE_SHA256,
	EVIDENCE_CATEGORY,
	EVIDENCE_TITLE,
	EVIDENCE_BY,
	EVIDENCE_AT,
	EVIDENCE_INDICATOR,
	EVIDENCE_COUNT
};

/* The evidence of one update from its cell (ASSURE_EVIDENCE_CELL): links joined with RESULT_SEP, each one's
 * fields in enum evidence_col order joined with RESULT_SUBSEP. */
void evidence_from_cell(struct rpc_call *call, const char *cell, Planreg__V1__Evidence ***out, size_t *n)
{
	char **links;
	size_t nl = result_split(&call->arena, cell, RESULT_SEP, &links);
	for (size_t i = 0; i < nl; i++) {
		char **f;
		if (result_split(&call->arena, links[i], RESULT_SUBSEP, &f) < EVIDENCE_COUNT)
			continue;
		Planreg__V1__Evidence *e = ARENA_NEW(&call->arena, Planreg__V1__Evidence, planreg__v1__evidence__init);
		e->id = strtoll(f[EVIDENCE_ID], NULL, 10);
		e->update_id = strtoll(f[EVIDENCE_UPDATE_ID], NULL, 10);
		e->milestone = atoi(f[EVIDENCE_MILESTONE]);
		e->location = f[EVIDENCE_LOCATION];
		e->sha256 = f[EVIDENCE_SHA256];
		e->category = f[EVIDENCE_CATEGORY];
		e->title = f[EVIDENCE_TITLE];
		e->added_by = f[EVIDENCE_BY];
		e->added_at = f[EVIDENCE_AT];
		e->indicator_id = strtoll(f[EVIDENCE_INDICATOR], NULL, 10);
		*(Planreg__V1__Evidence **)arena_push(&call->arena, out, n, sizeof e) = e;
	}
}

/* ---------------------------------------------------------------- AddEvidence */

static void evidence_added(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) == 0) {
		reply_error(
			call, PLANREG__V1__CODE__ABORTED, "conflict",
			"another document with idempotency key \"%s\" was being added at the same moment; try again",
			call->req->idempotency_key);
		return;
	}
	Planreg__V1__AddEvidenceResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__AddEvidenceResponse, planreg__v1__add_evidence_response__init);
	char *cell = rpc_printf(call, "%s", "");
	for (int c = 0; c < EVIDENCE_COUNT; c++)
		cell = rpc_printf(call, "%s%s%s", cell, c ? RESULT_SUBSEP : "", result_value(res, 0, c));
	Planreg__V1__Evidence **one = NULL;
	size_t n = 0;
	evidence_from_cell(call, cell, &one, &n);
	r->evidence = n ? one[0] : NULL;
	reply_ok(call, r);
}

static void evidence_target(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AddEvidenceRequest *q = call->req->add_evidence;
	if (PQntuples(res) == 0) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "update_not_found", "there is no update %lld",
			    (long long)q->update_id);
		return;
	}
	char **leads;
	size_t n = result_split(&call->arena, result_value(res, 0, TARGET_LEADS), RESULT_SEP, &leads);
	if (!auth_may_write_progress(&call->principal, leads, n)) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "not_lead",
			    "your organisation %s may not add documents to update %lld: its project %s is led by %s",
			    call->principal.organisation, (long long)q->update_id, result_value(res, 0, TARGET_REF),
			    n ? leads[0] : "nobody");
		return;
	}
	if (!result_bool(res, 0, TARGET_MILESTONE_EXISTS)) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "milestone_not_found",
			    "update %lld has no milestone %d (milestones count from 1 in the return's order)",
			    (long long)q->update_id, q->milestone);
		return;
	}
	if (!result_bool(res, 0, TARGET_ACTUAL_EXISTS)) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "actual_not_found",
			    "update %lld reports no actual for indicator %lld (`planreg update show %lld` lists its "
			    "actuals)",
			    (long long)q->update_id, (long long)q->indicator_id, (long long)q->update_id);
		return;
	}
	const char *params[9] = {rpc_printf(call, "%lld", (long long)q->update_id),
				 rpc_printf(call, "%d", q->milestone),
				 q->location,
				 q->sha256,
				 q->category,
				 q->title,
				 call->principal.credential,
				 call->req->idempotency_key,
				 rpc_printf(call, "%lld", (long long)q->indicator_id)};
	query_run(call, SQL_ADD, 9, params, evidence_added);
}

/* A URL (http or https, no spaces) or a file name (no directory, no spaces at either end). */
static void evidence_check_location(struct rpc_call *call, const char *s)
{
	if (!validate_text(call, "location", s, 2000, VALIDATE_REQUIRED))
		return;
	bool url = strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
	if (url && strchr(s, ' '))
		reply_violation(call, "location", "a URL has no spaces: write them as %%20");
	else if (!url && (strchr(s, '/') || strchr(s, '\\') || isspace((unsigned char)s[0]) ||
			  isspace((unsigned char)s[strlen(s) - 1])))
		reply_violation(call, "location",
				"\"%s\" is neither a URL (http:// or https://) nor a file name without a directory", s);
}

void evidence_add(struct rpc_call *call)
{
	Planreg__V1__AddEvidenceRequest *q = call->req->add_evidence;
	if (q->update_id <= 0)
		reply_violation(call, "update_id", "%lld is not an update id", (long long)q->update_id);
	if (q->milestone < 0 || q->milestone > 1000)
		reply_violation(call, "milestone", "%d is not a milestone's position (from 1; 0 for the return)",
				q->milestone);
	if (q->indicator_id < 0)
		reply_violation(call, "indicator_id", "%lld is not an indicator id", (long long)q->indicator_id);
	else if (q->indicator_id > 0 && q->milestone > 0)
		reply_violation(call, "indicator_id", "a document backs a milestone or an actual, not both");
	evidence_check_location(call, q->location);
	size_t len = strlen(q->sha256);
	for (size_t i = 0; i < len; i++)
		q->sha256[i] = (char)tolower((unsigned char)q->sha256[i]);
	if (len && (len != 64 || strspn(q->sha256, "0123456789abcdef") != 64))
		reply_violation(call, "sha256", "is not a SHA-256: 64 hexadecimal digits, or empty");
	if (values_document_category(q->category) == NULL)
		reply_violation(call, "category",
				"\"%s\" is not an IATI document category: A01-A12 (about the project, e.g. A07 review "
				"of project performance, A08 results, outcomes and outputs) or B01-B18",
				q->category);
	validate_text(call, "title", q->title, 500, 0);
	validate_text(call, "idempotency_key", call->req->idempotency_key, 200, 0);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_evidence");
		return;
	}
	const char *params[3] = {rpc_printf(call, "%lld", (long long)q->update_id),
				 rpc_printf(call, "%d", q->milestone),
				 rpc_printf(call, "%lld", (long long)q->indicator_id)};
	query_run(call, SQL_TARGET, 3, params, evidence_target);
}
