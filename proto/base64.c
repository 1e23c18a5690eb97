/* base64.c - standard padded base64, strict decoding (see base64.h). */
#include "base64.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static const char BASE64_ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = BASE64_ALPHABET[(v >> 18) & 63];
		out[o++] = BASE64_ALPHABET[(v >> 12) & 63];
		out[o++] = i + 1 < n ? BASE64_ALPHABET[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? BASE64_ALPHABET[v & 63] : '=';
	}
	out[o] = '\0';
}

char *base64_encode_dup(const uint8_t *in, size_t n)
{
	char *out = xmalloc(base64_encoded_len(n) + 1);
	base64_encode(in, n, out);
	return out;
}

/* The value of one alphabet character, or -1 (padding included: the caller places it). */
static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes without the canonical check: lengths, alphabet and where padding may stand. */
static bool base64_decode_loose(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (len == 0 || len % 4 != 0)
		return false;
	size_t pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
	size_t n = len / 4 * 3 - pad;
	if (n > cap)
		return false;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = base64_value(s[i + k]);
			if (d < 0 && !(s[i + k] == '=' && i + k >= len - pad))
				return false;
			v = (v << 6) | (uint32_t)(d < 0 ? 0 : d);
		}
		uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
		for (size_t k = 0; k < 3 && o < n; k++)
			out[o++] = b[k];
	}
	*out_len = n;
	return true;
}

bool base64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n;
	if (!base64_decode_loose(s, len, out, cap, &n))
		return false;
	/* unused low bits that are not zero would decode to the same bytes: re-encode and compare */
	char *again = base64_encode_dup(out, n);
	bool same = strlen(again) == len && memcmp(again, s, len) == 0;
	free(again);
	if (!same)
		return false;
	*out_len = n;
	return true;
}
