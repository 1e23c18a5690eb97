/* mail.h - e-mail for the reminder job: an RFC 5322 message (UTF-8 plain text) to one or more people and its
 * delivery over SMTP with libcurl. Addresses are mailboxes (proto/mailbox.h): "name@example.org" or
 * "Full Name <name@example.org>". */
#ifndef PLANREG_MAIL_H
#define PLANREG_MAIL_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"

#define MAIL_TO_MAX 50 /* recipients of one message: an organisation has at most 10 contacts */

struct mail_settings {
	const char *url;  /* smtp://host[:port] (STARTTLS when the server offers it) or smtps://host[:port]; may carry
			     user@ */
	const char *user; /* AUTH user; NULL = the one in the URL, if any */
	const char *password; /* NULL = none (or ~/.netrc, which libcurl reads optionally) */
	const char *from;     /* the From: mailbox; its address is the envelope sender */
	long timeout_s;       /* whole-transfer timeout per message; 0 = 60 */
	const char *ca_file;  /* optional CA bundle for TLS; NULL = system default */
};

/* One libcurl handle and the connection it keeps open between messages. Copies every setting it needs, so the
 * settings' strings may go once mail_sender_new returns. Not for use from two threads at once. The process
 * should ignore SIGPIPE (main.c does): libcurl is told not to touch signals. */
struct mail_sender;

/* One message: everyone in to gets the same one (one SMTP transaction, every address in To:). */
struct mail_message {
	const char *const *to; /* the recipients' mailboxes */
	size_t n_to;           /* 1 to MAIL_TO_MAX */
	const char *reply_to;  /* a mailbox for Reply-To:, or NULL (or "") for none */
	const char *subject;
	const char *body;
};

/* NULL with *err (malloc'd, says what to fix) when the settings are unusable (bad scheme, missing from, ...). */
struct mail_sender *mail_sender_new(const struct mail_settings *s, char **err) __attribute__((warn_unused_result));
/* mail_sender_new with the password the CLI takes from PLANREG_SMTP_PASSWORD (else ~/.netrc, else none): the
 * reminder job and `cred invite --email` send the same way. */
struct mail_sender *mail_sender_for(const char *url, const char *user, const char *from, char **err)
	__attribute__((warn_unused_result));
/* Sends one message; true when the server accepted it for at least one recipient. Then *refused (malloc'd) names
 * each recipient it refused, with its answer ("digital@lcc.example (SMTP 550: mailbox unavailable)", "; " between
 * them), or is NULL when it took them all: one wrong address does not hold the message back from the others. On
 * false *err (malloc'd) holds libcurl's error and the SMTP server's last response line when there is one, e.g.
 * "SMTP 550: mailbox unavailable" or "cannot connect to 127.0.0.1:2525: Connection refused". Reuses the
 * connection between messages. */
bool mail_send(struct mail_sender *m, const struct mail_message *msg, char **refused, char **err)
	__attribute__((warn_unused_result));
/* Closes the connection (QUIT) and frees m; NULL is allowed. */
void mail_sender_free(struct mail_sender *m);

/* The message as sent (exposed for tests): headers Date (RFC 5322, from now), Message-ID (<random-hex@host-of-from>),
 * From, To (every recipient, ", " between them), Reply-To (when given), Subject (RFC 2047 base64 encoded-words,
 * UTF-8, when not pure printable ASCII), MIME-Version: 1.0, Content-Type: text/plain; charset=utf-8,
 * Content-Transfer-Encoding: 8bit, Auto-Submitted: auto-generated; a blank line; the body with every line ending
 * normalised to CRLF (bare LF or CR become CRLF), ending with CRLF. Header lines are folded to 78 characters; a
 * display name that is not plain ASCII words is quoted, or made encoded-words when it is not ASCII. Lines longer
 * than 998 octets are broken (never inside a UTF-8 sequence). Header values must not carry CR or LF (a subject or
 * address containing them is rejected: returns false); subject and body must be UTF-8 and every address a mailbox.
 * message_id is the whole "<id@host>" (the brackets are added when missing); NULL makes a random one. Appends to
 * out only on success. */
bool mail_format(struct buf *out, const char *from, const struct mail_message *msg, time_t now, const char *message_id)
	__attribute__((warn_unused_result));

/* mail_format.c, for mail.c: the message saying what is wrong with an address (malloc'd), and the message
 * composed into out (NULL, or what is wrong). */
char *mail_addr_error(const char *role, const char *s, const char *why);
const char *mail_compose(struct buf *out, const char *from, const struct mail_message *msg, time_t now,
			 const char *message_id);

/* mail_netrc.c: the login for host in ~/.netrc (the first `machine` entry for host, else `default`, with a
 * password; when user is not NULL, only an entry whose login is user). True with *login (NULL when the entry
 * names none) and *password malloc'd; false when there is none, or no file. mail_netrc_lookup reads text
 * instead of the file (for tests). */
bool mail_netrc_find(const char *host, const char *user, char **login, char **password);
bool mail_netrc_lookup(const char *text, const char *host, const char *user, char **login, char **password);

#endif
