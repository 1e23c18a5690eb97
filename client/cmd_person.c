/* cmd_person.c - `planreg person add|list|remove`: the named people of each organisation and what they
 * answer for (senior responsible owner, submitter, finance contact). The reminders go to them
 * (docs/protocol.md, "People"); `planreg projects assign` gives a project's returns to one. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "cli_options.h"

static const char cmd_person_add_help[] =
	"Adds a named person to an organisation, with what they answer for:\n"
	"  sro        its senior responsible owner (one at a time): reminders that go\n"
	"             unanswered are escalated to them before the Combined Authority\n"
	"  submitter  sends returns; a project's returns can be assigned to them\n"
	"             (`planreg projects assign`), and its reminders then go to them\n"
	"  finance    its finance contact\n"
	"--role again (or sro,finance) for several. The admin adds anyone's; a\n"
	"submitter its own organisation's.\n";

static const char cmd_person_remove_help[] =
	"Ends the person's record (it stays, with when and by whom it ended, in\n"
	"`planreg person list --all`); the projects assigned to them are assigned to\n"
	"nobody again. The admin removes anyone's; a submitter its own organisation's.\n";

/* ---------------------------------------------------------------- add */

/* Each --role value, split at commas, into roles (at most max); false after a usage error. */
static bool cmd_person_roles(const struct cli_command *self, const char *arg, char **roles, size_t *n, size_t max,
			     struct arena *a)
{
	const char *p = arg;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			if (*n == max) {
				cli_usage(self, "--role is given too often: a person holds at most sro, submitter and "
						"finance");
				return false;
			}
			roles[(*n)++] = arena_strndup(a, p, len);
		}
		p += len + (p[len] == ',');
	}
	return true;
}

static void cmd_person_print(const char *what, const Planreg__V1__Person *p)
{
	struct arena a = {0};
	printf("%s person %lld of %s: %s <%s> (%s)\n", what, (long long)p->id, p->organisation, p->name, p->email,
	       output_join(&a, p->roles, p->n_roles, ", "));
	arena_free(&a);
}

static int cmd_person_add_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	Planreg__V1__AddPersonRequest body = PLANREG__V1__ADD_PERSON_REQUEST__INIT;
	char *roles[CLI_OPTIONS_MAX];
	size_t n_roles = 0;
	struct arena a = {0};
	struct cli_getopt g;
	int ch, rc = EXIT_USAGE;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0) {
		if (ch == 'n')
			body.name = optarg;
		else if (ch == 'e')
			body.email = optarg;
		else if (ch == 'r' && !cmd_person_roles(self, optarg, roles, &n_roles, CLI_OPTIONS_MAX, &a))
			goto done;
	}
	if (ch < 0) {
		rc = g.rc;
		goto done;
	}
	if (!body.name[0] || !body.email[0] || n_roles == 0) {
		cli_usage(self, "give --name, --email and --role (sro, submitter or finance)");
		goto done;
	}
	body.organisation = g.args[0];
	body.roles = roles;
	body.n_roles = n_roles;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_ADD_PERSON, &body, &resp);
	if (rc == EXIT_OK) {
		cmd_person_print("added", resp->add_person->person);
		planreg__v1__response__free_unpacked(resp, NULL);
	}
done:
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- list */

static const char *const cmd_person_keys[] = {"id",       "organisation", "name",     "email",
					      "roles",    "added_at",     "added_by", "ended_at",
					      "ended_by", "credential",   "projects"};

static void cmd_person_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListPeopleResponse *r = answer;
	struct arena a = {0};
	for (size_t i = 0; i < r->n_people; i++) {
		const Planreg__V1__Person *p = r->people[i];
		output_rows_begin(rows);
		output_rows_fields(rows, &p->base, "id organisation name email");
		output_rows_list(rows, "roles", p->roles, p->n_roles, ";");
		output_rows_fields(rows, &p->base, "added_at added_by");
		output_rows_text(rows, "ended_at", p->ended_at);
		output_rows_text(rows, "ended_by", p->ended_by);
		output_rows_text(rows, "credential", p->credential);
		char **refs = arena_alloc(&a, (p->n_projects + 1) * sizeof *refs);
		for (size_t k = 0; k < p->n_projects; k++)
			refs[k] = arena_printf(&a, "%d", p->projects[k]);
		output_rows_list(rows, "projects", refs, p->n_projects, ";");
	}
	arena_free(&a);
}

