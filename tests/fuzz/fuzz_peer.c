/* fuzz_peer.c - libFuzzer target for a peer connection as a whole: the
 * wire parser, dispatch, the fast and extension protocols, uploads,
 * back-pressure, blocks into storage, bans, against a real session (its
 * net thread, its listen socket on 127.0.0.1) holding two real torrents:
 * a seed of 4 x 16 KiB pieces and a leecher of another 4 with no data.
 *
 * Input: byte 0 picks the torrent (bit 0: the leecher) and the protocol
 * bits of our handshake (bit 1: BEP 6 fast, bit 2: BEP 10 extensions);
 * the rest is sent after a valid handshake, then our side shuts its
 * writing half and reads until swarmplay closes. Each input comes from
 * an address of its own in 127.1/16 (so bans and the per-address slots
 * of earlier inputs do not refuse it).
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - swarmplay closes the connection within CLOSE_S of our end (it never
 *   hangs on a peer);
 * - the seed keeps all its pieces, the leecher verifies none (no input
 *   carries data that hashes right: nothing unverified is taken). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bencode.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/metainfo.h"
#include "core/sha1.h"
#include "swarmplay/swarmplay.h"

#define PL 16384u
#define NP 4u
#define TOTAL (NP * PL)
#define CLOSE_S 20

static struct sp_session *ses;
static struct sp_torrent *tor[2];
static uint8_t ih[2][20];
static unsigned next_addr;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sp_metainfo *make_mi(const char *name, uint8_t salt)
{
	static uint8_t content[TOTAL];
	for (size_t i = 0; i < TOTAL; i++)
		content[i] = (uint8_t)(i * 29 + salt);
	struct sp_buf info, t;
	sp_buf_init(&info, 4096);
	sp_buf_init(&t, 4096);
	sp_benc_dict_begin(&info);
	sp_benc_put_cstr(&info, "length");
	sp_benc_put_int(&info, TOTAL);
	sp_benc_put_cstr(&info, "name");
	sp_benc_put_cstr(&info, name);
	sp_benc_put_cstr(&info, "piece length");
	sp_benc_put_int(&info, PL);
	sp_benc_put_cstr(&info, "pieces");
	uint8_t h[NP * 20];
	for (uint32_t p = 0; p < NP; p++)
		sp_sha1(content + p * PL, PL, h + 20 * p);
	sp_benc_put_str(&info, h, sizeof(h));
	sp_benc_end(&info);
	sp_buf_appendf(&t, "d4:info");
	sp_buf_append(&t, info.data, info.len);
	sp_buf_appendf(&t, "e");
	struct sp_metainfo *mi = sp_metainfo_parse(t.data, t.len, NULL);
	if (salt == 1) { /* the seed's data on disk */
		char path[128];
		snprintf(path, sizeof(path), "/dev/shm/sp-fuzz-peer-%d/%s", (int)getpid(), name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(content, 1, TOTAL, f) != TOTAL)
			abort();
		fclose(f);
	}
	sp_buf_fini(&info);
	sp_buf_fini(&t);
	return mi;
}

static void setup(void)
{
	sp_log_set_level(SP_LOG_NONE);
	char dir[96];
	snprintf(dir, sizeof(dir), "/dev/shm/sp-fuzz-peer-%d", (int)getpid());
	mkdir(dir, 0700);
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.max_peers_per_torrent = 500, .max_peers_total = 1000};
	if (!(ses = sp_session_new(&cfg, NULL)))
		abort();
	const char *names[2] = {"seed.bin", "leech.bin"};
	for (int i = 0; i < 2; i++) {
		struct sp_metainfo *mi = make_mi(names[i], (uint8_t)(i + 1));
		if (!mi)
			abort();
		memcpy(ih[i], mi->info_hash, 20);
		if (!(tor[i] = sp_session_add_torrent(ses, mi, dir, i == 0, NULL)))
			abort();
	}
	struct sp_torrent_stats st;
	for (int tries = 0; tries < 1000; tries++) {
		sp_torrent_get_stats(tor[0], &st);
		if (!st.checking && st.complete)
			return;
		usleep(10000);
	}
	abort(); /* the seed never became complete */
}

static int dial(void)
{
	unsigned a = next_addr++ % (254 * 254);
	struct sockaddr_in src = {.sin_family = AF_INET};
	src.sin_addr.s_addr = htonl(0x7f010000u | (a / 254 + 1) << 8 | (a % 254 + 1));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(sp_session_port(ses))};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send out[0..n) while reading and dropping what comes; then our end,
 * and read until theirs. */
static void converse(int fd, const uint8_t *out, size_t n)
{
	size_t sent = 0;
	bool shut = false;
	double deadline = now_s() + 3600;
	static uint8_t sink[65536];
	for (;;) {
		if (sent == n && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
			deadline = now_s() + CLOSE_S;
		}
		struct pollfd pf = {.fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT)};
		if (poll(&pf, 1, 100) < 0 && errno != EINTR)
			abort();
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, sink, sizeof(sink), 0);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				return; /* they closed */
		}
		if (!shut && (pf.revents & POLLOUT)) {
			ssize_t w = send(fd, out + sent, n - sent, MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				return; /* they closed first */
		}
		if (now_s() > deadline)
			abort(); /* a peer that ended is still held open */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ses)
		setup();
	if (size < 1)
		return 0;
	int which = data[0] & 1;
	uint8_t *out = malloc(68 + size - 1);
	memcpy(out, "\x13" "BitTorrent protocol", 20);
	memset(out + 20, 0, 8);
	if (data[0] & 4)
		out[25] |= 0x10;
	if (data[0] & 2)
		out[27] |= 0x04;
	memcpy(out + 28, ih[which], 20);
	memcpy(out + 48, "-FZ0001-", 8);
	memcpy(out + 56, &next_addr, sizeof(next_addr));
	memset(out + 56 + sizeof(next_addr), 'z', 12 - sizeof(next_addr));
	memcpy(out + 68, data + 1, size - 1);
	int fd = dial();
	converse(fd, out, 68 + size - 1);
	close(fd);
	free(out);
	struct sp_torrent_stats st;
	sp_torrent_get_stats(tor[0], &st);
	if (st.have_pieces != NP)
		abort();
	sp_torrent_get_stats(tor[1], &st);
	if (st.have_pieces != 0)
		abort();
	return 0;
}
