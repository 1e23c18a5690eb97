/* rpc.c - a request's way through the daemon (see rpc.h):
 * conn.c decodes -> rpc_dispatch -> route.c picks the pool -> a database connection ->
 * session.c: who sent it -> rpc_run: auth.c's gate -> handlers/<family>.c -> reply.c -> conn.c writes. */
#include "rpc.h"

#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "handlers/validate.h"
#include "log.h"
#include "reply.h"
#include "route.h"
#include "server.h"
#include "session.h"
#include "xmalloc.h"

void rpc_new_rid(char out[RPC_RID_MAX])
{
	static char prefix[11];
	static uint64_t counter;
	if (prefix[0] == '\0') {
		uint8_t b[5];
		if (RAND_bytes(b, sizeof b) != 1) {
			ERR_clear_error();
			uint64_t x = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid() << 20 ^ (uint64_t)clock();
			memcpy(b, &x, sizeof b);
		}
		snprintf(prefix, sizeof prefix, "%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4]);
	}
	snprintf(out, RPC_RID_MAX, "%s.%" PRIu64, prefix, ++counter);
}

int64_t rpc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- before dispatch */

const char *rpc_kind_name(uint32_t kind)
{
	const struct method *m = method_for(kind);
	return m ? m->name : NULL;
}

const char *rpc_kind_doing(uint32_t kind)
{
	const struct method *m = method_for(kind);
	return m ? m->doing : NULL;
}

bool rpc_admit(const struct conn *c, uint32_t kind, size_t len, struct conn_verdict *v)
{
	const struct config *cfg = c->tab->cfg;
	const struct method *m = method_for(kind);
	if (len > method_request_cap(m, cfg)) {
		v->why = CONN_REQ_MAX_REQUEST_BYTES;
		v->code = PLANREG__V1__CODE__RESOURCE_EXHAUSTED;
		v->reason = "request_too_large";
		snprintf(v->message, sizeof v->message,
			 "the request (%s) is %zu bytes, above max_request_bytes (%d); only importing a plan or "
			 "submitting a return may send more (up to max_frame_bytes, %d)",
			 m ? m->doing : "of a kind this server does not know", len, cfg->max_request_bytes,
			 cfg->max_frame_bytes);
		return false;
	}
	if (c->anonymous && (m == NULL || !m->anonymous)) {
		v->why = CONN_REQ_ROLE_NOT_ALLOWED;
		v->code = PLANREG__V1__CODE__UNAUTHENTICATED;
		v->reason = "certificate_required";
		snprintf(
			v->message, sizeof v->message,
			"this connection has no client certificate, and %s needs one: set PLANREG_CERT and PLANREG_KEY "
			"(or cert and key in client.conf), or join with an invitation code (`planreg join CODE`)",
			m ? m->doing : "a request of this kind");
		return false;
	}
	const char *who;
	if (!auth_request_allowed(&c->principal, m, &who)) {
		/* the decision rpc_run makes after decoding, made before: never decode what cannot run */
		v->why = CONN_REQ_ROLE_NOT_ALLOWED;
		v->code = PLANREG__V1__CODE__PERMISSION_DENIED;
		v->reason = "role_not_allowed";
		snprintf(v->message, sizeof v->message, "%s needs the role %s; credential %s has role %s", m->doing,
			 who, c->principal.credential, values_role_name(c->principal.role));
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- the call */

static struct rpc_call *rpc_call_new(struct conn *c, Planreg__V1__Request *req)
{
	struct rpc_call *call = xcalloc(1, sizeof *call);
	call->conn = c;
	call->srv = c->tab->owner;
	call->req = req;
	call->id = req->id;
	rpc_new_rid(call->rid);
	planreg__v1__status__init(&call->status);
	gettimeofday(&call->started, NULL);
	conn_ref(c);
	return call;
}

void rpc_finish(struct rpc_call *call)
{
	struct conn *c = call->conn;
	if (call->db)
		db_release(call->db);
	if (call->cleanup)
		call->cleanup(call->state);
	decode_free(&call->req->base); /* the allocator conn.c decoded it with */
	arena_free(&call->arena);
	if (call->route.ryw_timer)
		event_free(call->route.ryw_timer);
	conn_request_done(c, call->decoded);
	conn_unref(c);
	free(call);
}

void rpc_run(struct rpc_call *call)
{
	if (call->conn->anonymous && !call->method->anonymous) { /* rpc_admit refused it already: never run */
		reply_error(call, PLANREG__V1__CODE__UNAUTHENTICATED, "certificate_required",
			    "this connection has no client certificate");
		return;
	}
	const char *who;
	if (!auth_request_allowed(&call->principal, call->method, &who)) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "role_not_allowed",
			    "%s needs the role %s; credential %s has role %s", call->method->doing, who,
			    call->principal.credential, values_role_name(call->principal.role));
		return;
	}
	if (call->method->idempotent &&
	    !validate_text(call, "idempotency_key", call->req->idempotency_key, 200, VALIDATE_REQUIRED)) {
		reply_violations(call, "idempotency_key_required");
		return;
	}
	call->method->handler(call);
}

/* A database connection for the call, or none (why in error). */
static void rpc_have_db(struct db_conn *dc, bool exhausted, const char *error, void *arg)
{
	struct rpc_call *call = arg;
	log_set_request(call->rid);
	if (dc == NULL && call->route.on_replica) {
		/* the replica is down or busy: reads still work, on the primary */
		log_info("replica_unavailable", "conn=%llu error=%s", (unsigned long long)call->conn->id, log_q(error));
		route_read_on_primary(call, NULL);
	} else if (dc == NULL && exhausted) {
		reply_error(call, PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "server_busy",
			    "the server is busy (%s); try again shortly", error);
	} else if (dc == NULL) {
		reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "database_unavailable", "%s; try again shortly",
			    error);
	} else {
		call->db = dc;
		if (call->route.on_replica)
			route_replica_start(call); /* the cached principal stands; read-your-writes, then rpc_run */
		else
			session_check(call); /* the principal, cached or looked up, then rpc_run */
	}
	log_set_request(NULL);
}

void rpc_acquire(struct rpc_call *call, struct db_pool *pool)
{
	db_pool_acquire(pool, rpc_have_db, call);
}

void rpc_dispatch(struct conn *c, Planreg__V1__Request *req, size_t decoded)
{
	struct rpc_call *call = rpc_call_new(c, req);
	call->decoded = decoded;
	log_set_request(call->rid);
	call->method = method_for(req->body_case);
	if (call->method == NULL)
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "unknown_request",
			    "request type %d is not one this server knows (upgrade planregd or planreg?)",
			    (int)req->body_case);
	else
		rpc_acquire(call, route_pool_for(call));
	log_set_request(NULL);
}

/* ---------------------------------------------------------------- arena helpers */

char *rpc_strdup(struct rpc_call *call, const char *s)
{
	return arena_strdup(&call->arena, s ? s : "");
}

char *rpc_printf(struct rpc_call *call, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = arena_vprintf(&call->arena, fmt, ap);
	va_end(ap);
	return s;
}
