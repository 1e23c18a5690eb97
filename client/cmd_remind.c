/* cmd_remind.c - `planreg remind run|log|policy`: the reminder job. The server
 * works out who is owed which reminder and claims it (a transactional outbox);
 * this command sends each digest over SMTP (mail.c) and acknowledges it. */
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "json.h"
#include "mail.h"
#include "period.h"
#include "xmalloc.h"

#define CMD_REMIND_MAX 100    /* digests per claim */
#define CMD_REMIND_LEASE 300  /* seconds a claim holds: time enough to send a hundred mails */
#define CMD_REMIND_ROUNDS 100 /* claims per run at most: 10,000 digests */
#define CMD_REMIND_DRY_MAX 1000

static const char cmd_remind_run_help[] =
	"Sends the reminders that are due: one e-mail digest per recipient listing\n"
	"every outstanding project of its organisation(s) (never reported, or returned\n"
	"with the reviewer's comment) and the commands that fill the return. The\n"
	"server decides what is due from the policy (`planreg remind policy show`) and\n"
	"records each step, so a step is never sent twice, two runs at once never send\n"
	"the same one, and a run with nothing due sends nothing. Organisations without\n"
	"a contact address are reminded through the Combined Authority's contact;\n"
	"organisations that stay late are escalated to it.\n\n"
	"--smtp takes smtp://HOST[:PORT] (STARTTLS when offered) or smtps://HOST[:PORT];\n"
	"without the flags: PLANREG_SMTP_URL, PLANREG_SMTP_FROM, PLANREG_SMTP_USER, then\n"
	"`smtp =`, `smtp_from =`, `smtp_user =` in client.conf. The password comes from\n"
	"PLANREG_SMTP_PASSWORD or ~/.netrc, never from the command line. The table format\n"
	"is a line per message and a summary (`--format text` is the same).\n\n"
	"Exit code 0 when every reminder went; 1 when any failed (they are retried by the\n"
	"next run) or had nobody to go to; 2 for bad options; 3 when the server cannot\n"
	"be reached.\n";

static const char cmd_remind_policy_help[] =
	"Shows the policy (`show`) or changes it (`set`, admin, with at least one of the\n"
	"options). Defaults: 7 days before, on the due date, every 7 days, escalate\n"
	"after 14.\n";

/* ---------------------------------------------------------------- run */

struct cmd_remind_run {
	enum output_format fmt;
	bool json;
	int sent, failed;
	struct output_rows *rows;
};

static void cmd_remind_steps(const Planreg__V1__ReminderDigest *g, char ***out, size_t *n)
{
	*out = xcalloc(g->n_steps + 1, sizeof **out);
	*n = g->n_steps;
	for (size_t i = 0; i < g->n_steps; i++)
		(*out)[i] = xasprintf("%s:%s", g->steps[i]->organisation, g->steps[i]->step);
}

