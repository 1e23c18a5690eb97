/* cmd_status_views.c - `planreg status outstanding|timeliness|diff`: the returns
 * still owed by organisation, on-time reporting per quarter, and what changed
 * between two quarters, with the keys of docs/json.md. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli_options.h"
#include "cmd_status.h"

static const char cmd_status_outstanding_help[] =
	"The returns still owed for a quarter, by organisation: its contact, the due\n"
	"date, days late (blank, null in JSON, until the due date has passed) and each\n"
	"outstanding project with why (never reported, or returned with the reviewer's\n"
	"comment). A co-led project is listed under each lead and counted once.\n";

static const char cmd_status_timeliness_help[] =
	"For each organisation and quarter: on_time, late (by N days), missing, or\n"
	"not_due yet. A return arrives when the last of the organisation's projects\n"
	"is first reported; a later revision does not make it late.\n";

static const char cmd_status_diff_help[] =
	"What changed for each project between quarter P1 and quarter P2 (each side's\n"
	"latest revision): delivery confidence up or down, stage, forecast (amount and\n"
	"percent), milestones newly achieved or slipped, and projects newly outstanding.\n"
	"Projects where nothing changed are left out.\n";

/* ---------------------------------------------------------------- status outstanding */

static const char *const cmd_status_outstanding_keys[] = {"organisation", "name",     "contact_email",  "due",
							  "days_late",    "projects", "returned",       "reasons",
							  "sro",          "assigned", "overdue_queries"};

/* Does org lead the project of q? */
static bool cmd_status_query_of(const Planreg__V1__Query *q, const char *org)
{
	for (size_t i = 0; i < q->n_lead_orgs; i++)
		if (strcmp(q->lead_orgs[i], org) == 0)
			return true;
	return false;
}

/* The CA's queries waiting for org's answer past their dates, one "ID: REF PERIOD SECTION, answer by DATE" each. */
static void cmd_status_overdue_queries(struct output_rows *r, const Planreg__V1__ListOutstandingResponse *o,
				       const char *org)
{
	struct arena a = {0};
	char **lines = arena_alloc(&a, (o->n_overdue_queries + 1) * sizeof *lines);
	size_t n = 0;
	for (size_t i = 0; i < o->n_overdue_queries; i++) {
		const Planreg__V1__Query *q = o->overdue_queries[i];
		if (cmd_status_query_of(q, org))
			lines[n++] = arena_printf(&a, "%lld: %d %s %s, answer by %s", (long long)q->id, q->ref,
						  cli_period_name(q->period), q->section, q->answer_by);
	}
	output_rows_list(r, "overdue_queries", lines, n, "\n");
	arena_free(&a);
}

/* One organisation's row: its projects, those returned, and why each is outstanding. */
static void cmd_status_outstanding_row(struct output_rows *r, const Planreg__V1__OutstandingOrganisation *org)
{
	struct arena a = {0};
	size_t n = org->n_projects, n_returned = 0, n_assigned = 0;
	char **refs = arena_alloc(&a, (n + 1) * sizeof *refs), **returned = arena_alloc(&a, (n + 1) * sizeof *refs),
	     **reasons = arena_alloc(&a, (n + 1) * sizeof *refs), **assigned = arena_alloc(&a, (n + 1) * sizeof *refs);
	for (size_t k = 0; k < n; k++) {
		const Planreg__V1__OutstandingProject *pr = org->projects[k];
		refs[k] = arena_printf(&a, "%d", pr->ref);
		if (pr->assignee_id)
			assigned[n_assigned++] = arena_printf(&a, "%d: %s (person %lld)", pr->ref, pr->assignee,
							      (long long)pr->assignee_id);
		if (strcmp(pr->why, "returned") == 0) {
			returned[n_returned++] = refs[k];
			reasons[k] = arena_printf(&a, "%d: returned (update %lld): %s", pr->ref,
						  (long long)pr->update_id, pr->review_comment);
		} else {
			reasons[k] = arena_printf(&a, "%d: never reported", pr->ref);
		}
	}
	output_rows_begin(r);
	output_rows_str(r, "organisation", org->code);
	output_rows_str(r, "name", org->name[0] ? org->name : NULL);
	output_rows_str(r, "contact_email", org->contact_email[0] ? org->contact_email : NULL);
	output_rows_str(r, "due", org->due);
	if (org->days_late > 0)
		output_rows_int(r, "days_late", org->days_late);
	else
		output_rows_null(r, "days_late"); /* not due yet: never "0 days late" */
	output_rows_list(r, "projects", refs, n, ";");
	output_rows_list(r, "returned", returned, n_returned, ";");
	output_rows_list(r, "reasons", reasons, n, "\n");
	output_rows_str(r, "sro", org->sro[0] ? org->sro : NULL);
	output_rows_list(r, "assigned", assigned, n_assigned, "\n");
	arena_free(&a);
}

