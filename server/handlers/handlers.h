/* handlers.h - the request handlers, one file per request family. Each starts
 * a chain of query steps (query.h) and ends it with exactly one reply (reply.h);
 * methods.c declares which request kind runs which handler. */
#ifndef PLANREG_HANDLERS_H
#define PLANREG_HANDLERS_H

#include "db_error.h"
#include "query.h"
#include "reply.h"
#include "result.h"
#include "rpc.h"
#include "values.h"

/* register.c: the plan as imported, and organisations */
void register_whoami(struct rpc_call *call);
void register_list_themes(struct rpc_call *call);
void register_list_organisations(struct rpc_call *call);
void register_upsert_organisation(struct rpc_call *call);
void register_list_projects(struct rpc_call *call);
void register_get_project(struct rpc_call *call);

/* A cost as five columns, in this order from the first one on: GetStatus's rows carry one too. */
enum register_cost_col { COST_TEXT, COST_STATUS, COST_MIN_PENCE, COST_MAX_PENCE, COST_APPROXIMATE, COST_COLUMNS };
Planreg__V1__Cost *register_cost(struct rpc_call *call, PGresult *res, int row, int col);
/* A stage, confidence or role cell; the enum's UNSPECIFIED for a NULL cell or a name it does not know. */
enum stage handlers_cell_stage(PGresult *res, int row, int col);
enum confidence handlers_cell_confidence(PGresult *res, int row, int col);
enum role handlers_cell_role(PGresult *res, int row, int col);
/* An amount in pence; NULL for a NULL cell. */
Planreg__V1__Money *register_money(struct rpc_call *call, PGresult *res, int row, int col);

/* The columns of a project row (table alias f = project), in the order of enum register_project_col, and
 * their reader, which reads them from column col on; other families that show projects select the same
 * columns. A statement's own columns follow from PROJECT_COLUMNS on. */
extern const char REGISTER_SQL_PROJECT_COLUMNS[];
enum register_project_col {
	PROJECT_REF,
	PROJECT_THEME,
	PROJECT_OBJECTIVE,
	PROJECT_TITLE,
	PROJECT_DESCRIPTION,
	PROJECT_CAPITAL,
	PROJECT_LEAD_TEXT,
	PROJECT_LEAD_ORGS,
	PROJECT_LEAD_PEOPLE,
	PROJECT_PARTNERS,
	PROJECT_PARTNERS_TEXT,
	PROJECT_COST, /* enum register_cost_col */
	PROJECT_FUNDING = PROJECT_COST + COST_COLUMNS,
	PROJECT_STAGE,
	PROJECT_STAGE_NOTE,
	PROJECT_STAGE_TEXT,
	PROJECT_ATTRIBUTES, /* each name and value joined with RESULT_SUBSEP, the attributes with RESULT_SEP */
	PROJECT_ASSIGNEE,   /* the person its returns are assigned to: id, name and e-mail joined with RESULT_SEP */
	PROJECT_COLUMNS
};
Planreg__V1__Project *register_project_from_row(struct rpc_call *call, PGresult *res, int row, int col);
/* The current plan's title, which Whoami keeps, changes: a new edition was imported. */
void register_forget_plan_title(void);

/* people.c: the named people of each organisation, and whom a project's returns are assigned to */
void people_add(struct rpc_call *call);
void people_list(struct rpc_call *call);
void people_remove(struct rpc_call *call);
void people_assign(struct rpc_call *call);

/* import.c: ImportPlan */
void import_plan(struct rpc_call *call);

/* plan.c: the editions of the plan */
void plan_list(struct rpc_call *call);
void plan_get(struct rpc_call *call);
/* One edition's projects against the previous edition's ($1 the plan's number): each carried over (and what
 * changed) or new, then those of the previous edition it closed; ImportPlan reports a new edition with it. */
extern const char PLAN_SQL_PROJECTS[];
enum plan_project_col {
	PLAN_PROJECT_STATUS,       /* "carried", "new", "closed" */
	PLAN_PROJECT_REF,          /* 0 when closed */
	PLAN_PROJECT_PREVIOUS_REF, /* 0 when new */
	PLAN_PROJECT_TITLE,
	PLAN_PROJECT_CHANGED, /* joined with RESULT_SEP */
};
Planreg__V1__PlanProject *plan_project_from_row(struct rpc_call *call, PGresult *res, int row);

/* credential.c: enrol, revoke, list; a credential row (CREDENTIAL_COLUMNS, sql.h) as a message */
Planreg__V1__Credential *credential_from_row(struct rpc_call *call, PGresult *res, int row);
void credential_enrol(struct rpc_call *call);
void credential_revoke(struct rpc_call *call);
void credential_list(struct rpc_call *call);

/* invite.c: invitations, joining, renewal (docs/onboarding.md) */
void invite_create(struct rpc_call *call);
void invite_list(struct rpc_call *call);
void invite_cancel(struct rpc_call *call);
void invite_server_ca(struct rpc_call *call);
void invite_redeem(struct rpc_call *call);
void invite_renew(struct rpc_call *call);

/* update.c: quarterly progress */
void update_submit(struct rpc_call *call);
void update_get(struct rpc_call *call);
void update_list(struct rpc_call *call);
void update_review(struct rpc_call *call);
void update_template(struct rpc_call *call);
void update_export(struct rpc_call *call);
/* A milestones cell (each milestone's title, baseline, forecast and achieved joined with RESULT_SUBSEP, the
 * milestones with RESULT_SEP) appended to *out as messages: a return's and GetStatus's detail read it alike. */
