/* cmd_export.c - `planreg export updates`: every revision of every update in a
 * range of quarters, with every field, for analysts; `planreg export open-data`:
 * the register and a quarter's returns under the column names of the published
 * GMPP data (docs/json.md, "Open data"). CSV that opens cleanly in a spreadsheet,
 * or JSON with the same keys. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_options.h"
#include "cmd_status.h"
#include "cmd_update.h"
#include "json.h"
#include "period.h"
#include "values.h"
#include "xmalloc.h"

#define CMD_EXPORT_PAGE 500

static const char cmd_export_updates_help[] =
	"Every revision of every progress update in a range of quarters (superseded and\n"
	"returned ones included), with every field, oldest first. A submitter gets the\n"
	"updates of the projects its organisation leads.\n\n"
	"CSV: UTF-8 with a byte-order mark so spreadsheets read the pound sign, CRLF\n"
	"line ends, and a cell that begins with =, +, - or @ is prefixed with ' so that\n"
	"a spreadsheet shows it as text instead of running it as a formula. Milestones\n"
	"are one TITLE|BASELINE|FORECAST|ACHIEVED per line, indicator actuals one\n"
	"INDICATOR=VALUE|NOTE per line and risks one per line, in\n"
	"CSV and JSON alike; money is in pence. Each row names the project's title and\n"
	"lead organisations as the register has them now.\n";

static const char *const cmd_export_keys[] = {
	"id", "ref", "title", "lead_orgs", "period", "revision", "confidence", "stage", "narrative", "spend_pence",
	"forecast_pence", "variance_note", "milestones", "risks", "actuals", "submitted_by", "submitted_org",
	"submitted_person", "on_behalf", "submitted_at", "review", "review_comment", "reviewed_by", "reviewed_at",
	"superseded", "hash", "prev_hash",
	/* the CA's assurance rating of the revision (docs/assurance.md) */
	"assurance", "assurance_rationale", "assurance_rated_by", "assurance_rated_at", "evidence"};

static const char *cmd_export_iso(const Planreg__V1__Date *d)
{
	return d && d->iso[0] ? d->iso : "";
}

static void cmd_export_row(struct output_rows *r, const Planreg__V1__Update *u)
{
	static const Planreg__V1__UpdateContent none = PLANREG__V1__UPDATE_CONTENT__INIT;
	const Planreg__V1__UpdateContent *c = u->content ? u->content : &none;
	output_rows_begin(r);
	output_rows_int(r, "id", u->id);
	output_rows_int(r, "ref", c->ref);
	/* the project as the register has it now, so a spreadsheet can be read without a second export */
	output_rows_str(r, "title", u->project_title);
	output_rows_list(r, "lead_orgs", u->lead_orgs, u->n_lead_orgs, ";");
	output_rows_str(r, "period", cli_period_name(c->period));
	output_rows_int(r, "revision", u->revision);
	output_rows_str(r, "confidence", values_confidence_name((enum confidence)c->confidence));
	output_rows_str(r, "stage", values_stage_name((enum stage)c->stage));
	output_rows_str(r, "narrative", c->narrative);
	cli_money_row(r, "spend_pence", c->spend_to_date);
	cli_money_row(r, "forecast_pence", c->forecast_total);
	output_rows_str(r, "variance_note", c->variance_note[0] ? c->variance_note : NULL);
	char **ms = xcalloc(c->n_milestones + 1, sizeof *ms);
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		ms[i] = xasprintf("%s|%s|%s|%s", m->title, cmd_export_iso(m->baseline), cmd_export_iso(m->forecast),
				  cmd_export_iso(m->achieved));
	}
	output_rows_list(r, "milestones", ms, c->n_milestones, "\n");
	for (size_t i = 0; i < c->n_milestones; i++)
		free(ms[i]);
	free(ms);
	output_rows_list(r, "risks", c->risks, c->n_risks, "\n");
	cmd_update_actuals_row(r, "actuals", c); /* one INDICATOR=VALUE|NOTE a line */
	output_rows_str(r, "submitted_by", u->submitted_by);
	output_rows_str(r, "submitted_org", u->submitted_org);
	output_rows_str(r, "submitted_person", u->submitted_person[0] ? u->submitted_person : NULL);
	output_rows_bool(r, "on_behalf", u->on_behalf);
	output_rows_str(r, "submitted_at", u->submitted_at);
	output_rows_str(r, "review", u->review ? (u->review->accepted ? "accepted" : "returned") : "none");
	output_rows_str(r, "review_comment", u->review && u->review->comment[0] ? u->review->comment : NULL);
	output_rows_str(r, "reviewed_by", u->review ? u->review->reviewed_by : NULL);
	output_rows_str(r, "reviewed_at", u->review ? u->review->reviewed_at : NULL);
	output_rows_bool(r, "superseded", u->superseded);
	output_rows_str(r, "hash", u->hash);
	output_rows_str(r, "prev_hash", u->prev_hash);
	const Planreg__V1__Assurance *a = u->assurance;
	output_rows_str(r, "assurance", a ? values_confidence_name((enum confidence)a->rating) : NULL);
	output_rows_str(r, "assurance_rationale", a ? a->rationale : NULL);
	output_rows_str(r, "assurance_rated_by", a ? a->rated_by : NULL);
	output_rows_str(r, "assurance_rated_at", a ? a->rated_at : NULL);
	cmd_update_evidence_row(r, "evidence", u); /* one CATEGORY|LOCATION|SHA256|MILESTONE|TITLE a line */
}

