/* mi_subs.c - the public sp_metainfo_subtitle_file (swarmplay.h): which
 * file of a torrent is the subtitle file of one of its videos, by the
 * rules of subtext.h (sp_subtext_sidecar, sp_subtext_lang_rank). Pure;
 * any thread. */
#include "core/subtext.h"
#include "swarmplay/swarmplay.h"

#define UNRANKED (1 << 20) /* a sidecar whose language is not in the list */

int sp_metainfo_subtitle_file(const struct sp_metainfo *mi, int video_file, const char *slang)
{
	const char *video = sp_metainfo_file_path(mi, video_file);
	if (!video)
		return -1;
	int best = -1, best_rank = 1 << 30;
	for (int i = 0; i < sp_metainfo_num_files(mi); i++) {
		char lang[16];
		if (i == video_file || sp_metainfo_file_is_pad(mi, i) ||
		    !sp_subtext_sidecar(video, sp_metainfo_file_path(mi, i), lang, sizeof(lang)))
			continue;
		int rank = sp_subtext_lang_rank(slang, lang);
		rank = rank < 0 ? UNRANKED : rank;
		if (rank < best_rank) {
			best = i;
			best_rank = rank;
		}
	}
	return best;
}
