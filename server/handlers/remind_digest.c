/* remind_digest.c - the text of a reminder digest, written for the officer who reads it: which period and
 * which days it covers, when it was due, each outstanding project, the commands that send the return filled
 * in with the project's own values, how to get set up (an invitation from the Combined Authority), its people
 * whose certificates end within 14 days, and what comes next and when. The
 * Combined Authority's digest lists every other organisation once. remind.c decides what goes to whom. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailbox.h"
#include "money.h"
#include "remind.h"

#define REMIND_WIDTH 76       /* a paragraph's lines, so that the text reads in any mail client */
#define REMIND_MAX_REF 100000 /* the largest project reference the register allows */

static const char *remind_plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* text as a paragraph: words filled into lines of REMIND_WIDTH, each line starting with indent. */
static void remind_wrap(struct buf *b, const char *indent, const char *text)
{
	size_t col = 0, ind = strlen(indent);
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (col > 0 && col + 1 + n > REMIND_WIDTH) {
			buf_puts(b, "\n");
			col = 0;
		}
		if (col == 0) {
			buf_puts(b, indent);
			col = ind;
		} else {
			buf_puts(b, " ");
			col++;
		}
		buf_append(b, p, n);
		col += n;
		p += n;
	}
	buf_puts(b, "\n");
}

static void remind_wrapf(struct buf *b, const char *indent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void remind_wrapf(struct buf *b, const char *indent, const char *fmt, ...)
{
	struct buf t = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&t, fmt, ap);
	va_end(ap);
	remind_wrap(b, indent, buf_str(&t));
	buf_free(&t);
}

/* The day offset days from the due date, in words: "Wednesday 21 October 2026". */
static void remind_day(const struct remind_claim *st, int offset, char out[DATE_WORDS_MAX])
{
	date_format_words(date_add_days(st->due_date, offset), out);
}

/* "stage early development" and the like: a value's name as people say it. */
static const char *remind_words(struct buf *scratch, const char *name)
{
	buf_reset(scratch);
	for (const char *p = name; *p; p++)
		buf_putc(scratch, *p == '_' ? ' ' : *p);
	return buf_str(scratch);
}

/* Whether the entry is the organisation's own reminder: to its contacts, or to a person assigned its projects. */
static bool remind_mine(const struct remind_entry *e)
{
	return e->own || e->assigned;
}

/* ---------------------------------------------------------------- subject */

/* Projects a digest lists, a co-led one once. */
static int remind_digest_projects(const struct remind_digest *d)
{
	unsigned char seen[(REMIND_MAX_REF + 8) / 8];
	memset(seen, 0, sizeof seen);
	int n = 0;
	for (size_t i = 0; i < d->n_entries; i++)
		for (size_t k = 0; k < d->entries[i].n_projects; k++) {
			int ref = d->entries[i].projects[k]->ref;
			if (ref < 0 || ref > REMIND_MAX_REF) {
				n++;
			} else if (!(seen[ref / 8] & (1u << (ref % 8)))) {
				seen[ref / 8] |= (unsigned char)(1u << (ref % 8));
				n++;
			}
		}
	return n;
}

bool remind_digest_queries_only(const struct remind_digest *d)
{
	for (size_t i = 0; i < d->n_entries; i++)
		if (!d->entries[i].org->queries_only)
			return false;
	return d->n_entries > 0;
}

/* The queries a digest lists. */
static size_t remind_digest_queries(const struct remind_digest *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_entries; i++)
		n += d->entries[i].org->n_overdue_queries;
	return n;
}

