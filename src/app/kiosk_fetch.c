/* kiosk_fetch.c - the kiosk's playlist and its remote items, fetched
 * with libcurl (http_get.c: blocking, on the fetch thread or the main
 * thread, never on the session's loop).
 *
 * The list: a local file is read; an http(s) URL is fetched with
 * If-None-Match / If-Modified-Since from the last good answer (304: the
 * list stands). A list that parses (playlist.h) is written to the disk
 * cache with its validators and handed to the main thread; a failed or
 * malformed fetch keeps the last good list and says why in
 * fetch_result. At start, the disk copy is read first: a kiosk rebooted
 * without network plays what it played before.
 *
 * Ceilings: the list's body is at most SP_PLAYLIST_MAX_BYTES, a torrent
 * item ITEM_MAX_BYTES; only http and https, redirects included; a whole
 * transfer within FETCH_TIMEOUT_S. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/kiosk.h"
#include "app/buf.h"
#include "app/http_get.h"
#include "app/log.h"

#define FETCH_TIMEOUT_S 60
#define ITEM_MAX_BYTES (32u << 20)

struct fetch {
	struct app_buf body;
	char etag[256], last_modified[128];
};

static void on_header(const char *line, size_t len, void *arg)
{
	struct fetch *f = arg;
	if (!line) { /* a new answer (a redirect's next) */
		f->etag[0] = f->last_modified[0] = 0;
		return;
	}
	app_http_header_value(line, len, "ETag", f->etag, sizeof(f->etag));
	app_http_header_value(line, len, "Last-Modified", f->last_modified,
			      sizeof(f->last_modified));
}

/* GET url into f->body (at most max bytes), with the validators of the
 * last good answer. The HTTP code (304 with validators), or < 0; why
 * says what went wrong. */
static long http_get(const char *url, const char *etag, const char *lm, size_t max,
		     struct fetch *f, char *why, size_t whylen)
{
	char inm[300], ims[160];
	const char *hdr[3];
	int n = 0;
	if (etag && etag[0]) {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
		hdr[n++] = inm;
	}
	if (lm && lm[0]) {
		snprintf(ims, sizeof(ims), "If-Modified-Since: %s", lm);
		hdr[n++] = ims;
	}
	hdr[n] = NULL;
	app_buf_init(&f->body, max);
	struct app_http_get g = {.url = url,
				 .user_agent = "swarmplay-kiosk/" SP_VERSION,
				 .timeout_s = FETCH_TIMEOUT_S,
				 .headers = hdr,
				 .on_header = on_header,
				 .arg = f};
	return app_http_get(&g, &f->body, why, whylen);
}

static int write_file(const char *path, const void *data, size_t len)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	size_t w = fwrite(data, 1, len, f);
	if (fflush(f) || fsync(fileno(f)) || w != len) {
		fclose(f);
		remove(tmp);
		return -EIO;
	}
	fclose(f);
	return rename(tmp, path) < 0 ? -errno : 0;
}

/* The whole file (at most max bytes) into b. 0 or -errno. */
static int read_file(const char *path, size_t max, struct app_buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	app_buf_init(b, max);
	char chunk[16384];
	size_t n;
	int r = 0;
	while (!r && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = app_buf_append(b, chunk, n);
	if (!r && ferror(f))
		r = -EIO;
	fclose(f);
	if (r < 0)
		app_buf_fini(b);
	return r < 0 ? (r == -EOVERFLOW ? -EFBIG : r) : 0;
}

/* The first n bytes (n <= 20) of s's SHA-1, as 2n hex digits: names in
 * the cache that a URL always gets. */
static void sha1_hex(const char *s, size_t n, char *hex)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(s, strlen(s), h, &len, EVP_sha1(), NULL))
		memset(h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	hex[2 * n] = 0;
}

