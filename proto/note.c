/* note.c - C2SP signed notes and Ed25519 cosignatures (see note.h). */
#include "note.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base64.h"
#include "buf.h"
#include "text.h"
#include "xmalloc.h"

static const char NOTE_DASH[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, then a space */
#define NOTE_DASH_LEN (sizeof NOTE_DASH - 1)
static const char NOTE_PRIVATE_PREFIX[] = "PRIVATE+KEY+";
static const char NOTE_COSIG_HEADER[] = "cosignature/v1\n";
/* room for the base64 of the longest payload this file signs: key id, time and signature (76 bytes) */
#define NOTE_LINE_B64_MAX 128

/* ---------------------------------------------------------------- Ed25519 (OpenSSL 3.0, one-shot) */

static bool note_ed25519_public(const uint8_t seed[NOTE_KEY_LEN], uint8_t pub[NOTE_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, NOTE_KEY_LEN);
	size_t n = NOTE_KEY_LEN;
	bool ok = k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == NOTE_KEY_LEN;
	EVP_PKEY_free(k);
	return ok;
}

/* The key of the last signing, kept for the next, one per thread: making an Ed25519 key from its seed derives
 * the public key, a scalar multiplication that cost as much as the signature itself (6% of the daemon's loop
 * under the submit benchmark, one signing per batch). note_signer_wipe drops it with the seed. */
static _Thread_local struct {
	uint8_t seed[NOTE_KEY_LEN];
	EVP_PKEY *key;
} note_key_cache;

static void note_key_cache_drop(void)
{
	EVP_PKEY_free(note_key_cache.key);
	note_key_cache.key = NULL;
	OPENSSL_cleanse(note_key_cache.seed, NOTE_KEY_LEN);
}

static EVP_PKEY *note_ed25519_key(const uint8_t seed[NOTE_KEY_LEN])
{
	if (note_key_cache.key != NULL && CRYPTO_memcmp(note_key_cache.seed, seed, NOTE_KEY_LEN) == 0)
		return note_key_cache.key;
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, NOTE_KEY_LEN);
	if (k == NULL)
		return NULL;
	note_key_cache_drop();
	memcpy(note_key_cache.seed, seed, NOTE_KEY_LEN);
	note_key_cache.key = k;
	return k;
}

/* Ed25519 has no streaming form in OpenSSL 3.0: the digest is NULL and the message goes in whole. */
static bool note_ed25519_sign(const uint8_t seed[NOTE_KEY_LEN], const void *msg, size_t len, uint8_t sig[NOTE_SIG_LEN])
{
	EVP_PKEY *k = note_ed25519_key(seed);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = NOTE_SIG_LEN;
	bool ok = k != NULL && ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
		  EVP_DigestSign(ctx, sig, &n, msg, len) == 1 && n == NOTE_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool note_ed25519_verify(const uint8_t pub[NOTE_KEY_LEN], const void *msg, size_t len, const uint8_t *sig,
				size_t sig_len)
{
	if (sig_len != NOTE_SIG_LEN)
		return false;
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, NOTE_KEY_LEN);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = k != NULL && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}

/* ---------------------------------------------------------------- names, texts, key ids */

/* The code point at s (valid UTF-8, checked before) and its length in *n. */
static uint32_t note_utf8_at(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	*n = len;
	return cp;
}

/* Unicode White_Space (what Go's unicode.IsSpace accepts); the ASCII ones are controls or ' '. */
static bool note_unicode_space(uint32_t cp)
{
	return cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

bool note_name_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > NOTE_NAME_MAX || !text_utf8_valid(name, len, NULL))
		return false;
	for (size_t i = 0; i < len;) {
		size_t n;
		uint32_t cp = note_utf8_at((const unsigned char *)name + i, &n);
		if (cp < 0x20 || cp == 0x7f || cp == '+' || note_unicode_space(cp))
			return false;
		i += n;
	}
	return true;
}

/* Valid UTF-8 without NUL and without a control character other than newline. */
static bool note_chars_valid(const char *s, size_t len)
{
	if (!text_utf8_valid(s, len, NULL))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
			return false;
	return true;
}

bool note_text_valid(const char *text, size_t len)
{
	return len > 0 && text[len - 1] == '\n' && note_chars_valid(text, len);
}

