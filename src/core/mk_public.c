/* mk_public.c - sp_create (swarmplay.h): the steps of maketorrent.h in
 * the order `swarmplay create` always took them: scan, probe the videos'
 * durations through the host's callback (the core links no FFmpeg),
 * choose the piece size, hash on worker threads, encode, read the result
 * back with our own parser (a file it refuses is never written), write
 * atomically. The caller's thread; hashing threads live in sp_mk_hash. */
#include <errno.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/maketorrent.h"
#include "core/mi_private.h"
#include "swarmplay/swarmplay.h"

/* The ceiling on the encoded .tstream: its largest part, the hashes of at
 * most SP_MI_MAX_PIECES pieces, is 20 MiB. */
#define MAX_OUTPUT ((size_t)64 << 20)

static int probe_all(struct sp_mk_list *l, const struct sp_create_config *cfg,
		     struct sp_error **err)
{
	if (!cfg->probe_duration)
		return 0;
	for (size_t i = 0; i < l->num_files; i++) {
		if (!sp_metainfo_is_video_path(l->files[i].path))
			continue;
		double d = 0;
		int r = cfg->probe_duration(cfg->ctx, l->files[i].abs, &d, err);
		if (r < 0)
			return sp_error_set(err, r, _("cannot probe %s"), l->files[i].abs);
		l->files[i].duration = d > 0 ? d : 0;
	}
	return 0;
}

static int build(struct sp_mk_list *l, const struct sp_create_config *cfg, struct sp_buf *out,
		 struct sp_error **err)
{
	uint32_t plen = cfg->piece_length;
	if (plen && (plen < (16u << 10) || plen > SP_MI_MAX_PIECE_LEN || (plen & (plen - 1))))
		return sp_error_set(err, -EINVAL,
				    _("piece size %u: a power of two from 16 KiB to 64 MiB is needed"),
				    plen);
	if (!plen)
		plen = sp_mk_choose_piece_length(l->total, sp_mk_bitrate(l, NULL));
	if ((l->total + plen - 1) / plen > SP_MI_MAX_PIECES)
		return sp_error_set(err, -EINVAL,
				    _("%llu pieces of %u bytes: at most %u pieces are possible, "
				      "choose a larger --piece-size"),
				    (unsigned long long)((l->total + plen - 1) / plen), plen,
				    SP_MI_MAX_PIECES);
	uint8_t *hashes = NULL;
	int64_t t0 = sp_now_us();
	int r = sp_mk_hash(l, plen, cfg->threads, cfg->progress, cfg->ctx, &hashes, err);
	if (cfg->hash_seconds)
		*cfg->hash_seconds = (double)(sp_now_us() - t0) / 1e6;
	if (r < 0)
		return r;
	struct sp_mk_opts mo = {
		.trackers = (char **)cfg->trackers, .num_trackers = cfg->num_trackers,
		.web_seeds = (char **)cfg->web_seeds, .num_web_seeds = cfg->num_web_seeds,
		.comment = cfg->comment, .title = cfg->title, .private_flag = cfg->private_flag,
		.created_by = cfg->created_by, .with_date = cfg->with_date,
		.date = cfg->with_date ? cfg->date : 0,
	};
	r = sp_mk_encode(l, &mo, plen, hashes, out, err);
	free(hashes);
	return r;
}

struct sp_metainfo *sp_create(const char *input, const char *output,
			      const struct sp_create_config *cfg, struct sp_error **err)
{
	static const struct sp_create_config none;
	if (!input || !output) {
		sp_error_set(err, -EINVAL, "%s", _("sp_create needs an input and an output"));
		return NULL;
	}
	if (!cfg)
		cfg = &none;
	if (cfg->threads < 0 || cfg->threads > 64) {
		sp_error_set(err, -EINVAL, _("%d hashing threads: from 1 to 64, or 0 for all cores"),
			     cfg->threads);
		return NULL;
	}
	struct sp_mk_list l;
	struct sp_buf out;
	struct sp_metainfo *mi = NULL;
	sp_buf_init(&out, MAX_OUTPUT);
	int r = sp_mk_scan(input, &l, err); /* l is empty, or partly filled, on failure */
	if (r == 0)
		r = probe_all(&l, cfg, err);
	if (r == 0)
		r = build(&l, cfg, &out, err);
	if (r == 0 && !(mi = sp_metainfo_parse(out.data, out.len, err)))
		r = -EBADMSG;
	if (r == 0 && (r = sp_mk_write_atomic(output, out.data, out.len, err)) < 0) {
		sp_metainfo_free(mi);
		mi = NULL;
	}
	sp_mk_list_fini(&l);
	sp_buf_fini(&out);
	return mi;
}
