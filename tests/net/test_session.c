/* test_session.c - two sessions in one process on 127.0.0.1: a seed and a
 * leecher move a multi-file torrent (byte-identical, counted by source),
 * a reader streams a file while it downloads, the upload limit holds, and
 * a peer that sends malformed messages is closed without harming the
 * session. The torrent is built here with the bencode encoder. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "core/bencode.h"
#include "core/clock.h"
#include "core/magnet.h"
#include "core/metainfo.h"
#include "core/sha1.h"
#include "harness.h"
#include "net/wire.h"
#include "swarmplay/swarmplay.h"

#define PIECE 32768u
/* Ceilings of the waits below, in seconds. Each wait returns as soon as
 * its condition holds: the ceiling only turns a hang into a failure, so
 * it is generous (CI runs other suites beside this one, on 2 cores). */
#define WAIT_S 60

struct fixture {
	char root[256], seed_dir[300], leech_dir[300];
	uint8_t *data; /* concatenated payload */
	size_t total;
	uint8_t *torrent;
	size_t torrent_len;
};

static const struct {
	const char *name;
	size_t size;
} layout[] = {{"a.bin", 300001}, {"small.txt", 777}, {"b.bin", 200003}};
#define NFILES (sizeof(layout) / sizeof(layout[0]))

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(dir, 0755);
	FILE *f = fopen(path, "wb");
	SP_CHECK(f != NULL);
	SP_CHECK_UINT(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void build_torrent(struct fixture *fx)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 20);
	uint32_t np = (uint32_t)((fx->total + PIECE - 1) / PIECE);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "info");
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "files");
	sp_benc_list_begin(&b);
	for (size_t i = 0; i < NFILES; i++) {
		sp_benc_dict_begin(&b);
		sp_benc_put_cstr(&b, "length");
		sp_benc_put_int(&b, (int64_t)layout[i].size);
		sp_benc_put_cstr(&b, "path");
		sp_benc_list_begin(&b);
		sp_benc_put_cstr(&b, layout[i].name);
		sp_benc_end(&b);
		sp_benc_end(&b);
	}
	sp_benc_end(&b);
	sp_benc_put_cstr(&b, "name");
	sp_benc_put_cstr(&b, "payload");
	sp_benc_put_cstr(&b, "piece length");
	sp_benc_put_int(&b, PIECE);
	sp_benc_put_cstr(&b, "pieces");
	uint8_t *hashes = malloc((size_t)np * 20);
	for (uint32_t i = 0; i < np; i++) {
		size_t off = (size_t)i * PIECE;
		size_t len = fx->total - off < PIECE ? fx->total - off : PIECE;
		sp_sha1(fx->data + off, len, hashes + 20 * i);
	}
	sp_benc_put_str(&b, hashes, (size_t)np * 20);
	free(hashes);
	sp_benc_end(&b);
	SP_CHECK_INT(sp_benc_end(&b), 0);
	fx->torrent = sp_buf_steal(&b, &fx->torrent_len);
}

static void setup(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->root, sizeof(fx->root), "/tmp/sp-test-session-XXXXXX");
	SP_CHECK(mkdtemp(fx->root) != NULL);
	snprintf(fx->seed_dir, sizeof(fx->seed_dir), "%s/seed", fx->root);
	snprintf(fx->leech_dir, sizeof(fx->leech_dir), "%s/leech", fx->root);
	for (size_t i = 0; i < NFILES; i++)
		fx->total += layout[i].size;
	fx->data = malloc(fx->total);
	srand(42);
	for (size_t i = 0; i < fx->total; i++)
		fx->data[i] = (uint8_t)rand();
	mkdir(fx->seed_dir, 0755);
	char top[400];
	snprintf(top, sizeof(top), "%s/payload", fx->seed_dir);
	size_t off = 0;
	for (size_t i = 0; i < NFILES; i++) {
		write_file(top, layout[i].name, fx->data + off, layout[i].size);
		off += layout[i].size;
	}
	build_torrent(fx);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(struct fixture *fx)
{
	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->data);
	free(fx->torrent);
}

