/* webseed.c - a BEP 19 web seed: block requests in, Range requests on the
 * session's sp_curlev, blocks out (see webseed.h for the contract).
 *
 * Blocks live in one list in request order. A block is "queued" while
 * part of it has no transfer yet (assigned < end); the dispatcher, run from
 * a deferred event so that a burst of requests coalesces, turns the first
 * queued block plus the blocks that continue it in the same file into one
 * transfer of at most span_limit() bytes (about half a second of the
 * server's rate, within max_span). Transfers write straight into the
 * blocks' buffers; a block is handed out when all its bytes are in.
 *
 * Invariants: a block is "dead" once delivered, rejected or cancelled and
 * gets no further callback; a transfer holds a reference on each of its
 * blocks; blocks are freed only by sweep() (dead and unreferenced), never
 * while a callback may be iterating the list. Every response is checked
 * before its first byte is used: 206 with the Content-Range we asked for,
 * or 200 only when we asked for the whole file; bodies are cut at the
 * requested length. Net thread only. */
#include "net/webseed.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/webseed_int.h"

void sp_webseed_config_default(struct sp_webseed_config *cfg)
{
	*cfg = (struct sp_webseed_config){
		.max_transfers = 4,
		.max_span = 1 << 20,
		.max_queued = 2048,
		.connect_timeout_ms = 10000,
		.low_speed_bytes = 1024,
		.low_speed_s = 20,
		.backoff_min_ms = 5000,
		.backoff_max_ms = 300000,
		.max_redirects = 5,
	};
}

static void status(struct sp_webseed *ws, const char *msg, bool is_error)
{
	if (is_error)
		SP_INFO("webseed", "%s: %s", ws->url, msg);
	if (ws->cb.on_status)
		ws->cb.on_status(ws->cb.ctx, ws, msg, is_error);
}

static void kick(struct sp_webseed *ws)
{
	event_active(ws->kick, 0, 0);
}

static uint64_t blk_end(const struct wblock *b)
{
	return b->start + b->len;
}

static void kill_block(struct sp_webseed *ws, struct wblock *b)
{
	b->dead = true;
	ws->live--;
}

/* ---- rate: an exponentially weighted byte count over ~RATE_TAU ---- */

#define RATE_TAU_S 3.0

void sp_webseed_rate_add(struct sp_webseed *ws, size_t n)
{
	int64_t now = sp_now_us();
	double dt = ws->rate_at_us ? (double)(now - ws->rate_at_us) / 1e6 : 0;
	ws->rate = ws->rate * exp(-dt / RATE_TAU_S) + (double)n / RATE_TAU_S;
	ws->rate_at_us = now;
}

double sp_webseed_rate(const struct sp_webseed *ws)
{
	if (!ws->rate_at_us)
		return 0;
	double dt = (double)(sp_now_us() - ws->rate_at_us) / 1e6;
	return ws->rate * exp(-dt / RATE_TAU_S);
}

/* ---- blocks ---- */

void sp_webseed_deliver(struct sp_webseed *ws, struct wblock *b)
{
	kill_block(ws, b);
	if (ws->cb.on_block)
		ws->cb.on_block(ws->cb.ctx, ws, b->piece, b->offset, b->data, b->len);
}

static void reject(struct sp_webseed *ws, struct wblock *b)
{
	if (b->dead)
		return;
	kill_block(ws, b);
	if (ws->cb.on_reject)
		ws->cb.on_reject(ws->cb.ctx, ws, b->piece, b->offset, b->len);
}

static void sweep(struct sp_webseed *ws)
{
	struct wblock **pp = &ws->blocks;
	while (*pp) {
		struct wblock *b = *pp;
		if (b->dead && !b->refs) {
			*pp = b->next;
			if (ws->tail == b)
				ws->tail = NULL;
			free(b->data);
			free(b);
		} else {
			pp = &b->next;
		}
	}
	ws->tail = NULL;
	for (struct wblock *b = ws->blocks; b; b = b->next)
		ws->tail = b;
}

size_t sp_webseed_outstanding(const struct sp_webseed *ws)
{
	return ws->live;
}

static size_t file_at(const struct sp_metainfo *mi, uint64_t pos);

