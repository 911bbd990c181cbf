/* playpos.c - sp_playpos (issue 10): we tell the swarmplay peers where we
 * play, they tell us. Net thread only.
 *
 * Sent only to peers whose extended handshake names sp_playpos (other
 * clients never see it), on change: when our position or rate differs
 * from what the peer reckons from our last message (that piece, moving at
 * that rate) by a piece or more, or the rate by a tenth; at most every
 * SEND_MIN_US per peer. A seed that plays nothing sends nothing; a viewer
 * whose stream stops says rate 0 once.
 *
 * What we learn is a hint, never trusted for more than an order: the
 * hand-out (peer_up.c) serves first the viewer that needs a piece soonest
 * and holds it for those that need it later; the choker ranks the peers
 * that play behind us first (Give-to-Get); our picker counts a viewer
 * that plays as a relay of its bitrate until it has measured it (rule
 * 13's trusted relay: the first pieces are asked of it, not the source;
 * one that does not deliver looks slow within a second and the source
 * takes its blocks), and leaves to a viewer that plays ahead of us a
 * piece only the source has (it asks the source first and passes it
 * on). A peer lying about it can only move itself in those orders, as a
 * peer can by its HAVEs and requests, and delay our asking the source
 * for a piece, once it has delivered to us, to the time the source
 * needs for the piece itself (never to a stall the source could spare). */
#include "net/peer.h"

#include <event2/bufferevent.h>

#include "core/bencode.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/playpos_msg.h"
#include "net/wire.h"
#include "picker/picker.h"

#define SEND_MIN_US 500000

/* The piece a position of piece at rate, said at us, is at by now. */
static uint32_t reckon(const struct sp_torrent *t, uint32_t piece, uint32_t rate, int64_t at_us,
		       int64_t now)
{
	double dt = now > at_us ? (double)(now - at_us) / 1e6 : 0;
	double ahead = dt * rate / (double)t->mi->piece_length;
	double at = (double)piece + ahead;
	uint32_t n = t->mi->num_pieces;
	return at >= (double)n ? n : (uint32_t)at;
}

uint32_t sp_playpos_of(const struct sp_peer *p, int64_t now)
{
	if (!p->play_known || !p->play_rate || !p->t)
		return SP_PLAYPOS_NONE;
	return reckon(p->t, p->play_piece, p->play_rate, p->play_us, now);
}

static void send_pos(struct sp_peer *p, uint32_t piece, uint32_t rate, bool starting, int64_t now)
{
	struct sp_buf b, msg;
	sp_buf_init(&b, 64);
	sp_buf_init(&msg, 96);
	struct sp_playpos pp = {.piece = piece, .rate = rate, .starting = starting};
	if (sp_playpos_build(&b, &pp) == 0 &&
	    sp_wire_build_extended(&msg, p->sp_playpos, b.data, b.len) == 0) {
		sp_peer_write(p, msg.data, msg.len);
		p->play_sent = true;
		p->play_sent_piece = piece;
		p->play_sent_rate = rate;
		p->play_sent_starting = starting;
		p->play_sent_us = now;
	}
	sp_buf_fini(&msg);
	sp_buf_fini(&b);
}

/* Does the peer's reckoning of us differ from where we are? */
static bool stale(const struct sp_peer *p, uint32_t piece, uint32_t rate, bool starting,
		  int64_t now)
{
	if (!p->play_sent)
		return rate > 0;
	if (!rate)
		return p->play_sent_rate > 0;
	if (starting != p->play_sent_starting)
		return true;
	uint32_t was = reckon(p->t, p->play_sent_piece, p->play_sent_rate, p->play_sent_us, now);
	double dr = (double)rate - (double)p->play_sent_rate;
	return was > piece + 1 || piece > was + 1 || dr * 10 > rate || -dr * 10 > rate;
}

void sp_playpos_tick(struct sp_torrent *t, int64_t now)
{
	if (!t->picker || t->meta_only)
		return;
	double br = 0;
	uint64_t off = sp_picker_play_offset(t->picker, now, &br);
	uint32_t piece = 0, rate = 0;
	if (off != UINT64_MAX && br > 0) {
		piece = (uint32_t)(off / t->mi->piece_length);
		rate = br >= SP_PLAYPOS_MAX_RATE ? SP_PLAYPOS_MAX_RATE : (uint32_t)br;
	}
	bool starting = rate && sp_picker_play_waiting(t->picker);
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked || p->closing || !p->sp_playpos)
			continue;
		/* at most every SEND_MIN_US; but that we have begun to play,
		 * at once: until then our peers serve us last */
		bool begun = p->play_sent && p->play_sent_starting && !starting;
		if (p->play_sent && now - p->play_sent_us < SEND_MIN_US && !begun)
			continue;
		if (stale(p, piece, rate, starting, now))
			send_pos(p, rate ? piece : p->play_sent_piece, rate, starting, now);
	}
}

int sp_playpos_on_message(struct sp_peer *p, const uint8_t *data, size_t len)
{
	struct sp_playpos pp;
	if (!p->t || sp_playpos_parse(data, len, &pp) < 0) {
		SP_DEBUG("peer", "%s: malformed sp_playpos ignored", p->name);
		return 0;
	}
	uint32_t n = p->t->mi->num_pieces;
	if (!p->play_known)
		SP_INFO("peer", "%s: sp_playpos: plays at piece %u, %u B/s", p->name, pp.piece,
			pp.rate);
	p->play_known = true;
	p->play_piece = pp.piece < n ? pp.piece : n;
	p->play_rate = pp.rate;
	p->play_starting = pp.starting;
	p->play_us = sp_now_us();
	/* a viewer that plays ahead of us (or we play nothing yet) is
	 * trusted to relay at its bitrate until our picker has measured it
	 * (rule 13): asked before the source */
	if (p->source_id && p->t->picker) {
		double br;
		uint64_t ours = sp_picker_play_offset(p->t->picker, p->play_us, &br);
		bool ahead = ours == UINT64_MAX ||
			     (uint64_t)pp.piece * p->t->mi->piece_length >= ours;
		sp_picker_source_trust(p->t->picker, p->source_id, ahead ? pp.rate : 0);
		/* and where it plays: a piece nobody but the source has,
		 * which it plays first, is left to it (rule 13) */
		sp_picker_source_plays(p->t->picker, p->source_id,
				       (uint64_t)p->play_piece * p->t->mi->piece_length, pp.rate,
				       pp.starting, p->play_us);
	}
	return 0;
}
