/* player.c - sp_player_run: the main thread's loop. It waits for the
 * demux thread to open the container, chooses the streams, opens the
 * decoders and the audio device, then paces video frames against the
 * master clock (audio when a device plays, else a video clock), decides
 * when to buffer and when to resume, handles input, draws, and notices
 * the end.
 *
 * Invariants: the first frame (and the first frame after each seek) is
 * shown at once, even while buffering, so time to first frame measures
 * the data path, not the buffer policy; clocks stand still while paused or
 * buffering; a stall is a buffering episode after playback started that no
 * seek caused. Main thread only (SDL). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "player/player_int.h"
#include "player/text.h"
#include "swarmplay/swarmplay.h"

#define MAX_SLEEP_S 0.01

static double master_clock(struct player *p, int64_t now)
{
	if (atomic_load(&p->audio_on)) {
		double a = sp_clock_get(&p->audclk, now);
		if (!isnan(a))
			return a;
	}
	return sp_clock_get(&p->extclk, now);
}

double sp_player_position(struct player *p)
{
	if (p->vidx < 0 && !p->silent_audio) {
		double m = master_clock(p, sp_now_us());
		if (!isnan(m))
			p->pos = m;
	}
	return p->pos;
}

/* The embedding host's event hook (sp_play_hooks), if any. */
static void emit(struct player *p, enum sp_play_event ev, int arg)
{
	const struct sp_play_hooks *h = p->cfg->hooks;
	if (h && h->event)
		h->event(h->ctx, ev, arg, p->pos, p->duration);
}

static void apply_hold(struct player *p, int64_t now)
{
	bool hold = p->paused || p->buffering;
	atomic_store(&p->hold, hold);
	sp_clock_pause(&p->extclk, hold, now);
	sp_clock_pause(&p->audclk, hold, now);
}

void sp_player_toggle_pause(struct player *p)
{
	p->paused = !p->paused;
	apply_hold(p, sp_now_us());
}

void sp_player_set_paused(struct player *p, bool paused)
{
	if (p->paused != paused)
		sp_player_toggle_pause(p);
}

static bool stream_starving(struct sp_pktq *q, struct sp_frameq *fq)
{
	int n;
	sp_pktq_sizes(q, &n, NULL, NULL);
	return n == 0 && sp_frameq_count(fq) == 0;
}

double sp_player_buffer_percent(struct player *p)
{
	if (!p->opened)
		return 0;
	double target = p->started ? SP_BUFFER_RESUME_S : SP_BUFFER_START_S;
	double f = 1;
	if (p->vidx >= 0)
		f = fmin(f, sp_player_queued_s(&p->vq, p->vst) / target);
	if (p->aidx >= 0)
		f = fmin(f, sp_player_queued_s(&p->aq, p->ast) / target);
	return fmin(fmax(f * 100, 0), 99);
}

static bool buffer_ready(struct player *p)
{
	if (atomic_load(&p->eof))
		return true;
	int64_t vb = 0, ab = 0;
	if (p->vidx >= 0)
		sp_pktq_sizes(&p->vq, NULL, &vb, NULL);
	if (p->aidx >= 0)
		sp_pktq_sizes(&p->aq, NULL, &ab, NULL);
	if (vb + ab >= SP_QUEUE_MAX_BYTES / 2)
		return true;
	double q = INFINITY;
	if (p->vidx >= 0)
		q = fmin(q, sp_player_queued_s(&p->vq, p->vst));
	if (p->aidx >= 0)
		q = fmin(q, sp_player_queued_s(&p->aq, p->ast));
	if (q >= SP_BUFFER_RESUME_S)
		return true;
	/* at the start, half a second will do if the swarm keeps up */
	double sb = p->cfg->start_buffer_s;
	double start_q = sb > 0 && sb < SP_BUFFER_START_S ? sb : sb < 0 ? 0 : SP_BUFFER_START_S;
	return !p->started && q >= start_q &&
	       sp_source_ready(p->src, atomic_load(&p->avst.pos), SP_START_AHEAD_S);
}

