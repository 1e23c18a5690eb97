/* test_report_html.c - unit tests for report_html*.c: the board report's structure (headline with
 * definitions, exceptions, movement, one table of projects, outstanding by organisation), escaping
 * and isolating hostile input, no external reference, and NULL or empty input.
 * With PLANREG_REPORT_HTML_EXAMPLE=FILE set, test_report_html_example writes the sample page there. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "buf.h"
#include "cli_period.h"
#include "report_html.h"

#define TEST_REPORT_HTML_HOSTILE "<script>alert(1)</script>"
#define TEST_REPORT_HTML_RLO "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */

/* A report's input built by hand in an arena, and the page written from it. */
struct test_report_html {
	struct arena a;
	struct report_html_input in;
	Planreg__V1__ProjectStatus **projects;
	struct buf out;
};

/* Appends a count by name to a list. */
static void test_report_html_count(struct arena *a, Planreg__V1__CountByName ***list, size_t *n, const char *name,
				   int32_t count)
{
	Planreg__V1__CountByName *c = ARENA_NEW(a, Planreg__V1__CountByName, planreg__v1__count_by_name__init);
	c->name = arena_strdup(a, name);
	c->count = count;
	*(Planreg__V1__CountByName **)arena_push(a, list, n, sizeof c) = c;
}

/* Appends a theme to the totals with its money and "name=count" confidence counts. */
static Planreg__V1__StatusGroup *test_report_html_theme(struct arena *a, Planreg__V1__StatusTotals *t, const char *key,
							const char *name, int64_t spend, int64_t forecast, int64_t plan,
							const char *const *counts)
{
	Planreg__V1__StatusGroup *g = ARENA_NEW(a, Planreg__V1__StatusGroup, planreg__v1__status_group__init);
	g->key = arena_strdup(a, key);
	g->name = arena_strdup(a, name);
	g->spend_pence = spend;
	g->forecast_pence = forecast;
	g->plan_cost_pence = plan;
	for (size_t i = 0; counts[i]; i += 2)
		test_report_html_count(a, &g->by_confidence, &g->n_by_confidence, counts[i], atoi(counts[i + 1]));
	*(Planreg__V1__StatusGroup **)arena_push(a, &t->by_theme, &t->n_by_theme, sizeof g) = g;
	return g;
}

/* A money value in the arena. */
static Planreg__V1__Money *test_report_html_pence(struct arena *a, int64_t pence)
{
	Planreg__V1__Money *m = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
	m->pence = pence;
	return m;
}

/* Appends a project with a return (update_id != 0) or without one (update_id 0). */
static Planreg__V1__ProjectStatus *test_report_html_project(struct test_report_html *t, int32_t ref, const char *title,
							    int32_t theme, int64_t update_id,
							    Planreg__V1__Confidence confidence,
							    Planreg__V1__Stage stage)
{
	struct arena *a = &t->a;
	Planreg__V1__ProjectStatus *p = ARENA_NEW(a, Planreg__V1__ProjectStatus, planreg__v1__project_status__init);
	p->ref = ref;
	p->title = arena_strdup(a, title);
	p->theme = theme;
	p->objective = arena_printf(a, "Objective %d.1", theme);
	*(char **)arena_push(a, &p->lead_orgs, &p->n_lead_orgs, sizeof(char *)) = "LCC";
	p->register_stage = stage;
	p->update_id = update_id;
	if (update_id != 0) {
		p->revision = 1;
		p->confidence = confidence;
		p->stage = stage;
		p->submitted_at = "2026-10-18T14:02:11Z";
		p->on_time = true;
		p->spend_to_date = test_report_html_pence(a, 45000000);
		p->forecast_total = test_report_html_pence(a, 120000000);
		p->narrative = "Procurement completed.\nContract signed with the supplier.";
	} else {
		p->outstanding = true;
		p->late = true;
	}
	*(Planreg__V1__ProjectStatus **)arena_push(a, &t->projects, &t->in.n_projects, sizeof p) = p;
	t->in.projects = t->projects;
	return p;
}

/* Gives p a return for the quarter before: its confidence, its forecast (none when 0), its end date. */
static Planreg__V1__PreviousReturn *test_report_html_previous(struct test_report_html *t, Planreg__V1__ProjectStatus *p,
							      Planreg__V1__Confidence c, int64_t forecast,
							      const char *end_date)
{
	Planreg__V1__PreviousReturn *pr =
		ARENA_NEW(&t->a, Planreg__V1__PreviousReturn, planreg__v1__previous_return__init);
	pr->period = "2026-Q2";
	pr->update_id = 90 + p->ref;
	pr->confidence = c;
	pr->forecast_total = forecast ? test_report_html_pence(&t->a, forecast) : NULL;
	pr->end_date = arena_strdup(&t->a, end_date);
	p->previous = pr;
	return pr;
}

/* A milestone of p. */
static void test_report_html_milestone(struct arena *a, Planreg__V1__ProjectStatus *p, const char *title,
				       const char *baseline, const char *forecast, const char *achieved)
{
	Planreg__V1__Milestone *m = ARENA_NEW(a, Planreg__V1__Milestone, planreg__v1__milestone__init);
	m->title = arena_strdup(a, title);
	const char *dates[3] = {baseline, forecast, achieved};
	Planreg__V1__Date **slots[3] = {&m->baseline, &m->forecast, &m->achieved};
	for (int i = 0; i < 3; i++) {
		if (!dates[i])
			continue;
		*slots[i] = ARENA_NEW(a, Planreg__V1__Date, planreg__v1__date__init);
		(*slots[i])->iso = arena_strdup(a, dates[i]);
	}
	*(Planreg__V1__Milestone **)arena_push(a, &p->milestones, &p->n_milestones, sizeof m) = m;
}

/* The project of the sample with that ref. */
static Planreg__V1__ProjectStatus *test_report_html_ref(struct test_report_html *t, int32_t ref)
{
	for (size_t i = 0; i < t->in.n_projects; i++)
		if (t->projects[i]->ref == ref)
			return t->projects[i];
	fail_msg("no project %d in the sample", ref);
	return NULL;
}

