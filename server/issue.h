/* issue.h - the issuing side of joining: a certificate request checked (its form, its self-signature, its kind
 * of key) and a client certificate signed for it by the deployment's issuing CA. The certificate's subject is
 * what the caller says (from the invitation), never the request's: the request only carries the public key,
 * and proves that its sender holds the private one. The CA never sees a submitter's private key.
 *
 * The profile (docs/onboarding.md): X.509 v3; subject O = organisation code, CN = person or job; issuer = the
 * CA certificate's subject; a random 128-bit positive serial; valid from 5 minutes before now (clocks drift)
 * for the lifetime asked, cut to the CA's own end; basicConstraints CA:FALSE and keyUsage digitalSignature
 * (both critical), extendedKeyUsage clientAuth, subject and authority key identifiers. */
#ifndef PLANREG_ISSUE_H
#define PLANREG_ISSUE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A request for a P-256 key is under 600 bytes as PEM, one for RSA-8192 under 3 KB: more is not a request. */
#define ISSUE_CSR_MAX 16384
/* How far before now a certificate is valid from, for a client whose clock is behind the server's. */
#define ISSUE_SKEW_SECONDS 300
/* The longest lifetime issued: 825 days, what deploy/pki.sh gives (renewal makes much shorter ones fit). */
#define ISSUE_LIFETIME_MAX (825LL * 24 * 3600)
/* RSA keys are accepted from 2048 to 8192 bits (docs/onboarding.md says why). */
#define ISSUE_RSA_MIN_BITS 2048
#define ISSUE_RSA_MAX_BITS 8192
/* X.520's upper bound for O and CN, in characters. */
#define ISSUE_NAME_MAX 64

/* The issuing CA: its certificate and key, loaded once. */
struct issue_ca;

/*
 * Loads the CA certificate (PEM or DER) and its key (PEM, unencrypted: the daemon cannot be asked for a
 * passphrase). Refused, with *err (malloc'd) saying why: a key file other users may read or change (any
 * permission for others, or write for the group; 0600 or 0640 will do), a certificate that is not a CA
 * (basicConstraints CA:TRUE, keyUsage keyCertSign when present) or has no subject key identifier, a key that
 * is not the certificate's, or a key of a kind issue_key_acceptable refuses.
 */
struct issue_ca *issue_ca_load(const char *cert_path, const char *key_path, char **err)
	__attribute__((warn_unused_result));
void issue_ca_free(struct issue_ca *ca);
/* The CA certificate's fingerprint (certfile.h's form). The deployment CA an invitation pins is the one that
 * signed the server's TLS certificate: often this one; when not, certfile_fingerprint_file reads it. */
const char *issue_ca_fingerprint(const struct issue_ca *ca);

/*
 * A request as sent (PEM or DER PKCS#10, at most ISSUE_CSR_MAX bytes) parsed and checked: version 1, a key
 * issue_key_acceptable accepts, a self-signature that verifies with that key. The caller frees it
 * (X509_REQ_free); NULL with *err (malloc'd) saying what is wrong with it.
 */
X509_REQ *issue_csr_parse(const void *data, size_t len, char **err) __attribute__((warn_unused_result));
/* Whether key is of a kind certificates are issued for: EC on P-256 or P-384, Ed25519, or RSA of
 * ISSUE_RSA_MIN_BITS to ISSUE_RSA_MAX_BITS; when not, *err (malloc'd) says why and what would do. */
bool issue_key_acceptable(EVP_PKEY *key, char **err) __attribute__((warn_unused_result));

struct issue_cert {
	char *pem;            /* malloc'd; issue_cert_free frees it */
	char fingerprint[65]; /* SHA-256 of the DER, lower-case hex, no colons: what the server enrols */
	char serial[41];      /* lower-case hex, for the log and the audit trail */
	time_t not_before;
	time_t not_after; /* now + lifetime, or the CA's end when that comes first */
};

/* Issues a certificate for csr's key (csr from issue_csr_parse) with subject O = org, CN = cn (UTF-8, 1 to
 * ISSUE_NAME_MAX characters, no control characters), valid for lifetime seconds (1 to ISSUE_LIFETIME_MAX) from
 * now (0: the clock's now). False with *err (malloc'd); out is then empty. */
bool issue_certificate(const struct issue_ca *ca, X509_REQ *csr, const char *org, const char *cn, long long lifetime,
		       time_t now, struct issue_cert *out, char **err) __attribute__((warn_unused_result));
void issue_cert_free(struct issue_cert *cert);

#endif
