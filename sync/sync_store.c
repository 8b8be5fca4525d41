/* SPDX-License-Identifier: MIT */
/*
 * The replicated store (sync_store.h): two chained hash tables, IKE SAs by (spi_i, spi_r) and
 * Child SA directions by (SPI, direction), each doubling its buckets when it holds as many
 * entries as buckets, so every update is O(1) amortised. An SA entry owns one allocation with
 * its raw SaUpdate followed by the (SPI, direction) list of its Child SAs; tombstones keep
 * only the identity and sit in a FIFO by expiry (one fixed lifetime, so the FIFO is sorted).
 */
#include "sync/sync_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define STORE_FIRST_BUCKETS 64u

struct spi_ent;

struct sa_ent {
	struct sa_ent *next; /* hash chain */
	uint64_t spi_i, spi_r, commit;
	uint8_t *data; /* owned: len bytes of raw update, then nkids uint64 "SPI << 1 | inbound" */
	uint32_t len;
	uint32_t gen;
	uint8_t nkids; /* Child SA directions listed (2 per Child SA) */
	bool tomb;
	uint64_t tomb_until;
	TAILQ_ENTRY(sa_ent) tomb_entry;
};

/*
 * One Child SA direction, listed by `refs` SAs (normally one; two for a moment while an IKE SA
 * rekey moves its Child SAs). refs 0: a value kept aside for an SA that has not come yet.
 */
struct spi_ent {
	struct spi_ent *next;
	uint32_t spi;
	bool inbound;
	uint32_t refs;
	uint64_t value;
};

struct sync_store {
	uint64_t seed;
	struct sa_ent **sa_tab;
	size_t sa_nb, nsa, ntomb;
	struct spi_ent **spi_tab;
	size_t spi_nb, nspi;
	size_t raw_bytes;
	uint64_t max_commit;
	TAILQ_HEAD(, sa_ent) tombs;
};

static uint64_t
mix64(uint64_t x)
{
	/* splitmix64's finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static size_t
sa_bucket(const struct sync_store *st, uint64_t spi_i, uint64_t spi_r, size_t nb)
{
	return (size_t)(mix64(spi_i ^ st->seed) ^ mix64(spi_r + 0x9e3779b97f4a7c15ULL)) & (nb - 1);
}

static size_t
spi_bucket(const struct sync_store *st, uint32_t spi, bool inbound, size_t nb)
{
	return (size_t)mix64(((uint64_t)spi << 1 | inbound) ^ st->seed) & (nb - 1);
}

struct sync_store *
sync_store_new(uint64_t seed)
{
	struct sync_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->seed = seed;
	TAILQ_INIT(&st->tombs);
	st->sa_nb = st->spi_nb = STORE_FIRST_BUCKETS;
	st->sa_tab = calloc(st->sa_nb, sizeof(*st->sa_tab));
	st->spi_tab = calloc(st->spi_nb, sizeof(*st->spi_tab));
	if (!st->sa_tab || !st->spi_tab) {
		sync_store_free(st);
		return NULL;
	}
	return st;
}

static void
sa_data_free(struct sync_store *st, struct sa_ent *e)
{
	if (!e->data)
		return;
	OPENSSL_cleanse(e->data, e->len); /* keys */
	free(e->data);
	st->raw_bytes -= e->len;
	e->data = NULL;
	e->len = 0;
	e->nkids = 0;
}

static const uint64_t *
sa_kids(const struct sa_ent *e)
{
	return (const uint64_t *)(const void *)(e->data + ((e->len + 7u) & ~7u));
}

void
sync_store_free(struct sync_store *st)
{
	if (!st)
		return;
	sync_store_clear(st, NULL, NULL);
	free(st->sa_tab);
	free(st->spi_tab);
	free(st);
}

/* ---- the tables ------------------------------------------------------------------------ */

