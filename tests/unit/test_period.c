/* test_period.c - unit tests for period.c: quarter and date parsing, calendar arithmetic, leap years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "period.h"

static struct date test_period_date(int y, int m, int d)
{
	return (struct date){.year = y, .month = m, .day = d};
}

static void test_period_assert_date(struct date got, const char *want)
{
	char out[DATE_FMT_MAX];
	date_format(got, out);
	assert_string_equal(out, want);
}

static void test_period_parse_ok(void **state)
{
	(void)state;
	struct period p = {0};
	assert_true(period_parse("2026-Q3", &p));
	assert_int_equal(p.year, 2026);
	assert_int_equal(p.quarter, 3);
	assert_true(period_parse("2026-q3", &p));
	assert_int_equal(p.quarter, 3);
	assert_true(period_parse("1900-Q1", &p));
	assert_true(period_parse("9999-Q4", &p));

	char out[PERIOD_FMT_MAX];
	period_format((struct period){.year = 2026, .quarter = 3}, out);
	assert_string_equal(out, "2026-Q3");
	period_format((struct period){.year = 2027, .quarter = 1}, out);
	assert_string_equal(out, "2027-Q1");
}

static void test_period_parse_rejects(void **state)
{
	(void)state;
	const char *bad[] = {"2026-Q5", "2026Q3",   "26-Q3",   "2026-Q3 ", " 2026-Q3", "",        "2026-Q0",
			     "2026-Q",  "2026-Q33", "2026-X3", "2026_Q3",  "1899-Q4",  "abcd-Q1", "2026-Q-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct period p = {.year = 7, .quarter = 7};
		if (period_parse(bad[i], &p))
			fail_msg("period_parse(\"%s\") accepted", bad[i]);
		assert_int_equal(p.year, 7);
	}
}

/* The hint's example is a period as period_parse reads it and period_format writes it. */
static void test_period_hint(void **state)
{
	(void)state;
	const char *example = strstr(PERIOD_HINT, "e.g. ");
	assert_non_null(example);
	example += strlen("e.g. ");
	struct period p;
	assert_true(period_parse(example, &p));
	char out[PERIOD_FMT_MAX];
	period_format(p, out);
	assert_string_equal(out, example);
	assert_string_equal(PERIOD_HINT, "write YYYY-Qn, e.g. 2026-Q3");
}

static void test_period_arithmetic(void **state)
{
	(void)state;
	struct period q3 = {.year = 2026, .quarter = 3};
	struct period q4 = {.year = 2026, .quarter = 4};
	struct period q1 = {.year = 2026, .quarter = 1};
	test_period_assert_date(period_start(q3), "2026-07-01");
	test_period_assert_date(period_end(q3), "2026-09-30");
	test_period_assert_date(period_end(q4), "2026-12-31");
	test_period_assert_date(period_end(q1), "2026-03-31");
	test_period_assert_date(period_end((struct period){.year = 2026, .quarter = 2}), "2026-06-30");
	test_period_assert_date(period_due(q3, 14), "2026-10-14");
	test_period_assert_date(period_due(q4, 14), "2027-01-14");
	test_period_assert_date(period_due(q1, 0), "2026-03-31");
	test_period_assert_date(period_due((struct period){.year = 2024, .quarter = 1}, 30), "2024-04-30");

	struct period prev = period_prev(q1);
	assert_int_equal(prev.year, 2025);
	assert_int_equal(prev.quarter, 4);
	prev = period_prev(q3);
	assert_int_equal(prev.year, 2026);
	assert_int_equal(prev.quarter, 2);

	assert_int_equal(period_compare(q3, q4), -1);
	assert_int_equal(period_compare(q4, q3), 1);
	assert_int_equal(period_compare(q3, q3), 0);
	assert_int_equal(period_compare((struct period){.year = 2025, .quarter = 4}, q1), -1);

	static const struct {
		int month, quarter;
	} cases[] = {{1, 1}, {3, 1}, {4, 2}, {6, 2}, {7, 3}, {9, 3}, {10, 4}, {12, 4}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct period p = period_of_date(test_period_date(2026, cases[i].month, 15));
		assert_int_equal(p.year, 2026);
		assert_int_equal(p.quarter, cases[i].quarter);
	}
}

