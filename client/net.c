/* net.c - the CLI's TLS connection to planregd (see net.h): a non-blocking socket and poll(), so that
 * every wait is bounded by the call's deadline rather than by the gap between two bytes. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "net_cred.h"
#include "net_session.h"
#include "submitsig.h"
#include "xmalloc.h"

#define NET_ALPN "planreg/1"
#define NET_MAX_RESPONSE (64u * 1024 * 1024)
/* How often the tick is called while a call waits (a progress bar's redraw). */
#define NET_TICK_MS 150
/* net_io's verdict when the deadline passed first; not one of SSL_get_error's */
#define NET_IO_TIMEOUT (-1)

struct net {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char where[300]; /* host:port, for messages */
	uint64_t next_id;
	char *session_path;   /* the session cache file of this server and certificate; NULL: none */
	SSL_SESSION *session; /* the latest resumable session the server gave (owned) */
	bool session_saved;   /* saved after the first answer */
	char *cache_dir;      /* where session_path lives */
	int timeout_ms;       /* each call's limit: write and the whole answer */
	void (*tick)(void *arg);
	void *tick_arg;
	uint64_t next_tick; /* when the tick is due (monotonic ms) */
};

static uint64_t net_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *net_ssl_reason(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, sizeof buf, "connection closed");
	else
		snprintf(buf, sizeof buf, "%s", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "TLS error");
	return buf;
}

/* Alerts a server sends when it will not take our certificate. */
static bool net_is_cert_refusal(unsigned long e)
{
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return false;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
		return true;
	default:
		return false;
	}
}

static bool net_split(const char *server, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon;
	if (server[0] == '[') {
		const char *close = strchr(server, ']');
		if (close == NULL || close[1] != ':')
			return false;
		snprintf(host, hn, "%.*s", (int)(close - server - 1), server + 1);
		colon = close + 1;
	} else {
		colon = strrchr(server, ':');
		if (colon == NULL) {
			snprintf(host, hn, "%s", server);
			snprintf(port, pn, "7443");
			return host[0] != '\0';
		}
		snprintf(host, hn, "%.*s", (int)(colon - server), server);
	}
	snprintf(port, pn, "%s", colon + 1);
	/* a port is a number 1..65535: getaddrinfo would take "99999" modulo 65536 */
	char *end;
	long p = strtol(port, &end, 10);
	return host[0] != '\0' && port[0] >= '0' && port[0] <= '9' && *end == '\0' && p >= 1 && p <= 65535;
}

/* A connected non-blocking socket, or -1 with *err; every address tried shares the deadline. */
static int net_tcp_connect(const char *host, const char *port, uint64_t deadline, char **err)
{
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		*err = xasprintf("cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	int last = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		int flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			fd = -1;
			continue;
		}
		struct pollfd p = {fd, POLLOUT, 0};
		uint64_t now = net_now_ms();
		int ready = now < deadline ? poll(&p, 1, (int)(deadline - now)) : 0;
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (ready <= 0)
			soerr = ready == 0 ? ETIMEDOUT : errno;
		else
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr != 0) {
			last = soerr;
			close(fd);
			fd = -1;
			continue;
		}
		/* a request goes out at once rather than waiting for the ACK of the previous one */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	freeaddrinfo(res);
	if (fd < 0)
		*err = xstrdup(strerror(last));
	return fd;
}

/* OpenSSL hands over each new session (TLS 1.3: each ticket): the latest is kept to be saved. */
static int net_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct net *n = SSL_get_app_data(ssl);
	if (n == NULL)
		return 0;
	if (n->session != NULL)
		SSL_SESSION_free(n->session);
	n->session = sess;
	return 1; /* the reference is ours */
}

/* Drops the socket and TLS state of a failed attempt (the context stays). */
static void net_reset(struct net *n)
{
	if (n->ssl)
		SSL_free(n->ssl);
	n->ssl = NULL;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	if (n->session)
		SSL_SESSION_free(n->session);
	n->session = NULL;
	ERR_clear_error();
}

