/* driver.c - main() for fuzz targets built without libFuzzer: built-in seeds, a corpus directory, then deterministic
 * mutations.
 *
 *   fuzz_request [CORPUS_DIR [ITERATIONS]]   run the seeds, every file in CORPUS_DIR,
 *                                            then ITERATIONS (default 20000) generated inputs
 *   fuzz_request --write-corpus DIR          write the seeds to DIR as files (a starting
 *                                            corpus for the libFuzzer build) and exit
 *   PLANREG_FUZZ_LAST=FILE fuzz_request ...  also write each input to FILE before running
 *                                            it: after a crash FILE holds the culprit
 *   PLANREG_FUZZ_SEED=N fuzz_request ...     another generator seed, for longer runs by hand
 *
 * The seeds are real requests packed by protobuf-c and framed here, so no binary
 * files live in the source tree. Generated inputs come from a fixed-seed xorshift
 * generator: the same build runs the same inputs every time. A crash (or an
 * ASan/UBSan report, which aborts) fails the run; otherwise it exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frame.h"
#include "planreg.pb-c.h"

#define DRIVER_MAX_FRAME 65536
#define DRIVER_MAX_FILE (4 * 1024 * 1024)
#define DRIVER_POOL_MAX 2048
#define DRIVER_DEFAULT_ITERATIONS 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A growable byte string; the driver owns data. */
struct driver_bytes {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* The inputs mutations start from: seeds, corpus files and mutants worth keeping. */
struct driver_pool {
	struct driver_bytes *items;
	size_t n;
	size_t cap;
};

struct driver_rng {
	uint64_t s;
};

static void *driver_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "fuzz driver: out of memory\n");
		exit(2);
	}
	return p;
}

static void driver_reserve(struct driver_bytes *b, size_t need)
{
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (p == NULL) {
		fprintf(stderr, "fuzz driver: out of memory\n");
		exit(2);
	}
	b->data = p;
	b->cap = cap;
}

static void driver_append(struct driver_bytes *b, const void *p, size_t n)
{
	driver_reserve(b, b->len + n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Inserts n bytes from p (or zeros when p is NULL) at pos. */
static void driver_insert(struct driver_bytes *b, size_t pos, const void *p, size_t n)
{
	driver_reserve(b, b->len + n);
	memmove(b->data + pos + n, b->data + pos, b->len - pos);
	if (p != NULL)
		memcpy(b->data + pos, p, n);
	else
		memset(b->data + pos, 0, n);
	b->len += n;
}

static void driver_erase(struct driver_bytes *b, size_t pos, size_t n)
{
	memmove(b->data + pos, b->data + pos + n, b->len - pos - n);
	b->len -= n;
}

static void driver_pool_add(struct driver_pool *pool, const uint8_t *data, size_t len)
{
	if (pool->n == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 32;
		struct driver_bytes *items = realloc(pool->items, cap * sizeof *items);
		if (items == NULL) {
			fprintf(stderr, "fuzz driver: out of memory\n");
			exit(2);
		}
		pool->items = items;
		pool->cap = cap;
	}
	struct driver_bytes *b = &pool->items[pool->n++];
	memset(b, 0, sizeof *b);
	driver_append(b, data, len);
}

static void driver_pool_free(struct driver_pool *pool)
{
	for (size_t i = 0; i < pool->n; i++)
		free(pool->items[i].data);
	free(pool->items);
	memset(pool, 0, sizeof *pool);
}

/* How many inputs ran, and how many began with a whole frame that unpacked: the
 * summary shows the mutations still reach the unpacker rather than the framing alone. */
static size_t driver_runs, driver_unpacked;

static bool driver_unpacks(const uint8_t *body, size_t len)
{
	Planreg__V1__Request *req = planreg__v1__request__unpack(NULL, len, body);
	if (req == NULL)
		return false;
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return true;
}

/* With PLANREG_FUZZ_LAST=FILE set, each input is written there before it runs,
 * so after a crash FILE holds the input that crashed (replay it from a directory). */
static const char *driver_last_path;

static void driver_save_last(const uint8_t *data, size_t len)
{
	FILE *f = fopen(driver_last_path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "fuzz driver: cannot write %s\n", driver_last_path);
		exit(2);
	}
}

/* Runs the target on a copy of exactly len bytes, so ASan sees any read past the end. */
static void driver_run(const uint8_t *data, size_t len)
{
	if (driver_last_path != NULL)
		driver_save_last(data, len);
	uint8_t *copy = calloc(1, len ? len : 1);
	if (copy == NULL) {
		fprintf(stderr, "fuzz driver: out of memory\n");
		exit(2);
	}
	if (len > 0)
		memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);

	const uint8_t *body;
	size_t body_len, consumed, need;
	driver_runs++;
	if (len > 0 && frame_decode(data, len, DRIVER_MAX_FRAME, &body, &body_len, &consumed, &need) == FRAME_OK &&
	    driver_unpacks(body, body_len))
		driver_unpacked++;
}

