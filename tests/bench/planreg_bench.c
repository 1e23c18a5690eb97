/* planreg_bench.c - load generator for planregd: N mutual-TLS planreg/1 connections, each keeping D requests
 * in flight, for a duration or a request count; latency percentiles, errors by code; idle-connection memory
 * (--idle with --pid) and TLS handshake rates, full and resumed (--handshakes); proofs of the verifiable log
 * served per second, every Nth one checked (--workload proofs). Loopback benchmarking only: every loop is bounded
 * by a duration, a count or a deadline. tests/bench/run.sh drives it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "checkpoint.h"
#include "frame.h"
#include "merkle.h"
#include "note.h"
#include "planreg.pb-c.h"
#include "submitsig.h"

#define BENCH_ALPN "planreg/1"
#define BENCH_MAX_DEPTH 1024
#define BENCH_MAX_RESPONSE (64 * 1024 * 1024)
#define BENCH_GRACE_S 10       /* after the duration: longest wait for answers still in flight */
#define BENCH_IDLE_SETUP_S 120 /* longest time to open the idle connections */
#define BENCH_IDLE_BATCH 32    /* idle connections being set up at once (the daemon caps handshakes) */
#define BENCH_LOG_WINDOW 1000  /* proofs: the first leaves fetched, whose heads check consistency proofs */
#define BENCH_LOG_SAMPLES 64   /* proofs: leaves fetched at random indices, to check inclusion proofs of */
#define BENCH_BAD_PROOF 31     /* by_code's slot for an answer whose proof does not verify */

enum workload { WL_WHOAMI, WL_GET, WL_LIST, WL_SUBMIT, WL_STATUS, WL_MIXED, WL_PROOFS };
static const char *const workload_names[] = {"whoami", "get", "list", "submit", "status", "mixed", "proofs"};
#define BENCH_WORKLOADS ((int)(sizeof workload_names / sizeof *workload_names))

struct opts {
	char host[256], port[32];
	const char *cert, *key, *ca, *period;
	int connections, depth, refs, idle, handshakes, check_every;
	enum workload wl;
	double duration;
	long requests;
	long pid;
	bool json;
};

/* What the answer to a proofs request is checked against: nothing, the leaf at log.leaf_* [arg], or the head of the
 * tree of arg leaves. */
enum proof_check { CHECK_NONE, CHECK_INCLUSION, CHECK_CONSISTENCY };

/* One in-flight request: its id, when its first byte was queued, and what its proof is checked against. */
struct slot {
	uint64_t id;
	double sent;
	enum proof_check check;
	uint64_t arg;
};

/* --workload proofs: the signed checkpoint the proofs are asked under, and what they are checked with. */
struct bench_log {
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t window;                   /* leaves [0, window) fetched, */
	uint8_t (*heads)[MERKLE_HASH_LEN]; /* heads[m - 1]: the head of the first m of them */
	size_t n_leaves;                   /* those and BENCH_LOG_SAMPLES more: index and leaf hash */
	uint64_t *leaf_index;
	uint8_t (*leaf_hash)[MERKLE_HASH_LEN];
	long inclusion, consistency, checked, bad;
	uint64_t rng;
};

struct bench;

struct bconn {
	struct bench *b;
	struct bufferevent *bev;
	int index;
	bool idle, connected, done, failed;
	uint64_t next_id;
	int inflight;
	struct slot slots[BENCH_MAX_DEPTH];
};

struct bench {
	const struct opts *o;
	struct event_base *base;
	SSL_CTX *ctx;
	struct bconn *conns; /* o->connections workload connections */
	struct bconn *idles; /* o->idle idle connections */
	int idle_opened, idle_ok, idle_failed, idle_pending, idle_lost;
	bool stopping;
	double started, stopped;
	long sent, completed;
	long errors, transport_errors;
	long by_code[32];
	double *lat; /* milliseconds, one per completed request; owned here */
	size_t n_lat, cap_lat;
	uint64_t seq; /* idempotency keys */
	int open_conns;
	struct bench_log log;
	struct event *stop_ev, *grace_ev, *idle_ev;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "planreg-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *bench_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "planreg-bench: out of memory\n");
		abort();
	}
	return p;
}

/* ---------------------------------------------------------------- requests */

/* A return is signed with the key of the bench's certificate, as the CLI signs it (docs/verifiable-log.md,
 * "Signed by their submitters"): the daemon refuses one that is not. */
static void bench_sign(struct bench *b, const Planreg__V1__Request *req, Planreg__V1__SubmitUpdateRequest *submit)
{
	struct buf msg = {0};
	if (req->body_case == PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE && submitsig_request_message(req, &msg))
		submit->signature.data =
			submitsig_sign(SSL_CTX_get0_privatekey(b->ctx), msg.data, msg.len, &submit->signature.len);
	buf_free(&msg);
}

/* req as a frame (header + Request), malloc'd. */
static uint8_t *bench_pack(const Planreg__V1__Request *req, size_t *len)
{
	size_t body = planreg__v1__request__get_packed_size(req);
	uint8_t *frame = bench_xmalloc(FRAME_HEADER_BYTES + body);
	frame_put_header(frame, (uint32_t)body);
	planreg__v1__request__pack(req, frame + FRAME_HEADER_BYTES);
	*len = FRAME_HEADER_BYTES + body;
	return frame;
}

/* xorshift64: the proofs' random indices (seeded from the clock; the figure does not depend on the draw). */
static uint64_t bench_rand(struct bench_log *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng;
}

/* The proofs workload's request number seq into req: an inclusion proof of a random leaf under the checkpoint, one
 * in 8 a consistency proof from a random older size; every --check-every-th one of a leaf or a size the bench knows
 * the hash of, which slot remembers, so that its answer is verified. */
