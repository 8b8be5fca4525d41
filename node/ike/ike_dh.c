/* SPDX-License-Identifier: MIT */
/*
 * Diffie-Hellman for the KE payload (RFC 7296 §3.4) over EVP_PKEY: MODP groups 1 and 2 from
 * the RFC 2409 primes, 5/14/15/16 from OpenSSL's named RFC 3526 groups, ECP 19/20/21 with the
 * public value x | y and the x coordinate as shared secret (RFC 5903 §7), and X25519 (RFC
 * 8031). Peer values are checked before use (RFC 6989); every refusal is -EBADMSG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "node/ike/ike_crypto.h"
#include "node/ike/ike_crypto_int.h"

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

struct dh_group {
	uint16_t id;
	enum dh_kind kind;
	const char *name;      /* OpenSSL's group or algorithm name; NULL for RFC 2409 groups */
	const char *prime_hex; /* RFC 2409 §6.1, §6.2 (generator 2) */
	int nid;               /* ECP: the curve, for ike_dh_new_from_private */
	uint16_t pub_len;      /* KE payload data: prime octets, 2 x coordinate octets, 32 */
};

/* RFC 2409 §6.1, First Oakley Group: 2^768 - 2^704 - 1 + 2^64 * { [2^638 pi] + 149686 } */
static const char oakley1_hex[] = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
                                  "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
                                  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
                                  "E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";
/* RFC 2409 §6.2, Second Oakley Group: 2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 } */
static const char oakley2_hex[] = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
                                  "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
                                  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
                                  "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
                                  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
                                  "FFFFFFFFFFFFFFFF";

/* Private exponent length for groups 1 and 2; without it OpenSSL would use p's length - 1. */
#define OAKLEY_PRIV_BITS 256

static const struct dh_group groups[] = {
        {1, DH_MODP, NULL, oakley1_hex, 0, 96},
        {2, DH_MODP, NULL, oakley2_hex, 0, 128},
        {5, DH_MODP, "modp_1536", NULL, 0, 192},
        {14, DH_MODP, "modp_2048", NULL, 0, 256},
        {15, DH_MODP, "modp_3072", NULL, 0, 384},
        {16, DH_MODP, "modp_4096", NULL, 0, 512},
        {19, DH_ECP, "P-256", NULL, NID_X9_62_prime256v1, 64},
        {20, DH_ECP, "P-384", NULL, NID_secp384r1, 96},
        {21, DH_ECP, "P-521", NULL, NID_secp521r1, 132},
        {31, DH_X25519, "X25519", NULL, 0, 32},
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* Per group, built on first use and kept until ike_dh_cleanup (single-threaded). */
static struct dh_state {
	EVP_PKEY *params;                /* MODP, ECP: domain parameters */
	EVP_PKEY_CTX *keygen;            /* reused for every key pair of the group */
	uint8_t pm1[IKE_DH_MAX_PUB_LEN]; /* MODP: p - 1, big-endian, pub_len octets */
} states[NGROUPS];

struct ike_dh {
	const struct dh_group *g;
	const struct dh_state *st;
	EVP_PKEY *pkey;
	uint8_t pub[IKE_DH_MAX_PUB_LEN];
};

static const struct dh_group *
group_find(uint16_t id, struct dh_state **st)
{
	for (size_t i = 0; i < NGROUPS; i++) {
		if (groups[i].id == id) {
			if (st)
				*st = &states[i];
			return &groups[i];
		}
	}
	return NULL;
}

/* ---- domain parameters --------------------------------------------------------------------- */

/*
 * Pushes a MODP group's domain parameters: its name, or p and g = 2. No q for the RFC 2409
 * groups: OpenSSL 3 refuses to generate keys in a q-subgroup weaker than 112 bits, and peer
 * values are range-checked here anyway (RFC 6989 §2.1 needs no subgroup test for safe primes).
 */
static int
modp_push_domain(OSSL_PARAM_BLD *bld, const struct dh_group *g, BIGNUM **keep)
{
	BIGNUM *p = NULL, *two = NULL;

	if (g->name)
		return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0)
		               ? 0
		               : -ENOMEM;
	/* The builder keeps pointers to the BIGNUMs until OSSL_PARAM_BLD_to_param; keep[] owns
	 * them. */
	if (!BN_hex2bn(&p, g->prime_hex) || !(two = BN_new()) || !BN_set_word(two, 2)) {
		BN_free(p);
		BN_free(two);
		return -ENOMEM;
	}
	keep[0] = p;
	keep[1] = two;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, two))
		return -ENOMEM;
	return 0;
}

