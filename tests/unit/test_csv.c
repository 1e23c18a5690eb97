/* test_csv.c - unit tests for csv.c: RFC 4180 records as spreadsheets write them, and malformed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

/* Parses s (strlen bytes) and expects success. */
static struct csv test_csv_parse(const char *s)
{
	struct csv c;
	struct csv_error err;
	if (!csv_parse(s, strlen(s), &c, &err))
		fail_msg("csv_parse failed at line %d: %s", err.line, err.message);
	return c;
}

/* Expects a failure reported on line want_line, with want in the message. */
static void test_csv_reject(const char *s, size_t len, int want_line, const char *want)
{
	struct csv c;
	struct csv_error err;
	if (csv_parse(s, len, &c, &err)) {
		csv_free(&c);
		fail_msg("csv_parse accepted \"%s\", expected an error", s);
	}
	assert_int_equal(c.n_rows, 0);
	assert_null(c.rows);
	assert_int_equal(err.line, want_line);
	if (strstr(err.message, want) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err.message, want);
}

static void test_csv_assert_row(const struct csv *c, size_t row, int line, size_t n, ...)
{
	assert_true(row < c->n_rows);
	const struct csv_row *r = &c->rows[row];
	assert_int_equal(r->line, line);
	assert_int_equal(r->n_fields, n);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->fields[i], va_arg(ap, const char *));
	va_end(ap);
}

static void test_csv_simple(void **state)
{
	(void)state;
	struct csv c = test_csv_parse("ref,period,confidence\n12,2026-Q3,green\n13,2026-Q3,amber\n");
	assert_int_equal(c.n_rows, 3);
	test_csv_assert_row(&c, 0, 1, 3, "ref", "period", "confidence");
	test_csv_assert_row(&c, 1, 2, 3, "12", "2026-Q3", "green");
	test_csv_assert_row(&c, 2, 3, 3, "13", "2026-Q3", "amber");
	csv_free(&c);
	assert_int_equal(c.n_rows, 0);
}

static void test_csv_quoted_commas(void **state)
{
	(void)state;
	struct csv c = test_csv_parse("a,\"b, c\",d\n\"\",\",\",\"x\"\n");
	assert_int_equal(c.n_rows, 2);
	test_csv_assert_row(&c, 0, 1, 3, "a", "b, c", "d");
	test_csv_assert_row(&c, 1, 2, 3, "", ",", "x");
	csv_free(&c);
}

static void test_csv_doubled_quotes(void **state)
{
	(void)state;
	struct csv c = test_csv_parse("\"say \"\"hello\"\"\",\"\"\"\"\n");
	assert_int_equal(c.n_rows, 1);
	test_csv_assert_row(&c, 0, 1, 2, "say \"hello\"", "\"");
	csv_free(&c);
}

static void test_csv_newline_in_quotes(void **state)
{
	(void)state;
	struct csv c = test_csv_parse("ref,milestones\n"
				      "12,\"Pilot|2026-01-31||2026-02-02\nRollout|2026-06-30|2026-09-30|\"\n"
				      "13,\"a\r\nb\"\n"
				      "14,x\n");
	assert_int_equal(c.n_rows, 4);
	test_csv_assert_row(&c, 0, 1, 2, "ref", "milestones");
	test_csv_assert_row(&c, 1, 2, 2, "12", "Pilot|2026-01-31||2026-02-02\nRollout|2026-06-30|2026-09-30|");
	test_csv_assert_row(&c, 2, 4, 2, "13", "a\r\nb"); /* kept as written */
	test_csv_assert_row(&c, 3, 6, 2, "14", "x");      /* line numbers count the lines inside quotes */
	csv_free(&c);
}

static void test_csv_crlf(void **state)
{
	(void)state;
	struct csv c = test_csv_parse("a,b\r\n1,2\r\n\"3\",\"4\"\r\n");
	assert_int_equal(c.n_rows, 3);
	test_csv_assert_row(&c, 0, 1, 2, "a", "b");
	test_csv_assert_row(&c, 1, 2, 2, "1", "2");
	test_csv_assert_row(&c, 2, 3, 2, "3", "4");
	csv_free(&c);

	/* a lone CR ends a record too (old Mac spreadsheets) */
	c = test_csv_parse("a\rb\r");
	assert_int_equal(c.n_rows, 2);
	test_csv_assert_row(&c, 1, 2, 1, "b");
	csv_free(&c);
}

