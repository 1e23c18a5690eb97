/* test_chain.c - the canonical encoding and hash chain of progress updates
 * against the example in docs/audit.md (computed independently). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"

static const struct chain_milestone example_milestones[] = {
	{"Network live", "2026-06-30", "", "2026-07-15"},
};
static const char *const example_risks[] = {"Supply chain"};

static struct chain_content example(void)
{
	struct chain_content c = {
		.ref = 5,
		.period = "2026-Q3",
		.confidence = "green",
		.stage = "live",
		.narrative = "On track.",
		.has_spend = true,
		.spend_pence = 100000000,
		.has_forecast = false,
		.variance_note = "",
		.milestones = example_milestones,
		.n_milestones = 1,
		.risks = example_risks,
		.n_risks = 1,
	};
	return c;
}

static const struct chain_record example_record = {
	.revision = 1,
	.submitted_by = "submitter-LCC",
	.submitted_org = "LCC",
	.submitted_person = "Ann Williams",
	.on_behalf = false,
	.submitted_at = "2026-09-01T10:00:00.000000Z",
};

static void test_example_hash(void **state)
{
	(void)state;
	struct chain_content c = example();
	char h[65], d[65];
	chain_hash(CHAIN_GENESIS, &c, &example_record, h);
	assert_string_equal(h, "5cfa936148c7c73bb56b7e4b86dbe4622302abb284e2532ac22f6501fda1248d");
	chain_content_digest(&c, d);
	assert_string_equal(d, "2b04474f5e2c224693bacbe6874566bbc5ec9c4cb001662f5750ce71023a2d7f");
}

static void test_encoding_is_exact(void **state)
{
	(void)state;
	struct chain_content c = example();
	struct buf b = {0};
	chain_encode(&c, &example_record, &b);
	assert_string_equal(b.data, "planreg-update-v1\n"
				    "ref=5\n"
				    "period=7:2026-Q3\n"
				    "confidence=5:green\n"
				    "stage=4:live\n"
				    "narrative=9:On track.\n"
				    "spend_to_date_pence=100000000\n"
				    "forecast_total_pence=-\n"
				    "variance_note=0:\n"
				    "milestones=1\n"
				    "title=12:Network live\n"
				    "baseline=10:2026-06-30\n"
				    "forecast=0:\n"
				    "achieved=10:2026-07-15\n"
				    "risks=1\n"
				    "risk=12:Supply chain\n"
				    "revision=1\n"
				    "submitted_by=13:submitter-LCC\n"
				    "submitted_org=3:LCC\n"
				    "submitted_person=12:Ann Williams\n"
				    "on_behalf=false\n"
				    "submitted_at=27:2026-09-01T10:00:00.000000Z\n");
	buf_free(&b);
}

/* Every field takes part: changing any one changes the hash. */
static void test_every_field_counts(void **state)
{
	(void)state;
	char base[65], h[65];
	struct chain_content c = example();
	struct chain_record r = example_record;
	chain_hash(CHAIN_GENESIS, &c, &r, base);

#define CHANGED(stmt)                                                                                                  \
	do {                                                                                                           \
		struct chain_content c2 = example();                                                                   \
		struct chain_record r2 = example_record;                                                               \
		(void)c2;                                                                                              \
		(void)r2;                                                                                              \
		stmt;                                                                                                  \
		chain_hash(CHAIN_GENESIS, &c2, &r2, h);                                                                \
		assert_string_not_equal(h, base);                                                                      \
	} while (0)
	CHANGED(c2.ref = 6);
	CHANGED(c2.period = "2026-Q2");
	CHANGED(c2.confidence = "amber");
	CHANGED(c2.stage = "completed");
	CHANGED(c2.narrative = "On track!");
	CHANGED(c2.spend_pence = 100000001);
	CHANGED(c2.has_spend = false);
	CHANGED((c2.has_forecast = true, c2.forecast_pence = 0));
	CHANGED(c2.variance_note = "x");
	CHANGED(c2.n_milestones = 0);
	CHANGED(c2.n_risks = 0);
	CHANGED(r2.revision = 2);
	CHANGED(r2.submitted_by = "admin");
	CHANGED(r2.submitted_org = "CA");
	CHANGED(r2.submitted_person = "Ann  Williams");
	CHANGED(r2.on_behalf = true);
	CHANGED(r2.submitted_at = "2026-09-01T10:00:00.000001Z");
#undef CHANGED
	/* and the link */
	chain_hash("1111111111111111111111111111111111111111111111111111111111111111", &c, &r, h);
	assert_string_not_equal(h, base);
}

/* Length prefixes: moving text between fields cannot keep the hash. */
static void test_boundaries_are_unambiguous(void **state)
{
	(void)state;
	struct chain_content a = example(), b = example();
	a.narrative = "On track.\nvariance_note=0:";
	a.variance_note = "";
	b.narrative = "On track.";
	b.variance_note = "\nvariance_note=0:";
	char ha[65], hb[65];
	chain_content_digest(&a, ha);
	chain_content_digest(&b, hb);
	assert_string_not_equal(ha, hb);
}

/* The log's leaves (planreg-log-v1), byte for byte as docs/verifiable-log.md gives them and migrations/0014's
 * SQL builds them (VerifyAudit compares the two for every update). Lengths are bytes: "é" is two. */
static void test_leaf_update(void **state)
{
	(void)state;
	struct chain_leaf_update u = {
		.update_id = 7,
		.ref = 5,
		.period = "2026-Q3",
		.content_sha256 = "ab",
		.chain_hash = "cd",
		.record =
			{
				.revision = 2,
				.submitted_by = "submitter-LCC",
				.submitted_org = "LCC",
				.submitted_person = "Ann Williamsé",
				.on_behalf = false,
				.submitted_at = "2026-09-01T10:00:00.000000Z",
			},
	};
	struct buf b = {0};
	chain_leaf_update(&u, &b);
	assert_string_equal(buf_str(&b),
			    "planreg-log-v1\nkind=update\nupdate_id=7\nref=5\nperiod=7:2026-Q3\nrevision=2\n"
			    "content_sha256=ab\nchain_hash=cd\nsubmitted_by=13:submitter-LCC\n"
			    "submitted_org=3:LCC\nsubmitted_person=14:Ann Williams\xc3\xa9\non_behalf=false\n"
			    "submitted_at=27:2026-09-01T10:00:00.000000Z\nsignature=0:\ncertificate_sha256=0:\n");
	buf_free(&b);
}

static void test_leaf_review(void **state)
{
	(void)state;
	struct chain_leaf_review r = {
		.review_id = 3,
		.update_id = 7,
		.accepted = false,
		.comment = "Say more.\nsignature=0:",
		.reviewed_by = "admin",
		.reviewed_at = "2026-09-02T10:00:00.000001Z",
	};
	struct buf b = {0};
	chain_leaf_review(&r, &b);
	/* a comment that imitates a field is still one length-prefixed value */
	assert_string_equal(buf_str(&b),
			    "planreg-log-v1\nkind=review\nreview_id=3\nupdate_id=7\naccepted=false\n"
			    "comment=22:Say more.\nsignature=0:\nreviewed_by=5:admin\n"
			    "reviewed_at=27:2026-09-02T10:00:00.000001Z\nsignature=0:\ncertificate_sha256=0:\n");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_hash),       cmocka_unit_test(test_encoding_is_exact),
		cmocka_unit_test(test_every_field_counts), cmocka_unit_test(test_boundaries_are_unambiguous),
		cmocka_unit_test(test_leaf_update),        cmocka_unit_test(test_leaf_review),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
