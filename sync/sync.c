/* SPDX-License-Identifier: MIT */
/*
 * The replication layer's life cycle and its inputs other than messages: views of the group
 * (who joined, who left), the totem ring, the connection to corosync, quorum and engine
 * health; the periodic work (tick); and what hactl reads (nodes, figures).
 */
#define LOG_SUBSYS "sync"
#include "sync/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "sync/sync_int.h"

/* ---- peers ------------------------------------------------------------------------------- */

struct sync_peer *
sync_peer_get(struct sync *s, uint32_t id, bool create)
{
	struct sync_peer *free_slot = NULL;

	for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
		if (s->peers[i].used && s->peers[i].id == id)
			return &s->peers[i];
		if (!s->peers[i].used && !free_slot)
			free_slot = &s->peers[i];
	}
	if (!create)
		return NULL;
	if (!free_slot) {
		/* full: reuse a node that is not a member */
		for (size_t i = 0; i < SYNC_MAX_NODES && !free_slot; i++)
			if (!s->peers[i].member && s->peers[i].id != s->o.node_id)
				free_slot = &s->peers[i];
		if (!free_slot)
			return NULL;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->id = id;
	return free_slot;
}

struct sync_peer *
sync_peer_self(struct sync *s)
{
	return sync_peer_get(s, s->o.node_id, true);
}

/* ---- rejections -------------------------------------------------------------------------- */

void
sync_reject(struct sync *s, enum sync_rej why, uint32_t from, const char *what)
{
	uint32_t supp = 0;

	s->st.rejected[why]++;
	if (log_rl_allow(&s->rl_rej[why], s->now_ms, &supp))
		log_warnx("node %u: refused a replication message from node %u: %s (%s)%s",
		          s->o.node_id, from, sync_rej_name(why), what ? what : "",
		          supp ? " (and more like it)" : "");
}

/* ---- life cycle -------------------------------------------------------------------------- */

static void
sync_now(struct sync *s)
{
	struct sync_clock c;

	s->h.clock(s->harg, &c);
	s->now_ms = c.mono_ms;
}

int
sync_new(const struct sync_opts *o, const struct sync_transport *t, void *targ,
         const struct sync_host *h, void *harg, struct ike_engine *ike, struct sync **out)
{
	struct sync *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->o = *o;
	snprintf(s->name, sizeof(s->name), "%s", o->name ? o->name : "");
	s->o.name = s->name;
	if (!s->o.chunk_max_bytes)
		s->o.chunk_max_bytes = 60000;
	if (!s->o.chunk_max_sas)
		s->o.chunk_max_sas = 512;
	if (s->o.chunk_max_sas > SYNC_CHUNK_MAX_SAS)
		s->o.chunk_max_sas = SYNC_CHUNK_MAX_SAS;
	if (!s->o.backlog_low)
		s->o.backlog_low = 1u << 20;
	s->t = *t;
	s->targ = targ;
	s->h = *h;
	s->harg = harg;
	s->ike = ike;
	s->role = HA_ROLE_STARTING;
	snprintf(s->fault, sizeof(s->fault), "corosync not connected yet");
	s->gen = 1;
	s->want_snapshot = 1;
	buf_init(&s->tx, true);
	buf_init(&s->body, true);
	for (size_t i = 0; i < SYNC_REJ_NR; i++)
		log_rl_init(&s->rl_rej[i], 5, 10000);
	log_rl_init(&s->rl_misc, 5, 10000);
	s->store = sync_store_new(o->seed);
	s->pend = calloc(SYNC_PENDING_MAX, sizeof(*s->pend));
	if (!s->store || !s->pend) {
		sync_free(s);
		return -ENOMEM;
	}
	sync_now(s);
	(void)sync_peer_self(s);
	*out = s;
	return 0;
}

void
sync_free(struct sync *s)
{
	if (!s)
		return;
	free(s->stx.keys);
	sync_store_free(s->store);
	free(s->pend);
	free(s->lw);
	free(s->lh);
	buf_fini(&s->tx);
	buf_fini(&s->body);
	free(s);
}

