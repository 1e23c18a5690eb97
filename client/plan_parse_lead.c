/* plan_parse_lead.c - the lead and partners columns of the action plan: the
 * lead organisations (resolved through the names file, or given a code of
 * their own), the people after the dash, and the partners list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_parse_int.h"
#include "text.h"
#include "xmalloc.h"

/* An organisation name the names file does not know gets a code of its own, unique in the plan. */
static void plan_parse_derive_code(struct plan_parse *ps, const char *name, char code[PLAN_PARSE_CODE_MAX + 1])
{
	size_t n = 0;
	for (const char *s = name; *s != '\0' && n < PLAN_PARSE_CODE_MAX; s++)
		if (text_is_alnum(*s))
			code[n++] = text_upper(*s);
	code[n] = '\0';
	if (n == 0) {
		/* a name with no ASCII letters or digits at all */
		strcpy(code, "ORG");
		n = strlen(code);
	}

	char base[PLAN_PARSE_CODE_MAX + 1];
	memcpy(base, code, n + 1);
	for (int suffix = 2;; suffix++) {
		bool taken = plan_names_org_by_code(ps->names, code) != NULL;
		for (size_t i = 0; !taken && i < ps->plan.n_orgs; i++)
			if (text_iequal(ps->plan.orgs[i].code, code))
				taken = true;
		if (!taken)
			return;
		char digits[12];
		int d = snprintf(digits, sizeof(digits), "%d", suffix);
		size_t keep = n + (size_t)d > PLAN_PARSE_CODE_MAX ? PLAN_PARSE_CODE_MAX - (size_t)d : n;
		memcpy(code, base, keep);
		memcpy(code + keep, digits, (size_t)d + 1);
	}
}

/* Resolves one organisation of a lead column and records it; returns its code (owned by plan->orgs). */
static const char *plan_parse_lead_org(struct plan_parse *ps, int ref, const char *text)
{
	bool via_alias;
	const struct plan_names_org *org = plan_names_resolve_org(ps->names, text, &via_alias);
	if (org != NULL) {
		if (via_alias)
			plan_parse_warn(ps, ref, "'%s' read as organisation %s (%s)", text, org->code, org->name);
		plan_parse_add_org(ps, org->code, org->name, org->kind);
		for (size_t i = 0; i < ps->plan.n_orgs; i++)
			if (strcmp(ps->plan.orgs[i].code, org->code) == 0)
				return ps->plan.orgs[i].code;
	}
	/* the same unknown name twice is the same organisation */
	for (size_t i = 0; i < ps->plan.n_orgs; i++) {
		const struct plan_org *o = &ps->plan.orgs[i];
		if (plan_names_org_by_code(ps->names, o->code) == NULL && text_iequal(o->name, text)) {
			plan_parse_warn(ps, ref,
					"organisation '%s' is not in the names file; recorded as %s (kind other)", text,
					o->code);
			return o->code;
		}
	}
	char code[PLAN_PARSE_CODE_MAX + 1];
	plan_parse_derive_code(ps, text, code);
	plan_parse_warn(ps, ref, "organisation '%s' is not in the names file; recorded as %s (kind other)", text, code);
	plan_parse_add_org(ps, code, text, ORG_KIND_OTHER);
	return ps->plan.orgs[ps->plan.n_orgs - 1].code;
}

/* Length of a body/person separator at s[i] (a dash with whitespace on at least one side), else 0. */
static size_t plan_parse_lead_dash(const char *s, size_t i)
{
	size_t n = 0;
	if (s[i] == '-')
		n = 1;
	else if (strncmp(s + i, PLAN_PARSE_EN_DASH, 3) == 0 || strncmp(s + i, PLAN_PARSE_EM_DASH, 3) == 0)
		n = 3;
	if (n == 0)
		return 0;
	bool space_before = i == 0 || text_is_space(s[i - 1]);
	bool space_after = s[i + n] == '\0' || text_is_space(s[i + n]);
	return (space_before || space_after) ? n : 0;
}

