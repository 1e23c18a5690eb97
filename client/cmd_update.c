/* cmd_update.c - `planreg update submit|template|history|list|show|review`:
 * quarterly progress updates, one from options or a batch from CSV, and the
 * CA's review of them. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "cli.h"
#include "csv.h"
#include "json.h"
#include "money.h"
#include "period.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

/* "csv-" + 64 hex digits + NUL; also room for a random key's 32 hex digits */
#define CMD_UPDATE_KEY_MAX 72
#define CMD_UPDATE_KEY_LIMIT 200 /* the longest key the server stores */
#define CMD_UPDATE_MONEY_SPELLINGS "e.g. £1.2M, £55,000, £600k or 1200000.50"

static const char cmd_update_submit_help[] =
	"Submits one quarterly progress update for project REF, or every row of a CSV\n"
	"file. A later submission for the same project and period is a new revision\n"
	"that supersedes the earlier one; the history keeps both.\n\n"
	"Options:\n"
	"  --period YYYY-Qn        the quarter reported on, e.g. 2026-Q3 (required)\n"
	"  --confidence C          delivery confidence: green, amber_green, amber, amber_red\n"
	"                          or red (required)\n"
	"  --stage S               concept, early_development, advanced_development, live,\n"
	"                          completed, paused or cancelled (required)\n"
	"  --narrative TEXT        what happened this quarter (required, or:)\n"
	"  --narrative-file FILE   read the narrative from FILE ('-' is standard input)\n"
	"  --spend AMOUNT          spend to date, " CMD_UPDATE_MONEY_SPELLINGS "\n"
	"  --forecast AMOUNT       forecast total cost, the same spellings\n"
	"  --variance-note TEXT    why the forecast differs from the plan's cost (required\n"
	"                          by the server when it differs by more than 5%)\n"
	"  --milestone \"TITLE|BASELINE|FORECAST|ACHIEVED\"\n"
	"                          a milestone, dates YYYY-MM-DD; FORECAST or ACHIEVED may\n"
	"                          be empty; repeat for more, in order\n"
	"  --risk TEXT             a risk; repeat for more\n"
	"  --idempotency-key KEY   this submission's key (default: a new random one); a\n"
	"                          submission repeated with the same key changes nothing\n"
	"  --csv FILE              submit every row of FILE instead ('-' is standard input)\n"
	"  --format table|json     output format (default table)\n\n"
	"With --csv the first row names the columns, in any order and any case: ref,\n"
	"period, confidence, stage and narrative are required; spend, forecast,\n"
	"variance_note, milestones (one TITLE|BASELINE|FORECAST|ACHIEVED per line) and\n"
	"risks (one per line) are optional; other columns are ignored, so the CSV of\n"
	"`planreg update template` can be filled in and sent back. Blank rows are\n"
	"skipped; rows are numbered as a spreadsheet numbers them (the header is row 1).\n"
	"Each row is one submission keyed by its content, so sending the same file again\n"
	"submits nothing new. A bad row does not stop the others. Exit code 0 when every\n"
	"row went in, 1 when any was refused or invalid.\n";
static const char cmd_update_template_help[] =
	"Lists the projects your organisation leads (an admin may name another with\n"
	"--org) as a starting point for the quarter's updates: each row is filled in\n"
	"from the project's latest update of an earlier period, if it has one. The CSV\n"
	"is the input of `planreg update submit --csv` once edited.\n\n"
	"Options:\n"
	"  --period YYYY-Qn          the quarter to report on, e.g. 2026-Q3 (required)\n"
	"  --org CODE                whose projects (admin only; default your own)\n"
	"  --format table|csv|json   output format (default table)\n";
static const char cmd_update_history_help[] = "Lists every revision of every update of project REF.\n\n"
					      "Options:\n"
					      "  --format table|csv|json   output format (default table)\n";
static const char cmd_update_list_help[] = "Lists the updates for a period.\n\n"
					   "Options:\n"
					   "  --period YYYY-Qn          the quarter, e.g. 2026-Q3 (required)\n"
					   "  --org CODE                only projects organisation CODE leads\n"
					   "  --latest                  only the latest revision per project\n"
					   "  --format table|csv|json   output format (default table)\n";
static const char cmd_update_show_help[] = "Options:\n"
					   "  --format table|json   output format (default table)\n";
static const char cmd_update_review_help[] =
	"Records the Combined Authority's review of an update (admin only). A returned\n"
	"update counts as outstanding until a new revision arrives.\n\n"
	"Options:\n"
	"  --accept          accept the update\n"
	"  --return COMMENT  return it, saying what to change\n";

/* ---------------------------------------------------------------- reading an update */

/* One update as the user wrote it (options, or a CSV row), before it is read. */
struct cmd_update_input {
	bool from_options; /* name what is wrong as an option (--spend), not a column (spend) */
	const char *ref, *period, *confidence, *stage, *narrative, *spend, *forecast, *variance_note;
	char **milestones; /* "TITLE|BASELINE|FORECAST|ACHIEVED" */
	size_t n_milestones;
	char **risks;
	size_t n_risks;
};

static char *cmd_update_trim(struct arena *a, const char *s)
{
	char *t = text_trim_dup(s ? s : "", strlen(s ? s : ""));
	char *r = arena_strdup(a, t);
	free(t);
	return r;
}

