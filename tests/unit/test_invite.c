/* test_invite.c - the invitation code: written and read back, read as pasted from a mail (whitespace, wrapping,
 * invisible characters, case), and every kind of damage told apart; the hash of its secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "buf.h"
#include "invite.h"
#include "xmalloc.h"

#define CA_FP "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static struct invite fresh(const char *host, unsigned port)
{
	struct invite inv;
	char *err = NULL;
	assert_true(invite_new(&inv, host, port, CA_FP, &err));
	assert_null(err);
	return inv;
}

/* Parses code, expecting a refusal whose message holds want. */
static void refused(const char *code, const char *want)
{
	struct invite inv;
	char *err = NULL;
	assert_false(invite_parse(code, &inv, &err));
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("for \"%s\" expected \"%s\" in \"%s\"", code, want, err);
	free(err);
}

static void parsed(const char *code, struct invite *out)
{
	char *err = NULL;
	if (!invite_parse(code, out, &err))
		fail_msg("\"%s\" refused: %s", code, err);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct invite inv = fresh("Planreg.Example.ORG", 7443), back;
	assert_string_equal(inv.host, "planreg.example.org");
	char *code = invite_format(&inv);
	assert_non_null(strstr(code, INVITE_PREFIX "planreg.example.org:7443:" CA_FP ":"));
	assert_null(strchr(code, '\n'));
	assert_int_equal(strlen(code), strlen(INVITE_PREFIX "planreg.example.org:7443:") + 64 + 1 + 32 + 1 + 8);
	parsed(code, &back);
	assert_string_equal(back.host, inv.host);
	assert_int_equal(back.port, 7443);
	assert_string_equal(back.ca_fingerprint, CA_FP);
	assert_memory_equal(back.secret, inv.secret, INVITE_SECRET_BYTES);
	invite_free_code(code);
}

static void test_addresses(void **state)
{
	(void)state;
	static const char *const hosts[][2] = {
		{"127.0.0.1", "127.0.0.1"}, {"::1", "::1"}, {"[2001:DB8::7]", "2001:db8::7"}, {"a-b.c", "a-b.c"}};
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		struct invite inv = fresh(hosts[i][0], 1), back;
		assert_string_equal(inv.host, hosts[i][1]);
		char *code = invite_format(&inv);
		assert_true(strchr(inv.host, ':') == NULL || strstr(code, "[") != NULL);
		parsed(code, &back);
		assert_string_equal(back.host, hosts[i][1]);
		invite_free_code(code);
	}
}

static void test_secrets_are_fresh(void **state)
{
	(void)state;
	struct invite a = fresh("h", 1), b = fresh("h", 1);
	assert_memory_not_equal(a.secret, b.secret, INVITE_SECRET_BYTES);
	static const unsigned char zero[INVITE_SECRET_BYTES];
	assert_memory_not_equal(a.secret, zero, INVITE_SECRET_BYTES);
	invite_clear(&a);
	assert_memory_equal(a.secret, zero, INVITE_SECRET_BYTES);
}

