/* remind.c - the reminder job's side of the server: its policy
 * (Get/SetReminderPolicy), the transactional outbox it drains (ClaimReminders
 * works out which step is due for each organisation with outstanding returns,
 * who gets it, and claims it; AckReminder records what the SMTP server said)
 * and the log (ListReminders). remind_digest.c writes each digest's text; the
 * mail itself is sent by the CLI (`planreg remind run`). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "json.h"
#include "mailbox.h"
#include "queries.h"
#include "remind.h"
#include "server.h"
#include "sql.h"
#include "validate.h"

#define REMIND_MAX_DEFAULT 100
#define REMIND_MAX_LIMIT 1000
#define REMIND_LEASE_DEFAULT 300
#define REMIND_ERROR_MAX 2000

/* SQL reads better laid out by hand. */
/* clang-format off */
/* One claimer at a time works out and records steps (pg_advisory_xact_lock key). */
#define REMIND_LOCK "SELECT pg_advisory_xact_lock(31644363112211818)"

#define POLICY_COLUMNS \
	"days_before, on_due_date, overdue_every, escalate_after, updated_by, " TS_US("updated_at") "," \
	" escalate_grace, coalesce(programme_contact, ''), coalesce(to_char(first_run, 'YYYY-MM-DD'), '')"
static const char SQL_POLICY[] = "SELECT " POLICY_COLUMNS " FROM reminder_policy";

/* $1-$4 as the columns, $5 who, $6 escalate_grace, $7 programme contact or '' for none */
static const char SQL_SET_POLICY[] =
	"UPDATE reminder_policy SET days_before = $1::int, on_due_date = $2::boolean, overdue_every = $3::int,"
	" escalate_after = $4::int, updated_by = $5, updated_at = now(), escalate_grace = $6::int,"
	" programme_contact = nullif($7, '')"
	" RETURNING " POLICY_COLUMNS;
enum policy_col {
	POLICY_DAYS_BEFORE,
	POLICY_ON_DUE_DATE,
	POLICY_OVERDUE_EVERY,
	POLICY_ESCALATE_AFTER,
	POLICY_UPDATED_BY,
	POLICY_UPDATED_AT,
	POLICY_ESCALATE_GRACE,
	POLICY_PROGRAMME_CONTACT, /* "" for none */
	POLICY_FIRST_RUN,         /* "" before the job's first run */
};

/* $1 period, $2 default due date: the policy, the due date, the Combined Authority and the plan's title. */
static const char SQL_CLAIM_CONTEXT[] =
	"SELECT p.days_before, p.on_due_date, p.overdue_every, p.escalate_after, p.escalate_grace,"
	"  coalesce(p.programme_contact, ''), coalesce(to_char(p.first_run, 'YYYY-MM-DD'), ''),"
	"  to_char(coalesce((SELECT due FROM reporting_period WHERE period = $1), $2::date), 'YYYY-MM-DD'),"
	"  coalesce(ca.code, ''), coalesce(ca.name, ''), coalesce(array_to_string(ca.contacts, chr(31)), ''),"
	"  coalesce((SELECT title FROM plan WHERE id = " CURRENT_PLAN "), '')"
	" FROM reminder_policy p"
	" LEFT JOIN LATERAL (SELECT code, name, contacts FROM organisation WHERE kind = 'combined_authority'"
	"   ORDER BY code LIMIT 1) ca ON true";
enum claim_context_col {
	CONTEXT_DAYS_BEFORE,
	CONTEXT_ON_DUE_DATE,
	CONTEXT_OVERDUE_EVERY,
	CONTEXT_ESCALATE_AFTER,
	CONTEXT_ESCALATE_GRACE,
	CONTEXT_PROGRAMME_CONTACT,
	CONTEXT_FIRST_RUN,
	CONTEXT_DUE,
	CONTEXT_CA_CODE,
	CONTEXT_CA_NAME,
	CONTEXT_CA_CONTACTS, /* joined with RESULT_SEP */
	CONTEXT_PLAN_TITLE,
};

/* $1 the day of the job's first run: recorded once, by the first claim that is not a dry run. */
static const char SQL_FIRST_RUN[] = "UPDATE reminder_policy SET first_run = $1::date WHERE first_run IS NULL";

/* $1 period, $2 due date, $3 the period's last day: every outstanding project by lead organisation, as the
 * register stands now (a reminder never chases a return that has arrived, whatever day the job acts for),
 * with what it last reported up to this period (by the periods' ends, not their names, in any edition) for the
 * example. */
static const char SQL_CLAIM_OUTSTANDING[] =
	DB_CUSTOM_PLAN "SELECT o.code, o.name, array_to_string(o.contacts, chr(31)), s.ref, s.title, s.update_id,"
	"  coalesce(s.review_comment, ''), coalesce(last.stage, s.register_stage)::text, coalesce(last.period, ''),"
	"  coalesce(last.confidence::text, ''), last.spend_to_date_pence, last.forecast_total_pence,"
	"  coalesce(last.variance_note <> '', false),"
	/* its people whose certificates end within 14 days and are not renewed yet: "person<US>YYYY-MM-DD<RS>..." */
	"  (SELECT string_agg(coalesce(c.person, c.name) || chr(31) || to_char(c.not_after AT TIME ZONE 'UTC',"
	"     'YYYY-MM-DD'), chr(30) ORDER BY c.not_after, c.name) FROM credential c WHERE c.org_code = o.code"
	"     AND c.revoked_at IS NULL AND c.retire_at IS NULL"
	"     AND c.not_after BETWEEN now() AND now() + interval '14 days'),"
	/* the person of this organisation its returns are assigned to, and its SRO: "id<US>name<US>addr" */
	"  (SELECT y.id || chr(31) || y.name || chr(31) || y.email FROM project_assignment pa"
	"     JOIN org_person y ON y.id = pa.person_id WHERE pa.lineage = sp.lineage AND pa.ended_at IS NULL"
	"     AND y.org_code = o.code),"
	"  (SELECT z.id || chr(31) || z.name || chr(31) || z.email FROM org_person z WHERE z.org_code = o.code"
	"     AND z.ended_at IS NULL AND 'sro' = ANY (z.roles))"
	" FROM planreg_status_rows($1, now(), NULL, $2::date, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL) s"
	" JOIN project_lead_org l ON l.project_id = s.project_id"
	" JOIN organisation o ON o.code = l.org_code"
	" JOIN project sp ON sp.id = s.project_id"
	" LEFT JOIN LATERAL (SELECT u.period, u.stage, u.confidence, u.spend_to_date_pence, u.forecast_total_pence,"
	"   u.variance_note FROM progress_update u JOIN reporting_period rp ON rp.period = u.period"
	"   WHERE u.project_id IN " SAME_PROJECT("sp.lineage") " AND rp.ends <= $3::date"
	"   ORDER BY rp.ends DESC, u.revision DESC LIMIT 1) last ON true"
	" WHERE s.update_id IS NULL OR s.review_accepted = false"
	" ORDER BY o.code, s.ref";
