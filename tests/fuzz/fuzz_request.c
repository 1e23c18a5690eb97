/* fuzz_request.c - fuzz target for what the server reads: frames cut from untrusted bytes, each unpacked as a Request,
 * walked, re-packed and freed.
 *
 * Two builds share this file:
 *   fuzz_request            any compiler; tests/fuzz/driver.c supplies main() and
 *                           runs seeds, a corpus directory and deterministic mutations
 *                           (the ctest "fuzz.request").
 *   fuzz_request_libfuzzer  clang only (configure with CC=clang); libFuzzer supplies
 *                           main(). By hand, from the top of the source tree, after a
 *                           normal build in BUILD (for planreg.pb-c.[ch]):
 *
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iproto -IBUILD/proto \
 *         tests/fuzz/fuzz_request.c proto/frame.c BUILD/proto/planreg.pb-c.c \
 *         -lprotobuf-c -o fuzz_request_libfuzzer
 *     BUILD/tests/fuzz_request --write-corpus corpus   # seeds from real packed requests
 *     ./fuzz_request_libfuzzer -max_len=4096 corpus
 *
 * Any broken invariant calls abort(), which both drivers report as a crash.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "frame.h"
#include "planreg.pb-c.h"

#define FUZZ_REQUEST_MAX_FRAME 65536
/* The schema is not recursive (PITFALLS.md); deeper than this means it became so. */
#define FUZZ_REQUEST_MAX_DEPTH 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Folded over everything the walk reads, so the reads cannot be optimised away. */
static volatile uint64_t fuzz_request_sink;

/* Set by the walk when an unknown field has a field number outside 1..2^29-1.
 * protobuf-c 1.4.1 accepts those (a tag of 0 written in more than one byte, or one
 * wider than 29 bits) and keeps them, but packs them as a tag it then refuses or
 * reads as another field, so a round trip of such a message is not expected to hold. */
static bool fuzz_request_odd_tag;

static void fuzz_request_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_request: invariant broken: %s\n", what);
		abort();
	}
}

static void fuzz_request_mix(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = fuzz_request_sink;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	fuzz_request_sink = h;
}

static void fuzz_request_walk(const ProtobufCMessage *m, int depth);

/* Reads one value of field f stored at p (a scalar, a string pointer, bytes or a sub-message pointer). */
static void fuzz_request_value(const ProtobufCFieldDescriptor *f, const unsigned char *p, int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		fuzz_request_mix(p, 4);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fuzz_request_mix(p, sizeof(protobuf_c_boolean));
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		fuzz_request_mix(p, 8);
		break;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s;
		memcpy(&s, p, sizeof s);
		fuzz_request_check(s != NULL, "unpacked string is NULL");
		fuzz_request_mix(s, strlen(s));
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData bd;
		memcpy(&bd, p, sizeof bd);
		fuzz_request_check(bd.len == 0 || bd.data != NULL, "bytes without data");
		if (bd.len > 0)
			fuzz_request_mix(bd.data, bd.len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub;
		memcpy(&sub, p, sizeof sub);
		if (sub != NULL) {
			fuzz_request_check(sub->descriptor == f->descriptor, "sub-message of the wrong type");
			fuzz_request_walk(sub, depth + 1);
		}
		break;
	}
	default:
		fuzz_request_check(false, "field of an unknown type");
	}
}

/* Size in the C struct of one element of a repeated field of this type. */
static size_t fuzz_request_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

/* Reads every byte the unpacker produced, through the descriptors, so that
 * ASan sees any dangling or short allocation in the unpacked graph. */
static void fuzz_request_walk(const ProtobufCMessage *m, int depth)
{
	fuzz_request_check(depth < FUZZ_REQUEST_MAX_DEPTH, "message nesting deeper than the schema allows");
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const unsigned char *base = (const unsigned char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which;
			memcpy(&which, base + f->quantifier_offset, sizeof which);
			if (which != f->id)
				continue; /* another member (or none) is set: this one must not be read */
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n;
			const unsigned char *arr;
			memcpy(&n, base + f->quantifier_offset, sizeof n);
			memcpy(&arr, base + f->offset, sizeof arr);
			fuzz_request_check(n == 0 || arr != NULL, "repeated field without storage");
			size_t step = fuzz_request_elem_size(f->type);
			for (size_t k = 0; k < n; k++)
				fuzz_request_value(f, arr + k * step, depth);
		} else {
			fuzz_request_value(f, base + f->offset, depth);
		}
	}
	for (unsigned i = 0; i < m->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
		fuzz_request_mix(&u->tag, sizeof u->tag);
		if (u->tag == 0 || u->tag > 0x1fffffffu)
			fuzz_request_odd_tag = true;
		if (u->len > 0)
			fuzz_request_mix(u->data, u->len);
	}
}

