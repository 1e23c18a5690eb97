/* cmd_plan.c - `planreg plan import FILE`: parse the action-plan document
 * here, show every interpretation, and send the structured plan (ImportPlan). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "cli.h"
#include "embed.h"
#include "json.h"
#include "plan_parse.h"
#include "progress.h"
#include "text.h"

#define CMD_PLAN_MAX_BYTES (16 * 1024 * 1024)

/* data/names.tsv, compiled in (cmake/embed.cmake) */
extern const struct embedded_file embedded_names[];

static const char cmd_plan_import_help[] =
	"Reads the document as published (tab-separated rows, page headers, theme and\n"
	"objective lines, 7-column project rows), prints a warning for everything it had\n"
	"to interpret, and sends the plan to the server (admin only). Importing the same\n"
	"document again changes nothing; a changed document updates the register and the\n"
	"answer lists what changed.\n\n"
	"With --dry-run the server is asked what the import would change, writing\n"
	"nothing; when no server can be asked, the local parse is shown, and the output\n"
	"says which. --dry-run --format json prints the projects as read, in the JSON\n"
	"shape of `planreg projects list --format json`, without asking the server.\n";

/* Reads a whole file; NULL with *err on failure. */

static bool cmd_plan_load_names(const char *path, struct plan_names *names, char **err)
{
	if (path)
		return plan_names_load(path, names, err);
	return plan_names_parse(embedded_names[0].data, embedded_names[0].len, "names.tsv (built in)", names, err);
}

/* The plan's themes, each with its objectives, into q (in a). */
static void cmd_plan_request_themes(struct arena *a, const struct plan *p, Planreg__V1__ImportPlanRequest *q)
{
	for (size_t i = 0; i < p->n_themes; i++) {
		Planreg__V1__Theme *t = ARENA_NEW(a, Planreg__V1__Theme, planreg__v1__theme__init);
		t->number = p->themes[i].number;
		t->title = p->themes[i].title;
		for (size_t k = 0; k < p->n_objectives; k++) {
			if (p->objectives[k].theme != t->number)
				continue;
			Planreg__V1__Objective *o = ARENA_NEW(a, Planreg__V1__Objective, planreg__v1__objective__init);
			o->code = (char *)p->objectives[k].code;
			o->theme = t->number;
			o->title = p->objectives[k].title;
			*(Planreg__V1__Objective **)arena_push(a, &t->objectives, &t->n_objectives, sizeof o) = o;
		}
		*(Planreg__V1__Theme **)arena_push(a, &q->themes, &q->n_themes, sizeof t) = t;
	}
}

/* The organisations the plan names, each with its aliases from the names file, and the people's aliases. */
static void cmd_plan_request_names(struct arena *a, const struct plan *p, const struct plan_names *names,
				   Planreg__V1__ImportPlanRequest *q)
{
	for (size_t i = 0; i < p->n_orgs; i++) {
		Planreg__V1__Organisation *o = ARENA_NEW(a, Planreg__V1__Organisation, planreg__v1__organisation__init);
		o->code = p->orgs[i].code;
		o->name = p->orgs[i].name;
		o->kind = (Planreg__V1__OrgKind)p->orgs[i].kind;
		for (size_t k = 0; k < names->n_org_aliases; k++)
			if (strcmp(names->org_aliases[k].target, o->code) == 0)
				*(char **)arena_push(a, &o->aliases, &o->n_aliases, sizeof(char *)) =
					names->org_aliases[k].alias;
		*(Planreg__V1__Organisation **)arena_push(a, &q->organisations, &q->n_organisations, sizeof o) = o;
	}
	for (size_t k = 0; k < names->n_person_aliases; k++) {
		Planreg__V1__Alias *al = ARENA_NEW(a, Planreg__V1__Alias, planreg__v1__alias__init);
		al->alias = names->person_aliases[k].alias;
		al->target = names->person_aliases[k].target;
		*(Planreg__V1__Alias **)arena_push(a, &q->person_aliases, &q->n_person_aliases, sizeof al) = al;
	}
}

/* A cost as read from the plan (in a). */
static Planreg__V1__Cost *cmd_plan_request_cost(struct arena *a, const struct plan_cost *s)
{
	Planreg__V1__Cost *c = ARENA_NEW(a, Planreg__V1__Cost, planreg__v1__cost__init);
	c->text = s->text;
	c->status = (Planreg__V1__CostStatus)s->status;
	c->approximate = s->approximate;
	if (s->has_min) {
		c->min = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
		c->min->pence = s->min_pence;
	}
	if (s->has_max) {
		c->max = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
		c->max->pence = s->max_pence;
	}
	return c;
}

