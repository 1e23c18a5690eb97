/* test_note.c - unit tests for proto/note.c and proto/base64.c: C2SP signed notes with Ed25519, the key
 * strings, and tlog-cosignature timestamped cosignatures.
 *
 * Vectors. The C2SP signed-note specification's example note (quasimodo.example/salvatore) comes without
 * its public key, so it is used for the format only (split, key id, base64). The Ed25519 vector with a
 * key is the example of Go's golang.org/x/mod/sumdb/note package, whose key strings C2SP's are: the
 * PeterNeumann verifier and signer keys and the signed note its documentation prints; Ed25519 is
 * deterministic, so signing that text with that key must give that note byte for byte. The
 * tlog-cosignature specification's example (a checkpoint cosigned by witness.example.com/w1) again has
 * no key: its timestamp and key id are read back. Cosignatures with a key are checked here by
 * round trip and in tests/integration/test_tlog_ref.py against an independent Python implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "note.h"

static const char PN_VKEY[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char PN_SKEY[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char PN_TEXT[] = "If you think cryptography is the answer to your problem,\n"
			      "then you don't know what your problem is.\n";
static const char PN_NOTE[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n"
	"\n"
	"\xe2\x80\x94 PeterNeumann "
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/* C2SP signed-note's example. */
static const char SPEC_NOTE[] =
	"Ognuno sta solo sul cuor della terra\n"
	"trafitto da un raggio di sole:\n"
	"\n"
	"ed \xc3\xa8 subito sera.\n"
	"\n"
	"\xe2\x80\x94 quasimodo.example/salvatore "
	"NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

/* C2SP tlog-cosignature's example: a checkpoint signed by its log and cosigned by a witness. */
static const char COSIG_TEXT[] = "example.com/behind-the-sofa\n"
				 "20852163\n"
				 "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
static const char COSIG_NOTE[] =
	"example.com/behind-the-sofa\n"
	"20852163\n"
	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	"\n"
	"\xe2\x80\x94 example.com/behind-the-sofa "
	"Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
	"\xe2\x80\x94 witness.example.com/w1 "
	"jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+"
	"mbIUBkBIfZ+qnA==\n";

static void must_open(const char *msg, const struct note_verifier *keys, size_t nkeys, struct note *n)
{
	const char *why = NULL;
	if (!note_open(msg, strlen(msg), keys, nkeys, n, &why))
		fail_msg("note_open refused: %s\n%s", why, msg);
}

static void must_refuse(const char *msg, const struct note_verifier *keys, size_t nkeys)
{
	struct note n;
	const char *why = NULL;
	if (note_open(msg, strlen(msg), keys, nkeys, &n, &why))
		fail_msg("note_open accepted:\n%s", msg);
	assert_non_null(why);
	assert_null(n.text); /* left empty */
	assert_int_equal(n.nsigs, 0);
}

/* ---------------------------------------------------------------- base64 */

static void test_base64(void **state)
{
	(void)state;
	const char *vectors[][2] = {{"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
				    {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}}; /* RFC 4648 §10 */
	uint8_t out[16];
	size_t n;
	char enc[16];
	for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		base64_encode((const uint8_t *)vectors[i][0], strlen(vectors[i][0]), enc);
		assert_string_equal(enc, vectors[i][1]);
		assert_true(base64_decode(vectors[i][1], strlen(vectors[i][1]), out, sizeof out, &n));
		assert_int_equal(n, strlen(vectors[i][0]));
		assert_memory_equal(out, vectors[i][0], n);
	}
	base64_encode(out, 0, enc);
	assert_string_equal(enc, "");
	const char *bad[] = {"",      "Zg=",   "Zg",   "Zh==", "Zm9=",  "Z===", "====", "Zg==Zg==",
			     "Zm9v ", " Zm9v", "Zm-v", "Zm_v", "Zm\n9", "=Zm9", "Zg=A"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n))
			fail_msg("base64_decode accepted \"%s\"", bad[i]);
	assert_false(base64_decode("Zm9vYmFy", 8, out, 5, &n)); /* does not fit */
	assert_true(base64_decode("Zm9vYmFy", 8, out, 6, &n));
}

/* ---------------------------------------------------------------- keys */

