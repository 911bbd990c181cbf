/* ext.c - BEP 10 extension protocol: our extended handshake (v, reqq, p,
 * yourip for IPv4 and IPv6, m with ut_metadata, ut_pex and our sp_playpos,
 * metadata_size
 * when we have it) and theirs (reqq sizes our pipeline to them, v names
 * the client, yourip is a vote for our external address).
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
#include "net/ext_parse.h"
#include "net/peer.h"
#include "net/playpos_msg.h"
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
	sp_benc_put_cstr(&b, SP_PLAYPOS_NAME); /* keys in order: before "ut_" */
	sp_benc_put_int(&b, SP_EXT_SP_PLAYPOS);
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
	} else if (p->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&p->addr;
		sp_benc_put_cstr(&b, "yourip");
		sp_benc_put_str(&b, &in6->sin6_addr, 16);
	}
	int r = sp_benc_end(&b);
	struct sp_buf msg;
	sp_buf_init(&msg, SP_WIRE_MAX_EXT + 16);
	if (r == 0)
		r = sp_wire_build_extended(&msg, 0, b.data, b.len);
	if (r == 0) {
		sp_peer_write(p, msg.data, msg.len);
		p->ext_sent = true;
	}
	sp_buf_fini(&msg);
	sp_buf_fini(&b);
	return r;
}

static int on_handshake(struct sp_peer *p, const uint8_t *data, size_t len)
{
	struct sp_ext_hs hs;
	if (sp_ext_parse_handshake(data, len, &hs) < 0)
		return -EBADMSG;
	_Static_assert(sizeof(p->client) == sizeof(hs.client), "client names cut alike");
	if (hs.client[0])
		memcpy(p->client, hs.client, sizeof(p->client));
	if (hs.reqq) {
		p->reqq = hs.reqq > MAX_REQQ ? MAX_REQQ : hs.reqq;
		if (p->t && p->source_id)
			sp_picker_source_max_requests(p->t->picker, p->source_id, p->reqq);
	}
	p->ut_metadata = hs.ut_metadata;
	p->ut_pex = hs.ut_pex;
	p->sp_playpos = hs.sp_playpos;
	p->listen_port = hs.listen_port;
	p->metadata_size = hs.metadata_size;
	/* BEP 10 "yourip": a vote for our external address (a peer we
	 * dialled or that dialled us; one vote per peer address) */
	if (hs.yourip_len)
		sp_dht_vote_extip(p->s, SP_EXTIP_PEER, hs.yourip, hs.yourip_len,
				  (const struct sockaddr *)&p->addr);
	SP_DEBUG(MOD, "%s: client \"%s\", reqq %u, ut_metadata %u (%u bytes)", p->name, p->client,
		 p->reqq, p->ut_metadata, p->metadata_size);
	sp_meta_peer_ready(p);
	return 0;
}

int sp_ext_on_message(struct sp_peer *p, uint8_t ext_id, const uint8_t *data, size_t len)
{
	if (ext_id == 0)
		return on_handshake(p, data, len);
	if (ext_id == SP_EXT_UT_METADATA)
		return sp_meta_on_message(p, data, len);
	if (ext_id == SP_EXT_UT_PEX)
		return sp_pex_on_message(p, data, len);
	if (ext_id == SP_EXT_SP_PLAYPOS)
		return sp_playpos_on_message(p, data, len);
	return 0; /* not one we advertised: ignore */
}
