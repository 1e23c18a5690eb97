/* output.h - the CLI's one formatter for listings: an aligned table for
 * people, CSV (RFC 4180) for spreadsheets; JSON is written per command with
 * json.h because its shape is an interface. */
#ifndef PLANREG_OUTPUT_H
#define PLANREG_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_CSV,
	OUTPUT_JSON,
};

bool output_parse_format(const char *s, enum output_format *f) __attribute__((warn_unused_result));

struct output_table;

/* wide: bit i set = column i is truncated in table form (long free text). */
struct output_table *output_table_new(const char *const *headers, size_t ncols, unsigned wide);
/* Adds a row of ncols cells (copied; NULL prints as empty). */
void output_table_row(struct output_table *t, const char *const *cells);
void output_table_print(const struct output_table *t, enum output_format f, FILE *out);
void output_table_free(struct output_table *t);

/* "key: value" lines, keys aligned: pairs is key, value, key, value, ..., NULL. */
void output_record(FILE *out, const char *const *pairs);

/* Appends one CSV field (quoted when needed) to b. */
void output_csv_field(struct buf *b, const char *s);

/* Writes a JSON document (and a newline) to out, then frees it. */
void output_json_done(struct buf *b, FILE *out);

#endif
