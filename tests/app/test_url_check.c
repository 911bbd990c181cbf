/* test_url_check.c - URLs as play's source (src/app/url_check.c): kinds,
 * file: URIs, and a server's answer judged. */
#include <errno.h>

#include "app/url_check.h"
#include "harness.h"

static const char torrent[] = "d8:announce3:x:y4:infod4:name1:ae";

SP_TEST(kinds)
{
	SP_CHECK_INT(sp_url_kind("http://127.0.0.1/x.tstream"), SP_URL_HTTP);
	SP_CHECK_INT(sp_url_kind("HTTPS://h/x.torrent"), SP_URL_HTTP);
	SP_CHECK_INT(sp_url_kind("file:///tmp/x.mkv"), SP_URL_FILE);
	SP_CHECK_INT(sp_url_kind("magnet:?xt=urn:btih:00"), SP_URL_NONE);
	SP_CHECK_INT(sp_url_kind("/tmp/http://x"), SP_URL_NONE);
	SP_CHECK_INT(sp_url_kind("ftp://h/x"), SP_URL_NONE);
}

SP_TEST(file_uris)
{
	char p[64];
	SP_CHECK_INT(sp_url_file_path("file:///tmp/a%20b.mkv", p, sizeof(p)), 0);
	SP_CHECK_STR(p, "/tmp/a b.mkv");
	SP_CHECK_INT(sp_url_file_path("file://localhost/x%C3%A9.tstream", p, sizeof(p)), 0);
	SP_CHECK_STR(p, "/x\xc3\xa9.tstream");
	SP_CHECK_INT(sp_url_file_path("file:/x", p, sizeof(p)), 0);
	SP_CHECK_STR(p, "/x");
	SP_CHECK_INT(sp_url_file_path("file:///x?query#frag", p, sizeof(p)), 0);
	SP_CHECK_STR(p, "/x");
	SP_CHECK_INT(sp_url_file_path("file://example.org/x", p, sizeof(p)), -EINVAL);
	SP_CHECK_INT(sp_url_file_path("file:relative", p, sizeof(p)), -EINVAL);
	SP_CHECK_INT(sp_url_file_path("file:///a%00b", p, sizeof(p)), -EINVAL);
	SP_CHECK_INT(sp_url_file_path("file:///a%zz", p, sizeof(p)), -EINVAL);
	SP_CHECK_INT(sp_url_file_path("file:///a%4", p, sizeof(p)), -EINVAL);
	SP_CHECK_INT(sp_url_file_path("file:///0123456789", p, 8), -ENAMETOOLONG);
	SP_CHECK_INT(sp_url_file_path("http://x/y", p, sizeof(p)), -EINVAL);
}

SP_TEST(answers)
{
	size_t n = sizeof(torrent) - 1;
	SP_CHECK_INT(sp_url_check("application/x-bittorrent", torrent, n), SP_URL_TORRENT);
	SP_CHECK_INT(sp_url_check("application/octet-stream", torrent, n), SP_URL_TORRENT);
	SP_CHECK_INT(sp_url_check(NULL, torrent, n), SP_URL_TORRENT);
	SP_CHECK_INT(sp_url_check("application/x-ns-stream", torrent, n), SP_URL_TORRENT);
	SP_CHECK_INT(sp_url_check("text/html; charset=utf-8", torrent, n), SP_URL_HTML);
	SP_CHECK_INT(sp_url_check("Text/HTML", torrent, n), SP_URL_HTML);
	static const char page[] = "\n  <!DOCTYPE html><html><body>d4:info</body></html>";
	SP_CHECK_INT(sp_url_check("application/octet-stream", page, sizeof(page) - 1), SP_URL_HTML);
	SP_CHECK_INT(sp_url_check("text/plain", torrent, n), SP_URL_WRONG_TYPE);
	SP_CHECK_INT(sp_url_check("video/mp4", torrent, n), SP_URL_WRONG_TYPE);
	SP_CHECK_INT(sp_url_check("application/json", "{}", 2), SP_URL_WRONG_TYPE);
	SP_CHECK_INT(sp_url_check("text/htmlx", torrent, n), SP_URL_WRONG_TYPE);
	SP_CHECK_INT(sp_url_check("application/octet-stream", "d3:foo3:bare", 12),
		     SP_URL_NOT_TORRENT);
	SP_CHECK_INT(sp_url_check("application/octet-stream", "", 0), SP_URL_NOT_TORRENT);
	SP_CHECK_INT(sp_url_check("application/octet-stream", "\x00\x01", 2), SP_URL_NOT_TORRENT);
}

SP_TEST_MAIN()
