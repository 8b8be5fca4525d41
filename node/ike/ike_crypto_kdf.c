/* SPDX-License-Identifier: MIT */
/*
 * Key derivation: SKEYSEED and the seven IKE SA keys (RFC 7296 §2.14), SKEYSEED on an IKE SA
 * rekey (§2.18), Child SA KEYMAT (§2.17) and the AUTH value of a shared-key authentication
 * (§2.15). Intermediate values live on the stack and are wiped before returning.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "node/ike/ike_crypto.h"
#include "node/ike/ike_crypto_int.h"

#define NONCE_MAX_LEN    256 /* RFC 7296 §3.9: nonces are 16..256 octets */
#define XCBC_HALF        8   /* RFC 7296 §2.14: the first 64 bits of Ni and of Nr */
#define KEYMAT_MAX       (3 * IKE_PRF_MAX_LEN + 2 * 64 + 2 * 36)
#define CHILD_KEYMAT_MAX (2 * (64 + 36))

static const uint8_t key_pad[] = "Key Pad for IKEv2"; /* RFC 7296 §2.15; 17 octets, no NUL */
#define KEY_PAD_LEN (sizeof(key_pad) - 1)

static size_t
secret_len(const struct secret *s)
{
	return s ? s->s_len : 0;
}

static const uint8_t *
secret_ptr(const struct secret *s)
{
	return s ? s->s_data : NULL;
}

/* SKEYSEED = prf(Ni | Nr, g^ir); for AES128-XCBC the key is Ni[0..8) | Nr[0..8) (§2.14). */
static int
skeyseed_init(enum cfg_prf prf, const struct secret *g_ir, const uint8_t *ni, size_t ni_len,
              const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	uint8_t key[2 * NONCE_MAX_LEN];
	struct ike_iov iov = {secret_ptr(g_ir), secret_len(g_ir)};
	enum ike_mac_alg alg;
	size_t klen;
	int rc;

	if (!ike_mac_of_prf(prf, &alg))
		return -EINVAL;
	if (alg == IKE_MAC_AES_XCBC) {
		if (ni_len < XCBC_HALF || nr_len < XCBC_HALF)
			return -EINVAL;
		ni_len = nr_len = XCBC_HALF;
	}
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	klen = ni_len + nr_len;
	rc = ike_mac_oneshot(alg, key, klen, &iov, 1, out);
	OPENSSL_cleanse(key, klen);
	return rc;
}

/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old IKE SA's PRF (§2.18). */
static int
skeyseed_rekey(enum cfg_prf old_prf, const struct secret *old_sk_d, const struct secret *g_ir,
               const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	struct ike_iov iov[3] = {{secret_ptr(g_ir), secret_len(g_ir)}, {ni, ni_len}, {nr, nr_len}};
	enum ike_mac_alg alg;

	if (!ike_mac_of_prf(old_prf, &alg) || old_sk_d->s_len == 0)
		return -EINVAL;
	return ike_mac_oneshot(alg, old_sk_d->s_data, old_sk_d->s_len, iov, 3, out);
}

/* Hands KEYMAT out to n secrets in order; on failure none of them holds anything. */
static int
keymat_split(const uint8_t *km, struct secret *const *dst, const size_t *len, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		if (secret_set(dst[i], km + off, len[i]) < 0) {
			for (size_t j = 0; j < n; j++)
				secret_clear(dst[j]);
			return -ENOMEM;
		}
		off += len[i];
	}
	return 0;
}

static bool
nonces_ok(const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	return ni && nr && ni_len > 0 && nr_len > 0 && ni_len <= NONCE_MAX_LEN &&
	       nr_len <= NONCE_MAX_LEN;
}

static void
put_n64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
 */
