/* cmd_projects.c - `planreg projects list|show`: the register's projects, as a
 * table, CSV, or the stable JSON shape (docs/json.md). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "money.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_projects_list_help[] =
	"Lists every project matching the filters (all pages).\n\n"
	"Options:\n"
	"  --theme N          projects of theme N\n"
	"  --objective CODE   projects of objective CODE, e.g. 6.1\n"
	"  --lead ORG         projects led (or co-led) by organisation ORG, e.g. LCC\n"
	"  --stage STAGE      concept, early_development, advanced_development, live,\n"
	"                     completed, paused or cancelled\n"
	"  --capital          capital projects only (--no-capital: revenue only)\n"
	"  --text TEXT        title or description contains TEXT (any case)\n"
	"  --page-size N      projects per request (default 100, at most 1000)\n"
	"  --format table|csv|json\n";
static const char cmd_projects_show_help[] = "Options:\n"
					     "  --format table|json   output format (default table)\n";

/* ", "-joined list into b */
static void cmd_projects_join(struct buf *b, char **items, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(b, sep);
		buf_puts(b, items[i]);
	}
}

static void cmd_projects_partners(struct buf *b, const Planreg__V1__Project *p, const char *sep)
{
	for (size_t i = 0; i < p->n_partners; i++) {
		if (i)
			buf_puts(b, sep);
		buf_puts(b, p->partners[i]->name);
	}
}

void cli_money_json(struct json *j, const char *key, const Planreg__V1__Money *m)
{
	json_key(j, key);
	if (m)
		json_int(j, m->pence);
	else
		json_null(j);
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
	json_key(j, "lead_orgs");
	json_array_begin(j);
	for (size_t i = 0; i < p->n_lead_orgs; i++)
		json_str(j, p->lead_orgs[i]);
	json_array_end(j);
	json_key(j, "lead_people");
	json_array_begin(j);
	for (size_t i = 0; i < p->n_lead_people; i++)
		json_str(j, p->lead_people[i]);
	json_array_end(j);
	json_key(j, "partners");
	json_array_begin(j);
	for (size_t i = 0; i < p->n_partners; i++)
		json_str(j, p->partners[i]->name);
	json_array_end(j);
	json_key(j, "cost");
	cli_cost_json(j, p->cost);
	json_kv_str(j, "funding", p->funding);
	const char *stage = values_stage_name((enum stage)p->stage);
	json_kv_str(j, "stage", stage ? stage : "");
	json_kv_str(j, "stage_note", p->stage_note);
	json_object_end(j);
}

static const char *cmd_projects_money(const Planreg__V1__Money *m, char buf[MONEY_FMT_MAX])
{
	if (m == NULL)
		return "";
	money_format(m->pence, buf);
	return buf;
}

