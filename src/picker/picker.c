/* picker.c - the deadline piece picker: events and request bookkeeping.
 *
 * Pure logic: no sockets, no clock. One owner (the net thread, or the
 * simulator, or a test). The policy itself lives in picker_next.c; the two
 * baselines the simulator compares against in picker_base.c.
 *
 * The rules (as btpd writes its own at the top of its picker):
 *
 *  1. Every piece ahead of a reader's cursor, up to the window end, has a
 *     deadline: the time the reader reported the cursor, plus its lead (the
 *     seconds of media its consumer has read but not played: the player's
 *     packet queues), plus the piece's distance from the cursor at the
 *     reader's bitrate. Deadlines thus follow playback, not the demuxer's
 *     read-ahead. With several readers (the demuxer reading an mp4's moov
 *     at the end while playing from the start) a piece takes its earliest
 *     deadline.
 *  2. The window is PK_WIN_MIN_S seconds of video plus PK_WIN_GAIN_S times
 *     (download rate / bitrate), at most PK_WIN_MAX_S: a fast swarm buffers
 *     far ahead, a slow one spends everything on what is next.
 *  3. Inside the windows, earliest deadline first. Each block goes to the
 *     source expected to deliver it soonest: now + RTT + (its queued and
 *     reserved bytes + the block) / its rate. If that source's pipeline is
 *     full the block is reserved on it (counted in its queue) and no other
 *     source takes it: slow sources end up with the far deadlines, fast ones
 *     with the near ones. Snubbed sources count as four times slower.
 *  4. A block due within PK_RESCUE_HORIZON_S whose request is expected
 *     after its deadline (minus PK_HEDGE_SLACK_US) goes to the source that
 *     would deliver it clearly sooner, if any: moved (cancel, re-request)
 *     while its source has not committed it, or asked again (a hedge) if
 *     it has. A request is committed when it is the one being sent, or
 *     when fewer bytes are queued ahead of it than the source's committed
 *     depth: the deepest block it sent after our CANCEL (libtorrent fills
 *     a send buffer, the socket holds more; a cancel cannot stop those).
 *     A hedge takes a block's time from a distinct block, so it is made
 *     only from spare capacity: while the measured peers bring
 *     PK_HEDGE_SPARE_X times the bitrate, or one is not measured yet, or
 *     to a fallback server (its time is not the peers'); on a tight swarm
 *     every pipe stays full of distinct blocks instead. At most
 *     PK_MAX_COPIES copies, and hedges only while the duplicate bytes
 *     requested stay under hedge_budget x bytes received (plus
 *     PK_HEDGE_FLOOR). When the first copy lands the others are cancelled.
 *  5. Web seeds have everything and never choke. In fallback mode they get
 *     only window blocks due within PK_WS_HORIZON_S that no peer is expected
 *     to deliver before the deadline; within PK_WS_START_S while no usable
 *     peer has a measured rate yet (at the start, the peers' speed is
 *     unknown: a fast server must not take the whole video in the moment
 *     before they unchoke us); a queued block a peer can bring in time is
 *     given back to the peer (cancelled at the server), and what the server
 *     holds outside its horizon is cancelled. After PK_WS_GRACE_US with no
 *     usable peer they are ordinary sources (a torrent served only by HTTP
 *     still downloads, with or without a reader); in always mode they are
 *     ordinary sources; in never mode they get nothing. A due block a
 *     server has not started after PK_RACE_AFTER_US is raced to a peer
 *     (and the other way round) while the holder is unmeasured. While
 *     the peers together bring PK_WS_PATIENT_X times the bitrate (or one
 *     of them is not measured yet), a free
 *     block a peer would bring late goes to a fallback server only once it
 *     is due within the server's time + PK_WS_MARGIN_S (a peer ramping up
 *     usually catches up first).
 *  6. Outside the windows, while a reader has less than PK_RARE_BUFFER_S
 *     buffered, a source with room left takes the pieces just past the
 *     windows in order (a slow swarm spends everything on what is next).
 *     Otherwise it continues the partial pieces it has (from a rotating
 *     start), then starts the rarest piece it has; and rare_share of each
 *     pipeline is kept for that even while the windows need blocks, so
 *     that we always have something to upload.
 *  7. Each source's pipeline is its bandwidth-delay product: rate x (RTT +
 *     PK_PIPE_MARGIN_S) in blocks, plus one, within [PK_MIN_DEPTH, its
 *     max requests]; PK_UNKNOWN_DEPTH until a rate is known; one request
 *     while snubbed. A shallow pipeline at a slow source keeps urgent
 *     blocks from queueing behind others there. Rates and RTTs come from
 *     the caller, or else from our own measure of arrivals; a source never
 *     measured counts as slow (PK_UNKNOWN_CHOOSE_RATE) when choosing. A
 *     source's rate is the higher of the caller's (what arrived, which is
 *     also only what we asked for) and ours (bytes over busy time).
 *  8. A request outstanding longer than max(2 s, 4 x its expected time),
 *     at a source that has sent nothing for max(2 s, 4 x one block's time),
 *     is lost: it is cancelled, its block is free again, and its source is
 *     snubbed (one request at a time) until it delivers something.
 *  9. A seek (a cursor moving by more than PK_SEEK_SLACK or two pieces,
 *     backwards or forwards) cancels every request outside every window in
 *     the next call, which also requests the new window.
 * 10. Endgame, at the real end only (no block is free): a source with room
 *     duplicates an outstanding block when it would deliver it clearly
 *     sooner than its holder, within rule 4's price (spare capacity, the
 *     budget, two copies); with a reader only outside every window (a late
 *     window block is rule 4's, one on time needs no copy).
 * 11. A piece whose blocks are all in is asked for nothing more until it
 *     is verified or failed; other copies still out are cancelled.
 * 12. A piece that failed its hash is on parole: all its blocks then come
 *     from one source, so that if it fails again we know whom to blame. A
 *     source that alone sent a failed piece is never asked again, nor the
 *     only one that sent a block of every failed piece (three or more).
 * 13. In a swarm of viewers the seeds (have-all peers: the stream's
 *     source, whose uplink all the viewers share) are patient sources,
 *     as a fallback web seed is in rule 5 (picker_relay.c): while the
 *     usable peers that are not seeds (relays) bring PK_SEED_PATIENT_X
 *     times the bitrate (or one is not measured yet), a window block goes
 *     to a seed only when no relay that has it is expected to bring it
 *     PK_SEED_SLACK_S before its deadline (nor sooner than the seed); a
 *     block only seeds have
 *     goes to one only once it is due within the seed's time +
 *     PK_SEED_MARGIN_S if a relay holds a piece between our cursor and it
 *     (another viewer at that frontier: the one due soonest asks the
 *     seed, the others get the piece from it); and a patient seed gets
 *     no outside-window work (rule 6). The source then sends each piece
 *     about once. A relay the owner trusts (sp_picker_source_trust: a
 *     viewer that plays ahead) counts until measured as bringing the
 *     rate given, when choosing (rule 3) and here, not as a slow unknown:
 *     the first blocks go to it, not to a source shared by every viewer.
 *     A seed that hands out holds a request for a piece a viewer already
 *     has (peer_up.c): a block a patient seed has not sent
 *     PK_SEED_HELD_US past its time (round trip, what was queued ahead,
 *     the block), of a piece a relay has and brings before the deadline
 *     (or before the hold ends), is moved to that relay, at once when that
 *     time would leave the relay under PK_SEED_HELD_LATE_US before the
 *     deadline (picker_next.c's reclaim_held). A block only
 *     seeds have is not asked of one while a viewer that plays ahead of
 *     us (sp_picker_source_plays), and has been seen to deliver, would
 *     have it and pass it on PK_SEED_LEAD_SLACK_S before its deadline
 *     (and before the seed's own time for the piece): it needs the piece
 *     sooner, asks first, and the seed would hold our request for it.
 *     Off with seed_patience < 0.
 * 14. A piece the owner does not want (sp_picker_set_wanted: no file it
 *     plays or keeps) is fetched only inside a reader's window, never by
 *     rule 6: a player downloads the files it plays, not the whole
 *     torrent. The endgame (rule 10) then never comes.
 * 15. Share mode (share_seed, the kiosks of a site with LSD): pieces of
 *     equal availability are walked in an order shuffled per client, and
 *     outside the windows a seed or a web seed (the source beyond the
 *     site's WAN link) is given only pieces that no usable peer has
 *     (while one is there), at most PK_SHARE_SEED_OUT blocks at a time
 *     (what is asked and not yet received is invisible to the others:
 *     picker_rare.c); in the windows, the peers are rule 13's relays
 *     from their first moment (screens that boot together play in
 *     step: none would be measured before each asked the seed for the
 *     same first window), and a piece only seeds have is asked of them
 *     up to PK_SHARE_SPREAD_S earlier than rule 13's margin, each client
 *     its own per piece (picker_next.c): one asks first, the others
 *     take the piece from it. With partners (the screens of the site the
 *     owner names, sp_picker_source_partner, still downloading), the
 *     pieces are cut in slices (picker_share.c): screen k of m, ranked
 *     by share key, asks a seed outside the windows only for pieces
 *     i % m == k that no peer has, in index order, then helps the next
 *     rank's slice from its end down (so nothing waits on a screen gone
 *     quiet); a piece partly received is finished from a seed only if
 *     no peer has it; at the frontier the piece's slice owner asks
 *     PK_SHARE_SPREAD_S early and the others at most half as early; and
 *     the endgame (rule 10) copies nothing from a seed. Screens that
 *     download the same video at once fetch different pieces from
 *     outside and trade them on the LAN: the WAN carries each piece
 *     about once.
 *
 * Every block that comes and is not wanted is counted by cause
 * (enum sp_picker_waste): the excess copy's origin (hedge, endgame, a
 * rescue's move) whichever copy lost, or the cancel it came after.
 *
 * Invariants (picker_check.c checks them all): free_blocks counts the blocks of needed, non-ready pieces that
 * are neither received nor requested; every pk_req has its block's request
 * count included in the block state; a choked (or, in fallback, undeserving)
 * source is never sent a request. */
