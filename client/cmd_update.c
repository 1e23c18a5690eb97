/* cmd_update.c - `planreg update submit|template|history|list|show|review`:
 * the verbs of quarterly progress updates, and the transport that resends a
 * request once, with the same idempotency key, after a broken connection. The
 * input is read in cmd_update_input.c, a CSV batch sent by cmd_update_batch.c,
 * and updates shown by cmd_update_print.c. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_options.h"
#include "cmd_update.h"
#include "json.h"
#include "period.h"
#include "receipt.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

#define CMD_UPDATE_NARRATIVE_MAX_BYTES (1024 * 1024)

static const char cmd_update_submit_help[] =
	"Submits one quarterly progress update for project REF, or every row of a CSV\n"
	"file. A later submission for the same project and period is a new revision\n"
	"that supersedes the earlier one; the history keeps both. Content exactly like\n"
	"the current revision's is \"unchanged (update N)\" and writes nothing.\n"
	"--period, --confidence, --stage and a narrative (--narrative or\n"
	"--narrative-file) are required with REF.\n"
	"Amounts are written " CMD_UPDATE_MONEY_SPELLINGS ".\n"
	"A milestone is \"TITLE|BASELINE|FORECAST|ACHIEVED\", dates YYYY-MM-DD; FORECAST\n"
	"or ACHIEVED may be empty. A risk is one line. Without --idempotency-key a new\n"
	"random key is used.\n\n"
	"With --amend the project's current revision for --period is the starting point\n"
	"and only what you give changes: every other field, milestone and risk stays as\n"
	"it is. A --milestone replaces the milestone of the same title (case aside) or\n"
	"is added after the others; --drop-milestone TITLE removes one. A --risk is added\n"
	"unless it is already listed; --drop-risk TEXT removes one. The server refuses\n"
	"the amend if another revision was submitted after the one it started from.\n\n"
	"With --csv the first row names the columns, in any order and any case: ref,\n"
	"period, confidence, stage and narrative are required; spend, forecast,\n"
	"variance_note, milestones (one TITLE|BASELINE|FORECAST|ACHIEVED per line) and\n"
	"risks (one per line) are optional; other columns are ignored, so the CSV of\n"
	"`planreg update template` can be filled in and sent back. Blank rows are\n"
	"skipped; rows are numbered as a spreadsheet numbers them (the header is row 1).\n"
	"Each row is compared with the project's current revision for its period: the\n"
	"same content is \"unchanged\" and writes nothing, different content is a new\n"
	"revision (even if an older revision once said the same). A bad row does not\n"
	"stop the others. Exit code 0 when no row was refused or invalid, 1 otherwise.\n";
static const char cmd_update_template_help[] =
	"Lists the projects your organisation leads (an admin may name another with\n"
	"--org) as the form of the quarter's returns. A project that has a return for\n"
	"--period is filled in from its current revision, with that revision's review\n"
	"(accepted, returned or not_reviewed) and the reviewer's comment; sent back as\n"
	"it is, such a row is unchanged. A project without one is filled in from its\n"
	"latest earlier quarter's current revision (last_period says which) but for the\n"
	"narrative, which is left for you to write: a row sent back without one is not\n"
	"submitted, so nothing stale goes in as this quarter's return.\n\n"
	"On a terminal it is a table; otherwise CSV (`planreg update template --period\n"
	"2026-Q3 > q3.csv`), the input of `planreg update submit --csv` once edited,\n"
	"which ignores the title, plan_cost, last_period, review and review_comment\n"
	"columns. --format chooses either way.\n";
static const char cmd_update_review_help[] =
	"Records the Combined Authority's review of an update (admin only). A returned\n"
	"update counts as outstanding until a new revision arrives. --assurance sets the\n"
	"Combined Authority's own rating of the return (with --rationale, required),\n"
	"shown beside the lead body's in status, diff, exports and the board report; on a\n"
	"three-point deployment it is green, amber or red.\n";

/* After a connection broke with the request sent, it goes again with the same key: at once, then
 * after these pauses while connecting fails too (a daemon killed under a balancer can still take the
 * first resend's connection before its socket is gone; the balancer needs a moment to mark it down). */
