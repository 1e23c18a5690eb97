/* main.h - the commands planregd runs besides migrate and check-config. */
#ifndef PLANREG_MAIN_H
#define PLANREG_MAIN_H

#include <stdbool.h>

#include "config.h"

/* Runs the daemon until SIGTERM; returns the exit status. */
int main_serve(struct config *cfg, const char *config_file, char **err);
/* `planregd enrol NAME ORG ROLE FINGERPRINT [PERSON]`; returns the exit status. */
int main_enrol(const struct config *cfg, int argc, char **argv, char **err);

/* `planregd invite --org CODE --role ROLE --name NAME [--email ADDR] [--expires 72h]`: an invitation written into
 * the database, its code printed (the first admin joins with it); returns the exit status. */
int main_invite(const struct config *cfg, int argc, char **argv, char **err);

#endif
