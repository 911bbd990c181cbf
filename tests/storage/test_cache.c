/* test_cache.c - the cache size limit: least recently used torrent
 * directories go first, the one in use stays, nothing that is not a
 * torrent directory is touched, symlinks are never followed. */
#include <fcntl.h>
#include <sys/stat.h>

#include "st_helpers.h"
#include "storage/cache.h"

static const char *A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char *C = "cccccccccccccccccccccccccccccccccccccccc";

static void put(const char *root, const char *rel, size_t n)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	/* mkdir -p of the parent */
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	SP_CHECK(f != NULL);
	uint8_t *b = calloc(1, n);
	memset(b, 0x5a, n); /* real blocks, not a hole */
	SP_CHECK_UINT(fwrite(b, 1, n, f), n);
	fclose(f);
	free(b);
}

static void age(const char *root, const char *rel, time_t t)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	struct timespec ts[2] = {{t, 0}, {t, 0}};
	SP_CHECK(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static bool there(const char *root, const char *rel)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	struct stat sb;
	return lstat(p, &sb) == 0;
}

SP_TEST(lru_trim_keeps_what_is_in_use)
{
	char *root = tdir_new();
	char *outside = tdir_new();
	char rel[200];
	snprintf(rel, sizeof(rel), "%s/movie/a.bin", A);
	put(root, rel, 64 << 10);
	snprintf(rel, sizeof(rel), "%s/movie/b.bin", B);
	put(root, rel, 128 << 10);
	snprintf(rel, sizeof(rel), "%s/c.bin", C);
	put(root, rel, 256 << 10);
	put(root, "notes/big.bin", 512 << 10);      /* not a torrent directory */
	put(outside, "precious.bin", 100 << 10);    /* behind a symlink in B */
	char link[8400];
	snprintf(link, sizeof(link), "%s/%s/movie/escape", root, B);
	SP_CHECK(symlink(outside, link) == 0);
	age(root, A, 1000);
	age(root, B, 2000);
	age(root, C, 3000);
	/* C's resume file says it was used last, whatever its dir says. */
	snprintf(rel, sizeof(rel), "%s/.swarmplay/%s.resume", C, C);
	put(root, rel, 100);
	age(root, C, 500);

	int64_t use = sp_cache_usage(root);
	SP_CHECK_CMP(use, >=, (64 + 128 + 256) << 10);
	SP_CHECK_CMP(use, <, (64 + 128 + 256 + 100) << 10); /* not notes, not the link */

	/* Room for B and C: A (least recently used) goes. */
	int64_t freed = sp_cache_trim(root, (uint64_t)use - (32 << 10), NULL);
	SP_CHECK_CMP(freed, >=, 64 << 10);
	SP_CHECK(!there(root, A));
	SP_CHECK(there(root, B) && there(root, C));

	/* No room at all, C in use: B goes, C stays. */
	sp_cache_trim(root, 0, C);
	SP_CHECK(!there(root, B));
	SP_CHECK(there(root, C));
	snprintf(rel, sizeof(rel), "%s/c.bin", C);
	SP_CHECK(there(root, rel));
	SP_CHECK(there(root, "notes/big.bin"));
	SP_CHECK(there(outside, "precious.bin"));
	/* A directory used just now (another player) is left alone. */
	snprintf(rel, sizeof(rel), "%s/x.bin", A);
	put(root, rel, 8192);
	SP_CHECK_INT(sp_cache_trim(root, 0, C), 0);
	SP_CHECK(there(root, A));
	/* Under the limit: nothing happens. */
	SP_CHECK_INT(sp_cache_trim(root, 1ull << 40, NULL), 0);
	SP_CHECK(there(root, C));
	SP_CHECK_INT(sp_cache_trim("/nonexistent/sp-cache", 0, NULL), -ENOENT);
	tdir_free(root);
	tdir_free(outside);
}

SP_TEST(a_symlinked_entry_is_removed_as_a_link)
{
	char *root = tdir_new();
	char *outside = tdir_new();
	put(outside, "keep.bin", 4096);
	char link[8400];
	snprintf(link, sizeof(link), "%s/%s", root, A);
	SP_CHECK(symlink(outside, link) == 0);
	/* Not a directory of the cache: not counted, not followed. */
	SP_CHECK_INT(sp_cache_usage(root), 0);
	sp_cache_trim(root, 0, NULL);
	SP_CHECK(there(outside, "keep.bin"));
	tdir_free(root);
	tdir_free(outside);
}

/* A directory another player holds (sp_cache_hold) stays, however old;
 * once let go it is the first to go. */
SP_TEST(a_held_directory_stays)
{
	char *root = tdir_new();
	char rel[200], dir[8400];
	snprintf(rel, sizeof(rel), "%s/a.bin", A);
	put(root, rel, 64 << 10);
	snprintf(rel, sizeof(rel), "%s/b.bin", B);
	put(root, rel, 64 << 10);
	age(root, A, 1000);
	age(root, B, 2000);
	snprintf(dir, sizeof(dir), "%s/%s", root, A);
	int fd = sp_cache_hold(dir);
	SP_CHECK_CMP(fd, >=, 0);
	int fd2 = sp_cache_hold(dir); /* two players of the same video */
	SP_CHECK_CMP(fd2, >=, 0);
	sp_cache_trim(root, 0, NULL);
	SP_CHECK(there(root, A));
	SP_CHECK(!there(root, B));
	close(fd);
	sp_cache_trim(root, 0, NULL);
	SP_CHECK(there(root, A)); /* the second still holds it */
	close(fd2);
	sp_cache_trim(root, 0, NULL);
	SP_CHECK(!there(root, A));
	SP_CHECK_INT(sp_cache_hold(dir), -ENOENT);
	tdir_free(root);
}

SP_TEST(cache_max_sizes)
{
	uint64_t v = 0;
	SP_CHECK_INT(sp_cache_parse_size("0", &v), 0);
	SP_CHECK_UINT(v, 0);
	SP_CHECK_INT(sp_cache_parse_size("1500", &v), 0);
	SP_CHECK_UINT(v, 1500);
	SP_CHECK_INT(sp_cache_parse_size("3k", &v), 0);
	SP_CHECK_UINT(v, 3072);
	SP_CHECK_INT(sp_cache_parse_size("10G", &v), 0);
	SP_CHECK_UINT(v, 10ull << 30);
	SP_CHECK_INT(sp_cache_parse_size("2T", &v), 0);
	SP_CHECK_UINT(v, 2ull << 40);
	const char *bad[] = {"", "-1", " 5", "5 ", "5KB", "k", "1x", "99999999999999999999",
			     "16777216T", "+5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		SP_CHECK_INT(sp_cache_parse_size(bad[i], &v), -EINVAL);
}

SP_TEST_MAIN()