#include "picker/picker_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint32_t pk_piece_len(const struct sp_picker *p, uint32_t piece)
{
	return piece + 1 == p->cfg.num_pieces ? p->last_piece_len : p->cfg.piece_length;
}

uint32_t pk_nblocks(const struct sp_picker *p, uint32_t piece)
{
	return (pk_piece_len(p, piece) + SP_PICKER_BLOCK - 1) / SP_PICKER_BLOCK;
}

uint32_t pk_block_len(const struct sp_picker *p, uint32_t piece, uint32_t block)
{
	uint32_t len = pk_piece_len(p, piece), off = block * SP_PICKER_BLOCK;
	return len - off < SP_PICKER_BLOCK ? len - off : SP_PICKER_BLOCK;
}

/* ---- availability order: pieces sorted by how many peers have them ----
 *
 * order[0, nneed) holds the pieces we still need, sorted by availability in
 * buckets: bucket a is order[bstart[a], bstart[a + 1]) (the last bucket ends
 * at nneed); order[nneed, n) the pieces we have, so that rarest first never
 * walks over them. A change of availability swaps a piece to the edge of its
 * bucket and moves the edge: O(1). Taking a piece out of (or back into) the
 * needed part crosses every bucket above it: O(highest availability). */

static int buckets_ensure(struct sp_picker *p, uint32_t n)
{
	if (n <= p->nbuckets)
		return 0;
	uint32_t nn = p->nbuckets * 2 > n ? p->nbuckets * 2 : n + 8;
	uint32_t *b = realloc(p->bstart, nn * sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (uint32_t i = p->nbuckets; i < nn; i++)
		b[i] = p->nneed;
	p->bstart = b;
	p->nbuckets = nn;
	return 0;
}

static void order_swap(struct sp_picker *p, uint32_t i, uint32_t j)
{
	uint32_t a = p->order[i], b = p->order[j];
	p->order[i] = b;
	p->order[j] = a;
	p->pos[a] = j;
	p->pos[b] = i;
}

static void avail_inc(struct sp_picker *p, uint32_t piece)
{
	uint32_t a = p->avail[piece];
	if (p->pos[piece] >= p->nneed) { /* one we have: only the count */
		p->avail[piece]++;
		return;
	}
	if (buckets_ensure(p, a + 3) < 0)
		return; /* out of memory: availability stays approximate */
	uint32_t last = p->bstart[a + 1] - 1;
	order_swap(p, p->pos[piece], last);
	p->bstart[a + 1]--;
	p->avail[piece]++;
}

static void avail_dec(struct sp_picker *p, uint32_t piece)
{
	uint32_t a = p->avail[piece];
	if (!a)
		return;
	if (p->pos[piece] < p->nneed) {
		order_swap(p, p->pos[piece], p->bstart[a]);
		p->bstart[a]++;
	}
	p->avail[piece]--;
}

/* We have the piece: move it past the needed part. */
static void order_remove(struct sp_picker *p, uint32_t piece)
{
	if (p->pos[piece] >= p->nneed)
		return;
	for (uint32_t k = p->avail[piece];; k++) {
		bool last = k + 1 >= p->nbuckets;
		uint32_t end = last ? p->nneed : p->bstart[k + 1];
		order_swap(p, p->pos[piece], end - 1);
		if (last)
			break;
		p->bstart[k + 1]--; /* now the first of bucket k + 1 */
	}
	p->nneed--;
}

/* A piece we had is needed again (it failed, or resume was wrong). */
static void order_insert(struct sp_picker *p, uint32_t piece)
{
	if (p->pos[piece] < p->nneed || buckets_ensure(p, p->avail[piece] + 3) < 0)
		return;
	order_swap(p, p->pos[piece], p->nneed);
	p->nneed++; /* it is the last of the last bucket */
	for (uint32_t k = p->nbuckets - 1; k > p->avail[piece]; k--) {
		order_swap(p, p->pos[piece], p->bstart[k]);
		p->bstart[k]++; /* now the last of bucket k - 1 */
	}
}

void pk_order_have(struct sp_picker *p, uint32_t piece, bool have)
{
	if (have)
		order_remove(p, piece);
	else
		order_insert(p, piece);
}

/* ---- lifecycle ---- */

struct sp_picker *sp_picker_new(const struct sp_picker_config *cfg)
{
	if (!cfg || !cfg->piece_length || !cfg->num_pieces || !cfg->total_length ||
	    cfg->total_length > (uint64_t)cfg->piece_length * cfg->num_pieces ||
	    cfg->total_length <= (uint64_t)cfg->piece_length * (cfg->num_pieces - 1))
		return NULL;
	struct sp_picker *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (p->cfg.sequential)
		p->cfg.policy = SP_PICKER_SEQUENTIAL;
	if (p->cfg.hedge_budget == 0)
		p->cfg.hedge_budget = 0.05;
	if (p->cfg.rare_share == 0)
		p->cfg.rare_share = 0.1;
	if (p->cfg.start_buffer_s == 0)
		p->cfg.start_buffer_s = 1.0;
	uint32_t n = cfg->num_pieces;
	p->nneed = n;
	p->blocks_per_piece = (cfg->piece_length + SP_PICKER_BLOCK - 1) / SP_PICKER_BLOCK;
	p->last_piece_len = (uint32_t)(cfg->total_length - (uint64_t)cfg->piece_length * (n - 1));
	p->state = calloc(n, 1);
	p->parole = calloc(n, 1);
	p->dl = calloc(n, sizeof(*p->dl));
	p->avail = calloc(n, sizeof(uint32_t));
	p->order = malloc(n * sizeof(uint32_t));
	p->pos = malloc(n * sizeof(uint32_t));
	p->win_stamp = calloc(n, sizeof(uint32_t));
	p->deadline = calloc(n, sizeof(int64_t));
	p->act = malloc(n * sizeof(uint32_t));
	p->wlist = malloc(n * sizeof(uint32_t));
	if (!p->state || !p->parole || !p->dl || !p->avail || !p->order || !p->pos || !p->win_stamp ||
	    !p->deadline || !p->act || !p->wlist || buckets_ensure(p, 4) < 0) {
		sp_picker_free(p);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		p->order[i] = p->pos[i] = i;
	if (cfg->share_seed) /* rule 15: a shuffled order, each client its own */
		for (uint64_t x = cfg->share_seed, i = n; i > 1; i--) {
			x += 0x9e3779b97f4a7c15ull; /* splitmix64 */
			uint64_t z = x;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
			uint32_t j = (uint32_t)(z % i);
			uint32_t a = p->order[i - 1];
			p->order[i - 1] = p->order[j];
			p->order[j] = a;
		}
	for (uint32_t i = 0; i < n; i++)
		p->pos[p->order[i]] = i;
	p->bstart[0] = 0;
	p->win_gen = 1;
	for (uint32_t i = 0; i < n; i++)
		p->free_blocks += pk_nblocks(p, i);
	return p;
}

static void source_free(struct pk_source *s)
{
	if (!s)
		return;
	sp_bitfield_fini(&s->has);
	free(s->reqs);
	free(s);
}

static void dl_free(struct pk_piece_dl *d)
{
	if (!d)
		return;
	free(d->blk);
	free(d->from);
	free(d->holder);
	free(d->sent);
	free(d->before);
	free(d->ahead);
	free(d->tmo);
	free(d);
}

void sp_picker_free(struct sp_picker *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nsrc; i++)
		source_free(p->src[i]);
	if (p->dl)
		for (uint32_t i = 0; i < p->cfg.num_pieces; i++)
			dl_free(p->dl[i]);
	free(p->src);
	free(p->idx);
	free(p->scratch);
	free(p->rd);
	free(p->pending);
	free(p->state);
	free(p->parole);
	free(p->unwanted);
	free(p->dl);
	free(p->avail);
	free(p->order);
	free(p->pos);
	free(p->bstart);
	free(p->win_stamp);
	free(p->deadline);
	free(p->act);
	free(p->wlist);
	free(p);
}

/* ---- blocks ---- */

struct pk_piece_dl *pk_dl_get(struct sp_picker *p, uint32_t piece)
{
	if (p->dl[piece])
		return p->dl[piece];
	uint32_t nb = pk_nblocks(p, piece);
	struct pk_piece_dl *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->blk = calloc(nb, 1);
	d->from = calloc(nb, sizeof(uint32_t));
	d->holder = calloc(nb, sizeof(uint32_t));
	d->sent = calloc(nb, sizeof(int64_t));
	d->before = calloc(nb, sizeof(uint64_t));
	d->ahead = calloc(nb, sizeof(uint32_t));
	d->tmo = calloc(nb, sizeof(int64_t));
	if (!d->blk || !d->from || !d->holder || !d->sent || !d->before || !d->ahead || !d->tmo) {
		dl_free(d);
		return NULL;
	}
	d->nfree = nb;
	p->dl[piece] = d;
	p->act[p->nact++] = piece;
	return d;
}

void pk_dl_drop(struct sp_picker *p, uint32_t piece)
{
	if (!p->dl[piece])
		return;
	dl_free(p->dl[piece]);
	p->dl[piece] = NULL;
	for (uint32_t i = 0; i < p->nact; i++)
		if (p->act[i] == piece) {
			p->act[i] = p->act[--p->nact];
			break;
		}
}

bool pk_piece_open(const struct sp_picker *p, uint32_t piece)
{
	if (p->state[piece] != PS_NEED)
		return false;
	return !p->dl[piece] || p->dl[piece]->nfree > 0;
}

uint8_t pk_blk_state(const struct sp_picker *p, uint32_t piece, uint32_t block)
{
	if (p->state[piece] != PS_NEED)
		return BLK_GOT;
	return p->dl[piece] ? p->dl[piece]->blk[block] : 0;
}

/* ---- sources ---- */

static uint32_t id_hash(uint32_t id)
{
	return id * 2654435761u;
}

struct pk_source *pk_find(const struct sp_picker *p, uint32_t id)
{
	if (!p->idx)
		return NULL;
	for (uint32_t h = id_hash(id) & p->idxmask;; h = (h + 1) & p->idxmask) {
		uint32_t v = p->idx[h];
		if (!v)
			return NULL;
		if (p->src[v - 1]->id == id)
			return p->src[v - 1];
	}
}

/* Rebuild the id hash (sources come and go rarely): at most half full. */
static void reindex(struct sp_picker *p)
{
	uint32_t size = 16;
	while (size < 2 * p->nsrc + 2)
		size *= 2;
	if (size - 1 != p->idxmask || !p->idx) {
		uint32_t *n = realloc(p->idx, size * sizeof(*n));
		if (!n)
			return; /* the old table stays, too small only if it grew */
		p->idx = n;
		p->idxmask = size - 1;
	}
	memset(p->idx, 0, (p->idxmask + 1) * sizeof(*p->idx));
	for (uint32_t i = 0; i < p->nsrc; i++) {
		uint32_t h = id_hash(p->src[i]->id) & p->idxmask;
		while (p->idx[h])
			h = (h + 1) & p->idxmask;
		p->idx[h] = i + 1;
	}
}

bool pk_src_has(const struct pk_source *s, uint32_t piece)
{
	return s->have_all || s->kind == SP_SOURCE_WEBSEED || sp_bitfield_get(&s->has, piece);
}

/* May be sent requests at all (choke, web seed mode, lying). */
bool pk_src_usable(const struct sp_picker *p, const struct pk_source *s)
{
	if (s->choked || s->banned)
		return false;
	if (s->kind == SP_SOURCE_WEBSEED && p->cfg.webseed_mode == 2)
		return false;
	return true;
}

bool pk_src_may(const struct sp_picker *p, const struct pk_source *s, uint32_t piece)
{
	const struct pk_piece_dl *d = p->dl[piece];
	if (!p->parole[piece] || !d || !d->owned || d->owner == s->id)
		return true;
	/* an owner that asks nothing of it any more does not keep it */
	uint32_t nb = pk_nblocks(p, piece);
	for (uint32_t b = 0; b < nb; b++)
		if (d->blk[b] & BLK_NREQ)
			return false;
	return true;
}

/* A parole piece's owner went away: let another source take it over. */
void pk_release_parole(struct sp_picker *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->nact; i++) {
		struct pk_piece_dl *d = p->dl[p->act[i]];
		if (d->owned && d->owner == id)
			d->owned = false;
	}
}

