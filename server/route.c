/* route.c - reads on the replica with read-your-writes (see route.h).
 *
 * A read runs on the replica when one is configured and answering, the connection's cached
 * principal stands (credential lookups run on the primary), and no write of the connection
 * left its reads on the primary. A write's reply first learns where the primary's WAL ends
 * (one more round trip on the connection it used); the connection's reads after the answer
 * wait until the replica has replayed that far: they ask the replica again 2, 4 ... 50 ms
 * apart for at most read_db_wait_ms, then run on the primary instead. A position once seen
 * on a replica session is remembered there, so later reads need not ask. */
#include "route.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "reply.h"
#include "result.h"
#include "server.h"
#include "session.h"

/* After a write, where the primary's WAL ends: at or past the write's commit record. */
static const char SQL_WAL_LSN[] = "SELECT pg_current_wal_insert_lsn()::text";
enum { LSN_POSITION }; /* the one column of both */
/* How far a standby has replayed (a server that is not one: where its WAL ends). */
static const char SQL_REPLAY_LSN[] = "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
				     " ELSE pg_current_wal_lsn() END)::text";

/* A read waiting for the replica asks again after this long, doubling up to ROUTE_POLL_MAX_MS. */
#define ROUTE_POLL_MIN_MS 2
#define ROUTE_POLL_MAX_MS 50

void route_start(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	if (cfg->read_db_dsn[0] == '\0')
		return;
	struct db_pool_settings ps;
	config_pool_settings(cfg, cfg->read_db_dsn, cfg->read_db_pool_size, &ps);
	srv->read_pool = db_pool_new(srv->base, &ps);
	log_info("read_pool", "size=%d read_db_wait_ms=%d", cfg->read_db_pool_size, cfg->read_db_wait_ms);
}

void route_stop(struct server *srv)
{
	db_pool_free(srv->read_pool);
	srv->read_pool = NULL;
}

struct db_pool *route_pool_for(struct rpc_call *call)
{
	struct server *srv = call->srv;
	call->route.on_replica = srv->read_pool != NULL && call->method->replica && !call->conn->reads_on_primary &&
				 session_principal_fresh(call->conn) && db_pool_healthy(srv->read_pool);
	return call->route.on_replica ? srv->read_pool : srv->pool;
}

/* "X/Y" (pg_lsn as text) as a number; 0 when it is not one. */
static uint64_t route_parse_lsn(const char *s)
{
	unsigned int hi, lo;
	char end;
	if (s == NULL || sscanf(s, "%X/%X%c", &hi, &lo, &end) != 2)
		return 0;
	return (uint64_t)hi << 32 | lo;
}

void route_read_on_primary(struct rpc_call *call, const char *why)
{
	if (call->db != NULL)
		db_release(call->db);
	call->db = NULL;
	call->route.on_replica = false;
	if (why != NULL)
		call->route.ryw = why;
	rpc_acquire(call, call->srv->pool);
}

static void route_replica_check(struct rpc_call *call, bool ask_now);

static void route_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	route_replica_check(call, true);
	log_set_request(NULL);
}

static void route_have_replay_lsn(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		db_conn_set_seen_lsn(dc, route_parse_lsn(result_value(res, 0, LSN_POSITION)));
		route_replica_check(call, false);
	} else {
		log_warn("replica_failed", "conn=%llu error=%s", (unsigned long long)call->conn->id,
			 log_q(res ? PQresultErrorMessage(res) : error));
		route_read_on_primary(call, "fallback");
	}
	log_set_request(NULL);
}

/* The replica has replayed the connection's write: the read runs, unless a revocation was
 * heard while it waited (then the lookup, and the read, go to the primary). */
static void route_replica_caught_up(struct rpc_call *call)
{
	if (call->route.ryw_started_ms != 0) {
		call->route.ryw = "waited";
		if (!session_principal_fresh(call->conn)) {
			route_read_on_primary(call, NULL);
			return;
		}
	}
	rpc_run(call);
}

/* Not yet replayed: pause (2, 4 ... 50 ms, never past the deadline) before asking again. */
static void route_pause(struct rpc_call *call, int64_t waited, int64_t left)
{
	int64_t pause = ROUTE_POLL_MIN_MS;
	while (pause < waited && pause < ROUTE_POLL_MAX_MS)
		pause *= 2;
	if (pause > left)
		pause = left;
	struct timeval tv = {(time_t)(pause / 1000), (suseconds_t)(pause % 1000) * 1000};
	evtimer_add(call->route.ryw_timer, &tv);
}

/* The position a read must see on the replica: its connection's last write, or the client's last
 * write on any connection (Request.read_after), whichever is later. */
static uint64_t route_wanted_lsn(const struct rpc_call *call)
{
	uint64_t want = call->conn->written_lsn;
	uint64_t told = route_parse_lsn(call->req->read_after);
	return told > want ? told : want;
}

