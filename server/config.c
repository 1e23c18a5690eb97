/* config.c - the declarative table of planregd's settings and the loader (see config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "kvfile.h"
#include "log.h"
#include "period.h"
#include "proxy.h"
#include "xmalloc.h"

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
};

struct config_entry {
	const char *key;
	enum config_type type;
	const char *def;
	bool reloadable;
	long min, max; /* CONFIG_INT bounds */
	size_t offset;
	const char *help;
};

#define STR(k, d, r, h)                                                                                                \
	{                                                                                                              \
#k, CONFIG_STRING, d, r, 0, 0, offsetof(struct config, k), h                                           \
	}
#define INT(k, d, lo, hi, r, h)                                                                                        \
	{                                                                                                              \
#k, CONFIG_INT, d, r, lo, hi, offsetof(struct config, k), h                                            \
	}

static const struct config_entry config_table[] = {
	STR(listen_addr, "127.0.0.1", false, "address the TLS listener binds (0.0.0.0 for all)"),
	INT(listen_port, "7443", 0, 65535, false, "TLS listener port (0 picks a free one, logged at start)"),
	STR(http_addr, "127.0.0.1", false, "address of the plain HTTP /healthz and /metrics listener"),
	INT(http_port, "7444", -1, 65535, false, "HTTP listener port; -1 disables it, 0 picks a free one"),
	INT(http_max_connections, "16", 1, 1000, false,
	    "HTTP connections at once (the listener's own share of descriptors); more are closed at accept"),
	INT(http_timeout_ms, "5000", 100, 600000, false,
	    "an HTTP connection is closed this long after accept, its request or answer finished or not"),
	STR(tls_cert, "", true, "server certificate chain (PEM); reloaded on SIGHUP"),
	STR(tls_key, "", true, "server private key (PEM); reloaded on SIGHUP"),
	STR(tls_ca, "", true, "CA certificate(s) that issue client certificates (PEM); reloaded on SIGHUP"),
	STR(server_ca, "", false,
	    "CA certificate(s) that verify this server's certificate, given to people who join (planreg join) and "
	    "pinned by their invitation code; empty: tls_ca"),
	STR(issuer_cert, "", false,
	    "CA certificate with which planregd issues client certificates to people who join; empty: no invitations"),
	STR(issuer_key, "", false, "that CA's private key (PEM, readable by planregd only)"),
	INT(cert_lifetime_days, "90", 1, 825, false, "lifetime of the client certificates planregd issues"),
	INT(cert_lifetime_seconds, "0", 0, 71280000, false,
	    "when not 0, the lifetime of issued certificates in seconds (short-lived deployments, tests)"),
	INT(renew_grace_days, "7", 0, 90, false,
	    "a renewed credential is accepted this long at most (until the new one is first used)"),
	STR(public_address, "", false,
	    "host:port by which clients reach this daemon, written into invitation codes; empty: listen_addr "
	    "(localhost for 127.0.0.1) and listen_port"),
	INT(invite_failures_per_minute, "10", 1, 100000, false,
	    "wrong invitation secrets one address may try a minute; then it waits"),
	STR(db_dsn, "", false, "libpq connection string; empty uses the PG* environment variables"),
	INT(db_pool_size, "4", 1, 100, false, "PostgreSQL connections in the pool"),
	INT(db_connect_timeout_ms, "5000", 100, 600000, false, "give up on one connection attempt after this"),
	INT(db_reconnect_max_ms, "10000", 100, 600000, false, "longest pause between reconnection attempts"),
	INT(db_statement_timeout_ms, "30000", 0, 3600000, false, "statement_timeout for every query (0 = none)"),
	INT(db_queue_max, "1024", 1, 1000000, false, "requests that may wait for a free connection"),
	INT(db_query_timeout_ms, "5000", 100, 3600000, false,
	    "a query unanswered this long is answered UNAVAILABLE; its connection is cancelled and replaced"),
	INT(db_acquire_timeout_ms, "5000", 10, 600000, false, "longest wait for a free pool connection"),
	INT(db_reconnect_min_ms, "50", 1, 600000, false, "first pause before reconnecting; doubles, with jitter"),
	INT(db_tcp_user_timeout_ms, "10000", 0, 600000, false,
	    "tcp_user_timeout and keepalive on pool connections (0 = the system's)"),
	STR(read_db_dsn, "", false,
	    "libpq connection string of a streaming replica that serves read requests (docs/scale-out.md); "
	    "empty: everything on db_dsn"),
	INT(read_db_pool_size, "4", 1, 100, false, "PostgreSQL connections to the replica"),
	INT(read_db_wait_ms, "1000", 0, 60000, false,
	    "a read on a connection that wrote waits this long for the replica to replay the write, then runs on "
	    "the primary"),
	INT(max_frame_bytes, "1048576", 1024, 67108864, false, "largest request or response frame"),
	INT(max_inflight_per_conn, "32", 1, 1024, false, "requests processed at once per connection"),
	INT(max_connections, "1000", 1, 100000, false, "client connections at once; more are refused"),
	INT(max_handshakes, "64", 1, 100000, false,
	    "connections still in the TLS handshake or authentication at once (at most 3/4 of max_connections); "
	    "a newcomer replaces a silent or stalled one, else it is refused"),
	INT(max_connections_per_addr, "64", 1, 100000, false,
	    "connections from one source address (an IPv6 /64) at once; a newcomer replaces the address's "
	    "oldest silent or stalled handshake, else it is refused"),
	STR(trusted_proxies, "", false,
	    "addresses or networks (10.0.0.5, 10.0.0.0/8, fd00::/8; commas or spaces) of load balancers that "
	    "send the PROXY protocol v2 header naming the real client; every connection from them must"),
	INT(max_request_bytes, "65536", 1024, 67108864, false,
	    "largest frame of any request but ImportPlan (which may use max_frame_bytes)"),
	INT(decode_budget_bytes, "16777216", 65536, 1073741824, false,
	    "memory one request may decode into; a request needing more is RESOURCE_EXHAUSTED"),
	INT(handshake_timeout_ms, "10000", 100, 600000, false, "deadline for the TLS handshake"),
	INT(frame_timeout_ms, "30000", 100, 600000, false, "deadline for a started frame to arrive whole"),
	INT(idle_timeout_ms, "300000", 1000, 86400000, false, "close a connection idle this long"),
	INT(write_timeout_ms, "30000", 100, 600000, false,
	    "close a connection whose answers have been waiting to be taken this long (reset only once all are taken)"),
	INT(closing_timeout_ms, "2000", 100, 600000, false, "an orderly close takes at most this long"),
	INT(drain_timeout_ms, "10000", 0, 600000, false, "on SIGTERM, wait this long for in-flight requests"),
	INT(due_days, "14", 0, 365, false, "days after a quarter ends that its updates are due"),
	INT(year_start_month, "1", 1, 4, false,
	    "the reporting year's first month: 1 or january (quarters named 2026-Q3), 4 or april (UK financial "
	    "years, FY2026/27-Q3)"),
	STR(log_key, "", false,
	    "the verifiable log's signing key (made by `planregd log-key`, readable by planregd only); empty: the log "
	    "is kept but no checkpoint is signed"),
	STR(log_origin, "", false, "the log's name in its checkpoints, e.g. host/planreg; empty: the key's name"),
	STR(log_state, "", false,
	    "file holding the last checkpoint planregd signed (outside the database); empty: log_key with .state"),
	STR(require_signatures, "yes", false,
	    "yes: refuse a return or review its submitter did not sign (docs/verifiable-log.md); no: record an "
	    "unsigned one with empty signature fields, while older CLIs are upgraded"),
	STR(rating_scale, "five", false,
	    "delivery confidence scale: five (green to red, five points) or three (green, amber, red; older five-point "
	    "ratings are folded in reports)"),
	STR(log_level, "info", true, "debug, info, warn or error"),
	STR(pid_file, "", false, "write the daemon's pid here"),
};
#define CONFIG_COUNT (sizeof config_table / sizeof config_table[0])

