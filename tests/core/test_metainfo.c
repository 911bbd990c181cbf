/* test_metainfo.c - .torrent/.tstream parsing: BEP 3/12/19/27/47/52 keys,
 * every .tstream key, the bitrate rule, playtime strings, hostile files
 * (each rejected with a clear error), and loading from a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "core/bencode.h"
#include "core/metainfo.h"
#include "core/sha1.h"
#include "harness.h"

/* printf into a fresh buffer; the bencode is written by hand in tests. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* "N:" + N bytes of piece hashes for n pieces. */
static char *pieces(unsigned n)
{
	char *s = malloc(20 * n + 16);
	int k = sprintf(s, "%u:", 20 * n);
	memset(s + k, 'h', 20 * n);
	s[k + 20 * n] = 0;
	return s;
}

/* d <top> 4:info d <info> e <after> e */
static char *torrent(const char *top, const char *info, const char *after)
{
	return fmt("d%s4:infod%se%se", top, info, after);
}

static struct sp_metainfo *parse_s(const char *s, struct sp_error **err)
{
	return sp_metainfo_parse((const uint8_t *)s, strlen(s), err);
}

/* A single-file info dict of len bytes in 16 KiB pieces, with extra keys. */
static char *single_info(unsigned len, const char *extra)
{
	char *p = pieces((len + 16383) / 16384);
	char *s = fmt("%s6:lengthi%ue4:name5:a.mp412:piece lengthi16384e6:pieces%s", extra, len, p);
	free(p);
	return s;
}

static void expect_reject(const char *t, int code, const char *needle)
{
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = parse_s(t, &err);
	if (mi)
		SP_FAIL("accepted a bad torrent (want \"%s\"): %s", needle, t);
	SP_CHECK(err != NULL);
	if (err->code != code || !strstr(err->msg, needle))
		SP_FAIL("got %d \"%s\", want %d with \"%s\"", err->code, err->msg, code, needle);
	sp_error_free(err);
}

SP_TEST(single_file_and_info_hash_of_raw_bytes)
{
	char *info = single_info(40000, "");
	char *t = torrent("8:announce14:http://t/annnc", info, "");
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = parse_s(t, &err);
	if (!mi)
		SP_FAIL("%s", sp_error_msg(err));
	SP_CHECK(!mi->multi_file);
	SP_CHECK_STR(mi->name, "a.mp4");
	SP_CHECK_UINT(mi->num_files, 1);
	SP_CHECK_STR(mi->files[0].path, "a.mp4");
	SP_CHECK_UINT(mi->total_length, 40000);
	SP_CHECK_UINT(mi->num_pieces, 3);
	SP_CHECK_UINT(sp_metainfo_piece_size(mi, 0), 16384);
	SP_CHECK_UINT(sp_metainfo_piece_size(mi, 2), 40000 - 2 * 16384);
	SP_CHECK_UINT(sp_metainfo_piece_size(mi, 3), 0);
	char *info_enc = fmt("d%se", info);
	uint8_t h[20];
	sp_sha1(info_enc, strlen(info_enc), h);
	SP_CHECK_MEM(mi->info_hash, h, 20);
	char hex[41];
	sp_hex(h, 20, hex);
	SP_CHECK_STR(mi->info_hash_hex, hex);
	SP_CHECK_UINT(mi->info_raw_len, strlen(info_enc));
	SP_CHECK_UINT(mi->num_tiers, 1);
	SP_CHECK_STR(mi->tiers[0][0], "http://t/annnc");
	SP_CHECK(mi->tiers[0][1] == NULL);
	SP_CHECK_INT(sp_metainfo_main_file(mi), 0);
	SP_CHECK(mi->piece_hashes[0] == 'h');
	sp_metainfo_free(mi);
	free(info_enc);
	free(t);
	free(info);
}

