/* plan_parse.c - reads a published action-plan document into themes, objectives and projects, warning on every
 * interpretation: the lines and rows, what each row is, and the plan they add up to. */
#include "plan_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "plan_parse_int.h"
#include "text.h"
#include "xmalloc.h"

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

bool plan_parse_fail(struct plan_parse *ps, const char *fmt, ...)
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

/* ---- lines and rows ---- */

bool plan_parse_lines(const char *buf, size_t len, void *arg,
		      bool (*line_fn)(void *arg, int number, const char *s, size_t n))
{
	size_t pos = 0;
	int number = 0;
	while (pos < len) {
		number++;
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
		pos += n + (nl != NULL ? 1 : 0);
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (!line_fn(arg, number, start, n))
			return false;
	}
	return true;
}

void plan_parse_row_split(char *line, struct plan_parse_row *row)
{
	size_t cap = 0;
	row->cell = NULL;
	row->n = 0;
	for (char *p = line;;) {
		row->cell = xgrow(row->cell, &cap, row->n + 1, sizeof(*row->cell));
		row->cell[row->n++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
}

const char *plan_parse_row_alone(const struct plan_parse_row *row, char *buf, size_t size)
{
	const char *only = NULL;
	for (size_t i = 0; i < row->n; i++) {
		if (text_is_blank(row->cell[i]))
			continue;
		if (only != NULL)
			return NULL;
		only = row->cell[i];
	}
	if (only == NULL)
		return NULL;
	char *t = text_trim_dup(only, strlen(only));
	snprintf(buf, size, "%s", t);
	free(t);
	return buf;
}

/* Checks a raw line for invalid UTF-8 and control characters (TAB is the column separator; a form feed is a
 * page break). */
static bool plan_parse_check_line(struct plan_parse *ps, const char *line, size_t len)
{
	const unsigned char *s = (const unsigned char *)line;
	for (size_t i = 0; i < len; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\f') || s[i] == 0x7f)
			return plan_parse_fail(
				ps,
				"control character 0x%02x on line %d at byte %zu; only TAB (between cells) "
				"and form feed (between pages) may appear",
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

static bool plan_parse_rest_empty(const struct plan_parse_row *row)
{
	for (size_t i = 1; i < row->n; i++)
		if (!text_is_blank(row->cell[i]))
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

/* A project row may stand here: the cells its headings name, a ref in range and not seen before, under a theme
 * and objective. */
static bool plan_parse_project_place(struct plan_parse *ps, const struct plan_parse_row *row, int ref)
{
	if (!plan_parse_layout_check(ps, row, ref))
		return false;
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

/* The project's cells read into proj by the headings: the texts, then its lead, partners and cost, each warning
 * as it goes, then the columns the register does not read. */
static void plan_parse_project_cells(struct plan_parse *ps, struct plan_project *proj, const struct plan_parse_row *row)
{
	proj->description = plan_parse_layout_cell(ps, row, PLAN_COL_DESCRIPTION);
	proj->lead_text = plan_parse_layout_cell(ps, row, PLAN_COL_LEAD);
	proj->partners_text = plan_parse_layout_cell(ps, row, PLAN_COL_PARTNERS);
	proj->funding = plan_parse_layout_cell(ps, row, PLAN_COL_FUNDING);
	plan_parse_lead(ps, proj);
	plan_parse_partners(ps, proj);
	char *cost_warning;
	char *cost = plan_parse_layout_cell(ps, row, PLAN_COL_COST);
	plan_parse_cost(cost, &proj->cost, &cost_warning);
	free(cost);
	if (cost_warning != NULL) {
		plan_parse_warn(ps, proj->ref, "%s", cost_warning);
		free(cost_warning);
	}
	plan_parse_layout_attributes(ps, row, proj);
}

static bool plan_parse_project(struct plan_parse *ps, const struct plan_parse_row *row, int ref, const char *title)
{
	struct plan *p = &ps->plan;
	if (!plan_parse_project_place(ps, row, ref))
		return false;
	bool capital;
	char *clean_title = plan_parse_project_title(ps, ref, title, &capital);
	if (clean_title == NULL)
		return false;
	enum stage stage;
	char *note, *stage_warning;
	char *stage_text = plan_parse_layout_cell(ps, row, PLAN_COL_STATUS);
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
	plan_parse_project_cells(ps, proj, row);
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

/* A line of text that is not a row of the table: the title, a repeat of it (a page header), text before the
 * column headings, or an error (a description wrapped onto a line of its own must not be dropped silently). */
static bool plan_parse_text(struct plan_parse *ps, const char *text)
{
	if (ps->plan.title == NULL && ps->theme == 0) {
		ps->plan.title = xstrdup(text);
		return true;
	}
	if (ps->plan.title != NULL && strcmp(ps->plan.title, text) == 0) {
		plan_parse_page_count(ps, PLAN_PAGE_TITLE);
		return true;
	}
	if (ps->headings_line != 0 && ps->layout.line == 0) {
		plan_parse_page_count(ps, PLAN_PAGE_PREAMBLE);
		return true;
	}
	return plan_parse_fail(ps, "line \"%.200s\" is not a page header, theme, objective or project row", text);
}

/* A project row before the headings of a document that has them: which cell is which is not yet known. */
static bool plan_parse_before_headings(struct plan_parse *ps, int ref)
{
	return plan_parse_fail(ps,
			       "project %d on line %d comes before the column headings (line %d), so its cells "
			       "cannot be told apart",
			       ref, ps->line, ps->headings_line);
}

/* One row of the table, or a line of text (text: the whole line, trimmed). */
static bool plan_parse_row(struct plan_parse *ps, const struct plan_parse_row *row, const char *text)
{
	const char *first = text_skip_space(row->cell[0]);
	const char *title, *cell = plan_parse_layout_title_cell(ps, row);
	char alone[256];
	int a, b;
	bool before_headings = ps->headings_line != 0 && ps->layout.line == 0;
	if (plan_parse_layout_is_headings(row))
		return plan_parse_layout_headings(ps, row);
	if (plan_parse_theme_head(first, &a, &title)) {
		if (!plan_parse_rest_empty(row))
			return plan_parse_fail(ps, "theme line \"%s\" has text in other columns", first);
		return plan_parse_theme(ps, a, title);
	}
	if (plan_parse_objective_head(first, &a, &b, &title)) {
		if (!plan_parse_rest_empty(row))
			return plan_parse_fail(ps, "objective line \"%s\" has text in other columns", first);
		return plan_parse_objective(ps, first, a, b, title);
	}
	if (cell != NULL && plan_parse_project_head(text_skip_space(cell), &a, &title))
		return before_headings ? plan_parse_before_headings(ps, a) : plan_parse_project(ps, row, a, title);
	if (before_headings && plan_parse_project_head(first, &a, &title))
		return plan_parse_before_headings(ps, a);
	if (plan_parse_page_is_legend(text)) {
		/* the legend explaining "#"; the marker itself is read per project */
		plan_parse_page_count(ps, PLAN_PAGE_LEGEND);
		return true;
	}
	const char *only = plan_parse_row_alone(row, alone, sizeof alone);
	if (only != NULL && plan_parse_page_is_number(only)) {
		plan_parse_page_count(ps, PLAN_PAGE_NUMBER);
		return true;
	}
	return plan_parse_text(ps, text);
}

/* One page's part of a line (a form feed ends a page), NUL-terminated, already checked for encoding and
 * control characters; cut in place. */
static bool plan_parse_piece(struct plan_parse *ps, char *piece)
{
	if (text_is_blank(piece))
		return true;
	if (plan_parse_page_is_rule(piece)) {
		plan_parse_page_count(ps, PLAN_PAGE_RULE);
		return true;
	}
	char *text = text_trim_dup(piece, strlen(piece));
	struct plan_parse_row row;
	plan_parse_row_split(piece, &row);
	bool ok = plan_parse_row(ps, &row, text);
	free(row.cell);
	free(text);
	return ok;
}

/* Calls piece_fn on each part of line s (n bytes) between form feeds; counts the form feeds when ps is given. */
static bool plan_parse_pieces(struct plan_parse *ps, const char *s, size_t n, void *arg,
			      bool (*piece_fn)(void *arg, char *piece))
{
	for (size_t from = 0;;) {
		const char *ff = memchr(s + from, '\f', n - from);
		size_t to = ff != NULL ? (size_t)(ff - s) : n;
		char *piece = xstrndup(s + from, to - from);
		bool go_on = piece_fn(arg, piece);
		free(piece);
		if (!go_on || ff == NULL)
			return go_on;
		if (ps != NULL)
			plan_parse_page_count(ps, PLAN_PAGE_FORM_FEED);
		from = to + 1;
	}
}

static bool plan_parse_piece_fn(void *arg, char *piece)
{
	return plan_parse_piece(arg, piece);
}

/* One line of the document (without its line end). */
static bool plan_parse_line(void *arg, int number, const char *s, size_t n)
{
	struct plan_parse *ps = arg;
	ps->line = number;
	if (!plan_parse_check_line(ps, s, n))
		return false;
	size_t blank = 0;
	while (blank < n && (s[blank] == ' ' || s[blank] == '\t'))
		blank++;
	if (blank == n) {
		plan_parse_page_count(ps, PLAN_PAGE_BLANK);
		return true;
	}
	return plan_parse_pieces(ps, s, n, ps, plan_parse_piece_fn);
}

/* Finding the first row of headings before reading: a project above it cannot be read. */
struct plan_parse_scan {
	struct plan_parse *ps;
	int line;
};

static bool plan_parse_scan_piece(void *arg, char *piece)
{
	struct plan_parse_scan *scan = arg;
	struct plan_parse_row row;
	plan_parse_row_split(piece, &row);
	if (plan_parse_layout_is_headings(&row))
		scan->ps->headings_line = scan->line;
	free(row.cell);
	return scan->ps->headings_line == 0;
}

static bool plan_parse_scan_line(void *arg, int number, const char *s, size_t n)
{
	struct plan_parse_scan scan = {arg, number};
	return plan_parse_pieces(NULL, s, n, &scan, plan_parse_scan_piece);
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

	plan_parse_layout_published(&ps->layout);
	(void)plan_parse_lines(buf, len, ps, plan_parse_scan_line);
	if (!plan_parse_lines(buf, len, ps, plan_parse_line))
		return false;
	if (ps->plan.n_projects == 0) {
		ps->line = 0;
		return plan_parse_fail(ps, "no projects found: the document has no numbered project rows");
	}
	if (ps->plan.title == NULL)
		ps->plan.title = xstrdup("");
	if (ps->headings_line == 0) {
		ps->line = 0;
		plan_parse_warn(ps, 0,
				"the document has no row of column headings; its columns are read in the "
				"published order (title, description, lead, partners, total cost, funding, status)");
	}
	plan_parse_page_report(ps);
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
	plan_parse_layout_free(&ps.layout);
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
		for (size_t j = 0; j < pr->n_attributes; j++) {
			free(pr->attributes[j].name);
			free(pr->attributes[j].value);
		}
		free(pr->attributes);
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
