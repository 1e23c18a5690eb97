/* cmd_update_print.c - updates shown: the stable JSON (docs/json.md), the
 * listing as a table or CSV, one update as a record, the template, the receipt. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_query.h"
#include "cmd_update.h"
#include "json.h"
#include "money.h"
#include "values.h"
#include "xmalloc.h"

/* Stands in for an update's content when the server sent none. */
static const Planreg__V1__UpdateContent cmd_update_print_no_content = PLANREG__V1__UPDATE_CONTENT__INIT;

/* Pounds as a spreadsheet and money_parse read them: "1200000.50", "1200000"; "" when absent. */
static const char *cmd_update_print_pounds(const Planreg__V1__Money *m, char out[MONEY_FMT_MAX])
{
	out[0] = '\0';
	if (m != NULL)
		money_format_plain(m->pence, out);
	return out;
}

static const char *cmd_update_print_iso(const Planreg__V1__Date *d)
{
	return d && d->iso[0] ? d->iso : NULL;
}

/* Milestones one per line as TITLE|BASELINE|FORECAST|ACHIEVED (what --csv reads back). */
static void cmd_update_print_milestone_lines(struct buf *b, const Planreg__V1__UpdateContent *c)
{
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		const char *baseline = cmd_update_print_iso(m->baseline), *forecast = cmd_update_print_iso(m->forecast),
			   *achieved = cmd_update_print_iso(m->achieved);
		buf_printf(b, "%s%s|%s|%s|%s", i ? "\n" : "", m->title, baseline ? baseline : "",
			   forecast ? forecast : "", achieved ? achieved : "");
	}
}

/* Risks one per line; a line break inside a risk becomes a space so the lines read back as the same risks. */
static void cmd_update_print_risk_lines(struct buf *b, const Planreg__V1__UpdateContent *c)
{
	for (size_t i = 0; i < c->n_risks; i++) {
		if (i)
			buf_putc(b, '\n');
		for (const char *p = c->risks[i]; *p; p++)
			buf_putc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
	}
}

/* Actuals one per line as INDICATOR=VALUE or INDICATOR=VALUE|NOTE (what --csv and --actual read back); a line
 * break in a note becomes a space. */
static void cmd_update_print_actual_lines(struct buf *b, const Planreg__V1__UpdateContent *c)
{
	for (size_t i = 0; i < c->n_actuals; i++) {
		const Planreg__V1__Actual *act = c->actuals[i];
		buf_printf(b, "%s%lld=%s%s", i ? "\n" : "", (long long)act->indicator_id, act->value,
			   act->note[0] ? "|" : "");
		for (const char *p = act->note; *p; p++)
			buf_putc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
	}
}

void cmd_update_actuals_row(struct output_rows *rows, const char *key, const Planreg__V1__UpdateContent *c)
{
	struct buf acts = {0};
	cmd_update_print_actual_lines(&acts, c);
	output_rows_str(rows, key, acts.len ? buf_str(&acts) : NULL);
	buf_free(&acts);
}

static void cmd_update_print_actuals_json(struct json *j, const Planreg__V1__UpdateContent *c)
{
	json_key(j, "actuals");
	json_array_begin(j);
	for (size_t i = 0; i < c->n_actuals; i++) {
		const Planreg__V1__Actual *act = c->actuals[i];
		json_object_begin(j);
		json_kv_int(j, "indicator_id", act->indicator_id);
		json_kv_str(j, "name", act->name[0] ? act->name : NULL);
		json_kv_str(j, "unit", act->unit[0] ? act->unit : NULL);
		json_kv_str(j, "value", act->value);
		json_kv_str(j, "note", act->note[0] ? act->note : NULL);
		json_object_end(j);
	}
	json_array_end(j);
}

/* The CA's rating of a revision (docs/assurance.md), null when none. */
static void cmd_update_print_assurance_json(struct json *j, const Planreg__V1__Assurance *a)
{
	json_key(j, "assurance");
	if (a == NULL) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_kv_str(j, "rating", values_confidence_name((enum confidence)a->rating));
	json_kv_str(j, "rationale", a->rationale);
	json_kv_str(j, "rated_by", a->rated_by);
	json_kv_str(j, "rated_at", a->rated_at);
	json_object_end(j);
}

