/* plan_map.c - reads the map file of a new edition's import (see plan_map.h). */
#include "plan_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

#define PLAN_MAP_REF_MAX 100000

/* A ref at *s (digits, in range), skipped; false when there is none. */
static bool plan_map_ref(const char **s, int *ref)
{
	const char *p = *s;
	long v = 0;
	while (text_is_digit(*p) && v <= PLAN_MAP_REF_MAX)
		v = v * 10 + (*p++ - '0');
	if (p == *s || text_is_digit(*p) || v < 1 || v > PLAN_MAP_REF_MAX)
		return false;
	*s = p;
	*ref = (int)v;
	return true;
}

/* One line (NUL-terminated, its comment cut) into e; false when it is not NEW_REF OLD_REF or NEW_REF new. */
static bool plan_map_line(const char *s, struct plan_map_entry *e)
{
	s = text_skip_space(s);
	if (!plan_map_ref(&s, &e->ref) || !text_is_space(*s))
		return false;
	s = text_skip_space(s);
	size_t k = text_iword(s, "new");
	if (k != 0) {
		e->previous_ref = 0;
		s += k;
	} else if (!plan_map_ref(&s, &e->previous_ref)) {
		return false;
	}
	return text_is_blank(s);
}

/* The entry before e that maps the same ref, or claims the same previous ref; NULL when none. */
static const struct plan_map_entry *plan_map_clash(const struct plan_map_entry *all, size_t n,
						   const struct plan_map_entry *e)
{
	for (size_t i = 0; i < n; i++)
		if (all[i].ref == e->ref || (e->previous_ref != 0 && all[i].previous_ref == e->previous_ref))
			return &all[i];
	return NULL;
}

bool plan_map_parse(const char *buf, size_t len, struct plan_map_entry **out, size_t *n, char *err, size_t err_size)
{
	struct plan_map_entry *all = NULL;
	size_t cap = 0, count = 0;
	int line = 0;
	for (size_t pos = 0; pos < len;) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t w = nl != NULL ? (size_t)(nl - start) : len - pos;
		pos += w + (nl != NULL ? 1 : 0);
		line++;
		char *text = xstrndup(start, w);
		char *hash = strchr(text, '#');
		if (hash != NULL)
			*hash = '\0';
		struct plan_map_entry e = {.line = line};
		bool blank = text_is_blank(text),
		     ok = blank || (memchr(start, '\0', w) == NULL && plan_map_line(text, &e));
		char shown[80];
		snprintf(shown, sizeof shown, "%s", text);
		free(text);
		if (blank)
			continue;
		const struct plan_map_entry *clash = ok ? plan_map_clash(all, count, &e) : NULL;
		if (!ok || clash != NULL) {
			if (!ok)
				snprintf(err, err_size, "line %d: \"%s\" is not NEW_REF OLD_REF or NEW_REF new", line,
					 shown);
			else if (clash->ref == e.ref)
				snprintf(err, err_size, "line %d: project %d is mapped on line %d already", line, e.ref,
					 clash->line);
			else
				snprintf(err, err_size,
					 "line %d: project %d of the previous edition is claimed on line %d "
					 "already; one project continues each",
					 line, e.previous_ref, clash->line);
			free(all);
			return false;
		}
		all = xgrow(all, &cap, count + 1, sizeof *all);
		all[count++] = e;
	}
	*out = all;
	*n = count;
	return true;
}
