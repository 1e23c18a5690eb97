/* cmd_audit.c - `planreg audit verify`: has the hash chain over progress history been kept? */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "json.h"

static const char cmd_audit_verify_help[] =
	"Asks the server to recompute the hash chain over every progress update, in\n"
	"order, and compare it with what is stored. Exit code 0 when the chain is\n"
	"intact, 1 when it is broken (the first update that does not match is named).\n\n"
	"Options:\n"
	"  --format table|json   output format (default table)\n";

static int cmd_audit_verify(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = &cmd_audit_commands[0];
	enum output_format fmt;
	int rc = cli_format_options(cmd, argc, argv, 0, "", false, &fmt);
	if (rc >= 0)
		return rc;

	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__VerifyAuditRequest body = PLANREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT;
	req.verify_audit = &body;
	Planreg__V1__Response *resp;
	rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__VerifyAuditResponse *r = resp->verify_audit;
	if (r == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no verdict");
	}
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_object_begin(&j);
		json_kv_bool(&j, "ok", r->ok);
		json_kv_int(&j, "checked", r->checked);
		json_key(&j, "first_bad_id");
		if (r->ok)
			json_null(&j);
		else
			json_int(&j, r->first_bad_id);
		json_kv_str(&j, "detail", r->detail);
		json_kv_str(&j, "head_hash", r->head_hash[0] ? r->head_hash : NULL);
		json_object_end(&j);
		output_json_done(&b, stdout);
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

const struct cli_command cmd_audit_commands[] = {
	{"audit", "verify", cmd_audit_verify, "[--format table|json]", "recompute the hash chain over progress history",
	 cmd_audit_verify_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
