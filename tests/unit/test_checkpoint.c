/* test_checkpoint.c - unit tests for proto/checkpoint.c: C2SP tlog-checkpoint texts and tlog-proof
 * receipts, against the specifications' own examples, by round trip, and with tampering of every part
 * of a receipt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "checkpoint.h"
#include "merkle.h"
#include "note.h"

/* C2SP tlog-checkpoint's example text. */
static const char SPEC_CHECKPOINT[] = "example.com/behind-the-sofa\n"
				      "20852163\n"
				      "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

/* C2SP tlog-proof's example, whose signatures the specification abbreviates ("[...]"): a receipt parse
 * does not open the note, so it reads. */
static const char SPEC_RECEIPT[] = "c2sp.org/tlog-proof@v1\n"
				   "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
				   "index 73894\n"
				   "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
				   "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
				   "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
				   "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
				   "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
				   "\n"
				   "example.com/fancylog\n"
				   "109482\n"
				   "sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
				   "\n"
				   "\xe2\x80\x94 example.com/fancylog hI2DJw[...]1roloI=\n";

static void must_parse(const char *text, struct checkpoint *c)
{
	const char *why = NULL;
	if (!checkpoint_parse(text, strlen(text), c, &why))
		fail_msg("checkpoint_parse refused (%s):\n%s", why, text);
}