/* The content keys of an update object; with u, the keys of a stored update around them, and with queries its
 * queries with their threads (update show). */
static void cmd_update_print_json_of(struct json *j, const Planreg__V1__UpdateContent *c, const Planreg__V1__Update *u,
				     bool queries)
{
	if (c == NULL)
		c = &cmd_update_print_no_content;
	json_object_begin(j);
	if (u)
		json_kv_int(j, "id", u->id);
	json_kv_int(j, "ref", c->ref);
	json_kv_str(j, "period", cli_period_name(c->period));
	if (u)
		json_kv_int(j, "revision", u->revision);
	json_kv_str(j, "confidence", values_confidence_name((enum confidence)c->confidence));
	json_kv_str(j, "stage", values_stage_name((enum stage)c->stage));
	json_kv_str(j, "narrative", c->narrative);
	cli_money_json(j, "spend_to_date_pence", c->spend_to_date);
	cli_money_json(j, "forecast_total_pence", c->forecast_total);
	json_kv_str(j, "variance_note", c->variance_note[0] ? c->variance_note : NULL);
	json_key(j, "milestones");
	json_array_begin(j);
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		json_object_begin(j);
		json_kv_str(j, "title", m->title);
		json_kv_str(j, "baseline", cmd_update_print_iso(m->baseline));
		json_kv_str(j, "forecast", cmd_update_print_iso(m->forecast));
		json_kv_str(j, "achieved", cmd_update_print_iso(m->achieved));
		json_object_end(j);
	}
	json_array_end(j);
	cli_json_strings(j, "risks", c->risks, c->n_risks);
	cmd_update_print_actuals_json(j, c);
	if (u) {
		cli_json_fields(j, &u->base,
				"submitted_by submitted_org submitted_person on_behalf submitted_at hash prev_hash");
		json_key(j, "review");
		if (u->review) {
			json_object_begin(j);
			json_kv_str(j, "status", u->review->accepted ? "accepted" : "returned");
			json_kv_str(j, "comment", u->review->comment);
			json_kv_str(j, "reviewed_by", u->review->reviewed_by);
			json_kv_str(j, "reviewed_at", u->review->reviewed_at);
			json_object_end(j);
		} else {
			json_null(j);
		}
		json_kv_bool(j, "superseded", u->superseded);
		cmd_update_print_assurance_json(j, u->assurance);
		cmd_update_evidence_json(j, u);
	}
	if (u && queries) {
		json_key(j, "queries");
		json_array_begin(j);
		for (size_t i = 0; i < u->n_queries; i++)
			cmd_query_json(j, u->queries[i], true);
		json_array_end(j);
	}
	json_object_end(j);
}

void cmd_update_print_json(struct json *j, const Planreg__V1__UpdateContent *c, const Planreg__V1__Update *u)
{
	cmd_update_print_json_of(j, c, u, false);
}

void cmd_update_print_shown_json(struct json *j, const Planreg__V1__Update *u)
{
	cmd_update_print_json_of(j, u->content, u, true);
}

static const char *cmd_update_print_review_word(const Planreg__V1__Update *u)
{
	return u->review ? (u->review->accepted ? "accepted" : "returned") : NULL;
}

/* The CSV columns of a listing: the JSON keys in order, review flattened to review_KEY (docs/json.md). */
static const char *const cmd_update_print_keys[] = {"id",
						    "ref",
						    "period",
						    "revision",
						    "confidence",
						    "stage",
						    "narrative",
						    "spend_to_date_pence",
						    "forecast_total_pence",
						    "variance_note",
						    "milestones",
						    "risks",
						    "actuals",
						    "submitted_by",
						    "submitted_org",
						    "submitted_person",
						    "on_behalf",
						    "submitted_at",
						    "hash",
						    "prev_hash",
						    "review_status",
						    "review_comment",
						    "review_reviewed_by",
						    "review_reviewed_at",
						    "superseded",
						    "assurance_rating",
						    "assurance_rationale",
						    "assurance_rated_by",
						    "assurance_rated_at",
						    "evidence"};

