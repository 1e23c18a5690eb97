/* cmd_query.c - `planreg query raise|answer|reply|close|list|show`: the Combined Authority's queries on one
 * section of a return (docs/assurance.md, "Queries"). The CA raises one with a comment and an answer-by
 * date, without returning the return; the lead body answers in its thread (a comment, a later revision,
 * or both); the CA replies or closes it. */
#include "cmd_query.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "cli_options.h"
#include "cmd_update.h"
#include "json.h"

static const char cmd_query_raise_help[] =
	"Asks the lead body about one section of a return, without returning it: the\n"
	"return stays current, as it was. --section is one of\n"
	"  spend, forecast, variance, narrative, confidence, stage,\n"
	"  milestone:N, risk:N (N from 1, in the return's order),\n"
	"  actual:ID (an indicator's actual, by the indicator's id).\n"
	"The query is open until the lead body answers; open past its --answer-by\n"
	"date, it is overdue: in `status outstanding`, the reminders and the board report.\n";

static const char cmd_query_answer_help[] =
	"The lead body's answer, in the query's thread: a comment, a later revision of\n"
	"the queried return (--revision UPDATE_ID, submitted first with `update submit\n"
	"--amend`), or both. A submitter of a lead organisation of the project answers.\n";

/* ---------------------------------------------------------------- printing */

/* A query's own keys (docs/json.md): the CSV columns of `query list`, the JSON object's keys before "entries". */
static const char *const cmd_query_keys[] = {
	"id",        "update_id", "ref",     "title",     "period",    "revision",  "section",       "comment",
	"answer_by", "state",     "overdue", "raised_by", "raised_at", "lead_orgs", "entries_count", "last_at"};

static void cmd_query_row(struct output_rows *rows, const Planreg__V1__Query *q)
{
	output_rows_begin(rows);
	output_rows_fields(rows, &q->base, "id update_id ref title");
	output_rows_str(rows, "period", cli_period_name(q->period));
	output_rows_fields(rows, &q->base, "revision section comment answer_by state overdue raised_by raised_at");
	output_rows_list(rows, "lead_orgs", q->lead_orgs, q->n_lead_orgs, ";");
	output_rows_fields(rows, &q->base, "entries_count last_at");
}

static void cmd_query_entry_json(struct json *j, const Planreg__V1__QueryEntry *e)
{
	struct output_rows *rows = output_rows_new();
	output_rows_begin(rows);
	output_rows_fields(rows, &e->base, "id kind");
	output_rows_text(rows, "comment", e->comment);
	if (e->revision_id)
		output_rows_int(rows, "revision_id", e->revision_id);
	else
		output_rows_null(rows, "revision_id");
	output_rows_fields(rows, &e->base, "by organisation person at");
	output_rows_json_object(rows, 0, j);
	output_rows_free(rows);
}

void cmd_query_json(struct json *j, const Planreg__V1__Query *q, bool entries)
{
	struct output_rows *rows = output_rows_new();
	cmd_query_row(rows, q);
	json_object_begin(j);
	output_rows_json_members(rows, 0, j);
	output_rows_free(rows);
	if (entries) {
		json_key(j, "entries");
		json_array_begin(j);
		for (size_t i = 0; i < q->n_entries; i++)
			cmd_query_entry_json(j, q->entries[i]);
		json_array_end(j);
	}
	json_object_end(j);
}

void cmd_query_print(FILE *out, const Planreg__V1__Query *q)
{
	fprintf(out, "query %lld on update %lld (project %d, %s, revision %d), section %s: %s%s, answer by %s\n",
		(long long)q->id, (long long)q->update_id, q->ref, cli_period_name(q->period), q->revision, q->section,
		q->state, q->overdue ? " and overdue" : "", q->answer_by);
	fprintf(out, "  %s raised by %s: %s\n", q->raised_at, q->raised_by, q->comment);
	for (size_t i = 0; i < q->n_entries; i++) {
		const Planreg__V1__QueryEntry *e = q->entries[i];
		fprintf(out, "  %s %s by %s (%s)", e->at, e->kind, e->by, e->organisation);
		if (e->comment[0])
			fprintf(out, ": %s", e->comment);
		if (e->revision_id)
			fprintf(out, " [revision: update %lld]", (long long)e->revision_id);
		fputc('\n', out);
	}
}

/* ---------------------------------------------------------------- raise, answer, reply, close */

/* A positive id argument (an update's or a query's); EXIT_OK or a usage error. */
static int cmd_query_id_arg(const struct cli_command *self, const char *s, const char *what, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || v < 1)
		return cli_usage(self, "\"%s\" is not %s id (a number such as 42)", s, what);
	*id = v;
	return EXIT_OK;
}