static void cmd_projects_print(Planreg__V1__Project **ps, size_t n, enum output_format fmt)
{
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++)
			cli_project_json(&j, ps[i]);
		json_array_end(&j);
		output_json_done(&b, stdout);
		return;
	}
	if (fmt == OUTPUT_CSV) {
		static const char *const headers[] = {"ref",
						      "theme",
						      "objective",
						      "title",
						      "capital",
						      "lead_orgs",
						      "lead_people",
						      "partners",
						      "cost_text",
						      "cost_status",
						      "cost_min_pence",
						      "cost_max_pence",
						      "cost_approximate",
						      "funding",
						      "stage",
						      "stage_note",
						      "description"};
		struct output_table *t = output_table_new(headers, 17, 0);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__Project *p = ps[i];
			char ref[16], theme[16], mn[24] = "", mx[24] = "";
			snprintf(ref, sizeof ref, "%d", p->ref);
			snprintf(theme, sizeof theme, "%d", p->theme);
			if (p->cost && p->cost->min)
				snprintf(mn, sizeof mn, "%lld", (long long)p->cost->min->pence);
			if (p->cost && p->cost->max)
				snprintf(mx, sizeof mx, "%lld", (long long)p->cost->max->pence);
			struct buf orgs = {0}, people = {0}, partners = {0};
			cmd_projects_join(&orgs, p->lead_orgs, p->n_lead_orgs, "; ");
			cmd_projects_join(&people, p->lead_people, p->n_lead_people, "; ");
			cmd_projects_partners(&partners, p, "; ");
			const char *cells[] = {ref,
					       theme,
					       p->objective,
					       p->title,
					       p->capital ? "true" : "false",
					       buf_str(&orgs),
					       buf_str(&people),
					       buf_str(&partners),
					       p->cost ? p->cost->text : "",
					       p->cost ? values_cost_status_name((enum cost_status)p->cost->status)
						       : "",
					       mn,
					       mx,
					       p->cost && p->cost->approximate ? "true" : "false",
					       p->funding,
					       values_stage_name((enum stage)p->stage),
					       p->stage_note,
					       p->description};
			output_table_row(t, cells);
			buf_free(&orgs);
			buf_free(&people);
			buf_free(&partners);
		}
		output_table_print(t, OUTPUT_CSV, stdout);
		output_table_free(t);
		return;
	}
	static const char *const headers[] = {"REF", "OBJ", "STAGE", "CAP", "LEAD", "COST", "TITLE"};
	struct output_table *t = output_table_new(headers, 7, 1u << 6);
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__Project *p = ps[i];
		char ref[16];
		snprintf(ref, sizeof ref, "%d", p->ref);
		struct buf orgs = {0};
		cmd_projects_join(&orgs, p->lead_orgs, p->n_lead_orgs, ",");
		const char *cells[] = {ref,
				       p->objective,
				       values_stage_name((enum stage)p->stage),
				       p->capital ? "#" : "",
				       buf_str(&orgs),
				       p->cost ? p->cost->text : "",
				       p->title};
		output_table_row(t, cells);
		buf_free(&orgs);
	}
	output_table_print(t, OUTPUT_TABLE, stdout);
	output_table_free(t);
}

static int cmd_projects_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"theme", required_argument, NULL, 't'},
					     {"objective", required_argument, NULL, 'o'},
					     {"lead", required_argument, NULL, 'l'},
					     {"stage", required_argument, NULL, 's'},
					     {"capital", no_argument, NULL, 'c'},
					     {"no-capital", no_argument, NULL, 'C'},
					     {"text", required_argument, NULL, 'x'},
					     {"page-size", required_argument, NULL, 'p'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_projects_commands[0];
	Planreg__V1__ListProjectsRequest body = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	enum output_format fmt = OUTPUT_TABLE;
	enum stage st;
	char *end;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 't':
			body.theme = (int32_t)strtol(optarg, &end, 10);
			if (*end != '\0' || body.theme < 1 || body.theme > 99)
				return cli_usage(cmd, "--theme takes a theme number, not \"%s\"", optarg);
			break;
		case 'o':
			body.objective = optarg;
			break;
		case 'l':
			body.lead_org = optarg;
			break;
		case 's':
			if (!values_stage_parse(optarg, &st))
				return cli_usage(cmd, "--stage must be one of %s, not \"%s\"", values_stage_names(),
						 optarg);
			body.stage = (Planreg__V1__Stage)st;
			break;
		case 'c':
			body.capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY;
			break;
		case 'C':
			body.capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_NONE;
			break;
		case 'x':
			body.text = optarg;
			break;
		case 'p':
			body.page_size = (int32_t)strtol(optarg, &end, 10);
			if (*end != '\0' || body.page_size < 1 || body.page_size > 1000)
				return cli_usage(cmd, "--page-size takes a number from 1 to 1000, not \"%s\"", optarg);
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);

	/* every page, kept until printed: responses own the projects */
	Planreg__V1__Response **pages = NULL;
	size_t n_pages = 0, cap_pages = 0;
	Planreg__V1__Project **all = NULL;
	size_t n_all = 0, cap_all = 0;
	char *token = NULL;
	int rc = EXIT_OK;
	for (;;) {
		Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
		body.page_token = token ? token : "";
		req.body_case = PLANREG__V1__REQUEST__BODY_LIST_PROJECTS;
		req.list_projects = &body;
		Planreg__V1__Response *resp;
		rc = cli_call(cli, &req, &resp);
		free(token);
		token = NULL;
		if (rc != EXIT_OK)
			break;
		pages = xgrow(pages, &cap_pages, n_pages + 1, sizeof *pages);
		pages[n_pages++] = resp;
		const Planreg__V1__ListProjectsResponse *r = resp->list_projects;
		if (r == NULL)
			break;
		all = xgrow(all, &cap_all, n_all + r->n_projects, sizeof *all);
		for (size_t i = 0; i < r->n_projects; i++)
			all[n_all++] = r->projects[i];
		if (r->next_page_token[0] == '\0')
			break;
		token = xstrdup(r->next_page_token);
	}
	if (rc == EXIT_OK)
		cmd_projects_print(all, n_all, fmt);
	for (size_t i = 0; i < n_pages; i++)
		planreg__v1__response__free_unpacked(pages[i], NULL);
	free(pages);
	free(all);
	return rc;
}