/* Free text: trimmed, every line break (CRLF, CR) made LF, so the same words are the same bytes. */
static char *cmd_update_text(struct arena *a, const char *s)
{
	char *t = cmd_update_trim(a, s);
	char *w = t;
	for (const char *p = t; *p; p++) {
		if (*p == '\r') {
			*w++ = '\n';
			if (p[1] == '\n')
				p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return t;
}

/* Enumeration names as people type them: "Amber/Green", "amber-red", "Early development". */
static char *cmd_update_name(struct arena *a, const char *s)
{
	char *t = cmd_update_trim(a, s);
	for (char *p = t; *p; p++)
		*p = (*p == ' ' || *p == '-' || *p == '/') ? '_' : (char)tolower((unsigned char)*p);
	return t;
}

/* Splits a cell into its non-blank lines, each trimmed. */
static void cmd_update_lines(struct arena *a, const char *cell, char ***items, size_t *n)
{
	const char *p = cell;
	while (*p) {
		size_t len = strcspn(p, "\r\n");
		char *line = arena_strndup(a, p, len);
		char *t = cmd_update_trim(a, line);
		if (t[0])
			*(char **)arena_push(a, items, n, sizeof(char *)) = t;
		p += len;
		if (*p)
			p++;
	}
}

static bool cmd_update_date(struct arena *a, const char *s, Planreg__V1__Date **out)
{
	*out = NULL;
	if (s[0] == '\0')
		return true;
	struct date d;
	if (!date_parse(s, &d))
		return false;
	char iso[DATE_FMT_MAX];
	date_format(d, iso);
	*out = ARENA_NEW(a, Planreg__V1__Date, planreg__v1__date__init);
	(*out)->iso = arena_strdup(a, iso);
	return true;
}

/* "TITLE|BASELINE|FORECAST|ACHIEVED", each date empty or YYYY-MM-DD; *err (malloc'd) names the
 * milestone and what is wrong. */
static bool cmd_update_milestone(struct arena *a, const char *name, const char *spec, Planreg__V1__Milestone **out,
				 char **err)
{
	char *parts[4];
	size_t n = 0;
	const char *p = spec;
	for (;;) {
		size_t len = strcspn(p, "|");
		if (n < 4)
			parts[n] = cmd_update_trim(a, arena_strndup(a, p, len));
		n++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (n != 4) {
		*err = xasprintf("%s \"%s\" has %zu part%s: write TITLE|BASELINE|FORECAST|ACHIEVED (dates YYYY-MM-DD; "
				 "FORECAST or ACHIEVED may be empty)",
				 name, spec, n, n == 1 ? "" : "s");
		return false;
	}
	/* a missing title or baseline is the server's to refuse, with the other rules */
	Planreg__V1__Milestone *m = ARENA_NEW(a, Planreg__V1__Milestone, planreg__v1__milestone__init);
	m->title = parts[0];
	static const char *const what[] = {"", "baseline", "forecast", "achieved"};
	Planreg__V1__Date **dates[] = {NULL, &m->baseline, &m->forecast, &m->achieved};
	for (int i = 1; i < 4; i++) {
		if (!cmd_update_date(a, parts[i], dates[i])) {
			*err = xasprintf("%s \"%s\": %s \"%s\" is not a date (YYYY-MM-DD)", name, parts[0], what[i],
					 parts[i]);
			return false;
		}
	}
	*out = m;
	return true;
}

static bool cmd_update_money(struct arena *a, const char *name, const char *s, Planreg__V1__Money **out, char **err)
{
	*out = NULL;
	char *t = cmd_update_trim(a, s);
	if (t[0] == '\0')
		return true;
	int64_t pence;
	if (!money_parse(t, &pence)) {
		*err = xasprintf("%s \"%s\" is not an amount of money: write it " CMD_UPDATE_MONEY_SPELLINGS, name, t);
		return false;
	}
	*out = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
	(*out)->pence = pence;
	return true;
}

/* Reads what must be read to be sent (numbers, names, money, dates); the server checks the rules. */
static bool cmd_update_read(struct arena *a, const struct cmd_update_input *in, Planreg__V1__UpdateContent *c,
			    char **err)
{
	const char *dash = in->from_options ? "--" : "";
	char *ref = cmd_update_trim(a, in->ref);
	char *end;
	errno = 0;
	long r = strtol(ref, &end, 10);
	if (ref[0] == '\0' || *end != '\0' || errno != 0 || r < 1 || r > 100000) {
		*err = ref[0] ? xasprintf("\"%s\" is not a project reference (a number such as 12)", ref)
			      : xstrdup("the project reference is empty (a number such as 12)");
		return false;
	}
	c->ref = (int32_t)r;

	char *period = cmd_update_trim(a, in->period);
	struct period pd;
	if (!period_parse(period, &pd)) {
		*err = xasprintf("%speriod \"%s\" is not a reporting period: write YYYY-Qn, e.g. 2026-Q3", dash,
				 period);
		return false;
	}
	char ps[PERIOD_FMT_MAX];
	period_format(pd, ps);
	c->period = arena_strdup(a, ps);

	char *conf = cmd_update_name(a, in->confidence);
	enum confidence cv;
	if (!values_confidence_parse(conf, &cv)) {
		*err = conf[0] ? xasprintf("%sconfidence \"%s\" is not one of %s", dash, in->confidence,
					   values_confidence_names())
			       : xasprintf("%sconfidence is empty: give one of %s", dash, values_confidence_names());
		return false;
	}
	c->confidence = (Planreg__V1__Confidence)cv;

	char *stage = cmd_update_name(a, in->stage);
	enum stage sv;
	if (!values_stage_parse(stage, &sv)) {
		*err = stage[0] ? xasprintf("%sstage \"%s\" is not one of %s", dash, in->stage, values_stage_names())
				: xasprintf("%sstage is empty: give one of %s", dash, values_stage_names());
		return false;
	}
	c->stage = (Planreg__V1__Stage)sv;

	c->narrative = cmd_update_text(a, in->narrative); /* required: the server says so when it is empty */
	char spend_name[16], forecast_name[16];
	snprintf(spend_name, sizeof spend_name, "%sspend", dash);
	snprintf(forecast_name, sizeof forecast_name, "%sforecast", dash);
	if (!cmd_update_money(a, spend_name, in->spend, &c->spend_to_date, err) ||
	    !cmd_update_money(a, forecast_name, in->forecast, &c->forecast_total, err))
		return false;
	c->variance_note = cmd_update_text(a, in->variance_note);

	const char *ms_name = in->from_options ? "--milestone" : "milestone";
	for (size_t i = 0; i < in->n_milestones; i++) {
		Planreg__V1__Milestone *m;
		if (!cmd_update_milestone(a, ms_name, in->milestones[i], &m, err))
			return false;
		*(Planreg__V1__Milestone **)arena_push(a, &c->milestones, &c->n_milestones, sizeof m) = m;
	}
	for (size_t i = 0; i < in->n_risks; i++) {
		char *risk = cmd_update_text(a, in->risks[i]);
		if (risk[0])
			*(char **)arena_push(a, &c->risks, &c->n_risks, sizeof risk) = risk;
	}
	return true;
}

/* Whether s is empty or only whitespace. */
static bool cmd_update_blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/*
 * An option given an empty (or blank) value: `--spend ''` would otherwise send
 * no figure at all, which is not what someone who typed the option meant.
 * Returns a malloc'd usage message naming the option, or NULL when there is none.
 * (In a CSV row an empty cell is how a figure is left out, so this is for options only.)
 */
static char *cmd_update_empty_option(const struct cmd_update_input *in)
{
	if (in->spend != NULL && cmd_update_blank(in->spend))
		return xstrdup("--spend is empty: give the spend to date, " CMD_UPDATE_MONEY_SPELLINGS
			       ", or leave --spend out");
	if (in->forecast != NULL && cmd_update_blank(in->forecast))
		return xstrdup("--forecast is empty: give the forecast total cost, " CMD_UPDATE_MONEY_SPELLINGS
			       ", or leave --forecast out");
	for (size_t i = 0; i < in->n_milestones; i++)
		if (cmd_update_blank(in->milestones[i]))
			return in->n_milestones == 1
				       ? xstrdup("--milestone is empty: write \"TITLE|BASELINE|FORECAST|ACHIEVED\" "
						 "(dates YYYY-MM-DD; FORECAST or ACHIEVED may be empty), or leave "
						 "--milestone out")
				       : xasprintf(
						 "--milestone %zu of %zu is empty: write "
						 "\"TITLE|BASELINE|FORECAST|ACHIEVED\" (dates YYYY-MM-DD; FORECAST or "
						 "ACHIEVED may be empty)",
						 i + 1, in->n_milestones);
	for (size_t i = 0; i < in->n_risks; i++)
		if (cmd_update_blank(in->risks[i]))
			return in->n_risks == 1
				       ? xstrdup("--risk is empty: describe the risk, or leave --risk out")
				       : xasprintf("--risk %zu of %zu is empty: describe the risk", i + 1, in->n_risks);
	return NULL;
}

/* ---------------------------------------------------------------- idempotency keys */

static void cmd_update_key_field(struct buf *b, const char *name, const char *s)
{
	buf_printf(b, "%s %zu:", name, strlen(s));
	buf_puts(b, s);
	buf_putc(b, '\n');
}

static void cmd_update_key_money(struct buf *b, const char *name, const Planreg__V1__Money *m)
{
	if (m)
		buf_printf(b, "%s %lld\n", name, (long long)m->pence);
	else
		buf_printf(b, "%s -\n", name);
}

/*
 * "csv-" + SHA-256 of the content as read (canonical period and names, pence,
 * trimmed text), each field length-prefixed so no two contents serialise alike.
 * The row's position is not part of it: the same update is the same key
 * wherever it sits in the file.
 */
static void cmd_update_content_key(const Planreg__V1__UpdateContent *c, char key[CMD_UPDATE_KEY_MAX])
{
	struct buf b = {0};
	buf_printf(&b, "planreg update v1\nref %d\n", c->ref);
	cmd_update_key_field(&b, "period", c->period);
	cmd_update_key_field(&b, "confidence", values_confidence_name((enum confidence)c->confidence));
	cmd_update_key_field(&b, "stage", values_stage_name((enum stage)c->stage));
	cmd_update_key_field(&b, "narrative", c->narrative);
	cmd_update_key_money(&b, "spend", c->spend_to_date);
	cmd_update_key_money(&b, "forecast", c->forecast_total);
	cmd_update_key_field(&b, "variance_note", c->variance_note);
	buf_printf(&b, "milestones %zu\n", c->n_milestones);
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		cmd_update_key_field(&b, "title", m->title);
		cmd_update_key_field(&b, "baseline", m->baseline ? m->baseline->iso : "");
		cmd_update_key_field(&b, "forecast", m->forecast ? m->forecast->iso : "");
		cmd_update_key_field(&b, "achieved", m->achieved ? m->achieved->iso : "");
	}
	buf_printf(&b, "risks %zu\n", c->n_risks);
	for (size_t i = 0; i < c->n_risks; i++)
		cmd_update_key_field(&b, "risk", c->risks[i]);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(b.data, b.len, md, &n, EVP_sha256(), NULL);
	buf_free(&b);
	memcpy(key, "csv-", 4);
	text_hex(md, n, key + 4);
}

/* 32 random hex digits: one logical submission. */
static bool cmd_update_random_key(char key[CMD_UPDATE_KEY_MAX])
{
	unsigned char bytes[16];
	if (RAND_bytes(bytes, sizeof bytes) != 1) {
		ERR_clear_error();
		return false;
	}
	text_hex(bytes, sizeof bytes, key);
	return true;
}

/* ---------------------------------------------------------------- sending */

/*
 * Sends a request that carries an idempotency key. When the connection breaks
 * after it was sent, sends it once more with the same key on a new connection:
 * the server then either does it or answers with the first result.
 * quiet: as cli_call_quiet (the refusal is the caller's to report).
 */
static int cmd_update_send(struct cli *cli, Planreg__V1__Request *req, bool quiet, Planreg__V1__Response **resp,
			   bool *retried)
{
	*retried = false;
	*resp = NULL;
	int rc = quiet ? cli_call_quiet(cli, req, resp) : cli_call(cli, req, resp);
	if (rc == EXIT_CONNECT && cli->broke_after_send) {
		fprintf(stderr, "planreg: sending it again with the same idempotency key\n");
		*retried = true;
		rc = quiet ? cli_call_quiet(cli, req, resp) : cli_call(cli, req, resp);
	}
	return rc;
}

/* ---------------------------------------------------------------- submit */

static int cmd_update_submit_one(struct cli *cli, const Planreg__V1__UpdateContent *c, const char *key,
				 enum output_format fmt)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__SubmitUpdateRequest body = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	body.content = (Planreg__V1__UpdateContent *)c;
	req.body_case = PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE;
	req.submit_update = &body;
	req.idempotency_key = (char *)key;
	Planreg__V1__Response *resp;
	bool retried;
	int rc = cmd_update_send(cli, &req, false, &resp, &retried);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__SubmitUpdateResponse *r = resp->submit_update;
	if (r == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no receipt");
	}
	/* a replay of our own retry is this submission going in, not an earlier one */
	bool replayed = r->replayed && !retried;
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_object_begin(&j);
		json_kv_int(&j, "update_id", r->update_id);
		json_kv_int(&j, "revision", r->revision);
		json_kv_str(&j, "hash", r->hash);
		json_key(&j, "warnings");
		json_array_begin(&j);
		for (size_t i = 0; i < r->n_warnings; i++)
			json_str(&j, r->warnings[i]);
		json_array_end(&j);
		json_kv_bool(&j, "replayed", replayed);
		json_kv_str(&j, "submitted_at", r->submitted_at);
		json_object_end(&j);
		output_json_done(&b, stdout);
	} else {
		printf("%s update %lld: project %d, %s revision %d\nhash %s\n",
		       replayed ? "already submitted (idempotency key seen before):" : "submitted",
		       (long long)r->update_id, c->ref, c->period, r->revision, r->hash);
		fflush(stdout);
		for (size_t i = 0; i < r->n_warnings; i++)
			fprintf(stderr, "warning: %s\n", r->warnings[i]);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* What became of one CSV row. */
enum cmd_update_result {
	CMD_UPDATE_SUBMITTED,
	CMD_UPDATE_ALREADY,
	CMD_UPDATE_REFUSED,
	CMD_UPDATE_INVALID,
	CMD_UPDATE_RESULTS,
};

static const char *const cmd_update_result_names[CMD_UPDATE_RESULTS] = {"submitted", "already_submitted", "refused",
									"invalid"};

/* The batch in progress: counts, the JSON being written, the progress counter. */
struct cmd_update_batch {
	struct cli *cli;
	enum output_format fmt;
	size_t total, done;
	size_t counts[CMD_UPDATE_RESULTS];
	struct buf json_buf;
	struct json json;
	int progress_width; /* characters of the counter now on stderr; 0 when none */
};

static void cmd_update_progress_clear(struct cmd_update_batch *bt)
{
	if (bt->progress_width == 0)
		return;
	fprintf(stderr, "\r%*s\r", bt->progress_width, "");
	bt->progress_width = 0;
}

static void cmd_update_progress_show(struct cmd_update_batch *bt)
{
	if (!bt->cli->stderr_tty)
		return;
	bt->progress_width = fprintf(stderr, "\r  %zu/%zu", bt->done, bt->total) - 1;
	fflush(stderr);
}

/* Writes one row's result (table: a line and details; JSON: an object). */
static void cmd_update_row_result(struct cmd_update_batch *bt, size_t row, int ref, enum cmd_update_result result,
				  const Planreg__V1__SubmitUpdateResponse *r, const Planreg__V1__Status *st,
				  const char *message)
{
	bt->counts[result]++;
	if (bt->fmt == OUTPUT_JSON) {
		struct json *j = &bt->json;
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
		json_key(j, "warnings");
		json_array_begin(j);
		for (size_t i = 0; r && i < r->n_warnings; i++)
			json_str(j, r->warnings[i]);
		json_array_end(j);
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
		return;
	}
	cmd_update_progress_clear(bt);
	switch (result) {
	case CMD_UPDATE_SUBMITTED:
		printf("row %zu (project %d): submitted update %lld revision %d\n", row, ref, (long long)r->update_id,
		       r->revision);
		break;
	case CMD_UPDATE_ALREADY:
		printf("row %zu (project %d): already submitted (update %lld)\n", row, ref, (long long)r->update_id);
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
	for (size_t i = 0; r && i < r->n_warnings; i++)
		printf("    warning: %s\n", r->warnings[i]);
	fflush(stdout);
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
	CMD_UPDATE_COLUMNS,
};

static const char *const cmd_update_column_names[CMD_UPDATE_COLUMNS] = {
	"ref",   "period",   "confidence",    "stage",      "narrative",
	"spend", "forecast", "variance_note", "milestones", "risks",
};
#define CMD_UPDATE_REQUIRED_COLUMNS 5 /* the first five */

/* Finds the columns in the header row; false after printing what is wrong. */
static bool cmd_update_header(const char *path, const struct csv_row *h, int col[CMD_UPDATE_COLUMNS])
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
				 "milestones and risks are optional)",
				 path, h->line, cmd_update_column_names[k]);
			return false;
		}
	}
	return true;
}

