/* driver.c - runs any fuzz target (see driver.h) without libFuzzer: its seeds, a corpus directory, then
 * deterministic mutations; built with libFuzzer instead, it writes the seeds into an empty corpus first.
 *
 *   fuzz_NAME [CORPUS_DIR [ITERATIONS]]   run the seeds, every file in CORPUS_DIR, then ITERATIONS
 *                                         generated inputs (default: the target's own number)
 *   fuzz_NAME --write-corpus DIR          write the seeds to DIR as files and exit
 *   fuzz_NAME --write-dict FILE           write the target's tokens as a libFuzzer dictionary and exit
 *   PLANREG_FUZZ_LAST=FILE fuzz_NAME ...  write each input to FILE before running it: after a
 *                                         crash FILE holds the culprit (replay it from a directory)
 *   PLANREG_FUZZ_SEED=N fuzz_NAME ...     another generator seed, for longer runs by hand
 *
 * Every build runs each target this way as a ctest (fuzz.NAME), a few thousand inputs in a few seconds,
 * so the GCC and ASan builds fuzz too. Seeds are made in code (packed requests, the plan document cut
 * into pieces, spellings of money and dates), plus the files under tests/fuzz/seeds/NAME/: inputs a long
 * run found to break something, kept once fixed so that every build runs them again. Generated
 * inputs come from a fixed-seed generator: the same build runs the same inputs every time. A broken
 * invariant or a sanitizer report aborts, which fails the run; otherwise it exits 0.
 *
 * A long, coverage-guided run under libFuzzer needs clang; tests/fuzz/run-long.sh builds the targets
 * (build/fuzz), seeds a corpus kept under var/fuzz/NAME and runs each target for as long as it is told
 * (docs/fuzzing.md). By hand, for any of the targets:
 *
 *   cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
 *   cmake --build build/fuzz --target fuzz -j"$(nproc)"
 *   build/fuzz/tests/fuzz_plan_libfuzzer -max_total_time=600 corpus/plan/
 *
 * When the corpus directory is missing or empty the target's seeds are written into it first; crashes
 * land in the current directory as crash-*, and `build/fuzz/tests/fuzz_plan_libfuzzer crash-...` replays
 * one.
 */
#include "driver.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DRIVER_MAX_FILE (4 * 1024 * 1024)
#define DRIVER_POOL_MAX 2048

/* ---------------------------------------------------------------- bytes and pools */

static void driver_oom(void)
{
	fprintf(stderr, "fuzz driver: out of memory\n");
	exit(2);
}

void *fuzz_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		driver_oom();
	return p;
}

static void driver_reserve(struct fuzz_bytes *b, size_t need)
{
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (p == NULL)
		driver_oom();
	b->data = p;
	b->cap = cap;
}

void fuzz_bytes_append(struct fuzz_bytes *b, const void *p, size_t n)
{
	driver_reserve(b, b->len + n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void fuzz_bytes_insert(struct fuzz_bytes *b, size_t pos, const void *p, size_t n)
{
	driver_reserve(b, b->len + n);
	memmove(b->data + pos + n, b->data + pos, b->len - pos);
	if (p != NULL)
		memcpy(b->data + pos, p, n);
	else
		memset(b->data + pos, 0, n);
	b->len += n;
}

void fuzz_bytes_erase(struct fuzz_bytes *b, size_t pos, size_t n)
{
	memmove(b->data + pos, b->data + pos + n, b->len - pos - n);
	b->len -= n;
}

void fuzz_pool_add(struct fuzz_pool *pool, const void *data, size_t len)
{
	if (pool->n == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 32;
		struct fuzz_bytes *items = realloc(pool->items, cap * sizeof *items);
		if (items == NULL)
			driver_oom();
		pool->items = items;
		pool->cap = cap;
	}
	struct fuzz_bytes *b = &pool->items[pool->n++];
	memset(b, 0, sizeof *b);
	driver_reserve(b, 1); /* an empty item still has storage: fwrite and memcpy may not be given NULL */
	fuzz_bytes_append(b, data, len);
}

void fuzz_pool_add_str(struct fuzz_pool *pool, const char *s)
{
	fuzz_pool_add(pool, s, strlen(s));
}

void fuzz_pool_add_strs(struct fuzz_pool *pool, const char *const *strs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fuzz_pool_add_str(pool, strs[i]);
}

static void driver_pool_free(struct fuzz_pool *pool)
{
	for (size_t i = 0; i < pool->n; i++)
		free(pool->items[i].data);
	free(pool->items);
	memset(pool, 0, sizeof *pool);
}

bool fuzz_read_file(const char *path, struct fuzz_bytes *out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	uint8_t chunk[4096];
	size_t n, start = out->len;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && out->len - start <= DRIVER_MAX_FILE)
		fuzz_bytes_append(out, chunk, n);
	bool ok = !ferror(f) && out->len - start <= DRIVER_MAX_FILE;
	fclose(f);
	return ok;
}

uint64_t fuzz_rand(struct fuzz_rng *r)
{
	uint64_t x = r->s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->s = x;
	return x;
}

size_t fuzz_below(struct fuzz_rng *r, size_t n)
{
	return n ? (size_t)(fuzz_rand(r) % n) : 0;
}

void fuzz_check(bool ok, const char *target, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_%s: invariant broken: %s\n", target, what);
		abort();
	}
}

