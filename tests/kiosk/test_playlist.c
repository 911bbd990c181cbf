/* test_playlist.c - the kiosk's M3U parser: items and their options,
 * titles, bad lines reported by number and skipped, lists rejected whole
 * (not text, too big, nothing playable), relative items resolved. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "app/playlist.h"
#include "core/error.h"

static struct sp_playlist *parse(const char *s)
{
	struct sp_error *err = NULL;
	struct sp_playlist *pl = sp_playlist_parse(s, strlen(s), &err);
	if (!pl)
		SP_FAIL("rejected: %s", sp_error_msg(err));
	return pl;
}

static void expect_reject(const char *s, size_t len, int code, const char *needle)
{
	struct sp_error *err = NULL;
	struct sp_playlist *pl = sp_playlist_parse(s, len, &err);
	if (pl)
		SP_FAIL("accepted a list of %zu items", pl->n);
	if (!err || err->code != code || !strstr(err->msg, needle))
		SP_FAIL("got %d \"%s\", want %d \"%s\"", err ? err->code : 0, sp_error_msg(err),
			code, needle);
	sp_error_free(err);
}

SP_TEST(extended_m3u)
{
	struct sp_playlist *pl = parse(
		"\xef\xbb\xbf#EXTM3U\r\n"
		"# a comment\r\n"
		"#EXTINF:-1,Welcome \xc3\xa0 tous\r\n"
		"#SWARMPLAY:loops=3, start=1.5 duration=10,volume=40\r\n"
		"  intro.tstream  \r\n"
		"\r\n"
		"https://cdn.example/a/b.torrent?x=1\n"
		"magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a\n"
		"file:///srv/clip.mp4\n"
		"#EXTINF:5,Last\n"
		"/srv/last.mkv");
	SP_CHECK(pl->extm3u);
	SP_CHECK_UINT(pl->n, 5);
	SP_CHECK_UINT(pl->bad_lines, 0);
	const struct sp_playlist_item *it = pl->items;
	SP_CHECK_STR(it[0].src, "intro.tstream");
	SP_CHECK_STR(it[0].title, "Welcome \xc3\xa0 tous");
	SP_CHECK_INT(it[0].kind, SP_ITEM_TORRENT);
	SP_CHECK(!it[0].remote);
	SP_CHECK_INT(it[0].line, 5);
	SP_CHECK_INT(it[0].loops, 3);
	SP_CHECK(it[0].start_s == 1.5 && it[0].duration_s == 10);
	SP_CHECK_INT(it[0].volume, 40);
	SP_CHECK_INT(it[1].kind, SP_ITEM_TORRENT);
	SP_CHECK(it[1].remote);
	SP_CHECK(it[1].title == NULL);
	SP_CHECK_INT(it[1].loops, 1); /* options are for the next item only */
	SP_CHECK(it[1].start_s < 0 && it[1].duration_s <= 0 && it[1].volume < 0);
	SP_CHECK_INT(it[2].kind, SP_ITEM_MAGNET);
	SP_CHECK_INT(it[3].kind, SP_ITEM_MEDIA);
	SP_CHECK_STR(it[3].src, "/srv/clip.mp4");
	SP_CHECK_STR(it[4].title, "Last");
	SP_CHECK_INT(it[4].line, 11);
	sp_playlist_free(pl);
}

