/* log_seq.c - the sequencer's side in the daemon (see log_seq.h). */
#include "log_seq.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "handlers.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

/* One batch, in its own transaction (autocommit), under the chain's advisory lock (migrations/0031): what others
 * queued in log_pending is sequenced, then the returns of $1 (a JSON array) are written after it. A row per new
 * leaf of log_pending's, a row per return in $1's order (pos from 1; idx set when it was written), then one row
 * with the tree's size. */
static const char SQL_SEQUENCE[] =
	"SELECT tree_size, idx, update_id, review_id, entry, prev_hash, hash, pos, revision, warnings, content_sha256,"
	" submitted_at, outcome FROM planreg_log_sequence_batch($1::jsonb)";
enum {
	SEQ_TREE_SIZE,
	SEQ_INDEX,
	SEQ_UPDATE_ID,
	SEQ_REVIEW_ID,
	SEQ_ENTRY,
	SEQ_PREV_HASH,
	SEQ_HASH,
	SEQ_POS,
	SEQ_REVISION,
	SEQ_WARNINGS,
	SEQ_CONTENT_SHA256,
	SEQ_SUBMITTED_AT,
	SEQ_OUTCOME,
	SEQ_COLUMNS
};

struct log_seq_waiter {
	struct rpc_call *call;
	log_seq_fn ready;
	int64_t update_id, review_id; /* the entry whose leaf it waits for; both 0: everything committed */
	const char *write;            /* a return to write (log_seq_write), or NULL */
	struct log_seq_written *out;  /* ... and what the batch answered for it */
	int pos;                      /* its place in the running batch's writes, from 1 */
	bool solo;                    /* it was in a batch that failed with others: it is written alone */
	struct log_seq_waiter *next;
};

static void log_seq_start(struct server *srv);
static void log_seq_sign(struct server *srv, struct log_seq_waiter *w, struct log_seq_batch *b);

/* Every call of a batch goes on; then the batch is freed. */
static void log_seq_wake(struct log_seq_waiter *w, struct log_seq_batch *b)
{
	while (w != NULL) {
		struct log_seq_waiter *next = w->next; /* w is in its call's arena, which ready may free */
		log_set_request(w->call->rid);
		w->ready(w->call, b);
		log_set_request(NULL);
		w = next;
	}
	if (b != NULL) {
		arena_free(&b->arena);
		free(b);
	}
}

/* The statement's rows as a batch; NULL when they are not what SQL_SEQUENCE answers. A row with an index is a
 * leaf (of log_pending's, or of a return written); a row with a pos is a return's answer (log_seq_answer). */
static struct log_seq_batch *log_seq_batch_of(PGresult *res)
{
	int rows = PQntuples(res);
	if (rows < 1 || PQnfields(res) != SEQ_COLUMNS || PQgetisnull(res, rows - 1, SEQ_TREE_SIZE))
		return NULL;
	struct log_seq_batch *b = xcalloc(1, sizeof *b);
	b->size = (uint64_t)result_int64(res, rows - 1, SEQ_TREE_SIZE);
	b->leaves = arena_alloc(&b->arena, (size_t)rows * sizeof *b->leaves);
	for (int r = 0; r < rows - 1; r++) {
		if (result_is_null(res, r, SEQ_INDEX))
			continue;
		struct log_seq_leaf *l = &b->leaves[b->n++];
		l->index = (uint64_t)result_int64(res, r, SEQ_INDEX);
		l->update_id = result_is_null(res, r, SEQ_UPDATE_ID) ? 0 : result_int64(res, r, SEQ_UPDATE_ID);
		l->review_id = result_is_null(res, r, SEQ_REVIEW_ID) ? 0 : result_int64(res, r, SEQ_REVIEW_ID);
		l->entry = arena_strdup(&b->arena, result_value(res, r, SEQ_ENTRY));
		if (!result_is_null(res, r, SEQ_HASH)) {
			l->prev_hash = arena_strdup(&b->arena, result_value(res, r, SEQ_PREV_HASH));
			l->hash = arena_strdup(&b->arena, result_value(res, r, SEQ_HASH));
		}
	}
	return b;
}

/* The answer for each return the batch wrote, into its call's arena (its waiter outlives the batch's result). */
static void log_seq_answer(struct log_seq_waiter *w, PGresult *res)
{
	int rows = PQntuples(res);
	for (int r = 0; r < rows - 1; r++) {
		if (result_is_null(res, r, SEQ_POS))
			continue;
		int pos = result_int(res, r, SEQ_POS);
		struct log_seq_waiter *x = w;
		while (x != NULL && (x->write == NULL || x->pos != pos))
			x = x->next;
		if (x == NULL)
			continue;
		struct arena *a = &x->call->arena;
		struct log_seq_written *o = x->out;
		o->outcome = arena_strdup(a, result_value(res, r, SEQ_OUTCOME));
		o->id = result_is_null(res, r, SEQ_UPDATE_ID) ? 0 : result_int64(res, r, SEQ_UPDATE_ID);
		o->revision = result_is_null(res, r, SEQ_REVISION) ? 0 : result_int(res, r, SEQ_REVISION);
		o->hash = arena_strdup(a, result_value(res, r, SEQ_HASH));
		o->prev_hash = arena_strdup(a, result_value(res, r, SEQ_PREV_HASH));
		o->warnings = arena_strdup(a, result_value(res, r, SEQ_WARNINGS));
		o->content_sha256 = arena_strdup(a, result_value(res, r, SEQ_CONTENT_SHA256));
		o->submitted_at = arena_strdup(a, result_value(res, r, SEQ_SUBMITTED_AT));
	}
}