/* Whether an organisation's row comes before: the lead body of a query past its date may owe no return. */
static bool cmd_status_org_listed(const Planreg__V1__ListOutstandingResponse *o, size_t before_query, const char *org)
{
	for (size_t i = 0; i < o->n_organisations; i++)
		if (strcmp(o->organisations[i]->code, org) == 0)
			return true;
	for (size_t i = 0; i < before_query; i++)
		if (cmd_status_query_of(o->overdue_queries[i], org))
			return true;
	return false;
}

static void cmd_status_outstanding_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const Planreg__V1__ListOutstandingResponse *o = answer;
	for (size_t i = 0; i < o->n_organisations; i++) {
		cmd_status_outstanding_row(r, o->organisations[i]);
		cmd_status_overdue_queries(r, o, o->organisations[i]->code);
	}
	/* an organisation that owes no return but answers to a query past its date: a row of its queries */
	for (size_t i = 0; i < o->n_overdue_queries; i++)
		for (size_t k = 0; k < o->overdue_queries[i]->n_lead_orgs; k++) {
			const char *code = o->overdue_queries[i]->lead_orgs[k];
			if (cmd_status_org_listed(o, i, code))
				continue;
			Planreg__V1__OutstandingOrganisation org = PLANREG__V1__OUTSTANDING_ORGANISATION__INIT;
			org.code = (char *)code;
			org.due = o->due;
			cmd_status_outstanding_row(r, &org);
			cmd_status_overdue_queries(r, o, code);
		}
}

/* The queries past their answer-by dates, after the outstanding returns' headline. */
static void cmd_status_overdue_print(const Planreg__V1__ListOutstandingResponse *o)
{
	if (o->n_overdue_queries == 0)
		return;
	struct arena a = {0};
	printf("Queries past their answer-by date, waiting for the lead body: %zu\n", o->n_overdue_queries);
	for (size_t i = 0; i < o->n_overdue_queries; i++) {
		const Planreg__V1__Query *q = o->overdue_queries[i];
		printf("  query %lld: project %d, %s, %s, answer by %s (%s): %s\n", (long long)q->id, q->ref,
		       cli_period_name(q->period), q->section, q->answer_by,
		       output_join(&a, q->lead_orgs, q->n_lead_orgs, ", "), q->comment);
	}
	putchar('\n');
	arena_free(&a);
}

/* "6" days late, or why there is no number yet (in a). */
static const char *cmd_status_days_late(struct arena *a, const Planreg__V1__ListOutstandingResponse *o,
					const Planreg__V1__OutstandingOrganisation *org)
{
	if (org->days_late > 0)
		return arena_printf(a, "%d", org->days_late);
	return strcmp(o->as_of, o->due) == 0 ? "due today" : "not due yet";
}