uint32_t note_key_id(const char *name, uint8_t type, const uint8_t pub[NOTE_KEY_LEN])
{
	struct buf b = {0};
	buf_puts(&b, name);
	buf_putc(&b, '\n');
	buf_append(&b, &type, 1);
	buf_append(&b, pub, NOTE_KEY_LEN);
	uint8_t md[32];
	if (!EVP_Digest(b.data, b.len, md, NULL, EVP_sha256(), NULL))
		abort(); /* only exhaustion makes SHA-256 fail */
	buf_free(&b);
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

/* ---------------------------------------------------------------- keys */

static bool note_type_known(uint8_t type)
{
	return type == NOTE_ED25519 || type == NOTE_COSIGNATURE;
}

bool note_signer_from_seed(const char *name, uint8_t type, const uint8_t seed[NOTE_KEY_LEN], struct note_signer *out)
{
	memset(out, 0, sizeof *out);
	if (!note_name_valid(name) || !note_type_known(type) || !note_ed25519_public(seed, out->pub))
		return false;
	strcpy(out->name, name);
	out->type = type;
	memcpy(out->seed, seed, NOTE_KEY_LEN);
	out->key_id = note_key_id(name, type, out->pub);
	return true;
}

bool note_keygen(const char *name, uint8_t type, struct note_signer *out)
{
	uint8_t seed[NOTE_KEY_LEN];
	if (RAND_priv_bytes(seed, sizeof seed) != 1) {
		memset(out, 0, sizeof *out);
		return false;
	}
	bool ok = note_signer_from_seed(name, type, seed, out);
	OPENSSL_cleanse(seed, sizeof seed);
	return ok;
}

void note_signer_verifier(const struct note_signer *s, struct note_verifier *out)
{
	memset(out, 0, sizeof *out);
	strcpy(out->name, s->name);
	out->key_id = s->key_id;
	out->type = s->type;
	memcpy(out->pub, s->pub, NOTE_KEY_LEN);
}

void note_signer_wipe(struct note_signer *s)
{
	if (note_key_cache.key != NULL && CRYPTO_memcmp(note_key_cache.seed, s->seed, NOTE_KEY_LEN) == 0)
		note_key_cache_drop();
	OPENSSL_cleanse(s, sizeof *s);
}

/* Reads "<name>+<8 hex>+<base64(type || 32 bytes)>", the tail both key strings share. The name holds no
 * plus, so the first two split it off; the base64 may hold pluses of its own. */
static bool note_key_tail_parse(const char *s, char name[NOTE_NAME_MAX + 1], uint32_t *id, uint8_t *type,
				uint8_t key[NOTE_KEY_LEN])
{
	const char *p1 = strchr(s, '+');
	if (p1 == NULL || p1 == s || (size_t)(p1 - s) > NOTE_NAME_MAX)
		return false;
	memcpy(name, s, (size_t)(p1 - s));
	name[p1 - s] = '\0';
	const char *hex = p1 + 1;
	if (strlen(hex) < 9 || hex[8] != '+')
		return false;
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = hex[i];
		if (!text_is_digit(c) && !(c >= 'a' && c <= 'f'))
			return false; /* lower case only: the one spelling the formatter writes */
		v = v << 4 | (uint32_t)(text_is_digit(c) ? c - '0' : c - 'a' + 10);
	}
	const char *b64 = hex + 9;
	uint8_t raw[1 + NOTE_KEY_LEN];
	size_t n;
	if (!base64_decode(b64, strlen(b64), raw, sizeof raw, &n) || n != sizeof raw)
		return false;
	*id = v;
	*type = raw[0];
	memcpy(key, raw + 1, NOTE_KEY_LEN);
	OPENSSL_cleanse(raw, sizeof raw);
	return note_name_valid(name) && note_type_known(*type);
}

bool note_verifier_parse(const char *s, struct note_verifier *out)
{
	memset(out, 0, sizeof *out);
	if (!note_key_tail_parse(s, out->name, &out->key_id, &out->type, out->pub) ||
	    note_key_id(out->name, out->type, out->pub) != out->key_id) {
		memset(out, 0, sizeof *out);
		return false;
	}
	return true;
}

