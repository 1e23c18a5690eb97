/* joining.h - what planregd needs so that people can join by themselves (docs/onboarding.md):
 * the CA with which it issues their certificates (issuer_cert, issuer_key), the CA certificates
 * that verify this server (server_ca, else tls_ca: what a joiner pins by the fingerprint in its
 * invitation code), the address written into codes (public_address), and a per-address count of
 * wrong invitation secrets, so that codes cannot be guessed at speed. */
#ifndef PLANREG_JOINING_H
#define PLANREG_JOINING_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

struct server;
struct issue_ca;

#define JOINING_THROTTLE_SLOTS 256
#define JOINING_HOST_SIZE 254
#define JOINING_WINDOW_MS 60000

struct joining_throttle {
	struct conn_addr addr;
	uint64_t window_started_ms;
	unsigned failures;
};

struct joining {
	struct issue_ca *issuer; /* NULL: this deployment issues no certificates (no invitations) */
	char *server_ca_pem;     /* what verifies this server, as given to joiners */
	char server_ca_fp[65];   /* SHA-256 of its first certificate */
	char public_host[JOINING_HOST_SIZE];
	unsigned public_port;
	long long lifetime_s; /* of the certificates issued */
	struct joining_throttle throttle[JOINING_THROTTLE_SLOTS];
	uint64_t failures, throttled, redeemed; /* for /metrics */
	uint64_t expiring;                      /* credentials whose certificate ends within 14 days (a gauge) */
	struct event *expiry_timer;
};

struct config;
/* The address written into invitation codes: public_address, else what the listener is bound to (port; localhost
 * for a loopback or wildcard address); false with *err (malloc'd) when public_address is not host:port. */
bool joining_address(const struct config *cfg, int port, char host[JOINING_HOST_SIZE], unsigned *port_out, char **err)
	__attribute__((warn_unused_result));
/* Loads the CAs and works out the public address; false with *err (malloc'd) when a file named
 * in the config cannot be used. The listener's bound port is known (srv->port). */
bool joining_start(struct server *srv, char **err) __attribute__((warn_unused_result));
void joining_stop(struct server *srv);
/* Whether addr has used up its wrong secrets for now; *wait_s: seconds until it may try again. */
bool joining_throttled(struct server *srv, const struct conn_addr *addr, uint64_t now_ms, unsigned *wait_s);
/* A wrong (or used, cancelled, expired) secret from addr. */
void joining_failed(struct server *srv, const struct conn_addr *addr, uint64_t now_ms);

#endif