/* ---------------------------------------------------------------- seeds */

/* Packs req, frames it, and adds the frame to the pool. */
static void driver_seed(struct driver_pool *pool, const Planreg__V1__Request *req)
{
	size_t n = planreg__v1__request__get_packed_size(req);
	uint8_t *body = driver_alloc(n);
	planreg__v1__request__pack(req, body);
	uint8_t *frame = driver_alloc(FRAME_HEADER_BYTES + n);
	size_t len = frame_encode(body, n, DRIVER_MAX_FRAME, frame, FRAME_HEADER_BYTES + n);
	if (len == 0) {
		fprintf(stderr, "fuzz driver: seed of %zu bytes does not frame\n", n);
		exit(2);
	}
	driver_pool_add(pool, frame, len);
	free(frame);
	free(body);
}

static void driver_seed_register(struct driver_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;

	Planreg__V1__WhoamiRequest whoami = PLANREG__V1__WHOAMI_REQUEST__INIT;
	req.id = 1;
	req.body_case = PLANREG__V1__REQUEST__BODY_WHOAMI;
	req.whoami = &whoami;
	driver_seed(pool, &req);

	Planreg__V1__ListThemesRequest themes = PLANREG__V1__LIST_THEMES_REQUEST__INIT;
	req.id = 2;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_THEMES;
	req.list_themes = &themes;
	driver_seed(pool, &req);

	Planreg__V1__ListOrganisationsRequest orgs = PLANREG__V1__LIST_ORGANISATIONS_REQUEST__INIT;
	req.id = 3;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS;
	req.list_organisations = &orgs;
	driver_seed(pool, &req);

	Planreg__V1__UpsertOrganisationRequest upsert = PLANREG__V1__UPSERT_ORGANISATION_REQUEST__INIT;
	upsert.code = "LCC";
	upsert.name = "Leeds City Council";
	upsert.kind = PLANREG__V1__ORG_KIND__ORG_KIND_LOCAL_AUTHORITY;
	upsert.contact_email = "digital@example.org";
	req.id = 4;
	req.idempotency_key = "6f1c2a9e-upsert";
	req.body_case = PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION;
	req.upsert_organisation = &upsert;
	driver_seed(pool, &req);
	req.idempotency_key = "";

	Planreg__V1__ListProjectsRequest list = PLANREG__V1__LIST_PROJECTS_REQUEST__INIT;
	list.theme = 2;
	list.objective = "2.1";
	list.lead_org = "WYCA";
	list.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	list.capital = PLANREG__V1__CAPITAL_FILTER__CAPITAL_ONLY;
	list.text = "5G \xe2\x80\x93 full fibre";
	list.page_size = 1000;
	list.page_token = "bmV4dA";
	req.id = 5;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_PROJECTS;
	req.list_projects = &list;
	driver_seed(pool, &req);

	Planreg__V1__GetProjectRequest get = PLANREG__V1__GET_PROJECT_REQUEST__INIT;
	get.ref = 12;
	req.id = 6;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_PROJECT;
	req.get_project = &get;
	driver_seed(pool, &req);
}

