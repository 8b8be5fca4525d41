/* SPDX-License-Identifier: MIT */
/*
 * Diffie-Hellman: the ECDH vectors of RFC 5903 §8 (groups 19, 20, 21), X25519 from RFC 7748
 * §6.1 and RFC 8031 Appendix A, small-exponent MODP answers anyone can check by hand, agreement
 * for every group, and refusal (-EBADMSG) of malformed peer values (RFC 6989, RFC 8031 §2).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "node/ike/ike_crypto.h"
#include "test_ike_crypto_util.h"

static const uint16_t all_groups[] = {1, 2, 5, 14, 15, 16, 19, 20, 21, 31};
#define NGROUPS (sizeof(all_groups) / sizeof(all_groups[0]))

/* ---- known answers -------------------------------------------------------------------------- */

struct ecdh_kat {
	uint16_t group;
	const char *i, *gi, *r, *gr, *girx;
};

static const struct ecdh_kat ecdh_kats[] = {
        /* RFC 5903 §8.1, 256-bit random ECP group */
        {19, "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
         "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
         "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
         "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
         "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
         "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
         "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE"},
        /* RFC 5903 §8.2, 384-bit random ECP group */
        {20,
         "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
         "E35B5380 41E649EE 3FAEF896 783AB194",
         "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
         "DE3AC808 ACB4BDB4 C88732AE E95F41AA 9482ED1F C0EEB9CA FC498462 5CCFC23F"
         "65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
         "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
         "E0308312 916B8ED2 960E4BD5 5A7448FC",
         "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
         "0D1AC43A 0336DEF9 6FDA41D0 774A3571 DCFBEC7A ACF31964 72169E83 8430367F"
         "66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
         "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
         "D6031355 69B9E9D0 9CF5D4A2 70F59746"},
        /* RFC 5903 §8.3, 521-bit random ECP group */
        {21,
         "0037 ADE9319A 89F4DABD B3EF411A ACCCA512 3C61ACAB 57B5393D CE47608172A095AA"
         "85A30FE1 C2952C67 71D937BA 9777F595 7B2639BA B072462F 68C27A57 382D4A52",
         "0015 417E84DB F28C0AD3 C2787133 49DC7DF1 53C897A1 891BD98B AB4357C9 ECBEE1E3"
         "BF42E00B 8E380AEA E57C2D10 75649418 85942AF5 A7F46017 23C4195D 176CED3E"
         "017C AE20B664 1D2EEB69 5786D8C9 46146239 D099E18E 1D5A514C 739D7CB4 A10AD8A7"
         "88015AC4 05D7799D C75E7B7D 5B6CF226 1A6A7F15 07438BF0 1BEB6CA3 926F9582",
         "0145 BA99A847 AF43793F DD0E872E 7CDFA16B E30FDC78 0F97BCCC 3F078380 201E9C67"
         "7D600B34 3757A3BD BF2A3163 E4C2F869 CCA7458A A4A4EFFC 311F5CB1 51685EB9",
         "00D0 B3975AC4 B799F5BE A16D5E13 E9AF971D 5E9B984C 9F39728B 5E573973 5A219B97"
         "C356436A DC6E95BB 0352F6BE 64A6C291 2D4EF2D0 433CED2B 61716400 12D9460F"
         "015C 68226383 956E3BD0 66E797B6 23C27CE0 EAC2F551 A10C2C72 4D985207 7B87220B"
         "6536C5C4 08A1D2AE BB8E86D6 78AE49CB 57091F47 32296579 AB44FCD1 7F0FC56A",
         "0114 4C7D79AE 6956BC8E DB8E7C78 7C4521CB 086FA644 07F97894 E5E6B2D7 9B04D142"
         "7E73CA4B AA240A34 78685981 0C06B3C7 15A3A8CC 3151F2BE E417996D 19F3DDEA"},
        /* RFC 7748 §6.1 (Alice = i, Bob = r) */
        {31, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
         "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
         "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
        /* RFC 8031 Appendix A */
        {31,
         "75 1f b4 30 86 55 b4 76 b6 78 9b 73 25 f9 ea 8c dd d1 6a 58 53 3f f6 d9 e6 00 09 46 4a "
         "5f 9d 94",
         "48 d5 dd d4 06 12 57 ba 16 6f a3 f9 bb db 74 f1 a4 e8 1c 08 93 84 fa 77 f7 90 70 9f 0d "
         "fb c7 66",
         "0a 54 64 52 53 29 0d 60 dd ad d0 e0 30 ba cd 9e 55 01 ef dc 22 07 55 a1 e9 78 f1 b8 39 "
         "a0 56 88",
         "0b e7 c1 f5 aa d8 7d 7e 44 86 62 67 32 98 a4 43 47 8b 85 97 45 17 9e af 56 4c 79 c0 ef "
         "6e ee 25",
         "c7 49 50 60 7a 12 32 7f 32 04 d9 4b 68 25 bf b0 68 b7 f8 31 9a 9e 37 08 ed 3d 43 ce 81 "
         "30 c9 50"},
};

static struct ike_dh *
dh_from_hex(uint16_t group, const char *hex)
{
	uint8_t priv[128];
	size_t n = tv_hex(hex, priv, sizeof(priv));
	struct ike_dh *dh = NULL;

	assert_int_equal(ike_dh_new_from_private(group, priv, n, &dh), 0);
	assert_int_equal(ike_dh_group(dh), group);
	return dh;
}

static void
assert_pub(const struct ike_dh *dh, uint16_t group, const char *hex)
{
	uint8_t pub[IKE_DH_MAX_PUB_LEN];
	size_t len = ike_dh_pub_len(group);

	assert_int_equal(ike_dh_pub(dh, pub, len), 0);
	tv_assert_hex(pub, len, hex);
}

static void
assert_shared(struct ike_dh *dh, const char *peer_hex, const char *want)
{
	uint8_t peer[IKE_DH_MAX_PUB_LEN];
	size_t n = tv_hex(peer_hex, peer, sizeof(peer));
	struct secret z = {0};

	assert_int_equal(ike_dh_shared(dh, peer, n, &z), 0);
	tv_assert_secret(&z, want);
	secret_clear(&z);
}

static void
test_ecdh_kats(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(ecdh_kats) / sizeof(ecdh_kats[0]); k++) {
		const struct ecdh_kat *t = &ecdh_kats[k];
		struct ike_dh *i = dh_from_hex(t->group, t->i), *r = dh_from_hex(t->group, t->r);

		print_message("group %u\n", t->group);
		assert_pub(i, t->group, t->gi);
		assert_pub(r, t->group, t->gr);
		assert_shared(i, t->gr, t->girx);
		assert_shared(r, t->gi, t->girx);
		ike_dh_free(i);
		ike_dh_free(r);
	}
}

