/* cmd_plan_show.c - `planreg plan list` and `planreg plan show [PLAN]`: the
 * editions of the plan (ListPlans, GetPlan), which one is current, and one
 * edition project by project against the one before it. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "json.h"

static const char cmd_plan_list_help[] =
	"Lists every edition of the plan the register holds, oldest first: its number\n"
	"(what --plan and --successor-of take, as does its title), which is current,\n"
	"the edition it succeeds, and how many of its projects it carried over from that\n"
	"edition, added and closed.\n";

static const char cmd_plan_show_help[] =
	"Shows one edition (default the current one) and each of its projects against\n"
	"the previous edition: carried over (from which ref, and what changed: ref,\n"
	"title, lead, cost, stage, objective, ...), new, or closed (in the previous\n"
	"edition, continued by none of this one).\n";

/* The keys of one plan, in JSON and CSV. */
static const char *const cmd_plan_show_list_keys[] = {
	"number",       "title",        "current", "previous",    "next",        "projects",     "themes",
	"carried_over", "new_projects", "closed",  "imported_at", "imported_by", "source_sha256"};

static void cmd_plan_show_number(struct output_rows *rows, const char *key, int n)
{
	if (n != 0)
		output_rows_int(rows, key, n);
	else
		output_rows_null(rows, key);
}

static void cmd_plan_show_row(struct output_rows *rows, const Planreg__V1__Plan *p)
{
	output_rows_begin(rows);
	output_rows_fields(rows, &p->base, "number title current");
	cmd_plan_show_number(rows, "previous", p->previous);
	cmd_plan_show_number(rows, "next", p->next);
	output_rows_fields(rows, &p->base, "projects themes carried_over new_projects closed imported_at imported_by");
	output_rows_str(rows, "source_sha256", p->source_sha256[0] ? p->source_sha256 : NULL);
}

static void cmd_plan_show_list_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListPlansResponse *r = answer;
	for (size_t i = 0; i < r->n_plans; i++)
		cmd_plan_show_row(rows, r->plans[i]);
}

static struct output_table *cmd_plan_show_list_table(const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListPlansResponse *r = answer;
	static const char *const headers[] = {"PLAN", "CURRENT", "SUCCEEDS", "PROJECTS", "CARRIED",
					      "NEW",  "CLOSED",  "IMPORTED", "TITLE"};
	struct output_table *t = output_table_new(headers, 9, 1u << 8);
	struct arena a = {0};
	for (size_t i = 0; i < r->n_plans; i++) {
		const Planreg__V1__Plan *p = r->plans[i];
		const char *cells[] = {arena_printf(&a, "%d", p->number),
				       p->current ? "yes" : "",
				       p->previous ? arena_printf(&a, "%d", p->previous) : "",
				       arena_printf(&a, "%d", p->projects),
				       arena_printf(&a, "%d", p->carried_over),
				       arena_printf(&a, "%d", p->new_projects),
				       arena_printf(&a, "%d", p->closed),
				       p->imported_at,
				       p->title};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

CLI_LISTING_OF(cmd_plan_show_list);

static int cmd_plan_show_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListPlansRequest body = PLANREG__V1__LIST_PLANS_REQUEST__INIT;
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_PLANS, &body, &cmd_plan_show_list_listing, NULL,
				   g.format);
}

/* ---------------------------------------------------------------- plan show */

/* One project of the edition as a row (ref and previous_ref null for 0, none). */
static void cmd_plan_show_project_row(struct output_rows *rows, const Planreg__V1__PlanProject *p)
{
	output_rows_begin(rows);
	output_rows_fields(rows, &p->base, "status");
	cmd_plan_show_number(rows, "ref", p->ref);
	cmd_plan_show_number(rows, "previous_ref", p->previous_ref);
	output_rows_fields(rows, &p->base, "title");
	output_rows_list(rows, "changed", p->changed, p->n_changed, ",");
}

/* The plan as one object, with the keys of `plan list`, and its projects against the previous edition. */
static void cmd_plan_show_json(const Planreg__V1__GetPlanResponse *r)
{
	struct output_rows *plan = output_rows_new(), *projects = output_rows_new();
	cmd_plan_show_row(plan, r->plan);
	for (size_t i = 0; i < r->n_projects; i++)
		cmd_plan_show_project_row(projects, r->projects[i]);
	struct cli_json doc;
	struct json *j = cli_json_begin(&doc);
	json_object_begin(j);
	output_rows_json_members(plan, 0, j);
	json_key(j, "project_changes");
	output_rows_json(projects, j);
	json_object_end(j);
	cli_json_end(&doc);
	output_rows_free(plan);
	output_rows_free(projects);
}

static void cmd_plan_show_record(const Planreg__V1__GetPlanResponse *r)
{
	const Planreg__V1__Plan *p = r->plan;
	struct arena a = {0};
	const char *pairs[] = {"plan",
			       arena_printf(&a, "%d%s", p->number, p->current ? " (current)" : ""),
			       "title",
			       p->title,
			       "succeeds",
			       p->previous ? arena_printf(&a, "plan %d", p->previous) : "none (the first edition)",
			       "next",
			       p->next ? arena_printf(&a, "plan %d", p->next) : "none",
			       "projects",
			       arena_printf(&a, "%d: %d carried over, %d new; %d of the previous edition closed",
					    p->projects, p->carried_over, p->new_projects, p->closed),
			       "themes",
			       arena_printf(&a, "%d", p->themes),
			       "imported",
			       arena_printf(&a, "%s by %s", p->imported_at, p->imported_by),
			       NULL};
	output_record(stdout, pairs);
	for (size_t i = 0; i < r->n_projects && p->previous != 0; i++) {
		const Planreg__V1__PlanProject *x = r->projects[i];
		if (strcmp(x->status, "carried") == 0)
			printf("  carried %d (was %d): %s%s%s\n", x->ref, x->previous_ref, x->title,
			       x->n_changed ? "; changed: " : "", output_join(&a, x->changed, x->n_changed, ", "));
		else if (strcmp(x->status, "closed") == 0)
			printf("  closed (was %d): %s\n", x->previous_ref, x->title);
		else
			printf("  new %d: %s\n", x->ref, x->title);
	}
	arena_free(&a);
}

static int cmd_plan_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__GetPlanRequest body = PLANREG__V1__GET_PLAN_REQUEST__INIT;
	body.plan = g.nargs > 0 ? g.args[0] : "";
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_PLAN, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__GetPlanResponse *r = resp->get_plan;
	if (r->plan == NULL)
		rc = cli_fail(EXIT_REFUSED, "the server's answer has no plan");
	else if (g.format == OUTPUT_JSON)
		cmd_plan_show_json(r);
	else
		cmd_plan_show_record(r);
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

const struct cli_command cmd_plan_list = {
	.noun = "plan",
	.verb = "list",
	.formats = CLI_FMT_LISTING,
	.summary = "the editions of the plan, which one is current, what each carried over",
	.help = cmd_plan_list_help,
	.run = cmd_plan_show_list_run,
};

const struct cli_command cmd_plan_show = {
	.noun = "plan",
	.verb = "show",
	.args = "[PLAN]",
	.min_args = 0,
	.max_args = 1,
	.args_what = "at most one plan, by number or title",
	.formats = CLI_FMT_RECORD,
	.summary = "one edition of the plan, project by project against the one before it",
	.help = cmd_plan_show_help,
	.run = cmd_plan_show_run,
};
