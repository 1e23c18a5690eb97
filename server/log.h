/* log.h - one line per event to stderr: ts=... level=... event=... then key=value pairs. */
#ifndef PLANREG_LOG_H
#define PLANREG_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

void log_set_level(enum log_level level);
bool log_parse_level(const char *s, enum log_level *level) __attribute__((warn_unused_result));
bool log_enabled(enum log_level level);

/* The request being worked on, if any: while set, every line ends with rid=ID, so that
 * whatever is logged on a request's behalf (its handler, the pool's statements) can be found
 * by the id its Response carries. rpc.c sets it when a request's step starts and clears it
 * (NULL) when the step returns to the loop. The id is copied. */
void log_set_request(const char *rid);
/* The request id lines now carry ("" when none). */
const char *log_request(void);

/* fmt produces the rest of the line as key=value pairs; use log_q() for values that may hold spaces. */
void log_event(enum log_level level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A quoted, escaped form of s for a key=value line: '"' and '\\' escaped, \n \r \t
 * spelled out, other control characters and bytes that are not UTF-8 as \xHH
 * (so text from clients can neither break the line nor forge another one). Cut
 * at about 500 bytes. The result lives in a small ring of static buffers: valid
 * until 8 more calls, enough for one log line. log_event escapes control
 * characters and bad UTF-8 in the rest of the line too. */
const char *log_q(const char *s);

#define log_debug(ev, ...) log_event(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

#endif
