/* cmd_remind.c - `planreg remind run|log|policy`: the reminder job. The server
 * works out who is owed which reminder and claims it (a transactional outbox);
 * this command sends each digest over SMTP (mail.c) and acknowledges it. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli_options.h"
#include "json.h"
#include "mail.h"
#include "mailbox.h"
#include "period.h"
#include "xmalloc.h"

#define CMD_REMIND_MAX 100    /* digests per claim */
#define CMD_REMIND_LEASE 300  /* seconds a claim holds: time enough to send a hundred mails */
#define CMD_REMIND_ROUNDS 100 /* claims per run at most: 10,000 digests */
#define CMD_REMIND_DRY_MAX 1000

static const char cmd_remind_run_help[] =
	"Sends the reminders that are due: one e-mail digest to all the contacts of an\n"
	"organisation at once, listing every outstanding project (never reported, or\n"
	"returned with the reviewer's comment), the commands that fill the return, who\n"
	"to ask to be set up, and when the next reminder comes. Replies go to the\n"
	"programme contact (`planreg remind policy set --programme-contact`). The\n"
	"server decides what is due from the policy (`planreg remind policy show`) and\n"
	"records each step, so a step is never sent twice, two runs at once never send\n"
	"the same one, and a run with nothing due sends nothing. Organisations without\n"
	"a contact address are reminded through the Combined Authority's contact;\n"
	"organisations that stay late are escalated to it, after the grace that follows\n"
	"the job's first run.\n\n"
	"--smtp takes smtp://HOST[:PORT] (STARTTLS when offered) or smtps://HOST[:PORT];\n"
	"without the flags: PLANREG_SMTP_URL, PLANREG_SMTP_FROM, PLANREG_SMTP_USER, then\n"
	"`smtp =`, `smtp_from =`, `smtp_user =` in client.conf. The password comes from\n"
	"PLANREG_SMTP_PASSWORD or ~/.netrc, never from the command line, and goes only\n"
	"over TLS: with a login, a server that offers no STARTTLS gets nothing. The table format\n"
	"is a line per message and a summary (`--format text` is the same).\n\n"
	"Exit code 0 when every reminder went; 1 when any failed (they are retried by the\n"
	"next run), had nobody to go to, or was refused for one of its addresses (the\n"
	"others got it: correct that contact); 2 for bad options; 3 when the server\n"
	"cannot be reached.\n";

static const char cmd_remind_policy_help[] =
	"Shows the policy (`show`) or changes it (`set`, admin, with at least one of the\n"
	"options). Defaults: 7 days before, on the due date, every 7 days, escalate\n"
	"after 14, but nothing escalated in the first 14 days after the job's first\n"
	"run (a new deployment's organisations hear from the job before the Combined\n"
	"Authority is told). The programme contact (\"Full Name <name@example.org>\")\n"
	"is named in every reminder as the person to ask, and replies go to them;\n"
	"without one, the Combined Authority's first contact stands in.\n";

/* ---------------------------------------------------------------- run */

