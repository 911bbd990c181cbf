/* stats.c - the --stats-json file: the figures a monitor or a test reads
 * while playing. Rewritten atomically (temp file + rename) when a figure
 * changed, at most once per SP_STATS_PERIOD_US, and at exit (force).
 * Main thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "player/player_int.h"

#define STATS_MAX_BYTES (64 * 1024)

static const char *state_name(struct player *p)
{
	if (!p->opened || p->buffering)
		return "buffering";
	if (p->ended)
		return "ended";
	return p->paused ? "paused" : "playing";
}

/* "error": the storage fault as a JSON string, or null. */
static int append_error(struct sp_buf *b, const char *e)
{
	if (!e[0])
		return sp_buf_appendf(b, ", \"error\": null");
	int r = sp_buf_appendf(b, ", \"error\": \"");
	for (; *e; e++) {
		unsigned char c = (unsigned char)*e;
		if (c == '"' || c == '\\')
			r |= sp_buf_appendf(b, "\\%c", c);
		else if (c < 0x20)
			r |= sp_buf_appendf(b, "\\u%04x", c);
		else
			r |= sp_buf_appendf(b, "%c", c);
	}
	return r | sp_buf_appendf(b, "\"");
}

/* Every figure, the position to a tenth of a second: while playing the
 * file is rewritten about once a second, paused or ended it rests. */
static int format_figures(struct player *p, struct sp_buf *b)
{
	const struct sp_player_netinfo *n = &p->net;
	int r = 0;
	if (p->ttff_us)
		r |= sp_buf_appendf(b, "{\"ttff_ms\": %lld", (long long)(p->ttff_us / 1000));
	else
		r |= sp_buf_appendf(b, "{\"ttff_ms\": null");
	if (!n->torrent)
		r |= sp_buf_appendf(b, ", \"download_ms\": 0");
	else if (n->complete)
		/* complete before we started (the cache): 0 */
		r |= sp_buf_appendf(b, ", \"download_ms\": %lld",
				    n->complete_at_us > p->cfg->t0_us
					    ? (long long)((n->complete_at_us - p->cfg->t0_us) / 1000)
					    : 0LL);
	else
		r |= sp_buf_appendf(b, ", \"download_ms\": null");
	r |= sp_buf_appendf(b, ", \"stalls\": %d, \"stall_ms\": %lld, \"seeks\": [", p->stalls,
			    (long long)(p->stall_us / 1000));
	for (int i = 0; i < p->nseeks; i++)
		r |= sp_buf_appendf(b, "%s{\"target_s\": %.3f, \"latency_ms\": %lld}",
				    i ? ", " : "", p->seeks[i].target_s,
				    (long long)p->seeks[i].latency_ms);
	r |= sp_buf_appendf(b,
			    "], \"seeks_total\": %d, \"bytes\": {\"peers\": %llu, \"webseed\": %llu, "
			    "\"cache\": %llu, \"wasted\": {\"total\": %llu",
			    p->seeks_total, (unsigned long long)n->from[SP_PLAYER_FROM_PEERS],
			    (unsigned long long)n->from[SP_PLAYER_FROM_WEBSEED],
			    (unsigned long long)n->from[SP_PLAYER_FROM_CACHE],
			    (unsigned long long)n->wasted);
	/* every byte received is verified payload or wasted, by cause */
	static const char *const cause[SP_PLAYER_WASTE_N] = {"hedge",     "endgame", "rescue",
							      "cancelled", "hash",    "other"};
	for (int i = 0; i < SP_PLAYER_WASTE_N; i++)
		r |= sp_buf_appendf(b, ", \"%s\": %llu", cause[i],
				    (unsigned long long)n->wasted_by[i]);
	r |= sp_buf_appendf(b, "}}, \"uploaded\": %llu, \"peers\": %d",
			    (unsigned long long)n->uploaded, n->peers);
	/* seeding while watching (issue 10): what we passed on while still
	 * downloading, and uploaded over downloaded */
	r |= sp_buf_appendf(b, ", \"relayed\": %llu, \"ratio\": %.3f",
			    (unsigned long long)n->relayed, sp_player_up_down(n));
	if (n->reachable_json[0])
		r |= sp_buf_appendf(b, ", \"reachable\": %s", n->reachable_json);
	r |= append_error(b, n->error);
	r |= sp_buf_appendf(b,
			    ", \"frames_presented\": %llu, \"frames_dropped\": %llu, "
			    "\"frames_decoded\": %llu, \"audio\": %s, \"duration_s\": %.3f, "
			    "\"state\": \"%s\", \"volume\": %d, \"muted\": %s, \"fullscreen\": %s",
			    (unsigned long long)p->presented, (unsigned long long)p->dropped,
			    (unsigned long long)atomic_load(&p->frames_decoded),
			    atomic_load(&p->audio_on) ? "true" : "false", p->duration,
			    state_name(p), atomic_load(&p->volume),
			    atomic_load(&p->muted) ? "true" : "false", p->fullscreen ? "true" : "false");
	/* time the demuxer spent waiting for bytes (network, disk) */
	r |= sp_buf_appendf(b, ", \"read_wait_ms\": %lld",
			    (long long)(atomic_load(&p->avst.blocked_us) / 1000));
	/* how far from the master clock frames were shown, on average */
	r |= sp_buf_appendf(b, ", \"sync_ms\": %.1f",
			    p->sync_n ? 1000 * p->sync_sum_s / (double)p->sync_n : 0.0);
	r |= sp_buf_appendf(b, ", \"plays\": %d", p->plays);
	/* the viewer's clock: the hold after the first frame, the last frame
	 * shown (from the process start) and the media between the two, so
	 * that wall - media is every wait */
	r |= sp_buf_appendf(b, ", \"start_hold_ms\": %lld, \"smooth_ms\": %lld",
			    (long long)(p->start_hold_us / 1000),
			    p->started ? (long long)((p->ttff_us + p->start_hold_us) / 1000) : -1LL);
	if (p->last_present_us && p->first_shown)
		r |= sp_buf_appendf(b, ", \"last_frame_ms\": %lld",
				    (long long)((p->last_present_us - p->cfg->t0_us) / 1000));
	if (p->first_ready_us)
		r |= sp_buf_appendf(b, ", \"first_decoded_ms\": %lld",
				    (long long)((p->first_ready_us - p->cfg->t0_us) / 1000));
	if (p->first_shown && !isnan(p->first_pts))
		r |= sp_buf_appendf(b, ", \"first_pts_s\": %.3f", p->first_pts);
	/* the tracks playing: the audio stream (key #, --aid) and the
	 * subtitle track shown (key j), -1 for none */
	r |= sp_buf_appendf(b, ", \"audio_stream\": %d, \"sub_track\": %d",
			    p->aidx >= 0 && p->ast ? p->ast->index : -1,
			    p->sub_hidden ? -1 : p->sub_cur);
	r |= sp_buf_appendf(b, ", \"position_s\": %.1f}\n", p->pos);
	return r;
}

