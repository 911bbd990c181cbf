/* test_player.c - unit tests of the player's pure parts: packet queues,
 * frame rings, clocks, text through libass, framemd5 packing, and the byte
 * source with its AVIOContext bridge (over a temporary file). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <libavcodec/packet.h>
#include <libavformat/avio.h>
#include <libavutil/frame.h>
#include <libavutil/md5.h>

#include "harness.h"
#include "player/text.h"
#include "player/framehash.h"
#include "player/queue.h"
#include "player/shot_dir.h"
#include "player/source.h"

static AVPacket *packet(int size, int64_t duration)
{
	AVPacket *p = av_packet_alloc();
	SP_CHECK(p && av_new_packet(p, size) == 0);
	p->duration = duration;
	return p;
}

SP_TEST(pktq_counts_and_order)
{
	struct sp_pktq q;
	sp_pktq_init(&q);
	SP_CHECK_INT(sp_pktq_put(&q, packet(10, 3)), 0);
	SP_CHECK_INT(sp_pktq_put(&q, packet(20, 4)), 0);
	SP_CHECK_INT(sp_pktq_put(&q, NULL), 0);
	int n;
	int64_t bytes, dur;
	sp_pktq_sizes(&q, &n, &bytes, &dur);
	SP_CHECK_INT(n, 3);
	SP_CHECK_INT(dur, 7);
	SP_CHECK_CMP(bytes, >=, 30);
	AVPacket *p = NULL;
	int serial = 0;
	SP_CHECK_INT(sp_pktq_get(&q, &p, &serial, false), 1);
	SP_CHECK_INT(p->size, 10);
	SP_CHECK_INT(serial, sp_pktq_serial(&q));
	av_packet_free(&p);
	SP_CHECK_INT(sp_pktq_get(&q, &p, NULL, false), 1);
	SP_CHECK_INT(p->size, 20);
	av_packet_free(&p);
	SP_CHECK_INT(sp_pktq_get(&q, &p, NULL, false), 1);
	SP_CHECK(p == NULL); /* the end marker */
	SP_CHECK_INT(sp_pktq_get(&q, &p, NULL, false), 0);
	sp_pktq_sizes(&q, &n, &bytes, &dur);
	SP_CHECK_INT(n, 0);
	SP_CHECK_INT(bytes, 0);
	SP_CHECK_INT(dur, 0);
	sp_pktq_fini(&q);
}

SP_TEST(pktq_flush_bumps_serial_and_abort_unblocks)
{
	struct sp_pktq q;
	sp_pktq_init(&q);
	int s0 = sp_pktq_serial(&q);
	SP_CHECK(s0 != 0); /* 0 means "none" to the decoders */
	sp_pktq_put(&q, packet(5, 1));
	sp_pktq_flush(&q);
	SP_CHECK_INT(sp_pktq_serial(&q), s0 + 1);
	int n;
	sp_pktq_sizes(&q, &n, NULL, NULL);
	SP_CHECK_INT(n, 0);
	sp_pktq_put(&q, packet(5, 1));
	AVPacket *p;
	int serial;
	SP_CHECK_INT(sp_pktq_get(&q, &p, &serial, true), 1);
	SP_CHECK_INT(serial, s0 + 1);
	av_packet_free(&p);
	sp_pktq_abort(&q);
	SP_CHECK_INT(sp_pktq_get(&q, &p, &serial, true), -1);
	SP_CHECK_INT(sp_pktq_put(&q, packet(5, 1)), -1);
	sp_pktq_fini(&q);
}

static void *abort_later(void *arg)
{
	usleep(50000);
	sp_frameq_abort(arg);
	return NULL;
}

SP_TEST(frameq_ring)
{
	struct sp_frameq f;
	SP_CHECK_INT(sp_frameq_init(&f, 2), 0);
	SP_CHECK(sp_frameq_peek(&f) == NULL);
	for (int i = 0; i < 2; i++) {
		struct sp_frameq_item *it = sp_frameq_writable(&f);
		SP_CHECK(it != NULL);
		it->pts = i;
		it->serial = 7;
		sp_frameq_push(&f);
	}
	SP_CHECK_INT(sp_frameq_count(&f), 2);
	SP_CHECK_CMP(sp_frameq_peek(&f)->pts, ==, 0);
	SP_CHECK_CMP(sp_frameq_peek_next(&f)->pts, ==, 1);
	sp_frameq_next(&f);
	SP_CHECK_CMP(sp_frameq_peek(&f)->pts, ==, 1);
	SP_CHECK(sp_frameq_peek_next(&f) == NULL);
	struct sp_frameq_item *it = sp_frameq_writable(&f);
	SP_CHECK(it != NULL);
	sp_frameq_push(&f);
	/* full: a writer blocks until abort */
	pthread_t th;
	pthread_create(&th, NULL, abort_later, &f);
	SP_CHECK(sp_frameq_writable(&f) == NULL);
	pthread_join(th, NULL);
	sp_frameq_clear(&f);
	SP_CHECK_INT(sp_frameq_count(&f), 0);
	sp_frameq_fini(&f);
	SP_CHECK(sp_frameq_init(&f, SP_FRAMEQ_MAX + 1) < 0);
}

