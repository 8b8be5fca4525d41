/* SPDX-License-Identifier: MIT */
/* libevent-backed one-shot timers embedded in their owners. */
#include "tmr.h"

#include <errno.h>
#include <stddef.h>

#include <event2/event.h>

static void
tmr_fire(evutil_socket_t fd, short what, void *arg)
{
	struct tmr *t = arg;

	(void)fd;
	(void)what;
	t->tmr_cb(t->tmr_arg);
}

int
tmr_init(struct tmr *t, struct event_base *base, tmr_fn cb, void *arg)
{
	t->tmr_cb = cb;
	t->tmr_arg = arg;
	t->tmr_ev = evtimer_new(base, tmr_fire, t);
	return t->tmr_ev ? 0 : -ENOMEM;
}

void
tmr_fini(struct tmr *t)
{
	if (t->tmr_ev) {
		event_free(t->tmr_ev);
		t->tmr_ev = NULL;
	}
}

void
tmr_add_ms(struct tmr *t, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
	                     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (t->tmr_ev)
		evtimer_add(t->tmr_ev, &tv);
}

void
tmr_del(struct tmr *t)
{
	if (t->tmr_ev)
		evtimer_del(t->tmr_ev);
}

bool
tmr_pending(const struct tmr *t)
{
	return t->tmr_ev && evtimer_pending(t->tmr_ev, NULL);
}
