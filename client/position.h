/* position.h - read-your-writes across commands: the position (a PostgreSQL WAL position, "16/B374D848")
 * the daemon gave with this user's last write to a server, kept in
 * $XDG_STATE_HOME/planreg/position-<server> (~/.local/state/... by default) and sent with every
 * later request, so that a read a replica serves waits until it has replayed that write, whichever
 * process or connection wrote it. */
#ifndef PLANREG_POSITION_H
#define PLANREG_POSITION_H

#include <stdbool.h>
#include <stddef.h>

#define POSITION_MAX 32

/* The position kept for server ("host:port"); "" when none (or unreadable: a read then sees only
 * its own connection's writes, never an error). */
void position_load(const char *server, char out[POSITION_MAX]);
/* Keeps pos for server unless a later one is kept already. Best effort: a failure is silent. */
void position_store(const char *server, const char *pos);
/* "X/Y" as a number; 0 when it is not one. */
unsigned long long position_value(const char *pos);

#endif
