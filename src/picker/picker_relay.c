/* picker_relay.c - rule 13 of picker.c's opening comment: in a swarm of
 * viewers, seeds (have-all peers, the source of a stream) are patient
 * sources, the way a fallback web seed is (rule 5): a window block that a
 * peer which is not a seed has and can deliver before its deadline goes
 * to that peer (while such peers together bring PK_SEED_PATIENT_X times
 * the bitrate, or one is not measured yet); a block nobody but the seeds has goes to a seed only once
 * it is due within the seed's time + PK_SEED_MARGIN_S while another viewer
 * holds pieces between our cursor and it (it is around us, at that
 * frontier too: the viewer that needs it soonest asks first, the others
 * get it from that viewer); and a patient seed gets no
 * outside-window work (rule 6) while such relays exist. The source's
 * uplink then carries each piece about once.
 *
 * Per call state only (c_patient, relays); owner's thread. */
#include "picker/picker_int.h"

#include <math.h>

void pk_relay_prepare(struct sp_picker *p)
{
	p->relays = false;
	if (p->cfg.seed_patience < 0 || p->cfg.policy != SP_PICKER_DEADLINE || !p->nrd)
		goto none;
	/* patience needs relays that carry the stream: below that every
	 * byte a seed can send is wanted (a slow swarm) */
	double rate = 0, all = 0, br = 0;
	bool unmeasured = false;
	uint32_t seeds = 0, relays = 0;
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		/* a trusted relay (a viewer that told us it plays) counts at
		 * its rate until measured */
		bool known = s->rate_in > 0 || s->rate_est > 0 || (s->trust > 0 && !s->have_all);
		if (s->kind == SP_SOURCE_PEER && s->c_usable && known)
			all += pk_src_rate(s);
		if (s->kind == SP_SOURCE_PEER && s->c_usable)
			*(s->have_all ? &seeds : &relays) += 1;
		if (s->kind != SP_SOURCE_PEER || s->have_all || !s->c_usable)
			continue;
		if (known)
			rate += pk_src_rate(s);
		else
			unmeasured = true; /* capacity still to come */
	}
	br = pk_max_bitrate(p);
	/* a relay not measured yet counts while the swarm as a whole carries
	 * the stream (or nothing is measured yet): not in a slow swarm */
	p->relays = (unmeasured && (!all || all >= PK_SEED_PATIENT_X * br)) ||
		    (rate > 0 && rate >= PK_SEED_PATIENT_X * br);
	/* a source shared by viewers: one or two seeds behind the relays (in
	 * a swarm of many seeds each has capacity of its own) */
	/* ... and once something is measured: a seed is not patient in the
	 * first moment of a swarm */
	p->relays = p->relays && seeds <= PK_SEED_SOURCES && 2 * seeds <= relays + 1 && all > 0;
	/* rule 15: the screens of a site are relays from their first
	 * moment (they play in step: waiting for a measure, each would ask
	 * the seed for the same first window) */
	if (p->cfg.share_seed && relays && seeds <= PK_SEED_SOURCES && (unmeasured || rate > 0))
		p->relays = true;
none:
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		s->c_patient = p->relays && s->kind == SP_SOURCE_PEER && s->have_all &&
			       s->c_usable;
	}
}

bool pk_relay_front(const struct sp_picker *p, uint32_t piece)
{
	uint32_t from = piece > PK_SEED_FRONT ? piece - PK_SEED_FRONT : 0;
	for (uint32_t k = 0; k < p->nrd; k++) {
		uint32_t c = (uint32_t)(p->rd[k].offset / p->cfg.piece_length);
		if (c <= piece && c > from)
			from = c; /* the nearest cursor before it */
	}
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		if (s->kind != SP_SOURCE_PEER || s->have_all || !s->c_usable)
			continue;
		for (uint32_t i = from; i < piece; i++)
			if (sp_bitfield_get(&s->has, i))
				return true;
	}
	return false;
}

/* Rule 13's expectation: a piece only seeds have is fetched first by a
 * viewer that plays ahead of us (sp_picker_source_plays, reckoned at its
 * rate since): it needs the piece sooner, and asks the seed sooner. Our
 * request would only wait at a seed that hands out (held for that viewer)
 * and then be moved late; so we wait for it to have the piece, then ask
 * it. In how many seconds from now such a viewer should have passed us
 * the piece: when it plays the piece (now, if it is late with it), plus
 * its time to pass it on (round trip, the piece at what it brings us);
 * the soonest of them, INFINITY with none. One that waits to begin does
 * not count: its pieces are not due; nor one that has sent us nothing
 * yet (what it says of itself is not waited for until it has been seen
 * to deliver, at the rate measured). */
double pk_relay_leader_s(const struct sp_picker *p, uint32_t piece, int64_t now)
{
	double best = INFINITY, at = (double)piece * p->cfg.piece_length;
	double len = pk_piece_len(p, piece);
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		if (s->kind != SP_SOURCE_PEER || s->have_all || !s->c_usable || s->play_rate <= 0 ||
		    s->play_wait || (s->rate_in <= 0 && s->rate_est <= 0))
			continue;
		double plays = (at - (double)s->play_off) / s->play_rate -
			       (double)(now - s->play_us) / 1e6;
		double t = fmax(plays, 0) + pk_src_rtt(s) + len / pk_src_rate(s);
		if (t < best)
			best = t;
	}
	return best;
}
