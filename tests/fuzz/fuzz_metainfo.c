/* fuzz_metainfo.c - libFuzzer target for the metainfo parser, magnet
 * links and playtime strings.
 *
 * Besides "no crash", a parsed torrent must keep the promises of
 * metainfo.h that storage relies on: every path is relative and free of
 * "..", "." and empty components, file offsets add up to the total, the
 * piece geometry covers the total exactly. */
#include <stdlib.h>
#include <string.h>

#include "core/magnet.h"
#include "core/metainfo.h"

static void check_path(const char *p)
{
	if (!*p || *p == '/')
		abort();
	for (const char *c = p;;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || n > 255 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		if (!c[n])
			break;
		c += n + 1;
	}
}

static void check(const struct sp_metainfo *mi)
{
	uint64_t off = 0, sum = 0;
	for (size_t i = 0; i < mi->num_files; i++) {
		check_path(mi->files[i].path);
		if (mi->files[i].offset != off)
			abort();
		off += mi->files[i].length;
	}
	if (off != mi->total_length || !mi->piece_length)
		abort();
	for (uint32_t p = 0; p < mi->num_pieces; p++)
		sum += sp_metainfo_piece_size(mi, p);
	if (sum != mi->total_length)
		abort();
	int m = sp_metainfo_main_file(mi);
	if (m >= (int)mi->num_files)
		abort();
	for (int f = -1; f < (int)mi->num_files && f < 4; f++)
		(void)sp_metainfo_bitrate(mi, f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_metainfo_parse(data, size, &err);
	if (mi) {
		check(mi);
		/* the bare info dict through the ut_metadata path gives the same hash */
		struct sp_metainfo *again =
			sp_metainfo_from_info(mi->info_raw, mi->info_raw_len, mi, NULL);
		if (!again || memcmp(again->info_hash, mi->info_hash, SP_INFOHASH_LEN))
			abort();
		sp_metainfo_free(again);
		sp_metainfo_free(mi);
	} else if (!err) {
		abort(); /* a failure always says why */
	}
	sp_error_free(err);

	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	mi = sp_magnet_parse(s, NULL);
	sp_metainfo_free(mi);
	(void)sp_parse_playtime(s, size);
	free(s);
	return 0;
}
