/* cmd_indicator.c - `planreg indicator add|list|show`: benefits and indicators (docs/assurance.md,
 * "Indicators"). The Combined Authority (admin) defines a project's indicators; a lead body's submitter
 * proposes one, which becomes a change request of kind scope (`planreg change`) and an indicator only when
 * the CA approves it. Each return reports the actuals (`update submit --actual`). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"

static const char cmd_indicator_help[] =
	"A project's indicators: what it is to change, in a unit, from a baseline value\n"
	"on a date to a target value by a date, optionally with targets for quarters\n"
	"(--period-target 2026-Q3=40), and who answers for it (\"Name <name@example.org>\").\n"
	"Numbers are written as 40, 12.5 or -3. The Combined Authority (admin) adds them;\n"
	"a submitter of a project's lead body proposes one: it is a change request of\n"
	"kind scope (`planreg change list`) until the CA approves it. Each return reports\n"
	"the actual of each indicator with `update submit --actual INDICATOR=VALUE`.\n";

static const char *const cmd_indicator_keys[] = {
	"id",           "ref",         "project_title",  "name",        "unit",       "baseline_value", "baseline_date",
	"target_value", "target_date", "period_targets", "responsible", "created_by", "created_at",     "change_id",
	"lead_orgs"};

static const char *cmd_indicator_or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* "2026-Q3=40" each, for the period_targets cell. */
static char **cmd_indicator_targets(struct arena *a, const Planreg__V1__Indicator *ind)
{
	char **out = arena_alloc(a, (ind->n_period_targets + 1) * sizeof *out);
	for (size_t i = 0; i < ind->n_period_targets; i++)
		out[i] = arena_printf(a, "%s=%s", ind->period_targets[i]->period, ind->period_targets[i]->value);
	return out;
}

static void cmd_indicator_row(struct output_rows *r, const Planreg__V1__Indicator *ind)
{
	struct arena a = {0};
	output_rows_begin(r);
	output_rows_int(r, "id", ind->id);
	output_rows_int(r, "ref", ind->ref);
	output_rows_str(r, "project_title", ind->project_title);
	output_rows_str(r, "name", ind->name);
	output_rows_str(r, "unit", ind->unit);
	output_rows_str(r, "baseline_value", ind->baseline_value);
	output_rows_str(r, "baseline_date", ind->baseline_date);
	output_rows_str(r, "target_value", ind->target_value);
	output_rows_str(r, "target_date", ind->target_date);
	output_rows_list(r, "period_targets", cmd_indicator_targets(&a, ind), ind->n_period_targets, ";");
	output_rows_str(r, "responsible", cmd_indicator_or_null(ind->responsible));
	output_rows_str(r, "created_by", ind->created_by);
	output_rows_str(r, "created_at", ind->created_at);
	if (ind->change_id)
		output_rows_int(r, "change_id", ind->change_id);
	else
		output_rows_null(r, "change_id");
	output_rows_list(r, "lead_orgs", ind->lead_orgs, ind->n_lead_orgs, ";");
	arena_free(&a);
}

static void cmd_indicator_rows(struct output_rows *r, const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListIndicatorsResponse *l = answer;
	for (size_t i = 0; i < l->n_indicators; i++)
		cmd_indicator_row(r, l->indicators[i]);
}

static struct output_table *cmd_indicator_table(const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListIndicatorsResponse *l = answer;
	static const char *const headers[] = {"ID", "REF", "NAME", "UNIT", "BASELINE", "TARGET", "BY", "RESPONSIBLE"};
	struct output_table *t = output_table_new(headers, sizeof headers / sizeof headers[0], 1u << 2);
	struct arena a = {0};
	for (size_t i = 0; i < l->n_indicators; i++) {
		const Planreg__V1__Indicator *ind = l->indicators[i];
		const char *cells[] = {arena_printf(&a, "%lld", (long long)ind->id),
				       arena_printf(&a, "%d", ind->ref),
				       ind->name,
				       ind->unit,
				       arena_printf(&a, "%s (%s)", ind->baseline_value, ind->baseline_date),
				       ind->target_value,
				       ind->target_date,
				       ind->responsible[0] ? ind->responsible : "-"};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

static const struct cli_listing cmd_indicator_listing = {
	.keys = CLI_LISTING_KEYS(cmd_indicator_keys),
	.rows = cmd_indicator_rows,
	.table = cmd_indicator_table,
};

/* A project reference given with --project (or as ADD's argument). */
static int cmd_indicator_ref(const struct cli_command *self, const char *what, const char *s, int32_t *ref)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || v < 1 || v > 100000)
		return cli_usage(self, "%s must be a project reference (a number such as 5), not \"%s\"", what, s);
	*ref = (int32_t)v;
	return EXIT_OK;
}

