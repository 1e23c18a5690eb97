/* test_mail.c - unit tests for mail.c: the message's headers (several recipients, display names, Reply-To),
 * encoded-word subjects and names, CRLF and long-line breaking,
 * refusal of header injection and bad settings, connection errors, and a live delivery through
 * tests/integration/smtp_sink.py (run with /usr/bin/python3; it needs python3-aiosmtpd, and the test fails without). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "file.h"
#include "mail.h"
#include "text.h"
#include "xmalloc.h"

#define TEST_MAIL_FROM "planreg@example.org"
#define TEST_MAIL_TO "lead@example.org"
#define TEST_MAIL_NOW ((time_t)1767225600) /* 2026-01-01 00:00:00 UTC, a Thursday */
#define TEST_MAIL_ID "<0123abcd@example.org>"
#define TEST_MAIL_UTF8_SUBJECT                                                                                         \
	"R\xc3\xa9seau \xc2\xa3"                                                                                       \
	"5 \xe2\x80\x94 2026-Q3" /* Réseau £5 — 2026-Q3 */
#define TEST_MAIL_SINK PLANREG_SOURCE_DIR "/tests/integration/smtp_sink.py"
#define TEST_MAIL_PYTHON "/usr/bin/python3"

extern char **environ;

/* ---------------------------------------------------------------- helpers */

/* The message split at its blank line; both parts point into msg. */
struct test_mail_parts {
	char *headers; /* up to and including the last header's CRLF */
	size_t headers_len;
	const char *body;
};

static struct test_mail_parts test_mail_split(const struct buf *msg)
{
	const char *sep = strstr(buf_str(msg), "\r\n\r\n");
	assert_non_null(sep);
	struct test_mail_parts p;
	p.headers = xstrndup(msg->data, (size_t)(sep - msg->data) + 2);
	p.headers_len = strlen(p.headers);
	p.body = sep + 4;
	return p;
}

/* Every CR is followed by LF and every LF preceded by CR. */
static void test_mail_assert_crlf(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r')
			assert_true(i + 1 < len && s[i + 1] == '\n');
		if (s[i] == '\n')
			assert_true(i > 0 && s[i - 1] == '\r');
	}
	assert_true(len >= 2 && s[len - 2] == '\r' && s[len - 1] == '\n');
}

/* Every physical header line is at most 78 characters. */
static void test_mail_assert_short_lines(const char *headers)
{
	for (const char *p = headers; *p;) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		if ((size_t)(eol - p) > 78)
			fail_msg("header line of %zu characters: %.*s", (size_t)(eol - p), (int)(eol - p), p);
		p = eol + 2;
	}
}

/* The value of header name (unfolded: CRLF before white space removed), malloc'd; NULL when absent. */
static char *test_mail_header(const char *headers, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = headers; *p;) {
		const char *eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			struct buf v = {0};
			const char *q = p + n + 1;
			while (*q == ' ')
				q++;
			for (;;) {
				eol = strstr(q, "\r\n");
				buf_append(&v, q, (size_t)(eol - q));
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				q = eol + 2;
			}
			return buf_take(&v);
		}
		p = eol + 2;
	}
	return NULL;
}

static int test_mail_b64_digit(char c)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *d = strchr(digits, c);
	return c && d ? (int)(d - digits) : -1;
}