static int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	size_t w = fwrite(data, 1, len, f);
	int r = fclose(f);
	if (w != len || r != 0) {
		remove(tmp);
		return -EIO;
	}
	if (rename(tmp, path) < 0)
		return -errno;
	return 0;
}

void sp_stats_maybe_write(struct player *p, int64_t now, bool force)
{
	const struct sp_play_hooks *h = p->cfg->hooks;
	if (!p->cfg->stats_path && !(h && h->stats))
		return;
	if (!force && now - p->stats_written_us < SP_STATS_PERIOD_US)
		return;
	struct sp_buf b;
	sp_buf_init(&b, STATS_MAX_BYTES);
	if (format_figures(p, &b) < 0) {
		sp_buf_fini(&b);
		return;
	}
	bool same = b.len < sizeof(p->stats_last) && !memcmp(p->stats_last, b.data, b.len) &&
		    p->stats_last[b.len] == 0;
	if (same && !force) {
		sp_buf_fini(&b);
		return;
	}
	if (b.len < sizeof(p->stats_last)) {
		memcpy(p->stats_last, b.data, b.len);
		p->stats_last[b.len] = 0;
	}
	int r = p->cfg->stats_path ? write_atomic(p->cfg->stats_path, b.data, b.len) : 0;
	if (r < 0)
		SP_WARN("player", "cannot write %s: %s", p->cfg->stats_path, strerror(-r));
	if (h && h->stats && sp_buf_append(&b, "", 1) == 0) /* a C string for the host */
		h->stats(h->ctx, (const char *)b.data);
	p->stats_written_us = now;
	sp_buf_fini(&b);
}
