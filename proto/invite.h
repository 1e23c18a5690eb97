/* invite.h - the invitation code an admin sends an officer: one line naming the server, the CA to trust
 * (pinned by fingerprint) and a one-time secret; and what the server keeps of that secret.
 *
 *   planreg-invite-1:HOST:PORT:CA:SECRET:CHECK
 *
 * HOST is a DNS name, an IPv4 address or an IPv6 address in brackets; CA the SHA-256 of the deployment CA
 * certificate's DER (64 hex digits); SECRET 128 random bits (32 hex digits); CHECK the first 4 bytes of
 * SHA-256 of everything before ":CHECK" (8 hex digits), so that a code damaged in copying is told apart from
 * one whose secret the server does not know. Written in lower case; read in any case, and with whitespace
 * (and the invisible characters mail programs put in long words) anywhere in it ignored, so a code wrapped
 * over two lines still reads. docs/onboarding.md has the reasons. */
#ifndef PLANREG_INVITE_H
#define PLANREG_INVITE_H

#include <stdbool.h>
#include <stddef.h>

#define INVITE_PREFIX "planreg-invite-1:"
#define INVITE_SECRET_BYTES 16
/* The longest DNS name; an IPv6 address is shorter. */
#define INVITE_HOST_MAX 253
/* Longer than any code invite_format writes (about 400 characters with the longest host). */
#define INVITE_CODE_MAX 512
/* invite_secret_hash's output: SHA-256, lower-case hex, and its NUL. */
#define INVITE_HASH_SIZE 65

struct invite {
	char host[INVITE_HOST_MAX + 1]; /* lower case; an IPv6 address without its brackets */
	unsigned port;                  /* 1..65535 */
	char ca_fingerprint[65];        /* lower-case hex, no colons: the form planreg enrols and pins */
	unsigned char secret[INVITE_SECRET_BYTES];
};

/* A new invitation to host:port pinning ca_fingerprint (64 hex digits, either case), with a fresh secret from
 * RAND_bytes; false with *err (malloc'd) when an argument is not valid or no random bytes could be had. */
bool invite_new(struct invite *inv, const char *host, unsigned port, const char *ca_fingerprint, char **err)
	__attribute__((warn_unused_result));
/* The code, one line without a line break (malloc'd). It holds the secret: free it with invite_free_code. */
char *invite_format(const struct invite *inv);
/* Reads a code as pasted; false with *err (malloc'd) saying what is wrong in the officer's terms: empty, not an
 * invitation, a version this planreg does not read, cut short, damaged (the check does not match), or, for a
 * code whose check matches, which part is not valid. */
bool invite_parse(const char *code, struct invite *out, char **err) __attribute__((warn_unused_result));

/* What the server keeps of a secret: SHA-256("planreg-invite-secret-1" NUL secret), lower-case hex. False
 * unless len is INVITE_SECRET_BYTES (the server passes what a client sent, of any length). */
bool invite_secret_hash(const void *secret, size_t len, char out[INVITE_HASH_SIZE]) __attribute__((warn_unused_result));
/* Whether secret hashes to stored (64 hex digits, either case), compared in time that does not depend on
 * where they differ. */
bool invite_secret_verify(const void *secret, size_t len, const char *stored) __attribute__((warn_unused_result));

/* Overwrites the secret (and the rest) once an invitation is no longer needed. */
void invite_clear(struct invite *inv);
/* Overwrites then frees a code from invite_format. */
void invite_free_code(char *code);

#endif