static void test_checkpoint_spec_example(void **state)
{
	(void)state;
	struct checkpoint c;
	must_parse(SPEC_CHECKPOINT, &c);
	assert_string_equal(c.origin, "example.com/behind-the-sofa");
	assert_int_equal(c.size, 20852163);
	char b64[64];
	base64_encode(c.root, MERKLE_HASH_LEN, b64);
	assert_string_equal(b64, "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
	assert_null(c.extensions);
	char *again = checkpoint_format(&c);
	assert_string_equal(again, SPEC_CHECKPOINT);
	free(again);
	checkpoint_free(&c);
}

static void test_checkpoint_round_trip(void **state)
{
	(void)state;
	struct checkpoint c = {.origin = "planreg.example/log", .size = 0, .extensions = NULL};
	merkle_empty_root(c.root);
	char *text = checkpoint_format(&c);
	assert_string_equal(text, "planreg.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
	struct checkpoint back;
	must_parse(text, &back);
	assert_string_equal(back.origin, c.origin);
	assert_int_equal(back.size, 0);
	assert_memory_equal(back.root, c.root, MERKLE_HASH_LEN);
	free(text);
	checkpoint_free(&back);

	c.size = UINT64_MAX;
	c.extensions = "ext one\n\xe2\x80\x94 looks like a signature but is not\n";
	text = checkpoint_format(&c);
	assert_non_null(text);
	must_parse(text, &back);
	assert_int_equal(back.size, UINT64_MAX);
	assert_string_equal(back.extensions, c.extensions); /* kept verbatim */
	char *again = checkpoint_format(&back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	checkpoint_free(&back);

	const char *bad_ext[] = {"no newline", "\nempty first\n", "a\n\nb\n", "tab\there\n"};
	for (size_t i = 0; i < sizeof bad_ext / sizeof *bad_ext; i++) {
		c.extensions = (char *)bad_ext[i];
		assert_null(checkpoint_format(&c));
	}
	c.extensions = NULL;
	c.origin = "";
	assert_null(checkpoint_format(&c));
	c.origin = "two\nlines";
	assert_null(checkpoint_format(&c));
	c.origin = NULL;
	assert_null(checkpoint_format(&c));
}

static void test_checkpoint_refused(void **state)
{
	(void)state;
	const char *root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
	char buf[512];
	const char *sizes[] = {
		"020852163", "00",  "+1",      "-1", " 1", "1 ", "0x10", "18446744073709551616", "99999999999999999999",
		"",          "1e3", "\xd9\xa1"};
	struct checkpoint c;
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		snprintf(buf, sizeof buf, "o\n%s\n%s\n", sizes[i], root);
		if (checkpoint_parse(buf, strlen(buf), &c, NULL))
			fail_msg("accepted the size \"%s\"", sizes[i]);
		assert_null(c.origin);
	}
	snprintf(buf, sizeof buf, "o\n18446744073709551615\n%s\n", root);
	must_parse(buf, &c);
	checkpoint_free(&c);
	const char *roots[] = {"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=", /* unused bits set */
			       "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==", /* 31 bytes */
			       "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I",  /* no padding */
			       "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=CsUY", ""};
	for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
		snprintf(buf, sizeof buf, "o\n1\n%s\n", roots[i]);
		if (checkpoint_parse(buf, strlen(buf), &c, NULL))
			fail_msg("accepted the root \"%s\"", roots[i]);
	}
	const char *texts[] = {
		"\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",          /* empty origin */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",           /* no final newline */
		"o\n1\n",                                                       /* two lines */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",       /* an empty extension line */
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx\n\ny\n", /* one in the middle */
		"o\r\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",       /* a control character */
		"",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		const char *why = NULL;
		if (checkpoint_parse(texts[i], strlen(texts[i]), &c, &why))
			fail_msg("accepted checkpoint %zu", i);
		assert_non_null(why);
	}
}

/* ---------------------------------------------------------------- receipts */

static void test_receipt_spec_example(void **state)
{
	(void)state;
	struct checkpoint_receipt r;
	const char *why = NULL;
	if (!checkpoint_receipt_parse(SPEC_RECEIPT, strlen(SPEC_RECEIPT), &r, &why))
		fail_msg("refused: %s", why);
	assert_int_equal(r.index, 73894);
	assert_int_equal(r.proof.len, 5);
	assert_int_equal(r.extra_len, 39);
	assert_memory_equal(r.extra, "age-v1.2.1-darwin-arm64.tar.gz", 30);
	char b64[64];
	base64_encode(r.proof.hash[4], MERKLE_HASH_LEN, b64);
	assert_string_equal(b64, "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=");
	assert_string_equal(r.note, strstr(SPEC_RECEIPT, "example.com/fancylog\n"));
	char *again = checkpoint_receipt_format(&r);
	assert_string_equal(again, SPEC_RECEIPT);
	free(again);
	checkpoint_receipt_free(&r);
}

/* A log of ten entries with its key, a witness, and a receipt for each entry. */
struct fixture {
	uint8_t leaves[10][MERKLE_HASH_LEN];
	struct note_signer log, wit;
	struct note_verifier log_v, wit_v;
	char *note; /* the checkpoint at size 10, signed by the log and cosigned by the witness */
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct merkle_compact c;
	merkle_compact_init(&c);
	for (int i = 0; i < 10; i++) {
		char entry[32];
		snprintf(entry, sizeof entry, "entry %d", i);
		merkle_leaf_hash(entry, strlen(entry), f->leaves[i]);
		assert_true(merkle_compact_append(&c, f->leaves[i], NULL, NULL));
	}
	assert_true(note_keygen("planreg.example/log", NOTE_ED25519, &f->log));
	assert_true(note_keygen("witness.example/w1", NOTE_COSIGNATURE, &f->wit));
	note_signer_verifier(&f->log, &f->log_v);
	note_signer_verifier(&f->wit, &f->wit_v);
	struct checkpoint cp = {.origin = f->log.name, .size = 10};
	merkle_compact_root(&c, cp.root);
	char *text = checkpoint_format(&cp);
	struct note_signer both[2] = {f->log, f->wit};
	f->note = note_sign(text, strlen(text), both, 2, 1700000000);
	assert_non_null(f->note);
	free(text);
	note_signer_wipe(&both[0]);
	note_signer_wipe(&both[1]);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	free(f->note);
	note_signer_wipe(&f->log);
	note_signer_wipe(&f->wit);
	free(f);
	return 0;
}

static char *make_receipt(const struct fixture *f, uint64_t index, const char *note)
{
	struct checkpoint_receipt r = {.index = index, .note = (char *)note, .note_len = strlen(note)};
	struct merkle_leaves store = {f->leaves[0], 10};
	assert_true(merkle_inclusion_proof(merkle_leaves_subtree, &store, index, 10, &r.proof));
	return checkpoint_receipt_format(&r);
}

static bool verify(const struct fixture *f, const char *receipt, uint64_t leaf, size_t quorum, const char **why)
{
	struct checkpoint_policy p = {.log = &f->log_v, .witnesses = &f->wit_v, .nwitnesses = 1, .quorum = quorum};
	return checkpoint_receipt_verify(receipt, strlen(receipt), &p, f->leaves[leaf], NULL, why);
}

static void test_receipt_round_trip(void **state)
{
	struct fixture *f = *state;
	for (uint64_t i = 0; i < 10; i++) {
		char *text = make_receipt(f, i, f->note);
		struct checkpoint_receipt r;
		assert_true(checkpoint_receipt_parse(text, strlen(text), &r, NULL));
		assert_int_equal(r.index, i);
		assert_null(r.extra);
		assert_string_equal(r.note, f->note);
		char *again = checkpoint_receipt_format(&r);
		assert_string_equal(again, text);
		free(again);
		checkpoint_receipt_free(&r);

		const char *why = NULL;
		struct checkpoint cp;
		struct checkpoint_policy p = {.log = &f->log_v, .witnesses = &f->wit_v, .nwitnesses = 1, .quorum = 1};
		if (!checkpoint_receipt_verify(text, strlen(text), &p, f->leaves[i], &cp, &why))
			fail_msg("receipt %d refused: %s", (int)i, why);
		assert_int_equal(cp.size, 10);
		assert_string_equal(cp.origin, "planreg.example/log");
		checkpoint_free(&cp);
		free(text);
	}
	/* with extra data */
	struct checkpoint_receipt r = {.index = 3, .note = f->note, .note_len = strlen(f->note)};
	r.extra = (uint8_t *)"opaque";
	r.extra_len = 6;
	struct merkle_leaves store = {f->leaves[0], 10};
	assert_true(merkle_inclusion_proof(merkle_leaves_subtree, &store, 3, 10, &r.proof));
	char *text = checkpoint_receipt_format(&r);
	assert_non_null(strstr(text, "\nextra b3BhcXVl\nindex 3\n"));
	struct checkpoint_receipt back;
	assert_true(checkpoint_receipt_parse(text, strlen(text), &back, NULL));
	assert_int_equal(back.extra_len, 6);
	assert_memory_equal(back.extra, "opaque", 6);
	checkpoint_receipt_free(&back);
	assert_true(verify(f, text, 3, 1, NULL));
	free(text);
}

static void test_receipt_tampered(void **state)
{
	struct fixture *f = *state;
	char *good = make_receipt(f, 6, f->note);
	const char *why = NULL;
	assert_true(verify(f, good, 6, 1, &why));
	assert_false(verify(f, good, 5, 0, &why)); /* another entry */
	assert_string_equal(why, "the inclusion proof does not lead to the checkpoint's root");

	/* every character of the receipt changed in turn: nothing verifies (with the witness required: a
	 * change to its name or key id makes its line an unknown key's, which is ignored; and a change to
	 * the unused low bits of a base64 digit leaves the bytes equal, which the canonical check refuses) */
	size_t len = strlen(good);
	char *bad = strdup(good);
	for (size_t i = 0; i < len; i++) {
		char was = bad[i];
		bad[i] = was == 'A' ? 'B' : was == '\n' ? 'x' : (char)(was ^ 0x01);
		if (verify(f, bad, 6, 1, &why))
			fail_msg("accepted with byte %zu changed", i);
		bad[i] = was;
	}
	free(bad);

	/* the index line itself */
	char *r2 = make_receipt(f, 6, f->note);
	char *idx = strstr(r2, "index 6");
	idx[6] = '7';
	assert_false(verify(f, r2, 6, 0, NULL));
	free(r2);

	/* a quorum the witnesses do not meet, a log key that did not sign, a checkpoint of another origin */
	assert_false(verify(f, good, 6, 2, &why));
	assert_string_equal(why, "too few witnesses cosigned the checkpoint");
	struct checkpoint_policy p = {.log = &f->wit_v, .witnesses = &f->log_v, .nwitnesses = 1, .quorum = 0};
	assert_false(checkpoint_receipt_verify(good, strlen(good), &p, f->leaves[6], NULL, &why));
	assert_string_equal(why, "the log's key is not an Ed25519 note key");
	struct note_signer stranger;
	struct note_verifier stranger_v;
	assert_true(note_keygen("planreg.example/log", NOTE_ED25519, &stranger));
	note_signer_verifier(&stranger, &stranger_v);
	p = (struct checkpoint_policy){.log = &stranger_v, .witnesses = &f->wit_v, .nwitnesses = 1};
	assert_false(checkpoint_receipt_verify(good, strlen(good), &p, f->leaves[6], NULL, &why));
	assert_string_equal(why, "the log did not sign the checkpoint");
	p = (struct checkpoint_policy){.log = &stranger_v};
	assert_false(checkpoint_receipt_verify(good, strlen(good), &p, f->leaves[6], NULL, &why));
	assert_string_equal(why, "no known key signed the note");
	p = (struct checkpoint_policy){.log = &f->log_v, .origin = "planreg.example/other"};
	assert_false(checkpoint_receipt_verify(good, strlen(good), &p, f->leaves[6], NULL, &why));
	assert_string_equal(why, "the checkpoint names another log");
	p.origin = "planreg.example/log";
	assert_true(checkpoint_receipt_verify(good, strlen(good), &p, f->leaves[6], NULL, &why));
	note_signer_wipe(&stranger);
	free(good);
}

static void test_receipt_malformed(void **state)
{
	struct fixture *f = *state;
	const char *h = "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=";
	char buf[8192];
	/* the receipt is head, the first hash_len characters of h, tail, then the note */
	const struct {
		const char *head;
		int hash_len;
		const char *tail;
	} forms[] = {
		{"c2sp.org/tlog-proof@v2\nindex 1\n", 44, "\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex 01\n", 44, "\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex -1\n", 44, "\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex  1\n", 44, "\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex\n", 44, "\n\n"},
		{"c2sp.org/tlog-proof@v1\n", 44, "\n\n"}, /* no index line */
		{"c2sp.org/tlog-proof@v1\nextra !!!!\nindex 1\n", 44, "\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex 1\nextra YQ==\n", 44, "\n\n"}, /* extra after the index */
		{"c2sp.org/tlog-proof@v1\nindex 1\n", 44, "=\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex 1\n", 40, "\n\n"},
		{"c2sp.org/tlog-proof@v1\nindex 1\n", 44, "\n"}, /* no empty line before the checkpoint */
		{"c2sp.org/tlog-proof@v1\r\nindex 1\n", 44, "\n\n"},
	};
	struct checkpoint_receipt r;
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		snprintf(buf, sizeof buf, "%s%.*s%s%s", forms[i].head, forms[i].hash_len, h, forms[i].tail, f->note);
		const char *why = NULL;
		if (checkpoint_receipt_parse(buf, strlen(buf), &r, &why))
			fail_msg("accepted receipt form %zu", i);
		assert_non_null(why);
		assert_null(r.note);
	}
	/* no checkpoint after the empty line */
	assert_false(checkpoint_receipt_parse("c2sp.org/tlog-proof@v1\nindex 0\n\n", 32, &r, NULL));
	/* no proof lines at all is well-formed (a tree of one entry) */
	snprintf(buf, sizeof buf, "c2sp.org/tlog-proof@v1\nindex 0\n\n%s", f->note);
	assert_true(checkpoint_receipt_parse(buf, strlen(buf), &r, NULL));
	assert_int_equal(r.proof.len, 0);
	checkpoint_receipt_free(&r);
	/* 64 hashes read, 65 do not */
	int n = snprintf(buf, sizeof buf, "c2sp.org/tlog-proof@v1\nindex 0\n");
	for (int i = 0; i < 64; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s\n", h);
	snprintf(buf + n, sizeof buf - (size_t)n, "\n%s", f->note);
	assert_true(checkpoint_receipt_parse(buf, strlen(buf), &r, NULL));
	assert_int_equal(r.proof.len, 64);
	checkpoint_receipt_free(&r);
	n += snprintf(buf + n, sizeof buf - (size_t)n, "%s\n", h);
	snprintf(buf + n, sizeof buf - (size_t)n, "\n%s", f->note);
	assert_false(checkpoint_receipt_parse(buf, strlen(buf), &r, NULL));
	struct checkpoint_receipt none = {0};
	assert_null(checkpoint_receipt_format(&none));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint_spec_example),
		cmocka_unit_test(test_checkpoint_round_trip),
		cmocka_unit_test(test_checkpoint_refused),
		cmocka_unit_test(test_receipt_spec_example),
		cmocka_unit_test_setup_teardown(test_receipt_round_trip, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_receipt_tampered, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_receipt_malformed, fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
