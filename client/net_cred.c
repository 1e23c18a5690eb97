/* net_cred.c - the CLI's CA certificate, client certificate and key, read into a TLS context, and a certificate
 * checked against that CA before it is enrolled (see net_cred.h). */
#include "net_cred.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

/* Certificates and keys are a few kilobytes; anything this large is not one. */
#define NET_CRED_MAX_PEM_FILE (1024 * 1024)

/*
 * The CA certificate, the client certificate and its key are read here rather
 * than by SSL_CTX_*_file, so that a problem is said in the user's terms, naming
 * the file: "cannot read the client key K: no such file", "the key K does not
 * match the certificate C", "C is not a PEM certificate", instead of OpenSSL's
 * "system lib" or "PEM lib". Nothing here ever prompts for a passphrase.
 */

/* Always refuses to supply a passphrase: the CLI runs in scripts and timers, so it must never stop to ask. */
int net_cred_no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	return 0;
}

/* A file's contents, NUL-terminated, for the PEM reader and for looking at its labels. */
struct net_cred_pem {
	char *text;
	size_t len;
};

static const char *net_cred_errno_words(int e)
{
	switch (e) {
	case ENOENT:
		return "no such file";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EISDIR:
		return "it is a directory";
	case ENOTDIR:
		return "a part of the path is not a directory";
	default:
		return strerror(e);
	}
}

/* The earliest OpenSSL error queued (the cause rather than its consequences), in words; clears the queue. */
const char *net_cred_ossl_reason(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	const char *lib = e ? ERR_lib_error_string(e) : NULL;
	if (reason == NULL)
		snprintf(buf, sizeof buf, "OpenSSL error %lu", e);
	else if (lib != NULL)
		snprintf(buf, sizeof buf, "%s (%s)", reason, lib);
	else
		snprintf(buf, sizeof buf, "%s", reason);
	ERR_clear_error();
	return buf;
}

