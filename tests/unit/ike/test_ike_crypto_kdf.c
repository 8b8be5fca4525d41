/* SPDX-License-Identifier: MIT */
/*
 * Key derivation: SKEYSEED and the seven IKE SA keys (RFC 7296 §2.14), rekey (§2.18), Child SA
 * KEYMAT (§2.17) and PSK AUTH (§2.15). There are no official vectors, so the expected values
 * come from two independent sources: tests/vectors/crypto/ikev2_ref.py (Python hmac/hashlib)
 * and exchanges between two strongSwan 5.9.8 charons recorded in tests/vectors/crypto/
 * strongswan-*.txt, whose IKE_AUTH messages are also opened with the derived SK keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/ike/ike_const.h"
#include "node/ike/ike_crypto.h"
#include "test_ike_crypto_util.h"

/* ---- vectors from tests/vectors/crypto/ikev2_ref.py ----------------------------------------- */

static const char ref_ni[] = "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
static const char ref_nr[] = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char ref_gir[] = "030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc"
                              "e3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bc";
#define REF_SPI_I 0x0123456789abcdefULL
#define REF_SPI_R 0xfedcba9876543210ULL

struct ike_ref {
	const char *what;
	enum cfg_prf prf;
	enum cfg_encr encr;
	enum cfg_integ integ;
	enum cfg_prf old_prf;
	const char *old_sk_d; /* NULL: IKE_SA_INIT */
	const char *sk[7];    /* SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr */
};

