/* SPDX-License-Identifier: MIT */
/*
 * AES-XCBC-MAC (RFC 3566) and the key handling of AES-XCBC-PRF-128 (RFC 4434), which OpenSSL
 * does not provide. Only the mode is built here: every block goes through OpenSSL's
 * AES-128-ECB. The MAC is incremental so prf+ and the SK payload need no concatenation.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "node/ike/ike_crypto_int.h"

/* out = AES-128(ctx's key, in); ctx is an ECB context without padding. */
static int
aes_block(EVP_CIPHER_CTX *ctx, const uint8_t in[IKE_XCBC_LEN], uint8_t out[IKE_XCBC_LEN])
{
	int outl = 0;

	if (!EVP_EncryptUpdate(ctx, out, &outl, in, IKE_XCBC_LEN) || outl != IKE_XCBC_LEN)
		return ike_ossl_fail(-EINVAL);
	return 0;
}

static EVP_CIPHER_CTX *
ecb_new(const uint8_t key[IKE_XCBC_LEN])
{
	const EVP_CIPHER *aes = ike_evp_aes128_ecb();
	EVP_CIPHER_CTX *ctx;

	if (!aes || !(ctx = EVP_CIPHER_CTX_new()))
		return NULL;
	if (!EVP_EncryptInit_ex2(ctx, aes, key, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		EVP_CIPHER_CTX_free(ctx);
		ike_ossl_fail(0);
		return NULL;
	}
	return ctx;
}

/* RFC 3566 §4 (1): K1, K2 and K3 are K's encryptions of 0x01.., 0x02.. and 0x03... */
static int
xcbc_subkeys(struct ike_xcbc *x, const uint8_t k[IKE_XCBC_LEN], uint8_t k1[IKE_XCBC_LEN])
{
	uint8_t c[IKE_XCBC_LEN];
	EVP_CIPHER_CTX *ctx = ecb_new(k);
	int rc = -ENOMEM;

	if (!ctx)
		return rc;
	memset(c, 0x01, sizeof(c));
	if ((rc = aes_block(ctx, c, k1)) < 0)
		goto out;
	memset(c, 0x02, sizeof(c));
	if ((rc = aes_block(ctx, c, x->k2)) < 0)
		goto out;
	memset(c, 0x03, sizeof(c));
	rc = aes_block(ctx, c, x->k3);
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Context for a 128-bit key: K1's AES key schedule, K2 and K3. */
static int
xcbc_init16(struct ike_xcbc *x, const uint8_t k[IKE_XCBC_LEN])
{
	uint8_t k1[IKE_XCBC_LEN];
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = xcbc_subkeys(x, k, k1)) == 0 && !(x->k1 = ecb_new(k1)))
		rc = -ENOMEM;
	OPENSSL_cleanse(k1, sizeof(k1));
	if (rc < 0)
		ike_xcbc_fini(x);
	return rc;
}

/*
 * RFC 4434 §2: a 16-octet key is used as is, a shorter one is padded on the right with zero
 * bits, a longer one is replaced by AES-XCBC-PRF-128 over it under a key of 128 zero bits.
 */
static int
xcbc_key(const uint8_t *key, size_t klen, uint8_t out[IKE_XCBC_LEN])
{
	static const uint8_t zero[IKE_XCBC_LEN];
	struct ike_xcbc z;
	int rc;

	if (klen <= IKE_XCBC_LEN) {
		memset(out, 0, IKE_XCBC_LEN);
		if (klen)
			memcpy(out, key, klen);
		return 0;
	}
	if ((rc = xcbc_init16(&z, zero)) < 0)
		return rc;
	if ((rc = ike_xcbc_update(&z, key, klen)) == 0)
		rc = ike_xcbc_final(&z, out);
	ike_xcbc_fini(&z);
	return rc;
}

int
ike_xcbc_init(struct ike_xcbc *x, const uint8_t *key, size_t klen)
{
	uint8_t k[IKE_XCBC_LEN];
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = xcbc_key(key, klen, k)) == 0)
		rc = xcbc_init16(x, k);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

void
ike_xcbc_reset(struct ike_xcbc *x)
{
	OPENSSL_cleanse(x->e, sizeof(x->e));
	OPENSSL_cleanse(x->buf, sizeof(x->buf));
	x->buf_len = 0;
}

/* RFC 3566 §4 (2), (3): E[i] = E(K1, M[i] XOR E[i-1] [XOR K2 or K3 for the last block]). */
static int
xcbc_block(struct ike_xcbc *x, const uint8_t m[IKE_XCBC_LEN], const uint8_t *k)
{
	uint8_t t[IKE_XCBC_LEN];
	int rc;

	for (unsigned i = 0; i < IKE_XCBC_LEN; i++)
		t[i] = m[i] ^ x->e[i] ^ (k ? k[i] : 0);
	rc = aes_block(x->k1, t, x->e);
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

int
ike_xcbc_update(struct ike_xcbc *x, const uint8_t *p, size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		/* A full buffer is only known not to be the last block once more input arrives. */
		if (x->buf_len == IKE_XCBC_LEN) {
			if ((rc = xcbc_block(x, x->buf, NULL)) < 0)
				return rc;
			x->buf_len = 0;
		}
		n = IKE_XCBC_LEN - x->buf_len;
		if (n > len)
			n = len;
		memcpy(x->buf + x->buf_len, p, n);
		x->buf_len += n;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * RFC 3566 §4 (3): a complete last block is XORed with K2; an incomplete one (including the
 * empty message) is padded with a single 1 bit and 0 bits, then XORed with K3.
 */
int
ike_xcbc_final(struct ike_xcbc *x, uint8_t out[IKE_XCBC_LEN])
{
	int rc;

	if (x->buf_len == IKE_XCBC_LEN) {
		rc = xcbc_block(x, x->buf, x->k2);
	} else {
		x->buf[x->buf_len] = 0x80;
		memset(x->buf + x->buf_len + 1, 0, IKE_XCBC_LEN - x->buf_len - 1);
		rc = xcbc_block(x, x->buf, x->k3);
	}
	if (rc == 0)
		memcpy(out, x->e, IKE_XCBC_LEN);
	ike_xcbc_reset(x);
	return rc;
}

void
ike_xcbc_fini(struct ike_xcbc *x)
{
	EVP_CIPHER_CTX_free(x->k1);
	OPENSSL_cleanse(x, sizeof(*x));
}