static struct sp_metainfo *mi_of(const struct fixture *fx)
{
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_metainfo_parse(fx->torrent, fx->torrent_len, &err);
	if (!mi)
		SP_FAIL("metainfo: %s", sp_error_msg(err));
	return mi;
}

static struct sp_session *session(int64_t up_limit)
{
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.upload_rate_limit = up_limit};
	struct sp_error *err = NULL;
	struct sp_session *s = sp_session_new(&cfg, &err);
	if (!s)
		SP_FAIL("session: %s", sp_error_msg(err));
	SP_CHECK(sp_session_port(s) != 0);
	return s;
}

static bool wait_complete(struct sp_torrent *t, double timeout_s, struct sp_torrent_stats *st)
{
	int64_t end = sp_now_us() + (int64_t)(timeout_s * 1e6);
	while (sp_now_us() < end) {
		sp_torrent_get_stats(t, st);
		if (st->complete && !st->checking)
			return true;
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static void check_copy(const struct fixture *fx)
{
	size_t off = 0;
	for (size_t i = 0; i < NFILES; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/payload/%s", fx->leech_dir, layout[i].name);
		FILE *f = fopen(path, "rb");
		SP_CHECK(f != NULL);
		uint8_t *buf = malloc(layout[i].size + 1);
		SP_CHECK_UINT(fread(buf, 1, layout[i].size + 1, f), layout[i].size);
		fclose(f);
		SP_CHECK_MEM(buf, fx->data + off, layout[i].size);
		free(buf);
		off += layout[i].size;
	}
}

SP_TEST(seed_to_leecher)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session *a = session(0), *b = session(0);
	struct sp_error *err = NULL;
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, &err);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, &err);
	SP_CHECK(ta && tb);
	SP_CHECK_INT(sp_torrent_add_peer(tb, "127.0.0.1", sp_session_port(a)), 0);
	struct sp_metainfo *again = mi_of(&fx);
	SP_CHECK(sp_session_add_torrent(a, again, fx.seed_dir, true, &err) == NULL);
	SP_CHECK_INT(err->code, -EEXIST);
	sp_error_free(err);
	sp_metainfo_free(again);
	struct sp_torrent_stats sa, sb;
	SP_CHECK(wait_complete(ta, WAIT_S, &sa));
	SP_CHECK_UINT(sa.pieces_at_start, sa.num_pieces);
	SP_CHECK_UINT(sa.downloaded[SP_FROM_CACHE], fx.total);
	if (!wait_complete(tb, WAIT_S, &sb))
		SP_FAIL("leecher stuck at %u/%u pieces, %d peers", sb.have_pieces, sb.num_pieces,
			sb.peers);
	SP_CHECK_UINT(sb.downloaded[SP_FROM_PEERS], fx.total);
	SP_CHECK_UINT(sb.downloaded[SP_FROM_CACHE], 0);
	SP_CHECK_UINT(sb.verified_bytes, fx.total);
	SP_CHECK(sb.complete_at_us > 0);
	/* the seed's counters are published on its next tick */
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	do {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
		sp_torrent_get_stats(ta, &sa);
	} while (sa.uploaded < fx.total && sp_now_us() < end);
	SP_CHECK_CMP(sa.uploaded, >=, fx.total);
	uint8_t bits[64];
	SP_CHECK_INT(sp_torrent_get_pieces(tb, bits, sizeof(bits)), 0);
	SP_CHECK_UINT(bits[0], 0xff);
	sp_session_free(b);
	sp_session_free(a);
	check_copy(&fx);
	teardown(&fx);
}