static void test_period_date_parse(void **state)
{
	(void)state;
	struct date d = {0};
	assert_true(date_parse("2026-10-14", &d));
	assert_int_equal(d.year, 2026);
	assert_int_equal(d.month, 10);
	assert_int_equal(d.day, 14);
	assert_true(date_parse("2024-02-29", &d));
	assert_true(date_parse("2000-02-29", &d));

	const char *bad[] = {"2023-02-29", "1900-02-29",  "2026-13-01", "2026-00-10", "2026-04-31",
			     "2026-01-00", "2026-1-01",   "2026/01/01", "26-01-01",   "2026-01-01 ",
			     "",           "2026-01-011", "2026-0a-01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct date x = {.year = 7};
		if (date_parse(bad[i], &x))
			fail_msg("date_parse(\"%s\") accepted", bad[i]);
		assert_int_equal(x.year, 7);
	}

	char out[DATE_FMT_MAX];
	date_format(test_period_date(2026, 1, 5), out);
	assert_string_equal(out, "2026-01-05");
}

static void test_period_date_valid(void **state)
{
	(void)state;
	assert_true(date_valid(test_period_date(2024, 2, 29)));
	assert_false(date_valid(test_period_date(2023, 2, 29)));
	assert_false(date_valid(test_period_date(1900, 2, 29)));
	assert_true(date_valid(test_period_date(2000, 2, 29)));
	assert_true(date_valid(test_period_date(2023, 12, 31)));
	assert_false(date_valid(test_period_date(2023, 11, 31)));
	assert_false(date_valid(test_period_date(2023, 0, 1)));
	assert_false(date_valid(test_period_date(2023, 1, 0)));
	assert_false(date_valid(test_period_date(0, 1, 1)));
	assert_false(date_valid(test_period_date(10000, 1, 1)));
}

static void test_period_add_days(void **state)
{
	(void)state;
	test_period_assert_date(date_add_days(test_period_date(2024, 2, 28), 1), "2024-02-29");
	test_period_assert_date(date_add_days(test_period_date(2024, 2, 28), 2), "2024-03-01");
	test_period_assert_date(date_add_days(test_period_date(2023, 2, 28), 1), "2023-03-01");
	test_period_assert_date(date_add_days(test_period_date(1900, 2, 28), 1), "1900-03-01");
	test_period_assert_date(date_add_days(test_period_date(2000, 2, 28), 1), "2000-02-29");
	test_period_assert_date(date_add_days(test_period_date(2026, 12, 31), 1), "2027-01-01");
	test_period_assert_date(date_add_days(test_period_date(2027, 1, 1), -1), "2026-12-31");
	test_period_assert_date(date_add_days(test_period_date(2024, 3, 1), -1), "2024-02-29");
	test_period_assert_date(date_add_days(test_period_date(2024, 1, 1), 366), "2025-01-01");
	test_period_assert_date(date_add_days(test_period_date(2023, 1, 1), 365), "2024-01-01");
	test_period_assert_date(date_add_days(test_period_date(2000, 1, 1), 146097), "2400-01-01");
	test_period_assert_date(date_add_days(test_period_date(2026, 5, 17), 0), "2026-05-17");

	/* every day for several years round-trips: adding n then -n returns, and each result is valid */
	struct date start = test_period_date(1999, 12, 31);
	struct date d = start;
	for (int i = 1; i <= 3000; i++) {
		struct date next = date_add_days(d, 1);
		assert_true(date_valid(next));
		assert_int_equal(date_compare(d, next), -1);
		d = next;
	}
	assert_int_equal(date_compare(date_add_days(d, -3000), start), 0);
}

static void test_period_date_compare(void **state)
{
	(void)state;
	assert_int_equal(date_compare(test_period_date(2026, 1, 1), test_period_date(2026, 1, 2)), -1);
	assert_int_equal(date_compare(test_period_date(2026, 2, 1), test_period_date(2026, 1, 31)), 1);
	assert_int_equal(date_compare(test_period_date(2025, 12, 31), test_period_date(2026, 1, 1)), -1);
	assert_int_equal(date_compare(test_period_date(2026, 1, 1), test_period_date(2026, 1, 1)), 0);
}

