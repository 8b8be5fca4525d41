/* SPDX-License-Identifier: MIT */
/*
 * The integrity algorithms of ESP (RFC 4303 §3.3.2.1): HMAC-MD5-96 (RFC 2403),
 * HMAC-SHA1-96 (RFC 2404), HMAC-SHA2-256-128/384-192/512-256 (RFC 4868) and AES-XCBC-MAC-96
 * (RFC 3566), keyed once and then computed per packet without allocating. Internal to
 * node/esp; exposed for the known-answer tests.
 */
#ifndef TANDEM_NODE_ESP_ESP_MAC_H
#define TANDEM_NODE_ESP_ESP_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "node/config/cfg.h"

#define ESP_MAC_MAX_OUT 64u /* SHA-512 */

/* The per-SA, read-only part: precomputed HMAC pad states or the XCBC subkeys K2/K3. */
struct esp_mac_key {
	enum cfg_integ alg;
	size_t icv_len; /* truncated output (RFC 4868 §2.3, RFC 2404 §2, RFC 3566 §4) */
	/* HMAC: the hash state after the ipad and opad blocks (RFC 2104 §2), opaque here */
	_Alignas(16) uint8_t inner[256], outer[256];
	/* XCBC: K2 and K3 (RFC 3566 §4) */
	uint8_t k2[16], k3[16];
};

/* The per-thread part: AES-XCBC needs an AES-128-CBC context under K1. */
struct esp_mac_ctx {
	EVP_CIPHER_CTX *k1; /* NULL for HMAC */
};

/* A MAC computation in progress over several pieces. */
struct esp_mac_run {
	const struct esp_mac_key *key;
	struct esp_mac_ctx *ctx;
	_Alignas(16) uint8_t state[256]; /* hash state, or the pending XCBC block */
	size_t pending;                  /* XCBC: bytes in state[0..16) not yet chained */
	bool failed;
};

/* Keys k (len bytes). Returns 0, -EINVAL (length), -ENOMEM. */
int esp_mac_key_init(struct esp_mac_key *mk, enum cfg_integ alg, const uint8_t *k, size_t len,
                     struct esp_mac_ctx *first_ctx);
/* A further per-thread context for the same key (XCBC only needs one). 0 or -ENOMEM. */
int esp_mac_ctx_init(struct esp_mac_ctx *c, const struct esp_mac_key *mk,
                     const struct esp_mac_ctx *first_ctx);
void esp_mac_ctx_fini(struct esp_mac_ctx *c);
/* Wipes the key states. */
void esp_mac_key_wipe(struct esp_mac_key *mk);

void esp_mac_begin(struct esp_mac_run *r, const struct esp_mac_key *mk, struct esp_mac_ctx *c);
void esp_mac_update(struct esp_mac_run *r, const uint8_t *p, size_t n);
/* Writes key->icv_len bytes to out. Returns false if the crypto library failed. */
bool esp_mac_end(struct esp_mac_run *r, uint8_t *out);

#endif