void remind_digest_subject(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	if (remind_digest_queries_only(d)) {
		size_t n = remind_digest_queries(d);
		buf_printf(b, "[planreg] %zu %s of the Combined Authority past %s answer-by date", n,
			   remind_plural((int)n, "query", "queries"), n == 1 ? "its" : "their");
		return;
	}
	int projects = remind_digest_projects(d), escalated = 0;
	for (size_t i = 0; i < d->n_entries; i++)
		escalated += d->entries[i].escalate || d->entries[i].sro;
	buf_printf(b, "[planreg] %s progress returns ", st->period_name);
	if (st->days < 0)
		buf_printf(b, "due in %d %s", -st->days, remind_plural(-st->days, "day", "days"));
	else if (st->days == 0)
		buf_puts(b, "due today");
	else
		buf_printf(b, "overdue (%d %s)", st->days, remind_plural(st->days, "day", "days"));
	buf_printf(b, ": %d %s", projects, remind_plural(projects, "project", "projects"));
	if (escalated)
		buf_printf(b, ", %d %s escalated", escalated,
			   remind_plural(escalated, "organisation", "organisations"));
}

/* ---------------------------------------------------------------- the opening */

/* "were due on Wednesday 14 October 2026 and are now 6 days late" */
static void remind_when(struct buf *b, const struct remind_claim *st)
{
	char due[DATE_WORDS_MAX];
	remind_day(st, 0, due);
	if (st->days < 0)
		buf_printf(b, "are due on %s, in %d %s", due, -st->days, remind_plural(-st->days, "day", "days"));
	else if (st->days == 0)
		buf_printf(b, "are due today, %s", due);
	else
		buf_printf(b, "were due on %s and are now %d %s late", due, st->days,
			   remind_plural(st->days, "day", "days"));
}

/* "This is planreg, the progress register of the ..." */
static void remind_who(struct buf *t, const struct remind_claim *st)
{
	if (st->plan_title[0])
		buf_printf(t, "This is planreg, the progress register of %s%s.",
			   strncasecmp(st->plan_title, "the ", 4) == 0 ? "" : "the ", st->plan_title);
	else
		buf_puts(t, "This is planreg, the progress register of the digital strategy action plan.");
}

static void remind_intro(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	struct buf t = {0};
	remind_who(&t, st);
	remind_wrap(b, "", buf_str(&t));
	buf_reset(&t);
	buf_printf(&t, "Quarterly progress returns for %s, the reporting period from %s, ", st->period_name,
		   st->period_words);
	remind_when(&t, st);
	buf_puts(&t, ".");
	buf_puts(b, "\n");
	remind_wrap(b, "", buf_str(&t));
	buf_free(&t);
	int via = 0, esc = 0;
	const struct remind_org *ca_own = NULL;
	size_t ca_projects = 0;
	for (size_t i = 0; i < d->n_entries; i++) {
		via += d->entries[i].via_ca;
		esc += d->entries[i].escalate;
		if (d->entries[i].own && d->entries[i].org->is_ca) {
			ca_own = d->entries[i].org;
			ca_projects = d->entries[i].n_projects;
		}
	}
	if (!d->to_ca || via + esc == 0)
		return;
	buf_puts(b, "\nYou are the Combined Authority's contact in planreg. This message covers:\n");
	if (ca_own)
		buf_printf(b, "  - the Combined Authority's own returns: %zu %s outstanding\n", ca_projects,
			   remind_plural((int)ca_projects, "project", "projects"));
	if (via)
		buf_printf(b, "  - %d %s with no contact address in planreg, whose reminders come to you\n", via,
			   remind_plural(via, "organisation", "organisations"));
	if (esc)
		buf_printf(b, "  - %d %s escalated to you, %d days or more late\n", esc,
			   remind_plural(esc, "organisation", "organisations"), st->escalate_after);
}

/* ---------------------------------------------------------------- an organisation's own reminder */

static void remind_project_lines(struct buf *b, const struct remind_claim *st, const struct remind_entry *e)
{
	for (size_t i = 0; i < e->n_projects; i++) {
		const struct remind_project *p = e->projects[i];
		buf_printf(b, "  %-5d %s\n        ", p->ref, p->title);
		if (p->update_id)
			buf_printf(b, "returned by the Combined Authority (update %lld): %s\n", p->update_id,
				   p->comment[0] ? p->comment : "(no comment)");
		else
			buf_printf(b, "nothing reported for %s yet\n", st->period_name);
	}
}

