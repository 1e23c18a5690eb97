/* cmd_status.c - `planreg status [outstanding|timeliness|diff]`: the Combined
 * Authority's consolidated picture of a quarter, computed by the server
 * (GetStatus, ListOutstanding, GetTimeliness, DiffPeriods) and shown as a
 * table, CSV or JSON with one set of keys (docs/json.md). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "cli_options.h"
#include "cmd_status.h"
#include "json.h"
#include "money.h"
#include "period.h"
#include "values.h"
#include "xmalloc.h"

#define CMD_STATUS_PAGE 500 /* the server's default page */

static const char cmd_status_help[] =
	"The consolidated status of a quarter: for every project its latest update for\n"
	"the period (as known at --as-at), whether it is outstanding or late, its\n"
	"variance against the plan's cost and consistency flags; then totals by\n"
	"confidence, theme, stage and lead organisation. A submitter sees only the\n"
	"projects its organisation leads.\n\n"
	"--as-at takes 2026-10-20 (the end of that day, UTC) or 2026-10-20T09:30:00Z (a\n"
	"zone is required). --theme, --objective, --lead, --stage and --confidence keep\n"
	"only the projects that match: --stage is the stage now (the latest update's,\n"
	"else the register's); --confidence the latest update's.\n\n"
	"A project is reported when its latest update for the period was not returned\n"
	"(the colours count these only); outstanding when it has no update for the\n"
	"period or its latest revision was returned; late when its return was not\n"
	"received by the due date: reported after it, or still outstanding once it has\n"
	"passed. Money is compared like for like: the forecasts of the projects reported\n"
	"with a known plan cost against those plan costs; a forecast whose plan cost is\n"
	"not known (tbd) is counted, not compared. Flags: green_over_variance,\n"
	"stage_backwards, spend_above_forecast, narrative_repeated, missing_two_periods,\n"
	"end_date_unapproved (an end date moved with no approved change), actual_missing\n"
	"(an indicator of the project left out of the return).\n";

/* ---------------------------------------------------------------- shared */

/* The last quarter that has ended, by today's date (UTC). */
struct period cmd_status_last_ended(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	struct date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
	return period_prev(period_of_date(d));
}

/* --period: default the last quarter that has ended; normalised into out. */
int cmd_status_period(const struct cli_command *cmd, const char *opt, const char *s, struct period *p,
		      char out[PERIOD_FMT_MAX])
{
	if (s == NULL) {
		struct period last = cmd_status_last_ended();
		period_format(last, out);
		if (p)
			*p = last;
		return EXIT_OK;
	}
	return cli_options_period(cmd, opt, s, p, out);
}

const char *cmd_status_confidence(int c)
{
	return c ? values_confidence_name((enum confidence)c) : NULL;
}

const char *cmd_status_stage(int s)
{
	return s ? values_stage_name((enum stage)s) : NULL;
}

const char *cmd_status_money(const Planreg__V1__Money *m, char buf[MONEY_FMT_MAX])
{
	if (m == NULL)
		return "-";
	money_format(m->pence, buf);
	return buf;
}

bool cmd_status_change_tenths(int64_t value, int64_t base, long long *tenths)
{
	if (base <= 0)
		return false;
	__int128 d = (__int128)(value - base) * 1000;
	/* rounded half away from zero, as people round */
	*tenths = (long long)((d + (d < 0 ? -base / 2 : base / 2)) / base);
	return true;
}

void cmd_status_due_words(const char *period, const char *due, char out[96])
{
	struct period p;
	struct date d;
	if (!period_parse(period, &p) || !date_parse(due, &d)) {
		snprintf(out, 96, "%s", due && due[0] ? due : "not known");
		return;
	}
	int days = date_days_between(period_end(p), d);
	snprintf(out, 96, "%s, %d day%s after the quarter ended", due, days, days == 1 ? "" : "s");
}

