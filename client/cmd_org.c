/* cmd_org.c - `planreg org list|set|set-contact`: the organisations of the register, and where each one's
 * reminders go (one or more contacts, each "name@example.org" or "Full Name <name@example.org>"). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "json.h"
#include "values.h"

static const char cmd_org_set_help[] =
	"Creates the organisation or changes it; options left out are left as they are.\n"
	"A new organisation needs --name and --kind. --contact, once or more, replaces\n"
	"its contacts. Admin only.\n";

static const char cmd_org_set_contact_help[] =
	"Sets where the organisation's reminders go: every contact given gets each\n"
	"reminder (one message, all of them in To:), in place of those it had. Write\n"
	"each as name@example.org or \"Full Name <name@example.org>\" (quote it for the\n"
	"shell), e.g.\n\n"
	"  planreg org set-contact LCC \"Ann Williams <ann@lcc.example>\" digital@lcc.example\n\n"
	"At most 10. Admin only.\n";

/* contact_email (the first contact's address) stays for older readers; contacts is the whole list. */
static const char *const cmd_org_keys[] = {"code",    "name",         "kind",    "contact_email",
					   "aliases", "projects_led", "contacts"};

static void cmd_org_row(struct output_rows *rows, const Planreg__V1__Organisation *o)
{
	output_rows_begin(rows);
	output_rows_str(rows, "code", o->code);
	output_rows_str(rows, "name", o->name);
	output_rows_str(rows, "kind", values_org_kind_name((enum org_kind)o->kind));
	output_rows_str(rows, "contact_email", o->contact_email[0] ? o->contact_email : NULL);
	output_rows_list(rows, "aliases", o->aliases, o->n_aliases, ";");
	output_rows_int(rows, "projects_led", o->projects_led);
	/* a quoted name may hold a semicolon: one contact a line, as free text is (docs/json.md) */
	output_rows_list(rows, "contacts", o->contacts, o->n_contacts, "\n");
}

static void cmd_org_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	const Planreg__V1__ListOrganisationsResponse *r = answer;
	for (size_t i = 0; i < r->n_organisations; i++)
		cmd_org_row(rows, r->organisations[i]);
}

static struct output_table *cmd_org_table(const void *answer, const void *arg)
{
	const Planreg__V1__ListOrganisationsResponse *r = answer;
	static const char *const headers[] = {"CODE", "KIND", "PROJECTS", "CONTACT", "NAME"};
	struct output_table *t = output_table_new(headers, 5, 0);
	struct arena a = {0};
	for (size_t i = 0; i < r->n_organisations; i++) {
		const Planreg__V1__Organisation *o = r->organisations[i];
		char led[16];
		snprintf(led, sizeof led, "%d", o->projects_led);
		const char *kind = values_org_kind_name((enum org_kind)o->kind);
		const char *contacts =
			o->n_contacts ? output_join(&a, o->contacts, o->n_contacts, ", ") : o->contact_email;
		const char *cells[] = {o->code, kind ? kind : "", led, contacts, o->name};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

CLI_LISTING_OF(cmd_org);

static int cmd_org_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListOrganisationsRequest body = PLANREG__V1__LIST_ORGANISATIONS_REQUEST__INIT;
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS, &body, &cmd_org_listing, NULL,
				   g.format);
}

/* Sends the change; contacts (n_contacts of them) replace the organisation's when there are any. */
static int cmd_org_upsert(struct cli *cli, const char *code, const char *name, enum org_kind kind, char **contacts,
			  size_t n_contacts)
{
	Planreg__V1__UpsertOrganisationRequest body = PLANREG__V1__UPSERT_ORGANISATION_REQUEST__INIT;
	body.code = (char *)code;
	body.name = (char *)(name ? name : "");
	body.kind = (Planreg__V1__OrgKind)kind;
	body.contacts = contacts;
	body.n_contacts = n_contacts;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__UpsertOrganisationResponse *r = resp->upsert_organisation;
	if (r->organisation) {
		const Planreg__V1__Organisation *o = r->organisation;
		struct arena a = {0};
		printf("%s %s: %s (%s)%s%s\n",
		       r->created   ? "created"
		       : r->changed ? "updated"
				    : "unchanged",
		       o->code, o->name, values_org_kind_name((enum org_kind)o->kind) ?: "",
		       o->n_contacts == 0   ? ""
		       : o->n_contacts == 1 ? ", contact "
					    : ", contacts ",
		       output_join(&a, o->contacts, o->n_contacts, ", "));
		arena_free(&a);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_org_set_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const char *name = NULL;
	char *contacts[CLI_OPTIONS_MAX];
	size_t n_contacts = 0;
	enum org_kind kind = ORG_KIND_UNSPECIFIED;
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'k':
			if (!values_org_kind_parse(optarg, &kind))
				return cli_usage(self, "--kind must be one of %s, not \"%s\"", values_org_kind_names(),
						 optarg);
			break;
		case 'c':
			if (n_contacts == CLI_OPTIONS_MAX)
				return cli_usage(self,
						 "--contact is given more than %d times: an organisation has at "
						 "most 10 contacts",
						 CLI_OPTIONS_MAX);
			contacts[n_contacts++] = optarg;
			break;
		}
	}
	if (ch < 0)
		return g.rc;
	if (name == NULL && kind == ORG_KIND_UNSPECIFIED && n_contacts == 0)
		return cli_usage(self, "nothing to set: give --name, --kind or --contact");
	return cmd_org_upsert(cli, g.args[0], name, kind, contacts, n_contacts);
}

static int cmd_org_set_contact_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	return cmd_org_upsert(cli, g.args[0], NULL, ORG_KIND_UNSPECIFIED, g.args + 1, (size_t)g.nargs - 1);
}

const struct cli_command cmd_org_list = {
	.noun = "org",
	.verb = "list",
	.formats = CLI_FMT_LISTING,
	.summary = "list the organisations",
	.run = cmd_org_list_run,
};

static const struct cli_option cmd_org_set_options[] = {
	{.name = "name", .key = 'n', .arg = "NAME", .help = "its full name"},
	{.name = "kind",
	 .key = 'k',
	 .arg = "KIND",
	 .help = "combined_authority, local_authority, university, nhs, company, partnership or other",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = "combined_authority local_authority university nhs company partnership other"},
	{.name = "contact",
	 .key = 'c',
	 .arg = "MAILBOX",
	 .help = "where its reminders go: name@example.org or \"Full Name <name@example.org>\"; again for more",
	 .repeatable = true},
	{0},
};

const struct cli_command cmd_org_set = {
	.noun = "org",
	.verb = "set",
	.args = "CODE",
	.min_args = 1,
	.max_args = 1,
	.args_what = "exactly one organisation code",
	.options = cmd_org_set_options,
	.summary = "create or change an organisation (admin)",
	.help = cmd_org_set_help,
	.run = cmd_org_set_run,
};

const struct cli_command cmd_org_set_contact = {
	.noun = "org",
	.verb = "set-contact",
	.args = "CODE MAILBOX...",
	.min_args = 2,
	.max_args = 11,
	.args_what = "an organisation code and one to ten contacts",
	.summary = "set where an organisation's reminders go (admin)",
	.help = cmd_org_set_contact_help,
	.run = cmd_org_set_contact_run,
};
