/* buf.h - a growable byte buffer, always NUL-terminated; the owner frees data. */
#ifndef PLANREG_BUF_H
#define PLANREG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append; then NUL-terminated */
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);
/* Hands the string to the caller (never NULL) and empties b. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);
/* "" when empty, so callers can print without a NULL check. */
const char *buf_str(const struct buf *b);

#endif
