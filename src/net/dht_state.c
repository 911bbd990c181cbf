/* dht_state.c - dht.dat built and parsed (see dht_state.h). Pure: bytes in,
 * nodes out, no file and no socket here; any thread. The limits are the
 * file's ceiling, the caller's `max`, and a bencode depth of 3. */
#include "net/dht_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/bencode.h"

bool sp_dht_state_addr_ok(const uint8_t *a, size_t alen, uint16_t port)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (!port || (alen != 4 && alen != 16) || !memcmp(a, zero, alen))
		return false;
	if (alen == 4)
		return a[0] < 224;			   /* multicast, reserved, broadcast */
	return a[0] != 0xff && memcmp(a, mapped, 12) != 0; /* multicast, IPv4-mapped */
}

/* The entries of one compact string (elen 26 or 38) appended to out. */
static void take(const struct sp_benc *nodes, size_t alen, const uint8_t id[20], bool have_id,
		 struct sp_dht_saved *out, size_t max, size_t *n)
{
	size_t elen = 20 + alen + 2;
	for (size_t i = 0; i + elen <= nodes->len && *n < max; i += elen) {
		const uint8_t *e = nodes->s + i;
		uint16_t port = (uint16_t)(e[20 + alen] << 8 | e[21 + alen]);
		if (!sp_dht_state_addr_ok(e + 20, alen, port) || (have_id && !memcmp(e, id, 20)))
			continue;
		bool dup = false;
		for (size_t k = 0; k < *n && !dup; k++)
			dup = out[k].len == alen && !memcmp(out[k].addr, e + 20, alen) &&
			      out[k].port == port;
		if (dup)
			continue;
		struct sp_dht_saved *s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		memcpy(s->id, e, 20);
		memcpy(s->addr, e + 20, alen);
		s->len = (uint8_t)alen;
		s->port = port;
	}
}

int sp_dht_state_parse(const uint8_t *buf, size_t len, uint8_t id[20], bool *have_id,
		       struct sp_dht_saved *out, size_t max, size_t *n)
{
	*n = 0;
	*have_id = false;
	if (len > SP_DHT_STATE_MAX_FILE)
		return -EOVERFLOW;
	struct sp_benc_doc doc;
	struct sp_benc_limits lim = {.max_depth = 3, .max_nodes = 64, .max_str = len};
	if (sp_benc_parse(buf, len, &lim, &doc, NULL) < 0)
		return -EBADMSG;
	int r = 0;
	const struct sp_benc *root = &doc.nodes[0];
	if (root->type != SP_BENC_DICT) {
		r = -EBADMSG;
		goto out;
	}
	const struct sp_benc *vid = sp_benc_dict_get_type(root, "id", SP_BENC_STR);
	if (vid && vid->len == 20) {
		memcpy(id, vid->s, 20);
		*have_id = true;
	}
	const struct sp_benc *nodes = sp_benc_dict_get_type(root, "nodes", SP_BENC_STR);
	if (nodes)
		take(nodes, 4, id, *have_id, out, max, n);
	const struct sp_benc *nodes6 = sp_benc_dict_get_type(root, "nodes6", SP_BENC_STR);
	if (nodes6)
		take(nodes6, 16, id, *have_id, out, max, n);
out:
	sp_benc_doc_free(&doc);
	return r;
}

/* "nodes" or "nodes6" and its string of the entries of that family. */
static int put_family(struct sp_buf *b, const char *key, size_t alen,
		      const struct sp_dht_saved *nodes, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += nodes[i].len == alen;
	if (!count && alen == 16)
		return 0; /* no "nodes6": the file reads as before */
	uint8_t e[38];
	char hdr[24];
	size_t elen = 20 + alen + 2;
	int hl = snprintf(hdr, sizeof(hdr), "%zu:", count * elen);
	if (sp_benc_put_cstr(b, key) < 0 || sp_benc_put_raw(b, hdr, (size_t)hl) < 0)
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].len != alen)
			continue;
		memcpy(e, nodes[i].id, 20);
		memcpy(e + 20, nodes[i].addr, alen);
		e[20 + alen] = (uint8_t)(nodes[i].port >> 8);
		e[21 + alen] = (uint8_t)nodes[i].port;
		int r = sp_benc_put_raw(b, e, elen);
		if (r < 0)
			return r;
	}
	return 0;
}

int sp_dht_state_build(struct sp_buf *b, const uint8_t id[20], const struct sp_dht_saved *nodes,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nodes[i].len != 4 && nodes[i].len != 16)
			return -EINVAL;
	if (sp_benc_dict_begin(b) < 0 || sp_benc_put_cstr(b, "id") < 0 ||
	    sp_benc_put_str(b, id, 20) < 0)
		return -ENOBUFS;
	int r = put_family(b, "nodes", 4, nodes, n); /* keys in order */
	if (r == 0)
		r = put_family(b, "nodes6", 16, nodes, n);
	return r < 0 ? r : sp_benc_end(b);
}
