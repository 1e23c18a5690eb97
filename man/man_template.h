/* man_template.h - a man page's source (man/NAME.SECTION.scd): scdoc written
 * by hand, with directive lines ("@command plan import") where a table's
 * entry goes. The page's generator (planreg_man.c, planregd_conf_man.c) turns
 * each directive into scdoc from the table; every other line is copied. */
#ifndef PLANREG_MAN_TEMPLATE_H
#define PLANREG_MAN_TEMPLATE_H

#include <stdbool.h>
#include <stdio.h>

struct man_template {
	FILE *out;
	const char *name; /* of the source, for messages */
	int line;         /* the source's line being read */
	bool failed;
	/* what to write once the entry a directive began ends (man_template_after_entry) */
	void (*finish)(FILE *out, const void *arg);
	const void *finish_arg;
	int blank_lines; /* blank lines held back until it is known whether the entry goes on */
};

/*
 * Copies the source in to out, calling directive(t, word, rest, arg) for each
 * line that starts with '@' ("@command plan import": word "command", rest
 * "plan import"). Returns 0, or 1 after a message on stderr for each problem.
 */
int man_template_run(FILE *in, FILE *out, const char *name,
		     void (*directive)(struct man_template *t, const char *word, const char *rest, void *arg),
		     void *arg);
/* Says what is wrong with the current line on stderr; the run then fails. */
void man_template_fail(struct man_template *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * finish(out, arg) is written once the entry the current directive began has
 * ended: before the first later line that is neither blank nor indented (the
 * next entry or heading), or at the end of the source.
 */
void man_template_after_entry(struct man_template *t, void (*finish)(FILE *out, const void *arg), const void *arg);
/* text from a table as scdoc: its *, _ and \ taken literally, and `a command` in bold. */
void man_template_text(FILE *out, const char *text);
/* text as man_template_text writes it, ending a sentence (a full stop unless it has one), and the line. */
void man_template_sentence(FILE *out, const char *text);
/* A placeholder or value name as scdoc: the words with a capital letter ("FILE", "YYYY-Qn") underlined. */
void man_template_arg(FILE *out, const char *arg);

#endif
