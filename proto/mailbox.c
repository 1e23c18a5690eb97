/* mailbox.c - e-mail contacts as people write them, read strictly and written back in one form (mailbox.h). */
#include "mailbox.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

#define MAILBOX_INPUT_MAX 1000 /* longer than any mailbox written back: not worth reading further */
#define MAILBOX_LABEL_MAX 63   /* RFC 1035 2.3.4 */
#define MAILBOX_QUOTE_SHOWN 120

/* atext (RFC 5322 3.2.3): what a dot-atom is made of. */
static bool mailbox_is_atext(char c)
{
	return text_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* The part before the @: a dot-atom of ASCII atext. */
static const char *mailbox_local_problem(const char *s, size_t n)
{
	if (n == 0)
		return "it has nothing before the @";
	if (n > MAILBOX_LOCAL_MAX)
		return "the part before the @ is longer than 64 characters";
	if (s[0] == '.' || s[n - 1] == '.')
		return "the part before the @ starts or ends with a dot";
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return "the part before the @ has two dots in a row";
		if (s[i] != '.' && !mailbox_is_atext(s[i]))
			return (unsigned char)s[i] >= 0x80
				       ? "the part before the @ is not plain ASCII (few mail servers take that)"
				       : "the part before the @ holds a character an address cannot have there";
	}
	return NULL;
}

/* The part after the @: a host name of at least two labels (the register's check wants a dot). */
static const char *mailbox_domain_problem(const char *s, size_t n)
{
	if (n == 0)
		return "it has nothing after the @";
	if (s[0] == '[')
		return "its domain is an IP address in brackets: give the mail domain's name";
	size_t label = 0, labels = 1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return "its domain has an empty part, or a part ending in a hyphen";
			label = 0;
			labels++;
			continue;
		}
		if ((unsigned char)c >= 0x80)
			return "its domain is not plain ASCII: write it in its xn-- form";
		if (!text_is_alnum(c) && c != '-')
			return "its domain holds a character other than letters, digits, hyphens and dots";
		if (c == '-' && label == 0)
			return "a part of its domain starts with a hyphen";
		if (++label > MAILBOX_LABEL_MAX)
			return "a part of its domain is longer than 63 characters";
	}
	if (label == 0)
		return "its domain ends with a dot or is empty";
	if (s[n - 1] == '-')
		return "its domain ends in a hyphen";
	if (labels < 2)
		return "its domain has no dot (name@example.org)";
	return NULL;
}

static const char *mailbox_addr_span_problem(const char *s, size_t n)
{
	if (n == 0)
		return "it is empty";
	if (n > MAILBOX_ADDR_MAX)
		return "it is longer than 254 characters";
	const char *at = memchr(s, '@', n);
	if (at == NULL)
		return "it has no @";
	if (memchr(at + 1, '@', n - (size_t)(at + 1 - s)) != NULL)
		return "it has more than one @";
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ')
			return "it contains a space";
	const char *why = mailbox_local_problem(s, (size_t)(at - s));
	return why ? why : mailbox_domain_problem(at + 1, n - (size_t)(at + 1 - s));
}

const char *mailbox_addr_problem(const char *addr)
{
	if (addr == NULL)
		return "it is empty";
	size_t n = strlen(addr);
	if (n > MAILBOX_INPUT_MAX)
		return "it is far too long";
	if (text_has_control(addr, false))
		return "it contains a line break or a control character";
	if (!text_utf8_valid(addr, n, NULL))
		return "it is not UTF-8";
	return mailbox_addr_span_problem(addr, n);
}

/* The display name s[0..n) into out (spaces collapsed, quotes taken off); what is wrong, or NULL. */
static const char *mailbox_name(const char *s, size_t n, char *out)
{
	while (n > 0 && s[0] == ' ')
		s++, n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	bool quoted = n >= 2 && s[0] == '"' && s[n - 1] == '"';
	if (quoted) {
		s++;
		n -= 2;
	}
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"' || c == '\\')
			return quoted ? "its name holds a quote or a backslash"
				      : "its name holds a quote: put all of the name in quotes, or none of it";
		if (c == '<' || c == '>')
			return "it has more than one < or >";
		if (!quoted && strchr(",;:@()[]", c))
			return "its name holds one of , ; : @ ( ) [ ]: put the whole name in double quotes";
		if (c == ' ' && (used == 0 || out[used - 1] == ' '))
			continue;
		if (used >= MAILBOX_NAME_MAX)
			return "its name is longer than 200 characters";
		out[used++] = c;
	}
	while (used > 0 && out[used - 1] == ' ')
		used--;
	out[used] = '\0';
	return NULL;
}

const char *mailbox_parse(const char *s, struct mailbox *m)
{
	memset(m, 0, sizeof *m);
	if (s == NULL)
		return "it is empty";
	size_t n = strlen(s);
	if (n > MAILBOX_INPUT_MAX)
		return "it is far too long";
	if (text_has_control(s, false))
		return "it contains a line break or a control character";
	if (!text_utf8_valid(s, n, NULL))
		return "it is not UTF-8";
	while (n > 0 && s[0] == ' ')
		s++, n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	const char *open = memchr(s, '<', n);
	if (open == NULL) {
		if (memchr(s, '>', n))
			return "it has a > without a <";
		if (memchr(s, ',', n) || memchr(s, ';', n))
			return "it holds a comma or a semicolon: give each address on its own";
		if (memchr(s, ' ', n) && memchr(s, '@', n))
			return "it contains a space: put the name first and the address in angle brackets";
		const char *why = mailbox_addr_span_problem(s, n);
		if (why == NULL)
			memcpy(m->addr, s, n);
		return why;
	}
	if (s[n - 1] != '>')
		return memchr(open, '>', n - (size_t)(open - s)) ? "it has more after the >" : "it has a < without a >";
	const char *addr = open + 1;
	size_t addr_n = (size_t)(s + n - 1 - addr);
	if (memchr(addr, '<', addr_n) || memchr(addr, '>', addr_n))
		return "it has more than one < or >";
	const char *why = mailbox_addr_span_problem(addr, addr_n);
	if (why)
		return why;
	why = mailbox_name(s, (size_t)(open - s), m->name);
	if (why)
		return why;
	memcpy(m->addr, addr, addr_n);
	return NULL;
}

void mailbox_format(const struct mailbox *m, char out[MAILBOX_MAX])
{
	if (m->name[0] == '\0') {
		snprintf(out, MAILBOX_MAX, "%s", m->addr);
		return;
	}
	bool quote = strpbrk(m->name, ",;:@()[]") != NULL;
	snprintf(out, MAILBOX_MAX, "%s%s%s <%s>", quote ? "\"" : "", m->name, quote ? "\"" : "", m->addr);
}

void mailbox_error(const char *s, const char *why, char *out, size_t size)
{
	if (s == NULL || s[0] == '\0') {
		snprintf(out, size, "an e-mail address is empty; %s", MAILBOX_HINT);
		return;
	}
	size_t n = strlen(s);
	if (n > MAILBOX_QUOTE_SHOWN || text_has_control(s, false) || !text_utf8_valid(s, n, NULL))
		snprintf(out, size, "an e-mail address given is not one: %s; %s", why, MAILBOX_HINT);
	else
		snprintf(out, size, "\"%s\" is not an e-mail address: %s; %s", s, why, MAILBOX_HINT);
}

bool mailbox_same_addr(const char *a, const char *b)
{
	return text_iequal(a, b);
}
