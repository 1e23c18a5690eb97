/* issue.c - certificate requests checked and client certificates issued for them (see issue.h). */
#include "issue.h"
#include "tls.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certfile.h"
#include "text.h"
#include "xmalloc.h"

struct issue_ca {
	X509 *cert;
	EVP_PKEY *key;
	char fingerprint[CERTFILE_FP_SIZE];
	time_t not_before, not_after;
};

/* Never supplies a passphrase: the daemon has nobody to ask. */
static int issue_no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	return 0;
}

/* t as "2026-09-01 10:00:00 UTC" in buf. */
static const char *issue_time_text(time_t t, char buf[32])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)t);
	return buf;
}

/* An ASN1_TIME as seconds since the epoch; false when it does not read. */
static bool issue_asn1_time(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;
	if (ASN1_TIME_to_tm(a, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return true;
}

/* The NID of an EC key's named curve, or NID_undef (explicit parameters, or a name nothing knows). */
static int issue_ec_curve(EVP_PKEY *key)
{
	char name[80];
	if (EVP_PKEY_get_group_name(key, name, sizeof name, NULL) != 1) {
		ERR_clear_error();
		return NID_undef;
	}
	int nid = OBJ_txt2nid(name);
	return nid != NID_undef ? nid : EC_curve_nist2nid(name);
}

bool issue_key_acceptable(EVP_PKEY *key, char **err)
{
	static const char instead[] = "use an EC P-256 key (what `planreg join` makes), P-384, Ed25519, or RSA of at "
				      "least 2048 bits";
	if (EVP_PKEY_is_a(key, "ED25519"))
		return true;
	if (EVP_PKEY_is_a(key, "EC")) {
		int nid = issue_ec_curve(key);
		if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1)
			return true;
		*err = nid == NID_undef ? xasprintf("the key's curve is not a named one: %s", instead)
					: xasprintf("the key is on the curve %s, which is not accepted: %s",
						    OBJ_nid2sn(nid), instead);
		return false;
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		int bits = EVP_PKEY_get_bits(key);
		if (bits < ISSUE_RSA_MIN_BITS) {
			*err = xasprintf("the key is RSA of %d bits, too few to be safe: RSA below %d bits can be "
					 "broken with resources within reach today, and NIST has disallowed it for "
					 "signatures since 2014; %s",
					 bits, ISSUE_RSA_MIN_BITS, instead);
			return false;
		}
		if (bits > ISSUE_RSA_MAX_BITS) {
			*err = xasprintf("the key is RSA of %d bits, more than the %d accepted: %s", bits,
					 ISSUE_RSA_MAX_BITS, instead);
			return false;
		}
		return true;
	}
	const char *type = EVP_PKEY_get0_type_name(key);
	*err = xasprintf("the key is of the kind %s, which is not accepted: %s", type != NULL ? type : "unknown",
			 instead);
	return false;
}

/* Reads the CA key, refusing one that other users may read or change. */
static EVP_PKEY *issue_ca_load_key(const char *path, char **err)
{
	size_t len;
	mode_t mode;
	unsigned char *data = certfile_read("the CA key", path, CERTFILE_MAX, &len, &mode, err);
	if (data == NULL)
		return NULL;
	EVP_PKEY *key = NULL;
	/* whoever can read the CA key can make certificates for anyone; whoever can change it, the CA's future */
	if ((mode & (S_IRWXO | S_IWGRP)) != 0) {
		*err = xasprintf("the CA key %s %s (mode %04o): make it readable only by the daemon (chmod 600 %s, or "
				 "640 with the daemon's group)",
				 path,
				 (mode & S_IROTH) != 0 ? "can be read by any user" : "can be changed by other users",
				 (unsigned)mode, path);
	} else if (memmem(data, len, "ENCRYPTED", 9) != NULL) {
		*err = xasprintf("the CA key %s is protected by a passphrase, which the daemon has nobody to ask for: "
				 "keep it unencrypted, readable only by the daemon",
				 path);
	} else {
		BIO *bio = BIO_new_mem_buf(data, (int)len);
		key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, issue_no_passphrase, NULL) : NULL;
		BIO_free(bio);
		if (key == NULL)
			*err = xasprintf("the CA key %s is not a PEM private key that can be read: %s", path,
					 tls_error_first());
	}
	certfile_free_secret(data, len);
	return key;
}

/* Whether cert can be the issuer of client certificates: a CA, with a key identifier to be named by. */
static bool issue_ca_usable(X509 *cert, const char *path, char **err)
{
	if (X509_check_ca(cert) != 1) {
		*err = xasprintf(
			"the CA certificate %s is not a CA certificate: it needs basicConstraints CA:TRUE (and "
			"keyCertSign, if it has a keyUsage)",
			path);
		return false;
	}
	if (X509_get0_subject_key_id(cert) == NULL) {
		*err = xasprintf("the CA certificate %s has no subject key identifier, by which the certificates it "
				 "issues name it (deploy/pki.sh makes CAs with one)",
				 path);
		return false;
	}
	return true;
}

