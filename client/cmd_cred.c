/* cmd_cred.c - `planreg cred enrol|revoke|list`: which certificates may use
 * the service, as whom, with what role (admin only). */
#include <errno.h>
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_cred_enrol_help[] =
	"Enrols a client certificate. Give the certificate file (its fingerprint,\n"
	"organisation (subject O) and person (subject CN) are read from it), or the\n"
	"fingerprint and organisation by hand.\n\n"
	"Options:\n"
	"  --cert FILE          the certificate (PEM) to enrol\n"
	"  --fingerprint HEX    its SHA-256 fingerprint (as deploy/pki.sh prints it)\n"
	"  --org CODE           organisation the credential acts for\n"
	"  --person NAME        the person or job it belongs to\n"
	"  --role ROLE          admin, viewer, submitter or reminder (required)\n"
	"  --name NAME          credential name (default: the certificate file's name\n"
	"                       without .crt)\n";
static const char cmd_cred_list_help[] = "Options:\n"
					 "  --all                  include revoked credentials\n"
					 "  --format table|csv|json\n";

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

static void cmd_cred_row(const Planreg__V1__Credential *c, struct output_table *t)
{
	const char *role = values_role_name((enum role)c->role);
	const char *cells[] = {c->name,        c->organisation, role ? role : "", c->person,
			       c->fingerprint, c->enrolled_at,  c->revoked_at};
	output_table_row(t, cells);
}

static void cmd_cred_json(struct json *j, const Planreg__V1__Credential *c)
{
	const char *role = values_role_name((enum role)c->role);
	json_object_begin(j);
	json_kv_str(j, "name", c->name);
	json_kv_str(j, "organisation", c->organisation);
	json_kv_str(j, "role", role ? role : "");
	json_kv_str(j, "person", c->person);
	json_kv_str(j, "fingerprint", c->fingerprint);
	json_kv_str(j, "enrolled_at", c->enrolled_at);
	json_kv_str(j, "enrolled_by", c->enrolled_by);
	json_key(j, "revoked_at");
	json_str(j, c->revoked_at[0] ? c->revoked_at : NULL);
	json_key(j, "revoked_by");
	json_str(j, c->revoked_by[0] ? c->revoked_by : NULL);
	json_object_end(j);
}