SP_TEST(info_hash_is_not_of_a_reencoding)
{
	/* unsorted keys and an unknown key inside info: hash the bytes as-is */
	char *p = pieces(1);
	char *info = fmt("4:name1:x6:lengthi5e12:piece lengthi16384e6:pieces%s7:zzextrai1e", p);
	char *t = torrent("", info, "");
	struct sp_metainfo *mi = parse_s(t, NULL);
	SP_CHECK(mi != NULL);
	char *info_enc = fmt("d%se", info);
	uint8_t h[20];
	sp_sha1(info_enc, strlen(info_enc), h);
	SP_CHECK_MEM(mi->info_hash, h, 20);
	sp_metainfo_free(mi);
	free(info_enc);
	free(t);
	free(info);
	free(p);
}

SP_TEST(multi_file_pad_attrs_utf8)
{
	char *p = pieces(4);
	char *info = fmt(
		"5:filesl"
		"d6:lengthi20000e4:pathl3:old1:ae10:path.utf-8l3:dir5:a.mkve8:playtime5:01:40e"
		"d4:attr1:p6:lengthi12768e4:pathl4:.pad5:12768ee"
		"d4:attr2:xh6:lengthi100e4:pathl3:runee"
		"d4:attr1:p6:lengthi16284e4:pathl4:.pad5:12768ee"
		"d6:lengthi100e4:pathl5:b.txtee"
		"e4:name3:old10:name.utf-84:show12:piece lengthi16384e6:pieces%s",
		p);
	char *t = torrent("", info, "");
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = parse_s(t, &err);
	if (!mi)
		SP_FAIL("%s", sp_error_msg(err));
	SP_CHECK(mi->multi_file);
	SP_CHECK_STR(mi->name, "show");
	SP_CHECK_UINT(mi->num_files, 5);
	SP_CHECK_STR(mi->files[0].path, "show/dir/a.mkv");
	SP_CHECK_CMP(mi->files[0].playtime, ==, 100);
	SP_CHECK(mi->files[1].is_pad);
	SP_CHECK_STR(mi->files[1].path, "show/.pad/12768");
	SP_CHECK_UINT(mi->files[1].offset, 20000);
	SP_CHECK(mi->files[2].executable && mi->files[2].hidden && !mi->files[2].is_pad);
	SP_CHECK_UINT(mi->files[2].offset, 32768);
	SP_CHECK(mi->files[3].is_pad); /* same path as files[1]: fine for pads */
	SP_CHECK_UINT(mi->files[4].offset, 32868 + 16284);
	SP_CHECK_UINT(mi->total_length, 49252);
	SP_CHECK_UINT(mi->num_pieces, 4);
	SP_CHECK_INT(sp_metainfo_main_file(mi), 0);
	sp_metainfo_free(mi);
	free(t);
	free(info);
	free(p);
}

SP_TEST(trackers_webseeds_private)
{
	char *info = single_info(100, "7:privatei1e");
	char *t = torrent("8:announce5:http:13:announce-listll4:udp14:udp2el0:el4:udp3ee"
			  "9:httpseedsl2:h1e",
			  info, "8:url-listl3:ws13:ws2e7:comment2:hi");
	struct sp_metainfo *mi = parse_s(t, NULL);
	SP_CHECK(mi != NULL);
	SP_CHECK(mi->private_flag);
	SP_CHECK_UINT(mi->num_tiers, 2); /* the empty tier is dropped */
	SP_CHECK_STR(mi->tiers[0][0], "udp1");
	SP_CHECK_STR(mi->tiers[0][1], "udp2");
	SP_CHECK_STR(mi->tiers[1][0], "udp3");
	SP_CHECK_UINT(mi->num_web_seeds, 2);
	SP_CHECK_STR(mi->web_seeds[1], "ws2");
	SP_CHECK_UINT(mi->num_http_seeds, 1);
	SP_CHECK_STR(mi->comment, "hi");
	sp_metainfo_free(mi);
	free(t);
	t = torrent("", info, "8:url-list11:http://x/y/");
	mi = parse_s(t, NULL);
	SP_CHECK(mi != NULL);
	SP_CHECK_UINT(mi->num_web_seeds, 1);
	SP_CHECK_STR(mi->web_seeds[0], "http://x/y/");
	SP_CHECK_UINT(mi->num_tiers, 0);
	sp_metainfo_free(mi);
	free(t);
	free(info);
}

