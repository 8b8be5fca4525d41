/* SPDX-License-Identifier: MIT */
/*
 * The election of the active node: each eligibility rule, priority and tie-break, staying
 * with the current active without preemption, preemption, digest mismatch, and two nodes that
 * both claim the active role after a partition heals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ha/ha_role.h"

static struct ha_node
node(uint32_t id, uint8_t prio, enum ha_role role)
{
	struct ha_node x = {.id = id,
	                    .priority = prio,
	                    .role = role,
	                    .member = true,
	                    .quorate = true,
	                    .in_sync = true,
	                    .engines_ok = true};

	memset(x.digest, 0xab, sizeof(x.digest));
	return x;
}

static void
test_highest_priority_then_lowest_id(void **state)
{
	struct ha_node v[] = {node(1, 100, HA_ROLE_STANDBY), node(2, 200, HA_ROLE_STANDBY),
	                      node(3, 200, HA_ROLE_STANDBY)};

	(void)state;
	assert_int_equal(ha_elect(v, 3, 1, false, NULL), 2);
	v[1].priority = 50;
	assert_int_equal(ha_elect(v, 3, 1, false, NULL), 3);
}

static void
test_each_rule_excludes(void **state)
{
	struct ha_node v[] = {node(1, 250, HA_ROLE_STANDBY), node(2, 100, HA_ROLE_STANDBY)};
	enum ha_why why[2];

	(void)state;
	v[0].member = false;
	assert_int_equal(ha_elect(v, 2, 2, false, why), 2);
	assert_int_equal(why[0], HA_WHY_NOT_MEMBER);
	v[0].member = true;
	v[0].quorate = false;
	assert_int_equal(ha_elect(v, 2, 2, false, why), 2);
	assert_int_equal(why[0], HA_WHY_NO_QUORUM);
	v[0].quorate = true;
	v[0].in_sync = false;
	assert_int_equal(ha_elect(v, 2, 2, false, why), 2);
	assert_int_equal(why[0], HA_WHY_NOT_IN_SYNC);
	v[0].in_sync = true;
	v[0].engines_ok = false;
	assert_int_equal(ha_elect(v, 2, 2, false, why), 2);
	assert_int_equal(why[0], HA_WHY_ENGINES);
	v[0].engines_ok = true;
	v[0].digest[5] ^= 1;
	assert_int_equal(ha_elect(v, 2, 2, false, why), 2);
	assert_int_equal(why[0], HA_WHY_DIGEST);
	assert_string_equal(ha_why_str(why[0]), "configuration digest differs");
	v[1].quorate = false;
	assert_int_equal(ha_elect(v, 2, 2, false, why), 0); /* nobody */
}

static void
test_current_active_stays_without_preempt(void **state)
{
	/* node 1 returned after a failover: higher priority, but 2 is active */
	struct ha_node v[] = {node(1, 200, HA_ROLE_STANDBY), node(2, 100, HA_ROLE_ACTIVE)};

	(void)state;
	assert_int_equal(ha_elect(v, 2, 2, false, NULL), 2);
	assert_int_equal(ha_elect(v, 2, 2, true, NULL), 1); /* preempt */
	/* the active's store is the reference: in_sync does not apply to it */
	v[1].in_sync = false;
	assert_int_equal(ha_elect(v, 2, 2, false, NULL), 2);
	/* an active that lost quorum is not kept */
	v[1].quorate = false;
	assert_int_equal(ha_elect(v, 2, 2, false, NULL), 1);
}

static void
test_two_actives_after_a_partition(void **state)
{
	struct ha_node v[] = {node(1, 100, HA_ROLE_ACTIVE), node(2, 200, HA_ROLE_ACTIVE)};

	(void)state;
	/* both claim the role: the better one keeps it, the other steps down */
	assert_int_equal(ha_elect(v, 2, 1, false, NULL), 2);
	assert_string_equal(ha_role_str(HA_ROLE_ACTIVE), "active");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_highest_priority_then_lowest_id),
	        cmocka_unit_test(test_each_rule_excludes),
	        cmocka_unit_test(test_current_active_stays_without_preempt),
	        cmocka_unit_test(test_two_actives_after_a_partition),
	};

	return cmocka_run_group_tests_name("ha_role", tests, NULL, NULL);
}
