/* http_get.c - one blocking HTTP(S) GET with libcurl (http_get.h): the
 * options every fetch of the program shares, in one place. The caller's
 * thread (never the session's loop: it blocks). */
#include "app/http_get.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct get {
	const struct app_http_get *g;
	struct app_buf *body;
	bool over;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct get *x = arg;
	int r = app_buf_append(x->body, p, size * n);
	if (r == -EOVERFLOW)
		x->over = true;
	return r < 0 ? 0 : size * n; /* 0: libcurl stops (CURLE_WRITE_ERROR) */
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct get *x = arg;
	size_t len = size * n;
	if (!x->g->on_header)
		return len;
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		x->g->on_header(NULL, 0, x->g->arg);
		return len;
	}
	size_t k = len;
	while (k > 0 && (p[k - 1] == '\r' || p[k - 1] == '\n'))
		k--;
	if (k > 0)
		x->g->on_header(p, k, x->g->arg);
	return len;
}

long app_http_get(const struct app_http_get *g, struct app_buf *body, char *why, size_t whylen)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(why, whylen, "cannot start libcurl");
		return -ENOMEM;
	}
	struct get x = {.g = g, .body = body};
	struct curl_slist *hdr = NULL;
	for (const char *const *h = g->headers; h && *h; h++)
		hdr = curl_slist_append(hdr, *h);
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, g->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)APP_HTTP_MAX_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)APP_HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, g->timeout_s);
	/* refused at once when the server says its length */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->max);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, g->user_agent);
	CURLcode rc = curl_easy_perform(c);
	long code = -EIO;
	if (rc == CURLE_FILESIZE_EXCEEDED || x.over) {
		snprintf(why, whylen, "over %zu bytes", body->max);
		code = -EFBIG;
	} else if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		snprintf(why, whylen, "HTTP %ld", code);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return code;
}

bool app_http_header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return false;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	if ((size_t)(end - v) >= n)
		return false;
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = 0;
	return true;
}
