/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of node/esp: the layout of struct esp_sa and its per-thread
 * slots, the cipher helpers, and a test seam that fixes the IV of the next packet so the
 * known-answer tests can reproduce published ESP packets. Nothing outside node/esp and its
 * tests includes this.
 */
#ifndef TANDEM_NODE_ESP_ESP_INT_H
#define TANDEM_NODE_ESP_ESP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "node/esp/esp_mac.h"
#include "node/esp/esp_replay.h"
#include "node/esp/esp_sa.h"

#define ESP_RND_POOL 1024u /* CBC IVs drawn per RAND_bytes call: 64 AES IVs */

enum esp_kind {
	ESP_KIND_AEAD = 1, /* AES-GCM-16 (RFC 4106), ChaCha20-Poly1305 (RFC 7634) */
	ESP_KIND_CBC,      /* AES/3DES/DES-CBC, with or without an integrity algorithm */
	ESP_KIND_NULL,     /* NULL encryption (RFC 2410) with an integrity algorithm */
};

struct esp_counters {
	uint64_t packets, bytes;
	uint64_t drops[ESP_DROP__COUNT];
};

/* What one thread needs: its own cipher contexts, IV pool and counters. */
struct esp_slot {
	EVP_CIPHER_CTX *cipher; /* NULL with NULL encryption */
	struct esp_mac_ctx mac;
	uint8_t *rnd;   /* outbound CBC only (owned): random IVs, refilled by one RAND_bytes call */
	size_t rnd_off; /* next unused byte; ESP_RND_POOL = empty */
	uint8_t iv_fixed[ESP_MAX_IV_LEN]; /* test seam: IV of the next packet */
	bool iv_fixed_set;
	struct esp_counters cnt;
} __attribute__((aligned(64)));

struct esp_sa {
	struct esp_sa_params p; /* keys cleared after the contexts were made */
	enum esp_kind kind;
	bool has_mac;
	uint8_t salt[4]; /* AEAD: the last four key bytes (RFC 4106 §8.1, RFC 7634 §2) */
	size_t iv_len, icv_len;
	size_t align; /* padding boundary: the cipher block, at least 4 (RFC 4303 §2.4) */
	size_t block; /* CBC: ciphertext must be a multiple of it */
	struct esp_mac_key mac;

	/* outbound sequence numbers and leases (DESIGN.md, "Sequence-number leases") */
	_Atomic uint64_t next_seq;  /* next number to send */
	_Atomic uint64_t limit;     /* never send a number >= limit */
	_Atomic uint64_t refill_at; /* ask for a lease once next_seq passes it */
	atomic_bool lease_asked;
	uint64_t max_seq; /* 2^32-1, or 2^64-1 with ESN */
	unsigned refill_pct;

	/* inbound window and reports */
	atomic_flag lock; /* guards rp */
	struct esp_replay rp;
	_Atomic uint64_t accepted;
	_Atomic uint64_t top;      /* rp.top, readable without the lock */
	_Atomic uint64_t reported; /* the top at the last report (or the start) */
	uint32_t report_every;

	/* byte lifetime */
	_Atomic uint64_t life_bytes;
	atomic_uint life_flags;

	unsigned nslots;
	struct esp_slot *slots;
};

#define ESP_LIFE_SOFT_HIT  1u
#define ESP_LIFE_SOFT_SENT 2u
#define ESP_LIFE_HARD_HIT  4u
#define ESP_LIFE_HARD_SENT 8u

/* esp_cipher.c */
int esp_cipher_init(struct esp_sa *sa, const struct esp_sa_params *p);
void esp_cipher_fini(struct esp_sa *sa);
bool esp_aead_seal(struct esp_slot *s, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                   uint8_t *p, size_t n, uint8_t *tag, size_t tag_len);
bool esp_aead_open(struct esp_slot *s, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                   uint8_t *p, size_t n, const uint8_t *tag, size_t tag_len);
bool esp_cbc_crypt(struct esp_slot *s, bool enc, const uint8_t *iv, uint8_t *p, size_t n);
/* The next random CBC IV (iv_len bytes) of the slot's pool; false if RAND_bytes failed. */
bool esp_cbc_iv(struct esp_sa *sa, struct esp_slot *s, uint8_t *iv);

/* esp_seq.c */
enum esp_drop esp_seq_take(struct esp_sa *sa, uint64_t *seq);
void esp_seq_init(struct esp_sa *sa, const struct esp_sa_opts *o);
/* Adds n bytes to the lifetime; false once the hard limit was reached before this packet. */
bool esp_life_charge(struct esp_sa *sa, size_t n);
bool esp_life_expired(const struct esp_sa *sa);

/* esp_sa.c */
void esp_sa_lock(struct esp_sa *sa);
void esp_sa_unlock(struct esp_sa *sa);

/* Test seam: the next esp_encap on slot uses iv (iv_len bytes) instead of its own. */
void esp_sa_test_fix_iv(struct esp_sa *sa, unsigned slot, const uint8_t *iv, size_t len);

#endif