/* What moved since the previous quarter: 15 red and fell from amber/red, its end date slipped; 12 fell
 * from green (and was returned); 3's forecast rose. With hostile set, submitted text carries markup and a
 * bidi override. */
static void test_report_html_details(struct test_report_html *t, bool hostile)
{
	struct arena *a = &t->a;
	Planreg__V1__ProjectStatus *p = test_report_html_ref(t, 15);
	test_report_html_previous(t, p, PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_RED, 100000000, "2026-03-31");
	p->narrative = hostile ? TEST_REPORT_HTML_RLO "Supplier failed " TEST_REPORT_HTML_HOSTILE
			       : "The supplier went into administration in August.";
	p->variance_note = hostile ? TEST_REPORT_HTML_HOSTILE : "Re-procurement adds cost.";
	p->end_date = "2026-06-30";
	test_report_html_milestone(a, p, hostile ? TEST_REPORT_HTML_RLO "Pilot" : "Pilot", "2026-03-31", "2026-06-30",
				   NULL);
	test_report_html_milestone(a, p, "Design", "2026-01-31", NULL, "2026-02-15");
	static const char *const risks[] = {"Supplier capacity", "Funding", "Staff", "Fourth", NULL};
	for (size_t i = 0; risks[i]; i++)
		*(char **)arena_push(a, &p->risks, &p->n_risks, sizeof(char *)) = (char *)risks[i];
	p = test_report_html_ref(t, 12);
	test_report_html_previous(t, p, PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN, 0, "");
	p = test_report_html_ref(t, 3);
	test_report_html_previous(t, p, PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN, 100000000, "");
}

/* Appends an outstanding project to an organisation. */
static void test_report_html_late(struct arena *a, Planreg__V1__OutstandingOrganisation *o, int32_t ref,
				  const char *title, const char *why, const char *comment)
{
	Planreg__V1__OutstandingProject *p =
		ARENA_NEW(a, Planreg__V1__OutstandingProject, planreg__v1__outstanding_project__init);
	p->ref = ref;
	p->title = arena_strdup(a, title);
	p->why = arena_strdup(a, why);
	p->review_comment = arena_strdup(a, comment);
	*(Planreg__V1__OutstandingProject **)arena_push(a, &o->projects, &o->n_projects, sizeof p) = p;
}

/* Appends an organisation with outstanding returns. */
static Planreg__V1__OutstandingOrganisation *test_report_html_org(struct arena *a,
								  Planreg__V1__ListOutstandingResponse *r,
								  const char *code, const char *name, const char *email,
								  int32_t days_late)
{
	Planreg__V1__OutstandingOrganisation *o =
		ARENA_NEW(a, Planreg__V1__OutstandingOrganisation, planreg__v1__outstanding_organisation__init);
	o->code = arena_strdup(a, code);
	o->name = arena_strdup(a, name);
	o->contact_email = arena_strdup(a, email);
	o->due = "2026-10-20";
	o->days_late = days_late;
	*(Planreg__V1__OutstandingOrganisation **)arena_push(a, &r->organisations, &r->n_organisations, sizeof o) = o;
	return o;
}

/* The sample's status: the period and its totals, by confidence, theme and stage. */
static void test_report_html_sample_status(struct test_report_html *t, bool hostile)
{
	struct arena *a = &t->a;
	Planreg__V1__GetStatusResponse *s =
		ARENA_NEW(a, Planreg__V1__GetStatusResponse, planreg__v1__get_status_response__init);
	s->period = "2026-Q3";
	s->due = "2026-10-20";
	s->as_at = "2026-10-25T07:59:30Z";
	Planreg__V1__StatusTotals *tot = ARENA_NEW(a, Planreg__V1__StatusTotals, planreg__v1__status_totals__init);
	s->totals = tot;
	tot->projects = 6;
	tot->reported = 4;
	tot->outstanding = 2;
	tot->late = 2;
	tot->returned = 1;
	tot->spend_pence = 187500000;
	tot->forecast_pence = 512000000;
	tot->plan_cost_pence = 480000000;
	tot->compared_projects = 3;
	tot->compared_forecast_pence = 300000000;
	tot->compared_plan_cost_pence = 250000000;
	tot->forecast_without_plan_cost = 1;
	static const char *const by_conf[] = {"green",    "2", "amber_green", "1", "red", "1",
					      "returned", "1", "none",        "1", NULL};
	for (size_t i = 0; by_conf[i]; i += 2)
		test_report_html_count(a, &tot->by_confidence, &tot->n_by_confidence, by_conf[i], atoi(by_conf[i + 1]));
	static const char *const theme1[] = {"green", "1", "amber_green", "1", "none", "1", NULL};
	static const char *const theme2[] = {"amber", "1", "red", "1", NULL};
	static const char *const theme3[] = {"green", "1", NULL};
	static const char *const theme4[] = {"amber_red", "0", NULL};
	Planreg__V1__StatusGroup *g1 = test_report_html_theme(a, tot, "1", "Digital infrastructure & connectivity",
							      120000000, 300000000, 280000000, theme1);
	g1->projects = 3;
	g1->compared_projects = 2;
	g1->compared_forecast_pence = 240000000;
	g1->compared_plan_cost_pence = 210000000;
	test_report_html_theme(a, tot, "2", hostile ? TEST_REPORT_HTML_HOSTILE : "Digital skills and inclusion",
			       42500000, 150000000, 160000000, theme2);
	test_report_html_theme(a, tot, "3", "Data and innovation", 25000000, 62000000, 40000000, theme3);
	test_report_html_theme(a, tot, "4", "Digital public services", 0, 0, 0, theme4);
	for (size_t i = 0; i < tot->n_by_theme; i++)
		if (tot->by_theme[i]->projects == 0)
			tot->by_theme[i]->projects = 2;
	t->in.status = s;
}