bool note_signer_parse(const char *s, struct note_signer *out)
{
	char name[NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t type, seed[NOTE_KEY_LEN];
	bool ok = strncmp(s, NOTE_PRIVATE_PREFIX, strlen(NOTE_PRIVATE_PREFIX)) == 0 &&
		  note_key_tail_parse(s + strlen(NOTE_PRIVATE_PREFIX), name, &id, &type, seed) &&
		  note_signer_from_seed(name, type, seed, out) && out->key_id == id;
	OPENSSL_cleanse(seed, sizeof seed);
	if (!ok)
		note_signer_wipe(out);
	return ok;
}

static char *note_key_format(const char *prefix, const char *name, uint32_t id, uint8_t type,
			     const uint8_t key[NOTE_KEY_LEN])
{
	uint8_t raw[1 + NOTE_KEY_LEN];
	char b64[64];
	raw[0] = type;
	memcpy(raw + 1, key, NOTE_KEY_LEN);
	base64_encode(raw, sizeof raw, b64);
	OPENSSL_cleanse(raw, sizeof raw);
	char *s = xasprintf("%s%s+%08" PRIx32 "+%s", prefix, name, id, b64);
	OPENSSL_cleanse(b64, sizeof b64);
	return s;
}

char *note_verifier_format(const struct note_verifier *v)
{
	return note_key_format("", v->name, v->key_id, v->type, v->pub);
}

char *note_signer_format(const struct note_signer *s)
{
	return note_key_format(NOTE_PRIVATE_PREFIX, s->name, s->key_id, s->type, s->seed);
}

/* ---------------------------------------------------------------- signing */

char *note_cosignature_message(const char *text, size_t text_len, uint64_t when, size_t *len)
{
	struct buf b = {0};
	buf_puts(&b, NOTE_COSIG_HEADER);
	buf_printf(&b, "time %" PRIu64 "\n", when);
	buf_append(&b, text, text_len);
	*len = b.len;
	return buf_take(&b);
}

static void note_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

char *note_signature_line(const struct note_signer *s, const char *text, size_t len, uint64_t when)
{
	if (!note_text_valid(text, len) || (s->type == NOTE_COSIGNATURE && when > NOTE_COSIG_TIME_MAX))
		return NULL;
	uint8_t payload[4 + 8 + NOTE_SIG_LEN];
	size_t plen = 4;
	note_put_be32(payload, s->key_id);
	bool ok;
	if (s->type == NOTE_COSIGNATURE) {
		note_put_be32(payload + 4, (uint32_t)(when >> 32));
		note_put_be32(payload + 8, (uint32_t)when);
		plen += 8;
		size_t mlen;
		char *msg = note_cosignature_message(text, len, when, &mlen);
		ok = note_ed25519_sign(s->seed, msg, mlen, payload + plen);
		free(msg);
	} else {
		ok = note_ed25519_sign(s->seed, text, len, payload + plen);
	}
	if (!ok)
		return NULL;
	char b64[NOTE_LINE_B64_MAX];
	base64_encode(payload, plen + NOTE_SIG_LEN, b64);
	return xasprintf("%s%s %s\n", NOTE_DASH, s->name, b64);
}

char *note_sign(const char *text, size_t len, const struct note_signer *signers, size_t nsigners, uint64_t when)
{
	if (nsigners == 0 || !note_text_valid(text, len))
		return NULL;
	struct buf b = {0};
	buf_append(&b, text, len);
	buf_putc(&b, '\n');
	for (size_t i = 0; i < nsigners; i++) {
		char *line = note_signature_line(&signers[i], text, len, when);
		if (line == NULL) {
			buf_free(&b);
			return NULL;
		}
		buf_puts(&b, line);
		free(line);
	}
	return buf_take(&b);
}

/* ---------------------------------------------------------------- opening */

void note_free(struct note *n)
{
	for (size_t i = 0; i < n->nsigs; i++)
		free(n->sigs[i].payload);
	free(n->sigs);
	free(n->text);
	memset(n, 0, sizeof *n);
}

/* Reads one signature line s[0..len) (without its newline) into sig. */
static bool note_line_parse(const char *s, size_t len, struct note_signature *sig, const char **why)
{
	*why = "a signature line is malformed";
	if (len < NOTE_DASH_LEN || memcmp(s, NOTE_DASH, NOTE_DASH_LEN) != 0)
		return false;
	const char *name = s + NOTE_DASH_LEN, *end = s + len;
	const char *sp = memchr(name, ' ', (size_t)(end - name));
	if (sp == NULL || sp == name || (size_t)(sp - name) > NOTE_NAME_MAX)
		return false;
	memcpy(sig->name, name, (size_t)(sp - name));
	sig->name[sp - name] = '\0';
	if (!note_name_valid(sig->name))
		return false;
	const char *b64 = sp + 1;
	size_t b64_len = (size_t)(end - b64);
	uint8_t *raw = xmalloc(NOTE_SIG_PAYLOAD_MAX + 4);
	size_t n;
	if (!base64_decode(b64, b64_len, raw, NOTE_SIG_PAYLOAD_MAX + 4, &n) || n < 5) {
		*why = "a signature is not canonical base64 of a key id and a signature";
		free(raw);
		return false;
	}
	sig->key_id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	sig->payload_len = n - 4;
	sig->payload = xmalloc(sig->payload_len);
	memcpy(sig->payload, raw + 4, sig->payload_len);
	free(raw);
	return true;
}

/* Parses the signature block s[0..len): one or more lines, each ending in a newline. */
static bool note_sigs_parse(const char *s, size_t len, struct note *out, const char **why)
{
	size_t cap = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(s + at, '\n', len - at);
		if (nl == NULL) {
			*why = "the note does not end in a newline";
			return false;
		}
		if (out->nsigs == NOTE_SIGS_MAX) {
			*why = "the note has too many signatures";
			return false;
		}
		size_t line_len = (size_t)(nl - (s + at));
		out->sigs = xgrow(out->sigs, &cap, out->nsigs + 1, sizeof *out->sigs);
		memset(&out->sigs[out->nsigs], 0, sizeof *out->sigs);
		if (!note_line_parse(s + at, line_len, &out->sigs[out->nsigs], why))
			return false;
		out->nsigs++;
		at += line_len + 1;
	}
	if (out->nsigs == 0) {
		*why = "the note has no signature";
		return false;
	}
	return true;
}

