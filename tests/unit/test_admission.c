/* test_admission.c - the limits at accept (server/admission.c): the handshake budget, the
 * per-address quota, and which unauthenticated connection a newcomer replaces. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admission.h"
#include "conn.h"

struct fixture {
	struct config cfg;
	struct conn_table tab;
	struct conn *made[64];
	size_t n_made;
};

static int test_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->cfg.max_connections = 100;
	f->cfg.max_handshakes = 4;
	f->cfg.max_connections_per_addr = 3;
	f->cfg.handshake_timeout_ms = 10000;
	conn_table_init(&f->tab, NULL, &f->cfg, NULL, NULL);
	*state = f;
	return 0;
}

static int test_teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < f->n_made; i++)
		free(f->made[i]);
	free(f->tab.addr_buckets);
	free(f);
	return 0;
}

static void test_addr(const char *ip, struct conn_addr *a)
{
	struct sockaddr_storage ss = {0};
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	admission_addr_key((struct sockaddr *)&ss, a);
}

/* A connection as conn_accept leaves it, without a socket: counted in every list. */
static struct conn *test_conn(struct fixture *f, const char *ip, enum conn_state st, uint64_t accepted_ms,
			      uint64_t bytes_in)
{
	struct conn *c = calloc(1, sizeof *c);
	c->tab = &f->tab;
	c->state = st;
	c->accepted_ms = accepted_ms;
	c->bytes_in = bytes_in;
	test_addr(ip, &c->addr);
	c->addr_hash = admission_addr_hash(f->tab.addr_seed, &c->addr);
	LIST_INSERT_HEAD(&f->tab.all, c, link);
	LIST_INSERT_HEAD(&f->tab.addr_buckets[c->addr_hash & f->tab.addr_mask], c, addr_link);
	f->tab.n++;
	if (st == CONN_HANDSHAKE || st == CONN_AUTHENTICATING) {
		TAILQ_INSERT_TAIL(&f->tab.unauth, c, unauth_link);
		c->unauth = true;
		f->tab.n_unauth++;
	}
	f->made[f->n_made++] = c;
	return c;
}

static void test_decide(struct fixture *f, const char *ip, uint64_t now, struct admission *out)
{
	struct conn_addr a;
	test_addr(ip, &a);
	admission_decide(&f->tab, &a, admission_addr_hash(f->tab.addr_seed, &a), now, out);
}

static void test_unauth_limit(void **state)
{
	(void)state;
	struct config cfg = {.max_connections = 1000, .max_handshakes = 64};
	assert_int_equal(admission_unauth_limit(&cfg), 64);
	cfg.max_handshakes = 5000; /* a quarter is always left to authenticated clients */
	assert_int_equal(admission_unauth_limit(&cfg), 750);
	cfg.max_connections = 1;
	assert_int_equal(admission_unauth_limit(&cfg), 1);
}

static void test_addresses(void **state)
{
	(void)state;
	struct conn_addr a, b, mapped;
	test_addr("192.0.2.7", &a);
	test_addr("192.0.2.8", &b);
	assert_memory_not_equal(a.bytes, b.bytes, sizeof a.bytes);
	test_addr("::ffff:192.0.2.7", &mapped); /* an IPv4 client of a dual-stack socket is the same address */
	assert_memory_equal(a.bytes, mapped.bytes, sizeof a.bytes);
	struct conn_addr p1, p2, other;
	test_addr("2001:db8:1:2::1", &p1);
	test_addr("2001:db8:1:2:ffff::9", &p2); /* the same /64 */
	test_addr("2001:db8:1:3::1", &other);
	assert_memory_equal(p1.bytes, p2.bytes, sizeof p1.bytes);
	assert_memory_not_equal(p1.bytes, other.bytes, sizeof p1.bytes);
}

static void test_per_address_quota(void **state)
{
	struct fixture *f = *state;
	struct admission v;
	for (int i = 0; i < 3; i++)
		test_conn(f, "192.0.2.7", CONN_OPEN, 1000, 100);
	test_decide(f, "192.0.2.7", 5000, &v);
	assert_false(v.admit);
	assert_int_equal(v.refused, CONN_REFUSED_PER_ADDR);
	assert_int_equal(v.limit, 3);
	test_decide(f, "192.0.2.8", 5000, &v);
	assert_true(v.admit);
	assert_null(v.victim);
}