static const int cmd_update_resend_pause_ms[] = {0, 300, 1000};

int cmd_update_send(struct cli *cli, Planreg__V1__Request *req, bool quiet, Planreg__V1__Response **resp, bool *retried)
{
	*retried = false;
	*resp = NULL;
	int rc = quiet ? cli_call_quiet(cli, req, resp) : cli_call(cli, req, resp);
	if (rc != EXIT_CONNECT || !cli->broke_after_send)
		return rc;
	size_t n = sizeof cmd_update_resend_pause_ms / sizeof cmd_update_resend_pause_ms[0];
	/* a refusal (a revoked credential, say) is not the connection's fault: it is not tried again */
	for (size_t i = 0; i < n && rc == EXIT_CONNECT && cli->transport_failed; i++) {
		int ms = cmd_update_resend_pause_ms[i];
		if (ms > 0) {
			struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
			nanosleep(&pause, NULL);
		}
		if (i == 0)
			fprintf(stderr, "planreg: sending it again with the same idempotency key\n");
		else
			fprintf(stderr,
				"planreg: sending it again with the same idempotency key (attempt %zu of %zu)\n", i + 1,
				n);
		*retried = true;
		rc = quiet ? cli_call_quiet(cli, req, resp) : cli_call(cli, req, resp);
	}
	return rc;
}

/* ---------------------------------------------------------------- submit */

/* The id of the indicator named name in l; 0 when there is none. */
static int64_t cmd_update_indicator_named(const Planreg__V1__ListIndicatorsResponse *l, const char *name)
{
	for (size_t i = 0; i < l->n_indicators; i++)
		if (strcmp(l->indicators[i]->name, name) == 0)
			return l->indicators[i]->id;
	return 0;
}