/* An export's rows on stdout: JSON, or CSV with a byte-order mark (spreadsheets then read UTF-8) and formula-like
 * cells neutralised. */
static void cmd_export_print(const struct output_rows *r, const char *const *keys, size_t n_keys,
			     enum output_format fmt)
{
	if (fmt == OUTPUT_JSON) {
		cli_rows_print(r, keys, n_keys, fmt);
		return;
	}
	fputs("\xef\xbb\xbf", stdout);
	output_rows_csv(r, keys, n_keys, true, stdout);
}

/* Every page of the export into r. A page too large for a frame (long narratives) is asked for again at half
 * the size, as the status pages are (cmd_status.c). */
static int cmd_export_fetch(struct cli *cli, Planreg__V1__ExportUpdatesRequest *body, struct output_rows *r)
{
	for (;;) {
		Planreg__V1__Response *resp;
		int rc = cli_request_quiet(cli, PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES, body, NULL, &resp);
		if (rc != EXIT_OK)
			return rc;
		if (cli_page_halved(resp, &body->page_size))
			continue;
		const Planreg__V1__Status *st = resp->status;
		if (st->code != PLANREG__V1__CODE__OK || resp->export_updates == NULL) {
			if (st->code != PLANREG__V1__CODE__OK)
				cli_print_status(st, "");
			else
				cli_fail(EXIT_REFUSED, "the server's answer has no body; nothing was shown");
			rc = status_exit_code(st->code);
			planreg__v1__response__free_unpacked(resp, NULL);
			return rc ? rc : EXIT_REFUSED;
		}
		const Planreg__V1__ExportUpdatesResponse *e = resp->export_updates;
		for (size_t i = 0; i < e->n_updates; i++)
			cmd_export_row(r, e->updates[i]);
		body->after_id = e->next_after_id;
		planreg__v1__response__free_unpacked(resp, NULL);
		if (body->after_id == 0)
			return EXIT_OK;
	}
}

