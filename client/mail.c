/* mail.c - e-mail for the reminder job (see mail.h): one plain-text UTF-8 message formatted here, handed to
 * libcurl's SMTP client over one kept-open connection. */
#include "mail.h"

#define CURL_DISABLE_TYPECHECK /* the calls below go through pointers: no type-checking macros */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "text.h"
#include "xmalloc.h"

#define MAIL_ADDR_MAX 254       /* RFC 5321 4.5.3.1.3, less the brackets */
#define MAIL_HEADER_LINE_MAX 78 /* RFC 5322 2.1.1, without CRLF */
#define MAIL_BODY_LINE_MAX 998  /* RFC 5322 2.1.1, without CRLF */
#define MAIL_WORD_MAX 75        /* RFC 2047 2: the longest encoded-word */
#define MAIL_WORD_OPEN "=?UTF-8?B?"
#define MAIL_WORD_CLOSE "?="
#define MAIL_TIMEOUT_DEFAULT 60
#define MAIL_CONNECT_TIMEOUT 10
#define MAIL_REPLY_MAX 512
#define MAIL_SECRET_MIN 4 /* shorter passwords are not hunted for in error text: they would match by chance */

/* libcurl is loaded when the first sender is made, not when planreg starts: linked in, it and the
 * twenty libraries it brings (HTTP/2, LDAP, SSH, Kerberos...) cost every command ~10 ms of start-up
 * for the one command that sends mail (docs/performance.md). */
#define MAIL_LIBCURL "libcurl.so.4"
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	void (*free)(void *);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	const char *(*url_strerror)(CURLUcode);
} mail_curl;
#undef curl_easy_setopt /* curl.h's own macros for the three-argument form */
#undef curl_easy_getinfo
#define curl_global_init mail_curl.global_init
#define curl_easy_init mail_curl.easy_init
#define curl_easy_setopt mail_curl.easy_setopt
#define curl_easy_perform mail_curl.easy_perform
#define curl_easy_getinfo mail_curl.easy_getinfo
#define curl_easy_cleanup mail_curl.easy_cleanup
#define curl_easy_strerror mail_curl.easy_strerror
#define curl_slist_append mail_curl.slist_append
#define curl_slist_free_all mail_curl.slist_free_all
#define curl_free mail_curl.free
#define curl_url mail_curl.url
#define curl_url_cleanup mail_curl.url_cleanup
#define curl_url_get mail_curl.url_get
#define curl_url_set mail_curl.url_set
#define curl_url_strerror mail_curl.url_strerror

/* Loads libcurl and finds each function this file calls; false with *err when it cannot. */
static bool mail_curl_load(char **err)
{
	static void *lib;
	if (lib)
		return true;
	void *h = dlopen(MAIL_LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		*err = xasprintf("cannot load %s to send mail (%s): install Debian's libcurl4", MAIL_LIBCURL,
				 dlerror());
		return false;
	}
	static const char *const names[] = {"curl_global_init",   "curl_easy_init",    "curl_easy_setopt",
					    "curl_easy_perform",  "curl_easy_getinfo", "curl_easy_cleanup",
					    "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all",
					    "curl_free",          "curl_url",          "curl_url_cleanup",
					    "curl_url_get",       "curl_url_set",      "curl_url_strerror"};
	void **slots[] = {
		(void **)&mail_curl.global_init,   (void **)&mail_curl.easy_init,    (void **)&mail_curl.easy_setopt,
		(void **)&mail_curl.easy_perform,  (void **)&mail_curl.easy_getinfo, (void **)&mail_curl.easy_cleanup,
		(void **)&mail_curl.easy_strerror, (void **)&mail_curl.slist_append, (void **)&mail_curl.slist_free_all,
		(void **)&mail_curl.free,          (void **)&mail_curl.url,          (void **)&mail_curl.url_cleanup,
		(void **)&mail_curl.url_get,       (void **)&mail_curl.url_set,      (void **)&mail_curl.url_strerror};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		*slots[i] = dlsym(h, names[i]);
		if (*slots[i] == NULL) {
			*err = xasprintf("%s has no %s: it is too old (planreg needs libcurl 7.80 or later)",
					 MAIL_LIBCURL, names[i]);
			dlclose(h);
			memset(&mail_curl, 0, sizeof mail_curl);
			return false;
		}
	}
	lib = h; /* kept for the life of the process */
	return true;
}

