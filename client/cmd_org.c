/* cmd_org.c - `planreg org list|set|set-contact`: the organisations of the register. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_org_list_help[] = "Options:\n"
					"  --format table|csv|json   output format (default table)\n";
static const char cmd_org_set_help[] =
	"Creates the organisation or changes it; options left out are left as they are.\n"
	"A new organisation needs --name and --kind. Admin only.\n\n"
	"Options:\n"
	"  --name NAME        its full name\n"
	"  --kind KIND        combined_authority, local_authority, university, nhs, company,\n"
	"                     partnership or other\n"
	"  --contact EMAIL    where reminders to it go\n";

static int cmd_org_list(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = &cmd_org_commands[0];
	enum output_format fmt;
	int rc = cli_format_options(cmd, argc, argv, 0, "", true, &fmt);
	if (rc >= 0)
		return rc;

	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__ListOrganisationsRequest body = PLANREG__V1__LIST_ORGANISATIONS_REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS;
	req.list_organisations = &body;
	Planreg__V1__Response *resp;
	rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListOrganisationsResponse *r = resp->list_organisations;
	size_t n = r ? r->n_organisations : 0;
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__Organisation *o = r->organisations[i];
			const char *kind = values_org_kind_name((enum org_kind)o->kind);
			json_object_begin(&j);
			json_kv_str(&j, "code", o->code);
			json_kv_str(&j, "name", o->name);
			json_kv_str(&j, "kind", kind ? kind : "");
			json_key(&j, "contact_email");
			json_str(&j, o->contact_email[0] ? o->contact_email : NULL);
			json_key(&j, "aliases");
			json_array_begin(&j);
			for (size_t k = 0; k < o->n_aliases; k++)
				json_str(&j, o->aliases[k]);
			json_array_end(&j);
			json_kv_int(&j, "projects_led", o->projects_led);
			json_object_end(&j);
		}
		json_array_end(&j);
		output_json_done(&b, stdout);
	} else {
		static const char *const headers[] = {"CODE", "KIND", "PROJECTS", "CONTACT", "NAME"};
		struct output_table *t = output_table_new(headers, 5, 0);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__Organisation *o = r->organisations[i];
			char led[16];
			snprintf(led, sizeof led, "%d", o->projects_led);
			const char *kind = values_org_kind_name((enum org_kind)o->kind);
			const char *cells[] = {o->code, kind ? kind : "", led, o->contact_email, o->name};
			output_table_row(t, cells);
		}
		output_table_print(t, fmt, stdout);
		output_table_free(t);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_org_upsert(struct cli *cli, const char *code, const char *name, enum org_kind kind, const char *contact)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__UpsertOrganisationRequest body = PLANREG__V1__UPSERT_ORGANISATION_REQUEST__INIT;
	body.code = (char *)code;
	body.name = (char *)(name ? name : "");
	body.kind = (Planreg__V1__OrgKind)kind;
	body.contact_email = (char *)(contact ? contact : "");
	req.body_case = PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION;
	req.upsert_organisation = &body;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__UpsertOrganisationResponse *r = resp->upsert_organisation;
	if (r && r->organisation) {
		const Planreg__V1__Organisation *o = r->organisation;
		printf("%s %s: %s (%s)%s%s\n",
		       r->created   ? "created"
		       : r->changed ? "updated"
				    : "unchanged",
		       o->code, o->name, values_org_kind_name((enum org_kind)o->kind) ?: "",
		       o->contact_email[0] ? ", contact " : "", o->contact_email);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_org_set(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
					     {"kind", required_argument, NULL, 'k'},
					     {"contact", required_argument, NULL, 'c'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_org_commands[1];
	const char *name = NULL, *contact = NULL;
	enum org_kind kind = ORG_KIND_UNSPECIFIED;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'n':
			name = optarg;
			break;
		case 'k':
			if (!values_org_kind_parse(optarg, &kind))
				return cli_usage(cmd, "--kind must be one of %s, not \"%s\"", values_org_kind_names(),
						 optarg);
			break;
		case 'c':
			contact = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "give exactly one organisation code");
	if (name == NULL && kind == ORG_KIND_UNSPECIFIED && contact == NULL)
		return cli_usage(cmd, "nothing to set: give --name, --kind or --contact");
	return cmd_org_upsert(cli, argv[optind], name, kind, contact);
}

static int cmd_org_set_contact(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_org_commands[2];
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		}
		return cli_usage(cmd, "unknown option");
	}
	if (argc - optind != 2)
		return cli_usage(cmd, "give an organisation code and an email address");
	return cmd_org_upsert(cli, argv[optind], NULL, ORG_KIND_UNSPECIFIED, argv[optind + 1]);
}

const struct cli_command cmd_org_commands[] = {
	{"org", "list", cmd_org_list, "[--format table|csv|json]", "list the organisations", cmd_org_list_help},
	{"org", "set", cmd_org_set, "CODE [--name NAME] [--kind KIND] [--contact EMAIL]",
	 "create or change an organisation (admin)", cmd_org_set_help},
	{"org", "set-contact", cmd_org_set_contact, "CODE EMAIL", "set where an organisation's reminders go (admin)",
	 ""},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
