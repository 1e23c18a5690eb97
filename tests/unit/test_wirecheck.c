/* test_wirecheck.c - unit tests for the checks made before a request is trusted:
 * wirecheck.c (request kind, strings with NUL or bad UTF-8 and their field paths),
 * decode.c (unpacking under a memory budget) and text_sanitize_utf8 (text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "planreg.pb-c.h"
#include "text.h"
#include "wirecheck.h"

/* ---------------------------------------------------------------- a tiny protobuf writer */

struct test_msg {
	uint8_t b[4096];
	size_t n;
};

static void test_put_varint(struct test_msg *m, uint64_t v)
{
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		m->b[m->n++] = byte | (v ? 0x80 : 0);
	} while (v);
}

static void test_put_varint_field(struct test_msg *m, uint32_t field, uint64_t v)
{
	test_put_varint(m, (uint64_t)field << 3);
	test_put_varint(m, v);
}

static void test_put_bytes(struct test_msg *m, uint32_t field, const void *data, size_t len)
{
	test_put_varint(m, (uint64_t)field << 3 | 2);
	test_put_varint(m, len);
	memcpy(m->b + m->n, data, len);
	m->n += len;
}

static void test_put_msg(struct test_msg *m, uint32_t field, const struct test_msg *sub)
{
	test_put_bytes(m, field, sub->b, sub->n);
}

#define PUT_STR(m, field, lit) test_put_bytes((m), (field), (lit), sizeof(lit) - 1)

static enum wirecheck_result test_check(const struct test_msg *m, struct wirecheck_problem *p)
{
	return wirecheck_strings(&planreg__v1__request__descriptor, m->b, m->n, p);
}

/* ---------------------------------------------------------------- wirecheck_request_head */

static void test_head_finds_id_and_body(void **state)
{
	(void)state;
	struct test_msg m = {.n = 0}, empty = {.n = 0};
	test_put_varint_field(&m, 1, 4242);
	PUT_STR(&m, 2, "key-1");
	test_put_msg(&m, PLANREG__V1__REQUEST__BODY_GET_PROJECT, &empty);
	uint64_t id;
	uint32_t body;
	assert_true(wirecheck_request_head(m.b, m.n, &id, &body));
	assert_int_equal(id, 4242);
	assert_int_equal(body, PLANREG__V1__REQUEST__BODY_GET_PROJECT);

	/* the last oneof member wins, as when decoding */
	test_put_msg(&m, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &empty);
	test_put_msg(&m, PLANREG__V1__REQUEST__BODY_WHOAMI, &empty);
	assert_true(wirecheck_request_head(m.b, m.n, &id, &body));
	assert_int_equal(body, PLANREG__V1__REQUEST__BODY_WHOAMI);

	/* a field number the schema does not know is no body; fixed-width fields are skipped */
	struct test_msg u = {.n = 0};
	test_put_msg(&u, 99, &empty);
	test_put_varint(&u, 7u << 3 | 5);
	memcpy(u.b + u.n, "\1\2\3\4", 4);
	u.n += 4;
	test_put_varint(&u, 8u << 3 | 1);
	memcpy(u.b + u.n, "12345678", 8);
	u.n += 8;
	assert_true(wirecheck_request_head(u.b, u.n, &id, &body));
	assert_int_equal(id, 0);
	assert_int_equal(body, 0);

	/* an empty message is a valid Request without a body */
	assert_true(wirecheck_request_head(u.b, 0, &id, &body));
	assert_int_equal(body, 0);
}

static void test_head_refuses_malformed(void **state)
{
	(void)state;
	uint64_t id;
	uint32_t body;
	const uint8_t truncated_len[] = {0x82, 0x01, 0x05, 0x00}; /* field 16, 5 bytes promised, 1 there */
	const uint8_t group[] = {0x0b};                           /* field 1, wire type 3 */
	const uint8_t field_zero[] = {0x02, 0x00};                /* field number 0 */
	const uint8_t open_varint[] = {0x08, 0xff, 0xff};         /* varint never ends */
	const uint8_t short_fixed[] = {0x09, 1, 2, 3};            /* 64-bit field of 3 bytes */
	const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	assert_false(wirecheck_request_head(truncated_len, sizeof truncated_len, &id, &body));
	assert_false(wirecheck_request_head(group, sizeof group, &id, &body));
	assert_false(wirecheck_request_head(field_zero, sizeof field_zero, &id, &body));
	assert_false(wirecheck_request_head(open_varint, sizeof open_varint, &id, &body));
	assert_false(wirecheck_request_head(short_fixed, sizeof short_fixed, &id, &body));
	assert_false(wirecheck_request_head(long_varint, sizeof long_varint, &id, &body));
	/* and protobuf-c agrees about each */
	const uint8_t *bad[] = {truncated_len, group, field_zero, open_varint, short_fixed, long_varint};
	const size_t lens[] = {sizeof truncated_len, sizeof group,       sizeof field_zero,
			       sizeof open_varint,   sizeof short_fixed, sizeof long_varint};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_null(planreg__v1__request__unpack(NULL, lens[i], bad[i]));
}

