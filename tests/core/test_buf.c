/* test_buf.c - buffers with a ceiling. */
#include <errno.h>

#include "core/buf.h"
#include "harness.h"

SP_TEST(ceiling_holds)
{
	struct sp_buf b;
	sp_buf_init(&b, 8);
	SP_CHECK_INT(sp_buf_append(&b, "12345", 5), 0);
	SP_CHECK_INT(sp_buf_append(&b, "6789", 4), -EOVERFLOW);
	SP_CHECK_UINT(b.len, 5);
	SP_CHECK_INT(sp_buf_appendf(&b, "%d", 678), 0);
	SP_CHECK_STR((char *)b.data, "12345678");
	sp_buf_consume(&b, 3);
	SP_CHECK_STR((char *)b.data, "45678");
	size_t n;
	char *s = (char *)sp_buf_steal(&b, &n);
	SP_CHECK_STR(s, "45678");
	SP_CHECK_UINT(n, 5);
	free(s);
	sp_buf_fini(&b);
}

SP_TEST_MAIN()
