/* peer_up.c - what a peer asks of us: its requests queued and served
 * from verified pieces while its output buffer is short (so cancels
 * still bite and the rate limit paces us), and the BEP 6 allowed-fast set
 * it may fetch while choked. Net thread only.
 *
 * Invariant: only pieces we have verified are ever read for upload, and
 * a request is served only while the peer is unchoked or the piece is in
 * its allowed-fast set; otherwise it is rejected (fast extension) or
 * dropped (BEP 3).
 *
 * Handing out (issue 10): a seed whose uplink is the bottleneck
 * (t->handout, set by sp_peer_handout_tick) serves first the requests for
 * pieces no other connected peer has or is being sent by us, each peer's
 * in the order it asked (a viewer asks in playback order); a request for
 * a piece that is out there already waits up to SP_HANDOUT_HOLD_US, so
 * the asker can get it from whoever has it (a swarmplay viewer re-asks a
 * relay; rule 13) and our uplink carries new pieces. Never longer: the
 * one who has it may choke the asker, or be slow. A piece being sent to a
 * peer is held only for those that need it no sooner (their first gap,
 * where a viewer plays, is no nearer it); a piece nobody has yet is kept
 * for the swarmplay viewer that needs it soonest, or of viewers about
 * level, for the one that asked first (sp_upload_kept): it passes the
 * piece on, and the two do not split our uplink. When every request waits
 * while the uplink idles, the one needed soonest is served: spare
 * capacity is never left unused. What a piece costs us
 * then is about one copy, as with BEP 16 super-seeding, but in the
 * viewers' order and with every piece announced (non-swarmplay peers see
 * a seed, and get every piece, a little later when others have it).
 * Where a viewer plays is where its sp_playpos says (playpos.c), else its
 * first gap. The hand-out is off while our uplink is ample (ample():
 * a whole stream for every leecher, twice the bitrate at least).
 *
 * A viewer uploading (t->urgent: we play, and requests of two peers or
 * more wait) serves each peer's request needed soonest first, and holds
 * a peer's while another's waits that is needed more than
 * SP_URGENT_SLACK pieces sooner, a piece another viewer has (or is
 * getting from us) counting SP_URGENT_ELSEWHERE pieces later when the
 * asker is a swarmplay viewer and that viewer plays neither behind it
 * nor beyond us (upload_order.c: a chain, each viewer feeding the one
 * right behind it first); one held SP_URGENT_HOLD_US so, the piece at
 * a swarmplay viewer, is refused (REJECT), once per piece, so that its
 * asker goes there. While we play, each peer's output holds one block
 * at a time and its socket 4 KiB unsent, so that requests wait in our
 * queue, where the order is ours. */
#include "net/peer.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/upload_order.h"
#include "net/wire.h"
#include "picker/picker.h"
#include "storage/storage.h"

bool sp_peer_allowed_fast(const struct sp_peer *p, uint32_t piece)
{
	for (size_t i = 0; i < p->num_allowed_fast; i++)
		if (p->allowed_fast[i] == piece)
			return true;
	return false;
}

/* ---- uploads ---- */

/* How far piece lies past where q plays: the smaller, the sooner it
 * needs the piece. Where it said it plays (sp_playpos), else its first
 * gap (a viewer plays near it). A viewer waiting for its first start
 * needs it SP_URGENT_STARTING_S later: when several join at once, each
 * newcomer's first pieces were "needed now" on every peer that had them,
 * and the viewers already playing, a second or two of buffer each,
 * stalled together half a second after every join (issue 10, random
 * joins). */
static uint32_t need_dist(struct sp_peer *q, uint32_t piece)
{
	uint32_t at = sp_playpos_of(q, sp_now_us());
	if (at != SP_PLAYPOS_NONE) {
		uint32_t d = piece > at ? piece - at : 0;
		if (q->play_starting)
			d += sp_upload_starting_pieces(q->play_rate, q->t->mi->piece_length);
		return d;
	}
	if (q->gap_hint && !sp_bitfield_get(&q->have, q->gap_hint - 1))
		q->gap_hint = 0; /* a bitfield replaced what we knew */
	while (q->gap_hint < q->have.nbits && sp_bitfield_get(&q->have, q->gap_hint))
		q->gap_hint++;
	return piece > q->gap_hint ? piece - q->gap_hint : 0;
}

/* Is the piece out there already for p: another peer has it, or we sent
 * it blocks of it and it needs the piece no later than p (had: has it,
 * announced)? Other seeds do not count: a leecher between two seeds is
 * to get both uplinks, not one while the other waits. */
