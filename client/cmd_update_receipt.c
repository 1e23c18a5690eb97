/* cmd_update_receipt.c - `planreg update receipt ID`: prints the receipt this CLI kept for an update it
 * submitted (a C2SP tlog-proof, client/receipt.c), without asking the server. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "receipt.h"
#include "xmalloc.h"

static const char cmd_update_receipt_help[] =
	"Prints the receipt kept when update ID was submitted from here: the update's\n"
	"entry in the verifiable log, its index, the inclusion proof and the signed\n"
	"checkpoint (C2SP tlog-proof). It is read from\n"
	"$XDG_DATA_HOME/planreg/receipts/; the server is not asked. Anyone can check it\n"
	"offline with `planreg audit check-receipt FILE --vkey KEY`.\n";

static int cmd_update_receipt_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	(void)cli;
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	char *end;
	long long id = strtoll(g.args[0], &end, 10);
	if (*end != '\0' || end == g.args[0] || id <= 0)
		return cli_usage(self, "ID is an update's number, not \"%s\"", g.args[0]);
	char *path = receipt_path("update", id);
	if (path == NULL)
		return cli_fail(EXIT_USAGE, "no folder for receipts: set HOME or XDG_DATA_HOME");
	size_t len;
	char *err = NULL;
	char *text = file_read(path, 1 << 20, &len, &err);
	if (text == NULL) {
		cli_fail(EXIT_USAGE,
			 "no receipt was kept here for update %lld (%s): receipts are kept by the CLI that submitted "
			 "the update, when the service signs its log",
			 id, err);
		free(err);
		free(path);
		return EXIT_USAGE;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	free(path);
	return EXIT_OK;
}

const struct cli_command cmd_update_receipt = {
	.noun = "update",
	.verb = "receipt",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one update id",
	.summary = "print the log receipt kept for an update submitted from here",
	.help = cmd_update_receipt_help,
	.local = true,
	.run = cmd_update_receipt_run,
};