/* Decodes base64 s[0..n) onto out; false when malformed. */
static bool test_mail_b64_decode(struct buf *out, const char *s, size_t n)
{
	if (n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		int a = test_mail_b64_digit(s[i]), b = test_mail_b64_digit(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : test_mail_b64_digit(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : test_mail_b64_digit(s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return false;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		buf_putc(out, (char)(v >> 16));
		if (s[i + 2] != '=')
			buf_putc(out, (char)(v >> 8 & 0xff));
		if (s[i + 3] != '=')
			buf_putc(out, (char)(v & 0xff));
	}
	return true;
}

/* Decodes an unfolded Subject made only of =?UTF-8?B?...?= words separated by white space; each word must hold
 * whole UTF-8 characters and be at most 75 characters (RFC 2047). */
static char *test_mail_decode_words(const char *value)
{
	struct buf out = {0};
	const char *p = value;
	while (*p) {
		assert_memory_equal(p, "=?UTF-8?B?", 10);
		const char *end = strstr(p + 10, "?=");
		assert_non_null(end);
		assert_true(end + 2 - p <= 75);
		struct buf word = {0};
		assert_true(test_mail_b64_decode(&word, p + 10, (size_t)(end - p - 10)));
		assert_true(text_utf8_valid(buf_str(&word), word.len, NULL));
		buf_append(&out, word.data, word.len);
		buf_free(&word);
		p = end + 2;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	return buf_take(&out);
}

/* One message to one recipient, as most tests send: mail_format and mail_send with a message of one. */
static bool test_mail_format1(struct buf *out, const char *from, const char *to, const char *subject, const char *body,
			      time_t now, const char *id)
{
	const char *const one[1] = {to};
	struct mail_message msg = {.to = one, .n_to = 1, .subject = subject, .body = body};
	return mail_format(out, from, &msg, now, id);
}

static bool test_mail_send1(struct mail_sender *m, const char *to, const char *subject, const char *body, char **err)
{
	const char *const one[1] = {to};
	struct mail_message msg = {.to = one, .n_to = 1, .subject = subject, .body = body};
	char *refused = NULL;
	bool ok = mail_send(m, &msg, &refused, err);
	assert_null(refused);
	return ok;
}

static void test_mail_format_ok(struct buf *out, const char *subject, const char *body)
{
	assert_true(test_mail_format1(out, TEST_MAIL_FROM, TEST_MAIL_TO, subject, body, TEST_MAIL_NOW, TEST_MAIL_ID));
	test_mail_assert_crlf(out->data, out->len);
}

/* ---------------------------------------------------------------- formatting */

/* Every header, in order, each with its exact value; the body after a blank line. */
static void test_mail_headers_in_order(void **state)
{
	(void)state;
	struct buf msg = {0};
	test_mail_format_ok(&msg, "Reminder: the 2026-Q3 return is due", "Hello.\n");
	const char *want = "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
			   "Message-ID: " TEST_MAIL_ID "\r\n"
			   "From: " TEST_MAIL_FROM "\r\n"
			   "To: " TEST_MAIL_TO "\r\n"
			   "Subject: Reminder: the 2026-Q3 return is due\r\n"
			   "MIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: 8bit\r\n"
			   "Auto-Submitted: auto-generated\r\n"
			   "\r\n"
			   "Hello.\r\n";
	assert_string_equal(buf_str(&msg), want);
	buf_free(&msg);
}

/* The Date is local time with its offset; a Message-ID made up is random hex at the sender's host. */
static void test_mail_date_and_id(void **state)
{
	(void)state;
	setenv("TZ", "XXX-1", 1); /* one hour east of UTC, no summer time */
	tzset();
	struct buf msg = {0};
	assert_true(test_mail_format1(&msg, TEST_MAIL_FROM, TEST_MAIL_TO, "x", "y", TEST_MAIL_NOW, NULL));
	setenv("TZ", "UTC0", 1);
	tzset();
	struct test_mail_parts p = test_mail_split(&msg);
	char *date = test_mail_header(p.headers, "Date");
	assert_string_equal(date, "Thu, 01 Jan 2026 01:00:00 +0100");
	char *id = test_mail_header(p.headers, "Message-ID");
	assert_int_equal(strlen(id), 1 + 32 + strlen("@example.org>"));
	assert_int_equal(id[0], '<');
	assert_int_equal(strspn(id + 1, "0123456789abcdef"), 32);
	assert_string_equal(id + 33, "@example.org>");

	/* two messages, two identifiers */
	struct buf again = {0};
	assert_true(test_mail_format1(&again, TEST_MAIL_FROM, TEST_MAIL_TO, "x", "y", TEST_MAIL_NOW, NULL));
	struct test_mail_parts q = test_mail_split(&again);
	char *id2 = test_mail_header(q.headers, "Message-ID");
	assert_string_not_equal(id, id2);

	/* an identifier given without brackets gets them */
	struct buf given = {0};
	assert_true(
		test_mail_format1(&given, TEST_MAIL_FROM, TEST_MAIL_TO, "x", "y", TEST_MAIL_NOW, "abc@example.org"));
	assert_non_null(strstr(buf_str(&given), "\r\nMessage-ID: <abc@example.org>\r\n"));

	free(date);
	free(id);
	free(id2);
	free(p.headers);
	free(q.headers);
	buf_free(&msg);
	buf_free(&again);
	buf_free(&given);
}

/* A UTF-8 subject becomes encoded-words that decode back to it. */
static void test_mail_subject_utf8(void **state)
{
	(void)state;
	struct buf msg = {0};
	test_mail_format_ok(&msg, TEST_MAIL_UTF8_SUBJECT, "x");
	struct test_mail_parts p = test_mail_split(&msg);
	test_mail_assert_short_lines(p.headers);
	char *subject = test_mail_header(p.headers, "Subject");
	assert_non_null(strstr(subject, "=?UTF-8?B?"));
	for (const char *c = p.headers; *c; c++)
		assert_true((unsigned char)*c < 0x80); /* the header block is ASCII */
	char *decoded = test_mail_decode_words(subject);
	assert_string_equal(decoded, TEST_MAIL_UTF8_SUBJECT);
	free(decoded);
	free(subject);
	free(p.headers);
	buf_free(&msg);
}

/* A long UTF-8 subject takes several words on several lines, each at most 78 characters, none splitting a
 * character; a long ASCII subject folds at its spaces and unfolds to itself. */
static void test_mail_subject_long(void **state)
{
	(void)state;
	struct buf subject = {0};
	for (int i = 0; i < 12; i++)
		buf_puts(&subject, TEST_MAIL_UTF8_SUBJECT " \xe2\x82\xac");
	struct buf msg = {0};
	test_mail_format_ok(&msg, buf_str(&subject), "x");
	struct test_mail_parts p = test_mail_split(&msg);
	test_mail_assert_short_lines(p.headers);
	char *value = test_mail_header(p.headers, "Subject");
	char *decoded = test_mail_decode_words(value);
	assert_string_equal(decoded, buf_str(&subject));
	free(decoded);
	free(value);
	free(p.headers);
	buf_free(&msg);
	buf_reset(&subject);

	for (int i = 0; i < 20; i++)
		buf_printf(&subject, "%sreminder%d", i ? "  " : "", i);
	test_mail_format_ok(&msg, buf_str(&subject), "x");
	p = test_mail_split(&msg);
	test_mail_assert_short_lines(p.headers);
	assert_null(strstr(p.headers, "=?"));
	value = test_mail_header(p.headers, "Subject");
	assert_string_equal(value, buf_str(&subject));
	free(value);
	free(p.headers);
	buf_free(&msg);

	/* printable ASCII that cannot fold (one long word) or that looks like an encoded-word is encoded */
	const char *awkward[] = {"=?UTF-8?B?QQ==?= is not a word here",
				 "0123456789012345678901234567890123456789012345678901234567890123456789012345"};
	for (size_t i = 0; i < sizeof awkward / sizeof awkward[0]; i++) {
		test_mail_format_ok(&msg, awkward[i], "x");
		p = test_mail_split(&msg);
		test_mail_assert_short_lines(p.headers);
		value = test_mail_header(p.headers, "Subject");
		decoded = test_mail_decode_words(value);
		assert_string_equal(decoded, awkward[i]);
		free(decoded);
		free(value);
		free(p.headers);
		buf_free(&msg);
	}
	buf_free(&subject);
}

/* The body keeps its bytes; every line ending becomes CRLF and the last line is ended. */
static void test_mail_body_bytes(void **state)
{
	(void)state;
	struct buf msg = {0};
	test_mail_format_ok(&msg, "x",
			    "\xc2\xa3"
			    "5 caf\xc3\xa9\nLF\rCR\r\nCRLF\n\n.dot\nno end");
	struct test_mail_parts p = test_mail_split(&msg);
	assert_string_equal(p.body, "\xc2\xa3"
				    "5 caf\xc3\xa9\r\nLF\r\nCR\r\nCRLF\r\n\r\n.dot\r\nno end\r\n");
	free(p.headers);
	buf_free(&msg);

	/* an empty body is an empty body */
	test_mail_format_ok(&msg, "x", "");
	p = test_mail_split(&msg);
	assert_string_equal(p.body, "");
	free(p.headers);
	buf_free(&msg);
}

/* The lines of body (each ended by CRLF): each at most 998 octets and whole UTF-8; joined, they are want. */
static void test_mail_assert_broken(const char *body, const char *want)
{
	struct buf joined = {0};
	int lines = 0;
	for (const char *p = body; *p;) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		size_t n = (size_t)(eol - p);
		assert_true(n <= 998);
		assert_true(text_utf8_valid(p, n, NULL));
		buf_append(&joined, p, n);
		p = eol + 2;
		lines++;
	}
	assert_true(lines >= 4);
	assert_string_equal(buf_str(&joined), want);
	buf_free(&joined);
}

/* A line of 3000 octets is broken at 998 or less, never inside a character. */
static void test_mail_long_line(void **state)
{
	(void)state;
	/* "——a" is 7 octets: the 998th octet falls inside an em dash */
	struct buf line = {0};
	while (line.len + 7 <= 3000)
		buf_puts(&line, "\xe2\x80\x94\xe2\x80\x94"
				"a");
	buf_puts(&line, "\xc3\xa9\xc2\xa3");
	assert_int_equal(line.len, 3000);
	struct buf msg = {0};
	test_mail_format_ok(&msg, "x", buf_str(&line));
	struct test_mail_parts p = test_mail_split(&msg);
	test_mail_assert_broken(p.body, buf_str(&line));
	free(p.headers);
	buf_free(&msg);

	/* with spaces, the breaks come before a space, which stays */
	buf_reset(&line);
	while (line.len < 3000)
		buf_puts(&line, "r\xc3\xa9seau \xc2\xa3"
				"5 ");
	test_mail_format_ok(&msg, "x", buf_str(&line));
	p = test_mail_split(&msg);
	test_mail_assert_broken(p.body, buf_str(&line));
	for (const char *c = strstr(p.body, "\r\n"); c && c[2]; c = strstr(c + 2, "\r\n"))
		assert_int_equal(c[2], ' ');
	free(p.headers);
	buf_free(&msg);
	buf_free(&line);
}

/* Several recipients in one To:, names as people write them (plain, quoted, not ASCII), and a Reply-To: every
 * header line at most 78 characters and ASCII, unfolding to the mailboxes in order. */
static void test_mail_several_recipients(void **state)
{
	(void)state;
	const char *const to[] = {"Ann Williams <ann@lcc.example>", "digital@lcc.example",
				  "\"Williams, Ann\" <aw@lcc.example>", "J. Smith <js@lcc.example>",
				  "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m <zoe@lcc.example>"};
	struct mail_message m = {
		.to = to, .n_to = 5, .reply_to = "Lorna Rogers <lorna@lcr.example>", .subject = "s", .body = "b"};
	struct buf msg = {0};
	assert_true(mail_format(&msg, "planreg <" TEST_MAIL_FROM ">", &m, TEST_MAIL_NOW, TEST_MAIL_ID));
	struct test_mail_parts p = test_mail_split(&msg);
	test_mail_assert_short_lines(p.headers);
	for (const char *c = p.headers; *c; c++)
		assert_true((unsigned char)*c < 0x80);
	char *from = test_mail_header(p.headers, "From");
	assert_string_equal(from, "planreg <" TEST_MAIL_FROM ">");
	char *reply = test_mail_header(p.headers, "Reply-To");
	assert_string_equal(reply, "Lorna Rogers <lorna@lcr.example>");
	char *value = test_mail_header(p.headers, "To");
	const char *want = "Ann Williams <ann@lcc.example>, digital@lcc.example, \"Williams, Ann\" <aw@lcc.example>, "
			   "\"J. Smith\" <js@lcc.example>, =?UTF-8?B?";
	assert_memory_equal(value, want, strlen(want));
	const char *word = strstr(value, "=?UTF-8?B?");
	char *end = strstr(word, "?=");
	assert_string_equal(end, "?= <zoe@lcc.example>");
	end[2] = '\0';
	char *name = test_mail_decode_words(word);
	assert_string_equal(name, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m");
	free(name);
	free(value);
	free(reply);
	free(from);
	free(p.headers);
	buf_free(&msg);

	/* ten contacts with long names fold; a bad Reply-To is refused like any address */
	const char *const many[] = {"Alexandra Montgomery-Fitzwilliam <alexandra.montgomery@lcc.example>",
				    "b@lcc.example",
				    "c@lcc.example",
				    "d@lcc.example",
				    "e@lcc.example",
				    "f@lcc.example",
				    "g@lcc.example",
				    "h@lcc.example",
				    "i@lcc.example",
				    "j@lcc.example"};
	m = (struct mail_message){.to = many, .n_to = 10, .subject = "s", .body = "b"};
	assert_true(mail_format(&msg, TEST_MAIL_FROM, &m, TEST_MAIL_NOW, TEST_MAIL_ID));
	p = test_mail_split(&msg);
	test_mail_assert_short_lines(p.headers);
	value = test_mail_header(p.headers, "To");
	assert_non_null(strstr(value, "<alexandra.montgomery@lcc.example>, b@lcc.example, c@lcc.example"));
	assert_non_null(strstr(value, "i@lcc.example, j@lcc.example"));
	free(value);
	free(p.headers);
	buf_free(&msg);
	m.reply_to = "lorna@lcr.example\r\nBcc: v@example.org";
	assert_false(mail_format(&msg, TEST_MAIL_FROM, &m, TEST_MAIL_NOW, TEST_MAIL_ID));
	m.reply_to = NULL;
	m.n_to = 0;
	assert_false(mail_format(&msg, TEST_MAIL_FROM, &m, TEST_MAIL_NOW, TEST_MAIL_ID));
	assert_int_equal(msg.len, 0);
}

/* CR or LF in a header value, or an address that is no addr-spec, and nothing is written. */
static void test_mail_refuses_injection(void **state)
{
	(void)state;
	struct buf msg = {0};
	const char *subjects[] = {"x\r\nBcc: victim@example.org", "x\nBcc: v@example.org", "x\r"};
	for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++)
		assert_false(
			test_mail_format1(&msg, TEST_MAIL_FROM, TEST_MAIL_TO, subjects[i], "b", TEST_MAIL_NOW, NULL));
	const char *addrs[] = {"a@example.org\r\nBcc: v@example.org",
			       "a@example.org\n",
			       "\ra@example.org",
			       "no-at-sign",
			       "two@at@example.org",
			       "has space@example.org",
			       "<a@example.org",
			       "Ann <a@example.org> <b@example.org>",
			       "Ann\r\nBcc: v@example.org <a@example.org>",
			       "\"Ann\r\nBcc: v@example.org\" <a@example.org>",
			       "@example.org",
			       "a@",
			       ""};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		assert_false(test_mail_format1(&msg, addrs[i], TEST_MAIL_TO, "s", "b", TEST_MAIL_NOW, NULL));
		assert_false(test_mail_format1(&msg, TEST_MAIL_FROM, addrs[i], "s", "b", TEST_MAIL_NOW, NULL));
	}
	struct buf long_addr = {0};
	buf_puts(&long_addr, "a@");
	while (long_addr.len < 255)
		buf_puts(&long_addr, "b");
	assert_false(test_mail_format1(&msg, TEST_MAIL_FROM, buf_str(&long_addr), "s", "b", TEST_MAIL_NOW, NULL));
	assert_false(test_mail_format1(&msg, TEST_MAIL_FROM, TEST_MAIL_TO, "s", "b", TEST_MAIL_NOW, "<a@b>\r\nBcc: x"));
	assert_false(test_mail_format1(&msg, TEST_MAIL_FROM, TEST_MAIL_TO, "bad \xff", "b", TEST_MAIL_NOW, NULL));
	assert_false(test_mail_format1(&msg, TEST_MAIL_FROM, TEST_MAIL_TO, "s", "bad \xc3", TEST_MAIL_NOW, NULL));
	assert_int_equal(msg.len, 0);
	buf_free(&long_addr);
	buf_free(&msg);
}

/* ---------------------------------------------------------------- the sender */

static void test_mail_sender_refuses(void **state)
{
	(void)state;
	char *err = NULL;
	struct mail_settings s = {.url = "http://x", .from = TEST_MAIL_FROM};
	assert_null(mail_sender_new(&s, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "smtp://"));
	free(err);

	s.url = "smtp://127.0.0.1:25";
	s.from = NULL;
	err = NULL;
	assert_null(mail_sender_new(&s, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "sender"));
	free(err);

	s.from = "not an address";
	err = NULL;
	assert_null(mail_sender_new(&s, &err));
	assert_non_null(strstr(err, "sender"));
	free(err);

	s.url = NULL;
	s.from = TEST_MAIL_FROM;
	err = NULL;
	assert_null(mail_sender_new(&s, &err));
	free(err);

	/* the password in a URL never comes back in an error */
	s.url = "smtp://user:hunter22@";
	err = NULL;
	assert_null(mail_sender_new(&s, &err));
	assert_non_null(err);
	assert_null(strstr(err, "hunter22"));
	free(err);

	/* sound settings: nothing is contacted yet */
	s.url = "SMTPS://mail.example.org";
	err = NULL;
	struct mail_sender *m = mail_sender_new(&s, &err);
	assert_non_null(m);
	assert_null(err);
	mail_sender_free(m);
	mail_sender_free(NULL);
}

/* A socket on 127.0.0.1 listening (backlog) or not (closed again), and its port. */
static int test_mail_socket(bool listening, int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	if (listening) {
		assert_int_equal(listen(fd, 4), 0);
		return fd;
	}
	close(fd);
	return -1;
}

static struct mail_sender *test_mail_sender(int port, long timeout_s)
{
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	struct mail_settings s = {.url = url, .from = TEST_MAIL_FROM, .timeout_s = timeout_s};
	char *err = NULL;
	struct mail_sender *m = mail_sender_new(&s, &err);
	if (m == NULL)
		fail_msg("mail_sender_new: %s", err);
	return m;
}

/* A bad recipient is refused before anything connects: the listening socket sees no connection. */
static void test_mail_send_bad_address(void **state)
{
	(void)state;
	int port;
	int fd = test_mail_socket(true, &port);
	struct mail_sender *m = test_mail_sender(port, 5);
	const char *bad[] = {"no-at-sign", "a@b\r\nRCPT TO:<v@example.org>", "x <a@example>",
			     "a@example.org, b@example.org", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *err = NULL;
		assert_false(test_mail_send1(m, bad[i], "s", "b", &err));
		assert_non_null(err);
		assert_non_null(strstr(err, "recipient"));
		assert_null(strchr(err, '\r'));
		assert_null(strchr(err, '\n'));
		free(err);
	}
	char *err = NULL;
	assert_false(test_mail_send1(m, TEST_MAIL_TO, "s\r\nBcc: v@example.org", "b", &err));
	assert_non_null(strstr(err, "subject"));
	free(err);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 100), 0);
	mail_sender_free(m);
	close(fd);
}

