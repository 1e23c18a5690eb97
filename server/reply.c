/* reply.c - every answer the daemon sends (see reply.h). */
#include "reply.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "period.h"
#include "route.h"
#include "server.h"
#include "text.h"
#include "xmalloc.h"

/* ---------------------------------------------------------------- UTF-8 on the way out */

/* A Status string replaced for the wire, and what to put back. */
struct reply_fixup {
	char **slot; /* NULL ends the list */
	char *original;
};

/* The i-th string of st: message, reason, then each violation's field and description. */
static char **reply_status_slot(Planreg__V1__Status *st, size_t i)
{
	if (i == 0)
		return &st->message;
	if (i == 1)
		return &st->reason;
	Planreg__V1__FieldViolation *v = st->violations[(i - 2) / 2];
	return i % 2 == 0 ? &v->field : &v->description;
}

/*
 * Makes every string of st valid UTF-8 in place, U+FFFD for each bad byte:
 * Status.message echoes request text and may be cut mid-character by a fixed
 * buffer. Returns what reply_status_restore puts back (NULL when all was fine).
 */
static struct reply_fixup *reply_status_sanitize(Planreg__V1__Status *st)
{
	if (st == NULL)
		return NULL;
	size_t n = 2 + 2 * st->n_violations, used = 0;
	struct reply_fixup *fx = NULL;
	for (size_t i = 0; i < n; i++) {
		char **slot = reply_status_slot(st, i);
		if (*slot == NULL)
			continue;
		size_t len = strlen(*slot);
		if (text_utf8_valid(*slot, len, NULL))
			continue;
		if (fx == NULL)
			fx = xcalloc(n + 1, sizeof *fx);
		char *fixed = xmalloc(3 * len + 1);
		text_sanitize_utf8(*slot, len, fixed, 3 * len + 1);
		fx[used].slot = slot;
		fx[used].original = *slot;
		used++;
		*slot = fixed;
	}
	return fx;
}

static void reply_status_restore(struct reply_fixup *fixups)
{
	for (struct reply_fixup *f = fixups; f != NULL && f->slot != NULL; f++) {
		free(*f->slot);
		*f->slot = f->original;
	}
	free(fixups);
}

/* ---------------------------------------------------------------- pages */

bool reply_page_fits(const struct rpc_call *call, size_t *used, size_t packed_size)
{
	size_t max = (size_t)call->srv->cfg->max_frame_bytes;
	size_t room = max > 2 * REPLY_ENVELOPE_BYTES ? max - REPLY_ENVELOPE_BYTES : max / 2;
	size_t item = packed_size + 1 + 5; /* the field's tag and the item's length */
	if (*used > 0 && *used + item > room)
		return false;
	*used += item;
	return true;
}

bool reply_page_add(struct rpc_call *call, size_t *used, void *items_ptr, size_t *n, ProtobufCMessage *item)
{
	if (!reply_page_fits(call, used, protobuf_c_message_get_packed_size(item)))
		return false;
	*(ProtobufCMessage **)arena_push(&call->arena, items_ptr, n, sizeof item) = item;
	return true;
}

/* ---------------------------------------------------------------- frames */

/* Packs resp into a frame and queues it; one that will not fit becomes RESOURCE_EXHAUSTED. */
static void reply_send(struct conn *c, Planreg__V1__Response *resp)
{
	struct reply_fixup *fixups = reply_status_sanitize(resp->status);
	/* every answer says how this deployment names its quarters, so a client names them so too (period.h); a
	 * calendar year is left out (0), so those answers are byte for byte what they were before the setting */
	int year = c->tab->cfg->year_start_month;
	resp->year_start_month = year == PERIOD_YEAR_JANUARY ? 0 : year;
	size_t max = (size_t)c->tab->cfg->max_frame_bytes;
	size_t n = planreg__v1__response__get_packed_size(resp);
	if (n > max) {
		Planreg__V1__Status st = PLANREG__V1__STATUS__INIT;
		char msg[160];
		snprintf(msg, sizeof msg,
			 "the answer is %zu bytes, above max_frame_bytes %zu; ask for less (page_size)", n, max);
		st.code = PLANREG__V1__CODE__RESOURCE_EXHAUSTED;
		st.message = msg;
		st.reason = "response_too_large";
		Planreg__V1__Response small = PLANREG__V1__RESPONSE__INIT;
		small.id = resp->id;
		small.status = &st;
		small.year_start_month = resp->year_start_month;
		reply_send(c, &small);
		reply_status_restore(fixups);
		return;
	}
	uint8_t *frame = xmalloc(FRAME_HEADER_BYTES + n);
	frame_put_header(frame, (uint32_t)n);
	planreg__v1__response__pack(resp, frame + FRAME_HEADER_BYTES);
	reply_status_restore(fixups);
	conn_send_frame(c, frame, FRAME_HEADER_BYTES + n);
	free(frame);
}

