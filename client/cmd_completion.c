/* cmd_completion.c - `planreg completion bash`: the bash completion script,
 * generated from the command table (cli_spec.c), so it never drifts from it. */
#include "cli.h"

static int cmd_completion_bash_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	(void)cli;
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	cli_print_completion(stdout);
	return EXIT_OK;
}

const struct cli_command cmd_completion_bash = {
	.noun = "completion",
	.verb = "bash",
	.summary = "print the bash completion script (source <(planreg completion bash))",
	.help = "Prints a bash completion script for planreg's commands, options and their values.\n"
		"Load it with `source <(planreg completion bash)`, or save it as\n"
		"/usr/share/bash-completion/completions/planreg.\n",
	.local = true,
	.run = cmd_completion_bash_run,
};
