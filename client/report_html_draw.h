/* report_html_draw.h - what the parts of the board report share (report_html.c
 * draws the page and its charts, report_html_lists.c the outstanding returns and each project's entry). */
#ifndef PLANREG_REPORT_HTML_DRAW_H
#define PLANREG_REPORT_HTML_DRAW_H

#include <stdint.h>

#include "buf.h"
#include "planreg.pb-c.h"
#include "report_html.h"
#include "values.h"

/* A delivery confidence as the report shows it: the protocol's name, the word people read,
 * the CSS class of its badge, its colour and a text colour readable on that colour. */
struct report_html_conf {
	const char *name;
	const char *label;
	const char *cls;
	const char *fill;
	const char *ink;
};

/* Best to worst, then not reported, then any name this version does not know. */
enum report_html_conf_slot {
	REPORT_HTML_CONF_NONE = 5,
	REPORT_HTML_CONF_OTHER = 6,
	REPORT_HTML_CONF_COUNT = 7,
};
#define REPORT_HTML_MAX_REF 100000 /* the largest project reference the register allows */

extern const struct report_html_conf report_html_confs[REPORT_HTML_CONF_COUNT];
extern const char *const report_html_stage_labels[STAGE_COUNT];

const char *report_html_str(const char *s);
void report_html_esc(struct buf *out, const char *s);
void report_html_esc_or_dash(struct buf *out, const char *s);
void report_html_time(struct buf *out, const char *s);
void report_html_money(struct buf *out, int64_t pence);
int report_html_conf_slot(const char *name);
void report_html_badge(struct buf *out, int slot);
size_t report_html_themes(const Planreg__V1__StatusTotals *t, Planreg__V1__StatusGroup *const **groups);
void report_html_section_open(struct buf *out, const char *id, const char *heading);
/* "1 project", "12 projects" */
void report_html_projects_count(struct buf *out, int64_t n);
/* The outstanding returns by organisation (report_html_lists.c). */
void report_html_outstanding(struct buf *out, const Planreg__V1__ListOutstandingResponse *o);
/* Every project of the report, one entry each (report_html_lists.c). */
void report_html_projects(struct buf *out, const struct report_html_input *in);

#endif
