/* test_text.c - unit tests for the small helpers of proto/: text.c, buf.c, arena.c and status.c. */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "buf.h"
#include "status.h"
#include "text.h"

/* ---------------------------------------------------------------- text */

static void test_text_assert_valid(const char *s, size_t len)
{
	size_t bad_at = 12345;
	if (!text_utf8_valid(s, len, &bad_at))
		fail_msg("text_utf8_valid rejected a valid string of %zu bytes at %zu", len, bad_at);
	assert_int_equal(bad_at, 12345); /* untouched on success */
}

static void test_text_assert_invalid(const char *s, size_t len, size_t want_bad_at)
{
	size_t bad_at = 12345;
	if (text_utf8_valid(s, len, &bad_at))
		fail_msg("text_utf8_valid accepted an ill-formed string of %zu bytes (expected bad at %zu)", len,
			 want_bad_at);
	if (bad_at != want_bad_at)
		fail_msg("text_utf8_valid: bad_at = %zu, expected %zu", bad_at, want_bad_at);
	assert_false(text_utf8_valid(s, len, NULL)); /* bad_at is optional */
}

#define VALID(lit) test_text_assert_valid((lit), sizeof(lit) - 1)
#define INVALID(lit, at) test_text_assert_invalid((lit), sizeof(lit) - 1, (at))

static void test_text_utf8_valid_accepts(void **state)
{
	(void)state;
	VALID("");
	VALID("plain ASCII, with \t tabs\r\n and newlines");
	VALID("\x7f");
	VALID("\xc2\x80"); /* U+0080, the smallest 2-byte */
	VALID("\xc2\xa3"
	      "55,000");                 /* £ */
	VALID("\xdf\xbf");               /* U+07FF */
	VALID("\xe0\xa0\x80");           /* U+0800, the smallest 3-byte */
	VALID("\xe2\x82\xac");           /* € */
	VALID("\xed\x9f\xbf");           /* U+D7FF, just below the surrogates */
	VALID("\xee\x80\x80");           /* U+E000, just above them */
	VALID("\xef\xbf\xbf");           /* U+FFFF */
	VALID("\xf0\x90\x80\x80");       /* U+10000, the smallest 4-byte */
	VALID("\xf0\x9f\x93\x88 chart"); /* U+1F4C8 */
	VALID("\xf4\x8f\xbf\xbf");       /* U+10FFFF, the largest */
	VALID("Le\xc3\xa9"
	      "ds \xe2\x80\x93 Bradford \xf0\x9d\x84\x9e!");

	/* len, not the NUL, ends the string */
	test_text_assert_valid("abc\xff", 3);
	test_text_assert_valid("\xe2\x82\xac\xe2", 3);
	test_text_assert_valid(NULL, 0);
}

static void test_text_utf8_valid_rejects(void **state)
{
	(void)state;
	/* overlong forms */
	INVALID("\xc0\x80", 0);
	INVALID("\xc1\xbf", 0);
	INVALID("\xe0\x80\x80", 0);
	INVALID("\xe0\x9f\xbf", 0); /* U+07FF in 3 bytes */
	INVALID("\xf0\x80\x80\x80", 0);
	INVALID("\xf0\x8f\xbf\xbf", 0); /* U+FFFF in 4 bytes */
	/* UTF-16 surrogates */
	INVALID("\xed\xa0\x80", 0); /* U+D800 */
	INVALID("\xed\xbf\xbf", 0); /* U+DFFF */
	INVALID("ok\xed\xb0\x80", 2);
	/* above U+10FFFF and bytes that never start a sequence */
	INVALID("\xf4\x90\x80\x80", 0);
	INVALID("\xf5\x80\x80\x80", 0);
	INVALID("\xf8\x88\x80\x80\x80", 0);
	INVALID("\xfe", 0);
	INVALID("\xff", 0);
	INVALID("\x80", 0);         /* a lone continuation byte */
	INVALID("\xc2\xa3\xa3", 2); /* one continuation too many */
	/* truncated sequences, at the end and before other bytes */
	INVALID("\xc2", 0);
	INVALID("a\xe2\x82", 1);
	INVALID("\xf0\x9d\x84", 0);
	INVALID("\xe2\x82z", 0);
	INVALID("\xf0\x9d\x84\xe2\x82\xac", 0);
	INVALID("\xc2 ", 0);
	test_text_assert_invalid("\xe2\x82\xac", 2, 0); /* cut by len */
	/* NUL inside the length */
	INVALID("ab\0cd", 2);
	INVALID("\0", 0);
	/* bad_at is the offset of the ill-formed sequence, after valid multi-byte text */
	INVALID("abc\xc0\x80", 3);
	INVALID("\xc2\xa3\xe2\x82\xac\xff", 5);
	INVALID("\xf0\x9f\x93\x88\xf0\x9f\x93", 4);
}

