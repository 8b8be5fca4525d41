/* SPDX-License-Identifier: MIT */
/*
 * ESP integrity algorithms without per-packet allocation. OpenSSL 3.0's EVP_MAC and
 * EVP_Digest* re-initialisation allocate on every call (measured: two mallocs per HMAC), so
 * HMAC (RFC 2104) is built here on the low-level digest functions, deprecated but present in
 * OpenSSL 3: the states after the ipad and opad blocks are computed once per SA and copied
 * per packet. AES-XCBC-MAC-96 (RFC 3566) is not in OpenSSL: it runs on EVP AES-128 (ECB to
 * derive K1..K3, CBC under K1 to chain). node/ike has its own XCBC for the IKE PRF; the two
 * can be merged later.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "esp_mac.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

_Static_assert(sizeof(SHA512_CTX) <= 256 && sizeof(SHA256_CTX) <= 256 && sizeof(SHA_CTX) <= 256 &&
                       sizeof(MD5_CTX) <= 256,
               "hash state buffers too small");

struct esp_hash {
	size_t block, out;
	int (*init)(void *c);
	int (*update)(void *c, const void *p, size_t n);
	int (*final)(unsigned char *md, void *c);
};

/* Typed wrappers: calling through a cast function pointer would be undefined behaviour. */
#define ESP_HASH_WRAP(name, ctx_t, pfx)                            \
	static int name##_init(void *c)                            \
	{                                                          \
		return pfx##_Init((ctx_t *)c);                     \
	}                                                          \
	static int name##_update(void *c, const void *p, size_t n) \
	{                                                          \
		return pfx##_Update((ctx_t *)c, p, n);             \
	}                                                          \
	static int name##_final(unsigned char *md, void *c)        \
	{                                                          \
		return pfx##_Final(md, (ctx_t *)c);                \
	}

ESP_HASH_WRAP(md5, MD5_CTX, MD5)
ESP_HASH_WRAP(sha1, SHA_CTX, SHA1)
ESP_HASH_WRAP(sha256, SHA256_CTX, SHA256)
ESP_HASH_WRAP(sha384, SHA512_CTX, SHA384)
ESP_HASH_WRAP(sha512, SHA512_CTX, SHA512)

static const struct esp_hash esp_hashes[CFG_INTEG_COUNT] = {
        [CFG_INTEG_HMAC_MD5_96] = {64, 16, md5_init, md5_update, md5_final},
        [CFG_INTEG_HMAC_SHA1_96] = {64, 20, sha1_init, sha1_update, sha1_final},
        [CFG_INTEG_HMAC_SHA2_256_128] = {64, 32, sha256_init, sha256_update, sha256_final},
        [CFG_INTEG_HMAC_SHA2_384_192] = {128, 48, sha384_init, sha384_update, sha384_final},
        [CFG_INTEG_HMAC_SHA2_512_256] = {128, 64, sha512_init, sha512_update, sha512_final},
};

static const struct esp_hash *
esp_hash_of(enum cfg_integ alg)
{
	if ((unsigned)alg >= CFG_INTEG_COUNT || !esp_hashes[alg].init)
		return NULL;
	return &esp_hashes[alg];
}

/* RFC 2104 §2: K0 = key (hashed if longer than a block), then H(K0 ^ ipad), H(K0 ^ opad). */
static int
hmac_key_init(struct esp_mac_key *mk, const struct esp_hash *h, const uint8_t *k, size_t len)
{
	uint8_t k0[128] = {0}, pad[128];
	int ok = 1;

	if (len > h->block) {
		_Alignas(16) uint8_t st[256];

		ok &= h->init(st) & h->update(st, k, len) & h->final(k0, st);
		OPENSSL_cleanse(st, sizeof(st));
	} else {
		memcpy(k0, k, len);
	}
	for (size_t i = 0; i < h->block; i++)
		pad[i] = k0[i] ^ 0x36;
	ok &= h->init(mk->inner) & h->update(mk->inner, pad, h->block);
	for (size_t i = 0; i < h->block; i++)
		pad[i] = k0[i] ^ 0x5c;
	ok &= h->init(mk->outer) & h->update(mk->outer, pad, h->block);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(pad, sizeof(pad));
	return ok ? 0 : -EINVAL;
}