struct log_seq_signing {
	struct server *srv;
	struct log_seq_waiter *w;
	struct log_seq_batch *b;
};

/* The batch's checkpoint is signed (or could not be: its calls meet that themselves). Its calls go on, then a
 * batch that committed meanwhile is signed. */
static void log_seq_signed(void *arg)
{
	struct log_seq_signing *sg = arg;
	struct server *srv = sg->srv;
	struct log_seq *q = &srv->log_seq;
	q->signing = false;
	log_seq_wake(sg->w, sg->b);
	free(sg);
	if (q->held != NULL && !q->signing) {
		struct log_seq_waiter *w = q->held;
		struct log_seq_batch *b = q->held_batch;
		q->held = NULL;
		q->held_batch = NULL;
		log_seq_sign(srv, w, b);
	}
}

/* The batch held (older) and the one that committed after it (newer) as one: newer's tree holds older's leaves
 * too, so one checkpoint and one read of nodes serve both batches' calls. Older's leaves come first (copied into
 * newer's arena), and so do its calls; older is freed. */
static struct log_seq_batch *log_seq_merge(struct log_seq_waiter **w, struct log_seq_waiter *older_w,
					   struct log_seq_batch *older, struct log_seq_batch *newer)
{
	struct log_seq_leaf *leaves = arena_alloc(&newer->arena, (older->n + newer->n + 1) * sizeof *leaves);
	for (size_t i = 0; i < older->n; i++) {
		const struct log_seq_leaf *o = &older->leaves[i];
		leaves[i] = *o;
		leaves[i].entry = arena_strdup(&newer->arena, o->entry);
		leaves[i].prev_hash = o->prev_hash ? arena_strdup(&newer->arena, o->prev_hash) : NULL;
		leaves[i].hash = o->hash ? arena_strdup(&newer->arena, o->hash) : NULL;
	}
	memcpy(leaves + older->n, newer->leaves, newer->n * sizeof *leaves);
	newer->leaves = leaves;
	newer->n += older->n;
	arena_free(&older->arena);
	free(older);
	struct log_seq_waiter **tail = &older_w;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = *w;
	*w = older_w;
	return newer;
}

/* Signs the batch's tree on its first call's connection, or holds it while another batch's is being signed. A
 * batch already held is merged into it (log_seq_merge): under load every signing serves whatever committed while
 * the one before it was written, and every call's receipt still comes from its batch. */
static void log_seq_sign(struct server *srv, struct log_seq_waiter *w, struct log_seq_batch *b)
{
	struct log_seq *q = &srv->log_seq;
	if (q->signing) {
		if (q->held != NULL)
			b = log_seq_merge(&w, q->held, q->held_batch, b);
		q->held = w;
		q->held_batch = b;
		return;
	}
	struct log_seq_signing *sg = xmalloc(sizeof *sg);
	*sg = (struct log_seq_signing){.srv = srv, .w = w, .b = b};
	if (log_sign_batch(w->call, b, log_seq_signed, sg)) {
		q->signing = true;
		return;
	}
	free(sg);
	log_seq_wake(w, b);
}

const struct log_seq_leaf *log_seq_leaf_of(const struct log_seq_batch *b, int64_t update_id, int64_t review_id)
{
	for (size_t i = 0; i < b->n; i++)
		if ((update_id && b->leaves[i].update_id == update_id) ||
		    (review_id && b->leaves[i].review_id == review_id))
			return &b->leaves[i];
	return NULL;
}

/* A call that began to wait while the batch ran waits for the next one, but the batch may have sequenced its
 * entry all the same (the batch's statement reads log_pending after it has the chain's lock, which can be after
 * the call's row committed): such a call goes on with this batch, whose receipt holds its leaf. */
static void log_seq_claim(struct log_seq *q, struct log_seq_waiter **w, const struct log_seq_batch *b)
{
	struct log_seq_waiter **p = &q->queued;
	while (*p != NULL) {
		struct log_seq_waiter *x = *p;
		if (log_seq_leaf_of(b, x->update_id, x->review_id) != NULL) {
			*p = x->next;
			x->next = *w;
			*w = x;
		} else {
			p = &x->next;
		}
	}
	q->queued_tail = p;
}

/* The batch's writes, counted. */
static size_t log_seq_writes(const struct log_seq_waiter *w)
{
	size_t n = 0;
	for (; w != NULL; w = w->next)
		n += w->write != NULL;
	return n;
}