static void update_buffering(struct player *p, int64_t now)
{
	if (p->cfg->fast || p->ended)
		return;
	if (!p->buffering) {
		if (atomic_load(&p->eof) || p->paused)
			return;
		bool starving = (p->vidx >= 0 && stream_starving(&p->vq, &p->vfq)) ||
				(p->aidx >= 0 && stream_starving(&p->aq, &p->afq));
		if (!starving)
			return;
		p->buffering = true;
		p->buffering_since = now;
		p->stall_counted = p->started && !p->awaiting_seek;
		if (p->stall_counted)
			p->stalls++;
		SP_INFO("player", "buffering (%s)", p->stall_counted ? "stall" : "seek");
		apply_hold(p, now);
		emit(p, SP_PLAY_EV_BUFFERING_START, p->stall_counted ? 2 : p->awaiting_seek ? 1 : 0);
		return;
	}
	if (p->vidx >= 0 && !p->first_shown && !atomic_load(&p->eof))
		return; /* nothing to show yet: keep the clock at the first frame */
	if (!buffer_ready(p))
		return;
	if (p->stall_counted)
		p->stall_us += now - p->buffering_since;
	if (!p->started && p->first_shown) {
		/* a viewer waits from the first frame on screen, not from
		 * when buffering began: the start hold is a wait too */
		int64_t shown = p->cfg->t0_us + p->ttff_us;
		p->start_hold_us = now > shown ? now - shown : 0;
		p->stall_us += p->start_hold_us;
		SP_INFO("player", "playing %lld ms after the first frame",
			(long long)(p->start_hold_us / 1000));
	}
	p->buffering = false;
	if (!p->started)
		sp_source_set_waiting(p->src, false);
	p->started = true;
	apply_hold(p, now);
	emit(p, SP_PLAY_EV_BUFFERING_END, 0);
}

static void record_seek(struct player *p, int64_t now)
{
	p->awaiting_seek = false;
	if (p->loop_seek) { /* a loop's return to the start is no user seek */
		p->loop_seek = false;
		return;
	}
	p->seeks_total++;
	if (p->nseeks < SP_SEEKS_MAX) {
		p->seeks[p->nseeks].target_s = p->seek_req_target;
		p->seeks[p->nseeks].latency_ms = (now - p->seek_req_us) / 1000;
		p->nseeks++;
	}
}

static void present(struct player *p, struct sp_frameq_item *it, int64_t now)
{
	const struct sp_play_hooks *h = p->cfg->hooks;
	if (p->win)
		sp_render_upload(p, it->frame);
	if (!isnan(it->pts))
		p->pos = it->pts;
	if (h && h->frame)
		h->frame(h->ctx, it->frame, it->pts);
	if (!p->first_shown) {
		p->first_shown = true;
		p->ttff_us = now - p->cfg->t0_us;
		p->first_pts = it->pts;
		SP_INFO("player", "first frame after %lld ms", (long long)(p->ttff_us / 1000));
		emit(p, SP_PLAY_EV_FIRST_FRAME, 0);
	}
	if (it->serial != p->shown_serial) {
		sp_clock_set(&p->extclk, p->pos, now);
	} else if (!p->cfg->fast && !isnan(it->pts)) {
		double m = master_clock(p, now);
		if (!isnan(m)) {
			p->sync_sum_s += fabs(it->pts - m);
			p->sync_n++;
		}
	}
	p->shown_serial = it->serial;
	if (p->awaiting_seek && it->serial > p->seek_from_serial)
		record_seek(p, now);
	p->presented++;
	p->last_present_us = now;
	sp_frameq_next(&p->vfq);
	if (p->win) {
		sp_render_draw(p);
		p->last_osd_us = now;
	}
}

/* Show the frame that is due, drop the late ones. *remaining gets the
 * time until the next one is due. */