int cmd_update_resolve_actuals(struct cli *cli, const Planreg__V1__UpdateContent *c)
{
	bool named = false;
	for (size_t i = 0; i < c->n_actuals; i++)
		named = named || c->actuals[i]->indicator_id == 0;
	if (!named)
		return EXIT_OK;
	Planreg__V1__ListIndicatorsRequest body = PLANREG__V1__LIST_INDICATORS_REQUEST__INIT;
	body.ref = c->ref;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_INDICATORS, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListIndicatorsResponse *l = resp->list_indicators;
	for (size_t i = 0; rc == EXIT_OK && l && i < c->n_actuals; i++) {
		Planreg__V1__Actual *act = c->actuals[i];
		if (act->indicator_id)
			continue;
		act->indicator_id = cmd_update_indicator_named(l, act->name);
		if (act->indicator_id == 0)
			rc = cli_fail(EXIT_USAGE,
				      "project %d has no indicator named \"%s\" (`planreg indicator list --project %d` "
				      "shows its indicators; give the id or the exact name)",
				      c->ref, act->name, c->ref);
		act->name = (char *)""; /* answered, not sent: the id is what the return records */
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

int cmd_update_submit_content(struct cli *cli, const Planreg__V1__UpdateContent *c, int64_t amends, const char *key,
			      enum output_format fmt)
{
	int rc0 = cmd_update_resolve_actuals(cli, c);
	if (rc0 != EXIT_OK)
		return rc0;
	Planreg__V1__SubmitUpdateRequest body = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	body.content = (Planreg__V1__UpdateContent *)c;
	body.amends_update_id = amends;
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, &body, key);
	Planreg__V1__Response *resp;
	bool retried;
	int rc = cmd_update_send(cli, &req, false, &resp, &retried);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__SubmitUpdateResponse *r = resp->submit_update;
	if (r == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no body; nothing was shown");
	}
	/* a replay of our own retry is this submission going in, not an earlier one */
	cmd_update_print_receipt(c, r, r->replayed && !retried, amends, fmt);
	rc = receipt_keep(cli, "update", r->update_id, r->receipt);
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* What submit was given besides the content. */
struct cmd_update_submit_args {
	struct cmd_update_input in;
	const char *narrative_file, *key, *csv_path;
	bool content_options;
	bool amend;                    /* --amend: start from the current revision */
	struct cmd_update_amend drops; /* --drop-milestone, --drop-risk */
	struct arena a;
};

/* The options of submit that each give one text, and where it goes (offsets in struct cmd_update_submit_args). */
static const struct {
	int key;
	size_t offset;
} cmd_update_submit_texts[] = {
	{CLI_KEY_PERIOD, offsetof(struct cmd_update_submit_args, in.period)},
	{CLI_KEY_CONFIDENCE, offsetof(struct cmd_update_submit_args, in.confidence)},
	{CLI_KEY_STAGE, offsetof(struct cmd_update_submit_args, in.stage)},
	{'n', offsetof(struct cmd_update_submit_args, in.narrative)},
	{'S', offsetof(struct cmd_update_submit_args, in.spend)},
	{'F', offsetof(struct cmd_update_submit_args, in.forecast)},
	{'v', offsetof(struct cmd_update_submit_args, in.variance_note)},
	{'N', offsetof(struct cmd_update_submit_args, narrative_file)},
	{'k', offsetof(struct cmd_update_submit_args, key)},
	{'C', offsetof(struct cmd_update_submit_args, csv_path)},
};

/* One option of submit into s: a text, or one more milestone or risk. */
static void cmd_update_submit_option(struct cmd_update_submit_args *s, int ch)
{
	struct cmd_update_input *in = &s->in;
	s->content_options = s->content_options || ch != 'C';
	for (size_t i = 0; i < sizeof cmd_update_submit_texts / sizeof cmd_update_submit_texts[0]; i++)
		if (cmd_update_submit_texts[i].key == ch) {
			*(const char **)((char *)s + cmd_update_submit_texts[i].offset) = optarg;
			return;
		}
	struct cmd_update_amend *d = &s->drops;
	if (ch == 'm')
		*(char **)arena_push(&s->a, &in->milestones, &in->n_milestones, sizeof(char *)) = optarg;
	else if (ch == 'r')
		*(char **)arena_push(&s->a, &in->risks, &in->n_risks, sizeof(char *)) = optarg;
	else if (ch == 'A')
		*(char **)arena_push(&s->a, &in->actuals, &in->n_actuals, sizeof(char *)) = optarg;
	else if (ch == 'M')
		*(char **)arena_push(&s->a, &d->drop_milestones, &d->n_drop_milestones, sizeof(char *)) = optarg;
	else if (ch == 'R')
		*(char **)arena_push(&s->a, &d->drop_risks, &d->n_drop_risks, sizeof(char *)) = optarg;
	else if (ch == 'a')
		s->amend = true;
}

/* What only an amend may be given, or must not be; EXIT_OK when nothing is wrong. */
static int cmd_update_submit_check_amend(const struct cli_command *self, const struct cmd_update_submit_args *s)
{
	if (!s->amend && (s->drops.n_drop_milestones || s->drops.n_drop_risks))
		return cli_usage(self,
				 "%s removes from the current revision, so it needs --amend (without --amend "
				 "the milestones and risks given are the whole lists)",
				 s->drops.n_drop_milestones ? "--drop-milestone" : "--drop-risk");
	if (s->amend && s->in.narrative && s->narrative_file)
		return cli_usage(self, "give the narrative with either --narrative TEXT or --narrative-file FILE");
	for (size_t i = 0; i < s->drops.n_drop_milestones; i++)
		if (text_is_blank(s->drops.drop_milestones[i]))
			return cli_usage(self, "--drop-milestone is empty: give the title of the milestone to remove");
	for (size_t i = 0; i < s->drops.n_drop_risks; i++)
		if (text_is_blank(s->drops.drop_risks[i]))
			return cli_usage(self, "--drop-risk is empty: give the risk to remove as it is written");
	return EXIT_OK;
}

/* What is missing or wrong among the options of a single submission; EXIT_OK when nothing. */
static int cmd_update_submit_check(const struct cli_command *self, const struct cmd_update_submit_args *s, int nargs)
{
	const struct cmd_update_input *in = &s->in;
	if (nargs != 1)
		return cli_usage(self, nargs == 0 ? "give the project reference (REF), or --csv FILE"
						  : "give one project reference (REF)");
	if (in->period == NULL)
		return cli_usage(self, "--period is required: the quarter reported on, as 2026-Q3 or FY2026/27-Q3");
	int rc = cmd_update_submit_check_amend(self, s);
	if (rc != EXIT_OK || s->amend)
		return rc;
	if (in->confidence == NULL)
		return cli_usage(self,
				 "--confidence is required: one of %s (or --amend, to change only what you give "
				 "in the current return for %s)",
				 values_confidence_names(), in->period);
	if (in->stage == NULL)
		return cli_usage(self,
				 "--stage is required: one of %s (or --amend, to change only what you give in "
				 "the current return for %s)",
				 values_stage_names(), in->period);
	if ((in->narrative == NULL) == (s->narrative_file == NULL))
		return cli_usage(self, "give the narrative with either --narrative TEXT or --narrative-file FILE");
	return EXIT_OK;
}

/* What is wrong with the options' values, whether or not it is an amend; EXIT_OK when nothing. */
static int cmd_update_submit_check_values(const struct cli_command *self, const struct cmd_update_submit_args *s)
{
	if (s->key && (s->key[0] == '\0' || strlen(s->key) > CMD_UPDATE_KEY_LIMIT))
		return cli_usage(self, "--idempotency-key takes 1 to %d characters", CMD_UPDATE_KEY_LIMIT);
	char *empty = cmd_update_input_empty_option(&s->in);
	int rc = empty ? cli_usage(self, "%s", empty) : EXIT_OK;
	free(empty);
	return rc;
}

/* --narrative-file FILE ("-": standard input) into s->in.narrative; EXIT_OK or EXIT_USAGE after saying why. */
static int cmd_update_submit_narrative(struct cmd_update_submit_args *s)
{
	if (s->narrative_file == NULL)
		return EXIT_OK;
	size_t len = 0;
	char *err = NULL;
	char *text = file_read(s->narrative_file, CMD_UPDATE_NARRATIVE_MAX_BYTES, &len, &err);
	if (text && !text_utf8_valid(text, len, NULL)) {
		free(text);
		text = NULL;
		err = xasprintf("%s is not UTF-8 text", s->narrative_file);
	}
	if (text == NULL) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	s->in.narrative = arena_strndup(&s->a, text, len);
	free(text);
	return EXIT_OK;
}

/* A single submission from the options (or an amend of the current revision): read, keyed, sent. */
static int cmd_update_submit_single(struct cli *cli, const struct cli_command *self, struct cmd_update_submit_args *s,
				    enum output_format fmt)
{
	char random_key[CMD_UPDATE_KEY_MAX];
	const char *key = s->key;
	if (key == NULL) {
		if (!cmd_update_input_random_key(random_key))
			return cli_fail(EXIT_USAGE,
					"cannot make a random idempotency key; give one with --idempotency-key");
		key = random_key;
	}
	if (s->amend)
		return cmd_update_amend_run(cli, self, &s->a, &s->in, &s->drops, key, fmt);
	char *err = NULL;
	Planreg__V1__UpdateContent c = PLANREG__V1__UPDATE_CONTENT__INIT;
	if (!cmd_update_input_read(&s->a, &s->in, &c, &err)) {
		int rc = cli_usage(self, "%s", err);
		free(err);
		return rc;
	}
	return cmd_update_submit_content(cli, &c, 0, key, fmt);
}

static int cmd_update_submit_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cmd_update_submit_args s = {.in = {.from_options = true}};
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		cmd_update_submit_option(&s, ch);
	int rc = ch < 0 ? g.rc : EXIT_OK;
	if (ch < 0) {
		/* --help or a usage error, printed */
	} else if (s.csv_path) {
		if (s.content_options || g.nargs > 0)
			rc = cli_usage(self, "--csv FILE takes everything from the file: give no REF and no other "
					     "option but --format");
		else
			rc = cmd_update_batch_run(cli, s.csv_path, g.format);
	} else if ((rc = cmd_update_submit_check(self, &s, g.nargs)) == EXIT_OK &&
		   (rc = cmd_update_submit_check_values(self, &s)) == EXIT_OK &&
		   (rc = cmd_update_submit_narrative(&s)) == EXIT_OK) {
		s.in.ref = g.args[0];
		rc = cmd_update_submit_single(cli, self, &s, g.format);
	}
	arena_free(&s.a);
	return rc;
}

/* ---------------------------------------------------------------- listing and showing */

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

bool cmd_update_list_next(void *body, const void *answer)
{
	Planreg__V1__ListUpdatesRequest *q = body;
	const Planreg__V1__ListUpdatesResponse *l = answer;
	q->page_token = l->next_page_token; /* held by its page until the listing is printed */
	return l->next_page_token[0] != '\0';
}

/* Every page of the listing asked for by body, printed as one; period (or NULL) is the quarter the heading
 * names. */
static int cmd_update_listing(struct cli *cli, Planreg__V1__ListUpdatesRequest *body, const char *period,
			      enum output_format fmt)
{
	return cli_listing_pages(cli, PLANREG__V1__REQUEST__BODY_LIST_UPDATES, body, "updates", cmd_update_list_next,
				 &cmd_update_print_listing, period, fmt);
}

static int cmd_update_history_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListUpdatesRequest body = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	body.plan = (char *)(cli_getopt_value(&g, CLI_KEY_PLAN) ? cli_getopt_value(&g, CLI_KEY_PLAN) : "");
	int rc = cli_ref_arg(self, g.args[0], &body.ref);
	if (rc != EXIT_OK)
		return rc;
	return cmd_update_listing(cli, &body, NULL, g.format);
}

