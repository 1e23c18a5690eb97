/* cmd_cred.c - `planreg cred enrol|revoke|list`: which certificates may use
 * the service, as whom, with what role (admin only). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_options.h"
#include "json.h"
#include "net_cred.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_cred_enrol_help[] =
	"Enrols a client certificate. Give the certificate file (its fingerprint,\n"
	"organisation (subject O) and person (subject CN) are read from it), or the\n"
	"fingerprint and organisation by hand. --role is required.\n\n"
	"A certificate file is checked first: one that was not issued by the deployment's\n"
	"CA (the CA file planreg connects with, or --client-ca), has expired, or is not\n"
	"a client certificate could never connect, and is refused. A fingerprint alone\n"
	"cannot be checked: it is enrolled with a warning, so make sure it is of a\n"
	"certificate issued by the deployment's CA.\n";

/* Fingerprint, O and CN of a PEM certificate file. */
static bool cmd_cred_read_cert(const char *path, char fp[65], char *org, size_t org_len, char *cn, size_t cn_len,
			       char **err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return false;
	}
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		ERR_clear_error();
		*err = xasprintf("%s is not a PEM certificate", path);
		return false;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	X509_digest(x, EVP_sha256(), md, &n);
	text_hex(md, n, fp);
	X509_NAME *subject = X509_get_subject_name(x);
	if (X509_NAME_get_text_by_NID(subject, NID_organizationName, org, (int)org_len) < 0)
		org[0] = '\0';
	if (X509_NAME_get_text_by_NID(subject, NID_commonName, cn, (int)cn_len) < 0)
		cn[0] = '\0';
	X509_free(x);
	ERR_clear_error();
	return true;
}

static const char *const cmd_cred_keys[] = {"name",        "organisation",  "role",       "person",     "fingerprint",
					    "enrolled_at", "enrolled_by",   "revoked_at", "revoked_by", "not_after",
					    "last_seen",   "invitation_id", "replaces",   "retire_at"};

static void cmd_cred_row(struct output_rows *rows, const Planreg__V1__Credential *c)
{
	output_rows_begin(rows);
	output_rows_str(rows, "name", c->name);
	output_rows_str(rows, "organisation", c->organisation);
	output_rows_str(rows, "role", values_role_name((enum role)c->role));
	output_rows_str(rows, "person", c->person);
	output_rows_str(rows, "fingerprint", c->fingerprint);
	output_rows_str(rows, "enrolled_at", c->enrolled_at);
	output_rows_str(rows, "enrolled_by", c->enrolled_by);
	output_rows_text(rows, "revoked_at", c->revoked_at);
	output_rows_text(rows, "revoked_by", c->revoked_by);
	output_rows_text(rows, "not_after", c->not_after);
	output_rows_text(rows, "last_seen", c->last_seen_at);
	if (c->invitation_id > 0)
		output_rows_int(rows, "invitation_id", c->invitation_id);
	else
		output_rows_null(rows, "invitation_id");
	output_rows_text(rows, "replaces", c->replaces);
	output_rows_text(rows, "retire_at", c->retire_at);
}

static void cmd_cred_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	const Planreg__V1__ListCredentialsResponse *r = answer;
	for (size_t i = 0; i < r->n_credentials; i++)
		cmd_cred_row(rows, r->credentials[i]);
}

static struct output_table *cmd_cred_table(const void *answer, const void *arg)
{
	const Planreg__V1__ListCredentialsResponse *r = answer;
	static const char *const headers[] = {"NAME",      "ORG",       "ROLE",       "PERSON",    "FINGERPRINT",
					      "NOT AFTER", "LAST SEEN", "INVITATION", "REVOKED AT"};
	struct output_table *t = output_table_new(headers, 9, 0);
	for (size_t i = 0; i < r->n_credentials; i++) {
		const Planreg__V1__Credential *c = r->credentials[i];
		const char *role = values_role_name((enum role)c->role);
		char inv[24] = "";
		if (c->invitation_id > 0)
			snprintf(inv, sizeof inv, "%lld", (long long)c->invitation_id);
		const char *cells[] = {c->name,        c->organisation, role ? role : "", c->person,
				       c->fingerprint, c->not_after,    c->last_seen_at,  inv,
				       c->revoked_at};
		output_table_row(t, cells);
	}
	return t;
}

CLI_LISTING_OF(cmd_cred);

/* What cred enrol was given, and what the certificate file adds to it. */
struct cmd_cred_enrol {
	const char *cert, *fingerprint, *org, *person, *name;
	const char *client_ca; /* --client-ca: the CA that issues client certificates, when not the CLI's own */
	enum role role;
	char fp[65], cert_org[64], cert_cn[256];
	char *derived_name; /* owned: the certificate file's name without .crt */
};

