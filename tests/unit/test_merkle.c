/* test_merkle.c - unit tests for proto/merkle.c: RFC 6962 hashing, the compact range, proof generation
 * from a subtree store and the RFC 9162 verification loops, against an independent implementation of the
 * RFC's recursive definitions (MTH, PATH, PROOF/SUBPROOF) written here from the RFC text, for every tree
 * size up to 1000, and against the Certificate Transparency project's published test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "merkle.h"

#define N_MAX 1000
#define H MERKLE_HASH_LEN

/* ---------------------------------------------------------------- the reference: RFC 6962 §2.1, recursively */

/* SHA-256 computed here, not through merkle.c, so that a mistake there cannot hide in both. */
static void ref_sha256(const void *a, size_t alen, const void *b, size_t blen, const void *c, size_t clen,
		       uint8_t out[H])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	EVP_DigestUpdate(ctx, a, alen);
	EVP_DigestUpdate(ctx, b, blen);
	EVP_DigestUpdate(ctx, c, clen);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, NULL), 1);
	EVP_MD_CTX_free(ctx);
}

static uint8_t ref_leaves[N_MAX + 24][H]; /* leaf hashes of the test entries "leaf 0", "leaf 1", ... */

/* MTH(D[lo:hi]) memoised: each (lo, hi) is computed once by the definition, then looked up. */
static uint8_t (*ref_memo)[H];
static bool *ref_have;

static size_t ref_key(uint64_t lo, uint64_t hi)
{
	return (size_t)lo * (N_MAX + 2) + (size_t)hi;
}

static const uint8_t *ref_mth(uint64_t lo, uint64_t hi)
{
	static uint8_t empty[H];
	if (lo == hi) { /* MTH({}) = SHA-256() */
		ref_sha256("", 0, "", 0, "", 0, empty);
		return empty;
	}
	size_t key = ref_key(lo, hi);
	if (ref_have[key])
		return ref_memo[key];
	if (hi - lo == 1) {
		memcpy(ref_memo[key], ref_leaves[lo], H);
	} else {
		uint64_t k = 1;
		while (k * 2 < hi - lo) /* the largest power of two smaller than n */
			k *= 2;
		const uint8_t one = 0x01;
		uint8_t left[H];
		memcpy(left, ref_mth(lo, lo + k), H);
		ref_sha256(&one, 1, left, H, ref_mth(lo + k, hi), H, ref_memo[key]);
	}
	ref_have[key] = true;
	return ref_memo[key];
}

/* PATH(m, D[lo:hi]), appended to out in the RFC's order (deepest first). */
static void ref_path(uint64_t m, uint64_t lo, uint64_t hi, struct merkle_proof *out)
{
	if (hi - lo <= 1)
		return;
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	if (m < k) {
		ref_path(m, lo, lo + k, out);
		memcpy(out->hash[out->len++], ref_mth(lo + k, hi), H);
	} else {
		ref_path(m - k, lo + k, hi, out);
		memcpy(out->hash[out->len++], ref_mth(lo, lo + k), H);
	}
}

/* SUBPROOF(m, D[lo:hi], b). */
static void ref_subproof(uint64_t m, uint64_t lo, uint64_t hi, bool b, struct merkle_proof *out)
{
	if (m == hi - lo) {
		if (!b)
			memcpy(out->hash[out->len++], ref_mth(lo, hi), H);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	if (m <= k) {
		ref_subproof(m, lo, lo + k, b, out);
		memcpy(out->hash[out->len++], ref_mth(lo + k, hi), H);
	} else {
		ref_subproof(m - k, lo + k, hi, false, out);
		memcpy(out->hash[out->len++], ref_mth(lo, lo + k), H);
	}
}

static int ref_setup(void **state)
{
	(void)state;
	ref_memo = calloc((size_t)(N_MAX + 2) * (N_MAX + 2), H);
	ref_have = calloc((size_t)(N_MAX + 2) * (N_MAX + 2), 1);
	assert_non_null(ref_memo);
	assert_non_null(ref_have);
	for (unsigned i = 0; i < N_MAX + 24; i++) {
		char entry[32];
		int n = snprintf(entry, sizeof entry, "leaf %u", i);
		const uint8_t zero = 0x00;
		ref_sha256(&zero, 1, entry, (size_t)n, "", 0, ref_leaves[i]);
	}
	return 0;
}

static int ref_teardown(void **state)
{
	(void)state;
	free(ref_memo);
	free(ref_have);
	return 0;
}

/* ---------------------------------------------------------------- a node table, as the daemon keeps one */

/* Every complete subtree over the first 1024 leaves, keyed by (level, index), filled from the reference;
 * calls counts the reads a generator makes. */
#define TABLE_LEVELS 11
static uint8_t table[TABLE_LEVELS][1024][H];
static unsigned long table_calls;

static void table_fill(void)
{
	for (unsigned level = 0; level < TABLE_LEVELS; level++)
		for (uint64_t i = 0; (i + 1) << level <= N_MAX; i++)
			memcpy(table[level][i], ref_mth(i << level, (i + 1) << level), H);
}

static bool table_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	uint64_t limit = *(const uint64_t *)ctx; /* the tree being proved about: nothing past it is asked */
	table_calls++;
	if (level >= TABLE_LEVELS || (index + 1) << level > limit)
		return false;
	memcpy(out, table[level][index], H);
	return true;
}

