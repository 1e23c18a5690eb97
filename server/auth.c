/* auth.c - who may do what (see auth.h). The table is the policy; keep it the only copy. */
#include "auth.h"

#include <string.h>
#include <strings.h>

#include "values.h"

#define A (1u << ROLE_ADMIN)
#define V (1u << ROLE_VIEWER)
#define S (1u << ROLE_SUBMITTER)
#define R (1u << ROLE_REMINDER)

struct auth_rule {
	Planreg__V1__Request__BodyCase kind;
	unsigned roles;
	const char *roles_text;
};

/* Reading the register is open to every enrolled credential (the reminder job
 * needs organisations and projects); changing it is the CA's (admin). Progress:
 * submitters write their own organisation's, admins anyone's; viewers and the
 * reminder job never write it. */
static const struct auth_rule auth_rules[] = {
	{PLANREG__V1__REQUEST__BODY_WHOAMI, A | V | S | R, "any role"},
	{PLANREG__V1__REQUEST__BODY_LIST_THEMES, A | V | S | R, "any role"},
	{PLANREG__V1__REQUEST__BODY_LIST_ORGANISATIONS, A | V | S | R, "any role"},
	{PLANREG__V1__REQUEST__BODY_LIST_PROJECTS, A | V | S | R, "any role"},
	{PLANREG__V1__REQUEST__BODY_GET_PROJECT, A | V | S | R, "any role"},
	{PLANREG__V1__REQUEST__BODY_UPSERT_ORGANISATION, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_IMPORT_PLAN, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_ENROL_CREDENTIAL, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_REVOKE_CREDENTIAL, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_LIST_CREDENTIALS, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE, A | S, "admin or a submitter of a lead organisation"},
	{PLANREG__V1__REQUEST__BODY_UPDATE_TEMPLATE, A | S, "admin or submitter"},
	{PLANREG__V1__REQUEST__BODY_GET_UPDATE, A | V | S, "admin, viewer or a submitter of a lead organisation"},
	{PLANREG__V1__REQUEST__BODY_LIST_UPDATES, A | V | S, "admin, viewer or a submitter of a lead organisation"},
	{PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_VERIFY_AUDIT, A | V, "admin or viewer"},
	/* the consolidated picture: a submitter sees the same shapes, cut to its own projects */
	{PLANREG__V1__REQUEST__BODY_GET_STATUS, A | V | S, "admin, viewer or submitter"},
	{PLANREG__V1__REQUEST__BODY_LIST_OUTSTANDING, A | V | S | R, "any role"},
	{PLANREG__V1__REQUEST__BODY_GET_TIMELINESS, A | V | S, "admin, viewer or submitter"},
	{PLANREG__V1__REQUEST__BODY_DIFF_PERIODS, A | V | S, "admin, viewer or submitter"},
	{PLANREG__V1__REQUEST__BODY_EXPORT_UPDATES, A | V | S, "admin, viewer or submitter"},
	/* reminders: the job claims and acknowledges them (an admin may run it by hand); the policy is the CA's */
	{PLANREG__V1__REQUEST__BODY_GET_REMINDER_POLICY, A | V | R, "admin, viewer or reminder"},
	{PLANREG__V1__REQUEST__BODY_SET_REMINDER_POLICY, A, "admin"},
	{PLANREG__V1__REQUEST__BODY_CLAIM_REMINDERS, A | R, "reminder or admin"},
	{PLANREG__V1__REQUEST__BODY_ACK_REMINDER, A | R, "reminder or admin"},
	{PLANREG__V1__REQUEST__BODY_LIST_REMINDERS, A | V | R, "admin, viewer or reminder"},
};

static const struct auth_rule *auth_rule_for(Planreg__V1__Request__BodyCase kind)
{
	for (size_t i = 0; i < sizeof auth_rules / sizeof auth_rules[0]; i++)
		if (auth_rules[i].kind == kind)
			return &auth_rules[i];
	return NULL;
}

const char *auth_roles_for(Planreg__V1__Request__BodyCase kind)
{
	const struct auth_rule *r = auth_rule_for(kind);
	return r ? r->roles_text : "nobody";
}

bool auth_request_allowed(const struct principal *p, Planreg__V1__Request__BodyCase kind, const char **why)
{
	const struct auth_rule *r = auth_rule_for(kind);
	if (r != NULL && p->role > ROLE_UNSPECIFIED && p->role < ROLE_COUNT && (r->roles & (1u << p->role)))
		return true;
	*why = auth_roles_for(kind);
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
