/* tlog_tool.c - a command-line driver over proto/merkle.c, note.c and checkpoint.c, so that
 * tests/integration/test_tlog_ref.py can check them against an independent Python implementation.
 * A test tool, not an installed program: it reads and writes files and standard output as told.
 *
 *   keygen NAME [cosigner]                    print a signer key line, then its verifier key line
 *   sign-checkpoint SKEYFILE ORIGIN SIZE ROOT print the checkpoint note (ROOT in base64)
 *   cosign SKEYFILE TIME NOTEFILE             print the note with a type 0x04 cosignature line added
 *   verify-note NOTEFILE VKEY...              print "verified NAME TIME" per verified signature (TIME
 *                                             is - for a plain signature), an empty line, the text
 *   proofs LEAVESFILE MAX                     for every size n <= MAX of the tree over the file's lines:
 *                                             "root n R", "inclusion i n H...", "consistency m n H..."
 *   verify-proofs FILE                        per line "inclusion I N LEAF ROOT H..." or
 *                                             "consistency M N ROOTM ROOTN H...", print ok or refused
 *   receipt NOTEFILE LEAVESFILE INDEX         print a tlog-proof receipt for entry INDEX under the note
 *   verify-receipt FILE LEAF VKEY [WKEY... QUORUM]  check a receipt for LEAF (a base64 leaf hash)
 *
 * The leaves file holds one entry per line; an entry is the line's bytes without its newline. Exit
 * status: 0 done or verified, 1 refused (the reason on standard error), 2 bad usage or input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "checkpoint.h"
#include "merkle.h"
#include "note.h"
#include "xmalloc.h"

#define TOOL_MAX_LEAVES 100000

static void tool_die(const char *what, const char *detail)
{
	fprintf(stderr, "tlog_tool: %s%s%s\n", what, detail != NULL ? ": " : "", detail != NULL ? detail : "");
	exit(2);
}

/* The whole file (NUL-terminated; *len without the NUL). */
static char *tool_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		tool_die(path, strerror(errno));
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_take(&b);
}

/* The first line of a key file, without its newline. */
static char *tool_read_key(const char *path)
{
	size_t len;
	char *s = tool_read(path, &len);
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

static uint64_t tool_number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		tool_die("not a number", s);
	return v;
}

static void tool_hash(const char *s, uint8_t out[MERKLE_HASH_LEN])
{
	size_t n;
	if (!base64_decode(s, strlen(s), out, MERKLE_HASH_LEN, &n) || n != MERKLE_HASH_LEN)
		tool_die("not a base64 hash", s);
}

static void tool_print_hash(const uint8_t h[MERKLE_HASH_LEN])
{
	char b64[64];
	base64_encode(h, MERKLE_HASH_LEN, b64);
	printf(" %s", b64);
}

/* Leaf hashes of the file's lines; *count gets their number. */
static uint8_t *tool_leaves(const char *path, uint64_t *count)
{
	size_t len;
	char *s = tool_read(path, &len);
	uint8_t *hashes = xmalloc(MERKLE_HASH_LEN);
	size_t cap = 1, n = 0;
	for (size_t at = 0; at < len && n < TOOL_MAX_LEAVES;) {
		char *nl = memchr(s + at, '\n', len - at);
		size_t line_len = nl != NULL ? (size_t)(nl - (s + at)) : len - at;
		hashes = xgrow(hashes, &cap, n + 1, MERKLE_HASH_LEN);
		merkle_leaf_hash(s + at, line_len, hashes + n * MERKLE_HASH_LEN);
		n++;
		at += line_len + 1;
	}
	free(s);
	*count = n;
	return hashes;
}

/* ---------------------------------------------------------------- keys and notes */

static int tool_keygen(int argc, char **argv)
{
	if (argc < 3)
		tool_die("usage", "keygen NAME [cosigner]");
	uint8_t type = argc > 3 && strcmp(argv[3], "cosigner") == 0 ? NOTE_COSIGNATURE : NOTE_ED25519;
	struct note_signer s;
	if (!note_keygen(argv[2], type, &s))
		tool_die("cannot make a key named", argv[2]);
	struct note_verifier v;
	note_signer_verifier(&s, &v);
	char *skey = note_signer_format(&s), *vkey = note_verifier_format(&v);
	printf("%s\n%s\n", skey, vkey);
	free(skey);
	free(vkey);
	note_signer_wipe(&s);
	return 0;
}

static void tool_signer(const char *path, struct note_signer *s)
{
	char *line = tool_read_key(path);
	if (!note_signer_parse(line, s))
		tool_die("not a signer key", path);
	free(line);
}

