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
	char *renew;     /* renew = auto (the default: the CLI renews its certificate when a third of its life is
			  * left) or off; nothing else is accepted */
	char *log_vkey;  /* the verifiable log's verifier key: PLANREG_LOG_VKEY, log_vkey = ...; NULL: none */
	char *witness_vkeys; /* the witnesses' cosignature verifier keys trusted, separated by spaces or commas (each a
			      * key or a file that holds one): PLANREG_WITNESS_VKEYS, witness_vkeys = ...; NULL: none */
	char *config_file;   /* the file read, or NULL */
	char *cache_dir;     /* $XDG_CACHE_HOME/planreg (~/.cache/planreg): TLS sessions to resume; NULL: none */
};

#define SETTINGS_DEFAULT_SERVER "localhost:7443"
#define SETTINGS_DEFAULT_TIMEOUT_MS 60000

/* Fills the unset fields of *s from the environment, then the config file; cert, key and ca written "~/..."
 * (wherever they came from) are made $HOME/... False with *err (malloc'd) when the config file is malformed,
 * or a "~/" path has no HOME to go to. */
bool settings_resolve(struct settings *s, char **err) __attribute__((warn_unused_result));
void settings_free(struct settings *s);
/* Whether the certificate is to be renewed on its own (renew = auto, the default). */
bool settings_renew_auto(const struct settings *s);
/* Where client.conf is read: $XDG_CONFIG_HOME/planreg/client.conf, else ~/.config/planreg/client.conf
 * (malloc'd); NULL without either. */
char *settings_config_path(void);
/* Where `planreg join` keeps the key and certificates: $XDG_DATA_HOME/planreg, else ~/.local/share/planreg
 * (malloc'd); NULL without either. */
char *settings_data_dir(void);
/* A timeout as written ("30") into *ms (30000); false unless it is 1 to 86400 seconds. */
bool settings_seconds(const char *text, int *ms) __attribute__((warn_unused_result));

#endif
