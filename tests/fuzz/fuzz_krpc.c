/* fuzz_krpc.c - libFuzzer target for the DHT's datagram parser
 * (src/net/krpc.c): any bytes a hostile node sends to our UDP port.
 *
 * Invariants checked, besides "no crash, no sanitizer report, no leak":
 * - every view lies inside the datagram, the node id is 20 bytes, the
 *   method name is NUL-ended and short, values are 6-byte entries;
 * - a failure leaves no view behind;
 * - what was parsed, encoded again as a KRPC message, parses back to the
 *   same fields (so dht.c acts on what the node sent, nothing else). */
#include <stdlib.h>
#include <string.h>

#include "core/bencode.h"
#include "net/krpc.h"

static void in(const uint8_t *data, size_t size, const uint8_t *p, size_t len)
{
	if (p ? p < data || p + len > data + size : len != 0)
		abort();
}

static void put(struct sp_buf *b, const char *key, const uint8_t *p, size_t len)
{
	if (!p)
		return;
	sp_benc_put_cstr(b, key);
	sp_benc_put_str(b, p, len);
}

static bool same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && !a == !b && (!a || !memcmp(a, b, alen));
}

static void reencode(const struct sp_krpc *m)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 16);
	sp_benc_dict_begin(&b); /* keys in sorted order */
	if (m->y == 'q') {
		sp_benc_put_cstr(&b, "a");
	} else {
		put(&b, "ip", m->ip, m->ip_len);
		sp_benc_put_cstr(&b, "r");
	}
	sp_benc_dict_begin(&b);
	put(&b, "id", m->id, 20);
	/* a target different from the info_hash was sent as "target" */
	bool own_target = m->target && m->target != m->info_hash;
	if (m->implied_port) {
		sp_benc_put_cstr(&b, "implied_port");
		sp_benc_put_int(&b, 1);
	}
	put(&b, "info_hash", m->info_hash, m->info_hash_len);
	put(&b, "nodes", m->nodes, m->nodes_len);
	if (m->port) {
		sp_benc_put_cstr(&b, "port");
		sp_benc_put_int(&b, m->port);
	}
	if (own_target)
		put(&b, "target", m->target, m->target_len);
	put(&b, "token", m->token, m->token_len);
	if (m->nvalues) {
		sp_benc_put_cstr(&b, "values");
		sp_benc_list_begin(&b);
		for (size_t i = 0; i < m->nvalues; i++)
			sp_benc_put_str(&b, m->values[i], 6);
		sp_benc_end(&b);
	}
	sp_benc_end(&b);
	if (m->y == 'q') {
		sp_benc_put_cstr(&b, "q");
		sp_benc_put_cstr(&b, m->q);
	}
	put(&b, "t", m->tid, m->tid_len);
	sp_benc_put_cstr(&b, "y");
	sp_benc_put_str(&b, &m->y, 1);
	if (sp_benc_end(&b) < 0)
		abort();

	static struct sp_krpc k;
	if (sp_krpc_parse(b.data, b.len, &k) < 0 || k.y != m->y || strcmp(k.q, m->q) ||
	    memcmp(k.id, m->id, 20) || !same(k.tid, k.tid_len, m->tid, m->tid_len) ||
	    !same(k.info_hash, k.info_hash_len, m->info_hash, m->info_hash_len) ||
	    !same(k.target, k.target_len, m->target, m->target_len) ||
	    !same(k.token, k.token_len, m->token, m->token_len) ||
	    !same(k.nodes, k.nodes_len, m->nodes, m->nodes_len) ||
	    !same(k.ip, k.ip_len, m->ip, m->ip_len) ||
	    k.port != m->port || k.implied_port != m->implied_port || k.nvalues != m->nvalues)
		abort();
	for (size_t i = 0; i < m->nvalues; i++)
		if (memcmp(k.values[i], m->values[i], 6))
			abort();
	sp_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sp_krpc m;
	if (sp_krpc_parse(data, size, &m) < 0) {
		if (m.y || m.id || m.tid || m.nvalues)
			abort();
		return 0;
	}
	if ((m.y != 'q' && m.y != 'r') || !m.id || !m.tid)
		abort();
	in(data, size, m.id, 20);
	in(data, size, m.tid, m.tid_len);
	in(data, size, m.target, m.target_len);
	in(data, size, m.info_hash, m.info_hash_len);
	in(data, size, m.token, m.token_len);
	in(data, size, m.nodes, m.nodes_len);
	in(data, size, m.ip, m.ip ? 6 : 0);
	if (m.nvalues > SP_KRPC_MAX_VALUES || strnlen(m.q, sizeof(m.q)) == sizeof(m.q) ||
	    (m.y == 'q' ? m.tid_len > 8 || m.ip || m.nodes || m.nvalues
			: m.q[0] || m.target || m.info_hash || m.port || m.implied_port))
		abort();
	for (size_t i = 0; i < m.nvalues; i++)
		in(data, size, m.values[i], 6);
	reencode(&m);
	return 0;
}
