/* report_html.c - the board report: one self-contained HTML5 page of a quarter's consolidated
 * status as a board reads it (inline CSS only: no script, no image, no external reference). Page 1
 * is the headline, each number with its definition, and the exceptions; then the movement since
 * the previous quarter, the charts, one table of every project (with its rating in each of the last
 * four quarters), the baselines with their approved changes and the returns outstanding. It
 * prints on A4 in a few pages and reflows at phone width. Every string from the input is escaped,
 * and submitted text is isolated (report_html_text); every pointer may be NULL. */
#include "report_html.h"
#include "report_html_draw.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "cli_period.h"
#include "period.h"
#include "values.h"

const struct report_html_conf report_html_confs[REPORT_HTML_CONF_COUNT] = {
	{"green", "Green", "c-green", "#2e7d32", "#ffffff", "G"},
	{"amber_green", "Amber/Green", "c-amber-green", "#9ccc65", "#1a1a1a", "A/G"},
	{"amber", "Amber", "c-amber", "#f9a825", "#1a1a1a", "A"},
	{"amber_red", "Amber/Red", "c-amber-red", "#ef6c00", "#1a1a1a", "A/R"},
	{"red", "Red", "c-red", "#c62828", "#ffffff", "R"},
	{"returned", "Returned", "c-returned", "#5e35b1", "#ffffff", "Ret"},
	{"none", "No return", "c-none", "#e0e0e0", "#1a1a1a", "&ndash;"},
	{NULL, "Other", "c-other", "#616161", "#ffffff", "?"},
};

/* The stages as people read them, indexed by enum stage: the pipeline's order. Index 0
 * collects counts under a name this version does not know. */
const char *const report_html_stage_labels[STAGE_COUNT] = {
	"Other", "Concept", "Early development", "Advanced development", "Live", "Completed", "Paused", "Cancelled",
};

/* The page's style: A4, print colours kept, no fonts or images from anywhere. No text is smaller
 * than 11 CSS px (8.5pt), at any width. Below 640 px the tables reflow or scroll in their box. */