/* One project's submission as a command, filled in with what it last reported (or the register's stage). */
/* A canonical period of the register as the mail names it (into out). */
static const char *remind_period_name(const struct remind_claim *st, const char *s, char out[PERIOD_NAME_MAX])
{
	struct period p;
	if (!period_parse(s, &p))
		return s;
	period_name(p, st->year_start_month, out);
	return out;
}

static void remind_example(struct buf *b, const struct remind_claim *st, const struct remind_project *p)
{
	struct buf w = {0};
	char last[PERIOD_NAME_MAX];
	if (p->last_period[0])
		remind_wrapf(b, "  ",
			     "or one project at a time, starting from what it last reported; project %d as %s "
			     "for %s (%s, %s):",
			     p->ref, strcmp(p->last_period, st->period) == 0 ? "returned" : "reported",
			     remind_period_name(st, p->last_period, last), p->confidence, remind_words(&w, p->stage));
	else
		remind_wrapf(b, "  ",
			     "or one project at a time; project %d has not been reported before, and its "
			     "stage in the register is %s:",
			     p->ref, remind_words(&w, p->stage));
	buf_free(&w);
	buf_puts(b, "\n");
	if (!p->confidence[0])
		buf_puts(b, "    # CONFIDENCE: green, amber_green, amber, amber_red or red\n");
	buf_printf(b, "    planreg update submit %d --period %s --confidence %s --stage %s \\\n", p->ref,
		   st->period_name, p->confidence[0] ? p->confidence : "CONFIDENCE", p->stage);
	if (p->spend >= 0 || p->forecast >= 0) {
		char spend[MONEY_FMT_MAX], forecast[MONEY_FMT_MAX];
		money_format(p->spend, spend);
		money_format(p->forecast, forecast);
		buf_puts(b, "       ");
		if (p->spend >= 0)
			buf_printf(b, " --spend %s", spend);
		if (p->forecast >= 0)
			buf_printf(b, " --forecast %s", forecast);
		buf_puts(b, " \\\n");
	}
	if (p->variance_note)
		buf_puts(b, "        --variance-note \"Why the forecast differs from the plan's cost.\" \\\n");
	buf_puts(b, "        --narrative \"What happened this quarter.\"\n");
}

static void remind_commands(struct buf *b, const struct remind_claim *st, const struct remind_entry *e)
{
	const struct remind_org *o = e->org;
	buf_puts(b, "\nHow to send the returns\n\n");
	remind_wrapf(b, "  ", "As a submitter of %s in planreg, fill in one file for %s:", o->code,
		     e->n_projects == 1 ? "the project" : "all of them");
	buf_printf(b,
		   "\n    planreg update template --period %s --format csv > %s-%s.csv\n"
		   "    # each row starts from the project's last return: change what has changed, then\n"
		   "    planreg update submit --csv %s-%s.csv\n\n",
		   st->period_name, st->period_file, o->code, st->period_file, o->code);
	/* the first project reported before: its own values make the example concrete */
	const struct remind_project *example = e->projects[0];
	for (size_t i = e->n_projects; i-- > 0;)
		if (e->projects[i]->last_period[0])
			example = e->projects[i];
	remind_example(b, st, example);
}

static void remind_own(struct buf *b, const struct remind_claim *st, const struct remind_entry *e)
{
	const struct remind_org *o = e->org;
	int n = (int)e->n_projects;
	buf_printf(b, "\n== %s (%s): %d %s outstanding%s\n\n", o->name, o->code, n,
		   remind_plural(n, "project", "projects"), e->own ? "" : ", assigned to you");
	remind_project_lines(b, st, e);
	remind_commands(b, st, e);
}

/* ---------------------------------------------------------------- other organisations, to the CA */

/* One project in a few words for whoever is told of another's returns: what it owes, and whom it is assigned to. */
static void remind_project_brief(struct buf *b, const struct remind_project *p)
{
	if (p->update_id)
		buf_printf(b, "   %-5d %s (returned, update %lld: %s", p->ref, p->title, p->update_id,
			   p->comment[0] ? p->comment : "no comment");
	else
		buf_printf(b, "   %-5d %s (nothing reported yet", p->ref, p->title);
	if (p->assignee)
		buf_printf(b, "; assigned to %s", p->assignee_mailbox);
	buf_puts(b, ")\n");
}

