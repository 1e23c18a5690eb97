/* main.c - planreg's entry: global settings, then `planreg NOUN VERB [options]`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "xmalloc.h"

static void main_help(FILE *out)
{
	fprintf(out, "usage: planreg [global options] NOUN VERB [options]\n"
		     "\n"
		     "planreg talks to planregd, the progress register of the digital strategy action plan.\n"
		     "\n"
		     "Commands:\n");
	cli_list_commands(out, NULL);
	fprintf(out,
		"\n"
		"Global options, before the command (or PLANREG_* variables, then\n"
		"$XDG_CONFIG_HOME/planreg/client.conf):\n"
		"  --server HOST:PORT   planregd to talk to (PLANREG_SERVER; default " SETTINGS_DEFAULT_SERVER ")\n"
		"  --cert FILE          your client certificate (PLANREG_CERT)\n"
		"  --key FILE           its private key (PLANREG_KEY)\n"
		"  --ca FILE            CA certificate that issued the server's (PLANREG_CA)\n"
		"  --timeout SECONDS    give up waiting after this (PLANREG_TIMEOUT; default 60)\n"
		"  -v, --verbose        print the daemon's id of each request on stderr\n"
		"  -h, --help           help; `planreg NOUN VERB --help` for a command\n"
		"  --version            print the version\n"
		"\n"
		"Exit codes: 0 ok, 1 the server said no, 2 usage or unreadable input,\n"
		"3 cannot connect or authenticate.\n");
}

/* Takes --server/--cert/--key/--ca/--timeout from anywhere on the line; returns false on a missing value. */
static bool main_global_option(struct cli *cli, int argc, char **argv, int *i)
{
	static const char *const names[] = {"--server", "--cert", "--key", "--ca", "--timeout"};
	char **slots[] = {&cli->settings.server, &cli->settings.cert, &cli->settings.key, &cli->settings.ca, NULL};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		size_t n = strlen(names[k]);
		if (strncmp(argv[*i], names[k], n) != 0 || (argv[*i][n] != '\0' && argv[*i][n] != '='))
			continue;
		const char *value = argv[*i][n] == '=' ? argv[*i] + n + 1 : NULL;
		if (value == NULL) {
			if (*i + 1 >= argc) {
				cli_fail(EXIT_USAGE, "%s needs a value", names[k]);
				return false;
			}
			value = argv[++*i];
		}
		if (slots[k]) {
			free(*slots[k]);
			*slots[k] = xstrdup(value);
		} else {
			char *end;
			long secs = strtol(value, &end, 10);
			if (*end != '\0' || secs <= 0 || secs > 86400) {
				cli_fail(EXIT_USAGE, "--timeout takes a number of seconds, not \"%s\"", value);
				return false;
			}
			cli->settings.timeout_ms = (int)secs * 1000;
		}
		return true;
	}
	return true;
}

static bool main_is_global(const char *a)
{
	static const char *const names[] = {"--server", "--cert", "--key", "--ca", "--timeout"};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		size_t n = strlen(names[k]);
		if (strncmp(a, names[k], n) == 0 && (a[n] == '\0' || a[n] == '='))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	struct cli cli;
	memset(&cli, 0, sizeof cli);
	cli.stdout_tty = isatty(STDOUT_FILENO);
	cli.stderr_tty = isatty(STDERR_FILENO);

	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0;
	/* global options come before the command: `cred enrol --cert FILE` means the file to enrol */
	bool in_command = false;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			in_command = true;
		if (!in_command && (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)) {
			cli.verbose = true;
			continue;
		}
		if (!in_command && main_is_global(argv[i])) {
			if (!main_global_option(&cli, argc, argv, &i)) {
				free(rest);
				settings_free(&cli.settings);
				return EXIT_USAGE;
			}
			continue;
		}
		rest[nrest++] = argv[i];
	}

	int rc;
	if (nrest == 0) {
		main_help(stderr);
		rc = EXIT_USAGE;
	} else if (strcmp(rest[0], "-h") == 0 || strcmp(rest[0], "--help") == 0 || strcmp(rest[0], "help") == 0) {
		main_help(stdout);
		rc = EXIT_OK;
	} else if (strcmp(rest[0], "--version") == 0 || strcmp(rest[0], "version") == 0) {
		printf("planreg %s\n", PLANREG_VERSION);
		rc = EXIT_OK;
	} else if (rest[0][0] == '-') {
		rc = cli_fail(EXIT_USAGE, "unknown option %.*s (planreg --help lists the global options)",
			      (int)strcspn(rest[0], "="), rest[0]);
	} else if (!cli_noun_exists(rest[0])) {
		rc = cli_fail(EXIT_USAGE, "unknown command \"%s\" (planreg --help lists the commands)", rest[0]);
	} else {
		/* a noun that is a command itself (`status`) may also have verbs (`status diff`) */
		const struct cli_command *cmd = nrest > 1 && rest[1][0] != '-' ? cli_find(rest[0], rest[1]) : NULL;
		int shift = 2;
		if (cmd == NULL) {
			cmd = cli_find(rest[0], "");
			shift = 1;
		}
		if (cmd == NULL) {
			const char *verb = nrest > 1 ? rest[1] : NULL;
			if (verb == NULL || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
				FILE *out = verb ? stdout : stderr;
				fprintf(out, "usage: planreg %s VERB [options]\n\nCommands:\n", rest[0]);
				cli_list_commands(out, rest[0]);
				free(rest);
				settings_free(&cli.settings);
				return verb ? EXIT_OK : EXIT_USAGE;
			}
			cmd = cli_find(rest[0], verb);
			shift = 2;
			if (cmd == NULL) {
				fprintf(stderr, "planreg: unknown command \"%s %s\"; the %s commands are:\n", rest[0],
					verb, rest[0]);
				cli_list_commands(stderr, rest[0]);
				free(rest);
				settings_free(&cli.settings);
				return EXIT_USAGE;
			}
		}
		/* the command sees its verb as argv[0], then its own arguments; settings are
		 * resolved when it first connects (cli_settings), so --help never reads client.conf */
		rc = cmd->run(&cli, cmd, nrest - shift + 1, rest + shift - 1);
	}
	net_close(cli.net);
	settings_free(&cli.settings);
	free(rest);
	return rc;
}
