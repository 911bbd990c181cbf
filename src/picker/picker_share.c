/* picker_share.c - rule 15's slices (share mode, the kiosks of a site):
 * the screens that download one video at once each take their own slice
 * of the pieces to fetch from outside the site, so that no two ask the
 * seed or the web seed for the same piece (what one asked and has not
 * received yet is invisible to the others).
 *
 * The partners are the LAN peers the owner names (sp_picker_source_partner)
 * with a key computed from their peer id as our share_seed is from ours
 * (sp_picker_share_key): sorted by key, this client and its m - 1
 * partners that are still downloading take rank k, each the same on every
 * screen that sees the same partners. Pure logic; owner's thread. */
#include "picker/picker_int.h"

uint64_t sp_picker_share_key(const uint8_t peer_id[20], const uint8_t info_hash[20])
{
	uint64_t key = 0;
	for (int i = 0; i < 8; i++)
		key = key << 8 | (uint8_t)(peer_id[12 + i] ^ info_hash[i]);
	return key | 1; /* never 0: 0 is "not a partner" */
}

void sp_picker_source_partner(struct sp_picker *p, uint32_t id, uint64_t key)
{
	struct pk_source *s = pk_find(p, id);
	if (s)
		s->share_key = key;
}

/* This call's slice: p->sh_k of p->sh_m (1: no partner, no slices; the
 * partners are the site's screens, in share mode only). */
void pk_share_slice(struct sp_picker *p)
{
	uint32_t *k = &p->sh_k, *m = &p->sh_m;
	*k = 0;
	*m = 1;
	uint64_t ours = p->cfg.share_seed;
	if (!ours)
		return;
	for (uint32_t i = 0; i < p->nsrc; i++) {
		const struct pk_source *s = p->src[i];
		uint64_t key = s->share_key;
		if (!key || s->have_all || s->kind != SP_SOURCE_PEER || key == ours)
			continue;
		(*m)++;
		if (key < ours)
			(*k)++;
	}
}

/* How far piece's slice is from ours: 0 ours, m - 1 the farthest. */
uint32_t pk_share_dist(const struct sp_picker *p, uint32_t piece)
{
	return (p->sh_k + p->sh_m - piece % p->sh_m) % p->sh_m;
}
