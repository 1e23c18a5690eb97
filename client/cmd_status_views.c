/* cmd_status_views.c - `planreg status outstanding|timeliness|diff`: the returns
 * still owed by organisation, on-time reporting per quarter, and what changed
 * between two quarters, with the keys of docs/json.md. */
#include <stdlib.h>
#include <string.h>

#include "cmd_status.h"
#include "json.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_status_outstanding_help[] =
	"The returns still owed for a quarter, by organisation: its contact, the due\n"
	"date, days late (0 until the due date has passed) and each outstanding project\n"
	"with why (never reported, or returned with the reviewer's comment).\n";

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

static const char *const cmd_status_outstanding_keys[] = {"organisation", "name",     "contact_email", "due",
							  "days_late",    "projects", "returned",      "reasons"};

static int cmd_status_outstanding_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const struct cli_command *cmd = self;
	Planreg__V1__ListOutstandingRequest body = PLANREG__V1__LIST_OUTSTANDING_REQUEST__INIT;
	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	const char *period = NULL;
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0) {
		struct date d;
		if (ch == 'p') {
			period = optarg;
		} else if (!date_parse(optarg, &d)) {
			return cli_usage(cmd, "--as-of \"%s\" is not a date: write YYYY-MM-DD", optarg);
		} else {
			as_of.iso = optarg;
			body.as_of = &as_of;
		}
	}
	if (ch < 0)
		return g.rc;
	enum output_format fmt = g.format;
	struct period p;
	char ps[PERIOD_FMT_MAX];
	int rc = cmd_status_period(cmd, "--period", period, &p, ps);
	if (rc != EXIT_OK)
		return rc;
	body.period = ps;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListOutstandingResponse *o = resp->list_outstanding;
	struct output_rows *r = output_rows_new();
	for (size_t i = 0; o && i < o->n_organisations; i++) {
		const Planreg__V1__OutstandingOrganisation *org = o->organisations[i];
		char **refs = xcalloc(org->n_projects + 1, sizeof *refs),
		     **returned = xcalloc(org->n_projects + 1, sizeof *returned),
		     **reasons = xcalloc(org->n_projects + 1, sizeof *reasons);
		size_t n_returned = 0;
		for (size_t k = 0; k < org->n_projects; k++) {
			const Planreg__V1__OutstandingProject *pr = org->projects[k];
			refs[k] = xasprintf("%d", pr->ref);
			if (strcmp(pr->why, "returned") == 0) {
				returned[n_returned++] = xasprintf("%d", pr->ref);
				reasons[k] = xasprintf("%d: returned (update %lld): %s", pr->ref,
						       (long long)pr->update_id, pr->review_comment);
			} else {
				reasons[k] = xasprintf("%d: never reported", pr->ref);
			}
		}
		output_rows_begin(r);
		output_rows_str(r, "organisation", org->code);
		output_rows_str(r, "name", org->name);
		output_rows_str(r, "contact_email", org->contact_email[0] ? org->contact_email : NULL);
		output_rows_str(r, "due", org->due);
		output_rows_int(r, "days_late", org->days_late);
		output_rows_list(r, "projects", refs, org->n_projects, ";");
		output_rows_list(r, "returned", returned, n_returned, ";");
		output_rows_list(r, "reasons", reasons, org->n_projects, "\n");
		for (size_t k = 0; k < org->n_projects; k++) {
			free(refs[k]);
			free(reasons[k]);
		}
		for (size_t k = 0; k < n_returned; k++)
			free(returned[k]);
		free(refs);
		free(returned);
		free(reasons);
	}
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		output_rows_json(r, cli_json_begin(&doc));
		cli_json_end(&doc);
	} else if (fmt == OUTPUT_CSV) {
		output_rows_csv(r, cmd_status_outstanding_keys, CMD_STATUS_N(cmd_status_outstanding_keys), false,
				stdout);
	} else {
		size_t n_projects = 0;
		for (size_t i = 0; o && i < o->n_organisations; i++)
			n_projects += o->organisations[i]->n_projects;
		printf("Outstanding returns for %s (due %s), as of %s: %zu project%s, %zu organisation%s\n\n", ps,
		       o ? o->due : "-", o ? o->as_of : "-", n_projects, n_projects == 1 ? "" : "s",
		       o ? o->n_organisations : 0, o && o->n_organisations == 1 ? "" : "s");
		static const char *const headers[] = {"ORG", "DAYS LATE", "CONTACT", "REF", "WHY", "TITLE"};
		struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), (1u << 4) | (1u << 5));
		for (size_t i = 0; o && i < o->n_organisations; i++) {
			const Planreg__V1__OutstandingOrganisation *org = o->organisations[i];
			char late[16];
			snprintf(late, sizeof late, "%d", org->days_late);
			for (size_t k = 0; k < org->n_projects; k++) {
				const Planreg__V1__OutstandingProject *pr = org->projects[k];
				char ref[16];
				snprintf(ref, sizeof ref, "%d", pr->ref);
				char *why = strcmp(pr->why, "returned") == 0
						    ? xasprintf("returned: %s", pr->review_comment)
						    : xstrdup("never reported");
				const char *cells[] = {k ? "" : org->code,
						       k ? "" : late,
						       k ? "" : (org->contact_email[0] ? org->contact_email : "(none)"),
						       ref,
						       why,
						       pr->title};
				output_table_row(tab, cells);
				free(why);
			}
		}
		output_table_print(tab, OUTPUT_TABLE, stdout);
		output_table_free(tab);
	}
	output_rows_free(r);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- status timeliness */

