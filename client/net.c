/* net.c - the CLI's blocking TLS connection to planregd (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "frame.h"
#include "xmalloc.h"

#define NET_ALPN "planreg/1"
#define NET_MAX_RESPONSE (64u * 1024 * 1024)

struct net {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char where[300]; /* host:port, for messages */
	uint64_t next_id;
};

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
	return host[0] != '\0' && port[0] != '\0';
}

static int net_tcp_connect(const char *host, const char *port, int timeout_ms, char **err)
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
		int ready = poll(&p, 1, timeout_ms);
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
		fcntl(fd, F_SETFL, flags);
	}
	freeaddrinfo(res);
	if (fd < 0)
		*err = xstrdup(strerror(last));
	return fd;
}

struct net *net_connect(const struct settings *s, enum net_failure *why, char **err)
{
	if (s->cert == NULL || s->key == NULL) {
		*why = NET_NO_CREDENTIAL;
		*err = xstrdup("no client certificate: set PLANREG_CERT and PLANREG_KEY (or --cert and --key) to your "
			       "certificate and key");
		return NULL;
	}
	char host[256], port[32];
	if (!net_split(s->server, host, sizeof host, port, sizeof port)) {
		*why = NET_CONNECT;
		*err = xasprintf("\"%s\" is not host:port (set PLANREG_SERVER)", s->server);
		return NULL;
	}
	struct net *n = xcalloc(1, sizeof *n);
	n->fd = -1;
	snprintf(n->where, sizeof n->where, "%s:%s", host, port);
	ERR_clear_error();

	n->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(n->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(n->ctx, SSL_VERIFY_PEER, NULL);
	if (s->ca ? SSL_CTX_load_verify_locations(n->ctx, s->ca, NULL) != 1
		  : SSL_CTX_set_default_verify_paths(n->ctx) != 1) {
		*why = NET_BAD_CREDENTIAL;
		*err = xasprintf("cannot load the CA certificate %s: %s (set PLANREG_CA)", s->ca ? s->ca : "(default)",
				 net_ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(n->ctx, s->cert) != 1) {
		*why = NET_BAD_CREDENTIAL;
		*err = xasprintf("cannot load the client certificate %s: %s", s->cert, net_ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(n->ctx, s->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(n->ctx) != 1) {
		*why = NET_BAD_CREDENTIAL;
		*err = xasprintf("cannot use the key %s with certificate %s: %s", s->key, s->cert, net_ssl_reason());
		goto fail;
	}
	static const unsigned char alpn[] = "\x09" NET_ALPN;
	SSL_CTX_set_alpn_protos(n->ctx, alpn, sizeof alpn - 1);

	char *cerr = NULL;
	n->fd = net_tcp_connect(host, port, s->timeout_ms, &cerr);
	if (n->fd < 0) {
		*why = NET_CONNECT;
		*err = xasprintf("cannot connect to %s: %s (is planregd running there? check PLANREG_SERVER)", n->where,
				 cerr);
		free(cerr);
		goto fail;
	}
	struct timeval tv = {s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000};
	setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(n->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

	n->ssl = SSL_new(n->ctx);
	SSL_set_fd(n->ssl, n->fd);
	struct in6_addr a6;
	struct in_addr a4;
	bool is_ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
	if (is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(n->ssl), host);
	} else {
		SSL_set_tlsext_host_name(n->ssl, host);
		SSL_set1_host(n->ssl, host);
	}
	if (SSL_connect(n->ssl) != 1) {
		long vr = SSL_get_verify_result(n->ssl);
		unsigned long e = ERR_peek_last_error();
		if (vr != X509_V_OK) {
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
		goto fail;
	}
	const unsigned char *proto = NULL;
	unsigned int plen = 0;
	SSL_get0_alpn_selected(n->ssl, &proto, &plen);
	if (plen != sizeof NET_ALPN - 1 || memcmp(proto, NET_ALPN, plen) != 0) {
		*why = NET_TLS;
		*err = xasprintf("%s does not speak %s (no matching ALPN): is it planregd?", n->where, NET_ALPN);
		goto fail;
	}
	ERR_clear_error();
	*why = NET_OK;
	return n;
fail:
	ERR_clear_error();
	net_close(n);
	return NULL;
}

/* Why a read or write failed, in the user's terms. */
static void net_io_failure(struct net *n, int ret, const char *doing, enum net_failure *why, char **err)
{
	int e = SSL_get_error(n->ssl, ret);
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
	} else if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
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

static bool net_read_full(struct net *n, uint8_t *buf, size_t len, const char *doing, enum net_failure *why, char **err)
{
	size_t got = 0;
	while (got < len) {
		errno = 0;
		int r = SSL_read(n->ssl, buf + got, (int)(len - got));
		if (r <= 0) {
			net_io_failure(n, r, doing, why, err);
			return false;
		}
		got += (size_t)r;
	}
	return true;
}

Planreg__V1__Response *net_call(struct net *n, Planreg__V1__Request *req, enum net_failure *why, char **err)
{
	req->id = ++n->next_id;
	size_t len = planreg__v1__request__get_packed_size(req);
	uint8_t *frame = xmalloc(FRAME_HEADER_BYTES + len);
	frame_put_header(frame, (uint32_t)len);
	planreg__v1__request__pack(req, frame + FRAME_HEADER_BYTES);
	errno = 0;
	int w = SSL_write(n->ssl, frame, (int)(FRAME_HEADER_BYTES + len));
	free(frame);
	if (w <= 0) {
		/* the server may have refused us and said why: read that first */
		ERR_clear_error();
	}

	uint8_t header[FRAME_HEADER_BYTES];
	if (!net_read_full(n, header, sizeof header, "waiting for the answer", why, err))
		return NULL;
	uint32_t body_len = frame_get_header(header);
	if (body_len == 0 || body_len > NET_MAX_RESPONSE) {
		*why = NET_PROTOCOL;
		*err = xasprintf("the server at %s sent a frame of %u bytes: not a planreg/1 server?", n->where,
				 body_len);
		return NULL;
	}
	uint8_t *body = xmalloc(body_len);
	if (!net_read_full(n, body, body_len, "reading the answer", why, err)) {
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
	*why = NET_OK;
	return resp;
}

void net_close(struct net *n)
{
	if (n == NULL)
		return;
	if (n->ssl) {
		SSL_shutdown(n->ssl);
		SSL_free(n->ssl);
	}
	if (n->fd >= 0)
		close(n->fd);
	if (n->ctx)
		SSL_CTX_free(n->ctx);
	ERR_clear_error();
	free(n);
}
