/* log_witness.c - witnesses of the verifiable log (docs/verifiable-log.md, "Witnesses"): SetWitnessKey (the CA
 * registers an organisation's cosignature verifier key), GetWitness (what the service knows of the caller's
 * organisation as a witness), AddCosignature (a cosignature checked against that key, over a checkpoint this
 * log's key signed, then kept: migrations/0021), and the cosignature lines GetCheckpoint appends to its note. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checkpoint.h"
#include "handlers.h"
#include "log.h"
#include "log_sign.h"
#include "merkle.h"
#include "note.h"
#include "server.h"
#include "xmalloc.h"

/* SQL reads better laid out by hand. */
/* clang-format off */
/* $1 organisation, $2 verifier key, $3 the CA's credential. Rows of enum witness_key_col. */
static const char SQL_WITNESS_KEY_SET[] =
	"INSERT INTO witness_key (org_code, vkey, registered_by) SELECT o.code, $2, $3 FROM organisation o"
	" WHERE lower(o.code) = lower($1) ON CONFLICT (org_code) DO UPDATE SET vkey = EXCLUDED.vkey,"
	"  registered_by = EXCLUDED.registered_by, registered_at = now() RETURNING org_code, vkey";
enum witness_key_col { WKEY_ORG, WKEY_VKEY };
/* $1 organisation. Rows of enum witness_col (one, with NULLs for what is not there). */
static const char SQL_WITNESS_GET[] =
	"SELECT k.vkey, c.checkpoint, c.log_line, c.line, c.tree_size FROM (SELECT 1) one"
	" LEFT JOIN witness_key k ON lower(k.org_code) = lower($1) LEFT JOIN LATERAL (SELECT * FROM log_cosignature c"
	"  WHERE lower(c.org_code) = lower($1) ORDER BY c.tree_size DESC LIMIT 1) c ON true";
enum witness_col { WIT_VKEY, WIT_CHECKPOINT, WIT_LOG_LINE, WIT_LINE, WIT_SIZE };
/* $1 organisation, $2 size, $3 checkpoint text, $4 key, $5 line, $6 the log's line, $7 time. One row of enum
 * cosign_col: whether it was kept, the largest size and the latest time cosigned before, and whether this very
 * checkpoint was. A witness never goes backwards: neither to a smaller tree nor to an earlier time. */
static const char SQL_COSIGN_INSERT[] =
	"WITH last AS (SELECT max(tree_size) AS size, max(cosigned_at) AS at FROM log_cosignature WHERE org_code = $1),"
	" ins AS (INSERT INTO log_cosignature (org_code, tree_size, checkpoint, vkey, line, log_line, cosigned_at)"
	"  SELECT $1, $2::bigint, $3, $4, $5, $6, $7::bigint FROM last"
	"  WHERE last.size IS NULL OR (last.size < $2::bigint AND last.at <= $7::bigint) RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins), (SELECT size FROM last), (SELECT at FROM last),"
	"  EXISTS (SELECT 1 FROM log_cosignature WHERE org_code = $1 AND tree_size = $2::bigint AND checkpoint = $3)";
enum cosign_col { COSIGN_KEPT, COSIGN_LAST, COSIGN_LAST_AT, COSIGN_SAME };
/* $1 checkpoint text: the lines of the witnesses whose registered key made them. */
static const char SQL_COSIGNATURES_OF[] =
	"SELECT c.line, c.vkey FROM log_cosignature c JOIN witness_key k ON k.org_code = c.org_code AND k.vkey = c.vkey"
	" WHERE md5(c.checkpoint) = md5($1) AND c.checkpoint = $1 ORDER BY c.org_code LIMIT 99";
enum cosigs_col { COSIGS_LINE, COSIGS_VKEY };
/* $1 the witness keys asked for, one a line; $2 the quorum. The newest checkpoint that at least $2 of them cosigned:
 * its rows by those keys, rows of enum cosigned_col. */
static const char SQL_COSIGNED_NEWEST[] =
	"WITH k AS (SELECT string_to_array($1, E'\\n') AS keys),"
	" best AS (SELECT c.checkpoint FROM log_cosignature c, k WHERE c.vkey = ANY(k.keys) GROUP BY c.checkpoint"
	"  HAVING count(DISTINCT c.vkey) >= $2::int ORDER BY max(c.tree_size) DESC LIMIT 1)"
	" SELECT c.checkpoint, c.log_line, c.line, c.vkey, c.tree_size FROM log_cosignature c, best b, k"
	" WHERE md5(c.checkpoint) = md5(b.checkpoint) AND c.checkpoint = b.checkpoint AND c.vkey = ANY(k.keys)"
	" ORDER BY c.org_code LIMIT 99";
