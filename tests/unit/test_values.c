/* test_values.c - unit tests for values.c: every name of every enumeration, both ways, and the rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "values.h"

/* Each enumeration's name and parse functions seen through int, so that one table can drive them all.
 * parse starts from *out and leaves it as values.c leaves the enum: untouched on failure. */
#define TEST_VALUES_THROUGH_INT(prefix, type)                                                                          \
	static const char *test_##prefix##_name(int v)                                                                 \
	{                                                                                                              \
		return values_##prefix##_name((type)v);                                                                \
	}                                                                                                              \
	static bool test_##prefix##_parse(const char *s, int *out)                                                     \
	{                                                                                                              \
		type v = (type)*out;                                                                                   \
		bool ok = values_##prefix##_parse(s, &v);                                                              \
		*out = (int)v;                                                                                         \
		return ok;                                                                                             \
	}

TEST_VALUES_THROUGH_INT(stage, enum stage)
TEST_VALUES_THROUGH_INT(cost_status, enum cost_status)
TEST_VALUES_THROUGH_INT(confidence, enum confidence)
TEST_VALUES_THROUGH_INT(role, enum role)
TEST_VALUES_THROUGH_INT(org_kind, enum org_kind)

/* One enumeration: every value with its name, spellings that must not parse, and its list of names. */
struct test_values_enum {
	const char *what;
	int count; /* the enumeration's _COUNT: values 1 .. count - 1 have names */
	const char *(*name)(int v);
	bool (*parse)(const char *s, int *v);
	const char *(*names)(void); /* NULL: values.h lists no names for it */
	const char *list;           /* what names() returns */
	struct {
		int v;
		const char *name;
	} all[8];               /* ends at name NULL */
	const char *rejects[6]; /* ends at NULL */
};

/* The enumerations of values.h (a table). */
static const struct test_values_enum test_values_enums[] = {
	{"stage",
	 STAGE_COUNT,
	 test_stage_name,
	 test_stage_parse,
	 values_stage_names,
	 "concept, early_development, advanced_development, live, completed, paused, cancelled",
	 {{STAGE_CONCEPT, "concept"},
	  {STAGE_EARLY_DEVELOPMENT, "early_development"},
	  {STAGE_ADVANCED_DEVELOPMENT, "advanced_development"},
	  {STAGE_LIVE, "live"},
	  {STAGE_COMPLETED, "completed"},
	  {STAGE_PAUSED, "paused"},
	  {STAGE_CANCELLED, "cancelled"}},
	 {"unspecified", "Live", "live ", "early development", ""}},
	{"cost_status",
	 COST_STATUS_COUNT,
	 test_cost_status_name,
	 test_cost_status_parse,
	 NULL,
	 NULL,
	 {{COST_STATUS_KNOWN, "known"},
	  {COST_STATUS_UNKNOWN, "unknown"},
	  {COST_STATUS_NOT_APPLICABLE, "not_applicable"}},
	 {"unspecified", "n/a", "KNOWN"}},
	{"confidence",
	 CONFIDENCE_COUNT,
	 test_confidence_name,
	 test_confidence_parse,
	 values_confidence_names,
	 "green, amber_green, amber, amber_red, red",
	 {{CONFIDENCE_GREEN, "green"},
	  {CONFIDENCE_AMBER_GREEN, "amber_green"},
	  {CONFIDENCE_AMBER, "amber"},
	  {CONFIDENCE_AMBER_RED, "amber_red"},
	  {CONFIDENCE_RED, "red"}},
	 {"unspecified", "Amber", "amber-green"}},
	{"role",
	 ROLE_COUNT,
	 test_role_name,
	 test_role_parse,
	 values_role_names,
	 "admin, viewer, submitter, reminder",
	 {{ROLE_ADMIN, "admin"}, {ROLE_VIEWER, "viewer"}, {ROLE_SUBMITTER, "submitter"}, {ROLE_REMINDER, "reminder"}},
	 {"unspecified", "Admin", "root"}},
	{"org_kind",
	 ORG_KIND_COUNT,
	 test_org_kind_name,
	 test_org_kind_parse,
	 values_org_kind_names,
	 "combined_authority, local_authority, university, nhs, company, partnership, other",
	 {{ORG_KIND_COMBINED_AUTHORITY, "combined_authority"},
	  {ORG_KIND_LOCAL_AUTHORITY, "local_authority"},
	  {ORG_KIND_UNIVERSITY, "university"},
	  {ORG_KIND_NHS, "nhs"},
	  {ORG_KIND_COMPANY, "company"},
	  {ORG_KIND_PARTNERSHIP, "partnership"},
	  {ORG_KIND_OTHER, "other"}},
	 {"unspecified", "NHS", "university "}},
};

#define TEST_VALUES_N_ENUMS (sizeof(test_values_enums) / sizeof(test_values_enums[0]))

/* Every name both ways; a reject leaves the value where it was. */
static void test_values_names_both_ways(void **state)
{
	(void)state;
	for (size_t e = 0; e < TEST_VALUES_N_ENUMS; e++) {
		const struct test_values_enum *t = &test_values_enums[e];
		int n = 0;
		for (; t->all[n].name != NULL; n++) {
			assert_string_equal(t->name(t->all[n].v), t->all[n].name);
			int v = 0; /* the enumeration's _UNSPECIFIED */
			if (!t->parse(t->all[n].name, &v))
				fail_msg("%s: \"%s\" does not parse", t->what, t->all[n].name);
			assert_int_equal(v, t->all[n].v);
		}
		if (n != t->count - 1)
			fail_msg("%s: the table has %d names, the enumeration %d", t->what, n, t->count - 1);
		for (size_t i = 0; t->rejects[i] != NULL; i++) {
			int v = t->all[0].v;
			if (t->parse(t->rejects[i], &v))
				fail_msg("%s: \"%s\" parsed", t->what, t->rejects[i]);
			assert_int_equal(v, t->all[0].v);
		}
	}
	assert_string_equal(values_stage_name(STAGE_UNSPECIFIED), "unspecified");
}

/* Each names list is exactly the enumeration's names, in order, joined with ", ". */
static void test_values_lists_match_names(void **state)
{
	(void)state;
	for (size_t e = 0; e < TEST_VALUES_N_ENUMS; e++) {
		const struct test_values_enum *t = &test_values_enums[e];
		if (t->names == NULL)
			continue;
		char buf[256];
		size_t n = 0;
		for (int i = 1; i < t->count; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 1 ? ", " : "", t->name(i));
		assert_string_equal(buf, t->names());
		assert_string_equal(t->names(), t->list);
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_names_both_ways),
		cmocka_unit_test(test_values_lists_match_names),
		cmocka_unit_test(test_values_out_of_range),
		cmocka_unit_test(test_values_stage_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
