/* merkle.c - RFC 6962 tree hashing, proofs and their RFC 9162 verification (see merkle.h). */
#include "merkle.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* ---------------------------------------------------------------- hashing */

/* SHA-256 fetched once, and one digest context per thread, re-initialised for every hash: an implicit
 * fetch and a fresh context on every EVP_Digest cost more than hashing a node does, and checking or
 * making a proof over a large tree hashes dozens of nodes. The context is freed when its thread ends. */
static EVP_MD *merkle_md;
static pthread_key_t merkle_ctx_key;
static pthread_once_t merkle_once = PTHREAD_ONCE_INIT;

static void merkle_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void merkle_init_once(void)
{
	merkle_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (merkle_md == NULL || pthread_key_create(&merkle_ctx_key, merkle_ctx_free) != 0)
		abort(); /* no SHA-256 in this OpenSSL: nothing here can work */
}

static EVP_MD_CTX *merkle_ctx(void)
{
	pthread_once(&merkle_once, merkle_init_once);
	EVP_MD_CTX *ctx = pthread_getspecific(merkle_ctx_key);
	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || EVP_DigestInit_ex(ctx, merkle_md, NULL) != 1 ||
		    pthread_setspecific(merkle_ctx_key, ctx) != 0)
			abort();
	}
	return ctx;
}

/* SHA-256(prefix || a || b), any of a and b may be empty; prefix < 0 means no prefix byte. */
static void merkle_sha256(int prefix, const void *a, size_t alen, const void *b, size_t blen,
			  uint8_t out[MERKLE_HASH_LEN])
{
	EVP_MD_CTX *ctx = merkle_ctx();
	uint8_t p = (uint8_t)prefix;
	/* SHA-256 cannot fail on well-formed input; only exhaustion could, and xmalloc aborts on that too */
	if (EVP_DigestInit_ex2(ctx, NULL, NULL) != 1 || (prefix >= 0 && EVP_DigestUpdate(ctx, &p, 1) != 1) ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 || EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort();
}

void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	merkle_sha256(0x00, data, len, "", 0, out);
}

void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
		      uint8_t out[MERKLE_HASH_LEN])
{
	merkle_sha256(0x01, left, MERKLE_HASH_LEN, right, MERKLE_HASH_LEN, out);
}

void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN])
{
	merkle_sha256(-1, "", 0, "", 0, out);
}

uint64_t merkle_split(uint64_t n)
{
	uint64_t k = 1;
	while (k < n - k) /* k * 2 < n without overflow */
		k <<= 1;
	return k;
}

void merkle_root_of(const uint8_t *leaves, uint64_t n, uint8_t out[MERKLE_HASH_LEN])
{
	if (n == 0) {
		merkle_empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves, MERKLE_HASH_LEN);
		return;
	}
	uint64_t k = merkle_split(n);
	uint8_t left[MERKLE_HASH_LEN], right[MERKLE_HASH_LEN];
	merkle_root_of(leaves, k, left);
	merkle_root_of(leaves + k * MERKLE_HASH_LEN, n - k, right);
	merkle_node_hash(left, right, out);
}

/* ---------------------------------------------------------------- subtree store */

static unsigned merkle_log2(uint64_t pow2)
{
	return (unsigned)__builtin_ctzll(pow2);
}

/* The largest power of two not above n (n > 0). */
static uint64_t merkle_floor_pow2(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n));
}

bool merkle_range_hash(merkle_subtree_fn fn, void *ctx, uint64_t start, uint64_t end, uint8_t out[MERKLE_HASH_LEN])
{
	if (start >= end || start % merkle_floor_pow2(end - start) != 0)
		return false;
	/* the RFC splits off the largest power of two first, so the range is its complete subtrees in
	 * decreasing size, one per set bit of its length, folded together from the right */
	uint8_t parts[MERKLE_COMPACT_MAX][MERKLE_HASH_LEN];
	size_t nparts = 0;
	for (uint64_t at = start; at < end;) {
		uint64_t width = merkle_floor_pow2(end - at);
		unsigned level = merkle_log2(width);
		if (!fn(ctx, level, at >> level, parts[nparts++]))
			return false;
		at += width;
	}
	memcpy(out, parts[nparts - 1], MERKLE_HASH_LEN);
	for (size_t i = nparts - 1; i-- > 0;)
		merkle_node_hash(parts[i], out, out);
	return true;
}