enum cosigned_col { COSIGNED_CHECKPOINT, COSIGNED_LOG_LINE, COSIGNED_LINE, COSIGNED_VKEY, COSIGNED_SIZE };
/* clang-format on */

#define WITNESS_CLOCK_SKEW 600 /* seconds a cosignature's time may be ahead of the service's clock */
#define WITNESS_KEYS_MAX 99    /* a note carries at most 100 signature lines, the log's one */

/* ---------------------------------------------------------------- SetWitnessKey */

static Planreg__V1__WitnessKey *witness_key_out(struct rpc_call *call, const char *org, const char *vkey)
{
	Planreg__V1__WitnessKey *k = ARENA_NEW(&call->arena, Planreg__V1__WitnessKey, planreg__v1__witness_key__init);
	k->organisation = rpc_strdup(call, org);
	k->vkey = rpc_strdup(call, vkey);
	return k;
}

static void witness_key_set_done(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) != 1) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "organisation_unknown",
			    "there is no organisation %s: see `planreg org list`",
			    call->req->set_witness_key->key->organisation);
		return;
	}
	Planreg__V1__SetWitnessKeyResponse *r = ARENA_NEW(&call->arena, Planreg__V1__SetWitnessKeyResponse,
							  planreg__v1__set_witness_key_response__init);
	r->key = witness_key_out(call, result_value(res, 0, WKEY_ORG), result_value(res, 0, WKEY_VKEY));
	reply_ok(call, r);
}

void log_witness_set_key(struct rpc_call *call)
{
	static const Planreg__V1__WitnessKey none = PLANREG__V1__WITNESS_KEY__INIT;
	const Planreg__V1__WitnessKey *q = call->req->set_witness_key->key ? call->req->set_witness_key->key : &none;
	struct note_verifier v;
	if (q->organisation[0] == '\0')
		reply_violation(call, "organisation", "say whose witness key this is (an organisation's code)");
	if (!note_verifier_parse(q->vkey, &v) || v.type != NOTE_COSIGNATURE)
		reply_violation(call, "vkey",
				"give a witness's cosignature verifier key (NAME+8 hex digits+base64 of type 0x04, as "
				"`planreg audit witness-key` prints it)");
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_witness_key");
		return;
	}
	char *canonical = note_verifier_format(&v);
	const char *params[3] = {q->organisation, rpc_strdup(call, canonical), call->principal.credential};
	free(canonical);
	query_run(call, SQL_WITNESS_KEY_SET, 3, params, witness_key_set_done);
}

/* ---------------------------------------------------------------- GetWitness */

static void witness_get_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__GetWitnessResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetWitnessResponse, planreg__v1__get_witness_response__init);
	r->key = witness_key_out(call, call->principal.organisation,
				 result_is_null(res, 0, WIT_VKEY) ? "" : result_value(res, 0, WIT_VKEY));
	if (!result_is_null(res, 0, WIT_CHECKPOINT)) {
		r->cosigned = rpc_printf(call, "%s\n%s%s", result_value(res, 0, WIT_CHECKPOINT),
					 result_value(res, 0, WIT_LOG_LINE), result_value(res, 0, WIT_LINE));
		r->cosigned_size = (uint64_t)result_int64(res, 0, WIT_SIZE);
	}
	reply_ok(call, r);
}

void log_witness_get(struct rpc_call *call)
{
	const char *params[1] = {call->principal.organisation};
	query_run(call, SQL_WITNESS_GET, 1, params, witness_get_done);
}

/* ---------------------------------------------------------------- AddCosignature */

/* What AddCosignature has checked so far, for its steps. */
struct witness_cosign {
	const char *text, *log_line; /* the checkpoint text and the log's signature line */
	const char *line;            /* the cosignature line, ending in its newline */
	uint64_t size, when;
	uint8_t root[MERKLE_HASH_LEN]; /* the checkpoint's head */
};

