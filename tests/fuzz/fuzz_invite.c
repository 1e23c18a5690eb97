/* fuzz_invite.c - fuzz target for proto/invite.c, the invitation code an officer pastes into `planreg join`.
 * Each input is read twice: as it is, and "resealed" (its check recomputed), since a mutation almost never
 * keeps the check right and the parts behind it would otherwise go untested.
 *
 * Invariants: invite_parse answers true exactly when it gives no message, and a message that is not empty
 * otherwise; what it accepts has a valid host, a port in 1..65535 and a lower-case hex fingerprint, and written
 * out with invite_format reads back as the same invitation; a resealed code of printable ASCII is never
 * called damaged.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "driver.h"
#include "invite.h"
#include "xmalloc.h"

/* Whether invite_parse accepted the last input as it was. */
static bool fuzz_invite_last_ok;

static void fuzz_invite_check(bool ok, const char *what)
{
	fuzz_check(ok, "invite", what);
}

/* Parses code and checks what comes back; returns the answer, *damaged when the message says so. */
static bool fuzz_invite_parse(const char *code, bool *damaged)
{
	struct invite inv, again;
	char *err = NULL;
	bool ok = invite_parse(code, &inv, &err);
	fuzz_invite_check(ok == (err == NULL), "the answer and the message disagree");
	/* the message itself, not a host it quotes, says "damaged" */
	*damaged = !ok && strncmp(err, "the invitation code is damaged", 30) == 0;
	if (!ok) {
		fuzz_invite_check(err[0] != '\0', "an empty message");
		free(err);
		return false;
	}
	fuzz_invite_check(inv.port >= 1 && inv.port <= 65535, "a port out of range");
	fuzz_invite_check(inv.host[0] != '\0' && strlen(inv.host) <= INVITE_HOST_MAX, "an empty or long host");
	fuzz_invite_check(strlen(inv.ca_fingerprint) == 64 && strspn(inv.ca_fingerprint, "0123456789abcdef") == 64,
			  "a fingerprint not in lower-case hex");
	char *out = invite_format(&inv);
	fuzz_invite_check(invite_parse(out, &again, &err), "a code written out does not read back");
	fuzz_invite_check(strcmp(inv.host, again.host) == 0 && inv.port == again.port &&
				  strcmp(inv.ca_fingerprint, again.ca_fingerprint) == 0 &&
				  memcmp(inv.secret, again.secret, INVITE_SECRET_BYTES) == 0,
			  "a code written out reads back differently");
	invite_free_code(out);
	return true;
}

/* code with its check recomputed over its lower-case, whitespace-free form; NULL when it has no ':'. */
static char *fuzz_invite_reseal(const char *code, bool *printable)
{
	struct buf b = {0};
	*printable = true;
	for (const char *p = code; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
			continue;
		*printable = *printable && *p > ' ' && *p < 0x7f;
		buf_putc(&b, *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
	}
	char *colon = b.data != NULL ? strrchr(b.data, ':') : NULL;
	if (colon == NULL) {
		buf_free(&b);
		return NULL;
	}
	size_t n = (size_t)(colon - b.data);
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)b.data, n, md);
	char *out = xasprintf("%.*s:%02x%02x%02x%02x", (int)n, b.data, md[0], md[1], md[2], md[3]);
	buf_free(&b);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *code = xstrndup((const char *)data, size); /* up to a NUL, as a command line would have it */
	bool damaged, printable;
	fuzz_invite_last_ok = fuzz_invite_parse(code, &damaged);
	char *sealed = fuzz_invite_reseal(code, &printable);
	if (sealed != NULL) {
		fuzz_invite_parse(sealed, &damaged);
		fuzz_invite_check(!(printable && damaged), "a resealed code is said to be damaged");
		free(sealed);
	}
	free(code);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

static void fuzz_invite_seeds(struct fuzz_pool *pool)
{
	static const char *const hosts[] = {"planreg.example.org", "127.0.0.1", "::1", "2001:db8::7", "h"};
	static const unsigned ports[] = {7443, 1, 65535, 443, 8443};
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		struct invite inv;
		char *err = NULL;
		if (!invite_new(&inv, hosts[i], ports[i],
				"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", &err)) {
			fprintf(stderr, "fuzz_invite: %s\n", err);
			abort();
		}
		char *code = invite_format(&inv);
		fuzz_pool_add_str(pool, code);
		/* as pasted from a mail: wrapped, indented, with a soft hyphen */
		char *pasted = xasprintf("  %.40s\n  %.30s\xc2\xad%s\n", code, code + 40, code + 70);
		fuzz_pool_add_str(pool, pasted);
		free(pasted);
		invite_free_code(code);
	}
	fuzz_pool_add_str(pool, "planreg-invite-2:h:1:aa:bb:cc");
	fuzz_pool_add_str(pool, "planreg-invite-1:h:1");
	fuzz_pool_add_str(pool, "");
}

static bool fuzz_invite_accepted(void)
{
	return fuzz_invite_last_ok;
}

static const char *const fuzz_invite_tokens[] = {
	"planreg-invite-1:", "planreg-invite-", ":",     "[", "]",  ".",  "-",  " ", "\n", "\xc2\xa0",
	"\xc2\xad",          "\xe2\x80\x8b",    "65535", "0", "::", "ff", NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "invite",
	.iterations = 20000,
	.max_len = 1024,
	.tokens = fuzz_invite_tokens,
	.seeds = fuzz_invite_seeds,
	.accepted = fuzz_invite_accepted,
	.accepted_what = "were codes invite_parse accepted as they were",
};
