/* torrent_api.c - the public sp_torrent_* functions (any thread): they
 * read the stats snapshot under its mutex or post to the net thread, and
 * sp_torrent_open_reader wires a storage reader's cursor to the picker.
 * Readers must be closed before sp_session_free (their on_close posts to
 * the session). */
#include "net/session.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "picker/picker.h"
#include "storage/reader.h"
#include "storage/storage.h"

/* ---- public, any thread ---- */

const struct sp_metainfo *sp_torrent_metainfo(const struct sp_torrent *t)
{
	return t ? t->mi : NULL;
}

struct add_peer_job {
	struct sp_torrent *t;
	struct sockaddr_storage addr;
	socklen_t len;
};

static void add_peer_on_loop(void *arg)
{
	struct add_peer_job *job = arg;
	struct sp_torrent *t = job->t;
	if (!t->s->stopping) {
		sp_torrent_add_candidate(t, (struct sockaddr *)&job->addr, job->len);
		sp_torrent_connect_candidates(t, sp_now_us());
	}
	free(job);
}

int sp_torrent_add_peer(struct sp_torrent *t, const char *host, uint16_t port)
{
	if (!t || !host || !port)
		return -EINVAL;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	/* Resolving blocks: it runs on the caller's thread, never the loop. */
	if (getaddrinfo(host, ps, &hints, &res) != 0 || !res)
		return -EINVAL;
	struct add_peer_job *job = calloc(1, sizeof(*job));
	int r = -ENOMEM;
	if (job && res->ai_addrlen <= sizeof(job->addr)) {
		job->t = t;
		memcpy(&job->addr, res->ai_addr, res->ai_addrlen);
		job->len = (socklen_t)res->ai_addrlen;
		r = sp_session_post(t->s, add_peer_on_loop, job);
		if (r == 0)
			job = NULL;
	}
	free(job);
	freeaddrinfo(res);
	return r;
}

void sp_torrent_get_stats(struct sp_torrent *t, struct sp_torrent_stats *st)
{
	pthread_mutex_lock(&t->stats_lock);
	*st = t->stats;
	pthread_mutex_unlock(&t->stats_lock);
}

int sp_torrent_get_pieces(struct sp_torrent *t, uint8_t *bits, size_t len)
{
	if (!t || !bits || len < sp_bitfield_bytes(t->mi->num_pieces))
		return -EINVAL;
	sp_storage_copy_bitfield(t->storage, bits, len);
	return 0;
}

/* ---- readers ---- */

struct cursor_job {
	struct sp_torrent *t;
	uint32_t id;
	uint64_t offset;
	double bitrate, lead_s;
	int64_t at_us; /* when the reader reported it */
	bool remove;
	bool waiting; /* its consumer waits for its first start */
};

static void cursor_on_loop(void *arg)
{
	struct cursor_job *job = arg;
	struct sp_torrent *t = job->t;
	if (!t->s->stopping) {
		if (job->remove)
			sp_picker_cursor_remove(t->picker, job->id);
		else {
			sp_picker_cursor_set_lead(t->picker, job->id, job->offset, job->bitrate,
						  job->lead_s, job->at_us);
			sp_picker_cursor_waiting(t->picker, job->id, job->waiting, job->at_us);
		}
		sp_torrent_pump(t);
	}
	free(job);
}

static void post_cursor(struct sp_torrent *t, uint32_t id, uint64_t off, double rate,
			double lead_s, bool remove, bool waiting)
{
	struct cursor_job *job = malloc(sizeof(*job));
	if (!job)
		return;
	*job = (struct cursor_job){t, id, off, rate, lead_s, sp_now_us(), remove, waiting};
	if (sp_session_post(t->s, cursor_on_loop, job) < 0)
		free(job);
}

static void reader_on_cursor(void *ctx, struct sp_reader *r, uint64_t off, double bitrate,
			     double lead_s)
{
	post_cursor(ctx, sp_reader_id(r), off, bitrate, lead_s, false, sp_reader_waiting(r));
}

static void reader_on_close(void *ctx, struct sp_reader *r)
{
	struct sp_torrent *t = ctx;
	uint32_t id = sp_reader_id(r);
	pthread_mutex_lock(&t->stats_lock);
	for (int i = 0; i < SP_START_SLOTS; i++)
		if (t->start[i].reader == id)
			t->start[i].reader = 0;
	pthread_mutex_unlock(&t->stats_lock);
	post_cursor(ctx, id, 0, 0, 0, true, false);
}

/* ---- the start rule (issue 9: the player and the simulator use one) ----
 *
 * The player asks, on its demux thread, whether playback may start; the
 * answer is the picker's rule (sp_picker_ready_to_start: the missing
 * bytes up to each piece boundary arrive before playback reaches it, at
 * the sources' measured rates, each piece's outstanding blocks by their
 * source's queue, and start_buffer_s verified), which only the net thread
 * may evaluate. So the reader's thread reads the latest answer for its
 * cursor's piece from a slot and marks that it asked; the net thread
 * re-evaluates asked slots on every tick and verified piece. Until a
 * slot has an answer for about the piece being read, the reader's own
 * rule (storage's verified-byte rate) answers. */
#define START_ASK_FRESH_US 1000000