/* The log's own signature line of the opened note n, verbatim ("— name base64\n"), or NULL. */
static const char *witness_log_line(struct rpc_call *call, const char *msg, const struct note *n)
{
	const struct log_signer *s = &call->srv->log_signer;
	const char *at = msg + n->text_len + 1;
	for (size_t i = 0; i < n->nsigs; i++) {
		const char *nl = strchr(at, '\n');
		if (nl == NULL)
			return NULL;
		if (n->sigs[i].key != NULL && n->sigs[i].key->key_id == s->vkey.key_id)
			return rpc_printf(call, "%.*s", (int)(nl - at + 1), at);
		at = nl + 1;
	}
	return NULL;
}

/* The checkpoint as sent: a note this log's key signed, for its origin. False when the call was answered. */
static bool witness_checkpoint_ours(struct rpc_call *call, struct witness_cosign *st)
{
	const struct log_signer *s = &call->srv->log_signer;
	const char *msg = call->req->add_cosignature->checkpoint;
	struct note n;
	struct checkpoint cp;
	const char *why = NULL;
	bool ok = note_open(msg, strlen(msg), &s->vkey, 1, &n, &why);
	if (ok) {
		ok = checkpoint_parse(n.text, n.text_len, &cp, &why);
		if (ok) {
			if (strcmp(cp.origin, s->origin) != 0)
				why = "it names another log";
			ok = strcmp(cp.origin, s->origin) == 0 && cp.size <= s->size;
			st->size = cp.size;
			memcpy(st->root, cp.root, MERKLE_HASH_LEN);
			checkpoint_free(&cp);
		}
		st->text = rpc_strdup(call, n.text);
		st->log_line = witness_log_line(call, msg, &n);
		note_free(&n);
	}
	if (!ok || st->log_line == NULL) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "checkpoint_not_signed",
			    "the checkpoint sent is not one this service's log signed (%s): cosign the note "
			    "GetCheckpoint served, as it was served",
			    why ? why : "it is newer than the newest signed");
		return false;
	}
	return true;
}

/* The cosignature line by the registered key k over st->text: its time, or false when the call was answered. */
static bool witness_cosignature_valid(struct rpc_call *call, struct witness_cosign *st, const struct note_verifier *k,
				      uint64_t *when)
{
	const char *line = call->req->add_cosignature->cosignature;
	size_t len = strlen(line);
	const char *nl = strchr(line, '\n');
	st->line = rpc_printf(call, "%s%s", line, nl == NULL ? "\n" : "");
	char *msg = rpc_printf(call, "%s\n%s", st->text, st->line);
	struct note n = {0};
	const char *why = "it is not one line";
	if ((nl != NULL && nl != line + len - 1) || !note_split(msg, strlen(msg), &n, &why) || n.nsigs != 1 ||
	    strcmp(n.text, st->text) != 0) {
		note_free(&n);
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "cosignature_malformed",
			    "the cosignature is not one signature line (%s)", why);
		return false;
	}
	bool by_key = n.sigs[0].key_id == k->key_id && strcmp(n.sigs[0].name, k->name) == 0;
	note_free(&n);
	if (!by_key) {
		reply_error(call, PLANREG__V1__CODE__PERMISSION_DENIED, "cosignature_wrong_key",
			    "the cosignature is not by %s's registered witness key (%s+%08x): cosign with that key, "
			    "or ask the Combined Authority to register yours",
			    call->principal.organisation, k->name, (unsigned)k->key_id);
		return false;
	}
	if (!note_open(msg, strlen(msg), k, 1, &n, &why)) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "cosignature_invalid",
			    "the cosignature does not verify with %s's witness key over that checkpoint",
			    call->principal.organisation);
		return false;
	}
	*when = n.sigs[0].time;
	note_free(&n);
	if (*when > (uint64_t)time(NULL) + WITNESS_CLOCK_SKEW) {
		reply_error(call, PLANREG__V1__CODE__INVALID_ARGUMENT, "cosignature_time",
			    "the cosignature is dated %llu, in the future: set the witness's clock",
			    (unsigned long long)*when);
		return false;
	}
	return true;
}

