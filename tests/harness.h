/* harness.h - a small test harness: asserts print both sides, each test
 * runs in its own forked child (a crash fails one test, not the file), and
 * the exit code is what meson expects (0 pass, 1 fail, 77 skip).
 *
 *   SP_TEST(parses_ints) { SP_CHECK_INT(sp_x(), 42); }
 *   SP_TEST_MAIN()
 *
 * A test may call SP_SKIP("why") to skip itself. SP_NOFORK=1 runs tests
 * in-process (for gdb). Argument: run only tests whose name contains it. */
#ifndef SP_TEST_HARNESS_H
#define SP_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*sp_test_fn)(void);
struct sp_test_case {
	const char *name;
	sp_test_fn fn;
};

#define SP_TEST_MAX 512
extern struct sp_test_case sp_test_cases[SP_TEST_MAX];
extern int sp_test_count;

#define SP_TEST(name)                                                                  \
	static void test_##name(void);                                                 \
	__attribute__((constructor)) static void register_##name(void)                 \
	{                                                                              \
		if (sp_test_count < SP_TEST_MAX)                                       \
			sp_test_cases[sp_test_count++] =                               \
				(struct sp_test_case){#name, test_##name};             \
	}                                                                              \
	static void test_##name(void)

#define SP_FAIL(...)                                                                   \
	do {                                                                           \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                        \
		fprintf(stderr, __VA_ARGS__);                                          \
		fprintf(stderr, "\n");                                                 \
		exit(1);                                                               \
	} while (0)

#define SP_SKIP(...)                                                                   \
	do {                                                                           \
		fprintf(stderr, "skip: ");                                             \
		fprintf(stderr, __VA_ARGS__);                                          \
		fprintf(stderr, "\n");                                                 \
		exit(77);                                                              \
	} while (0)

#define SP_CHECK(cond)                                                                 \
	do {                                                                           \
		if (!(cond))                                                           \
			SP_FAIL("check failed: %s", #cond);                            \
	} while (0)

#define SP_CHECK_INT(a, b)                                                             \
	do {                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                    \
		if (a_ != b_)                                                          \
			SP_FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);             \
	} while (0)

#define SP_CHECK_UINT(a, b)                                                            \
	do {                                                                           \
		unsigned long long a_ = (unsigned long long)(a),                       \
				   b_ = (unsigned long long)(b);                       \
		if (a_ != b_)                                                          \
			SP_FAIL("%s == %s: %llu != %llu", #a, #b, a_, b_);             \
	} while (0)

#define SP_CHECK_CMP(a, op, b)                                                         \
	do {                                                                           \
		double a_ = (double)(a), b_ = (double)(b);                             \
		if (!(a_ op b_))                                                       \
			SP_FAIL("%s %s %s: %g vs %g", #a, #op, #b, a_, b_);            \
	} while (0)

#define SP_CHECK_STR(a, b)                                                             \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		if (!a_ || !b_ || strcmp(a_, b_))                                      \
			SP_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,                  \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
	} while (0)

#define SP_CHECK_MEM(a, b, n)                                                          \
	do {                                                                           \
		if (memcmp((a), (b), (n)))                                             \
			SP_FAIL("%s and %s differ in their first %zu bytes", #a, #b,   \
				(size_t)(n));                                          \
	} while (0)

int sp_test_main(int argc, char **argv);

#define SP_TEST_MAIN()                                                                 \
	struct sp_test_case sp_test_cases[SP_TEST_MAX];                                \
	int sp_test_count;                                                             \
	int main(int argc, char **argv) { return sp_test_main(argc, argv); }

#endif
