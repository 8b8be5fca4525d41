/* SPDX-License-Identifier: MIT */
/*
 * The Encrypted (SK) payload: published vectors (RFC 7634 Appendix B, RFC 8439 §2.8.2, the
 * McGrew-Viega GCM test cases, RFC 3602, NIST SP 800-38A, NIST 3DES MMT, NESSIE DES), round
 * trips for every ENCR x INTEG combination tandem supports for IKE, every single-bit flip of
 * AAD, IV, ciphertext and ICV refused, and malformed padding and lengths refused (-EBADMSG).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "node/ike/ike_crypto.h"
#include "test_ike_crypto_util.h"

#define MAX_BODY 1200

struct combo {
	enum cfg_encr encr;
	enum cfg_integ integ;
};

static const enum cfg_encr cbc_ciphers[] = {CFG_ENCR_DES_CBC, CFG_ENCR_3DES_CBC,
                                            CFG_ENCR_AES128_CBC, CFG_ENCR_AES192_CBC,
                                            CFG_ENCR_AES256_CBC};
static const enum cfg_integ integs[] = {CFG_INTEG_HMAC_MD5_96,       CFG_INTEG_HMAC_SHA1_96,
                                        CFG_INTEG_HMAC_SHA2_256_128, CFG_INTEG_HMAC_SHA2_384_192,
                                        CFG_INTEG_HMAC_SHA2_512_256, CFG_INTEG_AES_XCBC_96};
static const enum cfg_encr aeads[] = {CFG_ENCR_AES128_GCM16, CFG_ENCR_AES256_GCM16,
                                      CFG_ENCR_CHACHA20_POLY1305};

#define N_CBC   (sizeof(cbc_ciphers) / sizeof(cbc_ciphers[0]))
#define N_INTEG (sizeof(integs) / sizeof(integs[0]))
#define N_AEAD  (sizeof(aeads) / sizeof(aeads[0]))
#define N_COMBO (N_CBC * N_INTEG + N_AEAD)

static struct combo
combo_at(size_t k)
{
	if (k < N_CBC * N_INTEG)
		return (struct combo){cbc_ciphers[k / N_INTEG], integs[k % N_INTEG]};
	return (struct combo){aeads[k - N_CBC * N_INTEG], CFG_INTEG_NONE};
}

static void
pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 31);
}

/* An ike_sk with deterministic keys for a combination; NULL (skipped) when DES is unavailable. */
static struct ike_sk *
sk_make(struct combo c, uint8_t seed)
{
	uint8_t k[64];
	struct secret ke = {0}, ka = {0};
	struct ike_sk *sk = NULL;
	int rc;

	pattern(k, cfg_encr_info(c.encr)->key_len, seed);
	assert_int_equal(secret_set(&ke, k, cfg_encr_info(c.encr)->key_len), 0);
	pattern(k, cfg_integ_info(c.integ)->key_len, (uint8_t)(seed + 100));
	assert_int_equal(secret_set(&ka, k, cfg_integ_info(c.integ)->key_len), 0);
	rc = ike_sk_new(c.encr, c.integ, &ke, &ka, &sk);
	if (rc == -ENOPKG && c.encr == CFG_ENCR_DES_CBC)
		print_message("DES-CBC skipped: OpenSSL's legacy provider is not available\n");
	else
		assert_int_equal(rc, 0);
	secret_clear(&ke);
	secret_clear(&ka);
	return sk;
}

static struct ike_sk *
sk_from_hex(enum cfg_encr encr, enum cfg_integ integ, const char *ke_hex, const char *ka_hex)
{
	struct secret ke = {0}, ka = {0};
	struct ike_sk *sk = NULL;

	tv_secret(&ke, ke_hex);
	if (ka_hex)
		tv_secret(&ka, ka_hex);
	assert_int_equal(ike_sk_new(encr, integ, &ke, &ka, &sk), 0);
	secret_clear(&ke);
	secret_clear(&ka);
	return sk;
}

/* ---- published vectors ---------------------------------------------------------------------- */