static const struct ike_ref ike_refs[] = {
        {"sha256 aes128 sha256",
         CFG_PRF_HMAC_SHA2_256,
         CFG_ENCR_AES128_CBC,
         CFG_INTEG_HMAC_SHA2_256_128,
         0,
         NULL,
         {"38a1a1f91cd387f4601e79c9ca633866c1c96c58033a16b2341bbb1ba0726db7",
          "ec3089125be61e46b89f65ccbb6a46d8ab239674fba8c9f23b60165888d861a3",
          "707d0d5d6baec136189f62b516ec8602b140065c455be80d8bfc91b1adca9f38",
          "9a24cd92b3aabbc8e12f79db3752416d", "1496970c9c6774a183c8a8bbed5c38d2",
          "37fd7ea7193c24f28605cbd3a8677549323ec59eab45cc314a699368931abb83",
          "6957669dab52f4deae964c65eb733e9075af42069d4994b4509858f61ce1cd42"}},
        /* AES128-XCBC: SKEYSEED keyed with the first 8 octets of Ni and of Nr (§2.14) */
        {"xcbc aes128 xcbc",
         CFG_PRF_AES128_XCBC,
         CFG_ENCR_AES128_CBC,
         CFG_INTEG_AES_XCBC_96,
         0,
         NULL,
         {"505d20c14550e5fd572223c99d5cc0b3", "59bccc7263a1abb0897179f4b7997fc2",
          "97fda33aa9d34332c6d4ff7bb97a6a03", "37d5016ca94cfd74be35cd868babc798",
          "281317d99e513f76ed1f6aeecd4fad61", "40aa65c02e581098b898384cfa17f8a8",
          "7828d71c9760bceb4cbf1751936690f7"}},
        {"sha1 3des sha1",
         CFG_PRF_HMAC_SHA1,
         CFG_ENCR_3DES_CBC,
         CFG_INTEG_HMAC_SHA1_96,
         0,
         NULL,
         {"0b7d60b99b45a67534da34d970520c45eb2721f7", "a76c1c7811561ec7e3140d89bb0ac6998efdc544",
          "1a4292793fb045f6e2ad20a239b58e8886f29331",
          "5e9765435588045a9e1a6ca2570db7e662c241b8681a9783",
          "2573a2b71d27c2ba93b0b634f2c8ec70155243017cac223b",
          "6161d694e70cb4f989f72383459140aee6f91d6b", "a1d90919f18d5630990103af0706c9f0deef1e91"}},
        {"md5 des md5",
         CFG_PRF_HMAC_MD5,
         CFG_ENCR_DES_CBC,
         CFG_INTEG_HMAC_MD5_96,
         0,
         NULL,
         {"bfcedbfe3f700db83ed29ab60bcb9022", "1c7f7d07eb24037fd43810a020b888ee",
          "4e870af1bb6d00750516aedc60a4f72e", "7ab88cee97b084d2", "50916258c365189a",
          "67b6e74fe9c79d302777d8c260029786", "3cd108f7a9906ad85827c3f8a6329c77"}},
        /* AEAD: no SK_a, SK_e carries the 4-octet salt (RFC 5282 §7.1) */
        {"sha512 aes256gcm",
         CFG_PRF_HMAC_SHA2_512,
         CFG_ENCR_AES256_GCM16,
         CFG_INTEG_NONE,
         0,
         NULL,
         {"ce943bc054e87e598006a9b37a3e9248c6d390c7d24eb3a73eb0cac9127e194b33b388349a8006b6172064f6"
          "a40f5d61bc1754c337f567fa49bcceecbc81c765",
          "", "", "77e363cb2200d982b24e7ba59ed7678d61e12417d70d5fa7a29dca0d80ae556d48290fb2",
          "abc85bebdb9a829a528012ad8f730f46b172fb59f21347e22e8e312eed755ecdfa3d6cc2",
          "3fec2198fed3fd333c237a37e37f01b3b164f18b73a16ad17072d32d1093269fc4cdfa968be5cef939f23f10"
          "6625a2091c90ea0b9b72300a83638d223e7b9249",
          "d0e72ffb99e2b5fc092b1704f158e5b1edd577c23305b6ea530cab1c3417f036adcfb72b1f65f6fb961a4178"
          "e79f7b755167cae2de0c32ea425cbb5f870e76f3"}},
        {"sha384 chacha",
         CFG_PRF_HMAC_SHA2_384,
         CFG_ENCR_CHACHA20_POLY1305,
         CFG_INTEG_NONE,
         0,
         NULL,
         {"4caded8fb3ac2145080ed62b95a9b1c94dbdbc0e11a0a9191f89cbba0a6421f4246845987dce40b71b1aa70d"
          "f18f9554",
          "", "", "2869ce5533333594c5c46576e87a3479a1d6a8da57dbc327c6d3e24bd1e0a40910f63d89",
          "79a4ebe152a67fceb5163c786ab4f669634b89e944ae040a58d14a9ea1e666064acadc43",
          "b7e3a69205beb8f1460e89680d2bbde390ba29aa8c0998caea349e8463511bbc9d63f1ec3f3e3c6c4eccd148"
          "d4970e8e",
          "e37ccba52a0356c32efa2aa8db063ecc77d14af257a03adce14cb0c37e94bfa6faa4d070ad52a3aca63ba5d7"
          "74cff2e9"}},
        /* rekey: SKEYSEED = prf_old(SK_d old, g^ir | Ni | Nr), then the new PRF (§2.18) */
        {"rekey sha1 -> sha256",
         CFG_PRF_HMAC_SHA2_256,
         CFG_ENCR_AES256_CBC,
         CFG_INTEG_HMAC_SHA2_512_256,
         CFG_PRF_HMAC_SHA1,
         "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3",
         {"62752facc7a033bf193b88777733774631cbfcd1e331388b778d52a90ed4ac83",
          "8752cdde1295fd78d9dd2c67ed8b4c26256b3fa280fa57f01550b43166475e6ca8ba453cd5d03d9f08f7cb69"
          "46e83ee47a2522cd979e8b8b1a3cefd6002d8ea0",
          "7266adb62df18d5442dd3817bffc5edd140a8c4012d43c4cb8d01d79e395c95d7c186c87ed4bf7b5d29062be"
          "090b13bfa264f6a60e2b498791d45cb088fdb67a",
          "3bdcfc3c5aa81029c81fb2ba6abc107141a2a049b168bf30c159018a08596f01",
          "885e968b34f04a9c91ff10bfccf6d3bbcb9cad77412bba64accfed96a1ba4967",
          "6600402f451426a1b84b1258c0ed9ecaa0ce87dc92fe1ef0286ed4e8c23bc1e3",
          "97e7cdc6e332b118d1cacca273749d341238edfd5734860ab9ca7c4f3a64bd81"}},
        /* rekey from an AES128-XCBC SA: the old PRF keys with SK_d, not with the nonces */
        {"rekey xcbc -> sha256",
         CFG_PRF_HMAC_SHA2_256,
         CFG_ENCR_AES192_CBC,
         CFG_INTEG_HMAC_SHA2_384_192,
         CFG_PRF_AES128_XCBC,
         "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
         {"c640a6c1cb42512246b45078a50e6f9a51b87c2ecddcecd7d7702a1b44219c1c",
          "1ebe68b79416b1f8cb2629cdb05f91e87a6dde96361ae6e22bc1462f7016dbe85f0dd736f0b95e5ff65c20a5"
          "2c6e3938",
          "f2b222e5531ccaeae07c73f68887f91eb591f4f5d273c1e0f5eaf8e9c9d7ff6d3cfa326b32f3006ff5b15d1d"
          "7f975abb",
          "f75e84ef7feaad1b681a93755ad091399860660f448fab8c",
          "3d7f192914926966c28cbd0a47362f166b38991fa02167a9",
          "2505a18f78644890522c4e46022145ac7ea6de4492e7b97a257b52142a375480",
          "8a165e150b13f8d56bd4400f028603bc63be9e52f93eeedf92b7613ea9e9b7f6"}},
};

