/* picker_win.c - readers, their windows and deadlines (rules 1, 2 and 9
 * of picker.c's opening comment), the aggregate rate, and the start rule
 * (sp_picker_ready_to_start) that the player and the simulator share.
 * Pure; owner's thread. */
#include "picker/picker_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- readers ---- */

double pk_reader_bitrate(const struct pk_reader *r)
{
	return r->bitrate > 0 ? r->bitrate : SP_PICKER_DEFAULT_BITRATE;
}

static struct pk_reader *reader_find(const struct sp_picker *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->nrd; i++)
		if (p->rd[i].id == id)
			return &p->rd[i];
	return NULL;
}

void sp_picker_cursor_set(struct sp_picker *p, uint32_t reader, uint64_t offset, double bitrate,
			  int64_t now_us)
{
	sp_picker_cursor_set_lead(p, reader, offset, bitrate, 0, now_us);
}

void sp_picker_cursor_set_lead(struct sp_picker *p, uint32_t reader, uint64_t offset,
			       double bitrate, double lead_s, int64_t now_us)
{
	if (offset >= p->cfg.total_length)
		offset = p->cfg.total_length - 1;
	struct pk_reader *r = reader_find(p, reader);
	if (!r) {
		if (p->nrd == p->caprd) {
			uint32_t nc = p->caprd ? p->caprd * 2 : 4;
			struct pk_reader *nr = realloc(p->rd, nc * sizeof(*nr));
			if (!nr)
				return;
			p->rd = nr;
			p->caprd = nc;
		}
		r = &p->rd[p->nrd++];
		*r = (struct pk_reader){.id = reader, .offset = offset, .win_end = offset};
	} else {
		/* reading moves forward in small steps (a reader may report once
		 * per piece) */
		uint64_t slack = 2ull * p->cfg.piece_length;
		slack = slack > PK_SEEK_SLACK ? slack : PK_SEEK_SLACK;
		if (offset + slack < r->offset || offset > r->offset + slack)
			p->seek_pending = true;
	}
	int64_t lead_us = lead_s > 0 && lead_s < 3600 ? (int64_t)(lead_s * 1e6) : 0;
	/* A report of the same place and lead says nothing new about the
	 * clock (a reader reminding us while it waits, a bitrate change):
	 * the lead was measured when it was first reported, and playback has
	 * used it up since. Dating it now would push the piece the reader
	 * waits for a second further out with every reminder, and the picker
	 * would never see it due. A lead of 0 is "due now" whenever said. */
	bool repeat = r->t_us && offset == r->offset && lead_us && lead_us == r->lead_us &&
		      now_us >= r->t_us;
	r->offset = offset;
	r->bitrate = bitrate;
	if (!repeat)
		r->t_us = now_us;
	r->lead_us = lead_us;
	if (r->win_end < offset)
		r->win_end = offset;
}

void sp_picker_cursor_waiting(struct sp_picker *p, uint32_t reader, bool waiting,
			      int64_t now_us)
{
	struct pk_reader *r = reader_find(p, reader);
	if (!r)
		return;
	if (r->waiting && !waiting)
		r->plays_us = now_us; /* its clock starts now */
	r->waiting = waiting;
}

bool sp_picker_play_waiting(const struct sp_picker *p)
{
	for (uint32_t k = 0; k < p->nrd; k++)
		if (!p->rd[k].waiting)
			return false;
	return p->nrd > 0;
}

void sp_picker_cursor_remove(struct sp_picker *p, uint32_t reader)
{
	struct pk_reader *r = reader_find(p, reader);
	if (r)
		*r = p->rd[--p->nrd];
}

/* Verified bytes from the reader's cursor on, counted up to limit. */
static uint64_t buffered_upto(const struct sp_picker *p, const struct pk_reader *r,
			      uint64_t limit)
{
	uint64_t plen = p->cfg.piece_length, end = r->offset;
	for (uint32_t i = (uint32_t)(r->offset / plen);
	     i < p->cfg.num_pieces && p->state[i] == PS_HAVE && end - r->offset < limit; i++)
		end = (uint64_t)i * plen + pk_piece_len(p, i);
	return end > r->offset ? end - r->offset : 0;
}

uint64_t sp_picker_cursor(const struct sp_picker *p, uint32_t reader)
{
	const struct pk_reader *r = reader_find(p, reader);
	return r ? r->offset : UINT64_MAX;
}

