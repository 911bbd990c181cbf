/* playlist.h - the kiosk's playlist: extended M3U, parsed without I/O.
 *
 * A playlist is text, one item a line: a .tstream or .torrent (a path or
 * an http(s) URL), a magnet link, or a local media file. Lines starting
 * with '#' are comments, except
 *   #EXTM3U                      the header (optional)
 *   #EXTINF:SECONDS,TITLE        the next item's title
 *   #SWARMPLAY:key=value ...     the next item's options, separated by
 *                                spaces or commas: loops=N (plays in a
 *                                row, 1-1000), start=SECONDS,
 *                                duration=SECONDS (each play stops
 *                                there), volume=0-100
 * A bad line (an unknown scheme, a control character, a line too long, a
 * bad option) is reported with its number and skipped; it never rejects
 * the list. A list is rejected whole (and the kiosk keeps its last good
 * one) only when it is not text (a NUL byte), over SP_PLAYLIST_MAX_BYTES,
 * or has no item at all: what a server's error page or a truncated
 * download looks like.
 *
 * Pure: no I/O, no clock; any thread. The list owns its strings. */
#ifndef SP_KIOSK_PLAYLIST_H
#define SP_KIOSK_PLAYLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "swarmplay/swarmplay.h" /* sp_error */

#define SP_PLAYLIST_MAX_BYTES (1u << 20)
#define SP_PLAYLIST_MAX_ITEMS 4096
#define SP_PLAYLIST_MAX_LINE 4096
#define SP_PLAYLIST_MAX_ERRORS 64 /* kept; all are counted */

enum sp_playlist_kind {
	SP_ITEM_TORRENT, /* .torrent / .tstream, a path or URL */
	SP_ITEM_MAGNET,
	SP_ITEM_MEDIA,   /* a local media file */
};

struct sp_playlist_item {
	char *src;   /* as written (file:// removed) */
	char *title; /* #EXTINF's, or NULL */
	enum sp_playlist_kind kind;
	bool remote; /* an http(s) URL */
	int line;    /* 1-based */
	int loops;   /* >= 1 */
	double start_s;    /* < 0: from the beginning */
	double duration_s; /* <= 0: to the end */
	int volume;        /* < 0: the kiosk's */
};

struct sp_playlist_error {
	int line;
	char msg[160]; /* English, for the status page and the log */
};

struct sp_playlist {
	struct sp_playlist_item *items;
	size_t n;
	struct sp_playlist_error errors[SP_PLAYLIST_MAX_ERRORS];
	size_t nerrors;   /* kept in errors[] */
	size_t bad_lines; /* all of them */
	bool extm3u;      /* had the #EXTM3U header */
};

/* Parses len bytes. NULL with *err (-EOVERFLOW too big, -EBADMSG not
 * text or no item, -ENOMEM) when the list as a whole is unusable. */
struct sp_playlist *sp_playlist_parse(const char *data, size_t len, struct sp_error **err);
void sp_playlist_free(struct sp_playlist *pl);

/* Where a relative item points: base is the playlist's own path or URL.
 * An absolute path, a URL or a magnet is copied as is; a relative one is
 * joined to base's folder (a URL's path up to its last '/', without the
 * query). 0, or -ENAMETOOLONG. */
int sp_playlist_resolve(const char *base, const char *src, char *out, size_t n);

#endif
