/* test_bencode.c - the bencode decoder (valid, invalid with offsets,
 * limits, raw spans) and the encoder (round trips). */
#include <errno.h>

#include "core/bencode.h"
#include "harness.h"

static int parse(const char *s, struct sp_benc_doc *doc, struct sp_error **err)
{
	return sp_benc_parse((const uint8_t *)s, strlen(s), NULL, doc, err);
}

/* Expect failure with code and an error mentioning "byte AT". */
static void expect_bad(const char *s, int code, size_t at)
{
	struct sp_benc_doc doc;
	struct sp_error *err = NULL;
	int r = parse(s, &doc, &err);
	if (r != code)
		SP_FAIL("'%s': got %d, want %d (%s)", s, r, code, sp_error_msg(err));
	SP_CHECK(err != NULL);
	SP_CHECK_INT(err->code, code);
	char where[64];
	snprintf(where, sizeof(where), "byte %zu:", at);
	if (!strstr(err->msg, where))
		SP_FAIL("'%s': error \"%s\" should name %s", s, err->msg, where);
	SP_CHECK(doc.nodes == NULL);
	sp_error_free(err);
}

SP_TEST(integers)
{
	struct sp_benc_doc doc;
	SP_CHECK_INT(parse("i42e", &doc, NULL), 0);
	SP_CHECK_INT(doc.count, 1);
	SP_CHECK_INT(doc.nodes[0].type, SP_BENC_INT);
	SP_CHECK_INT(doc.nodes[0].i, 42);
	SP_CHECK_UINT(doc.nodes[0].raw_len, 4);
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(parse("i-17e", &doc, NULL), 0);
	SP_CHECK_INT(doc.nodes[0].i, -17);
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(parse("i0e", &doc, NULL), 0);
	SP_CHECK_INT(doc.nodes[0].i, 0);
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(parse("i9223372036854775807e", &doc, NULL), 0);
	SP_CHECK(doc.nodes[0].i == INT64_MAX);
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(parse("i-9223372036854775808e", &doc, NULL), 0);
	SP_CHECK(doc.nodes[0].i == INT64_MIN);
	sp_benc_doc_free(&doc);
}

SP_TEST(strings_are_views)
{
	const char *in = "5:hel\0o";
	struct sp_benc_doc doc;
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)in, 7, NULL, &doc, NULL), 0);
	SP_CHECK_INT(doc.nodes[0].type, SP_BENC_STR);
	SP_CHECK_UINT(doc.nodes[0].len, 5);
	SP_CHECK(doc.nodes[0].s == (const uint8_t *)in + 2); /* no copy */
	SP_CHECK(sp_benc_strdup(&doc.nodes[0]) == NULL);     /* embedded NUL */
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(parse("0:", &doc, NULL), 0);
	SP_CHECK_UINT(doc.nodes[0].len, 0);
	char *e = sp_benc_strdup(&doc.nodes[0]);
	SP_CHECK_STR(e, "");
	free(e);
	sp_benc_doc_free(&doc);
}

