/* test_submitsig.c - submitters' signatures (proto/submitsig.c): the messages byte for byte as
 * docs/verifiable-log.md gives them, a signature made and checked for every key type a certificate of this
 * deployment may carry, and a leaf checked against its certificate, with its signature, its content and its
 * certificate each changed in turn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "chain.h"
#include "submitsig.h"
#include "text.h"

/* A self-signed certificate for key (its DER into *der, *der_len). */
static X509 *test_cert(EVP_PKEY *key, unsigned char **der, int *der_len)
{
	X509 *x = X509_new();
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	bool eddsa = EVP_PKEY_is_a(key, "ED25519");
	assert_true(X509_sign(x, key, eddsa ? NULL : EVP_sha256()) > 0);
	*der = NULL;
	*der_len = i2d_X509(x, der);
	assert_true(*der_len > 0);
	return x;
}

static void test_messages(void **state)
{
	(void)state;
	struct buf b = {0};
	submitsig_return_message(5, "2026-Q3", "ab", &b);
	assert_string_equal(buf_str(&b), "planreg-return-signature/v1\nref=5\nperiod=7:2026-Q3\ncontent_sha256=ab\n");
	buf_free(&b);
	submitsig_review_message(7, false, "Say more.\naccepted=true", &b);
	assert_string_equal(buf_str(&b), "planreg-review-signature/v1\nupdate_id=7\naccepted=false\n"
					 "comment=23:Say more.\naccepted=true\n");
	buf_free(&b);
}

/* The leaf of update 7 signed by key, as the daemon records it. */
static void test_signed_leaf(EVP_PKEY *key, const char *content_sha256, const unsigned char *der, int der_len,
			     struct buf *leaf)
{
	struct buf msg = {0};
	submitsig_return_message(5, "2026-Q3", "ab", &msg);
	size_t n;
	unsigned char *sig = submitsig_sign(key, msg.data, msg.len, &n);
	assert_non_null(sig);
	char *sig_hex = malloc(2 * n + 1), cert_hex[65];
	unsigned char md[32];
	text_hex(sig, n, sig_hex);
	EVP_Digest(der, (size_t)der_len, md, NULL, EVP_sha256(), NULL);
	text_hex(md, sizeof md, cert_hex);
	struct chain_leaf_update u = {.update_id = 7,
				      .ref = 5,
				      .period = "2026-Q3",
				      .content_sha256 = content_sha256,
				      .chain_hash = "cd",
				      .record = {.revision = 1,
						 .submitted_by = "s",
						 .submitted_org = "CA",
						 .submitted_person = "P",
						 .submitted_at = "2026-09-01T10:00:00.000000Z"},
				      .signature = sig_hex,
				      .certificate_sha256 = cert_hex};
	chain_leaf_update(&u, leaf);
	free(sig);
	free(sig_hex);
	buf_free(&msg);
}

static void test_key(EVP_PKEY *key)
{
	assert_non_null(key);
	unsigned char *der;
	int der_len;
	X509 *x = test_cert(key, &der, &der_len);
	ProtobufCBinaryData certs[1] = {{(size_t)der_len, der}};
	const char *why = NULL;
	bool is_signed = false;
	struct buf leaf = {0};
	test_signed_leaf(key, "ab", der, der_len, &leaf);
	assert_true(submitsig_check_leaf((const uint8_t *)leaf.data, leaf.len, certs, 1, &is_signed, &why));
	assert_true(is_signed);
	/* every byte of the signature's hex changed in turn fails (or no longer reads as hex) */
	char *sig = strstr(leaf.data, "\nsignature=") + 11;
	sig = strchr(sig, ':') + 1;
	for (char *p = sig; *p != '\n'; p++) {
		char was = *p;
		*p = was == '0' ? '1' : '0';
		assert_false(submitsig_check_leaf((const uint8_t *)leaf.data, leaf.len, certs, 1, &is_signed, &why));
		*p = was;
	}
	/* no certificate given, or another one */
	assert_false(submitsig_check_leaf((const uint8_t *)leaf.data, leaf.len, certs, 0, &is_signed, &why));
	assert_string_equal(why, "the service did not give the certificate whose SHA-256 it names");
	buf_free(&leaf);
	/* content other than what was signed */
	test_signed_leaf(key, "ac", der, der_len, &leaf);
	assert_false(submitsig_check_leaf((const uint8_t *)leaf.data, leaf.len, certs, 1, &is_signed, &why));
	assert_non_null(strstr(why, "does not verify"));
	buf_free(&leaf);
	X509_free(x);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void test_key_types(void **state)
{
	(void)state;
	test_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	test_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
	test_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	test_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
}

static void test_unsigned_leaf(void **state)
{
	(void)state;
	struct chain_leaf_review r = {.review_id = 3,
				      .update_id = 7,
				      .comment = "x",
				      .reviewed_by = "a",
				      .reviewed_at = "2026-09-02T10:00:00.000001Z"};
	struct buf b = {0};
	chain_leaf_review(&r, &b);
	bool is_signed = true;
	const char *why = NULL;
	assert_true(submitsig_check_leaf((const uint8_t *)b.data, b.len, NULL, 0, &is_signed, &why));
	assert_false(is_signed);
	assert_false(
		submitsig_check_leaf((const uint8_t *)b.data, b.len - 1, NULL, 0, &is_signed, &why)); /* cut short */
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_unsigned_leaf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
