/* test_money.c - unit tests for money.c: every spelling the plans use, the rejects, and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"

static void test_money_assert_parse(const char *s, int64_t want)
{
	int64_t got = -1;
	if (!money_parse(s, &got))
		fail_msg("money_parse(\"%s\") failed, expected %lld", s, (long long)want);
	if (got != want)
		fail_msg("money_parse(\"%s\") = %lld, expected %lld", s, (long long)got, (long long)want);
}

static void test_money_assert_reject(const char *s)
{
	int64_t got = 12345;
	if (money_parse(s, &got))
		fail_msg("money_parse(\"%s\") accepted as %lld, expected a reject", s, (long long)got);
	assert_int_equal(got, 12345); /* untouched on failure */
}

static void test_money_parse_accepts(void **state)
{
	(void)state;
	test_money_assert_parse("£1.2M", 120000000);
	test_money_assert_parse("£55,000", 5500000);
	test_money_assert_parse("1200000.50", 120000050);
	test_money_assert_parse("£600k", 60000000);
	test_money_assert_parse("£25K", 2500000);
	test_money_assert_parse("£ 14.95M", 1495000000);
	test_money_assert_parse("£ 2.35M", 235000000);
	test_money_assert_parse("1.2m", 120000000);
	test_money_assert_parse("£3bn", 300000000000LL);
	test_money_assert_parse("£3BN", 300000000000LL);
	test_money_assert_parse("£2.16M", 216000000);
	test_money_assert_parse("£0.92M", 92000000);
	test_money_assert_parse("£113.6M", 11360000000LL);
	test_money_assert_parse("£3.5m", 350000000);
	test_money_assert_parse("£130k", 13000000);
	test_money_assert_parse("1.005k", 100500);
	test_money_assert_parse("0", 0);
	test_money_assert_parse("0.05", 5);
	test_money_assert_parse("£1,234,567.89", 123456789);
	test_money_assert_parse("  £7.2M \t", 720000000);
	test_money_assert_parse("1.50", 150);
	test_money_assert_parse("£1.2000000000000M", 120000000); /* trailing zeros add no precision */
	test_money_assert_parse("£10000000000000", MONEY_MAX_PENCE);
}

static void test_money_parse_rejects(void **state)
{
	(void)state;
	test_money_assert_reject("");
	test_money_assert_reject("   ");
	test_money_assert_reject("£");
	test_money_assert_reject("£ ");
	test_money_assert_reject("abc");
	test_money_assert_reject("1,20");
	test_money_assert_reject("1,2345");
	test_money_assert_reject("1234,567");
	test_money_assert_reject("1,000,00");
	test_money_assert_reject("1.234");
	test_money_assert_reject("0.001");
	test_money_assert_reject("1.0000001k");
	test_money_assert_reject("1.000000000001bn");
	test_money_assert_reject("-5");
	test_money_assert_reject("£-5");
	test_money_assert_reject("-£5");
	test_money_assert_reject("12abc");
	test_money_assert_reject("£3mx");
	test_money_assert_reject("£3mn");
	test_money_assert_reject("1.");
	test_money_assert_reject(".5");
	test_money_assert_reject("£10000000000000.01");
	test_money_assert_reject("£10001bn");
	test_money_assert_reject("99999999999999999999999999");
	test_money_assert_reject("£5M + £3M");
	test_money_assert_reject("£600k for cohort");
}

/* What money_scan reads from the start of a text: len bytes as pence, or nothing (len 0). */
static const struct {
	const char *text;
	size_t len;
	int64_t pence;
} test_money_scans[] = {
	/* an amount followed by other words: scan stops where the amount ends */
	{"£600k for cohort of 20 in first year", sizeof("£600k") - 1, 60000000},
	{"£55,000 Up to £130k", sizeof("£55,000") - 1, 5500000},
	{"£ 14.95M + £ 2.35M", sizeof("£ 14.95M") - 1, 1495000000},
	{"£3m+£20M", sizeof("£3m") - 1, 300000000},
	{"£25k-£75k", sizeof("£25k") - 1, 2500000},
	/* a full stop after an amount ends the sentence, it is not a decimal point */
	{"£1.2M.", sizeof("£1.2M") - 1, 120000000},
	/* leading space is not an amount for scan (parse trims) */
	{" £1", 0, 0},
	{"12abc", 0, 0},
	{"1,20", 0, 0},
	{"1.234", 0, 0},
	{"Over £1.2m", 0, 0},
};

static void test_money_scan_lengths(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof test_money_scans / sizeof test_money_scans[0]; i++) {
		int64_t v = 0;
		size_t got = money_scan(test_money_scans[i].text, &v);
		if (got != test_money_scans[i].len)
			fail_msg("money_scan(\"%s\") read %zu bytes, expected %zu", test_money_scans[i].text, got,
				 test_money_scans[i].len);
		if (got > 0)
			assert_int_equal(v, test_money_scans[i].pence);
	}
}

static void test_money_assert_format(int64_t pence, const char *want)
{
	char out[MONEY_FMT_MAX];
	memset(out, 'x', sizeof(out));
	money_format(pence, out);
	assert_string_equal(out, want);
}

static void test_money_format(void **state)
{
	(void)state;
	test_money_assert_format(720000000, "£7,200,000");
	test_money_assert_format(120000050, "£1,200,000.50");
	test_money_assert_format(0, "£0");
	test_money_assert_format(5, "£0.05");
	test_money_assert_format(50, "£0.50");
	test_money_assert_format(100, "£1");
	test_money_assert_format(99999, "£999.99");
	test_money_assert_format(100000, "£1,000");
	test_money_assert_format(-500, "-£5");
	test_money_assert_format(-1, "-£0.01");
	test_money_assert_format(MONEY_MAX_PENCE, "£10,000,000,000,000");
	test_money_assert_format(INT64_MAX, "£92,233,720,368,547,758.07");
	test_money_assert_format(INT64_MIN, "-£92,233,720,368,547,758.08");
}

static void test_money_roundtrip(void **state)
{
	(void)state;
	/* what money_format prints, money_parse reads back, for non-negative amounts */
	const int64_t values[] = {0, 1, 99, 100, 12345, 120000050, 720000000, 1730000000, MONEY_MAX_PENCE};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char out[MONEY_FMT_MAX];
		money_format(values[i], out);
		int64_t back = -1;
		assert_true(money_parse(out, &back));
		assert_int_equal(back, values[i]);
	}
}

static void test_money_format_plain(void **state)
{
	(void)state;
	/* the spelling of update listings and templates: no sign, no commas, pence only when there are any */
	const struct {
		int64_t pence;
		const char *text;
	} cases[] = {{0, "0"},     {5, "0.05"},     {120000050, "1200000.50"},           {720000000, "7200000"},
		     {-500, "-5"}, {-150, "-1.50"}, {INT64_MIN, "-92233720368547758.08"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[MONEY_FMT_MAX];
		money_format_plain(cases[i].pence, out);
		assert_string_equal(out, cases[i].text);
		int64_t back = -1;
		if (cases[i].pence >= 0 && cases[i].pence <= MONEY_MAX_PENCE) {
			assert_true(money_parse(out, &back));
			assert_int_equal(back, cases[i].pence);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_parse_accepts), cmocka_unit_test(test_money_parse_rejects),
		cmocka_unit_test(test_money_scan_lengths),  cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_money_roundtrip),     cmocka_unit_test(test_money_format_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
