/* test_plan_parse.c - unit tests for plan_names.c and plan_parse.c against the real 2021-2023 action plan and small
 * crafted documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"
#include "plan_map.h"
#include "plan_names.h"
#include "plan_parse.h"
#include "xmalloc.h"

#define TEST_NAMES_PATH PLANREG_SOURCE_DIR "/data/names.tsv"
#define TEST_DOC_PATH PLANREG_SOURCE_DIR "/data/lcr-digital-action-plan-2021-2023.txt"
#define TEST_DATA PLANREG_SOURCE_DIR "/tests/data/" /* copies of the seed and its successor (make_editions.py) */

/* Shared by every test: the names file and the real document, parsed once. */
struct test_fixture {
	struct plan_names names;
	char *doc;
	size_t doc_len;
	struct plan plan;
};

static char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = xgrow(buf, &cap, n + got + 1, 1);
		memcpy(buf + n, chunk, got);
		n += got;
	}
	fclose(f);
	if (buf == NULL)
		buf = xstrdup("");
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int test_setup(void **state)
{
	struct test_fixture *fx = xcalloc(1, sizeof(*fx));
	char *err = NULL;
	if (!plan_names_load(TEST_NAMES_PATH, &fx->names, &err)) {
		fprintf(stderr, "names: %s\n", err);
		free(err);
		free(fx);
		return -1;
	}
	fx->doc = test_read_file(TEST_DOC_PATH, &fx->doc_len);
	if (fx->doc == NULL) {
		fprintf(stderr, "cannot read %s\n", TEST_DOC_PATH);
		plan_names_free(&fx->names);
		free(fx);
		return -1;
	}
	struct plan_error perr;
	if (!plan_parse(fx->doc, fx->doc_len, &fx->names, &fx->plan, &perr)) {
		fprintf(stderr, "plan_parse: line %d: %s\n", perr.line, perr.message);
		free(fx->doc);
		plan_names_free(&fx->names);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int test_teardown(void **state)
{
	struct test_fixture *fx = *state;
	plan_free(&fx->plan);
	plan_names_free(&fx->names);
	free(fx->doc);
	free(fx);
	return 0;
}

static const struct plan_project *test_project(const struct plan *p, int ref)
{
	for (size_t i = 0; i < p->n_projects; i++)
		if (p->projects[i].ref == ref)
			return &p->projects[i];
	fail_msg("no project with ref %d", ref);
	return NULL;
}

static size_t test_count_warnings(const struct plan *p, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_warnings; i++)
		if (strstr(p->warnings[i].message, needle) != NULL)
			n++;
	return n;
}

/* Fails unless a warning on line with ref says needle. */
static void test_assert_warning(const struct plan *p, int line, int ref, const char *needle)
{
	for (size_t i = 0; i < p->n_warnings; i++)
		if (p->warnings[i].line == line && p->warnings[i].ref == ref &&
		    strstr(p->warnings[i].message, needle) != NULL)
			return;
	for (size_t i = 0; i < p->n_warnings; i++)
		fprintf(stderr, "  warning line %d ref %d: %s\n", p->warnings[i].line, p->warnings[i].ref,
			p->warnings[i].message);
	fail_msg("no warning on line %d ref %d containing \"%s\"", line, ref, needle);
}

/* "a,b,c" from a list of strings, for compact comparisons. */
static char *test_join(char *const *items, size_t n)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i > 0 ? "," : "", items[i]);
		free(out);
		out = next;
	}
	return out;
}

static void test_assert_list(char *const *items, size_t n, const char *want)
{
	char *got = test_join(items, n);
	assert_string_equal(got, want);
	free(got);
}

/* One line per project of what the parser interpreted: ref|objective|lead orgs|lead people|partner codes
 * (? when unresolved)|cost status|min|max|~ if approximate|stage|stage note. */
static char *test_render(const struct plan_project *r)
{
	char *orgs = test_join(r->lead_orgs, r->n_lead_orgs);
	char *people = test_join(r->lead_people, r->n_lead_people);
	char *partners = xstrdup("");
	for (size_t j = 0; j < r->n_partners; j++) {
		char *next = xasprintf("%s%s%s", partners, j > 0 ? "," : "",
				       r->partners[j].org_code != NULL ? r->partners[j].org_code : "?");
		free(partners);
		partners = next;
	}
	char min[32] = "-", max[32] = "-";
	if (r->cost.has_min)
		snprintf(min, sizeof(min), "%lld", (long long)r->cost.min_pence);
	if (r->cost.has_max)
		snprintf(max, sizeof(max), "%lld", (long long)r->cost.max_pence);
	char *out = xasprintf("%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", r->ref, r->objective, orgs, people, partners,
			      values_cost_status_name(r->cost.status), min, max, r->cost.approximate ? "~" : "",
			      values_stage_name(r->stage), r->stage_note);
	free(orgs);
	free(people);
	free(partners);
	return out;
}

/* ---- the real document: structure and counts ---- */

/* The document's themes: number, line and title. */
static const struct {
	int number, line;
	const char *title;
} test_themes[] = {
	{1, 10, "Digital Connectivity & Infrastructure"}, {2, 43, "Tech for Good & a Smart City Region"},
	{3, 74, "Digital & CreaTech Sector Development"}, {4, 112, "Cross-Sector Digitalisation & AI"},
	{5, 155, "Digital Skills for Recovery & Growth"}, {6, 184, "Digital inclusion"},
};

/* The document's objectives: code, theme, number, line and how the title starts. */
static const struct {
	const char *code;
	int theme, number, line;
	const char *title_start;
} test_objectives[] = {
	{"1.1", 1, 1, 11, "Build, operate & maintain a fibre backhaul network"},
	{"1.2", 1, 2, 16, "Maximise 5G connectivity & 5G-fibre backhaul integration"},
	{"1.3", 1, 3, 27, "Develop & deliver projects to exploit wider opportunities"},
	{"1.4", 1, 4, 31, "Embed digital infrastructure/connectivity in other major LCR strategies & plans"},
	{"2.1", 2, 1, 44, "Enhance data-led approaches"},
	{"2.2", 2, 2, 49, "Develop, deliver & scale up Tech for Good projects"},
	{"2.3", 2, 3, 63, "Living labs & people-focused challenge programmes"},
	{"3.1", 3, 1, 75, "Business support & scale up"},
	{"3.2", 3, 2, 80, "Provide attractive business places & tech workspaces"},
	{"3.3", 3, 3, 91, "Facilitate access to new & international markets"},
	{"3.4", 3, 4, 105, "Place marketing & inward investment"},
	{"4.1", 4, 1, 114, "Maximise our world-leading High Performance Computing & AI capabilities"},
	{"4.2", 4, 2, 125, "Deliver major projects to exploit our other competitive strengths"},
	{"4.3", 4, 3, 137, "Drive technology diffusion & digital adoption across all sectors"},
	{"5.1", 5, 1, 157, "Create/maintain a comprehensive research & evidence base"},
	{"5.2", 5, 2, 162, "CV-19 recovery & basic skills initiatives"},
	{"5.3", 5, 3, 168, "Match skills supply with industry demand across future growth sectors"},
	{"6.1", 6, 1, 186, "Create/maintain a comprehensive research & evidence base"},
	{"6.2", 6, 2, 198, "Develop & deliver an effective, all-encompassing digital inclusion programme"},
	{"6.3", 6, 3, 203, "Redress Digital Poverty"},
};

/* Capital projects: titles that carried " #". */
static const int test_capital[] = {2, 3, 5, 6, 8, 9, 10, 20, 21, 23, 24, 32, 46, 47, 51, 53, 57};

static void test_plan_themes_and_objectives(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	assert_int_equal(p->n_themes, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(p->themes[i].number, test_themes[i].number);
		assert_int_equal(p->themes[i].line, test_themes[i].line);
		assert_string_equal(p->themes[i].title, test_themes[i].title);
	}

	assert_int_equal(p->n_objectives, 20);
	for (size_t i = 0; i < 20; i++) {
		const struct plan_objective *o = &p->objectives[i];
		assert_string_equal(o->code, test_objectives[i].code);
		assert_int_equal(o->theme, test_objectives[i].theme);
		assert_int_equal(o->number, test_objectives[i].number);
		assert_int_equal(o->line, test_objectives[i].line);
		assert_non_null(strstr(o->title, test_objectives[i].title_start));
		assert_ptr_equal(strstr(o->title, test_objectives[i].title_start), o->title);
	}
	assert_string_equal(p->objectives[0].title,
			    "Build, operate & maintain a fibre backhaul network across the "
			    "Liverpool City Region by 2023, & accelerate local gigabit rollout");

	/* every project's objective is one of the objectives of its own theme */
	for (size_t i = 0; i < p->n_projects; i++) {
		const struct plan_project *r = &p->projects[i];
		char prefix[8];
		snprintf(prefix, sizeof(prefix), "%d.", r->theme);
		assert_memory_equal(r->objective, prefix, strlen(prefix));
	}
}

static void test_plan_capital(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	size_t n_capital = 0;
	for (size_t i = 0; i < p->n_projects; i++) {
		const struct plan_project *r = &p->projects[i];
		bool want = false;
		for (size_t j = 0; j < sizeof(test_capital) / sizeof(test_capital[0]); j++)
			want = want || test_capital[j] == r->ref;
		if (r->capital != want)
			fail_msg("project %d capital %d, expected %d", r->ref, r->capital, want);
		n_capital += r->capital;
		assert_null(strchr(r->title, '#'));
	}
	assert_int_equal(n_capital, 17);
}

static void test_plan_counts(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	assert_string_equal(p->title, "2021-2023 LCR Digital Strategy Action Plan");
	assert_int_equal(p->n_projects, 80);
	for (size_t i = 0; i < p->n_projects; i++)
		assert_int_equal(p->projects[i].ref, (int)i + 1);

	size_t stages[STAGE_COUNT] = {0};
	for (size_t i = 0; i < p->n_projects; i++)
		stages[p->projects[i].stage]++;
	assert_int_equal(stages[STAGE_ADVANCED_DEVELOPMENT], 19);
	assert_int_equal(stages[STAGE_CONCEPT], 18);
	assert_int_equal(stages[STAGE_EARLY_DEVELOPMENT], 24);
	assert_int_equal(stages[STAGE_LIVE], 19);
	assert_int_equal(stages[STAGE_UNSPECIFIED] + stages[STAGE_COMPLETED] + stages[STAGE_PAUSED] +
				 stages[STAGE_CANCELLED],
			 0);

	size_t per_theme[7] = {0};
	for (size_t i = 0; i < p->n_projects; i++)
		per_theme[p->projects[i].theme]++;
	assert_int_equal(per_theme[1], 14);
	assert_int_equal(per_theme[2], 13);
	assert_int_equal(per_theme[3], 18);
	assert_int_equal(per_theme[4], 15);
	assert_int_equal(per_theme[5], 10);
	assert_int_equal(per_theme[6], 10);
}

static void test_plan_theme6_correction(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	test_assert_warning(p, 186, 0, "printed as 5.1 under theme 6; read as 6.1");
	test_assert_warning(p, 198, 0, "printed as 5.2 under theme 6; read as 6.2");
	test_assert_warning(p, 203, 0, "printed as 5.3 under theme 6; read as 6.3");
	test_assert_warning(p, 186, 0, "\"5.1 Create/maintain a comprehensive research & evidence base\"");
	assert_int_equal(test_count_warnings(p, "under theme"), 3);
	/* theme 5's own objectives are untouched */
	assert_int_equal(test_count_warnings(p, "under theme 5"), 0);

	static const char *const want[] = {"6.1", "6.1", "6.1", "6.2", "6.2", "6.2", "6.2", "6.3", "6.3", "6.3"};
	for (int ref = 71; ref <= 80; ref++) {
		const struct plan_project *r = test_project(p, ref);
		assert_int_equal(r->theme, 6);
		assert_string_equal(r->objective, want[ref - 71]);
	}
	for (int ref = 61; ref <= 70; ref++)
		assert_int_equal(test_project(p, ref)->theme, 5);
	assert_string_equal(test_project(p, 61)->objective, "5.1");
	assert_string_equal(test_project(p, 63)->objective, "5.2");
	assert_string_equal(test_project(p, 70)->objective, "5.3");
}

/* ---- the real document: every project, raw columns and interpretation ---- */

