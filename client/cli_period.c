/* cli_period.c - the deployment's names for periods, learned from the daemon's answers (see cli_period.h). */
#include "cli_period.h"

#include <stdio.h>

/* one process, one daemon: the setting of the answers it has had */
static int cli_period_year_start = PERIOD_YEAR_JANUARY;
static char cli_period_slots[CLI_PERIOD_SLOTS][PERIOD_HEADING_MAX];
static unsigned cli_period_next;

void cli_period_learn(int year_start_month)
{
	cli_period_year_start = period_year_start_valid(year_start_month) ? year_start_month : PERIOD_YEAR_JANUARY;
}

int cli_period_year(void)
{
	return cli_period_year_start;
}

static char *cli_period_slot(void)
{
	return cli_period_slots[cli_period_next++ % CLI_PERIOD_SLOTS];
}

const char *cli_period_name(const char *s)
{
	struct period p;
	if (s == NULL || !period_parse(s, &p))
		return s;
	char *out = cli_period_slot();
	period_name(p, cli_period_year_start, out);
	return out;
}

const char *cli_period_heading(const char *s)
{
	struct period p;
	if (s == NULL || !period_parse(s, &p))
		return s;
	char *out = cli_period_slot();
	period_heading(p, cli_period_year_start, out);
	return out;
}
