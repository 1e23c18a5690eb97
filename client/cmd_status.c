/* cmd_status.c - `planreg status [outstanding|timeliness|diff]`: the Combined
 * Authority's consolidated picture of a quarter, computed by the server
 * (GetStatus, ListOutstanding, GetTimeliness, DiffPeriods) and shown as a
 * table, CSV or JSON with one set of keys (docs/json.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "money.h"
#include "period.h"
#include "values.h"
#include "xmalloc.h"

#define CMD_STATUS_PAGE 500 /* the server's default page */

static const char cmd_status_help[] = "The consolidated status of a quarter: for every project its latest update for\n"
				      "the period (as known at --as-at), whether it is outstanding or late, its\n"
				      "variance against the plan's cost and consistency flags; then totals by\n"
				      "confidence, theme, stage and lead organisation. A submitter sees only the\n"
				      "projects its organisation leads.\n\n"
				      "--as-at takes 2026-10-20 (the end of that day, UTC) or 2026-10-20T09:30:00Z (a\n"
				      "zone is required). --stage is the stage now (the latest update's, else the\n"
				      "register's); --confidence the latest update's.\n\n"
				      "A project is outstanding when it has no update for the period or its latest\n"
				      "revision was returned; late when it was reported after the due date, or is\n"
				      "still outstanding after it. Flags: green_over_variance, stage_backwards,\n"
				      "spend_above_forecast, narrative_repeated, missing_two_periods.\n";

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

/* ---------------------------------------------------------------- shared */

/* The last quarter that has ended, by today's date (UTC). */
static struct period cmd_status_last_ended(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	struct date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
	return period_prev(period_of_date(d));
}

/* --period: default the last quarter that has ended; normalised into out. */
static int cmd_status_period(const struct cli_command *cmd, const char *opt, const char *s, struct period *p,
			     char out[PERIOD_FMT_MAX])
{
	if (s == NULL)
		*p = cmd_status_last_ended();
	else if (!period_parse(s, p))
		return cli_usage(cmd, "%s \"%s\" is not a reporting period: write YYYY-Qn, e.g. 2026-Q3", opt, s);
	period_format(*p, out);
	return EXIT_OK;
}

static const char *cmd_status_confidence(int c)
{
	return c ? values_confidence_name((enum confidence)c) : NULL;
}

static const char *cmd_status_stage(int s)
{
	return s ? values_stage_name((enum stage)s) : NULL;
}

static const char *cmd_status_money(const Planreg__V1__Money *m, char buf[MONEY_FMT_MAX])
{
	if (m == NULL)
		return "-";
	money_format(m->pence, buf);
	return buf;
}

static void cmd_status_money_key(struct output_rows *r, const char *key, const Planreg__V1__Money *m)
{
	if (m)
		output_rows_int(r, key, m->pence);
	else
		output_rows_null(r, key);
}

void cli_status_pages_free(struct cli_status_pages *pages)
{
	for (size_t i = 0; i < pages->n_resps; i++)
		planreg__v1__response__free_unpacked(pages->resps[i], NULL);
	free(pages->resps);
	free(pages->projects);
	memset(pages, 0, sizeof *pages);
}

