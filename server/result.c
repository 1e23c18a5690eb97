/* result.c - cells of a PostgreSQL result as C values (see result.h). */
#include "result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *result_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

bool result_is_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

int result_int(const PGresult *res, int row, int col)
{
	return (int)strtol(result_value(res, row, col), NULL, 10);
}

long long result_int64(const PGresult *res, int row, int col)
{
	return strtoll(result_value(res, row, col), NULL, 10);
}

bool result_bool(const PGresult *res, int row, int col)
{
	return result_value(res, row, col)[0] == 't';
}

size_t result_split(struct arena *a, const char *joined, const char *sep, char ***out)
{
	*out = NULL;
	size_t n = 0;
	if (joined == NULL || joined[0] == '\0')
		return 0;
	const char *p = joined;
	for (;;) {
		const char *e = strstr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		*(char **)arena_push(a, out, &n, sizeof(char *)) = arena_strndup(a, p, len);
		if (e == NULL)
			break;
		p = e + strlen(sep);
	}
	return n;
}

/* Sets one scalar field from a cell's text; false for a type result_fill leaves to the caller. */
static bool result_set_field(struct arena *a, const ProtobufCFieldDescriptor *f, void *at, const char *text)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		*(char **)at = arena_strdup(a, text);
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)at = text[0] == 't';
		return true;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *)at = (int32_t)strtol(text, NULL, 10);
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)at = (uint32_t)strtoul(text, NULL, 10);
		return true;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*(int64_t *)at = strtoll(text, NULL, 10);
		return true;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)at = strtoull(text, NULL, 10);
		return true;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)at = strtod(text, NULL);
		return true;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)at = strtof(text, NULL);
		return true;
	default:
		return false;
	}
}

int result_fill(struct arena *a, const PGresult *res, int row, ProtobufCMessage *msg)
{
	int set = 0;
	for (int col = 0; col < PQnfields(res); col++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, PQfname(res, col));
		if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		if (result_set_field(a, f, (char *)msg + f->offset, result_value(res, row, col)))
			set++;
	}
	return set;
}
