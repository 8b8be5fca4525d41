/* SPDX-License-Identifier: MIT */
/*
 * Shared by the replication files only (sync.c, sync_tx.c, sync_rx.c, sync_resync.c,
 * sync_role.c): the state of one node's replication layer.
 */
#ifndef TANDEM_SYNC_SYNC_INT_H
#define TANDEM_SYNC_SYNC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "node/core/buf.h"
#include "node/core/log.h"
#include "sync/sync.h"
#include "sync/sync_store.h"

#define SYNC_LAT_RING        1024u  /* own commits in the latency figures */
#define SYNC_PENDING_MAX     65536u /* own SA changes on their way (beyond: step down) */
#define SYNC_RECORD_EVERY_MS 1000u  /* a changed store commit is published this often */
#define SYNC_SWEEP_EVERY_MS  5000u  /* tombstone sweep */
#define SYNC_NORECORD_MS     5000u  /* a member silent this long is ignored by the bootstrap */
#define SYNC_QUORUM_WAIT_MS  5000u  /* quorum for a new ring not confirmed: warn, accept */
#define SYNC_QMEMBERS_MAX    64u    /* node ids kept from the last quorum callback */
/*
 * A bound on the packets per second one outbound SA can carry (10 Gbit/s of 125-byte
 * packets, beyond any machine tandem runs on): a node that starts the cluster from a store it
 * held before skips this many sequence numbers per second since it left sync, plus one second,
 * in case an active it could not see leased on meanwhile (docs/faults.md "Stale stores").
 */
#define SYNC_STALE_PPS 10000000ull

/* One node as this node knows it. */
struct sync_peer {
	uint32_t id;
	uint32_t pid;
	bool used;
	bool member;
	bool rec_valid; /* a record arrived since it (re)joined */
	struct sync_node_rec rec;
	uint64_t epoch;
	uint64_t joined_ms;    /* when it (re)joined, engine clock */
	uint64_t last_seen_ms; /* its last message, engine clock; 0 never */
	uint64_t served_want;  /* active: the want_snapshot value last served to it */
	enum ha_why why;
	bool digest_warned;
	/* left with its node (node down): quorum is not confirmed until a quorum callback's
	 * membership lacks it (CPG tells of the loss before the new ring: docs/faults.md) */
	bool down_wait;
};

/* One own lease delivered before the quorum of its ring was confirmed. */
struct sync_lease_held {
	uint32_t spi;
	uint64_t limit;
	uint32_t ring_node;
	uint64_t ring_seq;
};

/* One own SA change on its way through the group. */
struct sync_pending {
	uint64_t commit;        /* the group's commit number */
	uint64_t engine_commit; /* the IKE engine's */
	uint64_t t_us;          /* when it was queued */
	bool delivered;
};

/* A lease request waiting for own SA changes to be delivered first (see sync_tx.c). */
struct sync_lease_wait {
	uint32_t spi;
	uint64_t limit;
	uint64_t after; /* retried once this commit is delivered */
};

struct sync_snap_tx {
	bool running;
	uint64_t id;
	uint32_t for_nodes[SYNC_MAX_NODES];
	unsigned nfor;
	uint64_t *keys; /* 2 per SA, taken at the start */
	size_t nkeys, pos;
	uint32_t index;
	size_t sas;
	uint64_t bytes, t0_ms;
};

struct sync_snap_rx {
	bool running;
	uint64_t id;
	uint32_t from;
	uint32_t next_index;
	bool broken;
	size_t sas;
	uint64_t bytes, t0_ms;
};

struct sync {
	struct sync_opts o;
	char name[CFG_NAME_MAX];
	struct sync_transport t;
	void *targ;
	struct sync_host h;
	void *harg;
	struct ike_engine *ike;
	struct sync_store *store;
	uint64_t now_ms; /* engine clock at the current entry point */

	/* membership and quorum */
	bool connected;
	struct sync_peer peers[SYNC_MAX_NODES];
	uint32_t ring_node;
	uint64_t ring_seq;
	uint64_t ring_ms;  /* when the ring changed */
	bool quorum_known; /* a callback came since the connection */
	bool quorate;      /* the last callback's value */
	uint32_t q_ring_node;
	uint64_t q_ring_seq;
	bool quorum_assumed; /* no callback for the ring in time: last value taken (logged) */
	uint32_t q_members[SYNC_QMEMBERS_MAX]; /* the last quorum callback's membership */
	size_t q_nmembers;
	bool q_members_known;
	uint32_t engines_up, engines_total;

