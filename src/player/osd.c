/* osd.c - the on-screen display: a progress bar that shows which parts of
 * the file are here, the play position, swarm figures (peers, rates, where
 * bytes came from), and the buffering / paused / volume messages. Drawn
 * with filled rectangles and text through libass (text.c): UTF-8, so the
 * translations and the titles show as written. Main thread. */
#include <math.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "player/player_int.h"
#include "player/text.h"

/* A text row is 10 px high at OSD scale 1 (the bitmap font's 7 px and
 * 3 of spacing, which the layout keeps). */
#define ROW_PX 10

static int osd_scale(int w)
{
	return w >= 1200 ? 3 : w >= 480 ? 2 : 1;
}

SDL_Rect sp_render_bar_rect(struct player *p)
{
	int w = 0, h = 0;
	if (p->ren)
		SDL_GetRendererOutputSize(p->ren, &w, &h);
	int s = osd_scale(w);
	return (SDL_Rect){8 * s, h - 10 * s, w - 16 * s, 6 * s};
}

/* Text whose scale shrinks until it fits in maxw; right: x is the right
 * edge. Returns the width drawn. */
static int text(struct player *p, const char *s, int x, int y, int scale, int maxw, bool right)
{
	while (scale > 1 && sp_text_width(p->text, s, ROW_PX * scale) > maxw)
		scale--;
	int tw = sp_text_width(p->text, s, ROW_PX * scale);
	return sp_text_draw(p->text, s, ROW_PX * scale, right ? x - tw : x, y);
}

static void fmt_time(char *out, size_t n, double s)
{
	if (!(s >= 0))
		s = 0;
	int t = (int)s;
	if (t >= 3600)
		snprintf(out, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, n, "%02d:%02d", t / 60, t % 60);
}

static void fmt_rate(char *out, size_t n, double bps)
{
	if (bps >= 1e6)
		snprintf(out, n, "%.1f MB/s", bps / 1e6);
	else
		snprintf(out, n, "%.0f kB/s", bps / 1e3);
}

static void draw_bar(struct player *p, SDL_Rect bar, int s)
{
	SDL_Renderer *ren = p->ren;
	SDL_SetRenderDrawColor(ren, 70, 70, 70, 220);
	SDL_RenderFillRect(ren, &bar);
	for (int i = 0; i < SP_PLAYER_MAP_CELLS; i++) {
		int v = p->net.map[i];
		if (!v)
			continue;
		int x0 = bar.x + (int)((int64_t)bar.w * i / SP_PLAYER_MAP_CELLS);
		int x1 = bar.x + (int)((int64_t)bar.w * (i + 1) / SP_PLAYER_MAP_CELLS);
		SDL_SetRenderDrawColor(ren, 60, 130, 220, (Uint8)(80 + v * 175 / 255));
		SDL_RenderFillRect(ren, &(SDL_Rect){x0, bar.y, x1 - x0, bar.h});
	}
	if (p->duration > 0) {
		double f = fmin(fmax(p->pos / p->duration, 0), 1);
		int px = (int)(bar.w * f);
		SDL_SetRenderDrawColor(ren, 230, 60, 60, 255);
		SDL_RenderFillRect(ren, &(SDL_Rect){bar.x, bar.y + bar.h / 3, px, bar.h - 2 * (bar.h / 3)});
		SDL_SetRenderDrawColor(ren, 255, 255, 255, 255);
		SDL_RenderFillRect(ren, &(SDL_Rect){bar.x + px - s, bar.y - s, 2 * s, bar.h + 2 * s});
	}
}

/* The swarm line ("3 peers  down 1.2 MB/s ...") and the sources line;
 * either may come back empty. Shared by the OSD and --progress. */
void sp_osd_swarm_lines(struct player *p, char *swarm_line, size_t n1, char *from_line, size_t n2)
{
	const struct sp_player_netinfo *n = &p->net;
	swarm_line[0] = from_line[0] = 0;
	if (!n->torrent) {
		snprintf(swarm_line, n1, "%s", _("local file"));
		return;
	}
	char down[32], up[32];
	fmt_rate(down, sizeof(down), n->down_rate);
	fmt_rate(up, sizeof(up), n->up_rate);
	int sw = snprintf(swarm_line, n1, _("peers %d  down %s  up %s  %d%%"), n->peers, down,
			  up, (int)(n->progress * 100));
	if (n->error[0] && sw > 0 && (size_t)sw < n1) /* a storage fault: why it waits */
		snprintf(swarm_line + sw, n1 - (size_t)sw, "  [%s]", n->error);
	uint64_t tot = n->from[0] + n->from[1] + n->from[2];
	if (!tot)
		return;
	int pct[SP_PLAYER_FROM_N];
	for (int i = 0; i < SP_PLAYER_FROM_N; i++)
		pct[i] = (int)(100.0 * (double)n->from[i] / (double)tot + 0.5);
	int w = snprintf(from_line, n2, _("from peers %d%%  web seed %d%%  cache %d%%"), pct[0],
			 pct[1], pct[2]);
	/* what the sources sent in vain, over what they sent (issue 9) */
	uint64_t sent = n->from[0] + n->from[1] + n->wasted;
	if (n->wasted && sent && w > 0 && (size_t)w < n2)
		snprintf(from_line + w, n2 - (size_t)w, _("  wasted %.1f%%"),
			 100.0 * (double)n->wasted / (double)sent);
}

