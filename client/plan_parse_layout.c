/* plan_parse_layout.c - the table's row of column headings and the cells it
 * names: which column is the title, the lead, the cost..., in whatever order
 * the document prints them; columns the register does not read are kept as
 * each project's attributes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_parse_int.h"
#include "text.h"
#include "xmalloc.h"

#define PLAN_LAYOUT_HEADING_MAX 120 /* a heading longer than this (normalised) is no heading the reader knows */
#define PLAN_LAYOUT_MIN_KNOWN 2     /* a row naming fewer known columns is not a row of headings */

/* What each kind of column is called in messages, and a heading that names it. */
static const struct {
	const char *name;
	const char *example;
	bool required;
} plan_layout_kinds[PLAN_COL_KINDS] = {
	[PLAN_COL_TITLE] = {"title", "\"TITLE\"", true},
	[PLAN_COL_DESCRIPTION] = {"description", "\"DESCRIPTION\"", false},
	[PLAN_COL_LEAD] = {"lead", "\"LEAD\" or \"Lead body\"", true},
	[PLAN_COL_PARTNERS] = {"partners", "\"PARTNERS\"", false},
	[PLAN_COL_COST] = {"total cost", "\"TOTAL COST\" or \"Cost\"", true},
	[PLAN_COL_FUNDING] = {"funding", "\"FUNDING SOURCES\"", false},
	[PLAN_COL_STATUS] = {"status", "\"STATUS\" or \"Stage\"", true},
};

/* Headings as they read once normalised (plan_parse_layout_normalise): the seed's, and the obvious variants. */
static const struct {
	enum plan_col kind;
	const char *heading;
} plan_layout_names[] = {
	{PLAN_COL_TITLE, "title"},
	{PLAN_COL_TITLE, "project"},
	{PLAN_COL_TITLE, "projects"},
	{PLAN_COL_TITLE, "project title"},
	{PLAN_COL_TITLE, "project name"},
	{PLAN_COL_TITLE, "name"},
	{PLAN_COL_TITLE, "action"},
	{PLAN_COL_DESCRIPTION, "description"},
	{PLAN_COL_DESCRIPTION, "project description"},
	{PLAN_COL_DESCRIPTION, "summary"},
	{PLAN_COL_DESCRIPTION, "details"},
	{PLAN_COL_DESCRIPTION, "scope"},
	{PLAN_COL_LEAD, "lead"},
	{PLAN_COL_LEAD, "leads"},
	{PLAN_COL_LEAD, "lead body"},
	{PLAN_COL_LEAD, "lead bodies"},
	{PLAN_COL_LEAD, "lead body and person"},
	{PLAN_COL_LEAD, "lead organisation"},
	{PLAN_COL_LEAD, "lead organization"},
	{PLAN_COL_LEAD, "lead organisations"},
	{PLAN_COL_LEAD, "lead organizations"},
	{PLAN_COL_LEAD, "lead partner"},
	{PLAN_COL_LEAD, "led by"},
	{PLAN_COL_PARTNERS, "partners"},
	{PLAN_COL_PARTNERS, "partner"},
	{PLAN_COL_PARTNERS, "partner organisations"},
	{PLAN_COL_PARTNERS, "partner organizations"},
	{PLAN_COL_PARTNERS, "delivery partners"},
	{PLAN_COL_PARTNERS, "key partners"},
	{PLAN_COL_PARTNERS, "other partners"},
	{PLAN_COL_COST, "total cost"},
	{PLAN_COL_COST, "total costs"},
	{PLAN_COL_COST, "cost"},
	{PLAN_COL_COST, "costs"},
	{PLAN_COL_COST, "budget"},
	{PLAN_COL_COST, "total budget"},
	{PLAN_COL_COST, "estimated cost"},
	{PLAN_COL_COST, "cost estimate"},
	{PLAN_COL_FUNDING, "funding"},
	{PLAN_COL_FUNDING, "funding sources"},
	{PLAN_COL_FUNDING, "funding source"},
	{PLAN_COL_FUNDING, "sources of funding"},
	{PLAN_COL_FUNDING, "source of funding"},
	{PLAN_COL_FUNDING, "funders"},
	{PLAN_COL_FUNDING, "funded by"},
	{PLAN_COL_STATUS, "status"},
	{PLAN_COL_STATUS, "status and start"},
	{PLAN_COL_STATUS, "start and status"},
	{PLAN_COL_STATUS, "status and stage"},
	{PLAN_COL_STATUS, "stage"},
	{PLAN_COL_STATUS, "current status"},
	{PLAN_COL_STATUS, "project status"},
	{PLAN_COL_STATUS, "delivery status"},
};

/*
 * A heading as compared: what is in parentheses dropped ("LEAD (body & person)"), ASCII letters
 * lowered, "&" and "+" read as "and", anything else but letters and digits a space, spaces folded.
 * False when it is longer than out can hold (no heading the reader knows is).
 */
