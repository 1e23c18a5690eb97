/* report_html.c - the board report: one self-contained HTML5 page of a period's consolidated
 * status, with inline CSS and inline SVG charts only (no script, no external reference), laid
 * out to print on A4. Every string from the input is escaped; every pointer may be NULL. */
#include "report_html.h"
#include "report_html_draw.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "values.h"

/* The charts' coordinate width; CSS scales them to the page (about 690 CSS px on A4). */
#define REPORT_HTML_CHART_W 720
/* SVG text does not wrap, so a name drawn in a chart is cut to this many characters. */
#define REPORT_HTML_LABEL_MAX 90
/* The fewest units a non-empty confidence segment is drawn, so its count fits on it. */
#define REPORT_HTML_SEGMENT_MIN 20.0

const struct report_html_conf report_html_confs[REPORT_HTML_CONF_COUNT] = {
	{"green", "Green", "c-green", "#2e7d32", "#ffffff"},
	{"amber_green", "Amber/Green", "c-amber-green", "#9ccc65", "#1a1a1a"},
	{"amber", "Amber", "c-amber", "#f9a825", "#1a1a1a"},
	{"amber_red", "Amber/Red", "c-amber-red", "#ef6c00", "#1a1a1a"},
	{"red", "Red", "c-red", "#c62828", "#ffffff"},
	{"none", "Not reported", "c-none", "#9e9e9e", "#1a1a1a"},
	{NULL, "Other", "c-other", "#616161", "#ffffff"},
};

/* The stages as people read them, indexed by enum stage: the pipeline's order. Index 0
 * collects counts under a name this version does not know. */
const char *const report_html_stage_labels[STAGE_COUNT] = {
	"Other", "Concept", "Early development", "Advanced development", "Live", "Completed", "Paused", "Cancelled",
};

/* The three amounts of the spend chart, in the order drawn. */
static const struct {
	const char *label;
	const char *fill;
} report_html_money_series[3] = {
	{"Spend", "#0d47a1"},
	{"Forecast", "#42a5f5"},
	{"Plan cost", "#cfd8dc"},
};

