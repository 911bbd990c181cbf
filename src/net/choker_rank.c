/* choker_rank.c - the choker's decision as a pure function (see
 * choker_rank.h). Invariants: the result holds only interested
 * candidates, each once, at most slots + 1 of them; the same inputs give
 * the same result. Any thread; no state. */
#include "net/choker_rank.h"

#include <stdlib.h>

struct ranked {
	double key1, key2;
	uint32_t idx;
};

static int by_keys(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->key1 != y->key1)
		return x->key1 < y->key1 ? 1 : -1;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? 1 : -1;
	return x->idx > y->idx ? 1 : x->idx < y->idx ? -1 : 0;
}

uint32_t sp_choker_slots(const struct sp_choker_in *in)
{
	if (in->slots)
		return in->slots > SP_CHOKER_MAX_SLOTS ? SP_CHOKER_MAX_SLOTS : in->slots;
	if (!in->vod || in->uplink <= 0 || in->bitrate <= 0)
		return 4;
	double k = in->uplink / (SP_CHOKER_SLOT_X * in->bitrate);
	if (k < SP_CHOKER_MIN_SLOTS)
		return SP_CHOKER_MIN_SLOTS;
	return k > SP_CHOKER_MAX_SLOTS ? SP_CHOKER_MAX_SLOTS : (uint32_t)k;
}

#define LAN_FIRST 1e15 /* above any rate and the VoD classes */
#define LAG_MAX_S 1e9  /* keeps the class of known lags above the others */

static void keys(const struct sp_choker_in *in, const struct sp_choker_cand *c,
		 struct ranked *r)
{
	double lan = c->lan ? LAN_FIRST : 0;
	if (!in->vod) {
		r->key1 = lan + (in->seeding ? c->up_rate : c->snubbed ? -1.0 : c->down_rate);
		r->key2 = 0;
		return;
	}
	/* Give-to-Get: those behind us need what we have; among them the
	 * ones that pass it on first, so that our uplink feeds the swarm.
	 * Where they play known (sp_playpos), the nearest behind us first: it
	 * needs our newest pieces soonest and is the next link of the chain
	 * to those behind it. */
	if (c->behind && c->lag_s > 0) {
		double lag = c->lag_s < LAG_MAX_S ? c->lag_s : LAG_MAX_S;
		r->key1 = lan + 2e12 - lag;
		r->key2 = c->forwarded;
		return;
	}
	r->key1 = lan + (c->behind ? 1e12 + c->forwarded : c->snubbed ? -1.0 : c->down_rate);
	r->key2 = c->behind ? c->down_rate + c->up_rate : c->forwarded;
}

static bool listed(const uint32_t *out, size_t k, uint32_t id)
{
	for (size_t i = 0; i < k; i++)
		if (out[i] == id)
			return true;
	return false;
}

size_t sp_choker_rank(const struct sp_choker_in *in, const struct sp_choker_cand *c, size_t n,
		      uint32_t *out, uint32_t *optimistic)
{
	struct ranked stackr[64], *r = n <= 64 ? stackr : malloc(n * sizeof(*r));
	size_t m = 0, k = 0;
	if (!r)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].interested) {
			keys(in, &c[i], &r[m]);
			r[m++].idx = (uint32_t)i;
		}
	qsort(r, m, sizeof(*r), by_keys);
	uint32_t slots = sp_choker_slots(in);
	for (size_t i = 0; i < m && k < slots; i++)
		out[k++] = c[r[i].idx].id;
	/* the optimistic slot: kept while it is still a candidate out of the
	 * regular slots, unless it is time to rotate */
	bool keep = false;
	for (size_t i = 0; i < m && !in->rotate; i++)
		keep |= c[r[i].idx].id == *optimistic && !listed(out, k, *optimistic);
	if (!keep) {
		uint32_t pool[64], np = 0, young = 0;
		for (size_t i = 0; i < m && np < 64; i++) {
			const struct sp_choker_cand *x = &c[r[i].idx];
			if (listed(out, k, x->id))
				continue;
			bool fresh = in->vod && x->age_s < SP_CHOKER_NEW_S;
			if (fresh && young < np) { /* newcomers first */
				pool[np++] = pool[young];
				pool[young++] = x->id;
			} else {
				pool[np++] = x->id;
				young += fresh;
			}
		}
		uint32_t span = young ? young : np;
		*optimistic = np ? pool[in->random % span] : 0;
	}
	if (*optimistic)
		out[k++] = *optimistic;
	if (r != stackr)
		free(r);
	return k;
}
