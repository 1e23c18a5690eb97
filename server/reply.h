/* reply.h - answering: a call's one reply (OK with its body, or a Status with a code, a
 * machine-readable reason, a message that says what to change and field violations), the
 * answers to requests refused before dispatch, and connection-level errors. Every answer
 * goes out as one frame whose Status strings are valid UTF-8, and is counted and logged. */
#ifndef PLANREG_REPLY_H
#define PLANREG_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "rpc.h"
#include "status.h"

/* Replies OK with body as the Response's oneof member of the call's kind. */
void reply_ok(struct rpc_call *call, void *body);
void reply_error(struct rpc_call *call, status_code code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Collects one field violation; reply_violations sends them all as INVALID_ARGUMENT. */
void reply_violation(struct rpc_call *call, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool reply_has_violations(const struct rpc_call *call);
/* Size-aware pages (docs/protocol.md): whether one more item of packed_size bytes in a repeated field still
 * leaves the answer within max_frame_bytes, with REPLY_ENVELOPE_BYTES kept for the rest of the Response; adds
 * it to *used when it does. The first item always fits: alone, it is the most a page can hold. */
#define REPLY_ENVELOPE_BYTES 4096
bool reply_page_fits(const struct rpc_call *call, size_t *used, size_t packed_size) __attribute__((warn_unused_result));
/* A page's next item: pushes item onto the repeated field (*items_ptr, *n) when reply_page_fits says it fits
 * and returns true; false, adding nothing, when the page is full. */
bool reply_page_add(struct rpc_call *call, size_t *used, void *items_ptr, size_t *n, ProtobufCMessage *item)
	__attribute__((warn_unused_result));
void reply_violations(struct rpc_call *call, const char *reason);

/* Sends the call's reply at once, counts and logs it, and ends the call (route.c calls it
 * when a write's WAL position is known; everyone else goes through reply_ok/reply_error). */
void reply_send_now(struct rpc_call *call, void *body);

/* The connection hooks (conn.h): a request refused before dispatch, and a Response with id 0. */
void reply_refuse(struct conn *c, uint64_t id, uint32_t kind, status_code code, const char *reason, const char *field,
		  const char *message);
void reply_connection_error(struct conn *c, status_code code, const char *reason, const char *message);

#endif
