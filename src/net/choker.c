/* choker.c - who we upload to (seeding while watching). Net thread only.
 *
 * The decision is sp_choker_rank's (choker_rank.c, pure, property
 * tested); this file gathers what we know of each peer and applies it.
 * Two rankings:
 *   - BEP 3 tit-for-tat (no stream plays from the torrent: download,
 *     seed): every RECHOKE_US the interested peers are ranked, while we
 *     download by how fast they give to us (a snubbing peer last), once we
 *     seed by how fast they take from us; the best `upload_slots` (4) are
 *     unchoked, plus one optimistic slot rotating every OPTIMISTIC_US;
 *   - video on demand, Give-to-Get (a stream plays: the picker knows its
 *     bitrate; issue 10): every VOD_RECHOKE_US, peers behind us first (we
 *     have what they need soonest; behind in playback when we both know
 *     where the other plays, sp_playpos, and then the nearest behind
 *     first, else behind in pieces), those that pass on what we give them
 *     (`forwarded`: HAVEs of others for pieces that we sent them) before
 *     the rest, then the others by what they give us; slots sized to the
 *     uplink (one per half a bitrate of measured or capped upload, 2 to
 *     16) unless --upload-slots says; a newcomer takes the optimistic slot
 *     at once; a peer that gives nothing and needs nothing of us is served
 *     only from slots nobody better wants (spare capacity).
 * With LSD on (the kiosk), peers on the local network rank first in
 * either: a site's screens serve each other before strangers.
 * A peer that becomes interested while a regular slot is free is
 * unchoked at once rather than at the next rechoke. Everyone else is
 * choked. */
#include <stdlib.h>

#include "core/clock.h"
#include "net/choker_rank.h"
#include "net/lan_addr.h"
#include "net/peer.h"
#include "picker/picker.h"

#define RECHOKE_US 10000000
#define VOD_RECHOKE_US 2000000
#define OPTIMISTIC_US 30000000
#define MAX_RANK 256

static bool eligible(const struct sp_peer *p)
{
	return p->handshaked && !p->closing && p->peer_interested;
}

/* The stream's bitrate, bytes/s: > 0 while a stream plays (VoD). */
static double vod_bitrate(const struct sp_torrent *t)
{
	return t->picker ? sp_picker_bitrate(t->picker) : 0;
}

static void fill_in(const struct sp_torrent *t, int64_t now, struct sp_choker_in *in)
{
	double cap = (double)t->s->cfg.upload_rate_limit;
	*in = (struct sp_choker_in){
		.seeding = sp_bitfield_full(&t->have),
		.bitrate = vod_bitrate(t),
		.slots = t->s->cfg.upload_slots > 0 ? (uint32_t)t->s->cfg.upload_slots : 0,
		.rotate = now - t->last_optimistic_us >= OPTIMISTIC_US,
		.random = (uint64_t)rand(),
	};
	in->vod = in->bitrate > 0;
	/* the capped rate, else what we measured (0 at first: 4 slots) */
	in->uplink = cap > 0 && (cap < t->up_rate || t->up_rate <= 0) ? cap : t->up_rate;
	if (!in->vod && !in->slots)
		in->slots = SP_SESSION_DEFAULT_SLOTS;
}

/* Where we play (a piece) and at what rate, as we tell our peers:
 * false when no stream plays. */
static bool our_playpos(const struct sp_torrent *t, uint32_t *piece, double *rate)
{
	if (!t->picker)
		return false;
	uint64_t off = sp_picker_play_offset(t->picker, sp_now_us(), rate);
	*piece = off == UINT64_MAX ? 0 : (uint32_t)(off / t->mi->piece_length);
	return off != UINT64_MAX && *rate > 0;
}

/* Is p behind us, and by how many seconds (0: unknown)? By where we
 * both play when both are known (sp_playpos), else by what we have. */
static bool behind(const struct sp_torrent *t, struct sp_peer *p, int64_t now, bool known,
		   uint32_t mine, double rate, double *lag_s)
{
	uint32_t theirs = known ? sp_playpos_of(p, now) : SP_PLAYPOS_NONE;
	*lag_s = 0;
	if (theirs == SP_PLAYPOS_NONE)
		return p->have.count < t->have.count;
	if (theirs >= mine)
		return false;
	*lag_s = (double)(mine - theirs) * (double)t->mi->piece_length / rate;
	return true;
}

