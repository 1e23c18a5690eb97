/* cmd_status_movement.c - `planreg status movement`: how the ratings of a quarter's projects moved
 * from the quarter before, as a from -> to matrix (rating_move.c counts it; docs/assurance.md, "What
 * a board reads first"), with the keys of docs/json.md; and the fetching of a quarter's status that
 * the board report's trend shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli_options.h"
#include "cli_period.h"
#include "cmd_status.h"
#include "rating_move.h"

#define CMD_STATUS_MOVEMENT_PAGE 500 /* the server's default page */

static const char cmd_status_movement_help[] =
	"How the ratings moved from the quarter before --period to --period: one row per\n"
	"rating in the earlier quarter (then none: no return), one column per rating in\n"
	"the later one, counting every project of the later quarter's register. A\n"
	"project counts by the Combined Authority's rating where it set one, else by the\n"
	"lead body's own delivery confidence (a return sent back counts by its colour);\n"
	"on a three-point deployment amber_green and amber_red fold into amber. A fall\n"
	"is a move towards red between two ratings, a rise one towards green.\n";

int cmd_status_quarter_fetch(struct cli *cli, char *period, char *plan, struct cli_status_pages *pages)
{
	Planreg__V1__GetStatusRequest body = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	body.period = period;
	body.plan = plan;
	return cli_status_fetch(cli, &body, CMD_STATUS_MOVEMENT_PAGE, pages);
}

struct rating_move_quarter cmd_status_quarter_of(const struct cli_status_pages *pages)
{
	struct rating_move_quarter q = {pages->first ? pages->first->period : "", pages->projects, pages->n_projects};
	return q;
}

/* What the listing prints: the matrix, its two quarters and the scale it is on. */
struct cmd_status_movement {
	struct rating_move_matrix m;
	const char *from, *to, *scale;
};

static const char *const cmd_status_movement_keys[] = {"from_period",    "to_period", "from",         "to_green",
						       "to_amber_green", "to_amber",  "to_amber_red", "to_red",
						       "to_none",        "projects"};

static void cmd_status_movement_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const struct cmd_status_movement *mv = answer;
	for (int f = 0; f < RATING_MOVE_AXIS; f++) {
		if (!rating_move_on_scale(f, mv->scale))
			continue;
		int64_t total = 0;
		output_rows_begin(r);
		output_rows_str(r, "from_period", cli_period_name(mv->from));
		output_rows_str(r, "to_period", cli_period_name(mv->to));
		output_rows_str(r, "from", rating_move_name(f));
		for (int t = 0; t < RATING_MOVE_AXIS; t++) {
			/* the key's pointer outlives the rows: a static string per column */
			output_rows_int(r, cmd_status_movement_keys[3 + t], mv->m.cells[f][t]);
			total += mv->m.cells[f][t];
		}
		output_rows_int(r, "projects", total);
	}
}

/* A headline of the falls and rises, then the matrix with a row per earlier rating. */
static struct output_table *cmd_status_movement_table(const void *answer, const void *arg)
{
	const struct cmd_status_movement *mv = answer;
	printf("Ratings from %s to %s (the Combined Authority's where set, else the lead body's): %lld fell, "
	       "%lld rose, %lld held, of %lld projects\n\n",
	       cli_period_name(mv->from), cli_period_name(mv->to), (long long)mv->m.fell, (long long)mv->m.rose,
	       (long long)mv->m.held, (long long)mv->m.projects);
	static const char *const headers[] = {"FROM \\ TO", "GREEN", "AMBER_GREEN", "AMBER",
					      "AMBER_RED",  "RED",   "NONE",        "PROJECTS"};
	struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), 0);
	struct arena a = {0};
	for (int f = 0; f < RATING_MOVE_AXIS; f++) {
		if (!rating_move_on_scale(f, mv->scale))
			continue;
		const char *cells[CMD_STATUS_N(headers)];
		int64_t total = 0;
		cells[0] = rating_move_name(f);
		for (int t = 0; t < RATING_MOVE_AXIS; t++) {
			cells[1 + t] = arena_printf(&a, "%lld", (long long)mv->m.cells[f][t]);
			total += mv->m.cells[f][t];
		}
		cells[1 + RATING_MOVE_AXIS] = arena_printf(&a, "%lld", (long long)total);
		output_table_row(tab, cells);
	}
	arena_free(&a);
	return tab;
}

CLI_LISTING_OF(cmd_status_movement);

static int cmd_status_movement_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	struct period p;
	char to[PERIOD_FMT_MAX], from[PERIOD_FMT_MAX];
	if (cmd_status_period(self, "--period", cli_getopt_value(&g, CLI_KEY_PERIOD), &p, to) != EXIT_OK)
		return EXIT_USAGE;
	period_format(period_prev(p), from);
	char *plan = (char *)(cli_getopt_value(&g, CLI_KEY_PLAN) ? cli_getopt_value(&g, CLI_KEY_PLAN) : "");
	struct cli_status_pages before, now;
	int rc = cmd_status_quarter_fetch(cli, from, plan, &before);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_status_quarter_fetch(cli, to, plan, &now);
	if (rc == EXIT_OK) {
		struct rating_move_quarter qf = cmd_status_quarter_of(&before), qt = cmd_status_quarter_of(&now);
		struct cmd_status_movement mv = {.from = from, .to = to, .scale = now.first->rating_scale};
		rating_move_count(&qf, &qt, &mv.m);
		cli_listing_print(&cmd_status_movement_listing, &mv, NULL, g.format);
		cli_status_pages_free(&now);
	}
	cli_status_pages_free(&before);
	return rc;
}

static const struct cli_option cmd_status_movement_options[] = {
	{CLI_OPTION_PERIOD, .when_absent = "the last quarter that has ended"},
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_status_movement = {
	.noun = "status",
	.verb = "movement",
	.options = cmd_status_movement_options,
	.formats = CLI_FMT_LISTING,
	.summary = "how the ratings moved since the quarter before: a from -> to matrix",
	.help = cmd_status_movement_help,
	.run = cmd_status_movement_run,
};