static void
bn_free_all(BIGNUM **bn, size_t n)
{
	for (size_t i = 0; i < n; i++)
		BN_clear_free(bn[i]);
}

/* EVP_PKEY_fromdata for the group's algorithm ("DH", "EC", "X25519") from a parameter builder. */
static int
pkey_from_bld(const struct dh_group *g, OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **out)
{
	const char *alg = g->kind == DH_MODP ? "DH" : g->kind == DH_ECP ? "EC" : "X25519";
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	int rc = -ENOMEM;

	if (!params || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)))
		goto out;
	rc = -EINVAL;
	if (EVP_PKEY_fromdata_init(ctx) > 0 && EVP_PKEY_fromdata(ctx, out, selection, params) > 0)
		rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return rc < 0 ? ike_ossl_fail(rc) : 0;
}

static int
domain_params(const struct dh_group *g, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *keep[2] = {NULL, NULL};
	int rc = -ENOMEM;

	if (!bld)
		return rc;
	if (g->kind == DH_MODP)
		rc = modp_push_domain(bld, g, keep);
	else
		rc = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0)
		             ? 0
		             : -ENOMEM;
	if (rc == 0)
		rc = pkey_from_bld(g, bld, EVP_PKEY_KEY_PARAMETERS, out);
	OSSL_PARAM_BLD_free(bld);
	bn_free_all(keep, 2);
	return rc;
}

/* p - 1 as pub_len big-endian octets, for the range check of peer values (p is odd). */
static int
modp_pm1(const struct dh_group *g, EVP_PKEY *params, uint8_t *pm1)
{
	BIGNUM *p = NULL;
	int rc = -EINVAL;

	if (EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) &&
	    BN_bn2binpad(p, pm1, g->pub_len) == g->pub_len && (pm1[g->pub_len - 1] & 1)) {
		pm1[g->pub_len - 1]--;
		rc = 0;
	}
	BN_free(p);
	return rc < 0 ? ike_ossl_fail(rc) : 0;
}

static int
state_build(const struct dh_group *g, struct dh_state *st)
{
	int rc;

	if (g->kind == DH_X25519) {
		st->keygen = EVP_PKEY_CTX_new_from_name(NULL, g->name, NULL);
	} else {
		if ((rc = domain_params(g, &st->params)) < 0)
			return rc;
		if (g->kind == DH_MODP && (rc = modp_pm1(g, st->params, st->pm1)) < 0)
			return rc;
		st->keygen = EVP_PKEY_CTX_new_from_pkey(NULL, st->params, NULL);
	}
	if (!st->keygen)
		return ike_ossl_fail(-ENOMEM);
	if (EVP_PKEY_keygen_init(st->keygen) <= 0)
		return ike_ossl_fail(-EINVAL);
	if (g->prime_hex) {
		int bits = OAKLEY_PRIV_BITS;
		OSSL_PARAM params[2] = {
		        OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &bits),
		        OSSL_PARAM_construct_end(),
		};

		if (!EVP_PKEY_CTX_set_params(st->keygen, params))
			return ike_ossl_fail(-EINVAL);
	}
	return 0;
}

static int
state_get(const struct dh_group *g, struct dh_state *st)
{
	int rc;

	if (st->keygen)
		return 0;
	if ((rc = state_build(g, st)) < 0) {
		EVP_PKEY_CTX_free(st->keygen);
		EVP_PKEY_free(st->params);
		memset(st, 0, sizeof(*st));
	}
	return rc;
}

void
ike_dh_cleanup(void)
{
	for (size_t i = 0; i < NGROUPS; i++) {
		EVP_PKEY_CTX_free(states[i].keygen);
		EVP_PKEY_free(states[i].params);
		memset(&states[i], 0, sizeof(states[i]));
	}
}

/* ---- key pairs ----------------------------------------------------------------------------- */

/* Our public value as the KE payload carries it (RFC 7296 §3.4, RFC 5903 §7, RFC 8031 §2). */
static int
pub_encode(struct ike_dh *dh)
{
	const struct dh_group *g = dh->g;
	uint8_t buf[1 + IKE_DH_MAX_PUB_LEN];
	BIGNUM *y = NULL;
	size_t len = 0;
	int ok = 0;

	switch (g->kind) {
	case DH_MODP:
		ok = EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) &&
		     BN_bn2binpad(y, dh->pub, g->pub_len) == g->pub_len;
		BN_free(y);
		break;
	case DH_ECP: /* uncompressed point 0x04 | x | y without its first octet */
		ok = EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		                                     buf, sizeof(buf), &len) &&
		     len == 1u + g->pub_len && buf[0] == POINT_CONVERSION_UNCOMPRESSED;
		if (ok)
			memcpy(dh->pub, buf + 1, g->pub_len);
		break;
	case DH_X25519:
		len = g->pub_len;
		ok = EVP_PKEY_get_raw_public_key(dh->pkey, dh->pub, &len) && len == g->pub_len;
		break;
	}
	return ok ? 0 : ike_ossl_fail(-EINVAL);
}

