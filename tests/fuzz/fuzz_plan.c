/* fuzz_plan.c - fuzz target for client/plan_parse.c, the reader of the published action-plan document
 * (`planreg plan import`), with the real names file (data/names.tsv). The seeds are the first user's plan,
 * data/lcr-digital-action-plan-2021-2023.txt, whole and in pieces (a theme at a time, a page of lines at a
 * time, each project row under its own theme and objective lines), its copies printed another way and its
 * successor edition (tests/data: columns swapped or reordered under other headings, an extra column, page
 * footers and form feeds, the headings on every page), and small documents of headings and furniture.
 *
 * Invariants of a plan that parses: themes numbered upwards; every objective under its theme with code
 * "theme.minor", codes unique; every project's ref in range and unique, its theme and objective among those
 * read; every lead organisation and partner it resolves among the plan's organisations, every lead person
 * among its people, both lists sorted without repeats; costs within range with the lower figure first;
 * every attribute named and non-empty, no more of them than the table has columns; text UTF-8. A plan that does not
 * parse leaves nothing behind and names a line within the document. The cost and status readers are also run on the
 * input's first line as a single cell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "money.h"
#include "plan_names.h"
#include "plan_parse.h"
#include "text.h"

#define FUZZ_PLAN_DOC PLANREG_SOURCE_DIR "/data/lcr-digital-action-plan-2021-2023.txt"
#define FUZZ_PLAN_DATA PLANREG_SOURCE_DIR "/tests/data/"
#define FUZZ_PLAN_MAX_COLUMNS 64 /* plan_parse_int.h: the most columns headings may name */
#define FUZZ_PLAN_NAMES PLANREG_SOURCE_DIR "/data/names.tsv"
#define FUZZ_PLAN_CELL_MAX 512

/* The names file, read once. */
static const struct plan_names *fuzz_plan_names(void)
{
	static struct plan_names names;
	static bool loaded;
	if (!loaded) {
		char *err = NULL;
		if (!plan_names_load(FUZZ_PLAN_NAMES, &names, &err)) {
			fprintf(stderr, "fuzz_plan: %s\n", err);
			exit(2);
		}
		loaded = true;
	}
	return &names;
}

static void fuzz_plan_text(const char *s, const char *what)
{
	fuzz_require(s != NULL, what);
	fuzz_require(text_utf8_valid(s, strlen(s), NULL), what);
}

static void fuzz_plan_cost(const struct plan_cost *c)
{
	fuzz_plan_text(c->text, "a cost's text is missing or not UTF-8");
	switch (c->status) {
	case COST_STATUS_KNOWN:
		fuzz_require(c->has_min || c->has_max, "a known cost without figures");
		break;
	case COST_STATUS_UNKNOWN:
	case COST_STATUS_NOT_APPLICABLE:
		fuzz_require(!c->has_min && !c->has_max, "figures for a cost that is not known");
		break;
	default:
		fuzz_require(false, "a cost without a status");
	}
	if (c->has_min)
		fuzz_require(c->min_pence >= 0 && c->min_pence <= MONEY_MAX_PENCE, "lower cost out of range");
	if (c->has_max)
		fuzz_require(c->max_pence >= 0 && c->max_pence <= MONEY_MAX_PENCE, "upper cost out of range");
	if (c->has_min && c->has_max)
		fuzz_require(c->min_pence <= c->max_pence, "a cost range runs backwards");
}

static const struct plan_org *fuzz_plan_org(const struct plan *p, const char *code)
{
	for (size_t i = 0; i < p->n_orgs; i++)
		if (strcmp(p->orgs[i].code, code) == 0)
			return &p->orgs[i];
	return NULL;
}

static bool fuzz_plan_person(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_people; i++)
		if (strcmp(p->people[i], name) == 0)
			return true;
	return false;
}

static bool fuzz_plan_unique(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(items[i], items[k]) == 0)
				return false;
	return true;
}

