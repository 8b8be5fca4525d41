/* SPDX-License-Identifier: MIT */
/* The IKE engine's lookup tables (ike_hash.h): chained, intrusive, doubling at load 1. */
#include "node/ike/ike_hash.h"

#include <errno.h>
#include <stdlib.h>

/* The 64-bit finaliser of MurmurHash3: every input bit moves every output bit. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t
ike_hash_u64(uint64_t seed, uint64_t v)
{
	return mix64(mix64(v ^ seed) + seed);
}

uint64_t
ike_hash_bytes(uint64_t seed, const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed; /* FNV-1a, then mixed */

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return ike_hash_u64(seed, h ^ len);
}

int
ike_htab_init(struct ike_htab *t, size_t nbuckets)
{
	t->b = calloc(nbuckets, sizeof(*t->b));
	t->mask = nbuckets - 1;
	t->n = 0;
	return t->b ? 0 : -ENOMEM;
}

void
ike_htab_fini(struct ike_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->mask = 0;
	t->n = 0;
}

static void
link_head(struct ike_hnode **head, struct ike_hnode *n)
{
	n->next = *head;
	if (n->next)
		n->next->pprev = &n->next;
	n->pprev = head;
	*head = n;
}

/* Twice the buckets; keeps the table as it is when there is no memory. */
static void
grow(struct ike_htab *t)
{
	size_t nb = 2 * (t->mask + 1);
	struct ike_hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		struct ike_hnode *n = t->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			link_head(&b[n->hash & (nb - 1)], n);
		}
	}
	free(t->b);
	t->b = b;
	t->mask = nb - 1;
}

void
ike_htab_add(struct ike_htab *t, struct ike_hnode *n, uint64_t hash)
{
	n->hash = hash;
	link_head(&t->b[hash & t->mask], n);
	if (++t->n > t->mask + 1)
		grow(t);
}

void
ike_htab_del(struct ike_htab *t, struct ike_hnode *n)
{
	if (!n->pprev)
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	t->n--;
}

static struct ike_hnode *
same_hash(struct ike_hnode *n, uint64_t hash)
{
	while (n && n->hash != hash)
		n = n->next;
	return n;
}

struct ike_hnode *
ike_htab_first(const struct ike_htab *t, uint64_t hash)
{
	return t->b ? same_hash(t->b[hash & t->mask], hash) : NULL;
}

struct ike_hnode *
ike_htab_next(const struct ike_hnode *n)
{
	return same_hash(n->next, n->hash);
}

bool
ike_htab_valid(const struct ike_htab *t)
{
	size_t k = 0;

	for (size_t i = 0; t->b && i <= t->mask; i++) {
		struct ike_hnode **pp = &t->b[i];

		for (struct ike_hnode *n = t->b[i]; n; n = n->next, k++) {
			if (n->pprev != pp || (n->hash & t->mask) != i)
				return false;
			pp = &n->next;
		}
	}
	return k == t->n;
}