static void bench_proof_request(struct bench *b, uint64_t seq, struct slot *slot, Planreg__V1__Request *req,
				Planreg__V1__GetInclusionProofRequest *incl,
				Planreg__V1__GetConsistencyProofRequest *cons)
{
	struct bench_log *l = &b->log;
	uint64_t every = (uint64_t)b->o->check_every, r = bench_rand(l);
	bool checked = slot != NULL && seq % every == 0;
	if ((checked ? seq / every : seq) % 8 == 7) {
		cons->old_size = 1 + r % (checked ? l->window : l->size);
		cons->new_size = l->size;
		req->body_case = PLANREG__V1__REQUEST__BODY_GET_CONSISTENCY_PROOF;
		req->get_consistency_proof = cons;
		l->consistency++;
	} else {
		incl->index = checked ? l->leaf_index[r % l->n_leaves] : r % l->size;
		incl->size = l->size;
		req->body_case = PLANREG__V1__REQUEST__BODY_GET_INCLUSION_PROOF;
		req->get_inclusion_proof = incl;
		l->inclusion++;
	}
	if (slot != NULL) {
		slot->check = !checked ? CHECK_NONE : cons->new_size ? CHECK_CONSISTENCY : CHECK_INCLUSION;
		slot->arg = cons->new_size ? cons->old_size : r % l->n_leaves;
	}
}

/* A packed frame (header + Request) for the workload's next request; the caller frees it. slot (NULL outside the
 * workload) is told what to check its answer against. */
static uint8_t *bench_request(struct bench *b, struct bconn *c, uint64_t id, struct slot *slot, size_t *len)
{
	const struct opts *o = b->o;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__WhoamiRequest who = PLANREG__V1__WHOAMI_REQUEST__INIT;
	Planreg__V1__GetProjectRequest get = PLANREG__V1__GET_PROJECT_REQUEST__INIT;
	Planreg__V1__ListProjectsRequest list = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	Planreg__V1__GetStatusRequest status = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	Planreg__V1__SubmitUpdateRequest submit = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	Planreg__V1__GetInclusionProofRequest incl = PLANREG__V1__GET_INCLUSION_PROOF_REQUEST__INIT;
	Planreg__V1__GetConsistencyProofRequest cons = PLANREG__V1__GET_CONSISTENCY_PROOF_REQUEST__INIT;
	Planreg__V1__UpdateContent content = PLANREG__V1__UPDATE_CONTENT__INIT;
	char key[96], narrative[96];
	Planreg__V1__Date baseline = PLANREG__V1__DATE__INIT, forecast = PLANREG__V1__DATE__INIT;
	baseline.iso = "2026-09-30";
	forecast.iso = "2026-12-31";
	Planreg__V1__Milestone milestone = PLANREG__V1__MILESTONE__INIT;
	milestone.title = "Bench milestone";
	milestone.baseline = &baseline;
	milestone.forecast = &forecast;
	Planreg__V1__Milestone *ms[1] = {&milestone};
	char *risks[1] = {"Bench risk"};
	req.id = id;
	enum workload wl = o->wl;
	if (c == NULL || c->idle)
		wl = WL_WHOAMI;
	else if (wl == WL_MIXED)
		wl = (b->seq * 7 + (uint64_t)c->index) % 10 < 7 ? WL_SUBMIT : WL_STATUS;
	uint64_t seq = b->seq++;
	switch (wl) {
	case WL_WHOAMI:
	case WL_MIXED:
		req.body_case = PLANREG__V1__REQUEST__BODY_WHOAMI;
		req.whoami = &who;
		break;
	case WL_GET:
		get.ref = (int32_t)(seq % (uint64_t)o->refs) + 1;
		req.body_case = PLANREG__V1__REQUEST__BODY_GET_PROJECT;
		req.get_project = &get;
		break;
	case WL_LIST:
		list.page_size = 100;
		req.body_case = PLANREG__V1__REQUEST__BODY_LIST_PROJECTS;
		req.list_projects = &list;
		break;
	case WL_STATUS:
		status.period = (char *)o->period;
		req.body_case = PLANREG__V1__REQUEST__BODY_GET_STATUS;
		req.get_status = &status;
		break;
	case WL_SUBMIT:
		content.ref = (int32_t)(seq % (uint64_t)o->refs) + 1;
		content.period = (char *)o->period;
		content.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER;
		content.stage = PLANREG__V1__STAGE__STAGE_LIVE;
		/* each its own words: content like the current revision's is answered "unchanged" and writes
		 * nothing (migrations/0008), which is not the write this workload measures */
		snprintf(narrative, sizeof narrative, "bench %ld-%" PRIu64, (long)getpid(), seq);
		content.narrative = narrative;
		/* one milestone and one risk: the rows run.sh's pgbench line inserts beside it */
		content.n_milestones = 1;
		content.milestones = ms;
		content.n_risks = 1;
		content.risks = risks;
		submit.content = &content;
		snprintf(key, sizeof key, "bench-%ld-%ld-%" PRIu64, (long)getpid(), (long)time(NULL), seq);
		req.idempotency_key = key;
		req.body_case = PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE;
		req.submit_update = &submit;
		break;
	case WL_PROOFS:
		bench_proof_request(b, seq, slot, &req, &incl, &cons);
		break;
	}
	bench_sign(b, &req, &submit);
	uint8_t *frame = bench_pack(&req, len);
	free(submit.signature.data);
	return frame;
}

/* ---------------------------------------------------------------- workload connections (libevent) */

static void bench_maybe_finish(struct bench *b);

static bool bench_may_send(struct bench *b, struct bconn *c)
{
	if (c->idle)
		return c->next_id == 0;
	if (b->stopping || c->done || c->failed)
		return false;
	return b->o->requests <= 0 || b->sent < b->o->requests;
}

