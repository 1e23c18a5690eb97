/* fuzz_request.c - fuzz target for what the server reads: frames cut from untrusted bytes, each unpacked as a Request,
 * walked, re-packed and freed.
 *
 * Two builds share this file (see the top of driver.c):
 *   fuzz_request            any compiler; driver.c runs the seeds below, a corpus directory and
 *                           deterministic mutations (the ctest "fuzz.request").
 *   fuzz_request_libfuzzer  clang only; libFuzzer drives it. It links planreg_proto_fuzz, planreg_proto
 *                           compiled with coverage instrumentation (tests/CMakeLists.txt).
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

#include "decode.h"
#include "driver.h"
#include "frame.h"
#include "planreg.pb-c.h"
#include "text.h"
#include "wirecheck.h"

#define FUZZ_REQUEST_MAX_FRAME 65536
/* The schema is not recursive (protobuf-c has no depth limit: docs/hacking.md); deeper than this means it became so. */
#define FUZZ_REQUEST_MAX_DEPTH 16

/* Folded over everything the walk reads, so the reads cannot be optimised away. */
static volatile uint64_t fuzz_request_sink;

/* Set by the walk when an unknown field has a field number outside 1..2^29-1.
 * protobuf-c 1.4.1 accepts those (a tag of 0 written in more than one byte, or one
 * wider than 29 bits) and keeps them, but packs them as a tag it then refuses or
 * reads as another field, so a round trip of such a message is not expected to hold. */
static bool fuzz_request_odd_tag;

/* Whether the last input began with a whole frame whose body unpacked. */
static bool fuzz_request_last_ok;

static void fuzz_request_check(bool ok, const char *what)
{
	fuzz_check(ok, "request", what);
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

/* The rule every handler follows: check the case, then the member is there. The member is found
 * through the schema (the oneof field whose number is the case), so a new request kind needs
 * nothing here; the server's method table is checked against the same schema (test_methods). */
static void fuzz_request_body_case(const Planreg__V1__Request *req)
{
	if (req->body_case == PLANREG__V1__REQUEST__BODY__NOT_SET)
		return;
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&planreg__v1__request__descriptor, (unsigned)req->body_case);
	fuzz_request_check(f != NULL && f->quantifier_offset != 0 && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF),
			   "body_case holds a value the schema does not have");
	fuzz_request_check(f->type == PROTOBUF_C_TYPE_MESSAGE, "a request body that is not a message");
	const void *member = *(void *const *)((const char *)req + f->offset);
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

/* Returns whether the body unpacked as a Request. */
/* What the daemon runs before protobuf-c sees a body: the head scan, the string walk and the
 * budgeted decode. Each must agree with protobuf-c's own reading (req: its unpack, or NULL). */
static void fuzz_request_prechecks(const uint8_t *body, size_t len, const Planreg__V1__Request *req)
{
	uint64_t id;
	uint32_t kind;
	bool head = wirecheck_request_head(body, len, &id, &kind);
	/* the scan may refuse what protobuf-c 1.4 tolerates (odd tags); what it accepts, it must read as
	 * protobuf-c does, or a request could be capped and authorised as one kind and run as another */
	if (req != NULL && head) {
		fuzz_request_check(id == req->id, "wirecheck_request_head reads another id");
		fuzz_request_check(kind == 0 || kind == (uint32_t)req->body_case,
				   "wirecheck_request_head reads another request kind");
	}
	struct wirecheck_problem problem;
	enum wirecheck_result w = wirecheck_strings(&planreg__v1__request__descriptor, body, len, &problem);
	fuzz_request_check(w <= WIRECHECK_TOO_DEEP, "wirecheck_strings returns no known result");
	fuzz_request_check(w == WIRECHECK_OK || memchr(problem.path, '\0', sizeof problem.path) != NULL,
			   "wirecheck_strings leaves the field path unterminated");
	fuzz_request_check(wirecheck_result_text(w) != NULL, "wirecheck_result_text has no text");
	if (req != NULL && w == WIRECHECK_OK)
		fuzz_request_check(text_utf8_valid(req->idempotency_key, strlen(req->idempotency_key), NULL),
				   "a checked idempotency key is not UTF-8");

	/* with room enough, the budgeted decode reads exactly what protobuf-c reads */
	enum decode_result dr;
	size_t used = 0;
	ProtobufCMessage *m = decode_unpack(&planreg__v1__request__descriptor, body, len, (size_t)1 << 30, &dr, &used);
	fuzz_request_check((m != NULL) == (req != NULL), "decode_unpack and protobuf-c disagree on a body");
	fuzz_request_check(m == NULL || dr == DECODE_OK, "decode_unpack returned a message and an error");
	decode_free(m);
	/* with little room, it fails cleanly or fits */
	m = decode_unpack(&planreg__v1__request__descriptor, body, len, 256, &dr, &used);
	fuzz_request_check(m != NULL || dr != DECODE_OK, "decode_unpack failed without saying why");
	fuzz_request_check(m == NULL || used <= 256, "decode_unpack spent more than its budget");
	fuzz_request_check(dr != DECODE_MALFORMED || req == NULL, "decode_unpack calls a good body malformed");
	decode_free(m);
}

