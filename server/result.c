/* result.c - cells of a PostgreSQL result as C values (see result.h). */
#include "result.h"

#include <stdlib.h>
#include <string.h>

const char *result_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

bool result_is_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

int result_int(const PGresult *res, int row, int col)
{
	return (int)strtol(result_value(res, row, col), NULL, 10);
}

long long result_int64(const PGresult *res, int row, int col)
{
	return strtoll(result_value(res, row, col), NULL, 10);
}

bool result_bool(const PGresult *res, int row, int col)
{
	return result_value(res, row, col)[0] == 't';
}

size_t result_split(struct arena *a, const char *joined, const char *sep, char ***out)
{
	*out = NULL;
	size_t n = 0;
	if (joined == NULL || joined[0] == '\0')
		return 0;
	const char *p = joined;
	for (;;) {
		const char *e = strstr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		*(char **)arena_push(a, out, &n, sizeof(char *)) = arena_strndup(a, p, len);
		if (e == NULL)
			break;
		p = e + strlen(sep);
	}
	return n;
}