SP_TEST(tstream_keys)
{
	char *info = single_info(600000, "4:lived10:authmethod5:ECDSA6:pubkey3:DERe");
	char *info2 = fmt("%s8:playtime5:10:00", info);
	char *t = torrent(
		"18:azureus_propertiesd7:Contentd9:Speed Bpsi12345e11:Progressivei1e"
		"5:Title4:Demo9:Thumbnail4:\xff\xd8Z\x01" "11:Descriptionl1:xeee"
		"13:initial peersll9:127.0.0.1i6881eel1:xi0eel7:::1:badee",
		info2, "8:playtime5:20:0011:unknown keyd1:ai1ee");
	size_t tlen = strlen(t);
	/* the thumbnail has a NUL: splice the true length in */
	char *nul = strstr(t, "\xff\xd8");
	SP_CHECK(nul != NULL);
	nul[2] = 0;
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_metainfo_parse((const uint8_t *)t, tlen, &err);
	if (!mi)
		SP_FAIL("%s", sp_error_msg(err));
	SP_CHECK_CMP(mi->info_playtime, ==, 600);
	SP_CHECK_CMP(mi->top_playtime, ==, 1200);
	SP_CHECK_INT(mi->speed_bps, 12345);
	SP_CHECK_STR(mi->title, "Demo");
	SP_CHECK(mi->description == NULL); /* wrong type: ignored */
	SP_CHECK_UINT(mi->thumbnail_len, 4);
	SP_CHECK_MEM(mi->thumbnail, "\xff\xd8\0\x01", 4);
	SP_CHECK(mi->live);
	SP_CHECK_STR(mi->live_authmethod, "ECDSA");
	SP_CHECK_UINT(mi->num_initial_peers, 1); /* bad entries skipped */
	SP_CHECK_STR(mi->initial_peers[0].host, "127.0.0.1");
	SP_CHECK_UINT(mi->initial_peers[0].port, 6881);
	enum sp_bitrate_source src;
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, 0, &src), ==, 1000.0);
	SP_CHECK_INT(src, SP_BITRATE_INFO_PLAYTIME);
	sp_metainfo_free(mi);
	free(t);
	free(info2);
	free(info);
}

SP_TEST(bitrate_rule_order)
{
	char *info = single_info(100000, "");
	const char *az = "18:azureus_propertiesd7:Contentd9:Speed Bpsi777eee";
	enum sp_bitrate_source src;
	/* only Speed Bps */
	char *t = torrent(az, info, "");
	struct sp_metainfo *mi = parse_s(t, NULL);
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, -1, &src), ==, 777);
	SP_CHECK_INT(src, SP_BITRATE_SPEED_BPS);
	sp_metainfo_free(mi);
	free(t);
	/* top playtime beats Speed Bps */
	t = torrent(az, info, "8:playtime4:1:40");
	mi = parse_s(t, NULL);
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, 0, &src), ==, 1000);
	SP_CHECK_INT(src, SP_BITRATE_TOP_PLAYTIME);
	sp_metainfo_free(mi);
	free(t);
	/* info playtime beats both; a bad info playtime falls through */
	char *info_pt = fmt("%s8:playtime3:200", info);
	t = torrent(az, info_pt, "8:playtime4:1:40");
	mi = parse_s(t, NULL);
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, 0, &src), ==, 500);
	SP_CHECK_INT(src, SP_BITRATE_INFO_PLAYTIME);
	sp_metainfo_free(mi);
	free(t);
	free(info_pt);
	info_pt = fmt("%s8:playtime5:xx:yy", info);
	t = torrent(az, info_pt, "8:playtime4:1:40");
	mi = parse_s(t, NULL);
	SP_CHECK(mi != NULL);
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, 0, &src), ==, 1000);
	SP_CHECK_INT(src, SP_BITRATE_TOP_PLAYTIME);
	sp_metainfo_free(mi);
	free(t);
	free(info_pt);
	/* nothing */
	t = torrent("", info, "");
	mi = parse_s(t, NULL);
	SP_CHECK_CMP(sp_metainfo_bitrate(mi, 0, &src), ==, 0);
	SP_CHECK_INT(src, SP_BITRATE_NONE);
	sp_metainfo_free(mi);
	free(t);
	free(info);
}