SP_TEST(nested_structure_and_spans)
{
	const char *in = "d1:ai1e1:bl1:x1:yd1:ci2eee1:c0:e";
	struct sp_benc_doc doc;
	SP_CHECK_INT(parse(in, &doc, NULL), 0);
	const struct sp_benc *root = &doc.nodes[0];
	SP_CHECK_INT(root->type, SP_BENC_DICT);
	SP_CHECK_UINT(root->len, 3);
	SP_CHECK_UINT(root->span, doc.count);
	SP_CHECK_UINT(root->raw_len, strlen(in));
	SP_CHECK_INT(sp_benc_dict_get_type(root, "a", SP_BENC_INT)->i, 1);
	SP_CHECK(sp_benc_dict_get_type(root, "a", SP_BENC_STR) == NULL);
	const struct sp_benc *b = sp_benc_dict_get_type(root, "b", SP_BENC_LIST);
	SP_CHECK(b != NULL);
	SP_CHECK_UINT(b->len, 3);
	/* raw span of the list is its exact bytes in the input */
	SP_CHECK_UINT(b->raw_len, strlen("l1:x1:yd1:ci2eee"));
	SP_CHECK_MEM(b->raw, "l1:x1:yd1:ci2eee", b->raw_len);
	SP_CHECK(sp_benc_str_eq(sp_benc_list_at(b, 1), "y"));
	const struct sp_benc *inner = sp_benc_list_at(b, 2);
	SP_CHECK_INT(sp_benc_dict_get(inner, "c")->i, 2);
	SP_CHECK(sp_benc_list_at(b, 3) == NULL);
	/* the outer "c" is not confused with the inner one */
	SP_CHECK_INT(sp_benc_dict_get(root, "c")->type, SP_BENC_STR);
	SP_CHECK(sp_benc_dict_get(root, "zz") == NULL);
	int n = 0;
	for (const struct sp_benc *c = sp_benc_first(b); c; c = sp_benc_next(b, c))
		n++;
	SP_CHECK_INT(n, 3);
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(parse("le", &doc, NULL), 0);
	SP_CHECK(sp_benc_first(&doc.nodes[0]) == NULL);
	sp_benc_doc_free(&doc);
}

SP_TEST(invalid_inputs_name_the_offset)
{
	expect_bad("i-0e", -EBADMSG, 0);
	expect_bad("i03e", -EBADMSG, 1);
	expect_bad("ie", -EBADMSG, 1);
	expect_bad("i-e", -EBADMSG, 2);
	expect_bad("i12", -EBADMSG, 3);
	expect_bad("i1x", -EBADMSG, 2);
	expect_bad("03:abc", -EBADMSG, 0);
	expect_bad("5:abc", -EBADMSG, 0);
	expect_bad("l5:abce", -EBADMSG, 1);
	expect_bad("3abc", -EBADMSG, 1);
	expect_bad("i1ei2e", -EBADMSG, 3);
	expect_bad("le ", -EBADMSG, 2);
	expect_bad("l", -EBADMSG, 1);
	expect_bad("d1:a", -EBADMSG, 4);
	expect_bad("d1:ae", -EBADMSG, 4);
	expect_bad("di1ei2ee", -EBADMSG, 1);
	expect_bad("e", -EBADMSG, 0);
	expect_bad("x", -EBADMSG, 0);
	expect_bad("", -EBADMSG, 0);
	expect_bad("i9223372036854775808e", -EOVERFLOW, 1);
	expect_bad("99999999999999999999999:x", -EOVERFLOW, 0);
}

SP_TEST(limits)
{
	struct sp_benc_doc doc;
	struct sp_error *err = NULL;
	/* 100 nested lists with the default depth of 64 */
	char deep[256] = {0};
	memset(deep, 'l', 100);
	memset(deep + 100, 'e', 100);
	SP_CHECK_INT(parse(deep, &doc, &err), -EOVERFLOW);
	SP_CHECK(strstr(err->msg, "byte 64:") != NULL);
	sp_error_free(err);
	err = NULL;
	struct sp_benc_limits lim = {.max_depth = 200};
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)deep, 200, &lim, &doc, NULL), 0);
	SP_CHECK_UINT(doc.count, 100);
	SP_CHECK_UINT(doc.nodes[0].span, 100);
	sp_benc_doc_free(&doc);

	struct sp_benc_limits few = {.max_nodes = 3};
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)"li1ei2ei3ee", 11, &few, &doc, &err),
		     -EOVERFLOW);
	sp_error_free(err);
	err = NULL;
	struct sp_benc_limits short_str = {.max_str = 3};
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)"4:abcd", 6, &short_str, &doc, &err),
		     -EOVERFLOW);
	SP_CHECK(strstr(err->msg, "byte 0:") != NULL);
	sp_error_free(err);
	/* a huge declared length never allocates or reads past the end */
	err = NULL;
	SP_CHECK_INT(parse("l4294967296:xe", &doc, &err), -EOVERFLOW);
	sp_error_free(err);
}

