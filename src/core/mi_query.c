/* mi_query.c - questions asked of a parsed metainfo: piece geometry, the
 * file play would choose, the bitrate hint, and .tstream playtime strings.
 * Read-only on an immutable struct: any thread. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/metainfo.h"

uint32_t sp_metainfo_piece_size(const struct sp_metainfo *mi, uint32_t piece)
{
	if (!mi || piece >= mi->num_pieces)
		return 0;
	if (piece + 1 < mi->num_pieces)
		return mi->piece_length;
	uint64_t last = mi->total_length - (uint64_t)piece * mi->piece_length;
	return (uint32_t)last;
}

bool sp_metainfo_is_video_path(const char *path)
{
	static const char *const exts[] = {
		"mp4", "m4v", "mkv", "webm", "avi", "mov", "ts", "m2ts", "mts", "mpg",
		"mpeg", "ogv", "ogg", "flv", "wmv", "3gp", "vob", "divx", "asf", "rmvb",
	};
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return false;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcasecmp(dot + 1, exts[i]))
			return true;
	return false;
}

int sp_metainfo_main_file(const struct sp_metainfo *mi)
{
	if (!mi)
		return -1;
	int best = -1, best_video = -1;
	for (size_t i = 0; i < mi->num_files; i++) {
		const struct sp_mi_file *f = &mi->files[i];
		if (f->is_pad)
			continue;
		/* ties go to the first file, so the choice is stable */
		if (best < 0 || f->length > mi->files[best].length)
			best = (int)i;
		if (sp_metainfo_is_video_path(f->path) &&
		    (best_video < 0 || f->length > mi->files[best_video].length))
			best_video = (int)i;
	}
	return best_video >= 0 ? best_video : best;
}

double sp_metainfo_bitrate(const struct sp_metainfo *mi, int file_index,
			   enum sp_bitrate_source *source)
{
	if (source)
		*source = SP_BITRATE_NONE;
	if (!mi)
		return 0;
	if (file_index < 0 || (size_t)file_index >= mi->num_files)
		file_index = sp_metainfo_main_file(mi);
	double len = file_index >= 0 ? (double)mi->files[file_index].length : 0;
	/* 1: the played file's own playtime, or info.playtime */
	double pt = file_index >= 0 ? mi->files[file_index].playtime : 0;
	if (pt <= 0)
		pt = mi->info_playtime;
	if (pt > 0 && len > 0) {
		if (source)
			*source = SP_BITRATE_INFO_PLAYTIME;
		return len / pt;
	}
	/* 2: top-level playtime (older writers) */
	if (mi->top_playtime > 0 && len > 0) {
		if (source)
			*source = SP_BITRATE_TOP_PLAYTIME;
		return len / mi->top_playtime;
	}
	/* 3: azureus_properties.Content['Speed Bps'] */
	if (mi->speed_bps > 0) {
		if (source)
			*source = SP_BITRATE_SPEED_BPS;
		return (double)mi->speed_bps;
	}
	return 0;
}

/* One field of a playtime: digits, and on the last field an optional
 * ".fff". Returns the index after it, or 0 on error. */
static size_t playtime_field(const char *s, size_t len, size_t i, double *out, bool *frac)
{
	size_t start = i;
	double v = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 9)
		v = v * 10 + (s[i++] - '0');
	if (i == start || (i < len && s[i] >= '0' && s[i] <= '9'))
		return 0;
	*frac = false;
	if (i < len && s[i] == '.') {
		size_t fs = ++i;
		double scale = 0.1;
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - fs < 9) {
			v += (s[i++] - '0') * scale;
			scale /= 10;
		}
		if (i == fs || i != len)
			return 0;
		*frac = true;
	}
	*out = v;
	return i;
}

double sp_parse_playtime(const char *s, size_t len)
{
	if (!s || len == 0 || len > 32)
		return -1;
	double f[3];
	int n = 0;
	size_t i = 0;
	for (;;) {
		bool frac;
		size_t next = playtime_field(s, len, i, &f[n], &frac);
		if (!next)
			return -1;
		n++;
		i = next;
		if (i == len)
			break;
		if (s[i] != ':' || n == 3)
			return -1;
		i++;
		if (i == len)
			return -1; /* "12:" */
	}
	if (n == 1)
		return f[0];
	if (f[n - 1] >= 60 || (n == 3 && f[1] >= 60))
		return -1;
	return n == 2 ? f[0] * 60 + f[1] : f[0] * 3600 + f[1] * 60 + f[2];
}
