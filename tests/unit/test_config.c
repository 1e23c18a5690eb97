/* test_config.c - unit tests for config.c: every key's default, the file, PLANREGD_* variables over the file,
 * the errors (naming key and source), what SIGHUP may change, and what config_print shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* Every key of struct config as the documentation gives it (README, planregd.conf(5)): where it lives, its
 * default and whether SIGHUP reloads it. A key added to config.c and not here fails test_config_print. */
struct test_config_key {
	const char *key;
	size_t offset;
	bool is_string;
	int int_default;
	const char *str_default;
	bool reloadable;
};

#define TEST_INT(k, d)                                                                                                 \
	{                                                                                                              \
#k, offsetof(struct config, k), false, d, NULL, false                                                  \
	}
#define TEST_STR(k, d, r)                                                                                              \
	{                                                                                                              \
#k, offsetof(struct config, k), true, 0, d, r                                                          \
	}

/* The keys of config.h, in config.c's order (config_print keeps it): a table. */
static const struct test_config_key test_config_keys[] = {
	TEST_STR(listen_addr, "127.0.0.1", false),
	TEST_INT(listen_port, 7443),
	TEST_STR(http_addr, "127.0.0.1", false),
	TEST_INT(http_port, 7444),
	TEST_INT(http_max_connections, 16),
	TEST_INT(http_timeout_ms, 5000),
	TEST_STR(tls_cert, "", true),
	TEST_STR(tls_key, "", true),
	TEST_STR(tls_ca, "", true),
	TEST_STR(server_ca, "", false),
	TEST_STR(issuer_cert, "", false),
	TEST_STR(issuer_key, "", false),
	TEST_INT(cert_lifetime_days, 90),
	TEST_INT(cert_lifetime_seconds, 0),
	TEST_INT(renew_grace_days, 7),
	TEST_STR(public_address, "", false),
	TEST_INT(invite_failures_per_minute, 10),
	TEST_STR(db_dsn, "", false),
	TEST_INT(db_pool_size, 4),
	TEST_INT(db_connect_timeout_ms, 5000),
	TEST_INT(db_reconnect_max_ms, 10000),
	TEST_INT(db_statement_timeout_ms, 30000),
	TEST_INT(db_queue_max, 1024),
	TEST_INT(db_query_timeout_ms, 5000),
	TEST_INT(db_acquire_timeout_ms, 5000),
	TEST_INT(db_reconnect_min_ms, 50),
	TEST_INT(db_tcp_user_timeout_ms, 10000),
	TEST_STR(read_db_dsn, "", false),
	TEST_INT(read_db_pool_size, 4),
	TEST_INT(read_db_wait_ms, 1000),
	TEST_INT(max_frame_bytes, 1048576),
	TEST_INT(max_inflight_per_conn, 32),
	TEST_INT(max_connections, 1000),
	TEST_INT(max_handshakes, 64),
	TEST_INT(max_connections_per_addr, 64),
	TEST_STR(trusted_proxies, "", false),
	TEST_INT(max_request_bytes, 65536),
	TEST_INT(decode_budget_bytes, 16777216),
	TEST_INT(handshake_timeout_ms, 10000),
	TEST_INT(frame_timeout_ms, 30000),
	TEST_INT(idle_timeout_ms, 300000),
	TEST_INT(write_timeout_ms, 30000),
	TEST_INT(closing_timeout_ms, 2000),
	TEST_INT(drain_timeout_ms, 10000),
	TEST_INT(due_days, 14),
	TEST_INT(year_start_month, 1),
	TEST_STR(log_key, "", false),
	TEST_STR(log_origin, "", false),
	TEST_STR(log_state, "", false),
	TEST_STR(require_signatures, "yes", false),
	TEST_STR(rating_scale, "five", false),
	TEST_STR(log_level, "info", true),
	TEST_STR(pid_file, "", false),
};
#define TEST_CONFIG_N_KEYS (sizeof test_config_keys / sizeof test_config_keys[0])

static const char *test_config_str(const struct config *c, const struct test_config_key *k)
{
	return *(char *const *)((const char *)c + k->offset);
}

static int test_config_int(const struct config *c, const struct test_config_key *k)
{
	return *(const int *)((const char *)c + k->offset);
}

