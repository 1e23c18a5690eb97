/* log_seq.c - the sequencer's side in the daemon (see log_seq.h). */
#include "log_seq.h"

#include <stdint.h>
#include <stdlib.h>

#include "handlers.h"
#include "log.h"
#include "server.h"

/* One batch, in its own transaction (autocommit): the chain links, leaf indices and node hashes of everything
 * queued, under the chain's advisory lock (migrations/0025). */
static const char SQL_SEQUENCE[] = "SELECT tree_size, sequenced FROM planreg_log_sequence()";
enum { SEQ_TREE_SIZE, SEQ_SEQUENCED };

struct log_seq_waiter {
	struct rpc_call *call;
	log_seq_fn ready;
	struct log_seq_waiter *next;
};

static void log_seq_start(struct server *srv);

/* Every call of a batch goes on. */
static void log_seq_wake(struct log_seq_waiter *w, bool ok)
{
	while (w != NULL) {
		struct log_seq_waiter *next = w->next; /* w is in its call's arena, which ready may free */
		log_set_request(w->call->rid);
		w->ready(w->call, ok);
		log_set_request(NULL);
		w = next;
	}
}

/* The batch's checkpoint is signed (or could not be: its calls meet that themselves). */
static void log_seq_signed(void *arg)
{
	struct log_seq_waiter *w = arg;
	w->call->srv->log_seq.signing = false;
	log_seq_wake(w, true);
}

/* The batch's statement answered (committed) or failed. The next batch starts at once; the calls that waited
 * for this one go on once its tree is signed (one checkpoint per batch, on the first call's connection, while
 * the next batch runs), or at once when there is nothing to sign or a signing is already under way. */
static void log_seq_done(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct server *srv = arg;
	struct log_seq *q = &srv->log_seq;
	bool ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	uint64_t size = 0;
	if (ok) {
		q->batches++;
		q->sequenced += (unsigned long long)atoll(PQgetvalue(res, 0, SEQ_SEQUENCED));
		size = (uint64_t)atoll(PQgetvalue(res, 0, SEQ_TREE_SIZE));
		log_debug("log_sequenced", "tree_size=%s sequenced=%s", PQgetvalue(res, 0, SEQ_TREE_SIZE),
			  PQgetvalue(res, 0, SEQ_SEQUENCED));
	} else {
		log_error("log_sequence_failed", "error=%s",
			  log_q(res     ? PQresultErrorMessage(res)
				: error ? error
					: "no answer"));
	}
	struct log_seq_waiter *w = q->batch;
	q->batch = NULL;
	q->running = false;
	if (ok && w != NULL && !q->signing && log_sign_batch(w->call, size, log_seq_signed, w))
		q->signing = true;
	else
		log_seq_wake(w, ok);
	if (q->queued != NULL && !q->running)
		log_seq_start(srv);
}

/* Everything queued becomes the running batch; its first call lends the batch its connection. */
static void log_seq_start(struct server *srv)
{
	struct log_seq *q = &srv->log_seq;
	q->running = true;
	q->batch = q->queued;
	q->queued = NULL;
	q->queued_tail = &q->queued;
	if (!db_query(q->batch->call->db, SQL_SEQUENCE, 0, NULL, log_seq_done, srv))
		log_seq_done(NULL, NULL, "the call waiting first has no database connection", srv);
}

void log_seq_wait(struct rpc_call *call, log_seq_fn ready)
{
	struct log_seq *q = &call->srv->log_seq;
	struct log_seq_waiter *w = arena_alloc(&call->arena, sizeof *w);
	w->call = call;
	w->ready = ready;
	w->next = NULL;
	if (q->queued_tail == NULL)
		q->queued_tail = &q->queued;
	*q->queued_tail = w;
	q->queued_tail = &w->next;
	if (!q->running)
		log_seq_start(call->srv);
}
