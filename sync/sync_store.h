/* SPDX-License-Identifier: MIT */
/*
 * The replicated store every node of a cluster keeps: the latest state of each IKE SA, keyed
 * by (spi_i, spi_r), as the raw SaUpdate the group delivered (so a snapshot resends it as it
 * is), with the commit number of that update; tombstones of deleted SAs; and the sequence
 * state of each Child SA direction (outbound lease limit, inbound highest) by SPI.
 *
 * The commit rule: an update or delete applies only when its commit is newer than the copy
 * held (live or tombstone), so applying the same messages twice, or an older copy after a
 * newer one (a snapshot chunk built before a live update), changes nothing. O(1) per update;
 * hash tables grow as they fill. Raw updates hold keys: they are wiped before they are freed.
 */
#ifndef TANDEM_SYNC_SYNC_STORE_H
#define TANDEM_SYNC_SYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/sync_codec.h"

#define SYNC_TOMB_MS 60000u /* a deleted SA's tombstone outlives any snapshot that began before */

struct sync_store;

/* One SA as the store holds it (borrowed; valid until the next change to the store). */
struct sync_sa_view {
	uint64_t spi_i, spi_r, commit;
	const uint8_t *raw; /* the SaUpdate; NULL for a tombstone */
	size_t len;
	bool tomb;
	uint32_t gen;
	const uint64_t *kids; /* its Child SA directions: SPI << 1 | inbound */
	unsigned nkids;
};

struct sync_store_stats {
	size_t sas;          /* live IKE SAs */
	size_t tombs;        /* tombstones */
	size_t children;     /* Child SA directions indexed (two per Child SA) */
	size_t raw_bytes;    /* bytes of raw updates held */
	uint64_t max_commit; /* the highest commit ever applied */
};

/* seed: for the hash (random per process, so SPIs chosen by peers cannot collide on purpose). */
struct sync_store *sync_store_new(uint64_t seed);
void sync_store_free(struct sync_store *st);

/*
 * Applies an update: the raw SaUpdate bytes (copied) whose identity is k (sync_peek_sa_update
 * or the decoder). The Child SAs it lists are indexed by SPI with their sequence state merged
 * (the larger value wins); Child SAs it no longer lists leave the index (unless another SA
 * took them over, as an IKE SA rekey does). `gen` marks the entry (resync bookkeeping).
 * Returns 1 applied, 0 not newer (nothing changed), -ENOMEM.
 */
int sync_store_update(struct sync_store *st, const struct sync_sa_keys *k, const uint8_t *raw,
                      size_t len, uint32_t gen);
/*
 * A delete: the SA becomes a tombstone until now_ms + SYNC_TOMB_MS (its Child SAs leave the
 * index). For an SA not held, a tombstone is made only when `unknown_ok` (a node receiving a
 * snapshot: the SA may still come in a chunk). Returns 1 applied, 0 not newer, -ENOENT (not
 * held, not unknown_ok), -ENOMEM.
 */
int sync_store_delete(struct sync_store *st, uint64_t spi_i, uint64_t spi_r, uint64_t commit,
                      bool unknown_ok, uint32_t gen, uint64_t now_ms);
/*
 * Raises the sequence state of a Child SA direction (lease limit outbound, highest inbound).
 * For an SPI not indexed the value is kept aside when `unknown_ok` (joining; the SA may come
 * later) and -ENOENT returned otherwise. Returns 1 raised, 0 not raised, -ENOENT, -ENOMEM.
 */
int sync_store_seq(struct sync_store *st, uint32_t spi, bool inbound, uint64_t value,
                   bool unknown_ok);
/* The sequence state of an indexed SPI, or 0. *known (may be NULL) says whether it is. */
uint64_t sync_store_seq_get(const struct sync_store *st, uint32_t spi, bool inbound, bool *known);

/*
 * Raises the outbound lease limit of every indexed SPI by `by` (saturating) and tells fn each
 * new value. Returns how many it raised.
 */
size_t sync_store_seq_skip(struct sync_store *st, uint64_t by,
                           void (*fn)(void *arg, uint32_t spi, uint64_t value), void *arg);

/* The SA (or tombstone) with these SPIs; false if none. */
bool sync_store_get(const struct sync_store *st, uint64_t spi_i, uint64_t spi_r,
                    struct sync_sa_view *out);

/* The SPIs of every live SA, in an array the caller frees (2 words per SA). Returns 0/-ENOMEM. */
int sync_store_keys(const struct sync_store *st, uint64_t **keys, size_t *n);
/* Calls fn for every live SA (fn must not change the store). */
void sync_store_walk(const struct sync_store *st,
                     void (*fn)(void *arg, const struct sync_sa_view *v), void *arg);

/*
 * Resync clean-up: removes every live SA whose gen is not `gen` (held from before a resync,
 * and not in the snapshot nor updated since), calling fn first for each, and the sequence
 * state kept aside for SPIs that never got their SA. Returns how many SAs went.
 */
size_t sync_store_drop_other_gen(struct sync_store *st, uint32_t gen,
                                 void (*fn)(void *arg, uint64_t spi_i, uint64_t spi_r), void *arg);
/* Removes everything (fn called for each live SA first). */
void sync_store_clear(struct sync_store *st, void (*fn)(void *arg, uint64_t spi_i, uint64_t spi_r),
                      void *arg);
/* Purges tombstones that expired at now_ms. Returns how many. */
size_t sync_store_sweep(struct sync_store *st, uint64_t now_ms);

void sync_store_stats(const struct sync_store *st, struct sync_store_stats *out);
uint64_t sync_store_max_commit(const struct sync_store *st);
/* Marks a held SA (live or tombstone) with gen: a snapshot listed it. */
void sync_store_touch(struct sync_store *st, uint64_t spi_i, uint64_t spi_r, uint32_t gen);
/*
 * SHA-256 over every live SA in SPI order: SPIs, commit, the raw update (keys included) and
 * the sequence state of its Child SAs. Equal on nodes that hold the same store; lets tests and
 * operators compare keys without printing them. Returns 0 or -ENOMEM.
 */
int sync_store_digest(const struct sync_store *st, uint8_t out[32]);
/* Bytes the store's tables and entries take (an estimate for memory figures). */
size_t sync_store_mem(const struct sync_store *st);

#endif