/* A headline, then a line per outstanding project, its organisation named on the first. */
static struct output_table *cmd_status_outstanding_table(const void *answer, const void *arg)
{
	const Planreg__V1__ListOutstandingResponse *o = answer;
	const char *period = arg;
	int n = o->projects;
	char due[96];
	cmd_status_due_words(period, o->due, due);
	printf("Outstanding returns for %s, due %s, as of %s: %d project%s, %zu organisation%s\n",
	       cli_period_heading(period), due, o->as_of, n, n == 1 ? "" : "s", o->n_organisations,
	       o->n_organisations == 1 ? "" : "s");
	printf("(a co-led project is listed under each lead and counted once; days late count from the due date)\n\n");
	cmd_status_overdue_print(o);
	static const char *const headers[] = {"ORG", "DAYS LATE", "CONTACT", "REF", "WHY", "TITLE"};
	struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), (1u << 4) | (1u << 5));
	struct arena a = {0};
	for (size_t i = 0; i < o->n_organisations; i++) {
		const Planreg__V1__OutstandingOrganisation *org = o->organisations[i];
		const char *late = cmd_status_days_late(&a, o, org);
		const char *contact = org->contact_email[0] ? org->contact_email : "(none)";
		for (size_t k = 0; k < org->n_projects; k++) {
			const Planreg__V1__OutstandingProject *pr = org->projects[k];
			const char *why = strcmp(pr->why, "returned") == 0
						  ? arena_printf(&a, "returned: %s", pr->review_comment)
						  : "never reported";
			if (pr->assignee_id)
				why = arena_printf(&a, "%s (assigned to %s)", why, pr->assignee);
			const char *cells[] = {k ? "" : org->code,
					       k ? "" : late,
					       k ? "" : contact,
					       arena_printf(&a, "%d", pr->ref),
					       why,
					       pr->title};
			output_table_row(tab, cells);
		}
	}
	arena_free(&a);
	return tab;
}

CLI_LISTING_OF(cmd_status_outstanding);

static int cmd_status_outstanding_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	Planreg__V1__ListOutstandingRequest body = PLANREG__V1__LIST_OUTSTANDING_REQUEST__INIT;
	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	const char *period = NULL;
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0) {
		if (ch == CLI_KEY_PERIOD) {
			period = optarg;
		} else if (ch == CLI_KEY_PLAN) {
			body.plan = optarg;
		} else if (cli_options_date(self, "--as-of", optarg) != EXIT_OK) {
			return EXIT_USAGE;
		} else {
			as_of.iso = optarg;
			body.as_of = &as_of;
		}
	}
	if (ch < 0)
		return g.rc;
	char ps[PERIOD_FMT_MAX];
	if (cmd_status_period(self, "--period", period, NULL, ps) != EXIT_OK)
		return EXIT_USAGE;
	body.period = ps;
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING, &body,
				   &cmd_status_outstanding_listing, ps, g.format);
}

/* ---------------------------------------------------------------- status timeliness */

static const char *const cmd_status_timeliness_keys[] = {"organisation", "name",     "period",   "due",        "status",
							 "days_late",    "projects", "reported", "returned_at"};

/* A row per organisation and period. */
static void cmd_status_timeliness_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const Planreg__V1__GetTimelinessResponse *g = answer;
	for (size_t i = 0; i < g->n_organisations; i++) {
		const Planreg__V1__TimelinessRow *row = g->organisations[i];
		for (size_t k = 0; k < row->n_periods; k++) {
			const Planreg__V1__TimelinessCell *c = row->periods[k];
			output_rows_begin(r);
			output_rows_str(r, "organisation", row->organisation);
			output_rows_str(r, "name", row->name);
			output_rows_str(r, "period", cli_period_name(c->period));
			output_rows_str(r, "due", c->due);
			output_rows_str(r, "status", c->status);
			if (strcmp(c->status, "on_time") == 0 || strcmp(c->status, "late") == 0)
				output_rows_int(r, "days_late", c->days_late);
			else
				output_rows_null(r, "days_late"); /* not arrived: no days late to count */
			output_rows_int(r, "projects", c->projects);
			output_rows_int(r, "reported", c->reported);
			output_rows_str(r, "returned_at", c->returned_at[0] ? c->returned_at : NULL);
		}
	}
}