/* Nothing listens: the error names the connection and the reason. */
static void test_mail_send_refused(void **state)
{
	(void)state;
	int port;
	test_mail_socket(false, &port);
	struct mail_sender *m = test_mail_sender(port, 5);
	char *err = NULL;
	assert_false(test_mail_send1(m, TEST_MAIL_TO, "s", "b", &err));
	assert_non_null(err);
	char want[64];
	snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: ", port);
	if (strstr(err, want) == NULL || strstr(err, "refused") == NULL)
		fail_msg("unexpected error: %s", err);
	free(err);
	mail_sender_free(m);
}

/* ---------------------------------------------------------------- live, through smtp_sink.py */

struct test_mail_sink {
	pid_t pid;
	int port;
	char dir[64];
};

/* Starts smtp_sink.py with extra arguments (NULL-terminated) and waits until it answers on its port. */
static void test_mail_sink_start(struct test_mail_sink *k, const char *const *extra)
{
	strcpy(k->dir, "/tmp/planreg-test-mail-XXXXXX");
	assert_non_null(mkdtemp(k->dir));
	test_mail_socket(false, &k->port);
	char port[16];
	snprintf(port, sizeof port, "%d", k->port);
	const char *argv[16] = {TEST_MAIL_PYTHON, TEST_MAIL_SINK, "--port", port, "--dir", k->dir};
	size_t n = 6;
	for (size_t i = 0; extra && extra[i] && n + 1 < sizeof argv / sizeof argv[0]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&k->pid, TEST_MAIL_PYTHON, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fail_msg("cannot run %s: %s (the live mail test needs Debian's python3 and python3-aiosmtpd)",
			 TEST_MAIL_PYTHON, strerror(rc));
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int status;
		if (waitpid(k->pid, &status, WNOHANG) == k->pid) {
			k->pid = 0;
			fail_msg("the SMTP sink %s exited (%s %d) before it listened: install python3-aiosmtpd "
				 "(apt-get install python3-aiosmtpd); its error is above",
				 TEST_MAIL_SINK, WIFEXITED(status) ? "status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		}
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					.sin_port = htons((uint16_t)k->port)};
		bool up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (up)
			return;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 20)
			fail_msg("the SMTP sink %s did not listen on port %d within 20 s", TEST_MAIL_SINK, k->port);
		usleep(50 * 1000);
	}
}