static int
dh_wrap(const struct dh_group *g, const struct dh_state *st, EVP_PKEY *pkey, struct ike_dh **out)
{
	struct ike_dh *dh = calloc(1, sizeof(*dh));
	int rc;

	if (!dh) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	dh->g = g;
	dh->st = st;
	dh->pkey = pkey;
	if ((rc = pub_encode(dh)) < 0) {
		ike_dh_free(dh);
		return rc;
	}
	*out = dh;
	return 0;
}

int
ike_dh_new(uint16_t group, struct ike_dh **out)
{
	struct dh_state *st;
	const struct dh_group *g = group_find(group, &st);
	EVP_PKEY *pkey = NULL;
	int rc;

	if (!g)
		return -ENOTSUP;
	if ((rc = state_get(g, st)) < 0)
		return rc;
	if (EVP_PKEY_generate(st->keygen, &pkey) <= 0)
		return ike_ossl_fail(-ENOMEM);
	return dh_wrap(g, st, pkey, out);
}

uint16_t
ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

size_t
ike_dh_pub_len(uint16_t group)
{
	const struct dh_group *g = group_find(group, NULL);

	return g ? g->pub_len : 0;
}

int
ike_dh_pub(const struct ike_dh *dh, uint8_t *out, size_t len)
{
	if (len != dh->g->pub_len)
		return -EINVAL;
	memcpy(out, dh->pub, len);
	return 0;
}

void
ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey); /* private keys are cleared by OpenSSL when freed */
	free(dh);
}

/* ---- known private values (tests) ---------------------------------------------------------- */

/* ECP: pub = priv x G, computed here because EC fromdata does not derive it in OpenSSL 3.0. */
static int
ecp_pub_from_priv(const struct dh_group *g, const BIGNUM *priv, uint8_t *pub, size_t len)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	int rc = -EINVAL;

	if (pt && EC_POINT_mul(grp, pt, priv, NULL, NULL, NULL) &&
	    EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub, len, NULL) == len)
		rc = 0;
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return rc;
}

static int
ecp_from_private(const struct dh_group *g, const uint8_t *priv, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *x = BN_bin2bn(priv, (int)len, NULL);
	uint8_t pub[1 + IKE_DH_MAX_PUB_LEN];
	int rc = -ENOMEM;

	if (!bld || !x)
		goto out;
	if ((rc = ecp_pub_from_priv(g, x, pub, 1u + g->pub_len)) < 0)
		goto out;
	rc = -ENOMEM;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1u + g->pub_len))
		rc = pkey_from_bld(g, bld, EVP_PKEY_KEYPAIR, out);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	return rc < 0 ? ike_ossl_fail(rc) : 0;
}

static int
modp_from_private(const struct dh_group *g, EVP_PKEY *params, const uint8_t *priv, size_t len,
                  EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *keep[2] = {NULL, NULL}, *p = NULL, *x = BN_bin2bn(priv, (int)len, NULL);
	BIGNUM *y = BN_new(), *two = BN_new();
	BN_CTX *bnctx = BN_CTX_new();
	int rc = -ENOMEM;

	if (!bld || !x || !y || !two || !bnctx || !BN_set_word(two, 2))
		goto out;
	if (!EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) ||
	    !BN_mod_exp(y, two, x, p, bnctx))
		goto out;
	if ((rc = modp_push_domain(bld, g, keep)) < 0)
		goto out;
	rc = -ENOMEM;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		rc = pkey_from_bld(g, bld, EVP_PKEY_KEYPAIR, out);
out:
	OSSL_PARAM_BLD_free(bld);
	bn_free_all(keep, 2);
	BN_free(p);
	BN_clear_free(x);
	BN_free(y);
	BN_free(two);
	BN_CTX_free(bnctx);
	return rc < 0 ? ike_ossl_fail(rc) : 0;
}

