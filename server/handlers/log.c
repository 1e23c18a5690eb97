/* log.c - the verifiable log on the wire (docs/verifiable-log.md): the receipt SubmitUpdate and ReviewUpdate
 * answer with (leaf index, a signed checkpoint that includes it, the inclusion proof), and the requests a
 * monitor makes: GetCheckpoint, GetConsistencyProof, GetInclusionProof, GetLeaves.
 *
 * Proofs are made by proto/merkle.c from complete subtree hashes, which migrations/0014's node table holds by
 * (level, index). The generators are synchronous and the database is not, so a proof is made twice: a dry run
 * records which subtrees it reads, one query fetches exactly those, and the real run reads them from memory.
 *
 * Signing (log_sign.c): the tree is signed only when it has grown, and only after the consistency proof from
 * the last tree this daemon signed (its state file) to the new one verifies against both heads, so a rewritten
 * database can make this daemon refuse to sign but never sign a fork. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_error.h"
#include "handlers.h"
#include "log.h"
#include "log_seq.h"
#include "log_sign.h"
#include "merkle.h"
#include "server.h"
#include "xmalloc.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
#define LOG_SQL_SIZE "(SELECT coalesce(max(idx) + 1, 0) FROM log_leaf)"
/* $1 update id / review id. Rows of enum leaf_col; no row while the entry waits for the sequencer. */
static const char SQL_LEAF_OF_UPDATE[] =
	"SELECT l.idx, convert_from(l.entry, 'UTF8'), " LOG_SQL_SIZE ", u.prev_hash, u.hash"
	" FROM log_leaf l JOIN progress_update u ON u.id = l.update_id WHERE l.update_id = $1";
static const char SQL_LEAF_OF_REVIEW[] =
	"SELECT l.idx, convert_from(l.entry, 'UTF8'), " LOG_SQL_SIZE ", NULL::text, NULL::text"
	" FROM log_leaf l WHERE l.review_id = $1";
static const char SQL_LOG_SIZE[] = "SELECT NULL::bigint, NULL::text, " LOG_SQL_SIZE ", NULL::text, NULL::text";
enum leaf_col { LEAF_INDEX, LEAF_ENTRY, LEAF_TREE_SIZE, LEAF_PREV_HASH, LEAF_HASH /* an update's chain link */ };
/* $1 levels, $2 indices (arrays of the same length): each node a probe of log_node's key, whatever the table's
 * size (migrations/0030; a prepared join from the arrays kept a plan that scanned the whole table). */
static const char SQL_NODES[] = "SELECT level, idx, hash FROM planreg_log_nodes($1::smallint[], $2::bigint[])";
enum node_col { NODE_LEVEL, NODE_INDEX, NODE_HASH };
/* $1 first index, $2 how many */
static const char SQL_LEAVES[] =
	"SELECT convert_from(l.entry, 'UTF8'), c.der FROM log_leaf l"
	" LEFT JOIN progress_update u ON u.id = l.update_id LEFT JOIN update_review r ON r.id = l.review_id"
	" LEFT JOIN submitter_certificate c ON c.sha256 = coalesce(u.certificate_sha256, r.certificate_sha256)"
	" WHERE l.idx >= $1::bigint ORDER BY l.idx LIMIT $2::int";
enum { LEAVES_ENTRY, LEAVES_CERTIFICATE /* the DER of the certificate that signed it; NULL when unsigned */ };
/* clang-format on */

#define LOG_NODES_MAX 256    /* a compact range, a consistency and an inclusion proof need at most 64 + 129 + 64 */
#define LOG_BATCH_NODES 2048 /* a batch's: its signing and as many of its leaves' inclusion proofs as fit */
#define LOG_TRIES 10         /* a job starts again when another request signed a newer tree meanwhile */
#define LOG_LEAVES_MAX 1000

/* The complete subtrees one job (or one batch) reads: recorded by a dry run, then filled by SQL_NODES. */
struct log_node_slot {
	unsigned level;
	uint64_t index;
	bool have;
	uint8_t hash[MERKLE_HASH_LEN];
};
struct log_nodes {
	size_t n, cap;
	bool overflow;
	struct log_node_slot *v;
};

static void log_nodes_init(struct log_nodes *ns, struct log_node_slot *slots, size_t cap)
{
	ns->n = 0;
	ns->cap = cap;
	ns->overflow = false;
	ns->v = slots;
}

static bool log_nodes_record(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct log_nodes *ns = ctx;
	memset(out, 0, MERKLE_HASH_LEN);
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].level == level && ns->v[i].index == index)
			return true;
	if (ns->n == ns->cap) {
		ns->overflow = true;
		return false;
	}
	ns->v[ns->n].level = level;
	ns->v[ns->n].index = index;
	ns->v[ns->n].have = false;
	ns->n++;
	return true;
}