/* Does [start, end) touch a file the server lacks? */
static bool in_bad_file(const struct sp_webseed *ws, uint64_t start, uint64_t end)
{
	const struct sp_metainfo *mi = ws->mi;
	int64_t now = sp_now_us();
	for (size_t f = file_at(mi, start); f < mi->num_files && mi->files[f].offset < end; f++)
		if (ws->file_until_us[f] > now)
			return true;
	return false;
}

int sp_webseed_request(struct sp_webseed *ws, uint32_t piece, uint32_t offset, uint32_t len)
{
	const struct sp_metainfo *mi = ws->mi;
	if (piece >= mi->num_pieces || !len || len > SP_WEBSEED_MAX_BLOCK ||
	    offset > sp_metainfo_piece_size(mi, piece) ||
	    len > sp_metainfo_piece_size(mi, piece) - offset)
		return -EINVAL;
	uint64_t start = (uint64_t)piece * mi->piece_length + offset;
	if (!sp_webseed_usable(ws) || in_bad_file(ws, start, start + len))
		return -EAGAIN;
	if (sp_webseed_outstanding(ws) >= ws->cfg.max_queued)
		return -ENOBUFS;
	struct wblock *b = calloc(1, sizeof(*b));
	if (!b || !(b->data = malloc(len))) {
		free(b);
		return -ENOMEM;
	}
	b->piece = piece;
	b->offset = offset;
	b->len = len;
	b->start = start;
	b->assigned = b->start;
	ws->live++;
	if (ws->tail)
		ws->tail->next = b;
	else
		ws->blocks = b;
	ws->tail = b;
	kick(ws);
	return 0;
}

void sp_webseed_cancel(struct sp_webseed *ws, uint32_t piece, uint32_t offset, uint32_t len)
{
	for (struct wblock *b = ws->blocks; b; b = b->next) {
		if (!b->dead && b->piece == piece && b->offset == offset && b->len == len) {
			kill_block(ws, b);
			b->cancelled = true;
			kick(ws); /* the sweep, and aborting a transfer nobody wants */
			return;
		}
	}
}

bool sp_webseed_usable(const struct sp_webseed *ws)
{
	return !ws->backoff_until_us || sp_now_us() >= ws->backoff_until_us;
}

const char *sp_webseed_url(const struct sp_webseed *ws)
{
	return ws->url;
}

/* ---- failures ---- */

/* A transfer failed: its blocks and every queued one go back to the
 * picker, and we keep away from the server for a while. */
void sp_webseed_fail(struct sp_webseed *ws, const char *why, uint32_t retry_ms)
{
	ws->failures++;
	unsigned shift = ws->failures - 1 < 16 ? ws->failures - 1 : 16;
	uint64_t ms = (uint64_t)ws->cfg.backoff_min_ms << shift;
	if (ms > ws->cfg.backoff_max_ms)
		ms = ws->cfg.backoff_max_ms;
	if (retry_ms)
		ms = retry_ms; /* the server said when (BEP 17 503) */
	ws->backoff_until_us = sp_now_us() + (int64_t)ms * 1000;
	char msg[512];
	snprintf(msg, sizeof(msg), _("%s; trying again in %g s"), why, (double)ms / 1000);
	status(ws, msg, true);
	/* The server is misbehaving: stop everything we asked of it. */
	while (ws->xfers)
		sp_webseed_xfer_release(ws, ws->xfers);
	for (struct wblock *b = ws->blocks; b; b = b->next)
		reject(ws, b);
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(ws->retry, &tv);
}

/* One file is missing or different on the server (404, 416, wrong
 * size): only its blocks go back, and it is not asked for again for
 * backoff_max_ms; the rest of the server stays in use. */
void sp_webseed_fail_file(struct sp_webseed *ws, size_t f, const char *why)
{
	const struct sp_mi_file *mf = &ws->mi->files[f];
	uint32_t ms = ws->cfg.backoff_max_ms;
	ws->file_until_us[f] = sp_now_us() + (int64_t)ms * 1000;
	char msg[768];
	snprintf(msg, sizeof(msg), _("%s: %s; not asked for again for %g s"), mf->path, why,
		 (double)ms / 1000);
	status(ws, msg, true);
	struct wxfer *x = ws->xfers;
	while (x) {
		struct wxfer *next = x->next;
		if (x->file == f)
			sp_webseed_xfer_release(ws, x);
		x = next;
	}
	for (struct wblock *b = ws->blocks; b; b = b->next)
		if (b->start < mf->offset + mf->length && blk_end(b) > mf->offset)
			reject(ws, b);
	kick(ws);
}

