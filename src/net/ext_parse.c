/* ext_parse.c - parsing of the BEP 10 handshake, ut_pex and ut_metadata
 * messages (see ext_parse.h). Pure; any thread.
 *
 * Each message is bencode-parsed with limits sized for what it may carry
 * (the depth, a node count, and for ut_metadata a 1 KiB string ceiling
 * since its dictionary only holds integers), so a peer cannot make a
 * small message cost much. */
#include "net/ext_parse.h"

#include <errno.h>
#include <string.h>

#include "core/bencode.h"

int sp_ext_parse_handshake(const uint8_t *data, size_t len, struct sp_ext_hs *hs)
{
	memset(hs, 0, sizeof(*hs));
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {.max_depth = 8, .max_nodes = 4096, .max_str = len};
	if (sp_benc_parse(data, len, &lim, &doc, NULL) < 0)
		return -EBADMSG;
	const struct sp_benc *root = &doc.nodes[0];
	if (root->type != SP_BENC_DICT) {
		sp_benc_doc_free(&doc);
		return -EBADMSG;
	}
	const struct sp_benc *v = sp_benc_dict_get_type(root, "v", SP_BENC_STR);
	if (v) {
		size_t n = v->len < sizeof(hs->client) - 1 ? v->len : sizeof(hs->client) - 1;
		for (size_t i = 0; i < n; i++) /* a log line must stay printable */
			hs->client[i] = v->s[i] >= 32 && v->s[i] < 127 ? (char)v->s[i] : '?';
		hs->client[n] = 0;
	}
	const struct sp_benc *q = sp_benc_dict_get_type(root, "reqq", SP_BENC_INT);
	if (q && q->i > 0)
		hs->reqq = q->i > UINT32_MAX ? UINT32_MAX : (uint32_t)q->i;
	const struct sp_benc *m = sp_benc_dict_get_type(root, "m", SP_BENC_DICT);
	const struct sp_benc *um = m ? sp_benc_dict_get_type(m, "ut_metadata", SP_BENC_INT) : NULL;
	hs->ut_metadata = um && um->i > 0 && um->i < 256 ? (uint8_t)um->i : 0;
	const struct sp_benc *up = m ? sp_benc_dict_get_type(m, "ut_pex", SP_BENC_INT) : NULL;
	hs->ut_pex = up && up->i > 0 && up->i < 256 ? (uint8_t)up->i : 0;
	const struct sp_benc *sp = m ? sp_benc_dict_get_type(m, "sp_playpos", SP_BENC_INT) : NULL;
	hs->sp_playpos = sp && sp->i > 0 && sp->i < 256 ? (uint8_t)sp->i : 0;
	const struct sp_benc *lp = sp_benc_dict_get_type(root, "p", SP_BENC_INT);
	hs->listen_port = lp && lp->i > 0 && lp->i < 65536 ? (uint16_t)lp->i : 0;
	const struct sp_benc *ms = sp_benc_dict_get_type(root, "metadata_size", SP_BENC_INT);
	hs->metadata_size = ms && ms->i > 0 && ms->i <= UINT32_MAX ? (uint32_t)ms->i : 0;
	const struct sp_benc *yi = sp_benc_dict_get_type(root, "yourip", SP_BENC_STR);
	if (yi && (yi->len == 4 || yi->len == 16)) {
		memcpy(hs->yourip, yi->s, yi->len);
		hs->yourip_len = (uint8_t)yi->len;
	}
	sp_benc_doc_free(&doc);
	return 0;
}

static bool peer6_ok(const uint8_t a[16])
{
	static const uint8_t zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, zero, 16) && a[0] != 0xff && memcmp(a, mapped, 12);
}

static void pex_added6(const struct sp_benc *added6, struct sp_pex_msg *m)
{
	m->seen6 = added6->len / 18 < SP_PEX_MAX ? added6->len / 18 : SP_PEX_MAX;
	for (size_t i = 0; i < m->seen6; i++) {
		const uint8_t *e = added6->s + 18 * i;
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
		memcpy(&sin6.sin6_addr, e, 16);
		memcpy(&sin6.sin6_port, e + 16, 2);
		if (sin6.sin6_port && peer6_ok(e))
			m->added6[m->n6++] = sin6;
	}
}

int sp_pex_parse(const uint8_t *data, size_t len, struct sp_pex_msg *m)
{
	m->seen = m->n = m->seen6 = m->n6 = 0;
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {.max_depth = 4, .max_nodes = 64, .max_str = len};
	if (sp_benc_parse(data, len, &lim, &doc, NULL) < 0)
		return -EBADMSG;
	int r = 0;
	const struct sp_benc *root = &doc.nodes[0];
	const struct sp_benc *added = sp_benc_dict_get_type(root, "added", SP_BENC_STR);
	const struct sp_benc *added6 = sp_benc_dict_get_type(root, "added6", SP_BENC_STR);
	if (root->type != SP_BENC_DICT || (added && added->len % 6) ||
	    (added6 && added6->len % 18)) {
		r = -EBADMSG;
	} else if (added) {
		m->seen = added->len / 6 < SP_PEX_MAX ? added->len / 6 : SP_PEX_MAX;
		for (size_t i = 0; i < m->seen; i++) {
			struct sockaddr_in sin = {.sin_family = AF_INET};
			memcpy(&sin.sin_addr, added->s + 6 * i, 4);
			memcpy(&sin.sin_port, added->s + 6 * i + 4, 2);
			if (sin.sin_port && sin.sin_addr.s_addr)
				m->added[m->n++] = sin;
		}
	}
	if (r == 0 && added6)
		pex_added6(added6, m);
	sp_benc_doc_free(&doc);
	return r;
}

int sp_meta_parse(const uint8_t *data, size_t len, struct sp_meta_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->total = -1;
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {.max_depth = 4, .max_nodes = 64, .max_str = 1024};
	size_t used = 0;
	if (sp_benc_parse_prefix(data, len, &lim, &doc, &used, NULL) < 0)
		return -EBADMSG;
	const struct sp_benc *root = &doc.nodes[0];
	const struct sp_benc *type = sp_benc_dict_get_type(root, "msg_type", SP_BENC_INT);
	const struct sp_benc *piece = sp_benc_dict_get_type(root, "piece", SP_BENC_INT);
	const struct sp_benc *total = sp_benc_dict_get_type(root, "total_size", SP_BENC_INT);
	int r = 0;
	if (root->type != SP_BENC_DICT || !type || !piece) {
		r = -EBADMSG;
	} else {
		m->type = type->i;
		m->piece = piece->i;
		m->total = total ? total->i : -1;
		m->data = data + used;
		m->len = len - used;
	}
	sp_benc_doc_free(&doc);
	return r;
}