static void driver_seed_import(struct driver_pool *pool)
{
	Planreg__V1__Objective o1 = PLANREG__V1__OBJECTIVE__INIT;
	o1.code = "6.1";
	o1.theme = 6;
	o1.title = "Everyone can get online";
	Planreg__V1__Objective o2 = o1;
	o2.code = "6.2";
	o2.title = "Skills for work";
	Planreg__V1__Objective *objectives[] = {&o1, &o2};
	Planreg__V1__Theme theme = PLANREG__V1__THEME__INIT;
	theme.number = 6;
	theme.title = "Digital inclusion";
	theme.n_objectives = 2;
	theme.objectives = objectives;
	Planreg__V1__Theme *themes[] = {&theme};

	char *aliases[] = {"Leeds CC", "Leeds City Council (LCC)"};
	Planreg__V1__Organisation org1 = PLANREG__V1__ORGANISATION__INIT;
	org1.code = "LCC";
	org1.name = "Leeds City Council";
	org1.kind = PLANREG__V1__ORG_KIND__ORG_KIND_LOCAL_AUTHORITY;
	org1.n_aliases = 2;
	org1.aliases = aliases;
	Planreg__V1__Organisation org2 = PLANREG__V1__ORGANISATION__INIT;
	org2.code = "UOL";
	org2.name = "University of Leeds";
	org2.kind = PLANREG__V1__ORG_KIND__ORG_KIND_UNIVERSITY;
	org2.projects_led = 3;
	Planreg__V1__Organisation *orgs[] = {&org1, &org2};

	Planreg__V1__Partner p1 = PLANREG__V1__PARTNER__INIT;
	p1.name = "University of Leeds";
	p1.organisation = "UOL";
	Planreg__V1__Partner p2 = PLANREG__V1__PARTNER__INIT;
	p2.name = "Local businesses";
	Planreg__V1__Partner *partners[] = {&p1, &p2};
	Planreg__V1__Money min = PLANREG__V1__MONEY__INIT;
	min.pence = 120000000;
	Planreg__V1__Money max = PLANREG__V1__MONEY__INIT;
	max.pence = 235000000;
	Planreg__V1__Cost cost = PLANREG__V1__COST__INIT;
	cost.text = "\xc2\xa3"
		    "1.2M - \xc2\xa3"
		    "2.35M";
	cost.status = PLANREG__V1__COST_STATUS__COST_STATUS_KNOWN;
	cost.min = &min;
	cost.max = &max;
	cost.approximate = 1;
	char *lead_orgs[] = {"LCC"};
	char *lead_people[] = {"A. Person", "B. Person"};
	Planreg__V1__Project project = PLANREG__V1__PROJECT__INIT;
	project.ref = 12;
	project.theme = 6;
	project.objective = "6.1";
	project.title = "Digital inclusion hubs";
	project.description = "Hubs in libraries.\nFree devices and data.";
	project.capital = 1;
	project.n_lead_orgs = 1;
	project.lead_orgs = lead_orgs;
	project.n_lead_people = 2;
	project.lead_people = lead_people;
	project.lead_text = "LCC (A. Person, B. Person)";
	project.n_partners = 2;
	project.partners = partners;
	project.partners_text = "University of Leeds; local businesses";
	project.cost = &cost;
	project.funding = "Gigabit fund";
	project.stage = PLANREG__V1__STAGE__STAGE_EARLY_DEVELOPMENT;
	project.stage_note = "procurement";
	project.stage_text = "Early development (procurement)";
	Planreg__V1__Project *projects[] = {&project};

	Planreg__V1__Alias alias = PLANREG__V1__ALIAS__INIT;
	alias.alias = "A Persn";
	alias.target = "A. Person";
	Planreg__V1__Alias *person_aliases[] = {&alias};

	Planreg__V1__ImportPlanRequest import = PLANREG__V1__IMPORT_PLAN_REQUEST__INIT;
	import.title = "Digital Strategy Action Plan 2024";
	import.source_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	import.n_themes = 1;
	import.themes = themes;
	import.n_organisations = 2;
	import.organisations = orgs;
	import.n_projects = 1;
	import.projects = projects;
	import.dry_run = 1;
	import.n_person_aliases = 1;
	import.person_aliases = person_aliases;

	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	req.id = 7;
	req.idempotency_key = "import-2024";
	req.body_case = PLANREG__V1__REQUEST__BODY_IMPORT_PLAN;
	req.import_plan = &import;
	driver_seed(pool, &req);
}