double pk_src_rate(const struct pk_source *s)
{
	/* the caller's figure is what came in, which is also what we asked
	 * for; ours counts busy time only: the higher is the nearer to what
	 * the source can do */
	double r = s->rate_in > s->rate_est ? s->rate_in : s->rate_est;
	return r > 0 ? r : s->trust > 0 ? s->trust : PK_UNKNOWN_RATE;
}

double pk_src_rtt(const struct pk_source *s)
{
	if (s->rtt_in > 0)
		return s->rtt_in;
	if (s->rtt_est > 0)
		return s->rtt_est;
	return PK_UNKNOWN_RTT;
}

double pk_src_erate(const struct pk_source *s, int64_t now)
{
	double r = pk_src_rate(s);
	if (!s->nreq)
		return r;
	double busy = (double)(now - s->meas_start_us) / 1e6 - pk_src_rtt(s);
	if (busy <= 0.2)
		return r;
	double ub = (double)(s->meas_bytes + SP_PICKER_BLOCK) / busy;
	return ub < r ? ub : r;
}

double pk_src_crate(const struct pk_source *s, int64_t now)
{
	double r = pk_src_erate(s, now);
	/* never measured: assume slow, so that it is tried on far deadlines;
	 * a trusted relay (rule 13) at its rate, lowered if it goes quiet */
	if (s->rate_in <= 0 && s->rate_est <= 0 && s->trust <= 0 && r > PK_UNKNOWN_CHOOSE_RATE)
		r = PK_UNKNOWN_CHOOSE_RATE;
	return r;
}

