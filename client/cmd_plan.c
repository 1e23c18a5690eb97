/* cmd_plan.c - `planreg plan import FILE`: parse the action-plan document
 * here, show every interpretation, and send the structured plan (ImportPlan),
 * as the same plan again or, with --successor-of, as its next edition. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "cli.h"
#include "embed.h"
#include "json.h"
#include "plan_map.h"
#include "plan_parse.h"
#include "progress.h"
#include "text.h"
#include "xmalloc.h"

#define CMD_PLAN_MAX_BYTES (16 * 1024 * 1024)

/* data/names.tsv, compiled in (cmake/embed.cmake) */
extern const struct embedded_file embedded_names[];

static const char cmd_plan_import_help[] =
	"Reads the document as published (tab-separated rows whose cells the row of\n"
	"column headings names, in any order; theme and objective lines; page headers,\n"
	"footers, legends and form feeds passed over), prints a warning for everything\n"
	"it had to interpret, and sends the plan to the server (admin only). Importing\n"
	"the same document again changes nothing; a changed document updates the\n"
	"register and the answer lists what changed.\n\n"
	"With --successor-of PLAN the document is the next edition of PLAN (the current\n"
	"plan): a new plan that becomes the current one. Each of its projects continues\n"
	"the project of the previous edition with the same title, else the one with the\n"
	"same lead and a close title, else the one a line of the --map file names\n"
	"(\"NEW_REF OLD_REF\", or \"NEW_REF new\"); the map decides first. A carried-over\n"
	"project keeps its returns and history; a closed one (in the previous edition,\n"
	"not in the new) is no longer owed returns. An import with an ambiguous match is\n"
	"refused until the map settles it: run it with --dry-run first.\n\n"
	"With --dry-run the server is asked what the import would change, writing\n"
	"nothing; when no server can be asked, the local parse is shown, and the output\n"
	"says which. --dry-run --format json prints the projects as read, in the JSON\n"
	"shape of `planreg projects list --format json`, without asking the server; with\n"
	"--successor-of it prints the server's verdict on each project instead.\n";

/* What a new edition's import says besides the document: which plan it succeeds and the map's lines. */
struct cmd_plan_edition {
	const char *successor_of; /* NULL: the same plan again */
	struct plan_map_entry *map;
	size_t n_map;
};

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
	for (size_t k = 0; k < s->n_attributes; k++) {
		Planreg__V1__Attribute *at = ARENA_NEW(a, Planreg__V1__Attribute, planreg__v1__attribute__init);
		at->name = s->attributes[k].name;
		at->value = s->attributes[k].value;
		*(Planreg__V1__Attribute **)arena_push(a, &d->attributes, &d->n_attributes, sizeof at) = at;
	}
	return d;
}

/* Builds the request in arena a from the parsed plan and the names file (and e, a new edition's, or NULL). */
static void cmd_plan_request(struct arena *a, const struct plan *p, const struct plan_names *names, const char *sha256,
			     const struct cmd_plan_edition *e, Planreg__V1__ImportPlanRequest *q)
{
	q->title = p->title;
	q->source_sha256 = (char *)sha256;
	cmd_plan_request_themes(a, p, q);
	cmd_plan_request_names(a, p, names, q);
	for (size_t i = 0; i < p->n_projects; i++) {
		Planreg__V1__Project *d = cmd_plan_request_project(a, &p->projects[i]);
		*(Planreg__V1__Project **)arena_push(a, &q->projects, &q->n_projects, sizeof d) = d;
	}
	if (e == NULL || e->successor_of == NULL)
		return;
	q->successor_of = (char *)e->successor_of;
	for (size_t i = 0; i < e->n_map; i++) {
		Planreg__V1__RefMapping *m = ARENA_NEW(a, Planreg__V1__RefMapping, planreg__v1__ref_mapping__init);
		m->ref = e->map[i].ref;
		m->previous_ref = e->map[i].previous_ref;
		*(Planreg__V1__RefMapping **)arena_push(a, &q->map, &q->n_map, sizeof m) = m;
	}
}