enum claim_outstanding_col {
	OWED_ORG,
	OWED_ORG_NAME,
	OWED_CONTACTS, /* joined with RESULT_SEP */
	OWED_REF,
	OWED_TITLE,
	OWED_UPDATE_ID, /* the returned revision; NULL when never reported */
	OWED_COMMENT,
	OWED_STAGE, /* the last report's, else the register's */
	OWED_LAST_PERIOD,
	OWED_CONFIDENCE,
	OWED_SPEND,    /* NULL when unknown */
	OWED_FORECAST, /* NULL when unknown */
	OWED_VARIANCE_NOTE,
	OWED_EXPIRING, /* NULL when none */
	OWED_ASSIGNEE, /* NULL when nobody of it */
	OWED_SRO,      /* NULL when it has none */
};

/* $1 period: the steps nobody may claim now (delivered, leased, or failed and backing off), each with the day
 * its digest was made for. */
static const char SQL_CLAIM_TAKEN[] =
	"SELECT s.org_code, s.step, to_char(m.as_of, 'YYYY-MM-DD')"
	"  FROM reminder_step s JOIN reminder_message m ON m.id = s.message_id WHERE s.period = $1"
	"  AND NOT (s.state = 'failed' AND coalesce(s.retry_after, now()) <= now())"
	"  AND NOT (s.state = 'leased' AND s.lease_until <= now())";
enum claim_taken_col { TAKEN_ORG, TAKEN_STEP, TAKEN_AS_OF };

/* $1 digests (JSON), $2 period, $3 as_of, $4 claimer, $5 lease seconds. A step claimed before
 * (failed, or a lease that ran out) is taken over: its attempts grow. */
static const char SQL_CLAIM_INSERT[] =
	"WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(recipient text, subject text, body text,"
	"   steps text[])),"
	" m AS (INSERT INTO reminder_message (period, as_of, recipient, subject, body, steps, claimed_by, lease_until)"
	"   SELECT $2, $3::date, d.recipient, d.subject, d.body, d.steps, $4, now() + make_interval(secs => $5::int)"
	"   FROM d RETURNING id, recipient, steps, lease_until),"
	" s AS (INSERT INTO reminder_step (org_code, period, step, message_id, lease_until)"
	"   SELECT split_part(st, ':', 1), $2, split_part(st, ':', 2), m.id, m.lease_until FROM m, unnest(m.steps) st"
	"   ON CONFLICT (org_code, period, step) DO UPDATE SET message_id = excluded.message_id, state = 'leased',"
	"   attempts = reminder_step.attempts + 1, lease_until = excluded.lease_until, retry_after = NULL"
	"   RETURNING 1)"
	" SELECT m.id, m.recipient, (SELECT count(*) FROM s) FROM m";
enum claim_insert_col { INSERTED_ID, INSERTED_RECIPIENT, INSERTED_STEPS };

/* $1 id, $2 delivered, $3 error (for a delivered one: the addresses refused). A failed step may be
 * claimed again at once the first time, then after 1, 2, 4 ... hours (at most a day). */
static const char SQL_ACK[] =
	"WITH m AS (UPDATE reminder_message SET state = CASE WHEN $2::boolean THEN 'delivered' ELSE 'failed' END"
	"   ::reminder_state, acked_at = now(), error = nullif($3, '') WHERE id = $1::bigint AND state = 'leased'"
	"   RETURNING id),"
	" s AS (UPDATE reminder_step st SET state = CASE WHEN $2::boolean THEN 'delivered' ELSE 'failed' END"
	"   ::reminder_state, retry_after = CASE WHEN $2::boolean THEN NULL WHEN st.attempts <= 1 THEN now()"
	"   ELSE now() + least(interval '1 hour' * power(2, st.attempts - 2), interval '24 hours') END"
	"   FROM m WHERE st.message_id = m.id RETURNING st.attempts, st.retry_after)"
	" SELECT (SELECT count(*) FROM m), coalesce((SELECT max(attempts) FROM s), 0),"
	"  coalesce((SELECT " TS_US("max(retry_after)") " FROM s), ''),"
	"  (SELECT state FROM reminder_message WHERE id = $1::bigint)";
enum ack_col {
	ACK_CHANGED,  /* 1 when this acknowledged a leased message */
	ACK_ATTEMPTS,
	ACK_RETRY_AFTER,
	ACK_STATE,    /* the message's state now; NULL when there is no such message */
};

/* $1 period or NULL. Named as the ReminderRecord message's fields (remind_list_done fills one with result_fill). */
static const char SQL_LIST[] =
	DB_CUSTOM_PLAN "SELECT id, period, to_char(as_of, 'YYYY-MM-DD') AS as_of, recipient, subject,"
	"  CASE WHEN state = 'leased' AND lease_until <= now() THEN 'expired' ELSE state::text END AS state,"
	"  " TS_US("claimed_at") " AS claimed_at, claimed_by, coalesce(" TS_US("acked_at") ", '') AS acked_at,"
	"  coalesce(error, '') AS error, array_to_string(steps, chr(31))"
	" FROM reminder_message WHERE ($1::text IS NULL OR period = $1::text) AND id > $2::bigint ORDER BY id";
enum list_col {
	LIST_ID,
	LIST_PERIOD,
	LIST_AS_OF,
	LIST_RECIPIENT,
	LIST_SUBJECT,
	LIST_STATE,
	LIST_CLAIMED_AT,
	LIST_CLAIMED_BY,
	LIST_ACKED_AT,
	LIST_ERROR,
	LIST_STEPS, /* "ORG:step" joined with RESULT_SEP */
};
/* clang-format on */

/* ---------------------------------------------------------------- policy */