/* The rule every handler follows: check the case, then the member is there. */
static void fuzz_request_body_case(const Planreg__V1__Request *req)
{
	const void *member = NULL;
	switch (req->body_case) {
	case PLANREG__V1__REQUEST__BODY__NOT_SET:
		return;
	case PLANREG__V1__REQUEST__BODY_WHOAMI:
		member = req->whoami;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_THEMES:
		member = req->list_themes;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS:
		member = req->list_organisations;
		break;
	case PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION:
		member = req->upsert_organisation;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_PROJECTS:
		member = req->list_projects;
		break;
	case PLANREG__V1__REQUEST__BODY_GET_PROJECT:
		member = req->get_project;
		break;
	case PLANREG__V1__REQUEST__BODY_IMPORT_PLAN:
		member = req->import_plan;
		break;
	case PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL:
		member = req->enrol_credential;
		break;
	case PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL:
		member = req->revoke_credential;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS:
		member = req->list_credentials;
		break;
	case PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE:
		member = req->submit_update;
		break;
	case PLANREG__V1__REQUEST__BODY_GET_UPDATE:
		member = req->get_update;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_UPDATES:
		member = req->list_updates;
		break;
	case PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE:
		member = req->review_update;
		break;
	case PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT:
		member = req->verify_audit;
		break;
	case PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE:
		member = req->update_template;
		break;
	case PLANREG__V1__REQUEST__BODY_GET_STATUS:
		member = req->get_status;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING:
		member = req->list_outstanding;
		break;
	case PLANREG__V1__REQUEST__BODY_GET_TIMELINESS:
		member = req->get_timeliness;
		break;
	case PLANREG__V1__REQUEST__BODY_DIFF_PERIODS:
		member = req->diff_periods;
		break;
	case PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES:
		member = req->export_updates;
		break;
	case PLANREG__V1__REQUEST__BODY_GET_REMINDER_POLICY:
		member = req->get_reminder_policy;
		break;
	case PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY:
		member = req->set_reminder_policy;
		break;
	case PLANREG__V1__REQUEST__BODY_CLAIM_REMINDERS:
		member = req->claim_reminders;
		break;
	case PLANREG__V1__REQUEST__BODY_ACK_REMINDER:
		member = req->ack_reminder;
		break;
	case PLANREG__V1__REQUEST__BODY_LIST_REMINDERS:
		member = req->list_reminders;
		break;
	default:
		fuzz_request_check(false, "body_case holds a value the schema does not have");
	}
	fuzz_request_check(member != NULL, "body_case set but its member is NULL");
}

/* Packs req into a malloc'd buffer (the caller frees it) and checks the size agrees. */
static uint8_t *fuzz_request_pack(const Planreg__V1__Request *req, size_t *len)
{
	size_t n = planreg__v1__request__get_packed_size(req);
	uint8_t *out = malloc(n ? n : 1);
	fuzz_request_check(out != NULL, "out of memory");
	fuzz_request_check(planreg__v1__request__pack(req, out) == n,
			   "pack wrote a different size than get_packed_size");
	*len = n;
	return out;
}

