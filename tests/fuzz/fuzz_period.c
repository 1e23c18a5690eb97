/* fuzz_period.c - fuzz target for proto/period.c: reporting periods ("2026-Q3"), dates ("2026-09-30") and
 * moments ("2026-10-20T09:30:00+01:00", timestamp_parse).
 *
 * Invariants: a period or date that parses formats back to the same text (a lower-case q made upper) and
 * parses again to the same value; the arithmetic on it agrees with itself (next and previous quarters,
 * a quarter's first and last days, adding days and counting them back); a moment that parses is written in
 * a form that parses again unchanged. A name people write (period_read: "2026-Q3" or "FY2026/27-Q3") is a
 * canonical period, and its name in either reporting year reads back to that period.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "period.h"

static bool fuzz_period_same_date(struct date a, struct date b)
{
	return a.year == b.year && a.month == b.month && a.day == b.day;
}

static void fuzz_period_period(const char *s)
{
	struct period p;
	if (!period_parse(s, &p))
		return;
	fuzz_accept(true);
	fuzz_require(p.year >= 1900 && p.year <= 9999 && p.quarter >= 1 && p.quarter <= 4, "period_parse out of range");
	char out[PERIOD_FMT_MAX];
	period_format(p, out);
	char upper[PERIOD_FMT_MAX];
	memcpy(upper, s, sizeof upper);
	upper[5] = 'Q';
	fuzz_require(strcmp(out, upper) == 0, "period_format does not give back what was parsed");
	struct period again;
	fuzz_require(period_parse(out, &again) && period_compare(p, again) == 0, "period round trip");

	struct period next = period_next(p), prev = period_prev(p);
	fuzz_require(period_compare(period_prev(next), p) == 0 && period_compare(period_next(prev), p) == 0,
		     "period_next and period_prev disagree");
	fuzz_require(period_distance(p, next) == 1 && period_distance(next, prev) == -2,
		     "period_distance disagrees with next and prev");
	fuzz_require(period_compare(prev, p) < 0 && period_compare(next, p) > 0, "period_compare order");
	struct date start = period_start(p), end = period_end(p);
	fuzz_require(date_valid(start) && date_valid(end), "a quarter's first or last day is not a date");
	fuzz_require(period_compare(period_of_date(start), p) == 0 && period_compare(period_of_date(end), p) == 0,
		     "period_of_date of a quarter's own days");
	int days = date_days_between(start, end);
	fuzz_require(days >= 89 && days <= 91, "a quarter is not 90 to 92 days long");
	fuzz_require(fuzz_period_same_date(date_add_days(end, 1), period_start(next)),
		     "the day after a quarter is not the next quarter's first");
	struct date due = period_due(p, 20);
	fuzz_require(date_days_between(end, due) == 20, "period_due is not due_days after the end");
}

static void fuzz_period_read(const char *s)
{
	struct period p;
	if (!period_read(s, &p))
		return;
	fuzz_accept(true);
	fuzz_require(p.year >= 1900 && p.year <= 9999 && p.quarter >= 1 && p.quarter <= 4, "period_read out of range");
	const int years[] = {PERIOD_YEAR_JANUARY, PERIOD_YEAR_APRIL};
	for (size_t i = 0; i < 2; i++) {
		char name[PERIOD_NAME_MAX], heading[PERIOD_HEADING_MAX];
		period_name(p, years[i], name);
		struct period again;
		fuzz_require(period_read(name, &again) && period_compare(p, again) == 0, "period_name round trip");
		period_heading(p, years[i], heading);
		fuzz_require(strncmp(heading, name, strlen(name)) == 0, "a heading does not start with the name");
	}
}

static void fuzz_period_date(const char *s, int shift)
{
	struct date d;
	if (!date_parse(s, &d))
		return;
	fuzz_accept(true);
	fuzz_require(date_valid(d), "date_parse accepted an invalid date");
	char out[DATE_FMT_MAX];
	date_format(d, out);
	fuzz_require(strcmp(out, s) == 0, "date_format does not give back what was parsed");
	struct date again;
	fuzz_require(date_parse(out, &again) && date_compare(d, again) == 0, "date round trip");

	struct date moved = date_add_days(d, shift);
	fuzz_require(date_days_between(d, moved) == shift, "date_days_between disagrees with date_add_days");
	fuzz_require(fuzz_period_same_date(date_add_days(moved, -shift), d), "adding days and back moves the date");
	fuzz_require((shift > 0) == (date_compare(moved, d) > 0), "date_compare disagrees with the shift");
	if (date_valid(moved)) {
		char moved_text[DATE_FMT_MAX];
		date_format(moved, moved_text);
		struct date back;
		fuzz_require(date_parse(moved_text, &back) && date_compare(back, moved) == 0,
			     "a computed date does not round trip");
	}
}

static void fuzz_period_timestamp(const char *s)
{
	char out[TIMESTAMP_FMT_MAX];
	memset(out, 'x', sizeof out);
	if (!timestamp_parse(s, out))
		return;
	fuzz_accept(true);
	fuzz_require(memchr(out, '\0', sizeof out) != NULL, "timestamp_parse overran its buffer");
	fuzz_require(strlen(out) >= 10 && out[10] == 'T', "timestamp_parse output has no T");
	char day[DATE_FMT_MAX];
	memcpy(day, out, 10);
	day[10] = '\0';
	struct date d;
	fuzz_require(date_parse(day, &d), "timestamp_parse output does not start with a date");
	fuzz_require(memcmp(day, s, 10) == 0, "timestamp_parse changed the date");
	char again[TIMESTAMP_FMT_MAX];
	fuzz_require(timestamp_parse(out, again) && strcmp(out, again) == 0,
		     "timestamp_parse does not accept its own output unchanged");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_alloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	/* a day shift within about 270 years either way, from the input so it varies */
	int shift = 0;
	for (size_t i = 0; i < size; i++)
		shift = (shift * 31 + data[i]) % 100000;
	if (size > 0 && (data[size - 1] & 1))
		shift = -shift;

	fuzz_period_period(s);
	fuzz_period_read(s);
	fuzz_period_date(s, shift);
	fuzz_period_timestamp(s);
	free(s);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

