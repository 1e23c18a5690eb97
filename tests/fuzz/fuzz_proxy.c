/* fuzz_proxy.c - fuzz target for server/proxy.c: the PROXY protocol v2 header a load balancer sends
 * before the TLS handshake (proxy_parse), and the trusted_proxies list (proxy_trust_parse).
 *
 * Invariants of proxy_parse, on every input and on prefixes of it:
 *   - the answer is one of the three results; INVALID always says why;
 *   - NEED_MORE asks for more than it was given, never more than PROXY_MAX_BYTES, and only
 *     16 (the fixed part) or 16 + the length the fixed part states;
 *   - OK took 16 + the stated length, no more than it was given; the same header followed by any
 *     bytes (the TLS handshake) reads the same; every shorter prefix of it is NEED_MORE, asking
 *     for exactly what it finally took (so the daemon never reads past it into the TLS bytes);
 *   - a prefix refused as INVALID stays INVALID however many bytes follow;
 *   - a PROXY (not LOCAL) header of family IPv4 or IPv6 names that family's address and port as
 *     the body holds them, formats as "ip:port" within its buffer, and that ip written as a
 *     trusted_proxies entry trusts exactly that address.
 * Of proxy_trust_parse, on the input as text: an accepted list has at most PROXY_TRUST_MAX entries,
 * each prefix within its family's width; a refused one says why.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "proxy.h"
#include "xmalloc.h"

static const uint8_t fuzz_proxy_sig[PROXY_SIGNATURE_BYTES] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
							      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static enum proxy_result fuzz_proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *h, size_t *need)
{
	const char *why = NULL;
	enum proxy_result r = proxy_parse(buf, len, h, need, &why);
	fuzz_require(r == PROXY_NEED_MORE || r == PROXY_OK || r == PROXY_INVALID, "an unknown result");
	fuzz_require(why != NULL, "why left unset");
	if (r == PROXY_INVALID)
		fuzz_require(why[0] != '\0', "a refusal that does not say why");
	if (r == PROXY_NEED_MORE) {
		fuzz_require(*need > len, "NEED_MORE with all it asked for");
		fuzz_require(*need <= PROXY_MAX_BYTES, "NEED_MORE asks for more than planregd reads");
		size_t stated = len >= PROXY_HEAD_BYTES ? PROXY_HEAD_BYTES + ((size_t)buf[14] << 8 | buf[15]) : 0;
		fuzz_require(*need == PROXY_HEAD_BYTES || *need == stated, "NEED_MORE asks for an odd length");
	}
	if (r == PROXY_OK) {
		fuzz_require(h->length >= PROXY_HEAD_BYTES && h->length <= len, "a header longer than its input");
		fuzz_require(h->length == PROXY_HEAD_BYTES + ((size_t)buf[14] << 8 | buf[15]),
			     "a header of another length than it states");
		fuzz_require(h->length == *need, "OK with need other than the header's length");
	}
	return r;
}

/* The address of a PROXY header matches its body; it formats, and trusts itself. */
static void fuzz_proxy_address(const uint8_t *buf, const struct proxy_header *h)
{
	const struct sockaddr *sa = (const struct sockaddr *)&h->source;
	uint8_t family = buf[13] >> 4;
	const uint8_t *body = buf + PROXY_HEAD_BYTES;
	if (h->local) {
		fuzz_require((buf[12] & 0x0f) == 0 || (family != 1 && family != 2),
			     "an IPv4/IPv6 PROXY header as LOCAL");
		return;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		fuzz_require(family == 1, "an IPv4 address from another family");
		fuzz_require(memcmp(&in->sin_addr, body, 4) == 0 && memcmp(&in->sin_port, body + 8, 2) == 0,
			     "the IPv4 source is not the body's");
	} else {
		fuzz_require(sa->sa_family == AF_INET6 && family == 2, "a source of no family");
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		fuzz_require(memcmp(&in6->sin6_addr, body, 16) == 0 && memcmp(&in6->sin6_port, body + 32, 2) == 0,
			     "the IPv6 source is not the body's");
	}
	char peer[64];
	memset(peer, 'x', sizeof peer);
	proxy_format_peer(sa, peer, sizeof peer);
	char *colon = memchr(peer, '\0', sizeof peer) != NULL ? strrchr(peer, ':') : NULL;
	fuzz_require(colon != NULL, "proxy_format_peer overran its buffer or wrote no port");
	*colon = '\0';
	struct proxy_trust t;
	char *err = NULL;
	fuzz_require(proxy_trust_parse(peer, &t, &err), "the source's own address is not a trusted_proxies entry");
	fuzz_require(t.n == 1 && proxy_trusted(&t, sa), "the source's own address does not trust it");
}

