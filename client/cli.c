/* cli.c - calling the server and reporting failures, shared by every command (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "cmd_cred.h"
#include "json.h"
#include "position.h"
#include "progress.h"
#include "text.h"
#include "xmalloc.h"

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("planreg: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("planreg: ", stderr);
	if (cmd)
		fprintf(stderr, "%s%s%s: ", cmd->noun, cmd->verb[0] ? " " : "", cmd->verb);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_USAGE;
}

/* The message is written for people; the status code and reason (for scripts and the log) are in
 * the JSON output of the commands that have one, and in the daemon's log (`planreg -v` gives the id). */
void cli_print_status(const Planreg__V1__Status *st, const char *prefix)
{
	fprintf(stderr, "planreg: %s%s\n", prefix ? prefix : "",
		st->message && st->message[0] ? st->message : "the server refused without saying why");
	for (size_t i = 0; i < st->n_violations && st->n_violations > 1; i++) {
		char label[160];
		text_field_label(st->violations[i]->field, label, sizeof label);
		fprintf(stderr, "  - %s: %s\n", label, st->violations[i]->description);
	}
}

/* Refusals that are about who we are get their own wording. */
static int cli_print_refusal(const Planreg__V1__Status *st)
{
	const char *reason = st->reason ? st->reason : "";
	if (strcmp(reason, "certificate_not_enrolled") == 0)
		return cli_fail(EXIT_CONNECT, "certificate refused: %s", st->message);
	if (strcmp(reason, "credential_revoked") == 0)
		return cli_fail(EXIT_CONNECT, "credential revoked: %s", st->message);
	if (strcmp(reason, "database_unavailable") == 0)
		return cli_fail(EXIT_CONNECT, "the service is unavailable: %s", st->message);
	cli_print_status(st, "");
	return status_exit_code(st->code);
}

/* The net layer's tick while a call waits: the bar's elapsed time moves. */
static void cli_wait_tick(void *arg)
{
	progress_update(arg, 0, 0);
}

/* The connection, made on the first call: a certificate that has expired is refused first, and one due for
 * renewal is renewed (cmd_cred_renew.c); the exit code after saying why not. */
static int cli_connect(struct cli *cli)
{
	int rc = cmd_cred_check_expired(cli);
	if (rc != EXIT_OK)
		return rc;
	enum net_failure why;
	char *err = NULL;
	cli->net = net_connect(&cli->settings, &why, &err);
	if (cli->net != NULL)
		cmd_cred_renew_auto(cli, &why, &err); /* may connect again, and fail: said below */
	if (cli->net != NULL)
		return EXIT_OK;
	if (cli->waiting)
		progress_clear(cli->waiting);
	cli->transport_failed = why == NET_CONNECT || why == NET_TLS || why == NET_PROTOCOL || why == NET_TIMEOUT;
	rc = cli_fail(why == NET_BAD_SERVER ? EXIT_USAGE : EXIT_CONNECT, "%s", err);
	free(err);
	return rc;
}

static int cli_transport(struct cli *cli, Planreg__V1__Request *req, Planreg__V1__Response **resp)
{
	enum net_failure why;
	char *err = NULL;
	*resp = NULL;
	cli->broke_after_send = false;
	cli->transport_failed = false;
	int rc = cli_settings(cli);
	if (rc != EXIT_OK)
		return rc;
	if (cli->waiting)
		progress_update(cli->waiting, 0, 0);
	if (cli->net == NULL && (rc = cli_connect(cli)) != EXIT_OK)
		return rc;
	net_set_tick(cli->net, cli->waiting ? cli_wait_tick : NULL, cli->waiting);
	/* read-your-writes across commands: what this user last wrote, a replica must have replayed */
	char position[POSITION_MAX];
	char *read_after = req->read_after;
	position_load(cli->settings.server, position);
	if (position[0] && (read_after == NULL || read_after[0] == '\0'))
		req->read_after = position;
	*resp = net_call(cli->net, req, &why, &err);
	req->read_after = read_after;
	net_set_tick(cli->net, NULL, NULL);
	if (*resp != NULL && (*resp)->write_position && (*resp)->write_position[0])
		position_store(cli->settings.server, (*resp)->write_position);
	if (cli->waiting)
		progress_clear(cli->waiting); /* before anything below is printed */
	if (*resp == NULL) {
		cli->broke_after_send = why == NET_PROTOCOL || why == NET_TIMEOUT;
		cli->transport_failed = true;
		rc = cli_fail(EXIT_CONNECT, "%s", err);
		free(err);
		net_close(cli->net);
		cli->net = NULL;
		return rc;
	}
	cli_period_learn((*resp)->year_start_month); /* how this daemon names periods, for what is printed */
	if (cli->verbose && (*resp)->request_id && (*resp)->request_id[0])
		fprintf(stderr, "planreg: request %s\n", (*resp)->request_id);
	if ((*resp)->id == 0) {
		/* a connection-level refusal: the server closes after it */
		rc = cli_print_refusal((*resp)->status);
		planreg__v1__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		net_close(cli->net);
		cli->net = NULL;
		return rc ? rc : EXIT_CONNECT;
	}
	return EXIT_OK;
}