static void test_csv_bom(void **state)
{
	(void)state;
	struct csv c = test_csv_parse("\xef\xbb\xbfref,title\n1,£1.2M\n");
	assert_int_equal(c.n_rows, 2);
	test_csv_assert_row(&c, 0, 1, 2, "ref", "title");
	test_csv_assert_row(&c, 1, 2, 2, "1", "£1.2M");
	csv_free(&c);

	/* a BOM alone is an empty file; a BOM before a quoted field */
	c = test_csv_parse("\xef\xbb\xbf");
	assert_int_equal(c.n_rows, 0);
	csv_free(&c);
	c = test_csv_parse("\xef\xbb\xbf\"ref\"\n");
	test_csv_assert_row(&c, 0, 1, 1, "ref");
	csv_free(&c);
}

static void test_csv_empty_fields(void **state)
{
	(void)state;
	struct csv c = test_csv_parse(",,\na,,\n,b,\n\n,\n");
	assert_int_equal(c.n_rows, 5);
	test_csv_assert_row(&c, 0, 1, 3, "", "", "");
	test_csv_assert_row(&c, 1, 2, 3, "a", "", "");
	test_csv_assert_row(&c, 2, 3, 3, "", "b", "");
	test_csv_assert_row(&c, 3, 4, 1, ""); /* a blank line: one empty field */
	test_csv_assert_row(&c, 4, 5, 2, "", "");
	csv_free(&c);

	c = test_csv_parse("");
	assert_int_equal(c.n_rows, 0);
	assert_null(c.rows);
	csv_free(&c);
}

static void test_csv_trailing_newline(void **state)
{
	(void)state;
	struct csv with = test_csv_parse("a,b\n1,2\n");
	struct csv without = test_csv_parse("a,b\n1,2");
	assert_int_equal(with.n_rows, 2);
	assert_int_equal(without.n_rows, 2);
	test_csv_assert_row(&without, 1, 2, 2, "1", "2");
	csv_free(&with);
	csv_free(&without);

	/* a final empty field and a final quoted field, without a line break */
	struct csv c = test_csv_parse("a,");
	test_csv_assert_row(&c, 0, 1, 2, "a", "");
	csv_free(&c);
	c = test_csv_parse("a,\"b\"");
	test_csv_assert_row(&c, 0, 1, 2, "a", "b");
	csv_free(&c);
	/* two line breaks at the end: the second ends a blank record */
	c = test_csv_parse("a\r\n\r\n");
	assert_int_equal(c.n_rows, 2);
	test_csv_assert_row(&c, 1, 2, 1, "");
	csv_free(&c);
}

static void test_csv_unterminated_quote(void **state)
{
	(void)state;
	const char *s = "ref,narrative\n12,\"started well\nthen\n";
	test_csv_reject(s, strlen(s), 2, "never closed");
	s = "a,b\n1,2\n3,\"";
	test_csv_reject(s, strlen(s), 3, "column 2");
}

static void test_csv_stray_quote(void **state)
{
	(void)state;
	const char *s = "a,b\n1,2\"3\n";
	test_csv_reject(s, strlen(s), 2, "quote inside unquoted column 2");
	s = "a, \"b\"\n"; /* a space before the quote makes the field unquoted */
	test_csv_reject(s, strlen(s), 1, "unquoted column 2");
	s = "a,\"b\"c\n";
	test_csv_reject(s, strlen(s), 1, "after the closing quote of column 2");
	s = "x\n\"a\nb\" ,c\n"; /* reported where the closing quote is */
	test_csv_reject(s, strlen(s), 3, "after the closing quote of column 1");
}

static void test_csv_not_text(void **state)
{
	(void)state;
	/* "£" as Windows-1252 saves it */
	const char *s = "a,b\n1,\xa3"
			"5\n";
	test_csv_reject(s, strlen(s), 2, "not UTF-8");
	const char nul[] = "a,b\n\n1,\0\n";
	test_csv_reject(nul, sizeof nul - 1, 3, "NUL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_simple),
		cmocka_unit_test(test_csv_quoted_commas),
		cmocka_unit_test(test_csv_doubled_quotes),
		cmocka_unit_test(test_csv_newline_in_quotes),
		cmocka_unit_test(test_csv_crlf),
		cmocka_unit_test(test_csv_bom),
		cmocka_unit_test(test_csv_empty_fields),
		cmocka_unit_test(test_csv_trailing_newline),
		cmocka_unit_test(test_csv_unterminated_quote),
		cmocka_unit_test(test_csv_stray_quote),
		cmocka_unit_test(test_csv_not_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
