/* report_html_board.c - what a board reads first beyond the exceptions (docs/assurance.md, "What a
 * board reads first"): each project's rating in the last four quarters, as small cells that carry
 * their words (readable in greyscale), the baselines: each project's original and latest
 * approved end date and cost, with every approved change, and the indicators against target. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_period.h"
#include "indicator_text.h"
#include "report_html_draw.h"
#include "values.h"

/* ---------------------------------------------------------------- trend */

bool report_html_has_trend(const struct report_html_input *in)
{
	for (int k = 0; k < 3; k++)
		if (in->earlier[k].projects)
			return true;
	return false;
}

/* One quarter's cell: its name for a reader who cannot see the colour, then the rating's short word. */
static void report_html_trend_quarter(struct buf *out, const char *period, const Planreg__V1__ProjectStatus *p)
{
	int index = rating_move_index(p);
	const struct report_html_conf *c =
		&report_html_confs[index == RATING_MOVE_NONE ? REPORT_HTML_CONF_NONE : index];
	buf_printf(out, "<li class=\"%s\" title=\"", c->cls);
	report_html_esc(out, cli_period_name(period));
	buf_printf(out, ": %s\"><span class=\"sr\">", c->label);
	report_html_esc(out, cli_period_name(period));
	buf_printf(out, " </span>%s</li>", c->abbr);
}

void report_html_trend_cell(struct buf *out, const struct report_html_input *in, const Planreg__V1__ProjectStatus *p)
{
	if (!report_html_has_trend(in))
		return;
	buf_puts(out, "<td class=\"trend\" data-label=\"Trend\"><ol class=\"trend\">");
	for (int k = 0; k < 3; k++)
		report_html_trend_quarter(out, in->earlier[k].period, rating_move_find(&in->earlier[k], p->ref));
	report_html_trend_quarter(out, in->status ? in->status->period : "", p);
	buf_puts(out, "</ol></td>");
}

void report_html_trend_caption(struct buf *out, const struct report_html_input *in)
{
	if (!report_html_has_trend(in))
		return;
	buf_puts(out, " Trend: the rating in each of the last four quarters, oldest first (");
	report_html_esc(out, cli_period_name(report_html_str(in->earlier[0].period)));
	buf_puts(out, " to ");
	report_html_esc(out, cli_period_name(in->status ? report_html_str(in->status->period) : ""));
	buf_puts(out, "), the Combined Authority's where it set one, else the lead body's: G green, A/G "
		      "amber/green, A amber, A/R amber/red, R red, &ndash; no return.");
}

/* ---------------------------------------------------------------- baselines */

/* A section's table ends: its rows, then the section; rows is freed. */
static void report_html_rows_close(struct buf *out, struct buf *rows)
{
	buf_append(out, buf_str(rows), rows->len);
	buf_puts(out, "</tbody></table></div>\n</section>\n");
	buf_free(rows);
}

/* A section with nothing to list says why (html: trusted markup), then ends; rows is freed. */
static void report_html_nodata(struct buf *out, struct buf *rows, const char *html)
{
	buf_printf(out, "<p class=\"nodata\">%s</p>\n</section>\n", html);
	buf_free(rows);
}

/* A baseline's cost, "£1.2M" or "£1M&ndash;£1.5M"; a dash when not known. */
static void report_html_baseline_cost(struct buf *out, const Planreg__V1__Baseline *b)
{
	if (b == NULL || b->cost_min == NULL) {
		buf_puts(out, "&mdash;");
		return;
	}
	report_html_money_short(out, b->cost_min->pence);
	if (b->cost_max && b->cost_max->pence != b->cost_min->pence) {
		buf_puts(out, "&ndash;");
		report_html_money_short(out, b->cost_max->pence);
	}
}

/* A baseline's end date; a dash when none. */
static void report_html_baseline_end(struct buf *out, const Planreg__V1__Baseline *b)
{
	if (b && report_html_str(b->end_date)[0])
		report_html_text(out, b->end_date);
	else
		buf_puts(out, "&mdash;");
}

/* A change's value: a cost in pence as money, a date as it is, a dash for none. */
static void report_html_change_value(struct buf *out, const Planreg__V1__Change *c, const char *v)
{
	v = report_html_str(v);
	if (!v[0])
		buf_puts(out, "&mdash;");
	else if (c->kind == PLANREG__V1__CHANGE_KIND__CHANGE_KIND_COST)
		report_html_money_short(out, strtoll(v, NULL, 10));
	else
		report_html_text(out, v);
}