void fuzz_require(bool ok, const char *what)
{
	fuzz_check(ok, fuzz_target.name, what);
}

/* What the target said with fuzz_accept() during the current run. */
static bool driver_target_accepted;

void fuzz_accept(bool ok)
{
	driver_target_accepted = driver_target_accepted || ok;
}

/* Adds every regular file in dir to the pool, in name order, so that a run is repeatable whatever order
 * the file system lists them in. Returns how many, or -1 when the directory cannot be read (0 when it is
 * missing and missing_ok). */
static long driver_load_dir(const char *dir, struct fuzz_pool *pool, bool missing_ok)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		if (missing_ok && errno == ENOENT)
			return 0;
		fprintf(stderr, "fuzz driver: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	long count = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		struct fuzz_bytes b = {0};
		if (names[i]->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) >= sizeof path ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(names[i]);
			continue;
		}
		if (fuzz_read_file(path, &b)) {
			fuzz_pool_add(pool, b.data, b.len);
			count++;
		} else {
			fprintf(stderr, "fuzz driver: skipping %s (unreadable or over %d bytes)\n", path,
				DRIVER_MAX_FILE);
		}
		free(b.data);
		free(names[i]);
	}
	free(names);
	return count;
}

/* The target's seeds: those made in code, then the files of tests/fuzz/seeds/NAME/ (inputs that once
 * broke something, kept so that every build runs them again). */
static void driver_seeds(struct fuzz_pool *pool)
{
	fuzz_target.seeds(pool);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests/fuzz/seeds/%s", PLANREG_SOURCE_DIR, fuzz_target.name);
	if (driver_load_dir(dir, pool, true) < 0)
		exit(2);
}

static int driver_write_corpus(const char *dir, const struct fuzz_pool *pool)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz driver: mkdir %s: %s\n", dir, strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < pool->n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/seed-%03zu", dir, i);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(pool->items[i].data, 1, pool->items[i].len, f) != pool->items[i].len ||
		    fclose(f) != 0) {
			fprintf(stderr, "fuzz driver: writing %s failed\n", path);
			return 2;
		}
	}
	printf("fuzz_%s: wrote %zu seeds to %s\n", fuzz_target.name, pool->n, dir);
	return 0;
}

#ifdef PLANREG_FUZZ_LIBFUZZER

/* ---------------------------------------------------------------- under libFuzzer */

/* libFuzzer's main() calls this before it reads the corpus: a first corpus directory that is missing or
 * empty gets the target's seeds, so `fuzz_NAME_libfuzzer corpus/` starts from them. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = NULL;
	for (int i = 1; i < *argc && dir == NULL; i++)
		if ((*argv)[i][0] != '-')
			dir = (*argv)[i];
	if (dir == NULL)
		return 0;
	struct stat st;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return 0; /* a single input to replay */
	DIR *d = opendir(dir);
	bool empty = true;
	if (d != NULL) {
		struct dirent *e;
		while (empty && (e = readdir(d)) != NULL)
			empty = e->d_name[0] == '.';
		closedir(d);
	}
	if (!empty)
		return 0;
	struct fuzz_pool pool = {0};
	driver_seeds(&pool);
	int rc = driver_write_corpus(dir, &pool);
	driver_pool_free(&pool);
	if (rc != 0)
		exit(rc);
	return 0;
}

