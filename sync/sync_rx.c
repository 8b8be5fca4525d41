/* SPDX-License-Identifier: MIT */
/*
 * What a node does with each delivered message: checks it (decoder, sender, who may send
 * state), applies it to the store with the commit rule and, on a standby, to the IKE engine;
 * its own SA changes become safe to send, its own leases are granted. Refusals are counted
 * per reason and logged rate-limited.
 */
#define LOG_SUBSYS "sync"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/log.h"
#include "sync/sync_int.h"

void
sync_keys_of(const struct ike_sa_state *st, uint64_t commit, struct sync_sa_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->commit = commit;
	k->spi_i = st->spi_i;
	k->spi_r = st->spi_r;
	for (unsigned i = 0; i < st->nchildren && i < IKE_STATE_MAX_CHILDREN; i++) {
		k->spi_in[i] = st->child[i].spi_in;
		k->spi_out[i] = st->child[i].spi_out;
		k->out_lease_limit[i] = st->child[i].out_lease_limit;
		k->in_highest[i] = st->child[i].in_highest;
		k->nchild++;
	}
}

/* Whether the IKE engine is a standby's (the store's states go into it). */
static bool
engine_standby(const struct sync *s)
{
	return s->ike && s->role != HA_ROLE_ACTIVE;
}

void
sync_rx_import(struct sync *s, struct ike_sa_state *st)
{
	int rc;

	if (!engine_standby(s))
		return;
	/* leases and reports delivered since the state was sent are newer than its copy */
	for (unsigned i = 0; i < st->nchildren; i++) {
		struct ike_child_state *c = &st->child[i];
		uint64_t out = sync_store_seq_get(s->store, c->spi_out, false, NULL);
		uint64_t in = sync_store_seq_get(s->store, c->spi_in, true, NULL);

		if (out > c->out_lease_limit)
			c->out_lease_limit = out;
		if (in > c->in_highest)
			c->in_highest = in;
	}
	rc = ike_engine_import(s->ike, st);
	if (rc && rc != -EBUSY)
		log_warnx("node %u: cannot import IKE SA %016llx/%016llx: %s", s->o.node_id,
		          (unsigned long long)st->spi_i, (unsigned long long)st->spi_r,
		          strerror(-rc));
}

/* May node p send SA state? The active may (by its record, or as this node's election names
 * it); so may a node whose record we do not have yet (we just joined: its record is on its way
 * behind what it sent before). */
static bool
may_send_state(const struct sync *s, const struct sync_peer *p, bool own)
{
	if (own)
		return true;
	return !p->rec_valid || p->rec.role == HA_ROLE_ACTIVE || p->id == s->elected;
}

static void
rx_sa_update(struct sync *s, const struct sync_msg *m, bool own)
{
	struct sync_clock clk;
	struct sync_sa_update u;
	struct sync_sa_keys k;
	enum sync_rej why;
	int rc;

	if (own) {
		/* our own change: the store needs its identity only, the engine has it all */
		rc = sync_peek_sa_update(m->body.p, m->body.len, &k, &why);
		if (rc) {
			sync_reject(s, why, m->sender, "own sa_update");
			return;
		}
		if (k.commit > s->seen_commit)
			s->seen_commit = k.commit;
		(void)sync_store_update(s->store, &k, m->body.p, m->body.len, s->gen);
		sync_pending_delivered(s, k.commit);
		return;
	}
	s->h.clock(s->harg, &clk);
	rc = sync_decode_sa_update(m->body.p, m->body.len, &clk, &u, &why);
	if (rc) {
		if (rc == -EBADMSG)
			sync_reject(s, why, m->sender, "sa_update");
		return;
	}
	if (u.commit > s->seen_commit)
		s->seen_commit = u.commit;
	sync_keys_of(&u.st, u.commit, &k);
	rc = sync_store_update(s->store, &k, m->body.p, m->body.len, s->gen);
	if (rc == 0)
		sync_reject(s, SYNC_REJ_STALE, m->sender, "sa_update not newer than the copy held");
	else if (rc > 0) {
		sync_rx_import(s, &u.st);
		if (s->h.applied)
			s->h.applied(s->harg, k.spi_i, k.spi_r, k.commit);
	}
	ike_sa_state_clear(&u.st);
}

static void
rx_sa_delete(struct sync *s, const struct sync_msg *m, bool own)
{
	const struct sync_sa_delete *d = &m->u.del;
	int rc;

	if (d->commit > s->seen_commit)
		s->seen_commit = d->commit;
	rc = sync_store_delete(s->store, d->spi_i, d->spi_r, d->commit, !s->in_sync || own, s->gen,
	                       s->now_ms);
	if (own)
		sync_pending_delivered(s, d->commit);
	if (rc == -ENOENT)
		sync_reject(s, SYNC_REJ_UNKNOWN_SA, m->sender, "sa_delete");
	else if (rc == 0)
		sync_reject(s, SYNC_REJ_STALE, m->sender, "sa_delete not newer than the copy held");
	else if (rc > 0 && engine_standby(s))
		ike_engine_forget(s->ike, d->spi_i, d->spi_r);
}