static int tool_sign_checkpoint(int argc, char **argv)
{
	if (argc != 6)
		tool_die("usage", "sign-checkpoint SKEYFILE ORIGIN SIZE ROOT");
	struct note_signer s;
	tool_signer(argv[2], &s);
	struct checkpoint c = {.origin = argv[3], .size = tool_number(argv[4])};
	tool_hash(argv[5], c.root);
	char *text = checkpoint_format(&c);
	if (text == NULL)
		tool_die("not a checkpoint origin", argv[3]);
	char *note = note_sign(text, strlen(text), &s, 1, 0);
	fputs(note, stdout);
	free(note);
	free(text);
	note_signer_wipe(&s);
	return 0;
}

static int tool_cosign(int argc, char **argv)
{
	if (argc != 5)
		tool_die("usage", "cosign SKEYFILE TIME NOTEFILE");
	struct note_signer s;
	tool_signer(argv[2], &s);
	size_t len;
	char *msg = tool_read(argv[4], &len);
	struct note n;
	const char *why;
	if (!note_split(msg, len, &n, &why))
		tool_die("not a note", why);
	char *line = note_signature_line(&s, n.text, n.text_len, tool_number(argv[3]));
	if (line == NULL)
		tool_die("cannot cosign", argv[4]);
	printf("%s%s", msg, line);
	free(line);
	note_free(&n);
	free(msg);
	note_signer_wipe(&s);
	return 0;
}

/* The verifier keys argv[0..argc), as an array the caller frees. */
static struct note_verifier *tool_verifiers(int argc, char **argv)
{
	struct note_verifier *keys = xcalloc((size_t)argc + 1, sizeof *keys);
	for (int i = 0; i < argc; i++)
		if (!note_verifier_parse(argv[i], &keys[i]))
			tool_die("not a verifier key", argv[i]);
	return keys;
}

static int tool_verify_note(int argc, char **argv)
{
	if (argc < 4)
		tool_die("usage", "verify-note NOTEFILE VKEY...");
	size_t len;
	char *msg = tool_read(argv[2], &len);
	struct note_verifier *keys = tool_verifiers(argc - 3, argv + 3);
	struct note n;
	const char *why;
	int rc = 0;
	if (note_open(msg, len, keys, (size_t)(argc - 3), &n, &why)) {
		for (size_t i = 0; i < n.nsigs; i++) {
			const struct note_signature *sig = &n.sigs[i];
			if (sig->key == NULL)
				continue;
			if (sig->key->type == NOTE_COSIGNATURE)
				printf("verified %s %llu\n", sig->name, (unsigned long long)sig->time);
			else
				printf("verified %s -\n", sig->name);
		}
		printf("\n%s", n.text);
		note_free(&n);
	} else {
		fprintf(stderr, "refused: %s\n", why);
		rc = 1;
	}
	free(keys);
	free(msg);
	return rc;
}

/* ---------------------------------------------------------------- proofs */

static int tool_proofs(int argc, char **argv)
{
	if (argc != 4)
		tool_die("usage", "proofs LEAVESFILE MAX");
	uint64_t count, max = tool_number(argv[3]);
	uint8_t *hashes = tool_leaves(argv[2], &count);
	if (max > count)
		tool_die("more sizes than leaves", argv[3]);
	struct merkle_leaves store = {hashes, count};
	struct merkle_compact c;
	struct merkle_proof p;
	merkle_compact_init(&c);
	for (uint64_t n = 0; n <= max; n++) {
		uint8_t root[MERKLE_HASH_LEN];
		if (n > 0 && !merkle_compact_append(&c, hashes + (n - 1) * MERKLE_HASH_LEN, NULL, NULL))
			tool_die("tree full", NULL);
		merkle_compact_root(&c, root);
		printf("root %llu", (unsigned long long)n);
		tool_print_hash(root);
		printf("\n");
		for (uint64_t i = 0; i < n; i++) {
			if (!merkle_inclusion_proof(merkle_leaves_subtree, &store, i, n, &p))
				tool_die("inclusion proof failed", NULL);
			printf("inclusion %llu %llu", (unsigned long long)i, (unsigned long long)n);
			for (size_t k = 0; k < p.len; k++)
				tool_print_hash(p.hash[k]);
			printf("\n");
		}
		for (uint64_t m = 1; m <= n; m++) {
			if (!merkle_consistency_proof(merkle_leaves_subtree, &store, m, n, &p))
				tool_die("consistency proof failed", NULL);
			printf("consistency %llu %llu", (unsigned long long)m, (unsigned long long)n);
			for (size_t k = 0; k < p.len; k++)
				tool_print_hash(p.hash[k]);
			printf("\n");
		}
	}
	free(hashes);
	return 0;
}

