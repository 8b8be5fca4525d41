/* SPDX-License-Identifier: MIT */
/*
 * What the data plane needs to carry one direction of a Child SA (or a manual SA): the
 * contract between whoever makes SAs (the IKE engine, manual-key tunnels, a node taking
 * over) and tandem-engine. tandemd sends it over the engine channel (proto/engine.proto).
 */
#ifndef TANDEM_NODE_ESP_ESP_PARAMS_H
#define TANDEM_NODE_ESP_ESP_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "node/config/cfg.h"
#include "node/core/secret.h"

#define ESP_MAX_TS 8

/* One traffic selector: an address range, a protocol (0 = any) and a port range. */
struct esp_ts {
	int family; /* AF_INET or AF_INET6 */
	uint8_t start[16], end[16];
	uint8_t proto;
	uint16_t sport, eport;
};

struct esp_sa_params {
	uint32_t spi;              /* the SPI the packets of this direction carry */
	bool inbound;              /* true: we decrypt; false: we encrypt */
	uint64_t child_id;         /* pairs the two directions of one Child SA; unique per node */
	char tunnel[CFG_NAME_MAX]; /* configured tunnel name */
	char ifname[16];           /* TUN device of the tunnel's bound interface */

	enum cfg_encr encr;
	enum cfg_integ integ;    /* NONE with AEAD */
	struct secret enc_key;   /* includes the 4-byte salt for GCM and ChaCha20-Poly1305 */
	struct secret integ_key; /* empty with AEAD */
	bool esn;                /* 64-bit extended sequence numbers (RFC 4303 §2.2.1) */
	uint32_t replay_window;  /* inbound: window size in packets, 0 = no replay check */

	/* outer header: tunnel mode (RFC 4303 §3.1.2), ESP in UDP when udp_encap (RFC 3948) */
	int family;
	uint8_t local[16], remote[16];
	bool udp_encap;
	uint16_t local_port, remote_port; /* host order; 4500 unless a NAT moved the peer's */

	/* inner traffic: outbound picks the SA whose selectors match; inbound checks them */
	uint8_t nts_local, nts_remote;
	struct esp_ts ts_local[ESP_MAX_TS], ts_remote[ESP_MAX_TS];

	enum cfg_df_bit df_bit;
	uint16_t mtu; /* 0: the engine derives it from the outer path */

	/* lifetime in bytes of protected traffic: soft raises a rekey event, hard deletes */
	uint64_t soft_bytes, hard_bytes; /* 0 = no limit */

	/*
	 * Sequence numbers (DESIGN.md, "Sequence-number leases"). Outbound: the first number to
	 * use (1 for a new SA; after an engine restart or a takeover, the last granted lease
	 * limit) and the lease limit granted with the install: the engine never sends a number
	 * >= lease_limit. Inbound: the replay window starts with seq_start as its highest
	 * number seen (0 for a new SA; after a restart/takeover, last reported + report step).
	 */
	uint64_t seq_start;
	uint64_t lease_limit;
};

/* Releases the key material of p (the struct itself is caller storage). */
void esp_sa_params_clear(struct esp_sa_params *p);
/* Deep copy, keys included. Returns 0 or -ENOMEM. */
int esp_sa_params_copy(struct esp_sa_params *dst, const struct esp_sa_params *src);

#endif
