/* cmd_projects.c - `planreg projects list|show`: the register's projects, as a
 * table, CSV, or the stable JSON shape (docs/json.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli_options.h"
#include "json.h"
#include "money.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_projects_list_help[] = "Lists every project matching the filters (all pages).\n";

/* The columns the register does not read, each "NAME: value" (in a). */
static char **cmd_projects_attributes(struct arena *a, const Planreg__V1__Project *p)
{
	char **items = arena_alloc(a, (p->n_attributes + 1) * sizeof *items);
	for (size_t i = 0; i < p->n_attributes; i++)
		items[i] = arena_printf(a, "%s: %s", p->attributes[i]->name, p->attributes[i]->value);
	return items;
}

/* The partners' names: the array is malloc'd, the names are the project's. */
static char **cmd_projects_partners(const Planreg__V1__Project *p)
{
	char **names = xcalloc(p->n_partners + 1, sizeof *names);
	for (size_t i = 0; i < p->n_partners; i++)
		names[i] = p->partners[i]->name;
	return names;
}

void cli_money_json(struct json *j, const char *key, const Planreg__V1__Money *m)
{
	json_key(j, key);
	if (m)
		json_int(j, m->pence);
	else
		json_null(j);
}

void cli_money_row(struct output_rows *rows, const char *key, const Planreg__V1__Money *m)
{
	if (m)
		output_rows_int(rows, key, m->pence);
	else
		output_rows_null(rows, key);
}

void cli_cost_json(struct json *j, const Planreg__V1__Cost *c)
{
	json_object_begin(j);
	json_kv_str(j, "text", c ? c->text : "");
	json_kv_str(j, "status", c ? values_cost_status_name((enum cost_status)c->status) : "unknown");
	cli_money_json(j, "min_pence", c ? c->min : NULL);
	cli_money_json(j, "max_pence", c ? c->max : NULL);
	json_kv_bool(j, "approximate", c && c->approximate);
	json_object_end(j);
}

int cli_ref_arg(const struct cli_command *cmd, const char *s, int32_t *ref)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 100000)
		return cli_usage(cmd, "\"%s\" is not a project reference (a number such as 12)", s);
	*ref = (int32_t)v;
	return EXIT_OK;
}

void cli_project_json(struct json *j, const Planreg__V1__Project *p)
{
	json_object_begin(j);
	json_kv_int(j, "ref", p->ref);
	json_kv_int(j, "theme", p->theme);
	json_kv_str(j, "objective", p->objective);
	json_kv_str(j, "title", p->title);
	json_kv_str(j, "description", p->description);
	json_kv_bool(j, "capital", p->capital);
	cli_json_strings(j, "lead_orgs", p->lead_orgs, p->n_lead_orgs);
	cli_json_strings(j, "lead_people", p->lead_people, p->n_lead_people);
	char **partners = cmd_projects_partners(p);
	cli_json_strings(j, "partners", partners, p->n_partners);
	free(partners);
	json_key(j, "cost");
	cli_cost_json(j, p->cost);
	json_kv_str(j, "funding", p->funding);
	const char *stage = values_stage_name((enum stage)p->stage);
	json_kv_str(j, "stage", stage ? stage : "");
	json_kv_str(j, "stage_note", p->stage_note);
	struct arena a = {0};
	cli_json_strings(j, "attributes", cmd_projects_attributes(&a, p), p->n_attributes);
	arena_free(&a);
	json_key(j, "assignee");
	if (p->assignee_id) {
		json_object_begin(j);
		json_kv_int(j, "id", p->assignee_id);
		json_kv_str(j, "name", p->assignee);
		json_kv_str(j, "email", p->assignee_email);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_object_end(j);
}

static const char *cmd_projects_money(const Planreg__V1__Money *m, char buf[MONEY_FMT_MAX])
{
	if (m == NULL)
		return "";
	money_format(m->pence, buf);
	return buf;
}

/* The CSV columns: the JSON keys in order, the cost object flattened to cost_KEY (docs/json.md). */
static const char *const cmd_projects_keys[] = {
	"ref",         "theme",    "objective",  "title",       "description",    "capital",        "lead_orgs",
	"lead_people", "partners", "cost_text",  "cost_status", "cost_min_pence", "cost_max_pence", "cost_approximate",
	"funding",     "stage",    "stage_note", "attributes",  "assignee_id",    "assignee_name",  "assignee_email"};

static void cmd_projects_row(struct output_rows *rows, const Planreg__V1__Project *p)
{
	const Planreg__V1__Cost *c = p->cost;
	output_rows_begin(rows);
	output_rows_int(rows, "ref", p->ref);
	output_rows_int(rows, "theme", p->theme);
	output_rows_str(rows, "objective", p->objective);
	output_rows_str(rows, "title", p->title);
	output_rows_str(rows, "description", p->description);
	output_rows_bool(rows, "capital", p->capital);
	output_rows_list(rows, "lead_orgs", p->lead_orgs, p->n_lead_orgs, ";");
	output_rows_list(rows, "lead_people", p->lead_people, p->n_lead_people, ";");
	char **partners = cmd_projects_partners(p);
	output_rows_list(rows, "partners", partners, p->n_partners, ";");
	free(partners);
	output_rows_str(rows, "cost_text", c ? c->text : "");
	output_rows_str(rows, "cost_status", c ? values_cost_status_name((enum cost_status)c->status) : "unknown");
	cli_money_row(rows, "cost_min_pence", c ? c->min : NULL);
	cli_money_row(rows, "cost_max_pence", c ? c->max : NULL);
	output_rows_bool(rows, "cost_approximate", c && c->approximate);
	output_rows_str(rows, "funding", p->funding);
	output_rows_str(rows, "stage", values_stage_name((enum stage)p->stage));
	output_rows_str(rows, "stage_note", p->stage_note);
	struct arena a = {0};
	output_rows_list(rows, "attributes", cmd_projects_attributes(&a, p), p->n_attributes, "\n");
	arena_free(&a);
	if (p->assignee_id)
		output_rows_int(rows, "assignee_id", p->assignee_id);
	else
		output_rows_null(rows, "assignee_id");
	output_rows_str(rows, "assignee_name", p->assignee_id ? p->assignee : NULL);
	output_rows_str(rows, "assignee_email", p->assignee_id ? p->assignee_email : NULL);
}

static void cmd_projects_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	const struct cli_projects_pages *all = answer;
	for (size_t i = 0; i < all->n; i++)
		cmd_projects_row(rows, all->ps[i]);
}