static bool log_nodes_lookup(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	const struct log_nodes *ns = ctx;
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].level == level && ns->v[i].index == index && ns->v[i].have) {
			memcpy(out, ns->v[i].hash, MERKLE_HASH_LEN);
			return true;
		}
	return false;
}

static int log_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* SQL_NODES' rows into the recorded entries; false when a row is not a hash. */
static bool log_nodes_fill(struct log_nodes *ns, PGresult *res)
{
	for (int r = 0; res != NULL && r < PQntuples(res); r++) {
		unsigned level = (unsigned)result_int(res, r, NODE_LEVEL);
		uint64_t index = (uint64_t)result_int64(res, r, NODE_INDEX);
		const char *hex = result_value(res, r, NODE_HASH);
		if (strlen(hex) != 2 * MERKLE_HASH_LEN)
			return false;
		for (size_t i = 0; i < ns->n; i++) {
			if (ns->v[i].level != level || ns->v[i].index != index)
				continue;
			for (size_t k = 0; k < MERKLE_HASH_LEN; k++) {
				int hi = log_hex_digit(hex[2 * k]), lo = log_hex_digit(hex[2 * k + 1]);
				if (hi < 0 || lo < 0)
					return false;
				ns->v[i].hash[k] = (uint8_t)(hi << 4 | lo);
			}
			ns->v[i].have = true;
		}
	}
	return true;
}

/* SQL_NODES' two parameters (levels, indices) for what the dry run recorded, in a. */
static void log_nodes_params(struct arena *a, const struct log_nodes *ns, const char *params[2])
{
	struct buf levels = {0}, indices = {0};
	buf_putc(&levels, '{');
	buf_putc(&indices, '{');
	for (size_t i = 0; i < ns->n; i++) {
		buf_printf(&levels, "%s%u", i ? "," : "", ns->v[i].level);
		buf_printf(&indices, "%s%llu", i ? "," : "", (unsigned long long)ns->v[i].index);
	}
	buf_putc(&levels, '}');
	buf_putc(&indices, '}');
	params[0] = arena_strdup(a, buf_str(&levels));
	params[1] = arena_strdup(a, buf_str(&indices));
	buf_free(&levels);
	buf_free(&indices);
}

/* Sends SQL_NODES for what the dry run recorded; next gets the rows. */
static void log_nodes_fetch(struct rpc_call *call, const struct log_nodes *ns, rpc_step next)
{
	const char *params[2];
	log_nodes_params(&call->arena, ns, params);
	query_run(call, SQL_NODES, 2, params, next);
}

/* ---------------------------------------------------------------- signing a grown tree */

/* Records what signing the tree of size leaves reads: its compact range and the consistency proof from the
 * tree s signed last. False when the plan cannot be made. */
static bool log_sign_plan(const struct log_signer *s, uint64_t size, struct log_nodes *ns)
{
	struct merkle_compact c;
	struct merkle_proof p;
	bool ok = merkle_compact_load(&c, size, log_nodes_record, ns);
	if (ok && s->size > 0)
		ok = merkle_consistency_proof(log_nodes_record, ns, s->size, size, &p);
	return ok;
}

/* The head of the tree of size leaves from the fetched nodes (root), once its consistency proof from the signed
 * tree the plan saw (signed_size leaves, head signed_root) verifies against both heads: the tree may be signed.
 * Otherwise false, and *why says what was wrong (malloc'd): the database no longer extends that tree. */
