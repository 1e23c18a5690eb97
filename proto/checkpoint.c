/* checkpoint.c - C2SP tlog-checkpoint texts and tlog-proof receipts (see checkpoint.h). */
#include "checkpoint.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "text.h"
#include "xmalloc.h"

/* the base64 of a hash, with its NUL */
#define CHECKPOINT_HASH_B64 45

/* ---------------------------------------------------------------- lines */

/* A cursor over newline-terminated lines. */
struct checkpoint_lines {
	const char *s;
	size_t len, at;
};

/* The next line (without its newline) in *line, *line_len; false at the end or when the last line
 * lacks its newline. */
static bool checkpoint_next_line(struct checkpoint_lines *l, const char **line, size_t *line_len)
{
	if (l->at >= l->len)
		return false;
	const char *nl = memchr(l->s + l->at, '\n', l->len - l->at);
	if (nl == NULL)
		return false;
	*line = l->s + l->at;
	*line_len = (size_t)(nl - *line);
	l->at += *line_len + 1;
	return true;
}

/* ASCII decimal without leading zeros ("0" alone for zero), within uint64_t. */
static bool checkpoint_decimal_parse(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!text_is_digit(s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool checkpoint_hash_parse(const char *s, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	size_t n;
	return base64_decode(s, len, out, MERKLE_HASH_LEN, &n) && n == MERKLE_HASH_LEN;
}

/* ---------------------------------------------------------------- checkpoints */

void checkpoint_free(struct checkpoint *c)
{
	free(c->origin);
	free(c->extensions);
	memset(c, 0, sizeof *c);
}

char *checkpoint_format(const struct checkpoint *c)
{
	if (c->origin == NULL || c->origin[0] == '\0' || strchr(c->origin, '\n') != NULL)
		return NULL;
	const char *ext = c->extensions != NULL ? c->extensions : "";
	size_t ext_len = strlen(ext);
	if (ext_len > 0 && (ext[0] == '\n' || ext[ext_len - 1] != '\n' || strstr(ext, "\n\n") != NULL))
		return NULL; /* extension lines must be non-empty and end in newlines */
	char b64[CHECKPOINT_HASH_B64];
	base64_encode(c->root, MERKLE_HASH_LEN, b64);
	char *text = xasprintf("%s\n%" PRIu64 "\n%s\n%s", c->origin, c->size, b64, ext);
	if (!note_text_valid(text, strlen(text))) {
		free(text);
		return NULL;
	}
	return text;
}

bool checkpoint_parse(const char *text, size_t len, struct checkpoint *out, const char **why)
{
	const char *dummy;
	why = why != NULL ? why : &dummy;
	memset(out, 0, sizeof *out);
	if (!note_text_valid(text, len)) {
		*why = "the checkpoint is not a note text";
		return false;
	}
	struct checkpoint_lines l = {text, len, 0};
	const char *line[3];
	size_t line_len[3];
	for (int i = 0; i < 3; i++) {
		if (!checkpoint_next_line(&l, &line[i], &line_len[i]) || line_len[i] == 0) {
			*why = "a checkpoint needs three non-empty lines";
			return false;
		}
	}
	if (!checkpoint_decimal_parse(line[1], line_len[1], &out->size)) {
		*why = "the tree size is not a decimal without leading zeros";
		return false;
	}
	if (!checkpoint_hash_parse(line[2], line_len[2], out->root)) {
		*why = "the root hash is not the canonical base64 of 32 bytes";
		return false;
	}
	size_t ext_at = l.at;
	const char *ext;
	size_t ext_len;
	while (checkpoint_next_line(&l, &ext, &ext_len)) {
		if (ext_len == 0) {
			*why = "an extension line is empty";
			return false;
		}
	}
	if (ext_at < len) /* opaque, but signed: kept verbatim */
		out->extensions = xstrndup(text + ext_at, len - ext_at);
	out->origin = xstrndup(line[0], line_len[0]);
	return true;
}

/* ---------------------------------------------------------------- receipts */

void checkpoint_receipt_free(struct checkpoint_receipt *r)
{
	free(r->extra);
	free(r->note);
	memset(r, 0, sizeof *r);
}

char *checkpoint_receipt_format(const struct checkpoint_receipt *r)
{
	if (r->note == NULL || r->note_len == 0 || r->proof.len > MERKLE_PROOF_MAX - 1)
		return NULL;
	struct buf b = {0};
	buf_puts(&b, CHECKPOINT_RECEIPT_HEADER "\n");
	if (r->extra != NULL) {
		char *e = base64_encode_dup(r->extra, r->extra_len);
		buf_printf(&b, "extra %s\n", e);
		free(e);
	}
	buf_printf(&b, "index %" PRIu64 "\n", r->index);
	for (size_t i = 0; i < r->proof.len; i++) {
		char h[CHECKPOINT_HASH_B64];
		base64_encode(r->proof.hash[i], MERKLE_HASH_LEN, h);
		buf_printf(&b, "%s\n", h);
	}
	buf_putc(&b, '\n');
	buf_append(&b, r->note, r->note_len);
	return buf_take(&b);
}

/* The optional "extra <base64>" line; *line is the current line and is advanced past it when it is one. */
static bool checkpoint_receipt_extra(struct checkpoint_lines *l, const char **line, size_t *line_len,
				     struct checkpoint_receipt *out)
{
	if (*line_len < 6 || memcmp(*line, "extra ", 6) != 0)
		return true;
	out->extra = xmalloc(CHECKPOINT_EXTRA_MAX);
	if (!base64_decode(*line + 6, *line_len - 6, out->extra, CHECKPOINT_EXTRA_MAX, &out->extra_len))
		return false;
	return checkpoint_next_line(l, line, line_len);
}

bool checkpoint_receipt_parse(const char *s, size_t len, struct checkpoint_receipt *out, const char **why)
{
	const char *dummy, *line;
	size_t line_len;
	why = why != NULL ? why : &dummy;
	memset(out, 0, sizeof *out);
	struct checkpoint_lines l = {s, len, 0};
	*why = "the receipt does not start with " CHECKPOINT_RECEIPT_HEADER;
	if (!checkpoint_next_line(&l, &line, &line_len) || line_len != strlen(CHECKPOINT_RECEIPT_HEADER) ||
	    memcmp(line, CHECKPOINT_RECEIPT_HEADER, line_len) != 0 || !checkpoint_next_line(&l, &line, &line_len))
		goto refuse;
	*why = "the receipt's extra line is not canonical base64";
	if (!checkpoint_receipt_extra(&l, &line, &line_len, out))
		goto refuse;
	*why = "the receipt's index line is malformed";
	if (line_len < 6 || memcmp(line, "index ", 6) != 0 ||
	    !checkpoint_decimal_parse(line + 6, line_len - 6, &out->index))
		goto refuse;
	*why = "an inclusion hash of the receipt is malformed";
	for (;;) {
		if (!checkpoint_next_line(&l, &line, &line_len))
			goto refuse; /* no empty line before the checkpoint */
		if (line_len == 0)
			break;
		if (out->proof.len == MERKLE_PROOF_MAX - 1 ||
		    !checkpoint_hash_parse(line, line_len, out->proof.hash[out->proof.len]))
			goto refuse;
		out->proof.len++;
	}
	*why = "the receipt has no checkpoint";
	if (l.at >= len)
		goto refuse;
	out->note_len = len - l.at;
	out->note = xstrndup(s + l.at, out->note_len);
	return true;
refuse:
	checkpoint_receipt_free(out);
	return false;
}

/* Opens the receipt's note with the log's and the witnesses' keys and checks who signed it. */
static bool checkpoint_receipt_open(const struct checkpoint_receipt *r, const struct checkpoint_policy *p,
				    struct note *n, const char **why)
{
	struct note_verifier *keys = xcalloc(1 + p->nwitnesses, sizeof *keys);
	keys[0] = *p->log;
	for (size_t i = 0; i < p->nwitnesses; i++)
		keys[1 + i] = p->witnesses[i];
	bool ok = note_open(r->note, r->note_len, keys, 1 + p->nwitnesses, n, why);
	size_t cosigned = 0;
	if (ok && note_signed_by(n, &keys[0]) == NULL) {
		*why = "the log did not sign the checkpoint";
		ok = false;
	}
	for (size_t i = 0; ok && i < p->nwitnesses; i++)
		cosigned += note_signed_by(n, &keys[1 + i]) != NULL;
	if (ok && cosigned < p->quorum) {
		*why = "too few witnesses cosigned the checkpoint";
		ok = false;
	}
	if (!ok)
		note_free(n); /* empty already when note_open refused */
	free(keys);
	return ok;
}

bool checkpoint_receipt_verify(const char *receipt, size_t len, const struct checkpoint_policy *policy,
			       const uint8_t leaf[MERKLE_HASH_LEN], struct checkpoint *cp, const char **why)
{
	const char *dummy;
	why = why != NULL ? why : &dummy;
	struct checkpoint_receipt r;
	struct note n;
	struct checkpoint c;
	if (policy->log->type != NOTE_ED25519) {
		*why = "the log's key is not an Ed25519 note key";
		return false;
	}
	if (!checkpoint_receipt_parse(receipt, len, &r, why))
		return false;
	bool ok = checkpoint_receipt_open(&r, policy, &n, why);
	if (ok) {
		ok = checkpoint_parse(n.text, n.text_len, &c, why);
		note_free(&n);
	}
	if (ok) {
		const char *origin = policy->origin != NULL ? policy->origin : policy->log->name;
		if (strcmp(c.origin, origin) != 0) {
			*why = "the checkpoint names another log";
			ok = false;
		} else if (!merkle_verify_inclusion(leaf, r.index, c.size, r.proof.hash[0], r.proof.len, c.root)) {
			*why = "the inclusion proof does not lead to the checkpoint's root";
			ok = false;
		}
		if (ok && cp != NULL)
			*cp = c;
		else
			checkpoint_free(&c);
	}
	checkpoint_receipt_free(&r);
	return ok;
}
