/* SPDX-License-Identifier: MIT */
/*
 * Encapsulate then decapsulate, for every encryption x integrity pair the configuration
 * accepts (node/config: an AEAD without integrity, NULL with integrity, CBC with either),
 * with and without ESN and UDP encapsulation, inner IPv4 and IPv6, several lengths; the
 * sizes the SA announces must be the sizes it produces.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/esp/esp_udp.h"
#include "tests/unit/esp/esp_vec.h"

static bool
pair_allowed(enum cfg_encr e, enum cfg_integ i)
{
	const struct cfg_encr_info *ei = cfg_encr_info(e);

	if (ei->aead)
		return i == CFG_INTEG_NONE;
	if (e == CFG_ENCR_NULL)
		return i != CFG_INTEG_NONE;
	return true;
}

static void
roundtrip_one(struct esp_sa *out, struct esp_sa *in, const uint8_t *inner, size_t len)
{
	static struct vec_buf b;
	const struct esp_sa_params *p = esp_sa_params(out);
	struct esp_inner res;
	size_t want;

	vec_buf_set(&b, inner, len);
	want = esp_sa_head_len(out) + len + esp_sa_tail_len(out, len);
	assert_int_equal(esp_encap(out, 0, &b.pkt), ESP_DROP_NONE);
	assert_int_equal(b.pkt.len, want);
	assert_true(esp_sa_max_inner(out, want) >= len);
	assert_true(esp_sa_max_inner(out, want - 1) < len);
	/* RFC 4303 §2.4: the trailer ends on a 4-byte boundary */
	assert_int_equal(
	        (b.pkt.len - cfg_integ_info(p->integ)->icv_len - cfg_encr_info(p->encr)->icv_len) %
	                4,
	        0);
	assert_int_equal(esp_udp_classify(b.pkt.data, b.pkt.len), ESP_UDP_ESP);
	assert_int_equal(esp_decap(in, 0, b.pkt.data, b.pkt.len, &res), ESP_DROP_NONE);
	assert_int_equal(res.len, len);
	assert_memory_equal(res.data, inner, len);
	assert_int_equal(res.next_hdr, (inner[0] >> 4) == 4 ? ESP_NH_IPV4 : ESP_NH_IPV6);
}

static void
roundtrip_pair(enum cfg_encr e, enum cfg_integ i, bool esn, bool udp)
{
	static const size_t lens[] = {48, 49, 50, 63, 64, 65, 100, 1400, 1500, 9000};
	static uint8_t inner[9000];
	struct esp_sa_params p;
	struct esp_sa *out, *in;

	vec_params(&p, false, e, i, NULL, NULL);
	p.esn = esn;
	p.udp_encap = udp;
	if (esn)
		p.seq_start = 0xfffffff0u; /* cross 2^32 during the run */
	out = vec_sa(&p);
	p.inbound = true;
	p.seq_start = esn ? 0xffffffe0u : 0;
	in = vec_sa(&p);
	esp_sa_params_clear(&p);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		vec_ip4_udp(inner, lens[k], 1000, 2000);
		roundtrip_one(out, in, inner, lens[k]);
		vec_ip6_udp(inner, lens[k], 1000, 2000);
		roundtrip_one(out, in, inner, lens[k]);
	}
	esp_sa_free(out);
	esp_sa_free(in);
}

static void
test_all_pairs(void **state)
{
	unsigned n = 0;

	(void)state;
	for (unsigned e = 0; e < CFG_ENCR_COUNT; e++) {
		for (unsigned i = 0; i < CFG_INTEG_COUNT; i++) {
			if (!pair_allowed((enum cfg_encr)e, (enum cfg_integ)i))
				continue;
			for (unsigned v = 0; v < 4; v++)
				roundtrip_pair((enum cfg_encr)e, (enum cfg_integ)i, v & 1, v & 2);
			n++;
		}
	}
	/* 3 AEAD + 6 NULL+integ + 5 CBC x 7 */
	assert_int_equal(n, 3 + 6 + 5 * 7);
}

/* The pairs the configuration refuses are refused here too (RFC 4303 §3.2, RFC 4106 §8.1). */
static void
test_refused_pairs(void **state)
{
	struct esp_sa_opts o = {.nslots = 1};
	struct esp_sa_params p;
	struct esp_sa *sa;

	(void)state;
	vec_params(&p, false, CFG_ENCR_NULL, CFG_INTEG_NONE, NULL, NULL);
	assert_int_equal(esp_sa_new(&p, &o, &sa), -EINVAL);
	esp_sa_params_clear(&p);
	vec_params(&p, false, CFG_ENCR_AES128_GCM16, CFG_INTEG_HMAC_SHA1_96, NULL, NULL);
	assert_int_equal(esp_sa_new(&p, &o, &sa), -EINVAL);
	esp_sa_params_clear(&p);
	/* a wrong key length, a zero SPI, a window beyond 4096 */
	vec_params(&p, false, CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, NULL, NULL);
	p.enc_key.s_len--;
	assert_int_equal(esp_sa_new(&p, &o, &sa), -EINVAL);
	p.enc_key.s_len++;
	p.spi = 0;
	assert_int_equal(esp_sa_new(&p, &o, &sa), -EINVAL);
	p.spi = 1;
	p.replay_window = 4097;
	assert_int_equal(esp_sa_new(&p, &o, &sa), -EINVAL);
	esp_sa_params_clear(&p);
}

/* Several slots (threads) on one SA: each has its own contexts; numbers stay unique. */
static void
test_slots(void **state)
{
	struct esp_sa_opts o = {.nslots = 4, .lease_refill_pct = 50};
	static struct vec_buf b;
	struct esp_sa_params p;
	struct esp_sa *out, *in;
	struct esp_sa_stats st;
	struct esp_inner res;
	uint8_t inner[100];

	(void)state;
	vec_params(&p, false, CFG_ENCR_AES128_CBC, CFG_INTEG_AES_XCBC_96, NULL, NULL);
	assert_int_equal(esp_sa_new(&p, &o, &out), 0);
	p.inbound = true;
	p.seq_start = 0;
	assert_int_equal(esp_sa_new(&p, &o, &in), 0);
	esp_sa_params_clear(&p);
	vec_ip4_udp(inner, sizeof(inner), 1, 2);
	for (unsigned k = 0; k < 40; k++) {
		vec_buf_set(&b, inner, sizeof(inner));
		assert_int_equal(esp_encap(out, k % 4, &b.pkt), ESP_DROP_NONE);
		assert_int_equal(esp_decap(in, (k + 1) % 4, b.pkt.data, b.pkt.len, &res),
		                 ESP_DROP_NONE);
		assert_int_equal(res.seq, k + 1);
	}
	esp_sa_stats(out, &st);
	assert_int_equal(st.packets, 40);
	assert_int_equal(st.seq, 40);
	esp_sa_stats(in, &st);
	assert_int_equal(st.packets, 40);
	assert_int_equal(st.bytes, 40 * sizeof(inner));
	esp_sa_free(out);
	esp_sa_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_all_pairs),
	        cmocka_unit_test(test_refused_pairs),
	        cmocka_unit_test(test_slots),
	};

	return cmocka_run_group_tests_name("esp_roundtrip", tests, NULL, NULL);
}
