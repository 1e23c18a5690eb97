/* cli_spec.c - what follows from a command's declaration (struct cli_command):
 * option parsing, the synopsis, --help, and the bash completion script. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xmalloc.h"

#define CLI_KEY_HELP 'h'
#define CLI_KEY_FORMAT 0x7fff

static const char *const cli_format_names[] = {"table", "csv", "json"};

static size_t cli_option_count(const struct cli_command *cmd)
{
	size_t n = 0;
	while (cmd->options && cmd->options[n].name)
		n++;
	return n;
}

void cli_formats_text(const struct cli_command *cmd, char *out, size_t size, char sep)
{
	out[0] = '\0';
	for (size_t f = 0; f < 3; f++)
		if (cmd->formats & (1u << f)) {
			size_t len = strlen(out);
			snprintf(out + len, size - len, "%s%s", len ? (char[]){sep, '\0'} : "", cli_format_names[f]);
		}
}

/* "table, csv or json", "csv or json" */
static void cli_formats_words(const struct cli_command *cmd, char *out, size_t size)
{
	const char *names[3];
	size_t n = 0;
	for (size_t f = 0; f < 3; f++)
		if (cmd->formats & (1u << f))
			names[n++] = cli_format_names[f];
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(out);
		snprintf(out + len, size - len, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	}
}

static void cli_command_name(const struct cli_command *cmd, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", cmd->noun, cmd->verb[0] ? " " : "", cmd->verb);
}

void cli_getopt_begin(struct cli_getopt *g, const struct cli_command *self, int argc, char **argv)
{
	memset(g, 0, sizeof *g);
	g->self = self;
	g->argc = argc;
	g->argv = argv;
	size_t n = cli_option_count(self), k = 0, s = 0;
	if (n > CLI_OPTIONS_MAX)
		abort();         /* a declaration error: raise CLI_OPTIONS_MAX */
	g->shortopts[s++] = ':'; /* a missing value is ':', not '?' */
	g->shortopts[s++] = 'h';
	for (size_t i = 0; i < n; i++) {
		const struct cli_option *o = &self->options[i];
		g->longopts[k++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
		if (o->short_name) {
			g->shortopts[s++] = (char)o->key;
			if (o->arg)
				g->shortopts[s++] = ':';
		}
	}
	if (self->formats)
		g->longopts[k++] = (struct option){"format", required_argument, NULL, CLI_KEY_FORMAT};
	g->longopts[k++] = (struct option){"help", no_argument, NULL, CLI_KEY_HELP};
	g->longopts[k] = (struct option){NULL, 0, NULL, 0};
	for (unsigned f = 0; f < 3; f++)
		if (self->formats & (1u << f)) {
			g->format = (enum output_format)f;
			break;
		}
	optind = 1;
	opterr = 0;
}

static int cli_getopt_fail(struct cli_getopt *g, int rc)
{
	g->rc = rc;
	return -1;
}

/* The option getopt could not take, as the user wrote it (without "=value"), into name. */
static void cli_getopt_name(const struct cli_getopt *g, char *name, size_t size)
{
	const char *arg = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : "";
	if (strncmp(arg, "--", 2) == 0)
		snprintf(name, size, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, size, "-%c", optopt ? optopt : '?');
}

/* An option that is not the command's, or a flag given a value (--capital=3). */
static int cli_getopt_unknown(struct cli_getopt *g)
{
	char name[64], cmd[64];
	cli_getopt_name(g, name, sizeof name);
	cli_command_name(g->self, cmd, sizeof cmd);
	const char *arg = g->argv[optind - 1];
	if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=') != NULL && optopt != 0)
		return cli_usage(g->self, "%s takes no value", name);
	return cli_fail(EXIT_USAGE, "%s: unknown option %s (planreg %s --help lists the options)", cmd, name, cmd);
}

static const struct cli_option *cli_option_by_key(const struct cli_command *cmd, int key, size_t *index)
{
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++)
		if (cmd->options[i].key == key) {
			*index = i;
			return &cmd->options[i];
		}
	return NULL;
}

