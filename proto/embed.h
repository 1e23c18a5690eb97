/* embed.h - files compiled into a binary by cmake/embed.cmake. */
#ifndef PLANREG_EMBED_H
#define PLANREG_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name; /* file name without directory, e.g. "0001_register.sql" */
	const char *data; /* the bytes, followed by a NUL */
	size_t len;
};

#endif