SP_TEST(strict_keys)
{
	struct sp_benc_limits strict = {.strict_keys = true};
	struct sp_benc_doc doc;
	struct sp_error *err = NULL;
	const char *unsorted = "d1:bi1e1:ai2ee";
	SP_CHECK_INT(parse(unsorted, &doc, NULL), 0); /* lenient by default */
	sp_benc_doc_free(&doc);
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)unsorted, strlen(unsorted), &strict, &doc,
				   &err),
		     -EBADMSG);
	SP_CHECK(strstr(err->msg, "byte 7:") != NULL);
	sp_error_free(err);
	err = NULL;
	const char *dup = "d1:ai1e1:ai2ee";
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)dup, strlen(dup), &strict, &doc, &err),
		     -EBADMSG);
	sp_error_free(err);
	const char *prefix = "d1:ai1e2:aai2ee"; /* "a" < "aa" */
	SP_CHECK_INT(sp_benc_parse((const uint8_t *)prefix, strlen(prefix), &strict, &doc, NULL),
		     0);
	sp_benc_doc_free(&doc);
}

SP_TEST(parse_prefix_reports_used)
{
	const char *msg = "d8:msg_typei1e5:piecei0eeTRAILINGBYTES";
	struct sp_benc_doc doc;
	size_t used = 0;
	SP_CHECK_INT(sp_benc_parse_prefix((const uint8_t *)msg, strlen(msg), NULL, &doc, &used,
					  NULL),
		     0);
	SP_CHECK_UINT(used, strlen("d8:msg_typei1e5:piecei0ee"));
	sp_benc_doc_free(&doc);
}

SP_TEST(encode_round_trip)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 16);
	SP_CHECK_INT(sp_benc_dict_begin(&b), 0);
	sp_benc_put_cstr(&b, "int");
	sp_benc_put_int(&b, -1234567890123LL);
	sp_benc_put_cstr(&b, "list");
	sp_benc_list_begin(&b);
	sp_benc_put_str(&b, "a\0b", 3);
	sp_benc_put_raw(&b, "i7e", 3);
	sp_benc_end(&b);
	sp_benc_put_cstr(&b, "str");
	sp_benc_put_cstr(&b, "hello");
	SP_CHECK_INT(sp_benc_end(&b), 0);
	const char want[] = "d3:inti-1234567890123e4:listl3:a\0bi7ee3:str5:helloe";
	SP_CHECK_UINT(b.len, sizeof(want) - 1);
	SP_CHECK_MEM(b.data, want, b.len);

	struct sp_benc_doc doc;
	struct sp_benc_limits strict = {.strict_keys = true};
	SP_CHECK_INT(sp_benc_parse(b.data, b.len, &strict, &doc, NULL), 0);
	SP_CHECK(sp_benc_dict_get(&doc.nodes[0], "int")->i == -1234567890123LL);
	const struct sp_benc *l = sp_benc_dict_get(&doc.nodes[0], "list");
	SP_CHECK_UINT(sp_benc_list_at(l, 0)->len, 3);
	SP_CHECK_INT(sp_benc_list_at(l, 1)->i, 7);
	/* re-encoding from raw spans gives the same bytes */
	struct sp_buf c;
	sp_buf_init(&c, 1 << 16);
	sp_benc_put_raw(&c, doc.nodes[0].raw, doc.nodes[0].raw_len);
	SP_CHECK_UINT(c.len, b.len);
	SP_CHECK_MEM(c.data, b.data, b.len);
	sp_buf_fini(&c);
	sp_benc_doc_free(&doc);

	/* the ceiling applies and leaves the buffer unchanged */
	struct sp_buf small;
	sp_buf_init(&small, 4);
	SP_CHECK_INT(sp_benc_put_cstr(&small, "abc"), -EOVERFLOW);
	SP_CHECK_UINT(small.len, 0);
	sp_buf_fini(&small);
	sp_buf_fini(&b);
}

SP_TEST_MAIN()