static void remind_other(struct buf *b, const struct remind_claim *st, const struct remind_entry *e)
{
	const struct remind_org *o = e->org;
	int n = (int)e->n_projects;
	buf_printf(b, "\n-- %s (%s): %d %s outstanding\n", o->name, o->code, n,
		   remind_plural(n, "project", "projects"));
	struct buf t = {0};
	if (e->via_ca)
		buf_printf(&t, "It has no contact address in planreg, so its reminder comes to you. ");
	else if (o->n_contacts == 0)
		buf_printf(&t, "It has no contact address in planreg. ");
	if (e->escalate)
		buf_printf(&t, "Escalated: %d %s late. ", st->days, remind_plural(st->days, "day", "days"));
	if (e->escalate && o->sro_told) {
		char day[DATE_WORDS_MAX];
		date_format_words(o->sro_told_on, day);
		buf_printf(&t, "Its senior responsible owner%s%s was told on %s. ", o->sro.id ? ", " : "",
			   o->sro.id ? o->sro.mailbox : "", day);
	}
	if (!e->via_ca && o->n_contacts)
		buf_printf(&t, "Its reminders go to %s.", o->contacts_joined);
	remind_wrap(b, "   ", buf_str(&t));
	buf_free(&t);
	for (size_t i = 0; i < e->n_projects; i++)
		remind_project_brief(b, e->projects[i]);
}

/* An organisation's escalation to its senior responsible owner: what is late, whose it is, and when the CA hears. */
static void remind_sro(struct buf *b, const struct remind_claim *st, const struct remind_entry *e)
{
	const struct remind_org *o = e->org;
	int n = (int)e->n_projects;
	buf_printf(b, "\n== Escalated to you: %s (%s), %d %s outstanding\n\n", o->name, o->code, n,
		   remind_plural(n, "project", "projects"));
	struct buf t = {0};
	char day[DATE_WORDS_MAX];
	date_format_words(date_add_days(st->as_of_date, st->overdue_every), day);
	buf_printf(&t,
		   "You are the senior responsible owner of %s in planreg, and its returns for %s are %d %s late. "
		   "If they are still outstanding on %s, the Combined Authority's programme contact is told.",
		   o->name, st->period_name, st->days, remind_plural(st->days, "day", "days"), day);
	if (o->n_contacts)
		buf_printf(&t, " Its reminders go to %s, and to the people its projects are assigned to.",
			   o->contacts_joined);
	remind_wrap(b, "  ", buf_str(&t));
	buf_free(&t);
	buf_puts(b, "\n");
	for (size_t i = 0; i < e->n_projects; i++)
		remind_project_brief(b, e->projects[i]);
}

/* An entry the CA's contacts get for another organisation: its reminder in its place, or its escalation. */
static bool remind_other_entry(const struct remind_entry *e)
{
	return !remind_mine(e) && (e->via_ca || e->escalate);
}

static void remind_others(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	int n = 0;
	for (size_t i = 0; i < d->n_entries; i++)
		n += remind_other_entry(&d->entries[i]);
	if (n == 0)
		return;
	buf_printf(b, "\n== %d other %s\n\n", n, remind_plural(n, "organisation", "organisations"));
	remind_wrap(b, "  ",
		    "Each is listed once. To send an organisation its own reminders, give it a contact: planreg "
		    "org set-contact CODE \"Full Name <name@example.org>\" (more than one may follow).");
	for (size_t i = 0; i < d->n_entries; i++)
		if (remind_other_entry(&d->entries[i]))
			remind_other(b, st, &d->entries[i]);
	buf_puts(b, "\n");
	remind_wrapf(b, "  ",
		     "Each sends its return as its submitters do (planreg update template --period %s --format csv, "
		     "then planreg update submit --csv FILE); an admin can also enter a return on an "
		     "organisation's behalf.",
		     st->period_name);
}

/* ---------------------------------------------------------------- getting set up */