/* What update list and update template cover: --period (required, normalised into ps) and --org, into the
 * request's fields. */
static int cmd_update_scope(const struct cli_command *self, const struct cli_getopt *g, char ps[PERIOD_FMT_MAX],
			    char **period, char **org)
{
	int rc = cli_options_period_required(self, "--period", cli_getopt_value(g, CLI_KEY_PERIOD), ps);
	*period = ps;
	if (cli_getopt_value(g, CLI_KEY_ORG))
		*org = (char *)cli_getopt_value(g, CLI_KEY_ORG);
	return rc;
}

static int cmd_update_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListUpdatesRequest body = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	char ps[PERIOD_FMT_MAX];
	if (cmd_update_scope(self, &g, ps, &body.period, &body.organisation) != EXIT_OK)
		return EXIT_USAGE;
	body.latest_only = cli_getopt_value(&g, 'l') != NULL;
	body.plan = (char *)(cli_getopt_value(&g, CLI_KEY_PLAN) ? cli_getopt_value(&g, CLI_KEY_PLAN) : "");
	return cmd_update_listing(cli, &body, ps, g.format);
}

static int cmd_update_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__GetUpdateRequest body = PLANREG__V1__GET_UPDATE_REQUEST__INIT;
	int rc = cmd_update_id_arg(self, g.args[0], &body.id);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_UPDATE, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Update *u = resp->get_update->update;
	if (u == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no update");
	}
	if (g.format == OUTPUT_JSON) {
		struct cli_json doc;
		cmd_update_print_shown_json(cli_json_begin(&doc), u);
		cli_json_end(&doc);
	} else {
		cmd_update_print_record(u);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* The next page of the template (the server fills each up to its frame limit) starts after its last project. */
static bool cmd_update_template_next(void *body, const void *answer)
{
	Planreg__V1__UpdateTemplateRequest *q = body;
	const Planreg__V1__UpdateTemplateResponse *t = answer;
	if (t->next_after_ref <= q->after_ref)
		return false;
	q->after_ref = t->next_after_ref;
	return true;
}

static int cmd_update_template_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__UpdateTemplateRequest body = PLANREG__V1__UPDATE_TEMPLATE_REQUEST__INIT;
	char ps[PERIOD_FMT_MAX];
	if (cmd_update_scope(self, &g, ps, &body.period, &body.organisation) != EXIT_OK)
		return EXIT_USAGE;
	/* a form to fill in: `update template --period P > P.csv` gives the file submit --csv reads */
	enum output_format fmt = g.format_given || cli->stdout_tty ? g.format : OUTPUT_CSV;
	return cli_listing_pages(cli, PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE, &body, "rows",
				 cmd_update_template_next, &cmd_update_print_template_listing, ps, fmt);
}