/* ask_now: ask the replica rather than pause first (the first time, and when a pause is over). */
static void route_replica_check(struct rpc_call *call, bool ask_now)
{
	uint64_t want = route_wanted_lsn(call);
	if (want == 0 || db_conn_seen_lsn(call->db) >= want) {
		route_replica_caught_up(call);
		return;
	}
	struct server *srv = call->srv;
	int64_t now = rpc_now_ms();
	if (call->route.ryw_started_ms == 0) {
		call->route.ryw_started_ms = now;
		srv->metrics.ryw_waits++;
	}
	int64_t waited = now - call->route.ryw_started_ms, left = srv->cfg->read_db_wait_ms - waited;
	if (left <= 0) {
		srv->metrics.ryw_fallbacks++;
		log_info("ryw_fallback", "conn=%llu waited_ms=%lld want_lsn=%" PRIx64 " seen_lsn=%" PRIx64,
			 (unsigned long long)call->conn->id, (long long)waited, want, db_conn_seen_lsn(call->db));
		route_read_on_primary(call, "fallback");
	} else if (!ask_now) {
		route_pause(call, waited, left);
	} else if (!db_query(call->db, SQL_REPLAY_LSN, 0, NULL, route_have_replay_lsn, call)) {
		route_read_on_primary(call, "fallback");
	}
}

void route_replica_start(struct rpc_call *call)
{
	if (!session_principal_fresh(call->conn)) {
		/* a revocation was heard while it waited for the connection: the lookup runs on the primary */
		route_read_on_primary(call, NULL);
		return;
	}
	call->principal = call->conn->principal;
	if (call->route.ryw_timer == NULL)
		call->route.ryw_timer = evtimer_new(call->srv->base, route_poll, call);
	route_replica_check(call, true);
}

/* The primary's WAL position after a write: the connection's reads on the replica wait for it. */
static void route_have_write_lsn(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	struct conn *c = call->conn;
	uint64_t lsn = 0;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		lsn = route_parse_lsn(result_value(res, 0, LSN_POSITION));
	if (lsn == 0) {
		/* the write may have happened; its reads cannot be matched with the replica now */
		c->reads_on_primary = true;
		log_warn("ryw_position_unknown", "conn=%llu error=%s", (unsigned long long)c->id,
			 log_q(res ? PQresultErrorMessage(res) : error));
	} else if (lsn > c->written_lsn) {
		c->written_lsn = lsn;
	}
	call->route.wrote_lsn = lsn;
	reply_send_now(call, call->route.held_body);
	log_set_request(NULL);
}

bool route_hold_reply(struct rpc_call *call, void *body)
{
	if (call->srv->read_pool == NULL || call->method == NULL || !call->method->writes || call->db == NULL ||
	    call->route.on_replica || call->route.lsn_asked || db_conn_txn_failed(call->db))
		return false;
	call->route.lsn_asked = true;
	call->route.held_body = body;
	if (db_query(call->db, SQL_WAL_LSN, 0, NULL, route_have_write_lsn, call))
		return true;
	call->conn->reads_on_primary = true;
	return false;
}

void route_finished(struct rpc_call *call, char *out, size_t n)
{
	struct server *srv = call->srv;
	if (call->method && call->method->replica && srv->read_pool && call->db)
		call->route.on_replica ? srv->metrics.reads_replica++ : srv->metrics.reads_primary++;
	const char *db = call->db == NULL ? "-" : call->route.on_replica ? "replica" : "primary";
	if (call->route.ryw)
		snprintf(out, n, "db=%s ryw=%s ryw_ms=%lld", db, call->route.ryw,
			 call->route.ryw_started_ms ? (long long)(rpc_now_ms() - call->route.ryw_started_ms) : 0LL);
	else
		snprintf(out, n, "db=%s", db);
}

void route_write_position(const struct rpc_call *call, char out[32])
{
	uint64_t lsn = call->route.wrote_lsn;
	if (lsn == 0)
		out[0] = '\0';
	else
		snprintf(out, 32, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

/* Failures of the replica itself: its connection lost, it shutting down, or a query cancelled by
 * a conflict with recovery (40001 on a standby); the same statement on the primary would run. */
static bool route_replica_fault(const PGresult *res)
{
	if (res == NULL)
		return true;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 ||
				 strcmp(state, "40001") == 0 || strcmp(state, "55P03") == 0);
}

bool route_retry_on_primary(struct rpc_call *call, const PGresult *res)
{
	if (!call->route.on_replica || call->route.retried || !route_replica_fault(res))
		return false;
	log_warn("replica_failed", "conn=%llu method=%s error=%s retry=primary", (unsigned long long)call->conn->id,
		 call->method->name, log_q(res ? PQresultErrorMessage(res) : "connection lost"));
	/* the handler starts again from nothing: it has sent nothing, and a read changed nothing */
	call->route.retried = true;
	call->srv->metrics.reads_retried++;
	if (call->cleanup)
		call->cleanup(call->state);
	call->cleanup = NULL;
	call->state = NULL;
	call->next = NULL;
	planreg__v1__status__init(&call->status);
	route_read_on_primary(call, "retried");
	return true;
}