static void fuzz_plan_project(const struct plan *p, const struct plan_project *pr, int lines)
{
	fuzz_require(pr->ref >= 1 && pr->ref <= 100000, "project ref out of range");
	fuzz_require(pr->line >= 1 && pr->line <= lines, "project line outside the document");
	bool theme = false, objective = false;
	for (size_t i = 0; i < p->n_themes; i++)
		theme = theme || p->themes[i].number == pr->theme;
	for (size_t i = 0; i < p->n_objectives; i++)
		objective = objective ||
			    (strcmp(p->objectives[i].code, pr->objective) == 0 && p->objectives[i].theme == pr->theme);
	fuzz_require(theme && objective, "a project under a theme or objective the plan does not have");
	fuzz_plan_text(pr->title, "a project's title is missing or not UTF-8");
	fuzz_require(pr->title[0] != '\0', "a project without a title");
	fuzz_plan_text(pr->description, "a description is missing or not UTF-8");
	fuzz_plan_text(pr->lead_text, "a lead is missing or not UTF-8");
	fuzz_plan_text(pr->partners_text, "partners are missing or not UTF-8");
	fuzz_plan_text(pr->funding, "funding is missing or not UTF-8");
	fuzz_plan_text(pr->stage_text, "a status is missing or not UTF-8");
	fuzz_plan_text(pr->stage_note, "a stage note is missing or not UTF-8");
	fuzz_require(values_stage_valid(pr->stage), "a project without a stage");
	fuzz_plan_cost(&pr->cost);
	fuzz_require(fuzz_plan_unique(pr->lead_orgs, pr->n_lead_orgs), "a lead organisation repeats");
	for (size_t i = 0; i < pr->n_lead_orgs; i++)
		fuzz_require(fuzz_plan_org(p, pr->lead_orgs[i]) != NULL, "a lead organisation the plan does not list");
	fuzz_require(fuzz_plan_unique(pr->lead_people, pr->n_lead_people), "a lead person repeats");
	for (size_t i = 0; i < pr->n_lead_people; i++)
		fuzz_require(fuzz_plan_person(p, pr->lead_people[i]), "a lead person the plan does not list");
	fuzz_require(pr->n_attributes <= FUZZ_PLAN_MAX_COLUMNS, "more attributes than columns");
	for (size_t i = 0; i < pr->n_attributes; i++) {
		fuzz_plan_text(pr->attributes[i].name, "an attribute's name is missing or not UTF-8");
		fuzz_plan_text(pr->attributes[i].value, "an attribute's value is missing or not UTF-8");
		fuzz_require(pr->attributes[i].name[0] != '\0' && pr->attributes[i].value[0] != '\0',
			     "an attribute without a name or a value");
		fuzz_require(strchr(pr->attributes[i].value, '\f') == NULL, "a form feed inside a value");
	}
	for (size_t i = 0; i < pr->n_partners; i++) {
		fuzz_plan_text(pr->partners[i].name, "a partner's name is missing or not UTF-8");
		fuzz_require(pr->partners[i].name[0] != '\0', "an empty partner");
		if (pr->partners[i].org_code != NULL)
			fuzz_require(fuzz_plan_org(p, pr->partners[i].org_code) != NULL,
				     "a partner organisation the plan does not list");
	}
}