/* One option of cred enrol into e; false after a usage error. */
static bool cmd_cred_enrol_option(const struct cli_command *cmd, int ch, struct cmd_cred_enrol *e)
{
	switch (ch) {
	case 'c':
		e->cert = optarg;
		break;
	case 'F':
		e->fingerprint = optarg;
		break;
	case 'o':
		e->org = optarg;
		break;
	case 'p':
		e->person = optarg;
		break;
	case 'r':
		if (!values_role_parse(optarg, &e->role))
			return cli_usage(cmd, "--role must be one of %s, not \"%s\"", values_role_names(), optarg),
			       false;
		break;
	case 'n':
		e->name = optarg;
		break;
	case 'A':
		e->client_ca = optarg;
		break;
	}
	return true;
}

/*
 * A certificate file must chain to the deployment's CA (the daemon refuses any other at the handshake, so an
 * enrolment of one would only ever fail later, with the officer); a fingerprint alone cannot be checked, so it
 * is enrolled with a warning. The CA is --client-ca, else the CA file the CLI connects with.
 */
static int cmd_cred_enrol_check_ca(struct cli *cli, const struct cli_command *cmd, const struct cmd_cred_enrol *e)
{
	int rc = cli_settings(cli);
	if (rc != EXIT_OK)
		return rc;
	const char *ca = e->client_ca ? e->client_ca : cli->settings.ca;
	if (e->cert == NULL) {
		fprintf(stderr,
			"planreg: warning: a fingerprint alone cannot be checked: enrol it only if it is of a "
			"certificate issued by the deployment's CA%s%s%s, or it will never connect (--cert FILE "
			"checks the certificate itself)\n",
			ca ? " (" : "", ca ? ca : "", ca ? ")" : "");
		return EXIT_OK;
	}
	if (ca == NULL) {
		fprintf(stderr,
			"planreg: warning: %s is not checked against the deployment's CA: no CA file is set "
			"(PLANREG_CA, ca = in client.conf, or --client-ca FILE)\n",
			e->cert);
		return EXIT_OK;
	}
	char *err = NULL;
	if (net_cred_check_issued(ca, e->cert, &err))
		return EXIT_OK;
	rc = cli_usage(cmd, "%s", err);
	free(err);
	return rc;
}

/* --cert FILE: its fingerprint, and the organisation, person and name when they were not given. */
static int cmd_cred_enrol_read_cert(struct cmd_cred_enrol *e)
{
	char *err = NULL;
	if (!cmd_cred_read_cert(e->cert, e->fp, e->cert_org, sizeof e->cert_org, e->cert_cn, sizeof e->cert_cn, &err)) {
		int rc = cli_fail(EXIT_USAGE, "%s", err);
		free(err);
		return rc;
	}
	e->fingerprint = e->fp;
	if (e->org == NULL)
		e->org = e->cert_org;
	if (e->person == NULL)
		e->person = e->cert_cn;
	if (e->name == NULL) {
		const char *base = strrchr(e->cert, '/');
		base = base ? base + 1 : e->cert;
		size_t len = strlen(base);
		if (len > 4 && strcmp(base + len - 4, ".crt") == 0)
			len -= 4;
		e->name = e->derived_name = xstrndup(base, len);
	}
	return EXIT_OK;
}

/* The organisation is known, and a certificate given is issued for it. */
static int cmd_cred_enrol_check_org(const struct cli_command *cmd, const struct cmd_cred_enrol *e)
{
	if (e->org == NULL || e->org[0] == '\0')
		return cli_usage(cmd, "--org is required (the certificate has no organisation)");
	/* the daemon refuses every request whose certificate's O is not the enrolled organisation */
	if (e->cert == NULL || e->org == e->cert_org || strcasecmp(e->org, e->cert_org) == 0)
		return EXIT_OK;
	if (e->cert_org[0] == '\0')
		return cli_usage(cmd,
				 "%s carries no organisation (subject O), so it could never act for %s: "
				 "issue a certificate with O=%s",
				 e->cert, e->org, e->org);
	return cli_usage(cmd,
			 "%s is issued for organisation %s (subject O), so it could never act for %s: "
			 "leave out --org, or issue a certificate with O=%s",
			 e->cert, e->cert_org, e->org, e->org);
}

