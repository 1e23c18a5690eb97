/* cli_options.c - the values of the options several commands share, read in
 * one place with one message for each mistake (see cli_options.h). */
#include "cli_options.h"

#include <stdlib.h>

int cli_options_filter(const struct cli_command *cmd, int ch, struct cli_filter *f)
{
	char *end;
	int32_t theme;
	enum stage s;
	enum confidence c;
	if (ch == CLI_KEY_THEME && f->theme) {
		theme = (int32_t)strtol(optarg, &end, 10);
		if (end == optarg || *end != '\0' || theme < 1 || theme > 99)
			return cli_usage(cmd, "--theme takes a theme number such as 6, not \"%s\"", optarg), -1;
		*f->theme = (int32_t)theme;
	} else if (ch == CLI_KEY_OBJECTIVE && f->objective) {
		*f->objective = optarg;
	} else if (ch == CLI_KEY_LEAD && f->lead) {
		*f->lead = optarg;
	} else if (ch == CLI_KEY_STAGE && f->stage) {
		if (!values_stage_parse(optarg, &s))
			return cli_usage(cmd, "--stage must be one of %s, not \"%s\"", values_stage_names(), optarg),
			       -1;
		*f->stage = (Planreg__V1__Stage)s;
	} else if (ch == CLI_KEY_CONFIDENCE && f->confidence) {
		if (!values_confidence_parse(optarg, &c))
			return cli_usage(cmd, "--confidence must be one of %s, not \"%s\"", values_confidence_names(),
					 optarg),
			       -1;
		*f->confidence = (Planreg__V1__Confidence)c;
	} else {
		return 0;
	}
	return 1;
}

int cli_options_period(const struct cli_command *cmd, const char *opt, const char *s, struct period *p,
		       char out[PERIOD_FMT_MAX])
{
	struct period read;
	if (!period_read(s, &read))
		return cli_usage(cmd, "%s \"%s\" is not a reporting period: " PERIOD_READ_HINT, opt, s);
	period_format(read, out);
	if (p)
		*p = read;
	return EXIT_OK;
}

int cli_options_period_required(const struct cli_command *cmd, const char *opt, const char *s, char out[PERIOD_FMT_MAX])
{
	if (s == NULL)
		return cli_usage(cmd, "%s is required: the quarter, as 2026-Q3 or FY2026/27-Q3", opt);
	return cli_options_period(cmd, opt, s, NULL, out);
}

int cli_options_date(const struct cli_command *cmd, const char *opt, const char *s)
{
	struct date d;
	if (!date_parse(s, &d))
		return cli_usage(cmd, "%s \"%s\" is not a date: write YYYY-MM-DD", opt, s);
	return EXIT_OK;
}