static void
assert_keys(const struct ike_keys *k, const char *const want[7])
{
	const struct secret *got[7] = {&k->sk_d,  &k->sk_ai, &k->sk_ar, &k->sk_ei,
	                               &k->sk_er, &k->sk_pi, &k->sk_pr};

	for (int i = 0; i < 7; i++)
		tv_assert_secret(got[i], want[i]);
}

static void
test_ike_keys_ref(void **state)
{
	uint8_t ni[32], nr[32];
	struct secret g_ir = {0}, old = {0};

	(void)state;
	tv_hex(ref_ni, ni, sizeof(ni));
	tv_hex(ref_nr, nr, sizeof(nr));
	tv_secret(&g_ir, ref_gir);
	for (size_t i = 0; i < sizeof(ike_refs) / sizeof(ike_refs[0]); i++) {
		const struct ike_ref *t = &ike_refs[i];
		struct ike_keys k = {.prf = t->prf, .encr = t->encr, .integ = t->integ};

		print_message("%s\n", t->what);
		if (t->old_sk_d)
			tv_secret(&old, t->old_sk_d);
		assert_int_equal(ike_keys_derive(&k, &g_ir, ni, sizeof(ni), nr, sizeof(nr),
		                                 REF_SPI_I, REF_SPI_R, t->old_sk_d ? &old : NULL,
		                                 t->old_prf),
		                 0);
		assert_keys(&k, t->sk);
		ike_keys_clear(&k);
		assert_null(k.sk_d.s_data);
		assert_int_equal(k.sk_pr.s_len, 0);
	}
	secret_clear(&g_ir);
	secret_clear(&old);
}

struct child_ref {
	const char *what;
	enum cfg_prf prf;
	const char *sk_d;
	size_t gir_len; /* PFS: the first gir_len octets of ref_gir; 0 without PFS */
	enum cfg_encr encr;
	enum cfg_integ integ;
	const char *k[4]; /* encryption i->r, integrity i->r, encryption r->i, integrity r->i */
};

