/* SPDX-License-Identifier: MIT */
/*
 * The anti-replay window (RFC 4303 §3.4.3, Appendix A): in order, reordered within the
 * window, duplicates, late packets, every window size from 32 to 4096 against a reference
 * model, ESN inference and a wrap across 2^32 through whole SAs, and verify-before-update
 * (a forged packet must not move the window).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/esp/esp_replay.h"
#include "tests/unit/esp/esp_vec.h"

static void
test_basic(void **state)
{
	struct esp_replay r;

	(void)state;
	esp_replay_init(&r, 64, 0);
	assert_int_equal(esp_replay_check(&r, 0), ESP_DROP_REPLAY_LATE); /* never sent */
	for (uint64_t s = 1; s <= 10; s++)
		assert_int_equal(esp_replay_update(&r, s), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 10), ESP_DROP_REPLAY_DUP);
	assert_int_equal(esp_replay_update(&r, 5), ESP_DROP_REPLAY_DUP);
	/* reordered within the window */
	assert_int_equal(esp_replay_update(&r, 70), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 40), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 7), ESP_DROP_REPLAY_DUP); /* 70-7 = 63 < 64 */
	assert_int_equal(esp_replay_check(&r, 6), ESP_DROP_REPLAY_LATE); /* 70-6 = 64 */
	assert_int_equal(esp_replay_update(&r, 11), ESP_DROP_NONE);
	/* a big jump clears everything */
	assert_int_equal(esp_replay_update(&r, 100000), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 99990), ESP_DROP_NONE);
	assert_int_equal(esp_replay_check(&r, 70), ESP_DROP_REPLAY_LATE);
}

/* A restarted engine starts above what the old one may have accepted (docs/engine.md). */
static void
test_floor(void **state)
{
	struct esp_replay r;

	(void)state;
	esp_replay_init(&r, 128, 1000);
	assert_int_equal(esp_replay_check(&r, 1000), ESP_DROP_REPLAY_LATE);
	assert_int_equal(esp_replay_check(&r, 950), ESP_DROP_REPLAY_LATE);
	assert_int_equal(esp_replay_update(&r, 1001), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 1003), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 1002), ESP_DROP_NONE);
	assert_int_equal(esp_replay_check(&r, 999), ESP_DROP_REPLAY_LATE);
}

/* The window off: everything above the floor passes, duplicates too (RFC 4303 §3.4.3). */
static void
test_disabled(void **state)
{
	struct esp_replay r;

	(void)state;
	esp_replay_init(&r, 0, 0);
	assert_int_equal(esp_replay_update(&r, 5), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 5), ESP_DROP_NONE);
	assert_int_equal(esp_replay_update(&r, 1), ESP_DROP_NONE);
	assert_int_equal(esp_replay_check(&r, 0), ESP_DROP_REPLAY_LATE);
}

/* Reference model: a plain set of accepted numbers. */
static enum esp_drop
model(uint8_t *seen, uint64_t top, uint32_t win, uint64_t s)
{
	if (s == 0)
		return ESP_DROP_REPLAY_LATE;
	if (s > top)
		return ESP_DROP_NONE;
	if (top - s >= win)
		return ESP_DROP_REPLAY_LATE;
	return seen[s] ? ESP_DROP_REPLAY_DUP : ESP_DROP_NONE;
}

static void
random_stream(uint32_t win)
{
	enum { N = 60000 };
	static uint8_t seen[N + 9000];
	struct esp_replay r;
	uint64_t top = 0, base = 1;

	memset(seen, 0, sizeof(seen));
	esp_replay_init(&r, win, 0);
	srand(win);
	for (int i = 0; i < N; i++) {
		/* mostly forward, sometimes back within or beyond the window, sometimes a jump */
		int k = rand() % 100;
		uint64_t s;
		enum esp_drop want;

		if (k < 60)
			s = base++;
		else if (k < 95)
			s = base > win * 2u ? base - (uint64_t)(rand() % (int)(win * 2u)) : base;
		else
			s = base += (uint64_t)(rand() % 3000);
		if (s >= sizeof(seen))
			break;
		want = model(seen, top, win, s);
		assert_int_equal(esp_replay_check(&r, s), want);
		assert_int_equal(esp_replay_update(&r, s), want);
		if (want == ESP_DROP_NONE) {
			seen[s] = 1;
			if (s > top)
				top = s;
		}
	}
}

static void
test_sizes_against_model(void **state)
{
	static const uint32_t wins[] = {32, 33, 63, 64, 65, 100, 128, 500, 1024, 2000, 4095, 4096};

	(void)state;
	for (size_t i = 0; i < sizeof(wins) / sizeof(wins[0]); i++)
		random_stream(wins[i]);
}