/* ---------------------------------------------------------------- wirecheck_strings */

/* Request{id, idempotency_key, submit_update{content{narrative, risks...}}} with the given narrative. */
static void test_submit(struct test_msg *out, const char *key, size_t key_len, const char *narrative,
			size_t narrative_len)
{
	struct test_msg content = {.n = 0}, submit = {.n = 0};
	test_put_varint_field(&content, 1, 12);
	PUT_STR(&content, 2, "2022-Q3");
	test_put_bytes(&content, 5, narrative, narrative_len);
	PUT_STR(&content, 10, "first risk");
	test_put_msg(&submit, 1, &content);
	out->n = 0;
	test_put_varint_field(out, 1, 7);
	test_put_bytes(out, 2, key, key_len);
	test_put_msg(out, PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, &submit);
}

static void test_strings_valid(void **state)
{
	(void)state;
	struct test_msg m;
	const char text[] = "On track \xe2\x80\x93 \xc2\xa3"
			    "1.2m spent; caf\xc3\xa9 \xf0\x9f\x9a\x80";
	test_submit(&m, "k-1", 3, text, sizeof text - 1);
	struct wirecheck_problem p;
	assert_int_equal(test_check(&m, &p), WIRECHECK_OK);
	assert_int_equal(p.result, WIRECHECK_OK);
	assert_string_equal(p.path, "");
	assert_int_equal(test_check(&m, NULL), WIRECHECK_OK); /* problem is optional */
	/* the empty message and empty strings are fine */
	assert_int_equal(wirecheck_strings(&planreg__v1__request__descriptor, m.b, 0, NULL), WIRECHECK_OK);
	test_submit(&m, "", 0, "", 0);
	assert_int_equal(test_check(&m, NULL), WIRECHECK_OK);
}

/* A NUL byte in a string protobuf-c would cut short, found with the field's path and the byte's offset. */
static void test_strings_nul(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		size_t key_len;
		const char *narrative;
		size_t narrative_len;
		const char *path;
	} cases[] = {
		{"k-1", 3, "before\0after", 12, "submit_update.content.narrative"},
		{"shared\0one", 10, "fine", 4, "idempotency_key"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct test_msg m;
		test_submit(&m, cases[i].key, cases[i].key_len, cases[i].narrative, cases[i].narrative_len);
		struct wirecheck_problem p;
		assert_int_equal(test_check(&m, &p), WIRECHECK_NUL);
		assert_string_equal(p.path, cases[i].path);
		assert_int_equal(p.offset, 6);
		assert_string_equal(wirecheck_result_text(p.result), "a NUL byte");
	}
}

