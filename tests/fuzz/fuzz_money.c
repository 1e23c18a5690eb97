/* fuzz_money.c - fuzz target for proto/money.c: amounts as people write them ("£1.2M", "£55,000", "600k").
 *
 * Invariants: money_scan never reads past the string's end and never yields more than MONEY_MAX_PENCE or
 * less than zero; what money_parse accepts, money_format writes in a form money_parse reads back as the same
 * pence; money_format of any int64 fits its buffer and parses back when in range.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "money.h"

/* Formats pence and checks the text: fits, and reads back as the same pence when it is in range. */
static void fuzz_money_format(int64_t pence)
{
	char out[MONEY_FMT_MAX];
	memset(out, 'x', sizeof out);
	money_format(pence, out);
	fuzz_require(memchr(out, '\0', sizeof out) != NULL, "money_format overran its buffer");
	fuzz_require((pence < 0) == (out[0] == '-'), "money_format sign");
	if (pence < 0 || pence > MONEY_MAX_PENCE)
		return;
	int64_t back = -1;
	fuzz_require(money_parse(out, &back), "money_parse refuses what money_format wrote");
	if (back != pence) {
		fprintf(stderr, "fuzz_money: %" PRId64 " formats as \"%s\", which reads back as %" PRId64 "\n", pence,
			out, back);
		fuzz_require(false, "money_format/money_parse round trip");
	}
	fuzz_require(money_scan(out, &back) == strlen(out), "money_scan stops inside what money_format wrote");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_alloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	size_t slen = strlen(s); /* stops at an embedded NUL, as the parser does */

	int64_t pence = -1;
	size_t n = money_scan(s, &pence);
	fuzz_require(n <= slen, "money_scan consumed more than the string");
	if (n > 0) {
		fuzz_require(pence >= 0 && pence <= MONEY_MAX_PENCE, "money_scan out of range");
		fuzz_money_format(pence);
		/* a scan stops where an amount ends: what follows cannot extend it */
		int64_t again = -1;
		char *prefix = fuzz_alloc(n + 1);
		memcpy(prefix, s, n);
		prefix[n] = '\0';
		fuzz_require(money_scan(prefix, &again) == n && again == pence,
			     "money_scan reads its own prefix differently");
		free(prefix);
	}

	int64_t parsed = -1;
	bool ok = money_parse(s, &parsed);
	fuzz_accept(ok);
	if (ok) {
		fuzz_require(parsed >= 0 && parsed <= MONEY_MAX_PENCE, "money_parse out of range");
		fuzz_money_format(parsed);
	}

	/* the first eight bytes as a number: money_format of anything, including INT64_MIN */
	if (size >= 8) {
		uint64_t u;
		memcpy(&u, data, sizeof u);
		fuzz_money_format((int64_t)u);
		fuzz_money_format((int64_t)(u % (uint64_t)(MONEY_MAX_PENCE + 1)));
	}
	free(s);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

static void fuzz_money_seeds(struct fuzz_pool *pool)
{
	static const char *const seeds[] = {
		"\xc2\xa3"
		"1.2M",
		"\xc2\xa3"
		"55,000",
		"\xc2\xa3"
		"600k",
		"1200000.50",
		"\xc2\xa3 7,200,000",
		"  \xc2\xa3"
		"3bn  ",
		"\xc2\xa3"
		"0.01",
		"0",
		"10000000000000",
		"\xc2\xa3"
		"9,999,999,999,999.99",
		"1,20",
		"1234,567",
		"12abc",
		"3mx",
		"\xc2\xa3"
		"1.234567890123M",
		"1.5bN",
		"-\xc2\xa3"
		"5",
		"\xc2\xa3\t1.25K",
		"99999999999999999999999999",
	};
	fuzz_pool_add_strs(pool, seeds, sizeof seeds / sizeof seeds[0]);
	/* numbers for the int64 path of money_format */
	const int64_t edges[] = {INT64_MIN, -1, 0, 1, 99, 100, MONEY_MAX_PENCE, MONEY_MAX_PENCE + 1, INT64_MAX};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		fuzz_pool_add(pool, &edges[i], sizeof edges[i]);
}

static const char *const fuzz_money_tokens[] = {
	"\xc2\xa3", ",000", ",", ".", ".5", "0", "9", "k", "K", "m", "M", "bn", "BN", " ", "\t", "999999999", NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "money",
	.iterations = 20000,
	.max_len = 256,
	.tokens = fuzz_money_tokens,
	.seeds = fuzz_money_seeds,
	.accepted_what = "were amounts money_parse accepted",
};
