/* SPDX-License-Identifier: MIT */
/*
 * Manual-key SAs from configuration text: both directions of `in`/`out` and `both` SAs,
 * keys and algorithms, ESP in UDP 4500, traffic selectors from the access-group's first rule
 * (or any), child ids, and the refusals (AH, IP compression, a tunnel that is not manual).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/config/cfg.h"
#include "node/eng/eng_manual.h"

static const char conf[] =
        "ipsec security-association pair\n"
        "  anti-replay-window 128\n"
        "  in\n"
        "    esp spi 5000\n"
        "    esp encryption aes-128-cbc key hex 000102030405060708090a0b0c0d0e0f\n"
        "    esp authentication hmac-sha2-256-128 key hex "
        "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\n"
        "  out\n"
        "    esp spi 5001\n"
        "    esp encryption aes-128-cbc key hex 101112131415161718191a1b1c1d1e1f\n"
        "    esp authentication hmac-sha2-256-128 key hex "
        "101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f\n"
        "ipsec security-association same\n"
        "  both\n"
        "    esp spi 6000\n"
        "    esp encryption aes-256-gcm key hex "
        "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f01020304\n"
        "ipsec security-association withah\n"
        "  both\n"
        "    ah spi 7000\n"
        "    ah hmac-sha1-96 key hex 0001020304050607080900010203040506070809\n"
        "context local\n"
        "  interface wan loopback\n"
        "    ip address 192.0.2.11/32\n"
        "  interface TI-1 ipsec\n"
        "  interface TI-2 ipsec\n"
        "  ipsec access-list web\n"
        "    seq 10 tcp 10.1.0.0/24 10.2.0.0/16 eq 443\n"
        "    seq 20 10.9.0.0/24 10.8.0.0/24\n"
        "tunnel ipsec m1 manual\n"
        "  peer-end-point local 192.0.2.11 remote 192.0.2.2\n"
        "  bind interface TI-1\n"
        "  df-bit clear\n"
        "  seq 10 security-association pair access-group web\n"
        "  seq 20 security-association same\n"
        "tunnel ipsec m2 manual\n"
        "  peer-end-point local 192.0.2.11 remote 192.0.2.3\n"
        "  bind interface TI-2\n"
        "  seq 10 security-association withah\n";

static int
setup(void **state)
{
	struct cfg_diags dg;
	struct cfg *cfg = NULL;
	int rc;

	cfg_diags_init(&dg);
	rc = cfg_parse("manual.conf", conf, sizeof(conf) - 1, NULL, &cfg, &dg);
	for (size_t i = 0; i < dg.n; i++)
		print_message("%u:%u: %s\n", dg.v[i].line, dg.v[i].col, dg.v[i].msg);
	cfg_diags_fini(&dg);
	if (rc != 0)
		return -1;
	*state = cfg;
	return 0;
}

static int
teardown(void **state)
{
	cfg_free(*state);
	return 0;
}

static void
test_pair(void **state)
{
	const struct cfg_tunnel *t = cfg_find_tunnel(*state, "m1");
	struct esp_sa_params in, out;

	assert_non_null(t);
	assert_int_equal(eng_manual_params(t, &t->seqs[0], true, &in), 0);
	assert_int_equal(eng_manual_params(t, &t->seqs[0], false, &out), 0);
	assert_int_equal(in.spi, 5000);
	assert_true(in.inbound);
	assert_int_equal(out.spi, 5001);
	assert_false(out.inbound);
	assert_int_equal(in.child_id, out.child_id);
	assert_true(in.child_id >> 63);
	assert_string_equal(out.tunnel, "m1");
	assert_int_equal(out.encr, CFG_ENCR_AES128_CBC);
	assert_int_equal(out.integ, CFG_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(out.enc_key.s_len, 16);
	assert_int_equal(out.enc_key.s_data[0], 0x10);
	assert_int_equal(in.enc_key.s_data[0], 0x00);
	assert_int_equal(out.integ_key.s_len, 32);
	assert_int_equal(in.replay_window, 128);
	assert_int_equal(out.family, AF_INET);
	assert_memory_equal(out.local, ((uint8_t[]){192, 0, 2, 11}), 4);
	assert_memory_equal(out.remote, ((uint8_t[]){192, 0, 2, 2}), 4);
	assert_true(out.udp_encap && in.udp_encap);
	assert_int_equal(out.local_port, 4500);
	assert_int_equal(out.remote_port, 4500);
	assert_int_equal(out.df_bit, CFG_DF_CLEAR);
	assert_int_equal(out.seq_start, 1);
	assert_int_equal(in.seq_start, 0);
	/* only the first rule of the access-group: tcp 10.1.0.0/24 -> 10.2.0.0/16 port 443 */
	assert_int_equal(out.nts_local, 1);
	assert_int_equal(out.nts_remote, 1);
	assert_int_equal(out.ts_local[0].family, AF_INET);
	assert_memory_equal(out.ts_local[0].start, ((uint8_t[]){10, 1, 0, 0}), 4);
	assert_memory_equal(out.ts_local[0].end, ((uint8_t[]){10, 1, 0, 255}), 4);
	assert_memory_equal(out.ts_remote[0].start, ((uint8_t[]){10, 2, 0, 0}), 4);
	assert_memory_equal(out.ts_remote[0].end, ((uint8_t[]){10, 2, 255, 255}), 4);
	assert_int_equal(out.ts_remote[0].proto, 6);
	assert_int_equal(out.ts_remote[0].sport, 443);
	assert_int_equal(out.ts_remote[0].eport, 443);
	assert_int_equal(out.ts_local[0].sport, 0);
	assert_int_equal(out.ts_local[0].eport, 65535);
	eng_manual_params_clear(&in);
	eng_manual_params_clear(&out);
	assert_null(in.enc_key.s_data);
}

