/* SPDX-License-Identifier: MIT */
/*
 * Sequence-number leases (DESIGN.md): never a number at or above the limit, one request per
 * lease at the refill share, grants, no number issued twice across simulated engine
 * restarts, the 32-bit SA that never wraps (RFC 4303 §3.3.3); replay reports; byte
 * lifetimes (soft once, hard once, then every packet refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/esp/esp_vec.h"

static struct esp_sa *
out_sa(uint64_t start, uint64_t limit, bool esn, unsigned pct)
{
	struct esp_sa_opts o = {.nslots = 1, .lease_refill_pct = pct};
	struct esp_sa_params p;
	struct esp_sa *sa;

	vec_params(&p, false, CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, NULL, NULL);
	p.seq_start = start;
	p.lease_limit = limit;
	p.esn = esn;
	assert_int_equal(esp_sa_new(&p, &o, &sa), 0);
	esp_sa_params_clear(&p);
	return sa;
}

/* Sends one packet; returns the drop reason and the number on the wire (low 32 bits). */
static enum esp_drop
send_one(struct esp_sa *sa, uint32_t *seql)
{
	static struct vec_buf b;
	uint8_t inner[40];
	enum esp_drop d;

	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	vec_buf_set(&b, inner, sizeof(inner));
	d = esp_encap(sa, 0, &b.pkt);
	if (d == ESP_DROP_NONE && seql)
		*seql = (uint32_t)b.pkt.data[4] << 24 | (uint32_t)b.pkt.data[5] << 16 |
		        (uint32_t)b.pkt.data[6] << 8 | b.pkt.data[7];
	return d;
}

static void
test_exhaust_and_grant(void **state)
{
	struct esp_sa *sa = out_sa(1, 11, false, 50);
	struct esp_sa_stats st;
	uint64_t used, limit;
	uint32_t s;
	int asked = 0;

	(void)state;
	for (uint32_t k = 1; k <= 10; k++) {
		assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
		assert_int_equal(s, k);
		if (esp_sa_lease_want(sa, &used, &limit)) {
			asked++;
			assert_int_equal(used, 5); /* half of [1, 11) used: 1..5 sent */
			assert_int_equal(limit, 11);
		}
	}
	assert_int_equal(asked, 1);
	assert_int_equal(send_one(sa, NULL), ESP_DROP_LEASE_EXHAUSTED);
	assert_int_equal(send_one(sa, NULL), ESP_DROP_LEASE_EXHAUSTED);
	assert_false(esp_sa_lease_want(sa, &used, &limit)); /* once per lease */
	esp_sa_stats(sa, &st);
	assert_int_equal(st.drops[ESP_DROP_LEASE_EXHAUSTED], 2);
	assert_int_equal(st.seq, 10);
	/* a lower grant changes nothing; a higher one continues where it stopped */
	assert_int_equal(esp_sa_lease_grant(sa, 5), 11);
	assert_int_equal(esp_sa_lease_grant(sa, 31), 31);
	assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
	assert_int_equal(s, 11);
	for (uint32_t k = 12; k <= 30; k++) {
		assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
		if (esp_sa_lease_want(sa, &used, &limit)) {
			asked++;
			assert_int_equal(used, 20); /* half of [11, 31) used */
		}
	}
	assert_int_equal(asked, 2);
	assert_int_equal(send_one(sa, NULL), ESP_DROP_LEASE_EXHAUSTED);
	esp_sa_free(sa);
}

/* No lease at install (limit <= start): ask at once, send nothing. */
static void
test_no_lease(void **state)
{
	struct esp_sa *sa = out_sa(100, 100, false, 50);
	uint64_t used, limit;

	(void)state;
	assert_true(esp_sa_lease_want(sa, &used, &limit));
	assert_int_equal(used, 99);
	assert_int_equal(limit, 100);
	assert_int_equal(send_one(sa, NULL), ESP_DROP_LEASE_EXHAUSTED);
	esp_sa_free(sa);
}

/*
 * An engine that dies at a random point is replaced by one installed at the last granted
 * limit (docs/engine.md): over many restarts and grants no number is sent twice.
 */
static void
test_restart_never_repeats(void **state)
{
	enum { MAXSEQ = 20000 };
	static uint8_t sent[MAXSEQ];
	uint64_t granted = 50, start = 1;
	unsigned total = 0;

	(void)state;
	memset(sent, 0, sizeof(sent));
	srand(4303);
	for (int life = 0; life < 60 && granted < MAXSEQ - 200; life++) {
		struct esp_sa *sa = out_sa(start, granted, false, 50);
		int n = rand() % 120;

		for (int k = 0; k < n; k++) {
			uint64_t used, limit;
			uint32_t s;

			if (send_one(sa, &s) == ESP_DROP_NONE) {
				assert_true(s < MAXSEQ);
				assert_int_equal(sent[s], 0);
				sent[s] = 1;
				total++;
			}
			/* tandemd grants 50 more on request (sometimes the grant is lost) */
			if (esp_sa_lease_want(sa, &used, &limit) && rand() % 4) {
				granted = limit + 50;
				esp_sa_lease_grant(sa, granted);
			}
		}
		esp_sa_free(sa); /* the engine dies */
		start = granted; /* reinstall at the last granted limit */
		granted += 50;
	}
	assert_true(total > 500);
}

