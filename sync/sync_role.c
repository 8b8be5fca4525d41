/* SPDX-License-Identifier: MIT */
/*
 * The local node's role, recomputed after every input that can change it: faults first (no
 * corosync, no quorum confirmed for the current ring, a full replication queue), then the
 * store (a node not in sync is STARTING until a snapshot completes, or bootstraps the cluster
 * when no member holds a store), then ha_elect over the records every member published, in
 * the group's total order, so every node reaches the same answer.
 */
#define LOG_SUBSYS "sync"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/core/log.h"
#include "sync/sync_int.h"

/* ---- bootstrap ------------------------------------------------------------------------- */

/*
 * A node not in sync becomes in sync by a snapshot, or, when no member holds the store (no
 * record says in sync or active), by bootstrapping: the member with the newest store takes
 * its own store as the cluster's. Newest is, in order: the latest quorate ring in which it
 * held the whole store, having delivered that ring to its end (a node that lost corosync
 * mid-ring may miss its last messages), then the highest store commit, then the lowest id.
 * The ring comes first because sequence leases and replay reports move no commit number: a
 * node that was away while the active leased on holds the same commit with older limits,
 * and numbering from those would send (SPI, seq) pairs again (docs/faults.md "Stale
 * stores"). Everyone waits for the records of every member first (at most SYNC_NORECORD_MS
 * after it joined), so all members pick the same node.
 */
struct store_rank {
	uint64_t ring;
	bool whole;
	uint64_t commit;
	uint32_t id;
};

static bool
rank_newer(const struct store_rank *a, const struct store_rank *b)
{
	if (a->ring != b->ring)
		return a->ring > b->ring;
	if (a->whole != b->whole)
		return a->whole;
	if (a->commit != b->commit)
		return a->commit > b->commit;
	return a->id < b->id;
}

static void
skip_one(void *arg, uint32_t spi, uint64_t value)
{
	struct sync *s = arg;

	if (s->ike && s->role != HA_ROLE_ACTIVE)
		ike_engine_child_seq(s->ike, spi, false, value);
}

/*
 * The members present agree this store is the newest they hold, but a node they cannot see
 * (the winner of a partition that has died since, say) may have been active after this store
 * was last complete, leasing on. Its outbound numbers are skipped past what such an active
 * could have sent since then (SYNC_STALE_PPS), so none is sent twice under one key.
 */
static void
stale_skip(struct sync *s)
{
	uint64_t ms, by;
	size_t n;

	if (!s->left_sync_ms)
		return; /* never complete before: nothing held to be stale */
	ms = (s->now_ms > s->left_sync_ms ? s->now_ms - s->left_sync_ms : 0) + 1000;
	by = ms * (SYNC_STALE_PPS / 1000);
	n = sync_store_seq_skip(s->store, by, skip_one, s);
	if (n)
		log_info("node %u: its store was last complete %llu ms ago: outbound sequence "
		         "numbers of %zu Child SAs skip %llu in case another active sent meanwhile",
		         s->o.node_id, (unsigned long long)(ms - 1000), n, (unsigned long long)by);
}

static void
sync_bootstrap(struct sync *s)
{
	struct store_rank best = {s->sync_ring, s->sync_ring_whole, sync_store_max_commit(s->store),
	                          s->o.node_id};

	for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
		const struct sync_peer *p = &s->peers[i];
		struct store_rank r;

		if (!p->used || !p->member || p->id == s->o.node_id)
			continue;
		if (!p->rec_valid) {
			if (s->now_ms < p->joined_ms + SYNC_NORECORD_MS)
				return; /* its record is on its way */
			continue;
		}
		if (p->rec.in_sync || p->rec.role == HA_ROLE_ACTIVE)
			return; /* it holds the store: wait for its snapshot */
		r = (struct store_rank){p->rec.sync_ring, p->rec.sync_ring_whole,
		                        p->rec.store_commit, p->id};
		if (rank_newer(&r, &best))
			best = r;
	}
	if (best.id != s->o.node_id)
		return;
	if (best.ring)
		log_info("node %u: no member holds the replicated store: starting the cluster from "
		         "ours (in sync last in ring %llu%s, commit %llu)",
		         s->o.node_id, (unsigned long long)best.ring,
		         best.whole ? "" : ", cut short", (unsigned long long)best.commit);
	else
		log_info("node %u: no member holds the replicated store: starting the cluster from "
		         "ours (never in sync before, commit %llu)",
		         s->o.node_id, (unsigned long long)best.commit);
	stale_skip(s);
	s->in_sync = true;
	s->rec_dirty = true;
}

