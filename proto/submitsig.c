/* submitsig.c - submitters' signatures of returns and reviews (see submitsig.h, docs/verifiable-log.md). */
#include "submitsig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "values.h"

bool submitsig_content(const Planreg__V1__UpdateContent *c, char period_s[PERIOD_FMT_MAX],
		       const struct submitsig_parts *parts, struct chain_content *out)
{
	struct chain_milestone *ms = parts->milestones;
	const char **risks = parts->risks;
	struct period p;
	if (!period_parse(c->period, &p))
		return false;
	period_format(p, period_s);
	for (size_t i = 0; i < c->n_milestones; i++) {
		const Planreg__V1__Milestone *m = c->milestones[i];
		ms[i].title = m->title;
		ms[i].baseline = m->baseline ? m->baseline->iso : "";
		ms[i].forecast = m->forecast ? m->forecast->iso : "";
		ms[i].achieved = m->achieved ? m->achieved->iso : "";
	}
	for (size_t i = 0; i < c->n_risks; i++)
		risks[i] = c->risks[i];
	for (size_t i = 0; i < c->n_actuals; i++)
		parts->actuals[i] =
			(struct chain_actual){c->actuals[i]->indicator_id, c->actuals[i]->value, c->actuals[i]->note};
	*out = (struct chain_content){
		.ref = c->ref,
		.period = period_s,
		.confidence = values_confidence_name((enum confidence)c->confidence),
		.stage = values_stage_name((enum stage)c->stage),
		.narrative = c->narrative,
		.has_spend = c->spend_to_date != NULL,
		.spend_pence = c->spend_to_date ? c->spend_to_date->pence : 0,
		.has_forecast = c->forecast_total != NULL,
		.forecast_pence = c->forecast_total ? c->forecast_total->pence : 0,
		.variance_note = c->variance_note,
		.milestones = ms,
		.n_milestones = c->n_milestones,
		.risks = risks,
		.n_risks = c->n_risks,
		.actuals = parts->actuals,
		.n_actuals = c->n_actuals,
	};
	return out->confidence != NULL && out->stage != NULL;
}

static void submitsig_str(struct buf *b, const char *key, const char *s)
{
	buf_printf(b, "%s=%zu:%s\n", key, strlen(s ? s : ""), s ? s : "");
}

void submitsig_return_message(int ref, const char *period, const char *content_sha256, struct buf *out)
{
	buf_puts(out, SUBMITSIG_RETURN_DOMAIN);
	buf_printf(out, "ref=%d\n", ref);
	submitsig_str(out, "period", period);
	buf_printf(out, "content_sha256=%s\n", content_sha256);
}

void submitsig_review_message(int64_t update_id, bool accepted, const char *comment, struct buf *out)
{
	buf_puts(out, SUBMITSIG_REVIEW_DOMAIN);
	buf_printf(out, "update_id=%" PRId64 "\naccepted=%s\n", update_id, accepted ? "true" : "false");
	submitsig_str(out, "comment", comment);
}

static bool submitsig_update_message(const Planreg__V1__UpdateContent *c, struct buf *out)
{
	struct submitsig_parts parts = {calloc(c->n_milestones + 1, sizeof *parts.milestones),
					calloc(c->n_risks + 1, sizeof *parts.risks),
					calloc(c->n_actuals + 1, sizeof *parts.actuals)};
	char period[PERIOD_FMT_MAX];
	struct chain_content cc;
	bool ok = parts.milestones != NULL && parts.risks != NULL && parts.actuals != NULL &&
		  submitsig_content(c, period, &parts, &cc);
	if (ok) {
		char digest[65];
		chain_content_digest(&cc, digest);
		submitsig_return_message(cc.ref, cc.period, digest, out);
	}
	free(parts.milestones);
	free(parts.risks);
	free(parts.actuals);
	return ok;
}

bool submitsig_request_message(const Planreg__V1__Request *req, struct buf *out)
{
	if (req->body_case == PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE)
		return req->submit_update->content != NULL &&
		       submitsig_update_message(req->submit_update->content, out);
	if (req->body_case == PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE) {
		const Planreg__V1__ReviewUpdateRequest *r = req->review_update;
		submitsig_review_message(r->id, r->accept, r->comment, out);
		return true;
	}
	return false;
}

/* The digest a key signs with: none for the EdDSA keys (they hash themselves), SHA-256 for ECDSA and RSA. */
static const EVP_MD *submitsig_digest(EVP_PKEY *key)
{
	return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? NULL : EVP_sha256();
}

unsigned char *submitsig_sign(EVP_PKEY *key, const void *msg, size_t msg_len, size_t *len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t n = 0;
	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, submitsig_digest(key), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &n, msg, msg_len) == 1 && (sig = malloc(n ? n : 1)) != NULL &&
	    EVP_DigestSign(ctx, sig, &n, msg, msg_len) != 1) {
		free(sig);
		sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	*len = sig ? n : 0;
	return sig;
}

bool submitsig_verify(X509 *cert, const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	if (key == NULL || sig_len == 0 || sig_len > SUBMITSIG_MAX_BYTES)
		return false;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, submitsig_digest(key), NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ---------------------------------------------------------------- checking a leaf */

/* The fields of a leaf the messages are made of, pointing into a NUL-terminated copy of it. */
struct submitsig_leaf {
	bool review;
	const char *ref, *update_id, *accepted, *content_sha256; /* to the end of their line */
	char *period, *comment, *signature, *certificate_sha256; /* NUL-terminated in place */
};

static bool submitsig_is_str_key(const char *key, size_t n)
{
	static const char *const keys[] = {"period",       "submitted_by",      "submitted_org", "submitted_person",
					   "submitted_at", "comment",           "reviewed_by",   "reviewed_at",
					   "signature",    "certificate_sha256"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], key, n) == 0)
			return true;
	return false;
}

