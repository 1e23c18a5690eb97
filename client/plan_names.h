/* plan_names.h - the organisation and people names file (data/names.tsv):
 * canonical organisations with their codes and kinds, and the aliases the
 * source documents use for them and for people. */
#ifndef PLANREG_PLAN_NAMES_H
#define PLANREG_PLAN_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "values.h"

struct plan_names_org {
	char *code; /* e.g. "CA", "UoL"; [A-Za-z0-9]{1,16} */
	enum org_kind kind;
	char *name; /* canonical name, e.g. "Liverpool City Region Combined Authority" */
};

struct plan_names_alias {
	char *alias;  /* as written in documents, e.g. "LCR CA", "Ollly Martins" */
	char *target; /* organisation code, or canonical person name */
};

/* Owns every string it holds; free with plan_names_free. */
struct plan_names {
	struct plan_names_org *orgs;
	size_t n_orgs;
	struct plan_names_alias *org_aliases;
	size_t n_org_aliases;
	struct plan_names_alias *person_aliases;
	size_t n_person_aliases;
};

/*
 * File format, UTF-8, one record per line, fields separated by one TAB,
 * blank lines and lines starting with '#' ignored:
 *   org           CODE   KIND   Canonical name
 *   org-alias     Alias text    CODE
 *   person-alias  Alias text    Canonical person name
 * On failure returns false and sets *err (malloc'd, "names.tsv:12: ...").
 */
bool plan_names_load(const char *path, struct plan_names *out, char **err) __attribute__((warn_unused_result));
bool plan_names_parse(const char *buf, size_t len, const char *label, struct plan_names *out, char **err)
	__attribute__((warn_unused_result));
void plan_names_free(struct plan_names *n);

/* Lookups compare case-insensitively with runs of whitespace folded to one space. */
const struct plan_names_org *plan_names_org_by_code(const struct plan_names *n, const char *code);
/* Resolves a name as written: a code, a canonical name, or an alias. *via_alias says which. */
const struct plan_names_org *plan_names_resolve_org(const struct plan_names *n, const char *text, bool *via_alias);
/* Canonical person name for text, or NULL when text is not an alias. */
const char *plan_names_resolve_person(const struct plan_names *n, const char *text);

#endif
