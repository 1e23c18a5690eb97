/* cmd_audit.c - `planreg audit verify`: has the hash chain over progress history been kept? */
#include <stdlib.h>

#include "cli.h"
#include "json.h"
#include "progress.h"
#include "xmalloc.h"

#define CMD_AUDIT_BATCH_DEFAULT 5000
#define CMD_AUDIT_BATCH_MAX 100000

static const char cmd_audit_verify_help[] =
	"Asks the server to recompute the hash chain over every progress update, in\n"
	"order, and compare it with what is stored, a batch of updates per request\n"
	"(each batch links to the last update of the one before). On a terminal a\n"
	"progress bar shows how far it has got. Exit code 0 when the chain is intact,\n"
	"1 when it is broken (the first update that does not match is named).\n";

/* The whole chain's verdict, gathered from the batches. */
struct cmd_audit_result {
	bool ok;
	long long checked, first_bad_id;
	char *detail, *head_hash; /* owned */
};

static void cmd_audit_print(const struct cmd_audit_result *v, enum output_format fmt)
{
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_bool(j, "ok", v->ok);
		json_kv_int(j, "checked", v->checked);
		json_key(j, "first_bad_id");
		if (v->ok)
			json_null(j);
		else
			json_int(j, v->first_bad_id);
		json_kv_str(j, "detail", v->detail);
		json_kv_str(j, "head_hash", v->head_hash[0] ? v->head_hash : NULL);
		json_object_end(j);
		cli_json_end(&doc);
	} else if (v->ok) {
		printf("audit chain verified: %lld update%s; head %s\n", v->checked, v->checked == 1 ? "" : "s",
		       v->head_hash[0] ? v->head_hash : "(none: no updates yet)");
	} else {
		printf("audit chain BROKEN at update %lld: %s\n", v->first_bad_id,
		       v->detail[0] ? v->detail : "(no detail)");
	}
}

/* One batch after after_id into v; *next is its last_id and *more whether to go on. */
static int cmd_audit_batch(struct cli *cli, int64_t after_id, int limit, struct cmd_audit_result *v, int64_t *next,
			   bool *more, long long *total)
{
	Planreg__V1__VerifyAuditRequest body = PLANREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	body.after_id = after_id;
	body.limit = limit;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__VerifyAuditResponse *r = resp->verify_audit;
	if (after_id == 0)
		*total = r->total;
	v->ok = r->ok;
	v->checked += r->checked;
	v->first_bad_id = r->first_bad_id;
	free(v->head_hash);
	v->head_hash = xstrdup(r->head_hash);
	free(v->detail);
	v->detail = r->ok ? xasprintf("%lld update%s, every hash and link as recorded", v->checked,
				      v->checked == 1 ? "" : "s")
			  : xstrdup(r->detail);
	*next = r->last_id;
	*more = r->ok && r->more && r->last_id > after_id;
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_audit_verify_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	cli_getopt_begin(&g, self, argc, argv);
	int ch, batch = CMD_AUDIT_BATCH_DEFAULT;
	while ((ch = cli_getopt_next(&g)) > 0) {
		char *end;
		long n = strtol(optarg, &end, 10);
		if (*end != '\0' || end == optarg || n < 1 || n > CMD_AUDIT_BATCH_MAX)
			return cli_usage(self, "--batch-size takes a number of updates from 1 to %d, not \"%s\"",
					 CMD_AUDIT_BATCH_MAX, optarg);
		batch = (int)n;
	}
	if (ch < 0)
		return g.rc;
	struct cmd_audit_result v = {.ok = true};
	struct progress bar;
	progress_begin(&bar, cli->stderr_tty, "verifying", 0);
	int64_t after = 0;
	long long total = 0;
	bool more = true;
	int rc = EXIT_OK;
	while (rc == EXIT_OK && more) {
		progress_clear(&bar); /* what a failed request prints starts on a clean line */
		rc = cmd_audit_batch(cli, after, batch, &v, &after, &more, &total);
		progress_update(&bar, (size_t)v.checked, (size_t)total);
	}
	progress_end(&bar);
	if (rc == EXIT_OK) {
		cmd_audit_print(&v, g.format);
		rc = v.ok ? EXIT_OK : EXIT_REFUSED;
	}
	free(v.detail);
	free(v.head_hash);
	return rc;
}

static const struct cli_option cmd_audit_verify_options[] = {
	{.name = "batch-size", .key = 'b', .arg = "N", .help = "updates checked per request (default 5000)"},
	{0},
};

const struct cli_command cmd_audit_verify = {
	.noun = "audit",
	.verb = "verify",
	.options = cmd_audit_verify_options,
	.formats = CLI_FMT_RECORD,
	.summary = "recompute the hash chain over progress history",
	.help = cmd_audit_verify_help,
	.run = cmd_audit_verify_run,
};
