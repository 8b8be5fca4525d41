/* SPDX-License-Identifier: MIT */
/*
 * The engine channel's codec on tandemd's side (proto/engine.proto): ToEngine messages
 * encoded from domain values, FromEngine messages decoded into struct eng_msg. The only
 * tandemd file that includes engine.pb-c.h; decoding is pure, bounded and unit-tested with
 * mutations.
 */
#ifndef TANDEM_NODE_ENG_ENG_CODEC_H
#define TANDEM_NODE_ENG_ENG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/core/buf.h"
#include "node/esp/esp_params.h"

#define ENG_PROTO_VERSION   1u
#define ENG_MSG_MAX         65536u /* one datagram of the channel */
#define ENG_MAX_STATS_SA    8192u  /* repeated fields above these counts are refused */
#define ENG_MAX_STATS_DROPS 64u
#define ENG_DROP_REASON_MAX 32u

/* ---- tandemd -> engine ------------------------------------------------------------------ */

struct eng_hello {
	const char *group;
	uint32_t heartbeat_ms;
	uint32_t lease_refill_pct;
	uint32_t replay_report_every;
	uint32_t workers;      /* 0: one per core */
	const char *log_level; /* "error" | "warning" | "info" | "debug" */
};

/*
 * Each encoder appends one packed ToEngine with `req` (0: no Ack wanted) to out and returns 0,
 * -ENOMEM or -EMSGSIZE (above ENG_MSG_MAX). InstallSa carries keys: give it a secret buf.
 */
int eng_codec_hello(uint64_t req, const struct eng_hello *h, struct buf *out);
int eng_codec_attach_tun(uint64_t req, const char *tunnel, const char *ifname, uint32_t mtu,
                         uint32_t df_bit, bool vnet_hdr, struct buf *out);
int eng_codec_attach_socket(uint64_t req, const struct sockaddr_storage *local, struct buf *out);
int eng_codec_detach_tun(uint64_t req, const char *tunnel, struct buf *out);
int eng_codec_install_sa(uint64_t req, const struct esp_sa_params *p, struct buf *out);
int eng_codec_delete_sa(uint64_t req, uint32_t spi, bool inbound, struct buf *out);
int eng_codec_grant_lease(uint64_t req, uint32_t spi, uint64_t limit, struct buf *out);
int eng_codec_shutdown(uint64_t req, struct buf *out);
int eng_codec_query_stats(uint64_t req, struct buf *out);

/* ---- engine -> tandemd ------------------------------------------------------------------ */

enum eng_msg_type {
	ENG_MSG_READY = 1,
	ENG_MSG_HEARTBEAT,
	ENG_MSG_ACK,
	ENG_MSG_LEASE_REQUEST,
	ENG_MSG_REPLAY_REPORT,
	ENG_MSG_LIFETIME,
	ENG_MSG_STATS,
	ENG_MSG_IKE_PACKET,
};

struct eng_msg_sa_stats {
	uint32_t spi;
	bool inbound;
	uint64_t packets, bytes, seq, lease_limit;
};

struct eng_msg_drop {
	char reason[ENG_DROP_REASON_MAX]; /* printable, truncated */
	uint64_t count;
};

/* A decoded FromEngine. Pointers are owned by the struct: release with eng_msg_fini. */
struct eng_msg {
	enum eng_msg_type type;
	uint64_t req;
	union {
		struct {
			uint32_t pid, workers;
		} ready;
		struct {
			uint64_t seq, packets_in, packets_out;
		} hb;
		struct {
			int32_t error; /* 0 or a positive errno */
			char message[160];
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
		} lifetime;
		struct {
			struct eng_msg_sa_stats *sa;
			size_t nsa;
			struct eng_msg_drop *drops;
			size_t ndrops;
		} stats;
		struct {
			struct sockaddr_storage src, dst;
			uint8_t *data;
			size_t len;
		} ike;
	} u;
};

/*
 * Decodes one datagram from an engine. Returns 0, -EPROTO (not a FromEngine, wrong version,
 * no message, a required field missing, an address not 4 or 16 bytes), -E2BIG (more repeated
 * entries than the limits above) or -ENOMEM. On error *m needs no eng_msg_fini.
 */
int eng_codec_decode(const uint8_t *p, size_t len, struct eng_msg *m);
void eng_msg_fini(struct eng_msg *m);
/* "ready", "heartbeat", ... for logs. */
const char *eng_msg_type_name(enum eng_msg_type t);

#endif