static const struct child_ref child_refs[] = {
        /* GCM keys are key | salt (RFC 4106 §8.1) */
        {"sha256 gcm128",
         CFG_PRF_HMAC_SHA2_256,
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         0,
         CFG_ENCR_AES128_GCM16,
         CFG_INTEG_NONE,
         {"bb4fa7af26782f75c089a6339c433bc5e83d2895", "",
          "4d4bffc68e1e7c5b483d0b548e070469ea7ef4e9", ""}},
        {"sha1 aes256 sha256 pfs",
         CFG_PRF_HMAC_SHA1,
         "28292a2b2c2d2e2f303132333435363738393a3b",
         48,
         CFG_ENCR_AES256_CBC,
         CFG_INTEG_HMAC_SHA2_256_128,
         {"dd19455f16e37ac6f89e551ce09693f71fa604ab0e0ac6badd935d43113de644",
          "efb020e1328301ccd6e5a62294383c1547fae05a8f9828dbd6e0440539e2fe46",
          "66db8a5c9dc3d566174f778c2718869b01d45534c91dabe6c0be746593d57060",
          "11477adb255d15610e84b39db89e6d7e810fe948c055ce4bcdfcce1f1b0fac70"}},
        {"xcbc aes128 xcbc",
         CFG_PRF_AES128_XCBC,
         "6465666768696a6b6c6d6e6f70717273",
         0,
         CFG_ENCR_AES128_CBC,
         CFG_INTEG_AES_XCBC_96,
         {"8aa09565ee979bdb874b33ccb704801f", "b776d7d5b88f2f8dd37b46c304eb70ff",
          "7b0ffc122444daecfc480711350f7eda", "036c625b371d5047bcc7894c054f9a04"}},
        /* ChaCha20-Poly1305 keys are key | salt (RFC 7634 §2) */
        {"sha512 chacha pfs",
         CFG_PRF_HMAC_SHA2_512,
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
         "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
         64,
         CFG_ENCR_CHACHA20_POLY1305,
         CFG_INTEG_NONE,
         {"3c5c671c6978a240a4a9607cac6c0b2229e615da26255dfec5947572e3d30c9afe2c487c", "",
          "1485fd3cc74d2bf17187f9dce5be183d368b73e800b4f691d8f31da9dd1ca13c0c548f81", ""}},
};

static void
test_child_keys_ref(void **state)
{
	uint8_t ni[32], nr[32], gir[64];
	struct secret sk_d = {0}, g_ir = {0};

	(void)state;
	tv_hex(ref_ni, ni, sizeof(ni));
	tv_hex(ref_nr, nr, sizeof(nr));
	tv_hex(ref_gir, gir, sizeof(gir));
	for (size_t i = 0; i < sizeof(child_refs) / sizeof(child_refs[0]); i++) {
		const struct child_ref *t = &child_refs[i];
		struct ike_child_keys k = {0};

		print_message("%s\n", t->what);
		tv_secret(&sk_d, t->sk_d);
		assert_int_equal(secret_set(&g_ir, gir, t->gir_len), 0);
		assert_int_equal(ike_child_keys_derive(t->prf, &sk_d, t->gir_len ? &g_ir : NULL, ni,
		                                       sizeof(ni), nr, sizeof(nr), t->encr,
		                                       t->integ, &k),
		                 0);
		tv_assert_secret(&k.enc_i, t->k[0]);
		tv_assert_secret(&k.integ_i, t->k[1]);
		tv_assert_secret(&k.enc_r, t->k[2]);
		tv_assert_secret(&k.integ_r, t->k[3]);
		ike_child_keys_clear(&k);
	}
	secret_clear(&sk_d);
	secret_clear(&g_ir);
}

/* msg = (i * 13) & 0xff, 120 octets; nonce = Nr; ID_IPV4_ADDR 192.0.2.1 (ikev2_ref.py). */
static void
test_auth_psk_ref(void **state)
{
	static const struct {
		enum cfg_prf prf;
		const char *psk, *auth;
	} v[] = {
	        {CFG_PRF_HMAC_SHA2_256, "tandem-test-psk",
	         "51dbcdad27ef483cbcdbfe4b6984643d6a4befc032890227ac9c4704730c4e52"},
	        /* a 30-octet PSK with AES128-XCBC: reduced per RFC 4434 */
	        {CFG_PRF_AES128_XCBC, "a shared secret longer than 16",
	         "b230e944797588d50159f77febf41790"},
	        {CFG_PRF_HMAC_SHA1, "x", "cdc229852f936161333ec0c315cb02ed1da5e16b"},
	};
	uint8_t msg[120], nr[32], id[8], out[IKE_PRF_MAX_LEN], skp[64];
	struct secret psk = {0}, sk_p = {0};

	(void)state;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13);
	for (unsigned i = 0; i < sizeof(skp); i++)
		skp[i] = (uint8_t)(0x40 + i);
	tv_hex(ref_nr, nr, sizeof(nr));
	tv_hex("01000000c0000201", id, sizeof(id));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(secret_set(&psk, v[i].psk, strlen(v[i].psk)), 0);
		assert_int_equal(secret_set(&sk_p, skp, cfg_prf_info(v[i].prf)->key_len), 0);
		assert_int_equal(ike_auth_psk(v[i].prf, &psk, msg, sizeof(msg), nr, sizeof(nr),
		                              &sk_p, id, sizeof(id), out),
		                 0);
		tv_assert_hex(out, ike_prf_len(v[i].prf), v[i].auth);
	}
	secret_clear(&psk);
	secret_clear(&sk_p);
}

