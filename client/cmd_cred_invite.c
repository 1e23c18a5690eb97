/* cmd_cred_invite.c - `planreg cred invite|invitations|uninvite`: the admin's side of joining
 * (docs/onboarding.md). An invitation names an organisation, a role and a person; its code, printed once (and,
 * with --email, mailed through the reminder job's SMTP settings), is what the person gives `planreg join`. The
 * server keeps only a hash of the code's secret, so the code cannot be shown again. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "json.h"
#include "mail.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_cred_invite_help[] =
	"Invites a person of an organisation to a role. Prints the invitation code once:\n"
	"the person runs `planreg join CODE` on their own machine, which makes their key\n"
	"there and gets their certificate. The code can be used once, until it expires\n"
	"(--expires, 72h unless said: 30m, 12h, 7d; at most 30 days). With --email the\n"
	"code is also sent to that address, through the reminder job's mail settings\n"
	"(PLANREG_SMTP_URL and PLANREG_SMTP_FROM, or smtp = and smtp_from = in\n"
	"client.conf). Only an admin may invite.\n";

/* --expires as written (90m, 72h, 7d, or seconds) in seconds; false when it is none of those. */
static bool cmd_cred_duration(const char *text, long long *seconds)
{
	char *end;
	long long n = strtoll(text, &end, 10);
	if (end == text || n <= 0 || n > 1000000000)
		return false;
	long long unit = 1;
	if (strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else if (strcmp(end, "d") == 0)
		unit = 86400;
	else if (strcmp(end, "s") != 0 && end[0] != '\0')
		return false;
	*seconds = n * unit;
	return true;
}

/* The mail sender of the reminder job's settings, when --email is given; the exit code. */
static int cmd_cred_invite_sender(struct cli *cli, const struct cli_command *self, struct mail_sender **sender)
{
	int rc = cli_settings(cli);
	if (rc != EXIT_OK)
		return rc;
	const struct settings *st = &cli->settings;
	if (st->smtp_url == NULL || st->smtp_from == NULL)
		return cli_usage(self, "--email needs the reminder job's mail settings: PLANREG_SMTP_URL and "
				       "PLANREG_SMTP_FROM (or smtp = and smtp_from = in client.conf); without "
				       "--email, the code is printed for you to send");
	char *err = NULL;
	*sender = mail_sender_for(st->smtp_url, st->smtp_user, st->smtp_from, &err);
	if (*sender != NULL)
		return EXIT_OK;
	rc = cli_usage(self, "%s", err);
	free(err);
	return rc;
}

/* The invitation mailed to its person; the exit code (the invitation stands either way). */
static int cmd_cred_invite_mail(struct mail_sender *sender, const Planreg__V1__CreateInvitationResponse *r)
{
	const Planreg__V1__Invitation *i = r->invitation;
	const char *role = values_role_name((enum role)i->role);
	char *subject = xasprintf("Your invitation to planreg (%s)", i->organisation);
	char *body = xasprintf("Hello %s,\n\n"
			       "You are invited to planreg, the progress register of the digital strategy action plan, "
			       "for %s as %s.\n\n"
			       "On the computer you will report from, with planreg installed, run this one command:\n\n"
			       "  planreg join '%s'\n\n"
			       "It makes your key on that computer (it never leaves it) and sets planreg up; then\n"
			       "`planreg whoami` shows who you are to the service.\n\n"
			       "The code works once, until %s. It is yours alone: do not forward it. If it has\n"
			       "expired or does not work, ask the Combined Authority for a new invitation.\n",
			       i->person, i->organisation, role ? role : "?", r->code, i->expires_at);
	const char *to[1] = {i->email};
	struct mail_message msg = {.to = to, .n_to = 1, .subject = subject, .body = body};
	char *err = NULL, *refused = NULL;
	bool ok = mail_send(sender, &msg, &refused, &err);
	int rc = EXIT_OK;
	if (!ok || refused)
		rc = cli_fail(EXIT_REFUSED,
			      "cred invite: the invitation was made but the mail to %s was not sent (%s): send the "
			      "code above yourself",
			      i->email,
			      refused ? refused
			      : err   ? err
				      : "no reason given");
	else
		fprintf(stderr, "planreg: the code was sent to %s\n", i->email);
	free(refused);
	free(err);
	free(subject);
	memset(body, 0, strlen(body)); /* it held the secret */
	free(body);
	return rc;
}

static void cmd_cred_invite_print(const Planreg__V1__CreateInvitationResponse *r, enum output_format fmt)
{
	const Planreg__V1__Invitation *i = r->invitation;
	const char *role = values_role_name((enum role)i->role);
	if (fmt == OUTPUT_JSON) {
		struct cli_json doc;
		struct json *j = cli_json_begin(&doc);
		json_object_begin(j);
		json_kv_int(j, "id", i->id);
		json_kv_str(j, "organisation", i->organisation);
		json_kv_str(j, "role", role ? role : "");
		json_kv_str(j, "person", i->person);
		json_key(j, "person_id");
		if (i->person_id)
			json_int(j, i->person_id);
		else
			json_null(j);
		json_kv_str(j, "expires_at", i->expires_at);
		json_kv_str(j, "code", r->code);
		json_object_end(j);
		cli_json_end(&doc);
		return;
	}
	printf("invitation %lld for %s (%s, %s), usable once until %s:\n\n  %s\n\n"
	       "They run, on their own machine:  planreg join '%s'\n",
	       (long long)i->id, i->person, i->organisation, role ? role : "?", i->expires_at, r->code, r->code);
}

/* The options of cred invite into body; the exit code. */
static int cmd_cred_invite_options(const struct cli_command *self, const struct cli_getopt *g,
				   Planreg__V1__CreateInvitationRequest *body)
{
	const char *org = cli_getopt_value(g, 'o'), *role = cli_getopt_value(g, 'r'), *name = cli_getopt_value(g, 'n');
	const char *email = cli_getopt_value(g, 'e'), *expires = cli_getopt_value(g, 'x');
	const char *person = cli_getopt_value(g, 'p');
	enum role r = ROLE_UNSPECIFIED;
	if (org == NULL || role == NULL || (name == NULL && person == NULL))
		return cli_usage(self,
				 "--org, --role and --name (or --person) are required (who is invited, for what)");
	char *end = NULL;
	if (person != NULL && ((body->person_id = strtoll(person, &end, 10)) <= 0 || *end))
		return cli_usage(self, "--person takes a person's id (`planreg person list`), not \"%s\"", person);
	if (!values_role_parse(role, &r))
		return cli_usage(self, "--role must be one of %s, not \"%s\"", values_role_names(), role);
	long long seconds = 0;
	if (expires != NULL && !cmd_cred_duration(expires, &seconds))
		return cli_usage(self, "--expires takes a duration such as 30m, 72h or 7d, not \"%s\"", expires);
	body->organisation = (char *)org;
	body->role = (Planreg__V1__Role)r;
	body->person = (char *)(name ? name : "");
	body->email = (char *)(email ? email : "");
	body->expires_seconds = seconds;
	return EXIT_OK;
}

static int cmd_cred_invite_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__CreateInvitationRequest body = PLANREG__V1__CREATE_INVITATION_REQUEST__INIT;
	int rc = cmd_cred_invite_options(self, &g, &body);
	struct mail_sender *sender = NULL;
	/* mail settings checked before the invitation is made, so that none is made only to be lost */
	if (rc == EXIT_OK && body.email[0] != '\0')
		rc = cmd_cred_invite_sender(cli, self, &sender);
	Planreg__V1__Response *resp = NULL;
	if (rc == EXIT_OK)
		rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_CREATE_INVITATION, &body, &resp);
	if (rc == EXIT_OK) {
		cmd_cred_invite_print(resp->create_invitation, g.format);
		fflush(stdout);
		if (sender != NULL)
			rc = cmd_cred_invite_mail(sender, resp->create_invitation);
	}
	mail_sender_free(sender);
	if (resp)
		planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* ---------------------------------------------------------------- invitations, uninvite */