static const char *const cmd_status_timeliness_keys[] = {"organisation", "name",     "period",   "due",        "status",
							 "days_late",    "projects", "reported", "returned_at"};

static int cmd_status_timeliness_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const struct cli_command *cmd = self;
	const char *from = NULL, *to = NULL;
	struct cli_getopt opt;
	int ch;
	cli_getopt_begin(&opt, self, argc, argv);
	while ((ch = cli_getopt_next(&opt)) > 0) {
		if (ch == 'F')
			from = optarg;
		else
			to = optarg;
	}
	if (ch < 0)
		return opt.rc;
	enum output_format fmt = opt.format;
	struct period pt, pf;
	char ts[PERIOD_FMT_MAX], fs[PERIOD_FMT_MAX];
	int rc = cmd_status_period(cmd, "--to", to, &pt, ts);
	if (rc != EXIT_OK)
		return rc;
	if (from == NULL) {
		pf = period_prev(period_prev(period_prev(pt)));
		period_format(pf, fs);
	} else if ((rc = cmd_status_period(cmd, "--from", from, &pf, fs)) != EXIT_OK) {
		return rc;
	}
	Planreg__V1__GetTimelinessRequest body = PLANREG__V1__GET_TIMELINESS_REQUEST__INIT;
	body.from_period = fs;
	body.to_period = ts;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_TIMELINESS, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__GetTimelinessResponse *g = resp->get_timeliness;
	size_t n_orgs = g ? g->n_organisations : 0;
	if (fmt == OUTPUT_TABLE) {
		/* a matrix: one row per organisation, one column per period */
		size_t ncols = 2 + (g ? g->n_periods : 0);
		const char **headers = xcalloc(ncols, sizeof *headers);
		headers[0] = "ORG";
		for (size_t k = 0; g && k < g->n_periods; k++)
			headers[1 + k] = g->periods[k];
		headers[ncols - 1] = "NAME";
		struct output_table *tab = output_table_new(headers, ncols, 1u << (ncols - 1));
		for (size_t i = 0; i < n_orgs; i++) {
			const Planreg__V1__TimelinessRow *row = g->organisations[i];
			char **cells = xcalloc(ncols, sizeof *cells);
			cells[0] = xstrdup(row->organisation);
			for (size_t k = 0; k < g->n_periods; k++) {
				const Planreg__V1__TimelinessCell *c = k < row->n_periods ? row->periods[k] : NULL;
				if (c == NULL)
					cells[1 + k] = xstrdup("-");
				else if (strcmp(c->status, "late") == 0)
					cells[1 + k] = xasprintf("late %dd", c->days_late);
				else if (strcmp(c->status, "missing") == 0)
					cells[1 + k] =
						xasprintf("missing %d/%d", c->projects - c->reported, c->projects);
				else
					cells[1 + k] =
						xstrdup(strcmp(c->status, "on_time") == 0 ? "on time" : "not due");
			}
			cells[ncols - 1] = xstrdup(row->name);
			output_table_row(tab, (const char *const *)cells);
			for (size_t k = 0; k < ncols; k++)
				free(cells[k]);
			free(cells);
		}
		output_table_print(tab, OUTPUT_TABLE, stdout);
		output_table_free(tab);
		free(headers);
	} else {
		struct output_rows *r = output_rows_new();
		for (size_t i = 0; i < n_orgs; i++) {
			const Planreg__V1__TimelinessRow *row = g->organisations[i];
			for (size_t k = 0; k < row->n_periods; k++) {
				const Planreg__V1__TimelinessCell *c = row->periods[k];
				output_rows_begin(r);
				output_rows_str(r, "organisation", row->organisation);
				output_rows_str(r, "name", row->name);
				output_rows_str(r, "period", c->period);
				output_rows_str(r, "due", c->due);
				output_rows_str(r, "status", c->status);
				output_rows_int(r, "days_late", c->days_late);
				output_rows_int(r, "projects", c->projects);
				output_rows_int(r, "reported", c->reported);
				output_rows_str(r, "returned_at", c->returned_at[0] ? c->returned_at : NULL);
			}
		}
		if (fmt == OUTPUT_JSON) {
			struct cli_json doc;
			output_rows_json(r, cli_json_begin(&doc));
			cli_json_end(&doc);
		} else {
			output_rows_csv(r, cmd_status_timeliness_keys, CMD_STATUS_N(cmd_status_timeliness_keys), false,
					stdout);
		}
		output_rows_free(r);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
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
						   "newly_outstanding"};

