/* main.c - planregd's command line: serve (the default), migrate, check-config, enrol, invite. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handlers/log_sign.h"
#include "log.h"
#include "main.h"
#include "migrate.h"

static void main_usage(FILE *out)
{
	fprintf(out, "usage: planregd [--config FILE] [COMMAND]\n"
		     "\n"
		     "Commands:\n"
		     "  serve          run the daemon (the default)\n"
		     "  migrate        apply database migrations (as the schema owner), then exit\n"
		     "  check-config   validate the configuration, print it, then exit\n"
		     "  log-key        make the verifiable log's signing key at log_key and print\n"
		     "                 its verifier key (for planreg audit check-receipt --vkey)\n"
		     "  enrol NAME ORG ROLE FINGERPRINT [PERSON]\n"
		     "                 enrol a credential directly in the database (bootstraps the\n"
		     "                 first admin; afterwards use `planreg cred enrol`)\n"
		     "  invite --org CODE --role ROLE --name NAME [--email ADDR] [--expires 72h]\n"
		     "                 write an invitation into the database and print its code, for\n"
		     "                 `planreg join` (bootstraps the first admin without an admin;\n"
		     "                 afterwards use `planreg cred invite`)\n"
		     "\n"
		     "Options:\n"
		     "  -c, --config FILE   config file (key = value lines); default: none\n"
		     "  -h, --help          this help, with every configuration key\n"
		     "  -V, --version       print the version\n"
		     "\n");
	config_print_help(out);
}

/* Runs command with its arguments (args[0] is the command itself); the exit status. */
static int main_command(struct config *cfg, const char *command, const char *config_file, int nargs, char **args,
			char **err)
{
	bool alone = nargs == 1;
	if (strcmp(command, "migrate") == 0 && alone)
		return migrate_run(cfg->db_dsn, stdout, err) ? 0 : 1;
	if (strcmp(command, "check-config") == 0 && alone) {
		config_print(cfg, stdout);
		return config_check_serve(cfg, err) ? 0 : 2;
	}
	if (strcmp(command, "log-key") == 0 && alone)
		return log_sign_keygen(cfg, stdout, err);
	if (strcmp(command, "enrol") == 0)
		return main_enrol(cfg, nargs - 1, args + 1, err);
	if (strcmp(command, "invite") == 0)
		return main_invite(cfg, nargs, args, err);
	if (strcmp(command, "serve") == 0 && alone)
		return config_check_serve(cfg, err) ? main_serve(cfg, config_file, err) : 2;
	fprintf(stderr, "planregd: unknown command or extra arguments: %s\n", command);
	main_usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config_file = getenv("PLANREGD_CONFIG");
	int ch;
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_file = optarg;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("planregd %s\n", PLANREG_VERSION);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	const char *command = optind < argc ? argv[optind++] : "serve";

	struct config cfg;
	char *err = NULL;
	if (!config_load(&cfg, config_file, &err)) {
		fprintf(stderr, "planregd: %s\n", err);
		free(err);
		config_free(&cfg);
		return 2;
	}
	enum log_level level = LOG_INFO;
	if (log_parse_level(cfg.log_level, &level))
		log_set_level(level);

	int rc = main_command(&cfg, command, config_file, argc - optind + 1, argv + optind - 1, &err);
	if (err) {
		fprintf(stderr, "planregd: %s\n", err);
		free(err);
	}
	config_free(&cfg);
	return rc;
}
