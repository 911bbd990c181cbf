/* mi_public.c - what the public API (swarmplay.h) says of a metainfo: its
 * files, names and lengths, without exposing struct sp_metainfo, so that
 * the struct can change without breaking an embedder. Any thread: the
 * metainfo is immutable, but for sp_metainfo_add_peer before it is added
 * to a session. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metainfo.h"
#include "swarmplay/swarmplay.h"

const char *sp_metainfo_name(const struct sp_metainfo *mi)
{
	return mi->name ? mi->name : "";
}

const char *sp_metainfo_info_hash(const struct sp_metainfo *mi)
{
	return mi->info_hash_hex;
}

int sp_metainfo_num_files(const struct sp_metainfo *mi)
{
	return mi->is_magnet ? 0 : (int)mi->num_files;
}

const char *sp_metainfo_file_path(const struct sp_metainfo *mi, int i)
{
	if (i < 0 || (size_t)i >= mi->num_files)
		return NULL;
	return mi->files[i].path;
}

int64_t sp_metainfo_file_length(const struct sp_metainfo *mi, int i)
{
	if (i < 0 || (size_t)i >= mi->num_files)
		return -1;
	return (int64_t)mi->files[i].length;
}

bool sp_metainfo_is_magnet(const struct sp_metainfo *mi)
{
	return mi->is_magnet;
}

bool sp_metainfo_is_private(const struct sp_metainfo *mi)
{
	return !mi->is_magnet && mi->private_flag;
}

/* The caller's thread, before a session has the metainfo: the one place
 * where a metainfo changes after it is made. */
int sp_metainfo_add_peer(struct sp_metainfo *mi, const char *host, uint16_t port)
{
	struct sp_mi_peer p;
	if (!mi || !host || !*host || strlen(host) >= sizeof(p.host))
		return -EINVAL;
	snprintf(p.host, sizeof(p.host), "%s", host);
	p.port = port;
	struct sp_mi_peer *np = realloc(mi->initial_peers, (mi->num_initial_peers + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	mi->initial_peers = np;
	np[mi->num_initial_peers++] = p;
	return 0;
}

uint64_t sp_metainfo_total_length(const struct sp_metainfo *mi)
{
	return mi->is_magnet ? 0 : mi->total_length;
}

uint32_t sp_metainfo_piece_length(const struct sp_metainfo *mi)
{
	return mi->is_magnet ? 0 : mi->piece_length;
}

uint32_t sp_metainfo_num_pieces(const struct sp_metainfo *mi)
{
	return mi->is_magnet ? 0 : mi->num_pieces;
}

int64_t sp_metainfo_file_offset(const struct sp_metainfo *mi, int i)
{
	if (i < 0 || (size_t)i >= mi->num_files)
		return -1;
	return (int64_t)mi->files[i].offset;
}

bool sp_metainfo_file_is_pad(const struct sp_metainfo *mi, int i)
{
	return i >= 0 && (size_t)i < mi->num_files && mi->files[i].is_pad;
}

bool sp_metainfo_file_is_video(const struct sp_metainfo *mi, int i)
{
	return i >= 0 && (size_t)i < mi->num_files && !mi->files[i].is_pad &&
	       sp_metainfo_is_video_path(mi->files[i].path);
}

double sp_metainfo_file_playtime(const struct sp_metainfo *mi, int i)
{
	if (i < 0 || (size_t)i >= mi->num_files)
		return 0;
	return mi->files[i].playtime;
}

int sp_metainfo_num_tiers(const struct sp_metainfo *mi)
{
	return (int)mi->num_tiers;
}

const char *sp_metainfo_tracker(const struct sp_metainfo *mi, int tier, int i)
{
	if (tier < 0 || (size_t)tier >= mi->num_tiers || i < 0)
		return NULL;
	for (int u = 0; u <= i; u++) /* each tier is NULL-terminated */
		if (!mi->tiers[tier][u])
			return NULL;
	return mi->tiers[tier][i];
}

const char *sp_metainfo_web_seed(const struct sp_metainfo *mi, int i)
{
	return i >= 0 && (size_t)i < mi->num_web_seeds ? mi->web_seeds[i] : NULL;
}

const char *sp_metainfo_http_seed(const struct sp_metainfo *mi, int i)
{
	return i >= 0 && (size_t)i < mi->num_http_seeds ? mi->http_seeds[i] : NULL;
}

const char *sp_metainfo_peer(const struct sp_metainfo *mi, int i, uint16_t *port)
{
	if (i < 0 || (size_t)i >= mi->num_initial_peers)
		return NULL;
	if (port)
		*port = mi->initial_peers[i].port;
	return mi->initial_peers[i].host;
}

bool sp_metainfo_is_multi_file(const struct sp_metainfo *mi)
{
	return mi->multi_file;
}

bool sp_metainfo_is_hybrid_v2(const struct sp_metainfo *mi)
{
	return mi->hybrid_v2;
}

const char *sp_metainfo_text(const struct sp_metainfo *mi, enum sp_metainfo_text which)
{
	switch (which) {
	case SP_METAINFO_TITLE: return mi->title;
	case SP_METAINFO_DESCRIPTION: return mi->description;
	case SP_METAINFO_PUBLISHER: return mi->publisher;
	case SP_METAINFO_COMMENT: return mi->comment;
	case SP_METAINFO_CREATED_BY: return mi->created_by;
	case SP_METAINFO_LIVE_AUTHMETHOD: return mi->live_authmethod;
	}
	return NULL;
}

double sp_metainfo_playtime(const struct sp_metainfo *mi, bool top_level)
{
	return top_level ? mi->top_playtime : mi->info_playtime;
}

int64_t sp_metainfo_speed_bps(const struct sp_metainfo *mi)
{
	return mi->speed_bps;
}

const uint8_t *sp_metainfo_thumbnail(const struct sp_metainfo *mi, size_t *len)
{
	if (len)
		*len = mi->thumbnail ? mi->thumbnail_len : 0;
	return mi->thumbnail;
}

bool sp_metainfo_is_live(const struct sp_metainfo *mi)
{
	return mi->live;
}

int64_t sp_metainfo_creation_date(const struct sp_metainfo *mi)
{
	return mi->creation_date;
}