static struct sa_ent **
sa_slot(const struct sync_store *st, uint64_t spi_i, uint64_t spi_r)
{
	struct sa_ent **pp = &st->sa_tab[sa_bucket(st, spi_i, spi_r, st->sa_nb)];

	while (*pp && ((*pp)->spi_i != spi_i || (*pp)->spi_r != spi_r))
		pp = &(*pp)->next;
	return pp;
}

static struct spi_ent **
spi_slot(const struct sync_store *st, uint32_t spi, bool inbound)
{
	struct spi_ent **pp = &st->spi_tab[spi_bucket(st, spi, inbound, st->spi_nb)];

	while (*pp && ((*pp)->spi != spi || (*pp)->inbound != inbound))
		pp = &(*pp)->next;
	return pp;
}

/* Doubles a table when it holds as many entries as buckets; on ENOMEM it stays as it is. */
static void
sa_grow(struct sync_store *st)
{
	size_t nb = st->sa_nb * 2;
	struct sa_ent **tab;

	if (st->nsa + st->ntomb < st->sa_nb || !(tab = calloc(nb, sizeof(*tab))))
		return;
	for (size_t i = 0; i < st->sa_nb; i++) {
		struct sa_ent *e, *next;

		for (e = st->sa_tab[i]; e; e = next) {
			size_t b = sa_bucket(st, e->spi_i, e->spi_r, nb);

			next = e->next;
			e->next = tab[b];
			tab[b] = e;
		}
	}
	free(st->sa_tab);
	st->sa_tab = tab;
	st->sa_nb = nb;
}

static void
spi_grow(struct sync_store *st)
{
	size_t nb = st->spi_nb * 2;
	struct spi_ent **tab;

	if (st->nspi < st->spi_nb || !(tab = calloc(nb, sizeof(*tab))))
		return;
	for (size_t i = 0; i < st->spi_nb; i++) {
		struct spi_ent *e, *next;

		for (e = st->spi_tab[i]; e; e = next) {
			size_t b = spi_bucket(st, e->spi, e->inbound, nb);

			next = e->next;
			e->next = tab[b];
			tab[b] = e;
		}
	}
	free(st->spi_tab);
	st->spi_tab = tab;
	st->spi_nb = nb;
}

static struct spi_ent *
spi_get(struct sync_store *st, uint32_t spi, bool inbound, bool create)
{
	struct spi_ent **pp = spi_slot(st, spi, inbound), *e;

	if (*pp || !create)
		return *pp;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->spi = spi;
	e->inbound = inbound;
	*pp = e;
	st->nspi++;
	spi_grow(st);
	return e;
}

static void
spi_del(struct sync_store *st, uint32_t spi, bool inbound)
{
	struct spi_ent **pp = spi_slot(st, spi, inbound), *e = *pp;

	if (!e)
		return;
	*pp = e->next;
	free(e);
	st->nspi--;
}

/* One SA stops listing a Child SA direction; it leaves the index when no SA lists it. */
static void
spi_unref(struct sync_store *st, uint64_t kid)
{
	struct spi_ent *s = spi_get(st, (uint32_t)(kid >> 1), kid & 1, false);

	if (s && s->refs && --s->refs == 0)
		spi_del(st, s->spi, s->inbound);
}

static void
sa_unindex(struct sync_store *st, struct sa_ent *e)
{
	const uint64_t *k = e->data ? sa_kids(e) : NULL;

	for (unsigned i = 0; k && i < e->nkids; i++)
		spi_unref(st, k[i]);
}

static void
sa_remove(struct sync_store *st, struct sa_ent **pp)
{
	struct sa_ent *e = *pp;

	sa_unindex(st, e);
	sa_data_free(st, e);
	if (e->tomb) {
		TAILQ_REMOVE(&st->tombs, e, tomb_entry);
		st->ntomb--;
	} else {
		st->nsa--;
	}
	*pp = e->next;
	free(e);
}

/* ---- updates --------------------------------------------------------------------------- */

static bool
kid_in(const uint64_t *v, unsigned n, uint64_t k)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == k)
			return true;
	return false;
}