/* ---- derivation edge cases ------------------------------------------------------------------ */

static void
test_keys_derive_refuses(void **state)
{
	uint8_t ni[257] = {0}, nr[32] = {0};
	struct secret g_ir = {0}, sk_d = {0};
	struct ike_keys k = {.prf = CFG_PRF_AES128_XCBC,
	                     .encr = CFG_ENCR_AES128_CBC,
	                     .integ = CFG_INTEG_AES_XCBC_96};
	struct ike_child_keys ck = {0};

	(void)state;
	tv_secret(&g_ir, ref_gir);
	/* AES128-XCBC needs 64 bits of each nonce (§2.14) */
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 7, nr, 32, 1, 2, NULL, 0), -EINVAL);
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 8, nr, 8, 1, 2, NULL, 0), 0);
	ike_keys_clear(&k);
	k.prf = CFG_PRF_HMAC_SHA2_256;
	/* nonces are at most 256 octets (§3.9); g^ir is required */
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 257, nr, 32, 1, 2, NULL, 0), -EINVAL);
	assert_int_equal(ike_keys_derive(&k, NULL, ni, 32, nr, 32, 1, 2, NULL, 0), -EINVAL);
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 0, nr, 32, 1, 2, NULL, 0), -EINVAL);
	k.prf = CFG_PRF_COUNT;
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 32, nr, 32, 1, 2, NULL, 0), -EINVAL);
	assert_null(k.sk_d.s_data);
	/* child: NULL encryption with no integrity is not a key set; no SK_d is refused */
	tv_secret(&sk_d, "000102030405060708090a0b0c0d0e0f");
	assert_int_equal(ike_child_keys_derive(CFG_PRF_HMAC_SHA1, &sk_d, NULL, ni, 32, nr, 32,
	                                       CFG_ENCR_NULL, CFG_INTEG_NONE, &ck),
	                 -EINVAL);
	assert_int_equal(ike_child_keys_derive(CFG_PRF_HMAC_SHA1, NULL, NULL, ni, 32, nr, 32,
	                                       CFG_ENCR_AES128_CBC, CFG_INTEG_HMAC_SHA1_96, &ck),
	                 -EINVAL);
	/* ESP with NULL encryption: only integrity keys (RFC 4303 allows it) */
	assert_int_equal(ike_child_keys_derive(CFG_PRF_HMAC_SHA1, &sk_d, NULL, ni, 32, nr, 32,
	                                       CFG_ENCR_NULL, CFG_INTEG_HMAC_SHA1_96, &ck),
	                 0);
	assert_int_equal(ck.enc_i.s_len, 0);
	assert_int_equal(ck.integ_r.s_len, 20);
	ike_child_keys_clear(&ck);
	secret_clear(&g_ir);
	secret_clear(&sk_d);
}

/* An IKE SA rekey may pass the SA's own SK_d as old_sk_d; on failure k is left as it was. */
static void
test_keys_derive_in_place(void **state)
{
	uint8_t ni[32], nr[32];
	struct secret g_ir = {0};
	struct ike_keys k = {.prf = CFG_PRF_HMAC_SHA2_256,
	                     .encr = CFG_ENCR_AES128_CBC,
	                     .integ = CFG_INTEG_HMAC_SHA2_256_128};
	struct ike_keys copy = {.prf = CFG_PRF_HMAC_SHA2_256,
	                        .encr = CFG_ENCR_AES256_CBC,
	                        .integ = CFG_INTEG_HMAC_SHA2_512_256};

	(void)state;
	tv_hex(ref_ni, ni, sizeof(ni));
	tv_hex(ref_nr, nr, sizeof(nr));
	tv_secret(&g_ir, ref_gir);
	tv_secret(&k.sk_d, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
	assert_int_equal(ike_keys_derive(&copy, &g_ir, ni, 32, nr, 32, REF_SPI_I, REF_SPI_R,
	                                 &k.sk_d, CFG_PRF_HMAC_SHA1),
	                 0);
	k.encr = CFG_ENCR_AES256_CBC;
	k.integ = CFG_INTEG_HMAC_SHA2_512_256;
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 32, nr, 32, REF_SPI_I, REF_SPI_R, &k.sk_d,
	                                 CFG_PRF_HMAC_SHA1),
	                 0);
	assert_true(secret_eq(&k.sk_d, &copy.sk_d));
	assert_true(secret_eq(&k.sk_pr, &copy.sk_pr));
	assert_keys(&k, ike_refs[6].sk);
	/* a failing derivation leaves the keys untouched */
	assert_int_equal(ike_keys_derive(&k, &g_ir, ni, 0, nr, 32, 1, 2, NULL, 0), -EINVAL);
	assert_true(secret_eq(&k.sk_d, &copy.sk_d));
	ike_keys_clear(&k);
	ike_keys_clear(&copy);
	secret_clear(&g_ir);
}