	/* role */
	enum ha_role role;
	char fault[SYNC_TEXT_MAX];
	bool in_sync;
	/*
	 * How recent the store is, for a cluster that starts again from the stores its members
	 * hold (sync_bootstrap): the last quorate ring in which this node held the whole store,
	 * and whether it delivered that ring to its end (it left sync by a quorum callback, not
	 * by losing corosync mid-ring). Sequence leases move no commit number, so the store
	 * commit alone cannot tell a store that missed leases from the one that has them.
	 */
	uint64_t sync_ring;
	bool sync_ring_whole;
	uint64_t left_sync_ms; /* when the store was last known complete (0: never was) */
	uint32_t gen;          /* raised each time the store may be behind (resync bookkeeping) */
	uint64_t want_snapshot;
	uint32_t elected, reference;
	bool queue_full; /* a send failed for lack of room: step down until it drains */
	uint64_t role_changes;
	/* a planned switchover delivered: the target is the incumbent (and the sender not) in
	 * every election until the membership changes (docs/ha.md "Switchover") */
	uint32_t handover_to, handover_from;
	char active_left[SYNC_TEXT_MAX]; /* why the last active is gone, for the takeover */
	char handover_why[SYNC_TEXT_MAX];

	/* the active's commit numbering: group commit = base + engine commit - engine0 */
	uint64_t commit_base, engine0, engine_last;
	uint64_t seen_commit;      /* highest group commit seen in any delivered message */
	struct sync_pending *pend; /* ring of SYNC_PENDING_MAX */
	size_t pend_head, npend;
	struct sync_lease_wait *lw; /* lease requests waiting */
	size_t nlw, lwcap;
	/* own leases delivered in a ring whose quorum callback has not come: granted only once
	 * it confirms quorum for that ring (docs/faults.md "Fencing") */
	struct sync_lease_held *lh;
	size_t nlh, lhcap;

	/* records */
	struct sync_node_rec rec_sent;
	bool rec_sent_valid;
	uint64_t rec_sent_ms;
	bool rec_dirty;

	/* snapshots */
	struct sync_snap_tx stx;
	struct sync_snap_rx srx;
	uint64_t snap_seq;

	/* timers */
	uint64_t sweep_ms;

	/* figures */
	struct sync_stats st;
	uint32_t lat[SYNC_LAT_RING]; /* us */
	size_t lat_n, lat_pos;
	struct log_rl rl_rej[SYNC_REJ_NR];
	struct log_rl rl_misc;
	struct buf tx; /* scratch for encoding (secret: keys) */
	struct buf body;
};

/* sync.c */
struct sync_peer *sync_peer_get(struct sync *s, uint32_t id, bool create);
struct sync_peer *sync_peer_self(struct sync *s);
void sync_reject(struct sync *s, enum sync_rej why, uint32_t from, const char *what);
/* whether the quorum callback confirmed quorum for the current ring */
bool sync_quorum_current(const struct sync *s);
/* Leaves the in-sync state: the store may be behind from now on (asks for a snapshot). */
void sync_leave_sync(struct sync *s, const char *why, bool whole);

/* sync_tx.c */
int sync_send(struct sync *s, enum sync_type t, const uint8_t *p, size_t len);
int sync_send_msg(struct sync *s, struct sync_msg *m);
int sync_send_chunk(struct sync *s, const struct sync_chunk_enc *c);
void sync_record_publish(struct sync *s, bool force);
void sync_record_build(const struct sync *s, struct sync_node_rec *r);
void sync_pending_delivered(struct sync *s, uint64_t commit);
void sync_pending_release(struct sync *s);
void sync_pending_clear(struct sync *s);
void sync_leases_retry(struct sync *s);
/* A delivered own lease: granted now if the quorum of this ring is confirmed, else held. */
void sync_lease_delivered(struct sync *s, uint32_t spi, uint64_t limit);
void sync_activate_numbering(struct sync *s);

/* sync_rx.c */
void sync_rx_deliver(struct sync *s, uint32_t nodeid, uint32_t pid, const uint8_t *p, size_t len);
/* Imports a decoded state into a standby engine, with the store's sequence state merged. */
void sync_rx_import(struct sync *s, struct ike_sa_state *st);
void sync_keys_of(const struct ike_sa_state *st, uint64_t commit, struct sync_sa_keys *k);

/* sync_resync.c */
void sync_snap_tx_consider(struct sync *s);
void sync_snap_tx_pump(struct sync *s);
void sync_snap_tx_abort(struct sync *s, const char *why);
void sync_snap_tx_view(struct sync *s);
void sync_snap_rx_begin(struct sync *s, uint32_t from, const struct sync_snap_begin *b);
void sync_snap_rx_chunk(struct sync *s, uint32_t from, const struct sync_msg *m, size_t len);
void sync_snap_rx_end(struct sync *s, uint32_t from, const struct sync_snap_end *e);
void sync_snap_rx_abort(struct sync *s, const char *why);

/* sync_role.c */
void sync_role_evaluate(struct sync *s);

#endif