struct issue_ca *issue_ca_load(const char *cert_path, const char *key_path, char **err)
{
	struct issue_ca *ca = xcalloc(1, sizeof *ca);
	char *why = NULL;
	ca->cert = certfile_load_cert("the CA certificate", cert_path, err);
	bool ok = ca->cert != NULL && issue_ca_usable(ca->cert, cert_path, err);
	ok = ok && (ca->key = issue_ca_load_key(key_path, err)) != NULL;
	if (ok && X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		*err = xasprintf("the CA key %s is not the key of the CA certificate %s", key_path, cert_path);
		ok = false;
	}
	if (ok && !issue_key_acceptable(ca->key, &why)) {
		*err = xasprintf("the CA key %s will not do: %s", key_path, why);
		free(why);
		ok = false;
	}
	if (ok && (!issue_asn1_time(X509_get0_notBefore(ca->cert), &ca->not_before) ||
		   !issue_asn1_time(X509_get0_notAfter(ca->cert), &ca->not_after))) {
		*err = xasprintf("the CA certificate %s has a validity period that cannot be read", cert_path);
		ok = false;
	}
	if (ok && !certfile_fingerprint(ca->cert, ca->fingerprint)) {
		*err = xasprintf("the CA certificate %s cannot be encoded to take its fingerprint", cert_path);
		ok = false;
	}
	if (!ok) {
		issue_ca_free(ca);
		return NULL;
	}
	return ca;
}

void issue_ca_free(struct issue_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

const char *issue_ca_fingerprint(const struct issue_ca *ca)
{
	return ca->fingerprint;
}

/* The request in data, PEM or DER, not yet checked; NULL with *err. */
static X509_REQ *issue_csr_decode(const unsigned char *data, size_t len, char **err)
{
	X509_REQ *req = NULL;
	if (memmem(data, len, "-----BEGIN ", 11) != NULL) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);
		req = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, issue_no_passphrase, NULL) : NULL;
		BIO_free(bio);
		if (req == NULL)
			*err = xstrdup(
				"the certificate request is PEM, but holds no \"CERTIFICATE REQUEST\" block that "
				"can be read");
	} else {
		const unsigned char *p = data;
		req = d2i_X509_REQ(NULL, &p, (long)len);
		if (req == NULL) {
			*err = xstrdup("the certificate request is neither PEM nor DER PKCS#10");
		} else if (p != data + len) {
			*err = xasprintf("the certificate request has %zu bytes after its end",
					 (size_t)(data + len - p));
			X509_REQ_free(req);
			req = NULL;
		}
	}
	ERR_clear_error();
	return req;
}

X509_REQ *issue_csr_parse(const void *data, size_t len, char **err)
{
	if (len == 0) {
		*err = xstrdup("the certificate request is empty");
		return NULL;
	}
	if (len > ISSUE_CSR_MAX) {
		*err = xasprintf("the certificate request is %zu bytes, more than the %d one can be", len,
				 ISSUE_CSR_MAX);
		return NULL;
	}
	X509_REQ *req = issue_csr_decode(data, len, err);
	if (req == NULL)
		return NULL;
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	char *why = NULL;
	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		*err = xasprintf("the certificate request is of version %ld, not 1", X509_REQ_get_version(req) + 1);
	} else if (key == NULL) {
		*err = xstrdup("the certificate request carries no public key that can be read");
	} else if (!issue_key_acceptable(key, &why)) {
		*err = xasprintf("the certificate request's key will not do: %s", why);
		free(why);
	} else if (X509_REQ_verify(req, key) != 1) {
		/* the signature proves the sender holds the private key; without it any public key would do */
		*err = xstrdup("the certificate request's signature does not verify: it was changed after it was "
			       "signed, or not signed by the key it carries");
	} else {
		ERR_clear_error();
		return req;
	}
	ERR_clear_error();
	X509_REQ_free(req);
	return NULL;
}

/* A serial of 128 random bits: unpredictable, so nobody can craft a request whose certificate collides under the
 * signature's hash with one of their choosing (why CAs use random serials), and unique without a counter to keep.
 * Zero is not a serial (RFC 5280 wants a positive integer). */
static bool issue_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	bool ok = bn != NULL;
	do
		ok = ok && BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1;
	while (ok && BN_is_zero(bn));
	ASN1_INTEGER *serial = ok ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	ok = serial != NULL && X509_set_serialNumber(x, serial) == 1;
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return ok;
}

/* Subject O = org, CN = cn, in the order deploy/pki.sh writes them. */
static bool issue_subject(X509 *x, const char *org, const char *cn)
{
	X509_NAME *name = X509_NAME_new();
	bool ok = name != NULL &&
		  X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8, (const unsigned char *)org, -1,
					     -1, 0) == 1 &&
		  X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					     0) == 1 &&
		  X509_set_subject_name(x, name) == 1;
	X509_NAME_free(name);
	return ok;
}