/*
 * MODP by hand: with x = 2 the public value is g^2 = 4, and with the peer's y = 3 the secret
 * is 9; with x = 0x0102 and y = 4, g^x = 2^258 and y^x = 2^516, all below p. The values are
 * zero-padded to the prime's length (RFC 7296 §2.14, §3.4).
 */
static void
test_modp_small_exponents(void **state)
{
	static const uint8_t two[] = {2}, x258[] = {0x01, 0x02};
	uint8_t want[IKE_DH_MAX_PUB_LEN], peer[IKE_DH_MAX_PUB_LEN];
	struct ike_dh *dh;
	struct secret z = {0};

	(void)state;
	for (size_t k = 0; k < 6; k++) {
		uint16_t g = all_groups[k];
		size_t len = ike_dh_pub_len(g);

		print_message("group %u\n", g);
		assert_int_equal(ike_dh_new_from_private(g, two, 1, &dh), 0);
		assert_int_equal(ike_dh_pub(dh, peer, len), 0);
		memset(want, 0, len);
		want[len - 1] = 4;
		assert_memory_equal(peer, want, len);
		want[len - 1] = 3;
		assert_int_equal(ike_dh_shared(dh, want, len, &z), 0);
		want[len - 1] = 9;
		assert_int_equal(z.s_len, len);
		assert_memory_equal(z.s_data, want, len);
		ike_dh_free(dh);

		assert_int_equal(ike_dh_new_from_private(g, x258, 2, &dh), 0);
		assert_int_equal(ike_dh_pub(dh, peer, len), 0);
		memset(want, 0, len);
		want[len - 1 - 32] = 0x04; /* 2^258 = 4 * 2^256 */
		assert_memory_equal(peer, want, len);
		memset(want, 0, len);
		want[len - 1] = 4;
		assert_int_equal(ike_dh_shared(dh, want, len, &z), 0);
		want[len - 1] = 0;
		want[len - 1 - 64] = 0x10; /* 2^516 = 16 * 2^512 */
		assert_memory_equal(z.s_data, want, len);
		ike_dh_free(dh);
	}
	secret_clear(&z);
}

/* ---- agreement ------------------------------------------------------------------------------ */

