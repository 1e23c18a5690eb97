/* report_html_exceptions.c - what the board must look at first: the exceptions (red and amber/red
 * projects, every project whose rating fell, that the Combined Authority rates lower than its lead body
 * does, or whose forecast cost or end date moved since the previous quarter, each with its narrative, variance note,
 * slipped milestones and top risks), and the movement of ratings between the previous quarter and this one. A project's
 * end date is the latest date of its return's milestones (achieved, else forecast), as the server gives it. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_period.h"
#include "period.h"
#include "report_html_draw.h"
#include "values.h"

#define REPORT_HTML_TOP_RISKS 3

/* Why a project is an exception, most serious first; NOT_EXCEPTION when it is none. */
enum report_html_why { WHY_RED, WHY_AMBER_RED, WHY_FELL, WHY_CA_LOWER, WHY_MOVED, NOT_EXCEPTION };

/* How a project moved since the previous quarter (both sides must have a return). */
struct report_html_moves {
	bool fell;
	bool forecast;
	bool end_date;
};

static struct report_html_moves report_html_moves_of(const Planreg__V1__ProjectStatus *p)
{
	struct report_html_moves m = {false, false, false};
	const Planreg__V1__PreviousReturn *pr = p->previous;
	if (p->update_id == 0 || pr == NULL)
		return m;
	m.fell = pr->confidence != PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED && p->confidence > pr->confidence;
	m.forecast = p->forecast_total && pr->forecast_total && p->forecast_total->pence != pr->forecast_total->pence;
	m.end_date = report_html_str(p->end_date)[0] && report_html_str(pr->end_date)[0] &&
		     strcmp(p->end_date, pr->end_date) != 0;
	return m;
}

/* The Combined Authority's rating of this return is worse than the lead body's own (both on the deployment's scale). */
static bool report_html_ca_lower(const Planreg__V1__ProjectStatus *p)
{
	return p->ratings_differ && p->assurance && values_confidence_valid((int)p->assurance->rating) &&
	       values_confidence_valid((int)p->confidence) && p->assurance->rating > p->confidence;
}

static enum report_html_why report_html_why_of(const Planreg__V1__ProjectStatus *p)
{
	if (p->update_id == 0)
		return NOT_EXCEPTION;
	if (p->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_RED)
		return WHY_RED;
	if (p->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_RED)
		return WHY_AMBER_RED;
	struct report_html_moves m = report_html_moves_of(p);
	if (m.fell)
		return WHY_FELL;
	if (report_html_ca_lower(p))
		return WHY_CA_LOWER;
	return m.forecast || m.end_date ? WHY_MOVED : NOT_EXCEPTION;
}

static int report_html_exception_cmp(const void *a, const void *b)
{
	const Planreg__V1__ProjectStatus *x = *(Planreg__V1__ProjectStatus *const *)a;
	const Planreg__V1__ProjectStatus *y = *(Planreg__V1__ProjectStatus *const *)b;
	int wx = (int)report_html_why_of(x), wy = (int)report_html_why_of(y);
	if (wx != wy)
		return wx - wy;
	return (x->ref > y->ref) - (x->ref < y->ref);
}

/* The days from one YYYY-MM-DD to another; false unless both are dates. */
static bool report_html_days(const char *from, const char *to, int *days)
{
	struct date a, b;
	if (!date_parse(report_html_str(from), &a) || !date_parse(report_html_str(to), &b))
		return false;
	*days = date_days_between(a, b);
	return true;
}

/* "forecast up £0.8M (+11.1%) to £8M" */
static void report_html_forecast_move(struct buf *out, const Planreg__V1__Money *from, const Planreg__V1__Money *to)
{
	int64_t d = to->pence - from->pence;
	buf_puts(out, d > 0 ? "forecast up " : "forecast down ");
	report_html_money_short(out, d > 0 ? d : -d);
	if (from->pence > 0) {
		buf_puts(out, " (");
		report_html_tenths(out, (long long)((__int128)d * 1000 / from->pence));
		buf_puts(out, ")");
	}
	buf_puts(out, " from ");
	report_html_money_short(out, from->pence);
	buf_puts(out, " to ");
	report_html_money_short(out, to->pence);
}

