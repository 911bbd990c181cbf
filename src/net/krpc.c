/* krpc.c - one KRPC datagram parsed into views (see krpc.h). Pure; any
 * thread. What a value must be to be acted on (a 20-byte target, an
 * 8-byte token of ours, a token we can store) stays with dht.c: this only
 * says what the datagram holds. */
#include "net/krpc.h"

#include <errno.h>
#include <string.h>

#include "core/bencode.h"

static void str(const struct sp_benc *dict, const char *key, const uint8_t **p, size_t *len)
{
	const struct sp_benc *v = sp_benc_dict_get_type(dict, key, SP_BENC_STR);
	*p = v ? v->s : NULL;
	*len = v ? v->len : 0;
}

static void query_args(const struct sp_benc *a, struct sp_krpc *m)
{
	str(a, "target", &m->target, &m->target_len);
	if (!m->target)
		str(a, "info_hash", &m->target, &m->target_len);
	str(a, "info_hash", &m->info_hash, &m->info_hash_len);
	const struct sp_benc *port = sp_benc_dict_get_type(a, "port", SP_BENC_INT);
	m->port = port && port->i > 0 && port->i < 65536 ? (uint16_t)port->i : 0;
	const struct sp_benc *implied = sp_benc_dict_get_type(a, "implied_port", SP_BENC_INT);
	m->implied_port = implied && implied->i;
	const struct sp_benc *want = sp_benc_dict_get_type(a, "want", SP_BENC_LIST);
	for (const struct sp_benc *w = want ? sp_benc_first(want) : NULL; w;
	     w = sp_benc_next(want, w)) {
		if (w->type != SP_BENC_STR || w->len != 2 || w->s[0] != 'n')
			continue;
		m->want4 |= w->s[1] == '4';
		m->want6 |= w->s[1] == '6';
	}
}

static void response(const struct sp_benc *root, const struct sp_benc *r, struct sp_krpc *m)
{
	const uint8_t *ip;
	size_t ip_len;
	str(root, "ip", &ip, &ip_len);
	m->ip = ip_len == 6 || ip_len == 18 ? ip : NULL;
	m->ip_len = m->ip ? ip_len : 0;
	str(r, "nodes", &m->nodes, &m->nodes_len);
	str(r, "nodes6", &m->nodes6, &m->nodes6_len);
	const struct sp_benc *values = sp_benc_dict_get_type(r, "values", SP_BENC_LIST);
	for (const struct sp_benc *v = values ? sp_benc_first(values) : NULL; v;
	     v = sp_benc_next(values, v)) {
		if (v->type == SP_BENC_STR && v->len == 6 && m->nvalues < SP_KRPC_MAX_VALUES)
			m->values[m->nvalues++] = v->s;
		else if (v->type == SP_BENC_STR && v->len == 18 && m->nvalues6 < SP_KRPC_MAX_VALUES6)
			m->values6[m->nvalues6++] = v->s;
	}
}

int sp_krpc_parse(const uint8_t *buf, size_t len, struct sp_krpc *m)
{
	memset(m, 0, sizeof(*m));
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {
	    .max_depth = 6, .max_nodes = 512, .max_str = SP_KRPC_MAX_DGRAM};
	if (sp_benc_parse(buf, len, &lim, &doc, NULL) < 0)
		return -EBADMSG;
	const struct sp_benc *root = &doc.nodes[0];
	const struct sp_benc *y = sp_benc_dict_get_type(root, "y", SP_BENC_STR);
	const struct sp_benc *t = sp_benc_dict_get_type(root, "t", SP_BENC_STR);
	char kind = y && y->len == 1 ? (char)y->s[0] : 0;
	const struct sp_benc *body =
	    sp_benc_dict_get_type(root, kind == 'q' ? "a" : "r", SP_BENC_DICT);
	const struct sp_benc *id = sp_benc_dict_get_type(body, "id", SP_BENC_STR);
	const struct sp_benc *q = sp_benc_dict_get_type(root, "q", SP_BENC_STR);
	int r = 0;
	if (!t || (kind != 'q' && kind != 'r') || !id || id->len != 20 ||
	    (kind == 'q' && (t->len > 8 || !q || q->len >= sizeof(m->q)))) {
		r = -EBADMSG;
		goto out;
	}
	m->y = kind;
	m->tid = t->s;
	m->tid_len = t->len;
	m->id = id->s;
	str(body, "token", &m->token, &m->token_len);
	if (kind == 'q') {
		memcpy(m->q, q->s, q->len);
		m->q[q->len] = 0;
		query_args(body, m);
	} else {
		response(root, body, m);
	}
out:
	sp_benc_doc_free(&doc);
	return r;
}