/* One project of a new edition's verdict: "carried 4 (was 5): Title [by title; changed: ref, lead]". */
static void cmd_plan_print_edition_change(const Planreg__V1__ImportChange *c, const char *indent)
{
	struct arena a = {0};
	if (strcmp(c->kind, "carried") == 0)
		printf("%scarried %s (was %s): %s [by %s%s%s]\n", indent, c->key, c->previous_key, c->detail,
		       c->matched_by, c->n_changed ? "; changed: " : "; unchanged",
		       output_join(&a, c->changed, c->n_changed, ", "));
	else if (strcmp(c->kind, "closed") == 0)
		printf("%sclosed (was %s): %s\n", indent, c->previous_key, c->detail);
	else if (strcmp(c->kind, "new") == 0)
		printf("%snew %s: %s\n", indent, c->key, c->detail);
	else if (strcmp(c->kind, "ambiguous") == 0)
		printf("%sambiguous %s: %s could continue %s of the previous edition; a --map line settles it (\"%s "
		       "OLD_REF\" or \"%s new\")\n",
		       indent, c->key, c->detail, output_join(&a, c->candidates, c->n_candidates, " or "), c->key,
		       c->key);
	else
		printf("%s%s %s %s%s%s\n", indent, c->kind, c->entity, c->key, c->detail[0] ? ": " : "", c->detail);
	arena_free(&a);
}

/* A new edition's verdict: each project, then the totals. */
static void cmd_plan_print_edition(const Planreg__V1__ImportPlanResponse *r, bool dry_run)
{
	for (size_t i = 0; i < r->n_changes; i++)
		cmd_plan_print_edition_change(r->changes[i], dry_run ? "  " : "");
	printf("plan %d succeeds plan %d%s: %d project%s carried over, %d new, %d closed%s", r->plan, r->previous_plan,
	       dry_run ? " (if imported)" : " and is now the current plan", r->carried, r->carried == 1 ? "" : "s",
	       r->new_projects, r->closed, r->ambiguous ? "" : "\n");
	if (r->ambiguous)
		printf(", %d ambiguous: the import is refused until a --map file settles %s\n", r->ambiguous,
		       r->ambiguous == 1 ? "it" : "each");
	printf("register: %d projects, %d themes, %d objectives, %d organisations\n", r->projects, r->themes,
	       r->objectives, r->organisations);
}

/* The keys of a new edition's verdict in JSON, one object per project. */
static const char *const cmd_plan_edition_keys[] = {"status",     "ref",     "previous_ref", "title",
						    "matched_by", "changed", "candidates"};

static void cmd_plan_edition_rows(struct output_rows *rows, const Planreg__V1__ImportPlanResponse *r)
{
	for (size_t i = 0; i < r->n_changes; i++) {
		const Planreg__V1__ImportChange *c = r->changes[i];
		if (strcmp(c->entity, "project") != 0)
			continue;
		output_rows_begin(rows);
		output_rows_str(rows, "status", c->kind);
		if (c->key[0])
			output_rows_int(rows, "ref", atoi(c->key));
		else
			output_rows_null(rows, "ref");
		if (c->previous_key[0])
			output_rows_int(rows, "previous_ref", atoi(c->previous_key));
		else
			output_rows_null(rows, "previous_ref");
		output_rows_str(rows, "title", c->detail);
		output_rows_str(rows, "matched_by", c->matched_by[0] ? c->matched_by : NULL);
		output_rows_list(rows, "changed", c->changed, c->n_changed, ";");
		output_rows_list(rows, "candidates", c->candidates, c->n_candidates, ";");
	}
}

/* The server's answer to an import: each change, then the register's size. */
static void cmd_plan_print_changes(const Planreg__V1__ImportPlanResponse *r, const char *path, bool dry_run)
{
	if (r->previous_plan != 0) {
		cmd_plan_print_edition(r, dry_run);
		return;
	}
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

/* One import as the command line gave it. */
struct cmd_plan_import {
	struct cli *cli;
	const char *path;
	struct plan_names names;
	struct plan plan;
	char sha256[65]; /* of the document: recorded with the import, and its idempotency key */
	struct cmd_plan_edition edition;
	bool dry_run, json;
};

/* The request of the import (in a). */
static void cmd_plan_body(struct arena *a, const struct cmd_plan_import *im, Planreg__V1__ImportPlanRequest *q)
{
	cmd_plan_request(a, &im->plan, &im->names, im->sha256, &im->edition, q);
	q->dry_run = im->dry_run;
}

static int cmd_plan_send(struct cmd_plan_import *im)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest body = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_body(&a, im, &body);
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &body,
		     im->sha256); /* the same document, the same import */
	Planreg__V1__Response *resp;
	int rc = cli_call(im->cli, &req, &resp);
	arena_free(&a);
	if (rc != EXIT_OK)
		return rc;
	if (resp->import_plan == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no body; nothing was shown");
	}
	cmd_plan_print_changes(resp->import_plan, im->path, false);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* A new edition's dry run: the server's verdict, or its refusal (there is no local answer to which project
 * continues which). */