static void bench_send(struct bench *b, struct bconn *c)
{
	while (c->inflight < (c->idle ? 1 : b->o->depth) && bench_may_send(b, c)) {
		uint64_t id = ++c->next_id;
		size_t len;
		int s = 0;
		while (c->slots[s].id != 0)
			s++;
		uint8_t *frame = bench_request(b, c, id, &c->slots[s], &len);
		c->slots[s].id = id;
		c->slots[s].sent = now_s();
		c->inflight++;
		if (!c->idle)
			b->sent++;
		bufferevent_write(c->bev, frame, len);
		free(frame);
	}
}

static void bench_conn_close(struct bconn *c)
{
	if (c->bev == NULL)
		return;
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl != NULL && c->connected)
		SSL_shutdown(ssl); /* best effort: one close_notify, no wait for the peer's */
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->b->open_conns--;
}

static void bench_conn_fail(struct bconn *c, const char *why)
{
	struct bench *b = c->b;
	if (c->idle && c->done && !c->failed) {
		c->failed = true;
		b->idle_lost++; /* held, then closed by the server */
	} else if (!c->failed && !c->done) {
		c->failed = true;
		if (!c->idle || b->idle_failed < 3)
			fprintf(stderr, "planreg-bench: connection %d%s: %s\n", c->index, c->idle ? " (idle)" : "",
				why);
		if (c->idle) {
			b->idle_failed++;
			b->idle_pending--;
		} else {
			b->transport_errors += c->inflight;
		}
	}
	c->inflight = 0;
	bench_conn_close(c);
	bench_maybe_finish(b);
}

static void bench_record(struct bench *b, double ms)
{
	if (b->n_lat == b->cap_lat) {
		b->cap_lat = b->cap_lat ? b->cap_lat * 2 : 65536;
		double *n = realloc(b->lat, b->cap_lat * sizeof *n);
		if (n == NULL) {
			fprintf(stderr, "planreg-bench: out of memory\n");
			abort();
		}
		b->lat = n;
	}
	b->lat[b->n_lat++] = ms;
}

static void bench_idle_next(struct bench *b);

/* The answer id with status code on c: its slot freed and counted, then (idle) the next idle connection or
 * (workload) the next request. False when c has failed and is gone. */
static bool bench_answered(struct bench *b, struct bconn *c, uint64_t id, int code)
{
	int s = 0;
	while (s < BENCH_MAX_DEPTH && (c->slots[s].id != id || id == 0))
		s++;
	if (s == BENCH_MAX_DEPTH) {
		bench_conn_fail(c, id == 0 ? "the server closed the connection with an error"
					   : "the server answered an id never sent");
		return false;
	}
	double ms = (now_s() - c->slots[s].sent) * 1000.0;
	c->slots[s].id = 0;
	c->inflight--;
	if (c->idle) {
		if (code == 0) {
			b->idle_ok++;
			c->done = true;
		} else {
			b->idle_failed++;
			c->failed = true;
		}
		b->idle_pending--;
		bench_idle_next(b);
		return true;
	}
	b->completed++;
	bench_record(b, ms);
	if (code != 0) {
		b->errors++;
		b->by_code[code >= 0 && code < 32 ? code : 31]++;
	}
	bench_send(b, c);
	return true;
}

/* The slot of the request id on c, or NULL. */
static struct slot *bench_slot(struct bconn *c, uint64_t id)
{
	for (int s = 0; s < BENCH_MAX_DEPTH && id != 0; s++)
		if (c->slots[s].id == id)
			return &c->slots[s];
	return NULL;
}

/* A proof answer checked against what the bench knows (RFC 9162's checks, proto/merkle.c): false when it does not
 * verify, or is not the proof asked for. An answer not to be checked passes. */
static bool bench_proof_ok(struct bench *b, struct bconn *c, const Planreg__V1__Response *r)
{
	const struct slot *s = bench_slot(c, r->id);
	if (s == NULL || s->check == CHECK_NONE)
		return true;
	struct bench_log *l = &b->log;
	const ProtobufCBinaryData *p = NULL;
	size_t n = 0;
	if (s->check == CHECK_INCLUSION && r->body_case == PLANREG__V1__RESPONSE__BODY_GET_INCLUSION_PROOF) {
		p = r->get_inclusion_proof->proof;
		n = r->get_inclusion_proof->n_proof;
	} else if (s->check == CHECK_CONSISTENCY && r->body_case == PLANREG__V1__RESPONSE__BODY_GET_CONSISTENCY_PROOF) {
		p = r->get_consistency_proof->proof;
		n = r->get_consistency_proof->n_proof;
	}
	uint8_t hashes[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	bool ok =
		(p != NULL || n == 0) && r->body_case != PLANREG__V1__RESPONSE__BODY__NOT_SET && n <= MERKLE_PROOF_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		ok = p[i].len == MERKLE_HASH_LEN;
		if (ok)
			memcpy(hashes + i * MERKLE_HASH_LEN, p[i].data, MERKLE_HASH_LEN);
	}
	if (ok && s->check == CHECK_INCLUSION)
		ok = merkle_verify_inclusion(l->leaf_hash[s->arg], l->leaf_index[s->arg], l->size, hashes, n, l->root);
	else if (ok)
		ok = merkle_verify_consistency(s->arg, l->size, hashes, n, l->heads[s->arg - 1], l->root);
	l->checked++;
	if (!ok && l->bad++ < 5)
		fprintf(stderr, "planreg-bench: request %" PRIu64 ": the %s proof served does NOT verify\n", r->id,
			s->check == CHECK_INCLUSION ? "inclusion" : "consistency");
	return ok;
}