static int cmd_export_updates_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	char from[PERIOD_FMT_MAX] = "", to[PERIOD_FMT_MAX] = "";
	char *plan = "";
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0) {
		if (ch == CLI_KEY_PLAN) {
			plan = optarg;
			continue;
		}
		bool first = ch == CLI_KEY_FROM;
		if (cli_options_period(self, first ? "--from" : "--to", optarg, NULL, first ? from : to) != EXIT_OK)
			return EXIT_USAGE;
	}
	if (ch < 0)
		return g.rc;
	enum output_format fmt = g.format;
	Planreg__V1__ExportUpdatesRequest body = PLANREG__V1__EXPORT_UPDATES_REQUEST__INIT;
	body.from_period = from;
	body.to_period = to;
	body.page_size = CMD_EXPORT_PAGE;
	body.plan = plan;
	struct output_rows *r = output_rows_new();
	int rc = cmd_export_fetch(cli, &body, r);
	if (rc == EXIT_OK)
		cmd_export_print(r, cmd_export_keys, CMD_STATUS_N(cmd_export_keys), fmt);
	output_rows_free(r);
	return rc;
}

static const struct cli_option cmd_export_updates_options[] = {
	{CLI_OPTION_FROM, .when_absent = "the first there is"},
	{CLI_OPTION_TO, .when_absent = "the last there is"},
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_export_updates = {
	.noun = "export",
	.verb = "updates",
	.options = cmd_export_updates_options,
	.formats = CLI_FMT_CSV | CLI_FMT_JSON,
	.format_required = true,
	.summary = "every revision of every update, with every field, for analysts",
	.help = cmd_export_updates_help,
	.run = cmd_export_updates_run,
};

/* ---------------------------------------------------------------- open data */

#define CMD_OPEN_PAGE 100 /* projects per status page with their narratives, as the board report asks */

static const char cmd_export_open_data_help[] =
	"The register and a quarter's returns as open data: one row per project (with\n"
	"or without a return), under the column names of the UK Government Major\n"
	"Projects Portfolio's published annual data, in its order: Department is the\n"
	"lead organisations' codes, the IPA rating is the Combined Authority's\n"
	"assurance rating and the SRO rating the lead body's own, the commentary its\n"
	"narrative, the end date and whole-life baseline the latest approved baseline\n"
	"(a cost range at its minimum), the variance and its explanation the return's\n"
	"against that baseline. Ratings are written Green, Amber/Green, Amber,\n"
	"Amber/Red, Red; money in pounds million with two decimals (to the nearest\n"
	"10,000, half away from zero); dates YYYY-MM-DD. The baseline benefits are\n"
	"the targets of the indicators in money (unit £m or £); the start date is\n"
	"always empty: planreg records none. A return sent back for\n"
	"correction is not published. CSV as export updates (byte-order mark, CRLF,\n"
	"formula-like cells prefixed with '); JSON has the same keys, null for empty.\n"
	"A submitter gets the projects its organisation leads.\n";

/* The published GMPP columns planreg fills, or that its open data promises, in the published order (docs/json.md,
 * "Open data", says which are left out, which are always empty, and why). */
enum cmd_open_col {
	OPEN_NAME,
	OPEN_DEPARTMENT,
	OPEN_DESCRIPTION,
	OPEN_IPA_RATING,
	OPEN_SRO_RATING,
	OPEN_COMMENTARY,
	OPEN_START,
	OPEN_END,
	OPEN_VARIANCE,
	OPEN_VARIANCE_NOTE,
	OPEN_BASELINE,
	OPEN_FORECAST,
	OPEN_BENEFITS,
	OPEN_COUNT
};
static const char *const cmd_open_keys[OPEN_COUNT] = {
	[OPEN_NAME] = "Project Name",
	[OPEN_DEPARTMENT] = "Department",
	[OPEN_DESCRIPTION] = "Description / Aims",
	[OPEN_IPA_RATING] = "IPA Delivery Confidence Assessment",
	[OPEN_SRO_RATING] = "SRO Delivery Confidence Assessment",
	[OPEN_COMMENTARY] = "Departmental commentary on actions planned or taken on the IPA RAG rating",
	[OPEN_START] = "Project - Start Date (Latest Approved Start Date)",
	[OPEN_END] = "Project - End Date (Latest Approved End Date)",
	[OPEN_VARIANCE] = "Variance (%)",
	[OPEN_VARIANCE_NOTE] = "Budget/forecast variance explanation",
	[OPEN_BASELINE] = "Total Baseline Whole Life Costs (\xc2\xa3m)",
	[OPEN_FORECAST] = "Total Forecast Whole Life Costs (\xc2\xa3m)",
	[OPEN_BENEFITS] = "Total Baseline Benefits (\xc2\xa3m)",
};

/* A rating as the GMPP data writes it; NULL for none. */
static const char *cmd_open_rating(int c)
{
	static const char *const names[] = {NULL, "Green", "Amber/Green", "Amber", "Amber/Red", "Red"};
	return c > 0 && c < (int)CMD_STATUS_N(names) ? names[c] : NULL;
}

/* An amount in pounds million with two decimals, to the nearest £10,000 (half away from zero); null when absent. */
static void cmd_open_money_row(struct output_rows *r, enum cmd_open_col col, const Planreg__V1__Money *m)
{
	if (m == NULL) {
		output_rows_null(r, cmd_open_keys[col]);
		return;
	}
	const int64_t unit = 1000000; /* £0.01m in pence */
	output_rows_decimal(r, cmd_open_keys[col], (m->pence + (m->pence < 0 ? -unit : unit) / 2) / unit, 2);
}

/* A text column: NULL or "" is null. */
static void cmd_open_text_row(struct output_rows *r, enum cmd_open_col col, const char *s)
{
	output_rows_str(r, cmd_open_keys[col], s && s[0] ? s : NULL);
}

/* The latest approved baseline's cost (a range at its minimum, as status' approved_cost_pence). A project has no
 * baseline before its first return; until then it is the plan's cost, the original (docs/assurance.md). */
static const Planreg__V1__Money *cmd_open_baseline_cost(const Planreg__V1__ProjectStatus *p)
{
	if (p->approved_baseline)
		return p->approved_baseline->cost_min;
	return p->plan_cost && p->plan_cost->status == PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN ? p->plan_cost->min
												   : NULL;
}

/* The project's description in the register (reg), by ref; NULL when it has none. */
static const char *cmd_open_description(const struct cli_projects_pages *reg, int32_t ref)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->ps[i]->ref == ref)
			return reg->ps[i]->description;
	return NULL;
}

