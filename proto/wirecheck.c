/* wirecheck.c - checks on raw protobuf bytes before decoding (see wirecheck.h).
 *
 * The field reader accepts exactly what protobuf-c 1.4 accepts at one level:
 * a key of at most 5 bytes with a non-zero field number, wire types 0 (varint,
 * at most 10 bytes), 1 (8 bytes), 2 (a length of at most 5 bytes, within
 * INT_MAX and within the message) and 5 (4 bytes); groups (3, 4) are refused. */
#include "wirecheck.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "planreg.pb-c.h"
#include "text.h"

enum {
	WIRE_VARINT = 0,
	WIRE_64BIT = 1,
	WIRE_LEN = 2,
	WIRE_32BIT = 5,
};

/* One field as it lies in the buffer. */
struct wirecheck_field {
	uint32_t number;
	unsigned wire;
	uint64_t varint;      /* WIRE_VARINT: the value */
	const uint8_t *value; /* WIRE_LEN: the payload */
	size_t value_len;
};

/* Reads a varint of at most max bytes at *pos. */
static bool wirecheck_varint(const uint8_t *buf, size_t len, size_t *pos, unsigned max, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < max; i++) {
		if (*pos >= len)
			return false;
		uint8_t b = buf[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Reads the field at *pos and moves *pos past it; false when it is not well-formed. */
static bool wirecheck_next(const uint8_t *buf, size_t len, size_t *pos, struct wirecheck_field *f)
{
	uint64_t key;
	if (!wirecheck_varint(buf, len, pos, 5, &key))
		return false;
	f->number = (uint32_t)(key >> 3);
	f->wire = (unsigned)(key & 7);
	if (f->number == 0)
		return false;
	size_t n;
	switch (f->wire) {
	case WIRE_VARINT:
		return wirecheck_varint(buf, len, pos, 10, &f->varint);
	case WIRE_64BIT:
	case WIRE_32BIT:
		n = f->wire == WIRE_64BIT ? 8 : 4;
		if (len - *pos < n)
			return false;
		*pos += n;
		return true;
	case WIRE_LEN: {
		uint64_t l;
		if (!wirecheck_varint(buf, len, pos, 5, &l) || l > INT_MAX || l > len - *pos)
			return false;
		f->value = buf + *pos;
		f->value_len = (size_t)l;
		*pos += (size_t)l;
		return true;
	}
	default:
		return false;
	}
}

bool wirecheck_request_head(const uint8_t *buf, size_t len, uint64_t *id, uint32_t *body)
{
	*id = 0;
	*body = 0;
	size_t pos = 0;
	while (pos < len) {
		struct wirecheck_field f;
		if (!wirecheck_next(buf, len, &pos, &f))
			return false;
		if (f.number == 1 && f.wire == WIRE_VARINT) {
			*id = f.varint;
			continue;
		}
		const ProtobufCFieldDescriptor *fd =
			protobuf_c_message_descriptor_get_field(&planreg__v1__request__descriptor, f.number);
		if (fd != NULL && (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			*body = f.number;
	}
	return true;
}

/* One level of the path to a problem: the field, and its index when repeated. */
struct wirecheck_step {
	const ProtobufCFieldDescriptor *field;
	size_t index;
};

/* How many fields numbered number come before offset start in buf: the index of the one at start. */
static size_t wirecheck_index(const uint8_t *buf, size_t len, size_t start, uint32_t number)
{
	size_t pos = 0, n = 0;
	struct wirecheck_field f;
	while (pos < start && wirecheck_next(buf, len, &pos, &f))
		if (f.number == number)
			n++;
	return n;
}

static enum wirecheck_result wirecheck_string(const struct wirecheck_field *f, size_t *offset)
{
	size_t bad = 0;
	const void *nul = memchr(f->value, 0, f->value_len);
	if (text_utf8_valid((const char *)f->value, f->value_len, &bad))
		return WIRECHECK_OK;
	/* text_utf8_valid refuses NUL too; name whichever comes first */
	if (nul != NULL && (size_t)((const uint8_t *)nul - f->value) <= bad) {
		*offset = (size_t)((const uint8_t *)nul - f->value);
		return WIRECHECK_NUL;
	}
	*offset = bad;
	return WIRECHECK_BAD_UTF8;
}

/* Walks one message; on a problem fills steps[depth..*n_steps) from the inside out. */
static enum wirecheck_result wirecheck_walk(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
					    unsigned depth, struct wirecheck_step *steps, unsigned *n_steps,
					    size_t *offset)
{
	size_t pos = 0;
	while (pos < len) {
		size_t start = pos;
		struct wirecheck_field f;
		if (!wirecheck_next(buf, len, &pos, &f)) {
			*n_steps = depth;
			return WIRECHECK_MALFORMED;
		}
		if (f.wire != WIRE_LEN)
			continue;
		const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(desc, f.number);
		if (fd == NULL)
			continue;
		enum wirecheck_result r = WIRECHECK_OK;
		if (fd->type == PROTOBUF_C_TYPE_STRING) {
			r = wirecheck_string(&f, offset);
			if (r != WIRECHECK_OK)
				*n_steps = depth + 1;
		} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			if (depth + 1 >= WIRECHECK_MAX_DEPTH) {
				*n_steps = depth + 1;
				r = WIRECHECK_TOO_DEEP;
			} else {
				r = wirecheck_walk(fd->descriptor, f.value, f.value_len, depth + 1, steps, n_steps,
						   offset);
			}
		}
		if (r != WIRECHECK_OK) {
			steps[depth].field = fd;
			steps[depth].index =
				fd->label == PROTOBUF_C_LABEL_REPEATED ? wirecheck_index(buf, len, start, f.number) : 0;
			return r;
		}
	}
	return WIRECHECK_OK;
}

static void wirecheck_format_path(const struct wirecheck_step *steps, unsigned n, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < n && o < cap; i++) {
		int w;
		const char *sep = i ? "." : "";
		if (steps[i].field->label == PROTOBUF_C_LABEL_REPEATED)
			w = snprintf(out + o, cap - o, "%s%s[%zu]", sep, steps[i].field->name, steps[i].index);
		else
			w = snprintf(out + o, cap - o, "%s%s", sep, steps[i].field->name);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

enum wirecheck_result wirecheck_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
					struct wirecheck_problem *problem)
{
	struct wirecheck_step steps[WIRECHECK_MAX_DEPTH];
	unsigned n_steps = 0;
	size_t offset = 0;
	enum wirecheck_result r = wirecheck_walk(desc, buf, len, 0, steps, &n_steps, &offset);
	if (problem != NULL) {
		problem->result = r;
		problem->offset = offset;
		problem->path[0] = '\0';
		if (r != WIRECHECK_OK)
			wirecheck_format_path(steps, n_steps, problem->path, sizeof problem->path);
	}
	return r;
}

const char *wirecheck_result_text(enum wirecheck_result r)
{
	switch (r) {
	case WIRECHECK_OK:
		return "no problem";
	case WIRECHECK_NUL:
		return "a NUL byte";
	case WIRECHECK_BAD_UTF8:
		return "invalid UTF-8";
	case WIRECHECK_MALFORMED:
		return "malformed protobuf";
	case WIRECHECK_TOO_DEEP:
		return "sub-messages nested too deep";
	}
	return "unknown problem";
}