static Planreg__V1__ReminderPolicy *remind_policy_from_row(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ReminderPolicy *p =
		ARENA_NEW(&call->arena, Planreg__V1__ReminderPolicy, planreg__v1__reminder_policy__init);
	p->days_before = result_int(res, 0, POLICY_DAYS_BEFORE);
	p->on_due_date = result_bool(res, 0, POLICY_ON_DUE_DATE);
	p->overdue_every = result_int(res, 0, POLICY_OVERDUE_EVERY);
	p->escalate_after = result_int(res, 0, POLICY_ESCALATE_AFTER);
	p->updated_by = rpc_strdup(call, result_value(res, 0, POLICY_UPDATED_BY));
	p->updated_at = rpc_strdup(call, result_value(res, 0, POLICY_UPDATED_AT));
	p->escalate_grace = result_int(res, 0, POLICY_ESCALATE_GRACE);
	p->programme_contact = rpc_strdup(call, result_value(res, 0, POLICY_PROGRAMME_CONTACT));
	p->first_run = rpc_strdup(call, result_value(res, 0, POLICY_FIRST_RUN));
	return p;
}

static void remind_policy_done(struct rpc_call *call, PGresult *res)
{
	if (PQntuples(res) != 1) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "no_policy",
			    "the reminder policy row is missing; run `planregd migrate`");
		return;
	}
	if (call->method->kind == PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY) {
		Planreg__V1__SetReminderPolicyResponse *s =
			ARENA_NEW(&call->arena, Planreg__V1__SetReminderPolicyResponse,
				  planreg__v1__set_reminder_policy_response__init);
		s->policy = remind_policy_from_row(call, res);
		reply_ok(call, s);
		return;
	}
	Planreg__V1__GetReminderPolicyResponse *r = ARENA_NEW(&call->arena, Planreg__V1__GetReminderPolicyResponse,
							      planreg__v1__get_reminder_policy_response__init);
	r->policy = remind_policy_from_row(call, res);
	reply_ok(call, r);
}

void remind_get_policy(struct rpc_call *call)
{
	query_run(call, SQL_POLICY, 0, NULL, remind_policy_done);
}

/* The policy's values in range, and the programme contact a mailbox (written back in one form into *contact). */
static void remind_policy_check(struct rpc_call *call, const Planreg__V1__ReminderPolicy *p, const char **contact)
{
	if (p->days_before < 0 || p->days_before > 90)
		reply_violation(call, "policy.days_before", "%d is out of range: 0-90 days (0: no reminder before)",
				p->days_before);
	if (p->overdue_every < 1 || p->overdue_every > 90)
		reply_violation(call, "policy.overdue_every", "%d is out of range: every 1-90 days", p->overdue_every);
	if (p->escalate_after < 0 || p->escalate_after > 365)
		reply_violation(call, "policy.escalate_after", "%d is out of range: 0-365 days late (0: never)",
				p->escalate_after);
	if (p->escalate_grace < 0 || p->escalate_grace > 365)
		reply_violation(call, "policy.escalate_grace",
				"%d is out of range: 0-365 days after the job's first run (0: no grace)",
				p->escalate_grace);
	*contact = "";
	if (p->programme_contact[0]) {
		struct mailbox m;
		const char *why = mailbox_parse(p->programme_contact, &m);
		char text[MAILBOX_MAX + 200];
		if (why) {
			mailbox_error(p->programme_contact, why, text, sizeof text);
			reply_violation(call, "policy.programme_contact", "%s", text);
		} else {
			mailbox_format(&m, text);
			*contact = rpc_strdup(call, text);
		}
	}
}

void remind_set_policy(struct rpc_call *call)
{
	const Planreg__V1__ReminderPolicy *p = call->req->set_reminder_policy->policy;
	const char *contact = "";
	if (p == NULL)
		reply_violation(call, "policy", "is required");
	else
		remind_policy_check(call, p, &contact);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_policy");
		return;
	}
	const char *params[7] = {rpc_printf(call, "%d", p->days_before),
				 p->on_due_date ? "true" : "false",
				 rpc_printf(call, "%d", p->overdue_every),
				 rpc_printf(call, "%d", p->escalate_after),
				 call->principal.credential,
				 rpc_printf(call, "%d", p->escalate_grace),
				 contact};
	query_run(call, SQL_SET_POLICY, 7, params, remind_policy_done);
}

/* ---------------------------------------------------------------- ClaimReminders */

int remind_escalate_day(const struct remind_claim *st)
{
	if (st->escalate_after <= 0)
		return -1;
	int day = st->escalate_after;
	if (st->escalate_grace > 0) {
		int after_grace = date_days_between(st->due_date, date_add_days(st->first_run, st->escalate_grace));
		if (after_grace > day)
			day = after_grace;
	}
	return day;
}

/* The regular step due on this day, or NULL. */
static const char *remind_step_for(struct rpc_call *call, const struct remind_claim *st)
{
	if (st->days < 0)
		return st->days_before > 0 && -st->days <= st->days_before ? "before" : NULL;
	if (st->days == 0)
		return st->on_due_date ? "due" : NULL;
	return rpc_printf(call, "overdue-%d", (st->days + st->overdue_every - 1) / st->overdue_every);
}

/* Whether org's step is taken; the day its digest was made for into *on (when on is not NULL). */
static bool remind_taken_on(PGresult *taken, const char *org, const char *step, struct date *on)
{
	for (int i = 0; i < PQntuples(taken); i++)
		if (strcmp(result_value(taken, i, TAKEN_ORG), org) == 0 &&
		    strcmp(result_value(taken, i, TAKEN_STEP), step) == 0)
			return on == NULL || date_parse(result_value(taken, i, TAKEN_AS_OF), on);
	return false;
}

static bool remind_taken(PGresult *taken, const char *org, const char *step)
{
	return remind_taken_on(taken, org, step, NULL);
}

/* Whether org has had no overdue reminder in the last overdue_every days (to its contacts: person "", or to the
 * person its projects are assigned to: "/p17"). The overdue steps fall on fixed days
 * (the first day late, then every overdue_every days), but a step sent late in its window (the job's first run, a
 * contact added, the timer down for a while) would otherwise be followed by the next one a day or two after. */
static bool remind_overdue_rested(PGresult *taken, const char *org, const char *person, const struct remind_claim *st)
{
	for (int i = 0; i < PQntuples(taken); i++) {
		struct date sent;
		const char *step = result_value(taken, i, TAKEN_STEP), *to = strchr(step, '/');
		if (strcmp(result_value(taken, i, TAKEN_ORG), org) != 0 || strncmp(step, "overdue-", 8) != 0 ||
		    strcmp(to ? to : "", person) != 0 || !date_parse(result_value(taken, i, TAKEN_AS_OF), &sent))
			continue;
		if (date_days_between(sent, st->as_of_date) < st->overdue_every)
			return false;
	}
	return true;
}