int cli_status_fetch(struct cli *cli, Planreg__V1__GetStatusRequest *body, int page_size,
		     struct cli_status_pages *pages)
{
	memset(pages, 0, sizeof *pages);
	size_t cap_r = 0, cap_p = 0;
	Planreg__V1__Timestamp pinned = PLANREG__V1__TIMESTAMP__INIT;
	body->page_size = page_size;
	body->page_token = "";
	for (;;) {
		Planreg__V1__Response *resp;
		int rc = cli_request_quiet(cli, PLANREG__V1__REQUEST__BODY_GET_STATUS, body, NULL, &resp);
		if (rc != EXIT_OK) {
			cli_status_pages_free(pages);
			return rc;
		}
		const Planreg__V1__Status *st = resp->status;
		if (st->code == PLANREG__V1__CODE__RESOURCE_EXHAUSTED &&
		    strcmp(st->reason, "response_too_large") == 0 && body->page_size > 1) {
			/* long narratives: ask for smaller pages */
			body->page_size /= 2;
			planreg__v1__response__free_unpacked(resp, NULL);
			continue;
		}
		if (st->code != PLANREG__V1__CODE__OK) {
			cli_print_status(st, "");
			rc = status_exit_code(st->code);
			planreg__v1__response__free_unpacked(resp, NULL);
			cli_status_pages_free(pages);
			return rc ? rc : EXIT_REFUSED;
		}
		pages->resps = xgrow(pages->resps, &cap_r, pages->n_resps + 1, sizeof *pages->resps);
		pages->resps[pages->n_resps++] = resp;
		const Planreg__V1__GetStatusResponse *g = resp->get_status;
		if (pages->first == NULL) {
			pages->first = g;
			/* later pages describe the same moment as the first */
			pinned.rfc3339 = g->as_at;
			if (g->as_at[0])
				body->as_at = &pinned;
		}
		for (size_t i = 0; i < g->n_projects; i++) {
			pages->projects =
				xgrow(pages->projects, &cap_p, pages->n_projects + 1, sizeof *pages->projects);
			pages->projects[pages->n_projects++] = g->projects[i];
		}
		if (g->next_page_token[0] == '\0')
			break;
		body->page_token = g->next_page_token;
	}
	return EXIT_OK;
}

/* ---------------------------------------------------------------- status */

static const char *const cmd_status_project_keys[] = {"ref",
						      "title",
						      "theme",
						      "objective",
						      "lead_orgs",
						      "register_stage",
						      "stage",
						      "confidence",
						      "update_id",
						      "revision",
						      "submitted_at",
						      "on_time",
						      "late",
						      "review",
						      "review_comment",
						      "plan_cost_text",
						      "plan_cost_pence",
						      "spend_pence",
						      "forecast_pence",
						      "variance_pct",
						      "flags",
						      "outstanding"};

static const char *const cmd_status_group_keys[] = {
	"key",   "name",      "projects", "reported", "outstanding", "late",           "green",          "amber_green",
	"amber", "amber_red", "red",      "none",     "spend_pence", "forecast_pence", "plan_cost_pence"};

#define CMD_STATUS_N(a) (sizeof(a) / sizeof((a)[0]))

static const char *cmd_status_review(const Planreg__V1__ProjectStatus *p)
{
	if (p->update_id == 0)
		return NULL;
	switch (p->review) {
	case PLANREG__V1__REVIEW_STATE__REVIEW_ACCEPTED:
		return "accepted";
	case PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED:
		return "returned";
	default:
		return "none";
	}
}

static void cmd_status_project_row(struct output_rows *r, const Planreg__V1__ProjectStatus *p)
{
	bool has = p->update_id != 0;
	output_rows_begin(r);
	output_rows_int(r, "ref", p->ref);
	output_rows_str(r, "title", p->title);
	output_rows_int(r, "theme", p->theme);
	output_rows_str(r, "objective", p->objective);
	output_rows_list(r, "lead_orgs", p->lead_orgs, p->n_lead_orgs, ";");
	output_rows_str(r, "register_stage", cmd_status_stage(p->register_stage));
	output_rows_str(r, "stage", has ? cmd_status_stage(p->stage) : NULL);
	output_rows_str(r, "confidence", has ? cmd_status_confidence(p->confidence) : NULL);
	if (has) {
		output_rows_int(r, "update_id", p->update_id);
		output_rows_int(r, "revision", p->revision);
		output_rows_str(r, "submitted_at", p->submitted_at);
		output_rows_bool(r, "on_time", p->on_time);
	} else {
		output_rows_null(r, "update_id");
		output_rows_null(r, "revision");
		output_rows_null(r, "submitted_at");
		output_rows_null(r, "on_time");
	}
	output_rows_bool(r, "late", p->late);
	output_rows_str(r, "review", cmd_status_review(p));
	output_rows_str(r, "review_comment", has && p->review && p->review_comment[0] ? p->review_comment : NULL);
	output_rows_str(r, "plan_cost_text", p->plan_cost && p->plan_cost->text[0] ? p->plan_cost->text : NULL);
	cmd_status_money_key(r, "plan_cost_pence",
			     p->plan_cost && p->plan_cost->status == PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN
				     ? p->plan_cost->min
				     : NULL);
	cmd_status_money_key(r, "spend_pence", p->spend_to_date);
	cmd_status_money_key(r, "forecast_pence", p->forecast_total);
	if (p->variance)
		output_rows_tenths(r, "variance_pct", p->variance->tenths);
	else
		output_rows_null(r, "variance_pct");
	output_rows_list(r, "flags", p->flags, p->n_flags, ";");
	output_rows_bool(r, "outstanding", p->outstanding);
}