/* A batch that failed with several returns in it: its calls wait again, first in the queue, each return marked to
 * be written alone (log_seq_start), so that the one that failed meets its own error and the others are written. */
static void log_seq_requeue(struct log_seq *q, struct log_seq_waiter *w)
{
	struct log_seq_waiter **tail = &w;
	while (*tail != NULL) {
		if ((*tail)->write != NULL)
			(*tail)->solo = true;
		tail = &(*tail)->next;
	}
	*tail = q->queued;
	if (q->queued == NULL)
		q->queued_tail = tail;
	q->queued = w;
}

/* The batch's statement answered (committed) or failed. The next batch starts at once; the calls that waited
 * for this one go on once its tree is signed, or at once when it failed. */
static void log_seq_done(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct server *srv = arg;
	struct log_seq *q = &srv->log_seq;
	bool answered = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;
	struct log_seq_batch *b = answered ? log_seq_batch_of(res) : NULL;
	struct log_seq_waiter *w = q->batch;
	q->batch = NULL;
	q->running = false;
	size_t writes = log_seq_writes(w);
	if (b != NULL) {
		q->batches++;
		q->sequenced += b->n;
		log_seq_answer(w, res);
		log_debug("log_sequenced", "tree_size=%llu sequenced=%zu writes=%zu", (unsigned long long)b->size, b->n,
			  writes);
	} else {
		log_error("log_sequence_failed", "writes=%zu error=%s", writes,
			  log_q(res && !answered ? PQresultErrorMessage(res)
				: res            ? "an answer of another shape"
				: error          ? error
						 : "no answer"));
	}
	if (b == NULL && writes > 1) {
		log_seq_requeue(q, w);
	} else {
		if (b == NULL && writes == 1 && res != NULL && !answered)
			for (struct log_seq_waiter *x = w; x != NULL; x = x->next)
				if (x->write != NULL)
					x->out->error = res;
		if (b != NULL)
			log_seq_claim(q, &w, b);
		if (b != NULL && w != NULL)
			log_seq_sign(srv, w, b);
		else
			log_seq_wake(w, b);
	}
	if (q->queued != NULL && !q->running)
		log_seq_start(srv);
}

/* The queued calls become the running batch, with their returns to write as one JSON array, but a return marked
 * solo goes in a batch with no other return (the calls without one come along); the first call lends the batch
 * its connection. */
static void log_seq_start(struct server *srv)
{
	struct log_seq *q = &srv->log_seq;
	struct log_seq_waiter *in = NULL, **in_tail = &in, *left = NULL, **left_tail = &left;
	bool solo = false;
	int pos = 0;
	struct buf writes = {0};
	buf_puts(&writes, "[");
	for (struct log_seq_waiter *w = q->queued, *next; w != NULL; w = next) {
		next = w->next;
		w->next = NULL;
		bool take = w->write == NULL || pos == 0 || (!solo && !w->solo);
		if (take && w->write != NULL) {
			solo = solo || w->solo;
			w->pos = ++pos;
			if (pos > 1)
				buf_puts(&writes, ",");
			buf_puts(&writes, w->write);
		}
		if (take) {
			*in_tail = w;
			in_tail = &w->next;
		} else {
			*left_tail = w;
			left_tail = &w->next;
		}
	}
	buf_puts(&writes, "]");
	q->running = true;
	q->batch = in;
	q->queued = left;
	q->queued_tail = left != NULL ? left_tail : &q->queued;
	const char *params[1] = {buf_str(&writes)};
	bool sent = db_query(q->batch->call->db, SQL_SEQUENCE, 1, params, log_seq_done, srv);
	buf_free(&writes);
	if (!sent)
		log_seq_done(NULL, NULL, "the call waiting first has no database connection", srv);
}

static void log_seq_enqueue(struct rpc_call *call, int64_t update_id, int64_t review_id, const char *write,
			    struct log_seq_written *out, log_seq_fn ready)
{
	struct log_seq *q = &call->srv->log_seq;
	struct log_seq_waiter *w = arena_alloc(&call->arena, sizeof *w);
	*w = (struct log_seq_waiter){.call = call,
				     .ready = ready,
				     .update_id = update_id,
				     .review_id = review_id,
				     .write = write,
				     .out = out};
	if (q->queued_tail == NULL)
		q->queued_tail = &q->queued;
	*q->queued_tail = w;
	q->queued_tail = &w->next;
	if (!q->running)
		log_seq_start(call->srv);
}

void log_seq_wait(struct rpc_call *call, int64_t update_id, int64_t review_id, log_seq_fn ready)
{
	log_seq_enqueue(call, update_id, review_id, NULL, NULL, ready);
}

void log_seq_write(struct rpc_call *call, const char *write, struct log_seq_written *out, log_seq_fn ready)
{
	*out = (struct log_seq_written){0};
	log_seq_enqueue(call, 0, 0, write, out, ready);
}