/* Parses the command line, whose argument is what's id; false when the command must return *rc at once. */
static bool cmd_query_args(struct cli_getopt *g, const struct cli_command *self, int argc, char **argv,
			   const char *what, int64_t *id, int *rc)
{
	if (cli_getopt_all(g, self, argc, argv) < 0) {
		*rc = g->rc;
		return false;
	}
	*rc = cmd_query_id_arg(self, g->args[0], what, id);
	return *rc == EXIT_OK;
}

/* The query as --format asks (JSON: the object with its thread), then the answer freed; EXIT_OK. */
/* The CSV of one query: its keys, then "entries", one KIND|BY|ORGANISATION|AT|REVISION_ID|COMMENT a line. */
static void cmd_query_csv(const Planreg__V1__Query *q)
{
	const char *keys[sizeof cmd_query_keys / sizeof cmd_query_keys[0] + 1];
	size_t n_keys = sizeof cmd_query_keys / sizeof cmd_query_keys[0];
	memcpy(keys, cmd_query_keys, sizeof cmd_query_keys);
	keys[n_keys++] = "entries";
	struct arena a = {0};
	char **lines = arena_alloc(&a, (q->n_entries + 1) * sizeof *lines);
	for (size_t i = 0; i < q->n_entries; i++) {
		const Planreg__V1__QueryEntry *e = q->entries[i];
		lines[i] = arena_printf(&a, "%s|%s|%s|%s|", e->kind, e->by, e->organisation, e->at);
		if (e->revision_id)
			lines[i] = arena_printf(&a, "%s%lld", lines[i], (long long)e->revision_id);
		lines[i] = arena_printf(&a, "%s|%s", lines[i], e->comment);
	}
	struct output_rows *rows = output_rows_new();
	cmd_query_row(rows, q);
	output_rows_list(rows, "entries", lines, q->n_entries, "\n");
	cli_rows_print(rows, keys, n_keys, OUTPUT_CSV);
	output_rows_free(rows);
	arena_free(&a);
}

static int cmd_query_output(const struct cli_getopt *g, const Planreg__V1__Query *q, Planreg__V1__Response *resp)
{
	if (g->format == OUTPUT_CSV) {
		cmd_query_csv(q);
	} else if (g->format == OUTPUT_JSON) {
		struct cli_json doc;
		cmd_query_json(cli_json_begin(&doc), q, true);
		cli_json_end(&doc);
	} else {
		cmd_query_print(stdout, q);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* Sends a write that carries an idempotency key (--idempotency-key, or a new random one) and prints the query
 * it answers with; the exit code. */
static int cmd_query_send(struct cli *cli, const struct cli_getopt *g, Planreg__V1__Request__BodyCase body_case,
			  void *body)
{
	char random_key[CMD_UPDATE_KEY_MAX];
	const char *key = cli_getopt_value(g, 'k');
	if (key && (key[0] == '\0' || strlen(key) > CMD_UPDATE_KEY_LIMIT))
		return cli_usage(g->self, "--idempotency-key takes 1 to %d characters", CMD_UPDATE_KEY_LIMIT);
	if (key == NULL && !cmd_update_input_random_key(random_key))
		return cli_fail(EXIT_USAGE, "cannot make a random idempotency key; give one with --idempotency-key");
	Planreg__V1__Request req;
	cli_envelope(&req, body_case, body, key ? key : random_key);
	Planreg__V1__Response *resp;
	bool retried;
	int rc = cmd_update_send(cli, &req, false, &resp, &retried);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Query *q = NULL;
	bool replayed = false;
	if (resp->body_case == PLANREG__V1__RESPONSE__BODY_RAISE_QUERY && resp->raise_query)
		q = resp->raise_query->query, replayed = resp->raise_query->replayed;
	else if (resp->body_case == PLANREG__V1__RESPONSE__BODY_ADD_QUERY_ENTRY && resp->add_query_entry)
		q = resp->add_query_entry->query, replayed = resp->add_query_entry->replayed;
	if (q == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no query");
	}
	/* a replay of our own retry is this request going in, not an earlier one */
	if (replayed && !retried)
		fprintf(stderr,
			"planreg: this idempotency key was used before: nothing was added; query %lld is "
			"as it was\n",
			(long long)q->id);
	return cmd_query_output(g, q, resp);
}

static int cmd_query_raise_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	Planreg__V1__RaiseQueryRequest body = PLANREG__V1__RAISE_QUERY_REQUEST__INIT;
	Planreg__V1__Date by = PLANREG__V1__DATE__INIT;
	int rc;
	if (!cmd_query_args(&g, self, argc, argv, "an update", &body.update_id, &rc))
		return rc;
	const char *section = cli_getopt_value(&g, 's'), *comment = cli_getopt_value(&g, 'c'),
		   *answer_by = cli_getopt_value(&g, 'b');
	if (section == NULL || comment == NULL || answer_by == NULL)
		return cli_usage(self, "give --section, --comment and --answer-by");
	if ((rc = cli_options_date(self, "--answer-by", answer_by)) != EXIT_OK)
		return rc;
	body.section = (char *)section;
	body.comment = (char *)comment;
	by.iso = (char *)answer_by;
	body.answer_by = &by;
	return cmd_query_send(cli, &g, PLANREG__V1__REQUEST__BODY_RAISE_QUERY, &body);
}

/* answer, reply and close: an entry in the thread of the query named by the argument */
static int cmd_query_entry_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	Planreg__V1__AddQueryEntryRequest body = PLANREG__V1__ADD_QUERY_ENTRY_REQUEST__INIT;
	int rc;
	if (!cmd_query_args(&g, self, argc, argv, "a query", &body.query_id, &rc))
		return rc;
	const char *comment = cli_getopt_value(&g, 'c'), *revision = cli_getopt_value(&g, 'r');
	body.comment = (char *)(comment ? comment : "");
	body.close = strcmp(self->verb, "close") == 0;
	if (revision && (rc = cmd_query_id_arg(self, revision, "an update", &body.revision_id)) != EXIT_OK)
		return rc;
	if (strcmp(self->verb, "answer") == 0 && comment == NULL && revision == NULL)
		return cli_usage(self, "give --comment TEXT, --revision UPDATE_ID, or both");
	if (strcmp(self->verb, "reply") == 0 && comment == NULL)
		return cli_usage(self, "give --comment TEXT");
	return cmd_query_send(cli, &g, PLANREG__V1__REQUEST__BODY_ADD_QUERY_ENTRY, &body);
}

