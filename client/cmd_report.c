/* cmd_report.c - `planreg report html`: the board report of a quarter, one
 * self-contained HTML file (report_html.c draws it from the server's figures). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_options.h"
#include "cmd_status.h"
#include "cmd_update.h"
#include "file_output.h"
#include "period.h"
#include "report_html.h"
#include "xmalloc.h"

#define CMD_REPORT_PAGE 100 /* projects per page with their narratives */

static const char cmd_report_html_help[] =
	"Writes the board report of a quarter as one self-contained HTML file: inline\n"
	"CSS, no script and no external reference, so it can be mailed, read on a phone\n"
	"or printed (A4, a few pages) as it is. Page 1: the headline numbers, each with\n"
	"what it means, money compared like for like, and the exceptions (red and\n"
	"amber/red projects, and those whose rating fell or whose forecast cost or end\n"
	"date moved since the previous quarter, with narrative, variance note, slipped\n"
	"milestones and top risks). Then the movement of ratings since the previous\n"
	"quarter (a from -> to matrix, by the Combined Authority's rating where it set\n"
	"one, else the lead body's), confidence and money by theme, one table of every\n"
	"project with its rating in each of the last four quarters, the baselines with\n"
	"every approved change, and the returns outstanding by organisation. A\n"
	"submitter's report covers its own projects only.\n"
	"The file given with -o is replaced only once the whole report is written, and\n"
	"only a regular file is (or the one a symbolic link names); a FIFO, a device or\n"
	"a directory is refused.\n";

/* Writes the report to standard output, or to the file path names (file_output.c: only a regular or a new
 * file, replaced once the whole report is on disk); the exit code. A failed write to standard output is
 * reported when the command ends (main.c). */
static int cmd_report_write(const char *path, const struct buf *data)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		fwrite(buf_str(data), 1, data->len, stdout);
		return EXIT_OK;
	}
	return file_output_write("the report", path, buf_str(data), data->len);
}

/* What the report is drawn from, as the server gave it. */
struct cmd_report_answers {
	Planreg__V1__Response *whoami;      /* the plan's title */
	struct cli_status_pages pages;      /* the quarter's status, with narratives */
	Planreg__V1__Response *outstanding; /* the returns still owed */
	Planreg__V1__Response *plan;        /* with --plan: that plan's title */
	struct cli_status_pages earlier[3]; /* the three quarters before, oldest first: the trend */
	Planreg__V1__Response *changes;     /* the approved change requests */
	struct cli_pages updates;           /* the quarter's latest returns: their evidence, for the appendix */
};

static void cmd_report_answers_free(struct cmd_report_answers *ans)
{
	if (ans->outstanding)
		planreg__v1__response__free_unpacked(ans->outstanding, NULL);
	if (ans->plan)
		planreg__v1__response__free_unpacked(ans->plan, NULL);
	cli_status_pages_free(&ans->pages);
	for (int k = 0; k < 3; k++)
		cli_status_pages_free(&ans->earlier[k]);
	if (ans->changes)
		planreg__v1__response__free_unpacked(ans->changes, NULL);
	cli_pages_free(&ans->updates);
	if (ans->whoami)
		planreg__v1__response__free_unpacked(ans->whoami, NULL);
}

/* Asks the server for what the board reads first beyond the quarter itself: the three quarters before
 * (the trend and the movement, docs/assurance.md) and the approved changes; the exit code. */
static int cmd_report_gather_board(struct cli *cli, const char *ps, char *plan, struct cmd_report_answers *ans)
{
	struct period p;
	if (!period_parse(ps, &p))
		return EXIT_USAGE; /* cmd_status_period normalised it */
	char names[3][PERIOD_FMT_MAX];
	for (int k = 2; k >= 0; k--) {
		p = period_prev(p);
		period_format(p, names[k]);
	}
	int rc = EXIT_OK;
	for (int k = 0; k < 3 && rc == EXIT_OK; k++)
		rc = cmd_status_quarter_fetch(cli, names[k], plan, &ans->earlier[k]);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__ListChangesRequest cb = PLANREG__V1__LIST_CHANGES_REQUEST__INIT;
	cb.state = "approved";
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_CHANGES, &cb, &ans->changes);
	Planreg__V1__ListUpdatesRequest ub = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	ub.period = (char *)ps;
	ub.latest_only = true;
	ub.plan = plan;
	if (rc == EXIT_OK)
		rc = cli_pages_fetch(cli, PLANREG__V1__REQUEST__BODY_LIST_UPDATES, &ub, "updates", cmd_update_list_next,
				     &ans->updates);
	return rc;
}

