/* SPDX-License-Identifier: MIT */
/*
 * The engine channel's messages as plain C structs (proto/engine.proto, docs/engine.md):
 * what tandemd sends (struct engine_to) and what the engine answers (struct engine_from).
 * engine_codec.c is the only file that sees protobuf; both directions are here so the tests
 * and the benchmark can play tandemd's part.
 */
#ifndef TANDEM_NODE_ENGINE_ENGINE_MSG_H
#define TANDEM_NODE_ENGINE_ENGINE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/config/cfg.h"
#include "node/esp/esp_params.h"

#define ENGINE_MSG_MAX     65536u /* one channel datagram (proto/engine.proto) */
#define ENGINE_VERSION     1u
#define ENGINE_ACK_MSG_MAX 128u

enum engine_to_type {
	ENGINE_TO_NONE = 0,
	ENGINE_TO_HELLO,
	ENGINE_TO_ATTACH_TUN,
	ENGINE_TO_ATTACH_SOCKET,
	ENGINE_TO_INSTALL_SA,
	ENGINE_TO_DELETE_SA,
	ENGINE_TO_GRANT_LEASE,
	ENGINE_TO_DETACH_TUN,
	ENGINE_TO_SHUTDOWN,
	ENGINE_TO_QUERY_STATS,
};

/* An address and port (host order); family AF_INET or AF_INET6. */
struct engine_addr {
	int family;
	uint8_t addr[16];
	uint16_t port;
};

struct engine_hello {
	char group[CFG_NAME_MAX];
	uint32_t heartbeat_ms;        /* 0: 20 */
	uint32_t lease_refill_pct;    /* 0: 50 */
	uint32_t replay_report_every; /* 0: never */
	uint32_t workers;             /* 0: one per core */
	char log_level[16];           /* "" = unchanged */
};

struct engine_attach_tun {
	char tunnel[CFG_NAME_MAX];
	char ifname[16];
	uint32_t mtu;
	enum cfg_df_bit df_bit;
	bool vnet_hdr;
};

struct engine_to {
	uint64_t req;
	enum engine_to_type type;
	union {
		struct engine_hello hello;
		struct engine_attach_tun tun;
		struct engine_addr sock; /* AttachSocket: the local address and port */
		struct esp_sa_params sa; /* InstallSa: owns its keys (engine_to_clear) */
		struct {
			uint32_t spi;
			bool inbound;
		} del;
		struct {
			uint32_t spi;
			uint64_t limit;
		} grant;
		char detach[CFG_NAME_MAX]; /* DetachTun: the tunnel */
	} u;
};

enum engine_from_type {
	ENGINE_FROM_NONE = 0,
	ENGINE_FROM_READY,
	ENGINE_FROM_HEARTBEAT,
	ENGINE_FROM_ACK,
	ENGINE_FROM_LEASE_REQUEST,
	ENGINE_FROM_REPLAY_REPORT,
	ENGINE_FROM_LIFETIME,
	ENGINE_FROM_STATS,
	ENGINE_FROM_IKE_PACKET,
};

struct engine_sa_stat {
	uint32_t spi;
	bool inbound;
	uint64_t packets, bytes, seq, lease_limit;
};

struct engine_drop_stat {
	const char *reason; /* a stable label, e.g. "auth_failed" */
	uint64_t count;
};

struct engine_from {
	uint64_t req;
	enum engine_from_type type;
	union {
		struct {
			uint32_t pid, workers;
		} ready;
		struct {
			uint64_t seq, packets_in, packets_out;
		} hb;
		struct {
			int32_t error; /* 0 or a positive errno value */
			char message[ENGINE_ACK_MSG_MAX];
		} ack;
		struct {
			uint32_t spi;
			uint64_t used, limit;
		} lease;
		struct {
			uint32_t spi;
			uint64_t highest;
		} replay;
		struct {
			uint32_t spi;
			bool inbound, hard;
			uint64_t bytes;
		} life;
		/* encode: arrays borrowed from the caller; decode: owned (engine_from_clear) */
		struct {
			struct engine_sa_stat *sa;
			size_t nsa;
			struct engine_drop_stat *drops;
			size_t ndrops;
		} stats;
		/* encode: data borrowed; decode: owned (engine_from_clear) */
		struct {
			struct engine_addr src, dst;
			const uint8_t *data;
			size_t len;
		} ike;
	} u;
};

/*
 * Decodes one ToEngine datagram. Returns 0; -EBADMSG (not protobuf, or a field out of
 * range: a key or address of the wrong length, an unknown algorithm, too many selectors);
 * -EPROTONOSUPPORT (another version); -EPROTO (no message, or one this engine does not
 * know); -ENOMEM. On success m may own key material: call engine_to_clear.
 */
int engine_to_decode(const uint8_t *p, size_t len, struct engine_to *m);
/* Wipes and frees what a decoded message owns. */
void engine_to_clear(struct engine_to *m);
/* tandemd's side, for tests and the benchmark. Returns 0, -EMSGSIZE, -EINVAL. */
int engine_to_encode(const struct engine_to *m, uint8_t *out, size_t cap, size_t *len);

/* The engine's side. Returns 0, -EMSGSIZE (does not fit in cap), -ENOMEM, -EINVAL. */
int engine_from_encode(const struct engine_from *m, uint8_t *out, size_t cap, size_t *len);
/* tandemd's side, for tests and the benchmark; engine_from_clear releases what it owns. */
int engine_from_decode(const uint8_t *p, size_t len, struct engine_from *m);
void engine_from_clear(struct engine_from *m);

#endif
