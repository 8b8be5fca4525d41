/* SPDX-License-Identifier: MIT */
/* Output buffer: byte order, growth, patching length fields, printf and steal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/core/buf.h"

static void
test_put_and_patch(void **state)
{
	struct buf b;
	static const uint8_t want[] = {0xab, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef, 0x00};

	(void)state;
	buf_init(&b, false);
	assert_true(buf_put_u8(&b, 0xab));
	assert_true(buf_put_n16(&b, 0));
	assert_true(buf_put_n32(&b, 0xdeadbeef));
	assert_true(buf_put_zero(&b, 1));
	assert_true(buf_set_n16(&b, 1, (uint16_t)b.b_len));
	assert_false(buf_set_n16(&b, 7, 1)); /* would run past the end */
	assert_int_equal(b.b_len, sizeof(want));
	assert_memory_equal(b.b_data, want, sizeof(want));
	buf_fini(&b);
}

static void
test_growth_and_printf(void **state)
{
	struct buf b;
	uint8_t *p;
	size_t len;

	(void)state;
	buf_init(&b, true);
	for (int i = 0; i < 1000; i++)
		assert_true(buf_put_n64(&b, (uint64_t)i));
	assert_int_equal(b.b_len, 8000);
	assert_int_equal(b.b_data[7999], (uint8_t)999);
	buf_reset(&b);
	assert_int_equal(b.b_len, 0);
	assert_true(buf_printf(&b, "%s-%d", "x", 42));
	assert_true(buf_put_str(&b, "!"));
	p = buf_steal(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "x-42!", 5);
	free(p);
	assert_int_equal(b.b_len, 0);
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_put_and_patch),
	        cmocka_unit_test(test_growth_and_printf),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