/* One update as a CSV row: the values of cmd_update_print_json, milestones one TITLE|BASELINE|FORECAST|ACHIEVED a line.
 */
static void cmd_update_print_row(struct output_rows *rows, const Planreg__V1__Update *u)
{
	const Planreg__V1__UpdateContent *c = u->content ? u->content : &cmd_update_print_no_content;
	struct buf ms = {0};
	cmd_update_print_milestone_lines(&ms, c);
	const Planreg__V1__Review *r = u->review;
	output_rows_begin(rows);
	output_rows_int(rows, "id", u->id);
	output_rows_int(rows, "ref", c->ref);
	output_rows_str(rows, "period", cli_period_name(c->period));
	output_rows_int(rows, "revision", u->revision);
	output_rows_str(rows, "confidence", values_confidence_name((enum confidence)c->confidence));
	output_rows_str(rows, "stage", values_stage_name((enum stage)c->stage));
	output_rows_str(rows, "narrative", c->narrative);
	cli_money_row(rows, "spend_to_date_pence", c->spend_to_date);
	cli_money_row(rows, "forecast_total_pence", c->forecast_total);
	output_rows_str(rows, "variance_note", c->variance_note[0] ? c->variance_note : NULL);
	output_rows_str(rows, "milestones", buf_str(&ms));
	output_rows_list(rows, "risks", c->risks, c->n_risks, "\n");
	cmd_update_actuals_row(rows, "actuals", c);
	output_rows_fields(rows, &u->base,
			   "submitted_by submitted_org submitted_person on_behalf submitted_at hash prev_hash");
	output_rows_str(rows, "review_status", r ? (r->accepted ? "accepted" : "returned") : NULL);
	output_rows_str(rows, "review_comment", r ? r->comment : NULL);
	output_rows_str(rows, "review_reviewed_by", r ? r->reviewed_by : NULL);
	output_rows_str(rows, "review_reviewed_at", r ? r->reviewed_at : NULL);
	output_rows_bool(rows, "superseded", u->superseded);
	const Planreg__V1__Assurance *a = u->assurance;
	output_rows_str(rows, "assurance_rating", a ? values_confidence_name((enum confidence)a->rating) : NULL);
	output_rows_str(rows, "assurance_rationale", a ? a->rationale : NULL);
	output_rows_str(rows, "assurance_rated_by", a ? a->rated_by : NULL);
	output_rows_str(rows, "assurance_rated_at", a ? a->rated_at : NULL);
	cmd_update_evidence_row(rows, "evidence", u);
	buf_free(&ms);
}

static void cmd_update_print_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	const Planreg__V1__ListUpdatesResponse *l = answer;
	for (size_t i = 0; i < l->n_updates; i++)
		cmd_update_print_row(rows, l->updates[i]);
}

static void cmd_update_print_list_json(struct json *j, const void *answer, const void *arg)
{
	const Planreg__V1__ListUpdatesResponse *l = answer;
	json_array_begin(j);
	for (size_t i = 0; i < l->n_updates; i++)
		cmd_update_print_json(j, l->updates[i]->content, l->updates[i]);
	json_array_end(j);
}