static int test_mail_sink_teardown(void **state)
{
	struct test_mail_sink *k = *state;
	if (k->pid > 0) {
		kill(k->pid, SIGTERM);
		waitpid(k->pid, NULL, 0);
	}
	if (k->dir[0]) {
		DIR *d = opendir(k->dir);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char path[sizeof k->dir + 300];
			snprintf(path, sizeof path, "%s/%s", k->dir, e->d_name);
			unlink(path);
		}
		if (d)
			closedir(d);
		rmdir(k->dir);
	}
	free(k);
	return 0;
}

static int test_mail_sink_setup(void **state)
{
	*state = xcalloc(1, sizeof(struct test_mail_sink));
	return 0;
}

/* The content of DIR/NNNN.eml once the sink has written it (it renames a finished file into place). */
static char *test_mail_sink_read(const struct test_mail_sink *k, int n, size_t *len)
{
	char path[sizeof k->dir + 16];
	snprintf(path, sizeof path, "%s/%04d.eml", k->dir, n);
	char *err = NULL;
	for (int i = 0; i < 200; i++) {
		free(err);
		err = NULL;
		char *text = file_read(path, (size_t)64 << 20, len, &err);
		if (text != NULL)
			return text;
		usleep(50 * 1000);
	}
	fail_msg("no %s after 10 s: %s", path, err);
	return NULL;
}