struct mail_sender {
	CURL *curl;
	char *from;
	char *mail_from; /* "<from>", for MAIL FROM */
	char *endpoint;  /* "host:port" for error text: never the URL, which may hold a password */
	char *secret;    /* the password (given or in the URL), kept only to keep it out of errors; wiped when freed */
	char errbuf[CURL_ERROR_SIZE];
	char last_reply[MAIL_REPLY_MAX];  /* the server's last response line during this message */
	char error_reply[MAIL_REPLY_MAX]; /* its last 4xx or 5xx line, which says more than a later QUIT's 221 */
};

/* The formatted message as libcurl reads it for DATA. */
struct mail_upload {
	const char *data;
	size_t len;
	size_t pos;
};

/* ---------------------------------------------------------------- checking */

/* As xmalloc does when libcurl cannot allocate: callers never check for NULL. */
static void mail_die_oom(void)
{
	fprintf(stderr, "fatal: out of memory in libcurl\n");
	abort();
}

/* NULL when s looks like an addr-spec (local@domain) that is safe in a header and in MAIL FROM/RCPT TO; else
 * what is wrong with it. Quoted local parts and display names are not taken: the reminder job has no use for them. */
static const char *mail_addr_problem(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return "is empty";
	size_t len = strlen(s);
	if (len > MAIL_ADDR_MAX)
		return "is longer than 254 characters";
	if (strpbrk(s, "\r\n"))
		return "contains a line break";
	if (!text_utf8_valid(s, len, NULL))
		return "is not UTF-8";
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f)
			return "contains a space or a control character";
		if (strchr("<>()\",;\\", c))
			return "contains one of < > ( ) \" , ; \\";
	}
	const char *at = strchr(s, '@');
	if (at == NULL || strchr(at + 1, '@'))
		return "must contain exactly one @";
	if (at == s)
		return "has nothing before the @";
	const char *domain = at + 1;
	if (domain[0] == '\0')
		return "has nothing after the @";
	if (domain[0] == '.' || domain[strlen(domain) - 1] == '.' || strstr(domain, ".."))
		return "has a malformed domain";
	return NULL;
}

/* "recipient address "x y" contains ...": the address is quoted only when it is safe to print. */
static char *mail_addr_error(const char *role, const char *s, const char *why)
{
	if (s == NULL || s[0] == '\0')
		return xasprintf("no %s address: give one as name@example.org", role);
	if (text_has_control(s, false) || strlen(s) > MAIL_ADDR_MAX || !text_utf8_valid(s, strlen(s), NULL))
		return xasprintf("the %s address %s: write it as name@example.org", role, why);
	return xasprintf("the %s address \"%s\" %s: write it as name@example.org", role, s, why);
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

/* mail_format, saying why not: NULL when out holds the message. */
static const char *mail_compose(struct buf *out, const char *from, const char *to, const char *subject,
				const char *body, time_t now, const char *message_id)
{
	if (mail_addr_problem(from))
		return "the sender address is not an e-mail address";
	if (mail_addr_problem(to))
		return "the recipient address is not an e-mail address";
	if (subject == NULL)
		subject = "";
	if (body == NULL)
		body = "";
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
		char *id = mail_message_id(from);
		buf_printf(&b, "Message-ID: %s\r\n", id);
		free(id);
	} else if (message_id[0] == '<') {
		buf_printf(&b, "Message-ID: %s\r\n", message_id);
	} else {
		buf_printf(&b, "Message-ID: <%s>\r\n", message_id);
	}
	buf_printf(&b, "From: %s\r\n", from);
	buf_printf(&b, "To: %s\r\n", to);
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

bool mail_format(struct buf *out, const char *from, const char *to, const char *subject, const char *body, time_t now,
		 const char *message_id)
{
	return mail_compose(out, from, to, subject, body, now, message_id) == NULL;
}

/* ---------------------------------------------------------------- sending */

static size_t mail_read(char *dest, size_t size, size_t nmemb, void *userp)
{
	struct mail_upload *up = userp;
	size_t n = up->len - up->pos;
	if (n > size * nmemb)
		n = size * nmemb;
	memcpy(dest, up->data + up->pos, n);
	up->pos += n;
	return n;
}

/* Keeps the server's response lines (libcurl shows SMTP replies as incoming headers), made printable. */
static int mail_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *userp)
{
	struct mail_sender *m = userp;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (size > 0) {
		size_t n = 0;
		while (n < size && data[n] != '\n')
			n++;
		size_t len = n;
		while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == ' '))
			len--;
		if (len > 0) {
			if (len >= sizeof m->last_reply)
				len = sizeof m->last_reply - 1;
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)data[i];
				m->last_reply[i] = (c < ' ' || c >= 0x7f) ? '?' : (char)c;
			}
			m->last_reply[len] = '\0';
			if (m->last_reply[0] == '4' || m->last_reply[0] == '5')
				memcpy(m->error_reply, m->last_reply, len + 1);
		}
		if (n < size)
			n++;
		data += n;
		size -= n;
	}
	return 0;
}

