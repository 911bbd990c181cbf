/* bencode.h - bencode decoder (views into the caller's bytes) and encoder.
 *
 * The decoder is iterative: it fills a flat array of nodes in document
 * order (a node's children follow it; node + span skips its subtree), so
 * nothing recurses and nothing is copied. Every string and raw span points
 * into the caller's buffer, which must outlive the document. Limits bound
 * the nesting depth, the node count and string lengths; malformed input
 * (i-0e, leading zeros, truncated strings, unsorted or duplicate dict keys
 * when strict, trailing garbage) fails with -EBADMSG and an error naming
 * the byte offset. Pure: no I/O. Any thread, one document per thread. */
#ifndef SP_BENCODE_H
#define SP_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

enum sp_benc_type { SP_BENC_INT = 1, SP_BENC_STR, SP_BENC_LIST, SP_BENC_DICT };

struct sp_benc {
	enum sp_benc_type type;
	const uint8_t *raw; /* exact encoded bytes of this value */
	size_t raw_len;
	int64_t i;          /* SP_BENC_INT */
	const uint8_t *s;   /* SP_BENC_STR: bytes (not NUL-terminated) */
	size_t len;         /* SP_BENC_STR: length; LIST: items; DICT: pairs */
	uint32_t span;      /* nodes in this subtree, itself included */
};

struct sp_benc_limits {
	uint32_t max_depth;  /* default 64 */
	uint32_t max_nodes;  /* default 1 << 22 */
	size_t max_str;      /* default: the input length */
	bool strict_keys;    /* reject unsorted/duplicate dict keys (default false) */
};

struct sp_benc_doc {
	struct sp_benc *nodes;
	uint32_t count;
};

/* Parse exactly one value filling buf[0..len). limits may be NULL for
 * defaults. On success doc->nodes[0] is the root. */
int sp_benc_parse(const uint8_t *buf, size_t len, const struct sp_benc_limits *limits,
		  struct sp_benc_doc *doc, struct sp_error **err);
/* Parse one value at the start of buf; *used gets its length (for
 * messages that carry trailing data, such as ut_metadata). */
int sp_benc_parse_prefix(const uint8_t *buf, size_t len, const struct sp_benc_limits *limits,
			 struct sp_benc_doc *doc, size_t *used, struct sp_error **err);
void sp_benc_doc_free(struct sp_benc_doc *doc);

/* Navigation. All return NULL when absent or of another type. */
const struct sp_benc *sp_benc_dict_get(const struct sp_benc *dict, const char *key);
const struct sp_benc *sp_benc_dict_get_type(const struct sp_benc *dict, const char *key,
					    enum sp_benc_type type);
/* Children: for a list, items; for a dict, key, value, key, value... */
static inline const struct sp_benc *sp_benc_first(const struct sp_benc *n)
{
	return n->span > 1 ? n + 1 : NULL;
}
static inline const struct sp_benc *sp_benc_next(const struct sp_benc *parent,
						 const struct sp_benc *child)
{
	const struct sp_benc *nx = child + child->span;
	return nx < parent + parent->span ? nx : NULL;
}
const struct sp_benc *sp_benc_list_at(const struct sp_benc *list, size_t i);
bool sp_benc_str_eq(const struct sp_benc *s, const char *cstr);
/* NUL-terminated copy of a string node (caller frees), NULL if not a string
 * or it contains a NUL byte. */
char *sp_benc_strdup(const struct sp_benc *s);

/* Encoder: appends to b (whose ceiling applies). Dict keys must be given
 * in sorted order by the caller. */
int sp_benc_put_int(struct sp_buf *b, int64_t v);
int sp_benc_put_str(struct sp_buf *b, const void *s, size_t len);
int sp_benc_put_cstr(struct sp_buf *b, const char *s);
int sp_benc_put_raw(struct sp_buf *b, const void *raw, size_t len);
int sp_benc_list_begin(struct sp_buf *b);
int sp_benc_dict_begin(struct sp_buf *b);
int sp_benc_end(struct sp_buf *b);

#endif
