/* url_fetch.c - a play or info source given as a URL (url_fetch.h): the
 * torrent fetched with a blocking libcurl GET (http_get.c) on the main thread
 * before any session exists, its body under a hard ceiling, judged by
 * url_check.c, then written to a temporary file that sp_metainfo_load
 * reads. Main thread. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/http_get.h"
#include "app/i18n.h"
#include "app/url_check.h"
#include "app/url_fetch.h"

struct body {
	struct app_buf buf;
	char type[128]; /* the last answer's Content-Type */
};

static void on_header(const char *line, size_t len, void *arg)
{
	struct body *b = arg;
	if (!line) /* a new answer (after a redirect) */
		b->type[0] = 0;
	else
		app_http_header_value(line, len, "Content-Type", b->type, sizeof(b->type));
}

/* GET url into b. 0, or -EIO / -EBADMSG / -ENOMEM with *err. */
static int get(const char *url, struct body *b, struct sp_error **err)
{
	char why[320];
	struct app_http_get g = {.url = url,
				 .user_agent = "swarmplay/" SP_VERSION,
				 .timeout_s = SP_URL_TIMEOUT_S,
				 .on_header = on_header,
				 .arg = b};
	long code = app_http_get(&g, &b->buf, why, sizeof(why));
	if (code == -ENOMEM)
		return sp_error_set(err, -ENOMEM, _("cannot start libcurl"));
	if (code == -EFBIG)
		return sp_error_set(err, -EBADMSG,
				    _("%s: the answer is over %u MB: no torrent is that big"), url,
				    SP_URL_MAX_BYTES >> 20);
	if (code < 0)
		return sp_error_set(err, -EIO, _("cannot fetch %s: %s"), url, why);
	if (code != 200)
		return sp_error_set(err, -EIO, _("cannot fetch %s: the server answered HTTP %ld"),
				    url, code);
	return 0;
}

static int judge(const char *url, const struct body *b, struct sp_error **err)
{
	switch (sp_url_check(b->type, (const char *)b->buf.data, b->buf.len)) {
	case SP_URL_TORRENT:
		return 0;
	case SP_URL_HTML:
		return sp_error_set(err, -EBADMSG,
				    _("%s is a web page, not a .tstream or .torrent (give the "
				      "link to the file itself)"),
				    url);
	case SP_URL_WRONG_TYPE:
		return sp_error_set(
		    err, -EBADMSG, _("%s is of type %s, not a .tstream or .torrent"), url, b->type);
	default:
		return sp_error_set(err, -EBADMSG, _("%s is not a .tstream or .torrent"), url);
	}
}

static int save(struct sp_url_source *u, const struct body *b, struct sp_error **err)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	int w = snprintf(u->path, sizeof(u->path), "%s/swarmplay-url-XXXXXX", tmp);
	if (w < 0 || (size_t)w >= sizeof(u->path))
		return sp_error_set(err, -ENAMETOOLONG,
				    _("the temporary folder's name is too long"));
	int fd = mkstemp(u->path);
	if (fd < 0)
		return sp_error_set(err, -errno, _("cannot write %s: %s"), u->path,
				    strerror(errno));
	u->temporary = true;
	size_t off = 0;
	while (off < b->buf.len) {
		ssize_t n = write(fd, b->buf.data + off, b->buf.len - off);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return sp_error_set(err, -e, _("cannot write %s: %s"), u->path,
					    strerror(e));
		}
		off += (size_t)n;
	}
	return close(fd) < 0
		   ? sp_error_set(err, -errno, _("cannot write %s: %s"), u->path, strerror(errno))
		   : 0;
}

int sp_url_source_open(struct sp_url_source *u, const char **src, struct sp_error **err)
{
	*u = (struct sp_url_source){0};
	switch (sp_url_kind(*src)) {
	case SP_URL_FILE:
		if (sp_url_file_path(*src, u->path, sizeof(u->path)) < 0)
			return sp_error_set(err, -EINVAL, _("%s: not a local file URI"), *src);
		*src = u->path;
		return 0;
	case SP_URL_HTTP:
		break;
	default:
		return 0;
	}
	struct body b = {0};
	app_buf_init(&b.buf, SP_URL_MAX_BYTES);
	int r = get(*src, &b, err);
	r = r < 0 ? r : judge(*src, &b, err);
	r = r < 0 ? r : save(u, &b, err);
	app_buf_fini(&b.buf);
	if (r < 0) {
		sp_url_source_close(u);
		return r;
	}
	*src = u->path;
	return 0;
}

void sp_url_source_close(struct sp_url_source *u)
{
	if (u->temporary)
		unlink(u->path);
	u->temporary = false;
}