void cmd_status_pct_row(struct output_rows *r, const char *key, const Planreg__V1__VariancePct *pct)
{
	if (pct)
		output_rows_decimal(r, key, pct->tenths, 1);
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
		if (cli_page_halved(resp, &body->page_size))
			continue;
		const Planreg__V1__Status *st = resp->status;
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
						      "outstanding",
						      "assurance",
						      "assurance_rationale",
						      "assurance_rated_at",
						      "ratings_differ",
						      "return_end_date",
						      "original_cost_pence",
						      "original_end_date",
						      "approved_cost_pence",
						      "approved_end_date",
						      "variance_original_pct",
						      "variance_approved_pct",
						      "end_slip_original_days",
						      "end_slip_approved_days",
						      "pending_changes",
						      "indicators"};

static const char *const cmd_status_group_keys[] = {"key",
						    "name",
						    "projects",
						    "reported",
						    "outstanding",
						    "late",
						    "green",
						    "amber_green",
						    "amber",
						    "amber_red",
						    "red",
						    "returned",
						    "none",
						    "spend_pence",
						    "forecast_pence",
						    "plan_cost_pence",
						    "compared_projects",
						    "compared_forecast_pence",
						    "compared_plan_cost_pence",
						    "forecast_without_plan_cost",
						    "assurance_green",
						    "assurance_amber_green",
						    "assurance_amber",
						    "assurance_amber_red",
						    "assurance_red",
						    "assurance_unrated",
						    "ratings_differ"};

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
	cli_money_row(r, "plan_cost_pence",
		      p->plan_cost && p->plan_cost->status == PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN
			      ? p->plan_cost->min
			      : NULL);
	cli_money_row(r, "spend_pence", p->spend_to_date);
	cli_money_row(r, "forecast_pence", p->forecast_total);
	cmd_status_pct_row(r, "variance_pct", p->variance);
	output_rows_list(r, "flags", p->flags, p->n_flags, ";");
	output_rows_bool(r, "outstanding", p->outstanding);
	cmd_status_assure_row(r, p);
}

/* The rating columns of a group: the colours of reported projects, then returned, then no return. */
static const char *const cmd_status_conf_names[] = {"green", "amber_green", "amber", "amber_red",
						    "red",   "returned",    "none"};

static int cmd_status_conf_count(Planreg__V1__CountByName **counts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(counts[i]->name, name) == 0)
			return counts[i]->count;
	return 0;
}

static void cmd_status_group_row(struct output_rows *r, const Planreg__V1__StatusGroup *g,
				 const struct cmd_status_by *by)
{
	output_rows_begin(r);
	output_rows_str(r, "key", g->key);
	output_rows_str(r, "name", g->name[0] ? g->name : NULL);
	output_rows_int(r, "projects", g->projects);
	output_rows_int(r, "reported", g->reported);
	output_rows_int(r, "outstanding", g->outstanding);
	output_rows_int(r, "late", g->late);
	for (size_t i = 0; i < CMD_STATUS_N(cmd_status_conf_names); i++)
		output_rows_int(r, cmd_status_conf_names[i],
				cmd_status_conf_count(g->by_confidence, g->n_by_confidence, cmd_status_conf_names[i]));
	output_rows_int(r, "spend_pence", g->spend_pence);
	output_rows_int(r, "forecast_pence", g->forecast_pence);
	output_rows_int(r, "plan_cost_pence", g->plan_cost_pence);
	output_rows_int(r, "compared_projects", g->compared_projects);
	output_rows_int(r, "compared_forecast_pence", g->compared_forecast_pence);
	output_rows_int(r, "compared_plan_cost_pence", g->compared_plan_cost_pence);
	output_rows_int(r, "forecast_without_plan_cost", g->forecast_without_plan_cost);
	cmd_status_group_assure_row(r, g, by);
}

/* key and an object of the counts by name (by_confidence, by_assurance: the rating names as keys). */
static void cmd_status_counts_json(struct json *j, const char *key, Planreg__V1__CountByName *const *counts, size_t n)
{
	json_key(j, key);
	json_object_begin(j);
	for (size_t i = 0; i < n; i++)
		json_kv_int(j, counts[i]->name, counts[i]->count);
	json_object_end(j);
}

static void cmd_status_groups_json(struct json *j, const char *key, Planreg__V1__StatusGroup **gs, size_t n,
				   const struct cli_status_pages *pages)
{
	struct cmd_status_by by = {key + strlen("by_"), pages};
	struct output_rows *r = output_rows_new();
	for (size_t i = 0; i < n; i++)
		cmd_status_group_row(r, gs[i], &by);
	json_key(j, key);
	output_rows_json(r, j);
	output_rows_free(r);
}

