/* SPDX-License-Identifier: MIT */
/*
 * Known-answer tests from published vectors: RFC 3602 §4 AES-CBC ESP packets (full packets,
 * both directions), the RFC 7634 Appendix A ChaCha20-Poly1305 ESP packet, the GCM
 * specification's AES-GCM cases through the AEAD path, and RFC 4868 / RFC 2202 / RFC 3566
 * integrity vectors through the ICV path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/esp/esp_int.h"
#include "node/esp/esp_mac.h"
#include "tests/unit/esp/esp_vec.h"

/* An SA with the vector's key, SPI and sequence number. */
static struct esp_sa *
kat_sa(const struct vec *v, enum cfg_encr e, bool inbound)
{
	const struct vec_field *key = vec_get(v, "key");
	struct esp_sa_params p;
	struct esp_sa *sa;
	uint32_t seq = vec_u32(v, "seq");

	assert_int_equal(key->len, cfg_encr_info(e)->key_len);
	vec_params(&p, inbound, e, CFG_INTEG_NONE, key->b, NULL);
	p.spi = vec_u32(v, "spi");
	/* outbound: the vector's number is the next one; inbound: the window starts below it */
	p.seq_start = inbound ? seq - 1 : seq;
	p.lease_limit = inbound ? 0 : (uint64_t)seq + 1;
	sa = vec_sa(&p);
	esp_sa_params_clear(&p);
	return sa;
}

/* Encapsulates the vector's plaintext with its IV and compares the whole ESP packet. */
static void
kat_encap(const char *file, const char *name, enum cfg_encr e)
{
	static struct vec_buf b;
	struct vec v;
	struct esp_sa *sa;
	const struct vec_field *plain, *iv, *esp;

	vec_load(file, name, &v);
	plain = vec_get(&v, "plain");
	iv = vec_get(&v, "iv");
	esp = vec_get(&v, "esp");
	sa = kat_sa(&v, e, false);
	vec_buf_set(&b, plain->b, plain->len);
	esp_sa_test_fix_iv(sa, 0, iv->b, iv->len);
	assert_int_equal(esp_encap(sa, 0, &b.pkt), ESP_DROP_NONE);
	assert_int_equal(b.pkt.len, esp->len);
	assert_memory_equal(b.pkt.data, esp->b, esp->len);
	esp_sa_free(sa);
}

/* Decapsulates the vector's ESP packet; expects `want` and, when accepted, the plaintext. */
static void
kat_decap(const char *file, const char *name, enum cfg_encr e, enum esp_drop want)
{
	static uint8_t pkt[VEC_MAX];
	struct esp_inner in;
	struct vec v;
	struct esp_sa *sa;
	const struct vec_field *plain, *esp;

	vec_load(file, name, &v);
	plain = vec_get(&v, "plain");
	esp = vec_get(&v, "esp");
	sa = kat_sa(&v, e, true);
	memcpy(pkt, esp->b, esp->len);
	assert_int_equal(esp_decap(sa, 0, pkt, esp->len, &in), want);
	if (want == ESP_DROP_NONE) {
		assert_int_equal(in.len, plain->len);
		assert_memory_equal(in.data, plain->b, plain->len);
		assert_int_equal(in.seq, vec_u32(&v, "seq"));
	}
	esp_sa_free(sa);
}

static void
test_rfc3602_tunnel(void **state)
{
	(void)state;
	kat_encap("rfc3602.txt", "case7", CFG_ENCR_AES128_CBC);
	kat_encap("rfc3602.txt", "case8", CFG_ENCR_AES128_CBC);
	kat_decap("rfc3602.txt", "case7", CFG_ENCR_AES128_CBC, ESP_DROP_NONE);
	kat_decap("rfc3602.txt", "case8", CFG_ENCR_AES128_CBC, ESP_DROP_NONE);
}

/* Cases 5 and 6 carry ICMP in transport mode: decrypted fine, then refused (seed 004 §17). */
static void
test_rfc3602_transport_refused(void **state)
{
	(void)state;
	kat_decap("rfc3602.txt", "case5", CFG_ENCR_AES128_CBC, ESP_DROP_MODE_MISMATCH);
	kat_decap("rfc3602.txt", "case6", CFG_ENCR_AES128_CBC, ESP_DROP_MODE_MISMATCH);
	assert_string_equal(esp_drop_msg(ESP_DROP_MODE_MISMATCH),
	                    "Encapsulation mode differs. Received in Transport mode, where "
	                    "expected in Tunnel mode.");
}

static void
test_rfc7634_esp(void **state)
{
	(void)state;
	kat_encap("rfc7634.txt", "esp", CFG_ENCR_CHACHA20_POLY1305);
	kat_decap("rfc7634.txt", "esp", CFG_ENCR_CHACHA20_POLY1305, ESP_DROP_NONE);
}

