/* chain.c - canonical encoding and SHA-256 hash chain of progress updates (see chain.h, docs/audit.md). */
#include "chain.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <string.h>

#include "text.h"

/* A string as its byte length, a colon, the bytes: no value can imitate a field boundary. */
static void chain_str(struct buf *b, const char *key, const char *s)
{
	if (s == NULL)
		s = "";
	buf_printf(b, "%s=%zu:", key, strlen(s));
	buf_puts(b, s);
	buf_putc(b, '\n');
}

static void chain_money(struct buf *b, const char *key, bool has, int64_t pence)
{
	if (has)
		buf_printf(b, "%s=%" PRId64 "\n", key, pence);
	else
		buf_printf(b, "%s=-\n", key);
}

/* The actuals, after the risks; nothing at all when there are none (the encoding of every earlier return). */
static void chain_actuals(struct buf *b, const struct chain_content *c)
{
	if (c->n_actuals == 0)
		return;
	buf_printf(b, "actuals=%zu\n", c->n_actuals);
	for (size_t i = 0; i < c->n_actuals; i++) {
		buf_printf(b, "indicator=%" PRId64 "\n", c->actuals[i].indicator_id);
		chain_str(b, "value", c->actuals[i].value);
		chain_str(b, "note", c->actuals[i].note);
	}
}

void chain_encode(const struct chain_content *c, const struct chain_record *r, struct buf *out)
{
	buf_puts(out, "planreg-update-v1\n");
	buf_printf(out, "ref=%d\n", c->ref);
	chain_str(out, "period", c->period);
	chain_str(out, "confidence", c->confidence);
	chain_str(out, "stage", c->stage);
	chain_str(out, "narrative", c->narrative);
	chain_money(out, "spend_to_date_pence", c->has_spend, c->spend_pence);
	chain_money(out, "forecast_total_pence", c->has_forecast, c->forecast_pence);
	chain_str(out, "variance_note", c->variance_note);
	buf_printf(out, "milestones=%zu\n", c->n_milestones);
	for (size_t i = 0; i < c->n_milestones; i++) {
		chain_str(out, "title", c->milestones[i].title);
		chain_str(out, "baseline", c->milestones[i].baseline);
		chain_str(out, "forecast", c->milestones[i].forecast);
		chain_str(out, "achieved", c->milestones[i].achieved);
	}
	buf_printf(out, "risks=%zu\n", c->n_risks);
	for (size_t i = 0; i < c->n_risks; i++)
		chain_str(out, "risk", c->risks[i]);
	chain_actuals(out, c);
	if (r == NULL)
		return;
	buf_printf(out, "revision=%d\n", r->revision);
	chain_str(out, "submitted_by", r->submitted_by);
	chain_str(out, "submitted_org", r->submitted_org);
	chain_str(out, "submitted_person", r->submitted_person);
	buf_printf(out, "on_behalf=%s\n", r->on_behalf ? "true" : "false");
	chain_str(out, "submitted_at", r->submitted_at);
}

static void chain_sha256(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	text_hex(md, n, out);
}

void chain_content_digest(const struct chain_content *c, char out[65])
{
	struct buf b = {0};
	chain_encode(c, NULL, &b);
	chain_sha256(b.data, b.len, out);
	buf_free(&b);
}

void chain_hash(const char *prev_hash, const struct chain_content *c, const struct chain_record *r, char out[65])
{
	struct buf b = {0};
	buf_puts(&b, prev_hash);
	buf_putc(&b, '\n');
	chain_encode(c, r, &b);
	chain_sha256(b.data, b.len, out);
	buf_free(&b);
}

/* The submitter's signature (hex) and its certificate's SHA-256 (docs/verifiable-log.md, "Signed by their
 * submitters"); both empty for an entry recorded unsigned. */
static void chain_leaf_signature(struct buf *b, const char *signature, const char *certificate_sha256)
{
	chain_str(b, "signature", signature);
	chain_str(b, "certificate_sha256", certificate_sha256);
}

void chain_leaf_update(const struct chain_leaf_update *u, struct buf *out)
{
	buf_puts(out, "planreg-log-v1\nkind=update\n");
	buf_printf(out, "update_id=%" PRId64 "\nref=%d\n", u->update_id, u->ref);
	chain_str(out, "period", u->period);
	buf_printf(out, "revision=%d\ncontent_sha256=%s\nchain_hash=%s\n", u->record.revision, u->content_sha256,
		   u->chain_hash);
	chain_str(out, "submitted_by", u->record.submitted_by);
	chain_str(out, "submitted_org", u->record.submitted_org);
	chain_str(out, "submitted_person", u->record.submitted_person);
	buf_printf(out, "on_behalf=%s\n", u->record.on_behalf ? "true" : "false");
	chain_str(out, "submitted_at", u->record.submitted_at);
	chain_leaf_signature(out, u->signature, u->certificate_sha256);
}

void chain_leaf_review(const struct chain_leaf_review *r, struct buf *out)
{
	buf_puts(out, "planreg-log-v1\nkind=review\n");
	buf_printf(out, "review_id=%" PRId64 "\nupdate_id=%" PRId64 "\naccepted=%s\n", r->review_id, r->update_id,
		   r->accepted ? "true" : "false");
	chain_str(out, "comment", r->comment);
	chain_str(out, "reviewed_by", r->reviewed_by);
	chain_str(out, "reviewed_at", r->reviewed_at);
	chain_leaf_signature(out, r->signature, r->certificate_sha256);
}
