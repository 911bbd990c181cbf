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
