/* merkle.h - RFC 6962 Merkle tree hashing over SHA-256: leaf and node hashes, tree heads, a compact range
 * to append with, inclusion and consistency proofs (made from a store of subtree hashes) and their
 * verification by the loops of RFC 9162 §2.1.3.2 and §2.1.4.2. Pure computation: no I/O, no allocation.
 *
 * Terms. The tree over leaves D[0:n] is the one RFC 6962 §2.1 defines: MTH({}) = SHA-256(""),
 * MTH({d}) = SHA-256(0x00 || d), and for n > 1, with k the largest power of two below n,
 * MTH(D[0:n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). A *complete subtree* at (level, index) is
 * the perfect tree over the 2^level leaves [index << level, (index + 1) << level); its hash is the same
 * in every tree that holds all of those leaves, which is what lets a log store each one once. Level 0
 * is the leaf hashes themselves. Every hash in a proof is either a complete subtree or the hash of a
 * range [start, n) on the right edge of the tree, which the generators fold from complete subtrees.
 * Every function may be called from any thread (each thread hashes with a digest context of its own). */
#ifndef PLANREG_MERKLE_H
#define PLANREG_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* The most hashes a proof over a tree of at most 2^64 - 1 leaves can hold: an inclusion proof has one
 * per level (64), a consistency proof one per level plus the old tree's own subtree (65). */
#define MERKLE_PROOF_MAX 65
/* A compact range holds one hash per set bit of the size. */
#define MERKLE_COMPACT_MAX 64

/* ---------------------------------------------------------------- hashing */

/* SHA-256(0x00 || data): the hash of one leaf (an entry of the log). */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN]);
/* SHA-256(0x01 || left || right): an interior node. out may alias left or right. */
void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
		      uint8_t out[MERKLE_HASH_LEN]);
/* SHA-256 of the empty string: the head of the empty tree. */
void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN]);
/* MTH of n leaf hashes (leaves[i * MERKLE_HASH_LEN ...], already leaf-hashed), by the RFC's
 * definition: O(n) hashes, for tests, small trees and the reference generator below. */
void merkle_root_of(const uint8_t *leaves, uint64_t n, uint8_t out[MERKLE_HASH_LEN]);
/* The largest power of two strictly below n (n >= 2): where the RFC splits a tree of n leaves. */
uint64_t merkle_split(uint64_t n);

/* ---------------------------------------------------------------- subtree store */

/*
 * The generators ask for hashes of complete subtrees only, through this callback: fill out with the
 * hash of the complete subtree of 2^level leaves that starts at leaf index << level (so a node table
 * keyed by (level, index) answers each call with one read), and return true; return false when it
 * cannot (a read failed, or the subtree is not complete in the store), and the generator fails. The
 * generators only ask for subtrees that lie wholly inside the tree they prove about. A proof over a
 * tree of n leaves makes O(log n) calls: at most one per level for the path, plus one per set bit of
 * the size for the single range on the right edge of the tree that a proof may need.
 */
typedef bool (*merkle_subtree_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN]);

/* MTH(D[start:end]) from complete subtrees, for a range that is a node of some RFC tree: start a
 * multiple of the largest power of two not above end - start, which every proof's range is (start
 * < end). False when the callback fails or the range is not such a node. */
bool merkle_range_hash(merkle_subtree_fn fn, void *ctx, uint64_t start, uint64_t end, uint8_t out[MERKLE_HASH_LEN])
	__attribute__((warn_unused_result));

/* ---------------------------------------------------------------- proofs */

struct merkle_proof {
	size_t len; /* hashes in use */
	uint8_t hash[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
};

/* PATH(index, D[0:size]) of RFC 6962 §2.1.1, the leaf's sibling first. False when index >= size or the
 * callback fails. A tree of one leaf has the empty proof. */
bool merkle_inclusion_proof(merkle_subtree_fn fn, void *ctx, uint64_t index, uint64_t size, struct merkle_proof *out)
	__attribute__((warn_unused_result));
/* PROOF(m, D[0:n]) of RFC 6962 §2.1.2, for 0 < m <= n (m == n gives the empty proof, as SUBPROOF(n, D[n],
 * true) does). False when m == 0 (the RFC defines no proof from the empty tree), m > n, or the callback
 * fails. */
bool merkle_consistency_proof(merkle_subtree_fn fn, void *ctx, uint64_t m, uint64_t n, struct merkle_proof *out)
	__attribute__((warn_unused_result));

/* The reference store: complete subtree hashes computed from an in-memory array of leaf hashes, by
 * merkle_root_of over the slice (O(2^level) per call). Pass merkle_leaves_subtree as fn and a
 * struct merkle_leaves as ctx; it refuses subtrees that reach past count. */
struct merkle_leaves {
	const uint8_t *hashes; /* count leaf hashes, MERKLE_HASH_LEN bytes each; not owned */
	uint64_t count;
};
bool merkle_leaves_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN]);

/* Inclusion of leaf (a leaf hash) at index in the tree of size leaves with head root, by RFC 9162
 * §2.1.3.2 step by step. proof holds proof_len hashes, MERKLE_HASH_LEN bytes each, sibling first. */
bool merkle_verify_inclusion(const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t size, const uint8_t *proof,
			     size_t proof_len, const uint8_t root[MERKLE_HASH_LEN]) __attribute__((warn_unused_result));
/* Consistency of the tree of m leaves (head root_m) with the tree of n leaves (head root_n), by RFC 9162
 * §2.1.4.2 for 0 < m < n. Outside that loop: m == n holds only with the empty proof and equal heads;
 * m == 0 and m > n are refused, as the RFC defines no proof for them. */
bool merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t *proof, size_t proof_len,
			       const uint8_t root_m[MERKLE_HASH_LEN], const uint8_t root_n[MERKLE_HASH_LEN])
	__attribute__((warn_unused_result));

/* ---------------------------------------------------------------- compact range */

/*
 * The right edge of a tree of size leaves: the hashes of its largest complete subtrees, one per set bit
 * of size, largest (leftmost) first. That is all a log needs to append and to compute its head, without
 * reading old leaves. The struct is plain data: copy it, store it, zero it for the empty tree.
 */
struct merkle_compact {
	uint64_t size;
	uint8_t hash[MERKLE_COMPACT_MAX][MERKLE_HASH_LEN]; /* popcount(size) in use */
};

/* Called by merkle_compact_append for every complete subtree the new leaf completes, the leaf itself
 * (level 0) first and then upwards: exactly the rows a node table keyed by (level, index) gains. */
typedef void (*merkle_emit_fn)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[MERKLE_HASH_LEN]);

/* The empty range. */
void merkle_compact_init(struct merkle_compact *c);
/* The range of a tree of size leaves, read from a subtree store: popcount(size) calls. */
bool merkle_compact_load(struct merkle_compact *c, uint64_t size, merkle_subtree_fn fn, void *ctx)
	__attribute__((warn_unused_result));
/* Appends one leaf hash; emit may be NULL. False only when the tree is full (size 2^64 - 1). */
bool merkle_compact_append(struct merkle_compact *c, const uint8_t leaf[MERKLE_HASH_LEN], merkle_emit_fn emit,
			   void *ctx) __attribute__((warn_unused_result));
/* MTH of the tree the range sums up (the empty root for size 0). */
void merkle_compact_root(const struct merkle_compact *c, uint8_t out[MERKLE_HASH_LEN]);

#endif
