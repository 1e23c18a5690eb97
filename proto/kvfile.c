/* kvfile.c - "key = value" files (see kvfile.h). */
#include "kvfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

bool kvfile_read(const char *path, bool missing_ok, bool *found, kvfile_fn fn, void *arg, char **err)
{
	if (found)
		*found = false;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT && missing_ok)
			return true;
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return false;
	}
	if (found)
		*found = true;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	bool ok = true;
	while (ok && getline(&line, &cap, f) >= 0) {
		lineno++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		char where[320];
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		char *eq = strchr(p, '=');
		if (eq == NULL) {
			*err = xasprintf("%s: expected \"key = value\"", where);
			ok = false;
			break;
		}
		char *key = text_trim_dup(p, (size_t)(eq - p));
		char *value = text_trim_dup(eq + 1, strlen(eq + 1));
		ok = fn(key, value, where, arg, err);
		free(key);
		free(value);
	}
	free(line);
	fclose(f);
	return ok;
}
