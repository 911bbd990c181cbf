/* test_webseed.c - sp_webseed against an in-process evhttp server on
 * 127.0.0.1 that serves files with Range support and fault modes: every
 * block of a multi-file torrent (blocks spanning files, pad files, names
 * needing escapes) arrives intact in few requests; 404, 503, a server
 * ignoring Range, a wrong Content-Range, short and oversized bodies
 * (declared and chunked), silence and redirect loops each reject the
 * blocks, say why and back off; redirects are followed; cancel works; a
 * flaky server is used again after the back-off. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/clock.h"
#include "harness.h"
#include "loop_wait.h"
#include "net/curlev.h"
#include "net/webseed.h"

/* ---- a torrent in memory ---- */

#define PIECE 32768
#define BLOCK 16384

static uint8_t *payload; /* the torrent's bytes, pad files as zeros */
static struct sp_mi_file files[4];
static struct sp_metainfo mi;

static uint64_t single_len = 100000;

static void make_torrent(bool multi, bool pad)
{
	static const struct {
		const char *path;
		uint64_t len;
		bool pad;
	} multi_files[] = {{"name/a.bin", 40000, false},
			   {"name/.pad/8768", 8768, true},
			   {"name/sub dir/b c#?.bin", 70001, false},
			   {"name/z.bin", 5, false}};
	memset(&mi, 0, sizeof(mi));
	memset(mi.info_hash, 'I', sizeof(mi.info_hash));
	mi.piece_length = PIECE;
	mi.multi_file = multi;
	mi.files = files;
	if (multi) {
		size_t n = 0;
		for (size_t i = 0; i < 4; i++) {
			if (multi_files[i].pad && !pad)
				continue;
			files[n] = (struct sp_mi_file){.path = (char *)multi_files[i].path,
						       .length = multi_files[i].len,
						       .offset = mi.total_length,
						       .is_pad = multi_files[i].pad};
			mi.total_length += files[n].length;
			n++;
		}
		mi.num_files = n;
	} else {
		files[0] = (struct sp_mi_file){.path = "single.bin", .length = single_len};
		mi.num_files = 1;
		mi.total_length = single_len;
	}
	mi.num_pieces = (uint32_t)((mi.total_length + PIECE - 1) / PIECE);
	free(payload);
	payload = malloc(mi.total_length);
	for (uint64_t i = 0; i < mi.total_length; i++)
		payload[i] = (uint8_t)(i * 7 + i / 251);
	for (size_t f = 0; f < mi.num_files; f++)
		if (files[f].is_pad)
			memset(payload + files[f].offset, 0, files[f].length);
}

/* sp_metainfo_piece_size lives in metainfo.c; the geometry is simple. */

/* ---- the server ---- */

struct srv {
	struct evhttp *http;
	uint16_t port;
	int requests;
	int flaky; /* "flaky" mode fails this many requests first */
};

static void send_body(struct evhttp_request *req, int code, const uint8_t *p, size_t n)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, p, n);
	evhttp_send_reply(req, code, code < 300 ? "OK" : "Error", b);
	evbuffer_free(b);
}

static const struct sp_mi_file *find_file(const char *path)
{
	for (size_t f = 0; f < mi.num_files; f++)
		if (!files[f].is_pad && !strcmp(path, files[f].path))
			return &files[f];
	return NULL;
}

/* "trickle": a 206 sent TRICKLE_CHUNK bytes a tick (every TRICKLE_MS),
 * as a slow server would (about 200 kB/s per request). One timer drives
 * every transfer and counts the ticks: the server's own clock, which a
 * busy machine slows down together with the client, unlike the wall
 * clock. */
#define TRICKLE_CHUNK 2048
#define TRICKLE_MS 10
#define TRICKLE_MAX 64

struct trickle {
	struct evhttp_request *req;
	const uint8_t *p;
	size_t left;
};

static struct trickle *trickles[TRICKLE_MAX];
static struct event *trickle_ev;
static uint64_t trickle_ticks;