/* One cell of the matrix, in words: "on time", "late 3d", "missing 2/5", "not due", "-" (in a). */
static const char *cmd_status_timeliness_cell(struct arena *a, const Planreg__V1__TimelinessCell *c)
{
	if (c == NULL)
		return "-";
	if (strcmp(c->status, "late") == 0)
		return arena_printf(a, "late %dd", c->days_late);
	if (strcmp(c->status, "missing") == 0)
		return arena_printf(a, "missing %d/%d", c->projects - c->reported, c->projects);
	return strcmp(c->status, "on_time") == 0 ? "on time" : "not due";
}

/* A matrix: one row per organisation, one column per period. */
static struct output_table *cmd_status_timeliness_table(const void *answer, const void *arg)
{
	const Planreg__V1__GetTimelinessResponse *g = answer;
	struct arena a = {0};
	size_t ncols = 2 + g->n_periods;
	const char **headers = arena_alloc(&a, ncols * sizeof *headers);
	if (g->n_periods > 0)
		printf("Returns by organisation, %s to %s\n\n", cli_period_heading(g->periods[0]),
		       cli_period_heading(g->periods[g->n_periods - 1]));
	headers[0] = "ORG";
	for (size_t k = 0; k < g->n_periods; k++)
		headers[1 + k] = arena_strdup(&a, cli_period_name(g->periods[k]));
	headers[ncols - 1] = "NAME";
	struct output_table *tab = output_table_new(headers, ncols, 1u << (ncols - 1));
	for (size_t i = 0; i < g->n_organisations; i++) {
		const Planreg__V1__TimelinessRow *row = g->organisations[i];
		const char **cells = arena_alloc(&a, ncols * sizeof *cells);
		cells[0] = row->organisation;
		for (size_t k = 0; k < g->n_periods; k++)
			cells[1 + k] = cmd_status_timeliness_cell(&a, k < row->n_periods ? row->periods[k] : NULL);
		cells[ncols - 1] = row->name;
		output_table_row(tab, cells);
	}
	arena_free(&a);
	return tab;
}

CLI_LISTING_OF(cmd_status_timeliness);

static int cmd_status_timeliness_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt opt;
	if (cli_getopt_all(&opt, self, argc, argv) < 0)
		return opt.rc;
	const char *from = cli_getopt_value(&opt, CLI_KEY_FROM), *to = cli_getopt_value(&opt, CLI_KEY_TO);
	struct period pt, pf;
	char ts[PERIOD_FMT_MAX], fs[PERIOD_FMT_MAX];
	int rc = cmd_status_period(self, "--to", to, &pt, ts);
	if (rc != EXIT_OK)
		return rc;
	if (from == NULL) {
		pf = period_prev(period_prev(period_prev(pt)));
		period_format(pf, fs);
	} else if ((rc = cmd_status_period(self, "--from", from, &pf, fs)) != EXIT_OK) {
		return rc;
	}
	Planreg__V1__GetTimelinessRequest body = PLANREG__V1__GET_TIMELINESS_REQUEST__INIT;
	body.from_period = fs;
	body.to_period = ts;
	body.plan = (char *)(cli_getopt_value(&opt, CLI_KEY_PLAN) ? cli_getopt_value(&opt, CLI_KEY_PLAN) : "");
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_GET_TIMELINESS, &body,
				   &cmd_status_timeliness_listing, NULL, opt.format);
}

/* ---------------------------------------------------------------- status diff */

static const char *const cmd_status_diff_keys[] = {"ref",
						   "title",
						   "confidence_from",
						   "confidence_to",
						   "confidence_change",
						   "stage_from",
						   "stage_to",
						   "forecast_from_pence",
						   "forecast_to_pence",
						   "forecast_change_pence",
						   "forecast_change_pct",
						   "milestones_achieved",
						   "milestones_slipped",
						   "outstanding_from",
						   "outstanding_to",
						   "newly_outstanding",
						   "assurance_from",
						   "assurance_to",
						   "indicators_moved"};