bool merkle_leaves_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	const struct merkle_leaves *l = ctx;
	if (level >= 64 || index >= (l->count >> level)) /* complete: (index + 1) << level <= count */
		return false;
	merkle_root_of(l->hashes + (index << level) * MERKLE_HASH_LEN, (uint64_t)1 << level, out);
	return true;
}

/* ---------------------------------------------------------------- proofs */

/* The generators walk the RFC's recursion from the root down, so they collect the hashes top first;
 * a proof lists them bottom first. */
static void merkle_proof_reverse(struct merkle_proof *p)
{
	for (size_t i = 0, j = p->len; i + 1 < j; i++, j--) {
		uint8_t t[MERKLE_HASH_LEN];
		memcpy(t, p->hash[i], MERKLE_HASH_LEN);
		memcpy(p->hash[i], p->hash[j - 1], MERKLE_HASH_LEN);
		memcpy(p->hash[j - 1], t, MERKLE_HASH_LEN);
	}
}

bool merkle_inclusion_proof(merkle_subtree_fn fn, void *ctx, uint64_t index, uint64_t size, struct merkle_proof *out)
{
	out->len = 0;
	if (index >= size)
		return false;
	/* PATH(m, D[lo:hi]): the sibling of the half holding m, then the path within that half */
	uint64_t lo = 0, hi = size;
	while (hi - lo > 1) {
		uint64_t k = merkle_split(hi - lo);
		bool ok;
		if (index < lo + k) {
			ok = merkle_range_hash(fn, ctx, lo + k, hi, out->hash[out->len]);
			hi = lo + k;
		} else {
			ok = merkle_range_hash(fn, ctx, lo, lo + k, out->hash[out->len]);
			lo += k;
		}
		if (!ok)
			return false;
		out->len++;
	}
	merkle_proof_reverse(out);
	return true;
}

bool merkle_consistency_proof(merkle_subtree_fn fn, void *ctx, uint64_t m, uint64_t n, struct merkle_proof *out)
{
	out->len = 0;
	if (m == 0 || m > n)
		return false;
	/* SUBPROOF(m, D[lo:hi], b), with m counted from lo */
	uint64_t lo = 0, hi = n;
	bool whole = true; /* b: the old tree is the very subtree we stand in, so its head is known */
	while (m != hi - lo) {
		uint64_t k = merkle_split(hi - lo);
		bool ok;
		if (m <= k) {
			ok = merkle_range_hash(fn, ctx, lo + k, hi, out->hash[out->len]);
			hi = lo + k;
		} else {
			ok = merkle_range_hash(fn, ctx, lo, lo + k, out->hash[out->len]);
			m -= k;
			lo += k;
			whole = false;
		}
		if (!ok)
			return false;
		out->len++;
	}
	if (!whole && !merkle_range_hash(fn, ctx, lo, hi, out->hash[out->len++]))
		return false;
	merkle_proof_reverse(out);
	return true;
}

bool merkle_verify_inclusion(const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t size, const uint8_t *proof,
			     size_t proof_len, const uint8_t root[MERKLE_HASH_LEN])
{
	/* RFC 9162 §2.1.3.2, numbered as there */
	if (index >= size) /* 1 */
		return false;
	uint64_t fn = index, sn = size - 1; /* 2 */
	uint8_t r[MERKLE_HASH_LEN];
	memcpy(r, leaf, MERKLE_HASH_LEN);        /* 3 */
	for (size_t i = 0; i < proof_len; i++) { /* 4 */
		const uint8_t *p = proof + i * MERKLE_HASH_LEN;
		if (sn == 0) /* 4a */
			return false;
		if ((fn & 1) || fn == sn) { /* 4b */
			merkle_node_hash(p, r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, p, r);
		}
		fn >>= 1; /* 4c */
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MERKLE_HASH_LEN) == 0; /* 5 */
}