static int cmd_status_diff_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const struct cli_command *cmd = self;
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	enum output_format fmt = g.format;
	struct period p1, p2;
	char s1[PERIOD_FMT_MAX], s2[PERIOD_FMT_MAX];
	int rc;
	if ((rc = cmd_status_period(cmd, "P1", g.args[0], &p1, s1)) != EXIT_OK ||
	    (rc = cmd_status_period(cmd, "P2", g.args[1], &p2, s2)) != EXIT_OK)
		return rc;
	Planreg__V1__DiffPeriodsRequest body = PLANREG__V1__DIFF_PERIODS_REQUEST__INIT;
	body.from_period = s1;
	body.to_period = s2;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_DIFF_PERIODS, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__DiffPeriodsResponse *d = resp->diff_periods;
	size_t n = d ? d->n_projects : 0;
	struct output_rows *r = output_rows_new();
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__ProjectDiff *p = d->projects[i];
		output_rows_begin(r);
		output_rows_int(r, "ref", p->ref);
		output_rows_str(r, "title", p->title);
		output_rows_str(r, "confidence_from", cmd_status_confidence(p->confidence_from));
		output_rows_str(r, "confidence_to", cmd_status_confidence(p->confidence_to));
		output_rows_str(r, "confidence_change", p->confidence_change[0] ? p->confidence_change : NULL);
		output_rows_str(r, "stage_from", cmd_status_stage(p->stage_from));
		output_rows_str(r, "stage_to", cmd_status_stage(p->stage_to));
		cmd_status_money_key(r, "forecast_from_pence", p->forecast_from);
		cmd_status_money_key(r, "forecast_to_pence", p->forecast_to);
		cmd_status_money_key(r, "forecast_change_pence", p->forecast_change);
		if (p->forecast_change_pct)
			output_rows_tenths(r, "forecast_change_pct", p->forecast_change_pct->tenths);
		else
			output_rows_null(r, "forecast_change_pct");
		output_rows_list(r, "milestones_achieved", p->milestones_achieved, p->n_milestones_achieved, "\n");
		output_rows_list(r, "milestones_slipped", p->milestones_slipped, p->n_milestones_slipped, "\n");
		output_rows_bool(r, "outstanding_from", p->outstanding_from);
		output_rows_bool(r, "outstanding_to", p->outstanding_to);
		output_rows_bool(r, "newly_outstanding", p->newly_outstanding);
	}
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		output_rows_json(r, cli_json_begin(&doc));
		cli_json_end(&doc);
	} else if (fmt == OUTPUT_CSV) {
		output_rows_csv(r, cmd_status_diff_keys, CMD_STATUS_N(cmd_status_diff_keys), false, stdout);
	} else {
		printf("Changes from %s to %s: %zu project%s\n\n", s1, s2, n, n == 1 ? "" : "s");
		static const char *const headers[] = {"REF",        "CONFIDENCE",  "STAGE", "FORECAST",
						      "MILESTONES", "OUTSTANDING", "TITLE"};
		struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), (1u << 4) | (1u << 6));
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__ProjectDiff *p = d->projects[i];
			char ref[16], from[MONEY_FMT_MAX], to[MONEY_FMT_MAX];
			snprintf(ref, sizeof ref, "%d", p->ref);
			const char *cf = cmd_status_confidence(p->confidence_from),
				   *ct = cmd_status_confidence(p->confidence_to);
			const char *sf = cmd_status_stage(p->stage_from), *stt = cmd_status_stage(p->stage_to);
			char *conf = xasprintf("%s -> %s%s%s", cf ? cf : "-", ct ? ct : "-",
					       p->confidence_change[0] ? " " : "", p->confidence_change);
			char *stage = xasprintf("%s -> %s", sf ? sf : "-", stt ? stt : "-");
			char *forecast =
				p->forecast_change_pct
					? xasprintf("%s -> %s (%+.1f%%)", cmd_status_money(p->forecast_from, from),
						    cmd_status_money(p->forecast_to, to),
						    p->forecast_change_pct->tenths / 10.0)
					: xasprintf("%s -> %s", cmd_status_money(p->forecast_from, from),
						    cmd_status_money(p->forecast_to, to));
			struct buf ms = {0};
			for (size_t k = 0; k < p->n_milestones_achieved; k++)
				buf_printf(&ms, "%sachieved: %s", ms.len ? "; " : "", p->milestones_achieved[k]);
			for (size_t k = 0; k < p->n_milestones_slipped; k++)
				buf_printf(&ms, "%sslipped: %s", ms.len ? "; " : "", p->milestones_slipped[k]);
			const char *cells[] = {ref,
					       conf,
					       stage,
					       forecast,
					       ms.len ? buf_str(&ms) : "-",
					       p->newly_outstanding  ? "newly"
					       : p->outstanding_to   ? "still"
					       : p->outstanding_from ? "no longer"
								     : "-",
					       p->title};
			output_table_row(tab, cells);
			free(conf);
			free(stage);
			free(forecast);
			buf_free(&ms);
		}
		output_table_print(tab, OUTPUT_TABLE, stdout);
		output_table_free(tab);
	}
	output_rows_free(r);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static const struct cli_option cmd_status_outstanding_options[] = {
	{.name = "period",
	 .key = 'p',
	 .arg = "YYYY-Qn",
	 .help = "the quarter (default: the last quarter that has ended)"},
	{.name = "as-of", .key = 'a', .arg = "DATE", .help = "as at the end of DATE, YYYY-MM-DD (default today, UTC)"},
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
	{.name = "from", .key = 'F', .arg = "YYYY-Qn", .help = "the first quarter (default: three before --to)"},
	{.name = "to",
	 .key = 'T',
	 .arg = "YYYY-Qn",
	 .help = "the last quarter (default: the last quarter that has ended)"},
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
	.formats = CLI_FMT_LISTING,
	.summary = "what changed for each project between two quarters",
	.help = cmd_status_diff_help,
	.run = cmd_status_diff_run,
};