/* "ORG:STEP" for each step of a reminder (in a). */
static char **cmd_remind_steps(struct arena *a, Planreg__V1__ReminderStep *const *steps, size_t n)
{
	char **out = arena_alloc(a, (n + 1) * sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = arena_printf(a, "%s:%s", steps[i]->organisation, steps[i]->step);
	return out;
}

/* One run of the reminder job: what it was asked to do, and what it did. */
struct cmd_remind_run {
	struct cli *cli;
	bool json; /* --format json: one document at the end; otherwise a line per message as it goes */
	Planreg__V1__ClaimRemindersRequest claim;
	Planreg__V1__Date as_of;
	char period_opt[PERIOD_FMT_MAX]; /* --period, or "" for the server's choice */
	const char *smtp, *from, *user;  /* --smtp, --from, --smtp-user */
	struct mail_sender *sender;      /* NULL on a dry run */
	/* what the server said it is for, from the last claim */
	char period[PERIOD_FMT_MAX], due[DATE_FMT_MAX], day[DATE_FMT_MAX];
	char reply_to[MAILBOX_MAX]; /* the Reply-To of every digest: the programme contact, or "" */
	int sent, failed;
	bool any_failed;
	struct output_rows *rows; /* a row per message */
	struct buf unaddressed;   /* a JSON array of what had nobody to go to */
	struct json unaddressed_json;
	size_t n_unaddressed;
};

/* One message's outcome: a row, and unless the output is JSON a line at once. */
static void cmd_remind_record(struct cmd_remind_run *run, const Planreg__V1__ReminderDigest *g, const char *result,
			      const char *error)
{
	struct arena a = {0};
	char **steps = cmd_remind_steps(&a, g->steps, g->n_steps);
	output_rows_begin(run->rows);
	if (g->id)
		output_rows_int(run->rows, "id", g->id);
	else
		output_rows_null(run->rows, "id");
	output_rows_str(run->rows, "recipient", g->recipient);
	output_rows_str(run->rows, "subject", g->subject);
	output_rows_list(run->rows, "steps", steps, g->n_steps, ";");
	output_rows_str(run->rows, "result", result);
	output_rows_str(run->rows, "error", error);
	if (!run->json) {
		const char *joined = output_join(&a, steps, g->n_steps, ", ");
		if (strcmp(result, "sent") == 0)
			printf("sent %lld to %s: %s (%s)\n", (long long)g->id, g->recipient, g->subject, joined);
		else if (strcmp(result, "partly_sent") == 0)
			printf("sent %lld to %s: %s (%s); REFUSED for %s: correct that contact\n", (long long)g->id,
			       g->recipient, g->subject, joined, error);
		else if (strcmp(result, "failed") == 0)
			printf("FAILED %lld to %s: %s (%s); it will be retried\n", (long long)g->id, g->recipient,
			       error, joined);
		else
			printf("would send to %s (%s)\n%s%s%sSubject: %s\n\n%s\n", g->recipient, joined,
			       run->reply_to[0] ? "Reply-To: " : "", run->reply_to, run->reply_to[0] ? "\n" : "",
			       g->subject, g->body);
	}
	arena_free(&a);
}

/* Records what the SMTP server said; a lost acknowledgement leaves the claim to run out and be retried. */
static int cmd_remind_ack(struct cli *cli, int64_t id, bool delivered, const char *error)
{
	Planreg__V1__AckReminderRequest ack = PLANREG__V1__ACK_REMINDER_REQUEST__INIT;
	ack.id = id;
	ack.delivered = delivered;
	ack.error = (char *)(error ? error : "");
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_ACK_REMINDER, &ack, &resp);
	if (rc == EXIT_OK)
		planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* One option of remind run into run; false after a usage error. */
static bool cmd_remind_run_option(const struct cli_command *self, int ch, struct cmd_remind_run *run)
{
	switch (ch) {
	case CLI_KEY_AS_OF:
		if (cli_options_date(self, "--as-of", optarg) != EXIT_OK)
			return false;
		run->as_of.iso = optarg;
		run->claim.as_of = &run->as_of;
		break;
	case CLI_KEY_PERIOD:
		if (cli_options_period(self, "--period", optarg, NULL, run->period_opt) != EXIT_OK)
			return false;
		break;
	case 'n':
		run->claim.dry_run = true;
		break;
	case 's':
		run->smtp = optarg;
		break;
	case 'F':
		run->from = optarg;
		break;
	case 'u':
		run->user = optarg;
		break;
	}
	return true;
}

/*
 * The mail settings: each flag, else the settings (PLANREG_SMTP_*, then
 * client.conf), checked before anything is claimed, and the sender made from
 * them. A dry run sends nothing and needs none. The exit code.
 */
static int cmd_remind_run_sender(struct cmd_remind_run *run, const struct cli_command *cmd)
{
	int rc = cli_settings(run->cli);
	if (rc != EXIT_OK || run->claim.dry_run)
		return rc;
	const struct settings *st = &run->cli->settings;
	const char *smtp = run->smtp ? run->smtp : st->smtp_url, *from = run->from ? run->from : st->smtp_from;
	if (smtp == NULL)
		return cli_usage(cmd, "--smtp URL is required (or PLANREG_SMTP_URL, or smtp = in client.conf)");
	if (from == NULL)
		return cli_usage(cmd, "--from ADDR is required (or PLANREG_SMTP_FROM, or smtp_from = in client.conf)");
	char *err = NULL;
	run->sender = mail_sender_for(smtp, run->user ? run->user : st->smtp_user, from, &err);
	if (run->sender == NULL) {
		rc = cli_usage(cmd, "%s", err);
		free(err);
	}
	return rc;
}

/* Sends one claimed digest (or shows it, on a dry run) and acknowledges it; *failed is set when it failed. */
static int cmd_remind_run_digest(struct cmd_remind_run *run, const Planreg__V1__ReminderDigest *g, bool *failed)
{
	if (run->claim.dry_run) {
		cmd_remind_record(run, g, "would_send", NULL);
		return EXIT_OK;
	}
	/* every contact in To: of one message; an older server names one recipient only */
	const char *one[1] = {g->recipient};
	struct mail_message msg = {.to = g->n_recipients ? (const char *const *)g->recipients : one,
				   .n_to = g->n_recipients ? g->n_recipients : 1,
				   .reply_to = run->reply_to,
				   .subject = g->subject,
				   .body = g->body};
	char *err = NULL, *refused = NULL;
	int rc;
	if (mail_send(run->sender, &msg, &refused, &err)) {
		run->sent++;
		if (refused) {
			*failed = true; /* delivered to the others; the exit code says a contact needs correcting */
			err = xasprintf("not accepted for %s", refused);
		}
		cmd_remind_record(run, g, refused ? "partly_sent" : "sent", err);
		rc = cmd_remind_ack(run->cli, g->id, true, err);
		free(refused);
	} else {
		run->failed++;
		*failed = true;
		cmd_remind_record(run, g, "failed", err);
		rc = cmd_remind_ack(run->cli, g->id, false, err ? err : "failed");
	}
	free(err);
	return rc;
}

/* What one claim gave: the reminders with nobody to send them to (said once), then each digest. */
static int cmd_remind_run_claimed(struct cmd_remind_run *run, const Planreg__V1__ClaimRemindersResponse *c, int round,
				  bool *failed)
{
	snprintf(run->period, sizeof run->period, "%s", c->period);
	snprintf(run->due, sizeof run->due, "%s", c->due);
	snprintf(run->day, sizeof run->day, "%s", c->as_of);
	snprintf(run->reply_to, sizeof run->reply_to, "%s", c->reply_to);
	for (size_t i = 0; round == 0 && i < c->n_unaddressed; i++) {
		json_str(&run->unaddressed_json, c->unaddressed[i]);
		run->n_unaddressed++;
		if (!run->json)
			fprintf(stderr, "planreg: not sent, nobody to send it to: %s\n", c->unaddressed[i]);
	}
	int rc = EXIT_OK;
	for (size_t i = 0; i < c->n_digests && rc == EXIT_OK; i++)
		rc = cmd_remind_run_digest(run, c->digests[i], failed);
	return rc;
}

/* The claim loop: claim what is due, send it, until nothing more is due (or a round fails). */
static int cmd_remind_run_claims(struct cmd_remind_run *run)
{
	run->claim.period = run->period_opt;
	run->claim.max_messages = run->claim.dry_run ? CMD_REMIND_DRY_MAX : CMD_REMIND_MAX;
	run->claim.lease_seconds = CMD_REMIND_LEASE;
	int rc = EXIT_OK;
	for (int round = 0; round < CMD_REMIND_ROUNDS && rc == EXIT_OK; round++) {
		Planreg__V1__Response *resp;
		rc = cli_request(run->cli, PLANREG__V1__REQUEST__BODY_CLAIM_REMINDERS, &run->claim, &resp);
		if (rc != EXIT_OK)
			break;
		bool round_failed = false;
		rc = cmd_remind_run_claimed(run, resp->claim_reminders, round, &round_failed);
		int more = resp->claim_reminders->more;
		planreg__v1__response__free_unpacked(resp, NULL);
		run->any_failed = run->any_failed || round_failed;
		/* a failed step may be claimed again at once: leave it to the next run */
		if (more == 0 || run->claim.dry_run || round_failed)
			break;
	}
	return rc;
}

/* "2026-Q3 (1 July to 30 September 2026, due Wednesday 14 October 2026)": the period explained (as the deployment
 * names it: "FY2026/27-Q2 (1 July ..." in financial years). */
static void cmd_remind_period_words(const struct cmd_remind_run *run, char *out, size_t size)
{
	struct period p;
	struct date due;
	char span[PERIOD_WORDS_MAX] = "", day[DATE_WORDS_MAX] = "";
	if (period_parse(run->period, &p))
		period_format_words(p, span);
	if (date_parse(run->due, &due))
		date_format_words(due, day);
	if (span[0] && day[0])
		snprintf(out, size, "%s (%s, due %s)", cli_period_name(run->period), span, day);
	else
		snprintf(out, size, "%s (due %s)", cli_period_name(run->period), run->due);
}

/* The outcome: the JSON document, or the summary line. */
static void cmd_remind_run_print(const struct cmd_remind_run *run)
{
	if (!run->json) {
		char what[PERIOD_NAME_MAX + PERIOD_WORDS_MAX + DATE_WORDS_MAX + 16];
		cmd_remind_period_words(run, what, sizeof what);
		if (run->claim.dry_run)
			printf("remind %s as of %s: %zu would be sent (dry run: nothing claimed)\n", what, run->day,
			       output_rows_count(run->rows));
		else
			printf("remind %s as of %s: %d sent, %d failed%s\n", what, run->day, run->sent, run->failed,
			       run->sent + run->failed == 0 ? " (nothing due)" : "");
		return;
	}
	struct cli_json doc;
	struct json *j = cli_json_begin(&doc);
	json_object_begin(j);
	json_kv_str(j, "period", cli_period_name(run->period));
	json_kv_str(j, "due", run->due);
	json_kv_str(j, "as_of", run->day);
	json_kv_str(j, "reply_to", run->reply_to[0] ? run->reply_to : NULL);
	json_kv_bool(j, "dry_run", run->claim.dry_run);
	json_key(j, "messages");
	output_rows_json(run->rows, j);
	json_kv_int(j, "sent", run->sent);
	json_kv_int(j, "failed", run->failed);
	json_key(j, "unaddressed");
	json_raw(j, buf_str(&run->unaddressed));
	json_object_end(j);
	cli_json_end(&doc);
}

static int cmd_remind_run_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cmd_remind_run run = {
		.cli = cli, .claim = PLANREG__V1__CLAIM_REMINDERS_REQUEST__INIT, .as_of = PLANREG__V1__DATE__INIT};
	struct cli_getopt opt;
	int ch;
	cli_getopt_begin(&opt, self, argc, argv);
	while ((ch = cli_getopt_next(&opt)) > 0)
		if (!cmd_remind_run_option(self, ch, &run))
			return EXIT_USAGE;
	if (ch < 0)
		return opt.rc;
	run.json = opt.format == OUTPUT_JSON;
	int rc = cmd_remind_run_sender(&run, self);
	if (rc != EXIT_OK)
		return rc;
	run.rows = output_rows_new();
	json_init(&run.unaddressed_json, &run.unaddressed, false);
	json_array_begin(&run.unaddressed_json);
	rc = cmd_remind_run_claims(&run);
	json_array_end(&run.unaddressed_json);
	mail_sender_free(run.sender);
	if (rc == EXIT_OK) {
		cmd_remind_run_print(&run);
		if (run.any_failed || run.n_unaddressed)
			rc = EXIT_REFUSED;
	}
	buf_free(&run.unaddressed);
	output_rows_free(run.rows);
	return rc;
}