int cli_call_quiet(struct cli *cli, Planreg__V1__Request *req, Planreg__V1__Response **resp)
{
	int rc = cli_transport(cli, req, resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Status *st = (*resp)->status;
	const char *reason = st->reason ? st->reason : "";
	if (st->code == PLANREG__V1__CODE__UNAUTHENTICATED || strcmp(reason, "database_unavailable") == 0) {
		rc = cli_print_refusal(st);
		planreg__v1__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return rc;
	}
	return EXIT_OK;
}

int cli_call(struct cli *cli, Planreg__V1__Request *req, Planreg__V1__Response **resp)
{
	int rc = cli_call_quiet(cli, req, resp);
	if (rc != EXIT_OK)
		return rc;
	if ((*resp)->status->code != PLANREG__V1__CODE__OK) {
		rc = cli_print_refusal((*resp)->status);
		planreg__v1__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return rc;
	}
	return EXIT_OK;
}

int cli_settings(struct cli *cli)
{
	if (cli->settings_resolved)
		return EXIT_OK;
	char *err = NULL;
	if (!settings_resolve(&cli->settings, &err)) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	cli->settings_resolved = true;
	return EXIT_OK;
}

bool cli_page_halved(Planreg__V1__Response *resp, int32_t *page_size)
{
	const Planreg__V1__Status *st = resp->status;
	if (st->code != PLANREG__V1__CODE__RESOURCE_EXHAUSTED || strcmp(st->reason, "response_too_large") != 0 ||
	    *page_size <= 1)
		return false;
	*page_size /= 2;
	planreg__v1__response__free_unpacked(resp, NULL);
	return true;
}

const void *cli_response_body(const Planreg__V1__Response *resp)
{
	void *body;
	memcpy(&body, &resp->whoami, sizeof body); /* every member of the union is a pointer */
	return resp->body_case == PLANREG__V1__RESPONSE__BODY__NOT_SET ? NULL : body;
}

/* The response's body must be the one asked for: the oneof numbers are the same on both sides. */
static int cli_check_body(Planreg__V1__Request__BodyCase body_case, Planreg__V1__Response **resp)
{
	if ((int)(*resp)->body_case == (int)body_case && cli_response_body(*resp) != NULL)
		return EXIT_OK;
	planreg__v1__response__free_unpacked(*resp, NULL);
	*resp = NULL;
	return cli_fail(EXIT_REFUSED, "the server's answer has no body; nothing was shown");
}

void cli_envelope(Planreg__V1__Request *req, Planreg__V1__Request__BodyCase body_case, void *body, const char *key)
{
	planreg__v1__request__init(req);
	req->body_case = body_case;
	memcpy(&req->whoami, &body, sizeof body); /* every member of the union is a pointer */
	req->idempotency_key = (char *)(key ? key : "");
}

int cli_request(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, Planreg__V1__Response **resp)
{
	Planreg__V1__Request req;
	cli_envelope(&req, body_case, body, NULL);
	int rc = cli_call(cli, &req, resp);
	if (rc != EXIT_OK)
		return rc;
	return cli_check_body(body_case, resp);
}

int cli_request_quiet(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *key,
		      Planreg__V1__Response **resp)
{
	Planreg__V1__Request req;
	cli_envelope(&req, body_case, body, key);
	int rc = cli_call_quiet(cli, &req, resp);
	if (rc != EXIT_OK || (*resp)->status->code != PLANREG__V1__CODE__OK)
		return rc;
	return cli_check_body(body_case, resp);
}

struct json *cli_json_begin(struct cli_json *doc)
{
	memset(doc, 0, sizeof *doc);
	doc->j = xmalloc(sizeof *doc->j);
	json_init(doc->j, &doc->b, true);
	return doc->j;
}

void cli_json_end(struct cli_json *doc)
{
	output_json_done(&doc->b, stdout);
	free(doc->j);
	doc->j = NULL;
}

void cli_json_fields(struct json *j, const ProtobufCMessage *m, const char *names)
{
	struct output_rows *r = output_rows_new();
	output_rows_begin(r);
	output_rows_fields(r, m, names);
	output_rows_json_members(r, 0, j);
	output_rows_free(r);
}

void cli_json_strings(struct json *j, const char *key, char *const *items, size_t n)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, items[i]);
	json_array_end(j);
}

