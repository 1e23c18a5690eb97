/* report_html_lists.c - the board report's lists: the outstanding returns by
 * organisation, and the entry of each project with its latest return,
 * confidence, stage, money against plan and flags (report_html.c draws the
 * head, the headline figures and the charts). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "report_html_draw.h"

/* Appends the reviewer's comment on a returned update, in quotes after lead (nothing when there is none). */
static void report_html_comment(struct buf *out, const char *lead, const char *comment)
{
	if (report_html_str(comment)[0] == '\0')
		return;
	buf_puts(out, lead);
	buf_puts(out, "&ldquo;");
	report_html_esc(out, comment);
	buf_puts(out, "&rdquo;");
}

/* Appends one outstanding project as a list item: ref, title and why, with the CA's comment. */
static void report_html_outstanding_project(struct buf *out, const Planreg__V1__OutstandingProject *p)
{
	const char *why = report_html_str(p->why);
	buf_printf(out, "<li>%" PRId32 ". ", p->ref);
	report_html_esc(out, p->title);
	buf_puts(out, ": ");
	if (strcmp(why, "never_reported") == 0) {
		buf_puts(out, "never reported");
	} else if (strcmp(why, "returned") == 0) {
		buf_puts(out, "returned");
		report_html_comment(out, " &mdash; ", p->review_comment);
	} else {
		report_html_esc_or_dash(out, why);
	}
	buf_puts(out, "</li>\n");
}

/* Appends one organisation's row of the outstanding table. */
static void report_html_outstanding_row(struct buf *out, const Planreg__V1__OutstandingOrganisation *o)
{
	buf_puts(out, "<tr><th scope=\"row\">");
	report_html_esc_or_dash(out, o->code);
	buf_puts(out, "</th><td>");
	report_html_esc_or_dash(out, o->name);
	buf_puts(out, "</td><td>");
	report_html_esc_or_dash(out, o->contact_email);
	buf_printf(out, "</td><td class=\"num\">%" PRId32 "</td><td>", o->days_late);
	size_t n = o->projects ? o->n_projects : 0, shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!o->projects[i])
			continue;
		if (shown++ == 0)
			buf_puts(out, "<ul>\n");
		report_html_outstanding_project(out, o->projects[i]);
	}
	buf_puts(out, shown ? "</ul>" : "&mdash;");
	buf_puts(out, "</td></tr>\n");
}