/* RFC 7634 Appendix B: an INFORMATIONAL request protected with ChaCha20-Poly1305 in IKEv2. */
static const char rfc7634_key[] = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                  "a0a1a2a3";
static const char rfc7634_aad[] =
        "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7 2e202500000000090000004529000029";
static const char rfc7634_body[] = "1011121314151617"
                                   "610394701f8d017f7c12924889"
                                   "6b71bfe25236efd7cdc67066906315b2";

static void
test_rfc7634_ikev2_example(void **state)
{
	uint8_t aad[32], iv[8], plain[12], body[MAX_BODY], out[MAX_BODY];
	struct ike_sk *sk =
	        sk_from_hex(CFG_ENCR_CHACHA20_POLY1305, CFG_INTEG_NONE, rfc7634_key, NULL);
	size_t n, out_len = 0;

	(void)state;
	tv_hex(rfc7634_aad, aad, sizeof(aad));
	tv_hex("1011121314151617", iv, sizeof(iv));
	/* one Notify payload; the RFC's plaintext ends with the pad length 0 that we add */
	tv_hex("0000000c 00004001 0000000a", plain, sizeof(plain));
	n = ike_sk_body_len(sk, sizeof(plain));
	assert_int_equal(n, 8 + 13 + 16);
	assert_int_equal(ike_sk_seal(sk, aad, sizeof(aad), plain, sizeof(plain), iv, body, n), 0);
	tv_assert_hex(body, n, rfc7634_body);
	assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len), 0);
	assert_int_equal(out_len, sizeof(plain));
	assert_memory_equal(out, plain, sizeof(plain));
	ike_sk_free(sk);
}

/*
 * RFC 8439 §2.8.2, opened as an SK body: nonce = 07000000 (the salt) | 4041424344454647 (the
 * IV). The last plaintext octet, 0x2e ('.'), reads as a pad length of 46, which RFC 5282 §3
 * allows, so the payloads are the first 114 - 46 - 1 = 67 octets of the text.
 */
static void
test_rfc8439_open(void **state)
{
	static const char sunscreen[] =
	        "Ladies and Gentlemen of the class of '99: If I could offer "
	        "you only one tip for the future, sunscreen would be it.";
	uint8_t aad[12], body[MAX_BODY], out[MAX_BODY];
	struct ike_sk *sk =
	        sk_from_hex(CFG_ENCR_CHACHA20_POLY1305, CFG_INTEG_NONE,
	                    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	                    "07000000",
	                    NULL);
	size_t n, out_len = 0;

	(void)state;
	tv_hex("50515253c0c1c2c3c4c5c6c7", aad, sizeof(aad));
	n = tv_hex("4041424344454647"
	           "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671"
	           "282fafb"
	           "69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab32"
	           "4e4fad6"
	           "75945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
	           "1ae10b594f09e26a7e902ecbd0600691",
	           body, sizeof(body));
	assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len), 0);
	assert_int_equal(out_len, 67);
	assert_memory_equal(out, sunscreen, 67);
	body[20] ^= 1;
	assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len), -EBADMSG);
	ike_sk_free(sk);
}

/*
 * McGrew-Viega "The Galois/Counter Mode of Operation", test cases 2 and 14 (zero key, zero
 * 96-bit IV = salt 0 | IV 0, 16 zero octets): sealing 15 zero octets adds the pad length octet
 * 0, so the body is exactly IV | C | T of the paper.
 */
static void
test_gcm_seal_zero_vectors(void **state)
{
	static const struct {
		enum cfg_encr encr;
		const char *key, *ct_tag;
	} v[] = {
	        {CFG_ENCR_AES128_GCM16, "00000000000000000000000000000000 00000000",
	         "0388dace60b6a392f328c2b971b2fe78 ab6e47d42cec13bdf53a67b21257bddf"},
	        {CFG_ENCR_AES256_GCM16,
	         "0000000000000000000000000000000000000000000000000000000000000000 00000000",
	         "cea7403d4d606b6e074ec5d3baf39d18 d0d1c8a799996bf0265b98b5d48ab919"},
	};
	uint8_t zero[15] = {0}, iv[8] = {0}, body[MAX_BODY];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct ike_sk *sk = sk_from_hex(v[i].encr, CFG_INTEG_NONE, v[i].key, NULL);
		size_t n = ike_sk_body_len(sk, sizeof(zero));

		assert_int_equal(n, 8 + 16 + 16);
		assert_int_equal(ike_sk_seal(sk, NULL, 0, zero, sizeof(zero), iv, body, n), 0);
		assert_memory_equal(body, iv, 8);
		tv_assert_hex(body + 8, n - 8, v[i].ct_tag);
		ike_sk_free(sk);
	}
}

