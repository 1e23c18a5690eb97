/* test_mailbox.c - unit tests for mailbox.c: the contacts people write, accepted and written back in one form;
 * everything else refused with a phrase that says what is wrong, and a message that says what to write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailbox.h"

/* Accepted, split into name and address, and written back as want. */
static void test_mailbox_accepts(void **state)
{
	(void)state;
	struct {
		const char *in, *name, *addr, *want;
	} ok[] = {
		{"ann@lcc.example", "", "ann@lcc.example", "ann@lcc.example"},
		{"  ann@lcc.example  ", "", "ann@lcc.example", "ann@lcc.example"},
		{"Ann Williams <ann@lcc.example>", "Ann Williams", "ann@lcc.example", "Ann Williams <ann@lcc.example>"},
		{"Ann   Williams<ann@lcc.example>", "Ann Williams", "ann@lcc.example",
		 "Ann Williams <ann@lcc.example>"},
		{"<ann@lcc.example>", "", "ann@lcc.example", "ann@lcc.example"},
		{"\"Williams, Ann\" <ann@lcc.example>", "Williams, Ann", "ann@lcc.example",
		 "\"Williams, Ann\" <ann@lcc.example>"},
		{"\"Ann Williams\" <ann@lcc.example>", "Ann Williams", "ann@lcc.example",
		 "Ann Williams <ann@lcc.example>"},
		{"J. O'Brien-Smith <j.obrien+plan@sub.lcc.example>", "J. O'Brien-Smith",
		 "j.obrien+plan@sub.lcc.example", "J. O'Brien-Smith <j.obrien+plan@sub.lcc.example>"},
		{"Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m <zoe@lcc.example>", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m",
		 "zoe@lcc.example", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m <zoe@lcc.example>"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct mailbox m;
		const char *why = mailbox_parse(ok[i].in, &m);
		if (why)
			fail_msg("\"%s\" refused: %s", ok[i].in, why);
		assert_string_equal(m.name, ok[i].name);
		assert_string_equal(m.addr, ok[i].addr);
		char out[MAILBOX_MAX];
		mailbox_format(&m, out);
		assert_string_equal(out, ok[i].want);
		/* what is written back reads back the same */
		struct mailbox again;
		assert_null(mailbox_parse(out, &again));
		assert_string_equal(again.name, m.name);
		assert_string_equal(again.addr, m.addr);
	}
}

/* Each refusal's phrase names the problem. */
static void test_mailbox_refuses(void **state)
{
	(void)state;
	struct {
		const char *in, *why;
	} bad[] = {
		{"", "it is empty"},
		{"ann", "it has no @"},
		{"ann@lcc", "its domain has no dot"},
		{"ann@@lcc.example", "more than one @"},
		{"@lcc.example", "nothing before the @"},
		{"ann@", "nothing after the @"},
		{"ann@lcc..example", "empty part"},
		{"ann@-lcc.example", "starts with a hyphen"},
		{"ann@lcc.example.", "ends with a dot"},
		{"ann@[10.0.0.1]", "IP address"},
		{".ann@lcc.example", "starts or ends with a dot"},
		{"a..nn@lcc.example", "two dots"},
		{"\xc3\xa5nn@lcc.example", "not plain ASCII"},
		{"ann@l\xc3\xa5"
		 "cc.example",
		 "xn--"},
		{"Ann Williams ann@lcc.example", "angle brackets"},
		{"ann@lcc.example, digital@lcc.example", "each address on its own"},
		{"Williams, Ann <ann@lcc.example>", "double quotes"},
		{"Ann <ann@lcc.example", "< without a >"},
		{"Ann <ann@lcc.example> x", "more after the >"},
		{"Ann <a@b.example> <c@d.example>", "more than one < or >"},
		{"Ann \"W\" <ann@lcc.example>", "quote"},
		{"Ann\r\nBcc: v@example.org <ann@lcc.example>", "line break"},
		{"ann@lcc.example\n", "line break"},
		{"bad \xff <ann@lcc.example>", "not UTF-8"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct mailbox m;
		const char *why = mailbox_parse(bad[i].in, &m);
		if (why == NULL || strstr(why, bad[i].why) == NULL)
			fail_msg("\"%s\": wanted \"%s\", got %s", bad[i].in, bad[i].why, why ? why : "accepted");
	}
	char long_name[300];
	memset(long_name, 'a', sizeof long_name);
	strcpy(long_name + 250, " <a@b.example>");
	struct mailbox m;
	assert_non_null(strstr(mailbox_parse(long_name, &m), "longer than 200"));
	assert_null(mailbox_addr_problem("ann@lcc.example"));
	assert_non_null(mailbox_addr_problem("Ann <ann@lcc.example>"));
}

/* The message quotes what was given when it is safe to show, and always says what to write. */
static void test_mailbox_error_and_same(void **state)
{
	(void)state;
	char out[MAILBOX_MAX + 200];
	mailbox_error("ann@lcc", "its domain has no dot (name@example.org)", out, sizeof out);
	assert_string_equal(out, "\"ann@lcc\" is not an e-mail address: its domain has no dot (name@example.org); "
				 "write name@example.org, or Full Name <name@example.org>");
	mailbox_error("a\nb", "it contains a line break or a control character", out, sizeof out);
	assert_null(strchr(out, '\n'));
	assert_non_null(strstr(out, MAILBOX_HINT));
	assert_true(mailbox_same_addr("Ann@LCC.example", "ann@lcc.example"));
	assert_false(mailbox_same_addr("ann@lcc.example", "anne@lcc.example"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailbox_accepts),
		cmocka_unit_test(test_mailbox_refuses),
		cmocka_unit_test(test_mailbox_error_and_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
