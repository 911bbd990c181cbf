/* audio.c - audio output through SDL: the callback pulls decoded frames
 * from the audio ring, converts them with swresample to the device's
 * format, applies volume, and sets the audio clock (the master clock).
 *
 * Invariants: while p->hold is set (paused, buffering) the callback
 * outputs silence and leaves the clock alone; frames of a stale serial
 * (before a seek) are dropped and the clock is invalidated until data of
 * the new serial plays. Open/close on the main thread; the callback runs
 * on SDL's audio thread and touches only the [audio] fields. */
#include <math.h>
#include <string.h>

#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
#include <libswresample/swresample.h>

#include "core/clock.h"
#include "core/log.h"
#include "player/player_int.h"

#define AUDIO_MIN_BUFFER 512
#define AUDIO_CALLBACKS_PER_SEC 30

static int setup_swr(struct player *p, AVFrame *f)
{
	if (p->swr && p->swr_fmt == f->format && p->swr_rate == f->sample_rate &&
	    !av_channel_layout_compare(&p->swr_layout, &f->ch_layout))
		return 0;
	swr_free(&p->swr);
	AVChannelLayout out;
	av_channel_layout_default(&out, p->a_channels);
	int r = swr_alloc_set_opts2(&p->swr, &out, AV_SAMPLE_FMT_S16, p->a_freq, &f->ch_layout,
				    f->format, f->sample_rate, 0, NULL);
	av_channel_layout_uninit(&out);
	if (r < 0 || swr_init(p->swr) < 0) {
		swr_free(&p->swr);
		return -1;
	}
	p->swr_fmt = f->format;
	p->swr_rate = f->sample_rate;
	av_channel_layout_uninit(&p->swr_layout);
	av_channel_layout_copy(&p->swr_layout, &f->ch_layout);
	return 0;
}

/* Convert the next playable frame into abuf. Returns its size, or -1 when
 * nothing is ready. */
static int next_chunk(struct player *p)
{
	for (;;) {
		struct sp_frameq_item *it = sp_frameq_peek(&p->afq);
		if (!it)
			return -1;
		if (it->serial != sp_pktq_serial(&p->aq)) {
			sp_frameq_next(&p->afq);
			sp_clock_set(&p->audclk, NAN, 0);
			continue;
		}
		/* an exact seek (embed.c): the sound starts at the target too */
		if (it->serial == atomic_load(&p->exact_a_serial) && !isnan(it->pts) &&
		    it->pts + it->duration <= atomic_load(&p->exact_a_target)) {
			sp_frameq_next(&p->afq);
			continue;
		}
		AVFrame *f = it->frame;
		if (setup_swr(p, f) < 0) {
			sp_frameq_next(&p->afq);
			continue;
		}
		int out_count = (int)((int64_t)f->nb_samples * p->a_freq / f->sample_rate) + 256;
		int size = av_samples_get_buffer_size(NULL, p->a_channels, out_count,
						      AV_SAMPLE_FMT_S16, 0);
		if (size < 0) {
			sp_frameq_next(&p->afq);
			continue;
		}
		av_fast_malloc(&p->abuf, &p->abuf_alloc, (size_t)size);
		if (!p->abuf)
			return -1;
		uint8_t *out[] = {p->abuf};
		int n = swr_convert(p->swr, out, out_count, (const uint8_t **)f->extended_data,
				    f->nb_samples);
		double end = it->pts + it->duration;
		int serial = it->serial;
		sp_frameq_next(&p->afq);
		if (n <= 0)
			continue;
		p->abuf_size = (unsigned)(n * p->a_channels * 2);
		p->abuf_index = 0;
		p->a_clock = end;
		p->a_serial = serial;
		return (int)p->abuf_size;
	}
}