#else

/* ---------------------------------------------------------------- running inputs */

/* How many inputs ran, and how many the target's parser accepted (when it says); whether it accepted the last. */
static size_t driver_runs, driver_accepted;
static bool driver_last_accepted;

/* With PLANREG_FUZZ_LAST=FILE set, each input is written there before it runs. */
static const char *driver_last_path;

static void driver_save_last(const uint8_t *data, size_t len)
{
	FILE *f = fopen(driver_last_path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "fuzz driver: cannot write %s\n", driver_last_path);
		exit(2);
	}
}

/* Runs the target on a copy of exactly len bytes, so ASan sees any read past the end. */
static void driver_run(const uint8_t *data, size_t len)
{
	if (driver_last_path != NULL)
		driver_save_last(data, len);
	uint8_t *copy = fuzz_alloc(len);
	if (len > 0)
		memcpy(copy, data, len);
	driver_target_accepted = false;
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	driver_runs++;
	driver_last_accepted = fuzz_target.accepted != NULL ? fuzz_target.accepted() : driver_target_accepted;
	driver_accepted += driver_last_accepted;
}

/* Runs every regular file in dir and adds it to the pool (while it has room). Returns -1 when the directory
 * cannot be read. */
static long driver_corpus(const char *dir, struct fuzz_pool *pool)
{
	struct fuzz_pool files = {0};
	long count = driver_load_dir(dir, &files, false);
	for (size_t i = 0; i < files.n; i++) {
		driver_run(files.items[i].data, files.items[i].len);
		if (pool->n < DRIVER_POOL_MAX)
			fuzz_pool_add(pool, files.items[i].data, files.items[i].len);
	}
	driver_pool_free(&files);
	return count;
}

/* ---------------------------------------------------------------- mutations */

static size_t driver_n_tokens(void)
{
	size_t n = 0;
	while (fuzz_target.tokens != NULL && fuzz_target.tokens[n] != NULL)
		n++;
	return n;
}

/* A range [*pos, *pos + *n) of b of at most max bytes; *n is 0 when b is empty. */
static void driver_range(struct fuzz_rng *r, const struct fuzz_bytes *b, size_t max, size_t *pos, size_t *n)
{
	*pos = fuzz_below(r, b->len);
	size_t left = b->len - *pos;
	*n = b->len ? 1 + fuzz_below(r, left < max ? left : max) : 0;
}