static void test_period_next_and_distance(void **state)
{
	(void)state;
	struct period p;
	char out[PERIOD_FMT_MAX];
	assert_true(period_parse("2026-Q4", &p));
	period_format(period_next(p), out);
	assert_string_equal(out, "2027-Q1");
	period_format(period_next(period_next(period_prev(p))), out);
	assert_string_equal(out, "2027-Q1");
	struct period from;
	assert_true(period_parse("2024-Q2", &from));
	assert_int_equal(period_distance(from, p), 10);
	assert_int_equal(period_distance(p, from), -10);
	assert_int_equal(period_distance(p, p), 0);
	struct date due, d;
	assert_true(date_parse("2026-10-14", &due));
	assert_true(date_parse("2026-10-20", &d));
	assert_int_equal(date_days_between(due, d), 6);
	assert_int_equal(date_days_between(d, due), -6);
	assert_true(date_parse("2028-03-01", &d));
	assert_true(date_parse("2028-02-28", &due));
	assert_int_equal(date_days_between(due, d), 2); /* 2028 is a leap year */
	assert_int_equal(date_days_between(d, d), 0);
}

static void test_period_timestamp_parse(void **state)
{
	(void)state;
	char out[TIMESTAMP_FMT_MAX];
	assert_true(timestamp_parse("2026-10-20", out));
	assert_string_equal(out, "2026-10-20T23:59:59.999999Z");
	assert_true(timestamp_parse("2026-10-20T09:30:00Z", out));
	assert_string_equal(out, "2026-10-20T09:30:00Z");
	assert_true(timestamp_parse("2026-10-20 09:30Z", out));
	assert_string_equal(out, "2026-10-20T09:30Z");
	assert_true(timestamp_parse("2026-10-20T09:30:00.123456+01:00", out));
	assert_string_equal(out, "2026-10-20T09:30:00.123456+01:00");
	assert_true(timestamp_parse("2026-10-20t09:30:00-05:30", out));
	static const char *const bad[] = {"",
					  "2026-10",
					  "2026-02-30",
					  "2026-10-20T09:30",
					  "2026-10-20T09:30:00",
					  "2026-10-20T24:00:00Z",
					  "2026-10-20T09:60Z",
					  "2026-10-20T09:30:61Z",
					  "2026-10-20T09:30:00.Z",
					  "2026-10-20T09:30:00.1234567890Z",
					  "2026-10-20T09:30:00+0100",
					  "2026-10-20T09:30:00+25:00",
					  "2026-10-20T09:30:00Zjunk",
					  "2026-10-20X09:30Z",
					  "now",
					  "2026-10-20T09:30:00Z and a very long tail of text that does not fit"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(timestamp_parse(bad[i], out));
}

/* Dates and periods in words, as the reminders write them: the weekday is right across centuries and leap days. */
static void test_period_words(void **state)
{
	(void)state;
	struct {
		struct date d;
		const char *want;
	} dates[] = {
		{{2026, 10, 14}, "Wednesday 14 October 2026"},
		{{2024, 2, 29}, "Thursday 29 February 2024"},
		{{2000, 1, 1}, "Saturday 1 January 2000"},
		{{1, 1, 1}, "Monday 1 January 1"},
		{{2026, 13, 1}, "?"},
	};
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		char out[DATE_WORDS_MAX];
		date_format_words(dates[i].d, out);
		assert_string_equal(out, dates[i].want);
	}
	char out[PERIOD_WORDS_MAX];
	period_format_words((struct period){2026, 3}, out);
	assert_string_equal(out, "1 July to 30 September 2026");
	period_format_words((struct period){2024, 1}, out);
	assert_string_equal(out, "1 January to 31 March 2024");
	period_format_words((struct period){2025, 4}, out);
	assert_string_equal(out, "1 October to 31 December 2025");
}

/* The financial year's names: each quarter, both ways, the year's turn, and each name means the same whatever the
 * deployment reads it in. */