/* The page's style: A4, print colours kept, no fonts or images from anywhere. */
static const char report_html_css[] =
	"@page { size: A4; margin: 16mm 14mm 18mm 14mm; }\n"
	"html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
	"body { margin: 0 auto; padding: 24px 16px 48px; max-width: 182mm; background: #fff; color: #1a1a1a;\n"
	"  font: 10.5pt/1.45 \"Segoe UI\", \"Helvetica Neue\", Arial, sans-serif; }\n"
	"header.report { border-bottom: 3px solid #263238; padding-bottom: 8px; margin-bottom: 8px; }\n"
	"h1 { font-size: 20pt; line-height: 1.2; margin: 0 0 2px; }\n"
	".subtitle { font-size: 14pt; color: #37474f; margin: 0 0 6px; }\n"
	".meta { display: flex; flex-wrap: wrap; gap: 2px 24px; margin: 0; font-size: 9.5pt; color: #37474f; }\n"
	".meta div { display: flex; gap: 6px; }\n"
	".meta dt { font-weight: 600; }\n"
	".meta dd { margin: 0; }\n"
	"h2 { font-size: 14pt; margin: 20px 0 8px; padding-bottom: 3px; border-bottom: 1px solid #90a4ae;\n"
	"  break-after: avoid; }\n"
	"h3 { font-size: 11pt; margin: 0 0 4px; break-after: avoid; }\n"
	"figure { margin: 0; break-inside: avoid; }\n"
	"figcaption { font-size: 9.5pt; color: #37474f; margin-bottom: 4px; }\n"
	"svg.chart { display: block; width: 100%; height: auto; }\n"
	"svg.chart text { font-family: inherit; font-size: 12px; }\n"
	"svg.chart text.seg { font-weight: 600; }\n"
	".nodata { font-style: italic; color: #455a64; }\n"
	".tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 8px; margin: 0 0 8px;\n"
	"  break-inside: avoid; }\n"
	".tiles.money { grid-template-columns: repeat(3, 1fr); }\n"
	".tiles div { border: 1px solid #b0bec5; border-radius: 4px; padding: 4px 10px; }\n"
	".tiles dt { font-size: 9pt; color: #37474f; }\n"
	".tiles dd { margin: 0; font-size: 15pt; font-weight: 700; font-variant-numeric: tabular-nums; }\n"
	".legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 4px 0 8px;\n"
	"  font-size: 9.5pt; break-inside: avoid; }\n"
	".legend li { display: flex; align-items: center; gap: 5px; }\n"
	".badge { display: inline-block; padding: 0 6px; border: 1px solid #1a1a1a; border-radius: 3px;\n"
	"  font-size: 9pt; font-weight: 600; white-space: nowrap; }\n"
	"table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }\n"
	"caption { caption-side: top; text-align: left; color: #37474f; padding-bottom: 4px; }\n"
	"th, td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid #cfd8dc; }\n"
	"thead { display: table-header-group; }\n"
	"thead th { background: #eceff1; border-bottom: 2px solid #90a4ae; white-space: nowrap; }\n"
	"tr { break-inside: avoid; }\n"
	"th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
	"td ul { margin: 0; padding-left: 16px; }\n"
	".project { border-top: 1px solid #b0bec5; padding: 8px 0 10px; break-inside: avoid; }\n"
	"h2 + .project { border-top: 0; padding-top: 0; }\n"
	".project h3 .badge { margin-left: 6px; vertical-align: 1px; }\n"
	".facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 1px 10px;\n"
	"  margin: 4px 0 6px; font-size: 9.5pt; }\n"
	".facts dt { color: #37474f; font-weight: 600; }\n"
	".facts dd { margin: 0; }\n"
	".flag { display: inline-block; margin: 0 4px 1px 0; padding: 0 5px; border: 1px solid #6d4c41;\n"
	"  border-radius: 3px; font-size: 8.5pt; }\n"
	".narrative { white-space: pre-line; margin: 0; padding: 6px 10px; background: #f5f7f8;\n"
	"  border-left: 3px solid #90a4ae; font-size: 9.5pt; }\n"
	".narrative.none { font-style: italic; color: #455a64; }\n"
	"@media print {\n"
	"  body { max-width: none; padding: 0; font-size: 10pt; }\n"
	"  h2 { margin-top: 14px; }\n"
	"}\n";

/* s, or "" for a NULL string. */
const char *report_html_str(const char *s)
{
	return s ? s : "";
}

/* Appends at most max characters of s, HTML-escaped, and an ellipsis when it was cut.
 * Control characters other than tab and line breaks are dropped: HTML does not allow them. */