static void cmd_remind_record(struct cmd_remind_run *run, const Planreg__V1__ReminderDigest *g, const char *result,
			      const char *error)
{
	char **steps;
	size_t n;
	cmd_remind_steps(g, &steps, &n);
	output_rows_begin(run->rows);
	if (g->id)
		output_rows_int(run->rows, "id", g->id);
	else
		output_rows_null(run->rows, "id");
	output_rows_str(run->rows, "recipient", g->recipient);
	output_rows_str(run->rows, "subject", g->subject);
	output_rows_list(run->rows, "steps", steps, n, ";");
	output_rows_str(run->rows, "result", result);
	output_rows_str(run->rows, "error", error);
	if (!run->json) {
		struct buf b = {0};
		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", steps[i]);
		if (strcmp(result, "sent") == 0)
			printf("sent %lld to %s: %s (%s)\n", (long long)g->id, g->recipient, g->subject, buf_str(&b));
		else if (strcmp(result, "failed") == 0)
			printf("FAILED %lld to %s: %s (%s); it will be retried\n", (long long)g->id, g->recipient,
			       error, buf_str(&b));
		else
			printf("would send to %s (%s)\nSubject: %s\n\n%s\n", g->recipient, buf_str(&b), g->subject,
			       g->body);
		buf_free(&b);
	}
	for (size_t i = 0; i < n; i++)
		free(steps[i]);
	free(steps);
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

/* One option of remind run into run/claim; false after a usage error. */
static bool cmd_remind_run_option(const struct cli_command *self, int ch, Planreg__V1__ClaimRemindersRequest *claim,
				  Planreg__V1__Date *as_of, char ps[PERIOD_FMT_MAX], const char **mail[3])
{
	switch (ch) {
	case CLI_KEY_AS_OF:
		if (cli_options_date(self, "--as-of", optarg) != EXIT_OK)
			return false;
		as_of->iso = optarg;
		claim->as_of = as_of;
		break;
	case CLI_KEY_PERIOD:
		if (cli_options_period(self, "--period", optarg, NULL, ps) != EXIT_OK)
			return false;
		break;
	case 'n':
		claim->dry_run = true;
		break;
	case 's':
		*mail[0] = optarg;
		break;
	case 'F':
		*mail[1] = optarg;
		break;
	case 'u':
		*mail[2] = optarg;
		break;
	}
	return true;
}

static int cmd_remind_run_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const struct cli_command *cmd = self;
	struct cmd_remind_run run = {.fmt = OUTPUT_TABLE};
	Planreg__V1__ClaimRemindersRequest claim = PLANREG__V1__CLAIM_REMINDERS_REQUEST__INIT;
	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	const char *smtp = NULL, *from = NULL, *user = NULL;
	const char **mail[3] = {&smtp, &from, &user};
	char ps[PERIOD_FMT_MAX] = "";
	struct cli_getopt opt;
	int ch;
	cli_getopt_begin(&opt, self, argc, argv);
	while ((ch = cli_getopt_next(&opt)) > 0)
		if (!cmd_remind_run_option(self, ch, &claim, &as_of, ps, mail))
			return EXIT_USAGE;
	if (ch < 0)
		return opt.rc;
	int src = cli_settings(cli);
	if (src != EXIT_OK)
		return src;
	smtp = smtp ? smtp : cli->settings.smtp_url;
	from = from ? from : cli->settings.smtp_from;
	user = user ? user : cli->settings.smtp_user;
	run.fmt = opt.format;
	claim.period = ps;
	run.json = run.fmt == OUTPUT_JSON;

	/* the mail settings are checked before anything is claimed */
	struct mail_sender *sender = NULL;
	if (!claim.dry_run) {
		if (smtp == NULL)
			return cli_usage(cmd, "--smtp URL is required (or PLANREG_SMTP_URL, or smtp = in client.conf)");
		if (from == NULL)
			return cli_usage(
				cmd, "--from ADDR is required (or PLANREG_SMTP_FROM, or smtp_from = in client.conf)");
		struct mail_settings ms = {
			.url = smtp, .user = user, .password = getenv("PLANREG_SMTP_PASSWORD"), .from = from};
		char *err = NULL;
		sender = mail_sender_new(&ms, &err);
		if (sender == NULL) {
			int rc = cli_usage(cmd, "%s", err);
			free(err);
			return rc;
		}
	}

	run.rows = output_rows_new();
	int rc = EXIT_OK;
	bool any_failed = false;
	struct buf unaddressed = {0};
	char period[PERIOD_FMT_MAX] = "", due[DATE_FMT_MAX] = "", day[DATE_FMT_MAX] = "";
	claim.max_messages = claim.dry_run ? CMD_REMIND_DRY_MAX : CMD_REMIND_MAX;
	claim.lease_seconds = CMD_REMIND_LEASE;
	struct json uj;
	json_init(&uj, &unaddressed, false);
	json_array_begin(&uj);
	size_t n_unaddressed = 0;
	for (int round = 0; round < CMD_REMIND_ROUNDS && rc == EXIT_OK; round++) {
		Planreg__V1__Response *resp;
		rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_CLAIM_REMINDERS, &claim, &resp);
		if (rc != EXIT_OK)
			break;
		const Planreg__V1__ClaimRemindersResponse *c = resp->claim_reminders;
		snprintf(period, sizeof period, "%s", c->period);
		snprintf(due, sizeof due, "%s", c->due);
		snprintf(day, sizeof day, "%s", c->as_of);
		if (round == 0)
			for (size_t i = 0; i < c->n_unaddressed; i++) {
				json_str(&uj, c->unaddressed[i]);
				n_unaddressed++;
				if (!run.json)
					fprintf(stderr, "planreg: not sent, nobody to send it to: %s\n",
						c->unaddressed[i]);
			}
		bool round_failed = false;
		for (size_t i = 0; i < c->n_digests; i++) {
			const Planreg__V1__ReminderDigest *g = c->digests[i];
			if (claim.dry_run) {
				cmd_remind_record(&run, g, "would_send", NULL);
				continue;
			}
			char *err = NULL;
			if (mail_send(sender, g->recipient, g->subject, g->body, &err)) {
				run.sent++;
				cmd_remind_record(&run, g, "sent", NULL);
				rc = cmd_remind_ack(cli, g->id, true, NULL);
			} else {
				run.failed++;
				round_failed = true;
				cmd_remind_record(&run, g, "failed", err);
				rc = cmd_remind_ack(cli, g->id, false, err ? err : "failed");
			}
			free(err);
			if (rc != EXIT_OK)
				break;
		}
		int more = c->more;
		planreg__v1__response__free_unpacked(resp, NULL);
		any_failed = any_failed || round_failed;
		/* a failed step may be claimed again at once: leave it to the next run */
		if (more == 0 || claim.dry_run || round_failed)
			break;
	}
	json_array_end(&uj);
	mail_sender_free(sender);
	if (rc == EXIT_OK) {
		if (run.json) {
			struct cli_json doc;
			struct json *j = cli_json_begin(&doc);
			json_object_begin(j);
			json_kv_str(j, "period", period);
			json_kv_str(j, "due", due);
			json_kv_str(j, "as_of", day);
			json_kv_bool(j, "dry_run", claim.dry_run);
			json_key(j, "messages");
			output_rows_json(run.rows, j);
			json_kv_int(j, "sent", run.sent);
			json_kv_int(j, "failed", run.failed);
			json_key(j, "unaddressed");
			json_raw(j, buf_str(&unaddressed));
			json_object_end(j);
			cli_json_end(&doc);
		} else if (claim.dry_run) {
			printf("remind %s as of %s (due %s): %zu would be sent (dry run: nothing claimed)\n", period,
			       day, due, output_rows_count(run.rows));
		} else {
			printf("remind %s as of %s (due %s): %d sent, %d failed%s\n", period, day, due, run.sent,
			       run.failed, run.sent + run.failed == 0 ? " (nothing due)" : "");
		}
		if (any_failed || n_unaddressed)
			rc = EXIT_REFUSED;
	}
	buf_free(&unaddressed);
	output_rows_free(run.rows);
	return rc;
}

