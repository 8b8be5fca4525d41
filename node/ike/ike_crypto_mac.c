/* SPDX-License-Identifier: MIT */
/*
 * One keyed MAC for every PRF (RFC 7296 §2.13) and integrity transform (RFC 2404, RFC 4868,
 * RFC 3566): HMAC through EVP_MAC, or AES-XCBC. A context is keyed once and restarted per
 * message without allocating, which is what the SK payload and prf+ need.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "node/ike/ike_crypto_int.h"

static const uint8_t mac_len[IKE_MAC_COUNT] = {
        [IKE_MAC_HMAC_MD5] = 16,    [IKE_MAC_HMAC_SHA1] = 20,   [IKE_MAC_HMAC_SHA256] = 32,
        [IKE_MAC_HMAC_SHA384] = 48, [IKE_MAC_HMAC_SHA512] = 64, [IKE_MAC_AES_XCBC] = 16,
};

bool
ike_mac_of_prf(enum cfg_prf p, enum ike_mac_alg *out)
{
	static const enum ike_mac_alg tab[CFG_PRF_COUNT] = {
	        [CFG_PRF_HMAC_MD5] = IKE_MAC_HMAC_MD5,
	        [CFG_PRF_HMAC_SHA1] = IKE_MAC_HMAC_SHA1,
	        [CFG_PRF_AES128_XCBC] = IKE_MAC_AES_XCBC,
	        [CFG_PRF_HMAC_SHA2_256] = IKE_MAC_HMAC_SHA256,
	        [CFG_PRF_HMAC_SHA2_384] = IKE_MAC_HMAC_SHA384,
	        [CFG_PRF_HMAC_SHA2_512] = IKE_MAC_HMAC_SHA512,
	};

	if ((unsigned)p >= CFG_PRF_COUNT)
		return false;
	*out = tab[p];
	return true;
}

bool
ike_mac_of_integ(enum cfg_integ i, enum ike_mac_alg *out)
{
	static const enum ike_mac_alg tab[CFG_INTEG_COUNT] = {
	        [CFG_INTEG_HMAC_MD5_96] = IKE_MAC_HMAC_MD5,
	        [CFG_INTEG_HMAC_SHA1_96] = IKE_MAC_HMAC_SHA1,
	        [CFG_INTEG_HMAC_SHA2_256_128] = IKE_MAC_HMAC_SHA256,
	        [CFG_INTEG_HMAC_SHA2_384_192] = IKE_MAC_HMAC_SHA384,
	        [CFG_INTEG_HMAC_SHA2_512_256] = IKE_MAC_HMAC_SHA512,
	        [CFG_INTEG_AES_XCBC_96] = IKE_MAC_AES_XCBC,
	};

	if (i == CFG_INTEG_NONE || (unsigned)i >= CFG_INTEG_COUNT)
		return false;
	*out = tab[i];
	return true;
}

size_t
ike_mac_len(enum ike_mac_alg alg)
{
	return (unsigned)alg < IKE_MAC_COUNT ? mac_len[alg] : 0;
}

int
ike_mac_init(struct ike_mac *m, enum ike_mac_alg alg, const uint8_t *key, size_t klen)
{
	static const uint8_t empty;

	memset(m, 0, sizeof(*m));
	m->alg = alg;
	if ((unsigned)alg >= IKE_MAC_COUNT)
		return -EINVAL;
	if (alg == IKE_MAC_AES_XCBC)
		return ike_xcbc_init(&m->xcbc, key, klen);
	if (!(m->hmac = ike_evp_hmac_new(alg)))
		return -ENOMEM;
	/* A NULL key would mean "keep the previous key" to EVP_MAC_init; HMAC allows empty keys. */
	if (!EVP_MAC_init(m->hmac, klen ? key : &empty, klen, NULL)) {
		ike_mac_fini(m);
		return ike_ossl_fail(-EINVAL);
	}
	return 0;
}

int
ike_mac_restart(struct ike_mac *m)
{
	if (m->alg == IKE_MAC_AES_XCBC) {
		ike_xcbc_reset(&m->xcbc);
		return 0;
	}
	if (!EVP_MAC_init(m->hmac, NULL, 0, NULL))
		return ike_ossl_fail(-EINVAL);
	return 0;
}

int
ike_mac_update(struct ike_mac *m, const uint8_t *p, size_t len)
{
	if (len == 0)
		return 0;
	if (m->alg == IKE_MAC_AES_XCBC)
		return ike_xcbc_update(&m->xcbc, p, len);
	if (!EVP_MAC_update(m->hmac, p, len))
		return ike_ossl_fail(-EINVAL);
	return 0;
}

int
ike_mac_final(struct ike_mac *m, uint8_t *out)
{
	size_t outl = 0, want = ike_mac_len(m->alg);

	if (m->alg == IKE_MAC_AES_XCBC)
		return ike_xcbc_final(&m->xcbc, out);
	if (!EVP_MAC_final(m->hmac, out, &outl, want) || outl != want)
		return ike_ossl_fail(-EINVAL);
	return 0;
}

void
ike_mac_fini(struct ike_mac *m)
{
	if (m->alg == IKE_MAC_AES_XCBC)
		ike_xcbc_fini(&m->xcbc);
	EVP_MAC_CTX_free(m->hmac); /* frees the keyed HMAC state with OPENSSL_clear_free */
	m->hmac = NULL;
}

int
ike_mac_oneshot(enum ike_mac_alg alg, const uint8_t *key, size_t klen, const struct ike_iov *iov,
                size_t n, uint8_t *out)
{
	struct ike_mac m;
	int rc;

	if ((rc = ike_mac_init(&m, alg, key, klen)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ike_mac_update(&m, iov[i].p, iov[i].len);
	if (rc == 0)
		rc = ike_mac_final(&m, out);
	ike_mac_fini(&m);
	return rc;
}