static void test_note_peter_neumann_keys(void **state)
{
	(void)state;
	struct note_verifier v;
	struct note_signer s;
	assert_true(note_verifier_parse(PN_VKEY, &v));
	assert_string_equal(v.name, "PeterNeumann");
	assert_int_equal(v.key_id, 0xc74f20a3);
	assert_int_equal(v.type, NOTE_ED25519);
	assert_int_equal(note_key_id(v.name, v.type, v.pub), 0xc74f20a3);
	char *again = note_verifier_format(&v);
	assert_string_equal(again, PN_VKEY);
	free(again);

	assert_true(note_signer_parse(PN_SKEY, &s)); /* its base64 holds a '+' of its own */
	assert_int_equal(s.key_id, 0xc74f20a3);
	assert_memory_equal(s.pub, v.pub, NOTE_KEY_LEN); /* the public key derived from the seed */
	again = note_signer_format(&s);
	assert_string_equal(again, PN_SKEY);
	free(again);
	struct note_verifier from_signer;
	note_signer_verifier(&s, &from_signer);
	assert_memory_equal(&from_signer, &v, sizeof v);
	note_signer_wipe(&s);
}

/* Every proper substring and every one-byte change of a key string is refused. */
static void key_manglings(const char *key, bool signer)
{
	size_t len = strlen(key);
	char buf[256];
	struct note_verifier v;
	struct note_signer s;
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			memcpy(buf, key + i, j - i);
			buf[j - i] = '\0';
			if (signer ? note_signer_parse(buf, &s) : note_verifier_parse(buf, &v))
				fail_msg("accepted the mangled key \"%s\"", buf);
		}
	}
	for (size_t i = 0; i < len; i++) {
		strcpy(buf, key);
		buf[i]++;
		if (signer ? note_signer_parse(buf, &s) : note_verifier_parse(buf, &v))
			fail_msg("accepted the mangled key \"%s\"", buf);
	}
}

