/* cmd_query.h - the Combined Authority's queries on one section of a return as other commands show them:
 * `update show` prints each query on the return with its thread (cmd_query.c). */
#ifndef PLANREG_CMD_QUERY_H
#define PLANREG_CMD_QUERY_H

#include <stdbool.h>
#include <stdio.h>

#include "planreg.pb-c.h"

struct json;

/* The query object of docs/json.md, with its thread ("entries") when entries. */
void cmd_query_json(struct json *j, const Planreg__V1__Query *q, bool entries);
/* The query and its thread for people: a heading line, then one indented line per entry. */
void cmd_query_print(FILE *out, const Planreg__V1__Query *q);

#endif
