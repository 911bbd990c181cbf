/* choker.c - who we upload to (BEP 3 tit-for-tat, seeding while
 * watching). Net thread only.
 *
 * Rules: every RECHOKE_US the interested peers are ranked: while we
 * download, by how fast they give to us (tit-for-tat; a snubbing peer
 * ranks last); once we seed, by how fast they take from us, so the
 * pieces spread quickest. The best `upload_slots` are unchoked. One more
 * slot, the optimistic unchoke, rotates every OPTIMISTIC_US to a random
 * choked interested peer, so newcomers with nothing to give can start
 * and we discover faster partners. A peer that becomes interested while
 * a regular slot is free is unchoked at once rather than after up to
 * 10 s. Everyone else is choked. With LSD on (the kiosk), peers on the
 * local network rank first: a site's screens serve each other before
 * strangers on the internet. */
#include <stdlib.h>

#include "core/clock.h"
#include "net/lan_addr.h"
#include "net/peer.h"

#define RECHOKE_US 10000000
#define OPTIMISTIC_US 30000000
#define MAX_RANK 256

static int slots(const struct sp_torrent *t)
{
	return t->s->cfg.upload_slots > 0 ? t->s->cfg.upload_slots : SP_SESSION_DEFAULT_SLOTS;
}

static bool seeding(const struct sp_torrent *t)
{
	return sp_bitfield_full(&t->have);
}

#define LAN_FIRST 1e15 /* above any rate */

static double score(const struct sp_torrent *t, const struct sp_peer *p)
{
	double lan = t->s->cfg.lsd && sp_addr_is_lan((const struct sockaddr *)&p->addr)
			     ? LAN_FIRST
			     : 0;
	if (seeding(t))
		return lan + p->up_rate;
	return lan + (p->snubbed ? -1.0 : p->down_rate);
}

/* Scores are computed before sorting: qsort has no context argument, and
 * several sessions (net threads) may rechoke at once. */
struct ranked {
	double score;
	struct sp_peer *p;
};

static int by_score(const void *a, const void *b)
{
	double sx = ((const struct ranked *)a)->score, sy = ((const struct ranked *)b)->score;
	return sx < sy ? 1 : sx > sy ? -1 : 0;
}

static bool eligible(const struct sp_peer *p)
{
	return p->handshaked && !p->closing && p->peer_interested;
}

static void pick_optimistic(struct sp_torrent *t, struct sp_peer **skip, int nskip)
{
	struct sp_peer *pool[MAX_RANK];
	int n = 0;
	for (struct sp_peer *p = t->peers; p && n < MAX_RANK; p = p->next) {
		if (!eligible(p))
			continue;
		bool regular = false;
		for (int i = 0; i < nskip; i++)
			regular |= skip[i] == p;
		if (!regular)
			pool[n++] = p;
	}
	t->optimistic = n ? pool[rand() % n] : NULL;
}

void sp_choker_run(struct sp_torrent *t, int64_t now)
{
	sp_session_assert_loop(t->s);
	if (now - t->last_rechoke_us < RECHOKE_US)
		return;
	t->last_rechoke_us = now;
	struct ranked r[MAX_RANK];
	struct sp_peer *rank[MAX_RANK];
	int n = 0;
	for (struct sp_peer *p = t->peers; p && n < MAX_RANK; p = p->next)
		if (eligible(p))
			r[n++] = (struct ranked){score(t, p), p};
	qsort(r, (size_t)n, sizeof(r[0]), by_score);
	for (int i = 0; i < n; i++)
		rank[i] = r[i].p;
	int k = n < slots(t) ? n : slots(t);
	bool rotate = now - t->last_optimistic_us >= OPTIMISTIC_US;
	bool opt_regular = false;
	for (int i = 0; i < k; i++)
		opt_regular |= rank[i] == t->optimistic;
	if (rotate || !t->optimistic || opt_regular || !eligible(t->optimistic)) {
		pick_optimistic(t, rank, k);
		t->last_optimistic_us = now;
	}
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		bool keep = p == t->optimistic;
		for (int i = 0; i < k && !keep; i++)
			keep = rank[i] == p;
		sp_peer_set_choke(p, !keep);
	}
}

void sp_choker_interested(struct sp_torrent *t, struct sp_peer *p)
{
	if (!p->am_choking)
		return;
	int unchoked = 0;
	for (struct sp_peer *q = t->peers; q; q = q->next)
		if (!q->am_choking && q != t->optimistic && !q->closing)
			unchoked++;
	if (unchoked < slots(t))
		sp_peer_set_choke(p, false);
	else if (!t->optimistic) {
		t->optimistic = p;
		t->last_optimistic_us = sp_now_us();
		sp_peer_set_choke(p, false);
	}
}
