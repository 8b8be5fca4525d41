/* SPDX-License-Identifier: MIT */
/*
 * The Encrypted (SK) payload body: IV | ciphertext (payloads | padding | pad length) | ICV.
 * CBC ciphers with a separate integrity MAC per RFC 7296 §3.14 (the ICV is checked, in
 * constant time, before anything is decrypted); AES-GCM per RFC 5282 and ChaCha20-Poly1305
 * per RFC 7634 §3. Key schedules are set up once in ike_sk_new (or, for one direction only,
 * ike_sk_new_for); sealing and opening a message allocate nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "node/ike/ike_crypto.h"
#include "node/ike/ike_crypto_int.h"

#define AEAD_SALT_LEN  4  /* RFC 5282 §4 (GCM), RFC 7634 §2: last 4 octets of the key */
#define AEAD_NONCE_LEN 12 /* salt | 8-octet IV */
#define AEAD_ICV_LEN   16

struct ike_sk {
	bool aead;
	size_t iv_len, block_len, icv_len;
	EVP_CIPHER_CTX *enc, *dec; /* keyed once; a new IV per message */
	struct ike_mac mac;        /* CBC: the integrity transform */
	bool has_mac;
	uint8_t salt[AEAD_SALT_LEN];
};

static EVP_CIPHER_CTX *
cipher_ctx_new(const EVP_CIPHER *c, const uint8_t *key, bool enc, bool aead)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	/* The default IV length of GCM and ChaCha20-Poly1305 is the 12 octets we use. */
	if (!EVP_CipherInit_ex2(ctx, c, key, NULL, enc ? 1 : 0, NULL) ||
	    (!aead && !EVP_CIPHER_CTX_set_padding(ctx, 0))) {
		EVP_CIPHER_CTX_free(ctx);
		ike_ossl_fail(0);
		return NULL;
	}
	return ctx;
}

/* RFC 7296 §3.3: an AEAD cipher goes without an integrity transform, a CBC cipher with one. */
static int
sk_check(enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke, const struct secret *ka,
         const struct cfg_encr_info **ei_out)
{
	const struct cfg_encr_info *ei = cfg_encr_info(encr);
	const struct cfg_integ_info *ii = cfg_integ_info(integ);

	if (!ei || !ii || encr == CFG_ENCR_NULL || !ke || ke->s_len != ei->key_len)
		return -EINVAL;
	if (ei->aead ? integ != CFG_INTEG_NONE : (integ == CFG_INTEG_NONE || !ka))
		return -EINVAL;
	if (!ei->aead && ka->s_len != ii->key_len)
		return -EINVAL;
	*ei_out = ei;
	return 0;
}

static int
sk_setup(struct ike_sk *sk, enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke,
         const struct secret *ka, const struct cfg_encr_info *ei, bool seal, bool open)
{
	const EVP_CIPHER *c;
	enum ike_mac_alg alg;
	int rc;

	if ((rc = ike_evp_cipher(encr, &c)) < 0)
		return rc;
	sk->aead = ei->aead;
	sk->iv_len = ei->iv_len;
	sk->block_len = ei->block_len;
	if (sk->aead) {
		sk->icv_len = AEAD_ICV_LEN;
		memcpy(sk->salt, ke->s_data + ke->s_len - AEAD_SALT_LEN, AEAD_SALT_LEN);
	} else {
		sk->icv_len = cfg_integ_info(integ)->icv_len;
		if (!ike_mac_of_integ(integ, &alg))
			return -EINVAL;
		if ((rc = ike_mac_init(&sk->mac, alg, ka->s_data, ka->s_len)) < 0)
			return rc;
		sk->has_mac = true;
	}
	if (seal && !(sk->enc = cipher_ctx_new(c, ke->s_data, true, sk->aead)))
		return -ENOMEM;
	if (open && !(sk->dec = cipher_ctx_new(c, ke->s_data, false, sk->aead)))
		return -ENOMEM;
	return 0;
}

static int
sk_new(enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke, const struct secret *ka,
       bool seal, bool open, struct ike_sk **out)
{
	const struct cfg_encr_info *ei = NULL;
	struct ike_sk *sk;
	int rc;

	if ((rc = sk_check(encr, integ, ke, ka, &ei)) < 0)
		return rc;
	if (!(sk = calloc(1, sizeof(*sk))))
		return -ENOMEM;
	if ((rc = sk_setup(sk, encr, integ, ke, ka, ei, seal, open)) < 0) {
		ike_sk_free(sk);
		return rc;
	}
	*out = sk;
	return 0;
}

int
ike_sk_new(enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke,
           const struct secret *ka, struct ike_sk **out)
{
	return sk_new(encr, integ, ke, ka, true, true, out);
}

