/* bencode.c - iterative bencode decoder into views, and the encoder.
 *
 * The decoder walks the input once with an explicit stack of open
 * containers (never recursion), appending one node per value to a flat
 * array in document order. A container's span and raw length are known
 * only when its 'e' arrives, so the stack holds node indices (the array
 * may move when it grows), never pointers.
 *
 * Invariants: every string and raw pointer lies inside the caller's
 * buffer; nodes <= max_nodes; depth <= max_depth; a string's length is
 * checked against both the ceiling and the bytes left before it is
 * consumed, so a declared length never causes a read or an allocation.
 * Errors say which byte offset is wrong. Pure; any thread. */
#include "core/bencode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_NODES (1u << 22)

struct frame {
	uint32_t node;     /* index of the open list/dict */
	bool want_key;     /* dicts: the next value is a key */
	const uint8_t *prev_key; /* dicts: last key seen, for strict order */
	size_t prev_key_len;
};

struct parser {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	struct sp_benc_limits lim;
	struct sp_benc *nodes;
	uint32_t count, cap;
	struct frame *stack;
	uint32_t depth;
	struct sp_error **err;
};

static int fail(struct parser *p, size_t at, int code, const char *why)
{
	return sp_error_set(p->err, code, _("malformed bencode at byte %zu: %s"), at, why);
}

