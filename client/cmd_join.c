/* cmd_join.c - `planreg join CODE`: the officer's one command (docs/onboarding.md). With nothing set up, it
 * makes a P-256 key on this machine, learns the server's CA and trusts it only if its fingerprint is the one
 * the invitation code pins, sends a certificate request with the invitation's secret over a connection
 * verified against that CA, and writes the key, the certificate, the CA and client.conf, so that the next
 * `planreg whoami` works. The key never leaves this machine. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certfile.h"
#include "cli.h"
#include "file_atomic.h"
#include "invite.h"
#include "keygen.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

static const char cmd_join_help[] =
	"Joins planreg with the invitation code the Combined Authority sent you\n"
	"(planreg-invite-1:...). Run it on the machine you will report from: it makes\n"
	"your private key here (it never leaves this machine), checks that the server\n"
	"is the one the code names (by its CA's fingerprint), gets your certificate and\n"
	"writes client.conf, so that `planreg whoami` works next.\n\n"
	"The key, the certificate and the CA go into $XDG_DATA_HOME/planreg\n"
	"(~/.local/share/planreg) unless --dir says where; client.conf into\n"
	"$XDG_CONFIG_HOME/planreg (~/.config/planreg). An existing client.conf or key\n"
	"is not replaced unless --force is given. A code can be used once: for another\n"
	"machine, or when it has expired, ask the Combined Authority for a new invitation.\n";

/* Where everything goes, and what joining holds meanwhile. */
struct cmd_join {
	struct cli *cli;
	const char *code;
	bool force;
	char *dir, *key_path, *key_new, *cert_path, *ca_path, *conf_path; /* key_new: the key until it is in use */
	char server[INVITE_HOST_MAX + 16];
	struct invite inv;
	EVP_PKEY *key;
	bool key_written; /* by this run: removed again when joining fails after it */
	Planreg__V1__Response *redeemed;
};

static void cmd_join_free(struct cmd_join *j)
{
	if (j->key_written)
		unlink(j->key_new); /* not put in place: a key without a certificate is of no use */
	if (j->redeemed)
		planreg__v1__response__free_unpacked(j->redeemed, NULL);
	EVP_PKEY_free(j->key);
	invite_clear(&j->inv);
	free(j->dir);
	free(j->key_path);
	free(j->key_new);
	free(j->cert_path);
	free(j->ca_path);
	free(j->conf_path);
}

/* mkdir -p path, each new directory 0700 (a key is kept there); false with *err. */
static bool cmd_join_mkdirs(const char *path, char **err)
{
	char *p = xstrdup(path);
	bool ok = true;
	for (char *s = p + 1; ok; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char was = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			*err = xasprintf("cannot make the directory %s: %s", p, strerror(errno));
			ok = false;
		}
		*s = was;
		if (was == '\0')
			break;
	}
	free(p);
	return ok;
}

/* The paths, and a refusal to replace what is there without --force; the exit code. */
static int cmd_join_paths(struct cmd_join *j, const struct cli_command *self, const char *dir)
{
	j->dir = dir ? xstrdup(dir) : settings_data_dir();
	j->conf_path = settings_config_path();
	if (j->dir == NULL || j->conf_path == NULL)
		return cli_usage(self, "HOME is not set, so there is nowhere to keep your key and settings: set HOME "
				       "(or XDG_DATA_HOME and XDG_CONFIG_HOME), or give --dir DIR");
	j->key_path = xasprintf("%s/client.key", j->dir);
	j->key_new = xasprintf("%s/client.key.new", j->dir);
	j->cert_path = xasprintf("%s/client.crt", j->dir);
	j->ca_path = xasprintf("%s/ca.crt", j->dir);
	const char *const there[] = {j->conf_path, j->key_path};
	for (size_t i = 0; i < 2 && !j->force; i++)
		if (access(there[i], F_OK) == 0)
			return cli_fail(EXIT_USAGE,
					"join: %s exists already: this machine has joined before. To join again "
					"(the files there are replaced, and the credential they hold stops being used "
					"here), add --force; to keep both, give another --dir",
					there[i]);
	char *err = NULL, *conf_dir = xstrndup(j->conf_path, (size_t)(strrchr(j->conf_path, '/') - j->conf_path));
	bool ok = cmd_join_mkdirs(j->dir, &err) && cmd_join_mkdirs(conf_dir, &err);
	free(conf_dir);
	if (ok)
		return EXIT_OK;
	int rc = cli_fail(EXIT_USAGE, "join: %s", err);
	free(err);
	return rc;
}