static void cmd_status_diff_row(struct output_rows *r, const Planreg__V1__ProjectDiff *p)
{
	output_rows_begin(r);
	output_rows_int(r, "ref", p->ref);
	output_rows_str(r, "title", p->title);
	output_rows_str(r, "confidence_from", cmd_status_confidence(p->confidence_from));
	output_rows_str(r, "confidence_to", cmd_status_confidence(p->confidence_to));
	output_rows_str(r, "confidence_change", p->confidence_change[0] ? p->confidence_change : NULL);
	output_rows_str(r, "stage_from", cmd_status_stage(p->stage_from));
	output_rows_str(r, "stage_to", cmd_status_stage(p->stage_to));
	cli_money_row(r, "forecast_from_pence", p->forecast_from);
	cli_money_row(r, "forecast_to_pence", p->forecast_to);
	cli_money_row(r, "forecast_change_pence", p->forecast_change);
	cmd_status_pct_row(r, "forecast_change_pct", p->forecast_change_pct);
	output_rows_list(r, "milestones_achieved", p->milestones_achieved, p->n_milestones_achieved, "\n");
	output_rows_list(r, "milestones_slipped", p->milestones_slipped, p->n_milestones_slipped, "\n");
	output_rows_bool(r, "outstanding_from", p->outstanding_from);
	output_rows_bool(r, "outstanding_to", p->outstanding_to);
	output_rows_bool(r, "newly_outstanding", p->newly_outstanding);
	output_rows_str(r, "assurance_from", cmd_status_confidence(p->assurance_from));
	output_rows_str(r, "assurance_to", cmd_status_confidence(p->assurance_to));
	output_rows_list(r, "indicators_moved", p->indicators_moved, p->n_indicators_moved, "\n");
}

static void cmd_status_diff_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const Planreg__V1__DiffPeriodsResponse *d = answer;
	for (size_t i = 0; i < d->n_projects; i++)
		cmd_status_diff_row(r, d->projects[i]);
}

/* "A -> B", with "-" for a side that has none. */
static const char *cmd_status_diff_change(struct arena *a, const char *from, const char *to)
{
	return arena_printf(a, "%s -> %s", from ? from : "-", to ? to : "-");
}

/* The table row of one project's changes (strings in a). */
static void cmd_status_diff_table_row(struct output_table *tab, struct arena *a, const Planreg__V1__ProjectDiff *p)
{
	char from[MONEY_FMT_MAX], to[MONEY_FMT_MAX];
	const char *conf = arena_printf(a, "%s%s%s",
					cmd_status_diff_change(a, cmd_status_confidence(p->confidence_from),
							       cmd_status_confidence(p->confidence_to)),
					p->confidence_change[0] ? " " : "", p->confidence_change);
	if (p->assurance_from || p->assurance_to) /* the CA's beside the body's */
		conf = arena_printf(a, "%s; CA %s", conf,
				    cmd_status_diff_change(a, cmd_status_confidence(p->assurance_from),
							   cmd_status_confidence(p->assurance_to)));
	const char *forecast = cmd_status_diff_change(a, cmd_status_money(p->forecast_from, from),
						      cmd_status_money(p->forecast_to, to));
	if (p->forecast_change_pct)
		forecast = arena_printf(a, "%s (%+.1f%%)", forecast, p->forecast_change_pct->tenths / 10.0);
	struct buf ms = {0};
	for (size_t k = 0; k < p->n_milestones_achieved; k++)
		buf_printf(&ms, "%sachieved: %s", ms.len ? "; " : "", p->milestones_achieved[k]);
	for (size_t k = 0; k < p->n_milestones_slipped; k++)
		buf_printf(&ms, "%sslipped: %s", ms.len ? "; " : "", p->milestones_slipped[k]);
	for (size_t k = 0; k < p->n_indicators_moved; k++)
		buf_printf(&ms, "%sindicator %s", ms.len ? "; " : "", p->indicators_moved[k]);
	const char *cells[] = {
		arena_printf(a, "%d", p->ref),
		conf,
		cmd_status_diff_change(a, cmd_status_stage(p->stage_from), cmd_status_stage(p->stage_to)),
		forecast,
		ms.len ? buf_str(&ms) : "-",
		p->newly_outstanding  ? "newly"
		: p->outstanding_to   ? "still"
		: p->outstanding_from ? "no longer"
				      : "-",
		p->title};
	output_table_row(tab, cells);
	buf_free(&ms);
}

