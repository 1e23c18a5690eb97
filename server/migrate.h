/* migrate.h - `planregd migrate`: applies the migrations compiled into planregd. */
#ifndef PLANREG_MIGRATE_H
#define PLANREG_MIGRATE_H

#include <stdbool.h>
#include <stdio.h>

#include "embed.h"

/* NULL-terminated, sorted by name; generated from migrations/NNNN_*.sql. */
extern const struct embedded_file embedded_migrations[];

/*
 * Connects with dsn (blocking libpq: this runs as a command, never inside the
 * event loop), takes an advisory lock, and applies each migration not yet
 * recorded in schema_migrations in its own transaction. Refuses when a recorded
 * migration's checksum differs from the file's, or the database has a
 * migration this build does not know. Reports progress on out.
 */
bool migrate_run(const char *dsn, FILE *out, char **err) __attribute__((warn_unused_result));

#endif
