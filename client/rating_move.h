/* rating_move.h - the movement of ratings a board reads first (docs/assurance.md, "What a board reads
 * first"): which rating a project's quarter counts by, the from -> to matrix of two quarters, and a
 * project's rating in each of several quarters. Shared by `planreg status movement` and the board
 * report; pure, from the GetStatus answers the caller fetched. */
#ifndef PLANREG_RATING_MOVE_H
#define PLANREG_RATING_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "planreg.pb-c.h"

/* The matrix's axis: green (0) to red (4) by enum confidence less one, then no rating. */
enum { RATING_MOVE_RED = 4, RATING_MOVE_NONE = 5, RATING_MOVE_AXIS = 6 };

/* One quarter's projects as GetStatus answered them (every page's, by ref). */
struct rating_move_quarter {
	const char *period; /* YYYY-Qn */
	Planreg__V1__ProjectStatus *const *projects;
	size_t n_projects;
};

/* The counts of two quarters: cells[from][to] over the later quarter's projects, and of those rated in
 * both how many fell, rose and held. */
struct rating_move_matrix {
	int64_t cells[RATING_MOVE_AXIS][RATING_MOVE_AXIS];
	int64_t fell, rose, held, projects;
};

/* The index on the axis of the rating project p's quarter counts by: the Combined Authority's where it
 * set one, else the lead body's own when the project has a return for the quarter (a return sent back
 * counts by its colour); RATING_MOVE_NONE otherwise. NULL is RATING_MOVE_NONE. */
int rating_move_index(const Planreg__V1__ProjectStatus *p);
/* The confidence's name of an axis index ("green" ... "red"), "none" for RATING_MOVE_NONE. */
const char *rating_move_name(int index);
/* Project ref in quarter q; NULL when it has none. */
const Planreg__V1__ProjectStatus *rating_move_find(const struct rating_move_quarter *q, int32_t ref);
/* The matrix of the later quarter's projects by their ratings in from and in to. Without from's projects
 * the earlier rating is the lead body's in each project's ProjectStatus.previous. */
void rating_move_count(const struct rating_move_quarter *from, const struct rating_move_quarter *to,
		       struct rating_move_matrix *m);
/* Whether index i is on the axis of rating scale ("three" leaves out amber_green and amber_red). */
bool rating_move_on_scale(int index, const char *scale);

#endif