static struct output_table *cmd_status_diff_table(const void *answer, const void *arg)
{
	const Planreg__V1__DiffPeriodsResponse *d = answer;
	const char *const *periods = arg;
	size_t n = d->n_projects;
	printf("Changes from %s to %s: %zu project%s\n\n", cli_period_heading(periods[0]),
	       cli_period_heading(periods[1]), n, n == 1 ? "" : "s");
	static const char *const headers[] = {
		"REF", "CONFIDENCE", "STAGE", "FORECAST", "MILESTONES, INDICATORS", "OUTSTANDING", "TITLE"};
	struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), (1u << 4) | (1u << 6));
	struct arena a = {0};
	for (size_t i = 0; i < n; i++)
		cmd_status_diff_table_row(tab, &a, d->projects[i]);
	arena_free(&a);
	return tab;
}

CLI_LISTING_OF(cmd_status_diff);

static int cmd_status_diff_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	char s1[PERIOD_FMT_MAX], s2[PERIOD_FMT_MAX];
	if (cmd_status_period(self, "P1", g.args[0], NULL, s1) != EXIT_OK ||
	    cmd_status_period(self, "P2", g.args[1], NULL, s2) != EXIT_OK)
		return EXIT_USAGE;
	Planreg__V1__DiffPeriodsRequest body = PLANREG__V1__DIFF_PERIODS_REQUEST__INIT;
	body.from_period = s1;
	body.to_period = s2;
	body.plan = (char *)(cli_getopt_value(&g, CLI_KEY_PLAN) ? cli_getopt_value(&g, CLI_KEY_PLAN) : "");
	const char *const periods[] = {s1, s2};
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_DIFF_PERIODS, &body, &cmd_status_diff_listing,
				   periods, g.format);
}

static const struct cli_option cmd_status_outstanding_options[] = {
	{CLI_OPTION_PERIOD, .when_absent = "the last quarter that has ended"},
	{CLI_OPTION_AS_OF},
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_status_outstanding = {
	.noun = "status",
	.verb = "outstanding",
	.options = cmd_status_outstanding_options,
	.formats = CLI_FMT_LISTING,
	.summary = "the returns still owed for a quarter, by organisation, with days late",
	.help = cmd_status_outstanding_help,
	.run = cmd_status_outstanding_run,
};

static const struct cli_option cmd_status_timeliness_options[] = {
	{CLI_OPTION_FROM, .when_absent = "three quarters before --to"},
	{CLI_OPTION_TO, .when_absent = "the last quarter that has ended"},
	{CLI_OPTION_PLAN},
	{0},
};

static const struct cli_option cmd_status_diff_options[] = {
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_status_timeliness = {
	.noun = "status",
	.verb = "timeliness",
	.options = cmd_status_timeliness_options,
	.formats = CLI_FMT_LISTING,
	.summary = "on time, late or missing, per organisation and quarter",
	.help = cmd_status_timeliness_help,
	.run = cmd_status_timeliness_run,
};

const struct cli_command cmd_status_diff = {
	.noun = "status",
	.verb = "diff",
	.args = "P1 P2",
	.min_args = 2,
	.max_args = 2,
	.args_what = "two periods, P1 and P2",
	.options = cmd_status_diff_options,
	.formats = CLI_FMT_LISTING,
	.summary = "what changed for each project between two quarters",
	.help = cmd_status_diff_help,
	.run = cmd_status_diff_run,
};