/* A session listening on every address takes IPv6 peers too. */
SP_TEST(ipv6_peer)
{
	struct fixture fx;
	setup(&fx);
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (probe < 0 || bind(probe, (struct sockaddr *)&lo6, sizeof(lo6)) < 0)
		SP_SKIP("no IPv6 loopback here");
	close(probe);
	struct sp_session_config cfg = {.no_trackers = true}; /* bind to any: v4 and v6 */
	struct sp_session *a = sp_session_new(&cfg, NULL), *b = session(0);
	SP_CHECK(a && b);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, NULL);
	struct sp_torrent_stats st;
	SP_CHECK(ta && tb && wait_complete(ta, WAIT_S, &st));
	SP_CHECK_INT(sp_torrent_add_peer(tb, "::1", sp_session_port(a)), 0);
	SP_CHECK(wait_complete(tb, WAIT_S, &st));
	sp_session_free(b);
	sp_session_free(a);
	check_copy(&fx);
	teardown(&fx);
}

/* BEP 14: two sessions with local service discovery find each other
 * with no tracker and no address given. */
SP_TEST(lsd_finds_local_peer)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.lsd = true};
	struct sp_session *a = sp_session_new(&cfg, NULL);
	SP_CHECK(a != NULL);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent_stats st;
	SP_CHECK(ta && wait_complete(ta, WAIT_S, &st));
	struct sp_session *b = sp_session_new(&cfg, NULL);
	SP_CHECK(b != NULL);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, NULL);
	SP_CHECK(tb != NULL);
	/* first a peer (none at all: no multicast here), then the data */
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	do {
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
		sp_torrent_get_stats(tb, &st);
	} while (st.peers_seen == 0 && !st.complete && sp_now_us() < end);
	if (st.peers_seen == 0 && !st.complete)
		SP_SKIP("no multicast on loopback here (no LSD peer found in %d s)", WAIT_S);
	if (!wait_complete(tb, WAIT_S, &st))
		SP_FAIL("found %llu peers by LSD but did not complete",
			(unsigned long long)st.peers_seen);
	sp_session_free(b);
	sp_session_free(a);
	check_copy(&fx);
	teardown(&fx);
}

/* Ask the DHT node on port, as any DHT client would (get_peers), until
 * it answers with peers ("values") for info_hash, for up to WAIT_S. */