void cli_projects_json(struct json *j, Planreg__V1__Project *const *ps, size_t n)
{
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		cli_project_json(j, ps[i]);
	json_array_end(j);
}

static void cmd_projects_json(struct json *j, const void *answer, const void *arg)
{
	const struct cli_projects_pages *all = answer;
	cli_projects_json(j, all->ps, all->n);
}

static struct output_table *cmd_projects_table(const void *answer, const void *arg)
{
	const struct cli_projects_pages *all = answer;
	static const char *const headers[] = {"REF", "OBJ", "STAGE", "CAP", "LEAD", "COST", "TITLE"};
	struct output_table *t = output_table_new(headers, 7, 1u << 6);
	struct arena a = {0};
	for (size_t i = 0; i < all->n; i++) {
		const Planreg__V1__Project *p = all->ps[i];
		const char *cells[] = {arena_printf(&a, "%d", p->ref),
				       p->objective,
				       values_stage_name((enum stage)p->stage),
				       p->capital ? "#" : "",
				       output_join(&a, p->lead_orgs, p->n_lead_orgs, ","),
				       p->cost ? p->cost->text : "",
				       p->title};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

static const struct cli_listing cmd_projects_listing = {
	.keys = CLI_LISTING_KEYS(cmd_projects_keys),
	.rows = cmd_projects_rows,
	.json = cmd_projects_json,
	.table = cmd_projects_table,
};

/* One option of projects list into body; false after a usage error. */
static bool cmd_projects_option(const struct cli_command *self, int ch, Planreg__V1__ListProjectsRequest *body)
{
	char *end;
	struct cli_filter f = {&body->theme, &body->objective, &body->lead_org, &body->stage, NULL};
	int filtered = cli_options_filter(self, ch, &f);
	if (filtered != 0)
		return filtered > 0;
	switch (ch) {
	case 'c':
		body->capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY;
		break;
	case 'C':
		body->capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_NONE;
		break;
	case 'x':
		body->text = optarg;
		break;
	case CLI_KEY_PLAN:
		body->plan = optarg;
		break;
	case 'p':
		body->page_size = (int32_t)strtol(optarg, &end, 10);
		if (*end != '\0' || end == optarg || body->page_size < 1 || body->page_size > 1000)
			return cli_usage(self, "--page-size takes a number from 1 to 1000, not \"%s\"", optarg), false;
		break;
	}
	return true;
}

static int cmd_projects_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	Planreg__V1__ListProjectsRequest body = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		if (!cmd_projects_option(self, ch, &body))
			return EXIT_USAGE;
	if (ch < 0)
		return g.rc;

	struct cli_projects_pages all;
	int rc = cli_projects_fetch(cli, &body, &all);
	if (rc == EXIT_OK)
		cli_listing_print(&cmd_projects_listing, &all, NULL, g.format);
	cli_projects_pages_free(&all);
	return rc;
}

void cli_projects_pages_free(struct cli_projects_pages *pages)
{
	for (size_t i = 0; i < pages->n_resps; i++)
		planreg__v1__response__free_unpacked(pages->resps[i], NULL);
	free(pages->resps);
	free(pages->ps);
	memset(pages, 0, sizeof *pages);
}

int cli_projects_fetch(struct cli *cli, Planreg__V1__ListProjectsRequest *body, struct cli_projects_pages *pages)
{
	memset(pages, 0, sizeof *pages);
	size_t cap_r = 0, cap_p = 0;
	char *token = NULL;
	int rc;
	for (;;) {
		body->page_token = token ? token : "";
		Planreg__V1__Response *resp;
		rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_PROJECTS, body, &resp);
		free(token);
		token = NULL;
		if (rc != EXIT_OK)
			break;
		pages->resps = xgrow(pages->resps, &cap_r, pages->n_resps + 1, sizeof *pages->resps);
		pages->resps[pages->n_resps++] = resp;
		const Planreg__V1__ListProjectsResponse *r = resp->list_projects;
		pages->ps = xgrow(pages->ps, &cap_p, pages->n + r->n_projects, sizeof *pages->ps);
		for (size_t i = 0; i < r->n_projects; i++)
			pages->ps[pages->n++] = r->projects[i];
		if (r->next_page_token[0] == '\0')
			break;
		token = xstrdup(r->next_page_token);
	}
	body->page_token = "";
	if (rc != EXIT_OK)
		cli_projects_pages_free(pages);
	return rc;
}