/* One person of a lead column: parenthesised remarks are dropped, "tbd" means nobody yet. */
static void plan_parse_lead_person(struct plan_parse *ps, struct plan_project *proj, const char *item)
{
	/* split the item into the name and the bracketed remarks, brackets kept with the remarks */
	size_t len = strlen(item);
	char *kept = xmalloc(len + 1), *remark = xmalloc(len + 1);
	size_t n = 0, r = 0;
	int depth = 0;
	for (const char *s = item; *s != '\0'; s++) {
		bool in_remark = depth > 0 || *s == '(';
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		if (in_remark)
			remark[r++] = *s;
		else
			kept[n++] = *s;
	}
	kept[n] = '\0';
	remark[r] = '\0';
	char *name = plan_parse_fold_space(kept);
	free(kept);
	if (name[0] == '\0' || text_iequal(name, "tbd") || text_iequal(name, "tbc")) {
		free(remark);
		free(name);
		return;
	}
	if (r > 0)
		plan_parse_warn(ps, proj->ref,
				"remark '%s' after lead person '%s' left out of the name (it stays in the lead text)",
				remark, name);
	free(remark);
	const char *canonical = plan_names_resolve_person(ps->names, name);
	if (canonical != NULL) {
		plan_parse_warn(ps, proj->ref, "'%s' read as person %s", name, canonical);
		free(name);
		name = xstrdup(canonical);
	}
	plan_parse_add_unique(&proj->lead_people, &proj->n_lead_people, name);
	plan_parse_add_person(ps, name);
	free(name);
}

void plan_parse_lead(struct plan_parse *ps, struct plan_project *proj)
{
	const char *s = proj->lead_text;
	size_t dash = 0, dash_len = 0;
	int depth = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && (dash_len = plan_parse_lead_dash(s, i)) != 0) {
			dash = i;
			break;
		}
	}
	char *orgs = dash_len != 0 ? text_trim_dup(s, dash) : text_trim_dup(s, strlen(s));
	char *people = dash_len != 0 ? text_trim_dup(s + dash + dash_len, strlen(s + dash + dash_len)) : xstrdup("");

	struct plan_parse_list items = {0};
	if (orgs[0] != '\0') {
		/* "Liverpool City Council (LCC)" and names with "&" resolve whole before being split */
		if (plan_names_resolve_org(ps->names, orgs, NULL) != NULL)
			plan_parse_list_add(&items, xstrdup(orgs));
		else
			plan_parse_split(orgs, "&/", &items);
	}
	for (size_t i = 0; i < items.n; i++) {
		if (items.items[i][0] == '\0')
			continue;
		const char *code = plan_parse_lead_org(ps, proj->ref, items.items[i]);
		plan_parse_add_unique(&proj->lead_orgs, &proj->n_lead_orgs, code);
	}
	plan_parse_list_free(&items);
	if (proj->n_lead_orgs == 0 && proj->lead_text[0] != '\0')
		plan_parse_warn(ps, proj->ref, "lead '%s' names no organisation", proj->lead_text);

	if (people[0] != '\0') {
		plan_parse_split(people, "&/", &items);
		for (size_t i = 0; i < items.n; i++)
			plan_parse_lead_person(ps, proj, items.items[i]);
		plan_parse_list_free(&items);
	}
	free(orgs);
	free(people);
}

void plan_parse_partners(struct plan_parse *ps, struct plan_project *proj)
{
	if (strcmp(proj->partners_text, "-") == 0 || proj->partners_text[0] == '\0')
		return;
	struct plan_parse_list items = {0};
	plan_parse_split(proj->partners_text, ",", &items);
	/* a full stop after the list ends the sentence, not the last partner's name */
	for (size_t i = items.n; i > 0; i--) {
		char *last = items.items[i - 1];
		size_t len = strlen(last);
		if (len == 0)
			continue;
		if (last[len - 1] == '.') {
			items.items[i - 1] = text_trim_dup(last, len - 1);
			free(last);
		}
		break;
	}
	proj->partners = xcalloc(items.n, sizeof(*proj->partners));
	for (size_t i = 0; i < items.n; i++) {
		const char *name = items.items[i];
		if (name[0] == '\0' || strcmp(name, "-") == 0)
			continue;
		struct plan_partner *pt = &proj->partners[proj->n_partners++];
		pt->name = xstrdup(name);
		const struct plan_names_org *org = plan_names_resolve_org(ps->names, name, NULL);
		if (org != NULL) {
			pt->org_code = xstrdup(org->code);
			plan_parse_add_org(ps, org->code, org->name, org->kind);
		}
	}
	plan_parse_list_free(&items);
}