static void
test_both_any(void **state)
{
	const struct cfg_tunnel *t = cfg_find_tunnel(*state, "m1");
	struct esp_sa_params in, out;

	assert_int_equal(eng_manual_params(t, &t->seqs[1], true, &in), 0);
	assert_int_equal(eng_manual_params(t, &t->seqs[1], false, &out), 0);
	assert_int_equal(in.spi, 6000);
	assert_int_equal(out.spi, 6000);
	assert_int_equal(out.encr, CFG_ENCR_AES256_GCM16);
	assert_int_equal(out.integ, CFG_INTEG_NONE);
	assert_int_equal(out.enc_key.s_len, 36);
	assert_int_equal(out.integ_key.s_len, 0);
	assert_true(secret_eq(&in.enc_key, &out.enc_key));
	assert_true(in.child_id != eng_manual_child_id(t, &t->seqs[0]));
	/* no access-group: any IPv4 and any IPv6 on each side */
	assert_int_equal(out.nts_local, 2);
	assert_int_equal(out.nts_remote, 2);
	assert_int_equal(out.ts_local[0].family, AF_INET);
	assert_memory_equal(out.ts_local[0].end, ((uint8_t[]){255, 255, 255, 255}), 4);
	assert_int_equal(out.ts_local[1].family, AF_INET6);
	assert_int_equal(out.ts_local[1].end[15], 0xff);
	assert_int_equal(out.ts_local[1].start[0], 0);
	eng_manual_params_clear(&in);
	eng_manual_params_clear(&out);
}

static void
test_refused(void **state)
{
	const struct cfg_tunnel *m2 = cfg_find_tunnel(*state, "m2");
	struct esp_sa_params p;
	struct cfg_tunnel copy;

	assert_int_equal(eng_manual_params(m2, &m2->seqs[0], false, &p), -ENOTSUP);
	copy = *cfg_find_tunnel(*state, "m1");
	copy.kind = CFG_TUNNEL_STATIC;
	assert_int_equal(eng_manual_params(&copy, &copy.seqs[0], false, &p), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pair),
	        cmocka_unit_test(test_both_any),
	        cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests_name("eng_manual", tests, setup, teardown);
}
