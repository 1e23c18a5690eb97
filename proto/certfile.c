/* certfile.c - certificates and keys read from files, and their fingerprints (see certfile.h). */
#include "certfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"
#include "xmalloc.h"

/* Reads exactly want bytes from fd into buf; false with errno set (0 when the file got shorter). */
static bool certfile_read_all(int fd, unsigned char *buf, size_t want)
{
	size_t got = 0;
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return false;
		}
		got += (size_t)n;
	}
	return true;
}

/* Why fstat's answer rules the file out, or NULL when it is a regular file of a size we read. */
static char *certfile_unsuitable(const char *what, const char *path, const struct stat *st, size_t max)
{
	if (S_ISDIR(st->st_mode))
		return xasprintf("cannot read %s %s: it is a directory", what, path);
	if (!S_ISREG(st->st_mode))
		return xasprintf("cannot read %s %s: it is not a regular file", what, path);
	if (st->st_size == 0)
		return xasprintf("%s %s is empty", what, path);
	if ((unsigned long long)st->st_size > max)
		return xasprintf("%s %s is %lld bytes: too large to be a certificate or a key (at most %zu)", what,
				 path, (long long)st->st_size, max);
	return NULL;
}

unsigned char *certfile_read(const char *what, const char *path, size_t max, size_t *len, mode_t *mode, char **err)
{
	/* O_NONBLOCK: a FIFO put where a key should be must not hang the daemon's start; fstat refuses it next */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*err = xasprintf("cannot read %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		*err = xasprintf("cannot read %s %s: %s", what, path, strerror(errno));
		close(fd);
		return NULL;
	}
	*err = certfile_unsuitable(what, path, &st, max);
	if (*err != NULL) {
		close(fd);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	unsigned char *buf = xmalloc(n + 1);
	if (!certfile_read_all(fd, buf, n)) {
		int e = errno;
		close(fd);
		certfile_free_secret(buf, n);
		*err = xasprintf("cannot read %s %s: %s", what, path, e ? strerror(e) : "it got shorter while read");
		return NULL;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	*mode = st.st_mode & 07777;
	return buf;
}

void certfile_free_secret(void *data, size_t len)
{
	if (data == NULL)
		return;
	OPENSSL_cleanse(data, len);
	free(data);
}

/* Never supplies a passphrase: nothing here may stop to ask for one. */
static int certfile_no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	return 0;
}

/* Whether data looks like PEM: a "-----BEGIN " line somewhere (text may come before it). */
static bool certfile_is_pem(const unsigned char *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	return len >= sizeof begin - 1 && memmem(data, len, begin, sizeof begin - 1) != NULL;
}

X509 *certfile_parse_cert(const unsigned char *data, size_t len)
{
	if (len == 0 || len > CERTFILE_MAX)
		return NULL;
	X509 *x = NULL;
	if (certfile_is_pem(data, len)) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);
		if (bio != NULL)
			x = PEM_read_bio_X509(bio, NULL, certfile_no_passphrase, NULL);
		BIO_free(bio);
	} else {
		const unsigned char *p = data;
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && p != data + len) { /* bytes after the certificate: not a DER certificate file */
			X509_free(x);
			x = NULL;
		}
	}
	ERR_clear_error();
	return x;
}

X509 *certfile_load_cert(const char *what, const char *path, char **err)
{
	size_t len;
	mode_t mode;
	unsigned char *data = certfile_read(what, path, CERTFILE_MAX, &len, &mode, err);
	if (data == NULL)
		return NULL;
	X509 *x = certfile_parse_cert(data, len);
	if (x == NULL)
		*err = certfile_is_pem(data, len)
			       ? xasprintf("%s %s holds no certificate that can be read (a PEM file needs a "
					   "\"-----BEGIN CERTIFICATE-----\" block)",
					   what, path)
			       : xasprintf("%s %s is neither a PEM nor a DER certificate", what, path);
	free(data);
	return x;
}

void certfile_fingerprint_der(const unsigned char *der, size_t len, char out[CERTFILE_FP_SIZE])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(der, len, md);
	text_hex(md, sizeof md, out);
}

bool certfile_fingerprint(X509 *cert, char out[CERTFILE_FP_SIZE])
{
	/* the call server/tls.c makes on a peer's certificate, so both sides agree by construction */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	bool ok = X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == SHA256_DIGEST_LENGTH;
	if (ok)
		text_hex(md, n, out);
	ERR_clear_error();
	return ok;
}

bool certfile_fingerprint_file(const char *path, char out[CERTFILE_FP_SIZE], char **err)
{
	X509 *x = certfile_load_cert("the CA certificate", path, err);
	if (x == NULL)
		return false;
	bool ok = certfile_fingerprint(x, out);
	if (!ok)
		*err = xasprintf("the CA certificate %s cannot be encoded to take its fingerprint", path);
	X509_free(x);
	return ok;
}
