/* log_sign.h - the verifiable log's signer: its Ed25519 key (log_key, never in the database), its origin, and
 * the last tree it signed, kept in its own state file (log_state) so that planregd signs only a tree that
 * extends that one (docs/verifiable-log.md, "Signing"). The state file is read at start; each new checkpoint's
 * write (and its fsyncs) is made by a thread of its own, one at a time, never in the event loop. */
#ifndef PLANREG_LOG_SIGN_H
#define PLANREG_LOG_SIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

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
	/* tests only: PLANREGD_TEST_SIGN_PAUSE_MS, how long each new checkpoint's writer waits (event=log_sign_paused;
	 * the daemon goes on serving) between the batch's commit and the state file's write, so that a test can kill
	 * the daemon at that moment (tests/integration/test_log.py, SequencerCrashTest); 0 in production */
	long test_pause_ms;
	/* the state file's writer: the loop's end of the pipe the writing thread answers on, and the calls waiting
	 * for the write under way to end */
	int done_pipe[2];
	struct event *done_ev;
	bool writing;
	struct log_signer_idle *idle;
};

/* Reads the key and the state file (a missing state file is the empty tree); false, with *err, when the key
 * cannot be read, is readable by others, does not name the origin, or the state file is not a checkpoint the
 * key signed for it. With no log_key the signer is disabled and this succeeds. */
bool log_signer_open(struct log_signer *s, const struct config *cfg, char **err) __attribute__((warn_unused_result));
void log_signer_close(struct log_signer *s);
/* The writer's pipe and its event on base, once the loop exists (after log_signer_open); false, with *err, when
 * the pipe cannot be made. Nothing to do for a disabled signer. */
bool log_signer_start(struct log_signer *s, struct event_base *base, char **err) __attribute__((warn_unused_result));

/* Called from the loop when a commit ended: error NULL when the tree is signed and adopted (s->note, size,
 * root, generation), else why not (nothing changed then). */
typedef void (*log_signer_fn)(void *arg, const char *error);
/* Signs the tree of size leaves with head root, which the caller has checked extends the last signed one
 * (size > s->size), and has a thread write it to the state file (atomically, synced); it is adopted only once
 * the write has succeeded, and then done is called. Only one write at a time: not while log_signer_busy. */
void log_signer_commit(struct log_signer *s, uint64_t size, const uint8_t root[MERKLE_HASH_LEN], log_signer_fn done,
		       void *arg);
/* A commit's write is under way: what was planned against the signed tree must wait for it to end
 * (log_signer_when_idle) and plan again, since it ends with a newer tree or none. */
bool log_signer_busy(const struct log_signer *s);
/* Calls fn(arg) from the loop once the write under way has ended (after its commit's own callback). */
void log_signer_when_idle(struct log_signer *s, void (*fn)(void *arg), void *arg);
/* `planregd log-key`: makes a new key at log_key (refusing to overwrite one), named log_origin (or the host's
 * name and /planreg), mode 0600, and prints its verifier key on out. Returns the exit status. */
int log_sign_keygen(const struct config *cfg, FILE *out, char **err);

#endif