/* The sample's six projects: on time, late, returned, never reported, completed. */
static void test_report_html_sample_projects(struct test_report_html *t, bool hostile)
{
	struct arena *a = &t->a;
	Planreg__V1__ProjectStatus *p;
	p = test_report_html_project(t, 3, hostile ? "Gigabit \"&' schools" : "Full fibre for every school", 1, 101,
				     PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN, PLANREG__V1__STAGE__STAGE_LIVE);
	p->variance = ARENA_NEW(a, Planreg__V1__VariancePct, planreg__v1__variance_pct__init);
	p->variance->tenths = 319;
	p->review = PLANREG__V1__REVIEW_STATE__REVIEW_ACCEPTED;
	char *flag = "green_over_variance";
	*(char **)arena_push(a, &p->flags, &p->n_flags, sizeof(char *)) = flag;
	if (hostile)
		p->narrative = "Line one\nLine two " TEST_REPORT_HTML_HOSTILE;
	p = test_report_html_project(t, 7, "5G small cells on street furniture", 1, 0,
				     PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED,
				     PLANREG__V1__STAGE__STAGE_CONCEPT);
	p = test_report_html_project(t, 12, "Digital skills bootcamps", 2, 102,
				     PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER,
				     PLANREG__V1__STAGE__STAGE_EARLY_DEVELOPMENT);
	p->review = PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED;
	p->review_comment = hostile ? TEST_REPORT_HTML_HOSTILE : "Please give the forecast for the second cohort.";
	p->outstanding = true;
	p->variance = ARENA_NEW(a, Planreg__V1__VariancePct, planreg__v1__variance_pct__init);
	p->variance->tenths = -52;
	p = test_report_html_project(t, 15, "Device lending library", 2, 103, PLANREG__V1__CONFIDENCE__CONFIDENCE_RED,
				     PLANREG__V1__STAGE__STAGE_EARLY_DEVELOPMENT);
	p->on_time = false;
	p->late = true;
	p->forecast_total = NULL;
	*(char **)arena_push(a, &p->flags, &p->n_flags, sizeof(char *)) = "stage_backwards";
	*(char **)arena_push(a, &p->flags, &p->n_flags, sizeof(char *)) = "spend_above_forecast";
	p = test_report_html_project(t, 21, "Regional data observatory", 3, 104,
				     PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN, PLANREG__V1__STAGE__STAGE_COMPLETED);
	p->plan_cost = ARENA_NEW(a, Planreg__V1__Cost, planreg__v1__cost__init);
	p->plan_cost->text = "£400,000";
	p = test_report_html_project(t, 30, "Cyber resilience centre", 1, 105,
				     PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_GREEN, PLANREG__V1__STAGE__STAGE_LIVE);
	test_report_html_previous(t, p, PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_GREEN, 120000000, "");
	test_report_html_details(t, hostile);
}

/* The sample's two organisations with outstanding returns. */
static void test_report_html_sample_outstanding(struct test_report_html *t, bool hostile)
{
	struct arena *a = &t->a;
	Planreg__V1__ListOutstandingResponse *r =
		ARENA_NEW(a, Planreg__V1__ListOutstandingResponse, planreg__v1__list_outstanding_response__init);
	r->period = "2026-Q3";
	r->due = "2026-10-20";
	r->as_of = "2026-10-25";
	Planreg__V1__OutstandingOrganisation *o =
		test_report_html_org(a, r, "LCC", "Leeds City Council", "digital@leeds.example", 5);
	test_report_html_late(a, o, 7, "5G small cells on street furniture", "never_reported", "");
	o = test_report_html_org(a, r, "BMDC", hostile ? "<img src=x onerror=alert(1)>" : "Bradford Council", "", 0);
	test_report_html_late(a, o, 12, "Digital skills bootcamps", "returned",
			      hostile ? TEST_REPORT_HTML_HOSTILE : "Please give the forecast for the second cohort.");
	r->projects = 2;
	/* a query of the Combined Authority past its answer-by date, on an earlier quarter's return */
	Planreg__V1__Query *q = ARENA_NEW(a, Planreg__V1__Query, planreg__v1__query__init);
	q->id = 9;
	q->ref = 7;
	q->period = "2026-Q2";
	q->section = "spend";
	q->comment = hostile ? TEST_REPORT_HTML_HOSTILE : "Reconcile the spend with the ledger.";
	q->answer_by = "2026-10-01";
	*(char **)arena_push(a, &q->lead_orgs, &q->n_lead_orgs, sizeof(char *)) = "LCC";
	*(Planreg__V1__Query **)arena_push(a, &r->overdue_queries, &r->n_overdue_queries, sizeof q) = q;
	t->in.outstanding = r;
}

/* Builds a small period: four themes, six projects, two late organisations, and writes its page. With
 * hostile set, the names, titles and comments carry markup and the characters HTML must escape. */
static void test_report_html_sample(struct test_report_html *t, bool hostile)
{
	memset(t, 0, sizeof *t);
	t->in.plan_title =
		hostile ? "Plan \"&' " TEST_REPORT_HTML_HOSTILE : "West Yorkshire Digital Strategy Action Plan";
	t->in.generated_at = "2026-10-25T08:00:00Z";
	test_report_html_sample_status(t, hostile);
	test_report_html_sample_projects(t, hostile);
	test_report_html_sample_outstanding(t, hostile);
	report_html_write(&t->out, &t->in);
}

/* Frees the page and the input. */
static void test_report_html_done(struct test_report_html *t)
{
	buf_free(&t->out);
	arena_free(&t->a);
}

