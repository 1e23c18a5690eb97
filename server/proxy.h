/* proxy.h - HAProxy's PROXY protocol, version 2, on the TLS listener: a connection from an
 * address in trusted_proxies starts with a binary header naming the real client, which the
 * limits, the logs and the metrics then see instead of the proxy. A connection from any other
 * address is never read as one (a client cannot claim another address).
 *
 * The header (as HAProxy's send-proxy-v2 writes it): the 12-byte signature
 * 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A; one byte version (high nibble, 2) and command (low:
 * 0 LOCAL, 1 PROXY); one byte family (high: 0 unspecified, 1 IPv4, 2 IPv6, 3 unix) and
 * transport (low: 1 stream); a 2-byte big-endian length of what follows: for IPv4 source and
 * destination addresses (4 + 4) and ports (2 + 2), for IPv6 16 + 16 + 2 + 2, then optional
 * TLVs (ignored). LOCAL (the proxy's own health check) and unspecified families keep the
 * proxy's address. */
#ifndef PLANREG_PROXY_H
#define PLANREG_PROXY_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "config.h"

#define PROXY_SIGNATURE_BYTES 12
#define PROXY_HEAD_BYTES 16
/* The longest header read: the addresses and room for a few TLVs; a longer one is refused. */
#define PROXY_MAX_BYTES 1024

/* ---------------------------------------------------------------- who may send one */

#define PROXY_TRUST_MAX 32

struct proxy_net {
	uint8_t bytes[16]; /* IPv4 as ::ffff:a.b.c.d */
	unsigned prefix;   /* leading bits that must match (0..128) */
};

struct proxy_trust {
	struct proxy_net nets[PROXY_TRUST_MAX];
	size_t n;
};

/* "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8" (commas or spaces); "" trusts nobody. False with *err
 * (malloc'd) naming the entry that is not an address or network. */
bool proxy_trust_parse(const char *spec, struct proxy_trust *t, char **err) __attribute__((warn_unused_result));
bool proxy_trusted(const struct proxy_trust *t, const struct sockaddr *sa);

/* ---------------------------------------------------------------- the header */

enum proxy_result {
	PROXY_NEED_MORE, /* *need: how many bytes the header has in all, once known (else 16) */
	PROXY_OK,
	PROXY_INVALID, /* *why says how */
};

struct proxy_header {
	bool local;                     /* LOCAL, or an unspecified family: keep the proxy's address */
	struct sockaddr_storage source; /* the client, when !local */
	size_t length;                  /* bytes the header took */
};

/* Reads a header from the first len bytes of buf. Pure: the fuzz target and the unit test call it. */
enum proxy_result proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *out, size_t *need, const char **why);

/* ---------------------------------------------------------------- connections waiting for theirs */

struct proxy_wait;

/* The header arrived: sa is the client (or the proxy, for LOCAL); peer "ip:port" for logs. */
typedef void (*proxy_ready_cb)(void *arg, int fd, const struct sockaddr *sa, const char *peer);

struct proxy_metrics {
	uint64_t accepted;  /* connections from a trusted proxy */
	uint64_t headers;   /* headers read whole */
	uint64_t invalid;   /* refused: not a PROXY v2 header, or a bad one */
	uint64_t timeouts;  /* refused: the header did not arrive within handshake_timeout_ms */
	uint64_t displaced; /* closed to make room: max_handshakes connections were waiting for theirs */
};

/* The connections from trusted proxies whose header has not arrived yet (at most max_handshakes). */
struct proxy_waits {
	struct event_base *base;
	const struct config *cfg;
	proxy_ready_cb ready;
	void *arg;
	TAILQ_HEAD(, proxy_wait) list; /* oldest first */
	unsigned n;
	struct proxy_metrics metrics;
};

void proxy_waits_init(struct proxy_waits *w, struct event_base *base, const struct config *cfg, proxy_ready_cb ready,
		      void *arg);
void proxy_waits_free(struct proxy_waits *w);
/* Takes a new socket from a trusted proxy: reads its header (exactly, never into the TLS bytes
 * after it) under handshake_timeout_ms, then hands the socket to ready with the client's address. */
void proxy_accept(struct proxy_waits *w, int fd, const struct sockaddr *sa, const char *peer);

/* "ip:port" of sa. */
void proxy_format_peer(const struct sockaddr *sa, char *out, size_t n);

#endif