/* PLANREGD_LISTEN_PORT for listen_port. */
static void test_config_var(const char *key, char *out, size_t size)
{
	int n = snprintf(out, size, "PLANREGD_");
	for (const char *p = key; *p != '\0' && (size_t)n + 1 < size; p++)
		out[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	out[n] = '\0';
}

/* No PLANREGD_* variable of the keys above is set: each test starts from the defaults. */
static int test_config_clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < TEST_CONFIG_N_KEYS; i++) {
		char var[64];
		test_config_var(test_config_keys[i].key, var, sizeof var);
		unsetenv(var);
	}
	return 0;
}

/* A config file holding text; path receives its name (remove it after). */
static void test_config_file(const char *text, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, size, "%s/test_config.XXXXXX", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Loads file (NULL: none) and fails on an error. */
static void test_config_load_ok(struct config *c, const char *file)
{
	char *err = NULL;
	if (!config_load(c, file, &err))
		fail_msg("config_load: %s", err);
	assert_null(err);
}

/* Loading a config file of text (NULL: none) must fail with exactly want; a want that starts with ':' is
 * about the file, and the file's name comes before it ("NAME:3: ..."). */
static void test_config_assert_refused(const char *text, const char *want)
{
	char path[256] = "", msg[512];
	struct config c;
	char *err = NULL;
	if (text != NULL)
		test_config_file(text, path, sizeof path);
	bool ok = config_load(&c, text != NULL ? path : NULL, &err);
	if (text != NULL)
		unlink(path);
	config_free(&c);
	if (ok)
		fail_msg("accepted, expected \"%s\"", want);
	snprintf(msg, sizeof msg, "%s%s", want[0] == ':' ? path : "", want);
	assert_non_null(err);
	assert_string_equal(err, msg);
	free(err);
}

/* config_print's output. */
static char *test_config_printed(const struct config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print(c, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* ---- defaults, the file, the environment ---- */

static void test_config_defaults(void **state)
{
	(void)state;
	struct config c;
	test_config_load_ok(&c, NULL);
	for (size_t i = 0; i < TEST_CONFIG_N_KEYS; i++) {
		const struct test_config_key *k = &test_config_keys[i];
		if (k->is_string && strcmp(test_config_str(&c, k), k->str_default) != 0)
			fail_msg("%s = \"%s\", expected \"%s\"", k->key, test_config_str(&c, k), k->str_default);
		if (!k->is_string && test_config_int(&c, k) != k->int_default)
			fail_msg("%s = %d, expected %d", k->key, test_config_int(&c, k), k->int_default);
	}
	config_free(&c);
	assert_null(c.listen_addr); /* config_free leaves no dangling pointers */
}

static void test_config_file_overrides_defaults(void **state)
{
	(void)state;
	char path[256];
	test_config_file("# comment\n\ntls_cert = /a.crt\ntls_key=/a.key\n  tls_ca =  /ca.crt  \n"
			 "listen_port = 9000\ndb_dsn = host=x dbname=planreg\npid_file = /run/plan reg.pid\n"
			 "listen_port = 9001\nhttp_port = -1\n",
			 path, sizeof path);
	struct config c;
	test_config_load_ok(&c, path);
	unlink(path);
	assert_string_equal(c.tls_cert, "/a.crt");
	assert_string_equal(c.tls_key, "/a.key");
	assert_string_equal(c.tls_ca, "/ca.crt");
	assert_int_equal(c.listen_port, 9001); /* the last of two lines wins */
	assert_int_equal(c.http_port, -1);
	assert_string_equal(c.db_dsn, "host=x dbname=planreg"); /* "=" inside a value is the value's */
	assert_string_equal(c.pid_file, "/run/plan reg.pid");
	/* what the file does not name keeps its default */
	assert_string_equal(c.listen_addr, "127.0.0.1");
	assert_int_equal(c.max_frame_bytes, 1048576);
	assert_string_equal(c.log_level, "info");
	config_free(&c);
}

static void test_config_environment_over_file(void **state)
{
	(void)state;
	char path[256];
	test_config_file("listen_port = 9000\ntls_ca = /file-ca.crt\ntls_cert = /file.crt\nlog_level = warn\n", path,
			 sizeof path);
	setenv("PLANREGD_LISTEN_PORT", "9100", 1);
	setenv("PLANREGD_TLS_CA", "/env-ca.crt", 1);
	setenv("PLANREGD_TLS_CERT", "", 1); /* an empty variable counts as unset */
	setenv("PLANREGD_MAX_INFLIGHT_PER_CONN", "2", 1);
	struct config c;
	test_config_load_ok(&c, path);
	unlink(path);
	assert_int_equal(c.listen_port, 9100);
	assert_string_equal(c.tls_ca, "/env-ca.crt");
	assert_string_equal(c.tls_cert, "/file.crt");
	assert_string_equal(c.log_level, "warn");
	assert_int_equal(c.max_inflight_per_conn, 2);
	config_free(&c);
	test_config_clear_env(NULL);
}

/* ---- refusals: the key, the source (file:line or variable) and what is wrong ---- */

static void test_config_bounds(void **state)
{
	(void)state;
	test_config_assert_refused("max_frame_bytes = 12\n",
				   ":1: max_frame_bytes = 12 is out of range (1024 to 67108864)");
	test_config_assert_refused("\n# x\nhttp_port = -2\n", ":3: http_port = -2 is out of range (-1 to 65535)");
	test_config_assert_refused("listen_port = 65536\n", ":1: listen_port = 65536 is out of range (0 to 65535)");
	test_config_assert_refused("listen_port = seventy\n",
				   ":1: listen_port must be a whole number, not \"seventy\"");
	test_config_assert_refused("due_days = 14d\n", ":1: due_days must be a whole number, not \"14d\"");
	test_config_assert_refused("due_days = 99999999999999999999\n",
				   ":1: due_days must be a whole number, not \"99999999999999999999\"");
	/* the edges themselves are allowed */
	char path[256];
	test_config_file("listen_port = 0\nhttp_port = 65535\nmax_frame_bytes = 67108864\ndrain_timeout_ms = 0\n", path,
			 sizeof path);
	struct config c;
	test_config_load_ok(&c, path);
	unlink(path);
	assert_int_equal(c.listen_port, 0);
	assert_int_equal(c.http_port, 65535);
	assert_int_equal(c.max_frame_bytes, 67108864);
	assert_int_equal(c.drain_timeout_ms, 0);
	config_free(&c);
}

static void test_config_bounds_from_the_environment(void **state)
{
	(void)state;
	setenv("PLANREGD_MAX_FRAME_BYTES", "67108865", 1);
	test_config_assert_refused(
		NULL, "PLANREGD_MAX_FRAME_BYTES: max_frame_bytes = 67108865 is out of range (1024 to 67108864)");
	test_config_clear_env(NULL);
	setenv("PLANREGD_DB_POOL_SIZE", "four", 1);
	test_config_assert_refused(NULL, "PLANREGD_DB_POOL_SIZE: db_pool_size must be a whole number, not \"four\"");
	test_config_clear_env(NULL);
	/* a good file does not rescue a bad variable */
	setenv("PLANREGD_LISTEN_PORT", "-1", 1);
	test_config_assert_refused("listen_port = 9000\n",
				   "PLANREGD_LISTEN_PORT: listen_port = -1 is out of range (0 to 65535)");
	test_config_clear_env(NULL);
}

static void test_config_unknown_key_and_bad_lines(void **state)
{
	(void)state;
	test_config_assert_refused("colour = blue\n", ":1: unknown key \"colour\" (planregd --help lists the keys)");
	test_config_assert_refused("listen_port = 1\n\nListen_Port = 2\n",
				   ":3: unknown key \"Listen_Port\" (planregd --help lists the keys)");
	test_config_assert_refused("tls_cert\n", ":1: expected \"key = value\"");
	char path[256];
	test_config_file("", path, sizeof path);
	unlink(path);
	struct config c;
	char *err = NULL;
	assert_false(config_load(&c, path, &err));
	config_free(&c);
	assert_non_null(strstr(err, "cannot read"));
	assert_non_null(strstr(err, path));
	free(err);
}

/* log_level is the one string key with a fixed set of values. */
static void test_config_log_level(void **state)
{
	(void)state;
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		setenv("PLANREGD_LOG_LEVEL", levels[i], 1);
		struct config c;
		test_config_load_ok(&c, NULL);
		assert_string_equal(c.log_level, levels[i]);
		config_free(&c);
	}
	test_config_clear_env(NULL);
	test_config_assert_refused("log_level = loud\n",
				   ":1: log_level \"loud\" is not one of debug, info, warn, error");
	setenv("PLANREGD_LOG_LEVEL", "INFO", 1);
	test_config_assert_refused(NULL,
				   "PLANREGD_LOG_LEVEL: log_level \"INFO\" is not one of debug, info, warn, error");
	test_config_clear_env(NULL);
}

/* The reporting year starts in January or April, given by number or name; no other month. */
static void test_config_year_start_month(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int month;
	} ok[] = {{"1", 1}, {"january", 1}, {"January", 1}, {"4", 4}, {"april", 4}, {"APRIL", 4}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		setenv("PLANREGD_YEAR_START_MONTH", ok[i].value, 1);
		struct config c;
		test_config_load_ok(&c, NULL);
		assert_int_equal(c.year_start_month, ok[i].month);
		config_free(&c);
	}
	test_config_clear_env(NULL);
	static const char *const bad[] = {"7", "2", "0", "13", "apr", "july"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[64], want[256];
		snprintf(text, sizeof text, "year_start_month = %s\n", bad[i]);
		snprintf(want, sizeof want,
			 ":1: year_start_month \"%s\" is not a reporting year's start: write 1 (or january) for "
			 "calendar "
			 "quarters, or 4 (or april) for UK financial years",
			 bad[i]);
		test_config_assert_refused(text, want);
	}
	setenv("PLANREGD_YEAR_START_MONTH", "10", 1);
	test_config_assert_refused(NULL,
				   "PLANREGD_YEAR_START_MONTH: year_start_month \"10\" is not a reporting "
				   "year's start: write 1 (or january) for calendar quarters, or 4 (or april) for "
				   "UK financial years");
	test_config_clear_env(NULL);
}

/* rating_scale: five or three, nothing else (docs/assurance.md). */
static void test_config_rating_scale(void **state)
{
	(void)state;
	static const char *const scales[] = {"five", "three"};
	for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
		setenv("PLANREGD_RATING_SCALE", scales[i], 1);
		struct config c;
		test_config_load_ok(&c, NULL);
		assert_string_equal(c.rating_scale, scales[i]);
		config_free(&c);
	}
	test_config_clear_env(NULL);
	test_config_assert_refused("rating_scale = 3\n", ":1: rating_scale \"3\" is not five or three");
	test_config_assert_refused("require_signatures = maybe\n", ":1: require_signatures \"maybe\" is not yes or no");
}