static const char report_html_css[] =
	"@page { size: A4; margin: 13mm 12mm 14mm 12mm; }\n"
	"html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
	"*, *::before, *::after { box-sizing: border-box; }\n"
	"body { margin: 0 auto; padding: 20px 16px 40px; max-width: 64em; background: #fff; color: #1a1a1a;\n"
	"  font: 10.5pt/1.4 \"Segoe UI\", \"Helvetica Neue\", Arial, sans-serif; overflow-wrap: break-word; }\n"
	"header.report { border-bottom: 3px solid #263238; padding-bottom: 6px; margin-bottom: 6px; }\n"
	"h1 { font-size: 18pt; line-height: 1.2; margin: 0 0 2px; }\n"
	".subtitle { font-size: 13pt; color: #37474f; margin: 0 0 4px; }\n"
	".meta { display: flex; flex-wrap: wrap; gap: 0 20px; margin: 0; font-size: 9pt; color: #37474f; }\n"
	".meta div { display: flex; gap: 6px; }\n"
	".meta dt { font-weight: 600; }\n"
	".meta dd { margin: 0; }\n"
	"h2 { font-size: 13pt; margin: 16px 0 6px; padding-bottom: 2px; border-bottom: 1px solid #90a4ae;\n"
	"  break-after: avoid; }\n"
	"h3 { font-size: 10.5pt; margin: 0 0 2px; break-after: avoid; }\n"
	"p { margin: 4px 0; }\n"
	".note { font-size: 9pt; color: #37474f; }\n"
	".nodata { font-style: italic; color: #455a64; }\n"
	".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: "
	"nowrap; }\n"
	".tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; margin: 0 0 6px;\n"
	"  break-inside: avoid; }\n"
	".tiles div { border: 1px solid #b0bec5; border-radius: 4px; padding: 3px 8px; }\n"
	".tiles dt { font-size: 9pt; font-weight: 600; color: #37474f; }\n"
	".tiles dd { margin: 0; }\n"
	".tiles dd.n { font-size: 16pt; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }\n"
	".tiles dd.def { font-size: 8.5pt; line-height: 1.3; color: #37474f; }\n"
	".legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 12px; padding: 0; margin: 4px 0;\n"
	"  break-inside: avoid; }\n"
	".legend li { display: flex; align-items: center; gap: 4px; }\n"
	".badge { display: inline-block; padding: 0 5px; border: 1px solid #1a1a1a; border-radius: 3px;\n"
	"  font-size: 8.5pt; font-weight: 600; white-space: nowrap; }\n"
	".money { padding: 4px 8px; border-left: 3px solid #0d47a1; background: #f5f7f8; break-inside: avoid; }\n"
	"table { width: 100%; border-collapse: collapse; font-size: 9pt; }\n"
	"caption { caption-side: top; text-align: left; color: #37474f; padding-bottom: 3px; font-size: 9pt; }\n"
	"th, td { text-align: left; vertical-align: top; padding: 2px 4px; border-bottom: 1px solid #cfd8dc; }\n"
	"thead { display: table-header-group; }\n"
	"thead th { background: #eceff1; border-bottom: 2px solid #90a4ae; }\n"
	"tr { break-inside: avoid; }\n"
	"th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
	".scroll { overflow-x: auto; max-width: 100%; }\n"
	".exception { border-top: 1px solid #b0bec5; padding: 5px 0 6px; break-inside: avoid; }\n"
	".exception h3 .badge { margin-left: 4px; vertical-align: 1px; }\n"
	".why { margin: 0 0 3px; font-size: 9pt; }\n"
	".why strong { color: #b71c1c; }\n"
	".narrative { white-space: pre-line; margin: 3px 0; padding: 3px 8px; background: #f5f7f8;\n"
	"  border-left: 3px solid #90a4ae; font-size: 9.5pt; unicode-bidi: isolate; }\n"
	".detail { margin: 2px 0; font-size: 9pt; }\n"
	".detail dt { font-weight: 600; display: inline; }\n"
	".detail dd { display: inline; margin: 0; }\n"
	".detail ul, .detail ol { display: inline; margin: 0; padding: 0; list-style: none; }\n"
	".detail li { display: inline; }\n"
	".detail li + li::before { content: \"; \"; }\n"
	"table.matrix { width: auto; min-width: 60%; }\n"
	"table.matrix td { text-align: center; min-width: 3.2em; }\n"
	"table.matrix th { overflow-wrap: normal; }\n"
	"#movement { break-inside: avoid; }\n"
	"table.matrix td.fell { background: #ffcdd2; font-weight: 700; }\n"
	"table.matrix td.rose { background: #c8e6c9; }\n"
	"table.matrix td.same { background: #eceff1; }\n"
	".chart { margin: 4px 0 8px; break-inside: avoid; }\n"
	".chart .row { display: grid; grid-template-columns: 34% 1fr; gap: 2px 8px; align-items: center;\n"
	"  margin: 3px 0; font-size: 9pt; break-inside: avoid; }\n"
	".chart .label { line-height: 1.25; }\n"
	".chart .bar { display: flex; min-height: 1.5em; }\n"
	".chart .seg { flex: 1 1 0; min-width: 1.7em; text-align: center; font-size: 8.5pt; font-weight: 600;\n"
	"  line-height: 1.5em; border-right: 1px solid #fff; white-space: nowrap; }\n"
	".chart .pair { display: grid; grid-template-columns: max-content 1fr; gap: 1px 6px; align-items: center;\n"
	"  white-space: nowrap; }\n"
	".chart .amount { display: flex; align-items: center; gap: 6px; white-space: nowrap; }\n"
	".chart .fill { display: inline-block; height: 1.1em; border: 1px solid #546e7a; }\n"
	".chart .forecast { background: #42a5f5; }\n"
	".chart .plan { background: #cfd8dc; }\n"
	"table.projects td.title { min-width: 10em; }\n"
	"ol.trend { list-style: none; margin: 0; padding: 0; display: flex; gap: 1px; }\n"
	"ol.trend li { min-width: 2.3em; padding: 0 2px; border: 1px solid #1a1a1a; text-align: center;\n"
	"  font-size: 8.5pt; font-weight: 600; line-height: 1.35; white-space: nowrap; }\n"
	"table.baselines td { white-space: normal; }\n"
	".meter { display: inline-block; width: 5em; height: 0.8em; border: 1px solid #546e7a; vertical-align: -1px;\n"
	"  margin-right: 4px; print-color-adjust: exact; -webkit-print-color-adjust: exact; }\n"
	"table.evidence code.hash { font-size: 7.5pt; overflow-wrap: anywhere; word-break: break-all; }\n"
	"table.evidence td { overflow-wrap: anywhere; }\n"
	":is(table.indicators, table.evidence) .of { font-weight: 400; font-size: 8.5pt; color: #455a64; }\n"
	".meter span { display: block; height: 100%; background: #42a5f5; }\n"
	"ul.changes { margin: 0; padding: 0; list-style: none; }\n"
	"table.projects td.cost { white-space: normal; max-width: 7em; }\n"
	".orgs { margin: 4px 0; padding-left: 18px; font-size: 9pt; }\n"
	".orgs li { margin: 1px 0; }\n"
	"@media screen and (max-width: 640px) {\n"
	"  body { padding: 12px 10px 32px; overflow-wrap: anywhere; }\n"
	"  .tiles { grid-template-columns: repeat(2, 1fr); }\n"
	"  .chart .row { grid-template-columns: 1fr; }\n"
	"  :is(table.projects, table.baselines) thead { position: absolute; width: 1px; height: 1px;\n"
	"    overflow: hidden; clip: rect(0 0 0 0); }\n"
	"  :is(table.projects, table.baselines), :is(table.projects, table.baselines) :is(tbody, tr) {\n"
	"    display: block; width: 100%; }\n"
	"  :is(table.projects, table.baselines) caption { display: block; }\n"
	"  :is(table.projects, table.baselines) tr { padding: 4px 0; border-bottom: 1px solid #cfd8dc; }\n"
	"  :is(table.projects, table.baselines) td { display: inline-block; border: 0; padding: 0 10px 0 0;\n"
	"    text-align: left; }\n"
	"  :is(table.projects, table.baselines) :is(td.ref, td.title) { display: inline; font-weight: 600; }\n"
	"  :is(table.projects, table.baselines) td.title::after { content: \"\"; display: block; }\n"
	"  table.projects td.empty { display: none; }\n"
	"  table.projects td.cost { max-width: none; }\n"
	"  table.projects td.trend ol.trend { display: inline-flex; vertical-align: top; }\n"
	"  :is(table.projects, table.baselines) td[data-label]::before { content: attr(data-label) \": \";\n"
	"    color: #455a64; font-weight: 400; }\n"
	"}\n"
	"@media print {\n"
	"  body { max-width: none; padding: 0; font-size: 9.5pt; }\n"
	"  h2 { margin-top: 10px; }\n"
	"  table { font-size: 8.5pt; }\n"
	"  .scroll { overflow: visible; }\n"
	"}\n";