/* Generated from the document with awk (columns split on TAB, " #" taken off the title), not with the parser. */
static const struct {
	int ref;
	const char *title;
	bool capital;
	const char *lead, *partners, *cost, *funding, *stage;
} test_raw[] = {
	{1, "Establish commercial JV partnership", false, "CA – Lorna Rogers", "JV partner, Local Authorities",
	 "Circa £30M", "CA, private sector", "Live"},
	{2, "Dig Once project", true, "CA – Lorna Rogers", "JV partner, Local Authorities, utility companies", "£1.2M",
	 "CA", "Live"},
	{3, "Local loop development in all 6 local authority areas", true, "Local Authorities",
	 "CA, JV partner, other network providers", "tbd", "tbd", "Early development"},
	{4, "Digital connectivity publicity programme", false, "CA – Lorna Rogers",
	 "JV partner, Local Authorities, 5G testbed", "tbd", "tbd", "Early development"},
	{5, "Liverpool 5G Create: Connecting Health & Social Care", true, "Liverpool City Council (LCC) – Ann Williams",
	 "UoL, LJMU, NHS, BluWireless, private sector", "£7.2M", "DCMS, LCC, NHS", "Live"},
	{6, "Liverpool 5G Scale Out", true, "LCC – Ann Williams",
	 "Local Authorities, CA, UoL, LJMU, NHS, BluWireless, private sector", "tbd", "tbd", "Concept"},
	{7, "Coordinate fixed & wireless digital infrastructure approaches", false, "CA – Lorna Rogers",
	 "Local Authorities, private sector", "tbd", "tbd", "Early development"},
	{8, "L51 Campus - Datacentre & Innovation Hub", true, "Dataplex Ireland – Eddie Kilbane",
	 "Datacentre Operator, Investment partners", "circa £85M", "Private sector", "Advanced development"},
	{9, "Southport international data interchange", true, "Sefton Council - tbd",
	 "Southport BID, CA, JV partner, private sector", "tbd", "tbd", "Concept"},
	{10, "Hyperscaler clean growth infrastructure investment", true, "CA – Mark Knowles", "Private sector", "tbd",
	 "tbd", "Concept"},
	{11, "Housing", false, "CA – Tim Jago", "-", "n/a", "n/a", "Live"},
	{12, "Planning", false, "CA – Mark Dickens", "-", "n/a", "n/a", "Advanced development"},
	{13, "Employment & skills", false, "CA – Rob Tabb", "Local Authorities, delivery partners", "tbd", "tbd",
	 "Early development"},
	{14, "Energy/Clean Growth", false, "CA – Mark Knowles", "Climate Partnership, CA, LAs and wider stakeholders",
	 "tbd", "tbd", "Early development"},
	{15, "LCR Digital Governance", false, "CA - tbd",
	 "LAs, LEP, HEIs, NHS, STFC, other anchor institutions, private sector, voluntary/ community sector", "n/a",
	 "n/a", "Early development"},
	{16, "LCR digital policy, strategy & action plan capacity requirements", false, "CA - tbd",
	 "LAs, LEP, HEIs, NHS, STFC, other anchor institutions, private sector, voluntary/ community sector", "tbd",
	 "tbd", "Concept"},
	{17, "LCR Smart City Region Task Group", false, "CA - tbd",
	 "LAs, LEP, HEIs, NHS, STFC, other anchor institutions, private sector, voluntary/ community sector", "n/a",
	 "n/a", "Concept"},
	{18, "LCR Data Strategy", false, "CA - tbd",
	 "LAs, LEP, HEIs, NHS, STFC, other anchor institutions, private sector, voluntary/ community sector", "tbd",
	 "tbd", "Concept"},
	{19, "Civic Data Cooperative (CDC)", false, "Liverpool Health Partners – Iain Buchan", "UoL, LJMU, NHS",
	 "£5.3M", "SIF", "Live"},
	{20, "Health Innovation Liverpool (the HILL): v-HILL", true, "UoL – Amanda Lamb", "NHS, Liverpool City Council",
	 "tbd", "tbd", "Advanced development"},
	{21, "Smart Ticketing", true, "CA – Gary Evans", "Merseyrail, bus operators, private sector", "£3.5m",
	 "Transforming Cities Fund", "Advanced development"},
	{22, "Alderhey@nywhere open innovation system pipeline infrastructure - @dvancingsafety - safe@ccesstocare",
	 false, "Alder Hey NHS Foundation Trust - Claire Liddy",
	 "CA, Liverpool Health Partners, private sector (large, SME, & start-ups), HEIs, tech solution/ scouting "
	 "partners",
	 "£9.75m", "tbd", "Advanced development"},
	{23, "Global Immersive Health Tech Centre", true, "Alder Hey NHS Foundation Trust.- Claire Liddy",
	 "CA, Liverpool Health Partners, large corporate sponsor (TBC), Science park partner (TBC)", "£23.1m", "tbd",
	 "Early development"},
	{24, "National Dementia Centre", true, "Everton FC – Martin Carey",
	 "NHS, Everton in the Community, LJMU, UoL, Edge Hill University, Hope University, City of Liverpool College, "
	 "NML, voluntary/ community sector",
	 "£25M", "tbd", "Early development"},
	{25, "Public engagement & communications programme", false, "CA - tbd",
	 "Local Authorities voluntary/ community sector, NHS, private sector, HEIs", "tbd", "tbd", "Concept"},
	{26, "Everton FC living lab", false, "Everton in the Community - Richard Kenyon",
	 "HEIs, voluntary/ community sector, NHS, private sector, LCC/Local Authorities", "tbd", "tbd", "Concept"},
	{27, "Town Centre tech for good initiatives", false, "Local Authorities",
	 "CA, Private sector, voluntary/ community sector", "tbd", "tbd", "Concept"},
	{28, "Daresbury Digital Cluster", false, "STFC - James Bedford", "Private sector", "n/a", "n/a",
	 "Advanced development"},
	{29, "Tech Accelerator", false, "Private sector", "CA, private sector, anchor institutions", "£4M",
	 "SIF/ private", "Advanced development"},
	{30, "Open Source Payments Infrastructure", false, "CA – Ben Heywood", "Private sector", "£1M", "tbd",
	 "Early development"},
	{31, "Unlocking finance for digital/createch sector SMEs", false, "Growth Platform – Helen Cross", "SMEs",
	 "tbd", "tbd", "Concept"},
	{32, "Enabling infrastructure for Sci-Tech Daresbury campus expansion", true,
	 "Sci-Tech Daresbury JV - John Leake", "Langtree, STFC, Halton MBC", "£24.7M", "EZ, private, SIF",
	 "Advanced development"},
	{33, "LJMU's Dream Factory: Liverpool's Entertainment Technology Centre (ETC)", false,
	 "LJMU - Joe Yates/ Rachel McLean",
	 "Twickenham Studios, The Creative District Company, Liverpool City Council, Hugh Baird College (other "
	 "partners in discussion).",
	 "£3.8M", "SIF, LJMU",
	 "Advanced development (Build to start mid-2021 and be completed by May 2023. Academic delivery onsite "
	 "September 2023)"},
	{34, "Town centre tech. business workspaces", false, "Local Authorities", "CA, private sector", "tbd", "tbd",
	 "Early development"},
	{35, "NW Space Strategy & Cluster", false, "STFC – Alan Cross",
	 "CA, LCR LEP, Cheshire & Warrington LEP, Cumbria LEP, Lancashire LEP, GM LEP, UKRI (STFC, NERC, BBSRC, EPSRC, "
	 "Innovate UK), NSC, NWAAs, The Innovation Caucus",
	 "n/a", "n/a", "Live"},
	{36, "Liverpool LegalTech Lab", false, "UoL – Katie Atkinson", "Private sector", "£14M", "tbd",
	 "Advanced development"},
	{37, "The Goodison Experience", false, "Everton FC – Martin Carey", "LJMU, private sector, UoL", "£19.8M",
	 "tbd", "Advanced development"},
	{38, "Total Immersion", false, "LCC – Robin Kemp", "3 HEIs, private sector", "£2.6M", "SIF",
	 "Advanced development"},
	{39, "Growth sector interconnections", false, "Growth Platform - Helen Cross (& other sector leads)",
	 "CA, private sector, anchor institutions, national bodies", "tbd", "SIF/ ERDF", "Concept"},
	{40, "EFC Sports Science", false, "Everton FC – Richard Kenyon", "Private sector", "tbd", "tbd", "Concept"},
	{41, "Tech Climbers", false, "Growth Platform – Helen Cross", "Invest Liverpool, private sector", "£25K",
	 "Invest Liverpool/ private sector", "Live"},
	{42, "LCR Digital Summit", false, "Growth Platform – Helen Cross",
	 "CA, private sector, anchor institutions, national bodies", "£25K", "Private sector", "Live (annual)"},
	{43, "Digital & Creative Competitive Value Proposition (CVP)", false, "Growth Platform – Helen Cross",
	 "CA, private sector, anchor institutions, national bodies", "tbd", "CA/Growth Platform", "Early development"},
	{44, "National engagement & familiarisation", false, "Growth Platform – Helen Cross",
	 "national bodies, private sector, CA, anchor institutions,", "n/a", "n/a", "Concept"},
	{45, "International programme", false, "Growth Platform – Helen Cross",
	 "CA, private sector, anchor institutions, national bodies", "tbd", "tbd", "Concept"},
	{46, "Hartree National Centre for Digital Innovation (HNCDI)", true, "STFC Hartree Centre – Alison Kennedy",
	 "STFC/UKRI, BEIS, IBM, Sci-Tech Daresbury JV, LCR CA", "£170M", "UKRI, IBM, other industry",
	 "Advanced development"},
	{47, "Daresbury Data Centre (DDC)", true, "STFC Hartree Centre – Alison Kennedy",
	 "STFC/UKRI, BEIS, IBM, Sci-Tech Daresbury JV, LCR CA", "£30M", "BEIS", "Advanced development"},
	{48, "Quantum computing cluster", false, "STFC & Atos", "IBM, private sector, HEIs", "tbd", "tbd",
	 "Early development"},
	{49, "iiCON: delivering integrated solutions for human health", false, "LSTM – Janet Hemingway",
	 "Unilever, other industry, AMR Centre, NHS, UoL", "£113.6M", "Strength in Places Fund, industry", "Live"},
	{50, "Digital materials chemistry for growth – Mobile Robotics Incubator", false, "MIF - Matt Reed",
	 "Industry, Government, UoL, CA", "£23.3M", "£8.3M SIF + £10m-£15m private", "Advanced development"},
	{51, "New Robotic Telescope (NRT)", true, "LJMU - Iain Steele",
	 "Instituto de Astrofisica de Canarias, University of Oviedo, Spain, National Astronomical Observatory of "
	 "China, UoL",
	 "£24m", "STFC, LJMU, Partners",
	 "Advanced development (intended construction April 2021; first light June 2025)"},
	{52, "Port & logistics digitalisation & optimisation", false, "Peel Ports – Stephen Carr",
	 "UoL, LJMU, STFC, Local Authorities, private sector", "tbd", "tbd", "Concept"},
	{53, "Manufacturing Technology Centre Digital Manufacturing Accelerator and Factory in a Box (FiaB)", true,
	 "MTC – Charlie Whitford", "CA, LEP/Growth Platform, private sector, UoL, LJMU", "£ 14.95M + £ 2.35M",
	 "SIF, MTC", "Live"},
	{54, "LCR4Start", false, "UoL - Andy Levers", "LJMU, STFC, LEP/Growth Platform", "£3.9M",
	 "ESIF/ERDF, matched by partners", "Live"},
	{55, "LCR Holistic", false, "UoL – Andy Levers", "LJMU, LEP/Growth Platform", "£5.1M",
	 "ESIF/ERDF, matched by partners", "Live"},
	{56, "LCR Future Innovation Fund pilot + full scale programme", false, "LCR CA – Ben Heywood",
	 "LEP/Growth Platform, SMEs, corporates, anchor institutions", "£3m + £20M", "CA, private sector",
	 "Live + advanced development"},
	{57, "Digital Innovation Facility (DIF)", true, "UoL – Andy Levers", "CA", "£12.7M", "SIF, UoL",
	 "Advanced development (Opening Spring 2021)"},
	{58, "Digitally integrated supply chain for clean growth", false, "UoL – Andy Levers", "Private sector", "£3M",
	 "tbd", "Early development"},
	{59, "AI innovation diffusion", false, "STFC – James Bedford", "Innovate UK, CA, Growth Platform", "£2.16M",
	 "tbd", "Early development"},
	{60, "LCR 4IR asset mapping & Competitive Value Proposition (CVP)", false, "Growth Platform – Simon Reid",
	 "CA, private sector, HEIs, UKRI", "tbd", "CA/Growth Platform", "Early development"},
	{61, "Systematic data & evidence gathering", false, "CA – Paul Amann",
	 "SAP Members, CA, LAs and wider stakeholders", "tbd", "tbd", "Concept"},
	{62, "Digital Skills for Growth Action Plan", false, "CA – Paul Amann",
	 "CA, LAs, private sector and digital partners", "tbd", "tbd", "Concept"},
	{63, "Digital Day", false, "BIMA Liverpool", "Schools", "n/a", "n/a/", "Live (annual)"},
	{64, "Digital Skills for the Workplace", false, "CA – Paul Amann / Steve Hearty",
	 "Employers, D&C Board, training providers, JCP, other agencies that get people into work", "£1m",
	 "LCRCA grant funded by DfE Digital Bootcamp funding", "Live (pilot runs from September 2020 – March 2021)"},
	{65, "AEB Digital Skills Entitlement", false, "CA – Alison Gallagher",
	 "FE Colleges, AEB contract holders, sub-contractors", "Over £1.2m", "LCRCA AEB", "Live"},
	{66, "Graduate Placements", false, "CA – Paul Amann", "LCR HEIs", "£3.6m",
	 "ESF Reserve Fund + £1.4M match funding", "Live (Up to December 2022)"},
	{67, "Digital Skills Partnership", false, "CA – Paul Amann", "Tbd based on exemplar models", "tbd", "DCMS",
	 "Advanced development"},
	{68, "Digital T Levels", false, "CA – Kamal Choudhary", "Hugh Baird College in first year, private sector",
	 "£600k for cohort of 20 in first year", "ESFA - Early Adopter Fund",
	 "Advanced development. From September 2021"},
	{69, "UoL Medical student Healthcare Technology & Design programme", false, "Alder Hey – Iain Hennessey",
	 "UoL, private sector", "tbd", "tbd", "Early development"},
	{70, "Telecoms skills and employment programme", false, "CA – Rob Tabb", "JV partners, private sector, FE",
	 "tbd", "tbd", "Concept"},
	{71, "Evidence base", false, "CA – Olly Martins",
	 "Local Authorities, HEIs, FE, private sector, community/voluntary sector", "tbd", "tbd", "Early development"},
	{72, "Digital Social Value opportunities", false, "CA – Olly Martins",
	 "Local Authorities, HEIs, FE, private sector, community/voluntary sector", "tbd", "tbd", "Early development"},
	{73, "Facilitate social housing digital connectivity & affordability initiatives", false, "CA – Olly Martins",
	 "Social housing providers, community / voluntary sector", "tbd", "tbd", "Early development"},
	{74, "Programme development", false, "CA – Ollly Martins",
	 "Local Authorities, HEIs, FE, private sector, community/voluntary sector", "tbd", "tbd", "Early development"},
	{75, "Programme governance", false, "CA – Ollly Martins",
	 "Local Authorities, HEIs, FE, private sector, community/voluntary sector", "tbd", "tbd", "Early development"},
	{76, "Embed digital inclusion considerations across all LCR policies, programmes & services", false,
	 "CA – Ollly Martins", "Local Authorities, HEIs, FE, private sector, community/voluntary sector", "tbd", "tbd",
	 "Early development"},
	{77, "NHS programme to support people to access digital health/wellbeing services", false,
	 "MIAA/NHS - Jen Mason", "Health Trusts, CA, LAs", "-", "-", "Early development"},
	{78, "Digital kit & connectivity", false, "CA – Ollly Martins & Paul Amann",
	 "VOLA Consortium Call in progress – successful bidder to be selected.", "£55,000 Up to £130k",
	 "LCR Cares 100% ESF (no match requirement)", "Live"},
	{79, "AEB Transitional Fund", false, "CA – Alison Gallagher",
	 "FE Colleges, AEB contract holders, sub-contractors", "£0.92M", "LCRCA AEB", "Live"},
	{80, "LCR Digital Poverty Programme", false, "CA -Ollly Martins",
	 "Local Authorities, HEIs, FE, private sector, community/voluntary sector", "tbd", "tbd", "Early development"},
};