/* The cost as the record shows it: "£1.2M (known, about £1,200,000)" (in a). */
static const char *cmd_projects_cost_text(struct arena *a, const Planreg__V1__Cost *c)
{
	if (c == NULL)
		return "";
	char mn[MONEY_FMT_MAX], mx[MONEY_FMT_MAX];
	const char *status = values_cost_status_name((enum cost_status)c->status),
		   *about = c->approximate ? "about " : "";
	if (c->min && c->max && c->min->pence == c->max->pence)
		return arena_printf(a, "%s (%s, %s%s)", c->text, status, about, cmd_projects_money(c->min, mn));
	if (c->min)
		return arena_printf(a, "%s (%s, %s%s%s%s)", c->text, status, about, cmd_projects_money(c->min, mn),
				    c->max ? " to " : " or more", c->max ? cmd_projects_money(c->max, mx) : "");
	return arena_printf(a, "%s (%s)", c->text, status);
}

/* One project as "key: value" lines. */
static void cmd_projects_record(const Planreg__V1__Project *p)
{
	struct arena a = {0};
	char **partners = cmd_projects_partners(p);
	const char *stage = values_stage_name((enum stage)p->stage);
	const char *pairs[] = {"ref",
			       arena_printf(&a, "%d", p->ref),
			       "title",
			       p->title,
			       "theme",
			       arena_printf(&a, "%d", p->theme),
			       "objective",
			       p->objective,
			       "capital",
			       p->capital ? "yes" : "no",
			       "lead",
			       output_join(&a, p->lead_orgs, p->n_lead_orgs, ", "),
			       "lead people",
			       output_join(&a, p->lead_people, p->n_lead_people, ", "),
			       "partners",
			       output_join(&a, partners, p->n_partners, "; "),
			       "cost",
			       cmd_projects_cost_text(&a, p->cost),
			       "funding",
			       p->funding,
			       "stage",
			       p->stage_note[0] ? arena_printf(&a, "%s (%s)", stage, p->stage_note) : stage,
			       "description",
			       p->description,
			       "assigned to",
			       p->assignee_id ? arena_printf(&a, "%s <%s> (person %lld)", p->assignee,
							     p->assignee_email, (long long)p->assignee_id)
					      : "nobody (its reminders go to its lead organisation's contacts)",
			       p->n_attributes ? "attributes" : NULL,
			       output_join(&a, cmd_projects_attributes(&a, p), p->n_attributes, "; "),
			       NULL};
	output_record(stdout, pairs);
	free(partners);
	arena_free(&a);
}

static int cmd_projects_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__GetProjectRequest body = PLANREG__V1__GET_PROJECT_REQUEST__INIT;
	body.plan = (char *)(cli_getopt_value(&g, CLI_KEY_PLAN) ? cli_getopt_value(&g, CLI_KEY_PLAN) : "");
	int rc = cli_ref_arg(self, g.args[0], &body.ref);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_PROJECT, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Project *p = resp->get_project->project;
	if (p == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no project");
	}
	if (g.format == OUTPUT_JSON) {
		struct cli_json doc;
		cli_project_json(cli_json_begin(&doc), p);
		cli_json_end(&doc);
	} else {
		cmd_projects_record(p);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static const struct cli_option cmd_projects_list_options[] = {
	{CLI_OPTION_THEME},
	{CLI_OPTION_OBJECTIVE},
	{CLI_OPTION_LEAD},
	{CLI_OPTION_STAGE},
	{.name = "capital", .key = 'c', .help = "capital projects only"},
	{.name = "no-capital", .key = 'C', .help = "revenue projects only"},
	{.name = "text", .key = 'x', .arg = "TEXT", .help = "title or description contains TEXT (any case)"},
	{.name = "page-size", .key = 'p', .arg = "N", .help = "projects per request (default 100, at most 1000)"},
	{CLI_OPTION_PLAN},
	{0},
};

static const struct cli_option cmd_projects_show_options[] = {
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_projects_list = {
	.noun = "projects",
	.verb = "list",
	.options = cmd_projects_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "list projects of the register",
	.help = cmd_projects_list_help,
	.run = cmd_projects_list_run,
};

const struct cli_command cmd_projects_show = {
	.noun = "projects",
	.verb = "show",
	.args = "REF",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one project reference",
	.options = cmd_projects_show_options,
	.formats = CLI_FMT_RECORD,
	.summary = "show one project",
	.run = cmd_projects_show_run,
};
