/* test_values.c - unit tests for values.c: every name of every enumeration, both ways, and the rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "values.h"

static void test_values_stage(void **state)
{
	(void)state;
	static const struct {
		enum stage v;
		const char *name;
	} all[] = {
		{STAGE_CONCEPT, "concept"},
		{STAGE_EARLY_DEVELOPMENT, "early_development"},
		{STAGE_ADVANCED_DEVELOPMENT, "advanced_development"},
		{STAGE_LIVE, "live"},
		{STAGE_COMPLETED, "completed"},
		{STAGE_PAUSED, "paused"},
		{STAGE_CANCELLED, "cancelled"},
	};
	assert_int_equal(sizeof(all) / sizeof(all[0]), STAGE_COUNT - 1);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_string_equal(values_stage_name(all[i].v), all[i].name);
		enum stage v = STAGE_UNSPECIFIED;
		assert_true(values_stage_parse(all[i].name, &v));
		assert_int_equal(v, all[i].v);
	}
	assert_string_equal(values_stage_name(STAGE_UNSPECIFIED), "unspecified");
	enum stage v = STAGE_LIVE;
	assert_false(values_stage_parse("unspecified", &v));
	assert_false(values_stage_parse("Live", &v));
	assert_false(values_stage_parse("live ", &v));
	assert_false(values_stage_parse("early development", &v));
	assert_false(values_stage_parse("", &v));
	assert_int_equal(v, STAGE_LIVE);
	assert_string_equal(values_stage_names(),
			    "concept, early_development, advanced_development, live, completed, paused, cancelled");
}

static void test_values_cost_status(void **state)
{
	(void)state;
	static const struct {
		enum cost_status v;
		const char *name;
	} all[] = {
		{COST_STATUS_KNOWN, "known"},
		{COST_STATUS_UNKNOWN, "unknown"},
		{COST_STATUS_NOT_APPLICABLE, "not_applicable"},
	};
	assert_int_equal(sizeof(all) / sizeof(all[0]), COST_STATUS_COUNT - 1);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_string_equal(values_cost_status_name(all[i].v), all[i].name);
		enum cost_status v = COST_STATUS_UNSPECIFIED;
		assert_true(values_cost_status_parse(all[i].name, &v));
		assert_int_equal(v, all[i].v);
	}
	enum cost_status v;
	assert_false(values_cost_status_parse("unspecified", &v));
	assert_false(values_cost_status_parse("n/a", &v));
	assert_false(values_cost_status_parse("KNOWN", &v));
}

static void test_values_confidence(void **state)
{
	(void)state;
	static const struct {
		enum confidence v;
		const char *name;
	} all[] = {
		{CONFIDENCE_GREEN, "green"}, {CONFIDENCE_AMBER_GREEN, "amber_green"},
		{CONFIDENCE_AMBER, "amber"}, {CONFIDENCE_AMBER_RED, "amber_red"},
		{CONFIDENCE_RED, "red"},
	};
	assert_int_equal(sizeof(all) / sizeof(all[0]), CONFIDENCE_COUNT - 1);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_string_equal(values_confidence_name(all[i].v), all[i].name);
		enum confidence v = CONFIDENCE_UNSPECIFIED;
		assert_true(values_confidence_parse(all[i].name, &v));
		assert_int_equal(v, all[i].v);
	}
	enum confidence v;
	assert_false(values_confidence_parse("unspecified", &v));
	assert_false(values_confidence_parse("Amber", &v));
	assert_false(values_confidence_parse("amber-green", &v));
	assert_string_equal(values_confidence_names(), "green, amber_green, amber, amber_red, red");
}

static void test_values_role(void **state)
{
	(void)state;
	static const struct {
		enum role v;
		const char *name;
	} all[] = {
		{ROLE_ADMIN, "admin"},
		{ROLE_VIEWER, "viewer"},
		{ROLE_SUBMITTER, "submitter"},
		{ROLE_REMINDER, "reminder"},
	};
	assert_int_equal(sizeof(all) / sizeof(all[0]), ROLE_COUNT - 1);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_string_equal(values_role_name(all[i].v), all[i].name);
		enum role v = ROLE_UNSPECIFIED;
		assert_true(values_role_parse(all[i].name, &v));
		assert_int_equal(v, all[i].v);
	}
	enum role v;
	assert_false(values_role_parse("unspecified", &v));
	assert_false(values_role_parse("Admin", &v));
	assert_false(values_role_parse("root", &v));
	assert_string_equal(values_role_names(), "admin, viewer, submitter, reminder");
}

static void test_values_org_kind(void **state)
{
	(void)state;
	static const struct {
		enum org_kind v;
		const char *name;
	} all[] = {
		{ORG_KIND_COMBINED_AUTHORITY, "combined_authority"},
		{ORG_KIND_LOCAL_AUTHORITY, "local_authority"},
		{ORG_KIND_UNIVERSITY, "university"},
		{ORG_KIND_NHS, "nhs"},
		{ORG_KIND_COMPANY, "company"},
		{ORG_KIND_PARTNERSHIP, "partnership"},
		{ORG_KIND_OTHER, "other"},
	};
	assert_int_equal(sizeof(all) / sizeof(all[0]), ORG_KIND_COUNT - 1);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_string_equal(values_org_kind_name(all[i].v), all[i].name);
		enum org_kind v = ORG_KIND_UNSPECIFIED;
		assert_true(values_org_kind_parse(all[i].name, &v));
		assert_int_equal(v, all[i].v);
	}
	enum org_kind v;
	assert_false(values_org_kind_parse("unspecified", &v));
	assert_false(values_org_kind_parse("NHS", &v));
	assert_false(values_org_kind_parse("university ", &v));
	assert_string_equal(values_org_kind_names(),
			    "combined_authority, local_authority, university, nhs, company, partnership, other");
}

/* Out-of-range numbers (from a newer peer, say) must print safely rather than index past a table. */
static void test_values_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(values_stage_name((enum stage)STAGE_COUNT), "unspecified");
	assert_string_equal(values_stage_name((enum stage) - 1), "unspecified");
	assert_string_equal(values_cost_status_name((enum cost_status)COST_STATUS_COUNT), "unspecified");
	assert_string_equal(values_confidence_name((enum confidence)99), "unspecified");
	assert_string_equal(values_role_name((enum role)ROLE_COUNT), "unspecified");
	assert_string_equal(values_org_kind_name((enum org_kind)ORG_KIND_COUNT), "unspecified");
}