/* s, or "" for a NULL string. */
const char *report_html_str(const char *s)
{
	return s ? s : "";
}

/* Appends s HTML-escaped; fit for text and for quoted attribute values. Control characters
 * other than tab and line breaks are dropped: HTML does not allow them. */
void report_html_esc(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)report_html_str(s); *p; p++) {
		switch (*p) {
		case '&':
			buf_puts(out, "&amp;");
			break;
		case '<':
			buf_puts(out, "&lt;");
			break;
		case '>':
			buf_puts(out, "&gt;");
			break;
		case '"':
			buf_puts(out, "&quot;");
			break;
		case '\'':
			buf_puts(out, "&#39;");
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
				break;
			buf_putc(out, (char)*p);
		}
	}
}

void report_html_text(struct buf *out, const char *s)
{
	if (!report_html_str(s)[0]) {
		buf_puts(out, "&mdash;");
		return;
	}
	buf_puts(out, "<bdi>");
	report_html_esc(out, s);
	buf_puts(out, "</bdi>");
}

/* Appends an RFC 3339 UTC time as "2026-10-20 09:30 UTC"; anything else as given, isolated. */
void report_html_time(struct buf *out, const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd";
	s = report_html_str(s);
	size_t n = strlen(s);
	bool ok = n >= sizeof shape && s[n - 1] == 'Z';
	for (size_t i = 0; ok && i < sizeof shape - 1; i++)
		ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
	if (!ok) {
		report_html_text(out, s);
		return;
	}
	buf_append(out, s, 10);
	buf_putc(out, ' ');
	buf_append(out, s + 11, 5);
	buf_puts(out, " UTC");
}

void report_html_money(struct buf *out, int64_t pence)
{
	char text[MONEY_FMT_MAX];
	money_format(pence, text);
	buf_puts(out, text);
}

