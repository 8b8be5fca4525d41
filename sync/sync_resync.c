/* SPDX-License-Identifier: MIT */
/*
 * Bulk resync (the role of strongSwan's ha_cache): the active node answers a member that is
 * not in sync (its record asks with want_snapshot) with SnapshotBegin, chunks of many SAs per
 * CPG message and SnapshotEnd, ordered against live updates by the group's total order. The
 * SPIs are taken at the start and each SA is read from the store when its chunk is built, so
 * the store may change meanwhile: a chunk copy older than a live update or delete the joiner
 * already applied loses to it by the commit rule (tombstones outlive snapshots for this).
 * Chunks are made only while the transport's backlog is low, so live updates are not stuck
 * behind a whole snapshot. The joiner marks what the snapshot listed and what came live; at
 * SnapshotEnd it drops what it held from before and is neither (deleted meanwhile), and is in
 * sync. A snapshot whose sender leaves is given up; the next active serves it again.
 */
#define LOG_SUBSYS "sync"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/log.h"
#include "sync/sync_int.h"

/* ---- sending (the active node) ------------------------------------------------------- */

/* Members whose record asks for a snapshot this node has not served yet. */
static unsigned
wanting(struct sync *s, uint32_t *ids, unsigned cap)
{
	unsigned n = 0;

	for (size_t i = 0; i < SYNC_MAX_NODES && n < cap; i++) {
		struct sync_peer *p = &s->peers[i];

		if (!p->used || !p->member || !p->rec_valid || p->id == s->o.node_id)
			continue;
		if (!p->rec.in_sync && p->rec.want_snapshot > p->served_want)
			ids[n++] = p->id;
	}
	return n;
}

void
sync_snap_tx_consider(struct sync *s)
{
	struct sync_snap_tx *x = &s->stx;
	struct sync_msg m;
	unsigned n;
	int rc;

	if (x->running || s->role != HA_ROLE_ACTIVE || !s->connected)
		return;
	n = wanting(s, x->for_nodes, SYNC_MAX_NODES);
	if (!n)
		return;
	free(x->keys);
	x->keys = NULL;
	rc = sync_store_keys(s->store, &x->keys, &x->nkeys);
	if (rc) {
		log_warnx("node %u: cannot start a snapshot: %s", s->o.node_id, strerror(-rc));
		return;
	}
	x->nfor = n;
	x->id = (s->o.seed ^ (uint64_t)s->o.node_id << 32) + ++s->snap_seq;
	if (!x->id)
		x->id = 1;
	x->pos = 0;
	x->index = 0;
	x->sas = 0;
	x->bytes = 0;
	x->t0_ms = s->now_ms;
	memset(&m, 0, sizeof(m));
	m.type = SYNC_T_SNAP_BEGIN;
	memcpy(m.u.begin.for_nodes, x->for_nodes, n * sizeof(uint32_t));
	m.u.begin.nfor = n;
	m.u.begin.snapshot_id = x->id;
	m.u.begin.total_sas = x->nkeys > UINT32_MAX ? UINT32_MAX : (uint32_t)x->nkeys;
	m.u.begin.commit = sync_store_max_commit(s->store);
	if (sync_send_msg(s, &m)) {
		free(x->keys);
		x->keys = NULL;
		return;
	}
	x->bytes += s->tx.b_len;
	for (unsigned i = 0; i < n; i++) {
		struct sync_peer *p = sync_peer_get(s, x->for_nodes[i], false);

		if (p)
			p->served_want = p->rec.want_snapshot;
	}
	x->running = true;
	log_info("node %u: snapshot %llx of %zu SAs for %u node(s) (first: %u)", s->o.node_id,
	         (unsigned long long)x->id, x->nkeys, n, x->for_nodes[0]);
}

/* Adds one SA (and the sequence state of its Child SAs) to the chunk: borrows the store's raw
 * update, which stays put until the chunk is sent (nothing changes the store meanwhile). */
static void
chunk_add(struct sync *s, struct sync_chunk_enc *c, const struct sync_sa_view *v)
{
	(void)sync_chunk_add_sa(c, v->raw, v->len);
	for (unsigned i = 0; i < v->nkids; i++) {
		uint32_t spi = (uint32_t)(v->kids[i] >> 1);
		bool in = v->kids[i] & 1;
		uint64_t val = sync_store_seq_get(s->store, spi, in, NULL);

		if (val)
			(void)sync_chunk_add_seq(c, in, spi, val);
	}
}

