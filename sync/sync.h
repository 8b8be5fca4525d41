/* SPDX-License-Identifier: MIT */
/*
 * State replication between the nodes of a tandem cluster (docs/replication.md): the active
 * node publishes every IKE SA change, delete, lease and replay report through a totally
 * ordered group; every node applies what the group delivers to its store (sync_store.h) and,
 * on a standby, to its IKE engine; its own delivery of a change makes the datagrams that go
 * with it safe to send (sync before send); a node that joins gets a snapshot; node records
 * and membership feed the election (ha/ha_role.h) that gives each node its role.
 *
 * Pure: no corosync, no event loop, no clock of its own. The transport (sync_cpg.h, or a fake
 * bus in the unit tests) carries messages and tells about views; libquorum's callbacks
 * (sync_quorum.h) about quorum; the host (tandemd_sync.c) supplies the time, applies roles
 * and grants leases. Every entry point runs to completion; callbacks into the host are made
 * from inside them and must not call back into this module.
 */
#ifndef TANDEM_SYNC_SYNC_H
#define TANDEM_SYNC_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/ha_role.h"
#include "node/ike/ike_engine.h"
#include "sync/sync_codec.h"

struct sync;

struct sync_opts {
	uint32_t node_id; /* corosync node id */
	uint32_t pid;     /* this process (tells own messages from a restarted twin's) */
	const char *name; /* node name (cluster block) */
	uint8_t priority;
	bool preempt;
	uint8_t digest[HA_DIGEST_LEN]; /* SHA-256 of the configuration */
	uint32_t report_every;         /* replay-report step (cluster block) */
	uint64_t epoch;                /* process start, Unix ms */
	uint64_t seed;                 /* random: hash seed, snapshot ids */
	size_t chunk_max_bytes;        /* snapshot chunk size; 0: 60,000 */
	unsigned chunk_max_sas;        /* SAs per chunk; 0: 512 */
	size_t backlog_low;            /* snapshot chunks are made while the backlog is below;
	                                  0: 1 MiB */
};

/* The group transport. */
struct sync_transport {
	/* Queues one message for the group: 0, -ENOBUFS (queue full), -ENOTCONN, -EMSGSIZE. */
	int (*send)(void *arg, const uint8_t *p, size_t len);
	/* Bytes queued and not yet accepted by the group (paces snapshots). */
	size_t (*backlog)(void *arg);
};

/* What this module asks of its host. */
struct sync_host {
	/* Now: the IKE engine's clock (monotonic ms) and the Unix ms that goes with it. */
	void (*clock)(void *arg, struct sync_clock *c);
	/* Sync before send: the IKE engine's changes up to `commit` were delivered. */
	void (*commit_safe)(void *arg, uint64_t commit);
	/* The group delivered a lease this node asked for: grant it to the data plane. */
	void (*lease_granted)(void *arg, uint32_t spi, uint64_t limit);
	/* The local role changed; `why` says why (for the log and hactl). */
	void (*role_changed)(void *arg, enum ha_role old, enum ha_role now, const char *why);
	/* Optional: the store lost these SAs (a resync found them gone). */
	void (*forgotten)(void *arg, uint64_t spi_i, uint64_t spi_r);
	/* Optional: another node's SA update was applied here (live or from a snapshot). */
	void (*applied)(void *arg, uint64_t spi_i, uint64_t spi_r, uint64_t commit);
};

/*
 * ike: the node's IKE engine (may be NULL): standbys import into it and forget from it.
 * Returns 0 or -ENOMEM.
 */
int sync_new(const struct sync_opts *o, const struct sync_transport *t, void *targ,
             const struct sync_host *h, void *harg, struct ike_engine *ike, struct sync **out);
void sync_free(struct sync *s);

/* ---- inputs from the transport ----------------------------------------------------------- */

struct sync_member {
	uint32_t nodeid, pid;
	/* in a left list: its node left the corosync membership (CPG_REASON_NODEDOWN), so a new
	 * ring comes and quorum must be confirmed for it; false: the process left (or died) */
	bool node_down;
};

/* A CPG configuration change of the group (members now, who left, who joined). */
struct sync_view {
	const struct sync_member *members, *left, *joined;
	size_t nmembers, nleft, njoined;
};

/* The group delivered a message (in the total order). */
void sync_deliver(struct sync *s, uint32_t nodeid, uint32_t pid, const uint8_t *p, size_t len);
void sync_view(struct sync *s, const struct sync_view *v);
/* corosync's quorum set-up, read when connecting: an arbiter (quorum device) votes or not,
 * two_node, nodes in the nodelist. */
void sync_quorum_setup(struct sync *s, bool device, bool two_node, uint32_t nodes);
/* The node ids of the membership the last quorum callback was for (before sync_quorum). */
void sync_quorum_members(struct sync *s, const uint32_t *ids, size_t n);
/* The totem ring changed (CPG's totem confchg). */
void sync_ring(struct sync *s, uint32_t ring_node, uint64_t ring_seq);
/* The connection to the local corosync came up (joined) or went away. */
void sync_link(struct sync *s, bool up);

