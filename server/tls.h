/* tls.h - the server's TLS settings (mutual TLS, ALPN planreg/1) in one SSL_CTX,
 * rebuilt whole on reload and swapped in only when every part of it loaded. */
#ifndef PLANREG_TLS_H
#define PLANREG_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

#define TLS_ALPN "planreg/1"

/* Builds a server context from PEM files; NULL with *err (malloc'd) naming the file and the reason. */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *ca, char **err);

/* Whether the peer's certificate is inside its validity period now (a resumed session skips the
 * chain check, which is where expiry is otherwise caught); when not, why in when ("it expired DATE"). */
bool tls_peer_valid_now(SSL *ssl, char *when, size_t when_len);

/* SHA-256 of the peer certificate's DER, lower-case hex; false when there is no peer certificate. */
bool tls_peer_fingerprint(SSL *ssl, char out[65]);

/* The peer certificate's subject CN and O as UTF-8 ("" when absent). False, with
 * both "", when there is no peer certificate or its subject is ambiguous: more
 * than one CN or O, a value that does not fit, or one holding a NUL. */
bool tls_peer_subject(SSL *ssl, char *cn, size_t cn_len, char *org, size_t org_len);

/* A SHA-256 fingerprint as typed (hex, colons allowed) into lower-case hex without colons;
 * false unless it is 64 hex digits. */
bool tls_normalise_fingerprint(const char *in, char out[65]);

/* The most recent OpenSSL error as text, and the queue cleared (so no stale error leaks into another connection). */
const char *tls_error_string(void);
/* The earliest error queued (the cause, not its consequences), likewise. */
const char *tls_error_first(void);

#endif
