/* tracks.c - the audio track: chosen at the start (--aid, --alang) and
 * cycled with key # through a seek to the current position, so that the
 * demux thread switches streams between two serials and the audio
 * decoder (decode.c) follows the new serial's stream; the choice holds
 * across later seeks. Main thread. */
#include <errno.h>
#include <stdio.h>

#include "core/i18n.h"
#include "core/subtext.h"
#include "player/player_int.h"

static bool is_audio(const AVStream *st)
{
	return st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO &&
	       !(st->disposition & AV_DISPOSITION_ATTACHED_PIC);
}

static const char *stream_lang(const AVStream *st)
{
	const AVDictionaryEntry *l = av_dict_get(st->metadata, "language", NULL, 0);
	return l ? l->value : "";
}

/* --aid N, else --alang's first match, else FFmpeg's best. */
int sp_tracks_choose_audio(struct player *p)
{
	AVFormatContext *ic = p->ic;
	int n = 0, best = -1, best_rank = 1 << 30;
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		if (!is_audio(ic->streams[i]))
			continue;
		if (++n == p->cfg->aid)
			return (int)i;
		int r = sp_subtext_lang_rank(p->cfg->alang, stream_lang(ic->streams[i]));
		if (r >= 0 && r < best_rank) {
			best = (int)i;
			best_rank = r;
		}
	}
	if (p->cfg->aid > 0)
		fprintf(stderr, _("swarmplay: no audio track %d (there are %d)\n"), p->cfg->aid, n);
	return best >= 0 ? best : av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, p->vidx, NULL, 0);
}

/* Key #: the next audio track, through a seek to where we are (the
 * demux thread switches, the decoder follows). */
void sp_player_cycle_audio(struct player *p)
{
	AVFormatContext *ic = p->ic;
	if (!p->opened || p->aidx < 0 || !p->ast)
		return;
	int cur = p->ast->index, n = (int)ic->nb_streams, next = cur, k = 0, total = 0;
	for (int i = 0; i < n; i++) {
		if (!is_audio(ic->streams[i]))
			continue;
		total++;
		if (i <= cur)
			k++;
	}
	for (int d = 1; d < n && next == cur; d++)
		if (is_audio(ic->streams[(cur + d) % n]))
			next = (cur + d) % n;
	char msg[64];
	if (next == cur) {
		sp_osd_message(p, _("only one audio track"));
		return;
	}
	k = next > cur ? k + 1 : 1;
	p->ast = ic->streams[next];
	p->audio_chosen = true;
	double at = p->awaiting_seek ? p->seek_req_target : sp_player_position(p);
	pthread_mutex_lock(&p->mu);
	p->audio_switch = next;
	pthread_mutex_unlock(&p->mu);
	sp_demux_seek(p, at);
	snprintf(msg, sizeof(msg), _("audio %d/%d %s"), k, total, stream_lang(p->ast));
	sp_osd_message(p, msg);
}

/* The embedding API: audio track n (from 1, in the container's order),
 * through the same seek to where we are as key #. */
int sp_tracks_set_audio(struct player *p, int n)
{
	AVFormatContext *ic = p->ic;
	if (!p->opened || p->aidx < 0 || !p->ast)
		return -EAGAIN;
	int k = 0, idx = -1;
	for (unsigned i = 0; i < ic->nb_streams && idx < 0; i++)
		if (is_audio(ic->streams[i]) && ++k == n)
			idx = (int)i;
	if (idx < 0)
		return -ENOENT;
	if (idx == p->ast->index)
		return 0;
	p->ast = ic->streams[idx];
	p->audio_chosen = true;
	double at = p->awaiting_seek ? p->seek_req_target : sp_player_position(p);
	pthread_mutex_lock(&p->mu);
	p->audio_switch = idx;
	pthread_mutex_unlock(&p->mu);
	sp_demux_seek(p, at);
	return 0;
}

int sp_tracks_audio_number(const struct player *p)
{
	if (!p->opened || p->aidx < 0 || !p->ast)
		return 0;
	int k = 0;
	for (int i = 0; i <= p->ast->index && i < (int)p->ic->nb_streams; i++)
		if (is_audio(p->ic->streams[i]))
			k++;
	return k;
}
