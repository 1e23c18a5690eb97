/* validate.c - field checks that explain themselves (see validate.h). */
#include "validate.h"

#include <ctype.h>
#include <string.h>

#include "reply.h"
#include "server.h"
#include "text.h"
#include "values.h"

bool validate_text(struct rpc_call *call, const char *field, const char *s, size_t max_chars, int flags)
{
	if (s == NULL)
		s = "";
	size_t bad;
	if (!text_utf8_valid(s, strlen(s), &bad)) {
		reply_violation(call, field, "is not valid UTF-8 (byte %zu); send text as UTF-8", bad);
		return false;
	}
	if (text_has_control(s, (flags & VALIDATE_MULTILINE) != 0)) {
		reply_violation(call, field, "contains a control character%s; remove it",
				(flags & VALIDATE_MULTILINE) ? "" : " or line break");
		return false;
	}
	if (flags & VALIDATE_REQUIRED) {
		const char *p = s;
		while (*p && isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			reply_violation(call, field, "is required");
			return false;
		}
	}
	size_t n = text_utf8_length(s);
	if (n > max_chars) {
		reply_violation(call, field, "is %zu characters long; at most %zu are allowed", n, max_chars);
		return false;
	}
	return true;
}

bool validate_org_code(struct rpc_call *call, const char *field, const char *code)
{
	size_t n = code ? strlen(code) : 0;
	bool ok = n >= 1 && n <= 16;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)code[i]) != 0;
	if (!ok)
		reply_violation(call, field, "\"%s\" is not an organisation code (1 to 16 letters or digits, e.g. LCC)",
				code ? code : "");
	return ok;
}

bool validate_email(struct rpc_call *call, const char *field, const char *email)
{
	const char *at = strchr(email, '@');
	bool ok = at != NULL && at != email && strchr(at + 1, '@') == NULL && strlen(email) <= 254;
	if (ok) {
		const char *dot = strrchr(at + 1, '.');
		ok = dot != NULL && dot > at + 1 && dot[1] != '\0';
	}
	for (const char *p = email; ok && *p; p++)
		ok = !isspace((unsigned char)*p) && (unsigned char)*p >= 0x21;
	if (!ok)
		reply_violation(call, field, "\"%s\" is not an email address (name@example.org)", email);
	return ok;
}

bool validate_number(struct rpc_call *call, const char *field, const char *s)
{
	if (values_number_valid(s))
		return true;
	reply_violation(call, field, "\"%s\" is not a number: write " VALUES_NUMBER_HINT, s);
	return false;
}

bool validate_period(struct rpc_call *call, const char *field, const char *s, int flags, struct period *p)
{
	if (period_parse(s, p) && (!(flags & VALIDATE_SINCE_2000) || p->year >= 2000))
		return true;
	reply_violation(call, field, "\"%s\" is not a reporting period: " PERIOD_HINT, s);
	return false;
}

const char *validate_period_name(struct rpc_call *call, struct period p)
{
	char s[PERIOD_NAME_MAX];
	period_name(p, call->srv->cfg->year_start_month, s);
	return rpc_strdup(call, s);
}

const char *validate_period_name_of(struct rpc_call *call, const char *s)
{
	struct period p;
	return s != NULL && period_parse(s, &p) ? validate_period_name(call, p) : s;
}