static void
snap_tx_finish(struct sync *s)
{
	struct sync_snap_tx *x = &s->stx;
	struct sync_msg m;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_T_SNAP_END;
	m.u.end = (struct sync_snap_end){x->id, x->index};
	if (sync_send_msg(s, &m) == 0)
		x->bytes += s->tx.b_len;
	x->running = false;
	free(x->keys);
	x->keys = NULL;
	s->st.snaps_sent++;
	s->st.last_tx_sas = x->sas;
	s->st.last_tx_bytes = x->bytes;
	s->st.last_tx_ms = s->now_ms - x->t0_ms;
	log_info("node %u: snapshot %llx sent: %zu SAs in %u chunks, %llu bytes, %llu ms",
	         s->o.node_id, (unsigned long long)x->id, x->sas, x->index,
	         (unsigned long long)x->bytes, (unsigned long long)s->st.last_tx_ms);
	sync_snap_tx_consider(s); /* others may have asked meanwhile */
}

void
sync_snap_tx_pump(struct sync *s)
{
	struct sync_snap_tx *x = &s->stx;
	struct sync_chunk_enc c;

	memset(&c, 0, sizeof(c));
	while (x->running && s->t.backlog(s->targ) < s->o.backlog_low) {
		unsigned nsa = 0;

		(void)sync_chunk_begin(&c, x->id, x->index);
		/* room for one more SA's sequence state: 2 directions per Child SA */
		while (x->pos < x->nkeys && nsa < s->o.chunk_max_sas &&
		       c.bytes < s->o.chunk_max_bytes &&
		       c.nlease + IKE_STATE_MAX_CHILDREN <= SYNC_CHUNK_MAX_SEQ &&
		       c.nreplay + IKE_STATE_MAX_CHILDREN <= SYNC_CHUNK_MAX_SEQ) {
			struct sync_sa_view v;

			if (sync_store_get(s->store, x->keys[2 * x->pos], x->keys[2 * x->pos + 1],
			                   &v) &&
			    !v.tomb) {
				chunk_add(s, &c, &v);
				nsa++;
			}
			x->pos++;
		}
		if (nsa) {
			if (c.nsa != nsa || sync_send_chunk(s, &c)) {
				/* the joiners get nothing complete: they ask again */
				sync_chunk_enc_fini(&c);
				sync_snap_tx_abort(s, "a chunk could not be sent");
				return;
			}
			x->bytes += s->tx.b_len;
			x->sas += nsa;
			x->index++;
		}
		if (x->pos >= x->nkeys) {
			sync_chunk_enc_fini(&c);
			snap_tx_finish(s);
			return;
		}
	}
	sync_chunk_enc_fini(&c);
}

void
sync_snap_tx_abort(struct sync *s, const char *why)
{
	struct sync_snap_tx *x = &s->stx;

	if (!x->running)
		return;
	log_warnx("node %u: snapshot %llx given up after %zu of %zu SAs: %s", s->o.node_id,
	          (unsigned long long)x->id, x->sas, x->nkeys, why);
	x->running = false;
	free(x->keys);
	x->keys = NULL;
	/* served again when asked again */
	for (unsigned i = 0; i < x->nfor; i++) {
		struct sync_peer *p = sync_peer_get(s, x->for_nodes[i], false);

		if (p)
			p->served_want = 0;
	}
}

/* A view changed: a snapshot none of whose receivers is left is given up. */
void
sync_snap_tx_view(struct sync *s)
{
	struct sync_snap_tx *x = &s->stx;
	unsigned left = 0;

	if (!x->running)
		return;
	for (unsigned i = 0; i < x->nfor; i++) {
		struct sync_peer *p = sync_peer_get(s, x->for_nodes[i], false);

		left += p && p->member;
	}
	if (!left)
		sync_snap_tx_abort(s, "every node it was for left the group");
}

/* ---- receiving (a node not in sync) ---------------------------------------------------- */

void
sync_snap_rx_begin(struct sync *s, uint32_t from, const struct sync_snap_begin *b)
{
	struct sync_snap_rx *x = &s->srx;
	bool mine = false;

	for (unsigned i = 0; i < b->nfor; i++)
		mine |= b->for_nodes[i] == s->o.node_id;
	if (!mine || s->in_sync)
		return;
	if (x->running)
		log_info("node %u: snapshot %llx from node %u replaced by %llx from node %u",
		         s->o.node_id, (unsigned long long)x->id, x->from,
		         (unsigned long long)b->snapshot_id, from);
	memset(x, 0, sizeof(*x));
	x->running = true;
	x->id = b->snapshot_id;
	x->from = from;
	x->t0_ms = s->now_ms;
	log_info("node %u: receiving snapshot %llx from node %u: %u SAs", s->o.node_id,
	         (unsigned long long)b->snapshot_id, from, b->total_sas);
}