static void test_text_utf8_length(void **state)
{
	(void)state;
	assert_int_equal(text_utf8_length(""), 0);
	assert_int_equal(text_utf8_length("abc"), 3);
	assert_int_equal(text_utf8_length("\xc2\xa3"), 1);
	assert_int_equal(text_utf8_length("\xe2\x82\xac"), 1);
	assert_int_equal(text_utf8_length("\xf0\x9f\x93\x88"), 1);
	assert_int_equal(text_utf8_length("a\xc2\xa3\xe2\x82\xac\xf0\x9f\x93\x88z"), 5);
	assert_int_equal(text_utf8_length("\xc2\xa3"
					  "1.2M"),
			 5);
}

static void test_text_has_control(void **state)
{
	(void)state;
	assert_false(text_has_control("", false));
	assert_false(text_has_control("plain text, \xc2\xa3 and \xe2\x82\xac", false));
	assert_false(text_has_control("~ !", false));

	assert_true(text_has_control("a\nb", false));
	assert_false(text_has_control("a\nb", true));
	assert_true(text_has_control("a\tb", false));
	assert_false(text_has_control("a\tb", true));
	assert_true(text_has_control("a\rb", false));
	assert_false(text_has_control("line\r\nline\n", true));

	/* other C0 controls and DEL, whatever allow_newlines says */
	assert_true(text_has_control("\x01", true));
	assert_true(text_has_control("\x01", false));
	assert_true(text_has_control("bell\x07", true));
	assert_true(text_has_control("\x1b[31mred", true));
	assert_true(text_has_control("x\x1f", true));
	assert_true(text_has_control("\x0b", true)); /* vertical tab is not a newline */
	assert_true(text_has_control("\x0c", true));
	assert_true(text_has_control("del\x7f", true));
	assert_true(text_has_control("\x7f", false));
}

