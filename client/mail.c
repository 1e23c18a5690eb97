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

#include "mailbox.h"
#include "text.h"
#include "xmalloc.h"

#define MAIL_TIMEOUT_DEFAULT 60
#define MAIL_CONNECT_TIMEOUT 10
#define MAIL_REPLY_MAX 512
#define MAIL_SECRET_MIN 4 /* shorter passwords are not hunted for in error text: they would match by chance */
/* CURLOPT_MAIL_RCPT_ALLOWFAILS (libcurl 7.69), by number: before 8.2 its name was spelt ALLLOWFAILS, after it that
 * spelling is deprecated, and either name breaks the build on the other side of 8.2 */
#define MAIL_CURLOPT_RCPT_ALLOWFAILS ((CURLoption)290)

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
	char *secret;    /* the password (given, in the URL or in ~/.netrc), kept to keep it out of errors; wiped when
			    freed */
	char *host;      /* the URL's host, without brackets: what ~/.netrc names */
	char *url_user;  /* the URL's user, or NULL */
	char *login;     /* the user to log in as: given, the URL's, or ~/.netrc's; NULL: no login */
	bool netrc;      /* secret came from ~/.netrc: libcurl is given it (it does not read the file itself) */
	char errbuf[CURL_ERROR_SIZE];
	char last_reply[MAIL_REPLY_MAX];  /* the server's last response line during this message */
	char error_reply[MAIL_REPLY_MAX]; /* its last 4xx or 5xx line, which says more than a later QUIT's 221 */
	char rcpt[MAILBOX_ADDR_MAX + 1];  /* the address of the RCPT TO awaiting its answer; "" when none */
	struct buf refused;               /* the recipients the server refused during this message, and why */
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

/* Notes the address of each RCPT TO command as it goes (libcurl shows commands as outgoing headers), so that
 * its answer can be told apart. */
static void mail_debug_command(struct mail_sender *m, const char *data, size_t size)
{
	m->rcpt[0] = '\0';
	if (size < 9 || strncasecmp(data, "RCPT TO:<", 9) != 0)
		return;
	const char *end = memchr(data + 9, '>', size - 9);
	size_t n = end ? (size_t)(end - data - 9) : 0;
	if (end && n < sizeof m->rcpt) {
		memcpy(m->rcpt, data + 9, n);
		m->rcpt[n] = '\0';
	}
}

/* The last line of an answer (its code then a space, not a hyphen): a refusal of the pending RCPT TO is kept. */
static void mail_debug_answer(struct mail_sender *m)
{
	const char *r = m->last_reply;
	if (strspn(r, "0123456789") != 3 || r[3] == '-')
		return;
	if (m->rcpt[0] && (r[0] == '4' || r[0] == '5'))
		buf_printf(&m->refused, "%s%s (SMTP %.3s: %s)", m->refused.len ? "; " : "", m->rcpt, r,
			   r[3] ? r + 4 : "");
	m->rcpt[0] = '\0';
}

/* Keeps the server's response lines (libcurl shows SMTP replies as incoming headers), made printable. */
static int mail_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *userp)
{
	struct mail_sender *m = userp;
	if (type == CURLINFO_HEADER_OUT)
		mail_debug_command(m, data, size);
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
			mail_debug_answer(m);
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
	if (rc == CURLE_USE_SSL_FAILED) {
		/* CURLUSESSL_ALL (mail_curl_options): the server offered no STARTTLS, nothing was sent */
		err = xasprintf(
			"the mail server at %s does not offer STARTTLS, and planreg sends a login and password "
			"only over TLS: nothing was sent. Use smtps://, a server that offers STARTTLS, or no login "
			"(no password in PLANREG_SMTP_PASSWORD, ~/.netrc or the URL)",
			m->endpoint);
	} else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
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

/* Every recipient's address checked, each as "<addr>" for RCPT TO; NULL with *err when one is not a mailbox. */
static struct curl_slist *mail_rcpts(const struct mail_message *msg, char **err)
{
	if (msg->n_to == 0 || msg->to == NULL) {
		*err = xstrdup("the message has no recipient");
		return NULL;
	}
	if (msg->n_to > MAIL_TO_MAX) {
		*err = xasprintf("the message has %zu recipients: at most %d", msg->n_to, MAIL_TO_MAX);
		return NULL;
	}
	struct curl_slist *rcpts = NULL;
	for (size_t i = 0; i < msg->n_to; i++) {
		struct mailbox mb;
		const char *why = mailbox_parse(msg->to[i], &mb);
		if (why) {
			*err = mail_addr_error("recipient", msg->to[i], why);
			curl_slist_free_all(rcpts);
			return NULL;
		}
		char rcpt[MAILBOX_ADDR_MAX + 3];
		snprintf(rcpt, sizeof rcpt, "<%s>", mb.addr);
		struct curl_slist *more = curl_slist_append(rcpts, rcpt);
		if (more == NULL)
			mail_die_oom();
		rcpts = more;
	}
	return rcpts;
}

/* The transfer itself, with this message's recipients and text. */
static CURLcode mail_perform(struct mail_sender *m, struct curl_slist *rcpts, struct mail_upload *up)
{
	m->errbuf[0] = '\0';
	m->last_reply[0] = '\0';
	m->error_reply[0] = '\0';
	m->rcpt[0] = '\0';
	buf_reset(&m->refused);
	CURLcode rc = curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, rcpts);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(m->curl, CURLOPT_READDATA, up);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(m->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->len);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(m->curl);
	/* nothing may point at this call's memory once it returns */
	curl_easy_setopt(m->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(m->curl, CURLOPT_READDATA, NULL);
	return rc;
}

bool mail_send(struct mail_sender *m, const struct mail_message *msg, char **refused, char **err)
{
	*err = NULL;
	*refused = NULL;
	struct curl_slist *rcpts = mail_rcpts(msg, err);
	if (rcpts == NULL)
		return false;
	struct buf text = {0};
	const char *why = mail_compose(&text, m->from, msg, time(NULL), NULL);
	if (why) {
		*err = xasprintf("cannot send to %s: %s", msg->to[0], why);
		buf_free(&text);
		curl_slist_free_all(rcpts);
		return false;
	}
	struct mail_upload up = {.data = text.data, .len = text.len, .pos = 0};
	CURLcode rc = mail_perform(m, rcpts, &up);
	if (rc != CURLE_OK && msg->n_to > 1 && m->refused.len)
		*err = xasprintf("every recipient was refused: %s", buf_str(&m->refused));
	else if (rc != CURLE_OK)
		*err = mail_send_error(m, rc);
	else if (m->refused.len)
		*refused = xstrdup(buf_str(&m->refused));
	if (*err)
		mail_redact(m, err);
	curl_slist_free_all(rcpts);
	buf_free(&text);
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
	char *host = NULL, *port = NULL, *password = NULL, *user = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (uc == CURLUE_OK && host[0] != '\0') {
		m->endpoint = xasprintf("%s:%s", host, port);
		size_t hl = strlen(host);
		m->host = host[0] == '[' && hl > 1 && host[hl - 1] == ']' ? xstrndup(host + 1, hl - 2) : xstrdup(host);
		if (curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE) == CURLUE_OK)
			m->secret = xstrdup(password);
		if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK && user[0] != '\0')
			m->url_user = xstrdup(user);
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
	curl_free(user);
	curl_url_cleanup(u);
	return m->endpoint != NULL;
}

