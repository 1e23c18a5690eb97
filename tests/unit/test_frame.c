/* test_frame.c - unit tests for frame.c: header byte order, partial input, limits, encoding and a protobuf round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "planreg.pb-c.h"

/* Outputs of one frame_decode call, pre-filled with junk so that the test sees
 * which of them the decoder really wrote. */
struct test_frame_out {
	enum frame_result r;
	const uint8_t *body;
	size_t body_len;
	size_t consumed;
	size_t need;
};

static struct test_frame_out test_frame_decode(const uint8_t *buf, size_t len, size_t max)
{
	struct test_frame_out o;
	o.body = (const uint8_t *)"junk";
	o.body_len = 0xdead;
	o.consumed = 0xbeef;
	o.need = 0xfeed;
	o.r = frame_decode(buf, len, max, &o.body, &o.body_len, &o.consumed, &o.need);
	return o;
}

static void test_frame_header_byte_order(void **state)
{
	(void)state;
	uint8_t h[FRAME_HEADER_BYTES];

	frame_put_header(h, 0x01020304u);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 0x02);
	assert_int_equal(h[2], 0x03);
	assert_int_equal(h[3], 0x04);
	assert_int_equal(frame_get_header(h), 0x01020304u);

	frame_put_header(h, 5);
	assert_memory_equal(h, "\x00\x00\x00\x05", 4);

	frame_put_header(h, 0xFFFFFFFFu);
	assert_memory_equal(h, "\xff\xff\xff\xff", 4);
	assert_int_equal(frame_get_header(h), 0xFFFFFFFFu);

	const uint8_t in[FRAME_HEADER_BYTES] = {0x80, 0x00, 0x01, 0xfe};
	assert_int_equal(frame_get_header(in), 0x800001feu);

	/* every value survives put/get */
	const uint32_t values[] = {0, 1, 0xff, 0x100, 0xffff, 0x10000, 0x00abcdef, 0x7fffffff, 0x80000000u};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		frame_put_header(h, values[i]);
		assert_int_equal(frame_get_header(h), values[i]);
	}
}

static void test_frame_need_header(void **state)
{
	(void)state;
	const uint8_t buf[] = {0x00, 0x00, 0x00, 0x02, 'h', 'i'};
	for (size_t len = 0; len < FRAME_HEADER_BYTES; len++) {
		struct test_frame_out o = test_frame_decode(buf, len, 100);
		assert_int_equal(o.r, FRAME_NEED_MORE);
		assert_int_equal(o.need, FRAME_HEADER_BYTES);
		assert_int_equal(o.consumed, 0);
		assert_null(o.body);
	}
	/* len 0 with a NULL buffer must not be read */
	struct test_frame_out o = test_frame_decode(NULL, 0, 100);
	assert_int_equal(o.r, FRAME_NEED_MORE);
	assert_int_equal(o.need, FRAME_HEADER_BYTES);
}

static void test_frame_need_body(void **state)
{
	(void)state;
	uint8_t buf[4 + 10];
	frame_put_header(buf, 10);
	memset(buf + 4, 'x', 10);
	for (size_t len = FRAME_HEADER_BYTES; len < sizeof buf; len++) {
		struct test_frame_out o = test_frame_decode(buf, len, 100);
		assert_int_equal(o.r, FRAME_NEED_MORE);
		assert_int_equal(o.need, 14);
		assert_int_equal(o.body_len, 10);
		assert_int_equal(o.consumed, 0);
		assert_null(o.body);
	}
	struct test_frame_out o = test_frame_decode(buf, sizeof buf, 100);
	assert_int_equal(o.r, FRAME_OK);
	assert_ptr_equal(o.body, buf + 4);
	assert_int_equal(o.body_len, 10);
	assert_int_equal(o.consumed, 14);
}

static void test_frame_empty(void **state)
{
	(void)state;
	const uint8_t buf[] = {0, 0, 0, 0, 0, 0, 0, 1, 'x'};
	struct test_frame_out o = test_frame_decode(buf, 4, 100);
	assert_int_equal(o.r, FRAME_EMPTY);
	assert_int_equal(o.body_len, 0);
	assert_int_equal(o.consumed, 0);
	assert_null(o.body);
	/* the frame after it changes nothing: an empty frame is an error at once */
	o = test_frame_decode(buf, sizeof buf, 100);
	assert_int_equal(o.r, FRAME_EMPTY);
	assert_int_equal(o.consumed, 0);
}

