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
void reply_violations(struct rpc_call *call, const char *reason);

/* Sends the call's reply at once, counts and logs it, and ends the call (route.c calls it
 * when a write's WAL position is known; everyone else goes through reply_ok/reply_error). */
void reply_send_now(struct rpc_call *call, void *body);

/* The connection hooks (conn.h): a request refused before dispatch, and a Response with id 0. */
void reply_refuse(struct conn *c, uint64_t id, uint32_t kind, status_code code, const char *reason, const char *field,
		  const char *message);
void reply_connection_error(struct conn *c, status_code code, const char *reason, const char *message);

#endif