static void test_note_key_strings_refused(void **state)
{
	(void)state;
	key_manglings(PN_VKEY, false);
	key_manglings(PN_SKEY, true);
	struct note_verifier v;
	struct note_signer s;
	/* a key id that does not match */
	assert_false(note_verifier_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v));
	/* upper-case hex: not the canonical spelling */
	assert_false(note_verifier_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v));
	/* an unknown type byte (0x02, whatever key id goes with it) */
	assert_false(note_verifier_parse("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v));
	/* a private key where a public one belongs, and the other way round */
	assert_false(note_verifier_parse(PN_SKEY, &v));
	assert_false(note_signer_parse(PN_VKEY, &s));
	assert_false(note_verifier_parse("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v));
}

static void test_note_names_and_texts(void **state)
{
	(void)state;
	assert_true(note_name_valid("example.com/log"));
	assert_true(note_name_valid("caf\xc3\xa9"));
	const char *bad_names[] = {"",
				   "a b",
				   "a+b",
				   "a\tb",
				   "a\nb",
				   "a\xc2\xa0"
				   "b",
				   "a\xe2\x80\x83"
				   "b",
				   "a\xe3\x80\x80"
				   "b",
				   "\xff",
				   "a\x7f"};
	for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
		if (note_name_valid(bad_names[i]))
			fail_msg("name %zu accepted", i);
	char long_name[NOTE_NAME_MAX + 2];
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[NOTE_NAME_MAX + 1] = '\0';
	assert_false(note_name_valid(long_name));
	long_name[NOTE_NAME_MAX] = '\0';
	assert_true(note_name_valid(long_name));

	assert_true(note_text_valid("a\n", 2));
	assert_true(note_text_valid("a\n\nb\n", 5));
	assert_true(note_text_valid("\n", 1));
	assert_false(note_text_valid("", 0));
	assert_false(note_text_valid("a", 1));
	assert_false(note_text_valid("a\r\n", 3));
	assert_false(note_text_valid("a\tb\n", 4));
	assert_false(note_text_valid("a\0b\n", 4));
	assert_false(note_text_valid("\xc3\n", 2));
	assert_false(note_text_valid("\x1b[m\n", 4));
}

/* ---------------------------------------------------------------- signing and opening */

static void test_note_peter_neumann_note(void **state)
{
	(void)state;
	struct note_verifier v;
	struct note_signer s;
	assert_true(note_verifier_parse(PN_VKEY, &v));
	assert_true(note_signer_parse(PN_SKEY, &s));
	char *signed_note = note_sign(PN_TEXT, strlen(PN_TEXT), &s, 1, 0);
	assert_string_equal(signed_note, PN_NOTE); /* byte for byte */
	free(signed_note);

	struct note n;
	must_open(PN_NOTE, &v, 1, &n);
	assert_string_equal(n.text, PN_TEXT);
	assert_int_equal(n.text_len, strlen(PN_TEXT));
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.nverified, 1);
	assert_ptr_equal(n.sigs[0].key, &v);
	assert_ptr_equal(note_signed_by(&n, &v), &n.sigs[0]);
	note_free(&n);

	/* a changed text, a changed signature bit, a non-canonical final base64 digit ("M" -> "N" sets an
	 * unused bit) */
	char buf[sizeof PN_NOTE];
	strcpy(buf, PN_NOTE);
	buf[3] = 'Y';
	must_refuse(buf, &v, 1);
	strcpy(buf, PN_NOTE);
	char *sig = strstr(buf, "x08go");
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	must_refuse(buf, &v, 1);
	strcpy(buf, PN_NOTE);
	char *m = strstr(buf, "JnAM=");
	m[3] = 'N';
	must_refuse(buf, &v, 1);
	note_signer_wipe(&s);
}

static void test_note_spec_example(void **state)
{
	(void)state;
	struct note n;
	const char *why;
	assert_true(note_split(SPEC_NOTE, strlen(SPEC_NOTE), &n, &why));
	/* the text keeps its own empty line: the signatures start after the last one */
	assert_string_equal(n.text, "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
				    "ed \xc3\xa8 subito sera.\n");
	assert_int_equal(n.nsigs, 1);
	assert_string_equal(n.sigs[0].name, "quasimodo.example/salvatore");
	assert_int_equal(n.sigs[0].key_id, 0x367ba04b);
	assert_int_equal(n.sigs[0].payload_len, NOTE_SIG_LEN);
	assert_null(n.sigs[0].key);
	note_free(&n);
	/* with only a key the note does not name, nothing verifies it */
	struct note_verifier v;
	assert_true(note_verifier_parse(PN_VKEY, &v));
	must_refuse(SPEC_NOTE, &v, 1);
	/* a key of that name whose id differs is unknown too: ignored, so again nothing verifies */
	struct note_signer other;
	assert_true(note_keygen("quasimodo.example/salvatore", NOTE_ED25519, &other));
	note_signer_verifier(&other, &v);
	assert_int_not_equal(v.key_id, 0x367ba04b);
	must_refuse(SPEC_NOTE, &v, 1);
	/* and one with that name and id but another public key is known: its signature fails */
	v.key_id = 0x367ba04b;
	assert_false(note_open(SPEC_NOTE, strlen(SPEC_NOTE), &v, 1, &n, &why));
	assert_string_equal(why, "a signature by a known key does not verify");
}

/* Two signers, the known and unknown key rules. */
static void test_note_known_and_unknown_keys(void **state)
{
	(void)state;
	struct note_signer s[2];
	struct note_verifier v[2];
	assert_true(note_keygen("log.example/a", NOTE_ED25519, &s[0]));
	assert_true(note_keygen("log.example/b", NOTE_ED25519, &s[1]));
	note_signer_verifier(&s[0], &v[0]);
	note_signer_verifier(&s[1], &v[1]);
	const char text[] = "a text\n\nwith an empty line\n";
	char *msg = note_sign(text, strlen(text), s, 2, 0);
	assert_non_null(msg);
	struct note n;
	must_open(msg, v, 2, &n);
	assert_int_equal(n.nverified, 2);
	assert_string_equal(n.text, text);
	note_free(&n);
	must_open(msg, &v[1], 1, &n); /* the line by a's key is ignored */
	assert_int_equal(n.nverified, 1);
	assert_null(n.sigs[0].key);
	assert_ptr_equal(n.sigs[1].key, &v[1]);
	assert_null(note_signed_by(&n, &v[0]));
	note_free(&n);
	must_refuse(msg, NULL, 0);

	/* a known key's bad signature refuses the note, though another known key signed it well */
	char *bad = strdup(msg);
	char *line_b = strstr(bad, "\xe2\x80\x94 log.example/b ") + strlen("\xe2\x80\x94 log.example/b ");
	line_b[20] = line_b[20] == 'A' ? 'B' : 'A';
	must_refuse(bad, v, 2);
	must_open(bad, &v[0], 1, &n); /* unless that key is not known */
	note_free(&n);
	free(bad);

	/* two known keys with one name and id: ambiguous, refused */
	struct note_verifier twins[2] = {v[0], v[0]};
	twins[1].pub[0] ^= 1;
	must_refuse(msg, twins, 2);
	free(msg);
	note_signer_wipe(&s[0]);
	note_signer_wipe(&s[1]);
}

static void test_note_sign_refuses(void **state)
{
	(void)state;
	struct note_signer s;
	assert_true(note_keygen("log.example", NOTE_ED25519, &s));
	const char *bad[] = {"", "no newline", "tab\there\n", "cr\r\n", "\xc3\n", "esc\x1b\n"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_null(note_sign(bad[i], strlen(bad[i]), &s, 1, 0));
		assert_null(note_signature_line(&s, bad[i], strlen(bad[i]), 0));
	}
	assert_null(note_sign("a\0b\n", 4, &s, 1, 0));
	assert_null(note_sign("ok\n", 3, &s, 0, 0)); /* no signer */
	assert_false(note_keygen("bad name", NOTE_ED25519, &s));
	assert_false(note_keygen("log.example", 0x02, &s));
	note_signer_wipe(&s);
}

static void test_note_malformed(void **state)
{
	(void)state;
	struct note_verifier v;
	assert_true(note_verifier_parse(PN_VKEY, &v));
	const char *sig =
		"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
	char buf[1024];
	/* the note is PN_TEXT, an empty line, then before, the first sig_len characters of sig, after */
	const struct {
		const char *before;
		int sig_len;
		const char *after;
	} forms[] = {
		{"\xe2\x80\x94 PeterNeumann ", 92, ""},         /* no final newline */
		{"\xe2\x80\x94 PeterNeumann ", 92, "\n\n"},     /* an empty line after the signatures */
		{"- PeterNeumann ", 92, "\n"},                  /* an ASCII dash */
		{"\xe2\x80\x94PeterNeumann ", 92, "\n"},        /* no space after the dash */
		{"\xe2\x80\x94  PeterNeumann ", 92, "\n"},      /* an empty name */
		{"\xe2\x80\x94 PeterNeumann  ", 92, "\n"},      /* two spaces */
		{"\xe2\x80\x94 PeterNeumann ", 92, " \n"},      /* a trailing space */
		{"\xe2\x80\x94 PeterNeumann ", 92, "\r\n"},     /* CR */
		{"\xe2\x80\x94 Peter+Neumann ", 92, "\n"},      /* a plus in the name */
		{"\xe2\x80\x94 PeterNeumann\t", 92, "\n"},      /* a tab */
		{"\xe2\x80\x94 PeterNeumann ", 4, "\n"},        /* only a key id */
		{"\xe2\x80\x94 PeterNeumann ", 91, "\n"},       /* base64 cut short */
		{"\xe2\x80\x94 PeterNeumann ", 92, "\n\xff\n"}, /* invalid UTF-8 */
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		snprintf(buf, sizeof buf, "%s\n%s%.*s%s", PN_TEXT, forms[i].before, forms[i].sig_len, sig,
			 forms[i].after);
		must_refuse(buf, &v, 1);
	}
	/* the text lost its final newline: then no empty line separates it */
	snprintf(buf, sizeof buf, "%.*s\n\xe2\x80\x94 PeterNeumann %s\n", (int)strlen(PN_TEXT) - 1, PN_TEXT, sig);
	must_refuse(buf, &v, 1);
	snprintf(buf, sizeof buf, "%s\xe2\x80\x94 PeterNeumann %s\n", PN_TEXT, sig); /* no empty line */
	must_refuse(buf, &v, 1);
	must_refuse("\n\xe2\x80\x94 PeterNeumann AAAAAAAA\n", &v, 1);
	must_refuse("", &v, 1);
	must_refuse("text\n\n", &v, 1); /* no signature line */
	/* NUL inside */
	struct note n;
	assert_false(note_open(PN_NOTE, sizeof PN_NOTE, &v, 1, &n, NULL));
	/* the reference note, rebuilt from its parts, still opens */
	snprintf(buf, sizeof buf, "%s\n\xe2\x80\x94 PeterNeumann %s\n", PN_TEXT, sig);
	must_open(buf, &v, 1, &n);
	note_free(&n);
}

/* 16 signatures must be accepted (the spec's floor); more than NOTE_SIGS_MAX are refused. */
static void test_note_many_signatures(void **state)
{
	(void)state;
	struct note_signer s;
	struct note_verifier v;
	assert_true(note_keygen("log.example", NOTE_ED25519, &s));
	note_signer_verifier(&s, &v);
	const char text[] = "many\n";
	char *line = note_signature_line(&s, text, strlen(text), 0);
	char *other = strdup(line);
	other[strlen("\xe2\x80\x94 ")] = 'L'; /* "Log.example": an unknown key */
	char *msg = calloc(1, 200 * 128);
	for (int count = 1; count <= NOTE_SIGS_MAX + 1; count++) {
		strcpy(msg, "many\n\n");
		strcat(msg, line);
		for (int i = 1; i < count; i++)
			strcat(msg, other);
		struct note n;
		bool ok = note_open(msg, strlen(msg), &v, 1, &n, NULL);
		assert_int_equal(ok, count <= NOTE_SIGS_MAX);
		if (ok) {
			assert_int_equal(n.nsigs, (size_t)count);
			note_free(&n);
		}
	}
	free(msg);
	free(other);
	free(line);
	note_signer_wipe(&s);
}

/* Signing alternately with two keys, and again after one was wiped: each signature is its own key's (note.c
 * keeps the last key made from a seed for the next signing) and verifies under it and not under the other. */
static void test_note_two_keys_in_turn(void **state)
{
	(void)state;
	struct note_signer s[2];
	struct note_verifier v[2];
	assert_true(note_keygen("a.example", NOTE_ED25519, &s[0]));
	assert_true(note_keygen("a.example", NOTE_ED25519, &s[1])); /* the same name: only the key tells them apart */
	for (int i = 0; i < 2; i++)
		note_signer_verifier(&s[i], &v[i]);
	const char text[] = "in turn\n";
	for (int round = 0; round < 6; round++) {
		int k = round % 2;
		if (round == 4) { /* a wiped key is made again from its seed, here from a copy kept */
			struct note_signer copy = s[k];
			note_signer_wipe(&s[k]);
			s[k] = copy;
		}
		char *line = note_signature_line(&s[k], text, strlen(text), 0);
		assert_non_null(line);
		char msg[256];
		snprintf(msg, sizeof msg, "%s\n%s", text, line);
		struct note n;
		assert_true(note_open(msg, strlen(msg), &v[k], 1, &n, NULL));
		note_free(&n);
		if (v[0].key_id != v[1].key_id) /* a key id shared by chance would make the other key "unknown" too */
			assert_false(note_open(msg, strlen(msg), &v[1 - k], 1, &n, NULL));
		free(line);
	}
	note_signer_wipe(&s[0]);
	note_signer_wipe(&s[1]);
}

/* ---------------------------------------------------------------- cosignatures */

static void test_note_cosignature_spec_example(void **state)
{
	(void)state;
	struct note n;
	assert_true(note_split(COSIG_NOTE, strlen(COSIG_NOTE), &n, NULL));
	assert_string_equal(n.text, COSIG_TEXT);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(n.sigs[0].key_id, 0x033de0ae);
	assert_int_equal(n.sigs[0].payload_len, NOTE_SIG_LEN);
	assert_string_equal(n.sigs[1].name, "witness.example.com/w1");
	assert_int_equal(n.sigs[1].key_id, 0x8d66cf3f);
	assert_int_equal(n.sigs[1].payload_len, 8 + NOTE_SIG_LEN);
	uint64_t when = 0;
	for (int i = 0; i < 8; i++)
		when = when << 8 | n.sigs[1].payload[i];
	assert_int_equal(when, 1679315147); /* the time the specification's signed message shows */
	size_t len;
	char *msg = note_cosignature_message(n.text, n.text_len, when, &len);
	const char want[] = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
			    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	assert_int_equal(len, strlen(want));
	assert_string_equal(msg, want);
	free(msg);
	note_free(&n);
}

/* A cosigner key: its key id is over type 0x04, and its strings carry that type and round-trip. */
static void test_note_cosigner_keys(void **state)
{
	(void)state;
	struct note_signer wit, s2;
	struct note_verifier v, v2;
	assert_true(note_keygen("witness.example/w1", NOTE_COSIGNATURE, &wit));
	note_signer_verifier(&wit, &v);
	assert_int_equal(v.type, NOTE_COSIGNATURE);
	assert_int_equal(v.key_id, note_key_id(wit.name, 0x04, wit.pub));
	assert_int_not_equal(v.key_id, note_key_id(wit.name, 0x01, wit.pub));
	char *vs = note_verifier_format(&v), *ss = note_signer_format(&wit);
	assert_true(note_verifier_parse(vs, &v2));
	assert_true(note_signer_parse(ss, &s2));
	assert_memory_equal(&v2, &v, sizeof v2);
	assert_memory_equal(&s2, &wit, sizeof s2);
	free(vs);
	free(ss);
	note_signer_wipe(&wit);
	note_signer_wipe(&s2);
}

static void test_note_cosignature_round_trip(void **state)
{
	(void)state;
	struct note_signer log, wit;
	struct note_verifier keys[2];
	assert_true(note_keygen("log.example/tree", NOTE_ED25519, &log));
	assert_true(note_keygen("witness.example/w1", NOTE_COSIGNATURE, &wit));
	note_signer_verifier(&log, &keys[0]);
	note_signer_verifier(&wit, &keys[1]);
	const char text[] = "log.example/tree\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	char *msg = note_sign(text, strlen(text), &log, 1, 0);
	char *cosig = note_signature_line(&wit, text, strlen(text), 1700000000);
	assert_non_null(cosig);
	size_t mlen = strlen(msg), clen = strlen(cosig);
	char *both = malloc(mlen + clen + 1);
	memcpy(both, msg, mlen);
	memcpy(both + mlen, cosig, clen + 1);
	struct note n;
	must_open(both, keys, 2, &n);
	assert_int_equal(n.nverified, 2);
	const struct note_signature *c = note_signed_by(&n, &keys[1]);
	assert_non_null(c);
	assert_int_equal(c->time, 1700000000);
	assert_int_equal(c->payload_len, 8 + NOTE_SIG_LEN);
	note_free(&n);
	must_open(both, &keys[1], 1, &n); /* a witness key alone verifies its line */
	note_free(&n);

	/* a changed timestamp: the signature covered the old one */
	char *bad = strdup(both);
	char *b64 = strstr(bad, "witness.example/w1 ") + strlen("witness.example/w1 ");
	uint8_t payload[4 + 8 + NOTE_SIG_LEN];
	size_t plen;
	assert_true(base64_decode(b64, strlen(b64) - 1, payload, sizeof payload, &plen));
	payload[11] ^= 1;
	base64_encode(payload, plen, b64);
	strcat(bad, "\n");
	must_refuse(bad, keys, 2);
	/* the same key taken as a plain Ed25519 key has another id: its line is then unknown */
	struct note_verifier as_plain = keys[1];
	as_plain.type = NOTE_ED25519;
	as_plain.key_id = note_key_id(as_plain.name, NOTE_ED25519, as_plain.pub);
	must_refuse(both, &as_plain, 1);
	/* a timestamp past 2^63 - 1 is not signed */
	assert_null(note_signature_line(&wit, text, strlen(text), (uint64_t)INT64_MAX + 1));
	char *edge = note_signature_line(&wit, text, strlen(text), (uint64_t)INT64_MAX);
	assert_non_null(edge);
	free(edge);
	free(bad);
	free(both);
	free(cosig);
	free(msg);
	note_signer_wipe(&log);
	note_signer_wipe(&wit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_note_peter_neumann_keys),
		cmocka_unit_test(test_note_key_strings_refused),
		cmocka_unit_test(test_note_names_and_texts),
		cmocka_unit_test(test_note_peter_neumann_note),
		cmocka_unit_test(test_note_spec_example),
		cmocka_unit_test(test_note_known_and_unknown_keys),
		cmocka_unit_test(test_note_sign_refuses),
		cmocka_unit_test(test_note_malformed),
		cmocka_unit_test(test_note_many_signatures),
		cmocka_unit_test(test_note_two_keys_in_turn),
		cmocka_unit_test(test_note_cosignature_spec_example),
		cmocka_unit_test(test_note_cosigner_keys),
		cmocka_unit_test(test_note_cosignature_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