static bool issue_extension(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	bool ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* The profile's extensions (issue.h); the key identifiers need the public key set and the CA's identifier. */
static bool issue_extensions(X509 *ca, X509 *x)
{
	X509V3_CTX ctx;
	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	return issue_extension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	       issue_extension(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
	       issue_extension(x, &ctx, NID_ext_key_usage, "clientAuth") &&
	       issue_extension(x, &ctx, NID_subject_key_identifier, "hash") &&
	       issue_extension(x, &ctx, NID_authority_key_identifier, "keyid:always");
}

/* The digest a CA key signs with: one as strong as the key (none for Ed25519, which hashes for itself). */
static const EVP_MD *issue_digest(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return NULL;
	if (EVP_PKEY_is_a(key, "EC") && issue_ec_curve(key) == NID_secp384r1)
		return EVP_sha384();
	return EVP_sha256();
}

/* Whether s can be a name in a certificate; *err says why not. */
static bool issue_name_ok(const char *what, const char *s, char **err)
{
	size_t n = strlen(s);
	if (n == 0)
		*err = xasprintf("the certificate's %s is empty", what);
	else if (!text_utf8_valid(s, n, NULL) || text_has_control(s, false))
		*err = xasprintf("the certificate's %s holds a character no name may (a control character, or bytes "
				 "that are not UTF-8)",
				 what);
	else if (text_utf8_length(s) > ISSUE_NAME_MAX)
		*err = xasprintf("the certificate's %s is longer than %d characters", what, ISSUE_NAME_MAX);
	else
		return true;
	return false;
}

/* Whether the CA can issue at now for lifetime seconds; then the validity period, cut to the CA's end. */
static bool issue_validity(const struct issue_ca *ca, long long lifetime, time_t now, time_t *from, time_t *until,
			   char **err)
{
	char a[32], b[32];
	if (lifetime <= 0 || lifetime > ISSUE_LIFETIME_MAX) {
		*err = xasprintf("a lifetime of %lld seconds is not between 1 second and %lld days", lifetime,
				 ISSUE_LIFETIME_MAX / 86400);
		return false;
	}
	if (now < ca->not_before || now >= ca->not_after) {
		*err = xasprintf("the CA certificate is not valid now (it is valid from %s until %s): it can issue "
				 "nothing until it is replaced",
				 issue_time_text(ca->not_before, a), issue_time_text(ca->not_after, b));
		return false;
	}
	*from = now - ISSUE_SKEW_SECONDS;
	/* a certificate that outlived its CA would not verify after the CA's end anyway: saying so is honest */
	*until = ca->not_after - now < lifetime ? ca->not_after : now + (time_t)lifetime;
	return true;
}

/* The PEM, fingerprint and serial of the signed certificate x into out. */
static bool issue_output(X509 *x, struct issue_cert *out)
{
	if (!certfile_fingerprint(x, out->fingerprint))
		return false;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (hex == NULL || strlen(hex) >= sizeof out->serial) {
		OPENSSL_free(hex);
		return false;
	}
	for (size_t i = 0; hex[i] != '\0'; i++)
		out->serial[i] = text_lower(hex[i]);
	out->serial[strlen(hex)] = '\0';
	OPENSSL_free(hex);
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n = bio != NULL && PEM_write_bio_X509(bio, x) == 1 ? BIO_get_mem_data(bio, &p) : 0;
	if (n > 0)
		out->pem = xstrndup(p, (size_t)n);
	BIO_free(bio);
	return out->pem != NULL;
}

bool issue_certificate(const struct issue_ca *ca, X509_REQ *csr, const char *org, const char *cn, long long lifetime,
		       time_t now, struct issue_cert *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (now == 0)
		now = time(NULL);
	time_t from, until;
	char *why = NULL;
	EVP_PKEY *key = X509_REQ_get0_pubkey(csr);
	if (!issue_name_ok("organisation (O)", org, err) || !issue_name_ok("name (CN)", cn, err) ||
	    !issue_validity(ca, lifetime, now, &from, &until, err))
		return false;
	/* checked again here, so that a request that did not come through issue_csr_parse cannot slip a weak key in */
	if (key == NULL || !issue_key_acceptable(key, &why)) {
		*err = xasprintf("the certificate request's key will not do: %s", why != NULL ? why : "there is none");
		free(why);
		return false;
	}
	X509 *x = X509_new();
	bool ok = x != NULL && X509_set_version(x, X509_VERSION_3) == 1 && issue_serial(x) &&
		  issue_subject(x, org, cn) && X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) == 1 &&
		  ASN1_TIME_set(X509_getm_notBefore(x), from) != NULL &&
		  ASN1_TIME_set(X509_getm_notAfter(x), until) != NULL && X509_set_pubkey(x, key) == 1 &&
		  issue_extensions(ca->cert, x) && X509_sign(x, ca->key, issue_digest(ca->key)) > 0 &&
		  issue_output(x, out);
	if (ok) {
		out->not_before = from;
		out->not_after = until;
	} else {
		*err = xasprintf("cannot issue the certificate: %s", tls_error_first());
		issue_cert_free(out);
	}
	ERR_clear_error();
	X509_free(x);
	return ok;
}

void issue_cert_free(struct issue_cert *cert)
{
	free(cert->pem);
	memset(cert, 0, sizeof *cert);
}