/* The sizes that get the costly checks: the small ones, and those at and around powers of two (where the
 * shapes change) and the largest. */
static bool negatives_at(uint64_t n)
{
	return n <= 70 || (n & (n - 1)) == 0 || ((n + 1) & n) == 0 || ((n - 1) & (n - 2)) == 0 || n == N_MAX;
}

static unsigned bit_length(uint64_t n)
{
	return n == 0 ? 0 : 64 - (unsigned)__builtin_clzll(n);
}

/* ---------------------------------------------------------------- hashing */

static void hex_to(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_hash_hex(const uint8_t got[H], const char *want_hex)
{
	uint8_t want[H];
	hex_to(want_hex, want, H);
	assert_memory_equal(got, want, H);
}

/* The Certificate Transparency test vectors (leaves and tree heads for sizes 0..8, two inclusion and three
 * consistency proofs), as published with RFC 6962 implementations; used as data only. */
static const char *const CT_ENTRIES[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};
static const char *const CT_ROOTS[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct ct_proof {
	uint64_t a, b; /* inclusion: index, size; consistency: m, n */
	size_t len;
	const char *hash[3];
};
static const struct ct_proof CT_INCLUSION[] = {
	{0,
	 8,
	 3,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5,
	 8,
	 3,
	 {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};
static const struct ct_proof CT_CONSISTENCY[] = {
	{2,
	 8,
	 2,
	 {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6,
	 8,
	 3,
	 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2,
	 5,
	 2,
	 {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static void ct_proof_bytes(const struct ct_proof *p, struct merkle_proof *out)
{
	out->len = p->len;
	for (size_t i = 0; i < p->len; i++)
		hex_to(p->hash[i], out->hash[i], H);
}

static void test_merkle_ct_vectors(void **state)
{
	(void)state;
	uint8_t leaves[8][H], root[H];
	for (size_t i = 0; i < 8; i++) {
		uint8_t entry[16];
		size_t n = strlen(CT_ENTRIES[i]) / 2;
		hex_to(CT_ENTRIES[i], entry, n);
		merkle_leaf_hash(entry, n, leaves[i]);
	}
	for (uint64_t n = 0; n <= 8; n++) {
		merkle_root_of(leaves[0], n, root);
		assert_hash_hex(root, CT_ROOTS[n]);
	}
	struct merkle_leaves store = {leaves[0], 8};
	struct merkle_proof want, got;
	for (size_t i = 0; i < sizeof CT_INCLUSION / sizeof *CT_INCLUSION; i++) {
		const struct ct_proof *p = &CT_INCLUSION[i];
		ct_proof_bytes(p, &want);
		assert_true(merkle_inclusion_proof(merkle_leaves_subtree, &store, p->a, p->b, &got));
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.hash, want.hash, want.len * H);
		hex_to(CT_ROOTS[p->b], root, H);
		assert_true(merkle_verify_inclusion(leaves[p->a], p->a, p->b, want.hash[0], want.len, root));
	}
	for (size_t i = 0; i < sizeof CT_CONSISTENCY / sizeof *CT_CONSISTENCY; i++) {
		const struct ct_proof *p = &CT_CONSISTENCY[i];
		ct_proof_bytes(p, &want);
		store.count = p->b;
		assert_true(merkle_consistency_proof(merkle_leaves_subtree, &store, p->a, p->b, &got));
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.hash, want.hash, want.len * H);
		uint8_t root_m[H];
		hex_to(CT_ROOTS[p->a], root_m, H);
		hex_to(CT_ROOTS[p->b], root, H);
		assert_true(merkle_verify_consistency(p->a, p->b, want.hash[0], want.len, root_m, root));
	}
}

static void test_merkle_hashes(void **state)
{
	(void)state;
	uint8_t got[H], want[H];
	const uint8_t zero = 0x00, one = 0x01;
	merkle_leaf_hash("abc", 3, got);
	ref_sha256(&zero, 1, "abc", 3, "", 0, want);
	assert_memory_equal(got, want, H);
	merkle_node_hash(ref_leaves[0], ref_leaves[1], got);
	ref_sha256(&one, 1, ref_leaves[0], H, ref_leaves[1], H, want);
	assert_memory_equal(got, want, H);
	memcpy(got, ref_leaves[0], H);
	merkle_node_hash(got, ref_leaves[1], got); /* out may alias an input */
	assert_memory_equal(got, want, H);
	merkle_empty_root(got);
	assert_hash_hex(got, CT_ROOTS[0]);
	uint64_t splits[][2] = {{2, 1},
				{3, 2},
				{4, 2},
				{5, 4},
				{8, 4},
				{9, 8},
				{1000, 512},
				{(uint64_t)1 << 40, (uint64_t)1 << 39},
				{((uint64_t)1 << 63) + 1, (uint64_t)1 << 63},
				{UINT64_MAX, (uint64_t)1 << 63}};
	for (size_t i = 0; i < sizeof splits / sizeof *splits; i++)
		assert_int_equal(merkle_split(splits[i][0]), splits[i][1]);
}

/* merkle_root_of for every size 0..1000, and the reference store's answers. */
static void test_merkle_root_every_size(void **state)
{
	(void)state;
	uint8_t got[H];
	for (uint64_t n = 0; n <= N_MAX; n++) {
		if (n > 200 && !negatives_at(n))
			continue; /* O(n) hashes each; the compact range's head is checked at every size */
		merkle_root_of(ref_leaves[0], n, got);
		assert_memory_equal(got, ref_mth(0, n), H);
	}
	struct merkle_leaves store = {ref_leaves[0], 100};
	assert_true(merkle_leaves_subtree(&store, 2, 24, got)); /* [96, 100) */
	assert_memory_equal(got, ref_mth(96, 100), H);
	assert_false(merkle_leaves_subtree(&store, 2, 25, got)); /* [100, 104) is past the end */
	assert_false(merkle_leaves_subtree(&store, 7, 0, got));
	assert_false(merkle_leaves_subtree(&store, 64, 0, got));
}

/* ---------------------------------------------------------------- the compact range */

struct emitted {
	unsigned long count;
	bool bad;
};

static void check_emit(void *ctx, unsigned level, uint64_t index, const uint8_t hash[H])
{
	struct emitted *e = ctx;
	e->count++;
	if ((index + 1) << level > N_MAX + 1 || memcmp(hash, ref_mth(index << level, (index + 1) << level), H) != 0)
		e->bad = true;
}

static void test_merkle_compact_every_size(void **state)
{
	(void)state;
	struct merkle_compact c, loaded;
	struct emitted e = {0, false};
	uint8_t root[H];
	merkle_compact_init(&c);
	merkle_compact_root(&c, root);
	assert_memory_equal(root, ref_mth(0, 0), H);
	table_fill();
	for (uint64_t n = 1; n <= N_MAX; n++) {
		unsigned long before = e.count;
		assert_true(merkle_compact_append(&c, ref_leaves[n - 1], check_emit, &e));
		assert_int_equal(c.size, n);
		/* the leaf and one subtree per trailing one bit of the old size */
		assert_int_equal(e.count - before, 1 + (unsigned)__builtin_ctzll(n));
		merkle_compact_root(&c, root);
		assert_memory_equal(root, ref_mth(0, n), H);
		uint64_t limit = n;
		assert_true(merkle_compact_load(&loaded, n, table_subtree, &limit));
		assert_int_equal(loaded.size, n);
		assert_memory_equal(loaded.hash, c.hash, (size_t)__builtin_popcountll(n) * H);
	}
	assert_false(e.bad);
	assert_int_equal(e.count, 2 * N_MAX - __builtin_popcount(N_MAX));      /* every complete subtree once */
	assert_true(merkle_compact_append(&c, ref_leaves[N_MAX], NULL, NULL)); /* emit is optional */
	uint64_t limit = 10;
	assert_false(merkle_compact_load(&loaded, 11, table_subtree, &limit)); /* a store that fails */
	c.size = UINT64_MAX;
	assert_false(merkle_compact_append(&c, ref_leaves[0], NULL, NULL));
}

/* ---------------------------------------------------------------- inclusion */

static bool verify_incl(const uint8_t *leaf, uint64_t m, uint64_t n, const struct merkle_proof *p, size_t len,
			const uint8_t *root)
{
	return merkle_verify_inclusion(leaf, m, n, p->hash[0], len, root);
}

/* Every way to spoil the valid proof p of leaf m in the tree of n leaves; each must be refused. */
static void inclusion_negatives(uint64_t m, uint64_t n, const struct merkle_proof *p, bool every_bit)
{
	const uint8_t *root = ref_mth(0, n), *leaf = ref_leaves[m];
	struct merkle_proof bad = *p;
	uint8_t r[H], l[H];
	for (size_t i = 0; i < p->len; i++) {
		for (unsigned bit = every_bit ? 0 : (unsigned)(i * 37 + n) % 256; bit < 256;
		     bit += every_bit ? 1 : 256) {
			bad.hash[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_false(verify_incl(leaf, m, n, &bad, bad.len, root));
			bad.hash[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	unsigned bit = (unsigned)(m * 31 + n) % 256;
	memcpy(r, root, H);
	r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_false(verify_incl(leaf, m, n, p, p->len, r));
	memcpy(l, leaf, H);
	l[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_false(verify_incl(l, m, n, p, p->len, root));
	if (p->len > 0) /* one hash too few: the last, and the first */
		assert_false(verify_incl(leaf, m, n, p, p->len - 1, root));
	if (p->len > 1)
		assert_false(merkle_verify_inclusion(leaf, m, n, p->hash[1], p->len - 1, root));
	memcpy(bad.hash[p->len], ref_leaves[n], H); /* one too many */
	assert_false(verify_incl(leaf, m, n, &bad, p->len + 1, root));
	memcpy(bad.hash[p->len], root, H);
	assert_false(verify_incl(leaf, m, n, &bad, p->len + 1, root));
	/* a wrong size, with that size's own head (the proof binds the head; a checkpoint pairs the two) */
	assert_false(verify_incl(leaf, m, n + 1, p, p->len, ref_mth(0, n + 1)));
	if (n > 1)
		assert_false(verify_incl(leaf, m, n - 1, p, p->len, ref_mth(0, n - 1)));
	if (m > 0) /* a wrong index */
		assert_false(verify_incl(leaf, m - 1, n, p, p->len, root));
	assert_false(verify_incl(leaf, m + 1, n, p, p->len, root));
	assert_false(verify_incl(leaf, n, n, p, p->len, root)); /* index == size */
}

static void test_merkle_inclusion_every_size(void **state)
{
	(void)state;
	table_fill();
	struct merkle_proof got, want;
	for (uint64_t n = 1; n <= N_MAX; n++) {
		for (uint64_t m = 0; m < n; m++) {
			want.len = 0;
			ref_path(m, 0, n, &want);
			table_calls = 0;
			assert_true(merkle_inclusion_proof(table_subtree, &n, m, n, &got));
			assert_true(table_calls <= 2 * bit_length(n)); /* O(log n) reads */
			assert_int_equal(got.len, want.len);
			assert_memory_equal(got.hash, want.hash, want.len * H);
			/* every proof equals PATH(m, D[n]); verifying them all would hash ~5 million nodes, which an
			 * ASan build takes too long over, so every proof is checked up to 300 leaves and at the
			 * sizes around powers of two, and a spread of indices in between */
			if (n <= 300 || negatives_at(n) || m % 11 == 0 || m + 1 == n)
				assert_true(verify_incl(ref_leaves[m], m, n, &got, got.len, ref_mth(0, n)));
			if (negatives_at(n) && (n <= 70 || m % 17 == 0 || m + 1 == n))
				inclusion_negatives(m, n, &got, n <= 8);
		}
		assert_false(merkle_inclusion_proof(table_subtree, &n, n, n, &got));
		assert_int_equal(got.len, 0);
	}
	uint64_t zero = 0;
	assert_false(merkle_inclusion_proof(table_subtree, &zero, 0, 0, &got));
	assert_false(merkle_verify_inclusion(ref_leaves[0], 0, 0, got.hash[0], 0, ref_mth(0, 0)));
	/* a tree of one leaf: the empty proof, the leaf is the head */
	assert_true(merkle_verify_inclusion(ref_leaves[0], 0, 1, got.hash[0], 0, ref_leaves[0]));
	assert_false(merkle_verify_inclusion(ref_leaves[0], 0, 1, ref_leaves[1], 1, ref_leaves[0]));
	/* a store that fails fails the proof */
	uint64_t short_store = 5;
	assert_false(merkle_inclusion_proof(table_subtree, &short_store, 0, 8, &got));
}

/* ---------------------------------------------------------------- consistency */

static bool verify_cons(uint64_t m, uint64_t n, const struct merkle_proof *p, size_t len, const uint8_t *root_m,
			const uint8_t *root_n)
{
	return merkle_verify_consistency(m, n, p->hash[0], len, root_m, root_n);
}

static void consistency_negatives(uint64_t m, uint64_t n, const struct merkle_proof *p, bool every_bit)
{
	const uint8_t *rm = ref_mth(0, m), *rn = ref_mth(0, n);
	struct merkle_proof bad = *p;
	uint8_t r[H];
	for (size_t i = 0; i < p->len; i++) {
		for (unsigned bit = every_bit ? 0 : (unsigned)(i * 41 + m + n) % 256; bit < 256;
		     bit += every_bit ? 1 : 256) {
			bad.hash[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_false(verify_cons(m, n, &bad, bad.len, rm, rn));
			bad.hash[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	unsigned bit = (unsigned)(m * 13 + n) % 256;
	memcpy(r, rm, H);
	r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_false(verify_cons(m, n, p, p->len, r, rn));
	memcpy(r, rn, H);
	r[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	assert_false(verify_cons(m, n, p, p->len, rm, r));
	assert_false(verify_cons(m, n, p, p->len - 1, rm, rn)); /* one too few: the last, and the first */
	assert_false(merkle_verify_consistency(m, n, p->hash[1], p->len - 1, rm, rn));
	memcpy(bad.hash[p->len], ref_leaves[n], H); /* one too many */
	assert_false(verify_cons(m, n, &bad, p->len + 1, rm, rn));
	/* wrong sizes, each with its own head */
	assert_false(verify_cons(m, n + 1, p, p->len, rm, ref_mth(0, n + 1)));
	assert_false(verify_cons(m, n - 1, p, p->len, rm, ref_mth(0, n - 1)));
	assert_false(verify_cons(m + 1, n, p, p->len, ref_mth(0, m + 1), rn));
	assert_false(verify_cons(m - 1, n, p, p->len, ref_mth(0, m - 1), rn));
	assert_false(verify_cons(n, m, p, p->len, rn, rm)); /* m > n */
	assert_false(verify_cons(0, n, p, p->len, ref_mth(0, 0), rn));
	assert_false(verify_cons(m, n, p, 0, rm, rn)); /* the empty proof, for m < n */
	assert_false(verify_cons(m, n, p, 0, rn, rn));
	/* swapped roots */
	assert_false(verify_cons(m, n, p, p->len, rn, rm));
}

/* One pair 0 < m <= n: the generated proof equals PROOF(m, D[n]), verifies, and (when asked) nothing
 * spoilt does. */
static void consistency_pair(uint64_t m, uint64_t n, bool negatives)
{
	struct merkle_proof got, want = {0};
	if (m < n) /* PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for m < n */
		ref_subproof(m, 0, n, true, &want);
	table_calls = 0;
	assert_true(merkle_consistency_proof(table_subtree, &n, m, n, &got));
	assert_true(table_calls <= 2 * bit_length(n) + 1);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.hash, want.hash, want.len * H);
	assert_true(verify_cons(m, n, &got, got.len, ref_mth(0, m), ref_mth(0, n)));
	if (negatives && m < n)
		consistency_negatives(m, n, &got, n <= 8);
}

static void test_merkle_consistency(void **state)
{
	(void)state;
	table_fill();
	/* every m <= n for n up to 200 and at the sizes around powers of two and the largest */
	for (uint64_t n = 1; n <= N_MAX; n++) {
		if (n > 200 && !negatives_at(n))
			continue;
		for (uint64_t m = 1; m <= n; m++)
			consistency_pair(m, n, n <= 40 || m % 29 == 0 || m + 1 == n || (m & (m - 1)) == 0);
	}
	/* and for every other size, the sizes m that stress the loop: powers of two and their neighbours */
	for (uint64_t n = 201; n <= N_MAX; n++) {
		if (negatives_at(n))
			continue;
		for (uint64_t p = 1; p < n; p *= 2) {
			consistency_pair(p, n, false);
			if (p > 1)
				consistency_pair(p - 1, n, false);
			if (p + 1 < n)
				consistency_pair(p + 1, n, false);
		}
		consistency_pair(n - 1, n, false);
		consistency_pair(n, n, false);
	}
}

static void test_merkle_consistency_edges(void **state)
{
	(void)state;
	table_fill();
	struct merkle_proof p = {0};
	uint64_t n = 10;
	/* m == 0: no proof is defined, none generated, none accepted (not even the empty one) */
	assert_false(merkle_consistency_proof(table_subtree, &n, 0, 10, &p));
	assert_false(merkle_verify_consistency(0, 10, p.hash[0], 0, ref_mth(0, 0), ref_mth(0, 10)));
	assert_false(merkle_verify_consistency(0, 0, p.hash[0], 0, ref_mth(0, 0), ref_mth(0, 0)));
	/* m > n */
	assert_false(merkle_consistency_proof(table_subtree, &n, 11, 10, &p));
	assert_false(merkle_verify_consistency(11, 10, p.hash[0], 0, ref_mth(0, 11), ref_mth(0, 10)));
	/* m == n: the empty proof and equal heads only */
	assert_true(merkle_consistency_proof(table_subtree, &n, 10, 10, &p));
	assert_int_equal(p.len, 0);
	assert_true(merkle_verify_consistency(10, 10, p.hash[0], 0, ref_mth(0, 10), ref_mth(0, 10)));
	assert_false(merkle_verify_consistency(10, 10, p.hash[0], 0, ref_mth(0, 9), ref_mth(0, 10)));
	memcpy(p.hash[0], ref_mth(0, 10), H);
	assert_false(merkle_verify_consistency(10, 10, p.hash[0], 1, ref_mth(0, 10), ref_mth(0, 10)));
	/* a store that fails fails the proof */
	uint64_t short_store = 6;
	assert_false(merkle_consistency_proof(table_subtree, &short_store, 3, 7, &p));
	/* merkle_range_hash refuses a range that is no node of any tree */
	uint8_t out[H];
	assert_false(merkle_range_hash(table_subtree, &n, 1, 3, out));
	assert_false(merkle_range_hash(table_subtree, &n, 3, 3, out));
	assert_true(merkle_range_hash(table_subtree, &n, 8, 10, out));
	assert_memory_equal(out, ref_mth(8, 10), H);
	assert_true(merkle_range_hash(table_subtree, &n, 4, 7, out));
	assert_memory_equal(out, ref_mth(4, 7), H);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merkle_ct_vectors),           cmocka_unit_test(test_merkle_hashes),
		cmocka_unit_test(test_merkle_root_every_size),      cmocka_unit_test(test_merkle_compact_every_size),
		cmocka_unit_test(test_merkle_inclusion_every_size), cmocka_unit_test(test_merkle_consistency),
		cmocka_unit_test(test_merkle_consistency_edges),
	};
	return cmocka_run_group_tests(tests, ref_setup, ref_teardown);
}
