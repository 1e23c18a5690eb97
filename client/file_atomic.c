/* file_atomic.c - whole files written in one step, never half there (see file_atomic.h). */
#include "file_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

/* Sets the mode (fchmod: the umask plays no part), writes all of data and flushes it to disk. */
static bool file_atomic_fill(int fd, const void *data, size_t len, mode_t mode)
{
	if (fchmod(fd, mode) != 0)
		return false;
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return fsync(fd) == 0;
}

/* Puts the file tmp at path; 0, or the errno of the step that failed (EEXIST: path is there and stays). */
static int file_atomic_place(const char *tmp, const char *path, bool replace)
{
	if (replace)
		return rename(tmp, path) == 0 ? 0 : errno;
	/* Both steps refuse an existing name in the same instant they would take it, so nothing put there after
	 * a check is overwritten; link() is for the file systems that do not know RENAME_NOREPLACE. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return errno;
	if (link(tmp, path) != 0)
		return errno;
	unlink(tmp);
	return 0;
}

/* Flushes the directory dir, so that the new name survives a crash as the contents do. A failure is not
 * reported: the file is in place and complete, and saying otherwise would mislead. */
static void file_atomic_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

bool file_atomic_write(const char *what, const char *path, const void *data, size_t len, mode_t mode, bool replace,
		       char **err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	if (*base == '\0') {
		*err = xasprintf("cannot write %s %s: that names a directory, not a file", what, path);
		return false;
	}
	/* beside the target, hidden, and named after it so that one left by a crash says what it was */
	char *tmp = xasprintf("%.*s.%s.XXXXXX", (int)(base - path), path, base);
	char *dir = base == path ? xstrdup(".") : xstrndup(path, (size_t)(base - path));
	int fd = mkostemp(tmp, O_CLOEXEC);
	bool ok = fd >= 0;
	if (!ok) {
		*err = xasprintf("cannot write %s %s: cannot create a file in %s: %s", what, path, dir,
				 strerror(errno));
	} else {
		ok = file_atomic_fill(fd, data, len, mode);
		int e = errno;
		if (close(fd) != 0 && ok) {
			ok = false;
			e = errno;
		}
		if (ok)
			e = file_atomic_place(tmp, path, replace);
		ok = ok && e == 0;
		if (!ok) {
			unlink(tmp);
			*err = e == EEXIST ? xasprintf("%s %s exists already, and planreg does not replace it: move it "
						       "away first if it is no longer wanted",
						       what, path)
					   : xasprintf("cannot write %s %s: %s", what, path, strerror(e));
		}
	}
	if (ok)
		file_atomic_sync_dir(dir);
	free(dir);
	free(tmp);
	return ok;
}