static bool fuzz_request_one(const uint8_t *body, size_t len)
{
	Planreg__V1__Request *req = planreg__v1__request__unpack(NULL, len, body);
	fuzz_request_prechecks(body, len, req);
	if (req == NULL)
		return false;
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
		return true;
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
	return true;
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
	fuzz_request_last_ok = false;
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

		bool unpacked = fuzz_request_one(body, body_len);
		if (off == 0)
			fuzz_request_last_ok = unpacked;
		off += consumed;
	}
	return 0;
}

/* ---------------------------------------------------------------- seeds: real requests, packed and framed */

/* Packs req, frames it, and adds the frame to the pool. */
static void fuzz_request_seed(struct fuzz_pool *pool, const Planreg__V1__Request *req)
{
	size_t n = planreg__v1__request__get_packed_size(req);
	uint8_t *body = fuzz_alloc(n);
	planreg__v1__request__pack(req, body);
	uint8_t *frame = fuzz_alloc(FRAME_HEADER_BYTES + n);
	size_t len = frame_encode(body, n, FUZZ_REQUEST_MAX_FRAME, frame, FRAME_HEADER_BYTES + n);
	if (len == 0) {
		fprintf(stderr, "fuzz_request: seed of %zu bytes does not frame\n", n);
		exit(2);
	}
	fuzz_pool_add(pool, frame, len);
	free(frame);
	free(body);
}

/* Seeds req as a request of kind with body as its member (found through the schema, as the
 * daemon's dispatch finds it), under id. */
static void fuzz_request_seed_body(struct fuzz_pool *pool, Planreg__V1__Request *req, uint64_t id,
				   Planreg__V1__Request__BodyCase kind, void *body)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&planreg__v1__request__descriptor, (unsigned)kind);
	fuzz_request_check(f != NULL, "a seed of a kind the schema does not have");
	req->id = id;
	req->body_case = kind;
	*(void **)((char *)req + f->offset) = body;
	fuzz_request_seed(pool, req);
	*(void **)((char *)req + f->offset) = NULL;
}

