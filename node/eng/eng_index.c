/* SPDX-License-Identifier: MIT */
/*
 * The SA store's indexes: stored SAs by (SPI, direction), the key of every install, delete,
 * lease, replay report, lifetime and Stats entry; and tunnel names, each with the tunnels of
 * that name in engine groups, the SAs that name it and how many of them are outbound and in an
 * engine (whether the tunnel's routes go on). Both are chained hash tables with power-of-two
 * buckets that double at load factor 1, so none of these costs grows with the number of SAs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/eng/eng_int.h"

#define ENG_HASH_FIRST 64

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

static size_t
sa_bucket(const struct eng_sup *sup, uint32_t spi, bool inbound)
{
	return (size_t)mix64((uint64_t)spi << 1 | inbound) & sup->sa_mask;
}

static size_t
name_bucket(size_t mask, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */

	for (const char *c = name; *c; c++) {
		h ^= (uint8_t)*c;
		h *= 0x100000001b3ULL;
	}
	return (size_t)mix64(h) & mask;
}

int
eng_index_init(struct eng_sup *sup)
{
	sup->sa_hash = calloc(ENG_HASH_FIRST, sizeof(*sup->sa_hash));
	sup->slot_hash = calloc(ENG_HASH_FIRST, sizeof(*sup->slot_hash));
	sup->sa_mask = sup->slot_mask = ENG_HASH_FIRST - 1;
	sup->nsas = sup->nslots = 0;
	return sup->sa_hash && sup->slot_hash ? 0 : -ENOMEM;
}

void
eng_index_fini(struct eng_sup *sup)
{
	for (size_t i = 0; sup->slot_hash && i <= sup->slot_mask; i++) {
		while (sup->slot_hash[i]) {
			struct eng_tslot *s = sup->slot_hash[i];

			sup->slot_hash[i] = s->hnext;
			free(s);
		}
	}
	free(sup->slot_hash);
	free(sup->sa_hash);
	sup->slot_hash = NULL;
	sup->sa_hash = NULL;
}

/* ---- SAs by (SPI, direction) ------------------------------------------------------------- */

struct eng_sa *
eng_store_find(const struct eng_sup *sup, uint32_t spi, bool inbound)
{
	struct eng_sa *sa = sup->sa_hash[sa_bucket(sup, spi, inbound)];

	while (sa && (sa->p.spi != spi || sa->p.inbound != inbound))
		sa = sa->hnext;
	return sa;
}

/* Twice the buckets; as it is when there is no memory (only fuller). */
static void
sa_hash_grow(struct eng_sup *sup)
{
	size_t nb = 2 * (sup->sa_mask + 1);
	struct eng_sa **b = calloc(nb, sizeof(*b)), **old = sup->sa_hash;
	size_t omask = sup->sa_mask;

	if (!b)
		return;
	sup->sa_hash = b;
	sup->sa_mask = nb - 1;
	for (size_t i = 0; i <= omask; i++) {
		struct eng_sa *sa = old[i], *next;

		for (; sa; sa = next) {
			size_t k = sa_bucket(sup, sa->p.spi, sa->p.inbound);

			next = sa->hnext;
			sa->hnext = b[k];
			b[k] = sa;
		}
	}
	free(old);
}