/*
 * McGrew-Viega test cases 4 (AES-128) and 16 (AES-256), with AAD, opened as SK bodies: salt
 * cafebabe, IV facedbaddecaf888. The last plaintext octet 0x39 is a pad length of 57.
 */
static void
test_gcm_open_vectors(void **state)
{
	static const struct {
		enum cfg_encr encr;
		const char *key, *ct, *tag;
	} v[] = {
	        {CFG_ENCR_AES128_GCM16, "feffe9928665731c6d6a8f9467308308 cafebabe",
	         "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7"
	         "d8f6a5a"
	         "ac84aa051ba30b396a0aac973d58e091",
	         "5bc94fbc3221a5db94fae95ae7121a47"},
	        {CFG_ENCR_AES256_GCM16,
	         "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308 cafebabe",
	         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da"
	         "7b08b10"
	         "56828838c5f61e6393ba7a0abcc9f662",
	         "76fc6ece0f4e1768cddf8853bb2d551b"},
	};
	uint8_t aad[20], body[MAX_BODY], out[MAX_BODY];

	(void)state;
	tv_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, sizeof(aad));
	for (size_t i = 0; i < 2; i++) {
		struct ike_sk *sk = sk_from_hex(v[i].encr, CFG_INTEG_NONE, v[i].key, NULL);
		size_t n = tv_hex("facedbaddecaf888", body, sizeof(body)), out_len = 0;

		n += tv_hex(v[i].ct, body + n, sizeof(body) - n);
		n += tv_hex(v[i].tag, body + n, sizeof(body) - n);
		assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len), 0);
		assert_int_equal(out_len, 2);
		tv_assert_hex(out, 2, "d931");
		assert_int_equal(ike_sk_open(sk, aad, sizeof(aad) - 1, body, n, out, &out_len),
		                 -EBADMSG);
		ike_sk_free(sk);
	}
}

/*
 * CBC block ciphers: sealing the vector's plaintext (a whole number of blocks) adds one block
 * of padding; the ciphertext before it is the published one, since CBC is prefix-preserving.
 */
