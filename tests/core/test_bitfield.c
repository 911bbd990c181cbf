/* test_bitfield.c - wire-order bit set. */
#include "core/bitfield.h"
#include "harness.h"

#include <errno.h>

SP_TEST(set_get_count)
{
	struct sp_bitfield bf;
	SP_CHECK_INT(sp_bitfield_init(&bf, 13), 0);
	sp_bitfield_set(&bf, 0);
	sp_bitfield_set(&bf, 12);
	sp_bitfield_set(&bf, 12);
	SP_CHECK_UINT(bf.count, 2);
	SP_CHECK_UINT(bf.bits[0], 0x80);
	SP_CHECK_UINT(bf.bits[1], 0x08);
	SP_CHECK(sp_bitfield_get(&bf, 12));
	SP_CHECK(!sp_bitfield_get(&bf, 13));
	sp_bitfield_clear(&bf, 0);
	SP_CHECK_UINT(bf.count, 1);
	sp_bitfield_set_all(&bf);
	SP_CHECK(sp_bitfield_full(&bf));
	SP_CHECK_UINT(bf.bits[1], 0xf8);
	sp_bitfield_fini(&bf);
}

SP_TEST(load_rejects_spare_bits)
{
	struct sp_bitfield bf;
	SP_CHECK_INT(sp_bitfield_init(&bf, 10), 0);
	const uint8_t good[2] = {0xff, 0xc0}, bad[2] = {0xff, 0xe0};
	SP_CHECK_INT(sp_bitfield_load(&bf, good, 2), 0);
	SP_CHECK_UINT(bf.count, 10);
	SP_CHECK_INT(sp_bitfield_load(&bf, bad, 2), -EPROTO);
	SP_CHECK_INT(sp_bitfield_load(&bf, good, 1), -EPROTO);
	sp_bitfield_fini(&bf);
}

SP_TEST_MAIN()
