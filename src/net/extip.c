/* extip.c - votes for our external address (see extip.h). Pure; the
 * caller's thread. */
#include "net/extip.h"

#include <string.h>

#include "net/dht_sec.h"

void sp_extip_init(struct sp_extip *e, size_t family_len)
{
	memset(e, 0, sizeof(*e));
	e->len = family_len == 16 ? 16 : 4;
	e->best = -1;
}

const uint8_t *sp_extip_get(const struct sp_extip *e)
{
	return e->best >= 0 ? e->cand[e->best].ip : NULL;
}

static bool plausible(const uint8_t *ip, size_t len)
{
	static const uint8_t zero[16];
	if (!memcmp(ip, zero, len))
		return false;
	return len == 4 ? ip[0] < 224 && ip[0] != 0 : ip[0] != 0xff;
}

/* Has this voter voted lately? If not, remember it. */
static bool voted(struct sp_extip *e, const uint8_t *voter, uint16_t port)
{
	struct sp_extip_key k = {.len = e->len};
	memcpy(k.a, voter, e->len);
	if (sp_bep42_exempt(voter, e->len)) {
		k.a[e->len] = (uint8_t)(port >> 8);
		k.a[e->len + 1] = (uint8_t)port;
		k.len += 2;
	}
	unsigned n = e->nvoters < SP_EXTIP_VOTERS ? e->nvoters : SP_EXTIP_VOTERS;
	for (unsigned i = 0; i < n; i++)
		if (e->voters[i].len == k.len && !memcmp(e->voters[i].a, k.a, k.len))
			return true;
	e->voters[e->nvoters++ % SP_EXTIP_VOTERS] = k;
	if (e->nvoters >= 2 * SP_EXTIP_VOTERS) /* keep the ring index bounded */
		e->nvoters -= SP_EXTIP_VOTERS;
	return false;
}

static int cand_slot(struct sp_extip *e, const uint8_t *ip)
{
	int weakest = 0;
	for (int i = 0; i < e->ncand; i++) {
		if (!memcmp(e->cand[i].ip, ip, e->len))
			return i;
		if (e->cand[i].votes < e->cand[weakest].votes)
			weakest = i;
	}
	int s = e->ncand < SP_EXTIP_CANDS ? e->ncand++ : weakest;
	if (s == e->best) /* never evict the decided one: let it be outvoted */
		return -1;
	memcpy(e->cand[s].ip, ip, e->len);
	e->cand[s].votes = 0;
	return s;
}

bool sp_extip_vote(struct sp_extip *e, enum sp_extip_source src, const uint8_t *ip,
		   const uint8_t *voter, uint16_t voter_port)
{
	if (!plausible(ip, e->len))
		return false;
	int add = 1;
	if (src == SP_EXTIP_ROUTER)
		add = sp_bep42_exempt(ip, e->len) ? 0 : SP_EXTIP_MIN_VOTES;
	else if (!voter || voted(e, voter, voter_port))
		add = 0;
	if (!add)
		return false;
	int s = cand_slot(e, ip);
	if (s < 0)
		return false;
	e->cand[s].votes += add;
	if (e->cand[s].votes >= SP_EXTIP_CAP)
		for (int i = 0; i < e->ncand; i++)
			e->cand[i].votes /= 2;
	int best = -1;
	for (int i = 0; i < e->ncand; i++)
		if (e->cand[i].votes >= SP_EXTIP_MIN_VOTES &&
		    (best < 0 || e->cand[i].votes > e->cand[best].votes))
			best = i;
	/* the decided address stays until another has strictly more votes */
	if (e->best >= 0 && best >= 0 && best != e->best &&
	    e->cand[best].votes <= e->cand[e->best].votes)
		best = e->best;
	if (best < 0 || best == e->best)
		return false;
	e->best = best;
	e->changes++;
	return true;
}