static void
test_cbc_cipher_vectors(void **state)
{
	static const struct {
		const char *what;
		enum cfg_encr encr;
		const char *key, *iv, *pt, *ct;
	} v[] = {
	        {"RFC 3602 case 2", CFG_ENCR_AES128_CBC, "c286696d887c9aa0611bbb3e2025a45a",
	         "562e17996d093d28ddb3ba695a2e6f58",
	         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	         "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
	        {"RFC 3602 case 3", CFG_ENCR_AES128_CBC, "56e47a38c5598974bc46903dba290349",
	         "8ce82eefbea0da3c44699ed7db51b7d9",
	         "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	         "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
	         "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
	         "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"},
	        {"SP 800-38A F.2.3", CFG_ENCR_AES192_CBC,
	         "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
	         "000102030405060708090a0b0c0d0e0f",
	         "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
	         "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"},
	        {"SP 800-38A F.2.5", CFG_ENCR_AES256_CBC,
	         "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	         "000102030405060708090a0b0c0d0e0f",
	         "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
	         "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"},
	        {"NIST 3DES MMT 2", CFG_ENCR_3DES_CBC,
	         "37ae5ebf46dff2dc0754b94f31cbb3855e7fd36dc870bfae", "3d1de3cc132e3b65",
	         "84401f78fe6c10876d8ea23094ea5309", "7b1f7c7e3b1c948ebd04a75ffba7d2f5"},
	        {"NESSIE DES set 8 #0", CFG_ENCR_DES_CBC, "0001020304050607", "0000000000000000",
	         "41AD068548809D02", "0011223344556677"},
	};
	uint8_t iv[16], pt[64], body[MAX_BODY], out[MAX_BODY];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ike_sk *sk = sk_make((struct combo){v[i].encr, CFG_INTEG_HMAC_SHA1_96}, 1);
		struct secret ke = {0}, ka = {0};
		size_t ptl = tv_hex(v[i].pt, pt, sizeof(pt)), n, out_len = 0;

		print_message("%s\n", v[i].what);
		if (!sk)
			continue; /* DES without the legacy provider */
		ike_sk_free(sk);
		tv_secret(&ke, v[i].key);
		tv_secret(&ka, "0102030405060708090a0b0c0d0e0f1011121314");
		assert_int_equal(ike_sk_new(v[i].encr, CFG_INTEG_HMAC_SHA1_96, &ke, &ka, &sk), 0);
		tv_hex(v[i].iv, iv, sizeof(iv));
		n = ike_sk_body_len(sk, ptl);
		assert_int_equal(n, ike_sk_iv_len(sk) + ptl + ike_sk_iv_len(sk) + 12);
		assert_int_equal(ike_sk_seal(sk, NULL, 0, pt, ptl, iv, body, n), 0);
		tv_assert_hex(body + ike_sk_iv_len(sk), ptl, v[i].ct);
		assert_int_equal(ike_sk_open(sk, NULL, 0, body, n, out, &out_len), 0);
		assert_int_equal(out_len, ptl);
		assert_memory_equal(out, pt, ptl);
		secret_clear(&ke);
		secret_clear(&ka);
		ike_sk_free(sk);
	}
}

/*
 * The CBC ICV is the integrity MAC over aad | IV | ciphertext, truncated (RFC 7296 §3.14):
 * rebuilt here with ike_integ_icv, whose own answers are the RFC 2202/4868/3566 vectors.
 */
static void
test_cbc_icv_coverage(void **state)
{
	uint8_t aad[28], plain[40], iv[16], body[MAX_BODY], mac_in[MAX_BODY], icv[64], ka[64];

	(void)state;
	pattern(aad, sizeof(aad), 9);
	pattern(plain, sizeof(plain), 77);
	pattern(iv, sizeof(iv), 200);
	for (size_t k = 0; k < N_INTEG; k++) {
		struct combo c = {CFG_ENCR_AES128_CBC, integs[k]};
		struct ike_sk *sk = sk_make(c, 3);
		size_t n = ike_sk_body_len(sk, sizeof(plain)),
		       icv_len = cfg_integ_info(c.integ)->icv_len;

		assert_int_equal(
		        ike_sk_seal(sk, aad, sizeof(aad), plain, sizeof(plain), iv, body, n), 0);
		memcpy(mac_in, aad, sizeof(aad));
		memcpy(mac_in + sizeof(aad), body, n - icv_len);
		pattern(ka, cfg_integ_info(c.integ)->key_len, 103);
		assert_int_equal(ike_integ_icv(c.integ, ka, cfg_integ_info(c.integ)->key_len,
		                               mac_in, sizeof(aad) + n - icv_len, icv),
		                 0);
		assert_memory_equal(icv, body + n - icv_len, icv_len);
		ike_sk_free(sk);
	}
}

/* ---- round trips and tampering -------------------------------------------------------------- */

static void
test_round_trip_every_combo(void **state)
{
	uint8_t aad[32], plain[80], iv[16], body[MAX_BODY], out[MAX_BODY];

	(void)state;
	pattern(aad, sizeof(aad), 5);
	pattern(plain, sizeof(plain), 17);
	for (size_t k = 0; k < N_COMBO; k++) {
		struct combo c = combo_at(k);
		const struct cfg_encr_info *ei = cfg_encr_info(c.encr);
		struct ike_sk *sk = sk_make(c, (uint8_t)k);

		if (!sk)
			continue;
		assert_int_equal(ike_sk_iv_len(sk), ei->iv_len);
		for (size_t len = 0; len <= sizeof(plain); len++) {
			size_t n = ike_sk_body_len(sk, len), out_len = 0, ct;

			pattern(iv, sizeof(iv), (uint8_t)(len + k));
			assert_true(n <= sizeof(body));
			ct = n - ei->iv_len - (ei->aead ? 16 : cfg_integ_info(c.integ)->icv_len);
			/* minimal padding: the next multiple of the block (AEAD: block 1) */
			assert_true(ct >= len + 1 && ct < len + 1 + ei->block_len);
			assert_int_equal(ct % ei->block_len, 0);
			assert_int_equal(ike_sk_seal(sk, aad, sizeof(aad), plain, len, iv, body, n),
			                 0);
			assert_memory_equal(body, iv, ei->iv_len);
			assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len),
			                 0);
			assert_int_equal(out_len, len);
			if (len)
				assert_memory_equal(out, plain, len);
		}
		ike_sk_free(sk);
	}
}