/* RFC 4303 Appendix A2.2 cases A and B. */
static void
test_esn_infer(void **state)
{
	struct esp_replay r;
	uint64_t s;

	(void)state;
	esp_replay_init(&r, 64, 0);
	r.top = 0x100000010ull; /* Th = 1, Tl = 16: case B (Tl < W - 1) */
	assert_true(esp_replay_infer(&r, true, 0xfffffff0u, &s));
	assert_int_equal(s, 0xfffffff0ull); /* previous subspace */
	assert_true(esp_replay_infer(&r, true, 5, &s));
	assert_int_equal(s, 0x100000005ull);
	assert_true(esp_replay_infer(&r, true, 0x80000000u, &s));
	assert_int_equal(s, 0x180000000ull); /* ahead in the same subspace */
	r.top = 0x1fffffff0ull;              /* Th = 1, Tl near 2^32: case A */
	assert_true(esp_replay_infer(&r, true, 3, &s));
	assert_int_equal(s, 0x200000003ull); /* the next subspace */
	assert_true(esp_replay_infer(&r, true, 0xffffffc0u, &s));
	assert_int_equal(s, 0x1ffffffc0ull);
	r.top = 10; /* Th = 0 in case B: nothing lies below zero */
	assert_false(esp_replay_infer(&r, true, 0xfffffffeu, &s));
	assert_true(esp_replay_infer(&r, false, 0xfffffffeu, &s));
	assert_int_equal(s, 0xfffffffeull);
}

struct pair {
	struct esp_sa *out, *in;
};

static void
pair_make(struct pair *pr, enum cfg_encr e, enum cfg_integ i, bool esn, uint64_t out_start,
          uint64_t in_start, uint32_t win)
{
	struct esp_sa_params p;

	vec_params(&p, false, e, i, NULL, NULL);
	p.esn = esn;
	p.replay_window = win;
	p.seq_start = out_start;
	pr->out = vec_sa(&p);
	p.inbound = true;
	p.seq_start = in_start;
	pr->in = vec_sa(&p);
	esp_sa_params_clear(&p);
}

static void
pair_free(struct pair *pr)
{
	esp_sa_free(pr->out);
	esp_sa_free(pr->in);
}

/* Encapsulates one packet into b (a copy the caller may replay). */
static void
pair_send(struct pair *pr, struct vec_buf *b)
{
	uint8_t inner[64];

	vec_ip4_udp(inner, sizeof(inner), 7, 9);
	vec_buf_set(b, inner, sizeof(inner));
	assert_int_equal(esp_encap(pr->out, 0, &b->pkt), ESP_DROP_NONE);
}

static enum esp_drop
pair_recv(struct pair *pr, struct vec_buf *b, uint64_t *seq)
{
	static uint8_t copy[2048];
	struct esp_inner in;
	enum esp_drop d;

	memcpy(copy, b->pkt.data, b->pkt.len); /* decap works in place: keep b replayable */
	d = esp_decap(pr->in, 0, copy, b->pkt.len, &in);
	if (d == ESP_DROP_NONE && seq)
		*seq = in.seq;
	return d;
}

/* 20 packets across 2^32 with ESN, delivered in a shuffled order, then replayed. */
static void
test_esn_wrap(void **state)
{
	static struct vec_buf b[20];
	static const int order[20] = {0,  2,  1,  3,  5,  4,  9,  6,  7,  8,
	                              12, 10, 11, 19, 13, 14, 15, 16, 18, 17};
	struct pair pr;

	(void)state;
	pair_make(&pr, CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, true, 0xfffffff6ull, 0xfffffff0ull,
	          64);
	for (int k = 0; k < 20; k++)
		pair_send(&pr, &b[k]);
	for (int k = 0; k < 20; k++) {
		uint64_t s = 0;

		assert_int_equal(pair_recv(&pr, &b[order[k]], &s), ESP_DROP_NONE);
		assert_int_equal(s, 0xfffffff6ull + (uint64_t)order[k]);
	}
	for (int k = 0; k < 20; k++)
		assert_int_equal(pair_recv(&pr, &b[k], NULL), ESP_DROP_REPLAY_DUP);
	pair_free(&pr);
	/* same with HMAC: the high half is in the ICV, not on the wire (RFC 4303 §3.3.2.1) */
	pair_make(&pr, CFG_ENCR_AES256_CBC, CFG_INTEG_HMAC_SHA2_256_128, true, 0xfffffffeull,
	          0xfffffff0ull, 32);
	for (int k = 0; k < 4; k++) {
		uint64_t s = 0;

		pair_send(&pr, &b[k]);
		assert_int_equal(pair_recv(&pr, &b[k], &s), ESP_DROP_NONE);
		assert_int_equal(s, 0xfffffffeull + (uint64_t)k);
	}
	pair_free(&pr);
}

