/* kvfile.h - reads "key = value" files (planregd's config, the CLI's client.conf). */
#ifndef PLANREG_KVFILE_H
#define PLANREG_KVFILE_H

#include <stdbool.h>

/* Called per setting; where is "file:line". Return false with *err set to stop. */
typedef bool (*kvfile_fn)(const char *key, const char *value, const char *where, void *arg, char **err);

/*
 * Reads path: blank lines and lines starting with '#' are skipped, every other
 * line is "key = value" (spaces around both trimmed). A missing file is fine
 * when missing_ok (and *found says whether it existed). On false, *err
 * (malloc'd) names the file and line.
 */
bool kvfile_read(const char *path, bool missing_ok, bool *found, kvfile_fn fn, void *arg, char **err)
	__attribute__((warn_unused_result));

#endif