int
sync_store_update(struct sync_store *st, const struct sync_sa_keys *k, const uint8_t *raw,
                  size_t len, uint32_t gen)
{
	struct sa_ent **pp = sa_slot(st, k->spi_i, k->spi_r), *e = *pp;
	size_t off = (len + 7u) & ~(size_t)7u;
	unsigned nkids = 2 * k->nchild;
	uint64_t *kids;
	uint8_t *data;
	int rc = 1;

	if (e && k->commit <= e->commit)
		return 0;
	if (len > UINT32_MAX || k->nchild > IKE_STATE_MAX_CHILDREN)
		return -ENOMEM;
	data = malloc(off + nkids * sizeof(uint64_t) + 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, raw, len);
	kids = (uint64_t *)(void *)(data + off);
	for (unsigned i = 0; i < k->nchild; i++) {
		kids[2 * i] = (uint64_t)k->spi_in[i] << 1 | 1u;
		kids[2 * i + 1] = (uint64_t)k->spi_out[i] << 1;
	}
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			free(data);
			return -ENOMEM;
		}
		e->spi_i = k->spi_i;
		e->spi_r = k->spi_r;
		*pp = e;
		st->nsa++;
	} else if (e->tomb) {
		TAILQ_REMOVE(&st->tombs, e, tomb_entry);
		e->tomb = false;
		st->ntomb--;
		st->nsa++;
	}
	/* directions listed before and not now lose this SA's reference; new ones gain it */
	for (unsigned i = 0; e->data && i < e->nkids; i++)
		if (!kid_in(kids, nkids, sa_kids(e)[i]))
			spi_unref(st, sa_kids(e)[i]);
	for (unsigned i = 0; i < nkids; i++) {
		struct spi_ent *s;

		if (e->data && kid_in(sa_kids(e), e->nkids, kids[i]))
			continue;
		s = spi_get(st, (uint32_t)(kids[i] >> 1), kids[i] & 1, true);
		if (s)
			s->refs++;
		else
			rc = -ENOMEM; /* the SA is held; its sequence index is incomplete */
	}
	sa_data_free(st, e);
	e->data = data;
	e->len = (uint32_t)len;
	e->nkids = (uint8_t)nkids;
	e->commit = k->commit;
	e->gen = gen;
	st->raw_bytes += len;
	if (k->commit > st->max_commit)
		st->max_commit = k->commit;
	for (unsigned i = 0; i < k->nchild; i++) {
		struct spi_ent *in = spi_get(st, k->spi_in[i], true, false);
		struct spi_ent *out = spi_get(st, k->spi_out[i], false, false);

		if (in && k->in_highest[i] > in->value)
			in->value = k->in_highest[i];
		if (out && k->out_lease_limit[i] > out->value)
			out->value = k->out_lease_limit[i];
	}
	sa_grow(st);
	return rc;
}

int
sync_store_delete(struct sync_store *st, uint64_t spi_i, uint64_t spi_r, uint64_t commit,
                  bool unknown_ok, uint32_t gen, uint64_t now_ms)
{
	struct sa_ent **pp = sa_slot(st, spi_i, spi_r), *e = *pp;

	if (e && commit <= e->commit)
		return 0;
	if (!e) {
		if (!unknown_ok)
			return -ENOENT;
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->spi_i = spi_i;
		e->spi_r = spi_r;
		*pp = e;
	} else if (e->tomb) {
		TAILQ_REMOVE(&st->tombs, e, tomb_entry);
		st->ntomb--;
	} else {
		sa_unindex(st, e);
		sa_data_free(st, e);
		st->nsa--;
	}
	e->tomb = true;
	e->commit = commit;
	e->gen = gen;
	e->tomb_until = now_ms + SYNC_TOMB_MS;
	TAILQ_INSERT_TAIL(&st->tombs, e, tomb_entry);
	st->ntomb++;
	if (commit > st->max_commit)
		st->max_commit = commit;
	sa_grow(st);
	return 1;
}