/* One edit that knows nothing of the format: bytes, ranges, splices and the target's tokens. */
static void driver_mutate_generic(struct fuzz_rng *r, struct fuzz_bytes *b, const struct fuzz_pool *pool)
{
	/* bytes that text parsers and binary decoders both treat specially */
	static const uint8_t interesting[] = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x20, '"',  '#',  ',',  '-',  '.', '0',
					      '9',  ':',  '=',  '|',  0x7f, 0x80, 0xa3, 0xc2, 0xe2, 0xef, 0xff};
	uint8_t tmp[32];
	size_t pos, n;
	switch (fuzz_below(r, 10)) {
	case 0: /* flip a bit */
		if (b->len)
			b->data[fuzz_below(r, b->len)] ^= (uint8_t)(1u << fuzz_below(r, 8));
		break;
	case 1: /* overwrite a byte with an interesting one */
		if (b->len)
			b->data[fuzz_below(r, b->len)] = interesting[fuzz_below(r, sizeof interesting)];
		break;
	case 2: /* truncate */
		b->len = fuzz_below(r, b->len + 1);
		break;
	case 3: { /* insert a few random or interesting bytes */
		n = 1 + fuzz_below(r, 8);
		for (size_t i = 0; i < n; i++)
			tmp[i] = fuzz_below(r, 2) ? (uint8_t)fuzz_rand(r)
						  : interesting[fuzz_below(r, sizeof interesting)];
		fuzz_bytes_insert(b, fuzz_below(r, b->len + 1), tmp, n);
		break;
	}
	case 4: /* delete a range */
		driver_range(r, b, 64, &pos, &n);
		fuzz_bytes_erase(b, pos, n);
		break;
	case 5: /* copy a range to another place */
		driver_range(r, b, sizeof tmp, &pos, &n);
		memcpy(tmp, b->data + pos, n);
		fuzz_bytes_insert(b, fuzz_below(r, b->len + 1), tmp, n);
		break;
	case 6:
	case 7: { /* insert a token, or put one in place of a range */
		size_t k = driver_n_tokens();
		if (k == 0)
			break;
		const char *t = fuzz_target.tokens[fuzz_below(r, k)];
		if (fuzz_below(r, 2) && b->len) {
			driver_range(r, b, 8, &pos, &n);
			fuzz_bytes_erase(b, pos, n);
		} else {
			pos = fuzz_below(r, b->len + 1);
		}
		fuzz_bytes_insert(b, pos, t, strlen(t));
		break;
	}
	case 8: { /* splice in a range of another input */
		const struct fuzz_bytes *o = &pool->items[fuzz_below(r, pool->n)];
		if (o->len == 0)
			break;
		driver_range(r, o, 256, &pos, &n);
		fuzz_bytes_insert(b, fuzz_below(r, b->len + 1), o->data + pos, n);
		break;
	}
	case 9: /* repeat a range a few times */
		driver_range(r, b, sizeof tmp, &pos, &n);
		memcpy(tmp, b->data + pos, n);
		for (size_t i = 1 + fuzz_below(r, 4); i > 0; i--)
			fuzz_bytes_insert(b, pos, tmp, n);
		break;
	}
}

static void driver_mutate(struct fuzz_rng *r, struct fuzz_bytes *b, const struct fuzz_pool *pool)
{
	if (fuzz_target.mutate != NULL && fuzz_below(r, 4) == 0)
		fuzz_target.mutate(r, b, pool);
	else
		driver_mutate_generic(r, b, pool);
}

/* Builds and runs one generated input. Returns true when the pool should keep it (the parser accepted it,
 * so mutations of it explore further). */
static bool driver_generate(struct fuzz_rng *r, const struct fuzz_pool *pool, struct fuzz_bytes *b)
{
	b->len = 0;
	size_t strategy = fuzz_below(r, 10);
	if (strategy == 0) {
		/* from nothing: random bytes and tokens, in an envelope half the time */
		size_t parts = fuzz_below(r, 24), k = driver_n_tokens();
		for (size_t i = 0; i < parts; i++) {
			if (k > 0 && fuzz_below(r, 2)) {
				const char *t = fuzz_target.tokens[fuzz_below(r, k)];
				fuzz_bytes_append(b, t, strlen(t));
			} else {
				uint8_t c = (uint8_t)fuzz_rand(r);
				fuzz_bytes_append(b, &c, 1);
			}
		}
		if (fuzz_target.wrap != NULL && fuzz_below(r, 2))
			fuzz_target.wrap(b);
	} else {
		const struct fuzz_bytes *base = &pool->items[fuzz_below(r, pool->n)];
		size_t edits = 1 + fuzz_below(r, 4);
		size_t off = 0, plen = 0;
		if (strategy >= 5 && fuzz_target.payload != NULL && fuzz_target.wrap != NULL &&
		    fuzz_target.payload(base->data, base->len, &off, &plen)) {
			/* edit what is inside the envelope, then seal it again, so the edits reach the parser */
			fuzz_bytes_append(b, base->data + off, plen);
			for (size_t i = 0; i < edits; i++)
				driver_mutate(r, b, pool);
			fuzz_target.wrap(b);
		} else {
			fuzz_bytes_append(b, base->data, base->len);
			for (size_t i = 0; i < edits; i++)
				driver_mutate(r, b, pool);
		}
	}
	if (b->len > fuzz_target.max_len)
		b->len = fuzz_target.max_len;
	driver_run(b->data, b->len);
	return driver_last_accepted;
}