/* Appends "Outstanding returns by organisation": a table, one row per organisation. */
void report_html_outstanding(struct buf *out, const Planreg__V1__ListOutstandingResponse *o)
{
	report_html_section_open(out, "outstanding", "Outstanding returns by organisation");
	if (!o) {
		buf_puts(out, "<p class=\"nodata\">The outstanding returns were not available for this report.</p>\n"
			      "</section>\n");
		return;
	}
	size_t n = o->organisations ? o->n_organisations : 0, projects = 0, orgs = 0;
	/* a co-led project is listed under each lead but counted once */
	unsigned char seen[(REPORT_HTML_MAX_REF + 8) / 8] = {0};
	for (size_t i = 0; i < n; i++) {
		const Planreg__V1__OutstandingOrganisation *org = o->organisations[i];
		if (!org)
			continue;
		orgs++;
		for (size_t k = 0; org->projects && k < org->n_projects; k++) {
			int ref = org->projects[k] ? org->projects[k]->ref : -1;
			if (ref < 0 || ref > REPORT_HTML_MAX_REF) {
				projects++;
			} else if (!(seen[ref / 8] & (1u << (ref % 8)))) {
				seen[ref / 8] |= (unsigned char)(1u << (ref % 8));
				projects++;
			}
		}
	}
	if (orgs == 0) {
		buf_puts(out, "<p>No returns are outstanding.</p>\n</section>\n");
		return;
	}
	buf_puts(out, "<table>\n<caption>Returns outstanding for ");
	report_html_esc_or_dash(out, o->period);
	buf_puts(out, ", due ");
	report_html_esc_or_dash(out, o->due);
	buf_puts(out, ", as of ");
	report_html_esc_or_dash(out, o->as_of);
	buf_printf(out, ": %zu organisation%s, ", orgs, orgs == 1 ? "" : "s");
	report_html_projects_count(out, (int64_t)projects);
	buf_puts(out, ".</caption>\n<thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Organisation</th>"
		      "<th scope=\"col\">Contact</th><th scope=\"col\" class=\"num\">Days late</th>"
		      "<th scope=\"col\">Outstanding projects and why</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++)
		if (o->organisations[i])
			report_html_outstanding_row(out, o->organisations[i]);
	buf_puts(out, "</tbody>\n</table>\n</section>\n");
}

/* The name of a project's theme from the totals, or NULL when it is not there. */
static const char *report_html_theme_name(const Planreg__V1__StatusTotals *t, int32_t theme)
{
	Planreg__V1__StatusGroup *const *groups;
	size_t n = report_html_themes(t, &groups);
	char key[16];
	snprintf(key, sizeof key, "%" PRId32, theme);
	for (size_t i = 0; i < n; i++)
		if (groups[i] && strcmp(report_html_str(groups[i]->key), key) == 0)
			return report_html_str(groups[i]->name);
	return NULL;
}

/* The slot in report_html_confs of a project's confidence: "not reported" without a return. */
static int report_html_project_conf(const Planreg__V1__ProjectStatus *p)
{
	if (p->update_id == 0 || p->confidence == PLANREG__V1__CONFIDENCE__CONFIDENCE_UNSPECIFIED)
		return REPORT_HTML_CONF_NONE;
	return report_html_conf_slot(values_confidence_name((enum confidence)p->confidence));
}

/* Appends a stage by its people's name; a dash when not given. */
static void report_html_stage(struct buf *out, int stage)
{
	if (values_stage_valid(stage))
		buf_puts(out, report_html_stage_labels[stage]);
	else
		buf_puts(out, "&mdash;");
}

/* Appends a term and opens its description in a project's facts. */
static void report_html_fact(struct buf *out, const char *term)
{
	buf_printf(out, "</dd>\n<dt>%s</dt><dd>", term);
}

/* Appends a variance in tenths of a percent as "+31.9%", with integer maths. */
static void report_html_variance(struct buf *out, const Planreg__V1__VariancePct *v)
{
	if (!v) {
		buf_puts(out, "Not available");
		return;
	}
	int64_t t = v->tenths;
	int64_t mag = t < 0 ? -t : t;
	buf_printf(out, "%s%" PRId64 ".%" PRId64 "%%", t > 0 ? "+" : t < 0 ? "&minus;" : "", mag / 10, mag % 10);
}

/* Appends a project's plan cost: as the plan printed it, else its minimum, else a dash. */
static void report_html_plan_cost(struct buf *out, const Planreg__V1__Cost *c)
{
	if (c && report_html_str(c->text)[0])
		report_html_esc(out, c->text);
	else if (c && c->min)
		report_html_money(out, c->min->pence);
	else
		buf_puts(out, "&mdash;");
}

/* Appends a project's return: when, timeliness and the CA's review. */
static void report_html_project_return(struct buf *out, const Planreg__V1__ProjectStatus *p)
{
	report_html_fact(out, "Revision");
	if (p->update_id != 0)
		buf_printf(out, "%" PRId32, p->revision);
	else
		buf_puts(out, "&mdash;");
	report_html_fact(out, "Submitted");
	report_html_time(out, p->update_id != 0 ? p->submitted_at : NULL);
	report_html_fact(out, "Timeliness");
	if (p->update_id == 0)
		buf_puts(out, p->late ? "Not reported, late" : "Not reported yet");
	else
		buf_puts(out, p->on_time ? "On time" : "Late");
	report_html_fact(out, "Review");
	if (p->update_id == 0) {
		buf_puts(out, "&mdash;");
	} else if (p->review == PLANREG__V1__REVIEW_STATE__REVIEW_ACCEPTED) {
		buf_puts(out, "Accepted");
	} else if (p->review == PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED) {
		buf_puts(out, "Returned");
		report_html_comment(out, ": ", p->review_comment);
	} else {
		buf_puts(out, "Not yet reviewed");
	}
}

/* Appends a project's money: spend, forecast, plan cost and variance. */
static void report_html_project_money(struct buf *out, const Planreg__V1__ProjectStatus *p)
{
	report_html_fact(out, "Spend / forecast");
	if (p->spend_to_date)
		report_html_money(out, p->spend_to_date->pence);
	else
		buf_puts(out, "not given");
	buf_puts(out, " / ");
	if (p->forecast_total)
		report_html_money(out, p->forecast_total->pence);
	else
		buf_puts(out, "not given");
	report_html_fact(out, "Plan cost");
	report_html_plan_cost(out, p->plan_cost);
	report_html_fact(out, "Variance");
	report_html_variance(out, p->variance);
}

/* Appends one project's entry: heading with ref, title and confidence, its facts and narrative. */
static void report_html_project(struct buf *out, const Planreg__V1__ProjectStatus *p, size_t index,
				const Planreg__V1__StatusTotals *t)
{
	buf_printf(out, "<article class=\"project\" id=\"project-%zu\" aria-labelledby=\"project-%zu-h\">\n", index,
		   index);
	buf_printf(out, "<h3 id=\"project-%zu-h\">%" PRId32 ". ", index, p->ref);
	report_html_esc_or_dash(out, p->title);
	buf_puts(out, " ");
	report_html_badge(out, report_html_project_conf(p));
	buf_puts(out, "</h3>\n<dl class=\"facts\">\n<dt>Theme</dt><dd>");
	const char *theme = report_html_theme_name(t, p->theme);
	buf_printf(out, "Theme %" PRId32, p->theme);
	if (theme && theme[0]) {
		buf_puts(out, ": ");
		report_html_esc(out, theme);
	}
	report_html_fact(out, "Objective");
	report_html_esc_or_dash(out, p->objective);
	report_html_fact(out, "Lead organisations");
	size_t shown = 0;
	for (size_t i = 0; p->lead_orgs && i < p->n_lead_orgs; i++) {
		if (!report_html_str(p->lead_orgs[i])[0])
			continue;
		buf_puts(out, shown++ ? ", " : "");
		report_html_esc(out, p->lead_orgs[i]);
	}
	if (shown == 0)
		buf_puts(out, "&mdash;");
	report_html_fact(out, "Stage");
	report_html_stage(out, p->update_id != 0 ? (int)p->stage : (int)p->register_stage);
	if (p->update_id == 0 && values_stage_valid((int)p->register_stage))
		buf_puts(out, " (register)");
	report_html_fact(out, "Confidence");
	buf_puts(out, report_html_confs[report_html_project_conf(p)].label);
	report_html_project_return(out, p);
	report_html_project_money(out, p);
	report_html_fact(out, "Flags");
	shown = 0;
	for (size_t i = 0; p->flags && i < p->n_flags; i++) {
		if (!report_html_str(p->flags[i])[0])
			continue;
		shown++;
		buf_puts(out, "<span class=\"flag\">");
		report_html_esc(out, p->flags[i]);
		buf_puts(out, "</span>");
	}
	if (shown == 0)
		buf_puts(out, "None");
	buf_puts(out, "</dd>\n</dl>\n");
	if (p->update_id == 0) {
		buf_puts(out, "<p class=\"narrative none\">No return for this period</p>\n");
	} else if (!report_html_str(p->narrative)[0]) {
		buf_puts(out, "<p class=\"narrative none\">No narrative given</p>\n");
	} else {
		buf_puts(out, "<p class=\"narrative\">");
		report_html_esc(out, p->narrative);
		buf_puts(out, "</p>\n");
	}
	buf_puts(out, "</article>\n");
}

/* Appends "Every project": one entry per project, in the order given. */
void report_html_projects(struct buf *out, const struct report_html_input *in)
{
	const Planreg__V1__StatusTotals *t = in->status ? in->status->totals : NULL;
	size_t n = in->projects ? in->n_projects : 0, shown = 0;
	report_html_section_open(out, "projects", "Every project");
	for (size_t i = 0; i < n; i++)
		if (in->projects[i])
			report_html_project(out, in->projects[i], shown++, t);
	if (shown == 0)
		buf_puts(out, "<p class=\"nodata\">No projects in this report.</p>\n");
	buf_puts(out, "</section>\n");
}
