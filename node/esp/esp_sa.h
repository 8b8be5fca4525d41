/* SPDX-License-Identifier: MIT */
/*
 * One direction of an ESP SA in tunnel mode (RFC 4303 §3.1.2), prepared once with OpenSSL 3
 * contexts and then used to encapsulate or decapsulate packets in place, without allocating.
 * Pure: no sockets, threads or clocks. Sequence numbers (leases), the anti-replay window and
 * byte lifetimes live here; the caller polls for the events they raise.
 *
 * Threads: an SA may be used by several threads at once if each uses its own slot
 * (0 <= slot < opts.nslots): a slot holds the cipher contexts and counters of one thread.
 * Sequence numbers, leases, the replay window and lifetimes are shared and synchronised here.
 * esp_sa_new/esp_sa_free must not run concurrently with any other call on the same SA.
 */
#ifndef TANDEM_NODE_ESP_ESP_SA_H
#define TANDEM_NODE_ESP_ESP_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/esp/esp_drop.h"
#include "node/esp/esp_params.h"

struct esp_sa;

#define ESP_HDR_LEN     8u  /* SPI + sequence number (RFC 4303 §2) */
#define ESP_MAX_IV_LEN  16u /* AES-CBC */
#define ESP_MAX_ICV_LEN 32u /* HMAC-SHA2-512-256 */
#define ESP_HEADROOM    (ESP_HDR_LEN + ESP_MAX_IV_LEN)
/* largest padding (block - 1, RFC 4303 §2.4 allows up to 255 but we never add more than a
 * block) + pad length + next header + ICV */
#define ESP_TAILROOM (15u + 2u + ESP_MAX_ICV_LEN)

#define ESP_NH_IPV4  4u  /* IP-in-IP: tunnel mode, inner IPv4 */
#define ESP_NH_IPV6  41u /* tunnel mode, inner IPv6 */
#define ESP_NH_DUMMY 59u /* "no next header": a dummy packet, RFC 4303 §2.6 */

/* How an SA is used; the same for every SA of one engine. */
struct esp_sa_opts {
	unsigned nslots;              /* threads that use the SA (>= 1) */
	unsigned lease_refill_pct;    /* outbound: ask for more at this % of a lease (1..100) */
	uint32_t replay_report_every; /* inbound: report the highest number every N packets */
};

/* A packet in a caller buffer: data..data+len, with room around it. */
struct esp_pkt {
	uint8_t *data;
	size_t len;
	size_t headroom; /* writable bytes before data */
	size_t tailroom; /* writable bytes after data + len */
};

/* What esp_decap found: the inner packet, a view into the caller's buffer. */
struct esp_inner {
	uint8_t *data; /* the inner IP packet (TFC padding removed, RFC 4303 §2.7) */
	size_t len;
	uint8_t next_hdr; /* ESP_NH_IPV4 or ESP_NH_IPV6 */
	uint64_t seq;     /* full (inferred with ESN) sequence number */
};

/* Totals over all slots. */
struct esp_sa_stats {
	uint64_t packets, bytes;         /* accepted/sent packets, inner bytes */
	uint64_t seq;                    /* outbound: last number sent; inbound: highest accepted */
	uint64_t lease_limit;            /* outbound: the limit it holds */
	uint64_t drops[ESP_DROP__COUNT]; /* by reason */
};

enum esp_life_event {
	ESP_LIFE_NONE = 0,
	ESP_LIFE_SOFT, /* soft byte limit reached: rekey now */
	ESP_LIFE_HARD, /* hard byte limit reached: the SA refuses every further packet */
};

/*
 * Prepares an SA from p (copied; the copy keeps no raw key once the contexts hold it).
 * Returns 0; -EINVAL for an unknown algorithm, a key of the wrong length, an AEAD with an
 * integrity algorithm, NULL encryption without integrity, a replay window above 4096 or an
 * unsupported family; -ENOTSUP when OpenSSL lacks the algorithm (DES without the legacy
 * provider); -ENOMEM.
 */