static void video_refresh(struct player *p, int64_t now, double *remaining)
{
	for (;;) {
		struct sp_frameq_item *it = sp_frameq_peek(&p->vfq);
		if (!it)
			return;
		if (it->serial != sp_pktq_serial(&p->vq)) {
			sp_frameq_next(&p->vfq);
			continue;
		}
		/* an exact seek (the embedding API) shows nothing before its
		 * target: the frames from the keyframe up to it are decoded
		 * and dropped */
		if (!isnan(p->exact_target) && it->serial > p->seek_from_serial) {
			if (!isnan(it->pts) && it->pts < p->exact_target - 1e-3) {
				sp_frameq_next(&p->vfq);
				continue;
			}
			p->exact_target = NAN;
		}
		/* the first picture waits until playback can start from it: a
		 * viewer shown a frame that then holds has waited after the first
		 * frame (issue 9); the OSD says "buffering" meanwhile */
		if (!p->first_shown && !p->cfg->fast && !p->started && !buffer_ready(p)) {
			if (!p->first_ready_us)
				p->first_ready_us = now;
			return;
		}
		if (p->cfg->fast || !p->first_shown || it->serial != p->shown_serial) {
			present(p, it, now);
			if (p->cfg->fast)
				continue;
			return;
		}
		if (p->paused || p->buffering)
			return;
		double m = master_clock(p, now);
		if (isnan(m)) {
			*remaining = MAX_SLEEP_S;
			return;
		}
		double pts = isnan(it->pts) ? m : it->pts;
		if (pts > m) {
			*remaining = fmin(*remaining, pts - m);
			return;
		}
		struct sp_frameq_item *nx = sp_frameq_peek_next(&p->vfq);
		if (nx && nx->serial == it->serial && !isnan(nx->pts) && nx->pts <= m) {
			p->dropped++;
			sp_frameq_next(&p->vfq);
			continue;
		}
		present(p, it, now);
		return;
	}
}

static void poll_net(struct player *p, int64_t now, bool force);
static void print_progress(struct player *p, int64_t now, bool last);

/* A new segment (the start, a seek) reached the output: the clock, the
 * first-frame time and the seek's latency follow it. */
static void segment_started(struct player *p, double pts, int serial, int64_t now)
{
	if (!p->first_shown) {
		p->first_shown = true;
		p->ttff_us = now - p->cfg->t0_us;
		emit(p, SP_PLAY_EV_FIRST_FRAME, 0); /* the first sound */
	}
	if (serial != p->shown_serial && !isnan(pts))
		sp_clock_set(&p->extclk, pts, now);
	p->shown_serial = serial;
	if (p->awaiting_seek && serial > p->seek_from_serial)
		record_seek(p, now);
}

/* Without video: the silent audio sink takes the frames that are due;
 * with a device, the first sound is the "first frame". */
static void audio_only_refresh(struct player *p, int64_t now)
{
	if (!p->silent_audio) {
		if (atomic_load(&p->audio_on) && !isnan(sp_clock_get(&p->audclk, now)) &&
		    sp_pktq_serial(&p->aq) != p->shown_serial)
			segment_started(p, NAN, sp_pktq_serial(&p->aq), now);
		sp_player_position(p);
		return;
	}
	for (;;) {
		struct sp_frameq_item *it = sp_frameq_peek(&p->afq);
		if (!it)
			return;
		if (it->serial != sp_pktq_serial(&p->aq)) {
			sp_frameq_next(&p->afq);
			continue;
		}
		if (it->serial != p->shown_serial)
			segment_started(p, it->pts, it->serial, now);
		if (!p->cfg->fast && (p->paused || p->buffering))
			return;
		double m = sp_clock_get(&p->extclk, now);
		if (!p->cfg->fast && !isnan(it->pts) && it->pts > m)
			return;
		if (!isnan(it->pts))
			p->pos = it->pts + it->duration;
		sp_frameq_next(&p->afq);
	}
}