static void test_text_assert_trim(const char *s, size_t len, const char *want)
{
	char *got = text_trim_dup(s, len);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_text_trim_dup(void **state)
{
	(void)state;
	test_text_assert_trim("  hi  ", 6, "hi");
	test_text_assert_trim("hi", 2, "hi");
	test_text_assert_trim("\t\n x  y \r\n\v\f", 12, "x  y");
	test_text_assert_trim("", 0, "");
	test_text_assert_trim("   ", 3, "");
	test_text_assert_trim("\n", 1, "");
	test_text_assert_trim("  ab  cd", 5, "ab"); /* len limits what is read */
	test_text_assert_trim("ab  cd  ", 4, "ab");
	test_text_assert_trim(" \xc2\xa3"
			      "5 ",
			      5,
			      "\xc2\xa3"
			      "5");
}

static void test_text_hex(void **state)
{
	(void)state;
	const unsigned char in[] = {0x00, 0x01, 0x0f, 0x10, 0xab, 0xcd, 0xef, 0xff};
	char out[2 * sizeof in + 1];
	memset(out, 'X', sizeof out);
	text_hex(in, sizeof in, out);
	assert_string_equal(out, "00010f10abcdefff");

	char empty[1] = {'X'};
	text_hex(in, 0, empty);
	assert_string_equal(empty, "");

	unsigned char all[256];
	char all_hex[2 * 256 + 1];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	text_hex(all, sizeof all, all_hex);
	for (int i = 0; i < 256; i++) {
		char want[3];
		snprintf(want, sizeof want, "%02x", i);
		assert_memory_equal(all_hex + 2 * i, want, 2);
	}
	assert_int_equal(strlen(all_hex), 512);
}

/* ---------------------------------------------------------------- buf */

static void test_buf_growth(void **state)
{
	(void)state;
	struct buf b = {0};
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(b.len, 0);

	/* many small appends of every kind, checked against a plain string built alongside */
	size_t want_cap = 200000;
	char *want = malloc(want_cap);
	assert_non_null(want);
	size_t wn = 0;
	for (int i = 0; i < 5000; i++) {
		buf_printf(&b, "%d:", i);
		wn += (size_t)snprintf(want + wn, want_cap - wn, "%d:", i);
		buf_puts(&b, "ab");
		buf_putc(&b, ',');
		buf_append(&b, "xyz", i % 4);
		memcpy(want + wn, "ab,", 3);
		wn += 3;
		memcpy(want + wn, "xyz", (size_t)(i % 4));
		wn += (size_t)(i % 4);
		assert_true(b.len < b.cap);
		assert_int_equal(b.data[b.len], '\0');
	}
	want[wn] = '\0';
	assert_int_equal(b.len, wn);
	assert_string_equal(buf_str(&b), want);
	free(want);

	/* one large printf at once */
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_printf(&b, "%*s|", 100000, "r");
	assert_int_equal(b.len, 100001);
	assert_int_equal(b.data[99999], 'r');
	assert_int_equal(b.data[100000], '|');
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_free(&b); /* twice is harmless */
}

static void test_buf_binary_and_empty(void **state)
{
	(void)state;
	struct buf b = {0};

	/* appending nothing still leaves a NUL-terminated string */
	buf_append(&b, NULL, 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 0);

	/* embedded NULs count in len */
	buf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b\0", 4);
	buf_free(&b);
}

static void test_buf_take(void **state)
{
	(void)state;
	struct buf b = {0};

	/* on a buffer that never had data: "" that the caller frees, never NULL */
	char *s = buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	buf_puts(&b, "hello");
	s = buf_take(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(buf_str(&b), "");
	free(s);

	/* after a reset the buffer holds an empty string, which buf_take hands over */
	buf_puts(&b, "x");
	buf_reset(&b);
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);

	/* the buffer is usable again after buf_take */
	buf_puts(&b, "again");
	assert_string_equal(buf_str(&b), "again");
	buf_free(&b);
}

/* ---------------------------------------------------------------- arena */

static void test_arena_assert_aligned(const void *p)
{
	if ((uintptr_t)p % alignof(max_align_t) != 0)
		fail_msg("arena pointer %p not aligned to %zu", p, alignof(max_align_t));
}

static void test_arena_many_allocations(void **state)
{
	(void)state;
	struct arena a = {0};
	enum { COUNT = 3000 };
	unsigned char *ptrs[COUNT];
	size_t sizes[COUNT];

	/* sizes 1..97 and some larger than a chunk, filled with a pattern each */
	for (size_t i = 0; i < COUNT; i++) {
		sizes[i] = (i % 500 == 499) ? 20000 + i : 1 + i % 97;
		ptrs[i] = arena_alloc(&a, sizes[i]);
		assert_non_null(ptrs[i]);
		test_arena_assert_aligned(ptrs[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			assert_int_equal(ptrs[i][k], 0); /* zeroed */
		memset(ptrs[i], (int)(i & 0xff), sizes[i]);
	}
	/* no allocation overwrote another */
	for (size_t i = 0; i < COUNT; i++)
		for (size_t k = 0; k < sizes[i]; k++)
			assert_int_equal(ptrs[i][k], i & 0xff);

	/* a zero-byte allocation is still a usable, aligned pointer */
	void *z = arena_alloc(&a, 0);
	assert_non_null(z);
	test_arena_assert_aligned(z);

	arena_free(&a);
	assert_null(a.head);
	arena_free(&a); /* on an empty arena too */

	/* the arena is reusable after arena_free */
	char *s = arena_strdup(&a, "again");
	assert_string_equal(s, "again");
	arena_free(&a);
}

static void test_arena_alignment(void **state)
{
	(void)state;
	struct arena a = {0};
	for (size_t n = 0; n < 200; n++) {
		void *p = arena_alloc(&a, n);
		test_arena_assert_aligned(p);
		char *s = arena_strndup(&a, "abcdefghij", n % 11);
		test_arena_assert_aligned(s);
		/* storing a max-aligned type there is fine (UBSan checks alignment) */
		max_align_t *m = arena_alloc(&a, sizeof *m);
		memset(m, 0, sizeof *m);
		long double *ld = (long double *)m;
		*ld = (long double)n;
		assert_true(*ld == (long double)n);
	}
	arena_free(&a);
}

static void test_arena_strings(void **state)
{
	(void)state;
	struct arena a = {0};
	assert_string_equal(arena_strdup(&a, ""), "");
	assert_string_equal(arena_strdup(&a, "\xc2\xa3"
					     "1.2M"),
			    "\xc2\xa3"
			    "1.2M");
	assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
	assert_string_equal(arena_strndup(&a, "abcdef", 0), "");
	assert_string_equal(arena_printf(&a, "%s-%d", "ref", 42), "ref-42");
	assert_string_equal(arena_printf(&a, "%s", ""), "");
	assert_string_equal(arena_printf(&a, "%05.1f|%x", 2.5, 255u), "002.5|ff");
	/* longer than a chunk */
	char *big = arena_printf(&a, "%*d", 20000, 7);
	assert_int_equal(strlen(big), 20000);
	assert_int_equal(big[19999], '7');
	assert_int_equal(big[0], ' ');
	arena_free(&a);
}

struct test_arena_item {
	int id;
	char tag[13];
};

static void test_arena_push(void **state)
{
	(void)state;
	struct arena a = {0};
	int *nums = NULL;
	size_t n_nums = 0;
	struct test_arena_item *items = NULL;
	size_t n_items = 0;

	/* two arrays growing side by side, interleaved with other allocations */
	for (int i = 0; i < 5000; i++) {
		int *slot = arena_push(&a, &nums, &n_nums, sizeof *nums);
		assert_ptr_equal(slot, nums + i);
		*slot = i * 3;
		struct test_arena_item *it = arena_push(&a, &items, &n_items, sizeof *items);
		test_arena_assert_aligned(items);
		assert_int_equal(it->id, 0); /* a new slot is zeroed */
		it->id = -i;
		snprintf(it->tag, sizeof it->tag, "t%d", i);
		if (i % 7 == 0)
			arena_alloc(&a, (size_t)i % 300);
		/* earlier items survive every growth */
		if ((i & (i - 1)) == 0 || i % 997 == 0) {
			for (int k = 0; k <= i; k++) {
				assert_int_equal(nums[k], k * 3);
				assert_int_equal(items[k].id, -k);
			}
		}
	}
	assert_int_equal(n_nums, 5000);
	assert_int_equal(n_items, 5000);
	for (int k = 0; k < 5000; k++) {
		char want[13];
		snprintf(want, sizeof want, "t%d", k);
		assert_string_equal(items[k].tag, want);
	}
	arena_free(&a);
}

static void test_arena_new_msg(void **state)
{
	(void)state;
	struct arena a = {0};
	Planreg__V1__Money *m = ARENA_NEW(&a, Planreg__V1__Money, planreg__v1__money__init);
	assert_ptr_equal(m->base.descriptor, &planreg__v1__money__descriptor);
	assert_int_equal(m->pence, 0);
	test_arena_assert_aligned(m);
	m->pence = 120000000;
	Planreg__V1__Status *st = ARENA_NEW(&a, Planreg__V1__Status, planreg__v1__status__init);
	assert_ptr_equal(st->base.descriptor, &planreg__v1__status__descriptor);
	assert_string_equal(st->message, "");
	assert_int_equal(planreg__v1__money__get_packed_size(m), 5);
	arena_free(&a);
}

/* ---------------------------------------------------------------- status */

static void test_status_code_name(void **state)
{
	(void)state;
	static const struct {
		status_code code;
		const char *name;
		enum exit_code exit;
	} cases[] = {
		{PLANREG__V1__CODE__OK, "OK", EXIT_OK},
		{PLANREG__V1__CODE__INVALID_ARGUMENT, "INVALID_ARGUMENT", EXIT_REFUSED},
		{PLANREG__V1__CODE__DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", EXIT_REFUSED},
		{PLANREG__V1__CODE__NOT_FOUND, "NOT_FOUND", EXIT_REFUSED},
		{PLANREG__V1__CODE__ALREADY_EXISTS, "ALREADY_EXISTS", EXIT_REFUSED},
		{PLANREG__V1__CODE__PERMISSION_DENIED, "PERMISSION_DENIED", EXIT_REFUSED},
		{PLANREG__V1__CODE__RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED", EXIT_REFUSED},
		{PLANREG__V1__CODE__FAILED_PRECONDITION, "FAILED_PRECONDITION", EXIT_REFUSED},
		{PLANREG__V1__CODE__ABORTED, "ABORTED", EXIT_REFUSED},
		{PLANREG__V1__CODE__INTERNAL, "INTERNAL", EXIT_REFUSED},
		{PLANREG__V1__CODE__UNAVAILABLE, "UNAVAILABLE", EXIT_CONNECT},
		{PLANREG__V1__CODE__UNAUTHENTICATED, "UNAUTHENTICATED", EXIT_CONNECT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_string_equal(status_code_name(cases[i].code), cases[i].name);
		assert_int_equal(status_exit_code(cases[i].code), cases[i].exit);
	}
	/* every value the descriptor knows has a name of its own */
	const ProtobufCEnumDescriptor *d = &planreg__v1__code__descriptor;
	assert_int_equal(d->n_values, sizeof cases / sizeof cases[0]);
	for (unsigned i = 0; i < d->n_values; i++)
		assert_string_equal(status_code_name((status_code)d->values[i].value), d->values[i].name);
}

static void test_status_unknown(void **state)
{
	(void)state;
	assert_string_equal(status_code_name((status_code)1), "UNKNOWN(1)");
	assert_string_equal(status_code_name((status_code)2), "UNKNOWN(2)");
	assert_string_equal(status_code_name((status_code)99), "UNKNOWN(99)");
	assert_string_equal(status_code_name((status_code)-7), "UNKNOWN(-7)");
	assert_int_equal(status_exit_code((status_code)1), EXIT_REFUSED);
	assert_int_equal(status_exit_code((status_code)99), EXIT_REFUSED);
	assert_int_equal(status_exit_code((status_code)-7), EXIT_REFUSED);
	assert_int_equal(EXIT_OK, 0);
	assert_int_equal(EXIT_REFUSED, 1);
	assert_int_equal(EXIT_CONNECT, 3);
}

static void test_text_ascii_classes(void **state)
{
	(void)state;
	/* ASCII only, whatever the locale: a byte of a UTF-8 sequence is never a space, digit or letter */
	const char *spaces = " \t\n\r\v\f";
	for (const char *p = spaces; *p; p++)
		assert_true(text_is_space(*p));
	assert_false(text_is_space('x'));
	assert_false(text_is_space((char)0xa0)); /* the second byte of U+00A0 */
	assert_false(text_is_space('\0'));
	assert_true(text_is_digit('0') && text_is_digit('9'));
	assert_false(text_is_digit('a') || text_is_digit((char)0xb2));
	assert_true(text_is_alnum('z') && text_is_alnum('Z') && text_is_alnum('5'));
	assert_false(text_is_alnum('_') || text_is_alnum((char)0xc3));
	assert_int_equal(text_upper('a'), 'A');
	assert_int_equal(text_upper('Z'), 'Z');
	assert_int_equal(text_lower('Q'), 'q');
	assert_int_equal(text_lower((char)0xc3), (char)0xc3);
	assert_string_equal(text_skip_space(" \t x y"), "x y");
	assert_true(text_is_blank(""));
	assert_true(text_is_blank(" \r\n\t"));
	assert_false(text_is_blank("  .  "));
}

/* C0, DEL and C1 controls are refused in text; bidi marks pass (and are escaped where shown). */
static void test_text_invisible_controls(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		unsigned cp;
		size_t len;
	} cases[] = {
		{"\x1b[31m", 0x1b, 1},
		{"\x7f", 0x7f, 1},
		{"\xc2\x9b"
		 "2J",
		 0x9b, 2},
		{"\xc2\x85", 0x85, 2},
		{"\xe2\x80\xae", 0x202e, 3},
		{"\xe2\x81\xa6", 0x2066, 3},
		{"\xe2\x80\x8e", 0x200e, 3},
		{"\xd8\x9c", 0x061c, 2},
		{"\xc2\xa0", 0, 1},
		{"\xe2\x80\x94", 0, 1}, /* NBSP, em dash: text */
		{"a", 0, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = 0;
		assert_int_equal(text_invisible_control(cases[i].s, &len), cases[i].cp);
		assert_int_equal(len, cases[i].len);
	}
	assert_true(text_has_control("CSI \xc2\x9b here", true)); /* C1 like C0, even where lines are allowed */
	assert_true(text_has_control("NEL \xc2\x85", true));
	assert_false(text_has_control("right-to-left \xe2\x80\xae override", false)); /* allowed, shown escaped */
	assert_false(text_has_control("caf\xc3\xa9 \xe2\x80\x94 \xc2\xa3", false));
	struct buf b = {0};
	text_escape_controls(&b,
			     "a\xe2\x80\xae"
			     "b\x1b[0m\nc\xc2\x9b",
			     true);
	assert_string_equal(buf_str(&b), "a\\u{202E}b\\u{001B}[0m\nc\\u{009B}");
	buf_free(&b);
	text_escape_controls(&b, "x\ty", false);
	assert_string_equal(buf_str(&b), "x\\u{0009}y");
	buf_free(&b);
}

/* Field paths as messages name them. */
static void test_text_field_label(void **state)
{
	(void)state;
	static const struct {
		const char *path, *label;
	} cases[] = {
		{"content.variance_note", "variance note"},
		{"content.milestones[1].forecast_date", "milestone 2 forecast date"},
		{"content.risks[0]", "risk 1"},
		{"idempotency_key", "idempotency key"},
		{"organisation", "organisation"},
		{"", ""},
		{"content.milestones[x]", "milestone 1"},
		{"projects[ref=12].title", "project 12 title"},
	};
	char out[64];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		text_field_label(cases[i].path, out, sizeof out);
		assert_string_equal(out, cases[i].label);
	}
	text_field_label(NULL, out, sizeof out);
	assert_string_equal(out, "");
	char small[6];
	text_field_label("content.variance_note", small, sizeof small); /* cut, terminated */
	assert_string_equal(small, "varia");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* text.c */
		cmocka_unit_test(test_text_utf8_valid_accepts),
		cmocka_unit_test(test_text_utf8_valid_rejects),
		cmocka_unit_test(test_text_utf8_length),
		cmocka_unit_test(test_text_has_control),
		cmocka_unit_test(test_text_trim_dup),
		cmocka_unit_test(test_text_hex),
		cmocka_unit_test(test_text_ascii_classes),
		cmocka_unit_test(test_text_field_label),
		cmocka_unit_test(test_text_invisible_controls),
		/* buf.c */
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_binary_and_empty),
		cmocka_unit_test(test_buf_take),
		/* arena.c */
		cmocka_unit_test(test_arena_many_allocations),
		cmocka_unit_test(test_arena_alignment),
		cmocka_unit_test(test_arena_strings),
		cmocka_unit_test(test_arena_push),
		cmocka_unit_test(test_arena_new_msg),
		/* status codes */
		cmocka_unit_test(test_status_code_name),
		cmocka_unit_test(test_status_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
