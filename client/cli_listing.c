/* cli_listing.c - the one skeleton of every listing: ask, then print the
 * answer as a table, or as the CSV or JSON of its rows (see struct cli_listing). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

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

/* The count and the array of the repeated field f of message m. */
static size_t *cli_listing_count(const void *m, const ProtobufCFieldDescriptor *f)
{
	return (size_t *)((char *)m + f->quantifier_offset);
}

static void ***cli_listing_items(const void *m, const ProtobufCFieldDescriptor *f)
{
	return (void ***)((char *)m + f->offset);
}

/* Prints the first page's answer with every page's items in place of its own. */
static void cli_listing_print_all(const struct cli_listing *l, const ProtobufCMessage *first,
				  const ProtobufCFieldDescriptor *f, void **all, size_t n, const void *arg,
				  enum output_format fmt)
{
	void *merged = xmalloc(first->descriptor->sizeof_message);
	memcpy(merged, first, first->descriptor->sizeof_message);
	*cli_listing_count(merged, f) = n;
	*cli_listing_items(merged, f) = all;
	cli_listing_print(l, merged, arg, fmt);
	free(merged);
}

int cli_listing_pages(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *items,
		      bool (*next)(void *body, const void *answer), const struct cli_listing *l, const void *arg,
		      enum output_format fmt)
{
	Planreg__V1__Response **pages = NULL;
	size_t n_pages = 0, n = 0;
	void **all = NULL;
	const ProtobufCFieldDescriptor *f = NULL;
	int rc;
	for (;;) {
		Planreg__V1__Response *resp;
		rc = cli_request(cli, body_case, body, &resp);
		if (rc != EXIT_OK)
			break;
		pages = xrealloc(pages, (n_pages + 1) * sizeof *pages);
		pages[n_pages++] = resp;
		const ProtobufCMessage *page = cli_response_body(resp);
		f = protobuf_c_message_descriptor_get_field_by_name(page->descriptor, items);
		if (f == NULL || f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
			abort(); /* the caller named a field the answer does not have */
		size_t k = *cli_listing_count(page, f);
		all = xrealloc(all, (n + k + 1) * sizeof *all);
		if (k > 0) /* an empty page's array is NULL, which memcpy may not be given even for no bytes */
			memcpy(all + n, *cli_listing_items(page, f), k * sizeof *all);
		n += k;
		/* the page held by pages[] stays until the end: next may point body into it */
		if (k == 0 || !next(body, page))
			break;
	}
	if (rc == EXIT_OK)
		cli_listing_print_all(l, cli_response_body(pages[0]), f, all, n, arg, fmt);
	for (size_t i = 0; i < n_pages; i++)
		planreg__v1__response__free_unpacked(pages[i], NULL);
	free(pages);
	free(all);
	return rc;
}
