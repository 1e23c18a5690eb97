/* pki_fixture.c - scratch directories, keys and a test CA for the joining tests (see pki_fixture.h). */
#include "pki_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ftw.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "xmalloc.h"

char *pki_fixture_dir(void)
{
	const char *base = getenv("PLANREG_TEST_TMP");
	char *dir = xasprintf("%s/pki-test.XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int pki_fixture_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void pki_fixture_rmdir(char *dir)
{
	assert_int_equal(nftw(dir, pki_fixture_remove, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(dir);
}

char *pki_fixture_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

EVP_PKEY *pki_fixture_key(const char *kind)
{
	EVP_PKEY *key = NULL;
	if (strncmp(kind, "P-", 2) == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", kind);
	else if (strcmp(kind, "ED25519") == 0 || strcmp(kind, "ED448") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, kind);
	else if (strncmp(kind, "RSA-", 4) == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)strtoul(kind + 4, NULL, 10));
	if (key == NULL)
		fail_msg("cannot make a %s key", kind);
	return key;
}

static void pki_fixture_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

X509 *pki_fixture_ca(EVP_PKEY *key, const char *cn, const struct pki_fixture_ca_opts *opts)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	X509_NAME *name = X509_get_subject_name(x);
	assert_int_equal(
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"planreg test", -1, -1, 0),
		1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	time_t now = time(NULL);
	long valid = opts != NULL && opts->valid_seconds != 0 ? opts->valid_seconds : 3650L * 86400;
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), now - 3600));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), now - 3600 + valid));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	X509V3_CTX ctx;
	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	bool not_ca = opts != NULL && opts->not_ca;
	pki_fixture_ext(x, &ctx, NID_basic_constraints, not_ca ? "critical,CA:FALSE" : "critical,CA:TRUE,pathlen:0");
	pki_fixture_ext(x, &ctx, NID_key_usage, not_ca ? "critical,digitalSignature" : "critical,keyCertSign,cRLSign");
	if (opts == NULL || !opts->no_ski)
		pki_fixture_ext(x, &ctx, NID_subject_key_identifier, "hash");
	bool ed = EVP_PKEY_is_a(key, "ED25519");
	assert_true(X509_sign(x, key, ed ? NULL : EVP_sha256()) > 0);
	return x;
}

void pki_fixture_write_cert(X509 *cert, const char *path, bool der)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(der ? i2d_X509_fp(f, cert) : PEM_write_X509(f, cert), 1);
	assert_int_equal(fclose(f), 0);
}

void pki_fixture_write_key(EVP_PKEY *key, const char *path, mode_t mode, bool encrypt)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), mode), 0);
	assert_int_equal(PEM_write_PrivateKey(f, key, encrypt ? EVP_aes_256_cbc() : NULL,
					      encrypt ? (unsigned char *)"secret" : NULL, encrypt ? 6 : 0, NULL, NULL),
			 1);
	assert_int_equal(fclose(f), 0);
}

void pki_fixture_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}
