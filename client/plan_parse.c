/* plan_parse.c - reads a published action-plan document into themes, objectives and projects, warning on every
 * interpretation. */
#include "plan_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "text.h"
#include "xmalloc.h"

#define PLAN_PARSE_COLUMNS 7
#define PLAN_PARSE_REF_MAX 100000
#define PLAN_PARSE_CODE_MAX 16
/* Theme and objective numbers above this are typing slips; the limit also keeps "N.M" within a code[16]. */
#define PLAN_PARSE_NUMBER_MAX 9999

/* UTF-8 spellings of the dashes a lead column uses between body and person. */
#define PLAN_PARSE_EN_DASH "\xe2\x80\x93"
#define PLAN_PARSE_EM_DASH "\xe2\x80\x94"

/* ---- small string helpers (ASCII-only on purpose: the C locale must not change a reading) ---- */

static bool plan_parse_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool plan_parse_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool plan_parse_is_alnum(char c)
{
	return plan_parse_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char plan_parse_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char plan_parse_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool plan_parse_iequal(const char *a, const char *b)
{
	while (*a != '\0' && plan_parse_lower(*a) == plan_parse_lower(*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

/* Length of prefix when s starts with it (ASCII case-insensitively), else 0. */
static size_t plan_parse_iprefix(const char *s, const char *prefix)
{
	size_t i = 0;
	for (; prefix[i] != '\0'; i++)
		if (plan_parse_lower(s[i]) != plan_parse_lower(prefix[i]))
			return 0;
	return i;
}

/* Like plan_parse_iprefix, but the prefix must end at a word boundary. */
static size_t plan_parse_iword(const char *s, const char *word)
{
	size_t n = plan_parse_iprefix(s, word);
	if (n == 0 || plan_parse_is_alnum(s[n]))
		return 0;
	return n;
}

static const char *plan_parse_skip_space(const char *s)
{
	while (plan_parse_is_space(*s))
		s++;
	return s;
}

/* A malloc'd copy of s[0..n) without surrounding whitespace. */
static char *plan_parse_trim_n(const char *s, size_t n)
{
	while (n > 0 && plan_parse_is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && plan_parse_is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static char *plan_parse_trim(const char *s)
{
	return plan_parse_trim_n(s, strlen(s));
}

/* Whitespace runs to one space, ends trimmed: a name as it should be stored. */
static char *plan_parse_fold_space(const char *s)
{
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;
	s = plan_parse_skip_space(s);
	while (*s != '\0') {
		if (plan_parse_is_space(*s)) {
			s = plan_parse_skip_space(s);
			if (*s != '\0')
				out[n++] = ' ';
			continue;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	return out;
}

static bool plan_parse_is_blank(const char *s)
{
	return *plan_parse_skip_space(s) == '\0';
}

/* ---- a growing list of malloc'd strings, for splitting cells ---- */

struct plan_parse_list {
	char **items;
	size_t n, cap;
};

static void plan_parse_list_add(struct plan_parse_list *l, char *item)
{
	l->items = xgrow(l->items, &l->cap, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = item;
}

static void plan_parse_list_free(struct plan_parse_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Splits s at any byte of seps that lies outside parentheses; items are trimmed, empty ones kept. */
static void plan_parse_split(const char *s, const char *seps, struct plan_parse_list *out)
{
	int depth = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if (*p == '\0' || (depth == 0 && strchr(seps, *p) != NULL)) {
			plan_parse_list_add(out, plan_parse_trim_n(start, (size_t)(p - start)));
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
}

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

static void plan_parse_warn(struct plan_parse *ps, int ref, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void plan_parse_warn(struct plan_parse *ps, int ref, const char *fmt, ...)
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
static void plan_parse_add_org(struct plan_parse *ps, const char *code, const char *name, enum org_kind kind)
{
	struct plan *p = &ps->plan;
	for (size_t i = 0; i < p->n_orgs; i++)
		if (strcmp(p->orgs[i].code, code) == 0)
			return;
	p->orgs = xgrow(p->orgs, &ps->cap_orgs, p->n_orgs + 1, sizeof(*p->orgs));
	p->orgs[p->n_orgs++] = (struct plan_org){.code = xstrdup(code), .name = xstrdup(name), .kind = kind};
}

static void plan_parse_add_person(struct plan_parse *ps, const char *name)
{
	struct plan *p = &ps->plan;
	for (size_t i = 0; i < p->n_people; i++)
		if (strcmp(p->people[i], name) == 0)
			return;
	p->people = xgrow(p->people, &ps->cap_people, p->n_people + 1, sizeof(*p->people));
	p->people[p->n_people++] = xstrdup(name);
}

/* Appends s to a list of strings unless already present; the list owns its copies. */
static void plan_parse_add_unique(char ***list, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], s) == 0)
			return;
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
}

/* ---- cost ---- */

/* Words that mark a cost as an estimate; they change nothing but the approximate flag. */
static const char *const plan_parse_approx_words[] = {"circa", "approximately", "approx.", "approx", "around", "about"};

static size_t plan_parse_range_word(const char *s)
{
	size_t n;
	if ((n = plan_parse_iword(s, "up to")) != 0 || (n = plan_parse_iword(s, "to")) != 0)
		return n;
	if (*s == '-')
		return 1;
	if (strncmp(s, PLAN_PARSE_EN_DASH, 3) == 0)
		return 3;
	return 0;
}

/* What the figures of a cost cell say, before it is turned into a plan_cost. */
struct plan_parse_amounts {
	int64_t first, second, total;
	bool approximate, min_only, max_only, sum, range;
	const char *rest; /* the words after the figures */
};

/* Reads "[circa] [over|up to] AMOUNT [+ AMOUNT...| to AMOUNT] [words]"; false when there is no amount to read. */
static bool plan_parse_amounts(const char *p, struct plan_parse_amounts *a)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(plan_parse_approx_words) / sizeof(plan_parse_approx_words[0]); i++) {
		const char *w = plan_parse_approx_words[i];
		size_t n = w[strlen(w) - 1] == '.' ? plan_parse_iprefix(p, w) : plan_parse_iword(p, w);
		if (n != 0) {
			a->approximate = true;
			p = plan_parse_skip_space(p + n);
			break;
		}
	}
	size_t n;
	if ((n = plan_parse_iword(p, "over")) != 0 || (n = plan_parse_iword(p, "more than")) != 0 ||
	    (n = plan_parse_iword(p, "at least")) != 0) {
		a->min_only = true;
		p = plan_parse_skip_space(p + n);
	} else if ((n = plan_parse_iword(p, "up to")) != 0) {
		a->max_only = true;
		p = plan_parse_skip_space(p + n);
	}

	n = money_scan(p, &a->first);
	if (n == 0)
		return false;
	p = plan_parse_skip_space(p + n);
	a->total = a->first;
	if (!a->min_only && !a->max_only && *p == '+') {
		/* "£3m + £20M": the document lists parts of one cost */
		a->sum = true;
		while (*p == '+') {
			int64_t part;
			p = plan_parse_skip_space(p + 1);
			n = money_scan(p, &part);
			if (n == 0 || part > MONEY_MAX_PENCE - a->total)
				return false;
			a->total += part;
			p = plan_parse_skip_space(p + n);
		}
	} else if (!a->min_only && !a->max_only && (n = plan_parse_range_word(p)) != 0) {
		/* "£55,000 Up to £130k"; when no second figure follows, the words are a qualifier instead */
		const char *q = plan_parse_skip_space(p + n);
		size_t m = money_scan(q, &a->second);
		if (m != 0 && a->second >= a->first) {
			a->range = true;
			p = plan_parse_skip_space(q + m);
		}
	}
	a->rest = p;
	return true;
}

void plan_parse_cost(const char *text, struct plan_cost *out, char **warning)
{
	memset(out, 0, sizeof(*out));
	*warning = NULL;
	out->text = plan_parse_trim(text);
	out->status = COST_STATUS_UNKNOWN;
	const char *t = out->text;

	if (*t == '\0') {
		*warning = xstrdup("cost column is empty; cost kept as text with status unknown");
		return;
	}
	if (plan_parse_iequal(t, "tbd") || plan_parse_iequal(t, "tbc"))
		return;
	if (plan_parse_iequal(t, "n/a") || strcmp(t, "-") == 0 || strcmp(t, PLAN_PARSE_EN_DASH) == 0) {
		out->status = COST_STATUS_NOT_APPLICABLE;
		return;
	}
	struct plan_parse_amounts a;
	if (!plan_parse_amounts(t, &a)) {
		*warning = xasprintf(
			"cost \"%s\" is not an amount this reader understands; cost kept as text with status unknown",
			t);
		return;
	}

	out->status = COST_STATUS_KNOWN;
	out->approximate = a.approximate;
	char first[MONEY_FMT_MAX], other[MONEY_FMT_MAX];
	money_format(a.first, first);
	char *reading = NULL;
	if (a.sum) {
		out->has_min = out->has_max = true;
		out->min_pence = out->max_pence = a.total;
		money_format(a.total, other);
		reading = xasprintf("cost \"%s\" read as the sum %s", t, other);
	} else if (a.range) {
		out->has_min = out->has_max = true;
		out->min_pence = a.first;
		out->max_pence = a.second;
		money_format(a.second, other);
		reading = xasprintf("cost \"%s\" read as a range from %s to %s", t, first, other);
	} else if (a.min_only) {
		out->has_min = true;
		out->min_pence = a.first;
		reading = xasprintf("cost \"%s\" read as at least %s, with no upper figure", t, first);
	} else if (a.max_only) {
		out->has_max = true;
		out->max_pence = a.first;
		reading = xasprintf("cost \"%s\" read as at most %s, with no lower figure", t, first);
	} else {
		out->has_min = out->has_max = true;
		out->min_pence = out->max_pence = a.first;
	}
	if (*a.rest != '\0') {
		/* whatever follows the figures qualifies them; the figures stand, the words stay in the text */
		char *rest = plan_parse_trim(a.rest);
		char *with = reading != NULL ? xasprintf("%s; the trailing qualifier \"%s\" is kept only in the text",
							 reading, rest)
					     : xasprintf("cost \"%s\" read as %s; the trailing qualifier \"%s\" is "
							 "kept only in the text",
							 t, first, rest);
		free(rest);
		free(reading);
		reading = with;
	}
	*warning = reading;
}

/* ---- stage ---- */

static const struct {
	const char *text;
	enum stage stage;
} plan_parse_stages[] = {
	{"early development", STAGE_EARLY_DEVELOPMENT},
	{"advanced development", STAGE_ADVANCED_DEVELOPMENT},
	{"concept", STAGE_CONCEPT},
	{"live", STAGE_LIVE},
	{"completed", STAGE_COMPLETED},
	{"paused", STAGE_PAUSED},
	{"cancelled", STAGE_CANCELLED},
	{"canceled", STAGE_CANCELLED},
};

/* Length of the stage words at s, allowing any run of whitespace between words. */
static size_t plan_parse_stage_words(const char *s, const char *words)
{
	size_t i = 0;
	for (const char *w = words; *w != '\0'; w++) {
		if (*w == ' ') {
			if (!plan_parse_is_space(s[i]))
				return 0;
			while (plan_parse_is_space(s[i]))
				i++;
			continue;
		}
		if (plan_parse_lower(s[i]) != *w)
			return 0;
		i++;
	}
	return plan_parse_is_alnum(s[i]) ? 0 : i;
}

bool plan_parse_stage(const char *text, enum stage *stage, char **note, char **warning)
{
	*note = NULL;
	*warning = NULL;
	const char *s = plan_parse_skip_space(text);
	size_t n = 0;
	size_t i;
	for (i = 0; i < sizeof(plan_parse_stages) / sizeof(plan_parse_stages[0]); i++)
		if ((n = plan_parse_stage_words(s, plan_parse_stages[i].text)) != 0)
			break;
	if (n == 0)
		return false;
	*stage = plan_parse_stages[i].stage;

	const char *rest = plan_parse_skip_space(s + n);
	size_t len = strlen(rest);
	while (len > 0 && plan_parse_is_space(rest[len - 1]))
		len--;
	if (len == 0) {
		*note = xstrdup("");
		return true;
	}
	if (rest[0] == '(' && rest[len - 1] == ')') {
		/* only when the opening bracket closes at the very end is the note "inside" it */
		int depth = 0;
		size_t close = 0;
		for (size_t j = 0; j < len; j++) {
			if (rest[j] == '(')
				depth++;
			else if (rest[j] == ')' && --depth == 0) {
				close = j;
				break;
			}
		}
		if (close == len - 1) {
			*note = plan_parse_trim_n(rest + 1, len - 2);
			return true;
		}
	}
	if (rest[0] == '+' || rest[0] == '&') {
		/* two stages at once: keep the first as the stage, the rest as words */
		*note = plan_parse_trim_n(rest + 1, len - 1);
		char *whole = plan_parse_trim(text);
		*warning = xasprintf("status \"%s\" read as stage %s; \"%s\" kept as a note", whole,
				     values_stage_name(*stage), *note);
		free(whole);
		return true;
	}
	/* "Advanced development. From September 2021": drop the punctuation between stage and note */
	for (;;) {
		if (len > 0 && strchr(".,;:-", rest[0]) != NULL) {
			rest++;
			len--;
		} else if (len >= 3 &&
			   (strncmp(rest, PLAN_PARSE_EN_DASH, 3) == 0 || strncmp(rest, PLAN_PARSE_EM_DASH, 3) == 0)) {
			rest += 3;
			len -= 3;
		} else if (len > 0 && plan_parse_is_space(rest[0])) {
			rest++;
			len--;
		} else {
			break;
		}
	}
	*note = xstrndup(rest, len);
	return true;
}

/* ---- lead and partners ---- */

/* An organisation name the names file does not know gets a code of its own, unique in the plan. */
static void plan_parse_derive_code(struct plan_parse *ps, const char *name, char code[PLAN_PARSE_CODE_MAX + 1])
{
	size_t n = 0;
	for (const char *s = name; *s != '\0' && n < PLAN_PARSE_CODE_MAX; s++)
		if (plan_parse_is_alnum(*s))
			code[n++] = plan_parse_upper(*s);
	code[n] = '\0';
	if (n == 0) {
		/* a name with no ASCII letters or digits at all */
		strcpy(code, "ORG");
		n = strlen(code);
	}

	char base[PLAN_PARSE_CODE_MAX + 1];
	memcpy(base, code, n + 1);
	for (int suffix = 2;; suffix++) {
		bool taken = plan_names_org_by_code(ps->names, code) != NULL;
		for (size_t i = 0; !taken && i < ps->plan.n_orgs; i++)
			if (plan_parse_iequal(ps->plan.orgs[i].code, code))
				taken = true;
		if (!taken)
			return;
		char digits[12];
		int d = snprintf(digits, sizeof(digits), "%d", suffix);
		size_t keep = n + (size_t)d > PLAN_PARSE_CODE_MAX ? PLAN_PARSE_CODE_MAX - (size_t)d : n;
		memcpy(code, base, keep);
		memcpy(code + keep, digits, (size_t)d + 1);
	}
}

/* Resolves one organisation of a lead column and records it; returns its code (owned by plan->orgs). */
static const char *plan_parse_lead_org(struct plan_parse *ps, int ref, const char *text)
{
	bool via_alias;
	const struct plan_names_org *org = plan_names_resolve_org(ps->names, text, &via_alias);
	if (org != NULL) {
		if (via_alias)
			plan_parse_warn(ps, ref, "'%s' read as organisation %s (%s)", text, org->code, org->name);
		plan_parse_add_org(ps, org->code, org->name, org->kind);
		for (size_t i = 0; i < ps->plan.n_orgs; i++)
			if (strcmp(ps->plan.orgs[i].code, org->code) == 0)
				return ps->plan.orgs[i].code;
	}
	/* the same unknown name twice is the same organisation */
	for (size_t i = 0; i < ps->plan.n_orgs; i++) {
		const struct plan_org *o = &ps->plan.orgs[i];
		if (plan_names_org_by_code(ps->names, o->code) == NULL && plan_parse_iequal(o->name, text)) {
			plan_parse_warn(ps, ref,
					"organisation '%s' is not in the names file; recorded as %s (kind other)", text,
					o->code);
			return o->code;
		}
	}
	char code[PLAN_PARSE_CODE_MAX + 1];
	plan_parse_derive_code(ps, text, code);
	plan_parse_warn(ps, ref, "organisation '%s' is not in the names file; recorded as %s (kind other)", text, code);
	plan_parse_add_org(ps, code, text, ORG_KIND_OTHER);
	return ps->plan.orgs[ps->plan.n_orgs - 1].code;
}

/* Length of a body/person separator at s[i] (a dash with whitespace on at least one side), else 0. */
static size_t plan_parse_lead_dash(const char *s, size_t i)
{
	size_t n = 0;
	if (s[i] == '-')
		n = 1;
	else if (strncmp(s + i, PLAN_PARSE_EN_DASH, 3) == 0 || strncmp(s + i, PLAN_PARSE_EM_DASH, 3) == 0)
		n = 3;
	if (n == 0)
		return 0;
	bool space_before = i == 0 || plan_parse_is_space(s[i - 1]);
	bool space_after = s[i + n] == '\0' || plan_parse_is_space(s[i + n]);
	return (space_before || space_after) ? n : 0;
}

/* One person of a lead column: parenthesised remarks are dropped, "tbd" means nobody yet. */
static void plan_parse_lead_person(struct plan_parse *ps, struct plan_project *proj, const char *item)
{
	/* split the item into the name and the bracketed remarks, brackets kept with the remarks */
	size_t len = strlen(item);
	char *kept = xmalloc(len + 1), *remark = xmalloc(len + 1);
	size_t n = 0, r = 0;
	int depth = 0;
	for (const char *s = item; *s != '\0'; s++) {
		bool in_remark = depth > 0 || *s == '(';
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		if (in_remark)
			remark[r++] = *s;
		else
			kept[n++] = *s;
	}
	kept[n] = '\0';
	remark[r] = '\0';
	char *name = plan_parse_fold_space(kept);
	free(kept);
	if (name[0] == '\0' || plan_parse_iequal(name, "tbd") || plan_parse_iequal(name, "tbc")) {
		free(remark);
		free(name);
		return;
	}
	if (r > 0)
		plan_parse_warn(ps, proj->ref,
				"remark '%s' after lead person '%s' left out of the name (it stays in the lead text)",
				remark, name);
	free(remark);
	const char *canonical = plan_names_resolve_person(ps->names, name);
	if (canonical != NULL) {
		plan_parse_warn(ps, proj->ref, "'%s' read as person %s", name, canonical);
		free(name);
		name = xstrdup(canonical);
	}
	plan_parse_add_unique(&proj->lead_people, &proj->n_lead_people, name);
	plan_parse_add_person(ps, name);
	free(name);
}

static void plan_parse_lead(struct plan_parse *ps, struct plan_project *proj)
{
	const char *s = proj->lead_text;
	size_t dash = 0, dash_len = 0;
	int depth = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && (dash_len = plan_parse_lead_dash(s, i)) != 0) {
			dash = i;
			break;
		}
	}
	char *orgs = dash_len != 0 ? plan_parse_trim_n(s, dash) : plan_parse_trim(s);
	char *people = dash_len != 0 ? plan_parse_trim(s + dash + dash_len) : xstrdup("");

	struct plan_parse_list items = {0};
	if (orgs[0] != '\0') {
		/* "Liverpool City Council (LCC)" and names with "&" resolve whole before being split */
		if (plan_names_resolve_org(ps->names, orgs, NULL) != NULL)
			plan_parse_list_add(&items, xstrdup(orgs));
		else
			plan_parse_split(orgs, "&/", &items);
	}
	for (size_t i = 0; i < items.n; i++) {
		if (items.items[i][0] == '\0')
			continue;
		const char *code = plan_parse_lead_org(ps, proj->ref, items.items[i]);
		plan_parse_add_unique(&proj->lead_orgs, &proj->n_lead_orgs, code);
	}
	plan_parse_list_free(&items);
	if (proj->n_lead_orgs == 0 && proj->lead_text[0] != '\0')
		plan_parse_warn(ps, proj->ref, "lead '%s' names no organisation", proj->lead_text);

	if (people[0] != '\0') {
		plan_parse_split(people, "&/", &items);
		for (size_t i = 0; i < items.n; i++)
			plan_parse_lead_person(ps, proj, items.items[i]);
		plan_parse_list_free(&items);
	}
	free(orgs);
	free(people);
}

static void plan_parse_partners(struct plan_parse *ps, struct plan_project *proj)
{
	if (strcmp(proj->partners_text, "-") == 0 || proj->partners_text[0] == '\0')
		return;
	struct plan_parse_list items = {0};
	plan_parse_split(proj->partners_text, ",", &items);
	/* a full stop after the list ends the sentence, not the last partner's name */
	for (size_t i = items.n; i > 0; i--) {
		char *last = items.items[i - 1];
		size_t len = strlen(last);
		if (len == 0)
			continue;
		if (last[len - 1] == '.') {
			items.items[i - 1] = plan_parse_trim_n(last, len - 1);
			free(last);
		}
		break;
	}
	proj->partners = xcalloc(items.n, sizeof(*proj->partners));
	for (size_t i = 0; i < items.n; i++) {
		const char *name = items.items[i];
		if (name[0] == '\0' || strcmp(name, "-") == 0)
			continue;
		struct plan_partner *pt = &proj->partners[proj->n_partners++];
		pt->name = xstrdup(name);
		const struct plan_names_org *org = plan_names_resolve_org(ps->names, name, NULL);
		if (org != NULL) {
			pt->org_code = xstrdup(org->code);
			plan_parse_add_org(ps, org->code, org->name, org->kind);
		}
	}
	plan_parse_list_free(&items);
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
	while (plan_parse_is_digit(s[i])) {
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
		if (!plan_parse_is_blank(cells[i]))
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
		(struct plan_theme){.number = number, .title = plan_parse_trim(title), .line = ps->line};
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
		.theme = ps->theme, .number = minor, .title = plan_parse_trim(title), .line = ps->line};
	memcpy(o->code, code, sizeof(code));
	memcpy(ps->objective, code, sizeof(code));
	return true;
}

static bool plan_parse_project(struct plan_parse *ps, char **cells, size_t n_cells, int ref, const char *title)
{
	struct plan *p = &ps->plan;
	size_t used = n_cells;
	while (used > PLAN_PARSE_COLUMNS && plan_parse_is_blank(cells[used - 1]))
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

	char *clean_title = plan_parse_trim(title);
	bool capital = false;
	size_t tlen = strlen(clean_title);
	if (tlen > 0 && clean_title[tlen - 1] == '#') {
		/* the "#" marker is the legend's "requires capital funding", not part of the name */
		char *t = plan_parse_trim_n(clean_title, tlen - 1);
		free(clean_title);
		clean_title = t;
		capital = true;
	}
	if (clean_title[0] == '\0') {
		free(clean_title);
		return plan_parse_fail(ps, "project %d has no title", ref);
	}

	enum stage stage;
	char *note, *stage_warning;
	char *stage_text = plan_parse_trim(cells[6]);
	if (!plan_parse_stage(stage_text, &stage, &note, &stage_warning)) {
		bool r = plan_parse_fail(ps,
					 "project %d has status \"%s\", which names no stage (expected live, advanced "
					 "development, early development, concept, completed, paused or cancelled)",
					 ref, stage_text);
		free(stage_text);
		free(clean_title);
		return r;
	}

	if (ps->last_ref == 0 && ref != 1)
		plan_parse_warn(ps, ref, "the first project is numbered %d, not 1", ref);
	else if (ps->last_ref != 0 && ref != ps->last_ref + 1)
		plan_parse_warn(ps, ref, "project %d follows project %d; refs are not consecutive", ref, ps->last_ref);
	ps->last_ref = ref;
	ps->ref_lines[ref] = ps->line;

	p->projects = xgrow(p->projects, &ps->cap_projects, p->n_projects + 1, sizeof(*p->projects));
	struct plan_project *proj = &p->projects[p->n_projects++];
	memset(proj, 0, sizeof(*proj));
	proj->ref = ref;
	proj->theme = ps->theme;
	memcpy(proj->objective, ps->objective, sizeof(proj->objective));
	proj->title = clean_title;
	proj->capital = capital;
	proj->description = plan_parse_trim(cells[1]);
	proj->lead_text = plan_parse_trim(cells[2]);
	proj->partners_text = plan_parse_trim(cells[3]);
	proj->funding = plan_parse_trim(cells[5]);
	proj->stage_text = stage_text;
	proj->stage = stage;
	proj->stage_note = note;
	proj->line = ps->line;

	plan_parse_lead(ps, proj);
	plan_parse_partners(ps, proj);
	char *cost_warning;
	plan_parse_cost(cells[4], &proj->cost, &cost_warning);
	if (cost_warning != NULL) {
		plan_parse_warn(ps, ref, "%s", cost_warning);
		free(cost_warning);
	}
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
	if (m == 0 || !plan_parse_is_space(s[n + 1 + m]))
		return false;
	*title = plan_parse_skip_space(s + n + 1 + m);
	return **title != '\0';
}

/* "N. title" -> true with the ref and where the title starts. */
static bool plan_parse_project_head(const char *s, int *ref, const char **title)
{
	size_t n = plan_parse_number(s, ref);
	if (n == 0 || s[n] != '.' || !(plan_parse_is_space(s[n + 1]) || s[n + 1] == '\0'))
		return false;
	*title = s + n + 1;
	return true;
}

/* "Theme N: title" -> true with the number and where the title starts. */
static bool plan_parse_theme_head(const char *s, int *number, const char **title)
{
	size_t k = plan_parse_iword(s, "theme");
	if (k == 0)
		return false;
	s = plan_parse_skip_space(s + k);
	size_t n = plan_parse_number(s, number);
	if (n == 0)
		return false;
	s = plan_parse_skip_space(s + n);
	if (*s != ':' && *s != '.' && *s != '-')
		return false;
	*title = plan_parse_skip_space(s + 1);
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
	s = plan_parse_skip_space(s);
	if (*s == '#')
		s = plan_parse_skip_space(s + 1);
	return plan_parse_iword(s, "denotes") != 0;
}

/* One line, NUL-terminated, CR removed, already checked for encoding and control characters. */
static bool plan_parse_line(struct plan_parse *ps, char *line)
{
	if (plan_parse_is_blank(line) || plan_parse_is_separator(line))
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
	const char *first = plan_parse_skip_space(cells[0]);
	const char *title;
	int a, b;
	bool ok = true;

	char *head = plan_parse_trim(cells[0]);
	bool column_headings = plan_parse_iequal(head, "title");
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
		char *text = plan_parse_trim(line);
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
		blank = plan_parse_is_space(buf[i]);
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