/* Reviewed by hand against the columns above. */
static const char *const test_interpreted[] = {
	"1|1.1|CA|Lorna Rogers|?,LAS|known|3000000000|3000000000|~|live|",
	"2|1.1|CA|Lorna Rogers|?,LAS,?|known|120000000|120000000||live|",
	"3|1.1|LAS||CA,?,?|unknown|-|-||early_development|",
	"4|1.1|CA|Lorna Rogers|?,LAS,?|unknown|-|-||early_development|",
	"5|1.2|LCC|Ann Williams|UoL,LJMU,NHS,?,PRIVATE|known|720000000|720000000||live|",
	"6|1.2|LCC|Ann Williams|LAS,CA,UoL,LJMU,NHS,?,PRIVATE|unknown|-|-||concept|",
	"7|1.2|CA|Lorna Rogers|LAS,PRIVATE|unknown|-|-||early_development|",
	"8|1.3|DATAPLEX|Eddie Kilbane|?,?|known|8500000000|8500000000|~|advanced_development|",
	"9|1.3|SEFTON||?,CA,?,PRIVATE|unknown|-|-||concept|",
	"10|1.3|CA|Mark Knowles|PRIVATE|unknown|-|-||concept|",
	"11|1.4|CA|Tim Jago||not_applicable|-|-||live|",
	"12|1.4|CA|Mark Dickens||not_applicable|-|-||advanced_development|",
	"13|1.4|CA|Rob Tabb|LAS,?|unknown|-|-||early_development|",
	"14|1.4|CA|Mark Knowles|?,CA,?|unknown|-|-||early_development|",
	"15|2.1|CA||LAS,LEP,?,NHS,STFC,?,PRIVATE,?|not_applicable|-|-||early_development|",
	"16|2.1|CA||LAS,LEP,?,NHS,STFC,?,PRIVATE,?|unknown|-|-||concept|",
	"17|2.1|CA||LAS,LEP,?,NHS,STFC,?,PRIVATE,?|not_applicable|-|-||concept|",
	"18|2.1|CA||LAS,LEP,?,NHS,STFC,?,PRIVATE,?|unknown|-|-||concept|",
	"19|2.2|LHP|Iain Buchan|UoL,LJMU,NHS|known|530000000|530000000||live|",
	"20|2.2|UoL|Amanda Lamb|NHS,LCC|unknown|-|-||advanced_development|",
	"21|2.2|CA|Gary Evans|?,?,PRIVATE|known|350000000|350000000||advanced_development|",
	"22|2.2|ALDERHEY|Claire Liddy|CA,LHP,?,?,?|known|975000000|975000000||advanced_development|",
	"23|2.2|ALDERHEY|Claire Liddy|CA,LHP,?,?|known|2310000000|2310000000||early_development|",
	"24|2.2|EFC|Martin Carey|NHS,EITC,LJMU,UoL,?,?,?,?,?|known|2500000000|2500000000||early_development|",
	"25|2.3|CA||?,NHS,PRIVATE,?|unknown|-|-||concept|",
	"26|2.3|EITC|Richard Kenyon|?,?,NHS,PRIVATE,?|unknown|-|-||concept|",
	"27|2.3|LAS||CA,PRIVATE,?|unknown|-|-||concept|",
	"28|3.1|STFC|James Bedford|PRIVATE|not_applicable|-|-||advanced_development|",
	"29|3.1|PRIVATE||CA,PRIVATE,?|known|400000000|400000000||advanced_development|",
	"30|3.1|CA|Ben Heywood|PRIVATE|known|100000000|100000000||early_development|",
	"31|3.1|GP|Helen Cross|?|unknown|-|-||concept|",
	"32|3.2|SCITECH|John Leake|?,STFC,HALTON|known|2470000000|2470000000||advanced_development|",
	"33|3.2|LJMU|Joe Yates,Rachel McLean|?,?,LCC,?|known|380000000|380000000||advanced_development|Build to start "
	"mid-2021 and be completed by May 2023. Academic delivery onsite September 2023",
	"34|3.2|LAS||CA,PRIVATE|unknown|-|-||early_development|",
	"35|3.3|STFC|Alan Cross|CA,LEP,?,?,?,?,?,?,?,?|not_applicable|-|-||live|",
	"36|3.3|UoL|Katie Atkinson|PRIVATE|known|1400000000|1400000000||advanced_development|",
	"37|3.3|EFC|Martin Carey|LJMU,PRIVATE,UoL|known|1980000000|1980000000||advanced_development|",
	"38|3.3|LCC|Robin Kemp|?,PRIVATE|known|260000000|260000000||advanced_development|",
	"39|3.3|GP|Helen Cross|CA,PRIVATE,?,?|unknown|-|-||concept|",
	"40|3.3|EFC|Richard Kenyon|PRIVATE|unknown|-|-||concept|",
	"41|3.4|GP|Helen Cross|?,PRIVATE|known|2500000|2500000||live|",
	"42|3.4|GP|Helen Cross|CA,PRIVATE,?,?|known|2500000|2500000||live|annual",
	"43|3.4|GP|Helen Cross|CA,PRIVATE,?,?|unknown|-|-||early_development|",
	"44|3.4|GP|Helen Cross|?,PRIVATE,CA,?|not_applicable|-|-||concept|",
	"45|3.4|GP|Helen Cross|CA,PRIVATE,?,?|unknown|-|-||concept|",
	"46|4.1|STFC|Alison Kennedy|?,?,IBM,SCITECH,CA|known|17000000000|17000000000||advanced_development|",
	"47|4.1|STFC|Alison Kennedy|?,?,IBM,SCITECH,CA|known|3000000000|3000000000||advanced_development|",
	"48|4.1|STFC,ATOS||IBM,PRIVATE,?|unknown|-|-||early_development|",
	"49|4.2|LSTM|Janet Hemingway|?,?,?,NHS,UoL|known|11360000000|11360000000||live|",
	"50|4.2|MIF|Matt Reed|?,?,UoL,CA|known|2330000000|2330000000||advanced_development|",
	"51|4.2|LJMU|Iain Steele|?,?,?,?,UoL|known|2400000000|2400000000||advanced_development|intended construction "
	"April 2021; first light June 2025",
	"52|4.2|PEEL|Stephen Carr|UoL,LJMU,STFC,LAS,PRIVATE|unknown|-|-||concept|",
	"53|4.3|MTC|Charlie Whitford|CA,?,PRIVATE,UoL,LJMU|known|1730000000|1730000000||live|",
	"54|4.3|UoL|Andy Levers|LJMU,STFC,?|known|390000000|390000000||live|",
	"55|4.3|UoL|Andy Levers|LJMU,?|known|510000000|510000000||live|",
	"56|4.3|CA|Ben Heywood|?,?,?,?|known|2300000000|2300000000||live|advanced development",
	"57|4.3|UoL|Andy Levers|CA|known|1270000000|1270000000||advanced_development|Opening Spring 2021",
	"58|4.3|UoL|Andy Levers|PRIVATE|known|300000000|300000000||early_development|",
	"59|4.3|STFC|James Bedford|?,CA,GP|known|216000000|216000000||early_development|",
	"60|4.3|GP|Simon Reid|CA,PRIVATE,?,?|unknown|-|-||early_development|",
	"61|5.1|CA|Paul Amann|?,CA,?|unknown|-|-||concept|",
	"62|5.1|CA|Paul Amann|CA,LAS,?|unknown|-|-||concept|",
	"63|5.2|BIMA||?|not_applicable|-|-||live|annual",
	"64|5.2|CA|Paul Amann,Steve Hearty|?,?,?,?,?|known|100000000|100000000||live|pilot runs from September 2020 – "
	"March 2021",
	"65|5.2|CA|Alison Gallagher|?,?,?|known|120000000|-||live|",
	"66|5.3|CA|Paul Amann|?|known|360000000|360000000||live|Up to December 2022",
	"67|5.3|CA|Paul Amann|?|unknown|-|-||advanced_development|",
	"68|5.3|CA|Kamal Choudhary|?,PRIVATE|known|60000000|60000000||advanced_development|From September 2021",
	"69|5.3|ALDERHEY|Iain Hennessey|UoL,PRIVATE|unknown|-|-||early_development|",
	"70|5.3|CA|Rob Tabb|?,PRIVATE,?|unknown|-|-||concept|",
	"71|6.1|CA|Olly Martins|LAS,?,?,PRIVATE,?|unknown|-|-||early_development|",
	"72|6.1|CA|Olly Martins|LAS,?,?,PRIVATE,?|unknown|-|-||early_development|",
	"73|6.1|CA|Olly Martins|?,?|unknown|-|-||early_development|",
	"74|6.2|CA|Olly Martins|LAS,?,?,PRIVATE,?|unknown|-|-||early_development|",
	"75|6.2|CA|Olly Martins|LAS,?,?,PRIVATE,?|unknown|-|-||early_development|",
	"76|6.2|CA|Olly Martins|LAS,?,?,PRIVATE,?|unknown|-|-||early_development|",
	"77|6.2|MIAA,NHS|Jen Mason|?,CA,LAS|not_applicable|-|-||early_development|",
	"78|6.3|CA|Olly Martins,Paul Amann|?|known|5500000|13000000||live|",
	"79|6.3|CA|Alison Gallagher|?,?,?|known|92000000|92000000||live|",
	"80|6.3|CA|Olly Martins|LAS,?,?,PRIVATE,?|unknown|-|-||early_development|",
};

static void test_plan_every_project_raw(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	assert_int_equal(sizeof(test_raw) / sizeof(test_raw[0]), 80);
	for (size_t i = 0; i < 80; i++) {
		const struct plan_project *r = test_project(p, test_raw[i].ref);
		assert_string_equal(r->title, test_raw[i].title);
		assert_int_equal(r->capital, test_raw[i].capital);
		assert_string_equal(r->lead_text, test_raw[i].lead);
		assert_string_equal(r->partners_text, test_raw[i].partners);
		assert_string_equal(r->cost.text, test_raw[i].cost);
		assert_string_equal(r->funding, test_raw[i].funding);
		assert_string_equal(r->stage_text, test_raw[i].stage);
		assert_true(strlen(r->description) > 40);
		assert_null(strchr(r->description, '\t'));
	}
}

static void test_plan_every_project_interpreted(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	assert_int_equal(sizeof(test_interpreted) / sizeof(test_interpreted[0]), 80);
	for (size_t i = 0; i < 80; i++) {
		char *got = test_render(&p->projects[i]);
		assert_string_equal(got, test_interpreted[i]);
		free(got);
	}
}

/* ---- the real document: projects field by field ---- */

/* Twenty-two projects read field by field, in four tables keyed by ref (checked by hand against the
 * document): where each stands and its words, its leads, some of its partners, its cost and stage. */
static const struct {
	int ref, line, theme;
	const char *objective, *title;
	bool capital;
	const char *description_start, *description_end; /* end NULL: not checked */
} test_detailed_text[] = {
	{1, 12, 1, "1.1", "Establish commercial JV partnership", false,
	 "Form a commercial partnership to install, operate", "200+km fibre network across the LCR."},
	{5, 17, 1, "1.2", "Liverpool 5G Create: Connecting Health & Social Care", true,
	 "This will develop an independent 5G network", "new transferable commercial model."},
	{22, 60, 2, "2.2",
	 "Alderhey@nywhere open innovation system pipeline infrastructure - @dvancingsafety - safe@ccesstocare", false,
	 "Real world problem-led healthcare innovation", "clinical, academic and industry experts."},
	{23, 61, 2, "2.2", "Global Immersive Health Tech Centre", true, "To deliver the \"Living Hospital\" strategy",
	 "embedded industry teams and tenants."},
	{32, 81, 3, "3.2", "Enabling infrastructure for Sci-Tech Daresbury campus expansion", true,
	 "The campus/Enterprise Zone houses 130+ businesses", "of the proposed amenity building."},
	{33, 82, 3, "3.2", "LJMU's Dream Factory: Liverpool's Entertainment Technology Centre (ETC)", false,
	 "The ETC to be created at the former Littlewoods building", "with a dedicated skills component."},
	{48, 124, 4, "4.1", "Quantum computing cluster", false, "Expand the existing capability and nascent cluster",
	 "coming quantum computing revolution."},
	{53, 138, 4, "4.3",
	 "Manufacturing Technology Centre Digital Manufacturing Accelerator and Factory in a Box (FiaB)", true,
	 "The programme aims to strengthen the LCR and NW", "business models and market opportunities."},
	{56, 141, 4, "4.3", "LCR Future Innovation Fund pilot + full scale programme", false,
	 "Launched as a £3m pilot in 2020", "to scale it up to a £20M programme."},
	{63, 164, 5, "5.2", "Digital Day", false, "BIMA's annual Digital Day gives 11-16 year olds",
	 "some fantastic prizes for themselves."},
	{68, 180, 5, "5.3", "Digital T Levels", false, "The Government is introducing a range of T Levels",
	 "minimum of 315 hour industry placements."},
	{71, 188, 6, "6.1", "Evidence base", false, "Research to identify data, gaps, and issues",
	 "prelude to devising intended solutions."},
	{74, 199, 6, "6.2", "Programme development", false,
	 "(a) Collaboration to identify sustainable long-term solutions", "and project implementation channels."},
	{77, 202, 6, "6.2", "NHS programme to support people to access digital health/wellbeing services", false,
	 "Cheshire & Merseyside programme and directory", "task group and consultation exercise."},
	{78, 204, 6, "6.3", "Digital kit & connectivity", false, "Consider extension of free equipment provision",
	 "precedents as well as local initiatives."},
	{80, 206, 6, "6.3", "LCR Digital Poverty Programme", false, "Co-create with Government an ambitious programme",
	 "Building Back Better Economic Recovery Plan."},
	{19, 50, 2, "2.2", "Civic Data Cooperative (CDC)", false, "The CDC will comprehensively integrate",
	 "and create new health technology jobs."},
	{39, 96, 3, "3.3", "Growth sector interconnections", false, "Dedicated resource and activities to connect",
	 "the Cultural Sector in particular."},
	{64, 165, 5, "5.2", "Digital Skills for the Workplace", false,
	 "Learning from the initial pilot will be captured", "delivery and rollout of activities."},
	{65, 166, 5, "5.2", "AEB Digital Skills Entitlement", false,
	 "The Government is introducing a new Statutory Digital Entitlement", "which many people take for granted."},
	{8, 28, 1, "1.3", "L51 Campus - Datacentre & Innovation Hub", true,
	 "Investment in the creation of a 100,000 sq. ft. data centre", NULL},
	{79, 205, 6, "6.3", "AEB Transitional Fund", false, "Support for colleges/providers to buy more KIT",
	 "for those learners without."},
};

static const struct {
	int ref;
	const char *lead_orgs, *lead_people;
	size_t n_partners;
} test_detailed_leads[] = {
	{1, "CA", "Lorna Rogers", 2},
	{5, "LCC", "Ann Williams", 5},
	{22, "ALDERHEY", "Claire Liddy", 5},
	{23, "ALDERHEY", "Claire Liddy", 4},
	{32, "SCITECH", "John Leake", 3},
	{33, "LJMU", "Joe Yates,Rachel McLean", 4},
	{48, "STFC,ATOS", "", 3},
	{53, "MTC", "Charlie Whitford", 5},
	{56, "CA", "Ben Heywood", 4},
	{63, "BIMA", "", 1},
	{68, "CA", "Kamal Choudhary", 2},
	{71, "CA", "Olly Martins", 5},
	{74, "CA", "Olly Martins", 5},
	{77, "MIAA,NHS", "Jen Mason", 3},
	{78, "CA", "Olly Martins,Paul Amann", 1},
	{80, "CA", "Olly Martins", 5},
	{19, "LHP", "Iain Buchan", 3},
	{39, "GP", "Helen Cross", 4},
	{64, "CA", "Paul Amann,Steve Hearty", 5},
	{65, "CA", "Alison Gallagher", 3},
	{8, "DATAPLEX", "Eddie Kilbane", 2},
	{79, "CA", "Alison Gallagher", 3},
};

