/* SPDX-License-Identifier: MIT */
/*
 * What a node sends: the active node's IKE SA changes and deletes (with the group's commit
 * numbers and the bookkeeping that turns their own delivery into "safe to send"), lease
 * grants and replay reports, and every node's record.
 */
#define LOG_SUBSYS "sync"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "sync/sync_int.h"

#ifndef TANDEM_VERSION
#define TANDEM_VERSION "?"
#endif

/* ---- sending ------------------------------------------------------------------------------ */

static int
sync_transmit(struct sync *s, enum sync_type t, struct buf *msg)
{
	int rc;

	if (!buf_ok(msg))
		return -ENOMEM;
	if (!s->connected)
		return -ENOTCONN;
	rc = s->t.send(s->targ, msg->b_data, msg->b_len);
	if (rc == 0) {
		s->st.tx_msgs[t]++;
		s->st.tx_bytes[t] += msg->b_len;
		return 0;
	}
	s->st.send_failures++;
	if (rc == -ENOBUFS && !s->queue_full) {
		log_err("node %u: replication send queue full (%zu bytes waiting): a %s message "
		        "is lost; stepping down until it drains",
		        s->o.node_id, s->t.backlog(s->targ), sync_type_name(t));
		s->queue_full = true;
		sync_role_evaluate(s);
	} else if (rc != -ENOTCONN) {
		uint32_t supp;

		if (log_rl_allow(&s->rl_misc, s->now_ms, &supp))
			log_warnx("node %u: cannot send a %s message (%zu bytes): %s", s->o.node_id,
			          sync_type_name(t), msg->b_len, strerror(-rc));
	}
	return rc;
}

int
sync_send(struct sync *s, enum sync_type t, const uint8_t *p, size_t len)
{
	int rc;

	buf_reset(&s->tx);
	rc = sync_encode_raw(s->o.node_id, s->o.epoch, t, p, len, &s->tx);
	return rc ? rc : sync_transmit(s, t, &s->tx);
}

int
sync_send_chunk(struct sync *s, const struct sync_chunk_enc *c)
{
	int rc;

	buf_reset(&s->tx);
	rc = sync_encode_chunk(s->o.node_id, s->o.epoch, c, &s->tx);
	return rc ? rc : sync_transmit(s, SYNC_T_SNAP_CHUNK, &s->tx);
}

int
sync_send_msg(struct sync *s, struct sync_msg *m)
{
	int rc;

	m->version = SYNC_PROTO_VERSION;
	m->sender = s->o.node_id;
	m->epoch = s->o.epoch;
	buf_reset(&s->tx);
	rc = sync_encode_msg(m, &s->tx);
	return rc ? rc : sync_transmit(s, m->type, &s->tx);
}

/* ---- records ------------------------------------------------------------------------------ */

void
sync_record_build(const struct sync *s, struct sync_node_rec *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", s->name);
	r->priority = s->o.priority;
	r->role = s->role;
	r->has_digest = true;
	memcpy(r->digest, s->o.digest, HA_DIGEST_LEN);
	r->quorate = s->quorum_known && s->quorate;
	r->in_sync = s->in_sync;
	r->engines_up = s->engines_up;
	r->engines_total = s->engines_total;
	snprintf(r->version, sizeof(r->version), "%s", TANDEM_VERSION);
	r->store_commit = sync_store_max_commit(s->store);
	snprintf(r->fault, sizeof(r->fault), "%s", s->fault);
	r->want_snapshot = s->in_sync ? 0 : s->want_snapshot;
	r->members = (uint32_t)s->st.members;
	r->ring_seq = s->ring_seq;
	r->sync_ring = s->sync_ring;
	r->sync_ring_whole = s->sync_ring_whole;
}

void
sync_record_publish(struct sync *s, bool force)
{
	struct sync_msg m;
	struct sync_node_rec cmp;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_T_NODE;
	sync_record_build(s, &m.u.node);
	if (!force && s->rec_sent_valid) {
		cmp = s->rec_sent;
		cmp.store_commit = m.u.node.store_commit;
		/* the store commit alone is refreshed at most once a second */
		if (memcmp(&cmp, &m.u.node, sizeof(cmp)) == 0 &&
		    (cmp.store_commit == s->rec_sent.store_commit ||
		     s->now_ms < s->rec_sent_ms + SYNC_RECORD_EVERY_MS)) {
			s->rec_dirty = false;
			return;
		}
	}
	if (!s->connected)
		return;
	if (sync_send_msg(s, &m) == 0) {
		s->rec_sent = m.u.node;
		s->rec_sent_valid = true;
		s->rec_sent_ms = s->now_ms;
		s->rec_dirty = false;
	}
}