SP_TEST(bad_lines_are_skipped_with_their_number)
{
	struct sp_playlist *pl = parse("#EXTM3U\n"
				       "a.tstream\n"
				       "ftp://host/b.torrent\n"
				       "#EXTINF:-1,Lost title\n"
				       "https://host/page.html\n"
				       "c.tstream\n"
				       "#SWARMPLAY:loops=0 speed=2 volume=101 start=x duration=0 rate\n"
				       "d.mp4\n"
				       "bad\x01line.mp4\n");
	SP_CHECK_UINT(pl->n, 3);
	SP_CHECK_STR(pl->items[0].src, "a.tstream");
	SP_CHECK_STR(pl->items[1].src, "c.tstream");
	SP_CHECK(pl->items[1].title == NULL); /* the title was the bad line's */
	SP_CHECK_STR(pl->items[2].src, "d.mp4");
	SP_CHECK_INT(pl->items[2].loops, 1);
	SP_CHECK_INT(pl->items[2].volume, -1);
	SP_CHECK_UINT(pl->bad_lines, 9);
	SP_CHECK_INT(pl->errors[0].line, 3);
	SP_CHECK(strstr(pl->errors[0].msg, "ftp://host/b.torrent") != NULL);
	SP_CHECK_INT(pl->errors[1].line, 5);
	SP_CHECK(strstr(pl->errors[1].msg, ".torrent or .tstream") != NULL);
	SP_CHECK_INT(pl->errors[2].line, 7);
	SP_CHECK(strstr(pl->errors[2].msg, "bad value for the option loops") != NULL);
	SP_CHECK(strstr(pl->errors[3].msg, "unknown option: speed") != NULL);
	SP_CHECK(strstr(pl->errors[4].msg, "volume") != NULL);
	SP_CHECK(strstr(pl->errors[5].msg, "start") != NULL);
	SP_CHECK(strstr(pl->errors[6].msg, "duration") != NULL);
	SP_CHECK(strstr(pl->errors[7].msg, "without a value: rate") != NULL);
	SP_CHECK_INT(pl->errors[8].line, 9);
	SP_CHECK(strstr(pl->errors[8].msg, "control character") != NULL);
	sp_playlist_free(pl);
}

SP_TEST(long_lines_and_many_errors)
{
	size_t n = SP_PLAYLIST_MAX_LINE + 10;
	char *s = malloc(n + 200 * 8 + 32);
	memset(s, 'x', n);
	memcpy(s + n, "\nok.mp4\n", 8);
	size_t len = n + 8;
	for (int i = 0; i < 200; i++, len += 8)
		memcpy(s + len, "ftp://x\n", 8);
	struct sp_error *err = NULL;
	struct sp_playlist *pl = sp_playlist_parse(s, len, &err);
	if (!pl)
		SP_FAIL("%s", sp_error_msg(err));
	SP_CHECK_UINT(pl->n, 1);
	SP_CHECK_INT(pl->errors[0].line, 1);
	SP_CHECK(strstr(pl->errors[0].msg, "too long") != NULL);
	SP_CHECK_UINT(pl->bad_lines, 201);
	SP_CHECK_UINT(pl->nerrors, SP_PLAYLIST_MAX_ERRORS);
	sp_playlist_free(pl);
	free(s);
}

SP_TEST(rejected_whole)
{
	expect_reject("", 0, -EBADMSG, "no item");
	expect_reject("#EXTM3U\n# nothing\n", 18, -EBADMSG, "no item");
	expect_reject("\n <html><body>502 Bad Gateway</body></html>\na.mp4\n", 50, -EBADMSG,
		      "HTML");
	expect_reject("# ...\nhttp://x/\n", 16, -EBADMSG, "no playable item (line 2");
	expect_reject("a.mp4\n\0b.mp4\n", 13, -EBADMSG, "not text");
	size_t big = SP_PLAYLIST_MAX_BYTES + 1;
	char *s = malloc(big);
	memset(s, '\n', big);
	expect_reject(s, big, -EOVERFLOW, "over");
	free(s);
}

static void expect_resolve(const char *base, const char *src, const char *want)
{
	char out[256];
	int r = sp_playlist_resolve(base, src, out, sizeof(out));
	SP_CHECK_INT(r, 0);
	SP_CHECK_STR(out, want);
}

SP_TEST(resolve)
{
	expect_resolve("/srv/lists/main.m3u", "a.tstream", "/srv/lists/a.tstream");
	expect_resolve("/srv/lists/main.m3u", "/abs/b.mp4", "/abs/b.mp4");
	expect_resolve("main.m3u", "a.tstream", "a.tstream");
	expect_resolve("http://h:8080/p/list.m3u?v=2", "x/a.tstream", "http://h:8080/p/x/a.tstream");
	expect_resolve("http://h:8080", "a.tstream", "http://h:8080/a.tstream");
	expect_resolve("http://h/list.m3u", "https://o/b.torrent", "https://o/b.torrent");
	expect_resolve("http://h/list.m3u", "magnet:?xt=1", "magnet:?xt=1");
	char small[8];
	SP_CHECK_INT(sp_playlist_resolve("/a/b/c/", "long-name", small, sizeof(small)),
		     -ENAMETOOLONG);
}

SP_TEST_MAIN()