static void driver_seed_credentials(struct driver_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;

	Planreg__V1__EnrolCredentialRequest enrol = PLANREG__V1__ENROL_CREDENTIAL_REQUEST__INIT;
	enrol.name = "submitter-LCC";
	enrol.fingerprint =
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	enrol.organisation = "LCC";
	enrol.person = "A. Person";
	enrol.role = PLANREG__V1__ROLE__ROLE_SUBMITTER;
	req.id = 8;
	req.idempotency_key = "enrol-1";
	req.body_case = PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL;
	req.enrol_credential = &enrol;
	driver_seed(pool, &req);

	Planreg__V1__RevokeCredentialRequest revoke = PLANREG__V1__REVOKE_CREDENTIAL_REQUEST__INIT;
	revoke.name = "submitter-LCC";
	req.id = 9;
	req.idempotency_key = "revoke-1";
	req.body_case = PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL;
	req.revoke_credential = &revoke;
	driver_seed(pool, &req);

	Planreg__V1__ListCredentialsRequest creds = PLANREG__V1__LIST_CREDENTIALS_REQUEST__INIT;
	creds.include_revoked = 1;
	req.id = 10;
	req.idempotency_key = "";
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS;
	req.list_credentials = &creds;
	driver_seed(pool, &req);
}

static void driver_seed_updates(struct driver_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;

	Planreg__V1__Date baseline = PLANREG__V1__DATE__INIT;
	baseline.iso = "2024-09-30";
	Planreg__V1__Date forecast = PLANREG__V1__DATE__INIT;
	forecast.iso = "2024-12-31";
	Planreg__V1__Milestone m1 = PLANREG__V1__MILESTONE__INIT;
	m1.title = "Hubs open";
	m1.baseline = &baseline;
	m1.forecast = &forecast;
	Planreg__V1__Milestone m2 = PLANREG__V1__MILESTONE__INIT;
	m2.title = "Evaluation";
	m2.achieved = &baseline;
	Planreg__V1__Milestone *milestones[] = {&m1, &m2};
	char *risks[] = {"Supplier delay", "Staff turnover \xe2\x80\x94 two posts vacant"};
	Planreg__V1__Money spend = PLANREG__V1__MONEY__INIT;
	spend.pence = 55000000;
	Planreg__V1__Money total = PLANREG__V1__MONEY__INIT;
	total.pence = 130000000;
	Planreg__V1__UpdateContent content = PLANREG__V1__UPDATE_CONTENT__INIT;
	content.ref = 12;
	content.period = "2024-Q3";
	content.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER;
	content.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	content.narrative = "Three hubs open.\nUse is \xc2\xa3"
			    "-for-\xc2\xa3 ahead of plan.";
	content.spend_to_date = &spend;
	content.forecast_total = &total;
	content.variance_note = "Forecast up 8% after the second phase was added.";
	content.n_milestones = 2;
	content.milestones = milestones;
	content.n_risks = 2;
	content.risks = risks;
	Planreg__V1__SubmitUpdateRequest submit = PLANREG__V1__SUBMIT_UPDATE_REQUEST__INIT;
	submit.content = &content;
	req.id = 11;
	req.idempotency_key = "submit-12-2024Q3";
	req.body_case = PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE;
	req.submit_update = &submit;
	driver_seed(pool, &req);
	req.idempotency_key = "";

	Planreg__V1__GetUpdateRequest get = PLANREG__V1__GET_UPDATE_REQUEST__INIT;
	get.id = 77;
	req.id = 12;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_UPDATE;
	req.get_update = &get;
	driver_seed(pool, &req);

	Planreg__V1__ListUpdatesRequest list = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	list.period = "2024-Q3";
	list.organisation = "LCC";
	list.latest_only = 1;
	req.id = 13;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_UPDATES;
	req.list_updates = &list;
	driver_seed(pool, &req);

	Planreg__V1__ReviewUpdateRequest review = PLANREG__V1__REVIEW_UPDATE_REQUEST__INIT;
	review.id = 77;
	review.accept = 0;
	review.comment = "Variance note needed";
	req.id = 14;
	req.idempotency_key = "review-77";
	req.body_case = PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE;
	req.review_update = &review;
	driver_seed(pool, &req);
	req.idempotency_key = "";

	Planreg__V1__VerifyAuditRequest verify = PLANREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	req.id = 15;
	req.body_case = PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT;
	req.verify_audit = &verify;
	driver_seed(pool, &req);

	Planreg__V1__UpdateTemplateRequest tmpl = PLANREG__V1__UPDATE_TEMPLATE_REQUEST__INIT;
	tmpl.period = "2024-Q4";
	tmpl.organisation = "LCC";
	req.id = UINT64_MAX;
	req.body_case = PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE;
	req.update_template = &tmpl;
	driver_seed(pool, &req);

	/* no body at all: the server must answer INVALID_ARGUMENT, not crash */
	req.id = 16;
	req.idempotency_key = "no-body";
	req.body_case = PLANREG__V1__REQUEST__BODY__NOT_SET;
	driver_seed(pool, &req);
}

