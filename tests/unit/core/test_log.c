/* SPDX-License-Identifier: MIT */
/* Logging: the sink sees formatted lines at the right level, and the rate limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define LOG_SUBSYS "test"
#include "node/core/log.h"

static char last_msg[256];
static char last_subsys[32];
static int sink_calls;

static void
sink(enum log_level lvl, const char *subsys, const char *msg, void *arg)
{
	(void)lvl;
	(void)arg;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	snprintf(last_subsys, sizeof(last_subsys), "%s", subsys);
	sink_calls++;
}

static void
test_sink_and_levels(void **state)
{
	(void)state;
	log_init("test", LOG_DEST_NONE, LOG_LVL_INFO);
	log_set_sink(sink, NULL);
	sink_calls = 0;
	log_info("hello %d", 7);
	assert_string_equal(last_msg, "hello 7");
	assert_string_equal(last_subsys, "test");
	log_debug("hidden");
	assert_int_equal(sink_calls, 1);
	log_set_level(LOG_LVL_DEBUG);
	log_debug("shown");
	assert_int_equal(sink_calls, 2);
	log_set_sink(NULL, NULL);
}

static void
test_rate_limit(void **state)
{
	struct log_rl rl;
	uint32_t supp;
	int allowed = 0;

	(void)state;
	log_rl_init(&rl, 3, 1000);
	for (int i = 0; i < 10; i++)
		allowed += log_rl_allow(&rl, 5000 + (uint64_t)i, &supp);
	assert_int_equal(allowed, 3);
	/* next window: allowed again, and told how many were dropped */
	assert_true(log_rl_allow(&rl, 6001, &supp));
	assert_int_equal(supp, 7);
	assert_true(log_rl_allow(&rl, 6002, &supp));
	assert_int_equal(supp, 0);
}

static void
test_level_parse(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_not_equal(log_level_parse("loud", &l), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sink_and_levels),
	        cmocka_unit_test(test_rate_limit),
	        cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