static int cmd_plan_edition_dry_run(struct cmd_plan_import *im)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest body = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_body(&a, im, &body);
	Planreg__V1__Response *resp = NULL;
	int rc = cli_request(im->cli, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &body, &resp);
	arena_free(&a);
	if (rc != EXIT_OK)
		return rc;
	if (im->json) {
		struct output_rows *rows = output_rows_new();
		cmd_plan_edition_rows(rows, resp->import_plan);
		cli_rows_print(rows, cmd_plan_edition_keys,
			       sizeof cmd_plan_edition_keys / sizeof cmd_plan_edition_keys[0], OUTPUT_JSON);
		output_rows_free(rows);
	} else {
		printf("the server's verdict on %s (dry run: nothing written):\n", im->path);
		cmd_plan_print_changes(resp->import_plan, im->path, true);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/*
 * A dry run asks the server what the import would change (it writes nothing);
 * false when no server could say, after a note on stderr: the caller then shows
 * the local parse.
 */
static bool cmd_plan_verdict(struct cmd_plan_import *im)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest body = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_body(&a, im, &body);
	Planreg__V1__Response *resp = NULL;
	int rc = cli_request_quiet(im->cli, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &body, NULL, &resp);
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
	printf("the server's verdict on %s (dry run: nothing written):\n", im->path);
	cmd_plan_print_changes(resp->import_plan, im->path, true);
	planreg__v1__response__free_unpacked(resp, NULL);
	return true;
}

/* The server's verdict when it can give one, the local parse otherwise; never the import itself. */
static int cmd_plan_dry_run(struct cmd_plan_import *im)
{
	if (im->edition.successor_of != NULL)
		return cmd_plan_edition_dry_run(im);
	if (cmd_plan_verdict(im))
		return EXIT_OK;
	const struct plan *plan = &im->plan;
	size_t capital = 0;
	for (size_t i = 0; i < plan->n_projects; i++)
		capital += plan->projects[i].capital;
	printf("read \"%s\": %zu projects (%zu capital) in %zu themes and %zu objectives, naming %zu "
	       "organisations; %zu warning%s; nothing sent (--dry-run, local parse: no server's verdict)\n",
	       plan->title, plan->n_projects, capital, plan->n_themes, plan->n_objectives, plan->n_orgs,
	       plan->n_warnings, plan->n_warnings == 1 ? "" : "s");
	return EXIT_OK;
}

/* Reads the whole file at path (at most max bytes) into a malloc'd buffer; the exit code. */
static int cmd_plan_file(const char *path, size_t max, char **buf, size_t *len)
{
	char *err = NULL;
	*buf = file_read(path, max, len, &err);
	if (*buf != NULL)
		return EXIT_OK;
	int rc = cli_fail(EXIT_USAGE, "%s", err);
	free(err);
	return rc;
}

/* Reads and parses the document into im->plan, with its SHA-256 (the import's key); the exit code. */
static int cmd_plan_read(struct cmd_plan_import *im)
{
	size_t len = 0;
	char *doc;
	int rc = cmd_plan_file(im->path, CMD_PLAN_MAX_BYTES, &doc, &len);
	if (rc != EXIT_OK)
		return rc;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(doc, len, md, &mdlen, EVP_sha256(), NULL);
	text_hex(md, mdlen, im->sha256);
	struct plan_error perr;
	bool parsed = plan_parse(doc, len, &im->names, &im->plan, &perr);
	free(doc);
	if (parsed)
		return EXIT_OK;
	if (perr.line > 0)
		return cli_fail(EXIT_USAGE, "%s:%d: %s", im->path, perr.line, perr.message);
	return cli_fail(EXIT_USAGE, "%s: %s", im->path, perr.message);
}