/* Every option of the handle: what to send with, how long to wait, where libcurl's words go; the first failure. */
static CURLcode mail_curl_options(struct mail_sender *m, const struct mail_settings *s, bool tls)
{
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
	/* with a login or a password, from wherever, TLS is required (smtps://, or STARTTLS, which the server must
	 * offer): a password never crosses in clear. Without either, STARTTLS when offered. */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_USE_SSL,
				      (long)(tls || m->login || m->secret ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (rc == CURLE_OK && m->login && m->login != m->url_user)
		rc = curl_easy_setopt(c, CURLOPT_USERNAME, m->login);
	if (rc == CURLE_OK && (s->password || m->netrc))
		rc = curl_easy_setopt(c, CURLOPT_PASSWORD, m->secret);
	/* ~/.netrc is read by mail_login, before the choice above, never by libcurl during the transfer */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	if (rc == CURLE_OK && s->ca_file)
		rc = curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->mail_from);
	/* a recipient refused does not hold the message back from the others (mail_send says which) */
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, MAIL_CURLOPT_RCPT_ALLOWFAILS, 1L);
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
	return rc;
}

/* Who logs in, with what: the password given, else the URL's, else ~/.netrc's entry for the host (for the user
 * given or in the URL, when there is one); the user given, else the URL's, else the entry's. */
static void mail_login(struct mail_sender *m, const struct mail_settings *s)
{
	if (s->password) {
		free(m->secret);
		m->secret = xstrdup(s->password);
	}
	const char *user = s->user ? s->user : m->url_user;
	char *login = NULL, *password = NULL;
	if (m->secret == NULL && mail_netrc_find(m->host, user, &login, &password)) {
		m->secret = password;
		m->netrc = true;
	}
	if (user)
		m->login = user == m->url_user ? m->url_user : xstrdup(user);
	else if (login)
		m->login = xstrdup(login);
	free(login);
}

struct mail_sender *mail_sender_new(const struct mail_settings *s, char **err)
{
	*err = NULL;
	struct mailbox from;
	const char *why = s->from ? mailbox_parse(s->from, &from) : "it is empty";
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
	mail_login(m, s);
	m->from = xstrdup(s->from);
	m->mail_from = xasprintf("<%s>", from.addr);
	m->curl = curl_easy_init();
	if (m->curl == NULL) {
		*err = xstrdup("cannot start libcurl (curl_easy_init failed)");
		mail_sender_free(m);
		return NULL;
	}

	CURLcode rc = mail_curl_options(m, s, tls);
	if (rc != CURLE_OK) {
		*err = xasprintf("this libcurl cannot send mail as configured: %s",
				 m->errbuf[0] ? m->errbuf : curl_easy_strerror(rc));
		mail_redact(m, err);
		mail_sender_free(m);
		return NULL;
	}
	return m;
}

struct mail_sender *mail_sender_for(const char *url, const char *user, const char *from, char **err)
{
	struct mail_settings ms = {.url = url, .user = user, .password = getenv("PLANREG_SMTP_PASSWORD"), .from = from};
	return mail_sender_new(&ms, err);
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
	free(m->host);
	if (m->login != m->url_user)
		free(m->login);
	free(m->url_user);
	buf_free(&m->refused);
	free(m);
}
