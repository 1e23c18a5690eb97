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

int cli_pages_fetch(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *items,
		    bool (*next)(void *body, const void *answer), struct cli_pages *out)
{
	memset(out, 0, sizeof *out);
	int rc;
	for (;;) {
		Planreg__V1__Response *resp;
		rc = cli_request(cli, body_case, body, &resp);
		if (rc != EXIT_OK)
			break;
		out->pages = xrealloc(out->pages, (out->n_pages + 1) * sizeof *out->pages);
		out->pages[out->n_pages++] = resp;
		const ProtobufCMessage *page = cli_response_body(resp);
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(page->descriptor, items);
		if (f == NULL || f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
			abort(); /* the caller named a field the answer does not have */
		out->field = f;
		size_t k = *cli_listing_count(page, f);
		out->items = xrealloc(out->items, (out->n + k + 1) * sizeof *out->items);
		if (k > 0) /* an empty page's array is NULL, which memcpy may not be given even for no bytes */
			memcpy(out->items + out->n, *cli_listing_items(page, f), k * sizeof *out->items);
		out->n += k;
		/* the page held by pages[] stays until the end: next may point body into it */
		if (k == 0 || !next(body, page))
			break;
	}
	if (rc != EXIT_OK)
		cli_pages_free(out);
	return rc;
}

void cli_pages_free(struct cli_pages *p)
{
	for (size_t i = 0; i < p->n_pages; i++)
		planreg__v1__response__free_unpacked(p->pages[i], NULL);
	free(p->pages);
	free(p->items);
	memset(p, 0, sizeof *p);
}

int cli_listing_pages(struct cli *cli, Planreg__V1__Request__BodyCase body_case, void *body, const char *items,
		      bool (*next)(void *body, const void *answer), const struct cli_listing *l, const void *arg,
		      enum output_format fmt)
{
	struct cli_pages p;
	int rc = cli_pages_fetch(cli, body_case, body, items, next, &p);
	if (rc == EXIT_OK)
		cli_listing_print_all(l, cli_response_body(p.pages[0]), p.field, p.items, p.n, arg, fmt);
	cli_pages_free(&p);
	return rc;
}