int
ike_dh_new_from_private(uint16_t group, const uint8_t *priv, size_t len, struct ike_dh **out)
{
	struct dh_state *st;
	const struct dh_group *g = group_find(group, &st);
	EVP_PKEY *pkey = NULL;
	int rc;

	if (!g)
		return -ENOTSUP;
	if ((rc = state_get(g, st)) < 0)
		return rc;
	switch (g->kind) {
	case DH_MODP:
		if (len == 0 || len > g->pub_len)
			return -EINVAL;
		rc = modp_from_private(g, st->params, priv, len, &pkey);
		break;
	case DH_ECP:
		if (len != g->pub_len / 2u)
			return -EINVAL;
		rc = ecp_from_private(g, priv, len, &pkey);
		break;
	case DH_X25519:
		if (len != g->pub_len)
			return -EINVAL;
		pkey = EVP_PKEY_new_raw_private_key_ex(NULL, g->name, NULL, priv, len);
		rc = pkey ? 0 : ike_ossl_fail(-EINVAL);
		break;
	}
	if (rc < 0)
		return rc;
	return dh_wrap(g, st, pkey, out);
}

/* ---- the shared secret --------------------------------------------------------------------- */

/* RFC 6989 §2.1 for MODP groups: "the recipient MUST check that 1 < r < p-1". */
static bool
modp_in_range(const uint8_t *y, const uint8_t *pm1, size_t len)
{
	bool above_one = y[len - 1] > 1;

	for (size_t i = 0; i + 1 < len && !above_one; i++)
		above_one = y[i] != 0;
	return above_one && memcmp(y, pm1, len) < 0;
}

/*
 * The peer's value as an EVP_PKEY with our group's parameters. For ECP the point is rebuilt as
 * 0x04 | x | y; OpenSSL refuses coordinates >= p and points not on the curve (RFC 6989 §2.3),
 * and since groups 19, 20 and 21 have cofactor 1 a point on the curve is in the group.
 */
static int
peer_import(const struct ike_dh *dh, const uint8_t *peer, size_t len, EVP_PKEY **out)
{
	const struct dh_state *st = dh->st;
	uint8_t pt[1 + IKE_DH_MAX_PUB_LEN];
	EVP_PKEY *pk;

	if (dh->g->kind == DH_X25519) {
		pk = EVP_PKEY_new_raw_public_key_ex(NULL, dh->g->name, NULL, peer, len);
		if (!pk)
			return ike_ossl_fail(-EBADMSG);
		*out = pk;
		return 0;
	}
	if (dh->g->kind == DH_MODP && !modp_in_range(peer, st->pm1, len))
		return -EBADMSG;
	if (!(pk = EVP_PKEY_dup(st->params)))
		return ike_ossl_fail(-ENOMEM);
	pt[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(pt + 1, peer, len);
	if (dh->g->kind == DH_ECP ? !EVP_PKEY_set1_encoded_public_key(pk, pt, len + 1)
	                          : !EVP_PKEY_set1_encoded_public_key(pk, peer, len)) {
		EVP_PKEY_free(pk);
		return ike_ossl_fail(-EBADMSG);
	}
	*out = pk;
	return 0;
}

/* g^ir: MODP zero-padded to the prime's length (RFC 7296 §2.14), ECP the x coordinate. */
static int
derive(struct ike_dh *dh, EVP_PKEY *peer, uint8_t *z, size_t want)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	size_t len = want;
	int rc = -EBADMSG;

	if (!ctx)
		return ike_ossl_fail(-ENOMEM);
	if (EVP_PKEY_derive_init(ctx) <= 0 ||
	    (dh->g->kind == DH_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)) {
		rc = -EINVAL;
		goto out;
	}
	/* The peer value was checked by peer_import; no second (full) public key check. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) > 0 && EVP_PKEY_derive(ctx, z, &len) > 0 &&
	    len == want)
		rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc < 0 ? ike_ossl_fail(rc) : 0;
}

int
ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t len, struct secret *out)
{
	static const uint8_t zero[32];
	const struct dh_group *g = dh->g;
	size_t zlen = g->kind == DH_ECP ? g->pub_len / 2u : g->pub_len;
	uint8_t z[IKE_DH_MAX_PUB_LEN];
	EVP_PKEY *pk = NULL;
	int rc;

	if (!peer || len != g->pub_len)
		return -EBADMSG;
	if ((rc = peer_import(dh, peer, len, &pk)) < 0)
		return rc;
	rc = derive(dh, pk, z, zlen);
	EVP_PKEY_free(pk);
	/* RFC 8031 §2: "MUST check whether the computed Diffie-Hellman shared secret is the
	 * all-zero value and abort if so" (OpenSSL's X25519 refuses it as well). */
	if (rc == 0 && g->kind == DH_X25519 && CRYPTO_memcmp(z, zero, sizeof(zero)) == 0)
		rc = -EBADMSG;
	if (rc == 0)
		rc = secret_set(out, z, zlen);
	OPENSSL_cleanse(z, sizeof(z));
	return rc;
}
