/* cli.h - what every `planreg NOUN VERB` command shares: settings, the
 * connection (made on first use), output format, and one way to call the
 * server and report what went wrong. */
#ifndef PLANREG_CLI_H
#define PLANREG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "net.h"
#include "output.h"
#include "planreg.pb-c.h"
#include "settings.h"
#include "status.h"

struct cli {
	struct settings settings;
	struct net *net;
	bool stdout_tty;
	bool stderr_tty;
	bool color; /* stderr is a terminal and NO_COLOR is unset */
	/* the last call's connection broke after its request went out (timeout or
	 * close mid-answer): the request may or may not have been done */
	bool broke_after_send;
};

struct cli_command {
	const char *noun;
	const char *verb;
	int (*run)(struct cli *cli, int argc, char **argv); /* argv[0] is the verb */
	const char *args;                                   /* synopsis after "planreg NOUN VERB" */
	const char *summary;                                /* one line */
	const char *help;                                   /* options, shown by --help */
};

/*
 * Sends req and waits for the answer. Returns the exit code: 0 with *resp set
 * (free with planreg__v1__response__free_unpacked), or non-zero after printing
 * a plain message on stderr saying what failed and what to do.
 */
int cli_call(struct cli *cli, Planreg__V1__Request *req, Planreg__V1__Response **resp);

/* Like cli_call but prints nothing for a refusal: *resp carries its status.
 * Transport failures are still printed and returned (exit code 3). */
int cli_call_quiet(struct cli *cli, Planreg__V1__Request *req, Planreg__V1__Response **resp);

/* Prints a server status (code, message, each violation) to stderr. */
void cli_print_status(const Planreg__V1__Status *st, const char *prefix);

/* "planreg: " + message to stderr; returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: the message, then "see planreg NOUN VERB --help"; returns EXIT_USAGE. */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const struct cli_command *cli_find(const char *noun, const char *verb);
/* Prints the command's --help text. */
void cli_print_help(const struct cli_command *cmd, FILE *out);
/*
 * Options of a command that takes only --format (and --help) and exactly nargs
 * arguments, named by what ("a project reference") in the usage error. csv:
 * whether CSV is offered. Returns -1 to go on (*fmt set, the arguments at
 * argv[optind]), or the exit code to return at once.
 */
int cli_format_options(const struct cli_command *cmd, int argc, char **argv, int nargs, const char *what, bool csv,
		       enum output_format *fmt);
/* Handles "--format FMT" parsing with a clear error; true when ok. */
bool cli_format(const struct cli_command *cmd, const char *arg, enum output_format *f);

void cli_list_commands(FILE *out, const char *noun);
bool cli_noun_exists(const char *noun);

struct json;
/* The stable JSON shapes (docs/json.md), cmd_projects.c: one project, a cost
 * object, an amount of pence (null when absent). */
void cli_project_json(struct json *j, const Planreg__V1__Project *p);
void cli_cost_json(struct json *j, const Planreg__V1__Cost *c);
void cli_money_json(struct json *j, const char *key, const Planreg__V1__Money *m);
/* A project reference argument (1..100000); a usage error otherwise. */
int cli_ref_arg(const struct cli_command *cmd, const char *s, int32_t *ref);

/* Reads a whole file (malloc'd, *len bytes); NULL with *err (malloc'd) on failure; cmd_plan.c. */
char *cmd_plan_read_file(const char *path, size_t *len, char **err);

/* Every page of a GetStatus answer (cmd_status.c): later pages are asked at the
 * first page's as_at, so they describe the same moment; a page too large for a
 * frame (long narratives) is asked for again at half the size. */
struct cli_status_pages {
	Planreg__V1__Response **resps; /* owned; freed by cli_status_pages_free */
	size_t n_resps;
	const Planreg__V1__GetStatusResponse *first; /* period, due, as_at, totals */
	Planreg__V1__ProjectStatus **projects;       /* every page's, in order */
	size_t n_projects;
};
int cli_status_fetch(struct cli *cli, Planreg__V1__GetStatusRequest *body, int page_size,
		     struct cli_status_pages *pages);
void cli_status_pages_free(struct cli_status_pages *pages);

/* The command tables, one per noun (cmd_<noun>.c). */
extern const struct cli_command cmd_whoami_commands[];
extern const struct cli_command cmd_plan_commands[];
extern const struct cli_command cmd_projects_commands[];
extern const struct cli_command cmd_org_commands[];
extern const struct cli_command cmd_cred_commands[];
extern const struct cli_command cmd_update_commands[];
extern const struct cli_command cmd_audit_commands[];
extern const struct cli_command cmd_status_commands[];
extern const struct cli_command cmd_export_commands[];
extern const struct cli_command cmd_report_commands[];
extern const struct cli_command cmd_remind_commands[];

#endif
