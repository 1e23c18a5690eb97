/* cmd_plan.c - `planreg plan import FILE`: parse the action-plan document
 * here, show every interpretation, and send the structured plan (ImportPlan). */
#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "cli.h"
#include "embed.h"
#include "json.h"
#include "plan_parse.h"
#include "text.h"
#include "xmalloc.h"

#define CMD_PLAN_MAX_BYTES (16 * 1024 * 1024)

/* data/names.tsv, compiled in (cmake/embed.cmake) */
extern const struct embedded_file embedded_names[];

static const char cmd_plan_import_help[] =
	"Reads the document as published (tab-separated rows, page headers, theme and\n"
	"objective lines, 7-column project rows), prints a warning for everything it had\n"
	"to interpret, and sends the plan to the server (admin only). Importing the same\n"
	"document again changes nothing; a changed document updates the register and the\n"
	"answer lists what changed.\n\n"
	"Options:\n"
	"  --dry-run       parse and report only; nothing is sent\n"
	"  --names FILE    organisation and people names file (default: the built-in\n"
	"                  data/names.tsv)\n"
	"  --quiet         do not print the warnings\n"
	"  --format json   with --dry-run: print the projects as read, in the JSON shape\n"
	"                  of `planreg projects list --format json`\n";

/* Reads a whole file; NULL with *err on failure. */
char *cmd_plan_read_file(const char *path, size_t *len, char **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		*err = xasprintf("%s is a directory, not a file", path);
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= CMD_PLAN_MAX_BYTES) {
				free(buf);
				fclose(f);
				*err = xasprintf("%s is larger than %d MiB", path, CMD_PLAN_MAX_BYTES >> 20);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	bool failed = ferror(f);
	fclose(f);
	if (failed) {
		free(buf);
		*err = xasprintf("cannot read %s", path);
		return NULL;
	}
	*len = n;
	return buf;
}

static bool cmd_plan_load_names(const char *path, struct plan_names *names, char **err)
{
	if (path)
		return plan_names_load(path, names, err);
	return plan_names_parse(embedded_names[0].data, embedded_names[0].len, "names.tsv (built in)", names, err);
}

/* Builds the request in arena a from the parsed plan and the names file. */
static void cmd_plan_request(struct arena *a, const struct plan *p, const struct plan_names *names, const char *sha256,
			     Planreg__V1__ImportPlanRequest *q)
{
	q->title = p->title;
	q->source_sha256 = (char *)sha256;
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
	for (size_t i = 0; i < p->n_projects; i++) {
		const struct plan_project *s = &p->projects[i];
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
		Planreg__V1__Cost *c = ARENA_NEW(a, Planreg__V1__Cost, planreg__v1__cost__init);
		c->text = s->cost.text;
		c->status = (Planreg__V1__CostStatus)s->cost.status;
		c->approximate = s->cost.approximate;
		if (s->cost.has_min) {
			c->min = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
			c->min->pence = s->cost.min_pence;
		}
		if (s->cost.has_max) {
			c->max = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
			c->max->pence = s->cost.max_pence;
		}
		d->cost = c;
		d->funding = s->funding;
		d->stage = (Planreg__V1__Stage)s->stage;
		d->stage_note = s->stage_note;
		d->stage_text = s->stage_text;
		*(Planreg__V1__Project **)arena_push(a, &q->projects, &q->n_projects, sizeof d) = d;
	}
}

