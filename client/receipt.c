/* receipt.c - the receipts and the newest checkpoint the CLI keeps, and the consistency check of every newer
 * checkpoint (see receipt.h). */
#include "receipt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_atomic.h"
#include "merkle.h"
#include "xmalloc.h"

#define RECEIPT_FILE_MAX (1 << 20)

/* base (an XDG variable's value) + "/planreg" + sub, else $HOME/fallback + sub; NULL without either. */
static char *receipt_xdg(const char *var, const char *fallback, const char *sub)
{
	const char *base = getenv(var);
	if (base != NULL && base[0] == '/')
		return xasprintf("%s/planreg%s", base, sub);
	const char *home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		return NULL;
	return xasprintf("%s/%s/planreg%s", home, fallback, sub);
}

char *receipt_dir(void)
{
	return receipt_xdg("XDG_DATA_HOME", ".local/share", "/receipts");
}

char *receipt_path(const char *kind, int64_t id)
{
	char *dir = receipt_dir();
	if (dir == NULL)
		return NULL;
	char *path = xasprintf("%s/%s-%lld.proof", dir, kind, (long long)id);
	free(dir);
	return path;
}

bool receipt_mkdirs(const char *path)
{
	char *copy = xstrdup(path);
	bool ok = true;
	for (char *p = copy + 1; ok && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ok = mkdir(copy, 0700) == 0 || errno == EEXIST;
		*p = '/';
	}
	ok = ok && (mkdir(copy, 0700) == 0 || errno == EEXIST);
	free(copy);
	return ok;
}

/* A key of type from a key string, or a file that holds one; false after saying why (what names it). */
static bool receipt_key_read(const char *given, uint8_t type, const char *what, const char *made_by,
			     struct note_verifier *out)
{
	if (note_verifier_parse(given, out) && out->type == type)
		return true;
	char *text = NULL;
	if (access(given, F_OK) == 0) { /* a file that holds the key */
		size_t len;
		char *err = NULL;
		text = file_read(given, 4096, &len, &err);
		if (text == NULL) {
			cli_fail(EXIT_USAGE, "%s: %s", what, err);
			free(err);
			return false;
		}
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
			text[--len] = '\0';
	}
	bool ok = note_verifier_parse(text ? text : given, out) && out->type == type;
	free(text);
	if (!ok)
		cli_fail(EXIT_USAGE,
			 "\"%s\" is not %s (NAME+8 hex digits+base64, as `%s` prints it), nor a file that holds one",
			 given, what, made_by);
	return ok;
}

bool receipt_vkey(const char *given, struct note_verifier *out, bool *have)
{
	*have = false;
	if (given == NULL || given[0] == '\0')
		return true;
	*have = receipt_key_read(given, NOTE_ED25519, "the log's verifier key", "planregd log-key", out);
	return *have;
}

bool receipt_witness_vkeys(const char *list, struct note_verifier **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char *copy = xstrdup(list ? list : ""), *save = NULL;
	bool ok = true;
	for (char *t = strtok_r(copy, " ,\t\n", &save); ok && t != NULL; t = strtok_r(NULL, " ,\t\n", &save)) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		ok = receipt_key_read(t, NOTE_COSIGNATURE, "a witness's verifier key", "planreg audit witness-key",
				      &(*out)[*n]);
		*n += ok;
	}
	free(copy);
	if (!ok) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ok;
}

void receipt_info_free(struct receipt_info *ri)
{
	free(ri->entry);
	free(ri->note);
	checkpoint_free(&ri->cp);
	memset(ri, 0, sizeof *ri);
}

/* The checkpoint of a note: signed by vkey when given, else only split. */
static bool receipt_open_note(const char *note, size_t len, const struct note_verifier *vkey, struct checkpoint *cp,
			      const char **why)
{
	struct note n;
	bool ok = vkey ? note_open(note, len, vkey, 1, &n, why) : note_split(note, len, &n, why);
	if (!ok)
		return false;
	ok = checkpoint_parse(n.text, n.text_len, cp, why);
	note_free(&n);
	return ok;
}