static void fuzz_request_seed_register(struct fuzz_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;

	Planreg__V1__WhoamiRequest whoami = PLANREG__V1__WHOAMI_REQUEST__INIT;
	fuzz_request_seed_body(pool, &req, 1, PLANREG__V1__REQUEST__BODY_WHOAMI, &whoami);

	Planreg__V1__ListThemesRequest themes = PLANREG__V1__LIST_THEMES_REQUEST__INIT;
	fuzz_request_seed_body(pool, &req, 2, PLANREG__V1__REQUEST__BODY_LIST_THEMES, &themes);

	Planreg__V1__ListOrganisationsRequest orgs = PLANREG__V1__LIST_ORGANISATIONS_REQUEST__INIT;
	fuzz_request_seed_body(pool, &req, 3, PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS, &orgs);

	Planreg__V1__UpsertOrganisationRequest upsert = PLANREG__V1__UPSERT_ORGANISATION_REQUEST__INIT;
	upsert.code = "LCC";
	upsert.name = "Leeds City Council";
	upsert.kind = PLANREG__V1__ORG_KIND__ORG_KIND_LOCAL_AUTHORITY;
	upsert.contact_email = "digital@example.org";
	req.idempotency_key = "6f1c2a9e-upsert";
	fuzz_request_seed_body(pool, &req, 4, PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION, &upsert);
	req.idempotency_key = "";

	Planreg__V1__ListProjectsRequest list = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	list.theme = 2;
	list.objective = "2.1";
	list.lead_org = "WYCA";
	list.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	list.capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY;
	list.text = "5G \xe2\x80\x93 full fibre";
	list.page_size = 1000;
	list.page_token = "bmV4dA";
	fuzz_request_seed_body(pool, &req, 5, PLANREG__V1__REQUEST__BODY_LIST_PROJECTS, &list);

	Planreg__V1__GetProjectRequest get = PLANREG__V1__GET_PROJECT_REQUEST__INIT;
	get.ref = 12;
	fuzz_request_seed_body(pool, &req, 6, PLANREG__V1__REQUEST__BODY_GET_PROJECT, &get);
}

static void fuzz_request_seed_import(struct fuzz_pool *pool)
{
	Planreg__V1__Objective o1 = PLANREG__V1__OBJECTIVE__INIT;
	o1.code = "6.1";
	o1.theme = 6;
	o1.title = "Everyone can get online";
	Planreg__V1__Objective o2 = o1;
	o2.code = "6.2";
	o2.title = "Skills for work";
	Planreg__V1__Objective *objectives[] = {&o1, &o2};
	Planreg__V1__Theme theme = PLANREG__V1__THEME__INIT;
	theme.number = 6;
	theme.title = "Digital inclusion";
	theme.n_objectives = 2;
	theme.objectives = objectives;
	Planreg__V1__Theme *themes[] = {&theme};

	char *aliases[] = {"Leeds CC", "Leeds City Council (LCC)"};
	Planreg__V1__Organisation org1 = PLANREG__V1__ORGANISATION__INIT;
	org1.code = "LCC";
	org1.name = "Leeds City Council";
	org1.kind = PLANREG__V1__ORG_KIND__ORG_KIND_LOCAL_AUTHORITY;
	org1.n_aliases = 2;
	org1.aliases = aliases;
	Planreg__V1__Organisation org2 = PLANREG__V1__ORGANISATION__INIT;
	org2.code = "UOL";
	org2.name = "University of Leeds";
	org2.kind = PLANREG__V1__ORG_KIND__ORG_KIND_UNIVERSITY;
	org2.projects_led = 3;
	Planreg__V1__Organisation *orgs[] = {&org1, &org2};

	Planreg__V1__Partner p1 = PLANREG__V1__PARTNER__INIT;
	p1.name = "University of Leeds";
	p1.organisation = "UOL";
	Planreg__V1__Partner p2 = PLANREG__V1__PARTNER__INIT;
	p2.name = "Local businesses";
	Planreg__V1__Partner *partners[] = {&p1, &p2};
	Planreg__V1__Money min = PLANREG__V1__MONEY__INIT;
	min.pence = 120000000;
	Planreg__V1__Money max = PLANREG__V1__MONEY__INIT;
	max.pence = 235000000;
	Planreg__V1__Cost cost = PLANREG__V1__COST__INIT;
	cost.text = "\xc2\xa3"
		    "1.2M - \xc2\xa3"
		    "2.35M";
	cost.status = PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN;
	cost.min = &min;
	cost.max = &max;
	cost.approximate = 1;
	char *lead_orgs[] = {"LCC"};
	char *lead_people[] = {"A. Person", "B. Person"};
	Planreg__V1__Project project = PLANREG__V1__PROJECT__INIT;
	project.ref = 12;
	project.theme = 6;
	project.objective = "6.1";
	project.title = "Digital inclusion hubs";
	project.description = "Hubs in libraries.\nFree devices and data.";
	project.capital = 1;
	project.n_lead_orgs = 1;
	project.lead_orgs = lead_orgs;
	project.n_lead_people = 2;
	project.lead_people = lead_people;
	project.lead_text = "LCC (A. Person, B. Person)";
	project.n_partners = 2;
	project.partners = partners;
	project.partners_text = "University of Leeds; local businesses";
	project.cost = &cost;
	project.funding = "Gigabit fund";
	project.stage = PLANREG__V1__STAGE__STAGE_EARLY_DEVELOPMENT;
	project.stage_note = "procurement";
	project.stage_text = "Early development (procurement)";
	Planreg__V1__Project *projects[] = {&project};

	Planreg__V1__Alias alias = PLANREG__V1__ALIAS__INIT;
	alias.alias = "A Persn";
	alias.target = "A. Person";
	Planreg__V1__Alias *person_aliases[] = {&alias};

	Planreg__V1__ImportPlanRequest import = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	import.title = "Digital Strategy Action Plan 2024";
	import.source_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	import.n_themes = 1;
	import.themes = themes;
	import.n_organisations = 2;
	import.organisations = orgs;
	import.n_projects = 1;
	import.projects = projects;
	import.dry_run = 1;
	import.n_person_aliases = 1;
	import.person_aliases = person_aliases;

	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.idempotency_key = "import-2024";
	fuzz_request_seed_body(pool, &req, 7, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &import);
}

