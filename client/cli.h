/* cli.h - what every `planreg NOUN VERB` command shares: settings, the
 * connection (made on first use), output format, and one way to call the
 * server and report what went wrong. */
#ifndef PLANREG_CLI_H
#define PLANREG_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "file.h"
#include "net.h"
#include "cli_period.h"
#include "output.h"
#include "planreg.pb-c.h"
#include "settings.h"
#include "status.h"

struct json;
struct output_rows;
struct progress;

struct cli {
	struct settings settings;
	struct net *net;
	bool stdout_tty;
	bool stderr_tty;
	bool verbose;           /* -v: print the daemon's request id of each request */
	bool settings_resolved; /* settings_resolve ran (on the first connection) */
	/* the last call's connection broke after its request went out (timeout or
	 * close mid-answer): the request may or may not have been done */
	bool broke_after_send;
	/* the last call failed in the transport (no connection, a broken or silent one), not by a refusal:
	 * trying again may help */
	bool transport_failed;
	/* while a call waits for its answer, this bar (progress_begin'd, no count) is drawn and its time moves;
	 * it is cleared before anything is printed. NULL: none */
	struct progress *waiting;
	/* a renewal of the certificate was tried (or is the command): not again on its own (cmd_cred_renew.c) */
	bool renewing;
};

/* Output formats a command offers with --format (a bit set). */
#define CLI_FMT_TABLE (1u << OUTPUT_TABLE)
#define CLI_FMT_CSV (1u << OUTPUT_CSV)
#define CLI_FMT_JSON (1u << OUTPUT_JSON)
#define CLI_FMT_LISTING (CLI_FMT_TABLE | CLI_FMT_CSV | CLI_FMT_JSON)
#define CLI_FMT_RECORD (CLI_FMT_TABLE | CLI_FMT_JSON)

/* Values completion offers for the option of the same kind. */
#define CLI_STAGE_CHOICES "concept early_development advanced_development live completed paused cancelled"
#define CLI_CONFIDENCE_CHOICES "green amber_green amber amber_red red"

/* How completion offers an option's value. */
enum cli_complete {
	CLI_COMPLETE_NONE,
	CLI_COMPLETE_FILE,    /* a file name */
	CLI_COMPLETE_CHOICES, /* one of .choices */
};

/* One option of a command: everything parsing, usage, --help and completion need. */
struct cli_option {
	const char *name; /* long name without "--" */
	int key;          /* what cli_getopt_next returns for it: a letter (also -LETTER when .short_name) or >= 256 */
	bool short_name;  /* -key is accepted too */
	const char *arg;  /* the value's name in usage ("N", "FILE"); NULL: a flag without a value */
	const char *help; /* one line for --help (and planreg(1)): what the option is, the same in every command */
	const char *when_absent; /* what applies when it is not given, in this command ("the last quarter that has
				  * ended"), shown after the help as "(default: ...)"; NULL: nothing to say */
	bool repeatable;         /* may be given more than once (otherwise twice is a usage error) */
	bool required;           /* shown without brackets in the synopsis (the command checks) */
	enum cli_complete complete;
	const char *choices; /* space-separated values, for completion */
};

/*
 * One command. Its options, positional arguments and formats are declared
 * here; cli_getopt_next parses them, and the synopsis, --help and the bash
 * completion script are generated from the same declaration.
 */
struct cli_command {
	const char *noun;
	const char *verb; /* "" for a noun that is a command (`status`) */
	const char *args; /* positional arguments in the synopsis ("REF"), or NULL */
	int min_args, max_args;
	const char *args_what;            /* what to give when the count is wrong ("one project reference") */
	const struct cli_option *options; /* ends with an entry whose name is NULL; may be NULL */
	unsigned formats;                 /* CLI_FMT_* offered by --format; 0: no --format */
	bool format_required;             /* --format must be given (an export is for a program) */
	const char *format_default;       /* --help's words for the default when it is not the first format
					   * offered ("table on a terminal, else csv"); NULL: that first one */
	const char *summary;              /* one line, for command lists */
	const char *help;                 /* prose shown by --help before the options, or NULL */
	bool local;                       /* never talks to the server (completion) */
	int (*run)(struct cli *cli, const struct cli_command *self, int argc, char **argv); /* argv[0] is the verb */
};

