/* net_session.h - TLS sessions saved between commands so that the next one
 * resumes instead of doing a full handshake (net.c). */
#ifndef PLANREG_NET_SESSION_H
#define PLANREG_NET_SESSION_H

#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "settings.h"

/* The cache file of this server, certificate and trust (malloc'd), or NULL when there is no cache. */
char *net_session_path(const struct settings *s, const char *where, X509 *leaf,
		       const unsigned char trust[SHA256_DIGEST_LENGTH]);
/* The saved session (the caller frees it), or NULL when there is none to be trusted. */
SSL_SESSION *net_session_load(const char *path);
/* Saves session at path (in cache_dir, made 0700 when missing); failures are silent: it is an optimisation. */
void net_session_save(const char *path, SSL_SESSION *session, const char *cache_dir);

#endif
