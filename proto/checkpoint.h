/* checkpoint.h - C2SP tlog-checkpoint note texts and C2SP tlog-proof receipts: format, parse, and the
 * offline check of a receipt (its checkpoint note signed by the log, optionally cosigned by a quorum of
 * witnesses, and the inclusion of a leaf under that checkpoint's root). No I/O.
 *
 * Checkpoint text:                      Receipt (tlog-proof):
 *   <origin>                              c2sp.org/tlog-proof@v1
 *   <tree size, decimal>                  [extra <base64 opaque data>]
 *   <base64 root hash>                    index <leaf index, decimal>
 *   [<extension line>...]                 <base64 inclusion hash>...   (the leaf's sibling first)
 *                                         <empty line>
 *                                         <the checkpoint note, verbatim, with its signature lines>
 * Decimals have no leading zeros (0 is "0"); every line ends in a newline. Ownership: what a parse
 * fills in is malloc'd and released with the matching _free. */
#ifndef PLANREG_CHECKPOINT_H
#define PLANREG_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "merkle.h"
#include "note.h"

#define CHECKPOINT_RECEIPT_HEADER "c2sp.org/tlog-proof@v1"
/* Longest extra data a receipt parse accepts, decoded: planreg's receipts carry their entry there, and a review's
 * entry holds up to 5000 characters of comment. */
#define CHECKPOINT_EXTRA_MAX 32768

struct checkpoint {
	char *origin; /* the log's identity, non-empty (malloc'd) */
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	/* Extension lines, opaque to this code, each non-empty and ending in a newline, verbatim (malloc'd;
	 * NULL when there are none). The spec advises logs against them, so a log here writes none; a parse
	 * keeps them, since they are part of the signed text a cosignature covers. */
	char *extensions;
};

/* The note text of c (malloc'd); NULL when the origin is empty or not a valid line, or an extension
 * line is empty or holds a control character. */
char *checkpoint_format(const struct checkpoint *c);
/* Reads a note text (such as note_open returns). On false, *why says why and out is left empty. */
bool checkpoint_parse(const char *text, size_t len, struct checkpoint *out, const char **why)
	__attribute__((warn_unused_result));
void checkpoint_free(struct checkpoint *c);

struct checkpoint_receipt {
	uint8_t *extra; /* the extra line's data (malloc'd), NULL when the line is absent */
	size_t extra_len;
	uint64_t index;
	struct merkle_proof proof;
	char *note; /* the checkpoint note, verbatim (malloc'd, NUL-terminated) */
	size_t note_len;
};

/* The receipt text (malloc'd); NULL when the note is missing. */
char *checkpoint_receipt_format(const struct checkpoint_receipt *r);
/* Reads a receipt without verifying it. On false, *why says why and out is left empty. */
bool checkpoint_receipt_parse(const char *s, size_t len, struct checkpoint_receipt *out, const char **why)
	__attribute__((warn_unused_result));
void checkpoint_receipt_free(struct checkpoint_receipt *r);

/* Whom a receipt must satisfy: the log's key (type NOTE_ED25519), the origin its checkpoint must name (NULL: the log
 * key's name, the C2SP recommendation this project follows), and at least quorum of the witness cosigner keys (type
 * NOTE_COSIGNATURE; quorum 0 asks for none). */
struct checkpoint_policy {
	const struct note_verifier *log;
	const char *origin;
	const struct note_verifier *witnesses;
	size_t nwitnesses;
	size_t quorum;
};

/* Checks a receipt offline: parses it, opens its note with the policy's keys (the log's signature
 * required, witness cosignatures counted), parses the checkpoint, checks its origin, and verifies the
 * inclusion of leaf (a leaf hash, merkle_leaf_hash of the entry) at the receipt's index under its root.
 * On success cp (when not NULL) gets the checkpoint. On false, *why says which step refused. */
bool checkpoint_receipt_verify(const char *receipt, size_t len, const struct checkpoint_policy *policy,
			       const uint8_t leaf[MERKLE_HASH_LEN], struct checkpoint *cp, const char **why)
	__attribute__((warn_unused_result));

#endif