bool receipt_check(const char *text, size_t len, const struct note_verifier *vkey, struct receipt_info *out,
		   const char **why)
{
	memset(out, 0, sizeof *out);
	struct checkpoint_receipt r;
	if (!checkpoint_receipt_parse(text, len, &r, why))
		return false;
	bool ok = r.extra != NULL;
	if (!ok)
		*why = "the receipt does not carry its entry (the extra line)";
	uint8_t leaf[MERKLE_HASH_LEN];
	if (ok) {
		merkle_leaf_hash(r.extra, r.extra_len, leaf);
		ok = receipt_open_note(r.note, r.note_len, vkey, &out->cp, why);
	}
	if (ok && vkey) {
		struct checkpoint_policy policy = {.log = vkey};
		checkpoint_free(&out->cp);
		ok = checkpoint_receipt_verify(text, len, &policy, leaf, &out->cp, why);
	} else if (ok && !merkle_verify_inclusion(leaf, r.index, out->cp.size, &r.proof.hash[0][0], r.proof.len,
						  out->cp.root)) {
		*why = "its inclusion proof does not lead from the entry to the checkpoint's head";
		ok = false;
	}
	if (!ok) {
		checkpoint_free(&out->cp);
		checkpoint_receipt_free(&r);
		memset(out, 0, sizeof *out);
		return false;
	}
	out->index = r.index;
	out->entry = r.extra;
	out->entry_len = r.extra_len;
	out->note = r.note;
	r.extra = NULL;
	r.note = NULL;
	checkpoint_receipt_free(&r);
	return true;
}

bool receipt_proof(const ProtobufCBinaryData *hashes, size_t n, struct merkle_proof *out)
{
	out->len = 0;
	if (n > MERKLE_PROOF_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (hashes[i].len != MERKLE_HASH_LEN)
			return false;
		memcpy(out->hash[i], hashes[i].data, MERKLE_HASH_LEN);
	}
	out->len = n;
	return true;
}

/* The settings' verifier key, when one is configured (and valid: otherwise a warning, and none). */
static const struct note_verifier *receipt_settings_vkey(struct cli *cli, struct note_verifier *v)
{
	bool have = false;
	if (!receipt_vkey(cli->settings.log_vkey, v, &have) || !have)
		return NULL;
	return v;
}

int receipt_keep(struct cli *cli, const char *kind, int64_t id, const Planreg__V1__LogReceipt *r)
{
	if (r == NULL || r->checkpoint == NULL || r->checkpoint[0] == '\0')
		return EXIT_OK;
	struct checkpoint_receipt cr = {.extra = r->entry.data, .extra_len = r->entry.len, .index = r->leaf_index};
	bool shaped = receipt_proof(r->proof, r->n_proof, &cr.proof);
	cr.note = r->checkpoint;
	cr.note_len = strlen(r->checkpoint);
	char *text = shaped ? checkpoint_receipt_format(&cr) : NULL;
	struct note_verifier v;
	struct receipt_info ri;
	const char *why = "its proof is malformed";
	if (text == NULL || !receipt_check(text, strlen(text), receipt_settings_vkey(cli, &v), &ri, &why)) {
		free(text);
		return cli_fail(EXIT_LOG,
				"THE SERVICE'S RECEIPT FOR %s %lld DOES NOT VERIFY (%s): it is stored, but the log "
				"does not prove it; tell the Combined Authority",
				kind, (long long)id, why);
	}
	receipt_info_free(&ri);
	char *dir = receipt_dir(), *path = receipt_path(kind, id), *err = NULL;
	if (dir == NULL || !receipt_mkdirs(dir)) {
		fprintf(stderr, "planreg: warning: no folder to keep the receipt in (%s)\n", dir ? dir : "no HOME");
	} else if (access(path, F_OK) != 0 &&
		   !file_atomic_write("the receipt", path, text, strlen(text), 0600, false, &err)) {
		fprintf(stderr, "planreg: warning: %s\n", err);
	}
	free(err);
	free(dir);
	free(path);
	free(text);
	return receipt_monitor(cli, r->checkpoint);
}

char *receipt_state_path(const char *prefix, const char *origin)
{
	char *dir = receipt_xdg("XDG_STATE_HOME", ".local/state", "");
	if (dir == NULL)
		return NULL;
	char *path = xasprintf("%s/%s-%s", dir, prefix, origin);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-'))
			*p = '_';
	}
	receipt_mkdirs(dir);
	free(dir);
	return path;
}

