/* log.c - key=value event lines to stderr (systemd's journal takes them as they are). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level log_min = LOG_INFO;
static const char *const log_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
	log_min = level;
}

bool log_parse_level(const char *s, enum log_level *level)
{
	for (int i = 0; i <= LOG_ERROR; i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

bool log_enabled(enum log_level level)
{
	return level >= log_min;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char ts[32];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

	/* one fprintf per line keeps lines whole when stderr is shared */
	char rest[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rest, sizeof rest, fmt, ap);
	va_end(ap);
	fprintf(stderr, "ts=%s.%03dZ level=%s event=%s%s%s\n", ts, (int)(tv.tv_usec / 1000), log_names[level], event,
		rest[0] ? " " : "", rest);
}

const char *log_q(const char *s)
{
	static char ring[8][512];
	static unsigned next;
	char *out = ring[next++ % 8];
	size_t o = 0;
	if (s == NULL)
		s = "";
	out[o++] = '"';
	for (const char *p = s; *p && o < sizeof ring[0] - 4; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = *p;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			out[o++] = ' ';
		} else {
			out[o++] = *p;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
