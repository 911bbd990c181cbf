/* choker_rank.h - who we upload to, as a pure function of what we know of
 * each peer (issue 10): BEP 3 tit-for-tat, or the video-on-demand ranking
 * (Give-to-Get). No sockets, no clock: the choker (choker.c), the viewer
 * simulator (bench/sim) and the property tests call it. Any thread. */
#ifndef SP_NET_CHOKER_RANK_H
#define SP_NET_CHOKER_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_CHOKER_MAX_SLOTS 16
#define SP_CHOKER_MIN_SLOTS 2
#define SP_CHOKER_SLOT_X 0.5   /* VoD: one slot per this x the bitrate of uplink */
#define SP_CHOKER_NEW_S 10.0   /* VoD: a peer this young is a newcomer */

struct sp_choker_cand {
	uint32_t id;
	bool interested;   /* it wants something we have */
	bool unchoked;     /* we upload to it now */
	bool snubbed;      /* it has sent us nothing for a while */
	bool behind;       /* it has less of the file than we do */
	double down_rate;  /* what it gives us, bytes/s */
	double up_rate;    /* what we give it, bytes/s */
	double forwarded;  /* pieces it announced (HAVE) that it got after we
			      sent it some: what it passes on (Give-to-Get) */
	double age_s;      /* connected for */
	double lag_s;      /* how far behind us it plays, seconds, when both
			      positions are known (sp_playpos); 0: unknown */
	bool lan;          /* on the local network, and LAN peers come first
			      (LSD on: the kiosk's screens serve each other
			      before strangers on the internet) */
};

struct sp_choker_in {
	bool seeding;      /* we have the whole file */
	bool vod;          /* the VoD ranking; else BEP 3 tit-for-tat */
	bool rotate;       /* time to move the optimistic slot */
	uint32_t slots;    /* regular slots; 0: sized to the uplink (VoD) or 4 */
	double uplink;     /* our measured (or capped) upload rate, bytes/s; 0: unknown */
	double bitrate;    /* of the video, bytes/s; 0: unknown */
	uint64_t random;   /* the caller's random draw for the optimistic slot */
};

/* The regular slots for these inputs. */
uint32_t sp_choker_slots(const struct sp_choker_in *in);

/* Fills out with the ids to unchoke (at most slots + 1, one of them the
 * optimistic, whose id *optimistic holds: kept unless in->rotate, it left
 * or took a regular slot; 0 when none) and returns how many. Only
 * interested candidates are ever unchoked.
 *
 * Tit-for-tat: by down_rate (a snubbing peer last); seeding, by up_rate.
 * VoD: peers behind us first (we have what they need soonest): those
 * whose lag_s is known by it, nearest first (it needs our newest pieces
 * soonest, and passes them on to those behind it), then the others by
 * forwarded and what they give us; then the peers not behind us by what
 * they give us; and the optimistic slot goes to a newcomer (younger than
 * SP_CHOKER_NEW_S) first, at once rather than at the next rotation. */
size_t sp_choker_rank(const struct sp_choker_in *in, const struct sp_choker_cand *c, size_t n,
		      uint32_t *out, uint32_t *optimistic);

#endif
