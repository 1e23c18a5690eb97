/* net_cred.h - the CLI's trust and identity for TLS: the CA certificate, the
 * client certificate and its key, loaded into a context by net.c, and whether a
 * certificate was issued by that CA, with every problem said in the user's
 * terms and naming the file. */
#ifndef PLANREG_NET_CRED_H
#define PLANREG_NET_CRED_H

#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <stdbool.h>

/* The CA certificates (one or more) into the context's trust store; digest gets the file's SHA-256. */
bool net_cred_load_ca(SSL_CTX *ctx, const char *path, unsigned char digest[SHA256_DIGEST_LENGTH], char **err)
	__attribute__((warn_unused_result));
/* The client certificate (then any intermediates after it in the same file); *leaf is the first (the caller frees
 * it). */
bool net_cred_load_cert(SSL_CTX *ctx, const char *path, X509 **leaf, char **err) __attribute__((warn_unused_result));
/* The client key, which must be leaf's (read from cert_path). */
bool net_cred_load_key(SSL_CTX *ctx, const char *path, X509 *leaf, const char *cert_path, char **err)
	__attribute__((warn_unused_result));
/* True when the certificate in cert_path (intermediates after it in the file) chains to a CA in ca_path for a TLS
 * client, as the daemon will check it; false with *err saying why not (another CA, expired, not a client
 * certificate) and what to do. `planreg cred enrol --cert` asks before enrolling what could never connect. */
bool net_cred_check_issued(const char *ca_path, const char *cert_path, char **err) __attribute__((warn_unused_result));
/* An OpenSSL passphrase callback that never supplies one: the CLI must never stop to ask. */
int net_cred_no_passphrase(char *buf, int size, int rwflag, void *userdata);
/* The earliest OpenSSL error queued, in words (a static buffer); clears the queue. */
const char *net_cred_ossl_reason(void);

#endif
