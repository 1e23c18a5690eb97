/* settings.c - flags, then PLANREG_* variables, then client.conf (see settings.h). */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvfile.h"
#include "xmalloc.h"

static void settings_take(char **slot, const char *value)
{
	if (*slot == NULL && value != NULL && value[0] != '\0')
		*slot = xstrdup(value);
}

char *settings_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0])
		return xasprintf("%s/planreg/client.conf", xdg);
	const char *home = getenv("HOME");
	if (home && home[0])
		return xasprintf("%s/.config/planreg/client.conf", home);
	return NULL;
}

char *settings_data_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/planreg", xdg);
	const char *home = getenv("HOME");
	if (home && home[0])
		return xasprintf("%s/.local/share/planreg", home);
	return NULL;
}

bool settings_renew_auto(const struct settings *s)
{
	return s->renew == NULL || strcmp(s->renew, "off") != 0;
}

/* Where TLS sessions are kept for resumption (client/net.c); NULL when there is no home. */
static char *settings_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/planreg", xdg);
	const char *home = getenv("HOME");
	if (home && home[0])
		return xasprintf("%s/.cache/planreg", home);
	return NULL;
}

struct settings_file {
	struct settings *s;
	char *timeout;
};

static bool settings_file_setting(const char *key, const char *value, const char *where, void *arg, char **err)
{
	struct settings_file *sf = arg;
	if (strcmp(key, "server") == 0)
		settings_take(&sf->s->server, value);
	else if (strcmp(key, "cert") == 0)
		settings_take(&sf->s->cert, value);
	else if (strcmp(key, "key") == 0)
		settings_take(&sf->s->key, value);
	else if (strcmp(key, "ca") == 0)
		settings_take(&sf->s->ca, value);
	else if (strcmp(key, "timeout") == 0)
		settings_take(&sf->timeout, value);
	else if (strcmp(key, "renew") == 0) {
		if (strcmp(value, "auto") != 0 && strcmp(value, "off") != 0) {
			*err = xasprintf("%s: renew is auto or off, not \"%s\"", where, value);
			return false;
		}
		settings_take(&sf->s->renew, value);
	} else if (strcmp(key, "smtp") == 0)
		settings_take(&sf->s->smtp_url, value);
	else if (strcmp(key, "smtp_from") == 0)
		settings_take(&sf->s->smtp_from, value);
	else if (strcmp(key, "smtp_user") == 0)
		settings_take(&sf->s->smtp_user, value);
	else if (strcmp(key, "log_vkey") == 0)
		settings_take(&sf->s->log_vkey, value);
	else if (strcmp(key, "witness_vkeys") == 0)
		settings_take(&sf->s->witness_vkeys, value);
	else if (strcmp(key, "smtp_password") == 0) {
		*err = xasprintf("%s: smtp_password is not read from a file: set PLANREG_SMTP_PASSWORD or use ~/.netrc",
				 where);
		return false;
	} else {
		*err = xasprintf("%s: unknown key \"%s\" (server, cert, key, ca, timeout, renew, smtp, smtp_from, "
				 "smtp_user, log_vkey, witness_vkeys)",
				 where, key);
		return false;
	}
	return true;
}

bool settings_seconds(const char *text, int *ms)
{
	char *end;
	long secs = strtol(text, &end, 10);
	if (*end != '\0' || end == text || secs <= 0 || secs > 86400)
		return false;
	*ms = (int)secs * 1000;
	return true;
}

static bool settings_read_file(struct settings *s, const char *path, char **err)
{
	struct settings_file sf = {s, NULL};
	bool found;
	bool ok = kvfile_read(path, true, &found, settings_file_setting, &sf, err);
	if (ok && found)
		s->config_file = xstrdup(path);
	if (ok && sf.timeout && s->timeout_ms == 0 && !settings_seconds(sf.timeout, &s->timeout_ms)) {
		*err = xasprintf("%s: timeout \"%s\" is not a number of seconds", path, sf.timeout);
		ok = false;
	}
	free(sf.timeout);
	return ok;
}

/* A path written "~/..." (as in client.conf, where no shell expands it) made $HOME/...; false with *err when
 * there is no home to expand it to. Other paths are left as written. */
static bool settings_home_path(char **path, const char *what, char **err)
{
	if (*path == NULL || strncmp(*path, "~/", 2) != 0)
		return true;
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		*err = xasprintf("%s %s: ~ stands for your home directory, and HOME is not set; write the whole path",
				 what, *path);
		return false;
	}
	size_t n = strlen(home);
	char *full = xasprintf("%.*s/%s", (int)(home[n - 1] == '/' ? n - 1 : n), home, *path + 2);
	free(*path);
	*path = full;
	return true;
}

bool settings_resolve(struct settings *s, char **err)
{
	settings_take(&s->server, getenv("PLANREG_SERVER"));
	settings_take(&s->cert, getenv("PLANREG_CERT"));
	settings_take(&s->key, getenv("PLANREG_KEY"));
	settings_take(&s->ca, getenv("PLANREG_CA"));
	settings_take(&s->smtp_url, getenv("PLANREG_SMTP_URL"));
	settings_take(&s->smtp_from, getenv("PLANREG_SMTP_FROM"));
	settings_take(&s->smtp_user, getenv("PLANREG_SMTP_USER"));
	settings_take(&s->log_vkey, getenv("PLANREG_LOG_VKEY"));
	settings_take(&s->witness_vkeys, getenv("PLANREG_WITNESS_VKEYS"));
	const char *t = getenv("PLANREG_TIMEOUT");
	if (s->timeout_ms == 0 && t && t[0] && !settings_seconds(t, &s->timeout_ms)) {
		*err = xasprintf("PLANREG_TIMEOUT=\"%s\" is not a number of seconds", t);
		return false;
	}
	char *path = settings_config_path();
	bool ok = path == NULL || settings_read_file(s, path, err);
	free(path);
	if (!ok || !settings_home_path(&s->cert, "cert", err) || !settings_home_path(&s->key, "key", err) ||
	    !settings_home_path(&s->ca, "ca", err))
		return false;
	settings_take(&s->server, SETTINGS_DEFAULT_SERVER);
	if (s->cache_dir == NULL)
		s->cache_dir = settings_cache_dir();
	if (s->timeout_ms == 0)
		s->timeout_ms = SETTINGS_DEFAULT_TIMEOUT_MS;
	return true;
}

void settings_free(struct settings *s)
{
	free(s->log_vkey);
	free(s->witness_vkeys);
	free(s->server);
	free(s->cert);
	free(s->key);
	free(s->ca);
	free(s->config_file);
	free(s->renew);
	free(s->cache_dir);
	free(s->smtp_url);
	free(s->smtp_from);
	free(s->smtp_user);
	memset(s, 0, sizeof *s);
}
