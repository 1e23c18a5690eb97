/* net_session.c - the CLI's cache of TLS sessions (see net_session.h).
 *
 * A command resumes the TLS session of the one before it (one round trip and no
 * certificate checks instead of a full handshake). Sessions are kept in the cache
 * directory, one file per server host:port, client certificate (a session belongs to
 * the identity that made it) and CA file (resuming skips the server's certificate check), readable by the user alone: a
 * session holds the secret that resumes it. The cache is an optimisation only: a file that is missing, unreadable,
 * corrupt, foreign or too open is ignored and replaced, and no failure to save it is
 * reported. TLS 1.3 tickets arrive after the handshake, so the session is saved once the
 * first answer has been read. */
#include "net_session.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

/* A saved TLS session (its ticket carries our certificate) is a few kilobytes. */
#define NET_MAX_SESSION_FILE (64 * 1024)

/* Never ask for a passphrase on the terminal. */
static int net_session_no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return 0;
}

/* The cache file of this server, certificate and trust: a SHA-256 of the three, in hex. A resumed
 * session skips the server's certificate check, so a session made under another CA must not be used. */
char *net_session_path(const struct settings *s, const char *where, X509 *leaf,
		       const unsigned char trust[SHA256_DIGEST_LENGTH])
{
	unsigned char fp[EVP_MAX_MD_SIZE], key[SHA256_DIGEST_LENGTH];
	unsigned int fn = 0;
	if (s->cache_dir == NULL || X509_digest(leaf, EVP_sha256(), fp, &fn) != 1) {
		ERR_clear_error();
		return NULL;
	}
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < fn; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
	char thex[2 * SHA256_DIGEST_LENGTH + 1];
	for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(thex + 2 * i, 3, "%02x", trust[i]);
	char *id = xasprintf("%s\n%s\n%s", where, hex, thex);
	SHA256((const unsigned char *)id, strlen(id), key);
	free(id);
	for (unsigned int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	return xasprintf("%s/session-%s.pem", s->cache_dir, hex);
}

/* The saved session, or NULL (no file, or one not to be trusted: the caller does without). */
SSL_SESSION *net_session_load(const char *path)
{
	if (path == NULL)
		return NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	SSL_SESSION *sess = NULL;
	char *buf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0 ||
	    st.st_size <= 0 || st.st_size > NET_MAX_SESSION_FILE)
		goto out;
	buf = xmalloc((size_t)st.st_size);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	BIO *bio = BIO_new_mem_buf(buf, (int)got);
	sess = bio ? PEM_read_bio_SSL_SESSION(bio, NULL, net_session_no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (sess != NULL && SSL_SESSION_is_resumable(sess) != 1) {
		SSL_SESSION_free(sess);
		sess = NULL;
	}
out:
	ERR_clear_error();
	free(buf);
	close(fd);
	return sess;
}

/* Makes dir (and its parent) with mode 0700 when missing; true when it is ours and closed to others. */
static bool net_session_cache_dir(const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) != 0) {
		char *parent = xstrdup(dir);
		char *slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			mkdir(parent, 0700); /* ~/.cache may not exist yet; an existing one is left as it is */
		}
		free(parent);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return false;
		if (lstat(dir, &st) != 0)
			return false;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return false;
	return (st.st_mode & 077) == 0 || chmod(dir, 0700) == 0;
}

/* Writes the session beside its file and renames it into place: a reader never sees half of one. */
void net_session_save(const char *path, SSL_SESSION *session, const char *cache_dir)
{
	if (path == NULL || session == NULL || SSL_SESSION_is_resumable(session) != 1 ||
	    !net_session_cache_dir(cache_dir))
		return;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len = 0;
	if (bio == NULL || PEM_write_bio_SSL_SESSION(bio, session) != 1 || (len = BIO_get_mem_data(bio, &data)) <= 0) {
		BIO_free(bio);
		ERR_clear_error();
		return;
	}
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && fchmod(fd, 0600) == 0;
	for (long off = 0; ok && off < len;) {
		ssize_t w = write(fd, data + off, (size_t)(len - off));
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += w > 0 ? w : 0;
	}
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
	free(tmp);
	BIO_free(bio);
	ERR_clear_error();
}