/* Two messages through one sender, with a refused recipient between them: both arrive byte for byte. */
static void test_mail_live_delivery(void **state)
{
	struct test_mail_sink *k = *state;
	const char *const extra[] = {"--reject-rcpt", "nobody@example.org", NULL};
	test_mail_sink_start(k, extra);
	struct mail_sender *m = test_mail_sender(k->port, 20);

	const char *body = "Bonjour,\n\nthe 2026-Q3 return (\xc2\xa3"
			   "5 caf\xc3\xa9) is due.\n.a leading dot\n";
	const char *body_crlf = "Bonjour,\r\n\r\nthe 2026-Q3 return (\xc2\xa3"
				"5 caf\xc3\xa9) is due.\r\n.a leading dot\r\n";
	char *err = NULL;
	if (!test_mail_send1(m, TEST_MAIL_TO, TEST_MAIL_UTF8_SUBJECT, body, &err))
		fail_msg("mail_send: %s", err);
	if (test_mail_send1(m, "nobody@example.org", "refused", body, &err))
		fail_msg("a refused recipient counted as sent");
	if (strstr(err, "SMTP 550: ") == NULL || strstr(err, "mailbox unavailable") == NULL)
		fail_msg("unexpected error: %s", err);
	free(err);
	err = NULL;
	if (!test_mail_send1(m, "second@example.org", "plain", "two\n", &err))
		fail_msg("mail_send after a refusal: %s", err);
	mail_sender_free(m);

	size_t len;
	char *got = test_mail_sink_read(k, 1, &len);
	assert_int_equal(strlen(got), len);
	struct buf msg = {.data = got, .len = len, .cap = len + 1};
	test_mail_assert_crlf(got, len);
	struct test_mail_parts p = test_mail_split(&msg);
	assert_string_equal(p.body, body_crlf);
	test_mail_assert_short_lines(p.headers);
	char *to = test_mail_header(p.headers, "To");
	assert_string_equal(to, TEST_MAIL_TO);
	char *subject = test_mail_header(p.headers, "Subject");
	char *decoded = test_mail_decode_words(subject);
	assert_string_equal(decoded, TEST_MAIL_UTF8_SUBJECT);
	assert_memory_equal(got, "Date: ", 6);
	free(to);
	free(subject);
	free(decoded);
	free(p.headers);
	free(got);

	got = test_mail_sink_read(k, 2, &len);
	msg = (struct buf){.data = got, .len = len, .cap = len + 1};
	p = test_mail_split(&msg);
	assert_string_equal(p.body, "two\r\n");
	to = test_mail_header(p.headers, "To");
	assert_string_equal(to, "second@example.org");
	free(to);
	free(p.headers);
	free(got);

	char path[sizeof k->dir + 16];
	snprintf(path, sizeof path, "%s/0003.eml", k->dir);
	assert_int_equal(access(path, F_OK), -1);
}

