/* decode_bench.c - what decoding a request under a memory budget (proto/decode.c, the
 * daemon's way since the hardening issue) costs beside protobuf-c's default allocator,
 * for three typical requests. Prints nanoseconds per decode and bytes counted.
 *
 *   build/release/tests/planreg-decode-bench [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "planreg.pb-c.h"

static double decode_bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* req packed into *out (malloc'd); returns its length. */
static size_t decode_bench_pack(const Planreg__V1__Request *req, uint8_t **out)
{
	size_t n = planreg__v1__request__get_packed_size(req);
	*out = malloc(n);
	if (*out == NULL)
		abort();
	planreg__v1__request__pack(req, *out);
	return n;
}

/* A SubmitUpdate with a narrative, three milestones and two risks. */
static size_t decode_bench_submit(uint8_t **out)
{
	static Planreg__V1__Date dates[6];
	static Planreg__V1__Milestone ms[3];
	static Planreg__V1__Milestone *mp[3];
	static const char *const iso[6] = {"2026-06-30", "2026-09-30", "2026-07-31",
					   "2026-12-31", "2026-08-31", "2027-03-31"};
	for (int i = 0; i < 6; i++) {
		planreg__v1__date__init(&dates[i]);
		dates[i].iso = (char *)iso[i];
	}
	static const char *const titles[3] = {"Phase 1 network build", "Phase 2 wards", "Evaluation"};
	for (int i = 0; i < 3; i++) {
		planreg__v1__milestone__init(&ms[i]);
		ms[i].title = (char *)titles[i];
		ms[i].baseline = &dates[2 * i];
		ms[i].forecast = &dates[2 * i + 1];
		mp[i] = &ms[i];
	}
	static char *risks[2] = {"Supply chain for radio units", "Wayleave agreements with landlords"};
	Planreg__V1__Money spend = PLANREG__V1__MONEY__INIT, forecast = PLANREG__V1__MONEY__INIT;
	spend.pence = 120000000;
	forecast.pence = 720000000;
	Planreg__V1__UpdateContent c = PLANREG__V1__UPDATE_CONTENT__INIT;
	c.ref = 5;
	c.period = "2026-Q3";
	c.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER;
	c.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	c.narrative = "Network build on schedule; the second phase began in August and two wards are live. "
		      "Procurement of the remaining radio units is under way.";
	c.spend_to_date = &spend;
	c.forecast_total = &forecast;
	c.n_milestones = 3;
	c.milestones = mp;
	c.n_risks = 2;
	c.risks = risks;
	Planreg__V1__SubmitUpdateRequest s = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	s.content = &c;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.id = 7;
	req.idempotency_key = "0123456789abcdef0123456789abcdef";
	req.body_case = PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE;
	req.submit_update = &s;
	return decode_bench_pack(&req, out);
}

/* A GetStatus with every filter. */
static size_t decode_bench_status(uint8_t **out)
{
	Planreg__V1__Timestamp at = PLANREG__V1__TIMESTAMP__INIT;
	at.rfc3339 = "2026-10-20T09:30:00Z";
	Planreg__V1__GetStatusRequest g = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	g.period = "2026-Q3";
	g.as_at = &at;
	g.theme = 1;
	g.lead_org = "LCC";
	g.page_size = 500;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.id = 8;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_STATUS;
	req.get_status = &g;
	return decode_bench_pack(&req, out);
}

