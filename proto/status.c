/* status.c - status code names and their CLI exit codes. */
#include "status.h"

#include <stdio.h>

const char *status_code_name(status_code code)
{
	switch (code) {
	case PLANREG__V1__CODE__OK:
		return "OK";
	case PLANREG__V1__CODE__INVALID_ARGUMENT:
		return "INVALID_ARGUMENT";
	case PLANREG__V1__CODE__DEADLINE_EXCEEDED:
		return "DEADLINE_EXCEEDED";
	case PLANREG__V1__CODE__NOT_FOUND:
		return "NOT_FOUND";
	case PLANREG__V1__CODE__ALREADY_EXISTS:
		return "ALREADY_EXISTS";
	case PLANREG__V1__CODE__PERMISSION_DENIED:
		return "PERMISSION_DENIED";
	case PLANREG__V1__CODE__RESOURCE_EXHAUSTED:
		return "RESOURCE_EXHAUSTED";
	case PLANREG__V1__CODE__FAILED_PRECONDITION:
		return "FAILED_PRECONDITION";
	case PLANREG__V1__CODE__ABORTED:
		return "ABORTED";
	case PLANREG__V1__CODE__INTERNAL:
		return "INTERNAL";
	case PLANREG__V1__CODE__UNAVAILABLE:
		return "UNAVAILABLE";
	case PLANREG__V1__CODE__UNAUTHENTICATED:
		return "UNAUTHENTICATED";
	default:
		break;
	}
	static char unknown[32];
	snprintf(unknown, sizeof unknown, "UNKNOWN(%d)", (int)code);
	return unknown;
}

enum exit_code status_exit_code(status_code code)
{
	switch (code) {
	case PLANREG__V1__CODE__OK:
		return EXIT_OK;
	case PLANREG__V1__CODE__UNAUTHENTICATED:
	case PLANREG__V1__CODE__UNAVAILABLE:
		return EXIT_CONNECT;
	default:
		return EXIT_REFUSED;
	}
}
