/* net.h - the CLI's connection to planregd: TCP, TLS with a client
 * certificate and ALPN planreg/1, and framed protobuf requests and responses.
 * One thing at a time, each within a deadline (settings' timeout): the
 * connection (TCP and the handshake), and each call (the request going out
 * and the whole answer coming back); bytes that trickle in do not extend it. */
#ifndef PLANREG_NET_H
#define PLANREG_NET_H

#include <stdbool.h>

#include "planreg.pb-c.h"
#include "settings.h"
#include "status.h"

struct net;

/* Why a call could not be made; each has its own message for the user. */
enum net_failure {
	NET_OK,
	NET_NO_CREDENTIAL,  /* no client certificate configured */
	NET_BAD_CREDENTIAL, /* certificate or key unreadable or not a pair */
	NET_CONNECT,        /* TCP connection failed */
	NET_TLS,            /* handshake failed (e.g. server certificate not trusted) */
	NET_CERT_REFUSED,   /* the server refused our certificate during the handshake */
	NET_PROTOCOL,       /* the server broke the framing or closed mid-answer */
	NET_TIMEOUT,
	NET_BAD_SERVER, /* the server setting is not host:port (a usage error) */
};

/* Connects and completes the TLS handshake. On failure returns NULL, sets *why and *err (malloc'd). */
struct net *net_connect(const struct settings *s, enum net_failure *why, char **err);
/* A connection without a client certificate, for `planreg join` (docs/onboarding.md): the server's certificate
 * verified against the CA file ca and the host's name, or, when ca is NULL, not verified at all: then only the
 * server's CA may be asked, and its fingerprint checked against the invitation's before anything else is sent. */
struct net *net_connect_join(const char *server, const char *ca, int timeout_ms, enum net_failure *why, char **err);
/*
 * Sends req and waits for its response. On transport failure returns NULL with
 * *why and *err. A connection-level refusal (Response id 0) is returned as the
 * response: its status says why. The caller frees the response with
 * planreg__v1__response__free_unpacked(resp, NULL).
 */
Planreg__V1__Response *net_call(struct net *n, Planreg__V1__Request *req, enum net_failure *why, char **err);
/* While net_call waits, tick(arg) is called about every 150 ms (a progress bar's redraw); NULL: never. */
void net_set_tick(struct net *n, void (*tick)(void *arg), void *arg);
void net_close(struct net *n);

#endif
