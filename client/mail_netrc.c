/* mail_netrc.c - the SMTP login from ~/.netrc, read here rather than by libcurl, so that mail.c knows a
 * password is about to be sent and requires TLS for it (docs/decisions.md): libcurl's own netrc reading
 * happens inside the transfer, after the choice between STARTTLS-if-offered and STARTTLS-required has
 * been made, and so sent a password from ~/.netrc over plain TCP.
 *
 * The file as ftp(1) and libcurl read it: words separated by white space (newlines included); a word may
 * be written in double quotes, with \" \\ \n \r \t inside; `machine NAME` starts an entry, `default` an
 * entry for any machine (only after every `machine`), `login`, `password` and `account` take the next
 * word; `macdef NAME` is followed by lines up to an empty one, which are skipped. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "mail.h"
#include "xmalloc.h"

#define MAIL_NETRC_MAX (1 << 20)

struct mail_netrc_lexer {
	const char *p;
};

/* The next word (malloc'd), or NULL at the end. */
static char *mail_netrc_word(struct mail_netrc_lexer *x)
{
	while (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r' || *x->p == '\f' || *x->p == '\v')
		x->p++;
	if (*x->p == '\0')
		return NULL;
	struct buf b = {0};
	if (*x->p == '"') {
		for (x->p++; *x->p != '\0' && *x->p != '"'; x->p++) {
			char c = *x->p;
			if (c == '\\' && x->p[1] != '\0') {
				c = *++x->p;
				c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
			}
			buf_putc(&b, c);
		}
		if (*x->p == '"')
			x->p++;
	} else {
		while (*x->p != '\0' && strchr(" \t\n\r\f\v", *x->p) == NULL)
			buf_putc(&b, *x->p++);
	}
	buf_putc(&b, '\0'); /* an empty quoted word is a word */
	return buf_take(&b);
}

/* Skips a macdef's lines: everything up to an empty line. */
static void mail_netrc_skip_macro(struct mail_netrc_lexer *x)
{
	const char *end = strstr(x->p, "\n\n");
	x->p = end ? end + 2 : x->p + strlen(x->p);
}

static void mail_netrc_set(char **slot, char *word)
{
	if (*slot) {
		explicit_bzero(*slot, strlen(*slot));
		free(*slot);
	}
	*slot = word;
}

/* One entry's login and password, from after its `machine NAME` or `default` to the next entry. Returns
 * the word that ended it (machine, default: malloc'd) or NULL at the end of the text. */
static char *mail_netrc_entry(struct mail_netrc_lexer *x, char **login, char **password)
{
	char *w;
	while ((w = mail_netrc_word(x)) != NULL) {
		if (strcmp(w, "machine") == 0 || strcmp(w, "default") == 0)
			return w;
		if (strcmp(w, "login") == 0)
			mail_netrc_set(login, mail_netrc_word(x));
		else if (strcmp(w, "password") == 0)
			mail_netrc_set(password, mail_netrc_word(x));
		else if (strcmp(w, "account") == 0)
			mail_netrc_set(&(char *){NULL}, mail_netrc_word(x));
		else if (strcmp(w, "macdef") == 0) {
			free(mail_netrc_word(x));
			mail_netrc_skip_macro(x);
		}
		free(w);
	}
	return NULL;
}

/* Whether an entry's login fits the user asked for (any, when none was). */
static bool mail_netrc_fits(const char *want, const char *login)
{
	return want == NULL || (login != NULL && strcmp(want, login) == 0);
}

bool mail_netrc_lookup(const char *text, const char *host, const char *user, char **login_out, char **password_out)
{
	*login_out = *password_out = NULL;
	struct mail_netrc_lexer x = {.p = text};
	char *w = mail_netrc_word(&x);
	while (w != NULL) {
		bool is_default = strcmp(w, "default") == 0, ours = is_default;
		if (strcmp(w, "machine") == 0) {
			char *name = mail_netrc_word(&x);
			ours = name != NULL && strcasecmp(name, host) == 0;
			free(name);
		}
		free(w);
		char *login = NULL, *password = NULL;
		w = mail_netrc_entry(&x, &login, &password);
		if (ours && password != NULL && mail_netrc_fits(user, login)) {
			*login_out = login;
			*password_out = password;
			free(w);
			return true;
		}
		mail_netrc_set(&login, NULL);
		mail_netrc_set(&password, NULL);
		if (is_default)
			break; /* nothing after default counts */
	}
	free(w);
	return false;
}

/* ~/.netrc: $HOME's, else the password database's home; NULL without either. */
static char *mail_netrc_path(void)
{
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	return home && home[0] ? xasprintf("%s/.netrc", home) : NULL;
}

bool mail_netrc_find(const char *host, const char *user, char **login, char **password)
{
	*login = *password = NULL;
	char *path = mail_netrc_path();
	if (path == NULL)
		return false;
	char *err = NULL;
	size_t len = 0;
	char *text = file_read(path, MAIL_NETRC_MAX, &len, &err); /* none, or unreadable: no login from it */
	free(err);
	free(path);
	bool found = text != NULL && mail_netrc_lookup(text, host, user, login, password);
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	return found;
}
