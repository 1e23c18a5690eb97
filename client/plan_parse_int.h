/* plan_parse_int.h - what the parts of the action-plan reader share: the parse
 * state and its helpers (plan_parse.c), the lead and partner cells
 * (plan_parse_lead.c). plan_parse.h is the interface. */
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

/* plan_parse_lead.c: the lead column (organisations, then people after a dash) and the partners column. */
void plan_parse_lead(struct plan_parse *ps, struct plan_project *proj);
void plan_parse_partners(struct plan_parse *ps, struct plan_project *proj);

#endif
