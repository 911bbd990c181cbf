/* dht_state.c - dht.dat built and parsed (see dht_state.h). Pure: bytes in,
 * nodes out, no file and no socket here; any thread. The limits are the
 * file's ceiling, the caller's `max`, and a bencode depth of 3. */
#include "net/dht_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/bencode.h"

bool sp_dht_state_addr_ok(const uint8_t a[4], uint16_t port)
{
	if (!port || (!a[0] && !a[1] && !a[2] && !a[3]))
		return false;
	if (a[0] >= 224) /* multicast, reserved, broadcast */
		return false;
	return true;
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
	if (!nodes)
		goto out;
	for (size_t i = 0; i + 26 <= nodes->len && *n < max; i += 26) {
		const uint8_t *e = nodes->s + i;
		uint16_t port = (uint16_t)(e[24] << 8 | e[25]);
		if (!sp_dht_state_addr_ok(e + 20, port) || (*have_id && !memcmp(e, id, 20)))
			continue;
		bool dup = false;
		for (size_t k = 0; k < *n && !dup; k++)
			dup = !memcmp(out[k].addr, e + 20, 4) && out[k].port == port;
		if (dup)
			continue;
		struct sp_dht_saved *s = &out[(*n)++];
		memcpy(s->id, e, 20);
		memcpy(s->addr, e + 20, 4);
		s->port = port;
	}
out:
	sp_benc_doc_free(&doc);
	return r;
}

int sp_dht_state_build(struct sp_buf *b, const uint8_t id[20], const struct sp_dht_saved *nodes,
		       size_t n)
{
	uint8_t e[26];
	char hdr[24];
	int hl = snprintf(hdr, sizeof(hdr), "%zu:", n * 26);
	int r = 0;
	if (sp_benc_dict_begin(b) < 0 || sp_benc_put_cstr(b, "id") < 0 ||
	    sp_benc_put_str(b, id, 20) < 0 || sp_benc_put_cstr(b, "nodes") < 0 ||
	    sp_benc_put_raw(b, hdr, (size_t)hl) < 0) /* a string of n*26 bytes */
		return -ENOBUFS;
	for (size_t i = 0; i < n && r == 0; i++) {
		memcpy(e, nodes[i].id, 20);
		memcpy(e + 20, nodes[i].addr, 4);
		e[24] = (uint8_t)(nodes[i].port >> 8);
		e[25] = (uint8_t)nodes[i].port;
		r = sp_benc_put_raw(b, e, sizeof(e));
	}
	return r < 0 ? r : sp_benc_end(b);
}