/* One line of verify-proofs: its words in word[0..nword). */
static bool tool_verify_line(char **word, int nword)
{
	struct merkle_proof p = {0};
	uint8_t a[MERKLE_HASH_LEN], b[MERKLE_HASH_LEN];
	if (nword < 5 || nword - 5 > MERKLE_PROOF_MAX)
		tool_die("malformed line", word[0]);
	uint64_t x = tool_number(word[1]), y = tool_number(word[2]);
	tool_hash(word[3], a);
	tool_hash(word[4], b);
	for (int i = 5; i < nword; i++)
		tool_hash(word[i], p.hash[p.len++]);
	if (strcmp(word[0], "inclusion") == 0)
		return merkle_verify_inclusion(a, x, y, p.hash[0], p.len, b);
	if (strcmp(word[0], "consistency") == 0)
		return merkle_verify_consistency(x, y, p.hash[0], p.len, a, b);
	tool_die("unknown proof kind", word[0]);
	return false;
}

static int tool_verify_proofs(int argc, char **argv)
{
	if (argc != 3)
		tool_die("usage", "verify-proofs FILE");
	size_t len;
	char *s = tool_read(argv[2], &len);
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *word[MERKLE_PROOF_MAX + 8], *wsave = NULL;
		int nword = 0;
		for (char *w = strtok_r(line, " ", &wsave); w != NULL; w = strtok_r(NULL, " ", &wsave)) {
			if (nword == MERKLE_PROOF_MAX + 8)
				tool_die("line too long", word[0]);
			word[nword++] = w;
		}
		puts(nword > 0 && tool_verify_line(word, nword) ? "ok" : "refused");
	}
	free(s);
	return 0;
}

/* ---------------------------------------------------------------- receipts */

static int tool_receipt(int argc, char **argv)
{
	if (argc != 5)
		tool_die("usage", "receipt NOTEFILE LEAVESFILE INDEX");
	struct checkpoint_receipt r = {.index = tool_number(argv[4])};
	r.note = tool_read(argv[2], &r.note_len);
	struct note n;
	struct checkpoint c;
	const char *why;
	if (!note_split(r.note, r.note_len, &n, &why) || !checkpoint_parse(n.text, n.text_len, &c, &why))
		tool_die("not a checkpoint note", why);
	uint64_t count;
	uint8_t *hashes = tool_leaves(argv[3], &count);
	struct merkle_leaves store = {hashes, count};
	if (c.size > count || !merkle_inclusion_proof(merkle_leaves_subtree, &store, r.index, c.size, &r.proof))
		tool_die("no inclusion proof for that index", argv[4]);
	char *text = checkpoint_receipt_format(&r);
	fputs(text, stdout);
	free(text);
	free(hashes);
	checkpoint_free(&c);
	note_free(&n);
	free(r.note);
	return 0;
}

static int tool_verify_receipt(int argc, char **argv)
{
	if (argc < 5)
		tool_die("usage", "verify-receipt FILE LEAF VKEY [WKEY... QUORUM]");
	size_t len;
	char *receipt = tool_read(argv[2], &len);
	uint8_t leaf[MERKLE_HASH_LEN];
	tool_hash(argv[3], leaf);
	int nw = argc > 5 ? argc - 6 : 0; /* witness keys between the log's key and the quorum */
	struct note_verifier *keys = tool_verifiers(1 + nw, argv + 4);
	struct checkpoint_policy p = {.log = &keys[0], .witnesses = keys + 1, .nwitnesses = (size_t)nw};
	p.quorum = argc > 5 ? (size_t)tool_number(argv[argc - 1]) : 0;
	struct checkpoint c;
	const char *why;
	int rc = 0;
	if (checkpoint_receipt_verify(receipt, len, &p, leaf, &c, &why)) {
		printf("ok %s %llu\n", c.origin, (unsigned long long)c.size);
		checkpoint_free(&c);
	} else {
		fprintf(stderr, "refused: %s\n", why);
		rc = 1;
	}
	free(keys);
	free(receipt);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} commands[] = {
		{"keygen", tool_keygen},   {"sign-checkpoint", tool_sign_checkpoint},
		{"cosign", tool_cosign},   {"verify-note", tool_verify_note},
		{"proofs", tool_proofs},   {"verify-proofs", tool_verify_proofs},
		{"receipt", tool_receipt}, {"verify-receipt", tool_verify_receipt},
	};
	for (size_t i = 0; argc > 1 && i < sizeof commands / sizeof *commands; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc, argv);
	tool_die("usage", "tlog_tool COMMAND ARGS... (see the top of tests/tools/tlog_tool.c)");
	return 2;
}