/* ---- SIGHUP ---- */

/* Sets every key's variable to a value other than its default (in bounds: every default is below its
 * maximum), so that a configuration differs from the defaults everywhere. */
static void test_config_set_every_variable(void)
{
	for (size_t i = 0; i < TEST_CONFIG_N_KEYS; i++) {
		const struct test_config_key *k = &test_config_keys[i];
		char var[64], value[64];
		test_config_var(k->key, var, sizeof var);
		if (strcmp(k->key, "year_start_month") == 0)
			snprintf(value, sizeof value, "april"); /* 2 is no reporting year's start */
		else if (!k->is_string)
			snprintf(value, sizeof value, "%d", k->int_default + 1);
		else if (strcmp(k->key, "log_level") == 0)
			snprintf(value, sizeof value, "debug");
		else if (strcmp(k->key, "rating_scale") == 0)
			snprintf(value, sizeof value, "three");
		else if (strcmp(k->key, "require_signatures") == 0)
			snprintf(value, sizeof value, "no");
		else
			snprintf(value, sizeof value, "next-%s", k->key);
		setenv(var, value, 1);
	}
}

static void test_config_reload_applies_only_reloadable_keys(void **state)
{
	(void)state;
	struct config running, next;
	test_config_load_ok(&running, NULL);
	test_config_set_every_variable();
	test_config_load_ok(&next, NULL);
	test_config_clear_env(NULL);
	config_apply_reloadable(&running, &next);
	config_free(&next); /* running keeps copies, not next's strings */
	for (size_t i = 0; i < TEST_CONFIG_N_KEYS; i++) {
		const struct test_config_key *k = &test_config_keys[i];
		if (!k->is_string) {
			/* no int key is reloadable */
			assert_false(k->reloadable);
			if (test_config_int(&running, k) != k->int_default)
				fail_msg("SIGHUP changed %s to %d", k->key, test_config_int(&running, k));
			continue;
		}
		const char *got = test_config_str(&running, k);
		char want[64];
		if (!k->reloadable)
			snprintf(want, sizeof want, "%s", k->str_default);
		else if (strcmp(k->key, "log_level") == 0)
			snprintf(want, sizeof want, "debug");
		else
			snprintf(want, sizeof want, "next-%s", k->key);
		if (strcmp(got, want) != 0)
			fail_msg("after SIGHUP %s = \"%s\", expected \"%s\"", k->key, got, want);
	}
	config_free(&running);
}