static int cmd_cred_enrol(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"cert", required_argument, NULL, 'c'}, {"fingerprint", required_argument, NULL, 'F'},
		{"org", required_argument, NULL, 'o'},  {"person", required_argument, NULL, 'p'},
		{"role", required_argument, NULL, 'r'}, {"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_cred_commands[0];
	const char *cert = NULL, *fingerprint = NULL, *org = NULL, *person = NULL, *name = NULL;
	enum role role = ROLE_UNSPECIFIED;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'c':
			cert = optarg;
			break;
		case 'F':
			fingerprint = optarg;
			break;
		case 'o':
			org = optarg;
			break;
		case 'p':
			person = optarg;
			break;
		case 'r':
			if (!values_role_parse(optarg, &role))
				return cli_usage(cmd, "--role must be one of %s, not \"%s\"", values_role_names(),
						 optarg);
			break;
		case 'n':
			name = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc && name == NULL)
		name = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	if (role == ROLE_UNSPECIFIED)
		return cli_usage(cmd, "--role is required (%s)", values_role_names());
	if ((cert == NULL) == (fingerprint == NULL))
		return cli_usage(cmd, "give either --cert FILE or --fingerprint HEX");

	char fp[65], cert_org[64] = "", cert_cn[256] = "";
	char *derived_name = NULL;
	if (cert) {
		char *err = NULL;
		if (!cmd_cred_read_cert(cert, fp, cert_org, sizeof cert_org, cert_cn, sizeof cert_cn, &err)) {
			int rc = cli_fail(EXIT_USAGE, "%s", err);
			free(err);
			return rc;
		}
		fingerprint = fp;
		if (org == NULL)
			org = cert_org;
		if (person == NULL)
			person = cert_cn;
		if (name == NULL) {
			const char *base = strrchr(cert, '/');
			base = base ? base + 1 : cert;
			size_t len = strlen(base);
			if (len > 4 && strcmp(base + len - 4, ".crt") == 0)
				len -= 4;
			name = derived_name = xstrndup(base, len);
		}
	}
	if (org == NULL || org[0] == '\0')
		return cli_usage(cmd, "--org is required (the certificate has no organisation)");
	if (name == NULL)
		return cli_usage(cmd, "--name is required");

	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__EnrolCredentialRequest body = PLANREG__V1__ENROL_CREDENTIAL_REQUEST__INIT;
	body.name = (char *)name;
	body.fingerprint = (char *)fingerprint;
	body.organisation = (char *)org;
	body.person = (char *)(person ? person : "");
	body.role = (Planreg__V1__Role)role;
	req.body_case = PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL;
	req.enrol_credential = &body;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	free(derived_name);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__EnrolCredentialResponse *r = resp->enrol_credential;
	if (r && r->credential)
		printf("%s %s (%s, %s) fingerprint %s\n", r->created ? "enrolled" : "already enrolled",
		       r->credential->name, r->credential->organisation,
		       values_role_name((enum role)r->credential->role) ?: "?", r->credential->fingerprint);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_cred_revoke(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_cred_commands[1];
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		}
		return cli_usage(cmd, "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "give the credential's name or fingerprint");
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__RevokeCredentialRequest body = PLANREG__V1__REVOKE_CREDENTIAL_REQUEST__INIT;
	body.name = argv[optind];
	req.body_case = PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL;
	req.revoke_credential = &body;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__RevokeCredentialResponse *r = resp->revoke_credential;
	if (r && r->credential)
		printf("revoked %s (%s) at %s by %s\n", r->credential->name, r->credential->organisation,
		       r->credential->revoked_at, r->credential->revoked_by);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_cred_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct cli_command *cmd = &cmd_cred_commands[2];
	enum output_format fmt = OUTPUT_TABLE;
	Planreg__V1__ListCredentialsRequest body = PLANREG__V1__LIST_CREDENTIALS_REQUEST__INIT;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_print_help(cmd, stdout);
			return EXIT_OK;
		case 'a':
			body.include_revoked = true;
			break;
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
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS;
	req.list_credentials = &body;
	Planreg__V1__Response *resp;
	int rc = cli_call(cli, &req, &resp);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__ListCredentialsResponse *r = resp->list_credentials;
	size_t n = r ? r->n_credentials : 0;
	if (fmt == OUTPUT_JSON) {
		struct buf b = {0};
		struct json j;
		json_init(&j, &b, true);
		json_array_begin(&j);
		for (size_t i = 0; i < n; i++)
			cmd_cred_json(&j, r->credentials[i]);
		json_array_end(&j);
		output_json_done(&b, stdout);
	} else {
		static const char *const headers[] = {"NAME",        "ORG",         "ROLE",      "PERSON",
						      "FINGERPRINT", "ENROLLED AT", "REVOKED AT"};
		struct output_table *t = output_table_new(headers, 7, 0);
		for (size_t i = 0; i < n; i++)
			cmd_cred_row(r->credentials[i], t);
		output_table_print(t, fmt, stdout);
		output_table_free(t);
	}
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

const struct cli_command cmd_cred_commands[] = {
	{"cred", "enrol", cmd_cred_enrol,
	 "(--cert FILE | --fingerprint HEX --org CODE) --role ROLE [--name NAME] [--person NAME]",
	 "enrol a client certificate (admin)", cmd_cred_enrol_help},
	{"cred", "revoke", cmd_cred_revoke, "NAME|FINGERPRINT", "revoke a credential at once (admin)", ""},
	{"cred", "list", cmd_cred_list, "[--all] [--format table|csv|json]", "list credentials (admin)",
	 cmd_cred_list_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
