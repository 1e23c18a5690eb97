/* cmd_whoami.c - `planreg whoami`: who the server takes this credential to be. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_cred.h"
#include "json.h"
#include "values.h"

/* The end of the certificate this command connected with, from its file: in words ("2027-03-07 00:52 UTC (in 90
 * days)") and as RFC 3339; both "" when it cannot be read. */
static void cmd_whoami_expiry(const char *cert, char *words, size_t wn, char *iso, size_t in)
{
	time_t not_before, not_after;
	if (!cmd_cred_cert_validity(cert, &not_before, &not_after))
		return;
	struct tm tm;
	gmtime_r(&not_after, &tm);
	strftime(iso, in, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cmd_cred_time_text(not_after, words, wn);
	long long days = (long long)(not_after - time(NULL)) / 86400;
	size_t n = strlen(words);
	snprintf(words + n, wn - n, " (in %lld day%s)", days, days == 1 ? "" : "s");
}

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

/* The answer w, with the certificate's end, in fmt. */
static void cmd_whoami_print(const struct cli *cli, const Planreg__V1__WhoamiResponse *w, enum output_format fmt)
{
	const Planreg__V1__Principal *p = w->principal;
	const char *role = values_role_name((enum role)p->role);
	char expires[64] = "", expires_iso[32] = "";
	cmd_whoami_expiry(cli->settings.cert, expires, sizeof expires, expires_iso, sizeof expires_iso);
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
		if (expires_iso[0])
			json_kv_str(j, "cert_not_after", expires_iso);
		else {
			json_key(j, "cert_not_after");
			json_null(j);
		}
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
				       "certificate expires",
				       expires[0] ? expires : "(not known)",
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
	cmd_whoami_print(cli, w, fmt);
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
