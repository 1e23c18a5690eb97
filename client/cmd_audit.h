/* cmd_audit.h - what `audit verify` (cmd_audit.c) asks of the log's side (cmd_audit_log.c). */
#ifndef PLANREG_CMD_AUDIT_H
#define PLANREG_CMD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The verdict on the verifiable log. */
struct cmd_audit_log {
	bool checked;    /* the service signs its log, and its checkpoint was checked */
	uint64_t size;   /* the newest signed checkpoint's size */
	size_t receipts; /* receipts checked */
	char **problems; /* what does not hold, in words (malloc'd) */
	size_t n_problems;
	size_t witnesses;        /* --witnesses: the cosignatures required, 0 for none */
	size_t witnessed;        /* the trusted witnesses that cosigned the checkpoint witnessed (when witnesses > 0) */
	uint64_t witnessed_size; /* the newest checkpoint's size that so many cosigned (the current size when it is) */
	uint8_t *leaves;         /* every entry's leaf hash, as fetched (malloc'd) */
	uint64_t n_leaves;
};

/* The newest checkpoint against the one held (a failure: EXIT_LOG, evidence kept), the tree rebuilt from every
 * entry against it, and every receipt of the folder receipts (NULL: where the CLI keeps them) against both.
 * vkey: --vkey's value or NULL (the settings'). With witnesses > 0, the newest checkpoint that carries cosignatures by
 * at least that many of the witness keys the settings trust (witness_vkeys), that one or an older one, must be
 * consistent with it. Problems found are in l; the exit code is
 * that of a failure to ask. */
int cmd_audit_log_verify(struct cli *cli, const char *receipts, const char *vkey, size_t witnesses,
			 struct cmd_audit_log *l);
void cmd_audit_log_free(struct cmd_audit_log *l);

#endif
