/* note.h - C2SP signed notes with Ed25519 (signature type 0x01) and C2SP tlog-cosignature timestamped
 * Ed25519 cosignatures (type 0x04): keys and their text forms, signing, opening and verifying. No I/O.
 *
 * A signed note is a text (UTF-8, ending in a newline, no control character but the newline), an
 * empty line, and one or more lines "— <key name> <base64(key id[4] || signature)>" (U+2014, a space).
 * A key is known by its name and its 32-bit key id = the first 4 bytes, big-endian, of
 * SHA-256(name || 0x0A || type || 32-byte public key).
 *
 * Key strings (docs/verifiable-log.md):
 *   verifier  <name>+<8 lower-case hex digits of the key id>+<base64(type || 32-byte public key)>
 *   signer    PRIVATE+KEY+<name>+<8 hex key id>+<base64(type || 32-byte Ed25519 seed)>
 * the signer's form is that of Go's golang.org/x/mod/sumdb/note for type 0x01, so keys move between the
 * two; type 0x04 keys are written the same way with their own type byte and key id.
 *
 * Ownership: the key structs are plain data (no pointers); strings returned as char * are malloc'd
 * and the caller frees them; a struct note is released with note_free. */
#ifndef PLANREG_NOTE_H
#define PLANREG_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTE_ED25519 0x01         /* an Ed25519 signature over the note text */
#define NOTE_COSIGNATURE 0x04     /* a timestamped Ed25519 cosignature (C2SP tlog-cosignature) */
#define NOTE_KEY_LEN 32           /* an Ed25519 public key, and the seed that is its private key */
#define NOTE_SIG_LEN 64           /* an Ed25519 signature */
#define NOTE_NAME_MAX 255         /* longest key name accepted, in bytes */
#define NOTE_SIGS_MAX 100         /* most signature lines a note may have (the spec asks for at least 16) */
#define NOTE_SIG_PAYLOAD_MAX 8192 /* longest signature accepted, decoded (post-quantum ones reach ~5 kB) */
#define NOTE_COSIG_TIME_MAX ((uint64_t)INT64_MAX) /* a cosignature's timestamp must not exceed 2^63 - 1 */

struct note_verifier {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t type; /* NOTE_ED25519 or NOTE_COSIGNATURE */
	uint8_t pub[NOTE_KEY_LEN];
};

struct note_signer {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t type;
	uint8_t seed[NOTE_KEY_LEN]; /* secret: wipe with note_signer_wipe when done */
	uint8_t pub[NOTE_KEY_LEN];
};

/* A key name: 1..NOTE_NAME_MAX bytes of UTF-8 with no control character, no plus and no Unicode space. */
bool note_name_valid(const char *name);
/* A note text: non-empty, valid UTF-8, ends in a newline, and no control character other than newline. */
bool note_text_valid(const char *text, size_t len);
uint32_t note_key_id(const char *name, uint8_t type, const uint8_t pub[NOTE_KEY_LEN]);

/* A signer from its name, type and 32-byte seed (deriving the public key and the key id). */
bool note_signer_from_seed(const char *name, uint8_t type, const uint8_t seed[NOTE_KEY_LEN], struct note_signer *out)
	__attribute__((warn_unused_result));
/* A new key from the operating system's random source. */
bool note_keygen(const char *name, uint8_t type, struct note_signer *out) __attribute__((warn_unused_result));
void note_signer_verifier(const struct note_signer *s, struct note_verifier *out);
void note_signer_wipe(struct note_signer *s);

/* Parse and format the key strings above. A parse refuses a key id that does not match the name, type
 * and key, a type other than 0x01 and 0x04, and non-canonical base64. */
bool note_verifier_parse(const char *s, struct note_verifier *out) __attribute__((warn_unused_result));
char *note_verifier_format(const struct note_verifier *v);
bool note_signer_parse(const char *s, struct note_signer *out) __attribute__((warn_unused_result));
char *note_signer_format(const struct note_signer *s);

/* The message a cosignature signs: "cosignature/v1\ntime <when>\n" followed by the text. malloc'd; *len
 * gets its length. */
char *note_cosignature_message(const char *text, size_t text_len, uint64_t when, size_t *len);

/* One signature line over text, "— <name> <base64>\n": for a NOTE_ED25519 signer key id || signature,
 * for a NOTE_COSIGNATURE signer key id || 8-byte big-endian when || signature over the cosignature
 * message (when unused otherwise). NULL when the text is not a valid note text or when is too large. */
char *note_signature_line(const struct note_signer *s, const char *text, size_t len, uint64_t when);
/* The whole note: text, an empty line and a line by each signer, in order. NULL as above, or with no
 * signer. */
char *note_sign(const char *text, size_t len, const struct note_signer *signers, size_t nsigners, uint64_t when);

/* One signature line of an opened note. */
struct note_signature {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t *payload; /* the bytes after the key id (malloc'd, owned by the note) */
	size_t payload_len;
	const struct note_verifier *key; /* the known key that verified it; NULL for an unknown key */
	uint64_t time;                   /* a verified cosignature's timestamp */
};

struct note {
	char *text; /* the note text with its final newline, NUL-terminated (malloc'd) */
	size_t text_len;
	struct note_signature *sigs; /* in the order of the lines */
	size_t nsigs;
	size_t nverified; /* signatures by known keys, all of which verified */
};

/* Splits msg[0..len) into text and signature lines without verifying anything: the whole note must be
 * valid UTF-8 without control characters but newlines, the text is what precedes the last empty line,
 * and every line after it must be a well-formed signature line in canonical base64. */
bool note_split(const char *msg, size_t len, struct note *out, const char **why) __attribute__((warn_unused_result));
/*
 * Splits and verifies with the known keys (a key matches a line when both name and key id are equal):
 * lines by unknown keys are ignored (kept, with key NULL); a line by a known key that fails to verify
 * refuses the whole note; so does a note that no known key signed, and a set of keys in which two share
 * name and key id. A cosignature key's line verifies over the cosignature message of the text. On
 * false, *why (when not NULL) says why in a few words and out is left empty.
 */
bool note_open(const char *msg, size_t len, const struct note_verifier *keys, size_t nkeys, struct note *out,
	       const char **why) __attribute__((warn_unused_result));
/* The verified line by key (compared by name, key id and type), or NULL. */
const struct note_signature *note_signed_by(const struct note *n, const struct note_verifier *key);
void note_free(struct note *n);

#endif