/* ---- in-sync state --------------------------------------------------------------------- */

void
sync_leave_sync(struct sync *s, const char *why, bool whole)
{
	if (s->in_sync) {
		log_info("node %u: store no longer known to be complete (%s): resync needed",
		         s->o.node_id, why);
		s->left_sync_ms = s->now_ms ? s->now_ms : 1;
		/* only the way out of sync says how complete the store is: a later fault while
		 * still out of sync (a quorum loss after a lost connection) makes it no better */
		s->sync_ring_whole = whole;
	}
	s->in_sync = false;
	s->gen++;
	s->want_snapshot++;
	s->rec_dirty = true;
}

bool
sync_quorum_current(const struct sync *s)
{
	if (!s->quorum_known || !s->quorate)
		return false;
	for (size_t i = 0; i < SYNC_MAX_NODES; i++)
		if (s->peers[i].used && s->peers[i].down_wait)
			return false; /* a node is gone from CPG, not yet from the quorum callbacks
			               */
	return s->quorum_assumed ||
	       (s->q_ring_node == s->ring_node && s->q_ring_seq == s->ring_seq);
}

/* ---- views, rings, link, quorum, engines ----------------------------------------------- */

static bool
has_member(const struct sync_member *v, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].nodeid == id)
			return true;
	return false;
}

static bool
in_quorum_members(const struct sync *s, uint32_t id)
{
	if (!s->q_members_known)
		return true;
	for (size_t i = 0; i < s->q_nmembers; i++)
		if (s->q_members[i] == id)
			return true;
	return false;
}

void
sync_quorum_setup(struct sync *s, bool device, bool two_node, uint32_t nodes)
{
	s->st.setup_known = true;
	s->st.arbiter = device;
	s->st.two_node = two_node;
	s->st.quorum_nodes = nodes;
	s->st.split_brain_risk = nodes == 2 && !device;
}

void
sync_quorum_members(struct sync *s, const uint32_t *ids, size_t n)
{
	if (n > SYNC_QMEMBERS_MAX)
		n = SYNC_QMEMBERS_MAX;
	memcpy(s->q_members, ids, n * sizeof(*ids));
	s->q_nmembers = n;
	s->q_members_known = true;
	for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
		struct sync_peer *p = &s->peers[i];

		if (p->used && p->down_wait && !in_quorum_members(s, p->id)) {
			p->down_wait = false;
			log_info("node %u: the quorum membership confirms node %u is gone",
			         s->o.node_id, p->id);
		}
	}
}