int64_t pk_blk_eta(const struct sp_picker *p, uint32_t piece, uint32_t block,
		   const struct pk_source *s, double rate, int64_t now)
{
	const struct pk_piece_dl *d = p->dl[piece];
	double len = pk_block_len(p, piece, block);
	/* as planned when sent, at today's rate; or from now, behind what
	 * the holder still has to send before it */
	double q = d->before[block] > s->done ? (double)(d->before[block] - s->done) : 0;
	int64_t t1 = d->sent[block] + (int64_t)((pk_src_rtt(s) + (d->ahead[block] + len) / rate) * 1e6);
	int64_t t2 = now + (int64_t)((q + len) / rate * 1e6);
	return t1 > t2 ? t1 : t2;
}

uint32_t pk_src_depth(const struct pk_source *s)
{
	uint32_t max = s->max_req ? s->max_req
				  : (s->kind == SP_SOURCE_WEBSEED ? PK_WEBSEED_MAX_REQ
								  : PK_PEER_MAX_REQ);
	uint32_t d;
	if (s->snubbed) {
		d = 1; /* until it delivers again */
	} else if (s->rate_in <= 0 && s->rate_est <= 0) {
		d = PK_UNKNOWN_DEPTH;
	} else {
		double bdp = pk_src_rate(s) * (pk_src_rtt(s) + PK_PIPE_MARGIN_S) / SP_PICKER_BLOCK;
		d = bdp > 100000 ? 100000 : (uint32_t)ceil(bdp) + 1;
	}
	if (d < PK_MIN_DEPTH && !s->snubbed)
		d = PK_MIN_DEPTH;
	return d > max ? max : d;
}

