/* cmd_update_batch.c - `planreg update submit --csv FILE`: every row of a CSV
 * file read, sent with a key of this run's, and its result reported (the
 * server compares each with the project's current revision: unchanged or a new
 * revision); a bad row does not stop the others. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_update.h"
#include "csv.h"
#include "json.h"
#include "progress.h"
#include "receipt.h"
#include "text.h"
#include "xmalloc.h"

#define CMD_UPDATE_BATCH_MAX_BYTES (64 * 1024 * 1024)

/* What became of one CSV row. */
enum cmd_update_result {
	CMD_UPDATE_SUBMITTED,
	CMD_UPDATE_UNCHANGED, /* the row is the current revision's content: nothing written */
	CMD_UPDATE_REFUSED,
	CMD_UPDATE_INVALID,
	CMD_UPDATE_RESULTS,
};

static const char *const cmd_update_result_names[CMD_UPDATE_RESULTS] = {"submitted", "unchanged", "refused", "invalid"};

/* The batch in progress: counts, the JSON being written, the progress counter. */
struct cmd_update_batch {
	struct cli *cli;
	char run_key[CMD_UPDATE_KEY_MAX]; /* random, this run's: each row's key is it and the row's number */
	enum output_format fmt;
	size_t total, done;
	size_t counts[CMD_UPDATE_RESULTS];
	struct buf json_buf;
	struct json json;
	struct progress bar; /* on stderr when it is a terminal */
};

static void cmd_update_batch_progress_clear(struct cmd_update_batch *bt)
{
	progress_clear(&bt->bar);
}

static void cmd_update_batch_progress_show(struct cmd_update_batch *bt)
{
	progress_update(&bt->bar, bt->done, bt->total);
}

