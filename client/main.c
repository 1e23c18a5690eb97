/* main.c - planreg's entry: the global options (cli_global.c), then `planreg NOUN VERB [options]`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "file_output.h"
#include "xmalloc.h"

static void main_help(FILE *out)
{
	fprintf(out, "usage: planreg [global options] NOUN VERB [options]\n"
		     "\n"
		     "planreg talks to planregd, the progress register of the digital strategy action plan.\n"
		     "\n"
		     "Commands:\n");
	cli_list_commands(out, NULL);
	fprintf(out, "\n"
		     "Global options, before the command (or PLANREG_* variables, then\n"
		     "$XDG_CONFIG_HOME/planreg/client.conf):\n");
	cli_global_print_help(out);
	fprintf(out, "\n"
		     "Exit codes: 0 ok, 1 the server said no (or the output could not be written),\n"
		     "2 usage or unreadable input, 3 cannot connect or authenticate.\n");
}

/* A noun with no such verb: its verbs, on stdout when asked for (`planreg NOUN --help`), else as an error. */
static int main_noun(const char *noun, const char *verb)
{
	if (verb == NULL || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		FILE *out = verb ? stdout : stderr;
		fprintf(out, "usage: planreg %s VERB [options]\n\nCommands:\n", noun);
		cli_list_commands(out, noun);
		return verb ? EXIT_OK : EXIT_USAGE;
	}
	fprintf(stderr, "planreg: unknown command \"%s %s\"; the %s commands are:\n", noun, verb, noun);
	cli_list_commands(stderr, noun);
	return EXIT_USAGE;
}

/* `planreg NOUN [VERB] ...`: the command runs with its verb as argv[0], then its own arguments. */
static int main_command(struct cli *cli, char **rest, int nrest)
{
	if (!cli_noun_exists(rest[0]))
		return cli_fail(EXIT_USAGE, "unknown command \"%s\" (planreg --help lists the commands)", rest[0]);
	/* a noun that is a command itself (`status`) may also have verbs (`status diff`) */
	const struct cli_command *cmd = nrest > 1 && rest[1][0] != '-' ? cli_find(rest[0], rest[1]) : NULL;
	int shift = 2;
	if (cmd == NULL) {
		cmd = cli_find(rest[0], "");
		shift = 1;
	}
	if (cmd == NULL)
		return main_noun(rest[0], nrest > 1 ? rest[1] : NULL);
	/* settings are resolved when the command first connects (cli_settings), so --help never reads client.conf */
	return cmd->run(cli, cmd, nrest - shift + 1, rest + shift - 1);
}

/* What the arguments left after the global options ask for: help, the version, or a command. */
static int main_dispatch(struct cli *cli, char **rest, int nrest)
{
	if (nrest == 0) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	const struct cli_option *global = cli_global_find(rest[0]);
	if ((global && global->key == CLI_GLOBAL_HELP) || strcmp(rest[0], "help") == 0) {
		main_help(stdout);
		return EXIT_OK;
	}
	if ((global && global->key == CLI_GLOBAL_VERSION) || strcmp(rest[0], "version") == 0) {
		printf("planreg %s\n", PLANREG_VERSION);
		return EXIT_OK;
	}
	if (rest[0][0] == '-')
		return cli_fail(EXIT_USAGE, "unknown option %.*s (planreg --help lists the global options)",
				(int)strcspn(rest[0], "="), rest[0]);
	return main_command(cli, rest, nrest);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	file_output_watch_stdout();
	struct cli cli;
	memset(&cli, 0, sizeof cli);
	cli.stdout_tty = isatty(STDOUT_FILENO);
	cli.stderr_tty = isatty(STDERR_FILENO);
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	int nrest;
	int rc = cli_global_parse(&cli, argc, argv, rest, &nrest);
	if (rc == EXIT_OK)
		rc = main_dispatch(&cli, rest, nrest);
	net_close(cli.net);
	settings_free(&cli.settings);
	free(rest);
	return file_output_close_stdout(rc);
}