uint64_t pk_src_queued(const struct sp_picker *p, const struct pk_source *s)
{
	return s->issued - s->done;
}

void sp_picker_source_add(struct sp_picker *p, uint32_t id, enum sp_source_kind kind)
{
	if (pk_find(p, id))
		return;
	if (p->nsrc == p->capsrc) {
		uint32_t nc = p->capsrc ? p->capsrc * 2 : 16;
		struct pk_source **ns = realloc(p->src, nc * sizeof(*ns));
		if (!ns)
			return;
		p->src = ns;
		p->capsrc = nc;
	}
	struct pk_source *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	if (sp_bitfield_init(&s->has, p->cfg.num_pieces) < 0) {
		free(s);
		return;
	}
	s->id = id;
	s->kind = kind;
	s->choked = kind != SP_SOURCE_WEBSEED;
	p->src[p->nsrc++] = s;
	reindex(p);
}

static void drop_all(struct sp_picker *p, struct pk_source *s)
{
	while (s->nreq)
		pk_drop_req(p, s, s->nreq - 1, PK_NO_CANCEL);
}

static void unhave_all(struct sp_picker *p, struct pk_source *s)
{
	if (s->kind == SP_SOURCE_WEBSEED)
		return;
	if (s->have_all) {
		p->seeds--;
		s->have_all = false;
		return;
	}
	for (uint32_t i = 0; i < p->cfg.num_pieces && s->has.count; i++)
		if (sp_bitfield_get(&s->has, i)) {
			sp_bitfield_clear(&s->has, i);
			avail_dec(p, i);
		}
	s->nwant = 0;
}