static bool log_sign_check(const struct log_nodes *ns, uint64_t size, uint64_t signed_size,
			   const uint8_t signed_root[MERKLE_HASH_LEN], uint8_t root[MERKLE_HASH_LEN], char **why)
{
	struct merkle_compact c;
	struct merkle_proof p = {0};
	if (!merkle_compact_load(&c, size, log_nodes_lookup, (void *)ns)) {
		*why = xstrdup("the node table lacks a subtree of the tree's right edge");
		return false;
	}
	merkle_compact_root(&c, root);
	if (signed_size > 0 &&
	    (!merkle_consistency_proof(log_nodes_lookup, (void *)ns, signed_size, size, &p) ||
	     !merkle_verify_consistency(signed_size, size, &p.hash[0][0], p.len, signed_root, root))) {
		*why = xasprintf("the tree of %llu entries is not consistent with the signed one of %llu",
				 (unsigned long long)size, (unsigned long long)signed_size);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- one checkpoint per batch (log_seq.c) */

struct log_batch_sign {
	struct server *srv;
	struct log_seq_batch *batch;
	size_t provable; /* the batch's leaves whose inclusion proofs the plan holds */
	uint64_t generation, signed_size;
	uint8_t signed_root[MERKLE_HASH_LEN];
	log_batch_signed_fn done;
	void *arg;
	struct log_nodes nodes;
};

/* The batch's tree is signed and written (error NULL), or could not be: then only logged. */
static void log_batch_committed(void *arg, const char *error)
{
	struct log_batch_sign *b = arg;
	if (error != NULL) {
		log_error("log_batch_sign", "size=%llu error=%s", (unsigned long long)b->batch->size, log_q(error));
	} else {
		b->batch->proved = b->provable;
		b->batch->signed_generation = b->srv->log_signer.generation;
		b->batch->nodes = &b->nodes;
	}
	b->done(b->arg);
}

/* Another tree's write was under way: it has ended, and that tree or none is signed; the batch's calls prove
 * for themselves. */
static void log_batch_idle(void *arg)
{
	struct log_batch_sign *b = arg;
	b->done(b->arg);
}

/* The batch's nodes came: its tree is signed unless another request signed meanwhile, and then its leaves are
 * proved from the same nodes. What goes wrong is only logged here: the calls' own jobs then sign, meet it again
 * and answer it. */
static void log_batch_have_nodes(struct db_conn *dc, PGresult *res, const char *error, void *arg)
{
	(void)dc;
	struct log_batch_sign *b = arg;
	struct log_signer *s = &b->srv->log_signer;
	uint8_t root[MERKLE_HASH_LEN];
	char *why = NULL;
	uint64_t size = b->batch->size;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("log_batch_sign", "size=%llu error=%s", (unsigned long long)size,
			  log_q(res     ? PQresultErrorMessage(res)
				: error ? error
					: "no answer"));
	} else if (s->generation == b->generation && log_nodes_fill(&b->nodes, res)) {
		/* else signed meanwhile (the calls prove under that tree), or not a hash (their jobs say so) */
		if (log_signer_busy(s)) {
			log_signer_when_idle(s, log_batch_idle, b);
			return;
		}
		if (log_sign_check(&b->nodes, size, b->signed_size, b->signed_root, root, &why)) {
			log_signer_commit(s, size, root, log_batch_committed, b);
			return;
		}
		log_error("log_batch_sign", "size=%llu error=%s", (unsigned long long)size, log_q(why));
		free(why);
	}
	b->done(b->arg);
}

bool log_sign_batch(struct rpc_call *call, struct log_seq_batch *batch, log_batch_signed_fn done, void *arg)
{
	struct log_signer *s = &call->srv->log_signer;
	if (!s->enabled || batch->size <= s->size)
		return false;
	struct log_batch_sign *b = arena_alloc(&batch->arena, sizeof *b); /* freed with the batch, after done */
	b->srv = call->srv;
	b->batch = batch;
	b->generation = s->generation;
	b->signed_size = s->size;
	memcpy(b->signed_root, s->root, MERKLE_HASH_LEN);
	b->done = done;
	b->arg = arg;
	log_nodes_init(&b->nodes, arena_alloc(&batch->arena, LOG_BATCH_NODES * sizeof *b->nodes.v), LOG_BATCH_NODES);
	if (!log_sign_plan(s, batch->size, &b->nodes))
		return false;
	struct merkle_proof p;
	while (b->provable < batch->n &&
	       merkle_inclusion_proof(log_nodes_record, &b->nodes, batch->leaves[b->provable].index, batch->size, &p))
		b->provable++;
	const char *params[2];
	log_nodes_params(&call->arena, &b->nodes, params);
	return db_query(call->db, SQL_NODES, 2, params, log_batch_have_nodes, b);
}

/* A proof as the wire's repeated bytes, copied into the call's arena. */
static void log_proof_out(struct rpc_call *call, const struct merkle_proof *p, ProtobufCBinaryData **out, size_t *n)
{
	*n = p->len;
	*out = arena_alloc(&call->arena, (p->len + 1) * sizeof **out);
	for (size_t i = 0; i < p->len; i++) {
		uint8_t *h = arena_alloc(&call->arena, MERKLE_HASH_LEN);
		memcpy(h, p->hash[i], MERKLE_HASH_LEN);
		(*out)[i].data = h;
		(*out)[i].len = MERKLE_HASH_LEN;
	}
}

static void log_refuse_rewritten(struct rpc_call *call, const char *what)
{
	log_error("log_not_extending", "rid=%s %s", call->rid, what);
	reply_error(call, PLANREG__V1__CODE__INTERNAL, "log_not_extending",
		    "the service's log no longer extends the last checkpoint it signed (%s); it signs nothing more "
		    "until its operators have looked: tell them",
		    what);
}

/* ---------------------------------------------------------------- the receipt and the newest checkpoint */

/* One job: sign the tree as it is now when it has grown (consistently), then prove a leaf under it. */
struct log_job {
	void *outer; /* the caller's call->state, given back before done */
	log_receipt_fn done;
	const char *sql;              /* SQL_LEAF_OF_* or SQL_LOG_SIZE */
	const char *id;               /* its parameter */
	int64_t update_id, review_id; /* the entry's, as the sequencer's batch names it */
	struct log_chain_link *link;  /* an update's: filled from its row once it has a leaf */
	int tries, waits;
	bool want_leaf;
	uint64_t leaf_index;
	const char *entry;
	uint64_t tree_size;
	/* the signer as the dry run saw it */
	uint64_t generation, signed_size;
	uint8_t signed_root[MERKLE_HASH_LEN];
	bool sign;
	struct log_nodes nodes;
	struct log_node_slot slots[LOG_NODES_MAX];
	log_written_fn written;          /* a return the sequencer writes (log_receipt_write): told its answer */
	struct log_seq_written answered; /* ... which the batch fills */
};

static void log_job_have_row(struct rpc_call *call, PGresult *res);
static void log_job_sequenced(struct rpc_call *call, const struct log_seq_batch *b);

static void log_job_finish(struct rpc_call *call, struct log_job *job, Planreg__V1__LogReceipt *r)
{
	call->state = job->outer;
	job->done(call, r);
}

static void log_job_query(struct rpc_call *call, struct log_job *job)
{
	const char *params[1] = {job->id};
	query_run(call, job->sql, job->id ? 1 : 0, job->id ? params : NULL, log_job_have_row);
}

/* Answers with the receipt of the job's leaf under the signed tree (s->note, s->root) of size leaves, its inclusion
 * proof made from ns and verified first, and counts it; false, with nothing answered, when it does not verify. */
static bool log_job_receipt(struct rpc_call *call, struct log_job *job, const struct log_nodes *ns, uint64_t size,
			    unsigned long long *counted)
{
	const struct log_signer *s = &call->srv->log_signer;
	struct merkle_proof p = {0};
	uint8_t leaf[MERKLE_HASH_LEN];
	merkle_leaf_hash(job->entry, strlen(job->entry), leaf);
	if (!merkle_inclusion_proof(log_nodes_lookup, (void *)ns, job->leaf_index, size, &p) ||
	    !merkle_verify_inclusion(leaf, job->leaf_index, size, &p.hash[0][0], p.len, s->root))
		return false;
	Planreg__V1__LogReceipt *r = ARENA_NEW(&call->arena, Planreg__V1__LogReceipt, planreg__v1__log_receipt__init);
	r->checkpoint = rpc_strdup(call, s->note);
	log_proof_out(call, &p, &r->proof, &r->n_proof);
	r->leaf_index = job->leaf_index;
	r->entry.data = (uint8_t *)job->entry;
	r->entry.len = strlen(job->entry);
	(*counted)++;
	log_job_finish(call, job, r);
	return true;
}

/* The log is kept, not signed: the index and the entry only. */
static void log_job_unsigned(struct rpc_call *call, struct log_job *job)
{
	Planreg__V1__LogReceipt *r = ARENA_NEW(&call->arena, Planreg__V1__LogReceipt, planreg__v1__log_receipt__init);
	r->leaf_index = job->leaf_index;
	r->entry.data = (uint8_t *)(job->want_leaf ? job->entry : "");
	r->entry.len = job->want_leaf ? strlen(job->entry) : 0;
	log_job_finish(call, job, r);
}

/* The answer under the signed tree (s->note, s->root, which the job's tree is now): the checkpoint, and the
 * leaf's receipt from the fetched nodes. */
static void log_job_answer(struct rpc_call *call, struct log_job *job)
{
	if (job->want_leaf) {
		if (!log_job_receipt(call, job, &job->nodes, job->tree_size, &call->srv->log_seq.receipts_read))
			log_refuse_rewritten(call, rpc_printf(call,
							      "entry %llu is not proved by the stored nodes under the "
							      "signed head",
							      (unsigned long long)job->leaf_index));
		return;
	}
	Planreg__V1__LogReceipt *r = ARENA_NEW(&call->arena, Planreg__V1__LogReceipt, planreg__v1__log_receipt__init);
	r->checkpoint = rpc_strdup(call, call->srv->log_signer.note);
	r->entry.data = (uint8_t *)"";
	log_job_finish(call, job, r);
}

/* The job's tree is signed and written, or could not be written. */
static void log_job_committed(void *arg, const char *error)
{
	struct rpc_call *call = arg;
	if (error != NULL) {
		log_error("log_state_write", "rid=%s %s", call->rid, error);
		reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "log_state_unwritable",
			    "the service cannot record its new checkpoint just now; try again");
		return;
	}
	log_job_answer(call, call->state);
}

