/* cmd_cred_renew.c - renewing this machine's certificate (docs/onboarding.md): `planreg cred renew` by hand,
 * and on its own when a command connects and less than a third of the certificate's life is left (renew =
 * auto in client.conf, the default). A new key is made here, only its request is sent, over the connection the
 * old certificate opened; the new key and certificate replace the old files each in one step. The old
 * credential is retired by the server when the new one is first used. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certfile.h"
#include "cli.h"
#include "cmd_cred.h"
#include "file_atomic.h"
#include "keygen.h"
#include "xmalloc.h"

bool cmd_cred_cert_validity(const char *path, time_t *not_before, time_t *not_after)
{
	char *err = NULL;
	X509 *x = path ? certfile_load_cert("the certificate", path, &err) : NULL;
	free(err);
	if (x == NULL)
		return false;
	struct tm b, a;
	bool ok = ASN1_TIME_to_tm(X509_get0_notBefore(x), &b) == 1 && ASN1_TIME_to_tm(X509_get0_notAfter(x), &a) == 1;
	X509_free(x);
	if (ok) {
		*not_before = timegm(&b);
		*not_after = timegm(&a);
	}
	return ok;
}

void cmd_cred_time_text(time_t t, char *out, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm);
}

int cmd_cred_check_expired(struct cli *cli)
{
	time_t nb, na;
	const char *cert = cli->settings.cert;
	if (!cmd_cred_cert_validity(cert, &nb, &na) || na > time(NULL))
		return EXIT_OK;
	char when[40];
	cmd_cred_time_text(na, when, sizeof when);
	return cli_fail(EXIT_CONNECT,
			"your certificate (%s) expired on %s: it can no longer be used or renewed. Ask the "
			"Combined Authority for a new invitation, then run `planreg join CODE --force`",
			cert, when);
}

/* What one renewal holds: the new key (written beside the old until the certificate is here), the answer. */
struct cmd_cred_renewal {
	char *key_new, *cert_new;
	EVP_PKEY *key;
	Planreg__V1__Response *resp;
	bool key_written, cert_written;
};

static void cmd_cred_renewal_free(struct cmd_cred_renewal *r)
{
	if (r->key_written)
		unlink(r->key_new);
	if (r->cert_written)
		unlink(r->cert_new);
	free(r->key_new);
	free(r->cert_new);
	EVP_PKEY_free(r->key);
	if (r->resp)
		planreg__v1__response__free_unpacked(r->resp, NULL);
}

/* Asks for the certificate of r's key over cli's connection; false with *err, and *closed when the server
 * closed the connection after saying no. */
static bool cmd_cred_renew_ask(struct cli *cli, struct cmd_cred_renewal *r, bool *closed, char **err)
{
	size_t len = 0;
	unsigned char *csr = keygen_csr_der(r->key, NULL, &len, err);
	if (csr == NULL)
		return false;
	Planreg__V1__RenewCredentialRequest body = PLANREG__V1__RENEW_CREDENTIAL_REQUEST__INIT;
	body.csr.data = csr;
	body.csr.len = len;
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_RENEW_CREDENTIAL, &body, NULL);
	enum net_failure why;
	r->resp = net_call(cli->net, &req, &why, err);
	free(csr);
	if (r->resp == NULL) {
		*closed = true;
		return false;
	}
	const Planreg__V1__Status *st = r->resp->status;
	if (r->resp->id == 0 || st->code == PLANREG__V1__CODE__UNAUTHENTICATED)
		*closed = true;
	if (st->code != PLANREG__V1__CODE__OK) {
		*err = xstrdup(st->message && st->message[0] ? st->message : "the server refused without saying why");
		return false;
	}
	if (r->resp->body_case != PLANREG__V1__RESPONSE__BODY_RENEW_CREDENTIAL || r->resp->renew_credential == NULL) {
		*err = xstrdup("the server's answer has no certificate");
		return false;
	}
	return true;
}

/* The new key and certificate written beside the old ones, then put in their places (the key first: a
 * certificate is of no use without its key); false with *err. */
static bool cmd_cred_renew_put(const struct settings *s, struct cmd_cred_renewal *r, char **err)
{
	const char *pem = r->resp->renew_credential->certificate_pem;
	if (!file_atomic_write("the new certificate file", r->cert_new, pem, strlen(pem), 0644, true, err))
		return false;
	r->cert_written = true;
	if (rename(r->key_new, s->key) != 0 || rename(r->cert_new, s->cert) != 0) {
		*err = xasprintf("cannot put the new key and certificate in place of %s and %s: %s", s->key, s->cert,
				 strerror(errno));
		return false;
	}
	r->key_written = r->cert_written = false;
	return true;
}

/* Renews over cli's connection; EXIT_OK with *credential (malloc'd) and *not_after of the new one, else the exit
 * code with *err; *closed when the connection is no longer usable. */
