/* output.c - tables and CSV for listings (see output.h). */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "text.h"
#include "xmalloc.h"

#define OUTPUT_WIDE_MAX 60

struct output_table {
	size_t ncols;
	unsigned wide;
	char **headers;
	char **cells; /* rows * ncols */
	size_t rows, cap;
};

bool output_parse_format(const char *s, enum output_format *f)
{
	if (strcmp(s, "table") == 0 || strcmp(s, "text") == 0) /* text: remind run's earlier name for it */
		*f = OUTPUT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*f = OUTPUT_CSV;
	else if (strcmp(s, "json") == 0)
		*f = OUTPUT_JSON;
	else
		return false;
	return true;
}

struct output_table *output_table_new(const char *const *headers, size_t ncols, unsigned wide)
{
	struct output_table *t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	t->wide = wide;
	t->headers = xcalloc(ncols, sizeof *t->headers);
	for (size_t i = 0; i < ncols; i++)
		t->headers[i] = xstrdup(headers[i]);
	return t;
}

void output_table_row(struct output_table *t, const char *const *cells)
{
	t->cells = xgrow(t->cells, &t->cap, (t->rows + 1) * t->ncols, sizeof *t->cells);
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->rows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
	t->rows++;
}

void output_csv_field(struct buf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

/* A cell as shown in a table: one line, wide columns cut with "...", controls made visible. */
static char *output_cell(const char *raw, bool wide)
{
	struct buf safe = {0};
	text_escape_controls(&safe, raw, true);
	const char *s = buf_str(&safe);
	struct buf b = {0};
	size_t chars = 0;
	for (const char *p = s; *p; p++) {
		if ((*p & 0xc0) != 0x80) {
			if (wide && chars == OUTPUT_WIDE_MAX - 3) {
				/* is there more than fits? */
				if (text_utf8_length(p) > 3) {
					buf_puts(&b, "...");
					break;
				}
			}
			chars++;
		}
		buf_putc(&b, (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p);
	}
	buf_free(&safe);
	return buf_take(&b);
}

void output_table_print(const struct output_table *t, enum output_format f, FILE *out)
{
	struct buf b = {0};
	if (f == OUTPUT_CSV) {
		for (size_t i = 0; i < t->ncols; i++) {
			if (i)
				buf_putc(&b, ',');
			output_csv_field(&b, t->headers[i]);
		}
		buf_puts(&b, "\r\n");
		for (size_t r = 0; r < t->rows; r++) {
			for (size_t i = 0; i < t->ncols; i++) {
				if (i)
					buf_putc(&b, ',');
				output_csv_field(&b, t->cells[r * t->ncols + i]);
			}
			buf_puts(&b, "\r\n");
		}
		fputs(buf_str(&b), out);
		buf_free(&b);
		return;
	}
	size_t n = t->rows * t->ncols;
	char **shown = xcalloc(n ? n : 1, sizeof *shown);
	size_t *width = xcalloc(t->ncols, sizeof *width);
	for (size_t i = 0; i < t->ncols; i++)
		width[i] = text_utf8_length(t->headers[i]);
	for (size_t k = 0; k < n; k++) {
		size_t col = k % t->ncols;
		shown[k] = output_cell(t->cells[k], (t->wide >> col) & 1);
		size_t w = text_utf8_length(shown[k]);
		if (w > width[col])
			width[col] = w;
	}
	for (size_t r = 0; r <= t->rows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = r == 0 ? t->headers[i] : shown[(r - 1) * t->ncols + i];
			buf_puts(&b, s);
			if (i + 1 < t->ncols)
				for (size_t pad = text_utf8_length(s); pad < width[i] + 2; pad++)
					buf_putc(&b, ' ');
		}
		/* no trailing spaces */
		while (b.len > 0 && b.data[b.len - 1] == ' ')
			b.data[--b.len] = '\0';
		buf_putc(&b, '\n');
	}
	fputs(buf_str(&b), out);
	buf_free(&b);
	for (size_t k = 0; k < n; k++)
		free(shown[k]);
	free(shown);
	free(width);
}

void output_table_free(struct output_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	for (size_t k = 0; k < t->rows * t->ncols; k++)
		free(t->cells[k]);
	free(t->headers);
	free(t->cells);
	free(t);
}

const char *output_join(struct arena *a, char *const *items, size_t n, const char *sep)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? sep : "", items[i]);
	const char *joined = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return joined;
}