static void fuzz_proxy_header(const uint8_t *data, size_t size)
{
	struct proxy_header h;
	size_t need;
	enum proxy_result r = fuzz_proxy_parse(data, size, &h, &need);
	fuzz_accept(r == PROXY_OK);
	if (r == PROXY_OK) {
		struct proxy_header whole = h;
		fuzz_proxy_address(data, &whole);
		/* every shorter prefix asks for more, and for exactly this header once it knows its length */
		for (size_t have = 0; have < whole.length; have++) {
			struct proxy_header p;
			fuzz_require(fuzz_proxy_parse(data, have, &p, &need) == PROXY_NEED_MORE,
				     "a prefix of a header is not NEED_MORE");
			fuzz_require(have < PROXY_HEAD_BYTES ? need == PROXY_HEAD_BYTES : need == whole.length,
				     "a prefix asks for another length than the header has");
		}
		/* what follows the header (the TLS handshake) changes nothing */
		uint8_t *more = fuzz_alloc(whole.length + 8);
		memcpy(more, data, whole.length);
		memset(more + whole.length, 0x16, 8);
		struct proxy_header again;
		fuzz_require(fuzz_proxy_parse(more, whole.length + 8, &again, &need) == PROXY_OK &&
				     again.length == whole.length && again.local == whole.local &&
				     memcmp(&again.source, &whole.source, sizeof again.source) == 0,
			     "the bytes after a header change how it reads");
		free(more);
	} else {
		/* a refused prefix stays refused: half the input, then all but one byte */
		size_t cuts[2] = {size / 2, size > 0 ? size - 1 : 0};
		for (size_t i = 0; i < 2; i++) {
			struct proxy_header p;
			if (fuzz_proxy_parse(data, cuts[i], &p, &need) == PROXY_INVALID)
				fuzz_require(r == PROXY_INVALID, "more bytes made a refused header acceptable");
		}
	}
}

