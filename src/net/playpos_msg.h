/* playpos_msg.h - the sp_playpos extended message (BEP 10; issue 10): a
 * swarmplay viewer tells its peers where it plays, so that a source hands
 * each piece to the viewer that needs it soonest and a viewer uploads to
 * those behind it. Other clients never see it: it is sent only to peers
 * whose extended handshake's "m" names it.
 *
 * The payload is a bencoded dictionary:
 *   "p": the piece the player plays (its reading position less what it
 *        has read ahead and not yet played: where its deadlines are
 *        now), an integer >= 0;
 *   "r": the playback rate in bytes/s, an integer >= 0 (0: paused, or no
 *        stream plays; then "p" is where it stopped);
 *   "w": 1 while the player waits for its first start (it buffers to
 *        begin; no picture on screen moves yet), else 0 or absent. A
 *        peer serving several viewers serves those already playing
 *        first: a wait before the start costs a viewer a later first
 *        frame, a wait after it a stall.
 * Unknown keys are ignored, so later versions may add some.
 *
 * Pure: bytes in, a struct out; any thread. */
#ifndef SP_NET_PLAYPOS_MSG_H
#define SP_NET_PLAYPOS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bencode.h"

#define SP_PLAYPOS_NAME "sp_playpos"
/* Bounds: a piece index past this is malformed; a rate past this is
 * taken as this (no video plays at 1 GB/s, and the receiver's arithmetic
 * stays in range). */
#define SP_PLAYPOS_MAX_PIECE ((uint32_t)1 << 30)
#define SP_PLAYPOS_MAX_RATE ((uint32_t)1000000000)

struct sp_playpos {
	uint32_t piece; /* < SP_PLAYPOS_MAX_PIECE (the caller checks its torrent's count) */
	uint32_t rate;	/* bytes/s, <= SP_PLAYPOS_MAX_RATE */
	bool starting;	/* "w": waiting for its first start */
};

/* 0, or -EBADMSG: not a bencoded dictionary (with nothing after it), "p"
 * missing, not an integer, negative or >= SP_PLAYPOS_MAX_PIECE, "r" or
 * "w" not an integer. A negative "r" counts as 0; "w" other than 0 as 1. Never reads past data + len;
 * out is zeroed on error. */
int sp_playpos_parse(const uint8_t *data, size_t len, struct sp_playpos *out);
/* Appends the payload for pp to b (rate clamped as the parser would). */
int sp_playpos_build(struct sp_buf *b, const struct sp_playpos *pp);

#endif