static const struct {
	int ref;
	size_t index;
	const char *name;
	const char *code; /* NULL when the partner resolves to no organisation */
} test_detailed_partners[] = {
	{1, 0, "JV partner", NULL},
	{1, 1, "Local Authorities", "LAS"},
	{5, 0, "UoL", "UoL"},
	{5, 3, "BluWireless", NULL},
	{5, 4, "private sector", "PRIVATE"},
	{22, 1, "Liverpool Health Partners", "LHP"},
	{22, 2, "private sector (large, SME, & start-ups)", NULL},
	{22, 4, "tech solution/ scouting partners", NULL},
	{23, 0, "CA", "CA"},
	{23, 2, "large corporate sponsor (TBC)", NULL},
	{23, 3, "Science park partner (TBC)", NULL},
	{32, 0, "Langtree", NULL},
	{32, 1, "STFC", "STFC"},
	{32, 2, "Halton MBC", "HALTON"},
	{33, 0, "Twickenham Studios", NULL},
	{33, 2, "Liverpool City Council", "LCC"},
	{33, 3, "Hugh Baird College (other partners in discussion)", NULL},
	{48, 0, "IBM", "IBM"},
	{48, 1, "private sector", "PRIVATE"},
	{48, 2, "HEIs", NULL},
	{53, 0, "CA", "CA"},
	{53, 1, "LEP/Growth Platform", NULL},
	{53, 4, "LJMU", "LJMU"},
	{56, 0, "LEP/Growth Platform", NULL},
	{56, 1, "SMEs", NULL},
	{56, 3, "anchor institutions", NULL},
	{63, 0, "Schools", NULL},
	{68, 0, "Hugh Baird College in first year", NULL},
	{68, 1, "private sector", "PRIVATE"},
	{71, 0, "Local Authorities", "LAS"},
	{71, 2, "FE", NULL},
	{71, 4, "community/voluntary sector", NULL},
	{74, 0, "Local Authorities", "LAS"},
	{74, 1, "HEIs", NULL},
	{74, 3, "private sector", "PRIVATE"},
	{77, 0, "Health Trusts", NULL},
	{77, 1, "CA", "CA"},
	{77, 2, "LAs", "LAS"},
	{78, 0, "VOLA Consortium Call in progress \xe2\x80\x93 successful bidder to be selected", NULL},
	{80, 0, "Local Authorities", "LAS"},
	{80, 4, "community/voluntary sector", NULL},
	{19, 0, "UoL", "UoL"},
	{19, 1, "LJMU", "LJMU"},
	{19, 2, "NHS", "NHS"},
	{39, 0, "CA", "CA"},
	{39, 3, "national bodies", NULL},
	{64, 0, "Employers", NULL},
	{64, 1, "D&C Board", NULL},
	{65, 0, "FE Colleges", NULL},
	{65, 2, "sub-contractors", NULL},
	{8, 0, "Datacentre Operator", NULL},
	{8, 1, "Investment partners", NULL},
	{79, 0, "FE Colleges", NULL},
};

static const struct {
	int ref;
	enum cost_status cost_status;
	bool has_min, has_max, approximate;
	int64_t min, max;
	const char *funding;
	enum stage stage;
	const char *note;
} test_detailed_costs[] = {
	{1, COST_STATUS_KNOWN, true, true, true, 3000000000, 3000000000, "CA, private sector", STAGE_LIVE, ""},
	{5, COST_STATUS_KNOWN, true, true, false, 720000000, 720000000, "DCMS, LCC, NHS", STAGE_LIVE, ""},
	{22, COST_STATUS_KNOWN, true, true, false, 975000000, 975000000, "tbd", STAGE_ADVANCED_DEVELOPMENT, ""},
	{23, COST_STATUS_KNOWN, true, true, false, 2310000000, 2310000000, "tbd", STAGE_EARLY_DEVELOPMENT, ""},
	{32, COST_STATUS_KNOWN, true, true, false, 2470000000, 2470000000, "EZ, private, SIF",
	 STAGE_ADVANCED_DEVELOPMENT, ""},
	{33, COST_STATUS_KNOWN, true, true, false, 380000000, 380000000, "SIF, LJMU", STAGE_ADVANCED_DEVELOPMENT,
	 "Build to start mid-2021 and be completed by May 2023. Academic delivery onsite September 2023"},
	{48, COST_STATUS_UNKNOWN, false, false, false, 0, 0, "tbd", STAGE_EARLY_DEVELOPMENT, ""},
	{53, COST_STATUS_KNOWN, true, true, false, 1730000000, 1730000000, "SIF, MTC", STAGE_LIVE, ""},
	{56, COST_STATUS_KNOWN, true, true, false, 2300000000, 2300000000, "CA, private sector", STAGE_LIVE,
	 "advanced development"},
	{63, COST_STATUS_NOT_APPLICABLE, false, false, false, 0, 0, "n/a/", STAGE_LIVE, "annual"},
	{68, COST_STATUS_KNOWN, true, true, false, 60000000, 60000000, "ESFA - Early Adopter Fund",
	 STAGE_ADVANCED_DEVELOPMENT, "From September 2021"},
	{71, COST_STATUS_UNKNOWN, false, false, false, 0, 0, "tbd", STAGE_EARLY_DEVELOPMENT, ""},
	{74, COST_STATUS_UNKNOWN, false, false, false, 0, 0, "tbd", STAGE_EARLY_DEVELOPMENT, ""},
	{77, COST_STATUS_NOT_APPLICABLE, false, false, false, 0, 0, "-", STAGE_EARLY_DEVELOPMENT, ""},
	{78, COST_STATUS_KNOWN, true, true, false, 5500000, 13000000, "LCR Cares 100% ESF (no match requirement)",
	 STAGE_LIVE, ""},
	{80, COST_STATUS_UNKNOWN, false, false, false, 0, 0, "tbd", STAGE_EARLY_DEVELOPMENT, ""},
	{19, COST_STATUS_KNOWN, true, true, false, 530000000, 530000000, "SIF", STAGE_LIVE, ""},
	{39, COST_STATUS_UNKNOWN, false, false, false, 0, 0, "SIF/ ERDF", STAGE_CONCEPT, ""},
	{64, COST_STATUS_KNOWN, true, true, false, 100000000, 100000000,
	 "LCRCA grant funded by DfE Digital Bootcamp funding", STAGE_LIVE,
	 "pilot runs from September 2020 \xe2\x80\x93 March 2021"},
	{65, COST_STATUS_KNOWN, true, false, false, 120000000, 0, "LCRCA AEB", STAGE_LIVE, ""},
	{8, COST_STATUS_KNOWN, true, true, true, 8500000000, 8500000000, "Private sector", STAGE_ADVANCED_DEVELOPMENT,
	 ""},
	{79, COST_STATUS_KNOWN, true, true, false, 92000000, 92000000, "LCRCA AEB", STAGE_LIVE, ""},
};

#define TEST_COUNT(table) (sizeof(table) / sizeof(table[0]))

static void test_plan_projects_text(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	for (size_t i = 0; i < TEST_COUNT(test_detailed_text); i++) {
		const __typeof__(test_detailed_text[0]) *w = &test_detailed_text[i];
		const struct plan_project *r = test_project(p, w->ref);
		assert_int_equal(r->line, w->line);
		assert_int_equal(r->theme, w->theme);
		assert_string_equal(r->objective, w->objective);
		assert_string_equal(r->title, w->title);
		assert_int_equal(r->capital, w->capital);
		assert_ptr_equal(strstr(r->description, w->description_start), r->description);
		if (w->description_end != NULL) {
			size_t dl = strlen(r->description), el = strlen(w->description_end);
			assert_true(dl >= el);
			assert_string_equal(r->description + dl - el, w->description_end);
		}
	}
}

static void test_plan_projects_leads_and_partners(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	for (size_t i = 0; i < TEST_COUNT(test_detailed_leads); i++) {
		const __typeof__(test_detailed_leads[0]) *w = &test_detailed_leads[i];
		const struct plan_project *r = test_project(p, w->ref);
		test_assert_list(r->lead_orgs, r->n_lead_orgs, w->lead_orgs);
		test_assert_list(r->lead_people, r->n_lead_people, w->lead_people);
		assert_int_equal(r->n_partners, w->n_partners);
	}
	for (size_t i = 0; i < TEST_COUNT(test_detailed_partners); i++) {
		const __typeof__(test_detailed_partners[0]) *w = &test_detailed_partners[i];
		const struct plan_project *r = test_project(p, w->ref);
		assert_true(w->index < r->n_partners);
		assert_string_equal(r->partners[w->index].name, w->name);
		if (w->code == NULL)
			assert_null(r->partners[w->index].org_code);
		else
			assert_string_equal(r->partners[w->index].org_code, w->code);
	}
}

static void test_plan_projects_cost_and_stage(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	for (size_t i = 0; i < TEST_COUNT(test_detailed_costs); i++) {
		const __typeof__(test_detailed_costs[0]) *w = &test_detailed_costs[i];
		const struct plan_project *r = test_project(p, w->ref);
		assert_int_equal(r->cost.status, w->cost_status);
		assert_int_equal(r->cost.has_min, w->has_min);
		assert_int_equal(r->cost.has_max, w->has_max);
		assert_int_equal(r->cost.approximate, w->approximate);
		if (w->has_min)
			assert_int_equal(r->cost.min_pence, w->min);
		if (w->has_max)
			assert_int_equal(r->cost.max_pence, w->max);
		assert_string_equal(r->funding, w->funding);
		assert_int_equal(r->stage, w->stage);
		assert_string_equal(r->stage_note, w->note);
	}
}

/* The four tables name the same projects, in the same order. */
static void test_plan_projects_tables_agree(void **state)
{
	(void)state;
	assert_int_equal(TEST_COUNT(test_detailed_leads), TEST_COUNT(test_detailed_text));
	assert_int_equal(TEST_COUNT(test_detailed_costs), TEST_COUNT(test_detailed_text));
	for (size_t i = 0; i < TEST_COUNT(test_detailed_text); i++) {
		assert_int_equal(test_detailed_leads[i].ref, test_detailed_text[i].ref);
		assert_int_equal(test_detailed_costs[i].ref, test_detailed_text[i].ref);
	}
	for (size_t i = 0; i < TEST_COUNT(test_detailed_partners); i++) {
		size_t j = 0;
		while (j < TEST_COUNT(test_detailed_leads) &&
		       test_detailed_leads[j].ref != test_detailed_partners[i].ref)
			j++;
		assert_true(j < TEST_COUNT(test_detailed_leads));
	}
}

/* ---- the real document: organisations, people and warnings ---- */

/* The organisations the document names, sorted by code. */
static const struct {
	const char *code;
	enum org_kind kind;
	const char *name;
} test_orgs[] = {
	{"ALDERHEY", ORG_KIND_NHS, "Alder Hey NHS Foundation Trust"},
	{"ATOS", ORG_KIND_COMPANY, "Atos"},
	{"BIMA", ORG_KIND_OTHER, "BIMA Liverpool"},
	{"CA", ORG_KIND_COMBINED_AUTHORITY, "Liverpool City Region Combined Authority"},
	{"DATAPLEX", ORG_KIND_COMPANY, "Dataplex Ireland"},
	{"EFC", ORG_KIND_COMPANY, "Everton FC"},
	{"EITC", ORG_KIND_OTHER, "Everton in the Community"},
	{"GP", ORG_KIND_PARTNERSHIP, "Growth Platform"},
	{"HALTON", ORG_KIND_LOCAL_AUTHORITY, "Halton Borough Council"},
	{"IBM", ORG_KIND_COMPANY, "IBM"},
	{"LAS", ORG_KIND_PARTNERSHIP, "Local Authorities"},
	{"LCC", ORG_KIND_LOCAL_AUTHORITY, "Liverpool City Council"},
	{"LEP", ORG_KIND_PARTNERSHIP, "Liverpool City Region Local Enterprise Partnership"},
	{"LHP", ORG_KIND_PARTNERSHIP, "Liverpool Health Partners"},
	{"LJMU", ORG_KIND_UNIVERSITY, "Liverpool John Moores University"},
	{"LSTM", ORG_KIND_UNIVERSITY, "Liverpool School of Tropical Medicine"},
	{"MIAA", ORG_KIND_NHS, "Mersey Internal Audit Agency"},
	{"MIF", ORG_KIND_UNIVERSITY, "Materials Innovation Factory"},
	{"MTC", ORG_KIND_COMPANY, "Manufacturing Technology Centre"},
	{"NHS", ORG_KIND_NHS, "NHS"},
	{"PEEL", ORG_KIND_COMPANY, "Peel Ports"},
	{"PRIVATE", ORG_KIND_OTHER, "Private sector"},
	{"SCITECH", ORG_KIND_PARTNERSHIP, "Sci-Tech Daresbury JV"},
	{"SEFTON", ORG_KIND_LOCAL_AUTHORITY, "Sefton Council"},
	{"STFC", ORG_KIND_OTHER, "Science and Technology Facilities Council"},
	{"UoL", ORG_KIND_UNIVERSITY, "University of Liverpool"},
};

/* Every lead resolves into the names file: exactly these codes, and nothing invented. */
static const char *const test_lead_codes[] = {"CA",   "LCC",      "SEFTON", "LAS", "UoL",  "LJMU", "LSTM",    "MIF",
					      "STFC", "ALDERHEY", "MIAA",   "NHS", "LHP",  "GP",   "SCITECH", "EFC",
					      "EITC", "DATAPLEX", "PEEL",   "MTC", "ATOS", "BIMA", "PRIVATE"};

static void test_plan_orgs_and_people(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	assert_int_equal(p->n_orgs, sizeof(test_orgs) / sizeof(test_orgs[0]));
	for (size_t i = 0; i < p->n_orgs; i++) {
		assert_string_equal(p->orgs[i].code, test_orgs[i].code);
		assert_int_equal(p->orgs[i].kind, test_orgs[i].kind);
		assert_string_equal(p->orgs[i].name, test_orgs[i].name);
		if (i > 0)
			assert_true(strcmp(p->orgs[i - 1].code, p->orgs[i].code) < 0);
	}

	test_assert_list(
		p->people, p->n_people,
		"Alan Cross,Alison Gallagher,Alison Kennedy,Amanda Lamb,Andy Levers,Ann Williams,Ben Heywood,"
		"Charlie Whitford,Claire Liddy,Eddie Kilbane,Gary Evans,Helen Cross,Iain Buchan,Iain Hennessey,"
		"Iain Steele,James Bedford,Janet Hemingway,Jen Mason,Joe Yates,John Leake,Kamal Choudhary,"
		"Katie Atkinson,Lorna Rogers,Mark Dickens,Mark Knowles,Martin Carey,Matt Reed,Olly Martins,"
		"Paul Amann,Rachel McLean,Richard Kenyon,Rob Tabb,Robin Kemp,Simon Reid,Stephen Carr,"
		"Steve Hearty,Tim Jago");

	/* every lead resolves into the names file: exactly these codes, and nothing invented */
	bool seen[sizeof(test_lead_codes) / sizeof(test_lead_codes[0])] = {false};
	for (size_t i = 0; i < p->n_projects; i++) {
		const struct plan_project *r = &p->projects[i];
		assert_true(r->n_lead_orgs >= 1);
		for (size_t j = 0; j < r->n_lead_orgs; j++) {
			size_t k;
			for (k = 0; k < sizeof(test_lead_codes) / sizeof(test_lead_codes[0]); k++)
				if (strcmp(r->lead_orgs[j], test_lead_codes[k]) == 0)
					break;
			if (k == sizeof(test_lead_codes) / sizeof(test_lead_codes[0]))
				fail_msg("project %d lead organisation %s is not an expected code", r->ref,
					 r->lead_orgs[j]);
			seen[k] = true;
		}
	}
	for (size_t k = 0; k < sizeof(test_lead_codes) / sizeof(test_lead_codes[0]); k++)
		if (!seen[k])
			fail_msg("no lead resolved to %s", test_lead_codes[k]);
	assert_int_equal(test_count_warnings(p, "not in the names file"), 0);
}