static char **config_str(struct config *c, const struct config_entry *e)
{
	return (char **)((char *)c + e->offset);
}

static int *config_int(struct config *c, const struct config_entry *e)
{
	return (int *)((char *)c + e->offset);
}

static const struct config_entry *config_find(const char *key)
{
	for (size_t i = 0; i < CONFIG_COUNT; i++)
		if (strcmp(config_table[i].key, key) == 0)
			return &config_table[i];
	return NULL;
}

/* year_start_month: 1 or 4, or the month's name; any other month is refused (docs/decisions.md). */
static bool config_set_year_start(struct config *c, const struct config_entry *e, const char *value, const char *source,
				  char **err)
{
	int month = 0;
	if (strcmp(value, "1") == 0 || strcasecmp(value, "january") == 0)
		month = PERIOD_YEAR_JANUARY;
	else if (strcmp(value, "4") == 0 || strcasecmp(value, "april") == 0)
		month = PERIOD_YEAR_APRIL;
	if (!period_year_start_valid(month)) {
		*err = xasprintf("%s: year_start_month \"%s\" is not a reporting year's start: write 1 (or january) "
				 "for calendar quarters, or 4 (or april) for UK financial years",
				 source, value);
		return false;
	}
	*config_int(c, e) = month;
	return true;
}

