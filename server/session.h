/* session.h - who a connection's certificate belongs to: the credential lookup (at connect
 * and, when no cached principal stands, before a request), the check that the certificate's
 * organisation is the one its credential is enrolled for, and the principal cache that spares
 * a lookup per request for as long as revocations can be heard.
 *
 * The cache: a credential changes only by being revoked, so the principal found at connect
 * answers for each request's lookup as long as a revocation reaches the connection before its
 * next request. RevokeCredential drops this daemon's caches at once and notifies
 * SESSION_CREDENTIAL_CHANNEL, which every daemon listens on (db_listener); a trigger notifies
 * a revocation made by hand in SQL too. While the listener is down nothing is cached; when it
 * subscribes again (or is lost) every cache is stale, since a notification may have been
 * missed meanwhile; and a cache lives SESSION_PRINCIPAL_TTL_MS at most whatever was heard. */
#ifndef PLANREG_SESSION_H
#define PLANREG_SESSION_H

#include <stdbool.h>

#include "conn.h"
#include "rpc.h"

struct server;

/* The channel revocations are notified on, with the revoked certificate's fingerprint. */
#define SESSION_CREDENTIAL_CHANNEL "planreg_credentials"
/* A cached principal is looked up again after this long, whatever was heard. */
#define SESSION_PRINCIPAL_TTL_MS 60000

/* The connect-time lookup (the conn hook): conn_authenticated, or a connection error and close. */
void session_authenticate(struct conn *c);
/* Before a request on the primary: the cached principal when it stands, else a lookup on
 * call->db; then rpc_run, or the call is answered UNAUTHENTICATED and the connection closed. */
void session_check(struct rpc_call *call);

/* Whether the cached principal may answer for a request's credential lookup. */
bool session_principal_fresh(const struct conn *c);
/* A credential was revoked: connections with that certificate look it up on their next request. */
void session_credential_revoked(struct server *srv, const char *fingerprint);
/* The revocation listener's callback (db_listener_cb; arg is the server). */
void session_credential_notice(const char *fingerprint, bool listening, void *arg);

#endif
