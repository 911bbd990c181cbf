/* reader.c - the stream reader: a torrent file as a blocking byte stream
 * that only ever returns SHA-1-verified bytes.
 *
 * A read finds the piece of its first byte; if it is not verified, it
 * tells the picker (on_cursor) and waits on storage's verified-set
 * condition variable in short timed slices (a missed wakeup costs at most
 * one slice), checking the cancel flag between them. Once verified it
 * preads as many contiguous verified bytes as asked (short reads are
 * fine). Cancel sets an atomic flag and broadcasts the condition variable;
 * it takes only storage's vlock, which no one holds during I/O, so it
 * never blocks for long.
 *
 * Threads: the reading thread owns next_off/last_piece/reported; counters
 * and the flags are atomics; see reader.h. */
#include "storage/reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "storage/storage_impl.h"

#define WAIT_SLICE_MS 200
#define REREPORT_US 1000000
/* Without a bitrate, the start rule assumes a modest stream (2 Mbit/s). */
#define DEFAULT_BITRATE (2e6 / 8)

struct sp_reader {
	struct sp_storage *st;
	uint32_t id;
	int file_index;
	uint64_t base, size;
	uint32_t piece_length;
	struct sp_reader_hooks hooks;
	uint8_t *at_open; /* verified pieces when the reader opened */
	double hint;

	atomic_int cancel;
	_Atomic uint64_t bitrate_bits; /* double, as bits: set from any thread */
	_Atomic uint64_t lead_bits;    /* double, as bits: the consumer's lead */
	_Atomic uint64_t lead_sent_bits; /* the lead last reported */
	_Atomic uint64_t cursor;
	_Atomic uint64_t read_end; /* torrent offset after the last byte read */
	atomic_bool waiting;       /* the consumer waits for its first start */

	/* reading thread */
	uint64_t next_off;
	uint32_t last_piece;
	bool reported;

	_Atomic uint64_t served, from_cache, waits, seeks;
};

static atomic_uint next_id = 1;

static double bits_double(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof(d));
	return d;
}