/* Seeds built from bytes rather than messages: several frames in a row, and
 * fields this schema does not know (kept by protobuf-c as unknown fields). */
static void driver_seed_wire(struct driver_pool *pool)
{
	struct driver_bytes b = {0};
	for (size_t i = 0; i < 3 && i < pool->n; i++)
		driver_append(&b, pool->items[i].data, pool->items[i].len);
	driver_pool_add(pool, b.data, b.len);
	b.len = 0;

	/* the whoami body plus field 99 (varint), field 100 (bytes) and field 101 (fixed64) */
	const struct driver_bytes *whoami = &pool->items[0];
	static const uint8_t unknown[] = {
		0x98, 0x06, 0x2a,                            /* 99: 42 */
		0xa2, 0x06, 0x03, 'a', 'b', 'c',             /* 100: "abc" */
		0xa9, 0x06, 1,    2,   3,   4,   5, 6, 7, 8, /* 101: fixed64 */
	};
	driver_reserve(&b, FRAME_HEADER_BYTES);
	b.len = FRAME_HEADER_BYTES;
	driver_append(&b, whoami->data + FRAME_HEADER_BYTES, whoami->len - FRAME_HEADER_BYTES);
	driver_append(&b, unknown, sizeof unknown);
	frame_put_header(b.data, (uint32_t)(b.len - FRAME_HEADER_BYTES));
	driver_pool_add(pool, b.data, b.len);
	free(b.data);
}

/* The consolidated status requests, with every optional part present. */
static void driver_seed_status(struct driver_pool *pool)
{
	Planreg__V1__Request req = PLANREG__V1__REQUEST__INIT;
	Planreg__V1__Timestamp as_at = PLANREG__V1__TIMESTAMP__INIT;
	as_at.rfc3339 = "2026-10-20T09:30:00+01:00";
	Planreg__V1__GetStatusRequest status = PLANREG__V1__GET_STATUS_REQUEST__INIT;
	status.period = "2026-Q3";
	status.as_at = &as_at;
	status.theme = 1;
	status.objective = "1.2";
	status.lead_org = "LCC";
	status.stage = PLANREG__V1__STAGE__STAGE_LIVE;
	status.confidence = PLANREG__V1__CONFIDENCE__CONFIDENCE_AMBER;
	status.page_size = 100;
	status.page_token = "40";
	status.include_narrative = 1;
	req.id = 40;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_STATUS;
	req.get_status = &status;
	driver_seed(pool, &req);

	Planreg__V1__Date as_of = PLANREG__V1__DATE__INIT;
	as_of.iso = "2026-10-20";
	Planreg__V1__ListOutstandingRequest out = PLANREG__V1__LIST_OUTSTANDING_REQUEST__INIT;
	out.period = "2026-Q3";
	out.as_of = &as_of;
	req.id = 41;
	req.body_case = PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING;
	req.list_outstanding = &out;
	driver_seed(pool, &req);

	Planreg__V1__GetTimelinessRequest tl = PLANREG__V1__GET_TIMELINESS_REQUEST__INIT;
	tl.from_period = "2026-Q1";
	tl.to_period = "2026-Q3";
	req.id = 42;
	req.body_case = PLANREG__V1__REQUEST__BODY_GET_TIMELINESS;
	req.get_timeliness = &tl;
	driver_seed(pool, &req);

	Planreg__V1__DiffPeriodsRequest diff = PLANREG__V1__DIFF_PERIODS_REQUEST__INIT;
	diff.from_period = "2026-Q2";
	diff.to_period = "2026-Q3";
	req.id = 43;
	req.body_case = PLANREG__V1__REQUEST__BODY_DIFF_PERIODS;
	req.diff_periods = &diff;
	driver_seed(pool, &req);

	Planreg__V1__ExportUpdatesRequest exp = PLANREG__V1__EXPORT_UPDATES_REQUEST__INIT;
	exp.from_period = "2026-Q1";
	exp.to_period = "2026-Q4";
	exp.after_id = 500;
	exp.page_size = 250;
	req.id = 44;
	req.body_case = PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES;
	req.export_updates = &exp;
	driver_seed(pool, &req);
}