/* One project as read from the plan (in a). */
static Planreg__V1__Project *cmd_plan_request_project(struct arena *a, const struct plan_project *s)
{
	Planreg__V1__Project *d = ARENA_NEW(a, Planreg__V1__Project, planreg__v1__project__init);
	d->ref = s->ref;
	d->theme = s->theme;
	d->objective = (char *)s->objective;
	d->title = s->title;
	d->description = s->description;
	d->capital = s->capital;
	d->lead_orgs = s->lead_orgs;
	d->n_lead_orgs = s->n_lead_orgs;
	d->lead_people = s->lead_people;
	d->n_lead_people = s->n_lead_people;
	d->lead_text = s->lead_text;
	for (size_t k = 0; k < s->n_partners; k++) {
		Planreg__V1__Partner *pa = ARENA_NEW(a, Planreg__V1__Partner, planreg__v1__partner__init);
		pa->name = s->partners[k].name;
		pa->organisation = s->partners[k].org_code ? s->partners[k].org_code : "";
		*(Planreg__V1__Partner **)arena_push(a, &d->partners, &d->n_partners, sizeof pa) = pa;
	}
	d->partners_text = s->partners_text;
	d->cost = cmd_plan_request_cost(a, &s->cost);
	d->funding = s->funding;
	d->stage = (Planreg__V1__Stage)s->stage;
	d->stage_note = s->stage_note;
	d->stage_text = s->stage_text;
	return d;
}

/* Builds the request in arena a from the parsed plan and the names file. */
static void cmd_plan_request(struct arena *a, const struct plan *p, const struct plan_names *names, const char *sha256,
			     Planreg__V1__ImportPlanRequest *q)
{
	q->title = p->title;
	q->source_sha256 = (char *)sha256;
	cmd_plan_request_themes(a, p, q);
	cmd_plan_request_names(a, p, names, q);
	for (size_t i = 0; i < p->n_projects; i++) {
		Planreg__V1__Project *d = cmd_plan_request_project(a, &p->projects[i]);
		*(Planreg__V1__Project **)arena_push(a, &q->projects, &q->n_projects, sizeof d) = d;
	}
}

/* The server's answer to an import: each change, then the register's size. */
static void cmd_plan_print_changes(const Planreg__V1__ImportPlanResponse *r, const char *path, bool dry_run)
{
	size_t n = r->n_changes;
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__ImportChange *c = r->changes[i];
		printf("%s%s %s %s%s%s\n", dry_run ? "  " : "", c->kind, c->entity, c->key, c->detail[0] ? ": " : "",
		       c->detail);
	}
	if (n == 0)
		printf("no changes: the register already matches %s\n", path);
	printf("register: %d projects, %d themes, %d objectives, %d organisations (%zu change%s%s)\n", r->projects,
	       r->themes, r->objectives, r->organisations, n, n == 1 ? "" : "s", dry_run ? " if imported" : "");
}

static int cmd_plan_send(struct cli *cli, const char *path, const struct plan *plan, const struct plan_names *names,
			 const char *sha256)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest body = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_request(&a, plan, names, sha256, &body);
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &body,
		     sha256); /* the same document, the same import */
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	arena_free(&a);
	if (rc != EXIT_OK)
		return rc;
	if (resp->import_plan == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no body; nothing was shown");
	}
	cmd_plan_print_changes(resp->import_plan, path, false);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/*
 * A dry run asks the server what the import would change (it writes nothing);
 * false when no server could say, after a note on stderr: the caller then shows
 * the local parse.
 */
static bool cmd_plan_verdict(struct cli *cli, const char *path, const struct plan *plan, const struct plan_names *names,
			     const char *sha256)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest body = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_request(&a, plan, names, sha256, &body);
	body.dry_run = true;
	Planreg__V1__Response *resp = NULL;
	int rc = cli_request_quiet(cli, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &body, NULL, &resp);
	arena_free(&a);
	if (rc == EXIT_OK && resp->status->code != PLANREG__V1__CODE__OK) {
		fprintf(stderr, "planreg: the server gave no verdict (%s: %s)\n", status_code_name(resp->status->code),
			resp->status->message);
		rc = EXIT_REFUSED;
	}
	if (rc != EXIT_OK) {
		if (resp)
			planreg__v1__response__free_unpacked(resp, NULL);
		fprintf(stderr, "planreg: showing the local parse only\n");
		return false;
	}
	printf("the server's verdict on %s (dry run: nothing written):\n", path);
	cmd_plan_print_changes(resp->import_plan, path, true);
	planreg__v1__response__free_unpacked(resp, NULL);
	return true;
}

/* The server's verdict when it can give one, the local parse otherwise; never the import itself. */
static int cmd_plan_dry_run(struct cli *cli, const char *path, const struct plan *plan, const struct plan_names *names,
			    const char *sha256)
{
	if (cmd_plan_verdict(cli, path, plan, names, sha256))
		return EXIT_OK;
	size_t capital = 0;
	for (size_t i = 0; i < plan->n_projects; i++)
		capital += plan->projects[i].capital;
	printf("read \"%s\": %zu projects (%zu capital) in %zu themes and %zu objectives, naming %zu "
	       "organisations; %zu warning%s; nothing sent (--dry-run, local parse: no server's verdict)\n",
	       plan->title, plan->n_projects, capital, plan->n_themes, plan->n_objectives, plan->n_orgs,
	       plan->n_warnings, plan->n_warnings == 1 ? "" : "s");
	return EXIT_OK;
}

