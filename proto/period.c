/* period.c - reporting quarters and calendar dates: parsing, formatting and arithmetic. */
#include "period.h"

#include <stdio.h>
#include <string.h>

#define PERIOD_YEAR_MIN 1900
#define PERIOD_YEAR_MAX 9999
#define DATE_YEAR_MIN 1
#define DATE_YEAR_MAX 9999

static bool period_is_leap(long long year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int period_days_in_month(long long year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && period_is_leap(year))
		return 29;
	return days[month - 1];
}

/* Division rounding toward minus infinity, so day numbers before year 1 stay consistent. */
static long long period_floor_div(long long a, long long b)
{
	long long q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days from 0001-01-01 to the first of January of year. */
static long long period_days_before_year(long long year)
{
	long long y = year - 1;
	return y * 365 + period_floor_div(y, 4) - period_floor_div(y, 100) + period_floor_div(y, 400);
}

/* Day number of d, 0 being 0001-01-01; d must have a month in 1-12. */
static long long period_day_number(struct date d)
{
	long long n = period_days_before_year(d.year);
	for (int m = 1; m < d.month; m++)
		n += period_days_in_month(d.year, m);
	return n + d.day - 1;
}

static struct date period_from_day_number(long long n)
{
	/* 146097 days per 400 years gives a guess within a year or so; then step to the exact one */
	long long year = period_floor_div(n * 400, 146097) + 1;
	while (period_days_before_year(year) > n)
		year--;
	while (period_days_before_year(year + 1) <= n)
		year++;
	n -= period_days_before_year(year);
	int month = 1;
	while (n >= period_days_in_month(year, month)) {
		n -= period_days_in_month(year, month);
		month++;
	}
	return (struct date){.year = (int)year, .month = month, .day = (int)n + 1};
}

static bool period_digits(const char *s, size_t n, int *value)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*value = v;
	return true;
}

/* Writes v as exactly width digits (clamped into range), so output never exceeds its buffer. */
static void period_put_digits(char *out, int v, int width)
{
	int max = 1;
	for (int i = 0; i < width; i++)
		max *= 10;
	if (v < 0)
		v = 0;
	if (v >= max)
		v = max - 1;
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

bool period_parse(const char *s, struct period *p)
{
	int year, quarter;
	if (strlen(s) != 7 || s[4] != '-' || (s[5] != 'Q' && s[5] != 'q'))
		return false;
	if (!period_digits(s, 4, &year) || !period_digits(s + 6, 1, &quarter))
		return false;
	if (year < PERIOD_YEAR_MIN || year > PERIOD_YEAR_MAX || quarter < 1 || quarter > 4)
		return false;
	p->year = year;
	p->quarter = quarter;
	return true;
}

void period_format(struct period p, char out[PERIOD_FMT_MAX])
{
	period_put_digits(out, p.year, 4);
	out[4] = '-';
	out[5] = 'Q';
	period_put_digits(out + 6, p.quarter, 1);
	out[7] = '\0';
}

int period_compare(struct period a, struct period b)
{
	if (a.year != b.year)
		return a.year < b.year ? -1 : 1;
	if (a.quarter != b.quarter)
		return a.quarter < b.quarter ? -1 : 1;
	return 0;
}

struct period period_of_date(struct date d)
{
	int q = (d.month - 1) / 3 + 1;
	if (q < 1)
		q = 1;
	if (q > 4)
		q = 4;
	return (struct period){.year = d.year, .quarter = q};
}

struct period period_prev(struct period p)
{
	if (p.quarter <= 1)
		return (struct period){.year = p.year - 1, .quarter = 4};
	return (struct period){.year = p.year, .quarter = p.quarter - 1};
}

struct period period_next(struct period p)
{
	if (p.quarter >= 4)
		return (struct period){.year = p.year + 1, .quarter = 1};
	return (struct period){.year = p.year, .quarter = p.quarter + 1};
}

int period_distance(struct period from, struct period to)
{
	return (to.year - from.year) * 4 + (to.quarter - from.quarter);
}

struct date period_start(struct period p)
{
	return (struct date){.year = p.year, .month = (p.quarter - 1) * 3 + 1, .day = 1};
}

struct date period_end(struct period p)
{
	int month = p.quarter * 3;
	return (struct date){.year = p.year, .month = month, .day = period_days_in_month(p.year, month)};
}

struct date period_due(struct period p, int due_days)
{
	return date_add_days(period_end(p), due_days);
}

bool date_parse(const char *s, struct date *d)
{
	struct date v;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (!period_digits(s, 4, &v.year) || !period_digits(s + 5, 2, &v.month) || !period_digits(s + 8, 2, &v.day))
		return false;
	if (!date_valid(v))
		return false;
	*d = v;
	return true;
}

void date_format(struct date d, char out[DATE_FMT_MAX])
{
	period_put_digits(out, d.year, 4);
	out[4] = '-';
	period_put_digits(out + 5, d.month, 2);
	out[7] = '-';
	period_put_digits(out + 8, d.day, 2);
	out[10] = '\0';
}

int date_compare(struct date a, struct date b)
{
	if (a.year != b.year)
		return a.year < b.year ? -1 : 1;
	if (a.month != b.month)
		return a.month < b.month ? -1 : 1;
	if (a.day != b.day)
		return a.day < b.day ? -1 : 1;
	return 0;
}

struct date date_add_days(struct date d, int days)
{
	/* an invalid month would make the day number meaningless; leave such a date alone */
	if (d.month < 1 || d.month > 12)
		return d;
	return period_from_day_number(period_day_number(d) + days);
}

int date_days_between(struct date from, struct date to)
{
	if (from.month < 1 || from.month > 12 || to.month < 1 || to.month > 12)
		return 0;
	return (int)(period_day_number(to) - period_day_number(from));
}

bool date_valid(struct date d)
{
	if (d.year < DATE_YEAR_MIN || d.year > DATE_YEAR_MAX)
		return false;
	if (d.month < 1 || d.month > 12)
		return false;
	return d.day >= 1 && d.day <= period_days_in_month(d.year, d.month);
}

/* ---------------------------------------------------------------- in words */

static const char *const period_month_names[12] = {"January",   "February", "March",    "April",
						   "May",       "June",     "July",     "August",
						   "September", "October",  "November", "December"};

/* "14 October 2026", without the weekday. */
static void period_day_words(struct date d, char *out, size_t size)
{
	if (!date_valid(d)) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, "%d %s %d", d.day, period_month_names[d.month - 1], d.year);
}

