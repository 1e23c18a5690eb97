/* import_match.c - matching a new edition's projects to the previous edition's
 * (see import_match.h). */
#include "import_match.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#define IMPORT_MATCH_WORDS 64
#define IMPORT_MATCH_DICE_MIN 0.7
#define IMPORT_MATCH_JACCARD_MIN 0.6

/* Words that say nothing about which project a title names. */
static const char *const import_match_stop[] = {"and", "the", "of", "for", "a", "an", "in", "to", "on", "with"};

void import_match_normalise(const char *title, char *out, size_t size)
{
	size_t n = 0;
	const unsigned char *s = (const unsigned char *)title;
	if (size == 0)
		return;
	while (*s != '\0' && n + 6 < size) {
		const char *add = NULL;
		char one[2] = {0, 0};
		size_t skip = 1;
		if (*s == '\'') {
			s++;
			continue;
		}
		if (s[0] == 0xe2 && s[1] == 0x80 && s[2] != '\0') {
			/* General Punctuation: the typographic apostrophes go, dashes and quotes are spaces */
			skip = 3;
			add = (s[2] == 0x98 || s[2] == 0x99) ? "" : " ";
		} else if (*s == '&' || *s == '+') {
			add = " and ";
		} else if (*s >= 0x80 || text_is_alnum((char)*s)) {
			one[0] = text_lower((char)*s), add = one;
		} else {
			add = " ";
		}
		s += skip;
		for (; *add != '\0'; add++)
			if (!(*add == ' ' && (n == 0 || out[n - 1] == ' ')))
				out[n++] = *add;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The letter pairs of each word of s, the word's edges included (" ab", "ab", "b "), as 16-bit codes. */
static size_t import_match_pairs(const char *s, uint16_t *out, size_t cap)
{
	size_t n = 0;
	char prev = ' ';
	for (const char *p = s;; p++) {
		char c = *p == '\0' ? ' ' : *p;
		if (!(prev == ' ' && c == ' ') && n < cap)
			out[n++] = (uint16_t)(((unsigned char)prev << 8) | (unsigned char)c);
		prev = c;
		if (*p == '\0')
			break;
	}
	return n;
}

static int import_match_cmp16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Dice's coefficient of the two titles' letter pairs (as multisets). */
static double import_match_dice(const char *a, const char *b)
{
	static const size_t cap = 2 * IMPORT_MATCH_TITLE_MAX + 2;
	uint16_t *pa = malloc(cap * sizeof *pa), *pb = malloc(cap * sizeof *pb);
	if (pa == NULL || pb == NULL) {
		free(pa);
		free(pb);
		return 0;
	}
	size_t na = import_match_pairs(a, pa, cap), nb = import_match_pairs(b, pb, cap), shared = 0;
	qsort(pa, na, sizeof *pa, import_match_cmp16);
	qsort(pb, nb, sizeof *pb, import_match_cmp16);
	for (size_t i = 0, k = 0; i < na && k < nb;) {
		if (pa[i] == pb[k])
			shared++, i++, k++;
		else if (pa[i] < pb[k])
			i++;
		else
			k++;
	}
	free(pa);
	free(pb);
	return na + nb == 0 ? 0 : 2.0 * (double)shared / (double)(na + nb);
}

/* The distinct words of s that are not stop words, each a pointer into copy (cut in place). */
static size_t import_match_words(char *copy, char **words)
{
	size_t n = 0;
	for (char *w = strtok(copy, " "); w != NULL && n < IMPORT_MATCH_WORDS; w = strtok(NULL, " ")) {
		bool skip = false;
		for (size_t i = 0; i < sizeof import_match_stop / sizeof import_match_stop[0] && !skip; i++)
			skip = strcmp(w, import_match_stop[i]) == 0;
		for (size_t i = 0; i < n && !skip; i++)
			skip = strcmp(w, words[i]) == 0;
		if (!skip)
			words[n++] = w;
	}
	return n;
}

/* The Jaccard index of the two titles' words. */
static double import_match_jaccard(const char *a, const char *b)
{
	char ca[IMPORT_MATCH_TITLE_MAX + 1], cb[IMPORT_MATCH_TITLE_MAX + 1];
	char *wa[IMPORT_MATCH_WORDS], *wb[IMPORT_MATCH_WORDS];
	snprintf(ca, sizeof ca, "%s", a);
	snprintf(cb, sizeof cb, "%s", b);
	size_t na = import_match_words(ca, wa), nb = import_match_words(cb, wb), shared = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			shared += strcmp(wa[i], wb[k]) == 0;
	size_t all = na + nb - shared;
	return all == 0 ? 0 : (double)shared / (double)all;
}

bool import_match_close(const char *a, const char *b)
{
	return import_match_dice(a, b) >= IMPORT_MATCH_DICE_MIN &&
	       import_match_jaccard(a, b) >= IMPORT_MATCH_JACCARD_MIN;
}

const char *import_match_how_name(enum import_match_how how)
{
	switch (how) {
	case IMPORT_MATCH_MAP:
		return "map";
	case IMPORT_MATCH_TITLE:
		return "title";
	case IMPORT_MATCH_LEAD_TITLE:
		return "lead and title";
	default:
		return "";
	}
}

/* The same lead organisations, in any order (codes compare without case, as everywhere). */
static bool import_match_same_leads(const struct import_match_project *a, const struct import_match_project *b)
{
	if (a->n_leads != b->n_leads || a->n_leads == 0)
		return false;
	for (size_t i = 0; i < a->n_leads; i++) {
		bool found = false;
		for (size_t k = 0; k < b->n_leads && !found; k++)
			found = strcasecmp(a->leads[i], b->leads[k]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* What matching works with: each side's normalised titles, and who has claimed what so far. */
struct import_match_work {
	const struct import_match_project *next, *prev;
	size_t n_next, n_prev;
	char (*next_title)[IMPORT_MATCH_TITLE_MAX + 1];
	char (*prev_title)[IMPORT_MATCH_TITLE_MAX + 1];
	bool *done;     /* per next project: decided (matched, new by the map, or ambiguous) */
	bool *taken;    /* per previous project: continued, or a candidate of an ambiguous one */
	size_t *claims; /* per previous project: how many undecided projects could take it, this round */
	struct import_match_result *out;
};

static bool import_match_fits(const struct import_match_work *w, size_t i, size_t k, enum import_match_how how)
{
	if (how == IMPORT_MATCH_TITLE)
		return strcmp(w->next_title[i], w->prev_title[k]) == 0;
	return import_match_same_leads(&w->next[i], &w->prev[k]) &&
	       import_match_close(w->next_title[i], w->prev_title[k]);
}

/* One round (by title, or by lead and title) among what is still undecided and untaken. */
static void import_match_round(struct import_match_work *w, enum import_match_how how)
{
	memset(w->claims, 0, w->n_prev * sizeof *w->claims);
	for (size_t i = 0; i < w->n_next; i++) {
		struct import_match_result *r = &w->out[i];
		if (w->done[i])
			continue;
		r->n_candidates = 0;
		for (size_t k = 0; k < w->n_prev; k++) {
			if (w->taken[k] || !import_match_fits(w, i, k, how))
				continue;
			w->claims[k]++;
			if (r->n_candidates < IMPORT_MATCH_CANDIDATES)
				r->candidates[r->n_candidates++] = (int)k;
		}
	}
	for (size_t i = 0; i < w->n_next; i++) {
		struct import_match_result *r = &w->out[i];
		if (w->done[i] || r->n_candidates == 0)
			continue;
		w->done[i] = true;
		if (r->n_candidates == 1 && w->claims[r->candidates[0]] == 1) {
			r->how = how;
			r->previous = r->candidates[0];
			r->n_candidates = 0;
		} else {
			r->how = IMPORT_MATCH_AMBIGUOUS;
			r->ambiguous_by = how;
		}
	}
	for (size_t i = 0; i < w->n_next; i++)
		for (size_t c = 0; w->out[i].how == IMPORT_MATCH_AMBIGUOUS && c < w->out[i].n_candidates; c++)
			w->taken[w->out[i].candidates[c]] = true;
	for (size_t i = 0; i < w->n_next; i++)
		if (w->out[i].previous >= 0)
			w->taken[w->out[i].previous] = true;
}

/* The map's lines decide first. */
static void import_match_mapped(struct import_match_work *w, const struct import_match_map *map, size_t n_map)
{
	for (size_t m = 0; m < n_map; m++)
		for (size_t i = 0; i < w->n_next; i++) {
			if (w->next[i].ref != map[m].ref)
				continue;
			w->done[i] = true;
			for (size_t k = 0; map[m].previous_ref != 0 && k < w->n_prev; k++)
				if (w->prev[k].ref == map[m].previous_ref) {
					w->out[i].how = IMPORT_MATCH_MAP;
					w->out[i].previous = (int)k;
					w->taken[k] = true;
				}
		}
}

void import_match(const struct import_match_project *next, size_t n_next, const struct import_match_project *prev,
		  size_t n_prev, const struct import_match_map *map, size_t n_map, struct import_match_result *out)
{
	struct import_match_work w = {.next = next, .prev = prev, .n_next = n_next, .n_prev = n_prev, .out = out};
	w.next_title = calloc(n_next + 1, sizeof *w.next_title);
	w.prev_title = calloc(n_prev + 1, sizeof *w.prev_title);
	w.done = calloc(n_next + 1, sizeof *w.done);
	w.taken = calloc(n_prev + 1, sizeof *w.taken);
	w.claims = calloc(n_prev + 1, sizeof *w.claims);
	if (!w.next_title || !w.prev_title || !w.done || !w.taken || !w.claims)
		abort(); /* as xmalloc does: the import cannot go on without them */
	for (size_t i = 0; i < n_next; i++) {
		out[i] = (struct import_match_result){.how = IMPORT_MATCH_NEW, .previous = -1};
		import_match_normalise(next[i].title, w.next_title[i], sizeof w.next_title[i]);
	}
	for (size_t k = 0; k < n_prev; k++)
		import_match_normalise(prev[k].title, w.prev_title[k], sizeof w.prev_title[k]);
	import_match_mapped(&w, map, n_map);
	import_match_round(&w, IMPORT_MATCH_TITLE);
	import_match_round(&w, IMPORT_MATCH_LEAD_TITLE);
	for (size_t i = 0; i < n_next; i++)
		if (out[i].how != IMPORT_MATCH_AMBIGUOUS)
			out[i].n_candidates = 0;
	free(w.next_title);
	free(w.prev_title);
	free(w.done);
	free(w.taken);
	free(w.claims);
}
