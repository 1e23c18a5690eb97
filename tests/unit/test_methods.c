/* test_methods.c - the method table (server/methods.c) against the wire schema and its own
 * rules, and the authorisation gate (server/auth.c) over the whole role x request matrix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "config.h"
#include "methods.h"
#include "planreg.pb-c.h"

static const ProtobufCFieldDescriptor *test_request_field(unsigned number)
{
	return protobuf_c_message_descriptor_get_field(&planreg__v1__request__descriptor, number);
}

/* Every request body in the schema has exactly one method, and every method names one. */
static void test_table_matches_schema(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &planreg__v1__request__descriptor;
	size_t bodies = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		bodies++;
		const struct method *m = method_for(f->id);
		assert_non_null(m);
		assert_int_equal(m->kind, f->id);
	}
	assert_int_equal(bodies, method_count());
	for (size_t i = 0; i < method_count(); i++) {
		const struct method *m = method_at(i);
		assert_int_equal(method_index(m), i);
		assert_non_null(test_request_field((unsigned)m->kind));
		/* its answer travels in the Response field with the same number */
		const ProtobufCFieldDescriptor *r =
			protobuf_c_message_descriptor_get_field(&planreg__v1__response__descriptor, (unsigned)m->kind);
		assert_non_null(r);
		assert_int_equal(r->type, PROTOBUF_C_TYPE_MESSAGE);
	}
	assert_null(method_for(0));
	assert_null(method_for(100000));
}

/* Names are unique, every entry has a handler and at least one role, and the flags agree. */
static void test_entries_are_coherent(void **state)
{
	(void)state;
	for (size_t i = 0; i < method_count(); i++) {
		const struct method *m = method_at(i);
		assert_non_null(m->handler);
		assert_true(m->roles[0] != ROLE_UNSPECIFIED);
		for (size_t j = i + 1; j < method_count(); j++)
			assert_string_not_equal(m->name, method_at(j)->name);
		if (m->replica)
			assert_false(m->writes); /* a replica cannot take a write */
		if (m->idempotent)
			assert_true(m->writes);
		if (m->lead_only)
			assert_true(method_allows(m, ROLE_SUBMITTER));
	}
}

/* The policy, written down a second time on purpose: a change of who may do what must be made
 * here too. A = admin, V = viewer, S = submitter, R = reminder. */
static const struct {
	const char *name;
	const char *roles;
	const char *text; /* how a refusal names them */
} test_policy[] = {
	{"Whoami", "AVSR", "any role"},
	{"ListThemes", "AVSR", "any role"},
	{"ListOrganisations", "AVSR", "any role"},
	{"UpsertOrganisation", "A", "admin"},
	{"ListProjects", "AVSR", "any role"},
	{"GetProject", "AVSR", "any role"},
	{"ImportPlan", "A", "admin"},
	{"EnrolCredential", "A", "admin"},
	{"RevokeCredential", "A", "admin"},
	{"ListCredentials", "A", "admin"},
	{"CreateInvitation", "A", "admin"},
	{"ListInvitations", "A", "admin"},
	{"CancelInvitation", "A", "admin"},
	{"RenewCredential", "AVSR", "any role"},
	{"SubmitUpdate", "AS", "admin or a submitter of a lead organisation"},
	{"GetUpdate", "AVS", "admin, viewer or a submitter of a lead organisation"},
	{"ListUpdates", "AVS", "admin, viewer or a submitter of a lead organisation"},
	{"ReviewUpdate", "A", "admin"},
	{"UpdateTemplate", "AS", "admin or submitter"},
	{"GetCheckpoint", "AVS", "admin, viewer or submitter"},
	{"GetConsistencyProof", "AVS", "admin, viewer or submitter"},
	{"GetInclusionProof", "AVS", "admin, viewer or submitter"},
	{"GetLeaves", "AVS", "admin, viewer or submitter"},
	{"SetWitnessKey", "A", "admin"},
	{"GetWitness", "AVS", "admin, viewer or submitter"},
	{"AddCosignature", "AVS", "admin, viewer or submitter"},
	{"VerifyAudit", "AVS", "admin, viewer or submitter"},
	{"GetStatus", "AVS", "admin, viewer or submitter"},
	{"ListOutstanding", "AVSR", "any role"},
	{"GetTimeliness", "AVS", "admin, viewer or submitter"},
	{"DiffPeriods", "AVS", "admin, viewer or submitter"},
	{"ExportUpdates", "AVS", "admin, viewer or submitter"},
	{"GetReminderPolicy", "AVR", "admin, viewer or reminder"},
	{"SetReminderPolicy", "A", "admin"},
	{"ClaimReminders", "AR", "reminder or admin"},
	{"AckReminder", "AR", "reminder or admin"},
	{"ListReminders", "AVR", "admin, viewer or reminder"},
	{"ListChanges", "AVS", "admin, viewer or submitter"},
	{"GetChange", "AVS", "admin, viewer or submitter"},
	{"DecideChange", "A", "admin"},
	{"AddPerson", "AS", "admin or submitter"},
	{"ListPeople", "AVS", "admin, viewer or submitter"},
	{"RemovePerson", "AS", "admin or submitter"},
	{"AssignProject", "AS", "admin or a submitter of a lead organisation"},
	{"AddEvidence", "AS", "admin or a submitter of a lead organisation"},
	{"RaiseQuery", "A", "admin"},
	{"AddQueryEntry", "AS", "admin or a submitter of a lead organisation"},
	{"ListQueries", "AVS", "admin, viewer or submitter"},
	{"GetQuery", "AVS", "admin, viewer or submitter"},
};