/* A string key that takes one of two words: true unless e is key and value is neither. */
static bool config_one_of(const struct config_entry *e, const char *key, const char *a, const char *b,
			  const char *value, const char *source, char **err)
{
	if (strcmp(e->key, key) != 0 || strcmp(value, a) == 0 || strcmp(value, b) == 0)
		return true;
	*err = xasprintf("%s: %s \"%s\" is not %s or %s", source, key, value, a, b);
	return false;
}

static bool config_set(struct config *c, const struct config_entry *e, const char *value, const char *source,
		       char **err)
{
	if (e->type == CONFIG_STRING) {
		char **slot = config_str(c, e);
		free(*slot);
		*slot = xstrdup(value);
		if (strcmp(e->key, "log_level") == 0) {
			enum log_level l;
			if (!log_parse_level(value, &l)) {
				*err = xasprintf("%s: log_level \"%s\" is not one of debug, info, warn, error", source,
						 value);
				return false;
			}
		}
		return config_one_of(e, "require_signatures", "yes", "no", value, source, err) &&
		       config_one_of(e, "rating_scale", "five", "three", value, source, err);
	}
	if (strcmp(e->key, "year_start_month") == 0)
		return config_set_year_start(c, e, value, source, err);
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		*err = xasprintf("%s: %s must be a whole number, not \"%s\"", source, e->key, value);
		return false;
	}
	if (v < e->min || v > e->max) {
		*err = xasprintf("%s: %s = %ld is out of range (%ld to %ld)", source, e->key, v, e->min, e->max);
		return false;
	}
	*config_int(c, e) = (int)v;
	return true;
}

static bool config_file_setting(const char *key, const char *value, const char *where, void *arg, char **err)
{
	const struct config_entry *e = config_find(key);
	if (e == NULL) {
		*err = xasprintf("%s: unknown key \"%s\" (planregd --help lists the keys)", where, key);
		return false;
	}
	return config_set(arg, e, value, where, err);
}

bool config_load(struct config *c, const char *file, char **err)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < CONFIG_COUNT; i++)
		if (!config_set(c, &config_table[i], config_table[i].def, "default", err))
			return false;
	if (file != NULL && !kvfile_read(file, false, NULL, config_file_setting, c, err))
		return false;
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		char var[64] = "PLANREGD_";
		size_t o = strlen(var);
		for (const char *k = config_table[i].key; *k && o < sizeof var - 1; k++)
			var[o++] = (char)toupper((unsigned char)*k);
		var[o] = '\0';
		const char *v = getenv(var);
		/* an empty variable counts as unset, as in most daemons' environments */
		if (v != NULL && v[0] != '\0' && !config_set(c, &config_table[i], v, var, err))
			return false;
	}
	return true;
}