/* Sealing and opening in place (payloads already at body + IV length). */
static void
test_in_place(void **state)
{
	uint8_t aad[8], plain[50], iv[16], body[MAX_BODY];

	(void)state;
	pattern(aad, sizeof(aad), 1);
	pattern(plain, sizeof(plain), 2);
	pattern(iv, sizeof(iv), 3);
	for (size_t k = 0; k < N_COMBO; k++) {
		struct ike_sk *sk = sk_make(combo_at(k), 7);
		size_t ivl, n, out_len = 0;

		if (!sk)
			continue;
		ivl = ike_sk_iv_len(sk);
		n = ike_sk_body_len(sk, sizeof(plain));
		memcpy(body + ivl, plain, sizeof(plain));
		assert_int_equal(
		        ike_sk_seal(sk, aad, sizeof(aad), body + ivl, sizeof(plain), iv, body, n),
		        0);
		assert_memory_not_equal(body + ivl, plain, sizeof(plain));
		assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, body + ivl, &out_len),
		                 0);
		assert_int_equal(out_len, sizeof(plain));
		assert_memory_equal(body + ivl, plain, sizeof(plain));
		ike_sk_free(sk);
	}
}

/* Every single-bit flip of the AAD or of any body octet (IV, ciphertext, ICV) is refused. */
static void
test_every_bit_flip_refused(void **state)
{
	uint8_t aad[32], plain[37], iv[16], body[MAX_BODY], out[MAX_BODY];

	(void)state;
	pattern(aad, sizeof(aad), 11);
	pattern(plain, sizeof(plain), 12);
	pattern(iv, sizeof(iv), 13);
	for (size_t k = 0; k < N_COMBO; k++) {
		struct ike_sk *sk = sk_make(combo_at(k), 21);
		size_t n, out_len;

		if (!sk)
			continue;
		n = ike_sk_body_len(sk, sizeof(plain));
		assert_int_equal(
		        ike_sk_seal(sk, aad, sizeof(aad), plain, sizeof(plain), iv, body, n), 0);
		for (size_t bit = 0; bit < 8 * sizeof(aad); bit++) {
			aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len),
			                 -EBADMSG);
			aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		for (size_t bit = 0; bit < 8 * n; bit++) {
			body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len),
			                 -EBADMSG);
			body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* and untouched, it still opens */
		assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len), 0);
		assert_int_equal(out_len, sizeof(plain));
		ike_sk_free(sk);
	}
}

/* A message sealed under other keys (the other direction's) is refused. */
static void
test_wrong_key_refused(void **state)
{
	uint8_t plain[20] = {0}, iv[16] = {0}, body[MAX_BODY], out[MAX_BODY];

	(void)state;
	for (size_t k = 0; k < N_COMBO; k++) {
		struct ike_sk *a = sk_make(combo_at(k), 1), *b = sk_make(combo_at(k), 2);
		size_t n, out_len;

		if (!a || !b) {
			ike_sk_free(a);
			ike_sk_free(b);
			continue;
		}
		n = ike_sk_body_len(a, sizeof(plain));
		assert_int_equal(ike_sk_seal(a, NULL, 0, plain, sizeof(plain), iv, body, n), 0);
		assert_int_equal(ike_sk_open(b, NULL, 0, body, n, out, &out_len), -EBADMSG);
		ike_sk_free(a);
		ike_sk_free(b);
	}
}

