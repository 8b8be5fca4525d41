/* SPDX-License-Identifier: MIT */
/*
 * A name index for the parser: (namespace, scope, key) → object, in an open-addressing hash
 * table. It finds duplicates as definitions arrive and resolves references after the file is
 * read without quadratic scans, so a large configuration (or a fuzzer's) parses in linear time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg_int.h"

struct cfg_index_ent {
	char *key; /* owned; NULL = empty slot */
	const void *scope;
	unsigned ns;
	void *obj;
	uint64_t hash;
};

struct cfg_index {
	struct cfg_index_ent *v;
	size_t cap; /* a power of two */
	size_t n;
};

static uint64_t
ix_hash(unsigned ns, const void *scope, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ns; /* FNV-1a */
	uintptr_t sc = (uintptr_t)scope;

	for (size_t i = 0; i < sizeof(sc); i++) {
		h ^= (uint8_t)(sc >> (8 * i));
		h *= 0x100000001b3ULL;
	}
	for (; *key; key++) {
		h ^= (uint8_t)*key;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct cfg_index *
cfg_index_new(void)
{
	struct cfg_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	ix->cap = 64;
	ix->v = calloc(ix->cap, sizeof(*ix->v));
	if (!ix->v) {
		free(ix);
		return NULL;
	}
	return ix;
}

void
cfg_index_free(struct cfg_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->cap; i++)
		free(ix->v[i].key);
	free(ix->v);
	free(ix);
}

static struct cfg_index_ent *
ix_slot(struct cfg_index_ent *v, size_t cap, uint64_t h, unsigned ns, const void *scope,
        const char *key)
{
	size_t i = (size_t)h & (cap - 1);

	while (v[i].key) {
		if (v[i].hash == h && v[i].ns == ns && v[i].scope == scope &&
		    strcmp(v[i].key, key) == 0)
			return &v[i];
		i = (i + 1) & (cap - 1);
	}
	return &v[i];
}

static int
ix_grow(struct cfg_index *ix)
{
	size_t cap = ix->cap * 2;
	struct cfg_index_ent *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ix->cap; i++) {
		struct cfg_index_ent *e = &ix->v[i];

		if (e->key)
			*ix_slot(v, cap, e->hash, e->ns, e->scope, e->key) = *e;
	}
	free(ix->v);
	ix->v = v;
	ix->cap = cap;
	return 0;
}

int
cfg_index_add(struct cfg_index *ix, unsigned ns, const void *scope, const char *key, void *obj,
              void **old)
{
	uint64_t h = ix_hash(ns, scope, key);
	struct cfg_index_ent *e;

	if ((ix->n + 1) * 4 > ix->cap * 3 && ix_grow(ix) != 0)
		return -ENOMEM;
	e = ix_slot(ix->v, ix->cap, h, ns, scope, key);
	if (e->key) {
		if (old)
			*old = e->obj;
		return -EEXIST;
	}
	e->key = strdup(key);
	if (!e->key)
		return -ENOMEM;
	e->hash = h;
	e->ns = ns;
	e->scope = scope;
	e->obj = obj;
	ix->n++;
	return 0;
}

void *
cfg_index_get(const struct cfg_index *ix, unsigned ns, const void *scope, const char *key)
{
	uint64_t h = ix_hash(ns, scope, key);
	struct cfg_index_ent *e = ix_slot(ix->v, ix->cap, h, ns, scope, key);

	return e->key ? e->obj : NULL;
}