static void witness_cosign_kept(struct rpc_call *call, PGresult *res)
{
	struct witness_cosign *st = call->state;
	bool kept = result_int64(res, 0, COSIGN_KEPT) > 0;
	if (!kept && strcmp(result_value(res, 0, COSIGN_SAME), "t") != 0) {
		bool smaller = (uint64_t)result_int64(res, 0, COSIGN_LAST) >= st->size;
		reply_error(
			call, PLANREG__V1__CODE__FAILED_PRECONDITION,
			smaller ? "cosignature_not_newer" : "cosignature_time_backwards",
			smaller ? "%s's witness already cosigned a tree of %s entries: a witness never cosigns an "
				  "older tree, nor another one of the same size"
				: "%s's witness already cosigned a tree at time %s, later than this cosignature's: a "
				  "witness's cosignatures never go back in time (set the witness's clock)",
			call->principal.organisation, result_value(res, 0, smaller ? COSIGN_LAST : COSIGN_LAST_AT));
		return;
	}
	Planreg__V1__AddCosignatureResponse *r = ARENA_NEW(&call->arena, Planreg__V1__AddCosignatureResponse,
							   planreg__v1__add_cosignature_response__init);
	r->organisation = rpc_strdup(call, call->principal.organisation);
	r->size = st->size;
	r->time = st->when;
	reply_ok(call, r);
}

static void witness_cosign_have_key(struct rpc_call *call, PGresult *res)
{
	struct witness_cosign *st = call->state;
	struct note_verifier k;
	if (PQntuples(res) != 1 || result_is_null(res, 0, WIT_VKEY)) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "witness_key_unregistered",
			    "%s has no witness key registered: the Combined Authority registers the one `planreg audit "
			    "witness-key` printed (`planreg audit witness-enrol`)",
			    call->principal.organisation);
		return;
	}
	if (!note_verifier_parse(result_value(res, 0, WIT_VKEY), &k)) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "witness_key_corrupt",
			    "the witness key registered for %s cannot be read; tell the service's operators",
			    call->principal.organisation);
		return;
	}
	if (!witness_cosignature_valid(call, st, &k, &st->when))
		return;
	const char *params[7] = {
		call->principal.organisation,
		rpc_printf(call, "%llu", (unsigned long long)st->size),
		st->text,
		result_value(res, 0, WIT_VKEY),
		st->line,
		st->log_line,
		rpc_printf(call, "%llu", (unsigned long long)st->when),
	};
	query_run(call, SQL_COSIGN_INSERT, 7, params, witness_cosign_kept);
}

/* The stored log's head at the checkpoint's size: a checkpoint this log's key signed is cosigned only when it is what
 * the log holds (a daemon restored without its state may have signed another history). */
static void witness_cosign_have_root(struct rpc_call *call, const uint8_t *root)
{
	struct witness_cosign *st = call->state;
	if (root == NULL || memcmp(root, st->root, MERKLE_HASH_LEN) != 0) {
		log_warn("cosignature_not_in_log", "rid=%s org=%s size=%llu why=%s", call->rid,
			 log_q(call->principal.organisation), (unsigned long long)st->size,
			 log_q(root == NULL ? "the node table lacks its compact range"
					    : "its head is not the stored log's"));
		reply_error(
			call, PLANREG__V1__CODE__FAILED_PRECONDITION, "checkpoint_not_in_log",
			"the checkpoint sent (a tree of %llu entries) carries this log's signature, but its head is "
			"not the head of the log's first %llu entries as stored: it is not of this log's history, so "
			"it is not cosigned here (keep it as evidence, and cosign the note GetCheckpoint serves now)",
			(unsigned long long)st->size, (unsigned long long)st->size);
		return;
	}
	const char *params[1] = {call->principal.organisation};
	query_run(call, SQL_WITNESS_GET, 1, params, witness_cosign_have_key);
}