/* One message to three: the server refuses one address, the other two get it, and the refusal names it; when it
 * refuses every one, nothing counts as sent and each is named. */
static void test_mail_live_several(void **state)
{
	struct test_mail_sink *k = *state;
	const char *const extra[] = {"--reject-rcpt", "nobody@example.org", "--reject-rcpt", "gone@example.org", NULL};
	test_mail_sink_start(k, extra);
	struct mail_sender *m = test_mail_sender(k->port, 20);
	const char *const to[] = {"Ann Williams <ann@example.org>", "nobody@example.org", "digital@example.org"};
	struct mail_message msg = {
		.to = to, .n_to = 3, .reply_to = "Lorna Rogers <lorna@example.org>", .subject = "s", .body = "b\n"};
	char *refused = NULL, *err = NULL;
	if (!mail_send(m, &msg, &refused, &err))
		fail_msg("mail_send: %s", err);
	assert_non_null(refused);
	if (strstr(refused, "nobody@example.org (SMTP 550: ") == NULL || strstr(refused, "ann@") ||
	    strstr(refused, "digital@"))
		fail_msg("unexpected refusal: %s", refused);
	free(refused);
	size_t len;
	char *got = test_mail_sink_read(k, 1, &len);
	struct buf b = {.data = got, .len = len, .cap = len + 1};
	struct test_mail_parts p = test_mail_split(&b);
	char *value = test_mail_header(p.headers, "To");
	assert_string_equal(value, "Ann Williams <ann@example.org>, nobody@example.org, digital@example.org");
	free(value);
	value = test_mail_header(p.headers, "Reply-To");
	assert_string_equal(value, "Lorna Rogers <lorna@example.org>");
	free(value);
	free(p.headers);
	free(got);

	const char *const none[] = {"nobody@example.org", "gone@example.org"};
	msg = (struct mail_message){.to = none, .n_to = 2, .subject = "s", .body = "b"};
	refused = NULL;
	if (mail_send(m, &msg, &refused, &err))
		fail_msg("a message every recipient refused counted as sent");
	if (strstr(err, "every recipient was refused") == NULL || strstr(err, "nobody@example.org") == NULL ||
	    strstr(err, "gone@example.org") == NULL)
		fail_msg("unexpected error: %s", err);
	assert_null(refused);
	free(err);
	mail_sender_free(m);
}

