/* cmd_audit_log.c - the verifiable log's side of `planreg audit`: `audit check-receipt FILE` (offline), and
 * what `audit verify` checks after the hash chain: the newest signed checkpoint against the one held, the tree
 * rebuilt from every entry against that checkpoint's head, every entry's submitter's signature, and every receipt kept
 * against both (docs/verifiable-log.md, "What every CLI keeps"). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_audit.h"
#include "json.h"
#include "merkle.h"
#include "receipt.h"
#include "submitsig.h"
#include "xmalloc.h"

#define CMD_AUDIT_LOG_PAGE 1000

/* "update 3 (project 5, 2026-Q3 revision 1)" or "review 2 of update 3", from an entry's lines. */
static char *cmd_audit_log_entry_name(const uint8_t *entry, size_t len)
{
	char *text = xstrndup((const char *)entry, len);
	const char *kind = strstr(text, "\nkind=review\n") ? "review" : "update";
	long long update = 0, review = 0, ref = 0, rev = 0;
	char period[32] = "";
	const char *p;
	if ((p = strstr(text, "\nupdate_id=")) != NULL)
		update = strtoll(p + 11, NULL, 10);
	if ((p = strstr(text, "\nreview_id=")) != NULL)
		review = strtoll(p + 11, NULL, 10);
	if ((p = strstr(text, "\nref=")) != NULL)
		ref = strtoll(p + 5, NULL, 10);
	if ((p = strstr(text, "\nrevision=")) != NULL)
		rev = strtoll(p + 10, NULL, 10);
	if ((p = strstr(text, "\nperiod=")) != NULL && (p = strchr(p, ':')) != NULL)
		sscanf(p + 1, "%31[^\n]", period);
	free(text);
	if (strcmp(kind, "review") == 0)
		return xasprintf("review %lld of update %lld", review, update);
	return xasprintf("update %lld (project %lld, %s revision %lld)", update, ref, period, rev);
}

/* ---------------------------------------------------------------- check-receipt */

static const char cmd_audit_check_receipt_help[] =
	"Checks a receipt (a C2SP tlog-proof, as `planreg update receipt` prints and\n"
	"every submission keeps) without connecting to anything: that the log's key\n"
	"signed its checkpoint and that its inclusion proof leads from the entry it\n"
	"carries to that checkpoint's head. KEY is the log's verifier key, as\n"
	"`planregd log-key` printed it, or a file that holds it (default:\n"
	"PLANREG_LOG_VKEY). Exit code 0 when it verifies, 1 when it does not.\n";

static int cmd_audit_check_receipt_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	(void)cli;
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	const char *given = cli_getopt_value(&g, 'k');
	struct note_verifier v;
	bool have;
	if (!receipt_vkey(given ? given : getenv("PLANREG_LOG_VKEY"), &v, &have))
		return EXIT_USAGE;
	if (!have)
		return cli_usage(self, "give the log's verifier key with --vkey KEY (or PLANREG_LOG_VKEY)");
	size_t len;
	char *err = NULL;
	char *text = file_read(g.args[0], 1 << 20, &len, &err);
	if (text == NULL) {
		cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return EXIT_USAGE;
	}
	struct receipt_info ri;
	const char *why = NULL;
	bool ok = receipt_check(text, len, &v, &ri, &why);
	free(text);
	if (!ok) {
		if (g.format == OUTPUT_JSON)
			printf("{\"ok\":false,\"index\":null,\"origin\":null,\"size\":null,\"entry\":null}\n");
		fprintf(stderr, "planreg: receipt %s does NOT verify: %s\n", g.args[0], why);
		return EXIT_REFUSED;
	}
	char *name = cmd_audit_log_entry_name(ri.entry, ri.entry_len);
	if (g.format == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_bool(j, "ok", true);
		json_kv_int(j, "index", (long long)ri.index);
		json_kv_str(j, "origin", ri.cp.origin);
		json_kv_int(j, "size", (long long)ri.cp.size);
		json_kv_str(j, "entry", name);
		json_object_end(j);
		cli_json_end(&doc);
	} else {
		printf("receipt verified: %s is entry %llu of %s, in its signed tree of %llu entries\n", name,
		       (unsigned long long)ri.index, ri.cp.origin, (unsigned long long)ri.cp.size);
	}
	free(name);
	receipt_info_free(&ri);
	return EXIT_OK;
}

