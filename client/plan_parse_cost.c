/* plan_parse_cost.c - the cost and status cells of the action plan read into
 * pence and a stage (plan_parse.h): every spelling the document uses, and a
 * warning for each one that had to be interpreted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "plan_parse.h"
#include "text.h"
#include "xmalloc.h"

/* Words that mark a cost as an estimate; they change nothing but the approximate flag. */
static const char *const plan_parse_approx_words[] = {"circa", "approximately", "approx.", "approx", "around", "about"};

static size_t plan_parse_range_word(const char *s)
{
	size_t n;
	if ((n = text_iword(s, "up to")) != 0 || (n = text_iword(s, "to")) != 0)
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
		size_t n = w[strlen(w) - 1] == '.' ? text_iprefix(p, w) : text_iword(p, w);
		if (n != 0) {
			a->approximate = true;
			p = text_skip_space(p + n);
			break;
		}
	}
	size_t n;
	if ((n = text_iword(p, "over")) != 0 || (n = text_iword(p, "more than")) != 0 ||
	    (n = text_iword(p, "at least")) != 0) {
		a->min_only = true;
		p = text_skip_space(p + n);
	} else if ((n = text_iword(p, "up to")) != 0) {
		a->max_only = true;
		p = text_skip_space(p + n);
	}

	n = money_scan(p, &a->first);
	if (n == 0)
		return false;
	p = text_skip_space(p + n);
	a->total = a->first;
	if (!a->min_only && !a->max_only && *p == '+') {
		/* "£3m + £20M": the document lists parts of one cost */
		a->sum = true;
		while (*p == '+') {
			int64_t part;
			p = text_skip_space(p + 1);
			n = money_scan(p, &part);
			if (n == 0 || part > MONEY_MAX_PENCE - a->total)
				return false;
			a->total += part;
			p = text_skip_space(p + n);
		}
	} else if (!a->min_only && !a->max_only && (n = plan_parse_range_word(p)) != 0) {
		/* "£55,000 Up to £130k"; when no second figure follows, the words are a qualifier instead */
		const char *q = text_skip_space(p + n);
		size_t m = money_scan(q, &a->second);
		if (m != 0 && a->second >= a->first) {
			a->range = true;
			p = text_skip_space(q + m);
		}
	}
	a->rest = p;
	return true;
}

/* The figures read into out (status known), and how they were read when that needs saying (malloc'd), or NULL. */
static char *plan_parse_cost_figures(struct plan_cost *out, const struct plan_parse_amounts *a, const char *t,
				     const char *first)
{
	char other[MONEY_FMT_MAX];
	out->status = COST_STATUS_KNOWN;
	out->approximate = a->approximate;
	/* a sum or a range has both ends; otherwise the one figure is each end it may be ("over £1m": the lower) */
	out->has_min = !a->max_only;
	out->has_max = !a->min_only;
	if (out->has_min)
		out->min_pence = a->sum ? a->total : a->first;
	if (out->has_max)
		out->max_pence = a->sum ? a->total : a->range ? a->second : a->first;
	if (a->sum) {
		money_format(a->total, other);
		return xasprintf("cost \"%s\" read as the sum %s", t, other);
	}
	if (a->range) {
		money_format(a->second, other);
		return xasprintf("cost \"%s\" read as a range from %s to %s", t, first, other);
	}
	if (a->min_only)
		return xasprintf("cost \"%s\" read as at least %s, with no upper figure", t, first);
	if (a->max_only)
		return xasprintf("cost \"%s\" read as at most %s, with no lower figure", t, first);
	return NULL;
}

void plan_parse_cost(const char *text, struct plan_cost *out, char **warning)
{
	memset(out, 0, sizeof(*out));
	*warning = NULL;
	out->text = text_trim_dup(text, strlen(text));
	out->status = COST_STATUS_UNKNOWN;
	const char *t = out->text;

	if (*t == '\0') {
		*warning = xstrdup("cost column is empty; cost kept as text with status unknown");
		return;
	}
	if (text_iequal(t, "tbd") || text_iequal(t, "tbc"))
		return;
	if (text_iequal(t, "n/a") || strcmp(t, "-") == 0 || strcmp(t, PLAN_PARSE_EN_DASH) == 0) {
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
	char first[MONEY_FMT_MAX];
	money_format(a.first, first);
	char *reading = plan_parse_cost_figures(out, &a, t, first);
	if (*a.rest != '\0') {
		/* whatever follows the figures qualifies them; the figures stand, the words stay in the text */
		char *rest = text_trim_dup(a.rest, strlen(a.rest));
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
			if (!text_is_space(s[i]))
				return 0;
			while (text_is_space(s[i]))
				i++;
			continue;
		}
		if (text_lower(s[i]) != *w)
			return 0;
		i++;
	}
	return text_is_alnum(s[i]) ? 0 : i;
}

/* Whether the len bytes at rest are one bracketed note: the first "(" closes at the very end. */
static bool plan_parse_stage_bracketed(const char *rest, size_t len)
{
	if (rest[0] != '(' || rest[len - 1] != ')')
		return false;
	int depth = 0;
	for (size_t j = 0; j < len; j++) {
		if (rest[j] == '(')
			depth++;
		else if (rest[j] == ')' && --depth == 0)
			return j == len - 1;
	}
	return false;
}

/* How many of the len bytes at rest are punctuation, dashes and spaces before the note's words. */
static size_t plan_parse_stage_punctuation(const char *rest, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (strchr(".,;:-", rest[i]) != NULL || text_is_space(rest[i]))
			i++;
		else if (len - i >= 3 && (strncmp(rest + i, PLAN_PARSE_EN_DASH, 3) == 0 ||
					  strncmp(rest + i, PLAN_PARSE_EM_DASH, 3) == 0))
			i += 3;
		else
			break;
	}
	return i;
}

bool plan_parse_stage(const char *text, enum stage *stage, char **note, char **warning)
{
	*note = NULL;
	*warning = NULL;
	const char *s = text_skip_space(text);
	size_t n = 0;
	size_t i;
	for (i = 0; i < sizeof(plan_parse_stages) / sizeof(plan_parse_stages[0]); i++)
		if ((n = plan_parse_stage_words(s, plan_parse_stages[i].text)) != 0)
			break;
	if (n == 0)
		return false;
	*stage = plan_parse_stages[i].stage;

	const char *rest = text_skip_space(s + n);
	size_t len = strlen(rest);
	while (len > 0 && text_is_space(rest[len - 1]))
		len--;
	if (len == 0) {
		*note = xstrdup("");
		return true;
	}
	if (plan_parse_stage_bracketed(rest, len)) {
		*note = text_trim_dup(rest + 1, len - 2);
		return true;
	}
	if (rest[0] == '+' || rest[0] == '&') {
		/* two stages at once: keep the first as the stage, the rest as words */
		*note = text_trim_dup(rest + 1, len - 1);
		char *whole = text_trim_dup(text, strlen(text));
		*warning = xasprintf("status \"%s\" read as stage %s; \"%s\" kept as a note", whole,
				     values_stage_name(*stage), *note);
		free(whole);
		return true;
	}
	/* "Advanced development. From September 2021": drop the punctuation between stage and note */
	size_t skip = plan_parse_stage_punctuation(rest, len);
	*note = xstrndup(rest + skip, len - skip);
	return true;
}

/* ---- lead and partners ---- */