static bool spread(struct sp_peer *p, uint32_t piece, bool had)
{
	for (struct sp_peer *q = p->t->peers; q; q = q->next) {
		if (q == p || !q->handshaked || q->closing || sp_peer_is_seed(q))
			continue;
		if (sp_bitfield_get(&q->have, piece))
			return true;
		if (!had && sp_bitfield_get(&q->handed, piece) &&
		    need_dist(q, piece) <= need_dist(p, piece))
			return true;
	}
	return false;
}

/* Is p getting pieces (a HAVE, or its first moments with us, within
 * SP_HANDOUT_STUCK_US)? */
static bool progressing(const struct sp_peer *p, int64_t now)
{
	int64_t last = p->new_piece_us > p->connected_us ? p->new_piece_us : p->connected_us;
	return now - last < SP_HANDOUT_STUCK_US;
}

/* Has q asked us for a block of the piece before at_us? Among its first
 * SP_KEPT_SCAN requests only: a viewer asks in playback order, and one
 * about level with the asker asks for the piece near its queue's head;
 * the walk stays short whatever a peer queues. */
#define SP_KEPT_SCAN 64
static bool asked_before(const struct sp_peer *q, uint32_t piece, int64_t at_us)
{
	size_t n = q->upq_len < SP_KEPT_SCAN ? q->upq_len : SP_KEPT_SCAN;
	for (size_t i = 0; i < n; i++)
		if (q->upq[i].piece == piece && q->upq[i].at_us < at_us)
			return true;
	return false;
}

/* Is rq's piece to be kept for another swarmplay viewer that lacks it
 * and is not being sent it (sp_upload_kept: it needs the piece sooner
 * than p, or about as soon and asked first)? p then gets it there. Only
 * for one getting pieces (progressing): one that says where it plays
 * and then takes nothing holds nobody; a hold lasts SP_HANDOUT_HOLD_US
 * at most in any case. */
static bool kept_for_other(struct sp_peer *p, const struct sp_upload_req *rq, int64_t now)
{
	uint32_t pd = need_dist(p, rq->piece);
	for (struct sp_peer *q = p->t->peers; q; q = q->next) {
		if (q == p || !q->handshaked || q->closing || sp_peer_is_seed(q) ||
		    q->am_choking || sp_playpos_of(q, now) == SP_PLAYPOS_NONE ||
		    !progressing(q, now))
			continue;
		if (sp_bitfield_get(&q->have, rq->piece) || sp_bitfield_get(&q->handed, rq->piece))
			continue;
		uint32_t qd = need_dist(q, rq->piece);
		if (sp_upload_kept(pd, qd, false) ||
		    (sp_upload_kept(pd, qd, true) && asked_before(q, rq->piece, rq->at_us)))
			return true;
	}
	return false;
}

_Static_assert(SP_PLAYPOS_NONE == SP_UPLOAD_NOWHERE, "one 'not known' for both");

/* Could p get the piece from q rather than from us: q has it (or, when
 * it plays between p and us, we are sending it the piece), is a viewer,
 * and does not play behind p nor beyond us when we play ahead of p (by
 * their sp_playpos, sp_upload_alternative). */
static bool has_for(struct sp_peer *q, struct sp_peer *p, uint32_t piece, uint32_t p_at,
		    int64_t now)
{
	if (q == p || !q->handshaked || q->closing || sp_peer_is_seed(q))
		return false;
	uint32_t u_at = p->t->plays ? p->t->plays_at : SP_PLAYPOS_NONE;
	uint32_t q_at = sp_playpos_of(q, now);
	if (!sp_bitfield_get(&q->have, piece) &&
	    !(sp_bitfield_get(&q->handed, piece) && sp_upload_between(p_at, q_at, u_at)))
		return false;
	return sp_upload_alternative(p_at, q_at, u_at);
}

/* Could p (a swarmplay viewer) get the piece from another viewer (by
 * has_for)? said_only: one that says where it plays; only then is a held
 * request refused, another client's choker may never serve p. */
static bool elsewhere_for(struct sp_peer *p, uint32_t piece, int64_t now, bool said_only)
{
	uint32_t p_at = sp_playpos_of(p, now);
	if (p_at == SP_PLAYPOS_NONE)
		return false;
	for (struct sp_peer *q = p->t->peers; q; q = q->next)
		if ((!said_only || sp_playpos_of(q, now) != SP_PLAYPOS_NONE) &&
		    has_for(q, p, piece, p_at, now))
			return true;
	return false;
}

