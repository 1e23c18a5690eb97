/* period.h - reporting periods (quarters, kept as the calendar quarter YYYY-Qn and named by the deployment's
 * reporting year: 2026-Q4 or FY2026/27-Q3) and plain dates. */
#ifndef PLANREG_PERIOD_H
#define PLANREG_PERIOD_H

#include <stdbool.h>

struct date {
	int year;
	int month; /* 1-12 */
	int day;   /* 1-31 */
};

struct period {
	int year;    /* 1900-9999 */
	int quarter; /* 1-4 */
};

/* Strict "YYYY-Qn" (an upper- or lower-case q is accepted); nothing else around it. This is the canonical form:
 * the wire, the database and every comparison use it, whatever the deployment's reporting year. */
bool period_parse(const char *s, struct period *p) __attribute__((warn_unused_result));
/* How to write one, for a message about a period that is not: "... is not a reporting period: " PERIOD_HINT. */
#define PERIOD_HINT "write YYYY-Qn, e.g. 2026-Q3"
#define PERIOD_FMT_MAX 8
void period_format(struct period p, char out[PERIOD_FMT_MAX]);
int period_compare(struct period a, struct period b);
struct period period_of_date(struct date d);
struct period period_prev(struct period p);
struct period period_next(struct period p);
/* How many quarters from `from` to `to` (negative when to is earlier). */
int period_distance(struct period from, struct period to);
struct date period_start(struct period p);
struct date period_end(struct period p);
/* The date an update for p is due: due_days after the quarter's last day. */
struct date period_due(struct period p, int due_days);

/*
 * The reporting year a deployment names its quarters by (planregd's year_start_month): January, calendar
 * quarters named "2026-Q3"; or April, the UK financial year, quarters named "FY2026/27-Q3" (the third quarter of
 * the year from April 2026: October to December 2026). The quarters are the same three months either way; only
 * their names differ, so stored periods never change meaning when the setting does (docs/decisions.md).
 */
#define PERIOD_YEAR_JANUARY 1
#define PERIOD_YEAR_APRIL 4
bool period_year_start_valid(int month);
/* "January to December" or "April to March" (an unknown month reads as January). */
const char *period_year_words(int year_start_month);

/* What a person writes: "2026-Q3" (July to September 2026) or "FY2026/27-Q3" (October to December 2026), f and q in
 * either case. Each name means one quarter whatever the deployment's setting, so either is read anywhere. */
bool period_read(const char *s, struct period *p) __attribute__((warn_unused_result));
/* How to write one, for people: "... is not a reporting period: " PERIOD_READ_HINT. */
#define PERIOD_READ_HINT                                                                                               \
	"write the quarter as 2026-Q3 (July to September 2026) or as FY2026/27-Q3 (the financial year from April "     \
	"2026: October to December 2026)"
/* The period's name in a deployment whose year starts in year_start_month: "2026-Q4" or "FY2026/27-Q3". */
#define PERIOD_NAME_MAX 16
void period_name(struct period p, int year_start_month, char out[PERIOD_NAME_MAX]);
/* The months it covers: "October–December 2026". */
#define PERIOD_MONTHS_MAX 48
void period_format_months(struct period p, char out[PERIOD_MONTHS_MAX]);
/* A heading's words: "FY2026/27-Q3 (October–December 2026)". */
#define PERIOD_HEADING_MAX (PERIOD_NAME_MAX + PERIOD_MONTHS_MAX + 4)
void period_heading(struct period p, int year_start_month, char out[PERIOD_HEADING_MAX]);

/* Strict "YYYY-MM-DD", a real calendar date. */
bool date_parse(const char *s, struct date *d) __attribute__((warn_unused_result));
#define DATE_FMT_MAX 11
void date_format(struct date d, char out[DATE_FMT_MAX]);
int date_compare(struct date a, struct date b);
/* Proleptic Gregorian arithmetic; a date whose month is not 1-12 is returned unchanged. */
struct date date_add_days(struct date d, int days);
/* to - from in days (negative when to is earlier); 0 when either has no valid month. */
int date_days_between(struct date from, struct date to);
/* A real calendar date in years 1-9999 (leap years: every 4th, not every 100th, every 400th). */
bool date_valid(struct date d);

/* For people: a date as "Wednesday 14 October 2026", and the days a period covers as "1 July to 30 September
 * 2026" ("1 April 2026 to 31 March 2027" across a year end), so that a message never leaves "2026-Q3" for the
 * reader to decode. Messages call these rather than spelling out quarters themselves. */
#define DATE_WORDS_MAX 64
void date_format_words(struct date d, char out[DATE_WORDS_MAX]);
#define PERIOD_WORDS_MAX 96
void period_format_words(struct period p, char out[PERIOD_WORDS_MAX]);

/*
 * An ISO 8601 moment: "YYYY-MM-DD" (the whole of that day: its last microsecond,
 * UTC) or "YYYY-MM-DDTHH:MM[:SS[.fffffffff]]" with "Z" or an offset "+HH:MM". A time
 * without a zone is refused, never guessed. out gets a form PostgreSQL's
 * timestamptz reads exactly.
 */
#define TIMESTAMP_FMT_MAX 40
bool timestamp_parse(const char *s, char out[TIMESTAMP_FMT_MAX]) __attribute__((warn_unused_result));

#endif