/* Replaces every copy of the password in *s with "****": a server may echo what it was sent. */
static void mail_redact(const struct mail_sender *m, char **s)
{
	if (m->secret == NULL || strlen(m->secret) < MAIL_SECRET_MIN || strstr(*s, m->secret) == NULL)
		return;
	struct buf b = {0};
	size_t n = strlen(m->secret);
	const char *p = *s;
	const char *hit;
	while ((hit = strstr(p, m->secret)) != NULL) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_puts(&b, "****");
		p = hit + n;
	}
	buf_puts(&b, p);
	free(*s);
	*s = buf_take(&b);
}

static char *mail_send_error(struct mail_sender *m, CURLcode rc)
{
	const char *detail = m->errbuf[0] ? m->errbuf : curl_easy_strerror(rc);
	const char *reply = m->error_reply[0] ? m->error_reply : m->last_reply;
	long code = 0;
	if (curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	char *err;
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	    (rc == CURLE_OPERATION_TIMEDOUT && reply[0] == '\0')) {
		long os_errno = 0;
		if (rc == CURLE_COULDNT_CONNECT &&
		    curl_easy_getinfo(m->curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0)
			err = xasprintf("cannot connect to %s: %s", m->endpoint, strerror((int)os_errno));
		else
			err = xasprintf("cannot connect to %s: %s", m->endpoint, detail);
	} else if (strspn(reply, "0123456789") == 3 && (reply[3] == ' ' || reply[3] == '-' || reply[3] == '\0')) {
		err = xasprintf("SMTP %.3s: %s (libcurl: %s)", reply, reply[3] ? reply + 4 : "", detail);
	} else if (reply[0]) {
		err = xasprintf("SMTP server said \"%s\" (libcurl: %s)", reply, detail);
	} else if (code > 0) {
		err = xasprintf("SMTP %ld (libcurl: %s) from %s", code, detail, m->endpoint);
	} else {
		err = xasprintf("%s (talking to %s)", detail, m->endpoint);
	}
	mail_redact(m, &err);
	return err;
}

bool mail_send(struct mail_sender *m, const char *to, const char *subject, const char *body, char **err)
{
	*err = NULL;
	const char *why = mail_addr_problem(to);
	if (why) {
		*err = mail_addr_error("recipient", to, why);
		return false;
	}
	struct buf msg = {0};
	why = mail_compose(&msg, m->from, to, subject, body, time(NULL), NULL);
	if (why) {
		*err = xasprintf("cannot send to %s: %s", to, why);
		buf_free(&msg);
		return false;
	}

	char *rcpt = xasprintf("<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	if (rcpts == NULL) {
		mail_die_oom();
	}
	struct mail_upload up = {.data = msg.data, .len = msg.len, .pos = 0};
	m->errbuf[0] = '\0';
	m->last_reply[0] = '\0';
	m->error_reply[0] = '\0';
	CURLcode rc = curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, rcpts);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(m->curl, CURLOPT_READDATA, &up);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(m->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(m->curl);
	if (rc != CURLE_OK)
		*err = mail_send_error(m, rc);
	/* nothing may point at this call's memory once it returns */
	curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(m->curl, CURLOPT_READDATA, NULL);
	curl_slist_free_all(rcpts);
	free(rcpt);
	buf_free(&msg);
	return rc == CURLE_OK;
}

/* ---------------------------------------------------------------- the sender */

/* libcurl's global state, once per process. */
static bool mail_curl_init(char **err)
{
	static bool done;
	if (done)
		return true;
	if (!mail_curl_load(err))
		return false;
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		*err = xasprintf("cannot start libcurl: %s", curl_easy_strerror(rc));
		return false;
	}
	done = true;
	return true;
}

