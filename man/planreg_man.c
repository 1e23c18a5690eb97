/* planreg_man.c - writes planreg(1)'s scdoc at build time: man/planreg.1.scd
 * on standard input, its directives filled in from planreg's own declarations
 * (client/cli.h), so that the page names every command and option exactly as
 * --help does:
 *
 *   @global --NAME       a global option: its name, value and help
 *   @command NOUN [VERB] a command's synopsis; the indented text after it is
 *                        its description, and its options follow that
 *
 * Every global option and every command must have its directive, once: the
 * build fails otherwise, naming what is missing. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "man_template.h"

/* How often each declaration has been written, to find those left out or written twice. */
struct planreg_man {
	unsigned globals[32];
	unsigned commands[64];
};

/* "*--name* _ARG_", with "*-k*, " before it when it has a short name. */
static void planreg_man_option_name(FILE *out, const struct cli_option *o)
{
	if (o->short_name)
		fprintf(out, "*-%c*, ", o->key);
	fprintf(out, "*--%s*", o->name);
	if (o->arg) {
		fputc(' ', out);
		man_template_arg(out, o->arg);
	}
}

/* An option's help as --help shows it, ending a sentence. */
static void planreg_man_option_help(FILE *out, const struct cli_option *o)
{
	char text[256];
	cli_option_help(o, text, sizeof text);
	man_template_sentence(out, text);
}

static void planreg_man_global(struct man_template *t, struct planreg_man *m, const char *name)
{
	const struct cli_option *o = cli_global_find(name);
	if (o == NULL || strncmp(name, "--", 2) != 0) {
		man_template_fail(t, "@global %s: planreg has no such global option", name);
		return;
	}
	m->globals[o - cli_global_options]++;
	planreg_man_option_name(t->out, o);
	fputs("\n\t", t->out);
	planreg_man_option_help(t->out, o);
}

/* What follows a command's description: each of its options, indented under it. */
static void planreg_man_options(FILE *out, const void *arg)
{
	const struct cli_command *cmd = arg;
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++) {
		fputs("\n\t", out);
		planreg_man_option_name(out, &cmd->options[i]);
		fputs("\n\t\t", out);
		planreg_man_option_help(out, &cmd->options[i]);
	}
}

/* "*planreg NOUN VERB* ARGS [*--option* _VALUE_]... [*--format* table|json]", as the command's synopsis. */
static void planreg_man_synopsis(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "*planreg %s%s%s*", cmd->noun, cmd->verb[0] ? " " : "", cmd->verb);
	if (cmd->args && cmd->args[0]) {
		fputc(' ', out);
		man_template_arg(out, cmd->args);
	}
	for (size_t i = 0; cmd->options && cmd->options[i].name; i++) {
		const struct cli_option *o = &cmd->options[i];
		fprintf(out, " %s*--%s*", o->required ? "" : "[", o->name);
		if (o->arg) {
			fputc(' ', out);
			man_template_arg(out, o->arg);
		}
		fprintf(out, "%s%s", o->required ? "" : "]", o->repeatable ? "..." : "");
	}
	if (cmd->formats) {
		char offered[32];
		cli_formats_text(cmd, offered, sizeof offered, '|');
		fprintf(out, cmd->format_required ? " *--format* %s" : " [*--format* %s]", offered);
	}
	fputc('\n', out);
}

static void planreg_man_command(struct man_template *t, struct planreg_man *m, const char *what)
{
	char noun[32] = "", verb[32] = "";
	if (sscanf(what, "%31s %31s", noun, verb) < 1) {
		man_template_fail(t, "@command needs a NOUN and, but for a noun that is a command, a VERB");
		return;
	}
	const struct cli_command *const *all = cli_all_commands();
	size_t i = 0;
	while (all[i] && (strcmp(all[i]->noun, noun) != 0 || strcmp(all[i]->verb, verb) != 0))
		i++;
	if (all[i] == NULL) {
		man_template_fail(t, "@command %s: planreg has no such command", what);
		return;
	}
	m->commands[i]++;
	planreg_man_synopsis(t->out, all[i]);
	man_template_after_entry(t, planreg_man_options, all[i]);
}

static void planreg_man_directive(struct man_template *t, const char *word, const char *rest, void *arg)
{
	if (strcmp(word, "global") == 0)
		planreg_man_global(t, arg, rest);
	else if (strcmp(word, "command") == 0)
		planreg_man_command(t, arg, rest);
	else
		man_template_fail(t, "unknown directive @%s (@global, @command)", word);
}

/* Every declaration written exactly once; false after naming each that is not. */
static bool planreg_man_complete(const struct planreg_man *m)
{
	bool ok = true;
	for (size_t i = 0; cli_global_options[i].name; i++)
		if (m->globals[i] != 1) {
			fprintf(stderr, "planreg.1.scd: --%s has %u @global lines; it needs one\n",
				cli_global_options[i].name, m->globals[i]);
			ok = false;
		}
	const struct cli_command *const *all = cli_all_commands();
	for (size_t i = 0; all[i]; i++)
		if (m->commands[i] != 1) {
			fprintf(stderr, "planreg.1.scd: \"%s%s%s\" has %u @command lines; it needs one\n", all[i]->noun,
				all[i]->verb[0] ? " " : "", all[i]->verb, m->commands[i]);
			ok = false;
		}
	return ok;
}

int main(void)
{
	struct planreg_man m = {0};
	size_t n_commands = 0, n_globals = 0;
	while (cli_all_commands()[n_commands])
		n_commands++;
	while (cli_global_options[n_globals].name)
		n_globals++;
	if (n_commands > sizeof m.commands / sizeof m.commands[0] || n_globals > sizeof m.globals / sizeof m.globals[0])
		abort(); /* more than this counts: raise the bound */
	int rc = man_template_run(stdin, stdout, "planreg.1.scd", planreg_man_directive, &m);
	if (!planreg_man_complete(&m))
		rc = 1;
	return rc;
}
