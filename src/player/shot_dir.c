/* shot_dir.c - key s's folder: --screenshot-dir, $XDG_PICTURES_DIR, the
 * user-dirs.dirs file of xdg-user-dirs, the current directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "player/shot_dir.h"

#define USER_DIRS_MAX 65536

bool sp_user_dirs_pictures(const char *text, const char *home, char *out, size_t n)
{
	static const char key[] = "XDG_PICTURES_DIR=\"";
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, sizeof(key) - 1))
			continue;
		const char *v = l + sizeof(key) - 1;
		const char *end = v;
		while (*end && *end != '"' && *end != '\n')
			end++;
		if (*end != '"')
			return false;
		size_t len = (size_t)(end - v);
		const char *pre = "";
		if (len >= 5 && !strncmp(v, "$HOME", 5) && (len == 5 || v[5] == '/')) {
			if (!home || !*home)
				return false;
			pre = home;
			v += 5;
			len -= 5;
		} else if (*v != '/') {
			return false;
		}
		int w = snprintf(out, n, "%s%.*s", pre, (int)len, v);
		return w > 0 && (size_t)w < n;
	}
	return false;
}

/* The user-dirs.dirs file's text (malloc'd), or NULL. */
static char *read_user_dirs(void)
{
	char path[4096];
	const char *cfg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (cfg && *cfg == '/')
		snprintf(path, sizeof(path), "%s/user-dirs.dirs", cfg);
	else if (home && *home)
		snprintf(path, sizeof(path), "%s/.config/user-dirs.dirs", home);
	else
		return NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *text = malloc(USER_DIRS_MAX + 1);
	size_t got = text ? fread(text, 1, USER_DIRS_MAX, f) : 0;
	fclose(f);
	if (text)
		text[got] = '\0';
	return text;
}

void sp_shot_dir(const char *opt, char *out, size_t n)
{
	const char *env = getenv("XDG_PICTURES_DIR");
	if (opt && *opt) {
		snprintf(out, n, "%s", opt);
		return;
	}
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return;
	}
	char *text = read_user_dirs();
	bool found = text && sp_user_dirs_pictures(text, getenv("HOME"), out, n);
	free(text);
	if (!found)
		snprintf(out, n, ".");
}
