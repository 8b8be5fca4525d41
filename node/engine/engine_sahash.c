/* SPDX-License-Identifier: MIT */
/*
 * The engine's SAs by (SPI, direction): a chained hash table with a power-of-two number of
 * buckets (Fibonacci hashing of the 33-bit key) that doubles when it holds more SAs than
 * buckets, so a lookup costs the same at ten SAs as at a hundred thousand. Inbound packets look
 * their SA up here; installs, deletes and lease grants too. Growth happens only on install (the
 * main thread, under the engine's write lock); a lookup never allocates and never writes.
 */
#include <errno.h>
#include <stdlib.h>

#include "node/engine/engine_int.h"

#define SAH_FIRST_BITS 10 /* 1024 buckets: 8 KiB, what the fixed table had */
#define SAH_MAX_BITS   24 /* 16 M buckets; beyond that chains just get longer */

static size_t
sah_bucket(const struct engine_sa_hash *h, uint32_t spi, bool inbound)
{
	uint64_t k = (uint64_t)spi << 1 | (inbound ? 1u : 0u);

	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> (64 - h->bits));
}

struct engine_sa *
engine_sahash_find(const struct engine_sa_hash *h, uint32_t spi, bool inbound)
{
	struct engine_sa *sa;

	if (!h->b)
		return NULL;
	for (sa = h->b[sah_bucket(h, spi, inbound)]; sa; sa = sa->hnext) {
		if (sa->p->spi == spi && sa->p->inbound == inbound)
			return sa;
	}
	return NULL;
}

/* Twice the buckets; with no memory the table stays as it is (only fuller). */
static void
sah_grow(struct engine_sa_hash *h)
{
	struct engine_sa_hash n = {.bits = h->bits + 1, .n = h->n};
	size_t old = (size_t)1 << h->bits;

	if (h->bits >= SAH_MAX_BITS)
		return;
	n.b = calloc((size_t)1 << n.bits, sizeof(*n.b));
	if (!n.b)
		return;
	for (size_t i = 0; i < old; i++) {
		struct engine_sa *sa = h->b[i], *next;

		for (; sa; sa = next) {
			size_t k = sah_bucket(&n, sa->p->spi, sa->p->inbound);

			next = sa->hnext;
			sa->hnext = n.b[k];
			n.b[k] = sa;
		}
	}
	free(h->b);
	*h = n;
}

int
engine_sahash_add(struct engine_sa_hash *h, struct engine_sa *sa)
{
	size_t k;

	if (!h->b) {
		h->b = calloc((size_t)1 << SAH_FIRST_BITS, sizeof(*h->b));
		if (!h->b)
			return -ENOMEM;
		h->bits = SAH_FIRST_BITS;
		h->n = 0;
	}
	k = sah_bucket(h, sa->p->spi, sa->p->inbound);
	sa->hnext = h->b[k];
	h->b[k] = sa;
	if (++h->n > (size_t)1 << h->bits)
		sah_grow(h);
	return 0;
}

void
engine_sahash_del(struct engine_sa_hash *h, struct engine_sa *sa)
{
	struct engine_sa **pp;

	if (!h->b)
		return;
	for (pp = &h->b[sah_bucket(h, sa->p->spi, sa->p->inbound)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == sa) {
			*pp = sa->hnext;
			sa->hnext = NULL;
			h->n--;
			return;
		}
	}
}

void
engine_sahash_fini(struct engine_sa_hash *h)
{
	free(h->b);
	*h = (struct engine_sa_hash){0};
}
