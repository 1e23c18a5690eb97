/* cli_options.h - the options that mean the same in several commands, each
 * declared once with one help text, and their values read in one place
 * (cli_options.c). A command puts CLI_OPTION_X in its list of options and adds
 * only what is its own: .required, or .when_absent (its default). Options that
 * share a name but not a meaning (remind run's --from ADDR, the sender, and
 * export's --from P, a quarter) are declared by their commands. */
#ifndef PLANREG_CLI_OPTIONS_H
#define PLANREG_CLI_OPTIONS_H

#include <stdint.h>

#include "cli.h"
#include "period.h"
#include "values.h"

/* What cli_getopt_next returns for each shared option: above every letter, so none meets a command's own. */
enum cli_options_key {
	CLI_KEY_PERIOD = 256,
	CLI_KEY_AS_OF,
	CLI_KEY_FROM,
	CLI_KEY_TO,
	CLI_KEY_THEME,
	CLI_KEY_OBJECTIVE,
	CLI_KEY_LEAD,
	CLI_KEY_STAGE,
	CLI_KEY_CONFIDENCE,
	CLI_KEY_ORG,
	CLI_KEY_PLAN,
};

#define CLI_OPTION_PERIOD                                                                                              \
	.name = "period", .key = CLI_KEY_PERIOD, .arg = "QUARTER",                                                     \
	.help = "the quarter: 2026-Q3, or FY2026/27-Q3 in financial years"
#define CLI_OPTION_AS_OF                                                                                               \
	.name = "as-of", .key = CLI_KEY_AS_OF, .arg = "DATE",                                                          \
	.help = "as at the end of DATE, YYYY-MM-DD (default today, UTC)"
#define CLI_OPTION_FROM .name = "from", .key = CLI_KEY_FROM, .arg = "QUARTER", .help = "the first quarter"
#define CLI_OPTION_TO .name = "to", .key = CLI_KEY_TO, .arg = "QUARTER", .help = "the last quarter"
/* the edition of the plan read (listings, status, export, report); the server resolves it */
#define CLI_OPTION_PLAN                                                                                                \
	.name = "plan", .key = CLI_KEY_PLAN, .arg = "PLAN",                                                            \
	.help = "the plan, by its number or title as `planreg plan list` shows them",                                  \
	.when_absent = "the current plan"
/* the projects an organisation leads (update list, update template) */
#define CLI_OPTION_ORG .name = "org", .key = CLI_KEY_ORG, .arg = "CODE", .help = "the projects organisation CODE leads"

/* a credential's role (cred enrol, cred invite) */
#define CLI_OPTION_ROLE                                                                                                \
	.name = "role", .key = 'r', .arg = "ROLE", .help = "admin, viewer, submitter or reminder",                     \
	.complete = CLI_COMPLETE_CHOICES, .choices = "admin viewer submitter reminder"

/* The filters of a list of projects (projects list, status). */
#define CLI_OPTION_THEME .name = "theme", .key = CLI_KEY_THEME, .arg = "N", .help = "only projects of theme N"
#define CLI_OPTION_OBJECTIVE                                                                                           \
	.name = "objective", .key = CLI_KEY_OBJECTIVE, .arg = "CODE",                                                  \
	.help = "only projects of objective CODE, e.g. 6.1"
#define CLI_OPTION_LEAD                                                                                                \
	.name = "lead", .key = CLI_KEY_LEAD, .arg = "ORG",                                                             \
	.help = "only projects organisation ORG leads or co-leads, e.g. LCC"
/* a stage or a confidence: a filter (status, projects list) or the value of an update (update submit) */
#define CLI_OPTION_STAGE                                                                                               \
	.name = "stage", .key = CLI_KEY_STAGE, .arg = "STAGE",                                                         \
	.help = "concept, early_development, advanced_development, live, completed, paused or cancelled",              \
	.complete = CLI_COMPLETE_CHOICES, .choices = CLI_STAGE_CHOICES
#define CLI_OPTION_CONFIDENCE                                                                                          \
	.name = "confidence", .key = CLI_KEY_CONFIDENCE, .arg = "CONFIDENCE",                                          \
	.help = "delivery confidence: green, amber_green, amber, amber_red or red", .complete = CLI_COMPLETE_CHOICES,  \
	.choices = CLI_CONFIDENCE_CHOICES

/* Where a request keeps the filters: its fields (NULL for a filter the command does not offer). */
struct cli_filter {
	int32_t *theme;
	char **objective;
	char **lead;
	Planreg__V1__Stage *stage;
	Planreg__V1__Confidence *confidence;
};

/*
 * Reads the filter option ch (its value in optarg) into its field of f.
 * Returns 1 when it was one, 0 when ch is not a filter option, -1 after a
 * usage error.
 */
int cli_options_filter(const struct cli_command *cmd, int ch, struct cli_filter *f);

/* A quarter given as option opt ("--period", or an argument "P1"), normalised into out (and *p unless p is NULL);
 * a usage error otherwise. */
int cli_options_period(const struct cli_command *cmd, const char *opt, const char *s, struct period *p,
		       char out[PERIOD_FMT_MAX]);
/* As cli_options_period, and a usage error when s is NULL: the command requires it. */
int cli_options_period_required(const struct cli_command *cmd, const char *opt, const char *s,
				char out[PERIOD_FMT_MAX]);
/* A date given as option opt; EXIT_OK or a usage error. */
int cli_options_date(const struct cli_command *cmd, const char *opt, const char *s);

#endif
