/* cmd_audit_witness.c - an organisation as a witness of the verifiable log (docs/verifiable-log.md, "Witnesses"):
 * `audit witness-key` makes its cosignature key on the officer's machine, `audit witness-enrol` is the CA's
 * registration of that key, and `audit witness` (a daily timer's job) cosigns the newest checkpoint once it has
 * checked that it extends the last one this organisation cosigned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "file_atomic.h"
#include "json.h"
#include "receipt.h"
#include "settings.h"
#include "xmalloc.h"

#define WITNESS_KEY_FILE "witness.key"
/* --key, the same in witness-key and witness */
#define WITNESS_KEY_OPTION                                                                                             \
	{                                                                                                              \
		.name = "key", .key = 'K', .arg = "FILE", .help = "the witness's key file",                            \
		.when_absent = "$XDG_DATA_HOME/planreg/witness.key", .complete = CLI_COMPLETE_FILE                     \
	}

/* --key's value, else $XDG_DATA_HOME/planreg/witness.key (malloc'd); NULL without a home. */
static char *witness_key_path(const char *given)
{
	if (given != NULL)
		return xstrdup(given);
	char *dir = settings_data_dir();
	char *path = dir ? xasprintf("%s/" WITNESS_KEY_FILE, dir) : NULL;
	free(dir);
	return path;
}

static int witness_print_vkey(const struct note_signer *key, enum output_format fmt, const char *path)
{
	struct note_verifier v;
	note_signer_verifier(key, &v);
	char *vkey = note_verifier_format(&v);
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_str(j, "vkey", vkey);
		json_kv_str(j, "key_file", path);
		json_object_end(j);
		cli_json_end(&doc);
	} else {
		printf("%s\n", vkey);
	}
	free(vkey);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- witness-key */

static const char cmd_audit_witness_key_help[] =
	"Makes this organisation's witness key: an Ed25519 cosignature key (C2SP\n"
	"tlog-cosignature) kept on this machine only, in FILE (default\n"
	"$XDG_DATA_HOME/planreg/witness.key), mode 0600, and prints its verifier key.\n"
	"Give the verifier key to the Combined Authority, which registers it for your\n"
	"organisation (`planreg audit witness-enrol`); then run `planreg audit\n"
	"witness` every day. An existing key file is never replaced. NAME names the\n"
	"key in cosignature lines (default: this host's name and /witness).\n";

static int cmd_audit_witness_key_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	(void)cli;
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	char host[256] = "localhost";
	if (gethostname(host, sizeof host - 1) != 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	const char *given = cli_getopt_value(&g, 'n');
	char *name = given ? xstrdup(given) : xasprintf("%s/witness", host);
	struct note_signer key;
	if (!note_name_valid(name) || !note_keygen(name, NOTE_COSIGNATURE, &key)) {
		cli_usage(self, "\"%s\" cannot name a key (no spaces or +, at most %d bytes): give --name", name,
			  NOTE_NAME_MAX);
		free(name);
		return EXIT_USAGE;
	}
	free(name);
	char *path = witness_key_path(cli_getopt_value(&g, 'K')), *err = NULL;
	if (path == NULL) {
		note_signer_wipe(&key);
		return cli_usage(self, "no home to keep the key in: give --key FILE");
	}
	char *dir = strrchr(path, '/') ? xstrdup(path) : xstrdup("."), *slash = strrchr(dir, '/');
	if (slash != NULL)
		slash[slash == dir] = '\0'; /* the key's folder ("/" for a file at the root) */
	char *text = note_signer_format(&key), *line = xasprintf("%s\n", text);
	explicit_bzero(text, strlen(text));
	free(text);
	bool ok = receipt_mkdirs(dir) &&
		  file_atomic_write("the witness key", path, line, strlen(line), 0600, false, &err);
	explicit_bzero(line, strlen(line));
	free(line);
	free(dir);
	int rc = ok ? witness_print_vkey(&key, g.format, path)
		    : cli_fail(EXIT_REFUSED, "%s", err ? err : "cannot make the key's folder");
	note_signer_wipe(&key);
	free(err);
	free(path);
	return rc;
}

static const struct cli_option cmd_audit_witness_key_options[] = {
	{.name = "name", .key = 'n', .arg = "NAME", .help = "the witness key's name in cosignature lines"},
	WITNESS_KEY_OPTION,
	{0},
};

