/* csv.c - an RFC 4180 reader for batch input (see csv.h). */
#include "csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"
#include "xmalloc.h"

/* The parse in progress: the rows so far and the row being read. */
struct csv_reader {
	const char *data;
	size_t len;
	size_t pos;
	int line;
	struct csv *out;
	size_t rows_cap;
	struct csv_row row;
	size_t fields_cap;
	struct buf field;
};

static bool csv_fail(struct csv_error *err, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool csv_fail(struct csv_error *err, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->line = line;
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return false;
}

/* The physical line of byte offset at: line breaks (CRLF, LF, lone CR) before it, plus one. */
static int csv_line_of(const char *data, size_t at)
{
	int line = 1;
	for (size_t i = 0; i < at; i++)
		if (data[i] == '\n' || (data[i] == '\r' && (i + 1 >= at || data[i + 1] != '\n')))
			line++;
	return line;
}

/* A line break at pos (CRLF counts as one); false when there is none. */
static bool csv_take_break(struct csv_reader *r)
{
	if (r->pos >= r->len)
		return false;
	if (r->data[r->pos] == '\r') {
		r->pos++;
		if (r->pos < r->len && r->data[r->pos] == '\n')
			r->pos++;
	} else if (r->data[r->pos] == '\n') {
		r->pos++;
	} else {
		return false;
	}
	r->line++;
	return true;
}

static void csv_end_field(struct csv_reader *r)
{
	r->row.fields = xgrow(r->row.fields, &r->fields_cap, r->row.n_fields + 1, sizeof *r->row.fields);
	r->row.fields[r->row.n_fields++] = buf_take(&r->field);
}

static void csv_end_row(struct csv_reader *r)
{
	r->out->rows = xgrow(r->out->rows, &r->rows_cap, r->out->n_rows + 1, sizeof *r->out->rows);
	r->out->rows[r->out->n_rows++] = r->row;
	memset(&r->row, 0, sizeof r->row);
	r->fields_cap = 0;
}

/* A field that starts with a quote: up to the closing quote, "" standing for one quote. */
static bool csv_quoted(struct csv_reader *r, struct csv_error *err)
{
	int start = r->line;
	r->pos++; /* the opening quote */
	for (;;) {
		if (r->pos >= r->len)
			return csv_fail(err, start,
					"the quoted field in column %zu that starts on line %d is never closed "
					"(a '\"' is missing)",
					r->row.n_fields + 1, start);
		char c = r->data[r->pos];
		if (c == '"') {
			if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
				buf_putc(&r->field, '"');
				r->pos += 2;
				continue;
			}
			r->pos++;
			break;
		}
		if (c == '\n' || (c == '\r' && (r->pos + 1 >= r->len || r->data[r->pos + 1] != '\n')))
			r->line++;
		buf_putc(&r->field, c);
		r->pos++;
	}
	if (r->pos < r->len && r->data[r->pos] != ',' && r->data[r->pos] != '\r' && r->data[r->pos] != '\n')
		return csv_fail(err, r->line,
				"text after the closing quote of column %zu (inside a quoted field a quote is written "
				"\"\")",
				r->row.n_fields + 1);
	return true;
}

static bool csv_unquoted(struct csv_reader *r, struct csv_error *err)
{
	size_t start = r->pos;
	while (r->pos < r->len) {
		char c = r->data[r->pos];
		if (c == ',' || c == '\r' || c == '\n')
			break;
		if (c == '"')
			return csv_fail(err, r->line,
					"a quote inside unquoted column %zu (quote the whole field and write "
					"each quote in it as \"\")",
					r->row.n_fields + 1);
		r->pos++;
	}
	buf_append(&r->field, r->data + start, r->pos - start);
	return true;
}

bool csv_parse(const char *data, size_t len, struct csv *out, struct csv_error *err)
{
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (len == 0)
		return true;
	size_t skip = 0;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	size_t bad = 0;
	if (!text_utf8_valid(data + skip, len - skip, &bad)) {
		int line = csv_line_of(data, skip + bad);
		if (data[skip + bad] == '\0')
			return csv_fail(err, line, "a NUL byte: this is not a text file");
		return csv_fail(err, line, "the text is not UTF-8 (save the file as \"CSV UTF-8\")");
	}

	struct csv_reader r = {.data = data, .len = len, .pos = skip, .line = 1, .out = out};
	bool ok = true;
	while (r.pos < r.len) {
		r.row.line = r.line;
		for (;;) {
			ok = r.pos < r.len && r.data[r.pos] == '"' ? csv_quoted(&r, err) : csv_unquoted(&r, err);
			if (!ok)
				break;
			csv_end_field(&r);
			if (r.pos < r.len && r.data[r.pos] == ',') {
				r.pos++;
				continue; /* "a," ends with an empty field */
			}
			break;
		}
		if (!ok)
			break;
		csv_end_row(&r);
		(void)csv_take_break(&r);
	}
	if (!ok) {
		for (size_t i = 0; i < r.row.n_fields; i++)
			free(r.row.fields[i]);
		free(r.row.fields);
		buf_free(&r.field);
		csv_free(out);
		return false;
	}
	buf_free(&r.field);
	return true;
}

void csv_free(struct csv *c)
{
	for (size_t i = 0; i < c->n_rows; i++) {
		for (size_t k = 0; k < c->rows[i].n_fields; k++)
			free(c->rows[i].fields[k]);
		free(c->rows[i].fields);
	}
	free(c->rows);
	memset(c, 0, sizeof *c);
}
