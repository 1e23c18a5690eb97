/* report_html.h - `planreg report html`: one self-contained HTML page (inline
 * CSS and SVG, no script, no external reference, prints on A4) of a period's
 * consolidated status, for a board. */
#ifndef PLANREG_REPORT_HTML_H
#define PLANREG_REPORT_HTML_H

#include <stddef.h>

#include "buf.h"
#include "planreg.pb-c.h"
#include "rating_move.h"

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
	/* the three quarters before this one, oldest first, for the trend of each project's rating and the
	 * movement since the previous quarter (earlier[2]); a quarter whose projects are NULL is not known:
	 * without earlier[2] the movement reads each project's ProjectStatus.previous, without any the
	 * trend is left out */
	struct rating_move_quarter earlier[3];
	/* the approved change requests (ListChanges, state "approved"); NULL: the baselines are left out */
	const Planreg__V1__ListChangesResponse *changes;
	/* the quarter's latest returns (ListUpdates), for the appendix of the evidence that backs them */
	Planreg__V1__Update *const *updates;
	size_t n_updates;
};

/* Appends the whole document to out. */
void report_html_write(struct buf *out, const struct report_html_input *in);

#endif