static int cli_getopt_args(struct cli_getopt *g)
{
	const struct cli_command *self = g->self;
	g->args = g->argv + optind;
	g->nargs = g->argc - optind;
	if (self->format_required && !g->format_given) {
		char offered[64] = "";
		for (size_t f = 0; f < 3; f++)
			if (self->formats & (1u << f)) {
				size_t len = strlen(offered);
				snprintf(offered + len, sizeof offered - len, "%s--format %s", len ? " or " : "",
					 cli_format_names[f]);
			}
		return cli_getopt_fail(g, cli_usage(self, "%s is required", offered));
	}
	if (g->nargs >= self->min_args && g->nargs <= self->max_args)
		return 0;
	if (g->nargs > self->max_args && self->max_args == 0)
		return cli_getopt_fail(g, cli_usage(self, "unexpected argument \"%s\"", g->args[0]));
	return cli_getopt_fail(g, cli_usage(self, "give %s", self->args_what ? self->args_what : self->args));
}

int cli_getopt_next(struct cli_getopt *g)
{
	const struct cli_command *self = g->self;
	int ch = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, NULL);
	if (ch == -1)
		return cli_getopt_args(g);
	if (ch == CLI_KEY_HELP) {
		cli_print_help(self, stdout);
		return cli_getopt_fail(g, EXIT_OK);
	}
	if (ch == '?')
		return cli_getopt_fail(g, cli_getopt_unknown(g));
	if (ch == ':') {
		char name[64];
		cli_getopt_name(g, name, sizeof name);
		return cli_getopt_fail(g, cli_usage(self, "%s needs a value", name));
	}
	if (ch == CLI_KEY_FORMAT) {
		char offered[32];
		/* the last --format counts, so that a script may append its own */
		if (!output_parse_format(optarg, &g->format) || !(self->formats & (1u << g->format))) {
			cli_formats_words(self, offered, sizeof offered);
			return cli_getopt_fail(g, cli_usage(self, "--format must be %s, not \"%s\"", offered, optarg));
		}
		g->format_given = true;
		return cli_getopt_next(g);
	}
	size_t i;
	const struct cli_option *o = cli_option_by_key(self, ch, &i);
	if (o && !o->repeatable && g->seen[i]++ > 0)
		return cli_getopt_fail(g, cli_usage(self, "--%s is given twice; give it once", o->name));
	if (o)
		g->values[i] = o->arg ? optarg : "";
	return ch;
}

const char *cli_getopt_value(const struct cli_getopt *g, int key)
{
	size_t i;
	return cli_option_by_key(g->self, key, &i) ? g->values[i] : NULL;
}

int cli_getopt_all(struct cli_getopt *g, const struct cli_command *self, int argc, char **argv)
{
	cli_getopt_begin(g, self, argc, argv);
	int ch;
	while ((ch = cli_getopt_next(g)) > 0)
		; /* each is kept in g->values */
	return ch;
}

#define CLI_SYNOPSIS_WIDTH 79

/* Appends one piece of a synopsis, wrapping before it when the line would pass the width. */
static void cli_synopsis_piece(FILE *out, const char *piece, size_t *col, size_t indent)
{
	size_t len = strlen(piece);
	if (*col + 1 + len > CLI_SYNOPSIS_WIDTH && *col > indent) {
		fprintf(out, "\n%*s", (int)indent, "");
		*col = indent;
	} else {
		fputc(' ', out);
		(*col)++;
	}
	fputs(piece, out);
	*col += len;
}

/* "[--theme N]", "--period P", "[--risk TEXT]..." */
static void cli_option_usage(const struct cli_option *o, char *out, size_t size)
{
	snprintf(out, size, "%s--%s%s%s%s%s", o->required ? "" : "[", o->name, o->arg ? " " : "", o->arg ? o->arg : "",
		 o->required ? "" : "]", o->repeatable ? "..." : "");
}