/* ---- lengths and padding -------------------------------------------------------------------- */

static void
test_short_and_misaligned_bodies(void **state)
{
	uint8_t plain[16] = {0}, iv[16] = {0}, body[MAX_BODY], out[MAX_BODY];

	(void)state;
	for (size_t k = 0; k < N_COMBO; k++) {
		struct combo c = combo_at(k);
		struct ike_sk *sk = sk_make(c, 4);
		size_t n, out_len;

		if (!sk)
			continue;
		n = ike_sk_body_len(sk, sizeof(plain));
		assert_int_equal(ike_sk_seal(sk, NULL, 0, plain, sizeof(plain), iv, body, n), 0);
		/* every truncation, from nothing to one octet short */
		for (size_t len = 0; len < n; len++)
			assert_int_equal(ike_sk_open(sk, NULL, 0, body, len, out, &out_len),
			                 -EBADMSG);
		/* one octet too many */
		body[n] = 0;
		assert_int_equal(ike_sk_open(sk, NULL, 0, body, n + 1, out, &out_len), -EBADMSG);
		ike_sk_free(sk);
	}
}

/* CBC: flipping a bit of the block before the last changes the pad length octet (the ICV is
 * recomputed so that only the padding check can refuse). */
static void
cbc_set_pad_octet(struct combo c, uint8_t want, int expect, size_t want_plain_len)
{
	const struct cfg_integ_info *ii = cfg_integ_info(c.integ);
	uint8_t aad[12], plain[31], iv[16], body[MAX_BODY], mac_in[MAX_BODY], out[MAX_BODY], ka[64];
	struct ike_sk *sk = sk_make(c, 40);
	size_t ivl, n, ct, out_len = 0;

	if (!sk)
		return;
	pattern(aad, sizeof(aad), 1);
	pattern(plain, sizeof(plain), 2);
	pattern(iv, sizeof(iv), 3);
	ivl = ike_sk_iv_len(sk);
	n = ike_sk_body_len(sk, sizeof(plain));
	ct = n - ivl - ii->icv_len;
	assert_int_equal(ike_sk_seal(sk, aad, sizeof(aad), plain, sizeof(plain), iv, body, n), 0);
	/* plaintext[ct - 1] = C[ct - 1 - block] ^ D(C[last]) */
	body[ivl + ct - 1 - cfg_encr_info(c.encr)->block_len] ^=
	        (uint8_t)((ct - 1 - sizeof(plain)) ^ want);
	memcpy(mac_in, aad, sizeof(aad));
	memcpy(mac_in + sizeof(aad), body, n - ii->icv_len);
	pattern(ka, ii->key_len, 140);
	assert_int_equal(ike_integ_icv(c.integ, ka, ii->key_len, mac_in,
	                               sizeof(aad) + n - ii->icv_len, body + n - ii->icv_len),
	                 0);
	assert_int_equal(ike_sk_open(sk, aad, sizeof(aad), body, n, out, &out_len), expect);
	if (expect == 0)
		assert_int_equal(out_len, want_plain_len);
	ike_sk_free(sk);
}

static void
test_cbc_bad_padding(void **state)
{
	(void)state;
	for (size_t e = 0; e < N_CBC; e++) {
		struct combo c = {cbc_ciphers[e], CFG_INTEG_HMAC_SHA2_256_128};
		size_t blk = cfg_encr_info(c.encr)->block_len, ct = (31 + 1 + blk - 1) / blk * blk;

		print_message("%s\n", cfg_encr_info(c.encr)->name);
		/* pad length ct - 1: all padding, accepted (RFC 7296 §3.14: any aligned length) */
		cbc_set_pad_octet(c, (uint8_t)(ct - 1), 0, 0);
		/* pad length ct or more: refused */
		cbc_set_pad_octet(c, (uint8_t)ct, -EBADMSG, 0);
		cbc_set_pad_octet(c, 0xff, -EBADMSG, 0);
	}
}