static void fuzz_request_one(const uint8_t *body, size_t len)
{
	Planreg__V1__Request *req = planreg__v1__request__unpack(NULL, len, body);
	if (req == NULL)
		return;
	fuzz_request_check(req->base.descriptor == &planreg__v1__request__descriptor, "wrong descriptor");
	fuzz_request_check(protobuf_c_message_check(&req->base), "unpacked message fails protobuf_c_message_check");
	fuzz_request_body_case(req);
	fuzz_request_odd_tag = false;
	fuzz_request_walk(&req->base, 0);

	size_t n1;
	uint8_t *p1 = fuzz_request_pack(req, &n1);
	if (fuzz_request_odd_tag) {
		free(p1);
		protobuf_c_message_free_unpacked(&req->base, NULL);
		return;
	}

	/* What we pack must unpack again, and pack to the same bytes the second
	 * time (the first pass may normalise: defaults dropped, duplicates merged). */
	Planreg__V1__Request *again = planreg__v1__request__unpack(NULL, n1, p1);
	fuzz_request_check(again != NULL, "re-packed request does not unpack");
	fuzz_request_check(again->body_case == req->body_case, "body_case changed across a round trip");
	fuzz_request_check(again->id == req->id, "id changed across a round trip");
	fuzz_request_check(strcmp(again->idempotency_key, req->idempotency_key) == 0,
			   "idempotency_key changed across a round trip");
	size_t n2;
	uint8_t *p2 = fuzz_request_pack(again, &n2);
	fuzz_request_check(n1 == n2 && memcmp(p1, p2, n1) == 0, "packing is not stable across a round trip");

	free(p2);
	free(p1);
	protobuf_c_message_free_unpacked(&again->base, NULL);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}

/* Checks what frame_decode promised about one result. */
static void fuzz_request_check_frame(enum frame_result r, const uint8_t *at, size_t avail, const uint8_t *body,
				     size_t body_len, size_t consumed, size_t need)
{
	switch (r) {
	case FRAME_OK:
		fuzz_request_check(body == at + FRAME_HEADER_BYTES, "body does not follow the header");
		fuzz_request_check(body_len >= 1 && body_len <= FUZZ_REQUEST_MAX_FRAME, "body_len out of range");
		fuzz_request_check(body_len == frame_get_header(at), "body_len differs from the header");
		fuzz_request_check(consumed == FRAME_HEADER_BYTES + body_len && consumed <= avail,
				   "consumed is not header + body within the input");
		break;
	case FRAME_NEED_MORE:
		fuzz_request_check(body == NULL && consumed == 0, "need_more returned a body");
		fuzz_request_check(need > avail, "need_more with enough bytes");
		if (avail < FRAME_HEADER_BYTES)
			fuzz_request_check(need == FRAME_HEADER_BYTES, "need is not the header size");
		else
			fuzz_request_check(need == FRAME_HEADER_BYTES + (size_t)frame_get_header(at),
					   "need is not header + announced length");
		break;
	case FRAME_EMPTY:
		fuzz_request_check(avail >= FRAME_HEADER_BYTES && frame_get_header(at) == 0,
				   "empty for a non-empty header");
		fuzz_request_check(body == NULL && consumed == 0, "empty returned a body");
		break;
	case FRAME_TOO_LARGE:
		fuzz_request_check(avail >= FRAME_HEADER_BYTES && body_len == frame_get_header(at) &&
					   body_len > FUZZ_REQUEST_MAX_FRAME,
				   "too_large for an acceptable length");
		fuzz_request_check(body == NULL && consumed == 0, "too_large returned a body");
		break;
	default:
		fuzz_request_check(false, "frame_decode returned an unknown result");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		const uint8_t *at = data + off;
		size_t avail = size - off;
		const uint8_t *body;
		size_t body_len, consumed, need;
		enum frame_result r =
			frame_decode(at, avail, FUZZ_REQUEST_MAX_FRAME, &body, &body_len, &consumed, &need);
		fuzz_request_check_frame(r, at, avail, body, body_len, consumed, need);
		if (r != FRAME_OK)
			break; /* the server closes the connection (or waits) here */

		/* frame_encode writes back exactly the bytes frame_decode read */
		uint8_t *re = malloc(consumed);
		fuzz_request_check(re != NULL, "out of memory");
		size_t wrote = frame_encode(body, body_len, FUZZ_REQUEST_MAX_FRAME, re, consumed);
		fuzz_request_check(wrote == consumed && memcmp(re, at, consumed) == 0,
				   "frame_encode disagrees with frame_decode");
		free(re);

		fuzz_request_one(body, body_len);
		off += consumed;
	}
	return 0;
}
