/* cmd_projects_assign.c - `planreg projects assign|unassign`: whom a project's returns are assigned to, a
 * person of its lead organisation (`planreg person list`). Its reminders then go to that person
 * (docs/protocol.md, "People"). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"

static const char cmd_projects_assign_help[] =
	"Assigns the project's returns to a person of its lead organisation (an id from\n"
	"`planreg person list`), in place of whoever had them: its reminders go to\n"
	"that person from then on. The admin assigns any project; a submitter the\n"
	"projects its organisation leads, to its own organisation's people.\n";

static void cmd_projects_assign_who(const char *what, const Planreg__V1__Person *p)
{
	printf("%s %s <%s> (person %lld, %s)", what, p->name, p->email, (long long)p->id, p->organisation);
}

/* Sends the assignment (person 0: nobody) and says what changed. */
static int cmd_projects_assign_send(struct cli *cli, int32_t ref, int64_t person)
{
	Planreg__V1__AssignProjectRequest body = PLANREG__V1__ASSIGN_PROJECT_REQUEST__INIT;
	body.ref = ref;
	body.person_id = person;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_ASSIGN_PROJECT, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__AssignProjectResponse *r = resp->assign_project;
	printf("project %d: ", r->ref);
	if (r->person)
		cmd_projects_assign_who("returns assigned to", r->person);
	else
		printf("returns assigned to nobody");
	if (r->previous)
		cmd_projects_assign_who(", no longer to", r->previous);
	printf("\n");
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_projects_assign_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	int32_t ref;
	int rc = cli_ref_arg(self, g.args[0], &ref);
	if (rc != EXIT_OK)
		return rc;
	char *end;
	long long person = strtoll(g.args[1], &end, 10);
	if (*end || person <= 0)
		return cli_usage(self, "\"%s\" is not a person's id: `planreg person list` shows them", g.args[1]);
	return cmd_projects_assign_send(cli, ref, person);
}

static int cmd_projects_unassign_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	int32_t ref;
	int rc = cli_ref_arg(self, g.args[0], &ref);
	return rc != EXIT_OK ? rc : cmd_projects_assign_send(cli, ref, 0);
}

const struct cli_command cmd_projects_assign = {
	.noun = "projects",
	.verb = "assign",
	.args = "REF PERSON_ID",
	.min_args = 2,
	.max_args = 2,
	.args_what = "a project reference and a person's id",
	.summary = "assign a project's returns to a person of its lead organisation",
	.help = cmd_projects_assign_help,
	.run = cmd_projects_assign_run,
};

const struct cli_command cmd_projects_unassign = {
	.noun = "projects",
	.verb = "unassign",
	.args = "REF",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one project reference",
	.summary = "assign a project's returns to nobody (its reminders go to its organisation's contacts)",
	.run = cmd_projects_unassign_run,
};
