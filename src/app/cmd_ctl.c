/* cmd_ctl.c - swarmplay ctl COMMAND [ARG]: the client of a kiosk's
 * control socket (kiosk_ctl.c). One request line out, one reply line in,
 * printed as it came (JSON); `-` sends the lines of stdin instead, one
 * reply printed for each. Exit 0 when every reply says ok, 1 when one
 * does not or no kiosk answers, 2 on a usage error. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/cmd.h"
#include "app/i18n.h"
#include "app/kiosk.h"
#include "app/kiosk_ctl_proto.h"

#define REPLY_MAX (2u << 20) /* a status of 1 MiB and its envelope */

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay ctl [OPTIONS] COMMAND [ARG]\n"
		     "       swarmplay ctl [OPTIONS] -\n"
		     "Control a running `swarmplay kiosk`: one JSON line out, the kiosk's\n"
		     "JSON reply printed. With -, JSON request lines come from stdin.\n\n"
		     "Commands: status, play, pause, next, prev, reload, goto N (from 0),\n"
		     "seek SECONDS, volume N (0-100), screenshot FILE (a PNG).\n\n"
		     "  --control PATH   the kiosk's control socket (default\n"
		     "                   $XDG_RUNTIME_DIR/swarmplay/kiosk.sock)\n"
		     "  --timeout S      wait this long for a reply (default 10)\n"));
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >= (int)sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One reply line, printed: 0 ok, 1 an error reply, -errno. */
static int read_reply(int fd, int timeout_ms)
{
	static char buf[REPLY_MAX];
	size_t n = 0;
	for (;;) {
		char *nl = memchr(buf, '\n', n);
		if (nl) {
			fwrite(buf, 1, (size_t)(nl - buf) + 1, stdout);
			fflush(stdout);
			return strncmp(buf, "{\"ok\": true", 11) ? 1 : 0;
		}
		if (n == sizeof(buf))
			return -EMSGSIZE;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, timeout_ms);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t got = r < 0 ? -1 : recv(fd, buf + n, sizeof(buf) - n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0 ? -ECONNRESET : -errno;
		n += (size_t)got;
	}
}

/* COMMAND [ARG] as a request line. 0, or -EINVAL. */
static int build(char *out, size_t outlen, char **argv, int argc)
{
	int c = 0;
	while (c < SP_KCTL_N && strcmp(sp_kctl_cmd_name((enum sp_kctl_cmd)c), argv[0]))
		c++;
	if (c == SP_KCTL_N)
		return -EINVAL;
	char kind = sp_kctl_cmd_arg((enum sp_kctl_cmd)c);
	if ((kind != 0) != (argc == 2) || argc > 2)
		return -EINVAL;
	if (!kind)
		return snprintf(out, outlen, "{\"cmd\": \"%s\"}\n", argv[0]) < (int)outlen
			   ? 0
			   : -EINVAL;
	char arg[SP_KCTL_PATH_MAX + 16], path[SP_KCTL_PATH_MAX];
	const char *a = argv[1];
	if (kind == 's' && a[0] != '/') { /* the kiosk runs elsewhere */
		char cwd[SP_KCTL_PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(path, sizeof(path), "%s/%s", cwd, a) >= (int)sizeof(path))
			return -EINVAL;
		a = path;
	}
	char *end;
	if (kind != 's') {
		strtod(a, &end);
		if (end == a || *end || strlen(a) > 30)
			return -EINVAL;
		snprintf(arg, sizeof(arg), "%s", a);
	} else if (sp_kctl_json_string(arg, sizeof(arg), a) < 0) {
		return -EINVAL;
	}
	int n = snprintf(out, outlen, "{\"cmd\": \"%s\", \"arg\": %s}\n", argv[0], arg);
	return n > 0 && (size_t)n < outlen ? 0 : -EINVAL;
}

/* The lines of stdin, each a request, each reply printed. */
static int from_stdin(int fd, int timeout_ms)
{
	char line[SP_KCTL_LINE_MAX + 2];
	int code = SP_EXIT_OK;
	while (fgets(line, sizeof(line), stdin)) {
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') { /* longer than a request */
			int ch;
			while ((ch = getchar()) != EOF && ch != '\n')
				;
			fprintf(stderr, _("swarmplay: a line of stdin is too long, not sent\n"));
			code = SP_EXIT_FAILURE;
			continue;
		}
		if (n && line[n - 1] != '\n')
			line[n++] = '\n';
		if (strspn(line, " \t\r\n") == n)
			continue; /* the kiosk answers no blank line */
		if (send_all(fd, line, n) < 0)
			return SP_EXIT_FAILURE;
		int r = read_reply(fd, timeout_ms);
		if (r < 0) {
			fprintf(stderr, _("swarmplay: no reply from the kiosk: %s\n"),
				strerror(-r));
			return SP_EXIT_FAILURE;
		}
		if (r)
			code = SP_EXIT_FAILURE;
	}
	return code;
}

int sp_cmd_ctl(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"control", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	double timeout_s = 10;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return SP_EXIT_OK;
		}
		char *end = NULL;
		if (c == 'c')
			path = optarg;
		else if (c == 't')
			timeout_s = strtod(optarg, &end);
		if (c == '?' || (c == 't' && (*end || !(timeout_s > 0 && timeout_s < 86400)))) {
			usage(stderr);
			return SP_EXIT_USAGE;
		}
	}
	char req[SP_KCTL_PATH_MAX * 2], def[4096];
	bool raw = argc - optind == 1 && !strcmp(argv[optind], "-");
	if (argc == optind || (!raw && build(req, sizeof(req), argv + optind, argc - optind) < 0)) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	if (!path && sp_kiosk_ctl_default_path(def, sizeof(def)) < 0) {
		fprintf(stderr, _("swarmplay: XDG_RUNTIME_DIR is not set (use --control PATH)\n"));
		return SP_EXIT_USAGE;
	}
	path = path ? path : def;
	int fd = connect_to(path);
	if (fd < 0) {
		fprintf(stderr, _("swarmplay: no kiosk answers at %s: %s\n"), path, strerror(-fd));
		return SP_EXIT_FAILURE;
	}
	int ms = (int)(timeout_s * 1000), code;
	if (raw) {
		code = from_stdin(fd, ms);
	} else if (send_all(fd, req, strlen(req)) < 0) {
		code = SP_EXIT_FAILURE;
	} else {
		int r = read_reply(fd, ms);
		if (r < 0)
			fprintf(stderr, _("swarmplay: no reply from the kiosk: %s\n"),
				strerror(-r));
		code = r == 0 ? SP_EXIT_OK : SP_EXIT_FAILURE;
	}
	close(fd);
	return code;
}