/* ---- what is shown ---- */

static void test_config_print(void **state)
{
	(void)state;
	setenv("PLANREGD_DB_DSN", "host=db user=planregd password=s3cret", 1);
	setenv("PLANREGD_READ_DB_DSN", "host=replica password=s3cret", 1);
	setenv("PLANREGD_PID_FILE", "/run/planregd.pid", 1);
	struct config c;
	test_config_load_ok(&c, NULL);
	test_config_clear_env(NULL);
	char *text = test_config_printed(&c);
	config_free(&c);
	assert_null(strstr(text, "s3cret"));
	assert_non_null(strstr(text, "\ndb_dsn = (set; contains a password, not shown)\n"));
	assert_non_null(strstr(text, "\nread_db_dsn = (set; contains a password, not shown)\n"));
	assert_non_null(strstr(text, "\npid_file = /run/planregd.pid\n"));
	/* one line per key, in the table's order */
	size_t lines = 0;
	for (const char *p = text; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, TEST_CONFIG_N_KEYS);
	const char *at = text;
	for (size_t i = 0; i < TEST_CONFIG_N_KEYS; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s = ", test_config_keys[i].key);
		assert_memory_equal(at, head, strlen(head));
		at = strchr(at, '\n') + 1;
	}
	free(text);

	/* a DSN without a password is shown as it is */
	setenv("PLANREGD_DB_DSN", "host=/run/postgresql dbname=planreg", 1);
	test_config_load_ok(&c, NULL);
	test_config_clear_env(NULL);
	text = test_config_printed(&c);
	config_free(&c);
	assert_non_null(strstr(text, "\ndb_dsn = host=/run/postgresql dbname=planreg\n"));
	assert_non_null(strstr(text, "listen_port = 7443\n"));
	free(text);
}

