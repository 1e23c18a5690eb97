/* notify.h - telling a service manager what the daemon is doing: systemd's
 * notification protocol (sd_notify(3)), spoken directly instead of through
 * libsystemd (docs/decisions.md says why). */
#ifndef PLANREG_NOTIFY_H
#define PLANREG_NOTIFY_H

#include <stdbool.h>

/*
 * Sends message (newline-separated VAR=value lines: READY=1, RELOADING=1,
 * STOPPING=1, STATUS=...) as one datagram to the socket named by NOTIFY_SOCKET:
 * a path, or "@name" for the abstract namespace. Without NOTIFY_SOCKET (not run
 * by systemd) it does nothing and returns true. Never blocks: a manager that is
 * not reading loses the message. False, with *err (malloc'd) saying why, when the
 * variable is unusable or the datagram could not be sent.
 */
bool notify_send(const char *message, char **err) __attribute__((warn_unused_result));

/* The value MONOTONIC_USEC= carries beside RELOADING=1: CLOCK_MONOTONIC in microseconds. */
unsigned long long notify_monotonic_usec(void);

#endif
