/* test_issue.c - the issuing side of joining, against a CA made here: a request from keygen becomes a
 * certificate that verifies against the CA, with the subject, purpose and lifetime asked and not the
 * request's; and every refusal (weak or odd keys, a tampered signature, junk, too much, an exposed CA key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certfile.h"
#include "issue.h"
#include "keygen.h"
#include "pki_fixture.h"
#include "xmalloc.h"

struct fixture {
	char *dir;
	char *cert_path;
	char *key_path;
	EVP_PKEY *ca_key;
	X509 *ca_cert;
	struct issue_ca *ca;
};

/* A CA of kind key_kind written to dir as ca.crt and ca.key (0600), and loaded. */
static void fixture_ca(struct fixture *f, const char *key_kind, const struct pki_fixture_ca_opts *opts)
{
	f->cert_path = pki_fixture_path(f->dir, "ca.crt");
	f->key_path = pki_fixture_path(f->dir, "ca.key");
	f->ca_key = pki_fixture_key(key_kind);
	f->ca_cert = pki_fixture_ca(f->ca_key, "planreg test CA", opts);
	pki_fixture_write_cert(f->ca_cert, f->cert_path, false);
	pki_fixture_write_key(f->ca_key, f->key_path, 0600, false);
	char *err = NULL;
	f->ca = issue_ca_load(f->cert_path, f->key_path, &err);
	if (f->ca == NULL)
		fail_msg("%s", err);
}

/* Frees what fixture_ca made (the files stay until the directory goes). */
static void fixture_ca_free(struct fixture *f)
{
	issue_ca_free(f->ca);
	X509_free(f->ca_cert);
	EVP_PKEY_free(f->ca_key);
	free(f->cert_path);
	free(f->key_path);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	f->dir = pki_fixture_dir();
	fixture_ca(f, "P-256", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fixture_ca_free(f);
	pki_fixture_rmdir(f->dir);
	free(f);
	return 0;
}

/* A request from keygen for key, with a subject of its own that the certificate must not carry. */
static X509_REQ *request_for(EVP_PKEY *key)
{
	char *err = NULL;
	char *pem = keygen_csr_pem(key, "Mallory", &err);
	assert_non_null(pem);
	X509_REQ *req = issue_csr_parse(pem, strlen(pem), &err);
	if (req == NULL)
		fail_msg("%s", err);
	free(pem);
	return req;
}

static X509 *pem_to_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	return x;
}

/* X509_verify_cert with a store holding only the CA, for the TLS client purpose, under RFC 5280's strict rules. */
static void verifies(X509 *ca, X509 *leaf)
{
	X509_STORE *store = X509_STORE_new();
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT), 1);
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("does not verify: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
}

static char *name_entry(X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	assert_true(i >= 0);
	assert_true(X509_NAME_get_index_by_NID(name, nid, i) < 0);
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	assert_true(n >= 0);
	char *s = xstrndup((char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return s;
}

/* Frees what one issuing made: the certificate read back, the issued one, the request and its key. */
static void release(X509 *x, struct issue_cert *out, X509_REQ *req, EVP_PKEY *key)
{
	X509_free(x);
	issue_cert_free(out);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static bool critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i)) == 1;
}

static void check_profile(struct fixture *f, X509 *x, EVP_PKEY *officer)
{
	X509_NAME *subject = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_entry_count(subject), 2);
	char *org = name_entry(subject, NID_organizationName), *cn = name_entry(subject, NID_commonName);
	assert_string_equal(org, "LCC");
	assert_string_equal(cn, "Ann Williams");
	free(org);
	free(cn);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(f->ca_cert)), 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), officer), 1);
	assert_int_equal(X509_check_private_key(x, officer), 1);
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(critical(x, NID_basic_constraints));
	assert_true(critical(x, NID_key_usage));
	assert_false(critical(x, NID_ext_key_usage));
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_non_null(X509_get0_subject_key_id(x));
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(f->ca_cert)), 0);
}