void report_html_money_short(struct buf *out, int64_t pence)
{
	static const struct {
		int64_t unit; /* in pounds */
		const char *suffix;
	} scale[] = {{1000000000, "bn"}, {1000000, "M"}, {1000, "k"}};
	const char *sign = pence < 0 ? "&minus;" : "";
	int64_t pounds = (pence < 0 ? -pence : pence) / 100;
	for (size_t i = 0; i < sizeof scale / sizeof scale[0]; i++) {
		if (pounds < scale[i].unit)
			continue;
		/* one decimal, rounded; none when it is .0 or the amount is large */
		int64_t tenths = (pounds * 10 + scale[i].unit / 2) / scale[i].unit;
		if (tenths % 10 == 0 || tenths >= 1000)
			buf_printf(out, "%s&pound;%" PRId64 "%s", sign, (tenths + 5) / 10, scale[i].suffix);
		else
			buf_printf(out, "%s&pound;%" PRId64 ".%" PRId64 "%s", sign, tenths / 10, tenths % 10,
				   scale[i].suffix);
		return;
	}
	buf_printf(out, "%s&pound;%" PRId64, sign, pounds);
}

void report_html_tenths(struct buf *out, long long tenths)
{
	long long mag = tenths < 0 ? -tenths : tenths;
	buf_printf(out, "%s%lld.%lld%%", tenths > 0 ? "+" : tenths < 0 ? "&minus;" : "", mag / 10, mag % 10);
}

void report_html_projects_count(struct buf *out, int64_t n)
{
	buf_printf(out, "%" PRId64 " project%s", n, n == 1 ? "" : "s");
}

int report_html_conf_slot(const char *name)
{
	for (int k = 0; k < REPORT_HTML_CONF_OTHER; k++)
		if (strcmp(report_html_str(name), report_html_confs[k].name) == 0)
			return k;
	return REPORT_HTML_CONF_OTHER;
}

int report_html_confidence_slot(Planreg__V1__Confidence c)
{
	if (c == PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED)
		return REPORT_HTML_CONF_NONE;
	return values_confidence_valid((int)c) ? (int)c - 1 : REPORT_HTML_CONF_OTHER;
}

void report_html_badge(struct buf *out, int slot)
{
	buf_printf(out, "<span class=\"badge %s\">%s</span>", report_html_confs[slot].cls,
		   report_html_confs[slot].label);
}

void report_html_leads(struct buf *out, const Planreg__V1__ProjectStatus *p)
{
	size_t shown = 0;
	for (size_t i = 0; p->lead_orgs && i < p->n_lead_orgs; i++) {
		if (!report_html_str(p->lead_orgs[i])[0])
			continue;
		buf_puts(out, shown++ ? ", " : "");
		report_html_text(out, p->lead_orgs[i]);
	}
	if (shown == 0)
		buf_puts(out, "&mdash;");
}

void report_html_stage(struct buf *out, int stage)
{
	buf_puts(out, values_stage_valid(stage) ? report_html_stage_labels[stage] : "&mdash;");
}

void report_html_previous_period(const char *period, char out[PERIOD_NAME_MAX])
{
	struct period p;
	out[0] = '\0';
	if (period_parse(report_html_str(period), &p))
		period_name(period_prev(p), cli_period_year(), out);
}

/* The period reported on: the status's, else the outstanding list's, else "". */
static const char *report_html_period(const struct report_html_input *in)
{
	if (in->status && report_html_str(in->status->period)[0])
		return in->status->period;
	if (in->outstanding)
		return report_html_str(in->outstanding->period);
	return "";
}

/* The due date in words: "2026-10-14, 14 days after the quarter ended". */
static void report_html_due(struct buf *out, const char *period, const char *due)
{
	struct period p;
	struct date d;
	if (!period_parse(report_html_str(period), &p) || !date_parse(report_html_str(due), &d)) {
		report_html_text(out, due);
		return;
	}
	int days = date_days_between(period_end(p), d);
	buf_printf(out, "%s, %d day%s after the quarter ended", due, days, days == 1 ? "" : "s");
}

/* Appends <head> (title and style) after the doctype. */
static void report_html_head(struct buf *out, const struct report_html_input *in)
{
	const char *plan = report_html_str(in->plan_title);
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	report_html_esc(out, plan[0] ? plan : "Action plan");
	buf_puts(out, " &mdash; Board report ");
	report_html_esc(out, cli_period_name(report_html_period(in)));
	buf_puts(out, "</title>\n<style>\n");
	buf_puts(out, report_html_css);
	for (int k = 0; k < REPORT_HTML_CONF_COUNT; k++)
		buf_printf(out, ".%s { background: %s; color: %s; }\n", report_html_confs[k].cls,
			   report_html_confs[k].fill, report_html_confs[k].ink);
	buf_puts(out, "</style>\n</head>\n");
}