static int cmd_plan_send(struct cli *cli, const char *path, const struct plan *plan, const struct plan_names *names,
			 const char *sha256)
{
	struct arena a = {0};
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__ImportPlanRequest body = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	cmd_plan_request(&a, plan, names, sha256, &body);
	req.body_case = PLANREG__V1__REQUEST__BODY_IMPORT_PLAN;
	req.import_plan = &body;
	req.idempotency_key = (char *)sha256; /* the same document is the same import */
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	arena_free(&a);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ImportPlanResponse *r = resp->import_plan;
	size_t n = r ? r->n_changes : 0;
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__ImportChange *c = r->changes[i];
		printf("%s %s %s%s%s\n", c->kind, c->entity, c->key, c->detail[0] ? ": " : "", c->detail);
	}
	if (n == 0)
		printf("no changes: the register already matches %s\n", path);
	if (r)
		printf("register: %d projects, %d themes, %d objectives, %d organisations (%zu change%s)\n",
		       r->projects, r->themes, r->objectives, r->organisations, n, n == 1 ? "" : "s");
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_plan_import(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'}, {"names", required_argument, NULL, 'N'},
		{"quiet", no_argument, NULL, 'q'},   {"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_plan_commands[0];
	bool dry_run = false, quiet = false;
	enum output_format fmt = OUTPUT_TABLE;
	const char *names_path = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'n':
			dry_run = true;
			break;
		case 'N':
			names_path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "give exactly one document to import");
	if (fmt == OUTPUT_CSV || (fmt == OUTPUT_JSON && !dry_run))
		return cli_usage(cmd, "--format json goes with --dry-run (an import prints what changed)");
	const char *path = argv[optind];

	char *err = NULL;
	struct plan_names names;
	if (!cmd_plan_load_names(names_path, &names, &err)) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	size_t len = 0;
	char *doc = cmd_plan_read_file(path, &len, &err);
	if (doc == NULL) {
		plan_names_free(&names);
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(doc, len, md, &mdlen, EVP_sha256(), NULL);
	char sha256[65];
	text_hex(md, mdlen, sha256);

	struct plan plan;
	struct plan_error perr;
	int rc = EXIT_OK;
	if (!plan_parse(doc, len, &names, &plan, &perr)) {
		if (perr.line > 0)
			rc = cli_fail(EXIT_USAGE, "%s:%d: %s", path, perr.line, perr.message);
		else
			rc = cli_fail(EXIT_USAGE, "%s: %s", path, perr.message);
		free(doc);
		plan_names_free(&names);
		return rc;
	}
	free(doc);
	for (size_t i = 0; i < plan.n_warnings && !quiet; i++) {
		const struct plan_warning *w = &plan.warnings[i];
		if (w->line > 0)
			fprintf(stderr, "%s:%d: warning: %s\n", path, w->line, w->message);
		else
			fprintf(stderr, "%s: warning: %s\n", path, w->message);
	}
	size_t capital = 0;
	for (size_t i = 0; i < plan.n_projects; i++)
		capital += plan.projects[i].capital;
	if (dry_run && fmt == OUTPUT_JSON) {
		struct arena a = {0};
		Planreg__V1__ImportPlanRequest q = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
		cmd_plan_request(&a, &plan, &names, sha256, &q);
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_array_begin(&j);
		for (size_t i = 0; i < q.n_projects; i++)
			cli_project_json(&j, q.projects[i]);
		json_array_end(&j);
		output_json_done(&b, stdout);
		arena_free(&a);
	} else if (dry_run) {
		printf("read \"%s\": %zu projects (%zu capital) in %zu themes and %zu objectives, naming %zu "
		       "organisations; %zu warning%s; nothing sent (--dry-run)\n",
		       plan.title, plan.n_projects, capital, plan.n_themes, plan.n_objectives, plan.n_orgs,
		       plan.n_warnings, plan.n_warnings == 1 ? "" : "s");
	} else {
		rc = cmd_plan_send(cli, path, &plan, &names, sha256);
	}
	plan_free(&plan);
	plan_names_free(&names);
	return rc;
}

const struct cli_command cmd_plan_commands[] = {
	{"plan", "import", cmd_plan_import, "FILE [--dry-run [--format json]] [--names FILE] [--quiet]",
	 "import an action-plan document (admin; --dry-run parses only)", cmd_plan_import_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
