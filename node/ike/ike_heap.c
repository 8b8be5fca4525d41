/* SPDX-License-Identifier: MIT */
/* The IKE engine's timer queue (ike_heap.h): an indexed binary min-heap. */
#include "node/ike/ike_heap.h"

#include <errno.h>
#include <stdlib.h>

static bool
earlier(const struct ike_tmr *a, const struct ike_tmr *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
place(struct ike_heap *h, size_t i, struct ike_tmr *t)
{
	h->v[i] = t;
	t->pos = i + 1;
}

static void
sift_up(struct ike_heap *h, size_t i)
{
	struct ike_tmr *t = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!earlier(t, h->v[parent]))
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void
sift_down(struct ike_heap *h, size_t i)
{
	struct ike_tmr *t = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && earlier(h->v[c + 1], h->v[c]))
			c++;
		if (!earlier(h->v[c], t))
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, t);
}

void
ike_heap_init(struct ike_heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void
ike_heap_fini(struct ike_heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->pos = 0;
	free(h->v);
	ike_heap_init(h);
}

int
ike_heap_reserve(struct ike_heap *h, size_t n)
{
	struct ike_tmr **v;
	size_t cap = h->cap ? h->cap : 64;

	if (n <= h->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	v = realloc(h->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

int
ike_heap_set(struct ike_heap *h, struct ike_tmr *t, uint64_t at)
{
	bool later;

	if (!t->pos) {
		if (h->n == h->cap && ike_heap_reserve(h, h->n + 1))
			return -ENOMEM;
		t->at = at;
		place(h, h->n++, t);
		sift_up(h, h->n - 1);
		return 0;
	}
	later = at > t->at;
	t->at = at;
	if (later)
		sift_down(h, t->pos - 1);
	else
		sift_up(h, t->pos - 1);
	return 0;
}

void
ike_heap_del(struct ike_heap *h, struct ike_tmr *t)
{
	size_t i = t->pos;
	struct ike_tmr *last;

	if (!i)
		return;
	i--;
	t->pos = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	/* the last one takes the hole, then goes whichever way it must */
	place(h, i, last);
	if (i > 0 && earlier(last, h->v[(i - 1) / 2]))
		sift_up(h, i);
	else
		sift_down(h, i);
}

bool
ike_heap_valid(const struct ike_heap *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->v[i]->pos != i + 1)
			return false;
		if (i > 0 && earlier(h->v[i], h->v[(i - 1) / 2]))
			return false;
	}
	return true;
}