/* One row's result as a JSON object of the batch's array. */
static void cmd_update_batch_row_json(struct json *j, size_t row, int ref, enum cmd_update_result result,
				      const Planreg__V1__SubmitUpdateResponse *r, const Planreg__V1__Status *st,
				      const char *message)
{
	json_object_begin(j);
	json_kv_int(j, "row", (int64_t)row);
	json_key(j, "ref");
	if (ref > 0)
		json_int(j, ref);
	else
		json_null(j);
	json_kv_str(j, "result", cmd_update_result_names[result]);
	json_key(j, "update_id");
	if (r)
		json_int(j, r->update_id);
	else
		json_null(j);
	json_key(j, "revision");
	if (r)
		json_int(j, r->revision);
	else
		json_null(j);
	json_kv_str(j, "code", st ? status_code_name(st->code) : NULL);
	json_kv_str(j, "message", st ? st->message : message);
	cli_json_strings(j, "warnings", r ? r->warnings : NULL, r ? r->n_warnings : 0);
	json_key(j, "violations");
	json_array_begin(j);
	for (size_t i = 0; st && i < st->n_violations; i++) {
		json_object_begin(j);
		json_kv_str(j, "field", st->violations[i]->field);
		json_kv_str(j, "description", st->violations[i]->description);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* One row's result as a line (and the violations under it). */
static void cmd_update_batch_row_text(size_t row, int ref, enum cmd_update_result result,
				      const Planreg__V1__SubmitUpdateResponse *r, const Planreg__V1__Status *st,
				      const char *message)
{
	switch (result) {
	case CMD_UPDATE_SUBMITTED:
		printf("row %zu (project %d): submitted update %lld revision %d\n", row, ref, (long long)r->update_id,
		       r->revision);
		break;
	case CMD_UPDATE_UNCHANGED:
		printf("row %zu (project %d): unchanged (update %lld)\n", row, ref, (long long)r->update_id);
		break;
	case CMD_UPDATE_REFUSED:
		if (st) {
			printf("row %zu (project %d): refused: %s: %s\n", row, ref, status_code_name(st->code),
			       st->message[0] ? st->message : "(no message)");
			/* one violation is the message itself */
			for (size_t i = 0; i < st->n_violations && st->n_violations > 1; i++)
				printf("    - %s: %s\n", st->violations[i]->field, st->violations[i]->description);
		} else {
			printf("row %zu (project %d): refused: %s\n", row, ref, message);
		}
		break;
	default:
		printf("row %zu: invalid: %s\n", row, message);
		break;
	}
	fflush(stdout);
}

/* Counts and reports one row's result; its warnings go to stderr in every format, as for one submission. */
static void cmd_update_batch_row_result(struct cmd_update_batch *bt, size_t row, int ref, enum cmd_update_result result,
					const Planreg__V1__SubmitUpdateResponse *r, const Planreg__V1__Status *st,
					const char *message)
{
	bt->counts[result]++;
	cmd_update_batch_progress_clear(bt);
	for (size_t i = 0; r && i < r->n_warnings; i++)
		fprintf(stderr, "warning: row %zu (project %d): %s\n", row, ref, r->warnings[i]);
	if (bt->fmt == OUTPUT_JSON)
		cmd_update_batch_row_json(&bt->json, row, ref, result, r, st, message);
	else
		cmd_update_batch_row_text(row, ref, result, r, st, message);
}

/* Column indexes of the batch file; -1 when absent. */
enum cmd_update_column {
	CMD_UPDATE_COL_REF,
	CMD_UPDATE_COL_PERIOD,
	CMD_UPDATE_COL_CONFIDENCE,
	CMD_UPDATE_COL_STAGE,
	CMD_UPDATE_COL_NARRATIVE,
	CMD_UPDATE_COL_SPEND,
	CMD_UPDATE_COL_FORECAST,
	CMD_UPDATE_COL_VARIANCE_NOTE,
	CMD_UPDATE_COL_MILESTONES,
	CMD_UPDATE_COL_RISKS,
	CMD_UPDATE_COL_ACTUALS,
	CMD_UPDATE_COLUMNS,
};

static const char *const cmd_update_column_names[CMD_UPDATE_COLUMNS] = {
	"ref",      "period",        "confidence", "stage", "narrative", "spend",
	"forecast", "variance_note", "milestones", "risks", "actuals",
};
#define CMD_UPDATE_REQUIRED_COLUMNS 5 /* the first five */

/* Finds the columns in the header row; false after printing what is wrong. */
static bool cmd_update_batch_header(const char *path, const struct csv_row *h, int col[CMD_UPDATE_COLUMNS])
{
	for (int k = 0; k < CMD_UPDATE_COLUMNS; k++)
		col[k] = -1;
	for (size_t i = 0; i < h->n_fields; i++) {
		char *name = text_trim_dup(h->fields[i], strlen(h->fields[i]));
		bool dup = false;
		for (size_t k = 0; k < i && name[0]; k++) {
			char *other = text_trim_dup(h->fields[k], strlen(h->fields[k]));
			dup = dup || strcasecmp(name, other) == 0;
			free(other);
		}
		if (dup) {
			cli_fail(EXIT_USAGE, "%s:%d: the column \"%s\" appears twice in the header", path, h->line,
				 name);
			free(name);
			return false;
		}
		for (int k = 0; k < CMD_UPDATE_COLUMNS; k++)
			if (strcasecmp(name, cmd_update_column_names[k]) == 0)
				col[k] = (int)i;
		free(name);
	}
	for (int k = 0; k < CMD_UPDATE_REQUIRED_COLUMNS; k++) {
		if (col[k] < 0) {
			cli_fail(EXIT_USAGE,
				 "%s:%d: no \"%s\" column; the first row names the columns: ref, period, "
				 "confidence, stage and narrative are required (spend, forecast, variance_note, "
				 "milestones, risks and actuals are optional). `planreg update template --period "
				 "YYYY-Qn > "
				 "FILE` writes a form with them, filled in from the current returns",
				 path, h->line, cmd_update_column_names[k]);
			return false;
		}
	}
	return true;
}

static bool cmd_update_batch_row_blank(const struct csv_row *row)
{
	for (size_t i = 0; i < row->n_fields; i++)
		if (!text_is_blank(row->fields[i]))
			return false;
	return true;
}

static int cmd_update_batch_send_row(struct cmd_update_batch *bt, Planreg__V1__UpdateContent *c, size_t rowno, int ref);

/* Reads, sends and reports one row. Returns EXIT_OK to go on, or the exit code to stop with. */
static int cmd_update_batch_row(struct cmd_update_batch *bt, const struct csv_row *row, size_t rowno, size_t ncols,
				const int col[CMD_UPDATE_COLUMNS])
{
	struct arena a = {0};
	const char *cell[CMD_UPDATE_COLUMNS];
	for (int k = 0; k < CMD_UPDATE_COLUMNS; k++)
		cell[k] = col[k] >= 0 && (size_t)col[k] < row->n_fields ? row->fields[col[k]] : "";
	char *err = NULL;
	for (size_t i = ncols; i < row->n_fields && err == NULL; i++)
		if (row->fields[i][0])
			err = xasprintf("the row has %zu fields but the header names %zu columns", row->n_fields,
					ncols);
	struct cmd_update_input in = {
		.ref = cell[CMD_UPDATE_COL_REF],
		.period = cell[CMD_UPDATE_COL_PERIOD],
		.confidence = cell[CMD_UPDATE_COL_CONFIDENCE],
		.stage = cell[CMD_UPDATE_COL_STAGE],
		.narrative = cell[CMD_UPDATE_COL_NARRATIVE],
		.spend = cell[CMD_UPDATE_COL_SPEND],
		.forecast = cell[CMD_UPDATE_COL_FORECAST],
		.variance_note = cell[CMD_UPDATE_COL_VARIANCE_NOTE],
	};
	cmd_update_input_lines(&a, cell[CMD_UPDATE_COL_MILESTONES], &in.milestones, &in.n_milestones);
	cmd_update_input_lines(&a, cell[CMD_UPDATE_COL_RISKS], &in.risks, &in.n_risks);
	cmd_update_input_lines(&a, cell[CMD_UPDATE_COL_ACTUALS], &in.actuals, &in.n_actuals);
	Planreg__V1__UpdateContent c = PLANREG__V1__UPDATE_CONTENT__INIT;
	bool ok = err == NULL && cmd_update_input_read(&a, &in, &c, &err);
	int ref = c.ref; /* read first: known even when something later in the row is wrong */
	if (!ok) {
		cmd_update_batch_row_result(bt, rowno, ref, CMD_UPDATE_INVALID, NULL, NULL, err);
		free(err);
		arena_free(&a);
		return EXIT_OK;
	}

	int rc = cmd_update_batch_send_row(bt, &c, rowno, ref);
	arena_free(&a);
	return rc;
}

/*
 * Sends one row's content and reports the result; EXIT_OK to go on. The key is
 * this run's and the row's: a resend after a broken connection is the same
 * attempt and is written once, while sending the file again is a new attempt
 * that the server compares with the current revision (an old content key would
 * have answered with the first receipt even after a different revision).
 */
static int cmd_update_batch_send_row(struct cmd_update_batch *bt, Planreg__V1__UpdateContent *c, size_t rowno, int ref)
{
	char key[sizeof "batch-" + CMD_UPDATE_KEY_MAX + 24]; /* the run's 32 hex digits in practice: 49 at most */
	snprintf(key, sizeof key, "batch-%s-%zu", bt->run_key, rowno);
	cmd_update_batch_progress_clear(bt);
	int named = cmd_update_resolve_actuals(bt->cli, c); /* an indicator given by name: its id, or said why */
	if (named == EXIT_CONNECT)
		return named;
	if (named != EXIT_OK) {
		cmd_update_batch_row_result(bt, rowno, ref, CMD_UPDATE_INVALID, NULL, NULL,
					    "an actual names no indicator of the project (see above)");
		return EXIT_OK;
	}
	Planreg__V1__SubmitUpdateRequest body = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	body.content = c;
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, &body, key);
	Planreg__V1__Response *resp;
	bool retried;
	cmd_update_batch_progress_clear(bt);
	int rc = cmd_update_send(bt->cli, &req, true, &resp, &retried);
	if (rc == EXIT_CONNECT)
		return rc;
	if (rc != EXIT_OK) {
		/* a connection-level refusal of this request (printed above); the next row reconnects */
		cmd_update_batch_row_result(bt, rowno, ref, CMD_UPDATE_REFUSED, NULL, NULL,
					    "the server refused the request and closed the connection (see above)");
		return EXIT_OK;
	}
	const Planreg__V1__Status *st = resp->status;
	const Planreg__V1__SubmitUpdateResponse *r = resp->submit_update;
	if (st->code == PLANREG__V1__CODE__OK && r) {
		/* a replay can only be of this run's own key: this row going in, answered after a resend */
		cmd_update_batch_row_result(bt, rowno, ref, r->unchanged ? CMD_UPDATE_UNCHANGED : CMD_UPDATE_SUBMITTED,
					    r, NULL, NULL);
		/* its receipt kept like a single submission's; a log that does not hold together stops the run */
		rc = receipt_keep(bt->cli, "update", r->update_id, r->receipt);
	} else if (st->code == PLANREG__V1__CODE__OK) {
		cmd_update_batch_row_result(bt, rowno, ref, CMD_UPDATE_REFUSED, NULL, NULL,
					    "the server's answer has no receipt");
	} else {
		cmd_update_batch_row_result(bt, rowno, ref, CMD_UPDATE_REFUSED, NULL, st, NULL);
		/* the service going away affects every row: stop rather than refuse them all */
		if (status_exit_code(st->code) == EXIT_CONNECT)
			rc = EXIT_CONNECT;
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* Reads and parses the file and finds its columns; false after printing why. */
static bool cmd_update_batch_read(const char *path, struct csv *csv, int col[CMD_UPDATE_COLUMNS])
{
	char *err = NULL;
	size_t len = 0;
	char *data = file_read(path, CMD_UPDATE_BATCH_MAX_BYTES, &len, &err);
	if (data == NULL) {
		cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return false;
	}
	struct csv_error cerr;
	bool parsed = csv_parse(data, len, csv, &cerr);
	free(data);
	if (!parsed) {
		cli_fail(EXIT_USAGE, "%s:%d: %s", path, cerr.line, cerr.message);
		return false;
	}
	if (csv->n_rows == 0 || cmd_update_batch_row_blank(&csv->rows[0])) {
		csv_free(csv);
		cli_fail(EXIT_USAGE,
			 "%s has no header: the first row names the columns (`planreg update template --period "
			 "YYYY-Qn > FILE` writes a form with them)",
			 path);
		return false;
	}
	if (!cmd_update_batch_header(path, &csv->rows[0], col)) {
		csv_free(csv);
		return false;
	}
	return true;
}

/* The submit loop: every row that is not blank, in order, with the progress counter. */
static int cmd_update_batch_rows(struct cmd_update_batch *bt, const struct csv *csv, const int col[CMD_UPDATE_COLUMNS])
{
	for (size_t i = 1; i < csv->n_rows; i++)
		bt->total += !cmd_update_batch_row_blank(&csv->rows[i]);
	progress_begin(&bt->bar, bt->cli->stderr_tty, "submitting", bt->total);
	int rc = EXIT_OK;
	for (size_t i = 1; i < csv->n_rows && rc == EXIT_OK; i++) {
		if (cmd_update_batch_row_blank(&csv->rows[i]))
			continue;
		rc = cmd_update_batch_row(bt, &csv->rows[i], i + 1, csv->rows[0].n_fields, col);
		bt->done++;
		if (rc == EXIT_OK)
			cmd_update_batch_progress_show(bt);
	}
	progress_end(&bt->bar);
	return rc;
}

/* The counts line: on stdout after the table, on stderr after the JSON. */
static void cmd_update_batch_summary(const struct cmd_update_batch *bt)
{
	size_t sent = 0;
	for (int k = 0; k < CMD_UPDATE_RESULTS; k++)
		sent += bt->counts[k];
	struct buf summary = {0};
	buf_printf(&summary, "%zu row%s: %zu submitted, %zu unchanged, %zu refused, %zu invalid", bt->total,
		   bt->total == 1 ? "" : "s", bt->counts[CMD_UPDATE_SUBMITTED], bt->counts[CMD_UPDATE_UNCHANGED],
		   bt->counts[CMD_UPDATE_REFUSED], bt->counts[CMD_UPDATE_INVALID]);
	if (sent < bt->total)
		buf_printf(&summary, ", %zu not sent (the connection failed)", bt->total - sent);
	fprintf(bt->fmt == OUTPUT_JSON ? stderr : stdout, "%s\n", buf_str(&summary));
	buf_free(&summary);
}

int cmd_update_batch_run(struct cli *cli, const char *path, enum output_format fmt)
{
	struct csv csv;
	int col[CMD_UPDATE_COLUMNS];
	if (!cmd_update_batch_read(path, &csv, col))
		return EXIT_USAGE;
	struct cmd_update_batch bt = {.cli = cli, .fmt = fmt};
	if (!cmd_update_input_random_key(bt.run_key)) {
		csv_free(&csv);
		return cli_fail(EXIT_USAGE, "cannot make a random idempotency key for the batch");
	}
	if (fmt == OUTPUT_JSON) {
		json_init(&bt.json, &bt.json_buf, true);
		json_array_begin(&bt.json);
	}
	int rc = cmd_update_batch_rows(&bt, &csv, col);
	csv_free(&csv);
	if (fmt == OUTPUT_JSON) {
		json_array_end(&bt.json);
		output_json_done(&bt.json_buf, stdout);
	}
	cmd_update_batch_summary(&bt);
	if (rc != EXIT_OK)
		return rc;
	return bt.counts[CMD_UPDATE_REFUSED] + bt.counts[CMD_UPDATE_INVALID] > 0 ? EXIT_REFUSED : EXIT_OK;
}