/* AEAD: a tag that verifies over a plaintext whose last octet is too large a pad length. */
static void
test_aead_bad_padding(void **state)
{
	static const char *const name[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"};
	uint8_t key[36], nonce[12], pt[10], body[MAX_BODY], out[MAX_BODY];

	(void)state;
	for (size_t a = 0; a < N_AEAD; a++) {
		const struct cfg_encr_info *ei = cfg_encr_info(aeads[a]);
		EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name[a], NULL);
		EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
		struct secret ke = {0}, none = {0};
		struct ike_sk *sk = NULL;
		size_t out_len;
		int outl, fin;

		pattern(key, ei->key_len, 50);
		memcpy(nonce, key + ei->key_len - 4, 4);
		pattern(nonce + 4, 8, 60);
		pattern(pt, sizeof(pt), 70);
		memcpy(body, nonce + 4, 8);
		for (int last = 9; last <= 10; last++) {
			pt[sizeof(pt) - 1] = (uint8_t)last; /* 9 fits (all padding), 10 does not */
			assert_int_equal(EVP_EncryptInit_ex2(ctx, c, key, nonce, NULL), 1);
			assert_int_equal(EVP_EncryptUpdate(ctx, body + 8, &outl, pt, sizeof(pt)),
			                 1);
			assert_int_equal(EVP_EncryptFinal_ex(ctx, body + 8 + outl, &fin), 1);
			assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
			                                     body + 8 + sizeof(pt)),
			                 1);
			assert_int_equal(secret_set(&ke, key, ei->key_len), 0);
			assert_int_equal(ike_sk_new(aeads[a], CFG_INTEG_NONE, &ke, &none, &sk), 0);
			assert_int_equal(
			        ike_sk_open(sk, NULL, 0, body, 8 + sizeof(pt) + 16, out, &out_len),
			        last == 9 ? 0 : -EBADMSG);
			if (last == 9)
				assert_int_equal(out_len, 0);
			ike_sk_free(sk);
		}
		secret_clear(&ke);
		EVP_CIPHER_CTX_free(ctx);
		EVP_CIPHER_free(c);
	}
}

/* ---- argument checks ------------------------------------------------------------------------ */

static void
test_sk_new_refuses(void **state)
{
	uint8_t k[64] = {0};
	struct secret k16 = {0}, k20 = {0}, k32 = {0}, empty = {0};
	struct ike_sk *sk = NULL;

	(void)state;
	assert_int_equal(secret_set(&k16, k, 16), 0);
	assert_int_equal(secret_set(&k20, k, 20), 0);
	assert_int_equal(secret_set(&k32, k, 32), 0);
	/* key lengths must be the transforms' (GCM: key | salt) */
	assert_int_equal(ike_sk_new(CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, &k20, &k20, &sk),
	                 -EINVAL);
	assert_int_equal(ike_sk_new(CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, &k16, &k16, &sk),
	                 -EINVAL);
	assert_int_equal(ike_sk_new(CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, &k16, &empty, &sk),
	                 -EINVAL);
	/* AEAD with an integrity transform, CBC without one, NULL encryption: all refused */
	assert_int_equal(ike_sk_new(CFG_ENCR_AES128_GCM16, CFG_INTEG_HMAC_SHA1_96, &k20, &k20, &sk),
	                 -EINVAL);
	assert_int_equal(ike_sk_new(CFG_ENCR_AES256_CBC, CFG_INTEG_NONE, &k32, &empty, &sk),
	                 -EINVAL);
	assert_int_equal(
	        ike_sk_new(CFG_ENCR_AES256_CBC, CFG_INTEG_HMAC_SHA2_256_128, &k32, NULL, &sk),
	        -EINVAL);
	assert_int_equal(ike_sk_new(CFG_ENCR_NULL, CFG_INTEG_HMAC_SHA1_96, &empty, &k20, &sk),
	                 -EINVAL);
	assert_int_equal(ike_sk_new(CFG_ENCR_COUNT, CFG_INTEG_HMAC_SHA1_96, &k16, &k20, &sk),
	                 -EINVAL);
	assert_null(sk);
	/* AEAD: ka is ignored */
	assert_int_equal(ike_sk_new(CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE, &k20, NULL, &sk), 0);
	ike_sk_free(sk);
	ike_sk_free(NULL);
	secret_clear(&k16);
	secret_clear(&k20);
	secret_clear(&k32);
}

