/* methods.c - the table of request kinds (see methods.h). Adding a request kind: the message in
 * proto/planreg.proto, one line here, and the handler (docs/hacking.md). */
#include "methods.h"

#include <stdio.h>
#include <string.h>

#include "handlers/handlers.h"

#define ANY                                                                                                            \
	{                                                                                                              \
		ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER, ROLE_REMINDER                                                 \
	}
#define K(x) PLANREG__V1__REQUEST__BODY_##x

/*
 * Reading the register is open to every enrolled credential (the reminder job needs
 * organisations and projects); changing it is the CA's (admin). Progress: submitters write
 * their own organisation's, admins anyone's; viewers and the reminder job never write it.
 * Credentials stay on the primary (replica false): who may do what is never read from a copy
 * that may lag behind a revocation.
 */
static const struct method method_table[] = {
	{.kind = K(WHOAMI),
	 .name = "Whoami",
	 .doing = "asking who you are",
	 .handler = register_whoami,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(LIST_THEMES),
	 .name = "ListThemes",
	 .doing = "listing the themes",
	 .handler = register_list_themes,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(LIST_ORGANISATIONS),
	 .name = "ListOrganisations",
	 .doing = "listing the organisations",
	 .handler = register_list_organisations,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(UPSERT_ORGANISATION),
	 .name = "UpsertOrganisation",
	 .doing = "changing an organisation",
	 .handler = register_upsert_organisation,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(LIST_PROJECTS),
	 .name = "ListProjects",
	 .doing = "listing the projects",
	 .handler = register_list_projects,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(GET_PROJECT),
	 .name = "GetProject",
	 .doing = "showing a project",
	 .handler = register_get_project,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(IMPORT_PLAN),
	 .name = "ImportPlan",
	 .doing = "importing a plan",
	 .handler = import_plan,
	 .roles = {ROLE_ADMIN},
	 .writes = true,
	 .size = METHOD_LARGE},
	{.kind = K(ENROL_CREDENTIAL),
	 .name = "EnrolCredential",
	 .doing = "enrolling a credential",
	 .handler = credential_enrol,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(REVOKE_CREDENTIAL),
	 .name = "RevokeCredential",
	 .doing = "revoking a credential",
	 .handler = credential_revoke,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(LIST_CREDENTIALS),
	 .name = "ListCredentials",
	 .doing = "listing the credentials",
	 .handler = credential_list,
	 .roles = {ROLE_ADMIN}},
	/* joining (docs/onboarding.md): invitations are the CA's; redeeming one needs no certificate yet */
	{.kind = K(CREATE_INVITATION),
	 .name = "CreateInvitation",
	 .doing = "inviting a person",
	 .handler = invite_create,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(LIST_INVITATIONS),
	 .name = "ListInvitations",
	 .doing = "listing invitations",
	 .handler = invite_list,
	 .roles = {ROLE_ADMIN}},
	{.kind = K(CANCEL_INVITATION),
	 .name = "CancelInvitation",
	 .doing = "cancelling an invitation",
	 .handler = invite_cancel,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(GET_SERVER_CA),
	 .name = "GetServerCa",
	 .doing = "asking for the server's CA",
	 .handler = invite_server_ca,
	 .roles = ANY,
	 .anonymous = true},
	{.kind = K(REDEEM_INVITATION),
	 .name = "RedeemInvitation",
	 .doing = "joining with an invitation",
	 .handler = invite_redeem,
	 .roles = ANY,
	 .writes = true,
	 .anonymous = true},
	{.kind = K(RENEW_CREDENTIAL),
	 .name = "RenewCredential",
	 .doing = "renewing a certificate",
	 .handler = invite_renew,
	 .roles = ANY,
	 .writes = true},
	{.kind = K(SUBMIT_UPDATE),
	 .name = "SubmitUpdate",
	 .doing = "submitting a return",
	 .handler = update_submit,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .lead_only = true,
	 .writes = true,
	 .idempotent = true,
	 /* a valid return at every field's maximum (a 20,000-character narrative in 4-byte characters, 50 risks
	  * of 2,000) is about 540 KB: above max_request_bytes, within max_frame_bytes */
	 .size = METHOD_LARGE},
	{.kind = K(GET_UPDATE),
	 .name = "GetUpdate",
	 .doing = "showing a return",
	 .handler = update_get,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .lead_only = true,
	 .replica = true},
	{.kind = K(LIST_UPDATES),
	 .name = "ListUpdates",
	 .doing = "listing returns",
	 .handler = update_list,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .lead_only = true,
	 .replica = true},
	{.kind = K(REVIEW_UPDATE),
	 .name = "ReviewUpdate",
	 .doing = "reviewing a return",
	 .handler = update_review,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(UPDATE_TEMPLATE),
	 .name = "UpdateTemplate",
	 .doing = "making a return template",
	 .handler = update_template,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .replica = true},
	/* the verifiable log: read by every body that monitors it, from the primary (a receipt's tree is there) */
	{.kind = K(GET_CHECKPOINT),
	 .name = "GetCheckpoint",
	 .doing = "fetching the log's checkpoint",
	 .handler = log_get_checkpoint,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER}},
	{.kind = K(GET_CONSISTENCY_PROOF),
	 .name = "GetConsistencyProof",
	 .doing = "fetching a consistency proof",
	 .handler = log_get_consistency_proof,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER}},
	{.kind = K(GET_INCLUSION_PROOF),
	 .name = "GetInclusionProof",
	 .doing = "fetching an inclusion proof",
	 .handler = log_get_inclusion_proof,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER}},
	{.kind = K(GET_LEAVES),
	 .name = "GetLeaves",
	 .doing = "fetching the log's entries",
	 .handler = log_get_leaves,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER}},
	/* witnesses (docs/verifiable-log.md): the CA registers each organisation's key; an organisation's own
	 * credentials cosign as that organisation (the key is looked up by the caller's organisation) */
	{.kind = K(SET_WITNESS_KEY),
	 .name = "SetWitnessKey",
	 .doing = "registering a witness key",
	 .handler = log_witness_set_key,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(GET_WITNESS),
	 .name = "GetWitness",
	 .doing = "asking what the service knows of your witness",
	 .handler = log_witness_get,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER}},
	{.kind = K(ADD_COSIGNATURE),
	 .name = "AddCosignature",
	 .doing = "sending a cosignature",
	 .handler = log_witness_add_cosignature,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .writes = true},
	{.kind = K(GET_COSIGNED_CHECKPOINT),
	 .name = "GetCosignedCheckpoint",
	 .doing = "fetching the newest cosigned checkpoint",
	 .handler = log_witness_get_cosigned,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER}},
	/* a submitter verifies too (issue 20: the body that kept receipts checks them itself); what the chain's
	 * verdict names (update ids, refs, periods, revisions) is what GetLeaves already shows it */
	{.kind = K(VERIFY_AUDIT),
	 .name = "VerifyAudit",
	 .doing = "verifying the history",
	 .handler = audit_verify,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	/* the consolidated picture: a submitter sees the same shapes, cut to its own projects */
	{.kind = K(GET_STATUS),
	 .name = "GetStatus",
	 .doing = "showing the status",
	 .handler = status_get,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(LIST_OUTSTANDING),
	 .name = "ListOutstanding",
	 .doing = "listing outstanding returns",
	 .handler = status_outstanding,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(GET_TIMELINESS),
	 .name = "GetTimeliness",
	 .doing = "showing timeliness",
	 .handler = status_timeliness,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(DIFF_PERIODS),
	 .name = "DiffPeriods",
	 .doing = "comparing two quarters",
	 .handler = status_diff,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(EXPORT_UPDATES),
	 .name = "ExportUpdates",
	 .doing = "exporting returns",
	 .handler = update_export,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	/* reminders: the job claims and acknowledges them (an admin may run it by hand); the policy is the CA's */
	{.kind = K(GET_REMINDER_POLICY),
	 .name = "GetReminderPolicy",
	 .doing = "showing the reminder policy",
	 .handler = remind_get_policy,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_REMINDER},
	 .replica = true},
	{.kind = K(SET_REMINDER_POLICY),
	 .name = "SetReminderPolicy",
	 .doing = "changing the reminder policy",
	 .handler = remind_set_policy,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	{.kind = K(CLAIM_REMINDERS),
	 .name = "ClaimReminders",
	 .doing = "claiming reminders",
	 .handler = remind_claim,
	 .roles = {ROLE_REMINDER, ROLE_ADMIN},
	 .writes = true},
	{.kind = K(ACK_REMINDER),
	 .name = "AckReminder",
	 .doing = "recording a reminder sent",
	 .handler = remind_ack,
	 .roles = {ROLE_REMINDER, ROLE_ADMIN},
	 .writes = true},
	{.kind = K(LIST_REMINDERS),
	 .name = "ListReminders",
	 .doing = "listing reminders",
	 .handler = remind_list,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_REMINDER},
	 .replica = true},
	/* the editions of the plan: part of the register, which every role reads */
	{.kind = K(LIST_PLANS),
	 .name = "ListPlans",
	 .doing = "listing the plans",
	 .handler = plan_list,
	 .roles = ANY,
	 .replica = true},
	{.kind = K(GET_PLAN),
	 .name = "GetPlan",
	 .doing = "showing a plan",
	 .handler = plan_get,
	 .roles = ANY,
	 .replica = true},
	/* change control (docs/assurance.md): submitters see their own projects' requests; only the CA decides */
	{.kind = K(LIST_CHANGES),
	 .name = "ListChanges",
	 .doing = "listing change requests",
	 .handler = change_list,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(GET_CHANGE),
	 .name = "GetChange",
	 .doing = "showing a change request",
	 .handler = change_get,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(DECIDE_CHANGE),
	 .name = "DecideChange",
	 .doing = "deciding a change request",
	 .handler = change_decide,
	 .roles = {ROLE_ADMIN},
	 .writes = true},
	/* indicators (docs/assurance.md): the CA defines them, a lead body's submitter proposes (auth.c decides) */
	{.kind = K(ADD_INDICATOR),
	 .name = "AddIndicator",
	 .doing = "adding an indicator",
	 .handler = indicator_add,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .lead_only = true,
	 .writes = true},
	{.kind = K(LIST_INDICATORS),
	 .name = "ListIndicators",
	 .doing = "listing indicators",
	 .handler = indicator_list,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(GET_INDICATOR),
	 .name = "GetIndicator",
	 .doing = "showing an indicator",
	 .handler = indicator_get,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(ADD_EVIDENCE),
	 .name = "AddEvidence",
	 .doing = "adding a document to a return",
	 .handler = evidence_add,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .lead_only = true,
	 .writes = true},
	/* queries on one section of a return (docs/assurance.md, "Queries"): the CA raises; who answers is auth.c's */
	{.kind = K(RAISE_QUERY),
	 .name = "RaiseQuery",
	 .doing = "raising a query on a return",
	 .handler = queries_raise,
	 .roles = {ROLE_ADMIN},
	 .writes = true,
	 .idempotent = true},
	{.kind = K(ADD_QUERY_ENTRY),
	 .name = "AddQueryEntry",
	 .doing = "answering a query",
	 .handler = queries_add_entry,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .lead_only = true,
	 .writes = true,
	 .idempotent = true},
	{.kind = K(LIST_QUERIES),
	 .name = "ListQueries",
	 .doing = "listing queries",
	 .handler = queries_list,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(GET_QUERY),
	 .name = "GetQuery",
	 .doing = "showing a query",
	 .handler = queries_get,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	/* people (docs/decisions.md, "People"): the CA's admin any organisation's, a submitter its own (auth.c) */
	{.kind = K(ADD_PERSON),
	 .name = "AddPerson",
	 .doing = "adding a person",
	 .handler = people_add,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .writes = true},
	{.kind = K(LIST_PEOPLE),
	 .name = "ListPeople",
	 .doing = "listing people",
	 .handler = people_list,
	 .roles = {ROLE_ADMIN, ROLE_VIEWER, ROLE_SUBMITTER},
	 .replica = true},
	{.kind = K(REMOVE_PERSON),
	 .name = "RemovePerson",
	 .doing = "removing a person",
	 .handler = people_remove,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .writes = true},
	{.kind = K(ASSIGN_PROJECT),
	 .name = "AssignProject",
	 .doing = "assigning a project's returns",
	 .handler = people_assign,
	 .roles = {ROLE_ADMIN, ROLE_SUBMITTER},
	 .lead_only = true,
	 .writes = true},
};

#define METHOD_COUNT (sizeof method_table / sizeof method_table[0])
_Static_assert(METHOD_COUNT <= METHOD_MAX, "raise METHOD_MAX");

const struct method *method_for(uint32_t kind)
{
	for (size_t i = 0; i < METHOD_COUNT; i++)
		if ((uint32_t)method_table[i].kind == kind)
			return &method_table[i];
	return NULL;
}

size_t method_count(void)
{
	return METHOD_COUNT;
}

const struct method *method_at(size_t i)
{
	return i < METHOD_COUNT ? &method_table[i] : NULL;
}

size_t method_index(const struct method *m)
{
	return (size_t)(m - method_table);
}

bool method_allows(const struct method *m, enum role role)
{
	for (size_t i = 0; i < ROLE_COUNT && m->roles[i] != ROLE_UNSPECIFIED; i++)
		if (m->roles[i] == role)
			return true;
	return false;
}

/* The words for one role in a refusal: a lead-only submitter is named as such. */
static const char *method_role_words(const struct method *m, enum role r)
{
	if (r == ROLE_SUBMITTER && m->lead_only)
		return "a submitter of a lead organisation";
	return values_role_name(r);
}

/* "a", "a or b", "a, b or c"; "any role" when every role may. */
static void method_format_roles(const struct method *m, char *out, size_t n)
{
	size_t count = 0;
	while (count < ROLE_COUNT && m->roles[count] != ROLE_UNSPECIFIED)
		count++;
	if (count == ROLE_COUNT - 1) {
		snprintf(out, n, "any role");
		return;
	}
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
		int w = snprintf(out + used, n - used, "%s%s", sep, method_role_words(m, m->roles[i]));
		used += w > 0 ? (size_t)w : 0;
	}
}

const char *method_roles_text(const struct method *m)
{
	static char texts[METHOD_COUNT][96];
	if (m == NULL)
		return "nobody";
	char *t = texts[method_index(m)];
	if (t[0] == '\0')
		method_format_roles(m, t, sizeof texts[0]);
	return t;
}

size_t method_request_cap(const struct method *m, const struct config *cfg)
{
	size_t frame = (size_t)cfg->max_frame_bytes, request = (size_t)cfg->max_request_bytes;
	if ((m != NULL && m->size == METHOD_LARGE) || request > frame)
		return frame;
	return request;
}
