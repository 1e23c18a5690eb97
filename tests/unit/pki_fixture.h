/* pki_fixture.h - what the joining tests (test_keygen, test_issue) share: a scratch directory, keys of each
 * kind, and a CA made in the test with OpenSSL calls, written to files as the daemon would find them. */
#ifndef PLANREG_PKI_FIXTURE_H
#define PLANREG_PKI_FIXTURE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <sys/types.h>

/* A new empty directory (malloc'd path) under $PLANREG_TEST_TMP or /tmp; fails the test when it cannot. */
char *pki_fixture_dir(void);
/* Removes dir and everything in it, then frees the path. */
void pki_fixture_rmdir(char *dir);
/* dir/name (malloc'd). */
char *pki_fixture_path(const char *dir, const char *name);

/* A new key: "P-256", "P-384", "P-521", "ED25519", "ED448", "RSA-1024", "RSA-2048". */
EVP_PKEY *pki_fixture_key(const char *kind);

struct pki_fixture_ca_opts {
	long valid_seconds; /* from an hour ago; 0: ten years */
	bool not_ca;        /* basicConstraints CA:FALSE instead */
	bool no_ski;        /* without a subject key identifier */
};
/* A self-signed CA certificate for key, subject O=planreg test, CN=cn. */
X509 *pki_fixture_ca(EVP_PKEY *key, const char *cn, const struct pki_fixture_ca_opts *opts);

/* Writes cert to path, as PEM or DER. */
void pki_fixture_write_cert(X509 *cert, const char *path, bool der);
/* Writes key to path as PEM with mode (encrypted with the passphrase "secret" when encrypt). */
void pki_fixture_write_key(EVP_PKEY *key, const char *path, mode_t mode, bool encrypt);
/* Writes len bytes of data to path. */
void pki_fixture_write_file(const char *path, const void *data, size_t len);

#endif
