/* SPDX-License-Identifier: MIT */
/*
 * STYLE.md §2.5: no allocation per packet. This binary interposes malloc/calloc/realloc and
 * counts every call, OpenSSL's included, while it encapsulates and decapsulates packets of
 * every kind of SA (after a warm-up that lets OpenSSL set up its per-thread state). Skipped
 * under AddressSanitizer, which owns malloc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/esp/esp_vec.h"

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_ASAN 1
#endif
#endif

#ifndef ALLOC_ASAN
static unsigned long allocs;

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

#ifndef ALLOC_ASAN
static void
run_kind(enum cfg_encr e, enum cfg_integ i, bool esn)
{
	static struct vec_buf b;
	struct esp_sa_params p;
	struct esp_sa *out, *in;
	struct esp_inner res;
	uint8_t inner[1400];
	unsigned long before;

	vec_params(&p, false, e, i, NULL, NULL);
	p.esn = esn;
	out = vec_sa(&p);
	p.inbound = true;
	p.seq_start = 0;
	in = vec_sa(&p);
	esp_sa_params_clear(&p);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	for (int warm = 0; warm < 2; warm++) {
		before = allocs;
		for (int k = 0; k < 200; k++) {
			vec_buf_set(&b, inner, sizeof(inner));
			assert_int_equal(esp_encap(out, 0, &b.pkt), ESP_DROP_NONE);
			if (k % 10 == 0)
				b.pkt.data[b.pkt.len - 1] ^= 1; /* the drop path too */
			(void)esp_decap(in, 0, b.pkt.data, b.pkt.len, &res);
		}
	}
	assert_int_equal(allocs - before, 0);
	esp_sa_free(out);
	esp_sa_free(in);
}
#endif

static void
test_no_alloc_per_packet(void **state)
{
	(void)state;
#ifdef ALLOC_ASAN
	skip();
#else
	for (unsigned e = 0; e < CFG_ENCR_COUNT; e++) {
		for (unsigned i = 0; i < CFG_INTEG_COUNT; i++) {
			bool aead = cfg_encr_info((enum cfg_encr)e)->aead;

			if (aead ? i != CFG_INTEG_NONE
			         : (e == CFG_ENCR_NULL && i == CFG_INTEG_NONE))
				continue;
			run_kind((enum cfg_encr)e, (enum cfg_integ)i, false);
			run_kind((enum cfg_encr)e, (enum cfg_integ)i, true);
		}
	}
	{
		/* the counter works: making an SA allocates */
		unsigned long before = allocs;
		struct esp_sa_params p;
		struct esp_sa *sa;

		vec_params(&p, false, CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, NULL, NULL);
		sa = vec_sa(&p);
		assert_true(allocs > before);
		esp_sa_free(sa);
		esp_sa_params_clear(&p);
	}
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_alloc_per_packet),
	};

	return cmocka_run_group_tests_name("esp_alloc", tests, NULL, NULL);
}
