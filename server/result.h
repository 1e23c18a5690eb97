/* result.h - reading a PostgreSQL result by named column: every multi-column statement has an
 * enum of its columns next to its SQL, and handlers read with these helpers and those names. */
#ifndef PLANREG_RESULT_H
#define PLANREG_RESULT_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* The text of a cell; "" for NULL. */
const char *result_value(const PGresult *res, int row, int col);
bool result_is_null(const PGresult *res, int row, int col);
/* Integers and booleans as PostgreSQL writes them (0 / false for NULL). */
int result_int(const PGresult *res, int row, int col);
long long result_int64(const PGresult *res, int row, int col);
bool result_bool(const PGresult *res, int row, int col);

/*
 * A row as a message, by name: every column of res whose name (its SQL alias) is a scalar field of msg sets
 * that field from row's cell. Strings are copied into a ("" for NULL); integers, floats and booleans are read
 * as above (planreg.proto has no proto3 `optional`, so there is no has_ flag to set). Enum, bytes, message and
 * repeated fields, and columns that name no field, are left to the caller. Returns how many fields it set.
 * A statement read this way names its columns after the message's fields ("c.org_code AS organisation").
 */
int result_fill(struct arena *a, const PGresult *res, int row, ProtobufCMessage *msg);

/* Separators of the lists the SQL aggregates into one cell (string_agg with chr(31), chr(30)). */
#define RESULT_SEP "\x1f"
#define RESULT_SUBSEP "\x1e"
/* Splits a cell joined with sep into an array of copies in a; the count (0 for "" or NULL). */
size_t result_split(struct arena *a, const char *joined, const char *sep, char ***out);

#endif
