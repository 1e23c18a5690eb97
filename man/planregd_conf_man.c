/* planregd_conf_man.c - writes planregd.conf(5)'s scdoc at build time:
 * man/planregd.conf.5.scd on standard input, each "@key NAME" line replaced
 * by that key of planregd's config table (server/config.c): its value, its
 * default and range, whether SIGHUP reloads it, and its help; indented text
 * after the directive says more. Every key must have its directive, once: the
 * build fails otherwise, naming what is missing. */
#include <string.h>

#include "config.h"
#include "man_template.h"

#define PLANREGD_CONF_MAN_KEYS 128

/* The name of a key's value, from the names' convention: a suffix or prefix says what it holds. */
static const char *planregd_conf_man_value(const struct config_key_doc *d)
{
	static const struct {
		const char *affix;
		bool prefix;
		const char *value;
	} names[] = {
		{"_ms", false, "MS"},        {"_bytes", false, "BYTES"},  {"_port", false, "PORT"},
		{"_addr", false, "ADDRESS"}, {"_dsn", false, "CONNINFO"}, {"_days", false, "DAYS"},
		{"_file", false, "FILE"},    {"tls_", true, "FILE"},      {"_level", false, "LEVEL"},
	};
	size_t len = strlen(d->key);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n = strlen(names[i].affix);
		if (len > n && strncmp(names[i].prefix ? d->key : d->key + len - n, names[i].affix, n) == 0)
			return names[i].value;
	}
	return d->is_int ? "N" : "VALUE";
}

/* "*db_pool_size* = _N_ (default 4, 1 to 100)", then the help. */
static void planregd_conf_man_key(FILE *out, const struct config_key_doc *d)
{
	fprintf(out, "*%s* = _%s_ (default ", d->key, planregd_conf_man_value(d));
	man_template_text(out, d->def[0] ? d->def : "empty");
	if (d->is_int)
		fprintf(out, ", %ld to %ld", d->min, d->max);
	fprintf(out, "%s)\n\t", d->reloadable ? "; reloaded on SIGHUP" : "");
	man_template_sentence(out, d->help);
}

static void planregd_conf_man_directive(struct man_template *t, const char *word, const char *rest, void *arg)
{
	unsigned *written = arg;
	if (strcmp(word, "key") != 0) {
		man_template_fail(t, "unknown directive @%s (@key)", word);
		return;
	}
	struct config_key_doc d;
	for (size_t i = 0; config_key_doc(i, &d); i++)
		if (strcmp(d.key, rest) == 0) {
			if (i < PLANREGD_CONF_MAN_KEYS)
				written[i]++;
			planregd_conf_man_key(t->out, &d);
			return;
		}
	man_template_fail(t, "@key %s: planregd has no such key", rest);
}

int main(void)
{
	unsigned written[PLANREGD_CONF_MAN_KEYS] = {0};
	int rc = man_template_run(stdin, stdout, "planregd.conf.5.scd", planregd_conf_man_directive, written);
	struct config_key_doc d;
	for (size_t i = 0; config_key_doc(i, &d); i++)
		if (i >= PLANREGD_CONF_MAN_KEYS || written[i] != 1) {
			fprintf(stderr, "planregd.conf.5.scd: %s has %u @key lines; it needs one\n", d.key,
				i < PLANREGD_CONF_MAN_KEYS ? written[i] : 0);
			rc = 1;
		}
	return rc;
}