static const char *report_html_change_kind(Planreg__V1__ChangeKind k)
{
	switch (k) {
	case PLANREG__V1__CHANGE_KIND__CHANGE_KIND_TIME:
		return "End date";
	case PLANREG__V1__CHANGE_KIND__CHANGE_KIND_COST:
		return "Cost";
	case PLANREG__V1__CHANGE_KIND__CHANGE_KIND_SCOPE:
		return "Scope";
	default:
		return "Other";
	}
}

/* The approved changes of project ref, oldest first, as a list; a dash when none. The count in *n. */
static void report_html_changes_of(struct buf *out, const Planreg__V1__ListChangesResponse *l, int32_t ref, int64_t *n)
{
	size_t shown = 0;
	for (size_t i = 0; l && i < l->n_changes; i++) {
		const Planreg__V1__Change *c = l->changes[i];
		if (c == NULL || c->ref != ref || strcmp(report_html_str(c->state), "approved") != 0)
			continue;
		buf_printf(out, "%s<li class=\"change\">%s ", shown++ ? "" : "<ul class=\"changes\">",
			   report_html_change_kind(c->kind));
		report_html_change_value(out, c, c->old_value);
		buf_puts(out, " &rarr; ");
		report_html_change_value(out, c, c->new_value);
		buf_printf(out, ", approved <span class=\"when\">%.10s</span></li>", report_html_str(c->decided_at));
	}
	buf_puts(out, shown ? "</ul>" : "&mdash;");
	*n += (int64_t)shown;
}

/* Whether the latest approved baseline's end date, or cost, is still the original's. */
static bool report_html_same_end(const Planreg__V1__Baseline *o, const Planreg__V1__Baseline *b)
{
	return o && b && strcmp(report_html_str(o->end_date), report_html_str(b->end_date)) == 0;
}

static bool report_html_same_cost(const Planreg__V1__Baseline *o, const Planreg__V1__Baseline *b)
{
	if (!o || !b || !o->cost_min != !b->cost_min || !o->cost_max != !b->cost_max)
		return false;
	return (!o->cost_min || o->cost_min->pence == b->cost_min->pence) &&
	       (!o->cost_max || o->cost_max->pence == b->cost_max->pence);
}

/* One project's row: its baselines (one value where the approved is the original), then its approved
 * changes. */
static void report_html_baseline_row(struct buf *out, const Planreg__V1__ProjectStatus *p,
				     const Planreg__V1__ListChangesResponse *l, int64_t *changes)
{
	buf_printf(out, "<tr id=\"baseline-%" PRId32 "\"><td class=\"ref\">%" PRId32 "</td><td class=\"title\">",
		   p->ref, p->ref);
	report_html_text(out, p->title);
	buf_puts(out, "</td><td data-label=\"End date\">");
	const Planreg__V1__Baseline *o = p->original_baseline, *b = p->approved_baseline;
	report_html_baseline_end(out, o);
	if (!report_html_same_end(o, b)) {
		buf_puts(out, " &rarr; ");
		report_html_baseline_end(out, b);
	}
	buf_puts(out, "</td><td data-label=\"Cost\">");
	report_html_baseline_cost(out, o);
	if (!report_html_same_cost(o, b)) {
		buf_puts(out, " &rarr; ");
		report_html_baseline_cost(out, b);
	}
	buf_puts(out, "</td><td class=\"changes\" data-label=\"Approved changes\">");
	report_html_changes_of(out, l, p->ref, changes);
	buf_puts(out, "</td></tr>\n");
}

