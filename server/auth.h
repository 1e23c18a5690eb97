/* auth.h - every authorisation decision of the daemon, in one place, from the
 * principal's role and organisation and, for progress, the project's leads. */
#ifndef PLANREG_AUTH_H
#define PLANREG_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "values.h"

/* Who a request comes from: the credential its connection's certificate is enrolled as. */
struct principal {
	char credential[80];
	char organisation[20];
	char person[256];
	enum role role;
	char fingerprint[65];
};

struct method;

/* May p make this kind of request at all? Who may is declared with each kind (methods.c);
 * on false, *why names them ("admin, viewer or submitter"). m NULL (an unknown kind): true,
 * dispatch answers it. The decisions below need data: the organisation and the project's leads. */
bool auth_request_allowed(const struct principal *p, const struct method *m, const char **why);

/* Does p's organisation lead the project led by these organisations? (Co-led
 * projects have several leads; codes compare case-insensitively.) An admin
 * reporting for a project it does not lead reports on behalf of the lead. */
bool auth_leads_project(const struct principal *p, char **lead_orgs, size_t n_lead_orgs);

/* May p submit (or read) progress for a project led by these organisations?
 * Admins always; submitters only for projects their organisation leads. */
bool auth_may_write_progress(const struct principal *p, char **lead_orgs, size_t n_lead_orgs);
bool auth_may_read_progress(const struct principal *p, char **lead_orgs, size_t n_lead_orgs);

/* May p list the updates of the projects org leads (ListUpdates --org)?
 * Admins and viewers any organisation; a submitter only its own. */
bool auth_may_list_org(const struct principal *p, const char *org);

/* Whose update template p gets when it asks for requested ("" for its own):
 * the organisation to use, or NULL when p may not have that one's (a submitter
 * asking for another organisation's). */
const char *auth_template_org(const struct principal *p, const char *requested);

/* Whose projects p may see in consolidated views (status, outstanding,
 * timeliness, diff, export): NULL for every project (admin, viewer, the
 * reminder job), else the one organisation whose projects it may see. */
const char *auth_progress_scope(const struct principal *p);

/* Who p is to a project led by these organisations, for what the CA and the lead body each do to it: the CA
 * (an admin), the lead body (a submitter of one of them), or no party. AddIndicator (docs/assurance.md,
 * "Indicators"): the CA creates an indicator, the lead body proposes it (a change request of kind scope), anyone
 * else is refused. Queries on a return (docs/assurance.md, "Queries"): the CA raises, replies and closes, the
 * lead body answers, anyone else is no party to it. */
enum auth_party { AUTH_PARTY_NONE, AUTH_PARTY_CA, AUTH_PARTY_LEAD };
enum auth_party auth_project_party(const struct principal *p, char **lead_orgs, size_t n_lead_orgs);

/* May p add or remove the people of org (AddPerson, RemovePerson)? Admins any organisation's; a
 * submitter its own organisation's only. */
bool auth_may_manage_people(const struct principal *p, const char *org);

/* Whose people p may list: NULL for every organisation's (admin, viewer), else its own organisation. */
const char *auth_people_scope(const struct principal *p);

/* May p assign the returns of a project led by these organisations to a person of person_org ("" to
 * unassign), taking them from one of assignee_org ("" when nobody has them)? Admins always; a submitter
 * only for a project its organisation leads, and only its own organisation's people on either side. */
bool auth_may_assign(const struct principal *p, char **lead_orgs, size_t n_lead_orgs, const char *person_org,
		     const char *assignee_org);

/* A query's entry a party adds to a query's thread: "answer" (the lead body), "reply" or, closing, "close" (the CA);
 * NULL when it may not (the lead body closing, anyone who is no party). */
const char *auth_query_entry_kind(enum auth_party party, bool close);

#endif
