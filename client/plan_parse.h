/* plan_parse.h - reads an action-plan document as published (tab-separated
 * text with page furniture, a row of column headings, theme and objective
 * lines and project rows whose cells the headings name) into structured
 * themes, objectives and projects, with a warning for every interpretation it
 * had to make. */
#ifndef PLANREG_PLAN_PARSE_H
#define PLANREG_PLAN_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan_names.h"
#include "values.h"

struct plan_theme {
	int number; /* 1..n as printed after "Theme " */
	char *title;
	int line; /* 1-based line in the document */
};

struct plan_objective {
	int theme;     /* the theme it sits under */
	int number;    /* minor number: 6.2 -> 2 */
	char code[16]; /* "6.2" (after any correction) */
	char *title;
	int line;
};

struct plan_cost {
	char *text; /* the source text, trimmed, exactly as printed */
	enum cost_status status;
	bool has_min, has_max;
	int64_t min_pence, max_pence; /* equal when exact; only min for "Over £1.2m" */
	bool approximate;             /* "Circa", "circa" */
};

struct plan_partner {
	char *name;     /* one item of the partners column, trimmed */
	char *org_code; /* code of the organisation it resolves to, or NULL */
};

/* A column the register does not read, kept with each project under its heading ("TIMESCALE"). */
struct plan_attribute {
	char *name;  /* the heading as printed */
	char *value; /* the cell, trimmed; never empty (an empty cell is no attribute) */
};

struct plan_project {
	int ref;            /* the number printed before the title */
	int theme;          /* theme number */
	char objective[16]; /* objective code, e.g. "6.1" */
	char *title;        /* without the trailing " #" */
	bool capital;       /* title carried the "#" marker */
	char *description;
	char *lead_text;  /* the LEAD column as printed */
	char **lead_orgs; /* organisation codes, in order, no duplicates */
	size_t n_lead_orgs;
	char **lead_people; /* canonical person names, in order, no duplicates */
	size_t n_lead_people;
	char *partners_text; /* the PARTNERS column as printed */
	struct plan_partner *partners;
	size_t n_partners;
	struct plan_cost cost;
	char *funding;    /* FUNDING SOURCES column as printed (trimmed) */
	char *stage_text; /* STATUS column as printed */
	enum stage stage;
	char *stage_note;                  /* "" when none; "annual" for "Live (annual)" */
	struct plan_attribute *attributes; /* in the order of their columns */
	size_t n_attributes;
	int line;
};

struct plan_warning {
	int line;      /* 0 when not tied to a line */
	int ref;       /* project ref, 0 when not about a project */
	char *message; /* one sentence, names what was interpreted and how */
};

/* An organisation the plan refers to as a lead or a linked partner. */
struct plan_org {
	char *code;
	char *name;
	enum org_kind kind;
};

/* Owns every string and array it holds; free with plan_free. */
struct plan {
	char *title; /* the repeated page header, e.g. "2021-2023 LCR Digital Strategy Action Plan" */
	struct plan_theme *themes;
	size_t n_themes;
	struct plan_objective *objectives;
	size_t n_objectives;
	struct plan_project *projects;
	size_t n_projects;
	struct plan_org *orgs; /* every organisation a lead or partner resolved to, sorted by code */
	size_t n_orgs;
	char **people; /* every canonical lead person, sorted */
	size_t n_people;
	struct plan_warning *warnings;
	size_t n_warnings;
};

struct plan_error {
	int line; /* 0 when the error is about the whole document */
	char message[512];
};

/*
 * Parses a whole document held in buf (need not be NUL-terminated).
 * Returns true and fills *out, or false with *err naming the line and what is
 * wrong (invalid UTF-8, empty document, a project before any theme or
 * objective or before the column headings, headings without a required
 * column, a project row with more or fewer cells than the headings, a
 * duplicate ref, ...); on false *out is left empty. The row of column headings
 * says which cell is which, in any order; a document without one is read in
 * the published order (title, description, lead, partners, total cost,
 * funding, status), and a warning says so.
 */
bool plan_parse(const char *buf, size_t len, const struct plan_names *names, struct plan *out, struct plan_error *err)
	__attribute__((warn_unused_result));
void plan_free(struct plan *p);

/* Building blocks, exposed for tests and for the CLI's own inputs. */
/* Fills *out from a TOTAL COST cell (out->text is a malloc'd copy). Never fails:
 * text it cannot read becomes status unknown. *warning (malloc'd, or NULL) says
 * what was interpreted: a sum, a range, a trailing qualifier, text kept as text. */
void plan_parse_cost(const char *text, struct plan_cost *out, char **warning);
/* Reads a STATUS cell: the stage, and the rest as a note (malloc'd, "" when
 * none). *warning (malloc'd or NULL) when the reading needed interpretation
 * ("Live + advanced development"). False when no stage is recognised. */
bool plan_parse_stage(const char *text, enum stage *stage, char **note, char **warning)
	__attribute__((warn_unused_result));

/* UTF-8 spellings of the dashes a lead column uses between body and person (and costs between amounts). */
#define PLAN_PARSE_EN_DASH "\xe2\x80\x93"
#define PLAN_PARSE_EM_DASH "\xe2\x80\x94"

#endif
