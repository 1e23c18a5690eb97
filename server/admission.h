/* admission.h - the limits a new socket meets at accept, as pure decisions over the
 * connection table: how many may be open, from one address, and still unauthenticated; and
 * which unauthenticated connection a newcomer may replace. conn_accept applies the verdict. */
#ifndef PLANREG_ADMISSION_H
#define PLANREG_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conn.h"

/* A handshake that has sent no byte for this long may be evicted for a newcomer. */
#define ADMISSION_EVICT_SILENT_MS 200
/* Any handshake under way this long (at most handshake_timeout_ms / 2) may be evicted for a newcomer. */
#define ADMISSION_EVICT_STALLED_MS 1000

/* Connections still in the handshake or authenticating may hold at most this
 * many slots: min(max_handshakes, max_connections - max_connections / 4), at least 1. */
unsigned admission_unauth_limit(const struct config *cfg);

/* The address as the per-address limit counts it (IPv4, or IPv6 by its /64), and its seeded hash. */
void admission_addr_key(const struct sockaddr *sa, struct conn_addr *a);
uint32_t admission_addr_hash(uint32_t seed, const struct conn_addr *a);
/* Open connections from a (h its hash). */
unsigned admission_addr_count(const struct conn_table *tab, const struct conn_addr *a, uint32_t h);

struct admission {
	bool admit;
	enum conn_refusal refused; /* when !admit */
	unsigned limit;            /* the limit that refused it */
	struct conn *victim;       /* when admit: close this one first to make room (or NULL) */
};

/* What to do with a newcomer from address a (hash h) at now (monotonic ms). */
void admission_decide(const struct conn_table *tab, const struct conn_addr *a, uint32_t h, uint64_t now,
		      struct admission *out);

/* The unauthenticated connection a newcomer may replace when the budget is full, or NULL:
 * the oldest handshake silent for ADMISSION_EVICT_SILENT_MS, else the oldest one under way for
 * ADMISSION_EVICT_STALLED_MS (or half of handshake_timeout_ms, if less). Never one that is
 * authenticating (it showed a valid certificate; its lookup is bounded). */
struct conn *admission_pick_victim(const struct conn_table *tab, uint64_t now);
/* The same choice among the connections from address a (h its hash) only. */
struct conn *admission_pick_victim_at(const struct conn_table *tab, const struct conn_addr *a, uint32_t h,
				      uint64_t now);

#endif