/* The reasons of an exception, in words: "Red; rating fell from Amber to Red; ...". */
static void report_html_reasons(struct buf *out, const Planreg__V1__ProjectStatus *p, const char *prev)
{
	struct report_html_moves m = report_html_moves_of(p);
	const char *sep = "";
	if (p->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_RED ||
	    p->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER_RED) {
		buf_printf(out, "<strong>%s</strong>",
			   report_html_confs[report_html_confidence_slot(p->confidence)].label);
		if (p->previous == NULL)
			buf_printf(out, " (no return for %s)", prev);
		else if (p->previous->confidence == p->confidence)
			buf_printf(out, " (as in %s)", prev);
		sep = "; ";
	}
	if (m.fell) {
		buf_printf(out, "%s<strong>rating fell</strong> from %s in %s to %s", sep,
			   report_html_confs[report_html_confidence_slot(p->previous->confidence)].label, prev,
			   report_html_confs[report_html_confidence_slot(p->confidence)].label);
		sep = "; ";
	}
	if (report_html_ca_lower(p)) {
		buf_printf(out, "%s<strong>the Combined Authority rates it %s</strong>", sep,
			   report_html_confs[report_html_confidence_slot(p->assurance->rating)].label);
		sep = "; ";
	}
	if (m.forecast) {
		buf_puts(out, sep);
		report_html_forecast_move(out, p->previous->forecast_total, p->forecast_total);
		sep = "; ";
	}
	int days;
	if (m.end_date && report_html_days(p->previous->end_date, p->end_date, &days)) {
		buf_printf(out, "%send date moved from %s to %s (%d day%s %s)", sep, p->previous->end_date, p->end_date,
			   abs(days), abs(days) == 1 ? "" : "s", days > 0 ? "later" : "earlier");
		sep = "; ";
	}
	if (p->review == PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED)
		buf_printf(out, "%sthe return was sent back for correction", sep);
}

/* The facts line of an exception: lead, stage, money. */
static void report_html_exception_facts(struct buf *out, const Planreg__V1__ProjectStatus *p)
{
	buf_puts(out, "<p class=\"detail\">Lead ");
	report_html_leads(out, p);
	buf_puts(out, " &middot; stage ");
	report_html_stage(out, (int)p->stage);
	buf_puts(out, " &middot; spend ");
	if (p->spend_to_date)
		report_html_money_short(out, p->spend_to_date->pence);
	else
		buf_puts(out, "not given");
	buf_puts(out, " &middot; forecast ");
	if (p->forecast_total)
		report_html_money_short(out, p->forecast_total->pence);
	else
		buf_puts(out, "not given");
	buf_puts(out, " &middot; plan cost ");
	report_html_text(out, p->plan_cost ? p->plan_cost->text : NULL);
	buf_puts(out, "</p>\n");
}

/* The milestones forecast later than their baseline and not achieved. */
static void report_html_slipped(struct buf *out, const Planreg__V1__ProjectStatus *p)
{
	size_t shown = 0;
	for (size_t i = 0; p->milestones && i < p->n_milestones; i++) {
		const Planreg__V1__Milestone *m = p->milestones[i];
		int days;
		if (!m || m->achieved || !m->baseline || !m->forecast ||
		    !report_html_days(m->baseline->iso, m->forecast->iso, &days) || days <= 0)
			continue;
		buf_puts(out, shown++ ? "</li><li>" : "<dl class=\"detail\"><dt>Slipped milestones:</dt> <dd><ul><li>");
		report_html_text(out, m->title);
		buf_printf(out, ": baseline %s, now forecast %s (%d day%s late)", m->baseline->iso, m->forecast->iso,
			   days, days == 1 ? "" : "s");
	}
	if (shown)
		buf_puts(out, "</li></ul></dd></dl>\n");
}