static struct output_table *cmd_update_print_table(const void *answer, const void *arg)
{
	const Planreg__V1__ListUpdatesResponse *l = answer;
	static const char *const headers[] = {"ID",    "REF",          "PERIOD",       "REV",   "CONFIDENCE",
					      "STAGE", "SUBMITTED BY", "SUBMITTED AT", "REVIEW"};
	if (arg != NULL) /* update list: the period asked for */
		printf("Updates for %s: %zu\n\n", cli_period_heading(arg), l->n_updates);
	struct output_table *t = output_table_new(headers, 9, 0);
	for (size_t i = 0; i < l->n_updates; i++) {
		const Planreg__V1__Update *u = l->updates[i];
		const Planreg__V1__UpdateContent *c = u->content ? u->content : &cmd_update_print_no_content;
		char id[24], ref[16], rev[32];
		snprintf(id, sizeof id, "%lld", (long long)u->id);
		snprintf(ref, sizeof ref, "%d", c->ref);
		snprintf(rev, sizeof rev, "%d%s", u->revision, u->superseded ? " (superseded)" : "");
		const char *review = cmd_update_print_review_word(u);
		const char *cells[] = {id,
				       ref,
				       cli_period_name(c->period),
				       rev,
				       values_confidence_name((enum confidence)c->confidence),
				       values_stage_name((enum stage)c->stage),
				       u->submitted_by,
				       u->submitted_at,
				       review ? review : "-"};
		output_table_row(t, cells);
	}
	return t;
}

const struct cli_listing cmd_update_print_listing = {
	.keys = CLI_LISTING_KEYS(cmd_update_print_keys),
	.rows = cmd_update_print_rows,
	.json = cmd_update_print_list_json,
	.table = cmd_update_print_table,
};

/* A "key: value" record being built for output_record; the arena owns every string. */
struct cmd_update_record {
	struct arena a;
	const char **pairs; /* key, value, key, value, ... */
	size_t n;
};

static void cmd_update_print_pair(struct cmd_update_record *r, const char *key, const char *value)
{
	*(const char **)arena_push(&r->a, &r->pairs, &r->n, sizeof(char *)) = key;
	*(const char **)arena_push(&r->a, &r->pairs, &r->n, sizeof(char *)) = value;
}

/* Continuation lines of a record value start under its first line. */
static char *cmd_update_print_indent(struct arena *a, const char *s, size_t width)
{
	struct buf b = {0};
	for (const char *p = s; *p; p++) {
		buf_putc(&b, *p);
		if (*p == '\n')
			for (size_t i = 0; i < width; i++)
				buf_putc(&b, ' ');
	}
	char *r = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return r;
}

static const char *cmd_update_print_money_text(struct arena *a, const Planreg__V1__Money *m)
{
	if (m == NULL)
		return "-";
	char mn[MONEY_FMT_MAX];
	money_format(m->pence, mn);
	return arena_strdup(a, mn);
}

/* The review and the CA's rating of a revision, as record lines. */
static void cmd_update_print_review_pairs(struct cmd_update_record *r, const Planreg__V1__Update *u)
{
	struct arena *a = &r->a;
	if (u->review == NULL)
		cmd_update_print_pair(r, "review", "none");
	else
		cmd_update_print_pair(r, "review",
				      arena_printf(a, "%s by %s at %s%s%s",
						   u->review->accepted ? "accepted" : "returned",
						   u->review->reviewed_by, u->review->reviewed_at,
						   u->review->comment[0] ? ": " : "", u->review->comment));
	if (u->assurance)
		cmd_update_print_pair(r, "CA rating",
				      arena_printf(a, "%s by %s at %s: %s",
						   values_confidence_name((enum confidence)u->assurance->rating),
						   u->assurance->rated_by, u->assurance->rated_at,
						   u->assurance->rationale));
	for (size_t i = 0; i < u->n_evidence; i++) {
		char *text = cmd_update_evidence_text(u->evidence[i]);
		cmd_update_print_pair(r, arena_printf(a, "evidence %zu", i + 1), arena_strdup(a, text));
		free(text);
	}
}