int
ike_sk_new_for(enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke,
               const struct secret *ka, bool seal, struct ike_sk **out)
{
	return sk_new(encr, integ, ke, ka, seal, !seal, out);
}

void
ike_sk_free(struct ike_sk *sk)
{
	if (!sk)
		return;
	EVP_CIPHER_CTX_free(sk->enc); /* key schedules are wiped by OpenSSL */
	EVP_CIPHER_CTX_free(sk->dec);
	if (sk->has_mac)
		ike_mac_fini(&sk->mac);
	OPENSSL_cleanse(sk, sizeof(*sk));
	free(sk);
}

size_t
ike_sk_iv_len(const struct ike_sk *sk)
{
	return sk->iv_len;
}

/* Octets of padding that make payloads | padding | pad length a multiple of the block size. */
static size_t
pad_len(const struct ike_sk *sk, size_t plain_len)
{
	return (sk->block_len - (plain_len + 1) % sk->block_len) % sk->block_len;
}

size_t
ike_sk_body_len(const struct ike_sk *sk, size_t plain_len)
{
	return sk->iv_len + plain_len + pad_len(sk, plain_len) + 1 + sk->icv_len;
}

/* ---- CBC + integrity (RFC 7296 §3.14) ------------------------------------------------------ */

/* ICV over aad | IV | ciphertext, truncated to the integrity transform's length. */
static int
cbc_icv(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *body, size_t covered,
        uint8_t *icv)
{
	uint8_t full[IKE_MAC_MAX_LEN];
	int rc;

	if ((rc = ike_mac_restart(&sk->mac)) == 0 &&
	    (rc = ike_mac_update(&sk->mac, aad, aad_len)) == 0 &&
	    (rc = ike_mac_update(&sk->mac, body, covered)) == 0 &&
	    (rc = ike_mac_final(&sk->mac, full)) == 0)
		memcpy(icv, full, sk->icv_len);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* In place: buf holds ct_len octets; EVP allows exactly overlapping input and output. */
static int
cbc_crypt(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len)
{
	int outl = 0, fin = 0;

	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL) ||
	    !EVP_CipherUpdate(ctx, out, &outl, in, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, out + outl, &fin) || (size_t)outl + (size_t)fin != len)
		return ike_ossl_fail(-EINVAL);
	return 0;
}

static int
cbc_seal(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, size_t plain_len, const uint8_t *iv,
         uint8_t *body, size_t body_len)
{
	size_t pad = pad_len(sk, plain_len), ct_len = plain_len + pad + 1;
	uint8_t *ct = body + sk->iv_len;
	int rc;

	memset(ct + plain_len, 0, pad);
	ct[plain_len + pad] = (uint8_t)pad;
	memcpy(body, iv, sk->iv_len);
	if ((rc = cbc_crypt(sk->enc, iv, ct, ct, ct_len)) < 0)
		return rc;
	return cbc_icv(sk, aad, aad_len, body, body_len - sk->icv_len,
	               body + body_len - sk->icv_len);
}

/* "The recipient MUST accept any length that results in proper alignment" (§3.14), so the
 * only check on the pad length is that it fits in the ciphertext. */
static int
unpad(const uint8_t *plain, size_t ct_len, size_t *plain_len)
{
	size_t pad = plain[ct_len - 1];

	if (pad >= ct_len)
		return -EBADMSG;
	*plain_len = ct_len - pad - 1;
	return 0;
}

static int
cbc_open(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *body,
         size_t body_len, uint8_t *plain, size_t *plain_len)
{
	uint8_t icv[IKE_MAC_MAX_LEN];
	size_t ct_len;
	int rc;

	if (body_len < sk->iv_len + sk->block_len + sk->icv_len)
		return -EBADMSG;
	ct_len = body_len - sk->iv_len - sk->icv_len;
	if (ct_len % sk->block_len)
		return -EBADMSG;
	/* Integrity first, in constant time; nothing is decrypted for a forged message. */
	if ((rc = cbc_icv(sk, aad, aad_len, body, body_len - sk->icv_len, icv)) < 0)
		return rc;
	if (CRYPTO_memcmp(icv, body + body_len - sk->icv_len, sk->icv_len) != 0)
		return -EBADMSG;
	if ((rc = cbc_crypt(sk->dec, body, body + sk->iv_len, plain, ct_len)) < 0)
		return rc;
	return unpad(plain, ct_len, plain_len);
}

/* ---- AEAD (RFC 5282 §3-§5, RFC 7634 §3) ---------------------------------------------------- */