/* The due date of the report's quarter: the status's, else the outstanding list's. */
static const char *report_html_due_date(const struct report_html_input *in)
{
	const char *due = in->status ? report_html_str(in->status->due) : "";
	if (!due[0] && in->outstanding)
		due = report_html_str(in->outstanding->due);
	return due;
}

/* Appends the page header: plan, quarter, due date, as-at and generated times. */
static void report_html_header(struct buf *out, const struct report_html_input *in)
{
	const char *plan = report_html_str(in->plan_title);
	const char *period = report_html_period(in);
	buf_puts(out, "<header class=\"report\">\n<h1>");
	if (plan[0])
		report_html_text(out, plan);
	else
		buf_puts(out, "Action plan");
	buf_puts(out, "</h1>\n<p class=\"subtitle\">Board report, quarter ");
	struct period p;
	if (period_parse(period, &p)) {
		char heading[PERIOD_HEADING_MAX];
		period_heading(p, cli_period_year(), heading); /* "FY2026/27-Q3 (October–December 2026)" */
		report_html_text(out, heading);
	} else {
		report_html_text(out, period[0] ? period : "(not given)");
	}
	buf_puts(out, "</p>\n<dl class=\"meta\">\n<div><dt>Returns due</dt><dd>");
	report_html_due(out, period, report_html_due_date(in));
	buf_puts(out, "</dd></div>\n<div><dt>As at</dt><dd>");
	report_html_time(out, in->status ? in->status->as_at : NULL);
	buf_puts(out, "</dd></div>\n<div><dt>Generated</dt><dd>");
	report_html_time(out, in->generated_at);
	buf_puts(out, "</dd></div>\n</dl>\n</header>\n");
}

/* Opens a section with its heading; id and heading are constants of the report, never input. */
void report_html_section_open(struct buf *out, const char *id, const char *heading)
{
	buf_printf(out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">%s</h2>\n", id, id, id, heading);
}

/* Opens one headline tile: its term and its number; its definition follows. */
static void report_html_tile(struct buf *out, const char *id, const char *term, int64_t n)
{
	buf_printf(out, "<div id=\"tile-%s\"><dt>%s</dt><dd class=\"n\">%" PRId64 "</dd><dd class=\"def\">", id, term,
		   n);
}

/* The count of a rating in a list of counts by name. */
static int64_t report_html_count_of(Planreg__V1__CountByName *const *list, size_t n, const char *name)
{
	int64_t total = 0;
	for (size_t i = 0; list && i < n; i++)
		if (list[i] && list[i]->count > 0 && strcmp(report_html_str(list[i]->name), name) == 0)
			total += list[i]->count;
	return total;
}

/* The four headline counts, each with what it means. */
static void report_html_tiles(struct buf *out, const struct report_html_input *in, const Planreg__V1__StatusTotals *t)
{
	int64_t none = report_html_count_of(t->by_confidence, t->n_by_confidence, "none");
	buf_puts(out, "<dl class=\"tiles\">\n");
	report_html_tile(out, "projects", "Projects", t->projects);
	buf_puts(out, "in the plan, each due one return a quarter</dd></div>\n");
	report_html_tile(out, "reported", "Reported", t->reported);
	buf_puts(out, "a return received and not sent back; the colours below add up to this</dd></div>\n");
	report_html_tile(out, "outstanding", "Outstanding", t->outstanding);
	buf_printf(out, "no return yet (%" PRId64 "), or one sent back for correction (%" PRId32 ")</dd></div>\n", none,
		   t->returned);
	report_html_tile(out, "late", "Late", t->late);
	buf_puts(out, "returns not received by the due date, ");
	report_html_due(out, report_html_period(in), report_html_due_date(in));
	buf_puts(out, ": received after it, or still outstanding</dd></div>\n</dl>\n");
}

/* The colours of the reported projects: they add up to "Reported". */
static void report_html_ratings(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	buf_printf(out,
		   "<p>The %" PRId32 " reported, by delivery confidence:</p>\n<ul class=\"legend\" id=\"ratings\">\n",
		   t->reported);
	for (int k = 0; k <= REPORT_HTML_CONF_RED; k++) {
		buf_puts(out, "<li>");
		report_html_badge(out, k);
		buf_printf(out, " <span class=\"count\">%" PRId64 "</span></li>\n",
			   report_html_count_of(t->by_confidence, t->n_by_confidence, report_html_confs[k].name));
	}
	buf_puts(out, "</ul>\n");
}

