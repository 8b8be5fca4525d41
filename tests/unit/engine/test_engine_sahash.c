/* SPDX-License-Identifier: MIT */
/*
 * tandem-engine's SA table by (SPI, direction) (node/engine/engine_sahash.c): both directions
 * of one SPI kept apart, growth with the number of SAs (chains stay short at 100,000 SAs),
 * removal from the middle of a chain, and lookups that never allocate (STYLE.md §2.5: the
 * inbound packet path looks its SA up here). The allocation count interposes malloc and is
 * left out under AddressSanitizer, which owns malloc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/engine/engine_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_ASAN 1
#endif
#endif

static unsigned long allocs;

#ifndef ALLOC_ASAN
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);

void *
malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	allocs++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}
#endif

/* SAs with their parameters next to them (the engine points p into its esp_sa). */
struct tsa {
	struct engine_sa sa;
	struct esp_sa_params p;
};

static struct tsa *
tsa_make(size_t n, uint32_t (*spi_of)(size_t), bool both)
{
	size_t total = both ? 2 * n : n;
	struct tsa *v = calloc(total, sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < total; i++) {
		v[i].p.spi = spi_of(both ? i / 2 : i);
		v[i].p.inbound = both ? i % 2 == 0 : true;
		v[i].sa.p = &v[i].p;
	}
	return v;
}

static uint32_t
spi_spread(size_t i)
{
	return 0xc1000000u + (uint32_t)i * 2654435761u;
}

/* strongSwan-like SPIs: random-looking high bits are not needed; consecutive numbers too. */
static uint32_t
spi_consecutive(size_t i)
{
	return 0x00001000u + (uint32_t)i;
}

static size_t
longest_chain(const struct engine_sa_hash *h)
{
	size_t m = 0;

	for (size_t i = 0; i < (size_t)1 << h->bits; i++) {
		size_t c = 0;

		for (const struct engine_sa *sa = h->b[i]; sa; sa = sa->hnext)
			c++;
		if (c > m)
			m = c;
	}
	return m;
}

static void
test_empty(void **state)
{
	struct engine_sa_hash h = {0};

	(void)state;
	assert_null(engine_sahash_find(&h, 1, true));
	engine_sahash_fini(&h);
}

/* The same SPI in both directions (a manual SA "both"): two entries, each found. */
static void
test_directions(void **state)
{
	struct engine_sa_hash h = {0};
	struct tsa *v = tsa_make(1, spi_consecutive, true);

	(void)state;
	assert_int_equal(engine_sahash_add(&h, &v[0].sa), 0);
	assert_null(engine_sahash_find(&h, v[0].p.spi, false));
	assert_int_equal(engine_sahash_add(&h, &v[1].sa), 0);
	assert_ptr_equal(engine_sahash_find(&h, v[0].p.spi, true), &v[0].sa);
	assert_ptr_equal(engine_sahash_find(&h, v[0].p.spi, false), &v[1].sa);
	engine_sahash_del(&h, &v[0].sa);
	engine_sahash_del(&h, &v[0].sa); /* not linked: nothing */
	assert_null(engine_sahash_find(&h, v[0].p.spi, true));
	assert_ptr_equal(engine_sahash_find(&h, v[0].p.spi, false), &v[1].sa);
	assert_int_equal(h.n, 1);
	engine_sahash_fini(&h);
	free(v);
}

static void
many(uint32_t (*spi_of)(size_t))
{
	const size_t n = 100000;
	struct engine_sa_hash h = {0};
	struct tsa *v = tsa_make(n, spi_of, true);

	for (size_t i = 0; i < 2 * n; i++)
		assert_int_equal(engine_sahash_add(&h, &v[i].sa), 0);
	assert_int_equal(h.n, 2 * n);
	assert_true(((size_t)1 << h.bits) >= 2 * n); /* sized to the table: load factor <= 1 */
	assert_true(longest_chain(&h) <= 12);
	for (size_t i = 0; i < 2 * n; i++)
		assert_ptr_equal(engine_sahash_find(&h, v[i].p.spi, v[i].p.inbound), &v[i].sa);
	assert_null(engine_sahash_find(&h, 0xffffffffu, true));
	/* every other one goes; the rest stay findable */
	for (size_t i = 0; i < 2 * n; i += 2)
		engine_sahash_del(&h, &v[i].sa);
	assert_int_equal(h.n, n);
	for (size_t i = 0; i < 2 * n; i++) {
		if (i % 2)
			assert_ptr_equal(engine_sahash_find(&h, v[i].p.spi, v[i].p.inbound),
			                 &v[i].sa);
		else
			assert_null(engine_sahash_find(&h, v[i].p.spi, v[i].p.inbound));
	}
	engine_sahash_fini(&h);
	assert_null(h.b);
	free(v);
}

static void
test_many_spread(void **state)
{
	(void)state;
	many(spi_spread);
}

static void
test_many_consecutive(void **state)
{
	(void)state;
	many(spi_consecutive);
}

/* A lookup is what an inbound packet does: no allocation, whatever the table holds. */
static void
test_lookup_no_alloc(void **state)
{
	const size_t n = 5000;
	struct engine_sa_hash h = {0};
	struct tsa *v;
	unsigned long before;

	(void)state;
#ifdef ALLOC_ASAN
	skip(); /* AddressSanitizer owns malloc: nothing to count */
#endif
	v = tsa_make(n, spi_spread, true);
	for (size_t i = 0; i < 2 * n; i++)
		assert_int_equal(engine_sahash_add(&h, &v[i].sa), 0);
	before = allocs;
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < 2 * n; i++) {
			if (engine_sahash_find(&h, v[i].p.spi, v[i].p.inbound) != &v[i].sa)
				fail();
			if (engine_sahash_find(&h, v[i].p.spi ^ 0x5a5a5a5au, true) == &v[i].sa)
				fail();
		}
	}
	assert_int_equal(allocs - before, 0);
	engine_sahash_fini(&h);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_empty),           cmocka_unit_test(test_directions),
	        cmocka_unit_test(test_many_spread),     cmocka_unit_test(test_many_consecutive),
	        cmocka_unit_test(test_lookup_no_alloc),
	};

	return cmocka_run_group_tests_name("engine_sahash", tests, NULL, NULL);
}
