/* text.c - checks and small transformations on UTF-8 text (see text.h). */
#include "text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

bool text_utf8_valid(const char *s, size_t len, size_t *bad_at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		unsigned cp;
		if (c == 0)
			goto bad;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if (len - i <= n)
			goto bad;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n + 1;
	}
	return true;
bad:
	if (bad_at)
		*bad_at = i;
	return false;
}

size_t text_utf8_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

/* The bidirectional formatting characters: embeddings, overrides, isolates and marks. */
static bool text_is_bidi(unsigned cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

unsigned text_invisible_control(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	*len = 1;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return p[0];
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*len = 2;
		return p[1]; /* U+0080..U+009F */
	}
	if ((p[0] == 0xd8 && p[1] == 0x9c) || p[0] == 0xe2) {
		unsigned cp = p[0] == 0xd8 ? 0x061c : (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f) | 0x2000;
		if (p[0] == 0xe2 && ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[1] & 0x3c) != 0))
			return 0; /* not U+2000..U+20FF */
		if (text_is_bidi(cp)) {
			*len = p[0] == 0xd8 ? 2 : 3;
			return cp;
		}
	}
	return 0;
}

bool text_has_control(const char *s, bool allow_newlines)
{
	for (const char *p = s; *p;) {
		size_t len;
		unsigned cp = text_invisible_control(p, &len);
		p += len;
		/* C1 controls are refused like C0; the bidi marks are allowed (people write Arabic and
		 * Hebrew) and isolated wherever text is shown (text_escape_controls, the report's <bdi>) */
		if (cp == 0 || cp > 0x9f)
			continue;
		if (allow_newlines && (cp == '\n' || cp == '\t' || cp == '\r'))
			continue;
		return true;
	}
	return false;
}

void text_escape_controls(struct buf *b, const char *s, bool keep_lines)
{
	for (const char *p = s; *p;) {
		size_t len;
		unsigned cp = text_invisible_control(p, &len);
		if (cp == 0 || (keep_lines && (cp == '\n' || cp == '\t'))) {
			buf_putc(b, *p);
			p++;
			continue;
		}
		buf_printf(b, "\\u{%04X}", cp);
		p += len;
	}
}

char *text_trim_dup(const char *s, size_t len)
{
	while (len > 0 && text_is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && text_is_space(s[len - 1]))
		len--;
	return xstrndup(s, len);
}

void text_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Copies up to n bytes of valid UTF-8 without cutting a character; returns the bytes copied. */
static size_t text_copy_whole(const char *s, size_t n, char *out, size_t room)
{
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* s[n] continues a character: do not cut it */
	}
	memcpy(out, s, n);
	return n;
}

size_t text_sanitize_utf8(const char *s, size_t len, char *out, size_t cap)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	if (cap == 0)
		return 0;
	size_t i = 0, o = 0, room = cap - 1;
	while (i < len) {
		size_t bad = len - i;
		bool ok = text_utf8_valid(s + i, len - i, &bad);
		size_t want = ok ? len - i : bad;
		size_t n = text_copy_whole(s + i, want, out + o, room - o);
		o += n;
		if (n < want || ok)
			break;
		if (room - o < 3)
			break;
		memcpy(out + o, replacement, 3);
		o += 3;
		i += bad + 1; /* one replacement per bad byte */
	}
	out[o] = '\0';
	return o;
}

const char *text_skip_space(const char *s)
{
	while (text_is_space(*s))
		s++;
	return s;
}

bool text_is_blank(const char *s)
{
	return *text_skip_space(s) == '\0';
}

bool text_iequal(const char *a, const char *b)
{
	while (*a != '\0' && text_lower(*a) == text_lower(*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

size_t text_iprefix(const char *s, const char *prefix)
{
	size_t i = 0;
	for (; prefix[i] != '\0'; i++)
		if (text_lower(s[i]) != text_lower(prefix[i]))
			return 0;
	return i;
}

size_t text_iword(const char *s, const char *word)
{
	size_t n = text_iprefix(s, word);
	if (n == 0 || text_is_alnum(s[n]))
		return 0;
	return n;
}

void text_field_label(const char *path, char *out, size_t n)
{
	static const char content[] = "content.";
	size_t used = 0;
	if (n == 0)
		return;
	if (path == NULL)
		path = "";
	if (strncmp(path, content, sizeof content - 1) == 0)
		path += sizeof content - 1;
	for (const char *p = path; *p && used + 1 < n; p++) {
		if (*p == '[') {
			/* a list's element: singular, numbered from 1 ("milestones[1]" -> "milestone 2") */
			if (used > 0 && out[used - 1] == 's')
				used--;
			char *end;
			/* an element named by its key ("projects[ref=12]" -> "project 12") keeps the number as given */
			bool keyed = strncmp(p + 1, "ref=", 4) == 0;
			unsigned long i = strtoul(p + 1 + (keyed ? 4 : 0), &end, 10);
			int w = snprintf(out + used, n - used, " %lu", keyed ? i : i + 1);
			used = w < 0 ? used : used + (size_t)w >= n ? n - 1 : used + (size_t)w;
			const char *close = strchr(p, ']');
			if (close == NULL)
				break;
			p = close;
			continue;
		}
		out[used++] = (*p == '_' || *p == '.') ? ' ' : *p;
	}
	out[used] = '\0';
}
