/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the ike_crypto*.c, ike_dh.c and ike_xcbc.c files: OpenSSL algorithm
 * handles fetched once and cached, a keyed MAC (HMAC or AES-XCBC) that is restarted per message
 * without allocating, and AES-XCBC itself (RFC 3566, RFC 4434). Not for use outside node/ike.
 */
#ifndef TANDEM_NODE_IKE_IKE_CRYPTO_INT_H
#define TANDEM_NODE_IKE_IKE_CRYPTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "node/config/cfg.h"

/* The MAC behind every PRF and integrity transform tandem implements. */
enum ike_mac_alg {
	IKE_MAC_HMAC_MD5 = 0,
	IKE_MAC_HMAC_SHA1,
	IKE_MAC_HMAC_SHA256,
	IKE_MAC_HMAC_SHA384,
	IKE_MAC_HMAC_SHA512,
	IKE_MAC_AES_XCBC,
	IKE_MAC_COUNT
};

#define IKE_XCBC_LEN    16 /* AES block, key and full MAC length (RFC 3566 §4) */
#define IKE_MAC_MAX_LEN 64

/* Piece of a message fed to a MAC without concatenating (prf+ seeds, AUTH octets). */
struct ike_iov {
	const uint8_t *p;
	size_t len;
};

/* ---- cached OpenSSL handles (ike_crypto_evp.c) ------------------------------------------- */

/*
 * Fetches happen once per algorithm and the handles live until ike_crypto_cleanup. tandemd is
 * single-threaded; none of this is safe to call from two threads at once.
 */
/* A new HMAC context for alg (not yet keyed), duplicated from a cached template. */
EVP_MAC_CTX *ike_evp_hmac_new(enum ike_mac_alg alg);
/* Cipher for an IKE/ESP encryption transform; DES-CBC loads OpenSSL's legacy provider. */
int ike_evp_cipher(enum cfg_encr e, const EVP_CIPHER **out);
const EVP_CIPHER *ike_evp_aes128_ecb(void);
const EVP_MD *ike_evp_sha1(void);
/* Empties OpenSSL's error queue and returns rc (failures are reported by value only). */
int ike_ossl_fail(int rc);
/* Frees ike_dh.c's per-group parameters and key generation contexts (ike_crypto_cleanup). */
void ike_dh_cleanup(void);

/* ---- AES-XCBC (ike_xcbc.c) ---------------------------------------------------------------- */

struct ike_xcbc {
	EVP_CIPHER_CTX *k1;        /* AES-128-ECB under K1 */
	uint8_t k2[IKE_XCBC_LEN];  /* RFC 3566 §4: K2 = E(K, 0x02..) */
	uint8_t k3[IKE_XCBC_LEN];  /* K3 = E(K, 0x03..) */
	uint8_t e[IKE_XCBC_LEN];   /* CBC chaining value */
	uint8_t buf[IKE_XCBC_LEN]; /* input not yet encrypted (the last block is special) */
	size_t buf_len;
};

/* key of any length, handled as RFC 4434 §2 says (exactly 16 octets: RFC 3566 as is). */
int ike_xcbc_init(struct ike_xcbc *x, const uint8_t *key, size_t klen);
void ike_xcbc_reset(struct ike_xcbc *x);
int ike_xcbc_update(struct ike_xcbc *x, const uint8_t *p, size_t len);
int ike_xcbc_final(struct ike_xcbc *x, uint8_t out[IKE_XCBC_LEN]);
void ike_xcbc_fini(struct ike_xcbc *x);

/* ---- keyed MAC (ike_crypto_mac.c) ---------------------------------------------------------- */

struct ike_mac {
	enum ike_mac_alg alg;
	EVP_MAC_CTX *hmac; /* HMAC variants */
	struct ike_xcbc xcbc;
};

bool ike_mac_of_prf(enum cfg_prf p, enum ike_mac_alg *out);
bool ike_mac_of_integ(enum cfg_integ i, enum ike_mac_alg *out);
size_t ike_mac_len(enum ike_mac_alg alg);
/* Keys m; on failure m is left finalized (ike_mac_fini is still safe). */
int ike_mac_init(struct ike_mac *m, enum ike_mac_alg alg, const uint8_t *key, size_t klen);
/* Starts a new message under the same key (no allocation). */
int ike_mac_restart(struct ike_mac *m);
int ike_mac_update(struct ike_mac *m, const uint8_t *p, size_t len);
/* Writes ike_mac_len(m->alg) bytes. */
int ike_mac_final(struct ike_mac *m, uint8_t *out);
void ike_mac_fini(struct ike_mac *m);
/* One-shot MAC over n pieces. */
int ike_mac_oneshot(enum ike_mac_alg alg, const uint8_t *key, size_t klen,
                    const struct ike_iov *iov, size_t n, uint8_t *out);

/* ---- prf+ over a seed in pieces (ike_crypto.c) --------------------------------------------- */

int ike_prf_plus_iov(enum cfg_prf p, const uint8_t *key, size_t klen, const struct ike_iov *seed,
                     size_t n_seed, uint8_t *out, size_t outlen);

#endif