uint64_t sp_picker_buffered(const struct sp_picker *p, uint32_t reader)
{
	const struct pk_reader *r = reader_find(p, reader);
	return r ? buffered_upto(p, r, UINT64_MAX) : 0;
}

double sp_picker_rate(const struct sp_picker *p)
{
	double sum = 0;
	bool unmeasured = false;
	for (uint32_t i = 0; i < p->nsrc; i++) {
		const struct pk_source *s = p->src[i];
		if (!s->choked && (s->rate_in > 0 || s->rate_est > 0))
			sum += pk_src_rate(s);
		else if (!s->choked && s->nreq)
			unmeasured = true;
	}
	if (!unmeasured)
		return sum;
	/* some source sends but is not measured yet: the last two seconds of
	 * arrivals (but the current slot, partial) may say more */
	uint64_t bytes = 0;
	for (int k = 1; k < 8; k++)
		bytes += p->agg_bytes[(p->agg_slot - k) & 7];
	double agg = (double)bytes / 1.75;
	return agg > sum ? agg : sum;
}

/* How long one block takes from a typical source: the mean over unchoked
 * sources of RTT + block / rate (0.3 s if none is measured yet). */
static double block_latency(const struct sp_picker *p)
{
	double sum = 0;
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->nsrc; i++) {
		const struct pk_source *s = p->src[i];
		if (s->choked || (s->rate_in <= 0 && s->rate_est <= 0))
			continue;
		sum += pk_src_rtt(s) + SP_PICKER_BLOCK / pk_src_rate(s);
		n++;
	}
	return n ? sum / n : 0.3;
}

/* When will the last missing block of piece pc arrive, in seconds from
 * now? Requested blocks by their source's queue; the others as if the
 * aggregate rate fetched them in order after *unreq bytes. */
static double piece_eta(const struct sp_picker *p, uint32_t pc, int64_t now, double rate,
			double lat, double *unreq)
{
	const struct pk_piece_dl *d = p->dl[pc];
	uint32_t nb = pk_nblocks(p, pc);
	double eta = 0, parole_q = 0;
	/* a piece on parole comes from one source: its free blocks queue up
	 * behind each other at that source's rate */
	const struct pk_source *own = p->parole[pc] && d && d->owned ? pk_find(p, d->owner) : NULL;
	bool parole = p->parole[pc] != 0;
	for (uint32_t b = 0; b < nb; b++) {
		uint8_t st = d ? d->blk[b] : 0;
		if (st & BLK_GOT)
			continue;
		double t = -1;
		if (st & BLK_NREQ) {
			const struct pk_source *s = pk_find(p, d->holder[b]);
			if (s)
				t = (double)(pk_blk_eta(p, pc, b, s, pk_src_crate(s, now), now) - now) /
				    1e6;
			/* a silent holder loses it at its timeout: then one block's
			 * time from someone else */
			double tt = (double)(d->tmo[b] - now) / 1e6;
			if (s && tt + lat < t)
				t = tt > 0 ? tt + lat : lat;
		}
		if (t < 0 && parole) {
			parole_q += pk_block_len(p, pc, b);
			t = own ? pk_src_rtt(own) + ((double)pk_src_queued(p, own) + parole_q) /
							pk_src_crate(own, now)
				: lat * parole_q / SP_PICKER_BLOCK;
		} else if (t < 0) {
			*unreq += pk_block_len(p, pc, b);
			t = rate > 0 ? *unreq / rate + lat : INFINITY;
		}
		if (t > eta)
			eta = t;
	}
	return eta;
}

bool pk_peer_unmeasured(const struct sp_picker *p)
{
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		if (s->kind == SP_SOURCE_PEER && pk_src_usable(p, s) && s->rate_in <= 0 &&
		    s->rate_est <= 0)
			return true;
	}
	return false;
}

double pk_max_bitrate(const struct sp_picker *p)
{
	double br = 0;
	for (uint32_t k = 0; k < p->nrd; k++)
		if (pk_reader_bitrate(&p->rd[k]) > br)
			br = pk_reader_bitrate(&p->rd[k]);
	return br;
}

double sp_picker_bitrate(const struct sp_picker *p)
{
	return pk_max_bitrate(p);
}

