/* values.c - the names of the register's enumerations, one table per enumeration. */
#include "values.h"

#include <stddef.h>
#include <string.h>

/* Indexed by enum value; index 0 is "unspecified", which is printable but never parsed. */
static const char *const values_stage_table[STAGE_COUNT] = {
	"unspecified", "concept", "early_development", "advanced_development", "live",
	"completed",   "paused",  "cancelled",
};

static const char *const values_cost_status_table[COST_STATUS_COUNT] = {
	"unspecified",
	"known",
	"unknown",
	"not_applicable",
};

static const char *const values_confidence_table[CONFIDENCE_COUNT] = {
	"unspecified", "green", "amber_green", "amber", "amber_red", "red",
};

static const char *const values_role_table[ROLE_COUNT] = {
	"unspecified", "admin", "viewer", "submitter", "reminder",
};

static const char *const values_org_kind_table[ORG_KIND_COUNT] = {
	"unspecified", "combined_authority", "local_authority", "university", "nhs", "company", "partnership", "other",
};

static const char *values_name(const char *const *table, int count, int v)
{
	if (v < 0 || v >= count)
		return "unspecified";
	return table[v];
}

/* Exact, case-sensitive match against entries 1..count-1. */
static bool values_parse(const char *const *table, int count, const char *s, int *v)
{
	if (s == NULL)
		return false;
	for (int i = 1; i < count; i++) {
		if (strcmp(s, table[i]) == 0) {
			*v = i;
			return true;
		}
	}
	return false;
}

const char *values_stage_name(enum stage v)
{
	return values_name(values_stage_table, STAGE_COUNT, (int)v);
}

bool values_stage_parse(const char *s, enum stage *v)
{
	int i;
	if (!values_parse(values_stage_table, STAGE_COUNT, s, &i))
		return false;
	*v = (enum stage)i;
	return true;
}

int values_stage_rank(enum stage v)
{
	switch (v) {
	case STAGE_CONCEPT:
		return 1;
	case STAGE_EARLY_DEVELOPMENT:
		return 2;
	case STAGE_ADVANCED_DEVELOPMENT:
		return 3;
	case STAGE_LIVE:
		return 4;
	case STAGE_COMPLETED:
		return 5;
	default:
		return 0; /* paused and cancelled are not on the way */
	}
}

const char *values_cost_status_name(enum cost_status v)
{
	return values_name(values_cost_status_table, COST_STATUS_COUNT, (int)v);
}

bool values_cost_status_parse(const char *s, enum cost_status *v)
{
	int i;
	if (!values_parse(values_cost_status_table, COST_STATUS_COUNT, s, &i))
		return false;
	*v = (enum cost_status)i;
	return true;
}

const char *values_confidence_name(enum confidence v)
{
	return values_name(values_confidence_table, CONFIDENCE_COUNT, (int)v);
}

bool values_confidence_parse(const char *s, enum confidence *v)
{
	int i;
	if (!values_parse(values_confidence_table, CONFIDENCE_COUNT, s, &i))
		return false;
	*v = (enum confidence)i;
	return true;
}

const char *values_role_name(enum role v)
{
	return values_name(values_role_table, ROLE_COUNT, (int)v);
}

bool values_role_parse(const char *s, enum role *v)
{
	int i;
	if (!values_parse(values_role_table, ROLE_COUNT, s, &i))
		return false;
	*v = (enum role)i;
	return true;
}

const char *values_org_kind_name(enum org_kind v)
{
	return values_name(values_org_kind_table, ORG_KIND_COUNT, (int)v);
}

bool values_org_kind_parse(const char *s, enum org_kind *v)
{
	int i;
	if (!values_parse(values_org_kind_table, ORG_KIND_COUNT, s, &i))
		return false;
	*v = (enum org_kind)i;
	return true;
}

/* The lists are literals rather than built at run time, so they need no storage or locking;
 * test_values checks each against its table. */
const char *values_stage_names(void)
{
	return "concept, early_development, advanced_development, live, completed, paused, cancelled";
}

const char *values_confidence_names(void)
{
	return "green, amber_green, amber, amber_red, red";
}

const char *values_role_names(void)
{
	return "admin, viewer, submitter, reminder";
}

const char *values_org_kind_names(void)
{
	return "combined_authority, local_authority, university, nhs, company, partnership, other";
}

bool values_stage_valid(int v)
{
	return v > 0 && v < STAGE_COUNT;
}

bool values_cost_status_valid(int v)
{
	return v > 0 && v < COST_STATUS_COUNT;
}

bool values_confidence_valid(int v)
{
	return v > 0 && v < CONFIDENCE_COUNT;
}

bool values_role_valid(int v)
{
	return v > 0 && v < ROLE_COUNT;
}

bool values_org_kind_valid(int v)
{
	return v > 0 && v < ORG_KIND_COUNT;
}

bool values_number_valid(const char *s)
{
	size_t i = 0, whole = 0, frac = 0;
	if (s == NULL)
		return false;
	if (s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		whole++;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			frac++;
	bool point = strchr(s, '.') != NULL;
	return s[i] == '\0' && whole >= 1 && whole <= 15 && (point ? frac >= 1 && frac <= 6 : frac == 0);
}

/* IATI's document category list (codelist DocumentCategory): A about an activity, B about an organisation. */
static const struct {
	const char *code, *name;
} values_document_categories[] = {
	{"A01", "Pre- and post-project impact appraisal"},
	{"A02", "Objectives / Purpose of activity"},
	{"A03", "Intended ultimate beneficiaries"},
	{"A04", "Conditions"},
	{"A05", "Budget"},
	{"A06", "Summary information about contract"},
	{"A07", "Review of project performance and evaluation"},
	{"A08", "Results, outcomes and outputs"},
	{"A09", "Memorandum of understanding"},
	{"A10", "Tender"},
	{"A11", "Contract"},
	{"A12", "Activity web page"},
	{"B01", "Annual report"},
	{"B02", "Institutional strategy paper"},
	{"B03", "Country strategy paper"},
	{"B04", "Aid allocation policy"},
	{"B05", "Procurement policy and procedure"},
	{"B06", "Institutional audit report"},
	{"B07", "Country audit report"},
	{"B08", "Exclusions policy"},
	{"B09", "Institutional evaluation report"},
	{"B10", "Country evaluation"},
	{"B11", "Sector strategy"},
	{"B12", "Thematic strategy"},
	{"B13", "Country-level memorandum of understanding"},
	{"B14", "Evaluations policy"},
	{"B15", "General terms and conditions"},
	{"B16", "Organisation web page"},
	{"B17", "Country/region web page"},
	{"B18", "Sector web page"},
};
#define VALUES_DOCUMENT_CATEGORIES (sizeof values_document_categories / sizeof values_document_categories[0])

const char *values_document_category(const char *code)
{
	for (size_t i = 0; i < VALUES_DOCUMENT_CATEGORIES; i++)
		if (strcmp(values_document_categories[i].code, code) == 0)
			return values_document_categories[i].name;
	return NULL;
}
