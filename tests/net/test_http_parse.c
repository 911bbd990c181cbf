/* test_http_parse.c - serve's request parsing (src/app/http_parse.c):
 * routes, path tricks, Range headers, tokens, types, natural order,
 * escaping. */
#include <errno.h>

#include "harness.h"
#include "app/http_parse.h"

#define HASH "0123456789abcdef0123456789ABCDEF01234567"
#define HASH_LC "0123456789abcdef0123456789abcdef01234567"

static int route(const char *t, struct sp_http_route *r)
{
	return sp_http_route_parse(t, strlen(t), r);
}

SP_TEST(routes)
{
	struct sp_http_route r;
	SP_CHECK_INT(route("/", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_INDEX);
	SP_CHECK_INT(route("/?format=json", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_INDEX);
	SP_CHECK(r.json);
	SP_CHECK_INT(route("/stats.json", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_STATS);
	SP_CHECK_INT(route("/add", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_ADD);
	SP_CHECK_INT(route("/add/x", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_NOT_FOUND);
	SP_CHECK_INT(route("/" HASH ".m3u", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_M3U);
	SP_CHECK_STR(r.hash_hex, HASH_LC);
	SP_CHECK_INT(route("/" HASH "/3/clip%20one.mp4", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_FILE);
	SP_CHECK_INT(r.file_index, 3);
	SP_CHECK_STR(r.hash_hex, HASH_LC);
	SP_CHECK_INT(route("/" HASH "/0", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_FILE);
	SP_CHECK_INT(r.file_index, 0);
	SP_CHECK_INT(route("/" HASH "/0/dir/a.mkv", &r), 0);
	SP_CHECK_INT(r.kind, SP_HTTP_FILE);
}

SP_TEST(not_found)
{
	struct sp_http_route r;
	const char *nf[] = {"/favicon.ico", "/" HASH, "/" HASH "/x/a.mp4", "/" HASH "/01/a",
			    "/" HASH "/-1/a", "/" HASH "/1000000/a", "/0123/1/a", "/stats.json/x",
			    "/" HASH ".m3u8"};
	for (size_t i = 0; i < sizeof(nf) / sizeof(nf[0]); i++) {
		SP_CHECK_INT(route(nf[i], &r), 0);
		if (r.kind != SP_HTTP_NOT_FOUND)
			SP_FAIL("%s: kind %d", nf[i], r.kind);
	}
}

SP_TEST(path_tricks_refused)
{
	struct sp_http_route r;
	const char *bad[] = {"", "x", "stats.json", "/..", "/../etc/passwd", "/" HASH "/0/../a",
			     "/%2e%2e/x", "/%2E%2e", "/" HASH "/0/%2e", "/a%00b", "/a%2fb",
			     "/a%2Fb", "/a%", "/a%4", "/a%zz", "//", "/a//b", "/a/", "/a\tb",
			     "/a\x7f", "/a#b", "/" HASH "/0/%0a", "/?token=%00",
			     "/?token=%zz"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = route(bad[i], &r);
		if (rc != -EINVAL)
			SP_FAIL("'%s': %d, want -EINVAL", bad[i], rc);
	}
	char nul[] = "/a\0b";
	SP_CHECK_INT(sp_http_route_parse(nul, 4, &r), -EINVAL);
	char big[SP_HTTP_MAX_TARGET + 2];
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	SP_CHECK_INT(sp_http_route_parse(big, sizeof(big), &r), -ENAMETOOLONG);
	SP_CHECK_INT(sp_http_route_parse(big, SP_HTTP_MAX_TARGET, &r), -EINVAL); /* 1 segment > 1024 */
	char deep[200] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "/a");
	SP_CHECK_INT(route(deep, &r), -EINVAL);
}

SP_TEST(token_in_query)
{
	struct sp_http_route r;
	SP_CHECK_INT(route("/stats.json?x=1&token=s%20e+c&y", &r), 0);
	SP_CHECK(r.has_token);
	SP_CHECK_STR(r.token, "s e c");
	SP_CHECK_INT(route("/stats.json?tokens=1", &r), 0);
	SP_CHECK(!r.has_token);
	char q[400] = "/?token=";
	memset(q + 8, 'a', 300);
	q[308] = 0;
	SP_CHECK_INT(route(q, &r), -EINVAL);
}

static int range(const char *v, uint64_t size, uint64_t *a, uint64_t *b)
{
	*a = *b = 12345;
	return sp_http_range_parse(v, size, a, b);
}

SP_TEST(ranges)
{
	uint64_t a, b;
	SP_CHECK_INT(range(NULL, 100, &a, &b), SP_HTTP_RANGE_WHOLE);
	SP_CHECK_INT(range("bytes=0-9", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 0);
	SP_CHECK_UINT(b, 9);
	SP_CHECK_INT(range("bytes=10-", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 10);
	SP_CHECK_UINT(b, 99);
	SP_CHECK_INT(range("bytes=-30", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 70);
	SP_CHECK_UINT(b, 99);
	SP_CHECK_INT(range("bytes=-300", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 0);
	SP_CHECK_INT(range("bytes=50-1000", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(b, 99);
	SP_CHECK_INT(range(" Bytes = 99-99 ", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 99);
	SP_CHECK_INT(range("bytes=0-99999999999999999999999999", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(b, 99);
	/* ignored: another unit, too many ranges */
	SP_CHECK_INT(range("items=0-5", 100, &a, &b), SP_HTTP_RANGE_WHOLE);
	SP_CHECK_INT(range("bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,"
			   "13-13,14-14,15-15,16-16", 100, &a, &b), SP_HTTP_RANGE_WHOLE);
	/* several ranges: their span */
	SP_CHECK_INT(range("bytes=5-6,0-1", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 0);
	SP_CHECK_UINT(b, 6);
	SP_CHECK_INT(range("bytes=0-0, -1", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 0);
	SP_CHECK_UINT(b, 99);
	SP_CHECK_INT(range("bytes=10-19,500-600", 100, &a, &b), SP_HTTP_RANGE_PART);
	SP_CHECK_UINT(a, 10);
	SP_CHECK_UINT(b, 19); /* the unsatisfiable one left out */
}

SP_TEST(bad_ranges)
{
	uint64_t a, b;
	SP_CHECK_INT(range("bytes=-0", 100, &a, &b), -ERANGE);
	SP_CHECK_INT(range("bytes=100-", 100, &a, &b), -ERANGE);
	SP_CHECK_INT(range("bytes=99999999999999999999999-", 100, &a, &b), -ERANGE);
	SP_CHECK_INT(range("bytes=0-0", 0, &a, &b), -ERANGE);
	SP_CHECK_INT(range("bytes=-5", 0, &a, &b), -ERANGE);
	SP_CHECK_INT(range("bytes=100-,200-300", 100, &a, &b), -ERANGE);
	SP_CHECK_INT(range("bytes=0-1,", 100, &a, &b), -EINVAL);
	SP_CHECK_INT(range("bytes=0-1,x", 100, &a, &b), -EINVAL);
	SP_CHECK_INT(range("bytes=0-1,,2-3", 100, &a, &b), -EINVAL);
	const char *bad[] = {"bytes=", "bytes=-", "bytes=--5", "bytes=-5-10", "bytes=5",
			     "bytes=9-5", "bytes=a-b", "bytes=1-2x", "bytes=+1-2", "bytes=-1-",
			     "bytes=0x10-"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (range(bad[i], 100, &a, &b) != -EINVAL)
			SP_FAIL("'%s' accepted", bad[i]);
	char longr[400] = "bytes=0-";
	memset(longr + 8, '1', 300);
	longr[308] = 0;
	SP_CHECK_INT(range(longr, 100, &a, &b), -EINVAL);
	SP_CHECK_UINT(a, 12345); /* untouched on error */
}

SP_TEST(tokens)
{
	size_t n = 0;
	const char *t = sp_http_bearer("Bearer abc ", &n);
	SP_CHECK(t != NULL);
	SP_CHECK_INT(n, 3);
	SP_CHECK(sp_http_token_equal("abc", t, n));
	SP_CHECK(!sp_http_token_equal("abd", t, n));
	SP_CHECK(!sp_http_token_equal("abcd", t, n));
	SP_CHECK(!sp_http_token_equal("ab", t, n));
	SP_CHECK(!sp_http_token_equal("", "", 0));
	SP_CHECK(sp_http_bearer("Basic abc", &n) == NULL);
	SP_CHECK(sp_http_bearer("Bearer ", &n) == NULL);
	SP_CHECK(sp_http_bearer(NULL, &n) == NULL);
}

SP_TEST(host_literals)
{
	const char *ok[] = {"127.0.0.1", "127.0.0.1:8888", "[::1]:80", "[::1]", "localhost:1",
			    "LOCALHOST", "192.168.1.20:8888"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!sp_http_host_is_literal(ok[i]))
			SP_FAIL("%s refused", ok[i]);
	const char *no[] = {"", "evil.example", "evil.example:8888", "127.0.0.1.nip.io",
			    "[::1", "[::1]x", "localhost.evil", "1.2.3.4.5",
			    "0123456789012345678901234567890123456789012345678901234567890123456789"};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (sp_http_host_is_literal(no[i]))
			SP_FAIL("%s accepted", no[i]);
	SP_CHECK(sp_http_host_is_literal(NULL));
}

SP_TEST(content_types)
{
	SP_CHECK_STR(sp_http_content_type("a/b/clip.MP4"), "video/mp4");
	SP_CHECK_STR(sp_http_content_type("x.mkv"), "video/x-matroska");
	SP_CHECK_STR(sp_http_content_type("x.webm"), "video/webm");
	SP_CHECK_STR(sp_http_content_type("x.ts"), "video/mp2t");
	SP_CHECK_STR(sp_http_content_type("x.srt"), "application/x-subrip");
	SP_CHECK_STR(sp_http_content_type("x.mp4/noext"), "application/octet-stream");
	SP_CHECK_STR(sp_http_content_type("README"), "application/octet-stream");
}

SP_TEST(natural_order)
{
	SP_CHECK_INT(sp_http_natural_cmp("ep2.mkv", "ep10.mkv"), -1);
	SP_CHECK_INT(sp_http_natural_cmp("ep10.mkv", "ep2.mkv"), 1);
	SP_CHECK_INT(sp_http_natural_cmp("Ep02", "ep2"), -1); /* tie: strcmp */
	SP_CHECK_INT(sp_http_natural_cmp("a", "a"), 0);
	SP_CHECK_INT(sp_http_natural_cmp("a", "ab"), -1);
	SP_CHECK_INT(sp_http_natural_cmp("s1e9", "s1e10"), -1);
	SP_CHECK_INT(sp_http_natural_cmp("B", "a"), 1);
	SP_CHECK_INT(sp_http_natural_cmp("99999999999999999999999", "100000000000000000000000"), -1);
}

SP_TEST(escaping)
{
	struct app_buf b;
	app_buf_init(&b, 64);
	SP_CHECK_INT(sp_http_escape(&b, "<a href=\"x\">&'", SP_HTTP_ESC_HTML), 0);
	SP_CHECK_INT(app_buf_append(&b, "", 1), 0);
	SP_CHECK_STR((char *)b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	app_buf_reset(&b);
	SP_CHECK_INT(sp_http_escape(&b, "a\"b\\c\n", SP_HTTP_ESC_JSON), 0);
	SP_CHECK_INT(app_buf_append(&b, "", 1), 0);
	SP_CHECK_STR((char *)b.data, "a\\\"b\\\\c\\u000a");
	app_buf_reset(&b);
	SP_CHECK_INT(sp_http_escape(&b, "d/clip one?#%.mp4", SP_HTTP_ESC_PATH), 0);
	SP_CHECK_INT(app_buf_append(&b, "", 1), 0);
	SP_CHECK_STR((char *)b.data, "d/clip%20one%3F%23%25.mp4");
	app_buf_reset(&b);
	SP_CHECK_INT(sp_http_escape(&b, "0123456789012345678901234567890123456789012345678901234567890123456789", SP_HTTP_ESC_HTML), -EOVERFLOW);
	SP_CHECK_UINT(b.len, 0);
	app_buf_fini(&b);
}

SP_TEST_MAIN()