/* The order of a viewer's uploads (t->urgent, upload_order.h): how far
 * the piece lies past where p plays, later when a viewer not behind p
 * has it (p may get it there). Only for a swarmplay viewer (one that
 * says where it plays): its picker moves a request we keep waiting to
 * whoever has the piece (rule 13); another client's waits for us, and
 * then asks the source. */
static uint32_t urgent_key(struct sp_peer *p, uint32_t piece, int64_t now)
{
	return sp_upload_key(need_dist(p, piece), elsewhere_for(p, piece, now, false));
}

/* The key of the request needed soonest, of all peers' queues. */
static void urgent_refresh(struct sp_torrent *t)
{
	int64_t now = sp_now_us();
	t->urgent_min = UINT32_MAX;
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked || p->closing)
			continue;
		for (size_t i = 0; i < p->upq_len; i++) {
			uint32_t d = urgent_key(p, p->upq[i].piece, now);
			if (d < t->urgent_min)
				t->urgent_min = d;
		}
	}
}

/* Not handing out: FIFO, unless we play and our uplink is the
 * bottleneck (t->urgent): then p's request needed soonest, and none
 * while another peer's is needed more than SP_URGENT_SLACK pieces sooner
 * (-1; spare: the uplink idles, serve anyway). */
static ssize_t urgent_upload(struct sp_peer *p, bool spare)
{
	if (!p->t->urgent || !p->upq_len)
		return 0;
	uint32_t keys[SP_PEER_MAX_UPLOAD_QUEUE];
	int64_t now = sp_now_us();
	for (size_t i = 0; i < p->upq_len; i++)
		keys[i] = urgent_key(p, p->upq[i].piece, now);
	ssize_t k = sp_upload_pick(keys, p->upq_len, p->t->urgent_min, spare);
	if (k < 0) {
		urgent_refresh(p->t); /* that one may be served by now */
		k = sp_upload_pick(keys, p->upq_len, p->t->urgent_min, spare);
	}
	return k;
}

/* The request to serve next: upq's first, or when handing out the first
 * that is not held; -1 when all are held (spare: then the one p needs
 * soonest). *refuse: held long enough, and a client that does not re-ask
 * elsewhere by itself (libtorrent asks a block of one peer only) is told
 * REJECT once per piece, so that it asks the peer that has it; but not a
 * peer that has announced no new piece for SP_HANDOUT_STUCK_US: the
 * others are not serving it, so we do. (The streaming libtorrent viewers
 * that stopped for good on one piece, first blamed on these REJECTs,
 * were waiting on CANCELs we left unanswered: sp_peer_on_cancel.) */
static ssize_t next_upload(struct sp_peer *p, int64_t now, bool spare, bool *refuse)
{
	*refuse = false;
	if (!p->t->handout) {
		ssize_t k = urgent_upload(p, spare);
		if (k >= 0 || !p->t->urgent || !p->fast)
			return k;
		/* all held: one held long while "elsewhere" is refused */
		int64_t at = sp_now_us();
		for (size_t i = 0; i < p->upq_len; i++) {
			const struct sp_upload_req *rq = &p->upq[i];
			bool elsewhere = elsewhere_for(p, rq->piece, at, true);
			if (sp_upload_refuse(at - rq->at_us, elsewhere,
					     sp_bitfield_get(&p->refused, rq->piece))) {
				*refuse = true;
				return (ssize_t)i;
			}
		}
		return k;
	}
	uint32_t last = UINT32_MAX;
	bool held = false;
	for (size_t i = 0; i < p->upq_len; i++) {
		const struct sp_upload_req *rq = &p->upq[i];
		if (sp_bitfield_get(&p->handed, rq->piece))
			return (ssize_t)i; /* a piece it has begun */
		if (now - rq->at_us >= SP_HANDOUT_HOLD_US) {
			*refuse = p->fast && !sp_bitfield_get(&p->refused, rq->piece) &&
				  progressing(p, now) && spread(p, rq->piece, true);
			return (ssize_t)i; /* overdue */
		}
		if (rq->piece != last) {
			last = rq->piece;
			held = spread(p, rq->piece, false) ||
			       kept_for_other(p, rq, now);
		}
		if (!held)
			return (ssize_t)i;
	}
	if (!spare || !p->upq_len)
		return -1;
	size_t best = 0;
	for (size_t i = 1; i < p->upq_len; i++)
		if (need_dist(p, p->upq[i].piece) < need_dist(p, p->upq[best].piece))
			best = i;
	return (ssize_t)best;
}