void cmd_update_print_record(const Planreg__V1__Update *u)
{
	const Planreg__V1__UpdateContent *c = u->content ? u->content : &cmd_update_print_no_content;
	struct cmd_update_record r = {0};
	struct arena *a = &r.a;
	cmd_update_print_pair(&r, "id", arena_printf(a, "%lld", (long long)u->id));
	cmd_update_print_pair(&r, "project", arena_printf(a, "%d", c->ref));
	cmd_update_print_pair(&r, "period", cli_period_heading(c->period));
	cmd_update_print_pair(&r, "revision",
			      arena_printf(a, "%d%s", u->revision, u->superseded ? " (superseded)" : ""));
	cmd_update_print_pair(&r, "confidence", values_confidence_name((enum confidence)c->confidence));
	cmd_update_print_pair(&r, "stage", values_stage_name((enum stage)c->stage));
	cmd_update_print_pair(&r, "narrative", c->narrative);
	cmd_update_print_pair(&r, "spend to date", cmd_update_print_money_text(a, c->spend_to_date));
	cmd_update_print_pair(&r, "forecast total", cmd_update_print_money_text(a, c->forecast_total));
	cmd_update_print_pair(&r, "variance note", c->variance_note[0] ? c->variance_note : "-");
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		const char *baseline = cmd_update_print_iso(m->baseline), *forecast = cmd_update_print_iso(m->forecast),
			   *achieved = cmd_update_print_iso(m->achieved);
		cmd_update_print_pair(&r, arena_printf(a, "milestone %zu", i + 1),
				      arena_printf(a, "%s: baseline %s%s%s%s%s", m->title, baseline ? baseline : "-",
						   forecast ? ", forecast " : "", forecast ? forecast : "",
						   achieved ? ", achieved " : "", achieved ? achieved : ""));
	}
	if (c->n_milestones == 0)
		cmd_update_print_pair(&r, "milestones", "none");
	for (size_t i = 0; i < c->n_risks; i++)
		cmd_update_print_pair(&r, arena_printf(a, "risk %zu", i + 1), c->risks[i]);
	if (c->n_risks == 0)
		cmd_update_print_pair(&r, "risks", "none");
	for (size_t i = 0; i < c->n_actuals; i++) {
		const Planreg__V1__Actual *act = c->actuals[i];
		cmd_update_print_pair(&r, arena_printf(a, "actual %zu", i + 1),
				      arena_printf(a, "%s %s (indicator %lld: %s)%s%s", act->value, act->unit,
						   (long long)act->indicator_id, act->name, act->note[0] ? ": " : "",
						   act->note));
	}
	cmd_update_print_pair(&r, "submitted by",
			      arena_printf(a, "%s (%s%s%s)%s", u->submitted_by, u->submitted_org,
					   u->submitted_person[0] ? ", " : "", u->submitted_person,
					   u->on_behalf ? " on behalf of the lead organisation" : ""));
	cmd_update_print_pair(&r, "submitted at", u->submitted_at);
	cmd_update_print_review_pairs(&r, u);
	cmd_update_print_pair(&r, "hash", u->hash);
	cmd_update_print_pair(&r, "prev hash", u->prev_hash);
	size_t w = 0;
	for (size_t i = 0; i < r.n; i += 2)
		if (strlen(r.pairs[i]) > w)
			w = strlen(r.pairs[i]);
	for (size_t i = 1; i < r.n; i += 2)
		if (strchr(r.pairs[i], '\n'))
			r.pairs[i] =
				cmd_update_print_indent(a, r.pairs[i], w + 2); /* output_record pads keys to w + 1 */
	*(const char **)arena_push(a, &r.pairs, &r.n, sizeof(char *)) = NULL;
	output_record(stdout, r.pairs);
	arena_free(a);
	for (size_t i = 0; i < u->n_queries; i++) {
		fputc('\n', stdout);
		cmd_query_print(stdout, u->queries[i]);
	}
}

static const Planreg__V1__Project cmd_update_print_no_project = PLANREG__V1__PROJECT__INIT;

/* "review": the object of docs/json.md, or null. */
static void cmd_update_print_review_json(struct json *j, const Planreg__V1__Review *rv)
{
	json_key(j, "review");
	if (rv == NULL) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_kv_str(j, "status", rv->accepted ? "accepted" : "returned");
	json_kv_str(j, "comment", rv->comment);
	json_kv_str(j, "reviewed_by", rv->reviewed_by);
	json_kv_str(j, "reviewed_at", rv->reviewed_at);
	json_object_end(j);
}

/* The review state of a form row: of the period's current revision (accepted, returned, not_reviewed); NULL
 * when the period has none, the row being filled in from an earlier quarter or from nothing. */