void report_html_baselines(struct buf *out, const struct report_html_input *in)
{
	if (in->changes == NULL)
		return;
	report_html_section_open(out, "baselines", "Baselines and approved changes");
	int64_t shown = 0, changes = 0;
	struct buf rows = {0};
	for (size_t i = 0; in->projects && i < in->n_projects; i++) {
		const Planreg__V1__ProjectStatus *p = in->projects[i];
		if (p == NULL || (p->original_baseline == NULL && p->approved_baseline == NULL))
			continue;
		report_html_baseline_row(&rows, p, in->changes, &changes);
		shown++;
	}
	if (shown == 0) {
		report_html_nodata(out, &rows, "No project has a baseline yet: it is set by its first return.");
		return;
	}
	buf_puts(out, "<div class=\"scroll\"><table class=\"baselines\"><caption>");
	report_html_projects_count(out, shown);
	buf_printf(out,
		   " with a baseline, %" PRId64 " approved change%s. Each cell: the original baseline (the plan's "
		   "cost, the first return's end date) &rarr; the latest approved one, or one value while they are "
		   "the same; only a change the Combined "
		   "Authority approved moves it (<code>planreg change list</code>).</caption>\n"
		   "<thead><tr><th scope=\"col\">Ref</th><th scope=\"col\">Project</th><th scope=\"col\">End "
		   "date</th><th scope=\"col\">Cost</th><th scope=\"col\">Approved changes</th></tr></thead>\n"
		   "<tbody>\n",
		   changes, changes == 1 ? "" : "s");
	report_html_rows_close(out, &rows);
}

/* ---------------------------------------------------------------- indicators */

/* How far an indicator has come, as a bar (capped to its box) and the percentage in words. */
static void report_html_meter(struct buf *out, const Planreg__V1__IndicatorProgress *ip)
{
	char pct[16];
	if (indicator_text_pct(ip, pct, sizeof pct)[0] == '\0') {
		buf_puts(out, "&mdash;");
		return;
	}
	int64_t t = ip->progress->tenths, w = t < 0 ? 0 : t > 1000 ? 1000 : t;
	buf_printf(out, "<span class=\"meter\" aria-hidden=\"true\"><span style=\"width:%lld.%lld%%\"></span></span>%s",
		   (long long)(w / 10), (long long)(w % 10), pct);
}

static void report_html_indicator_row(struct buf *out, const Planreg__V1__ProjectStatus *p,
				      const Planreg__V1__IndicatorProgress *ip)
{
	buf_printf(out, "<tr id=\"indicator-%lld\"><td class=\"ref\">%" PRId32 "</td><td class=\"title\">",
		   (long long)ip->indicator_id, p->ref);
	report_html_text(out, ip->name);
	buf_puts(out, "<br><span class=\"of\">");
	report_html_text(out, p->title);
	buf_puts(out, "</span></td><td data-label=\"Actual\">");
	if (ip->actual[0]) {
		report_html_text(out, ip->actual);
		buf_puts(out, " ");
		report_html_text(out, ip->unit);
	} else
		buf_puts(out, "not reported");
	buf_puts(out, "</td><td data-label=\"Quarter target\">");
	if (ip->period_target[0]) {
		report_html_text(out, ip->period_target);
		buf_puts(out, " ");
		report_html_text(out, ip->unit);
	} else
		buf_puts(out, "&mdash;");
	buf_puts(out, "</td><td data-label=\"Target\">");
	report_html_text(out, ip->baseline_value);
	buf_puts(out, " &rarr; ");
	report_html_text(out, ip->target_value);
	buf_puts(out, " by ");
	report_html_text(out, ip->target_date);
	buf_puts(out, "</td><td data-label=\"Progress\">");
	report_html_meter(out, ip);
	buf_puts(out, "</td></tr>\n");
}

void report_html_indicators(struct buf *out, const struct report_html_input *in)
{
	int64_t shown = 0;
	struct buf rows = {0};
	for (size_t i = 0; in->projects && i < in->n_projects; i++)
		for (size_t k = 0; in->projects[i] && k < in->projects[i]->n_indicators; k++, shown++)
			report_html_indicator_row(&rows, in->projects[i], in->projects[i]->indicators[k]);
	report_html_section_open(out, "indicators", "Indicators against target");
	if (shown == 0) {
		report_html_nodata(out, &rows,
				   "No project has an indicator yet: the Combined Authority defines them "
				   "(<code>planreg indicator add</code>).");
		return;
	}
	buf_printf(out,
		   "<div class=\"scroll\"><table class=\"baselines indicators\"><caption>%" PRId64
		   " indicator%s. Actual: what this quarter's return reports; progress: how far the actual has "
		   "come from the baseline to the target.</caption>\n"
		   "<thead><tr><th scope=\"col\">Ref</th><th scope=\"col\">Indicator (project)</th><th "
		   "scope=\"col\">Actual</th><th scope=\"col\">Quarter target</th><th scope=\"col\">Target</th><th "
		   "scope=\"col\">Progress</th></tr></thead>\n<tbody>\n",
		   shown, shown == 1 ? "" : "s");
	report_html_rows_close(out, &rows);
}

