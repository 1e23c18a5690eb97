/* file_output.h - the files a command is told to write with -o: only ever a regular file or a new one, written
 * whole or not at all, and stdout's writes checked when the command ends. */
#ifndef PLANREG_FILE_OUTPUT_H
#define PLANREG_FILE_OUTPUT_H

#include <stddef.h>

/*
 * Writes data[0..len) to path, what ("the report") beginning the messages; the exit code. path must be a
 * regular file (replaced, keeping its mode), a symbolic link to one (the file it names is replaced, the link
 * stays), or a name not yet taken in an existing directory (created 0666 less the umask). Anything else (a
 * FIFO, a device, a directory, a socket, a link to any of them or to nothing) is refused and left as it was:
 * EXIT_USAGE with a message. The file is written beside its place and renamed into it once whole and on disk
 * (file_atomic.c), so a full disk leaves the old file as it was and no new one: EXIT_REFUSED with a message.
 */
int file_output_write(const char *what, const char *path, const void *data, size_t len);

/* Makes stdout a stream over descriptor 1 that remembers the first write error, for file_output_close_stdout. */
void file_output_watch_stdout(void);

/* Flushes and closes standard output at the end of a command: the exit code rc, or, when a write to it failed
 * (a full disk, /dev/full, an I/O error), EXIT_REFUSED (when rc was EXIT_OK) after a message saying so on
 * stderr. A reader that went away (EPIPE: `planreg ... | head`) is not reported: it wanted no more. */
int file_output_close_stdout(int rc);

#endif