/* ---------------------------------------------------------------- review */

static int cmd_update_review_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	bool accept = cli_getopt_value(&g, 'a') != NULL;
	const char *comment = cli_getopt_value(&g, 'r');
	if (accept == (comment != NULL))
		return cli_usage(self, "give exactly one of --accept and --return COMMENT");
	Planreg__V1__ReviewUpdateRequest body = PLANREG__V1__REVIEW_UPDATE_REQUEST__INIT;
	int rc = cmd_update_id_arg(self, g.args[0], &body.id);
	if (rc != EXIT_OK)
		return rc;
	body.accept = accept;
	body.comment = (char *)(comment ? comment : "");
	const char *rating = cli_getopt_value(&g, 'A'), *rationale = cli_getopt_value(&g, 'T');
	if (rating != NULL) {
		enum confidence c;
		if (!values_confidence_parse(rating, &c))
			return cli_usage(self, "--assurance must be one of %s, not \"%s\"", values_confidence_names(),
					 rating);
		body.assurance = (Planreg__V1__Confidence)c;
	}
	if (rationale != NULL && rating == NULL)
		return cli_usage(self, "--rationale goes with --assurance RATING");
	body.assurance_rationale = (char *)(rationale ? rationale : "");
	/* one key per invocation: a retry after a broken connection records the review once */
	char key[CMD_UPDATE_KEY_MAX];
	if (!cmd_update_input_random_key(key))
		return cli_fail(EXIT_REFUSED, "cannot make a random idempotency key for the review");
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE, &body, key);
	Planreg__V1__Response *resp;
	bool retried;
	rc = cmd_update_send(cli, &req, false, &resp, &retried);
	if (rc != EXIT_OK)
		return rc;
	if (resp->review_update == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no body; nothing was shown");
	}
	if (accept)
		printf("accepted update %lld\n", (long long)body.id);
	else
		printf("returned update %lld: %s\n", (long long)body.id, comment);
	const Planreg__V1__Assurance *a = resp->review_update->assurance;
	if (a)
		printf("the Combined Authority's rating: %s (%s)\n", values_confidence_name((enum confidence)a->rating),
		       a->rationale);
	const Planreg__V1__ReviewUpdateResponse *rv = resp->review_update;
	if (rv->receipt)
		printf("leaf %llu in the log\n", (unsigned long long)rv->receipt->leaf_index);
	rc = receipt_keep(cli, "review", rv->review_id, rv->receipt);
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* ---------------------------------------------------------------- the commands */

