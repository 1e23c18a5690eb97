/* cli_listing.c - the one skeleton of every listing: ask, then print the
 * answer as a table, or as the CSV or JSON of its rows (see struct cli_listing). */
#include "cli.h"

void cli_listing_print(const struct cli_listing *l, const void *answer, const void *arg, enum output_format fmt)
{
	if (fmt == OUTPUT_TABLE) {
		struct output_table *t = l->table(answer, arg);
		output_table_print(t, OUTPUT_TABLE, stdout);
		output_table_free(t);
		return;
	}
	if (fmt == OUTPUT_JSON && l->json != NULL) {
		struct cli_json doc;
		l->json(cli_json_begin(&doc), answer, arg);
		cli_json_end(&doc);
		return;
	}
	struct output_rows *rows = output_rows_new();
	l->rows(rows, answer, arg);
	cli_rows_print(rows, l->keys, l->n_keys, fmt);
	output_rows_free(rows);
}

int cli_listing_request(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body,
			const struct cli_listing *l, const void *arg, enum output_format fmt)
{
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, body_case, body, &resp);
	if (rc != EXIT_OK)
		return rc;
	cli_listing_print(l, cli_response_body(resp), arg, fmt);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}