/* The mailboxes joined with ", ", as a To: header reads them. */
static const char *remind_join(struct rpc_call *call, char **mailboxes, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", mailboxes[i]);
	const char *s = rpc_strdup(call, buf_str(&b));
	buf_free(&b);
	return s;
}

enum remind_why { REMIND_OWN, REMIND_ASSIGNED, REMIND_VIA_CA, REMIND_ESCALATE, REMIND_SRO };

/* Whom a digest goes to: its key (the mailboxes joined with ", ") and the mailboxes. */
struct remind_to {
	const char *key;
	char **to;
	size_t n;
};

/* What one reason puts of org into a digest: the step it is sent for, and the projects it covers (NULL: all). */
struct remind_what {
	enum remind_why why;
	const char *step;
	const struct remind_project **projects;
	size_t n_projects;
};

/* Adds p to e's projects and s to its steps, each once. */
static void remind_entry_cover(struct rpc_call *call, struct remind_entry *e, const struct remind_project *p,
			       const char *s)
{
	bool have = false;
	for (size_t i = 0; p && !have && i < e->n_projects; i++)
		have = e->projects[i] == p;
	if (p && !have)
		*(const struct remind_project **)arena_push(&call->arena, &e->projects, &e->n_projects, sizeof p) = p;
	have = false;
	for (size_t i = 0; s && !have && i < e->n_steps; i++)
		have = strcmp(e->steps[i], s) == 0;
	if (s && !have)
		*(const char **)arena_push(&call->arena, &e->steps, &e->n_steps, sizeof s) = s;
}

/* The digest for these recipients (one digest per list of recipients), made when there is none yet. */
static struct remind_digest *remind_digest_for(struct rpc_call *call, struct remind_claim *st,
					       const struct remind_to *to)
{
	for (size_t i = 0; i < st->n_digests; i++)
		if (strcasecmp(st->digests[i].recipient, to->key) == 0)
			return &st->digests[i];
	struct remind_digest *d = arena_push(&call->arena, &st->digests, &st->n_digests, sizeof *d);
	memset(d, 0, sizeof *d);
	d->recipient = to->key;
	d->recipients = to->to;
	d->n_recipients = to->n;
	d->to_ca = st->ca_joined[0] && strcasecmp(to->key, st->ca_joined) == 0;
	return d;
}

/* Puts org into the digest for these recipients, once whatever brings it. */
static void remind_add(struct rpc_call *call, struct remind_claim *st, const struct remind_to *to,
		       const struct remind_what *w, struct remind_org *o)
{
	struct remind_digest *d = remind_digest_for(call, st, to);
	struct remind_entry *e = NULL;
	for (size_t i = 0; e == NULL && i < d->n_entries; i++)
		if (d->entries[i].org == o)
			e = &d->entries[i];
	if (e == NULL) {
		e = arena_push(&call->arena, &d->entries, &d->n_entries, sizeof *e);
		memset(e, 0, sizeof *e);
		e->org = o;
	}
	e->own = e->own || w->why == REMIND_OWN;
	e->assigned = e->assigned || w->why == REMIND_ASSIGNED;
	e->via_ca = e->via_ca || w->why == REMIND_VIA_CA;
	e->escalate = e->escalate || w->why == REMIND_ESCALATE;
	e->sro = e->sro || w->why == REMIND_SRO;
	remind_entry_cover(call, e, NULL, w->step);
	for (size_t i = 0; i < (w->projects ? w->n_projects : o->n_projects); i++)
		remind_entry_cover(call, e, w->projects ? w->projects[i] : &o->projects[i], NULL);
}

static void remind_unaddressed(struct rpc_call *call, struct remind_claim *st, const char *what)
{
	Planreg__V1__ClaimRemindersResponse *r = st->resp;
	*(char **)arena_push(&call->arena, &r->unaddressed, &r->n_unaddressed, sizeof(char *)) = rpc_strdup(call, what);
}

static void remind_claim_committed(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct remind_claim *st = call->state;
	reply_ok(call, st->resp);
}

static void remind_claim_inserted(struct rpc_call *call, PGresult *res)
{
	struct remind_claim *st = call->state;
	for (int i = 0; i < PQntuples(res); i++)
		for (size_t k = 0; k < st->resp->n_digests; k++)
			if (strcmp(st->resp->digests[k]->recipient, result_value(res, i, INSERTED_RECIPIENT)) == 0)
				st->resp->digests[k]->id = result_int64(res, i, INSERTED_ID);
	query_run(call, "COMMIT", 0, NULL, remind_claim_committed);
}

static void remind_step_json(struct rpc_call *call, Planreg__V1__ReminderDigest *g, struct json *j,
			     const struct remind_entry *e, const char *step)
{
	char *s = rpc_printf(call, "%s:%s", e->org->code, step);
	json_str(j, s);
	Planreg__V1__ReminderStep *rs =
		ARENA_NEW(&call->arena, Planreg__V1__ReminderStep, planreg__v1__reminder_step__init);
	rs->organisation = (char *)e->org->code;
	rs->step = rpc_strdup(call, step);
	rs->projects = (int32_t)e->n_projects;
	*(Planreg__V1__ReminderStep **)arena_push(&call->arena, &g->steps, &g->n_steps, sizeof rs) = rs;
}

/* The regular step for this recipient when it is due, free and rested ("/p17" for a person, "" for the contacts). */
static const char *remind_free_step(struct rpc_call *call, const struct remind_claim *st, PGresult *taken,
				    const struct remind_org *o, const char *step, const char *person)
{
	if (step == NULL)
		return NULL;
	const char *key = person[0] ? rpc_printf(call, "%s%s", step, person) : step;
	if (remind_taken(taken, o->code, key) || (st->days > 0 && !remind_overdue_rested(taken, o->code, person, st)))
		return NULL;
	return key;
}

/* The escalations due to o: to its SRO on the escalation day; to the CA then when it has no SRO, else once its
 * SRO has had overdue_every days since it was told (docs/protocol.md, "People"). Never for the CA itself, and
 * within the grace after the job's first run, none. */