static const struct cli_option cmd_update_submit_options[] = {
	{CLI_OPTION_PERIOD},
	{CLI_OPTION_CONFIDENCE},
	{CLI_OPTION_STAGE},
	{.name = "narrative", .key = 'n', .arg = "TEXT", .help = "what happened this quarter"},
	{.name = "narrative-file",
	 .key = 'N',
	 .arg = "FILE",
	 .help = "read the narrative from FILE ('-' is standard input)",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "spend", .key = 'S', .arg = "AMOUNT", .help = "spend to date"},
	{.name = "forecast", .key = 'F', .arg = "AMOUNT", .help = "forecast total cost"},
	{.name = "variance-note",
	 .key = 'v',
	 .arg = "TEXT",
	 .help = "why the forecast differs from the plan's cost (required by the server beyond 5%)"},
	{.name = "milestone",
	 .key = 'm',
	 .arg = "\"TITLE|BASELINE|FORECAST|ACHIEVED\"",
	 .help = "a milestone; repeat for more, in order",
	 .repeatable = true},
	{.name = "risk", .key = 'r', .arg = "TEXT", .help = "a risk; repeat for more", .repeatable = true},
	{.name = "actual",
	 .key = 'A',
	 .arg = "INDICATOR=N",
	 .help = "the actual of one of the project's indicators (its id or exact name), \"|NOTE\" after it for a "
		 "note; repeat for more",
	 .repeatable = true},
	{.name = "amend",
	 .key = 'a',
	 .help = "start from the current revision for --period and change only what is given"},
	{.name = "drop-milestone",
	 .key = 'M',
	 .arg = "TITLE",
	 .help = "with --amend: remove the milestone of this title; repeat for more",
	 .repeatable = true},
	{.name = "drop-risk",
	 .key = 'R',
	 .arg = "TEXT",
	 .help = "with --amend: remove this risk; repeat for more",
	 .repeatable = true},
	{.name = "idempotency-key",
	 .key = 'k',
	 .arg = "KEY",
	 .help = "this submission's key; a submission repeated with the same key changes nothing"},
	{.name = "csv",
	 .key = 'C',
	 .arg = "FILE",
	 .help = "submit every row of FILE instead ('-' is standard input)",
	 .complete = CLI_COMPLETE_FILE},
	{0},
};