static bool cmd_update_row_blank(const struct csv_row *row)
{
	for (size_t i = 0; i < row->n_fields; i++)
		for (const char *p = row->fields[i]; *p; p++)
			if (!isspace((unsigned char)*p))
				return false;
	return true;
}

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
	cmd_update_lines(&a, cell[CMD_UPDATE_COL_MILESTONES], &in.milestones, &in.n_milestones);
	cmd_update_lines(&a, cell[CMD_UPDATE_COL_RISKS], &in.risks, &in.n_risks);
	Planreg__V1__UpdateContent c = PLANREG__V1__UPDATE_CONTENT__INIT;
	bool ok = err == NULL && cmd_update_read(&a, &in, &c, &err);
	int ref = c.ref; /* read first: known even when something later in the row is wrong */
	if (!ok) {
		cmd_update_row_result(bt, rowno, ref, CMD_UPDATE_INVALID, NULL, NULL, err);
		free(err);
		arena_free(&a);
		return EXIT_OK;
	}

	char key[CMD_UPDATE_KEY_MAX];
	cmd_update_content_key(&c, key);
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__SubmitUpdateRequest body = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	body.content = &c;
	req.body_case = PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE;
	req.submit_update = &body;
	req.idempotency_key = key;
	Planreg__V1__Response *resp;
	bool retried;
	cmd_update_progress_clear(bt);
	int rc = cmd_update_send(bt->cli, &req, true, &resp, &retried);
	arena_free(&a);
	if (rc == EXIT_CONNECT)
		return rc;
	if (rc != EXIT_OK) {
		/* a connection-level refusal of this request (printed above); the next row reconnects */
		cmd_update_row_result(bt, rowno, ref, CMD_UPDATE_REFUSED, NULL, NULL,
				      "the server refused the request and closed the connection (see above)");
		return EXIT_OK;
	}
	const Planreg__V1__Status *st = resp->status;
	const Planreg__V1__SubmitUpdateResponse *r = resp->submit_update;
	if (st->code == PLANREG__V1__CODE__OK && r) {
		bool replayed = r->replayed && !retried;
		cmd_update_row_result(bt, rowno, ref, replayed ? CMD_UPDATE_ALREADY : CMD_UPDATE_SUBMITTED, r, NULL,
				      NULL);
	} else if (st->code == PLANREG__V1__CODE__OK) {
		cmd_update_row_result(bt, rowno, ref, CMD_UPDATE_REFUSED, NULL, NULL,
				      "the server's answer has no receipt");
	} else {
		cmd_update_row_result(bt, rowno, ref, CMD_UPDATE_REFUSED, NULL, st, NULL);
		/* the service going away affects every row: stop rather than refuse them all */
		if (status_exit_code(st->code) == EXIT_CONNECT)
			rc = EXIT_CONNECT;
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

static int cmd_update_batch(struct cli *cli, const char *path, enum output_format fmt)
{
	char *err = NULL;
	size_t len = 0;
	char *data = cmd_plan_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, &len, &err);
	if (data == NULL) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	struct csv csv;
	struct csv_error cerr;
	bool parsed = csv_parse(data, len, &csv, &cerr);
	free(data);
	if (!parsed)
		return cli_fail(EXIT_USAGE, "%s:%d: %s", path, cerr.line, cerr.message);
	int col[CMD_UPDATE_COLUMNS];
	if (csv.n_rows == 0 || cmd_update_row_blank(&csv.rows[0])) {
		csv_free(&csv);
		return cli_fail(EXIT_USAGE,
				"%s has no header: the first row names the columns (`planreg update template "
				"--format csv` writes one)",
				path);
	}
	if (!cmd_update_header(path, &csv.rows[0], col)) {
		csv_free(&csv);
		return EXIT_USAGE;
	}

	struct cmd_update_batch bt = {.cli = cli, .fmt = fmt};
	for (size_t i = 1; i < csv.n_rows; i++)
		bt.total += !cmd_update_row_blank(&csv.rows[i]);
	if (fmt == OUTPUT_JSON) {
		json_init(&bt.json, &bt.json_buf, true);
		json_array_begin(&bt.json);
	}
	int rc = EXIT_OK;
	for (size_t i = 1; i < csv.n_rows && rc == EXIT_OK; i++) {
		if (cmd_update_row_blank(&csv.rows[i]))
			continue;
		rc = cmd_update_batch_row(&bt, &csv.rows[i], i + 1, csv.rows[0].n_fields, col);
		bt.done++;
		if (rc == EXIT_OK)
			cmd_update_progress_show(&bt);
	}
	cmd_update_progress_clear(&bt);
	csv_free(&csv);

	size_t sent = 0;
	for (int k = 0; k < CMD_UPDATE_RESULTS; k++)
		sent += bt.counts[k];
	struct buf summary = {0};
	buf_printf(&summary, "%zu row%s: %zu submitted, %zu already submitted, %zu refused, %zu invalid", bt.total,
		   bt.total == 1 ? "" : "s", bt.counts[CMD_UPDATE_SUBMITTED], bt.counts[CMD_UPDATE_ALREADY],
		   bt.counts[CMD_UPDATE_REFUSED], bt.counts[CMD_UPDATE_INVALID]);
	if (sent < bt.total)
		buf_printf(&summary, ", %zu not sent (the connection failed)", bt.total - sent);
	if (fmt == OUTPUT_JSON) {
		json_array_end(&bt.json);
		output_json_done(&bt.json_buf, stdout);
		fprintf(stderr, "%s\n", buf_str(&summary));
	} else {
		printf("%s\n", buf_str(&summary));
	}
	buf_free(&summary);
	if (rc != EXIT_OK)
		return rc;
	return bt.counts[CMD_UPDATE_REFUSED] + bt.counts[CMD_UPDATE_INVALID] > 0 ? EXIT_REFUSED : EXIT_OK;
}