static void bench_on_read(struct bufferevent *bev, void *arg)
{
	struct bconn *c = arg;
	struct bench *b = c->b;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		size_t have = evbuffer_get_length(in);
		if (have < FRAME_HEADER_BYTES)
			break; /* the rest of a frame is still to come; see whether the run is over */
		uint8_t hdr[FRAME_HEADER_BYTES];
		evbuffer_copyout(in, hdr, sizeof hdr);
		uint32_t len = frame_get_header(hdr);
		if (len == 0 || len > BENCH_MAX_RESPONSE) {
			bench_conn_fail(c, "the server sent a frame of impossible length");
			return;
		}
		if (have < FRAME_HEADER_BYTES + (size_t)len)
			break;
		evbuffer_drain(in, FRAME_HEADER_BYTES);
		uint8_t *body = evbuffer_pullup(in, len);
		Planreg__V1__Response *r = planreg__v1__response__unpack(NULL, len, body);
		evbuffer_drain(in, len);
		if (r == NULL) {
			bench_conn_fail(c, "the server sent a Response this client cannot read");
			return;
		}
		int code = r->status ? (int)r->status->code : -1;
		if (code == 0 && !bench_proof_ok(b, c, r))
			code = BENCH_BAD_PROOF;
		uint64_t id = r->id;
		if (code > 0 && code != BENCH_BAD_PROOF && (b->errors + b->transport_errors) < 5 && r->status)
			fprintf(stderr, "planreg-bench: request %" PRIu64 ": code %d %s: %s\n", id, code,
				r->status->reason, r->status->message);
		planreg__v1__response__free_unpacked(r, NULL);
		if (!bench_answered(b, c, id, code))
			return;
	}
	bench_maybe_finish(b);
}

static void bench_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct bconn *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		SSL *ssl = bufferevent_openssl_get_ssl(bev);
		const unsigned char *p = NULL;
		unsigned int plen = 0;
		SSL_get0_alpn_selected(ssl, &p, &plen);
		if (plen != strlen(BENCH_ALPN) || memcmp(p, BENCH_ALPN, plen) != 0) {
			bench_conn_fail(c, "no planreg/1 ALPN: is it planregd?");
			return;
		}
		c->connected = true;
		int one = 1;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		bench_send(c->b, c);
		return;
	}
	char why[256];
	unsigned long e = bufferevent_get_openssl_error(bev);
	if (e)
		ERR_error_string_n(e, why, sizeof why);
	else
		snprintf(why, sizeof why, "%s", (what & BEV_EVENT_EOF) ? "closed by the server" : strerror(errno));
	bench_conn_fail(c, why);
}

static bool bench_conn_open(struct bench *b, struct bconn *c)
{
	SSL *ssl = SSL_new(b->ctx);
	if (ssl == NULL)
		return false;
	SSL_set_tlsext_host_name(ssl, "localhost");
	c->bev = bufferevent_openssl_socket_new(b->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		SSL_free(ssl);
		return false;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, bench_on_read, NULL, bench_on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	b->open_conns++;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (getaddrinfo(b->o->host, b->o->port, &hints, &ai) != 0 || ai == NULL) {
		bench_conn_fail(c, "cannot resolve the server's address");
		return false;
	}
	int rc = bufferevent_socket_connect(c->bev, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc != 0) {
		bench_conn_fail(c, strerror(errno));
		return false;
	}
	return true;
}

/* Ends the loop when nothing more is expected: the run is over (or every workload connection has failed) and no
 * request is in flight. */
static void bench_maybe_finish(struct bench *b)
{
	if (b->o->connections == 0 || b->started == 0)
		return;
	bool active = false, outstanding = false;
	for (int i = 0; i < b->o->connections; i++) {
		struct bconn *c = &b->conns[i];
		if (c->failed || c->done)
			continue;
		active = true;
		if (c->inflight > 0)
			outstanding = true;
	}
	bool over = b->stopping || (b->o->requests > 0 && b->sent >= b->o->requests) || !active;
	if (over && !outstanding) {
		if (b->stopped == 0)
			b->stopped = now_s();
		event_base_loopexit(b->base, NULL);
	}
}

static void bench_on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	b->stopping = true;
	b->stopped = now_s(); /* requests answered after this still count, but not the seconds */
	bench_maybe_finish(b);
}

static void bench_on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	fprintf(stderr, "planreg-bench: answers still missing %d s after the end; giving up on them\n", BENCH_GRACE_S);
	for (int i = 0; i < b->o->connections; i++)
		b->transport_errors += b->conns[i].inflight;
	event_base_loopexit(b->base, NULL);
}

/* Opens idle connections while fewer than BENCH_IDLE_BATCH are being set up, until o->idle have been tried. */
static void bench_idle_next(struct bench *b)
{
	while (b->idle_opened < b->o->idle && b->idle_pending < BENCH_IDLE_BATCH) {
		struct bconn *c = &b->idles[b->idle_opened];
		c->b = b;
		c->idle = true;
		c->index = b->idle_opened++;
		b->idle_pending++;
		bench_conn_open(b, c);
	}
	if (b->idle_opened == b->o->idle && b->idle_pending == 0 && b->started == 0)
		event_base_loopexit(b->base, NULL);
}

static void bench_on_idle_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	fprintf(stderr, "planreg-bench: idle connections not all set up within %d s\n", BENCH_IDLE_SETUP_S);
	event_base_loopexit(b->base, NULL);
}

/* ---------------------------------------------------------------- handshakes (blocking) */