/* ---------------------------------------------------------------- list, show */

static void cmd_query_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListQueriesResponse *r = answer;
	for (size_t i = 0; i < r->n_queries; i++)
		cmd_query_row(rows, r->queries[i]);
}

static struct output_table *cmd_query_table(const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListQueriesResponse *r = answer;
	static const char *const headers[] = {"ID",    "UPDATE",    "REF",     "PERIOD", "SECTION",
					      "STATE", "ANSWER BY", "ENTRIES", "COMMENT"};
	struct output_table *t = output_table_new(headers, 9, 1u << 8);
	struct arena a = {0};
	for (size_t i = 0; i < r->n_queries; i++) {
		const Planreg__V1__Query *q = r->queries[i];
		const char *cells[] = {arena_printf(&a, "%lld", (long long)q->id),
				       arena_printf(&a, "%lld", (long long)q->update_id),
				       arena_printf(&a, "%d", q->ref),
				       arena_strdup(&a, cli_period_name(q->period)),
				       q->section,
				       q->overdue ? "overdue" : q->state,
				       q->answer_by,
				       arena_printf(&a, "%d", q->entries_count),
				       q->comment};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

CLI_LISTING_OF(cmd_query);

static bool cmd_query_list_next(void *body, const void *answer)
{
	Planreg__V1__ListQueriesRequest *q = body;
	const Planreg__V1__ListQueriesResponse *l = answer;
	if (l->next_after_id <= q->after_id)
		return false;
	q->after_id = l->next_after_id;
	return true;
}

static int cmd_query_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListQueriesRequest body = PLANREG__V1__LIST_QUERIES_REQUEST__INIT;
	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	char ps[PERIOD_FMT_MAX] = "";
	const char *period = cli_getopt_value(&g, CLI_KEY_PERIOD), *ref = cli_getopt_value(&g, 'R'),
		   *day = cli_getopt_value(&g, CLI_KEY_AS_OF);
	if (period && cli_options_period(self, "--period", period, NULL, ps) != EXIT_OK)
		return EXIT_USAGE;
	if (ref && cli_ref_arg(self, ref, &body.ref) != EXIT_OK)
		return EXIT_USAGE;
	if (day) {
		if (cli_options_date(self, "--as-of", day) != EXIT_OK)
			return EXIT_USAGE;
		as_of.iso = (char *)day;
		body.as_of = &as_of;
	}
	body.period = ps;
	body.open_only = cli_getopt_value(&g, 'o') != NULL;
	body.overdue_only = cli_getopt_value(&g, 'O') != NULL;
	return cli_listing_pages(cli, PLANREG__V1__REQUEST__BODY_LIST_QUERIES, &body, "queries", cmd_query_list_next,
				 &cmd_query_listing, NULL, g.format);
}

static int cmd_query_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	Planreg__V1__GetQueryRequest body = PLANREG__V1__GET_QUERY_REQUEST__INIT;
	int rc;
	if (!cmd_query_args(&g, self, argc, argv, "a query", &body.id, &rc))
		return rc;
	Planreg__V1__Response *resp;
	if ((rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_QUERY, &body, &resp)) != EXIT_OK)
		return rc;
	const Planreg__V1__Query *q = resp->get_query->query;
	if (q == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no query");
	}
	return cmd_query_output(&g, q, resp);
}

