/* test_magnet.c - BEP 9 magnet links: hex and base32 info-hashes,
 * percent-decoding, trackers, web seeds, peers, and bad links. */
#include <errno.h>

#include "core/magnet.h"
#include "harness.h"

#define HEX "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
/* the same 20 bytes in base32 */
#define B32 "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK"

static void expect_bad(const char *uri, int code, const char *needle)
{
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_magnet_parse(uri, &err);
	if (mi)
		SP_FAIL("accepted %s", uri);
	if (!err || err->code != code || !strstr(err->msg, needle))
		SP_FAIL("%s: got %d \"%s\", want %d \"%s\"", uri, err ? err->code : 0,
			sp_error_msg(err), code, needle);
	sp_error_free(err);
}

SP_TEST(hex_with_everything)
{
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_magnet_parse(
		"magnet:?xt=urn:btih:" HEX "&dn=My+Movie%20%C3%A9t%C3%A9.mp4"
		"&tr=http%3A%2F%2Ftracker.example%2Fannounce%3Fa%3D1%2B2&tr=udp://t2:80"
		"&ws=http://seed/x%20y.mp4&x.pe=10.0.0.1:6881&x.pe=[::1]:51413&x.pe=bad"
		"&foo=bar&xl=123",
		&err);
	if (!mi)
		SP_FAIL("%s", sp_error_msg(err));
	SP_CHECK(mi->is_magnet);
	SP_CHECK_STR(mi->info_hash_hex, HEX);
	SP_CHECK_UINT(mi->info_hash[0], 0xc1);
	SP_CHECK_STR(mi->name, "My Movie \xc3\xa9t\xc3\xa9.mp4");
	SP_CHECK_UINT(mi->num_tiers, 2);
	SP_CHECK_STR(mi->tiers[0][0], "http://tracker.example/announce?a=1+2");
	SP_CHECK(mi->tiers[0][1] == NULL);
	SP_CHECK_STR(mi->tiers[1][0], "udp://t2:80");
	SP_CHECK_UINT(mi->num_web_seeds, 1);
	SP_CHECK_STR(mi->web_seeds[0], "http://seed/x y.mp4");
	SP_CHECK_UINT(mi->num_initial_peers, 2);
	SP_CHECK_STR(mi->initial_peers[0].host, "10.0.0.1");
	SP_CHECK_UINT(mi->initial_peers[0].port, 6881);
	SP_CHECK_STR(mi->initial_peers[1].host, "::1");
	SP_CHECK_UINT(mi->initial_peers[1].port, 51413);
	SP_CHECK_UINT(mi->num_files, 0);
	SP_CHECK_INT(sp_metainfo_main_file(mi), -1);
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, 0, NULL), ==, 0);
	sp_metainfo_free(mi);
}

SP_TEST(base32_equals_hex)
{
	struct sp_metainfo *a = sp_magnet_parse("magnet:?xt=urn:btih:" B32, NULL);
	struct sp_metainfo *b = sp_magnet_parse("MAGNET:?XT=urn:BTIH:" HEX, NULL);
	struct sp_metainfo *c = sp_magnet_parse(
		"magnet:?dn=x&xt=urn:btmh:1220aa&xt=urn:btih:yex6dqdlxisuvhoj6um3gnnkpqjwpkek", NULL);
	SP_CHECK(a && b && c);
	SP_CHECK_MEM(a->info_hash, b->info_hash, 20);
	SP_CHECK_MEM(c->info_hash, b->info_hash, 20);
	SP_CHECK_STR(a->info_hash_hex, HEX);
	SP_CHECK_STR(a->name, HEX); /* no dn: the hash names it */
	SP_CHECK_UINT(a->num_tiers, 0);
	SP_CHECK(a->tiers != NULL && a->web_seeds != NULL);
	sp_metainfo_free(a);
	sp_metainfo_free(b);
	sp_metainfo_free(c);
}

SP_TEST(bad_links)
{
	expect_bad("http://x/", -EINVAL, "not a magnet link");
	expect_bad("magnet:?dn=x", -EBADMSG, "no xt=urn:btih:");
	expect_bad("magnet:?xt=urn:btih:" HEX "0", -EBADMSG, "bad info-hash");
	expect_bad("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88g", -EBADMSG,
		   "bad info-hash");
	expect_bad("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1", -EBADMSG,
		   "bad info-hash");
	expect_bad("magnet:?xt=urn:btih:", -EBADMSG, "bad info-hash");
	expect_bad("magnet:?xt=urn:btih:" HEX "&dn=a%2", -EBADMSG, "percent-encoding");
	expect_bad("magnet:?xt=urn:btih:" HEX "&dn=a%zz", -EBADMSG, "percent-encoding");
	expect_bad("magnet:?xt=urn:btih:" HEX "&dn=a%00b", -EBADMSG, "percent-encoding");
	expect_bad("magnet:?xt=urn:btmh:1220" HEX HEX, -ENOTSUP, "v2-only");
	char *huge = malloc(70000);
	strcpy(huge, "magnet:?xt=urn:btih:" HEX "&dn=");
	size_t at = strlen(huge);
	memset(huge + at, 'a', 69900 - at);
	huge[69900] = 0;
	expect_bad(huge, -EOVERFLOW, "64 KiB");
	free(huge);
}

SP_TEST_MAIN()