void date_format_words(struct date d, char out[DATE_WORDS_MAX])
{
	/* day 0, 0001-01-01, was a Monday in the proleptic Gregorian calendar */
	static const char *const weekdays[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
						"Friday", "Saturday", "Sunday"};
	char day[40];
	period_day_words(d, day, sizeof day);
	if (!date_valid(d)) {
		snprintf(out, DATE_WORDS_MAX, "%s", day);
		return;
	}
	snprintf(out, DATE_WORDS_MAX, "%s %s", weekdays[period_day_number(d) % 7], day);
}

void period_format_words(struct period p, char out[PERIOD_WORDS_MAX])
{
	struct date a = period_start(p), b = period_end(p);
	char from[40], to[40];
	period_day_words(b, to, sizeof to);
	if (a.year == b.year && date_valid(a))
		snprintf(from, sizeof from, "%d %s", a.day, period_month_names[a.month - 1]);
	else
		period_day_words(a, from, sizeof from);
	snprintf(out, PERIOD_WORDS_MAX, "%s to %s", from, to);
}

/* ---------------------------------------------------------------- the reporting year */

/* Quarters from the calendar year's first to the reporting year's first: 0 for January, 1 for April. */
static int period_year_shift(int year_start_month)
{
	return year_start_month == PERIOD_YEAR_APRIL ? 1 : 0;
}

bool period_year_start_valid(int month)
{
	return month == PERIOD_YEAR_JANUARY || month == PERIOD_YEAR_APRIL;
}

const char *period_year_words(int year_start_month)
{
	return year_start_month == PERIOD_YEAR_APRIL ? "April to March" : "January to December";
}