/* ---------------------------------------------------------------- list, show */

static int cmd_indicator_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListIndicatorsRequest body = PLANREG__V1__LIST_INDICATORS_REQUEST__INIT;
	const char *ref = cli_getopt_value(&g, 'p');
	int rc = ref ? cmd_indicator_ref(self, "--project", ref, &body.ref) : EXIT_OK;
	if (rc != EXIT_OK)
		return rc;
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_INDICATORS, &body, &cmd_indicator_listing, NULL,
				   g.format);
}

/* One indicator as a record (table) or a one-row listing's object (json). */
static void cmd_indicator_print_one(const Planreg__V1__Indicator *ind, enum output_format fmt)
{
	Planreg__V1__ListIndicatorsResponse one = PLANREG__V1__LIST_INDICATORS_RESPONSE__INIT;
	Planreg__V1__Indicator *list[1] = {(Planreg__V1__Indicator *)ind};
	one.indicators = list;
	one.n_indicators = 1;
	if (fmt == OUTPUT_JSON) {
		struct output_rows *rows = output_rows_new();
		cmd_indicator_rows(rows, &one, NULL);
		struct cli_json doc;
		output_rows_json_object(rows, 0, cli_json_begin(&doc));
		cli_json_end(&doc);
		output_rows_free(rows);
		return;
	}
	struct arena a = {0};
	const char *targets = output_join(&a, cmd_indicator_targets(&a, ind), ind->n_period_targets, ", ");
	const char *pairs[] = {"id",
			       arena_printf(&a, "%lld", (long long)ind->id),
			       "project",
			       arena_printf(&a, "%d: %s", ind->ref, ind->project_title),
			       "name",
			       ind->name,
			       "unit",
			       ind->unit,
			       "baseline",
			       arena_printf(&a, "%s on %s", ind->baseline_value, ind->baseline_date),
			       "target",
			       arena_printf(&a, "%s by %s", ind->target_value, ind->target_date),
			       "period targets",
			       ind->n_period_targets ? targets : "-",
			       "responsible",
			       ind->responsible[0] ? ind->responsible : "-",
			       "created",
			       ind->change_id ? arena_printf(&a, "by %s at %s (change request %lld)", ind->created_by,
							     ind->created_at, (long long)ind->change_id)
					      : arena_printf(&a, "by %s at %s", ind->created_by, ind->created_at),
			       NULL};
	output_record(stdout, pairs);
	arena_free(&a);
}

static int cmd_indicator_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__GetIndicatorRequest body = PLANREG__V1__GET_INDICATOR_REQUEST__INIT;
	char *end;
	errno = 0;
	body.id = strtoll(g.args[0], &end, 10);
	if (g.args[0][0] == '\0' || *end != '\0' || errno != 0 || body.id < 1)
		return cli_usage(self, "\"%s\" is not an indicator id (a number such as 3)", g.args[0]);
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_INDICATOR, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	if (resp->get_indicator == NULL || resp->get_indicator->indicator == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no indicator");
	}
	cmd_indicator_print_one(resp->get_indicator->indicator, g.format);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- add */

/* One --period-target PERIOD=VALUE into body. */
static int cmd_indicator_period_target(const struct cli_command *self, struct arena *a,
				       Planreg__V1__AddIndicatorRequest *body, char *arg)
{
	char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg || eq[1] == '\0')
		return cli_usage(self, "--period-target takes PERIOD=VALUE (2026-Q3=40), not \"%s\"", arg);
	*eq = '\0';
	Planreg__V1__PeriodTarget *t = arena_alloc(a, sizeof *t);
	planreg__v1__period_target__init(t);
	t->period = arg;
	t->value = eq + 1;
	*(Planreg__V1__PeriodTarget **)arena_push(a, &body->period_targets, &body->n_period_targets, sizeof t) = t;
	return EXIT_OK;
}

/* The options into body: EXIT_OK, a usage error's exit code, or -1 when the command must return g->rc at once
 * (--help was printed, or cli_getopt_next's usage error). */
static int cmd_indicator_add_options(struct cli_getopt *g, struct arena *a, Planreg__V1__AddIndicatorRequest *body)
{
	int ch = 0, rc = EXIT_OK;
	while (rc == EXIT_OK && (ch = cli_getopt_next(g)) > 0) {
		char **field = ch == 'n'   ? &body->name
			       : ch == 'u' ? &body->unit
			       : ch == 'b' ? &body->baseline_value
			       : ch == 'B' ? &body->baseline_date
			       : ch == 't' ? &body->target_value
			       : ch == 'T' ? &body->target_date
			       : ch == 'r' ? &body->responsible
			       : ch == 'w' ? &body->rationale
					   : NULL;
		if (field)
			*field = optarg;
		else if (ch == 'P')
			rc = cmd_indicator_period_target(g->self, a, body, optarg);
	}
	return ch < 0 ? -1 : rc;
}