void
sync_view(struct sync *s, const struct sync_view *v)
{
	bool self_joined = false, others_joined = false, sender_left = false, left = false;

	sync_now(s);
	/*
	 * A node that left with its node (not only its process): corosync delivers this before
	 * the new ring and its quorum callback, so until a quorum callback without that node
	 * comes, the quorum held is the old ring's and decides nothing (on the losing side of a
	 * cut it would say quorate: both halves would elect themselves).
	 */
	for (size_t i = 0; i < v->nleft; i++) {
		struct sync_peer *p;

		if (!v->left[i].node_down || v->left[i].nodeid == s->o.node_id ||
		    !in_quorum_members(s, v->left[i].nodeid))
			continue;
		p = sync_peer_get(s, v->left[i].nodeid, true);
		if (p && !p->down_wait) {
			p->down_wait = true;
			log_info("node %u: node %u is down: waiting for the quorum of the new "
			         "membership",
			         s->o.node_id, p->id);
		}
	}
	for (size_t i = 0; i < v->njoined; i++) {
		struct sync_peer *p = sync_peer_get(s, v->joined[i].nodeid, true);

		if (v->joined[i].nodeid == s->o.node_id && v->joined[i].pid == s->o.pid) {
			self_joined = true;
			continue;
		}
		others_joined = true;
		if (!p)
			continue;
		/* a (re)joined node: its earlier record no longer describes it */
		p->rec_valid = false;
		p->down_wait = false;
		p->pid = v->joined[i].pid;
		p->joined_ms = s->now_ms;
		p->served_want = 0;
		p->digest_warned = false;
	}
	for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
		struct sync_peer *p = &s->peers[i];
		bool m;

		if (!p->used)
			continue;
		m = p->id == s->o.node_id ? true : has_member(v->members, v->nmembers, p->id);
		if (p->member && !m) {
			log_info("node %u: node %u (%s) left the group", s->o.node_id, p->id,
			         p->rec.name[0] ? p->rec.name : "?");
			if (p->id == s->elected)
				snprintf(s->active_left, sizeof(s->active_left),
				         "node %u (%.64s), the active one, left the group", p->id,
				         p->rec.name[0] ? p->rec.name : "?");
			p->rec_valid = false;
			if (s->srx.running && s->srx.from == p->id)
				sender_left = true;
			left = true;
		}
		if (!p->member && m && p->id != s->o.node_id)
			p->joined_ms = s->now_ms;
		p->member = m;
	}
	for (size_t i = 0; i < v->nmembers; i++) {
		struct sync_peer *p = sync_peer_get(s, v->members[i].nodeid, true);

		if (p && !p->member) {
			p->member = true;
			p->joined_ms = s->now_ms;
		}
		if (p && p->pid == 0)
			p->pid = v->members[i].pid;
	}
	s->st.members = v->nmembers;
	if (self_joined) {
		/* our own (re)join: nobody's earlier record can be trusted */
		for (size_t i = 0; i < SYNC_MAX_NODES; i++)
			if (s->peers[i].used && s->peers[i].id != s->o.node_id)
				s->peers[i].rec_valid = false;
	}
	if (sender_left)
		sync_snap_rx_abort(s, "the node sending it left the group");
	/* a switchover's pin lasts until the membership changes; the roles it made stay */
	if (others_joined || left)
		s->handover_to = s->handover_from = 0;
	sync_snap_tx_view(s);
	/* every member re-announces itself to those that joined (they know nobody yet) */
	if (self_joined || others_joined)
		sync_record_publish(s, true);
	sync_role_evaluate(s);
}

void
sync_ring(struct sync *s, uint32_t ring_node, uint64_t ring_seq)
{
	sync_now(s);
	if (ring_node == s->ring_node && ring_seq == s->ring_seq)
		return;
	s->ring_node = ring_node;
	s->ring_seq = ring_seq;
	s->ring_ms = s->now_ms;
	s->quorum_assumed = false;
	s->st.ring_seq = ring_seq;
	s->rec_dirty = true;
	sync_role_evaluate(s);
}

void
sync_link(struct sync *s, bool up)
{
	sync_now(s);
	if (up == s->connected)
		return;
	s->connected = up;
	s->st.connected = up;
	if (!up) {
		log_warnx("node %u: lost the connection to corosync; stepping down, resync after "
		          "reconnecting",
		          s->o.node_id);
		for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
			s->peers[i].member = s->peers[i].id == s->o.node_id && s->peers[i].used;
			s->peers[i].rec_valid = false;
		}
		s->quorum_known = false;
		s->quorate = false;
		s->ring_node = 0;
		s->ring_seq = 0;
		sync_snap_rx_abort(s, "corosync connection lost");
		sync_snap_tx_abort(s, "corosync connection lost");
		sync_leave_sync(s, "corosync connection lost", false);
		s->queue_full = false;
	} else {
		log_info("node %u: connected to corosync", s->o.node_id);
	}
	sync_role_evaluate(s);
}