static void log_job_have_nodes(struct rpc_call *call, PGresult *res);

/* Another tree's write has ended: the job goes on from its nodes (as signed meanwhile, or to sign). */
static void log_job_idle(void *arg)
{
	log_job_have_nodes(arg, NULL);
}

static void log_job_plan(struct rpc_call *call, struct log_job *job);

/* Another request signed while this one read its nodes. That tree is newer than the one this job meant to
 * sign: a checkpoint alone is answered with it, and a leaf it holds is proved under it (no signing); otherwise
 * the job starts again from the tree's size. */
static void log_job_raced(struct rpc_call *call, struct log_job *job, const struct log_signer *s)
{
	if (++job->tries >= LOG_TRIES) {
		reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "log_busy",
			    "the log kept growing while this answer was made; try again");
		return;
	}
	if (!job->want_leaf) {
		Planreg__V1__LogReceipt *r =
			ARENA_NEW(&call->arena, Planreg__V1__LogReceipt, planreg__v1__log_receipt__init);
		r->checkpoint = rpc_strdup(call, s->note);
		log_job_finish(call, job, r);
		return;
	}
	if (s->size > job->leaf_index) {
		job->tree_size = s->size;
		log_job_plan(call, job);
		return;
	}
	log_job_query(call, job);
}