void output_record(FILE *out, const char *const *pairs)
{
	size_t w = 0;
	for (size_t i = 0; pairs[i]; i += 2)
		if (strlen(pairs[i]) > w)
			w = strlen(pairs[i]);
	for (size_t i = 0; pairs[i]; i += 2) {
		fprintf(out, "%s:", pairs[i]);
		for (size_t pad = strlen(pairs[i]); pad < w + 1; pad++)
			fputc(' ', out);
		/* a value a terminal would obey (an escape sequence, a bidi override) is shown, not obeyed */
		struct buf v = {0};
		text_escape_controls(&v, pairs[i + 1] ? pairs[i + 1] : "", true);
		fprintf(out, "%s\n", buf_str(&v));
		buf_free(&v);
	}
}

void output_json_done(struct buf *b, FILE *out)
{
	fputs(buf_str(b), out);
	fputc('\n', out);
	buf_free(b);
}

/* ---------------------------------------------------------------- records: one contract for JSON and CSV */

enum output_kind {
	OUTPUT_NULL,
	OUTPUT_STR,
	OUTPUT_NUM, /* text is a JSON number literal */
	OUTPUT_BOOL,
	OUTPUT_LIST,
};

struct output_cell {
	const char *key;
	enum output_kind kind;
	const char *text;
	char **items;
	size_t n_items;
	const char *sep; /* how a list joins in CSV */
};

struct output_row {
	struct output_cell *cells;
	size_t n;
};

struct output_rows {
	struct arena a;
	struct output_row *rows;
	size_t n;
};

struct output_rows *output_rows_new(void)
{
	return xcalloc(1, sizeof(struct output_rows));
}

void output_rows_free(struct output_rows *r)
{
	if (r == NULL)
		return;
	arena_free(&r->a);
	free(r);
}

void output_rows_begin(struct output_rows *r)
{
	struct output_row *row = arena_push(&r->a, &r->rows, &r->n, sizeof *row);
	row->cells = NULL;
	row->n = 0;
}

static struct output_cell *output_rows_cell(struct output_rows *r, const char *key, enum output_kind kind)
{
	if (r->n == 0)
		output_rows_begin(r);
	struct output_row *row = &r->rows[r->n - 1];
	struct output_cell *c = arena_push(&r->a, &row->cells, &row->n, sizeof *c);
	memset(c, 0, sizeof *c);
	c->key = key;
	c->kind = kind;
	return c;
}

void output_rows_str(struct output_rows *r, const char *key, const char *s)
{
	struct output_cell *c = output_rows_cell(r, key, s ? OUTPUT_STR : OUTPUT_NULL);
	c->text = s ? arena_strdup(&r->a, s) : NULL;
}

void output_rows_text(struct output_rows *r, const char *key, const char *s)
{
	output_rows_str(r, key, s && s[0] ? s : NULL);
}

/* One field of output_rows_fields; false for a type it does not write. */
static bool output_rows_field(struct output_rows *r, const ProtobufCFieldDescriptor *f, const void *at)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		output_rows_str(r, f->name, *(char *const *)at);
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		output_rows_bool(r, f->name, *(const protobuf_c_boolean *)at);
		return true;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		output_rows_int(r, f->name, *(const int32_t *)at);
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		output_rows_int(r, f->name, *(const uint32_t *)at);
		return true;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		output_rows_int(r, f->name, *(const int64_t *)at);
		return true;
	default:
		return false;
	}
}

void output_rows_fields(struct output_rows *r, const ProtobufCMessage *m, const char *names)
{
	while (*names) {
		size_t n = strcspn(names, " ");
		char name[64];
		const ProtobufCFieldDescriptor *f = NULL;
		if (n < sizeof name) {
			memcpy(name, names, n);
			name[n] = '\0';
			f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
		}
		if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED ||
		    !output_rows_field(r, f, (const char *)m + f->offset)) {
			fprintf(stderr, "planreg: internal error: %.*s is no scalar field of %s\n", (int)n, names,
				m->descriptor->name);
			abort();
		}
		names += n;
		names += strspn(names, " ");
	}
}

void output_rows_int(struct output_rows *r, const char *key, int64_t v)
{
	output_rows_cell(r, key, OUTPUT_NUM)->text = arena_printf(&r->a, "%lld", (long long)v);
}

void output_rows_null(struct output_rows *r, const char *key)
{
	output_rows_cell(r, key, OUTPUT_NULL);
}

void output_rows_bool(struct output_rows *r, const char *key, bool v)
{
	output_rows_cell(r, key, OUTPUT_BOOL)->text = v ? "true" : "false";
}