/* ---- strongSwan cross-check ----------------------------------------------------------------- */

static const char *const ss_files[] = {
        "strongswan-cbc-sha256-ecp256.txt",  "strongswan-gcm-sha384-x25519.txt",
        "strongswan-xcbc-modp2048.txt",      "strongswan-chacha-sha512-ecp384.txt",
        "strongswan-3des-sha1-modp1024.txt", "strongswan-md5-modp1536.txt",
        "strongswan-sha512-ecp521.txt",
};

#define SS_FIELDS 40

struct ss_vec {
	char key[SS_FIELDS][32];
	char *val[SS_FIELDS];
	size_t n;
};

static void
ss_load(const char *name, struct ss_vec *v)
{
	char path[512], line[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/crypto/%s", TANDEM_SOURCE_DIR, name);
	assert_non_null(f = fopen(path, "r"));
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f)) {
		char *eq = strstr(line, " = ");

		if (line[0] == '#' || !eq)
			continue;
		assert_true(v->n < SS_FIELDS);
		*eq = '\0';
		eq[strcspn(eq + 3, "\n") + 3] = '\0';
		assert_true(strlen(line) < sizeof(v->key[0]));
		memcpy(v->key[v->n], line, strlen(line) + 1);
		assert_non_null(v->val[v->n] = strdup(eq + 3));
		v->n++;
	}
	fclose(f);
}

static void
ss_free(struct ss_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->val[i]);
}

static const char *
ss_get(const struct ss_vec *v, const char *key)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->key[i], key) == 0)
			return v->val[i];
	}
	fail_msg("%s missing", key);
	return NULL;
}

static size_t
ss_hex(const struct ss_vec *v, const char *key, uint8_t *out, size_t cap)
{
	return tv_hex(ss_get(v, key), out, cap);
}

static uint64_t
ss_u64(const struct ss_vec *v, const char *key)
{
	uint8_t b[8];
	uint64_t x = 0;

	assert_int_equal(ss_hex(v, key, b, sizeof(b)), 8);
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return x;
}

/* tandem's configuration keywords, as the vector files name the algorithms */
static enum cfg_encr
ss_encr(const struct ss_vec *v, const char *key)
{
	for (unsigned i = 0; i < CFG_ENCR_COUNT; i++) {
		if (strcmp(cfg_encr_info((enum cfg_encr)i)->name, ss_get(v, key)) == 0)
			return (enum cfg_encr)i;
	}
	fail_msg("unknown cipher %s", ss_get(v, key));
	return CFG_ENCR_COUNT;
}

static enum cfg_integ
ss_integ(const struct ss_vec *v, const char *key)
{
	for (unsigned i = 0; i < CFG_INTEG_COUNT; i++) {
		if (strcmp(cfg_integ_info((enum cfg_integ)i)->name, ss_get(v, key)) == 0)
			return (enum cfg_integ)i;
	}
	fail_msg("unknown integrity %s", ss_get(v, key));
	return CFG_INTEG_COUNT;
}

static enum cfg_prf
ss_prf(const struct ss_vec *v)
{
	for (unsigned i = 0; i < CFG_PRF_COUNT; i++) {
		if (strcmp(cfg_prf_info((enum cfg_prf)i)->name, ss_get(v, "prf")) == 0)
			return (enum cfg_prf)i;
	}
	fail_msg("unknown prf %s", ss_get(v, "prf"));
	return CFG_PRF_COUNT;
}