static void log_job_have_nodes(struct rpc_call *call, PGresult *res)
{
	struct log_job *job = call->state;
	struct log_signer *s = &call->srv->log_signer;
	if (s->generation != job->generation) { /* another request signed a newer tree meanwhile */
		log_job_raced(call, job, s);
		return;
	}
	if (!log_nodes_fill(&job->nodes, res)) { /* res NULL (after a wait): filled already */
		log_refuse_rewritten(call, "the node table holds a value that is not a hash");
		return;
	}
	if (!job->sign) {
		log_job_answer(call, job);
		return;
	}
	if (log_signer_busy(s)) {
		log_signer_when_idle(s, log_job_idle, call);
		return;
	}
	uint8_t root[MERKLE_HASH_LEN];
	char *why = NULL;
	if (!log_sign_check(&job->nodes, job->tree_size, job->signed_size, job->signed_root, root, &why)) {
		log_refuse_rewritten(call, rpc_strdup(call, why));
		free(why);
		return;
	}
	log_signer_commit(s, job->tree_size, root, log_job_committed, call);
}

/* Records what the proofs will read (the dry run), then fetches it. */
static void log_job_plan(struct rpc_call *call, struct log_job *job)
{
	struct log_signer *s = &call->srv->log_signer;
	job->generation = s->generation;
	job->signed_size = s->size;
	memcpy(job->signed_root, s->root, MERKLE_HASH_LEN);
	/* A tree signed since the leaf was sequenced holds it: proved under that one, no new signature. And rows
	 * read before a tree this daemon signed since (another batch's, whose signing ended while this job's query
	 * ran) are answered from that tree, which holds everything they saw. A database that really lost entries is
	 * still caught: their nodes are missing and the proof does not verify. */
	if (job->want_leaf ? s->note != NULL && s->size > job->leaf_index : job->tree_size < s->size)
		job->tree_size = s->size;
	job->sign = job->tree_size > s->size || s->note == NULL;
	log_nodes_init(&job->nodes, job->slots, LOG_NODES_MAX);
	struct merkle_proof p;
	bool ok = !job->sign || log_sign_plan(s, job->tree_size, &job->nodes);
	if (ok && job->want_leaf)
		ok = merkle_inclusion_proof(log_nodes_record, &job->nodes, job->leaf_index, job->tree_size, &p);
	if (!ok) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "log_proof", "the service could not plan a proof");
		return;
	}
	if (job->nodes.n == 0) { /* nothing to read: the empty tree, or the signed one without a leaf */
		log_job_have_nodes(call, NULL);
		return;
	}
	log_nodes_fetch(call, &job->nodes, log_job_have_nodes);
}

static void log_job_have_row(struct rpc_call *call, PGresult *res)
{
	struct log_job *job = call->state;
	if (PQntuples(res) == 0 && job->want_leaf && ++job->waits < LOG_TRIES) {
		/* queued after that batch began (another daemon's, say) */
		log_seq_wait(call, job->update_id, job->review_id, log_job_sequenced);
		return;
	}
	if (PQntuples(res) != 1 || (job->want_leaf && result_is_null(res, 0, LEAF_INDEX))) {
		log_error("log_leaf_missing", "rid=%s id=%s", call->rid, job->id ? job->id : "");
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "log_leaf_missing",
			    "the entry is stored but has no place in the service's log; tell its operators");
		return;
	}
	job->tree_size = (uint64_t)result_int64(res, 0, LEAF_TREE_SIZE);
	if (job->want_leaf) {
		job->leaf_index = (uint64_t)result_int64(res, 0, LEAF_INDEX);
		job->entry = rpc_strdup(call, result_value(res, 0, LEAF_ENTRY));
		if (job->link != NULL) {
			job->link->prev_hash = rpc_strdup(call, result_value(res, 0, LEAF_PREV_HASH));
			job->link->hash = rpc_strdup(call, result_value(res, 0, LEAF_HASH));
		}
	}
	if (!call->srv->log_signer.enabled)
		log_job_unsigned(call, job);
	else
		log_job_plan(call, job);
}