static void trickle_on_timer(evutil_socket_t fd, short w, void *arg)
{
	trickle_ticks++;
	int active = 0;
	for (int i = 0; i < TRICKLE_MAX; i++) {
		struct trickle *tr = trickles[i];
		if (!tr)
			continue;
		size_t n = tr->left < TRICKLE_CHUNK ? tr->left : TRICKLE_CHUNK;
		struct evbuffer *b = evbuffer_new();
		evbuffer_add(b, tr->p, n);
		evhttp_send_reply_chunk(tr->req, b);
		evbuffer_free(b);
		tr->p += n;
		tr->left -= n;
		if (tr->left) {
			active++;
			continue;
		}
		evhttp_send_reply_end(tr->req);
		free(tr);
		trickles[i] = NULL;
	}
	if (!active) {
		event_free(trickle_ev);
		trickle_ev = NULL;
	}
}

static void trickle(struct evhttp_request *req, const uint8_t *p, size_t n)
{
	int slot = 0;
	while (slot < TRICKLE_MAX && trickles[slot])
		slot++;
	SP_CHECK(slot < TRICKLE_MAX);
	struct trickle *tr = calloc(1, sizeof(*tr));
	tr->req = req;
	tr->p = p;
	tr->left = n;
	trickles[slot] = tr;
	evhttp_send_reply_start(req, 206, "Partial");
	if (!trickle_ev) {
		trickle_ev = event_new(evhttp_connection_get_base(evhttp_request_get_connection(req)),
				       -1, EV_PERSIST, trickle_on_timer, NULL);
		struct timeval tv = {0, TRICKLE_MS * 1000};
		event_add(trickle_ev, &tv);
	}
}

static void serve(struct evhttp_request *req, const char *mode, const struct sp_mi_file *f)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *range = evhttp_find_header(in, "Range");
	unsigned long long a = 0, b = f->length - 1;
	bool ranged = range && sscanf(range, "bytes=%llu-%llu", &a, &b) == 2;
	const uint8_t *data = payload + f->offset;
	if (!strcmp(mode, "norange") || !ranged) {
		send_body(req, 200, data, f->length);
		return;
	}
	if (b >= f->length || a > b) {
		send_body(req, 416, (const uint8_t *)"no", 2);
		return;
	}
	char cr[128];
	snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", a, b, (unsigned long long)f->length);
	if (!strcmp(mode, "badrange"))
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", a + 1, b + 1,
			 (unsigned long long)f->length);
	evhttp_add_header(out, "Content-Range", cr);
	size_t n = (size_t)(b - a + 1);
	if (!strcmp(mode, "short")) {
		send_body(req, 206, data + a, n / 2);
	} else if (!strcmp(mode, "long")) {
		uint8_t *big = calloc(1, n + 100);
		send_body(req, 206, big, n + 100);
		free(big);
	} else if (!strcmp(mode, "trickle")) {
		trickle(req, data + a, n);
	} else if (!strcmp(mode, "chunked")) {
		/* no Content-Length: only the write callback can see the excess */
		evhttp_send_reply_start(req, 206, "Partial");
		struct evbuffer *buf = evbuffer_new();
		for (int i = 0; i < 3; i++) {
			evbuffer_add(buf, data + a, n);
			evhttp_send_reply_chunk(req, buf);
		}
		evhttp_send_reply_end(req);
		evbuffer_free(buf);
	} else {
		send_body(req, 206, data + a, n);
	}
}

/* BEP 17: /hs/seed.php?info_hash=..&piece=N&ranges=A-B */
static void serve_httpseed(struct srv *s, struct evhttp_request *req, bool busy)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq params;
	evhttp_parse_query_str(q ? q : "", &params);
	const char *ih = evhttp_find_header(&params, "info_hash");
	const char *piece = evhttp_find_header(&params, "piece");
	const char *ranges = evhttp_find_header(&params, "ranges");
	unsigned long long a, b;
	if (busy && s->flaky > 0) {
		s->flaky--;
		send_body(req, 503, (const uint8_t *)"1\n", 2);
	} else if (!ih || strlen(ih) != 20 || memcmp(ih, "IIIIIIIIIIIIIIIIIIII", 20) || !piece ||
		   !ranges || sscanf(ranges, "%llu-%llu", &a, &b) != 2) {
		send_body(req, 400, (const uint8_t *)"bad", 3);
	} else {
		uint64_t p0 = strtoull(piece, NULL, 10) * PIECE;
		send_body(req, 200, payload + p0 + a, (size_t)(b - a + 1));
	}
	evhttp_clear_headers(&params);
}

