/* route.h - where a request runs when a streaming replica serves reads (read_db_dsn,
 * docs/scale-out.md): a read on the replica unless that could show a client less than it
 * wrote (read-your-writes), everything else on the primary. State: struct rpc_route in the
 * call; the connection's last write position in struct conn. */
#ifndef PLANREG_ROUTE_H
#define PLANREG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc.h"

struct server;

/* Makes the replica pool when read_db_dsn is set, and frees it. */
void route_start(struct server *srv);
void route_stop(struct server *srv);

/* The pool a new call leases from; sets call->route.on_replica. */
struct db_pool *route_pool_for(struct rpc_call *call);
/* A read leased a replica connection: waits (bounded) until the replica has replayed the
 * connection's last write, then rpc_run; or moves the read to the primary. */
void route_replica_start(struct rpc_call *call);
/* Gives up the replica for the primary (why: "fallback", or NULL when the replica failed). */
void route_read_on_primary(struct rpc_call *call, const char *why);
/* Before a write's reply: true when it asked the primary for its WAL position first (the
 * reply then goes out from that query's callback, through reply_send_now). */
bool route_hold_reply(struct rpc_call *call, void *body);
/* The call is answered: counts where it ran and writes "db=... [ryw=... ryw_ms=...]" for its log line. */
void route_finished(struct rpc_call *call, char *out, size_t n);
/* A write's position for Response.write_position ("16/B374D848"), or "" when none is known. */
void route_write_position(const struct rpc_call *call, char out[32]);
/* A statement failed on the replica in a way the primary would not (the replica went away, or a
 * recovery conflict cancelled it): true when the call starts again on the primary (once). */
bool route_retry_on_primary(struct rpc_call *call, const PGresult *res);

#endif
