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

struct arena;
/* The n items joined with sep, in a (a table cell or record value that lists). */
const char *output_join(struct arena *a, char *const *items, size_t n, const char *sep);

/* "key: value" lines, keys aligned: pairs is key, value, key, value, ..., NULL. */
void output_record(FILE *out, const char *const *pairs);

/* Appends one CSV field (quoted when needed) to b. */
void output_csv_field(struct buf *b, const char *s);

/* Writes a JSON document (and a newline) to out, then frees it. */
void output_json_done(struct buf *b, FILE *out);

/*
 * Records: the one output contract of a listing. Each row is a list of keyed
 * values; JSON writes each row as an object with those keys (null for absent),
 * CSV writes a header of exactly the declared keys and the same values (empty
 * for null, lists joined with their separator). A row key that is not among
 * the declared CSV keys is a bug and aborts, so the two can never drift.
 */
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
struct json;
struct output_rows;
struct output_rows *output_rows_new(void);
void output_rows_free(struct output_rows *r);
void output_rows_begin(struct output_rows *r);                               /* starts the next row */
void output_rows_str(struct output_rows *r, const char *key, const char *s); /* NULL is null */
/* A protobuf string, where "" means absent: "" and NULL are null. */
void output_rows_text(struct output_rows *r, const char *key, const char *s);
void output_rows_int(struct output_rows *r, const char *key, int64_t v);
void output_rows_null(struct output_rows *r, const char *key);
void output_rows_bool(struct output_rows *r, const char *key, bool v);
/* v in units of 10^-places, written with that many decimals: (319, 1) -> 31.9, (1450, 2) -> 14.50. */
void output_rows_decimal(struct output_rows *r, const char *key, int64_t v, int places);
void output_rows_list(struct output_rows *r, const char *key, char *const *items, size_t n, const char *sep);
size_t output_rows_count(const struct output_rows *r);
/* The scalar fields of m named in names (separated by spaces), each under its name: strings as they are,
 * booleans and integers as output_rows_bool and output_rows_int write them. A name that is no such field of m
 * is a bug and aborts. */
void output_rows_fields(struct output_rows *r, const ProtobufCMessage *m, const char *names);
void output_rows_json_object(const struct output_rows *r, size_t row, struct json *j);
/* The row's keys and values into the JSON object j is writing (for an object with more keys of its own). */
void output_rows_json_members(const struct output_rows *r, size_t row, struct json *j);
void output_rows_json(const struct output_rows *r, struct json *j); /* an array of objects */
/* safe: neutralise cells a spreadsheet would run as formulas (a leading = + - @ gets a quote). */
void output_rows_csv(const struct output_rows *r, const char *const *keys, size_t n_keys, bool safe, FILE *out);

#endif
