/* keygen.h - the officer's side of joining: a P-256 key made on this machine and kept where only its owner
 * reads it, a certificate request signed by it, and the check of a CA certificate against the fingerprint an
 * invitation pins. The private key never leaves this machine; only the request (public key) is sent. */
#ifndef PLANREG_KEYGEN_H
#define PLANREG_KEYGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

/* The mode of a key file: its owner reads and writes it, nobody else. */
#define KEYGEN_KEY_MODE 0600

/* A new EC P-256 key (the caller frees it with EVP_PKEY_free); NULL with *err (malloc'd). */
EVP_PKEY *keygen_new_key(char **err) __attribute__((warn_unused_result));
/* key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY", what net_cred.c reads, since planreg never asks for a
 * passphrase) at path, mode 0600, in one step (file_atomic.h). An existing file at path is replaced only when
 * replace is true: losing a key loses the certificate made for it. False with *err (malloc'd). */
bool keygen_write_key(EVP_PKEY *key, const char *path, bool replace, char **err) __attribute__((warn_unused_result));

/* A PKCS#10 request for key, signed by it (SHA-256; none for Ed25519), its subject CN = cn when cn is neither
 * NULL nor "" (only a hint for whoever reads it: the server takes the subject from the invitation), as DER
 * (malloc'd, *len bytes) or as PEM (malloc'd, NUL-terminated). NULL with *err (malloc'd). */
unsigned char *keygen_csr_der(EVP_PKEY *key, const char *cn, size_t *len, char **err)
	__attribute__((warn_unused_result));
char *keygen_csr_pem(EVP_PKEY *key, const char *cn, char **err) __attribute__((warn_unused_result));

/* Whether ca is the certificate pinned (a fingerprint from an invitation, lower-case hex); when not, *err
 * (malloc'd) says both fingerprints and that this CA is not to be trusted. */
bool keygen_ca_check(X509 *ca, const char *pinned, char **err) __attribute__((warn_unused_result));
/* The same for the first certificate in the file path (PEM or DER), with *err naming the file. */
bool keygen_ca_check_file(const char *path, const char *pinned, char **err) __attribute__((warn_unused_result));

#endif