static int cmd_update_submit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"period", required_argument, NULL, 'p'},
					     {"confidence", required_argument, NULL, 'c'},
					     {"stage", required_argument, NULL, 's'},
					     {"narrative", required_argument, NULL, 'n'},
					     {"narrative-file", required_argument, NULL, 'N'},
					     {"spend", required_argument, NULL, 'S'},
					     {"forecast", required_argument, NULL, 'F'},
					     {"variance-note", required_argument, NULL, 'v'},
					     {"milestone", required_argument, NULL, 'm'},
					     {"risk", required_argument, NULL, 'r'},
					     {"idempotency-key", required_argument, NULL, 'k'},
					     {"csv", required_argument, NULL, 'C'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_update_commands[0];
	enum output_format fmt = OUTPUT_TABLE;
	struct cmd_update_input in = {.from_options = true};
	const char *narrative_file = NULL, *key = NULL, *csv_path = NULL;
	struct arena a = {0};
	bool content_options = false;
	int rc = EXIT_OK;
	int ch;
	while (rc == EXIT_OK && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		content_options = content_options || (ch != 'C' && ch != 'f' && ch != 'h');
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			arena_free(&a);
			return EXIT_OK;
		case 'p':
			in.period = optarg;
			break;
		case 'c':
			in.confidence = optarg;
			break;
		case 's':
			in.stage = optarg;
			break;
		case 'n':
			in.narrative = optarg;
			break;
		case 'N':
			narrative_file = optarg;
			break;
		case 'S':
			in.spend = optarg;
			break;
		case 'F':
			in.forecast = optarg;
			break;
		case 'v':
			in.variance_note = optarg;
			break;
		case 'm':
			*(char **)arena_push(&a, &in.milestones, &in.n_milestones, sizeof(char *)) = optarg;
			break;
		case 'r':
			*(char **)arena_push(&a, &in.risks, &in.n_risks, sizeof(char *)) = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'C':
			csv_path = optarg;
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				rc = EXIT_USAGE;
			else if (fmt == OUTPUT_CSV)
				rc = cli_usage(cmd, "--format must be table or json here");
			break;
		default:
			rc = cli_usage(cmd, "unknown option");
			break;
		}
	}
	if (rc != EXIT_OK) {
		arena_free(&a);
		return rc;
	}
	if (csv_path) {
		arena_free(&a);
		if (content_options || optind < argc)
			return cli_usage(cmd, "--csv FILE takes everything from the file: give no REF and no other "
					      "option but --format");
		return cmd_update_batch(cli, csv_path, fmt);
	}

	if (argc - optind != 1)
		rc = cli_usage(cmd, argc == optind ? "give the project reference (REF), or --csv FILE"
						   : "give one project reference (REF)");
	else if (in.period == NULL)
		rc = cli_usage(cmd, "--period is required: the quarter reported on, YYYY-Qn, e.g. 2026-Q3");
	else if (in.confidence == NULL)
		rc = cli_usage(cmd, "--confidence is required: one of %s", values_confidence_names());
	else if (in.stage == NULL)
		rc = cli_usage(cmd, "--stage is required: one of %s", values_stage_names());
	else if ((in.narrative == NULL) == (narrative_file == NULL))
		rc = cli_usage(cmd, "give the narrative with either --narrative TEXT or --narrative-file FILE");
	else if (key && (key[0] == '\0' || strlen(key) > CMD_UPDATE_KEY_LIMIT))
		rc = cli_usage(cmd, "--idempotency-key takes 1 to %d characters", CMD_UPDATE_KEY_LIMIT);
	else {
		char *empty = cmd_update_empty_option(&in);
		if (empty != NULL)
			rc = cli_usage(cmd, "%s", empty);
		free(empty);
	}
	if (rc != EXIT_OK) {
		arena_free(&a);
		return rc;
	}
	in.ref = argv[optind];

	char *err = NULL;
	if (narrative_file) {
		size_t len = 0;
		const char *from = strcmp(narrative_file, "-") == 0 ? "/dev/stdin" : narrative_file;
		char *text = cmd_plan_read_file(from, &len, &err);
		if (text && !text_utf8_valid(text, len, NULL)) {
			free(text);
			text = NULL;
			err = xasprintf("%s is not UTF-8 text", narrative_file);
		}
		if (text == NULL) {
			rc = cli_fail(EXIT_USAGE, "%s", err);
			free(err);
			arena_free(&a);
			return rc;
		}
		in.narrative = arena_strndup(&a, text, len);
		free(text);
	}

	Planreg__V1__UpdateContent c = PLANREG__V1__UPDATE_CONTENT__INIT;
	if (!cmd_update_read(&a, &in, &c, &err)) {
		rc = cli_usage(cmd, "%s", err);
		free(err);
		arena_free(&a);
		return rc;
	}
	char random_key[CMD_UPDATE_KEY_MAX];
	if (key == NULL) {
		if (!cmd_update_random_key(random_key)) {
			arena_free(&a);
			return cli_fail(EXIT_USAGE,
					"cannot make a random idempotency key; give one with --idempotency-key");
		}
		key = random_key;
	}
	rc = cmd_update_submit_one(cli, &c, key, fmt);
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- showing updates */

