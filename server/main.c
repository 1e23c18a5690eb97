/* main.c - planregd's command line: serve (the default), migrate, check-config, enrol, invite. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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

	int rc;
	if (strcmp(command, "migrate") == 0 && optind == argc) {
		rc = migrate_run(cfg.db_dsn, stdout, &err) ? 0 : 1;
	} else if (strcmp(command, "check-config") == 0 && optind == argc) {
		config_print(&cfg, stdout);
		rc = config_check_serve(&cfg, &err) ? 0 : 2;
	} else if (strcmp(command, "enrol") == 0) {
		rc = main_enrol(&cfg, argc - optind, argv + optind, &err);
	} else if (strcmp(command, "invite") == 0) {
		rc = main_invite(&cfg, argc - optind + 1, argv + optind - 1, &err);
	} else if (strcmp(command, "serve") == 0 && optind == argc) {
		rc = config_check_serve(&cfg, &err) ? main_serve(&cfg, config_file, &err) : 2;
	} else {
		fprintf(stderr, "planregd: unknown command or extra arguments: %s\n", command);
		main_usage(stderr);
		rc = 2;
	}
	if (err) {
		fprintf(stderr, "planregd: %s\n", err);
		free(err);
	}
	config_free(&cfg);
	return rc;
}