static void remind_choose_escalation(const struct remind_claim *st, PGresult *taken, struct remind_org *o)
{
	int escalate_day = remind_escalate_day(st);
	bool due = escalate_day >= 0 && st->days >= escalate_day && !o->is_ca;
	o->escalated_before = remind_taken(taken, o->code, "escalate");
	o->sro_told = remind_taken_on(taken, o->code, "escalate-sro", &o->sro_told_on);
	if (o->sro.id == 0) {
		o->escalate = due && !o->escalated_before;
		return;
	}
	o->escalate_sro = due && !o->sro_told;
	o->escalate = due && !o->escalated_before && o->sro_told &&
		      date_days_between(o->sro_told_on, st->as_of_date) >= st->overdue_every;
}

/* The step of an organisation reminded of its queries alone: "queries-DAY", when it has had none in the last
 * overdue_every days; NULL otherwise. */
static const char *remind_queries_step(struct rpc_call *call, const struct remind_claim *st, PGresult *taken,
				       const struct remind_org *o)
{
	for (int i = 0; i < PQntuples(taken); i++) {
		struct date sent;
		const char *step = result_value(taken, i, TAKEN_STEP);
		if (strcmp(result_value(taken, i, TAKEN_ORG), o->code) == 0 && strncmp(step, "queries-", 8) == 0 &&
		    date_parse(result_value(taken, i, TAKEN_AS_OF), &sent) &&
		    date_days_between(sent, st->as_of_date) < st->overdue_every)
			return NULL;
	}
	return rpc_printf(call, "queries-%s", st->as_of);
}

/* Which steps are due and free for each organisation (taken: SQL_CLAIM_TAKEN's rows). */
static void remind_choose_steps(struct rpc_call *call, struct remind_claim *st, PGresult *taken)
{
	for (size_t i = 0; i < st->n_orgs; i++) {
		struct remind_org *o = &st->orgs[i];
		if (o->queries_only) {
			o->step = remind_queries_step(call, st, taken, o);
			continue; /* no assignees, no escalation: only its contacts hear of its queries */
		}
		const char *step = remind_step_for(call, st);
		o->step = remind_free_step(call, st, taken, o, step, "");
		for (size_t k = 0; k < o->n_assignees; k++) {
			struct remind_person *p = &o->assignees[k];
			p->step = remind_free_step(call, st, taken, o, step, rpc_printf(call, "/p%lld", p->id));
		}
		o->is_ca = st->ca_code[0] && strcasecmp(o->code, st->ca_code) == 0;
		remind_choose_escalation(st, taken, o);
	}
}

/* One person as the only recipient of a digest. */
static struct remind_to remind_to_person(struct rpc_call *call, const struct remind_person *p)
{
	char **to = arena_alloc(&call->arena, sizeof *to);
	to[0] = (char *)p->mailbox;
	return (struct remind_to){p->mailbox, to, 1};
}

/* Who gets o's regular step: the people its projects are assigned to, each theirs; the rest to its contacts, or
 * to the Combined Authority's for it. */
static void remind_address_own(struct rpc_call *call, struct remind_claim *st, struct remind_org *o)
{
	for (size_t k = 0; k < o->n_assignees; k++) {
		const struct remind_person *p = &o->assignees[k];
		struct remind_to to = remind_to_person(call, p);
		struct remind_what w = {REMIND_ASSIGNED, p->step, p->projects, p->n_projects};
		if (p->step)
			remind_add(call, st, &to, &w, o);
	}
	if (o->step == NULL || (o->n_unassigned == 0 && !o->queries_only))
		return;
	struct remind_what w = {REMIND_OWN, o->step, o->unassigned, o->n_unassigned};
	if (o->queries_only && o->n_contacts == 0)
		return; /* its queries are in `status outstanding` and the board report; nobody here to tell */
	struct remind_to own = {o->contacts_joined, o->contacts, o->n_contacts};
	struct remind_to ca = {st->ca_joined, st->ca_contacts, st->n_ca_contacts};
	if (o->n_contacts) {
		remind_add(call, st, &own, &w, o);
	} else if (st->n_ca_contacts && !o->is_ca) {
		w.why = REMIND_VIA_CA;
		remind_add(call, st, &ca, &w, o);
	} else {
		remind_unaddressed(call, st,
				   rpc_printf(call,
					      "%s (%s): no contact address, and the Combined Authority has none either",
					      o->code, o->step));
	}
}

/* Who gets each chosen step: the assigned people and the organisation's contacts (or the CA's for it), then the
 * escalations: to each SRO, and to the Combined Authority's contacts. */
static void remind_address(struct rpc_call *call, struct remind_claim *st)
{
	for (size_t i = 0; i < st->n_orgs; i++)
		remind_address_own(call, st, &st->orgs[i]);
	struct remind_to ca = {st->ca_joined, st->ca_contacts, st->n_ca_contacts};
	for (size_t i = 0; i < st->n_orgs; i++) {
		struct remind_org *o = &st->orgs[i];
		if (o->escalate_sro) {
			struct remind_to to = remind_to_person(call, &o->sro);
			struct remind_what w = {REMIND_SRO, "escalate-sro", NULL, 0};
			remind_add(call, st, &to, &w, o);
		}
		if (!o->escalate)
			continue;
		struct remind_what w = {REMIND_ESCALATE, "escalate", NULL, 0};
		if (st->n_ca_contacts)
			remind_add(call, st, &ca, &w, o);
		else
			remind_unaddressed(call, st,
					   rpc_printf(call,
						      "%s (escalate): the Combined Authority has no contact address",
						      o->code));
	}
}

/* One digest for the answer, and its object in the JSON SQL_CLAIM_INSERT records. */
static Planreg__V1__ReminderDigest *remind_digest(struct rpc_call *call, const struct remind_claim *st,
						  const struct remind_digest *d, struct json *j)
{
	Planreg__V1__ReminderDigest *g =
		ARENA_NEW(&call->arena, Planreg__V1__ReminderDigest, planreg__v1__reminder_digest__init);
	struct buf subject = {0}, body = {0};
	remind_digest_subject(&subject, st, d);
	remind_digest_body(&body, st, d);
	g->recipient = (char *)d->recipient;
	g->recipients = d->recipients;
	g->n_recipients = d->n_recipients;
	g->subject = rpc_strdup(call, buf_str(&subject));
	g->body = rpc_strdup(call, buf_str(&body));
	buf_free(&subject);
	buf_free(&body);
	json_object_begin(j);
	json_kv_str(j, "recipient", g->recipient);
	json_kv_str(j, "subject", g->subject);
	json_kv_str(j, "body", g->body);
	json_key(j, "steps");
	json_array_begin(j);
	for (size_t k = 0; k < d->n_entries; k++)
		for (size_t n = 0; n < d->entries[k].n_steps; n++)
			remind_step_json(call, g, j, &d->entries[k], d->entries[k].steps[n]);
	json_array_end(j);
	json_object_end(j);
	return g;
}