static const char *cmd_update_print_form_review(const Planreg__V1__TemplateRow *row, const char *period)
{
	if (row->latest == NULL || strcmp(row->latest->period, period) != 0)
		return NULL;
	if (row->latest_review == NULL)
		return "not_reviewed";
	return row->latest_review->accepted ? "accepted" : "returned";
}

static void cmd_update_print_template_json(struct json *j, const void *answer, const void *arg)
{
	const Planreg__V1__UpdateTemplateResponse *t = answer;
	Planreg__V1__TemplateRow *const *rows = t->rows;
	json_array_begin(j);
	for (size_t i = 0; i < t->n_rows; i++) {
		const Planreg__V1__Project *p = rows[i]->project ? rows[i]->project : &cmd_update_print_no_project;
		json_object_begin(j);
		json_kv_int(j, "ref", p->ref);
		json_kv_str(j, "title", p->title);
		json_key(j, "plan_cost");
		cli_cost_json(j, p->cost);
		json_key(j, "latest");
		if (rows[i]->latest)
			cmd_update_print_json(j, rows[i]->latest, NULL);
		else
			json_null(j);
		json_key(j, "latest_update_id");
		if (rows[i]->latest)
			json_int(j, rows[i]->latest_update_id);
		else
			json_null(j);
		cmd_update_print_review_json(j, rows[i]->latest_review);
		json_object_end(j);
	}
	json_array_end(j);
}

/* The submission form: exactly the columns of submit --csv, plus title, plan_cost, last_period, review and
 * review_comment, which it ignores. */
static const char *const cmd_update_print_form_keys[] = {"ref",        "title",         "plan_cost",  "period",
							 "confidence", "stage",         "narrative",  "spend",
							 "forecast",   "variance_note", "milestones", "risks",
							 "actuals",    "last_period",   "review",     "review_comment"};

static void cmd_update_print_form_row(struct output_rows *rows, const Planreg__V1__TemplateRow *row, const char *period)
{
	const Planreg__V1__Project *p = row->project ? row->project : &cmd_update_print_no_project;
	const Planreg__V1__UpdateContent *l = row->latest;
	const char *review = cmd_update_print_form_review(row, period);
	/* an earlier quarter's narrative is not this quarter's: left for the officer to write, so a row sent back
	 * untouched is refused rather than filed as a copy */
	const char *narrative = l && review ? l->narrative : NULL;
	char spend[MONEY_FMT_MAX] = "", forecast[MONEY_FMT_MAX] = "";
	struct buf ms = {0}, risks = {0}, acts = {0};
	if (l) {
		cmd_update_print_pounds(l->spend_to_date, spend);
		cmd_update_print_pounds(l->forecast_total, forecast);
		cmd_update_print_milestone_lines(&ms, l);
		cmd_update_print_risk_lines(&risks, l);
		cmd_update_print_actual_lines(&acts, l);
	}
	output_rows_begin(rows);
	output_rows_int(rows, "ref", p->ref);
	output_rows_str(rows, "title", p->title);
	output_rows_str(rows, "plan_cost", p->cost ? p->cost->text : NULL);
	output_rows_str(rows, "period", cli_period_name(period));
	output_rows_str(rows, "confidence", l ? values_confidence_name((enum confidence)l->confidence) : NULL);
	output_rows_str(rows, "stage", values_stage_name((enum stage)(l ? l->stage : p->stage)));
	output_rows_str(rows, "narrative", narrative);
	output_rows_str(rows, "spend", spend[0] ? spend : NULL);
	output_rows_str(rows, "forecast", forecast[0] ? forecast : NULL);
	output_rows_str(rows, "variance_note", l && l->variance_note[0] ? l->variance_note : NULL);
	output_rows_str(rows, "milestones", ms.len ? buf_str(&ms) : NULL);
	output_rows_str(rows, "risks", risks.len ? buf_str(&risks) : NULL);
	output_rows_str(rows, "actuals", acts.len ? buf_str(&acts) : NULL);
	output_rows_str(rows, "last_period", l ? cli_period_name(l->period) : NULL);
	output_rows_str(rows, "review", review);
	output_rows_str(rows, "review_comment",
			review && row->latest_review && row->latest_review->comment[0] ? row->latest_review->comment
										       : NULL);
	buf_free(&ms);
	buf_free(&risks);
	buf_free(&acts);
}