static void test_period_financial_year(void **state)
{
	(void)state;
	struct {
		const char *fy, *calendar, *months;
	} quarters[] = {
		{"FY2026/27-Q1", "2026-Q2", "April\u2013June 2026"},
		{"FY2026/27-Q2", "2026-Q3", "July\u2013September 2026"},
		{"FY2026/27-Q3", "2026-Q4", "October\u2013December 2026"},
		{"FY2026/27-Q4", "2027-Q1", "January\u2013March 2027"},
		{"FY1999/00-Q4", "2000-Q1", "January\u2013March 2000"},
		{"FY2099/00-Q3", "2099-Q4", "October\u2013December 2099"},
		{"FY9998/99-Q4", "9999-Q1", "January\u2013March 9999"},
		{"FY9999/00-Q3", "9999-Q4", "October\u2013December 9999"},
		{"FY1899/00-Q4", "1900-Q1", "January\u2013March 1900"},
	};
	for (size_t i = 0; i < sizeof quarters / sizeof quarters[0]; i++) {
		struct period fy = {0}, cal = {0};
		assert_true(period_read(quarters[i].fy, &fy));
		assert_true(period_read(quarters[i].calendar, &cal));
		assert_int_equal(period_compare(fy, cal), 0);
		char name[PERIOD_NAME_MAX], months[PERIOD_MONTHS_MAX];
		period_name(cal, PERIOD_YEAR_APRIL, name);
		assert_string_equal(name, quarters[i].fy);
		period_name(cal, PERIOD_YEAR_JANUARY, name);
		assert_string_equal(name, quarters[i].calendar);
		period_format_months(cal, months);
		assert_string_equal(months, quarters[i].months);
		/* the canonical form is never an FY name: the wire and the database only hold calendar quarters */
		assert_false(period_parse(quarters[i].fy, &fy));
	}
	struct period p;
	assert_true(period_read("fy2026/27-q3", &p));
	assert_int_equal(p.year, 2026);
	assert_int_equal(p.quarter, 4);
	const char *bad[] = {"FY2026/28-Q3",  "FY2026/2027-Q3", "FY2026-27-Q3", "FY2026/27-Q5",
			     "FY2026/27-Q0",  "FY26/27-Q3",     "FY2026/27Q3",  "FY2026/27-Q3 ",
			     " FY2026/27-Q3", "FY1899/00-Q3",   "FY9999/00-Q4", "F2026/27-Q3",
			     "FY2026/27-",    "2026-Q5",        "2026/27-Q3",   ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(period_read(bad[i], &p));
	/* going round: every quarter of two centuries names and reads back to itself, in order */
	struct period prev = {0};
	char last[PERIOD_NAME_MAX] = "";
	for (struct period q = {1950, 1}; q.year < 2150; q = period_next(q)) {
		char name[PERIOD_NAME_MAX];
		period_name(q, PERIOD_YEAR_APRIL, name);
		assert_true(period_read(name, &p));
		assert_int_equal(period_compare(p, q), 0);
		/* FY names sort as their quarters do */
		if (prev.year)
			assert_true(strcmp(last, name) < 0);
		prev = q;
		memcpy(last, name, sizeof name);
	}
}

static void test_period_heading(void **state)
{
	(void)state;
	char out[PERIOD_HEADING_MAX];
	period_heading((struct period){2026, 4}, PERIOD_YEAR_APRIL, out);
	assert_string_equal(out, "FY2026/27-Q3 (October\u2013December 2026)");
	period_heading((struct period){2026, 3}, PERIOD_YEAR_JANUARY, out);
	assert_string_equal(out, "2026-Q3 (July\u2013September 2026)");
	period_heading((struct period){2027, 1}, PERIOD_YEAR_APRIL, out);
	assert_string_equal(out, "FY2026/27-Q4 (January\u2013March 2027)");
	/* the largest there is fits */
	period_heading((struct period){9999, 4}, PERIOD_YEAR_APRIL, out);
	assert_string_equal(out, "FY9999/00-Q3 (October\u2013December 9999)");
	assert_true(period_year_start_valid(1));
	assert_true(period_year_start_valid(4));
	assert_false(period_year_start_valid(0));
	assert_false(period_year_start_valid(7));
	assert_string_equal(period_year_words(PERIOD_YEAR_APRIL), "April to March");
	assert_string_equal(period_year_words(PERIOD_YEAR_JANUARY), "January to December");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_parse_ok),        cmocka_unit_test(test_period_parse_rejects),
		cmocka_unit_test(test_period_arithmetic),      cmocka_unit_test(test_period_date_parse),
		cmocka_unit_test(test_period_date_valid),      cmocka_unit_test(test_period_add_days),
		cmocka_unit_test(test_period_date_compare),    cmocka_unit_test(test_period_next_and_distance),
		cmocka_unit_test(test_period_timestamp_parse), cmocka_unit_test(test_period_hint),
		cmocka_unit_test(test_period_words),           cmocka_unit_test(test_period_financial_year),
		cmocka_unit_test(test_period_heading),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