static void driver_seeds(struct driver_pool *pool)
{
	driver_seed_register(pool);
	driver_seed_import(pool);
	driver_seed_credentials(pool);
	driver_seed_updates(pool);
	driver_seed_status(pool);
	driver_seed_wire(pool);
}

/* ---------------------------------------------------------------- corpus files */

static bool driver_read_file(const char *path, struct driver_bytes *out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	uint8_t chunk[4096];
	size_t n;
	out->len = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && out->len <= DRIVER_MAX_FILE)
		driver_append(out, chunk, n);
	bool ok = !ferror(f) && out->len <= DRIVER_MAX_FILE;
	fclose(f);
	return ok;
}

/* Runs every regular file in dir and adds it to the pool. Returns -1 when the directory cannot be read. */
static long driver_corpus(const char *dir, struct driver_pool *pool)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "fuzz driver: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	long count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		struct driver_bytes b = {0};
		if (!driver_read_file(path, &b)) {
			fprintf(stderr, "fuzz driver: skipping %s (unreadable or over %d bytes)\n", path,
				DRIVER_MAX_FILE);
			free(b.data);
			continue;
		}
		driver_run(b.data, b.len);
		driver_pool_add(pool, b.data, b.len);
		free(b.data);
		count++;
	}
	closedir(d);
	return count;
}

static int driver_write_corpus(const char *dir, const struct driver_pool *pool)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz driver: mkdir %s: %s\n", dir, strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < pool->n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/seed-%02zu", dir, i);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(pool->items[i].data, 1, pool->items[i].len, f) != pool->items[i].len ||
		    fclose(f) != 0) {
			fprintf(stderr, "fuzz driver: writing %s failed\n", path);
			return 2;
		}
	}
	printf("fuzz driver: wrote %zu seeds to %s\n", pool->n, dir);
	return 0;
}

/* ---------------------------------------------------------------- mutations */

static uint64_t driver_rand(struct driver_rng *r)
{
	uint64_t x = r->s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->s = x;
	return x;
}

/* A number in [0, n); 0 when n is 0. */
static size_t driver_below(struct driver_rng *r, size_t n)
{
	return n ? (size_t)(driver_rand(r) % n) : 0;
}

/* Offset of the k-th frame header found by walking announced lengths, or of the last one that fits. */
static size_t driver_frame_at(const struct driver_bytes *b, size_t k)
{
	size_t pos = 0;
	for (size_t i = 0; i < k; i++) {
		if (b->len - pos < FRAME_HEADER_BYTES)
			break;
		size_t next = pos + FRAME_HEADER_BYTES + frame_get_header(b->data + pos);
		if (next + FRAME_HEADER_BYTES > b->len)
			break;
		pos = next;
	}
	return pos;
}