const struct cli_command cmd_audit_witness_key = {
	.noun = "audit",
	.verb = "witness-key",
	.options = cmd_audit_witness_key_options,
	.formats = CLI_FMT_RECORD,
	.summary = "make this organisation's witness key",
	.help = cmd_audit_witness_key_help,
	.local = true,
	.run = cmd_audit_witness_key_run,
};

/* ---------------------------------------------------------------- witness-enrol */

static const char cmd_audit_witness_enrol_help[] =
	"Registers KEY (the verifier key `planreg audit witness-key` printed) as the\n"
	"witness key of organisation ORG, replacing the one before; the checkpoints\n"
	"served then carry only cosignatures by the registered keys. The Combined\n"
	"Authority's (admin) only.\n";

static int cmd_audit_witness_enrol_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	struct note_verifier v;
	if (!note_verifier_parse(g.args[1], &v) || v.type != NOTE_COSIGNATURE)
		return cli_usage(self,
				 "\"%s\" is not a witness's verifier key (as `planreg audit witness-key` prints it)",
				 g.args[1]);
	Planreg__V1__WitnessKey key = PLANREG__V1__WITNESS_KEY__INIT;
	key.organisation = g.args[0];
	key.vkey = g.args[1];
	Planreg__V1__SetWitnessKeyRequest body = PLANREG__V1__SET_WITNESS_KEY_REQUEST__INIT;
	body.key = &key;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_SET_WITNESS_KEY, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	static const Planreg__V1__WitnessKey none = PLANREG__V1__WITNESS_KEY__INIT;
	const Planreg__V1__WitnessKey *r = resp->set_witness_key->key ? resp->set_witness_key->key : &none;
	if (g.format == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_str(j, "organisation", r->organisation);
		json_kv_str(j, "vkey", r->vkey);
		json_object_end(j);
		cli_json_end(&doc);
	} else {
		printf("witness key of %s: %s\n", r->organisation, r->vkey);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_audit_witness_enrol = {
	.noun = "audit",
	.verb = "witness-enrol",
	.args = "ORG KEY",
	.min_args = 2,
	.max_args = 2,
	.args_what = "an organisation's code and its witness's verifier key",
	.formats = CLI_FMT_RECORD,
	.summary = "register an organisation's witness key (CA)",
	.help = cmd_audit_witness_enrol_help,
	.run = cmd_audit_witness_enrol_run,
};

/* ---------------------------------------------------------------- witness */

static const char cmd_audit_witness_help[] =
	"Witnesses the service's log as your organisation, for a daily timer: fetches\n"
	"the newest signed checkpoint, checks the log's signature (--vkey, or log_vkey)\n"
	"and that it extends the last checkpoint this organisation cosigned (kept in\n"
	"$XDG_STATE_HOME/planreg/witness-ORIGIN, and known to the service) with a\n"
	"consistency proof, then sends a C2SP cosignature made with the witness key\n"
	"(--key FILE, default $XDG_DATA_HOME/planreg/witness.key), which the service\n"
	"checks against the key registered for your organisation and serves with that\n"
	"checkpoint from then on. Exit code 0 when cosigned; 4 when the log does not\n"
	"extend what was cosigned before (nothing is cosigned, both checkpoints are kept\n"
	"as evidence); 1 when the service refuses, or shows an older tree.\n";

/* One run of the witness. */
struct witness_run {
	struct note_signer key;
	struct note_verifier keys[2]; /* the log's, the witness's own */
	char *note;                   /* the newest checkpoint, as served */
	struct checkpoint seen;
	uint64_t before; /* the largest size cosigned before, 0 for none */
};

/* The witness's key from its file: a cosignature signer; false after saying why. */
static bool witness_load_key(const char *path, struct note_signer *key)
{
	size_t len;
	char *err = NULL;
	char *text = file_read(path, 4096, &len, &err);
	if (text == NULL) {
		cli_fail(EXIT_USAGE, "the witness key: %s (make one with `planreg audit witness-key`)", err);
		free(err);
		return false;
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		explicit_bzero(text, len);
		free(text);
		cli_fail(EXIT_USAGE,
			 "the witness key %s is readable by others (mode %03o): chmod 600 it, and make a new key if "
			 "anyone "
			 "else may have read it",
			 path, (unsigned)(st.st_mode & 0777));
		return false;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	bool ok = note_signer_parse(text, key) && key->type == NOTE_COSIGNATURE;
	explicit_bzero(text, len);
	free(text);
	if (!ok)
		cli_fail(EXIT_USAGE, "%s is not a witness key (as `planreg audit witness-key` writes one)", path);
	return ok;
}

/* A note the log signed and this witness cosigned, and its checkpoint. */
static bool witness_open_own(const struct witness_run *w, const char *note, struct checkpoint *cp)
{
	struct note n;
	if (!note_open(note, strlen(note), w->keys, 2, &n, NULL))
		return false;
	bool ok = note_signed_by(&n, &w->keys[0]) && note_signed_by(&n, &w->keys[1]) &&
		  checkpoint_parse(n.text, n.text_len, cp, NULL);
	note_free(&n);
	return ok;
}

/* The newest checkpoint against one this witness cosigned before (where names it): EXIT_OK when it may be cosigned.
 */
static int witness_against(struct cli *cli, struct witness_run *w, const char *before, const char *where)
{
	struct checkpoint b;
	if (!witness_open_own(w, before, &b)) {
		fprintf(stderr, "planreg: warning: the checkpoint cosigned before (%s) does not verify; not used\n",
			where);
		return EXIT_OK;
	}
	int rc = EXIT_OK;
	bool newer;
	if (strcmp(b.origin, w->seen.origin) != 0)
		fprintf(stderr, "planreg: warning: the checkpoint cosigned before (%s) is of another log\n", where);
	else if (w->seen.size < b.size)
		rc = cli_fail(EXIT_REFUSED,
			      "the service shows a tree of %llu entries, older than the one of %llu this witness "
			      "cosigned (%s): nothing cosigned",
			      (unsigned long long)w->seen.size, (unsigned long long)b.size, where);
	else if ((rc = receipt_compare(cli, before, w->note, &w->seen, &newer)) == EXIT_LOG)
		fprintf(stderr,
			"planreg: the witness did NOT cosign: the log does not extend what it cosigned "
			"before (%s)\n",
			where);
	if (rc == EXIT_OK && b.size > w->before)
		w->before = b.size;
	checkpoint_free(&b);
	return rc;
}

/* What the service knows of this witness: its registered key must be this one; the checkpoint it holds as cosigned
 * last, checked as the local one is. */
static int witness_service(struct cli *cli, struct witness_run *w)
{
	Planreg__V1__GetWitnessRequest body = PLANREG__V1__GET_WITNESS_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_WITNESS, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	char *mine = note_verifier_format(&w->keys[1]);
	const Planreg__V1__GetWitnessResponse *got = resp->get_witness;
	const Planreg__V1__WitnessKey *r = got->key;
	if (r == NULL)
		rc = cli_fail(EXIT_REFUSED, "the service did not say which witness key it has for you");
	else if (r->vkey[0] == '\0')
		rc = cli_fail(EXIT_REFUSED,
			      "%s has no witness key registered: ask the Combined Authority to register this one "
			      "(`planreg audit witness-enrol %s %s`)",
			      r->organisation, r->organisation, mine);
	else if (strcmp(r->vkey, mine) != 0)
		rc = cli_fail(EXIT_REFUSED,
			      "the service has another witness key registered for %s (%s), not this one (%s): use that "
			      "key's file (--key), or ask the Combined Authority to register this one",
			      r->organisation, r->vkey, mine);
	else if (got->cosigned[0] != '\0')
		rc = witness_against(cli, w, got->cosigned, "as the service holds it");
	free(mine);
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* The newest signed checkpoint, the log's signature checked with its verifier key (vkey, else the settings'). */
static int witness_newest(struct cli *cli, struct witness_run *w, const char *vkey)
{
	Planreg__V1__GetCheckpointRequest body = PLANREG__V1__GET_CHECKPOINT_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_CHECKPOINT, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	w->note = xstrdup(resp->get_checkpoint->checkpoint);
	planreg__v1__response__free_unpacked(resp, NULL);
	bool have;
	if (!receipt_vkey(vkey ? vkey : cli->settings.log_vkey, &w->keys[0], &have))
		return EXIT_USAGE;
	if (!have)
		return cli_fail(EXIT_USAGE,
				"a witness checks the log's signature: give the log's verifier key with --vkey "
				"KEY (or log_vkey in client.conf, or PLANREG_LOG_VKEY)");
	struct note n;
	const char *why = NULL;
	if (!note_open(w->note, strlen(w->note), w->keys, 1, &n, &why))
		return cli_fail(EXIT_LOG,
				"THE SERVICE SHOWED A CHECKPOINT THAT DOES NOT VERIFY with the log's key (%s): "
				"nothing cosigned",
				why);
	bool ok = checkpoint_parse(n.text, n.text_len, &w->seen, &why);
	note_free(&n);
	return ok ? EXIT_OK : cli_fail(EXIT_LOG, "the service's checkpoint cannot be read (%s): nothing cosigned", why);
}

/* Cosigns the newest checkpoint and sends it; then keeps it as the last one cosigned. */
static int witness_cosign(struct cli *cli, struct witness_run *w, const char *state, enum output_format fmt)
{
	struct note n;
	if (!note_split(w->note, strlen(w->note), &n, NULL))
		return cli_fail(EXIT_LOG, "the service's checkpoint cannot be read");
	char *line = note_signature_line(&w->key, n.text, n.text_len, (uint64_t)time(NULL));
	note_free(&n);
	Planreg__V1__AddCosignatureRequest body = PLANREG__V1__ADD_COSIGNATURE_REQUEST__INIT;
	body.checkpoint = w->note;
	body.cosignature = line;
	Planreg__V1__Response *resp;
	int rc = line ? cli_request(cli, PLANREG__V1__REQUEST__BODY_ADD_COSIGNATURE, &body, &resp)
		      : cli_fail(EXIT_REFUSED, "cannot cosign the checkpoint");
	if (rc != EXIT_OK) {
		free(line);
		return rc;
	}
	const Planreg__V1__AddCosignatureResponse *r = resp->add_cosignature;
	char *kept = xasprintf("%s%s", w->note, line), *err = NULL;
	if (state != NULL && w->before != w->seen.size &&
	    !file_atomic_write("the witness's checkpoint", state, kept, strlen(kept), 0600, true, &err))
		fprintf(stderr, "planreg: warning: %s\n", err);
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_str(j, "organisation", r->organisation);
		json_kv_str(j, "origin", w->seen.origin);
		json_kv_int(j, "size", (long long)r->size);
		json_key(j, "previous_size");
		if (w->before > 0)
			json_int(j, (long long)w->before);
		else
			json_null(j);
		json_kv_int(j, "time", (long long)r->time);
		json_object_end(j);
		cli_json_end(&doc);
	} else {
		printf("cosigned as %s: %s, tree of %llu entries", r->organisation, w->seen.origin,
		       (unsigned long long)r->size);
		if (w->before > 0)
			printf(" (extends the one of %llu cosigned before)", (unsigned long long)w->before);
		printf("\n");
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	free(err);
	free(kept);
	free(line);
	return EXIT_OK;
}

static int cmd_audit_witness_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	struct witness_run w = {0};
	char *path = witness_key_path(cli_getopt_value(&g, 'K'));
	if (path == NULL)
		return cli_usage(self, "no home to find the witness key in: give --key FILE");
	bool loaded = witness_load_key(path, &w.key);
	free(path);
	if (!loaded)
		return EXIT_USAGE;
	note_signer_verifier(&w.key, &w.keys[1]);
	int rc = witness_newest(cli, &w, cli_getopt_value(&g, 'k'));
	char *state = rc == EXIT_OK ? receipt_state_path("witness", w.seen.origin) : NULL;
	size_t len;
	char *err = NULL, *held = state ? file_read(state, 1 << 20, &len, &err) : NULL;
	if (rc == EXIT_OK && held != NULL)
		rc = witness_against(cli, &w, held, state);
	if (rc == EXIT_OK)
		rc = witness_service(cli, &w);
	if (rc == EXIT_OK)
		rc = witness_cosign(cli, &w, state, g.format);
	note_signer_wipe(&w.key);
	checkpoint_free(&w.seen);
	free(w.note);
	free(held);
	free(err);
	free(state);
	return rc;
}

static const struct cli_option cmd_audit_witness_options[] = {
	WITNESS_KEY_OPTION,
	{.name = "vkey", .key = 'k', .arg = "KEY", .help = "the log's verifier key, or a file that holds it"},
	{0},
};

const struct cli_command cmd_audit_witness = {
	.noun = "audit",
	.verb = "witness",
	.options = cmd_audit_witness_options,
	.formats = CLI_FMT_RECORD,
	.summary = "cosign the log's newest checkpoint as your organisation",
	.help = cmd_audit_witness_help,
	.run = cmd_audit_witness_run,
};