static const struct cli_option cmd_audit_check_receipt_options[] = {
	{.name = "vkey", .key = 'k', .arg = "KEY", .help = "the log's verifier key, or a file that holds it"},
	{0},
};

const struct cli_command cmd_audit_check_receipt = {
	.noun = "audit",
	.verb = "check-receipt",
	.args = "FILE",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one receipt file",
	.options = cmd_audit_check_receipt_options,
	.formats = CLI_FMT_RECORD,
	.summary = "check a log receipt offline",
	.help = cmd_audit_check_receipt_help,
	.local = true,
	.run = cmd_audit_check_receipt_run,
};

/* ---------------------------------------------------------------- audit verify's log part */

static void cmd_audit_log_problem(struct cmd_audit_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cmd_audit_log_problem(struct cmd_audit_log *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	l->problems = xrealloc(l->problems, (l->n_problems + 1) * sizeof *l->problems);
	l->problems[l->n_problems++] = s;
}

/* Entry idx's submitter's signature checked against the certificate the page carries for it (an unsigned entry,
 * recorded before signatures or with require_signatures = no, passes). */
static void cmd_audit_log_signature(struct cmd_audit_log *l, uint64_t idx, const ProtobufCBinaryData *e,
				    const Planreg__V1__GetLeavesResponse *r)
{
	bool is_signed;
	const char *why;
	if (submitsig_check_leaf(e->data, e->len, r->certificates, r->n_certificates, &is_signed, &why))
		return;
	char *name = cmd_audit_log_entry_name(e->data, e->len);
	cmd_audit_log_problem(l, "%s, entry %llu of the log, fails its submitter's signature: %s", name,
			      (unsigned long long)idx, why);
	free(name);
}

/* Every entry of the tree of size leaves, leaf-hashed into l->leaves and its signature checked, and the head they
 * make. */
static int cmd_audit_log_rebuild(struct cli *cli, struct cmd_audit_log *l, uint64_t size, uint8_t root[MERKLE_HASH_LEN])
{
	struct merkle_compact c;
	merkle_compact_init(&c);
	l->leaves = xcalloc(size ? size : 1, MERKLE_HASH_LEN);
	while (c.size < size) {
		Planreg__V1__GetLeavesRequest body = PLANREG__V1__GET_LEAVES_REQUEST__INIT;
		body.start = c.size;
		body.count = size - c.size < CMD_AUDIT_LOG_PAGE ? (uint32_t)(size - c.size) : CMD_AUDIT_LOG_PAGE;
		Planreg__V1__Response *resp;
		int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_LEAVES, &body, &resp);
		if (rc != EXIT_OK)
			return rc;
		const Planreg__V1__GetLeavesResponse *r = resp->get_leaves;
		for (size_t i = 0; i < r->n_entries && c.size < size; i++) {
			uint8_t *h = l->leaves + c.size * MERKLE_HASH_LEN;
			merkle_leaf_hash(r->entries[i].data, r->entries[i].len, h);
			cmd_audit_log_signature(l, c.size, &r->entries[i], r);
			if (!merkle_compact_append(&c, h, NULL, NULL))
				break;
		}
		bool stuck = r->n_entries == 0;
		planreg__v1__response__free_unpacked(resp, NULL);
		if (stuck) {
			cmd_audit_log_problem(l, "the service gave %llu entries of the %llu its checkpoint counts",
					      (unsigned long long)c.size, (unsigned long long)size);
			break;
		}
	}
	l->n_leaves = c.size;
	merkle_compact_root(&c, root);
	return EXIT_OK;
}

/* The newest checkpoint cp extends the older one of a receipt (path, naming name): the consistency proof. */
static int cmd_audit_log_extends(struct cli *cli, struct cmd_audit_log *l, const char *path, const char *name,
				 const struct checkpoint *old, const struct checkpoint *cp)
{
	bool holds = false;
	int rc = receipt_consistent(cli, old, cp, &holds);
	if (rc == EXIT_OK && !holds)
		cmd_audit_log_problem(l, "the service's log no longer extends the checkpoint of your receipt %s (%s)",
				      path, name);
	return rc;
}

