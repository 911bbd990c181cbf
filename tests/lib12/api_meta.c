/* api_meta.c - the public metainfo, create and play-cache API through
 * libswarmplay as an embedder links it: sp_create makes a .tstream of a
 * folder (the probe callback's durations reach the playtime; its error
 * stops the make, as a value), the queries read every field back, a
 * peer added shows among the metainfo's, and the cache gives a torrent's
 * folder, holds it against a trim and trims the others. Errors as values
 * throughout: bad arguments give -EINVAL and a message. Runs in a
 * temporary folder of its own (XDG_CACHE_HOME points into it). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <swarmplay/swarmplay.h>

static int failures;
#define CHECK(c, ...)                                                                              \
	do {                                                                                       \
		bool ok_ = (c);                                                                    \
		printf("%s ", ok_ ? "ok  " : "FAIL");                                              \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		failures += !ok_;                                                                  \
	} while (0)

static void write_file(const char *path, size_t len, char fill)
{
	FILE *f = fopen(path, "wb");
	for (size_t i = 0; f && i < len; i++)
		fputc(fill + (char)(i % 7), f);
	if (f)
		fclose(f);
}

static int probes;
static int probe(void *ctx, const char *path, double *seconds, struct sp_error **err)
{
	(void)path;
	probes++;
	if (ctx)
		return sp_error_set(err, -ENOTSUP, "no prober here");
	*seconds = 10;
	return 0;
}

static void check_made(const struct sp_metainfo *mi)
{
	CHECK(!strcmp(sp_metainfo_name(mi), "show"), "name %s", sp_metainfo_name(mi));
	CHECK(strlen(sp_metainfo_info_hash(mi)) == 40, "40 hex digits of info-hash");
	CHECK(!sp_metainfo_is_magnet(mi) && sp_metainfo_is_multi_file(mi), "a folder's torrent");
	CHECK(sp_metainfo_is_private(mi) && !sp_metainfo_is_hybrid_v2(mi), "private, v1");
	CHECK(sp_metainfo_num_files(mi) == 2, "2 files (%d)", sp_metainfo_num_files(mi));
	CHECK(!strcmp(sp_metainfo_file_path(mi, 0), "show/a.mkv") &&
		      !strcmp(sp_metainfo_file_path(mi, 1), "show/b.txt"),
	      "files sorted by path (%s, %s)", sp_metainfo_file_path(mi, 0),
	      sp_metainfo_file_path(mi, 1));
	CHECK(sp_metainfo_file_length(mi, 0) == 300000 && sp_metainfo_file_offset(mi, 1) == 300000,
	      "lengths and offsets");
	CHECK(sp_metainfo_file_offset(mi, 2) == -1 && !sp_metainfo_file_path(mi, -1),
	      "out of range: -1, NULL");
	CHECK(!sp_metainfo_file_is_pad(mi, 0) && sp_metainfo_file_playtime(mi, 0) == 10,
	      "the probed playtime (%.3f)", sp_metainfo_file_playtime(mi, 0));
	CHECK(sp_metainfo_total_length(mi) == 300100, "total %llu",
	      (unsigned long long)sp_metainfo_total_length(mi));
	CHECK(sp_metainfo_piece_length(mi) == 16384 && sp_metainfo_num_pieces(mi) == 19,
	      "pieces %u x %u", sp_metainfo_num_pieces(mi), sp_metainfo_piece_length(mi));
	enum sp_bitrate_source src;
	double rate = sp_metainfo_bitrate(mi, -1, &src);
	CHECK(rate == 30000 && src == SP_BITRATE_INFO_PLAYTIME, "bitrate %.0f from playtime", rate);
	CHECK(sp_metainfo_num_tiers(mi) == 2 && !strcmp(sp_metainfo_tracker(mi, 1, 0), "http://t2/") &&
		      !sp_metainfo_tracker(mi, 1, 1) && !sp_metainfo_tracker(mi, 2, 0),
	      "a tier per tracker");
	CHECK(!strcmp(sp_metainfo_web_seed(mi, 0), "http://w/") && !sp_metainfo_web_seed(mi, 1) &&
		      !sp_metainfo_http_seed(mi, 0),
	      "web seeds");
	CHECK(!strcmp(sp_metainfo_text(mi, SP_METAINFO_TITLE), "The Show") &&
		      !strcmp(sp_metainfo_text(mi, SP_METAINFO_COMMENT), "c") &&
		      !strcmp(sp_metainfo_text(mi, SP_METAINFO_CREATED_BY), "api-meta") &&
		      !sp_metainfo_text(mi, SP_METAINFO_PUBLISHER),
	      "texts");
	size_t tl = 1;
	CHECK(!sp_metainfo_thumbnail(mi, &tl) && tl == 0 && !sp_metainfo_is_live(mi),
	      "no thumbnail, not live");
	CHECK(sp_metainfo_speed_bps(mi) == 30000, "Speed Bps %lld",
	      (long long)sp_metainfo_speed_bps(mi));
	CHECK(sp_metainfo_creation_date(mi) == 1700000000, "creation date");
}

static char logged[256];
static int logged_level = -1;
static void on_log(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx;
	logged_level = level;
	snprintf(logged, sizeof(logged), "%s: %s", module, msg);
}

/* What the swarmplay program takes from the public API (issue 12: src/app
 * includes only swarmplay/ headers): a .torrent from bytes, the subtitle file
 * of a video, video names, cache sizes, its own log lines. */