/* Sends body over n; EXIT_OK with *resp carrying body_case's answer, else the exit code after saying why. */
static int cmd_join_call(struct net *n, Planreg__V1__Request__BodyCase body_case, void *body,
			 Planreg__V1__Response **resp)
{
	Planreg__V1__Request req;
	cli_envelope(&req, body_case, body, NULL);
	enum net_failure why;
	char *err = NULL;
	*resp = net_call(n, &req, &why, &err);
	if (*resp == NULL) {
		int rc = cli_fail(EXIT_CONNECT, "join: %s", err);
		free(err);
		return rc;
	}
	const Planreg__V1__Status *st = (*resp)->status;
	int rc = EXIT_OK;
	if (st->code != PLANREG__V1__CODE__OK) {
		cli_print_status(st, "join: ");
		rc = status_exit_code(st->code);
		if (rc == EXIT_OK || st->code == PLANREG__V1__CODE__UNAUTHENTICATED)
			rc = EXIT_REFUSED; /* the server answered; it said no */
	} else if ((int)(*resp)->body_case != (int)body_case || cli_response_body(*resp) == NULL) {
		rc = cli_fail(EXIT_REFUSED, "join: the server's answer has no body: is it planregd?");
	}
	if (rc != EXIT_OK) {
		planreg__v1__response__free_unpacked(*resp, NULL);
		*resp = NULL;
	}
	return rc;
}

/* A connection to the invitation's server (verified against ca, or not when NULL); the exit code. */
static int cmd_join_connect(struct cmd_join *j, const char *ca, struct net **n)
{
	enum net_failure why;
	char *err = NULL;
	int timeout = j->cli->settings.timeout_ms ? j->cli->settings.timeout_ms : SETTINGS_DEFAULT_TIMEOUT_MS;
	*n = net_connect_join(j->server, ca, timeout, &why, &err);
	if (*n != NULL)
		return EXIT_OK;
	int rc = cli_fail(EXIT_CONNECT, "join: %s%s", err,
			  why == NET_TLS && ca ? " (the server's certificate is not issued by the CA the invitation "
						 "names: nothing was sent)"
					       : "");
	free(err);
	return rc;
}

