/* mail.h - e-mail for the reminder job: an RFC 5322 message (UTF-8 plain text) and its delivery over SMTP with libcurl.
 */
#ifndef PLANREG_MAIL_H
#define PLANREG_MAIL_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"

struct mail_settings {
	const char *url;  /* smtp://host[:port] (STARTTLS when the server offers it) or smtps://host[:port]; may carry
			     user@ */
	const char *user; /* AUTH user; NULL = the one in the URL, if any */
	const char *password; /* NULL = none (or ~/.netrc, which libcurl reads optionally) */
	const char *from;     /* envelope sender and From: address */
	long timeout_s;       /* whole-transfer timeout per message; 0 = 60 */
	const char *ca_file;  /* optional CA bundle for TLS; NULL = system default */
};

/* One libcurl handle and the connection it keeps open between messages. Copies every setting it needs, so the
 * settings' strings may go once mail_sender_new returns. Not for use from two threads at once. The process
 * should ignore SIGPIPE (main.c does): libcurl is told not to touch signals. */
struct mail_sender;

/* NULL with *err (malloc'd, says what to fix) when the settings are unusable (bad scheme, missing from, ...). */
struct mail_sender *mail_sender_new(const struct mail_settings *s, char **err) __attribute__((warn_unused_result));
/* Sends one message to one recipient; true when the server accepted it. On false *err (malloc'd) holds libcurl's
 * error and the SMTP server's last response line when there is one, e.g. "SMTP 550: mailbox unavailable" or
 * "cannot connect to 127.0.0.1:2525: Connection refused". Reuses the connection between messages. */
bool mail_send(struct mail_sender *m, const char *to, const char *subject, const char *body, char **err)
	__attribute__((warn_unused_result));
/* Closes the connection (QUIT) and frees m; NULL is allowed. */
void mail_sender_free(struct mail_sender *m);

/* The message as sent (exposed for tests): headers Date (RFC 5322, from now), Message-ID (<random-hex@host-of-from>),
 * From, To, Subject (RFC 2047 base64 encoded-words, UTF-8, when not pure printable ASCII; folded so no header line
 * exceeds 78 characters), MIME-Version: 1.0, Content-Type: text/plain; charset=utf-8, Content-Transfer-Encoding: 8bit,
 * Auto-Submitted: auto-generated; a blank line; the body with every line ending normalised to CRLF (bare LF or CR
 * become CRLF), ending with CRLF. Lines longer than 998 octets are broken (never inside a UTF-8 sequence).
 * Header values must not carry CR or LF (a subject/address containing them is rejected: returns false); subject
 * and body must be UTF-8 and the addresses look like addr-spec (see mail_send). message_id is the whole
 * "<id@host>" (the brackets are added when missing); NULL makes a random one. Appends to out only on success. */
bool mail_format(struct buf *out, const char *from, const char *to, const char *subject, const char *body, time_t now,
		 const char *message_id) __attribute__((warn_unused_result));

/* mail_format.c, for mail.c: what is wrong with an address (NULL: nothing), the message saying so (malloc'd), and
 * the message composed into out (NULL, or what is wrong). */
const char *mail_addr_problem(const char *s);
char *mail_addr_error(const char *role, const char *s, const char *why);
const char *mail_compose(struct buf *out, const char *from, const char *to, const char *subject, const char *body,
			 time_t now, const char *message_id);

#endif