/* Stands in for an update's content when the server sent none. */
static const Planreg__V1__UpdateContent cmd_update_no_content = PLANREG__V1__UPDATE_CONTENT__INIT;

/* Pounds as a spreadsheet and money_parse read them: "1200000.50", "1200000"; "" when absent. */
static const char *cmd_update_pounds(const Planreg__V1__Money *m, char out[MONEY_FMT_MAX])
{
	out[0] = '\0';
	if (m == NULL)
		return out;
	int64_t p = m->pence;
	unsigned long long mag = p < 0 ? (unsigned long long)(-(p + 1)) + 1 : (unsigned long long)p;
	if (mag % 100)
		snprintf(out, MONEY_FMT_MAX, "%s%llu.%02llu", p < 0 ? "-" : "", mag / 100, mag % 100);
	else
		snprintf(out, MONEY_FMT_MAX, "%s%llu", p < 0 ? "-" : "", mag / 100);
	return out;
}

static const char *cmd_update_iso(const Planreg__V1__Date *d)
{
	return d && d->iso[0] ? d->iso : NULL;
}

/* Milestones one per line as TITLE|BASELINE|FORECAST|ACHIEVED (what --csv reads back). */
static void cmd_update_milestone_lines(struct buf *b, const Planreg__V1__UpdateContent *c)
{
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		const char *baseline = cmd_update_iso(m->baseline), *forecast = cmd_update_iso(m->forecast),
			   *achieved = cmd_update_iso(m->achieved);
		buf_printf(b, "%s%s|%s|%s|%s", i ? "\n" : "", m->title, baseline ? baseline : "",
			   forecast ? forecast : "", achieved ? achieved : "");
	}
}