/* The state of parsing one command's options (cli_getopt_*). */
#define CLI_OPTIONS_MAX 40
struct cli_getopt {
	const struct cli_command *self;
	int argc;
	char **argv;
	struct option longopts[CLI_OPTIONS_MAX + 3];
	char shortopts[CLI_OPTIONS_MAX * 2 + 4];
	unsigned seen[CLI_OPTIONS_MAX];
	const char *values[CLI_OPTIONS_MAX]; /* the last value of each option given ("" for a flag), by its place */
	enum output_format format;           /* --format, or the first format offered */
	bool format_given;
	char **args; /* the positional arguments, after parsing */
	int nargs;
	int rc; /* the exit code when cli_getopt_next returned -1 */
};

/* Starts parsing argv (argv[0] is the verb). */
void cli_getopt_begin(struct cli_getopt *g, const struct cli_command *self, int argc, char **argv);
/*
 * The key of the next of the command's own options (its value in optarg); 0
 * when they are all read and the positional arguments are in g->args; -1 when
 * the command must return g->rc at once: --help was printed (0), or a usage
 * error was (an unknown option, a missing value, --format not offered, a
 * repeated option, the wrong number of arguments).
 */
int cli_getopt_next(struct cli_getopt *g);
/* Parses a whole command line whose options only need keeping: then cli_getopt_value gives each. 0, or -1 as
 * cli_getopt_next. */
int cli_getopt_all(struct cli_getopt *g, const struct cli_command *self, int argc, char **argv);
/* The last value given for the option of this key ("" for a flag), or NULL when it was not given. */
const char *cli_getopt_value(const struct cli_getopt *g, int key);

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
/* A usage error: one line saying what to write instead; returns EXIT_USAGE. */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const struct cli_command *cli_find(const char *noun, const char *verb);
/* An option's help text as --help and planreg(1) show it: the help, then "(default: ...)" when there is one. */
void cli_option_help(const struct cli_option *o, char *out, size_t size);
/* Prints the command's --help text, generated from its declaration. */
void cli_print_help(const struct cli_command *cmd, FILE *out);
/* Prints "planreg NOUN VERB ARGS [options]" generated from the declaration, starting at column col and
 * wrapped to 79 columns under the first argument. */
void cli_print_synopsis(const struct cli_command *cmd, FILE *out, size_t col);
/* "table|csv|json" for the formats cmd offers, sep between them. */
void cli_formats_text(const struct cli_command *cmd, char *out, size_t size, char sep);
/* Prints a bash completion script generated from the command table. */
void cli_print_completion(FILE *out);

/*
 * Resolves the settings (flags, then PLANREG_*, then client.conf) once, when
 * first needed: --help and local-only work never read client.conf. Returns
 * EXIT_OK, or EXIT_USAGE after printing why.
 */
int cli_settings(struct cli *cli);

/*
 * Sends a request whose body is body (of the oneof case body_case) and waits
 * for the answer. Returns 0 with *resp set and carrying the matching body, or
 * the exit code after printing why: a refusal, a transport failure, or an
 * answer without its body (EXIT_REFUSED).
 */
int cli_request(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, Planreg__V1__Response **resp);
/* The request envelope around body (of the oneof case body_case), with an idempotency key (NULL: none). */
void cli_envelope(Planreg__V1__Request *req, Planreg__V1__Request__BodyCase body_case, void *body, const char *key);
/* As cli_request, with an idempotency key, and a refusal is not printed: *resp carries its status. */
int cli_request_quiet(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *key,
		      Planreg__V1__Response **resp);
/* Whether resp refuses a page as too large (long narratives) while *page_size can still halve; if so, it
 * halves *page_size and frees resp, and the caller asks again. */
bool cli_page_halved(Planreg__V1__Response *resp, int32_t *page_size);