static void fuzz_plan_whole(const struct plan *p, int lines)
{
	fuzz_require(p->n_projects >= 1, "a plan without projects");
	fuzz_plan_text(p->title, "the plan's title is missing or not UTF-8");
	for (size_t i = 0; i < p->n_themes; i++) {
		fuzz_require(p->themes[i].number >= 1 && (i == 0 || p->themes[i].number > p->themes[i - 1].number),
			     "theme numbers do not increase");
		fuzz_plan_text(p->themes[i].title, "a theme's title is missing or not UTF-8");
	}
	for (size_t i = 0; i < p->n_objectives; i++) {
		const struct plan_objective *o = &p->objectives[i];
		char code[32];
		snprintf(code, sizeof code, "%d.%d", o->theme, o->number);
		fuzz_require(strcmp(code, o->code) == 0, "an objective's code is not theme.minor");
		bool theme = false;
		for (size_t k = 0; k < p->n_themes; k++)
			theme = theme || p->themes[k].number == o->theme;
		fuzz_require(theme, "an objective under a theme the plan does not have");
		for (size_t k = 0; k < i; k++)
			fuzz_require(strcmp(p->objectives[k].code, o->code) != 0, "an objective code repeats");
		fuzz_plan_text(o->title, "an objective's title is missing or not UTF-8");
	}
	for (size_t i = 0; i < p->n_projects; i++) {
		for (size_t k = 0; k < i; k++)
			fuzz_require(p->projects[k].ref != p->projects[i].ref, "a project ref repeats");
		fuzz_plan_project(p, &p->projects[i], lines);
	}
	for (size_t i = 0; i < p->n_orgs; i++) {
		const char *code = p->orgs[i].code;
		size_t n = strlen(code);
		fuzz_require(n >= 1 && n <= 16, "an organisation code is empty or over 16 characters");
		for (size_t k = 0; k < n; k++)
			fuzz_require((code[k] >= '0' && code[k] <= '9') || (code[k] >= 'a' && code[k] <= 'z') ||
					     (code[k] >= 'A' && code[k] <= 'Z'),
				     "an organisation code with a character other than a letter or digit");
		fuzz_require(i == 0 || strcmp(p->orgs[i - 1].code, code) < 0, "organisations not sorted by code");
		fuzz_plan_text(p->orgs[i].name, "an organisation's name is missing or not UTF-8");
		fuzz_require(values_org_kind_valid(p->orgs[i].kind), "an organisation without a kind");
	}
	for (size_t i = 0; i < p->n_people; i++) {
		fuzz_plan_text(p->people[i], "a person's name is missing or not UTF-8");
		fuzz_require(p->people[i][0] != '\0', "a person without a name");
		fuzz_require(i == 0 || strcmp(p->people[i - 1], p->people[i]) < 0, "people not sorted");
	}
	for (size_t i = 0; i < p->n_warnings; i++) {
		fuzz_require(p->warnings[i].message != NULL && p->warnings[i].message[0] != '\0',
			     "a warning without a message");
		fuzz_require(p->warnings[i].line >= 0 && p->warnings[i].line <= lines,
			     "a warning's line is outside the document");
	}
}

