/* settings.h - where the CLI finds its server and credential: flags, then
 * PLANREG_* environment variables, then $XDG_CONFIG_HOME/planreg/client.conf. */
#ifndef PLANREG_SETTINGS_H
#define PLANREG_SETTINGS_H

#include <stdbool.h>

struct settings {
	char *server; /* host:port */
	char *cert;   /* client certificate (PEM) */
	char *key;    /* its private key (PEM) */
	char *ca;     /* CA that issued the server's certificate (PEM) */
	int timeout_ms;
	/* the reminder job's mail (`planreg remind run`); its flags override these */
	char *smtp_url;  /* PLANREG_SMTP_URL, smtp = ... */
	char *smtp_from; /* PLANREG_SMTP_FROM, smtp_from = ... */
	char *smtp_user; /* PLANREG_SMTP_USER, smtp_user = ...; the password only from PLANREG_SMTP_PASSWORD or ~/.netrc
			  */
	char *log_vkey;  /* the verifiable log's verifier key: PLANREG_LOG_VKEY, log_vkey = ...; NULL: none */
	char *config_file; /* the file read, or NULL */
	char *cache_dir;   /* $XDG_CACHE_HOME/planreg (~/.cache/planreg): TLS sessions to resume; NULL: none */
};

#define SETTINGS_DEFAULT_SERVER "localhost:7443"
#define SETTINGS_DEFAULT_TIMEOUT_MS 60000

/* Fills the unset fields of *s from the environment, then the config file; cert, key and ca written "~/..."
 * (wherever they came from) are made $HOME/... False with *err (malloc'd) when the config file is malformed,
 * or a "~/" path has no HOME to go to. */
bool settings_resolve(struct settings *s, char **err) __attribute__((warn_unused_result));
void settings_free(struct settings *s);
/* A timeout as written ("30") into *ms (30000); false unless it is 1 to 86400 seconds. */
bool settings_seconds(const char *text, int *ms) __attribute__((warn_unused_result));

#endif