/* The AEAD path (esp_aead_seal/open) with the GCM specification's cases. */
static void
kat_gcm(const char *name, enum cfg_encr e)
{
	const struct vec_field *key, *iv, *aad, *plain, *cipher;
	struct esp_sa_params p;
	struct esp_sa *out, *in;
	uint8_t nonce[12], buf[VEC_MAX], tag[16];
	struct vec v;

	vec_load("gcm.txt", name, &v);
	key = vec_get(&v, "key");
	iv = vec_get(&v, "iv");
	aad = vec_get(&v, "aad");
	plain = vec_get(&v, "plain");
	cipher = vec_get(&v, "cipher");
	vec_params(&p, false, e, CFG_INTEG_NONE, key->b, NULL);
	out = vec_sa(&p);
	p.inbound = true;
	in = vec_sa(&p);
	esp_sa_params_clear(&p);
	memcpy(nonce, key->b + key->len - 4, 4);
	memcpy(nonce + 4, iv->b, 8);
	memcpy(buf, plain->b, plain->len);
	assert_true(
	        esp_aead_seal(&out->slots[0], nonce, aad->b, aad->len, buf, plain->len, tag, 16));
	assert_memory_equal(buf, cipher->b, plain->len);
	assert_memory_equal(tag, cipher->b + plain->len, 16);
	assert_true(
	        esp_aead_open(&in->slots[0], nonce, aad->b, aad->len, buf, plain->len, tag, 16));
	assert_memory_equal(buf, plain->b, plain->len);
	/* one flipped tag bit: refused */
	memcpy(buf, cipher->b, plain->len);
	tag[15] ^= 1;
	assert_false(
	        esp_aead_open(&in->slots[0], nonce, aad->b, aad->len, buf, plain->len, tag, 16));
	esp_sa_free(out);
	esp_sa_free(in);
}

static void
test_gcm_aead(void **state)
{
	(void)state;
	kat_gcm("tc3", CFG_ENCR_AES128_GCM16);
	kat_gcm("tc4", CFG_ENCR_AES128_GCM16);
	kat_gcm("tc15", CFG_ENCR_AES256_GCM16);
	kat_gcm("tc16", CFG_ENCR_AES256_GCM16);
}

static enum cfg_integ
integ_by_name(const char *s)
{
	for (unsigned i = 1; i < CFG_INTEG_COUNT; i++) {
		if (strcmp(cfg_integ_info((enum cfg_integ)i)->name, s) == 0)
			return (enum cfg_integ)i;
	}
	fail_msg("unknown integrity algorithm %s", s);
	return CFG_INTEG_NONE;
}

/* The ICV path: fed whole, then byte by byte (XCBC keeps the last block pending). */
static void
kat_mac(const char *name)
{
	const struct vec_field *key, *data, *mac;
	struct esp_mac_key mk;
	struct esp_mac_ctx c;
	struct esp_mac_run r;
	uint8_t out[ESP_MAC_MAX_OUT];
	enum cfg_integ alg;
	struct vec v;

	vec_load("mac.txt", name, &v);
	alg = integ_by_name(vec_get(&v, "alg")->text);
	key = vec_get(&v, "key");
	data = vec_get(&v, "data");
	mac = vec_get(&v, "mac");
	assert_int_equal(esp_mac_key_init(&mk, alg, key->b, key->len, &c), 0);
	assert_int_equal(mk.icv_len, mac->len);
	esp_mac_begin(&r, &mk, &c);
	esp_mac_update(&r, data->b, data->len);
	assert_true(esp_mac_end(&r, out));
	assert_memory_equal(out, mac->b, mac->len);
	esp_mac_begin(&r, &mk, &c);
	for (size_t i = 0; i < data->len; i++)
		esp_mac_update(&r, data->b + i, 1);
	assert_true(esp_mac_end(&r, out));
	assert_memory_equal(out, mac->b, mac->len);
	esp_mac_ctx_fini(&c);
	esp_mac_key_wipe(&mk);
}

static void
test_integrity(void **state)
{
	static const char *const names[] = {
	        "sha256-1", "sha256-2", "sha256-3", "sha384-1", "sha384-2", "sha384-3",
	        "sha512-1", "sha512-2", "sha512-3", "md5-1",    "md5-3",    "sha1-1",
	        "sha1-3",   "xcbc-1",   "xcbc-2",   "xcbc-3",   "xcbc-4",   "xcbc-5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		kat_mac(names[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc3602_tunnel),
	        cmocka_unit_test(test_rfc3602_transport_refused),
	        cmocka_unit_test(test_rfc7634_esp),
	        cmocka_unit_test(test_gcm_aead),
	        cmocka_unit_test(test_integrity),
	};

	return cmocka_run_group_tests_name("esp_kat", tests, NULL, NULL);
}