/* Every warning the real document produces, in order: any new or lost interpretation fails here. */
static const struct {
	int line, ref;
	const char *text;
} test_warnings[] = {
	{17, 5, "'Liverpool City Council (LCC)' read as organisation LCC"},
	{61, 23, "'Alder Hey NHS Foundation Trust.' read as organisation ALDERHEY"},
	{96, 39, "remark '(& other sector leads)' after lead person 'Helen Cross' left out of the name"},
	{115, 46, "'STFC Hartree Centre' read as organisation STFC"},
	{116, 47, "'STFC Hartree Centre' read as organisation STFC"},
	{138, 53, "cost \"£ 14.95M + £ 2.35M\" read as the sum £17,300,000"},
	{141, 56, "'LCR CA' read as organisation CA"},
	{141, 56, "cost \"£3m + £20M\" read as the sum £23,000,000"},
	{141, 56, "status \"Live + advanced development\" read as stage live; \"advanced development\" kept as a note"},
	{166, 65, "cost \"Over £1.2m\" read as at least £1,200,000"},
	{180, 68, "the trailing qualifier \"for cohort of 20 in first year\" is kept only in the text"},
	{181, 69, "'Alder Hey' read as organisation ALDERHEY"},
	{186, 0, "printed as 5.1 under theme 6; read as 6.1"},
	{198, 0, "printed as 5.2 under theme 6; read as 6.2"},
	{199, 74, "'Ollly Martins' read as person Olly Martins"},
	{200, 75, "'Ollly Martins' read as person Olly Martins"},
	{201, 76, "'Ollly Martins' read as person Olly Martins"},
	{203, 0, "printed as 5.3 under theme 6; read as 6.3"},
	{204, 78, "'Ollly Martins' read as person Olly Martins"},
	{204, 78, "cost \"£55,000 Up to £130k\" read as a range from £55,000 to £130,000"},
	{206, 80, "'Ollly Martins' read as person Olly Martins"},
	/* page furniture, counted once per kind at the end */
	{0, 0, "passed over 73 blank lines, the first on line 1"},
	{0, 0, "passed over 11 repeats of the title line (page headers), the first on line 21"},
	{0, 0, "passed over 12 legend lines explaining \"#\" (capital funding), the first on line 7"},
	{0, 0, "passed over 2 rows of dashes, the first on line 153"},
};

static void test_plan_warnings(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	size_t n = sizeof(test_warnings) / sizeof(test_warnings[0]);
	if (p->n_warnings != n) {
		for (size_t i = 0; i < p->n_warnings; i++)
			fprintf(stderr, "  warning line %d ref %d: %s\n", p->warnings[i].line, p->warnings[i].ref,
				p->warnings[i].message);
		fail_msg("%zu warnings, expected %zu", p->n_warnings, n);
	}
	for (size_t i = 0; i < n; i++) {
		const struct plan_warning *w = &p->warnings[i];
		assert_int_equal(w->line, test_warnings[i].line);
		assert_int_equal(w->ref, test_warnings[i].ref);
		if (strstr(w->message, test_warnings[i].text) == NULL)
			fail_msg("warning %zu is \"%s\", expected it to contain \"%s\"", i, w->message,
				 test_warnings[i].text);
	}
	/* the alias warning names the canonical body as well */
	test_assert_warning(p, 141, 56, "(Liverpool City Region Combined Authority)");
}

/* Every alias of data/names.tsv that the document uses, looked up directly. */
static void test_plan_names_aliases_in_document(void **state)
{
	struct test_fixture *fx = *state;
	static const struct {
		const char *alias, *code;
	} orgs[] = {
		{"Liverpool City Council (LCC)", "LCC"},
		{"Alder Hey NHS Foundation Trust.", "ALDERHEY"},
		{"STFC Hartree Centre", "STFC"},
		{"LCR CA", "CA"},
		{"Alder Hey", "ALDERHEY"},
		{"Halton MBC", "HALTON"},
		{"LCR LEP", "LEP"},
	};
	for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++) {
		assert_non_null(strstr(fx->doc, orgs[i].alias));
		bool via_alias = false;
		const struct plan_names_org *o = plan_names_resolve_org(&fx->names, orgs[i].alias, &via_alias);
		assert_non_null(o);
		assert_string_equal(o->code, orgs[i].code);
		assert_true(via_alias);
	}
	/* "LAs" is listed as an alias, but codes compare case-insensitively, so it reads as the code LAS */
	bool via_alias = true;
	const struct plan_names_org *o = plan_names_resolve_org(&fx->names, "LAs", &via_alias);
	assert_non_null(o);
	assert_string_equal(o->code, "LAS");
	assert_false(via_alias);

	assert_non_null(strstr(fx->doc, "Ollly Martins"));
	assert_string_equal(plan_names_resolve_person(&fx->names, "Ollly Martins"), "Olly Martins");
	assert_string_equal(plan_names_resolve_person(&fx->names, "  ollly   MARTINS "), "Olly Martins");
	assert_null(plan_names_resolve_person(&fx->names, "Olly Martins"));
}

static void test_plan_names_lookup(void **state)
{
	const struct plan_names *n = &((struct test_fixture *)*state)->names;
	bool via_alias = true;
	const struct plan_names_org *o = plan_names_resolve_org(n, "  liverpool   CITY council ", &via_alias);
	assert_non_null(o);
	assert_string_equal(o->code, "LCC");
	assert_false(via_alias);
	o = plan_names_resolve_org(n, "uol", &via_alias);
	assert_non_null(o);
	assert_string_equal(o->code, "UoL");
	assert_false(via_alias);
	o = plan_names_resolve_org(n, "Everton\tFootball  Club", &via_alias);
	assert_non_null(o);
	assert_string_equal(o->code, "EFC");
	assert_true(via_alias);
	assert_null(plan_names_resolve_org(n, "BluWireless", &via_alias));
	assert_null(plan_names_resolve_org(n, "", NULL));
	assert_null(plan_names_resolve_org(n, "LCR", NULL));
	assert_null(plan_names_resolve_org(n, "LCR CA Ltd", NULL));
	o = plan_names_org_by_code(n, "sefton");
	assert_non_null(o);
	assert_string_equal(o->name, "Sefton Council");
	assert_int_equal(o->kind, ORG_KIND_LOCAL_AUTHORITY);
	assert_null(plan_names_org_by_code(n, "Sefton Council"));
	assert_int_equal(n->n_orgs, 26);
	assert_int_equal(n->n_org_aliases, 14);
	assert_int_equal(n->n_person_aliases, 1);
}

/* ---- cost cells ---- */

static const struct {
	const char *text;
	enum cost_status status;
	bool has_min, has_max, approximate;
	int64_t min, max;
	const char *warning; /* a part of the warning, or NULL when none is expected */
} test_costs[] = {
	/* every spelling in the document */
	{"Circa £30M", COST_STATUS_KNOWN, true, true, true, 3000000000, 3000000000, NULL},
	{"circa £85M", COST_STATUS_KNOWN, true, true, true, 8500000000, 8500000000, NULL},
	{"£ 14.95M + £ 2.35M", COST_STATUS_KNOWN, true, true, false, 1730000000, 1730000000,
	 "cost \"£ 14.95M + £ 2.35M\" read as the sum £17,300,000"},
	{"£3m + £20M", COST_STATUS_KNOWN, true, true, false, 2300000000, 2300000000,
	 "cost \"£3m + £20M\" read as the sum £23,000,000"},
	{"Over £1.2m", COST_STATUS_KNOWN, true, false, false, 120000000, 0,
	 "cost \"Over £1.2m\" read as at least £1,200,000, with no upper figure"},
	{"£55,000 Up to £130k", COST_STATUS_KNOWN, true, true, false, 5500000, 13000000,
	 "cost \"£55,000 Up to £130k\" read as a range from £55,000 to £130,000"},
	{"£600k for cohort of 20 in first year", COST_STATUS_KNOWN, true, true, false, 60000000, 60000000,
	 "cost \"£600k for cohort of 20 in first year\" read as £600,000; the trailing qualifier \"for cohort of 20 in "
	 "first year\" is kept only in the text"},
	{"£25K", COST_STATUS_KNOWN, true, true, false, 2500000, 2500000, NULL},
	{"£0.92M", COST_STATUS_KNOWN, true, true, false, 92000000, 92000000, NULL},
	{"£2.16M", COST_STATUS_KNOWN, true, true, false, 216000000, 216000000, NULL},
	{"£1.2M", COST_STATUS_KNOWN, true, true, false, 120000000, 120000000, NULL},
	{"£3.5m", COST_STATUS_KNOWN, true, true, false, 350000000, 350000000, NULL},
	{"£113.6M", COST_STATUS_KNOWN, true, true, false, 11360000000, 11360000000, NULL},
	{"£7.2M", COST_STATUS_KNOWN, true, true, false, 720000000, 720000000, NULL},
	{"£5.3M", COST_STATUS_KNOWN, true, true, false, 530000000, 530000000, NULL},
	{"£9.75m", COST_STATUS_KNOWN, true, true, false, 975000000, 975000000, NULL},
	{"£23.1m", COST_STATUS_KNOWN, true, true, false, 2310000000, 2310000000, NULL},
	{"£25M", COST_STATUS_KNOWN, true, true, false, 2500000000, 2500000000, NULL},
	{"£4M", COST_STATUS_KNOWN, true, true, false, 400000000, 400000000, NULL},
	{"£1M", COST_STATUS_KNOWN, true, true, false, 100000000, 100000000, NULL},
	{"£1m", COST_STATUS_KNOWN, true, true, false, 100000000, 100000000, NULL},
	{"£24.7M", COST_STATUS_KNOWN, true, true, false, 2470000000, 2470000000, NULL},
	{"£3.8M", COST_STATUS_KNOWN, true, true, false, 380000000, 380000000, NULL},
	{"£14M", COST_STATUS_KNOWN, true, true, false, 1400000000, 1400000000, NULL},
	{"£19.8M", COST_STATUS_KNOWN, true, true, false, 1980000000, 1980000000, NULL},
	{"£2.6M", COST_STATUS_KNOWN, true, true, false, 260000000, 260000000, NULL},
	{"£170M", COST_STATUS_KNOWN, true, true, false, 17000000000, 17000000000, NULL},
	{"£30M", COST_STATUS_KNOWN, true, true, false, 3000000000, 3000000000, NULL},
	{"£23.3M", COST_STATUS_KNOWN, true, true, false, 2330000000, 2330000000, NULL},
	{"£24m", COST_STATUS_KNOWN, true, true, false, 2400000000, 2400000000, NULL},
	{"£3.9M", COST_STATUS_KNOWN, true, true, false, 390000000, 390000000, NULL},
	{"£5.1M", COST_STATUS_KNOWN, true, true, false, 510000000, 510000000, NULL},
	{"£12.7M", COST_STATUS_KNOWN, true, true, false, 1270000000, 1270000000, NULL},
	{"£3M", COST_STATUS_KNOWN, true, true, false, 300000000, 300000000, NULL},
	{"£3.6m", COST_STATUS_KNOWN, true, true, false, 360000000, 360000000, NULL},
	{"tbd", COST_STATUS_UNKNOWN, false, false, false, 0, 0, NULL},
	{"n/a", COST_STATUS_NOT_APPLICABLE, false, false, false, 0, 0, NULL},
	{"-", COST_STATUS_NOT_APPLICABLE, false, false, false, 0, 0, NULL},
	/* other spellings */
	{"TBD", COST_STATUS_UNKNOWN, false, false, false, 0, 0, NULL},
	{"Tbd", COST_STATUS_UNKNOWN, false, false, false, 0, 0, NULL},
	{"N/A", COST_STATUS_NOT_APPLICABLE, false, false, false, 0, 0, NULL},
	{"Up to £1m", COST_STATUS_KNOWN, false, true, false, 0, 100000000, "read as at most £1,000,000"},
	{"£25k-£75k", COST_STATUS_KNOWN, true, true, false, 2500000, 7500000,
	 "read as a range from £25,000 to £75,000"},
	{"Circa £1.5M + £0.5M", COST_STATUS_KNOWN, true, true, true, 200000000, 200000000,
	 "read as the sum £2,000,000"},
	{"nonsense", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost \"nonsense\" is not an amount"},
	{"£", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost kept as text"},
	{"1,20", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost kept as text"},
	{"£3m +", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost kept as text"},
	{"£3m + tbd", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost kept as text"},
	{"Over", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost kept as text"},
	{"", COST_STATUS_UNKNOWN, false, false, false, 0, 0, "cost column is empty"},
};

static void test_plan_cost_spellings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(test_costs) / sizeof(test_costs[0]); i++) {
		struct plan_cost c;
		char *warning = (char *)"unset";
		plan_parse_cost(test_costs[i].text, &c, &warning);
		assert_string_equal(c.text, test_costs[i].text);
		if (c.status != test_costs[i].status || c.has_min != test_costs[i].has_min ||
		    c.has_max != test_costs[i].has_max || c.approximate != test_costs[i].approximate)
			fail_msg("cost \"%s\": status %d min? %d max? %d approx %d", test_costs[i].text, c.status,
				 c.has_min, c.has_max, c.approximate);
		if (c.has_min)
			assert_int_equal(c.min_pence, test_costs[i].min);
		if (c.has_max)
			assert_int_equal(c.max_pence, test_costs[i].max);
		if (test_costs[i].warning == NULL) {
			if (warning != NULL)
				fail_msg("cost \"%s\": unexpected warning \"%s\"", test_costs[i].text, warning);
		} else {
			assert_non_null(warning);
			if (strstr(warning, test_costs[i].warning) == NULL)
				fail_msg("cost \"%s\": warning \"%s\" lacks \"%s\"", test_costs[i].text, warning,
					 test_costs[i].warning);
		}
		free(warning);
		free(c.text);
	}

	/* the text is kept trimmed */
	struct plan_cost c;
	char *warning;
	plan_parse_cost("  £1.2M \t", &c, &warning);
	assert_string_equal(c.text, "£1.2M");
	assert_int_equal(c.min_pence, 120000000);
	assert_null(warning);
	free(c.text);
}

/* Every cost spelling of the document is one of the spellings tested above. */
static void test_plan_cost_spellings_cover_document(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	for (size_t i = 0; i < p->n_projects; i++) {
		const char *text = p->projects[i].cost.text;
		size_t j;
		for (j = 0; j < sizeof(test_costs) / sizeof(test_costs[0]); j++)
			if (strcmp(test_costs[j].text, text) == 0)
				break;
		if (j == sizeof(test_costs) / sizeof(test_costs[0]))
			fail_msg("cost spelling \"%s\" of project %d is not in test_costs", text, p->projects[i].ref);
		/* and the document's reading agrees with the cell reading */
		assert_int_equal(p->projects[i].cost.status, test_costs[j].status);
		assert_int_equal(p->projects[i].cost.min_pence, test_costs[j].min);
		assert_int_equal(p->projects[i].cost.max_pence, test_costs[j].max);
	}
}

/* ---- status cells ---- */

static const struct {
	const char *text;
	enum stage stage;
	const char *note;
	const char *warning;
} test_stages[] = {
	/* every spelling in the document */
	{"Live", STAGE_LIVE, "", NULL},
	{"Live (annual)", STAGE_LIVE, "annual", NULL},
	{"Early development", STAGE_EARLY_DEVELOPMENT, "", NULL},
	{"Concept", STAGE_CONCEPT, "", NULL},
	{"Advanced development", STAGE_ADVANCED_DEVELOPMENT, "", NULL},
	{"Advanced development (Opening Spring 2021)", STAGE_ADVANCED_DEVELOPMENT, "Opening Spring 2021", NULL},
	{"Advanced development. From September 2021", STAGE_ADVANCED_DEVELOPMENT, "From September 2021", NULL},
	{"Live + advanced development", STAGE_LIVE, "advanced development",
	 "status \"Live + advanced development\" read as stage live; \"advanced development\" kept as a note"},
	{"Live (pilot runs from September 2020 \xe2\x80\x93 March 2021)", STAGE_LIVE,
	 "pilot runs from September 2020 \xe2\x80\x93 March 2021", NULL},
	{"Live (Up to December 2022)", STAGE_LIVE, "Up to December 2022", NULL},
	{"Advanced development (Build to start mid-2021 and be completed by May 2023. Academic delivery onsite "
	 "September "
	 "2023)",
	 STAGE_ADVANCED_DEVELOPMENT,
	 "Build to start mid-2021 and be completed by May 2023. Academic delivery onsite September 2023", NULL},
	{"Advanced development (intended construction April 2021; first light June 2025)", STAGE_ADVANCED_DEVELOPMENT,
	 "intended construction April 2021; first light June 2025", NULL},
	/* other spellings */
	{"Completed", STAGE_COMPLETED, "", NULL},
	{"PAUSED", STAGE_PAUSED, "", NULL},
	{"cancelled", STAGE_CANCELLED, "", NULL},
	{"early DEVELOPMENT", STAGE_EARLY_DEVELOPMENT, "", NULL},
	{"Early  development", STAGE_EARLY_DEVELOPMENT, "", NULL},
	{"  concept  ", STAGE_CONCEPT, "", NULL},
	{"Live - from 2020", STAGE_LIVE, "from 2020", NULL},
	{"Paused (funding) (review)", STAGE_PAUSED, "(funding) (review)", NULL},
};

static void test_plan_stage_spellings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(test_stages) / sizeof(test_stages[0]); i++) {
		enum stage stage = STAGE_UNSPECIFIED;
		char *note = NULL, *warning = NULL;
		if (!plan_parse_stage(test_stages[i].text, &stage, &note, &warning))
			fail_msg("status \"%s\" not read", test_stages[i].text);
		assert_int_equal(stage, test_stages[i].stage);
		assert_string_equal(note, test_stages[i].note);
		if (test_stages[i].warning == NULL)
			assert_null(warning);
		else
			assert_string_equal(warning, test_stages[i].warning);
		free(note);
		free(warning);
	}
	static const char *const bad[] = {
		"", "  ", "tbd", "Lively", "Unknown", "development", "Early", "n/a", "Earlydevelopment", "Conceptual"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum stage stage = STAGE_UNSPECIFIED;
		char *note = NULL, *warning = NULL;
		if (plan_parse_stage(bad[i], &stage, &note, &warning))
			fail_msg("status \"%s\" read as %s", bad[i], values_stage_name(stage));
		assert_null(note);
		assert_null(warning);
	}
}

static void test_plan_stage_spellings_cover_document(void **state)
{
	const struct plan *p = &((struct test_fixture *)*state)->plan;
	for (size_t i = 0; i < p->n_projects; i++) {
		const struct plan_project *r = &p->projects[i];
		size_t j;
		for (j = 0; j < sizeof(test_stages) / sizeof(test_stages[0]); j++)
			if (strcmp(test_stages[j].text, r->stage_text) == 0)
				break;
		if (j == sizeof(test_stages) / sizeof(test_stages[0]))
			fail_msg("status spelling \"%s\" of project %d is not in test_stages", r->stage_text, r->ref);
		assert_int_equal(r->stage, test_stages[j].stage);
		assert_string_equal(r->stage_note, test_stages[j].note);
	}
}

/* ---- small documents ---- */

#define TEST_HEAD "Mini plan\nTheme 1: One\n1.1 First objective\n"

static void test_parse_ok(const struct plan_names *names, const char *text, struct plan *out)
{
	struct plan_error err;
	if (!plan_parse(text, strlen(text), names, out, &err))
		fail_msg("parse failed at line %d: %s", err.line, err.message);
}

static char *test_lead_doc(const char *const *leads, size_t n)
{
	char *doc = xstrdup(TEST_HEAD);
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%zu. Project %zu\tDescription\t%s\t-\ttbd\ttbd\tConcept\n", doc, i + 1, i + 1,
				       leads[i]);
		free(doc);
		doc = next;
	}
	return doc;
}