void log_witness_add_cosignature(struct rpc_call *call)
{
	if (!log_require_signed(call))
		return;
	struct witness_cosign *st = arena_alloc(&call->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	call->state = st;
	if (!witness_checkpoint_ours(call, st))
		return;
	log_root_at(call, st->size, witness_cosign_have_root);
}

/* ---------------------------------------------------------------- GetCheckpoint's cosignatures */

/* GetCheckpoint's answer while its cosignatures are read. */
struct witness_served {
	Planreg__V1__GetCheckpointResponse *r;
	const char *text; /* the checkpoint text */
};

/* Whether a stored line verifies with its stored key over the text: a row changed behind the daemon's back is not
 * served (a known key's bad line would make verifiers refuse the whole note). */
static bool witness_line_verifies(const char *text, const char *line, const char *vkey)
{
	struct note_verifier k;
	struct note n;
	if (!note_verifier_parse(vkey, &k))
		return false;
	char *msg = xasprintf("%s\n%s", text, line);
	bool ok = note_open(msg, strlen(msg), &k, 1, &n, NULL);
	if (ok)
		note_free(&n);
	free(msg);
	return ok;
}

static void witness_cosignatures_have(struct rpc_call *call, PGresult *res)
{
	struct witness_served *st = call->state;
	struct buf b = {0};
	buf_puts(&b, st->r->checkpoint);
	for (int i = 0; i < PQntuples(res); i++) {
		const char *line = result_value(res, i, COSIGS_LINE);
		if (witness_line_verifies(st->text, line, result_value(res, i, COSIGS_VKEY)))
			buf_puts(&b, line);
		else
			log_warn("cosignature_corrupt", "line=%s", log_q(line));
	}
	st->r->checkpoint = rpc_strdup(call, buf_str(&b));
	buf_free(&b);
	reply_ok(call, st->r);
}

void log_witness_cosigned(struct rpc_call *call, Planreg__V1__GetCheckpointResponse *r)
{
	struct note n;
	if (r->checkpoint == NULL || !note_split(r->checkpoint, strlen(r->checkpoint), &n, NULL)) {
		reply_ok(call, r); /* nothing to cosign (the log is kept, not signed) */
		return;
	}
	struct witness_served *st = arena_alloc(&call->arena, sizeof *st);
	st->r = r;
	st->text = rpc_strdup(call, n.text);
	note_free(&n);
	call->state = st;
	const char *params[1] = {st->text};
	query_run(call, SQL_COSIGNATURES_OF, 1, params, witness_cosignatures_have);
}

/* ---------------------------------------------------------------- GetCosignedCheckpoint */

static void witness_cosigned_have(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__GetCosignedCheckpointResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__GetCosignedCheckpointResponse,
			  planreg__v1__get_cosigned_checkpoint_response__init);
	if (PQntuples(res) > 0) {
		const char *text = result_value(res, 0, COSIGNED_CHECKPOINT);
		struct buf b = {0};
		buf_printf(&b, "%s\n%s", text, result_value(res, 0, COSIGNED_LOG_LINE));
		for (int i = 0; i < PQntuples(res); i++) {
			const char *line = result_value(res, i, COSIGNED_LINE);
			if (witness_line_verifies(text, line, result_value(res, i, COSIGNED_VKEY)))
				buf_puts(&b, line);
			else
				log_warn("cosignature_corrupt", "line=%s", log_q(line));
		}
		r->checkpoint = rpc_strdup(call, buf_str(&b));
		r->size = (uint64_t)result_int64(res, 0, COSIGNED_SIZE);
		buf_free(&b);
	}
	reply_ok(call, r);
}

void log_witness_get_cosigned(struct rpc_call *call)
{
	const Planreg__V1__GetCosignedCheckpointRequest *q = call->req->get_cosigned_checkpoint;
	if (!log_require_signed(call))
		return;
	struct buf keys = {0};
	bool keys_ok = q->n_vkeys >= 1 && q->n_vkeys <= WITNESS_KEYS_MAX;
	for (size_t i = 0; keys_ok && i < q->n_vkeys; i++) {
		struct note_verifier v;
		keys_ok = note_verifier_parse(q->vkeys[i], &v) && v.type == NOTE_COSIGNATURE;
		char *canonical = keys_ok ? note_verifier_format(&v) : NULL;
		buf_printf(&keys, "%s%s", i ? "\n" : "", canonical ? canonical : "");
		free(canonical);
	}
	if (!keys_ok)
		reply_violation(call, "vkeys",
				"give 1 to %d witnesses' cosignature verifier keys (NAME+8 hex digits+base64 of type "
				"0x04, as `planreg audit witness-key` prints them)",
				WITNESS_KEYS_MAX);
	if (q->quorum < 1 || q->quorum > q->n_vkeys)
		reply_violation(call, "quorum", "ask for 1 to %zu cosignatures (one per key given)", q->n_vkeys);
	if (reply_has_violations(call)) {
		buf_free(&keys);
		reply_violations(call, "invalid_witness_query");
		return;
	}
	const char *params[2] = {rpc_strdup(call, buf_str(&keys)), rpc_printf(call, "%u", (unsigned)q->quorum)};
	buf_free(&keys);
	query_run(call, SQL_COSIGNED_NEWEST, 2, params, witness_cosigned_have);
}