void pk_want_adjust(struct sp_picker *p, uint32_t piece, int delta)
{
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		if (!s->have_all && sp_bitfield_get(&s->has, piece))
			s->nwant += (uint32_t)delta;
	}
}

/* Cancels queued for a source that dropped every request (it left, or
 * choked us) would name requests it no longer has. */
static void purge_pending(struct sp_picker *p, uint32_t id)
{
	uint32_t k = 0;
	for (uint32_t j = 0; j < p->npending; j++)
		if (p->pending[j].source != id)
			p->pending[k++] = p->pending[j];
	p->npending = k;
}

void sp_picker_source_remove(struct sp_picker *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->nsrc; i++) {
		struct pk_source *s = p->src[i];
		if (s->id != id)
			continue;
		drop_all(p, s);
		unhave_all(p, s);
		pk_release_parole(p, id);
		purge_pending(p, id);
		source_free(s);
		p->src[i] = p->src[--p->nsrc];
		reindex(p);
		return;
	}
}

void sp_picker_source_have(struct sp_picker *p, uint32_t id, uint32_t piece)
{
	struct pk_source *s = pk_find(p, id);
	if (!s || piece >= p->cfg.num_pieces || s->kind == SP_SOURCE_WEBSEED || s->have_all ||
	    sp_bitfield_get(&s->has, piece))
		return;
	sp_bitfield_set(&s->has, piece);
	avail_inc(p, piece);
	if (p->state[piece] != PS_HAVE)
		s->nwant++;
}

