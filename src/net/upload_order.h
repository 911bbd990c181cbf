/* upload_order.h - the order of a viewer's uploads (issue 10), as pure
 * functions of what it knows of each request: how far the piece lies
 * past where its asker plays, and whether another viewer has the piece.
 * No sockets, no clock: peer_up.c, the viewer simulator's rule and the
 * property tests use it. Any thread. */
#ifndef SP_NET_UPLOAD_ORDER_H
#define SP_NET_UPLOAD_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* a request held while another peer's waits whose key is more than this
 * many pieces lower */
#define SP_URGENT_SLACK 1
/* a request for a piece another viewer has counts this many pieces
 * later: the asker can get it there, and our uplink goes first to what
 * only we have (the newest pieces, which the viewer right behind us
 * needs soonest) */
#define SP_URGENT_ELSEWHERE 8
/* a viewer that waits for its first start (sp_playpos "w") needs its
 * pieces this many seconds of its stream later than its position says:
 * those already playing go first (their wait would be a stall, its own
 * is a later first frame). Two seconds: a playing viewer's buffer in a
 * tight swarm. */
#define SP_URGENT_STARTING_S 2.0

/* A viewer's request we have held this long while counting it "to be
 * had elsewhere" is refused (REJECT, once per piece and peer): its
 * picker expected us to send it and learns of the hold only when it is
 * late, after the deadline (2.5-3 s in the random-join runs); told no,
 * it asks the viewer the order meant at once. A handing-out seed does
 * the same after SP_HANDOUT_HOLD_US. */
#define SP_URGENT_HOLD_US 1000000

/* Refuse a request held held_us while counted elsewhere, unless the
 * piece was refused to that peer before (then it is served in turn). */
bool sp_upload_refuse(int64_t held_us, bool elsewhere, bool refused_before);

/* A position not known: a viewer that does not say where it plays, or we
 * who play nothing (a seed). Equal to SP_PLAYPOS_NONE. */
#define SP_UPLOAD_NOWHERE UINT32_MAX

/* Could a viewer that plays at p_at get a piece from another viewer that
 * has it and plays at q_at, rather than from us at u_at (pieces; each
 * SP_UPLOAD_NOWHERE if not known)? Not from one behind it (its picker
 * trusts viewers ahead of it, not behind: rule 13). Not from one that
 * plays beyond us when we play ahead of the asker: that one's uplink
 * goes to the viewers between it and us, ours to the asker, and the
 * viewers form a chain, each feeding the one behind it first. Otherwise,
 * a viewer that does not say where it plays included, yes. With uplinks
 * of one bitrate each the chain is the only way to carry the stream:
 * when each viewer took the last one's requests as "to be had
 * elsewhere", the two ahead served the two behind alike and the third
 * idled (issue 10, bench/viewers, ninth part). */
bool sp_upload_alternative(uint32_t p_at, uint32_t q_at, uint32_t u_at);

/* Does a viewer at q_at play between the asker at p_at and us at u_at
 * (each known, the asker not ahead of us)? Then a piece we are sending
 * it counts as one it has for sp_upload_alternative: it will have the
 * piece in a moment, and the asker gets it there, down the chain. Where
 * several viewers joined within seconds of each other, the first one's
 * uplink otherwise went to all of them alike, each its own copy of the
 * newest pieces, and the one right behind it stalled (issue 10,
 * bench/viewers, ninth part). */
bool sp_upload_between(uint32_t p_at, uint32_t q_at, uint32_t u_at);

/* A seed handing out: is a request for a piece, needed p_need pieces
 * past where its asker plays, kept for another swarmplay viewer that
 * lacks the piece, is not being sent it and needs it q_need pieces past
 * where it plays? Yes when that one needs it more than SP_URGENT_SLACK
 * pieces sooner, or about as soon (within SP_URGENT_SLACK either way)
 * and asked us for it first (q_asked_first). Each new piece goes to one
 * viewer, the one that plays nearest it, who passes it on. Served to
 * two viewers as they asked, they shared the seed's uplink (a fair share
 * per connection), and the first viewer of two that joined 1.7 s apart
 * stalled 1-8 s while the seed sent the second one five times as much
 * (issue 10, bench/viewers, tenth part). */
bool sp_upload_kept(uint32_t p_need, uint32_t q_need, bool q_asked_first);

/* SP_URGENT_STARTING_S of a stream of rate bytes/s, in pieces of
 * piece_length (2 at least). */
uint32_t sp_upload_starting_pieces(uint32_t rate, uint32_t piece_length);

/* The key of a request: dist (pieces past where its asker plays) plus
 * SP_URGENT_ELSEWHERE when another viewer has the piece. Saturates. */
uint32_t sp_upload_key(uint32_t dist, bool elsewhere);

/* Of one peer's n request keys, the one to serve: the lowest (the first
 * of equal ones); -1 when that one is more than SP_URGENT_SLACK over
 * min_key (another peer's request, needed sooner, goes first), unless
 * spare (the uplink idles: serve anyway). -1 when n is 0. */
ssize_t sp_upload_pick(const uint32_t *keys, size_t n, uint32_t min_key, bool spare);

#endif