static void fuzz_proxy_trust(const uint8_t *data, size_t size)
{
	char *spec = xstrndup((const char *)data, size);
	struct proxy_trust t;
	char *err = NULL;
	if (proxy_trust_parse(spec, &t, &err)) {
		fuzz_require(err == NULL && t.n <= PROXY_TRUST_MAX, "an accepted list with too many entries");
		for (size_t i = 0; i < t.n; i++)
			fuzz_require(t.nets[i].prefix <= 128, "a prefix wider than an address");
		struct sockaddr_in in = {.sin_family = AF_INET};
		(void)proxy_trusted(&t, (const struct sockaddr *)&in);
	} else {
		fuzz_require(err != NULL && err[0] != '\0', "a refused list that does not say why");
	}
	free(err);
	free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* proxy_parse reads its buffer in place: a copy of exactly size bytes lets ASan see any read past it */
	uint8_t *copy = fuzz_alloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(copy, data, size);
	fuzz_proxy_header(copy, size);
	free(copy);
	if (size > 0 && data[0] != fuzz_proxy_sig[0])
		fuzz_proxy_trust(data, size);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

/* Appends a header: version/command byte, family/transport byte, the body. */
static void fuzz_proxy_add(struct fuzz_pool *pool, uint8_t ver_cmd, uint8_t fam, const void *body, size_t n,
			   const void *after, size_t after_n)
{
	struct fuzz_bytes b = {0};
	uint8_t head[4] = {ver_cmd, fam, (uint8_t)(n >> 8), (uint8_t)n};
	fuzz_bytes_append(&b, fuzz_proxy_sig, sizeof fuzz_proxy_sig);
	fuzz_bytes_append(&b, head, sizeof head);
	if (n > 0)
		fuzz_bytes_append(&b, body, n);
	if (after_n > 0)
		fuzz_bytes_append(&b, after, after_n);
	fuzz_pool_add(pool, b.data, b.len);
	free(b.data);
}

static void fuzz_proxy_seeds(struct fuzz_pool *pool)
{
	static const uint8_t v4[12] = {192, 0, 2, 33, 10, 0, 0, 1, 0x11, 0x5c, 0x1d, 0x13};
	static const uint8_t hello[8] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01}; /* a ClientHello's start */
	uint8_t v6[36 + 7] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7, [31] = 1, [32] = 0x01, [33] = 0xbb};
	memcpy(v6 + 36, (const uint8_t[]){0x04, 0x00, 0x04, 'n', 'o', 'o', 'p'}, 7); /* PP2_TYPE_NOOP */
	uint8_t unix_body[216] = {'/', 't', 'm', 'p', '/', 's'};
	uint8_t big[PROXY_MAX_BYTES] = {0};
	fuzz_proxy_add(pool, 0x21, 0x11, v4, sizeof v4, NULL, 0);               /* PROXY TCP4 */
	fuzz_proxy_add(pool, 0x21, 0x11, v4, sizeof v4, hello, sizeof hello);   /* then the TLS bytes */
	fuzz_proxy_add(pool, 0x21, 0x21, v6, 36, NULL, 0);                      /* PROXY TCP6 */
	fuzz_proxy_add(pool, 0x21, 0x21, v6, sizeof v6, hello, sizeof hello);   /* with a TLV */
	fuzz_proxy_add(pool, 0x20, 0x00, NULL, 0, hello, sizeof hello);         /* LOCAL: a health check */
	fuzz_proxy_add(pool, 0x21, 0x00, NULL, 0, NULL, 0);                     /* unspecified family */
	fuzz_proxy_add(pool, 0x21, 0x31, unix_body, sizeof unix_body, NULL, 0); /* unix stream */
	fuzz_proxy_add(pool, 0x21, 0x12, v4, sizeof v4, NULL, 0);               /* UDP: refused */
	fuzz_proxy_add(pool, 0x11, 0x11, v4, sizeof v4, NULL, 0);               /* version 1 in binary */
	fuzz_proxy_add(pool, 0x22, 0x11, v4, sizeof v4, NULL, 0);               /* command 2 */
	fuzz_proxy_add(pool, 0x21, 0x11, v4, 8, NULL, 0);                       /* addresses cut short */
	fuzz_proxy_add(pool, 0x21, 0x21, v6, 20, NULL, 0);
	fuzz_proxy_add(pool, 0x21, 0x11, big, sizeof big - PROXY_HEAD_BYTES, NULL, 0); /* the longest read */
	fuzz_proxy_add(pool, 0x21, 0x11, big, sizeof big - PROXY_HEAD_BYTES + 1, NULL, 0);
	fuzz_pool_add(pool, fuzz_proxy_sig, 7); /* the signature arriving in pieces */
	fuzz_pool_add(pool, fuzz_proxy_sig, sizeof fuzz_proxy_sig);
	fuzz_pool_add(pool, hello, sizeof hello); /* a client that sends no header */
	fuzz_pool_add_str(pool, "PROXY TCP4 192.0.2.33 10.0.0.1 4444 7443\r\n");
	fuzz_pool_add_str(pool, "GET /healthz HTTP/1.1\r\n\r\n");
	/* trusted_proxies lists */
	fuzz_pool_add_str(pool, "127.0.0.1, 10.0.0.0/8 ::1 fd00::/8");
	fuzz_pool_add_str(pool, "192.0.2.0/33");
	fuzz_pool_add_str(pool, "::ffff:10.0.0.1/128,2001:db8::/0");
	fuzz_pool_add_str(pool, "10.0.0.1/ 10.0.0.1/x 300.1.1.1");
}

