/* file.h - reading a whole file (a plan, a names file, a CSV batch, a
 * narrative) into memory, "-" meaning standard input, with a size limit. */
#ifndef PLANREG_FILE_H
#define PLANREG_FILE_H

#include <stddef.h>

/* The file's bytes (malloc'd, NUL-terminated, *len of them); NULL with *err (malloc'd) saying why: it cannot be
 * opened, is a directory, cannot be read, or is larger than max bytes. */
char *file_read(const char *path, size_t max, size_t *len, char **err);

#endif
