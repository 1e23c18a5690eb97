/* signed.c - a submission's signature checked against the connection's certificate (see signed.h). */
#include "signed.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#include "conn.h"
#include "server.h"
#include "submitsig.h"
#include "text.h"

static const char *signed_bytea(struct rpc_call *call, const unsigned char *data, size_t n)
{
	char *s = arena_alloc(&call->arena, 2 * n + 3);
	memcpy(s, "\\x", 2);
	text_hex(data, n, s + 2);
	return s;
}

static bool signed_unsigned_allowed(struct rpc_call *call, const char *what)
{
	if (strcmp(call->srv->cfg->require_signatures, "no") == 0)
		return true;
	reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "signature_required",
		    "%s is not signed: this service records only returns and reviews signed with the key of the "
		    "certificate that submits them; upgrade planreg (the CLI signs everything it submits) and try "
		    "again; nothing was written",
		    what);
	return false;
}

/* The certificate's DER as bytea text into out, and its SHA-256: the connection's fingerprint (tls_peer_fingerprint
 * took it of this certificate at the handshake). */
static void signed_certificate(struct rpc_call *call, X509 *cert, struct signed_by *out)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	if (n <= 0)
		return;
	out->certificate = signed_bytea(call, der, (size_t)n);
	out->certificate_sha256 = rpc_strdup(call, call->conn->fingerprint);
	OPENSSL_free(der);
}

bool signed_check(struct rpc_call *call, const ProtobufCBinaryData *sig, const struct buf *msg, const char *what,
		  struct signed_by *out)
{
	memset(out, 0, sizeof *out);
	if (sig->len == 0)
		return signed_unsigned_allowed(call, what);
	SSL *ssl = call->conn->ssl;
	X509 *cert = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	if (cert == NULL) {
		reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "connection_closed",
			    "the connection closed before %s could be checked; nothing was written", what);
		return false;
	}
	bool ok = submitsig_verify(cert, msg->data, msg->len, sig->data, sig->len);
	if (ok)
		signed_certificate(call, cert, out);
	X509_free(cert);
	ERR_clear_error();
	if (ok && out->certificate != NULL) {
		out->signature = signed_bytea(call, sig->data, sig->len);
		return true;
	}
	reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "signature_invalid",
		    "the signature of %s does not verify against your certificate's key: it was not made with that "
		    "key over what was sent (%s); nothing was written",
		    what,
		    sig->len > SUBMITSIG_MAX_BYTES ? "it is longer than any signature"
						   : "the content or the signature was changed on the way");
	return false;
}
