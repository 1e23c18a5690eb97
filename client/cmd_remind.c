/* cmd_remind.c - `planreg remind run|log|policy`: the reminder job. The server
 * works out who is owed which reminder and claims it (a transactional outbox);
 * this command sends each digest over SMTP (mail.c) and acknowledges it. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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
	"Options:\n"
	"  --as-of DATE            the day to act for, YYYY-MM-DD (default today, UTC)\n"
	"  --period YYYY-Qn        the quarter (default: the last quarter ended before DATE)\n"
	"  --dry-run               show what would be sent; claim and send nothing\n"
	"  --smtp URL              smtp://HOST[:PORT] (STARTTLS when offered) or\n"
	"                          smtps://HOST[:PORT]; PLANREG_SMTP_URL, `smtp =` in client.conf\n"
	"  --from ADDR             the sender address; PLANREG_SMTP_FROM, `smtp_from =`\n"
	"  --smtp-user USER        AUTH user (or user@ in the URL); PLANREG_SMTP_USER, `smtp_user =`.\n"
	"                          The password comes from PLANREG_SMTP_PASSWORD or ~/.netrc,\n"
	"                          never from the command line\n"
	"  --format text|json      output (default text: a line per message and a summary)\n\n"
	"Exit code 0 when every reminder went; 1 when any failed (they are retried by the\n"
	"next run) or had nobody to go to; 2 for bad options; 3 when the server cannot\n"
	"be reached.\n";

static const char cmd_remind_log_help[] = "What the reminder job sent, when, to whom, and the outcome.\n\n"
					  "Options:\n"
					  "  --period YYYY-Qn        only this quarter's reminders\n"
					  "  --format table|csv|json output format (default table)\n";

static const char cmd_remind_policy_help[] =
	"Shows or changes when reminders go (admin to change).\n\n"
	"  planreg remind policy show [--format table|json]\n"
	"  planreg remind policy set [--days-before N] [--on-due-date yes|no]\n"
	"                            [--overdue-every M] [--escalate-after K]\n\n"
	"  --days-before N         first reminder N days before the due date (0-90; 0: none)\n"
	"  --on-due-date yes|no    a reminder on the due date\n"
	"  --overdue-every M       then every M days while overdue (1-90)\n"
	"  --escalate-after K      tell the Combined Authority's contact once K days late\n"
	"                          (0-365; 0: never)\n"
	"Defaults: 7 days before, on the due date, every 7 days, escalate after 14.\n";

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
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_ACK_REMINDER;
	req.ack_reminder = &ack;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc == EXIT_OK)
		planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* "text" is this command's name for the table format */
static bool cmd_remind_format(const struct cli_command *cmd, const char *arg, enum output_format *f)
{
	if (strcmp(arg, "text") == 0) {
		*f = OUTPUT_TABLE;
		return true;
	}
	if (strcmp(arg, "json") == 0) {
		*f = OUTPUT_JSON;
		return true;
	}
	cli_usage(cmd, "--format must be text or json, not \"%s\"", arg);
	return false;
}