static void test_strings_bad_utf8(void **state)
{
	(void)state;
	struct wirecheck_problem p;
	struct test_msg m;
	/* a lone continuation byte, an overlong, a surrogate, a truncated sequence, beyond U+10FFFF */
	static const struct {
		const char *s;
		size_t len, at;
	} cases[] = {
		{"ok \x80", 4, 3},     {"\xc0\xaf", 2, 0},         {"ab\xed\xa0\x80", 5, 2},
		{"abc\xe2\x82", 5, 3}, {"\xf4\x90\x80\x80", 4, 0}, {"x\xff", 2, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_submit(&m, "k", 1, cases[i].s, cases[i].len);
		assert_int_equal(test_check(&m, &p), WIRECHECK_BAD_UTF8);
		assert_string_equal(p.path, "submit_update.content.narrative");
		assert_int_equal(p.offset, cases[i].at);
	}
	/* bad UTF-8 before a NUL is reported as what comes first */
	test_submit(&m, "k", 1, "\xff\0", 2);
	assert_int_equal(test_check(&m, &p), WIRECHECK_BAD_UTF8);
	test_submit(&m, "k", 1, "\0\xff", 2);
	assert_int_equal(test_check(&m, &p), WIRECHECK_NUL);
}

static void test_strings_repeated_index(void **state)
{
	(void)state;
	/* ImportPlan: projects[2].lead_orgs[1] and a risk deep in an update */
	struct test_msg plan = {.n = 0}, project = {.n = 0}, req = {.n = 0};
	PUT_STR(&plan, 1, "A plan");
	for (int i = 0; i < 2; i++) {
		project.n = 0;
		test_put_varint_field(&project, 1, (uint64_t)i + 1);
		PUT_STR(&project, 4, "Title");
		test_put_msg(&plan, 5, &project);
	}
	test_put_msg(&plan, 3, &project); /* a theme in between: another field number */
	project.n = 0;
	PUT_STR(&project, 7, "LCC");
	PUT_STR(&project, 4, "Title");
	PUT_STR(&project, 7, "bad\0org");
	test_put_msg(&plan, 5, &project);
	test_put_msg(&req, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &plan);
	struct wirecheck_problem p;
	assert_int_equal(test_check(&req, &p), WIRECHECK_NUL);
	assert_string_equal(p.path, "import_plan.projects[2].lead_orgs[1]");
	assert_int_equal(p.offset, 3);

	struct test_msg content = {.n = 0}, submit = {.n = 0};
	PUT_STR(&content, 10, "r0");
	PUT_STR(&content, 5, "narrative");
	PUT_STR(&content, 10, "r1");
	PUT_STR(&content, 10, "r\xc3");
	test_put_msg(&submit, 1, &content);
	req.n = 0;
	test_put_msg(&req, PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, &submit);
	assert_int_equal(test_check(&req, &p), WIRECHECK_BAD_UTF8);
	assert_string_equal(p.path, "submit_update.content.risks[2]");
	assert_int_equal(p.offset, 1);
}

static void test_strings_skip_unknown_and_non_strings(void **state)
{
	(void)state;
	/* unknown fields are never handed to the program; bytes in them are not our business */
	struct test_msg m = {.n = 0}, gp = {.n = 0};
	test_put_bytes(&m, 77, "\0\xff", 2);
	test_put_varint_field(&gp, 1, 5);
	test_put_bytes(&gp, 200, "\xff", 1);
	test_put_msg(&m, PLANREG__V1__REQUEST__BODY_GET_PROJECT, &gp);
	assert_int_equal(test_check(&m, NULL), WIRECHECK_OK);
	/* a string field sent with another wire type is protobuf-c's to refuse, not a string problem */
	m.n = 0;
	test_put_varint_field(&m, 2, 0);
	assert_int_equal(test_check(&m, NULL), WIRECHECK_OK);
}

static void test_strings_malformed(void **state)
{
	(void)state;
	struct test_msg m = {.n = 0}, content = {.n = 0}, submit = {.n = 0};
	const uint8_t broken[] = {0x2a, 0x09, 'x'}; /* narrative: 9 bytes promised, 1 there */
	memcpy(content.b, broken, sizeof broken);
	content.n = sizeof broken;
	test_put_msg(&submit, 1, &content);
	test_put_msg(&m, PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, &submit);
	struct wirecheck_problem p;
	assert_int_equal(test_check(&m, &p), WIRECHECK_MALFORMED);
	assert_string_equal(p.path, "submit_update.content");
}

/* A message type that contains itself: the schema has none, so the depth bound is tested with this. */
static const ProtobufCMessageDescriptor test_node_descriptor;
static const ProtobufCFieldDescriptor test_node_fields[] = {
	{"child", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0, 0, &test_node_descriptor, NULL, 0, 0, NULL,
	 NULL},
	{"name", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, 0, NULL, NULL, 0, 0, NULL, NULL},
};
static const unsigned test_node_by_name[] = {0, 1};
static const ProtobufCIntRange test_node_ranges[] = {{1, 0}, {0, 2}};
static const ProtobufCMessageDescriptor test_node_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
	"test.Node",
	"Node",
	"Test__Node",
	"test",
	sizeof(ProtobufCMessage),
	2,
	test_node_fields,
	test_node_by_name,
	1,
	test_node_ranges,
	NULL,
	NULL,
	NULL,
	NULL,
};

static void test_strings_depth_bound(void **state)
{
	(void)state;
	struct test_msg a = {.n = 0}, b;
	PUT_STR(&a, 2, "leaf\0");
	/* 5 levels: found, with the path */
	for (int i = 0; i < 4; i++) {
		b.n = 0;
		test_put_msg(&b, 1, &a);
		a = b;
	}
	struct wirecheck_problem p;
	assert_int_equal(wirecheck_strings(&test_node_descriptor, a.b, a.n, &p), WIRECHECK_NUL);
	assert_string_equal(p.path, "child.child.child.child.name");
	/* deeper than WIRECHECK_MAX_DEPTH: refused, whatever is inside */
	a.n = 0;
	PUT_STR(&a, 2, "fine");
	for (int i = 0; i < WIRECHECK_MAX_DEPTH + 2; i++) {
		b.n = 0;
		test_put_msg(&b, 1, &a);
		a = b;
	}
	assert_int_equal(wirecheck_strings(&test_node_descriptor, a.b, a.n, &p), WIRECHECK_TOO_DEEP);
	assert_true(strncmp(p.path, "child.child.", 12) == 0);
}

