/* cmd_whoami.c - `planreg whoami`: who the server takes this credential to be. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "values.h"

static const char cmd_whoami_help[] = "Options:\n"
				      "  --format table|json   output format (default table)\n";

static int cmd_whoami_run(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = &cmd_whoami_commands[0];
	enum output_format fmt;
	int rc = cli_format_options(cmd, argc, argv, 0, "", false, &fmt);
	if (rc >= 0)
		return rc;

	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__WhoamiRequest body = PLANREG__V1__WHOAMI_REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_WHOAMI;
	req.whoami = &body;
	Planreg__V1__Response *resp;
	rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__WhoamiResponse *w = resp->whoami;
	const Planreg__V1__Principal *p = w ? w->principal : NULL;
	if (p == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_CONNECT, "the server's answer to whoami has no principal");
	}
	const char *role = values_role_name((enum role)p->role);
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_object_begin(&j);
		json_kv_str(&j, "credential", p->credential);
		json_kv_str(&j, "organisation", p->organisation);
		json_kv_str(&j, "person", p->person);
		json_kv_str(&j, "role", role ? role : "");
		json_kv_str(&j, "fingerprint", p->fingerprint);
		json_kv_str(&j, "server_version", w->server_version);
		json_kv_str(&j, "plan", w->plan_title);
		json_object_end(&j);
		output_json_done(&b, stdout);
	} else {
		const char *pairs[] = {"credential",
				       p->credential,
				       "organisation",
				       p->organisation,
				       "person",
				       p->person,
				       "role",
				       role ? role : "?",
				       "fingerprint",
				       p->fingerprint,
				       "server",
				       cli->settings.server,
				       "server version",
				       w->server_version,
				       "plan",
				       w->plan_title[0] ? w->plan_title : "(none imported yet)",
				       NULL};
		output_record(stdout, pairs);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_whoami_commands[] = {
	{"whoami", "", cmd_whoami_run, "[--format table|json]", "show who the server takes you to be", cmd_whoami_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