/* Whom an officer asks to be set up (the programme contact, else the CA's first contact): false for nobody. */
static bool remind_ask(const struct remind_claim *st, struct mailbox *m)
{
	return st->reply_to[0] && mailbox_parse(st->reply_to, m) == NULL;
}

/* True when that person is among the digest's recipients (then the digest does not send them to themselves). */
static bool remind_to_asked(const struct remind_digest *d, const struct mailbox *who)
{
	for (size_t i = 0; i < d->n_recipients; i++) {
		struct mailbox r;
		if (mailbox_parse(d->recipients[i], &r) == NULL && mailbox_same_addr(r.addr, who->addr))
			return true;
	}
	return false;
}

static void remind_setup(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	struct mailbox who;
	bool known = remind_ask(st, &who);
	if (known && remind_to_asked(d, &who))
		return; /* the programme contact would be asking themselves */
	const struct remind_org *o = NULL;
	for (size_t i = 0; o == NULL && i < d->n_entries; i++)
		o = remind_mine(&d->entries[i]) ? d->entries[i].org : NULL;
	if (o == NULL)
		return;
	buf_puts(b, "\nNot set up with planreg yet?\n\n");
	/* the code cannot be in this mail (the service keeps only its secret's hash): the CA sends it */
	struct buf t = {0};
	if (known && who.name[0])
		buf_printf(&t, "Ask %s <%s>, the Combined Authority's programme contact,", who.name, who.addr);
	else if (known)
		buf_printf(&t, "Ask the Combined Authority's programme contact, %s,", who.addr);
	else
		buf_puts(&t, "Ask the Combined Authority");
	buf_printf(&t,
		   " for an invitation to planreg for %s (%s)%s It comes as a one-line code; on your own "
		   "computer, `planreg join CODE` sets you up in a minute.",
		   o->name, o->code, known ? ": reply to this message." : ".");
	buf_printf(&t,
		   " Until you have one, %s each project's confidence (green to red), stage, spend to date, "
		   "forecast and a few lines on the quarter, and the Combined Authority will enter the return "
		   "for you.",
		   known ? "reply with" : "send them");
	remind_wrap(b, "  ", buf_str(&t));
	buf_free(&t);
}

/* ---------------------------------------------------------------- certificates ending soon */

/* For an organisation's own contacts: its people whose certificates end within 14 days (remind.c's query). */
static void remind_expiring(struct buf *b, const struct remind_digest *d)
{
	for (size_t i = 0; i < d->n_entries; i++) {
		const struct remind_org *o = d->entries[i].own ? d->entries[i].org : NULL;
		if (o == NULL || o->n_expiring == 0)
			continue;
		buf_printf(b, "\nplanreg certificates of %s (%s) that end within 14 days\n\n", o->name, o->code);
		for (size_t k = 0; k < o->n_expiring; k++) {
			const char *sep = strchr(o->expiring[k], '\x1f');
			struct date day;
			char words[DATE_WORDS_MAX];
			if (sep == NULL || !date_parse(sep + 1, &day))
				continue;
			date_format_words(day, words);
			buf_printf(b, "  %.*s: ends on %s\n", (int)(sep - o->expiring[k]), o->expiring[k], words);
		}
		buf_putc(b, '\n');
		remind_wrap(b, "  ",
			    "planreg renews a certificate on its own when it is used (any planreg command) before it "
			    "ends. One that has ended cannot be renewed: then ask the Combined Authority for a new "
			    "invitation, and run `planreg join CODE` with it.");
	}
}

/* ---------------------------------------------------------------- queries past their dates */

/* For an organisation's own contacts and the people its returns are assigned to: the Combined Authority's
 * queries on its returns that wait for its answer past their answer-by dates (docs/assurance.md, "Queries"). */
