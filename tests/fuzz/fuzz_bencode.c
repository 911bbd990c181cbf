/* fuzz_bencode.c - libFuzzer target for the bencode decoder.
 *
 * Any input must parse or fail cleanly (no crash, no sanitizer report),
 * and a successful parse must satisfy the view invariants every caller
 * relies on: each node's raw bytes lie inside the input, spans nest,
 * the root's raw span is the whole input, and the encoder's raw copy of
 * the root gives back the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/bencode.h"

static void check_tree(const uint8_t *data, size_t size, const struct sp_benc_doc *doc)
{
	for (uint32_t i = 0; i < doc->count; i++) {
		const struct sp_benc *n = &doc->nodes[i];
		if (n->raw < data || n->raw + n->raw_len > data + size || !n->span ||
		    i + n->span > doc->count)
			abort();
		if (n->type == SP_BENC_STR && (n->s < n->raw || n->s + n->len > n->raw + n->raw_len))
			abort();
		size_t items = 0;
		for (const struct sp_benc *c = sp_benc_first(n); c; c = sp_benc_next(n, c))
			items++;
		if (n->type == SP_BENC_LIST && items != n->len)
			abort();
		if (n->type == SP_BENC_DICT && items != 2 * n->len)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_benc_doc doc;
	struct sp_benc_limits strict = {.strict_keys = true, .max_depth = 32};
	if (sp_benc_parse(data, size, NULL, &doc, NULL) == 0) {
		if (doc.nodes[0].raw_len != size)
			abort();
		check_tree(data, size, &doc);
		struct sp_buf b;
		sp_buf_init(&b, size + 1);
		if (sp_benc_put_raw(&b, doc.nodes[0].raw, doc.nodes[0].raw_len) < 0 ||
		    b.len != size || memcmp(b.data, data, size))
			abort();
		sp_buf_fini(&b);
		(void)sp_benc_dict_get(&doc.nodes[0], "info");
		(void)sp_benc_list_at(&doc.nodes[0], 3);
		free(sp_benc_strdup(&doc.nodes[0]));
		sp_benc_doc_free(&doc);
	}
	size_t used = 0;
	if (sp_benc_parse_prefix(data, size, &strict, &doc, &used, NULL) == 0) {
		if (used > size)
			abort();
		check_tree(data, used, &doc);
		sp_benc_doc_free(&doc);
	}
	return 0;
}