void
sync_quorum(struct sync *s, bool quorate, uint32_t ring_node, uint64_t ring_seq)
{
	bool was = s->quorate && s->quorum_known;

	sync_now(s);
	s->quorum_known = true;
	s->quorate = quorate;
	s->q_ring_node = ring_node;
	s->q_ring_seq = ring_seq;
	s->quorum_assumed = false;
	s->st.quorate = quorate;
	if (was && !quorate) {
		log_warnx("node %u: lost quorum (ring %llu)", s->o.node_id,
		          (unsigned long long)ring_seq);
		/* the quorate part of the cluster goes on without us: our store falls behind */
		sync_leave_sync(s, "quorum lost", true);
	} else if (!was && quorate) {
		log_info("node %u: quorate (ring %llu)", s->o.node_id,
		         (unsigned long long)ring_seq);
	}
	s->rec_dirty = true;
	sync_role_evaluate(s);
	/* deliveries that waited for quorum of this ring may be released now */
	sync_pending_release(s);
}

void
sync_engines(struct sync *s, uint32_t up, uint32_t total)
{
	sync_now(s);
	if (up == s->engines_up && total == s->engines_total)
		return;
	s->engines_up = up;
	s->engines_total = total;
	s->rec_dirty = true;
	sync_role_evaluate(s);
}

void
sync_config_digest(struct sync *s, const uint8_t digest[HA_DIGEST_LEN])
{
	sync_now(s);
	if (memcmp(digest, s->o.digest, HA_DIGEST_LEN) == 0)
		return;
	memcpy(s->o.digest, digest, HA_DIGEST_LEN);
	s->rec_dirty = true;
	sync_role_evaluate(s);
}

void
sync_deliver(struct sync *s, uint32_t nodeid, uint32_t pid, const uint8_t *p, size_t len)
{
	sync_now(s);
	sync_rx_deliver(s, nodeid, pid, p, len);
}

/* ---- periodic work ------------------------------------------------------------------------ */

uint64_t
sync_tick(struct sync *s)
{
	uint64_t next = UINT64_MAX;

	sync_now(s);
	/* a new ring whose quorum callback never came: take the last value, say so */
	if (s->connected && s->quorum_known && !s->quorum_assumed && s->ring_seq &&
	    (s->q_ring_node != s->ring_node || s->q_ring_seq != s->ring_seq)) {
		if (s->now_ms >= s->ring_ms + SYNC_QUORUM_WAIT_MS) {
			log_warnx(
			        "node %u: no quorum notification for ring %llu after %u ms; using "
			        "the last one (%s)",
			        s->o.node_id, (unsigned long long)s->ring_seq, SYNC_QUORUM_WAIT_MS,
			        s->quorate ? "quorate" : "not quorate");
			s->quorum_assumed = true;
			for (size_t i = 0; i < SYNC_MAX_NODES; i++)
				s->peers[i].down_wait = false;
			sync_role_evaluate(s);
			sync_pending_release(s);
		} else {
			next = s->ring_ms + SYNC_QUORUM_WAIT_MS;
		}
	}
	if (s->queue_full && s->t.backlog(s->targ) == 0) {
		log_info("node %u: the replication queue drained", s->o.node_id);
		s->queue_full = false;
		sync_role_evaluate(s);
	}
	sync_snap_tx_pump(s);
	if (s->stx.running)
		next = s->now_ms + 1; /* more chunks once the queue drains */
	/* the bootstrap waits for members without records for at most SYNC_NORECORD_MS */
	if (!s->in_sync && s->connected) {
		sync_role_evaluate(s);
		if (!s->in_sync && s->now_ms + 500 < next)
			next = s->now_ms + 500;
	}
	if (s->rec_dirty ||
	    (s->rec_sent_valid && sync_store_max_commit(s->store) != s->rec_sent.store_commit &&
	     s->now_ms >= s->rec_sent_ms + SYNC_RECORD_EVERY_MS))
		sync_record_publish(s, false);
	if (s->rec_sent_valid && s->now_ms + SYNC_RECORD_EVERY_MS < next)
		next = s->rec_sent_ms + SYNC_RECORD_EVERY_MS > s->now_ms
		               ? s->rec_sent_ms + SYNC_RECORD_EVERY_MS
		               : s->now_ms + SYNC_RECORD_EVERY_MS;
	if (s->now_ms >= s->sweep_ms) {
		/* tombstones must outlive every snapshot that may still carry an older copy */
		if (!s->stx.running && !s->srx.running)
			(void)sync_store_sweep(s->store, s->now_ms);
		s->sweep_ms = s->now_ms + SYNC_SWEEP_EVERY_MS;
	}
	if (s->sweep_ms < next)
		next = s->sweep_ms;
	return next;
}

