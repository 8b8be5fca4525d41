/* SPDX-License-Identifier: MIT */
/*
 * The ciphers of ESP through OpenSSL 3 EVP: contexts keyed once per SA (one per slot, copied
 * from the first), then re-initialised per packet with only a new IV or nonce, which OpenSSL
 * does without allocating. DES lives in OpenSSL's legacy provider, loaded the first time a
 * DES SA is made (and only then).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "node/esp/esp_int.h"

static _Atomic(OSSL_PROVIDER *) esp_legacy;

/* Loads the legacy provider once; the default provider stays (retain_fallbacks = 1). */
static int
esp_legacy_load(void)
{
	OSSL_PROVIDER *prov, *none = NULL;

	if (atomic_load(&esp_legacy))
		return 0;
	prov = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
	if (!prov)
		return -ENOTSUP;
	if (!atomic_compare_exchange_strong(&esp_legacy, &none, prov))
		OSSL_PROVIDER_unload(prov); /* another thread won; keep one reference */
	return 0;
}

static const char *
esp_cipher_name(enum cfg_encr e)
{
	switch (e) {
	case CFG_ENCR_DES_CBC:
		return "DES-CBC";
	case CFG_ENCR_3DES_CBC:
		return "DES-EDE3-CBC";
	case CFG_ENCR_AES128_CBC:
		return "AES-128-CBC";
	case CFG_ENCR_AES192_CBC:
		return "AES-192-CBC";
	case CFG_ENCR_AES256_CBC:
		return "AES-256-CBC";
	case CFG_ENCR_AES128_GCM16:
		return "AES-128-GCM";
	case CFG_ENCR_AES256_GCM16:
		return "AES-256-GCM";
	case CFG_ENCR_CHACHA20_POLY1305:
		return "ChaCha20-Poly1305";
	default:
		return NULL;
	}
}

/* The first context, keyed. key_len excludes an AEAD salt. */
static int
esp_cipher_first(struct esp_sa *sa, const uint8_t *key, EVP_CIPHER_CTX **out)
{
	const char *name = esp_cipher_name(sa->p.encr);
	int enc = sa->p.inbound ? 0 : 1, rc = -ENOTSUP;
	EVP_CIPHER_CTX *c = NULL;
	EVP_CIPHER *ci;

	if (sa->p.encr == CFG_ENCR_DES_CBC && esp_legacy_load() < 0)
		return -ENOTSUP;
	ci = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!ci)
		return -ENOTSUP;
	c = EVP_CIPHER_CTX_new();
	rc = -ENOMEM;
	if (!c || EVP_CipherInit_ex(c, ci, NULL, NULL, NULL, enc) != 1)
		goto out;
	if (sa->kind == ESP_KIND_AEAD &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1)
		goto out;
	if (sa->kind == ESP_KIND_CBC && EVP_CIPHER_CTX_set_padding(c, 0) != 1)
		goto out;
	if (EVP_CipherInit_ex(c, NULL, NULL, key, NULL, enc) != 1)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(ci);
	return rc;
}

int
esp_cipher_init(struct esp_sa *sa, const struct esp_sa_params *p)
{
	const uint8_t *key = p->enc_key.s_data;
	size_t klen = p->enc_key.s_len;
	int rc;

	if (sa->kind == ESP_KIND_AEAD) {
		memcpy(sa->salt, key + klen - 4, 4);
		klen -= 4;
	}
	if (sa->kind != ESP_KIND_NULL) {
		(void)klen; /* the fetched cipher knows its key length; esp_sa_new checked it */
		rc = esp_cipher_first(sa, key, &sa->slots[0].cipher);
		if (rc < 0)
			return rc;
	}
	if (sa->has_mac) {
		rc = esp_mac_key_init(&sa->mac, p->integ, p->integ_key.s_data, p->integ_key.s_len,
		                      &sa->slots[0].mac);
		if (rc < 0)
			return rc;
	}
	for (unsigned i = 1; i < sa->nslots; i++) {
		struct esp_slot *s = &sa->slots[i];

		if (sa->slots[0].cipher) {
			s->cipher = EVP_CIPHER_CTX_new();
			if (!s->cipher || EVP_CIPHER_CTX_copy(s->cipher, sa->slots[0].cipher) != 1)
				return -ENOMEM;
		}
		if (sa->has_mac && esp_mac_ctx_init(&s->mac, &sa->mac, &sa->slots[0].mac) < 0)
			return -ENOMEM;
	}
	return 0;
}

void
esp_cipher_fini(struct esp_sa *sa)
{
	for (unsigned i = 0; i < sa->nslots; i++) {
		EVP_CIPHER_CTX_free(sa->slots[i].cipher); /* cleanses the key schedule */
		sa->slots[i].cipher = NULL;
		esp_mac_ctx_fini(&sa->slots[i].mac);
	}
	esp_mac_key_wipe(&sa->mac);
	OPENSSL_cleanse(sa->salt, sizeof(sa->salt));
}

bool
esp_aead_seal(struct esp_slot *s, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
              uint8_t *p, size_t n, uint8_t *tag, size_t tag_len)
{
	EVP_CIPHER_CTX *c = s->cipher;
	int l1 = 0, l2 = 0, la = 0;

	if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &la, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(c, p, &l1, p, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, p + l1, &l2) != 1 || (size_t)l1 + (size_t)l2 != n)
		return false;
	return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag) == 1;
}

bool
esp_aead_open(struct esp_slot *s, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
              uint8_t *p, size_t n, const uint8_t *tag, size_t tag_len)
{
	EVP_CIPHER_CTX *c = s->cipher;
	uint8_t t[16];
	int l1 = 0, l2 = 0, la = 0;

	if (tag_len > sizeof(t))
		return false;
	memcpy(t, tag, tag_len); /* EVP's ctrl takes a non-const pointer */
	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, t) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &la, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(c, p, &l1, p, (int)n) != 1)
		return false;
	/* Final compares the tag in constant time; only then is the plaintext used */
	return EVP_DecryptFinal_ex(c, p + l1, &l2) == 1;
}

bool
esp_cbc_crypt(struct esp_slot *s, bool enc, const uint8_t *iv, uint8_t *p, size_t n)
{
	int l = 0;

	if (EVP_CipherInit_ex(s->cipher, NULL, NULL, NULL, iv, enc ? 1 : 0) != 1 ||
	    EVP_CipherUpdate(s->cipher, p, &l, p, (int)n) != 1)
		return false;
	return (size_t)l == n;
}

/*
 * RFC 3602 §3: the IV MUST be chosen at random and be unpredictable. One RAND_bytes call
 * (OpenSSL's per-thread DRBG, no system call) fills IVs for 64 packets.
 */
bool
esp_cbc_iv(struct esp_sa *sa, struct esp_slot *s, uint8_t *iv)
{
	if (!s->rnd)
		return false; /* not an outbound CBC SA */
	if (s->rnd_off + sa->iv_len > ESP_RND_POOL) {
		if (RAND_bytes(s->rnd, (int)ESP_RND_POOL) != 1)
			return false;
		s->rnd_off = 0;
	}
	memcpy(iv, s->rnd + s->rnd_off, sa->iv_len);
	s->rnd_off += sa->iv_len;
	return true;
}