static void fuzz_period_seeds(struct fuzz_pool *pool)
{
	static const char *const seeds[] = {
		"2026-Q3",
		"2026-q4",
		"FY2026/27-Q3",
		"fy1999/00-q4",
		"FY2026/28-Q1",
		"1900-Q1",
		"9999-Q4",
		"1899-Q4",
		"2026-Q5",
		"2026-Q0",
		"2026-10-20",
		"2024-02-29",
		"2023-02-29",
		"1900-02-29",
		"2000-02-29",
		"0001-01-01",
		"9999-12-31",
		"0000-12-31",
		"2026-13-01",
		"2026-10-20T09:30:00+01:00",
		"2026-10-20T09:30Z",
		"2026-10-20t09:30:00.123456789z",
		"2026-10-20 23:59:59.999999-12:00",
		"2026-10-20T09:30:00",
		"2026-10-20T24:00:00Z",
		"2026-10-20T09:30:00.1234567890Z",
		"2026-10-20T09:30:00+1:00",
	};
	fuzz_pool_add_strs(pool, seeds, sizeof seeds / sizeof seeds[0]);
}

static const char *const fuzz_period_tokens[] = {
	"-Q", "-q", "-",  ":",  "T",  "t",    " ",    "Z",    "z",    "+",   ".",      "00",     "29",      "31", "59",
	"60", "99", "02", "12", "13", "1900", "2000", "9999", "0000", ":00", "+23:59", "-00:00", ".999999", NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "period",
	.iterations = 20000,
	.max_len = 64,
	.tokens = fuzz_period_tokens,
	.seeds = fuzz_period_seeds,
	.accepted_what = "were a period, date or moment that parsed",
};