static const char *const cmd_cred_invitation_keys[] = {
	"id",         "organisation", "role",    "person",     "email",        "state",        "created_at",
	"created_by", "expires_at",   "used_at", "credential", "cancelled_at", "cancelled_by", "person_id"};

static void cmd_cred_invitation_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListInvitationsResponse *r = answer;
	for (size_t n = 0; n < r->n_invitations; n++) {
		const Planreg__V1__Invitation *i = r->invitations[n];
		output_rows_begin(rows);
		output_rows_int(rows, "id", i->id);
		output_rows_str(rows, "organisation", i->organisation);
		output_rows_str(rows, "role", values_role_name((enum role)i->role));
		output_rows_str(rows, "person", i->person);
		output_rows_text(rows, "email", i->email);
		output_rows_str(rows, "state", i->state);
		output_rows_str(rows, "created_at", i->created_at);
		output_rows_str(rows, "created_by", i->created_by);
		output_rows_str(rows, "expires_at", i->expires_at);
		output_rows_text(rows, "used_at", i->used_at);
		output_rows_text(rows, "credential", i->credential);
		output_rows_text(rows, "cancelled_at", i->cancelled_at);
		output_rows_text(rows, "cancelled_by", i->cancelled_by);
		if (i->person_id)
			output_rows_int(rows, "person_id", i->person_id);
		else
			output_rows_null(rows, "person_id");
	}
}