/* The stages on the way run 1 to 5 in the order of the enumeration; the others rank 0. */
static void test_values_stage_rank(void **state)
{
	(void)state;
	assert_int_equal(values_stage_rank(STAGE_CONCEPT), 1);
	assert_int_equal(values_stage_rank(STAGE_EARLY_DEVELOPMENT), 2);
	assert_int_equal(values_stage_rank(STAGE_ADVANCED_DEVELOPMENT), 3);
	assert_int_equal(values_stage_rank(STAGE_LIVE), 4);
	assert_int_equal(values_stage_rank(STAGE_COMPLETED), 5);
	assert_int_equal(values_stage_rank(STAGE_PAUSED), 0);
	assert_int_equal(values_stage_rank(STAGE_CANCELLED), 0);
	assert_int_equal(values_stage_rank(STAGE_UNSPECIFIED), 0);
	assert_int_equal(values_stage_rank((enum stage)STAGE_COUNT), 0);
	assert_int_equal(values_stage_rank((enum stage) - 1), 0);
}

/* Each names list is exactly the enumeration's names, in order, joined with ", ". */
static void test_values_lists_match_names(void **state)
{
	(void)state;
	char buf[256];
	size_t n = 0;
	for (int i = 1; i < STAGE_COUNT; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 1 ? ", " : "",
				      values_stage_name((enum stage)i));
	assert_string_equal(buf, values_stage_names());
	n = 0;
	for (int i = 1; i < CONFIDENCE_COUNT; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 1 ? ", " : "",
				      values_confidence_name((enum confidence)i));
	assert_string_equal(buf, values_confidence_names());
	n = 0;
	for (int i = 1; i < ROLE_COUNT; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 1 ? ", " : "",
				      values_role_name((enum role)i));
	assert_string_equal(buf, values_role_names());
	n = 0;
	for (int i = 1; i < ORG_KIND_COUNT; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 1 ? ", " : "",
				      values_org_kind_name((enum org_kind)i));
	assert_string_equal(buf, values_org_kind_names());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_stage),
		cmocka_unit_test(test_values_cost_status),
		cmocka_unit_test(test_values_confidence),
		cmocka_unit_test(test_values_role),
		cmocka_unit_test(test_values_org_kind),
		cmocka_unit_test(test_values_out_of_range),
		cmocka_unit_test(test_values_lists_match_names),
		cmocka_unit_test(test_values_stage_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