/* REJECT rq and every queued request of its piece (all its blocks are
 * to be asked elsewhere), once per piece and peer. */
static void refuse_piece(struct sp_peer *p, const struct sp_upload_req *rq)
{
	SP_DEBUG("peer", "%s: piece %u held, another peer has it: rejected", p->name, rq->piece);
	sp_bitfield_set(&p->refused, rq->piece);
	sp_peer_send_req(p, SP_WIRE_REJECT, rq->piece, rq->offset, rq->length);
	size_t k = 0;
	for (size_t i = 0; i < p->upq_len; i++) {
		const struct sp_upload_req *o = &p->upq[i];
		if (o->piece == rq->piece)
			sp_peer_send_req(p, SP_WIRE_REJECT, o->piece, o->offset, o->length);
		else
			p->upq[k++] = *o;
	}
	p->upq_len = k;
}

/* How much output a peer may have queued before we serve it more: less
 * while the order of our uploads matters (hand-out: a block and a bit; a
 * viewer, whose uploads go needed soonest first when two peers wait: one
 * block at a time), so that what is committed in a peer's buffer does
 * not delay a more urgent request of another, and the bottleneck shows
 * early. */
static size_t out_water(const struct sp_torrent *t)
{
	if (t->plays)
		return SP_PEER_OUT_PLAY_WATER;
	return t->handout ? SP_PEER_OUT_ORDERED_WATER : SP_PEER_OUT_LOW_WATER;
}

/* While we play, the kernel keeps little unsent per socket: what it
 * holds leaves in the order it came, and the request a peer needs
 * soonest is to pass the far-ahead ones of another (on a shaped uplink
 * 32 KiB per peer are a quarter of a second each). */
static void tune_lowat(struct sp_peer *p, bool plays)
{
	if (p->lowat_play == plays || !p->bev)
		return;
	int fd = (int)bufferevent_getfd(p->bev);
	int lowat = plays ? SP_PEER_NOTSENT_PLAY : SP_PEER_NOTSENT_LOWAT;
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	p->lowat_play = plays;
}

static void serve(struct sp_peer *p, bool spare)
{
	/* per thread: each session has its own net thread */
	static _Thread_local uint8_t block[SP_PEER_MAX_REQ_LEN];
	struct evbuffer *out = bufferevent_get_output(p->bev);
	int64_t now = p->t->handout ? sp_now_us() : 0;
	size_t water = out_water(p->t);
	while (p->upq_len && !p->closing && evbuffer_get_length(out) < water) {
		bool refuse;
		ssize_t k = next_upload(p, now, spare, &refuse);
		if (k < 0)
			break; /* sp_peer_handout_tick looks again */
		struct sp_upload_req rq = p->upq[k];
		memmove(p->upq + k, p->upq + k + 1, (p->upq_len - (size_t)k - 1) * sizeof(*p->upq));
		p->upq_len--;
		if (refuse) {
			refuse_piece(p, &rq);
			continue;
		}
		int r = sp_storage_read_block(p->t->storage, rq.piece, rq.offset, block, rq.length);
		if (r < 0) {
			if (p->fast)
				sp_peer_send_req(p, SP_WIRE_REJECT, rq.piece, rq.offset, rq.length);
			continue;
		}
		struct sp_buf b;
		sp_buf_init(&b, 64);
		sp_wire_build_piece_header(&b, rq.piece, rq.offset, rq.length);
		sp_peer_write(p, b.data, b.len);
		sp_buf_fini(&b);
		sp_peer_write(p, block, rq.length);
		if (p->t->handout || p->t->plays)
			SP_DEBUG("peer", "%s: sent %u+%u (asked %lld ms ago%s)", p->name, rq.piece,
				 rq.offset, (long long)((sp_now_us() - rq.at_us) / 1000),
				 spare ? ", spare" : "");
		p->uploaded += rq.length;
		p->up_window += rq.length;
		if (!sp_bitfield_full(&p->t->have))
			p->t->relayed += rq.length;
		sp_bitfield_set(&p->handed, rq.piece);
		p->last_send_us = sp_now_us();
	}
}

void sp_peer_serve_uploads(struct sp_peer *p)
{
	serve(p, false);
}