void sp_webseed_xfer_release(struct sp_webseed *ws, struct wxfer *x)
{
	for (struct wxfer **pp = &ws->xfers; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	ws->nxfers--;
	for (size_t i = 0; i < x->nblk; i++)
		x->blk[i]->refs--;
	if (x->easy) {
		sp_curlev_remove(ws->curl, x->easy);
		curl_easy_cleanup(x->easy);
	}
	free(x->blk);
	free(x);
}

/* ---- dispatch ---- */

/* Index of the file holding torrent byte pos (zero-length files never). */
static size_t file_at(const struct sp_metainfo *mi, uint64_t pos)
{
	size_t lo = 0, hi = mi->num_files;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (mi->files[mid].offset <= pos)
			lo = mid;
		else
			hi = mid;
	}
	while (lo + 1 < mi->num_files && mi->files[lo].offset + mi->files[lo].length <= pos)
		lo++;
	return lo;
}

/* BEP 47 pad files are zeros and are not on the server: fill locally. */
static void fill_pad(struct sp_webseed *ws, struct wblock *b, uint64_t fend)
{
	uint64_t e = blk_end(b) < fend ? blk_end(b) : fend;
	memset(b->data + (b->assigned - b->start), 0, (size_t)(e - b->assigned));
	b->got += (uint32_t)(e - b->assigned);
	b->assigned = e;
	if (b->got == b->len && !b->dead)
		sp_webseed_deliver(ws, b);
}

static struct wblock *find_next(struct sp_webseed *ws, uint64_t at)
{
	for (struct wblock *b = ws->blocks; b; b = b->next)
		if (!b->dead && b->start == at && b->assigned == at)
			return b;
	return NULL;
}

/* How much one request may carry: about SPAN_TARGET_S of this server's
 * measured rate per transfer, so a block asked for now waits behind at
 * most that much bulk (streaming asks for urgent blocks late); between
 * SPAN_MIN and max_span, SPAN_FIRST until the rate is known. */
#define SPAN_TARGET_S 0.5
#define SPAN_MIN (64u << 10)
#define SPAN_FIRST (256u << 10)

static uint64_t span_limit(const struct sp_webseed *ws)
{
	uint64_t span = SPAN_FIRST;
	if (ws->rate_at_us) {
		double per = sp_webseed_rate(ws) / (ws->nxfers + 1) * SPAN_TARGET_S;
		span = per < SPAN_MIN ? SPAN_MIN : per > (double)UINT32_MAX ? UINT32_MAX : (uint64_t)per;
	}
	return span < ws->cfg.max_span ? span : ws->cfg.max_span;
}

/* Gather the blocks of one transfer starting at b->assigned, in file f. */
static int gather(struct sp_webseed *ws, struct wblock *b, uint64_t fend, struct wxfer *x)
{
	uint64_t max_span = span_limit(ws);
	size_t cap = 16;
	x->blk = malloc(cap * sizeof(*x->blk));
	if (!x->blk)
		return -ENOMEM;
	x->start = b->assigned;
	x->end = blk_end(b) < fend ? blk_end(b) : fend;
	b->assigned = x->end;
	x->blk[x->nblk++] = b;
	while (x->end == blk_end(b) && x->end < fend && x->end - x->start < max_span) {
		struct wblock *n = find_next(ws, x->end);
		if (!n)
			break;
		if (x->nblk == cap) {
			struct wblock **nb = realloc(x->blk, 2 * cap * sizeof(*nb));
			if (!nb)
				break;
			x->blk = nb;
			cap *= 2;
		}
		x->blk[x->nblk++] = n;
		x->end = blk_end(n) < fend ? blk_end(n) : fend;
		n->assigned = x->end;
		b = n;
	}
	for (size_t i = 0; i < x->nblk; i++)
		x->blk[i]->refs++;
	return 0;
}