static void test_new_refuses(void **state)
{
	(void)state;
	static const struct {
		const char *host;
		unsigned port;
		const char *fp;
		const char *want;
	} bad[] = {
		{"", 1, CA_FP, "not a host name"},
		{"a..b", 1, CA_FP, "not a host name"},
		{"-a.b", 1, CA_FP, "not a host name"},
		{"a_b", 1, CA_FP, "not a host name"},
		{"[127.0.0.1]", 1, CA_FP, "not a host name"},
		{"[::1", 1, CA_FP, "not a host name"},
		{"h", 0, CA_FP, "port 0"},
		{"h", 65536, CA_FP, "port 65536"},
		{"h", 1, "abc", "not a SHA-256 fingerprint"},
		{"h", 1, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g", "not a SHA-256"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct invite inv;
		char *err = NULL;
		assert_false(invite_new(&inv, bad[i].host, bad[i].port, bad[i].fp, &err));
		if (err == NULL || strstr(err, bad[i].want) == NULL)
			fail_msg("%s:%u: expected \"%s\" in \"%s\"", bad[i].host, bad[i].port, bad[i].want, err);
		free(err);
	}
}

/* Whitespace around the code, inside it (a mail program wrapped it), invisible characters and case. */
static void test_pasted(void **state)
{
	(void)state;
	struct invite inv = fresh("planreg.example.org", 443), back;
	char *code = invite_format(&inv);
	size_t n = strlen(code);
	struct buf b = {0};
	buf_printf(&b, "  \t\r\n%s \r\n\n", code);
	parsed(b.data, &back);
	assert_memory_equal(back.secret, inv.secret, INVITE_SECRET_BYTES);
	/* wrapped at 72 columns with a quoted-reply indent, then a soft hyphen and a no-break space */
	buf_reset(&b);
	buf_printf(&b, "%.*s\n   %.*s\xc2\xad%.*s\xc2\xa0%s", 72, code, 10, code + 72, 20, code + 82, code + 102);
	parsed(b.data, &back);
	assert_memory_equal(back.secret, inv.secret, INVITE_SECRET_BYTES);
	/* upper case, as a hand-copied code may be */
	char *upper = xstrdup(code);
	for (size_t i = 0; i < n; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	parsed(upper, &back);
	assert_memory_equal(back.secret, inv.secret, INVITE_SECRET_BYTES);
	assert_string_equal(back.host, "planreg.example.org");
	free(upper);
	buf_free(&b);
	invite_free_code(code);
}

/* Each character changed, one at a time, is caught by the check, and said to be damage. */
static void test_flipped_character(void **state)
{
	(void)state;
	struct invite inv = fresh("planreg.example.org", 7443);
	char *code = invite_format(&inv);
	size_t n = strlen(code), from = strlen(INVITE_PREFIX);
	for (size_t i = from; i < n; i++) {
		char *copy = xstrdup(code);
		if (copy[i] == ':')
			copy[i] = '0';
		else
			copy[i] = copy[i] == '7'   ? '8'
				  : copy[i] == 'f' ? 'e'
				  : copy[i] == 'z' ? 'y'
						   : (char)(copy[i] ^ 1);
		struct invite back;
		char *err = NULL;
		assert_false(invite_parse(copy, &back, &err));
		if (copy[i] != '0' && strstr(err, "damaged") == NULL)
			fail_msg("character %zu: \"%s\"", i, err);
		free(err);
		free(copy);
	}
	/* two adjacent characters swapped, a character lost, one added */
	char *copy = xstrdup(code);
	char t = copy[from + 40];
	copy[from + 40] = copy[from + 41];
	copy[from + 41] = t;
	refused(copy, "damaged");
	memmove(copy + from + 40, copy + from + 41, n - from - 40);
	refused(copy, "damaged");
	free(copy);
	struct buf b = {0};
	buf_printf(&b, "%.*sa%s", (int)(from + 50), code, code + from + 50);
	refused(b.data, "damaged");
	buf_free(&b);
	invite_free_code(code);
}

static void test_cut_short(void **state)
{
	(void)state;
	struct invite inv = fresh("planreg.example.org", 7443);
	char *code = invite_format(&inv);
	/* cut inside the CA fingerprint: three of the five parts are left */
	char *cut = xstrndup(code, strlen(INVITE_PREFIX "planreg.example.org:7443:") + 10);
	refused(cut, "incomplete: it has 3 of the 5 parts");
	free(cut);
	/* cut inside the check */
	cut = xstrndup(code, strlen(code) - 2);
	refused(cut, "damaged");
	free(cut);
	invite_free_code(code);
}

static void test_junk(void **state)
{
	(void)state;
	refused("", "empty");
	refused(" \n\t ", "empty");
	refused("hello", "not a planreg invitation code");
	refused("https://planreg.example.org/", "not a planreg invitation code");
	refused("planreg-invite-:x", "not a planreg invitation code");
	refused("planreg-invite-x:x", "not a planreg invitation code");
	refused("planreg-invite-2:h:1:aa:bb:cc", "version 2, which this planreg cannot read");
	refused("planreg-invite-10:h:1:aa:bb:cc", "version 10,");
	refused("planreg-invite-01:h:1:aa:bb:cc", "version 01,");
	refused("planreg-invite-12345678901234:h", "version 123456789...,");
	refused("planreg-invite-1:h", "incomplete: it has 1 of the 5 parts");
	refused("planreg-invite-1:h:1:aa:bb:cc", "damaged");
	refused("planreg-invite-1:h\x01:1", "byte 0x01 after \"planreg-invite-1:h\"");
	refused("planreg-invite-1:h\xc3\xa9", "byte 0xc3");
	char *big = xmalloc(INVITE_CODE_MAX + 2);
	memset(big, 'a', INVITE_CODE_MAX + 1);
	big[INVITE_CODE_MAX + 1] = '\0';
	refused(big, "too long");
	free(big);
}

/* A code whose check matches but whose parts do not (made by something other than invite_format). */
static void test_valid_check_bad_parts(void **state)
{
	(void)state;
	static const char *const bodies[][2] = {
		{"bad_host:1:" CA_FP ":00112233445566778899aabbccddeeff", "names the server \"bad_host\""},
		{"::1:1:" CA_FP ":00112233445566778899aabbccddeeff", "names the server \"::1\""},
		{"h:0:" CA_FP ":00112233445566778899aabbccddeeff", "names the port \"0\""},
		{"h:65536:" CA_FP ":00112233445566778899aabbccddeeff", "names the port \"65536\""},
		{"h:+1:" CA_FP ":00112233445566778899aabbccddeeff", "names the port \"+1\""},
		{"h:1:abcd:00112233445566778899aabbccddeeff", "CA fingerprint (its third part)"},
		{"h:1:" CA_FP ":0011", "secret (its fourth part) is not 32 hex digits"},
		{"h:1:" CA_FP ":00112233445566778899aabbccddeefg", "secret (its fourth part)"},
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		/* the check is computed here by hand: the first 4 bytes of SHA-256 of the text before it */
		struct buf b = {0};
		buf_printf(&b, "%s%s", INVITE_PREFIX, bodies[i][0]);
		unsigned char md[32];
		SHA256((const unsigned char *)b.data, b.len, md);
		buf_printf(&b, ":%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
		refused(b.data, bodies[i][1]);
		buf_free(&b);
	}
}

static void test_secret_hash(void **state)
{
	(void)state;
	unsigned char secret[INVITE_SECRET_BYTES];
	for (size_t i = 0; i < sizeof secret; i++)
		secret[i] = (unsigned char)i;
	char h[INVITE_HASH_SIZE];
	assert_true(invite_secret_hash(secret, sizeof secret, h));
	/* SHA-256("planreg-invite-secret-1" NUL 00 01 .. 0f), computed with python3 | sha256sum */
	assert_string_equal(h, "ab2bb3d2b403ab96425e93d334e7a896fd7e5ef91094e78049d63e2046325460");
	assert_true(invite_secret_verify(secret, sizeof secret, h));
	for (size_t i = 0; i < 64; i++)
		h[i] = h[i] >= 'a' && h[i] <= 'f' ? (char)(h[i] - 'a' + 'A') : h[i];
	assert_true(invite_secret_verify(secret, sizeof secret, h));
	secret[5] ^= 0x80;
	assert_false(invite_secret_verify(secret, sizeof secret, h));
	secret[5] ^= 0x80;
	assert_false(invite_secret_verify(secret, sizeof secret - 1, h));
	assert_false(invite_secret_hash(secret, sizeof secret + 1, h));
	assert_false(invite_secret_verify(secret, sizeof secret, ""));
	assert_false(invite_secret_verify(secret, sizeof secret, "ab2b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_secrets_are_fresh),
		cmocka_unit_test(test_new_refuses),
		cmocka_unit_test(test_pasted),
		cmocka_unit_test(test_flipped_character),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_valid_check_bad_parts),
		cmocka_unit_test(test_secret_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