bool note_split(const char *msg, size_t len, struct note *out, const char **why)
{
	const char *dummy;
	why = why != NULL ? why : &dummy;
	memset(out, 0, sizeof *out);
	if (!note_chars_valid(msg, len)) {
		*why = "the note is not UTF-8 text without control characters";
		return false;
	}
	/* the text ends at the last empty line: signature lines are never empty */
	size_t split = 0;
	bool found = false;
	for (size_t i = len; i >= 2; i--) {
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n') {
			split = i - 1; /* the text keeps its own newline, not the empty line's */
			found = true;
			break;
		}
	}
	if (!found) { /* split >= 1 when found: the text is never empty */
		*why = "the note has no empty line before its signatures";
		return false;
	}
	out->text = xstrndup(msg, split);
	out->text_len = split;
	if (!note_sigs_parse(msg + split + 1, len - split - 1, out, why)) {
		note_free(out);
		return false;
	}
	return true;
}

static uint64_t note_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Checks sig against the known key k (same name and id); for a cosignature also reads its time. */
static bool note_sig_verify(const struct note *n, struct note_signature *sig, const struct note_verifier *k)
{
	if (k->type == NOTE_ED25519)
		return note_ed25519_verify(k->pub, n->text, n->text_len, sig->payload, sig->payload_len);
	if (sig->payload_len != 8 + NOTE_SIG_LEN)
		return false;
	uint64_t when = note_get_be64(sig->payload);
	if (when > NOTE_COSIG_TIME_MAX)
		return false;
	size_t mlen;
	char *msg = note_cosignature_message(n->text, n->text_len, when, &mlen);
	bool ok = note_ed25519_verify(k->pub, msg, mlen, sig->payload + 8, NOTE_SIG_LEN);
	free(msg);
	sig->time = ok ? when : 0;
	return ok;
}

/* The known key with the line's name and key id, NULL when none; *ambiguous when two have both. */
static const struct note_verifier *note_key_find(const struct note_verifier *keys, size_t nkeys,
						 const struct note_signature *sig, bool *ambiguous)
{
	const struct note_verifier *found = NULL;
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].key_id != sig->key_id || strcmp(keys[i].name, sig->name) != 0)
			continue;
		if (found != NULL)
			*ambiguous = true;
		found = &keys[i];
	}
	return found;
}

bool note_open(const char *msg, size_t len, const struct note_verifier *keys, size_t nkeys, struct note *out,
	       const char **why)
{
	const char *dummy;
	why = why != NULL ? why : &dummy;
	if (!note_split(msg, len, out, why))
		return false;
	for (size_t i = 0; i < out->nsigs; i++) {
		struct note_signature *sig = &out->sigs[i];
		bool ambiguous = false;
		const struct note_verifier *k = note_key_find(keys, nkeys, sig, &ambiguous);
		if (ambiguous) {
			*why = "two known keys share a name and key id";
			goto refuse;
		}
		if (k == NULL)
			continue; /* unknown keys are ignored, as the spec requires */
		if (!note_sig_verify(out, sig, k)) {
			*why = "a signature by a known key does not verify";
			goto refuse;
		}
		sig->key = k;
		out->nverified++;
	}
	if (out->nverified > 0)
		return true;
	*why = "no known key signed the note";
refuse:
	note_free(out);
	return false;
}

const struct note_signature *note_signed_by(const struct note *n, const struct note_verifier *key)
{
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_verifier *k = n->sigs[i].key;
		if (k != NULL && k->key_id == key->key_id && k->type == key->type && strcmp(k->name, key->name) == 0 &&
		    memcmp(k->pub, key->pub, NOTE_KEY_LEN) == 0)
			return &n->sigs[i];
	}
	return NULL;
}
