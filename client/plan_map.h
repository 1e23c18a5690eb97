/* plan_map.h - the map file of `planreg plan import --successor-of PLAN --map FILE`:
 * which project of the previous edition each project of the new edition
 * continues, where matching by title and lead cannot tell (docs/decisions.md,
 * "Editions"). */
#ifndef PLANREG_PLAN_MAP_H
#define PLANREG_PLAN_MAP_H

#include <stdbool.h>
#include <stddef.h>

struct plan_map_entry {
	int ref;          /* in the new edition */
	int previous_ref; /* in the previous edition; 0: a new project */
	int line;
};

/*
 * One line per project, blank lines and "#" comments ignored:
 *   NEW_REF OLD_REF   the new edition's project NEW_REF continues OLD_REF
 *   NEW_REF new       it is a new project, whatever its title
 * Returns true with a malloc'd array in *out (free it), or false with err naming the line. A ref mapped
 * twice, or an old ref two lines claim, is an error too.
 */
bool plan_map_parse(const char *buf, size_t len, struct plan_map_entry **out, size_t *n, char *err, size_t err_size)
	__attribute__((warn_unused_result));

#endif
