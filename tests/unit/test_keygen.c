/* test_keygen.c - the officer's side of joining: the key made and written 0600 in one step and never over
 * another by accident, the certificate request it signs, fingerprints, and the check against a pinned CA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certfile.h"
#include "file_atomic.h"
#include "keygen.h"
#include "pki_fixture.h"
#include "xmalloc.h"

static int setup(void **state)
{
	*state = pki_fixture_dir();
	return 0;
}

static int teardown(void **state)
{
	pki_fixture_rmdir(*state);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	mode_t mode;
	char *err = NULL;
	unsigned char *data = certfile_read("the file", path, CERTFILE_MAX, len, &mode, &err);
	if (data == NULL)
		fail_msg("%s", err);
	return (char *)data;
}

/* How many entries dir holds besides . and .. (a temporary file left behind would show here). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(key);
	return key;
}

static void test_key_is_p256(void **state)
{
	(void)state;
	char *err = NULL;
	EVP_PKEY *key = keygen_new_key(&err);
	assert_non_null(key);
	char group[64];
	assert_int_equal(EVP_PKEY_get_group_name(key, group, sizeof group, NULL), 1);
	assert_string_equal(group, "prime256v1");
	EVP_PKEY *other = keygen_new_key(&err);
	assert_int_not_equal(EVP_PKEY_eq(key, other), 1);
	EVP_PKEY_free(other);
	EVP_PKEY_free(key);
}

/* Written 0600 whatever the umask, as unencrypted PKCS#8, and nothing else left in the directory. */
static void test_key_written_0600(void **state)
{
	char *path = pki_fixture_path(*state, "me.key"), *err = NULL;
	EVP_PKEY *key = keygen_new_key(&err);
	mode_t old = umask(0);
	bool ok = keygen_write_key(key, path, false, &err);
	umask(old);
	if (!ok)
		fail_msg("%s", err);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(entries(*state), 1);
	size_t len;
	char *pem = slurp(path, &len);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	certfile_free_secret(pem, len);
	EVP_PKEY *back = read_key(path);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(key);
	free(path);
}