static void check_program_calls(const char *root, const char *tstream)
{
	char dir[512], path[800];
	snprintf(dir, sizeof(dir), "%s/film", root);
	mkdir(dir, 0755);
	const char *names[] = {"movie.mkv", "movie.en.srt", "movie.fr.srt", "other.srt"};
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		write_file(path, i ? 100 : 20000, 'm');
	}
	struct sp_create_config cc = {.piece_length = 16384};
	snprintf(path, sizeof(path), "%s/film.torrent", root);
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_create(dir, path, &cc, &err);
	CHECK(mi != NULL, "a film with subtitles: %s", sp_error_msg(err));
	if (mi) {
		/* sorted: movie.en.srt 0, movie.fr.srt 1, movie.mkv 2, other.srt 3 */
		int v = sp_metainfo_main_file(mi);
		CHECK(v == 2, "the video is file 2 (%d)", v);
		CHECK(sp_metainfo_subtitle_file(mi, v, "fr,en") == 1, "fr first: movie.fr.srt");
		CHECK(sp_metainfo_subtitle_file(mi, v, "de,en") == 0, "de none, en: movie.en.srt");
		CHECK(sp_metainfo_subtitle_file(mi, v, NULL) == 0, "no list: the first");
		CHECK(sp_metainfo_subtitle_file(mi, 3, NULL) == -1, "other.srt has none");
		CHECK(sp_metainfo_subtitle_file(mi, 9, NULL) == -1, "out of range: -1");
		sp_metainfo_free(mi);
	}
	sp_error_free(err);
	err = NULL;

	FILE *f = fopen(tstream, "rb");
	static unsigned char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	mi = sp_metainfo_parse(buf, n, &err);
	CHECK(mi && !strcmp(sp_metainfo_name(mi), "show"), "parsed from bytes: %s",
	      sp_error_msg(err));
	sp_metainfo_free(mi);
	CHECK(!sp_metainfo_parse((const uint8_t *)"d4:spam", 7, &err) && sp_error_code(err) < 0 &&
		      sp_error_msg(err)[0],
	      "bad bytes: an error as a value (%s)", sp_error_msg(err));
	sp_error_free(err);

	CHECK(sp_metainfo_is_video_path("a/B.MKV") && sp_metainfo_is_video_path("x.mp4") &&
		      !sp_metainfo_is_video_path("x.srt"),
	      "video names");
	uint64_t sz = 0;
	CHECK(sp_cache_parse_size("3G", &sz) == 0 && sz == 3ull << 30, "3G");
	CHECK(sp_cache_parse_size("12", &sz) == 0 && sz == 12, "12");
	CHECK(sp_cache_parse_size("3X", &sz) == -EINVAL && sp_cache_parse_size("", &sz) == -EINVAL,
	      "bad sizes: -EINVAL");

	sp_log_set_callback(on_log, NULL);
	CHECK(sp_log_enabled(3) && !sp_log_enabled(4) && !sp_log_enabled(-1), "error lines are on");
	sp_log_write(3, "host", "line %d", 7);
	CHECK(logged_level == 3 && !strcmp(logged, "host: line 7"), "a host's line: %s", logged);
	logged[0] = 0;
	if (!sp_log_enabled(0)) {
		sp_log_write(0, "host", "debug");
		CHECK(!logged[0], "a level not produced is not written");
	}
	sp_log_set_callback(NULL, NULL);
}