static void reply_count_code(struct server *srv, status_code code)
{
	srv->metrics.responses_by_code[code < 17 ? code : 13]++;
}

/* A Response that carries only a Status (and a fresh request id): refusals and connection errors. */
static void reply_status_only(struct conn *c, uint64_t id, Planreg__V1__Status *st, char rid[RPC_RID_MAX])
{
	rpc_new_rid(rid);
	Planreg__V1__Response resp = PLANREG__V1__RESPONSE__INIT;
	resp.id = id;
	resp.status = st;
	resp.request_id = rid;
	reply_send(c, &resp);
	reply_count_code(c->tab->owner, st->code);
}

void reply_connection_error(struct conn *c, status_code code, const char *reason, const char *message)
{
	Planreg__V1__Status st = PLANREG__V1__STATUS__INIT;
	st.code = code;
	st.message = (char *)message;
	st.reason = (char *)reason;
	char rid[RPC_RID_MAX];
	reply_status_only(c, 0, &st, rid);
	log_set_request(rid);
	log_info("connection_error", "conn=%llu code=%s reason=%s", (unsigned long long)c->id, status_code_name(code),
		 reason);
	log_set_request(NULL);
}

void reply_refuse(struct conn *c, uint64_t id, uint32_t kind, status_code code, const char *reason, const char *field,
		  const char *message)
{
	Planreg__V1__Status st = PLANREG__V1__STATUS__INIT;
	st.code = code;
	st.message = (char *)message;
	st.reason = (char *)reason;
	Planreg__V1__FieldViolation v = PLANREG__V1__FIELD_VIOLATION__INIT;
	Planreg__V1__FieldViolation *vs[1] = {&v};
	if (field != NULL) {
		v.field = (char *)field;
		v.description = (char *)message;
		st.violations = vs;
		st.n_violations = 1;
	}
	char rid[RPC_RID_MAX];
	reply_status_only(c, id, &st, rid);
	struct server *srv = c->tab->owner;
	srv->metrics.requests++;
	const char *name = rpc_kind_name(kind);
	log_set_request(rid);
	log_info("request", "conn=%llu id=%" PRIu64 " method=%s cred=%s code=%s us=0 decoded=no reason=%s message=%s",
		 (unsigned long long)c->id, id, name ? name : "-",
		 c->principal.credential[0] ? c->principal.credential : "-", status_code_name(code), reason,
		 log_q(message));
	log_set_request(NULL);
}

/* ---------------------------------------------------------------- a call's reply */

/* Puts body in resp as the oneof member of the call's kind (the Response's has the Request's number). */
static void reply_set_body(struct rpc_call *call, Planreg__V1__Response *resp, void *body)
{
	if (body == NULL || call->status.code != PLANREG__V1__CODE__OK || call->method == NULL)
		return;
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(&planreg__v1__response__descriptor,
										    (unsigned)call->method->kind);
	if (f == NULL)
		return;
	resp->body_case = (Planreg__V1__Response__BodyCase)call->method->kind;
	*(void **)((char *)resp + f->offset) = body;
}

