/* man_template.c - a man page's source with directive lines turned into
 * scdoc (see man_template.h). */
#include "man_template.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void man_template_fail(struct man_template *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%d: ", t->name, t->line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	t->failed = true;
}

void man_template_after_entry(struct man_template *t, void (*finish)(FILE *out, const void *arg), const void *arg)
{
	t->finish = finish;
	t->finish_arg = arg;
}

/* The entry has ended: what was to follow it, then the blank lines held back. */
static void man_template_end_entry(struct man_template *t)
{
	if (t->finish != NULL) {
		t->finish(t->out, t->finish_arg);
		t->finish = NULL;
	}
	for (; t->blank_lines > 0; t->blank_lines--)
		fputc('\n', t->out);
}

int man_template_run(FILE *in, FILE *out, const char *name,
		     void (*directive)(struct man_template *t, const char *word, const char *rest, void *arg),
		     void *arg)
{
	struct man_template t = {.out = out, .name = name};
	char line[4096];
	while (fgets(line, sizeof line, in) != NULL) {
		t.line++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0') {
			t.blank_lines++;
			continue;
		}
		/* an indented line goes on with the entry; anything else begins the next */
		if (line[0] != '\t')
			man_template_end_entry(&t);
		for (; t.blank_lines > 0; t.blank_lines--)
			fputc('\n', out);
		if (line[0] != '@') {
			fprintf(out, "%s\n", line);
			continue;
		}
		char *word = line + 1, *rest = word + strcspn(word, " ");
		if (*rest != '\0')
			*rest++ = '\0';
		directive(&t, word, rest, arg);
	}
	man_template_end_entry(&t);
	return t.failed || ferror(out) ? 1 : 0;
}

void man_template_text(FILE *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '`')
			fputc('*', out); /* a command to type: bold */
		else if (*p == '*' || *p == '_' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else
			fputc(*p, out);
	}
}

void man_template_sentence(FILE *out, const char *text)
{
	man_template_text(out, text);
	fputs(text[0] && text[strlen(text) - 1] == '.' ? "\n" : ".\n", out);
}

void man_template_arg(FILE *out, const char *arg)
{
	const char *p = arg;
	while (*p) {
		size_t n = 0;
		bool capital = false;
		while (isalnum((unsigned char)p[n]) || p[n] == '-') {
			capital = capital || isupper((unsigned char)p[n]);
			n++;
		}
		if (n == 0) {
			fputc(*p++, out);
			continue;
		}
		fprintf(out, capital ? "_%.*s_" : "%.*s", (int)n, p);
		p += n;
	}
}