/* ---------------------------------------------------------------- log */

static const char *const cmd_remind_log_keys[] = {"id",       "period", "as_of",      "recipient",
						  "subject",  "state",  "claimed_at", "claimed_by",
						  "acked_at", "error",  "steps"};

static void cmd_remind_log_rows(struct output_rows *r, const void *answer, const void *arg)
{
	const Planreg__V1__ListRemindersResponse *l = answer;
	struct arena a = {0};
	for (size_t i = 0; i < l->n_reminders; i++) {
		const Planreg__V1__ReminderRecord *m = l->reminders[i];
		output_rows_begin(r);
		output_rows_int(r, "id", m->id);
		output_rows_str(r, "period", cli_period_name(m->period));
		output_rows_fields(r, &m->base, "as_of recipient subject state claimed_at claimed_by");
		output_rows_text(r, "acked_at", m->acked_at);
		output_rows_text(r, "error", m->error);
		output_rows_list(r, "steps", cmd_remind_steps(&a, m->steps, m->n_steps), m->n_steps, ";");
	}
	arena_free(&a);
}

static struct output_table *cmd_remind_log_table(const void *answer, const void *arg)
{
	const Planreg__V1__ListRemindersResponse *l = answer;
	static const char *const headers[] = {"ID",        "PERIOD",     "AS OF", "STATE",
					      "RECIPIENT", "CLAIMED AT", "STEPS", "SUBJECT"};
	struct output_table *tab = output_table_new(headers, sizeof headers / sizeof headers[0], 1u << 7);
	struct arena a = {0};
	for (size_t i = 0; i < l->n_reminders; i++) {
		const Planreg__V1__ReminderRecord *m = l->reminders[i];
		const char *state = m->error[0] ? arena_printf(&a, "%s: %s", m->state, m->error) : m->state;
		const char *cells[] = {arena_printf(&a, "%lld", (long long)m->id),
				       cli_period_name(m->period),
				       m->as_of,
				       state,
				       m->recipient,
				       m->claimed_at,
				       output_join(&a, cmd_remind_steps(&a, m->steps, m->n_steps), m->n_steps, ","),
				       m->subject};
		output_table_row(tab, cells);
	}
	arena_free(&a);
	return tab;
}

