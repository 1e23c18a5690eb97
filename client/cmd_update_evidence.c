/* cmd_update_evidence.c - `planreg update evidence ID`: a document that backs a return or one of its
 * milestones (docs/assurance.md): a URL, or a local file named by its file name with its SHA-256
 * computed here (the file itself stays where it is); and how update show, list and the export print
 * a return's documents. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd_update.h"
#include "json.h"
#include "text.h"
#include "xmalloc.h"

static const char cmd_update_evidence_help[] =
	"Adds a document that backs an update, or one of its milestones (--milestone N,\n"
	"counted from 1 in the update's order): --url URL, or --file PATH, whose file\n"
	"name is recorded with the file's SHA-256 (computed here; the file is not sent).\n"
	"--category is a code of IATI's document category list: A01-A12 about the\n"
	"project (A07 review of project performance and evaluation, A08 results,\n"
	"outcomes and outputs, A11 contract, ...) or B01-B18 about an organisation.\n"
	"Lead bodies add to their own projects' updates; the Combined Authority to any.\n";

/* The SHA-256 of the file at path, in hex; false (said why) when it cannot be read. */
static bool cmd_update_evidence_hash(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		cli_fail(EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	unsigned char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	bool ok = !ferror(f);
	fclose(f);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		cli_fail(EXIT_USAGE, "cannot read %s", path);
		return false;
	}
	text_hex(md, len, hex);
	return true;
}

/* --milestone N or --indicator ID (not both) into body; EXIT_OK or a usage error. */
static int cmd_update_evidence_target(const struct cli_command *self, const char *milestone, const char *indicator,
				      Planreg__V1__AddEvidenceRequest *body)
{
	char *end;
	if (milestone != NULL && indicator != NULL)
		return cli_usage(self,
				 "a document backs a milestone (--milestone) or an actual (--indicator), not both");
	if (milestone != NULL) {
		long m = strtol(milestone, &end, 10);
		if (milestone[0] == '\0' || *end != '\0' || m < 1 || m > 1000)
			return cli_usage(self, "--milestone must be a milestone's position from 1, not \"%s\"",
					 milestone);
		body->milestone = (int32_t)m;
	}
	if (indicator != NULL) {
		long long v = strtoll(indicator, &end, 10);
		if (indicator[0] == '\0' || *end != '\0' || v < 1)
			return cli_usage(self, "--indicator must be an indicator's id (a number such as 3), not \"%s\"",
					 indicator);
		body->indicator_id = v;
	}
	return EXIT_OK;
}