static uint64_t double_bits(double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

static double load_bitrate(const struct sp_reader *r)
{
	return bits_double(atomic_load(&r->bitrate_bits));
}

struct sp_reader *sp_reader_new(struct sp_storage *st, int file_index, double bitrate_hint,
				const struct sp_reader_hooks *hooks)
{
	const struct sp_metainfo *mi = st ? st->mi : NULL;
	if (!mi || file_index < 0 || (size_t)file_index >= mi->num_files)
		return NULL;
	struct sp_reader *r = calloc(1, sizeof(*r));
	size_t nb = sp_bitfield_bytes(mi->num_pieces);
	if (!r || !(r->at_open = malloc(nb ? nb : 1))) {
		free(r);
		return NULL;
	}
	sp_storage_copy_bitfield(st, r->at_open, nb);
	sp_storage_ref(st);
	r->st = st;
	r->id = atomic_fetch_add(&next_id, 1);
	if (!r->id) /* wrapped: 0 is reserved */
		r->id = atomic_fetch_add(&next_id, 1);
	r->file_index = file_index;
	r->base = mi->files[file_index].offset;
	r->size = mi->files[file_index].length;
	r->piece_length = mi->piece_length;
	r->hint = bitrate_hint > 0 ? bitrate_hint : 0;
	if (hooks)
		r->hooks = *hooks;
	sp_reader_set_bitrate(r, 0);
	atomic_store(&r->cursor, r->base);
	return r;
}

void sp_reader_close(struct sp_reader *r)
{
	if (!r)
		return;
	if (r->hooks.on_close)
		r->hooks.on_close(r->hooks.ctx, r);
	sp_storage_unref(r->st);
	free(r->at_open);
	free(r);
}

uint32_t sp_reader_id(const struct sp_reader *r)
{
	return r->id;
}

int sp_reader_file_index(const struct sp_reader *r)
{
	return r->file_index;
}

uint64_t sp_reader_base(const struct sp_reader *r)
{
	return r->base;
}

double sp_reader_bitrate(const struct sp_reader *r)
{
	return load_bitrate(r);
}

uint64_t sp_reader_cursor(const struct sp_reader *r)
{
	return atomic_load(&r->cursor);
}

int64_t sp_reader_size(const struct sp_reader *r)
{
	return r ? (int64_t)r->size : -EINVAL;
}

void sp_reader_get_stats(const struct sp_reader *r, struct sp_reader_stats *out)
{
	out->served = atomic_load(&r->served);
	out->from_cache = atomic_load(&r->from_cache);
	out->waits = atomic_load(&r->waits);
	out->seeks = atomic_load(&r->seeks);
}

double sp_reader_lead(const struct sp_reader *r)
{
	return bits_double(atomic_load(&r->lead_bits));
}

static void report(struct sp_reader *r, uint64_t toff)
{
	atomic_store(&r->cursor, toff);
	uint64_t lead = atomic_load(&r->lead_bits);
	atomic_store(&r->lead_sent_bits, lead);
	if (r->hooks.on_cursor)
		r->hooks.on_cursor(r->hooks.ctx, r, toff, load_bitrate(r), bits_double(lead));
}

void sp_reader_set_bitrate(struct sp_reader *r, double bytes_per_sec)
{
	if (!r)
		return;
	double d = bytes_per_sec > 0 ? bytes_per_sec : r->hint;
	uint64_t bits = double_bits(d);
	uint64_t old = atomic_exchange(&r->bitrate_bits, bits);
	if (old != bits && bytes_per_sec > 0)
		report(r, atomic_load(&r->cursor));
}

void sp_reader_set_waiting(struct sp_reader *r, bool waiting)
{
	if (r && atomic_exchange(&r->waiting, waiting) != waiting)
		report(r, atomic_load(&r->cursor));
}

bool sp_reader_waiting(const struct sp_reader *r)
{
	return atomic_load(&r->waiting);
}

/* A lead that moved by less than this is not worth a report: the
 * deadlines it shifts are the picker's coarse plan, and a report costs a
 * post to the net thread. */
#define LEAD_STEP_S 0.25

void sp_reader_set_lead(struct sp_reader *r, double seconds)
{
	if (!r)
		return;
	if (!(seconds > 0))
		seconds = 0; /* also NaN */
	if (seconds > 3600)
		seconds = 3600;
	atomic_store(&r->lead_bits, double_bits(seconds));
	double sent = bits_double(atomic_load(&r->lead_sent_bits));
	/* the lead counts what was read up to now: it goes with where the
	 * reading is now, not with the last piece boundary reported */
	uint64_t at = atomic_load(&r->read_end);
	if (seconds > sent + LEAD_STEP_S || seconds < sent - LEAD_STEP_S ||
	    (seconds == 0 && sent != 0))
		report(r, at ? at : atomic_load(&r->cursor));
}

void sp_reader_cancel(struct sp_reader *r)
{
	if (!r)
		return;
	atomic_store(&r->cancel, 1);
	sp_storage_wake(r->st);
}

void sp_reader_resume(struct sp_reader *r)
{
	if (r)
		atomic_store(&r->cancel, 0);
}

/* Count the bytes of [toff, toff+n) that were verified at open. */
static void account(struct sp_reader *r, uint64_t toff, uint64_t n)
{
	atomic_fetch_add(&r->served, n);
	uint64_t cached = 0, end = toff + n;
	for (uint64_t p = toff / r->piece_length; p * r->piece_length < end; p++) {
		if (!(r->at_open[p >> 3] & (0x80u >> (p & 7))))
			continue;
		uint64_t a = p * r->piece_length, b = a + r->piece_length;
		cached += (b < end ? b : end) - (a > toff ? a : toff);
	}
	if (cached)
		atomic_fetch_add(&r->from_cache, cached);
}

ssize_t sp_reader_read(struct sp_reader *r, uint64_t offset, void *buf, size_t len)
{
	if (!r || (!buf && len))
		return -EINVAL;
	if (atomic_load(&r->cancel))
		return -ECANCELED;
	if (offset >= r->size || !len)
		return 0;
	if (len > r->size - offset)
		len = (size_t)(r->size - offset);
	uint64_t toff = r->base + offset;
	uint32_t piece = (uint32_t)(toff / r->piece_length);
	if (r->reported && offset != r->next_off)
		atomic_fetch_add(&r->seeks, 1);
	if (!r->reported || offset != r->next_off || piece != r->last_piece) {
		report(r, toff);
		r->reported = true;
		r->last_piece = piece;
	}
	int64_t last_report = sp_now_us();
	bool waited = false;
	for (;;) {
		if (atomic_load(&r->cancel))
			return -ECANCELED;
		ssize_t n = sp_storage_pread(r->st, toff, buf, len);
		if (n > 0) {
			account(r, toff, (uint64_t)n);
			r->next_off = offset + (uint64_t)n;
			atomic_store(&r->read_end, toff + (uint64_t)n);
			return n;
		}
		if (n != -EAGAIN)
			return n;
		if (!waited)
			atomic_fetch_add(&r->waits, 1);
		waited = true;
		int rc = sp_storage_wait_piece(r->st, piece, &r->cancel, WAIT_SLICE_MS);
		if (rc == -ECANCELED)
			return rc;
		if (rc == -ETIMEDOUT && sp_now_us() - last_report > REREPORT_US) {
			/* Still missing: remind the picker (a dropped post or a
			 * picker restart must not leave us waiting forever). */
			report(r, toff);
			last_report = sp_now_us();
		}
	}
}

bool sp_reader_available(struct sp_reader *r, uint64_t offset, uint64_t len)
{
	if (!r || offset > r->size)
		return false;
	if (len > r->size - offset)
		len = r->size - offset;
	if (!len)
		return true; /* nothing asked (or at the end) */
	uint64_t a = (r->base + offset) / r->piece_length;
	uint64_t b = (r->base + offset + len - 1) / r->piece_length;
	for (uint64_t p = a; p <= b; p++)
		if (!sp_storage_have(r->st, (uint32_t)p))
			return false;
	return true;
}

/* Verified bytes from offset on, contiguous, up to max. */
static uint64_t buffered_from(struct sp_reader *r, uint64_t offset, uint64_t max)
{
	uint64_t n = 0;
	uint64_t p = (r->base + offset) / r->piece_length;
	while (n < max && sp_storage_have(r->st, (uint32_t)p)) {
		n = (p + 1) * r->piece_length - (r->base + offset);
		p++;
	}
	return n < max ? n : max;
}

bool sp_reader_ready_to_start(struct sp_reader *r, uint64_t offset, double ahead_s)
{
	if (!r)
		return false;
	if (offset >= r->size)
		return true; /* nothing left to wait for */
	if (r->hooks.ready_to_start)
		return r->hooks.ready_to_start(r->hooks.ctx, r, r->base + offset, ahead_s);
	return sp_reader_own_start_rule(r, offset, ahead_s);
}

bool sp_reader_own_start_rule(struct sp_reader *r, uint64_t offset, double ahead_s)
{
	if (offset >= r->size)
		return true;
	/* Tribler's rule: the first bytes are here, and what is missing of
	 * the next ahead_s seconds arrives, at the current rate, within
	 * ahead_s seconds. */
	if (!sp_reader_available(r, offset, 1))
		return false;
	double br = load_bitrate(r);
	if (br <= 0)
		br = DEFAULT_BITRATE;
	double want_d = br * (ahead_s > 0 ? ahead_s : 0);
	uint64_t left = r->size - offset;
	uint64_t want = want_d >= (double)left ? left : (uint64_t)want_d;
	uint64_t have = buffered_from(r, offset, want);
	if (have >= want)
		return true;
	double rate = sp_storage_rate(r->st);
	return rate > 0 && (double)(want - have) / rate <= ahead_s;
}
