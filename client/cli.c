/* cli.c - calling the server and reporting failures, shared by every command (see cli.h). */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "usage: planreg %s%s%s %s\n(planreg %s%s%s --help shows the options)\n", cmd->noun,
			cmd->verb[0] ? " " : "", cmd->verb, cmd->args, cmd->noun, cmd->verb[0] ? " " : "", cmd->verb);
	return EXIT_USAGE;
}

void cli_print_help(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "usage: planreg %s%s%s %s\n\n%s\n", cmd->noun, cmd->verb[0] ? " " : "", cmd->verb, cmd->args,
		cmd->summary);
	if (cmd->help && cmd->help[0])
		fprintf(out, "\n%s", cmd->help);
}

bool cli_format(const struct cli_command *cmd, const char *arg, enum output_format *f)
{
	if (output_parse_format(arg, f))
		return true;
	cli_usage(cmd, "--format must be table, csv or json, not \"%s\"", arg);
	return false;
}

int cli_format_options(const struct cli_command *cmd, int argc, char **argv, int nargs, const char *what, bool csv,
		       enum output_format *fmt)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	*fmt = OUTPUT_TABLE;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		}
		if (ch != 'f')
			return cli_usage(cmd, "unknown option");
		if (!cli_format(cmd, optarg, fmt))
			return EXIT_USAGE;
	}
	if (!csv && *fmt == OUTPUT_CSV)
		return cli_usage(cmd, "--format must be table or json here");
	if (argc - optind != nargs) {
		if (nargs == 0)
			return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
		return cli_usage(cmd, "give %s", what);
	}
	return -1;
}

void cli_print_status(const Planreg__V1__Status *st, const char *prefix)
{
	fprintf(stderr, "planreg: %s%s: %s\n", prefix ? prefix : "", status_code_name(st->code),
		st->message && st->message[0] ? st->message : "(no message)");
	for (size_t i = 0; i < st->n_violations && st->n_violations > 1; i++)
		fprintf(stderr, "  - %s: %s\n", st->violations[i]->field, st->violations[i]->description);
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

static int cli_transport(struct cli *cli, Planreg__V1__Request *req, Planreg__V1__Response **resp)
{
	enum net_failure why;
	char *err = NULL;
	*resp = NULL;
	cli->broke_after_send = false;
	if (cli->net == NULL) {
		cli->net = net_connect(&cli->settings, &why, &err);
		if (cli->net == NULL) {
			int rc = cli_fail(EXIT_CONNECT, "%s", err);
			free(err);
			return rc;
		}
	}
	*resp = net_call(cli->net, req, &why, &err);
	if (*resp == NULL) {
		cli->broke_after_send = why == NET_PROTOCOL || why == NET_TIMEOUT;
		int rc = cli_fail(EXIT_CONNECT, "%s", err);
		free(err);
		net_close(cli->net);
		cli->net = NULL;
		return rc;
	}
	if ((*resp)->id == 0) {
		/* a connection-level refusal: the server closes after it */
		int rc = cli_print_refusal((*resp)->status);
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

static const struct cli_command *const cli_tables[] = {
	cmd_whoami_commands, cmd_plan_commands,   cmd_projects_commands, cmd_org_commands,
	cmd_cred_commands,   cmd_update_commands, cmd_audit_commands,    cmd_status_commands,
	cmd_export_commands, cmd_report_commands, cmd_remind_commands,
};

const struct cli_command *cli_find(const char *noun, const char *verb)
{
	for (size_t t = 0; t < sizeof cli_tables / sizeof cli_tables[0]; t++)
		for (const struct cli_command *c = cli_tables[t]; c->noun; c++)
			if (strcmp(c->noun, noun) == 0 && strcmp(c->verb, verb ? verb : "") == 0)
				return c;
	return NULL;
}

/* For `planreg --help` and `planreg NOUN --help`. */
void cli_list_commands(FILE *out, const char *noun)
{
	for (size_t t = 0; t < sizeof cli_tables / sizeof cli_tables[0]; t++)
		for (const struct cli_command *c = cli_tables[t]; c->noun; c++) {
			if (noun && strcmp(c->noun, noun) != 0)
				continue;
			char head[64];
			snprintf(head, sizeof head, "%s%s%s", c->noun, c->verb[0] ? " " : "", c->verb);
			fprintf(out, "  %-20s %s\n", head, c->summary);
		}
}

bool cli_noun_exists(const char *noun)
{
	for (size_t t = 0; t < sizeof cli_tables / sizeof cli_tables[0]; t++)
		for (const struct cli_command *c = cli_tables[t]; c->noun; c++)
			if (strcmp(c->noun, noun) == 0)
				return true;
	return false;
}