static void
ss_check_keys(const struct ss_vec *v, struct ike_keys *k)
{
	static const char *const names[7] = {"sk_d",  "sk_ai", "sk_ar", "sk_ei",
	                                     "sk_er", "sk_pi", "sk_pr"};
	uint8_t ni[256], nr[256];
	size_t nil = ss_hex(v, "ni", ni, sizeof(ni)), nrl = ss_hex(v, "nr", nr, sizeof(nr));
	struct secret g_ir = {0};
	const char *want[7];

	tv_secret(&g_ir, ss_get(v, "g_ir"));
	assert_int_equal(ike_keys_derive(k, &g_ir, ni, nil, nr, nrl, ss_u64(v, "spi_i"),
	                                 ss_u64(v, "spi_r"), NULL, 0),
	                 0);
	for (int i = 0; i < 7; i++)
		want[i] = ss_get(v, names[i]);
	assert_keys(k, want);
	secret_clear(&g_ir);
}

static void
ss_check_auth(const struct ss_vec *v, const struct ike_keys *k)
{
	uint8_t msg[TV_MAX], nonce[256], id[32], out[IKE_PRF_MAX_LEN];
	struct secret psk = {0};
	size_t ml, nl, il;

	tv_secret(&psk, ss_get(v, "psk"));
	/* the initiator signs its IKE_SA_INIT request, Nr and prf(SK_pi, IDi') */
	ml = ss_hex(v, "init_req", msg, sizeof(msg));
	nl = ss_hex(v, "nr", nonce, sizeof(nonce));
	il = ss_hex(v, "id_i", id, sizeof(id));
	assert_int_equal(ike_auth_psk(k->prf, &psk, msg, ml, nonce, nl, &k->sk_pi, id, il, out), 0);
	tv_assert_hex(out, ike_prf_len(k->prf), ss_get(v, "auth_i"));
	/* the responder its IKE_SA_INIT response, Ni and prf(SK_pr, IDr') */
	ml = ss_hex(v, "init_resp", msg, sizeof(msg));
	nl = ss_hex(v, "ni", nonce, sizeof(nonce));
	il = ss_hex(v, "id_r", id, sizeof(id));
	assert_int_equal(ike_auth_psk(k->prf, &psk, msg, ml, nonce, nl, &k->sk_pr, id, il, out), 0);
	tv_assert_hex(out, ike_prf_len(k->prf), ss_get(v, "auth_r"));
	secret_clear(&psk);
}

static void
ss_check_child(const struct ss_vec *v, const struct ike_keys *k)
{
	uint8_t ni[256], nr[256];
	size_t nil = ss_hex(v, "ni", ni, sizeof(ni)), nrl = ss_hex(v, "nr", nr, sizeof(nr));
	struct ike_child_keys ck = {0};

	assert_int_equal(ike_child_keys_derive(k->prf, &k->sk_d, NULL, ni, nil, nr, nrl,
	                                       ss_encr(v, "child_encr"), ss_integ(v, "child_integ"),
	                                       &ck),
	                 0);
	tv_assert_secret(&ck.enc_i, ss_get(v, "child_enc_i"));
	tv_assert_secret(&ck.integ_i, ss_get(v, "child_integ_i"));
	tv_assert_secret(&ck.enc_r, ss_get(v, "child_enc_r"));
	tv_assert_secret(&ck.integ_r, ss_get(v, "child_integ_r"));
	ike_child_keys_clear(&ck);
}

/*
 * Opens strongSwan's IKE_AUTH message: AAD = IKE header | SK generic header (RFC 7296 §3.14,
 * RFC 5282 §5.1), body = the rest of the SK payload. Its first inner payload is the sender's
 * ID payload, whose body must be the identity the AUTH test used.
 */