/* ---- the active's commit numbering and sync before send ------------------------------- */

void
sync_pending_clear(struct sync *s)
{
	s->npend = 0;
	s->pend_head = 0;
	s->nlw = 0;
	s->nlh = 0; /* a held lease is never granted once the node is not active */
}

void
sync_activate_numbering(struct sync *s)
{
	uint64_t held = sync_store_max_commit(s->store);

	/* continue above every commit the group has seen, so standbys take ours as newer */
	s->commit_base = held > s->seen_commit ? held : s->seen_commit;
	s->engine0 = s->engine_last;
	sync_pending_clear(s);
}

static struct sync_pending *
pend_at(struct sync *s, size_t i)
{
	return &s->pend[(s->pend_head + i) % SYNC_PENDING_MAX];
}

void
sync_pending_delivered(struct sync *s, uint64_t commit)
{
	for (size_t i = 0; i < s->npend; i++) {
		struct sync_pending *p = pend_at(s, i);

		if (p->commit > commit)
			break;
		p->delivered = true;
	}
	sync_pending_release(s);
}

static void
lat_add(struct sync *s, uint64_t us)
{
	s->lat[s->lat_pos] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	s->lat_pos = (s->lat_pos + 1) % SYNC_LAT_RING;
	if (s->lat_n < SYNC_LAT_RING)
		s->lat_n++;
}

static void sync_leases_held_release(struct sync *s);

/*
 * Releases delivered changes, in order, as safe: only on the active, and only once the quorum
 * callback confirmed quorum for the ring they were delivered in (a node cut off alone still
 * delivers its own messages; the peer must not see what the quorate part never got).
 */
void
sync_pending_release(struct sync *s)
{
	uint64_t safe = 0, now_us;
	bool any = false;

	if (s->role != HA_ROLE_ACTIVE || !sync_quorum_current(s))
		return;
	now_us = clk_mono_us();
	while (s->npend && pend_at(s, 0)->delivered) {
		struct sync_pending *p = pend_at(s, 0);

		lat_add(s, now_us > p->t_us ? now_us - p->t_us : 0);
		safe = p->engine_commit;
		any = true;
		s->pend_head = (s->pend_head + 1) % SYNC_PENDING_MAX;
		s->npend--;
	}
	if (any)
		s->h.commit_safe(s->harg, safe);
	sync_leases_held_release(s);
	sync_leases_retry(s);
}

void
sync_ike_changed(struct sync *s, const struct ike_sa_state *st, enum ike_change what,
                 uint64_t commit)
{
	struct sync_clock clk;
	struct sync_pending *p;
	uint64_t gc;
	int rc;

	s->h.clock(s->harg, &clk);
	s->now_ms = clk.mono_ms;
	if (commit > s->engine_last)
		s->engine_last = commit;
	if (s->role != HA_ROLE_ACTIVE || commit <= s->engine0) {
		/* not ours to publish: its datagrams stay held (they are discarded on step-down) */
		log_debug("node %u: IKE change %llu while %s: not replicated", s->o.node_id,
		          (unsigned long long)commit, ha_role_str(s->role));
		return;
	}
	gc = s->commit_base + (commit - s->engine0);
	if (s->npend == SYNC_PENDING_MAX) {
		if (!s->queue_full)
			log_err("node %u: %u SA changes wait for the group: stepping down",
			        s->o.node_id, SYNC_PENDING_MAX);
		s->queue_full = true;
		sync_role_evaluate(s);
		return;
	}
	if (what == IKE_CH_DELETED) {
		struct sync_msg m;

		memset(&m, 0, sizeof(m));
		m.type = SYNC_T_SA_DELETE;
		m.u.del = (struct sync_sa_delete){gc, st->spi_i, st->spi_r};
		rc = sync_send_msg(s, &m);
	} else {
		buf_reset(&s->body);
		rc = sync_encode_sa_update(st, what, gc, &clk, &s->body);
		if (rc == 0)
			rc = sync_send(s, SYNC_T_SA_UPDATE, s->body.b_data, s->body.b_len);
	}
	if (rc)
		return; /* never delivered, never safe: its datagrams stay held */
	p = pend_at(s, s->npend++);
	*p = (struct sync_pending){gc, commit, clk_mono_us(), false};
}