/* In sync and quorate in the current ring: the store is the cluster's as of this ring. */
static void
sync_ring_mark(struct sync *s)
{
	uint64_t ring = s->quorum_assumed ? s->ring_seq : s->q_ring_seq;

	if (!s->in_sync || (ring == s->sync_ring && s->sync_ring_whole))
		return;
	s->sync_ring = ring;
	s->sync_ring_whole = true;
	s->rec_dirty = true;
}

/* ---- election ---------------------------------------------------------------------------- */

static void
node_of(const struct sync *s, const struct sync_peer *p, struct ha_node *n)
{
	memset(n, 0, sizeof(*n));
	n->id = p->id;
	if (p->id == s->o.node_id) {
		n->priority = s->o.priority;
		n->role = s->role;
		n->member = true;
		n->quorate = sync_quorum_current(s);
		n->in_sync = s->in_sync;
		n->engines_ok = s->engines_up >= s->engines_total;
		memcpy(n->digest, s->o.digest, HA_DIGEST_LEN);
		return;
	}
	n->priority = (uint8_t)(p->rec.priority > 255 ? 255 : p->rec.priority);
	n->role = p->rec.role;
	n->member = p->member;
	n->quorate = p->rec.quorate;
	n->in_sync = p->rec.in_sync;
	n->engines_ok = p->rec.engines_up >= p->rec.engines_total;
	if (p->rec.has_digest)
		memcpy(n->digest, p->rec.digest, HA_DIGEST_LEN);
}

/*
 * The reference configuration: the current active's; without one, that of the in-sync
 * member with the highest priority (lowest id on a tie), the same on every node, so two
 * nodes with different configurations never both elect themselves.
 */
static uint32_t
reference_of(const struct ha_node *n, size_t cnt)
{
	const struct ha_node *best = NULL;

	for (size_t i = 0; i < cnt; i++)
		if (n[i].member && n[i].role == HA_ROLE_ACTIVE)
			return n[i].id;
	for (size_t i = 0; i < cnt; i++) {
		if (!n[i].member || !n[i].in_sync)
			continue;
		if (!best || n[i].priority > best->priority ||
		    (n[i].priority == best->priority && n[i].id < best->id))
			best = &n[i];
	}
	return best ? best->id : 0;
}

static enum ha_role
sync_elect(struct sync *s, char *why, size_t whylen)
{
	struct ha_node nodes[SYNC_MAX_NODES];
	struct sync_peer *who[SYNC_MAX_NODES];
	enum ha_why w[SYNC_MAX_NODES];
	size_t n = 0, self = 0;
	uint32_t el;

	for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
		struct sync_peer *p = &s->peers[i];

		if (!p->used || !p->member)
			continue;
		if (p->id != s->o.node_id && !p->rec_valid)
			continue; /* not known yet: not eligible */
		if (p->id == s->o.node_id)
			self = n;
		who[n] = p;
		node_of(s, p, &nodes[n++]);
	}
	/*
	 * A delivered switchover: the target is the incumbent and the old active is not, and
	 * preemption waits, until the membership changes (sync_view clears the pin). A target
	 * that is not eligible is passed over like any other node.
	 */
	for (size_t i = 0; s->handover_to && i < n; i++) {
		if (nodes[i].id == s->handover_to)
			nodes[i].role = HA_ROLE_ACTIVE;
		else if (nodes[i].role == HA_ROLE_ACTIVE)
			nodes[i].role = HA_ROLE_STANDBY;
	}
	s->reference = reference_of(nodes, n);
	el = ha_elect(nodes, n, s->reference, s->o.preempt && !s->handover_to, w);
	for (size_t i = 0; i < n; i++)
		who[i]->why = w[i];
	s->elected = el;
	if (el == s->o.node_id) {
		if (s->handover_to == el && s->role != HA_ROLE_ACTIVE)
			snprintf(why, whylen, "%s", s->handover_why);
		else if (s->role != HA_ROLE_ACTIVE && s->active_left[0])
			snprintf(why, whylen, "%s", s->active_left);
		return HA_ROLE_ACTIVE;
	}
	if (s->handover_from == s->o.node_id && s->role == HA_ROLE_ACTIVE && el == s->handover_to)
		snprintf(why, whylen, "handed over to node %u", el);
	if (w[self] == HA_WHY_ENGINES) {
		snprintf(why, whylen, "crypto engines down (%u of %u serving)", s->engines_up,
		         s->engines_total);
		return HA_ROLE_FAULTED;
	}
	if (w[self] == HA_WHY_DIGEST)
		snprintf(why, whylen, "configuration digest differs from node %u's", s->reference);
	return HA_ROLE_STANDBY;
}