static void
slot_gc(struct eng_sup *sup, struct eng_tslot *s)
{
	struct eng_tslot **pp;

	if (!s || s->nsas || !TAILQ_EMPTY(&s->tunnels))
		return;
	for (pp = &sup->slot_hash[name_bucket(sup->slot_mask, s->name)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			sup->nslots--;
			free(s);
			return;
		}
}

int
eng_sa_link(struct eng_sup *sup, struct eng_sa *sa)
{
	struct eng_tslot *s = eng_tslot_get(sup, sa->p.tunnel, true);
	size_t k;

	if (!s)
		return -ENOMEM;
	sa->slot = s;
	TAILQ_INSERT_TAIL(&s->sas, sa, slot_entry);
	s->nsas++;
	if (!sa->p.inbound && sa->in_engine)
		s->nout++;
	k = sa_bucket(sup, sa->p.spi, sa->p.inbound);
	sa->hnext = sup->sa_hash[k];
	sup->sa_hash[k] = sa;
	if (++sup->nsas > sup->sa_mask + 1)
		sa_hash_grow(sup);
	return 0;
}

void
eng_sa_unlink(struct eng_sup *sup, struct eng_sa *sa)
{
	struct eng_sa **pp = &sup->sa_hash[sa_bucket(sup, sa->p.spi, sa->p.inbound)];
	struct eng_tslot *s = sa->slot;

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == sa) {
			*pp = sa->hnext;
			sup->nsas--;
			break;
		}
	if (!s)
		return;
	eng_sa_set_in_engine(sa, false);
	TAILQ_REMOVE(&s->sas, sa, slot_entry);
	s->nsas--;
	sa->slot = NULL;
	slot_gc(sup, s);
}

void
eng_sa_set_in_engine(struct eng_sa *sa, bool in)
{
	if (sa->slot && !sa->p.inbound && sa->in_engine != in)
		sa->slot->nout = in ? sa->slot->nout + 1 : sa->slot->nout - 1;
	sa->in_engine = in;
}

/* ---- tunnel names ------------------------------------------------------------------------- */

static void
slot_hash_grow(struct eng_sup *sup)
{
	size_t nb = 2 * (sup->slot_mask + 1);
	struct eng_tslot **b = calloc(nb, sizeof(*b)), **old = sup->slot_hash;
	size_t omask = sup->slot_mask;

	if (!b)
		return;
	for (size_t i = 0; i <= omask; i++) {
		struct eng_tslot *s = old[i], *next;

		for (; s; s = next) {
			size_t k = name_bucket(nb - 1, s->name);

			next = s->hnext;
			s->hnext = b[k];
			b[k] = s;
		}
	}
	sup->slot_hash = b;
	sup->slot_mask = nb - 1;
	free(old);
}

struct eng_tslot *
eng_tslot_get(struct eng_sup *sup, const char *name, bool create)
{
	size_t k = name_bucket(sup->slot_mask, name);
	struct eng_tslot *s;

	for (s = sup->slot_hash[k]; s; s = s->hnext)
		if (strcmp(s->name, name) == 0)
			return s;
	if (!create || !(s = calloc(1, sizeof(*s))))
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	TAILQ_INIT(&s->tunnels);
	TAILQ_INIT(&s->sas);
	s->hnext = sup->slot_hash[k];
	sup->slot_hash[k] = s;
	if (++sup->nslots > sup->slot_mask + 1)
		slot_hash_grow(sup);
	return s;
}

struct eng_tunnel *
eng_tunnel_find(const struct eng_sup *sup, const char *name)
{
	const struct eng_tslot *s;

	for (s = sup->slot_hash[name_bucket(sup->slot_mask, name)]; s; s = s->hnext)
		if (strcmp(s->name, name) == 0)
			return TAILQ_FIRST(&s->tunnels);
	return NULL;
}

int
eng_tunnel_register(struct eng_sup *sup, struct eng_tunnel *t)
{
	struct eng_tslot *s = eng_tslot_get(sup, t->name, true);

	if (!s)
		return -ENOMEM;
	t->slot = s;
	TAILQ_INSERT_TAIL(&s->tunnels, t, slot_entry);
	return 0;
}

void
eng_tunnel_unregister(struct eng_sup *sup, struct eng_tunnel *t)
{
	struct eng_tslot *s = t->slot;

	if (!s)
		return;
	TAILQ_REMOVE(&s->tunnels, t, slot_entry);
	t->slot = NULL;
	slot_gc(sup, s);
}

bool
eng_tunnel_has_out_sa(const struct eng_sup *sup, const struct eng_tunnel *t)
{
	const struct eng_tslot *s = t->slot;

	for (s = s ? s : sup->slot_hash[name_bucket(sup->slot_mask, t->name)]; s; s = s->hnext)
		if (s == t->slot || strcmp(s->name, t->name) == 0)
			return s->nout > 0;
	return false;
}