/* The body of an answer (whichever member of its oneof is set), or NULL. */
const void *cli_response_body(const Planreg__V1__Response *resp);

/*
 * How a listing prints (cli_listing.c): a table for people; CSV and JSON from
 * one set of rows, so that the CSV columns are the JSON keys (docs/json.md).
 * answer is what is listed (an answer's body, or the pages gathered) and arg
 * what else the command's output needs (the period named in a title); the
 * functions are given both as they are.
 */
struct cli_listing {
	const char *const *keys; /* the CSV columns: exactly the keys a row may have */
	size_t n_keys;
	void (*rows)(struct output_rows *r, const void *answer, const void *arg);
	/* the JSON when it is not the rows as an array of objects (nested shapes); NULL: it is */
	void (*json)(struct json *j, const void *answer, const void *arg);
	/* the table for people, printed after whatever the function printed itself (a headline) */
	struct output_table *(*table)(const void *answer, const void *arg);
};
#define CLI_LISTING_KEYS(keys) keys, sizeof keys / sizeof keys[0]
/* The listing NAME_listing made of NAME_keys, NAME_rows and NAME_table (its JSON is the rows). */
#define CLI_LISTING_OF(name)                                                                                           \
	static const struct cli_listing name##_listing = {                                                             \
		.keys = CLI_LISTING_KEYS(name##_keys), .rows = name##_rows, .table = name##_table}
/* Prints answer as the listing l in fmt, on stdout. */
void cli_listing_print(const struct cli_listing *l, const void *answer, const void *arg, enum output_format fmt);
/* A listing that comes in pages (docs/protocol.md, "Answers of any size"): sends body, then again while
 * next(body, answer) says where the next page starts (it sets that in body; false after the last page), and
 * prints the items of the repeated field named items of every page as one answer to l, once all have come;
 * nothing is printed when a page fails. The exit code. */
int cli_listing_pages(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *items,
		      bool (*next)(void *body, const void *answer), const struct cli_listing *l, const void *arg,
		      enum output_format fmt);
/* Every page of a paged answer, kept: the pages (which own the items), and the items of the repeated message
 * field named items of every page, in order. cli_pages_fetch asks as cli_listing_pages does and returns the
 * exit code (on failure nothing is kept); cli_pages_free frees what it kept. */
struct cli_pages {
	Planreg__V1__Response **pages;
	size_t n_pages;
	void **items;
	size_t n;
	const ProtobufCFieldDescriptor *field;
};
int cli_pages_fetch(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *items,
		    bool (*next)(void *body, const void *answer), struct cli_pages *out);
void cli_pages_free(struct cli_pages *p);
/* Sends body (of the oneof case body_case) and prints the answer's body as l in fmt; the exit code. */
int cli_listing_request(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body,
			const struct cli_listing *l, const void *arg, enum output_format fmt);

/* A JSON document on stdout: cli_json_begin gives the writer, cli_json_end prints it. */
struct cli_json {
	struct buf b;
	struct json *j;
};
struct json *cli_json_begin(struct cli_json *doc);
void cli_json_end(struct cli_json *doc);
/* Writes the scalar fields of m named in names (separated by spaces) into the object j is writing, each as its
 * name and its value, as output_rows_fields (output.h) reads them. */
void cli_json_fields(struct json *j, const ProtobufCMessage *m, const char *names);
/* key and an array of the n strings of items. */
void cli_json_strings(struct json *j, const char *key, char *const *items, size_t n);
/* Prints a listing's rows as JSON (an array of objects) or CSV (a header of exactly keys) on stdout. */
void cli_rows_print(const struct output_rows *rows, const char *const *keys, size_t n_keys, enum output_format fmt);

void cli_list_commands(FILE *out, const char *noun);
bool cli_noun_exists(const char *noun);

/* The stable JSON shapes (docs/json.md), cmd_projects.c: one project, a cost
 * object, an amount of pence (null when absent). */
void cli_project_json(struct json *j, const Planreg__V1__Project *p);
void cli_projects_json(struct json *j, Planreg__V1__Project *const *ps, size_t n); /* an array of them */
void cli_cost_json(struct json *j, const Planreg__V1__Cost *c);
void cli_money_json(struct json *j, const char *key, const Planreg__V1__Money *m);
/* The same amount as a row's value: pence under key, null when absent. */
void cli_money_row(struct output_rows *rows, const char *key, const Planreg__V1__Money *m);
/* A project reference argument (1..100000); a usage error otherwise. */
int cli_ref_arg(const struct cli_command *cmd, const char *s, int32_t *ref);

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
/* Every page of ListProjects for body (cmd_projects.c); on failure nothing is kept. */
struct cli_projects_pages {
	Planreg__V1__Response **resps; /* owned; freed by cli_projects_pages_free */
	size_t n_resps;
	Planreg__V1__Project **ps; /* every page's, in order */
	size_t n;
};
int cli_projects_fetch(struct cli *cli, Planreg__V1__ListProjectsRequest *body, struct cli_projects_pages *pages);
void cli_projects_pages_free(struct cli_projects_pages *pages);

/* The global options (cli_global.c): before the command, ending with an entry whose name is NULL. Their keys
 * are their own; help and version are what to do rather than settings. */
#define CLI_GLOBAL_HELP 'h'
#define CLI_GLOBAL_VERSION 'V'
extern const struct cli_option cli_global_options[];
/* The global option arg names ("--server", "--server=HOST", "-v"), or NULL. */
const struct cli_option *cli_global_find(const char *arg);
/*
 * Takes the global options that come before the command into cli (settings,
 * -v) and puts every other argument, in order, into rest (room for argc); the
 * first of them is --help, --version, an unknown option or the command.
 * EXIT_OK, or EXIT_USAGE after saying what is wrong (a missing value, a bad --timeout).
 */
int cli_global_parse(struct cli *cli, int argc, char **argv, char **rest, int *nrest);
/* The global options' lines of `planreg --help`. */
void cli_global_print_help(FILE *out);

/* Every command, NULL-terminated, in `planreg --help` order (cli.c). */
const struct cli_command *const *cli_all_commands(void);

/* The commands, declared in cmd_<noun>.c. */
extern const struct cli_command cmd_whoami, cmd_themes_list, cmd_plan_import, cmd_projects_list, cmd_projects_show;
extern const struct cli_command cmd_org_list, cmd_org_set, cmd_org_set_contact;
extern const struct cli_command cmd_person_add, cmd_person_list, cmd_person_remove;
extern const struct cli_command cmd_projects_assign, cmd_projects_unassign;
extern const struct cli_command cmd_join, cmd_cred_enrol, cmd_cred_revoke, cmd_cred_list, cmd_cred_invite,
	cmd_cred_invitations, cmd_cred_uninvite, cmd_cred_renew;
extern const struct cli_command cmd_update_submit, cmd_update_template, cmd_update_history, cmd_update_list,
	cmd_update_show, cmd_update_review;
extern const struct cli_command cmd_audit_verify, cmd_export_updates, cmd_export_open_data, cmd_report_html;
extern const struct cli_command cmd_update_receipt, cmd_audit_check_receipt;
extern const struct cli_command cmd_audit_witness_key, cmd_audit_witness_enrol, cmd_audit_witness;
extern const struct cli_command cmd_status_show, cmd_status_outstanding, cmd_status_timeliness, cmd_status_diff,
	cmd_status_movement;
extern const struct cli_command cmd_update_evidence;
extern const struct cli_command cmd_query_raise, cmd_query_answer, cmd_query_reply, cmd_query_close, cmd_query_list,
	cmd_query_show; /* cmd_query.c */
extern const struct cli_command cmd_change_list, cmd_change_show, cmd_change_approve, cmd_change_reject;
extern const struct cli_command cmd_indicator_add, cmd_indicator_list, cmd_indicator_show;
extern const struct cli_command cmd_remind_run, cmd_remind_log, cmd_remind_policy, cmd_completion_bash;
extern const struct cli_command cmd_plan_list, cmd_plan_show; /* cmd_plan_show.c */

#endif