int main(void)
{
	char root[] = "/tmp/sp-api-meta-XXXXXX";
	if (!mkdtemp(root))
		return 99;
	char dir[512], out[512], path[800], cache[512];
	snprintf(dir, sizeof(dir), "%s/show", root);
	snprintf(out, sizeof(out), "%s/show.tstream", root);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/a.mkv", dir);
	write_file(path, 300000, 'a');
	snprintf(path, sizeof(path), "%s/b.txt", dir);
	write_file(path, 100, 'b');

	const char *trackers[] = {"http://t1/", "http://t2/"};
	const char *seeds[] = {"http://w/"};
	struct sp_create_config cc = {
		.trackers = trackers, .num_trackers = 2, .web_seeds = seeds, .num_web_seeds = 1,
		.piece_length = 16384, .comment = "c", .title = "The Show", .created_by = "api-meta",
		.private_flag = true, .with_date = true, .date = 1700000000,
		.probe_duration = probe, .threads = 2,
	};
	double hashed = -1;
	cc.hash_seconds = &hashed;
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_create(dir, out, &cc, &err);
	CHECK(mi && !err, "sp_create: %s", sp_error_msg(err));
	CHECK(probes == 1, "the video alone probed (%d)", probes);
	CHECK(hashed >= 0, "hashing time given");
	if (mi) {
		check_made(mi);
		sp_metainfo_free(mi);
	}
	mi = sp_metainfo_load(out, &err);
	CHECK(mi != NULL, "written, and read back");
	if (mi) {
		check_made(mi);
		uint16_t port = 0;
		CHECK(sp_metainfo_add_peer(mi, "10.0.0.1", 6881) == 0 &&
			      !strcmp(sp_metainfo_peer(mi, 0, &port), "10.0.0.1") && port == 6881 &&
			      !sp_metainfo_peer(mi, 1, NULL),
		      "a peer added");
		CHECK(sp_metainfo_add_peer(mi, "", 1) == -EINVAL, "an empty host: -EINVAL");
		sp_metainfo_free(mi);
	}

	struct sp_create_config bad = cc;
	bad.piece_length = 1000;
	CHECK(!sp_create(dir, out, &bad, &err) && sp_error_code(err) == -EINVAL &&
		      sp_error_msg(err)[0],
	      "a piece size not a power of two: -EINVAL (%s)", sp_error_msg(err));
	sp_error_free(err);
	err = NULL;
	bad = cc;
	bad.ctx = &bad; /* the probe fails */
	snprintf(path, sizeof(path), "%s/other.tstream", root);
	CHECK(!sp_create(dir, path, &bad, &err) && sp_error_code(err) == -ENOTSUP &&
		      !strcmp(sp_error_msg(err), "no prober here") && access(path, F_OK) < 0,
	      "the probe's error, nothing written (%s)", sp_error_msg(err));
	sp_error_free(err);
	err = NULL;
	CHECK(!sp_create(NULL, out, NULL, &err) && sp_error_code(err) == -EINVAL, "no input");
	sp_error_free(err);

	/* the play cache */
	snprintf(cache, sizeof(cache), "%s/cache", root);
	setenv("XDG_CACHE_HOME", cache, 1);
	char a[600], b[600];
	const char *ha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *hb = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	CHECK(sp_cache_dir(ha, a, sizeof(a)) == 0 && strstr(a, "/swarmplay/") &&
		      !strcmp(a + strlen(a) - 40, ha),
	      "the torrent's folder %s", a);
	CHECK(sp_cache_dir(hb, b, sizeof(b)) == 0, "another");
	char small[10];
	CHECK(sp_cache_dir(ha, small, sizeof(small)) == -ENAMETOOLONG,
	      "too short a buffer: -ENAMETOOLONG");
	snprintf(path, sizeof(path), "%s/data", a);
	write_file(path, 200000, 'x');
	snprintf(path, sizeof(path), "%s/data", b);
	write_file(path, 200000, 'y');
	/* both used long ago: a trim may take them */
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	utimensat(AT_FDCWD, a, old, 0);
	utimensat(AT_FDCWD, b, old, 0);
	char croot[600];
	snprintf(croot, sizeof(croot), "%s/swarmplay", cache);
	CHECK(sp_cache_usage(croot) >= 400000, "usage %lld", (long long)sp_cache_usage(croot));
	int fd = sp_cache_hold(a);
	CHECK(fd >= 0, "held");
	int64_t freed = sp_cache_trim(croot, 1, NULL);
	CHECK(freed > 0 && access(a, F_OK) == 0 && access(b, F_OK) < 0,
	      "the trim takes the other, not the held one (%lld freed)", (long long)freed);
	if (fd >= 0)
		close(fd);
	CHECK(sp_cache_trim(croot, 1, ha) == 0 && access(a, F_OK) == 0, "nor the one kept");
	CHECK(sp_cache_trim(croot, 1, NULL) > 0 && access(a, F_OK) < 0, "released: trimmed");
	CHECK(sp_cache_trim("/nonexistent-sp", 1, NULL) < 0, "an unreadable cache: -errno");

	check_program_calls(root, out);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("note: %s left\n", root);
	printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