CLI_LISTING_OF(cmd_remind_log);

/* The next page of the log starts after the last one's last record (the server fills each up to its frame limit). */
static bool cmd_remind_log_next(void *body, const void *answer)
{
	Planreg__V1__ListRemindersRequest *q = body;
	const Planreg__V1__ListRemindersResponse *l = answer;
	if (l->next_after_id <= q->after_id)
		return false;
	q->after_id = l->next_after_id;
	return true;
}

static int cmd_remind_log_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	char ps[PERIOD_FMT_MAX] = "";
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		if (cli_options_period(self, "--period", optarg, NULL, ps) != EXIT_OK)
			return EXIT_USAGE;
	if (ch < 0)
		return g.rc;
	Planreg__V1__ListRemindersRequest body = PLANREG__V1__LIST_REMINDERS_REQUEST__INIT;
	body.period = ps;
	return cli_listing_pages(cli, PLANREG__V1__REQUEST__BODY_LIST_REMINDERS, &body, "reminders",
				 cmd_remind_log_next, &cmd_remind_log_listing, NULL, g.format);
}

/* ---------------------------------------------------------------- policy */

static void cmd_remind_print_policy_json(const Planreg__V1__ReminderPolicy *p)
{
	struct cli_json doc;
	struct json *j = cli_json_begin(&doc);
	json_object_begin(j);
	cli_json_fields(j, &p->base,
			"days_before on_due_date overdue_every escalate_after updated_by updated_at escalate_grace");
	json_kv_str(j, "programme_contact", p->programme_contact[0] ? p->programme_contact : NULL);
	json_kv_str(j, "first_run", p->first_run[0] ? p->first_run : NULL);
	json_object_end(j);
	cli_json_end(&doc);
}

