/* file_atomic.h - writing a whole file so that it is either there complete, with its mode, or not there at
 * all: the officer's key, certificate and CA certificate, which a half-written copy would spoil. */
#ifndef PLANREG_FILE_ATOMIC_H
#define PLANREG_FILE_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Writes data[0..len) to path with mode (umask aside): into a new file beside it (same directory, so the last
 * step cannot cross file systems), flushed to disk, then put in place in one step, and the directory flushed so
 * that the name lasts too. An existing path is replaced only when replace is true; otherwise it is left as it
 * was and the answer is false, with no moment at which another program could have put a file there unseen.
 * what ("the key file") begins the messages. False with *err (malloc'd); nothing is left behind on failure.
 */
bool file_atomic_write(const char *what, const char *path, const void *data, size_t len, mode_t mode, bool replace,
		       char **err) __attribute__((warn_unused_result));

#endif
