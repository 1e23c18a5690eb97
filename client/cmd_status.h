/* cmd_status.h - what `planreg status` (cmd_status.c) and its views
 * outstanding, timeliness and diff (cmd_status_views.c) share. */
#ifndef PLANREG_CMD_STATUS_H
#define PLANREG_CMD_STATUS_H

#include "cli.h"
#include "money.h"
#include "period.h"
#include "rating_move.h"

#define CMD_STATUS_N(a) (sizeof(a) / sizeof((a)[0]))

/* The last quarter that has ended, by today's date (UTC). */
struct period cmd_status_last_ended(void);
/* A period option or argument (NULL: the last quarter that has ended), normalised into out (and *p unless p is
 * NULL); a usage error otherwise. */
int cmd_status_period(const struct cli_command *cmd, const char *opt, const char *s, struct period *p,
		      char out[PERIOD_FMT_MAX]);
/* A confidence's or stage's name, NULL for none. */
const char *cmd_status_confidence(int c);
const char *cmd_status_stage(int s);
/* How far value lies from base, in tenths of a percent (rounded); false when base is not positive. */
bool cmd_status_change_tenths(int64_t value, int64_t base, long long *tenths);
/* The due date in words: "2026-10-14, 14 days after the quarter ended". */
void cmd_status_due_words(const char *period, const char *due, char out[96]);
/* A percentage as a row's value (31.9), null when absent. */
void cmd_status_pct_row(struct output_rows *r, const char *key, const Planreg__V1__VariancePct *pct);
/* An amount for people ("-" when absent). */
const char *cmd_status_money(const Planreg__V1__Money *m, char buf[MONEY_FMT_MAX]);

/* cmd_status_assure.c: the CA's rating and the baselines beside the body's (docs/assurance.md). */
/* What --by groups by, and the projects from which the CA's ratings of each group are counted. */
struct cmd_status_by {
	const char *by; /* theme, stage, lead or confidence */
	const struct cli_status_pages *pages;
};

/* The assurance columns of a project's status row. */
void cmd_status_assure_row(struct output_rows *r, const Planreg__V1__ProjectStatus *p);
/* The CA's ratings of group g's reported projects: the columns of a --by row, and in words for the table. */
void cmd_status_group_assure_row(struct output_rows *r, const Planreg__V1__StatusGroup *g,
				 const struct cmd_status_by *by);
const char *cmd_status_group_ratings_text(struct arena *a, const Planreg__V1__StatusGroup *g,
					  const struct cmd_status_by *by);
/* The headline's line of the CA's ratings, when the quarter has any. */
void cmd_status_headline_assurance(const Planreg__V1__StatusTotals *t);

/* cmd_status_movement.c: a quarter's status (of plan, "" for the current one) without narratives, for the
 * movement and the trend of ratings; the exit code (on failure nothing is kept). */
int cmd_status_quarter_fetch(struct cli *cli, char *period, char *plan, struct cli_status_pages *pages);
/* The projects of fetched pages as rating_move.c reads them. */
struct rating_move_quarter cmd_status_quarter_of(const struct cli_status_pages *pages);

#endif