static bool node_has_peer(uint16_t port, const uint8_t ih[20])
{
	uint8_t q[128];
	size_t n = 0;
	static const char head[] = "d1:ad2:id20:qqqqqqqqqqqqqqqqqqqq9:info_hash20:";
	static const char tail[] = "e1:q9:get_peers1:t2:gp1:y1:qe";
	memcpy(q, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memcpy(q + n, ih, 20);
	n += 20;
	memcpy(q + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool found = false;
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	while (!found && sp_now_us() < end) {
		sendto(fd, q, n, 0, (struct sockaddr *)&to, sizeof(to));
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		char buf[1500];
		ssize_t r;
		while (!found && (r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			found = memmem(buf, (size_t)r, "1:t2:gp", 7) && memmem(buf, (size_t)r, "6:values", 8);
	}
	close(fd);
	return found;
}

/* BEP 5: a seed announces itself to a DHT node; a leecher that knows
 * only that node (no tracker, no peer address) finds the seed. */
SP_TEST(dht_finds_seed)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.dht = true};
	struct sp_session *node = sp_session_new(&cfg, NULL);
	struct sp_session *a = sp_session_new(&cfg, NULL);
	SP_CHECK(node && a);
	SP_CHECK_INT(sp_session_add_dht_node(a, "127.0.0.1", sp_session_port(node)), 0);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent_stats st;
	SP_CHECK(ta && wait_complete(ta, WAIT_S, &st));
	/* the seed's first lookup ends with its announce to the node: wait
	 * until the node gives it out (the leecher's own lookup runs once,
	 * then every 5 minutes) */
	if (!node_has_peer(sp_session_port(node), sp_torrent_metainfo(ta)->info_hash))
		SP_FAIL("the DHT node has no peer for the torrent after %d s", WAIT_S);
	struct sp_session *c = sp_session_new(&cfg, NULL);
	SP_CHECK(c != NULL);
	SP_CHECK_INT(sp_session_add_dht_node(c, "127.0.0.1", sp_session_port(node)), 0);
	struct sp_torrent *tc = sp_session_add_torrent(c, mi_of(&fx), fx.leech_dir, false, NULL);
	SP_CHECK(tc != NULL);
	if (!wait_complete(tc, WAIT_S, &st))
		SP_FAIL("leecher found %llu peers, %u/%u pieces", (unsigned long long)st.peers_seen,
			st.have_pieces, st.num_pieces);
	sp_session_free(c);
	sp_session_free(a);
	sp_session_free(node);
	check_copy(&fx);
	teardown(&fx);
}

/* The DHT port takes anything from anyone: garbage, truncated and
 * hostile KRPC must be dropped, and a good ping still answered. */
SP_TEST(dht_survives_garbage)
{
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.dht = true};
	struct sp_session *a = sp_session_new(&cfg, NULL);
	SP_CHECK(a != NULL);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(sp_session_port(a))};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	static const char *const bad[] = {
		"", "d", "de", "le", "d1:y1:qe", "d1:t2:aa1:y1:q1:q4:pinge",
		"d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe",                 /* short id */
		"d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa6:target5:shorte1:q9:find_node1:t2:aa1:y1:qe",
		"d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa9:info_hash20:bbbbbbbbbbbbbbbbbbbb4:porti-5e"
		"5:token8:xxxxxxxxe1:q13:announce_peer1:t2:aa1:y1:qe",       /* bad token */
		"d1:rd2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes7:1234567e1:t2:\x01\x05" "1:y1:re",
		"d1:rd2:id20:aaaaaaaaaaaaaaaaaaaa6:valuesli5e3:abcee1:t2:zz1:y1:re",
		"A\x00\x01\x02 not utp at all, nor bencode", "d999999999:x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sendto(fd, bad[i], strlen(bad[i]), 0, (struct sockaddr *)&to, sizeof(to));
	uint32_t x = 7;
	for (int i = 0; i < 2000; i++) { /* random datagrams, some starting like bencode */
		uint8_t buf[200];
		size_t n = 1 + (x >> 8) % sizeof(buf);
		for (size_t j = 0; j < n; j++) {
			x = x * 1103515245u + 12345u;
			buf[j] = (uint8_t)(x >> 24);
		}
		if (i & 1)
			buf[0] = 'd';
		sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to));
	}
	/* the flood may have filled the socket's buffer: ask until answered.
	 * The limit is generous: CI machines run other suites beside this. */
	static const char ping[] = "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:pp1:y1:qe";
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	bool answered = false;
	int pings = 0, replies = 0;
	int64_t end = sp_now_us() + 20000000, next_ping = 0;
	while (!answered && sp_now_us() < end) {
		if (sp_now_us() >= next_ping) {
			sendto(fd, ping, sizeof(ping) - 1, 0, (struct sockaddr *)&to, sizeof(to));
			pings++;
			next_ping = sp_now_us() + 200000;
		}
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		char buf[1500];
		ssize_t n;
		while (!answered && (n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
			replies++;
			/* binary: the node's random id may hold a NUL (1 run in 13),
			 * which strstr would stop at */
			answered = memmem(buf, (size_t)n, "1:t2:pp1:y1:r", 13) != NULL;
		}
	}
	if (!answered)
		fprintf(stderr, "no answer to %d pings (%d other datagrams came back)\n", pings,
			replies);
	SP_CHECK(answered);
	close(fd);
	sp_session_free(a);
}

/* A reader opened before any data is here streams the whole file. */
SP_TEST(reader_streams_while_downloading)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session *a = session(0), *b = session(0);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, NULL);
	SP_CHECK(ta && tb);
	struct sp_error *err = NULL;
	struct sp_reader *r = sp_torrent_open_reader(tb, 2, &err); /* b.bin, the last file */
	if (!r)
		SP_FAIL("reader: %s", sp_error_msg(err));
	SP_CHECK_INT(sp_reader_size(r), (int64_t)layout[2].size);
	SP_CHECK_INT(sp_torrent_add_peer(tb, "127.0.0.1", sp_session_port(a)), 0);
	size_t base = layout[0].size + layout[1].size, got = 0;
	uint8_t buf[7000];
	while (got < layout[2].size) {
		ssize_t n = sp_reader_read(r, got, buf, sizeof(buf));
		SP_CHECK_CMP(n, >, 0);
		SP_CHECK_MEM(buf, fx.data + base + got, (size_t)n);
		got += (size_t)n;
	}
	SP_CHECK_INT(sp_reader_read(r, got, buf, sizeof(buf)), 0);
	sp_reader_close(r);
	sp_session_free(b);
	sp_session_free(a);
	teardown(&fx);
}