/* The entry is one of the batch's leaves: the index, the entry and the link are the batch's. When the batch's
 * tree was signed with its leaves' proofs read, the receipt is made from them now; otherwise the job goes on
 * from the leaf as if it had read its row. */
static void log_job_from_batch(struct rpc_call *call, struct log_job *job, const struct log_seq_batch *b,
			       const struct log_seq_leaf *leaf)
{
	const struct log_signer *s = &call->srv->log_signer;
	job->leaf_index = leaf->index;
	job->entry = rpc_strdup(call, leaf->entry);
	job->tree_size = b->size;
	if (job->link != NULL) {
		job->link->prev_hash = rpc_strdup(call, leaf->prev_hash ? leaf->prev_hash : "");
		job->link->hash = rpc_strdup(call, leaf->hash ? leaf->hash : "");
	}
	if (!s->enabled) {
		log_job_unsigned(call, job);
		return;
	}
	size_t i = (size_t)(leaf - b->leaves);
	if (i < b->proved && s->generation == b->signed_generation && s->size == b->size &&
	    log_job_receipt(call, job, b->nodes, b->size, &call->srv->log_seq.receipts_batch))
		return;
	log_job_plan(call, job);
}

/* The sequencer's batch has committed: the entry has its leaf (or another batch must run first). */
static void log_job_sequenced(struct rpc_call *call, const struct log_seq_batch *b)
{
	if (b == NULL) {
		reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "log_sequencer",
			    "the service could not give the entry its place in the log just now; try again (a retry "
			    "with the same idempotency key gets this entry back)");
		return;
	}
	struct log_job *job = call->state;
	const struct log_seq_leaf *leaf = job->want_leaf ? log_seq_leaf_of(b, job->update_id, job->review_id) : NULL;
	if (leaf != NULL)
		log_job_from_batch(call, job, b, leaf);
	else
		log_job_query(call, job);
}

/* A job for the entry of that id (0: none, the checkpoint alone), which becomes call->state. */
static struct log_job *log_job_new(struct rpc_call *call, const char *sql, int64_t id, struct log_chain_link *link,
				   log_receipt_fn done)
{
	struct log_job *job = arena_alloc(&call->arena, sizeof *job);
	memset(job, 0, sizeof *job);
	job->outer = call->state;
	job->done = done;
	job->sql = sql;
	job->id = id > 0 ? rpc_printf(call, "%lld", (long long)id) : NULL;
	job->want_leaf = id > 0;
	job->update_id = sql == SQL_LEAF_OF_UPDATE ? id : 0;
	job->review_id = sql == SQL_LEAF_OF_REVIEW ? id : 0;
	job->link = link;
	call->state = job;
	return job;
}

static void log_job_start(struct rpc_call *call, const char *sql, int64_t id, struct log_chain_link *link,
			  log_receipt_fn done)
{
	struct log_job *job = log_job_new(call, sql, id, link, done);
	log_seq_wait(call, job->update_id, job->review_id,
		     log_job_sequenced); /* everything committed before now gets its leaf first */
}

/* The batch that was to write the job's return has committed (b) or failed; the caller decides on its answer,
 * then the receipt is of the update it names: one of the batch's leaves, or an earlier one read. */
static void log_job_wrote(struct rpc_call *call, const struct log_seq_batch *b)
{
	struct log_job *job = call->state;
	const struct log_seq_written *w = &job->answered;
	if (b == NULL || w->outcome == NULL) {
		call->state = job->outer;
		if (w->error != NULL)
			db_error_reply(call, (const PGresult *)w->error, NULL,
				       call->method ? call->method->doing : "writing");
		else
			reply_error(call, PLANREG__V1__CODE__UNAVAILABLE, "log_sequencer",
				    "the service could not write the return just now; try again (a retry with the same "
				    "idempotency key is safe)");
		return;
	}
	call->state = job->outer;
	if (!job->written(call, w))
		return;
	call->state = job;
	job->update_id = w->id;
	job->id = rpc_printf(call, "%lld", (long long)w->id);
	log_job_sequenced(call, b);
}