/* How many times needle occurs in hay. */
static size_t test_report_html_occurs(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Fails unless needle occurs in the page. */
static void test_report_html_has(const char *page, const char *needle)
{
	if (!strstr(page, needle))
		fail_msg("the page lacks \"%s\"", needle);
}

/* Fails when needle occurs in the page. */
static void test_report_html_lacks(const char *page, const char *needle)
{
	const char *p = strstr(page, needle);
	if (p)
		fail_msg("the page has \"%s\" at offset %zu: %.60s", needle, (size_t)(p - page), p);
}

/* Checks what every page must be: a whole document, its elements closed, no SVG or image. */
static void test_report_html_valid(const char *page)
{
	assert_true(strncmp(page, "<!DOCTYPE html>\n", 16) == 0);
	size_t len = strlen(page);
	assert_true(len > 7 && strcmp(page + len - 8, "</html>\n") == 0);
	static const char *const elements[] = {"section", "article", "table", "ul",    "ol",    "dl",  "header",
					       "main",    "style",   "title", "thead", "tbody", "bdi", NULL};
	for (size_t i = 0; elements[i]; i++) {
		char open[32], close[32];
		snprintf(open, sizeof open, "<%s>", elements[i]);
		snprintf(close, sizeof close, "</%s>", elements[i]);
		char open_attr[32];
		snprintf(open_attr, sizeof open_attr, "<%s ", elements[i]);
		size_t opened = test_report_html_occurs(page, open) + test_report_html_occurs(page, open_attr);
		if (opened != test_report_html_occurs(page, close))
			fail_msg("<%s> opened %zu times, closed %zu times", elements[i], opened,
				 test_report_html_occurs(page, close));
	}
	test_report_html_lacks(page, "<svg");
	test_report_html_lacks(page, "<img");
}

/* Fails unless every id is built of [a-z0-9-] and used once, and every aria reference names one. */
static void test_report_html_ids(const char *page)
{
	char ids[256][32];
	size_t n = 0;
	for (const char *p = strstr(page, " id=\""); p; p = strstr(p + 1, " id=\"")) {
		p += strlen(" id=\"");
		size_t len = strcspn(p, "\"");
		assert_true(len > 0 && len < sizeof ids[0]);
		for (size_t i = 0; i < len; i++)
			assert_true(islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || p[i] == '-');
		assert_true(n < 256);
		memcpy(ids[n], p, len);
		ids[n][len] = '\0';
		for (size_t i = 0; i < n; i++)
			if (strcmp(ids[i], ids[n]) == 0)
				fail_msg("id \"%s\" is used twice", ids[n]);
		n++;
	}
	static const char *const refs[] = {"aria-labelledby=\"", "aria-describedby=\"", NULL};
	for (size_t r = 0; refs[r]; r++) {
		for (const char *p = strstr(page, refs[r]); p; p = strstr(p + 1, refs[r])) {
			p += strlen(refs[r]);
			size_t len = strcspn(p, "\""), i = 0;
			while (i < n && !(strlen(ids[i]) == len && strncmp(ids[i], p, len) == 0))
				i++;
			if (i == n)
				fail_msg("%s%.*s names no element", refs[r], (int)len, p);
		}
	}
}

/* Every bar's width is a percentage with one decimal, never nan or inf, at most 100%. */
static void test_report_html_widths(const char *page)
{
	for (const char *p = strstr(page, "style=\"width: "); p; p = strstr(p + 1, "style=\"width: ")) {
		const char *w = p + strlen("style=\"width: ");
		size_t digits = strspn(w, "0123456789");
		assert_true(digits > 0 && digits <= 3);
		assert_true(w[digits] == '.' && isdigit((unsigned char)w[digits + 1]) && w[digits + 2] == '%');
		assert_true(atof(w) <= 100.0);
	}
	test_report_html_lacks(page, "nan");
	test_report_html_lacks(page, "inf%");
}

/* The sample page's sections, in the order the board reads them. */
static const char *const test_report_html_order[] = {
	"<h1><bdi>West Yorkshire Digital Strategy Action Plan</bdi></h1>",
	"Board report, quarter <bdi>2026-Q3 (July\u2013September 2026)</bdi>",
	"2026-10-20, 20 days after the quarter ended",
	"2026-10-25 07:59 UTC",
	"2026-10-25 08:00 UTC",
	">The quarter at a glance<",
	">Exceptions<",
	"id=\"exception-15\"",
	"id=\"exception-12\"",
	"id=\"exception-3\"",
	">Movement since the previous quarter<",
	">Delivery confidence by theme<",
	">Forecast against plan cost by theme, like for like<",
	">Every project<",
	">Returns outstanding<",
	">Queries past their answer-by date<",
	NULL};

/* What the sample page shows: each headline number with its definition, the colours adding up to
 * the reported, money like for like, the exceptions' reasons and details, the movement, the table. */
static const char *const test_report_html_shown[] = {
	"<dt>Reported</dt><dd class=\"n\">4</dd><dd class=\"def\">a return received and not sent back",
	"<dt>Outstanding</dt><dd class=\"n\">2</dd><dd class=\"def\">no return yet (1), or one sent back for "
	"correction (1)",
	"<dt>Late</dt><dd class=\"n\">2</dd><dd class=\"def\">returns not received by the due date, 2026-10-20, 20 "
	"days "
	"after the quarter ended",
	"The 4 reported, by delivery confidence:",
	"<strong>Forecast &pound;3M against a plan cost of &pound;2.5M (+20.0%)</strong>, like for like: the 3 "
	"projects "
	"reported with a forecast and a known plan cost. 1 more reported a forecast but has no agreed plan cost",
	"<strong>Red</strong>; <strong>rating fell</strong> from Amber/Red in 2026-Q2 to Red",
	"end date moved from 2026-03-31 to 2026-06-30 (91 days later)",
	"<p class=\"narrative\" dir=\"auto\">The supplier went into administration in August.</p>",
	"<dt>Variance note:</dt> <dd><bdi>Re-procurement adds cost.</bdi></dd>",
	"<bdi>Pilot</bdi>: baseline 2026-03-31, now forecast 2026-06-30 (91 days late)",
	"<li><bdi>Supplier capacity</bdi></li><li><bdi>Funding</bdi></li><li><bdi>Staff</bdi></li></ol> (and 1 more in "
	"the return)",
	"<strong>rating fell</strong> from Green in 2026-Q2 to Amber; the return was sent back for correction",
	"forecast up &pound;200k (+20.0%) from &pound;1M to &pound;1.2M",
	"<strong>2 fell</strong>, 0 rose and 2 held their rating",
	"<td class=\"fell\">1</td>",
	"Theme 1: <bdi>Digital infrastructure &amp; connectivity</bdi> (3 projects)",
	"(2 compared)",
	"<table class=\"projects\">",
	"<td class=\"ref\">3</td><td class=\"title\"><bdi>Full fibre for every school</bdi></td>",
	"<span class=\"badge c-returned\">Returned</span>",
	"<td class=\"num\" data-label=\"Variance\">+31.9%</td>",
	"&minus;5.2%",
	"data-label=\"Spend\">&pound;450k</td>",
	"<td class=\"num empty\" data-label=\"Forecast\">&mdash;</td>",
	"<td class=\"num cost\" data-label=\"Plan cost\"><bdi>£400,000</bdi></td>",
	"As of <bdi>2026-10-25</bdi>: 2 projects at 2 organisations, 5 days after the due date",
	"<li><strong><bdi>LCC</bdi></strong> <bdi>Leeds City Council</bdi>: 7</li>",
	"12 (sent back: &ldquo;<bdi>Please give the forecast for the second cohort.</bdi>&rdquo;)",
	"1 query on one part of a return, of any quarter, still waiting",
	"<li><strong>Project 7</strong> (2026-Q2, spend; LCC): &ldquo;<bdi>Reconcile the spend with the ledger.</bdi>"
	"&rdquo; &mdash; answer wanted by 2026-10-01 (query 9)</li>",
	"@page { size: A4;",
	"@media screen and (max-width: 640px)",
	"break-inside: avoid",
	"white-space: pre-line",
	"#2e7d32",
	"#c62828",
	NULL,
};

static void test_report_html_structure(void **state)
{
	(void)state;
	struct test_report_html t;
	test_report_html_sample(&t, false);
	const char *page = buf_str(&t.out);
	test_report_html_valid(page);
	test_report_html_ids(page);
	test_report_html_widths(page);
	const char *at = page;
	for (size_t i = 0; test_report_html_order[i]; i++) {
		const char *next = strstr(at, test_report_html_order[i]);
		if (!next)
			fail_msg("\"%s\" is missing or out of order", test_report_html_order[i]);
		at = next;
	}
	for (size_t i = 0; i < t.in.n_projects; i++)
		test_report_html_has(page, t.in.projects[i]->title);
	assert_int_equal(test_report_html_occurs(page, "<article class=\"exception\""), 3);
	test_report_html_lacks(page, "id=\"exception-30\"");    /* nothing moved */
	test_report_html_lacks(page, "Fourth");                 /* the top three risks only */
	test_report_html_lacks(page, "Design</bdi>: baseline"); /* achieved: not slipped */
	assert_int_equal(test_report_html_occurs(page, "<tr><td class=\"ref\">"), 6);
	for (size_t i = 0; test_report_html_shown[i]; i++)
		test_report_html_has(page, test_report_html_shown[i]);
	test_report_html_lacks(page, "No data");
	test_report_html_done(&t);
}

/* In a deployment whose year starts in April (as its daemon's answers said), every quarter the page names is
 * the financial year's, with the months in the subtitle; none is left in the calendar's name. */
static void test_report_html_financial_year(void **state)
{
	(void)state;
	cli_period_learn(PERIOD_YEAR_APRIL);
	struct test_report_html t;
	test_report_html_sample(&t, false);
	cli_period_learn(0);
	const char *page = buf_str(&t.out);
	test_report_html_has(page, "Board report FY2026/27-Q2</title>");
	test_report_html_has(page, "Board report, quarter <bdi>FY2026/27-Q2 (July\u2013September 2026)</bdi>");
	test_report_html_has(page, "<strong>rating fell</strong> from Amber/Red in FY2026/27-Q1 to Red");
	test_report_html_has(page, "Rows: the rating in FY2026/27-Q1; columns: the rating in <bdi>FY2026/27-Q2</bdi>");
	test_report_html_lacks(page, "2026-Q2");
	test_report_html_lacks(page, "2026-Q3");
	test_report_html_done(&t);
}

static void test_report_html_no_external_reference(void **state)
{
	(void)state;
	struct test_report_html t;
	test_report_html_sample(&t, false);
	const char *page = buf_str(&t.out);
	static const char *const banned[] = {"<script", "src=",    "url(",       "http:", "https:",  "//",
					     "<link",   "@import", "@font-face", "<img",  "<iframe", "<object",
					     "<embed",  "href=",   "xlink",      NULL};
	for (size_t i = 0; banned[i]; i++)
		test_report_html_lacks(page, banned[i]);
	test_report_html_done(&t);
}

static void test_report_html_escapes_hostile_input(void **state)
{
	(void)state;
	struct test_report_html t;
	test_report_html_sample(&t, true);
	const char *page = buf_str(&t.out);
	test_report_html_valid(page);
	test_report_html_ids(page);
	test_report_html_lacks(page, "<script");
	test_report_html_lacks(page, "<img");
	test_report_html_lacks(page, "\"&'");
	test_report_html_has(page, "&lt;script&gt;alert(1)&lt;/script&gt;");
	test_report_html_has(page, "<bdi>Gigabit &quot;&amp;&#39; schools</bdi>");
	test_report_html_has(page, "<title>Plan &quot;&amp;&#39; &lt;script&gt;");
	test_report_html_has(page, "<bdi>&lt;img src=x onerror=alert(1)&gt;</bdi>");
	test_report_html_has(page, "Theme 2: <bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>");
	test_report_html_has(page, "&ldquo;<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>&rdquo;");
	/* a bidi override in submitted text stays inside its own isolate: a narrative is a block of
	 * its own direction (dir=auto), inline text a <bdi>, so the report's words around it read as written */
	test_report_html_has(page, "<p class=\"narrative\" dir=\"auto\">" TEST_REPORT_HTML_RLO
				   "Supplier failed &lt;script&gt;");
	test_report_html_has(page, "<bdi>" TEST_REPORT_HTML_RLO "Pilot</bdi>: baseline");
	for (const char *p = strstr(page, TEST_REPORT_HTML_RLO); p; p = strstr(p + 1, TEST_REPORT_HTML_RLO)) {
		const char *open_bdi = NULL, *open_auto = NULL;
		for (const char *q = page; q < p; q++) {
			if (strncmp(q, "<bdi>", 5) == 0)
				open_bdi = q;
			else if (strncmp(q, "</bdi>", 6) == 0)
				open_bdi = NULL;
			if (strncmp(q, "dir=\"auto\">", 11) == 0)
				open_auto = q;
			else if (open_auto && strncmp(q, "</p>", 4) == 0)
				open_auto = NULL;
		}
		if (!open_bdi && !open_auto)
			fail_msg("a bidi override outside any isolate at offset %zu", (size_t)(p - page));
	}
	assert_true(test_report_html_occurs(page, "&lt;script&gt;alert(1)&lt;/script&gt;") >= 4);
	test_report_html_done(&t);
}

static void test_report_html_empty_input(void **state)
{
	(void)state;
	struct buf out = {0};
	report_html_write(&out, NULL);
	const char *page = buf_str(&out);
	test_report_html_valid(page);
	test_report_html_ids(page);
	test_report_html_has(page, ">No data<");
	test_report_html_has(page, "No project has reported a forecast against a known plan cost yet.");
	test_report_html_has(page, "No totals were available");
	test_report_html_has(page, "No project is red or amber/red, and none fell or moved.");
	test_report_html_has(page, "not available for this report");
	test_report_html_has(page, "No projects in this report.");
	test_report_html_has(page, "<h1>Action plan</h1>");
	buf_free(&out);

	struct report_html_input in = {0};
	Planreg__V1__GetStatusResponse status = PLANREG__V1__GET_STATUS_RESPONSE__INIT;
	Planreg__V1__ListOutstandingResponse none = PLANREG__V1__LIST_OUTSTANDING_RESPONSE__INIT;
	in.status = &status;
	in.outstanding = &none;
	in.plan_title = "";
	in.generated_at = "";
	report_html_write(&out, &in);
	page = buf_str(&out);
	test_report_html_valid(page);
	test_report_html_has(page, "Board report, quarter <bdi>(not given)</bdi>");
	test_report_html_has(page, "No returns are outstanding.");
	test_report_html_has(page, "No query of the Combined Authority waits for an answer past its date.");
	buf_free(&out);
}

/* A report's input whose every string and pointer is NULL, lists NULL with counts that say otherwise, and
 * lists with NULL elements. The messages point into one another, so they live together here. */
struct test_report_html_nulls {
	Planreg__V1__StatusTotals totals;
	Planreg__V1__StatusGroup group, keyless, *groups[2], *stages[2];
	Planreg__V1__CountByName nameless, *counts[2], zero, *zeros[1];
	Planreg__V1__GetStatusResponse status;
	Planreg__V1__ProjectStatus bare, *projects[2];
	Planreg__V1__Cost cost;
	Planreg__V1__PreviousReturn prev;
	Planreg__V1__VariancePct v;
	Planreg__V1__OutstandingOrganisation org, *orgs[2];
	Planreg__V1__OutstandingProject late, *lates[2];
	Planreg__V1__ListOutstandingResponse outstanding;
	Planreg__V1__Query query, *queries[2];
	char *query_leads[1];
	struct report_html_input in;
};

static void test_report_html_nulls_status(struct test_report_html_nulls *n)
{
	planreg__v1__status_totals__init(&n->totals);
	planreg__v1__status_group__init(&n->group);
	planreg__v1__count_by_name__init(&n->nameless);
	n->groups[0] = &n->group;
	n->groups[1] = NULL;
	n->counts[0] = &n->nameless;
	n->counts[1] = NULL;
	n->nameless.name = NULL;
	n->nameless.count = 4;
	n->group.key = NULL;
	n->group.name = NULL;
	n->group.by_confidence = n->counts;
	n->group.n_by_confidence = 2;
	n->group.spend_pence = -500;
	n->group.projects = 4;
	n->group.forecast_pence = 100;
	n->totals.by_theme = n->groups;
	n->totals.n_by_theme = 2;
	n->totals.by_confidence = NULL;
	n->totals.n_by_confidence = 3;
	planreg__v1__status_group__init(&n->keyless);
	n->stages[0] = &n->keyless;
	n->stages[1] = NULL;
	n->keyless.key = NULL;
	n->keyless.projects = 4;
	n->totals.by_stage = n->stages;
	n->totals.n_by_stage = 2;
	planreg__v1__get_status_response__init(&n->status);
	n->status.period = NULL;
	n->status.due = NULL;
	n->status.as_at = NULL;
	n->status.totals = &n->totals;
}

static void test_report_html_nulls_project(struct test_report_html_nulls *n)
{
	Planreg__V1__ProjectStatus *bare = &n->bare;
	planreg__v1__project_status__init(bare);
	bare->title = NULL;
	bare->objective = NULL;
	bare->lead_orgs = NULL;
	bare->n_lead_orgs = 3;
	bare->flags = NULL;
	bare->n_flags = 2;
	bare->submitted_at = NULL;
	bare->review_comment = NULL;
	bare->narrative = NULL;
	bare->update_id = 9;
	bare->confidence = (Planreg__V1__Confidence)42;
	bare->stage = (Planreg__V1__Stage)-3;
	bare->review = PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED;
	planreg__v1__cost__init(&n->cost);
	n->cost.text = NULL;
	bare->plan_cost = &n->cost;
	bare->milestones = NULL;
	bare->n_milestones = 2;
	bare->risks = NULL;
	bare->n_risks = 2;
	bare->variance_note = NULL;
	bare->end_date = NULL;
	planreg__v1__previous_return__init(&n->prev);
	n->prev.period = NULL;
	n->prev.end_date = NULL;
	n->prev.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN;
	bare->previous = &n->prev;
	planreg__v1__variance_pct__init(&n->v);
	n->v.tenths = INT32_MIN;
	bare->variance = &n->v;
	n->projects[0] = NULL;
	n->projects[1] = bare;
}

static void test_report_html_nulls_outstanding(struct test_report_html_nulls *n)
{
	planreg__v1__outstanding_organisation__init(&n->org);
	planreg__v1__outstanding_project__init(&n->late);
	n->lates[0] = &n->late;
	n->lates[1] = NULL;
	n->org.code = NULL;
	n->org.name = NULL;
	n->org.contact_email = NULL;
	n->org.projects = n->lates;
	n->org.n_projects = 2;
	n->late.title = NULL;
	n->late.why = NULL;
	n->late.review_comment = NULL;
	n->orgs[0] = NULL;
	n->orgs[1] = &n->org;
	planreg__v1__list_outstanding_response__init(&n->outstanding);
	n->outstanding.period = NULL;
	n->outstanding.due = NULL;
	n->outstanding.as_of = NULL;
	n->outstanding.organisations = n->orgs;
	n->outstanding.n_organisations = 2;
	planreg__v1__query__init(&n->query);
	n->query.period = NULL;
	n->query.section = NULL;
	n->query.comment = NULL;
	n->query.answer_by = NULL;
	n->query_leads[0] = NULL;
	n->query.lead_orgs = n->query_leads;
	n->query.n_lead_orgs = 1;
	n->queries[0] = NULL;
	n->queries[1] = &n->query;
	n->outstanding.overdue_queries = n->queries;
	n->outstanding.n_overdue_queries = 2;
}

static void test_report_html_null_fields(void **state)
{
	(void)state;
	struct test_report_html_nulls n;
	test_report_html_nulls_status(&n);
	test_report_html_nulls_project(&n);
	test_report_html_nulls_outstanding(&n);
	n.in = (struct report_html_input){
		.plan_title = NULL,
		.generated_at = NULL,
		.status = &n.status,
		.projects = n.projects,
		.n_projects = 2,
		.outstanding = &n.outstanding,
	};
	struct buf out = {0};
	report_html_write(&out, &n.in);
	const char *page = buf_str(&out);
	test_report_html_valid(page);
	test_report_html_ids(page);
	test_report_html_widths(page);
	assert_int_equal(test_report_html_occurs(page, "<tr><td class=\"ref\">"), 1);
	assert_int_equal(test_report_html_occurs(page, "<article class=\"exception\""), 1); /* it fell, to "Other" */
	test_report_html_has(page, "Theme &mdash;");
	test_report_html_has(page, ">Other<");
	test_report_html_has(page, "&minus;214748364.8%");
	test_report_html_has(page, "<li><strong>&mdash;</strong> : ");
	test_report_html_has(page, "<li><strong>Project 0</strong> (, ; ): &ldquo;&mdash;&rdquo;");
	buf_free(&out);

	/* lists NULL with counts, and a totals whose groups count only zeros: every chart says No data */
	planreg__v1__count_by_name__init(&n.zero);
	n.zeros[0] = &n.zero;
	n.zero.name = "green";
	n.group.by_confidence = n.zeros;
	n.group.n_by_confidence = 1;
	n.group.spend_pence = 0;
	n.group.projects = 0;
	n.group.forecast_pence = 0;
	n.keyless.key = "live";
	n.keyless.projects = 0;
	n.in.projects = NULL;
	n.in.n_projects = 4;
	n.outstanding.organisations = NULL;
	n.outstanding.overdue_queries = NULL;
	report_html_write(&out, &n.in);
	page = buf_str(&out);
	test_report_html_valid(page);
	test_report_html_has(page, ">No data<");
	test_report_html_has(page, "No projects in this report.");
	test_report_html_has(page, "No returns are outstanding.");
	test_report_html_has(page, "No query of the Combined Authority waits for an answer past its date.");
	buf_free(&out);
}

/* With PLANREG_REPORT_HTML_EXAMPLE=FILE, writes the sample page to FILE (to look at in a browser). */
static void test_report_html_example(void **state)
{
	(void)state;
	const char *path = getenv("PLANREG_REPORT_HTML_EXAMPLE");
	if (!path || !path[0])
		return;
	struct test_report_html t;
	test_report_html_sample(&t, false);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(t.out.data, 1, t.out.len, f), t.out.len);
	assert_int_equal(fclose(f), 0);
	test_report_html_done(&t);
}