/* Asks the server for everything the report of period ps (of plan, "" for the current one) shows; the exit code
 * (on failure nothing is kept). */
static int cmd_report_gather(struct cli *cli, char *ps, char *plan, struct cmd_report_answers *ans)
{
	memset(ans, 0, sizeof *ans);
	Planreg__V1__WhoamiRequest who = PLANREG__V1__WHOAMI_REQUEST__INIT;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_WHOAMI, &who, &ans->whoami);
	if (rc == EXIT_OK && plan[0] != '\0') {
		Planreg__V1__GetPlanRequest pb = PLANREG__V1__GET_PLAN_REQUEST__INIT;
		pb.plan = plan;
		rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_PLAN, &pb, &ans->plan);
	}
	if (rc != EXIT_OK) {
		cmd_report_answers_free(ans);
		return rc;
	}
	Planreg__V1__GetStatusRequest body = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	body.period = ps;
	body.include_narrative = true;
	body.include_detail = true;
	body.plan = plan;
	rc = cli_status_fetch(cli, &body, CMD_REPORT_PAGE, &ans->pages);
	if (rc == EXIT_OK) {
		Planreg__V1__ListOutstandingRequest ob = PLANREG__V1__LIST_OUTSTANDING_REQUEST__INIT;
		ob.period = ps;
		ob.plan = plan;
		rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING, &ob, &ans->outstanding);
	}
	if (rc == EXIT_OK)
		rc = cmd_report_gather_board(cli, ps, plan, ans);
	if (rc != EXIT_OK)
		cmd_report_answers_free(ans);
	return rc;
}

/* Draws the report and writes it to output (NULL or "-": standard output); the exit code. */
static int cmd_report_render(const struct cmd_report_answers *ans, const char *ps, const char *output)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct report_html_input in = {
		.plan_title = ans->plan && ans->plan->get_plan->plan ? ans->plan->get_plan->plan->title
								     : ans->whoami->whoami->plan_title,
		.generated_at = now,
		.status = ans->pages.first,
		.projects = ans->pages.projects,
		.n_projects = ans->pages.n_projects,
		.outstanding = ans->outstanding->list_outstanding,
		.changes = ans->changes->list_changes,
		.updates = (Planreg__V1__Update *const *)ans->updates.items,
		.n_updates = ans->updates.n,
	};
	for (int k = 0; k < 3; k++)
		in.earlier[k] = cmd_status_quarter_of(&ans->earlier[k]);
	struct buf html = {0};
	report_html_write(&html, &in);
	int rc = cmd_report_write(output, &html);
	if (rc == EXIT_OK && output && strcmp(output, "-") != 0)
		fprintf(stderr, "planreg: wrote %s: %s, %zu projects, %zu bytes\n", output, ps, ans->pages.n_projects,
			html.len);
	buf_free(&html);
	return rc;
}

static int cmd_report_html_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	const char *output = cli_getopt_value(&g, 'o');
	char ps[PERIOD_FMT_MAX];
	if (cmd_status_period(self, "--period", cli_getopt_value(&g, CLI_KEY_PERIOD), NULL, ps) != EXIT_OK)
		return EXIT_USAGE;
	struct cmd_report_answers ans;
	const char *plan = cli_getopt_value(&g, CLI_KEY_PLAN);
	int rc = cmd_report_gather(cli, ps, (char *)(plan ? plan : ""), &ans);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_report_render(&ans, ps, output);
	cmd_report_answers_free(&ans);
	return rc;
}

static const struct cli_option cmd_report_html_options[] = {
	{CLI_OPTION_PERIOD, .when_absent = "the last quarter that has ended"},
	{.name = "output",
	 .key = 'o',
	 .short_name = true,
	 .arg = "FILE",
	 .help = "write to FILE (default standard output)",
	 .complete = CLI_COMPLETE_FILE},
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_report_html = {
	.noun = "report",
	.verb = "html",
	.options = cmd_report_html_options,
	.summary = "the board report of a quarter: one self-contained HTML file",
	.help = cmd_report_html_help,
	.run = cmd_report_html_run,
};