/*
 * Waits until the socket is ready for events (or has failed: OpenSSL then says how), calling the tick
 * when it is due; false when the deadline (monotonic ms) comes first.
 */
static bool net_wait(struct net *n, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = net_now_ms();
		if (n->tick != NULL && now >= n->next_tick) {
			n->tick(n->tick_arg);
			n->next_tick = now + NET_TICK_MS;
		}
		if (now >= deadline)
			return false;
		uint64_t until = n->tick != NULL && n->next_tick < deadline ? n->next_tick : deadline;
		struct pollfd p = {n->fd, events, 0};
		int r = poll(&p, 1, (int)(until - now));
		if (r > 0 || (r < 0 && errno != EINTR))
			return true;
	}
}

enum net_op { NET_OP_CONNECT, NET_OP_READ, NET_OP_WRITE };

/*
 * Runs one TLS operation (the handshake, or SSL_read/SSL_write of len bytes at buf) until it is done,
 * waiting in poll() for what OpenSSL wants, never past the deadline. Returns its result (> 0), or <= 0
 * with *verdict set: SSL_get_error's, or NET_IO_TIMEOUT. OpenSSL is always asked before the socket is
 * polled, so bytes it already holds (SSL_pending) are used without waiting for more to arrive. A write is
 * retried with the same buffer and length, as OpenSSL requires. No operation starts after the deadline:
 * bytes that keep coming cannot stretch it.
 */
static int net_io(struct net *n, enum net_op op, void *buf, int len, uint64_t deadline, int *verdict)
{
	for (;;) {
		if (net_now_ms() >= deadline) {
			*verdict = NET_IO_TIMEOUT;
			return -1;
		}
		errno = 0;
		int r = op == NET_OP_CONNECT ? SSL_connect(n->ssl)
			: op == NET_OP_READ  ? SSL_read(n->ssl, buf, len)
					     : SSL_write(n->ssl, buf, len);
		if (r > 0)
			return r;
		int e = SSL_get_error(n->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			*verdict = e;
			return r;
		}
		if (!net_wait(n, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline)) {
			*verdict = NET_IO_TIMEOUT;
			return -1;
		}
	}
}

/* The TLS state of a new connection on n->fd: SNI and the name (or address) the server's certificate must carry,
 * offering saved (may be NULL); false with *why and *err. */
static bool net_tls_new(struct net *n, const char *host, SSL_SESSION *saved, enum net_failure *why, char **err)
{
	n->ssl = SSL_new(n->ctx);
	if (n->ssl == NULL) {
		*why = NET_TLS;
		*err = xasprintf("cannot set up TLS: %s", net_cred_ossl_reason());
		return false;
	}
	SSL_set_fd(n->ssl, n->fd);
	SSL_set_app_data(n->ssl, n);
	if (saved != NULL)
		SSL_set_session(n->ssl, saved); /* offered; the server may still ask for a full handshake */
	struct in6_addr a6;
	struct in_addr a4;
	bool is_ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
	if (is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(n->ssl), host);
	} else {
		SSL_set_tlsext_host_name(n->ssl, host);
		SSL_set1_host(n->ssl, host);
	}
	return true;
}