bool config_check_serve(const struct config *c, char **err)
{
	struct proxy_trust trust;
	if (!proxy_trust_parse(c->trusted_proxies, &trust, err))
		return false;
	const char *missing[3];
	int n = 0;
	if (c->tls_cert[0] == '\0')
		missing[n++] = "tls_cert";
	if (c->tls_key[0] == '\0')
		missing[n++] = "tls_key";
	if (c->tls_ca[0] == '\0')
		missing[n++] = "tls_ca";
	if (n == 0)
		return true;
	struct buf b = {0};
	buf_puts(&b, "serving needs");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s %s", i ? "," : "", missing[i]);
	buf_puts(&b, " (set them in the config file or as PLANREGD_TLS_* variables)");
	*err = buf_take(&b);
	return false;
}

void config_apply_reloadable(struct config *c, const struct config *next)
{
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const struct config_entry *e = &config_table[i];
		if (!e->reloadable)
			continue;
		if (e->type == CONFIG_STRING) {
			char **slot = config_str(c, e);
			free(*slot);
			*slot = xstrdup(*config_str((struct config *)next, e));
		} else {
			*config_int(c, e) = *config_int((struct config *)next, e);
		}
	}
}

void config_print(const struct config *c, FILE *out)
{
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const struct config_entry *e = &config_table[i];
		if (e->type == CONFIG_INT) {
			fprintf(out, "%s = %d\n", e->key, *config_int((struct config *)c, e));
			continue;
		}
		const char *v = *config_str((struct config *)c, e);
		/* a DSN may carry a password */
		if ((strcmp(e->key, "db_dsn") == 0 || strcmp(e->key, "read_db_dsn") == 0) &&
		    strstr(v, "password") != NULL)
			v = "(set; contains a password, not shown)";
		fprintf(out, "%s = %s\n", e->key, v);
	}
}

void config_print_help(FILE *out)
{
	fprintf(out, "Configuration keys (file \"key = value\", or environment PLANREGD_<KEY>):\n");
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const struct config_entry *e = &config_table[i];
		fprintf(out, "  %-24s %-6s default %-10s%s %s\n", e->key, e->type == CONFIG_INT ? "int" : "string",
			e->def[0] ? e->def : "\"\"", e->reloadable ? " (SIGHUP)" : "", e->help);
	}
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < CONFIG_COUNT; i++)
		if (config_table[i].type == CONFIG_STRING) {
			free(*config_str(c, &config_table[i]));
			*config_str(c, &config_table[i]) = NULL;
		}
}

void config_pool_settings(const struct config *c, const char *dsn, int size, struct db_pool_settings *out)
{
	*out = (struct db_pool_settings){
		.dsn = dsn,
		.size = size,
		.connect_timeout_ms = c->db_connect_timeout_ms,
		.reconnect_max_ms = c->db_reconnect_max_ms,
		.statement_timeout_ms = c->db_statement_timeout_ms,
		.queue_max = c->db_queue_max,
		.query_timeout_ms = c->db_query_timeout_ms,
		.acquire_timeout_ms = c->db_acquire_timeout_ms,
		.reconnect_min_ms = c->db_reconnect_min_ms,
		.tcp_user_timeout_ms = c->db_tcp_user_timeout_ms,
	};
}

bool config_key_doc(size_t i, struct config_key_doc *d)
{
	if (i >= CONFIG_COUNT)
		return false;
	const struct config_entry *e = &config_table[i];
	*d = (struct config_key_doc){e->key, e->type == CONFIG_INT, e->def, e->reloadable, e->min, e->max, e->help};
	return true;
}