static bool plan_layout_normalise(const char *s, char out[PLAN_LAYOUT_HEADING_MAX + 1])
{
	size_t n = 0;
	int depth = 0;
	for (; *s != '\0'; s++) {
		const char *add = NULL;
		char one[2] = {0, 0};
		if (*s == '(' || *s == '[')
			depth++;
		else if ((*s == ')' || *s == ']') && depth > 0)
			depth--;
		else if (depth > 0)
			continue;
		else if (*s == '&' || *s == '+')
			add = " and ";
		else if (text_is_alnum(*s))
			one[0] = text_lower(*s), add = one;
		else
			add = " ";
		if (add == NULL)
			continue;
		for (; *add != '\0'; add++) {
			if (*add == ' ' && (n == 0 || out[n - 1] == ' '))
				continue;
			if (n == PLAN_LAYOUT_HEADING_MAX)
				return false;
			out[n++] = *add;
		}
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return true;
}

/* The kind of column a heading names, PLAN_COL_EXTRA when it names none the reader knows. */
static enum plan_col plan_layout_kind_of(const char *heading)
{
	char norm[PLAN_LAYOUT_HEADING_MAX + 1];
	if (!plan_layout_normalise(heading, norm))
		return PLAN_COL_EXTRA;
	for (size_t i = 0; i < sizeof plan_layout_names / sizeof plan_layout_names[0]; i++)
		if (strcmp(norm, plan_layout_names[i].heading) == 0)
			return plan_layout_names[i].kind;
	return PLAN_COL_EXTRA;
}

void plan_parse_layout_published(struct plan_parse_layout *l)
{
	memset(l, 0, sizeof *l);
	l->n = PLAN_COL_KINDS;
	for (int k = 0; k < PLAN_COL_KINDS; k++) {
		l->kind[k] = (enum plan_col)k;
		l->at[k] = k;
	}
}

void plan_parse_layout_free(struct plan_parse_layout *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->heading[i]);
	memset(l, 0, sizeof *l);
}

/* At least two cells name columns the reader knows, and they are at least half of the row's cells: a project
 * row's cells are a title after its number, sentences, names and amounts. */
bool plan_parse_layout_is_headings(const struct plan_parse_row *row)
{
	size_t known = 0, cells = 0;
	for (size_t i = 0; i < row->n; i++) {
		if (text_is_blank(row->cell[i]))
			continue;
		cells++;
		if (plan_layout_kind_of(row->cell[i]) != PLAN_COL_EXTRA)
			known++;
	}
	return known >= PLAN_LAYOUT_MIN_KNOWN && 2 * known >= cells;
}

/* The columns of l in words: "title, description, lead, ..., TIMESCALE" (in buf). */
static const char *plan_layout_describe(const struct plan_parse_layout *l, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && n < size; i++) {
		const char *name = l->kind[i] < PLAN_COL_KINDS    ? plan_layout_kinds[l->kind[i]].name
				   : l->kind[i] == PLAN_COL_EXTRA ? l->heading[i]
								  : "(no heading)";
		int w = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* The row's headings into l; false after an error (more columns than the reader takes, a kind named twice). */
static bool plan_layout_read(struct plan_parse *ps, const struct plan_parse_row *row, struct plan_parse_layout *l)
{
	size_t n = row->n;
	memset(l, 0, sizeof *l);
	while (n > 0 && text_is_blank(row->cell[n - 1]))
		n--;
	if (n > PLAN_PARSE_MAX_COLUMNS)
		return plan_parse_fail(ps, "the column headings on line %d name %zu columns; at most %d are read",
				       ps->line, n, PLAN_PARSE_MAX_COLUMNS);
	for (int k = 0; k < PLAN_COL_KINDS; k++)
		l->at[k] = -1;
	l->line = ps->line;
	for (size_t i = 0; i < n; i++) {
		l->n = i + 1;
		if (text_is_blank(row->cell[i])) {
			l->kind[i] = PLAN_COL_NONE;
			continue;
		}
		l->heading[i] = text_trim_dup(row->cell[i], strlen(row->cell[i]));
		enum plan_col k = plan_layout_kind_of(l->heading[i]);
		l->kind[i] = k;
		if (k == PLAN_COL_EXTRA)
			continue;
		if (l->at[k] >= 0)
			return plan_parse_fail(
				ps,
				"the column headings on line %d name the %s column twice: \"%s\" (column "
				"%d) and \"%s\" (column %zu)",
				ps->line, plan_layout_kinds[k].name, l->heading[l->at[k]], l->at[k] + 1, l->heading[i],
				i + 1);
		l->at[k] = (int)i;
	}
	for (int k = 0; k < PLAN_COL_KINDS; k++)
		if (l->at[k] < 0 && plan_layout_kinds[k].required)
			return plan_parse_fail(
				ps, "the column headings on line %d have no %s column (a heading such as %s)", ps->line,
				plan_layout_kinds[k].name, plan_layout_kinds[k].example);
	return true;
}

static bool plan_layout_same(const struct plan_parse_layout *a, const struct plan_parse_layout *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (a->kind[i] != b->kind[i])
			return false;
		if ((a->heading[i] == NULL) != (b->heading[i] == NULL) ||
		    (a->heading[i] && !text_iequal(a->heading[i], b->heading[i])))
			return false;
	}
	return true;
}

