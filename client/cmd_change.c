/* cmd_change.c - `planreg change list|show|approve|reject`: change requests to a project's approved
 * baseline (docs/assurance.md). A return whose end date or forecast lies beyond the tolerance of the
 * approved baseline raises one; only the Combined Authority (admin) decides, and only an approved one
 * moves the baseline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "money.h"

static const char cmd_change_help[] =
	"Change requests to projects' approved baselines. A return whose end date (the\n"
	"latest of its milestone dates) or forecast total cost lies beyond the tolerance\n"
	"of the project's approved baseline raises one: kind time or cost, the old and\n"
	"the new value, and the return's variance note as its rationale. A later return\n"
	"with another value supersedes a pending request. Until it is approved, status\n"
	"flags a moved end date (end_date_unapproved). Values: dates as YYYY-MM-DD,\n"
	"costs in pence.\n";

static const char *const cmd_change_keys[] = {"id",        "ref",        "title",      "kind",      "state",
					      "update_id", "period",     "old_value",  "new_value", "rationale",
					      "raised_at", "decided_by", "decided_at", "comment",   "lead_orgs"};

static const char *cmd_change_kind(Planreg__V1__ChangeKind k)
{
	switch (k) {
	case PLANREG__V1__CHANGE_KIND__CHANGE_KIND_TIME:
		return "time";
	case PLANREG__V1__CHANGE_KIND__CHANGE_KIND_COST:
		return "cost";
	case PLANREG__V1__CHANGE_KIND__CHANGE_KIND_SCOPE:
		return "scope";
	default:
		return NULL;
	}
}

static void cmd_change_row(struct output_rows *r, const Planreg__V1__Change *c)
{
	output_rows_begin(r);
	output_rows_int(r, "id", c->id);
	output_rows_int(r, "ref", c->ref);
	output_rows_str(r, "title", c->title);
	output_rows_str(r, "kind", cmd_change_kind(c->kind));
	output_rows_str(r, "state", c->state);
	if (c->update_id)
		output_rows_int(r, "update_id", c->update_id);
	else
		output_rows_null(r, "update_id");
	output_rows_text(r, "period", c->period);
	output_rows_text(r, "old_value", c->old_value);
	output_rows_text(r, "new_value", c->new_value);
	output_rows_text(r, "rationale", c->rationale);
	output_rows_str(r, "raised_at", c->raised_at);
	output_rows_text(r, "decided_by", c->decided_by);
	output_rows_text(r, "decided_at", c->decided_at);
	output_rows_text(r, "comment", c->comment);
	output_rows_list(r, "lead_orgs", c->lead_orgs, c->n_lead_orgs, ";");
}

static void cmd_change_rows(struct output_rows *r, const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListChangesResponse *l = answer;
	for (size_t i = 0; i < l->n_changes; i++)
		cmd_change_row(r, l->changes[i]);
}

/* A value for people: a cost in pounds, a date as it is, "-" for none. */
static const char *cmd_change_value(struct arena *a, const Planreg__V1__Change *c, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return "-";
	if (c->kind == PLANREG__V1__CHANGE_KIND__CHANGE_KIND_COST) {
		char m[MONEY_FMT_MAX];
		money_format(strtoll(v, NULL, 10), m);
		return arena_strdup(a, m);
	}
	return v;
}

static struct output_table *cmd_change_table(const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListChangesResponse *l = answer;
	static const char *const headers[] = {"ID", "REF", "KIND", "STATE", "PERIOD", "OLD", "NEW", "RAISED", "TITLE"};
	struct output_table *t = output_table_new(headers, sizeof headers / sizeof headers[0], 1u << 8);
	struct arena a = {0};
	for (size_t i = 0; i < l->n_changes; i++) {
		const Planreg__V1__Change *c = l->changes[i];
		const char *kind = cmd_change_kind(c->kind);
		const char *cells[] = {arena_printf(&a, "%lld", (long long)c->id),
				       arena_printf(&a, "%d", c->ref),
				       kind ? kind : "-",
				       c->state,
				       c->period[0] ? c->period : "-",
				       cmd_change_value(&a, c, c->old_value),
				       cmd_change_value(&a, c, c->new_value),
				       arena_printf(&a, "%.10s", c->raised_at),
				       c->title};
		output_table_row(t, cells);
	}
	arena_free(&a);
	return t;
}

CLI_LISTING_OF(cmd_change);

/* ---------------------------------------------------------------- list */

static int cmd_change_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListChangesRequest body = PLANREG__V1__LIST_CHANGES_REQUEST__INIT;
	const char *state = cli_getopt_value(&g, 's'), *ref = cli_getopt_value(&g, 'p');
	body.state = (char *)(state ? state : "");
	if (ref) {
		char *end;
		long v = strtol(ref, &end, 10);
		if (ref[0] == '\0' || *end != '\0' || v < 1 || v > 100000)
			return cli_usage(self, "--project must be a project reference (a number such as 5), not \"%s\"",
					 ref);
		body.ref = (int32_t)v;
	}
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_CHANGES, &body, &cmd_change_listing, NULL,
				   g.format);
}

/* ---------------------------------------------------------------- show, approve, reject */

static int cmd_change_id_arg(const struct cli_command *cmd, const char *s, int64_t *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < 1)
		return cli_usage(cmd, "\"%s\" is not a change request id (a number such as 3)", s);
	*id = v;
	return EXIT_OK;
}

