/* SPDX-License-Identifier: MIT */
/*
 * Responses of the replication layer (proto/ctl.proto 40-49): `hactl show cluster` (every
 * node's record as this node sees it, membership, quorum, configuration digests) and `hactl
 * show replication` (traffic, refusals by reason, store, latency, snapshots).
 */
#ifndef TANDEM_NODE_CTL_CTL_CODEC_SYNC_H
#define TANDEM_NODE_CTL_CTL_CODEC_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"

/* Strings are borrowed for the encoder's call. */
struct ctl_cluster_node {
	uint32_t id;
	const char *name;
	bool self, member;
	const char *role;
	uint32_t priority;
	bool quorate, in_sync;
	uint32_t engines_up, engines_total;
	const char *config_digest; /* hex */
	bool digest_match;
	uint64_t store_commit;
	int64_t last_seen_ms;
	const char *eligible;
	bool elected;
	const char *fault;
	const char *version;
};

struct ctl_cluster {
	const char *cluster;
	uint32_t node_id;
	const char *role, *fault;
	bool connected, quorate, quorum_current;
	uint64_t ring_seq;
	uint32_t members, elected;
	bool config_mismatch;
	bool setup_known, arbiter, split_brain_risk; /* corosync's quorum set-up, when read */
	uint32_t quorum_nodes;
	const struct ctl_cluster_node *nodes;
	size_t nnodes;
	/* the last takeover by this node (at_unix_ms 0: none) */
	int64_t takeover_unix_ms;
	const char *takeover_reason;
	uint32_t takeover_ms, takeover_sas;
};

struct ctl_repl_traffic {
	const char *type;
	uint64_t tx_msgs, tx_bytes, rx_msgs, rx_bytes;
};

struct ctl_repl_reject {
	const char *reason;
	uint64_t count;
};

struct ctl_replication {
	bool connected;
	uint64_t reconnects, try_again, send_failures, queued_bytes, queue_peak_bytes;
	const struct ctl_repl_traffic *traffic;
	size_t ntraffic;
	const struct ctl_repl_reject *rejected;
	size_t nrejected;
	uint64_t store_sas, store_children, store_tombs, store_bytes, store_commit;
	const char *store_digest;
	uint64_t pending, latency_samples, latency_p50_us, latency_p99_us, latency_max_us;
	bool in_sync;
	uint64_t snapshots_sent, snapshots_received;
	uint64_t last_snapshot_sas, last_snapshot_bytes, last_snapshot_ms;
	bool snapshot_running;
	uint64_t role_changes;
};

/* Each appends one framed response. Return 0, -ENOMEM or -EMSGSIZE. */
/* hactl switchover: the hand-over sent. */
int ctl_encode_switchover(uint32_t from_id, const char *from_name, uint32_t to_id,
                          const char *to_name, struct buf *out);
int ctl_encode_show_cluster(const struct ctl_cluster *c, struct buf *out);
int ctl_encode_show_replication(const struct ctl_replication *r, struct buf *out);

#endif
