/* rating_move.c - which rating a quarter counts by, and the from -> to matrix of two quarters
 * (rating_move.h; docs/assurance.md, "What a board reads first"). */
#include "rating_move.h"

#include <string.h>

#include "values.h"

int rating_move_index(const Planreg__V1__ProjectStatus *p)
{
	if (p == NULL || p->update_id == 0)
		return RATING_MOVE_NONE;
	/* the CA's assurance where set: it is the Authority's view of the project, the body's its own */
	if (p->assurance && values_confidence_valid((int)p->assurance->rating))
		return (int)p->assurance->rating - 1;
	if (values_confidence_valid((int)p->confidence))
		return (int)p->confidence - 1;
	return RATING_MOVE_NONE;
}

const char *rating_move_name(int index)
{
	if (index < 0 || index >= RATING_MOVE_NONE)
		return "none";
	return values_confidence_name((enum confidence)(index + 1));
}

const Planreg__V1__ProjectStatus *rating_move_find(const struct rating_move_quarter *q, int32_t ref)
{
	if (q == NULL || q->projects == NULL)
		return NULL;
	/* GetStatus answers by ref: halve the range */
	size_t lo = 0, hi = q->n_projects;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const Planreg__V1__ProjectStatus *p = q->projects[mid];
		if (p == NULL)
			break;
		if (p->ref == ref)
			return p;
		if (p->ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < q->n_projects; i++) /* not in order after all: look at each */
		if (q->projects[i] && q->projects[i]->ref == ref)
			return q->projects[i];
	return NULL;
}

/* The earlier rating of p: its project in from, or without from the lead body's in ProjectStatus.previous. */
static int rating_move_before(const struct rating_move_quarter *from, const Planreg__V1__ProjectStatus *p)
{
	if (from && from->projects)
		return rating_move_index(rating_move_find(from, p->ref));
	const Planreg__V1__PreviousReturn *pr = p->previous;
	return pr && values_confidence_valid((int)pr->confidence) ? (int)pr->confidence - 1 : RATING_MOVE_NONE;
}

void rating_move_count(const struct rating_move_quarter *from, const struct rating_move_quarter *to,
		       struct rating_move_matrix *m)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; to && to->projects && i < to->n_projects; i++) {
		const Planreg__V1__ProjectStatus *p = to->projects[i];
		if (p == NULL)
			continue;
		int r = rating_move_before(from, p), c = rating_move_index(p);
		m->cells[r][c]++;
		m->projects++;
		if (r <= RATING_MOVE_RED && c <= RATING_MOVE_RED) {
			m->fell += c > r;
			m->rose += c < r;
			m->held += c == r;
		}
	}
}

bool rating_move_on_scale(int index, const char *scale)
{
	bool three = scale && strcmp(scale, "three") == 0;
	return !three || (index != 1 && index != 3);
}