/* The target's tokens as a libFuzzer dictionary (-dict=FILE): one quoted string a line, every byte that is
 * not plain printable ASCII written as \xNN. */
static int driver_write_dict(const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "fuzz driver: %s: %s\n", path, strerror(errno));
		return 2;
	}
	size_t n = driver_n_tokens();
	for (size_t i = 0; i < n; i++) {
		fputc('"', f);
		for (const unsigned char *c = (const unsigned char *)fuzz_target.tokens[i]; *c != '\0'; c++) {
			if (*c < 0x20 || *c >= 0x7f || *c == '"' || *c == '\\')
				fprintf(f, "\\x%02x", *c);
			else
				fputc(*c, f);
		}
		fputs("\"\n", f);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "fuzz driver: writing %s failed\n", path);
		return 2;
	}
	printf("fuzz_%s: wrote %zu tokens to %s\n", fuzz_target.name, n, path);
	return 0;
}

static int driver_usage(void)
{
	fprintf(stderr,
		"usage: fuzz_%s [CORPUS_DIR [ITERATIONS]]\n"
		"       fuzz_%s --write-corpus DIR\n"
		"       fuzz_%s --write-dict FILE\n",
		fuzz_target.name, fuzz_target.name, fuzz_target.name);
	return 2;
}

int main(int argc, char **argv)
{
	struct fuzz_pool pool = {0};
	driver_last_path = getenv("PLANREG_FUZZ_LAST");
	driver_seeds(&pool);
	size_t seeds = pool.n;
	if (seeds == 0) {
		fprintf(stderr, "fuzz_%s: the target has no seeds\n", fuzz_target.name);
		return 2;
	}

	if (argc >= 2 && strcmp(argv[1], "--write-corpus") == 0) {
		int rc = argc == 3 ? driver_write_corpus(argv[2], &pool) : driver_usage();
		driver_pool_free(&pool);
		return rc;
	}
	if (argc >= 2 && strcmp(argv[1], "--write-dict") == 0) {
		int rc = argc == 3 ? driver_write_dict(argv[2]) : driver_usage();
		driver_pool_free(&pool);
		return rc;
	}
	if (argc > 3 || (argc >= 2 && argv[1][0] == '-')) {
		driver_pool_free(&pool);
		return driver_usage();
	}
	unsigned long iterations = fuzz_target.iterations;
	if (argc == 3) {
		char *end;
		errno = 0;
		iterations = strtoul(argv[2], &end, 10);
		if (errno != 0 || end == argv[2] || *end != '\0') {
			driver_pool_free(&pool);
			return driver_usage();
		}
	}

	for (size_t i = 0; i < seeds; i++)
		driver_run(pool.items[i].data, pool.items[i].len);
	long files = 0;
	if (argc >= 2) {
		files = driver_corpus(argv[1], &pool);
		if (files < 0) {
			driver_pool_free(&pool);
			return 2;
		}
	}

	struct fuzz_rng rng = {0x9e3779b97f4a7c15ULL};
	const char *seed = getenv("PLANREG_FUZZ_SEED");
	if (seed != NULL && strtoull(seed, NULL, 0) != 0)
		rng.s = strtoull(seed, NULL, 0); /* xorshift must not start at 0 */
	struct fuzz_bytes b = {0};
	size_t kept = 0;
	for (unsigned long i = 0; i < iterations; i++) {
		if (driver_generate(&rng, &pool, &b) && pool.n < DRIVER_POOL_MAX) {
			fuzz_pool_add(&pool, b.data, b.len);
			kept++;
		}
	}
	free(b.data);
	printf("fuzz_%s: %zu seeds, %ld corpus files, %lu generated inputs (%zu kept as bases)", fuzz_target.name,
	       seeds, files, iterations, kept);
	if (fuzz_target.accepted_what != NULL)
		printf("; %zu of %zu runs %s", driver_accepted, driver_runs, fuzz_target.accepted_what);
	printf("; no crash\n");
	driver_pool_free(&pool);
	return 0;
}

#endif