SP_TEST(clock_runs_and_pauses)
{
	struct sp_clock c;
	sp_clock_init(&c);
	SP_CHECK(isnan(sp_clock_get(&c, 0)));
	sp_clock_set(&c, 10.0, 1000000);
	SP_CHECK_CMP(fabs(sp_clock_get(&c, 1500000) - 10.5), <, 1e-9);
	sp_clock_pause(&c, true, 2000000);
	SP_CHECK_CMP(fabs(sp_clock_get(&c, 9000000) - 11.0), <, 1e-9);
	sp_clock_pause(&c, false, 9000000);
	SP_CHECK_CMP(fabs(sp_clock_get(&c, 9250000) - 11.25), <, 1e-9);
	sp_clock_set(&c, NAN, 0);
	SP_CHECK(isnan(sp_clock_get(&c, 9250000)));
	sp_clock_fini(&c);
}

/* libass on a software renderer: accented letters are real glyphs (an
 * accent reaches above the base letter), lines are cached, bad UTF-8 and
 * markup characters do not break rendering. */
SP_TEST(text_through_libass)
{
	SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, 320, 64, 32, SDL_PIXELFORMAT_ARGB8888);
	SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
	SP_CHECK(ren != NULL);
	struct sp_text *t = sp_text_new(ren);
	if (!t)
		SP_SKIP("libass found no font");
	SP_CHECK(sp_text_line(t, "e", 30) == NULL || sp_text_ready(t)); /* no text before */
	sp_text_wait(t);
	SP_CHECK(sp_text_ready(t));
	const struct sp_text_line *e = sp_text_line(t, "e", 30);
	const struct sp_text_line *ea = sp_text_line(t, "\xc3\xa9", 30); /* é */
	SP_CHECK(e && ea && e->tex && ea->tex);
	SP_CHECK_CMP(ea->dy, <, e->dy - 2);
	SP_CHECK(sp_text_line(t, "e", 30) == e); /* cached */
	int w1 = sp_text_width(t, "mise en m\xc3\xa9moire", 20);
	int w2 = sp_text_width(t, "mise en m\xc3\xa9moire", 40);
	SP_CHECK_CMP(w1, >, 60);
	SP_CHECK_CMP(w2, >, w1 * 3 / 2);
	SP_CHECK_CMP(sp_text_width(t, "{\\i1}a\\N\xc3", 20), >, 0);
	SP_CHECK_INT(sp_text_width(t, "", 20), 0);
	sp_text_gc(t);
	sp_text_gc(t); /* unused twice: gone, and drawn again on demand */
	SP_CHECK_CMP(sp_text_draw(t, "e", 30, 10, 10), >, 0);
	sp_text_free(t);
	SDL_DestroyRenderer(ren);
	SDL_FreeSurface(surf);
}

SP_TEST(framehash_packs_without_padding)
{
	AVFrame *f = av_frame_alloc();
	f->format = AV_PIX_FMT_YUV420P;
	f->width = 6;
	f->height = 4;
	SP_CHECK_INT(av_frame_get_buffer(f, 32), 0);
	SP_CHECK(f->linesize[0] > 6);
	uint8_t packed[6 * 4 + 3 * 2 * 2];
	size_t k = 0;
	for (int pl = 0; pl < 3; pl++) {
		int w = pl ? 3 : 6, h = pl ? 2 : 4;
		for (int y = 0; y < h; y++) {
			memset(f->data[pl] + y * f->linesize[pl], 0xEE, (size_t)f->linesize[pl]);
			for (int x = 0; x < w; x++)
				packed[k++] = f->data[pl][y * f->linesize[pl] + x] =
					(uint8_t)(pl * 50 + y * 7 + x);
		}
	}
	uint8_t md5[16];
	av_md5_sum(md5, packed, (int)k);
	char want[33], got[33];
	for (int i = 0; i < 16; i++)
		snprintf(want + 2 * i, 3, "%02x", md5[i]);
	unsigned char *buf = NULL;
	size_t cap = 0;
	SP_CHECK_INT(sp_framehash_digest(f, &buf, &cap, got), 0);
	SP_CHECK_STR(got, want);
	/* padding bytes do not matter */
	f->data[0][6] = 0x11;
	SP_CHECK_INT(sp_framehash_digest(f, &buf, &cap, got), 0);
	SP_CHECK_STR(got, want);
	av_free(buf);
	av_frame_free(&f);
}

static char *temp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/sp-player-test-XXXXXX");
	int fd = mkstemp(path);
	SP_CHECK(fd >= 0);
	SP_CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
	return path;
}