static void
rx_seq(struct sync *s, const struct sync_msg *m, bool own)
{
	bool inbound = m->type == SYNC_T_REPLAY;
	const struct sync_seq *q = &m->u.seq;
	int rc = sync_store_seq(s->store, q->spi, inbound, q->value, !s->in_sync);

	if (rc == -ENOENT) {
		sync_reject(s, SYNC_REJ_UNKNOWN_SA, m->sender, inbound ? "replay" : "lease");
		return;
	}
	if (own) {
		/* our engine asked for it: the group has it now, so it may be used once the
		 * quorum of this ring is confirmed (alone after a cut, a node still delivers its
		 * own messages: docs/faults.md "Fencing") */
		if (!inbound && s->role == HA_ROLE_ACTIVE)
			sync_lease_delivered(s, q->spi, q->value);
		return;
	}
	if (rc > 0 && engine_standby(s))
		ike_engine_child_seq(s->ike, q->spi, inbound, q->value);
}

static void
rx_node(struct sync *s, struct sync_peer *p, const struct sync_msg *m, bool own)
{
	const struct sync_node_rec *r = &m->u.node;

	if (own) {
		p->rec = *r;
		p->rec_valid = true;
		p->epoch = m->epoch;
		sync_role_evaluate(s);
		return;
	}
	if (r->has_digest && memcmp(r->digest, s->o.digest, HA_DIGEST_LEN) != 0 &&
	    (!p->digest_warned || !p->rec_valid)) {
		char ours[17], theirs[17];

		for (int i = 0; i < 8; i++) {
			snprintf(ours + 2 * i, 3, "%02x", s->o.digest[i]);
			snprintf(theirs + 2 * i, 3, "%02x", r->digest[i]);
		}
		log_err("node %u: node %u (%s) runs configuration digest %s, ours is %s: nodes "
		        "with "
		        "different configurations refuse to take over from each other",
		        s->o.node_id, m->sender, r->name, theirs, ours);
		p->digest_warned = true;
	}
	if (p->rec_valid && p->rec.role != r->role)
		log_info("node %u: node %u (%s) is %s%s%s", s->o.node_id, m->sender, r->name,
		         ha_role_str(r->role), r->fault[0] ? ": " : "", r->fault);
	p->rec = *r;
	p->rec_valid = true;
	p->epoch = m->epoch;
	sync_role_evaluate(s);
	sync_snap_tx_consider(s);
}

static void
rx_msg(struct sync *s, uint32_t nodeid, bool own, const struct sync_msg *m, size_t len)
{
	struct sync_peer *peer;

	s->st.rx_msgs[m->type]++;
	s->st.rx_bytes[m->type] += len;
	if (m->sender != nodeid) {
		sync_reject(s, SYNC_REJ_SENDER, nodeid, "sender field names another node");
		return;
	}
	if (nodeid == s->o.node_id && !own) {
		sync_reject(s, SYNC_REJ_SENDER, nodeid, "another process with our node id");
		return;
	}
	peer = sync_peer_get(s, nodeid, true);
	if (!peer)
		return;
	if (peer->epoch && m->epoch < peer->epoch) {
		sync_reject(s, SYNC_REJ_STALE, nodeid, "from an earlier run of that node");
		return;
	}
	peer->last_seen_ms = s->now_ms;
	if (m->type != SYNC_T_NODE && m->type != SYNC_T_HANDOVER && !may_send_state(s, peer, own)) {
		sync_reject(s, SYNC_REJ_NOT_ACTIVE, nodeid, sync_type_name(m->type));
		return;
	}
	switch (m->type) {
	case SYNC_T_NODE:
		rx_node(s, peer, m, own);
		break;
	case SYNC_T_SA_UPDATE:
		rx_sa_update(s, m, own);
		break;
	case SYNC_T_SA_DELETE:
		rx_sa_delete(s, m, own);
		break;
	case SYNC_T_LEASE:
	case SYNC_T_REPLAY:
		rx_seq(s, m, own);
		break;
	case SYNC_T_SNAP_BEGIN:
		if (m->u.begin.commit > s->seen_commit)
			s->seen_commit = m->u.begin.commit;
		if (!own)
			sync_snap_rx_begin(s, nodeid, &m->u.begin);
		break;
	case SYNC_T_SNAP_CHUNK:
		if (!own)
			sync_snap_rx_chunk(s, nodeid, m, len);
		break;
	case SYNC_T_SNAP_END:
		if (!own)
			sync_snap_rx_end(s, nodeid, &m->u.end);
		break;
	case SYNC_T_HANDOVER:
		/* only the node that is active may hand the cluster over */
		if (own ? s->role != HA_ROLE_ACTIVE
		        : !peer->rec_valid || peer->rec.role != HA_ROLE_ACTIVE) {
			sync_reject(s, SYNC_REJ_NOT_ACTIVE, nodeid,
			            "handover from a node not active");
			break;
		}
		s->handover_to = m->u.handover.to_node;
		s->handover_from = nodeid;
		snprintf(s->handover_why, sizeof(s->handover_why),
		         "switchover from node %u: %.200s", nodeid, m->u.handover.reason);
		log_info("node %u hands the cluster to node %u (%s)", nodeid, m->u.handover.to_node,
		         m->u.handover.reason);
		sync_role_evaluate(s);
		break;
	default:
		break;
	}
}

void
sync_rx_deliver(struct sync *s, uint32_t nodeid, uint32_t pid, const uint8_t *p, size_t len)
{
	struct sync_msg m;
	enum sync_rej why;

	if (sync_msg_decode(p, len, &m, &why)) {
		s->st.rx_msgs[SYNC_T_NONE]++;
		s->st.rx_bytes[SYNC_T_NONE] += len;
		sync_reject(s, why, nodeid, "undecodable");
		return;
	}
	rx_msg(s, nodeid, nodeid == s->o.node_id && pid == s->o.pid, &m, len);
	sync_msg_fini(&m);
}