/* ---- queries ----------------------------------------------------------------------------- */

enum ha_role
sync_role(const struct sync *s)
{
	return s->role;
}

const char *
sync_fault(const struct sync *s)
{
	return s->fault;
}

bool
sync_in_sync(const struct sync *s)
{
	return s->in_sync;
}

void
sync_nodes(const struct sync *s, void (*fn)(void *arg, const struct sync_node_info *n), void *arg)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < SYNC_MAX_NODES; i++) {
			const struct sync_peer *p = &s->peers[i];
			struct sync_node_info n;
			bool self = p->id == s->o.node_id;

			if (!p->used || (pass == 0) != self)
				continue;
			memset(&n, 0, sizeof(n));
			n.id = p->id;
			n.self = self;
			n.member = p->member;
			n.has_record = self || p->rec_valid || p->rec.name[0];
			if (self)
				sync_record_build(s, &n.rec);
			else
				n.rec = p->rec;
			n.digest_match = self || !p->rec.has_digest ||
			                 memcmp(p->rec.digest, s->o.digest, HA_DIGEST_LEN) == 0;
			n.last_seen_ms = self              ? 0
			                 : p->last_seen_ms ? (int64_t)(s->now_ms - p->last_seen_ms)
			                                   : -1;
			n.why = p->why;
			n.elected = s->elected == p->id;
			fn(arg, &n);
		}
	}
}

void
sync_stats(const struct sync *s, struct sync_stats *out)
{
	struct sync_store_stats ss;
	uint32_t tmp[SYNC_LAT_RING];
	size_t n = s->lat_n;

	*out = s->st;
	sync_store_stats(s->store, &ss);
	out->store_sas = ss.sas;
	out->store_tombs = ss.tombs;
	out->store_children = ss.children;
	out->store_bytes = ss.raw_bytes;
	out->store_commit = ss.max_commit;
	out->pending = s->npend;
	out->snap_tx_running = s->stx.running;
	out->snap_tx_id = s->stx.id;
	out->snap_tx_done = s->stx.pos;
	out->snap_tx_total = s->stx.nkeys;
	out->snap_rx_running = s->srx.running;
	out->snap_rx_id = s->srx.id;
	out->snap_rx_sas = s->srx.sas;
	out->quorum_current = sync_quorum_current(s);
	out->elected = s->elected;
	out->role_changes = s->role_changes;
	out->lat_n = n;
	if (n) {
		memcpy(tmp, s->lat, n * sizeof(tmp[0]));
		/* insertion sort is plenty for 1024 samples read by an operator */
		for (size_t i = 1; i < n; i++) {
			uint32_t v = tmp[i];
			size_t j = i;

			while (j && tmp[j - 1] > v) {
				tmp[j] = tmp[j - 1];
				j--;
			}
			tmp[j] = v;
		}
		out->lat_p50_us = tmp[(n - 1) / 2];
		out->lat_p99_us = tmp[(n * 99 + 99) / 100 - 1];
		out->lat_max_us = tmp[n - 1];
	}
}

int
sync_digest(const struct sync *s, uint8_t out[32])
{
	return sync_store_digest(s->store, out);
}

size_t
sync_mem(const struct sync *s)
{
	return sync_store_mem(s->store);
}

uint32_t
sync_node_id(const struct sync *s)
{
	return s->o.node_id;
}