static int bench_tcp(const struct opts *o)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (getaddrinfo(o->host, o->port, &hints, &ai) != 0 || ai == NULL)
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0) {
		struct timeval tv = {10, 0};
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

static bool bench_read_full(SSL *ssl, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		int r = SSL_read(ssl, buf + got, (int)(len - got));
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* One request frame sent on a blocking connection and its answer (the caller frees it), or NULL. */
static Planreg__V1__Response *bench_call(SSL *ssl, const uint8_t *frame, size_t len)
{
	Planreg__V1__Response *r = NULL;
	uint8_t hdr[FRAME_HEADER_BYTES];
	if (SSL_write(ssl, frame, (int)len) <= 0 || !bench_read_full(ssl, hdr, sizeof hdr))
		return NULL;
	uint32_t n = frame_get_header(hdr);
	uint8_t *body = n > 0 && n <= BENCH_MAX_RESPONSE ? bench_xmalloc(n) : NULL;
	if (body != NULL && bench_read_full(ssl, body, n))
		r = planreg__v1__response__unpack(NULL, n, body);
	free(body);
	return r;
}

/* One connection: handshake (resuming *sess when given), one Whoami answered OK, close. On success *sess is the
 * session to resume next (the ticket arrives after the handshake in TLS 1.3, so it is taken after the answer). */
static bool bench_handshake_once(struct bench *b, SSL_SESSION **sess, bool resume, bool *reused)
{
	int fd = bench_tcp(b->o);
	if (fd < 0)
		return false;
	SSL *ssl = SSL_new(b->ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (resume && *sess != NULL)
		SSL_set_session(ssl, *sess);
	bool ok = false;
	if (SSL_connect(ssl) == 1) {
		size_t len;
		uint8_t *frame = bench_request(b, NULL, 1, NULL, &len);
		Planreg__V1__Response *r = bench_call(ssl, frame, len);
		free(frame);
		ok = r != NULL && r->id == 1 && r->status != NULL && r->status->code == 0;
		if (r)
			planreg__v1__response__free_unpacked(r, NULL);
		*reused = SSL_session_reused(ssl) == 1;
		if (ok) {
			SSL_SESSION *s = SSL_get1_session(ssl);
			if (s != NULL) {
				SSL_SESSION_free(*sess);
				*sess = s;
			}
		}
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(fd);
	ERR_clear_error();
	return ok;
}

/* ---------------------------------------------------------------- the proofs workload's checkpoint (blocking) */

/* req sent on ssl and answered OK with body kind want; dies otherwise (the proofs cannot be measured). */
static Planreg__V1__Response *bench_log_ask(SSL *ssl, Planreg__V1__Request *req, int want)
{
	static uint64_t id;
	size_t len;
	req->id = ++id;
	uint8_t *frame = bench_pack(req, &len);
	Planreg__V1__Response *r = bench_call(ssl, frame, len);
	free(frame);
	if (r == NULL || r->status == NULL || r->status->code != 0 || (int)r->body_case != want)
		die("the proofs workload's set-up request %d failed: %s", (int)req->body_case,
		    r && r->status ? r->status->message : "no answer");
	return r;
}

/* The signed checkpoint's size and head (GetCheckpoint signs the tree as it is). */
static void bench_log_checkpoint(SSL *ssl, struct bench_log *l)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__GetCheckpointRequest q = PLANREG__V1__GET_CHECKPOINT_REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_CHECKPOINT;
	req.get_checkpoint = &q;
	Planreg__V1__Response *r = bench_log_ask(ssl, &req, PLANREG__V1__RESPONSE__BODY_GET_CHECKPOINT);
	const char *note = r->get_checkpoint->checkpoint, *why = "no note";
	struct note n;
	struct checkpoint cp;
	bool ok = note_split(note, strlen(note), &n, &why);
	if (ok) {
		ok = checkpoint_parse(n.text, n.text_len, &cp, &why);
		note_free(&n);
	}
	planreg__v1__response__free_unpacked(r, NULL);
	if (!ok)
		die("the service's checkpoint cannot be read (%s): does it sign its log (log_key)?", why);
	l->size = cp.size;
	memcpy(l->root, cp.root, MERKLE_HASH_LEN);
	checkpoint_free(&cp);
	if (l->size == 0)
		die("the log is empty: the proofs workload proves entries of a history (run the submit workload "
		    "first)");
}

/* count leaves from start (GetLeaves pages) into the leaf table; with heads, the head at every size too. */
static void bench_log_leaves(SSL *ssl, struct bench_log *l, uint64_t start, uint64_t count,
			     struct merkle_compact *heads)
{
	while (count > 0) {
		Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
		Planreg__V1__GetLeavesRequest q = PLANREG__V1__GET_LEAVES_REQUEST__INIT;
		q.start = start;
		q.count = (uint32_t)(count < BENCH_LOG_WINDOW ? count : BENCH_LOG_WINDOW);
		req.body_case = PLANREG__V1__REQUEST__BODY_GET_LEAVES;
		req.get_leaves = &q;
		Planreg__V1__Response *r = bench_log_ask(ssl, &req, PLANREG__V1__RESPONSE__BODY_GET_LEAVES);
		size_t got = r->get_leaves->n_entries;
		for (size_t i = 0; i < got && i < count; i++) {
			uint8_t *h = l->leaf_hash[l->n_leaves];
			merkle_leaf_hash(r->get_leaves->entries[i].data, r->get_leaves->entries[i].len, h);
			l->leaf_index[l->n_leaves++] = start + i;
			if (heads != NULL && merkle_compact_append(heads, h, NULL, NULL))
				merkle_compact_root(heads, l->heads[heads->size - 1]);
		}
		planreg__v1__response__free_unpacked(r, NULL);
		if (got == 0 || got > count)
			die("GetLeaves(%" PRIu64 ") gave %zu entries", start, got);
		start += got;
		count -= got;
	}
}

/* The checkpoint the proofs are asked under, the first BENCH_LOG_WINDOW leaves (and the heads of those sizes) and
 * BENCH_LOG_SAMPLES leaves at random indices, on a connection of their own. */
static void bench_log_setup(struct bench *b)
{
	struct bench_log *l = &b->log;
	int fd = bench_tcp(b->o);
	SSL *ssl = fd >= 0 ? SSL_new(b->ctx) : NULL;
	if (ssl == NULL)
		die("cannot connect to %s:%s", b->o->host, b->o->port);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (SSL_connect(ssl) != 1)
		die("TLS handshake with %s:%s failed", b->o->host, b->o->port);
	bench_log_checkpoint(ssl, l);
	l->rng = (uint64_t)time(NULL) * 2654435761u | 1;
	l->window = l->size < BENCH_LOG_WINDOW ? l->size : BENCH_LOG_WINDOW;
	l->heads = bench_xmalloc(l->window * sizeof *l->heads);
	l->leaf_index = bench_xmalloc((l->window + BENCH_LOG_SAMPLES) * sizeof *l->leaf_index);
	l->leaf_hash = bench_xmalloc((l->window + BENCH_LOG_SAMPLES) * sizeof *l->leaf_hash);
	struct merkle_compact heads;
	merkle_compact_init(&heads);
	bench_log_leaves(ssl, l, 0, l->window, &heads);
	for (int i = 0; i < BENCH_LOG_SAMPLES; i++)
		bench_log_leaves(ssl, l, bench_rand(l) % l->size, 1, NULL);
	l->inclusion = l->consistency = 0;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

struct hs_result {
	double full_per_s, resumed_per_s;
	int full_ok, resumed_ok, reused;
};

static void bench_handshakes(struct bench *b, struct hs_result *hr)
{
	SSL_SESSION *sess = NULL;
	bool reused;
	memset(hr, 0, sizeof *hr);
	double t0 = now_s();
	for (int i = 0; i < b->o->handshakes; i++) {
		SSL_SESSION *fresh = NULL;
		if (bench_handshake_once(b, &fresh, false, &reused))
			hr->full_ok++;
		if (sess == NULL)
			sess = fresh;
		else
			SSL_SESSION_free(fresh);
	}
	double t1 = now_s();
	for (int i = 0; i < b->o->handshakes && sess != NULL; i++) {
		if (bench_handshake_once(b, &sess, true, &reused)) {
			hr->resumed_ok++;
			hr->reused += reused;
		}
	}
	double t2 = now_s();
	SSL_SESSION_free(sess);
	hr->full_per_s = hr->full_ok / (t1 - t0);
	hr->resumed_per_s = hr->resumed_ok ? hr->resumed_ok / (t2 - t1) : 0;
}

/* ---------------------------------------------------------------- setup and report */

static long bench_rss_kib(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static SSL_CTX *bench_ctx(const struct opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		die("cannot set up TLS");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
		die("cannot load the CA certificate %s", o->ca);
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
		die("cannot load the certificate %s", o->cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		die("cannot load the key %s (or it is not the certificate's)", o->key);
	static const unsigned char alpn[] = "\x09" BENCH_ALPN;
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
	return ctx;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)((double)n * p / 100.0 + 0.999999);
	if (rank < 1)
		rank = 1;
	return v[(rank > n ? n : rank) - 1];
}

/* Raises the open-file limit toward the hard limit; returns the connections the limit leaves room for. */
static int bench_fd_room(int want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	rlim_t need = (rlim_t)want + 64;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	long room = (long)rl.rlim_cur - 64;
	return room < want ? (int)(room > 0 ? room : 0) : want;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: planreg-bench --server HOST:PORT --cert C --key K --ca CA [--connections N] [--depth D]\n"
		"         [--workload whoami|get|list|submit|status|mixed|proofs] [--duration S | --requests R]\n"
		"         [--period YYYY-Qn] [--refs R] [--check-every N] [--idle K [--pid PID]] [--handshakes H]\n"
		"         [--json]\n");
	exit(2);
}

static long parse_long(const char *what, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "planreg-bench: %s must be an integer in %ld..%ld (got \"%s\")\n", what, min, max, s);
		exit(2);
	}
	return v;
}

static const struct option bench_long_opts[] = {
	{"server", 1, 0, 's'},      {"cert", 1, 0, 'c'},   {"key", 1, 0, 'k'},      {"ca", 1, 0, 'a'},
	{"connections", 1, 0, 'n'}, {"depth", 1, 0, 'd'},  {"workload", 1, 0, 'w'}, {"duration", 1, 0, 't'},
	{"requests", 1, 0, 'r'},    {"period", 1, 0, 'p'}, {"idle", 1, 0, 'i'},     {"handshakes", 1, 0, 'H'},
	{"json", 0, 0, 'j'},        {"refs", 1, 0, 'R'},   {"pid", 1, 0, 'P'},      {"check-every", 1, 0, 'C'},
	{"help", 0, 0, 'h'},        {0, 0, 0, 0},
};

/* One option (getopt_long's ch with its argument) into o; the option parser, a case per option. */
static void parse_opt(int ch, const char *arg, struct opts *o)
{
	switch (ch) {
	case 'c':
		o->cert = arg;
		break;
	case 'k':
		o->key = arg;
		break;
	case 'a':
		o->ca = arg;
		break;
	case 'n':
		o->connections = (int)parse_long("--connections", arg, 0, 100000);
		break;
	case 'd':
		o->depth = (int)parse_long("--depth", arg, 1, BENCH_MAX_DEPTH);
		break;
	case 'w': {
		int i = 0;
		while (i < BENCH_WORKLOADS && strcmp(arg, workload_names[i]) != 0)
			i++;
		if (i == BENCH_WORKLOADS)
			die("unknown workload %s", arg);
		o->wl = (enum workload)i;
		break;
	}
	case 't': {
		char *end;
		o->duration = strtod(arg, &end);
		if (*end || o->duration <= 0 || o->duration > 86400)
			die("--duration must be seconds in (0, 86400] (got %s)", arg);
		break;
	}
	case 'r':
		o->requests = parse_long("--requests", arg, 1, 1000000000L);
		break;
	case 'p':
		o->period = arg;
		break;
	case 'i':
		o->idle = (int)parse_long("--idle", arg, 0, 1000000);
		break;
	case 'H':
		o->handshakes = (int)parse_long("--handshakes", arg, 0, 1000000);
		break;
	case 'j':
		o->json = true;
		break;
	case 'R':
		o->refs = (int)parse_long("--refs", arg, 1, 1000000);
		break;
	case 'P':
		o->pid = parse_long("--pid", arg, 1, 4194304);
		break;
	case 'C':
		o->check_every = (int)parse_long("--check-every", arg, 1, 1000000);
		break;
	default:
		usage();
	}
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	const char *server = NULL;
	bool conn_given = false;
	*o = (struct opts){.connections = 1, .depth = 1, .refs = 80, .period = "2026-Q3", .check_every = 10};
	int ch;
	while ((ch = getopt_long(argc, argv, "", bench_long_opts, NULL)) != -1) {
		if (ch == 's')
			server = optarg;
		else
			parse_opt(ch, optarg, o);
		conn_given = conn_given || ch == 'n';
	}
	if (optind != argc || server == NULL || o->cert == NULL || o->key == NULL || o->ca == NULL)
		usage();
	const char *colon = strrchr(server, ':');
	if (colon == NULL || colon == server || (size_t)(colon - server) >= sizeof o->host ||
	    strlen(colon + 1) >= sizeof o->port)
		die("--server must be HOST:PORT (got %s)", server);
	snprintf(o->host, sizeof o->host, "%.*s", (int)(colon - server), server);
	snprintf(o->port, sizeof o->port, "%s", colon + 1);
	if (o->duration > 0 && o->requests > 0)
		die("give --duration or --requests, not both");
	if (o->duration == 0 && o->requests == 0)
		o->duration = 10;
	if (o->handshakes > 0 && !conn_given)
		o->connections = 0; /* --handshakes alone: no workload unless asked for */
}

/* The figures of one run. */
struct report {
	int idle_wanted;
	long rss_before, rss_idle, rss_after; /* the daemon's RSS in KiB (-1: unknown) */
	double idle_setup_s;
	double secs, rps, p50, p95, p99, mx, kib_each;
	long errors;
	struct hs_result hr;
};

/* Fewer idle connections when the open-file limit leaves no room for them all. */
static void bench_fit_idle(struct opts *o)
{
	int room = bench_fd_room(o->idle + o->connections);
	if (room < o->idle + o->connections) {
		int wanted = o->idle;
		o->idle = room > o->connections ? room - o->connections : 0;
		fprintf(stderr, "planreg-bench: the open-file limit allows %d idle connections, not %d\n", o->idle,
			wanted);
	}
}

/* Idle connections, each authenticated by one Whoami, then held while the workload runs. */
static void bench_run_idle(struct bench *b, struct report *rep)
{
	const struct opts *o = b->o;
	b->idles = calloc((size_t)o->idle, sizeof *b->idles);
	double t0 = now_s();
	bench_idle_next(b);
	struct timeval dl = {BENCH_IDLE_SETUP_S, 0};
	b->idle_ev = evtimer_new(b->base, bench_on_idle_deadline, b);
	evtimer_add(b->idle_ev, &dl);
	event_base_dispatch(b->base);
	evtimer_del(b->idle_ev);
	rep->idle_setup_s = now_s() - t0;
	usleep(200000); /* let the daemon settle its buffers */
	rep->rss_idle = o->pid ? bench_rss_kib(o->pid) : -1;
}

/* The workload on o->connections connections, for the duration or the request count. */
static void bench_run_workload(struct bench *b)
{
	const struct opts *o = b->o;
	b->conns = calloc((size_t)o->connections, sizeof *b->conns);
	b->started = now_s();
	for (int i = 0; i < o->connections; i++) {
		b->conns[i].b = b;
		b->conns[i].index = i;
		bench_conn_open(b, &b->conns[i]);
	}
	b->stop_ev = evtimer_new(b->base, bench_on_stop, b);
	b->grace_ev = evtimer_new(b->base, bench_on_grace, b);
	double limit = o->duration > 0 ? o->duration : 600; /* --requests: at most 10 minutes */
	struct timeval tv = {(time_t)limit, (suseconds_t)((limit - (time_t)limit) * 1e6)};
	struct timeval gtv = {(time_t)limit + BENCH_GRACE_S, 0};
	evtimer_add(b->stop_ev, &tv);
	evtimer_add(b->grace_ev, &gtv);
	event_base_dispatch(b->base);
	if (b->stopped == 0)
		b->stopped = now_s();
	for (int i = 0; i < o->connections; i++)
		bench_conn_close(&b->conns[i]);
}

/* Rates, percentiles and memory from what the run counted. */
static void bench_figures(struct bench *b, struct report *rep)
{
	const struct opts *o = b->o;
	rep->secs = o->connections > 0 ? b->stopped - b->started : 0;
	if (rep->secs <= 0)
		rep->secs = 1e-9;
	if (b->n_lat > 0)
		qsort(b->lat, b->n_lat, sizeof *b->lat, cmp_double);
	rep->rps = (double)b->completed / rep->secs;
	rep->p50 = pct(b->lat, b->n_lat, 50);
	rep->p95 = pct(b->lat, b->n_lat, 95);
	rep->p99 = pct(b->lat, b->n_lat, 99);
	rep->mx = b->n_lat ? b->lat[b->n_lat - 1] : 0;
	rep->errors = b->errors + b->transport_errors;
	rep->kib_each = (o->idle > 0 && b->idle_ok > 0 && rep->rss_before >= 0 && rep->rss_idle >= 0)
				? (double)(rep->rss_idle - rep->rss_before) / b->idle_ok
				: -1;
}

static void bench_print_json(const struct bench *b, const struct report *rep)
{
	const struct opts *o = b->o;
	const struct hs_result *hr = &rep->hr;
	printf("{\"workload\": \"%s\", \"connections\": %d, \"depth\": %d, \"requests\": %ld, \"errors\": %ld, "
	       "\"transport_errors\": %ld, \"seconds\": %.3f, \"rps\": %.1f, \"p50_ms\": %.3f, \"p95_ms\": %.3f, "
	       "\"p99_ms\": %.3f, \"max_ms\": %.3f",
	       workload_names[o->wl], o->connections, o->depth, b->completed, rep->errors, b->transport_errors,
	       o->connections > 0 ? rep->secs : 0, rep->rps, rep->p50, rep->p95, rep->p99, rep->mx);
	printf(", \"errors_by_code\": {");
	for (int i = 0, first = 1; i < 32; i++)
		if (b->by_code[i]) {
			printf("%s\"%d\": %ld", first ? "" : ", ", i, b->by_code[i]);
			first = 0;
		}
	printf("}");
	if (o->wl == WL_PROOFS && o->connections > 0)
		printf(", \"log_size\": %" PRIu64 ", \"proofs_inclusion\": %ld, \"proofs_consistency\": %ld, "
		       "\"proofs_checked\": %ld, \"proofs_bad\": %ld",
		       b->log.size, b->log.inclusion, b->log.consistency, b->log.checked, b->log.bad);
	if (o->handshakes > 0)
		printf(", \"handshakes\": %d, \"handshakes_ok_full\": %d, \"handshakes_ok_resumed\": %d, "
		       "\"handshakes_reused\": %d, \"handshakes_per_s_full\": %.1f, \"handshakes_per_s_resumed\": %.1f",
		       o->handshakes, hr->full_ok, hr->resumed_ok, hr->reused, hr->full_per_s, hr->resumed_per_s);
	if (rep->idle_wanted > 0)
		printf(", \"idle_wanted\": %d, \"idle_tried\": %d, \"idle_held\": %d, \"idle_failed\": %d, "
		       "\"idle_lost\": %d, \"idle_setup_s\": %.2f, \"rss_before_kib\": %ld, \"rss_idle_kib\": %ld, "
		       "\"rss_after_kib\": %ld, \"idle_kib_each\": %.2f",
		       rep->idle_wanted, o->idle, b->idle_ok, b->idle_failed, b->idle_lost, rep->idle_setup_s,
		       rep->rss_before, rep->rss_idle, rep->rss_after, rep->kib_each);
	printf("}\n");
}

static void bench_print_text(const struct bench *b, const struct report *rep)
{
	const struct opts *o = b->o;
	const struct hs_result *hr = &rep->hr;
	if (o->handshakes > 0)
		printf("handshakes: %d full in %.1f/s, %d resumed in %.1f/s (server resumed %d of %d)\n", hr->full_ok,
		       hr->full_per_s, hr->resumed_ok, hr->resumed_per_s, hr->reused, hr->resumed_ok);
	if (rep->idle_wanted > 0) {
		printf("idle: %d of %d connections held (%d failed) in %.1f s", b->idle_ok, rep->idle_wanted,
		       b->idle_failed, rep->idle_setup_s);
		if (rep->kib_each >= 0)
			printf("; daemon RSS %ld -> %ld KiB (%ld at the end): %.1f KiB each", rep->rss_before,
			       rep->rss_idle, rep->rss_after, rep->kib_each);
		printf("\n");
	}
	if (o->connections > 0) {
		printf("%s: %d connections x depth %d: %ld requests in %.2f s = %.1f req/s; latency ms p50 %.2f "
		       "p95 %.2f p99 %.2f max %.2f; errors %ld",
		       workload_names[o->wl], o->connections, o->depth, b->completed, rep->secs, rep->rps, rep->p50,
		       rep->p95, rep->p99, rep->mx, rep->errors);
		for (int i = 0; i < 32; i++)
			if (b->by_code[i])
				printf(" [code %d: %ld]", i, b->by_code[i]);
		if (b->transport_errors)
			printf(" [transport: %ld]", b->transport_errors);
		if (o->wl == WL_PROOFS)
			printf("; log of %" PRIu64 " entries: %ld inclusion and %ld consistency proofs asked, %ld "
			       "checked, %ld bad",
			       b->log.size, b->log.inclusion, b->log.consistency, b->log.checked, b->log.bad);
		printf("\n");
	}
}

static void bench_free(struct bench *b)
{
	if (b->stop_ev)
		event_free(b->stop_ev);
	if (b->grace_ev)
		event_free(b->grace_ev);
	if (b->idle_ev)
		event_free(b->idle_ev);
	free(b->conns);
	free(b->idles);
	free(b->lat);
	free(b->log.heads);
	free(b->log.leaf_index);
	free(b->log.leaf_hash);
	event_base_free(b->base);
	SSL_CTX_free(b->ctx);
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);

	struct bench b = {.o = &o};
	b.ctx = bench_ctx(&o);
	b.base = event_base_new();
	if (b.base == NULL)
		die("cannot make an event base");
	struct report rep = {.idle_wanted = o.idle, .rss_idle = -1};
	if (o.idle > 0)
		bench_fit_idle(&o);
	if (o.handshakes > 0)
		bench_handshakes(&b, &rep.hr);
	rep.rss_before = o.pid ? bench_rss_kib(o.pid) : -1;
	if (o.idle > 0)
		bench_run_idle(&b, &rep);
	if (o.connections > 0 && o.wl == WL_PROOFS)
		bench_log_setup(&b);
	if (o.connections > 0)
		bench_run_workload(&b);
	rep.rss_after = o.pid ? bench_rss_kib(o.pid) : -1;
	for (int i = 0; i < b.idle_opened; i++)
		bench_conn_close(&b.idles[i]);
	bench_figures(&b, &rep);
	if (o.json)
		bench_print_json(&b, &rep);
	else
		bench_print_text(&b, &rep);
	bench_free(&b);
	bool failed =
		(o.connections > 0 && b.completed == 0) || (o.handshakes > 0 && rep.hr.full_ok == 0) || b.log.bad > 0;
	return failed ? 1 : 0;
}
