/* SPDX-License-Identifier: MIT */
/*
 * The IKE engine's data structures on their own: the timer heap (ike_heap.h) against a plain
 * array under random churn, and the hash table (ike_hash.h) through growth, removal and shared
 * keys, with the mixers spreading sequential and patterned keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_hash.h"
#include "node/ike/ike_heap.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- heap ------------------------------------------------------------------------------------ */

#define NT 2000

struct owner {
	struct ike_tmr t;
	bool armed;
	uint64_t at;
};

static struct owner own[NT];

/* The earliest armed owner by a plain scan (deadline, then sequence). */
static struct owner *
scan_min(void)
{
	struct owner *m = NULL;

	for (size_t i = 0; i < NT; i++)
		if (own[i].armed &&
		    (!m || own[i].at < m->at || (own[i].at == m->at && own[i].t.seq < m->t.seq)))
			m = &own[i];
	return m;
}

static void
test_heap_churn(void **state)
{
	struct ike_heap h;

	(void)state;
	ike_heap_init(&h);
	memset(own, 0, sizeof(own));
	for (size_t i = 0; i < NT; i++)
		own[i].t.seq = i;
	for (int step = 0; step < 200000; step++) {
		struct owner *o = &own[rnd() % NT];
		unsigned op = (unsigned)(rnd() % 4);

		if (op < 3) {
			/* few distinct deadlines: many ties, so the sequence order is exercised */
			o->at = rnd() % 512;
			assert_int_equal(ike_heap_set(&h, &o->t, o->at), 0);
			o->armed = true;
		} else {
			ike_heap_del(&h, &o->t);
			o->armed = false;
		}
		assert_int_equal(ike_tmr_armed(&o->t), o->armed);
		if (step % 97 == 0) {
			struct owner *m = scan_min();

			assert_true(ike_heap_valid(&h));
			if (m)
				assert_ptr_equal(ike_heap_top(&h), &m->t);
			else
				assert_null(ike_heap_top(&h));
		}
	}
	/* draining gives every deadline in order, ties by sequence */
	for (struct ike_tmr *t, *prev = NULL; (t = ike_heap_top(&h)); prev = t) {
		struct owner *o = ike_container_of(t, struct owner, t);

		assert_ptr_equal(scan_min(), o);
		if (prev)
			assert_true(prev->at < t->at || (prev->at == t->at && prev->seq < t->seq));
		ike_heap_del(&h, t);
		o->armed = false;
	}
	assert_int_equal(h.n, 0);
	ike_heap_fini(&h);
}

static void
test_heap_move_and_fini(void **state)
{
	struct ike_heap h;
	struct ike_tmr a = {.seq = 1}, b = {.seq = 2}, c = {.seq = 3};

	(void)state;
	ike_heap_init(&h);
	assert_int_equal(ike_heap_reserve(&h, 3), 0);
	assert_int_equal(ike_heap_set(&h, &a, 30), 0);
	assert_int_equal(ike_heap_set(&h, &b, 20), 0);
	assert_int_equal(ike_heap_set(&h, &c, 10), 0);
	assert_ptr_equal(ike_heap_top(&h), &c);
	assert_int_equal(ike_heap_set(&h, &c, 40), 0); /* later: sinks */
	assert_ptr_equal(ike_heap_top(&h), &b);
	assert_int_equal(ike_heap_set(&h, &a, 5), 0); /* earlier: rises */
	assert_ptr_equal(ike_heap_top(&h), &a);
	assert_int_equal(ike_heap_set(&h, &b, 5), 0); /* a tie: the lower sequence first */
	assert_ptr_equal(ike_heap_top(&h), &a);
	ike_heap_del(&h, &a);
	ike_heap_del(&h, &a); /* twice: nothing */
	assert_ptr_equal(ike_heap_top(&h), &b);
	assert_true(ike_heap_valid(&h));
	ike_heap_fini(&h); /* disarms what is left */
	assert_false(ike_tmr_armed(&b));
	assert_false(ike_tmr_armed(&c));
}

/* ---- hash ------------------------------------------------------------------------------------ */

#define NH 50000

struct item {
	struct ike_hnode h;
	uint64_t key;
};

static struct item items[NH];

static struct item *
find(const struct ike_htab *t, uint64_t seed, uint64_t key)
{
	for (struct ike_hnode *n = ike_htab_first(t, ike_hash_u64(seed, key)); n;
	     n = ike_htab_next(n)) {
		struct item *it = ike_container_of(n, struct item, h);

		if (it->key == key)
			return it;
	}
	return NULL;
}

