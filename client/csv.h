/* csv.h - reads CSV as RFC 4180 writes it (quoted fields, doubled quotes, CRLF
 * or LF, line breaks inside quoted fields), after an optional UTF-8 byte order
 * mark, and says on which line a malformed file goes wrong. */
#ifndef PLANREG_CSV_H
#define PLANREG_CSV_H

#include <stdbool.h>
#include <stddef.h>

/* One record. A blank line is a record of one empty field. */
struct csv_row {
	char **fields; /* NUL-terminated, exactly as written (quotes removed, "" made ") */
	size_t n_fields;
	int line; /* the physical line (1-based) the record starts on */
};

/* Owns every row and field; free with csv_free. */
struct csv {
	struct csv_row *rows;
	size_t n_rows;
};

struct csv_error {
	int line; /* the physical line where the problem is (1-based) */
	char message[256];
};

/*
 * Parses data[0..len) (need not be NUL-terminated). Records end at CRLF, LF or
 * a lone CR outside quotes; a line break at the very end starts no record.
 * The text must be UTF-8 without NUL bytes. Returns false with *err on an
 * unterminated quoted field, text after a closing quote, a quote inside an
 * unquoted field, or text that is not UTF-8; *out is then empty.
 */
bool csv_parse(const char *data, size_t len, struct csv *out, struct csv_error *err)
	__attribute__((warn_unused_result));
void csv_free(struct csv *c);

#endif
