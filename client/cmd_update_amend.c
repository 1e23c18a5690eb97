/* cmd_update_amend.c - `planreg update submit REF --period P --amend ...`: the
 * project's current revision for the period read back, the options given laid
 * over it (the rest kept exactly), and the result submitted as an amend of that
 * revision, which the server refuses if another came in meanwhile
 * (migrations/0008). Why the CLI assembles it: docs/decisions.md. */
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "cmd_update.h"
#include "period.h"
#include "text.h"
#include "values.h"
#include "xmalloc.h"

/* The current revision of ref for period (made in this edition or an earlier one), from *resp (the caller frees
 * it); NULL with *rc after saying why. */
static const Planreg__V1__Update *cmd_update_amend_current(struct cli *cli, int32_t ref, char *period,
							   Planreg__V1__Response **resp, int *rc)
{
	Planreg__V1__ListUpdatesRequest body = PLANREG__V1__LIST_UPDATES_REQUEST__INIT;
	body.ref = ref;
	body.period = period;
	body.latest_only = true;
	*rc = cli_request(cli, PLANREG__V1__REQUEST__BODY_LIST_UPDATES, &body, resp);
	if (*rc != EXIT_OK)
		return NULL;
	const Planreg__V1__ListUpdatesResponse *l = (*resp)->list_updates;
	for (size_t i = l->n_updates; i > 0; i--) {
		const Planreg__V1__Update *u = l->updates[i - 1];
		/* not by its ref: a return made before a successor edition carries the ref it had then */
		if (u->content && strcmp(u->content->period, period) == 0 && !u->superseded)
			return u;
	}
	*rc = cli_fail(EXIT_REFUSED,
		       "project %d has no return for %s to amend: submit it without --amend (--confidence, --stage "
		       "and a narrative are then required)",
		       ref, cli_period_name(period));
	return NULL;
}

/* Which of ms is titled title (trimmed; ASCII case aside, as people retype titles); n when none is. */
static size_t cmd_update_amend_find_milestone(Planreg__V1__Milestone *const *ms, size_t n, const char *title)
{
	char *t = text_trim_dup(title, strlen(title));
	size_t i = 0;
	while (i < n && !text_iequal(ms[i]->title, t))
		i++;
	free(t);
	return i;
}

/* Which of risks is risk (trimmed; ASCII case aside); n when none is. */
static size_t cmd_update_amend_find_risk(char *const *risks, size_t n, const char *risk)
{
	char *t = text_trim_dup(risk, strlen(risk));
	size_t i = 0;
	while (i < n && !text_iequal(risks[i], t))
		i++;
	free(t);
	return i;
}

/* "A; B" or "none", for a message about what an update lists. */
static const char *cmd_update_amend_listed(struct arena *a, char *const *items, size_t n)
{
	return n ? output_join(a, items, n, "; ") : "none";
}

/* c's milestones (the ones given) merged into cur's, after the drops; EXIT_OK or a usage error. */
static int cmd_update_amend_milestones(const struct cli_command *self, struct arena *a, const Planreg__V1__Update *cur,
				       const struct cmd_update_amend *drops, Planreg__V1__UpdateContent *c)
{
	Planreg__V1__Milestone **given = c->milestones, **ms = NULL;
	size_t n_given = c->n_milestones, n = 0;
	for (size_t i = 0; i < cur->content->n_milestones; i++)
		*(Planreg__V1__Milestone **)arena_push(a, &ms, &n, sizeof *ms) = cur->content->milestones[i];
	for (size_t d = 0; d < drops->n_drop_milestones; d++) {
		size_t k = cmd_update_amend_find_milestone(ms, n, drops->drop_milestones[d]);
		if (k == n) {
			char **titles = arena_alloc(a, (n + 1) * sizeof *titles);
			for (size_t i = 0; i < n; i++)
				titles[i] = ms[i]->title;
			return cli_usage(self,
					 "--drop-milestone \"%s\": update %lld has no milestone of that title "
					 "(its milestones: %s)",
					 drops->drop_milestones[d], (long long)cur->id,
					 cmd_update_amend_listed(a, titles, n));
		}
		memmove(&ms[k], &ms[k + 1], (n - k - 1) * sizeof *ms);
		n--;
	}
	for (size_t g = 0; g < n_given; g++) {
		size_t k = cmd_update_amend_find_milestone(ms, n, given[g]->title);
		if (k < n)
			ms[k] = given[g]; /* the same milestone, now as given */
		else
			*(Planreg__V1__Milestone **)arena_push(a, &ms, &n, sizeof *ms) = given[g];
	}
	c->milestones = ms;
	c->n_milestones = n;
	return EXIT_OK;
}

