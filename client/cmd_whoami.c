/* cmd_whoami.c - `planreg whoami`: who the server takes this credential to be. */
#include <string.h>

#include "cli.h"
#include "json.h"
#include "values.h"

/* How this deployment names its quarters, with one named as an example: "April to March: FY2026/27-Q3 is
 * October–December 2026". */
static void cmd_whoami_year(int year, char *out, size_t size)
{
	struct period example = {2026, year == PERIOD_YEAR_APRIL ? 4 : 3};
	char name[PERIOD_NAME_MAX], months[PERIOD_MONTHS_MAX];
	period_name(example, year, name);
	period_format_months(example, months);
	snprintf(out, size, "%s: %s is %s", period_year_words(year), name, months);
}

static int cmd_whoami_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	enum output_format fmt = g.format;

	Planreg__V1__WhoamiRequest body = PLANREG__V1__WHOAMI_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_WHOAMI, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__WhoamiResponse *w = resp->whoami;
	const Planreg__V1__Principal *p = w->principal;
	if (p == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer to whoami has no principal");
	}
	const char *role = values_role_name((enum role)p->role);
	int year = cli_period_year();
	char year_text[160];
	cmd_whoami_year(year, year_text, sizeof year_text);
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_str(j, "credential", p->credential);
		json_kv_str(j, "organisation", p->organisation);
		json_kv_str(j, "person", p->person);
		json_kv_str(j, "role", role ? role : "");
		json_kv_str(j, "fingerprint", p->fingerprint);
		json_kv_str(j, "server_version", w->server_version);
		json_kv_str(j, "plan", w->plan_title);
		json_kv_int(j, "year_start_month", year);
		json_object_end(j);
		cli_json_end(&doc);
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
				       "reporting year",
				       year_text,
				       NULL};
		output_record(stdout, pairs);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_whoami = {
	.noun = "whoami",
	.verb = "",
	.formats = CLI_FMT_RECORD,
	.summary = "show who the server takes you to be",
	.run = cmd_whoami_run,
};
