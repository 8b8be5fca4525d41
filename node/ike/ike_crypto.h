/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 cryptography over OpenSSL 3 EVP: the algorithm registry (configuration enums <->
 * IANA transform ids), PRF and prf+, SKEYSEED and key derivation, PSK authentication data,
 * Diffie-Hellman for every supported group, the Encrypted (SK) payload, NAT detection hashes
 * and cookies. Pure apart from OpenSSL: randomness comes from the caller (IVs) or is confined
 * to ike_dh_new. All key material lives in struct secret and is wiped when freed.
 * OpenSSL algorithm handles are fetched once and cached in static storage: not thread-safe
 * (tandemd is single-threaded); ike_crypto_cleanup releases them.
 */
#ifndef TANDEM_NODE_IKE_IKE_CRYPTO_H
#define TANDEM_NODE_IKE_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/config/cfg.h"
#include "node/core/secret.h"

#define IKE_PRF_MAX_LEN    64 /* HMAC-SHA2-512 */
#define IKE_AUTH_MAX_LEN   64
#define IKE_DH_MAX_PUB_LEN 512 /* MODP 4096 */
#define IKE_NATD_HASH_LEN  20  /* SHA-1, RFC 7296 §2.23 */
#define IKE_COOKIE_LEN     32
#define IKE_SK_MAX_IV_LEN  16

/* ---- algorithm registry ------------------------------------------------------------------ */

/* IANA ENCR id and key length (bits; 0 when the transform carries no Key Length). */
void ike_encr_to_iana(enum cfg_encr e, uint16_t *id, uint16_t *keylen_bits);
/* Returns false for a transform tandem does not implement (or a key length it does not). */
bool ike_encr_from_iana(uint16_t id, uint16_t keylen_bits, enum cfg_encr *out);
uint16_t ike_integ_to_iana(enum cfg_integ i);
bool ike_integ_from_iana(uint16_t id, enum cfg_integ *out);
uint16_t ike_prf_to_iana(enum cfg_prf p);
bool ike_prf_from_iana(uint16_t id, enum cfg_prf *out);

/* ---- PRF (RFC 7296 §2.13) ------------------------------------------------------------------ */

size_t ike_prf_len(enum cfg_prf p);
/*
 * out (ike_prf_len bytes) = prf(key, data). HMAC variants take any key length; AES128-XCBC
 * follows RFC 4434 (keys shorter than 16 bytes are zero-padded, longer ones are first
 * reduced with the PRF under a zero key). Returns 0 or -EINVAL/-ENOMEM.
 */
int ike_prf(enum cfg_prf p, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
            uint8_t *out);
/* prf+ (RFC 7296 §2.13): outlen bytes, at most 255 * ike_prf_len(p). */
int ike_prf_plus(enum cfg_prf p, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
                 uint8_t *out, size_t outlen);
/*
 * ICV of an integrity transform over data: out gets cfg_integ_info(i)->icv_len bytes (the MAC
 * truncated per RFC 2404, RFC 4868, RFC 3566). HMAC keys may have any length; AES-XCBC-96
 * takes exactly 16 bytes. One-shot: struct ike_sk keeps its own prepared MAC. 0 or -EINVAL.
 */
int ike_integ_icv(enum cfg_integ i, const uint8_t *key, size_t klen, const uint8_t *data,
                  size_t dlen, uint8_t *out);

/* ---- IKE SA keys (RFC 7296 §2.14, §2.18) -------------------------------------------------- */