/* ---------------------------------------------------------------- log */

static const char *const cmd_remind_log_keys[] = {"id",       "period", "as_of",      "recipient",
						  "subject",  "state",  "claimed_at", "claimed_by",
						  "acked_at", "error",  "steps"};

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
	enum output_format fmt = g.format;
	Planreg__V1__ListRemindersRequest body = PLANREG__V1__LIST_REMINDERS_REQUEST__INIT;
	body.period = ps;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_REMINDERS, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListRemindersResponse *l = resp->list_reminders;
	struct output_rows *r = output_rows_new();
	static const char *const headers[] = {"ID",        "PERIOD",     "AS OF", "STATE",
					      "RECIPIENT", "CLAIMED AT", "STEPS", "SUBJECT"};
	struct output_table *tab = output_table_new(headers, sizeof headers / sizeof headers[0], 1u << 7);
	for (size_t i = 0; i < l->n_reminders; i++) {
		const Planreg__V1__ReminderRecord *m = l->reminders[i];
		char **steps = xcalloc(m->n_steps + 1, sizeof *steps);
		struct buf joined = {0};
		for (size_t k = 0; k < m->n_steps; k++) {
			steps[k] = xasprintf("%s:%s", m->steps[k]->organisation, m->steps[k]->step);
			buf_printf(&joined, "%s%s", k ? "," : "", steps[k]);
		}
		output_rows_begin(r);
		output_rows_int(r, "id", m->id);
		output_rows_str(r, "period", m->period);
		output_rows_str(r, "as_of", m->as_of);
		output_rows_str(r, "recipient", m->recipient);
		output_rows_str(r, "subject", m->subject);
		output_rows_str(r, "state", m->state);
		output_rows_str(r, "claimed_at", m->claimed_at);
		output_rows_str(r, "claimed_by", m->claimed_by);
		output_rows_str(r, "acked_at", m->acked_at[0] ? m->acked_at : NULL);
		output_rows_str(r, "error", m->error[0] ? m->error : NULL);
		output_rows_list(r, "steps", steps, m->n_steps, ";");
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)m->id);
		char *state = m->error[0] ? xasprintf("%s: %s", m->state, m->error) : xstrdup(m->state);
		const char *cells[] = {id,           m->period,     m->as_of,         state,
				       m->recipient, m->claimed_at, buf_str(&joined), m->subject};
		output_table_row(tab, cells);
		free(state);
		buf_free(&joined);
		for (size_t k = 0; k < m->n_steps; k++)
			free(steps[k]);
		free(steps);
	}
	if (fmt != OUTPUT_TABLE) {
		cli_rows_print(r, cmd_remind_log_keys, sizeof cmd_remind_log_keys / sizeof cmd_remind_log_keys[0], fmt);
	} else {
		output_table_print(tab, OUTPUT_TABLE, stdout);
	}
	output_table_free(tab);
	output_rows_free(r);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- policy */