/* One kept receipt against the newest checkpoint (cp) and the entries fetched. */
static int cmd_audit_log_receipt(struct cli *cli, struct cmd_audit_log *l, const char *path,
				 const struct note_verifier *vkey, const struct checkpoint *cp)
{
	size_t len;
	char *err = NULL;
	char *text = file_read(path, 1 << 20, &len, &err);
	if (text == NULL) {
		cmd_audit_log_problem(l, "%s", err);
		free(err);
		return EXIT_OK;
	}
	struct receipt_info ri;
	const char *why = NULL;
	bool ok = receipt_check(text, len, vkey, &ri, &why);
	free(text);
	l->receipts++;
	if (!ok) {
		cmd_audit_log_problem(l, "receipt %s does not verify: %s", path, why);
		return EXIT_OK;
	}
	char *name = cmd_audit_log_entry_name(ri.entry, ri.entry_len);
	uint8_t leaf[MERKLE_HASH_LEN];
	merkle_leaf_hash(ri.entry, ri.entry_len, leaf);
	if (ri.index >= l->n_leaves || memcmp(l->leaves + ri.index * MERKLE_HASH_LEN, leaf, MERKLE_HASH_LEN) != 0)
		cmd_audit_log_problem(l,
				      "%s, entry %llu of the log, is no longer what your receipt %s holds: the return "
				      "was rewritten or removed after it was submitted",
				      name, (unsigned long long)ri.index, path);
	int rc = EXIT_OK;
	if (ri.cp.size > cp->size) {
		cmd_audit_log_problem(l, "receipt %s is under a tree of %llu entries, the service now shows %llu", path,
				      (unsigned long long)ri.cp.size, (unsigned long long)cp->size);
	} else if (ri.cp.size == cp->size) {
		if (memcmp(ri.cp.root, cp->root, MERKLE_HASH_LEN) != 0)
			cmd_audit_log_problem(l,
					      "receipt %s and the service's checkpoint are of the same size with "
					      "different heads (a fork)",
					      path);
	} else {
		rc = cmd_audit_log_extends(cli, l, path, name, &ri.cp, cp);
	}
	free(name);
	receipt_info_free(&ri);
	return rc;
}