static void audio_on_callback(void *opaque, Uint8 *stream, int len)
{
	struct player *p = opaque;
	int64_t now = sp_now_us();
	memset(stream, 0, (size_t)len);
	if (atomic_load(&p->hold))
		return;
	bool played = false;
	int vol = atomic_load(&p->muted) ? 0 : atomic_load(&p->volume);
	int sdl_vol = vol * SDL_MIX_MAXVOLUME / 100;
	while (len > 0) {
		if (p->abuf_index >= p->abuf_size) {
			if (next_chunk(p) < 0)
				break; /* underrun: the rest stays silent */
		}
		int n = (int)(p->abuf_size - p->abuf_index);
		if (n > len)
			n = len;
		if (sdl_vol > 0)
			SDL_MixAudioFormat(stream, p->abuf + p->abuf_index, AUDIO_S16SYS, (Uint32)n,
					   sdl_vol);
		stream += n;
		len -= n;
		p->abuf_index += (unsigned)n;
		played = true;
	}
	if (p->a_serial != sp_pktq_serial(&p->aq)) {
		sp_clock_set(&p->audclk, NAN, 0); /* a seek: no clock until new data plays */
	} else if (played) {
		unsigned left = p->abuf_size - p->abuf_index;
		double lag = (double)(2 * p->a_hw_buf + left) / p->a_bytes_per_sec;
		sp_clock_set(&p->audclk, p->a_clock - lag, now);
	}
}

void sp_audio_pull(struct player *p, uint8_t *buf, int len)
{
	audio_on_callback(p, buf, len);
}

/* The host's audio engine pulls: no device, a fixed format, and about a
 * callback's worth of it between our clock and its speakers. */
static int open_pull(struct player *p)
{
	p->a_freq = SP_AUDIO_PULL_RATE;
	p->a_channels = 2;
	p->a_bytes_per_sec = SP_AUDIO_PULL_RATE * 2 * 2;
	p->a_hw_buf = p->a_bytes_per_sec / AUDIO_CALLBACKS_PER_SEC;
	p->a_serial = -1;
	atomic_store(&p->audio_on, true);
	return 0;
}

int sp_audio_open(struct player *p)
{
	if (p->cfg->audio_pull)
		return open_pull(p);
	AVCodecParameters *par = p->ast->codecpar;
	SDL_AudioSpec want = {0}, have;
	want.freq = par->sample_rate > 0 ? par->sample_rate : 48000;
	want.channels = par->ch_layout.nb_channels >= 2 ? 2 : 1;
	want.format = AUDIO_S16SYS;
	int samples = want.freq / AUDIO_CALLBACKS_PER_SEC;
	int pow2 = AUDIO_MIN_BUFFER;
	while (pow2 < samples)
		pow2 <<= 1;
	want.samples = (Uint16)pow2;
	want.callback = audio_on_callback;
	want.userdata = p;
	p->adev = SDL_OpenAudioDevice(p->cfg->audio_device, 0, &want, &have,
				      SDL_AUDIO_ALLOW_FREQUENCY_CHANGE |
					      SDL_AUDIO_ALLOW_CHANNELS_CHANGE);
	if (!p->adev)
		return -1;
	if (have.format != AUDIO_S16SYS || have.channels < 1 || have.channels > 2) {
		SDL_CloseAudioDevice(p->adev);
		p->adev = 0;
		return -1;
	}
	p->a_freq = have.freq;
	p->a_channels = have.channels;
	p->a_bytes_per_sec = have.freq * have.channels * 2;
	p->a_hw_buf = (int)have.size;
	p->a_serial = -1;
	atomic_store(&p->audio_on, true);
	SDL_PauseAudioDevice(p->adev, 0);
	return 0;
}

void sp_audio_close(struct player *p)
{
	if (p->adev) {
		SDL_CloseAudioDevice(p->adev); /* waits for the callback to return */
		p->adev = 0;
	}
	atomic_store(&p->audio_on, false);
	swr_free(&p->swr);
	av_channel_layout_uninit(&p->swr_layout);
	av_freep(&p->abuf);
	p->abuf_alloc = 0;
}