/* ---- leases and replay reports --------------------------------------------------------- */

static int
lease_send(struct sync *s, uint32_t spi, uint64_t limit)
{
	struct sync_msg m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_T_LEASE;
	m.u.seq = (struct sync_seq){spi, limit};
	return sync_send_msg(s, &m);
}

void
sync_lease_delivered(struct sync *s, uint32_t spi, uint64_t limit)
{
	struct sync_lease_held *h;

	if (sync_quorum_current(s)) {
		s->h.lease_granted(s->harg, spi, limit);
		return;
	}
	if (s->nlh == s->lhcap) {
		size_t cap = s->lhcap ? 2 * s->lhcap : 16;
		void *v = realloc(s->lh, cap * sizeof(*s->lh));

		if (!v) {
			/* not granted: the engine keeps what it has; asked again on release */
			log_warnx("node %u: SA %08x: no room to hold a lease until quorum",
			          s->o.node_id, spi);
			return;
		}
		s->lh = v;
		s->lhcap = cap;
	}
	h = &s->lh[s->nlh++];
	*h = (struct sync_lease_held){spi, limit, s->ring_node, s->ring_seq};
	log_debug("node %u: SA %08x: lease up to %llu held until the quorum of ring %llu",
	          s->o.node_id, spi, (unsigned long long)limit, (unsigned long long)s->ring_seq);
}

/*
 * Called with quorum confirmed for the current ring, on the active: a held lease delivered in
 * this ring is granted; one delivered in an earlier ring whose quorum was never confirmed is
 * not (the quorate membership may not have it) and goes through the group again.
 */
static void
sync_leases_held_release(struct sync *s)
{
	size_t n = s->nlh;

	s->nlh = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sync_lease_held *h = &s->lh[i];

		if (h->ring_node == s->ring_node && h->ring_seq == s->ring_seq)
			s->h.lease_granted(s->harg, h->spi, h->limit);
		else
			(void)lease_send(s, h->spi, h->limit);
	}
}

int
sync_lease_request(struct sync *s, uint32_t spi, uint64_t limit)
{
	bool known;

	if (s->role != HA_ROLE_ACTIVE)
		return -EAGAIN;
	(void)sync_store_seq_get(s->store, spi, false, &known);
	if (known) {
		int rc = lease_send(s, spi, limit);

		return rc == -ENOBUFS || rc == -ENOTCONN ? -EAGAIN : rc;
	}
	if (s->npend) {
		/* the SA may be in a change still on its way: ask again once it is delivered */
		struct sync_lease_wait *w;

		if (s->nlw == s->lwcap) {
			size_t cap = s->lwcap ? 2 * s->lwcap : 16;
			void *v = realloc(s->lw, cap * sizeof(*s->lw));

			if (!v)
				return -EAGAIN;
			s->lw = v;
			s->lwcap = cap;
		}
		w = &s->lw[s->nlw++];
		w->spi = spi;
		w->limit = limit;
		w->after = pend_at(s, s->npend - 1)->commit;
		return 0;
	}
	return -ENOENT;
}

void
sync_leases_retry(struct sync *s)
{
	uint64_t done = s->npend ? pend_at(s, 0)->commit - 1 : UINT64_MAX;
	size_t keep = 0;

	for (size_t i = 0; i < s->nlw; i++) {
		struct sync_lease_wait w = s->lw[i];
		bool known;

		if (w.after > done) {
			s->lw[keep++] = w;
			continue;
		}
		(void)sync_store_seq_get(s->store, w.spi, false, &known);
		if (known)
			(void)lease_send(s, w.spi, w.limit);
		else
			s->h.lease_granted(s->harg, w.spi,
			                   w.limit); /* not replicated: a local SA */
	}
	s->nlw = keep;
}

void
sync_replay_report(struct sync *s, uint32_t spi, uint64_t highest)
{
	struct sync_msg m;
	bool known;
	uint64_t held;

	if (s->role != HA_ROLE_ACTIVE)
		return;
	held = sync_store_seq_get(s->store, spi, true, &known);
	/* at most one report per half step of movement, as the engine sends them */
	if (!known || highest <= held || highest - held < s->o.report_every / 2)
		return;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_T_REPLAY;
	m.u.seq = (struct sync_seq){spi, highest};
	(void)sync_send_msg(s, &m);
}
