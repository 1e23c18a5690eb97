/* test_csv.c - unit tests for csv.c: RFC 4180 records as spreadsheets write them, and malformed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
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

/* Every row of c as "LINE:[field][field]...", one per line. */
static char *test_csv_render(const struct csv *c)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (size_t i = 0; i < c->n_rows; i++) {
		buf_printf(&b, "%d:", c->rows[i].line);
		for (size_t j = 0; j < c->rows[i].n_fields; j++)
			buf_printf(&b, "[%s]", c->rows[i].fields[j]);
		buf_puts(&b, "\n");
	}
	return buf_take(&b);
}

/* Files that parse, with every row they give. */
static const struct {
	const char *text;
	const char *rows;
} test_csv_files[] = {
	{"ref,period,confidence\n12,2026-Q3,green\n13,2026-Q3,amber\n",
	 "1:[ref][period][confidence]\n2:[12][2026-Q3][green]\n3:[13][2026-Q3][amber]\n"},
	/* quoted commas, empty quoted fields */
	{"a,\"b, c\",d\n\"\",\",\",\"x\"\n", "1:[a][b, c][d]\n2:[][,][x]\n"},
	/* doubled quotes */
	{"\"say \"\"hello\"\"\",\"\"\"\"\n", "1:[say \"hello\"][\"]\n"},
	/* line breaks inside quotes are kept as written, and line numbers count the lines inside quotes */
	{"ref,milestones\n"
	 "12,\"Pilot|2026-01-31||2026-02-02\nRollout|2026-06-30|2026-09-30|\"\n"
	 "13,\"a\r\nb\"\n"
	 "14,x\n",
	 "1:[ref][milestones]\n2:[12][Pilot|2026-01-31||2026-02-02\nRollout|2026-06-30|2026-09-30|]\n"
	 "4:[13][a\r\nb]\n6:[14][x]\n"},
	/* CRLF, and a lone CR ends a record too (old Mac spreadsheets) */
	{"a,b\r\n1,2\r\n\"3\",\"4\"\r\n", "1:[a][b]\n2:[1][2]\n3:[3][4]\n"},
	{"a\rb\r", "1:[a]\n2:[b]\n"},
	/* a byte order mark; alone it is an empty file; before a quoted field */
	{"\xef\xbb\xbfref,title\n1,£1.2M\n", "1:[ref][title]\n2:[1][£1.2M]\n"},
	{"\xef\xbb\xbf", ""},
	{"\xef\xbb\xbf\"ref\"\n", "1:[ref]\n"},
	/* empty fields; a blank line is one empty field */
	{",,\na,,\n,b,\n\n,\n", "1:[][][]\n2:[a][][]\n3:[][b][]\n4:[]\n5:[][]\n"},
	{"", ""},
	/* with and without a final line break; a final empty or quoted field; two line breaks at the end: the
	 * second ends a blank record */
	{"a,b\n1,2\n", "1:[a][b]\n2:[1][2]\n"},
	{"a,b\n1,2", "1:[a][b]\n2:[1][2]\n"},
	{"a,", "1:[a][]\n"},
	{"a,\"b\"", "1:[a][b]\n"},
	{"a\r\n\r\n", "1:[a]\n2:[]\n"},
};

static void test_csv_files_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof test_csv_files / sizeof test_csv_files[0]; i++) {
		struct csv c = test_csv_parse(test_csv_files[i].text);
		char *got = test_csv_render(&c);
		if (strcmp(got, test_csv_files[i].rows) != 0)
			fail_msg("\"%s\" gave\n%s\nexpected\n%s", test_csv_files[i].text, got, test_csv_files[i].rows);
		free(got);
		if (c.n_rows == 0)
			assert_null(c.rows);
		csv_free(&c);
		assert_int_equal(c.n_rows, 0);
	}
}

/* Files that must be refused: the line the error is reported on and a part of its message; len 0 is strlen. */
static const struct {
	const char *text;
	size_t len;
	int line;
	const char *needle;
} test_csv_refused[] = {
	/* a quote never closed */
	{"ref,narrative\n12,\"started well\nthen\n", 0, 2, "never closed"},
	{"a,b\n1,2\n3,\"", 0, 3, "column 2"},
	/* stray quotes; a space before the quote makes the field unquoted; reported where the closing quote is */
	{"a,b\n1,2\"3\n", 0, 2, "quote inside unquoted column 2"},
	{"a, \"b\"\n", 0, 1, "unquoted column 2"},
	{"a,\"b\"c\n", 0, 1, "after the closing quote of column 2"},
	{"x\n\"a\nb\" ,c\n", 0, 3, "after the closing quote of column 1"},
	/* not text: "£" as Windows-1252 saves it, and a NUL */
	{"a,b\n1,\xa3"
	 "5\n",
	 0, 2, "not UTF-8"},
	{"a,b\n\n1,\0\n", 9, 3, "NUL"},
};

static void test_csv_files_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof test_csv_refused / sizeof test_csv_refused[0]; i++) {
		const char *s = test_csv_refused[i].text;
		size_t len = test_csv_refused[i].len ? test_csv_refused[i].len : strlen(s);
		test_csv_reject(s, len, test_csv_refused[i].line, test_csv_refused[i].needle);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_files_parse),
		cmocka_unit_test(test_csv_files_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