/* Where the reader's consumer plays now: its cursor less the read-ahead
 * still to be played (the lead reported, used up at the bitrate since the
 * report, or since it stopped waiting if that was later: a report made
 * while it waited keeps its time when the same lead is said again),
 * never past the cursor (a reader that waits there plays no further). It
 * is the byte whose deadline is now. */
double pk_reader_play_at(const struct pk_reader *r, int64_t now)
{
	int64_t since = r->plays_us > r->t_us ? r->plays_us : r->t_us;
	int64_t used = r->waiting ? 0 : now - since;
	double left = (double)(r->lead_us - used) / 1e6;
	if (!r->lead_us || left <= 0)
		return (double)r->offset;
	double at = (double)r->offset - left * pk_reader_bitrate(r);
	return at > 0 ? at : 0;
}

uint64_t sp_picker_play_offset(const struct sp_picker *p, int64_t now, double *bitrate)
{
	double off = INFINITY;
	*bitrate = 0;
	for (uint32_t k = 0; k < p->nrd; k++) {
		double at = pk_reader_play_at(&p->rd[k], now);
		if (at < off) {
			off = at;
			*bitrate = pk_reader_bitrate(&p->rd[k]);
		}
	}
	return p->nrd ? (uint64_t)off : UINT64_MAX;
}

/* The start buffer absorbs a loss of sources right after the start. Peers
 * that together bring more than (1 + PK_START_MARGIN_X) x the bitrate,
 * every usable one measured, refill a loss that much faster and need
 * that much less of it (a quarter at least); a fallback server is no
 * part of that margin. */
static double start_buffer(const struct sp_picker *p, double br)
{
	double need = p->cfg.start_buffer_s;
	if (pk_peer_unmeasured(p))
		return need; /* not measured yet: nothing is known */
	double margin = pk_window_rate(p) / br - 1;
	if (need > 0 && margin > PK_START_MARGIN_X)
		need *= PK_START_MARGIN_X / margin > 0.25 ? PK_START_MARGIN_X / margin : 0.25;
	return need;
}

bool sp_picker_ready_to_start(const struct sp_picker *p, uint32_t reader, double ahead_s,
			      double rate_Bps)
{
	const struct pk_reader *r = reader_find(p, reader);
	if (!r)
		return false;
	/* the consumer's queue is media read ahead of playback: playback
	 * reaches the cursor lead seconds after it starts, and the queue
	 * counts toward the start buffer (a player's demuxer reads up to the
	 * piece it waits for: with no lead, that piece must be here) */
	double lead = (double)r->lead_us / 1e6;
	if (lead <= 0 && p->state[r->offset / p->cfg.piece_length] != PS_HAVE)
		return false;
	double br = pk_reader_bitrate(r);
	uint64_t end = r->offset + (uint64_t)(ahead_s * br), plen = p->cfg.piece_length;
	double sb = start_buffer(p, br) - lead;
	uint64_t want = r->offset + (uint64_t)(sb > 0 ? sb * br : 0);
	if (p->cfg.start_buffer_s > 0 && sb > 0 &&
	    r->offset + buffered_upto(p, r, want - r->offset) <
		    (want < p->cfg.total_length ? want : p->cfg.total_length))
		return false;
	if (end > p->cfg.total_length)
		end = p->cfg.total_length;
	double rate = rate_Bps > 0 ? rate_Bps : sp_picker_rate(p), missing = 0, unreq = 0;
	double lat = block_latency(p);
	/* Tribler's rule over the whole horizon, and at each piece boundary
	 * inside it: a piece is readable only whole, so what is missing up to
	 * and including it must arrive before playback reaches its start (its
	 * last block comes from one source: add one block's latency); and each
	 * piece's own outstanding blocks must be expected by then. */
	for (uint64_t i = r->offset / plen; i * plen < end; i++) {
		uint32_t pc = (uint32_t)i;
		if (p->state[pc] == PS_HAVE)
			continue;
		double t_play = (i * plen > r->offset ? (double)(i * plen - r->offset) / br : 0) + lead;
		missing += pk_piece_len(p, pc);
		if (p->dl[pc])
			missing -= (double)p->dl[pc]->got * SP_PICKER_BLOCK;
		if (rate <= 0 || missing / rate + lat > t_play)
			return false;
		if (t_play < 30 && piece_eta(p, pc, r->t_us, rate, lat, &unreq) > t_play)
			return false;
	}
	return missing <= 0 || (rate > 0 && missing / rate <= ahead_s);
}