static void start_one(struct sp_webseed *ws, struct wblock *b)
{
	const struct sp_metainfo *mi = ws->mi;
	size_t f = file_at(mi, b->assigned);
	uint64_t fend = mi->files[f].offset + mi->files[f].length;
	if (ws->httpseed) {
		/* BEP 17 asks by piece; the server maps it to its files */
		fend = (uint64_t)b->piece * mi->piece_length + sp_metainfo_piece_size(mi, b->piece);
	} else if (mi->files[f].is_pad) {
		fill_pad(ws, b, fend);
		return;
	}
	struct wxfer *x = calloc(1, sizeof(*x));
	if (!x || gather(ws, b, fend, x) < 0) {
		free(x);
		sp_webseed_fail(ws, _("out of memory"), 0);
		return;
	}
	x->ws = ws;
	x->file = f;
	x->pos = x->start;
	x->next = ws->xfers;
	ws->xfers = x;
	ws->nxfers++;
	int r = sp_webseed_xfer_start(ws, x);
	if (r < 0) {
		sp_webseed_xfer_release(ws, x);
		sp_webseed_fail(ws, _("cannot start the web seed request"), 0);
	}
}

/* A transfer whose remaining blocks were all cancelled is not worth its
 * bandwidth. */
static void abort_unwanted(struct sp_webseed *ws)
{
	struct wxfer *x = ws->xfers;
	while (x) {
		struct wxfer *next = x->next;
		bool wanted = false;
		for (size_t i = 0; i < x->nblk && !wanted; i++)
			wanted = !x->blk[i]->cancelled && x->blk[i]->got < x->blk[i]->len;
		if (!wanted)
			sp_webseed_xfer_release(ws, x);
		x = next;
	}
}

static void webseed_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct sp_webseed *ws = arg;
	abort_unwanted(ws);
	while (sp_webseed_usable(ws) && ws->nxfers < ws->cfg.max_transfers) {
		struct wblock *b = ws->blocks;
		while (b && (b->dead || b->assigned >= blk_end(b)))
			b = b->next;
		if (!b)
			break;
		start_one(ws, b);
	}
	sweep(ws);
}

static void webseed_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sp_webseed *ws = arg;
	status(ws, _("web seed usable again"), false);
	kick(ws);
}

void sp_webseed_xfer_done(struct sp_webseed *ws)
{
	ws->failures = 0;
	kick(ws);
}

/* ---- lifecycle ---- */

struct sp_webseed *sp_webseed_new_httpseed(struct sp_curlev *c, const struct sp_metainfo *mi,
					   const char *url, const struct sp_webseed_callbacks *cb,
					   const struct sp_webseed_config *cfg,
					   struct sp_error **err)
{
	struct sp_webseed *ws = sp_webseed_new(c, mi, url, cb, cfg, err);
	if (ws)
		ws->httpseed = true;
	return ws;
}

struct sp_webseed *sp_webseed_new(struct sp_curlev *c, const struct sp_metainfo *mi,
				  const char *url, const struct sp_webseed_callbacks *cb,
				  const struct sp_webseed_config *cfg, struct sp_error **err)
{
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
		sp_error_set(err, -ENOTSUP, _("unsupported web seed address: %s"), url);
		return NULL;
	}
	if (!mi->num_files || mi->is_magnet) {
		sp_error_set(err, -EINVAL, _("web seed needs the torrent's file list"));
		return NULL;
	}
	struct sp_webseed *ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->curl = c;
	ws->mi = mi;
	if (cb)
		ws->cb = *cb;
	if (cfg)
		ws->cfg = *cfg;
	else
		sp_webseed_config_default(&ws->cfg);
	ws->url = strdup(url);
	ws->file_urls = calloc(mi->num_files, sizeof(*ws->file_urls));
	ws->file_until_us = calloc(mi->num_files, sizeof(*ws->file_until_us));
	struct event_base *base = sp_curlev_base(c);
	ws->kick = event_new(base, -1, 0, webseed_on_kick, ws);
	ws->retry = evtimer_new(base, webseed_on_retry, ws);
	if (!ws->url || !ws->file_urls || !ws->file_until_us || !ws->kick || !ws->retry) {
		sp_webseed_free(ws);
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	return ws;
}

void sp_webseed_free(struct sp_webseed *ws)
{
	if (!ws)
		return;
	while (ws->xfers)
		sp_webseed_xfer_release(ws, ws->xfers);
	for (struct wblock *b = ws->blocks; b; b = b->next)
		b->dead = true;
	sweep(ws);
	if (ws->kick)
		event_free(ws->kick);
	if (ws->retry)
		event_free(ws->retry);
	for (size_t i = 0; ws->file_urls && i < ws->mi->num_files; i++)
		free(ws->file_urls[i]);
	free(ws->file_urls);
	free(ws->file_until_us);
	free(ws->url);
	free(ws);
}