int
sync_store_seq(struct sync_store *st, uint32_t spi, bool inbound, uint64_t value, bool unknown_ok)
{
	struct spi_ent *s = spi_get(st, spi, inbound, false);

	if ((!s || !s->refs) && !unknown_ok)
		return -ENOENT;
	if (!s) {
		s = spi_get(st, spi, inbound, true);
		if (!s)
			return -ENOMEM;
	}
	if (value <= s->value)
		return 0;
	s->value = value;
	return 1;
}

uint64_t
sync_store_seq_get(const struct sync_store *st, uint32_t spi, bool inbound, bool *known)
{
	struct spi_ent *s = *spi_slot(st, spi, inbound);

	if (known)
		*known = s && s->refs;
	return s ? s->value : 0;
}

size_t
sync_store_seq_skip(struct sync_store *st, uint64_t by,
                    void (*fn)(void *arg, uint32_t spi, uint64_t value), void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < st->spi_nb; i++)
		for (struct spi_ent *e = st->spi_tab[i]; e; e = e->next) {
			if (e->inbound || !e->refs)
				continue;
			e->value = e->value > UINT64_MAX - by ? UINT64_MAX : e->value + by;
			n++;
			if (fn)
				fn(arg, e->spi, e->value);
		}
	return n;
}

/* ---- reading ----------------------------------------------------------------------------- */

static void
sa_view(const struct sa_ent *e, struct sync_sa_view *v)
{
	v->spi_i = e->spi_i;
	v->spi_r = e->spi_r;
	v->commit = e->commit;
	v->raw = e->data;
	v->len = e->len;
	v->tomb = e->tomb;
	v->gen = e->gen;
	v->kids = e->data ? sa_kids(e) : NULL;
	v->nkids = e->data ? e->nkids : 0;
}

bool
sync_store_get(const struct sync_store *st, uint64_t spi_i, uint64_t spi_r,
               struct sync_sa_view *out)
{
	struct sa_ent *e = *sa_slot(st, spi_i, spi_r);

	if (!e)
		return false;
	sa_view(e, out);
	return true;
}

int
sync_store_keys(const struct sync_store *st, uint64_t **keys, size_t *n)
{
	uint64_t *k = malloc((2 * st->nsa + 2) * sizeof(*k));
	size_t m = 0;

	*keys = NULL;
	*n = 0;
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < st->sa_nb; i++)
		for (const struct sa_ent *e = st->sa_tab[i]; e; e = e->next)
			if (!e->tomb) {
				k[2 * m] = e->spi_i;
				k[2 * m + 1] = e->spi_r;
				m++;
			}
	*keys = k;
	*n = m;
	return 0;
}

void
sync_store_walk(const struct sync_store *st, void (*fn)(void *arg, const struct sync_sa_view *v),
                void *arg)
{
	struct sync_sa_view v;

	for (size_t i = 0; i < st->sa_nb; i++)
		for (const struct sa_ent *e = st->sa_tab[i]; e; e = e->next)
			if (!e->tomb) {
				sa_view(e, &v);
				fn(arg, &v);
			}
}

/* ---- removal ----------------------------------------------------------------------------- */

