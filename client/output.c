/* output.c - tables and CSV for listings (see output.h). */
#include "output.h"

#include <stdlib.h>
#include <string.h>

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
	if (strcmp(s, "table") == 0)
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

/* A cell as shown in a table: one line, wide columns cut with "...". */
static char *output_cell(const char *s, bool wide)
{
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
		fprintf(out, "%s\n", pairs[i + 1] ? pairs[i + 1] : "");
	}
}

void output_json_done(struct buf *b, FILE *out)
{
	fputs(buf_str(b), out);
	fputc('\n', out);
	buf_free(b);
}