void log_receipt_write(struct rpc_call *call, const char *write, struct log_chain_link *link, log_written_fn written,
		       log_receipt_fn done)
{
	/* the update's id is the batch's to give (log_job_wrote) */
	struct log_job *job = log_job_new(call, SQL_LEAF_OF_UPDATE, 0, link, done);
	job->want_leaf = true;
	job->written = written;
	log_seq_write(call, write, &job->answered, log_job_wrote);
}

void log_receipt_update(struct rpc_call *call, int64_t update_id, struct log_chain_link *link, log_receipt_fn done)
{
	log_job_start(call, SQL_LEAF_OF_UPDATE, update_id, link, done);
}

void log_receipt_review(struct rpc_call *call, int64_t review_id, log_receipt_fn done)
{
	log_job_start(call, SQL_LEAF_OF_REVIEW, review_id, NULL, done);
}

/* ---------------------------------------------------------------- GetCheckpoint */

bool log_require_signed(struct rpc_call *call)
{
	if (call->srv->log_signer.enabled)
		return true;
	reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "log_not_signed",
		    "this service keeps its log but does not sign it (its operators have not set log_key)");
	return false;
}

static void log_checkpoint_done(struct rpc_call *call, Planreg__V1__LogReceipt *receipt)
{
	Planreg__V1__GetCheckpointResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetCheckpointResponse, planreg__v1__get_checkpoint_response__init);
	r->checkpoint = receipt->checkpoint;
	log_witness_cosigned(call, r);
}

void log_get_checkpoint(struct rpc_call *call)
{
	if (log_require_signed(call))
		log_job_start(call, SQL_LOG_SIZE, 0, NULL, log_checkpoint_done);
}

/* ---------------------------------------------------------------- proofs */

/* The proof request's nodes have arrived: make the proof for real. */
struct log_proof_state {
	bool inclusion;
	uint64_t a, b; /* index and size, or old and new size */
	struct log_nodes nodes;
	struct log_node_slot slots[LOG_NODES_MAX];
};

static bool log_proof_make(struct log_proof_state *st, merkle_subtree_fn fn, struct merkle_proof *p)
{
	if (st->inclusion)
		return merkle_inclusion_proof(fn, &st->nodes, st->a, st->b, p);
	return merkle_consistency_proof(fn, &st->nodes, st->a, st->b, p);
}

static void log_proof_have_nodes(struct rpc_call *call, PGresult *res)
{
	struct log_proof_state *st = call->state;
	struct merkle_proof p = {0};
	if (!log_nodes_fill(&st->nodes, res) || !log_proof_make(st, log_nodes_lookup, &p)) {
		log_error("log_proof_nodes", "rid=%s a=%llu b=%llu", call->rid, (unsigned long long)st->a,
			  (unsigned long long)st->b);
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "log_proof",
			    "the service's log lacks what the proof needs; tell its operators");
		return;
	}
	if (st->inclusion) {
		Planreg__V1__GetInclusionProofResponse *r =
			ARENA_NEW(&call->arena, Planreg__V1__GetInclusionProofResponse,
				  planreg__v1__get_inclusion_proof_response__init);
		log_proof_out(call, &p, &r->proof, &r->n_proof);
		reply_ok(call, r);
		return;
	}
	Planreg__V1__GetConsistencyProofResponse *r = ARENA_NEW(&call->arena, Planreg__V1__GetConsistencyProofResponse,
								planreg__v1__get_consistency_proof_response__init);
	log_proof_out(call, &p, &r->proof, &r->n_proof);
	reply_ok(call, r);
}

static void log_proof_start(struct rpc_call *call, bool inclusion, uint64_t a, uint64_t b)
{
	struct log_proof_state *st = arena_alloc(&call->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	log_nodes_init(&st->nodes, st->slots, LOG_NODES_MAX);
	st->inclusion = inclusion;
	st->a = a;
	st->b = b;
	call->state = st;
	struct merkle_proof p;
	if (!log_proof_make(st, log_nodes_record, &p)) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "log_proof", "the service could not plan a proof");
		return;
	}
	if (st->nodes.n == 0) {
		log_proof_have_nodes(call, NULL);
		return;
	}
	log_nodes_fetch(call, &st->nodes, log_proof_have_nodes);
}

void log_get_consistency_proof(struct rpc_call *call)
{
	const Planreg__V1__GetConsistencyProofRequest *q = call->req->get_consistency_proof;
	if (!log_require_signed(call))
		return;
	uint64_t signed_size = call->srv->log_signer.size;
	if (q->old_size == 0 || q->old_size > q->new_size || q->new_size > signed_size) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "log_range_invalid",
			    "a consistency proof goes from an older tree of at least 1 entry to a newer one of at most "
			    "%llu (the newest signed); asked from %llu to %llu",
			    (unsigned long long)signed_size, (unsigned long long)q->old_size,
			    (unsigned long long)q->new_size);
		return;
	}
	log_proof_start(call, false, q->old_size, q->new_size);
}

