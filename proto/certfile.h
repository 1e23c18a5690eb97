/* certfile.h - certificates and keys read from files, and the SHA-256 fingerprints planreg enrols and pins.
 * Both sides need them: the daemon reads its issuing CA, the CLI checks the CA an invitation pins. */
#ifndef PLANREG_CERTFILE_H
#define PLANREG_CERTFILE_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A certificate or a key is a few kilobytes; a file larger than this is neither. */
#define CERTFILE_MAX (64 * 1024)
/* A fingerprint as planreg writes it: SHA-256 of the DER, lower-case hex, no colons, and its NUL. */
#define CERTFILE_FP_SIZE 65

/*
 * The bytes of path (malloc'd, NUL-terminated, *len of them, at most max) and its permission bits in *mode,
 * taken from the descriptor that was read, so a check of them is about this file and not one put in its place.
 * NULL with *err (malloc'd) naming what ("the CA key") and path, and why: missing, not a regular file,
 * empty, unreadable, or larger than max.
 */
unsigned char *certfile_read(const char *what, const char *path, size_t max, size_t *len, mode_t *mode, char **err)
	__attribute__((warn_unused_result));
/* Overwrites then frees a buffer that held a private key or a secret (NULL is fine). */
void certfile_free_secret(void *data, size_t len);

/* The first certificate in data, PEM or DER (the caller frees it); NULL when data holds none. */
X509 *certfile_parse_cert(const unsigned char *data, size_t len);
/* The first certificate in the file path (PEM or DER); NULL with *err naming what and path. */
X509 *certfile_load_cert(const char *what, const char *path, char **err) __attribute__((warn_unused_result));

/* SHA-256 of der[0..len), lower-case hex: a certificate's fingerprint when der is its DER. */
void certfile_fingerprint_der(const unsigned char *der, size_t len, char out[CERTFILE_FP_SIZE]);
/* The fingerprint of cert (of its DER encoding); false only when it cannot be encoded. */
bool certfile_fingerprint(X509 *cert, char out[CERTFILE_FP_SIZE]) __attribute__((warn_unused_result));
/* The fingerprint of the first certificate in the file path (PEM or DER): the deployment CA's, to put in an
 * invitation or to compare with the one it pins; false with *err (malloc'd). */
bool certfile_fingerprint_file(const char *path, char out[CERTFILE_FP_SIZE], char **err)
	__attribute__((warn_unused_result));

#endif
