/* log_seq.h - the sequencer's side in the daemon (docs/verifiable-log.md, "The sequencer"). A write commits its
 * row unsequenced (migrations/0025 queues it in log_pending); its call then waits here. One batch at a time per
 * daemon runs planreg_log_sequence in a transaction of its own, on the leased connection of the first call that
 * waits for it, and every call that waited for that batch is woken once it committed: their rows then have a
 * leaf (in this batch, or in another daemon's before it), and the tree the batch made is signed first (one
 * checkpoint per batch, while the next batch runs). Calls that start waiting while a batch runs wait for the
 * next one, which starts as soon as this one ends. */
#ifndef PLANREG_LOG_SEQ_H
#define PLANREG_LOG_SEQ_H

#include <stdbool.h>

struct rpc_call;

/* What a daemon's sequencer holds: the calls waiting for the batch that runs, and those for the next. */
struct log_seq_waiter;
struct log_seq {
	bool running;
	bool signing; /* a batch's checkpoint is being signed (its calls wait for it; log.c, log_sign_batch) */
	struct log_seq_waiter *batch;  /* woken when the running batch committed (or failed) */
	struct log_seq_waiter *queued; /* for the next batch */
	struct log_seq_waiter **queued_tail;
	unsigned long long batches, sequenced; /* counted for the event=log_sequenced lines */
};

/* Called with ok false when the batch failed (nothing was sequenced by it). */
typedef void (*log_seq_fn)(struct rpc_call *call, bool ok);
/* Parks call (which must have its database connection and nothing in flight on it) until a batch that starts
 * after now has committed, then calls ready. */
void log_seq_wait(struct rpc_call *call, log_seq_fn ready);

#endif