void log_get_inclusion_proof(struct rpc_call *call)
{
	const Planreg__V1__GetInclusionProofRequest *q = call->req->get_inclusion_proof;
	if (!log_require_signed(call))
		return;
	uint64_t signed_size = call->srv->log_signer.size;
	if (q->index >= q->size || q->size > signed_size) {
		reply_error(
			call, PLANREG__V1__CODE__INVALID_ARGUMENT, "log_range_invalid",
			"an inclusion proof is of an entry below the tree's size, in a tree of at most %llu entries "
			"(the newest signed); asked for entry %llu in %llu",
			(unsigned long long)signed_size, (unsigned long long)q->index, (unsigned long long)q->size);
		return;
	}
	log_proof_start(call, true, q->index, q->size);
}

/* ---------------------------------------------------------------- the head at a size */

/* The head of the stored tree at one size, while its compact range is read. */
struct log_root_job {
	void *outer; /* the caller's call->state, given back before done */
	log_root_fn done;
	uint64_t size;
	struct log_nodes nodes;
	struct log_node_slot slots[LOG_NODES_MAX];
};

static void log_root_have_nodes(struct rpc_call *call, PGresult *res)
{
	struct log_root_job *job = call->state;
	struct merkle_compact c;
	uint8_t root[MERKLE_HASH_LEN];
	bool ok = log_nodes_fill(&job->nodes, res) && merkle_compact_load(&c, job->size, log_nodes_lookup, &job->nodes);
	if (ok)
		merkle_compact_root(&c, root);
	call->state = job->outer;
	job->done(call, ok ? root : NULL);
}

void log_root_at(struct rpc_call *call, uint64_t size, log_root_fn done)
{
	struct log_root_job *job = arena_alloc(&call->arena, sizeof *job);
	memset(job, 0, sizeof *job);
	log_nodes_init(&job->nodes, job->slots, LOG_NODES_MAX);
	job->outer = call->state;
	job->done = done;
	job->size = size;
	call->state = job;
	struct merkle_compact c;
	if (!merkle_compact_load(&c, size, log_nodes_record, &job->nodes)) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "log_proof", "the service could not plan a proof");
		return;
	}
	if (job->nodes.n == 0) { /* the empty tree */
		log_root_have_nodes(call, NULL);
		return;
	}
	log_nodes_fetch(call, &job->nodes, log_root_have_nodes);
}

/* ---------------------------------------------------------------- GetLeaves */

/* A certificate (bytea as text) added to the page unless it is there already. */
static void log_leaves_certificate(struct rpc_call *call, Planreg__V1__GetLeavesResponse *r, const char *bytea)
{
	size_t n = 0;
	unsigned char *der = PQunescapeBytea((const unsigned char *)bytea, &n);
	if (der == NULL)
		return;
	bool seen = false;
	for (size_t k = 0; k < r->n_certificates && !seen; k++)
		seen = r->certificates[k].len == n && memcmp(r->certificates[k].data, der, n) == 0;
	if (!seen) {
		uint8_t *copy = arena_alloc(&call->arena, n ? n : 1);
		memcpy(copy, der, n);
		r->certificates[r->n_certificates].data = copy;
		r->certificates[r->n_certificates++].len = n;
	}
	PQfreemem(der);
}

static void log_leaves_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__GetLeavesResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetLeavesResponse, planreg__v1__get_leaves_response__init);
	int n = PQntuples(res);
	r->n_entries = (size_t)n;
	r->entries = arena_alloc(&call->arena, ((size_t)n + 1) * sizeof *r->entries);
	r->certificates = arena_alloc(&call->arena, ((size_t)n + 1) * sizeof *r->certificates);
	for (int i = 0; i < n; i++) {
		const char *e = rpc_strdup(call, result_value(res, i, LEAVES_ENTRY));
		r->entries[i].data = (uint8_t *)e;
		r->entries[i].len = strlen(e);
		if (!result_is_null(res, i, LEAVES_CERTIFICATE))
			log_leaves_certificate(call, r, result_value(res, i, LEAVES_CERTIFICATE));
	}
	reply_ok(call, r);
}

void log_get_leaves(struct rpc_call *call)
{
	const Planreg__V1__GetLeavesRequest *q = call->req->get_leaves;
	if (q->count < 1 || q->count > LOG_LEAVES_MAX || q->start > (uint64_t)INT64_MAX) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "log_range_invalid",
			    "ask for 1 to %d entries from an index of the log", LOG_LEAVES_MAX);
		return;
	}
	const char *params[2] = {rpc_printf(call, "%llu", (unsigned long long)q->start),
				 rpc_printf(call, "%u", (unsigned)q->count)};
	query_run(call, SQL_LEAVES, 2, params, log_leaves_done);
}