/* What a new layout makes the reader interpret: another order, columns it lacks or does not read. */
static void plan_layout_warn(struct plan_parse *ps, const struct plan_parse_layout *l, int before)
{
	char cols[1024];
	/* the columns it knows in the published order, whatever else stands between them */
	bool published = true;
	for (int k = 0, last = -1; k < PLAN_COL_KINDS; k++) {
		if (l->at[k] < 0)
			continue;
		published = published && l->at[k] > last;
		last = l->at[k];
	}
	if (before != 0)
		plan_parse_warn(ps, 0,
				"the column headings on line %d differ from those on line %d; the rows after "
				"them are read by them: %s",
				ps->line, before, plan_layout_describe(l, cols, sizeof cols));
	else if (!published)
		plan_parse_warn(ps, 0,
				"the columns are not in the published order; each row is read by the headings "
				"on line %d: %s",
				ps->line, plan_layout_describe(l, cols, sizeof cols));
	for (int k = 0; k < PLAN_COL_KINDS; k++)
		if (l->at[k] < 0)
			plan_parse_warn(ps, 0,
					"the column headings on line %d have no %s column; every project's %s is "
					"left empty",
					ps->line, plan_layout_kinds[k].name, plan_layout_kinds[k].name);
	for (size_t i = 0; i < l->n; i++)
		if (l->kind[i] == PLAN_COL_EXTRA)
			plan_parse_warn(ps, 0,
					"column %zu \"%s\" (line %d) is not one the register reads; each project "
					"keeps it as the attribute \"%s\"",
					i + 1, l->heading[i], ps->line, l->heading[i]);
}

bool plan_parse_layout_headings(struct plan_parse *ps, const struct plan_parse_row *row)
{
	struct plan_parse_layout l;
	if (!plan_layout_read(ps, row, &l)) {
		plan_parse_layout_free(&l);
		return false;
	}
	if (ps->layout.line != 0 && plan_layout_same(&l, &ps->layout)) {
		plan_parse_layout_free(&l);
		plan_parse_page_count(ps, PLAN_PAGE_HEADINGS);
		return true;
	}
	plan_layout_warn(ps, &l, ps->layout.line);
	plan_parse_layout_free(&ps->layout);
	ps->layout = l;
	return true;
}

const char *plan_parse_layout_title_cell(const struct plan_parse *ps, const struct plan_parse_row *row)
{
	int at = ps->layout.at[PLAN_COL_TITLE];
	return at >= 0 && (size_t)at < row->n ? row->cell[at] : NULL;
}

bool plan_parse_layout_check(struct plan_parse *ps, const struct plan_parse_row *row, int ref)
{
	const struct plan_parse_layout *l = &ps->layout;
	size_t used = row->n;
	while (used > l->n && text_is_blank(row->cell[used - 1]))
		used--;
	char cols[1024];
	if (used != l->n)
		return plan_parse_fail(ps, "project row for ref %d has %zu columns; %zu are expected (%s)", ref, used,
				       l->n, plan_layout_describe(l, cols, sizeof cols));
	for (size_t i = 0; i < used; i++)
		if (l->kind[i] == PLAN_COL_NONE && !text_is_blank(row->cell[i]))
			return plan_parse_fail(ps,
					       "project row for ref %d has text in column %zu, which has no heading "
					       "(line %d)",
					       ref, i + 1, l->line);
	return true;
}

char *plan_parse_layout_cell(const struct plan_parse *ps, const struct plan_parse_row *row, enum plan_col k)
{
	int at = ps->layout.at[k];
	if (at < 0 || (size_t)at >= row->n)
		return xstrdup("");
	return text_trim_dup(row->cell[at], strlen(row->cell[at]));
}

void plan_parse_layout_attributes(const struct plan_parse *ps, const struct plan_parse_row *row,
				  struct plan_project *proj)
{
	const struct plan_parse_layout *l = &ps->layout;
	for (size_t i = 0; i < l->n && i < row->n; i++) {
		if (l->kind[i] != PLAN_COL_EXTRA || text_is_blank(row->cell[i]))
			continue;
		proj->attributes = xrealloc(proj->attributes, (proj->n_attributes + 1) * sizeof *proj->attributes);
		proj->attributes[proj->n_attributes++] = (struct plan_attribute){
			.name = xstrdup(l->heading[i]), .value = text_trim_dup(row->cell[i], strlen(row->cell[i]))};
	}
}