/* Counts the call and writes its one `event=request` line. */
static void reply_log(struct rpc_call *call)
{
	struct conn *c = call->conn;
	struct timeval now, d;
	gettimeofday(&now, NULL);
	timersub(&now, &call->started, &d);
	long long us = (long long)d.tv_sec * 1000000 + d.tv_usec;
	struct server_metrics *m = &call->srv->metrics;
	m->requests++;
	m->request_us_total += (uint64_t)us;
	reply_count_code(call->srv, call->status.code);
	if (call->method != NULL) {
		m->method_requests[method_index(call->method)]++;
		m->method_us[method_index(call->method)] += (uint64_t)us;
	}
	char where[64];
	route_finished(call, where, sizeof where);
	enum log_level lvl = call->status.code == PLANREG__V1__CODE__INTERNAL ? LOG_ERROR : LOG_INFO;
	log_event(lvl, "request", "conn=%llu id=%" PRIu64 " method=%s cred=%s code=%s us=%lld %s%s%s",
		  (unsigned long long)c->id, call->id, call->method ? call->method->name : "-",
		  call->principal.credential[0] ? call->principal.credential : "-", status_code_name(call->status.code),
		  us, where, call->status.code ? " message=" : "",
		  call->status.code ? log_q(call->status.message) : "");
}

void reply_send_now(struct rpc_call *call, void *body)
{
	struct conn *c = call->conn;
	Planreg__V1__Response resp = PLANREG__V1__RESPONSE__INIT;
	resp.id = call->id;
	resp.status = &call->status;
	resp.request_id = call->rid;
	char position[32];
	route_write_position(call, position);
	resp.write_position = position;
	reply_set_body(call, &resp, body);
	reply_send(c, &resp);
	/* whoever called keeps its own id afterwards (a reply sent from a timer has none) */
	char outer[RPC_RID_MAX];
	snprintf(outer, sizeof outer, "%s", log_request());
	log_set_request(call->rid);
	reply_log(call);
	if (call->close_after)
		conn_close(c, call->status.reason && call->status.reason[0] ? call->status.reason : "refused");
	rpc_finish(call);
	log_set_request(outer[0] ? outer : NULL);
}

/* With a replica, a write's reply first learns the primary's WAL position (route.c). */
static void reply_finish(struct rpc_call *call, void *body)
{
	if (!route_hold_reply(call, body))
		reply_send_now(call, body);
}

void reply_ok(struct rpc_call *call, void *body)
{
	call->status.code = PLANREG__V1__CODE__OK;
	reply_finish(call, body);
}

/* A message of a Status or a violation: formatted into the call's arena, at most REPLY_TEXT_MAX bytes. */
#define REPLY_TEXT_MAX 1023
static char *reply_text(struct rpc_call *call, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static char *reply_text(struct rpc_call *call, const char *fmt, va_list ap)
{
	char *s = arena_vprintf(&call->arena, fmt, ap);
	if (strlen(s) > REPLY_TEXT_MAX)
		s[REPLY_TEXT_MAX] = '\0';
	return s;
}

void reply_error(struct rpc_call *call, status_code code, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	call->status.message = reply_text(call, fmt, ap);
	va_end(ap);
	call->status.code = code;
	call->status.reason = rpc_strdup(call, reason ? reason : "");
	reply_finish(call, NULL);
}

void reply_violation(struct rpc_call *call, const char *field, const char *fmt, ...)
{
	Planreg__V1__FieldViolation *v =
		ARENA_NEW(&call->arena, Planreg__V1__FieldViolation, planreg__v1__field_violation__init);
	va_list ap;
	va_start(ap, fmt);
	v->description = reply_text(call, fmt, ap);
	va_end(ap);
	v->field = rpc_strdup(call, field);
	*(Planreg__V1__FieldViolation **)arena_push(&call->arena, &call->status.violations, &call->status.n_violations,
						    sizeof v) = v;
}

bool reply_has_violations(const struct rpc_call *call)
{
	return call->status.n_violations > 0;
}

void reply_violations(struct rpc_call *call, const char *reason)
{
	size_t n = call->status.n_violations;
	Planreg__V1__FieldViolation *first = call->status.violations[0];
	char label[160];
	text_field_label(first->field, label, sizeof label); /* the field's path stays in the violation */
	if (n == 1)
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, reason, "%s: %s", label, first->description);
	else
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, reason, "%zu problems; first %s: %s", n, label,
			    first->description);
}