static const struct method *test_method_named(const char *name)
{
	for (size_t i = 0; i < method_count(); i++)
		if (strcmp(method_at(i)->name, name) == 0)
			return method_at(i);
	return NULL;
}

/* Every (role, request) pair of the kinds pinned above: allowed exactly as the policy says, and
 * refused with its text. (test_gate_follows_table covers every kind, pinned or not.) */
static void test_role_matrix(void **state)
{
	(void)state;
	static const struct {
		enum role role;
		char letter;
	} roles[] = {{ROLE_ADMIN, 'A'},
		     {ROLE_VIEWER, 'V'},
		     {ROLE_SUBMITTER, 'S'},
		     {ROLE_REMINDER, 'R'},
		     {ROLE_UNSPECIFIED, '-'}};
	size_t n = sizeof test_policy / sizeof test_policy[0];
	for (size_t i = 0; i < n; i++) {
		const struct method *m = test_method_named(test_policy[i].name);
		assert_non_null(m);
		assert_string_equal(method_roles_text(m), test_policy[i].text);
		for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
			struct principal p = {.role = roles[r].role};
			const char *why = NULL;
			bool expect = strchr(test_policy[i].roles, roles[r].letter) != NULL;
			assert_int_equal(auth_request_allowed(&p, m, &why), expect);
			if (!expect)
				assert_string_equal(why, test_policy[i].text);
		}
	}
	struct principal nobody = {.role = ROLE_VIEWER};
	const char *why = NULL;
	assert_true(auth_request_allowed(&nobody, NULL, &why)); /* unknown kinds: dispatch answers them */
}

/* Every kind, pinned above or not: the gate lets through exactly the roles its entry names, and a
 * refusal's text names each of them. */
static void test_gate_follows_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < method_count(); i++) {
		const struct method *m = method_at(i);
		const char *text = method_roles_text(m);
		for (enum role r = ROLE_UNSPECIFIED; r < ROLE_COUNT; r++) {
			bool named = false;
			for (size_t k = 0; k < ROLE_COUNT && m->roles[k] != ROLE_UNSPECIFIED; k++)
				named = named || m->roles[k] == r;
			struct principal p = {.role = r};
			const char *why = NULL;
			if (m->anonymous) { /* joining: every connection may, with a certificate or without */
				assert_true(auth_request_allowed(&p, m, &why));
				continue;
			}
			assert_int_equal(auth_request_allowed(&p, m, &why), named);
			if (named && strcmp(text, "any role") != 0)
				assert_non_null(strstr(text, r == ROLE_SUBMITTER && m->lead_only
								     ? "a submitter of a lead"
								     : values_role_name(r)));
			if (!named)
				assert_string_equal(why, text);
		}
	}
}