/* Hash i of the consistency path after step 2 of RFC 9162 §2.1.4.2 (the old head prepended when the old
 * size is a power of two), read in place so that the caller's array is never copied. */
static const uint8_t *merkle_path_at(bool prepend, const uint8_t *root_m, const uint8_t *proof, size_t i)
{
	if (!prepend)
		return proof + i * MERKLE_HASH_LEN;
	return i == 0 ? root_m : proof + (i - 1) * MERKLE_HASH_LEN;
}

bool merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t *proof, size_t proof_len,
			       const uint8_t root_m[MERKLE_HASH_LEN], const uint8_t root_n[MERKLE_HASH_LEN])
{
	if (m == 0 || m > n)
		return false;
	if (m == n)
		return proof_len == 0 && memcmp(root_m, root_n, MERKLE_HASH_LEN) == 0;
	/* RFC 9162 §2.1.4.2, numbered as there */
	if (proof_len == 0) /* 1 */
		return false;
	bool prepend = (m & (m - 1)) == 0; /* 2 */
	size_t total = proof_len + (prepend ? 1 : 0);
	uint64_t fn = m - 1, sn = n - 1; /* 3 */
	while (fn & 1) {                 /* 4 */
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	memcpy(fr, merkle_path_at(prepend, root_m, proof, 0), MERKLE_HASH_LEN); /* 5 */
	memcpy(sr, merkle_path_at(prepend, root_m, proof, 0), MERKLE_HASH_LEN);
	for (size_t i = 1; i < total; i++) { /* 6 */
		const uint8_t *c = merkle_path_at(prepend, root_m, proof, i);
		if (sn == 0) /* 6a */
			return false;
		if ((fn & 1) || fn == sn) { /* 6b */
			merkle_node_hash(c, fr, fr);
			merkle_node_hash(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, c, sr);
		}
		fn >>= 1; /* 6c */
		sn >>= 1;
	}
	/* 7 */
	return sn == 0 && memcmp(fr, root_m, MERKLE_HASH_LEN) == 0 && memcmp(sr, root_n, MERKLE_HASH_LEN) == 0;
}

/* ---------------------------------------------------------------- compact range */

void merkle_compact_init(struct merkle_compact *c)
{
	memset(c, 0, sizeof *c);
}

bool merkle_compact_load(struct merkle_compact *c, uint64_t size, merkle_subtree_fn fn, void *ctx)
{
	merkle_compact_init(c);
	size_t i = 0;
	for (uint64_t at = 0; at < size;) {
		uint64_t width = merkle_floor_pow2(size - at);
		unsigned level = merkle_log2(width);
		if (!fn(ctx, level, at >> level, c->hash[i++]))
			return false;
		at += width;
	}
	c->size = size;
	return true;
}

bool merkle_compact_append(struct merkle_compact *c, const uint8_t leaf[MERKLE_HASH_LEN], merkle_emit_fn emit,
			   void *ctx)
{
	if (c->size == UINT64_MAX)
		return false;
	size_t top = (size_t)__builtin_popcountll(c->size); /* hashes in use */
	memcpy(c->hash[top], leaf, MERKLE_HASH_LEN);
	uint64_t index = c->size;
	if (emit != NULL)
		emit(ctx, 0, index, leaf);
	/* each trailing one bit of the old size is a subtree of the new leaf's width: they merge, as a
	 * binary counter carries */
	for (unsigned level = 1; (c->size >> (level - 1)) & 1; level++) {
		top--;
		merkle_node_hash(c->hash[top], c->hash[top + 1], c->hash[top]);
		index >>= 1;
		if (emit != NULL)
			emit(ctx, level, index, c->hash[top]);
	}
	c->size++;
	return true;
}

void merkle_compact_root(const struct merkle_compact *c, uint8_t out[MERKLE_HASH_LEN])
{
	size_t n = (size_t)__builtin_popcountll(c->size);
	if (n == 0) {
		merkle_empty_root(out);
		return;
	}
	memcpy(out, c->hash[n - 1], MERKLE_HASH_LEN);
	for (size_t i = n - 1; i-- > 0;)
		merkle_node_hash(c->hash[i], out, out);
}
