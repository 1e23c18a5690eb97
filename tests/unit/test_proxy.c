/* test_proxy.c - the PROXY protocol v2 header reader and the trusted_proxies list (server/proxy.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* A header as HAProxy's send-proxy-v2 writes it: command, family/transport, the address block. */
static size_t test_header(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *body, size_t n)
{
	memcpy(out, sig, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
	if (n > 0)
		memcpy(out + 16, body, n);
	return 16 + n;
}

static void test_ipv4(void **state)
{
	(void)state;
	uint8_t body[12] = {192, 0, 2, 33, 10, 0, 0, 1, 0x11, 0x5c, 0x1d, 0x13}, h[64];
	size_t n = test_header(h, 0x21, 0x11, body, sizeof body);
	struct proxy_header out;
	size_t need;
	const char *why;
	/* byte by byte: more is asked for until the whole header is there, never past it */
	for (size_t have = 0; have < n; have++) {
		assert_int_equal(proxy_parse(h, have, &out, &need, &why), PROXY_NEED_MORE);
		assert_true(need > have);
		assert_true(need == 16 || need == n);
	}
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_OK);
	assert_int_equal(out.length, n);
	assert_false(out.local);
	const struct sockaddr_in *in = (const struct sockaddr_in *)&out.source;
	assert_int_equal(in->sin_family, AF_INET);
	char peer[64];
	proxy_format_peer((const struct sockaddr *)&out.source, peer, sizeof peer);
	assert_string_equal(peer, "192.0.2.33:4444");
}

static void test_ipv6_with_tlvs(void **state)
{
	(void)state;
	uint8_t body[36 + 7] = {0}, h[80];
	struct in6_addr a;
	inet_pton(AF_INET6, "2001:db8::7", &a);
	memcpy(body, &a, 16);
	body[32] = 0x01, body[33] = 0xbb;                                        /* port 443 */
	memcpy(body + 36, (uint8_t[]){0x04, 0x00, 0x04, 'n', 'o', 'o', 'p'}, 7); /* a TLV, ignored */
	size_t n = test_header(h, 0x21, 0x21, body, sizeof body);
	struct proxy_header out;
	size_t need;
	const char *why;
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_OK);
	assert_int_equal(out.length, n);
	char peer[64];
	proxy_format_peer((const struct sockaddr *)&out.source, peer, sizeof peer);
	assert_string_equal(peer, "2001:db8::7:443");
}

static void test_local_and_unspecified(void **state)
{
	(void)state;
	uint8_t h[32];
	struct proxy_header out;
	size_t need;
	const char *why;
	size_t n = test_header(h, 0x20, 0x00, NULL, 0); /* LOCAL: the proxy's own health check */
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_OK);
	assert_true(out.local);
	n = test_header(h, 0x21, 0x00, NULL, 0); /* PROXY with an unspecified family */
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_OK);
	assert_true(out.local);
}

static void test_refusals(void **state)
{
	(void)state;
	uint8_t body[12] = {0}, h[64];
	struct proxy_header out;
	size_t need;
	const char *why;
	/* a TLS ClientHello, or version 1's text, is not a header */
	const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00};
	assert_int_equal(proxy_parse(hello, sizeof hello, &out, &need, &why), PROXY_INVALID);
	assert_non_null(strstr(why, "did not start with a PROXY protocol v2 header"));
	const char *v1 = "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n";
	assert_int_equal(proxy_parse((const uint8_t *)v1, strlen(v1), &out, &need, &why), PROXY_INVALID);
	size_t n = test_header(h, 0x11, 0x11, body, 12); /* version 1 in the binary form */
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_INVALID);
	n = test_header(h, 0x22, 0x11, body, 12); /* command 2 */
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_INVALID);
	n = test_header(h, 0x21, 0x12, body, 12); /* UDP */
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_INVALID);
	n = test_header(h, 0x21, 0x11, body, 8); /* IPv4 without its ports */
	assert_int_equal(proxy_parse(h, n, &out, &need, &why), PROXY_INVALID);
	test_header(h, 0x21, 0x11, body, 0);
	h[14] = 0xff, h[15] = 0xff; /* 64 KiB announced */
	assert_int_equal(proxy_parse(h, 16, &out, &need, &why), PROXY_INVALID);
	assert_non_null(strstr(why, "longer than planregd reads"));
}

static struct sockaddr_storage test_sa(const char *ip)
{
	struct sockaddr_storage ss = {0};
	if (strchr(ip, ':')) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	} else {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
	}
	return ss;
}

static bool test_trusts(const struct proxy_trust *t, const char *ip)
{
	struct sockaddr_storage ss = test_sa(ip);
	return proxy_trusted(t, (struct sockaddr *)&ss);
}

static void test_trust(void **state)
{
	(void)state;
	struct proxy_trust t;
	char *err = NULL;
	assert_true(proxy_trust_parse("", &t, &err));
	assert_false(test_trusts(&t, "127.0.0.1")); /* nobody by default */
	assert_true(proxy_trust_parse("127.0.0.9, 10.1.0.0/16 fd00::/8\t192.0.2.128/25", &t, &err));
	assert_int_equal(t.n, 4);
	assert_true(test_trusts(&t, "127.0.0.9"));
	assert_false(test_trusts(&t, "127.0.0.1"));
	assert_true(test_trusts(&t, "10.1.255.3"));
	assert_false(test_trusts(&t, "10.2.0.1"));
	assert_true(test_trusts(&t, "fd12::1"));
	assert_false(test_trusts(&t, "fe80::1"));
	assert_true(test_trusts(&t, "192.0.2.200"));
	assert_false(test_trusts(&t, "192.0.2.100"));
	assert_true(test_trusts(&t, "::ffff:127.0.0.9")); /* an IPv4 proxy on a dual-stack socket */
	const char *bad[] = {"10.0.0.0/33", "nope", "10.0.0.1/", "::1/129", "10.0.0.1/x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(proxy_trust_parse(bad[i], &t, &err));
		assert_non_null(strstr(err, "trusted_proxies"));
		free(err);
		err = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6_with_tlvs),
		cmocka_unit_test(test_local_and_unspecified),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_trust),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