/* Risks one per line; a line break inside a risk becomes a space so the lines read back as the same risks. */
static void cmd_update_risk_lines(struct buf *b, const Planreg__V1__UpdateContent *c)
{
	for (size_t i = 0; i < c->n_risks; i++) {
		if (i)
			buf_putc(b, '\n');
		for (const char *p = c->risks[i]; *p; p++)
			buf_putc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
	}
}

/* The content keys of an update object; with u, the keys of a stored update around them. */
static void cmd_update_json(struct json *j, const Planreg__V1__UpdateContent *c, const Planreg__V1__Update *u)
{
	if (c == NULL)
		c = &cmd_update_no_content;
	json_object_begin(j);
	if (u)
		json_kv_int(j, "id", u->id);
	json_kv_int(j, "ref", c->ref);
	json_kv_str(j, "period", c->period);
	if (u)
		json_kv_int(j, "revision", u->revision);
	json_kv_str(j, "confidence", values_confidence_name((enum confidence)c->confidence));
	json_kv_str(j, "stage", values_stage_name((enum stage)c->stage));
	json_kv_str(j, "narrative", c->narrative);
	cli_money_json(j, "spend_to_date_pence", c->spend_to_date);
	cli_money_json(j, "forecast_total_pence", c->forecast_total);
	json_kv_str(j, "variance_note", c->variance_note);
	json_key(j, "milestones");
	json_array_begin(j);
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		json_object_begin(j);
		json_kv_str(j, "title", m->title);
		json_kv_str(j, "baseline", cmd_update_iso(m->baseline));
		json_kv_str(j, "forecast", cmd_update_iso(m->forecast));
		json_kv_str(j, "achieved", cmd_update_iso(m->achieved));
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "risks");
	json_array_begin(j);
	for (size_t i = 0; i < c->n_risks; i++)
		json_str(j, c->risks[i]);
	json_array_end(j);
	if (u) {
		json_kv_str(j, "submitted_by", u->submitted_by);
		json_kv_str(j, "submitted_org", u->submitted_org);
		json_kv_str(j, "submitted_person", u->submitted_person);
		json_kv_bool(j, "on_behalf", u->on_behalf);
		json_kv_str(j, "submitted_at", u->submitted_at);
		json_kv_str(j, "hash", u->hash);
		json_kv_str(j, "prev_hash", u->prev_hash);
		json_key(j, "review");
		if (u->review) {
			json_object_begin(j);
			json_kv_str(j, "status", u->review->accepted ? "accepted" : "returned");
			json_kv_str(j, "comment", u->review->comment);
			json_kv_str(j, "reviewed_by", u->review->reviewed_by);
			json_kv_str(j, "reviewed_at", u->review->reviewed_at);
			json_object_end(j);
		} else {
			json_null(j);
		}
		json_kv_bool(j, "superseded", u->superseded);
	}
	json_object_end(j);
}

static const char *cmd_update_review_word(const Planreg__V1__Update *u)
{
	return u->review ? (u->review->accepted ? "accepted" : "returned") : NULL;
}

static void cmd_update_print_list(Planreg__V1__Update **us, size_t n, enum output_format fmt)
{
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++)
			cmd_update_json(&j, us[i]->content, us[i]);
		json_array_end(&j);
		output_json_done(&b, stdout);
		return;
	}
	if (fmt == OUTPUT_CSV) {
		/* the submit columns keep their names and spellings, so a listing can be edited and sent back */
		static const char *const headers[] = {
			"id",          "ref",          "period",       "revision",       "confidence",
			"stage",       "narrative",    "spend",        "forecast",       "variance_note",
			"milestones",  "risks",        "submitted_by", "submitted_org",  "submitted_person",
			"on_behalf",   "submitted_at", "review",       "review_comment", "reviewed_by",
			"reviewed_at", "superseded",   "hash",         "prev_hash"};
		struct output_table *t = output_table_new(headers, 24, 0);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__Update *u = us[i];
			const Planreg__V1__UpdateContent *c = u->content ? u->content : &cmd_update_no_content;
			char id[24], ref[16], rev[16], spend[MONEY_FMT_MAX], forecast[MONEY_FMT_MAX];
			snprintf(id, sizeof id, "%lld", (long long)u->id);
			snprintf(ref, sizeof ref, "%d", c->ref);
			snprintf(rev, sizeof rev, "%d", u->revision);
			struct buf ms = {0}, risks = {0};
			cmd_update_milestone_lines(&ms, c);
			cmd_update_risk_lines(&risks, c);
			const char *review = cmd_update_review_word(u);
			const char *cells[] = {id,
					       ref,
					       c->period,
					       rev,
					       values_confidence_name((enum confidence)c->confidence),
					       values_stage_name((enum stage)c->stage),
					       c->narrative,
					       cmd_update_pounds(c->spend_to_date, spend),
					       cmd_update_pounds(c->forecast_total, forecast),
					       c->variance_note,
					       buf_str(&ms),
					       buf_str(&risks),
					       u->submitted_by,
					       u->submitted_org,
					       u->submitted_person,
					       u->on_behalf ? "true" : "false",
					       u->submitted_at,
					       review ? review : "",
					       u->review ? u->review->comment : "",
					       u->review ? u->review->reviewed_by : "",
					       u->review ? u->review->reviewed_at : "",
					       u->superseded ? "true" : "false",
					       u->hash,
					       u->prev_hash};
			output_table_row(t, cells);
			buf_free(&ms);
			buf_free(&risks);
		}
		output_table_print(t, OUTPUT_CSV, stdout);
		output_table_free(t);
		return;
	}
	static const char *const headers[] = {"ID",    "REF",          "PERIOD",       "REV",   "CONFIDENCE",
					      "STAGE", "SUBMITTED BY", "SUBMITTED AT", "REVIEW"};
	struct output_table *t = output_table_new(headers, 9, 0);
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__Update *u = us[i];
		const Planreg__V1__UpdateContent *c = u->content ? u->content : &cmd_update_no_content;
		char id[24], ref[16], rev[32];
		snprintf(id, sizeof id, "%lld", (long long)u->id);
		snprintf(ref, sizeof ref, "%d", c->ref);
		snprintf(rev, sizeof rev, "%d%s", u->revision, u->superseded ? " (superseded)" : "");
		const char *review = cmd_update_review_word(u);
		const char *cells[] = {id,
				       ref,
				       c->period,
				       rev,
				       values_confidence_name((enum confidence)c->confidence),
				       values_stage_name((enum stage)c->stage),
				       u->submitted_by,
				       u->submitted_at,
				       review ? review : "-"};
		output_table_row(t, cells);
	}
	output_table_print(t, OUTPUT_TABLE, stdout);
	output_table_free(t);
}

