/* input.c - keys and mouse: space pause, left/right -/+10 s, up/down
 * +/-60 s, click or drag on the progress bar to seek, f or double-click
 * for fullscreen, m mute, 9/0 volume, v show/hide subtitles, j next
 * subtitle track, # next audio track, s screenshot, > or Enter next
 * file and < previous file of a torrent's playlist, q/Esc quit. Main
 * thread. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "player/player_int.h"

#define DRAG_SEEK_PERIOD_US 150000
#define VOLUME_STEP 10
#define OSD_MSG_US 1500000
#define CURSOR_HIDE_US 3000000

void sp_osd_message(struct player *p, const char *msg)
{
	snprintf(p->osd_msg, sizeof(p->osd_msg), "%s", msg);
	p->osd_msg_until = sp_now_us() + OSD_MSG_US;
}

static void seek_relative(struct player *p, double delta)
{
	if (!p->opened)
		return;
	double base = p->awaiting_seek ? p->seek_req_target : sp_player_position(p);
	sp_demux_seek(p, base + delta);
}

static void change_volume(struct player *p, int delta)
{
	int v = atomic_load(&p->volume) + delta;
	v = v < 0 ? 0 : v > 100 ? 100 : v;
	atomic_store(&p->volume, v);
	char msg[64];
	snprintf(msg, sizeof(msg), _("volume %d%%"), v);
	sp_osd_message(p, msg);
}

/* The playlist's keys (mpv's): this play ends, cmd_play.c goes on. */
static void skip(struct player *p, int dir)
{
	if ((dir > 0 && !p->cfg->has_next) || (dir < 0 && !p->cfg->has_prev))
		return;
	p->skip = dir;
	p->quit = true;
}

static void on_key(struct player *p, SDL_Keycode k)
{
	switch (k) {
	case SDLK_RETURN:
	case SDLK_KP_ENTER:
		skip(p, 1);
		break;
	case SDLK_q:
	case SDLK_ESCAPE:
		p->quit = true;
		break;
	case SDLK_SPACE:
	case SDLK_p:
		sp_player_toggle_pause(p);
		break;
	case SDLK_LEFT:
		seek_relative(p, -10);
		break;
	case SDLK_RIGHT:
		seek_relative(p, 10);
		break;
	case SDLK_UP:
		seek_relative(p, 60);
		break;
	case SDLK_DOWN:
		seek_relative(p, -60);
		break;
	case SDLK_f:
		sp_render_toggle_fullscreen(p);
		break;
	case SDLK_v:
		sp_sub_toggle(p);
		break;
	case SDLK_j:
		sp_sub_cycle(p);
		break;
	case SDLK_s:
		sp_shot_key(p);
		break;
	case SDLK_m: {
		bool m = !atomic_load(&p->muted);
		atomic_store(&p->muted, m);
		sp_osd_message(p, m ? _("muted") : _("sound on"));
		break;
	}
	case SDLK_9:
	case SDLK_KP_9:
		change_volume(p, -VOLUME_STEP);
		break;
	case SDLK_0:
	case SDLK_KP_0:
		change_volume(p, VOLUME_STEP);
		break;
	default:
		break;
	}
}

/* Window x → position on the bar, if (x, y) is on or near it. */
static bool bar_hit(struct player *p, int x, int y, double *target)
{
	SDL_Rect bar = sp_render_bar_rect(p);
	if (p->duration <= 0 || bar.w <= 0)
		return false;
	if (y < bar.y - 2 * bar.h || y > bar.y + 3 * bar.h)
		return false;
	double f = (double)(x - bar.x) / bar.w;
	*target = fmin(fmax(f, 0), 1) * p->duration;
	return true;
}

static void on_button(struct player *p, const SDL_MouseButtonEvent *b)
{
	if (b->button != SDL_BUTTON_LEFT)
		return;
	double t;
	if (bar_hit(p, b->x, b->y, &t)) {
		p->dragging = true;
		p->last_drag_seek_us = sp_now_us();
		p->drag_target = t;
		sp_demux_seek(p, t);
		return;
	}
	if (b->clicks >= 2)
		sp_render_toggle_fullscreen(p);
}

static void on_motion(struct player *p, const SDL_MouseMotionEvent *m)
{
	if (!p->dragging || !(m->state & SDL_BUTTON_LMASK))
		return;
	int64_t now = sp_now_us();
	if (now - p->last_drag_seek_us < DRAG_SEEK_PERIOD_US)
		return;
	SDL_Rect bar = sp_render_bar_rect(p);
	if (p->duration <= 0 || bar.w <= 0)
		return;
	double f = fmin(fmax((double)(m->x - bar.x) / bar.w, 0), 1);
	p->last_drag_seek_us = now;
	p->drag_target = f * p->duration;
	sp_demux_seek(p, p->drag_target);
}

/* In fullscreen the pointer hides after a few still seconds. */
void sp_input_idle(struct player *p, int64_t now)
{
	bool hide = p->fullscreen && now - p->last_input_us > CURSOR_HIDE_US;
	if (hide != p->cursor_hidden) {
		SDL_ShowCursor(hide ? SDL_DISABLE : SDL_ENABLE);
		p->cursor_hidden = hide;
	}
}

void sp_input_handle(struct player *p, const SDL_Event *ev)
{
	if (ev->type == SDL_MOUSEMOTION || ev->type == SDL_KEYDOWN ||
	    ev->type == SDL_MOUSEBUTTONDOWN)
		p->last_input_us = sp_now_us();
	switch (ev->type) {
	case SDL_WINDOWEVENT:
		/* resized, exposed: draw now rather than at the next OSD tick */
		p->last_osd_us = 0;
		break;
	case SDL_QUIT:
		p->quit = true;
		break;
	case SDL_KEYDOWN:
		on_key(p, ev->key.keysym.sym);
		break;
	case SDL_TEXTINPUT:
		/* '#' is a shifted key on most layouts: taken as typed text */
		if (!strcmp(ev->text.text, "#"))
			sp_player_cycle_audio(p);
		else if (!strcmp(ev->text.text, ">"))
			skip(p, 1);
		else if (!strcmp(ev->text.text, "<"))
			skip(p, -1);
		break;
	case SDL_MOUSEBUTTONDOWN:
		on_button(p, &ev->button);
		break;
	case SDL_MOUSEBUTTONUP:
		if (p->dragging && ev->button.button == SDL_BUTTON_LEFT) {
			/* the drag ends where it is let go, however soon after
			 * the last seek (a busy machine hands the motion and
			 * the release over at once); a click seeks once */
			double t;
			if (bar_hit(p, ev->button.x, ev->button.y, &t) && t != p->drag_target)
				sp_demux_seek(p, t);
			p->dragging = false;
		}
		break;
	case SDL_MOUSEMOTION:
		on_motion(p, &ev->motion);
		break;
	default:
		break;
	}
}
