/* media_module.c - the media module's entry (see media.h): the table the
 * program looks up by name: the player on a stream reader or a local
 * file (src/player), and create's duration probe (libavformat). The
 * program's cmd_play.c does everything else of `play`. Main thread. */
#include "config.h"

#include <libavformat/avformat.h>
#include <libavutil/log.h>

#include <errno.h>

#include "app/media.h"
#include "app/i18n.h"
#include "player/player.h"
#include "player/source.h"
#include "swarmplay/swarmplay.h"

static int play_reader(struct sp_reader *r, const char *name, const struct sp_play_config *cfg,
		       struct sp_error **err)
{
	struct sp_source *src = sp_source_reader_new(r, name, true);
	if (!src) {
		sp_reader_close(r);
		if (cfg->sub_reader)
			sp_reader_close(cfg->sub_reader);
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	}
	int rc = sp_player_run(src, cfg, err);
	sp_source_free(src);
	return rc;
}

static int play_file(const char *path, const struct sp_play_config *cfg, struct sp_error **err)
{
	struct sp_source *src = sp_source_file_new(path, err);
	if (!src)
		return -ENOENT;
	int rc = sp_player_run(src, cfg, err);
	sp_source_free(src);
	return rc;
}

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
	.play_reader = play_reader,
	.play_file = play_file,
	.probe_duration = probe_duration,
	.screen_new = sp_screen_new,
	.screen_title = sp_screen_title,
	.screen_show = sp_screen_show,
	.screen_free = sp_screen_free,
};