static int cmd_indicator_add_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	struct arena a = {0};
	Planreg__V1__AddIndicatorRequest body = PLANREG__V1__ADD_INDICATOR_REQUEST__INIT;
	cli_getopt_begin(&g, self, argc, argv);
	int rc = cmd_indicator_add_options(&g, &a, &body);
	if (rc < 0) {
		arena_free(&a);
		return g.rc;
	}
	if (rc == EXIT_OK)
		rc = cmd_indicator_ref(self, "PROJECT", g.args[0], &body.ref);
	static const char *const need[] = {"name", "unit", "baseline", "baseline-date", "target", "target-date"};
	char *const given[] = {body.name,          body.unit,         body.baseline_value,
			       body.baseline_date, body.target_value, body.target_date};
	for (size_t i = 0; rc == EXIT_OK && i < sizeof need / sizeof need[0]; i++)
		if (given[i][0] == '\0')
			rc = cli_usage(self, "--%s is required", need[i]);
	Planreg__V1__Response *resp = NULL;
	if (rc == EXIT_OK)
		rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_ADD_INDICATOR, &body, &resp);
	const Planreg__V1__AddIndicatorResponse *r = resp ? resp->add_indicator : NULL;
	if (rc == EXIT_OK && r && r->indicator)
		printf("added indicator %lld to project %d: %s, %s %s -> %s by %s\n", (long long)r->indicator->id,
		       r->indicator->ref, r->indicator->name, r->indicator->unit, r->indicator->baseline_value,
		       r->indicator->target_value, r->indicator->target_date);
	else if (rc == EXIT_OK && r && r->change)
		printf("proposed as change request %lld (project %d, kind scope): it becomes an indicator when the "
		       "Combined Authority approves it (`planreg change show %lld`)\n",
		       (long long)r->change->id, r->change->ref, (long long)r->change->id);
	else if (rc == EXIT_OK)
		rc = cli_fail(EXIT_REFUSED, "the server's answer has neither an indicator nor a change request");
	if (resp)
		planreg__v1__response__free_unpacked(resp, NULL);
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- the commands */

static const struct cli_option cmd_indicator_add_options_table[] = {
	{.name = "name",
	 .key = 'n',
	 .arg = "TEXT",
	 .help = "what is measured (unique in the project)",
	 .required = true},
	{.name = "unit", .key = 'u', .arg = "TEXT", .help = "its unit (homes, tonnes CO2e, %)", .required = true},
	{.name = "baseline", .key = 'b', .arg = "N", .help = "the value before the project", .required = true},
	{.name = "baseline-date", .key = 'B', .arg = "DATE", .help = "when it was that (YYYY-MM-DD)", .required = true},
	{.name = "target", .key = 't', .arg = "N", .help = "the value the project is to reach", .required = true},
	{.name = "target-date", .key = 'T', .arg = "DATE", .help = "by when (YYYY-MM-DD)", .required = true},
	{.name = "period-target",
	 .key = 'P',
	 .arg = "PERIOD=N",
	 .help = "the value planned for a quarter (2026-Q3=40); repeat for more",
	 .repeatable = true},
	{.name = "responsible",
	 .key = 'r',
	 .arg = "MAILBOX",
	 .help = "who answers for it: \"Name <name@example.org>\""},
	{.name = "rationale", .key = 'w', .arg = "TEXT", .help = "a proposal's reason (a submitter's)"},
	{0},
};

const struct cli_command cmd_indicator_add = {
	.noun = "indicator",
	.verb = "add",
	.args = "PROJECT",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one project reference",
	.options = cmd_indicator_add_options_table,
	.summary = "define an indicator of a project (admin), or propose one (a lead body's submitter)",
	.help = cmd_indicator_help,
	.run = cmd_indicator_add_run,
};

static const struct cli_option cmd_indicator_list_options[] = {
	{.name = "project", .key = 'p', .arg = "REF", .help = "only project REF's indicators"},
	{0},
};

const struct cli_command cmd_indicator_list = {
	.noun = "indicator",
	.verb = "list",
	.options = cmd_indicator_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "list projects' indicators",
	.help = cmd_indicator_help,
	.run = cmd_indicator_list_run,
};

const struct cli_command cmd_indicator_show = {
	.noun = "indicator",
	.verb = "show",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one indicator id",
	.formats = CLI_FMT_RECORD,
	.summary = "show one indicator",
	.help = cmd_indicator_help,
	.run = cmd_indicator_show_run,
};
