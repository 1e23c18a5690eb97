/* test_json.c - unit tests for json.c: commas and nesting, escaping, numbers, and the pretty layout, as exact strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "json.h"

/* One writer and its buffer; the tests compare buf_str(&t->out) with the exact
 * text expected, which is hand-checked to be valid JSON. */
struct test_json {
	struct buf out;
	struct json j;
};

static void test_json_start(struct test_json *t, bool pretty)
{
	memset(t, 0, sizeof *t);
	json_init(&t->j, &t->out, pretty);
}

static void test_json_expect(struct test_json *t, const char *want)
{
	assert_string_equal(buf_str(&t->out), want);
	assert_int_equal(t->out.len, strlen(want));
	buf_free(&t->out);
}

/* Writes the same document in both modes (the pretty tests reuse it). */
static void test_json_write_sample(struct json *j)
{
	json_object_begin(j);
	json_kv_str(j, "name", "x");
	json_key(j, "list");
	json_array_begin(j);
	json_int(j, 1);
	json_int(j, 2);
	json_object_begin(j);
	json_kv_bool(j, "ok", true);
	json_object_end(j);
	json_array_begin(j);
	json_array_end(j);
	json_object_begin(j);
	json_object_end(j);
	json_null(j);
	json_array_end(j);
	json_kv_int(j, "n", -5);
	json_key(j, "inner");
	json_object_begin(j);
	json_kv_str(j, "a", NULL);
	json_key(j, "b");
	json_array_begin(j);
	json_str(j, "y");
	json_array_end(j);
	json_object_end(j);
	json_object_end(j);
}

static void test_json_nested_compact(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, false);
	test_json_write_sample(&t.j);
	test_json_expect(&t, "{\"name\":\"x\",\"list\":[1,2,{\"ok\":true},[],{},null],\"n\":-5,"
			     "\"inner\":{\"a\":null,\"b\":[\"y\"]}}");
}

static void test_json_nested_pretty(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, true);
	test_json_write_sample(&t.j);
	test_json_expect(&t, "{\n"
			     "  \"name\": \"x\",\n"
			     "  \"list\": [\n"
			     "    1,\n"
			     "    2,\n"
			     "    {\n"
			     "      \"ok\": true\n"
			     "    },\n"
			     "    [],\n"
			     "    {},\n"
			     "    null\n"
			     "  ],\n"
			     "  \"n\": -5,\n"
			     "  \"inner\": {\n"
			     "    \"a\": null,\n"
			     "    \"b\": [\n"
			     "      \"y\"\n"
			     "    ]\n"
			     "  }\n"
			     "}");
}

/* Begins and ends the containers spell names, in its order: "[{},[]]" is an array holding an empty object
 * and an empty array. */
static void test_json_brackets(struct json *j, const char *spell)
{
	for (const char *p = spell; *p != '\0'; p++) {
		if (*p == '{')
			json_object_begin(j);
		else if (*p == '}')
			json_object_end(j);
		else if (*p == '[')
			json_array_begin(j);
		else if (*p == ']')
			json_array_end(j);
		/* a comma is the writer's to put */
	}
}

/* Empty containers, alone and nested, compact and pretty, are written as their brackets. */
static void test_json_empty_containers(void **state)
{
	(void)state;
	static const struct {
		bool pretty;
		const char *spell;
	} cases[] = {{false, "{}"}, {false, "[]"}, {true, "{}"}, {true, "[]"}, {false, "[[],{},[[]]]"}};
	struct test_json t;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_json_start(&t, cases[i].pretty);
		test_json_brackets(&t.j, cases[i].spell);
		test_json_expect(&t, cases[i].spell);
	}

	test_json_start(&t, true);
	json_object_begin(&t.j);
	json_key(&t.j, "rows");
	json_array_begin(&t.j);
	json_array_end(&t.j);
	json_key(&t.j, "meta");
	json_object_begin(&t.j);
	json_object_end(&t.j);
	json_object_end(&t.j);
	test_json_expect(&t, "{\n  \"rows\": [],\n  \"meta\": {}\n}");
}