/* --help: every key, its type, and (SIGHUP) exactly on the reloadable ones. */
static void test_config_print_help(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print_help(f);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < TEST_CONFIG_N_KEYS; i++) {
		const struct test_config_key *k = &test_config_keys[i];
		char head[64];
		snprintf(head, sizeof head, "\n  %-24s %-6s default ", k->key, k->is_string ? "string" : "int");
		const char *line = strstr(text, head);
		if (line == NULL) {
			fail_msg("--help has no line for %s", k->key);
			continue;
		}
		const char *end = strchr(line + 1, '\n');
		bool sighup = end != NULL && memmem(line, (size_t)(end - line), "(SIGHUP)", 8) != NULL;
		if (sighup != k->reloadable)
			fail_msg("--help marks %s (SIGHUP) %d, expected %d", k->key, sighup, k->reloadable);
	}
	free(text);
}

/* ---- serving needs ---- */

static void test_config_check_serve(void **state)
{
	(void)state;
	struct config c;
	test_config_load_ok(&c, NULL);
	char *err = NULL;
	assert_false(config_check_serve(&c, &err));
	assert_string_equal(err, "serving needs tls_cert, tls_key, tls_ca (set them in the config file or as "
				 "PLANREGD_TLS_* variables)");
	free(err);
	config_free(&c);

	setenv("PLANREGD_TLS_CERT", "/a.crt", 1);
	setenv("PLANREGD_TLS_CA", "/ca.crt", 1);
	test_config_load_ok(&c, NULL);
	err = NULL;
	assert_false(config_check_serve(&c, &err));
	assert_string_equal(err, "serving needs tls_key (set them in the config file or as PLANREGD_TLS_* variables)");
	free(err);
	config_free(&c);

	setenv("PLANREGD_TLS_KEY", "/a.key", 1);
	test_config_load_ok(&c, NULL);
	err = NULL;
	assert_true(config_check_serve(&c, &err));
	assert_null(err);
	config_free(&c);
	test_config_clear_env(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config_defaults, test_config_clear_env),
		cmocka_unit_test_setup(test_config_file_overrides_defaults, test_config_clear_env),
		cmocka_unit_test_setup(test_config_environment_over_file, test_config_clear_env),
		cmocka_unit_test_setup(test_config_bounds, test_config_clear_env),
		cmocka_unit_test_setup(test_config_bounds_from_the_environment, test_config_clear_env),
		cmocka_unit_test_setup(test_config_unknown_key_and_bad_lines, test_config_clear_env),
		cmocka_unit_test_setup(test_config_log_level, test_config_clear_env),
		cmocka_unit_test_setup(test_config_year_start_month, test_config_clear_env),
		cmocka_unit_test_setup(test_config_rating_scale, test_config_clear_env),
		cmocka_unit_test_setup(test_config_reload_applies_only_reloadable_keys, test_config_clear_env),
		cmocka_unit_test_setup(test_config_print, test_config_clear_env),
		cmocka_unit_test_setup(test_config_print_help, test_config_clear_env),
		cmocka_unit_test_setup(test_config_check_serve, test_config_clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
