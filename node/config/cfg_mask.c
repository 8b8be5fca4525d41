/* SPDX-License-Identifier: MIT */
/*
 * Masked keys (the seed 003 ERX "masked-key" form, made deterministic): AES-256-GCM under a
 * key derived from the cluster's master key with HKDF-SHA256 (RFC 5869), with a synthetic IV,
 * the first 12 bytes of HMAC-SHA256 over the key bytes (the SIV idea of RFC 5297), so one
 * master key masks one key the same way on every node. Layout: 0x01 || id[4] || IV[12] || C ||
 * tag[16], base64 (RFC 4648 §4); AAD = 0x01 || id. OpenSSL 3 EVP only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

#define MASK_VERSION  0x01
#define MASK_IV_LEN   12
#define MASK_TAG_LEN  16
#define MASK_HDR_LEN  (1 + 4 + MASK_IV_LEN)
#define MASK_OVERHEAD (MASK_HDR_LEN + MASK_TAG_LEN)
#define MASTER_MIN    16
#define MASTER_MAX    1024
#define MASK_SALT     "tandem configuration mask"
/* OSSL_PARAM takes non-const pointers to data it only reads. */
#define UNCONST(p) ((void *)(uintptr_t)(p))

/* ---- derivation ---------------------------------------------------------------------------- */

static int
hkdf(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5];
	int rc = -EIO;

	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, UNCONST("SHA256"), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, UNCONST(ikm), ikm_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, UNCONST(MASK_SALT),
	                                              sizeof(MASK_SALT) - 1);
	params[3] =
	        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, UNCONST(info), strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int
cfg_mask_key_derive(struct cfg_mask_key *mk, const uint8_t *master, size_t len)
{
	int rc;

	if (!mk || !master || len < MASTER_MIN)
		return -EINVAL;
	rc = hkdf(master, len, "tandem mask v1 encryption key", mk->k_enc, sizeof(mk->k_enc));
	if (rc == 0)
		rc = hkdf(master, len, "tandem mask v1 iv key", mk->k_iv, sizeof(mk->k_iv));
	if (rc == 0)
		rc = hkdf(master, len, "tandem mask v1 key id", mk->id, sizeof(mk->id));
	if (rc)
		cfg_mask_key_wipe(mk);
	return rc;
}

void
cfg_mask_key_wipe(struct cfg_mask_key *mk)
{
	if (mk)
		OPENSSL_cleanse(mk, sizeof(*mk));
}

/* ---- master key file ----------------------------------------------------------------------- */

int
cfg_mask_key_load(const char *path, struct cfg_mask_key *mk)
{
	uint8_t key[MASTER_MAX + 1];
	size_t n = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < sizeof(key)) {
		ssize_t r = read(fd, key + n, sizeof(key) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc == 0 && (n < MASTER_MIN || n > MASTER_MAX))
		rc = -EINVAL;
	if (rc == 0)
		rc = cfg_mask_key_derive(mk, key, n);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cfg_mask_key_create(const char *path)
{
	uint8_t key[32];
	int fd, rc;

	if (RAND_bytes(key, sizeof(key)) != 1)
		return -EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		OPENSSL_cleanse(key, sizeof(key));
		return rc;
	}
	rc = write_all(fd, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc)
		(void)unlink(path); /* never leave a partial key behind */
	return rc;
}

/* ---- mask and unmask ----------------------------------------------------------------------- */