int receipt_evidence(const char *held, const char *seen, const char *what)
{
	char *dir = receipt_xdg("XDG_STATE_HOME", ".local/state", "/evidence");
	char *a = NULL, *b = NULL, *err = NULL;
	if (dir != NULL && receipt_mkdirs(dir)) {
		long long t = (long long)time(NULL);
		a = xasprintf("%s/%lld-%ld-held.checkpoint", dir, t, (long)getpid());
		b = xasprintf("%s/%lld-%ld-seen.checkpoint", dir, t, (long)getpid());
		if (!file_atomic_write("the evidence", a, held, strlen(held), 0600, false, &err) ||
		    !file_atomic_write("the evidence", b, seen, strlen(seen), 0600, false, &err)) {
			fprintf(stderr, "planreg: %s\n", err);
		}
	}
	fprintf(stderr,
		"planreg: THE LOG IS INCONSISTENT: %s. The service has shown two signed checkpoints that cannot both "
		"be true, so the history was rewritten or forked. Both are kept as evidence:\n  %s\n  %s\n"
		"Give them to the Combined Authority and do not delete them.\n",
		what, a ? a : "(could not be written)", b ? b : "(could not be written)");
	free(err);
	free(a);
	free(b);
	free(dir);
	return EXIT_LOG;
}

int receipt_consistent(struct cli *cli, const struct checkpoint *held, const struct checkpoint *seen, bool *holds)
{
	Planreg__V1__GetConsistencyProofRequest body = PLANREG__V1__GET_CONSISTENCY_PROOF_REQUEST__INIT;
	body.old_size = held->size;
	body.new_size = seen->size;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_CONSISTENCY_PROOF, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__GetConsistencyProofResponse *r = resp->get_consistency_proof;
	struct merkle_proof p;
	bool shaped = receipt_proof(r->proof, r->n_proof, &p);
	*holds = shaped &&
		 merkle_verify_consistency(held->size, seen->size, &p.hash[0][0], p.len, held->root, seen->root);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

int receipt_compare(struct cli *cli, const char *held_note, const char *note, const struct checkpoint *seen,
		    bool *newer)
{
	struct checkpoint held;
	const char *why = NULL;
	*newer = true;
	if (!receipt_open_note(held_note, strlen(held_note), NULL, &held, &why)) {
		fprintf(stderr,
			"planreg: warning: the checkpoint kept earlier cannot be read (%s); keeping the new one\n",
			why);
		return EXIT_OK;
	}
	int rc = EXIT_OK;
	if (seen->size == held.size) {
		*newer = false;
		if (memcmp(seen->root, held.root, MERKLE_HASH_LEN) != 0)
			rc = receipt_evidence(held_note, note,
					      "two checkpoints of the same size have different heads (a fork)");
	} else if (seen->size < held.size) {
		*newer = false; /* an older tree (another daemon behind a balancer): the held one stays */
	} else if (held.size > 0) {
		bool holds = false;
		rc = receipt_consistent(cli, &held, seen, &holds);
		if (rc == EXIT_OK && !holds) {
			char what[160];
			snprintf(what, sizeof what,
				 "the tree of %llu entries does not extend the one of %llu seen before",
				 (unsigned long long)seen->size, (unsigned long long)held.size);
			rc = receipt_evidence(held_note, note, what);
		}
	}
	checkpoint_free(&held);
	return rc;
}

int receipt_monitor(struct cli *cli, const char *note)
{
	struct note_verifier v;
	const struct note_verifier *vkey = receipt_settings_vkey(cli, &v);
	struct checkpoint seen;
	const char *why = NULL;
	if (!receipt_open_note(note, strlen(note), vkey, &seen, &why))
		return cli_fail(EXIT_LOG, "THE SERVICE SHOWED A CHECKPOINT THAT DOES NOT VERIFY (%s)%s", why,
				vkey ? " with the log's verifier key you trust" : "");
	char *path = receipt_state_path("checkpoint", seen.origin);
	if (path == NULL) {
		checkpoint_free(&seen);
		return EXIT_OK;
	}
	size_t len;
	char *err = NULL;
	char *held = file_read(path, RECEIPT_FILE_MAX, &len, &err);
	free(err);
	err = NULL;
	bool newer = true;
	int rc = held ? receipt_compare(cli, held, note, &seen, &newer) : EXIT_OK;
	if (rc == EXIT_OK && newer && !file_atomic_write("the checkpoint", path, note, strlen(note), 0600, true, &err))
		fprintf(stderr, "planreg: warning: %s\n", err);
	free(err);
	free(held);
	free(path);
	checkpoint_free(&seen);
	return rc;
}
