/* ext.c - BEP 10 extension protocol: our extended handshake (v, reqq, p,
 * yourip, m with ut_metadata and ut_pex, metadata_size when we have it)
 * and theirs (reqq sizes our pipeline to them, v names the client).
 * Net thread only. A malformed handshake closes the peer; unknown
 * extended messages are ignored, as BEP 10 asks. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/bufferevent.h>

#include "config.h"
#include "core/bencode.h"
#include "core/log.h"
#include "net/peer.h"
#include "net/wire.h"
#include "picker/picker.h"

#define MOD "ext"
#define MAX_REQQ SP_PEER_MAX_SENT_REQ

int sp_ext_send_handshake(struct sp_peer *p)
{
	struct sp_buf b;
	sp_buf_init(&b, 1024);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "m");
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "ut_metadata");
	sp_benc_put_int(&b, SP_EXT_UT_METADATA);
	if (sp_pex_allowed(p->t)) {
		sp_benc_put_cstr(&b, "ut_pex");
		sp_benc_put_int(&b, SP_EXT_UT_PEX);
	}
	sp_benc_end(&b);
	const struct sp_metainfo *mi = p->t->mi;
	if (!p->t->meta_only && mi->info_raw && mi->info_raw_len) {
		sp_benc_put_cstr(&b, "metadata_size");
		sp_benc_put_int(&b, (int64_t)mi->info_raw_len);
	}
	sp_benc_put_cstr(&b, "p");
	sp_benc_put_int(&b, p->s->port);
	sp_benc_put_cstr(&b, "reqq");
	sp_benc_put_int(&b, SP_PEER_MAX_UPLOAD_QUEUE);
	sp_benc_put_cstr(&b, "v");
	sp_benc_put_cstr(&b, "swarmplay " SP_VERSION);
	if (p->addr.ss_family == AF_INET) {
		sp_benc_put_cstr(&b, "yourip");
		sp_benc_put_str(&b, &p->ip4, 4);
	}
	int r = sp_benc_end(&b);
	struct sp_buf msg;
	sp_buf_init(&msg, SP_WIRE_MAX_EXT + 16);
	if (r == 0)
		r = sp_wire_build_extended(&msg, 0, b.data, b.len);
	if (r == 0)
		sp_peer_write(p, msg.data, msg.len);
	sp_buf_fini(&msg);
	sp_buf_fini(&b);
	return r;
}

static int on_handshake(struct sp_peer *p, const uint8_t *data, size_t len)
{
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {.max_depth = 8, .max_nodes = 4096, .max_str = len};
	if (sp_benc_parse(data, len, &lim, &doc, NULL) < 0)
		return -EBADMSG;
	int r = 0;
	const struct sp_benc *root = &doc.nodes[0];
	if (root->type != SP_BENC_DICT) {
		r = -EBADMSG;
		goto out;
	}
	const struct sp_benc *v = sp_benc_dict_get_type(root, "v", SP_BENC_STR);
	if (v) {
		size_t n = v->len < sizeof(p->client) - 1 ? v->len : sizeof(p->client) - 1;
		for (size_t i = 0; i < n; i++) /* a log line must stay printable */
			p->client[i] = v->s[i] >= 32 && v->s[i] < 127 ? (char)v->s[i] : '?';
		p->client[n] = 0;
	}
	const struct sp_benc *q = sp_benc_dict_get_type(root, "reqq", SP_BENC_INT);
	if (q && q->i > 0) {
		p->reqq = q->i > MAX_REQQ ? MAX_REQQ : (uint32_t)q->i;
		if (p->t && p->source_id)
			sp_picker_source_max_requests(p->t->picker, p->source_id, p->reqq);
	}
	const struct sp_benc *m = sp_benc_dict_get_type(root, "m", SP_BENC_DICT);
	const struct sp_benc *um = m ? sp_benc_dict_get_type(m, "ut_metadata", SP_BENC_INT) : NULL;
	const struct sp_benc *ms = sp_benc_dict_get_type(root, "metadata_size", SP_BENC_INT);
	p->ut_metadata = um && um->i > 0 && um->i < 256 ? (uint8_t)um->i : 0;
	const struct sp_benc *up = m ? sp_benc_dict_get_type(m, "ut_pex", SP_BENC_INT) : NULL;
	p->ut_pex = up && up->i > 0 && up->i < 256 ? (uint8_t)up->i : 0;
	const struct sp_benc *lp = sp_benc_dict_get_type(root, "p", SP_BENC_INT);
	p->listen_port = lp && lp->i > 0 && lp->i < 65536 ? (uint16_t)lp->i : 0;
	p->metadata_size = ms && ms->i > 0 && ms->i <= UINT32_MAX ? (uint32_t)ms->i : 0;
	SP_DEBUG(MOD, "%s: client \"%s\", reqq %u, ut_metadata %u (%u bytes)", p->name,
		 p->client, p->reqq, p->ut_metadata, p->metadata_size);
	sp_meta_peer_ready(p);
out:
	sp_benc_doc_free(&doc);
	return r;
}

int sp_ext_on_message(struct sp_peer *p, uint8_t ext_id, const uint8_t *data, size_t len)
{
	if (ext_id == 0)
		return on_handshake(p, data, len);
	if (ext_id == SP_EXT_UT_METADATA)
		return sp_meta_on_message(p, data, len);
	if (ext_id == SP_EXT_UT_PEX)
		return sp_pex_on_message(p, data, len);
	return 0; /* not one we advertised: ignore */
}
