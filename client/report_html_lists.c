/* report_html_lists.c - the board report's lists: one table of every project (ref, title, lead,
 * stage, rating, spend, forecast, plan cost, variance), the returns outstanding, one compact
 * line per organisation, and the Combined Authority's queries past their answer-by dates (report_html.c
 * draws the rest of the page). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli_period.h"
#include "report_html_draw.h"
#include "values.h"

/* The slot of a project's rating this quarter: its colour when reported, else returned or no return. */
static int report_html_rating(const Planreg__V1__ProjectStatus *p)
{
	if (p->update_id == 0)
		return REPORT_HTML_CONF_NONE;
	if (p->review == PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED)
		return REPORT_HTML_CONF_RETURNED;
	return report_html_confidence_slot(p->confidence);
}

/* A cell of money, short; a dash when not given. */
static void report_html_money_cell(struct buf *out, const char *label, const Planreg__V1__Money *m)
{
	buf_printf(out, "<td class=\"num%s\" data-label=\"%s\">", m ? "" : " empty", label);
	if (m)
		report_html_money_short(out, m->pence);
	else
		buf_puts(out, "&mdash;");
	buf_puts(out, "</td>");
}

/* One project's row. */
static void report_html_project_row(struct buf *out, const struct report_html_input *in,
				    const Planreg__V1__ProjectStatus *p)
{
	buf_printf(out, "<tr><td class=\"ref\">%" PRId32 "</td><td class=\"title\">", p->ref);
	report_html_text(out, p->title);
	buf_puts(out, "</td><td data-label=\"Lead\">");
	report_html_leads(out, p);
	buf_puts(out, "</td><td data-label=\"Stage\">");
	report_html_stage(out, p->update_id ? (int)p->stage : (int)p->register_stage);
	buf_puts(out, "</td><td>");
	report_html_badge(out, report_html_rating(p));
	/* the CA's own rating beside the body's, marked where the two disagree (docs/assurance.md) */
	buf_printf(out, "</td><td class=\"ca-rating%s\" data-label=\"CA rating\">",
		   p->ratings_differ ? " differs" : "");
	if (p->assurance && values_confidence_valid((int)p->assurance->rating)) {
		report_html_badge(out, report_html_confidence_slot(p->assurance->rating));
		if (p->ratings_differ)
			buf_puts(out, " <strong class=\"differs\">differs</strong>");
	} else {
		buf_puts(out, "&mdash;");
	}
	buf_puts(out, "</td>");
	report_html_trend_cell(out, in, p);
	report_html_money_cell(out, "Spend", p->spend_to_date);
	report_html_money_cell(out, "Forecast", p->forecast_total);
	const char *cost = p->plan_cost ? report_html_str(p->plan_cost->text) : "";
	buf_printf(out, "<td class=\"num cost%s\" data-label=\"Plan cost\">", cost[0] ? "" : " empty");
	report_html_text(out, cost);
	buf_printf(out, "</td><td class=\"num%s\" data-label=\"Variance\">", p->variance ? "" : " empty");
	if (p->variance)
		report_html_tenths(out, p->variance->tenths);
	else
		buf_puts(out, "&mdash;");
	buf_puts(out, "</td></tr>\n");
}

