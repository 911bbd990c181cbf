/* fuzz_playlist.c - libFuzzer target for the kiosk's playlists
 * (src/app/playlist.c), which come from an http(s) server.
 *
 * It checks what the parser promises: a rejection says why; an accepted
 * list has 1..SP_PLAYLIST_MAX_ITEMS items, each a non-empty string
 * without a control character, a line number that grows, options within
 * their bounds; the kept errors are within their ceiling and counted;
 * and every item resolves against an http base and a path base. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/playlist.h"
#include "core/error.h"

static void check(const struct sp_playlist *pl)
{
	if (!pl->n || pl->n > SP_PLAYLIST_MAX_ITEMS || pl->nerrors > SP_PLAYLIST_MAX_ERRORS ||
	    pl->nerrors > pl->bad_lines)
		abort();
	int last = 0;
	for (size_t i = 0; i < pl->n; i++) {
		const struct sp_playlist_item *it = &pl->items[i];
		if (!it->src || !it->src[0] || strlen(it->src) > SP_PLAYLIST_MAX_LINE ||
		    it->line <= last || it->loops < 1 || it->loops > 1000 || it->volume > 100 ||
		    it->start_s > 1e7 || it->duration_s > 1e7)
			abort();
		for (const char *c = it->src; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				abort();
		if (it->title && !it->title[0])
			abort();
		last = it->line;
		char out[2 * SP_PLAYLIST_MAX_LINE];
		if (sp_playlist_resolve("http://h/p/l.m3u?q", it->src, out, sizeof(out)) < 0 ||
		    sp_playlist_resolve("/srv/l.m3u", it->src, out, sizeof(out)) < 0)
			abort();
	}
	for (size_t i = 0; i < pl->nerrors; i++)
		if (pl->errors[i].line < 1 || !pl->errors[i].msg[0])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_error *err = NULL;
	struct sp_playlist *pl = sp_playlist_parse((const char *)data, size, &err);
	if (pl)
		check(pl);
	else if (!err || !err->msg[0])
		abort();
	sp_playlist_free(pl);
	sp_error_free(err);
	return 0;
}
