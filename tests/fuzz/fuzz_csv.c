/* fuzz_csv.c - fuzz target for client/csv.c, the RFC 4180 reader behind `planreg update submit --csv`.
 *
 * Invariants: a file that parses gives rows of at least one field, each field UTF-8 text, rows starting on
 * non-decreasing lines within the file; written out again (every field quoted, or only those that need it;
 * LF or CRLF) the rows parse back to exactly the same fields; a byte order mark in front changes nothing; a
 * file that does not parse leaves nothing behind and says on which line it went wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "driver.h"
#include "text.h"

/* Writes one field: always quoted, or only when the reader would otherwise see something else. */
static void fuzz_csv_field(struct buf *b, const char *f, bool quote_all, bool first_in_file)
{
	bool quote = quote_all || strpbrk(f, ",\"\r\n") != NULL ||
		     (first_in_file && strncmp(f, "\xef\xbb\xbf", 3) == 0); /* read as a byte order mark */
	if (!quote) {
		buf_puts(b, f);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = f; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

static void fuzz_csv_write(const struct csv *c, bool quote_all, const char *eol, struct buf *b)
{
	for (size_t i = 0; i < c->n_rows; i++) {
		for (size_t k = 0; k < c->rows[i].n_fields; k++) {
			if (k > 0)
				buf_putc(b, ',');
			fuzz_csv_field(b, c->rows[i].fields[k], quote_all, i == 0 && k == 0);
		}
		buf_puts(b, eol);
	}
}

static void fuzz_csv_same(const struct csv *a, const struct csv *b, const char *what)
{
	bool same = a->n_rows == b->n_rows;
	for (size_t i = 0; same && i < a->n_rows; i++) {
		same = a->rows[i].n_fields == b->rows[i].n_fields;
		for (size_t k = 0; same && k < a->rows[i].n_fields; k++)
			same = strcmp(a->rows[i].fields[k], b->rows[i].fields[k]) == 0;
	}
	fuzz_require(same, what);
}

/* Writes c out in one style and checks it reads back as the same rows. */
static void fuzz_csv_round_trip(const struct csv *c, bool quote_all, const char *eol, const char *what)
{
	struct buf b = {0};
	fuzz_csv_write(c, quote_all, eol, &b);
	struct csv again;
	struct csv_error err;
	bool ok = csv_parse(b.data ? b.data : "", b.len, &again, &err);
	if (!ok)
		fprintf(stderr, "fuzz_csv: re-encoded rows do not parse: line %d: %s\n", err.line, err.message);
	fuzz_require(ok, what);
	fuzz_csv_same(c, &again, what);
	csv_free(&again);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));

	struct csv c;
	struct csv_error err;
	memset(&err, 0x55, sizeof err);
	bool ok = csv_parse(text, size, &c, &err);
	fuzz_accept(ok);
	if (!ok) {
		fuzz_require(c.n_rows == 0 && c.rows == NULL, "a failed parse left rows behind");
		fuzz_require(err.line >= 1 && err.line <= lines, "the error's line is outside the file");
		fuzz_require(memchr(err.message, '\0', sizeof err.message) != NULL && err.message[0] != '\0',
			     "the error has no message");
		return 0;
	}

	int last = 1;
	for (size_t i = 0; i < c.n_rows; i++) {
		const struct csv_row *row = &c.rows[i];
		fuzz_require(row->n_fields >= 1 && row->fields != NULL, "a row without fields");
		fuzz_require(row->line >= last && row->line <= lines, "row lines out of order or outside the file");
		last = row->line;
		for (size_t k = 0; k < row->n_fields; k++)
			fuzz_require(text_utf8_valid(row->fields[k], strlen(row->fields[k]), NULL),
				     "a field is not UTF-8");
	}

	fuzz_csv_round_trip(&c, true, "\r\n", "rows written with every field quoted read back differently");
	fuzz_csv_round_trip(&c, false, "\n", "rows written with minimal quoting read back differently");

	if (size < 3 || memcmp(text, "\xef\xbb\xbf", 3) != 0) {
		char *bom = fuzz_alloc(size + 3);
		memcpy(bom, "\xef\xbb\xbf", 3);
		memcpy(bom + 3, text, size);
		struct csv with;
		fuzz_require(csv_parse(bom, size + 3, &with, &err), "a byte order mark in front breaks the parse");
		fuzz_csv_same(&c, &with, "a byte order mark in front changes the rows");
		csv_free(&with);
		free(bom);
	}
	csv_free(&c);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

/* The CSV `planreg update template --format csv` writes, and files people make from it in spreadsheets. */
static void fuzz_csv_seeds(struct fuzz_pool *pool)
{
	static const char header[] = "ref,title,plan_cost,period,confidence,stage,narrative,spend,forecast,"
				     "variance_note,milestones,risks,last_period";
	static const char *const rows[] = {
		"5,Liverpool 5G Create: Connecting Health & Social Care #,\xc2\xa3"
		"7.2M,2026-Q3,amber,live,\"Network build on schedule.\",1200000,7200000,,"
		"\"Phase 1|2026-06-30||2026-07-15\nPhase 2|2026-12-31||\",\"Supply chain\nStaff turnover\",2026-Q2",
		"6,Liverpool 5G Scale Out #,tbd,2026-Q3,,concept,,,,,,,",
		"12,\"Title with \"\"quotes\"\", and a comma\",\"\xc2\xa3"
		"55,000 Up to \xc2\xa3"
		"130k\",2026-Q3,Amber/Green,Early development,\"Two lines\r\nof narrative\",\xc2\xa3"
		"600k,\xc2\xa3"
		"1.2M,\"Forecast up 8%\",,,",
		"38,Digital inclusion \xe2\x80\x93 devices,,2026-q3,red,paused,=1+1 looks like a formula,,,,,,",
	};
	struct buf b = {0};
	/* the template as written: LF, every row */
	buf_printf(&b, "%s\n", header);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		buf_printf(&b, "%s\n", rows[i]);
	fuzz_pool_add(pool, b.data, b.len);
	/* as a spreadsheet saves it: a byte order mark, CRLF, a blank line and no final line break */
	buf_reset(&b);
	buf_printf(&b, "\xef\xbb\xbf%s\r\n%s\r\n\r\n%s", header, rows[0], rows[2]);
	fuzz_pool_add(pool, b.data, b.len);
	/* each row under the header on its own */
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s\n%s\n", header, rows[i]);
		fuzz_pool_add(pool, b.data, b.len);
	}
	buf_free(&b);
	/* the edges: empty, blank lines, lone CRs, and the errors the reader names */
	static const char *const edges[] = {
		"",
		"\n",
		"\r\n\r\n",
		"a,b\rc,d\r",
		",,\n,",
		"\"\"",
		"\"a\"\"b\",\"c\nd\"",
		"\"never closed\nref,period\n",
		"\"a\"b,c",
		"a\"b,c",
		"ref,period\n5,\xff\xfe",
		"\xef\xbb\xbf\xef\xbb\xbfref",
	};
	fuzz_pool_add_strs(pool, edges, sizeof edges / sizeof edges[0]);
	static const char nul[] = "ref\0period";
	fuzz_pool_add(pool, nul, sizeof nul - 1);
}

static const char *const fuzz_csv_tokens[] = {
	",", "\"", "\"\"", "\n", "\r\n", "\r", "\xef\xbb\xbf", "ref", "period", "2026-Q3", "|", "\xc2\xa3", NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "csv",
	.iterations = 10000,
	.max_len = 16384,
	.tokens = fuzz_csv_tokens,
	.seeds = fuzz_csv_seeds,
	.accepted_what = "were CSV that parsed",
};
