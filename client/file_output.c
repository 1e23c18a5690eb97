/* file_output.c - -o files and standard output, checked (see file_output.h). */
#include "file_output.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "file_atomic.h"
#include "xmalloc.h"

/* What a file that is not regular is, in words. */
static const char *file_output_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static int file_output_refuse(const char *what, const char *path, const char *is)
{
	return cli_fail(EXIT_USAGE,
			"cannot write %s: it is %s, and -o writes %s only to a regular file or a new one, never "
			"replacing anything else (without -o it goes to standard output, for a pipe or a device)",
			path, is, what);
}

/* The directory that holds path exists; EXIT_OK, else EXIT_USAGE after saying so. */
static int file_output_dir(const char *what, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL   ? xstrdup(".")
		    : slash == path ? xstrdup("/")
				    : xstrndup(path, (size_t)(slash - path));
	struct stat st;
	int rc = EXIT_OK;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = cli_fail(EXIT_USAGE, "cannot write %s: there is no directory %s (for %s)", path, dir, what);
	free(dir);
	return rc;
}

int file_output_write(const char *what, const char *path, const void *data, size_t len)
{
	struct stat st;
	char *target = NULL;
	bool replace = true;
	mode_t mode;
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return cli_fail(EXIT_USAGE, "cannot write %s (%s): %s", path, what, strerror(errno));
		int rc = file_output_dir(what, path);
		if (rc != EXIT_OK)
			return rc;
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
		replace = false; /* and if something takes the name meanwhile, it is not replaced */
		target = xstrdup(path);
	} else if (S_ISLNK(st.st_mode)) {
		/* a link to a regular file: that file is the one replaced, and the link stays (docs/decisions.md) */
		target = realpath(path, NULL);
		if (target == NULL || stat(target, &st) != 0) {
			free(target);
			return file_output_refuse(what, path, "a symbolic link to nothing planreg can write");
		}
		if (!S_ISREG(st.st_mode)) {
			char *is =
				xasprintf("a symbolic link to %s, which is %s", target, file_output_kind(st.st_mode));
			int rc = file_output_refuse(what, path, is);
			free(is);
			free(target);
			return rc;
		}
		mode = st.st_mode & 07777;
	} else if (S_ISREG(st.st_mode)) {
		mode = st.st_mode & 07777;
		target = xstrdup(path);
	} else {
		return file_output_refuse(what, path, file_output_kind(st.st_mode));
	}
	char *err = NULL;
	int rc = EXIT_OK;
	if (!file_atomic_write(what, target, data, len, mode, replace, &err)) {
		rc = cli_fail(EXIT_REFUSED, "%s%s", err, replace ? "; the file there was left as it was" : "");
		free(err);
	}
	free(target);
	return rc;
}

/* The first error of a write to standard output: stdio keeps only a flag, and errno is long gone by the end. */
static int file_output_stdout_errno;

static ssize_t file_output_stdout_write(void *cookie, const char *data, size_t len)
{
	(void)cookie;
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (file_output_stdout_errno == 0)
				file_output_stdout_errno = n < 0 ? errno : EIO;
			return done > 0 ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

void file_output_watch_stdout(void)
{
	cookie_io_functions_t io = {.write = file_output_stdout_write};
	FILE *f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return; /* then the flag alone says that a write failed */
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, 0);
	stdout = f;
}

int file_output_close_stdout(int rc)
{
	bool failed = ferror(stdout) != 0;
	int e = file_output_stdout_errno;
	errno = 0;
	if (fflush(stdout) != 0) {
		failed = true;
		e = e ? e : file_output_stdout_errno ? file_output_stdout_errno : errno;
	}
	if (fclose(stdout) != 0 && !failed) {
		failed = true;
		e = errno;
	}
	if (close(STDOUT_FILENO) != 0 && !failed && errno != EBADF) {
		failed = true; /* NFS and the like report a failed write at close */
		e = errno;
	}
	if (!failed || e == EPIPE)
		return rc;
	fprintf(stderr, "planreg: cannot write to standard output: %s; the output is incomplete\n",
		e ? strerror(e) : "a write failed");
	return rc == EXIT_OK ? EXIT_REFUSED : rc;
}