static void
test_hash_growth_and_removal(void **state)
{
	struct ike_htab t;
	uint64_t seed = rnd();

	(void)state;
	memset(items, 0, sizeof(items));
	assert_int_equal(ike_htab_init(&t, 16), 0);
	for (size_t i = 0; i < NH; i++) {
		items[i].key = rnd();
		ike_htab_add(&t, &items[i].h, ike_hash_u64(seed, items[i].key));
		if ((i & (i - 1)) == 0) /* at powers of two, just around each doubling */
			assert_true(ike_htab_valid(&t));
	}
	assert_int_equal(t.n, NH);
	/* load factor at most 1 after growth */
	assert_true(t.mask + 1 >= NH);
	assert_true(ike_htab_valid(&t));
	for (size_t i = 0; i < NH; i++)
		assert_ptr_equal(find(&t, seed, items[i].key), &items[i]);
	for (size_t i = 0; i < NH; i += 2) {
		ike_htab_del(&t, &items[i].h);
		assert_false(ike_hnode_linked(&items[i].h));
		ike_htab_del(&t, &items[i].h); /* twice: nothing */
	}
	assert_int_equal(t.n, NH / 2);
	assert_true(ike_htab_valid(&t));
	for (size_t i = 0; i < NH; i++)
		assert_ptr_equal(find(&t, seed, items[i].key), i % 2 ? &items[i] : NULL);
	/* churn: remove and add back under new keys */
	for (int step = 0; step < 100000; step++) {
		struct item *it = &items[rnd() % NH];

		if (ike_hnode_linked(&it->h)) {
			ike_htab_del(&t, &it->h);
		} else {
			it->key = rnd();
			ike_htab_add(&t, &it->h, ike_hash_u64(seed, it->key));
		}
	}
	assert_true(ike_htab_valid(&t));
	for (size_t i = 0; i < NH; i++)
		if (ike_hnode_linked(&items[i].h))
			assert_ptr_equal(find(&t, seed, items[i].key), &items[i]);
	ike_htab_fini(&t);
}

static void
test_hash_shared_keys(void **state)
{
	struct ike_htab t;
	uint64_t h = ike_hash_bytes(7, "tunnel", 6);
	size_t k = 0;

	(void)state;
	assert_int_equal(ike_htab_init(&t, 16), 0);
	for (size_t i = 0; i < 100; i++)
		ike_htab_add(&t, &items[i].h, i % 2 ? h : ike_hash_u64(7, i));
	for (struct ike_hnode *n = ike_htab_first(&t, h); n; n = ike_htab_next(n)) {
		assert_int_equal(n->hash, h);
		k++;
	}
	assert_int_equal(k, 50);
	for (size_t i = 1; i < 100; i += 2)
		ike_htab_del(&t, &items[i].h);
	assert_null(ike_htab_first(&t, h));
	assert_true(ike_htab_valid(&t));
	ike_htab_fini(&t);
}

/* Keys a peer might send or a counter might make still spread over the buckets. */
static void
test_hash_spread(void **state)
{
	enum { NB = 1024, NK = 8 * NB };
	static unsigned load[NB];
	unsigned maxload = 0;

	(void)state;
	for (int pattern = 0; pattern < 3; pattern++) {
		memset(load, 0, sizeof(load));
		maxload = 0;
		for (uint64_t i = 0; i < NK; i++) {
			/* sequential, multiples of the bucket count, high bits only */
			uint64_t key = pattern == 0 ? i : pattern == 1 ? i * NB : i << 40;
			unsigned b = (unsigned)(ike_hash_u64(12345, key) & (NB - 1));

			if (++load[b] > maxload)
				maxload = load[b];
		}
		/* 8 per bucket on average; a fair hash stays well under 4x that */
		assert_true(maxload < 32);
	}
	/* strings differing in the last byte */
	memset(load, 0, sizeof(load));
	maxload = 0;
	for (unsigned i = 0; i < NK; i++) {
		char s[16] = "tunnel-00000";
		unsigned b;

		s[8] = (char)('0' + i / 1000 % 10);
		s[9] = (char)('0' + i / 100 % 10);
		s[10] = (char)('0' + i / 10 % 10);
		s[11] = (char)('0' + i % 10);
		s[12] = (char)('a' + i / 10000);
		b = (unsigned)(ike_hash_bytes(99, s, 13) & (NB - 1));
		if (++load[b] > maxload)
			maxload = load[b];
	}
	assert_true(maxload < 32);
	/* another seed, other buckets */
	assert_int_not_equal(ike_hash_u64(1, 42), ike_hash_u64(2, 42));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_heap_churn),
	        cmocka_unit_test(test_heap_move_and_fini),
	        cmocka_unit_test(test_hash_growth_and_removal),
	        cmocka_unit_test(test_hash_shared_keys),
	        cmocka_unit_test(test_hash_spread),
	};

	return cmocka_run_group_tests_name("ike_index", tests, NULL, NULL);
}