static void test_frame_too_large(void **state)
{
	(void)state;
	uint8_t buf[FRAME_HEADER_BYTES];

	/* rejected from the header alone, before any of the body arrives */
	frame_put_header(buf, 101);
	struct test_frame_out o = test_frame_decode(buf, sizeof buf, 100);
	assert_int_equal(o.r, FRAME_TOO_LARGE);
	assert_int_equal(o.body_len, 101);
	assert_int_equal(o.consumed, 0);
	assert_null(o.body);

	frame_put_header(buf, 0xFFFFFFFFu);
	o = test_frame_decode(buf, sizeof buf, 100);
	assert_int_equal(o.r, FRAME_TOO_LARGE);
	assert_int_equal(o.body_len, 0xFFFFFFFFu);

	frame_put_header(buf, 0xFFFFFFFFu);
	o = test_frame_decode(buf, sizeof buf, FRAME_DEFAULT_MAX_BYTES);
	assert_int_equal(o.r, FRAME_TOO_LARGE);

	frame_put_header(buf, FRAME_DEFAULT_MAX_BYTES + 1);
	o = test_frame_decode(buf, sizeof buf, FRAME_DEFAULT_MAX_BYTES);
	assert_int_equal(o.r, FRAME_TOO_LARGE);
	assert_int_equal(o.body_len, FRAME_DEFAULT_MAX_BYTES + 1);

	/* the cap at 1: only one-byte bodies */
	frame_put_header(buf, 2);
	o = test_frame_decode(buf, sizeof buf, 1);
	assert_int_equal(o.r, FRAME_TOO_LARGE);
}

static void test_frame_exact_max(void **state)
{
	(void)state;
	const size_t max = 1000;
	uint8_t *buf = calloc(1, FRAME_HEADER_BYTES + max);
	assert_non_null(buf);
	frame_put_header(buf, (uint32_t)max);

	struct test_frame_out o = test_frame_decode(buf, FRAME_HEADER_BYTES, max);
	assert_int_equal(o.r, FRAME_NEED_MORE);
	assert_int_equal(o.need, FRAME_HEADER_BYTES + max);

	o = test_frame_decode(buf, FRAME_HEADER_BYTES + max, max);
	assert_int_equal(o.r, FRAME_OK);
	assert_int_equal(o.body_len, max);
	assert_int_equal(o.consumed, FRAME_HEADER_BYTES + max);
	free(buf);

	/* and at the default cap, from the header alone */
	uint8_t h[FRAME_HEADER_BYTES];
	frame_put_header(h, FRAME_DEFAULT_MAX_BYTES);
	o = test_frame_decode(h, sizeof h, FRAME_DEFAULT_MAX_BYTES);
	assert_int_equal(o.r, FRAME_NEED_MORE);
	assert_int_equal(o.need, FRAME_HEADER_BYTES + FRAME_DEFAULT_MAX_BYTES);
}

