/* net.c - the CLI's blocking TLS connection to planregd (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "frame.h"
#include "net_session.h"
#include "xmalloc.h"

#define NET_ALPN "planreg/1"
#define NET_MAX_RESPONSE (64u * 1024 * 1024)
/* Certificates and keys are a few kilobytes; anything this large is not one. */
#define NET_MAX_PEM_FILE (1024 * 1024)

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
		/* a request goes out at once rather than waiting for the ACK of the previous one */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	freeaddrinfo(res);
	if (fd < 0)
		*err = xstrdup(strerror(last));
	return fd;
}

/* ---------------------------------------------------------------- credentials
 *
 * The CA certificate, the client certificate and its key are read here rather
 * than by SSL_CTX_*_file, so that a problem is said in the user's terms, naming
 * the file: "cannot read the client key K: no such file", "the key K does not
 * match the certificate C", "C is not a PEM certificate", instead of OpenSSL's
 * "system lib" or "PEM lib". Nothing here ever prompts for a passphrase.
 */

/* Always refuses to supply a passphrase: the CLI runs in scripts and timers, so it must never stop to ask. */
static int net_no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	return 0;
}

/* A file's contents, NUL-terminated, for the PEM reader and for looking at its labels. */
struct net_pem {
	char *text;
	size_t len;
};

static const char *net_errno_words(int e)
{
	switch (e) {
	case ENOENT:
		return "no such file";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EISDIR:
		return "it is a directory";
	case ENOTDIR:
		return "a part of the path is not a directory";
	default:
		return strerror(e);
	}
}

/* The earliest OpenSSL error queued (the cause rather than its consequences), in words; clears the queue. */
static const char *net_ossl_reason(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	const char *lib = e ? ERR_lib_error_string(e) : NULL;
	if (reason == NULL)
		snprintf(buf, sizeof buf, "OpenSSL error %lu", e);
	else if (lib != NULL)
		snprintf(buf, sizeof buf, "%s (%s)", reason, lib);
	else
		snprintf(buf, sizeof buf, "%s", reason);
	ERR_clear_error();
	return buf;
}