static void fuzz_request_seed_credentials(struct fuzz_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;

	Planreg__V1__EnrolCredentialRequest enrol = PLANREG__V1__ENROL_CREDENTIAL_REQUEST__INIT;
	enrol.name = "submitter-LCC";
	enrol.fingerprint =
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	enrol.organisation = "LCC";
	enrol.person = "A. Person";
	enrol.role = PLANREG__V1__ROLE__ROLE_SUBMITTER;
	req.idempotency_key = "enrol-1";
	fuzz_request_seed_body(pool, &req, 8, PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL, &enrol);

	Planreg__V1__RevokeCredentialRequest revoke = PLANREG__V1__REVOKE_CREDENTIAL_REQUEST__INIT;
	revoke.name = "submitter-LCC";
	req.idempotency_key = "revoke-1";
	fuzz_request_seed_body(pool, &req, 9, PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL, &revoke);

	Planreg__V1__ListCredentialsRequest creds = PLANREG__V1__LIST_CREDENTIALS_REQUEST__INIT;
	creds.include_revoked = 1;
	req.idempotency_key = "";
	fuzz_request_seed_body(pool, &req, 10, PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS, &creds);
}

static void fuzz_request_seed_updates(struct fuzz_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;

	Planreg__V1__Date baseline = PLANREG__V1__DATE__INIT;
	baseline.iso = "2024-09-30";
	Planreg__V1__Date forecast = PLANREG__V1__DATE__INIT;
	forecast.iso = "2024-12-31";
	Planreg__V1__Milestone m1 = PLANREG__V1__MILESTONE__INIT;
	m1.title = "Hubs open";
	m1.baseline = &baseline;
	m1.forecast = &forecast;
	Planreg__V1__Milestone m2 = PLANREG__V1__MILESTONE__INIT;
	m2.title = "Evaluation";
	m2.achieved = &baseline;
	Planreg__V1__Milestone *milestones[] = {&m1, &m2};
	char *risks[] = {"Supplier delay", "Staff turnover \xe2\x80\x94 two posts vacant"};
	Planreg__V1__Money spend = PLANREG__V1__MONEY__INIT;
	spend.pence = 55000000;
	Planreg__V1__Money total = PLANREG__V1__MONEY__INIT;
	total.pence = 130000000;
	Planreg__V1__UpdateContent content = PLANREG__V1__UPDATE_CONTENT__INIT;
	content.ref = 12;
	content.period = "2024-Q3";
	content.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER;
	content.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	content.narrative = "Three hubs open.\nUse is \xc2\xa3"
			    "-for-\xc2\xa3 ahead of plan.";
	content.spend_to_date = &spend;
	content.forecast_total = &total;
	content.variance_note = "Forecast up 8% after the second phase was added.";
	content.n_milestones = 2;
	content.milestones = milestones;
	content.n_risks = 2;
	content.risks = risks;
	Planreg__V1__SubmitUpdateRequest submit = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	submit.content = &content;
	req.idempotency_key = "submit-12-2024Q3";
	fuzz_request_seed_body(pool, &req, 11, PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, &submit);
	req.idempotency_key = "";

	Planreg__V1__GetUpdateRequest get = PLANREG__V1__GET_UPDATE_REQUEST__INIT;
	get.id = 77;
	fuzz_request_seed_body(pool, &req, 12, PLANREG__V1__REQUEST__BODY_GET_UPDATE, &get);

	Planreg__V1__ListUpdatesRequest list = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	list.period = "2024-Q3";
	list.organisation = "LCC";
	list.latest_only = 1;
	fuzz_request_seed_body(pool, &req, 13, PLANREG__V1__REQUEST__BODY_LIST_UPDATES, &list);

	Planreg__V1__ReviewUpdateRequest review = PLANREG__V1__REVIEW_UPDATE_REQUEST__INIT;
	review.id = 77;
	review.accept = 0;
	review.comment = "Variance note needed";
	req.idempotency_key = "review-77";
	fuzz_request_seed_body(pool, &req, 14, PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE, &review);
	req.idempotency_key = "";

	Planreg__V1__VerifyAuditRequest verify = PLANREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	fuzz_request_seed_body(pool, &req, 15, PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT, &verify);

	Planreg__V1__UpdateTemplateRequest tmpl = PLANREG__V1__UPDATE_TEMPLATE_REQUEST__INIT;
	tmpl.period = "2024-Q4";
	tmpl.organisation = "LCC";
	fuzz_request_seed_body(pool, &req, UINT64_MAX, PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE, &tmpl);

	/* no body at all: the server must answer INVALID_ARGUMENT, not crash */
	req.id = 16;
	req.idempotency_key = "no-body";
	req.body_case = PLANREG__V1__REQUEST__BODY__NOT_SET;
	fuzz_request_seed(pool, &req);
}