static void remind_claim_taken(struct rpc_call *call, PGresult *res)
{
	struct remind_claim *st = call->state;
	remind_choose_steps(call, st, res);
	remind_address(call, st);
	/* the digests, at most max of them */
	Planreg__V1__ClaimRemindersResponse *r = st->resp;
	struct buf json = {0};
	struct json j;
	json_init(&j, &json, false);
	json_array_begin(&j);
	for (size_t i = 0; i < st->n_digests; i++) {
		if ((int)r->n_digests >= st->max) {
			r->more++;
			continue;
		}
		Planreg__V1__ReminderDigest *g = remind_digest(call, st, &st->digests[i], &j);
		*(Planreg__V1__ReminderDigest **)arena_push(&call->arena, &r->digests, &r->n_digests, sizeof g) = g;
	}
	json_array_end(&j);
	if (st->dry_run || r->n_digests == 0) {
		buf_free(&json);
		if (st->dry_run)
			reply_ok(call, r); /* nothing written: releasing the connection rolls back */
		else
			query_run(call, "COMMIT", 0, NULL, remind_claim_committed); /* the first run's day, if it was */
		return;
	}
	const char *params[5] = {rpc_strdup(call, buf_str(&json)), st->period, st->as_of, call->principal.credential,
				 rpc_printf(call, "%d", st->lease)};
	buf_free(&json);
	query_run(call, SQL_CLAIM_INSERT, 5, params, remind_claim_inserted);
}

/* A person from "id<US>name<US>addr" (SQL_CLAIM_OUTSTANDING); false for NULL or "". */
static bool remind_person_of(struct rpc_call *call, const char *cell, struct remind_person *p)
{
	char **f;
	memset(p, 0, sizeof *p);
	if (result_split(&call->arena, cell, RESULT_SEP, &f) != 3)
		return false;
	struct mailbox m = {0};
	char text[MAILBOX_MAX];
	snprintf(m.name, sizeof m.name, "%s", f[1]);
	snprintf(m.addr, sizeof m.addr, "%s", f[2]);
	mailbox_format(&m, text);
	p->id = strtoll(f[0], NULL, 10);
	p->name = f[1];
	p->mailbox = rpc_strdup(call, text);
	return true;
}

/* o's projects split: those assigned to nobody of it (its contacts'), and those of each person assigned some. */
static void remind_group(struct rpc_call *call, struct remind_org *o)
{
	for (size_t i = 0; i < o->n_projects; i++) {
		const struct remind_project *pr = &o->projects[i];
		if (pr->assignee == 0) {
			*(const struct remind_project **)arena_push(&call->arena, &o->unassigned, &o->n_unassigned,
								    sizeof pr) = pr;
			continue;
		}
		struct remind_person *p = NULL;
		for (size_t k = 0; p == NULL && k < o->n_assignees; k++)
			p = o->assignees[k].id == pr->assignee ? &o->assignees[k] : NULL;
		if (p == NULL) {
			p = arena_push(&call->arena, &o->assignees, &o->n_assignees, sizeof *p);
			memset(p, 0, sizeof *p);
			p->id = pr->assignee;
			p->name = pr->assignee_name;
			p->mailbox = pr->assignee_mailbox;
		}
		*(const struct remind_project **)arena_push(&call->arena, &p->projects, &p->n_projects, sizeof pr) = pr;
	}
}

/* One row of SQL_CLAIM_OUTSTANDING as a project of o. */
static void remind_project_from_row(struct rpc_call *call, struct remind_org *o, PGresult *res, int i)
{
	struct remind_project *p = arena_push(&call->arena, &o->projects, &o->n_projects, sizeof *p);
	p->ref = result_int(res, i, OWED_REF);
	p->title = rpc_strdup(call, result_value(res, i, OWED_TITLE));
	p->update_id = result_is_null(res, i, OWED_UPDATE_ID) ? 0 : result_int64(res, i, OWED_UPDATE_ID);
	p->comment = rpc_strdup(call, result_value(res, i, OWED_COMMENT));
	p->stage = rpc_strdup(call, result_value(res, i, OWED_STAGE));
	p->last_period = rpc_strdup(call, result_value(res, i, OWED_LAST_PERIOD));
	p->confidence = rpc_strdup(call, result_value(res, i, OWED_CONFIDENCE));
	p->spend = result_is_null(res, i, OWED_SPEND) ? -1 : result_int64(res, i, OWED_SPEND);
	p->forecast = result_is_null(res, i, OWED_FORECAST) ? -1 : result_int64(res, i, OWED_FORECAST);
	p->variance_note = result_bool(res, i, OWED_VARIANCE_NOTE);
	struct remind_person who;
	if (remind_person_of(call, result_value(res, i, OWED_ASSIGNEE), &who)) {
		p->assignee = who.id;
		p->assignee_name = who.name;
		p->assignee_mailbox = who.mailbox;
	}
}

/* The organisation of a row of QUERIES_SQL_OVERDUE_BY_ORG: one reminded of its returns, else one added that is
 * reminded of its queries alone. */
static struct remind_org *remind_query_org(struct rpc_call *call, struct remind_claim *st, PGresult *res, int i)
{
	const char *code = result_value(res, i, QUERIES_OVERDUE_ORG);
	for (size_t k = 0; k < st->n_orgs; k++)
		if (strcmp(st->orgs[k].code, code) == 0)
			return &st->orgs[k];
	struct remind_org *o = arena_push(&call->arena, &st->orgs, &st->n_orgs, sizeof *o);
	memset(o, 0, sizeof *o);
	o->code = rpc_strdup(call, code);
	o->name = rpc_strdup(call, result_value(res, i, QUERIES_OVERDUE_ORG_NAME));
	o->n_contacts = result_split(&call->arena, result_value(res, i, QUERIES_OVERDUE_ORG_CONTACTS), RESULT_SEP,
				     &o->contacts);
	o->contacts_joined = remind_join(call, o->contacts, o->n_contacts);
	o->queries_only = true;
	return o;
}