static void submitsig_leaf_field(struct submitsig_leaf *l, const char *key, size_t n, char *value)
{
#define SUBMITSIG_IS(k) (n == sizeof k - 1 && memcmp(key, k, n) == 0)
	if (SUBMITSIG_IS("kind"))
		l->review = strcmp(value, "review") == 0;
	else if (SUBMITSIG_IS("ref"))
		l->ref = value;
	else if (SUBMITSIG_IS("update_id"))
		l->update_id = value;
	else if (SUBMITSIG_IS("accepted"))
		l->accepted = value;
	else if (SUBMITSIG_IS("content_sha256"))
		l->content_sha256 = value;
	else if (SUBMITSIG_IS("period"))
		l->period = value;
	else if (SUBMITSIG_IS("comment"))
		l->comment = value;
	else if (SUBMITSIG_IS("signature"))
		l->signature = value;
	else if (SUBMITSIG_IS("certificate_sha256"))
		l->certificate_sha256 = value;
#undef SUBMITSIG_IS
}

/* Reads text (a copy it may write NULs into) as `key=value` lines, strings as `key=<length>:<bytes>`; a
 * parser, so longer than most functions. */
static bool submitsig_leaf_parse(char *text, size_t len, struct submitsig_leaf *l)
{
	char *end = text + len, *p = memchr(text, '\n', len);
	if (p == NULL || strncmp(text, "planreg-log-v1\n", 15) != 0)
		return false;
	for (p++; p < end;) {
		char *eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			return false;
		size_t n = (size_t)(eq - p);
		char *v = eq + 1, *stop;
		if (submitsig_is_str_key(p, n)) {
			char *colon = memchr(v, ':', (size_t)(end - v));
			unsigned long long slen = strtoull(v, NULL, 10);
			if (colon == NULL || slen > (unsigned long long)(end - colon - 1) || colon[1 + slen] != '\n')
				return false;
			v = colon + 1;
			stop = v + slen;
		} else if ((stop = memchr(v, '\n', (size_t)(end - v))) == NULL) {
			return false;
		}
		*stop = '\0';
		submitsig_leaf_field(l, p, n, v);
		p = stop + 1;
	}
	return l->signature != NULL && l->certificate_sha256 != NULL &&
	       (l->review ? l->update_id && l->accepted && l->comment : l->ref && l->period && l->content_sha256);
}

static X509 *submitsig_find_cert(const ProtobufCBinaryData *certs, size_t n, const char *sha256)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char md[32];
		char hex[65];
		EVP_Digest(certs[i].data, certs[i].len, md, NULL, EVP_sha256(), NULL);
		text_hex(md, sizeof md, hex);
		if (strcmp(hex, sha256) != 0)
			continue;
		const unsigned char *der = certs[i].data;
		return d2i_X509(NULL, &der, (long)certs[i].len);
	}
	return NULL;
}

static bool submitsig_unhex(const char *hex, uint8_t *out, size_t *n)
{
	size_t len = strlen(hex);
	if (len % 2 != 0 || len / 2 > SUBMITSIG_MAX_BYTES)
		return false;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned int b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return false;
		out[i] = (uint8_t)b;
	}
	*n = len / 2;
	return true;
}

static bool submitsig_leaf_verifies(const struct submitsig_leaf *l, X509 *cert, const char **why)
{
	uint8_t sig[SUBMITSIG_MAX_BYTES];
	size_t sig_len;
	if (!submitsig_unhex(l->signature, sig, &sig_len)) {
		*why = "its signature is not hex of at most 1024 bytes";
		return false;
	}
	struct buf msg = {0};
	if (l->review)
		submitsig_review_message(strtoll(l->update_id, NULL, 10), strcmp(l->accepted, "true") == 0, l->comment,
					 &msg);
	else
		submitsig_return_message(atoi(l->ref), l->period, l->content_sha256, &msg);
	bool ok = submitsig_verify(cert, msg.data, msg.len, sig, sig_len);
	buf_free(&msg);
	if (!ok)
		*why = "its signature does not verify against the certificate it names: the entry or its signature "
		       "was changed after it was signed";
	return ok;
}

bool submitsig_check_leaf(const uint8_t *entry, size_t len, const ProtobufCBinaryData *certs, size_t n_certs,
			  bool *is_signed, const char **why)
{
	char *text = malloc(len + 1);
	struct submitsig_leaf l = {0};
	*is_signed = false;
	if (text == NULL)
		return *why = "out of memory", false;
	memcpy(text, entry, len);
	text[len] = '\0';
	bool ok = submitsig_leaf_parse(text, len, &l);
	if (!ok)
		*why = "it is not a planreg-log-v1 entry this CLI can read";
	else if ((*is_signed = l.signature[0] != '\0' || l.certificate_sha256[0] != '\0')) {
		X509 *cert = submitsig_find_cert(certs, n_certs, l.certificate_sha256);
		if (cert == NULL)
			ok = false, *why = "the service did not give the certificate whose SHA-256 it names";
		else
			ok = submitsig_leaf_verifies(&l, cert, why);
		X509_free(cert);
	}
	free(text);
	return ok;
}