static struct output_table *cmd_person_table(const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListPeopleResponse *r = answer;
	static const char *const headers[] = {"ID", "ORG", "ROLES", "NAME", "EMAIL", "PROJECTS", "CREDENTIAL"};
	struct output_table *t = output_table_new(headers, 7, 0);
	struct arena a = {0};
	for (size_t i = 0; i < r->n_people; i++) {
		const Planreg__V1__Person *p = r->people[i];
		const char *projects = "";
		for (size_t k = 0; k < p->n_projects; k++)
			projects = arena_printf(&a, "%s%s%d", projects, k ? " " : "", p->projects[k]);
		const char *roles = output_join(&a, p->roles, p->n_roles, ",");
		if (p->ended_at[0])
			roles = arena_printf(&a, "(ended %.10s)", p->ended_at);
		const char *cells[] = {arena_printf(&a, "%lld", (long long)p->id),
				       p->organisation,
				       roles,
				       p->name,
				       p->email,
				       projects,
				       p->credential};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

static const struct cli_listing cmd_person_listing = {
	.keys = CLI_LISTING_KEYS(cmd_person_keys),
	.rows = cmd_person_rows,
	.table = cmd_person_table,
};

static bool cmd_person_list_next(void *body, const void *answer)
{
	Planreg__V1__ListPeopleRequest *q = body;
	const Planreg__V1__ListPeopleResponse *l = answer;
	if (l->next_after_id <= q->after_id)
		return false;
	q->after_id = l->next_after_id;
	return true;
}

static int cmd_person_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListPeopleRequest body = PLANREG__V1__LIST_PEOPLE_REQUEST__INIT;
	const char *org = cli_getopt_value(&g, 'o');
	body.organisation = (char *)(org ? org : "");
	body.include_ended = cli_getopt_value(&g, 'a') != NULL;
	return cli_listing_pages(cli, PLANREG__V1__REQUEST__BODY_LIST_PEOPLE, &body, "people", cmd_person_list_next,
				 &cmd_person_listing, NULL, g.format);
}

/* ---------------------------------------------------------------- remove */

static int cmd_person_remove_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	char *end;
	long long id = strtoll(g.args[0], &end, 10);
	if (*end || id <= 0)
		return cli_usage(self, "\"%s\" is not a person's id: `planreg person list` shows them", g.args[0]);
	Planreg__V1__RemovePersonRequest body = PLANREG__V1__REMOVE_PERSON_REQUEST__INIT;
	body.id = id;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_REMOVE_PERSON, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__RemovePersonResponse *r = resp->remove_person;
	cmd_person_print("removed", r->person);
	for (size_t i = 0; i < r->n_unassigned; i++)
		printf("project %d is assigned to nobody now\n", r->unassigned[i]);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- the commands */

static const struct cli_option cmd_person_add_options[] = {
	{.name = "name", .key = 'n', .arg = "NAME", .help = "the person's full name", .required = true},
	{.name = "email",
	 .key = 'e',
	 .arg = "ADDR",
	 .help = "their e-mail address: name@example.org",
	 .required = true},
	{.name = "role",
	 .key = 'r',
	 .arg = "ROLE",
	 .help = "sro, submitter or finance; again (or comma-separated) for several",
	 .repeatable = true,
	 .required = true,
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = "sro submitter finance"},
	{0},
};

const struct cli_command cmd_person_add = {
	.noun = "person",
	.verb = "add",
	.args = "ORG",
	.min_args = 1,
	.max_args = 1,
	.args_what = "exactly one organisation code",
	.options = cmd_person_add_options,
	.summary = "add a named person to an organisation (admin; a submitter its own)",
	.help = cmd_person_add_help,
	.run = cmd_person_add_run,
};

static const struct cli_option cmd_person_list_options[] = {
	{.name = "org",
	 .key = 'o',
	 .arg = "CODE",
	 .help = "only this organisation's people",
	 .when_absent = "every organisation's you may see (a submitter: its own)"},
	{.name = "all", .key = 'a', .help = "removed people too, with when their record ended"},
	{0},
};

const struct cli_command cmd_person_list = {
	.noun = "person",
	.verb = "list",
	.options = cmd_person_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "list the people of the organisations",
	.run = cmd_person_list_run,
};

const struct cli_command cmd_person_remove = {
	.noun = "person",
	.verb = "remove",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "exactly one person's id",
	.summary = "end a person's record (admin; a submitter its own organisation's)",
	.help = cmd_person_remove_help,
	.run = cmd_person_remove_run,
};