static void test_json_array_of_objects(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, false);
	json_array_begin(&t.j);
	for (int i = 0; i < 3; i++) {
		json_object_begin(&t.j);
		json_kv_int(&t.j, "ref", i);
		json_kv_str(&t.j, "title", i == 1 ? "b" : "a");
		json_kv_bool(&t.j, "capital", i == 2);
		json_object_end(&t.j);
	}
	json_array_end(&t.j);
	test_json_expect(&t, "[{\"ref\":0,\"title\":\"a\",\"capital\":false},"
			     "{\"ref\":1,\"title\":\"b\",\"capital\":false},"
			     "{\"ref\":2,\"title\":\"a\",\"capital\":true}]");
}

/* json_str_array writes the items as json_str would, in order, an empty one as [], after a key too. */
static void test_json_str_array(void **state)
{
	(void)state;
	struct test_json t;
	char *items[] = {"a", "b\"c", NULL, ""};

	test_json_start(&t, false);
	json_str_array(&t.j, items, 4);
	test_json_expect(&t, "[\"a\",\"b\\\"c\",null,\"\"]");

	test_json_start(&t, false);
	json_str_array(&t.j, NULL, 0);
	test_json_expect(&t, "[]");

	test_json_start(&t, false);
	json_object_begin(&t.j);
	json_key(&t.j, "orgs");
	json_str_array(&t.j, items, 2);
	json_key(&t.j, "none");
	json_str_array(&t.j, items, 0);
	json_kv_int(&t.j, "n", 1);
	json_object_end(&t.j);
	test_json_expect(&t, "{\"orgs\":[\"a\",\"b\\\"c\"],\"none\":[],\"n\":1}");

	test_json_start(&t, true);
	json_object_begin(&t.j);
	json_key(&t.j, "orgs");
	json_str_array(&t.j, items, 1);
	json_object_end(&t.j);
	test_json_expect(&t, "{\n  \"orgs\": [\n    \"a\"\n  ]\n}");
}

static void test_json_scalars_top_level(void **state)
{
	(void)state;
	struct test_json t;

	test_json_start(&t, false);
	json_str(&t.j, "plain");
	test_json_expect(&t, "\"plain\"");

	test_json_start(&t, true);
	json_str(&t.j, NULL);
	test_json_expect(&t, "null");

	test_json_start(&t, false);
	json_bool(&t.j, false);
	test_json_expect(&t, "false");

	test_json_start(&t, true);
	json_int(&t.j, 0);
	test_json_expect(&t, "0");
}

/* Strings as json_str writes them. */
static const struct {
	const char *in, *out;
} test_json_strings[] = {
	{"a\"b\\c\nd\te\rf", "\"a\\\"b\\\\c\\nd\\te\\rf\""},
	/* other control characters and DEL as \u escapes, lower-case hex */
	{"\x01-\x1f-\x7f-\x08-\x0c-\x1b", "\"\\u0001-\\u001f-\\u007f-\\u0008-\\u000c-\\u001b\""},
	/* UTF-8 passes through untouched, including 4-byte sequences */
	{"\xc2\xa3"
	 "1.2M \xe2\x82\xac \xf0\x9f\x93\x88",
	 "\"\xc2\xa3"
	 "1.2M \xe2\x82\xac \xf0\x9f\x93\x88\""},
	/* a slash needs no escape and gets none */
	{"a/b", "\"a/b\""},
	{"", "\"\""},
};

static void test_json_escaping(void **state)
{
	(void)state;
	struct test_json t;
	for (size_t i = 0; i < sizeof test_json_strings / sizeof test_json_strings[0]; i++) {
		test_json_start(&t, false);
		json_str(&t.j, test_json_strings[i].in);
		test_json_expect(&t, test_json_strings[i].out);
	}

	/* keys are escaped the same way */
	test_json_start(&t, false);
	json_object_begin(&t.j);
	json_kv_str(&t.j, "we\"ird\n", "v\\");
	json_object_end(&t.j);
	test_json_expect(&t, "{\"we\\\"ird\\n\":\"v\\\\\"}");

	/* json_escape on its own appends to what is there */
	struct buf b = {0};
	buf_puts(&b, "x=");
	json_escape(&b, "\"\x02");
	assert_string_equal(buf_str(&b), "x=\"\\\"\\u0002\"");
	buf_free(&b);
}