/* "FYyyyy/yy-Qn": the financial year from April yyyy (yy its next year's last two digits), quarter n of it. */
static bool period_read_fy(const char *s, struct period *p)
{
	int year, next, quarter;
	if (strlen(s) != 12 || (s[0] != 'F' && s[0] != 'f') || (s[1] != 'Y' && s[1] != 'y') || s[6] != '/' ||
	    s[9] != '-' || (s[10] != 'Q' && s[10] != 'q'))
		return false;
	if (!period_digits(s + 2, 4, &year) || !period_digits(s + 7, 2, &next) || !period_digits(s + 11, 1, &quarter))
		return false;
	if (next != (year + 1) % 100 || quarter < 1 || quarter > 4)
		return false;
	/* the quarter must be a period: from FY1899/00-Q4 (1900-Q1) to FY9999/00-Q3 (9999-Q4) */
	int index = year * 4 + (quarter - 1) + period_year_shift(PERIOD_YEAR_APRIL);
	if (index / 4 < PERIOD_YEAR_MIN || index / 4 > PERIOD_YEAR_MAX)
		return false;
	p->year = index / 4;
	p->quarter = index % 4 + 1;
	return true;
}

bool period_read(const char *s, struct period *p)
{
	return period_parse(s, p) || period_read_fy(s, p);
}

void period_name(struct period p, int year_start_month, char out[PERIOD_NAME_MAX])
{
	int shift = period_year_shift(year_start_month);
	if (shift == 0) {
		period_format(p, out);
		return;
	}
	int index = p.year * 4 + (p.quarter - 1) - shift;
	int year = index / 4;
	memcpy(out, "FY", 2);
	period_put_digits(out + 2, year, 4);
	out[6] = '/';
	period_put_digits(out + 7, (year + 1) % 100, 2);
	memcpy(out + 9, "-Q", 2);
	period_put_digits(out + 11, index % 4 + 1, 1);
	out[12] = '\0';
}

void period_format_months(struct period p, char out[PERIOD_MONTHS_MAX])
{
	if (p.quarter < 1 || p.quarter > 4) {
		snprintf(out, PERIOD_MONTHS_MAX, "?");
		return;
	}
	/* an en dash between the months, as in a printed range */
	snprintf(out, PERIOD_MONTHS_MAX, "%s\u2013%s %d", period_month_names[(p.quarter - 1) * 3],
		 period_month_names[p.quarter * 3 - 1], p.year);
}

void period_heading(struct period p, int year_start_month, char out[PERIOD_HEADING_MAX])
{
	char name[PERIOD_NAME_MAX], months[PERIOD_MONTHS_MAX];
	period_name(p, year_start_month, name);
	period_format_months(p, months);
	snprintf(out, PERIOD_HEADING_MAX, "%s (%s)", name, months);
}

/* "HH:MM" or "HH:MM:SS" with an optional fraction of up to nine digits (PostgreSQL keeps six); *n gets the length read.
 */
static bool period_clock(const char *s, size_t *n)
{
	int h, m, sec = 0;
	size_t i = 5;
	if (!period_digits(s, 2, &h) || s[2] != ':' || !period_digits(s + 3, 2, &m) || h > 23 || m > 59)
		return false;
	if (s[5] == ':') {
		if (!period_digits(s + 6, 2, &sec) || sec > 59)
			return false;
		i = 8;
		if (s[8] == '.') {
			size_t k = 9;
			while (s[k] >= '0' && s[k] <= '9' && k < 18)
				k++;
			if (k == 9 || (s[k] >= '0' && s[k] <= '9'))
				return false;
			i = k;
		}
	}
	*n = i;
	return true;
}

bool timestamp_parse(const char *s, char out[TIMESTAMP_FMT_MAX])
{
	struct date d;
	size_t len = strlen(s);
	if (len < 10 || len >= TIMESTAMP_FMT_MAX)
		return false;
	char day[DATE_FMT_MAX];
	memcpy(day, s, 10);
	day[10] = '\0';
	if (!date_parse(day, &d))
		return false;
	if (len == 10) {
		/* a date alone means the whole of that day */
		snprintf(out, TIMESTAMP_FMT_MAX, "%sT23:59:59.999999Z", day);
		return true;
	}
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return false;
	size_t n;
	if (!period_clock(s + 11, &n))
		return false;
	const char *zone = s + 11 + n;
	int zh, zm;
	if (!((zone[0] == 'Z' || zone[0] == 'z') && zone[1] == '\0') &&
	    !((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 6 && period_digits(zone + 1, 2, &zh) &&
	      zone[3] == ':' && period_digits(zone + 4, 2, &zm) && zh <= 23 && zm <= 59))
		return false;
	memcpy(out, s, len + 1);
	out[10] = 'T';
	return true;
}