/* ---------------------------------------------------------------- decode_unpack */

static void test_decode_budget(void **state)
{
	(void)state;
	/* ImportPlan of 1000 empty projects: 2 bytes each on the wire, far more decoded */
	static struct test_msg plan, req;
	plan.n = req.n = 0;
	for (int i = 0; i < 1000; i++)
		test_put_bytes(&plan, 5, "", 0);
	test_put_varint_field(&req, 1, 9);
	test_put_msg(&req, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, &plan);

	enum decode_result r;
	size_t used = 0;
	ProtobufCMessage *m = decode_unpack(&planreg__v1__request__descriptor, req.b, req.n, 1 << 20, &r, &used);
	assert_non_null(m);
	assert_int_equal(r, DECODE_OK);
	assert_true(used > 1000 * sizeof(Planreg__V1__Project)); /* the amplification is real */
	Planreg__V1__Request *got = (Planreg__V1__Request *)m;
	assert_int_equal(got->id, 9);
	assert_int_equal(got->body_case, PLANREG__V1__REQUEST__BODY_IMPORT_PLAN);
	assert_int_equal(got->import_plan->n_projects, 1000);
	decode_free(m);

	/* the same under a budget it needs more than: refused, nothing leaks (ASan checks) */
	m = decode_unpack(&planreg__v1__request__descriptor, req.b, req.n, used / 2, &r, NULL);
	assert_null(m);
	assert_int_equal(r, DECODE_OVER_BUDGET);
	/* exactly enough is enough */
	m = decode_unpack(&planreg__v1__request__descriptor, req.b, req.n, used, &r, NULL);
	assert_non_null(m);
	decode_free(m);
	decode_free(NULL);

	/* malformed is not over budget */
	const uint8_t bad[] = {0x82, 0x01, 0x05, 0x00};
	m = decode_unpack(&planreg__v1__request__descriptor, bad, sizeof bad, 1 << 20, &r, NULL);
	assert_null(m);
	assert_int_equal(r, DECODE_MALFORMED);
}

/* ---------------------------------------------------------------- text_sanitize_utf8 */

static void test_sanitize(const char *in, size_t len, size_t cap, const char *want)
{
	char out[256];
	assert_true(cap <= sizeof out);
	size_t n = text_sanitize_utf8(in, len, out, cap);
	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
	assert_true(text_utf8_valid(out, n, NULL));
}

#define FFFD "\xef\xbf\xbd"

static void test_sanitize_utf8(void **state)
{
	(void)state;
	test_sanitize("plain", 5, 64, "plain");
	test_sanitize("caf\xc3\xa9", 5, 64, "caf\xc3\xa9");
	test_sanitize("a\xff"
		      "b",
		      3, 64, "a" FFFD "b");
	test_sanitize("cut \xe2\x82", 6, 64, "cut " FFFD FFFD);
	test_sanitize("nul\0here", 8, 64, "nul" FFFD "here");
	test_sanitize("\xed\xa0\x80", 3, 64, FFFD FFFD FFFD);
	test_sanitize("", 0, 64, "");
	/* a short buffer never cuts a character or a replacement */
	test_sanitize("ab\xc3\xa9", 4, 4, "ab");
	test_sanitize("ab\xff", 3, 5, "ab");
	test_sanitize("ab\xff", 3, 6, "ab" FFFD);
	/* 3 * len + 1 always suffices */
	const char worst[] = "\xff\xfe\x80\xc0";
	test_sanitize(worst, 4, 13, FFFD FFFD FFFD FFFD);
	char one[1];
	assert_int_equal(text_sanitize_utf8("abc", 3, one, 1), 0);
	assert_string_equal(one, "");
	assert_int_equal(text_sanitize_utf8("abc", 3, one, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_finds_id_and_body),
		cmocka_unit_test(test_head_refuses_malformed),
		cmocka_unit_test(test_strings_valid),
		cmocka_unit_test(test_strings_nul),

		cmocka_unit_test(test_strings_bad_utf8),
		cmocka_unit_test(test_strings_repeated_index),
		cmocka_unit_test(test_strings_skip_unknown_and_non_strings),
		cmocka_unit_test(test_strings_malformed),
		cmocka_unit_test(test_strings_depth_bound),
		cmocka_unit_test(test_decode_budget),
		cmocka_unit_test(test_sanitize_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