/* The cost and status readers on one cell: the input's first line, as a string. */
static void fuzz_plan_cell(const uint8_t *data, size_t size)
{
	size_t n = 0;
	while (n < size && n < FUZZ_PLAN_CELL_MAX && data[n] != '\n' && data[n] != '\t')
		n++;
	char *cell = fuzz_alloc(n + 1);
	memcpy(cell, data, n);
	cell[n] = '\0';

	struct plan_cost cost;
	char *warning;
	plan_parse_cost(cell, &cost, &warning);
	fuzz_require(cost.text != NULL, "plan_parse_cost gave no text");
	if (text_utf8_valid(cell, strlen(cell), NULL))
		fuzz_plan_cost(&cost);
	free(cost.text);
	free(warning);

	enum stage stage;
	char *note, *stage_warning;
	if (plan_parse_stage(cell, &stage, &note, &stage_warning)) {
		fuzz_require(values_stage_valid(stage) && note != NULL, "plan_parse_stage gave no stage or note");
		free(note);
		free(stage_warning);
	}
	free(cell);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';

	struct plan p;
	struct plan_error err;
	memset(&err, 0x55, sizeof err);
	bool ok = plan_parse((const char *)data, size, fuzz_plan_names(), &p, &err);
	fuzz_accept(ok);
	if (ok) {
		fuzz_plan_whole(&p, lines);
		plan_free(&p);
	} else {
		fuzz_require(p.n_projects == 0 && p.projects == NULL && p.title == NULL && p.warnings == NULL,
			     "a failed parse left a plan behind");
		fuzz_require(err.line >= 0 && err.line <= lines, "the error's line is outside the document");
		fuzz_require(memchr(err.message, '\0', sizeof err.message) != NULL && err.message[0] != '\0',
			     "the error has no message");
	}
	fuzz_plan_cell(data, size);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

/* The document's lines [0, head) and [from, to) as one input, after prefix, with CRLF line ends when crlf. */
static void fuzz_plan_piece(struct fuzz_pool *pool, char **line, size_t head, size_t from, size_t to,
			    const char *prefix, bool crlf)
{
	struct fuzz_bytes b = {0};
	fuzz_bytes_append(&b, prefix, strlen(prefix));
	for (size_t i = 0; i < head + (to - from); i++) {
		const char *s = line[i < head ? i : from + (i - head)];
		fuzz_bytes_append(&b, s, strlen(s));
		fuzz_bytes_append(&b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
	}
	fuzz_pool_add(pool, b.data, b.len);
	free(b.data);
}

/* The seed's copies and its successor (tests/data), whole and in their first pages; then headings and furniture. */
static void fuzz_plan_seed_copies(struct fuzz_pool *pool)
{
	static const char *const copies[] = {"plan-2021-2023-lead-partners-swapped.txt",
					     "plan-2021-2023-page-footers.txt",
					     "plan-2021-2023-retypeset.txt",
					     "plan-2021-2023-timescale.txt",
					     "plan-2021-2023-headings-every-page.txt",
					     "plan-2023-2025.txt"};
	for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
		char path[512];
		struct fuzz_bytes b = {0};
		snprintf(path, sizeof path, "%s%s", FUZZ_PLAN_DATA, copies[i]);
		if (!fuzz_read_file(path, &b)) {
			fprintf(stderr, "fuzz_plan: cannot read %s\n", path);
			exit(2);
		}
		fuzz_pool_add(pool, b.data, b.len);
		fuzz_pool_add(pool, b.data, b.len < 6000 ? b.len : 6000); /* the first pages, cut mid-row */
		free(b.data);
	}
	static const char *const docs[] = {
		"Plan\nStage\tProject\tLead body\tCost\nTheme 1: x\n1.1 y\nLive\t1. p #\tCA\t\xc2\xa3"
		"1M\n",
		"Foreword\nmore foreword\nTITLE\tLEAD\tCOST\tSTATUS\tRAG\nTheme 1: x\nPage 1 of 2\n1.1 y\n"
		"1. p\tCA\ttbd\tLive\tAmber\f2 | Page\n\f\nTITLE\tLEAD\tCOST\tSTATUS\tRAG\n2. q\tLCC\ttbd\tConcept\t\n",
		"TITLE\tLEAD\tLead body\tCOST\tSTATUS\n",
		"TITLE\tLEAD\t\tCOST\tSTATUS\nTheme 1: x\n1.1 y\n1. p\tCA\tstray\ttbd\tLive\n",
		"Plan\nTheme 1: x\n1.1 y\n1. p\td\tCA\t-\ttbd\ttbd\tLive\nTITLE\tDESCRIPTION\tLEAD\tCOST\tSTATUS\n",
	};
	fuzz_pool_add_strs(pool, docs, sizeof docs / sizeof docs[0]);
}

static void fuzz_plan_seeds(struct fuzz_pool *pool)
{
	struct fuzz_bytes doc = {0};
	if (!fuzz_read_file(FUZZ_PLAN_DOC, &doc)) {
		fprintf(stderr, "fuzz_plan: cannot read %s\n", FUZZ_PLAN_DOC);
		exit(2);
	}
	fuzz_pool_add(pool, doc.data, doc.len);

	/* the document as lines (the copy is cut in place) */
	fuzz_bytes_append(&doc, "", 1);
	char **line = NULL;
	size_t n = 0;
	for (char *s = (char *)doc.data; s != NULL && *s != '\0';) {
		line = realloc(line, (n + 1) * sizeof *line);
		if (line == NULL) {
			fprintf(stderr, "fuzz_plan: out of memory\n");
			exit(2);
		}
		line[n++] = s;
		char *nl = strchr(s, '\n');
		if (nl != NULL)
			*nl = '\0';
		s = nl != NULL ? nl + 1 : NULL;
	}

	/* a theme at a time: after the page header and headings, and alone; the first also with CRLF and a
	 * byte order mark */
	size_t head = 0;
	while (head < n && strncmp(line[head], "Theme ", 6) != 0)
		head++;
	for (size_t from = head; from < n;) {
		size_t to = from + 1;
		while (to < n && strncmp(line[to], "Theme ", 6) != 0)
			to++;
		fuzz_plan_piece(pool, line, head, from, to, "", false);
		fuzz_plan_piece(pool, line, 0, from, to, "", false);
		if (from == head)
			fuzz_plan_piece(pool, line, head, from, to, "\xef\xbb\xbf", true);
		from = to;
	}

	/* a page of lines at a time, wherever it starts */
	for (size_t i = 0; i < n; i += 16)
		fuzz_plan_piece(pool, line, 0, i, i + 24 < n ? i + 24 : n, "", false);

	/* each project row under the theme and objective lines above it, so that it parses on its own */
	const char *theme = NULL, *objective = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = line[i];
		if (strncmp(s, "Theme ", 6) == 0)
			theme = s;
		else if (s[0] >= '1' && s[0] <= '9' && s[1] == '.' && s[2] >= '1' && s[2] <= '9')
			objective = s;
		else if (theme != NULL && objective != NULL && s[0] >= '1' && s[0] <= '9' && strchr(s, '\t')) {
			struct fuzz_bytes b = {0};
			fuzz_bytes_append(&b, theme, strlen(theme));
			fuzz_bytes_append(&b, "\n", 1);
			fuzz_bytes_append(&b, objective, strlen(objective));
			fuzz_bytes_append(&b, "\n", 1);
			fuzz_bytes_append(&b, s, strlen(s));
			fuzz_bytes_append(&b, "\n", 1);
			fuzz_pool_add(pool, b.data, b.len);
			free(b.data);
		}
	}
	free(line);
	free(doc.data);
	fuzz_plan_seed_copies(pool);

	/* cells as the cost and status columns print them, and documents the reader must refuse */
	static const char *const cells[] = {
		"Circa \xc2\xa3"
		"30M",
		"\xc2\xa3"
		"3m + \xc2\xa3"
		"20M",
		"\xc2\xa3"
		"55,000 Up to \xc2\xa3"
		"130k",
		"Over \xc2\xa3"
		"1.2m (phase 1)",
		"tbd",
		"n/a",
		"\xe2\x80\x93",
		"Live (annual)",
		"Live + advanced development",
		"Advanced development. From September 2021",
		"",
		"Theme 1: x\n1.1 y\n1. p\td\tCA \xe2\x80\x93 Lorna Rogers\t-\t\xc2\xa3"
		"1\tCA\tLive\n1. again\td\tCA\t-\t\xc2\xa3"
		"1\tCA\tLive\n",
		"1. a project before any theme\td\tCA\t-\ttbd\ttbd\tLive\n",
		"Theme 2: x\nTheme 1: y\n",
		"Theme 1: x\n1.1 y\n1. p\td\tCA\t-\ttbd\ttbd\tLive\x01\n",
	};
	fuzz_pool_add_strs(pool, cells, sizeof cells / sizeof cells[0]);
}