SP_TEST(upload_limit_holds)
{
	struct fixture fx;
	setup(&fx);
	const int64_t limit = 150000; /* bytes/s: ~500 kB takes > 3 s */
	struct sp_session *a = session(limit), *b = session(0);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, NULL);
	SP_CHECK(ta && tb);
	struct sp_torrent_stats st;
	SP_CHECK(wait_complete(ta, WAIT_S, &st));
	int64_t t0 = sp_now_us();
	SP_CHECK_INT(sp_torrent_add_peer(tb, "127.0.0.1", sp_session_port(a)), 0);
	SP_CHECK(wait_complete(tb, 2 * WAIT_S, &st));
	double secs = (double)(sp_now_us() - t0) / 1e6;
	double rate = (double)fx.total / secs;
	fprintf(stderr, "%zu bytes in %.2f s: %.0f B/s (limit %lld)\n", fx.total, secs, rate,
		(long long)limit);
	SP_CHECK_CMP(rate, <, 1.3 * (double)limit); /* a slow machine only lowers the rate */
	sp_session_free(b);
	sp_session_free(a);
	teardown(&fx);
}

SP_TEST(download_limit_holds)
{
	struct fixture fx;
	setup(&fx);
	const int64_t limit = 200000;
	struct sp_session *a = session(0);
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.download_rate_limit = limit};
	struct sp_session *b = sp_session_new(&cfg, NULL);
	SP_CHECK(b != NULL);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, NULL);
	SP_CHECK(ta && tb);
	struct sp_torrent_stats st;
	SP_CHECK(wait_complete(ta, WAIT_S, &st));
	int64_t t0 = sp_now_us();
	SP_CHECK_INT(sp_torrent_add_peer(tb, "127.0.0.1", sp_session_port(a)), 0);
	SP_CHECK(wait_complete(tb, 2 * WAIT_S, &st));
	double rate = (double)fx.total / ((double)(sp_now_us() - t0) / 1e6);
	fprintf(stderr, "download at %.0f B/s (limit %lld)\n", rate, (long long)limit);
	SP_CHECK_CMP(rate, <, 1.3 * (double)limit);
	sp_session_free(b);
	sp_session_free(a);
	check_copy(&fx);
	teardown(&fx);
}

/* BEP 9: a magnet with only the seed's address becomes a full metainfo,
 * then a complete download. */
SP_TEST(magnet_metadata_then_download)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session *a = session(0), *b = session(0);
	struct sp_metainfo *mi = mi_of(&fx);
	char uri[256];
	snprintf(uri, sizeof(uri), "magnet:?xt=urn:btih:%s&x.pe=127.0.0.1:%u", mi->info_hash_hex,
		 sp_session_port(a));
	struct sp_torrent *ta = sp_session_add_torrent(a, mi, fx.seed_dir, true, NULL);
	struct sp_torrent_stats st;
	SP_CHECK(ta && wait_complete(ta, WAIT_S, &st));
	struct sp_error *err = NULL;
	struct sp_metainfo *mag = sp_magnet_parse(uri, &err);
	if (!mag)
		SP_FAIL("magnet: %s", sp_error_msg(err));
	SP_CHECK(sp_session_add_torrent(b, mag, fx.leech_dir, false, &err) == NULL);
	sp_error_free(err);
	err = NULL;
	struct sp_metainfo *full = sp_session_fetch_metadata(b, mag, WAIT_S * 1000, &err);
	if (!full)
		SP_FAIL("fetch: %s", sp_error_msg(err));
	SP_CHECK(!full->is_magnet);
	SP_CHECK_UINT(full->num_files, NFILES);
	SP_CHECK_UINT(full->total_length, fx.total);
	/* no --peer now: the peers found while fetching are reused */
	struct sp_torrent *tb = sp_session_add_torrent(b, full, fx.leech_dir, false, &err);
	SP_CHECK(tb != NULL);
	SP_CHECK(wait_complete(tb, WAIT_S, &st));
	sp_session_free(b);
	sp_session_free(a);
	check_copy(&fx);
	teardown(&fx);
}

