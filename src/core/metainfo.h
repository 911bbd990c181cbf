/* metainfo.h - .torrent / .tstream / magnet, parsed into one struct.
 *
 * A .tstream is a BEP 3 torrent with extra keys (doc/tstream-format.md):
 * playtime (info, per file, top level), azureus_properties.Content, live,
 * initial peers. Unknown keys are kept (the raw file is held) and ignored.
 *
 * The info-hash is SHA-1 of the exact bytes of the `info` value in the
 * file. Paths are checked here (.., absolute, empty or "." components,
 * NUL, over-long names, duplicates) so every later module may trust
 * files[i].path as a safe relative path. BEP 47 pad files are listed with
 * is_pad set and are never written. A BEP 52 hybrid is read through its
 * v1 part; v2-only is -ENOTSUP.
 *
 * The struct is immutable after parsing and may be shared read-only
 * between threads. */
#ifndef SP_METAINFO_H
#define SP_METAINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "swarmplay/swarmplay.h"

/* The folder beside the data where storage keeps its resume files: no
 * torrent may be named so (mi_files.c refuses it). */
#define SP_MI_RESERVED_NAME ".swarmplay"

#define SP_INFOHASH_LEN 20

struct sp_mi_file {
	char *path;        /* safe relative path "name/dir/file" for multi-file,
			      "name" for single-file; '/' separated */
	uint64_t length;
	uint64_t offset;   /* byte offset in the torrent's concatenated data */
	bool is_pad;       /* BEP 47 attr 'p' */
	bool executable;   /* attr 'x' */
	bool hidden;       /* attr 'h' */
	bool symlink;      /* attr 'l' (never followed; written as a plain file) */
	double playtime;   /* seconds from files[i].playtime, 0 if none */
};

struct sp_mi_peer {
	char host[64];
	uint16_t port;
};

/* enum sp_bitrate_source: public (swarmplay.h). */

struct sp_metainfo {
	uint8_t info_hash[SP_INFOHASH_LEN];
	char info_hash_hex[2 * SP_INFOHASH_LEN + 1];
	char *name;
	bool multi_file;
	struct sp_mi_file *files;
	size_t num_files;
	uint64_t total_length;
	uint32_t piece_length;
	uint32_t num_pieces;
	const uint8_t *piece_hashes; /* num_pieces * 20 bytes (points into raw) */
	bool private_flag;           /* BEP 27 */
	bool hybrid_v2;              /* BEP 52 hybrid: meta version 2 + v1 keys */

	/* trackers: tiers of URLs (BEP 12); announce alone becomes one tier */
	char ***tiers;        /* tiers[t][u], each tier NULL-terminated */
	size_t num_tiers;
	char **web_seeds;     /* BEP 19 url-list */
	size_t num_web_seeds;
	char **http_seeds;    /* BEP 17 httpseeds */
	size_t num_http_seeds;
	struct sp_mi_peer *initial_peers;
	size_t num_initial_peers;

	/* .tstream */
	double info_playtime;  /* seconds, info.playtime, 0 if none */
	double top_playtime;   /* top-level playtime */
	int64_t speed_bps;     /* azureus Content 'Speed Bps', 0 if none */
	char *title;           /* azureus Content Title, or NULL */
	char *description;
	char *publisher;
	const uint8_t *thumbnail; /* raw bytes inside raw, or NULL */
	size_t thumbnail_len;
	bool live;
	char *live_authmethod;
	char *comment;
	char *created_by;
	int64_t creation_date;

	/* magnet-only metainfo (no info dict yet) */
	bool is_magnet;

	uint8_t *raw;          /* the whole file (owned) */
	size_t raw_len;
	const uint8_t *info_raw; /* exact bytes of the info value, in raw */
	size_t info_raw_len;
};

/* Parse a .torrent/.tstream from memory (copied). */
struct sp_metainfo *sp_metainfo_parse(const uint8_t *buf, size_t len, struct sp_error **err);
/* From a file path, or a magnet: URI. */
struct sp_metainfo *sp_metainfo_load(const char *src, struct sp_error **err);
/* Build metainfo from a bare info dict received by ut_metadata (BEP 9);
 * checks its SHA-1 against expected. Trackers etc. copied from magnet. */
struct sp_metainfo *sp_metainfo_from_info(const uint8_t *info, size_t len,
					  const struct sp_metainfo *magnet,
					  struct sp_error **err);
void sp_metainfo_free(struct sp_metainfo *mi);

/* Piece geometry. */
uint32_t sp_metainfo_piece_size(const struct sp_metainfo *mi, uint32_t piece);
/* Index of the file that play would choose: the largest file with a video
 * extension, else the largest file; -1 for none. */
int sp_metainfo_main_file(const struct sp_metainfo *mi);
/* Whether a path has a video container's extension (.mp4, .mkv, ...). */
bool sp_metainfo_is_video_path(const char *path);
/* Bitrate hint in bytes per second for file idx by the rule of
 * TSTREAM-FORMAT.md (without Tribler's 1.2 margin); 0 if unknown. */
double sp_metainfo_bitrate(const struct sp_metainfo *mi, int file_index,
			   enum sp_bitrate_source *source);
/* Parse "[hh:]mm:ss[.frac]" (also plain seconds); -1 on error. */
double sp_parse_playtime(const char *s, size_t len);

#endif
