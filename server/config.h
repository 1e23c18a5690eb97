/* config.h - planregd's settings: one declarative table (config.c) fed by
 * defaults, then the config file, then PLANREGD_* environment variables. */
#ifndef PLANREG_CONFIG_H
#define PLANREG_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "db_pool.h"

struct config {
	char *listen_addr;
	int listen_port;
	char *http_addr;
	int http_port;
	int http_max_connections; /* connections to /healthz and /metrics at once */
	int http_timeout_ms;      /* one HTTP connection lives this long at most */
	char *tls_cert;
	char *tls_key;
	char *tls_ca;
	char *server_ca;   /* what verifies this server, for joiners; "" = tls_ca */
	char *issuer_cert; /* the CA that issues joiners' certificates; "" = none */
	char *issuer_key;
	int cert_lifetime_days;
	int cert_lifetime_seconds; /* when not 0, overrides cert_lifetime_days */
	int renew_grace_days;
	char *public_address; /* host:port in invitation codes */
	int invite_failures_per_minute;
	char *db_dsn;
	int db_pool_size;
	int db_connect_timeout_ms;
	int db_reconnect_max_ms;
	int db_statement_timeout_ms;
	int db_queue_max;
	int db_query_timeout_ms;    /* a query unanswered this long: UNAVAILABLE, connection cancelled and replaced */
	int db_acquire_timeout_ms;  /* longest wait for a free pool connection */
	int db_reconnect_min_ms;    /* first pause before reconnecting (then doubling, with jitter) */
	int db_tcp_user_timeout_ms; /* tcp_user_timeout and keepalives on pool connections */
	char *read_db_dsn;          /* a streaming replica for read requests; "" = none (docs/scale-out.md) */
	int read_db_pool_size;
	int read_db_wait_ms; /* a read after its connection's write waits this long for the replica, then the primary */
	int max_frame_bytes;
	int max_inflight_per_conn;
	int max_connections;
	int max_handshakes;           /* connections not yet authenticated, at once */
	int max_connections_per_addr; /* connections from one source address, at once */
	char *trusted_proxies;        /* load balancers whose connections start with a PROXY v2 header (proxy.c) */
	int max_request_bytes;        /* largest frame of any request but ImportPlan (which may use max_frame_bytes) */
	int decode_budget_bytes;      /* memory one request may decode into */
	int handshake_timeout_ms;
	int frame_timeout_ms;
	int idle_timeout_ms;
	int write_timeout_ms;   /* an answer not flushed to the client this long closes the connection */
	int closing_timeout_ms; /* an orderly close (flush, close_notify, linger) takes at most this long */
	int drain_timeout_ms;
	int due_days;
	int year_start_month; /* PERIOD_YEAR_JANUARY or PERIOD_YEAR_APRIL: how periods are named (period.h) */
	char *log_key;        /* the verifiable log's Ed25519 signer key file; "" = the log is kept but not signed */
	char *log_origin;     /* the log's name in its checkpoints; "" = the key's name */
	char *log_state;      /* the last checkpoint signed; "" = log_key with ".state" */
	char *require_signatures; /* "yes" or "no": whether an unsigned return or review is refused */
	char *rating_scale;       /* "five" or "three" (docs/assurance.md) */
	char *log_level;
	char *pid_file;
};

/*
 * Fills *c from defaults, then file (may be NULL: no file), then the
 * environment. On error returns false with *err (malloc'd) naming the key,
 * the source (file:line or variable) and what is wrong.
 */
bool config_load(struct config *c, const char *file, char **err) __attribute__((warn_unused_result));
/* Checks what serving needs beyond well-formed values (certificate files set, ...). */
bool config_check_serve(const struct config *c, char **err) __attribute__((warn_unused_result));
/* Copies the reloadable keys of next into c (SIGHUP). */
void config_apply_reloadable(struct config *c, const struct config *next);
/* key = value lines of the effective configuration, secrets masked. */
void config_print(const struct config *c, FILE *out);
/* The table with types, defaults and help, for --help. */
void config_print_help(FILE *out);
void config_free(struct config *c);
/* The pool settings of a database (db_dsn, or the replica's read_db_dsn) from the db_* keys. */
void config_pool_settings(const struct config *c, const char *dsn, int size, struct db_pool_settings *out);

/* One key of the table as its documentation shows it (man/planregd_conf_man.c writes planregd.conf(5) from them). */
struct config_key_doc {
	const char *key;
	bool is_int;     /* a whole number from min to max; otherwise a string */
	const char *def; /* the default, as the file would write it ("" for none) */
	bool reloadable; /* SIGHUP applies it */
	long min, max;
	const char *help;
};
/* The i-th key of the table into *d (in the table's order); false when there are fewer keys. */
bool config_key_doc(size_t i, struct config_key_doc *d);

#endif