/* Why the handshake failed (net_io's verdict), in the user's terms. */
static void net_handshake_failure(struct net *n, int verdict, enum net_failure *why, char **err)
{
	long vr = SSL_get_verify_result(n->ssl);
	unsigned long e = ERR_peek_last_error();
	if (verdict == NET_IO_TIMEOUT) {
		*why = NET_TIMEOUT;
		*err = xasprintf(
			"no answer from %s during the TLS handshake (timed out; PLANREG_TIMEOUT sets the limit)",
			n->where);
	} else if (vr != X509_V_OK) {
		*why = NET_TLS;
		*err = xasprintf("TLS handshake with %s failed: the server's certificate is not trusted (%s); "
				 "check PLANREG_CA",
				 n->where, X509_verify_cert_error_string(vr));
	} else if (net_is_cert_refusal(e)) {
		*why = NET_CERT_REFUSED;
		*err = xasprintf("the server at %s refused this client certificate (%s): it must be issued by "
				 "the deployment's CA",
				 n->where, net_ssl_reason());
	} else {
		*why = NET_TLS;
		*err = xasprintf("TLS handshake with %s failed: %s", n->where,
				 e ? net_ssl_reason() : (errno ? strerror(errno) : "connection closed"));
	}
}

/* Whether the server chose planreg/1 in the handshake. */
static bool net_alpn_agreed(struct net *n)
{
	const unsigned char *proto = NULL;
	unsigned int plen = 0;
	SSL_get0_alpn_selected(n->ssl, &proto, &plen);
	return plen == sizeof NET_ALPN - 1 && memcmp(proto, NET_ALPN, plen) == 0;
}

/* TCP, then the TLS handshake offering saved (may be NULL), then ALPN, all before the deadline; false with *why and
 * *err. */
static bool net_handshake(struct net *n, uint64_t deadline, const char *host, const char *port, SSL_SESSION *saved,
			  enum net_failure *why, char **err)
{
	char *cerr = NULL;
	int verdict = 0;
	n->fd = net_tcp_connect(host, port, deadline, &cerr);
	if (n->fd < 0) {
		*why = NET_CONNECT;
		*err = xasprintf("cannot connect to %s: %s (is planregd running there? check PLANREG_SERVER)", n->where,
				 cerr);
		free(cerr);
	} else if (!net_tls_new(n, host, saved, why, err)) {
		/* said */
	} else if (net_io(n, NET_OP_CONNECT, NULL, 0, deadline, &verdict) <= 0) {
		net_handshake_failure(n, verdict, why, err);
	} else if (!net_alpn_agreed(n)) {
		*why = NET_TLS;
		*err = xasprintf("%s does not speak %s (no matching ALPN): is it planregd?", n->where, NET_ALPN);
	} else {
		return true;
	}
	ERR_clear_error();
	return false;
}

/* What every context of n has: TLS 1.2 or later, never a passphrase prompt, ALPN; false with *why and *err. */
static bool net_ctx_base(struct net *n, enum net_failure *why, char **err)
{
	n->ctx = SSL_CTX_new(TLS_client_method());
	if (n->ctx == NULL) {
		*why = NET_TLS;
		*err = xasprintf("cannot set up TLS: %s", net_cred_ossl_reason());
		return false;
	}
	SSL_CTX_set_default_passwd_cb(n->ctx, net_cred_no_passphrase); /* never prompt on the terminal */
	SSL_CTX_set_min_proto_version(n->ctx, TLS1_2_VERSION);
	static const unsigned char alpn[] = "\x09" NET_ALPN;
	SSL_CTX_set_alpn_protos(n->ctx, alpn, sizeof alpn - 1);
	return true;
}

/*
 * The TLS context of n: the base, the server verified against s->ca
 * (or the system's CAs), our certificate and key, and the sessions
 * handed to net_new_session to be saved; false with *why and *err.
 */