static void cmd_status_project_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const struct cli_status_pages *pages = answer;
	for (size_t i = 0; i < pages->n_projects; i++)
		cmd_status_project_row(r, pages->projects[i]);
}

/* The JSON of status: the quarter, its projects and the totals (docs/json.md). */
static void cmd_status_json(struct json *j, const void *answer, const void *arg)
{
	static const Planreg__V1__StatusTotals no_totals = PLANREG__V1__STATUS_TOTALS__INIT;
	const struct cli_status_pages *pages = answer;
	const Planreg__V1__GetStatusResponse *g = pages->first;
	const Planreg__V1__StatusTotals *t = g->totals ? g->totals : &no_totals;
	json_object_begin(j);
	json_kv_str(j, "period", cli_period_name(g->period));
	json_kv_str(j, "due", g->due[0] ? g->due : NULL);
	json_kv_str(j, "as_at", g->as_at[0] ? g->as_at : NULL);
	struct output_rows *r = output_rows_new();
	cmd_status_project_rows(r, pages, NULL);
	json_key(j, "projects");
	output_rows_json(r, j);
	output_rows_free(r);
	json_key(j, "totals");
	json_object_begin(j);
	cli_json_fields(j, &t->base, "projects reported outstanding late returned");
	cmd_status_counts_json(j, "by_confidence", t->by_confidence, t->n_by_confidence);
	cmd_status_groups_json(j, "by_theme", t->by_theme, t->n_by_theme, pages);
	cmd_status_groups_json(j, "by_stage", t->by_stage, t->n_by_stage, pages);
	cmd_status_groups_json(j, "by_lead", t->by_lead, t->n_by_lead, pages);
	cli_json_fields(j, &t->base,
			"spend_pence forecast_pence plan_cost_pence compared_projects compared_forecast_pence "
			"compared_plan_cost_pence forecast_without_plan_cost");
	cmd_status_counts_json(j, "by_assurance", t->by_assurance, t->n_by_assurance);
	cli_json_fields(j, &t->base, "ratings_differ");
	json_object_end(j);
	json_kv_str(j, "rating_scale", g->rating_scale[0] ? g->rating_scale : NULL);
	json_object_end(j);
}

/* The headline's line of ratings: the colours add up to the reported projects. */
static void cmd_status_headline_ratings(const Planreg__V1__StatusTotals *t)
{
	printf("Reported %d by confidence:", t->reported);
	const char *sep = " ";
	for (size_t i = 0; i < t->n_by_confidence; i++) {
		const char *name = t->by_confidence[i]->name;
		bool colour = strcmp(name, "returned") != 0 && strcmp(name, "none") != 0;
		if (!colour)
			continue;
		printf("%s%s %d", sep, name, t->by_confidence[i]->count);
		sep = ", ";
	}
	printf("; returned %d, no return %d\n", cmd_status_conf_count(t->by_confidence, t->n_by_confidence, "returned"),
	       cmd_status_conf_count(t->by_confidence, t->n_by_confidence, "none"));
}

/* The headline's money, like for like: forecasts only against the plan costs of the same projects. */
static void cmd_status_headline_money(const Planreg__V1__StatusTotals *t)
{
	char spend[MONEY_FMT_MAX], forecast[MONEY_FMT_MAX], plan[MONEY_FMT_MAX], pct[16] = "";
	money_format(t->spend_pence, spend);
	money_format(t->compared_forecast_pence, forecast);
	money_format(t->compared_plan_cost_pence, plan);
	long long tenths;
	if (cmd_status_change_tenths(t->compared_forecast_pence, t->compared_plan_cost_pence, &tenths))
		snprintf(pct, sizeof pct, " (%+.1f%%)", (double)tenths / 10.0);
	printf("Spend to date %s. Forecast %s against a plan cost of %s%s for the %d project%s reported with both;\n",
	       spend, forecast, plan, pct, t->compared_projects, t->compared_projects == 1 ? "" : "s");
	printf("  %d more reported a forecast but %s no known plan cost (tbd): counted, not compared\n",
	       t->forecast_without_plan_cost, t->forecast_without_plan_cost == 1 ? "has" : "have");
}