static int cmd_status_conf_count(Planreg__V1__CountByName **counts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(counts[i]->name, name) == 0)
			return counts[i]->count;
	return 0;
}

static void cmd_status_group_row(struct output_rows *r, const Planreg__V1__StatusGroup *g)
{
	output_rows_begin(r);
	output_rows_str(r, "key", g->key);
	output_rows_str(r, "name", g->name[0] ? g->name : NULL);
	output_rows_int(r, "projects", g->projects);
	output_rows_int(r, "reported", g->reported);
	output_rows_int(r, "outstanding", g->outstanding);
	output_rows_int(r, "late", g->late);
	static const char *const names[] = {"green", "amber_green", "amber", "amber_red", "red", "none"};
	for (size_t i = 0; i < CMD_STATUS_N(names); i++)
		output_rows_int(r, names[i], cmd_status_conf_count(g->by_confidence, g->n_by_confidence, names[i]));
	output_rows_int(r, "spend_pence", g->spend_pence);
	output_rows_int(r, "forecast_pence", g->forecast_pence);
	output_rows_int(r, "plan_cost_pence", g->plan_cost_pence);
}

static void cmd_status_groups_json(struct json *j, const char *key, Planreg__V1__StatusGroup **gs, size_t n)
{
	struct output_rows *r = output_rows_new();
	for (size_t i = 0; i < n; i++)
		cmd_status_group_row(r, gs[i]);
	json_key(j, key);
	output_rows_json(r, j);
	output_rows_free(r);
}

static void cmd_status_print_json(const struct cli_status_pages *pages)
{
	static const Planreg__V1__StatusTotals no_totals = PLANREG__V1__STATUS_TOTALS__INIT;
	const Planreg__V1__GetStatusResponse *g = pages->first;
	const Planreg__V1__StatusTotals *t = g->totals ? g->totals : &no_totals;
	struct buf b = {0};
	struct json j;
	json_init(&j, &b, true);
	json_object_begin(&j);
	json_kv_str(&j, "period", g->period);
	json_kv_str(&j, "due", g->due[0] ? g->due : NULL);
	json_kv_str(&j, "as_at", g->as_at[0] ? g->as_at : NULL);
	struct output_rows *r = output_rows_new();
	for (size_t i = 0; i < pages->n_projects; i++)
		cmd_status_project_row(r, pages->projects[i]);
	json_key(&j, "projects");
	output_rows_json(r, &j);
	output_rows_free(r);
	json_key(&j, "totals");
	json_object_begin(&j);
	json_kv_int(&j, "projects", t->projects);
	json_kv_int(&j, "reported", t->reported);
	json_kv_int(&j, "outstanding", t->outstanding);
	json_kv_int(&j, "late", t->late);
	json_kv_int(&j, "returned", t->returned);
	json_key(&j, "by_confidence");
	json_object_begin(&j);
	for (size_t i = 0; i < t->n_by_confidence; i++)
		json_kv_int(&j, t->by_confidence[i]->name, t->by_confidence[i]->count);
	json_object_end(&j);
	cmd_status_groups_json(&j, "by_theme", t->by_theme, t->n_by_theme);
	cmd_status_groups_json(&j, "by_stage", t->by_stage, t->n_by_stage);
	cmd_status_groups_json(&j, "by_lead", t->by_lead, t->n_by_lead);
	json_kv_int(&j, "spend_pence", t->spend_pence);
	json_kv_int(&j, "forecast_pence", t->forecast_pence);
	json_kv_int(&j, "plan_cost_pence", t->plan_cost_pence);
	json_object_end(&j);
	json_object_end(&j);
	output_json_done(&b, stdout);
}

