/* api_check.c - the player API's commands and events, through
 * libswarmplay as an embedder uses it (tests/lib12/api.py makes the media
 * and runs this): errors as values; first frame, buffering, position and
 * end events through both the descriptor and the callback; pause holds
 * the frames; an exact seek shows the target's frame first, a keyframe
 * seek the keyframe's; volume and mute reach the stats snapshot; options
 * by name (sp_player_set_option); the position between POSITION events
 * (sp_player_get_position); a renderer player's screenshot, a PNG at the
 * clip's size (sp_player_screenshot); playing on the calling thread
 * (sp_player_run_file) with play's options, callbacks, quit flag and
 * result (run_check).
 * Usage: api-check CLIP [FRAMEHASH] (6 s, 25 fps, a keyframe every
 * second; FRAMEHASH: where the framehash option writes). */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <swarmplay/player.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int failures;
#define CHECK(c, ...)                                                                              \
	do {                                                                                       \
		bool ok_ = (c); /* once: c may wait */                                             \
		printf("%s ", ok_ ? "ok  " : "FAIL");                                              \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		failures += !ok_;                                                                  \
	} while (0)

static atomic_int frames, seen_cb[SP_PLAYER_EVENT_ERROR + 1];
static _Atomic double last_pts, first_after;
static atomic_int watching; /* record the first frame at or past first_after */
static _Atomic double watch_from;

static void on_frame(void *ctx, const struct sp_video_frame *f)
{
	(void)ctx;
	atomic_fetch_add(&frames, 1);
	last_pts = f->pts;
	if (atomic_load(&watching) && f->pts >= watch_from - 1e-6 && f->pts < watch_from + 3) {
		first_after = f->pts;
		atomic_store(&watching, 0);
	}
}

static void on_event(void *ctx, const struct sp_player_event *ev)
{
	(void)ctx;
	atomic_fetch_add(&seen_cb[ev->type], 1);
}

static int seen_fd[SP_PLAYER_EVENT_ERROR + 1];

/* Is a shared object whose name has `what` mapped in this process? */
static bool mapped(const char *what)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Waits up to timeout_s for the event (through the descriptor), or for
 * cond (a stats substring, or the watch to fire) when type is 0. */
static bool wait_for(struct sp_player *p, int type, const char *stat, double timeout_s)
{
	double end = now_s() + timeout_s;
	struct pollfd pfd = {.fd = sp_player_event_fd(p), .events = POLLIN};
	char stats[8192];
	while (now_s() < end) {
		struct sp_player_event ev;
		bool hit = false;
		while (sp_player_next_event(p, &ev)) {
			seen_fd[ev.type]++;
			hit |= (int)ev.type == type;
		}
		if (hit)
			return true;
		if (stat && (sp_player_stats_json(p, stats, sizeof(stats)), strstr(stats, stat)))
			return true;
		if (!type && !stat && !atomic_load(&watching))
			return true;
		poll(&pfd, 1, 20);
	}
	return false;
}

static void seek_and_watch(struct sp_player *p, double to, enum sp_player_seek_mode mode,
			   double from)
{
	watch_from = from;
	atomic_store(&watching, 1);
	sp_player_seek(p, to, mode);
	wait_for(p, 0, NULL, 10);
}

/* SP_PLAYER_AUDIO_PULL: this program is the audio device. It pulls as
 * fast as it likes, and the clip plays as fast as the sound is taken. */