/* Behind one NAT or proxy: a full address quota of silent handshakes gives way to a newcomer from
 * that address (its own oldest silent one goes, not another address's); authenticated or
 * authenticating connections never do. */
static void test_per_address_eviction(void **state)
{
	struct fixture *f = *state;
	struct conn *other = test_conn(f, "192.0.2.99", CONN_HANDSHAKE, 100, 0); /* older, but elsewhere */
	struct conn *oldest = test_conn(f, "192.0.2.7", CONN_HANDSHAKE, 1000, 0);
	struct conn *older = test_conn(f, "192.0.2.7", CONN_HANDSHAKE, 2000, 0);
	struct conn *talking = test_conn(f, "192.0.2.7", CONN_AUTHENTICATING, 500, 900);
	(void)other;
	(void)older;
	(void)talking;
	struct admission v;
	test_decide(f, "192.0.2.7", 5000, &v);
	assert_true(v.admit);
	assert_ptr_equal(v.victim, oldest);
	/* none silent any more and none stalled: the quota holds */
	oldest->bytes_in = older->bytes_in = 10;
	oldest->accepted_ms = older->accepted_ms = 4800;
	test_decide(f, "192.0.2.7", 5000, &v);
	assert_false(v.admit);
	assert_int_equal(v.refused, CONN_REFUSED_PER_ADDR);
	/* a stalled one (under way a second) goes when nobody is silent */
	older->accepted_ms = 3000;
	test_decide(f, "192.0.2.7", 5000, &v);
	assert_true(v.admit);
	assert_ptr_equal(v.victim, older);
}

static void test_max_connections(void **state)
{
	struct fixture *f = *state;
	f->cfg.max_connections = 2;
	test_conn(f, "192.0.2.1", CONN_OPEN, 1000, 100);
	test_conn(f, "192.0.2.2", CONN_OPEN, 1000, 100);
	struct admission v;
	test_decide(f, "192.0.2.3", 5000, &v);
	assert_false(v.admit);
	assert_int_equal(v.refused, CONN_REFUSED_MAX_CONNECTIONS);
}

/* A full budget: the oldest silent handshake goes first, then the oldest stalled one; an
 * authenticating connection (a valid certificate, a bounded lookup) never does. */
static void test_eviction_order(void **state)
{
	struct fixture *f = *state;
	struct conn *authing = test_conn(f, "192.0.2.1", CONN_AUTHENTICATING, 0, 500);
	struct conn *busy_old = test_conn(f, "192.0.2.2", CONN_HANDSHAKE, 100, 300);
	struct conn *silent = test_conn(f, "192.0.2.3", CONN_HANDSHAKE, 200, 0);
	struct conn *young = test_conn(f, "192.0.2.4", CONN_HANDSHAKE, 4990, 5);
	(void)authing;
	(void)young;
	struct admission v;
	test_decide(f, "192.0.2.9", 5000, &v);
	assert_true(v.admit);
	assert_ptr_equal(v.victim, silent); /* silent beats older-but-talking */
	silent->bytes_in = 10;              /* now nobody is silent: the oldest stalled one */
	test_decide(f, "192.0.2.9", 5000, &v);
	assert_ptr_equal(v.victim, busy_old);
	/* talking and under way for less than a second: still welcome to finish, nobody to evict */
	busy_old->accepted_ms = silent->accepted_ms = 4500;
	test_decide(f, "192.0.2.9", 5000, &v);
	assert_false(v.admit);
	assert_int_equal(v.refused, CONN_REFUSED_HANDSHAKES);
	assert_int_equal(v.limit, 4);
}

/* The stalled threshold is at most half the handshake deadline. */
static void test_short_handshake_deadline(void **state)
{
	struct fixture *f = *state;
	f->cfg.handshake_timeout_ms = 400;
	for (int i = 0; i < 4; i++)
		test_conn(f, "192.0.2.5", CONN_HANDSHAKE, 1000, 50);
	struct conn *first = f->made[0];
	assert_null(admission_pick_victim(&f->tab, 1199));
	assert_ptr_equal(admission_pick_victim(&f->tab, 1200), first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unauth_limit),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test_setup_teardown(test_per_address_quota, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_per_address_eviction, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_max_connections, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_eviction_order, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_short_handshake_deadline, test_setup, test_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