static void cmd_remind_print_policy(const Planreg__V1__ReminderPolicy *p, enum output_format fmt)
{
	if (fmt == OUTPUT_JSON) {
		cmd_remind_print_policy_json(p);
		return;
	}
	printf("remind %d day%s before the due date%s\n", p->days_before, p->days_before == 1 ? "" : "s",
	       p->days_before == 0 ? " (none)" : "");
	printf("remind on the due date: %s\n", p->on_due_date ? "yes" : "no");
	printf("remind every %d day%s while overdue\n", p->overdue_every, p->overdue_every == 1 ? "" : "s");
	if (p->escalate_after)
		printf("escalate to the Combined Authority's contact once %d days late\n", p->escalate_after);
	else
		printf("never escalate\n");
	if (p->escalate_grace)
		printf("but escalate nothing in the first %d days after the job's first run (%s)\n", p->escalate_grace,
		       p->first_run[0] ? p->first_run : "it has not run yet");
	else
		printf("no grace after the job's first run%s%s%s\n", p->first_run[0] ? " (" : "", p->first_run,
		       p->first_run[0] ? ")" : "");
	if (p->programme_contact[0])
		printf("programme contact (named in reminders, and their Reply-To): %s\n", p->programme_contact);
	else
		printf("programme contact: none set (the Combined Authority's first contact stands in)\n");
	printf("(set by %s at %s)\n", p->updated_by, p->updated_at);
}

