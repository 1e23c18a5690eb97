/* wirecheck.h - looks at the raw bytes of a protobuf message before protobuf-c
 * is trusted with them: which request a frame holds (without decoding it), and
 * whether every string field in it is UTF-8 without NUL bytes (protobuf-c hands
 * strings over as C strings, so "before\0after" would silently become "before"
 * and two idempotency keys sharing a prefix would collide).
 * Pure functions over caller memory: nothing here allocates. */
#ifndef PLANREG_WIRECHECK_H
#define PLANREG_WIRECHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this is refused (the schema is not recursive; planreg.proto nests 4 deep). */
#define WIRECHECK_MAX_DEPTH 16
#define WIRECHECK_PATH_MAX 256

/*
 * Scans the top level of a planreg.v1.Request in buf[0..len): *id is its id
 * (field 1; 0 when absent) and *body the field number of its body, the oneof
 * member (the last one present wins, as when decoding; 0 when there is none or
 * only numbers this schema does not know). False when the top level is not
 * well-formed protobuf (then *id and *body hold what was seen before the fault).
 */
bool wirecheck_request_head(const uint8_t *buf, size_t len, uint64_t *id, uint32_t *body);

enum wirecheck_result {
	WIRECHECK_OK,
	WIRECHECK_NUL,       /* a string field holds a NUL byte */
	WIRECHECK_BAD_UTF8,  /* a string field is not well-formed UTF-8 */
	WIRECHECK_MALFORMED, /* not well-formed protobuf */
	WIRECHECK_TOO_DEEP,  /* sub-messages nested deeper than WIRECHECK_MAX_DEPTH */
};

/* What wirecheck_strings found, and where. */
struct wirecheck_problem {
	enum wirecheck_result result;
	size_t offset;                 /* NUL or BAD_UTF8: the first bad byte's offset in the string */
	char path[WIRECHECK_PATH_MAX]; /* the field: "submit_update.content.narrative", "import_plan.projects[3].title"
					*/
};

/*
 * Walks buf[0..len) as a message of type desc, into every known sub-message
 * field, and checks every known string field. Unknown fields are skipped (they
 * are never handed to the program). Returns WIRECHECK_OK, or the first problem
 * with *problem filled in (problem may be NULL).
 */
enum wirecheck_result wirecheck_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
					struct wirecheck_problem *problem);

/* "a NUL byte", "invalid UTF-8", ...: for messages. */
const char *wirecheck_result_text(enum wirecheck_result r);

#endif
