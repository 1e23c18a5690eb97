/* cmd_status_assure.c - what `planreg status` shows of the Combined Authority's assurance beside the
 * lead body's return (docs/assurance.md): its rating, the baselines and the variance against them, and
 * the CA's ratings of each --by group, counted from the projects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "cmd_status.h"
#include "indicator_text.h"

/* The CA's rating and the baselines beside a project's return (docs/assurance.md). */
static void cmd_status_baseline_row(struct output_rows *r, const char *cost_key, const char *end_key,
				    const Planreg__V1__Baseline *b)
{
	cli_money_row(r, cost_key, b ? b->cost_min : NULL);
	output_rows_str(r, end_key, b && b->end_date[0] ? b->end_date : NULL);
}

/* Each of the project's indicators, a line of progress to target (indicator_text.h). */
static void cmd_status_indicators_row(struct output_rows *r, const Planreg__V1__ProjectStatus *p)
{
	char **lines = calloc(p->n_indicators + 1, sizeof *lines);
	for (size_t i = 0; lines && i < p->n_indicators; i++) {
		struct buf line = {0};
		indicator_text_line(&line, p->indicators[i]);
		lines[i] = strdup(buf_str(&line));
		buf_free(&line);
	}
	output_rows_list(r, "indicators", lines, lines ? p->n_indicators : 0, "\n");
	for (size_t i = 0; lines && i < p->n_indicators; i++)
		free(lines[i]);
	free(lines);
}

void cmd_status_assure_row(struct output_rows *r, const Planreg__V1__ProjectStatus *p)
{
	const Planreg__V1__Assurance *a = p->assurance;
	const Planreg__V1__Baseline *o = p->original_baseline, *b = p->approved_baseline;
	output_rows_str(r, "assurance", a ? cmd_status_confidence(a->rating) : NULL);
	output_rows_str(r, "assurance_rationale", a ? a->rationale : NULL);
	output_rows_str(r, "assurance_rated_at", a ? a->rated_at : NULL);
	output_rows_bool(r, "ratings_differ", p->ratings_differ);
	output_rows_str(r, "return_end_date", p->return_end_date[0] ? p->return_end_date : NULL);
	cmd_status_baseline_row(r, "original_cost_pence", "original_end_date", o);
	cmd_status_baseline_row(r, "approved_cost_pence", "approved_end_date", b);
	cmd_status_pct_row(r, "variance_original_pct", o ? o->variance : NULL);
	cmd_status_pct_row(r, "variance_approved_pct", b ? b->variance : NULL);
	if (o && o->end_slip)
		output_rows_int(r, "end_slip_original_days", o->end_slip->days);
	else
		output_rows_null(r, "end_slip_original_days");
	if (b && b->end_slip)
		output_rows_int(r, "end_slip_approved_days", b->end_slip->days);
	else
		output_rows_null(r, "end_slip_approved_days");
	output_rows_int(r, "pending_changes", p->pending_changes);
	cmd_status_indicators_row(r, p);
}

/* Whether project p falls in group key of the grouping by (the server's rules: docs/json.md). */
static bool cmd_status_in_group(const char *by, const char *key, const Planreg__V1__ProjectStatus *p)
{
	if (strcmp(by, "theme") == 0)
		return atoi(key) == p->theme;
	if (strcmp(by, "stage") == 0)
		return strcmp(key, cmd_status_stage(p->update_id ? p->stage : p->register_stage)) == 0;
	if (strcmp(by, "lead") == 0) {
		for (size_t i = 0; i < p->n_lead_orgs; i++)
			if (strcasecmp(key, p->lead_orgs[i]) == 0)
				return true;
		return false;
	}
	return p->update_id && strcmp(key, cmd_status_confidence(p->confidence)) == 0;
}

/* The CA's ratings of a group's reported projects: counts by rating (CONFIDENCE order, then unrated at
 * index 0) and how many the two ratings differ on (*differ). */
static void cmd_status_group_ratings(const Planreg__V1__StatusGroup *g, const struct cmd_status_by *by, int counts[6],
				     int *differ)
{
	memset(counts, 0, 6 * sizeof *counts);
	*differ = 0;
	for (size_t i = 0; by && by->pages && i < by->pages->n_projects; i++) {
		const Planreg__V1__ProjectStatus *p = by->pages->projects[i];
		bool reported = p->update_id && p->review != PLANREG__V1__REVIEW_STATE__REVIEW_RETURNED;
		if (!reported || !cmd_status_in_group(by->by, g->key, p))
			continue;
		int c = p->assurance ? (int)p->assurance->rating : 0;
		counts[c >= 0 && c <= 5 ? c : 0]++;
		*differ += p->ratings_differ;
	}
}

void cmd_status_group_assure_row(struct output_rows *r, const Planreg__V1__StatusGroup *g,
				 const struct cmd_status_by *by)
{
	int counts[6], differ;
	cmd_status_group_ratings(g, by, counts, &differ);
	static const char *const keys[] = {"assurance_green", "assurance_amber_green", "assurance_amber",
					   "assurance_amber_red",
					   "assurance_red"}; /* the rows keep the key's pointer */
	for (int c = 1; c <= 5; c++)
		output_rows_int(r, keys[c - 1], counts[c]);
	output_rows_int(r, "assurance_unrated", counts[0]);
	output_rows_int(r, "ratings_differ", differ);
}

/* The CA's ratings of a group in words: "green 1, amber 2; differ 1", or "-". */
const char *cmd_status_group_ratings_text(struct arena *a, const Planreg__V1__StatusGroup *g,
					  const struct cmd_status_by *by)
{
	int counts[6], differ;
	cmd_status_group_ratings(g, by, counts, &differ);
	const char *text = "";
	for (int c = 1; c <= 5; c++)
		if (counts[c])
			text = arena_printf(a, "%s%s%s %d", text, text[0] ? ", " : "", cmd_status_confidence(c),
					    counts[c]);
	if (differ)
		text = arena_printf(a, "%s; differ %d", text, differ);
	return text[0] ? text : "-";
}

void cmd_status_headline_assurance(const Planreg__V1__StatusTotals *t)
{
	int rated = 0;
	for (size_t i = 0; i < t->n_by_assurance; i++)
		if (strcmp(t->by_assurance[i]->name, "unrated") != 0)
			rated += t->by_assurance[i]->count;
	if (rated == 0)
		return;
	printf("The Combined Authority's rating of those reported:");
	const char *sep = " ";
	for (size_t i = 0; i < t->n_by_assurance; i++) {
		printf("%s%s %d", sep, t->by_assurance[i]->name, t->by_assurance[i]->count);
		sep = ", ";
	}
	printf("; the two ratings differ on %d\n", t->ratings_differ);
}
