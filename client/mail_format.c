/* mail_format.c - the reminder's message formatted for SMTP (RFC 5322 headers,
 * RFC 2047 encoded subjects and display names, CRLF lines no longer than the
 * limit), and what is said about a bad address; mail.c sends it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "mailbox.h"
#include "text.h"
#include "xmalloc.h"

#define MAIL_HEADER_LINE_MAX 78 /* RFC 5322 2.1.1, without CRLF */
#define MAIL_BODY_LINE_MAX 998  /* RFC 5322 2.1.1, without CRLF */
#define MAIL_WORD_MAX 75        /* RFC 2047 2: the longest encoded-word */
#define MAIL_WORD_OPEN "=?UTF-8?B?"
#define MAIL_WORD_CLOSE "?="

/* "the recipient address "x y" is not ...": the address is quoted only when it is safe to print. */
char *mail_addr_error(const char *role, const char *s, const char *why)
{
	if (s == NULL || s[0] == '\0')
		return xasprintf("no %s address: %s", role, MAILBOX_HINT);
	char text[MAILBOX_MAX + 400];
	mailbox_error(s, why, text, sizeof text);
	return xasprintf("the %s address: %s", role, text);
}

/* ---------------------------------------------------------------- formatting */

static void mail_base64(struct buf *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		buf_putc(out, digits[(v >> 18) & 63]);
		buf_putc(out, digits[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? digits[(v >> 6) & 63] : '=');
		buf_putc(out, i + 2 < n ? digits[v & 63] : '=');
	}
}

/* Leaves the subject as written when it is printable ASCII that folds at its spaces into lines of at most 78
 * characters; false (out untouched) when it needs encoded-words instead. "=?" would read as the start of one. */
static bool mail_subject_plain(struct buf *out, const char *subject)
{
	for (const char *p = subject; *p; p++)
		if (*p < ' ' || *p > '~')
			return false;
	if (strstr(subject, "=?"))
		return false;
	struct buf b = {0};
	size_t line = strlen("Subject:");
	buf_puts(&b, "Subject:");
	/* Chunks of spaces and the word after them; a fold goes before a chunk, its spaces the folding white space. */
	const char *p = subject;
	bool first = true;
	while (first || *p) {
		size_t n = first ? 0 : strspn(p, " ");
		n += strcspn(p + n, " ");
		size_t width = first ? n + 1 : n; /* the first chunk follows "Subject: " */
		if (line + width > MAIL_HEADER_LINE_MAX) {
			/* a fold needs white space to start the next line and a word to follow it */
			if (first || width > MAIL_HEADER_LINE_MAX || strspn(p, " ") == n) {
				buf_free(&b);
				return false;
			}
			buf_puts(&b, "\r\n");
			line = 0;
		}
		if (first)
			buf_putc(&b, ' ');
		buf_append(&b, p, n);
		line += width;
		p += n;
		first = false;
	}
	buf_puts(&b, "\r\n");
	buf_append(out, b.data, b.len);
	buf_free(&b);
	return true;
}

/* RFC 2047 base64 encoded-words, one per line, each holding whole UTF-8 characters and short enough that its line
 * (with "Subject: " or the folding space) stays within 78 characters. */
static void mail_subject_encoded(struct buf *out, const char *subject)
{
	size_t overhead = strlen(MAIL_WORD_OPEN) + strlen(MAIL_WORD_CLOSE);
	const char *p = subject;
	size_t left = strlen(subject);
	size_t prefix = strlen("Subject: ");
	buf_puts(out, "Subject: ");
	do {
		size_t room = MAIL_HEADER_LINE_MAX - prefix;
		if (room > MAIL_WORD_MAX)
			room = MAIL_WORD_MAX;
		size_t take = (room - overhead) / 4 * 3; /* base64: 4 characters per 3 octets */
		if (take >= left) {
			take = left;
		} else {
			while (take > 0 && ((unsigned char)p[take] & 0xc0) == 0x80)
				take--;
		}
		if (prefix == 1)
			buf_puts(out, "\r\n ");
		buf_puts(out, MAIL_WORD_OPEN);
		mail_base64(out, (const unsigned char *)p, take);
		buf_puts(out, MAIL_WORD_CLOSE);
		p += take;
		left -= take;
		prefix = 1;
	} while (left > 0);
	buf_puts(out, "\r\n");
}

