/* submitsig.h - submitters' signatures of returns and reviews (docs/verifiable-log.md, "Signed by their
 * submitters"): the message signed, made from what the log's leaf holds so that any verifier can make it
 * again; signing with the key of a TLS certificate and checking against the certificate (ECDSA, RSA,
 * Ed25519, through OpenSSL 3's EVP_DigestSign / EVP_DigestVerify); and the check of one leaf. Pure: no I/O. */
#ifndef PLANREG_SUBMITSIG_H
#define PLANREG_SUBMITSIG_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chain.h"
#include "period.h"
#include "planreg.pb-c.h"

#define SUBMITSIG_RETURN_DOMAIN "planreg-return-signature/v1\n"
#define SUBMITSIG_REVIEW_DOMAIN "planreg-review-signature/v1\n"
#define SUBMITSIG_MAX_BYTES 1024 /* ECDSA P-384 takes 104, RSA 8192 bits 1024 */

/* The arrays the content of one return points into (submitsig_content fills them). */
struct submitsig_parts {
	struct chain_milestone *milestones; /* c->n_milestones entries */
	const char **risks;                 /* c->n_risks */
	struct chain_actual *actuals;       /* c->n_actuals */
};
/* The content of c as the chain encodes it (chain_content_digest's input): period_s is filled from c->period
 * (false when it is not a period); parts' arrays must hold as many entries as c has. */
bool submitsig_content(const Planreg__V1__UpdateContent *c, char period_s[PERIOD_FMT_MAX],
		       const struct submitsig_parts *parts, struct chain_content *out);

/* The messages signed, appended to out. */
void submitsig_return_message(int ref, const char *period, const char *content_sha256, struct buf *out);
void submitsig_review_message(int64_t update_id, bool accepted, const char *comment, struct buf *out);
/* The message of a SubmitUpdate or ReviewUpdate request; false for any other kind or content that cannot be
 * encoded (the daemon refuses it before it looks at a signature). */
bool submitsig_request_message(const Planreg__V1__Request *req, struct buf *out);

/* key's signature of msg (malloc'd, *len bytes), or NULL. */
unsigned char *submitsig_sign(EVP_PKEY *key, const void *msg, size_t msg_len, size_t *len);
/* Whether sig is cert's key's signature of msg. */
bool submitsig_verify(X509 *cert, const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);

/* One leaf (planreg-log-v1) checked: unsigned (true, *is_signed false), or signed with a signature that verifies
 * against the certificate among certs (DER) whose SHA-256 the leaf names. false with *why (static) otherwise. */
bool submitsig_check_leaf(const uint8_t *entry, size_t len, const ProtobufCBinaryData *certs, size_t n_certs,
			  bool *is_signed, const char **why);

#endif