void sp_picker_source_have_all(struct sp_picker *p, uint32_t id)
{
	struct pk_source *s = pk_find(p, id);
	if (!s || s->kind == SP_SOURCE_WEBSEED || s->have_all)
		return;
	unhave_all(p, s);
	s->have_all = true;
	p->seeds++;
}

void sp_picker_source_bitfield(struct sp_picker *p, uint32_t id, const uint8_t *bits)
{
	struct pk_source *s = pk_find(p, id);
	if (!s || !bits || s->kind == SP_SOURCE_WEBSEED)
		return;
	unhave_all(p, s);
	for (uint32_t i = 0; i < p->cfg.num_pieces; i++)
		if (bits[i >> 3] & (0x80u >> (i & 7))) {
			sp_bitfield_set(&s->has, i);
			avail_inc(p, i);
			if (p->state[i] != PS_HAVE)
				s->nwant++;
		}
}

void sp_picker_source_choke(struct sp_picker *p, uint32_t id, bool choked, bool drop_requests)
{
	struct pk_source *s = pk_find(p, id);
	if (!s || s->kind == SP_SOURCE_WEBSEED)
		return;
	s->choked = choked;
	if (choked && drop_requests) {
		drop_all(p, s);
		purge_pending(p, id);
	}
	if (choked)
		pk_release_parole(p, id);
}