/* A header being written a token at a time, folded before a token that would take its line past 78 characters. */
struct mail_fold {
	struct buf *out;
	size_t line; /* characters on the current line */
	bool first;  /* nothing after the header's name yet */
};

static void mail_fold_token(struct mail_fold *f, const char *tok, size_t n)
{
	if (!f->first && f->line + 1 + n > MAIL_HEADER_LINE_MAX) {
		buf_puts(f->out, "\r\n");
		f->line = 0;
	}
	buf_putc(f->out, ' ');
	buf_append(f->out, tok, n);
	f->line += 1 + n;
	f->first = false;
}

/* A display name as header tokens: plain ASCII words as they are; other printable ASCII in double quotes; anything
 * else as RFC 2047 encoded-words (RFC 2047 5(3)), each of whole UTF-8 characters. */
static void mail_fold_name(struct mail_fold *f, const char *name)
{
	bool words = true, ascii = true;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		ascii = ascii && c >= ' ' && c < 0x7f;
		words = words && (c == ' ' || text_is_alnum((char)c) || strchr("!#$%&'*+-/=?^_`{|}~", c));
	}
	if (words) {
		for (const char *p = name; *p;) {
			size_t n = strcspn(p, " ");
			if (n)
				mail_fold_token(f, p, n);
			p += n + strspn(p + n, " ");
		}
		return;
	}
	if (ascii && strlen(name) + 2 <= MAIL_WORD_MAX) {
		char quoted[MAIL_WORD_MAX + 1];
		snprintf(quoted, sizeof quoted, "\"%s\"", name);
		mail_fold_token(f, quoted, strlen(quoted));
		return;
	}
	size_t per_word = (MAIL_WORD_MAX - strlen(MAIL_WORD_OPEN) - strlen(MAIL_WORD_CLOSE)) / 4 * 3;
	for (const char *p = name; *p;) {
		size_t take = strlen(p);
		if (take > per_word) {
			take = per_word;
			while (take > 0 && ((unsigned char)p[take] & 0xc0) == 0x80)
				take--;
		}
		struct buf w = {0};
		buf_puts(&w, MAIL_WORD_OPEN);
		mail_base64(&w, (const unsigned char *)p, take);
		buf_puts(&w, MAIL_WORD_CLOSE);
		mail_fold_token(f, w.data, w.len);
		buf_free(&w);
		p += take;
	}
}

/* "To: Ann Williams <ann@lcc.example>, digital@lcc.example", folded; the mailboxes were checked. */
static void mail_header_mailboxes(struct buf *out, const char *header, const struct mailbox *m, size_t n)
{
	struct mail_fold f = {.out = out, .line = strlen(header) + 1, .first = true};
	buf_printf(out, "%s:", header);
	for (size_t i = 0; i < n; i++) {
		const char *comma = i + 1 < n ? "," : "";
		char tok[MAILBOX_ADDR_MAX + 4];
		if (m[i].name[0]) {
			mail_fold_name(&f, m[i].name);
			snprintf(tok, sizeof tok, "<%s>%s", m[i].addr, comma);
		} else {
			snprintf(tok, sizeof tok, "%s%s", m[i].addr, comma);
		}
		mail_fold_token(&f, tok, strlen(tok));
	}
	buf_puts(out, "\r\n");
}

/* "Date: Tue, 03 Mar 2026 14:05:09 +0000", in local time with its offset. */
static bool mail_date(struct buf *out, time_t now)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	if (localtime_r(&now, &tm) == NULL && gmtime_r(&now, &tm) == NULL)
		return false;
	if (tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_year + 1900 > 9999)
		return false;
	long offset = tm.tm_gmtoff / 60;
	char sign = offset < 0 ? '-' : '+';
	if (offset < 0)
		offset = -offset;
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld\r\n", days[tm.tm_wday], tm.tm_mday,
		   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, offset / 60,
		   offset % 60);
	return true;
}

/* One line of the body (without its line break) and CRLF, broken into lines of at most 998 octets: before the last
 * space in the second half of the limit when there is one (no line ends in white space a relay might strip), else
 * at the last character boundary. */
static void mail_body_line(struct buf *out, const char *s, size_t n)
{
	while (n > MAIL_BODY_LINE_MAX) {
		size_t cut = MAIL_BODY_LINE_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		for (size_t i = cut; i > MAIL_BODY_LINE_MAX / 2; i--) {
			if (s[i] == ' ') {
				cut = i;
				break;
			}
		}
		buf_append(out, s, cut);
		buf_puts(out, "\r\n");
		s += cut;
		n -= cut;
	}
	buf_append(out, s, n);
	buf_puts(out, "\r\n");
}

