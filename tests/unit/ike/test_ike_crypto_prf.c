/* SPDX-License-Identifier: MIT */
/*
 * Known-answer tests of the IKE PRFs and integrity transforms from published vectors (RFC 2202,
 * RFC 4231, RFC 4868, RFC 3566, RFC 4434), prf+ (RFC 7296 §2.13), the algorithm registry, NAT
 * detection hashes and cookies. prf+, NAT-D and cookie values have no official vectors: they
 * come from tests/vectors/crypto/ikev2_ref.py, an independent Python implementation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_const.h"
#include "node/ike/ike_crypto.h"
#include "node/ike/ike_crypto_int.h"
#include "test_ike_crypto_util.h"

/* A key or message: either hex, or one octet repeated, or an ASCII string. */
struct blob {
	const char *hex;
	uint8_t fill;
	size_t fill_len;
	const char *ascii;
};

static size_t
blob_get(const struct blob *b, uint8_t *out, size_t cap)
{
	if (b->ascii) {
		assert_true(strlen(b->ascii) <= cap);
		memcpy(out, b->ascii, strlen(b->ascii));
		return strlen(b->ascii);
	}
	if (b->hex)
		return tv_hex(b->hex, out, cap);
	assert_true(b->fill_len <= cap);
	memset(out, b->fill, b->fill_len);
	return b->fill_len;
}

#define HEX(s)             \
	{                  \
		.hex = (s) \
	}
#define FILL(c, n)                           \
	{                                    \
		.fill = (c), .fill_len = (n) \
	}
#define ASCII(s)             \
	{                    \
		.ascii = (s) \
	}

