/* url_fetch.c - a play or info source given as a URL (url_fetch.h): the
 * torrent fetched with a blocking libcurl easy handle on the main thread
 * before any session exists, its body under a hard ceiling, judged by
 * url_check.c, then written to a temporary file that sp_metainfo_load
 * reads. Main thread. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/i18n.h"
#include "app/url_check.h"
#include "app/url_fetch.h"

#define CONNECT_TIMEOUT_S 10
#define MAX_REDIRECTS 5

struct body {
	char *data;
	size_t len, cap;
	bool over;
	char type[128]; /* the last answer's Content-Type */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	if (add > SP_URL_MAX_BYTES - b->len) {
		b->over = true;
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	}
	if (b->len + add > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;
		while (cap < b->len + add)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, add);
	b->len += add;
	return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) /* a new answer (after a redirect) */
		b->type[0] = 0;
	if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
		const char *v = p + 13, *end = p + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		size_t vn =
		    (size_t)(end - v) < sizeof(b->type) ? (size_t)(end - v) : sizeof(b->type) - 1;
		memcpy(b->type, v, vn);
		b->type[vn] = 0;
	}
	return len;
}

/* GET url into b. 0, or -EIO / -EBADMSG with *err. */
static int get(const char *url, struct body *b, struct sp_error **err)
{
	CURL *c = curl_easy_init();
	if (!c)
		return sp_error_set(err, -ENOMEM, _("cannot start libcurl"));
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SP_URL_TIMEOUT_S);
	/* refused at once when the server says its length */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SP_URL_MAX_BYTES);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "swarmplay/" SP_VERSION);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc == CURLE_FILESIZE_EXCEEDED || b->over)
		return sp_error_set(err, -EBADMSG,
				    _("%s: the answer is over %u MB: no torrent is that big"), url,
				    SP_URL_MAX_BYTES >> 20);
	if (rc != CURLE_OK)
		return sp_error_set(err, -EIO, _("cannot fetch %s: %s"), url,
				    ebuf[0] ? ebuf : curl_easy_strerror(rc));
	if (code != 200)
		return sp_error_set(err, -EIO, _("cannot fetch %s: the server answered HTTP %ld"),
				    url, code);
	return 0;
}

static int judge(const char *url, const struct body *b, struct sp_error **err)
{
	switch (sp_url_check(b->type, b->data, b->len)) {
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
	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);
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
	int r = get(*src, &b, err);
	r = r < 0 ? r : judge(*src, &b, err);
	r = r < 0 ? r : save(u, &b, err);
	free(b.data);
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