static void srv_on_request(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	s->requests++;
	const char *raw = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char *path = evhttp_uridecode(raw ? raw : "/", 0, NULL);
	char mode[32] = "";
	const char *rest = strchr(path + 1, '/');
	if (rest && (size_t)(rest - path - 1) < sizeof(mode)) {
		memcpy(mode, path + 1, (size_t)(rest - path - 1));
		mode[rest - path - 1] = 0;
		rest++;
	}
	const struct sp_mi_file *f = rest ? find_file(rest) : NULL;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	if (!strcmp(mode, "flaky") && s->flaky > 0) {
		s->flaky--;
		strcpy(mode, "503");
	}
	if (!strcmp(mode, "hs") || !strcmp(mode, "hsbusy")) {
		serve_httpseed(s, req, mode[2] == 'b');
	} else if (!strcmp(mode, "redirect") || !strcmp(mode, "loop")) {
		char loc[512];
		const char *raw_rest = raw ? strchr(raw + 1, '/') : NULL; /* still escaped */
		snprintf(loc, sizeof(loc), "/%s%s", mode[0] == 'r' ? "ok" : "loop",
			 raw_rest ? raw_rest : "/");
		evhttp_add_header(out, "Location", loc);
		send_body(req, 302, (const uint8_t *)"moved", 5);
	} else if (!strcmp(mode, "503")) {
		send_body(req, 503, (const uint8_t *)"busy", 4);
	} else if (!strcmp(mode, "slow")) {
		/* never answers */
	} else if (!f || !strcmp(mode, "404") || (!strcmp(mode, "nob") && strstr(f->path, "sub"))) {
		send_body(req, 404, (const uint8_t *)"not here", 8);
	} else {
		serve(req, mode, f);
	}
	free(path);
}

static void srv_start(struct srv *s, struct event_base *base)
{
	memset(s, 0, sizeof(*s));
	s->http = evhttp_new(base);
	struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	SP_CHECK(h);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	evhttp_set_gencb(s->http, srv_on_request, s);
}

/* ---- the client side ---- */

struct ctx {
	struct event_base *base;
	struct sp_curlev *curl;
	struct sp_webseed *ws;
	struct srv srv;
	int blocks, rejects, answered, errors, bad_data;
	uint32_t watch_piece; /* on_block notes when this piece's block lands */
	int64_t watch_at_us;
	uint64_t bytes;
	char last_err[512];
};

static void on_block(void *arg, struct sp_webseed *ws, uint32_t piece, uint32_t off,
		     const uint8_t *data, uint32_t len)
{
	struct ctx *c = arg;
	c->blocks++;
	c->answered++;
	if (piece == c->watch_piece && !c->watch_at_us)
		c->watch_at_us = sp_now_us();
	c->bytes += len;
	if (memcmp(data, payload + (uint64_t)piece * PIECE + off, len))
		c->bad_data++;
}

static void on_reject(void *arg, struct sp_webseed *ws, uint32_t piece, uint32_t off,
		      uint32_t len)
{
	struct ctx *c = arg;
	c->rejects++;
	c->answered++;
}

static void on_status(void *arg, struct sp_webseed *ws, const char *msg, bool is_error)
{
	struct ctx *c = arg;
	if (is_error) {
		c->errors++;
		snprintf(c->last_err, sizeof(c->last_err), "%s", msg);
	}
}

static uint32_t max_span = 65536;
/* curl's low-speed abort (below 1 KiB/s for this long): 1 s only where
 * the "too slow" fault is tested; elsewhere a process that loses the CPU
 * for a second must not abort a good transfer */
static uint32_t low_speed_s = 20;

static bool httpseed; /* make BEP 17 web seeds */