size_t
sync_store_drop_other_gen(struct sync_store *st, uint32_t gen,
                          void (*fn)(void *arg, uint64_t spi_i, uint64_t spi_r), void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < st->sa_nb; i++) {
		struct sa_ent **pp = &st->sa_tab[i];

		while (*pp) {
			if (!(*pp)->tomb && (*pp)->gen != gen) {
				if (fn)
					fn(arg, (*pp)->spi_i, (*pp)->spi_r);
				sa_remove(st, pp);
				n++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	/* sequence state kept aside for SPIs whose SA never came */
	for (size_t i = 0; i < st->spi_nb; i++) {
		struct spi_ent **pp = &st->spi_tab[i];

		while (*pp) {
			if (!(*pp)->refs) {
				struct spi_ent *e = *pp;

				*pp = e->next;
				free(e);
				st->nspi--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return n;
}

void
sync_store_clear(struct sync_store *st, void (*fn)(void *arg, uint64_t spi_i, uint64_t spi_r),
                 void *arg)
{
	for (size_t i = 0; st->sa_tab && i < st->sa_nb; i++) {
		while (st->sa_tab[i]) {
			if (fn && !st->sa_tab[i]->tomb)
				fn(arg, st->sa_tab[i]->spi_i, st->sa_tab[i]->spi_r);
			sa_remove(st, &st->sa_tab[i]);
		}
	}
	for (size_t i = 0; st->spi_tab && i < st->spi_nb; i++) {
		while (st->spi_tab[i]) {
			struct spi_ent *e = st->spi_tab[i];

			st->spi_tab[i] = e->next;
			free(e);
		}
	}
	st->nspi = 0;
}

size_t
sync_store_sweep(struct sync_store *st, uint64_t now_ms)
{
	struct sa_ent *e;
	size_t n = 0;

	while ((e = TAILQ_FIRST(&st->tombs)) != NULL && e->tomb_until <= now_ms) {
		sa_remove(st, sa_slot(st, e->spi_i, e->spi_r));
		n++;
	}
	return n;
}

void
sync_store_stats(const struct sync_store *st, struct sync_store_stats *out)
{
	out->sas = st->nsa;
	out->tombs = st->ntomb;
	out->children = st->nspi;
	out->raw_bytes = st->raw_bytes;
	out->max_commit = st->max_commit;
}

uint64_t
sync_store_max_commit(const struct sync_store *st)
{
	return st->max_commit;
}

void
sync_store_touch(struct sync_store *st, uint64_t spi_i, uint64_t spi_r, uint32_t gen)
{
	struct sa_ent *e = *sa_slot(st, spi_i, spi_r);

	if (e)
		e->gen = gen;
}

size_t
sync_store_mem(const struct sync_store *st)
{
	return sizeof(*st) + st->sa_nb * sizeof(*st->sa_tab) + st->spi_nb * sizeof(*st->spi_tab) +
	       (st->nsa + st->ntomb) * sizeof(struct sa_ent) + st->nspi * sizeof(struct spi_ent) +
	       st->raw_bytes + st->nsa * 2 * IKE_STATE_MAX_CHILDREN / 8;
}

/* ---- digest -------------------------------------------------------------------------------- */

static int
key_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
}

int
sync_store_digest(const struct sync_store *st, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t *keys = NULL;
	size_t n = 0;
	unsigned len = 0;
	int rc = -ENOMEM;

	if (!md || sync_store_keys(st, &keys, &n))
		goto out;
	qsort(keys, n, 2 * sizeof(*keys), key_cmp);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct sync_sa_view v;

		if (!sync_store_get(st, keys[2 * i], keys[2 * i + 1], &v) || v.tomb)
			continue;
		(void)EVP_DigestUpdate(md, &v.spi_i, sizeof(v.spi_i));
		(void)EVP_DigestUpdate(md, &v.spi_r, sizeof(v.spi_r));
		(void)EVP_DigestUpdate(md, &v.commit, sizeof(v.commit));
		(void)EVP_DigestUpdate(md, v.raw, v.len);
		for (unsigned k = 0; k < v.nkids; k++) {
			uint64_t seq = sync_store_seq_get(st, (uint32_t)(v.kids[k] >> 1),
			                                  v.kids[k] & 1, NULL);

			(void)EVP_DigestUpdate(md, &v.kids[k], sizeof(v.kids[k]));
			(void)EVP_DigestUpdate(md, &seq, sizeof(seq));
		}
	}
	rc = EVP_DigestFinal_ex(md, out, &len) == 1 ? 0 : -EINVAL;
out:
	free(keys);
	EVP_MD_CTX_free(md);
	return rc;
}