/* c's risks (the ones given) added to cur's unless listed, after the drops; EXIT_OK or a usage error. */
static int cmd_update_amend_risks(const struct cli_command *self, struct arena *a, const Planreg__V1__Update *cur,
				  const struct cmd_update_amend *drops, Planreg__V1__UpdateContent *c)
{
	char **given = c->risks, **risks = NULL;
	size_t n_given = c->n_risks, n = 0;
	for (size_t i = 0; i < cur->content->n_risks; i++)
		*(char **)arena_push(a, &risks, &n, sizeof *risks) = cur->content->risks[i];
	for (size_t d = 0; d < drops->n_drop_risks; d++) {
		size_t k = cmd_update_amend_find_risk(risks, n, drops->drop_risks[d]);
		if (k == n)
			return cli_usage(self, "--drop-risk \"%s\": update %lld lists no such risk (its risks: %s)",
					 drops->drop_risks[d], (long long)cur->id,
					 cmd_update_amend_listed(a, risks, n));
		memmove(&risks[k], &risks[k + 1], (n - k - 1) * sizeof *risks);
		n--;
	}
	for (size_t g = 0; g < n_given; g++) {
		bool listed = false;
		for (size_t i = 0; i < n && !listed; i++)
			listed = strcmp(risks[i], given[g]) == 0;
		if (!listed)
			*(char **)arena_push(a, &risks, &n, sizeof *risks) = given[g];
	}
	c->risks = risks;
	c->n_risks = n;
	return EXIT_OK;
}

/* The options given, read over cur: what they do not give is cur's, exactly as stored. EXIT_OK or a usage
 * error. */
static int cmd_update_amend_content(const struct cli_command *self, struct arena *a, const struct cmd_update_input *in,
				    const struct cmd_update_amend *drops, const Planreg__V1__Update *cur,
				    Planreg__V1__UpdateContent *c)
{
	const Planreg__V1__UpdateContent *was = cur->content;
	struct cmd_update_input merged = *in;
	merged.period = was->period;
	if (merged.confidence == NULL)
		merged.confidence = values_confidence_name((enum confidence)was->confidence);
	if (merged.stage == NULL)
		merged.stage = values_stage_name((enum stage)was->stage);
	char *err = NULL;
	/* the actuals stored, each replaced by one given for the same indicator (cmd_update_input_actuals) */
	for (size_t i = 0; i < was->n_actuals; i++)
		*(Planreg__V1__Actual **)arena_push(a, &c->actuals, &c->n_actuals, sizeof *c->actuals) =
			was->actuals[i];
	if (!cmd_update_input_read(a, &merged, c, &err)) {
		int rc = cli_usage(self, "%s", err);
		free(err);
		return rc;
	}
	/* kept as stored, not as read back: an amend of nothing is the same content (and so unchanged) */
	if (in->narrative == NULL)
		c->narrative = was->narrative;
	if (in->spend == NULL)
		c->spend_to_date = was->spend_to_date;
	if (in->forecast == NULL)
		c->forecast_total = was->forecast_total;
	if (in->variance_note == NULL)
		c->variance_note = was->variance_note;
	int rc = cmd_update_amend_milestones(self, a, cur, drops, c);
	return rc == EXIT_OK ? cmd_update_amend_risks(self, a, cur, drops, c) : rc;
}

int cmd_update_amend_run(struct cli *cli, const struct cli_command *self, struct arena *a,
			 const struct cmd_update_input *in, const struct cmd_update_amend *drops, const char *key,
			 enum output_format fmt)
{
	int32_t ref;
	char period[PERIOD_FMT_MAX];
	int rc = cli_ref_arg(self, in->ref, &ref);
	if (rc == EXIT_OK)
		rc = cli_options_period(self, "--period", in->period, NULL, period);
	if (rc != EXIT_OK)
		return rc;
	Planreg__V1__Response *resp = NULL;
	const Planreg__V1__Update *cur = cmd_update_amend_current(cli, ref, period, &resp, &rc);
	if (cur != NULL) {
		Planreg__V1__UpdateContent c = PLANREG__V1__UPDATE_CONTENT__INIT;
		rc = cmd_update_amend_content(self, a, in, drops, cur, &c);
		if (rc == EXIT_OK)
			rc = cmd_update_submit_content(cli, &c, cur->id, key, fmt);
	}
	if (resp)
		planreg__v1__response__free_unpacked(resp, NULL);
	return rc;
}
