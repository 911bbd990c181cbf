/* config_file.c - swarmplay.conf's options in front of the command line
 * (config_file.h). The file is small and local, but it is still input:
 * its size, its lines and its options have ceilings. Main thread. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config_file.h"
#include "app/i18n.h"

#define CONF_BYTES_MAX (64 * 1024)
#define CONF_OPTIONS_MAX 256
#define CONF_LINE_MAX 4096

static char **kept; /* the vector handed out, freed at exit */
static int kept_n;

static void free_kept(void)
{
	for (int i = 0; i < kept_n; i++)
		free(kept[i]);
	free(kept);
	kept = NULL;
	kept_n = 0;
}

static int conf_path(char *out, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int w;
	if (xdg && xdg[0] == '/')
		w = snprintf(out, n, "%s/swarmplay/swarmplay.conf", xdg);
	else if (home && home[0])
		w = snprintf(out, n, "%s/.config/swarmplay/swarmplay.conf", home);
	else
		return -ENOENT;
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* One line into "--name[=value]", or NULL (blank, comment, or not an
 * option: then *bad is set). */
static char *option_of(char *line, int *bad)
{
	*bad = 0;
	line = trim(line);
	if (!line[0] || line[0] == '#')
		return NULL;
	if (line[0] == '-' && line[1] == '-')
		line += 2;
	char *eq = strchr(line, '='), *value = NULL;
	if (eq) {
		*eq = 0;
		value = trim(eq + 1);
		size_t vn = strlen(value);
		if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') { /* name="a value" */
			value[vn - 1] = 0;
			value++;
		}
	}
	char *name = trim(line);
	*bad = !name[0];
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			*bad = 1;
	if (*bad)
		return NULL;
	size_t n = strlen(name) + (value ? strlen(value) + 1 : 0) + 3;
	char *opt = malloc(n);
	if (opt)
		snprintf(opt, n, value ? "--%s=%s" : "--%s", name, value);
	return opt;
}

int sp_config_file_prepend(int argc, char ***argv)
{
	char path[PATH_MAX], line[CONF_LINE_MAX];
	for (int i = 1; i < argc && strcmp((*argv)[i], "--"); i++)
		if (!strcmp((*argv)[i], "--no-config"))
			return argc; /* the command line alone */
	if (kept || conf_path(path, sizeof(path)) < 0)
		return argc;
	FILE *f = fopen(path, "r");
	if (!f)
		return argc;
	char **v = calloc((size_t)argc + CONF_OPTIONS_MAX + 1, sizeof(char *));
	if (!v) {
		fclose(f);
		return argc;
	}
	int n = 0, lineno = 0;
	long bytes = 0;
	v[n++] = strdup((*argv)[0]);
	while (n < CONF_OPTIONS_MAX + 1 && bytes < CONF_BYTES_MAX && fgets(line, sizeof(line), f)) {
		lineno++;
		bytes += (long)strlen(line);
		line[strcspn(line, "\n")] = 0;
		int bad;
		char *opt = option_of(line, &bad);
		if (opt)
			v[n++] = opt;
		else if (bad)
			fprintf(stderr, _("swarmplay: %s:%d: not an option=value line, left out\n"),
				path, lineno);
	}
	fclose(f);
	for (int i = 1; i < argc; i++)
		v[n++] = strdup((*argv)[i]);
	for (int i = 0; i < n; i++) {
		if (!v[i]) { /* out of memory: the command line alone */
			kept = v;
			kept_n = n;
			free_kept();
			return argc;
		}
	}
	kept = v;
	kept_n = n;
	atexit(free_kept);
	*argv = v;
	return n;
}
