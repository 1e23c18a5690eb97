/* json.h - a small streaming JSON writer into a struct buf (escaping, nesting, commas). */
#ifndef PLANREG_JSON_H
#define PLANREG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	bool pretty;
	int depth;
	bool after_key;
	bool has_items[JSON_MAX_DEPTH];
};

void json_init(struct json *j, struct buf *out, bool pretty);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* A literal the caller vouches for: a number or true/false. */
void json_raw(struct json *j, const char *literal);

/* key + value in one call */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* An array of n strings, in order (a NULL item writes null). */
void json_str_array(struct json *j, char *const *items, size_t n);

/* Appends s as a quoted JSON string to b. */
void json_escape(struct buf *b, const char *s);

#endif