static void pull_check(const char *clip)
{
	struct sp_player_config cfg;
	struct sp_error *e = NULL;
	sp_player_config_init(&cfg);
	cfg.video = SP_PLAYER_VIDEO_NONE;
	cfg.audio = SP_PLAYER_AUDIO_PULL;
	struct sp_player *p = sp_player_new(&cfg, &e);
	CHECK(p && sp_player_open_file(p, clip, &e) == 0, "pull: opens %s", clip);
	static int16_t buf[2 * 1600];
	double end = now_s() + 30, sound_s = 0;
	long loud = 0, loud_before_seek = -1;
	bool ended = false;
	while (!ended && now_s() < end) {
		struct sp_player_event ev;
		while (sp_player_next_event(p, &ev)) {
			ended |= ev.type == SP_PLAYER_EVENT_END;
			/* 4.6 s: the keyframe is at 4.0, 1.4 s of sound is left */
			if (ev.type == SP_PLAYER_EVENT_FIRST_FRAME) {
				sp_player_seek(p, 4.6, SP_PLAYER_SEEK_EXACT);
				loud_before_seek = loud;
			}
		}
		sp_player_audio_read(p, buf, 1600);
		sound_s += 1600 / 48000.0;
		for (int i = 0; i < 2 * 1600; i++)
			loud += buf[i] > 1000 || buf[i] < -1000;
		struct pollfd pfd = {.fd = sp_player_event_fd(p), .events = POLLIN};
		poll(&pfd, 1, 1); /* a device asks about every 33 ms; we ask faster */
	}
	CHECK(ended, "pull: the END after %.1f s of sound pulled", sound_s);
	/* a sine of amplitude 1/8 is beyond +-1000 in 84 % of its samples:
	 * 1.4 s after an exact seek give 1.18 s, 2 s from the keyframe 1.69 s */
	double after = (loud - loud_before_seek) / 2 / 48000.0;
	CHECK(loud_before_seek >= 0 && after > 0.9 && after < 1.45,
	      "pull: after an exact seek to 4.6 of a 6 s clip, %.2f s of loud sound "
	      "(1.18 expected, 1.69 from the keyframe)",
	      after);
	sp_player_free(p);
	CHECK(sp_player_audio_read(NULL, buf, 16) == 0 && buf[0] == 0,
	      "pull: NULL player: silence");
}

/* sp_player_set_option: errors as values, and two options at work:
 * framehash writes each frame's MD5 into fh (api.py compares them with
 * ffmpeg's framemd5 of the clip), stop-at ends the play at 2 s with END. */
static void options_check(const char *clip, const char *fh)
{
	struct sp_player_config cfg;
	struct sp_error *e = NULL;
	sp_player_config_init(&cfg);
	cfg.video = SP_PLAYER_VIDEO_CALLBACK;
	cfg.on_frame = on_frame;
	cfg.audio = SP_PLAYER_AUDIO_NONE;
	cfg.unpaced = true;
	struct sp_player *p = sp_player_new(&cfg, &e);
	int r = sp_player_set_option(p, "no-such-option", "1", &e);
	CHECK(r == -ENOENT && *sp_error_msg(e), "options: an unknown name: %d, \"%s\"", r,
	      sp_error_msg(e));
	sp_error_free(e), e = NULL;
	r = sp_player_set_option(p, "hwdec", "maybe", &e);
	CHECK(r == -EINVAL && *sp_error_msg(e), "options: hwdec=maybe: %d, \"%s\"", r,
	      sp_error_msg(e));
	sp_error_free(e), e = NULL;
	CHECK(sp_player_set_option(p, "stop-at", "soon", NULL) == -EINVAL &&
		      sp_player_set_option(p, "stop-at", "-1", NULL) == -EINVAL,
	      "options: stop-at not a number of seconds: -EINVAL");
	CHECK(sp_player_set_option(p, "framehash", fh, &e) == 0 &&
		      sp_player_set_option(p, "stop-at", "2", &e) == 0 &&
		      sp_player_set_option(p, "hwdec", NULL, &e) == 0,
	      "options: framehash, stop-at 2, hwdec default: %s", sp_error_msg(e));
	atomic_store(&frames, 0);
	last_pts = -1;
	CHECK(sp_player_open_file(p, clip, &e) == 0, "options: opens %s", clip);
	CHECK(sp_player_set_option(p, "stop-at", "3", NULL) == -EBUSY,
	      "options: after the open: -EBUSY");
	CHECK(wait_for(p, SP_PLAYER_EVENT_END, NULL, 30), "options: stop-at: END");
	sp_player_free(p);
	int n = atomic_load(&frames);
	/* unpaced, a loop turn may hand over a few frames past 2 s */
	CHECK(last_pts >= 1.95 && last_pts < 4 && n >= 49 && n < 100,
	      "options: stop-at 2 of 6 s: the last frame at %.2f, %d frames", last_pts, n);
	FILE *f = fopen(fh, "r");
	char line[128];
	int lines = 0;
	while (f && fgets(line, sizeof(line), f))
		lines += strlen(line) == 33;
	if (f)
		fclose(f);
	/* unpaced, the hash is taken as a frame leaves its decoder: a few may
	 * be past the last the callback got when the stop came (api.py: they
	 * are ffmpeg's first ones, not all of them) */
	CHECK(lines >= n, "options: framehash: %d MD5s for %d frames", lines, n);
}

