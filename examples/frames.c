/* frames.c - an embedding example: the player hands every decoded
 * picture to a callback (as a host with its own GL would get them), and
 * this program prints one MD5 per frame, hashed as `ffmpeg -f framemd5`
 * hashes them (the planes packed row after row, no padding).
 *
 *   frames MEDIA                     a local media file
 *   frames FILE.tstream DIR [PEER]   a torrent's main file, downloaded
 *                                    into DIR (PEER: host:port to ask)
 *
 * Its loop waits on the player's event descriptor: no thread of its own. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <swarmplay/player.h>

static void on_frame(void *ctx, const struct sp_video_frame *f)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	(void)ctx;
	EVP_DigestInit_ex(md, EVP_md5(), NULL);
	for (int i = 0; i < f->planes; i++)
		for (int y = 0; y < f->rows[i]; y++)
			EVP_DigestUpdate(md, f->data[i] + (size_t)y * f->stride[i],
					 (size_t)f->row_bytes[i]);
	EVP_DigestFinal_ex(md, sum, &n);
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; i < n; i++)
		printf("%02x", sum[i]);
	printf("\n");
}

static int fail(const char *what, struct sp_error *e)
{
	fprintf(stderr, "frames: %s: %s\n", what, sp_error_msg(e));
	sp_error_free(e);
	return 1;
}

int main(int argc, char **argv)
{
	struct sp_error *e = NULL;
	struct sp_session *s = NULL;
	struct sp_player_config cfg;
	if (argc < 2)
		return fprintf(stderr, "usage: frames MEDIA | FILE.tstream DIR [HOST:PORT]\n"), 2;
	sp_player_config_init(&cfg);
	cfg.video = SP_PLAYER_VIDEO_CALLBACK;
	cfg.audio = SP_PLAYER_AUDIO_NONE;
	cfg.unpaced = true; /* every frame, as fast as it decodes */
	cfg.on_frame = on_frame;
	struct sp_player *p = sp_player_new(&cfg, &e);
	if (!p)
		return fail("player", e);
	if (argc == 2) {
		if (sp_player_open_file(p, argv[1], &e) < 0)
			return fail(argv[1], e);
	} else {
		struct sp_session_config sc = {.no_trackers = argc > 3};
		struct sp_metainfo *mi = sp_metainfo_load(argv[1], &e);
		if (!mi || !(s = sp_session_new(&sc, &e)))
			return fail(argv[1], e);
		int file = sp_metainfo_main_file(mi);
		char name[1024];
		snprintf(name, sizeof(name), "%s", sp_metainfo_file_path(mi, file));
		struct sp_torrent *t = sp_session_add_torrent(s, mi, argv[2], false, &e);
		if (!t)
			return fail(argv[2], e);
		if (argc > 3) {
			char host[256];
			unsigned port = 0;
			if (sscanf(argv[3], "%255[^:]:%u", host, &port) != 2 ||
			    sp_torrent_add_peer(t, host, (uint16_t)port) < 0)
				return fprintf(stderr, "frames: bad peer %s\n", argv[3]), 2;
		}
		struct sp_reader *r = sp_torrent_open_reader(t, file, &e);
		if (!r || sp_player_open_reader(p, r, name, &e) < 0)
			return fail(name, e);
	}
	int rc = -1;
	struct pollfd pfd = {.fd = sp_player_event_fd(p), .events = POLLIN};
	while (rc < 0 && poll(&pfd, 1, -1) >= 0) {
		struct sp_player_event ev;
		while (rc < 0 && sp_player_next_event(p, &ev)) {
			if (ev.type == SP_PLAYER_EVENT_END)
				rc = 0;
			else if (ev.type == SP_PLAYER_EVENT_ERROR)
				rc = 1, fprintf(stderr, "frames: %s\n", ev.message);
		}
	}
	char stats[8192];
	sp_player_stats_json(p, stats, sizeof(stats));
	fprintf(stderr, "frames: stats %s\n", stats);
	sp_player_free(p);
	sp_session_free(s);
	return rc;
}