/* A project of an earlier quarter: ref with the body's rating c (none: no return) and the CA's ca. */
static Planreg__V1__ProjectStatus *test_report_html_earlier(struct arena *a, int32_t ref, Planreg__V1__Confidence c,
							    Planreg__V1__Confidence ca)
{
	Planreg__V1__ProjectStatus *p = ARENA_NEW(a, Planreg__V1__ProjectStatus, planreg__v1__project_status__init);
	p->ref = ref;
	p->update_id = c ? 100 + ref : 0;
	p->confidence = c;
	if (ca) {
		p->assurance = ARENA_NEW(a, Planreg__V1__Assurance, planreg__v1__assurance__init);
		p->assurance->rating = ca;
	}
	return p;
}

/* A change request of project ref in state, old and new values of kind. */
static Planreg__V1__Change *test_report_html_change(struct arena *a, int32_t ref, Planreg__V1__ChangeKind kind,
						    const char *state, const char *from, const char *to)
{
	Planreg__V1__Change *c = ARENA_NEW(a, Planreg__V1__Change, planreg__v1__change__init);
	c->ref = ref;
	c->kind = kind;
	c->state = arena_strdup(a, state);
	c->old_value = arena_strdup(a, from);
	c->new_value = arena_strdup(a, to);
	c->decided_at = "2026-10-30T10:00:00Z";
	return c;
}