static void
ss_open_auth(const struct ss_vec *v, const char *msg_key, const struct secret *ke,
             const struct secret *ka, const char *id_key, uint8_t id_type)
{
	uint8_t msg[TV_MAX], plain[TV_MAX], id[32];
	size_t ml = ss_hex(v, msg_key, msg, sizeof(msg)), il = ss_hex(v, id_key, id, sizeof(id));
	size_t sk_len, plain_len = 0;
	struct ike_sk *sk = NULL;

	assert_true(ml > IKE_HDR_LEN + IKE_GENERIC_HDR_LEN);
	assert_int_equal(msg[16], IKE_PLD_SK);
	assert_int_equal(msg[18], IKE_EXCH_AUTH);
	sk_len = (size_t)msg[IKE_HDR_LEN + 2] << 8 | msg[IKE_HDR_LEN + 3];
	assert_int_equal(IKE_HDR_LEN + sk_len, ml);
	assert_int_equal(ike_sk_new(ss_encr(v, "encr"), ss_integ(v, "integ"), ke, ka, &sk), 0);
	assert_int_equal(ike_sk_open(sk, msg, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN,
	                             msg + IKE_HDR_LEN + IKE_GENERIC_HDR_LEN,
	                             sk_len - IKE_GENERIC_HDR_LEN, plain, &plain_len),
	                 0);
	assert_int_equal(msg[IKE_HDR_LEN], id_type);
	assert_true(plain_len >= IKE_GENERIC_HDR_LEN + il);
	assert_memory_equal(plain + IKE_GENERIC_HDR_LEN, id, il);
	/* and a flipped ICV bit is refused */
	msg[ml - 1] ^= 1;
	assert_int_equal(ike_sk_open(sk, msg, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN,
	                             msg + IKE_HDR_LEN + IKE_GENERIC_HDR_LEN,
	                             sk_len - IKE_GENERIC_HDR_LEN, plain, &plain_len),
	                 -EBADMSG);
	ike_sk_free(sk);
}

/* strongSwan's KE payload has our length for the group, and its value passes our checks. */
static void
ss_check_ke(const struct ss_vec *v, const char *msg_key)
{
	uint8_t msg[TV_MAX];
	size_t ml = ss_hex(v, msg_key, msg, sizeof(msg)), off = IKE_HDR_LEN;
	uint8_t next = msg[16];
	uint16_t group = (uint16_t)atoi(ss_get(v, "dh_group"));
	struct ike_dh *dh = NULL;
	struct secret z = {0};

	while (next != IKE_PLD_KE) {
		assert_true(next != IKE_PLD_NONE && off + 4 <= ml);
		next = msg[off];
		off += (size_t)msg[off + 2] << 8 | msg[off + 3];
	}
	assert_true(off + 8 <= ml);
	assert_int_equal((msg[off + 4] << 8 | msg[off + 5]), group);
	assert_int_equal(((size_t)msg[off + 2] << 8 | msg[off + 3]) - 8, ike_dh_pub_len(group));
	assert_int_equal(ike_dh_new(group, &dh), 0);
	assert_int_equal(ike_dh_shared(dh, msg + off + 8, ike_dh_pub_len(group), &z), 0);
	secret_clear(&z);
	ike_dh_free(dh);
}

static void
test_strongswan_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ss_files) / sizeof(ss_files[0]); i++) {
		struct ss_vec v;
		struct ike_keys k = {0};

		print_message("%s\n", ss_files[i]);
		ss_load(ss_files[i], &v);
		k.prf = ss_prf(&v);
		k.encr = ss_encr(&v, "encr");
		k.integ = ss_integ(&v, "integ");
		ss_check_keys(&v, &k);
		ss_check_auth(&v, &k);
		ss_check_child(&v, &k);
		ss_open_auth(&v, "auth_req", &k.sk_ei, &k.sk_ai, "id_i", IKE_PLD_IDI);
		ss_open_auth(&v, "auth_resp", &k.sk_er, &k.sk_ar, "id_r", IKE_PLD_IDR);
		ss_check_ke(&v, "init_req");
		ss_check_ke(&v, "init_resp");
		ike_keys_clear(&k);
		ss_free(&v);
	}
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
	        cmocka_unit_test(test_ike_keys_ref),
	        cmocka_unit_test(test_child_keys_ref),
	        cmocka_unit_test(test_auth_psk_ref),
	        cmocka_unit_test(test_keys_derive_refuses),
	        cmocka_unit_test(test_keys_derive_in_place),
	        cmocka_unit_test(test_strongswan_vectors),
	};

	return cmocka_run_group_tests_name("ike_crypto_kdf", tests, NULL, teardown_group);
}
