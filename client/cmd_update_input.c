/* cmd_update_input.c - one update as the user wrote it (options or a CSV row)
 * read into an UpdateContent, with a message saying what to write instead of
 * anything that cannot be read; and the random idempotency keys of submissions. */
#include <openssl/err.h>
#include <openssl/rand.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_update.h"
#include "money.h"
#include "period.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

static char *cmd_update_input_trim(struct arena *a, const char *s)
{
	char *t = text_trim_dup(s ? s : "", strlen(s ? s : ""));
	char *r = arena_strdup(a, t);
	free(t);
	return r;
}

/* Free text: trimmed, every line break (CRLF, CR) made LF, so the same words are the same bytes. */
static char *cmd_update_input_text(struct arena *a, const char *s)
{
	char *t = cmd_update_input_trim(a, s);
	char *w = t;
	for (const char *p = t; *p; p++) {
		if (*p == '\r') {
			*w++ = '\n';
			if (p[1] == '\n')
				p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return t;
}

/* Enumeration names as people type them: "Amber/Green", "amber-red", "Early development". */
static char *cmd_update_input_name(struct arena *a, const char *s)
{
	char *t = cmd_update_input_trim(a, s);
	for (char *p = t; *p; p++)
		*p = (*p == ' ' || *p == '-' || *p == '/') ? '_' : (char)tolower((unsigned char)*p);
	return t;
}

/* Splits a cell into its non-blank lines, each trimmed. */
void cmd_update_input_lines(struct arena *a, const char *cell, char ***items, size_t *n)
{
	const char *p = cell;
	while (*p) {
		size_t len = strcspn(p, "\r\n");
		char *line = arena_strndup(a, p, len);
		char *t = cmd_update_input_trim(a, line);
		if (t[0])
			*(char **)arena_push(a, items, n, sizeof(char *)) = t;
		p += len;
		if (*p)
			p++;
	}
}

static bool cmd_update_input_date(struct arena *a, const char *s, Planreg__V1__Date **out)
{
	*out = NULL;
	if (s[0] == '\0')
		return true;
	struct date d;
	if (!date_parse(s, &d))
		return false;
	char iso[DATE_FMT_MAX];
	date_format(d, iso);
	*out = ARENA_NEW(a, Planreg__V1__Date, planreg__v1__date__init);
	(*out)->iso = arena_strdup(a, iso);
	return true;
}

/* "TITLE|BASELINE|FORECAST|ACHIEVED", each date empty or YYYY-MM-DD; *err (malloc'd) names the
 * milestone and what is wrong. */
static bool cmd_update_input_milestone(struct arena *a, const char *name, const char *spec,
				       Planreg__V1__Milestone **out, char **err)
{
	char *parts[4];
	size_t n = 0;
	const char *p = spec;
	for (;;) {
		size_t len = strcspn(p, "|");
		if (n < 4)
			parts[n] = cmd_update_input_trim(a, arena_strndup(a, p, len));
		n++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (n != 4) {
		*err = xasprintf("%s \"%s\" has %zu part%s: write TITLE|BASELINE|FORECAST|ACHIEVED (dates YYYY-MM-DD; "
				 "FORECAST or ACHIEVED may be empty)",
				 name, spec, n, n == 1 ? "" : "s");
		return false;
	}
	/* a missing title or baseline is the server's to refuse, with the other rules */
	Planreg__V1__Milestone *m = ARENA_NEW(a, Planreg__V1__Milestone, planreg__v1__milestone__init);
	m->title = parts[0];
	static const char *const what[] = {"", "baseline", "forecast", "achieved"};
	Planreg__V1__Date **dates[] = {NULL, &m->baseline, &m->forecast, &m->achieved};
	for (int i = 1; i < 4; i++) {
		if (!cmd_update_input_date(a, parts[i], dates[i])) {
			*err = xasprintf("%s \"%s\": %s \"%s\" is not a date (YYYY-MM-DD)", name, parts[0], what[i],
					 parts[i]);
			return false;
		}
	}
	*out = m;
	return true;
}

static bool cmd_update_input_money(struct arena *a, const char *name, const char *s, Planreg__V1__Money **out,
				   char **err)
{
	*out = NULL;
	char *t = cmd_update_input_trim(a, s);
	if (t[0] == '\0')
		return true;
	int64_t pence;
	if (!money_parse(t, &pence)) {
		*err = xasprintf("%s \"%s\" is not an amount of money: write it " CMD_UPDATE_MONEY_SPELLINGS, name, t);
		return false;
	}
	*out = ARENA_NEW(a, Planreg__V1__Money, planreg__v1__money__init);
	(*out)->pence = pence;
	return true;
}

/* The milestones and risks of in into c; false with *err on a milestone that cannot be read. */
static bool cmd_update_input_lists(struct arena *a, const struct cmd_update_input *in, Planreg__V1__UpdateContent *c,
				   char **err)
{
	const char *ms_name = in->from_options ? "--milestone" : "milestone";
	for (size_t i = 0; i < in->n_milestones; i++) {
		Planreg__V1__Milestone *m;
		if (!cmd_update_input_milestone(a, ms_name, in->milestones[i], &m, err))
			return false;
		*(Planreg__V1__Milestone **)arena_push(a, &c->milestones, &c->n_milestones, sizeof m) = m;
	}
	for (size_t i = 0; i < in->n_risks; i++) {
		/* one line each, as the CSV's risks cell holds them (one per line), so a return sent back as
		 * `update template` wrote it is the same return */
		char *risk = cmd_update_input_text(a, in->risks[i]);
		for (char *p = risk; *p; p++)
			if (*p == '\n')
				*p = ' ';
		if (risk[0])
			*(char **)arena_push(a, &c->risks, &c->n_risks, sizeof risk) = risk;
	}
	return true;
}

/* Reads what must be read to be sent (numbers, names, money, dates); the server checks the rules. */
bool cmd_update_input_read(struct arena *a, const struct cmd_update_input *in, Planreg__V1__UpdateContent *c,
			   char **err)
{
	const char *dash = in->from_options ? "--" : "";
	char *ref = cmd_update_input_trim(a, in->ref);
	char *end;
	errno = 0;
	long r = strtol(ref, &end, 10);
	if (ref[0] == '\0' || *end != '\0' || errno != 0 || r < 1 || r > 100000) {
		*err = ref[0] ? xasprintf("\"%s\" is not a project reference (a number such as 12)", ref)
			      : xstrdup("the project reference is empty (a number such as 12)");
		return false;
	}
	c->ref = (int32_t)r;

	char *period = cmd_update_input_trim(a, in->period);
	struct period pd;
	if (!period_read(period, &pd)) {
		*err = xasprintf("%speriod \"%s\" is not a reporting period: " PERIOD_READ_HINT, dash, period);
		return false;
	}
	char ps[PERIOD_FMT_MAX];
	period_format(pd, ps);
	c->period = arena_strdup(a, ps);

	char *conf = cmd_update_input_name(a, in->confidence);
	enum confidence cv;
	if (!values_confidence_parse(conf, &cv)) {
		*err = conf[0] ? xasprintf("%sconfidence \"%s\" is not one of %s", dash, in->confidence,
					   values_confidence_names())
			       : xasprintf("%sconfidence is empty: give one of %s", dash, values_confidence_names());
		return false;
	}
	c->confidence = (Planreg__V1__Confidence)cv;

	char *stage = cmd_update_input_name(a, in->stage);
	enum stage sv;
	if (!values_stage_parse(stage, &sv)) {
		*err = stage[0] ? xasprintf("%sstage \"%s\" is not one of %s", dash, in->stage, values_stage_names())
				: xasprintf("%sstage is empty: give one of %s", dash, values_stage_names());
		return false;
	}
	c->stage = (Planreg__V1__Stage)sv;

	c->narrative = cmd_update_input_text(a, in->narrative); /* required: the server says so when it is empty */
	char spend_name[16], forecast_name[16];
	snprintf(spend_name, sizeof spend_name, "%sspend", dash);
	snprintf(forecast_name, sizeof forecast_name, "%sforecast", dash);
	if (!cmd_update_input_money(a, spend_name, in->spend, &c->spend_to_date, err) ||
	    !cmd_update_input_money(a, forecast_name, in->forecast, &c->forecast_total, err))
		return false;
	c->variance_note = cmd_update_input_text(a, in->variance_note);

	return cmd_update_input_lists(a, in, c, err) && cmd_update_input_actuals(a, in, c, err);
}

/* One "INDICATOR=VALUE|NOTE" into *out; false with *err. */
static bool cmd_update_input_actual(struct arena *a, const char *what, const char *given, Planreg__V1__Actual **out,
				    char **err)
{
	char *s = cmd_update_input_trim(a, given);
	char *eq = strchr(s, '=');
	if (eq == NULL || eq == s) {
		*err = xasprintf("%s \"%s\" is not INDICATOR=VALUE (an indicator's id or name, then its actual, such "
				 "as 3=40 or \"Homes retrofitted=40|a note\")",
				 what, given);
		return false;
	}
	*eq = '\0';
	char *bar = strchr(eq + 1, '|');
	if (bar)
		*bar = '\0';
	Planreg__V1__Actual *act = arena_alloc(a, sizeof *act);
	planreg__v1__actual__init(act);
	char *name = cmd_update_input_trim(a, s), *end;
	long long id = strtoll(name, &end, 10);
	if (*end == '\0' && id > 0)
		act->indicator_id = id;
	else
		act->name = name;
	act->value = cmd_update_input_trim(a, eq + 1);
	act->note = bar ? cmd_update_input_text(a, bar + 1) : (char *)"";
	if (!values_number_valid(act->value)) {
		*err = xasprintf("%s \"%s\": \"%s\" is not a number: write " VALUES_NUMBER_HINT, what, given,
				 act->value);
		return false;
	}
	*out = act;
	return true;
}

bool cmd_update_input_actuals(struct arena *a, const struct cmd_update_input *in, Planreg__V1__UpdateContent *c,
			      char **err)
{
	const char *what = in->from_options ? "--actual" : "actual";
	for (size_t i = 0; i < in->n_actuals; i++) {
		Planreg__V1__Actual *act;
		if (text_is_blank(in->actuals[i]))
			continue;
		if (!cmd_update_input_actual(a, what, in->actuals[i], &act, err))
			return false;
		size_t k = 0;
		while (k < c->n_actuals && !(act->indicator_id ? c->actuals[k]->indicator_id == act->indicator_id
							       : strcmp(c->actuals[k]->name, act->name) == 0))
			k++;
		if (k < c->n_actuals)
			c->actuals[k] = act;
		else
			*(Planreg__V1__Actual **)arena_push(a, &c->actuals, &c->n_actuals, sizeof act) = act;
	}
	return true;
}

/*
 * An option given an empty (or blank) value: `--spend ''` would otherwise send
 * no figure at all, which is not what someone who typed the option meant.
 * Returns a malloc'd usage message naming the option, or NULL when there is none.
 * (In a CSV row an empty cell is how a figure is left out, so this is for options only.)
 */
char *cmd_update_input_empty_option(const struct cmd_update_input *in)
{
	if (in->spend != NULL && text_is_blank(in->spend))
		return xstrdup("--spend is empty: give the spend to date, " CMD_UPDATE_MONEY_SPELLINGS
			       ", or leave --spend out");
	if (in->forecast != NULL && text_is_blank(in->forecast))
		return xstrdup("--forecast is empty: give the forecast total cost, " CMD_UPDATE_MONEY_SPELLINGS
			       ", or leave --forecast out");
	for (size_t i = 0; i < in->n_milestones; i++)
		if (text_is_blank(in->milestones[i]))
			return in->n_milestones == 1
				       ? xstrdup("--milestone is empty: write \"TITLE|BASELINE|FORECAST|ACHIEVED\" "
						 "(dates YYYY-MM-DD; FORECAST or ACHIEVED may be empty), or leave "
						 "--milestone out")
				       : xasprintf(
						 "--milestone %zu of %zu is empty: write "
						 "\"TITLE|BASELINE|FORECAST|ACHIEVED\" (dates YYYY-MM-DD; FORECAST or "
						 "ACHIEVED may be empty)",
						 i + 1, in->n_milestones);
	for (size_t i = 0; i < in->n_risks; i++)
		if (text_is_blank(in->risks[i]))
			return in->n_risks == 1
				       ? xstrdup("--risk is empty: describe the risk, or leave --risk out")
				       : xasprintf("--risk %zu of %zu is empty: describe the risk", i + 1, in->n_risks);
	return NULL;
}

/* ---------------------------------------------------------------- idempotency keys */

/* 32 random hex digits: one logical submission. */
bool cmd_update_input_random_key(char key[CMD_UPDATE_KEY_MAX])
{
	unsigned char bytes[16];
	if (RAND_bytes(bytes, sizeof bytes) != 1) {
		ERR_clear_error();
		return false;
	}
	text_hex(bytes, sizeof bytes, key);
	return true;
}