void output_rows_decimal(struct output_rows *r, const char *key, int64_t v, int places)
{
	unsigned long long mag = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v, scale = 1;
	for (int i = 0; i < places; i++)
		scale *= 10;
	const char *sign = v < 0 ? "-" : "";
	output_rows_cell(r, key, OUTPUT_NUM)->text =
		places > 0 ? arena_printf(&r->a, "%s%llu.%0*llu", sign, mag / scale, places, mag % scale)
			   : arena_printf(&r->a, "%s%llu", sign, mag);
}

void output_rows_list(struct output_rows *r, const char *key, char *const *items, size_t n, const char *sep)
{
	struct output_cell *c = output_rows_cell(r, key, OUTPUT_LIST);
	c->items = arena_alloc(&r->a, (n + 1) * sizeof *c->items);
	for (size_t i = 0; i < n; i++)
		c->items[i] = arena_strdup(&r->a, items[i]);
	c->n_items = n;
	c->sep = sep;
}

size_t output_rows_count(const struct output_rows *r)
{
	return r->n;
}

static void output_cell_json(struct json *j, const struct output_cell *c)
{
	json_key(j, c->key);
	switch (c->kind) {
	case OUTPUT_NULL:
		json_null(j);
		break;
	case OUTPUT_STR:
		json_str(j, c->text);
		break;
	case OUTPUT_NUM:
	case OUTPUT_BOOL:
		json_raw(j, c->text);
		break;
	case OUTPUT_LIST:
		json_array_begin(j);
		for (size_t i = 0; i < c->n_items; i++)
			json_str(j, c->items[i]);
		json_array_end(j);
		break;
	}
}

void output_rows_json_members(const struct output_rows *r, size_t row, struct json *j)
{
	for (size_t i = 0; i < r->rows[row].n; i++)
		output_cell_json(j, &r->rows[row].cells[i]);
}

void output_rows_json_object(const struct output_rows *r, size_t row, struct json *j)
{
	json_object_begin(j);
	output_rows_json_members(r, row, j);
	json_object_end(j);
}

void output_rows_json(const struct output_rows *r, struct json *j)
{
	json_array_begin(j);
	for (size_t k = 0; k < r->n; k++)
		output_rows_json_object(r, k, j);
	json_array_end(j);
}

/* A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a formula: a quote defuses it. */
static void output_csv_cell(struct buf *b, const char *s, bool safe)
{
	if (safe && strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0') {
		struct buf q = {0};
		buf_putc(&q, '\'');
		buf_puts(&q, s);
		output_csv_field(b, buf_str(&q));
		buf_free(&q);
		return;
	}
	output_csv_field(b, s);
}

static const struct output_cell *output_rows_find(const struct output_row *row, const char *key)
{
	for (size_t m = 0; m < row->n; m++)
		if (strcmp(row->cells[m].key, key) == 0)
			return &row->cells[m];
	return NULL;
}

void output_rows_csv(const struct output_rows *r, const char *const *keys, size_t n_keys, bool safe, FILE *out)
{
	/* the contract: a CSV column for every JSON key, and the same names */
	for (size_t k = 0; k < r->n; k++)
		for (size_t m = 0; m < r->rows[k].n; m++) {
			bool known = false;
			for (size_t i = 0; i < n_keys && !known; i++)
				known = strcmp(r->rows[k].cells[m].key, keys[i]) == 0;
			if (!known) {
				fprintf(stderr, "planreg: bug: key \"%s\" has no CSV column\n",
					r->rows[k].cells[m].key);
				abort();
			}
		}
	struct buf b = {0};
	for (size_t i = 0; i < n_keys; i++) {
		if (i)
			buf_putc(&b, ',');
		output_csv_field(&b, keys[i]);
	}
	buf_puts(&b, "\r\n");
	for (size_t k = 0; k < r->n; k++) {
		const struct output_row *row = &r->rows[k];
		for (size_t i = 0; i < n_keys; i++) {
			if (i)
				buf_putc(&b, ',');
			const struct output_cell *c = output_rows_find(row, keys[i]);
			if (c == NULL || c->kind == OUTPUT_NULL)
				continue;
			if (c->kind != OUTPUT_LIST) {
				output_csv_cell(&b, c->text, safe && c->kind == OUTPUT_STR);
				continue;
			}
			struct buf joined = {0};
			for (size_t m = 0; m < c->n_items; m++)
				buf_printf(&joined, "%s%s", m ? c->sep : "", c->items[m]);
			output_csv_cell(&b, buf_str(&joined), safe);
			buf_free(&joined);
		}
		buf_puts(&b, "\r\n");
	}
	fputs(buf_str(&b), out);
	buf_free(&b);
}
