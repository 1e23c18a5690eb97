/* position.c - the kept write position (see position.h). */
#include "position.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

/* $XDG_STATE_HOME/planreg (or ~/.local/state/planreg); NULL without a home. */
static char *position_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	if (state != NULL && state[0] == '/')
		return xasprintf("%s/planreg", state);
	const char *home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		return NULL;
	return xasprintf("%s/.local/state/planreg", home);
}

/* The file for server: its name keeps letters, digits, '.', '-' and turns the rest into '_'. */
static char *position_path(const char *server)
{
	char *dir = position_dir();
	if (dir == NULL)
		return NULL;
	char name[300];
	size_t n = 0;
	for (const char *p = server; *p && n + 1 < sizeof name; p++) {
		char c = *p;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '-';
		name[n++] = keep ? c : '_';
	}
	name[n] = '\0';
	char *path = xasprintf("%s/position-%s", dir, name);
	free(dir);
	return path;
}

unsigned long long position_value(const char *pos)
{
	unsigned int hi, lo;
	char end;
	if (pos == NULL || sscanf(pos, "%X/%X%c", &hi, &lo, &end) != 2)
		return 0;
	return (unsigned long long)hi << 32 | lo;
}

void position_load(const char *server, char out[POSITION_MAX])
{
	out[0] = '\0';
	char *path = position_path(server);
	if (path == NULL)
		return;
	FILE *f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return;
	char line[POSITION_MAX];
	if (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (position_value(line) != 0)
			snprintf(out, POSITION_MAX, "%s", line);
	}
	fclose(f);
}

/* mkdir -p for the state directory, mode 0700 (it is the user's own). */
static bool position_mkdirs(const char *path)
{
	char *copy = xstrdup(path);
	bool ok = true;
	for (char *p = copy + 1; ok && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		ok = mkdir(copy, 0700) == 0 || errno == EEXIST;
		*p = '/';
	}
	free(copy);
	return ok;
}

void position_store(const char *server, const char *pos)
{
	if (position_value(pos) == 0)
		return;
	char kept[POSITION_MAX];
	position_load(server, kept);
	if (position_value(kept) >= position_value(pos))
		return;
	char *path = position_path(server);
	if (path == NULL || !position_mkdirs(path)) {
		free(path);
		return;
	}
	/* a whole file or none: written beside it, then renamed over it */
	char *tmp = xasprintf("%s.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		char line[POSITION_MAX + 2];
		int n = snprintf(line, sizeof line, "%s\n", pos);
		bool ok = write(fd, line, (size_t)n) == n;
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, path) != 0)
			unlink(tmp);
	}
	free(tmp);
	free(path);
}