/* A number the daemon checked (values_number_valid: at most 15 digits, 6 after the point) in millionths. */
static __int128 cmd_open_millionths(const char *s)
{
	bool neg = *s == '-';
	__int128 v = 0;
	int frac = -1;
	for (s += neg; *s; s++) {
		if (*s == '.') {
			frac = 0;
			continue;
		}
		v = v * 10 + (*s - '0');
		frac += frac >= 0;
	}
	for (int k = frac < 0 ? 0 : frac; k < 6; k++)
		v *= 10;
	return neg ? -v : v;
}

/* The baseline benefits: the targets of the project's indicators measured in money (unit "£m", or "£"), summed in
 * pounds million; null when it has none (docs/json.md, "Open data"). */
static void cmd_open_benefits_row(struct output_rows *r, const Planreg__V1__ProjectStatus *p)
{
	__int128 pence = 0; /* 15 digits of £m are 10^23 pence: beyond int64, not beyond this */
	bool any = false;
	for (size_t i = 0; i < p->n_indicators; i++) {
		const Planreg__V1__IndicatorProgress *ip = p->indicators[i];
		__int128 m = cmd_open_millionths(ip->target_value);
		if (strcasecmp(ip->unit, "\xc2\xa3m") == 0)
			pence += m * 100; /* millionths of £1m are pounds: 100 pence each */
		else if (strcmp(ip->unit, "\xc2\xa3") == 0)
			pence += m / 10000; /* millionths of £1 */
		else
			continue;
		any = true;
	}
	Planreg__V1__Money m = PLANREG__V1__MONEY__INIT;
	m.pence = (int64_t)pence;
	cmd_open_money_row(r, OPEN_BENEFITS, any && pence < INT64_MAX / 2 && pence > -INT64_MAX / 2 ? &m : NULL);
}

