/* cmd_audit.c - `planreg audit verify`: has the hash chain over progress history been kept, and does the
 * verifiable log still hold what this CLI has seen (cmd_audit_log.c)? */
#include <stdlib.h>

#include "cli.h"
#include "cmd_audit.h"
#include "json.h"
#include "progress.h"
#include "xmalloc.h"

#define CMD_AUDIT_BATCH_DEFAULT 5000
#define CMD_AUDIT_BATCH_MAX 100000
#define CMD_AUDIT_WITNESSES_MAX 99 /* a note carries at most 100 signature lines, the log's one */

static const char cmd_audit_verify_help[] =
	"Asks the server to recompute the hash chain over every progress update, in\n"
	"order, and compare it with what is stored, a batch of updates per request\n"
	"(each batch links to the last update of the one before). On a terminal a\n"
	"progress bar shows how far it has got. Then, when the service signs its log,\n"
	"it checks the newest signed checkpoint against the one this CLI holds,\n"
	"rebuilds the tree from every entry and compares it with that checkpoint, and\n"
	"checks every receipt kept (--receipts DIR, default\n"
	"$XDG_DATA_HOME/planreg/receipts) against both, naming any return rewritten\n"
	"since. With --witnesses N the newest checkpoint that carries valid\n"
	"cosignatures by at least N of the witnesses you trust (witness_vkeys), that\n"
	"one or an older one, must be consistent with it (\"cosigned by N witnesses at\n"
	"size S; current size T consistent\"). Exit code 0 when all holds, 1 when the\n"
	"chain is broken (the first update that does not match is named), 4 when the\n"
	"log does not hold what was seen or kept, or no checkpoint is so cosigned.\n";

/* The whole chain's verdict, gathered from the batches. */
struct cmd_audit_result {
	bool ok;
	long long checked, first_bad_id;
	char *detail, *head_hash; /* owned */
};

/* The log's verdict as JSON keys of the same object. */
static void cmd_audit_print_log_json(struct json *j, const struct cmd_audit_log *l)
{
	json_kv_bool(j, "log_checked", l->checked);
	json_key(j, "log_size");
	if (l->checked)
		json_int(j, (long long)l->size);
	else
		json_null(j);
	json_kv_int(j, "receipts_checked", (long long)l->receipts);
	bool witnessing = l->checked && l->witnesses > 0;
	json_key(j, "witnessed");
	if (witnessing)
		json_int(j, (long long)l->witnessed);
	else
		json_null(j);
	json_key(j, "witnessed_size");
	if (witnessing && l->witnessed >= l->witnesses)
		json_int(j, (long long)l->witnessed_size);
	else
		json_null(j);
	cli_json_strings(j, "log_problems", l->problems, l->n_problems);
}

static void cmd_audit_print_log(const struct cmd_audit_log *l)
{
	if (!l->checked) {
		printf("log: the service does not sign its log; nothing to check it against\n");
		return;
	}
	for (size_t i = 0; i < l->n_problems; i++)
		printf("log BROKEN: %s\n", l->problems[i]);
	if (l->n_problems == 0)
		printf("log verified: %llu entries make the signed checkpoint's head; %zu receipt%s hold\n",
		       (unsigned long long)l->size, l->receipts, l->receipts == 1 ? "" : "s");
	if (l->n_problems == 0 && l->witnesses > 0)
		printf("log witnessed: cosigned by %zu witnesses at size %llu; current size %llu consistent\n",
		       l->witnessed, (unsigned long long)l->witnessed_size, (unsigned long long)l->size);
}

static void cmd_audit_print(const struct cmd_audit_result *v, const struct cmd_audit_log *l, enum output_format fmt)
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
		cmd_audit_print_log_json(j, l);
		json_object_end(j);
		cli_json_end(&doc);
		return;
	}
	if (v->ok) {
		printf("audit chain verified: %lld update%s; head %s\n", v->checked, v->checked == 1 ? "" : "s",
		       v->head_hash[0] ? v->head_hash : "(none: no updates yet)");
	} else {
		printf("audit chain BROKEN at update %lld: %s\n", v->first_bad_id,
		       v->detail[0] ? v->detail : "(no detail)");
	}
	cmd_audit_print_log(l);
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
	const char *receipts = NULL, *vkey = NULL;
	size_t witnesses = 0;
	while ((ch = cli_getopt_next(&g)) > 0) {
		if (ch == 'r' || ch == 'k') {
			*(ch == 'r' ? &receipts : &vkey) = optarg;
			continue;
		}
		char *end;
		long n = strtol(optarg, &end, 10);
		long max = ch == 'w' ? CMD_AUDIT_WITNESSES_MAX : CMD_AUDIT_BATCH_MAX;
		if (*end != '\0' || end == optarg || n < 1 || n > max)
			return cli_usage(self, "--%s takes a number of %s from 1 to %ld, not \"%s\"",
					 ch == 'w' ? "witnesses" : "batch-size", ch == 'w' ? "witnesses" : "updates",
					 max, optarg);
		if (ch == 'w')
			witnesses = (size_t)n;
		else
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
	struct cmd_audit_log l = {0};
	if (rc == EXIT_OK)
		rc = cmd_audit_log_verify(cli, receipts, vkey, witnesses, &l);
	if (rc == EXIT_OK) {
		cmd_audit_print(&v, &l, g.format);
		rc = !v.ok ? EXIT_REFUSED : l.n_problems ? EXIT_LOG : EXIT_OK;
	}
	cmd_audit_log_free(&l);
	free(v.detail);
	free(v.head_hash);
	return rc;
}

static const struct cli_option cmd_audit_verify_options[] = {
	{.name = "batch-size", .key = 'b', .arg = "N", .help = "updates checked per request (default 5000)"},
	{.name = "receipts",
	 .key = 'r',
	 .arg = "DIR",
	 .help = "the receipts to check against the log",
	 .when_absent = "where this CLI keeps them",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "vkey", .key = 'k', .arg = "KEY", .help = "the log's verifier key, or a file that holds it"},
	{.name = "witnesses",
	 .key = 'w',
	 .arg = "N",
	 .help = "cosignatures by trusted witnesses (witness_vkeys) a checkpoint the current tree extends must carry",
	 .when_absent = "none"},
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