static int cmd_remind_run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"as-of", required_argument, NULL, 'a'},
					     {"period", required_argument, NULL, 'p'},
					     {"dry-run", no_argument, NULL, 'n'},
					     {"smtp", required_argument, NULL, 's'},
					     {"from", required_argument, NULL, 'F'},
					     {"smtp-user", required_argument, NULL, 'u'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_remind_commands[0];
	struct cmd_remind_run run = {.fmt = OUTPUT_TABLE};
	Planreg__V1__ClaimRemindersRequest claim = PLANREG__V1__CLAIM_REMINDERS_REQUEST__INIT;
	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	const char *smtp = cli->settings.smtp_url, *from = cli->settings.smtp_from, *user = cli->settings.smtp_user;
	char ps[PERIOD_FMT_MAX] = "";
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'a': {
			struct date d;
			if (!date_parse(optarg, &d))
				return cli_usage(cmd, "--as-of \"%s\" is not a date: write YYYY-MM-DD", optarg);
			as_of.iso = optarg;
			claim.as_of = &as_of;
			break;
		}
		case 'p': {
			struct period p;
			if (!period_parse(optarg, &p))
				return cli_usage(
					cmd, "--period \"%s\" is not a reporting period: write YYYY-Qn, e.g. 2026-Q3",
					optarg);
			period_format(p, ps);
			break;
		}
		case 'n':
			claim.dry_run = true;
			break;
		case 's':
			smtp = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'f':
			if (!cmd_remind_format(cmd, optarg, &run.fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
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
		Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
		req.body_case = PLANREG__V1__REQUEST__BODY_CLAIM_REMINDERS;
		req.claim_reminders = &claim;
		Planreg__V1__Response *resp;
		rc = cli_call(cli, &req, &resp);
		if (rc != EXIT_OK)
			break;
		const Planreg__V1__ClaimRemindersResponse *c = resp->claim_reminders;
		if (c == NULL) {
			planreg__v1__response__free_unpacked(resp, NULL);
			rc = cli_fail(EXIT_REFUSED, "the server's answer has no reminders");
			break;
		}
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
			struct buf b = {0};
			struct json j;
			json_init(&j, &b, true);
			json_object_begin(&j);
			json_kv_str(&j, "period", period);
			json_kv_str(&j, "due", due);
			json_kv_str(&j, "as_of", day);
			json_kv_bool(&j, "dry_run", claim.dry_run);
			json_key(&j, "messages");
			output_rows_json(run.rows, &j);
			json_kv_int(&j, "sent", run.sent);
			json_kv_int(&j, "failed", run.failed);
			json_key(&j, "unaddressed");
			json_raw(&j, buf_str(&unaddressed));
			json_object_end(&j);
			output_json_done(&b, stdout);
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

static int cmd_remind_log(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"period", required_argument, NULL, 'p'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_remind_commands[1];
	enum output_format fmt = OUTPUT_TABLE;
	char ps[PERIOD_FMT_MAX] = "";
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'p': {
			struct period p;
			if (!period_parse(optarg, &p))
				return cli_usage(
					cmd, "--period \"%s\" is not a reporting period: write YYYY-Qn, e.g. 2026-Q3",
					optarg);
			period_format(p, ps);
			break;
		}
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	Planreg__V1__ListRemindersRequest body = PLANREG__V1__LIST_REMINDERS_REQUEST__INIT;
	body.period = ps;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_REMINDERS;
	req.list_reminders = &body;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListRemindersResponse *l = resp->list_reminders;
	struct output_rows *r = output_rows_new();
	static const char *const headers[] = {"ID",        "PERIOD",     "AS OF", "STATE",
					      "RECIPIENT", "CLAIMED AT", "STEPS", "SUBJECT"};
	struct output_table *tab = output_table_new(headers, sizeof headers / sizeof headers[0], 1u << 7);
	for (size_t i = 0; l && i < l->n_reminders; i++) {
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
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		output_rows_json(r, &j);
		output_json_done(&b, stdout);
	} else if (fmt == OUTPUT_CSV) {
		output_rows_csv(r, cmd_remind_log_keys, sizeof cmd_remind_log_keys / sizeof cmd_remind_log_keys[0],
				false, stdout);
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
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_object_begin(&j);
		json_kv_int(&j, "days_before", p->days_before);
		json_kv_bool(&j, "on_due_date", p->on_due_date);
		json_kv_int(&j, "overdue_every", p->overdue_every);
		json_kv_int(&j, "escalate_after", p->escalate_after);
		json_kv_str(&j, "updated_by", p->updated_by);
		json_kv_str(&j, "updated_at", p->updated_at);
		json_object_end(&j);
		output_json_done(&b, stdout);
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

static int cmd_remind_policy(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"days-before", required_argument, NULL, 'b'},
					     {"on-due-date", required_argument, NULL, 'd'},
					     {"overdue-every", required_argument, NULL, 'e'},
					     {"escalate-after", required_argument, NULL, 'k'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_remind_commands[2];
	enum output_format fmt = OUTPUT_TABLE;
	int32_t before = -1, every = -1, escalate = -1;
	int on_due = -1;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'b':
			if (!cmd_remind_number(optarg, 0, 90, &before))
				return cli_usage(cmd, "--days-before takes 0-90 days, not \"%s\"", optarg);
			break;
		case 'd':
			if (strcmp(optarg, "yes") == 0 || strcmp(optarg, "true") == 0)
				on_due = 1;
			else if (strcmp(optarg, "no") == 0 || strcmp(optarg, "false") == 0)
				on_due = 0;
			else
				return cli_usage(cmd, "--on-due-date takes yes or no, not \"%s\"", optarg);
			break;
		case 'e':
			if (!cmd_remind_number(optarg, 1, 90, &every))
				return cli_usage(cmd, "--overdue-every takes 1-90 days, not \"%s\"", optarg);
			break;
		case 'k':
			if (!cmd_remind_number(optarg, 0, 365, &escalate))
				return cli_usage(cmd, "--escalate-after takes 0-365 days, not \"%s\"", optarg);
			break;
		case 'f':
			if (!cli_format(cmd, optarg, &fmt))
				return EXIT_USAGE;
			if (fmt == OUTPUT_CSV)
				return cli_usage(cmd, "--format must be table or json here");
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (argc - optind != 1 || (strcmp(argv[optind], "show") != 0 && strcmp(argv[optind], "set") != 0))
		return cli_usage(cmd, "give show or set");
	bool set = strcmp(argv[optind], "set") == 0;
	bool changes = before >= 0 || every >= 0 || escalate >= 0 || on_due >= 0;
	if (!set && changes)
		return cli_usage(cmd, "the options that change the policy go with `set`");
	if (set && !changes)
		return cli_usage(
			cmd, "give at least one of --days-before, --on-due-date, --overdue-every, --escalate-after");

	Planreg__V1__GetReminderPolicyRequest get = PLANREG__V1__GET_REMINDER_POLICY_REQUEST__INIT;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_REMINDER_POLICY;
	req.get_reminder_policy = &get;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__ReminderPolicy *p = resp->get_reminder_policy ? resp->get_reminder_policy->policy : NULL;
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
	Planreg__V1__Request sreq = PLANREG__V1__REQUEST__INIT;
	sreq.body_case = PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY;
	sreq.set_reminder_policy = &sb;
	Planreg__V1__Response *sresp;
	rc = cli_call(cli, &sreq, &sresp);
	planreg__v1__response__free_unpacked(resp, NULL);
	if (rc != EXIT_OK)
		return rc;
	if (sresp->set_reminder_policy && sresp->set_reminder_policy->policy)
		cmd_remind_print_policy(sresp->set_reminder_policy->policy, fmt);
	planreg__v1__response__free_unpacked(sresp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_remind_commands[] = {
	{"remind", "run", cmd_remind_run,
	 "[--as-of DATE] [--period P] [--dry-run] [--smtp URL] [--from ADDR] [--smtp-user USER] [--format text|json]",
	 "send the reminders that are due, one e-mail digest per recipient", cmd_remind_run_help},
	{"remind", "log", cmd_remind_log, "[--period P] [--format table|csv|json]",
	 "what the reminder job sent, to whom, and the outcome", cmd_remind_log_help},
	{"remind", "policy", cmd_remind_policy,
	 "show|set [--days-before N] [--on-due-date yes|no] [--overdue-every M] [--escalate-after K] "
	 "[--format table|json]",
	 "when reminders go (admin to change)", cmd_remind_policy_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