/* Renderer mode without a renderer: the frame shown last is kept all the
 * same, and sp_player_screenshot writes it as a PNG of the clip's size
 * (320x240: api.py's clip). */
static void screenshot_check(const char *clip, const char *fh)
{
	struct sp_player_config cfg;
	struct sp_error *e = NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s.shot.png", fh);
	sp_player_config_init(&cfg);
	cfg.audio = SP_PLAYER_AUDIO_NONE;
	struct sp_player *p = sp_player_new(&cfg, &e);
	CHECK(p && sp_player_screenshot(p, path) == -ENODATA, "screenshot before a frame: -ENODATA");
	CHECK(p && sp_player_screenshot(p, NULL) == -EINVAL, "screenshot without a path: -EINVAL");
	CHECK(p && sp_player_open_file(p, clip, &e) == 0, "screenshot: opens %s", clip);
	CHECK(wait_for(p, SP_PLAYER_EVENT_FIRST_FRAME, NULL, 20), "screenshot: FIRST_FRAME");
	int r = sp_player_screenshot(p, path);
	unsigned char head[24] = {0};
	FILE *f = fopen(path, "rb");
	size_t got = f ? fread(head, 1, sizeof(head), f) : 0;
	if (f)
		fclose(f);
	unsigned w = (unsigned)head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19];
	unsigned h = (unsigned)head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23];
	CHECK(r == 0 && got == sizeof(head) && !memcmp(head, "\x89PNG\r\n\x1a\n", 8) &&
		  w == 320 && h == 240,
	      "screenshot: %d, a PNG of %ux%u", r, w, h);
	sp_player_free(p);
	sp_error_free(e);
}

/* The calls `swarmplay play` is built on: sp_player_run_file plays on
 * the calling thread and returns at the end (exit-at-end), the netinfo
 * and position callbacks run on it, seek-at scripts a seek, the stats
 * file counts ttff from ttff-from, the result says it ended; a window
 * player refuses sp_player_open_*, a quit flag already set stops a play
 * at once, and the new options and calls check their values. */
static int netinfo_calls, position_calls;
static double position_max;

static void on_netinfo(void *ctx, struct sp_player_netinfo *out)
{
	(void)ctx;
	netinfo_calls++;
	out->torrent = false;
}

static void on_position(void *ctx, double pos, double dur)
{
	(void)ctx;
	(void)dur;
	position_calls++;
	if (pos > position_max)
		position_max = pos;
}

