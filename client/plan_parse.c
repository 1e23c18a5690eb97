/* plan_parse.c - reads a published action-plan document into themes, objectives and projects, warning on every
 * interpretation. */
#include "plan_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "plan_parse_int.h"
#include "text.h"
#include "xmalloc.h"

#define PLAN_PARSE_COLUMNS 7
#define PLAN_PARSE_REF_MAX 100000
/* Theme and objective numbers above this are typing slips; the limit also keeps "N.M" within a code[16]. */
#define PLAN_PARSE_NUMBER_MAX 9999

/* ---- small string helpers (ASCII-only on purpose: the C locale must not change a reading) ---- */

/* Whitespace runs to one space, ends trimmed: a name as it should be stored. */
char *plan_parse_fold_space(const char *s)
{
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;
	s = text_skip_space(s);
	while (*s != '\0') {
		if (text_is_space(*s)) {
			s = text_skip_space(s);
			if (*s != '\0')
				out[n++] = ' ';
			continue;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	return out;
}

void plan_parse_list_add(struct plan_parse_list *l, char *item)
{
	l->items = xgrow(l->items, &l->cap, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = item;
}

void plan_parse_list_free(struct plan_parse_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Splits s at any byte of seps that lies outside parentheses; items are trimmed, empty ones kept. */
void plan_parse_split(const char *s, const char *seps, struct plan_parse_list *out)
{
	int depth = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if (*p == '\0' || (depth == 0 && strchr(seps, *p) != NULL)) {
			plan_parse_list_add(out, text_trim_dup(start, (size_t)(p - start)));
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
}

void plan_parse_warn(struct plan_parse *ps, int ref, const char *fmt, ...)
{
	struct plan *p = &ps->plan;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	p->warnings = xgrow(p->warnings, &ps->cap_warnings, p->n_warnings + 1, sizeof(*p->warnings));
	p->warnings[p->n_warnings++] = (struct plan_warning){.line = ps->line, .ref = ref, .message = msg};
}

static bool plan_parse_fail(struct plan_parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool plan_parse_fail(struct plan_parse *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ps->err->line = ps->line;
	vsnprintf(ps->err->message, sizeof(ps->err->message), fmt, ap);
	va_end(ap);
	return false;
}

/* Adds an organisation to plan->orgs unless its code is already there. */
void plan_parse_add_org(struct plan_parse *ps, const char *code, const char *name, enum org_kind kind)
{
	struct plan *p = &ps->plan;
	for (size_t i = 0; i < p->n_orgs; i++)
		if (strcmp(p->orgs[i].code, code) == 0)
			return;
	p->orgs = xgrow(p->orgs, &ps->cap_orgs, p->n_orgs + 1, sizeof(*p->orgs));
	p->orgs[p->n_orgs++] = (struct plan_org){.code = xstrdup(code), .name = xstrdup(name), .kind = kind};
}

void plan_parse_add_person(struct plan_parse *ps, const char *name)
{
	struct plan *p = &ps->plan;
	for (size_t i = 0; i < p->n_people; i++)
		if (strcmp(p->people[i], name) == 0)
			return;
	p->people = xgrow(p->people, &ps->cap_people, p->n_people + 1, sizeof(*p->people));
	p->people[p->n_people++] = xstrdup(name);
}

/* Appends s to a list of strings unless already present; the list owns its copies. */
void plan_parse_add_unique(char ***list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], s) == 0)
			return;
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
}

/* ---- lines ---- */

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
/* Checks a raw line for invalid UTF-8 and control characters (TAB is the column separator). */
static bool plan_parse_check_line(struct plan_parse *ps, const char *line, size_t len)
{
	const unsigned char *s = (const unsigned char *)line;
	for (size_t i = 0; i < len; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return plan_parse_fail(
				ps, "control character 0x%02x on line %d at byte %zu; only TAB may appear in a cell",
				s[i], ps->line, i + 1);
	size_t bad;
	if (!text_utf8_valid(line, len, &bad))
		return plan_parse_fail(ps, "invalid UTF-8 on line %d at byte %zu (byte 0x%02x)", ps->line, bad + 1,
				       s[bad]);
	return true;
}

/* Reads "digits" at s into *v (capped so huge numbers stay out of range rather than overflow). */
static size_t plan_parse_number(const char *s, int *v)
{
	size_t i = 0;
	long value = 0;
	while (text_is_digit(s[i])) {
		if (value <= 10L * PLAN_PARSE_REF_MAX)
			value = value * 10 + (s[i] - '0');
		i++;
	}
	*v = (int)value;
	return i;
}

static bool plan_parse_rest_empty(char **cells, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!text_is_blank(cells[i]))
			return false;
	return true;
}

static bool plan_parse_theme(struct plan_parse *ps, int number, const char *title)
{
	struct plan *p = &ps->plan;
	if (number < 1 || number > PLAN_PARSE_NUMBER_MAX)
		return plan_parse_fail(ps, "theme number %d is not valid; themes are numbered from 1 to %d", number,
				       PLAN_PARSE_NUMBER_MAX);
	if (number <= ps->theme)
		return plan_parse_fail(ps, "theme %d follows theme %d (line %d); theme numbers must increase", number,
				       ps->theme, ps->theme_line);
	p->themes = xgrow(p->themes, &ps->cap_themes, p->n_themes + 1, sizeof(*p->themes));
	p->themes[p->n_themes++] =
		(struct plan_theme){.number = number, .title = text_trim_dup(title, strlen(title)), .line = ps->line};
	ps->theme = number;
	ps->theme_line = ps->line;
	ps->objective[0] = '\0';
	return true;
}

static bool plan_parse_objective(struct plan_parse *ps, const char *cell, int major, int minor, const char *title)
{
	struct plan *p = &ps->plan;
	if (ps->theme == 0)
		return plan_parse_fail(ps, "objective \"%s\" comes before any theme", cell);
	if (minor < 1 || minor > PLAN_PARSE_NUMBER_MAX)
		return plan_parse_fail(ps, "objective \"%s\" has minor number %d; objectives are numbered from 1 to %d",
				       cell, minor, PLAN_PARSE_NUMBER_MAX);
	char code[16];
	snprintf(code, sizeof(code), "%d.%d", ps->theme, minor);
	if (major != ps->theme)
		plan_parse_warn(ps, 0, "objective \"%s\" printed as %d.%d under theme %d; read as %s", cell, major,
				minor, ps->theme, code);
	for (size_t i = 0; i < p->n_objectives; i++)
		if (strcmp(p->objectives[i].code, code) == 0)
			return plan_parse_fail(ps, "objective %s (\"%s\") repeats objective %s on line %d", code, cell,
					       code, p->objectives[i].line);
	p->objectives = xgrow(p->objectives, &ps->cap_objectives, p->n_objectives + 1, sizeof(*p->objectives));
	struct plan_objective *o = &p->objectives[p->n_objectives++];
	*o = (struct plan_objective){
		.theme = ps->theme, .number = minor, .title = text_trim_dup(title, strlen(title)), .line = ps->line};
	memcpy(o->code, code, sizeof(code));
	memcpy(ps->objective, code, sizeof(code));
	return true;
}

/* A project row may stand here: seven columns, a ref in range and not seen before, under a theme and objective. */
static bool plan_parse_project_place(struct plan_parse *ps, char **cells, size_t n_cells, int ref)
{
	size_t used = n_cells;
	while (used > PLAN_PARSE_COLUMNS && text_is_blank(cells[used - 1]))
		used--;
	if (used != PLAN_PARSE_COLUMNS)
		return plan_parse_fail(
			ps,
			"project row for ref %d has %zu columns; %d are expected (title, description, lead, "
			"partners, total cost, funding, status)",
			ref, used, PLAN_PARSE_COLUMNS);
	if (ref < 1 || ref > PLAN_PARSE_REF_MAX)
		return plan_parse_fail(ps, "project ref %d is out of range (1 to %d)", ref, PLAN_PARSE_REF_MAX);
	if (ps->theme == 0)
		return plan_parse_fail(ps, "project %d comes before any theme", ref);
	if (ps->objective[0] == '\0')
		return plan_parse_fail(ps, "project %d comes before any objective of theme %d (line %d)", ref,
				       ps->theme, ps->theme_line);
	if (ps->ref_lines == NULL)
		ps->ref_lines = xcalloc(PLAN_PARSE_REF_MAX + 1, sizeof(*ps->ref_lines));
	if (ps->ref_lines[ref] != 0)
		return plan_parse_fail(ps, "ref %d on line %d repeats ref %d on line %d", ref, ps->line, ref,
				       ps->ref_lines[ref]);
	return true;
}

/* The title, trimmed, without the legend's "#" (requires capital funding), which sets *capital; NULL after failing. */
static char *plan_parse_project_title(struct plan_parse *ps, int ref, const char *title, bool *capital)
{
	char *clean = text_trim_dup(title, strlen(title));
	size_t len = strlen(clean);
	*capital = len > 0 && clean[len - 1] == '#';
	if (*capital) {
		char *t = text_trim_dup(clean, len - 1);
		free(clean);
		clean = t;
	}
	if (clean[0] == '\0') {
		free(clean);
		plan_parse_fail(ps, "project %d has no title", ref);
		return NULL;
	}
	return clean;
}

/* Refs are expected to run 1, 2, 3, ...: a gap or a step back is worth a warning, not a failure. */
static void plan_parse_project_order(struct plan_parse *ps, int ref)
{
	if (ps->last_ref == 0 && ref != 1)
		plan_parse_warn(ps, ref, "the first project is numbered %d, not 1", ref);
	else if (ps->last_ref != 0 && ref != ps->last_ref + 1)
		plan_parse_warn(ps, ref, "project %d follows project %d; refs are not consecutive", ref, ps->last_ref);
	ps->last_ref = ref;
	ps->ref_lines[ref] = ps->line;
}

/* The project's cells read into proj: the texts, then its lead, partners and cost, each warning as it goes. */
static void plan_parse_project_cells(struct plan_parse *ps, struct plan_project *proj, char **cells)
{
	proj->description = text_trim_dup(cells[1], strlen(cells[1]));
	proj->lead_text = text_trim_dup(cells[2], strlen(cells[2]));
	proj->partners_text = text_trim_dup(cells[3], strlen(cells[3]));
	proj->funding = text_trim_dup(cells[5], strlen(cells[5]));
	plan_parse_lead(ps, proj);
	plan_parse_partners(ps, proj);
	char *cost_warning;
	plan_parse_cost(cells[4], &proj->cost, &cost_warning);
	if (cost_warning != NULL) {
		plan_parse_warn(ps, proj->ref, "%s", cost_warning);
		free(cost_warning);
	}
}

static bool plan_parse_project(struct plan_parse *ps, char **cells, size_t n_cells, int ref, const char *title)
{
	struct plan *p = &ps->plan;
	if (!plan_parse_project_place(ps, cells, n_cells, ref))
		return false;
	bool capital;
	char *clean_title = plan_parse_project_title(ps, ref, title, &capital);
	if (clean_title == NULL)
		return false;
	enum stage stage;
	char *note, *stage_warning;
	char *stage_text = text_trim_dup(cells[6], strlen(cells[6]));
	if (!plan_parse_stage(stage_text, &stage, &note, &stage_warning)) {
		bool r = plan_parse_fail(ps,
					 "project %d has status \"%s\", which names no stage (expected live, advanced "
					 "development, early development, concept, completed, paused or cancelled)",
					 ref, stage_text);
		free(stage_text);
		free(clean_title);
		return r;
	}
	plan_parse_project_order(ps, ref);
	p->projects = xgrow(p->projects, &ps->cap_projects, p->n_projects + 1, sizeof(*p->projects));
	struct plan_project *proj = &p->projects[p->n_projects++];
	*proj = (struct plan_project){.ref = ref,
				      .theme = ps->theme,
				      .title = clean_title,
				      .capital = capital,
				      .stage_text = stage_text,
				      .stage = stage,
				      .stage_note = note,
				      .line = ps->line};
	memcpy(proj->objective, ps->objective, sizeof(proj->objective));
	plan_parse_project_cells(ps, proj, cells);
	if (stage_warning != NULL) {
		plan_parse_warn(ps, ref, "%s", stage_warning);
		free(stage_warning);
	}
	return true;
}

/* "N.M title" -> true with the numbers and where the title starts. */
static bool plan_parse_objective_head(const char *s, int *major, int *minor, const char **title)
{
	size_t n = plan_parse_number(s, major);
	if (n == 0 || s[n] != '.')
		return false;
	size_t m = plan_parse_number(s + n + 1, minor);
	if (m == 0 || !text_is_space(s[n + 1 + m]))
		return false;
	*title = text_skip_space(s + n + 1 + m);
	return **title != '\0';
}

/* "N. title" -> true with the ref and where the title starts. */
static bool plan_parse_project_head(const char *s, int *ref, const char **title)
{
	size_t n = plan_parse_number(s, ref);
	if (n == 0 || s[n] != '.' || !(text_is_space(s[n + 1]) || s[n + 1] == '\0'))
		return false;
	*title = s + n + 1;
	return true;
}

/* "Theme N: title" -> true with the number and where the title starts. */
static bool plan_parse_theme_head(const char *s, int *number, const char **title)
{
	size_t k = text_iword(s, "theme");
	if (k == 0)
		return false;
	s = text_skip_space(s + k);
	size_t n = plan_parse_number(s, number);
	if (n == 0)
		return false;
	s = text_skip_space(s + n);
	if (*s != ':' && *s != '.' && *s != '-')
		return false;
	*title = text_skip_space(s + 1);
	return true;
}

/* Rows of dashes (with tabs and spaces) that separate table sections. */
static bool plan_parse_is_separator(const char *s)
{
	bool dash = false;
	for (; *s != '\0'; s++) {
		if (*s == '-')
			dash = true;
		else if (*s != '\t' && *s != ' ')
			return false;
	}
	return dash;
}

static bool plan_parse_is_legend(const char *s)
{
	s = text_skip_space(s);
	if (*s == '#')
		s = text_skip_space(s + 1);
	return text_iword(s, "denotes") != 0;
}

/* One line, NUL-terminated, CR removed, already checked for encoding and control characters. */
static bool plan_parse_line(struct plan_parse *ps, char *line)
{
	if (text_is_blank(line) || plan_parse_is_separator(line))
		return true;

	char **cells = NULL;
	size_t n_cells = 0, cap = 0;
	for (char *p = line;;) {
		cells = xgrow(cells, &cap, n_cells + 1, sizeof(*cells));
		cells[n_cells++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	const char *first = text_skip_space(cells[0]);
	const char *title;
	int a, b;
	bool ok = true;

	char *head = text_trim_dup(cells[0], strlen(cells[0]));
	bool column_headings = text_iequal(head, "title");
	free(head);
	if (column_headings) {
		/* the table's column headings, repeated on each page */
	} else if (plan_parse_theme_head(first, &a, &title)) {
		if (!plan_parse_rest_empty(cells, n_cells))
			ok = plan_parse_fail(ps, "theme line \"%s\" has text in other columns", first);
		else
			ok = plan_parse_theme(ps, a, title);
	} else if (plan_parse_objective_head(first, &a, &b, &title)) {
		if (!plan_parse_rest_empty(cells, n_cells))
			ok = plan_parse_fail(ps, "objective line \"%s\" has text in other columns", first);
		else
			ok = plan_parse_objective(ps, first, a, b, title);
	} else if (plan_parse_project_head(first, &a, &title)) {
		ok = plan_parse_project(ps, cells, n_cells, a, title);
	} else if (plan_parse_is_legend(line)) {
		/* the legend explaining "#"; the marker itself is read per project */
	} else {
		char *text = text_trim_dup(line, strlen(line));
		if (ps->plan.title == NULL && ps->theme == 0)
			ps->plan.title = text; /* the page header */
		else if (ps->plan.title != NULL && strcmp(ps->plan.title, text) == 0)
			free(text); /* the page header again */
		else {
			ok = plan_parse_fail(
				ps, "line \"%.200s\" is not a page header, theme, objective or project row", text);
			free(text);
		}
	}
	free(cells);
	return ok;
}

static int plan_parse_org_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_org *)a)->code, ((const struct plan_org *)b)->code);
}

static int plan_parse_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool plan_parse_document(struct plan_parse *ps, const char *buf, size_t len)
{
	/* a byte-order mark is an encoding detail, not text */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	bool blank = true;
	for (size_t i = 0; i < len && blank; i++)
		blank = text_is_space(buf[i]);
	if (blank) {
		ps->line = 0;
		return plan_parse_fail(ps, "document is empty");
	}

	size_t pos = 0;
	while (pos < len) {
		ps->line++;
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
		pos += n + (nl != NULL ? 1 : 0);
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (!plan_parse_check_line(ps, start, n))
			return false;
		char *line = xstrndup(start, n);
		bool ok = plan_parse_line(ps, line);
		free(line);
		if (!ok)
			return false;
	}
	if (ps->plan.n_projects == 0) {
		ps->line = 0;
		return plan_parse_fail(ps, "no projects found: the document has no numbered project rows");
	}
	if (ps->plan.title == NULL)
		ps->plan.title = xstrdup("");
	struct plan *p = &ps->plan;
	/* qsort may not be handed a NULL array, even an empty one */
	if (p->n_orgs > 0)
		qsort(p->orgs, p->n_orgs, sizeof(*p->orgs), plan_parse_org_cmp);
	if (p->n_people > 0)
		qsort(p->people, p->n_people, sizeof(*p->people), plan_parse_str_cmp);
	return true;
}

bool plan_parse(const char *buf, size_t len, const struct plan_names *names, struct plan *out, struct plan_error *err)
{
	struct plan_parse ps;
	memset(&ps, 0, sizeof(ps));
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	ps.names = names;
	ps.err = err;
	bool ok = plan_parse_document(&ps, buf, len);
	free(ps.ref_lines);
	if (!ok) {
		plan_free(&ps.plan);
		return false;
	}
	*out = ps.plan;
	return true;
}

void plan_free(struct plan *p)
{
	free(p->title);
	for (size_t i = 0; i < p->n_themes; i++)
		free(p->themes[i].title);
	free(p->themes);
	for (size_t i = 0; i < p->n_objectives; i++)
		free(p->objectives[i].title);
	free(p->objectives);
	for (size_t i = 0; i < p->n_projects; i++) {
		struct plan_project *pr = &p->projects[i];
		free(pr->title);
		free(pr->description);
		free(pr->lead_text);
		for (size_t j = 0; j < pr->n_lead_orgs; j++)
			free(pr->lead_orgs[j]);
		free(pr->lead_orgs);
		for (size_t j = 0; j < pr->n_lead_people; j++)
			free(pr->lead_people[j]);
		free(pr->lead_people);
		free(pr->partners_text);
		for (size_t j = 0; j < pr->n_partners; j++) {
			free(pr->partners[j].name);
			free(pr->partners[j].org_code);
		}
		free(pr->partners);
		free(pr->cost.text);
		free(pr->funding);
		free(pr->stage_text);
		free(pr->stage_note);
	}
	free(p->projects);
	for (size_t i = 0; i < p->n_orgs; i++) {
		free(p->orgs[i].code);
		free(p->orgs[i].name);
	}
	free(p->orgs);
	for (size_t i = 0; i < p->n_people; i++)
		free(p->people[i]);
	free(p->people);
	for (size_t i = 0; i < p->n_warnings; i++)
		free(p->warnings[i].message);
	free(p->warnings);
	memset(p, 0, sizeof(*p));
}
