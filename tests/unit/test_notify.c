/* test_notify.c - notify_send against real datagram sockets: a path, an abstract
 * name, nobody listening, and NOTIFY_SOCKET values that are no address at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

/* A bound datagram socket; name is a path, or "@..." for the abstract namespace. */
static int bound_socket(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	size_t len = strlen(name);
	assert_true(len < sizeof sa.sun_path);
	memcpy(sa.sun_path, name, len);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		salen++;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, salen), 0);
	return fd;
}

static void expect_message(int fd, const char *want)
{
	char got[512];
	ssize_t n = recv(fd, got, sizeof got - 1, MSG_DONTWAIT);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void test_unset_is_a_no_op(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	char *err = NULL;
	assert_true(notify_send("READY=1", &err));
	assert_null(err);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_true(notify_send("READY=1", &err));
	assert_null(err);
}

static void test_path(void **state)
{
	(void)state;
	char dir[] = "/tmp/planreg-notify-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/notify", dir);
	int fd = bound_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	char *err = NULL;
	assert_true(notify_send("READY=1\nSTATUS=serving", &err));
	assert_null(err);
	expect_message(fd, "READY=1\nSTATUS=serving");
	close(fd);
	unlink(path);
	/* gone: the error names it, nothing else happens */
	assert_false(notify_send("STOPPING=1", &err));
	assert_non_null(err);
	assert_non_null(strstr(err, path));
	free(err);
	rmdir(dir);
}

static void test_abstract(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof name, "@planreg-notify-test-%ld", (long)getpid());
	int fd = bound_socket(name);
	setenv("NOTIFY_SOCKET", name, 1);
	char *err = NULL;
	assert_true(notify_send("RELOADING=1", &err));
	assert_null(err);
	expect_message(fd, "RELOADING=1");
	close(fd);
}

static void test_unusable_values(void **state)
{
	(void)state;
	char too_long[200];
	too_long[0] = '/';
	memset(too_long + 1, 'x', sizeof too_long - 2);
	too_long[sizeof too_long - 1] = '\0';
	const char *bad[] = {"relative/path", "@", too_long, "vsock:2:1234"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		char *err = NULL;
		assert_false(notify_send("READY=1", &err));
		assert_non_null(err);
		free(err);
	}
	unsetenv("NOTIFY_SOCKET");
}

static void test_monotonic_usec(void **state)
{
	(void)state;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long long before = (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000;
	unsigned long long got = notify_monotonic_usec();
	assert_true(got >= before);
	assert_true(got - before < 1000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unset_is_a_no_op), cmocka_unit_test(test_path),
		cmocka_unit_test(test_abstract),         cmocka_unit_test(test_unusable_values),
		cmocka_unit_test(test_monotonic_usec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