/* RFC 4303 §3.3.3: a 32-bit counter never cycles; with ESN it goes on past 2^32. */
static void
test_never_wraps(void **state)
{
	struct esp_sa *sa = out_sa(0xfffffffeull, UINT64_MAX, false, 50);
	struct esp_sa_stats st;
	uint32_t s;

	(void)state;
	assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
	assert_int_equal(s, 0xfffffffeu);
	assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
	assert_int_equal(s, 0xffffffffu);
	assert_int_equal(send_one(sa, NULL), ESP_DROP_SEQ_OVERFLOW);
	esp_sa_stats(sa, &st);
	assert_int_equal(st.seq, 0xffffffffu);
	esp_sa_free(sa);
	sa = out_sa(0xffffffffull, UINT64_MAX, true, 50);
	assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
	assert_int_equal(s, 0xffffffffu);
	assert_int_equal(send_one(sa, &s), ESP_DROP_NONE);
	assert_int_equal(s, 0); /* low half of 2^32 */
	esp_sa_stats(sa, &st);
	assert_int_equal(st.seq, 0x100000000ull);
	esp_sa_free(sa);
}

static void
test_replay_report(void **state)
{
	struct esp_sa_opts o = {.nslots = 1, .replay_report_every = 10};
	static struct vec_buf b;
	struct esp_sa_params p;
	struct esp_sa *out, *in;
	struct esp_inner res;
	uint8_t inner[40];
	uint64_t hi = 0, last = 0;
	int reports = 0;

	(void)state;
	vec_params(&p, false, CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, NULL, NULL);
	out = vec_sa(&p);
	p.inbound = true;
	p.seq_start = 0;
	assert_int_equal(esp_sa_new(&p, &o, &in), 0);
	esp_sa_params_clear(&p);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	for (int k = 1; k <= 35; k++) {
		vec_buf_set(&b, inner, sizeof(inner));
		assert_int_equal(esp_encap(out, 0, &b.pkt), ESP_DROP_NONE);
		if (k % 7 == 0)
			b.pkt.data[b.pkt.len - 1] ^= 1; /* forgeries are not counted */
		(void)esp_decap(in, 0, b.pkt.data, b.pkt.len, &res);
		if (esp_sa_replay_report_due(in, &hi)) {
			reports++;
			assert_true(hi % 7 != 0);    /* a forgery never moves the top */
			assert_true(hi >= last + 5); /* every report_every / 2 numbers */
			assert_true(hi < last + 10);
			last = hi;
		}
	}
	/* 35 sent, the top moves to 34 (35 is forged): reports at 5, 10, 15, 20, 25, 30 */
	assert_int_equal(reports, 6);
	assert_int_equal(hi, 30);
	esp_sa_free(out);
	esp_sa_free(in);
}

static void
test_lifetimes(void **state)
{
	static struct vec_buf b;
	struct esp_sa_params p;
	struct esp_sa *sa;
	uint8_t inner[100];
	uint64_t bytes;
	int soft = 0, hard = 0, sent = 0;

	(void)state;
	vec_params(&p, false, CFG_ENCR_AES256_GCM16, CFG_INTEG_NONE, NULL, NULL);
	p.soft_bytes = 1000;
	p.hard_bytes = 2000;
	sa = vec_sa(&p);
	esp_sa_params_clear(&p);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	for (int k = 0; k < 40; k++) {
		enum esp_life_event ev;

		vec_buf_set(&b, inner, sizeof(inner));
		if (esp_encap(sa, 0, &b.pkt) == ESP_DROP_NONE)
			sent++;
		ev = esp_sa_lifetime_poll(sa, &bytes);
		if (ev == ESP_LIFE_SOFT) {
			soft++;
			assert_int_equal(bytes, 1000);
		} else if (ev == ESP_LIFE_HARD) {
			hard++;
			assert_int_equal(bytes, 2000);
		}
	}
	assert_int_equal(soft, 1);
	assert_int_equal(hard, 1);
	assert_int_equal(sent, 20); /* the 20th packet reached 2000 bytes; none after it */
	esp_sa_free(sa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exhaust_and_grant),     cmocka_unit_test(test_no_lease),
	        cmocka_unit_test(test_restart_never_repeats), cmocka_unit_test(test_never_wraps),
	        cmocka_unit_test(test_replay_report),         cmocka_unit_test(test_lifetimes),
	};

	return cmocka_run_group_tests_name("esp_lease", tests, NULL, NULL);
}
