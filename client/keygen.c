/* keygen.c - the officer's key, certificate request and CA pin check (see keygen.h). */
#include "keygen.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "certfile.h"
#include "file_atomic.h"
#include "xmalloc.h"

/* The earliest OpenSSL error queued (the cause, not its consequences), as text; clears the queue. */
static const char *keygen_ossl_reason(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	if (e == 0)
		snprintf(buf, sizeof buf, "no reason given");
	else
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

EVP_PKEY *keygen_new_key(char **err)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key == NULL)
		*err = xasprintf("cannot make a P-256 key: %s", keygen_ossl_reason());
	return key;
}

bool keygen_write_key(EVP_PKEY *key, const char *path, bool replace, char **err)
{
	/* a secure-memory BIO is wiped when freed, so no copy of the key lingers in freed heap */
	BIO *bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(bio);
		*err = xasprintf("cannot write the key file %s: cannot encode the key: %s", path, keygen_ossl_reason());
		return false;
	}
	char *pem = NULL;
	long n = BIO_get_mem_data(bio, &pem);
	bool ok = n > 0 && file_atomic_write("the key file", path, pem, (size_t)n, KEYGEN_KEY_MODE, replace, err);
	if (n <= 0)
		*err = xasprintf("cannot write the key file %s: the key encoded to nothing", path);
	BIO_free(bio);
	return ok;
}

/* Ed25519 and Ed448 sign the message itself, so they take no digest; every other key SHA-256. */
static const EVP_MD *keygen_digest(EVP_PKEY *key)
{
	return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? NULL : EVP_sha256();
}

/* The signed request, or NULL with *err. */
static X509_REQ *keygen_csr(EVP_PKEY *key, const char *cn, char **err)
{
	X509_REQ *req = X509_REQ_new();
	bool ok =
		req != NULL && X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1 && X509_REQ_set_pubkey(req, key) == 1;
	if (ok && cn != NULL && cn[0] != '\0')
		ok = X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName, MBSTRING_UTF8,
						(const unsigned char *)cn, -1, -1, 0) == 1;
	/* X509_REQ_sign returns the signature's size, so anything above 0 is success */
	ok = ok && X509_REQ_sign(req, key, keygen_digest(key)) > 0;
	if (!ok) {
		*err = xasprintf("cannot make the certificate request: %s", keygen_ossl_reason());
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

unsigned char *keygen_csr_der(EVP_PKEY *key, const char *cn, size_t *len, char **err)
{
	X509_REQ *req = keygen_csr(key, cn, err);
	if (req == NULL)
		return NULL;
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	X509_REQ_free(req);
	if (n <= 0) {
		*err = xasprintf("cannot encode the certificate request: %s", keygen_ossl_reason());
		return NULL;
	}
	/* handed over in memory of our own allocator, so the caller frees it with free() as everything else */
	unsigned char *out = xmalloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

char *keygen_csr_pem(EVP_PKEY *key, const char *cn, char **err)
{
	X509_REQ *req = keygen_csr(key, cn, err);
	if (req == NULL)
		return NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (bio != NULL && PEM_write_bio_X509_REQ(bio, req) == 1) {
		char *p = NULL;
		long n = BIO_get_mem_data(bio, &p);
		out = n > 0 ? xstrndup(p, (size_t)n) : NULL;
	}
	if (out == NULL)
		*err = xasprintf("cannot encode the certificate request: %s", keygen_ossl_reason());
	BIO_free(bio);
	X509_REQ_free(req);
	return out;
}

bool keygen_ca_check(X509 *ca, const char *pinned, char **err)
{
	char fp[CERTFILE_FP_SIZE];
	if (!certfile_fingerprint(ca, fp)) {
		*err = xstrdup("the CA certificate cannot be encoded to take its fingerprint");
		return false;
	}
	/* both are public: a plain comparison gives nothing away */
	if (strcmp(fp, pinned) != 0) {
		*err = xasprintf(
			"the CA certificate has fingerprint %s, but the invitation pins %s: it is not the CA of "
			"the server that invited you, so planreg will not trust it (tell whoever sent the "
			"invitation)",
			fp, pinned);
		return false;
	}
	return true;
}

bool keygen_ca_check_file(const char *path, const char *pinned, char **err)
{
	X509 *ca = certfile_load_cert("the CA certificate", path, err);
	if (ca == NULL)
		return false;
	char *why = NULL;
	bool ok = keygen_ca_check(ca, pinned, &why);
	if (!ok) {
		*err = xasprintf("%s: %s", path, why);
		free(why);
	}
	X509_free(ca);
	return ok;
}