static bool cmd_remind_number(const char *s, int lo, int hi, int32_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (int32_t)v;
	return true;
}

/* What `remind policy set` changes: -1 (NULL) for what it leaves. */
struct cmd_remind_policy_set {
	int32_t before, every, escalate, grace;
	int on_due;
	const char *contact; /* "" clears it */
};

/* One option of remind policy set; false after a usage error. */
static bool cmd_remind_policy_option(const struct cli_command *cmd, int ch, struct cmd_remind_policy_set *c)
{
	switch (ch) {
	case 'b':
		if (!cmd_remind_number(optarg, 0, 90, &c->before))
			return cli_usage(cmd, "--days-before takes 0-90 days, not \"%s\"", optarg), false;
		break;
	case 'd':
		if (strcmp(optarg, "yes") == 0 || strcmp(optarg, "true") == 0)
			c->on_due = 1;
		else if (strcmp(optarg, "no") == 0 || strcmp(optarg, "false") == 0)
			c->on_due = 0;
		else
			return cli_usage(cmd, "--on-due-date takes yes or no, not \"%s\"", optarg), false;
		break;
	case 'e':
		if (!cmd_remind_number(optarg, 1, 90, &c->every))
			return cli_usage(cmd, "--overdue-every takes 1-90 days, not \"%s\"", optarg), false;
		break;
	case 'k':
		if (!cmd_remind_number(optarg, 0, 365, &c->escalate))
			return cli_usage(cmd, "--escalate-after takes 0-365 days, not \"%s\"", optarg), false;
		break;
	case 'g':
		if (!cmd_remind_number(optarg, 0, 365, &c->grace))
			return cli_usage(cmd, "--escalate-grace takes 0-365 days, not \"%s\"", optarg), false;
		break;
	case 'c': {
		struct mailbox m;
		const char *why = optarg[0] ? mailbox_parse(optarg, &m) : NULL;
		char text[MAILBOX_MAX + 400];
		if (why) {
			mailbox_error(optarg, why, text, sizeof text);
			return cli_usage(cmd, "--programme-contact: %s (or \"\" for none)", text), false;
		}
		c->contact = optarg;
		break;
	}
	}
	return true;
}

static bool cmd_remind_policy_changes(const struct cmd_remind_policy_set *c)
{
	return c->before >= 0 || c->every >= 0 || c->escalate >= 0 || c->on_due >= 0 || c->grace >= 0 || c->contact;
}

/* The changes into the policy as read. */
static void cmd_remind_policy_apply(const struct cmd_remind_policy_set *c, Planreg__V1__ReminderPolicy *p)
{
	if (c->before >= 0)
		p->days_before = c->before;
	if (c->every >= 0)
		p->overdue_every = c->every;
	if (c->escalate >= 0)
		p->escalate_after = c->escalate;
	if (c->on_due >= 0)
		p->on_due_date = c->on_due;
	if (c->grace >= 0)
		p->escalate_grace = c->grace;
	if (c->contact)
		p->programme_contact = (char *)c->contact;
}

/* Writes the policy back changed (admin), and prints it as the server answered. */
static int cmd_remind_policy_write(struct cli *cli, Planreg__V1__ReminderPolicy *p, enum output_format fmt)
{
	Planreg__V1__SetReminderPolicyRequest sb = PLANREG__V1__SET_REMINDER_POLICY_REQUEST__INIT;
	sb.policy = p;
	Planreg__V1__Response *sresp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY, &sb, &sresp);
	if (rc != EXIT_OK)
		return rc;
	if (sresp->set_reminder_policy->policy)
		cmd_remind_print_policy(sresp->set_reminder_policy->policy, fmt);
	planreg__v1__response__free_unpacked(sresp, NULL);
	return EXIT_OK;
}

