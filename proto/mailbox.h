/* mailbox.h - an e-mail contact as people write one, "name@example.org" or "Full Name <name@example.org>":
 * read strictly, split into name and address, and written back in one form. The daemon checks organisations'
 * contacts and the programme contact with it; the CLI's mail is addressed from it (client/mail_format.c). */
#ifndef PLANREG_MAILBOX_H
#define PLANREG_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>

#define MAILBOX_ADDR_MAX 254 /* RFC 5321 4.5.3.1.3: a path of 256 less its brackets */
#define MAILBOX_LOCAL_MAX 64 /* RFC 5321 4.5.3.1.1 */
#define MAILBOX_NAME_MAX 200 /* bytes of a display name: a person's or a team's name, with room to spare */
/* the longest mailbox written back: a quoted name, a space and the address in brackets, and the NUL */
#define MAILBOX_MAX (MAILBOX_NAME_MAX + MAILBOX_ADDR_MAX + 6)
/* What to write instead; every refusal ends with it. */
#define MAILBOX_HINT "write name@example.org, or Full Name <name@example.org>"

/*
 * The subset of RFC 5322's mailbox planreg takes: an addr-spec alone, or a display name and the addr-spec in
 * angle brackets. The address is ASCII (a dot-atom before the @; a domain of at least two labels of letters,
 * digits and hyphens, as a mail relay without SMTPUTF8 needs); the name is UTF-8 (RFC 6532) without control
 * characters, either plain (letters, digits, spaces and . ' - & and the like) or all in double quotes (then
 * , ; : @ ( ) may appear too; a quote or backslash never). No comments, groups, quoted local parts or domain
 * literals: nobody gives a contact like that, and refusing them keeps every header planreg writes simple.
 */
struct mailbox {
	char name[MAILBOX_NAME_MAX + 1]; /* the display name without quotes, spaces collapsed; "" for none */
	char addr[MAILBOX_ADDR_MAX + 1];
};

/* NULL with *m filled when s (space around it allowed) is one mailbox; else what is wrong with it, as a phrase
 * that follows "... is not an e-mail address: " ("it has no @"). */
const char *mailbox_parse(const char *s, struct mailbox *m) __attribute__((warn_unused_result));
/* The same for an address alone (no name, no brackets). */
const char *mailbox_addr_problem(const char *addr);
/* "name@example.org" or "Full Name <name@example.org>", the name in double quotes when it holds a character
 * that only a quoted name may (a comma, ...): the form stored, shown and compared. */
void mailbox_format(const struct mailbox *m, char out[MAILBOX_MAX]);
/* The refusal of s for why (mailbox_parse's phrase), ending with MAILBOX_HINT: "\"ann@lcc\" is not an e-mail
 * address: its domain has no dot; write ...". s is quoted only when it is printable and short. */
void mailbox_error(const char *s, const char *why, char *out, size_t size);
/* True when a and b are the same address, compared without case: RFC 5321 lets a server tell Ann@ from ann@,
 * but no organisation's mail does, and two contacts that differ only so are one person given twice. */
bool mailbox_same_addr(const char *a, const char *b);

#endif
