/* playpos_msg.c - the sp_playpos payload parsed and built (see
 * playpos_msg.h). Pure; any thread. The parse limits fit a dictionary of
 * a few integers, so a hostile message costs nothing. */
#include "net/playpos_msg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int sp_playpos_parse(const uint8_t *data, size_t len, struct sp_playpos *out)
{
	memset(out, 0, sizeof(*out));
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {.max_depth = 4, .max_nodes = 64, .max_str = 256};
	if (sp_benc_parse(data, len, &lim, &doc, NULL) < 0)
		return -EBADMSG;
	const struct sp_benc *root = &doc.nodes[0];
	int r = -EBADMSG;
	if (root->type == SP_BENC_DICT) {
		const struct sp_benc *p = sp_benc_dict_get(root, "p");
		const struct sp_benc *rt = sp_benc_dict_get(root, "r");
		const struct sp_benc *w = sp_benc_dict_get(root, "w");
		bool ok = p && p->type == SP_BENC_INT && p->i >= 0 &&
			  p->i < (int64_t)SP_PLAYPOS_MAX_PIECE && (!rt || rt->type == SP_BENC_INT) &&
			  (!w || w->type == SP_BENC_INT);
		if (ok) {
			out->piece = (uint32_t)p->i;
			int64_t v = rt ? rt->i : 0;
			if (v > (int64_t)SP_PLAYPOS_MAX_RATE)
				v = SP_PLAYPOS_MAX_RATE;
			out->rate = v > 0 ? (uint32_t)v : 0;
			out->starting = w && w->i != 0;
			r = 0;
		}
	}
	sp_benc_doc_free(&doc);
	return r;
}

int sp_playpos_build(struct sp_buf *b, const struct sp_playpos *pp)
{
	uint32_t rate = pp->rate > SP_PLAYPOS_MAX_RATE ? SP_PLAYPOS_MAX_RATE : pp->rate;
	sp_benc_dict_begin(b);
	sp_benc_put_cstr(b, "p");
	sp_benc_put_int(b, pp->piece);
	sp_benc_put_cstr(b, "r");
	sp_benc_put_int(b, rate);
	if (pp->starting) {
		sp_benc_put_cstr(b, "w");
		sp_benc_put_int(b, 1);
	}
	return sp_benc_end(b);
}
