/* cmd_update.h - what the parts of `planreg update` share: the input read into
 * an UpdateContent and its keys (cmd_update_input.c), the amend of a current
 * revision (cmd_update_amend.c), the CSV batch (cmd_update_batch.c), the
 * renderers (cmd_update_print.c) and the verbs with their resending transport
 * (cmd_update.c). */
#ifndef PLANREG_CMD_UPDATE_H
#define PLANREG_CMD_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "cli.h"

/* a random key: 32 hex digits and a NUL, with room to spare */
#define CMD_UPDATE_KEY_MAX 72
#define CMD_UPDATE_KEY_LIMIT 200 /* the longest key the server stores */
#define CMD_UPDATE_MONEY_SPELLINGS "e.g. £1.2M, £55,000, £600k or 1200000.50"

/* One update as the user wrote it (options, or a CSV row), before it is read. */
struct cmd_update_input {
	bool from_options; /* name what is wrong as an option (--spend), not a column (spend) */
	const char *ref, *period, *confidence, *stage, *narrative, *spend, *forecast, *variance_note;
	char **milestones; /* "TITLE|BASELINE|FORECAST|ACHIEVED" */
	size_t n_milestones;
	char **risks;
	size_t n_risks;
	char **actuals; /* "INDICATOR=VALUE" or "INDICATOR=VALUE|NOTE"; INDICATOR an id or an exact name */
	size_t n_actuals;
};

/* Reads in into *c (strings in a); false with *err (malloc'd) saying what to write instead. */
bool cmd_update_input_read(struct arena *a, const struct cmd_update_input *in, Planreg__V1__UpdateContent *c,
			   char **err);
/* The actuals of in into c (one given for an indicator c has replaces it); false with *err. A name is kept in
 * the Actual's name until cmd_update_resolve_actuals finds its id. */
bool cmd_update_input_actuals(struct arena *a, const struct cmd_update_input *in, Planreg__V1__UpdateContent *c,
			      char **err);
/* Finds the id of each of c's actuals given by name among its project's indicators (ListIndicators); the exit
 * code, after saying which name is not one. */
int cmd_update_resolve_actuals(struct cli *cli, const Planreg__V1__UpdateContent *c);
/* A CSV cell's lines (milestones, risks), trimmed, blank ones left out, into *items (in a). */
void cmd_update_input_lines(struct arena *a, const char *cell, char ***items, size_t *n);
/* The message for an option given an empty value (malloc'd), or NULL when there is none. */
char *cmd_update_input_empty_option(const struct cmd_update_input *in);
/* A new random key for one invocation; false when the system has no randomness to give. */
bool cmd_update_input_random_key(char key[CMD_UPDATE_KEY_MAX]);

/* What `update submit --amend` removes from the current revision's lists (titles, risks), as given. */
struct cmd_update_amend {
	char **drop_milestones;
	size_t n_drop_milestones;
	char **drop_risks;
	size_t n_drop_risks;
};
/*
 * The amend: reads the current revision of in->ref for in->period, keeps every
 * field in leaves NULL, takes the others from in (milestones by title: one given
 * replaces the one of the same title or is added; risks given are added), drops
 * what drops names, and submits the result with key as an amend of that
 * revision (the server refuses it if another has been submitted since). Strings
 * go in a. The exit code.
 */
int cmd_update_amend_run(struct cli *cli, const struct cli_command *self, struct arena *a,
			 const struct cmd_update_input *in, const struct cmd_update_amend *drops, const char *key,
			 enum output_format fmt);

/* Submits c with key (amends: the update it amends, 0 for none) and prints the receipt; the exit code. */
int cmd_update_submit_content(struct cli *cli, const Planreg__V1__UpdateContent *c, int64_t amends, const char *key,
			      enum output_format fmt);

/*
 * Sends a request that carries an idempotency key. When the connection breaks
 * after it was sent, sends it once more with the same key on a new connection:
 * the server then either does it or answers with the first result. quiet: a
 * refusal is not printed (*resp carries it). *retried: the second send happened.
 */
int cmd_update_send(struct cli *cli, Planreg__V1__Request *req, bool quiet, Planreg__V1__Response **resp,
		    bool *retried);

/* Submits every row of the CSV file at path ("-": standard input); the exit code. */
int cmd_update_batch_run(struct cli *cli, const char *path, enum output_format fmt);

/* The stable JSON of an update (docs/json.md); u NULL: the content keys only. */
void cmd_update_print_json(struct json *j, const Planreg__V1__UpdateContent *c, const Planreg__V1__Update *u);
/* The same of an update as `update show` prints it: with "queries", each with its thread (cmd_query.h). */
void cmd_update_print_shown_json(struct json *j, const Planreg__V1__Update *u);
/* A ListUpdatesResponse as a listing. */
extern const struct cli_listing cmd_update_print_listing;
void cmd_update_print_record(const Planreg__V1__Update *u);
/* An UpdateTemplateResponse as a listing: the submission form of `update submit --csv`; its arg is the period. */
extern const struct cli_listing cmd_update_print_template_listing;
/* The submission receipt of one update (amends: the update it amends, 0 for none); its warnings go to stderr. */
void cmd_update_print_receipt(const Planreg__V1__UpdateContent *c, const Planreg__V1__SubmitUpdateResponse *r,
			      bool replayed, int64_t amends, enum output_format fmt);

/* cmd_update_evidence.c: a return's documents (docs/assurance.md) in a listing's row (key: a list, one
 * CATEGORY|LOCATION|SHA256|MILESTONE|TITLE a line), as JSON ("evidence": an array), and one in words. */
/* The next page of a ListUpdates listing (the server fills each up to its frame limit): the token it gave, set in
 * body (a ListUpdatesRequest); false after the last page. For cli_listing_pages and cli_pages_fetch. */
bool cmd_update_list_next(void *body, const void *answer);
/* A return's indicator actuals as one cell: one INDICATOR=VALUE|NOTE a line (the CSV batch's form); null for none. */
void cmd_update_actuals_row(struct output_rows *rows, const char *key, const Planreg__V1__UpdateContent *c);
void cmd_update_evidence_row(struct output_rows *rows, const char *key, const Planreg__V1__Update *u);
void cmd_update_evidence_json(struct json *j, const Planreg__V1__Update *u);
char *cmd_update_evidence_text(const Planreg__V1__Evidence *e); /* the caller frees it */

#endif
