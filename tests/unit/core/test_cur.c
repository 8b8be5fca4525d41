/* SPDX-License-Identifier: MIT */
/* Cursor reads: byte order, exact bounds, and no movement on a failed read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "node/core/cur.h"

static void
test_reads_network_order(void **state)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	                            0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
	struct cur c = cur_make(b, sizeof(b));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_true(cur_get_u8(&c, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(cur_get_n16(&c, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(cur_get_n32(&c, &u32));
	assert_int_equal(u32, 0x04050607);
	assert_true(cur_get_n64(&c, &u64));
	assert_true(u64 == 0x08090a0b0c0d0e0fULL);
	assert_int_equal(cur_left(&c), 0);
	assert_false(cur_get_u8(&c, &u8));
}

static void
test_short_read_does_not_move(void **state)
{
	static const uint8_t b[] = {0xaa, 0xbb, 0xcc};
	struct cur c = cur_make(b, sizeof(b));
	uint32_t u32;
	uint64_t u64;
	struct cur v;

	(void)state;
	assert_false(cur_get_n32(&c, &u32));
	assert_false(cur_get_n64(&c, &u64));
	assert_false(cur_get_bytes(&c, 4, &v));
	assert_false(cur_get_tail(&c, 4, &v));
	assert_false(cur_skip(&c, 4));
	assert_int_equal(cur_left(&c), 3);
	assert_ptr_equal(c.p, b);
}

static void
test_views_and_tail(void **state)
{
	static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct cur c = cur_make(b, sizeof(b));
	struct cur head, tail, empty;
	uint8_t x;

	(void)state;
	assert_true(cur_get_tail(&c, 3, &tail));
	assert_int_equal(cur_left(&tail), 3);
	assert_int_equal(tail.p[0], 6);
	assert_int_equal(cur_left(&c), 5);
	assert_true(cur_get_bytes(&c, 2, &head));
	assert_int_equal(head.p[1], 2);
	assert_true(cur_get_bytes(&c, 0, &empty));
	assert_int_equal(cur_left(&empty), 0);
	assert_true(cur_peek_u8(&c, &x));
	assert_int_equal(x, 3);
	assert_true(cur_skip(&c, 3));
	assert_false(cur_peek_u8(&c, &x));
}

static void
test_empty_null_cursor(void **state)
{
	struct cur c = cur_make(NULL, 0);
	struct cur v;
	uint8_t x;

	(void)state;
	assert_true(cur_get_bytes(&c, 0, &v));
	assert_true(cur_skip(&c, 0));
	assert_true(cur_get_tail(&c, 0, &v));
	assert_true(cur_get_copy(&c, &x, 0));
	assert_false(cur_get_u8(&c, &x));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reads_network_order),
	        cmocka_unit_test(test_short_read_does_not_move),
	        cmocka_unit_test(test_views_and_tail),
	        cmocka_unit_test(test_empty_null_cursor),
	};

	return cmocka_run_group_tests_name("cur", tests, NULL, NULL);
}