/* Reads path whole; false with *err saying which file (what: "the client key") and why it cannot be read. */
static bool net_read_pem(const char *what, const char *path, struct net_pem *out, char **err)
{
	out->text = NULL;
	out->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("cannot read %s %s: %s", what, path, net_errno_words(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		*err = xasprintf("cannot read %s %s: %s", what, path, net_errno_words(e));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*err = xasprintf("cannot read %s %s: %s", what, path,
				 S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file");
		return false;
	}
	if (st.st_size > NET_MAX_PEM_FILE) {
		close(fd);
		*err = xasprintf("%s %s is %lld bytes: too large to be a PEM file", what, path, (long long)st.st_size);
		return false;
	}
	out->text = xmalloc((size_t)st.st_size + 1);
	while (out->len < (size_t)st.st_size) {
		ssize_t n = read(fd, out->text + out->len, (size_t)st.st_size - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : 0;
			close(fd);
			free(out->text);
			out->text = NULL;
			*err = xasprintf("cannot read %s %s: %s", what, path,
					 e ? net_errno_words(e) : "it got shorter");
			return false;
		}
		out->len += (size_t)n;
	}
	close(fd);
	out->text[out->len] = '\0';
	if (out->len == 0) {
		free(out->text);
		out->text = NULL;
		*err = xasprintf("%s %s is empty", what, path);
		return false;
	}
	return true;
}

static bool net_pem_has(const struct net_pem *p, const char *label)
{
	return strstr(p->text, label) != NULL;
}

/* The CA certificates (one or more) into the context's trust store. */
static bool net_load_ca(SSL_CTX *ctx, const char *path, unsigned char digest[SHA256_DIGEST_LENGTH], char **err)
{
	struct net_pem pem;
	if (!net_read_pem("the CA certificate", path, &pem, err))
		return false;
	SHA256((const unsigned char *)pem.text, pem.len, digest); /* the trust a saved session was made under */
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	int n = 0;
	bool ok = true;
	X509 *x;
	while (ok && (x = PEM_read_bio_X509(bio, NULL, net_no_passphrase, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) != 1) {
			*err = xasprintf("cannot use the CA certificate %s: %s", path, net_ossl_reason());
			ok = false;
		}
		X509_free(x);
		n++;
	}
	if (ok && n == 0)
		*err = net_pem_has(&pem, "-----BEGIN CERTIFICATE-----")
			       ? xasprintf("the CA certificate %s cannot be read: %s", path, net_ossl_reason())
			       : xasprintf("the CA certificate %s is not a PEM certificate (it has no \"-----BEGIN "
					   "CERTIFICATE-----\" line)",
					   path);
	ok = ok && n > 0;
	ERR_clear_error(); /* the read that ended the loop found no further certificate: not an error */
	BIO_free(bio);
	free(pem.text);
	return ok;
}

/* The client certificate (then any intermediates after it in the same file); *leaf is the first. */
static bool net_load_cert(SSL_CTX *ctx, const char *path, X509 **leaf, char **err)
{
	*leaf = NULL;
	struct net_pem pem;
	if (!net_read_pem("the client certificate", path, &pem, err))
		return false;
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	bool ok = false;
	X509 *x = PEM_read_bio_X509_AUX(bio, NULL, net_no_passphrase, NULL);
	if (x == NULL) {
		if (net_pem_has(&pem, "PRIVATE KEY-----"))
			*err = xasprintf("the client certificate %s holds a private key, not a certificate (are the "
					 "certificate and the key the wrong way round?)",
					 path);
		else if (!net_pem_has(&pem, "-----BEGIN CERTIFICATE-----") &&
			 !net_pem_has(&pem, "-----BEGIN TRUSTED CERTIFICATE-----"))
			*err = xasprintf("the client certificate %s is not a PEM certificate (it has no \"-----BEGIN "
					 "CERTIFICATE-----\" line)",
					 path);
		else
			*err = xasprintf("the client certificate %s cannot be read: %s", path, net_ossl_reason());
	} else if (SSL_CTX_use_certificate(ctx, x) != 1) {
		*err = xasprintf("cannot use the client certificate %s: %s", path, net_ossl_reason());
	} else {
		ok = true;
		X509 *ca;
		while (ok && (ca = PEM_read_bio_X509(bio, NULL, net_no_passphrase, NULL)) != NULL) {
			if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
				X509_free(ca);
				*err = xasprintf("cannot use the certificates after the first in %s: %s", path,
						 net_ossl_reason());
				ok = false;
			}
		}
		ERR_clear_error(); /* the end of the file */
	}
	BIO_free(bio);
	free(pem.text);
	if (ok)
		*leaf = x;
	else
		X509_free(x);
	return ok;
}

/* The client key, which must be the certificate's. */
static bool net_load_key(SSL_CTX *ctx, const char *path, X509 *leaf, const char *cert_path, char **err)
{
	struct net_pem pem;
	if (!net_read_pem("the client key", path, &pem, err))
		return false;
	if (net_pem_has(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") || net_pem_has(&pem, "Proc-Type: 4,ENCRYPTED")) {
		*err = xasprintf("the client key %s is protected by a passphrase, and planreg never asks for one: "
				 "keep a copy without it (openssl pkey -in %s -out KEY) where only you can read it, "
				 "and use that",
				 path, path);
		free(pem.text);
		return false;
	}
	BIO *bio = BIO_new_mem_buf(pem.text, (int)pem.len);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, net_no_passphrase, NULL);
	BIO_free(bio);
	bool ok = false;
	if (key == NULL) {
		if (!net_pem_has(&pem, "PRIVATE KEY-----") && net_pem_has(&pem, "-----BEGIN CERTIFICATE-----"))
			*err = xasprintf(
				"the client key %s holds a certificate, not a private key (are the certificate "
				"and the key the wrong way round?)",
				path);
		else if (!net_pem_has(&pem, "PRIVATE KEY-----"))
			*err = xasprintf("the client key %s is not a PEM private key (it has no \"-----BEGIN PRIVATE "
					 "KEY-----\" line)",
					 path);
		else
			*err = xasprintf("the client key %s cannot be read: %s", path, net_ossl_reason());
	} else if (X509_check_private_key(leaf, key) != 1) {
		ERR_clear_error();
		*err = xasprintf("the key %s does not match the certificate %s: give the key that was made with that "
				 "certificate",
				 path, cert_path);
	} else if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		*err = xasprintf("cannot use the key %s with the certificate %s: %s", path, cert_path,
				 net_ossl_reason());
	} else {
		ok = true;
	}
	EVP_PKEY_free(key);
	free(pem.text);
	return ok;
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

/* TCP, then the TLS handshake offering saved (may be NULL), then ALPN; false with *why and *err. */
static bool net_handshake(struct net *n, const struct settings *s, const char *host, const char *port,
			  SSL_SESSION *saved, enum net_failure *why, char **err)
{
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
	if (n->ssl == NULL) {
		*why = NET_TLS;
		*err = xasprintf("cannot set up TLS: %s", net_ossl_reason());
		goto fail;
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
		} else if (e == 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			*why = NET_TIMEOUT;
			*err = xasprintf(
				"no answer from %s during the TLS handshake (timed out; PLANREG_TIMEOUT sets the "
				"limit)",
				n->where);
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
	return true;
fail:
	ERR_clear_error();
	return false;
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
	if (n->ctx == NULL) {
		*why = NET_TLS;
		*err = xasprintf("cannot set up TLS: %s", net_ossl_reason());
		goto fail;
	}
	SSL_CTX_set_default_passwd_cb(n->ctx, net_no_passphrase); /* never prompt on the terminal */
	SSL_CTX_set_min_proto_version(n->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(n->ctx, SSL_VERIFY_PEER, NULL);
	if (s->ca == NULL && SSL_CTX_set_default_verify_paths(n->ctx) != 1) {
		*why = NET_BAD_CREDENTIAL;
		*err = xasprintf("cannot load the system's CA certificates: %s (set PLANREG_CA)", net_ossl_reason());
		goto fail;
	}
	X509 *leaf;
	unsigned char trust[SHA256_DIGEST_LENGTH] = {0}; /* all zero: the system's CA certificates */
	if ((s->ca != NULL && !net_load_ca(n->ctx, s->ca, trust, err)) || !net_load_cert(n->ctx, s->cert, &leaf, err)) {
		*why = NET_BAD_CREDENTIAL;
		goto fail;
	}
	bool key_ok = net_load_key(n->ctx, s->key, leaf, s->cert, err);
	if (key_ok)
		n->session_path = net_session_path(s, n->where, leaf, trust);
	X509_free(leaf);
	if (!key_ok) {
		*why = NET_BAD_CREDENTIAL;
		goto fail;
	}
	static const unsigned char alpn[] = "\x09" NET_ALPN;
	SSL_CTX_set_alpn_protos(n->ctx, alpn, sizeof alpn - 1);
	/* sessions come to net_new_session; nothing is kept inside OpenSSL */
	SSL_CTX_set_session_cache_mode(n->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(n->ctx, net_new_session);
	if (n->session_path != NULL)
		n->cache_dir = xstrdup(s->cache_dir);

	SSL_SESSION *saved = net_session_load(n->session_path);
	bool ok = net_handshake(n, s, host, port, saved, why, err);
	if (!ok && saved != NULL && *why == NET_TLS) {
		/* a saved session the server would not take must not cost the command: once more without */
		unlink(n->session_path);
		free(*err);
		*err = NULL;
		net_reset(n);
		ok = net_handshake(n, s, host, port, NULL, why, err);
	}
	if (saved != NULL)
		SSL_SESSION_free(saved);
	if (!ok)
		goto fail;
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
	if (!n->session_saved && resp->id != 0) {
		/* answered, so the server took this certificate; TLS 1.3 tickets have arrived by now */
		n->session_saved = true;
		net_session_save(n->session_path, n->session, n->cache_dir);
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
	if (n->session)
		SSL_SESSION_free(n->session);
	free(n->session_path);
	free(n->cache_dir);
	ERR_clear_error();
	free(n);
}