/* An ImportPlan of 80 projects, each with two leads, a partner and a cost: the real plan's shape. */
static size_t decode_bench_import(uint8_t **out)
{
	enum { PROJECTS = 80 };
	static Planreg__V1__Project p[PROJECTS];
	static Planreg__V1__Project *pp[PROJECTS];
	static Planreg__V1__Cost cost[PROJECTS];
	static Planreg__V1__Money min[PROJECTS];
	static Planreg__V1__Partner partner[PROJECTS];
	static Planreg__V1__Partner *partners[PROJECTS][1];
	static char *leads[2] = {"LCC", "CA"};
	static char *people[1] = {"Ann Williams"};
	for (int i = 0; i < PROJECTS; i++) {
		planreg__v1__project__init(&p[i]);
		planreg__v1__cost__init(&cost[i]);
		planreg__v1__money__init(&min[i]);
		planreg__v1__partner__init(&partner[i]);
		min[i].pence = 100000000 + i;
		cost[i].text = "£1M";
		cost[i].status = PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN;
		cost[i].min = &min[i];
		cost[i].max = &min[i];
		partner[i].name = "Liverpool John Moores University";
		partner[i].organisation = "LJMU";
		partners[i][0] = &partner[i];
		p[i].ref = i + 1;
		p[i].theme = 1 + i % 6;
		p[i].objective = "1.2";
		p[i].title = "Liverpool 5G Create: Connecting Health & Social Care";
		p[i].description = "A private 5G network connecting health and social care services in the city's "
				   "most deprived wards, with devices for residents and staff.";
		p[i].n_lead_orgs = 2;
		p[i].lead_orgs = leads;
		p[i].n_lead_people = 1;
		p[i].lead_people = people;
		p[i].lead_text = "LCC & LCR CA";
		p[i].n_partners = 1;
		p[i].partners = partners[i];
		p[i].partners_text = "LJMU";
		p[i].cost = &cost[i];
		p[i].funding = "5G Create";
		p[i].stage = PLANREG__V1__STAGE__STAGE_LIVE;
		p[i].stage_text = "Live";
		pp[i] = &p[i];
	}
	Planreg__V1__ImportPlanRequest imp = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	imp.title = "2021-2023 LCR Digital Strategy Action Plan";
	imp.n_projects = PROJECTS;
	imp.projects = pp;
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.id = 9;
	req.body_case = PLANREG__V1__REQUEST__BODY_IMPORT_PLAN;
	req.import_plan = &imp;
	return decode_bench_pack(&req, out);
}

/* Decodes buf n times each way, interleaved in rounds so that both see the same machine. */
static void decode_bench_one(const char *name, const uint8_t *buf, size_t len, long n)
{
	double plain = 0, budget = 0;
	size_t used = 0;
	for (int round = 0; round < 10; round++) {
		double t0 = decode_bench_now();
		for (long i = 0; i < n / 10; i++) {
			Planreg__V1__Request *r = planreg__v1__request__unpack(NULL, len, buf);
			if (r == NULL)
				abort();
			protobuf_c_message_free_unpacked(&r->base, NULL);
		}
		double t1 = decode_bench_now();
		for (long i = 0; i < n / 10; i++) {
			enum decode_result dr;
			ProtobufCMessage *m =
				decode_unpack(&planreg__v1__request__descriptor, buf, len, 16u << 20, &dr, &used);
			if (m == NULL)
				abort();
			decode_free(m);
		}
		double t2 = decode_bench_now();
		plain += t1 - t0;
		budget += t2 - t1;
	}
	printf("%-14s %7zu bytes  protobuf-c %8.0f ns  budgeted %8.0f ns  (%+5.1f%%)  counted %zu bytes\n", name, len,
	       plain / (double)n, budget / (double)n, (budget - plain) * 100.0 / plain, used);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	if (n < 10 || n > 100000000) {
		fprintf(stderr, "usage: planreg-decode-bench [ITERATIONS (10..1e8)]\n");
		return 2;
	}
	uint8_t *a, *b, *c;
	size_t la = decode_bench_status(&a), lb = decode_bench_submit(&b), lc = decode_bench_import(&c);
	printf("decoding a request, %ld times each (10 interleaved rounds)\n", n);
	decode_bench_one("GetStatus", a, la, n);
	decode_bench_one("SubmitUpdate", b, lb, n);
	decode_bench_one("ImportPlan(80)", c, lc, n / 50 > 10 ? n / 50 : 10);
	free(a);
	free(b);
	free(c);
	return 0;
}