static int cmd_remind_policy_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cmd_remind_policy_set c = {.before = -1, .every = -1, .escalate = -1, .grace = -1, .on_due = -1};
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		if (!cmd_remind_policy_option(self, ch, &c))
			return EXIT_USAGE;
	if (ch < 0)
		return g.rc;
	const char *what = g.args[0];
	if (strcmp(what, "show") != 0 && strcmp(what, "set") != 0)
		return cli_usage(self, "give show or set, not \"%s\"", what);
	bool set = strcmp(what, "set") == 0;
	if (!set && cmd_remind_policy_changes(&c))
		return cli_usage(self, "the options that change the policy go with `set`");
	if (set && !cmd_remind_policy_changes(&c))
		return cli_usage(self, "give at least one of --days-before, --on-due-date, --overdue-every, "
				       "--escalate-after, --escalate-grace, --programme-contact");

	Planreg__V1__GetReminderPolicyRequest get = PLANREG__V1__GET_REMINDER_POLICY_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_REMINDER_POLICY, &get, &resp);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__ReminderPolicy *p = resp->get_reminder_policy->policy;
	if (p == NULL)
		rc = cli_fail(EXIT_REFUSED, "the server's answer has no policy");
	else if (!set)
		cmd_remind_print_policy(p, g.format);
	else {
		char *answer_contact = p->programme_contact; /* the answer's own, freed with it */
		cmd_remind_policy_apply(&c, p);
		rc = cmd_remind_policy_write(cli, p, g.format);
		p->programme_contact = answer_contact;
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

static const struct cli_option cmd_remind_run_options[] = {
	{CLI_OPTION_AS_OF},
	{CLI_OPTION_PERIOD, .when_absent = "the last quarter ended before DATE"},
	{.name = "dry-run", .key = 'n', .help = "show what would be sent; claim and send nothing"},
	{.name = "smtp",
	 .key = 's',
	 .arg = "URL",
	 .help = "the mail server, smtp://HOST[:PORT] or smtps://HOST[:PORT]"},
	{.name = "from", .key = 'F', .arg = "ADDR", .help = "the sender address"},
	{.name = "smtp-user", .key = 'u', .arg = "USER", .help = "AUTH user (or user@ in the URL)"},
	{0},
};

const struct cli_command cmd_remind_run = {
	.noun = "remind",
	.verb = "run",
	.options = cmd_remind_run_options,
	.formats = CLI_FMT_RECORD,
	.summary = "send the reminders that are due, one e-mail digest per recipient",
	.help = cmd_remind_run_help,
	.run = cmd_remind_run_run,
};

static const struct cli_option cmd_remind_log_options[] = {
	{CLI_OPTION_PERIOD, .when_absent = "every quarter"},
	{0},
};

const struct cli_command cmd_remind_log = {
	.noun = "remind",
	.verb = "log",
	.options = cmd_remind_log_options,
	.formats = CLI_FMT_LISTING,
	.summary = "what the reminder job sent, to whom, and the outcome",
	.help = "What the reminder job sent, when, to whom, and the outcome.\n",
	.run = cmd_remind_log_run,
};

static const struct cli_option cmd_remind_policy_options[] = {
	{.name = "days-before",
	 .key = 'b',
	 .arg = "N",
	 .help = "first reminder N days before the due date (0-90; 0: none)"},
	{.name = "on-due-date",
	 .key = 'd',
	 .arg = "yes|no",
	 .help = "a reminder on the due date",
	 .complete = CLI_COMPLETE_CHOICES,
	 .choices = "yes no"},
	{.name = "overdue-every", .key = 'e', .arg = "M", .help = "then every M days while overdue (1-90)"},
	{.name = "escalate-after",
	 .key = 'k',
	 .arg = "K",
	 .help = "tell the Combined Authority's contact once K days late (0-365; 0: never)"},
	{.name = "escalate-grace",
	 .key = 'g',
	 .arg = "G",
	 .help = "escalate nothing in the first G days after the job's first run (0-365; 0: no grace)"},
	{.name = "programme-contact",
	 .key = 'c',
	 .arg = "MAILBOX",
	 .help = "whom reminders name to ask, and their Reply-To: \"Full Name <name@example.org>\" (\"\": none)"},
	{0},
};

const struct cli_command cmd_remind_policy = {
	.noun = "remind",
	.verb = "policy",
	.args = "show|set",
	.min_args = 1,
	.max_args = 1,
	.args_what = "show or set",
	.options = cmd_remind_policy_options,
	.formats = CLI_FMT_RECORD,
	.summary = "when reminders go (admin to change)",
	.help = cmd_remind_policy_help,
	.run = cmd_remind_policy_run,
};