static void remind_queries(struct buf *b, const struct remind_digest *d)
{
	for (size_t i = 0; i < d->n_entries; i++) {
		const struct remind_entry *e = &d->entries[i];
		const struct remind_org *o = e->own || e->assigned ? e->org : NULL;
		if (o == NULL || o->n_overdue_queries == 0)
			continue;
		buf_printf(b, "\nQueries on the returns of %s (%s) past their answer-by dates\n\n", o->name, o->code);
		for (size_t k = 0; k < o->n_overdue_queries; k++)
			remind_wrap(b, "  ", o->overdue_queries[k]);
		buf_putc(b, '\n');
		remind_wrap(b, "  ",
			    "The Combined Authority asked about one part of a return and is waiting for the answer: "
			    "`planreg query show ID` shows the thread, and `planreg query answer ID --comment TEXT` "
			    "answers (with --revision UPDATE_ID too when a corrected return was submitted).");
	}
}

/* ---------------------------------------------------------------- what comes next */

/* The regular step after today's, as an offset from the due date. An overdue reminder is followed by the next
 * overdue_every days later, whether today's fell on its first day or was sent late in its window
 * (remind_overdue_rested in remind.c holds the next one back until then). */
static int remind_next_day(const struct remind_claim *st)
{
	if (st->days < 0)
		return st->on_due_date ? 0 : 1;
	if (st->days == 0)
		return 1;
	return st->days + st->overdue_every;
}

/* For an organisation with an SRO: when the SRO is told (or that they were), and when the CA is, after them. */
static void remind_next_sro(struct buf *t, const struct remind_claim *st, const struct remind_org *o, int esc)
{
	char day[DATE_WORDS_MAX];
	if (o->escalate_sro || o->sro_told) {
		date_format_words(date_add_days(o->sro_told ? o->sro_told_on : st->as_of_date, st->overdue_every), day);
		buf_printf(t,
			   "Your senior responsible owner, %s, has been told that they are late; if they are still "
			   "outstanding on %s, the Combined Authority's programme contact is told. ",
			   o->sro.mailbox, day);
		return;
	}
	remind_day(st, esc, day);
	buf_printf(t,
		   "If they are still outstanding on %s, %d days late, your senior responsible owner, %s, is told, "
		   "and the Combined Authority's programme contact %d days after that. ",
		   day, esc, o->sro.mailbox, st->overdue_every);
}

/* For an organisation's own reminder: the next reminder, and whether and when the CA is told. */
static void remind_next_own(struct buf *t, const struct remind_claim *st, const struct remind_digest *d)
{
	char next[DATE_WORDS_MAX];
	remind_day(st, remind_next_day(st), next);
	if (st->days < 0)
		buf_printf(t,
			   "If they are still outstanding then, a reminder comes on %s%s, and then every %d days "
			   "while they are late. ",
			   st->on_due_date ? "the due date, " : "the first day late, ", next, st->overdue_every);
	else
		buf_printf(t, "While any of them is outstanding, a reminder comes every %d days: the next on %s. ",
			   st->overdue_every, next);
	bool others = false, escalated = false;
	const struct remind_org *with_sro = NULL;
	for (size_t i = 0; i < d->n_entries; i++) {
		const struct remind_entry *e = &d->entries[i];
		others = others || (remind_mine(e) && !e->org->is_ca);
		escalated = escalated || (remind_mine(e) && (e->org->escalate || e->org->escalated_before));
		if (with_sro == NULL && remind_mine(e) && !e->org->is_ca && e->org->sro.id)
			with_sro = e->org;
	}
	int esc = remind_escalate_day(st);
	if (escalated) {
		buf_puts(t, "The Combined Authority's programme contact has been told that they are late. ");
	} else if (with_sro && esc >= 0) {
		remind_next_sro(t, st, with_sro, esc);
	} else if (others && esc >= 0) {
		char day[DATE_WORDS_MAX];
		remind_day(st, esc, day);
		buf_printf(t,
			   "If they are still outstanding on %s, %d days late, the Combined Authority's programme "
			   "contact is told. ",
			   day, esc);
	}
	buf_puts(t, "The reminders stop as soon as every project above is reported.");
}