/* The CA's queries past their dates, by lead organisation (queries.h), into the organisations reminded. */
static void remind_claim_queries(struct rpc_call *call, PGresult *res)
{
	struct remind_claim *st = call->state;
	for (int i = 0; i < PQntuples(res); i++) {
		struct remind_org *o = remind_query_org(call, st, res, i);
		const char *line = queries_line(call, queries_from_row(call, res, i));
		*(const char **)arena_push(&call->arena, &o->overdue_queries, &o->n_overdue_queries, sizeof line) =
			line;
	}
	const char *params[1] = {st->period};
	query_run(call, SQL_CLAIM_TAKEN, 1, params, remind_claim_taken);
}

static void remind_claim_outstanding(struct rpc_call *call, PGresult *res)
{
	struct remind_claim *st = call->state;
	struct remind_org *o = NULL;
	for (int i = 0; i < PQntuples(res); i++) {
		if (o == NULL || strcmp(o->code, result_value(res, i, OWED_ORG)) != 0) {
			o = arena_push(&call->arena, &st->orgs, &st->n_orgs, sizeof *o);
			memset(o, 0, sizeof *o);
			o->code = rpc_strdup(call, result_value(res, i, OWED_ORG));
			o->name = rpc_strdup(call, result_value(res, i, OWED_ORG_NAME));
			o->n_contacts = result_split(&call->arena, result_value(res, i, OWED_CONTACTS), RESULT_SEP,
						     &o->contacts);
			o->contacts_joined = remind_join(call, o->contacts, o->n_contacts);
			if (!result_is_null(res, i, OWED_EXPIRING))
				o->n_expiring = result_split(&call->arena, result_value(res, i, OWED_EXPIRING), "\x1e",
							     &o->expiring);
			remind_person_of(call, result_value(res, i, OWED_SRO), &o->sro);
		}
		remind_project_from_row(call, o, res, i);
	}
	for (size_t i = 0; i < st->n_orgs; i++)
		remind_group(call, &st->orgs[i]); /* once every project is in place: the arrays point into them */
	const char *params[2] = {st->as_of, NULL};
	query_run(call, QUERIES_SQL_OVERDUE_BY_ORG, 2, params, remind_claim_queries);
}

static void remind_claim_recorded(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct remind_claim *st = call->state;
	const char *params[3] = {st->period, st->due, st->period_end};
	query_run(call, SQL_CLAIM_OUTSTANDING, 3, params, remind_claim_outstanding);
}

/* The context's policy and Combined Authority into st; false after replying (no policy, no due date). */
static bool remind_claim_read_context(struct rpc_call *call, struct remind_claim *st, PGresult *res)
{
	if (PQntuples(res) != 1) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "no_policy",
			    "the reminder policy row is missing; run `planregd migrate`");
		return false;
	}
	st->days_before = result_int(res, 0, CONTEXT_DAYS_BEFORE);
	st->on_due_date = result_bool(res, 0, CONTEXT_ON_DUE_DATE);
	st->overdue_every = result_int(res, 0, CONTEXT_OVERDUE_EVERY);
	if (st->overdue_every < 1)
		st->overdue_every = 1;
	st->escalate_after = result_int(res, 0, CONTEXT_ESCALATE_AFTER);
	st->escalate_grace = result_int(res, 0, CONTEXT_ESCALATE_GRACE);
	st->record_first_run = !date_parse(result_value(res, 0, CONTEXT_FIRST_RUN), &st->first_run);
	if (st->record_first_run)
		st->first_run = st->as_of_date; /* this run is the first (a dry run: would be) */
	snprintf(st->due, sizeof st->due, "%s", result_value(res, 0, CONTEXT_DUE));
	st->ca_code = rpc_strdup(call, result_value(res, 0, CONTEXT_CA_CODE));
	st->ca_name = rpc_strdup(call, result_value(res, 0, CONTEXT_CA_NAME));
	st->n_ca_contacts =
		result_split(&call->arena, result_value(res, 0, CONTEXT_CA_CONTACTS), RESULT_SEP, &st->ca_contacts);
	st->ca_joined = remind_join(call, st->ca_contacts, st->n_ca_contacts);
	st->plan_title = rpc_strdup(call, result_value(res, 0, CONTEXT_PLAN_TITLE));
	const char *programme = result_value(res, 0, CONTEXT_PROGRAMME_CONTACT);
	st->reply_to = rpc_strdup(call, programme[0] ? programme : st->n_ca_contacts ? st->ca_contacts[0] : "");
	if (!date_parse(st->due, &st->due_date)) {
		reply_error(call, PLANREG__V1__CODE__INTERNAL, "bad_due_date", "period %s has no due date", st->period);
		return false;
	}
	st->days = date_days_between(st->due_date, st->as_of_date);
	return true;
}

static void remind_claim_context(struct rpc_call *call, PGresult *res)
{
	struct remind_claim *st = call->state;
	if (!remind_claim_read_context(call, st, res))
		return;
	st->resp->due = rpc_strdup(call, st->due);
	st->resp->reply_to = (char *)st->reply_to;
	if (st->record_first_run && !st->dry_run) {
		const char *params[1] = {st->as_of};
		query_run(call, SQL_FIRST_RUN, 1, params, remind_claim_recorded);
		return;
	}
	remind_claim_recorded(call, NULL);
}

static void remind_claim_locked(struct rpc_call *call, PGresult *res)
{
	(void)res;
	struct remind_claim *st = call->state;
	const char *params[2] = {st->period, st->due_default};
	query_run(call, SQL_CLAIM_CONTEXT, 2, params, remind_claim_context);
}

static void remind_claim_begun(struct rpc_call *call, PGresult *res)
{
	(void)res;
	query_run(call, REMIND_LOCK, 0, NULL, remind_claim_locked);
}