void update_milestones_cell(struct rpc_call *call, const char *cell, Planreg__V1__Milestone ***out, size_t *n_out);

/* remind.c: the reminder job's policy, outbox and log */
void remind_get_policy(struct rpc_call *call);
void remind_set_policy(struct rpc_call *call);
void remind_claim(struct rpc_call *call);
void remind_ack(struct rpc_call *call);
void remind_list(struct rpc_call *call);

/* status.c: the consolidated picture of a period */
void status_get(struct rpc_call *call);
void status_outstanding(struct rpc_call *call);
void status_timeliness(struct rpc_call *call);
void status_diff(struct rpc_call *call);

/* change.c: change requests to a project's approved baseline (docs/assurance.md) */
void change_list(struct rpc_call *call);
void change_get(struct rpc_call *call);
void change_decide(struct rpc_call *call);
/* AddIndicator's proposal: a change request of kind scope for project (its row's id) with the indicator's
 * definition (JSON, migrations/0022), answered as AddIndicatorResponse.change. */
void change_propose_scope(struct rpc_call *call, const char *project, const char *definition, const char *rationale);

/* indicator.c: benefits and indicators (docs/assurance.md) */
void indicator_add(struct rpc_call *call);
void indicator_list(struct rpc_call *call);
void indicator_get(struct rpc_call *call);
/* evidence.c: documents that back a return (docs/assurance.md) */
void evidence_add(struct rpc_call *call);

/* queries.c: the Combined Authority's queries on one section of a return (docs/assurance.md, "Queries") */
void queries_raise(struct rpc_call *call);
void queries_add_entry(struct rpc_call *call);
void queries_list(struct rpc_call *call);
void queries_get(struct rpc_call *call);

/* audit.c: the hash chain */
void audit_verify(struct rpc_call *call);

/* log.c: the verifiable log (docs/verifiable-log.md). A receipt for an update's or a review's leaf: done gets it
 * (with call->state as it was) once the tree that holds it is signed; on a failure the call is answered with an
 * error and done is not called. Without log_key the receipt has the index and the entry only. */
typedef void (*log_receipt_fn)(struct rpc_call *call, Planreg__V1__LogReceipt *receipt);
/* An update's link in the hash chain, which the sequencer sets with its leaf (migrations/0025). */
struct log_chain_link {
	const char *prev_hash, *hash;
};
/* The entry waits for the sequencer first (handlers/log_seq.c); link, when not NULL, gets the update's chain
 * link before done is called. */
void log_receipt_update(struct rpc_call *call, int64_t update_id, struct log_chain_link *link, log_receipt_fn done);
void log_receipt_review(struct rpc_call *call, int64_t review_id, log_receipt_fn done);
/* A return the sequencer's next batch writes (write: its JSON object, log_seq_write): written is called with the
 * batch's answer (call->state the caller's) and returns true to go on to the receipt of the update it names (link
 * filled, then done), false when it has answered the call. A batch that could not write it answers the call. */
struct log_seq_written;
typedef bool (*log_written_fn)(struct rpc_call *call, const struct log_seq_written *w);
void log_receipt_write(struct rpc_call *call, const char *write, struct log_chain_link *link, log_written_fn written,
		       log_receipt_fn done);
/* The sequencer's one checkpoint per batch (log_seq.c): signs the tree the batch has just committed (batch->size
 * leaves) on call's connection (leased, idle), checked as every checkpoint is, reading the inclusion proofs of the
 * batch's leaves in the same query (batch->proved, batch->nodes: the calls' receipts need nothing more), then calls
 * done(arg) whether or not it could (a failure is logged; the calls' own receipts meet it again and answer it).
 * False, and done is not called, when there is nothing to sign (no log_key, or a tree that large is signed) or it
 * cannot be sent. */
struct log_seq_batch;
typedef void (*log_batch_signed_fn)(void *arg);
bool log_sign_batch(struct rpc_call *call, struct log_seq_batch *batch, log_batch_signed_fn done, void *arg);
void log_get_checkpoint(struct rpc_call *call);
void log_get_consistency_proof(struct rpc_call *call);
void log_get_inclusion_proof(struct rpc_call *call);
void log_get_leaves(struct rpc_call *call);
/* The head of the stored tree of size leaves (size at most the tree's), recomputed from the compact range in the
 * node table (popcount(size) reads): done gets it (with call->state as it was), or NULL when a node is missing or is
 * not a hash. */
typedef void (*log_root_fn)(struct rpc_call *call, const uint8_t *root);
void log_root_at(struct rpc_call *call, uint64_t size, log_root_fn done);
/* Whether the service signs its log; false after answering FAILED_PRECONDITION (log_not_signed). */
bool log_require_signed(struct rpc_call *call);
/* log_witness.c: witnesses (docs/verifiable-log.md, "Witnesses") */
void log_witness_set_key(struct rpc_call *call);
void log_witness_get(struct rpc_call *call);
void log_witness_add_cosignature(struct rpc_call *call);
void log_witness_get_cosigned(struct rpc_call *call);
/* Answers GetCheckpoint with r, its note carrying the cosignature line of every registered witness that cosigned
 * this very checkpoint. */
void log_witness_cosigned(struct rpc_call *call, Planreg__V1__GetCheckpointResponse *r);

#endif