static bool reader_ready(void *ctx, struct sp_reader *r, uint64_t off, double ahead_s)
{
	struct sp_torrent *t = ctx;
	uint32_t id = sp_reader_id(r), piece = (uint32_t)(off / t->mi->piece_length);
	int ans = -1;
	pthread_mutex_lock(&t->stats_lock);
	struct sp_start_slot *free_slot = NULL, *sl = NULL;
	for (int i = 0; i < SP_START_SLOTS; i++) {
		if (t->start[i].reader == id)
			sl = &t->start[i];
		else if (!t->start[i].reader && !free_slot)
			free_slot = &t->start[i];
	}
	if (!sl && free_slot) {
		sl = free_slot;
		*sl = (struct sp_start_slot){.reader = id, .piece = UINT32_MAX};
	}
	if (sl) {
		sl->asked_us = sp_now_us();
		sl->ahead_s = ahead_s;
		/* the picker's cursor follows the reads a piece behind (one
		 * report per piece): an answer for a piece or two back is the
		 * current one; farther is a seek not reported yet */
		if (sl->piece != UINT32_MAX && sl->piece <= piece + 1 && sl->piece + 2 >= piece)
			ans = sl->ready;
	}
	pthread_mutex_unlock(&t->stats_lock);
	return ans >= 0 ? ans != 0 : sp_reader_own_start_rule(r, off - sp_reader_base(r), ahead_s);
}

void sp_torrent_start_rule_update(struct sp_torrent *t)
{
	if (!t->picker)
		return;
	int64_t now = sp_now_us();
	pthread_mutex_lock(&t->stats_lock);
	for (int i = 0; i < SP_START_SLOTS; i++) {
		struct sp_start_slot *sl = &t->start[i];
		if (!sl->reader || now - sl->asked_us > START_ASK_FRESH_US)
			continue;
		uint64_t cur = sp_picker_cursor(t->picker, sl->reader);
		if (cur == UINT64_MAX)
			continue; /* the picker has not heard of it yet */
		sl->piece = (uint32_t)(cur / t->mi->piece_length);
		sl->ready = sp_picker_ready_to_start(t->picker, sl->reader, sl->ahead_s, 0);
	}
	pthread_mutex_unlock(&t->stats_lock);
}

/* ---- which files are worth fetching outside the windows ---- */

struct wanted_job {
	struct sp_torrent *t;
	int file;
	bool wanted;
};

/* A piece is wanted while a wanted file (not a pad, not empty) holds
 * some of its bytes. */
static bool piece_wanted(const struct sp_torrent *t, uint32_t piece)
{
	const struct sp_metainfo *mi = t->mi;
	uint64_t a = (uint64_t)piece * mi->piece_length, b = a + mi->piece_length;
	for (size_t i = 0; i < mi->num_files; i++) {
		const struct sp_mi_file *f = &mi->files[i];
		if (!f->is_pad && f->length && f->offset < b && f->offset + f->length > a &&
		    !t->file_unwanted[i])
			return true;
	}
	return false;
}

static void wanted_on_loop(void *arg)
{
	struct wanted_job *job = arg;
	struct sp_torrent *t = job->t;
	const struct sp_mi_file *f = &t->mi->files[job->file];
	if (!t->s->stopping && f->length &&
	    (t->file_unwanted || (t->file_unwanted = calloc(t->mi->num_files, 1)))) {
		t->file_unwanted[job->file] = !job->wanted;
		uint32_t first = (uint32_t)(f->offset / t->mi->piece_length);
		uint32_t last = (uint32_t)((f->offset + f->length - 1) / t->mi->piece_length);
		for (uint32_t pc = first; pc <= last; pc++) {
			/* the inner pieces are the file's alone */
			bool inner = pc > first && pc < last;
			sp_picker_set_wanted(t->picker, pc, inner ? job->wanted : piece_wanted(t, pc));
		}
		sp_torrent_pump(t);
	}
	free(job);
}

int sp_torrent_set_file_wanted(struct sp_torrent *t, int file, bool wanted)
{
	if (!t || file < 0 || (size_t)file >= t->mi->num_files)
		return -EINVAL;
	struct wanted_job *job = malloc(sizeof(*job));
	if (!job)
		return -ENOMEM;
	*job = (struct wanted_job){t, file, wanted};
	int r = sp_session_post(t->s, wanted_on_loop, job);
	if (r < 0)
		free(job);
	return r < 0 ? r : 0;
}

struct sp_reader *sp_torrent_open_reader(struct sp_torrent *t, int file_index,
					 struct sp_error **err)
{
	if (!t || file_index < 0 || (size_t)file_index >= t->mi->num_files) {
		sp_error_set(err, -EINVAL, _("no such file in the torrent: %d"), file_index);
		return NULL;
	}
	struct sp_reader_hooks hooks = {
		.ctx = t,
		.on_cursor = reader_on_cursor,
		.on_close = reader_on_close,
		.ready_to_start = reader_ready,
	};
	double hint = sp_metainfo_bitrate(t->mi, file_index, NULL);
	struct sp_reader *r = sp_reader_new(t->storage, file_index, hint, &hooks);
	if (!r) {
		sp_error_set(err, -ENOMEM, _("cannot open a reader on file %d"), file_index);
		return NULL;
	}
	/* The picker learns of the reader at once, before its first read. */
	post_cursor(t, sp_reader_id(r), sp_reader_base(r), hint, 0, false, false);
	return r;
}