static void check_end(struct player *p, int64_t now)
{
	/* after a seek, eof and the decoders' state are stale until the demux
	 * thread has served it (the serial moved on) */
	int serial = sp_pktq_serial(p->vidx >= 0 ? &p->vq : &p->aq);
	if (p->ended || (p->awaiting_seek && serial <= p->seek_from_serial) ||
	    !atomic_load(&p->eof))
		return;
	bool vdone = p->vidx < 0 || (atomic_load(&p->vdec.finished) == sp_pktq_serial(&p->vq) &&
				     sp_frameq_count(&p->vfq) == 0);
	bool adone = p->aidx < 0 || (atomic_load(&p->adec.finished) == sp_pktq_serial(&p->aq) &&
				     sp_frameq_count(&p->afq) == 0);
	if (!vdone || !adone || !sp_sub_done(p))
		return;
	if (p->awaiting_seek)
		record_seek(p, now); /* a seek to the very end shows no frame */
	p->plays++;
	if (p->cfg->loop == 0 || p->plays < p->cfg->loop) {
		/* a kiosk's loop: again from the start (or --start), from the
		 * verified data on disk; seeding goes on meanwhile */
		SP_INFO("player", "end of play %d, again from the start", p->plays);
		sp_demux_seek(p, p->cfg->start_s > 0 ? p->cfg->start_s : 0);
		p->loop_seek = true;
		return;
	}
	p->ended = true;
	p->ended_at_us = now;
	if (p->buffering) {
		p->buffering = false;
		apply_hold(p, now);
	}
	SP_INFO("player", "end of stream");
	poll_net(p, now, true);
	sp_stats_maybe_write(p, now, true);
	print_progress(p, now, true);
	emit(p, SP_PLAY_EV_END, 0); /* after the stats: the host reads final figures */
	if (p->cfg->exit_at_end)
		p->quit = true;
	else if (p->win)
		sp_render_draw(p);
}

static void warn_no_audio(struct player *p, const char *why)
{
	if (!p->cfg->terminal) /* a library never prints on its own: the host's log */
		SP_WARN("player", "%s; playing with the video clock", why);
	else
		fprintf(stderr, _("swarmplay: %s; playing with the video clock\n"), why);
}

/* alsa-lib prints its own failures straight to stderr (eight lines on a
 * machine without a sound card); the user is owed one line, ours. So
 * stderr points at /dev/null while SDL probes audio, unless debugging. */
static int quiet_stderr(struct player *p)
{
	/* an embedding host's stderr is its own, and its threads write to it */
	if (sp_log_get_level() <= SP_LOG_DEBUG || !p->cfg->terminal)
		return -1;
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		saved = -1;
	}
	if (null >= 0)
		close(null);
	return saved;
}