static void run_check(const char *clip, const char *fh)
{
	struct sp_player_config cfg;
	struct sp_error *e = NULL;
	struct sp_player_result res;
	char stats[4096], t0[32];
	snprintf(stats, sizeof(stats), "%s.stats.json", fh);
	sp_player_config_init(&cfg);
	cfg.video = SP_PLAYER_VIDEO_NONE;
	cfg.audio = SP_PLAYER_AUDIO_NONE;
	CHECK(sp_player_preload(&e) == 0, "run: sp_player_preload: 0");
	struct sp_player *p = sp_player_new(&cfg, &e);
	CHECK(p && sp_player_get_result(p, &res) == -EAGAIN, "run: no result before the play");
	CHECK(sp_player_set_sub_track(p, -1) == -EINVAL, "run: sub track -1: -EINVAL");
	CHECK(sp_player_set_option(p, "seek-at", "1:x", NULL) == -EINVAL &&
		      sp_player_set_option(p, "screenshot-at", "1:", NULL) == -EINVAL &&
		      sp_player_set_option(p, "aid", "one", NULL) == -EINVAL &&
		      sp_player_set_option(p, "terminal", "maybe", NULL) == -EINVAL &&
		      sp_player_set_option(p, "ttff-from", "-5", NULL) == -EINVAL,
	      "run: bad seek-at, screenshot-at, aid, terminal, ttff-from: -EINVAL");
	/* ttff from a second ago: the stats' ttff_ms is over 1000 */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(t0, sizeof(t0), "%lld", (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - 1000000);
	int r = sp_player_set_option(p, "exit-at-end", "yes", &e);
	r |= sp_player_set_option(p, "seek-at", "1.0:4.5", &e);
	r |= sp_player_set_option(p, "start-buffer", "none", &e);
	r |= sp_player_set_option(p, "stats-json", stats, &e);
	r |= sp_player_set_option(p, "ttff-from", t0, &e);
	r |= sp_player_set_netinfo_callback(p, on_netinfo, on_position, NULL);
	CHECK(r == 0, "run: options and callbacks set: %s", sp_error_msg(e));
	double start = now_s();
	r = sp_player_run_file(p, clip, &e);
	double took = now_s() - start;
	/* 6 s played from 0 to 1 then from 4.5 to the end: some 2.5 s */
	CHECK(r == 0 && took > 1.5 && took < 8, "run: sp_player_run_file returns 0 at the end "
	      "after %.1f s (the seek at 1 s to 4.5 skipped 3.5 s)", took);
	CHECK(sp_player_get_result(p, &res) == 0 && res.played && res.ended &&
		  fabs(res.duration_s - 6) < 0.2 && res.pos_s > 5.5,
	      "run: result played, ended, at %.2f of %.2f s", res.pos_s, res.duration_s);
	CHECK(netinfo_calls > 0 && position_calls > 0 && position_max > 4.5,
	      "run: netinfo %d and position %d calls (the last at %.2f s)", netinfo_calls,
	      position_calls, position_max);
	char buf[4096] = "";
	FILE *f = fopen(stats, "r");
	size_t got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[got] = 0;
	const char *tt = strstr(buf, "\"ttff_ms\": ");
	long ttff = tt ? strtol(tt + 11, NULL, 10) : -1;
	CHECK(ttff >= 1000, "run: stats-json written, ttff_ms %ld counted from ttff-from", ttff);
	CHECK(strstr(buf, "\"target_s\": 4.500") != NULL, "run: seek-at 1.0:4.5 seeked to 4.5");
	CHECK(sp_player_run_file(p, clip, &e) == -EINVAL, "run: a second run: -EINVAL");
	sp_error_free(e), e = NULL;
	sp_player_free(p);

	static volatile sig_atomic_t quit = 1;
	p = sp_player_new(&cfg, &e);
	r = sp_player_set_quit_flag(p, &quit);
	start = now_s();
	r |= sp_player_run_file(p, clip, &e);
	took = now_s() - start;
	CHECK(r == 0 && took < 1 && sp_player_get_result(p, &res) == 0 && !res.ended,
	      "run: the quit flag set: returns in %.2f s, not ended", took);
	sp_player_free(p);

	cfg.video = SP_PLAYER_VIDEO_WINDOW;
	p = sp_player_new(&cfg, &e);
	CHECK(p && sp_player_open_file(p, clip, &e) == -EINVAL,
	      "run: a window player's sp_player_open_file: -EINVAL");
	sp_error_free(e);
	sp_player_free(p);
}

int main(int argc, char **argv)
{
	struct sp_error *e = NULL;
	struct sp_player_config cfg;
	if (argc != 2 && argc != 3)
		return 2;
	/* libswarmplay alone: a program that never plays never maps these */
	CHECK(!mapped("libavcodec") && !mapped("libSDL2") && !mapped("swarmplay-player.so"),
	      "before sp_player_new: no FFmpeg, SDL2 or player module mapped");
	sp_player_config_init(&cfg);
	cfg.video = SP_PLAYER_VIDEO_CALLBACK; /* and no on_frame: refused */
	CHECK(!sp_player_new(&cfg, &e) && sp_error_code(e) == -EINVAL && *sp_error_msg(e),
	      "a callback player without a callback: -EINVAL, \"%s\"", sp_error_msg(e));
	sp_error_free(e), e = NULL;
	CHECK(mapped("libavcodec") && mapped("libSDL2") && mapped("swarmplay-player.so"),
	      "after sp_player_new: the player module and FFmpeg and SDL2 are mapped");
	cfg.on_frame = on_frame;
	cfg.on_event = on_event;
	cfg.audio = SP_PLAYER_AUDIO_NONE;
	struct sp_player *p = sp_player_new(&cfg, &e);
	int r = sp_player_open_file(p, "/nonexistent/clip.mp4", &e);
	CHECK(r == -ENOENT && *sp_error_msg(e), "a missing file: %d, \"%s\"", r, sp_error_msg(e));
	sp_error_free(e), e = NULL;
	sp_player_free(p);
	p = sp_player_new(&cfg, &e);
	CHECK(p && sp_player_open_file(p, argv[1], &e) == 0, "opens %s", argv[1]);
	CHECK(wait_for(p, SP_PLAYER_EVENT_FIRST_FRAME, NULL, 20), "FIRST_FRAME");
	CHECK(sp_player_set_volume(p, 101) == -EINVAL, "volume 101: -EINVAL");
	CHECK(sp_player_seek(p, -1, SP_PLAYER_SEEK_EXACT) == -EINVAL, "seek to -1: -EINVAL");
	sp_player_pause(p);
	CHECK(wait_for(p, 0, "\"state\": \"paused\"", 5), "pause: the stats say paused");
	int n = atomic_load(&frames);
	wait_for(p, -1, NULL, 0.4); /* no event to wait for: 0.4 s of a paused player */
	double dur, at = sp_player_get_position(p, &dur);
	CHECK(atomic_load(&frames) == n, "paused: no frame in 0.4 s (%d then %d)", n,
	      atomic_load(&frames));
	double dur2, at2 = sp_player_get_position(p, &dur2);
	CHECK(at >= 0 && at < 6 && at2 == at && fabs(dur - 6) < 0.2 && dur2 == dur &&
		  fabs(at - last_pts) < 0.05,
	      "paused: get_position %.3f of %.3f s, the frame shown (%.3f), still %.3f", at, dur,
	      last_pts, at2);
	CHECK(sp_player_screenshot(p, "/nonexistent/x.png") == -EINVAL,
	      "a callback player's screenshot: -EINVAL");
	sp_player_play(p);
	seek_and_watch(p, 4.2, SP_PLAYER_SEEK_EXACT, 3.0);
	CHECK(fabs(first_after - 4.2) < 1e-3, "exact seek to 4.2: first frame at %.3f",
	      first_after);
	double until = now_s() + 1; /* as of the loop's next turn */
	while ((at = sp_player_get_position(p, NULL)) < 4.2 - 1e-3 && now_s() < until)
		wait_for(p, -1, NULL, 0.01);
	CHECK(at >= 4.2 - 1e-3 && at < 6, "exact seek to 4.2: get_position %.3f", at);
	seek_and_watch(p, 2.2, SP_PLAYER_SEEK_KEYFRAME, 1.5);
	CHECK(fabs(first_after - 2.0) < 1e-3,
	      "keyframe seek to 2.2: first frame at %.3f "
	      "(the keyframe)",
	      first_after);
	sp_player_set_volume(p, 37);
	sp_player_set_mute(p, true);
	CHECK(wait_for(p, 0, "\"volume\": 37, \"muted\": true", 5),
	      "volume 37 and mute in the stats");
	CHECK(wait_for(p, SP_PLAYER_EVENT_END, NULL, 20), "END");
	for (int t = SP_PLAYER_EVENT_FIRST_FRAME; t <= SP_PLAYER_EVENT_END; t++)
		CHECK(seen_fd[t] > 0 && atomic_load(&seen_cb[t]) >= seen_fd[t],
		      "event %d: %d through the descriptor, %d through the callback", t, seen_fd[t],
		      atomic_load(&seen_cb[t]));
	sp_player_free(p);
	pull_check(argv[1]);
	if (argc == 3) {
		options_check(argv[1], argv[2]);
		screenshot_check(argv[1], argv[2]);
		run_check(argv[1], argv[2]);
	}
	return failures ? 1 : 0;
}
