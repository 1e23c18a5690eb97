/* import_match.h - which project of the previous edition each project of a new
 * edition continues: a line of the map, else the same title once normalised,
 * else the same lead and a close title; what more than one could be, or what
 * two would claim, is ambiguous (docs/decisions.md, "Editions"). Pure: no
 * database, no call; tests/unit/test_import_match.c. */
#ifndef PLANREG_IMPORT_MATCH_H
#define PLANREG_IMPORT_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#define IMPORT_MATCH_TITLE_MAX 512 /* normalised titles are compared up to this many bytes */
#define IMPORT_MATCH_CANDIDATES 8  /* an ambiguous match names at most this many */

/* A project as matching sees it: its ref, title and lead organisations' codes. */
struct import_match_project {
	int ref;
	const char *title;
	char *const *leads;
	size_t n_leads;
};

/* A line of the map: ref (new edition) continues previous_ref, or is new when previous_ref is 0. */
struct import_match_map {
	int ref;
	int previous_ref;
};

enum import_match_how {
	IMPORT_MATCH_NEW,        /* continues nothing */
	IMPORT_MATCH_MAP,        /* as the map says */
	IMPORT_MATCH_TITLE,      /* the same title once normalised */
	IMPORT_MATCH_LEAD_TITLE, /* the same lead organisations and a close title */
	IMPORT_MATCH_AMBIGUOUS,  /* more than one it could continue, or one another project claims too */
};

struct import_match_result {
	enum import_match_how how;
	int previous;                            /* the index it continues (map, title, lead and title), else -1 */
	enum import_match_how ambiguous_by;      /* ambiguous: by title or by lead and title */
	int candidates[IMPORT_MATCH_CANDIDATES]; /* ambiguous: the indexes it could continue */
	size_t n_candidates;
};

/*
 * Matches each of the n_next projects to one of the n_prev projects of the previous edition, into
 * out[n_next]. The map's refs must be refs of next and prev, none twice (import.c checks). An
 * ambiguous project's candidates are not matched to any other project either: the map settles them.
 */
void import_match(const struct import_match_project *next, size_t n_next, const struct import_match_project *prev,
		  size_t n_prev, const struct import_match_map *map, size_t n_map, struct import_match_result *out);

/* A title as compared: ASCII letters lowered, apostrophes dropped, "&" and "+" as "and", the
 * capital-funding "#" and every other mark a space, spaces folded (into out, at most size bytes). */
void import_match_normalise(const char *title, char *out, size_t size);
/* Two normalised titles are close: most of their letter pairs are shared (Dice coefficient at least
 * 0.7) and so are most of their words ("and", "of", ... aside: Jaccard index at least 0.6). */
bool import_match_close(const char *a, const char *b);
/* What how means in words: "map", "title", "lead and title"; "" for a new or ambiguous project. */
const char *import_match_how_name(enum import_match_how how);

#endif
