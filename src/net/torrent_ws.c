/* torrent_ws.c - web seeds (BEP 19 url-list, and BEP 17 httpseeds
 * through sp_webseed_new_httpseed) as picker sources of kind
 * SP_SOURCE_WEBSEED: the glue between the picker's actions and sp_webseed
 * (webseed.c, the tracker engineer's HTTP layer). Net thread only.
 *
 * Invariants: a request the web seed refuses (backing off, queue full)
 * goes straight back to the picker as rejected; while it backs off the
 * picker sees it choked, so it is not offered blocks it would refuse. Its
 * blocks count as SP_FROM_WEBSEED once their piece verifies, and a web
 * seed is never banned (its address is not a peer's). */
#include "net/session.h"

#include <stdlib.h>

#include "core/log.h"
#include "net/webseed.h"

#define MOD "webseed"
#define WS_RTT_S 0.05 /* a guess until the picker measures: loopback to LAN */

static void ws_request(void *obj, uint32_t piece, uint32_t off, uint32_t len)
{
	struct sp_ws_source *w = obj;
	if (sp_webseed_request(w->ws, piece, off, len) < 0) {
		sp_picker_block_rejected(w->t->picker, w->source_id, piece, off);
		/* refused: backing off or full; no more offers until the tick */
		if (!w->choked) {
			w->choked = true;
			sp_picker_source_choke(w->t->picker, w->source_id, true, false);
		}
	}
}

static void ws_cancel(void *obj, uint32_t piece, uint32_t off, uint32_t len)
{
	struct sp_ws_source *w = obj;
	sp_webseed_cancel(w->ws, piece, off, len);
}

static const struct sp_blocksrc_ops ws_ops = {
	.request = ws_request,
	.cancel = ws_cancel,
};

static void on_block(void *ctx, struct sp_webseed *ws, uint32_t piece, uint32_t off,
		     const uint8_t *data, uint32_t len)
{
	struct sp_ws_source *w = ctx;
	sp_torrent_block_in(w->t, w->source_id, NULL, true, piece, off, data, len);
}

static void on_reject(void *ctx, struct sp_webseed *ws, uint32_t piece, uint32_t off,
		      uint32_t len)
{
	struct sp_ws_source *w = ctx;
	/* A fault rejects every block of a range at once; each is one picker
	 * block (16 KiB aligned) or the torrent's short last block. */
	for (uint32_t o = off; o < off + len; o += SP_PICKER_BLOCK)
		sp_picker_block_rejected(w->t->picker, w->source_id, piece, o);
	sp_torrent_pump(w->t);
}

static void on_status(void *ctx, struct sp_webseed *ws, const char *msg, bool is_error)
{
	if (is_error)
		SP_WARN(MOD, "%s: %s", sp_webseed_url(ws), msg);
	else
		SP_INFO(MOD, "%s: %s", sp_webseed_url(ws), msg);
}

/* One url-list (BEP 19) or httpseeds (BEP 17) entry as a picker source. */
static void ws_add(struct sp_torrent *t, const char *url, bool httpseed)
{
	struct sp_ws_source *w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->t = t;
	struct sp_webseed_callbacks cb = {
		.ctx = w,
		.on_block = on_block,
		.on_reject = on_reject,
		.on_status = on_status,
	};
	struct sp_error *err = NULL;
	w->ws = httpseed ? sp_webseed_new_httpseed(t->s->curl, t->mi, url, &cb, NULL, &err)
			 : sp_webseed_new(t->s->curl, t->mi, url, &cb, NULL, &err);
	if (!w->ws) {
		SP_WARN(MOD, "%s: %s", url, sp_error_msg(err));
		sp_error_free(err);
		free(w);
		return;
	}
	w->source_id = sp_torrent_add_source(t, SP_SOURCE_WEBSEED, &ws_ops, w);
	if (!w->source_id) {
		sp_webseed_free(w->ws);
		free(w);
		return;
	}
	sp_picker_source_choke(t->picker, w->source_id, false, false);
	w->next = t->webseeds;
	t->webseeds = w;
	SP_INFO(MOD, "using %s %s", httpseed ? "HTTP seed" : "web seed", url);
}

void sp_torrent_ws_start(struct sp_torrent *t)
{
	if (t->s->cfg.webseed_mode == SP_WEBSEED_NEVER || !t->s->curl || t->webseeds)
		return;
	for (size_t i = 0; i < t->mi->num_web_seeds; i++)
		ws_add(t, t->mi->web_seeds[i], false);
	for (size_t i = 0; i < t->mi->num_http_seeds; i++)
		ws_add(t, t->mi->http_seeds[i], true);
	sp_torrent_pump(t);
}

void sp_torrent_ws_tick(struct sp_torrent *t)
{
	for (struct sp_ws_source *w = t->webseeds; w; w = w->next) {
		bool usable = sp_webseed_usable(w->ws);
		if (usable == w->choked) {
			w->choked = !usable;
			sp_picker_source_choke(t->picker, w->source_id, w->choked, false);
		}
		sp_picker_source_rate(t->picker, w->source_id, sp_webseed_rate(w->ws), WS_RTT_S);
	}
}

void sp_torrent_ws_free(struct sp_torrent *t)
{
	while (t->webseeds) {
		struct sp_ws_source *w = t->webseeds;
		t->webseeds = w->next;
		if (t->picker && w->source_id)
			sp_torrent_remove_source(t, w->source_id);
		sp_webseed_free(w->ws);
		free(w);
	}
}