/* The headline numbers of the quarter, and what each means. */
static void cmd_status_headline(const Planreg__V1__GetStatusResponse *g, const Planreg__V1__StatusTotals *t)
{
	printf("Status of %s, due %s, as at %s\n", cli_period_heading(g->period), g->due[0] ? g->due : "-", g->as_at);
	printf("Projects %d: %d reported, %d outstanding (%d returned), %d late\n", t->projects, t->reported,
	       t->outstanding, t->returned, t->late);
	cmd_status_headline_ratings(t);
	cmd_status_headline_money(t);
	cmd_status_headline_assurance(t);
	char due[96];
	cmd_status_due_words(g->period, g->due, due);
	printf("Reported: a return received and not sent back. Outstanding: no return yet, or sent back\n"
	       "(returned) for correction. Late: returns not received by the due date, %s:\n"
	       "received after it, or still outstanding once it has passed.\n\n",
	       due);
}

/* One project's line of the table (strings in a). */
static void cmd_status_table_row(struct output_table *tab, struct arena *a, const Planreg__V1__ProjectStatus *p)
{
	bool has = p->update_id != 0;
	const char *review = cmd_status_review(p);
	const char *cells[] = {
		arena_printf(a, "%d", p->ref),
		p->objective,
		output_join(a, p->lead_orgs, p->n_lead_orgs, ","),
		has ? cmd_status_stage(p->stage) : "-",
		has ? cmd_status_confidence(p->confidence) : (p->outstanding ? "OUTSTANDING" : "-"),
		p->assurance ? arena_printf(a, "%s%s", cmd_status_confidence(p->assurance->rating),
					    p->ratings_differ ? " (differs)" : "")
			     : "-",
		has ? arena_printf(a, "%d", p->revision) : "-",
		has ? arena_printf(a, "%.10s", p->submitted_at) : "-",
		has ? (p->on_time ? "yes" : "late") : (p->late ? "late" : "-"),
		review ? review : "-",
		p->variance ? arena_printf(a, "%+.1f%%", p->variance->tenths / 10.0) : "-",
		p->n_flags ? output_join(a, p->flags, p->n_flags, ",") : "-",
		p->title,
	};
	output_table_row(tab, cells);
}

/* The headline numbers, then a line per project. */
static struct output_table *cmd_status_table(const void *answer, const void *arg)
{
	static const Planreg__V1__StatusTotals no_totals = PLANREG__V1__STATUS_TOTALS__INIT;
	const struct cli_status_pages *pages = answer;
	cmd_status_headline(pages->first, pages->first->totals ? pages->first->totals : &no_totals);
	static const char *const headers[] = {"REF",       "THEME", "LEAD",      "STAGE",   "CONFIDENCE",
					      "CA RATING", "REV",   "SUBMITTED", "ON TIME", "REVIEW",
					      "VARIANCE",  "FLAGS", "TITLE"};
	struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), 1u << 12);
	struct arena a = {0};
	for (size_t i = 0; i < pages->n_projects; i++)
		cmd_status_table_row(tab, &a, pages->projects[i]);
	arena_free(&a);
	return tab;
}

/* The grouping of the totals that --by names, its size in *n. */
static Planreg__V1__StatusGroup *const *cmd_status_grouping(const Planreg__V1__StatusTotals *t, const char *by,
							    size_t *n)
{
	if (strcmp(by, "theme") == 0)
		return *n = t->n_by_theme, t->by_theme;
	if (strcmp(by, "stage") == 0)
		return *n = t->n_by_stage, t->by_stage;
	if (strcmp(by, "lead") == 0)
		return *n = t->n_by_lead, t->by_lead;
	return *n = t->n_by_confidence_group, t->by_confidence_group;
}

/* status --by: the answer is the totals, arg the grouping (struct cmd_status_by). */
static void cmd_status_group_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const struct cmd_status_by *by = arg;
	size_t n;
	Planreg__V1__StatusGroup *const *gs = cmd_status_grouping(answer, by->by, &n);
	for (size_t i = 0; i < n; i++)
		cmd_status_group_row(r, gs[i], by);
}

