/* SPDX-License-Identifier: MIT */
/*
 * The IKE engine's lookup tables: an intrusive chained hash table whose nodes are embedded in
 * their owners (IKE SAs, Child SAs, tunnels). The caller computes a 64-bit hash with the keyed
 * mixers below and compares keys itself, so one table type serves every index, including
 * those where several owners share a key (walk ike_htab_first/ike_htab_next). Buckets are a
 * power of two, the table doubles when it holds more nodes than buckets (load factor 1), and
 * removal is O(1) (each node knows what points at it). Growth that finds no memory keeps the
 * table as it is, only fuller: adding never fails once the table exists.
 */
#ifndef TANDEM_NODE_IKE_IKE_HASH_H
#define TANDEM_NODE_IKE_IKE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The owner of an embedded member, from a pointer to that member. */
#define ike_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct ike_hnode {
	struct ike_hnode *next, **pprev; /* pprev: NULL when not in a table */
	uint64_t hash;
};

struct ike_htab {
	struct ike_hnode **b; /* owned bucket array of mask + 1 chains */
	size_t mask;
	size_t n; /* nodes */
};

/* An empty table with nbuckets (a power of two) buckets. 0 or -ENOMEM. */
int ike_htab_init(struct ike_htab *t, size_t nbuckets);
/* Frees the buckets; the nodes (owned by their owners) are left as they are. */
void ike_htab_fini(struct ike_htab *t);
/* Links n under hash (n must not be in a table). */
void ike_htab_add(struct ike_htab *t, struct ike_hnode *n, uint64_t hash);
/* Unlinks n; nothing when it is in no table. */
void ike_htab_del(struct ike_htab *t, struct ike_hnode *n);
/* The first node with this hash (NULL: none); then the next one with the same hash. */
struct ike_hnode *ike_htab_first(const struct ike_htab *t, uint64_t hash);
struct ike_hnode *ike_htab_next(const struct ike_hnode *n);

static inline bool
ike_hnode_linked(const struct ike_hnode *n)
{
	return n->pprev != NULL;
}

/*
 * Keyed hashes: the seed (random per engine) keeps a peer that chooses its SPIs or identities
 * from lining them up in one bucket.
 */
uint64_t ike_hash_u64(uint64_t seed, uint64_t v);
uint64_t ike_hash_bytes(uint64_t seed, const void *p, size_t len);

/* Checks every chain: each node in the bucket of its hash, back links right, n right (tests). */
bool ike_htab_valid(const struct ike_htab *t);

#endif