static void report_html_esc_max(struct buf *out, const char *s, size_t max)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)report_html_str(s); *p; p++) {
		if ((*p & 0xc0) != 0x80 && chars++ == max) {
			buf_puts(out, "&hellip;");
			return;
		}
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

/* Appends s HTML-escaped; fit for text and for quoted attribute values. */
void report_html_esc(struct buf *out, const char *s)
{
	report_html_esc_max(out, s, SIZE_MAX);
}

/* Appends s escaped, or a dash when it is empty. */
void report_html_esc_or_dash(struct buf *out, const char *s)
{
	if (report_html_str(s)[0])
		report_html_esc(out, s);
	else
		buf_puts(out, "&mdash;");
}

/* Appends an RFC 3339 UTC time as "2026-10-20 09:30 UTC"; anything else as given, escaped. */
void report_html_time(struct buf *out, const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd";
	s = report_html_str(s);
	size_t n = strlen(s);
	bool ok = n >= sizeof shape && s[n - 1] == 'Z';
	for (size_t i = 0; ok && i < sizeof shape - 1; i++)
		ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
	if (!ok) {
		report_html_esc_or_dash(out, s);
		return;
	}
	buf_append(out, s, 10);
	buf_putc(out, ' ');
	buf_append(out, s + 11, 5);
	buf_puts(out, " UTC");
}

/* Appends an amount of money as "£1,200,000". */
void report_html_money(struct buf *out, int64_t pence)
{
	char text[MONEY_FMT_MAX];
	money_format(pence, text);
	buf_puts(out, text);
}

/* Appends a count of projects, "1 project" or "12 projects". */
void report_html_projects_count(struct buf *out, int64_t n)
{
	buf_printf(out, "%" PRId64 " project%s", n, n == 1 ? "" : "s");
}

/* The slot in report_html_confs of a confidence name; unknown names go to "Other". */
int report_html_conf_slot(const char *name)
{
	for (int k = 0; k < REPORT_HTML_CONF_OTHER; k++)
		if (strcmp(report_html_str(name), report_html_confs[k].name) == 0)
			return k;
	return REPORT_HTML_CONF_OTHER;
}

/* Sums a list of counts by confidence name into counts[] (negative counts as 0); returns the total. */
static int64_t report_html_conf_counts(Planreg__V1__CountByName *const *list, size_t n,
				       int64_t counts[REPORT_HTML_CONF_COUNT])
{
	int64_t total = 0;
	memset(counts, 0, REPORT_HTML_CONF_COUNT * sizeof counts[0]);
	for (size_t i = 0; list && i < n; i++) {
		if (!list[i] || list[i]->count <= 0)
			continue;
		counts[report_html_conf_slot(list[i]->name)] += list[i]->count;
		total += list[i]->count;
	}
	return total;
}

/* Appends a confidence as a badge: its word on its colour. */
void report_html_badge(struct buf *out, int slot)
{
	buf_printf(out, "<span class=\"badge %s\">%s</span>", report_html_confs[slot].cls,
		   report_html_confs[slot].label);
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

/* Appends a theme group's label, "Theme 3: Digital skills", its name cut to max characters. */
static void report_html_theme_label(struct buf *out, const Planreg__V1__StatusGroup *g, size_t max)
{
	const char *key = report_html_str(g->key), *name = report_html_str(g->name);
	if (!key[0] && !name[0]) {
		buf_puts(out, "Unnamed theme");
		return;
	}
	if (key[0]) {
		buf_puts(out, "Theme ");
		report_html_esc_max(out, key, 12);
	}
	if (key[0] && name[0])
		buf_puts(out, ": ");
	report_html_esc_max(out, name, max);
}

/* The theme groups of the totals, or none. */
size_t report_html_themes(const Planreg__V1__StatusTotals *t, Planreg__V1__StatusGroup *const **groups)
{
	*groups = t ? t->by_theme : NULL;
	return t && t->by_theme ? t->n_by_theme : 0;
}

/* Appends <head> (title and style) after the doctype. */
static void report_html_head(struct buf *out, const struct report_html_input *in)
{
	const char *plan = report_html_str(in->plan_title);
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	report_html_esc(out, plan[0] ? plan : "Action plan");
	buf_puts(out, " &mdash; Quarterly status ");
	report_html_esc(out, report_html_period(in));
	buf_puts(out, "</title>\n<style>\n");
	buf_puts(out, report_html_css);
	for (int k = 0; k < REPORT_HTML_CONF_COUNT; k++)
		buf_printf(out, ".%s { background: %s; color: %s; }\n", report_html_confs[k].cls,
			   report_html_confs[k].fill, report_html_confs[k].ink);
	buf_puts(out, "</style>\n</head>\n");
}

/* Appends the page header: plan, period, due date, as-at and generated times. */
static void report_html_header(struct buf *out, const struct report_html_input *in)
{
	const Planreg__V1__GetStatusResponse *s = in->status;
	const char *plan = report_html_str(in->plan_title);
	const char *period = report_html_period(in);
	const char *due = s ? report_html_str(s->due) : "";
	if (!due[0] && in->outstanding)
		due = report_html_str(in->outstanding->due);

	buf_puts(out, "<header class=\"report\">\n<h1>");
	report_html_esc(out, plan[0] ? plan : "Action plan");
	buf_puts(out, "</h1>\n<p class=\"subtitle\">Quarterly status ");
	if (period[0])
		report_html_esc(out, period);
	else
		buf_puts(out, "(period not given)");
	buf_puts(out, "</p>\n<dl class=\"meta\">\n<div><dt>Due</dt><dd>");
	report_html_esc_or_dash(out, due);
	buf_puts(out, "</dd></div>\n<div><dt>As at</dt><dd>");
	report_html_time(out, s ? s->as_at : NULL);
	buf_puts(out, "</dd></div>\n<div><dt>Generated</dt><dd>");
	report_html_time(out, in->generated_at);
	buf_puts(out, "</dd></div>\n</dl>\n</header>\n");
}

/* Opens a section with its heading; id is a constant of this file, never input. */
void report_html_section_open(struct buf *out, const char *id, const char *heading)
{
	buf_printf(out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">%s</h2>\n", id, id, id, heading);
}

/* Appends one headline number as a tile. */
static void report_html_tile(struct buf *out, const char *label, int64_t n)
{
	buf_printf(out, "<div><dt>%s</dt><dd>%" PRId64 "</dd></div>\n", label, n);
}

/* Appends one headline amount as a tile. */
static void report_html_money_tile(struct buf *out, const char *label, int64_t pence)
{
	buf_printf(out, "<div><dt>%s</dt><dd>", label);
	report_html_money(out, pence);
	buf_puts(out, "</dd></div>\n");
}

/* Appends the headline numbers: counts, money, and confidence over every project. */
static void report_html_headline(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	report_html_section_open(out, "headline", "Headline numbers");
	if (!t) {
		buf_puts(out, "<p class=\"nodata\">No totals were available for this report.</p>\n</section>\n");
		return;
	}
	buf_puts(out, "<dl class=\"tiles\">\n");
	report_html_tile(out, "Projects", t->projects);
	report_html_tile(out, "Reported", t->reported);
	report_html_tile(out, "Outstanding", t->outstanding);
	report_html_tile(out, "Late", t->late);
	report_html_tile(out, "Returned", t->returned);
	buf_puts(out, "</dl>\n<dl class=\"tiles money\">\n");
	report_html_money_tile(out, "Total spend to date", t->spend_pence);
	report_html_money_tile(out, "Total forecast", t->forecast_pence);
	report_html_money_tile(out, "Known plan cost", t->plan_cost_pence);
	buf_puts(out, "</dl>\n<p>Delivery confidence across all projects:</p>\n<ul class=\"legend\">\n");
	int64_t counts[REPORT_HTML_CONF_COUNT];
	report_html_conf_counts(t->by_confidence, t->n_by_confidence, counts);
	for (int k = 0; k < REPORT_HTML_CONF_COUNT; k++) {
		if (k == REPORT_HTML_CONF_OTHER && counts[k] == 0)
			continue;
		buf_puts(out, "<li>");
		report_html_badge(out, k);
		buf_printf(out, " %" PRId64 "</li>\n", counts[k]);
	}
	buf_puts(out, "</ul>\n</section>\n");
}

/* Opens an accessible chart: the <svg> with its <title> first, then the <desc> (already escaped). */
static void report_html_svg_open(struct buf *out, int chart, const char *title, const char *desc, int height)
{
	buf_printf(
		out,
		"<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart%d-title\" aria-describedby=\"chart%d-desc\""
		" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">\n",
		chart, chart, REPORT_HTML_CHART_W, height, REPORT_HTML_CHART_W, height);
	buf_printf(out, "<title id=\"chart%d-title\">%s</title>\n<desc id=\"chart%d-desc\">%s</desc>\n", chart, title,
		   chart, desc);
}

/* Appends a chart that has nothing to draw: it says "No data". */
static void report_html_svg_nodata(struct buf *out, int chart, const char *title)
{
	report_html_svg_open(out, chart, title, "No data.", 40);
	buf_puts(out, "<text x=\"8\" y=\"25\" font-style=\"italic\">No data</text>\n</svg>\n");
}

/* Appends the legend of confidence colours, with the words. */
static void report_html_conf_legend(struct buf *out, bool with_other)
{
	buf_puts(out, "<ul class=\"legend\">\n");
	for (int k = 0; k < REPORT_HTML_CONF_COUNT; k++) {
		if (k == REPORT_HTML_CONF_OTHER && !with_other)
			continue;
		buf_printf(out, "<li><span class=\"badge %s\">&nbsp;</span>%s</li>\n", report_html_confs[k].cls,
			   report_html_confs[k].label);
	}
	buf_puts(out, "</ul>\n");
}

/* Appends the confidence chart's description: every theme's counts by confidence, in words. */
static void report_html_conf_desc(struct buf *desc, Planreg__V1__StatusGroup *const *groups, size_t n)
{
	buf_puts(desc, "Number of projects in each theme by delivery confidence.");
	for (size_t i = 0; i < n; i++) {
		if (!groups[i])
			continue;
		int64_t counts[REPORT_HTML_CONF_COUNT];
		int64_t total = report_html_conf_counts(groups[i]->by_confidence, groups[i]->n_by_confidence, counts);
		buf_putc(desc, ' ');
		report_html_theme_label(desc, groups[i], SIZE_MAX);
		buf_puts(desc, ": ");
		report_html_projects_count(desc, total);
		for (int k = 0; k < REPORT_HTML_CONF_COUNT; k++)
			if (counts[k] > 0)
				buf_printf(desc, ", %s %" PRId64, report_html_confs[k].label, counts[k]);
		buf_putc(desc, '.');
	}
}

/* Appends one theme's stacked bar at y: a segment per confidence with its count on it, the total after. */
static void report_html_conf_bar(struct buf *out, const int64_t counts[REPORT_HTML_CONF_COUNT], int64_t total,
				 double unit, int y)
{
	double x = 0;
	for (int k = 0; k < REPORT_HTML_CONF_COUNT; k++) {
		if (counts[k] <= 0)
			continue;
		double w = (double)counts[k] * unit;
		if (w < REPORT_HTML_SEGMENT_MIN)
			w = REPORT_HTML_SEGMENT_MIN;
		const struct report_html_conf *c = &report_html_confs[k];
		buf_printf(out,
			   "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"22\" fill=\"%s\" stroke=\"#ffffff\">"
			   "<title>%s: %" PRId64 "</title></rect>\n",
			   x, y, w, c->fill, c->label, counts[k]);
		buf_printf(out,
			   "<text class=\"seg\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%" PRId64
			   "</text>\n",
			   x + w / 2, y + 15, c->ink, counts[k]);
		x += w;
	}
	buf_printf(out, "<text x=\"%.1f\" y=\"%d\">", x + 6, y + 15);
	report_html_projects_count(out, total);
	buf_puts(out, "</text>\n");
}

/* Appends "Delivery confidence by theme": a horizontal stacked bar per theme. */
static void report_html_confidence_chart(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	static const char title[] = "Delivery confidence by theme";
	enum { row = 50, top = 6, avail = 620 };
	Planreg__V1__StatusGroup *const *groups;
	size_t n = report_html_themes(t, &groups);
	int64_t max = 0;
	bool other = false;
	for (size_t i = 0; i < n; i++) {
		if (!groups[i])
			continue;
		int64_t counts[REPORT_HTML_CONF_COUNT];
		int64_t total = report_html_conf_counts(groups[i]->by_confidence, groups[i]->n_by_confidence, counts);
		max = total > max ? total : max;
		other = other || counts[REPORT_HTML_CONF_OTHER] > 0;
	}

	report_html_section_open(out, "confidence", title);
	buf_puts(out, "<figure>\n<figcaption>Projects in each theme by their latest delivery confidence; the number "
		      "on each segment is its count of projects.</figcaption>\n");
	if (max == 0) {
		report_html_svg_nodata(out, 1, title);
		buf_puts(out, "</figure>\n</section>\n");
		return;
	}
	report_html_conf_legend(out, other);
	struct buf desc = {0};
	report_html_conf_desc(&desc, groups, n);
	report_html_svg_open(out, 1, title, buf_str(&desc), top + (int)n * row);
	buf_free(&desc);
	/* every segment is at least REPORT_HTML_SEGMENT_MIN wide, so the scale leaves room for all of them */
	double unit = (avail - REPORT_HTML_CONF_COUNT * REPORT_HTML_SEGMENT_MIN) / (double)max;
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row;
		if (!groups[i])
			continue;
		buf_printf(out, "<text x=\"0\" y=\"%d\">", y + 12);
		report_html_theme_label(out, groups[i], REPORT_HTML_LABEL_MAX);
		buf_puts(out, "</text>\n");
		int64_t counts[REPORT_HTML_CONF_COUNT];
		int64_t total = report_html_conf_counts(groups[i]->by_confidence, groups[i]->n_by_confidence, counts);
		report_html_conf_bar(out, counts, total, unit, y + 18);
	}
	buf_puts(out, "</svg>\n</figure>\n</section>\n");
}

/* Sums the projects of totals.by_stage (keyed by stage name) into counts[] by enum stage;
 * unknown names count at index 0. */
static void report_html_stage_counts(const Planreg__V1__StatusTotals *t, int64_t counts[STAGE_COUNT])
{
	memset(counts, 0, STAGE_COUNT * sizeof counts[0]);
	for (size_t i = 0; t && t->by_stage && i < t->n_by_stage; i++) {
		const Planreg__V1__StatusGroup *g = t->by_stage[i];
		if (!g || g->projects <= 0)
			continue;
		enum stage v;
		if (!g->key || !values_stage_parse(g->key, &v))
			v = STAGE_UNSPECIFIED;
		counts[v] += g->projects;
	}
}

/* Appends "Stage pipeline": a bar per stage, concept to cancelled, with its count. */
static void report_html_stage_chart(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	static const char title[] = "Stage pipeline";
	enum { row = 26, top = 4, x0 = 176, avail = 460 };
	int64_t counts[STAGE_COUNT];
	report_html_stage_counts(t, counts);
	int64_t max = 0;
	for (int v = 0; v < STAGE_COUNT; v++)
		max = counts[v] > max ? counts[v] : max;

	report_html_section_open(out, "stages", title);
	buf_puts(out, "<figure>\n<figcaption>Projects at each stage, in the order a project moves through "
		      "them.</figcaption>\n");
	if (max == 0) {
		report_html_svg_nodata(out, 2, title);
		buf_puts(out, "</figure>\n</section>\n");
		return;
	}
	/* the stages in pipeline order, then "Other" only when a name was not known */
	int order[STAGE_COUNT], n = 0;
	for (int v = 1; v < STAGE_COUNT; v++)
		order[n++] = v;
	if (counts[STAGE_UNSPECIFIED] > 0)
		order[n++] = STAGE_UNSPECIFIED;

	struct buf desc = {0};
	buf_puts(&desc, "Number of projects at each stage:");
	for (int i = 0; i < n; i++)
		buf_printf(&desc, "%s %s %" PRId64, i ? "," : "", report_html_stage_labels[order[i]], counts[order[i]]);
	buf_putc(&desc, '.');
	report_html_svg_open(out, 2, title, buf_str(&desc), top * 2 + n * row);
	buf_free(&desc);
	for (int i = 0; i < n; i++) {
		int y = top + i * row;
		double w = (double)counts[order[i]] * avail / (double)max;
		buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x0 - 8, y + 14,
			   report_html_stage_labels[order[i]]);
		if (w > 0)
			buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"#455a64\"/>\n", x0,
				   y + 1, w);
		buf_printf(out, "<text x=\"%.1f\" y=\"%d\">%" PRId64 "</text>\n", x0 + w + 6, y + 14, counts[order[i]]);
	}
	buf_puts(out, "</svg>\n</figure>\n</section>\n");
}

