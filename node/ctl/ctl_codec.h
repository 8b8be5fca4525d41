/* SPDX-License-Identifier: MIT */
/*
 * The control protocol's codec on the daemon side (proto/ctl.proto): frames, request
 * decoding into a domain struct, and response encoding from domain structs. The only daemon
 * file that includes ctl.pb-c.h; decoding is pure and fuzzed (fuzz_ctl_req).
 */
#ifndef TANDEM_NODE_CTL_CTL_CODEC_H
#define TANDEM_NODE_CTL_CTL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"

#define CTL_PROTO_VERSION 1u
#define CTL_FRAME_HDR_LEN 4u
#define CTL_FRAME_MAX     (16u * 1024u * 1024u)

enum ctl_cmd {
	CTL_CMD_STATUS = 1,
	CTL_CMD_SHOW_CONFIG,
	/* IKE (ctl_codec_ike.c encodes their responses) */
	CTL_CMD_SHOW_TUNNELS = 20,
	CTL_CMD_SHOW_IKE_SA,
	CTL_CMD_SHOW_IPSEC_SA,
	CTL_CMD_SHOW_STATISTICS,
	CTL_CMD_CLEAR_IKE_SA,
	CTL_CMD_CLEAR_IPSEC_SA,
	CTL_CMD_REKEY_IKE_SA,
	CTL_CMD_REKEY_IPSEC_SA,
	/* crypto engines (ctl_encode_show_engines) */
	CTL_CMD_SHOW_ENGINES = 30,
	/* replication (ctl_codec_sync.h) */
	CTL_CMD_SHOW_CLUSTER = 40,
	CTL_CMD_SHOW_REPLICATION,
	CTL_CMD_SWITCHOVER,
	/* HA data plane (ctl_codec_ha.h) */
	CTL_CMD_SHOW_ROUTES = 50,
	/* monitoring (ctl_codec_mon.h): the event stream and the redundancy view */
	CTL_CMD_MONITOR = 60,
	CTL_CMD_SHOW_REDUNDANCY,
};

/* A decoded request. Strings, if any, are copied in; nothing borrows the input bytes. */
struct ctl_request {
	uint32_t version;
	enum ctl_cmd cmd;
	bool verbose;    /* show configuration verbose */
	char tunnel[64]; /* show tunnel/ike-sa/ipsec-sa NAME, clear … tunnel NAME; "" = all */
	char group[64];  /* show engines GROUP; "" = all */
	char node[64];   /* switchover --to NODE; "" = the best standby */
};

/*
 * Looks at the start of a byte stream. Returns 0 and sets *frame_len (header + payload) when
 * a whole frame is present, -EAGAIN when more bytes are needed, -EMSGSIZE when the declared
 * length exceeds CTL_FRAME_MAX.
 */
int ctl_frame_check(const uint8_t *p, size_t len, size_t *frame_len);
/*
 * Reads a frame header (CTL_FRAME_HDR_LEN bytes). Returns 0 with *frame_len = header +
 * payload, or -EMSGSIZE when the declared length exceeds CTL_FRAME_MAX.
 */
int ctl_frame_hdr(const uint8_t *hdr, size_t *frame_len);
/* Appends a 4-byte length header and the payload to out. Returns 0 or -ENOMEM/-EMSGSIZE. */
int ctl_frame_put(struct buf *out, const uint8_t *payload, size_t len);

/*
 * Decodes a request payload (without its frame header). Returns 0, -EPROTO for bytes that
 * are not a Request, -ENOTSUP for a version or command this daemon does not know (with
 * req->version set so the caller can say which), -EINVAL for a bad argument (a tunnel name
 * too long, or missing where the command needs one), -ENOMEM.
 */
int ctl_request_decode(const uint8_t *p, size_t len, struct ctl_request *req);

struct ctl_reload {
	int64_t at_unix;
	bool ok;
	uint32_t errors;
	uint32_t seq; /* reloads attempted since start */
	char detail[512];
};

/* Everything `hactl status` shows. Borrowed strings must outlive ctl_encode_status. */
struct ctl_status {
	const char *node;
	const char *cluster; /* "" when alone */
	const char *role;
	uint64_t uptime_sec;
	uint32_t pid;
	const char *config_path;
	const char *config_digest; /* hex */
	int64_t config_loaded_unix;
	uint32_t config_warnings;
	const struct ctl_reload *last_reload; /* NULL until the first reload */
	uint32_t tunnels_configured;
	const char *master_key_id;
	const char *const *not_built; /* NULL-terminated */
	/* replication: only when `replicated` (a cluster of more than one node) */
	bool replicated;
	bool quorate;
	const char *config_mismatch; /* nodes whose digest differs, "" none */
	const char *fault;           /* why faulted or starting, "" otherwise */
	bool setup_known;            /* corosync's quorum set-up read: the two below are set */
	bool arbiter;                /* a quorum device votes */
	bool split_brain_risk;       /* two nodes and no arbiter */
};

/* Each encoder appends one framed Response to out. Return 0 or -ENOMEM. */
int ctl_encode_status(const struct ctl_status *st, struct buf *out);
int ctl_encode_show_config(const char *text, const char *digest, bool verbose, struct buf *out);
/* err is a positive errno value; msg a human-readable reason. */
int ctl_encode_error(int err, const char *msg, struct buf *out);

/* ---- crypto engines: `hactl show engines` (proto/ctl.proto 30-39) ------------------------ */

struct ctl_engine_sa {
	uint32_t spi;
	bool inbound;
	const char *tunnel;
	uint64_t packets, bytes, seq, lease_limit;
};

struct ctl_engine_drop {
	const char *reason;
	uint64_t count;
};

/* One engine group; strings and arrays are borrowed for the encoder's call. */
struct ctl_engine_group {
	const char *group, *state, *tunnels;
	const char *last_failure; /* "" when it never failed */
	uint32_t pid, restarts, failures_in_row;
	uint64_t uptime_ms, last_failure_detect_ms, next_restart_ms;
	int64_t last_failure_unix;
	uint64_t heartbeats, packets_in, packets_out;
	const struct ctl_engine_sa *sas;
	size_t nsas;
	const struct ctl_engine_drop *drops;
	size_t ndrops;
};

/* Appends a framed ShowEngines response. Returns 0, -ENOMEM or -EMSGSIZE. */
int ctl_encode_show_engines(const char *engine_path, const struct ctl_engine_group *groups,
                            size_t ngroups, struct buf *out);

#endif
