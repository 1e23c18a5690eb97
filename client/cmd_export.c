/* cmd_export.c - `planreg export updates`: every revision of every update in a
 * range of quarters, with every field, for analysts (CSV that opens cleanly in
 * a spreadsheet, or JSON with the same keys). */
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
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
	"are one TITLE|BASELINE|FORECAST|ACHIEVED per line and risks one per line, in\n"
	"CSV and JSON alike; money is in pence. Each row names the project's title and\n"
	"lead organisations as the register has them now.\n";

static const char *const cmd_export_keys[] = {
	"id", "ref", "title", "lead_orgs", "period", "revision", "confidence", "stage", "narrative", "spend_pence",
	"forecast_pence", "variance_note", "milestones", "risks", "submitted_by", "submitted_org", "submitted_person",
	"on_behalf", "submitted_at", "review", "review_comment", "reviewed_by", "reviewed_at", "superseded", "hash",
	"prev_hash",
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
	if (rc == EXIT_OK) {
		if (fmt == OUTPUT_JSON) {
			cli_rows_print(r, cmd_export_keys, 0, fmt);
		} else {
			fputs("\xef\xbb\xbf", stdout); /* the BOM: spreadsheets then read UTF-8 */
			output_rows_csv(r, cmd_export_keys, sizeof cmd_export_keys / sizeof cmd_export_keys[0], true,
					stdout);
		}
	}
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