/* Reads path whole; false with *err saying which file (what: "the client key") and why it cannot be read. */
static bool net_cred_read_pem(const char *what, const char *path, struct net_cred_pem *out, char **err)
{
	out->text = NULL;
	out->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("cannot read %s %s: %s", what, path, net_cred_errno_words(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		*err = xasprintf("cannot read %s %s: %s", what, path, net_cred_errno_words(e));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*err = xasprintf("cannot read %s %s: %s", what, path,
				 S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file");
		return false;
	}
	if (st.st_size > NET_CRED_MAX_PEM_FILE) {
		close(fd);
		*err = xasprintf("%s %s is %lld bytes: too large to be a PEM file", what, path, (long long)st.st_size);
		return false;
	}
	out->text = xmalloc((size_t)st.st_size + 1);
	while (out->len < (size_t)st.st_size) {
		ssize_t n = read(fd, out->text + out->len, (size_t)st.st_size - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : 0;
			close(fd);
			free(out->text);
			out->text = NULL;
			*err = xasprintf("cannot read %s %s: %s", what, path,
					 e ? net_cred_errno_words(e) : "it got shorter");
			return false;
		}
		out->len += (size_t)n;
	}
	close(fd);
	out->text[out->len] = '\0';
	if (out->len == 0) {
		free(out->text);
		out->text = NULL;
		*err = xasprintf("%s %s is empty", what, path);
		return false;
	}
	return true;
}

static bool net_cred_pem_has(const struct net_cred_pem *p, const char *label)
{
	return strstr(p->text, label) != NULL;
}

/* The CA certificates (one or more) into the context's trust store. */
bool net_cred_load_ca(SSL_CTX *ctx, const char *path, unsigned char digest[SHA256_DIGEST_LENGTH], char **err)
{
	struct net_cred_pem pem;
	if (!net_cred_read_pem("the CA certificate", path, &pem, err))
		return false;
	SHA256((const unsigned char *)pem.text, pem.len, digest); /* the trust a saved session was made under */
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	int n = 0;
	bool ok = true;
	X509 *x;
	while (ok && (x = PEM_read_bio_X509(bio, NULL, net_cred_no_passphrase, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) != 1) {
			*err = xasprintf("cannot use the CA certificate %s: %s", path, net_cred_ossl_reason());
			ok = false;
		}
		X509_free(x);
		n++;
	}
	if (ok && n == 0)
		*err = net_cred_pem_has(&pem, "-----BEGIN CERTIFICATE-----")
			       ? xasprintf("the CA certificate %s cannot be read: %s", path, net_cred_ossl_reason())
			       : xasprintf("the CA certificate %s is not a PEM certificate (it has no \"-----BEGIN "
					   "CERTIFICATE-----\" line)",
					   path);
	ok = ok && n > 0;
	ERR_clear_error(); /* the read that ended the loop found no further certificate: not an error */
	BIO_free(bio);
	free(pem.text);
	return ok;
}

/* The client certificate (then any intermediates after it in the same file); *leaf is the first. */
bool net_cred_load_cert(SSL_CTX *ctx, const char *path, X509 **leaf, char **err)
{
	*leaf = NULL;
	struct net_cred_pem pem;
	if (!net_cred_read_pem("the client certificate", path, &pem, err))
		return false;
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	bool ok = false;
	X509 *x = PEM_read_bio_X509_AUX(bio, NULL, net_cred_no_passphrase, NULL);
	if (x == NULL) {
		if (net_cred_pem_has(&pem, "PRIVATE KEY-----"))
			*err = xasprintf("the client certificate %s holds a private key, not a certificate (are the "
					 "certificate and the key the wrong way round?)",
					 path);
		else if (!net_cred_pem_has(&pem, "-----BEGIN CERTIFICATE-----") &&
			 !net_cred_pem_has(&pem, "-----BEGIN TRUSTED CERTIFICATE-----"))
			*err = xasprintf("the client certificate %s is not a PEM certificate (it has no \"-----BEGIN "
					 "CERTIFICATE-----\" line)",
					 path);
		else
			*err = xasprintf("the client certificate %s cannot be read: %s", path, net_cred_ossl_reason());
	} else if (SSL_CTX_use_certificate(ctx, x) != 1) {
		*err = xasprintf("cannot use the client certificate %s: %s", path, net_cred_ossl_reason());
	} else {
		ok = true;
		X509 *ca;
		while (ok && (ca = PEM_read_bio_X509(bio, NULL, net_cred_no_passphrase, NULL)) != NULL) {
			if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
				X509_free(ca);
				*err = xasprintf("cannot use the certificates after the first in %s: %s", path,
						 net_cred_ossl_reason());
				ok = false;
			}
		}
		ERR_clear_error(); /* the end of the file */
	}
	BIO_free(bio);
	free(pem.text);
	if (ok)
		*leaf = x;
	else
		X509_free(x);
	return ok;
}

/* The client key, which must be the certificate's. */
bool net_cred_load_key(SSL_CTX *ctx, const char *path, X509 *leaf, const char *cert_path, char **err)
{
	struct net_cred_pem pem;
	if (!net_cred_read_pem("the client key", path, &pem, err))
		return false;
	if (net_cred_pem_has(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    net_cred_pem_has(&pem, "Proc-Type: 4,ENCRYPTED")) {
		*err = xasprintf("the client key %s is protected by a passphrase, and planreg never asks for one: "
				 "keep a copy without it (openssl pkey -in %s -out KEY) where only you can read it, "
				 "and use that",
				 path, path);
		free(pem.text);
		return false;
	}
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, net_cred_no_passphrase, NULL);
	BIO_free(bio);
	bool ok = false;
	if (key == NULL) {
		if (!net_cred_pem_has(&pem, "PRIVATE KEY-----") &&
		    net_cred_pem_has(&pem, "-----BEGIN CERTIFICATE-----"))
			*err = xasprintf(
				"the client key %s holds a certificate, not a private key (are the certificate "
				"and the key the wrong way round?)",
				path);
		else if (!net_cred_pem_has(&pem, "PRIVATE KEY-----"))
			*err = xasprintf("the client key %s is not a PEM private key (it has no \"-----BEGIN PRIVATE "
					 "KEY-----\" line)",
					 path);
		else
			*err = xasprintf("the client key %s cannot be read: %s", path, net_cred_ossl_reason());
	} else if (X509_check_private_key(leaf, key) != 1) {
		ERR_clear_error();
		*err = xasprintf("the key %s does not match the certificate %s: give the key that was made with that "
				 "certificate",
				 path, cert_path);
	} else if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		*err = xasprintf("cannot use the key %s with the certificate %s: %s", path, cert_path,
				 net_cred_ossl_reason());
	} else {
		ok = true;
	}
	EVP_PKEY_free(key);
	free(pem.text);
	return ok;
}