static struct sp_benc *add_node(struct parser *p, enum sp_benc_type type)
{
	if (p->count >= p->lim.max_nodes) {
		fail(p, p->pos, -EOVERFLOW, _("too many values"));
		return NULL;
	}
	if (p->count == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 64;
		if (cap > p->lim.max_nodes || cap < p->cap)
			cap = p->lim.max_nodes;
		struct sp_benc *n = realloc(p->nodes, (size_t)cap * sizeof(*n));
		if (!n) {
			sp_error_set(p->err, -ENOMEM, _("out of memory"));
			return NULL;
		}
		p->nodes = n;
		p->cap = cap;
	}
	struct sp_benc *n = &p->nodes[p->count++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->raw = p->buf + p->pos;
	n->span = 1;
	return n;
}

/* Digits of an integer or a string length, starting at p->pos. No sign,
 * no leading zero (except "0" itself), no overflow past max. */
static int read_digits(struct parser *p, uint64_t max, uint64_t *out)
{
	size_t start = p->pos;
	uint64_t v = 0;
	while (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9') {
		unsigned d = p->buf[p->pos] - '0';
		if (v > (max - d) / 10)
			return fail(p, start, -EOVERFLOW, _("number too large"));
		v = v * 10 + d;
		p->pos++;
	}
	if (p->pos == start)
		return fail(p, start, -EBADMSG,
			    p->pos >= p->len ? _("truncated input") : _("expected a digit"));
	if (p->buf[start] == '0' && p->pos - start > 1)
		return fail(p, start, -EBADMSG, _("leading zero"));
	*out = v;
	return 0;
}

static int parse_int(struct parser *p)
{
	size_t start = p->pos;
	struct sp_benc *n = add_node(p, SP_BENC_INT);
	if (!n)
		return -EOVERFLOW;
	p->pos++; /* 'i' */
	bool neg = p->pos < p->len && p->buf[p->pos] == '-';
	if (neg)
		p->pos++;
	uint64_t v;
	int r = read_digits(p, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);
	if (r < 0)
		return r;
	if (neg && v == 0)
		return fail(p, start, -EBADMSG, _("negative zero"));
	if (p->pos >= p->len)
		return fail(p, p->pos, -EBADMSG, _("truncated input"));
	if (p->buf[p->pos] != 'e')
		return fail(p, p->pos, -EBADMSG, _("expected 'e' after an integer"));
	p->pos++;
	n = &p->nodes[p->count - 1];
	n->i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	n->raw_len = p->pos - start;
	return 0;
}

static int parse_str(struct parser *p)
{
	size_t start = p->pos;
	struct sp_benc *n = add_node(p, SP_BENC_STR);
	if (!n)
		return -EOVERFLOW;
	uint64_t slen;
	int r = read_digits(p, UINT64_MAX, &slen);
	if (r < 0)
		return r;
	if (p->pos >= p->len)
		return fail(p, p->pos, -EBADMSG, _("truncated input"));
	if (p->buf[p->pos] != ':')
		return fail(p, p->pos, -EBADMSG, _("expected ':' after a string length"));
	p->pos++;
	if (slen > p->lim.max_str)
		return fail(p, start, -EOVERFLOW, _("string longer than allowed"));
	if (slen > p->len - p->pos)
		return fail(p, start, -EBADMSG, _("string runs past the end of input"));
	n = &p->nodes[p->count - 1];
	n->s = p->buf + p->pos;
	n->len = (size_t)slen;
	p->pos += (size_t)slen;
	n->raw_len = p->pos - start;
	return 0;
}

/* Before a value is added inside a dict or list: dict keys must be
 * strings (in order when strict); values count as pairs. */
static int before_value(struct parser *p, uint8_t c)
{
	if (!p->depth)
		return 0;
	struct frame *f = &p->stack[p->depth - 1];
	struct sp_benc *parent = &p->nodes[f->node];
	if (parent->type == SP_BENC_LIST) {
		parent->len++;
		return 0;
	}
	if (!f->want_key) {
		parent->len++;
		f->want_key = true;
		return 0;
	}
	if (c < '0' || c > '9')
		return fail(p, p->pos, -EBADMSG, _("dictionary key is not a string"));
	f->want_key = false;
	return 0;
}

/* After a string that was a dict key: check the order when strict. */
static int after_key(struct parser *p)
{
	struct frame *f = &p->stack[p->depth - 1];
	const struct sp_benc *k = &p->nodes[p->count - 1];
	if (p->lim.strict_keys && f->prev_key) {
		size_t m = f->prev_key_len < k->len ? f->prev_key_len : k->len;
		int c = memcmp(f->prev_key, k->s, m);
		if (c > 0 || (c == 0 && f->prev_key_len >= k->len))
			return fail(p, (size_t)(k->raw - p->buf), -EBADMSG,
				    c == 0 && f->prev_key_len == k->len
					    ? _("duplicate dictionary key")
					    : _("dictionary keys out of order"));
	}
	f->prev_key = k->s;
	f->prev_key_len = k->len;
	return 0;
}

static int open_container(struct parser *p, enum sp_benc_type type)
{
	if (p->depth >= p->lim.max_depth)
		return fail(p, p->pos, -EOVERFLOW, _("nested too deeply"));
	struct sp_benc *n = add_node(p, type);
	if (!n)
		return -EOVERFLOW;
	p->stack[p->depth++] = (struct frame){.node = p->count - 1, .want_key = true};
	p->pos++;
	return 0;
}

static int close_container(struct parser *p)
{
	if (!p->depth)
		return fail(p, p->pos, -EBADMSG, _("unexpected 'e'"));
	struct frame *f = &p->stack[p->depth - 1];
	struct sp_benc *n = &p->nodes[f->node];
	if (n->type == SP_BENC_DICT && !f->want_key)
		return fail(p, p->pos, -EBADMSG, _("dictionary key without a value"));
	p->pos++;
	n->raw_len = (size_t)(p->buf + p->pos - n->raw);
	n->span = p->count - f->node;
	p->depth--;
	return 0;
}

static int parse_one(struct parser *p)
{
	do {
		if (p->pos >= p->len)
			return fail(p, p->pos, -EBADMSG, _("truncated input"));
		uint8_t c = p->buf[p->pos];
		int r;
		if (c == 'e') {
			r = close_container(p);
		} else {
			bool key = p->depth && p->nodes[p->stack[p->depth - 1].node].type ==
							SP_BENC_DICT && p->stack[p->depth - 1].want_key;
			r = before_value(p, c);
			if (r < 0)
				return r;
			if (c == 'i')
				r = parse_int(p);
			else if (c >= '0' && c <= '9')
				r = parse_str(p);
			else if (c == 'l')
				r = open_container(p, SP_BENC_LIST);
			else if (c == 'd')
				r = open_container(p, SP_BENC_DICT);
			else
				r = fail(p, p->pos, -EBADMSG, _("unexpected byte"));
			if (r == 0 && key)
				r = after_key(p);
		}
		if (r < 0)
			return r;
	} while (p->depth);
	return 0;
}

int sp_benc_parse_prefix(const uint8_t *buf, size_t len, const struct sp_benc_limits *limits,
			 struct sp_benc_doc *doc, size_t *used, struct sp_error **err)
{
	struct parser p = {.buf = buf, .len = len, .err = err};
	doc->nodes = NULL;
	doc->count = 0;
	if (limits)
		p.lim = *limits;
	if (!p.lim.max_depth)
		p.lim.max_depth = DEFAULT_MAX_DEPTH;
	if (!p.lim.max_nodes)
		p.lim.max_nodes = DEFAULT_MAX_NODES;
	if (!limits || !limits->max_str)
		p.lim.max_str = len;
	if (!buf && len)
		return sp_error_set(err, -EINVAL, _("no input"));
	p.stack = malloc((size_t)p.lim.max_depth * sizeof(*p.stack));
	if (!p.stack)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	int r = parse_one(&p);
	free(p.stack);
	if (r < 0) {
		free(p.nodes);
		return r;
	}
	doc->nodes = p.nodes;
	doc->count = p.count;
	if (used)
		*used = p.pos;
	return 0;
}

int sp_benc_parse(const uint8_t *buf, size_t len, const struct sp_benc_limits *limits,
		  struct sp_benc_doc *doc, struct sp_error **err)
{
	size_t used;
	int r = sp_benc_parse_prefix(buf, len, limits, doc, &used, err);
	if (r < 0)
		return r;
	if (used != len) {
		sp_benc_doc_free(doc);
		return sp_error_set(err, -EBADMSG, _("malformed bencode at byte %zu: %s"), used,
				    _("trailing data after the value"));
	}
	return 0;
}

void sp_benc_doc_free(struct sp_benc_doc *doc)
{
	if (!doc)
		return;
	free(doc->nodes);
	doc->nodes = NULL;
	doc->count = 0;
}

static bool key_eq(const struct sp_benc *k, const char *key, size_t klen)
{
	return k->type == SP_BENC_STR && k->len == klen && !memcmp(k->s, key, klen);
}

const struct sp_benc *sp_benc_dict_get(const struct sp_benc *dict, const char *key)
{
	if (!dict || dict->type != SP_BENC_DICT || !key)
		return NULL;
	size_t klen = strlen(key);
	for (const struct sp_benc *k = sp_benc_first(dict); k; k = sp_benc_next(dict, k)) {
		const struct sp_benc *v = sp_benc_next(dict, k);
		if (!v)
			return NULL;
		if (key_eq(k, key, klen))
			return v;
		k = v;
	}
	return NULL;
}

const struct sp_benc *sp_benc_dict_get_type(const struct sp_benc *dict, const char *key,
					    enum sp_benc_type type)
{
	const struct sp_benc *v = sp_benc_dict_get(dict, key);
	return v && v->type == type ? v : NULL;
}

const struct sp_benc *sp_benc_list_at(const struct sp_benc *list, size_t i)
{
	if (!list || list->type != SP_BENC_LIST || i >= list->len)
		return NULL;
	const struct sp_benc *n = sp_benc_first(list);
	while (n && i--)
		n = sp_benc_next(list, n);
	return n;
}

bool sp_benc_str_eq(const struct sp_benc *s, const char *cstr)
{
	return s && cstr && key_eq(s, cstr, strlen(cstr));
}

char *sp_benc_strdup(const struct sp_benc *s)
{
	if (!s || s->type != SP_BENC_STR || memchr(s->s, 0, s->len))
		return NULL;
	char *out = malloc(s->len + 1);
	if (!out)
		return NULL;
	if (s->len)
		memcpy(out, s->s, s->len);
	out[s->len] = 0;
	return out;
}

int sp_benc_put_int(struct sp_buf *b, int64_t v)
{
	return sp_buf_appendf(b, "i%" PRId64 "e", v);
}

int sp_benc_put_str(struct sp_buf *b, const void *s, size_t len)
{
	size_t old = b->len;
	int r = sp_buf_appendf(b, "%zu:", len);
	if (r == 0)
		r = sp_buf_append(b, s, len);
	if (r < 0 && b->data) {
		b->len = old; /* all or nothing, as the buffer promises */
		b->data[old] = 0;
	}
	return r;
}

int sp_benc_put_cstr(struct sp_buf *b, const char *s)
{
	return sp_benc_put_str(b, s, strlen(s));
}

int sp_benc_put_raw(struct sp_buf *b, const void *raw, size_t len)
{
	return sp_buf_append(b, raw, len);
}

int sp_benc_list_begin(struct sp_buf *b)
{
	return sp_buf_append(b, "l", 1);
}

int sp_benc_dict_begin(struct sp_buf *b)
{
	return sp_buf_append(b, "d", 1);
}

int sp_benc_end(struct sp_buf *b)
{
	return sp_buf_append(b, "e", 1);
}