/* The whole path: keygen's key and request, issued for, verified as the daemon's TLS would. */
static void test_issue_for_keygen_request(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;
	EVP_PKEY *officer = keygen_new_key(&err);
	X509_REQ *req = request_for(officer);
	struct issue_cert out;
	if (!issue_certificate(f->ca, req, "LCC", "Ann Williams", 3600, 0, &out, &err))
		fail_msg("%s", err);
	X509 *x = pem_to_cert(out.pem);
	verifies(f->ca_cert, x);
	check_profile(f, x, officer);
	assert_null(strstr(out.pem, "Mallory"));
	char fp[CERTFILE_FP_SIZE];
	assert_true(certfile_fingerprint(x, fp));
	assert_string_equal(out.fingerprint, fp);
	assert_int_equal(strspn(out.fingerprint, "0123456789abcdef"), 64);
	BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	assert_false(BN_is_negative(serial));
	assert_false(BN_is_zero(serial));
	assert_true(BN_num_bits(serial) <= 128);
	assert_true(BN_num_bits(serial) > 64); /* 2^-64 odds of a false alarm */
	char *hex = BN_bn2hex(serial);
	assert_int_equal(strcasecmp(hex, out.serial), 0);
	assert_int_equal(strspn(out.serial, "0123456789abcdef"), strlen(out.serial));
	OPENSSL_free(hex);
	BN_free(serial);
	release(x, &out, req, officer);
}

static time_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;
	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

/* Valid from five minutes before now for exactly the lifetime asked, in seconds as in days. */
static void test_lifetime(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *officer = pki_fixture_key("P-256");
	X509_REQ *req = request_for(officer);
	time_t now = time(NULL);
	static const long long lifetimes[] = {1, 90, 30LL * 86400, ISSUE_LIFETIME_MAX};
	for (size_t i = 0; i < sizeof lifetimes / sizeof lifetimes[0]; i++) {
		struct issue_cert out;
		char *err = NULL;
		assert_true(issue_certificate(f->ca, req, "LCC", "Ann", lifetimes[i], now, &out, &err));
		X509 *x = pem_to_cert(out.pem);
		assert_int_equal(asn1_seconds(X509_get0_notBefore(x)), now - ISSUE_SKEW_SECONDS);
		assert_int_equal(asn1_seconds(X509_get0_notAfter(x)), now + lifetimes[i]);
		assert_int_equal(out.not_before, now - ISSUE_SKEW_SECONDS);
		assert_int_equal(out.not_after, now + lifetimes[i]);
		X509_free(x);
		issue_cert_free(&out);
	}
	static const long long bad[] = {0, -1, ISSUE_LIFETIME_MAX + 1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct issue_cert out;
		char *err = NULL;
		assert_false(issue_certificate(f->ca, req, "LCC", "Ann", bad[i], now, &out, &err));
		assert_non_null(strstr(err, "not between 1 second and 825 days"));
		assert_null(out.pem);
		free(err);
	}
	X509_REQ_free(req);
	EVP_PKEY_free(officer);
}

/* A CA near its end issues up to its end, not beyond; an expired CA issues nothing. */
static void test_ca_end(void **state)
{
	struct fixture *f = *state;
	fixture_ca(f, "P-256", &(struct pki_fixture_ca_opts){.valid_seconds = 2 * 86400});
	EVP_PKEY *officer = pki_fixture_key("P-256");
	X509_REQ *req = request_for(officer);
	struct issue_cert out;
	char *err = NULL;
	assert_true(issue_certificate(f->ca, req, "LCC", "Ann", 30LL * 86400, 0, &out, &err));
	X509 *x = pem_to_cert(out.pem);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(f->ca_cert)), 0);
	assert_int_equal(out.not_after, asn1_seconds(X509_get0_notAfter(f->ca_cert)));
	verifies(f->ca_cert, x);
	X509_free(x);
	issue_cert_free(&out);
	/* two days after the CA's start it has ended */
	time_t later = asn1_seconds(X509_get0_notAfter(f->ca_cert)) + 1;
	assert_false(issue_certificate(f->ca, req, "LCC", "Ann", 3600, later, &out, &err));
	assert_non_null(strstr(err, "CA certificate is not valid now"));
	free(err);
	X509_REQ_free(req);
	EVP_PKEY_free(officer);
}

/* A directory only: the test makes its own CA. */
static int setup_bare(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	f->dir = pki_fixture_dir();
	*state = f;
	return 0;
}

static void test_serials_differ(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *officer = pki_fixture_key("P-256");
	X509_REQ *req = request_for(officer);
	struct issue_cert a, b;
	char *err = NULL;
	assert_true(issue_certificate(f->ca, req, "LCC", "Ann", 3600, 0, &a, &err));
	assert_true(issue_certificate(f->ca, req, "LCC", "Ann", 3600, 0, &b, &err));
	assert_string_not_equal(a.serial, b.serial);
	assert_string_not_equal(a.fingerprint, b.fingerprint);
	issue_cert_free(&a);
	issue_cert_free(&b);
	X509_REQ_free(req);
	EVP_PKEY_free(officer);
}