SP_TEST(playtime_strings)
{
#define PT(s) sp_parse_playtime(s, strlen(s))
	SP_CHECK_CMP(PT("1:02:03"), ==, 3723);
	SP_CHECK_CMP(PT("02:03"), ==, 123);
	SP_CHECK_CMP(PT("123.5"), ==, 123.5);
	SP_CHECK_CMP(PT("0:05.250"), ==, 5.25);
	SP_CHECK_CMP(PT("10:00:00"), ==, 36000);
	SP_CHECK_CMP(PT("90"), ==, 90);
	const char *bad[] = {"", "abc", "1:2:3:4", "1::2", ":30", "12:", "1:60", "1:60:00",
			     "-5", "1.2.3", "1.5:30", " 12", "12 ", "1:2a", ".5", "5.",
			     "99999999999999:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (PT(bad[i]) >= 0)
			SP_FAIL("playtime \"%s\" accepted as %g", bad[i], PT(bad[i]));
	SP_CHECK_CMP(sp_parse_playtime("12:34", 2), ==, 12); /* honours len */
#undef PT
}

static char *multi(const char *files_inner)
{
	char *p = pieces(1);
	char *info = fmt("5:filesl%se4:name4:show12:piece lengthi16384e6:pieces%s",
			 files_inner, p);
	char *t = torrent("", info, "");
	free(p);
	free(info);
	return t;
}

static void reject_multi(const char *files_inner, const char *needle)
{
	char *t = multi(files_inner);
	expect_reject(t, -EBADMSG, needle);
	free(t);
}

SP_TEST(hostile_paths)
{
	reject_multi("d6:lengthi1e4:pathl2:..6:passwdee", "unsafe path in file 0 (\"../passwd\")");
	reject_multi("d6:lengthi1e4:pathl1:aee"
		     "d6:lengthi1e4:pathl1:b2:..2:..3:etcee", "file 1");
	reject_multi("d6:lengthi1e4:pathl4:/etc6:passwdee", "absolute path");
	reject_multi("d6:lengthi1e4:pathl1:a0:1:bee", "empty path component");
	reject_multi("d6:lengthi1e4:pathl1:.1:bee", "'.' or '..'");
	reject_multi("d6:lengthi1e4:pathl5:a/../ee", "'/' inside a name");
	reject_multi("d6:lengthi1e4:pathlee", "missing or empty path");
	reject_multi("d6:lengthi1e4:pathl1:ai3eee", "not a list of strings");
	reject_multi("d6:lengthi1e4:pathl1:aee"
		     "d6:lengthi1e4:pathl1:aee", "duplicate path \"show/a\"");
	reject_multi("d6:lengthi1e4:pathl1:aee"
		     "d6:lengthi1e4:pathl1:a1:bee", "both a file and a directory");
	reject_multi("d6:lengthi-1e4:pathl1:aee", "negative length");
	/* NUL in a name, spliced in after formatting */
	char *t = multi("d6:lengthi1e4:pathl3:aXbee");
	size_t len = strlen(t);
	strstr(t, "aXb")[1] = 0;
	struct sp_error *err = NULL;
	SP_CHECK(sp_metainfo_parse((const uint8_t *)t, len, &err) == NULL);
	SP_CHECK(strstr(err->msg, "NUL byte") && strstr(err->msg, "a?b"));
	sp_error_free(err);
	free(t);
	/* a 256-byte component and a path over 4096 bytes */
	char longc[300];
	memset(longc, 'x', 256);
	longc[256] = 0;
	char *f = fmt("d6:lengthi1e4:pathl256:%see", longc);
	reject_multi(f, "longer than 255");
	free(f);
	char comps[5000];
	size_t at = 0;
	for (int i = 0; i < 17; i++) { /* 17 x 251 bytes: over 4096 */
		memcpy(comps + at, "250:", 4);
		memset(comps + at + 4, 'y', 250);
		at += 254;
	}
	comps[at] = 0;
	f = fmt("d6:lengthi1e4:pathl%see", comps);
	reject_multi(f, "longer than 4096");
	free(f);
	/* unsafe single-file names */
	char *p = pieces(1);
	char *info = fmt("6:lengthi1e4:name2:..12:piece lengthi16384e6:pieces%s", p);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "unsafe torrent name");
	free(t);
	free(info);
	/* the resume folder's name, as a file or as a multi-file folder */
	info = fmt("6:lengthi1e4:name10:.swarmplay12:piece lengthi16384e6:pieces%s", p);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "reserved");
	free(t);
	free(info);
	info = fmt("5:filesld6:lengthi1e4:pathl1:aeee4:name10:.swarmplay12:piece lengthi16384e"
		   "6:pieces%s", p);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "reserved");
	free(t);
	free(info);
	info = fmt("6:lengthi1e4:name11:.swarmplayx12:piece lengthi16384e6:pieces%s", p);
	t = torrent("", info, "");
	struct sp_error *e2 = NULL;
	struct sp_metainfo *near = parse_s(t, &e2);
	if (!near)
		SP_FAIL("a name next to the reserved one refused: %s", sp_error_msg(e2));
	sp_metainfo_free(near);
	free(t);
	free(info);
	info = fmt("6:lengthi1e4:name11:/etc/passwd12:piece lengthi16384e6:pieces%s", p);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "absolute path");
	free(t);
	free(info);
	free(p);
}