void sp_picker_source_rate(struct sp_picker *p, uint32_t id, double bytes_per_sec, double rtt_s)
{
	struct pk_source *s = pk_find(p, id);
	if (!s)
		return;
	s->rate_in = bytes_per_sec > 0 ? bytes_per_sec : 0;
	s->rtt_in = rtt_s > 0 ? rtt_s : 0;
}

void sp_picker_source_trust(struct sp_picker *p, uint32_t id, double bytes_per_sec)
{
	struct pk_source *s = pk_find(p, id);
	if (s)
		s->trust = bytes_per_sec > 0 ? bytes_per_sec : 0;
}

void sp_picker_source_plays(struct sp_picker *p, uint32_t id, uint64_t offset,
			    double bytes_per_sec, bool waiting, int64_t at_us)
{
	struct pk_source *s = pk_find(p, id);
	if (!s)
		return;
	s->play_off = offset;
	s->play_rate = bytes_per_sec > 0 ? bytes_per_sec : 0;
	s->play_wait = waiting;
	s->play_us = at_us;
}

void sp_picker_source_max_requests(struct sp_picker *p, uint32_t id, uint32_t n)
{
	struct pk_source *s = pk_find(p, id);
	if (s)
		s->max_req = n > 100000 ? 100000 : n;
}

bool sp_picker_source_interesting(const struct sp_picker *p, uint32_t id)
{
	const struct pk_source *s = pk_find(p, id);
	if (!s || sp_picker_complete(p))
		return false;
	return s->have_all || s->kind == SP_SOURCE_WEBSEED || s->nwant > 0;
}

bool sp_picker_source_snubbed(const struct sp_picker *p, uint32_t id)
{
	const struct pk_source *s = pk_find(p, id);
	return s && s->snubbed;
}

uint32_t sp_picker_source_depth(const struct sp_picker *p, uint32_t id)
{
	const struct pk_source *s = pk_find(p, id);
	return s ? pk_src_depth(s) : 0;
}

uint32_t sp_picker_source_outstanding(const struct sp_picker *p, uint32_t id)
{
	const struct pk_source *s = pk_find(p, id);
	return s ? s->nreq : 0;
}

int64_t sp_picker_source_idle_ms(const struct sp_picker *p, uint32_t id, int64_t now_us)
{
	const struct pk_source *s = pk_find(p, id);
	if (!s)
		return 0;
	int64_t idle = s->idle_us;
	if (s->idle_since && now_us > s->idle_since)
		idle += now_us - s->idle_since;
	return idle / 1000;
}

void sp_picker_set_wanted(struct sp_picker *p, uint32_t piece, bool wanted)
{
	if (piece >= p->cfg.num_pieces || (!p->unwanted && wanted))
		return;
	if (!p->unwanted && !(p->unwanted = calloc(p->cfg.num_pieces, 1)))
		return; /* out of memory: everything stays wanted */
	p->unwanted[piece] = !wanted;
}

bool sp_picker_wanted(const struct sp_picker *p, uint32_t piece)
{
	return piece < p->cfg.num_pieces && !pk_unwanted(p, piece);
}