SP_TEST(magnet_without_peers_times_out)
{
	struct sp_session *b = session(0);
	struct sp_error *err = NULL;
	struct sp_metainfo *mag =
		sp_magnet_parse("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", &err);
	SP_CHECK(mag != NULL);
	int64_t t0 = sp_now_us();
	SP_CHECK(sp_session_fetch_metadata(b, mag, 500, &err) == NULL);
	SP_CHECK_INT(err->code, -ETIMEDOUT);
	SP_CHECK_CMP(sp_now_us() - t0, <, WAIT_S * 1000000LL); /* the 500 ms, not forever */
	sp_error_free(err);
	sp_session_free(b);
}

/* BEP 11: two leechers that only know the seed learn of each other by
 * peer exchange and connect: over IPv4 ("added"), and over IPv6
 * ("added6"; the sessions then listen dual-stack, on every address). */
static void pex_introduces(const char *host)
{
	struct fixture fx;
	setup(&fx);
	char third[400];
	snprintf(third, sizeof(third), "%s/third", fx.root);
	struct sp_session_config any = {.no_trackers = true}, any_slow = any;
	any_slow.upload_rate_limit = 60000;
	bool v6 = strchr(host, ':') != NULL;
	struct sp_session *a = v6 ? sp_session_new(&any_slow, NULL) : session(60000);
	struct sp_session *b = v6 ? sp_session_new(&any, NULL) : session(0);
	struct sp_session *c = v6 ? sp_session_new(&any, NULL) : session(0);
	SP_CHECK(a && b && c);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent *tb = sp_session_add_torrent(b, mi_of(&fx), fx.leech_dir, false, NULL);
	struct sp_torrent *tc = sp_session_add_torrent(c, mi_of(&fx), third, false, NULL);
	SP_CHECK(ta && tb && tc);
	struct sp_torrent_stats sb, sc;
	SP_CHECK(wait_complete(ta, WAIT_S, &sb));
	SP_CHECK_INT(sp_torrent_add_peer(tb, host, sp_session_port(a)), 0);
	SP_CHECK_INT(sp_torrent_add_peer(tc, host, sp_session_port(a)), 0);
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	do {
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
		sp_torrent_get_stats(tb, &sb);
		sp_torrent_get_stats(tc, &sc);
	} while (sp_now_us() < end && (sb.peers_seen < 2 || sc.peers_seen < 2));
	SP_CHECK_CMP(sb.peers_seen, >=, 2);
	SP_CHECK_CMP(sc.peers_seen, >=, 2);
	sp_session_free(c);
	sp_session_free(b);
	sp_session_free(a);
	teardown(&fx);
}

SP_TEST(pex_introduces_leechers)
{
	pex_introduces("127.0.0.1");
}

SP_TEST(pex_introduces_leechers_ipv6)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&lo, sizeof(lo)) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		SP_SKIP("no IPv6 loopback here");
	pex_introduces("::1");
}