/* Lead cells: the organisations and people read from each, and a part of the warning (NULL: none). */
static const struct {
	const char *lead, *orgs, *people;
	const char *warning; /* NULL when none */
} test_lead_cases[] = {
	{"CA \xe2\x80\x93 Lorna Rogers", "CA", "Lorna Rogers", NULL},
	{"CA - tbd", "CA", "", NULL},
	{"CA -Ollly Martins", "CA", "Olly Martins", "'Ollly Martins' read as person Olly Martins"},
	{"Alder Hey NHS Foundation Trust.- Claire Liddy", "ALDERHEY", "Claire Liddy",
	 "'Alder Hey NHS Foundation Trust.' read as organisation ALDERHEY"},
	{"Alder Hey NHS Foundation Trust - Claire Liddy", "ALDERHEY", "Claire Liddy", NULL},
	{"Sci-Tech Daresbury JV - John Leake", "SCITECH", "John Leake", NULL},
	{"STFC & Atos", "STFC,ATOS", "", NULL},
	{"MIAA/NHS - Jen Mason", "MIAA,NHS", "Jen Mason", NULL},
	{"LJMU - Joe Yates/ Rachel McLean", "LJMU", "Joe Yates,Rachel McLean", NULL},
	{"CA \xe2\x80\x93 Paul Amann / Steve Hearty", "CA", "Paul Amann,Steve Hearty", NULL},
	{"CA \xe2\x80\x93 Ollly Martins & Paul Amann", "CA", "Olly Martins,Paul Amann",
	 "'Ollly Martins' read as person Olly Martins"},
	{"Sefton Council - tbd", "SEFTON", "", NULL},
	{"Growth Platform - Helen Cross (& other sector leads)", "GP", "Helen Cross",
	 "remark '(& other sector leads)' after lead person 'Helen Cross' left out of the name"},
	{"Local Authorities", "LAS", "", NULL},
	{"Private sector", "PRIVATE", "", NULL},
	{"BIMA Liverpool", "BIMA", "", NULL},
	{"LCR CA \xe2\x80\x93 Ben Heywood", "CA", "Ben Heywood", "'LCR CA' read as organisation CA"},
	{"STFC Hartree Centre \xe2\x80\x93 Alison Kennedy", "STFC", "Alison Kennedy",
	 "'STFC Hartree Centre' read as organisation STFC"},
	{"Liverpool City Council (LCC) \xe2\x80\x93 Ann Williams", "LCC", "Ann Williams",
	 "'Liverpool City Council (LCC)' read as organisation LCC"},
	{"Alder Hey \xe2\x80\x93 Iain Hennessey", "ALDERHEY", "Iain Hennessey",
	 "'Alder Hey' read as organisation ALDERHEY"},
	{"Widget Works Ltd \xe2\x80\x93 Sam Smith", "WIDGETWORKSLTD", "Sam Smith",
	 "organisation 'Widget Works Ltd' is not in the names file; recorded as WIDGETWORKSLTD (kind other)"},
	{"C.A. & CA \xe2\x80\x93 Bob", "CA2,CA", "Bob",
	 "organisation 'C.A.' is not in the names file; recorded as CA2"},
	{"A Very Long Organisation Name Indeed - X", "AVERYLONGORGANIS", "X", "not in the names file"},
	{"UoL/UoL \xe2\x80\x93 A & A", "UoL", "A", NULL},
	{"CA \xe2\x80\x93 Paul Amann (interim)", "CA", "Paul Amann",
	 "remark '(interim)' after lead person 'Paul Amann'"},
	{"Everton FC \xe2\x80\x93 Martin Carey & tbd", "EFC", "Martin Carey", NULL},
	{"UoL - Andy Levers", "UoL", "Andy Levers", NULL},
	{"Widget Works Ltd", "WIDGETWORKSLTD", "", "organisation 'Widget Works Ltd' is not in the names file"},
};

static void test_plan_lead_splitting(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	size_t n = sizeof(test_lead_cases) / sizeof(test_lead_cases[0]);
	const char *leads[sizeof(test_lead_cases) / sizeof(test_lead_cases[0])];
	for (size_t i = 0; i < n; i++)
		leads[i] = test_lead_cases[i].lead;
	char *doc = test_lead_doc(leads, n);
	struct plan p;
	test_parse_ok(names, doc, &p);
	free(doc);
	assert_int_equal(p.n_projects, n);
	for (size_t i = 0; i < n; i++) {
		const struct plan_project *r = &p.projects[i];
		assert_string_equal(r->lead_text, test_lead_cases[i].lead);
		test_assert_list(r->lead_orgs, r->n_lead_orgs, test_lead_cases[i].orgs);
		test_assert_list(r->lead_people, r->n_lead_people, test_lead_cases[i].people);
		size_t n_warnings = 0;
		for (size_t j = 0; j < p.n_warnings; j++)
			if (p.warnings[j].ref == r->ref)
				n_warnings++;
		if (test_lead_cases[i].warning == NULL) {
			if (n_warnings != 0)
				fail_msg("lead \"%s\" gave %zu warnings", test_lead_cases[i].lead, n_warnings);
		} else {
			assert_int_equal(n_warnings, 1);
			test_assert_warning(&p, r->line, r->ref, test_lead_cases[i].warning);
		}
	}
	/* organisations not in the names file are added with kind other under the name as written */
	bool found_widget = false, found_ca2 = false;
	for (size_t i = 0; i < p.n_orgs; i++) {
		if (strcmp(p.orgs[i].code, "WIDGETWORKSLTD") == 0) {
			found_widget = true;
			assert_string_equal(p.orgs[i].name, "Widget Works Ltd");
			assert_int_equal(p.orgs[i].kind, ORG_KIND_OTHER);
		}
		if (strcmp(p.orgs[i].code, "CA2") == 0) {
			found_ca2 = true;
			assert_string_equal(p.orgs[i].name, "C.A.");
		}
		if (i > 0)
			assert_true(strcmp(p.orgs[i - 1].code, p.orgs[i].code) < 0);
	}
	assert_true(found_widget);
	assert_true(found_ca2);
	plan_free(&p);
}

/* Partner cells: each partner read, as name=CODE or name, joined with |. */
static const struct {
	const char *partners;
	const char *names; /* name=CODE or name, joined with | */
} test_partner_cases[] = {
	{"UKRI (STFC, NERC, BBSRC, EPSRC, Innovate UK), NSC", "UKRI (STFC, NERC, BBSRC, EPSRC, Innovate UK)|NSC"},
	{"national bodies, private sector, CA, anchor institutions,",
	 "national bodies|private sector=PRIVATE|CA=CA|anchor institutions"},
	{"Twickenham Studios, Hugh Baird College (other partners in discussion).",
	 "Twickenham Studios|Hugh Baird College (other partners in discussion)"},
	{"-", ""},
	{"UoL, LJMU, CA, NHS, Local Authorities, private sector, Liverpool City Council, LCR CA",
	 "UoL=UoL|LJMU=LJMU|CA=CA|NHS=NHS|Local Authorities=LAS|private sector=PRIVATE|Liverpool City "
	 "Council=LCC|LCR CA=CA"},
	{" , ,A,, ", "A"},
	{"Widget Works Ltd, Acme Ltd.", "Widget Works Ltd|Acme Ltd"},
	{"VOLA Consortium Call in progress \xe2\x80\x93 successful bidder to be selected.",
	 "VOLA Consortium Call in progress \xe2\x80\x93 successful bidder to be selected"},
	{"Halton MBC, LCR LEP, LAs, Private Sector", "Halton MBC=HALTON|LCR LEP=LEP|LAs=LAS|Private Sector=PRIVATE"},
};

static void test_plan_partner_splitting(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	size_t n = sizeof(test_partner_cases) / sizeof(test_partner_cases[0]);
	char *doc = xstrdup(TEST_HEAD);
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%zu. Project\tDescription\tCA\t%s\ttbd\ttbd\tLive\n", doc, i + 1,
				       test_partner_cases[i].partners);
		free(doc);
		doc = next;
	}
	struct plan p;
	test_parse_ok(names, doc, &p);
	free(doc);
	assert_int_equal(p.n_projects, n);
	/* unresolved partners are not worth a warning; the document's lack of headings is */
	assert_int_equal(p.n_warnings, 1);
	test_assert_warning(&p, 0, 0,
			    "the document has no row of column headings; its columns are read in the "
			    "published order (title, description, lead, partners, total cost, funding, status)");
	for (size_t i = 0; i < n; i++) {
		const struct plan_project *r = &p.projects[i];
		char *got = xstrdup("");
		for (size_t j = 0; j < r->n_partners; j++) {
			const struct plan_partner *pt = &r->partners[j];
			char *next = pt->org_code != NULL
					     ? xasprintf("%s%s%s=%s", got, j ? "|" : "", pt->name, pt->org_code)
					     : xasprintf("%s%s%s", got, j ? "|" : "", pt->name);
			free(got);
			got = next;
		}
		assert_string_equal(got, test_partner_cases[i].names);
		free(got);
	}
	/* resolved partners join plan->orgs; unresolved ones do not */
	static const char *const codes[] = {"CA", "HALTON", "LAS", "LCC", "LEP", "LJMU", "NHS", "PRIVATE", "UoL"};
	assert_int_equal(p.n_orgs, sizeof(codes) / sizeof(codes[0]));
	for (size_t i = 0; i < p.n_orgs; i++)
		assert_string_equal(p.orgs[i].code, codes[i]);
	plan_free(&p);
}

static void test_plan_ref_gaps(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	const char *doc = TEST_HEAD "2. A\td\tCA\t-\ttbd\ttbd\tLive\n"
				    "3. B\td\tCA\t-\ttbd\ttbd\tLive\n"
				    "5. C\td\tCA\t-\ttbd\ttbd\tLive\n"
				    "100000. D\td\tCA\t-\ttbd\ttbd\tLive\n";
	struct plan p;
	test_parse_ok(names, doc, &p);
	assert_int_equal(p.n_projects, 4);
	assert_int_equal(p.n_warnings, 4);
	test_assert_warning(&p, 0, 0, "the document has no row of column headings");
	test_assert_warning(&p, 4, 2, "the first project is numbered 2, not 1");
	test_assert_warning(&p, 6, 5, "project 5 follows project 3; refs are not consecutive");
	test_assert_warning(&p, 7, 100000, "project 100000 follows project 5");
	assert_string_equal(p.title, "Mini plan");
	plan_free(&p);
}