/* The first REPORT_HTML_TOP_RISKS risks of the return (the return lists the most important first). */
static void report_html_risks(struct buf *out, const Planreg__V1__ProjectStatus *p)
{
	size_t n = p->risks ? p->n_risks : 0;
	if (n == 0)
		return;
	buf_puts(out, "<dl class=\"detail\"><dt>Top risks:</dt> <dd><ol>");
	for (size_t i = 0; i < n && i < REPORT_HTML_TOP_RISKS; i++) {
		buf_puts(out, "<li>");
		report_html_text(out, p->risks[i]);
		buf_puts(out, "</li>");
	}
	buf_puts(out, "</ol>");
	if (n > REPORT_HTML_TOP_RISKS)
		buf_printf(out, " (and %zu more in the return)", n - REPORT_HTML_TOP_RISKS);
	buf_puts(out, "</dd></dl>\n");
}

/* One exception: heading, why, facts, narrative, variance note, slipped milestones, top risks. */
static void report_html_exception(struct buf *out, const Planreg__V1__ProjectStatus *p, const char *prev)
{
	buf_printf(out, "<article class=\"exception\" id=\"exception-%" PRId32 "\">\n<h3>%" PRId32 ". ", p->ref,
		   p->ref);
	report_html_text(out, p->title);
	buf_puts(out, " ");
	report_html_badge(out, report_html_confidence_slot(p->confidence));
	buf_puts(out, "</h3>\n<p class=\"why\">");
	report_html_reasons(out, p, prev);
	buf_puts(out, "</p>\n");
	report_html_exception_facts(out, p);
	if (report_html_str(p->narrative)[0]) {
		buf_puts(out, "<p class=\"narrative\" dir=\"auto\">");
		report_html_esc(out, p->narrative);
		buf_puts(out, "</p>\n");
	}
	if (report_html_str(p->variance_note)[0]) {
		buf_puts(out, "<dl class=\"detail\"><dt>Variance note:</dt> <dd>");
		report_html_text(out, p->variance_note);
		buf_puts(out, "</dd></dl>\n");
	}
	if (p->ratings_differ && p->assurance && report_html_str(p->assurance->rationale)[0]) {
		buf_printf(out, "<dl class=\"detail\"><dt>The Combined Authority's rating, %s:</dt> <dd>",
			   report_html_confs[report_html_confidence_slot(p->assurance->rating)].label);
		report_html_text(out, p->assurance->rationale);
		buf_puts(out, "</dd></dl>\n");
	}
	if (p->review == PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED && report_html_str(p->review_comment)[0]) {
		buf_puts(out, "<dl class=\"detail\"><dt>Sent back:</dt> <dd>");
		report_html_text(out, p->review_comment);
		buf_puts(out, "</dd></dl>\n");
	}
	report_html_slipped(out, p);
	report_html_risks(out, p);
	buf_puts(out, "</article>\n");
}

void report_html_exceptions(struct buf *out, const struct report_html_input *in)
{
	char prev[PERIOD_NAME_MAX];
	report_html_previous_period(in->status ? in->status->period : NULL, prev);
	size_t n = in->projects ? in->n_projects : 0, k = 0;
	const Planreg__V1__ProjectStatus **list = calloc(n + 1, sizeof *list);
	for (size_t i = 0; list && i < n; i++)
		if (in->projects[i] && report_html_why_of(in->projects[i]) != NOT_EXCEPTION)
			list[k++] = in->projects[i];
	report_html_section_open(out, "exceptions", "Exceptions");
	buf_printf(out,
		   "<p class=\"note\">Red and amber/red projects, then every project whose rating fell, that the "
		   "Combined Authority rates lower than its lead body does, or whose forecast cost or end date (its "
		   "latest milestone date) moved since %s: ",
		   prev[0] ? prev : "the previous quarter");
	report_html_projects_count(out, (int64_t)k);
	buf_puts(out, ".</p>\n");
	if (k == 0)
		buf_puts(out, "<p>No project is red or amber/red, and none fell or moved.</p>\n");
	qsort(list, k, sizeof *list, report_html_exception_cmp);
	for (size_t i = 0; i < k; i++)
		report_html_exception(out, list[i], prev[0] ? prev : "the previous quarter");
	free(list);
	buf_puts(out, "</section>\n");
}