static bool net_ctx_new(struct net *n, const struct settings *s, enum net_failure *why, char **err)
{
	if (!net_ctx_base(n, why, err))
		return false;
	SSL_CTX_set_verify(n->ctx, SSL_VERIFY_PEER, NULL);
	*why = NET_BAD_CREDENTIAL; /* what every failure from here on is */
	if (s->ca == NULL && SSL_CTX_set_default_verify_paths(n->ctx) != 1) {
		*err = xasprintf("cannot load the system's CA certificates: %s (set PLANREG_CA)",
				 net_cred_ossl_reason());
		return false;
	}
	X509 *leaf;
	unsigned char trust[SHA256_DIGEST_LENGTH] = {0}; /* all zero: the system's CA certificates */
	if ((s->ca != NULL && !net_cred_load_ca(n->ctx, s->ca, trust, err)) ||
	    !net_cred_load_cert(n->ctx, s->cert, &leaf, err))
		return false;
	bool key_ok = net_cred_load_key(n->ctx, s->key, leaf, s->cert, err);
	if (key_ok)
		n->session_path = net_session_path(s, n->where, leaf, trust);
	X509_free(leaf);
	if (!key_ok)
		return false;
	/* sessions come to net_new_session; nothing is kept inside OpenSSL */
	SSL_CTX_set_session_cache_mode(n->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(n->ctx, net_new_session);
	if (n->session_path != NULL)
		n->cache_dir = xstrdup(s->cache_dir);
	return true;
}

/* The connection, resuming the saved session when there is one; within one deadline for it all. */
static bool net_open(struct net *n, const char *host, const char *port, int timeout_ms, enum net_failure *why,
		     char **err)
{
	/* one deadline for the whole connection: TCP, the handshake and the retry below */
	n->timeout_ms = timeout_ms;
	uint64_t deadline = net_now_ms() + (uint64_t)timeout_ms;
	SSL_SESSION *saved = net_session_load(n->session_path);
	bool ok = net_handshake(n, deadline, host, port, saved, why, err);
	if (!ok && saved != NULL && *why == NET_TLS) {
		/* a saved session the server would not take must not cost the command: once more without */
		unlink(n->session_path);
		free(*err);
		*err = NULL;
		net_reset(n);
		ok = net_handshake(n, deadline, host, port, NULL, why, err);
	}
	if (saved != NULL)
		SSL_SESSION_free(saved);
	return ok;
}

/* A new n for server (host:port) in host and port, or NULL with *why and *err when it is not host:port. */
static struct net *net_new(const char *server, char *host, size_t hn, char *port, size_t pn, enum net_failure *why,
			   char **err)
{
	if (!net_split(server, host, hn, port, pn)) {
		*why = NET_BAD_SERVER;
		*err = xasprintf(
			"\"%s\" is not host:port with a port from 1 to 65535 (write e.g. planreg.example.org:7443; "
			"--server, PLANREG_SERVER or server = in client.conf)",
			server);
		return NULL;
	}
	struct net *n = xcalloc(1, sizeof *n);
	n->fd = -1;
	snprintf(n->where, sizeof n->where, "%s:%s", host, port);
	ERR_clear_error();
	return n;
}

/* n connected, or closed and NULL; *why NET_OK on success. */
static struct net *net_finish(struct net *n, bool ok, enum net_failure *why)
{
	ERR_clear_error();
	if (!ok) {
		net_close(n);
		return NULL;
	}
	*why = NET_OK;
	return n;
}

struct net *net_connect(const struct settings *s, enum net_failure *why, char **err)
{
	if (s->cert == NULL || s->key == NULL) {
		*why = NET_NO_CREDENTIAL;
		*err = xstrdup("no client certificate: set PLANREG_CERT and PLANREG_KEY (or --cert and --key) to your "
			       "certificate and key, or join with the invitation code the Combined Authority sent you "
			       "(planreg join CODE)");
		return NULL;
	}
	char host[256], port[32];
	struct net *n = net_new(s->server, host, sizeof host, port, sizeof port, why, err);
	if (n == NULL)
		return NULL;
	bool ok = net_ctx_new(n, s, why, err) && net_open(n, host, port, s->timeout_ms, why, err);
	return net_finish(n, ok, why);
}

struct net *net_connect_join(const char *server, const char *ca, int timeout_ms, enum net_failure *why, char **err)
{
	char host[256], port[32];
	struct net *n = net_new(server, host, sizeof host, port, sizeof port, why, err);
	if (n == NULL)
		return NULL;
	bool ok = net_ctx_base(n, why, err);
	if (ok && ca != NULL) {
		unsigned char trust[SHA256_DIGEST_LENGTH];
		SSL_CTX_set_verify(n->ctx, SSL_VERIFY_PEER, NULL);
		*why = NET_BAD_CREDENTIAL;
		ok = net_cred_load_ca(n->ctx, ca, trust, err);
	} else if (ok) {
		SSL_CTX_set_verify(n->ctx, SSL_VERIFY_NONE, NULL); /* only the CA is asked: the caller checks its pin */
	}
	ok = ok && net_open(n, host, port, timeout_ms, why, err);
	return net_finish(n, ok, why);
}

/* Why a read or write failed (net_io's verdict), in the user's terms. */
static void net_io_failure(struct net *n, int e, const char *doing, enum net_failure *why, char **err)
{
	unsigned long ossl = ERR_peek_last_error();
	if (e == SSL_ERROR_SSL && net_is_cert_refusal(ossl)) {
		/* TLS 1.3: the client's handshake "succeeds"; the refusal arrives with the first read */
		*why = NET_CERT_REFUSED;
		*err = xasprintf("the server at %s refused this client certificate (%s): it must be issued by the "
				 "deployment's CA",
				 n->where, net_ssl_reason());
	} else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0) ||
		   (e == SSL_ERROR_SSL && ERR_GET_REASON(ossl) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		*why = NET_PROTOCOL;
		*err = xasprintf("the server at %s closed the connection while %s", n->where, doing);
	} else if (e == NET_IO_TIMEOUT) {
		*why = NET_TIMEOUT;
		*err = xasprintf("no answer from %s while %s (timed out; PLANREG_TIMEOUT sets the limit)", n->where,
				 doing);
	} else {
		*why = NET_PROTOCOL;
		*err = xasprintf("connection to %s failed while %s: %s", n->where, doing,
				 ossl ? net_ssl_reason() : strerror(errno));
	}
	ERR_clear_error();
}