/* Layout variations: CRLF line ends, a byte-order mark, trailing empty columns, lines without tabs. */
static void test_plan_layout_variants(void **state)
{
	struct test_fixture *fx = *state;

	/* the real document with CRLF line ends reads exactly the same */
	size_t lines = 0;
	for (size_t i = 0; i < fx->doc_len; i++)
		lines += fx->doc[i] == '\n';
	char *crlf = xmalloc(fx->doc_len + lines + 1);
	size_t n = 0;
	for (size_t i = 0; i < fx->doc_len; i++) {
		if (fx->doc[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = fx->doc[i];
	}
	struct plan p;
	struct plan_error err;
	assert_true(plan_parse(crlf, n, &fx->names, &p, &err));
	free(crlf);
	assert_int_equal(p.n_projects, fx->plan.n_projects);
	assert_int_equal(p.n_warnings, fx->plan.n_warnings);
	assert_string_equal(p.title, fx->plan.title);
	for (size_t i = 0; i < p.n_projects; i++) {
		char *a = test_render(&p.projects[i]), *b = test_render(&fx->plan.projects[i]);
		assert_string_equal(a, b);
		free(a);
		free(b);
		assert_string_equal(p.projects[i].stage_text, fx->plan.projects[i].stage_text);
		assert_string_equal(p.projects[i].description, fx->plan.projects[i].description);
	}
	plan_free(&p);

	const char *doc = "\xef\xbb\xbf"
			  "Title line\n"
			  "\n"
			  "# denotes that project requires capital\n"
			  "TITLE\tDESCRIPTION\tLEAD\tPARTNERS\tTOTAL COST\tFUNDING\tSTATUS\n"
			  "Theme 1: One\t\t\t\t\t\t\n"
			  "1.1 Objective\t\t\t\t\t\t\n"
			  "1. A#\td\tCA\t-\ttbd\ttbd\tLive\t\t\n"
			  "---\t---\t---\n"
			  "Title line\n"
			  "2. B  #  \td\tCA\t-\ttbd\ttbd\tLive";
	test_parse_ok(&fx->names, doc, &p);
	assert_string_equal(p.title, "Title line");
	assert_int_equal(p.n_projects, 2);
	assert_string_equal(p.projects[0].title, "A");
	assert_true(p.projects[0].capital);
	assert_string_equal(p.projects[1].title, "B");
	assert_true(p.projects[1].capital);
	assert_int_equal(p.projects[1].line, 10);
	/* the furniture, each kind counted: nothing else needed interpreting */
	assert_int_equal(p.n_warnings, 4);
	test_assert_warning(&p, 0, 0, "passed over 1 blank line, the first on line 2");
	test_assert_warning(&p, 0, 0, "passed over 1 repeat of the title line (a page header), the first on line 9");
	test_assert_warning(&p, 0, 0,
			    "passed over 1 legend line explaining \"#\" (capital funding), the first on line 3");
	test_assert_warning(&p, 0, 0, "passed over 1 row of dashes, the first on line 8");
	plan_free(&p);
}

/* ---- documents that must be refused ---- */

static void test_assert_refused(const struct plan_names *names, const char *doc, size_t len, int line,
				const char *needle)
{
	struct plan p;
	memset(&p, 0x5a, sizeof(p));
	struct plan_error err;
	if (plan_parse(doc, len, names, &p, &err)) {
		plan_free(&p);
		fail_msg("document accepted, expected an error on line %d with \"%s\"", line, needle);
	}
	if (err.line != line || strstr(err.message, needle) == NULL)
		fail_msg("error line %d \"%s\", expected line %d with \"%s\"", err.line, err.message, line, needle);
	struct plan zero;
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&p, &zero, sizeof(p));
}

#define TEST_ROW(ref)                                                                                                  \
	ref ". Project\tDescription\tCA \xe2\x80\x93 Bob\tUoL\t\xc2\xa3"                                               \
	    "1M\tSIF\tLive\n"

/* Documents that must be refused: the line the error names (0: the whole document) and a part of its message. */
static const struct {
	const char *doc;
	int line;
	const char *needle;
} test_refused[] = {
	{"", 0, "document is empty"},
	{" \n\t\r\n\n", 0, "document is empty"},
	{"Plan\n\ndenotes that project requires capital\nTITLE\tDESCRIPTION\n---\t---\n", 4,
	 "the column headings on line 4 have no lead column (a heading such as \"LEAD\" or \"Lead body\")"},
	{"Plan\n\ndenotes that project requires capital\nTITLE\tLEAD\tCOST\tSTATUS\n---\t---\n", 0,
	 "no projects found"},
	{"Plan\nTheme 1: One\n1.1 Obj\n", 0, "no projects found"},
	{TEST_HEAD "1. Project\tDescription\tCA \xe2\x80\x93 Bob\t\xff\ttbd\ttbd\tLive\n", 4,
	 "invalid UTF-8 on line 4 at byte 35"},
	{"Plan\nTheme 1: One\xc3\n", 2, "invalid UTF-8 on line 2 at byte 13"},
	{"Plan\n\xc0\xaf\n", 2, "invalid UTF-8 on line 2 at byte 1"},         /* overlong "/" */
	{"Plan\n\xed\xa0\x80\n", 2, "invalid UTF-8 on line 2 at byte 1"},     /* surrogate */
	{"Plan\n\xf4\x90\x80\x80\n", 2, "invalid UTF-8 on line 2 at byte 1"}, /* above U+10FFFF */
	{"Plan\n" TEST_ROW("1"), 2, "project 1 comes before any theme"},
	{"Plan\nTheme 1: One\n" TEST_ROW("1"), 3, "project 1 comes before any objective of theme 1"},
	{TEST_HEAD TEST_ROW("1") "Theme 2: Two\n" TEST_ROW("2"), 6, "project 2 comes before any objective of theme 2"},
	{TEST_HEAD "1. Project\tDescription\tCA\tUoL\ttbd\tLive\n", 4, "has 6 columns; 7 are expected"},
	{TEST_HEAD "1. Project with no columns\n", 4, "has 1 columns; 7 are expected"},
	{TEST_HEAD "1. Project\tDescription\tCA\tUoL\ttbd\ttbd\tLive\textra\n", 4, "has 8 columns; 7 are expected"},
	{TEST_HEAD "1. Project\tDescription\tCA\tUoL\ttbd\ttbd\tLive\t\t\textra\n", 4,
	 "has 10 columns; 7 are expected"},
	{TEST_HEAD TEST_ROW("1") TEST_ROW("2") TEST_ROW("1"), 6, "ref 1 on line 6 repeats ref 1 on line 4"},
	{TEST_HEAD TEST_ROW("0"), 4, "project ref 0 is out of range"},
	{TEST_HEAD TEST_ROW("100001"), 4, "project ref 100001 is out of range"},
	{TEST_HEAD TEST_ROW("99999999999999999999"), 4, "is out of range"},
	{TEST_HEAD TEST_ROW("1") "Theme 1: Again\n", 5, "theme 1 follows theme 1 (line 2)"},
	{"Plan\nTheme 2: Two\n2.1 Obj\n" TEST_ROW("1") "Theme 1: One\n", 5, "theme 1 follows theme 2"},
	{"Plan\nTheme 0: Zero\n", 2, "theme number 0 is not valid"},
	{TEST_HEAD "1. Project\tDescri\x07ption\tCA\tUoL\ttbd\ttbd\tLive\n", 4,
	 "control character 0x07 on line 4 at byte 18"},
	{TEST_HEAD "1. Project\tDescription\tCA\tUoL\ttbd\ttbd\tLive\rLive\n", 4, "control character 0x0d"},
	{TEST_HEAD "1. Project\tDescription\tCA\tUoL\ttbd\ttbd\tSomeday\n", 4,
	 "status \"Someday\", which names no stage"},
	{TEST_HEAD "1. Project\tDescription\tCA\tUoL\ttbd\ttbd\t\n", 4, "which names no stage"},
	{TEST_HEAD "1.   #\tDescription\tCA\tUoL\ttbd\ttbd\tLive\n", 4, "project 1 has no title"},
	{"Plan\n1.1 Objective\n", 2, "objective \"1.1 Objective\" comes before any theme"},
	{TEST_HEAD "1.1 Again\n", 4, "objective 1.1 (\"1.1 Again\") repeats objective 1.1 on line 3"},
	{TEST_HEAD "1.0 Zero\n", 4, "has minor number 0"},
	{TEST_HEAD "1.99999999999 Huge\n", 4, "objectives are numbered from 1 to 9999"},
	{"Plan\nTheme 10000: Huge\n", 2, "themes are numbered from 1 to 9999"},
	{TEST_HEAD "Theme 2: Two\tstray\n", 4, "theme line \"Theme 2: Two\" has text in other columns"},
	{TEST_HEAD "1.2 Obj\tstray\n", 4, "objective line \"1.2 Obj\" has text in other columns"},
	{TEST_HEAD TEST_ROW("1") "a description that ran on to a new line\n", 5,
	 "line \"a description that ran on to a new line\" is not a page header, theme, objective or project "
	 "row"},
};

static void test_plan_refused_documents(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	for (size_t i = 0; i < sizeof(test_refused) / sizeof(test_refused[0]); i++)
		test_assert_refused(names, test_refused[i].doc, strlen(test_refused[i].doc), test_refused[i].line,
				    test_refused[i].needle);

	/* a NUL byte inside the buffer is a control character, not the end of the text */
	static const char with_nul[] = TEST_HEAD "1. Project\tDescri\0ption\tCA\tUoL\ttbd\ttbd\tLive\n";
	test_assert_refused(names, with_nul, sizeof(with_nul) - 1, 4, "control character 0x00 on line 4 at byte 18");
	/* the buffer need not be NUL-terminated: only len bytes are read */
	static const char unterminated[] = {'P', 'l', 'a', 'n'};
	test_assert_refused(names, unterminated, sizeof(unterminated), 0, "no projects found");
}

/* ---- the names file ---- */

static void test_assert_names_refused(const char *text, const char *needle)
{
	struct plan_names n;
	memset(&n, 0x5a, sizeof(n));
	char *err = NULL;
	if (plan_names_parse(text, strlen(text), "t.tsv", &n, &err)) {
		plan_names_free(&n);
		fail_msg("names accepted, expected \"%s\"", needle);
	}
	assert_non_null(err);
	if (strstr(err, needle) == NULL)
		fail_msg("names error \"%s\", expected \"%s\"", err, needle);
	free(err);
	struct plan_names zero;
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&n, &zero, sizeof(n));
}

static void test_plan_names_parse(void **state)
{
	(void)state;
	const char *good = "# comment\r\n"
			   "\r\n"
			   "org-alias\tThe Foo\tFOO\r\n" /* an alias may come before its org */
			   "org\tFOO\tcompany\tFoo Limited\r\n"
			   "org\tB4R\tuniversity\t  Bar University \r\n"
			   "person-alias\tJon Smyth\tJon Smith\n"
			   "   \n";
	struct plan_names n;
	char *err = NULL;
	assert_true(plan_names_parse(good, strlen(good), "t.tsv", &n, &err));
	assert_null(err);
	assert_int_equal(n.n_orgs, 2);
	assert_string_equal(n.orgs[0].code, "FOO");
	assert_int_equal(n.orgs[0].kind, ORG_KIND_COMPANY);
	assert_string_equal(n.orgs[0].name, "Foo Limited");
	assert_string_equal(n.orgs[1].name, "Bar University");
	assert_int_equal(n.n_org_aliases, 1);
	assert_int_equal(n.n_person_aliases, 1);
	bool via_alias = false;
	const struct plan_names_org *o = plan_names_resolve_org(&n, "the  foo", &via_alias);
	assert_non_null(o);
	assert_string_equal(o->code, "FOO");
	assert_true(via_alias);
	assert_string_equal(plan_names_resolve_person(&n, "Jon Smyth"), "Jon Smith");
	plan_names_free(&n);

	test_assert_names_refused("org\tCA\tbogus_kind\tName\n", "t.tsv:1: kind \"bogus_kind\" is not one of: ");
	test_assert_names_refused("org\tCA\tunspecified\tName\n", "kind \"unspecified\"");
	test_assert_names_refused("org\tCA\tcombined_authority\n", "t.tsv:1: an org record has 4 fields");
	test_assert_names_refused("\norg\tCA\tother\tA\tB\n",
				  "t.tsv:2: an org record has 4 fields (org, code, kind, name); this one has 5");
	test_assert_names_refused("org\tCA\t\tName\n", "t.tsv:1: field 3 is empty");
	test_assert_names_refused("person-alias\tBob\n", "t.tsv:1: a person-alias record has 3 fields");
	test_assert_names_refused("org-alias\tBob\n", "t.tsv:1: an org-alias record has 3 fields");
	test_assert_names_refused("\n# x\norg\tCA\tother\tX\norg-alias\tFoo\tNOPE\n",
				  "t.tsv:4: alias \"Foo\" refers to code \"NOPE\", which no org record defines");
	test_assert_names_refused("org\tCA\tother\tX\norg\tca\tother\tY\n", "t.tsv:2: code \"ca\" is defined twice");
	test_assert_names_refused("org\tCA\tother\tX\norg\tCB\tother\tx\n",
				  "t.tsv:2: name \"x\" is already used by code CA");
	test_assert_names_refused("org\tCA\tother\tX\norg-alias\tA\tCA\norg-alias\ta\tCA\n",
				  "t.tsv:3: alias \"a\" is defined twice");
	test_assert_names_refused("thing\tA\tB\n",
				  "t.tsv:1: record type \"thing\" is not org, org-alias or person-alias");
	test_assert_names_refused("org\tC-A\tother\tX\n",
				  "t.tsv:1: code \"C-A\" is not 1 to 16 ASCII letters or digits");
	test_assert_names_refused("org\tABCDEFGHIJKLMNOPQ\tother\tX\n", "is not 1 to 16 ASCII letters or digits");

	assert_false(plan_names_load(PLANREG_SOURCE_DIR "/data/no-such-names.tsv", &n, &err));
	assert_non_null(strstr(err, "no-such-names.tsv"));
	free(err);
}

/* ---- the row of headings, page furniture, the copies of the seed and its successor ---- */

/* Parses the file at path (tests/data) into *out; fails the test when it does not parse. */
static void test_parse_file(const struct plan_names *names, const char *path, struct plan *out)
{
	size_t len;
	char *doc = test_read_file(path, &len);
	if (doc == NULL)
		fail_msg("cannot read %s", path);
	struct plan_error err;
	bool ok = plan_parse(doc, len, names, out, &err);
	free(doc);
	if (!ok)
		fail_msg("%s: line %d: %s", path, err.line, err.message);
}

/* The interpretations about projects, one line each ("ref|message"), sorted: they must not depend on the layout. */
static char *test_project_warnings(const struct plan *p)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < p->n_warnings; i++) {
		if (p->warnings[i].ref == 0)
			continue;
		char *next = xasprintf("%s%d|%s\n", out, p->warnings[i].ref, p->warnings[i].message);
		free(out);
		out = next;
	}
	return out;
}

/* Every fact of one project the reader gives, as one line. */
static char *test_project_facts(const struct plan_project *r)
{
	char *interpreted = test_render(r);
	char *out = xasprintf("%s|%s|%s|%s|%s|%s|%s|%s|%d|%d", interpreted, r->title, r->description, r->lead_text,
			      r->partners_text, r->funding, r->stage_text, r->cost.text, r->capital, r->theme);
	free(interpreted);
	return out;
}

