/* cli_global.c - planreg's global options, the ones before the command
 * (--server, --cert, ..., --help, --version): declared once, and from that
 * declaration read off the command line, listed by `planreg --help`, offered
 * by the completion script (cli_spec.c) and documented in planreg(1). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xmalloc.h"

const struct cli_option cli_global_options[] = {
	{.name = "server",
	 .key = 's',
	 .arg = "HOST:PORT",
	 .help = "planregd to talk to (PLANREG_SERVER; default " SETTINGS_DEFAULT_SERVER ")"},
	{.name = "cert",
	 .key = 'c',
	 .arg = "FILE",
	 .help = "your client certificate (PLANREG_CERT)",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "key",
	 .key = 'k',
	 .arg = "FILE",
	 .help = "its private key (PLANREG_KEY)",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "ca",
	 .key = 'a',
	 .arg = "FILE",
	 .help = "CA certificate that issued the server's (PLANREG_CA)",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "timeout",
	 .key = 't',
	 .arg = "SECONDS",
	 .help = "give up waiting after this (PLANREG_TIMEOUT; default 60)"},
	{.name = "verbose", .key = 'v', .short_name = true, .help = "print the daemon's id of each request on stderr"},
	{.name = "help",
	 .key = CLI_GLOBAL_HELP,
	 .short_name = true,
	 .help = "help; `planreg NOUN VERB --help` for a command"},
	{.name = "version", .key = CLI_GLOBAL_VERSION, .help = "print the version"},
	{0},
};

/* Whether arg is o: "--name", "-k" for a short name, or "--name=VALUE" when o takes a value. */
static bool cli_global_is(const struct cli_option *o, const char *arg)
{
	if (o->short_name && arg[0] == '-' && arg[1] == o->key && arg[2] == '\0')
		return true;
	size_t n = strlen(o->name);
	if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, o->name, n) != 0)
		return false;
	return arg[2 + n] == '\0' || (o->arg && arg[2 + n] == '=');
}

const struct cli_option *cli_global_find(const char *arg)
{
	for (const struct cli_option *o = cli_global_options; o->name; o++)
		if (cli_global_is(o, arg))
			return o;
	return NULL;
}

/* Sets what o says, with its value (NULL for a flag); false after saying what is wrong. */
static bool cli_global_take(struct cli *cli, const struct cli_option *o, const char *value)
{
	char **slot = NULL;
	switch (o->key) {
	case 's':
		slot = &cli->settings.server;
		break;
	case 'c':
		slot = &cli->settings.cert;
		break;
	case 'k':
		slot = &cli->settings.key;
		break;
	case 'a':
		slot = &cli->settings.ca;
		break;
	case 't':
		if (!settings_seconds(value, &cli->settings.timeout_ms))
			return cli_fail(EXIT_USAGE, "--timeout takes a number of seconds, not \"%s\"", value), false;
		return true;
	case 'v':
		cli->verbose = true;
		return true;
	}
	free(*slot);
	*slot = xstrdup(value);
	return true;
}

int cli_global_parse(struct cli *cli, int argc, char **argv, char **rest, int *nrest)
{
	/* global options come before the command: `cred enrol --cert FILE` means the file to enrol */
	bool in_command = false;
	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			in_command = true;
		const struct cli_option *o = in_command ? NULL : cli_global_find(argv[i]);
		/* --help and --version are what to do, not settings: main sees them first in rest */
		if (o == NULL || o->key == CLI_GLOBAL_HELP || o->key == CLI_GLOBAL_VERSION) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		const char *value = o->arg ? strchr(argv[i], '=') : NULL;
		if (value != NULL) {
			value++;
		} else if (o->arg && i + 1 >= argc) {
			return cli_fail(EXIT_USAGE, "--%s needs a value", o->name);
		} else if (o->arg) {
			value = argv[++i];
		}
		if (!cli_global_take(cli, o, value))
			return EXIT_USAGE;
	}
	return EXIT_OK;
}

void cli_global_print_help(FILE *out)
{
	for (const struct cli_option *o = cli_global_options; o->name; o++) {
		char head[64], shrt[8] = "";
		if (o->short_name)
			snprintf(shrt, sizeof shrt, "-%c, ", o->key);
		snprintf(head, sizeof head, "%s--%s%s%s", shrt, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-20s %s\n", head, o->help);
	}
}