static void restore_stderr(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* Audio: decoder + device, or a one-line warning and no audio. */
static void setup_audio(struct player *p)
{
	char why[300];
	if (!p->audio_init && !p->cfg->audio_pull) {
		int saved = quiet_stderr(p);
		int r = SDL_InitSubSystem(SDL_INIT_AUDIO);
		restore_stderr(saved);
		if (r < 0) {
			snprintf(why, sizeof(why), _("no audio (%s)"), SDL_GetError());
			warn_no_audio(p, why);
			p->aidx = -1;
			return;
		}
		p->audio_init = true;
	}
	struct sp_error *e = NULL;
	if (sp_decoder_open(p, &p->adec, p->ast, &p->aq, &p->afq, false, &e) < 0) {
		snprintf(why, sizeof(why), "%s", sp_error_msg(e));
		sp_error_free(e);
		warn_no_audio(p, why);
		p->aidx = -1;
		return;
	}
	int saved = quiet_stderr(p);
	int r = sp_audio_open(p);
	restore_stderr(saved);
	if (r < 0) {
		snprintf(why, sizeof(why), _("no audio device (%s)"), SDL_GetError());
		warn_no_audio(p, why);
		sp_decoder_close(&p->adec);
		p->aidx = -1;
	}
}

/* Audio alone and nothing to hear it with (no device, --no-audio,
 * --fast): decode it and pace it silently against the video clock, so
 * that playback, its figures and seeding go on. */
static void setup_silent_audio(struct player *p, int a)
{
	p->aidx = a;
	p->ast = p->ic->streams[a];
	struct sp_error *e = NULL;
	if (sp_decoder_open(p, &p->adec, p->ast, &p->aq, &p->afq, false, &e) < 0) {
		sp_error_free(e);
		p->aidx = -1;
		return;
	}
	p->silent_audio = true;
}

static int setup_streams(struct player *p, struct sp_error **err)
{
	AVFormatContext *ic = p->ic;
	p->vidx = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (p->vidx >= 0 && (ic->streams[p->vidx]->disposition & AV_DISPOSITION_ATTACHED_PIC))
		p->vidx = -1;
	p->aidx = -1;
	int a = sp_tracks_choose_audio(p);
	if (a >= 0 && !p->cfg->no_audio && !p->cfg->fast) {
		p->aidx = a;
		p->ast = ic->streams[a];
		setup_audio(p);
	} else if (a < 0 && !p->cfg->no_audio && !p->cfg->fast) {
		warn_no_audio(p, _("no audio stream"));
	}
	if (a >= 0 && p->aidx < 0 && p->vidx < 0)
		setup_silent_audio(p, a);
	if (p->vidx >= 0) {
		p->vst = ic->streams[p->vidx];
		if (sp_decoder_open(p, &p->vdec, p->vst, &p->vq, &p->vfq, true, err) < 0)
			return -EINVAL;
		AVCodecParameters *par = p->vst->codecpar;
		sp_render_set_video_size(p, par->width, par->height,
					 av_guess_sample_aspect_ratio(ic, p->vst, NULL));
	}
	if (p->vidx < 0 && p->aidx < 0)
		return sp_error_set(err, -ENOTSUP, _("nothing to play: no video or audio stream"));
	if (sp_sub_setup(p, err) < 0)
		return -EIO;
	for (unsigned i = 0; i < ic->nb_streams; i++)
		ic->streams[i]->discard = AVDISCARD_ALL;
	for (int i = 0; i < p->nsubs; i++)
		if (p->subs[i].stream >= 0)
			ic->streams[p->subs[i].stream]->discard = AVDISCARD_DEFAULT;
	if (p->vidx >= 0)
		ic->streams[p->vidx]->discard = AVDISCARD_DEFAULT;
	if (p->aidx >= 0)
		ic->streams[p->aidx]->discard = AVDISCARD_DEFAULT;
	atomic_store(&p->a_stream, p->aidx);
	if (p->vidx >= 0 && sp_decoder_start(&p->vdec) < 0)
		return sp_error_set(err, -EAGAIN, _("cannot start a thread"));
	if (p->aidx >= 0 && sp_decoder_start(&p->adec) < 0)
		return sp_error_set(err, -EAGAIN, _("cannot start a thread"));
	return 0;
}

/* The start is where the last play stopped: the OSD and stderr say so. */
static void say_resumed(struct player *p)
{
	char t[16], msg[64];
	int s = (int)p->cfg->start_s;
	if (s >= 3600)
		snprintf(t, sizeof(t), "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(t, sizeof(t), "%02d:%02d", s / 60, s % 60);
	snprintf(msg, sizeof(msg), _("resuming at %s"), t);
	sp_osd_message(p, msg);
	fprintf(stderr, _("swarmplay: resuming at %s (--no-resume plays from the start)\n"), t);
}

/* Waits for the demux thread's open; returns 1 when set up, 0 while
 * opening, negative on failure. */
static int poll_open(struct player *p, struct sp_error **err)
{
	pthread_mutex_lock(&p->mu);
	int st = p->open_state;
	p->duration = p->probed_duration;
	char msg[sizeof(p->open_error)];
	memcpy(msg, p->open_error, sizeof(msg));
	pthread_mutex_unlock(&p->mu);
	if (st == 0)
		return 0;
	if (st < 0)
		return sp_error_set(err, -EBADMSG, _("cannot play %s: %s"), p->src->name, msg);
	int r = setup_streams(p, err);
	if (r < 0)
		return r;
	p->opened = true;
	if (p->cfg->resumed)
		say_resumed(p);
	p->buffering = !p->cfg->fast;
	apply_hold(p, sp_now_us());
	if (p->buffering)
		emit(p, SP_PLAY_EV_BUFFERING_START, 0);
	pthread_mutex_lock(&p->mu);
	p->go = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	return 1;
}

static void poll_net(struct player *p, int64_t now, bool force)
{
	if (!p->cfg->netinfo || (!force && now - p->net_at_us < SP_NETINFO_PERIOD_US))
		return;
	p->net_at_us = now;
	p->cfg->netinfo(p->cfg->netinfo_ctx, &p->net);
	if (p->cfg->position && p->opened)
		p->cfg->position(p->cfg->netinfo_ctx, sp_player_position(p), p->duration);
}

/* The kiosk's duration= : this play ends there. */
static void check_stop_at(struct player *p)
{
	if (p->cfg->stop_at_s > 0 && p->first_shown &&
	    sp_player_position(p) + 1e-6 >= p->cfg->stop_at_s) {
		p->quit = true;
		emit(p, SP_PLAY_EV_END, 0); /* an embedder's stop-at ends as at the end */
	}
}

/* --progress: one status line a second on stderr (the headless demo). */
static void print_progress(struct player *p, int64_t now, bool last)
{
	if (!p->cfg->progress || (!last && now - p->progress_us < SP_STATS_PERIOD_US))
		return;
	p->progress_us = now;
	char t[64], sw[160], from[160], state[64];
	sp_osd_time_line(p, t, sizeof(t));
	sp_osd_swarm_lines(p, sw, sizeof(sw), from, sizeof(from));
	if ((!p->opened || p->buffering) && p->net.checking)
		snprintf(state, sizeof(state), "%s", _("checking the data on disk"));
	else if (!p->opened || p->buffering)
		snprintf(state, sizeof(state), _("buffering %d%%"), (int)sp_player_buffer_percent(p));
	else
		snprintf(state, sizeof(state), "%s",
			 p->ended ? _("the end") : p->paused ? _("paused") : _("playing"));
	char share[64] = "";
	if (p->net.torrent && p->net.uploaded) /* seeding while watching (issue 10) */
		snprintf(share, sizeof(share), _("  up/down %.2f"), sp_player_up_down(&p->net));
	fprintf(stderr, "%s  %-14s %s%s%s%s\n", t, state, sw, from[0] ? "  " : "", from, share);
	if (strcmp(p->net.reachable, p->reachable_shown)) { /* the port mapping, when it changes */
		snprintf(p->reachable_shown, sizeof(p->reachable_shown), "%s", p->net.reachable);
		if (p->net.reachable[0])
			fprintf(stderr, "%s\n", p->net.reachable);
	}
}

/* The embedding host's once-a-second position event, while playing. */
static void report_position(struct player *p, int64_t now)
{
	if (!p->cfg->hooks || !p->first_shown || p->ended ||
	    now - p->position_us < SP_STATS_PERIOD_US)
		return;
	p->position_us = now;
	sp_player_position(p);
	emit(p, SP_PLAY_EV_POSITION, 0);
}

/* --seek-at: the next scripted seek, once the position reaches it. */
static void scripted_seek(struct player *p)
{
	if (p->seek_at_done >= p->cfg->nseek_at || p->awaiting_seek || !p->first_shown)
		return;
	if (sp_player_position(p) + 1e-6 < p->cfg->seek_at[p->seek_at_done].at_s)
		return;
	sp_demux_seek(p, p->cfg->seek_at[p->seek_at_done].to_s);
	p->seek_at_done++;
}

static int main_loop(struct player *p, struct sp_error **err)
{
	while (!p->quit && !(p->cfg->quit_flag && *p->cfg->quit_flag) &&
	       !(p->cfg->quit_signal && __atomic_load_n(p->cfg->quit_signal, __ATOMIC_RELAXED))) {
		int64_t now = sp_now_us();
		double remaining = MAX_SLEEP_S;
		if (!p->opened) {
			int r = poll_open(p, err);
			if (r < 0)
				return r;
		}
		if (p->video_init) {
			SDL_Event ev;
			while (SDL_PollEvent(&ev))
				sp_input_handle(p, &ev);
			sp_input_idle(p, now);
		}
		poll_net(p, now, false);
		if (p->cfg->hooks && p->cfg->hooks->tick)
			p->cfg->hooks->tick(p->cfg->hooks->ctx, p);
		if (p->opened) {
			sp_sub_poll(p);
			scripted_seek(p);
			check_stop_at(p);
			update_buffering(p, now);
			if (p->vidx >= 0)
				video_refresh(p, now, &remaining);
			else
				audio_only_refresh(p, now);
			sp_shot_scripted(p);
			check_end(p, now);
		}
		if (p->win && now - p->last_osd_us >= SP_OSD_PERIOD_US) {
			sp_render_draw(p);
			p->last_osd_us = now;
		}
		sp_stats_maybe_write(p, now, false);
		print_progress(p, now, false);
		report_position(p, now);
		if (p->cfg->fast && p->opened && sp_frameq_count(&p->vfq) > 0)
			continue;
		if (p->cfg->fast)
			remaining = 0.001;
		if (remaining > 0)
			usleep((useconds_t)(remaining * 1e6));
	}
	return 0;
}

/* The external subtitles' bytes: the torrent's file (the reader is ours
 * now) or --sub's; one that cannot be opened is a warning. */
static void open_sub_source(struct player *p)
{
	const struct sp_play_config *cfg = p->cfg;
	if (cfg->sub_reader) {
		p->sub_src = sp_source_reader_new(cfg->sub_reader,
						  cfg->sub_reader_name ? cfg->sub_reader_name : "sub.srt",
						  true);
		if (!p->sub_src)
			sp_reader_close(cfg->sub_reader);
	} else if (cfg->sub_path) {
		struct sp_error *e = NULL;
		p->sub_src = sp_source_file_new(cfg->sub_path, &e);
		if (!p->sub_src)
			fprintf(stderr, "swarmplay: %s\n", sp_error_msg(e));
		sp_error_free(e);
	}
}

static int init_player(struct player *p, struct sp_source *src, const struct sp_play_config *cfg,
		       struct sp_error **err)
{
	p->cfg = cfg;
	p->src = src;
	/* until playback starts, its peers serve those that play first */
	sp_source_set_waiting(src, !cfg->fast);
	p->vidx = p->aidx = -1;
	p->shown_serial = -1;
	p->sub_cur = p->sub_hash_track = -1;
	p->sub_hidden = cfg->sub_hidden;
	p->audio_switch = -1;
	p->subhash_last_ms = INT64_MIN;
	pthread_mutex_init(&p->sub_mu, NULL);
	sp_pktq_init(&p->sq);
	open_sub_source(p);
	atomic_store(&p->volume, cfg->volume < 0 ? 0 : cfg->volume > 100 ? 100 : cfg->volume);
	atomic_store(&p->muted, cfg->muted);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cond, NULL);
	sp_pktq_init(&p->vq);
	sp_pktq_init(&p->aq);
	sp_clock_init(&p->audclk);
	sp_clock_init(&p->extclk);
	if (sp_frameq_init(&p->vfq, SP_VIDEO_FRAMES) < 0 ||
	    sp_frameq_init(&p->afq, SP_AUDIO_FRAMES) < 0)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	if (cfg->framehash_path) {
		p->fh = sp_framehash_open(cfg->framehash_path, cfg->framehash_append, err);
		if (!p->fh)
			return -EIO;
	}
	p->pb = sp_source_avio_new(src, &p->avst);
	if (!p->pb)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	/* FFmpeg's own messages (a packet cut short by a seek's cancel, a
	 * damaged frame) are for developers: shown at SWARMPLAY_LOG=info */
	enum sp_log_level lv = sp_log_get_level();
	av_log_set_level(lv <= SP_LOG_DEBUG ? AV_LOG_VERBOSE
			 : lv <= SP_LOG_INFO ? AV_LOG_WARNING
					     : AV_LOG_FATAL);
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	if (!cfg->no_video && !cfg->fast) {
		/* the drivers SDL probes print their own failures (wayland
		 * without XDG_RUNTIME_DIR...); SDL_GetError has the one that counts */
		int saved = quiet_stderr(p);
		int vr = SDL_InitSubSystem(SDL_INIT_VIDEO);
		restore_stderr(saved);
		if (vr < 0)
			return sp_error_set(err, -ENODEV, _("cannot open a window: %s"),
					    SDL_GetError());
		p->video_init = true;
		const char *drv = SDL_GetCurrentVideoDriver();
		SP_INFO("player", "SDL video driver: %s", drv ? drv : "?");
		/* SDL falls back to an invisible driver when there is no display:
		 * say so, since a user would wait in front of nothing */
		if (drv && !getenv("SDL_VIDEODRIVER") &&
		    (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy")))
			fprintf(stderr, _("swarmplay: no display found, the window is invisible "
					  "(--no-video plays headless)\n"));
		int r = sp_render_init(p, err);
		if (r < 0)
			return r;
	} else if (cfg->sub_pictures && !cfg->fast) {
		p->text = sp_text_new(NULL); /* freed by sp_render_fini */
	}
	if (pthread_create(&p->demux_thread, NULL, sp_demux_thread, p) != 0)
		return sp_error_set(err, -EAGAIN, _("cannot start a thread"));
	p->demux_started = true;
	return 0;
}

static void stop_threads(struct player *p)
{
	atomic_store(&p->abort, 1);
	pthread_mutex_lock(&p->mu);
	sp_source_cancel(p->src);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	sp_pktq_abort(&p->vq);
	sp_pktq_abort(&p->aq);
	sp_frameq_abort(&p->vfq);
	sp_frameq_abort(&p->afq);
	sp_sub_stop(p);
	if (p->demux_started)
		pthread_join(p->demux_thread, NULL);
	sp_decoder_stop(&p->vdec);
	sp_decoder_stop(&p->adec);
}

static int fini_player(struct player *p)
{
	stop_threads(p);
	sp_audio_close(p);
	sp_decoder_close(&p->vdec);
	sp_decoder_close(&p->adec);
	avformat_close_input(&p->ic);
	sp_source_avio_free(&p->pb);
	sp_source_resume(p->src);
	int r = sp_framehash_close(p->fh);
	sp_sub_fini(p);
	sp_render_fini(p);
	sp_source_free(p->sub_src);
	sp_pktq_fini(&p->sq);
	pthread_mutex_destroy(&p->sub_mu);
	if (p->video_init && !p->cfg->keep_window) /* the kiosk keeps its window (render.c) */
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
	if (p->audio_init)
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
	sp_pktq_fini(&p->vq);
	sp_pktq_fini(&p->aq);
	sp_frameq_fini(&p->vfq);
	sp_frameq_fini(&p->afq);
	sp_clock_fini(&p->audclk);
	sp_clock_fini(&p->extclk);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cond);
	return r;
}

int sp_player_run(struct sp_source *src, const struct sp_play_config *cfg,
		  struct sp_error **err)
{
	struct player *p = calloc(1, sizeof(*p));
	if (!p)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	p->first_pts = NAN;
	p->exact_target = NAN;
	int r = init_player(p, src, cfg, err);
	if (r == 0)
		r = main_loop(p, err);
	if (cfg->hooks && cfg->hooks->closing)
		cfg->hooks->closing(cfg->hooks->ctx);
	poll_net(p, sp_now_us(), true);
	sp_stats_maybe_write(p, sp_now_us(), true);
	if (cfg->result)
		*cfg->result = (struct sp_player_result){
			.played = p->opened && p->first_shown, .ended = p->ended,
			.pos_s = p->pos, .duration_s = p->duration, .skip = p->skip,
			.last_frame_us = p->last_present_us, .volume = atomic_load(&p->volume),
			.muted = atomic_load(&p->muted), .sub_hidden = p->sub_hidden,
			.aid = p->audio_chosen ? sp_tracks_audio_number(p) : 0,
			.fullscreen = p->win ? p->fullscreen : cfg->fullscreen};
	int fr = fini_player(p);
	if (r == 0 && fr < 0)
		r = sp_error_set(err, fr, _("cannot write %s"), cfg->framehash_path);
	free(p);
	return r;
}
