/* log.c - key=value event lines to stderr (systemd's journal takes them as they are). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "text.h"

static enum log_level log_min = LOG_INFO;
static char log_rid[32]; /* "" when no request is being worked on */
static const char *const log_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
	log_min = level;
}

void log_set_request(const char *rid)
{
	snprintf(log_rid, sizeof log_rid, "%s", rid ? rid : "");
}

const char *log_request(void)
{
	return log_rid;
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

/* Writes one byte as \xHH. */
static size_t log_hex(char *out, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	out[0] = '\\';
	out[1] = 'x';
	out[2] = digits[c >> 4];
	out[3] = digits[c & 0xf];
	return 4;
}

/* The length of the well-formed UTF-8 character at p (n bytes left), or 0 when it is not one. */
static size_t log_utf8_char(const unsigned char *p, size_t n)
{
	size_t want = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	if (want > n || !text_utf8_valid((const char *)p, want, NULL))
		return 0;
	return want;
}

/*
 * Copies s into out (cap bytes) so that the line stays one line of text: control
 * characters and bytes that are not well-formed UTF-8 become \xHH (C1 controls
 * \u00HH); with quoting, '"' and '\\' are escaped and \n \r \t spelled out.
 * Stops before an escape or character that would not fit whole.
 */
static size_t log_escape(const char *s, size_t len, bool quoting, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		char tmp[8];
		size_t w, used = 1;
		unsigned char c = p[i];
		if (quoting && (c == '"' || c == '\\')) {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			w = 2;
		} else if (quoting && (c == '\n' || c == '\r' || c == '\t')) {
			tmp[0] = '\\';
			tmp[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			w = 2;
		} else if (c < 0x20 || c == 0x7f) {
			w = log_hex(tmp, c);
		} else if (c < 0x80) {
			tmp[0] = (char)c;
			w = 1;
		} else if ((used = log_utf8_char(p + i, len - i)) == 0) {
			used = 1;
			w = log_hex(tmp, c);
		} else if (c == 0xc2 && p[i + 1] < 0xa0) {
			w = (size_t)snprintf(tmp, sizeof tmp, "\\u00%02x", p[i + 1]); /* C1 control */
		} else {
			memcpy(tmp, p + i, used);
			w = used;
		}
		if (o + w >= cap)
			break;
		memcpy(out + o, tmp, w);
		o += w;
		i += used;
	}
	if (cap > 0)
		out[o] = '\0';
	return o;
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
	/* values that did not go through log_q must not break the line either */
	char clean[4096];
	log_escape(rest, strlen(rest), false, clean, sizeof clean);
	fprintf(stderr, "ts=%s.%03dZ level=%s event=%s%s%s%s%s\n", ts, (int)(tv.tv_usec / 1000), log_names[level],
		event, clean[0] ? " " : "", clean, log_rid[0] ? " rid=" : "", log_rid);
}

const char *log_q(const char *s)
{
	static char ring[8][512];
	static unsigned next;
	char *out = ring[next++ % 8];
	if (s == NULL)
		s = "";
	out[0] = '"';
	size_t o = 1 + log_escape(s, strlen(s), true, out + 1, sizeof ring[0] - 2);
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