static int cmd_projects_show(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = &cmd_projects_commands[1];
	enum output_format fmt;
	int rc = cli_format_options(cmd, argc, argv, 1, "one project reference", false, &fmt);
	if (rc >= 0)
		return rc;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__GetProjectRequest body = PLANREG__V1__GET_PROJECT_REQUEST__INIT;
	rc = cli_ref_arg(cmd, argv[optind], &body.ref);
	if (rc != EXIT_OK)
		return rc;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_PROJECT;
	req.get_project = &body;
	Planreg__V1__Response *resp;
	rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Project *p = resp->get_project ? resp->get_project->project : NULL;
	if (p == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no project");
	}
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		cli_project_json(&j, p);
		output_json_done(&b, stdout);
	} else {
		char ref_s[16], theme[16], mn[MONEY_FMT_MAX], mx[MONEY_FMT_MAX];
		snprintf(ref_s, sizeof ref_s, "%d", p->ref);
		snprintf(theme, sizeof theme, "%d", p->theme);
		struct buf orgs = {0}, people = {0}, partners = {0}, cost = {0};
		cmd_projects_join(&orgs, p->lead_orgs, p->n_lead_orgs, ", ");
		cmd_projects_join(&people, p->lead_people, p->n_lead_people, ", ");
		cmd_projects_partners(&partners, p, "; ");
		const Planreg__V1__Cost *c = p->cost;
		if (c) {
			buf_printf(&cost, "%s (%s", c->text, values_cost_status_name((enum cost_status)c->status));
			if (c->min && c->max && c->min->pence == c->max->pence)
				buf_printf(&cost, ", %s%s", c->approximate ? "about " : "",
					   cmd_projects_money(c->min, mn));
			else if (c->min)
				buf_printf(&cost, ", %s%s%s%s", c->approximate ? "about " : "",
					   cmd_projects_money(c->min, mn), c->max ? " to " : " or more",
					   c->max ? cmd_projects_money(c->max, mx) : "");
			buf_puts(&cost, ")");
		}
		const char *stage = values_stage_name((enum stage)p->stage);
		char *stage_s = p->stage_note[0] ? xasprintf("%s (%s)", stage, p->stage_note) : xstrdup(stage);
		const char *pairs[] = {"ref",         ref_s,
				       "title",       p->title,
				       "theme",       theme,
				       "objective",   p->objective,
				       "capital",     p->capital ? "yes" : "no",
				       "lead",        buf_str(&orgs),
				       "lead people", buf_str(&people),
				       "partners",    buf_str(&partners),
				       "cost",        buf_str(&cost),
				       "funding",     p->funding,
				       "stage",       stage_s,
				       "description", p->description,
				       NULL};
		output_record(stdout, pairs);
		free(stage_s);
		buf_free(&orgs);
		buf_free(&people);
		buf_free(&partners);
		buf_free(&cost);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_projects_commands[] = {
	{"projects", "list", cmd_projects_list,
	 "[--theme N] [--objective CODE] [--lead ORG] [--stage S] [--capital|--no-capital] [--text T] "
	 "[--format table|csv|json]",
	 "list projects of the register", cmd_projects_list_help},
	{"projects", "show", cmd_projects_show, "REF [--format table|json]", "show one project",
	 cmd_projects_show_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