void report_html_projects(struct buf *out, const struct report_html_input *in)
{
	size_t n = in->projects ? in->n_projects : 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += in->projects[i] != NULL;
	report_html_section_open(out, "projects", "Every project");
	if (shown == 0) {
		buf_puts(out, "<p class=\"nodata\">No projects in this report.</p>\n</section>\n");
		return;
	}
	buf_puts(out, "<div class=\"scroll\"><table class=\"projects\"><caption>");
	report_html_projects_count(out, (int64_t)shown);
	buf_puts(out, " by reference. Stage and rating from this quarter's return (the register's stage when there "
		      "is none); CA rating: the Combined Authority's own, marked where it differs from the lead "
		      "body's; spend to date and forecast from the return; plan cost as the plan gives it; variance: "
		      "the forecast beyond the plan cost (a range counts from its ends).");
	report_html_trend_caption(out, in);
	buf_puts(out, "</caption>\n<thead><tr><th scope=\"col\">Ref</th><th scope=\"col\">Project</th><th "
		      "scope=\"col\">Lead</th>"
		      "<th scope=\"col\">Stage</th><th scope=\"col\">Rating</th><th scope=\"col\">CA rating</th>");
	if (report_html_has_trend(in))
		buf_puts(out, "<th scope=\"col\">Trend</th>");
	buf_puts(out, "<th scope=\"col\" class=\"num\">Spend</th>"
		      "<th scope=\"col\" class=\"num\">Forecast</th><th scope=\"col\" class=\"num\">Plan cost</th>"
		      "<th scope=\"col\" class=\"num\">Variance</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++)
		if (in->projects[i])
			report_html_project_row(out, in, in->projects[i]);
	buf_puts(out, "</tbody></table></div>\n</section>\n");
}

/* One organisation's line: its code and name, then its outstanding projects by ref. */
static void report_html_outstanding_org(struct buf *out, const Planreg__V1__OutstandingOrganisation *o)
{
	buf_puts(out, "<li><strong>");
	report_html_text(out, o->code);
	buf_puts(out, "</strong> ");
	if (report_html_str(o->name)[0])
		report_html_text(out, o->name);
	buf_puts(out, ": ");
	size_t shown = 0;
	for (size_t i = 0; o->projects && i < o->n_projects; i++) {
		const Planreg__V1__OutstandingProject *p = o->projects[i];
		if (!p)
			continue;
		buf_printf(out, "%s%" PRId32, shown++ ? ", " : "", p->ref);
		if (strcmp(report_html_str(p->why), "returned") == 0) {
			buf_puts(out, " (sent back");
			if (report_html_str(p->review_comment)[0]) {
				buf_puts(out, ": &ldquo;");
				report_html_text(out, p->review_comment);
				buf_puts(out, "&rdquo;");
			}
			buf_puts(out, ")");
		}
	}
	buf_puts(out, shown ? "</li>\n" : "&mdash;</li>\n");
}

void report_html_outstanding(struct buf *out, const Planreg__V1__ListOutstandingResponse *o)
{
	report_html_section_open(out, "outstanding", "Returns outstanding");
	if (!o) {
		buf_puts(out, "<p class=\"nodata\">The outstanding returns were not available for this report.</p>\n"
			      "</section>\n");
		return;
	}
	size_t n = o->organisations ? o->n_organisations : 0, orgs = 0;
	int32_t days = 0;
	for (size_t i = 0; i < n; i++)
		if (o->organisations[i]) {
			orgs++;
			if (o->organisations[i]->days_late > days) /* the same for every organisation */
				days = o->organisations[i]->days_late;
		}
	if (orgs == 0) {
		buf_puts(out, "<p>No returns are outstanding.</p>\n</section>\n");
		return;
	}
	buf_puts(out, "<p class=\"note\">As of ");
	report_html_text(out, o->as_of);
	buf_puts(out, ": ");
	report_html_projects_count(out, o->projects);
	buf_printf(out, " at %zu organisation%s, ", orgs, orgs == 1 ? "" : "s");
	if (days > 0)
		buf_printf(out, "%" PRId32 " day%s after the due date (", days, days == 1 ? "" : "s");
	else
		buf_puts(out, "not due yet (due ");
	report_html_text(out, o->due);
	buf_puts(out,
		 "). A co-led project is listed under each of its leads and counted once.</p>\n<ul class=\"orgs\">\n");
	for (size_t i = 0; i < n; i++)
		if (o->organisations[i])
			report_html_outstanding_org(out, o->organisations[i]);
	buf_puts(out, "</ul>\n</section>\n");
}

/* One query: the project, the quarter and the part queried, the lead bodies, the question and its date. */
static void report_html_query(struct buf *out, const Planreg__V1__Query *q)
{
	buf_printf(out, "<li><strong>Project %" PRId32 "</strong> (", q->ref);
	report_html_esc(out, cli_period_name(report_html_str(q->period)));
	buf_puts(out, ", ");
	report_html_esc(out, report_html_str(q->section));
	for (size_t i = 0; q->lead_orgs && i < q->n_lead_orgs; i++) {
		buf_puts(out, i ? ", " : "; ");
		report_html_esc(out, q->lead_orgs[i]);
	}
	buf_puts(out, "): &ldquo;");
	report_html_text(out, report_html_str(q->comment));
	buf_puts(out, "&rdquo; &mdash; answer wanted by ");
	report_html_esc(out, report_html_str(q->answer_by));
	buf_printf(out, " (query %" PRId64 ")</li>\n", q->id);
}

void report_html_queries(struct buf *out, const Planreg__V1__ListOutstandingResponse *o)
{
	report_html_section_open(out, "queries", "Queries past their answer-by date");
	size_t n = o && o->overdue_queries ? o->n_overdue_queries : 0;
	if (!o) {
		buf_puts(out, "<p class=\"nodata\">The queries were not available for this report.</p>\n</section>\n");
		return;
	}
	if (n == 0) {
		buf_puts(out, "<p>No query of the Combined Authority waits for an answer past its date.</p>\n"
			      "</section>\n");
		return;
	}
	buf_printf(out,
		   "<p class=\"note\">%zu quer%s on one part of a return, of any quarter, still waiting for the lead "
		   "body&rsquo;s answer after the day it was wanted by.</p>\n<ul class=\"orgs\">\n",
		   n, n == 1 ? "y" : "ies");
	for (size_t i = 0; i < n; i++)
		if (o->overdue_queries[i])
			report_html_query(out, o->overdue_queries[i]);
	buf_puts(out, "</ul>\n</section>\n");
}