static void ctx_init(struct ctx *c, const char *mode, const char *suffix)
{
	memset(c, 0, sizeof(*c));
	c->watch_piece = UINT32_MAX;
	c->base = event_base_new();
	c->curl = sp_curlev_new(c->base);
	srv_start(&c->srv, c->base);
	char url[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s/%s", c->srv.port, mode, suffix);
	struct sp_webseed_callbacks cb = {.ctx = c, .on_block = on_block,
					  .on_reject = on_reject, .on_status = on_status};
	struct sp_webseed_config cfg;
	sp_webseed_config_default(&cfg);
	cfg.backoff_min_ms = 200;
	cfg.backoff_max_ms = 400;
	cfg.low_speed_s = low_speed_s;
	cfg.max_span = max_span;
	struct sp_error *err = NULL;
	c->ws = (httpseed ? sp_webseed_new_httpseed : sp_webseed_new)(c->curl, &mi, url, &cb, &cfg,
								     &err);
	if (!c->ws)
		SP_FAIL("sp_webseed_new: %s", sp_error_msg(err));
}

static int run_until(struct ctx *c, const int *flag, int want, int ms)
{
	return loop_until(c->base, flag, want, ms);
}

static void ctx_fini(struct ctx *c)
{
	sp_webseed_free(c->ws);
	sp_curlev_free(c->curl);
	evhttp_free(c->srv.http);
	event_base_free(c->base);
}

static uint32_t piece_size(uint32_t p)
{
	uint64_t start = (uint64_t)p * PIECE;
	return (uint32_t)(mi.total_length - start < PIECE ? mi.total_length - start : PIECE);
}

/* Request every block of pieces [p0, p1); returns how many. */
static int request_all(struct ctx *c, uint32_t p0, uint32_t p1)
{
	int n = 0;
	for (uint32_t p = p0; p < p1; p++)
		for (uint32_t off = 0; off < piece_size(p); off += BLOCK) {
			uint32_t len = piece_size(p) - off < BLOCK ? piece_size(p) - off : BLOCK;
			SP_CHECK_INT(sp_webseed_request(c->ws, p, off, len), 0);
			n++;
		}
	return n;
}

SP_TEST(url_mapping)
{
	make_torrent(true, true);
	char *u = sp_webseed_file_url("http://h/d/", &mi, 2);
	SP_CHECK_STR(u, "http://h/d/name/sub%20dir/b%20c%23%3F.bin");
	free(u);
	u = sp_webseed_file_url("http://h/d", &mi, 0);
	SP_CHECK_STR(u, "http://h/d/name/a.bin");
	free(u);
	make_torrent(false, false);
	u = sp_webseed_file_url("http://h/x/file.mp4", &mi, 0);
	SP_CHECK_STR(u, "http://h/x/file.mp4");
	free(u);
	u = sp_webseed_file_url("http://h/x/", &mi, 0);
	SP_CHECK_STR(u, "http://h/x/single.bin");
	free(u);
}

SP_TEST(fetches_every_block_coalesced)
{
	make_torrent(true, true);
	struct ctx c;
	ctx_init(&c, "ok", "");
	int n = request_all(&c, 0, mi.num_pieces);
	SP_CHECK_UINT(sp_webseed_outstanding(c.ws), n);
	SP_CHECK_INT(run_until(&c, &c.blocks, n, WAIT_MS), n);
	SP_CHECK_INT(c.bad_data, 0);
	SP_CHECK_UINT(c.bytes, mi.total_length);
	SP_CHECK_INT(c.errors, 0);
	/* 3 real files, at most 64 KiB per request: 1 + 2 + 1 requests */
	SP_CHECK_INT(c.srv.requests, 4);
	SP_CHECK_CMP(sp_webseed_rate(c.ws), >, 0);
	SP_CHECK_UINT(sp_webseed_outstanding(c.ws), 0);
	ctx_fini(&c);
}

SP_TEST(single_file_whole_file_200_is_accepted)
{
	make_torrent(false, false);
	struct ctx c;
	max_span = 1 << 20;
	ctx_init(&c, "norange", "single.bin");
	/* everything at once: one request for the whole file, answered 200 */
	int n = request_all(&c, 0, mi.num_pieces);
	SP_CHECK_INT(run_until(&c, &c.blocks, n, WAIT_MS), n);
	SP_CHECK_INT(c.bad_data, 0);
	SP_CHECK_INT(c.errors, 0);
	SP_CHECK_INT(c.srv.requests, 1);
	ctx_fini(&c);
}

/* Streaming asks for urgent blocks late: on a slow server, a block asked
 * for while a pipeline of bulk is in flight must not wait for a megabyte
 * of it. The client keeps PIPE blocks requested, as the picker would. */
#define PIPE 32

static uint32_t next_bulk; /* next bulk block index (single-file torrent) */

static void refill(struct ctx *c)
{
	while (sp_webseed_outstanding(c->ws) < PIPE && next_bulk < 200) {
		uint32_t p = next_bulk / 2, off = next_bulk % 2 * BLOCK;
		SP_CHECK_INT(sp_webseed_request(c->ws, p, off, BLOCK), 0);
		next_bulk++;
	}
}

SP_TEST(urgent_block_not_stuck_behind_bulk)
{
	single_len = 4 << 20;
	make_torrent(false, false);
	max_span = 1 << 20;
	struct ctx c;
	ctx_init(&c, "trickle", "single.bin");
	next_bulk = 0;
	refill(&c);
	struct event *tick = event_new(c.base, -1, EV_PERSIST, loop_wait_on_tick, NULL);
	struct timeval tv = {0, 10000};
	event_add(tick, &tv);
	/* ~200 kB/s per request: let the rate settle for ~1.5 s and a few
	 * blocks (the server is paced by its timer, so a busy machine only
	 * makes this take longer) */
	int64_t t0 = sp_now_us(), end = t0 + WAIT_MS * 1000LL;
	while ((sp_now_us() - t0 < 1500000 || c.blocks < 8) && sp_now_us() < end) {
		event_base_loop(c.base, EVLOOP_ONCE);
		refill(&c);
	}
	SP_CHECK_CMP(c.blocks, >=, 8);
	uint32_t last = mi.num_pieces - 1;
	c.watch_piece = last;
	int blocks_before = c.blocks;
	size_t in_flight = sp_webseed_outstanding(c.ws);
	uint64_t tick0 = trickle_ticks;
	t0 = sp_now_us();
	SP_CHECK_INT(sp_webseed_request(c.ws, last, 0, BLOCK), 0);
	while (!c.watch_at_us && sp_now_us() - t0 < WAIT_MS * 1000LL) {
		event_base_loop(c.base, EVLOOP_ONCE);
		refill(&c);
	}
	int64_t got_at = c.watch_at_us;
	event_free(tick);
	SP_CHECK(got_at);
	/* transfers turn over every fraction of a second: the block waits
	 * for a slot and the few blocks queued before it, not for the bulk
	 * in flight. Within 1.5 s of the server's clock (its ticks), not of
	 * the wall clock: a busy machine slows both sides alike. */
	uint64_t ticks = trickle_ticks - tick0;
	fprintf(stderr, "urgent block after %d bulk blocks (%zu in flight): %llu server ticks, "
		"%.0f ms\n", c.blocks - blocks_before - 1, in_flight, (unsigned long long)ticks,
		(double)(got_at - t0) / 1000);
	SP_CHECK_CMP(ticks, <, 1500 / TRICKLE_MS);
	SP_CHECK_INT(c.bad_data, 0);
	ctx_fini(&c);
	single_len = 100000;
}

SP_TEST(redirect_is_followed)
{
	make_torrent(true, false);
	struct ctx c;
	ctx_init(&c, "redirect", "");
	int n = request_all(&c, 1, 3);
	SP_CHECK_INT(run_until(&c, &c.blocks, n, WAIT_MS), n);
	SP_CHECK_INT(c.bad_data, 0);
	ctx_fini(&c);
}

static void fault(const char *mode, const char *expect)
{
	make_torrent(true, false);
	struct ctx c;
	if (!strcmp(mode, "slow"))
		low_speed_s = 1;
	ctx_init(&c, mode, "");
	low_speed_s = 20;
	int n = request_all(&c, 0, 2);
	SP_CHECK_INT(run_until(&c, &c.answered, n, WAIT_MS), n);
	SP_CHECK_CMP(c.rejects, >, 0);
	if (!strstr(c.last_err, expect))
		SP_FAIL("%s: \"%s\" lacks \"%s\"", mode, c.last_err, expect);
	SP_CHECK_INT(c.errors, 1);
	SP_CHECK_INT(c.blocks + c.rejects, n); /* each block answered once */
	SP_CHECK(!sp_webseed_usable(c.ws));
	SP_CHECK_INT(sp_webseed_request(c.ws, 0, 0, BLOCK), -EAGAIN);
	SP_CHECK_UINT(sp_webseed_outstanding(c.ws), 0);
	ctx_fini(&c);
}

SP_TEST(faults_reject_and_back_off)
{
	fault("503", "HTTP 503");
	fault("norange", "ignores Range");
	fault("badrange", "another range");
	fault("short", "short answer");
	fault("long", "more than asked");
	fault("chunked", "more than asked");
	fault("slow", "too slow");
	fault("loop", "redirects too many");
}

SP_TEST(missing_file_rejects_only_its_blocks)
{
	make_torrent(true, false);
	struct ctx c;
	ctx_init(&c, "nob", ""); /* 404 for "name/sub dir/..." only */
	const struct sp_mi_file *b = &files[1];
	int n = 0, touching = 0;
	for (uint32_t p = 0; p < mi.num_pieces; p++)
		for (uint32_t off = 0; off < piece_size(p); off += BLOCK, n++) {
			uint32_t len = piece_size(p) - off < BLOCK ? piece_size(p) - off : BLOCK;
			uint64_t s0 = (uint64_t)p * PIECE + off;
			touching += s0 < b->offset + b->length && s0 + len > b->offset;
			SP_CHECK_INT(sp_webseed_request(c.ws, p, off, len), 0);
		}
	SP_CHECK_INT(run_until(&c, &c.answered, n, WAIT_MS), n);
	SP_CHECK_INT(c.rejects, touching);
	SP_CHECK_INT(c.blocks, n - touching);
	SP_CHECK_INT(c.bad_data, 0);
	SP_CHECK_INT(c.errors, 1);
	SP_CHECK(strstr(c.last_err, "HTTP 404"));
	SP_CHECK(strstr(c.last_err, "sub dir"));
	/* the server stays in use for the other files */
	SP_CHECK(sp_webseed_usable(c.ws));
	SP_CHECK_INT(sp_webseed_request(c.ws, 2, 0, BLOCK), -EAGAIN);
	SP_CHECK_INT(sp_webseed_request(c.ws, 0, 0, BLOCK), 0);
	SP_CHECK_INT(run_until(&c, &c.blocks, n - touching + 1, WAIT_MS), n - touching + 1);
	ctx_fini(&c);
}

/* The back-off ends on the clock alone: nothing may be left in the loop to
 * wake it, so it is turned with loop_until_fn's tick (a bare
 * EVLOOP_ONCE could sleep forever). */
static bool ws_usable(void *ws)
{
	return sp_webseed_usable(ws);
}

SP_TEST(usable_again_after_back_off)
{
	make_torrent(true, false);
	struct ctx c;
	ctx_init(&c, "flaky", "");
	c.srv.flaky = 1;
	int n = request_all(&c, 0, 1);
	SP_CHECK_INT(run_until(&c, &c.rejects, n, WAIT_MS), n);
	SP_CHECK(!sp_webseed_usable(c.ws));
	int64_t t0 = sp_now_us();
	SP_CHECK(loop_until_fn(c.base, ws_usable, c.ws, WAIT_MS));
	SP_CHECK_CMP((sp_now_us() - t0) / 1000, >=, 100);
	n = request_all(&c, 0, 1);
	SP_CHECK_INT(run_until(&c, &c.blocks, n, WAIT_MS), n);
	SP_CHECK_INT(c.bad_data, 0);
	ctx_fini(&c);
}

static bool no_transfer(void *curl)
{
	return sp_curlev_count(curl) == 0;
}

SP_TEST(cancel_before_and_during)
{
	make_torrent(true, false);
	struct ctx c;
	ctx_init(&c, "ok", "");
	request_all(&c, 0, 2);
	sp_webseed_cancel(c.ws, 0, 0, BLOCK);
	sp_webseed_cancel(c.ws, 0, BLOCK, BLOCK);
	sp_webseed_cancel(c.ws, 1, 0, BLOCK);
	sp_webseed_cancel(c.ws, 1, BLOCK, BLOCK);
	SP_CHECK_UINT(sp_webseed_outstanding(c.ws), 0);
	run_until(&c, &c.blocks, 1, 300);
	SP_CHECK_INT(c.blocks + c.rejects, 0);
	SP_CHECK_INT(c.srv.requests, 0);
	/* a silent server: cancelling every block aborts the transfer */
	ctx_fini(&c);
	ctx_init(&c, "slow", "");
	request_all(&c, 0, 1);
	run_until(&c, &c.srv.requests, 1, WAIT_MS);
	SP_CHECK_INT(c.srv.requests, 1);
	sp_webseed_cancel(c.ws, 0, 0, BLOCK);
	sp_webseed_cancel(c.ws, 0, BLOCK, BLOCK);
	SP_CHECK(loop_until_fn(c.base, no_transfer, c.curl, WAIT_MS));
	SP_CHECK_INT(c.errors, 0);
	ctx_fini(&c);
}

SP_TEST(httpseed_bep17)
{
	make_torrent(true, true);
	httpseed = true;
	struct ctx c;
	ctx_init(&c, "hs", "seed.php");
	int n = request_all(&c, 0, mi.num_pieces);
	SP_CHECK_INT(run_until(&c, &c.blocks, n, WAIT_MS), n);
	SP_CHECK_INT(c.bad_data, 0);
	SP_CHECK_INT(c.errors, 0);
	/* the blocks of a piece share one request, files do not split it */
	SP_CHECK_INT(c.srv.requests, mi.num_pieces);
	ctx_fini(&c);

	/* 503 "1": wait one second, as told, rather than the back-off */
	ctx_init(&c, "hsbusy", "seed.php?k=v");
	c.srv.flaky = 1;
	n = request_all(&c, 0, 1);
	SP_CHECK_INT(run_until(&c, &c.rejects, n, WAIT_MS), n);
	SP_CHECK(strstr(c.last_err, "busy"));
	int64_t t0 = sp_now_us();
	SP_CHECK(loop_until_fn(c.base, ws_usable, c.ws, WAIT_MS));
	SP_CHECK_CMP((sp_now_us() - t0) / 1000, >, 600);
	n = request_all(&c, 0, 1);
	SP_CHECK_INT(run_until(&c, &c.blocks, n, WAIT_MS), n);
	SP_CHECK_INT(c.bad_data, 0);
	ctx_fini(&c);
	httpseed = false;
}

SP_TEST(bad_requests_refused)
{
	make_torrent(true, false);
	struct ctx c;
	ctx_init(&c, "ok", "");
	SP_CHECK_INT(sp_webseed_request(c.ws, mi.num_pieces, 0, BLOCK), -EINVAL);
	SP_CHECK_INT(sp_webseed_request(c.ws, 0, PIECE - 10, BLOCK), -EINVAL);
	SP_CHECK_INT(sp_webseed_request(c.ws, 0, 0, 0), -EINVAL);
	SP_CHECK_INT(sp_webseed_request(c.ws, mi.num_pieces - 1, 0, PIECE), -EINVAL);
	struct sp_error *err = NULL;
	SP_CHECK(!sp_webseed_new(c.curl, &mi, "ftp://x/", NULL, NULL, &err));
	SP_CHECK_INT(err->code, -ENOTSUP);
	sp_error_free(err);
	ctx_fini(&c);
}

SP_TEST_MAIN()