struct ike_keys {
	enum cfg_prf prf;
	enum cfg_encr encr;
	enum cfg_integ integ;
	struct secret sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

/*
 * Derives SKEYSEED and the seven keys. For IKE_SA_INIT old_sk_d is NULL and SKEYSEED =
 * prf(Ni | Nr, g^ir) (for AES128-XCBC the key is the first 8 octets of Ni and of Nr); for an
 * IKE SA rekey SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF
 * old_prf. k->prf/encr/integ select the lengths. Returns 0 or -ENOMEM/-EINVAL.
 * Nonces are 1..256 octets (RFC 7296 §3.9; 8 at least with AES128-XCBC). On failure k is left
 * as it was, so old_sk_d may be &k->sk_d.
 */
int ike_keys_derive(struct ike_keys *k, const struct secret *g_ir, const uint8_t *ni, size_t ni_len,
                    const uint8_t *nr, size_t nr_len, uint64_t spi_i, uint64_t spi_r,
                    const struct secret *old_sk_d, enum cfg_prf old_prf);
void ike_keys_clear(struct ike_keys *k);

/* ---- Child SA keys (RFC 7296 §2.17) -------------------------------------------------------- */

/* Keys of one Child SA: "i" protects initiator-to-responder traffic, "r" the other way. */
struct ike_child_keys {
	struct secret enc_i, integ_i, enc_r, integ_r;
};

/*
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), taken in the order encryption i->r, integrity
 * i->r, encryption r->i, integrity r->i. GCM and ChaCha20-Poly1305 keys include their
 * 4-byte salt (RFC 4106 §8.1, RFC 7634 §2). g_ir is NULL without PFS.
 */
int ike_child_keys_derive(enum cfg_prf prf, const struct secret *sk_d, const struct secret *g_ir,
                          const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                          enum cfg_encr encr, enum cfg_integ integ, struct ike_child_keys *out);
void ike_child_keys_clear(struct ike_child_keys *k);

/* ---- authentication with a shared secret (RFC 7296 §2.15) ---------------------------------- */

/*
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) where SignedOctets =
 * RealMessage | Nonce(peer) | prf(SK_p, IDx'). msg is the sender's first message (its
 * IKE_SA_INIT request or response, as sent), nonce the other side's nonce, sk_p the sender's
 * SK_pi/SK_pr, id_body the sender's ID payload body (type, reserved, data). out gets
 * ike_prf_len(prf) bytes. Returns 0 or -EINVAL/-ENOMEM.
 */
int ike_auth_psk(enum cfg_prf prf, const struct secret *psk, const uint8_t *msg, size_t msg_len,
                 const uint8_t *nonce, size_t nonce_len, const struct secret *sk_p,
                 const uint8_t *id_body, size_t id_len, uint8_t *out);

/* ---- Diffie-Hellman (RFC 7296 §3.4; RFC 2409/3526 MODP, RFC 5903 ECP, RFC 8031) ---------- */

struct ike_dh;

/* Generates a key pair for an IANA group (1, 2, 5, 14, 15, 16, 19, 20, 21, 31). -ENOTSUP. */
int ike_dh_new(uint16_t group, struct ike_dh **out);
/* Key pair from a known private value (tests: RFC 5903 vectors). */
int ike_dh_new_from_private(uint16_t group, const uint8_t *priv, size_t len, struct ike_dh **out);
uint16_t ike_dh_group(const struct ike_dh *dh);
/* Length of the KE payload data for a group: the prime's octets (MODP), 2 x coordinate (ECP), 32
 * (X25519). */
size_t ike_dh_pub_len(uint16_t group);
/* Writes our public value, encoded as the KE payload carries it. len must be ike_dh_pub_len. */
int ike_dh_pub(const struct ike_dh *dh, uint8_t *out, size_t len);
/*
 * Computes g^ir from the peer's public value. A value of the wrong length, not in range
 * (MODP 1 < y < p-1), not on the curve (ECP), or giving an all-zero secret (X25519) is
 * -EBADMSG. The secret is MODP: zero-padded to the prime length; ECP: the x coordinate.
 */
int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t len, struct secret *out);
void ike_dh_free(struct ike_dh *dh);

/* ---- the Encrypted payload (RFC 7296 §3.14, RFC 5282) -------------------------------------- */

/* Prepared cipher and integrity contexts for one direction of an IKE SA. */
struct ike_sk;

/*
 * ke/ka are SK_ei/SK_ai or SK_er/SK_ar (ka is ignored, and may be empty, for AEAD). Key lengths
 * must match cfg_*_info; an AEAD cipher takes CFG_INTEG_NONE, a CBC cipher an integrity
 * transform. -EINVAL, -ENOMEM, or -ENOPKG for DES-CBC when OpenSSL's legacy provider cannot be
 * loaded.
 */
int ike_sk_new(enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke,
               const struct secret *ka, struct ike_sk **out);
/*
 * The same for one use only: seal (the messages we send) or open (the peer's). The cipher
 * context of the other use is not made, which halves what an IKE SA keeps of OpenSSL's
 * state; the other function returns -EINVAL on it.
 */
int ike_sk_new_for(enum cfg_encr encr, enum cfg_integ integ, const struct secret *ke,
                   const struct secret *ka, bool seal, struct ike_sk **out);
void ike_sk_free(struct ike_sk *sk);
size_t ike_sk_iv_len(const struct ike_sk *sk);
/* Bytes of the SK body (IV, padded ciphertext, ICV) for plain_len bytes of payloads. */
size_t ike_sk_body_len(const struct ike_sk *sk, size_t plain_len);
/*
 * Encrypts: body (body_len = ike_sk_body_len) gets IV || ciphertext || ICV. aad is the
 * message from the IKE header through the SK generic header; for CBC the ICV covers aad,
 * IV and ciphertext, for AEAD aad is the associated data. iv (ike_sk_iv_len bytes) must be
 * random (the caller draws it). Padding is minimal, with zero pad bytes.
 */
int ike_sk_seal(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *plain,
                size_t plain_len, const uint8_t *iv, uint8_t *body, size_t body_len);
/*
 * Verifies and decrypts; plain needs body_len bytes of room. Returns 0 with *plain_len, or
 * -EBADMSG when the ICV does not verify (constant-time) or the padding is malformed.
 */
int ike_sk_open(struct ike_sk *sk, const uint8_t *aad, size_t aad_len, const uint8_t *body,
                size_t body_len, uint8_t *plain, size_t *plain_len);

/* ---- NAT detection and cookies ----------------------------------------------------------- */

/*
 * NAT_DETECTION_*_IP data (RFC 7296 §2.23): SHA-1(SPIi | SPIr | IP | Port), with SPIr zero
 * in the IKE_SA_INIT request. addr is 4 or 16 bytes, port in host order.
 */
int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const uint8_t *addr, size_t addr_len,
                  uint16_t port, uint8_t out[IKE_NATD_HASH_LEN]);
/* COOKIE data (RFC 7296 §2.6): HMAC-SHA256(secret, Ni | IPi | SPIi), IKE_COOKIE_LEN bytes. */
int ike_cookie_make(const uint8_t secret[32], const uint8_t *ni, size_t ni_len, const uint8_t *addr,
                    size_t addr_len, uint64_t spi_i, uint8_t out[IKE_COOKIE_LEN]);

/* ---- process teardown -------------------------------------------------------------------- */

/* Frees the cached OpenSSL handles and unloads providers loaded for DES (exit, tests). */
void ike_crypto_cleanup(void);

#endif