static const char tc_bigkey[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const char tc_bigkey_data[] =
        "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
static const char hex_01_19[] = "0102030405060708090a0b0c0d0e0f10111213141516171819";

struct prf_kat {
	const char *what;
	enum cfg_prf prf;
	struct blob key, data;
	const char *out;
};

static const struct prf_kat prf_kats[] = {
        /* RFC 2202 §2, HMAC-MD5 test cases 1-4, 6, 7 */
        {"2202 md5 1", CFG_PRF_HMAC_MD5, FILL(0x0b, 16), ASCII("Hi There"),
         "9294727a3638bb1c13f48ef8158bfc9d"},
        {"2202 md5 2", CFG_PRF_HMAC_MD5, ASCII("Jefe"), ASCII("what do ya want for nothing?"),
         "750c783e6ab0b503eaa86e310a5db738"},
        {"2202 md5 3", CFG_PRF_HMAC_MD5, FILL(0xaa, 16), FILL(0xdd, 50),
         "56be34521d144c88dbb8c733f0e8b3f6"},
        {"2202 md5 4", CFG_PRF_HMAC_MD5, HEX(hex_01_19), FILL(0xcd, 50),
         "697eaf0aca3a3aea3a75164746ffaa79"},
        {"2202 md5 6", CFG_PRF_HMAC_MD5, FILL(0xaa, 80), ASCII(tc_bigkey),
         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
        {"2202 md5 7", CFG_PRF_HMAC_MD5, FILL(0xaa, 80), ASCII(tc_bigkey_data),
         "6f630fad67cda0ee1fb1f562db3aa53e"},
        /* RFC 2202 §3, HMAC-SHA-1 test cases 1-4, 6, 7 */
        {"2202 sha1 1", CFG_PRF_HMAC_SHA1, FILL(0x0b, 20), ASCII("Hi There"),
         "b617318655057264e28bc0b6fb378c8ef146be00"},
        {"2202 sha1 2", CFG_PRF_HMAC_SHA1, ASCII("Jefe"), ASCII("what do ya want for nothing?"),
         "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
        {"2202 sha1 3", CFG_PRF_HMAC_SHA1, FILL(0xaa, 20), FILL(0xdd, 50),
         "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
        {"2202 sha1 4", CFG_PRF_HMAC_SHA1, HEX(hex_01_19), FILL(0xcd, 50),
         "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
        {"2202 sha1 6", CFG_PRF_HMAC_SHA1, FILL(0xaa, 80), ASCII(tc_bigkey),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
        {"2202 sha1 7", CFG_PRF_HMAC_SHA1, FILL(0xaa, 80), ASCII(tc_bigkey_data),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
        /* RFC 4231 §4.2-4.7, test cases 1, 2, 3, 4, 6 */
        {"4231 sha256 1", CFG_PRF_HMAC_SHA2_256, FILL(0x0b, 20), ASCII("Hi There"),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"4231 sha256 2", CFG_PRF_HMAC_SHA2_256, ASCII("Jefe"),
         ASCII("what do ya want for nothing?"),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"4231 sha256 3", CFG_PRF_HMAC_SHA2_256, FILL(0xaa, 20), FILL(0xdd, 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {"4231 sha256 4", CFG_PRF_HMAC_SHA2_256, HEX(hex_01_19), FILL(0xcd, 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {"4231 sha256 6", CFG_PRF_HMAC_SHA2_256, FILL(0xaa, 131), ASCII(tc_bigkey),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {"4231 sha384 1", CFG_PRF_HMAC_SHA2_384, FILL(0x0b, 20), ASCII("Hi There"),
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
         "faea9ea9076ede7f4af152e8b2fa9cb6"},
        {"4231 sha384 3", CFG_PRF_HMAC_SHA2_384, FILL(0xaa, 20), FILL(0xdd, 50),
         "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
         "2a5ab39dc13814b94e3ab6e101a34f27"},
        {"4231 sha384 4", CFG_PRF_HMAC_SHA2_384, HEX(hex_01_19), FILL(0xcd, 50),
         "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
         "6801dd23c4a7d679ccf8a386c674cffb"},
        {"4231 sha384 6", CFG_PRF_HMAC_SHA2_384, FILL(0xaa, 131), ASCII(tc_bigkey),
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
         "0c2ef6ab4030fe8296248df163f44952"},
        {"4231 sha512 1", CFG_PRF_HMAC_SHA2_512, FILL(0x0b, 20), ASCII("Hi There"),
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
         "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
        {"4231 sha512 3", CFG_PRF_HMAC_SHA2_512, FILL(0xaa, 20), FILL(0xdd, 50),
         "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
         "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
        {"4231 sha512 4", CFG_PRF_HMAC_SHA2_512, HEX(hex_01_19), FILL(0xcd, 50),
         "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
         "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
        {"4231 sha512 6", CFG_PRF_HMAC_SHA2_512, FILL(0xaa, 131), ASCII(tc_bigkey),
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
         "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
        /* RFC 3566 §4.6 test cases 1-7: with a 128-bit key the PRF is the full XCBC-MAC */
        {"3566 1", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"), HEX(""),
         "75f0251d528ac01c4573dfd584d79f29"},
        {"3566 2", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"), HEX("000102"),
         "5b376580ae2f19afe7219ceef172756f"},
        {"3566 3", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f"), "d2a246fa349b68a79998a4394ff7a263"},
        {"3566 4", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f10111213"), "47f51b4564966215b8985c63055ed308"},
        {"3566 5", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
         "f54f0ec8d2b9f3d36807734bd5283fd4"},
        {"3566 6", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021"),
         "becbb3bccdb518a30677d5481fb6b4d8"},
        {"3566 7", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"), FILL(0, 1000),
         "f0dafee895db30253761103b5d84528f"},
        /* RFC 4434 §2.1: key lengths 16, 10 (zero-padded) and 18 (reduced under a zero key) */
        {"4434 16", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f10111213"), "47f51b4564966215b8985c63055ed308"},
        {"4434 10", CFG_PRF_AES128_XCBC, HEX("00010203040506070809"),
         HEX("000102030405060708090a0b0c0d0e0f10111213"), "0fa087af7d866e7653434e602fdde835"},
        {"4434 18", CFG_PRF_AES128_XCBC, HEX("000102030405060708090a0b0c0d0e0fedcb"),
         HEX("000102030405060708090a0b0c0d0e0f10111213"), "8cd3c93ae598a9803006ffb67c40e9e4"},
};

static void
test_prf_kats(void **state)
{
	uint8_t key[200], data[1000], out[IKE_PRF_MAX_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(prf_kats) / sizeof(prf_kats[0]); i++) {
		const struct prf_kat *t = &prf_kats[i];
		size_t kl = blob_get(&t->key, key, sizeof(key));
		size_t dl = blob_get(&t->data, data, sizeof(data));

		print_message("%s\n", t->what);
		memset(out, 0, sizeof(out));
		assert_int_equal(ike_prf(t->prf, key, kl, data, dl, out), 0);
		tv_assert_hex(out, ike_prf_len(t->prf), t->out);
	}
}

struct icv_kat {
	const char *what;
	enum cfg_integ integ;
	struct blob key, data;
	const char *icv;
};

static const struct icv_kat icv_kats[] = {
        /* RFC 2202 test case 5 ("Test With Truncation"), the -96 truncations (RFC 2403/2404) */
        {"2202 md5-96", CFG_INTEG_HMAC_MD5_96, FILL(0x0c, 16), ASCII("Test With Truncation"),
         "56461ef2342edc00f9bab995"},
        {"2202 sha1-96", CFG_INTEG_HMAC_SHA1_96, FILL(0x0c, 20), ASCII("Test With Truncation"),
         "4c1a03424b55e07fe7f27be1"},
        /* RFC 4868 §2.7.2.1-3, AUTH256-1/2/3, AUTH384-1/2/3, AUTH512-1/2/3 */
        {"4868 auth256-1", CFG_INTEG_HMAC_SHA2_256_128, FILL(0x0b, 32), ASCII("Hi There"),
         "198a607eb44bfbc69903a0f1cf2bbdc5"},
        {"4868 auth256-2", CFG_INTEG_HMAC_SHA2_256_128, ASCII("JefeJefeJefeJefeJefeJefeJefeJefe"),
         ASCII("what do ya want for nothing?"), "167f928588c5cc2eef8e3093caa0e87c"},
        {"4868 auth256-3", CFG_INTEG_HMAC_SHA2_256_128, FILL(0xaa, 32), FILL(0xdd, 50),
         "cdcb1220d1ecccea91e53aba3092f962"},
        {"4868 auth384-1", CFG_INTEG_HMAC_SHA2_384_192, FILL(0x0b, 48), ASCII("Hi There"),
         "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
        {"4868 auth384-2", CFG_INTEG_HMAC_SHA2_384_192,
         ASCII("JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"),
         ASCII("what do ya want for nothing?"), "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"},
        {"4868 auth384-3", CFG_INTEG_HMAC_SHA2_384_192, FILL(0xaa, 48), FILL(0xdd, 50),
         "809f439be00274321d4a538652164b53554a508184a0c316"},
        {"4868 auth512-1", CFG_INTEG_HMAC_SHA2_512_256, FILL(0x0b, 64), ASCII("Hi There"),
         "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
        {"4868 auth512-2", CFG_INTEG_HMAC_SHA2_512_256,
         ASCII("JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"),
         ASCII("what do ya want for nothing?"),
         "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"},
        {"4868 auth512-3", CFG_INTEG_HMAC_SHA2_512_256, FILL(0xaa, 64), FILL(0xdd, 50),
         "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"},
        /* RFC 3566 §4.6, AES-XCBC-MAC-96 test cases 1, 2, 3, 4, 5, 6, 7 */
        {"3566 1", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"), HEX(""),
         "75f0251d528ac01c4573dfd5"},
        {"3566 2", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"), HEX("000102"),
         "5b376580ae2f19afe7219cee"},
        {"3566 3", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f"), "d2a246fa349b68a79998a439"},
        {"3566 4", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f10111213"), "47f51b4564966215b8985c63"},
        {"3566 5", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
         "f54f0ec8d2b9f3d36807734b"},
        {"3566 6", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"),
         HEX("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021"),
         "becbb3bccdb518a30677d548"},
        {"3566 7", CFG_INTEG_AES_XCBC_96, HEX("000102030405060708090a0b0c0d0e0f"), FILL(0, 1000),
         "f0dafee895db30253761103b"},
};

static void
test_integ_kats(void **state)
{
	uint8_t key[200], data[1000], icv[64];

	(void)state;
	for (size_t i = 0; i < sizeof(icv_kats) / sizeof(icv_kats[0]); i++) {
		const struct icv_kat *t = &icv_kats[i];
		size_t kl = blob_get(&t->key, key, sizeof(key));
		size_t dl = blob_get(&t->data, data, sizeof(data));

		print_message("%s\n", t->what);
		assert_int_equal(ike_integ_icv(t->integ, key, kl, data, dl, icv), 0);
		tv_assert_hex(icv, cfg_integ_info(t->integ)->icv_len, t->icv);
	}
}

static void
test_integ_bad_args(void **state)
{
	uint8_t key[17] = {0}, icv[64];

	(void)state;
	/* RFC 3566 §2.1: AES-XCBC-MAC-96 keys are exactly 128 bits */
	assert_int_equal(ike_integ_icv(CFG_INTEG_AES_XCBC_96, key, 17, key, 1, icv), -EINVAL);
	assert_int_equal(ike_integ_icv(CFG_INTEG_AES_XCBC_96, key, 15, key, 1, icv), -EINVAL);
	assert_int_equal(ike_integ_icv(CFG_INTEG_NONE, key, 16, key, 1, icv), -EINVAL);
	assert_int_equal(ike_integ_icv(CFG_INTEG_COUNT, key, 16, key, 1, icv), -EINVAL);
	assert_int_equal(ike_prf(CFG_PRF_COUNT, key, 16, key, 1, icv), -EINVAL);
}

/* The XCBC MAC is incremental: every way of cutting RFC 3566 test case 6 gives its MAC. */
static void
test_xcbc_incremental(void **state)
{
	static const uint8_t k[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t m[34], out[16];
	struct ike_mac mac;

	(void)state;
	for (unsigned i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	assert_int_equal(ike_mac_init(&mac, IKE_MAC_AES_XCBC, k, sizeof(k)), 0);
	for (size_t chunk = 1; chunk <= sizeof(m); chunk++) {
		assert_int_equal(ike_mac_restart(&mac), 0);
		for (size_t off = 0; off < sizeof(m); off += chunk) {
			size_t n = sizeof(m) - off < chunk ? sizeof(m) - off : chunk;

			assert_int_equal(ike_mac_update(&mac, m + off, n), 0);
		}
		assert_int_equal(ike_mac_final(&mac, out), 0);
		tv_assert_hex(out, 16, "becbb3bccdb518a30677d5481fb6b4d8");
	}
	ike_mac_fini(&mac);
}

/* An HMAC context restarted after a message is as good as a new one (EVP_MAC_init, NULL key). */
static void
test_hmac_restart(void **state)
{
	uint8_t key[20], out[32];
	struct ike_mac mac;

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(ike_mac_init(&mac, IKE_MAC_HMAC_SHA256, key, sizeof(key)), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ike_mac_restart(&mac), 0);
		assert_int_equal(ike_mac_update(&mac, (const uint8_t *)"Hi ", 3), 0);
		assert_int_equal(ike_mac_update(&mac, (const uint8_t *)"There", 5), 0);
		assert_int_equal(ike_mac_final(&mac, out), 0);
		tv_assert_hex(out, 32,
		              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	}
	ike_mac_fini(&mac);
}

/* ---- prf+ ----------------------------------------------------------------------------------- */

static const char ref_ni[] = "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
static const char ref_nr[] = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";

/* From tests/vectors/crypto/ikev2_ref.py: prf+(00..0f, Ni | Nr), 100 octets. */
static const struct {
	enum cfg_prf prf;
	const char *out;
} prf_plus_ref[] = {
        {CFG_PRF_HMAC_SHA2_256,
         "8631d3a79f849ab2b49b963cfeccbff6c67e2da7d6a205972e361c9f3ce553edfaeb30be9e6aaacf47103cd6"
         "364765811b876f96f99758551ffe25fcbfa644ad337f22be089736901373943da76dceb13721431b32d336"
         "7bcaf18ef69c83dff45f2ca593"},
        {CFG_PRF_AES128_XCBC,
         "3b62ea31a2982ce710d33a2488d4dab478ee2c1cee73528f1f52ab962ad4bc65807c5f4da60d6b7928ccac"
         "b1994b42ae003963d658dba3740cd036e5367be5e8e89d67f6454e6db2381ac7176260a50bd6b4cf4cc14b"
         "b5e8a3ebf2cff1695f7059d436f5"},
        {CFG_PRF_HMAC_MD5,
         "cb21d4bef64b26a8d6d92979434d255597007000299c6627aab0a4d12dcdfda641eef060e73102d2114466"
         "dbc66cddab7e93f5555b501821aa5af9409a680b881c60d524ca6bc632b876a506902a98b24cd1bf7445"
         "57bbd0824e4e8f84319977be290cee"},
};

static void
test_prf_plus_ref(void **state)
{
	uint8_t key[16], seed[64], out[100];

	(void)state;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	tv_hex(ref_ni, seed, 32);
	tv_hex(ref_nr, seed + 32, 32);
	for (size_t i = 0; i < sizeof(prf_plus_ref) / sizeof(prf_plus_ref[0]); i++) {
		assert_int_equal(ike_prf_plus(prf_plus_ref[i].prf, key, sizeof(key), seed,
		                              sizeof(seed), out, sizeof(out)),
		                 0);
		tv_assert_hex(out, sizeof(out), prf_plus_ref[i].out);
	}
}

/* T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02), rebuilt from ike_prf (RFC 7296 §2.13). */
static void
test_prf_plus_structure(void **state)
{
	static const uint8_t key[] = "k", s[] = "seed";
	uint8_t out[3 * 32], t[32 + 4 + 1], t1[32], t2[32], t3[32];

	(void)state;
	assert_int_equal(ike_prf_plus(CFG_PRF_HMAC_SHA2_256, key, 1, s, 4, out, 70), 0);
	memcpy(t, s, 4);
	t[4] = 1;
	assert_int_equal(ike_prf(CFG_PRF_HMAC_SHA2_256, key, 1, t, 5, t1), 0);
	memcpy(t, t1, 32);
	memcpy(t + 32, s, 4);
	t[36] = 2;
	assert_int_equal(ike_prf(CFG_PRF_HMAC_SHA2_256, key, 1, t, 37, t2), 0);
	memcpy(t, t2, 32);
	t[36] = 3;
	assert_int_equal(ike_prf(CFG_PRF_HMAC_SHA2_256, key, 1, t, 37, t3), 0);
	assert_memory_equal(out, t1, 32);
	assert_memory_equal(out + 32, t2, 32);
	assert_memory_equal(out + 64, t3, 6);
}

/* "prf+ ... is not defined beyond 255 times the size of the prf function output" (§2.13). */
static void
test_prf_plus_limit(void **state)
{
	static uint8_t out[255 * 20 + 1];
	static const uint8_t key[20];

	(void)state;
	assert_int_equal(ike_prf_plus(CFG_PRF_HMAC_SHA1, key, 20, key, 4, out, 255 * 20), 0);
	assert_int_equal(ike_prf_plus(CFG_PRF_HMAC_SHA1, key, 20, key, 4, out, 255 * 20 + 1),
	                 -EINVAL);
	assert_int_equal(ike_prf_plus(CFG_PRF_AES128_XCBC, key, 16, key, 4, out, 255 * 16 + 1),
	                 -EINVAL);
}

/* ---- registry ------------------------------------------------------------------------------- */

static void
test_registry_round_trip(void **state)
{
	uint16_t id, kl;
	enum cfg_encr e;
	enum cfg_integ i;
	enum cfg_prf p;

	(void)state;
	for (unsigned k = 0; k < CFG_ENCR_COUNT; k++) {
		ike_encr_to_iana((enum cfg_encr)k, &id, &kl);
		assert_true(ike_encr_from_iana(id, kl, &e));
		assert_int_equal(e, k);
	}
	for (unsigned k = 0; k < CFG_INTEG_COUNT; k++) {
		assert_true(ike_integ_from_iana(ike_integ_to_iana((enum cfg_integ)k), &i));
		assert_int_equal(i, k);
	}
	for (unsigned k = 0; k < CFG_PRF_COUNT; k++) {
		assert_true(ike_prf_from_iana(ike_prf_to_iana((enum cfg_prf)k), &p));
		assert_int_equal(p, k);
		assert_int_equal(ike_prf_len((enum cfg_prf)k),
		                 cfg_prf_info((enum cfg_prf)k)->out_len);
	}
}

static void
test_registry_iana_values(void **state)
{
	uint16_t id, kl;
	enum cfg_encr e;
	enum cfg_integ i;
	enum cfg_prf p;

	(void)state;
	ike_encr_to_iana(CFG_ENCR_AES256_GCM16, &id, &kl);
	assert_int_equal(id, 20);
	assert_int_equal(kl, 256);
	ike_encr_to_iana(CFG_ENCR_CHACHA20_POLY1305, &id, &kl);
	assert_int_equal(id, 28);
	assert_int_equal(kl, 0);
	assert_int_equal(ike_integ_to_iana(CFG_INTEG_AES_XCBC_96), 5);
	assert_int_equal(ike_integ_to_iana(CFG_INTEG_HMAC_SHA2_512_256), 14);
	assert_int_equal(ike_prf_to_iana(CFG_PRF_AES128_XCBC), 4);
	assert_int_equal(ike_prf_to_iana(CFG_PRF_HMAC_SHA2_384), 6);
	/* AES needs its Key Length attribute; fixed-length ciphers must not carry one */
	assert_false(ike_encr_from_iana(IKE_ENCR_AES_CBC, 0, &e));
	assert_false(ike_encr_from_iana(IKE_ENCR_AES_GCM_16, 192, &e));
	assert_false(ike_encr_from_iana(IKE_ENCR_3DES, 192, &e));
	assert_false(ike_encr_from_iana(IKE_ENCR_CHACHA20_POLY1305, 256, &e));
	assert_false(ike_encr_from_iana(13 /* AES-CTR */, 128, &e));
	assert_true(ike_encr_from_iana(IKE_ENCR_AES_CBC, 192, &e));
	assert_int_equal(e, CFG_ENCR_AES192_CBC);
	assert_false(ike_integ_from_iana(8 /* AES-CMAC-96 */, &i));
	assert_false(ike_prf_from_iana(8 /* AES128-CMAC */, &p));
	assert_int_equal(ike_prf_len(CFG_PRF_COUNT), 0);
}

/* ---- NAT detection and cookies -------------------------------------------------------------- */

static void
test_natd_hash(void **state)
{
	static const uint8_t v4[] = {192, 0, 2, 1};
	uint8_t v6[16], out[IKE_NATD_HASH_LEN];

	(void)state;
	tv_hex("20010db8000000000000000000000001", v6, sizeof(v6));
	/* SHA-1(SPIi | SPIr | IP | Port), values from ikev2_ref.py (hashlib) */
	assert_int_equal(
	        ike_natd_hash(0x0123456789abcdefULL, 0xfedcba9876543210ULL, v4, 4, 500, out), 0);
	tv_assert_hex(out, sizeof(out), "b43b59394bf8bc930246a8f80b6fddf05c58d9bf");
	assert_int_equal(ike_natd_hash(0x0123456789abcdefULL, 0, v6, 16, 4500, out), 0);
	tv_assert_hex(out, sizeof(out), "3171550555febfcaa96bf57ef38afe1449b1b00f");
	assert_int_equal(ike_natd_hash(1, 2, v4, 5, 500, out), -EINVAL);
}

static void
test_cookie(void **state)
{
	static const uint8_t v4[] = {192, 0, 2, 1};
	uint8_t secret[32], ni[32], out[IKE_COOKIE_LEN];

	(void)state;
	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	tv_hex(ref_ni, ni, sizeof(ni));
	/* HMAC-SHA256(secret, Ni | IPi | SPIi), value from ikev2_ref.py (hmac) */
	assert_int_equal(ike_cookie_make(secret, ni, sizeof(ni), v4, 4, 0x0123456789abcdefULL, out),
	                 0);
	tv_assert_hex(out, sizeof(out),
	              "3f477199801c107a3126c998ee5ebf69cbd4a33f63d2244fb4c7ee39d74d4710");
	assert_int_equal(ike_cookie_make(secret, ni, sizeof(ni), v4, 3, 1, out), -EINVAL);
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
	        cmocka_unit_test(test_prf_kats),
	        cmocka_unit_test(test_integ_kats),
	        cmocka_unit_test(test_integ_bad_args),
	        cmocka_unit_test(test_xcbc_incremental),
	        cmocka_unit_test(test_hmac_restart),
	        cmocka_unit_test(test_prf_plus_ref),
	        cmocka_unit_test(test_prf_plus_structure),
	        cmocka_unit_test(test_prf_plus_limit),
	        cmocka_unit_test(test_registry_round_trip),
	        cmocka_unit_test(test_registry_iana_values),
	        cmocka_unit_test(test_natd_hash),
	        cmocka_unit_test(test_cookie),
	};

	return cmocka_run_group_tests_name("ike_crypto_prf", tests, NULL, teardown_group);
}