static void test_json_null_values(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, false);
	json_array_begin(&t.j);
	json_str(&t.j, NULL);
	json_null(&t.j);
	json_str(&t.j, "s");
	json_array_end(&t.j);
	test_json_expect(&t, "[null,null,\"s\"]");

	test_json_start(&t, false);
	json_object_begin(&t.j);
	json_kv_str(&t.j, "a", NULL);
	json_kv_str(&t.j, "b", "");
	json_object_end(&t.j);
	test_json_expect(&t, "{\"a\":null,\"b\":\"\"}");
}

static void test_json_int64_limits(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, false);
	json_array_begin(&t.j);
	json_int(&t.j, INT64_MIN);
	json_int(&t.j, INT64_MAX);
	json_int(&t.j, -1);
	json_int(&t.j, 0);
	json_array_end(&t.j);
	test_json_expect(&t, "[-9223372036854775808,9223372036854775807,-1,0]");

	test_json_start(&t, true);
	json_object_begin(&t.j);
	json_kv_int(&t.j, "min", INT64_MIN);
	json_kv_int(&t.j, "max", INT64_MAX);
	json_object_end(&t.j);
	test_json_expect(&t, "{\n  \"min\": -9223372036854775808,\n  \"max\": 9223372036854775807\n}");
}

static void test_json_pretty_array_top(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, true);
	json_array_begin(&t.j);
	json_str(&t.j, "a");
	json_array_begin(&t.j);
	json_int(&t.j, 1);
	json_array_end(&t.j);
	json_object_begin(&t.j);
	json_key(&t.j, "k");
	json_array_begin(&t.j);
	json_bool(&t.j, true);
	json_null(&t.j);
	json_array_end(&t.j);
	json_object_end(&t.j);
	json_array_end(&t.j);
	test_json_expect(&t, "[\n"
			     "  \"a\",\n"
			     "  [\n"
			     "    1\n"
			     "  ],\n"
			     "  {\n"
			     "    \"k\": [\n"
			     "      true,\n"
			     "      null\n"
			     "    ]\n"
			     "  }\n"
			     "]");
}

/* Nesting up to the writer's depth limit keeps commas right at every level. */
static void test_json_deep_nesting(void **state)
{
	(void)state;
	const int levels = JSON_MAX_DEPTH - 1; /* the deepest the writer tracks */
	struct test_json t;
	struct buf want = {0};

	test_json_start(&t, false);
	for (int i = 0; i < levels; i++) {
		json_array_begin(&t.j);
		json_int(&t.j, i);
		buf_printf(&want, "[%d,", i);
	}
	json_str(&t.j, "bottom");
	buf_puts(&want, "\"bottom\"");
	for (int i = levels - 1; i >= 0; i--) {
		json_int(&t.j, -i);
		json_array_end(&t.j);
		buf_printf(&want, ",%d]", -i);
	}
	assert_int_equal(t.j.depth, 0);
	test_json_expect(&t, buf_str(&want));
	buf_free(&want);
}

/* The writer reuses its buffer: a second document after json_init starts clean. */
static void test_json_reinit(void **state)
{
	(void)state;
	struct test_json t;
	test_json_start(&t, false);
	json_array_begin(&t.j);
	json_int(&t.j, 1);
	json_array_end(&t.j);
	assert_string_equal(buf_str(&t.out), "[1]");
	buf_reset(&t.out);
	json_init(&t.j, &t.out, false);
	json_array_begin(&t.j);
	json_int(&t.j, 2);
	json_array_end(&t.j);
	test_json_expect(&t, "[2]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_nested_compact),   cmocka_unit_test(test_json_nested_pretty),
		cmocka_unit_test(test_json_empty_containers), cmocka_unit_test(test_json_array_of_objects),
		cmocka_unit_test(test_json_str_array),        cmocka_unit_test(test_json_scalars_top_level),
		cmocka_unit_test(test_json_escaping),         cmocka_unit_test(test_json_null_values),
		cmocka_unit_test(test_json_int64_limits),     cmocka_unit_test(test_json_pretty_array_top),
		cmocka_unit_test(test_json_deep_nesting),     cmocka_unit_test(test_json_reinit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
