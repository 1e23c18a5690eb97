/* methods.h - every request kind the daemon serves, declared once: its name, its handler, who
 * may make it, where it may run and how large it may be. Dispatch (rpc.c), the authorisation
 * gate, the size limit conn.c applies before decoding, the roles named in refusals and the
 * per-method metrics all read this table; nothing else lists request kinds. */
#ifndef PLANREG_METHODS_H
#define PLANREG_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "planreg.pb-c.h"
#include "values.h"

struct rpc_call;
typedef void (*method_handler)(struct rpc_call *call);

enum method_size {
	METHOD_SMALL, /* up to max_request_bytes */
	METHOD_LARGE, /* up to max_frame_bytes (ImportPlan: a whole plan) */
};

struct method {
	Planreg__V1__Request__BodyCase kind; /* = the Request oneof field number = the Response's */
	const char *name;                    /* the protocol's name: logs, metrics */
	const char *doing;                   /* what it does, in words, for messages ("importing a plan") */
	method_handler handler;
	/* Who may make it, in the order a refusal names them; ends at the first ROLE_UNSPECIFIED. */
	enum role roles[ROLE_COUNT];
	/* A submitter may, but only for projects its organisation leads (auth.c decides per project). */
	bool lead_only;
	/* Changes nothing and may see the register a moment old: may run on the replica (read_db_dsn). */
	bool replica;
	/* Changes data: its reply carries the primary's WAL position for read-your-writes. */
	bool writes;
	/* A retry must return the first result: an idempotency_key is required (checked before the handler). */
	bool idempotent;
	/* May also come on a connection without a client certificate (joining with an invitation);
	 * every other kind is refused on such a connection. */
	bool anonymous;
	enum method_size size;
};

/* At most this many request kinds (per-method counters are sized by it). */
#define METHOD_MAX 64

/* The entry for a request kind; NULL for a kind this daemon does not serve. */
const struct method *method_for(uint32_t kind);
/* The table itself, for whoever walks every kind (metrics, tests). */
size_t method_count(void);
const struct method *method_at(size_t i);
/* A method's place in the table (0 .. method_count() - 1): the index of per-method counters. */
size_t method_index(const struct method *m);

bool method_allows(const struct method *m, enum role role);
/* "admin, viewer or submitter", "any role": who may, for a refusal. Static storage. */
const char *method_roles_text(const struct method *m);
/* The largest request frame body of this kind (m NULL: an unknown kind, the small cap). */
size_t method_request_cap(const struct method *m, const struct config *cfg);

#endif