/* nonce = salt | IV (RFC 4106 §4 via RFC 5282 §4, RFC 7634 §2); aad = IKE header .. SK header */
static int
aead_start(struct ike_sk *sk, EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *aad,
           size_t aad_len)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	int outl = 0;

	memcpy(nonce, sk->salt, AEAD_SALT_LEN);
	memcpy(nonce + AEAD_SALT_LEN, iv, sk->iv_len);
	if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, -1, NULL) ||
	    (aad_len && !EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len)))
		return ike_ossl_fail(-EINVAL);
	return 0;
}

static int
aead_seal(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, size_t plain_len,
          const uint8_t *iv, uint8_t *body, size_t body_len)
{
	size_t ct_len = plain_len + 1; /* minimal padding: none, then the pad length octet 0 */
	uint8_t *ct = body + sk->iv_len;
	OSSL_PARAM tag[2];
	int outl = 0, fin = 0, rc;

	ct[plain_len] = 0;
	memcpy(body, iv, sk->iv_len);
	if ((rc = aead_start(sk, sk->enc, iv, aad, aad_len)) < 0)
		return rc;
	tag[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
	                                           body + body_len - AEAD_ICV_LEN, AEAD_ICV_LEN);
	tag[1] = OSSL_PARAM_construct_end();
	if (!EVP_EncryptUpdate(sk->enc, ct, &outl, ct, (int)ct_len) ||
	    !EVP_EncryptFinal_ex(sk->enc, ct + outl, &fin) ||
	    (size_t)outl + (size_t)fin != ct_len || !EVP_CIPHER_CTX_get_params(sk->enc, tag))
		return ike_ossl_fail(-EINVAL);
	return 0;
}

static int
aead_open(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *body,
          size_t body_len, uint8_t *plain, size_t *plain_len)
{
	uint8_t icv[AEAD_ICV_LEN];
	OSSL_PARAM tag[2];
	size_t ct_len;
	int outl = 0, fin = 0, rc;

	if (body_len < sk->iv_len + 1 + AEAD_ICV_LEN)
		return -EBADMSG;
	ct_len = body_len - sk->iv_len - AEAD_ICV_LEN;
	memcpy(icv, body + body_len - AEAD_ICV_LEN, AEAD_ICV_LEN);
	tag[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, icv, AEAD_ICV_LEN);
	tag[1] = OSSL_PARAM_construct_end();
	if ((rc = aead_start(sk, sk->dec, body, aad, aad_len)) < 0)
		return rc;
	if (!EVP_CIPHER_CTX_set_params(sk->dec, tag) ||
	    !EVP_DecryptUpdate(sk->dec, plain, &outl, body + sk->iv_len, (int)ct_len))
		return ike_ossl_fail(-EINVAL);
	/* The tag is checked in constant time by OpenSSL; a mismatch releases nothing. */
	if (EVP_DecryptFinal_ex(sk->dec, plain + outl, &fin) <= 0 ||
	    (size_t)outl + (size_t)fin != ct_len) {
		OPENSSL_cleanse(plain, ct_len);
		return ike_ossl_fail(-EBADMSG);
	}
	return unpad(plain, ct_len, plain_len);
}

/* ---- entry points -------------------------------------------------------------------------- */

int
ike_sk_seal(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *plain,
            size_t plain_len, const uint8_t *iv, uint8_t *body, size_t body_len)
{
	int rc;

	if (!sk->enc || !iv || !body || (!aad && aad_len) || (!plain && plain_len) ||
	    aad_len > INT_MAX || body_len > INT_MAX || body_len != ike_sk_body_len(sk, plain_len))
		return -EINVAL;
	/* plain may already sit at body + IV length (in place); memmove copes with any overlap. */
	if (plain_len)
		memmove(body + sk->iv_len, plain, plain_len);
	if (sk->aead)
		rc = aead_seal(sk, aad, aad_len, plain_len, iv, body, body_len);
	else
		rc = cbc_seal(sk, aad, aad_len, plain_len, iv, body, body_len);
	if (rc < 0)
		OPENSSL_cleanse(body, body_len);
	return rc;
}

int
ike_sk_open(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *body,
            size_t body_len, uint8_t *plain, size_t *plain_len)
{
	int rc;

	if (!sk->dec || !body || !plain || !plain_len || (!aad && aad_len) || aad_len > INT_MAX ||
	    body_len > INT_MAX)
		return -EINVAL;
	if (sk->aead)
		rc = aead_open(sk, aad, aad_len, body, body_len, plain, plain_len);
	else
		rc = cbc_open(sk, aad, aad_len, body, body_len, plain, plain_len);
	if (rc == -EBADMSG && body_len >= sk->iv_len + sk->icv_len)
		OPENSSL_cleanse(plain, body_len - sk->iv_len - sk->icv_len);
	return rc;
}
