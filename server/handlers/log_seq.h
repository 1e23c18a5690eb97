/* log_seq.h - the sequencer's side in the daemon (docs/verifiable-log.md, "The sequencer"). A return is handed
 * to the sequencer to write (log_seq_write); a review commits its row unsequenced (migrations/0025 queues it in
 * log_pending), and its call then waits here. One batch at a time per daemon runs planreg_log_sequence_batch
 * (migrations/0031) in a transaction of its own, on the leased connection of the first call that waits for it:
 * it sequences what was queued, writes the batch's returns after it, and answers with the leaves it made and
 * each return's outcome. The tree the batch made is signed
 * once (one checkpoint per batch, while the next batch runs), with every leaf's inclusion proof read in the same
 * query (log.c, log_sign_batch), and then every call that waited for that batch goes on with the batch in hand:
 * its row has a leaf (in this batch, or in another daemon's before it), and when it is this batch's, its receipt
 * needs nothing more from the database. Calls that start waiting while a batch runs wait for the next one, which
 * starts as soon as this one ends. */
#ifndef PLANREG_LOG_SEQ_H
#define PLANREG_LOG_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct rpc_call;
struct log_nodes;

/* One leaf a batch made. */
struct log_seq_leaf {
	uint64_t index;
	int64_t update_id, review_id; /* the one it is of; 0 for the other */
	const char *entry;
	const char *prev_hash, *hash; /* an update's chain link; NULL for a review */
};

/* What a batch sequenced, kept until every call that waited for it has gone on. */
struct log_seq_batch {
	struct arena arena; /* everything below */
	uint64_t size;      /* the tree's size when it committed */
	size_t n;
	struct log_seq_leaf *leaves;
	/* set by log_sign_batch once it signed the tree of size leaves: leaves[0..proved) are proved by nodes under
	 * that checkpoint (the signer's note, generation signed_generation) */
	size_t proved;
	uint64_t signed_generation;
	struct log_nodes *nodes;
};

/* What a daemon's sequencer holds: the calls waiting for the batch that runs, and those for the next; the batch
 * whose tree is being signed, and one that committed meanwhile and is signed next. */
struct log_seq_waiter;
struct log_seq {
	bool running;
	bool signing;                  /* a batch's checkpoint is being signed (its calls wait for it) */
	struct log_seq_waiter *batch;  /* woken when the running batch committed (or failed) */
	struct log_seq_waiter *queued; /* for the next batch */
	struct log_seq_waiter **queued_tail;
	struct log_seq_waiter *held; /* a committed batch's calls, waiting for the signing under way to end */
	struct log_seq_batch *held_batch;
	unsigned long long batches, sequenced; /* counted for the event=log_sequenced lines */
	/* receipts made from their batch (log.c, log_job_from_batch), and from the leaf and nodes read for them */
	unsigned long long receipts_batch, receipts_read;
};

/* The leaf b made for the update or review of that id (the other 0); NULL when it made none, or both are 0. */
const struct log_seq_leaf *log_seq_leaf_of(const struct log_seq_batch *b, int64_t update_id, int64_t review_id);

/* What the batch answered for a return it was given to write (log_seq_write), copied into the call's arena. */
struct log_seq_written {
	const char *outcome; /* "written", "replayed", "unchanged" or "stale"; NULL when the batch failed */
	int64_t id;          /* the update it names; 0 for a stale amend of a period that has none */
	int revision;
	const char *hash, *prev_hash, *warnings, *content_sha256, *submitted_at;
	/* the batch failed with this return alone in it: the statement's error (the return's own, then), valid while
	 * ready runs; NULL when it failed otherwise (the connection, say) */
	const struct pg_result *error;
};

/* b is the batch that ran (NULL when it failed: nothing was sequenced by it); it is freed after ready returns. */
typedef void (*log_seq_fn)(struct rpc_call *call, const struct log_seq_batch *b);
/* Parks call (which must have its database connection and nothing in flight on it) until a batch that starts
 * after now has committed, then calls ready; or, when it waits for the leaf of an entry (update_id or review_id
 * not 0), until the first batch that made that leaf has (which may be the one running now). */
void log_seq_wait(struct rpc_call *call, int64_t update_id, int64_t review_id, log_seq_fn ready);
/* Parks call (as log_seq_wait) with a return to write: write is its JSON object as planreg_log_sequence_batch
 * (migrations/0031) takes it. The next batch writes it with the batch's others in its one transaction, fills *out
 * and calls ready; when that batch fails with other returns in it, each of them is tried again in a batch of its
 * own, so that one return's error is its own and never another's. */
void log_seq_write(struct rpc_call *call, const char *write, struct log_seq_written *out, log_seq_fn ready);

#endif