/* ---- planned switchover ------------------------------------------------------------------ */

int
sync_switchover(struct sync *s, uint32_t to_node, const char *reason, uint32_t *to)
{
	struct ha_node nodes[SYNC_MAX_NODES];
	enum ha_why w[SYNC_MAX_NODES];
	struct sync_msg m;
	size_t n = 0;
	uint32_t el;
	int rc;

	if (s->role != HA_ROLE_ACTIVE)
		return -EAGAIN;
	if (to_node == s->o.node_id)
		return -EALREADY;
	for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
		const struct sync_peer *p = &s->peers[i];

		if (!p->used || !p->member || (p->id != s->o.node_id && !p->rec_valid))
			continue;
		node_of(s, p, &nodes[n]);
		if (p->id == s->o.node_id)
			nodes[n].member = false; /* the node that hands over is no candidate */
		n++;
	}
	/* the candidates against this node's configuration, by priority */
	el = ha_elect(nodes, n, s->o.node_id, true, w);
	if (to_node) {
		el = 0;
		for (size_t i = 0; i < n; i++)
			if (nodes[i].id == to_node && w[i] == HA_WHY_OK)
				el = to_node;
	}
	if (!el)
		return -ENOENT;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_T_HANDOVER;
	m.u.handover.to_node = el;
	m.u.handover.commit = s->seen_commit;
	snprintf(m.u.handover.reason, sizeof(m.u.handover.reason), "%s",
	         reason && *reason ? reason : "operator");
	rc = sync_send_msg(s, &m);
	if (rc == 0 && to)
		*to = el;
	return rc;
}

/* ---- the role ------------------------------------------------------------------------------ */

static void
set_role(struct sync *s, enum ha_role now, const char *why)
{
	enum ha_role old = s->role;

	snprintf(s->fault, sizeof(s->fault), "%s", why);
	if (now == old)
		return;
	s->role = now;
	s->role_changes++;
	s->rec_dirty = true;
	log_info("node %u: %s -> %s%s%s", s->o.node_id, ha_role_str(old), ha_role_str(now),
	         why[0] ? ": " : "", why);
	if (old == HA_ROLE_ACTIVE) {
		/* what was not delivered is never safe: the host drops its held datagrams */
		sync_pending_clear(s);
		sync_snap_tx_abort(s, "no longer active");
	}
	if (now == HA_ROLE_ACTIVE) {
		sync_activate_numbering(s);
		s->active_left[0] = '\0'; /* told (why); a later takeover has its own reason */
	}
	/* the record first: what the host does next (an activated engine's changes) follows it */
	sync_record_publish(s, false);
	if (s->h.role_changed)
		s->h.role_changed(s->harg, old, now, why);
	if (now == HA_ROLE_ACTIVE)
		sync_snap_tx_consider(s);
}

void
sync_role_evaluate(struct sync *s)
{
	char why[SYNC_TEXT_MAX] = "";
	enum ha_role now;

	if (!s->connected) {
		snprintf(why, sizeof(why), "not connected to corosync");
		now = HA_ROLE_FAULTED;
	} else if (!s->quorum_known || !s->quorate) {
		snprintf(why, sizeof(why), "no quorum");
		now = HA_ROLE_FAULTED;
	} else if (!sync_quorum_current(s)) {
		/*
		 * A new ring whose quorum callback has not come yet (TESTBED.md: a polled value can
		 * be stale). Nothing changes on the old value: no promotion, no bootstrap, and the
		 * active releases nothing (sync_pending_release) until the callback for this ring
		 * says quorate; if it says not quorate, the node steps down then.
		 */
		return;
	} else if (s->queue_full) {
		snprintf(why, sizeof(why), "replication queue full");
		now = HA_ROLE_FAULTED;
	} else {
		if (!s->in_sync)
			sync_bootstrap(s);
		sync_ring_mark(s);
		if (!s->in_sync) {
			snprintf(why, sizeof(why), "waiting for a snapshot of the store");
			now = HA_ROLE_STARTING;
		} else {
			now = sync_elect(s, why, sizeof(why));
		}
	}
	if (now != HA_ROLE_ACTIVE && s->elected == s->o.node_id)
		s->elected = 0;
	set_role(s, now, why);
}