void cli_print_synopsis(const struct cli_command *cmd, FILE *out, size_t col)
{
	char name[64], piece[128];
	cli_command_name(cmd, name, sizeof name);
	col += (size_t)fprintf(out, "planreg %s", name);
	size_t indent = col + 1;
	if (cmd->args && cmd->args[0])
		cli_synopsis_piece(out, cmd->args, &col, indent);
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++) {
		cli_option_usage(&cmd->options[i], piece, sizeof piece);
		cli_synopsis_piece(out, piece, &col, indent);
	}
	if (cmd->formats) {
		char offered[32];
		cli_formats_text(cmd, offered, sizeof offered, '|');
		snprintf(piece, sizeof piece, cmd->format_required ? "--format %s" : "[--format %s]", offered);
		cli_synopsis_piece(out, piece, &col, indent);
	}
}

void cli_option_help(const struct cli_option *o, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s%s", o->help, o->when_absent ? " (default: " : "",
		 o->when_absent ? o->when_absent : "", o->when_absent ? ")" : "");
}

static void cli_help_line(FILE *out, const char *head, const char *text)
{
	if (strlen(head) <= 24)
		fprintf(out, "  %-24s %s\n", head, text);
	else
		fprintf(out, "  %s\n  %-24s %s\n", head, "", text);
}

void cli_print_help(const struct cli_command *cmd, FILE *out)
{
	fputs("usage: ", out);
	cli_print_synopsis(cmd, out, strlen("usage: "));
	fprintf(out, "\n\n%s\n", cmd->summary);
	if (cmd->help && cmd->help[0])
		fprintf(out, "\n%s", cmd->help);
	fputs("\nOptions:\n", out);
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++) {
		const struct cli_option *o = &cmd->options[i];
		char head[64], shrt[8] = "";
		if (o->short_name)
			snprintf(shrt, sizeof shrt, "-%c, ", o->key);
		snprintf(head, sizeof head, "%s--%s%s%s", shrt, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		char text[256];
		cli_option_help(o, text, sizeof text);
		cli_help_line(out, head, text);
	}
	if (cmd->formats) {
		char offered[32], head[48], text[64];
		cli_formats_text(cmd, offered, sizeof offered, '|');
		snprintf(head, sizeof head, "--format %s", offered);
		if (cmd->format_required)
			snprintf(text, sizeof text, "output format (required)");
		else if (cmd->format_default)
			snprintf(text, sizeof text, "output format (default %s)", cmd->format_default);
		else
			snprintf(text, sizeof text, "output format (default %s)",
				 cli_format_names[__builtin_ctz(cmd->formats)]);
		cli_help_line(out, head, text);
	}
	cli_help_line(out, "-h, --help", "this help");
}

/* The options of one command for completion: "--theme --lead ... --help". */
static void cli_completion_options(const struct cli_command *cmd, FILE *out)
{
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++)
		fprintf(out, "--%s ", cmd->options[i].name);
	if (cmd->formats)
		fputs("--format ", out);
	fputs("--help", out);
}

/* What completes after an option that takes a value: a case arm per option with choices or files. */
static void cli_completion_values(const struct cli_command *cmd, FILE *out)
{
	if (cmd->formats) {
		char offered[32];
		cli_formats_text(cmd, offered, sizeof offered, ' ');
		fprintf(out, "\t\t--format) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", offered);
	}
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++) {
		const struct cli_option *o = &cmd->options[i];
		if (o->complete == CLI_COMPLETE_CHOICES)
			fprintf(out, "\t\t--%s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", o->name,
				o->choices);
		else if (o->complete == CLI_COMPLETE_FILE)
			fprintf(out, "\t\t--%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", o->name);
		else if (o->arg)
			fprintf(out, "\t\t--%s) return ;;\n", o->name);
	}
}

/* Which global options a completion list names. */
enum cli_completion_pick {
	CLI_PICK_VALUE,      /* those that take a value */
	CLI_PICK_FILE_VALUE, /* those whose value is a file */
	CLI_PICK_TEXT_VALUE, /* those whose value is anything else */
	CLI_PICK_ALL,
};