static bool net_read_full(struct net *n, uint8_t *buf, size_t len, uint64_t deadline, const char *doing,
			  enum net_failure *why, char **err)
{
	size_t got = 0;
	while (got < len) {
		int verdict = 0;
		int r = net_io(n, NET_OP_READ, buf + got, (int)(len - got), deadline, &verdict);
		if (r <= 0) {
			net_io_failure(n, verdict, doing, why, err);
			return false;
		}
		got += (size_t)r;
	}
	return true;
}

/* A return or review is signed with the key of our certificate (docs/verifiable-log.md, "Signed by their
 * submitters"): its signature field, which the caller leaves empty, is set to a malloc'd signature; NULL when
 * the request is of another kind. false: the key would not sign. */
static bool net_sign(struct net *n, Planreg__V1__Request *req, ProtobufCBinaryData **field)
{
	*field = req->body_case == PLANREG__V1__REQUEST__BODY_SUBMIT_UPDATE   ? &req->submit_update->signature
		 : req->body_case == PLANREG__V1__REQUEST__BODY_REVIEW_UPDATE ? &req->review_update->signature
									      : NULL;
	EVP_PKEY *key = n->ctx ? SSL_CTX_get0_privatekey(n->ctx) : NULL;
	struct buf msg = {0};
	if (*field == NULL || key == NULL || !submitsig_request_message(req, &msg)) {
		buf_free(&msg);
		*field = NULL; /* the server says what is wrong with the request */
		return true;
	}
	size_t len;
	(*field)->data = submitsig_sign(key, msg.data, msg.len, &len);
	(*field)->len = len;
	buf_free(&msg);
	return (*field)->data != NULL;
}

/* req, signed when it is a return or review, as a frame of FRAME_HEADER_BYTES + *len bytes (malloc'd); NULL with
 * *why and *err when the key would not sign. */