/* The decisions that need data: a project's leads, co-led projects, codes in any case. */
static void test_progress_decisions(void **state)
{
	(void)state;
	char *leads[] = {"STFC", "ATOS"};
	struct principal admin = {.role = ROLE_ADMIN, .organisation = "CA"};
	struct principal stfc = {.role = ROLE_SUBMITTER, .organisation = "stfc"};
	struct principal lcc = {.role = ROLE_SUBMITTER, .organisation = "LCC"};
	struct principal viewer = {.role = ROLE_VIEWER, .organisation = "CA"};
	struct principal reminder = {.role = ROLE_REMINDER, .organisation = "CA"};
	assert_true(auth_may_write_progress(&admin, leads, 2));
	assert_false(auth_leads_project(&admin, leads, 2)); /* an admin reports on behalf of the leads */
	assert_true(auth_may_write_progress(&stfc, leads, 2));
	assert_false(auth_may_write_progress(&lcc, leads, 2));
	assert_false(auth_may_write_progress(&viewer, leads, 2));
	assert_true(auth_may_read_progress(&viewer, leads, 2));
	assert_false(auth_may_read_progress(&lcc, leads, 2));
	assert_false(auth_may_read_progress(&reminder, leads, 2));
	assert_true(auth_may_list_org(&lcc, "lcc"));
	assert_false(auth_may_list_org(&lcc, "SEFTON"));
	assert_true(auth_may_list_org(&viewer, "SEFTON"));
	assert_string_equal(auth_template_org(&lcc, ""), "LCC");
	assert_null(auth_template_org(&lcc, "SEFTON"));
	assert_string_equal(auth_template_org(&admin, "SEFTON"), "SEFTON");
	assert_null(auth_progress_scope(&viewer));
	assert_null(auth_progress_scope(&reminder));
	assert_string_equal(auth_progress_scope(&lcc), "LCC");
}

/* Queries (docs/decisions.md, "Queries"): the CA replies and closes, a lead body's submitter answers, nobody else. */
static void test_query_decisions(void **state)
{
	(void)state;
	char *leads[] = {"STFC", "ATOS"};
	struct principal admin = {.role = ROLE_ADMIN, .organisation = "CA"};
	struct principal atos = {.role = ROLE_SUBMITTER, .organisation = "atos"};
	struct principal lcc = {.role = ROLE_SUBMITTER, .organisation = "LCC"};
	struct principal viewer = {.role = ROLE_VIEWER, .organisation = "CA"};
	assert_int_equal(auth_project_party(&admin, leads, 2), AUTH_PARTY_CA);
	assert_int_equal(auth_project_party(&atos, leads, 2), AUTH_PARTY_LEAD); /* a co-lead, in any case */
	assert_int_equal(auth_project_party(&lcc, leads, 2), AUTH_PARTY_NONE);
	assert_int_equal(auth_project_party(&viewer, leads, 2), AUTH_PARTY_NONE);
	assert_string_equal(auth_query_entry_kind(AUTH_PARTY_CA, false), "reply");
	assert_string_equal(auth_query_entry_kind(AUTH_PARTY_CA, true), "close");
	assert_string_equal(auth_query_entry_kind(AUTH_PARTY_LEAD, false), "answer");
	assert_null(auth_query_entry_kind(AUTH_PARTY_LEAD, true));
	assert_null(auth_query_entry_kind(AUTH_PARTY_NONE, false));
}

/* The size class decides the cap conn.c applies before decoding. */
static void test_request_caps(void **state)
{
	(void)state;
	struct config cfg = {.max_frame_bytes = 1048576, .max_request_bytes = 65536};
	assert_int_equal(method_request_cap(test_method_named("ImportPlan"), &cfg), 1048576);
	/* a return at every field's maximum is about 540 KB */
	assert_int_equal(method_request_cap(test_method_named("SubmitUpdate"), &cfg), 1048576);
	assert_int_equal(method_request_cap(test_method_named("ReviewUpdate"), &cfg), 65536);
	assert_int_equal(method_request_cap(NULL, &cfg), 65536);
	cfg.max_request_bytes = 2000000; /* never above the frame */
	assert_int_equal(method_request_cap(test_method_named("ReviewUpdate"), &cfg), 1048576);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_schema), cmocka_unit_test(test_entries_are_coherent),
		cmocka_unit_test(test_role_matrix),          cmocka_unit_test(test_gate_follows_table),
		cmocka_unit_test(test_progress_decisions),   cmocka_unit_test(test_request_caps),
		cmocka_unit_test(test_query_decisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
