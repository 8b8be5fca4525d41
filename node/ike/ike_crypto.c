/* SPDX-License-Identifier: MIT */
/*
 * The algorithm registry (configuration enums <-> IANA transform ids, RFC 7296 §3.3.2), the
 * PRF and prf+ (RFC 7296 §2.13), one-shot integrity ICVs, NAT detection hashes (§2.23) and
 * cookies (§2.6). Key derivation is in ike_crypto_kdf.c, the SK payload in ike_crypto_sk.c.
 */
#include "node/ike/ike_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "node/ike/ike_const.h"
#include "node/ike/ike_crypto_int.h"

/* ---- registry ------------------------------------------------------------------------------ */

static const struct {
	uint16_t id, keylen_bits;
} encr_iana[CFG_ENCR_COUNT] = {
        [CFG_ENCR_NULL] = {IKE_ENCR_NULL, 0},
        [CFG_ENCR_DES_CBC] = {IKE_ENCR_DES, 0},
        [CFG_ENCR_3DES_CBC] = {IKE_ENCR_3DES, 0},
        [CFG_ENCR_AES128_CBC] = {IKE_ENCR_AES_CBC, 128},
        [CFG_ENCR_AES192_CBC] = {IKE_ENCR_AES_CBC, 192},
        [CFG_ENCR_AES256_CBC] = {IKE_ENCR_AES_CBC, 256},
        [CFG_ENCR_AES128_GCM16] = {IKE_ENCR_AES_GCM_16, 128},
        [CFG_ENCR_AES256_GCM16] = {IKE_ENCR_AES_GCM_16, 256},
        [CFG_ENCR_CHACHA20_POLY1305] = {IKE_ENCR_CHACHA20_POLY1305, 0},
};

static const uint16_t integ_iana[CFG_INTEG_COUNT] = {
        [CFG_INTEG_NONE] = IKE_INTEG_NONE,
        [CFG_INTEG_HMAC_MD5_96] = IKE_INTEG_HMAC_MD5_96,
        [CFG_INTEG_HMAC_SHA1_96] = IKE_INTEG_HMAC_SHA1_96,
        [CFG_INTEG_HMAC_SHA2_256_128] = IKE_INTEG_HMAC_SHA2_256_128,
        [CFG_INTEG_HMAC_SHA2_384_192] = IKE_INTEG_HMAC_SHA2_384_192,
        [CFG_INTEG_HMAC_SHA2_512_256] = IKE_INTEG_HMAC_SHA2_512_256,
        [CFG_INTEG_AES_XCBC_96] = IKE_INTEG_AES_XCBC_96,
};

static const uint16_t prf_iana[CFG_PRF_COUNT] = {
        [CFG_PRF_HMAC_MD5] = IKE_PRF_HMAC_MD5,
        [CFG_PRF_HMAC_SHA1] = IKE_PRF_HMAC_SHA1,
        [CFG_PRF_AES128_XCBC] = IKE_PRF_AES128_XCBC,
        [CFG_PRF_HMAC_SHA2_256] = IKE_PRF_HMAC_SHA2_256,
        [CFG_PRF_HMAC_SHA2_384] = IKE_PRF_HMAC_SHA2_384,
        [CFG_PRF_HMAC_SHA2_512] = IKE_PRF_HMAC_SHA2_512,
};

void
ike_encr_to_iana(enum cfg_encr e, uint16_t *id, uint16_t *keylen_bits)
{
	*id = (unsigned)e < CFG_ENCR_COUNT ? encr_iana[e].id : 0;
	*keylen_bits = (unsigned)e < CFG_ENCR_COUNT ? encr_iana[e].keylen_bits : 0;
}

/*
 * RFC 7296 §3.3.5: AES-CBC and AES-GCM need a Key Length attribute; fixed-length ciphers
 * (DES, 3DES, ChaCha20-Poly1305, NULL) must not carry one, so a non-zero length is refused.
 */
bool
ike_encr_from_iana(uint16_t id, uint16_t keylen_bits, enum cfg_encr *out)
{
	for (unsigned i = 0; i < CFG_ENCR_COUNT; i++) {
		if (encr_iana[i].id == id && encr_iana[i].keylen_bits == keylen_bits) {
			*out = (enum cfg_encr)i;
			return true;
		}
	}
	return false;
}

uint16_t
ike_integ_to_iana(enum cfg_integ i)
{
	return (unsigned)i < CFG_INTEG_COUNT ? integ_iana[i] : 0;
}

bool
ike_integ_from_iana(uint16_t id, enum cfg_integ *out)
{
	for (unsigned i = 0; i < CFG_INTEG_COUNT; i++) {
		if (integ_iana[i] == id) {
			*out = (enum cfg_integ)i;
			return true;
		}
	}
	return false;
}

uint16_t
ike_prf_to_iana(enum cfg_prf p)
{
	return (unsigned)p < CFG_PRF_COUNT ? prf_iana[p] : 0;
}

bool
ike_prf_from_iana(uint16_t id, enum cfg_prf *out)
{
	for (unsigned i = 0; i < CFG_PRF_COUNT; i++) {
		if (prf_iana[i] == id) {
			*out = (enum cfg_prf)i;
			return true;
		}
	}
	return false;
}

/* ---- PRF and prf+ (RFC 7296 §2.13) --------------------------------------------------------- */