/* Reads the --map file into im->edition; the exit code. */
static int cmd_plan_read_map(struct cmd_plan_import *im, const char *path)
{
	size_t len = 0;
	char *text, err[256];
	int rc = cmd_plan_file(path, CMD_PLAN_MAX_BYTES, &text, &len);
	if (rc != EXIT_OK)
		return rc;
	bool ok = plan_map_parse(text, len, &im->edition.map, &im->edition.n_map, err, sizeof err);
	free(text);
	return ok ? EXIT_OK : cli_fail(EXIT_USAGE, "%s: %s", path, err);
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
static void cmd_plan_print_projects(const struct cmd_plan_import *im)
{
	struct arena a = {0};
	Planreg__V1__ImportPlanRequest q = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_request(&a, &im->plan, &im->names, im->sha256, NULL, &q);
	struct cli_json doc;
	cli_projects_json(cli_json_begin(&doc), q.projects, q.n_projects);
	cli_json_end(&doc);
	arena_free(&a);
}

/* The import, or the dry run's verdict, with the time waited shown on a terminal. */
static int cmd_plan_submit(struct cmd_plan_import *im)
{
	/* one request, one transaction: nothing to count, so on a terminal the bar shows the time waited */
	char what[80];
	snprintf(what, sizeof what, "importing %zu projects%s", im->plan.n_projects, im->dry_run ? " (dry run)" : "");
	struct progress bar;
	progress_begin(&bar, im->cli->stderr_tty, what, 0);
	im->cli->waiting = &bar;
	int rc = im->dry_run ? cmd_plan_dry_run(im) : cmd_plan_send(im);
	im->cli->waiting = NULL;
	progress_end(&bar);
	return rc;
}

/* The options into im; the exit code. */
static int cmd_plan_import_options_read(struct cmd_plan_import *im, const struct cli_command *self,
					const struct cli_getopt *g)
{
	im->dry_run = cli_getopt_value(g, 'n') != NULL;
	im->json = g->format_given && g->format == OUTPUT_JSON;
	im->edition.successor_of = cli_getopt_value(g, 's');
	const char *map = cli_getopt_value(g, 'm');
	if (im->json && !im->dry_run)
		return cli_usage(self, "--format json goes with --dry-run (an import prints what changed)");
	if (map != NULL && im->edition.successor_of == NULL)
		return cli_usage(self, "--map matches a new edition's projects to the previous edition's: it goes with "
				       "--successor-of PLAN");
	if (im->edition.successor_of != NULL && im->edition.successor_of[0] == '\0')
		return cli_usage(self,
				 "--successor-of takes the plan this edition succeeds, by number or title (`planreg "
				 "plan list`)");
	return map != NULL ? cmd_plan_read_map(im, map) : EXIT_OK;
}

static int cmd_plan_import_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	struct cmd_plan_import im = {.cli = cli, .path = g.args[0]};
	int rc = cmd_plan_import_options_read(&im, self, &g);
	char *err = NULL;
	if (rc == EXIT_OK && !cmd_plan_load_names(cli_getopt_value(&g, 'N'), &im.names, &err)) {
		rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		free(im.edition.map);
		return rc;
	}
	if (rc == EXIT_OK && (rc = cmd_plan_read(&im)) == EXIT_OK) {
		if (cli_getopt_value(&g, 'q') == NULL)
			cmd_plan_warnings(im.path, &im.plan);
		if (im.json && im.edition.successor_of == NULL)
			cmd_plan_print_projects(&im);
		else
			rc = cmd_plan_submit(&im);
		plan_free(&im.plan);
	}
	plan_names_free(&im.names); /* all zero when they were never loaded */
	free(im.edition.map);
	return rc;
}

static const struct cli_option cmd_plan_import_options[] = {
	{.name = "dry-run", .key = 'n', .help = "ask the server what would change (or parse only); nothing is written"},
	{.name = "successor-of",
	 .key = 's',
	 .arg = "PLAN",
	 .help = "import the document as the next edition of PLAN (the current plan, by number or title)"},
	{.name = "map",
	 .key = 'm',
	 .arg = "FILE",
	 .help = "with --successor-of: lines NEW_REF OLD_REF or NEW_REF new, where matching cannot tell",
	 .complete = CLI_COMPLETE_FILE},
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
	.summary =
		"import an action-plan document, or the next edition of the plan (admin; --dry-run: what would change)",
	.help = cmd_plan_import_help,
	.run = cmd_plan_import_run,
};
