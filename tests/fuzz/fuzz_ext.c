/* fuzz_ext.c - libFuzzer target for the BEP 10 extended messages a peer
 * sends (src/net/ext_parse.c): its extended handshake, ut_pex and
 * ut_metadata. Every input goes through all three parsers.
 *
 * Invariants checked, besides "no crash, no sanitizer report, no leak":
 * - the handshake's client name is NUL-ended, printable and cut to its
 *   buffer; the values kept re-encode to a handshake that parses back to
 *   the same struct;
 * - ut_pex keeps at most SP_PEX_MAX entries, each IPv4 with a non-zero
 *   address and port, and they round-trip through an "added" string;
 * - a ut_metadata message's trailing data is the end of the input, and
 *   the header re-encoded with the same data parses back the same. */
#include <stdlib.h>
#include <string.h>

#include "core/bencode.h"
#include "net/ext_parse.h"

static void check_hs(const uint8_t *data, size_t size)
{
	struct sp_ext_hs hs, again;
	if (sp_ext_parse_handshake(data, size, &hs) < 0)
		return;
	size_t n = strnlen(hs.client, sizeof(hs.client));
	if (n == sizeof(hs.client))
		abort();
	for (size_t i = 0; i < n; i++)
		if (hs.client[i] < 32 || hs.client[i] > 126)
			abort();
	struct sp_buf b;
	sp_buf_init(&b, 4096);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "m");
	sp_benc_dict_begin(&b);
	if (hs.sp_playpos) { /* keys in order: sp_playpos sorts first */
		sp_benc_put_cstr(&b, "sp_playpos");
		sp_benc_put_int(&b, hs.sp_playpos);
	}
	if (hs.ut_metadata) {
		sp_benc_put_cstr(&b, "ut_metadata");
		sp_benc_put_int(&b, hs.ut_metadata);
	}
	if (hs.ut_pex) {
		sp_benc_put_cstr(&b, "ut_pex");
		sp_benc_put_int(&b, hs.ut_pex);
	}
	sp_benc_end(&b);
	if (hs.metadata_size) {
		sp_benc_put_cstr(&b, "metadata_size");
		sp_benc_put_int(&b, hs.metadata_size);
	}
	if (hs.listen_port) {
		sp_benc_put_cstr(&b, "p");
		sp_benc_put_int(&b, hs.listen_port);
	}
	if (hs.reqq) {
		sp_benc_put_cstr(&b, "reqq");
		sp_benc_put_int(&b, hs.reqq);
	}
	sp_benc_put_cstr(&b, "v");
	sp_benc_put_cstr(&b, hs.client);
	if (hs.yourip_len) {
		sp_benc_put_cstr(&b, "yourip");
		sp_benc_put_str(&b, hs.yourip, hs.yourip_len);
	}
	if (sp_benc_end(&b) < 0 || sp_ext_parse_handshake(b.data, b.len, &again) < 0 ||
	    memcmp(&hs, &again, sizeof(hs)))
		abort();
	sp_buf_fini(&b);
}

static void check_pex(const uint8_t *data, size_t size)
{
	struct sp_pex_msg m, again;
	if (sp_pex_parse(data, size, &m) < 0) {
		if (m.n || m.seen)
			abort();
		return;
	}
	if (m.seen > SP_PEX_MAX || m.n > m.seen)
		abort();
	uint8_t added[SP_PEX_MAX * 6];
	for (size_t i = 0; i < m.n; i++) {
		const struct sockaddr_in *a = &m.added[i];
		if (a->sin_family != AF_INET || !a->sin_port || !a->sin_addr.s_addr)
			abort();
		memcpy(added + 6 * i, &a->sin_addr, 4);
		memcpy(added + 6 * i + 4, &a->sin_port, 2);
	}
	struct sp_buf b;
	sp_buf_init(&b, 1024);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "added");
	sp_benc_put_str(&b, added, 6 * m.n);
	if (sp_benc_end(&b) < 0 || sp_pex_parse(b.data, b.len, &again) < 0 || again.n != m.n ||
	    again.seen != m.n || memcmp(again.added, m.added, m.n * sizeof(m.added[0])))
		abort();
	sp_buf_fini(&b);
}

static void check_meta(const uint8_t *data, size_t size)
{
	struct sp_meta_msg m, again;
	if (sp_meta_parse(data, size, &m) < 0)
		return;
	if (m.data < data || m.data + m.len != data + size)
		abort();
	struct sp_buf b;
	sp_buf_init(&b, size + 128);
	sp_benc_dict_begin(&b);
	sp_benc_put_cstr(&b, "msg_type");
	sp_benc_put_int(&b, m.type);
	sp_benc_put_cstr(&b, "piece");
	sp_benc_put_int(&b, m.piece);
	if (m.total != -1) {
		sp_benc_put_cstr(&b, "total_size");
		sp_benc_put_int(&b, m.total);
	}
	if (sp_benc_end(&b) < 0 || sp_buf_append(&b, m.data, m.len) < 0 ||
	    sp_meta_parse(b.data, b.len, &again) < 0 || again.type != m.type ||
	    again.piece != m.piece || again.total != m.total || again.len != m.len ||
	    memcmp(again.data, m.data, m.len))
		abort();
	sp_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_hs(data, size);
	check_pex(data, size);
	check_meta(data, size);
	return 0;
}