/* Money like for like: forecasts only against the plan costs of the same projects. */
static void report_html_money_line(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	buf_puts(out, "<p class=\"money\" id=\"money\"><strong>Forecast ");
	report_html_money_short(out, t->compared_forecast_pence);
	buf_puts(out, " against a plan cost of ");
	report_html_money_short(out, t->compared_plan_cost_pence);
	if (t->compared_plan_cost_pence > 0) {
		__int128 d = (__int128)(t->compared_forecast_pence - t->compared_plan_cost_pence) * 1000;
		int64_t b = t->compared_plan_cost_pence;
		buf_puts(out, " (");
		report_html_tenths(out, (long long)((d + (d < 0 ? -b / 2 : b / 2)) / b));
		buf_puts(out, ")");
	}
	buf_puts(out, "</strong>, like for like: the ");
	report_html_projects_count(out, t->compared_projects);
	buf_printf(out,
		   " reported with a forecast and a known plan cost. %" PRId32 " more reported a forecast but %s "
		   "no agreed plan cost (&ldquo;tbd&rdquo;): counted here, not compared. Spend to date, over "
		   "every return received: ",
		   t->forecast_without_plan_cost, t->forecast_without_plan_cost == 1 ? "has" : "have");
	report_html_money_short(out, t->spend_pence);
	buf_puts(out, ".</p>\n");
}

/* Appends the headline: the counts with their definitions, the colours, the money. */
static void report_html_headline(struct buf *out, const struct report_html_input *in)
{
	const Planreg__V1__StatusTotals *t = in->status ? in->status->totals : NULL;
	report_html_section_open(out, "headline", "The quarter at a glance");
	if (!t) {
		buf_puts(out, "<p class=\"nodata\">No totals were available for this report.</p>\n</section>\n");
		return;
	}
	report_html_tiles(out, in, t);
	report_html_ratings(out, t);
	report_html_money_line(out, t);
	buf_puts(out, "</section>\n");
}

/* Appends a theme group's label, "Theme 3: Digital skills". */
static void report_html_theme_label(struct buf *out, const Planreg__V1__StatusGroup *g)
{
	buf_puts(out, "Theme ");
	if (report_html_str(g->key)[0])
		report_html_esc(out, g->key); /* a number */
	else
		buf_puts(out, "&mdash;");
	if (report_html_str(g->name)[0]) {
		buf_puts(out, ": ");
		report_html_text(out, g->name);
	}
}

/* Appends the legend of the ratings' colours. */
static void report_html_legend(struct buf *out)
{
	buf_puts(out, "<ul class=\"legend\" aria-hidden=\"true\">\n");
	for (int k = 0; k < REPORT_HTML_CONF_OTHER; k++)
		buf_printf(out, "<li><span class=\"badge %s\">&nbsp;</span>%s</li>\n", report_html_confs[k].cls,
			   report_html_confs[k].label);
	buf_puts(out, "</ul>\n");
}

/* One theme's bar: a segment per rating, as wide as its count, the count on it. */
static void report_html_conf_bar(struct buf *out, const Planreg__V1__StatusGroup *g, int64_t max)
{
	int64_t total = 0;
	for (int k = 0; k < REPORT_HTML_CONF_OTHER; k++)
		total += report_html_count_of(g->by_confidence, g->n_by_confidence, report_html_confs[k].name);
	buf_puts(out, "<div class=\"row\"><div class=\"label\">");
	report_html_theme_label(out, g);
	buf_puts(out, " (");
	report_html_projects_count(out, total);
	buf_printf(out, ")</div><div class=\"bar\" style=\"width: %.1f%%\">",
		   max > 0 ? 100.0 * (double)total / (double)max : 0);
	for (int k = 0; k < REPORT_HTML_CONF_OTHER; k++) {
		int64_t n = report_html_count_of(g->by_confidence, g->n_by_confidence, report_html_confs[k].name);
		if (n > 0)
			buf_printf(out,
				   "<span class=\"seg %s\" style=\"flex-grow: %" PRId64 "\" title=\"%s\">"
				   "<span class=\"sr\">%s </span>%" PRId64 "</span>",
				   report_html_confs[k].cls, n, report_html_confs[k].label, report_html_confs[k].label,
				   n);
	}
	buf_puts(out, "</div></div>\n");
}