/* Checks the URL and keeps what error text may show of it ("host:port") and the password it may carry. */
static bool mail_parse_url(struct mail_sender *m, const char *url, bool *tls, char **err)
{
	bool smtps = url && strncasecmp(url, "smtps://", 8) == 0;
	if (url == NULL || (!smtps && strncasecmp(url, "smtp://", 7) != 0)) {
		*err = xstrdup("the mail server URL must be smtp://host[:port] (STARTTLS when offered) or "
			       "smtps://host[:port] (TLS from the start)");
		return false;
	}
	*tls = smtps;
	CURLU *u = curl_url();
	if (u == NULL) {
		mail_die_oom();
	}
	char *host = NULL, *port = NULL, *password = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (uc == CURLUE_OK && host[0] != '\0') {
		m->endpoint = xasprintf("%s:%s", host, port);
		if (curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE) == CURLUE_OK)
			m->secret = xstrdup(password);
	} else {
		/* the URL itself is not repeated: it may hold a password */
		*err = xasprintf(
			"the mail server URL is malformed (%s): write smtp://host[:port] or smtps://host[:port]",
			uc == CURLUE_OK ? "no host" : curl_url_strerror(uc));
	}
	if (password) {
		explicit_bzero(password, strlen(password));
		curl_free(password);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return m->endpoint != NULL;
}

struct mail_sender *mail_sender_new(const struct mail_settings *s, char **err)
{
	*err = NULL;
	const char *why = mail_addr_problem(s->from);
	if (why) {
		*err = mail_addr_error("sender (from)", s->from, why);
		return NULL;
	}
	if (s->timeout_s < 0) {
		*err = xasprintf("the mail timeout must be 0 (60 s) or more seconds, not %ld", s->timeout_s);
		return NULL;
	}
	if (!mail_curl_init(err))
		return NULL;
	struct mail_sender *m = xcalloc(1, sizeof *m);
	bool tls = false;
	if (!mail_parse_url(m, s->url, &tls, err)) {
		mail_sender_free(m);
		return NULL;
	}
	if (s->password) {
		free(m->secret);
		m->secret = xstrdup(s->password);
	}
	m->from = xstrdup(s->from);
	m->mail_from = xasprintf("<%s>", s->from);
	m->curl = curl_easy_init();
	if (m->curl == NULL) {
		*err = xstrdup("cannot start libcurl (curl_easy_init failed)");
		mail_sender_free(m);
		return NULL;
	}

	CURL *c = m->curl;
	CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m->errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_URL, s->url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	/* with a login, STARTTLS is required: a password never crosses in clear (unless it comes from ~/.netrc) */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_USE_SSL,
				      (long)(tls || s->user || m->secret ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (rc == CURLE_OK && s->user)
		rc = curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
	if (rc == CURLE_OK && s->password)
		rc = curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (rc == CURLE_OK && s->ca_file)
		rc = curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->mail_from);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)MAIL_CONNECT_TIMEOUT);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout_s > 0 ? s->timeout_s : (long)MAIL_TIMEOUT_DEFAULT);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* verbose only feeds mail_debug, which prints nothing: it keeps the server's replies for error text */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, mail_debug);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_DEBUGDATA, m);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	if (rc != CURLE_OK) {
		*err = xasprintf("this libcurl cannot send mail as configured: %s",
				 m->errbuf[0] ? m->errbuf : curl_easy_strerror(rc));
		mail_redact(m, err);
		mail_sender_free(m);
		return NULL;
	}
	return m;
}

void mail_sender_free(struct mail_sender *m)
{
	if (m == NULL)
		return;
	if (m->curl)
		curl_easy_cleanup(m->curl);
	if (m->secret) {
		explicit_bzero(m->secret, strlen(m->secret));
		free(m->secret);
	}
	free(m->from);
	free(m->mail_from);
	free(m->endpoint);
	free(m);
}
