/* values.h - the enumerations of the register (stages, confidence, roles, kinds) and their names.
 * The numbers equal the planreg.v1 protobuf enum values; names are the snake_case
 * spellings used in JSON, CSV, the CLI and the database. */
#ifndef PLANREG_VALUES_H
#define PLANREG_VALUES_H

#include <stdbool.h>

enum stage {
	STAGE_UNSPECIFIED = 0,
	STAGE_CONCEPT = 1,
	STAGE_EARLY_DEVELOPMENT = 2,
	STAGE_ADVANCED_DEVELOPMENT = 3,
	STAGE_LIVE = 4,
	STAGE_COMPLETED = 5,
	STAGE_PAUSED = 6,
	STAGE_CANCELLED = 7,
};
#define STAGE_COUNT 8

enum cost_status {
	COST_STATUS_UNSPECIFIED = 0,
	COST_STATUS_KNOWN = 1,
	COST_STATUS_UNKNOWN = 2,
	COST_STATUS_NOT_APPLICABLE = 3,
};
#define COST_STATUS_COUNT 4

enum confidence {
	CONFIDENCE_UNSPECIFIED = 0,
	CONFIDENCE_GREEN = 1,
	CONFIDENCE_AMBER_GREEN = 2,
	CONFIDENCE_AMBER = 3,
	CONFIDENCE_AMBER_RED = 4,
	CONFIDENCE_RED = 5,
};
#define CONFIDENCE_COUNT 6

enum role {
	ROLE_UNSPECIFIED = 0,
	ROLE_ADMIN = 1,
	ROLE_VIEWER = 2,
	ROLE_SUBMITTER = 3,
	ROLE_REMINDER = 4,
};
#define ROLE_COUNT 5

enum org_kind {
	ORG_KIND_UNSPECIFIED = 0,
	ORG_KIND_COMBINED_AUTHORITY = 1,
	ORG_KIND_LOCAL_AUTHORITY = 2,
	ORG_KIND_UNIVERSITY = 3,
	ORG_KIND_NHS = 4,
	ORG_KIND_COMPANY = 5,
	ORG_KIND_PARTNERSHIP = 6,
	ORG_KIND_OTHER = 7,
};
#define ORG_KIND_COUNT 8

/* name -> value; false for an unknown name or "unspecified". */
const char *values_stage_name(enum stage v);
bool values_stage_parse(const char *s, enum stage *v) __attribute__((warn_unused_result));
/* How far along the way from concept (1) to completed (5) a stage is; 0 for a stage off that way
 * (paused, cancelled) or unspecified. A later rank after an earlier one is progress. */
int values_stage_rank(enum stage v);
const char *values_cost_status_name(enum cost_status v);
bool values_cost_status_parse(const char *s, enum cost_status *v) __attribute__((warn_unused_result));
const char *values_confidence_name(enum confidence v);
bool values_confidence_parse(const char *s, enum confidence *v) __attribute__((warn_unused_result));
const char *values_role_name(enum role v);
bool values_role_parse(const char *s, enum role *v) __attribute__((warn_unused_result));
const char *values_org_kind_name(enum org_kind v);
bool values_org_kind_parse(const char *s, enum org_kind *v) __attribute__((warn_unused_result));

/* True for a named value (not unspecified, not out of range): what a request may carry.
 * The *_name functions never return NULL: out-of-range values print as "unspecified". */
bool values_stage_valid(int v);
bool values_cost_status_valid(int v);
bool values_confidence_valid(int v);
bool values_role_valid(int v);
bool values_org_kind_valid(int v);

/* A comma-separated list of the valid names, for error messages ("one of: green, amber, ..."). */
const char *values_stage_names(void);
const char *values_confidence_names(void);
const char *values_role_names(void);
const char *values_org_kind_names(void);

/* An indicator's number as text (migrations/0022's indicator_value): an optional minus, 1-15 digits, and
 * optionally a point and 1-6 digits ("40", "-1.25"). Kept as given, so that an actual hashes as written. */
bool values_number_valid(const char *s);
#define VALUES_NUMBER_HINT "a number such as 40, 12.5 or -3 (up to 15 digits, and up to 6 after the point)"

/* The name of an IATI document category ("A07": "Review of project performance and evaluation"), NULL for a
 * code not on the list (A01-A12 about an activity, B01-B18 about an organisation). */
const char *values_document_category(const char *code);

#endif