const struct cli_command cmd_update_submit = {
	.noun = "update",
	.verb = "submit",
	.args = "[REF]",
	.min_args = 0,
	.max_args = 1,
	.args_what = "one project reference (REF)",
	.options = cmd_update_submit_options,
	.formats = CLI_FMT_RECORD,
	.summary = "submit a quarterly progress update, or a batch from CSV",
	.help = cmd_update_submit_help,
	.run = cmd_update_submit_run,
};

static const struct cli_option cmd_update_template_options[] = {
	{CLI_OPTION_PERIOD, .required = true},
	{CLI_OPTION_ORG, .when_absent = "your own; another only for an admin"},
	{0},
};

const struct cli_command cmd_update_template = {
	.noun = "update",
	.verb = "template",
	.options = cmd_update_template_options,
	.formats = CLI_FMT_LISTING,
	.format_default = "table on a terminal, else csv",
	.summary = "your projects' returns for a quarter, as a form to fill in",
	.help = cmd_update_template_help,
	.run = cmd_update_template_run,
};

static const struct cli_option cmd_update_history_options[] = {
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_update_history = {
	.noun = "update",
	.verb = "history",
	.options = cmd_update_history_options,
	.args = "REF",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one project reference",
	.formats = CLI_FMT_LISTING,
	.summary = "every update of one project",
	.help = "Lists every revision of every update of project REF, including those made for it in earlier\n"
		"editions of the plan (under the ref it had then).\n",
	.run = cmd_update_history_run,
};

static const struct cli_option cmd_update_list_options[] = {
	{CLI_OPTION_PERIOD, .required = true},
	{CLI_OPTION_ORG, .when_absent = "every organisation's"},
	{.name = "latest", .key = 'l', .help = "only the latest revision per project"},
	{CLI_OPTION_PLAN},
	{0},
};

const struct cli_command cmd_update_list = {
	.noun = "update",
	.verb = "list",
	.options = cmd_update_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "the updates for a period",
	.help = "Lists the updates for a period.\n",
	.run = cmd_update_list_run,
};

const struct cli_command cmd_update_show = {
	.noun = "update",
	.verb = "show",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one update id",
	.formats = CLI_FMT_RECORD,
	.summary = "show one update",
	.run = cmd_update_show_run,
};

static const struct cli_option cmd_update_review_options[] = {
	{.name = "accept", .key = 'a', .help = "accept the update"},
	{.name = "return", .key = 'r', .arg = "COMMENT", .help = "return it, saying what to change"},
	{.name = "assurance",
	 .key = 'A',
	 .arg = "RATING",
	 .help = "the Combined Authority's own rating: green, amber_green, amber, amber_red or red",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = CLI_CONFIDENCE_CHOICES},
	{.name = "rationale", .key = 'T', .arg = "TEXT", .help = "why the Combined Authority rates it so"},
	{0},
};

const struct cli_command cmd_update_review = {
	.noun = "update",
	.verb = "review",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one update id",
	.options = cmd_update_review_options,
	.summary = "accept an update or return it with a comment (admin)",
	.help = cmd_update_review_help,
	.run = cmd_update_review_run,
};