static size_t fill_cands(const struct sp_torrent *t, int64_t now, struct sp_choker_cand *c,
			 struct sp_peer **by_id)
{
	size_t n = 0;
	uint32_t mine = 0;
	double rate = 0;
	bool known = our_playpos(t, &mine, &rate);
	for (struct sp_peer *p = t->peers; p && n < MAX_RANK; p = p->next) {
		if (!p->handshaked || p->closing)
			continue;
		by_id[n] = p;
		double lag = 0;
		bool back = behind(t, p, now, known, mine, rate, &lag);
		c[n] = (struct sp_choker_cand){
			.id = (uint32_t)n + 1,
			.interested = eligible(p),
			.unchoked = !p->am_choking,
			.snubbed = p->snubbed,
			.behind = back,
			.lag_s = lag,
			.down_rate = p->down_rate,
			.up_rate = p->up_rate,
			.lan = t->s->cfg.lsd && sp_addr_is_lan((const struct sockaddr *)&p->addr),
			.forwarded = p->forwarded,
			.age_s = (double)(now - p->connected_us) / 1e6,
		};
		n++;
	}
	return n;
}

static void rechoke(struct sp_torrent *t, int64_t now)
{
	static _Thread_local struct sp_choker_cand c[MAX_RANK];
	struct sp_peer *by_id[MAX_RANK];
	uint32_t out[SP_CHOKER_MAX_SLOTS + 1];
	struct sp_choker_in in;
	fill_in(t, now, &in);
	size_t n = fill_cands(t, now, c, by_id);
	uint32_t opt = 0;
	for (size_t i = 0; i < n; i++)
		if (by_id[i] == t->optimistic)
			opt = (uint32_t)i + 1;
	uint32_t was = opt;
	size_t k = sp_choker_rank(&in, c, n, out, &opt);
	if (opt != was || in.rotate)
		t->last_optimistic_us = now;
	t->optimistic = opt ? by_id[opt - 1] : NULL;
	bool keep[MAX_RANK] = {false};
	for (size_t i = 0; i < k; i++)
		keep[out[i] - 1] = true;
	for (size_t i = 0; i < n; i++)
		sp_peer_set_choke(by_id[i], !keep[i]);
	/* peers past MAX_RANK (never in practice): choked */
	size_t i = 0;
	for (struct sp_peer *p = t->peers; p; p = p->next)
		if (p->handshaked && !p->closing && i++ >= n)
			sp_peer_set_choke(p, true);
}

void sp_choker_run(struct sp_torrent *t, int64_t now)
{
	sp_session_assert_loop(t->s);
	int64_t every = vod_bitrate(t) > 0 ? VOD_RECHOKE_US : RECHOKE_US;
	if (now - t->last_rechoke_us < every)
		return;
	t->last_rechoke_us = now;
	rechoke(t, now);
}

void sp_choker_interested(struct sp_torrent *t, struct sp_peer *p)
{
	if (!p->am_choking)
		return;
	struct sp_choker_in in;
	int64_t now = sp_now_us();
	fill_in(t, now, &in);
	uint32_t unchoked = 0;
	for (struct sp_peer *q = t->peers; q; q = q->next)
		if (!q->am_choking && q != t->optimistic && !q->closing)
			unchoked++;
	if (unchoked < sp_choker_slots(&in)) {
		sp_peer_set_choke(p, false);
		return;
	}
	/* VoD: a newcomer takes the optimistic slot at once from a peer that
	 * had it for a while (it has nothing to trade yet, and needs the
	 * start of the stream now) */
	bool young = (double)(now - p->connected_us) / 1e6 < SP_CHOKER_NEW_S;
	bool old_opt = t->optimistic &&
		       (double)(now - t->last_optimistic_us) / 1e6 >= SP_CHOKER_NEW_S;
	if (!t->optimistic || (in.vod && young && old_opt)) {
		if (t->optimistic)
			sp_peer_set_choke(t->optimistic, true);
		t->optimistic = p;
		t->last_optimistic_us = now;
		sp_peer_set_choke(p, false);
	}
}

void sp_choker_have(struct sp_torrent *t, struct sp_peer *q, uint32_t piece)
{
	/* Give-to-Get: q announces a piece that we did not send it; those we
	 * sent it to may have passed it on: a share of the credit each */
	if (sp_bitfield_get(&q->handed, piece))
		return;
	int n = 0;
	for (struct sp_peer *p = t->peers; p; p = p->next)
		n += p != q && sp_bitfield_get(&p->handed, piece);
	if (!n)
		return;
	for (struct sp_peer *p = t->peers; p; p = p->next)
		if (p != q && sp_bitfield_get(&p->handed, piece))
			p->forwarded += 1.0 / n;
}