/* With ESN the high half enters the ICV: a receiver that infers another one fails it. */
static void
test_esn_high_bits_authenticated(void **state)
{
	static struct vec_buf b;
	struct pair pr;

	(void)state;
	/* sender is a whole subspace ahead of what the receiver can infer from its window */
	pair_make(&pr, CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, true, 0x200000005ull, 3, 64);
	pair_send(&pr, &b);
	assert_int_equal(pair_recv(&pr, &b, NULL), ESP_DROP_AUTH_FAILED);
	pair_free(&pr);
	pair_make(&pr, CFG_ENCR_CHACHA20_POLY1305, CFG_INTEG_NONE, true, 0x200000005ull, 3, 64);
	pair_send(&pr, &b);
	assert_int_equal(pair_recv(&pr, &b, NULL), ESP_DROP_AUTH_FAILED);
	pair_free(&pr);
}

/* A forged packet far ahead must not slide the window (RFC 4303 §3.4.3). */
static void
test_verify_before_update(void **state)
{
	static struct vec_buf b[3], forged;
	static const enum cfg_encr encs[] = {CFG_ENCR_AES128_GCM16, CFG_ENCR_AES128_CBC,
	                                     CFG_ENCR_NULL};
	struct pair pr;

	(void)state;
	for (size_t e = 0; e < 3; e++) {
		pair_make(&pr, encs[e], e ? CFG_INTEG_HMAC_SHA2_256_128 : CFG_INTEG_NONE, false, 1,
		          0, 64);
		for (int k = 0; k < 3; k++)
			pair_send(&pr, &b[k]);
		/* a forgery claiming number 1000 (the last ICV byte changed) */
		forged = b[2];
		forged.pkt.data = forged.mem + (b[2].pkt.data - b[2].mem);
		forged.pkt.data[4] = 0;
		forged.pkt.data[5] = 0;
		forged.pkt.data[6] = 0x03;
		forged.pkt.data[7] = 0xe8;
		forged.pkt.data[forged.pkt.len - 1] ^= 0x55;
		assert_int_equal(pair_recv(&pr, &forged, NULL), ESP_DROP_AUTH_FAILED);
		/* the window did not move: number 1 is still acceptable, then 3 and 2 */
		assert_int_equal(pair_recv(&pr, &b[0], NULL), ESP_DROP_NONE);
		assert_int_equal(pair_recv(&pr, &b[2], NULL), ESP_DROP_NONE);
		assert_int_equal(pair_recv(&pr, &b[1], NULL), ESP_DROP_NONE);
		/* a replay of an authentic packet is refused before any cryptography */
		assert_int_equal(pair_recv(&pr, &b[1], NULL), ESP_DROP_REPLAY_DUP);
		pair_free(&pr);
	}
}

/* Late: more than a window behind; the seed's wording for both replay reasons. */
static void
test_late_through_sa(void **state)
{
	static struct vec_buf b[40];
	struct pair pr;

	(void)state;
	pair_make(&pr, CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, false, 1, 0, 32);
	for (int k = 0; k < 40; k++)
		pair_send(&pr, &b[k]);
	assert_int_equal(pair_recv(&pr, &b[39], NULL), ESP_DROP_NONE);       /* number 40 */
	assert_int_equal(pair_recv(&pr, &b[8], NULL), ESP_DROP_NONE);        /* 9: 40-9 = 31 */
	assert_int_equal(pair_recv(&pr, &b[7], NULL), ESP_DROP_REPLAY_LATE); /* 8: 32 */
	assert_int_equal(pair_recv(&pr, &b[8], NULL), ESP_DROP_REPLAY_DUP);
	assert_string_equal(esp_drop_msg(ESP_DROP_REPLAY_LATE),
	                    "Late Packet falling out of window.");
	assert_string_equal(esp_drop_msg(ESP_DROP_REPLAY_DUP), "Repeated/duplicate packet.");
	pair_free(&pr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_basic),
	        cmocka_unit_test(test_floor),
	        cmocka_unit_test(test_disabled),
	        cmocka_unit_test(test_sizes_against_model),
	        cmocka_unit_test(test_esn_infer),
	        cmocka_unit_test(test_esn_wrap),
	        cmocka_unit_test(test_esn_high_bits_authenticated),
	        cmocka_unit_test(test_verify_before_update),
	        cmocka_unit_test(test_late_through_sa),
	};

	return cmocka_run_group_tests_name("esp_replay", tests, NULL, NULL);
}
