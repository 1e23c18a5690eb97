/* validate.h - checks on request fields that record an reply_violation naming the
 * field and what to change. Each returns true when the value is acceptable. */
#ifndef PLANREG_VALIDATE_H
#define PLANREG_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "period.h"
#include "rpc.h"

enum validate_text_flags {
	VALIDATE_REQUIRED = 1,  /* empty (or only spaces) is a violation */
	VALIDATE_MULTILINE = 2, /* newlines and tabs allowed */
};

/* Well-formed UTF-8, no control characters (unless MULTILINE), at most max_chars code points. */
bool validate_text(struct rpc_call *call, const char *field, const char *s, size_t max_chars, int flags);
/* [A-Za-z0-9]{1,16} */
bool validate_org_code(struct rpc_call *call, const char *field, const char *code);
/* something@domain.tld, at most 254 characters */
bool validate_email(struct rpc_call *call, const char *field, const char *email);

/* An indicator's number (values_number_valid); what is wrong names the field. */
bool validate_number(struct rpc_call *call, const char *field, const char *s);

enum validate_period_flags {
	VALIDATE_SINCE_2000 = 1, /* a quarter before 2000 is a violation too */
};
/* A reporting period, "YYYY-Qn" as period_parse reads it (2026-q3 too), into *p. */
bool validate_period(struct rpc_call *call, const char *field, const char *s, int flags, struct period *p);
/* The period as this deployment names it to people (year_start_month: "2026-Q4" or "FY2026/27-Q3"), for messages,
 * warnings and mails; the wire and SQL keep the canonical form. In the call's arena. */
const char *validate_period_name(struct rpc_call *call, struct period p);
/* The same for a canonical period's text; anything else is given back as it is. */
const char *validate_period_name_of(struct rpc_call *call, const char *s);

#endif
