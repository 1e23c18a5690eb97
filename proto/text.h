/* text.h - checks and small transformations on UTF-8 text from users and documents. */
#ifndef PLANREG_TEXT_H
#define PLANREG_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or NUL).
 * On false, *bad_at (if not NULL) is the offset of the first bad byte. */
bool text_utf8_valid(const char *s, size_t len, size_t *bad_at);
/* Counts code points of a valid UTF-8 string. */
size_t text_utf8_length(const char *s);
/* True when s holds an ASCII control character; TAB, LF and CR count only when allow_newlines is false. */
bool text_has_control(const char *s, bool allow_newlines);
/* A malloc'd copy without leading and trailing whitespace. */
char *text_trim_dup(const char *s, size_t len);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void text_hex(const unsigned char *in, size_t n, char *out);

#endif