void sp_osd_time_line(struct player *p, char *out, size_t n)
{
	char t1[16], t2[16];
	fmt_time(t1, sizeof(t1), p->pos);
	fmt_time(t2, sizeof(t2), p->duration);
	snprintf(out, n, "%s / %s", t1, t2);
}

/* Rows above the bar, bottom up: the time, then the swarm line (beside
 * the time when both fit), then where bytes came from, then whether peers
 * outside can connect in ("reachable at A:P via UPnP", "not reachable
 * from outside: ..."; none when port mapping is off). One text scale for
 * all rows: the largest at which the widest row fits. Returns the top. */
static int draw_figures(struct player *p, int w, int y, int s)
{
	char t[64], sw[160], from[160];
	sp_osd_time_line(p, t, sizeof(t));
	sp_osd_swarm_lines(p, sw, sizeof(sw), from, sizeof(from));
	const char *reach = p->net.torrent ? p->net.reachable : "";
	int room = w - 16 * s, ts = s;
	bool beside = false;
	for (;; ts--) {
		int px = ROW_PX * ts, gap = 2 * px;
		int tw = sp_text_width(p->text, t, px), sww = sp_text_width(p->text, sw, px);
		beside = tw + gap + sww <= room;
		int widest = beside ? tw + gap + sww : sww;
		widest = SDL_max(widest, sp_text_width(p->text, from, px));
		widest = SDL_max(widest, sp_text_width(p->text, reach, px));
		if (ts <= 1 || widest <= room)
			break;
	}
	int row = ROW_PX * ts;
	text(p, t, 8 * s, y, ts, room, false);
	if (!beside)
		y -= row;
	text(p, sw, w - 8 * s, y, ts, room, true);
	if (from[0]) {
		y -= row;
		text(p, from, w - 8 * s, y, ts, room, true);
	}
	if (reach[0]) {
		y -= row;
		text(p, reach, w - 8 * s, y, ts, room, true);
	}
	return y - 3 * ts;
}

static void draw_center(struct player *p, const char *msg, int w, int h, int s)
{
	int scale = 2 * s;
	while (scale > 1 && sp_text_width(p->text, msg, ROW_PX * scale) > w - 32)
		scale--;
	int tw = sp_text_width(p->text, msg, ROW_PX * scale);
	SDL_Rect box = {(w - tw) / 2 - 6 * scale, h / 2 - 6 * scale, tw + 12 * scale, 19 * scale};
	SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 160);
	SDL_RenderFillRect(p->ren, &box);
	text(p, msg, (w - tw) / 2, h / 2 - 5 * scale, scale, w, false);
}

void sp_osd_draw(struct player *p, int w, int h)
{
	int s = osd_scale(w);
	SDL_Rect bar = sp_render_bar_rect(p);
	/* text first on a scratch pass would need a texture: draw the panel
	 * from the previous frame's height instead (rows rarely change) */
	int panel_y = p->osd_panel_y > 0 && p->osd_panel_y < bar.y ? p->osd_panel_y
								   : bar.y - 15 * s;
	SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 110);
	SDL_RenderFillRect(p->ren, &(SDL_Rect){0, panel_y, w, h - panel_y});
	draw_bar(p, bar, s);
	p->osd_panel_y = draw_figures(p, w, bar.y - 12 * s, s);
	char msg[64];
	int64_t now = sp_now_us();
	if ((p->buffering || !p->opened) && p->net.checking) {
		draw_center(p, _("checking the data on disk"), w, h, s);
	} else if (p->buffering || !p->opened) {
		snprintf(msg, sizeof(msg), _("buffering %d%%"), (int)sp_player_buffer_percent(p));
		draw_center(p, msg, w, h, s);
	} else if (p->osd_msg[0] && now < p->osd_msg_until) {
		draw_center(p, p->osd_msg, w, h, s);
	} else if (p->paused) {
		draw_center(p, _("paused"), w, h, s);
	} else if (p->ended) {
		draw_center(p, p->net.torrent ? _("the end - seeding") : _("the end"), w, h, s);
	}
}
