/* report_html_draw.h - what the parts of the board report share: report_html.c draws the page,
 * its headline and its charts; report_html_exceptions.c the exceptions and the movement since the
 * previous quarter; report_html_lists.c the table of every project and the returns outstanding;
 * report_html_board.c each project's trend and the baselines with approved changes. */
#ifndef PLANREG_REPORT_HTML_DRAW_H
#define PLANREG_REPORT_HTML_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "period.h"
#include "planreg.pb-c.h"
#include "report_html.h"
#include "values.h"

/* A rating as the report shows it: the protocol's name, the word people read, the CSS class of its
 * badge, its colour and a text colour readable on that colour. */
struct report_html_conf {
	const char *name;
	const char *label;
	const char *cls;
	const char *fill;
	const char *ink;
	const char *abbr; /* in a trend's small cell: "G", "A/G" */
};

/* Green to red (the order of enum confidence less one), then returned, then no return, then any
 * name this version does not know. */
enum report_html_conf_slot {
	REPORT_HTML_CONF_RED = 4,
	REPORT_HTML_CONF_RETURNED = 5,
	REPORT_HTML_CONF_NONE = 6,
	REPORT_HTML_CONF_OTHER = 7,
	REPORT_HTML_CONF_COUNT = 8,
};

extern const struct report_html_conf report_html_confs[REPORT_HTML_CONF_COUNT];
extern const char *const report_html_stage_labels[STAGE_COUNT];

const char *report_html_str(const char *s);
void report_html_esc(struct buf *out, const char *s);
/* Text someone submitted or imported, escaped and isolated (<bdi>): its direction, or a bidi
 * override in it, cannot turn the report's own words around it. A dash when empty. */
void report_html_text(struct buf *out, const char *s);
void report_html_time(struct buf *out, const char *s);
/* "£1,200,000" */
void report_html_money(struct buf *out, int64_t pence);
/* "£1.2M", "£850k", "£900": for tables and charts */
void report_html_money_short(struct buf *out, int64_t pence);
/* A change in tenths of a percent as "+31.9%" or "&minus;2.0%". */
void report_html_tenths(struct buf *out, long long tenths);
int report_html_conf_slot(const char *name);
/* The slot of a confidence; REPORT_HTML_CONF_NONE for none. */
int report_html_confidence_slot(Planreg__V1__Confidence c);
void report_html_badge(struct buf *out, int slot);
void report_html_section_open(struct buf *out, const char *id, const char *heading);
/* "1 project", "12 projects" */
void report_html_projects_count(struct buf *out, int64_t n);
/* A project's lead organisations, "LCC, CA". */
void report_html_leads(struct buf *out, const Planreg__V1__ProjectStatus *p);
/* A stage by its people's name; a dash when not given. */
void report_html_stage(struct buf *out, int stage);
/* The period before the report's, "2026-Q2"; "" when the report's is not a period. */
void report_html_previous_period(const char *period, char out[PERIOD_NAME_MAX]);

/* The exceptions: red and amber/red projects, and those whose rating fell or whose forecast cost or
 * end date moved since the previous quarter (report_html_exceptions.c). */
void report_html_exceptions(struct buf *out, const struct report_html_input *in);
/* Ratings last quarter against this quarter (report_html_exceptions.c). */
void report_html_movement(struct buf *out, const struct report_html_input *in);
/* A project's rating in each of the last four quarters, oldest first, as one cell of the table of every
 * project; nothing when the earlier quarters are not known (report_html_board.c). */
bool report_html_has_trend(const struct report_html_input *in);
void report_html_trend_cell(struct buf *out, const struct report_html_input *in, const Planreg__V1__ProjectStatus *p);
/* The trend's words for the table's caption (report_html_board.c). */
void report_html_trend_caption(struct buf *out, const struct report_html_input *in);
/* Each project's original and latest approved end date and cost, and the approved changes
 * (report_html_board.c). */
void report_html_baselines(struct buf *out, const struct report_html_input *in);
/* Each project's indicators against target, with this quarter's actual (report_html_board.c). */
void report_html_indicators(struct buf *out, const struct report_html_input *in);
/* The appendix: every document linked to the quarter's latest returns (report_html_board.c). */
void report_html_evidence(struct buf *out, const struct report_html_input *in);
/* One table of every project (report_html_lists.c). */
void report_html_projects(struct buf *out, const struct report_html_input *in);
/* The returns outstanding, one line per organisation (report_html_lists.c). */
void report_html_outstanding(struct buf *out, const Planreg__V1__ListOutstandingResponse *o);
/* The queries waiting for the lead bodies past their answer-by dates (ListOutstanding's overdue_queries). */
void report_html_queries(struct buf *out, const Planreg__V1__ListOutstandingResponse *o);

#endif