int sp_peer_on_request(struct sp_peer *p, const struct sp_wire_msg *m)
{
	struct sp_torrent *t = p->t;
	if (m->index >= t->mi->num_pieces || m->length == 0 || m->length > SP_PEER_MAX_REQ_LEN ||
	    (uint64_t)m->begin + m->length > sp_metainfo_piece_size(t->mi, m->index))
		return -EPROTO;
	bool ok = (!p->am_choking || sp_peer_allowed_fast(p, m->index)) &&
		  sp_bitfield_get(&t->have, m->index) && p->upq_len < SP_PEER_MAX_UPLOAD_QUEUE;
	if (!ok) {
		/* a peer that keeps asking while choked only makes us write
		 * REJECTs: libtorrent closes it too */
		if (p->am_choking && ++p->choked_reqs > SP_PEER_MAX_CHOKED_REQS)
			return -EDQUOT;
		if (p->fast)
			sp_peer_send_req(p, SP_WIRE_REJECT, m->index, m->begin, m->length);
		return 0;
	}
	if (!p->upq) {
		p->upq = calloc(SP_PEER_MAX_UPLOAD_QUEUE, sizeof(*p->upq));
		if (!p->upq)
			return -ENOMEM;
	}
	p->upq[p->upq_len++] = (struct sp_upload_req){m->index, m->begin, m->length, sp_now_us()};
	sp_peer_serve_uploads(p);
	return 0;
}

/* BEP 6: with the fast extension a CANCEL gets exactly one answer, the
 * PIECE or a REJECT. A cancelled request we had not begun is answered
 * REJECT: libtorrent keeps a cancelled block in its download queue until
 * one of the two comes, and a peer whose queue looks full is asked
 * nothing more (22 unanswered CANCELs stopped four streaming libtorrent
 * viewers for good, the source alone having the piece they needed).
 * One already sent, or one we never had, needs no answer. */
void sp_peer_on_cancel(struct sp_peer *p, const struct sp_wire_msg *m)
{
	for (size_t i = 0; i < p->upq_len; i++) {
		const struct sp_upload_req *rq = &p->upq[i];
		if (rq->piece != m->index || rq->offset != m->begin || rq->length != m->length)
			continue;
		if (p->fast)
			sp_peer_send_req(p, SP_WIRE_REJECT, rq->piece, rq->offset, rq->length);
		memmove(p->upq + i, p->upq + i + 1, (p->upq_len - i - 1) * sizeof(*p->upq));
		p->upq_len--;
		return;
	}
}

/* BEP 6: a few pieces this peer may fetch from us even while choked, so
 * a newcomer has something to trade before its first unchoke. */
#define ALLOWED_FAST_K 8
void sp_peer_send_allowed_fast(struct sp_peer *p)
{
	struct sp_torrent *t = p->t;
	if (!p->fast || !p->ip4 || t->mi->num_pieces < 2 * ALLOWED_FAST_K || t->have.count == 0)
		return;
	p->allowed_fast = calloc(ALLOWED_FAST_K, sizeof(*p->allowed_fast));
	if (!p->allowed_fast)
		return;
	p->num_allowed_fast = sp_wire_allowed_fast((const uint8_t *)&p->ip4, t->mi->info_hash,
						   t->mi->num_pieces, ALLOWED_FAST_K,
						   p->allowed_fast);
	struct sp_buf b;
	sp_buf_init(&b, 16 * ALLOWED_FAST_K);
	for (size_t i = 0; i < p->num_allowed_fast; i++)
		if (sp_bitfield_get(&t->have, p->allowed_fast[i]))
			sp_wire_build_index(&b, SP_WIRE_ALLOWED_FAST, p->allowed_fast[i]);
	sp_peer_send_buf(p, &b);
}


/* Is our uplink ample for the peers that play (sp_playpos told us the
 * bitrate)? Our cap, else what we measured. Unknown bitrate: no. */
static bool ample(const struct sp_torrent *t)
{
	double br = 0, up = (double)t->s->cfg.upload_rate_limit;
	int leechers = 0;
	for (const struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked || p->closing || sp_peer_is_seed(p))
			continue;
		leechers++;
		if (p->play_known && p->play_rate > br)
			br = p->play_rate;
	}
	if (up <= 0)
		up = t->up_rate;
	double need = SP_HANDOUT_AMPLE_SHARE * leechers;
	if (need < SP_HANDOUT_AMPLE_MIN_X)
		need = SP_HANDOUT_AMPLE_MIN_X;
	/* a measured rate falls a little short of the link's (headers,
	 * ramps): SP_HANDOUT_AMPLE_SLACK of it counts */
	return br > 0 && up >= SP_HANDOUT_AMPLE_SLACK * need * br;
}