/* Appends the spend chart's description: every theme's three amounts, in words. */
static void report_html_spend_desc(struct buf *desc, Planreg__V1__StatusGroup *const *groups, size_t n)
{
	buf_puts(desc, "Spend to date, forecast total and known plan cost of each theme.");
	for (size_t i = 0; i < n; i++) {
		if (!groups[i])
			continue;
		buf_putc(desc, ' ');
		report_html_theme_label(desc, groups[i], SIZE_MAX);
		buf_puts(desc, ": spend ");
		report_html_money(desc, groups[i]->spend_pence);
		buf_puts(desc, ", forecast ");
		report_html_money(desc, groups[i]->forecast_pence);
		buf_puts(desc, ", plan cost ");
		report_html_money(desc, groups[i]->plan_cost_pence);
		buf_putc(desc, '.');
	}
}

/* Appends "Spend and forecast against plan by theme": three bars per theme, each with its amount. */
static void report_html_spend_chart(struct buf *out, const Planreg__V1__StatusTotals *t)
{
	static const char title[] = "Spend and forecast against plan by theme";
	enum { row = 84, top = 6, x0 = 84, avail = 470 };
	Planreg__V1__StatusGroup *const *groups;
	size_t n = report_html_themes(t, &groups);
	int64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		if (!groups[i])
			continue;
		int64_t v[3] = {groups[i]->spend_pence, groups[i]->forecast_pence, groups[i]->plan_cost_pence};
		for (int s = 0; s < 3; s++)
			max = v[s] > max ? v[s] : max;
	}

	report_html_section_open(out, "spend", title);
	buf_puts(out, "<figure>\n<figcaption>For each theme: spend to date and forecast total from the latest "
		      "returns, and the known plan cost from the register.</figcaption>\n");
	if (max == 0) {
		report_html_svg_nodata(out, 3, title);
		buf_puts(out, "</figure>\n</section>\n");
		return;
	}
	struct buf desc = {0};
	report_html_spend_desc(&desc, groups, n);
	report_html_svg_open(out, 3, title, buf_str(&desc), top + (int)n * row);
	buf_free(&desc);
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row;
		if (!groups[i])
			continue;
		buf_printf(out, "<text x=\"0\" y=\"%d\" font-weight=\"600\">", y + 12);
		report_html_theme_label(out, groups[i], REPORT_HTML_LABEL_MAX);
		buf_puts(out, "</text>\n");
		int64_t v[3] = {groups[i]->spend_pence, groups[i]->forecast_pence, groups[i]->plan_cost_pence};
		for (int s = 0; s < 3; s++) {
			int by = y + 18 + s * 20;
			double w = v[s] > 0 ? (double)v[s] * avail / (double)max : 0;
			buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", x0 - 8, by + 13,
				   report_html_money_series[s].label);
			if (w > 0)
				buf_printf(out,
					   "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\" "
					   "stroke=\"#546e7a\" stroke-width=\"0.5\"/>\n",
					   x0, by, w, report_html_money_series[s].fill);
			buf_printf(out, "<text x=\"%.1f\" y=\"%d\">", x0 + w + 6, by + 13);
			report_html_money(out, v[s]);
			buf_puts(out, "</text>\n");
		}
	}
	buf_puts(out, "</svg>\n</figure>\n</section>\n");
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
	report_html_headline(out, t);
	report_html_confidence_chart(out, t);
	report_html_stage_chart(out, t);
	report_html_outstanding(out, in->outstanding);
	report_html_spend_chart(out, t);
	report_html_projects(out, in);
	buf_puts(out, "</main>\n</body>\n</html>\n");
}
