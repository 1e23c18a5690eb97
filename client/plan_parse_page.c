/* plan_parse_page.c - page furniture of an action-plan document: page numbers,
 * the legend of the "#" marker, rows of dashes, and the count of every kind the
 * reader passed over, reported as interpretations. */
#include <stdio.h>
#include <string.h>

#include "plan_parse_int.h"
#include "text.h"

/* Digits at *s, skipped; false when there are none. */
static bool plan_page_digits(const char **s)
{
	const char *p = *s;
	while (text_is_digit(*p))
		p++;
	if (p == *s || p - *s > 6)
		return false;
	*s = p;
	return true;
}

/* "N", "N of M" or "N/M" at s; true when s ends after it. */
static bool plan_page_n_of_m(const char *s)
{
	if (!plan_page_digits(&s))
		return false;
	s = text_skip_space(s);
	size_t k = text_iword(s, "of");
	if (k != 0 || *s == '/') {
		s = text_skip_space(s + (k != 0 ? k : 1));
		if (!plan_page_digits(&s))
			return false;
		s = text_skip_space(s);
	}
	return *s == '\0';
}

bool plan_parse_page_is_number(const char *s)
{
	s = text_skip_space(s);
	size_t k = text_iword(s, "page");
	if (k != 0) {
		/* "Page 3 of 12", "Page: 3", "Page | 3" */
		s = text_skip_space(s + k);
		if (*s == '|' || *s == ':' || *s == '-')
			s = text_skip_space(s + 1);
		return plan_page_n_of_m(s);
	}
	/* "3 | Page", "3 of 12 | Page" */
	const char *bar = strchr(s, '|');
	if (bar == NULL || !text_is_digit(*s))
		return false;
	const char *after = text_skip_space(bar + 1);
	k = text_iword(after, "page");
	if (k == 0 || !text_is_blank(after + k))
		return false;
	char number[32];
	size_t n = (size_t)(bar - s);
	if (n >= sizeof number)
		return false;
	memcpy(number, s, n);
	number[n] = '\0';
	return plan_page_n_of_m(number);
}

bool plan_parse_page_is_legend(const char *s)
{
	s = text_skip_space(s);
	if (*s == '#')
		s = text_skip_space(s + 1);
	return text_iword(s, "denotes") != 0;
}

bool plan_parse_page_is_rule(const char *s)
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

void plan_parse_page_count(struct plan_parse *ps, enum plan_page_kind k)
{
	if (ps->page_count[k]++ == 0)
		ps->page_first[k] = ps->line;
}

/* What each kind is, for "passed over N <what>" (singular, plural). */
static const char *const plan_page_what[PLAN_PAGE_KINDS][2] = {
	[PLAN_PAGE_BLANK] = {"blank line", "blank lines"},
	[PLAN_PAGE_FORM_FEED] = {"form feed (a page break)", "form feeds (page breaks)"},
	[PLAN_PAGE_TITLE] = {"repeat of the title line (a page header)", "repeats of the title line (page headers)"},
	[PLAN_PAGE_LEGEND] = {"legend line explaining \"#\" (capital funding)",
			      "legend lines explaining \"#\" (capital funding)"},
	[PLAN_PAGE_NUMBER] = {"page number (\"Page 3 of 12\", \"3 | Page\")",
			      "page numbers (\"Page 3 of 12\", \"3 | Page\")"},
	[PLAN_PAGE_HEADINGS] = {"repeat of the row of column headings", "repeats of the row of column headings"},
	[PLAN_PAGE_RULE] = {"row of dashes", "rows of dashes"},
	[PLAN_PAGE_PREAMBLE] = {"line of text before the column headings (a preamble)",
				"lines of text before the column headings (a preamble)"},
};

void plan_parse_page_report(struct plan_parse *ps)
{
	int line = ps->line;
	ps->line = 0; /* about the whole document */
	for (int k = 0; k < PLAN_PAGE_KINDS; k++) {
		int n = ps->page_count[k];
		if (n == 0)
			continue;
		plan_parse_warn(ps, 0, "passed over %d %s, the first on line %d", n, plan_page_what[k][n != 1],
				ps->page_first[k]);
	}
	ps->line = line;
}