/* The server's CA, accepted only when its fingerprint is the invitation's, written to ca_path; the exit code. */
static int cmd_join_learn_ca(struct cmd_join *j)
{
	struct net *n;
	int rc = cmd_join_connect(j, NULL, &n);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__GetServerCaRequest body = PLANREG__V1__GET_SERVER_CA_REQUEST__INIT;
	Planreg__V1__Response *resp;
	rc = cmd_join_call(n, PLANREG__V1__REQUEST__BODY_GET_SERVER_CA, &body, &resp);
	net_close(n);
	if (rc != EXIT_OK)
		return rc;
	const char *pem = resp->get_server_ca->ca_pem;
	X509 *ca = certfile_parse_cert((const unsigned char *)pem, strlen(pem));
	char *err = NULL;
	if (ca == NULL) {
		rc = cli_fail(EXIT_REFUSED,
			      "join: the server at %s sent no CA certificate that can be read: nothing "
			      "was sent; ask the Combined Authority",
			      j->server);
	} else if (!keygen_ca_check(ca, j->inv.ca_fingerprint, &err)) {
		rc = cli_fail(EXIT_REFUSED,
			      "join: the server at %s is not the one your invitation names: %s. Nothing was sent; "
			      "ask the Combined Authority for a new invitation",
			      j->server, err);
	} else if (!file_atomic_write("the CA file", j->ca_path, pem, strlen(pem), 0644, true, &err)) {
		rc = cli_fail(EXIT_USAGE, "join: %s", err);
	}
	free(err);
	X509_free(ca);
	planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/* The key, made and written first beside its place (a full disk is found before the invitation is used, and a
 * key replaced with --force stays until the new certificate is here); the exit code. */
static int cmd_join_make_key(struct cmd_join *j)
{
	char *err = NULL;
	j->key = keygen_new_key(&err);
	if (j->key != NULL && keygen_write_key(j->key, j->key_new, true, &err)) {
		j->key_written = true;
		return EXIT_OK;
	}
	int rc = cli_fail(EXIT_USAGE, "join: %s", err);
	free(err);
	return rc;
}

/* The certificate request and the secret, over a connection verified against the pinned CA; the exit code. */
static int cmd_join_redeem(struct cmd_join *j)
{
	char *err = NULL;
	size_t len = 0;
	unsigned char *csr = keygen_csr_der(j->key, NULL, &len, &err);
	if (csr == NULL) {
		int rc = cli_fail(EXIT_USAGE, "join: %s", err);
		free(err);
		return rc;
	}
	struct net *n;
	int rc = cmd_join_connect(j, j->ca_path, &n);
	if (rc == EXIT_OK) {
		char secret[2 * INVITE_SECRET_BYTES + 1];
		text_hex(j->inv.secret, sizeof j->inv.secret, secret);
		Planreg__V1__RedeemInvitationRequest body = PLANREG__V1__REDEEM_INVITATION_REQUEST__INIT;
		body.secret = secret;
		body.csr.data = csr;
		body.csr.len = len;
		rc = cmd_join_call(n, PLANREG__V1__REQUEST__BODY_REDEEM_INVITATION, &body, &j->redeemed);
		memset(secret, 0, sizeof secret);
		net_close(n);
	}
	free(csr);
	return rc;
}

/* The new key put in its place: over the old one with --force, else only where there is none (link refuses an
 * existing name in the same step); false with *err. */
static bool cmd_join_put_key(struct cmd_join *j, char **err)
{
	int r = j->force ? rename(j->key_new, j->key_path) : link(j->key_new, j->key_path);
	if (r != 0) {
		*err = xasprintf("cannot put the key file in place at %s: %s", j->key_path, strerror(errno));
		return false;
	}
	if (!j->force)
		unlink(j->key_new);
	j->key_written = false;
	return true;
}

/* The key and the certificate, then client.conf naming it all; the exit code. */
static int cmd_join_write(struct cmd_join *j)
{
	const char *pem = j->redeemed->redeem_invitation->certificate_pem;
	char *err = NULL;
	char *conf = xasprintf("# written by `planreg join`: this machine's planreg settings (planreg(1))\n"
			       "server = %s\nca = %s\ncert = %s\nkey = %s\n"
			       "# the certificate renews itself when a third of its life is left; off: never\n"
			       "renew = auto\n",
			       j->server, j->ca_path, j->cert_path, j->key_path);
	bool ok = cmd_join_put_key(j, &err) &&
		  file_atomic_write("the certificate file", j->cert_path, pem, strlen(pem), 0644, true, &err) &&
		  file_atomic_write("client.conf", j->conf_path, conf, strlen(conf), 0644, j->force, &err);
	free(conf);
	if (ok)
		return EXIT_OK;
	int rc = cli_fail(EXIT_USAGE,
			  "join: %s (your certificate was issued: ask the Combined Authority to "
			  "revoke it and to invite you again)",
			  err);
	free(err);
	return rc;
}

static void cmd_join_said(const struct cmd_join *j)
{
	const Planreg__V1__Credential *c = j->redeemed->redeem_invitation->credential;
	const char *role = c ? values_role_name((enum role)c->role) : NULL;
	if (c)
		printf("joined as %s (%s, %s, %s); the certificate is valid until %s\n", c->name, c->person,
		       c->organisation, role ? role : "?", c->not_after[0] ? c->not_after : "(not said)");
	printf("key:         %s (only here; never sent)\ncertificate: %s\nCA:          %s\nsettings:    %s\n"
	       "next:        planreg whoami\n",
	       j->key_path, j->cert_path, j->ca_path, j->conf_path);
}

static int cmd_join_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	struct cmd_join j = {.cli = cli, .code = g.args[0], .force = cli_getopt_value(&g, 'f') != NULL};
	char *err = NULL;
	if (!invite_parse(j.code, &j.inv, &err)) {
		int rc = cli_fail(EXIT_USAGE, "join: %s", err);
		free(err);
		return rc;
	}
	snprintf(j.server, sizeof j.server, strchr(j.inv.host, ':') ? "[%s]:%u" : "%s:%u", j.inv.host, j.inv.port);
	int rc = cmd_join_paths(&j, self, cli_getopt_value(&g, 'd'));
	if (rc == EXIT_OK)
		rc = cmd_join_learn_ca(&j);
	if (rc == EXIT_OK)
		rc = cmd_join_make_key(&j);
	if (rc == EXIT_OK)
		rc = cmd_join_redeem(&j);
	if (rc == EXIT_OK)
		rc = cmd_join_write(&j);
	if (rc == EXIT_OK)
		cmd_join_said(&j);
	cmd_join_free(&j);
	return rc;
}

static const struct cli_option cmd_join_options[] = {
	{.name = "dir",
	 .key = 'd',
	 .arg = "DIR",
	 .help = "where to keep the key, the certificate and the CA",
	 .when_absent = "$XDG_DATA_HOME/planreg, or ~/.local/share/planreg",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "force", .key = 'f', .help = "replace an existing client.conf and key"},
	{0},
};

const struct cli_command cmd_join = {
	.noun = "join",
	.verb = "",
	.args = "CODE",
	.min_args = 1,
	.max_args = 1,
	.args_what = "the invitation code (planreg-invite-1:...), in quotes if it was wrapped over two lines",
	.options = cmd_join_options,
	.summary = "join with an invitation code: key made here, certificate issued, client.conf written",
	.help = cmd_join_help,
	.run = cmd_join_run,
};