/* ---------------------------------------------------------------- is a certificate the deployment's? */

/* The certificates in path: the first into *leaf, any after it into *chain (the caller frees both). */
static bool net_cred_read_certs(const char *path, X509 **leaf, STACK_OF(X509) * *chain, char **err)
{
	struct net_cred_pem pem;
	*leaf = NULL;
	*chain = NULL;
	if (!net_cred_read_pem("the certificate", path, &pem, err))
		return false;
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	*leaf = PEM_read_bio_X509(bio, NULL, net_cred_no_passphrase, NULL);
	if (*leaf == NULL) {
		*err = xasprintf("%s is not a PEM certificate", path);
	} else {
		*chain = sk_X509_new_null();
		X509 *x;
		while ((x = PEM_read_bio_X509(bio, NULL, net_cred_no_passphrase, NULL)) != NULL)
			sk_X509_push(*chain, x);
	}
	ERR_clear_error(); /* the end of the file */
	BIO_free(bio);
	free(pem.text);
	return *leaf != NULL;
}

/* An X509_NAME's common name, else its one-line form, into out. */
static void net_cred_name(const X509_NAME *name, char *out, int size)
{
	if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, out, size) < 0)
		X509_NAME_oneline(name, out, size);
	ERR_clear_error();
}

/* Why the verification of leaf failed (code), in words an administrator acts on. */
static char *net_cred_issued_error(int code, X509 *leaf, const char *ca_path, const char *cert_path)
{
	char issuer[256], date[64] = "";
	net_cred_name(X509_get_issuer_name(leaf), issuer, sizeof issuer);
	BIO *b = BIO_new(BIO_s_mem());
	const ASN1_TIME *t =
		code == X509_V_ERR_CERT_NOT_YET_VALID ? X509_get0_notBefore(leaf) : X509_get0_notAfter(leaf);
	if (b && ASN1_TIME_print(b, t) == 1) {
		int n = BIO_read(b, date, (int)sizeof date - 1);
		date[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	switch (code) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return xasprintf("%s was issued by \"%s\", not by the deployment's CA (%s), so it could never connect: "
				 "issue the certificate with that CA (deploy/pki.sh issue), or, when client "
				 "certificates come from another CA, give its certificate with --client-ca FILE",
				 cert_path, issuer, ca_path);
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return xasprintf("%s expired on %s, so it could never connect: issue a new certificate", cert_path,
				 date);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return xasprintf("%s is not valid before %s: enrol it then, or check this machine's clock", cert_path,
				 date);
	case X509_V_ERR_INVALID_PURPOSE:
		return xasprintf(
			"%s is not made for TLS clients (its extended key usage lacks clientAuth), so it could "
			"never connect: issue a client certificate (deploy/pki.sh issue)",
			cert_path);
	default:
		return xasprintf("%s cannot be checked against the deployment's CA (%s): %s", cert_path, ca_path,
				 X509_verify_cert_error_string(code));
	}
}

bool net_cred_check_issued(const char *ca_path, const char *cert_path, char **err)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SSL_CTX *trust = SSL_CTX_new(TLS_client_method());
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *vc = NULL;
	bool ok = false;
	if (trust == NULL) {
		*err = xasprintf("cannot check %s: %s", cert_path, net_cred_ossl_reason());
	} else if (net_cred_load_ca(trust, ca_path, digest, err) &&
		   net_cred_read_certs(cert_path, &leaf, &chain, err)) {
		vc = X509_STORE_CTX_new();
		/* as the daemon checks a client's certificate: "ssl_client", the purpose a TLS server verifies */
		if (vc == NULL || X509_STORE_CTX_init(vc, SSL_CTX_get_cert_store(trust), leaf, chain) != 1 ||
		    X509_STORE_CTX_set_default(vc, "ssl_client") != 1)
			*err = xasprintf("cannot check %s: %s", cert_path, net_cred_ossl_reason());
		else if (X509_verify_cert(vc) == 1)
			ok = true;
		else
			*err = net_cred_issued_error(X509_STORE_CTX_get_error(vc), leaf, ca_path, cert_path);
	}
	ERR_clear_error();
	X509_STORE_CTX_free(vc);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	SSL_CTX_free(trust);
	return ok;
}
