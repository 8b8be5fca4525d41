/* SPDX-License-Identifier: MIT */
/*
 * The IKE engine's timer queue: a binary min-heap of deadlines. Each timer is embedded in its
 * owner (an IKE SA, a tunnel, the cookie secret) and remembers where it sits, so arming,
 * moving and disarming one cost O(log n) and the earliest deadline is read in O(1). Timers
 * with the same deadline come out in the order of their sequence numbers (the owners'
 * creation order), so what falls due together runs in a stable order.
 */
#ifndef TANDEM_NODE_IKE_IKE_HEAP_H
#define TANDEM_NODE_IKE_IKE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_tmr {
	uint64_t at;  /* deadline, engine ms */
	uint64_t seq; /* tie-break among equal deadlines: lower first (set by the owner) */
	size_t pos;   /* 1 + index in the heap; 0: not armed */
};

struct ike_heap {
	struct ike_tmr **v; /* owned array of borrowed timers */
	size_t n, cap;
};

void ike_heap_init(struct ike_heap *h);
void ike_heap_fini(struct ike_heap *h);
/* Room for n timers, so that arming up to n cannot fail. 0 or -ENOMEM. */
int ike_heap_reserve(struct ike_heap *h, size_t n);
/* Arms t at `at`, or moves it there if armed. 0, or -ENOMEM when it was not armed and no room
 * was reserved (t stays disarmed). */
int ike_heap_set(struct ike_heap *h, struct ike_tmr *t, uint64_t at);
/* Disarms t; nothing when it is not armed. */
void ike_heap_del(struct ike_heap *h, struct ike_tmr *t);

static inline bool
ike_tmr_armed(const struct ike_tmr *t)
{
	return t->pos != 0;
}

/* The earliest timer (NULL: none). */
static inline struct ike_tmr *
ike_heap_top(const struct ike_heap *h)
{
	return h->n ? h->v[0] : NULL;
}

/* Checks the heap property and every timer's position (tests). */
bool ike_heap_valid(const struct ike_heap *h);

#endif