/* ---------------------------------------------------------------- the commands */

#define CMD_QUERY_OPTION_KEY                                                                                           \
	{                                                                                                              \
		.name = "idempotency-key", .key = 'k', .arg = "KEY",                                                   \
		.help = "this request's key; the same request repeated with the same key adds nothing"                 \
	}
#define CMD_QUERY_OPTION_COMMENT(req, what)                                                                            \
	{                                                                                                              \
		.name = "comment", .key = 'c', .arg = "TEXT", .help = what, .required = req                            \
	}

static const struct cli_option cmd_query_raise_options[] = {
	{.name = "section",
	 .key = 's',
	 .arg = "SECTION",
	 .help = "the part of the return queried: spend, narrative, milestone:N, actual:ID, ...",
	 .required = true,
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = "spend forecast variance narrative confidence stage milestone: risk: actual:"},
	CMD_QUERY_OPTION_COMMENT(true, "the question (at most 5,000 characters)"),
	{.name = "answer-by",
	 .key = 'b',
	 .arg = "DATE",
	 .help = "the day an answer is wanted by, YYYY-MM-DD",
	 .required = true},
	CMD_QUERY_OPTION_KEY,
	{0},
};

const struct cli_command cmd_query_raise = {
	.noun = "query",
	.verb = "raise",
	.args = "UPDATE_ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one update id",
	.options = cmd_query_raise_options,
	.formats = CLI_FMT_RECORD,
	.summary = "query one section of a return (admin)",
	.help = cmd_query_raise_help,
	.run = cmd_query_raise_run,
};

static const struct cli_option cmd_query_answer_options[] = {
	CMD_QUERY_OPTION_COMMENT(false, "the answer"),
	{.name = "revision", .key = 'r', .arg = "UPDATE_ID", .help = "a later revision of the queried return"},
	CMD_QUERY_OPTION_KEY,
	{0},
};

/* answer, reply and close: one query's id, and an entry in its thread */
#define CMD_QUERY_ENTRY_COMMAND(v, opts, sum, hlp)                                                                     \
	{                                                                                                              \
		.noun = "query", .verb = v, .args = "QUERY_ID", .min_args = 1, .max_args = 1,                          \
		.args_what = "one query id", .options = opts, .formats = CLI_FMT_RECORD, .summary = sum, .help = hlp,  \
		.run = cmd_query_entry_run                                                                             \
	}

const struct cli_command cmd_query_answer = CMD_QUERY_ENTRY_COMMAND(
	"answer", cmd_query_answer_options, "answer a query on a return (a submitter of a lead organisation)",
	cmd_query_answer_help);

static const struct cli_option cmd_query_reply_options[] = {
	CMD_QUERY_OPTION_COMMENT(true, "the reply"),
	CMD_QUERY_OPTION_KEY,
	{0},
};

const struct cli_command cmd_query_reply = CMD_QUERY_ENTRY_COMMAND(
	"reply", cmd_query_reply_options, "reply to an answer; the query is open again (admin)", NULL);

static const struct cli_option cmd_query_close_options[] = {
	CMD_QUERY_OPTION_COMMENT(false, "why it is closed"),
	CMD_QUERY_OPTION_KEY,
	{0},
};

const struct cli_command cmd_query_close =
	CMD_QUERY_ENTRY_COMMAND("close", cmd_query_close_options, "close a query (admin)", NULL);

static const struct cli_option cmd_query_list_options[] = {
	{.name = "open", .key = 'o', .help = "only queries not closed"},
	{.name = "overdue", .key = 'O', .help = "only queries waiting for the lead body past their answer-by date"},
	{.name = "ref", .key = 'R', .arg = "N", .help = "only the queries on project N's returns"},
	{CLI_OPTION_PERIOD, .when_absent = "every quarter"},
	{CLI_OPTION_AS_OF},
	{0},
};

const struct cli_command cmd_query_list = {
	.noun = "query",
	.verb = "list",
	.options = cmd_query_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "list the queries on returns (a submitter: its own projects')",
	.run = cmd_query_list_run,
};

const struct cli_command cmd_query_show = {
	.noun = "query",
	.verb = "show",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one query id",
	.formats = CLI_FMT_LISTING,
	.summary = "show a query and its thread",
	.run = cmd_query_show_run,
};