/* One random edit. Frame-level edits (headers, splicing whole inputs) only when frames is true. */
static void driver_mutate(struct driver_rng *r, struct driver_bytes *b, const struct driver_pool *pool, bool frames)
{
	static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x08, 0x0a, 0x12, 0x1a, 0x52,
					      0x7f, 0x80, 0x81, 0xc0, 0xed, 0xf4, 0xfe, 0xff};
	uint8_t tmp[32];
	switch (driver_below(r, frames ? 11 : 9)) {
	case 0: /* flip a bit */
		if (b->len)
			b->data[driver_below(r, b->len)] ^= (uint8_t)(1u << driver_below(r, 8));
		break;
	case 1: /* overwrite a byte with one the parsers treat specially */
		if (b->len)
			b->data[driver_below(r, b->len)] = interesting[driver_below(r, sizeof interesting)];
		break;
	case 2: /* truncate */
		b->len = driver_below(r, b->len + 1);
		break;
	case 3: { /* insert random bytes */
		size_t n = 1 + driver_below(r, 16);
		for (size_t i = 0; i < n; i++)
			tmp[i] = (uint8_t)driver_rand(r);
		driver_insert(b, driver_below(r, b->len + 1), tmp, n);
		break;
	}
	case 4: { /* delete a range */
		if (b->len == 0)
			break;
		size_t pos = driver_below(r, b->len);
		driver_erase(b, pos, 1 + driver_below(r, b->len - pos < 32 ? b->len - pos : 32));
		break;
	}
	case 5: { /* copy a range to another place */
		if (b->len == 0)
			break;
		size_t from = driver_below(r, b->len);
		size_t n = 1 + driver_below(r, b->len - from < 32 ? b->len - from : 32);
		memcpy(tmp, b->data + from, n);
		driver_insert(b, driver_below(r, b->len + 1), tmp, n);
		break;
	}
	case 6: { /* an over-long or huge varint where a tag or length was */
		size_t n = 1 + driver_below(r, 11);
		for (size_t i = 0; i < n; i++)
			tmp[i] = 0xff;
		if (driver_below(r, 2))
			tmp[n - 1] = (uint8_t)driver_below(r, 0x80);
		driver_insert(b, driver_below(r, b->len + 1), tmp, n);
		break;
	}
	case 7: { /* make a byte a length prefix larger or smaller than what follows */
		if (b->len == 0)
			break;
		size_t pos = driver_below(r, b->len);
		size_t left = b->len - pos;
		b->data[pos] = (uint8_t)(driver_below(r, 2) ? left : left + 1 + driver_below(r, 4));
		break;
	}
	case 8: { /* a tag for a random field number and wire type, with a short value */
		uint32_t field = (uint32_t)(driver_below(r, 2) ? 1 + driver_below(r, 40) : driver_rand(r) & 0x1fffffff);
		uint32_t tag = (field << 3) | (uint32_t)driver_below(r, 8);
		size_t n = 0;
		while (tag >= 0x80) {
			tmp[n++] = (uint8_t)(tag | 0x80);
			tag >>= 7;
		}
		tmp[n++] = (uint8_t)tag;
		tmp[n++] = (uint8_t)driver_below(r, 4);
		tmp[n++] = (uint8_t)driver_rand(r);
		driver_insert(b, driver_below(r, b->len + 1), tmp, n);
		break;
	}
	case 9: { /* rewrite a frame header with an edge-case length */
		if (b->len < FRAME_HEADER_BYTES)
			break;
		size_t pos = driver_frame_at(b, driver_below(r, 4));
		uint32_t cur = frame_get_header(b->data + pos);
		const uint32_t lengths[] = {0,
					    1,
					    cur - 1,
					    cur + 1,
					    cur * 2,
					    DRIVER_MAX_FRAME,
					    DRIVER_MAX_FRAME + 1,
					    0x7fffffffu,
					    0x80000000u,
					    0xffffffffu,
					    (uint32_t)(b->len - pos)};
		frame_put_header(b->data + pos, lengths[driver_below(r, sizeof lengths / sizeof lengths[0])]);
		break;
	}
	case 10: { /* append another input: frames back to back */
		const struct driver_bytes *o = &pool->items[driver_below(r, pool->n)];
		if (b->len + o->len <= 1 << 20)
			driver_append(b, o->data, o->len);
		break;
	}
	}
}

/* Makes b the body of one correctly framed request (when its length allows). */
static void driver_reframe(struct driver_bytes *b)
{
	if (b->len == 0 || b->len > DRIVER_MAX_FRAME)
		return;
	uint8_t h[FRAME_HEADER_BYTES];
	frame_put_header(h, (uint32_t)b->len);
	driver_insert(b, 0, h, sizeof h);
}

/* Builds and runs one generated input. Returns true when it was a well-formed
 * request the pool should keep (mutations of it explore further). */
