/* auth.c - the authorisation decisions that need data (see auth.h); which role may make which
 * request at all is declared with each request kind in methods.c and applied here. */
#include "auth.h"

#include <string.h>
#include <strings.h>

#include "methods.h"
#include "values.h"

bool auth_request_allowed(const struct principal *p, const struct method *m, const char **why)
{
	/* a kind open to connections without a certificate (joining) is open to every connection */
	if (m == NULL || m->anonymous || method_allows(m, p->role))
		return true;
	*why = method_roles_text(m);
	return false;
}

bool auth_leads_project(const struct principal *p, char **lead_orgs, size_t n_lead_orgs)
{
	for (size_t i = 0; i < n_lead_orgs; i++)
		if (strcasecmp(lead_orgs[i], p->organisation) == 0)
			return true;
	return false;
}

bool auth_may_write_progress(const struct principal *p, char **lead_orgs, size_t n_lead_orgs)
{
	if (p->role == ROLE_ADMIN)
		return true;
	return p->role == ROLE_SUBMITTER && auth_leads_project(p, lead_orgs, n_lead_orgs);
}

bool auth_may_read_progress(const struct principal *p, char **lead_orgs, size_t n_lead_orgs)
{
	if (p->role == ROLE_ADMIN || p->role == ROLE_VIEWER)
		return true;
	return p->role == ROLE_SUBMITTER && auth_leads_project(p, lead_orgs, n_lead_orgs);
}

bool auth_may_list_org(const struct principal *p, const char *org)
{
	if (p->role == ROLE_ADMIN || p->role == ROLE_VIEWER)
		return true;
	return p->role == ROLE_SUBMITTER && strcasecmp(org, p->organisation) == 0;
}

const char *auth_template_org(const struct principal *p, const char *requested)
{
	if (requested == NULL || requested[0] == '\0')
		return p->organisation;
	if (p->role == ROLE_ADMIN || strcasecmp(requested, p->organisation) == 0)
		return requested;
	return NULL;
}

const char *auth_progress_scope(const struct principal *p)
{
	if (p->role == ROLE_ADMIN || p->role == ROLE_VIEWER || p->role == ROLE_REMINDER)
		return NULL;
	return p->organisation; /* a submitter: its own organisation's projects only */
}

enum auth_party auth_project_party(const struct principal *p, char **lead_orgs, size_t n_lead_orgs)
{
	if (p->role == ROLE_ADMIN)
		return AUTH_PARTY_CA;
	if (p->role == ROLE_SUBMITTER && auth_leads_project(p, lead_orgs, n_lead_orgs))
		return AUTH_PARTY_LEAD;
	return AUTH_PARTY_NONE;
}

/* People (docs/decisions.md, "People"): the CA's admin manages every organisation's, a submitter its own
 * organisation's. Viewers and the reminder job read them but never change them. */
bool auth_may_manage_people(const struct principal *p, const char *org)
{
	if (p->role == ROLE_ADMIN)
		return true;
	return p->role == ROLE_SUBMITTER && strcasecmp(org, p->organisation) == 0;
}

const char *auth_people_scope(const struct principal *p)
{
	return p->role == ROLE_SUBMITTER ? p->organisation : NULL;
}

bool auth_may_assign(const struct principal *p, char **lead_orgs, size_t n_lead_orgs, const char *person_org,
		     const char *assignee_org)
{
	if (p->role == ROLE_ADMIN)
		return true;
	if (p->role != ROLE_SUBMITTER || !auth_leads_project(p, lead_orgs, n_lead_orgs))
		return false;
	return (person_org[0] == '\0' || strcasecmp(person_org, p->organisation) == 0) &&
	       (assignee_org[0] == '\0' || strcasecmp(assignee_org, p->organisation) == 0);
}

/* Queries (docs/decisions.md, "Queries"): raising one is the admin's by the method table (RaiseQuery). */
const char *auth_query_entry_kind(enum auth_party party, bool close)
{
	if (party == AUTH_PARTY_CA)
		return close ? "close" : "reply";
	if (party == AUTH_PARTY_LEAD && !close)
		return "answer";
	return NULL;
}