static void test_frame_back_to_back(void **state)
{
	(void)state;
	const uint8_t buf[] = {0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z', 0, 0};
	size_t off = 0;

	struct test_frame_out o = test_frame_decode(buf + off, sizeof buf - off, 100);
	assert_int_equal(o.r, FRAME_OK);
	assert_int_equal(o.body_len, 3);
	assert_memory_equal(o.body, "abc", 3);
	assert_int_equal(o.consumed, 7);
	off += o.consumed;

	o = test_frame_decode(buf + off, sizeof buf - off, 100);
	assert_int_equal(o.r, FRAME_OK);
	assert_int_equal(o.body_len, 1);
	assert_int_equal(o.body[0], 'z');
	assert_int_equal(o.consumed, 5);
	off += o.consumed;

	/* two bytes of a third header */
	o = test_frame_decode(buf + off, sizeof buf - off, 100);
	assert_int_equal(o.r, FRAME_NEED_MORE);
	assert_int_equal(o.need, FRAME_HEADER_BYTES);
	assert_int_equal(off, sizeof buf - 2);
}

static void test_frame_encode(void **state)
{
	(void)state;
	uint8_t out[16];

	memset(out, 0xaa, sizeof out);
	assert_int_equal(frame_encode((const uint8_t *)"hello", 5, 100, out, sizeof out), 9);
	assert_memory_equal(out, "\x00\x00\x00\x05hello", 9);
	assert_int_equal(out[9], 0xaa); /* nothing past the frame */

	/* exactly fits */
	assert_int_equal(frame_encode((const uint8_t *)"hello", 5, 5, out, 9), 9);

	/* refusals */
	assert_int_equal(frame_encode((const uint8_t *)"", 0, 100, out, sizeof out), 0);
	assert_int_equal(frame_encode((const uint8_t *)"hello", 5, 4, out, sizeof out), 0);
	assert_int_equal(frame_encode((const uint8_t *)"hello", 5, 100, out, 8), 0);
	assert_int_equal(frame_encode((const uint8_t *)"hello", 5, 100, out, 3), 0);
	assert_int_equal(frame_encode((const uint8_t *)"hello", 5, 100, out, 0), 0);

	/* what it writes, frame_decode reads back */
	size_t n = frame_encode((const uint8_t *)"abc", 3, 100, out, sizeof out);
	assert_int_equal(n, 7);
	struct test_frame_out o = test_frame_decode(out, n, 100);
	assert_int_equal(o.r, FRAME_OK);
	assert_int_equal(o.body_len, 3);
	assert_int_equal(o.consumed, n);
	assert_memory_equal(o.body, "abc", 3);
}

static void test_frame_result_name(void **state)
{
	(void)state;
	assert_string_equal(frame_result_name(FRAME_OK), "ok");
	assert_string_equal(frame_result_name(FRAME_NEED_MORE), "need_more");
	assert_string_equal(frame_result_name(FRAME_EMPTY), "empty frame");
	assert_string_equal(frame_result_name(FRAME_TOO_LARGE), "frame too large");
	assert_string_equal(frame_result_name((enum frame_result)99), "unknown");
}

static void test_frame_protobuf_roundtrip(void **state)
{
	(void)state;
	Planreg__V1__ListProjectsRequest lp = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	lp.theme = 6;
	lp.text = "digital inclusion \xc2\xa3";
	lp.lead_org = "LCC";
	lp.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	lp.capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY;
	lp.page_size = 50;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.id = 0x1122334455667788ULL;
	req.idempotency_key = "k-1";
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_PROJECTS;
	req.list_projects = &lp;

	size_t body_len = planreg__v1__request__get_packed_size(&req);
	assert_true(body_len > 0);
	uint8_t *body = malloc(body_len);
	assert_non_null(body);
	assert_int_equal(planreg__v1__request__pack(&req, body), body_len);

	size_t cap = FRAME_HEADER_BYTES + body_len;
	uint8_t *wire = malloc(cap);
	assert_non_null(wire);
	assert_int_equal(frame_encode(body, body_len, FRAME_DEFAULT_MAX_BYTES, wire, cap), cap);
	assert_int_equal(frame_get_header(wire), body_len);
	free(body);

	struct test_frame_out o = test_frame_decode(wire, cap, FRAME_DEFAULT_MAX_BYTES);
	assert_int_equal(o.r, FRAME_OK);
	assert_int_equal(o.consumed, cap);
	assert_int_equal(o.body_len, body_len);

	Planreg__V1__Request *got = planreg__v1__request__unpack(NULL, o.body_len, o.body);
	assert_non_null(got);
	assert_int_equal(got->id, 0x1122334455667788ULL);
	assert_string_equal(got->idempotency_key, "k-1");
	assert_int_equal(got->body_case, PLANREG__V1__REQUEST__BODY_LIST_PROJECTS);
	assert_non_null(got->list_projects);
	assert_int_equal(got->list_projects->theme, 6);
	assert_string_equal(got->list_projects->text, "digital inclusion \xc2\xa3");
	assert_string_equal(got->list_projects->lead_org, "LCC");
	assert_string_equal(got->list_projects->objective, "");
	assert_string_equal(got->list_projects->page_token, "");
	assert_int_equal(got->list_projects->stage, PLANREG__V1__STAGE__STAGE_LIVE);
	assert_int_equal(got->list_projects->capital, PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY);
	assert_int_equal(got->list_projects->page_size, 50);
	protobuf_c_message_free_unpacked(&got->base, NULL);

	/* a truncated body is refused by the unpacker, not misread */
	got = planreg__v1__request__unpack(NULL, o.body_len - 1, o.body);
	assert_null(got);
	free(wire);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_header_byte_order), cmocka_unit_test(test_frame_need_header),
		cmocka_unit_test(test_frame_need_body),         cmocka_unit_test(test_frame_empty),
		cmocka_unit_test(test_frame_too_large),         cmocka_unit_test(test_frame_exact_max),
		cmocka_unit_test(test_frame_back_to_back),      cmocka_unit_test(test_frame_encode),
		cmocka_unit_test(test_frame_result_name),       cmocka_unit_test(test_frame_protobuf_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