void cli_rows_print(const struct output_rows *rows, const char *const *keys, size_t n_keys, enum output_format fmt)
{
	if (fmt == OUTPUT_CSV) {
		output_rows_csv(rows, keys, n_keys, false, stdout);
		return;
	}
	struct cli_json doc;
	output_rows_json(rows, cli_json_begin(&doc));
	cli_json_end(&doc);
}

/* Every command, grouped by noun in the order `planreg --help` lists them. */
static const struct cli_command *const cli_commands[] = {
	&cmd_whoami,
	&cmd_join,
	&cmd_themes_list,
	&cmd_plan_import,
	&cmd_plan_list,
	&cmd_plan_show,
	&cmd_projects_list,
	&cmd_projects_show,
	&cmd_projects_assign,
	&cmd_projects_unassign,
	&cmd_org_list,
	&cmd_org_set,
	&cmd_org_set_contact,
	&cmd_person_add,
	&cmd_person_list,
	&cmd_person_remove,
	&cmd_cred_enrol,
	&cmd_cred_revoke,
	&cmd_cred_list,
	&cmd_cred_invite,
	&cmd_cred_invitations,
	&cmd_cred_uninvite,
	&cmd_cred_renew,
	&cmd_update_submit,
	&cmd_update_template,
	&cmd_update_history,
	&cmd_update_list,
	&cmd_update_show,
	&cmd_update_review,
	&cmd_update_receipt,
	&cmd_update_evidence,
	&cmd_query_raise,
	&cmd_query_answer,
	&cmd_query_reply,
	&cmd_query_close,
	&cmd_query_list,
	&cmd_query_show,
	&cmd_change_list,
	&cmd_change_show,
	&cmd_change_approve,
	&cmd_change_reject,
	&cmd_indicator_add,
	&cmd_indicator_list,
	&cmd_indicator_show,
	&cmd_audit_verify,
	&cmd_audit_check_receipt,
	&cmd_audit_witness_key,
	&cmd_audit_witness_enrol,
	&cmd_audit_witness,
	&cmd_status_show,
	&cmd_status_outstanding,
	&cmd_status_timeliness,
	&cmd_status_diff,
	&cmd_status_movement,
	&cmd_export_updates,
	&cmd_export_open_data,
	&cmd_report_html,
	&cmd_remind_run,
	&cmd_remind_log,
	&cmd_remind_policy,
	&cmd_completion_bash,
	NULL,
};

const struct cli_command *const *cli_all_commands(void)
{
	return cli_commands;
}

const struct cli_command *cli_find(const char *noun, const char *verb)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->noun, noun) == 0 && strcmp(cli_commands[i]->verb, verb ? verb : "") == 0)
			return cli_commands[i];
	return NULL;
}

/* For `planreg --help` and `planreg NOUN --help`. */
void cli_list_commands(FILE *out, const char *noun)
{
	for (size_t i = 0; cli_commands[i]; i++) {
		const struct cli_command *c = cli_commands[i];
		if (noun && strcmp(c->noun, noun) != 0)
			continue;
		char head[64];
		snprintf(head, sizeof head, "%s%s%s", c->noun, c->verb[0] ? " " : "", c->verb);
		fprintf(out, "  %-20s %s\n", head, c->summary);
	}
}

bool cli_noun_exists(const char *noun)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->noun, noun) == 0)
			return true;
	return false;
}