/* Seeds built from bytes rather than messages: several frames in a row, and
 * fields this schema does not know (kept by protobuf-c as unknown fields). */
static void fuzz_request_seed_wire(struct fuzz_pool *pool)
{
	struct fuzz_bytes b = {0};
	for (size_t i = 0; i < 3 && i < pool->n; i++)
		fuzz_bytes_append(&b, pool->items[i].data, pool->items[i].len);
	fuzz_pool_add(pool, b.data, b.len);
	b.len = 0;

	/* the whoami body plus field 99 (varint), field 100 (bytes) and field 101 (fixed64) */
	const struct fuzz_bytes *whoami = &pool->items[0];
	static const uint8_t unknown[] = {
		0x98, 0x06, 0x2a,                            /* 99: 42 */
		0xa2, 0x06, 0x03, 'a', 'b', 'c',             /* 100: "abc" */
		0xa9, 0x06, 1,    2,   3,   4,   5, 6, 7, 8, /* 101: fixed64 */
	};
	fuzz_bytes_insert(&b, 0, NULL, FRAME_HEADER_BYTES); /* the header, written once the length is known */
	fuzz_bytes_append(&b, whoami->data + FRAME_HEADER_BYTES, whoami->len - FRAME_HEADER_BYTES);
	fuzz_bytes_append(&b, unknown, sizeof unknown);
	frame_put_header(b.data, (uint32_t)(b.len - FRAME_HEADER_BYTES));
	fuzz_pool_add(pool, b.data, b.len);
	free(b.data);
}

