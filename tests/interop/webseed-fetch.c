/* webseed-fetch.c - a test helper: fetch every piece of a torrent from one
 * web seed through sp_webseed and check each piece's SHA-1 against the
 * torrent, for the interop scripts that run a real HTTP server.
 *
 *   webseed-fetch TORRENT URL [--window N] [--transfers N] [--span BYTES]
 *                 [--httpseed 1] [--retry 1]
 *
 * Keeps N blocks (default 64) requested, in piece order, as a session
 * would; --transfers and --span set the web seed's parallel requests and
 * request size (bench/webseed); --httpseed 1 speaks BEP 17 instead of
 * BEP 19; --retry 1 asks again for rejected blocks once the web seed is
 * usable (instead of giving up at the first fault). Prints "first block after T ms",
 * "verified V/P pieces, B bytes in S s" and every web seed
 * status; exits 0 when every piece verified, 1 otherwise (a fault, a bad
 * hash, or 60 s without progress). Single thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/metainfo.h"
#include "core/sha1.h"
#include "net/curlev.h"
#include "net/webseed.h"

#define BLOCK 16384

struct st {
	struct event_base *base;
	struct sp_webseed *ws;
	const struct sp_metainfo *mi;
	uint32_t *piece_got;
	uint8_t **pieces;
	uint32_t next_piece, next_off;
	uint32_t inflight, window;
	uint32_t verified, bad, errors;
	uint64_t bytes;
	int64_t last_progress_us;
	int64_t first_us;
	bool retry;
	struct blk { uint32_t piece, off, len; } *again; /* rejected, to ask again */
	size_t nagain;
};

static void fill(struct st *s);

static void on_block(void *arg, struct sp_webseed *ws, uint32_t piece, uint32_t off,
		     const uint8_t *data, uint32_t len)
{
	struct st *s = arg;
	s->inflight--;
	if (!s->bytes)
		s->first_us = sp_now_us();
	s->bytes += len;
	s->last_progress_us = sp_now_us();
	if (!s->pieces[piece])
		s->pieces[piece] = malloc(s->mi->piece_length);
	memcpy(s->pieces[piece] + off, data, len);
	s->piece_got[piece] += len;
	if (s->piece_got[piece] == sp_metainfo_piece_size(s->mi, piece)) {
		uint8_t h[SP_SHA1_LEN];
		sp_sha1(s->pieces[piece], s->piece_got[piece], h);
		if (memcmp(h, s->mi->piece_hashes + 20 * (size_t)piece, 20)) {
			printf("piece %u: bad SHA-1\n", piece);
			s->bad++;
		} else {
			s->verified++;
		}
		free(s->pieces[piece]);
		s->pieces[piece] = NULL;
	}
	fill(s);
	if (s->verified + s->bad == s->mi->num_pieces)
		event_base_loopbreak(s->base);
}

static void on_reject(void *arg, struct sp_webseed *ws, uint32_t piece, uint32_t off,
		      uint32_t len)
{
	struct st *s = arg;
	s->inflight--;
	if (!s->retry) {
		event_base_loopbreak(s->base);
		return;
	}
	struct blk *a = realloc(s->again, (s->nagain + 1) * sizeof(*a));
	if (!a) {
		event_base_loopbreak(s->base);
		return;
	}
	s->again = a;
	s->again[s->nagain++] = (struct blk){piece, off, len};
}

static void on_status(void *arg, struct sp_webseed *ws, const char *msg, bool is_error)
{
	struct st *s = arg;
	printf("%s %s\n", is_error ? "error" : "status", msg);
	s->errors += is_error;
}

/* Keep `window` blocks requested, in torrent order. */
static void fill(struct st *s)
{
	while (s->inflight < s->window && s->next_piece < s->mi->num_pieces) {
		uint32_t psz = sp_metainfo_piece_size(s->mi, s->next_piece);
		uint32_t len = psz - s->next_off < BLOCK ? psz - s->next_off : BLOCK;
		if (sp_webseed_request(s->ws, s->next_piece, s->next_off, len) < 0)
			return;
		s->inflight++;
		s->next_off += len;
		if (s->next_off == psz) {
			s->next_piece++;
			s->next_off = 0;
		}
	}
}

static void on_watchdog(evutil_socket_t fd, short w, void *arg)
{
	struct st *s = arg;
	/* in the order they were rejected (that is, asked), so they coalesce */
	size_t done = 0;
	while (done < s->nagain && sp_webseed_usable(s->ws)) {
		struct blk *b = &s->again[done];
		if (sp_webseed_request(s->ws, b->piece, b->off, b->len) < 0)
			break;
		s->inflight++;
		done++;
	}
	memmove(s->again, s->again + done, (s->nagain - done) * sizeof(*s->again));
	s->nagain -= done;
	if (sp_webseed_usable(s->ws))
		fill(s);
	if (sp_now_us() - s->last_progress_us > 60 * 1000000LL) {
		printf("error no progress for 60 s\n");
		event_base_loopbreak(s->base);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: webseed-fetch TORRENT URL [--window N]\n");
		return 2;
	}
	struct st s = {.window = 64};
	struct sp_webseed_config cfg;
	sp_webseed_config_default(&cfg);
	bool httpseed = false;
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--window"))
			s.window = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--transfers"))
			cfg.max_transfers = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--span"))
			cfg.max_span = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--httpseed"))
			httpseed = atoi(argv[i + 1]) != 0;
		else if (!strcmp(argv[i], "--retry"))
			s.retry = atoi(argv[i + 1]) != 0;
	}
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(argv[1], &err);
	if (!mi) {
		fprintf(stderr, "%s: %s\n", argv[1], sp_error_msg(err));
		return 1;
	}
	s.mi = mi;
	s.piece_got = calloc(mi->num_pieces, sizeof(*s.piece_got));
	s.pieces = calloc(mi->num_pieces, sizeof(*s.pieces));
	s.base = event_base_new();
	struct sp_curlev *curl = sp_curlev_new(s.base);
	struct sp_webseed_callbacks cb = {.ctx = &s, .on_block = on_block, .on_reject = on_reject,
					  .on_status = on_status};
	s.ws = (httpseed ? sp_webseed_new_httpseed : sp_webseed_new)(curl, mi, argv[2], &cb, &cfg,
								    &err);
	if (!s.ws) {
		fprintf(stderr, "%s: %s\n", argv[2], sp_error_msg(err));
		return 1;
	}
	struct event *wd = event_new(s.base, -1, EV_PERSIST, on_watchdog, &s);
	struct timeval tv = {0, 100000};
	event_add(wd, &tv);
	int64_t t0 = sp_now_us();
	s.last_progress_us = t0;
	fill(&s);
	event_base_dispatch(s.base);
	double secs = (double)(sp_now_us() - t0) / 1e6;
	if (s.first_us)
		printf("first block after %.1f ms\n", (double)(s.first_us - t0) / 1000);
	printf("verified %u/%u pieces, %llu bytes in %.2f s (%.1f MB/s)\n", s.verified,
	       mi->num_pieces, (unsigned long long)s.bytes, secs, (double)s.bytes / secs / 1e6);
	int ok = s.verified == mi->num_pieces && !s.bad && (s.retry || !s.errors);
	event_free(wd);
	sp_webseed_free(s.ws);
	sp_curlev_free(curl);
	event_base_free(s.base);
	for (uint32_t i = 0; i < mi->num_pieces; i++)
		free(s.pieces[i]);
	free(s.pieces);
	free(s.piece_got);
	free(s.again);
	sp_metainfo_free(mi);
	return ok ? 0 : 1;
}
