/* log_sign.c - the verifiable log's key, origin and state file (see log_sign.h). */
#include "log_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "log.h"
#include "xmalloc.h"

#define LOG_SIGN_FILE_MAX 65536

/* The whole of a small file, NUL-terminated (malloc'd); NULL with errno set when it cannot be read. */
static char *log_sign_slurp(const char *path, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, st) != 0 || st->st_size > LOG_SIGN_FILE_MAX) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	char *data = xmalloc((size_t)st->st_size + 1);
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, data + got, (size_t)st->st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*len = got;
	return data;
}

static bool log_sign_read_key(struct log_signer *s, const char *path, char **err)
{
	size_t len;
	struct stat st;
	char *text = log_sign_slurp(path, &len, &st);
	if (text == NULL) {
		*err = xasprintf("log_key %s cannot be read: %s", path, strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		free(text);
		*err = xasprintf("log_key %s is readable by others (mode %03o): chmod 600 it, and make a new key if "
				 "anyone else may have read it",
				 path, (unsigned)(st.st_mode & 0777));
		return false;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	bool ok = note_signer_parse(text, &s->key) && s->key.type == NOTE_ED25519;
	explicit_bzero(text, len);
	free(text);
	if (!ok) {
		*err = xasprintf("log_key %s is not an Ed25519 signer key (PRIVATE+KEY+name+id+key, as `planregd "
				 "log-key` writes)",
				 path);
		return false;
	}
	note_signer_verifier(&s->key, &s->vkey);
	return true;
}

/* The state file: the last checkpoint signed, which this key must have signed for this origin. */
static bool log_sign_read_state(struct log_signer *s, char **err)
{
	size_t len;
	struct stat st;
	char *text = log_sign_slurp(s->state_path, &len, &st);
	if (text == NULL) {
		if (errno == ENOENT)
			return true; /* nothing signed yet */
		*err = xasprintf("log_state %s cannot be read: %s", s->state_path, strerror(errno));
		return false;
	}
	struct note n;
	struct checkpoint cp;
	const char *why = NULL;
	bool ok = note_open(text, len, &s->vkey, 1, &n, &why);
	if (ok) {
		ok = checkpoint_parse(n.text, n.text_len, &cp, &why);
		note_free(&n);
	}
	if (ok && strcmp(cp.origin, s->origin) != 0) {
		why = "it is for another origin";
		checkpoint_free(&cp);
		ok = false;
	}
	if (!ok) {
		*err = xasprintf("log_state %s is not a checkpoint this log_key signed for %s (%s): restore it, or "
				 "move it away to start over (the new checkpoints will then not be checked against it)",
				 s->state_path, s->origin, why ? why : "unreadable");
		free(text);
		return false;
	}
	s->size = cp.size;
	memcpy(s->root, cp.root, MERKLE_HASH_LEN);
	s->note = text;
	checkpoint_free(&cp);
	return true;
}

bool log_signer_open(struct log_signer *s, const struct config *cfg, char **err)
{
	memset(s, 0, sizeof *s);
	if (cfg->log_key[0] == '\0')
		return true;
	if (!log_sign_read_key(s, cfg->log_key, err))
		return false;
	if (cfg->log_origin[0] && strcmp(cfg->log_origin, s->key.name) != 0) {
		*err = xasprintf("log_origin is %s but log_key is named %s: a checkpoint's origin is its key's name",
				 cfg->log_origin, s->key.name);
		note_signer_wipe(&s->key);
		return false;
	}
	s->origin = xstrdup(s->key.name);
	s->state_path = cfg->log_state[0] ? xstrdup(cfg->log_state) : xasprintf("%s.state", cfg->log_key);
	if (!log_sign_read_state(s, err)) {
		log_signer_close(s);
		return false;
	}
	const char *pause = getenv("PLANREGD_TEST_SIGN_PAUSE_MS");
	s->test_pause_ms = pause != NULL ? strtol(pause, NULL, 10) : 0;
	s->done_pipe[0] = s->done_pipe[1] = -1;
	s->enabled = true;
	return true;
}

struct log_signer_idle {
	void (*fn)(void *arg);
	void *arg;
	struct log_signer_idle *next;
};

void log_signer_close(struct log_signer *s)
{
	if (s->done_ev != NULL)
		event_free(s->done_ev);
	if (!s->writing) /* a writer still running keeps its pipe (the process is ending) */
		for (int i = 0; i < 2; i++)
			if (s->done_pipe[i] >= 0)
				close(s->done_pipe[i]);
	while (s->idle != NULL) {
		struct log_signer_idle *next = s->idle->next;
		free(s->idle);
		s->idle = next;
	}
	note_signer_wipe(&s->key);
	free(s->origin);
	free(s->state_path);
	free(s->note);
	memset(s, 0, sizeof *s);
}

/* Writes data to path through a temporary file, synced, renamed over it, and the folder synced. */
static bool log_sign_write_atomic(const char *path, const char *data, size_t len, mode_t mode, bool exclusive,
				  char **err)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		off += ok ? (size_t)n : 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	if (ok)
		ok = exclusive ? link(tmp, path) == 0 : rename(tmp, path) == 0;
	int saved = errno;
	if (!ok || exclusive)
		unlink(tmp);
	if (ok) {
		char *dir = xstrdup(path);
		int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ok = dfd >= 0 && fsync(dfd) == 0;
		saved = errno;
		if (dfd >= 0)
			close(dfd);
		free(dir);
	}
	if (!ok)
		*err = xasprintf("cannot write %s: %s", path, strerror(saved));
	free(tmp);
	return ok;
}

/* One commit's write, handed to its thread: everything it needs is its own. */
struct log_sign_write {
	struct log_signer *s; /* read in the loop only */
	char *path, *note;
	long pause_ms;
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	log_signer_fn done;
	void *arg;
	char *err; /* set by the thread when the write failed */
};

/* The writing thread: the test pause, the write, then the job back to the loop through the pipe. */
static void *log_sign_writer(void *arg)
{
	struct log_sign_write *w = arg;
	if (w->pause_ms > 0) {
		struct timespec pause = {.tv_sec = w->pause_ms / 1000, .tv_nsec = (w->pause_ms % 1000) * 1000000L};
		while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
			;
	}
	char *err = NULL;
	if (!log_sign_write_atomic(w->path, w->note, strlen(w->note), 0600, false, &err))
		w->err = err;
	int fd = w->s->done_pipe[1];
	for (;;) { /* a pointer is far below PIPE_BUF: written whole or not at all */
		ssize_t n = write(fd, &w, sizeof w);
		if (n == (ssize_t)sizeof w || (n < 0 && errno != EINTR))
			break;
	}
	return NULL;
}

/* A write ended (in the loop): the tree is adopted when it succeeded, then its caller and the idle waiters go
 * on. */
static void log_sign_written(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct log_signer *s = arg;
	struct log_sign_write *w;
	ssize_t n = read(fd, &w, sizeof w);
	if (n != (ssize_t)sizeof w)
		return; /* EAGAIN or EINTR: the event comes again */
	s->writing = false;
	if (w->err == NULL) {
		free(s->note);
		s->note = w->note;
		w->note = NULL;
		s->size = w->size;
		memcpy(s->root, w->root, MERKLE_HASH_LEN);
		s->generation++;
		log_info("log_signed", "origin=%s size=%llu", s->origin, (unsigned long long)w->size);
	}
	w->done(w->arg, w->err);
	struct log_signer_idle *idle = s->idle;
	s->idle = NULL;
	while (idle != NULL && !s->writing) {
		struct log_signer_idle *next = idle->next;
		idle->fn(idle->arg);
		free(idle);
		idle = next;
	}
	if (idle != NULL) { /* a waiter began a new write: the rest wait for that one, in their order */
		struct log_signer_idle **tail = &idle;
		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = s->idle;
		s->idle = idle;
	}
	free(w->path);
	free(w->note);
	free(w->err);
	free(w);
}

bool log_signer_start(struct log_signer *s, struct event_base *base, char **err)
{
	if (!s->enabled)
		return true;
	if (pipe2(s->done_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		*err = xasprintf("cannot make the log signer's pipe: %s", strerror(errno));
		return false;
	}
	/* the writer's end blocks: a write of one pointer to an empty-ish pipe never waits long, and must not fail */
	int fl = fcntl(s->done_pipe[1], F_GETFL);
	if (fl >= 0)
		(void)fcntl(s->done_pipe[1], F_SETFL, fl & ~O_NONBLOCK);
	s->done_ev = event_new(base, s->done_pipe[0], EV_READ | EV_PERSIST, log_sign_written, s);
	if (s->done_ev == NULL || event_add(s->done_ev, NULL) != 0) {
		*err = xstrdup("cannot watch the log signer's pipe");
		return false;
	}
	return true;
}

bool log_signer_busy(const struct log_signer *s)
{
	return s->writing;
}

void log_signer_when_idle(struct log_signer *s, void (*fn)(void *arg), void *arg)
{
	struct log_signer_idle *w = xmalloc(sizeof *w), **tail = &s->idle;
	w->fn = fn;
	w->arg = arg;
	w->next = NULL;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = w;
}

void log_signer_commit(struct log_signer *s, uint64_t size, const uint8_t root[MERKLE_HASH_LEN], log_signer_fn done,
		       void *arg)
{
	struct checkpoint cp = {.origin = s->origin, .size = size, .extensions = NULL};
	memcpy(cp.root, root, MERKLE_HASH_LEN);
	char *text = checkpoint_format(&cp);
	char *note = text ? note_sign(text, strlen(text), &s->key, 1, 0) : NULL;
	free(text);
	if (note == NULL) {
		done(arg, "cannot make the checkpoint note");
		return;
	}
	struct log_sign_write *w = xcalloc(1, sizeof *w);
	*w = (struct log_sign_write){.s = s,
				     .path = xstrdup(s->state_path),
				     .note = note,
				     .pause_ms = s->test_pause_ms,
				     .size = size,
				     .done = done,
				     .arg = arg};
	memcpy(w->root, root, MERKLE_HASH_LEN);
	if (s->test_pause_ms > 0)
		log_info("log_sign_paused", "size=%llu ms=%ld", (unsigned long long)size, s->test_pause_ms);
	pthread_attr_t attr;
	pthread_t t;
	int rc = pthread_attr_init(&attr);
	if (rc == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &attr, log_sign_writer, w);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		char *why = xasprintf("cannot start the state file's writer: %s", strerror(rc));
		free(w->path);
		free(w->note);
		free(w);
		done(arg, why);
		free(why);
		return;
	}
	s->writing = true;
}

int log_sign_keygen(const struct config *cfg, FILE *out, char **err)
{
	if (cfg->log_key[0] == '\0') {
		*err = xstrdup("log_key is not set: say where the key goes (log_key = /path, or PLANREGD_LOG_KEY)");
		return 2;
	}
	if (access(cfg->log_key, F_OK) == 0) {
		*err = xasprintf("log_key %s already exists: planregd log-key never replaces a key (checkpoints signed "
				 "with it would no longer verify); move it away first if you really mean to",
				 cfg->log_key);
		return 1;
	}
	char host[256] = "localhost";
	if (gethostname(host, sizeof host - 1) != 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	char *name = cfg->log_origin[0] ? xstrdup(cfg->log_origin) : xasprintf("%s/planreg", host);
	struct note_signer key;
	if (!note_name_valid(name) || !note_keygen(name, NOTE_ED25519, &key)) {
		*err = xasprintf("\"%s\" cannot name a log (no spaces or +, at most %d bytes): set log_origin", name,
				 NOTE_NAME_MAX);
		free(name);
		return 2;
	}
	free(name);
	char *text = note_signer_format(&key);
	char *line = xasprintf("%s\n", text);
	explicit_bzero(text, strlen(text));
	free(text);
	bool ok = log_sign_write_atomic(cfg->log_key, line, strlen(line), 0600, true, err);
	explicit_bzero(line, strlen(line));
	free(line);
	if (!ok) {
		note_signer_wipe(&key);
		return 1;
	}
	struct note_verifier v;
	note_signer_verifier(&key, &v);
	note_signer_wipe(&key);
	char *vkey = note_verifier_format(&v);
	fprintf(out, "%s\n", vkey);
	free(vkey);
	return 0;
}
