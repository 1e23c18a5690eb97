/* cmd_themes.c - `planreg themes list`: the plan's themes and their objectives (ListThemes). */
#include <stdlib.h>

#include "cli.h"
#include "cli_options.h"
#include "xmalloc.h"

static const char *const cmd_themes_keys[] = {"theme", "title", "objectives", "objective_titles"};

static void cmd_themes_row(struct output_rows *rows, const Planreg__V1__Theme *t)
{
	char **codes = xcalloc(t->n_objectives + 1, sizeof *codes);
	char **titles = xcalloc(t->n_objectives + 1, sizeof *titles);
	for (size_t i = 0; i < t->n_objectives; i++) {
		codes[i] = t->objectives[i]->code;
		titles[i] = t->objectives[i]->title;
	}
	output_rows_begin(rows);
	output_rows_int(rows, "theme", t->number);
	output_rows_str(rows, "title", t->title);
	output_rows_list(rows, "objectives", codes, t->n_objectives, ";");
	output_rows_list(rows, "objective_titles", titles, t->n_objectives, "\n");
	free(codes);
	free(titles);
}

static void cmd_themes_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	const Planreg__V1__ListThemesResponse *r = answer;
	for (size_t i = 0; i < r->n_themes; i++)
		cmd_themes_row(rows, r->themes[i]);
}

/* "1  Digital infrastructure", then each objective indented under it. */
static struct output_table *cmd_themes_table(const void *answer, const void *arg)
{
	const Planreg__V1__ListThemesResponse *r = answer;
	static const char *const headers[] = {"THEME", "OBJECTIVE", "TITLE"};
	struct output_table *t = output_table_new(headers, 3, 1u << 2);
	for (size_t i = 0; i < r->n_themes; i++) {
		const Planreg__V1__Theme *th = r->themes[i];
		char number[16];
		snprintf(number, sizeof number, "%d", th->number);
		const char *cells[] = {number, "", th->title};
		output_table_row(t, cells);
		for (size_t k = 0; k < th->n_objectives; k++) {
			const char *obj[] = {"", th->objectives[k]->code, th->objectives[k]->title};
			output_table_row(t, obj);
		}
	}
	return t;
}

CLI_LISTING_OF(cmd_themes);

static int cmd_themes_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListThemesRequest body = PLANREG__V1__LIST_THEMES_REQUEST__INIT;
	body.plan = (char *)(cli_getopt_value(&g, CLI_KEY_PLAN) ? cli_getopt_value(&g, CLI_KEY_PLAN) : "");
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_THEMES, &body, &cmd_themes_listing, NULL,
				   g.format);
}

static const struct cli_option cmd_themes_list_options[] = {
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_themes_list = {
	.noun = "themes",
	.verb = "list",
	.options = cmd_themes_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "the plan's themes and their objectives",
	.run = cmd_themes_list_run,
};