static bool driver_generate(struct driver_rng *r, struct driver_pool *pool, struct driver_bytes *b)
{
	b->len = 0;
	size_t strategy = driver_below(r, 10);
	if (strategy == 0) {
		/* random bytes, framed half the time so the unpacker sees them */
		size_t n = driver_below(r, 300);
		for (size_t i = 0; i < n; i++) {
			uint8_t c = (uint8_t)driver_rand(r);
			driver_append(b, &c, 1);
		}
		if (driver_below(r, 2))
			driver_reframe(b);
		driver_run(b->data, b->len);
		return false;
	}

	const struct driver_bytes *base = &pool->items[driver_below(r, pool->n)];
	size_t edits = 1 + driver_below(r, 4);
	if (strategy < 5) {
		/* mutate the wire bytes as they are: headers, cuts, frames in a row */
		driver_append(b, base->data, base->len);
		for (size_t i = 0; i < edits; i++)
			driver_mutate(r, b, pool, true);
		driver_run(b->data, b->len);
		return false;
	}

	/* mutate the first frame's body, then frame it correctly, so the edits reach the unpacker */
	size_t skip = 0, body_len = base->len;
	if (base->len >= FRAME_HEADER_BYTES) {
		size_t n = frame_get_header(base->data);
		if (n <= base->len - FRAME_HEADER_BYTES) {
			skip = FRAME_HEADER_BYTES;
			body_len = n;
		}
	}
	driver_append(b, base->data + skip, body_len);
	for (size_t i = 0; i < edits; i++)
		driver_mutate(r, b, pool, false);
	bool keep = b->len > 0 && b->len <= DRIVER_MAX_FRAME && driver_unpacks(b->data, b->len);
	driver_reframe(b);
	driver_run(b->data, b->len);
	return keep;
}

static int driver_usage(void)
{
	fprintf(stderr, "usage: fuzz_request [CORPUS_DIR [ITERATIONS]]\n"
			"       fuzz_request --write-corpus DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct driver_pool pool = {0};
	driver_last_path = getenv("PLANREG_FUZZ_LAST");
	driver_seeds(&pool);
	size_t seeds = pool.n;

	if (argc >= 2 && strcmp(argv[1], "--write-corpus") == 0) {
		int rc = argc == 3 ? driver_write_corpus(argv[2], &pool) : driver_usage();
		driver_pool_free(&pool);
		return rc;
	}
	if (argc > 3 || (argc >= 2 && argv[1][0] == '-')) {
		driver_pool_free(&pool);
		return driver_usage();
	}
	unsigned long iterations = DRIVER_DEFAULT_ITERATIONS;
	if (argc == 3) {
		char *end;
		errno = 0;
		iterations = strtoul(argv[2], &end, 10);
		if (errno != 0 || end == argv[2] || *end != '\0') {
			driver_pool_free(&pool);
			return driver_usage();
		}
	}

	for (size_t i = 0; i < seeds; i++)
		driver_run(pool.items[i].data, pool.items[i].len);
	long files = 0;
	if (argc >= 2) {
		files = driver_corpus(argv[1], &pool);
		if (files < 0) {
			driver_pool_free(&pool);
			return 2;
		}
	}

	struct driver_rng rng = {0x9e3779b97f4a7c15ULL};
	const char *seed = getenv("PLANREG_FUZZ_SEED");
	if (seed != NULL && strtoull(seed, NULL, 0) != 0)
		rng.s = strtoull(seed, NULL, 0); /* xorshift must not start at 0 */
	struct driver_bytes b = {0};
	size_t kept = 0;
	for (unsigned long i = 0; i < iterations; i++) {
		if (driver_generate(&rng, &pool, &b) && pool.n < DRIVER_POOL_MAX) {
			/* keep the body, framed, as a base for later mutations */
			driver_pool_add(&pool, b.data, b.len);
			kept++;
		}
	}
	free(b.data);
	printf("fuzz_request: %zu seeds, %ld corpus files, %lu generated inputs (%zu kept as bases); "
	       "%zu of %zu runs began with a request that unpacked; no crash\n",
	       seeds, files, iterations, kept, driver_unpacked, driver_runs);
	driver_pool_free(&pool);
	return 0;
}