static struct output_table *cmd_status_group_table(const void *answer, const void *arg)
{
	const struct cmd_status_by *by = arg;
	size_t n;
	Planreg__V1__StatusGroup *const *gs = cmd_status_grouping(answer, by->by, &n);
	static const char *const headers[] = {"KEY",       "PROJECTS",    "REPORTED", "OUTSTANDING", "LATE",
					      "GREEN",     "AMBER_GREEN", "AMBER",    "AMBER_RED",   "RED",
					      "RETURNED",  "NONE",        "SPEND",    "FORECAST",    "PLAN COST",
					      "CA RATING", "NAME"};
	struct arena a = {0};
	enum { counts = 4, ratings = CMD_STATUS_N(cmd_status_conf_names) };
	struct output_table *tab = output_table_new(headers, CMD_STATUS_N(headers), 1u << 15 | 1u << 16);
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__StatusGroup *g = gs[i];
		char num[counts + ratings][16], spend[MONEY_FMT_MAX], forecast[MONEY_FMT_MAX], plan[MONEY_FMT_MAX];
		int v[counts] = {g->projects, g->reported, g->outstanding, g->late};
		for (int k = 0; k < counts; k++)
			snprintf(num[k], sizeof num[k], "%d", v[k]);
		for (int k = 0; k < ratings; k++)
			snprintf(num[counts + k], sizeof num[counts + k], "%d",
				 cmd_status_conf_count(g->by_confidence, g->n_by_confidence, cmd_status_conf_names[k]));
		money_format(g->spend_pence, spend);
		money_format(g->forecast_pence, forecast);
		money_format(g->plan_cost_pence, plan);
		const char *cells[] = {g->key, num[0],   num[1], num[2],
				       num[3], num[4],   num[5], num[6],
				       num[7], num[8],   num[9], num[10],
				       spend,  forecast, plan,   cmd_status_group_ratings_text(&a, g, by),
				       g->name};
		output_table_row(tab, cells);
	}
	arena_free(&a);
	return tab;
}

CLI_LISTING_OF(cmd_status_group);

static const struct cli_listing cmd_status_listing = {
	.keys = CLI_LISTING_KEYS(cmd_status_project_keys),
	.rows = cmd_status_project_rows,
	.json = cmd_status_json,
	.table = cmd_status_table,
};

/* One option of status into body (or *period, *by); false after a usage error. */
static bool cmd_status_option(const struct cli_command *cmd, int ch, Planreg__V1__GetStatusRequest *body,
			      Planreg__V1__Timestamp *as_at, const char **period, const char **by)
{
	char ts[TIMESTAMP_FMT_MAX];
	struct cli_filter filter = {&body->theme, &body->objective, &body->lead_org, &body->stage, &body->confidence};
	int filtered = cli_options_filter(cmd, ch, &filter);
	if (filtered != 0)
		return filtered > 0;
	switch (ch) {
	case CLI_KEY_PERIOD:
		*period = optarg;
		break;
	case CLI_KEY_PLAN:
		body->plan = optarg;
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
	char ps[PERIOD_FMT_MAX];
	if (cmd_status_period(self, "--period", period, NULL, ps) != EXIT_OK)
		return EXIT_USAGE;
	body.period = ps;
	struct cli_status_pages pages;
	int rc = cli_status_fetch(cli, &body, CMD_STATUS_PAGE, &pages);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__StatusTotals *t = pages.first->totals;
	if (by != NULL && t != NULL) {
		struct cmd_status_by grouping = {by, &pages};
		cli_listing_print(&cmd_status_group_listing, t, &grouping, g.format);
	} else {
		cli_listing_print(&cmd_status_listing, &pages, NULL, g.format);
	}
	cli_status_pages_free(&pages);
	return EXIT_OK;
}

static const struct cli_option cmd_status_options[] = {
	{CLI_OPTION_PERIOD, .when_absent = "the last quarter that has ended"},
	{.name = "as-at", .key = 'a', .arg = "TIME", .help = "what was known then (default now)"},
	{CLI_OPTION_THEME},
	{CLI_OPTION_OBJECTIVE},
	{CLI_OPTION_LEAD},
	{CLI_OPTION_STAGE},
	{CLI_OPTION_CONFIDENCE},
	{CLI_OPTION_PLAN},
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
