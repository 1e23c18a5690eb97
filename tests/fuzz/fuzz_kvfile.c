/* fuzz_kvfile.c - fuzz target for proto/kvfile.c, the "key = value" reader of planregd's config file and
 * the CLI's client.conf. kvfile_read takes a path, so each input is written to an in-memory file
 * (memfd) and read through /proc/self/fd.
 *
 * Invariants: every setting it reports has a key and a value without surrounding whitespace or a line
 * break, a key without '=' that is not a comment, and a "file:line" whose lines increase; the settings
 * written out again as "key = value" lines read back as the same settings; a callback that says stop stops
 * the read with its own error; a line that is not a setting is refused with its file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "driver.h"
#include "kvfile.h"
#include "xmalloc.h"

/* What one read reported: the settings in order, and when to say stop. */
struct fuzz_kvfile_seen {
	const char *path;
	char **pairs; /* key, value, key, value, ... */
	size_t n;     /* strings in pairs */
	size_t cap;
	int last_line;
	size_t stop_after; /* refuse the setting after this many; 0 never */
};

static void fuzz_kvfile_seen_free(struct fuzz_kvfile_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->pairs[i]);
	free(s->pairs);
	s->pairs = NULL;
	s->n = s->cap = 0;
}

static bool fuzz_kvfile_trimmed(const char *s)
{
	size_t n = strlen(s);
	return n == 0 || (!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]));
}

static bool fuzz_kvfile_setting(const char *key, const char *value, const char *where, void *arg, char **err)
{
	struct fuzz_kvfile_seen *s = arg;
	fuzz_require(fuzz_kvfile_trimmed(key) && fuzz_kvfile_trimmed(value), "a key or value is not trimmed");
	fuzz_require(strchr(key, '\n') == NULL && strchr(value, '\n') == NULL, "a line break inside a setting");
	fuzz_require(strchr(key, '=') == NULL, "a key holds '='");
	fuzz_require(key[0] != '#', "a comment line read as a setting");
	size_t plen = strlen(s->path);
	fuzz_require(strncmp(where, s->path, plen) == 0 && where[plen] == ':', "where does not name the file");
	int line = atoi(where + plen + 1);
	fuzz_require(line > s->last_line, "settings' lines do not increase");
	s->last_line = line;
	if (s->stop_after != 0 && s->n / 2 == s->stop_after) {
		*err = xasprintf("%s: stop", where);
		return false;
	}
	s->pairs = xgrow(s->pairs, &s->cap, s->n + 2, sizeof *s->pairs);
	s->pairs[s->n++] = xstrdup(key);
	s->pairs[s->n++] = xstrdup(value);
	return true;
}

/* An in-memory file holding exactly data; reused from one input to the next. */
static int fuzz_kvfile_fd(int *fd, const void *data, size_t len)
{
	if (*fd < 0) {
		*fd = memfd_create("fuzz_kvfile", 0);
		if (*fd < 0) {
			fprintf(stderr, "fuzz_kvfile: memfd_create: %s\n", strerror(errno));
			abort();
		}
	}
	if (ftruncate(*fd, 0) != 0 || (len > 0 && pwrite(*fd, data, len, 0) != (ssize_t)len)) {
		fprintf(stderr, "fuzz_kvfile: writing the memfd: %s\n", strerror(errno));
		abort();
	}
	return *fd;
}

/* Reads data as a file; returns kvfile_read's result with *err (malloc'd) on false. */
static bool fuzz_kvfile_read(int *fd, const void *data, size_t len, struct fuzz_kvfile_seen *seen, char **err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fuzz_kvfile_fd(fd, data, len));
	seen->path = path;
	seen->last_line = 0;
	bool found = false;
	*err = NULL;
	bool ok = kvfile_read(path, false, &found, fuzz_kvfile_setting, seen, err);
	fuzz_require(found, "an existing file reported missing");
	fuzz_require(ok == (*err == NULL), "the result and the error disagree");
	if (!ok)
		fuzz_require(strncmp(*err, path, strlen(path)) == 0, "the error does not name the file");
	seen->path = NULL;
	return ok;
}