/* The long names of the global options picked, sep between them: "--server|--cert|...". */
static void cli_completion_globals(FILE *out, enum cli_completion_pick pick, const char *sep)
{
	const char *between = "";
	for (const struct cli_option *o = cli_global_options; o->name; o++) {
		bool file = o->complete == CLI_COMPLETE_FILE;
		if ((pick == CLI_PICK_VALUE && !o->arg) || (pick == CLI_PICK_FILE_VALUE && (!o->arg || !file)) ||
		    (pick == CLI_PICK_TEXT_VALUE && (!o->arg || file)))
			continue;
		fprintf(out, "%s--%s", between, o->name);
		between = sep;
	}
}

/* The script's head: find the noun and verb past the global options; before a noun, the nouns and global options. */
static void cli_completion_head(FILE *out, const struct cli_command *const *all)
{
	fputs("# bash completion for planreg, generated by `planreg completion bash` from its command table.\n"
	      "# Load it with: source <(planreg completion bash)\n"
	      "_planreg() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} noun= verb= i w\n"
	      "\tCOMPREPLY=()\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tcase $w in\n\t\t",
	      out);
	cli_completion_globals(out, CLI_PICK_VALUE, "|");
	fputs(") [ -z \"$noun\" ] && ((i++)) ;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t*) if [ -z \"$noun\" ]; then noun=$w; elif [ -z \"$verb\" ]; then verb=$w; fi ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tif [ -z \"$noun\" ]; then\n"
	      "\t\tcase $prev in\n\t\t",
	      out);
	cli_completion_globals(out, CLI_PICK_FILE_VALUE, "|");
	fputs(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n\t\t", out);
	cli_completion_globals(out, CLI_PICK_TEXT_VALUE, "|");
	fputs(") return ;;\n\t\tesac\n\t\tCOMPREPLY=($(compgen -W \"", out);
	const char *last = "";
	for (size_t i = 0; all[i]; i++)
		if (strcmp(all[i]->noun, last) != 0) {
			fprintf(out, "%s ", all[i]->noun);
			last = all[i]->noun;
		}
	cli_completion_globals(out, CLI_PICK_ALL, " ");
	fputs("\" -- \"$cur\"))\n\t\treturn\n\tfi\n", out);
}

/* A verb is still to come: each noun's verbs (and a noun-command's own options). */
static void cli_completion_verbs(FILE *out, const struct cli_command *const *all)
{
	fputs("\tcase \"$noun\" in\n", out);
	for (size_t i = 0; all[i]; i++) {
		if (i > 0 && strcmp(all[i]->noun, all[i - 1]->noun) == 0)
			continue;
		fprintf(out, "\t%s)\n\t\tif [ -z \"$verb\" ]; then\n\t\t\tCOMPREPLY=($(compgen -W \"", all[i]->noun);
		for (size_t k = i; all[k] && strcmp(all[k]->noun, all[i]->noun) == 0; k++)
			if (all[k]->verb[0]) {
				fprintf(out, "%s ", all[k]->verb);
			} else {
				cli_completion_options(all[k], out);
				fputc(' ', out);
			}
		fputs("\" -- \"$cur\"))\n\t\t\treturn\n\t\tfi ;;\n", out);
	}
	fputs("\tesac\n", out);
}

void cli_print_completion(FILE *out)
{
	const struct cli_command *const *all = cli_all_commands();
	cli_completion_head(out, all);
	cli_completion_verbs(out, all);
	fputs("\tcase \"$noun $verb\" in\n", out);
	for (size_t i = 0; all[i]; i++) {
		const struct cli_command *c = all[i];
		/* a noun-command (`status`) sees its options where a verb would be */
		if (c->verb[0])
			fprintf(out, "\t\"%s %s\")\n", c->noun, c->verb);
		else
			fprintf(out, "\t\"%s \")\n", c->noun);
		fputs("\t\tcase $prev in\n", out);
		cli_completion_values(c, out);
		fputs("\t\tesac\n\t\tCOMPREPLY=($(compgen -W \"", out);
		cli_completion_options(c, out);
		fputs("\" -- \"$cur\")) ;;\n", out);
	}
	fputs("\tesac\n}\ncomplete -o default -F _planreg planreg\n", out);
}