/* The movement counts by the CA's rating where set, else the body's; each project's trend shows four quarters
 * in order; the baselines list approved changes only; a three-point scale leaves amber_green and amber_red out. */
static void test_report_html_board(void **state)
{
	(void)state;
	struct test_report_html t;
	memset(&t, 0, sizeof t);
	Planreg__V1__GetStatusResponse status = PLANREG__V1__GET_STATUS_RESPONSE__INIT;
	status.period = "2026-Q3";
	t.in.status = &status;
	const Planreg__V1__Confidence G = PLANREG__V1__CONFIDENCE__CONFIDENCE_GREEN,
				      AG = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_GREEN,
				      A = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER,
				      AR = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_RED,
				      R = PLANREG__V1__CONFIDENCE__CONFIDENCE_RED;
	/* 1: green -> amber (fell); 2: the CA's red in Q2 -> the body's green (rose); 3: amber, the CA's green (rose)
	 */
	Planreg__V1__ProjectStatus *p1 =
		test_report_html_project(&t, 1, "One", 1, 11, A, PLANREG__V1__STAGE__STAGE_LIVE);
	test_report_html_project(&t, 2, "Two", 1, 12, G, PLANREG__V1__STAGE__STAGE_LIVE);
	Planreg__V1__ProjectStatus *p3 =
		test_report_html_project(&t, 3, "Three", 1, 13, A, PLANREG__V1__STAGE__STAGE_LIVE);
	p3->assurance = ARENA_NEW(&t.a, Planreg__V1__Assurance, planreg__v1__assurance__init);
	p3->assurance->rating = G;
	Planreg__V1__ProjectStatus *before[3][3];
	const Planreg__V1__Confidence body[3][3] = {{G, 0, 0}, {AG, 0, AR}, {G, G, A}},
				      ca[3][3] = {{0}, {0}, {0, R, 0}};
	for (int q = 0; q < 3; q++) {
		for (int i = 0; i < 3; i++)
			before[q][i] = test_report_html_earlier(&t.a, i + 1, body[q][i], ca[q][i]);
		t.in.earlier[q] = (struct rating_move_quarter){q == 0   ? "2025-Q4"
							       : q == 1 ? "2026-Q1"
									: "2026-Q2",
							       before[q], 3};
	}
	p1->original_baseline = ARENA_NEW(&t.a, Planreg__V1__Baseline, planreg__v1__baseline__init);
	p1->original_baseline->end_date = "2027-06-30";
	p1->approved_baseline = ARENA_NEW(&t.a, Planreg__V1__Baseline, planreg__v1__baseline__init);
	p1->approved_baseline->end_date = "2027-09-30";
	Planreg__V1__ListChangesResponse changes = PLANREG__V1__LIST_CHANGES_RESPONSE__INIT;
	Planreg__V1__Change *list[] = {test_report_html_change(&t.a, 1, PLANREG__V1__CHANGE_KIND__CHANGE_KIND_TIME,
							       "approved", "2027-06-30", "2027-09-30"),
				       test_report_html_change(&t.a, 1, PLANREG__V1__CHANGE_KIND__CHANGE_KIND_TIME,
							       "rejected", "2027-09-30", "2028-03-31")};
	changes.changes = list;
	changes.n_changes = 2;
	t.in.changes = &changes;
	report_html_write(&t.out, &t.in);
	const char *page = buf_str(&t.out);
	test_report_html_valid(page);
	test_report_html_has(page, "<strong>1 fell</strong>, 2 rose and 0 held their rating");
	test_report_html_has(page, "<tr><th scope=\"row\">Green</th><td>0</td><td>0</td><td class=\"fell\">1</td>");
	test_report_html_has(page, "<tr><th scope=\"row\">Red</th><td class=\"rose\">1</td>");
	test_report_html_has(page, "<tr><th scope=\"row\">Amber</th><td class=\"rose\">1</td>");
	test_report_html_has(page, "<ol class=\"trend\"><li class=\"c-green\" title=\"2025-Q4: Green\"><span "
				   "class=\"sr\">2025-Q4 </span>G</li><li class=\"c-amber-green\" title=\"2026-Q1: "
				   "Amber/Green\"><span class=\"sr\">2026-Q1 </span>A/G</li>");
	test_report_html_has(page, "<span class=\"sr\">2026-Q2 </span>R</li><li class=\"c-green\" title=\"2026-Q3: "
				   "Green\"><span class=\"sr\">2026-Q3 </span>G</li></ol>");
	test_report_html_has(page, "<tr id=\"baseline-1\"><td class=\"ref\">1</td>");
	test_report_html_has(page, "<bdi>2027-06-30</bdi> &rarr; <bdi>2027-09-30</bdi></td>");
	test_report_html_has(page, "End date <bdi>2027-06-30</bdi> &rarr; <bdi>2027-09-30</bdi>, approved <span "
				   "class=\"when\">2026-10-30</span>");
	test_report_html_lacks(page, "2028-03-31");
	assert_int_equal(test_report_html_occurs(page, "<tr id=\"baseline-"), 1);
	buf_free(&t.out);
	status.rating_scale = "three";
	report_html_write(&t.out, &t.in);
	page = buf_str(&t.out);
	test_report_html_lacks(page, "<th scope=\"row\">Amber/Green</th>");
	test_report_html_lacks(page, "<th scope=\"col\">Amber/<wbr>Red</th>");
	test_report_html_has(page, "<th scope=\"row\">Amber</th>");
	test_report_html_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_html_structure),
		cmocka_unit_test(test_report_html_financial_year),
		cmocka_unit_test(test_report_html_no_external_reference),
		cmocka_unit_test(test_report_html_escapes_hostile_input),
		cmocka_unit_test(test_report_html_empty_input),
		cmocka_unit_test(test_report_html_null_fields),
		cmocka_unit_test(test_report_html_example),
		cmocka_unit_test(test_report_html_board),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