static int cmd_update_list_call(struct cli *cli, Planreg__V1__ListUpdatesRequest *body, enum output_format fmt)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_UPDATES;
	req.list_updates = body;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListUpdatesResponse *r = resp->list_updates;
	cmd_update_print_list(r ? r->updates : NULL, r ? r->n_updates : 0, fmt);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_update_id_arg(const struct cli_command *cmd, const char *s, int64_t *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < 1)
		return cli_usage(cmd, "\"%s\" is not an update id (a number such as 42)", s);
	*id = v;
	return EXIT_OK;
}

static int cmd_update_period_arg(const struct cli_command *cmd, const char *s, char out[PERIOD_FMT_MAX])
{
	struct period p;
	if (s == NULL)
		return cli_usage(cmd, "--period is required: YYYY-Qn, e.g. 2026-Q3");
	if (!period_parse(s, &p))
		return cli_usage(cmd, "--period \"%s\" is not a reporting period: write YYYY-Qn, e.g. 2026-Q3", s);
	period_format(p, out);
	return EXIT_OK;
}

static int cmd_update_history(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = &cmd_update_commands[2];
	enum output_format fmt;
	int rc = cli_format_options(cmd, argc, argv, 1, "one project reference", true, &fmt);
	if (rc >= 0)
		return rc;
	Planreg__V1__ListUpdatesRequest body = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	rc = cli_ref_arg(cmd, argv[optind], &body.ref);
	if (rc != EXIT_OK)
		return rc;
	return cmd_update_list_call(cli, &body, fmt);
}

static int cmd_update_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"period", required_argument, NULL, 'p'}, {"org", required_argument, NULL, 'o'},
		{"latest", no_argument, NULL, 'l'},       {"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_update_commands[3];
	enum output_format fmt = OUTPUT_TABLE;
	Planreg__V1__ListUpdatesRequest body = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	const char *period = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'p':
			period = optarg;
			break;
		case 'o':
			body.organisation = optarg;
			break;
		case 'l':
			body.latest_only = true;
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	char ps[PERIOD_FMT_MAX];
	int rc = cmd_update_period_arg(cmd, period, ps);
	if (rc != EXIT_OK)
		return rc;
	body.period = ps;
	return cmd_update_list_call(cli, &body, fmt);
}

/* A "key: value" record being built for output_record; the arena owns every string. */
struct cmd_update_record {
	struct arena a;
	const char **pairs; /* key, value, key, value, ... */
	size_t n;
};

static void cmd_update_pair(struct cmd_update_record *r, const char *key, const char *value)
{
	*(const char **)arena_push(&r->a, &r->pairs, &r->n, sizeof(char *)) = key;
	*(const char **)arena_push(&r->a, &r->pairs, &r->n, sizeof(char *)) = value;
}

/* Continuation lines of a record value start under its first line. */
static char *cmd_update_indent(struct arena *a, const char *s, size_t width)
{
	struct buf b = {0};
	for (const char *p = s; *p; p++) {
		buf_putc(&b, *p);
		if (*p == '\n')
			for (size_t i = 0; i < width; i++)
				buf_putc(&b, ' ');
	}
	char *r = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return r;
}

static const char *cmd_update_money_text(struct arena *a, const Planreg__V1__Money *m)
{
	if (m == NULL)
		return "-";
	char mn[MONEY_FMT_MAX];
	money_format(m->pence, mn);
	return arena_strdup(a, mn);
}

static void cmd_update_print_record(const Planreg__V1__Update *u)
{
	const Planreg__V1__UpdateContent *c = u->content ? u->content : &cmd_update_no_content;
	struct cmd_update_record r = {0};
	struct arena *a = &r.a;
	cmd_update_pair(&r, "id", arena_printf(a, "%lld", (long long)u->id));
	cmd_update_pair(&r, "project", arena_printf(a, "%d", c->ref));
	cmd_update_pair(&r, "period", c->period);
	cmd_update_pair(&r, "revision", arena_printf(a, "%d%s", u->revision, u->superseded ? " (superseded)" : ""));
	cmd_update_pair(&r, "confidence", values_confidence_name((enum confidence)c->confidence));
	cmd_update_pair(&r, "stage", values_stage_name((enum stage)c->stage));
	cmd_update_pair(&r, "narrative", c->narrative);
	cmd_update_pair(&r, "spend to date", cmd_update_money_text(a, c->spend_to_date));
	cmd_update_pair(&r, "forecast total", cmd_update_money_text(a, c->forecast_total));
	cmd_update_pair(&r, "variance note", c->variance_note[0] ? c->variance_note : "-");
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		const char *baseline = cmd_update_iso(m->baseline), *forecast = cmd_update_iso(m->forecast),
			   *achieved = cmd_update_iso(m->achieved);
		cmd_update_pair(&r, arena_printf(a, "milestone %zu", i + 1),
				arena_printf(a, "%s: baseline %s%s%s%s%s", m->title, baseline ? baseline : "-",
					     forecast ? ", forecast " : "", forecast ? forecast : "",
					     achieved ? ", achieved " : "", achieved ? achieved : ""));
	}
	if (c->n_milestones == 0)
		cmd_update_pair(&r, "milestones", "none");
	for (size_t i = 0; i < c->n_risks; i++)
		cmd_update_pair(&r, arena_printf(a, "risk %zu", i + 1), c->risks[i]);
	if (c->n_risks == 0)
		cmd_update_pair(&r, "risks", "none");
	cmd_update_pair(&r, "submitted by",
			arena_printf(a, "%s (%s%s%s)%s", u->submitted_by, u->submitted_org,
				     u->submitted_person[0] ? ", " : "", u->submitted_person,
				     u->on_behalf ? " on behalf of the lead organisation" : ""));
	cmd_update_pair(&r, "submitted at", u->submitted_at);
	if (u->review == NULL)
		cmd_update_pair(&r, "review", "none");
	else
		cmd_update_pair(&r, "review",
				arena_printf(a, "%s by %s at %s%s%s", u->review->accepted ? "accepted" : "returned",
					     u->review->reviewed_by, u->review->reviewed_at,
					     u->review->comment[0] ? ": " : "", u->review->comment));
	cmd_update_pair(&r, "hash", u->hash);
	cmd_update_pair(&r, "prev hash", u->prev_hash);
	size_t w = 0;
	for (size_t i = 0; i < r.n; i += 2)
		if (strlen(r.pairs[i]) > w)
			w = strlen(r.pairs[i]);
	for (size_t i = 1; i < r.n; i += 2)
		if (strchr(r.pairs[i], '\n'))
			r.pairs[i] = cmd_update_indent(a, r.pairs[i], w + 2); /* output_record pads keys to w + 1 */
	*(const char **)arena_push(a, &r.pairs, &r.n, sizeof(char *)) = NULL;
	output_record(stdout, r.pairs);
	arena_free(a);
}

