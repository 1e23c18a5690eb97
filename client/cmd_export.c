/* cmd_export.c - `planreg export updates`: every revision of every update in a
 * range of quarters, with every field, for analysts (CSV that opens cleanly in
 * a spreadsheet, or JSON with the same keys). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "period.h"
#include "values.h"
#include "xmalloc.h"

#define CMD_EXPORT_PAGE 500

static const char cmd_export_updates_help[] =
	"Every revision of every progress update in a range of quarters (superseded and\n"
	"returned ones included), with every field, oldest first. A submitter gets the\n"
	"updates of the projects its organisation leads.\n\n"
	"Options:\n"
	"  --from YYYY-Qn          the first quarter (default: the first there is)\n"
	"  --to YYYY-Qn            the last quarter (default: the last there is)\n"
	"  --format csv|json       output format (required)\n\n"
	"CSV: UTF-8 with a byte-order mark so spreadsheets read the pound sign, CRLF\n"
	"line ends, and a cell that begins with =, +, - or @ is prefixed with ' so that\n"
	"a spreadsheet shows it as text instead of running it as a formula. Milestones\n"
	"are one TITLE|BASELINE|FORECAST|ACHIEVED per line and risks one per line, in\n"
	"CSV and JSON alike; money is in pence.\n";

static const char *const cmd_export_keys[] = {
	"id",          "ref",          "period",       "revision",       "confidence",
	"stage",       "narrative",    "spend_pence",  "forecast_pence", "variance_note",
	"milestones",  "risks",        "submitted_by", "submitted_org",  "submitted_person",
	"on_behalf",   "submitted_at", "review",       "review_comment", "reviewed_by",
	"reviewed_at", "superseded",   "hash",         "prev_hash"};

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
	output_rows_str(r, "period", c->period);
	output_rows_int(r, "revision", u->revision);
	output_rows_str(r, "confidence", values_confidence_name((enum confidence)c->confidence));
	output_rows_str(r, "stage", values_stage_name((enum stage)c->stage));
	output_rows_str(r, "narrative", c->narrative);
	if (c->spend_to_date)
		output_rows_int(r, "spend_pence", c->spend_to_date->pence);
	else
		output_rows_null(r, "spend_pence");
	if (c->forecast_total)
		output_rows_int(r, "forecast_pence", c->forecast_total->pence);
	else
		output_rows_null(r, "forecast_pence");
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
}

static int cmd_export_updates(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"from", required_argument, NULL, 'F'},
					     {"to", required_argument, NULL, 'T'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_export_commands[0];
	enum output_format fmt = OUTPUT_TABLE;
	bool have_format = false;
	char from[PERIOD_FMT_MAX] = "", to[PERIOD_FMT_MAX] = "";
	struct period p;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'F':
		case 'T':
			if (!period_parse(optarg, &p))
				return cli_usage(cmd,
						 "--%s \"%s\" is not a reporting period: write YYYY-Qn, e.g. 2026-Q3",
						 ch == 'F' ? "from" : "to", optarg);
			period_format(p, ch == 'F' ? from : to);
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			have_format = true;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	if (!have_format || fmt == OUTPUT_TABLE)
		return cli_usage(cmd, "--format csv or --format json is required: an export is for a program");
	Planreg__V1__ExportUpdatesRequest body = PLANREG__V1__EXPORT_UPDATES_REQUEST__INIT;
	body.from_period = from;
	body.to_period = to;
	body.page_size = CMD_EXPORT_PAGE;
	struct output_rows *r = output_rows_new();
	int rc = EXIT_OK;
	for (;;) {
		Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
		req.body_case = PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES;
		req.export_updates = &body;
		Planreg__V1__Response *resp;
		rc = cli_call(cli, &req, &resp);
		if (rc != EXIT_OK)
			break;
		const Planreg__V1__ExportUpdatesResponse *e = resp->export_updates;
		for (size_t i = 0; e && i < e->n_updates; i++)
			cmd_export_row(r, e->updates[i]);
		body.after_id = e ? e->next_after_id : 0;
		planreg__v1__response__free_unpacked(resp, NULL);
		if (body.after_id == 0)
			break;
	}
	if (rc == EXIT_OK) {
		if (fmt == OUTPUT_JSON) {
			struct buf b = {0};
			struct json j;
			json_init(&j, &b, true);
			output_rows_json(r, &j);
			output_json_done(&b, stdout);
		} else {
			fputs("\xef\xbb\xbf", stdout); /* the BOM: spreadsheets then read UTF-8 */
			output_rows_csv(r, cmd_export_keys, sizeof cmd_export_keys / sizeof cmd_export_keys[0], true,
					stdout);
		}
	}
	output_rows_free(r);
	return rc;
}

const struct cli_command cmd_export_commands[] = {
	{"export", "updates", cmd_export_updates, "[--from P] [--to P] --format csv|json",
	 "every revision of every update, with every field, for analysts", cmd_export_updates_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
