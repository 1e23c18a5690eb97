/* invite.c - the invitation code: written, read back as pasted, and the hash of its secret (see invite.h). */
#include "invite.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

/* The fields after the prefix: host, port, CA fingerprint, secret, check. */
#define INVITE_FIELDS 5
#define INVITE_CHECK_BYTES 4
/* Hashed in front of a secret, so that its hash means "an invitation secret" and nothing else. */
static const char INVITE_HASH_TAG[] = "planreg-invite-secret-1";

/*
 * Characters a mail program or a word processor puts into a long word without being asked, and that a
 * paste brings along invisibly: no-break space, soft hyphen, zero-width space, non-joiner and joiner,
 * word joiner, byte order mark. Skipped like whitespace.
 */
static const char *const INVITE_INVISIBLE[] = {
	"\xc2\xa0", "\xc2\xad", "\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf",
};

static int invite_hex_value(char c)
{
	if (text_is_digit(c))
		return c - '0';
	c = text_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether s[0..n) is hex; when so and out is not NULL, its n / 2 bytes in out. */
static bool invite_hex_decode(const char *s, size_t n, unsigned char *out)
{
	if (n % 2 != 0)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = invite_hex_value(s[i]), lo = invite_hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		if (out != NULL)
			out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* A DNS name (which an IPv4 address also is): labels of letters, digits and inner hyphens, 1 to 63 long. */
static bool invite_dns_name(const char *s, size_t n)
{
	if (n == 0 || n > INVITE_HOST_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (text_is_alnum(s[i]) || (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* host[0..n) as the code writes it (IPv6 in brackets) into out without brackets, lower case; false when it is
 * neither a DNS name nor a bracketed IPv6 address. */
static bool invite_host_read(const char *host, size_t n, char out[INVITE_HOST_MAX + 1])
{
	bool bracketed = n >= 2 && host[0] == '[' && host[n - 1] == ']';
	const char *s = bracketed ? host + 1 : host;
	size_t len = bracketed ? n - 2 : n;
	if (len == 0 || len > INVITE_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = text_lower(s[i]);
	out[len] = '\0';
	if (!bracketed)
		return invite_dns_name(out, len);
	unsigned char addr[16];
	return inet_pton(AF_INET6, out, addr) == 1;
}

/* The check of text[0..n): the first bytes of its SHA-256, in hex. */
static void invite_check(const char *text, size_t n, char out[2 * INVITE_CHECK_BYTES + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)text, n, md);
	text_hex(md, INVITE_CHECK_BYTES, out);
}

bool invite_new(struct invite *inv, const char *host, unsigned port, const char *ca_fingerprint, char **err)
{
	memset(inv, 0, sizeof *inv);
	/* an IPv6 address is taken with its brackets or without, as a configuration file may have it */
	char *bracketed = strchr(host, ':') != NULL && host[0] != '[' ? xasprintf("[%s]", host) : xstrdup(host);
	bool host_ok = invite_host_read(bracketed, strlen(bracketed), inv->host);
	free(bracketed);
	if (!host_ok) {
		*err = xasprintf("\"%s\" is not a host name or an IP address", host);
		return false;
	}
	if (port == 0 || port > 65535) {
		*err = xasprintf("port %u is not a port number (1 to 65535)", port);
		return false;
	}
	if (strlen(ca_fingerprint) != 64 || !invite_hex_decode(ca_fingerprint, 64, NULL)) {
		*err = xasprintf("\"%s\" is not a SHA-256 fingerprint (64 hex digits)", ca_fingerprint);
		return false;
	}
	for (size_t i = 0; i < 64; i++)
		inv->ca_fingerprint[i] = text_lower(ca_fingerprint[i]);
	inv->port = port;
	if (RAND_bytes(inv->secret, sizeof inv->secret) != 1) {
		ERR_clear_error();
		invite_clear(inv);
		*err = xstrdup("no random bytes for the invitation's secret (the system's random source failed)");
		return false;
	}
	return true;
}

char *invite_format(const struct invite *inv)
{
	/* in one buffer on the stack, wiped after, rather than one that grows and leaves copies of the secret */
	char code[INVITE_CODE_MAX + 1], secret[2 * INVITE_SECRET_BYTES + 1];
	text_hex(inv->secret, sizeof inv->secret, secret);
	bool v6 = strchr(inv->host, ':') != NULL;
	int n = snprintf(code, sizeof code, "%s%s%s%s:%u:%s:%s", INVITE_PREFIX, v6 ? "[" : "", inv->host, v6 ? "]" : "",
			 inv->port, inv->ca_fingerprint, secret);
	/* the longest host makes 17 + 255 + 6 + 65 + 33 + 9 = 385 characters: it always fits */
	if (n > 0 && (size_t)n + 1 + 2 * INVITE_CHECK_BYTES < sizeof code) {
		code[n] = ':';
		invite_check(code, (size_t)n, code + n + 1);
	}
	char *out = xstrdup(code);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(code, sizeof code);
	return out;
}

/* The length of the invisible character at s, or 0 when there is none. */
static size_t invite_invisible(const char *s)
{
	for (size_t i = 0; i < sizeof INVITE_INVISIBLE / sizeof INVITE_INVISIBLE[0]; i++) {
		size_t n = strlen(INVITE_INVISIBLE[i]);
		if (strncmp(s, INVITE_INVISIBLE[i], n) == 0)
			return n;
	}
	return 0;
}

/* code without whitespace and invisible characters, in lower case, into out (*n bytes); false with *err when
 * nothing is left, too much is, or a byte no code holds is there. */
static bool invite_canonical(const char *code, char out[INVITE_CODE_MAX + 1], size_t *n, char **err)
{
	*n = 0;
	for (const char *p = code; *p != '\0';) {
		size_t skip = text_is_space(*p) ? 1 : invite_invisible(p);
		if (skip > 0) {
			p += skip;
			continue;
		}
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*err = xasprintf(
				"the invitation code holds a character no code has (byte 0x%02x after \"%.*s\"): "
				"copy it again from the invitation",
				(unsigned char)*p, (int)(*n < 20 ? *n : 20), out + (*n < 20 ? 0 : *n - 20));
			return false;
		}
		if (*n == INVITE_CODE_MAX) {
			*err = xasprintf(
				"the invitation code is longer than %d characters: too long to be one (was more "
				"than the code copied?)",
				INVITE_CODE_MAX);
			return false;
		}
		out[(*n)++] = text_lower(*p++);
	}
	out[*n] = '\0';
	if (*n == 0) {
		*err = xstrdup("the invitation code is empty");
		return false;
	}
	return true;
}

/* After the canonical code's "planreg-invite-": "1:" and where the fields start; false with *err otherwise. */
static bool invite_version(const char *s, size_t *fields, char **err)
{
	static const char family[] = "planreg-invite-";
	const size_t flen = sizeof family - 1;
	if (strncmp(s, family, flen) != 0) {
		*err = xstrdup("this is not a planreg invitation code: one begins with \"" INVITE_PREFIX "\"");
		return false;
	}
	size_t digits = strspn(s + flen, "0123456789");
	if (digits == 0 || s[flen + digits] != ':') {
		*err = xstrdup("this is not a planreg invitation code: one begins with \"" INVITE_PREFIX "\"");
		return false;
	}
	if (digits != 1 || s[flen] != '1') {
		*err = xasprintf("this invitation code is version %.*s%s, which this planreg cannot read (it reads "
				 "version 1): install a newer planreg",
				 (int)(digits > 9 ? 9 : digits), s + flen, digits > 9 ? "..." : "");
		return false;
	}
	*fields = flen + digits + 1;
	return true;
}

/* The start of each field of s (after the prefix) and its length, taken from the right, since an IPv6 host
 * holds colons; false with *err when there are too few. */
static bool invite_split(const char *s, size_t n, const char *start[INVITE_FIELDS], size_t len[INVITE_FIELDS],
			 char **err)
{
	size_t end = n;
	for (int f = INVITE_FIELDS - 1; f > 0; f--) {
		const char *colon = NULL;
		for (size_t i = end; i > 0 && colon == NULL; i--)
			if (s[i - 1] == ':')
				colon = s + i - 1;
		if (colon == NULL) {
			*err = xasprintf(
				"the invitation code is incomplete: it has %d of the %d parts that follow \"%s\" "
				"(was its end cut off?)",
				INVITE_FIELDS - f, INVITE_FIELDS, INVITE_PREFIX);
			return false;
		}
		start[f] = colon + 1;
		len[f] = end - (size_t)(colon + 1 - s);
		end = (size_t)(colon - s);
	}
	start[0] = s;
	len[0] = end;
	return true;
}

/* The fields of a code whose check matched; false with *err naming the one that is not valid. */
static bool invite_fields(const char *start[INVITE_FIELDS], const size_t len[INVITE_FIELDS], struct invite *out,
			  char **err)
{
	if (!invite_host_read(start[0], len[0], out->host)) {
		*err = xasprintf("the invitation code names the server \"%.*s\", which is not a host name or an IP "
				 "address (an IPv6 one in brackets)",
				 (int)len[0], start[0]);
		return false;
	}
	unsigned long port = 0;
	bool port_ok = len[1] >= 1 && len[1] <= 5 && strspn(start[1], "0123456789") >= len[1];
	for (size_t i = 0; port_ok && i < len[1]; i++)
		port = port * 10 + (unsigned long)(start[1][i] - '0');
	if (!port_ok || port == 0 || port > 65535) {
		*err = xasprintf("the invitation code names the port \"%.*s\", which is not a port number (1 to 65535)",
				 (int)len[1], start[1]);
		return false;
	}
	out->port = (unsigned)port;
	if (len[2] != 64 || !invite_hex_decode(start[2], 64, NULL)) {
		*err = xstrdup("the invitation code's CA fingerprint (its third part) is not 64 hex digits");
		return false;
	}
	memcpy(out->ca_fingerprint, start[2], 64);
	out->ca_fingerprint[64] = '\0';
	if (len[3] != 2 * INVITE_SECRET_BYTES || !invite_hex_decode(start[3], len[3], out->secret)) {
		*err = xasprintf("the invitation code's secret (its fourth part) is not %d hex digits",
				 2 * INVITE_SECRET_BYTES);
		return false;
	}
	return true;
}

bool invite_parse(const char *code, struct invite *out, char **err)
{
	memset(out, 0, sizeof *out);
	char canon[INVITE_CODE_MAX + 1];
	size_t n, at;
	const char *start[INVITE_FIELDS];
	size_t len[INVITE_FIELDS];
	bool ok = invite_canonical(code, canon, &n, err) && invite_version(canon, &at, err) &&
		  invite_split(canon + at, n - at, start, len, err);
	if (ok) {
		char want[2 * INVITE_CHECK_BYTES + 1];
		invite_check(canon, (size_t)(start[4] - 1 - canon), want);
		ok = len[4] == 2 * INVITE_CHECK_BYTES && memcmp(start[4], want, len[4]) == 0;
		if (!ok)
			*err = xstrdup("the invitation code is damaged: its last part (a check on the rest) does not "
				       "match, so a character was changed, lost or added when it was copied; copy it "
				       "again exactly, or ask for a new invitation");
	}
	ok = ok && invite_fields(start, len, out, err);
	OPENSSL_cleanse(canon, sizeof canon);
	if (!ok)
		invite_clear(out);
	return ok;
}

bool invite_secret_hash(const void *secret, size_t len, char out[INVITE_HASH_SIZE])
{
	if (len != INVITE_SECRET_BYTES)
		return false;
	unsigned char in[sizeof INVITE_HASH_TAG + INVITE_SECRET_BYTES]; /* the tag, its NUL, the secret */
	memcpy(in, INVITE_HASH_TAG, sizeof INVITE_HASH_TAG);
	memcpy(in + sizeof INVITE_HASH_TAG, secret, INVITE_SECRET_BYTES);
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(in, sizeof in, md);
	OPENSSL_cleanse(in, sizeof in);
	text_hex(md, sizeof md, out);
	return true;
}

bool invite_secret_verify(const void *secret, size_t len, const char *stored)
{
	char want[INVITE_HASH_SIZE], have[INVITE_HASH_SIZE];
	if (strlen(stored) != INVITE_HASH_SIZE - 1 || !invite_secret_hash(secret, len, want))
		return false;
	for (size_t i = 0; i < INVITE_HASH_SIZE; i++)
		have[i] = text_lower(stored[i]);
	/* CRYPTO_memcmp takes as long wherever the first difference is: a guess learns nothing from the timing */
	return CRYPTO_memcmp(want, have, INVITE_HASH_SIZE - 1) == 0;
}

void invite_clear(struct invite *inv)
{
	OPENSSL_cleanse(inv, sizeof *inv);
}

void invite_free_code(char *code)
{
	if (code != NULL)
		OPENSSL_cleanse(code, strlen(code));
	free(code);
}