static int cmd_update_show(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = &cmd_update_commands[4];
	enum output_format fmt;
	int rc = cli_format_options(cmd, argc, argv, 1, "one update id", false, &fmt);
	if (rc >= 0)
		return rc;
	Planreg__V1__GetUpdateRequest body = PLANREG__V1__GET_UPDATE_REQUEST__INIT;
	rc = cmd_update_id_arg(cmd, argv[optind], &body.id);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_UPDATE;
	req.get_update = &body;
	Planreg__V1__Response *resp;
	rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Update *u = resp->get_update ? resp->get_update->update : NULL;
	if (u == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no update");
	}
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		cmd_update_json(&j, u->content, u);
		output_json_done(&b, stdout);
	} else {
		cmd_update_print_record(u);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- template */

static void cmd_update_print_template(Planreg__V1__TemplateRow **rows, size_t n, const char *period,
				      enum output_format fmt)
{
	static const Planreg__V1__Project no_project = PLANREG__V1__PROJECT__INIT;
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__Project *p = rows[i]->project ? rows[i]->project : &no_project;
			json_object_begin(&j);
			json_kv_int(&j, "ref", p->ref);
			json_kv_str(&j, "title", p->title);
			json_key(&j, "plan_cost");
			cli_cost_json(&j, p->cost);
			json_key(&j, "latest");
			if (rows[i]->latest)
				cmd_update_json(&j, rows[i]->latest, NULL);
			else
				json_null(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		output_json_done(&b, stdout);
		return;
	}
	if (fmt == OUTPUT_CSV) {
		/* exactly the submit columns, plus title, plan_cost and last_period, which --csv ignores */
		static const char *const headers[] = {
			"ref",   "title",    "plan_cost",     "period",     "confidence", "stage",      "narrative",
			"spend", "forecast", "variance_note", "milestones", "risks",      "last_period"};
		struct output_table *t = output_table_new(headers, 13, 0);
		for (size_t i = 0; i < n; i++) {
			const Planreg__V1__Project *p = rows[i]->project ? rows[i]->project : &no_project;
			const Planreg__V1__UpdateContent *l = rows[i]->latest;
			char ref[16], spend[MONEY_FMT_MAX] = "", forecast[MONEY_FMT_MAX] = "";
			snprintf(ref, sizeof ref, "%d", p->ref);
			struct buf ms = {0}, risks = {0};
			if (l) {
				cmd_update_pounds(l->spend_to_date, spend);
				cmd_update_pounds(l->forecast_total, forecast);
				cmd_update_milestone_lines(&ms, l);
				cmd_update_risk_lines(&risks, l);
			}
			const char *cells[] = {ref,
					       p->title,
					       p->cost ? p->cost->text : "",
					       period,
					       l ? values_confidence_name((enum confidence)l->confidence) : "",
					       values_stage_name((enum stage)(l ? l->stage : p->stage)),
					       l ? l->narrative : "",
					       spend,
					       forecast,
					       l ? l->variance_note : "",
					       buf_str(&ms),
					       buf_str(&risks),
					       l ? l->period : ""};
			output_table_row(t, cells);
			buf_free(&ms);
			buf_free(&risks);
		}
		output_table_print(t, OUTPUT_CSV, stdout);
		output_table_free(t);
		return;
	}
	static const char *const headers[] = {"REF", "LAST PERIOD", "CONFIDENCE", "STAGE", "TITLE"};
	struct output_table *t = output_table_new(headers, 5, 1u << 4);
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__Project *p = rows[i]->project ? rows[i]->project : &no_project;
		const Planreg__V1__UpdateContent *l = rows[i]->latest;
		char ref[16];
		snprintf(ref, sizeof ref, "%d", p->ref);
		const char *cells[] = {ref, l ? l->period : "-",
				       l ? values_confidence_name((enum confidence)l->confidence) : "-",
				       values_stage_name((enum stage)(l ? l->stage : p->stage)), p->title};
		output_table_row(t, cells);
	}
	output_table_print(t, OUTPUT_TABLE, stdout);
	output_table_free(t);
}

static int cmd_update_template(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"period", required_argument, NULL, 'p'},
					     {"org", required_argument, NULL, 'o'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_update_commands[1];
	enum output_format fmt = OUTPUT_TABLE;
	Planreg__V1__UpdateTemplateRequest body = PLANREG__V1__UPDATE_TEMPLATE_REQUEST__INIT;
	const char *period = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'p':
			period = optarg;
			break;
		case 'o':
			body.organisation = optarg;
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	char ps[PERIOD_FMT_MAX];
	int rc = cmd_update_period_arg(cmd, period, ps);
	if (rc != EXIT_OK)
		return rc;
	body.period = ps;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE;
	req.update_template = &body;
	Planreg__V1__Response *resp;
	rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__UpdateTemplateResponse *r = resp->update_template;
	cmd_update_print_template(r ? r->rows : NULL, r ? r->n_rows : 0, ps, fmt);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- review */

static int cmd_update_review(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"accept", no_argument, NULL, 'a'},
					     {"return", required_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_update_commands[5];
	bool accept = false;
	const char *comment = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'a':
			accept = true;
			break;
		case 'r':
			comment = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "give one update id");
	if (accept == (comment != NULL))
		return cli_usage(cmd, "give exactly one of --accept and --return COMMENT");
	Planreg__V1__ReviewUpdateRequest body = PLANREG__V1__REVIEW_UPDATE_REQUEST__INIT;
	int rc = cmd_update_id_arg(cmd, argv[optind], &body.id);
	if (rc != EXIT_OK)
		return rc;
	body.accept = accept;
	body.comment = (char *)(comment ? comment : "");
	/* one key per invocation: a retry after a broken connection records the review once */
	char key[CMD_UPDATE_KEY_MAX];
	if (!cmd_update_random_key(key))
		return cli_fail(EXIT_REFUSED, "cannot make a random idempotency key for the review");
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE;
	req.review_update = &body;
	req.idempotency_key = key;
	Planreg__V1__Response *resp;
	bool retried;
	rc = cmd_update_send(cli, &req, false, &resp, &retried);
	if (rc != EXIT_OK)
		return rc;
	if (accept)
		printf("accepted update %lld\n", (long long)body.id);
	else
		printf("returned update %lld: %s\n", (long long)body.id, comment);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_update_commands[] = {
	{"update", "submit", cmd_update_submit,
	 "(REF --period P --confidence C --stage S (--narrative TEXT | --narrative-file F) [--spend M] "
	 "[--forecast M] [--variance-note TEXT] [--milestone \"TITLE|BASELINE|FORECAST|ACHIEVED\"]... [--risk TEXT]... "
	 "[--idempotency-key K] | --csv FILE) [--format table|json]",
	 "submit a quarterly progress update, or a batch from CSV", cmd_update_submit_help},
	{"update", "template", cmd_update_template, "--period P [--org CODE] [--format table|csv|json]",
	 "your projects, pre-filled from their latest updates, to fill in (CSV)", cmd_update_template_help},
	{"update", "history", cmd_update_history, "REF [--format table|csv|json]", "every update of one project",
	 cmd_update_history_help},
	{"update", "list", cmd_update_list, "--period P [--org CODE] [--latest] [--format table|csv|json]",
	 "the updates for a period", cmd_update_list_help},
	{"update", "show", cmd_update_show, "ID [--format table|json]", "show one update", cmd_update_show_help},
	{"update", "review", cmd_update_review, "ID (--accept | --return COMMENT)",
	 "accept an update or return it with a comment (admin)", cmd_update_review_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