static void cmd_remind_print_policy(const Planreg__V1__ReminderPolicy *p, enum output_format fmt)
{
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_int(j, "days_before", p->days_before);
		json_kv_bool(j, "on_due_date", p->on_due_date);
		json_kv_int(j, "overdue_every", p->overdue_every);
		json_kv_int(j, "escalate_after", p->escalate_after);
		json_kv_str(j, "updated_by", p->updated_by);
		json_kv_str(j, "updated_at", p->updated_at);
		json_object_end(j);
		cli_json_end(&doc);
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

/* One option of remind policy set; false after a usage error. */
static bool cmd_remind_policy_option(const struct cli_command *cmd, int ch, int32_t *before, int *on_due,
				     int32_t *every, int32_t *escalate)
{
	switch (ch) {
	case 'b':
		if (!cmd_remind_number(optarg, 0, 90, before))
			return cli_usage(cmd, "--days-before takes 0-90 days, not \"%s\"", optarg), false;
		break;
	case 'd':
		if (strcmp(optarg, "yes") == 0 || strcmp(optarg, "true") == 0)
			*on_due = 1;
		else if (strcmp(optarg, "no") == 0 || strcmp(optarg, "false") == 0)
			*on_due = 0;
		else
			return cli_usage(cmd, "--on-due-date takes yes or no, not \"%s\"", optarg), false;
		break;
	case 'e':
		if (!cmd_remind_number(optarg, 1, 90, every))
			return cli_usage(cmd, "--overdue-every takes 1-90 days, not \"%s\"", optarg), false;
		break;
	case 'k':
		if (!cmd_remind_number(optarg, 0, 365, escalate))
			return cli_usage(cmd, "--escalate-after takes 0-365 days, not \"%s\"", optarg), false;
		break;
	}
	return true;
}

static int cmd_remind_policy_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	const struct cli_command *cmd = self;
	int32_t before = -1, every = -1, escalate = -1;
	int on_due = -1;
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		if (!cmd_remind_policy_option(cmd, ch, &before, &on_due, &every, &escalate))
			return EXIT_USAGE;
	if (ch < 0)
		return g.rc;
	enum output_format fmt = g.format;
	const char *what = g.args[0];
	if (strcmp(what, "show") != 0 && strcmp(what, "set") != 0)
		return cli_usage(cmd, "give show or set, not \"%s\"", what);
	bool set = strcmp(what, "set") == 0;
	bool changes = before >= 0 || every >= 0 || escalate >= 0 || on_due >= 0;
	if (!set && changes)
		return cli_usage(cmd, "the options that change the policy go with `set`");
	if (set && !changes)
		return cli_usage(
			cmd, "give at least one of --days-before, --on-due-date, --overdue-every, --escalate-after");

	Planreg__V1__GetReminderPolicyRequest get = PLANREG__V1__GET_REMINDER_POLICY_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_GET_REMINDER_POLICY, &get, &resp);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__ReminderPolicy *p = resp->get_reminder_policy->policy;
	if (p == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no policy");
	}
	if (!set) {
		cmd_remind_print_policy(p, fmt);
		planreg__v1__response__free_unpacked(resp, NULL);
		return EXIT_OK;
	}
	if (before >= 0)
		p->days_before = before;
	if (every >= 0)
		p->overdue_every = every;
	if (escalate >= 0)
		p->escalate_after = escalate;
	if (on_due >= 0)
		p->on_due_date = on_due;
	Planreg__V1__SetReminderPolicyRequest sb = PLANREG__V1__SET_REMINDER_POLICY_REQUEST__INIT;
	sb.policy = p;
	Planreg__V1__Response *sresp;
	rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY, &sb, &sresp);
	planreg__v1__response__free_unpacked(resp, NULL);
	if (rc != EXIT_OK)
		return rc;
	if (sresp->set_reminder_policy->policy)
		cmd_remind_print_policy(sresp->set_reminder_policy->policy, fmt);
	planreg__v1__response__free_unpacked(sresp, NULL);
	return EXIT_OK;
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