int64_t sp_picker_piece_deadline(const struct sp_picker *p, uint32_t piece)
{
	if (piece >= p->cfg.num_pieces || p->win_stamp[piece] != p->win_gen)
		return INT64_MAX;
	return p->deadline[piece];
}

uint64_t sp_picker_window_end(const struct sp_picker *p, uint32_t reader)
{
	const struct pk_reader *r = reader_find(p, reader);
	return r ? r->win_end : 0;
}

/* ---- windows ---- */

double pk_window_rate(const struct sp_picker *p)
{
	double sum = 0;
	for (uint32_t i = 0; i < p->nsrc; i++) {
		const struct pk_source *s = p->src[i];
		if (s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary)
			continue; /* a fallback server must not widen the window */
		if (pk_src_usable(p, s) && (s->rate_in > 0 || s->rate_est > 0))
			sum += pk_src_rate(s);
	}
	return sum;
}

static int cmp_deadline(const void *a, const void *b, void *ctx)
{
	const struct sp_picker *p = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (p->deadline[x] != p->deadline[y])
		return p->deadline[x] < p->deadline[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

void pk_compute_windows(struct sp_picker *p, int64_t now)
{
	(void)now;
	p->win_gen++;
	if (!p->win_gen)
		p->win_gen = 1;
	p->nwin = 0;
	double rate = pk_window_rate(p);
	uint64_t plen = p->cfg.piece_length;
	for (uint32_t k = 0; k < p->nrd; k++) {
		struct pk_reader *r = &p->rd[k];
		double br = pk_reader_bitrate(r);
		double ws = PK_WIN_MIN_S + PK_WIN_GAIN_S * rate / br;
		if (ws > PK_WIN_MAX_S)
			ws = PK_WIN_MAX_S;
		uint64_t first = r->offset / plen;
		uint64_t end = r->offset + (uint64_t)(ws * br);
		if (p->cfg.policy != SP_PICKER_DEADLINE) {
			/* SwarmPlayer's high range: max(10 s, 5 pieces), at most 50 */
			uint64_t n = (uint64_t)ceil(10.0 * br / (double)plen);
			n = n < 5 ? 5 : n > 50 ? 50 : n;
			end = (first + n) * plen;
		}
		if (end < (first + 2) * plen)
			end = (first + 2) * plen; /* the cursor's piece and the next */
		if (end > p->cfg.total_length)
			end = p->cfg.total_length;
		r->win_end = end;
		for (uint64_t i = first; i * plen < end; i++) {
			uint32_t pc = (uint32_t)i;
			uint64_t start = i * plen;
			double dt = start > r->offset ? (double)(start - r->offset) / br : 0;
			int64_t dl = r->t_us + r->lead_us + (int64_t)(dt * 1e6);
			if (p->win_stamp[pc] != p->win_gen) {
				p->win_stamp[pc] = p->win_gen;
				p->deadline[pc] = dl;
				if (p->state[pc] == PS_NEED)
					p->wlist[p->nwin++] = pc;
			} else if (dl < p->deadline[pc]) {
				p->deadline[pc] = dl;
			}
		}
	}
	/* one reader: already in deadline order; several: sort */
	for (uint32_t i = 1; i < p->nwin; i++)
		if (cmp_deadline(&p->wlist[i - 1], &p->wlist[i], p) > 0) {
			qsort_r(p->wlist, p->nwin, sizeof(uint32_t), cmp_deadline, p);
			break;
		}
}

/* ---- per call scratch ---- */

bool pk_healthy_buffer(const struct sp_picker *p, int64_t now)
{
	if (!p->nrd)
		return true;
	for (uint32_t k = 0; k < p->nrd; k++) {
		/* what the consumer holds counts, as of now */
		const struct pk_reader *r = &p->rd[k];
		double lead = (double)(r->t_us + r->lead_us - now) / 1e6;
		double need = PK_RARE_BUFFER_S - (lead > 0 && r->lead_us > 0 ? lead : 0);
		if (need <= 0)
			continue;
		uint64_t want = (uint64_t)(need * pk_reader_bitrate(r));
		uint64_t left = p->cfg.total_length - p->rd[k].offset;
		if (buffered_upto(p, &p->rd[k], want) < (want < left ? want : left))
			return false;
	}
	return true;
}