static void cmd_open_row(struct output_rows *r, const Planreg__V1__ProjectStatus *p, const char *description)
{
	/* a return sent back for correction is not published: the row keeps the register's and the CA's columns */
	bool reported = p->update_id != 0 && p->review != PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED;
	const Planreg__V1__Baseline *b = p->approved_baseline;
	output_rows_begin(r);
	cmd_open_text_row(r, OPEN_NAME, p->title);
	output_rows_list(r, cmd_open_keys[OPEN_DEPARTMENT], p->lead_orgs, p->n_lead_orgs, ";");
	cmd_open_text_row(r, OPEN_DESCRIPTION, description);
	cmd_open_text_row(r, OPEN_IPA_RATING, p->assurance ? cmd_open_rating(p->assurance->rating) : NULL);
	cmd_open_text_row(r, OPEN_SRO_RATING, reported ? cmd_open_rating(p->confidence) : NULL);
	cmd_open_text_row(r, OPEN_COMMENTARY, reported ? p->narrative : NULL);
	output_rows_null(r, cmd_open_keys[OPEN_START]); /* planreg records no start date */
	cmd_open_text_row(r, OPEN_END, b ? b->end_date : NULL);
	cmd_status_pct_row(r, cmd_open_keys[OPEN_VARIANCE], reported && b ? b->variance : NULL);
	cmd_open_text_row(r, OPEN_VARIANCE_NOTE, reported ? p->variance_note : NULL);
	cmd_open_money_row(r, OPEN_BASELINE, cmd_open_baseline_cost(p));
	cmd_open_money_row(r, OPEN_FORECAST, reported ? p->forecast_total : NULL);
	cmd_open_benefits_row(r, p);
}

/* The quarter's status with narratives and detail, and the register's descriptions, of plan; printed in fmt. */
static int cmd_export_open_data_write(struct cli *cli, char *period, char *plan, enum output_format fmt)
{
	Planreg__V1__GetStatusRequest body = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	body.period = period;
	body.plan = plan;
	body.include_narrative = true;
	body.include_detail = true;
	struct cli_status_pages pages;
	int rc = cli_status_fetch(cli, &body, CMD_OPEN_PAGE, &pages);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__ListProjectsRequest lb = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	lb.plan = plan;
	struct cli_projects_pages reg;
	rc = cli_projects_fetch(cli, &lb, &reg);
	if (rc == EXIT_OK) {
		struct output_rows *r = output_rows_new();
		for (size_t i = 0; i < pages.n_projects; i++)
			cmd_open_row(r, pages.projects[i], cmd_open_description(&reg, pages.projects[i]->ref));
		cmd_export_print(r, cmd_open_keys, OPEN_COUNT, fmt);
		output_rows_free(r);
		cli_projects_pages_free(&reg);
	}
	cli_status_pages_free(&pages);
	return rc;
}

static int cmd_export_open_data_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	char ps[PERIOD_FMT_MAX];
	if (cmd_status_period(self, "--period", cli_getopt_value(&g, CLI_KEY_PERIOD), NULL, ps) != EXIT_OK)
		return EXIT_USAGE;
	const char *plan = cli_getopt_value(&g, CLI_KEY_PLAN);
	return cmd_export_open_data_write(cli, ps, (char *)(plan ? plan : ""), g.format);
}

static const struct cli_option cmd_export_open_data_options[] = {
	{CLI_OPTION_PERIOD, .when_absent = "the last quarter that has ended"},
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_export_open_data = {
	.noun = "export",
	.verb = "open-data",
	.options = cmd_export_open_data_options,
	.formats = CLI_FMT_CSV | CLI_FMT_JSON,
	.format_required = true,
	.summary = "the register and a quarter's returns under the published GMPP data's column names",
	.help = cmd_export_open_data_help,
	.run = cmd_export_open_data_run,
};