static const char *const fuzz_plan_tokens[] = {
	"\t",
	"\n",
	"\r\n",
	"Theme 7: ",
	"6.9 ",
	"81. ",
	" #",
	" \xe2\x80\x93 ",
	" - ",
	" & ",
	"/",
	"(",
	")",
	", ",
	"\xc2\xa3",
	"Circa ",
	"Over ",
	"Up to ",
	" + ",
	"tbd",
	"n/a",
	"Live",
	"Concept",
	"Early development",
	"Advanced development",
	"Completed",
	"(annual)",
	"CA",
	"LCC",
	"UoL",
	"Liverpool City Council (LCC)",
	"Lorna Rogers",
	"denotes",
	"TITLE",
	"\tDESCRIPTION\tLEAD (body & person)\tPARTNERS\tTOTAL COST\tFUNDING SOURCES\tSTATUS\n",
	"Lead body",
	"Cost",
	"Stage",
	"TIMESCALE",
	"Page 3 of 12\n",
	"3 | Page\n",
	"\f",
	"\xef\xbb\xbf",
	NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "plan",
	.iterations = 5000,
	.max_len = 65536,
	.tokens = fuzz_plan_tokens,
	.seeds = fuzz_plan_seeds,
	.accepted_what = "were plans that parsed",
};