/* One change as a record (table) or a one-row listing's object (json). */
static void cmd_change_print_one(const Planreg__V1__Change *c, enum output_format fmt)
{
	Planreg__V1__ListChangesResponse one = PLANREG__V1__LIST_CHANGES_RESPONSE__INIT;
	Planreg__V1__Change *list[1] = {(Planreg__V1__Change *)c};
	one.changes = list;
	one.n_changes = 1;
	if (fmt == OUTPUT_JSON) { /* one object, as `update show` gives */
		struct output_rows *rows = output_rows_new();
		cmd_change_rows(rows, &one, NULL);
		struct cli_json doc;
		output_rows_json_object(rows, 0, cli_json_begin(&doc));
		cli_json_end(&doc);
		output_rows_free(rows);
		return;
	}
	struct arena a = {0};
	const char *kind = cmd_change_kind(c->kind);
	const char *pairs[] = {
		"id",
		arena_printf(&a, "%lld", (long long)c->id),
		"project",
		arena_printf(&a, "%d: %s", c->ref, c->title),
		"kind",
		kind ? kind : "-",
		"state",
		c->state,
		"raised by",
		c->update_id ? arena_printf(&a, "update %lld (%s)", (long long)c->update_id, c->period) : "-",
		"old value",
		cmd_change_value(&a, c, c->old_value),
		"new value",
		cmd_change_value(&a, c, c->new_value),
		"rationale",
		c->rationale[0] ? c->rationale : "-",
		"raised at",
		c->raised_at,
		"decided",
		c->decided_by[0] ? arena_printf(&a, "by %s at %s", c->decided_by, c->decided_at) : "-",
		"comment",
		c->comment[0] ? c->comment : "-",
		NULL};
	output_record(stdout, pairs);
	arena_free(&a);
}

static int cmd_change_show_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__GetChangeRequest body = PLANREG__V1__GET_CHANGE_REQUEST__INIT;
	int rc = cmd_change_id_arg(self, g.args[0], &body.id);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_CHANGE, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	if (resp->get_change == NULL || resp->get_change->change == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no change request");
	}
	cmd_change_print_one(resp->get_change->change, g.format);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_change_decide(struct cli *cli, const struct cli_command *self, int argc, char **argv, bool approve)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__DecideChangeRequest body = PLANREG__V1__DECIDE_CHANGE_REQUEST__INIT;
	int rc = cmd_change_id_arg(self, g.args[0], &body.id);
	if (rc != EXIT_OK)
		return rc;
	const char *comment = cli_getopt_value(&g, 'c');
	if (!approve && (comment == NULL || comment[0] == '\0'))
		return cli_usage(self, "say why with --comment TEXT");
	body.approve = approve;
	body.comment = (char *)(comment ? comment : "");
	Planreg__V1__Response *resp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_DECIDE_CHANGE, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Change *c = resp->decide_change ? resp->decide_change->change : NULL;
	if (c == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no change request");
	}
	printf("%s change request %lld (project %d, %s): %s -> %s\n", approve ? "approved" : "rejected",
	       (long long)c->id, c->ref, cmd_change_kind(c->kind) ? cmd_change_kind(c->kind) : "-",
	       c->old_value[0] ? c->old_value : "-", c->new_value[0] ? c->new_value : "-");
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_change_approve_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	return cmd_change_decide(cli, self, argc, argv, true);
}

static int cmd_change_reject_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	return cmd_change_decide(cli, self, argc, argv, false);
}

/* ---------------------------------------------------------------- the commands */

static const struct cli_option cmd_change_list_options[] = {
	{.name = "state",
	 .key = 's',
	 .arg = "STATE",
	 .help = "only requests in STATE: pending, approved, rejected or superseded",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = "pending approved rejected superseded"},
	{.name = "project", .key = 'p', .arg = "REF", .help = "only requests for project REF"},
	{0},
};

const struct cli_command cmd_change_list = {
	.noun = "change",
	.verb = "list",
	.options = cmd_change_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "list change requests to projects' approved baselines",
	.help = cmd_change_help,
	.run = cmd_change_list_run,
};

const struct cli_command cmd_change_show = {
	.noun = "change",
	.verb = "show",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one change request id",
	.formats = CLI_FMT_RECORD,
	.summary = "show one change request",
	.help = cmd_change_help,
	.run = cmd_change_show_run,
};

static const struct cli_option cmd_change_approve_options[] = {
	{.name = "comment", .key = 'c', .arg = "TEXT", .help = "a note with the decision"},
	{0},
};

static const struct cli_option cmd_change_reject_options[] = {
	{.name = "comment", .key = 'c', .arg = "TEXT", .help = "why it is rejected (required)"},
	{0},
};

const struct cli_command cmd_change_approve = {
	.noun = "change",
	.verb = "approve",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one change request id",
	.options = cmd_change_approve_options,
	.summary = "approve a change request: it moves the approved baseline (admin)",
	.help = cmd_change_help,
	.run = cmd_change_approve_run,
};

const struct cli_command cmd_change_reject = {
	.noun = "change",
	.verb = "reject",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one change request id",
	.options = cmd_change_reject_options,
	.summary = "reject a change request, saying why (admin)",
	.help = cmd_change_help,
	.run = cmd_change_reject_run,
};
