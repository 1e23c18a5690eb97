/* cli_period.h - reporting periods as the deployment names them: the daemon says in every answer whether its
 * year starts in January ("2026-Q4") or April ("FY2026/27-Q3"); the wire always carries the calendar quarter, and
 * these turn it into the name people read (docs/decisions.md, "Financial years"). */
#ifndef PLANREG_CLI_PERIOD_H
#define PLANREG_CLI_PERIOD_H

#include "period.h"

/* What the last answer said (Response.year_start_month; 0, from an older daemon, is January). */
void cli_period_learn(int year_start_month);
/* PERIOD_YEAR_JANUARY until an answer says otherwise. */
int cli_period_year(void);

/*
 * The name of the canonical period s ("2026-Q4" → "FY2026/27-Q3" in an April deployment), or the months it covers
 * after it for a heading ("FY2026/27-Q3 (October–December 2026)"). NULL gives NULL, and text that is not a period
 * is given back as it is. The result lives in one of CLI_PERIOD_SLOTS buffers used in turn: copy it before asking
 * for that many more.
 */
#define CLI_PERIOD_SLOTS 16
const char *cli_period_name(const char *s);
const char *cli_period_heading(const char *s);

#endif
