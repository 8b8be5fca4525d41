/* SPDX-License-Identifier: MIT */
/* Clock readings. */
#include "clk.h"

#include <time.h>

uint64_t
clk_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
clk_mono_us(void)
{
	return clk_mono_ns() / 1000u;
}

uint64_t
clk_mono_ms(void)
{
	return clk_mono_ns() / 1000000u;
}

int64_t
clk_real_sec(void)
{
	return (int64_t)time(NULL);
}