/* Parses a request for a key of kind; NULL with *err when refused. */
static X509_REQ *request_of_kind(const char *kind, char **err)
{
	EVP_PKEY *key = pki_fixture_key(kind);
	size_t len;
	unsigned char *der = keygen_csr_der(key, "x", &len, err);
	assert_non_null(der);
	X509_REQ *req = issue_csr_parse(der, len, err);
	free(der);
	EVP_PKEY_free(key);
	return req;
}

/* P-256, P-384, Ed25519 and RSA-2048 are accepted and their certificates verify; RSA-1024, P-521 and Ed448 are not. */
static void test_key_kinds(void **state)
{
	struct fixture *f = *state;
	static const char *const good[] = {"P-256", "P-384", "ED25519", "RSA-2048"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char *err = NULL;
		X509_REQ *req = request_of_kind(good[i], &err);
		if (req == NULL)
			fail_msg("%s refused: %s", good[i], err);
		struct issue_cert out;
		assert_true(issue_certificate(f->ca, req, "LCC", "Ann", 3600, 0, &out, &err));
		X509 *x = pem_to_cert(out.pem);
		verifies(f->ca_cert, x);
		X509_free(x);
		issue_cert_free(&out);
		X509_REQ_free(req);
	}
	static const char *const bad[][2] = {
		{"RSA-1024", "RSA of 1024 bits, too few to be safe"},
		{"P-521", "on the curve secp521r1, which is not accepted"},
		{"ED448", "of the kind ED448, which is not accepted"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *err = NULL;
		assert_null(request_of_kind(bad[i][0], &err));
		if (strstr(err, bad[i][1]) == NULL || strstr(err, "P-256") == NULL)
			fail_msg("%s: \"%s\"", bad[i][0], err);
		free(err);
	}
}

static unsigned char *request_der(size_t *len)
{
	EVP_PKEY *key = pki_fixture_key("P-256");
	char *err = NULL;
	unsigned char *der = keygen_csr_der(key, "mallory", len, &err);
	assert_non_null(der);
	EVP_PKEY_free(key);
	return der;
}

static void refused(const void *data, size_t len, const char *want)
{
	char *err = NULL;
	X509_REQ *req = issue_csr_parse(data, len, &err);
	if (req != NULL)
		fail_msg("accepted; expected \"%s\"", want);
	if (strstr(err, want) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", want, err);
	free(err);
	assert_int_equal(ERR_peek_error(), 0);
}

/* A signature altered, or the signed content altered under it: both refused as not verifying. */
static void test_tampered(void **state)
{
	(void)state;
	size_t len;
	unsigned char *der = request_der(&len);
	der[len - 1] ^= 0x01;
	refused(der, len, "signature does not verify");
	der[len - 1] ^= 0x01;
	unsigned char *name = memmem(der, len, "mallory", 7);
	assert_non_null(name);
	name[0] = 'M';
	refused(der, len, "signature does not verify");
	free(der);
}

static void test_garbage(void **state)
{
	(void)state;
	refused("", 0, "is empty");
	refused("hello", 5, "neither PEM nor DER");
	unsigned char noise[300];
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (unsigned char)(i * 37 + 11);
	refused(noise, sizeof noise, "neither PEM nor DER");
	static const char pem_junk[] =
		"-----BEGIN CERTIFICATE REQUEST-----\nnot base64 !\n-----END CERTIFICATE REQUEST-----\n";
	refused(pem_junk, sizeof pem_junk - 1, "holds no \"CERTIFICATE REQUEST\" block");
	size_t len;
	unsigned char *der = request_der(&len);
	refused(der, len - 1, "neither PEM nor DER");
	unsigned char *longer = xmalloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0;
	refused(longer, len + 1, "1 bytes after its end");
	free(longer);
	free(der);
	/* a certificate is not a request */
	EVP_PKEY *key = pki_fixture_key("P-256");
	X509 *cert = pki_fixture_ca(key, "not a request", NULL);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(bio, cert), 1);
	char *p;
	long n = BIO_get_mem_data(bio, &p);
	refused(p, (size_t)n, "holds no \"CERTIFICATE REQUEST\" block");
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* More than ISSUE_CSR_MAX bytes is refused before any parsing, even a real request padded out. */
static void test_oversized(void **state)
{
	(void)state;
	char *err = NULL;
	EVP_PKEY *key = pki_fixture_key("P-256");
	char *pem = keygen_csr_pem(key, "x", &err);
	size_t n = strlen(pem);
	char *big = xmalloc(ISSUE_CSR_MAX + 1);
	memset(big, '\n', ISSUE_CSR_MAX + 1);
	memcpy(big, pem, n);
	X509_REQ *req = issue_csr_parse(big, ISSUE_CSR_MAX, &err);
	assert_non_null(req);
	X509_REQ_free(req);
	refused(big, ISSUE_CSR_MAX + 1, "more than the 16384 one can be");
	free(big);
	free(pem);
	EVP_PKEY_free(key);
}

static void ca_refused(struct fixture *f, const char *want)
{
	char *err = NULL;
	struct issue_ca *ca = issue_ca_load(f->cert_path, f->key_path, &err);
	if (ca != NULL)
		fail_msg("CA loaded; expected \"%s\"", want);
	if (strstr(err, want) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", want, err);
	free(err);
}

/* The CA key file must not be open to other users; 0600 and 0640 will do. */
static void test_ca_key_mode(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(chmod(f->key_path, 0644), 0);
	ca_refused(f, "can be read by any user (mode 0644)");
	assert_int_equal(chmod(f->key_path, 0604), 0);
	ca_refused(f, "can be read by any user (mode 0604)");
	assert_int_equal(chmod(f->key_path, 0660), 0);
	ca_refused(f, "can be changed by other users (mode 0660)");
	assert_int_equal(chmod(f->key_path, 0640), 0);
	char *err = NULL;
	struct issue_ca *ca = issue_ca_load(f->cert_path, f->key_path, &err);
	assert_non_null(ca);
	issue_ca_free(ca);
}

/* Each way the CA's files can be wrong, said. */
static void test_ca_refusals(void **state)
{
	struct fixture *f = *state;
	/* the key of another CA */
	EVP_PKEY *other = pki_fixture_key("P-256");
	pki_fixture_write_key(other, f->key_path, 0600, false);
	ca_refused(f, "is not the key of the CA certificate");
	/* encrypted */
	pki_fixture_write_key(f->ca_key, f->key_path, 0600, true);
	ca_refused(f, "protected by a passphrase");
	pki_fixture_write_key(f->ca_key, f->key_path, 0600, false);
	/* a certificate that is not a CA, or has no key identifier */
	X509 *not_ca = pki_fixture_ca(f->ca_key, "leaf", &(struct pki_fixture_ca_opts){.not_ca = true});
	pki_fixture_write_cert(not_ca, f->cert_path, false);
	ca_refused(f, "is not a CA certificate");
	X509 *no_ski = pki_fixture_ca(f->ca_key, "old CA", &(struct pki_fixture_ca_opts){.no_ski = true});
	pki_fixture_write_cert(no_ski, f->cert_path, true);
	ca_refused(f, "has no subject key identifier");
	/* a weak CA key */
	EVP_PKEY *weak = pki_fixture_key("RSA-1024");
	X509 *weak_ca = pki_fixture_ca(weak, "weak CA", NULL);
	pki_fixture_write_cert(weak_ca, f->cert_path, false);
	pki_fixture_write_key(weak, f->key_path, 0600, false);
	ca_refused(f, "will not do: the key is RSA of 1024 bits");
	/* missing, or a key where the certificate should be */
	assert_int_equal(unlink(f->key_path), 0);
	ca_refused(f, "cannot read the CA key");
	pki_fixture_write_key(weak, f->cert_path, 0600, false);
	ca_refused(f, "holds no certificate");
	X509_free(weak_ca);
	EVP_PKEY_free(weak);
	X509_free(no_ski);
	X509_free(not_ca);
	EVP_PKEY_free(other);
}

/* CAs whose keys are P-384 (signing with SHA-384) and Ed25519 (no digest) issue certificates that verify. */
static void test_other_ca_keys(void **state)
{
	static const char *const kinds[] = {"P-384", "ED25519", "RSA-2048"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct fixture *f = *state;
		fixture_ca_free(f);
		fixture_ca(f, kinds[i], NULL);
		char *err = NULL;
		EVP_PKEY *officer = keygen_new_key(&err);
		X509_REQ *req = request_for(officer);
		struct issue_cert out;
		if (!issue_certificate(f->ca, req, "LCC", "Ann Williams", 3600, 0, &out, &err))
			fail_msg("%s CA: %s", kinds[i], err);
		X509 *x = pem_to_cert(out.pem);
		verifies(f->ca_cert, x);
		check_profile(f, x, officer);
		release(x, &out, req, officer);
	}
}

/* A request asking for extensions of its own (CA:TRUE, a host name) gets none of them: the profile is fixed. */
static void test_requested_extensions_ignored(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = pki_fixture_key("P-256");
	X509_REQ *made = X509_REQ_new();
	assert_int_equal(X509_REQ_set_version(made, X509_REQ_VERSION_1), 1);
	assert_int_equal(X509_REQ_set_pubkey(made, key), 1);
	X509V3_CTX ctx;
	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, NULL, NULL, made, NULL, 0);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	sk_X509_EXTENSION_push(exts, X509V3_EXT_nconf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE"));
	sk_X509_EXTENSION_push(exts, X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:evil.example"));
	assert_int_equal(X509_REQ_add_extensions(made, exts), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(made, key, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(made, &der);
	assert_true(n > 0);
	char *err = NULL;
	X509_REQ *req = issue_csr_parse(der, (size_t)n, &err);
	assert_non_null(req);
	struct issue_cert out;
	assert_true(issue_certificate(f->ca, req, "LCC", "Ann Williams", 3600, 0, &out, &err));
	X509 *x = pem_to_cert(out.pem);
	check_profile(f, x, key);
	assert_int_equal(X509_get_ext_count(x), 5);
	assert_true(X509_get_ext_by_NID(x, NID_subject_alt_name, -1) < 0);
	X509_free(x);
	issue_cert_free(&out);
	X509_REQ_free(req);
	OPENSSL_free(der);
	X509_REQ_free(made);
	EVP_PKEY_free(key);
}

static void test_subject_checks(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *officer = pki_fixture_key("P-256");
	X509_REQ *req = request_for(officer);
	char sixty_five[66];
	memset(sixty_five, 'a', 65);
	sixty_five[65] = '\0';
	static const char *const bad[][3] = {
		{"", "Ann", "organisation (O) is empty"},
		{"LCC", "", "name (CN) is empty"},
		{"LCC", "Ann\nWilliams", "name (CN) holds a character no name may"},
		{"LC\tC", "Ann", "organisation (O) holds a character"},
		{"LCC", "Ann \xff", "name (CN) holds a character"},
		{"LCC", NULL, "name (CN) is longer than 64 characters"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct issue_cert out;
		char *err = NULL;
		const char *cn = bad[i][1] != NULL ? bad[i][1] : sixty_five;
		assert_false(issue_certificate(f->ca, req, bad[i][0], cn, 3600, 0, &out, &err));
		if (strstr(err, bad[i][2]) == NULL)
			fail_msg("expected \"%s\" in \"%s\"", bad[i][2], err);
		free(err);
	}
	/* 64 characters of two bytes each are 64 characters: accepted, and read back as given */
	char wide[129];
	for (int i = 0; i < 64; i++)
		memcpy(wide + 2 * i, "\xc3\xa9", 2);
	wide[128] = '\0';
	struct issue_cert out;
	char *err = NULL;
	if (!issue_certificate(f->ca, req, "Côte", wide, 3600, 0, &out, &err))
		fail_msg("%s", err);
	X509 *x = pem_to_cert(out.pem);
	char *cn = name_entry(X509_get_subject_name(x), NID_commonName);
	char *org = name_entry(X509_get_subject_name(x), NID_organizationName);
	assert_string_equal(cn, wide);
	assert_string_equal(org, "Côte");
	free(org);
	free(cn);
	release(x, &out, req, officer);
}

static void test_ca_fingerprint(void **state)
{
	struct fixture *f = *state;
	char fp[CERTFILE_FP_SIZE], *err = NULL;
	assert_true(certfile_fingerprint_file(f->cert_path, fp, &err));
	assert_string_equal(issue_ca_fingerprint(f->ca), fp);
	/* what the client pins is what the server has */
	assert_true(keygen_ca_check_file(f->cert_path, issue_ca_fingerprint(f->ca), &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_issue_for_keygen_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_end, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_serials_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_kinds, setup, teardown),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test_setup_teardown(test_ca_key_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_ca_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requested_extensions_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_fingerprint, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
