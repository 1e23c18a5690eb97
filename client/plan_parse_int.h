/* plan_parse_int.h - what the parts of the action-plan reader share: the parse
 * state and its helpers (plan_parse.c), the column headings and the cells they
 * name (plan_parse_layout.c), page furniture (plan_parse_page.c), the lead and
 * partner cells (plan_parse_lead.c). plan_parse.h is the interface. */
#ifndef PLANREG_PLAN_PARSE_INT_H
#define PLANREG_PLAN_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "plan_parse.h"

#define PLAN_PARSE_CODE_MAX 16

/* ---- a growing list of malloc'd strings, for splitting cells ---- */

struct plan_parse_list {
	char **items;
	size_t n, cap;
};

/* ---- the columns of the table, as its heading row names them ---- */

/* What a column holds; PLAN_COL_EXTRA is a column the register does not read (kept as an attribute). */
enum plan_col {
	PLAN_COL_TITLE,
	PLAN_COL_DESCRIPTION,
	PLAN_COL_LEAD,
	PLAN_COL_PARTNERS,
	PLAN_COL_COST,
	PLAN_COL_FUNDING,
	PLAN_COL_STATUS,
	PLAN_COL_KINDS,
	PLAN_COL_EXTRA = PLAN_COL_KINDS,
	PLAN_COL_NONE, /* a column whose heading cell is empty */
};

#define PLAN_PARSE_MAX_COLUMNS 64

/* A table layout: what each column holds. The published order when the document has no heading row. */
struct plan_parse_layout {
	size_t n; /* columns */
	enum plan_col kind[PLAN_PARSE_MAX_COLUMNS];
	char *heading[PLAN_PARSE_MAX_COLUMNS]; /* as printed, trimmed (malloc'd; NULL in the published order) */
	int at[PLAN_COL_KINDS];                /* the column of each kind, -1 when the headings have none */
	int line;                              /* where the headings were printed; 0 for the published order */
};

/* ---- page furniture: lines that belong to the page, not the plan, counted as they are passed over ---- */

enum plan_page_kind {
	PLAN_PAGE_BLANK,
	PLAN_PAGE_FORM_FEED,
	PLAN_PAGE_TITLE,    /* the title line again: a page header */
	PLAN_PAGE_LEGEND,   /* "# denotes that project requires ... capital funding" */
	PLAN_PAGE_NUMBER,   /* "Page 3 of 12", "3 | Page" */
	PLAN_PAGE_HEADINGS, /* the row of column headings again */
	PLAN_PAGE_RULE,     /* a row of dashes */
	PLAN_PAGE_PREAMBLE, /* text before the column headings */
	PLAN_PAGE_KINDS,
};

/* ---- the parse state ---- */

struct plan_parse {
	const struct plan_names *names;
	struct plan plan;
	size_t cap_themes, cap_objectives, cap_projects, cap_orgs, cap_people, cap_warnings;
	struct plan_error *err;
	int line;           /* the line being read, 1-based */
	int theme;          /* number of the current theme, 0 before the first */
	int theme_line;     /* where it was printed */
	char objective[16]; /* current objective code, "" until one is seen under the current theme */
	int *ref_lines;     /* ref -> line it was first seen on, for duplicate refs */
	int last_ref;
	struct plan_parse_layout layout; /* the columns rows are read by now */
	int headings_line;               /* the first row of column headings in the document, 0 when it has none */
	int page_count[PLAN_PAGE_KINDS];
	int page_first[PLAN_PAGE_KINDS]; /* the line each kind was first seen on */
};

/* plan_parse.c */
char *plan_parse_fold_space(const char *s);
void plan_parse_list_add(struct plan_parse_list *l, char *item);
void plan_parse_list_free(struct plan_parse_list *l);
void plan_parse_split(const char *s, const char *seps, struct plan_parse_list *out);
void plan_parse_warn(struct plan_parse *ps, int ref, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void plan_parse_add_org(struct plan_parse *ps, const char *code, const char *name, enum org_kind kind);
void plan_parse_add_person(struct plan_parse *ps, const char *name);
void plan_parse_add_unique(char ***list, size_t *n, const char *s);
bool plan_parse_fail(struct plan_parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One row split at its tabs; the cells point into the line, which the split cuts in place. */
struct plan_parse_row {
	char **cell;
	size_t n;
};
void plan_parse_row_split(char *line, struct plan_parse_row *row);
/* The row's only non-blank cell, trimmed into buf (at most size bytes), or NULL when it has none or several. */
const char *plan_parse_row_alone(const struct plan_parse_row *row, char *buf, size_t size);
/* Calls line_fn on each line of buf (CR LF or LF ends; the last may have none), numbering them from 1. */
bool plan_parse_lines(const char *buf, size_t len, void *arg,
		      bool (*line_fn)(void *arg, int number, const char *s, size_t n));

/* plan_parse_layout.c: the heading row and the cells it names. */
/* The published layout: title, description, lead, partners, total cost, funding, status. */
void plan_parse_layout_published(struct plan_parse_layout *l);
void plan_parse_layout_free(struct plan_parse_layout *l);
/* True when row is a row of column headings (it names at least three columns the reader knows). */
bool plan_parse_layout_is_headings(const struct plan_parse_row *row);
/* A row of headings read into ps->layout (the first, or one that differs), or passed over when it repeats the
 * layout; false after an error (a required column missing, a column named twice). */
bool plan_parse_layout_headings(struct plan_parse *ps, const struct plan_parse_row *row);
/* The project head ("12. Title") of a row read by the layout: the title cell, or NULL when it is none. */
const char *plan_parse_layout_title_cell(const struct plan_parse *ps, const struct plan_parse_row *row);
/* The row's cells checked against the layout: false after an error naming the row (ref). */
bool plan_parse_layout_check(struct plan_parse *ps, const struct plan_parse_row *row, int ref);
/* The cell of kind k in row, trimmed and malloc'd ("" when the layout has no such column). */
char *plan_parse_layout_cell(const struct plan_parse *ps, const struct plan_parse_row *row, enum plan_col k);
/* The cells of columns the register does not read, as the project's attributes. */
void plan_parse_layout_attributes(const struct plan_parse *ps, const struct plan_parse_row *row,
				  struct plan_project *proj);

/* plan_parse_page.c: page furniture. */
/* "Page 3 of 12", "Page 3", "3 | Page", "Page | 3": a page number alone on its line. */
bool plan_parse_page_is_number(const char *s);
/* "# denotes that project requires all or part capital funding ...": the legend of the "#" marker. */
bool plan_parse_page_is_legend(const char *s);
/* A row of dashes, tabs and spaces. */
bool plan_parse_page_is_rule(const char *s);
/* Counts one line of furniture of kind k. */
void plan_parse_page_count(struct plan_parse *ps, enum plan_page_kind k);
/* One warning per kind of furniture passed over, with how many and where the first was. */
void plan_parse_page_report(struct plan_parse *ps);

/* plan_parse_lead.c: the lead column (organisations, then people after a dash) and the partners column. */
void plan_parse_lead(struct plan_parse *ps, struct plan_project *proj);
void plan_parse_partners(struct plan_parse *ps, struct plan_project *proj);

#endif
