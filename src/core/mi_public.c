/* mi_public.c - what the public API (swarmplay.h) says of a metainfo: its
 * files, names and lengths, without exposing struct sp_metainfo, so that
 * the struct can change without breaking an embedder. Any thread: the
 * metainfo is immutable. */
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
