/* base64.h - standard padded base64 (RFC 4648 §4) and strict decoding: the signed-note formats accept
 * only the one canonical spelling of any bytes, so a signature or hash cannot be re-spelled unnoticed. */
#ifndef PLANREG_BASE64_H
#define PLANREG_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters base64_encode writes for n bytes, without the NUL: 4 * ceil(n / 3). */
static inline size_t base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Writes the encoding of in[0..n) and a NUL into out (base64_encoded_len(n) + 1 bytes). */
void base64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes s[0..len) into out (cap bytes); *out_len gets the decoded length. Refuses an empty or
 * malformed input, one that does not fit, and any input that is not the canonical encoding of the
 * bytes it decodes to (checked by encoding them again), so "QR==" for "QQ==" is refused. */
bool base64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
	__attribute__((warn_unused_result));
/* A malloc'd NUL-terminated encoding (never NULL: allocation failure aborts). */
char *base64_encode_dup(const uint8_t *in, size_t n);

#endif
