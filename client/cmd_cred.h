/* cmd_cred.h - what the connection path (cli.c) and other commands use of the credential commands: the local
 * certificate's validity, the refusal of an expired one, and renewal on its own (cmd_cred_renew.c). */
#ifndef PLANREG_CMD_CRED_H
#define PLANREG_CMD_CRED_H

#include <stdbool.h>
#include <time.h>

#include "net.h"

struct cli;

/* The validity of the first certificate in path; false when it cannot be read. */
bool cmd_cred_cert_validity(const char *path, time_t *not_before, time_t *not_after);
/* "2026-12-07 01:00 UTC" for t, into out. */
void cmd_cred_time_text(time_t t, char *out, size_t size);
/* Before connecting: EXIT_OK, or EXIT_CONNECT after saying that the certificate has expired and that only a new
 * invitation helps (a certificate that cannot be read is left to the connection to report). */
int cmd_cred_check_expired(struct cli *cli);
/* Once connected: renews the certificate when less than a third of its life is left and renew = auto (and the
 * command is not `cred renew` itself); a failure is a warning, and the command goes on (over a new connection
 * if the old one was closed: when that fails, cli->net is NULL with *why and *err). */
void cmd_cred_renew_auto(struct cli *cli, enum net_failure *why, char **err);

#endif