static int cmd_update_evidence_run(struct cli *cli, const struct cli_command *self, int argc, char **argv)
{
	struct cli_getopt g;
	if (cli_getopt_all(&g, self, argc, argv) < 0)
		return g.rc;
	Planreg__V1__AddEvidenceRequest body = PLANREG__V1__ADD_EVIDENCE_REQUEST__INIT;
	char *end;
	long long id = strtoll(g.args[0], &end, 10);
	if (g.args[0][0] == '\0' || *end != '\0' || id < 1)
		return cli_usage(self, "\"%s\" is not an update id (a number such as 42)", g.args[0]);
	body.update_id = id;
	const char *url = cli_getopt_value(&g, 'u'), *file = cli_getopt_value(&g, 'f'),
		   *sha = cli_getopt_value(&g, 'H'), *category = cli_getopt_value(&g, 'c'),
		   *milestone = cli_getopt_value(&g, 'm'), *title = cli_getopt_value(&g, 't');
	if ((url == NULL) == (file == NULL))
		return cli_usage(self, "give exactly one of --url URL and --file PATH");
	if (category == NULL)
		return cli_usage(self, "say which kind of document it is with --category CODE (e.g. A07)");
	char hex[65] = "";
	if (file != NULL) {
		if (sha != NULL)
			return cli_usage(self, "--sha256 is for a --url; a --file's is computed");
		if (!cmd_update_evidence_hash(file, hex))
			return EXIT_USAGE;
		const char *slash = strrchr(file, '/');
		body.location = (char *)(slash ? slash + 1 : file);
	} else {
		body.location = (char *)url;
	}
	body.sha256 = file ? hex : (char *)(sha ? sha : "");
	body.category = (char *)category;
	body.title = (char *)(title ? title : "");
	int rc = cmd_update_evidence_target(self, milestone, cli_getopt_value(&g, 'i'), &body);
	if (rc != EXIT_OK)
		return rc;
	char key[CMD_UPDATE_KEY_MAX];
	if (!cmd_update_input_random_key(key))
		return cli_fail(EXIT_REFUSED, "cannot make a random idempotency key");
	Planreg__V1__Request req;
	cli_envelope(&req, PLANREG__V1__REQUEST__BODY_ADD_EVIDENCE, &body, key);
	Planreg__V1__Response *resp;
	bool retried;
	rc = cmd_update_send(cli, &req, false, &resp, &retried);
	if (rc != EXIT_OK)
		return rc;
	const Planreg__V1__Evidence *e = resp->add_evidence ? resp->add_evidence->evidence : NULL;
	if (e == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		return cli_fail(EXIT_REFUSED, "the server's answer has no document");
	}
	printf("document %lld added to update %lld: %s %s%s%s\n", (long long)e->id, (long long)e->update_id,
	       e->category, e->location, e->sha256[0] ? " sha256 " : "", e->sha256);
	planreg__v1__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- printing a return's documents */

/* One document as one line: CATEGORY|LOCATION|SHA256|MILESTONE|TITLE (empty fields for none), then |INDICATOR
 * when it backs an actual. */
static char *cmd_update_evidence_line(const Planreg__V1__Evidence *e)
{
	struct buf b = {0};
	buf_printf(&b, "%s|%s|%s|", e->category, e->location, e->sha256);
	if (e->milestone)
		buf_printf(&b, "%d", e->milestone);
	buf_printf(&b, "|%s", e->title);
	if (e->indicator_id) /* a sixth field only for the actual it backs: other lines read as before */
		buf_printf(&b, "|%lld", (long long)e->indicator_id);
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

void cmd_update_evidence_row(struct output_rows *rows, const char *key, const Planreg__V1__Update *u)
{
	char **lines = xcalloc(u->n_evidence + 1, sizeof *lines);
	for (size_t i = 0; i < u->n_evidence; i++)
		lines[i] = cmd_update_evidence_line(u->evidence[i]);
	output_rows_list(rows, key, lines, u->n_evidence, "\n");
	for (size_t i = 0; i < u->n_evidence; i++)
		free(lines[i]);
	free(lines);
}

void cmd_update_evidence_json(struct json *j, const Planreg__V1__Update *u)
{
	json_key(j, "evidence");
	json_array_begin(j);
	for (size_t i = 0; i < u->n_evidence; i++) {
		const Planreg__V1__Evidence *e = u->evidence[i];
		json_object_begin(j);
		json_kv_int(j, "id", e->id);
		if (e->milestone)
			json_kv_int(j, "milestone", e->milestone);
		else {
			json_key(j, "milestone");
			json_null(j);
		}
		json_kv_str(j, "location", e->location);
		json_kv_str(j, "sha256", e->sha256[0] ? e->sha256 : NULL);
		json_kv_str(j, "category", e->category);
		json_kv_str(j, "title", e->title[0] ? e->title : NULL);
		json_kv_str(j, "added_by", e->added_by);
		json_kv_str(j, "added_at", e->added_at);
		json_key(j, "indicator_id");
		if (e->indicator_id)
			json_int(j, e->indicator_id);
		else
			json_null(j);
		json_object_end(j);
	}
	json_array_end(j);
}

char *cmd_update_evidence_text(const Planreg__V1__Evidence *e)
{
	struct buf b = {0};
	buf_printf(&b, "%s %s", e->category, e->location);
	if (e->sha256[0])
		buf_printf(&b, " (sha256 %s)", e->sha256);
	if (e->milestone)
		buf_printf(&b, ", milestone %d", e->milestone);
	if (e->indicator_id)
		buf_printf(&b, ", the actual of indicator %lld", (long long)e->indicator_id);
	if (e->title[0])
		buf_printf(&b, ": %s", e->title);
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

static const struct cli_option cmd_update_evidence_options[] = {
	{.name = "url", .key = 'u', .arg = "URL", .help = "where the document is (http:// or https://)"},
	{.name = "indicator", .key = 'i', .arg = "ID", .help = "it backs the return's actual for indicator ID"},
	{.name = "file",
	 .key = 'f',
	 .arg = "PATH",
	 .help = "a local file: its name and SHA-256 are recorded",
	 .complete = CLI_COMPLETE_FILE},
	{.name = "sha256", .key = 'H', .arg = "HEX", .help = "the SHA-256 of the document at --url"},
	{.name = "category", .key = 'c', .arg = "CODE", .help = "IATI document category: A01-A12 or B01-B18"},
	{.name = "milestone", .key = 'm', .arg = "N", .help = "the milestone it backs (from 1); default the update"},
	{.name = "title", .key = 't', .arg = "TEXT", .help = "what the document is"},
	{0},
};

const struct cli_command cmd_update_evidence = {
	.noun = "update",
	.verb = "evidence",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.args_what = "one update id",
	.options = cmd_update_evidence_options,
	.summary = "add a document that backs an update or one of its milestones",
	.help = cmd_update_evidence_help,
	.run = cmd_update_evidence_run,
};