SP_TEST(hostile_sizes_and_structure)
{
	char *p1 = pieces(1);
	/* pieces length does not match */
	char *info = fmt("6:lengthi40000e4:name1:a12:piece lengthi16384e6:pieces%s", p1);
	char *t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "expected 60");
	free(t);
	free(info);
	info = fmt("6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces21:%021d", 0);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "piece hashes are 21 bytes");
	free(t);
	free(info);
	/* huge declared length: pieces cannot match, or the total is too large */
	info = fmt("6:lengthi9223372036854775807e4:name1:a12:piece lengthi16384e6:pieces%s", p1);
	t = torrent("", info, "");
	expect_reject(t, -EOVERFLOW, "too large");
	free(t);
	free(info);
	/* more pieces than a bitfield message can carry (1 Mi + 1 of 16 bytes) */
	info = fmt("6:lengthi16777232e4:name1:a12:piece lengthi16e6:pieces%s", p1);
	t = torrent("", info, "");
	expect_reject(t, -EOVERFLOW, "too many pieces: 1048577");
	free(t);
	free(info);
	/* sum of file lengths that would overflow */
	t = multi("d6:lengthi35184372088832e4:pathl1:aee"
		  "d6:lengthi35184372088832e4:pathl1:bee"
		  "d6:lengthi35184372088832e4:pathl1:cee");
	expect_reject(t, -EOVERFLOW, "too large");
	free(t);
	/* piece length 0 and above 64 MiB */
	info = fmt("6:lengthi1e4:name1:a12:piece lengthi0e6:pieces%s", p1);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "piece length 0");
	free(t);
	free(info);
	info = fmt("6:lengthi1e4:name1:a12:piece lengthi134217728e6:pieces%s", p1);
	t = torrent("", info, "");
	expect_reject(t, -EBADMSG, "out of range");
	free(t);
	free(info);
	/* a non-power-of-two piece length is accepted, as libtorrent does */
	info = fmt("6:lengthi1e4:name1:a12:piece lengthi10000e6:pieces%s", p1);
	t = torrent("", info, "");
	struct sp_metainfo *mi = parse_s(t, NULL);
	SP_CHECK(mi != NULL);
	sp_metainfo_free(mi);
	free(t);
	free(info);
	/* no info, info not a dict, not a dict at all, trailing garbage */
	expect_reject("d8:announce1:xe", -EBADMSG, "no info dictionary");
	expect_reject("d4:infoli1eee", -EBADMSG, "no info dictionary");
	expect_reject("li1ee", -EBADMSG, "not a bencoded dictionary");
	expect_reject("d4:infodee", -EBADMSG, "no name");
	expect_reject("de  ", -EBADMSG, "byte 2");
	/* deep nesting is refused by the decoder's depth limit */
	char deep[2100] = "d1:x";
	memset(deep + 4, 'l', 1000);
	memset(deep + 1004, 'e', 1001);
	expect_reject(deep, -EOVERFLOW, "nested too deeply");
	free(p1);
}