SP_TEST(source_file_through_avio)
{
	uint8_t data[100000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	char *path = temp_file(data, sizeof(data));
	struct sp_error *e = NULL;
	struct sp_source *s = sp_source_file_new(path, &e);
	SP_CHECK(s != NULL);
	SP_CHECK_INT(sp_source_size(s), sizeof(data));
	SP_CHECK(sp_source_available(s, 0, 1));
	struct sp_avio_stats st = {0};
	AVIOContext *pb = sp_source_avio_new(s, &st);
	SP_CHECK(pb != NULL);
	SP_CHECK_INT(avio_size(pb), sizeof(data));
	uint8_t buf[5000];
	SP_CHECK_INT(avio_read(pb, buf, 100), 100);
	SP_CHECK_MEM(buf, data, 100);
	SP_CHECK_INT(avio_seek(pb, 90000, SEEK_SET), 90000);
	SP_CHECK_INT(avio_read(pb, buf, sizeof(buf)), sizeof(buf));
	SP_CHECK_MEM(buf, data + 90000, sizeof(buf));
	SP_CHECK_CMP(atomic_load(&st.pos), >=, 95000);
	/* the end is AVERROR_EOF, never 0 */
	SP_CHECK_INT(avio_seek(pb, sizeof(data) - 10, SEEK_SET), sizeof(data) - 10);
	SP_CHECK_INT(avio_read(pb, buf, 100), 10);
	SP_CHECK(avio_feof(pb) || avio_read(pb, buf, 100) < 0);
	/* a cancelled source fails reads with AVERROR_EXIT until resumed */
	sp_source_cancel(s);
	SP_CHECK_INT(avio_seek(pb, 0, SEEK_SET), 0);
	SP_CHECK_INT(avio_read(pb, buf, 100), AVERROR_EXIT);
	sp_source_resume(s);
	pb->error = 0;
	pb->eof_reached = 0;
	SP_CHECK_INT(avio_seek(pb, 1000, SEEK_SET), 1000);
	SP_CHECK_INT(avio_read(pb, buf, 100), 100);
	SP_CHECK_MEM(buf, data + 1000, 100);
	sp_source_avio_free(&pb);
	sp_source_free(s);
	unlink(path);
	free(path);
}

SP_TEST(source_file_errors)
{
	struct sp_error *e = NULL;
	SP_CHECK(sp_source_file_new("/nonexistent/file.mp4", &e) == NULL);
	SP_CHECK(e != NULL);
	SP_CHECK_INT(e->code, -ENOENT);
	sp_error_free(e);
	e = NULL;
	SP_CHECK(sp_source_file_new("/tmp", &e) == NULL);
	SP_CHECK_INT(e->code, -EINVAL);
	sp_error_free(e);
}

SP_TEST(user_dirs_pictures)
{
	char out[64];
	const char *text = "# written by xdg-user-dirs-update\n"
			   "XDG_DESKTOP_DIR=\"$HOME/Desktop\"\n"
			   "XDG_PICTURES_DIR=\"$HOME/Images\"\n";
	SP_CHECK(sp_user_dirs_pictures(text, "/home/ana", out, sizeof(out)));
	SP_CHECK_STR(out, "/home/ana/Images");
	SP_CHECK(sp_user_dirs_pictures("  XDG_PICTURES_DIR=\"/srv/pics\"", NULL, out, sizeof(out)));
	SP_CHECK_STR(out, "/srv/pics");
	/* none, relative, unterminated, $HOME without a home, too long */
	SP_CHECK(!sp_user_dirs_pictures("XDG_MUSIC_DIR=\"$HOME/Music\"\n", "/h", out, sizeof(out)));
	SP_CHECK(!sp_user_dirs_pictures("XDG_PICTURES_DIR=\"pics\"\n", "/h", out, sizeof(out)));
	SP_CHECK(!sp_user_dirs_pictures("XDG_PICTURES_DIR=\"/pics\n\"", "/h", out, sizeof(out)));
	SP_CHECK(!sp_user_dirs_pictures("XDG_PICTURES_DIR=\"$HOME/P\"", "", out, sizeof(out)));
	SP_CHECK(!sp_user_dirs_pictures("XDG_PICTURES_DIR=\"$HOMEX/P\"", "/h", out, sizeof(out)));
	SP_CHECK(!sp_user_dirs_pictures(text, "/home/a-very-long-home-directory-name-for-the-test",
					out, 20));
	/* the option first, then the environment */
	char dir[256];
	sp_shot_dir("/opt/shots", dir, sizeof(dir));
	SP_CHECK_STR(dir, "/opt/shots");
	setenv("XDG_PICTURES_DIR", "/env/pics", 1);
	sp_shot_dir(NULL, dir, sizeof(dir));
	SP_CHECK_STR(dir, "/env/pics");
	unsetenv("XDG_PICTURES_DIR");
	setenv("XDG_CONFIG_HOME", "/nonexistent-config", 1);
	setenv("HOME", "/nonexistent-home", 1);
	sp_shot_dir(NULL, dir, sizeof(dir));
	SP_CHECK_STR(dir, ".");
}

SP_TEST_MAIN()
