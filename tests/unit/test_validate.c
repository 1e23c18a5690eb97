/* test_validate.c - the field checks of server/handlers/validate.c: what passes, and the
 * violation (field and text) each refusal records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/validate.h"
#include "rpc.h"

/* A call as a handler sees it, with only what violations need: the arena and the status. */
static struct rpc_call test_call;

static int test_reset(void **state)
{
	(void)state;
	arena_free(&test_call.arena);
	memset(&test_call, 0, sizeof test_call);
	planreg__v1__status__init(&test_call.status);
	return 0;
}

static void test_no_violation(void)
{
	assert_int_equal(test_call.status.n_violations, 0);
}

static void test_violation(const char *field, const char *part)
{
	assert_int_equal(test_call.status.n_violations, 1);
	assert_string_equal(test_call.status.violations[0]->field, field);
	assert_non_null(strstr(test_call.status.violations[0]->description, part));
	test_reset(NULL);
}

static void test_text(void **state)
{
	(void)state;
	assert_true(validate_text(&test_call, "narrative", "On track.", 20, VALIDATE_REQUIRED));
	assert_true(validate_text(&test_call, "narrative", "two\nlines", 20, VALIDATE_MULTILINE));
	assert_true(validate_text(&test_call, "note", NULL, 20, 0));               /* absent and optional */
	assert_true(validate_text(&test_call, "name", "\xc3\xa9t\xc3\xa9", 3, 0)); /* 3 characters, 5 bytes */
	test_no_violation();
	assert_false(validate_text(&test_call, "narrative", "  \t ", 20, VALIDATE_REQUIRED | VALIDATE_MULTILINE));
	test_violation("narrative", "is required");
	assert_false(validate_text(&test_call, "title", "two\nlines", 20, 0));
	test_violation("title", "control character or line break");
	assert_false(validate_text(&test_call, "narrative", "bell\a", 20, VALIDATE_MULTILINE));
	test_violation("narrative", "contains a control character; remove it");
	assert_false(validate_text(&test_call, "name", "\xc3\x28", 20, 0));
	test_violation("name", "is not valid UTF-8 (byte 0)");
	assert_false(validate_text(&test_call, "name", "abcdef", 5, 0));
	test_violation("name", "is 6 characters long; at most 5 are allowed");
}

static void test_org_code(void **state)
{
	(void)state;
	assert_true(validate_org_code(&test_call, "organisation", "LCC"));
	assert_true(validate_org_code(&test_call, "organisation", "Sefton2"));
	assert_true(validate_org_code(&test_call, "organisation", "ABCDEFGHIJKLMNOP")); /* 16 */
	test_no_violation();
	const char *bad[] = {"", "ABCDEFGHIJKLMNOPQ", "LCC CA", "L-C", "caf\xc3\xa9"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(validate_org_code(&test_call, "organisation", bad[i]));
		test_violation("organisation", "is not an organisation code");
	}
	assert_false(validate_org_code(&test_call, "organisation", NULL));
	test_violation("organisation", "\"\" is not");
}

static void test_email(void **state)
{
	(void)state;
	assert_true(validate_email(&test_call, "contact", "digital@example.org"));
	assert_true(validate_email(&test_call, "contact", "a.b+c@sub.example.co.uk"));
	test_no_violation();
	const char *bad[] = {"",          "no-at.example.org", "@example.org",    "a@b@example.org",
			     "a@example", "a@example.",        "a b@example.org", "a@.org"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(validate_email(&test_call, "contact", bad[i]));
		test_violation("contact", "is not an email address");
	}
	char longest[300];
	memset(longest, 'a', sizeof longest);
	memcpy(longest + 280, "@example.org", 13);
	assert_false(validate_email(&test_call, "contact", longest));
	test_violation("contact", "is not an email address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_text, test_reset),
		cmocka_unit_test_setup(test_org_code, test_reset),
		cmocka_unit_test_setup(test_email, test_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