/* Every *.proof file of dir. */
static int cmd_audit_log_receipts(struct cli *cli, struct cmd_audit_log *l, const char *dir,
				  const struct note_verifier *vkey, const struct checkpoint *cp)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return EXIT_OK; /* no receipts kept */
	int rc = EXIT_OK;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (rc == EXIT_OK && len > 6 && strcmp(names[i]->d_name + len - 6, ".proof") == 0) {
			char *path = xasprintf("%s/%s", dir, names[i]->d_name);
			rc = cmd_audit_log_receipt(cli, l, path, vkey, cp);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* The newest signed checkpoint (the service's), monitored against the one held; EXIT_OK with *note NULL when
 * the service does not sign its log. */
static int cmd_audit_log_checkpoint(struct cli *cli, char **note)
{
	*note = NULL;
	Planreg__V1__GetCheckpointRequest body = PLANREG__V1__GET_CHECKPOINT_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request_quiet(cli, PLANREG__V1__REQUEST__BODY_GET_CHECKPOINT, &body, NULL, &resp);
	if (rc != EXIT_OK)
		return rc;
	if (resp->status && resp->status->code != PLANREG__V1__CODE__OK) {
		bool unsigned_log = resp->status->code == PLANREG__V1__CODE__FAILED_PRECONDITION;
		if (!unsigned_log)
			cli_print_status(resp->status, "");
		planreg__v1__response__free_unpacked(resp, NULL);
		return unsigned_log ? EXIT_OK : EXIT_REFUSED;
	}
	*note = xstrdup(resp->get_checkpoint ? resp->get_checkpoint->checkpoint : "");
	planreg__v1__response__free_unpacked(resp, NULL);
	return receipt_monitor(cli, *note);
}

/* The trusted witnesses (wk, nwk of them) whose valid cosignatures note carries, the log's signature checked too when
 * its key is known (keys: the log's first when known, then wk; nkeys in all); false with *why when the note does not
 * open (a note no known key signed has no cosigner: true, 0). */
static bool cmd_audit_log_cosigners(const char *note, const struct note_verifier *keys, size_t nkeys,
				    const struct note_verifier *wk, size_t nwk, size_t *count, const char **why)
{
	struct note n;
	*count = 0;
	if (!note_open(note, strlen(note), keys, nkeys, &n, why))
		return strcmp(*why, "no known key signed the note") == 0;
	for (size_t i = 0; i < nwk; i++)
		*count += note_signed_by(&n, &wk[i]) != NULL;
	note_free(&n);
	return true;
}

/* The newest checkpoint at least l->witnesses of the trusted witnesses cosigned, asked of the service: *note
 * (malloc'd) is "" when none has so many. */
static int cmd_audit_log_cosigned_newest(struct cli *cli, const struct cmd_audit_log *l, const struct note_verifier *wk,
					 size_t nwk, char **note)
{
	char **vkeys = xcalloc(nwk + 1, sizeof *vkeys);
	for (size_t i = 0; i < nwk; i++)
		vkeys[i] = note_verifier_format(&wk[i]);
	Planreg__V1__GetCosignedCheckpointRequest body = PLANREG__V1__GET_COSIGNED_CHECKPOINT_REQUEST__INIT;
	body.vkeys = vkeys;
	body.n_vkeys = nwk;
	body.quorum = (uint32_t)l->witnesses;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_COSIGNED_CHECKPOINT, &body, &resp);
	for (size_t i = 0; i < nwk; i++)
		free(vkeys[i]);
	free(vkeys);
	if (rc != EXIT_OK)
		return rc;
	*note = xstrdup(resp->get_cosigned_checkpoint->checkpoint);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* The cosigned checkpoint (note, cosigned by *count trusted witnesses) against the current one cp: the same head at
 * the same size, else a consistency proof from it. */
static int cmd_audit_log_witnessed_extends(struct cli *cli, struct cmd_audit_log *l, const char *note,
					   const struct checkpoint *cp)
{
	struct note n;
	struct checkpoint w;
	const char *why = NULL;
	bool ok = note_split(note, strlen(note), &n, &why);
	if (ok) {
		ok = checkpoint_parse(n.text, n.text_len, &w, &why);
		note_free(&n);
	}
	if (!ok) {
		cmd_audit_log_problem(l, "the cosigned checkpoint the service gave cannot be read: %s", why);
		return EXIT_OK;
	}
	int rc = EXIT_OK;
	bool holds = strcmp(w.origin, cp->origin) == 0 && w.size <= cp->size;
	if (holds && w.size == cp->size)
		holds = memcmp(w.root, cp->root, MERKLE_HASH_LEN) == 0;
	else if (holds)
		rc = receipt_consistent(cli, &w, cp, &holds);
	if (rc == EXIT_OK && !holds)
		cmd_audit_log_problem(l,
				      "the checkpoint the witnesses cosigned (%s, %llu entries) is not consistent with "
				      "the current one (%llu entries): the log does not extend what they witnessed",
				      w.origin, (unsigned long long)w.size, (unsigned long long)cp->size);
	l->witnessed_size = w.size;
	checkpoint_free(&w);
	return rc;
}

/* --witnesses: the newest checkpoint cosigned by at least l->witnesses of the witnesses the settings trust (the
 * current one cp, as served in note, or an older one the service keeps), and the current tree consistent with it.
 * The log's key (log) checks its signature too, when known. */
static int cmd_audit_log_witnessed(struct cli *cli, struct cmd_audit_log *l, const char *note,
				   const struct note_verifier *log, const struct checkpoint *cp)
{
	struct note_verifier *wk;
	size_t nwk;
	if (!receipt_witness_vkeys(cli->settings.witness_vkeys, &wk, &nwk))
		return EXIT_USAGE;
	if (nwk < l->witnesses) {
		free(wk);
		return cli_fail(
			EXIT_USAGE,
			"--witnesses %zu asks for more witnesses than you trust (%zu): list their verifier keys "
			"in witness_vkeys (client.conf) or PLANREG_WITNESS_VKEYS",
			l->witnesses, nwk);
	}
	struct note_verifier *keys = xcalloc(nwk + 1, sizeof *keys);
	size_t nkeys = 0;
	if (log != NULL)
		keys[nkeys++] = *log;
	memcpy(keys + nkeys, wk, nwk * sizeof *wk);
	const char *why = NULL;
	size_t newest = 0;
	int rc = EXIT_OK;
	char *older = NULL;
	if (!cmd_audit_log_cosigners(note, keys, nkeys + nwk, wk, nwk, &newest, &why))
		cmd_audit_log_problem(l, "the newest checkpoint's cosignatures do not verify: %s", why);
	l->witnessed = newest;
	l->witnessed_size = cp->size;
	if (newest < l->witnesses)
		rc = cmd_audit_log_cosigned_newest(cli, l, wk, nwk, &older);
	if (rc == EXIT_OK && older != NULL && older[0] == '\0') {
		cmd_audit_log_problem(l,
				      "no checkpoint of the log is cosigned by %zu of the witnesses you trust (the "
				      "newest is by %zu): it is not witnessed (run `planreg audit witness` as each)",
				      l->witnesses, newest);
	} else if (rc == EXIT_OK && older != NULL) {
		if (!cmd_audit_log_cosigners(older, keys, nkeys + nwk, wk, nwk, &l->witnessed, &why))
			cmd_audit_log_problem(l, "the cosigned checkpoint's signatures do not verify: %s", why);
		else if (l->witnessed < l->witnesses)
			cmd_audit_log_problem(l,
					      "the checkpoint the service gave as cosigned carries valid cosignatures "
					      "by %zu of the witnesses you trust, not the %zu asked for",
					      l->witnessed, l->witnesses);
		else
			rc = cmd_audit_log_witnessed_extends(cli, l, older, cp);
	}
	free(older);
	free(keys);
	free(wk);
	return rc;
}

int cmd_audit_log_verify(struct cli *cli, const char *receipts, const char *vkey_given, size_t witnesses,
			 struct cmd_audit_log *l)
{
	memset(l, 0, sizeof *l);
	l->witnesses = witnesses;
	struct note_verifier v;
	bool have;
	if (!receipt_vkey(vkey_given ? vkey_given : cli->settings.log_vkey, &v, &have))
		return EXIT_USAGE;
	char *note;
	int rc = cmd_audit_log_checkpoint(cli, &note);
	if (rc == EXIT_OK && note == NULL && witnesses > 0)
		rc = cli_fail(EXIT_LOG, "--witnesses: the service does not sign its log, so nothing is witnessed");
	if (rc != EXIT_OK || note == NULL) {
		free(note);
		return rc;
	}
	struct checkpoint cp;
	struct note n;
	const char *why = NULL;
	bool ok = have ? note_open(note, strlen(note), &v, 1, &n, &why) : note_split(note, strlen(note), &n, &why);
	ok = ok && checkpoint_parse(n.text, n.text_len, &cp, &why);
	if (!ok) {
		free(note);
		return cli_fail(EXIT_LOG, "the service's checkpoint does not verify: %s", why);
	}
	note_free(&n);
	l->checked = true;
	l->size = cp.size;
	if (witnesses > 0)
		rc = cmd_audit_log_witnessed(cli, l, note, have ? &v : NULL, &cp);
	uint8_t root[MERKLE_HASH_LEN];
	if (rc == EXIT_OK)
		rc = cmd_audit_log_rebuild(cli, l, cp.size, root);
	if (rc == EXIT_OK && l->n_leaves == cp.size && memcmp(root, cp.root, MERKLE_HASH_LEN) != 0)
		cmd_audit_log_problem(l,
				      "the log's %llu entries do not make the head of its signed checkpoint: the "
				      "entries were changed",
				      (unsigned long long)cp.size);
	char *dir = receipts ? xstrdup(receipts) : receipt_dir();
	if (rc == EXIT_OK && dir != NULL)
		rc = cmd_audit_log_receipts(cli, l, dir, have ? &v : NULL, &cp);
	free(dir);
	checkpoint_free(&cp);
	free(note);
	return rc;
}

void cmd_audit_log_free(struct cmd_audit_log *l)
{
	for (size_t i = 0; i < l->n_problems; i++)
		free(l->problems[i]);
	free(l->problems);
	free(l->leaves);
	memset(l, 0, sizeof *l);
}