static int fuzz_kvfile_in = -1, fuzz_kvfile_out = -1;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_kvfile_seen first = {0};
	char *err;
	bool ok = fuzz_kvfile_read(&fuzz_kvfile_in, data, size, &first, &err);
	fuzz_accept(ok);
	free(err);

	/* what it read, written out in the canonical form, reads back the same */
	struct buf b = {0};
	for (size_t i = 0; i < first.n; i += 2)
		buf_printf(&b, "%s = %s\n", first.pairs[i], first.pairs[i + 1]);
	struct fuzz_kvfile_seen again = {0};
	fuzz_require(fuzz_kvfile_read(&fuzz_kvfile_out, b.data, b.len, &again, &err),
		     "settings written out do not read back");
	bool same = again.n == first.n;
	for (size_t i = 0; same && i < first.n; i++)
		same = strcmp(first.pairs[i], again.pairs[i]) == 0;
	fuzz_require(same, "settings written out read back differently");
	fuzz_kvfile_seen_free(&again);
	buf_free(&b);

	/* a callback that refuses a setting stops the read there, with its own error */
	size_t settings = first.n / 2;
	if (ok && settings >= 2) {
		struct fuzz_kvfile_seen stopped = {.stop_after = 1 + data[0] % (settings - 1)};
		fuzz_require(!fuzz_kvfile_read(&fuzz_kvfile_in, data, size, &stopped, &err) &&
				     strstr(err, ": stop") != NULL,
			     "a refused setting did not stop the read");
		fuzz_require(stopped.n / 2 == stopped.stop_after, "settings read after the stop");
		free(err);
		fuzz_kvfile_seen_free(&stopped);
	}
	fuzz_kvfile_seen_free(&first);
	return 0;
}

/* ---------------------------------------------------------------- for the driver */

static void fuzz_kvfile_seeds(struct fuzz_pool *pool)
{
	static const char *const seeds[] = {
		/* planregd.conf as deploy/quickstart.sh writes it */
		"# written by deploy/quickstart.sh\n"
		"listen_addr = 127.0.0.1\n"
		"listen_port = 7443\n"
		"http_addr = 127.0.0.1\n"
		"http_port = 7444\n"
		"tls_cert = /srv/planreg/var/pki/server.crt\n"
		"tls_key = /srv/planreg/var/pki/server.key\n"
		"tls_ca = /srv/planreg/var/pki/ca.crt\n"
		"db_dsn = host=/srv/planreg/var/pg port=5432 dbname=planreg user=planregd\n"
		"pid_file = /srv/planreg/var/planregd.pid\n",
		/* client.conf */
		"server = planreg.example.org:7443\r\n"
		"cert = ~/.config/planreg/me.crt\r\n"
		"key = ~/.config/planreg/me.key\r\n"
		"ca = /etc/planreg/ca.crt\r\n"
		"timeout = 30\r\n"
		"smtp = smtp://127.0.0.1:25\r\n"
		"smtp_from = planreg@example.org\r\n",
		"  # indented comment\n\n\t\nkey=value=with=equals\n = empty key\nempty value =\n",
		"no equals sign here\n",
		"a = b\nlast line without a break",
		"\xef\xbb\xbfkey = value after a byte order mark\n",
		"key = value # not a comment\n#key = commented\n",
	};
	fuzz_pool_add_strs(pool, seeds, sizeof seeds / sizeof seeds[0]);
	static const char nul[] = "a = b\0c\nd\0 = e\n";
	fuzz_pool_add(pool, nul, sizeof nul - 1);
}

static const char *const fuzz_kvfile_tokens[] = {
	"=", " = ", "\n", "\r\n", "#", "\t", " ", "\v", "\f", "listen_port", "db_dsn", "127.0.0.1", NULL,
};

const struct fuzz_target fuzz_target = {
	.name = "kvfile",
	.iterations = 5000,
	.max_len = 8192,
	.tokens = fuzz_kvfile_tokens,
	.seeds = fuzz_kvfile_seeds,
	.accepted_what = "were files kvfile_read accepted",
};