static int cmd_cred_renew_now(struct cli *cli, char **credential, char **not_after, bool *closed, char **err)
{
	const struct settings *s = &cli->settings;
	struct cmd_cred_renewal r = {.key_new = xasprintf("%s.new", s->key), .cert_new = xasprintf("%s.new", s->cert)};
	int rc = EXIT_USAGE;
	r.key = keygen_new_key(err);
	/* the new key is on disk before it is asked for: a file that cannot be written is found first */
	if (r.key != NULL && keygen_write_key(r.key, r.key_new, true, err)) {
		r.key_written = true;
		rc = EXIT_REFUSED;
		if (cmd_cred_renew_ask(cli, &r, closed, err)) {
			rc = cmd_cred_renew_put(s, &r, err) ? EXIT_OK : EXIT_USAGE;
		} else if (r.resp == NULL) {
			rc = EXIT_CONNECT;
		}
	}
	if (rc == EXIT_OK) {
		const Planreg__V1__Credential *c = r.resp->renew_credential->credential;
		*credential = xstrdup(c ? c->name : "");
		*not_after = xstrdup(c ? c->not_after : "");
	}
	cmd_cred_renewal_free(&r);
	return rc;
}

/* planregd dates the certificates it issues from five minutes before issuing them, for clocks that are behind
 * (server/issue.h, ISSUE_SKEW_SECONDS): not counted as life, or a certificate of a few minutes would renew at
 * once. */
#define CMD_CRED_SKEW_S 300

/* Whether less than a third of the certificate's life is left. */
static bool cmd_cred_renew_due(time_t nb, time_t na, time_t now)
{
	time_t life = na - nb > CMD_CRED_SKEW_S ? na - nb - CMD_CRED_SKEW_S : na - nb;
	return (na - now) * 3 < life;
}

void cmd_cred_renew_auto(struct cli *cli, enum net_failure *why, char **net_err)
{
	const struct settings *s = &cli->settings;
	time_t nb, na, now = time(NULL);
	if (cli->renewing || !settings_renew_auto(s) || !cmd_cred_cert_validity(s->cert, &nb, &na) ||
	    !cmd_cred_renew_due(nb, na, now))
		return;
	char *credential = NULL, *not_after = NULL, *err = NULL;
	bool closed = false;
	cli->renewing = true; /* once per command */
	int rc = cmd_cred_renew_now(cli, &credential, &not_after, &closed, &err);
	if (rc == EXIT_OK) {
		fprintf(stderr,
			"planreg: renewed the certificate (a third of its life was left): %s now, valid until %s\n",
			credential, not_after);
	} else if (!closed || rc == EXIT_CONNECT) { /* refused for who we are: the command's own refusal says it */
		char when[40];
		cmd_cred_time_text(na, when, sizeof when);
		fprintf(stderr,
			"planreg: warning: the certificate could not be renewed (%s); it is still valid until %s, and "
			"`planreg cred renew` tries again\n",
			err ? err : "no reason given", when);
	}
	free(credential);
	free(not_after);
	free(err);
	if (closed) { /* the command still runs: on a new connection, with the certificate there is now */
		net_close(cli->net);
		cli->net = net_connect(s, why, net_err);
	}
}

static int cmd_cred_renew_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	cli->renewing = true; /* not once on its own and then again */
	/* connected (and who we are checked) by whoami first: renewal needs a working credential */
	Planreg__V1__WhoamiRequest who = PLANREG__V1__WHOAMI_REQUEST__INIT;
	Planreg__V1__Response *resp;
	int rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_WHOAMI, &who, &resp);
	if (rc != EXIT_OK)
		return rc;
	planreg__v1__response__free_unpacked(resp, NULL);
	char *credential = NULL, *not_after = NULL, *err = NULL;
	bool closed = false;
	rc = cmd_cred_renew_now(cli, &credential, &not_after, &closed, &err);
	if (rc == EXIT_OK)
		printf("renewed: credential %s, valid until %s\nkey:         %s\ncertificate: %s\n", credential,
		       not_after, cli->settings.key, cli->settings.cert);
	else
		cli_fail(rc, "cred renew: %s", err ? err : "failed");
	free(credential);
	free(not_after);
	free(err);
	return rc;
}

static const char cmd_cred_renew_help[] =
	"Renews this machine's certificate now: a new key is made here, and the server\n"
	"issues a certificate for it with the same person, organisation and role. The\n"
	"key and certificate files (cert and key in client.conf) are replaced, each in\n"
	"one step; the old certificate stops working once the new one has been used.\n"
	"planreg does this on its own when a command connects and less than a third of\n"
	"the certificate's life is left, unless client.conf says renew = off. An\n"
	"expired or revoked certificate cannot be renewed: ask for a new invitation.\n";

const struct cli_command cmd_cred_renew = {
	.noun = "cred",
	.verb = "renew",
	.summary = "renew this machine's certificate now (new key, same credential)",
	.help = cmd_cred_renew_help,
	.run = cmd_cred_renew_run,
};
