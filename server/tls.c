/* tls.c - server TLS: the SSL_CTX (mutual TLS, TLS 1.2+, ALPN planreg/1) and peer identity. */
#include "tls.h"

#include <ctype.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

/* Mozilla's "intermediate" profile: TLS 1.2 with AEAD suites only (TLS 1.3 suites are all AEAD). */
static const char TLS_CIPHERS_12[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char TLS_GROUPS[] = "X25519:P-256:P-384";
static const unsigned char TLS_SESSION_CONTEXT[] = "planregd";

/* One error of the queue as text (static storage), and the queue cleared. */
static const char *tls_error_text(unsigned long e, const char *none)
{
	static char buf[256];
	if (e == 0)
		snprintf(buf, sizeof buf, "%s", none);
	else
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

const char *tls_error_string(void)
{
	return tls_error_text(ERR_peek_last_error(), "unknown TLS error");
}

const char *tls_error_first(void)
{
	return tls_error_text(ERR_peek_error(), "no reason given");
}

/* ALPN: only planreg/1; a client offering something else gets a fatal alert.
 * (A client offering no ALPN at all is refused after the handshake, in conn.c.) */
static int tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
			   unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	const size_t want = sizeof TLS_ALPN - 1;
	for (unsigned int i = 0; i < inlen;) {
		unsigned int n = in[i];
		if (i + 1 + n > inlen)
			break;
		if (n == want && memcmp(in + i + 1, TLS_ALPN, want) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *ca, char **err)
{
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*err = xasprintf("cannot create TLS context: %s", tls_error_string());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	/* an idle connection gives its read and write buffers (~34 KB each) back until the next record */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) != 1 || SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		*err = xasprintf("cannot set TLS ciphers: %s", tls_error_string());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		*err = xasprintf("cannot load server certificate %s: %s", cert, tls_error_string());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		*err = xasprintf("cannot load server key %s: %s", key, tls_error_string());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*err = xasprintf("server key %s does not match certificate %s", key, cert);
		ERR_clear_error();
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		*err = xasprintf("cannot load client CA %s: %s", ca, tls_error_string());
		goto fail;
	}
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
	if (names == NULL) {
		*err = xasprintf("no CA certificate in %s", ca);
		ERR_clear_error();
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	/* a certificate is asked for and, when sent, verified; a connection without one may only join with
	 * an invitation (conn.c marks it anonymous; the method table says what it may ask) */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* mutual TLS with session resumption needs a session id context */
	SSL_CTX_set_session_id_context(ctx, TLS_SESSION_CONTEXT, sizeof TLS_SESSION_CONTEXT - 1);
	/* Resumption by stateless tickets only (the CLI keeps them, see client/net.c): no server-side
	 * session cache to grow with every client. A ticket carries the client certificate, so a
	 * resumed connection still has its peer certificate for the fingerprint check; tickets are
	 * sealed with this context's keys, so a reload (new CA or certificate) ends every resumption. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

bool tls_peer_fingerprint(SSL *ssl, char out[65])
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	if (peer == NULL)
		return false;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	bool ok = X509_digest(peer, EVP_sha256(), md, &n) == 1 && n == 32;
	X509_free(peer);
	if (ok)
		text_hex(md, n, out);
	ERR_clear_error();
	return ok;
}

bool tls_peer_valid_now(SSL *ssl, char *when, size_t when_len)
{
	when[0] = '\0';
	X509 *peer = SSL_get1_peer_certificate(ssl);
	if (peer == NULL)
		return false;
	const ASN1_TIME *before = X509_get0_notBefore(peer), *after = X509_get0_notAfter(peer);
	const ASN1_TIME *bad = X509_cmp_current_time(before) > 0  ? before
			       : X509_cmp_current_time(after) < 0 ? after
								  : NULL;
	if (bad != NULL) {
		BIO *b = BIO_new(BIO_s_mem());
		if (b != NULL)
			BIO_puts(b, bad == after ? "it expired " : "it is valid only from ");
		if (b != NULL && ASN1_TIME_print(b, bad) == 1) {
			int n = BIO_read(b, when, (int)when_len - 1);
			when[n > 0 ? n : 0] = '\0';
		}
		BIO_free(b);
	}
	X509_free(peer);
	ERR_clear_error();
	return bad == NULL;
}

/* The one entry nid of name, as UTF-8 in out; true when there is none ("") or exactly one that fits. */
static bool tls_name_entry(X509_NAME *name, int nid, char *out, size_t len)
{
	out[0] = '\0';
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return true;
	if (X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return false; /* two O (or CN) entries: which one is meant? */
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	bool ok = n >= 0 && (size_t)n < len && memchr(utf8, '\0', (size_t)n) == NULL;
	if (ok) {
		memcpy(out, utf8, (size_t)n);
		out[n] = '\0';
	}
	OPENSSL_free(utf8);
	return ok;
}

bool tls_peer_subject(SSL *ssl, char *cn, size_t cn_len, char *org, size_t org_len)
{
	cn[0] = org[0] = '\0';
	X509 *peer = SSL_get1_peer_certificate(ssl);
	if (peer == NULL)
		return false;
	X509_NAME *subject = X509_get_subject_name(peer);
	bool ok = subject != NULL && tls_name_entry(subject, NID_commonName, cn, cn_len) &&
		  tls_name_entry(subject, NID_organizationName, org, org_len);
	X509_free(peer);
	ERR_clear_error();
	if (!ok)
		cn[0] = org[0] = '\0';
	return ok;
}

bool tls_normalise_fingerprint(const char *in, char out[65])
{
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p) || n >= 64)
			return false;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	return n == 64;
}
