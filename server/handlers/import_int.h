/* import_int.h - what ImportPlan's two files share: the call's state, the
 * document planreg_import_plan reads (import.c), and the new edition's steps
 * (import_edition.c). */
#ifndef PLANREG_IMPORT_INT_H
#define PLANREG_IMPORT_INT_H

#include <stdint.h>

#include "handlers.h"
#include "import_match.h"

/* A new edition under way: the edition it succeeds, what each project continues, and how that was decided. */
struct import_edition {
	int previous;                      /* the plan it succeeds */
	char *previous_title;              /* (in the call's arena) */
	int64_t *continues;                /* per project of the request: the previous edition's project id, or 0 */
	struct import_match_result *match; /* per project of the request */
	int *prev_refs;                    /* the previous edition's refs, by match index */
	size_t n_prev;
	size_t ambiguous;
	rpc_step after_report; /* import_edition_report's next step */
};

struct import_state {
	const char *doc; /* the JSON document, in the call's arena */
	Planreg__V1__ImportPlanResponse *resp;
	struct import_edition *edition; /* NULL unless the request imports a new edition */
};

/* import.c: the document for planreg_import_plan (malloc'd), and sending it in the open transaction. */
char *import_to_json(const Planreg__V1__ImportPlanRequest *q, const struct import_edition *e);
void import_send(struct rpc_call *call);

/* import_edition.c: after BEGIN, the previous edition and the matches, then import_send (or a refusal). */
void import_edition_begin(struct rpc_call *call);
/* After planreg_import_plan: the new edition's projects against the previous one's into the answer, then next. */
void import_edition_report(struct rpc_call *call, int plan, rpc_step next);

#endif