/* ---------------------------------------------------------------- movement */

/* The matrix's rows and columns: rating_move.c's axis, green to red, then no return. */
static const int report_html_axis[RATING_MOVE_AXIS] = {0, 1, 2, 3, REPORT_HTML_CONF_RED, REPORT_HTML_CONF_NONE};
#define REPORT_HTML_AXIS RATING_MOVE_AXIS

/* One row of the matrix: the projects rated r last quarter, by this quarter's rating. */
static void report_html_matrix_row(struct buf *out, size_t r, const int64_t cells[][REPORT_HTML_AXIS],
				   const char *scale)
{
	if (!rating_move_on_scale((int)r, scale))
		return;
	buf_printf(out, "<tr><th scope=\"row\">%s</th>", report_html_confs[report_html_axis[r]].label);
	for (size_t c = 0; c < REPORT_HTML_AXIS; c++) {
		if (!rating_move_on_scale((int)c, scale))
			continue;
		bool colours =
			report_html_axis[r] <= REPORT_HTML_CONF_RED && report_html_axis[c] <= REPORT_HTML_CONF_RED;
		const char *cls = !colours || cells[r][c] == 0 ? ""
				  : c > r                      ? " class=\"fell\""
				  : c < r                      ? " class=\"rose\""
							       : " class=\"same\"";
		buf_printf(out, "<td%s>%" PRId64 "</td>", cls, cells[r][c]);
	}
	buf_puts(out, "</tr>\n");
}

void report_html_movement(struct buf *out, const struct report_html_input *in)
{
	const char *period = in->status ? report_html_str(in->status->period) : "";
	char prev[PERIOD_NAME_MAX];
	report_html_previous_period(period, prev);
	struct rating_move_quarter now = {period, in->projects, in->n_projects};
	struct rating_move_matrix m;
	rating_move_count(in->earlier[2].projects ? &in->earlier[2] : NULL, &now, &m);
	const char *scale = in->status ? in->status->rating_scale : NULL;
	report_html_section_open(out, "movement", "Movement since the previous quarter");
	buf_printf(out,
		   "<p>Of the projects rated in both quarters, <strong>%" PRId64 " fell</strong>, %" PRId64
		   " rose and %" PRId64 " held their rating (<span class=\"rating-rule\">the Combined "
		   "Authority's rating where it set one, else the lead body's</span>).</p>\n",
		   m.fell, m.rose, m.held);
	buf_printf(out,
		   "<div class=\"scroll\"><table class=\"matrix\"><caption>Rows: the rating in %s; columns: "
		   "the rating in ",
		   prev[0] ? prev : "the previous quarter");
	report_html_text(out, period[0] ? cli_period_name(period) : "this quarter");
	buf_printf(
		out,
		" (each quarter's latest return, rated by the Combined Authority where it rated it, else by the lead "
		"body; a return sent back counts by its colour here; <code>planreg status movement</code> counts "
		"the same). Red cells fell, green cells rose.</caption>\n"
		"<thead><tr><th scope=\"col\">%s &rarr; ",
		prev);
	report_html_text(out, cli_period_name(period));
	buf_puts(out, "</th>");
	for (size_t c = 0; c < REPORT_HTML_AXIS; c++) {
		if (!rating_move_on_scale((int)c, scale))
			continue;
		const char *label = report_html_confs[report_html_axis[c]].label, *slash = strchr(label, '/');
		if (slash) /* "Amber/Green" may break after its slash on a phone */
			buf_printf(out, "<th scope=\"col\">%.*s<wbr>%s</th>", (int)(slash - label + 1), label,
				   slash + 1);
		else
			buf_printf(out, "<th scope=\"col\">%s</th>", label);
	}
	buf_puts(out, "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < REPORT_HTML_AXIS; r++)
		report_html_matrix_row(out, r, (const int64_t(*)[REPORT_HTML_AXIS])m.cells, scale);
	buf_puts(out, "</tbody></table></div>\n</section>\n");
}