int sp_kiosk_cache_paths(struct kiosk *k)
{
	char hex[41], dir[4096];
	sha1_hex(k->source, 8, hex);
	/* not 40 hex digits: the play cache's trim never takes it for a torrent */
	int r = sp_cache_dir("kiosk", dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(k->cache_list, sizeof(k->cache_list), "%.4000s/list-%s.m3u", dir, hex);
	snprintf(k->cache_meta, sizeof(k->cache_meta), "%.4000s/list-%s.meta", dir, hex);
	snprintf(k->item_dir, sizeof(k->item_dir), "%.4000s/items", dir);
	/* dir exists (sp_cache_dir made it) */
	return mkdir(k->item_dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

int sp_kiosk_item_path(const struct kiosk *k, const char *url, char *out, size_t outlen)
{
	char hex[41];
	sha1_hex(url, 10, hex);
	return snprintf(out, outlen, "%s/%s.torrent", k->item_dir, hex) >= (int)outlen
		       ? -ENAMETOOLONG
		       : 0;
}

int sp_kiosk_fetch_item(const struct kiosk *k, const char *url, char *out, size_t outlen,
			char *why, size_t whylen)
{
	if (sp_kiosk_item_path(k, url, out, outlen) < 0)
		return -ENAMETOOLONG;
	struct fetch f = {0};
	long code = http_get(url, NULL, NULL, ITEM_MAX_BYTES, &f, why, whylen);
	int r = 0;
	if (code == 200)
		r = write_file(out, f.body.data, f.body.len);
	app_buf_fini(&f.body);
	if (code == 200 && r == 0)
		return 0;
	if (r < 0)
		snprintf(why, whylen, "cannot write %s: %s", out, strerror(-r));
	if (access(out, R_OK) == 0) /* the server is away: the copy of a previous fetch */
		return 0;
	return r < 0 ? r : -EIO;
}

/* Hands a parsed list to the main thread. [mu] held. */
static void offer(struct kiosk *k, struct sp_playlist *pl, bool from_cache)
{
	sp_playlist_free(k->pending);
	k->pending = pl;
	k->pending_from_cache = from_cache;
	k->good_at = time(NULL);
	pthread_cond_broadcast(&k->cond);
}

static void set_result(struct kiosk *k, const char *fmt, const char *a, const char *b)
{
	pthread_mutex_lock(&k->mu);
	snprintf(k->fetch_result, sizeof(k->fetch_result), "%s%s%s", fmt, a ? a : "", b ? b : "");
	k->fetched_at = time(NULL);
	k->fetches++;
	pthread_mutex_unlock(&k->mu);
}

/* The disk copy and its validators, at start. */
static void load_cached(struct kiosk *k)
{
	struct app_buf b;
	if (read_file(k->cache_list, SP_PLAYLIST_MAX_BYTES, &b) < 0)
		return;
	struct sp_error *e = NULL;
	struct sp_playlist *pl = sp_playlist_parse((const char *)b.data, b.len, &e);
	app_buf_fini(&b);
	sp_error_free(e);
	if (!pl)
		return;
	pthread_mutex_lock(&k->mu);
	FILE *f = fopen(k->cache_meta, "r");
	if (f) {
		char line[300];
		if (fgets(line, sizeof(line), f))
			snprintf(k->etag, sizeof(k->etag), "%.*s", (int)strcspn(line, "\n"), line);
		if (fgets(line, sizeof(line), f))
			snprintf(k->last_modified, sizeof(k->last_modified), "%.*s",
				 (int)strcspn(line, "\n"), line);
		fclose(f);
	}
	offer(k, pl, true);
	pthread_mutex_unlock(&k->mu);
}

static void save_cached(struct kiosk *k, const struct fetch *f)
{
	int r = write_file(k->cache_list, f->body.data, f->body.len);
	char meta[400];
	int n = snprintf(meta, sizeof(meta), "%s\n%s\n", f->etag, f->last_modified);
	if (!r)
		r = write_file(k->cache_meta, meta, (size_t)n);
	if (r < 0)
		APP_WARN("kiosk", "cannot keep the playlist in %s: %s", k->cache_list,
			 strerror(-r));
}

/* One fetch of the list: a new list offered, or the last one kept. */
static void fetch_once(struct kiosk *k)
{
	struct fetch f = {0};
	char why[320] = "", etag[256], lm[128];
	long code = 200;
	pthread_mutex_lock(&k->mu);
	snprintf(etag, sizeof(etag), "%s", k->etag);
	snprintf(lm, sizeof(lm), "%s", k->last_modified);
	pthread_mutex_unlock(&k->mu);
	if (k->remote) {
		code = http_get(k->source, etag, lm, SP_PLAYLIST_MAX_BYTES, &f, why, sizeof(why));
	} else {
		int r = read_file(k->source, SP_PLAYLIST_MAX_BYTES, &f.body);
		if (r < 0) {
			snprintf(why, sizeof(why), "%s", strerror(-r));
			code = -1;
		}
	}
	if (code == 304) {
		set_result(k, "not modified", NULL, NULL);
	} else if (code != 200) {
		set_result(k, "failed: ", why, "; the last good list plays on");
	} else {
		struct sp_error *e = NULL;
		struct sp_playlist *pl = sp_playlist_parse((const char *)f.body.data, f.body.len, &e);
		if (!pl) {
			set_result(k, "malformed: ", sp_error_msg(e), "; the last good list plays on");
		} else {
			if (k->remote)
				save_cached(k, &f);
			pthread_mutex_lock(&k->mu);
			snprintf(k->etag, sizeof(k->etag), "%s", f.etag);
			snprintf(k->last_modified, sizeof(k->last_modified), "%s", f.last_modified);
			offer(k, pl, false);
			pthread_mutex_unlock(&k->mu);
			set_result(k, "ok", NULL, NULL);
		}
		sp_error_free(e);
	}
	app_buf_fini(&f.body);
	APP_INFO("kiosk", "playlist %s: %s", k->source, k->fetch_result);
}

void *sp_kiosk_fetch_main(void *arg)
{
	struct kiosk *k = arg;
	if (k->remote)
		load_cached(k);
	pthread_mutex_lock(&k->mu);
	while (!k->stopping) {
		pthread_mutex_unlock(&k->mu);
		fetch_once(k);
		pthread_mutex_lock(&k->mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)k->refresh_min * 60;
		while (!k->stopping && !atomic_exchange(&k->reload, false))
			if (pthread_cond_timedwait(&k->cond, &k->mu, &until) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}
