/* media_module.c - the media module's entry (see media.h): the table the
 * program looks up by name: create's duration probe (libavformat) and
 * the kiosk's window (kiosk_screen.c). `play` plays on the public player
 * (swarmplay/player.h), as the kiosk does. Main thread. */
#include "config.h"

#include <libavformat/avformat.h>
#include <libavutil/log.h>

#include "app/media.h"
#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

static double probe_duration(const char *path)
{
	av_log_set_level(AV_LOG_QUIET); /* a file that is not media is simply not probed */
	AVFormatContext *ic = NULL;
	if (avformat_open_input(&ic, path, NULL, NULL) < 0)
		return 0;
	double d = 0;
	if (avformat_find_stream_info(ic, NULL) >= 0 && ic->duration > 0)
		d = (double)ic->duration / AV_TIME_BASE;
	avformat_close_input(&ic);
	return d;
}

/* The one symbol the program asks the module for. */
extern const struct sp_media sp_media_module;
const struct sp_media sp_media_module = {
	.abi = SP_MEDIA_ABI,
	.version = SP_VERSION,
	.probe_duration = probe_duration,
	.screen_new = sp_screen_new,
	.screen_title = sp_screen_title,
	.screen_show = sp_screen_show,
	.screen_free = sp_screen_free,
};