static int
ike_keys_expand(struct ike_keys *k, const uint8_t *skeyseed, size_t sk_len, const uint8_t *ni,
                size_t ni_len, const uint8_t *nr, size_t nr_len, uint64_t spi_i, uint64_t spi_r)
{
	const struct cfg_prf_info *pi = cfg_prf_info(k->prf);
	const struct cfg_encr_info *ei = cfg_encr_info(k->encr);
	const struct cfg_integ_info *ii = cfg_integ_info(k->integ);
	struct secret *const dst[7] = {&k->sk_d,  &k->sk_ai, &k->sk_ar, &k->sk_ei,
	                               &k->sk_er, &k->sk_pi, &k->sk_pr};
	uint8_t spis[16], km[KEYMAT_MAX];
	struct ike_iov seed[3] = {{ni, ni_len}, {nr, nr_len}, {spis, sizeof(spis)}};
	size_t len[7], total;
	int rc;

	if (!pi || !ei || !ii)
		return -EINVAL;
	len[0] = len[5] = len[6] = pi->key_len; /* preferred key length of the PRF (§2.13) */
	len[1] = len[2] = ii->key_len;
	len[3] = len[4] = ei->key_len; /* AEAD: key | 4-octet salt (RFC 5282 §7.1, RFC 7634 §2) */
	total = 3 * len[0] + 2 * len[1] + 2 * len[3];
	put_n64(spis, spi_i);
	put_n64(spis + 8, spi_r);
	rc = ike_prf_plus_iov(k->prf, skeyseed, sk_len, seed, 3, km, total);
	if (rc == 0)
		rc = keymat_split(km, dst, len, 7);
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

int
ike_keys_derive(struct ike_keys *k, const struct secret *g_ir, const uint8_t *ni, size_t ni_len,
                const uint8_t *nr, size_t nr_len, uint64_t spi_i, uint64_t spi_r,
                const struct secret *old_sk_d, enum cfg_prf old_prf)
{
	/* Built aside, so that old_sk_d may be k's own SK_d and k is untouched on failure. */
	struct ike_keys n = {.prf = k->prf, .encr = k->encr, .integ = k->integ};
	uint8_t skeyseed[IKE_PRF_MAX_LEN];
	size_t sk_len;
	int rc;

	if (!g_ir || g_ir->s_len == 0 || !nonces_ok(ni, ni_len, nr, nr_len))
		return -EINVAL;
	if (old_sk_d) {
		sk_len = ike_prf_len(old_prf);
		rc = skeyseed_rekey(old_prf, old_sk_d, g_ir, ni, ni_len, nr, nr_len, skeyseed);
	} else {
		sk_len = ike_prf_len(k->prf);
		rc = skeyseed_init(k->prf, g_ir, ni, ni_len, nr, nr_len, skeyseed);
	}
	if (rc == 0)
		rc = ike_keys_expand(&n, skeyseed, sk_len, ni, ni_len, nr, nr_len, spi_i, spi_r);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	if (rc < 0)
		return rc;
	ike_keys_clear(k);
	*k = n;
	return 0;
}

void
ike_keys_clear(struct ike_keys *k)
{
	secret_clear(&k->sk_d);
	secret_clear(&k->sk_ai);
	secret_clear(&k->sk_ar);
	secret_clear(&k->sk_ei);
	secret_clear(&k->sk_er);
	secret_clear(&k->sk_pi);
	secret_clear(&k->sk_pr);
}

/*
 * KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) with PFS (§2.17). "All
 * keys for SAs carrying data from the initiator to the responder are taken before SAs going
 * from the responder to the initiator", the encryption key before the integrity key.
 */
int
ike_child_keys_derive(enum cfg_prf prf, const struct secret *sk_d, const struct secret *g_ir,
                      const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                      enum cfg_encr encr, enum cfg_integ integ, struct ike_child_keys *out)
{
	const struct cfg_encr_info *ei = cfg_encr_info(encr);
	const struct cfg_integ_info *ii = cfg_integ_info(integ);
	struct ike_child_keys n = {0};
	struct secret *const dst[4] = {&n.enc_i, &n.integ_i, &n.enc_r, &n.integ_r};
	struct ike_iov seed[3] = {{secret_ptr(g_ir), secret_len(g_ir)}, {ni, ni_len}, {nr, nr_len}};
	uint8_t km[CHILD_KEYMAT_MAX];
	size_t len[4];
	int rc;

	if (!ei || !ii || !sk_d || sk_d->s_len == 0 || !nonces_ok(ni, ni_len, nr, nr_len))
		return -EINVAL;
	len[0] = len[2] = ei->key_len; /* GCM, ChaCha20-Poly1305: key | salt (RFC 4106 §8.1) */
	len[1] = len[3] = ii->key_len;
	if (len[0] + len[1] == 0)
		return -EINVAL;
	rc = ike_prf_plus_iov(prf, sk_d->s_data, sk_d->s_len, seed, 3, km, 2 * (len[0] + len[1]));
	if (rc == 0)
		rc = keymat_split(km, dst, len, 4);
	OPENSSL_cleanse(km, sizeof(km));
	if (rc < 0)
		return rc;
	ike_child_keys_clear(out);
	*out = n;
	return 0;
}

void
ike_child_keys_clear(struct ike_child_keys *k)
{
	secret_clear(&k->enc_i);
	secret_clear(&k->integ_i);
	secret_clear(&k->enc_r);
	secret_clear(&k->integ_r);
}

/*
 * AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <InitiatorSignedOctets>), where
 * InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI and MACedIDForI =
 * prf(SK_pi, RestOfInitIDPayload); the responder's side is the mirror image (§2.15).
 */
int
ike_auth_psk(enum cfg_prf prf, const struct secret *psk, const uint8_t *msg, size_t msg_len,
             const uint8_t *nonce, size_t nonce_len, const struct secret *sk_p,
             const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	uint8_t maced_id[IKE_PRF_MAX_LEN], kpad[IKE_PRF_MAX_LEN];
	size_t plen = ike_prf_len(prf);
	struct ike_iov iov[3] = {{msg, msg_len}, {nonce, nonce_len}, {maced_id, plen}};
	int rc;

	if (plen == 0 || !psk || !sk_p || !msg || !nonce || !id_body)
		return -EINVAL;
	rc = ike_prf(prf, sk_p->s_data, sk_p->s_len, id_body, id_len, maced_id);
	if (rc == 0)
		rc = ike_prf(prf, psk->s_data, psk->s_len, key_pad, KEY_PAD_LEN, kpad);
	if (rc == 0) {
		enum ike_mac_alg alg;

		(void)ike_mac_of_prf(prf, &alg); /* cannot fail: ike_prf accepted prf */
		rc = ike_mac_oneshot(alg, kpad, plen, iov, 3, out);
	}
	OPENSSL_cleanse(maced_id, sizeof(maced_id));
	OPENSSL_cleanse(kpad, sizeof(kpad));
	return rc;
}
