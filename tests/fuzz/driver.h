/* driver.h - what a fuzz target tells tests/fuzz/driver.c: its name, its seeds, the words its parser gives
 * meaning to and, optionally, edits and an envelope of its own. A target is one file, fuzz_NAME.c, that
 * defines LLVMFuzzerTestOneInput (the same function libFuzzer calls) and `fuzz_target`. */
#ifndef PLANREG_FUZZ_DRIVER_H
#define PLANREG_FUZZ_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte string; whoever holds it frees data. */
struct fuzz_bytes {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Inputs mutations start from: seeds, corpus files and generated inputs worth keeping. The pool owns
 * every item's data. */
struct fuzz_pool {
	struct fuzz_bytes *items;
	size_t n;
	size_t cap;
};

/* xorshift64: the same seed gives the same inputs, so a run can be repeated exactly. */
struct fuzz_rng {
	uint64_t s;
};

struct fuzz_target {
	const char *name;          /* "money": in messages */
	unsigned long iterations;  /* generated inputs when the command line names none */
	size_t max_len;            /* generated inputs are cut to this many bytes */
	const char *const *tokens; /* NULL-terminated; words and separators mutations splice in */
	void (*seeds)(struct fuzz_pool *pool);

	/* Each of the rest may be NULL. */
	/* One edit only this target knows how to make (frame headers, protobuf tags). */
	void (*mutate)(struct fuzz_rng *r, struct fuzz_bytes *b, const struct fuzz_pool *pool);
	/* Where the bytes worth mutating sit inside an envelope: [*off, *off + *len) of data; false when
	 * data has no intact envelope. wrap puts an envelope around b again. */
	bool (*payload)(const uint8_t *data, size_t len, size_t *off, size_t *plen);
	void (*wrap)(struct fuzz_bytes *b);
	/* Whether the parser accepted the input LLVMFuzzerTestOneInput last ran: counted for the summary,
	 * and a generated input it accepted is kept as a base for later mutations. NULL: the target says so
	 * during the run with fuzz_accept() instead. */
	bool (*accepted)(void);
	const char *accepted_what; /* "were accepted", "began with a request that unpacked"; NULL: not counted */
};

/* Defined by the target. */
extern const struct fuzz_target fuzz_target;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* For targets' seeds and edits. */
void *fuzz_alloc(size_t n);
void fuzz_bytes_append(struct fuzz_bytes *b, const void *p, size_t n);
/* Inserts n bytes from p (zeros when p is NULL) at pos <= b->len. */
void fuzz_bytes_insert(struct fuzz_bytes *b, size_t pos, const void *p, size_t n);
void fuzz_bytes_erase(struct fuzz_bytes *b, size_t pos, size_t n);
void fuzz_pool_add(struct fuzz_pool *pool, const void *data, size_t len);
void fuzz_pool_add_str(struct fuzz_pool *pool, const char *s);
void fuzz_pool_add_strs(struct fuzz_pool *pool, const char *const *strs, size_t n);
/* Reads a whole file into *out (appending); false when it cannot be read. */
bool fuzz_read_file(const char *path, struct fuzz_bytes *out);
uint64_t fuzz_rand(struct fuzz_rng *r);
/* A number in [0, n); 0 when n is 0. */
size_t fuzz_below(struct fuzz_rng *r, size_t n);

/* Stops the run with a message when an invariant is broken: abort(), which libFuzzer, the driver and the
 * sanitizers all report as a crash. */
void fuzz_check(bool ok, const char *target, const char *what);
/* fuzz_check for this target (fuzz_target.name). */
void fuzz_require(bool ok, const char *what);
/* During a run: the parser accepted the input (ok); a run in which no call says true did not. For targets
 * without accepted(). */
void fuzz_accept(bool ok);

#endif
