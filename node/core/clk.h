/* SPDX-License-Identifier: MIT */
/* Clocks. Protocol state machines never call these: their callers pass the time in. */
#ifndef TANDEM_NODE_CORE_CLK_H
#define TANDEM_NODE_CORE_CLK_H

#include <stdint.h>

/* Monotonic time (CLOCK_MONOTONIC) in milliseconds, microseconds and nanoseconds. */
uint64_t clk_mono_ms(void);
uint64_t clk_mono_us(void);
uint64_t clk_mono_ns(void);
/* Wall-clock seconds since the epoch, for display only. */
int64_t clk_real_sec(void);

#endif
