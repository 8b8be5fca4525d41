/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL algorithm handles for the IKE cryptography, fetched on first use and kept until
 * ike_crypto_cleanup, so that no message or key derivation pays for an EVP_*_fetch. DES-CBC
 * lives in OpenSSL 3's legacy provider, which is loaded (with the default one) only when DES is
 * first asked for. Not thread-safe: tandemd is single-threaded.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "node/ike/ike_crypto.h"
#include "node/ike/ike_crypto_int.h"

/* Non-const because OSSL_PARAM_construct_utf8_string takes char *. */
static char md_md5[] = "MD5";
static char md_sha1[] = "SHA1";
static char md_sha256[] = "SHA256";
static char md_sha384[] = "SHA384";
static char md_sha512[] = "SHA512";

static char *const hmac_digest[IKE_MAC_AES_XCBC] = {
        [IKE_MAC_HMAC_MD5] = md_md5,       [IKE_MAC_HMAC_SHA1] = md_sha1,
        [IKE_MAC_HMAC_SHA256] = md_sha256, [IKE_MAC_HMAC_SHA384] = md_sha384,
        [IKE_MAC_HMAC_SHA512] = md_sha512,
};

static const char *const cipher_name[CFG_ENCR_COUNT] = {
        [CFG_ENCR_DES_CBC] = "DES-CBC",          [CFG_ENCR_3DES_CBC] = "DES-EDE3-CBC",
        [CFG_ENCR_AES128_CBC] = "AES-128-CBC",   [CFG_ENCR_AES192_CBC] = "AES-192-CBC",
        [CFG_ENCR_AES256_CBC] = "AES-256-CBC",   [CFG_ENCR_AES128_GCM16] = "AES-128-GCM",
        [CFG_ENCR_AES256_GCM16] = "AES-256-GCM", [CFG_ENCR_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

static struct {
	EVP_MAC *hmac;
	EVP_MAC_CTX *hmac_tmpl[IKE_MAC_AES_XCBC];
	EVP_CIPHER *cipher[CFG_ENCR_COUNT];
	EVP_CIPHER *aes128_ecb;
	EVP_MD *sha1;
	OSSL_PROVIDER *prov_default, *prov_legacy;
	bool legacy_failed;
} evp;

int
ike_ossl_fail(int rc)
{
	ERR_clear_error();
	return rc;
}

EVP_MAC_CTX *
ike_evp_hmac_new(enum ike_mac_alg alg)
{
	EVP_MAC_CTX *t;
	OSSL_PARAM params[2];

	if ((unsigned)alg >= IKE_MAC_AES_XCBC)
		return NULL;
	if (!evp.hmac && !(evp.hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)))
		goto fail;
	t = evp.hmac_tmpl[alg];
	if (!t) {
		/* The template holds the digest; duplicating it does not fetch the digest again. */
		if (!(t = EVP_MAC_CTX_new(evp.hmac)))
			goto fail;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		                                             hmac_digest[alg], 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(t, params)) {
			EVP_MAC_CTX_free(t);
			goto fail;
		}
		evp.hmac_tmpl[alg] = t;
	}
	return EVP_MAC_CTX_dup(t);
fail:
	ERR_clear_error();
	return NULL;
}

/*
 * Loading a provider explicitly switches off OpenSSL's implicit default provider, so the
 * default one is loaded first. A failure is remembered: DES is then refused at once.
 */
static int
legacy_load(void)
{
	if (evp.prov_legacy)
		return 0;
	if (evp.legacy_failed)
		return -ENOPKG;
	if (!evp.prov_default && !(evp.prov_default = OSSL_PROVIDER_load(NULL, "default")))
		goto fail;
	if (!(evp.prov_legacy = OSSL_PROVIDER_load(NULL, "legacy")))
		goto fail;
	return 0;
fail:
	evp.legacy_failed = true;
	return ike_ossl_fail(-ENOPKG);
}

int
ike_evp_cipher(enum cfg_encr e, const EVP_CIPHER **out)
{
	int rc;

	if ((unsigned)e >= CFG_ENCR_COUNT || !cipher_name[e])
		return -EINVAL;
	if (!evp.cipher[e]) {
		if (e == CFG_ENCR_DES_CBC && (rc = legacy_load()) < 0)
			return rc;
		evp.cipher[e] = EVP_CIPHER_fetch(NULL, cipher_name[e], NULL);
		if (!evp.cipher[e])
			return ike_ossl_fail(e == CFG_ENCR_DES_CBC ? -ENOPKG : -ENOTSUP);
	}
	*out = evp.cipher[e];
	return 0;
}

const EVP_CIPHER *
ike_evp_aes128_ecb(void)
{
	if (!evp.aes128_ecb && !(evp.aes128_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL)))
		ERR_clear_error();
	return evp.aes128_ecb;
}

const EVP_MD *
ike_evp_sha1(void)
{
	if (!evp.sha1 && !(evp.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)))
		ERR_clear_error();
	return evp.sha1;
}

void
ike_crypto_cleanup(void)
{
	for (unsigned i = 0; i < IKE_MAC_AES_XCBC; i++)
		EVP_MAC_CTX_free(evp.hmac_tmpl[i]);
	for (unsigned i = 0; i < CFG_ENCR_COUNT; i++)
		EVP_CIPHER_free(evp.cipher[i]);
	EVP_MAC_free(evp.hmac);
	EVP_CIPHER_free(evp.aes128_ecb);
	EVP_MD_free(evp.sha1);
	ike_dh_cleanup();
	if (evp.prov_legacy)
		OSSL_PROVIDER_unload(evp.prov_legacy);
	if (evp.prov_default)
		OSSL_PROVIDER_unload(evp.prov_default);
	memset(&evp, 0, sizeof(evp));
}
