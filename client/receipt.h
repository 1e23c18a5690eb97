/* receipt.h - what the CLI keeps of the verifiable log (docs/verifiable-log.md, "What every CLI keeps"): a C2SP
 * tlog-proof receipt per entry it wrote, under $XDG_DATA_HOME/planreg/receipts/, and the newest checkpoint it
 * has seen per log under $XDG_STATE_HOME/planreg/, with which every newer one must be consistent. */
#ifndef PLANREG_RECEIPT_H
#define PLANREG_RECEIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "checkpoint.h"
#include "cli.h"
#include "note.h"
#include "planreg.pb-c.h"

/* $XDG_DATA_HOME/planreg/receipts (or ~/.local/share/planreg/receipts), malloc'd; NULL without a home. */
char *receipt_dir(void);
/* Where the receipt of an entry of kind ("update", "review") and id is kept (malloc'd), or NULL. */
char *receipt_path(const char *kind, int64_t id);

/* mkdir -p, mode 0700 (the user's own); false when a folder cannot be made. */
bool receipt_mkdirs(const char *path);

/* The log's verifier key from --vkey's value or the settings: a key string, or a file that holds one. NULL
 * (nothing configured) is fine; false, after printing why, when it is given and is not a key. */
bool receipt_vkey(const char *given, struct note_verifier *out, bool *have) __attribute__((warn_unused_result));

/* The witnesses' cosignature verifier keys in list (separated by spaces or commas, each a key or a file that holds
 * one; NULL: none) into *out (malloc'd), *n of them; false, after printing why, when one is not such a key. */
bool receipt_witness_vkeys(const char *list, struct note_verifier **out, size_t *n) __attribute__((warn_unused_result));

/* $XDG_STATE_HOME/planreg/<prefix>-<origin, its unsafe bytes as '_'> (the folder made), malloc'd, or NULL. */
char *receipt_state_path(const char *prefix, const char *origin);

/* A receipt as checked: the entry it proves, at index, under the checkpoint cp (from its note). */
struct receipt_info {
	uint64_t index;
	uint8_t *entry; /* the entry's bytes (malloc'd), entry_len of them */
	size_t entry_len;
	char *note; /* the checkpoint note, verbatim (malloc'd) */
	struct checkpoint cp;
};
void receipt_info_free(struct receipt_info *ri);

/* The offline check of a receipt text: its checkpoint signed by vkey (when not NULL; without one only the
 * proof is checked, against the checkpoint's own head), and the inclusion of the entry it carries (its extra
 * line) at its index. False with *why when any of it fails; out is filled on success only. */
bool receipt_check(const char *text, size_t len, const struct note_verifier *vkey, struct receipt_info *out,
		   const char **why) __attribute__((warn_unused_result));

/* A proof as the wire carries it (repeated bytes) into out; false when it has too many hashes or one is not
 * MERKLE_HASH_LEN bytes. */
bool receipt_proof(const ProtobufCBinaryData *hashes, size_t n, struct merkle_proof *out)
	__attribute__((warn_unused_result));

/* After a write: checks the answer's receipt, keeps it (never over an earlier one) and checks its checkpoint
 * against the newest one held (receipt_monitor). No receipt (a daemon without log_key): nothing to do. The exit
 * code: EXIT_OK, or EXIT_LOG after a loud message. */
int receipt_keep(struct cli *cli, const char *kind, int64_t id, const Planreg__V1__LogReceipt *r);

/* The consistency proof from the held tree to the seen one, asked for and checked (*holds); the exit code of
 * asking. */
int receipt_consistent(struct cli *cli, const struct checkpoint *held, const struct checkpoint *seen, bool *holds)
	__attribute__((warn_unused_result));

/* Keeps the held and the seen notes under $XDG_STATE_HOME/planreg/evidence and says loudly what does not hold;
 * EXIT_LOG. */
int receipt_evidence(const char *held, const char *seen, const char *what);

/* Compares the seen checkpoint (its note and parsed) with the held note: the same size must have the same head, a
 * larger one must extend it (the consistency proof is asked for). EXIT_OK, with *newer when seen is larger (or the
 * held note is unreadable); EXIT_LOG after receipt_evidence; another code when asking failed. */
int receipt_compare(struct cli *cli, const char *held_note, const char *note, const struct checkpoint *seen,
		    bool *newer) __attribute__((warn_unused_result));

/* A checkpoint note the service showed: when newer than the one held for its origin, the consistency proof
 * from that one is asked for and checked; the same size must have the same head. Then it is held. A failure
 * keeps both notes as evidence and says so loudly: EXIT_LOG. */
int receipt_monitor(struct cli *cli, const char *note);

#endif