/* The consolidated status requests, with every optional part present. */
static void fuzz_request_seed_status(struct fuzz_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__Timestamp as_at = PLANREG__V1__TIMESTAMP__INIT;
	as_at.rfc3339 = "2026-10-20T09:30:00+01:00";
	Planreg__V1__GetStatusRequest status = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	status.period = "2026-Q3";
	status.as_at = &as_at;
	status.theme = 1;
	status.objective = "1.2";
	status.lead_org = "LCC";
	status.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	status.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER;
	status.page_size = 100;
	status.page_token = "40";
	status.include_narrative = 1;
	fuzz_request_seed_body(pool, &req, 40, PLANREG__V1__REQUEST__BODY_GET_STATUS, &status);

	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	as_of.iso = "2026-10-20";
	Planreg__V1__ListOutstandingRequest out = PLANREG__V1__LIST_OUTSTANDING_REQUEST__INIT;
	out.period = "2026-Q3";
	out.as_of = &as_of;
	fuzz_request_seed_body(pool, &req, 41, PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING, &out);

	Planreg__V1__GetTimelinessRequest tl = PLANREG__V1__GET_TIMELINESS_REQUEST__INIT;
	tl.from_period = "2026-Q1";
	tl.to_period = "2026-Q3";
	fuzz_request_seed_body(pool, &req, 42, PLANREG__V1__REQUEST__BODY_GET_TIMELINESS, &tl);

	Planreg__V1__DiffPeriodsRequest diff = PLANREG__V1__DIFF_PERIODS_REQUEST__INIT;
	diff.from_period = "2026-Q2";
	diff.to_period = "2026-Q3";
	fuzz_request_seed_body(pool, &req, 43, PLANREG__V1__REQUEST__BODY_DIFF_PERIODS, &diff);

	Planreg__V1__ExportUpdatesRequest exp = PLANREG__V1__EXPORT_UPDATES_REQUEST__INIT;
	exp.from_period = "2026-Q1";
	exp.to_period = "2026-Q4";
	exp.after_id = 500;
	exp.page_size = 250;
	fuzz_request_seed_body(pool, &req, 44, PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES, &exp);
}

static void fuzz_request_seeds(struct fuzz_pool *pool)
{
	fuzz_request_seed_register(pool);
	fuzz_request_seed_import(pool);
	fuzz_request_seed_credentials(pool);
	fuzz_request_seed_updates(pool);
	fuzz_request_seed_status(pool);
	fuzz_request_seed_wire(pool);
}

/* ---------------------------------------------------------------- edits and envelope for the driver */

/* Offset of the k-th frame header found by walking announced lengths, or of the last one that fits. */
static size_t fuzz_request_frame_at(const struct fuzz_bytes *b, size_t k)
{
	size_t pos = 0;
	for (size_t i = 0; i < k; i++) {
		if (b->len - pos < FRAME_HEADER_BYTES)
			break;
		size_t next = pos + FRAME_HEADER_BYTES + frame_get_header(b->data + pos);
		if (next + FRAME_HEADER_BYTES > b->len)
			break;
		pos = next;
	}
	return pos;
}