/* A header edit: the length field made to agree with the bytes present, or a known version/command,
 * family/transport byte, so that mutations get past the fixed part. */
static void fuzz_proxy_mutate(struct fuzz_rng *r, struct fuzz_bytes *b, const struct fuzz_pool *pool)
{
	(void)pool;
	static const uint8_t ver_cmd[] = {0x20, 0x21, 0x2f, 0x12};
	static const uint8_t fam[] = {0x00, 0x11, 0x21, 0x31, 0x12, 0x22, 0x10};
	if (b->len < PROXY_HEAD_BYTES) {
		fuzz_bytes_insert(b, 0, fuzz_proxy_sig, sizeof fuzz_proxy_sig);
		return;
	}
	switch (fuzz_below(r, 3)) {
	case 0: {
		size_t n = b->len - PROXY_HEAD_BYTES;
		if (n > 0xffff)
			n = 0xffff;
		n -= fuzz_below(r, 2) ? fuzz_below(r, n + 1) : 0; /* sometimes less than is there */
		b->data[14] = (uint8_t)(n >> 8);
		b->data[15] = (uint8_t)n;
		break;
	}
	case 1:
		b->data[12] = ver_cmd[fuzz_below(r, sizeof ver_cmd)];
		break;
	default:
		b->data[13] = fam[fuzz_below(r, sizeof fam)];
		break;
	}
}

/* The body behind a whole fixed part. */
static bool fuzz_proxy_payload(const uint8_t *data, size_t len, size_t *off, size_t *plen)
{
	if (len < PROXY_HEAD_BYTES || memcmp(data, fuzz_proxy_sig, sizeof fuzz_proxy_sig) != 0)
		return false;
	*off = PROXY_HEAD_BYTES;
	*plen = len - PROXY_HEAD_BYTES;
	return true;
}

/* b as the body of a PROXY TCP4 or TCP6 header (by its length) that states its length. */
static void fuzz_proxy_wrap(struct fuzz_bytes *b)
{
	if (b->len > PROXY_MAX_BYTES - PROXY_HEAD_BYTES)
		return;
	uint8_t head[4] = {0x21, b->len >= 36 ? 0x21 : 0x11, (uint8_t)(b->len >> 8), (uint8_t)b->len};
	fuzz_bytes_insert(b, 0, head, sizeof head);
	fuzz_bytes_insert(b, 0, fuzz_proxy_sig, sizeof fuzz_proxy_sig);
}

/* Tokens are C strings, so none holds a NUL: the signature's two halves, and the fixed part's known
 * version/command and family/transport bytes (fuzz_proxy_mutate writes whole headers). */
static const char *const fuzz_proxy_tokens[] = {
	"\x0d\x0a\x0d\x0a",
	"\x0d\x0a\x51\x55\x49\x54\x0a",
	"\x21\x11",
	"\x21\x21",
	"\x21\x31",
	"\x20",
	"\xff\xff",
	"\x16\x03\x01",
	"127.0.0.1",
	"::ffff:",
	"/8",
	"/128",
	", ",
	NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "proxy",
	.iterations = 20000,
	.max_len = 2048,
	.tokens = fuzz_proxy_tokens,
	.seeds = fuzz_proxy_seeds,
	.mutate = fuzz_proxy_mutate,
	.payload = fuzz_proxy_payload,
	.wrap = fuzz_proxy_wrap,
	.accepted_what = "were PROXY headers proxy_parse read whole",
};
