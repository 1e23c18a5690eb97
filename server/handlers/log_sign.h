/* log_sign.h - the verifiable log's signer: its Ed25519 key (log_key, never in the database), its origin, and
 * the last tree it signed, kept in its own state file (log_state) so that planregd signs only a tree that
 * extends that one (docs/verifiable-log.md, "Signing"). Synchronous file I/O: at start, and one small write
 * with fsync per new checkpoint. */
#ifndef PLANREG_LOG_SIGN_H
#define PLANREG_LOG_SIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "merkle.h"
#include "note.h"

struct log_signer {
	bool enabled; /* false: no log_key, nothing is signed */
	struct note_signer key;
	struct note_verifier vkey;
	char *origin;
	char *state_path;
	/* the last tree signed (from the state file at start; size 0 and no note before the first) */
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	char *note;          /* its signed checkpoint note (malloc'd), NULL before the first */
	uint64_t generation; /* bumped whenever a new tree is signed */
	/* tests only: PLANREGD_TEST_SIGN_PAUSE_MS, how long each new checkpoint waits (event=log_sign_paused, the
	 * whole daemon blocked) between the batch's commit and the state file's write, so that a test can kill the
	 * daemon at that moment (tests/integration/test_log.py, SequencerCrashTest); 0 in production */
	long test_pause_ms;
};

/* Reads the key and the state file (a missing state file is the empty tree); false, with *err, when the key
 * cannot be read, is readable by others, does not name the origin, or the state file is not a checkpoint the
 * key signed for it. With no log_key the signer is disabled and this succeeds. */
bool log_signer_open(struct log_signer *s, const struct config *cfg, char **err) __attribute__((warn_unused_result));
void log_signer_close(struct log_signer *s);
/* Signs the tree of size leaves with head root, which the caller has checked extends the last signed one
 * (size > s->size): writes the state file first (atomically, synced), then adopts it. False, with *err, when
 * the state file cannot be written; nothing changes then. */
bool log_signer_commit(struct log_signer *s, uint64_t size, const uint8_t root[MERKLE_HASH_LEN], char **err)
	__attribute__((warn_unused_result));
/* `planregd log-key`: makes a new key at log_key (refusing to overwrite one), named log_origin (or the host's
 * name and /planreg), mode 0600, and prints its verifier key on out. Returns the exit status. */
int log_sign_keygen(const struct config *cfg, FILE *out, char **err);

#endif
