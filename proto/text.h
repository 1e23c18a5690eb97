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
/* A control that text shown to people must never carry raw, at s (UTF-8): a C0 control or DEL
 * (0 when not one), a C1 control U+0080..U+009F, or a bidirectional control (U+061C, U+200E,
 * U+200F, U+202A..U+202E, U+2066..U+2069: they reorder the text around them). Returns the
 * code point and its length in bytes through *len; 0 when s does not start with one. */
unsigned text_invisible_control(const char *s, size_t *len);
/* Appends s to b with every invisible control (text_invisible_control) written as "\u{XXXX}",
 * so that a terminal shows it instead of obeying it; keep_lines keeps \n and \t as they are. */
struct buf;
void text_escape_controls(struct buf *b, const char *s, bool keep_lines);
/* A malloc'd copy without leading and trailing whitespace. */
char *text_trim_dup(const char *s, size_t len);
/* Copies s[0..len) into out (cap bytes, always NUL-terminated when cap > 0) with
 * every byte that is not part of well-formed UTF-8, and every NUL, replaced by
 * U+FFFD; stops before a character that would not fit whole. Returns the bytes
 * written (without the NUL). cap = 3 * len + 1 always suffices. */
size_t text_sanitize_utf8(const char *s, size_t len, char *out, size_t cap);
/*
 * ASCII character classes and case, the same in every locale: a document or a
 * name must read the same whatever LC_CTYPE says, and bytes of UTF-8 sequences
 * are never letters or spaces here.
 */
static inline bool text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
static inline bool text_is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static inline bool text_is_alnum(char c)
{
	return text_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline char text_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}
static inline char text_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}
/* True when a and b are equal but for ASCII case. */
bool text_iequal(const char *a, const char *b);
/* The length of prefix when s starts with it (ASCII case-insensitively), else 0. */
size_t text_iprefix(const char *s, const char *prefix);
/* As text_iprefix, but the prefix must end at a word boundary (not before a letter or digit). */
size_t text_iword(const char *s, const char *word);
/* s with its leading ASCII whitespace skipped. */
const char *text_skip_space(const char *s);
/* True when s is empty or only ASCII whitespace. */
bool text_is_blank(const char *s);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void text_hex(const unsigned char *in, size_t n, char *out);

/* A request field's path as people read it, for messages: "content.variance_note" -> "variance
 * note", "content.milestones[1].forecast_date" -> "milestone 2 forecast date". Always terminated. */
void text_field_label(const char *path, char *out, size_t n);

#endif