size_t
ike_prf_len(enum cfg_prf p)
{
	const struct cfg_prf_info *pi = cfg_prf_info(p);

	return pi ? pi->out_len : 0;
}

int
ike_prf(enum cfg_prf p, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
        uint8_t *out)
{
	struct ike_iov iov = {data, dlen};
	enum ike_mac_alg alg;

	if (!ike_mac_of_prf(p, &alg))
		return -EINVAL;
	return ike_mac_oneshot(alg, key, klen, &iov, 1, out);
}

/* One more block: T(n) = prf(K, T(n-1) | S | n); T(0) is empty. */
static int
prf_plus_block(struct ike_mac *m, const uint8_t *prev, size_t prev_len, const struct ike_iov *seed,
               size_t n_seed, uint8_t counter, uint8_t *t)
{
	int rc;

	if ((rc = ike_mac_restart(m)) < 0 || (rc = ike_mac_update(m, prev, prev_len)) < 0)
		return rc;
	for (size_t i = 0; i < n_seed; i++) {
		if ((rc = ike_mac_update(m, seed[i].p, seed[i].len)) < 0)
			return rc;
	}
	if ((rc = ike_mac_update(m, &counter, 1)) < 0)
		return rc;
	return ike_mac_final(m, t);
}

/*
 * prf+ (K,S) = T1 | T2 | T3 | ..., T1 = prf (K, S | 0x01), T2 = prf (K, T1 | S | 0x02), ...
 * "prf+ ... is not defined beyond 255 times the size of the prf function output" (§2.13).
 * S is given in pieces (the callers' Ni | Nr | SPIi | SPIr and the like).
 */
int
ike_prf_plus_iov(enum cfg_prf p, const uint8_t *key, size_t klen, const struct ike_iov *seed,
                 size_t n_seed, uint8_t *out, size_t outlen)
{
	uint8_t t[IKE_MAC_MAX_LEN];
	size_t plen = ike_prf_len(p), done = 0, n;
	enum ike_mac_alg alg;
	struct ike_mac m;
	int rc;

	if (!ike_mac_of_prf(p, &alg) || outlen > 255 * plen)
		return -EINVAL;
	if ((rc = ike_mac_init(&m, alg, key, klen)) < 0)
		return rc;
	for (unsigned i = 1; done < outlen; i++) {
		rc = prf_plus_block(&m, t, i == 1 ? 0 : plen, seed, n_seed, (uint8_t)i, t);
		if (rc < 0)
			break;
		n = outlen - done < plen ? outlen - done : plen;
		memcpy(out + done, t, n);
		done += n;
	}
	ike_mac_fini(&m);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc < 0)
		OPENSSL_cleanse(out, outlen);
	return rc;
}

int
ike_prf_plus(enum cfg_prf p, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
             uint8_t *out, size_t outlen)
{
	struct ike_iov iov = {seed, slen};

	return ike_prf_plus_iov(p, key, klen, &iov, 1, out, outlen);
}

/* ---- integrity ----------------------------------------------------------------------------- */

int
ike_integ_icv(enum cfg_integ i, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
              uint8_t *out)
{
	const struct cfg_integ_info *ii = cfg_integ_info(i);
	struct ike_iov iov = {data, dlen};
	uint8_t full[IKE_MAC_MAX_LEN];
	enum ike_mac_alg alg;
	int rc;

	if (!ike_mac_of_integ(i, &alg))
		return -EINVAL;
	/* RFC 3566 §2.1: AES-XCBC-MAC-96 takes exactly a 128-bit key (no RFC 4434 stretching). */
	if (alg == IKE_MAC_AES_XCBC && klen != IKE_XCBC_LEN)
		return -EINVAL;
	if ((rc = ike_mac_oneshot(alg, key, klen, &iov, 1, full)) == 0)
		memcpy(out, full, ii->icv_len);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* ---- NAT detection (RFC 7296 §2.23) and cookies (§2.6) ------------------------------------- */

static void
put_n64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int
ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const uint8_t *addr, size_t addr_len, uint16_t port,
              uint8_t out[IKE_NATD_HASH_LEN])
{
	uint8_t buf[8 + 8 + 16 + 2];
	const EVP_MD *sha1 = ike_evp_sha1();
	unsigned int olen = 0;
	size_t n = 16;

	if (addr_len != 4 && addr_len != 16)
		return -EINVAL;
	if (!sha1)
		return -ENOMEM;
	put_n64(buf, spi_i);
	put_n64(buf + 8, spi_r);
	memcpy(buf + n, addr, addr_len);
	n += addr_len;
	buf[n++] = (uint8_t)(port >> 8);
	buf[n++] = (uint8_t)port;
	if (!EVP_Digest(buf, n, out, &olen, sha1, NULL) || olen != IKE_NATD_HASH_LEN)
		return ike_ossl_fail(-EINVAL);
	return 0;
}

int
ike_cookie_make(const uint8_t secret[32], const uint8_t *ni, size_t ni_len, const uint8_t *addr,
                size_t addr_len, uint64_t spi_i, uint8_t out[IKE_COOKIE_LEN])
{
	uint8_t spi[8];
	struct ike_iov iov[3] = {{ni, ni_len}, {addr, addr_len}, {spi, sizeof(spi)}};

	if (addr_len != 4 && addr_len != 16)
		return -EINVAL;
	put_n64(spi, spi_i);
	return ike_mac_oneshot(IKE_MAC_HMAC_SHA256, secret, 32, iov, 3, out);
}