static uint8_t *net_frame(struct net *n, Planreg__V1__Request *req, size_t *len, enum net_failure *why, char **err)
{
	ProtobufCBinaryData *signature;
	if (!net_sign(n, req, &signature)) {
		*why = NET_BAD_CREDENTIAL;
		*err = xasprintf("the key of your certificate cannot sign: %s", net_ssl_reason());
		return NULL;
	}
	*len = planreg__v1__request__get_packed_size(req);
	uint8_t *frame = xmalloc(FRAME_HEADER_BYTES + *len);
	frame_put_header(frame, (uint32_t)*len);
	planreg__v1__request__pack(req, frame + FRAME_HEADER_BYTES);
	if (signature != NULL) {
		free(signature->data);
		*signature = (ProtobufCBinaryData){0};
	}
	return frame;
}

Planreg__V1__Response *net_call(struct net *n, Planreg__V1__Request *req, enum net_failure *why, char **err)
{
	/* one deadline for the request going out and the whole answer coming back */
	uint64_t deadline = net_now_ms() + (uint64_t)n->timeout_ms;
	req->id = ++n->next_id;
	size_t len;
	uint8_t *frame = net_frame(n, req, &len, why, err);
	if (frame == NULL)
		return NULL;
	int verdict = 0;
	if (net_io(n, NET_OP_WRITE, frame, (int)(FRAME_HEADER_BYTES + len), deadline, &verdict) <= 0) {
		/* the server may have refused us and said why: read that first (after a timeout, the read says so) */
		ERR_clear_error();
	}
	free(frame);

	uint8_t header[FRAME_HEADER_BYTES];
	if (!net_read_full(n, header, sizeof header, deadline, "waiting for the answer", why, err))
		return NULL;
	uint32_t body_len = frame_get_header(header);
	if (body_len == 0 || body_len > NET_MAX_RESPONSE) {
		*why = NET_PROTOCOL;
		*err = xasprintf("the server at %s sent a frame of %u bytes: not a planreg/1 server?", n->where,
				 body_len);
		return NULL;
	}
	uint8_t *body = xmalloc(body_len);
	if (!net_read_full(n, body, body_len, deadline, "reading the answer", why, err)) {
		free(body);
		return NULL;
	}
	Planreg__V1__Response *resp = planreg__v1__response__unpack(NULL, body_len, body);
	free(body);
	if (resp == NULL || (resp->id != req->id && resp->id != 0)) {
		if (resp)
			planreg__v1__response__free_unpacked(resp, NULL);
		*why = NET_PROTOCOL;
		*err = xasprintf("the server at %s sent an answer this client cannot read", n->where);
		return NULL;
	}
	if (resp->status == NULL) {
		planreg__v1__response__free_unpacked(resp, NULL);
		*why = NET_PROTOCOL;
		*err = xasprintf("the server at %s sent an answer without a status", n->where);
		return NULL;
	}
	if (!n->session_saved && resp->id != 0) {
		/* answered, so the server took this certificate; TLS 1.3 tickets have arrived by now */
		n->session_saved = true;
		net_session_save(n->session_path, n->session, n->cache_dir);
	}
	*why = NET_OK;
	return resp;
}

void net_set_tick(struct net *n, void (*tick)(void *arg), void *arg)
{
	n->tick = tick;
	n->tick_arg = arg;
	n->next_tick = net_now_ms() + NET_TICK_MS;
}

void net_close(struct net *n)
{
	if (n == NULL)
		return;
	if (n->ssl) {
		SSL_shutdown(n->ssl); /* close_notify if the socket takes it now; never waits */
		SSL_free(n->ssl);
	}
	if (n->fd >= 0)
		close(n->fd);
	if (n->ctx)
		SSL_CTX_free(n->ctx);
	if (n->session)
		SSL_SESSION_free(n->session);
	free(n->session_path);
	free(n->cache_dir);
	ERR_clear_error();
	free(n);
}