static EVP_CIPHER_CTX *
xcbc_k1_ctx(const uint8_t k1[16])
{
	static const uint8_t zero[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (!c)
		return NULL;
	if (EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, k1, zero) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

/* RFC 3566 §4 (1): K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..). */
static int
xcbc_key_init(struct esp_mac_key *mk, const uint8_t *k, size_t len, struct esp_mac_ctx *c)
{
	uint8_t in[48], out[48];
	EVP_CIPHER_CTX *ecb;
	int outl = 0, rc = -ENOMEM;

	if (len != 16)
		return -EINVAL;
	memset(in, 0x01, 16);
	memset(in + 16, 0x02, 16);
	memset(in + 32, 0x03, 16);
	ecb = EVP_CIPHER_CTX_new();
	if (!ecb)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, k, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ecb, 0) != 1 ||
	    EVP_EncryptUpdate(ecb, out, &outl, in, sizeof(in)) != 1 || outl != (int)sizeof(in))
		goto out;
	memcpy(mk->k2, out + 16, 16);
	memcpy(mk->k3, out + 32, 16);
	c->k1 = xcbc_k1_ctx(out);
	rc = c->k1 ? 0 : -ENOMEM;
out:
	EVP_CIPHER_CTX_free(ecb);
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

int
esp_mac_key_init(struct esp_mac_key *mk, enum cfg_integ alg, const uint8_t *k, size_t len,
                 struct esp_mac_ctx *first_ctx)
{
	const struct cfg_integ_info *ii = cfg_integ_info(alg);
	const struct esp_hash *h = esp_hash_of(alg);

	memset(mk, 0, sizeof(*mk));
	first_ctx->k1 = NULL;
	if (!ii || alg == CFG_INTEG_NONE || len != ii->key_len)
		return -EINVAL;
	mk->alg = alg;
	mk->icv_len = ii->icv_len;
	if (alg == CFG_INTEG_AES_XCBC_96)
		return xcbc_key_init(mk, k, len, first_ctx);
	return h ? hmac_key_init(mk, h, k, len) : -EINVAL;
}

int
esp_mac_ctx_init(struct esp_mac_ctx *c, const struct esp_mac_key *mk,
                 const struct esp_mac_ctx *first_ctx)
{
	c->k1 = NULL;
	if (mk->alg != CFG_INTEG_AES_XCBC_96)
		return 0;
	c->k1 = EVP_CIPHER_CTX_new();
	if (!c->k1 || EVP_CIPHER_CTX_copy(c->k1, first_ctx->k1) != 1) {
		EVP_CIPHER_CTX_free(c->k1);
		c->k1 = NULL;
		return -ENOMEM;
	}
	return 0;
}

void
esp_mac_ctx_fini(struct esp_mac_ctx *c)
{
	EVP_CIPHER_CTX_free(c->k1); /* cleanses the key schedule */
	c->k1 = NULL;
}

void
esp_mac_key_wipe(struct esp_mac_key *mk)
{
	OPENSSL_cleanse(mk, sizeof(*mk));
}

void
esp_mac_begin(struct esp_mac_run *r, const struct esp_mac_key *mk, struct esp_mac_ctx *c)
{
	static const uint8_t zero[16];

	r->key = mk;
	r->ctx = c;
	r->pending = 0;
	r->failed = false;
	if (mk->alg == CFG_INTEG_AES_XCBC_96) {
		r->failed = EVP_EncryptInit_ex(c->k1, NULL, NULL, NULL, zero) != 1;
		return;
	}
	memcpy(r->state, mk->inner, sizeof(r->state));
}

/* CBC-chains n bytes (a multiple of 16) under K1; the ciphertext is not needed. */
static void
xcbc_chain(struct esp_mac_run *r, const uint8_t *p, size_t n)
{
	uint8_t scratch[512];
	int outl;

	while (n > 0 && !r->failed) {
		size_t take = n < sizeof(scratch) ? n : sizeof(scratch);

		if (EVP_EncryptUpdate(r->ctx->k1, scratch, &outl, p, (int)take) != 1)
			r->failed = true;
		p += take;
		n -= take;
	}
}

/* Keeps the last block (full or not) pending: RFC 3566 §4 treats it differently. */
static void
xcbc_update(struct esp_mac_run *r, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t take;

		if (r->pending == 16) {
			xcbc_chain(r, r->state, 16);
			r->pending = 0;
		}
		if (r->pending == 0 && n > 16) {
			size_t bulk = (n - 1) / 16 * 16;

			xcbc_chain(r, p, bulk);
			p += bulk;
			n -= bulk;
			continue;
		}
		take = 16 - r->pending < n ? 16 - r->pending : n;
		memcpy(r->state + r->pending, p, take);
		r->pending += take;
		p += take;
		n -= take;
	}
}

void
esp_mac_update(struct esp_mac_run *r, const uint8_t *p, size_t n)
{
	if (r->key->alg == CFG_INTEG_AES_XCBC_96) {
		xcbc_update(r, p, n);
		return;
	}
	if (esp_hash_of(r->key->alg)->update(r->state, p, n) != 1)
		r->failed = true;
}

/* RFC 3566 §4 (3): last block XOR K2 when full, else padded with 10* and XOR K3. */
static bool
xcbc_end(struct esp_mac_run *r, uint8_t *out)
{
	const uint8_t *k = r->pending == 16 ? r->key->k2 : r->key->k3;
	uint8_t last[16], mac[16];
	int outl = 0;

	memcpy(last, r->state, r->pending);
	if (r->pending < 16) {
		last[r->pending] = 0x80;
		memset(last + r->pending + 1, 0, 15 - r->pending);
	}
	for (size_t i = 0; i < 16; i++)
		last[i] ^= k[i];
	if (!r->failed && (EVP_EncryptUpdate(r->ctx->k1, mac, &outl, last, 16) != 1 || outl != 16))
		r->failed = true;
	memcpy(out, mac, r->key->icv_len);
	return !r->failed;
}

bool
esp_mac_end(struct esp_mac_run *r, uint8_t *out)
{
	const struct esp_hash *h;
	uint8_t md[ESP_MAC_MAX_OUT];
	int ok;

	if (r->key->alg == CFG_INTEG_AES_XCBC_96)
		return xcbc_end(r, out);
	h = esp_hash_of(r->key->alg);
	ok = h->final(md, r->state);
	memcpy(r->state, r->key->outer, sizeof(r->state));
	ok &= h->update(r->state, md, h->out) & h->final(md, r->state);
	memcpy(out, md, r->key->icv_len);
	OPENSSL_cleanse(r->state, sizeof(r->state));
	return ok == 1 && !r->failed;
}
