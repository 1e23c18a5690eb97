/* chain.h - the canonical encoding of a progress update and the hash chain
 * over all updates (docs/audit.md). Pure functions: the daemon uses them when
 * an update is written and when the chain is verified; the tests pin them. */
#ifndef PLANREG_CHAIN_H
#define PLANREG_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct chain_milestone {
	const char *title;
	const char *baseline; /* YYYY-MM-DD */
	const char *forecast; /* "" when absent */
	const char *achieved; /* "" when absent */
};

/* A return's actual for one of its project's indicators (docs/assurance.md, "Indicators"). */
struct chain_actual {
	int64_t indicator_id;
	const char *value; /* a number as text, as given */
	const char *note;
};

/* What a submitter said (the request's content). */
struct chain_content {
	int ref;
	const char *period;
	const char *confidence; /* name, e.g. "amber_green" */
	const char *stage;      /* name */
	const char *narrative;
	bool has_spend;
	int64_t spend_pence;
	bool has_forecast;
	int64_t forecast_pence;
	const char *variance_note;
	const struct chain_milestone *milestones;
	size_t n_milestones;
	const char *const *risks;
	size_t n_risks;
	/* none: the bytes are those of a return from before indicators, so every old hash still verifies */
	const struct chain_actual *actuals;
	size_t n_actuals;
};

/* What the server adds when it records it. */
struct chain_record {
	int revision;
	const char *submitted_by;
	const char *submitted_org;
	const char *submitted_person;
	bool on_behalf;
	const char *submitted_at; /* YYYY-MM-DDTHH:MM:SS.ffffffZ */
};

/* The leaf of the verifiable log for an update (planreg-log-v1, migrations/0014's planreg_log_update_entry). */
struct chain_leaf_update {
	int64_t update_id;
	int ref;
	const char *period;
	const char *content_sha256;     /* hex */
	const char *chain_hash;         /* hex: the update's hash in the chain */
	struct chain_record record;     /* its revision and who submitted it when */
	const char *signature;          /* the submitter's signature in lower-case hex; NULL or "" for none */
	const char *certificate_sha256; /* hex SHA-256 of the certificate that signed; NULL or "" for none */
};

/* The leaf of a review (planreg-log-v1, planreg_log_review_entry). */
struct chain_leaf_review {
	int64_t review_id;
	int64_t update_id;
	bool accepted;
	const char *comment;
	const char *reviewed_by;
	const char *reviewed_at; /* YYYY-MM-DDTHH:MM:SS.ffffffZ */
	const char *signature;   /* as chain_leaf_update's */
	const char *certificate_sha256;
};

/* The canonical bytes of content (and, when r is not NULL, of the record). */
void chain_encode(const struct chain_content *c, const struct chain_record *r, struct buf *out);
/* SHA-256 of the content alone: tells a retry from a different submission under the same key. */
void chain_content_digest(const struct chain_content *c, char out[65]);
/* SHA-256 over prev_hash, a newline, and the canonical bytes of content + record. */
void chain_hash(const char *prev_hash, const struct chain_content *c, const struct chain_record *r, char out[65]);

/* The canonical bytes of a leaf, appended to out (docs/verifiable-log.md, "Leaves"). */
void chain_leaf_update(const struct chain_leaf_update *u, struct buf *out);
void chain_leaf_review(const struct chain_leaf_review *r, struct buf *out);

#endif
