/* cmd_audit.c - `planreg audit verify`: has the hash chain over progress history been kept? */
#include <stdlib.h>

#include "cli.h"
#include "json.h"

static const char cmd_audit_verify_help[] =
	"Asks the server to recompute the hash chain over every progress update, in\n"
	"order, and compare it with what is stored. Exit code 0 when the chain is\n"
	"intact, 1 when it is broken (the first update that does not match is named).\n";

static int cmd_audit_verify_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	enum output_format fmt = g.format;

	Planreg__V1__VerifyAuditRequest body = PLANREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__VerifyAuditResponse *r = resp->verify_audit;
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_bool(j, "ok", r->ok);
		json_kv_int(j, "checked", r->checked);
		json_key(j, "first_bad_id");
		if (r->ok)
			json_null(j);
		else
			json_int(j, r->first_bad_id);
		json_kv_str(j, "detail", r->detail);
		json_kv_str(j, "head_hash", r->head_hash[0] ? r->head_hash : NULL);
		json_object_end(j);
		cli_json_end(&doc);
	} else if (r->ok) {
		printf("audit chain verified: %lld update%s; head %s\n", (long long)r->checked,
		       r->checked == 1 ? "" : "s", r->head_hash[0] ? r->head_hash : "(none: no updates yet)");
	} else {
		printf("audit chain BROKEN at update %lld: %s\n", (long long)r->first_bad_id,
		       r->detail[0] ? r->detail : "(no detail)");
	}
	rc = r->ok ? EXIT_OK : EXIT_REFUSED;
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

const struct cli_command cmd_audit_verify = {
	.noun = "audit",
	.verb = "verify",
	.formats = CLI_FMT_RECORD,
	.summary = "recompute the hash chain over progress history",
	.help = cmd_audit_verify_help,
	.run = cmd_audit_verify_run,
};