int esp_sa_new(const struct esp_sa_params *p, const struct esp_sa_opts *opts, struct esp_sa **out);
/* Wipes the key schedules and frees. NULL-safe. */
void esp_sa_free(struct esp_sa *sa);

/* The parameters it was made from, with empty key secrets. Borrowed, lives with sa. */
const struct esp_sa_params *esp_sa_params(const struct esp_sa *sa);

/* Bytes ESP adds in front of the inner packet (header + IV). */
size_t esp_sa_head_len(const struct esp_sa *sa);
/* Bytes ESP adds after an inner packet of inner_len bytes (padding, trailer, ICV). */
size_t esp_sa_tail_len(const struct esp_sa *sa, size_t inner_len);
/* The largest inner packet whose ESP packet fits in max_esp_len bytes (0 if none does). */
size_t esp_sa_max_inner(const struct esp_sa *sa, size_t max_esp_len);

/*
 * Encapsulates the inner IPv4/IPv6 packet at pkt in place: afterwards pkt->data/len is the
 * ESP packet (the payload of a UDP datagram to port 4500, RFC 3948 §2.1). Needs
 * esp_sa_head_len() of headroom and esp_sa_tail_len() of tailroom. Takes the next sequence
 * number below the lease limit (RFC 4303 §3.3.3: never cycles). Returns ESP_DROP_NONE or a
 * reason (lease_exhausted, seq_overflow, expired, malformed, no_room, internal); on a drop
 * the packet is unchanged except possibly its tailroom.
 */
enum esp_drop esp_encap(struct esp_sa *sa, unsigned slot, struct esp_pkt *pkt);

/*
 * The SPI of an ESP packet (the first four bytes), for the caller's SA lookup. False when
 * the packet is too short to be ESP.
 */
bool esp_pkt_spi(const uint8_t *p, size_t len, uint32_t *spi);

/*
 * Decapsulates the ESP packet p[0..len) of this SA in place, in the order of RFC 4303 §3.4:
 * replay check, ICV (constant time) or AEAD verification, replay window update, decryption,
 * padding and next-header checks, then the inner packet against the SA's traffic selectors
 * (RFC 4301 §5.2). Returns ESP_DROP_NONE with *in set, ESP_DROP_DUMMY for a dummy packet
 * (discard silently), or the reason the packet was dropped.
 */
enum esp_drop esp_decap(struct esp_sa *sa, unsigned slot, uint8_t *p, size_t len,
                        struct esp_inner *in);

/*
 * Outbound: true once per lease, when the refill share of the current lease is used; then
 * *used is the last number sent and *limit the limit held. The caller sends LeaseRequest.
 */
bool esp_sa_lease_want(struct esp_sa *sa, uint64_t *used, uint64_t *limit);
/* Outbound: raises the lease limit (a lower or equal one is ignored). Returns the limit. */
uint64_t esp_sa_lease_grant(struct esp_sa *sa, uint64_t limit);

/*
 * Inbound: true each time the highest accepted number moved replay_report_every / 2 past
 * the last report; *highest is that number (only verified packets move it). A restarted
 * engine starts its window at the last report + replay_report_every; asked after every
 * packet (it costs two atomic loads), the distance the old engine accepted beyond its last
 * report stays below that step.
 */
bool esp_sa_replay_report_due(struct esp_sa *sa, uint64_t *highest);

/* A byte-lifetime event not reported yet (each is reported once), with the byte count. */
enum esp_life_event esp_sa_lifetime_poll(struct esp_sa *sa, uint64_t *bytes);

/* Sums the counters of every slot. */
void esp_sa_stats(struct esp_sa *sa, struct esp_sa_stats *st);
/* Counts a drop the caller decided for this SA (e.g. too_big) on slot. */
void esp_sa_count_drop(struct esp_sa *sa, unsigned slot, enum esp_drop d);

#endif