/* libquorum's notification: quorate or not, for ring (ring_node, ring_seq). */
void sync_quorum(struct sync *s, bool quorate, uint32_t ring_node, uint64_t ring_seq);

/* ---- inputs from the host --------------------------------------------------------------- */

/* Engine groups serving now, of those configured. */
void sync_engines(struct sync *s, uint32_t up, uint32_t total);
/*
 * The configuration was reloaded: DIGEST is what this node's record carries from now on
 * (the other nodes compare it with theirs; a node whose digest differs cannot take over).
 */
void sync_config_digest(struct sync *s, const uint8_t digest[HA_DIGEST_LEN]);
/* The IKE engine's observer: a change numbered `commit` (the engine's own numbering). */
void sync_ike_changed(struct sync *s, const struct ike_sa_state *st, enum ike_change what,
                      uint64_t commit);
/*
 * An engine asks for a lease up to `limit` for outbound SPI spi. Returns 0 (the grant comes
 * through lease_granted once the group delivered it), -ENOENT (not an SA this layer knows,
 * e.g. a manual-key SA: grant it locally), -EAGAIN (this node is not active: no grant).
 */
int sync_lease_request(struct sync *s, uint32_t spi, uint64_t limit);
/* An engine reports inbound SPI spi accepted numbers up to highest. */
void sync_replay_report(struct sync *s, uint32_t spi, uint64_t highest);
/*
 * A planned switchover (hactl switchover): the active node hands the cluster to node to_node
 * (0: the standby the election would pick without this node). When the group delivers the
 * hand-over, every node elects the target in its place: the old active steps down and the
 * target takes over in the same total order. Returns 0 (the new node id in *to), -EAGAIN (this
 * node is not active), -ENOENT (to_node is no eligible member: not in the membership, not in
 * sync, without quorum or engines, or another configuration), -EALREADY (to_node is this node),
 * or a send error.
 */
int sync_switchover(struct sync *s, uint32_t to_node, const char *reason, uint32_t *to);
/* Runs what is due (snapshot chunks, record refresh, tombstones); returns the next deadline
 * (engine clock ms; UINT64_MAX: none). Call after every other entry point too. */
uint64_t sync_tick(struct sync *s);

/* ---- state, for the host and hactl ------------------------------------------------------ */

enum ha_role sync_role(const struct sync *s);
/* Why the node is FAULTED (or STARTING), "" otherwise. */
const char *sync_fault(const struct sync *s);
bool sync_in_sync(const struct sync *s);

/* One node as this node sees it (hactl show cluster). */
struct sync_node_info {
	uint32_t id;
	bool self, member, has_record;
	struct sync_node_rec rec; /* its last record (valid when has_record) */
	bool digest_match;        /* its digest equals ours */
	int64_t last_seen_ms;     /* ms since its last message; -1 never */
	enum ha_why why;          /* why it is not eligible in the last election */
	bool elected;
};
/* Calls fn for every node known (members and those that left), self first. */
void sync_nodes(const struct sync *s, void (*fn)(void *arg, const struct sync_node_info *n),
                void *arg);

struct sync_stats {
	uint64_t tx_msgs[SYNC_T_COUNT], tx_bytes[SYNC_T_COUNT];
	uint64_t rx_msgs[SYNC_T_COUNT], rx_bytes[SYNC_T_COUNT];
	uint64_t rejected[SYNC_REJ_NR];
	uint64_t send_failures;
	/* store */
	size_t store_sas, store_tombs, store_children, store_bytes;
	uint64_t store_commit;
	/* sync before send: own commits on their way, and commit->delivery latency (us) */
	size_t pending;
	size_t lat_n;
	uint64_t lat_p50_us, lat_p99_us, lat_max_us;
	/* snapshots: sending (active) and receiving (joiner) */
	bool snap_tx_running, snap_rx_running;
	uint64_t snap_tx_id, snap_rx_id;
	size_t snap_tx_done, snap_tx_total, snap_rx_sas;
	uint64_t snaps_sent, snaps_received;
	size_t last_tx_sas, last_rx_sas;
	uint64_t last_tx_bytes, last_rx_bytes, last_tx_ms, last_rx_ms;
	/* membership and quorum */
	bool connected, quorate, quorum_current;
	uint64_t ring_seq;
	size_t members;
	uint32_t elected;
	uint64_t role_changes;
	/* corosync's quorum set-up (setup_known: read since the last connection) */
	bool setup_known, arbiter, two_node;
	uint32_t quorum_nodes;
	/* two nodes and no arbiter: a cut sync link leaves both halves quorate (both active) */
	bool split_brain_risk;
};
void sync_stats(const struct sync *s, struct sync_stats *out);
/* SHA-256 of the store (sync_store_digest). Returns 0 or -ENOMEM. */
int sync_digest(const struct sync *s, uint8_t out[32]);
/* Bytes the store takes (tables, entries, raw updates): the memory figure per tunnel. */
size_t sync_mem(const struct sync *s);
/* This node's id and the node the election names active (0: none). */
uint32_t sync_node_id(const struct sync *s);

#endif
