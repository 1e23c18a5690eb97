/* remind.h - what ClaimReminders (remind.c) works out and remind_digest.c writes into each digest: the
 * period and the policy, the organisations with outstanding returns, and who gets which of them. */
#ifndef PLANREG_REMIND_H
#define PLANREG_REMIND_H

#include <stdbool.h>

#include "buf.h"
#include "handlers.h"
#include "period.h"

/* One outstanding project, and what its example command is filled in from. */
struct remind_project {
	int ref;
	const char *title;
	long long update_id; /* the returned revision; 0 when never reported */
	const char *comment;
	/* as last reported (this period's returned revision, else the latest of an earlier period) */
	const char *stage;         /* the current stage: the last report's, else the register's */
	const char *last_period;   /* "" when never reported */
	const char *confidence;    /* "" when never reported */
	long long spend, forecast; /* pence; -1 when not reported */
	bool variance_note;        /* the last report carried one */
	long long assignee;        /* the person of this organisation its returns are assigned to; 0: nobody */
	const char *assignee_name; /* and their mailbox, "Full Name <addr>" */
	const char *assignee_mailbox;
};

/* A person of an organisation (migrations/0024): one its projects are assigned to, or its SRO. */
struct remind_person {
	long long id;
	const char *name;
	const char *mailbox; /* "Full Name <addr>": a digest's key and its To: */
	const char *step;    /* the regular step due to them now and claimable ("overdue-1/p17"), or NULL */
	const struct remind_project **projects; /* the outstanding ones assigned to them */
	size_t n_projects;
};

struct remind_org {
	const char *code, *name;
	char **contacts; /* its mailboxes, in order */
	size_t n_contacts;
	const char *contacts_joined; /* joined with ", ": a digest's key and its To: */
	struct remind_project *projects;
	size_t n_projects;
	const struct remind_project **unassigned; /* those assigned to nobody of it: its contacts' */
	size_t n_unassigned;
	struct remind_person *assignees; /* the people its other projects are assigned to */
	size_t n_assignees;
	struct remind_person sro; /* its senior responsible owner; id 0 when it has none */
	bool is_ca;
	const char *step;      /* the regular step due now and claimable, or NULL */
	bool escalate;         /* the escalation step (to the CA) is due now and claimable */
	bool escalated_before; /* its escalation was claimed by an earlier run */
	bool escalate_sro;     /* the escalation to its SRO is due now and claimable */
	bool sro_told;         /* its SRO's escalation was claimed by an earlier run, on sro_told_on */
	struct date sro_told_on;
	/* its people whose certificates end within 14 days, not renewed yet: "Person<US>YYYY-MM-DD", soonest first */
	char **expiring;
	size_t n_expiring;
	/* the CA's queries on its returns past their answer-by dates, one line each (queries_line), oldest first */
	const char **overdue_queries;
	size_t n_overdue_queries;
	bool queries_only; /* it owes no return: it is reminded of those queries alone ("queries-DAY" steps) */
};

/* An organisation's place in one digest, once, whatever brought it there. */
struct remind_entry {
	struct remind_org *org;
	bool own;                               /* its reminder, to its own contacts (or the CA's own, to the CA) */
	bool assigned;                          /* its reminder, to a person its projects are assigned to */
	bool via_ca;                            /* its reminder, to the CA's contacts: it has no contact */
	bool escalate;                          /* its escalation, to the CA's contacts */
	bool sro;                               /* its escalation, to its senior responsible owner */
	const struct remind_project **projects; /* what this digest covers of it, each once */
	size_t n_projects;
	const char **steps; /* the steps of it this digest is sent for, each once */
	size_t n_steps;
};

struct remind_digest {
	const char *recipient; /* the mailboxes joined with ", " */
	char **recipients;
	size_t n_recipients;
	bool to_ca; /* addressed to the Combined Authority's contacts */
	struct remind_entry *entries;
	size_t n_entries;
};

struct remind_claim {
	struct period p;
	char period[PERIOD_FMT_MAX];         /* canonical, for SQL and the wire */
	char period_name[PERIOD_NAME_MAX];   /* as people read it: "2026-Q3" or "FY2026/27-Q2" (year_start_month) */
	char period_file[PERIOD_NAME_MAX];   /* the name without its "/", for a file name: "FY2026-27-Q2" */
	int year_start_month;                /* how the mail names other periods (remind_digest.c) */
	char period_words[PERIOD_WORDS_MAX]; /* "1 July to 30 September 2026" */
	char as_of[DATE_FMT_MAX];
	char due_default[DATE_FMT_MAX];
	char period_end[DATE_FMT_MAX];
	struct date as_of_date;
	int max, lease;
	bool dry_run;
	/* from the context query */
	int days_before, overdue_every, escalate_after, escalate_grace;
	bool on_due_date;
	char due[DATE_FMT_MAX];
	struct date due_date;
	int days;              /* as_of - due: negative before the due date */
	struct date first_run; /* the job's first run (as_of now, on the first) */
	bool record_first_run; /* this claim is the first: it records the day */
	const char *ca_code, *ca_name;
	char **ca_contacts;
	size_t n_ca_contacts;
	const char *ca_joined;
	const char *reply_to; /* the programme contact, else the CA's first contact; "" for none */
	const char *plan_title;
	struct remind_org *orgs;
	size_t n_orgs;
	struct remind_digest *digests;
	size_t n_digests;
	Planreg__V1__ClaimRemindersResponse *resp;
};

/* The day (as an offset from the due date) escalations may go from: escalate_after days late, and not before
 * the grace after the job's first run has passed. */
int remind_escalate_day(const struct remind_claim *st);

/* Whether every organisation of d is reminded of its queries alone (remind_org.queries_only). */
bool remind_digest_queries_only(const struct remind_digest *d);

/* remind_digest.c: the digest's subject line and its plain-text body (UTF-8, LF line ends). */
void remind_digest_subject(struct buf *b, const struct remind_claim *st, const struct remind_digest *d);
void remind_digest_body(struct buf *b, const struct remind_claim *st, const struct remind_digest *d);

#endif
