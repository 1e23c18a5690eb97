/* json.c - a small streaming JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

void json_init(struct json *j, struct buf *out, bool pretty)
{
	j->out = out;
	j->pretty = pretty;
	j->depth = 0;
	j->after_key = false;
	j->has_items[0] = false;
}

static void json_indent(struct json *j)
{
	if (!j->pretty)
		return;
	buf_putc(j->out, '\n');
	for (int i = 0; i < j->depth; i++)
		buf_puts(j->out, "  ");
}

/* Called before every value and key: writes the separator the position needs. */
static void json_before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->has_items[j->depth])
		buf_putc(j->out, ',');
	j->has_items[j->depth] = true;
	json_indent(j);
}

static void json_open(struct json *j, char c)
{
	json_before_value(j);
	buf_putc(j->out, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		/* planreg's documents are a few levels deep: deeper is a bug, not data */
		fprintf(stderr, "fatal: JSON nested deeper than %d levels\n", JSON_MAX_DEPTH - 1);
		abort();
	}
	j->depth++;
	j->has_items[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	bool had = j->has_items[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (had)
		json_indent(j);
	buf_putc(j->out, c);
}

void json_object_begin(struct json *j)
{
	json_open(j, '{');
}

void json_object_end(struct json *j)
{
	json_close(j, '}');
}

void json_array_begin(struct json *j)
{
	json_open(j, '[');
}

void json_array_end(struct json *j)
{
	json_close(j, ']');
}

void json_escape(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		default: {
			/* controls, C1 controls and bidi marks as escapes: a JSON file shown raw cannot carry them */
			size_t len;
			unsigned cp = text_invisible_control((const char *)p, &len);
			if (cp != 0) {
				buf_printf(b, "\\u%04x", cp);
				p += len - 1;
			} else {
				buf_putc(b, (char)*p);
			}
		}
		}
	}
	buf_putc(b, '"');
}

void json_key(struct json *j, const char *key)
{
	json_before_value(j);
	json_escape(j->out, key);
	buf_puts(j->out, j->pretty ? ": " : ":");
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_before_value(j);
	json_escape(j->out, s);
}

void json_int(struct json *j, int64_t v)
{
	json_before_value(j);
	buf_printf(j->out, "%" PRId64, v);
}

void json_raw(struct json *j, const char *literal)
{
	json_before_value(j);
	buf_puts(j->out, literal);
}

void json_bool(struct json *j, bool v)
{
	json_before_value(j);
	buf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_before_value(j);
	buf_puts(j->out, "null");
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_str_array(struct json *j, char *const *items, size_t n)
{
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, items[i]);
	json_array_end(j);
}
