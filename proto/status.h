/* status.h - the planreg/1 status codes: names, and the CLI exit code each maps to. */
#ifndef PLANREG_STATUS_H
#define PLANREG_STATUS_H

#include "planreg.pb-c.h"

typedef Planreg__V1__Code status_code;

/* "INVALID_ARGUMENT", ...; "UNKNOWN(n)" for a value this build does not know. */
const char *status_code_name(status_code code);

/* The CLI's exit codes, as planreg(1) documents them (man/planreg.1.scd, EXIT STATUS). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_REFUSED = 1, /* the server said no */
	EXIT_USAGE = 2,
	EXIT_CONNECT = 3, /* cannot connect or authenticate */
	EXIT_LOG = 4,     /* the verifiable log is inconsistent with what this CLI holds: evidence kept */
};

enum exit_code status_exit_code(status_code code);

#endif