/* Reads and parses the document at path into *plan, with its SHA-256 (the import's key); the exit code. */
static int cmd_plan_read(const char *path, const struct plan_names *names, struct plan *plan, char sha256[65])
{
	char *err = NULL;
	size_t len = 0;
	char *doc = file_read(path, CMD_PLAN_MAX_BYTES, &len, &err);
	if (doc == NULL) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(doc, len, md, &mdlen, EVP_sha256(), NULL);
	text_hex(md, mdlen, sha256);
	struct plan_error perr;
	bool parsed = plan_parse(doc, len, names, plan, &perr);
	free(doc);
	if (parsed)
		return EXIT_OK;
	if (perr.line > 0)
		return cli_fail(EXIT_USAGE, "%s:%d: %s", path, perr.line, perr.message);
	return cli_fail(EXIT_USAGE, "%s: %s", path, perr.message);
}

/* Everything the reader had to interpret, as FILE:LINE: warning: ... on stderr. */
static void cmd_plan_warnings(const char *path, const struct plan *plan)
{
	for (size_t i = 0; i < plan->n_warnings; i++) {
		const struct plan_warning *w = &plan->warnings[i];
		if (w->line > 0)
			fprintf(stderr, "%s:%d: warning: %s\n", path, w->line, w->message);
		else
			fprintf(stderr, "%s: warning: %s\n", path, w->message);
	}
}

/* --dry-run --format json: the projects as read, in the shape of `projects list --format json`. */
static void cmd_plan_print_projects(const struct plan *plan, const struct plan_names *names, const char *sha256)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest q = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_request(&a, plan, names, sha256, &q);
	struct cli_json doc;
	cli_projects_json(cli_json_begin(&doc), q.projects, q.n_projects);
	cli_json_end(&doc);
	arena_free(&a);
}

/* The import, or the dry run's verdict, with the time waited shown on a terminal. */
static int cmd_plan_submit(struct cli *cli, const char *path, const struct plan *plan, const struct plan_names *names,
			   const char *sha256, bool dry_run)
{
	/* one request, one transaction: nothing to count, so on a terminal the bar shows the time waited */
	char what[80];
	snprintf(what, sizeof what, "importing %zu projects%s", plan->n_projects, dry_run ? " (dry run)" : "");
	struct progress bar;
	progress_begin(&bar, cli->stderr_tty, what, 0);
	cli->waiting = &bar;
	int rc = dry_run ? cmd_plan_dry_run(cli, path, plan, names, sha256)
			 : cmd_plan_send(cli, path, plan, names, sha256);
	cli->waiting = NULL;
	progress_end(&bar);
	return rc;
}

static int cmd_plan_import_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	bool dry_run = cli_getopt_value(&g, 'n') != NULL, quiet = cli_getopt_value(&g, 'q') != NULL;
	const char *names_path = cli_getopt_value(&g, 'N');
	bool json = g.format_given && g.format == OUTPUT_JSON;
	if (json && !dry_run)
		return cli_usage(self, "--format json goes with --dry-run (an import prints what changed)");
	const char *path = g.args[0];
	char *err = NULL, sha256[65];
	struct plan_names names;
	if (!cmd_plan_load_names(names_path, &names, &err)) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	struct plan plan;
	int rc = cmd_plan_read(path, &names, &plan, sha256);
	if (rc == EXIT_OK) {
		if (!quiet)
			cmd_plan_warnings(path, &plan);
		if (json)
			cmd_plan_print_projects(&plan, &names, sha256);
		else
			rc = cmd_plan_submit(cli, path, &plan, &names, sha256, dry_run);
		plan_free(&plan);
	}
	plan_names_free(&names);
	return rc;
}

static const struct cli_option cmd_plan_import_options[] = {
	{.name = "dry-run", .key = 'n', .help = "ask the server what would change (or parse only); nothing is written"},
	{.name = "names",
	 .key = 'N',
	 .arg = "FILE",
	 .help = "organisation and people names file (default: the built-in data/names.tsv)",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "quiet", .key = 'q', .short_name = true, .help = "do not print the warnings"},
	{0},
};

const struct cli_command cmd_plan_import = {
	.noun = "plan",
	.verb = "import",
	.args = "FILE",
	.min_args = 1,
	.max_args = 1,
	.args_what = "exactly one document to import",
	.options = cmd_plan_import_options,
	.formats = CLI_FMT_RECORD,
	.summary = "import an action-plan document (admin; --dry-run: what would change)",
	.help = cmd_plan_import_help,
	.run = cmd_plan_import_run,
};
