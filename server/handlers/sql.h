/* sql.h - SQL fragments more than one handler's statements are built from: how a timestamp is
 * written for a client, the current plan, and the columns of one progress update as the hash
 * chain covers them (chain.h). String literals only, pasted into each file's SQL constants. */
#ifndef PLANREG_HANDLERS_SQL_H
#define PLANREG_HANDLERS_SQL_H

/* SQL reads better laid out by hand. */
/* clang-format off */

/* A timestamptz as RFC 3339 in UTC, to the second, "" for NULL: "2026-10-20T09:30:00Z". */
#define TS(col) "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"
/* TS under a column name: what result_fill (result.h) matches with a message's field. */
#define TS_AS(col, name) TS(col) " AS " name
/* The same to the microsecond (NULL stays NULL): what the hash chain records. */
#define TS_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The current plan: the newest edition (docs/decisions.md, "Editions"). */
#define CURRENT_PLAN "(SELECT max(id) FROM plan)"
/* The plan a request names (a text parameter such as "$3": its number, its title, "" for the current one),
 * found once per statement; an unknown plan fails the statement with NOT_FOUND (migrations/0016). */
#define PLAN_NAMED(param) "(SELECT planreg_plan_id(" param "))"
/* The rows of one project in every edition, given its lineage ("p.lineage"): its returns are the updates whose
 * project_id is IN this (migrations/0016), whichever edition each was made for. */
#define SAME_PROJECT(lineage) "(SELECT m.id FROM project m WHERE m.lineage = " lineage ")"

/*
 * One progress update's content and record, in the order of enum sql_update_col (aliases
 * u = progress_update, p = project): what its hash covers. Milestones are joined with
 * RESULT_SEP, each as title, baseline, forecast and achieved joined with RESULT_SUBSEP;
 * risks are joined with RESULT_SEP; the actuals are SQL_ACTUALS_CELL's. update.c and audit.c select these first.
 */
#define SQL_UPDATE_RECORD_COLUMNS                                                                                \
	"u.id, p.ref, u.period, u.revision, u.confidence, u.stage, u.narrative, u.spend_to_date_pence,"          \
	" u.forecast_total_pence, u.variance_note,"                                                              \
	" coalesce((SELECT string_agg(m.title || chr(30) || to_char(m.baseline, 'YYYY-MM-DD') || chr(30) ||"    \
	"   coalesce(to_char(m.forecast, 'YYYY-MM-DD'), '') || chr(30) || coalesce(to_char(m.achieved, 'YYYY-MM-DD'), ''),"\
	"   chr(31) ORDER BY m.position) FROM update_milestone m WHERE m.update_id = u.id), ''),"              \
	" coalesce((SELECT string_agg(k.risk, chr(31) ORDER BY k.position) FROM update_risk k"                 \
	"   WHERE k.update_id = u.id), ''),"                                                                     \
	" u.submitted_by, u.submitted_org, u.submitted_person, u.on_behalf, " TS_US("u.submitted_at") " AS submitted_at," \
	" " SQL_ACTUALS_CELL("u.id")
/* A return's actuals (migrations/0022) as one cell: joined with RESULT_SEP in the return's order, each as the
 * indicator's id, the value, the note, the indicator's name and unit joined with RESULT_SUBSEP
 * (indicator_actuals_cell reads it). */
#define SQL_ACTUALS_CELL(update)                                                                                 \
	"coalesce((SELECT string_agg(a.indicator_id || chr(30) || a.value || chr(30) || a.note || chr(30) ||"     \
	"   i.name || chr(30) || i.unit, chr(31) ORDER BY a.position)"                                            \
	"  FROM update_actual a JOIN indicator i ON i.id = a.indicator_id WHERE a.update_id = " update "), '')"
/* One credential (alias c), in the order of enum credential_col and named as the Credential message's
 * fields (credential_from_row fills it with result_fill): credential.c's statements and invite.c's return these. */
#define CREDENTIAL_COLUMNS                                                                                    \
	"c.name, c.fingerprint, c.org_code AS organisation, coalesce(c.person, '') AS person, c.role, "           \
	TS_AS("c.enrolled_at", "enrolled_at") ", c.enrolled_by, " TS_AS("c.revoked_at", "revoked_at") ","         \
	" coalesce(c.revoked_by, '') AS revoked_by, " TS_AS("c.not_after", "not_after") ","                       \
	TS_AS("c.last_seen_at", "last_seen_at") ", coalesce(c.invitation_id, 0) AS invitation_id,"                \
	" coalesce(c.replaces, '') AS replaces, " TS_AS("c.retire_at", "retire_at")
/* clang-format on */

enum credential_col {
	CREDENTIAL_NAME,
	CREDENTIAL_FINGERPRINT,
	CREDENTIAL_ORG,
	CREDENTIAL_PERSON,
	CREDENTIAL_ROLE,
	CREDENTIAL_ENROLLED_AT,
	CREDENTIAL_ENROLLED_BY,
	CREDENTIAL_REVOKED_AT,
	CREDENTIAL_REVOKED_BY,
	CREDENTIAL_NOT_AFTER,
	CREDENTIAL_LAST_SEEN_AT,
	CREDENTIAL_INVITATION_ID,
	CREDENTIAL_REPLACES,
	CREDENTIAL_RETIRE_AT,
};

enum sql_update_col {
	UPD_ID,
	UPD_REF,
	UPD_PERIOD,
	UPD_REVISION,
	UPD_CONFIDENCE,
	UPD_STAGE,
	UPD_NARRATIVE,
	UPD_SPEND_PENCE,
	UPD_FORECAST_PENCE,
	UPD_VARIANCE_NOTE,
	UPD_MILESTONES,
	UPD_RISKS,
	UPD_SUBMITTED_BY,
	UPD_SUBMITTED_ORG,
	UPD_SUBMITTED_PERSON,
	UPD_ON_BEHALF,
	UPD_SUBMITTED_AT,
	UPD_ACTUALS,       /* SQL_ACTUALS_CELL */
	UPD_RECORD_COLUMNS /* the number of them: a statement's own columns follow from here */
};

#endif