static void
test_seal_refuses_bad_lengths(void **state)
{
	uint8_t plain[10] = {0}, iv[16] = {0}, body[MAX_BODY];
	struct ike_sk *sk = sk_make((struct combo){CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96}, 1);
	size_t n = ike_sk_body_len(sk, sizeof(plain)), out_len;

	(void)state;
	assert_int_equal(n, 16 + 16 + 12);
	assert_int_equal(ike_sk_seal(sk, NULL, 0, plain, sizeof(plain), iv, body, n - 1), -EINVAL);
	assert_int_equal(ike_sk_seal(sk, NULL, 0, plain, sizeof(plain), iv, body, n + 16), -EINVAL);
	assert_int_equal(ike_sk_seal(sk, NULL, 0, plain, sizeof(plain), NULL, body, n), -EINVAL);
	assert_int_equal(ike_sk_seal(sk, NULL, 4, plain, sizeof(plain), iv, body, n), -EINVAL);
	assert_int_equal(ike_sk_open(sk, NULL, 0, body, n, NULL, &out_len), -EINVAL);
	/* 15 octets of payloads fill exactly one AES block with the pad length octet */
	assert_int_equal(ike_sk_body_len(sk, 15), 16 + 16 + 12);
	assert_int_equal(ike_sk_body_len(sk, 16), 16 + 32 + 12);
	assert_int_equal(ike_sk_body_len(sk, 0), 16 + 16 + 12);
	ike_sk_free(sk);
}

/*
 * DES-CBC needs OpenSSL's legacy provider. CTest runs this binary a second time with
 * OPENSSL_MODULES pointing nowhere and TANDEM_EXPECT_NO_LEGACY=1: DES must then fail with
 * -ENOPKG (every time), while 3DES and AES, in the default provider, keep working.
 */
static void
test_des_legacy_provider(void **state)
{
	struct combo des = {CFG_ENCR_DES_CBC, CFG_INTEG_HMAC_SHA1_96};
	struct secret ke = {0}, ka = {0};
	struct ike_sk *sk = NULL;
	uint8_t k[20] = {0};
	bool absent = getenv("TANDEM_EXPECT_NO_LEGACY") != NULL;

	(void)state;
	assert_int_equal(secret_set(&ke, k, 8), 0);
	assert_int_equal(secret_set(&ka, k, 20), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ike_sk_new(des.encr, des.integ, &ke, &ka, &sk),
		                 absent ? -ENOPKG : 0);
		ike_sk_free(sk);
		sk = NULL;
	}
	ike_sk_free(sk_make((struct combo){CFG_ENCR_3DES_CBC, CFG_INTEG_HMAC_SHA1_96}, 1));
	ike_sk_free(sk_make((struct combo){CFG_ENCR_AES128_GCM16, CFG_INTEG_NONE}, 1));
	secret_clear(&ke);
	secret_clear(&ka);
}

static int
teardown_group(void **state)
{
	(void)state;
	ike_crypto_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_des_legacy_provider),
	        cmocka_unit_test(test_rfc7634_ikev2_example),
	        cmocka_unit_test(test_rfc8439_open),
	        cmocka_unit_test(test_gcm_seal_zero_vectors),
	        cmocka_unit_test(test_gcm_open_vectors),
	        cmocka_unit_test(test_cbc_cipher_vectors),
	        cmocka_unit_test(test_cbc_icv_coverage),
	        cmocka_unit_test(test_round_trip_every_combo),
	        cmocka_unit_test(test_in_place),
	        cmocka_unit_test(test_every_bit_flip_refused),
	        cmocka_unit_test(test_wrong_key_refused),
	        cmocka_unit_test(test_short_and_misaligned_bodies),
	        cmocka_unit_test(test_cbc_bad_padding),
	        cmocka_unit_test(test_aead_bad_padding),
	        cmocka_unit_test(test_sk_new_refuses),
	        cmocka_unit_test(test_seal_refuses_bad_lengths),
	};

	return cmocka_run_group_tests_name("ike_crypto_sk", tests, NULL, teardown_group);
}