static void cmd_status_print_table(const struct cli_status_pages *pages)
{
	static const Planreg__V1__StatusTotals no_totals = PLANREG__V1__STATUS_TOTALS__INIT;
	const Planreg__V1__GetStatusResponse *g = pages->first;
	const Planreg__V1__StatusTotals *t = g->totals ? g->totals : &no_totals;
	char spend[MONEY_FMT_MAX], forecast[MONEY_FMT_MAX], plan[MONEY_FMT_MAX];
	money_format(t->spend_pence, spend);
	money_format(t->forecast_pence, forecast);
	money_format(t->plan_cost_pence, plan);
	printf("Status of %s (due %s), as at %s\n", g->period, g->due[0] ? g->due : "-", g->as_at);
	printf("Projects %d: %d reported, %d outstanding (%d returned), %d late\n", t->projects, t->reported,
	       t->outstanding, t->returned, t->late);
	printf("Confidence:");
	for (size_t i = 0; i < t->n_by_confidence; i++)
		printf("%s %s %d", i ? "," : "",
		       strcmp(t->by_confidence[i]->name, "none") == 0 ? "not reported" : t->by_confidence[i]->name,
		       t->by_confidence[i]->count);
	printf("\nSpend to date %s; forecast %s; the plan's known cost %s\n\n", spend, forecast, plan);

	static const char *const headers[] = {"REF",       "THEME",   "LEAD",   "STAGE",    "CONFIDENCE", "REV",
					      "SUBMITTED", "ON TIME", "REVIEW", "VARIANCE", "FLAGS",      "TITLE"};
	struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), 1u << 11);
	for (size_t i = 0; i < pages->n_projects; i++) {
		const Planreg__V1__ProjectStatus *p = pages->projects[i];
		bool has = p->update_id != 0;
		char ref[16], theme[16], rev[16], day[11] = "-", variance[32] = "-";
		struct buf leads = {0}, flags = {0};
		snprintf(ref, sizeof ref, "%d", p->ref);
		snprintf(theme, sizeof theme, "%s", p->objective);
		snprintf(rev, sizeof rev, "%d", p->revision);
		if (has)
			snprintf(day, sizeof day, "%.10s", p->submitted_at);
		if (p->variance)
			snprintf(variance, sizeof variance, "%+.1f%%", p->variance->tenths / 10.0);
		for (size_t k = 0; k < p->n_lead_orgs; k++)
			buf_printf(&leads, "%s%s", k ? "," : "", p->lead_orgs[k]);
		for (size_t k = 0; k < p->n_flags; k++)
			buf_printf(&flags, "%s%s", k ? "," : "", p->flags[k]);
		const char *review = cmd_status_review(p);
		const char *cells[] = {ref,
				       theme,
				       buf_str(&leads),
				       has ? cmd_status_stage(p->stage) : "-",
				       has ? cmd_status_confidence(p->confidence)
					   : (p->outstanding ? "OUTSTANDING" : "-"),
				       has ? rev : "-",
				       day,
				       has ? (p->on_time ? "yes" : "late") : (p->late ? "late" : "-"),
				       review ? review : "-",
				       variance,
				       p->n_flags ? buf_str(&flags) : "-",
				       p->title};
		output_table_row(tab, cells);
		buf_free(&leads);
		buf_free(&flags);
	}
	output_table_print(tab, OUTPUT_TABLE, stdout);
	output_table_free(tab);
}

