/* reader-only.c - an embedding example without the player: a torrent's
 * file as an sp_reader, fed to the program's own libavformat through its
 * own AVIOContext, decoded with its own libavcodec; prints one MD5 per
 * video frame as `ffmpeg -f framemd5` does. The reader blocks until the
 * bytes asked for are verified; the session fetches them first.
 *
 *   reader-only FILE.tstream DIR [HOST:PORT] */
#include <errno.h>
#include <stdio.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <swarmplay/swarmplay.h>

struct stream {
	struct sp_reader *r;
	int64_t pos;
};

static int on_read(void *opaque, uint8_t *buf, int len)
{
	struct stream *st = opaque;
	ssize_t n = sp_reader_read(st->r, (uint64_t)st->pos, buf, (size_t)len);
	if (n == 0)
		return AVERROR_EOF;
	if (n < 0)
		return AVERROR(EIO);
	st->pos += n;
	return (int)n;
}

static int64_t on_seek(void *opaque, int64_t offset, int whence)
{
	struct stream *st = opaque;
	int64_t size = sp_reader_size(st->r);
	if ((whence & ~AVSEEK_FORCE) == AVSEEK_SIZE)
		return size;
	whence &= ~AVSEEK_FORCE;
	int64_t to = whence == SEEK_SET	  ? offset
		     : whence == SEEK_CUR ? st->pos + offset
					  : size + offset;
	if (to < 0)
		return AVERROR(EINVAL);
	st->pos = to;
	return to;
}

static void print_md5(const AVFrame *f)
{
	int size = av_image_get_buffer_size(f->format, f->width, f->height, 1);
	uint8_t *buf = av_malloc((size_t)size), sum[16];
	av_image_copy_to_buffer(buf, size, (const uint8_t *const *)f->data, f->linesize, f->format,
				f->width, f->height, 1);
	av_md5_sum(sum, buf, size);
	av_free(buf);
	for (int i = 0; i < 16; i++)
		printf("%02x", sum[i]);
	printf("\n");
}

static int decode_all(AVFormatContext *ic)
{
	int v = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (v < 0)
		return fprintf(stderr, "reader-only: no video stream\n"), 1;
	const AVCodec *codec = avcodec_find_decoder(ic->streams[v]->codecpar->codec_id);
	AVCodecContext *dec = avcodec_alloc_context3(codec);
	avcodec_parameters_to_context(dec, ic->streams[v]->codecpar);
	dec->thread_count = 1;
	if (!codec || avcodec_open2(dec, codec, NULL) < 0)
		return fprintf(stderr, "reader-only: no decoder\n"), 1;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	bool more = true;
	while (more) {
		more = av_read_frame(ic, pkt) >= 0;
		if (more && pkt->stream_index != v) {
			av_packet_unref(pkt);
			continue;
		}
		avcodec_send_packet(dec, more ? pkt : NULL); /* NULL: drain at the end */
		av_packet_unref(pkt);
		while (avcodec_receive_frame(dec, f) >= 0)
			print_md5(f);
	}
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	return 0;
}

int main(int argc, char **argv)
{
	struct sp_error *e = NULL;
	if (argc < 3)
		return fprintf(stderr, "usage: reader-only FILE.tstream DIR [HOST:PORT]\n"), 2;
	struct sp_session_config sc = {.no_trackers = argc > 3};
	struct sp_metainfo *mi = sp_metainfo_load(argv[1], &e);
	struct sp_session *s = mi ? sp_session_new(&sc, &e) : NULL;
	struct sp_torrent *t = s ? sp_session_add_torrent(s, mi, argv[2], false, &e) : NULL;
	if (!t)
		return fprintf(stderr, "reader-only: %s\n", sp_error_msg(e)), 1;
	char host[256];
	unsigned port;
	if (argc > 3 && (sscanf(argv[3], "%255[^:]:%u", host, &port) != 2 ||
			 sp_torrent_add_peer(t, host, (uint16_t)port) < 0))
		return fprintf(stderr, "reader-only: bad peer %s\n", argv[3]), 2;
	struct stream st = {sp_torrent_open_reader(t, sp_metainfo_main_file(mi), &e), 0};
	if (!st.r)
		return fprintf(stderr, "reader-only: %s\n", sp_error_msg(e)), 1;
	unsigned char *iobuf = av_malloc(64 * 1024);
	AVIOContext *pb = avio_alloc_context(iobuf, 64 * 1024, 0, &st, on_read, NULL, on_seek);
	AVFormatContext *ic = avformat_alloc_context();
	ic->pb = pb;
	int rc = 1;
	if (avformat_open_input(&ic, NULL, NULL, NULL) == 0) {
		if (avformat_find_stream_info(ic, NULL) >= 0)
			rc = decode_all(ic);
		avformat_close_input(&ic);
	} else {
		fprintf(stderr, "reader-only: not a media file\n");
	}
	av_freep(&pb->buffer);
	avio_context_free(&pb);
	sp_reader_close(st.r);
	sp_session_free(s);
	return rc;
}
