/* settings.c - flags, then PLANREG_* variables, then client.conf (see settings.h). */
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

static void settings_take(char **slot, const char *value)
{
	if (*slot == NULL && value != NULL && value[0] != '\0')
		*slot = xstrdup(value);
}

static char *settings_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0])
		return xasprintf("%s/planreg/client.conf", xdg);
	const char *home = getenv("HOME");
	if (home && home[0])
		return xasprintf("%s/.config/planreg/client.conf", home);
	return NULL;
}

static bool settings_read_file(struct settings *s, const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return true;
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return false;
	}
	s->config_file = xstrdup(path);
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	bool ok = true;
	char *timeout = NULL;
	while (ok && getline(&line, &cap, f) >= 0) {
		lineno++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (eq == NULL) {
			*err = xasprintf("%s:%d: expected \"key = value\"", path, lineno);
			ok = false;
			break;
		}
		char *k = text_trim_dup(p, (size_t)(eq - p));
		char *v = text_trim_dup(eq + 1, strlen(eq + 1));
		if (strcmp(k, "server") == 0)
			settings_take(&s->server, v);
		else if (strcmp(k, "cert") == 0)
			settings_take(&s->cert, v);
		else if (strcmp(k, "key") == 0)
			settings_take(&s->key, v);
		else if (strcmp(k, "ca") == 0)
			settings_take(&s->ca, v);
		else if (strcmp(k, "timeout") == 0)
			settings_take(&timeout, v);
		else {
			*err = xasprintf("%s:%d: unknown key \"%s\" (server, cert, key, ca, timeout)", path, lineno, k);
			ok = false;
		}
		free(k);
		free(v);
	}
	if (ok && timeout && s->timeout_ms == 0) {
		char *end;
		long secs = strtol(timeout, &end, 10);
		if (*end != '\0' || secs <= 0 || secs > 86400) {
			*err = xasprintf("%s: timeout \"%s\" is not a number of seconds", path, timeout);
			ok = false;
		} else {
			s->timeout_ms = (int)secs * 1000;
		}
	}
	free(timeout);
	free(line);
	fclose(f);
	return ok;
}

bool settings_resolve(struct settings *s, char **err)
{
	settings_take(&s->server, getenv("PLANREG_SERVER"));
	settings_take(&s->cert, getenv("PLANREG_CERT"));
	settings_take(&s->key, getenv("PLANREG_KEY"));
	settings_take(&s->ca, getenv("PLANREG_CA"));
	const char *t = getenv("PLANREG_TIMEOUT");
	if (s->timeout_ms == 0 && t && t[0]) {
		char *end;
		long secs = strtol(t, &end, 10);
		if (*end != '\0' || secs <= 0 || secs > 86400) {
			*err = xasprintf("PLANREG_TIMEOUT=\"%s\" is not a number of seconds", t);
			return false;
		}
		s->timeout_ms = (int)secs * 1000;
	}
	char *path = settings_config_path();
	bool ok = path == NULL || settings_read_file(s, path, err);
	free(path);
	if (!ok)
		return false;
	settings_take(&s->server, SETTINGS_DEFAULT_SERVER);
	if (s->timeout_ms == 0)
		s->timeout_ms = SETTINGS_DEFAULT_TIMEOUT_MS;
	return true;
}

void settings_free(struct settings *s)
{
	free(s->server);
	free(s->cert);
	free(s->key);
	free(s->ca);
	free(s->config_file);
	memset(s, 0, sizeof *s);
}