/* Edits that know the wire: varints, length prefixes, tags, frame headers, frames in a row. */
static void fuzz_request_mutate(struct fuzz_rng *r, struct fuzz_bytes *b, const struct fuzz_pool *pool)
{
	static const uint8_t wire_bytes[] = {0x02, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x52, 0x7f, 0x80, 0x81, 0xc0};
	uint8_t tmp[32];
	switch (fuzz_below(r, 6)) {
	case 0: /* a byte the protobuf wire format gives meaning to */
		if (b->len)
			b->data[fuzz_below(r, b->len)] = wire_bytes[fuzz_below(r, sizeof wire_bytes)];
		break;
	case 1: { /* an over-long or huge varint where a tag or length was */
		size_t n = 1 + fuzz_below(r, 11);
		for (size_t i = 0; i < n; i++)
			tmp[i] = 0xff;
		if (fuzz_below(r, 2))
			tmp[n - 1] = (uint8_t)fuzz_below(r, 0x80);
		fuzz_bytes_insert(b, fuzz_below(r, b->len + 1), tmp, n);
		break;
	}
	case 2: { /* make a byte a length prefix larger or smaller than what follows */
		if (b->len == 0)
			break;
		size_t pos = fuzz_below(r, b->len);
		size_t left = b->len - pos;
		b->data[pos] = (uint8_t)(fuzz_below(r, 2) ? left : left + 1 + fuzz_below(r, 4));
		break;
	}
	case 3: { /* a tag for a random field number and wire type, with a short value */
		uint32_t field = (uint32_t)(fuzz_below(r, 2) ? 1 + fuzz_below(r, 40) : fuzz_rand(r) & 0x1fffffff);
		uint32_t tag = (field << 3) | (uint32_t)fuzz_below(r, 8);
		size_t n = 0;
		while (tag >= 0x80) {
			tmp[n++] = (uint8_t)(tag | 0x80);
			tag >>= 7;
		}
		tmp[n++] = (uint8_t)tag;
		tmp[n++] = (uint8_t)fuzz_below(r, 4);
		tmp[n++] = (uint8_t)fuzz_rand(r);
		fuzz_bytes_insert(b, fuzz_below(r, b->len + 1), tmp, n);
		break;
	}
	case 4: { /* rewrite a frame header with an edge-case length */
		if (b->len < FRAME_HEADER_BYTES)
			break;
		size_t pos = fuzz_request_frame_at(b, fuzz_below(r, 4));
		uint32_t cur = frame_get_header(b->data + pos);
		const uint32_t lengths[] = {0,
					    1,
					    cur - 1,
					    cur + 1,
					    cur * 2,
					    FUZZ_REQUEST_MAX_FRAME,
					    FUZZ_REQUEST_MAX_FRAME + 1,
					    0x7fffffffu,
					    0x80000000u,
					    0xffffffffu,
					    (uint32_t)(b->len - pos)};
		frame_put_header(b->data + pos, lengths[fuzz_below(r, sizeof lengths / sizeof lengths[0])]);
		break;
	}
	case 5: { /* append another input: frames back to back */
		const struct fuzz_bytes *o = &pool->items[fuzz_below(r, pool->n)];
		if (b->len + o->len <= 1 << 20)
			fuzz_bytes_append(b, o->data, o->len);
		break;
	}
	}
}

/* The body of the first frame, when the input starts with a whole one. */
static bool fuzz_request_payload(const uint8_t *data, size_t len, size_t *off, size_t *plen)
{
	if (len < FRAME_HEADER_BYTES)
		return false;
	size_t n = frame_get_header(data);
	if (n > len - FRAME_HEADER_BYTES)
		return false;
	*off = FRAME_HEADER_BYTES;
	*plen = n;
	return true;
}

/* Makes b the body of one correctly framed request (when its length allows). */
static void fuzz_request_wrap(struct fuzz_bytes *b)
{
	if (b->len == 0 || b->len > FUZZ_REQUEST_MAX_FRAME)
		return;
	uint8_t h[FRAME_HEADER_BYTES];
	frame_put_header(h, (uint32_t)b->len);
	fuzz_bytes_insert(b, 0, h, sizeof h);
}

/* The input began with a whole frame whose body unpacked: the mutations still reach the unpacker rather
 * than the framing alone. */
static bool fuzz_request_accepted(void)
{
	return fuzz_request_last_ok;
}

static const char *const fuzz_request_tokens[] = {
	"\x08\x01",
	"\x10\x7f",
	"\x1a\x02\x08\x01",
	"\xff\xff\xff\xff\x0f",
	"\x80\x80\x80\x80\x80\x01",
	"2026-Q3",
	"LCC",
	"\xc2\xa3",
	NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "request",
	.iterations = 20000,
	.max_len = 1 << 20,
	.tokens = fuzz_request_tokens,
	.seeds = fuzz_request_seeds,
	.mutate = fuzz_request_mutate,
	.payload = fuzz_request_payload,
	.wrap = fuzz_request_wrap,
	.accepted = fuzz_request_accepted,
	.accepted_what = "began with a request that unpacked",
};