static void cmd_status_print_groups(Planreg__V1__StatusGroup **gs, size_t n, enum output_format fmt)
{
	struct output_rows *r = output_rows_new();
	for (size_t i = 0; i < n; i++)
		cmd_status_group_row(r, gs[i]);
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		output_rows_json(r, cli_json_begin(&doc));
		cli_json_end(&doc);
	} else if (fmt == OUTPUT_CSV) {
		output_rows_csv(r, cmd_status_group_keys, CMD_STATUS_N(cmd_status_group_keys), false, stdout);
	} else {
		static const char *const headers[] = {"KEY",   "PROJECTS",    "REPORTED", "OUTSTANDING", "LATE",
						      "GREEN", "AMBER_GREEN", "AMBER",    "AMBER_RED",   "RED",
						      "NONE",  "SPEND",       "FORECAST", "PLAN COST",   "NAME"};
		struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), 1u << 14);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__StatusGroup *g = gs[i];
			char num[11][16], spend[MONEY_FMT_MAX], forecast[MONEY_FMT_MAX], plan[MONEY_FMT_MAX];
			int v[] = {g->projects, g->reported, g->outstanding, g->late};
			for (int k = 0; k < 4; k++)
				snprintf(num[k], sizeof num[k], "%d", v[k]);
			static const char *const names[] = {"green",     "amber_green", "amber",
							    "amber_red", "red",         "none"};
			for (int k = 0; k < 6; k++)
				snprintf(num[4 + k], sizeof num[4 + k], "%d",
					 cmd_status_conf_count(g->by_confidence, g->n_by_confidence, names[k]));
			money_format(g->spend_pence, spend);
			money_format(g->forecast_pence, forecast);
			money_format(g->plan_cost_pence, plan);
			const char *cells[] = {g->key, num[0], num[1], num[2], num[3],   num[4], num[5], num[6],
					       num[7], num[8], num[9], spend,  forecast, plan,   g->name};
			output_table_row(tab, cells);
		}
		output_table_print(tab, OUTPUT_TABLE, stdout);
		output_table_free(tab);
	}
	output_rows_free(r);
}

/* One option of status into body (or *period, *by); false after a usage error. */
static bool cmd_status_option(const struct cli_command *cmd, int ch, Planreg__V1__GetStatusRequest *body,
			      Planreg__V1__Timestamp *as_at, const char **period, const char **by)
{
	char ts[TIMESTAMP_FMT_MAX], *end;
	enum stage s;
	enum confidence c;
	switch (ch) {
	case 'p':
		*period = optarg;
		break;
	case 'a':
		if (!timestamp_parse(optarg, ts))
			return cli_usage(cmd,
					 "--as-at \"%s\" is not a moment: write 2026-10-20 (the end of that day, UTC) "
					 "or 2026-10-20T09:30:00Z (with Z or an offset such as +01:00)",
					 optarg),
			       false;
		as_at->rfc3339 = optarg;
		body->as_at = as_at;
		break;
	case 't':
		body->theme = (int32_t)strtol(optarg, &end, 10);
		if (end == optarg || *end != '\0' || body->theme < 1 || body->theme > 99)
			return cli_usage(cmd, "--theme takes a theme number such as 6, not \"%s\"", optarg), false;
		break;
	case 'o':
		body->objective = optarg;
		break;
	case 'l':
		body->lead_org = optarg;
		break;
	case 's':
		if (!values_stage_parse(optarg, &s))
			return cli_usage(cmd, "--stage must be one of %s, not \"%s\"", values_stage_names(), optarg),
			       false;
		body->stage = (Planreg__V1__Stage)s;
		break;
	case 'c':
		if (!values_confidence_parse(optarg, &c))
			return cli_usage(cmd, "--confidence must be one of %s, not \"%s\"", values_confidence_names(),
					 optarg),
			       false;
		body->confidence = (Planreg__V1__Confidence)c;
		break;
	case 'b':
		if (strcmp(optarg, "theme") != 0 && strcmp(optarg, "stage") != 0 && strcmp(optarg, "lead") != 0 &&
		    strcmp(optarg, "confidence") != 0)
			return cli_usage(cmd, "--by must be theme, stage, lead or confidence, not \"%s\"", optarg),
			       false;
		*by = optarg;
		break;
	}
	return true;
}

