/* plan_names.c - loads the names file (organisations, their codes and kinds, aliases) and resolves names against it. */
#include "plan_names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "text.h"
#include "xmalloc.h"

#define PLAN_NAMES_CODE_MAX 16
#define PLAN_NAMES_MAX_BYTES (4 * 1024 * 1024)

/* Next character of *s as compared: whitespace runs read as one space, trailing whitespace as the end. */
static int plan_names_fold_next(const char **s)
{
	const char *p = *s;
	if (text_is_space(*p)) {
		while (text_is_space(*p))
			p++;
		*s = p;
		return *p == '\0' ? 0 : ' ';
	}
	if (*p == '\0')
		return 0;
	*s = p + 1;
	return (unsigned char)text_lower(*p);
}

static bool plan_names_equal(const char *a, const char *b)
{
	while (text_is_space(*a))
		a++;
	while (text_is_space(*b))
		b++;
	for (;;) {
		int ca = plan_names_fold_next(&a);
		int cb = plan_names_fold_next(&b);
		if (ca != cb)
			return false;
		if (ca == 0)
			return true;
	}
}

static bool plan_names_valid_code(const char *code)
{
	size_t n = strlen(code);
	if (n == 0 || n > PLAN_NAMES_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* Trims spaces in place; fields are TAB-separated, so stray spaces around them are typing slips. */
static char *plan_names_trim(char *s)
{
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

struct plan_names_builder {
	struct plan_names names;
	size_t cap_orgs, cap_org_aliases, cap_person_aliases;
	int *org_alias_lines; /* line of each org alias, to report an unknown target code */
	size_t cap_org_alias_lines;
};

static bool plan_names_fail(char **err, const char *label, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool plan_names_fail(char **err, const char *label, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	*err = xasprintf("%s:%d: %s", label, line, msg);
	free(msg);
	return false;
}

static const struct plan_names_alias *plan_names_find_alias(const struct plan_names_alias *list, size_t n,
							    const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (plan_names_equal(list[i].alias, text))
			return &list[i];
	return NULL;
}

static bool plan_names_add_org(struct plan_names_builder *b, char **fields, size_t n_fields, const char *label,
			       int line, char **err)
{
	struct plan_names *n = &b->names;
	if (n_fields != 4)
		return plan_names_fail(err, label, line,
				       "an org record has 4 fields (org, code, kind, name); this one has %zu",
				       n_fields);
	const char *code = fields[1], *kind_text = fields[2], *name = fields[3];
	if (!plan_names_valid_code(code))
		return plan_names_fail(err, label, line, "code \"%s\" is not 1 to %d ASCII letters or digits", code,
				       PLAN_NAMES_CODE_MAX);
	enum org_kind kind;
	if (!values_org_kind_parse(kind_text, &kind))
		return plan_names_fail(err, label, line, "kind \"%s\" is not one of: %s", kind_text,
				       values_org_kind_names());
	if (plan_names_org_by_code(n, code) != NULL)
		return plan_names_fail(err, label, line, "code \"%s\" is defined twice", code);
	for (size_t i = 0; i < n->n_orgs; i++)
		if (plan_names_equal(n->orgs[i].name, name))
			return plan_names_fail(err, label, line, "name \"%s\" is already used by code %s", name,
					       n->orgs[i].code);
	n->orgs = xgrow(n->orgs, &b->cap_orgs, n->n_orgs + 1, sizeof(*n->orgs));
	n->orgs[n->n_orgs++] = (struct plan_names_org){.code = xstrdup(code), .kind = kind, .name = xstrdup(name)};
	return true;
}

static bool plan_names_add_alias(struct plan_names_builder *b, bool org, char **fields, size_t n_fields,
				 const char *label, int line, char **err)
{
	struct plan_names *n = &b->names;
	const char *what = org ? "an org-alias record has 3 fields (org-alias, alias, code)"
			       : "a person-alias record has 3 fields (person-alias, alias, person)";
	if (n_fields != 3)
		return plan_names_fail(err, label, line, "%s; this one has %zu", what, n_fields);
	struct plan_names_alias **list = org ? &n->org_aliases : &n->person_aliases;
	size_t *count = org ? &n->n_org_aliases : &n->n_person_aliases;
	size_t *cap = org ? &b->cap_org_aliases : &b->cap_person_aliases;
	if (plan_names_find_alias(*list, *count, fields[1]) != NULL)
		return plan_names_fail(err, label, line, "alias \"%s\" is defined twice", fields[1]);
	*list = xgrow(*list, cap, *count + 1, sizeof(**list));
	(*list)[(*count)++] = (struct plan_names_alias){.alias = xstrdup(fields[1]), .target = xstrdup(fields[2])};
	if (org) {
		b->org_alias_lines = xgrow(b->org_alias_lines, &b->cap_org_alias_lines, *count, sizeof(int));
		b->org_alias_lines[*count - 1] = line;
	}
	return true;
}

/* One record; line is NUL-terminated without its newline and may be modified. */
static bool plan_names_parse_line(struct plan_names_builder *b, char *line_text, const char *label, int line,
				  char **err)
{
	char *fields[8];
	size_t n_fields = 0;
	char *p = line_text;
	for (;;) {
		char *tab = strchr(p, '\t');
		if (tab != NULL)
			*tab = '\0';
		if (n_fields < sizeof(fields) / sizeof(fields[0]))
			fields[n_fields] = plan_names_trim(p);
		n_fields++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	size_t kept = n_fields < 8 ? n_fields : 8;
	for (size_t i = 0; i < kept; i++)
		if (fields[i][0] == '\0')
			return plan_names_fail(err, label, line, "field %zu is empty (fields are separated by one TAB)",
					       i + 1);

	if (strcmp(fields[0], "org") == 0)
		return plan_names_add_org(b, fields, n_fields, label, line, err);
	if (strcmp(fields[0], "org-alias") == 0)
		return plan_names_add_alias(b, true, fields, n_fields, label, line, err);
	if (strcmp(fields[0], "person-alias") == 0)
		return plan_names_add_alias(b, false, fields, n_fields, label, line, err);
	return plan_names_fail(err, label, line, "record type \"%s\" is not org, org-alias or person-alias", fields[0]);
}

static bool plan_names_parse_all(struct plan_names_builder *b, char *text, const char *label, char **err)
{
	int line = 0;
	char *p = text;
	while (*p != '\0') {
		line++;
		char *nl = strchr(p, '\n');
		char *next = nl != NULL ? nl + 1 : p + strlen(p);
		if (nl != NULL)
			*nl = '\0';
		size_t n = strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			p[--n] = '\0';
		const char *q = p;
		while (text_is_space(*q))
			q++;
		if (*q != '\0' && *q != '#' && !plan_names_parse_line(b, p, label, line, err))
			return false;
		p = next;
	}
	/* aliases may name an org defined further down, so targets are checked once all is read */
	for (size_t i = 0; i < b->names.n_org_aliases; i++) {
		const struct plan_names_alias *a = &b->names.org_aliases[i];
		if (plan_names_org_by_code(&b->names, a->target) == NULL)
			return plan_names_fail(err, label, b->org_alias_lines[i],
					       "alias \"%s\" refers to code \"%s\", which no org record defines",
					       a->alias, a->target);
	}
	return true;
}

bool plan_names_parse(const char *buf, size_t len, const char *label, struct plan_names *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (memchr(buf, '\0', len) != NULL) {
		*err = xasprintf("%s: contains a NUL byte; a names file is text", label);
		return false;
	}
	char *text = xstrndup(buf, len);
	struct plan_names_builder b;
	memset(&b, 0, sizeof(b));
	bool ok = plan_names_parse_all(&b, text, label, err);
	free(text);
	free(b.org_alias_lines);
	if (!ok) {
		plan_names_free(&b.names);
		return false;
	}
	*out = b.names;
	return true;
}

bool plan_names_load(const char *path, struct plan_names *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	size_t len = 0;
	char *buf = file_read(path, PLAN_NAMES_MAX_BYTES, &len, err);
	if (buf == NULL)
		return false;
	bool ok = plan_names_parse(buf != NULL ? buf : "", len, path, out, err);
	free(buf);
	return ok;
}

void plan_names_free(struct plan_names *n)
{
	for (size_t i = 0; i < n->n_orgs; i++) {
		free(n->orgs[i].code);
		free(n->orgs[i].name);
	}
	free(n->orgs);
	for (size_t i = 0; i < n->n_org_aliases; i++) {
		free(n->org_aliases[i].alias);
		free(n->org_aliases[i].target);
	}
	free(n->org_aliases);
	for (size_t i = 0; i < n->n_person_aliases; i++) {
		free(n->person_aliases[i].alias);
		free(n->person_aliases[i].target);
	}
	free(n->person_aliases);
	memset(n, 0, sizeof(*n));
}

const struct plan_names_org *plan_names_org_by_code(const struct plan_names *n, const char *code)
{
	for (size_t i = 0; i < n->n_orgs; i++)
		if (plan_names_equal(n->orgs[i].code, code))
			return &n->orgs[i];
	return NULL;
}

const struct plan_names_org *plan_names_resolve_org(const struct plan_names *n, const char *text, bool *via_alias)
{
	if (via_alias != NULL)
		*via_alias = false;
	const struct plan_names_org *org = plan_names_org_by_code(n, text);
	if (org != NULL)
		return org;
	for (size_t i = 0; i < n->n_orgs; i++)
		if (plan_names_equal(n->orgs[i].name, text))
			return &n->orgs[i];
	const struct plan_names_alias *a = plan_names_find_alias(n->org_aliases, n->n_org_aliases, text);
	if (a == NULL)
		return NULL;
	if (via_alias != NULL)
		*via_alias = true;
	return plan_names_org_by_code(n, a->target);
}

const char *plan_names_resolve_person(const struct plan_names *n, const char *text)
{
	const struct plan_names_alias *a = plan_names_find_alias(n->person_aliases, n->n_person_aliases, text);
	return a != NULL ? a->target : NULL;
}