static int
synthetic_iv(const struct cfg_mask_key *mk, const uint8_t *p, size_t len, uint8_t iv[MASK_IV_LEN])
{
	uint8_t mac[32];
	size_t n = 0;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[2];
	int rc = -EIO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, UNCONST("SHA256"), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && EVP_MAC_init(ctx, mk->k_iv, sizeof(mk->k_iv), params) == 1 &&
	    EVP_MAC_update(ctx, p, len) == 1 && EVP_MAC_final(ctx, mac, &n, sizeof(mac)) == 1 &&
	    n == sizeof(mac)) {
		memcpy(iv, mac, MASK_IV_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return rc;
}

/* AES-256-GCM over in[0..len) into out (same length); enc: tag written, else tag checked. */
static int
gcm(const struct cfg_mask_key *mk, bool enc, const uint8_t *hdr, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t tag[MASK_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, rc = -EIO;

	if (!ctx || len > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MASK_IV_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, mk->k_enc, hdr + 5, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, hdr, 5) != 1 ||
	    (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MASK_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MASK_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
cfg_mask(const struct cfg_mask_key *mk, const uint8_t *p, size_t len, struct buf *out)
{
	size_t blen = MASK_OVERHEAD + len, tlen = 4 * ((blen + 2) / 3);
	uint8_t *blob = malloc(blen + 16), *text;
	int rc;

	if (!blob)
		return -ENOMEM;
	blob[0] = MASK_VERSION;
	memcpy(blob + 1, mk->id, 4);
	rc = synthetic_iv(mk, p ? p : (const uint8_t *)"", len, blob + 5);
	if (rc == 0)
		rc = gcm(mk, true, blob, p, len, blob + MASK_HDR_LEN, blob + MASK_HDR_LEN + len);
	if (rc == 0) {
		text = buf_reserve(out, tlen + 1);
		if (!text)
			rc = -ENOMEM;
		else if (EVP_EncodeBlock(text, blob, (int)blen) != (int)tlen)
			rc = -EIO;
		if (text)
			out->b_len--; /* the NUL EVP_EncodeBlock writes */
	}
	free(blob);
	return rc;
}

/* Strict base64: the alphabet, a length that is a multiple of 4, '=' only at the end. */
static bool
b64_valid(const char *s, size_t n, size_t *pad)
{
	*pad = 0;
	if (n == 0 || n % 4)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '+' || c == '/';

		if (c == '=' && i + 2 >= n && (i + 1 == n || s[i + 1] == '='))
			(*pad)++;
		else if (!alpha || *pad)
			return false;
	}
	return true;
}

static int
unmask_blob(const struct cfg_mask_key *mk, uint8_t *blob, size_t blen, struct secret *out)
{
	size_t len = blen - MASK_OVERHEAD;
	uint8_t *pt = malloc(len + 16), iv[MASK_IV_LEN];
	int rc;

	if (!pt)
		return -ENOMEM;
	rc = gcm(mk, false, blob, blob + MASK_HDR_LEN, len, pt, blob + MASK_HDR_LEN + len);
	/* The IV must be the synthetic one: then each key has exactly one masked form. */
	if (rc == 0 &&
	    (synthetic_iv(mk, pt, len, iv) != 0 || CRYPTO_memcmp(iv, blob + 5, MASK_IV_LEN) != 0))
		rc = -EBADMSG;
	if (rc == 0 && secret_set(out, pt, len) != 0)
		rc = -ENOMEM;
	OPENSSL_cleanse(pt, len + 16);
	free(pt);
	return rc;
}

int
cfg_unmask(const struct cfg_mask_key *mk, const char *text, struct secret *out, uint8_t other_id[4])
{
	size_t n = strlen(text), pad, blen;
	uint8_t *blob;
	int rc;

	if (!b64_valid(text, n, &pad) || n > (size_t)4 * ((MASK_OVERHEAD + CFG_PSK_MAX + 2) / 3))
		return -EBADMSG;
	blob = malloc(n / 4 * 3 + 1);
	if (!blob)
		return -ENOMEM;
	blen = n / 4 * 3 - pad;
	if (EVP_DecodeBlock(blob, (const unsigned char *)text, (int)n) != (int)(n / 4 * 3) ||
	    blen < MASK_OVERHEAD || blob[0] != MASK_VERSION) {
		rc = -EBADMSG;
	} else if (CRYPTO_memcmp(blob + 1, mk->id, 4) != 0) {
		memcpy(other_id, blob + 1, 4);
		rc = -EKEYREJECTED;
	} else {
		rc = unmask_blob(mk, blob, blen, out);
	}
	free(blob);
	return rc;
}