/* The request's day, period and limits into st (violations for what is wrong). */
static void remind_claim_request(struct rpc_call *call, struct remind_claim *st)
{
	const Planreg__V1__ClaimRemindersRequest *q = call->req->claim_reminders;
	if (q->as_of) {
		if (!date_parse(q->as_of->iso, &st->as_of_date))
			reply_violation(call, "as_of", "\"%s\" is not a date (YYYY-MM-DD)", q->as_of->iso);
	} else {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		st->as_of_date = (struct date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
	}
	st->p = period_prev(period_of_date(st->as_of_date));
	if (q->period[0])
		validate_period(call, "period", q->period, VALIDATE_SINCE_2000, &st->p);
	if (q->max_messages < 0 || q->max_messages > REMIND_MAX_LIMIT)
		reply_violation(call, "max_messages", "%d is out of range: 1-%d, or 0 for %d", q->max_messages,
				REMIND_MAX_LIMIT, REMIND_MAX_DEFAULT);
	if (q->lease_seconds != 0 && (q->lease_seconds < 10 || q->lease_seconds > 86400))
		reply_violation(call, "lease_seconds", "%d is out of range: 10-86400, or 0 for %d", q->lease_seconds,
				REMIND_LEASE_DEFAULT);
	st->max = q->max_messages ? q->max_messages : REMIND_MAX_DEFAULT;
	st->lease = q->lease_seconds ? q->lease_seconds : REMIND_LEASE_DEFAULT;
	st->dry_run = q->dry_run;
}

void remind_claim(struct rpc_call *call)
{
	struct remind_claim *st = arena_alloc(&call->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	call->state = st;
	remind_claim_request(call, st);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_claim");
		return;
	}
	period_format(st->p, st->period);
	st->year_start_month = call->srv->cfg->year_start_month;
	period_name(st->p, st->year_start_month, st->period_name);
	snprintf(st->period_file, sizeof st->period_file, "%s", st->period_name);
	for (char *s = st->period_file; *s; s++)
		*s = *s == '/' ? '-' : *s;
	period_format_words(st->p, st->period_words);
	date_format(period_end(st->p), st->period_end);
	date_format(st->as_of_date, st->as_of);
	date_format(period_due(st->p, call->srv->cfg->due_days), st->due_default);
	st->resp = ARENA_NEW(&call->arena, Planreg__V1__ClaimRemindersResponse,
			     planreg__v1__claim_reminders_response__init);
	st->resp->period = st->period;
	st->resp->as_of = st->as_of;
	query_run(call, "BEGIN", 0, NULL, remind_claim_begun);
}

/* ---------------------------------------------------------------- AckReminder */

static void remind_ack_done(struct rpc_call *call, PGresult *res)
{
	const Planreg__V1__AckReminderRequest *q = call->req->ack_reminder;
	const char *want = q->delivered ? "delivered" : "failed";
	if (result_is_null(res, 0, ACK_STATE)) {
		reply_error(call, PLANREG__V1__CODE__NOT_FOUND, "reminder_not_found", "there is no reminder %lld",
			    (long long)q->id);
		return;
	}
	Planreg__V1__AckReminderResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__AckReminderResponse, planreg__v1__ack_reminder_response__init);
	r->state = rpc_strdup(call, result_value(res, 0, ACK_STATE));
	r->attempts = result_int(res, 0, ACK_ATTEMPTS);
	r->retry_after = rpc_strdup(call, result_value(res, 0, ACK_RETRY_AFTER));
	if (result_int(res, 0, ACK_CHANGED) == 0 && strcmp(r->state, want) != 0) {
		reply_error(call, PLANREG__V1__CODE__FAILED_PRECONDITION, "already_acknowledged",
			    "reminder %lld was already acknowledged as %s", (long long)q->id, r->state);
		return;
	}
	reply_ok(call, r); /* acknowledging the same outcome twice changes nothing */
}

void remind_ack(struct rpc_call *call)
{
	const Planreg__V1__AckReminderRequest *q = call->req->ack_reminder;
	if (q->id <= 0)
		reply_violation(call, "id", "%lld is not a reminder id", (long long)q->id);
	/* a delivered one may say which of its recipients' servers refused it, while the others took it */
	validate_text(call, "error", q->error, REMIND_ERROR_MAX,
		      (q->delivered ? 0 : VALIDATE_REQUIRED) | VALIDATE_MULTILINE);
	if (reply_has_violations(call)) {
		reply_violations(call, "invalid_ack");
		return;
	}
	const char *params[3] = {rpc_printf(call, "%lld", (long long)q->id), q->delivered ? "true" : "false", q->error};
	query_run(call, SQL_ACK, 3, params, remind_ack_done);
}

/* ---------------------------------------------------------------- ListReminders */

static void remind_list_done(struct rpc_call *call, PGresult *res)
{
	Planreg__V1__ListRemindersResponse *r =
		ARENA_NEW(&call->arena, Planreg__V1__ListRemindersResponse, planreg__v1__list_reminders_response__init);
	size_t used = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		Planreg__V1__ReminderRecord *m =
			ARENA_NEW(&call->arena, Planreg__V1__ReminderRecord, planreg__v1__reminder_record__init);
		result_fill(&call->arena, res, i, &m->base);
		char **steps;
		size_t n = result_split(&call->arena, result_value(res, i, LIST_STEPS), RESULT_SEP, &steps);
		for (size_t k = 0; k < n; k++) {
			char *colon = strchr(steps[k], ':');
			Planreg__V1__ReminderStep *s =
				ARENA_NEW(&call->arena, Planreg__V1__ReminderStep, planreg__v1__reminder_step__init);
			if (colon) {
				*colon = '\0';
				s->step = colon + 1;
			}
			s->organisation = steps[k];
			*(Planreg__V1__ReminderStep **)arena_push(&call->arena, &m->steps, &m->n_steps, sizeof s) = s;
		}
		/* as many as fit in a frame; the next page starts after the last one */
		if (!reply_page_add(call, &used, &r->reminders, &r->n_reminders, &m->base)) {
			r->next_after_id = r->reminders[r->n_reminders - 1]->id;
			break;
		}
	}
	reply_ok(call, r);
}

void remind_list(struct rpc_call *call)
{
	const Planreg__V1__ListRemindersRequest *q = call->req->list_reminders;
	struct period p;
	char ps[PERIOD_FMT_MAX] = "";
	if (q->period[0] && !validate_period(call, "period", q->period, 0, &p)) {
		reply_violations(call, "invalid_filter");
		return;
	}
	if (q->period[0])
		period_format(p, ps);
	if (q->after_id < 0) {
		reply_violation(call, "after_id", "%lld is not a reminder id", (long long)q->after_id);
		reply_violations(call, "invalid_filter");
		return;
	}
	const char *params[2] = {ps[0] ? rpc_strdup(call, ps) : NULL, rpc_printf(call, "%lld", (long long)q->after_id)};
	query_run(call, SQL_LIST, 2, params, remind_list_done);
}