static int cmd_status_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const struct cli_command *cmd = self;
	Planreg__V1__GetStatusRequest body = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	Planreg__V1__Timestamp as_at = PLANREG__V1__TIMESTAMP__INIT;
	const char *period = NULL, *by = NULL;
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		if (!cmd_status_option(self, ch, &body, &as_at, &period, &by))
			return EXIT_USAGE;
	if (ch < 0)
		return g.rc;
	enum output_format fmt = g.format;
	struct period p;
	char ps[PERIOD_FMT_MAX];
	int rc = cmd_status_period(cmd, "--period", period, &p, ps);
	if (rc != EXIT_OK)
		return rc;
	body.period = ps;
	struct cli_status_pages pages;
	rc = cli_status_fetch(cli, &body, CMD_STATUS_PAGE, &pages);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__StatusTotals *t = pages.first->totals;
	if (by != NULL && t != NULL) {
		if (strcmp(by, "theme") == 0)
			cmd_status_print_groups(t->by_theme, t->n_by_theme, fmt);
		else if (strcmp(by, "stage") == 0)
			cmd_status_print_groups(t->by_stage, t->n_by_stage, fmt);
		else if (strcmp(by, "lead") == 0)
			cmd_status_print_groups(t->by_lead, t->n_by_lead, fmt);
		else
			cmd_status_print_groups(t->by_confidence_group, t->n_by_confidence_group, fmt);
	} else if (fmt == OUTPUT_JSON) {
		cmd_status_print_json(&pages);
	} else if (fmt == OUTPUT_CSV) {
		struct output_rows *r = output_rows_new();
		for (size_t i = 0; i < pages.n_projects; i++)
			cmd_status_project_row(r, pages.projects[i]);
		output_rows_csv(r, cmd_status_project_keys, CMD_STATUS_N(cmd_status_project_keys), false, stdout);
		output_rows_free(r);
	} else {
		cmd_status_print_table(&pages);
	}
	cli_status_pages_free(&pages);
	return EXIT_OK;
}

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

static const struct cli_option cmd_status_options[] = {
	{.name = "period",
	 .key = 'p',
	 .arg = "YYYY-Qn",
	 .help = "the quarter (default: the last quarter that has ended)"},
	{.name = "as-at", .key = 'a', .arg = "TIME", .help = "what was known then (default now)"},
	{.name = "theme", .key = 't', .arg = "N", .help = "only theme N (1-6 in the first plan)"},
	{.name = "objective", .key = 'o', .arg = "X.Y", .help = "only objective X.Y, e.g. 6.1"},
	{.name = "lead", .key = 'l', .arg = "CODE", .help = "only projects this organisation leads (co-led ones too)"},
	{.name = "stage",
	 .key = 's',
	 .arg = "S",
	 .help = "only projects at stage S now",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = CLI_STAGE_CHOICES},
	{.name = "confidence",
	 .key = 'c',
	 .arg = "C",
	 .help = "only projects whose latest update says C",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = CLI_CONFIDENCE_CHOICES},
	{.name = "by",
	 .key = 'b',
	 .arg = "theme|stage|lead|confidence",
	 .help = "print the grouped totals instead of the projects",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = "theme stage lead confidence"},
	{0},
};

const struct cli_command cmd_status_show = {
	.noun = "status",
	.verb = "",
	.options = cmd_status_options,
	.formats = CLI_FMT_LISTING,
	.summary = "the consolidated status of a quarter: every project, outstanding and late returns, totals",
	.help = cmd_status_help,
	.run = cmd_status_show_run,
};

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