/* An existing key stays as it was unless replacing is asked for; then it is replaced whole, still 0600. */
static void test_key_never_overwritten(void **state)
{
	char *path = pki_fixture_path(*state, "me.key"), *err = NULL;
	EVP_PKEY *first = keygen_new_key(&err), *second = keygen_new_key(&err);
	assert_true(keygen_write_key(first, path, false, &err));
	size_t len1, len2;
	char *before = slurp(path, &len1);
	assert_false(keygen_write_key(second, path, false, &err));
	assert_non_null(strstr(err, "exists already"));
	assert_non_null(strstr(err, path));
	free(err);
	char *after = slurp(path, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(before, after, len1);
	assert_int_equal(entries(*state), 1);
	free(after);

	assert_true(keygen_write_key(second, path, true, &err));
	EVP_PKEY *back = read_key(path);
	assert_int_equal(EVP_PKEY_eq(second, back), 1);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(entries(*state), 1);
	EVP_PKEY_free(back);
	free(before);
	EVP_PKEY_free(first);
	EVP_PKEY_free(second);
	free(path);
}

/* A symbolic link where the key would go, even one pointing nowhere, is an existing file: not followed. */
static void test_key_not_through_symlink(void **state)
{
	char *path = pki_fixture_path(*state, "me.key"), *target = pki_fixture_path(*state, "elsewhere");
	assert_int_equal(symlink(target, path), 0);
	char *err = NULL;
	EVP_PKEY *key = keygen_new_key(&err);
	assert_false(keygen_write_key(key, path, false, &err));
	assert_non_null(strstr(err, "exists already"));
	free(err);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(entries(*state), 1);
	EVP_PKEY_free(key);
	free(target);
	free(path);
}

static void test_write_failures(void **state)
{
	char *missing = pki_fixture_path(*state, "no/such/dir/me.key"), *err = NULL;
	EVP_PKEY *key = keygen_new_key(&err);
	assert_false(keygen_write_key(key, missing, false, &err));
	assert_non_null(strstr(err, "cannot create a file in"));
	free(err);
	char *dir_path = xasprintf("%s/", (char *)*state);
	assert_false(file_atomic_write("the key file", dir_path, "x", 1, 0600, true, &err));
	assert_non_null(strstr(err, "names a directory"));
	free(err);
	/* a directory where the file should be: replacing it is refused too, and nothing is left behind */
	char *sub = pki_fixture_path(*state, "sub");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_false(file_atomic_write("the certificate", sub, "x", 1, 0644, true, &err));
	assert_non_null(strstr(err, "cannot write the certificate"));
	free(err);
	assert_int_equal(entries(*state), 1);
	/* another mode, for a certificate */
	char *cert = pki_fixture_path(*state, "me.crt");
	assert_true(file_atomic_write("the certificate", cert, "abc", 3, 0644, false, &err));
	struct stat st;
	assert_int_equal(stat(cert, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 3);
	free(cert);
	free(sub);
	free(dir_path);
	EVP_PKEY_free(key);
	free(missing);
}

static X509_REQ *der_to_req(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	assert_non_null(req);
	assert_ptr_equal(p, der + len);
	return req;
}

static void test_csr(void **state)
{
	(void)state;
	char *err = NULL;
	EVP_PKEY *key = keygen_new_key(&err);
	size_t len;
	unsigned char *der = keygen_csr_der(key, "Ann Williams", &len, &err);
	assert_non_null(der);
	X509_REQ *req = der_to_req(der, len);
	assert_int_equal(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key), 1);
	assert_int_equal(X509_REQ_get_version(req), 0);
	char cn[64];
	assert_int_equal(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn), 12);
	assert_string_equal(cn, "Ann Williams");
	X509_REQ_free(req);
	free(der);

	char *pem = keygen_csr_pem(key, NULL, &err);
	assert_non_null(pem);
	assert_true(strncmp(pem, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(req);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 0);
	assert_int_equal(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
	X509_REQ_free(req);
	free(pem);
	EVP_PKEY_free(key);
}

/* Keys of other kinds sign their requests too (Ed25519 without a digest): the server's tests use them. */
static void test_csr_other_keys(void **state)
{
	(void)state;
	static const char *const kinds[] = {"ED25519", "P-384", "RSA-1024"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		EVP_PKEY *key = pki_fixture_key(kinds[i]);
		size_t len;
		char *err = NULL;
		unsigned char *der = keygen_csr_der(key, "x", &len, &err);
		assert_non_null(der);
		X509_REQ *req = der_to_req(der, len);
		assert_int_equal(X509_REQ_verify(req, key), 1);
		X509_REQ_free(req);
		free(der);
		EVP_PKEY_free(key);
	}
}

static void test_fingerprints(void **state)
{
	char fp[CERTFILE_FP_SIZE], want[CERTFILE_FP_SIZE], *err = NULL;
	certfile_fingerprint_der((const unsigned char *)"abc", 3, fp);
	assert_string_equal(fp, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	EVP_PKEY *key = pki_fixture_key("P-256");
	X509 *ca = pki_fixture_ca(key, "fingerprint CA", NULL);
	unsigned char *der = NULL;
	int n = i2d_X509(ca, &der);
	assert_true(n > 0);
	certfile_fingerprint_der(der, (size_t)n, want);
	OPENSSL_free(der);
	assert_true(certfile_fingerprint(ca, fp));
	assert_string_equal(fp, want);
	char *pem_path = pki_fixture_path(*state, "ca.crt"), *der_path = pki_fixture_path(*state, "ca.der");
	pki_fixture_write_cert(ca, pem_path, false);
	pki_fixture_write_cert(ca, der_path, true);
	assert_true(certfile_fingerprint_file(pem_path, fp, &err));
	assert_string_equal(fp, want);
	assert_true(certfile_fingerprint_file(der_path, fp, &err));
	assert_string_equal(fp, want);
	free(der_path);
	free(pem_path);
	X509_free(ca);
	EVP_PKEY_free(key);
}

static void test_ca_pin(void **state)
{
	EVP_PKEY *key = pki_fixture_key("P-256");
	X509 *ca = pki_fixture_ca(key, "pinned CA", NULL), *other = pki_fixture_ca(key, "another CA", NULL);
	char fp[CERTFILE_FP_SIZE], other_fp[CERTFILE_FP_SIZE], *err = NULL;
	assert_true(certfile_fingerprint(ca, fp));
	assert_true(certfile_fingerprint(other, other_fp));
	char *path = pki_fixture_path(*state, "ca.crt");
	pki_fixture_write_cert(ca, path, false);
	assert_true(keygen_ca_check(ca, fp, &err));
	assert_true(keygen_ca_check_file(path, fp, &err));
	assert_false(keygen_ca_check(other, fp, &err));
	assert_non_null(strstr(err, other_fp));
	assert_non_null(strstr(err, fp));
	assert_non_null(strstr(err, "will not trust it"));
	free(err);
	assert_false(keygen_ca_check_file(path, other_fp, &err));
	assert_true(strncmp(err, path, strlen(path)) == 0);
	free(err);
	free(path);
	X509_free(other);
	X509_free(ca);
	EVP_PKEY_free(key);
}

/* What certfile refuses to read as a certificate, each with the file named. */
static void test_certfile_refusals(void **state)
{
	char fp[CERTFILE_FP_SIZE], *err = NULL;
	char *missing = pki_fixture_path(*state, "missing.crt");
	assert_false(certfile_fingerprint_file(missing, fp, &err));
	assert_non_null(strstr(err, "No such file"));
	free(err);
	assert_false(certfile_fingerprint_file(*state, fp, &err));
	assert_non_null(strstr(err, "is a directory"));
	free(err);
	char *path = pki_fixture_path(*state, "x.crt");
	static const struct {
		const char *data;
		const char *want;
	} bad[] = {
		{"", "is empty"},
		{"hello", "neither a PEM nor a DER certificate"},
		{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "holds no certificate"},
		{"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "holds no certificate"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pki_fixture_write_file(path, bad[i].data, strlen(bad[i].data));
		assert_false(certfile_fingerprint_file(path, fp, &err));
		if (strstr(err, bad[i].want) == NULL || strstr(err, path) == NULL)
			fail_msg("expected \"%s\" in \"%s\"", bad[i].want, err);
		free(err);
	}
	char *big = xcalloc(1, CERTFILE_MAX + 1);
	pki_fixture_write_file(path, big, CERTFILE_MAX + 1);
	assert_false(certfile_fingerprint_file(path, fp, &err));
	assert_non_null(strstr(err, "too large"));
	free(err);
	free(big);
	free(path);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_p256),
		cmocka_unit_test_setup_teardown(test_key_written_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_never_overwritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_not_through_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failures, setup, teardown),
		cmocka_unit_test(test_csr),
		cmocka_unit_test(test_csr_other_keys),
		cmocka_unit_test_setup_teardown(test_fingerprints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certfile_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