static void
test_agreement_every_group(void **state)
{
	uint8_t pa[IKE_DH_MAX_PUB_LEN], pb[IKE_DH_MAX_PUB_LEN];

	(void)state;
	for (size_t k = 0; k < NGROUPS; k++) {
		uint16_t g = all_groups[k];
		size_t len = ike_dh_pub_len(g), zlen = (g >= 19 && g <= 21) ? len / 2 : len;
		struct ike_dh *a = NULL, *b = NULL;
		struct secret za = {0}, zb = {0};

		print_message("group %u\n", g);
		assert_int_equal(ike_dh_new(g, &a), 0);
		assert_int_equal(ike_dh_new(g, &b), 0);
		assert_int_equal(ike_dh_group(a), g);
		assert_int_equal(ike_dh_pub(a, pa, len), 0);
		assert_int_equal(ike_dh_pub(b, pb, len), 0);
		assert_memory_not_equal(pa, pb, len);
		assert_int_equal(ike_dh_shared(a, pb, len, &za), 0);
		assert_int_equal(ike_dh_shared(b, pa, len, &zb), 0);
		assert_int_equal(za.s_len, zlen);
		assert_true(secret_eq(&za, &zb));
		/* a second computation from the same key pair gives the same secret */
		assert_int_equal(ike_dh_shared(a, pb, len, &zb), 0);
		assert_true(secret_eq(&za, &zb));
		secret_clear(&za);
		secret_clear(&zb);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

static void
test_pub_lengths(void **state)
{
	static const size_t want[NGROUPS] = {96, 128, 192, 256, 384, 512, 64, 96, 132, 32};
	struct ike_dh *dh;
	uint8_t pub[IKE_DH_MAX_PUB_LEN + 1];

	(void)state;
	for (size_t k = 0; k < NGROUPS; k++)
		assert_int_equal(ike_dh_pub_len(all_groups[k]), want[k]);
	assert_int_equal(ike_dh_pub_len(0), 0);
	assert_int_equal(ike_dh_pub_len(3), 0);
	assert_int_equal(ike_dh_new(22, &dh), -ENOTSUP);
	assert_int_equal(ike_dh_new(0, &dh), -ENOTSUP);
	assert_int_equal(ike_dh_new_from_private(24, pub, 1, &dh), -ENOTSUP);
	assert_int_equal(ike_dh_new(19, &dh), 0);
	assert_int_equal(ike_dh_pub(dh, pub, 65), -EINVAL);
	assert_int_equal(ike_dh_pub(dh, pub, 63), -EINVAL);
	ike_dh_free(dh);
	ike_dh_free(NULL);
	/* known private values must have the group's length (ECP, X25519) */
	memset(pub, 1, sizeof(pub));
	assert_int_equal(ike_dh_new_from_private(19, pub, 31, &dh), -EINVAL);
	assert_int_equal(ike_dh_new_from_private(31, pub, 33, &dh), -EINVAL);
	assert_int_equal(ike_dh_new_from_private(14, pub, 257, &dh), -EINVAL);
}

/* ---- refused peer values -------------------------------------------------------------------- */

static void
assert_refused(struct ike_dh *dh, const uint8_t *peer, size_t len)
{
	struct secret z = {0};

	assert_int_equal(ike_dh_shared(dh, peer, len, &z), -EBADMSG);
	assert_null(z.s_data);
}

/* The prime of a MODP group as big-endian octets; OpenSSL's named groups are RFC 3526's. */
static void
modp_prime(uint16_t g, uint8_t *p, size_t len)
{
	static const char *const name[] = {
	        [5] = "modp_1536", [14] = "modp_2048", [15] = "modp_3072", [16] = "modp_4096"};
	static const char oakley[] = "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
	                             "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
	                             "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"
	                             "E485B576 625E7EC6 F44C42E9 A6";
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL;
	OSSL_PARAM params[2];
	char gname[16];

	if (g == 1 || g == 2) { /* RFC 2409 §6.1, §6.2 */
		size_t n = tv_hex(oakley, p, len);

		n += tv_hex(g == 1 ? "3A3620 FFFFFFFF FFFFFFFF"
		                   : "37ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6"
		                     "49286651 ECE65381 FFFFFFFF FFFFFFFF",
		            p + n, len - n);
		assert_int_equal(n, len);
		return;
	}
	strcpy(gname, name[g]);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, gname, 0);
	params[1] = OSSL_PARAM_construct_end();
	assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEY_PARAMETERS, params), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_FFC_P, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, p, (int)len), (int)len);
	BN_free(bn);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
}