/* Copies of the seed printed another way read fact by fact as the seed (tests/data/make_editions.py). */
static void test_plan_copies_read_as_seed(void **state)
{
	struct test_fixture *fx = *state;
	static const char *const copies[] = {"plan-2021-2023-lead-partners-swapped.txt",
					     "plan-2021-2023-page-footers.txt", "plan-2021-2023-retypeset.txt",
					     "plan-2021-2023-timescale.txt", "plan-2021-2023-headings-every-page.txt"};
	char *seed_warnings = test_project_warnings(&fx->plan);
	for (size_t c = 0; c < sizeof copies / sizeof copies[0]; c++) {
		char path[512];
		snprintf(path, sizeof path, "%s%s", TEST_DATA, copies[c]);
		struct plan p;
		test_parse_file(&fx->names, path, &p);
		assert_string_equal(p.title, fx->plan.title);
		assert_int_equal(p.n_projects, fx->plan.n_projects);
		assert_int_equal(p.n_themes, fx->plan.n_themes);
		assert_int_equal(p.n_objectives, fx->plan.n_objectives);
		assert_int_equal(p.n_orgs, fx->plan.n_orgs);
		assert_int_equal(p.n_people, fx->plan.n_people);
		for (size_t i = 0; i < p.n_projects; i++) {
			char *a = test_project_facts(&p.projects[i]), *b = test_project_facts(&fx->plan.projects[i]);
			if (strcmp(a, b) != 0)
				fail_msg("%s, project %d:\n  %s\nnot\n  %s", copies[c], p.projects[i].ref, a, b);
			free(a);
			free(b);
			bool timescale = strstr(copies[c], "timescale") != NULL;
			assert_int_equal(p.projects[i].n_attributes, timescale ? 1 : 0);
			if (timescale) {
				char want[16];
				snprintf(want, sizeof want, "2021-%d", 2022 + p.projects[i].ref % 3);
				assert_string_equal(p.projects[i].attributes[0].name, "TIMESCALE");
				assert_string_equal(p.projects[i].attributes[0].value, want);
			}
		}
		for (size_t i = 0; i < p.n_orgs; i++)
			assert_string_equal(p.orgs[i].code, fx->plan.orgs[i].code);
		char *w = test_project_warnings(&p);
		assert_string_equal(w, seed_warnings);
		free(w);
		plan_free(&p);
	}
	free(seed_warnings);
}

/* The successor edition the tests import (tests/data/plan-2023-2025.txt). */
static void test_plan_successor_document(void **state)
{
	struct test_fixture *fx = *state;
	struct plan p;
	test_parse_file(&fx->names, TEST_DATA "plan-2023-2025.txt", &p);
	assert_string_equal(p.title, "2023-2025 LCR Digital Strategy Action Plan");
	assert_int_equal(p.n_projects, 79);
	assert_int_equal(p.n_objectives, 20);
	assert_int_equal(test_count_warnings(&p, "printed as"), 0); /* theme 6's objectives numbered 6.x */
	assert_string_equal(p.objectives[17].code, "6.1");
	assert_int_equal(p.objectives[17].line, 184);
	const struct plan_project *r = test_project(&p, 4);
	assert_string_equal(r->title, "Liverpool 5G Create: Connecting Health & Social Care");
	test_assert_list(r->lead_orgs, r->n_lead_orgs, "LCC");
	r = test_project(&p, 5);
	assert_string_equal(r->title, "Liverpool 5G Scale Out");
	test_assert_list(r->lead_orgs, r->n_lead_orgs, "CA");
	r = test_project(&p, 10);
	assert_string_equal(r->title, "Energy/Clean Growth");
	assert_string_equal(r->objective, "1.3");
	assert_int_equal(test_project(&p, 1)->cost.min_pence, 3250000000);
	assert_int_equal(test_project(&p, 3)->stage, STAGE_LIVE);
	r = test_project(&p, 79);
	assert_string_equal(r->title, "Digital Poverty Eradication Programme");
	assert_string_equal(r->objective, "6.3");
	test_assert_list(r->lead_orgs, r->n_lead_orgs, "LCC");
	assert_string_equal(test_project(&p, 56)->title, "Cyber Resilience Centre");
	for (size_t i = 0; i < p.n_projects; i++)
		assert_int_equal(p.projects[i].ref, (int)i + 1);
	plan_free(&p);
}

#define TEST_PLAN_TOP "Mini plan\n"
#define TEST_PLAN_THEME "Theme 1: One\n1.1 First objective\n"

/* Headings in other words and another order: which cell is which, and what was left out. */
static void test_plan_headings_variants(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	struct plan p;
	test_parse_ok(names,
		      TEST_PLAN_TOP "Stage\tProject\tLead body\tCost\n" TEST_PLAN_THEME
				    "Live\t1. A #\tCA \xe2\x80\x93 Bob\t\xc2\xa3"
				    "1M\n",
		      &p);
	const struct plan_project *r = &p.projects[0];
	assert_string_equal(r->title, "A");
	assert_true(r->capital);
	test_assert_list(r->lead_orgs, r->n_lead_orgs, "CA");
	assert_int_equal(r->cost.min_pence, 100000000);
	assert_int_equal(r->stage, STAGE_LIVE);
	assert_string_equal(r->description, "");
	assert_string_equal(r->partners_text, "");
	assert_string_equal(r->funding, "");
	test_assert_warning(&p, 2, 0, "each row is read by the headings on line 2: status, title, lead, total cost");
	test_assert_warning(&p, 2, 0,
			    "the column headings on line 2 have no description column; every project's "
			    "description is left empty");
	test_assert_warning(&p, 2, 0, "have no partners column");
	test_assert_warning(&p, 2, 0, "have no funding column");
	plan_free(&p);

	/* the seed's own spellings, other spellings of the same, an extra column, and headings that change */
	static const char *const doc = TEST_PLAN_TOP
		"TITLE\tDESCRIPTION\tLEAD (body & person)\tPARTNERS\tTOTAL COST\tFUNDING SOURCES (& individual "
		"contributions)\tSTATUS & START (live - advanced development)\n" TEST_PLAN_THEME
		"1. A\td\tCA\t-\ttbd\ttbd\tLive\n"
		"Project title\tSummary\tLead organisation\tDelivery partners\tBudget\tFunders\tCurrent status\t"
		"RAG\n"
		"2. B\td\tLCC\tCA\t\xc2\xa3"
		"2M\tLCC\tConcept\tAmber\n";
	test_parse_ok(names, doc, &p);
	assert_int_equal(p.n_projects, 2);
	test_assert_list(p.projects[1].lead_orgs, p.projects[1].n_lead_orgs, "LCC");
	assert_int_equal(p.projects[1].n_attributes, 1);
	assert_string_equal(p.projects[1].attributes[0].name, "RAG");
	assert_string_equal(p.projects[1].attributes[0].value, "Amber");
	assert_int_equal(p.projects[0].n_attributes, 0);
	test_assert_warning(&p, 6, 0, "the column headings on line 6 differ from those on line 2");
	test_assert_warning(&p, 6, 0, "column 8 \"RAG\" (line 6) is not one the register reads");
	plan_free(&p);
}

/* Page numbers, form feeds and text before the headings are passed over, each kind counted. */
static void test_plan_page_furniture(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	static const char doc[] = "A foreword that is not part of the table.\n"
				  "It runs to a second line.\n"
				  "TITLE\tDESCRIPTION\tLEAD\tPARTNERS\tTOTAL COST\tFUNDING\tSTATUS\n"
				  "Theme 1: One\n"
				  "Page 1 of 3\n"
				  "1.1 Objective\n"
				  "1. A\td\tCA\t-\ttbd\ttbd\tLive\f2 | Page\n"
				  "\f\n"
				  "\t\tPage: 3\t\n"
				  "page | 4\n"
				  "12 of 30 | Page\n"
				  "2. B\td\tCA\t-\ttbd\ttbd\tLive\n";
	struct plan p;
	test_parse_ok(names, doc, &p);
	assert_int_equal(p.n_projects, 2);
	assert_string_equal(p.title, "A foreword that is not part of the table.");
	assert_int_equal(p.projects[1].line, 12);
	test_assert_warning(&p, 0, 0, "passed over 2 form feeds (page breaks), the first on line 7");
	test_assert_warning(&p, 0, 0,
			    "passed over 5 page numbers (\"Page 3 of 12\", \"3 | Page\"), the first on line 5");
	test_assert_warning(&p, 0, 0,
			    "passed over 1 line of text before the column headings (a preamble), the first on "
			    "line 2");
	assert_int_equal(p.n_warnings, 3);
	plan_free(&p);
	/* after the headings, text is never passed over: a wrapped description must not be lost */
	test_assert_refused(
		names, "TITLE\tLEAD\tCOST\tSTATUS\n" TEST_PLAN_THEME "1. A\tCA\ttbd\tLive\nPage numbering\n",
		strlen("TITLE\tLEAD\tCOST\tSTATUS\n" TEST_PLAN_THEME "1. A\tCA\ttbd\tLive\nPage numbering\n"), 5,
		"line \"Page numbering\" is not a page header");
}

/* Headings that cannot be read by, and rows that do not fit them. */
static const struct {
	const char *doc;
	int line;
	const char *needle;
} test_headings_refused[] = {
	{"TITLE\tLEAD\tLead body\tCOST\tSTATUS\n", 1,
	 "the column headings on line 1 name the lead column twice: \"LEAD\" (column 2) and \"Lead body\" (column 3)"},
	{"TITLE\tDESCRIPTION\tLEAD\tCOST\n", 1,
	 "the column headings on line 1 have no status column (a heading such as \"STATUS\" or \"Stage\")"},
	{"Project\tLead\tStatus\n", 1, "have no total cost column (a heading such as \"TOTAL COST\" or \"Cost\")"},
	{"Mini plan\n" TEST_PLAN_THEME "1. A\td\tCA\t-\ttbd\ttbd\tLive\nTITLE\tDESCRIPTION\tLEAD\tCOST\tSTATUS\n", 4,
	 "project 1 on line 4 comes before the column headings (line 5), so its cells cannot be told apart"},
	{"TITLE\tLEAD\t\tCOST\tSTATUS\n" TEST_PLAN_THEME "1. A\tCA\tstray\ttbd\tLive\n", 4,
	 "project row for ref 1 has text in column 3, which has no heading (line 1)"},
	{"TITLE\tLEAD\tCOST\tSTATUS\n" TEST_PLAN_THEME "1. A\tCA\ttbd\tLive\textra\n", 4,
	 "project row for ref 1 has 5 columns; 4 are expected (title, lead, total cost, status)"},
	{"TITLE\tLEAD\tCOST\tSTATUS\n" TEST_PLAN_THEME "1. A\tCA\ttbd\n", 4, "has 3 columns; 4 are expected"},
	{"TITLE\tLEAD\tCOST\tSTATUS\n" TEST_PLAN_THEME "1. A\tCA\ttbd\tLive\x0b\n", 4, "control character 0x0b"},
};

static void test_plan_headings_refused(void **state)
{
	const struct plan_names *names = &((struct test_fixture *)*state)->names;
	for (size_t i = 0; i < sizeof test_headings_refused / sizeof test_headings_refused[0]; i++)
		test_assert_refused(names, test_headings_refused[i].doc, strlen(test_headings_refused[i].doc),
				    test_headings_refused[i].line, test_headings_refused[i].needle);
	/* more columns than the reader takes (empty ones between the headings count) */
	char *wide = xstrdup("TITLE");
	for (int i = 0; i < 70; i++) {
		char *next = xasprintf("%s\t", wide);
		free(wide);
		wide = next;
	}
	char *next = xasprintf("%sLEAD\tCOST\tSTATUS", wide);
	free(wide);
	wide = next;
	test_assert_refused(names, wide, strlen(wide), 1, "name 73 columns; at most 64 are read");
	free(wide);
}

/* The map file of a new edition's import. */
static void test_plan_map(void **state)
{
	(void)state;
	static const char map[] = "# a comment\n\n64 67   # employers\n 65 new\n79\t80\r\n";
	struct plan_map_entry *e;
	size_t n;
	char err[256];
	assert_true(plan_map_parse(map, strlen(map), &e, &n, err, sizeof err));
	assert_int_equal(n, 3);
	assert_int_equal(e[0].ref, 64);
	assert_int_equal(e[0].previous_ref, 67);
	assert_int_equal(e[0].line, 3);
	assert_int_equal(e[1].previous_ref, 0);
	assert_int_equal(e[2].ref, 79);
	assert_int_equal(e[2].previous_ref, 80);
	free(e);
	static const struct {
		const char *text, *err;
	} bad[] = {
		{"64\n", "line 1: \"64\" is not NEW_REF OLD_REF or NEW_REF new"},
		{"64 67 68\n", "is not NEW_REF OLD_REF"},
		{"0 5\n", "line 1: \"0 5\""},
		{"1 100001\n", "is not NEW_REF OLD_REF"},
		{"x 5\n", "is not NEW_REF OLD_REF"},
		{"1 newer\n", "is not NEW_REF OLD_REF"},
		{"1 2\n\n1 3\n", "line 3: project 1 is mapped on line 1 already"},
		{"1 2\n3 2\n", "line 2: project 2 of the previous edition is claimed on line 1 already"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = NULL;
		assert_false(plan_map_parse(bad[i].text, strlen(bad[i].text), &e, &n, err, sizeof err));
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("map \"%s\": \"%s\", expected \"%s\"", bad[i].text, err, bad[i].err);
	}
	static const char with_nul[] = "1 2\0\n";
	assert_false(plan_map_parse(with_nul, sizeof with_nul - 1, &e, &n, err, sizeof err));
	assert_true(plan_map_parse("", 0, &e, &n, err, sizeof err));
	assert_int_equal(n, 0);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_counts),
		cmocka_unit_test(test_plan_themes_and_objectives),
		cmocka_unit_test(test_plan_capital),
		cmocka_unit_test(test_plan_theme6_correction),
		cmocka_unit_test(test_plan_every_project_raw),
		cmocka_unit_test(test_plan_every_project_interpreted),
		cmocka_unit_test(test_plan_projects_text),
		cmocka_unit_test(test_plan_projects_leads_and_partners),
		cmocka_unit_test(test_plan_projects_cost_and_stage),
		cmocka_unit_test(test_plan_projects_tables_agree),
		cmocka_unit_test(test_plan_orgs_and_people),
		cmocka_unit_test(test_plan_warnings),
		cmocka_unit_test(test_plan_names_aliases_in_document),
		cmocka_unit_test(test_plan_names_lookup),
		cmocka_unit_test(test_plan_cost_spellings),
		cmocka_unit_test(test_plan_cost_spellings_cover_document),
		cmocka_unit_test(test_plan_stage_spellings),
		cmocka_unit_test(test_plan_stage_spellings_cover_document),
		cmocka_unit_test(test_plan_lead_splitting),
		cmocka_unit_test(test_plan_partner_splitting),
		cmocka_unit_test(test_plan_ref_gaps),
		cmocka_unit_test(test_plan_layout_variants),
		cmocka_unit_test(test_plan_refused_documents),
		cmocka_unit_test(test_plan_names_parse),
		cmocka_unit_test(test_plan_copies_read_as_seed),
		cmocka_unit_test(test_plan_successor_document),
		cmocka_unit_test(test_plan_headings_variants),
		cmocka_unit_test(test_plan_page_furniture),
		cmocka_unit_test(test_plan_headings_refused),
		cmocka_unit_test(test_plan_map),
	};
	return cmocka_run_group_tests(tests, test_setup, test_teardown);
}
