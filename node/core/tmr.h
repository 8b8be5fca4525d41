/* SPDX-License-Identifier: MIT */
/*
 * Timers embedded in their owner (iked's timer_set/add/del): the callback gets the owner.
 * tmr_del is idempotent and safe on a timer that never fired; tmr_fini releases it.
 */
#ifndef TANDEM_NODE_CORE_TMR_H
#define TANDEM_NODE_CORE_TMR_H

#include <stdbool.h>
#include <stdint.h>

struct event;
struct event_base;

typedef void (*tmr_fn)(void *arg);

struct tmr {
	struct event *tmr_ev; /* owned; NULL until tmr_init */
	tmr_fn tmr_cb;
	void *tmr_arg;
};

/* Returns 0 or -ENOMEM. */
int tmr_init(struct tmr *t, struct event_base *base, tmr_fn cb, void *arg);
void tmr_fini(struct tmr *t);
/* (Re)arms the timer to fire once after ms milliseconds. */
void tmr_add_ms(struct tmr *t, uint64_t ms);
void tmr_del(struct tmr *t);
bool tmr_pending(const struct tmr *t);

#endif