/* Every line ending (CRLF, LF or a lone CR) made CRLF, and the last line ended even when the text does not end it. */
static void mail_body(struct buf *out, const char *body)
{
	const char *p = body;
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		mail_body_line(out, p, n);
		p += n;
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
}

/* "<32 hex digits@host-of-from>" into a malloc'd string. */
static char *mail_message_id(const char *from)
{
	unsigned char bytes[16];
	size_t got = 0;
	while (got < sizeof bytes) {
		ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof bytes) {
		/* no kernel randomness: unique enough for a Message-ID, which is no secret */
		static unsigned counter;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t mix[2] = {(uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
				   ((uint64_t)getpid() << 32) | ++counter};
		memcpy(bytes, mix, sizeof bytes);
	}
	char hex[2 * sizeof bytes + 1];
	text_hex(bytes, sizeof bytes, hex);
	const char *at = strrchr(from, '@');
	return xasprintf("<%s@%s>", hex, at ? at + 1 : "localhost");
}

/* The message's addresses read into from, to[] and reply_to; NULL, or what is wrong. */
static const char *mail_compose_addresses(const char *from_text, const struct mail_message *msg, struct mailbox *from,
					  struct mailbox *to, struct mailbox *reply_to)
{
	if (from_text == NULL || mailbox_parse(from_text, from) != NULL)
		return "the sender address is not an e-mail address";
	if (msg->n_to == 0 || msg->to == NULL)
		return "the message has no recipient";
	if (msg->n_to > MAIL_TO_MAX)
		return "the message has more than 50 recipients";
	for (size_t i = 0; i < msg->n_to; i++)
		if (msg->to[i] == NULL || mailbox_parse(msg->to[i], &to[i]) != NULL)
			return "a recipient address is not an e-mail address";
	if (msg->reply_to && msg->reply_to[0] && mailbox_parse(msg->reply_to, reply_to) != NULL)
		return "the Reply-To address is not an e-mail address";
	return NULL;
}

/* mail_format, saying why not: NULL when out holds the message. */
const char *mail_compose(struct buf *out, const char *from_text, const struct mail_message *msg, time_t now,
			 const char *message_id)
{
	struct mailbox from, to[MAIL_TO_MAX], reply_to = {{0}, {0}};
	const char *why = mail_compose_addresses(from_text, msg, &from, to, &reply_to);
	if (why)
		return why;
	const char *subject = msg->subject ? msg->subject : "", *body = msg->body ? msg->body : "";
	if (strpbrk(subject, "\r\n"))
		return "the subject contains a line break";
	if (!text_utf8_valid(subject, strlen(subject), NULL))
		return "the subject is not UTF-8";
	if (!text_utf8_valid(body, strlen(body), NULL))
		return "the text is not UTF-8";
	/* "Message-ID: <" ... ">" must fit on one line */
	if (message_id && (message_id[0] == '\0' || text_has_control(message_id, false) || strpbrk(message_id, " ") ||
			   strlen(message_id) > MAIL_BODY_LINE_MAX - strlen("Message-ID: <>")))
		return "the Message-ID is malformed";

	struct buf b = {0};
	if (!mail_date(&b, now)) {
		buf_free(&b);
		return "the date cannot be written";
	}
	if (message_id == NULL) {
		char *id = mail_message_id(from.addr);
		buf_printf(&b, "Message-ID: %s\r\n", id);
		free(id);
	} else {
		buf_printf(&b, message_id[0] == '<' ? "Message-ID: %s\r\n" : "Message-ID: <%s>\r\n", message_id);
	}
	mail_header_mailboxes(&b, "From", &from, 1);
	mail_header_mailboxes(&b, "To", to, msg->n_to);
	if (reply_to.addr[0])
		mail_header_mailboxes(&b, "Reply-To", &reply_to, 1);
	if (!mail_subject_plain(&b, subject))
		mail_subject_encoded(&b, subject);
	buf_puts(&b, "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: 8bit\r\n"
		     "Auto-Submitted: auto-generated\r\n"
		     "\r\n");
	mail_body(&b, body);
	buf_append(out, b.data, b.len);
	buf_free(&b);
	return NULL;
}

bool mail_format(struct buf *out, const char *from, const struct mail_message *msg, time_t now, const char *message_id)
{
	return mail_compose(out, from, msg, now, message_id) == NULL;
}