/* Do we play (a viewer: it uploads while it watches), with requests of
 * two peers waiting (each peer's output is kept short while we play, so
 * a request waits only behind one that is being sent; then one, for
 * SP_HANDOUT_LINGER_US)? Then t->urgent, and the distance of the request
 * needed soonest. Not only once output stops draining: the viewer right
 * behind us must get our newest pieces before those far behind from the
 * moment two ask, while the shaper's queue still hides the bottleneck. */
static void urgent_tick(struct sp_torrent *t, int asking, int64_t now)
{
	double br = 0;
	uint64_t off = t->picker ? sp_picker_play_offset(t->picker, now, &br) : UINT64_MAX;
	bool plays = off != UINT64_MAX && br > 0;
	t->plays = plays;
	t->plays_at = plays ? (uint32_t)(off / t->mi->piece_length) : SP_PLAYPOS_NONE;
	for (struct sp_peer *p = t->peers; p; p = p->next)
		if (p->handshaked && !p->closing)
			tune_lowat(p, plays);
	if (plays && asking >= (t->urgent ? 1 : 2))
		t->urgent_seen_us = now;
	bool was = t->urgent;
	t->urgent = plays && !t->handout && t->urgent_seen_us &&
		    now - t->urgent_seen_us < SP_HANDOUT_LINGER_US;
	if (was != t->urgent)
		SP_INFO("peer", "uploads: needed soonest first %s (%d peers waiting)",
			t->urgent ? "on" : "off", asking);
	if (t->urgent)
		urgent_refresh(t);
}

/* Every torrent tick: are we a seed whose uplink is the bottleneck?
 * Requests of two peers or more wait behind output that does not drain
 * (the kernel's part kept short by SP_PEER_NOTSENT_LOWAT: a slow link, or
 * the rate limit); requests that wait on a hold do not count. Or two
 * viewers play from us (sp_playpos) and our uplink is not ample for
 * them: the test above is a race, lost at times for a minute while the
 * kernel takes what we write (then every viewer gets every piece from
 * us). Then hand out, while one peer's at least still waits so (the
 * holds keep the others' output short) or two viewers play, and
 * SP_HANDOUT_LINGER_US more; and serve what the hold let go. */
void sp_peer_handout_tick(struct sp_torrent *t)
{
	int asking = 0, waiting = 0, playing = 0;
	int64_t now = sp_now_us();
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		bool w = p->handshaked && !p->closing && p->upq_len;
		waiting += w;
		asking += w && evbuffer_get_length(bufferevent_get_output(p->bev)) >= out_water(t) / 2;
		playing += p->handshaked && !p->closing && !sp_peer_is_seed(p) &&
			   sp_playpos_of(p, now) != SP_PLAYPOS_NONE;
	}
	bool was = t->handout;
	if (sp_bitfield_full(&t->have) && (asking >= (was ? 1 : 2) || playing >= 2))
		t->handout_seen_us = now;
	t->handout = sp_bitfield_full(&t->have) && t->handout_seen_us &&
		     now - t->handout_seen_us < SP_HANDOUT_LINGER_US && !ample(t);
	if (was != t->handout)
		SP_INFO("peer", "hand-out %s (%d peers waiting, %d viewers)", t->handout ? "on" : "off",
			asking, playing);
	urgent_tick(t, waiting, now);
	size_t queued = 0;
	for (struct sp_peer *p = t->peers, *nx; p && (nx = p->next, 1); p = nx) {
		if (p->handshaked && !p->closing && p->upq_len)
			serve(p, false);
		if (p->handshaked && !p->closing)
			queued += evbuffer_get_length(bufferevent_get_output(p->bev));
	}
	if (!(t->handout || t->urgent) || queued >= out_water(t))
		return;
	/* the uplink idles while every request waits: spare capacity goes to
	 * the held request needed soonest rather than to nobody */
	struct sp_peer *best = NULL;
	uint32_t bd = UINT32_MAX;
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked || p->closing)
			continue;
		for (size_t i = 0; i < p->upq_len; i++) {
			uint32_t d = need_dist(p, p->upq[i].piece);
			if (d < bd) {
				bd = d;
				best = p;
			}
		}
	}
	if (best)
		serve(best, true);
}