/* A server that fails DATA: the error carries its reply. */
static void test_mail_live_temporary_failure(void **state)
{
	struct test_mail_sink *k = *state;
	const char *const extra[] = {"--fail-all", NULL};
	test_mail_sink_start(k, extra);
	struct mail_sender *m = test_mail_sender(k->port, 20);
	char *err = NULL;
	if (test_mail_send1(m, TEST_MAIL_TO, "s", "b", &err))
		fail_msg("a 451 counted as sent");
	if (strstr(err, "SMTP 451: ") == NULL)
		fail_msg("unexpected error: %s", err);
	free(err);
	mail_sender_free(m);
}

/* ~/.netrc as ftp(1) and libcurl read it: the first machine entry for the host with a password (and the login
 * asked for, when one is), else default; quoted words; macdef bodies skipped. */
static void test_mail_netrc(void **state)
{
	(void)state;
	static const char text[] = "machine other.example login x password y\n"
				   "machine Mail.Example login first\n"
				   "macdef init\nmachine mail.example login macro password inside\n\n"
				   "machine mail.example login ops password \"two words \\\" and\"\n"
				   "machine mail.example login second password p2\n"
				   "default login anyone password anything\n"
				   "machine late.example login late password never\n";
	char *login, *password;
	assert_true(mail_netrc_lookup(text, "mail.example", NULL, &login, &password));
	assert_string_equal(login, "ops"); /* "first" has no password */
	assert_string_equal(password, "two words \" and");
	free(login), free(password);
	assert_true(mail_netrc_lookup(text, "MAIL.example", "second", &login, &password));
	assert_string_equal(password, "p2");
	free(login), free(password);
	assert_true(mail_netrc_lookup(text, "elsewhere.example", NULL, &login, &password));
	assert_string_equal(login, "anyone");
	free(login), free(password);
	assert_false(mail_netrc_lookup(text, "late.example", "late", &login, &password)); /* after default */
	assert_false(mail_netrc_lookup(text, "mail.example", "macro", &login, &password));
	assert_null(password);
	assert_false(mail_netrc_lookup("machine a password", "a", NULL, &login, &password));
	assert_true(mail_netrc_lookup("machine a password \"\"", "a", NULL, &login, &password));
	assert_null(login);
	assert_string_equal(password, "");
	free(password);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as main.c does */
	setenv("TZ", "UTC0", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_netrc),
		cmocka_unit_test(test_mail_headers_in_order),
		cmocka_unit_test(test_mail_date_and_id),
		cmocka_unit_test(test_mail_subject_utf8),
		cmocka_unit_test(test_mail_subject_long),
		cmocka_unit_test(test_mail_body_bytes),
		cmocka_unit_test(test_mail_long_line),
		cmocka_unit_test(test_mail_several_recipients),
		cmocka_unit_test(test_mail_refuses_injection),
		cmocka_unit_test(test_mail_sender_refuses),
		cmocka_unit_test(test_mail_send_bad_address),
		cmocka_unit_test(test_mail_send_refused),
		cmocka_unit_test_setup_teardown(test_mail_live_delivery, test_mail_sink_setup, test_mail_sink_teardown),
		cmocka_unit_test_setup_teardown(test_mail_live_several, test_mail_sink_setup, test_mail_sink_teardown),
		cmocka_unit_test_setup_teardown(test_mail_live_temporary_failure, test_mail_sink_setup,
						test_mail_sink_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