/* RFC 6989 §2.1: 1 < y < p - 1; and the KE data must be exactly the prime's length. */
static void
test_modp_refuses(void **state)
{
	uint8_t y[IKE_DH_MAX_PUB_LEN + 1];
	struct secret z = {0};

	(void)state;
	for (size_t k = 0; k < 6; k++) {
		uint16_t g = all_groups[k];
		size_t len = ike_dh_pub_len(g);
		struct ike_dh *dh;

		print_message("group %u\n", g);
		assert_int_equal(ike_dh_new(g, &dh), 0);
		memset(y, 0, sizeof(y));
		assert_refused(dh, y, len); /* 0 */
		y[len - 1] = 1;
		assert_refused(dh, y, len); /* 1 */
		modp_prime(g, y, len);
		assert_refused(dh, y, len); /* p */
		y[len - 1]--;
		assert_refused(dh, y, len); /* p - 1 */
		y[len - 1]--;
		assert_int_equal(ike_dh_shared(dh, y, len, &z), 0); /* p - 2 is in range */
		memset(y, 0xff, sizeof(y));
		assert_refused(dh, y, len); /* > p */
		memset(y, 0, sizeof(y));
		y[len - 1] = 2;
		assert_int_equal(ike_dh_shared(dh, y, len, &z), 0); /* 2 is in range */
		assert_refused(dh, y + 1, len - 1);                 /* one octet short */
		y[len] = 2;
		assert_refused(dh, y, len + 1); /* one octet long */
		assert_refused(dh, NULL, len);
		secret_clear(&z);
		ike_dh_free(dh);
	}
}

/* RFC 6989 §2.3 / RFC 5903: a point off the curve, at (0, 0) or with a coordinate >= p. */
static void
test_ecp_refuses(void **state)
{
	uint8_t pt[IKE_DH_MAX_PUB_LEN + 1];

	(void)state;
	for (uint16_t g = 19; g <= 21; g++) {
		size_t len = ike_dh_pub_len(g);
		struct ike_dh *dh, *other;

		print_message("group %u\n", g);
		assert_int_equal(ike_dh_new(g, &dh), 0);
		assert_int_equal(ike_dh_new(g, &other), 0);
		assert_int_equal(ike_dh_pub(other, pt, len), 0);
		pt[len - 1] ^= 1; /* y + 1 or y - 1: not on the curve */
		assert_refused(dh, pt, len);
		pt[len - 1] ^= 1;
		pt[0] ^= 0x01; /* x changed */
		assert_refused(dh, pt, len);
		pt[0] ^= 0x01;
		assert_refused(dh, pt, len - 1);
		assert_refused(dh, pt, len + 1);
		memset(pt, 0, sizeof(pt));
		assert_refused(dh, pt, len); /* (0, 0) */
		memset(pt, 0xff, sizeof(pt));
		assert_refused(dh, pt, len); /* coordinates >= p */
		/* the untouched value is still accepted by the same object afterwards */
		assert_int_equal(ike_dh_pub(other, pt, len), 0);
		{
			struct secret z = {0};

			assert_int_equal(ike_dh_shared(dh, pt, len, &z), 0);
			secret_clear(&z);
		}
		ike_dh_free(dh);
		ike_dh_free(other);
	}
}

/* RFC 8031 §2: an all-zero shared secret (small-order peer values) MUST be refused. */
static void
test_x25519_refuses(void **state)
{
	uint8_t u[33];
	struct ike_dh *dh;

	(void)state;
	assert_int_equal(ike_dh_new(31, &dh), 0);
	memset(u, 0, sizeof(u));
	assert_refused(dh, u, 32); /* u = 0 */
	u[0] = 1;
	assert_refused(dh, u, 32); /* u = 1, order 4 */
	/* u = 2^255 - 19 - 1 = p - 1, order 2 */
	tv_hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", u, 32);
	assert_refused(dh, u, 32);
	/* a point of order 8 (the list in "Curve25519 small order points", cr.yp.to) */
	tv_hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", u, 32);
	assert_refused(dh, u, 32);
	assert_refused(dh, u, 31);
	assert_refused(dh, u, 33);
	ike_dh_free(dh);
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
	        cmocka_unit_test(test_ecdh_kats),
	        cmocka_unit_test(test_modp_small_exponents),
	        cmocka_unit_test(test_agreement_every_group),
	        cmocka_unit_test(test_pub_lengths),
	        cmocka_unit_test(test_modp_refuses),
	        cmocka_unit_test(test_ecp_refuses),
	        cmocka_unit_test(test_x25519_refuses),
	};

	return cmocka_run_group_tests_name("ike_crypto_dh", tests, NULL, teardown_group);
}
