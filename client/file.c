/* file.c - the CLI's one whole-file reader (see file.h). */
#include "file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xmalloc.h"

char *file_read(const char *path, size_t max, size_t *len, char **err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "standard input" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (f == NULL) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		*err = xasprintf("%s is a directory, not a file", path);
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap + 1);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap && cap > max)
			break;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	bool failed = ferror(f);
	if (!is_stdin)
		fclose(f);
	if (failed || n > max) {
		free(buf);
		*err = failed ? xasprintf("cannot read %s", name)
			      : xasprintf("%s is larger than %zu MiB", name, max >> 20);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