/* For the CA: when the organisations hear again, and when escalations go (or why none go yet). */
static void remind_next_ca(struct buf *t, const struct remind_claim *st)
{
	char next[DATE_WORDS_MAX], day[DATE_WORDS_MAX], first[DATE_WORDS_MAX];
	remind_day(st, remind_next_day(st), next);
	buf_printf(t, "The next reminders go on %s to every organisation still outstanding, then every %d days. ", next,
		   st->overdue_every);
	int esc = remind_escalate_day(st);
	if (esc < 0)
		return;
	remind_day(st, esc, day);
	date_format_words(st->first_run, first);
	if (esc > st->escalate_after && st->days < esc)
		buf_printf(t,
			   "Nothing is escalated before %s: the reminder job first ran on %s, and gives "
			   "organisations %d days from then to hear from it first (the reminder policy's grace).",
			   day, first, st->escalate_grace);
	else if (st->days < esc)
		buf_printf(t, "An organisation still outstanding on %s, %d days late, is escalated to you.", day, esc);
}

static void remind_next(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	struct buf t = {0};
	bool others = false, mine = false;
	for (size_t i = 0; i < d->n_entries; i++) {
		others = others || !d->entries[i].own;
		mine = mine || remind_mine(&d->entries[i]);
	}
	if (d->to_ca && others)
		remind_next_ca(&t, st);
	else if (mine)
		remind_next_own(&t, st, d);
	else
		return; /* only an escalation to an SRO: its section says what comes next */
	buf_puts(b, "\nWhat happens next\n\n");
	remind_wrap(b, "  ", buf_str(&t));
	buf_free(&t);
}

static void remind_footer(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	struct buf t = {0};
	const struct remind_org *o = d->n_entries ? d->entries[0].org : NULL;
	if (d->to_ca)
		buf_printf(&t,
			   "You receive this as the Combined Authority's contact in planreg; `planreg status "
			   "outstanding --period %s` shows what is still owed. ",
			   st->period_name);
	else if (o && d->n_entries == 1 && !remind_mine(&d->entries[0]))
		buf_printf(&t, "You receive this as the senior responsible owner of %s (%s) in planreg. ", o->name,
			   o->code);
	else if (o && d->n_entries == 1 && !d->entries[0].own)
		buf_printf(&t, "You receive this because the returns of the projects above are assigned to you in "
			       "planreg. ");
	else if (o && d->n_entries == 1)
		buf_printf(&t, "You receive this because you are a contact for %s (%s) in planreg. ", o->name, o->code);
	else
		buf_puts(&t, "You receive this because you are a contact for the organisations above in planreg. ");
	struct mailbox who;
	if (remind_ask(st, &who) && !remind_to_asked(d, &who))
		buf_printf(&t, "Replies go to %s%s%s%s, who can also change who receives these.",
			   who.name[0] ? who.name : who.addr, who.name[0] ? " <" : "", who.name[0] ? who.addr : "",
			   who.name[0] ? ">" : "");
	buf_puts(b, "\n-- \n");
	remind_wrap(b, "", buf_str(&t));
	buf_free(&t);
}

/* The opening of a digest of queries alone: who writes, and what it is about. */
static void remind_intro_queries(struct buf *b, const struct remind_claim *st)
{
	struct buf t = {0};
	remind_who(&t, st);
	buf_puts(&t, " Your returns are in; the Combined Authority has asked about parts of them and is waiting "
		     "for your answers past the days it wanted them by.");
	remind_wrap(b, "", buf_str(&t));
	buf_free(&t);
}

void remind_digest_body(struct buf *b, const struct remind_claim *st, const struct remind_digest *d)
{
	if (remind_digest_queries_only(d)) {
		remind_intro_queries(b, st);
		remind_queries(b, d);
		remind_footer(b, st, d);
		return;
	}
	remind_intro(b, st, d);
	for (size_t i = 0; i < d->n_entries; i++)
		if (remind_mine(&d->entries[i]))
			remind_own(b, st, &d->entries[i]);
	remind_others(b, st, d);
	for (size_t i = 0; i < d->n_entries; i++)
		if (d->entries[i].sro)
			remind_sro(b, st, &d->entries[i]);
	remind_setup(b, st, d);
	remind_expiring(b, d);
	remind_queries(b, d);
	remind_next(b, st, d);
	remind_footer(b, st, d);
}