/* ---------------------------------------------------------------- the appendix of evidence */

/* What a document backs: the return, one of its milestones, or one of its indicator actuals. */
static void report_html_evidence_backs(struct buf *out, const Planreg__V1__Update *u, const Planreg__V1__Evidence *e)
{
	const Planreg__V1__UpdateContent *c = u->content;
	if (e->milestone > 0) {
		buf_printf(out, "milestone %" PRId32, e->milestone);
		if (c && (size_t)e->milestone <= c->n_milestones) {
			buf_puts(out, ": ");
			report_html_text(out, c->milestones[e->milestone - 1]->title);
		}
		return;
	}
	if (e->indicator_id > 0) {
		buf_printf(out, "actual of indicator %lld", (long long)e->indicator_id);
		for (size_t i = 0; c && i < c->n_actuals; i++)
			if (c->actuals[i]->indicator_id == e->indicator_id && c->actuals[i]->name[0]) {
				buf_puts(out, ": ");
				report_html_text(out, c->actuals[i]->name);
			}
		return;
	}
	buf_puts(out, "the return");
}

/* The document: a link for a URL, the file name otherwise; its title; its SHA-256 when given. */
static void report_html_evidence_document(struct buf *out, const Planreg__V1__Evidence *e)
{
	bool url = strncmp(e->location, "https://", 8) == 0 || strncmp(e->location, "http://", 7) == 0;
	if (url) {
		buf_puts(out, "<a href=\"");
		report_html_esc(out, e->location);
		buf_puts(out, "\">");
	} else
		buf_puts(out, "<code>");
	report_html_text(out, e->title[0] ? e->title : e->location);
	buf_puts(out, url ? "</a>" : "</code>");
	if (url && e->title[0]) { /* on paper the address is what a reader can follow */
		buf_puts(out, " <span class=\"of\">");
		report_html_text(out, e->location);
		buf_puts(out, "</span>");
	}
	if (e->sha256[0]) {
		buf_puts(out, "<br><span class=\"of\">SHA-256 <code class=\"hash\">");
		report_html_esc(out, e->sha256);
		buf_puts(out, "</code></span>");
	}
}

static void report_html_evidence_row(struct buf *out, const Planreg__V1__Update *u, const Planreg__V1__Evidence *e)
{
	const char *name = values_document_category(e->category);
	buf_printf(out, "<tr id=\"evidence-%lld\"><td class=\"ref\">%" PRId32 "</td><td class=\"title\">",
		   (long long)e->id, u->content ? u->content->ref : 0);
	report_html_text(out, u->project_title);
	buf_puts(out, "</td><td data-label=\"Backs\">");
	report_html_evidence_backs(out, u, e);
	buf_puts(out, "</td><td data-label=\"Category\">");
	report_html_esc(out, e->category); /* a code of the list (the daemon refuses others), and its name */
	if (name) {
		buf_puts(out, " ");
		report_html_esc(out, name);
	}
	buf_puts(out, "</td><td data-label=\"Document\">");
	report_html_evidence_document(out, e);
	buf_puts(out, "</td></tr>\n");
}

void report_html_evidence(struct buf *out, const struct report_html_input *in)
{
	int64_t shown = 0;
	struct buf rows = {0};
	for (size_t i = 0; in->updates && i < in->n_updates; i++)
		for (size_t k = 0; k < in->updates[i]->n_evidence; k++, shown++)
			report_html_evidence_row(&rows, in->updates[i], in->updates[i]->evidence[k]);
	report_html_section_open(out, "evidence", "Appendix: the evidence behind the returns");
	if (shown == 0) {
		report_html_nodata(out, &rows,
				   "No return of the quarter has a document linked to it (<code>planreg update "
				   "evidence</code>).");
		return;
	}
	buf_printf(out,
		   "<div class=\"scroll\"><table class=\"baselines evidence\"><caption>%" PRId64
		   " document%s linked to the quarter's latest returns, by project; categories are IATI's document "
		   "categories. A SHA-256 identifies the file the lead body holds.</caption>\n"
		   "<thead><tr><th scope=\"col\">Ref</th><th scope=\"col\">Project</th><th scope=\"col\">Backs</th><th "
		   "scope=\"col\">Category</th><th scope=\"col\">Document</th></tr></thead>\n<tbody>\n",
		   shown, shown == 1 ? "" : "s");
	report_html_rows_close(out, &rows);
}