static void
rx_chunk_sa(struct sync *s, const struct sync_slice *raw, const struct sync_clock *clk)
{
	struct sync_sa_update u;
	struct sync_sa_keys k;
	enum sync_rej why;
	int rc;

	rc = sync_decode_sa_update(raw->p, raw->len, clk, &u, &why);
	if (rc) {
		if (rc == -EBADMSG)
			sync_reject(s, why, s->srx.from, "snapshot SA");
		s->srx.broken = true;
		return;
	}
	sync_keys_of(&u.st, u.commit, &k);
	rc = sync_store_update(s->store, &k, raw->p, raw->len, s->gen);
	if (rc > 0) {
		sync_rx_import(s, &u.st);
		if (s->h.applied)
			s->h.applied(s->harg, k.spi_i, k.spi_r, k.commit);
	} else if (rc == 0) {
		/* we hold it already, as new or newer (a live update came first): it is listed */
		sync_store_touch(s->store, u.st.spi_i, u.st.spi_r, s->gen);
	}
	s->srx.sas++;
	ike_sa_state_clear(&u.st);
}

void
sync_snap_rx_chunk(struct sync *s, uint32_t from, const struct sync_msg *m, size_t len)
{
	struct sync_snap_rx *x = &s->srx;
	struct sync_snap_chunk c;
	struct sync_clock clk;
	enum sync_rej why;
	int rc;

	if (!x->running || from != x->from)
		return; /* not for this node */
	rc = sync_decode_chunk(m, &c, &why);
	if (rc) {
		if (rc == -EBADMSG)
			sync_reject(s, why, from, "snapshot chunk");
		x->broken = true;
		return;
	}
	if (c.snapshot_id != x->id) {
		sync_snap_chunk_fini(&c);
		return; /* another node's snapshot */
	}
	if (c.index != x->next_index) {
		sync_reject(s, SYNC_REJ_SNAPSHOT, from, "chunk out of sequence");
		x->broken = true;
	}
	x->next_index = c.index + 1;
	x->bytes += len;
	s->h.clock(s->harg, &clk);
	/* sequence state first: the states imported below merge it */
	for (size_t i = 0; i < c.nlease; i++) {
		if (sync_store_seq(s->store, c.lease[i].spi, false, c.lease[i].value, true) > 0 &&
		    s->ike)
			ike_engine_child_seq(s->ike, c.lease[i].spi, false, c.lease[i].value);
	}
	for (size_t i = 0; i < c.nreplay; i++) {
		if (sync_store_seq(s->store, c.replay[i].spi, true, c.replay[i].value, true) > 0 &&
		    s->ike)
			ike_engine_child_seq(s->ike, c.replay[i].spi, true, c.replay[i].value);
	}
	for (size_t i = 0; i < c.nsa; i++)
		rx_chunk_sa(s, &c.sa[i], &clk);
	sync_snap_chunk_fini(&c);
}

static void
forget_one(void *arg, uint64_t spi_i, uint64_t spi_r)
{
	struct sync *s = arg;

	if (s->ike && s->role != HA_ROLE_ACTIVE)
		ike_engine_forget(s->ike, spi_i, spi_r);
	if (s->h.forgotten)
		s->h.forgotten(s->harg, spi_i, spi_r);
}

void
sync_snap_rx_end(struct sync *s, uint32_t from, const struct sync_snap_end *e)
{
	struct sync_snap_rx *x = &s->srx;
	size_t gone;

	if (!x->running || from != x->from || e->snapshot_id != x->id)
		return;
	x->running = false;
	if (x->broken || e->chunks != x->next_index) {
		sync_reject(s, SYNC_REJ_SNAPSHOT, from, "snapshot incomplete");
		s->want_snapshot++;
		s->rec_dirty = true;
		sync_record_publish(s, false);
		return;
	}
	gone = sync_store_drop_other_gen(s->store, s->gen, forget_one, s);
	s->in_sync = true;
	s->st.snaps_received++;
	s->st.last_rx_sas = x->sas;
	s->st.last_rx_bytes = x->bytes;
	s->st.last_rx_ms = s->now_ms - x->t0_ms;
	log_info("node %u: snapshot %llx from node %u applied: %zu SAs in %u chunks, %llu bytes, "
	         "%llu ms%s; in sync",
	         s->o.node_id, (unsigned long long)x->id, from, x->sas, x->next_index,
	         (unsigned long long)x->bytes, (unsigned long long)s->st.last_rx_ms,
	         gone ? " (SAs gone meanwhile dropped)" : "");
	s->rec_dirty = true;
	sync_role_evaluate(s);
	sync_record_publish(s, false);
}

void
sync_snap_rx_abort(struct sync *s, const char *why)
{
	struct sync_snap_rx *x = &s->srx;

	if (!x->running)
		return;
	log_warnx("node %u: snapshot %llx from node %u given up after %zu SAs: %s", s->o.node_id,
	          (unsigned long long)x->id, x->from, x->sas, why);
	x->running = false;
	s->want_snapshot++;
	s->rec_dirty = true;
}