SP_TEST(bep52_v2_only_and_hybrid)
{
	expect_reject("d4:infod9:file treed1:ad0:d6:lengthi1e11:pieces root32:"
		      "0123456789abcdef0123456789abcdefeee12:meta versioni2e4:name1:a"
		      "12:piece lengthi16384eee",
		      -ENOTSUP, "v2-only");
	char *info = single_info(100, "9:file treed5:a.mp4d0:d6:lengthi100eeee"
				      "12:meta versioni2e");
	char *t = torrent("", info, "12:piece layersde");
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = parse_s(t, &err);
	if (!mi)
		SP_FAIL("%s", sp_error_msg(err));
	SP_CHECK(mi->hybrid_v2);
	SP_CHECK_UINT(mi->num_pieces, 1);
	sp_metainfo_free(mi);
	free(t);
	free(info);
}

SP_TEST(from_info_and_load)
{
	char *info = single_info(100, "");
	char *info_enc = fmt("d%se", info);
	uint8_t h[20];
	sp_sha1(info_enc, strlen(info_enc), h);
	char hex[41];
	sp_hex(h, 20, hex);
	char *uri = fmt("magnet:?xt=urn:btih:%s&tr=http%%3A%%2F%%2Ftr%%2Fa&ws=http://w/", hex);
	struct sp_metainfo *mg = sp_metainfo_load(uri, NULL);
	SP_CHECK(mg && mg->is_magnet);
	struct sp_metainfo *mi = sp_metainfo_from_info((const uint8_t *)info_enc,
						       strlen(info_enc), mg, NULL);
	SP_CHECK(mi != NULL);
	SP_CHECK_MEM(mi->info_hash, h, 20);
	SP_CHECK_STR(mi->tiers[0][0], "http://tr/a");
	SP_CHECK_STR(mi->web_seeds[0], "http://w/");
	SP_CHECK_STR(mi->files[0].path, "a.mp4");
	sp_metainfo_free(mi);
	/* wrong bytes for this hash, or trailing bytes after the dict */
	struct sp_error *err = NULL;
	info_enc[strlen(info_enc) - 2] ^= 1;
	SP_CHECK(sp_metainfo_from_info((const uint8_t *)info_enc, strlen(info_enc), mg, &err) ==
		 NULL);
	SP_CHECK(strstr(err->msg, "does not match"));
	sp_error_free(err);
	sp_metainfo_free(mg);

	/* load from a file: errors name the file */
	char path[] = "/tmp/sp-test-mi-XXXXXX";
	int fd = mkstemp(path);
	SP_CHECK(fd >= 0);
	char *t = torrent("", info, "");
	SP_CHECK(write(fd, t, strlen(t)) == (ssize_t)strlen(t));
	close(fd);
	mi = sp_metainfo_load(path, NULL);
	SP_CHECK(mi != NULL);
	SP_CHECK_UINT(mi->total_length, 100);
	sp_metainfo_free(mi);
	fd = open(path, O_WRONLY | O_TRUNC);
	SP_CHECK(write(fd, "d4:infoi1ee", 11) == 11);
	close(fd);
	err = NULL;
	SP_CHECK(sp_metainfo_load(path, &err) == NULL);
	SP_CHECK(strstr(err->msg, path) && strstr(err->msg, "no info dictionary"));
	sp_error_free(err);
	unlink(path);
	err = NULL;
	SP_CHECK(sp_metainfo_load(path, &err) == NULL);
	SP_CHECK(strstr(err->msg, path) != NULL);
	SP_CHECK_INT(err->code, -ENOENT);
	sp_error_free(err);
	free(t);
	free(uri);
	free(info_enc);
	free(info);
}

SP_TEST_MAIN()