static void cmd_update_print_form_rows(struct output_rows *rows, const void *answer, const void *arg)
{
	const Planreg__V1__UpdateTemplateResponse *t = answer;
	for (size_t i = 0; i < t->n_rows; i++)
		cmd_update_print_form_row(rows, t->rows[i], arg);
}

static struct output_table *cmd_update_print_template_table(const void *answer, const void *arg)
{
	const Planreg__V1__UpdateTemplateResponse *tr = answer;
	static const char *const headers[] = {"REF", "LAST PERIOD", "CONFIDENCE", "STAGE", "REVIEW", "TITLE"};
	printf("The form for %s: %zu project%s (as CSV: --format csv, or redirect it to a file)\n\n",
	       cli_period_heading(arg), tr->n_rows, tr->n_rows == 1 ? "" : "s");
	struct output_table *t = output_table_new(headers, 6, 1u << 5);
	for (size_t i = 0; i < tr->n_rows; i++) {
		const Planreg__V1__TemplateRow *row = tr->rows[i];
		const Planreg__V1__Project *p = row->project ? row->project : &cmd_update_print_no_project;
		const Planreg__V1__UpdateContent *l = row->latest;
		char ref[16];
		snprintf(ref, sizeof ref, "%d", p->ref);
		const char *review = cmd_update_print_form_review(row, arg);
		const char *cells[] = {ref,
				       l ? cli_period_name(l->period) : "-",
				       l ? values_confidence_name((enum confidence)l->confidence) : "-",
				       values_stage_name((enum stage)(l ? l->stage : p->stage)),
				       review ? review : "-",
				       p->title};
		output_table_row(t, cells);
	}
	return t;
}

const struct cli_listing cmd_update_print_template_listing = {
	.keys = CLI_LISTING_KEYS(cmd_update_print_form_keys),
	.rows = cmd_update_print_form_rows,
	.json = cmd_update_print_template_json,
	.table = cmd_update_print_template_table,
};

void cmd_update_print_receipt(const Planreg__V1__UpdateContent *c, const Planreg__V1__SubmitUpdateResponse *r,
			      bool replayed, int64_t amends, enum output_format fmt)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		fprintf(stderr, "warning: %s\n", r->warnings[i]);
	if (fmt != OUTPUT_JSON && r->unchanged) {
		printf("unchanged (update %lld): project %d, %s revision %d already has this content; nothing was "
		       "written\n",
		       (long long)r->update_id, c->ref, cli_period_name(c->period), r->revision);
		return;
	}
	if (fmt != OUTPUT_JSON) {
		printf("%s update %lld: project %d, %s revision %d",
		       replayed ? "already submitted (idempotency key seen before):" : "submitted",
		       (long long)r->update_id, c->ref, cli_period_name(c->period), r->revision);
		if (amends && !replayed)
			printf(", amending update %lld", (long long)amends);
		printf("\nhash %s\n", r->hash);
		if (r->receipt)
			printf("leaf %llu in the log\n", (unsigned long long)r->receipt->leaf_index);
		return;
	}
	struct cli_json doc;
	struct json *j = cli_json_begin(&doc);
	json_object_begin(j);
	cli_json_fields(j, &r->base, "update_id revision hash");
	cli_json_strings(j, "warnings", r->warnings, r->n_warnings);
	json_kv_bool(j, "replayed", replayed);
	json_kv_str(j, "submitted_at", r->submitted_at);
	json_kv_bool(j, "unchanged", r->unchanged);
	json_key(j, "leaf_index");
	if (r->receipt)
		json_int(j, (long long)r->receipt->leaf_index);
	else
		json_null(j);
	json_key(j, "amends");
	if (amends)
		json_int(j, amends);
	else
		json_null(j);
	json_object_end(j);
	cli_json_end(&doc);
}