static int raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	SP_CHECK_INT(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Read until the peer closes (returns true) or timeout. */
static bool closed_within(int fd, int ms, size_t *got)
{
	*got = 0;
	int64_t end = sp_now_us() + ms * 1000LL;
	while (sp_now_us() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		uint8_t buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return true;
		*got += (size_t)n;
	}
	return false;
}

static void send_handshake_fast(int fd, const struct sp_metainfo *mi, bool fast)
{
	uint8_t hs[68] = {19};
	if (fast)
		hs[20 + SP_WIRE_RESERVED_FAST_BYTE] |= SP_WIRE_RESERVED_FAST_BIT;
	memcpy(hs + 1, "BitTorrent protocol", 19);
	memcpy(hs + 28, mi->info_hash, 20);
	memcpy(hs + 48, "-XX0000-malformedpee", 20);
	SP_CHECK_INT(send(fd, hs, sizeof(hs), 0), 68);
	/* wait for its answer, so what follows is read as messages */
	uint8_t ans[68];
	size_t got = 0;
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	while (got < sizeof(ans) && sp_now_us() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		ssize_t n = recv(fd, ans + got, sizeof(ans) - got, 0);
		SP_CHECK_CMP(n, >, 0);
		got += (size_t)n;
	}
	SP_CHECK_UINT(got, 68);
	SP_CHECK_MEM(ans + 28, mi->info_hash, 20);
}

static void send_handshake(int fd, const struct sp_metainfo *mi)
{
	send_handshake_fast(fd, mi, false);
}

SP_TEST(malformed_peers_are_closed)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session *a = session(0);
	struct sp_metainfo *mi = mi_of(&fx);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi, fx.seed_dir, true, NULL);
	struct sp_torrent_stats st;
	SP_CHECK(wait_complete(ta, WAIT_S, &st));
	const struct sp_metainfo *m = sp_torrent_metainfo(ta);
	size_t got;
	/* 1: not BitTorrent at all. It could be an encrypted (MSE) opening
	 * until its first 96 + 532 bytes show no sync: then it is closed. */
	int fd = raw_connect(sp_session_port(a));
	char junk[700];
	memset(junk, 'x', sizeof(junk));
	memcpy(junk, "GET / HTTP/1.0\r\n", 16);
	SP_CHECK_INT(send(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	SP_CHECK(closed_within(fd, WAIT_S * 1000, &got));
	close(fd);
	/* 2: a valid handshake, then a 2 GB length: closed from the header */
	fd = raw_connect(sp_session_port(a));
	send_handshake(fd, m);
	static const uint8_t huge[5] = {0x7f, 0xff, 0xff, 0xff, 7};
	SP_CHECK_INT(send(fd, huge, 5, 0), 5);
	SP_CHECK(closed_within(fd, WAIT_S * 1000, &got));
	close(fd);
	/* 3: a have with a length of 3 */
	fd = raw_connect(sp_session_port(a));
	send_handshake(fd, m);
	static const uint8_t bad_have[7] = {0, 0, 0, 3, 4, 0, 0};
	SP_CHECK_INT(send(fd, bad_have, 7, 0), 7);
	SP_CHECK(closed_within(fd, WAIT_S * 1000, &got));
	close(fd);
	/* 4: a request for a piece that does not exist */
	fd = raw_connect(sp_session_port(a));
	send_handshake(fd, m);
	static const uint8_t bad_req[17] = {0, 0, 0, 13, 6, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x40, 0};
	SP_CHECK_INT(send(fd, bad_req, 17, 0), 17);
	SP_CHECK(closed_within(fd, WAIT_S * 1000, &got));
	close(fd);
	/* The session still serves a well-behaved peer. */
	fd = raw_connect(sp_session_port(a));
	send_handshake(fd, m);
	SP_CHECK(!closed_within(fd, 500, &got));
	close(fd);
	sp_session_free(a);
	teardown(&fx);
}

/* Read messages until one of type `want` (returned in *m, its bytes in
 * buf) or timeout; counts allowed-fast messages on the way. */
static bool read_until(int fd, struct sp_buf *in, int want, uint32_t np, struct sp_wire_msg *m,
		       int *allowed)
{
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	for (;;) {
		long n = sp_wire_parse(in->data, in->len, np, m);
		if (n > 0) {
			if (m->type == SP_WIRE_ALLOWED_FAST)
				(*allowed)++;
			if (m->type == want) {
				/* keep the bytes m points into: consume on the next call */
				static struct sp_buf keep;
				sp_buf_fini(&keep);
				sp_buf_init(&keep, 1 << 20);
				sp_buf_append(&keep, in->data, (size_t)n);
				sp_buf_consume(in, (size_t)n);
				sp_wire_parse(keep.data, keep.len, np, m);
				return true;
			}
			sp_buf_consume(in, (size_t)n);
			continue;
		}
		SP_CHECK_INT(n, -EAGAIN);
		if (sp_now_us() > end)
			return false;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		uint8_t buf[65536];
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			return false;
		SP_CHECK_INT(sp_buf_append(in, buf, (size_t)r), 0);
	}
}

/* BEP 6: a fast peer gets allowed-fast pieces it may fetch while choked;
 * other requests while choked are rejected explicitly. */
SP_TEST(fast_extension_while_choked)
{
	struct fixture fx;
	setup(&fx);
	struct sp_session_config cfg = {.bind_address = "127.0.0.1", .no_trackers = true,
					.upload_slots = 1};
	struct sp_session *a = sp_session_new(&cfg, NULL);
	SP_CHECK(a != NULL);
	struct sp_torrent *ta = sp_session_add_torrent(a, mi_of(&fx), fx.seed_dir, true, NULL);
	struct sp_torrent_stats st;
	SP_CHECK(wait_complete(ta, WAIT_S, &st));
	const struct sp_metainfo *m = sp_torrent_metainfo(ta);
	int fd = raw_connect(sp_session_port(a));
	send_handshake_fast(fd, m, true);
	struct sp_buf in;
	sp_buf_init(&in, 1 << 22);
	struct sp_wire_msg msg;
	int allowed = 0;
	/* a seed with the fast extension says have-all */
	SP_CHECK(read_until(fd, &in, SP_WIRE_HAVE_ALL, m->num_pieces, &msg, &allowed));
	SP_CHECK(read_until(fd, &in, SP_WIRE_ALLOWED_FAST, m->num_pieces, &msg, &allowed));
	uint32_t ok_piece = msg.index;
	/* find a piece outside the allowed set: ask for every piece's first
	 * block; the allowed one is served, the rest rejected */
	uint8_t ip[4] = {127, 0, 0, 1};
	uint32_t set[8];
	size_t k = sp_wire_allowed_fast(ip, m->info_hash, m->num_pieces, 8, set);
	SP_CHECK_UINT(k, 8);
	bool in_set = false;
	for (size_t i = 0; i < k; i++)
		in_set |= set[i] == ok_piece;
	SP_CHECK(in_set);
	uint32_t bad_piece = m->num_pieces;
	for (uint32_t pc = 0; pc < m->num_pieces && bad_piece == m->num_pieces; pc++) {
		bool hit = false;
		for (size_t i = 0; i < k; i++)
			hit |= set[i] == pc;
		if (!hit)
			bad_piece = pc;
	}
	struct sp_buf out;
	sp_buf_init(&out, 256);
	sp_wire_build_request(&out, SP_WIRE_REQUEST, bad_piece, 0, 16384);
	sp_wire_build_request(&out, SP_WIRE_REQUEST, ok_piece, 0, 16384);
	SP_CHECK_INT(send(fd, out.data, out.len, 0), (ssize_t)out.len);
	SP_CHECK(read_until(fd, &in, SP_WIRE_REJECT, m->num_pieces, &msg, &allowed));
	SP_CHECK_UINT(msg.index, bad_piece);
	SP_CHECK(read_until(fd, &in, SP_WIRE_PIECE, m->num_pieces, &msg, &allowed));
	SP_CHECK_UINT(msg.index, ok_piece);
	SP_CHECK_UINT(msg.data_len, 16384);
	SP_CHECK_MEM(msg.data, fx.data + (size_t)ok_piece * PIECE, 16384);
	SP_CHECK_CMP(allowed, >=, 1);
	close(fd);
	sp_buf_fini(&out);
	sp_buf_fini(&in);
	sp_session_free(a);
	teardown(&fx);
}

SP_TEST_MAIN()