static int cmd_cred_enrol_send(struct cli *cli, const struct cmd_cred_enrol *e)
{
	Planreg__V1__EnrolCredentialRequest body = PLANREG__V1__ENROL_CREDENTIAL_REQUEST__INIT;
	body.name = (char *)e->name;
	body.fingerprint = (char *)e->fingerprint;
	body.organisation = (char *)e->org;
	body.person = (char *)(e->person ? e->person : "");
	body.role = (Planreg__V1__Role)e->role;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__EnrolCredentialResponse *r = resp->enrol_credential;
	if (r->credential)
		printf("%s %s (%s, %s) fingerprint %s\n", r->created ? "enrolled" : "already enrolled",
		       r->credential->name, r->credential->organisation,
		       values_role_name((enum role)r->credential->role) ?: "?", r->credential->fingerprint);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_cred_enrol_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cmd_cred_enrol e = {.role = ROLE_UNSPECIFIED};
	struct cli_getopt g;
	int ch;
	cli_getopt_begin(&g, self, argc, argv);
	while ((ch = cli_getopt_next(&g)) > 0)
		if (!cmd_cred_enrol_option(self, ch, &e))
			return EXIT_USAGE;
	if (ch < 0)
		return g.rc;
	if (e.role == ROLE_UNSPECIFIED)
		return cli_usage(self, "--role is required (%s)", values_role_names());
	if ((e.cert == NULL) == (e.fingerprint == NULL))
		return cli_usage(self, "give either --cert FILE or --fingerprint HEX");
	int rc = e.cert ? cmd_cred_enrol_read_cert(&e) : EXIT_OK;
	if (rc == EXIT_OK)
		rc = cmd_cred_enrol_check_org(self, &e);
	if (rc == EXIT_OK && e.name == NULL)
		rc = cli_usage(self, "--name is required");
	if (rc == EXIT_OK)
		rc = cmd_cred_enrol_check_ca(cli, self, &e);
	if (rc == EXIT_OK)
		rc = cmd_cred_enrol_send(cli, &e);
	free(e.derived_name);
	return rc;
}

static int cmd_cred_revoke_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__RevokeCredentialRequest body = PLANREG__V1__REVOKE_CREDENTIAL_REQUEST__INIT;
	body.name = g.args[0];
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL, &body, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__RevokeCredentialResponse *r = resp->revoke_credential;
	if (r->credential)
		printf("revoked %s (%s) at %s by %s\n", r->credential->name, r->credential->organisation,
		       r->credential->revoked_at, r->credential->revoked_by);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_cred_list_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__ListCredentialsRequest body = PLANREG__V1__LIST_CREDENTIALS_REQUEST__INIT;
	body.include_revoked = cli_getopt_value(&g, 'a') != NULL;
	return cli_listing_request(cli, PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS, &body, &cmd_cred_listing, NULL,
				   g.format);
}

static const struct cli_option cmd_cred_enrol_options[] = {
	{.name = "cert",
	 .key = 'c',
	 .arg = "FILE",
	 .help = "the certificate (PEM) to enrol",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "fingerprint",
	 .key = 'F',
	 .arg = "HEX",
	 .help = "its SHA-256 fingerprint (as deploy/pki.sh prints it)"},
	{.name = "org", .key = 'o', .arg = "CODE", .help = "organisation the credential acts for"},
	{.name = "person", .key = 'p', .arg = "NAME", .help = "the person or job it belongs to"},
	{CLI_OPTION_ROLE, .required = true},
	{.name = "name",
	 .key = 'n',
	 .arg = "NAME",
	 .help = "credential name (default: the certificate file's name without .crt)"},
	{.name = "client-ca",
	 .key = 'A',
	 .arg = "FILE",
	 .help = "the CA that issues client certificates, when it is not the CA file planreg connects with",
	 .when_absent = "the CA file planreg connects with (PLANREG_CA)",
	 .complete = CLI_COMPLETE_FILE},
	{0},
};

const struct cli_command cmd_cred_enrol = {
	.noun = "cred",
	.verb = "enrol",
	.options = cmd_cred_enrol_options,
	.summary = "enrol a client certificate (admin)",
	.help = cmd_cred_enrol_help,
	.run = cmd_cred_enrol_run,
};

const struct cli_command cmd_cred_revoke = {
	.noun = "cred",
	.verb = "revoke",
	.args = "NAME|FINGERPRINT",
	.min_args = 1,
	.max_args = 1,
	.args_what = "the credential's name or fingerprint",
	.summary = "revoke a credential at once (admin)",
	.run = cmd_cred_revoke_run,
};

static const struct cli_option cmd_cred_list_options[] = {
	{.name = "all", .key = 'a', .help = "include revoked credentials"},
	{0},
};

const struct cli_command cmd_cred_list = {
	.noun = "cred",
	.verb = "list",
	.options = cmd_cred_list_options,
	.formats = CLI_FMT_LISTING,
	.summary = "list credentials (admin)",
	.run = cmd_cred_list_run,
};