/* "Delivery confidence by theme": a bar per theme, every project in it. */
static void report_html_confidence_chart(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	report_html_section_open(out, "confidence", "Delivery confidence by theme");
	size_t n = t && t->by_theme ? t->n_by_theme : 0;
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (t->by_theme[i] && t->by_theme[i]->projects > max)
			max = t->by_theme[i]->projects;
	if (max == 0) {
		buf_puts(out, "<p class=\"nodata\">No data</p>\n</section>\n");
		return;
	}
	buf_puts(out, "<p class=\"note\">Every project of each theme by its rating this quarter: the colour of its "
		      "return, returned (sent back for correction), or no return. The number on a segment is its "
		      "count of projects.</p>\n");
	report_html_legend(out);
	buf_puts(out, "<div class=\"chart\">\n");
	for (size_t i = 0; i < n; i++)
		if (t->by_theme[i])
			report_html_conf_bar(out, t->by_theme[i], max);
	buf_puts(out, "</div>\n</section>\n");
}

/* One amount of the money chart: its bar, as long as its share of max, and the amount. */
static void report_html_amount(struct buf *out, const char *label, const char *cls, int64_t pence, int64_t max)
{
	buf_printf(out, "<span>%s</span><span class=\"amount\"><span class=\"fill %s\" style=\"width: %.1f%%\"></span>",
		   label, cls, max > 0 ? 70.0 * (double)pence / (double)max : 0);
	report_html_money_short(out, pence);
	buf_puts(out, "</span>");
}

/* "Forecast against plan cost by theme": like for like, each theme's compared projects only. */
static void report_html_money_chart(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	report_html_section_open(out, "spend", "Forecast against plan cost by theme, like for like");
	size_t n = t && t->by_theme ? t->n_by_theme : 0;
	int64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__StatusGroup *g = t->by_theme[i];
		if (g && g->compared_forecast_pence > max)
			max = g->compared_forecast_pence;
		if (g && g->compared_plan_cost_pence > max)
			max = g->compared_plan_cost_pence;
	}
	if (max == 0) {
		buf_puts(out,
			 "<p class=\"nodata\">No project has reported a forecast against a known plan cost yet.</p>\n"
			 "</section>\n");
		return;
	}
	buf_puts(out, "<p class=\"note\">For each theme, the forecasts of the projects reported with a known plan "
		      "cost, against those plan costs; projects whose plan cost is &ldquo;tbd&rdquo; are counted, "
		      "not drawn.</p>\n<div class=\"chart\">\n");
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__StatusGroup *g = t->by_theme[i];
		if (!g || (g->compared_projects == 0 && g->forecast_without_plan_cost == 0))
			continue;
		buf_puts(out, "<div class=\"row\"><div class=\"label\">");
		report_html_theme_label(out, g);
		buf_printf(out, " (%" PRId32 " compared", g->compared_projects);
		if (g->forecast_without_plan_cost)
			buf_printf(out, ", %" PRId32 " tbd", g->forecast_without_plan_cost);
		buf_puts(out, ")</div><div class=\"pair\">");
		report_html_amount(out, "Forecast", "forecast", g->compared_forecast_pence, max);
		report_html_amount(out, "Plan cost", "plan", g->compared_plan_cost_pence, max);
		buf_puts(out, "</div></div>\n");
	}
	buf_puts(out, "</div>\n</section>\n");
}

void report_html_write(struct buf *out, const struct report_html_input *in)
{
	static const struct report_html_input empty;
	if (!in)
		in = &empty;
	const Planreg__V1__StatusTotals *t = in->status ? in->status->totals : NULL;
	report_html_head(out, in);
	buf_puts(out, "<body>\n");
	report_html_header(out, in);
	buf_puts(out, "<main>\n");
	report_html_headline(out, in);
	report_html_exceptions(out, in);
	report_html_movement(out, in);
	report_html_confidence_chart(out, t);
	report_html_money_chart(out, t);
	report_html_projects(out, in);
	report_html_baselines(out, in);
	report_html_indicators(out, in);
	report_html_outstanding(out, in->outstanding);
	report_html_queries(out, in->outstanding);
	report_html_evidence(out, in);
	buf_puts(out, "</main>\n</body>\n</html>\n");
}
