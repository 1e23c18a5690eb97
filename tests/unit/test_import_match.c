/* test_import_match.c - unit tests for server/handlers/import_match.c: titles as compared, what is close,
 * and which project of a previous edition each project of a new one continues (the map first, then the same
 * title, then the same lead and a close title; ambiguity when there is more than one, or a claim twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "handlers/import_match.h"

static void test_normalise(void **state)
{
	(void)state;
	static const struct {
		const char *title, *want;
	} cases[] = {
		{"LJMU's Dream Factory", "ljmus dream factory"},
		{"LJMU\xe2\x80\x99s Dream Factory", "ljmus dream factory"}, /* the typographic apostrophe */
		{"Employment & skills", "employment and skills"},
		{"LCR Future Innovation Fund pilot + full scale programme",
		 "lcr future innovation fund pilot and full scale programme"},
		{"Digital materials chemistry for growth \xe2\x80\x93 Mobile Robotics Incubator",
		 "digital materials chemistry for growth mobile robotics incubator"},
		{"  Dig Once project #  ", "dig once project"},
		{"Health Innovation Liverpool (the HILL): v-HILL", "health innovation liverpool the hill v hill"},
		{"R\xc3\xa9seau", "r\xc3\xa9seau"}, /* other letters stay as they are */
		{"", ""},
		{"#&#", "and"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[IMPORT_MATCH_TITLE_MAX + 1];
		import_match_normalise(cases[i].title, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
	char small[8];
	import_match_normalise("abcdefghijklmnop", small, sizeof small); /* cut, terminated */
	assert_true(strlen(small) < sizeof small);
}

static bool test_close(const char *a, const char *b)
{
	char na[IMPORT_MATCH_TITLE_MAX + 1], nb[IMPORT_MATCH_TITLE_MAX + 1];
	import_match_normalise(a, na, sizeof na);
	import_match_normalise(b, nb, sizeof nb);
	return import_match_close(na, nb);
}

static void test_close_titles(void **state)
{
	(void)state;
	/* a renamed project of the successor edition (tests/data/make_editions.py) */
	assert_true(test_close("Tech Accelerator", "LCR Tech Accelerator"));
	assert_true(test_close("LCR Holistic", "LCR Holistic Programme"));
	assert_true(test_close("Digital Skills Partnership", "Digital Skills Partnership: employers"));
	assert_true(test_close("Town centre tech. business workspaces", "Town centre tech business workspaces"));
	/* pairs of the 2021-2023 plan with the same lead that are different projects */
	assert_false(test_close("Employment & skills", "Telecoms skills and employment programme"));
	assert_false(test_close("LCR Digital Governance", "LCR Digital Summit"));
	assert_false(test_close("Programme development", "Programme governance"));
	assert_false(test_close("Digital & Creative Competitive Value Proposition (CVP)",
				"LCR 4IR asset mapping & Competitive Value Proposition (CVP)"));
	/* close, but with another lead: only the map makes the successor's project continue it */
	assert_true(test_close("LCR Digital Poverty Programme", "Digital Poverty Eradication Programme"));
	assert_false(test_close("", ""));
}

static char *test_ca[] = {"CA"}, *test_lcc[] = {"LCC"}, *test_co[] = {"UoL", "LJMU"}, *test_oc[] = {"ljmu", "UOL"};

#define P(ref, title, leads)                                                                                           \
	{                                                                                                              \
		ref, title, leads, sizeof leads / sizeof leads[0]                                                      \
	}

static const struct import_match_project test_prev[] = {
	P(1, "Establish commercial JV partnership", test_ca),
	P(2, "Dig Once project", test_ca),
	P(5, "Liverpool 5G Create", test_lcc),
	P(6, "Liverpool 5G Scale Out", test_lcc),
	P(29, "Tech Accelerator", test_co),
	P(67, "Digital Skills Partnership", test_ca),
	P(80, "LCR Digital Poverty Programme", test_ca),
	P(90, "Evidence base", test_ca),
	P(91, "Evidence base", test_ca), /* two projects of one title: neither can be told by it */
};
#define TEST_N_PREV (sizeof test_prev / sizeof test_prev[0])

static int test_prev_ref(const struct import_match_result *r)
{
	return r->previous >= 0 ? test_prev[r->previous].ref : 0;
}

static void test_match_rounds(void **state)
{
	(void)state;
	const struct import_match_project next[] = {
		P(1, "Establish commercial JV partnership", test_ca), /* the same title */
		P(4, "LIVERPOOL 5G create", test_ca),                 /* the same title, another lead */
		P(5, "Liverpool 5G Scale-Out", test_lcc),             /* the same once normalised */
		P(26, "LCR Tech Accelerator", test_oc),               /* the same leads (any order, any case), close */
		P(60, "Digital Skills Partnership: employers", test_ca), /* two claim 67: both ambiguous */
		P(61, "Digital Skills Partnership: providers", test_ca),
		P(70, "Evidence base", test_ca),                          /* two of that title: ambiguous */
		P(79, "Digital Poverty Eradication Programme", test_lcc), /* another lead, not close: new */
		P(81, "Cyber Resilience Centre", test_ca),                /* new */
	};
	struct import_match_result out[sizeof next / sizeof next[0]];
	import_match(next, sizeof next / sizeof next[0], test_prev, TEST_N_PREV, NULL, 0, out);
	assert_int_equal(out[0].how, IMPORT_MATCH_TITLE);
	assert_int_equal(test_prev_ref(&out[0]), 1);
	assert_int_equal(out[1].how, IMPORT_MATCH_TITLE);
	assert_int_equal(test_prev_ref(&out[1]), 5);
	assert_int_equal(test_prev_ref(&out[2]), 6);
	assert_int_equal(out[3].how, IMPORT_MATCH_LEAD_TITLE);
	assert_int_equal(test_prev_ref(&out[3]), 29);
	for (int i = 4; i <= 5; i++) {
		assert_int_equal(out[i].how, IMPORT_MATCH_AMBIGUOUS);
		assert_int_equal(out[i].ambiguous_by, IMPORT_MATCH_LEAD_TITLE);
		assert_int_equal(out[i].previous, -1);
		assert_int_equal(out[i].n_candidates, 1);
		assert_int_equal(test_prev[out[i].candidates[0]].ref, 67);
	}
	assert_int_equal(out[6].how, IMPORT_MATCH_AMBIGUOUS);
	assert_int_equal(out[6].ambiguous_by, IMPORT_MATCH_TITLE);
	assert_int_equal(out[6].n_candidates, 2);
	assert_int_equal(test_prev[out[6].candidates[0]].ref, 90);
	assert_int_equal(test_prev[out[6].candidates[1]].ref, 91);
	assert_int_equal(out[7].how, IMPORT_MATCH_NEW);
	assert_int_equal(out[7].previous, -1);
	assert_int_equal(out[8].how, IMPORT_MATCH_NEW);
	assert_int_equal(out[8].n_candidates, 0);
	assert_string_equal(import_match_how_name(out[3].how), "lead and title");
	assert_string_equal(import_match_how_name(out[7].how), "");
}

static void test_match_map_first(void **state)
{
	(void)state;
	const struct import_match_project next[] = {
		P(1, "Dig Once project", test_ca),                        /* its title says 2; the map says 1 */
		P(2, "Establish commercial JV partnership", test_ca),     /* 1 is taken by the map: new */
		P(60, "Digital Skills Partnership: employers", test_ca),  /* the map: 67 */
		P(61, "Digital Skills Partnership: providers", test_ca),  /* the map: new */
		P(79, "Digital Poverty Eradication Programme", test_lcc), /* the map: 80 */
		P(70, "Evidence base", test_ca),                          /* the map: 91; then 90 by title? no: */
		P(71, "Evidence base", test_ca),                          /* the other of that title, by title */
	};
	const struct import_match_map map[] = {{1, 1}, {60, 67}, {61, 0}, {79, 80}, {70, 91}};
	struct import_match_result out[sizeof next / sizeof next[0]];
	import_match(next, sizeof next / sizeof next[0], test_prev, TEST_N_PREV, map, sizeof map / sizeof map[0], out);
	static const struct {
		enum import_match_how how;
		int previous_ref;
	} want[] = {{IMPORT_MATCH_MAP, 1},  {IMPORT_MATCH_NEW, 0},  {IMPORT_MATCH_MAP, 67},  {IMPORT_MATCH_NEW, 0},
		    {IMPORT_MATCH_MAP, 80}, {IMPORT_MATCH_MAP, 91}, {IMPORT_MATCH_TITLE, 90}};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_int_equal(out[i].how, want[i].how);
		assert_int_equal(test_prev_ref(&out[i]), want[i].previous_ref);
	}
}

static void test_match_nothing(void **state)
{
	(void)state;
	struct import_match_result out[1];
	const struct import_match_project next[] = {P(1, "Anything", test_ca)};
	import_match(next, 1, NULL, 0, NULL, 0, out);
	assert_int_equal(out[0].how, IMPORT_MATCH_NEW);
	import_match(NULL, 0, test_prev, TEST_N_PREV, NULL, 0, out); /* no project: nothing to write */
	/* a project with no lead is never matched by lead */
	const struct import_match_project leadless[] = {{29, "LCR Tech Accelerator", NULL, 0}};
	import_match(leadless, 1, test_prev, TEST_N_PREV, NULL, 0, out);
	assert_int_equal(out[0].how, IMPORT_MATCH_NEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),     cmocka_unit_test(test_close_titles),
		cmocka_unit_test(test_match_rounds),  cmocka_unit_test(test_match_map_first),
		cmocka_unit_test(test_match_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
