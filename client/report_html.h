/* report_html.h - `planreg report html`: one self-contained HTML page (inline
 * CSS and SVG, no script, no external reference, prints on A4) of a period's
 * consolidated status, for a board. */
#ifndef PLANREG_REPORT_HTML_H
#define PLANREG_REPORT_HTML_H

#include <stddef.h>

#include "buf.h"
#include "planreg.pb-c.h"

struct report_html_input {
	const char *plan_title;   /* from Whoami; may be "" */
	const char *generated_at; /* RFC 3339 UTC */
	/* period, due, as_at and totals (over every project) */
	const Planreg__V1__GetStatusResponse *status;
	/* every project of the period, by ref, fetched with include_narrative */
	Planreg__V1__ProjectStatus *const *projects;
	size_t n_projects;
	/* the period's outstanding returns by organisation, as of the report's day */
	const Planreg__V1__ListOutstandingResponse *outstanding;
};

/* Appends the whole document to out. */
void report_html_write(struct buf *out, const struct report_html_input *in);

#endif
