/* signed.h - a return's or review's signature checked against the connection's certificate before anything is
 * written (docs/verifiable-log.md, "Signed by their submitters"). */
#ifndef PLANREG_HANDLERS_SIGNED_H
#define PLANREG_HANDLERS_SIGNED_H

#include <stdbool.h>

#include "buf.h"
#include "handlers.h"

/* What goes into the row with the entry: all NULL when it is unsigned (require_signatures = no). */
struct signed_by {
	const char *signature;          /* bytea as text ("\x<hex>") */
	const char *certificate;        /* the connection's certificate's DER, bytea as text */
	const char *certificate_sha256; /* hex */
};

/* sig checked over msg (proto/submitsig.c's message of the request) against the connection's certificate: true
 * with *out filled to go on, false when the call was answered (unsigned while signatures are required, or a
 * signature that does not verify: nothing is written). what names the entry in the refusal ("the return"). */
bool signed_check(struct rpc_call *call, const ProtobufCBinaryData *sig, const struct buf *msg, const char *what,
		  struct signed_by *out);

#endif