static struct output_table *cmd_cred_invitation_table(const void *answer, const void *arg)
{
	(void)arg;
	const Planreg__V1__ListInvitationsResponse *r = answer;
	static const char *const headers[] = {"ID", "ORG", "ROLE", "PERSON", "STATE", "EXPIRES AT", "CREDENTIAL"};
	struct output_table *t = output_table_new(headers, 7, 0);
	for (size_t n = 0; n < r->n_invitations; n++) {
		const Planreg__V1__Invitation *i = r->invitations[n];
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)i->id);
		const char *role = values_role_name((enum role)i->role);
		const char *cells[] = {id,       i->organisation, role ? role : "", i->person,
				       i->state, i->expires_at,   i->credential};
		output_table_row(t, cells);
	}
	return t;
}

CLI_LISTING_OF(cmd_cred_invitation);

static int cmd_cred_invitations_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListInvitationsRequest body = PLANREG__V1__LIST_INVITATIONS_REQUEST__INIT;
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_INVITATIONS, &body,
				   &cmd_cred_invitation_listing, NULL, g.format);
}

static int cmd_cred_uninvite_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	char *end;
	long long id = strtoll(g.args[0], &end, 10);
	if (end == g.args[0] || *end != '\0' || id <= 0)
		return cli_usage(self,
				 "give the invitation's number (`planreg cred invitations` lists them), not \"%s\"",
				 g.args[0]);
	Planreg__V1__CancelInvitationRequest body = PLANREG__V1__CANCEL_INVITATION_REQUEST__INIT;
	body.id = id;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_CANCEL_INVITATION, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Invitation *i = resp->cancel_invitation->invitation;
	if (i)
		printf("cancelled invitation %lld for %s (%s): its code can no longer be used\n", (long long)i->id,
		       i->person, i->organisation);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static const struct cli_option cmd_cred_invite_options_decl[] = {
	{.name = "org", .key = 'o', .arg = "CODE", .help = "the organisation the person acts for", .required = true},
	{CLI_OPTION_ROLE, .required = true},
	{.name = "name",
	 .key = 'n',
	 .arg = "NAME",
	 .help = "the person (or job) invited",
	 .when_absent = "the name of the --person"},
	{.name = "person",
	 .key = 'p',
	 .arg = "ID",
	 .help = "the person of the organisation it is for (`planreg person list`): the credential becomes theirs"},
	{.name = "email", .key = 'e', .arg = "ADDR", .help = "also mail the code to this address"},
	{.name = "expires",
	 .key = 'x',
	 .arg = "DURATION",
	 .help = "how long the code can be used: 30m, 72h, 7d (at most 30 days)",
	 .when_absent = "72h"},
	{0},
};

const struct cli_command cmd_cred_invite = {
	.noun = "cred",
	.verb = "invite",
	.options = cmd_cred_invite_options_decl,
	.formats = CLI_FMT_RECORD,
	.summary = "invite a person: prints the one-time code they join with (admin)",
	.help = cmd_cred_invite_help,
	.run = cmd_cred_invite_run,
};

const struct cli_command cmd_cred_invitations = {
	.noun = "cred",
	.verb = "invitations",
	.formats = CLI_FMT_LISTING,
	.summary = "list invitations: pending, used, expired, cancelled (admin)",
	.run = cmd_cred_invitations_run,
};

const struct cli_command cmd_cred_uninvite = {
	.noun = "cred",
	.verb = "uninvite",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "the invitation's number",
	.summary = "cancel an invitation, so that its code can no longer be used (admin)",
	.run = cmd_cred_uninvite_run,
};
