/* SPDX-License-Identifier: MIT */
/*
 * The replication logic (sync/sync.h) over the fake totally ordered group (sync_bus.h): roles
 * and bootstrap, SA create/update/message-ID moves/delete, sync before send, leases and replay
 * reports, joins mid-stream, a sender leaving mid-snapshot, a corosync restart, hostile
 * messages (each refused with its reason and counted).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/sync_int.h"
#include "sync_bus.h"
#include "sync_synth.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* The active node publishes a change of the synthetic SA `seed`. */
static void
publish(struct bus_node *n, uint64_t seed, enum ike_change what, uint64_t commit, uint32_t msgid)
{
	struct ike_sa_state st;

	assert_int_equal(sync_synth_sa(&st, seed, 2), 0);
	st.msgid_next_send = msgid;
	sync_ike_changed(n->s, &st, what, commit);
	ike_sa_state_clear(&st);
}

/* Decodes the SA a node holds. */
static bool
held(struct bus_node *n, uint64_t seed, struct sync_sa_update *u)
{
	struct ike_sa_state st;
	struct sync_sa_view v;
	struct sync_clock clk = {1700000000000ll + (int64_t)n->bus->now_ms, n->bus->now_ms};
	enum sync_rej why;
	bool ok;

	assert_int_equal(sync_synth_sa(&st, seed, 0), 0);
	ok = sync_store_get(n->s->store, st.spi_i, st.spi_r, &v) && !v.tomb;
	ike_sa_state_clear(&st);
	if (!ok)
		return false;
	assert_int_equal(sync_decode_sa_update(v.raw, v.len, &clk, u, &why), 0);
	return true;
}

struct walk_ctx {
	struct sync_store *other;
	size_t n, same;
};

static void
cmp_one(void *arg, const struct sync_sa_view *v)
{
	struct walk_ctx *c = arg;
	struct sync_sa_view o;

	c->n++;
	if (sync_store_get(c->other, v->spi_i, v->spi_r, &o) && !o.tomb && o.commit == v->commit &&
	    o.len == v->len && memcmp(o.raw, v->raw, v->len) == 0)
		c->same++;
}

/* Both stores hold the same SAs with the same bytes. */
static void
assert_same_store(struct bus_node *a, struct bus_node *b)
{
	struct sync_stats sa, sb;
	struct walk_ctx c = {b->s->store, 0, 0};

	sync_stats(a->s, &sa);
	sync_stats(b->s, &sb);
	assert_int_equal(sa.store_sas, sb.store_sas);
	sync_store_walk(a->s->store, cmp_one, &c);
	assert_int_equal(c.n, sa.store_sas);
	assert_int_equal(c.same, c.n);
}

static uint64_t
rejected(struct bus_node *n, enum sync_rej r)
{
	struct sync_stats st;

	sync_stats(n->s, &st);
	return st.rejected[r];
}

/* Two nodes: A starts the cluster, B joins and gets its (empty) snapshot. */
static void
two_nodes(struct bus *b, struct bus_node **a, struct bus_node **c)
{
	bus_init(b, 1);
	*a = bus_add(b, 1, 100, NULL);
	*c = bus_add(b, 2, 50, NULL);
	bus_join(*a);
	bus_run(b);
	bus_join(*c);
	bus_run(b);
	assert_int_equal(sync_role((*a)->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role((*c)->s), HA_ROLE_STANDBY);
	assert_true(sync_in_sync((*c)->s));
}

struct capture {
	struct sync_node_info *v;
	size_t *n;
};

static void
capture_node(void *arg, const struct sync_node_info *n)
{
	struct capture *cap = arg;

	if (*cap->n < 4)
		cap->v[(*cap->n)++] = *n;
}

/* ---- roles -------------------------------------------------------------------------------- */

static void
test_roles_bootstrap(void **state)
{
	struct bus b;
	struct bus_node *a, *c;

	(void)state;
	bus_init(&b, 2); /* quorum needs both */
	a = bus_add(&b, 1, 10, NULL);
	c = bus_add(&b, 2, 200, NULL);
	bus_join(a);
	bus_run(&b);
	/* alone without quorum: never active */
	assert_int_equal(sync_role(a->s), HA_ROLE_FAULTED);
	assert_string_equal(sync_fault(a->s), "no quorum");
	bus_join(c);
	bus_run(&b);
	/* both empty: the lowest id bootstraps; the other takes its snapshot; no preemption */
	assert_int_equal(sync_role(a->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	assert_int_equal(a->role, HA_ROLE_ACTIVE);
	assert_int_equal(c->role, HA_ROLE_STANDBY);
	/* B leaves: A loses quorum and steps down */
	bus_crash(c);
	bus_run(&b);
	assert_int_equal(sync_role(a->s), HA_ROLE_FAULTED);
	bus_fini(&b);
}

/* A planned switchover: refused on a standby and to unknown nodes; delivered, the target
 * takes over and the old active stands by in the same total order, and stays so (no
 * preemption back) until the membership changes. */
static void
test_switchover(void **state)
{
	struct bus b;
	struct bus_node *a, *c, *d;
	uint32_t to = 0;

	(void)state;
	bus_init(&b, 1);
	a = bus_add(&b, 1, 200, NULL);
	c = bus_add(&b, 2, 100, NULL);
	d = bus_add(&b, 3, 150, NULL);
	bus_join(a);
	bus_run(&b);
	bus_join(c);
	bus_run(&b);
	bus_join(d);
	bus_run(&b);
	publish(a, 1, IKE_CH_CREATED, 1, 2);
	bus_run(&b);
	assert_int_equal(sync_switchover(c->s, 1, "test", &to), -EAGAIN);
	assert_int_equal(sync_switchover(a->s, 1, "test", &to), -EALREADY);
	assert_int_equal(sync_switchover(a->s, 9, "test", &to), -ENOENT);
	/* no target named: the best standby by priority (node 3) */
	assert_int_equal(sync_switchover(a->s, 0, "drill", &to), 0);
	assert_int_equal(to, 3);
	/* nothing changes before the group delivers it */
	assert_int_equal(sync_role(a->s), HA_ROLE_ACTIVE);
	bus_run(&b);
	assert_int_equal(sync_role(a->s), HA_ROLE_STANDBY);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	assert_int_equal(sync_role(d->s), HA_ROLE_ACTIVE);
	assert_int_equal(d->role, HA_ROLE_ACTIVE);
	/* named target, lower priority than both others: it gets the cluster and keeps it */
	assert_int_equal(sync_switchover(d->s, 2, "operator", &to), 0);
	bus_run(&b);
	bus_advance(&b, 3000);
	assert_int_equal(sync_role(c->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role(a->s), HA_ROLE_STANDBY);
	assert_int_equal(sync_role(d->s), HA_ROLE_STANDBY);
	/* the store went along: the new active holds the SA */
	struct sync_sa_update u;
	assert_true(held(c, 1, &u));
	ike_sa_state_clear(&u.st);
	/* a membership change ends the pin; without preemption the active stays */
	bus_crash(d);
	bus_run(&b);
	assert_int_equal(sync_role(c->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role(a->s), HA_ROLE_STANDBY);
	/* a hand-over from a node that is not active is refused and counted */
	assert_int_equal(sync_switchover(a->s, 2, "x", &to), -EAGAIN);
	bus_fini(&b);
}

static void
test_digest_mismatch(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	struct sync_opts o;
	struct sync_node_info seen[4];
	size_t ns = 0;

	(void)state;
	bus_init(&b, 1);
	memset(&o, 0, sizeof(o));
	a = bus_add(&b, 1, 100, NULL);
	o.digest[0] = 0xee;
	c = bus_add(&b, 2, 50, &o);
	bus_join(a);
	bus_join(c);
	bus_run(&b);
	assert_int_equal(sync_role(a->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	assert_string_equal(sync_fault(c->s), "configuration digest differs from node 1's");
	/* A sees the mismatch in its node list too */
	{
		struct capture cap = {seen, &ns};

		sync_nodes(a->s, capture_node, &cap);
	}
	assert_int_equal(ns, 2);
	assert_true(seen[0].self && seen[0].digest_match);
	assert_int_equal(seen[1].id, 2);
	assert_false(seen[1].digest_match);
	/* A gone: B (different configuration) is the only one left and in sync: it takes over,
	 * since the reference is now its own */
	bus_crash(a);
	bus_run(&b);
	assert_int_equal(sync_role(c->s), HA_ROLE_ACTIVE);
	bus_fini(&b);
}

/* ---- SA state ----------------------------------------------------------------------------- */

static void
test_create_update_msgid_delete(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	struct sync_sa_update u;
	struct ike_sa_state st;

	(void)state;
	two_nodes(&b, &a, &c);
	publish(a, 7, IKE_CH_CREATED, 1, 0);
	/* sync before send: not safe until the group delivered it back */
	assert_int_equal(a->safe, 0);
	bus_run(&b);
	assert_int_equal(a->safe, 1);
	assert_true(held(c, 7, &u));
	assert_int_equal(u.change, IKE_CH_CREATED);
	ike_sa_state_clear(&u.st);

	publish(a, 7, IKE_CH_ESTABLISHED, 2, 1);
	publish(a, 7, IKE_CH_MSGID, 3, 5);
	bus_run(&b);
	assert_int_equal(a->safe, 3);
	assert_true(held(c, 7, &u));
	assert_int_equal(u.change, IKE_CH_MSGID);
	assert_int_equal(u.st.msgid_next_send, 5);
	assert_int_equal(u.st.nchildren, 2);
	assert_int_equal(u.st.child[1].spi_in, 0xc0000000u | ((7 * 16 + 1) * 2 + 1));
	ike_sa_state_clear(&u.st);
	assert_same_store(a, c);

	/* delete */
	assert_int_equal(sync_synth_sa(&st, 7, 0), 0);
	sync_ike_changed(a->s, &st, IKE_CH_DELETED, 4);
	ike_sa_state_clear(&st);
	bus_run(&b);
	assert_int_equal(a->safe, 4);
	assert_false(held(c, 7, &u));
	assert_same_store(a, c);
	bus_fini(&b);
}

static void
test_sync_before_send_needs_quorum(void **state)
{
	struct bus b;
	struct bus_node *a, *c;

	(void)state;
	two_nodes(&b, &a, &c);
	publish(a, 1, IKE_CH_CREATED, 1, 0);
	/* the change is delivered, but the quorum callback for a new ring has not come */
	sync_ring(a->s, 1, 999);
	bus_run(&b);
	assert_int_equal(a->safe, 0);
	assert_int_equal(sync_role(a->s), HA_ROLE_ACTIVE);
	/* the callback says quorate: released; another ring, not quorate: stepped down */
	sync_quorum(a->s, true, 1, 999);
	assert_int_equal(a->safe, 1);
	sync_ring(a->s, 1, 1003);
	publish(a, 2, IKE_CH_CREATED, 2, 0);
	sync_quorum(a->s, false, 1, 1003);
	bus_run(&b);
	assert_int_equal(sync_role(a->s), HA_ROLE_FAULTED);
	assert_int_equal(a->safe, 1);
	bus_fini(&b);
}

/*
 * The fault-matrix failure (docs/faults.md "Stale stores"): a standby loses corosync, the
 * active leases on without it (leases move no commit number), and as the standby rejoins, the
 * first quorum callback of the new ring says not quorate (qdevice votes NACK on a membership
 * change), so both are out of sync with the same store commit. The node whose store missed
 * the leases must not start the cluster from it, though its id is the lowest: the active of
 * the last quorate ring does, and the other gets its snapshot with the newer limit.
 */
static void
test_bootstrap_newest_store(void **state)
{
	struct bus b;
	struct bus_node *stale, *act;
	struct ike_sa_state st;
	uint32_t out;

	(void)state;
	bus_init(&b, 1); /* the arbiter's vote: one node alone is quorate */
	stale = bus_add(&b, 1, 100, NULL);
	act = bus_add(&b, 2, 100, NULL);
	bus_join(act);
	bus_run(&b);
	bus_join(stale);
	bus_run(&b);
	assert_int_equal(sync_role(act->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role(stale->s), HA_ROLE_STANDBY);
	assert_int_equal(sync_synth_sa(&st, 5, 2), 0);
	out = st.child[0].spi_out;
	sync_ike_changed(act->s, &st, IKE_CH_ESTABLISHED, 1);
	ike_sa_state_clear(&st);
	assert_int_equal(sync_lease_request(act->s, out, 4096), 0);
	bus_run(&b);
	assert_int_equal(sync_store_seq_get(stale->s->store, out, false, NULL), 4096);
	/* the standby's corosync dies; the active goes on leasing */
	bus_crash(stale);
	sync_link(stale->s, false);
	bus_run(&b);
	assert_int_equal(sync_role(act->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_lease_request(act->s, out, 8192), 0);
	bus_run(&b);
	assert_int_equal(act->lease_limit, 8192);
	/* it rejoins; the new ring's first callback says not quorate on both */
	b.quorum = 3;
	bus_join(stale);
	bus_run(&b);
	assert_int_equal(sync_role(act->s), HA_ROLE_FAULTED);
	assert_false(sync_in_sync(act->s));
	assert_false(sync_in_sync(stale->s));
	assert_int_equal(sync_store_max_commit(stale->s->store),
	                 sync_store_max_commit(act->s->store));
	/* what tells them apart: the last quorate ring each held the whole store in */
	assert_true(act->s->sync_ring > stale->s->sync_ring);
	assert_true(act->s->sync_ring_whole);
	assert_false(stale->s->sync_ring_whole);
	/* the arbiter's vote comes: quorate */
	b.quorum = 1;
	sync_quorum(act->s, true, 1, b.ring_seq);
	sync_quorum(stale->s, true, 1, b.ring_seq);
	bus_run(&b);
	bus_advance(&b, 3000);
	bus_run(&b);
	assert_int_equal(sync_role(act->s), HA_ROLE_ACTIVE);
	assert_int_equal(sync_role(stale->s), HA_ROLE_STANDBY);
	assert_true(sync_in_sync(stale->s));
	/* the newer limit, and past it the skip of a store that was not complete for a while */
	assert_true(sync_store_seq_get(act->s->store, out, false, NULL) >= 8192 + SYNC_STALE_PPS);
	assert_int_equal(sync_store_seq_get(stale->s->store, out, false, NULL),
	                 sync_store_seq_get(act->s->store, out, false, NULL));
	bus_fini(&b);
}

/* How complete a store is comes from the way out of sync only: a node that lost corosync
 * mid-ring and then, still out of sync, loses quorum does not become "whole". */
static void
test_whole_only_leaving_sync(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	uint64_t ring;

	(void)state;
	two_nodes(&b, &a, &c);
	assert_true(c->s->sync_ring_whole);
	ring = c->s->sync_ring;
	assert_true(ring > 0);
	sync_link(c->s, false);
	assert_false(c->s->sync_ring_whole);
	sync_link(c->s, true);
	{
		/* back in a ring with A, whose record has not come yet: no bootstrap, no snapshot
		 */
		struct sync_member mem[2] = {{a->id, a->pid, false}, {c->id, c->pid, false}};
		struct sync_view v = {
		        .members = mem, .nmembers = 2, .joined = &mem[1], .njoined = 1};

		sync_ring(c->s, 1, ring + 100);
		sync_view(c->s, &v);
	}
	sync_quorum(c->s, true, 1, ring + 100);
	assert_false(sync_in_sync(c->s));
	sync_ring(c->s, 1, ring + 104);
	sync_quorum(c->s, false, 1, ring + 104);
	assert_false(c->s->sync_ring_whole);
	assert_int_equal(c->s->sync_ring, ring);
	bus_fini(&b);
}

/*
 * Two faults in a row: a partition (the standby's half loses quorum and keeps the store it
 * had), the winner leases on, and then dies; the loser, alone with the arbiter's vote, starts
 * the cluster from its own store. It cannot know how far the winner went: its outbound
 * numbers skip what any SA could have carried since its store was last complete.
 */
static void
test_bootstrap_after_partition(void **state)
{
	struct bus b;
	struct bus_node *win, *lose;
	struct ike_sa_state st;
	uint32_t out;
	uint64_t v;

	(void)state;
	bus_init(&b, 1);
	win = bus_add(&b, 1, 100, NULL);
	lose = bus_add(&b, 2, 50, NULL);
	bus_join(win);
	bus_run(&b);
	bus_join(lose);
	bus_run(&b);
	assert_int_equal(sync_synth_sa(&st, 7, 1), 0);
	out = st.child[0].spi_out;
	sync_ike_changed(win->s, &st, IKE_CH_ESTABLISHED, 1);
	ike_sa_state_clear(&st);
	assert_int_equal(sync_lease_request(win->s, out, 4096), 0);
	bus_run(&b);
	assert_int_equal(sync_store_seq_get(lose->s->store, out, false, NULL), 4096);
	/* the cut: the loser's ring (alone, the arbiter's vote with the other half) is not
	 * quorate */
	b.quorum = 2;
	bus_crash(win);
	bus_run(&b);
	assert_int_equal(sync_role(lose->s), HA_ROLE_FAULTED);
	assert_false(sync_in_sync(lose->s));
	/* 20 s later the winner is gone and the arbiter votes for the loser */
	bus_advance(&b, 20000);
	sync_quorum(lose->s, true, 1, b.ring_seq);
	assert_true(sync_in_sync(lose->s));
	assert_int_equal(sync_role(lose->s), HA_ROLE_ACTIVE);
	v = sync_store_seq_get(lose->s->store, out, false, NULL);
	assert_true(v >= 4096 + 21 * SYNC_STALE_PPS);
	assert_true(v <= 4096 + 22 * SYNC_STALE_PPS);
	bus_fini(&b);
}

/* ---- leases ------------------------------------------------------------------------------- */

static void
test_leases(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	struct ike_sa_state st;
	uint32_t out, in;

	(void)state;
	two_nodes(&b, &a, &c);
	assert_int_equal(sync_synth_sa(&st, 3, 2), 0);
	out = st.child[0].spi_out;
	in = st.child[0].spi_in;
	sync_ike_changed(a->s, &st, IKE_CH_ESTABLISHED, 1);
	ike_sa_state_clear(&st);
	/* asked while the SA is still on its way: waits, then goes out, then is granted */
	assert_int_equal(sync_lease_request(a->s, out, 4096), 0);
	assert_int_equal(a->leases, 0);
	bus_run(&b);
	assert_int_equal(a->leases, 1);
	assert_int_equal(a->lease_spi, out);
	assert_int_equal(a->lease_limit, 4096);
	assert_int_equal(sync_store_seq_get(c->s->store, out, false, NULL), 4096);
	/* the next lease: granted only on delivery */
	assert_int_equal(sync_lease_request(a->s, out, 8192), 0);
	assert_int_equal(a->lease_limit, 4096);
	bus_run(&b);
	assert_int_equal(a->lease_limit, 8192);
	assert_int_equal(sync_store_seq_get(c->s->store, out, false, NULL), 8192);
	/* unknown SPI (a manual SA): the host grants it itself */
	assert_int_equal(sync_lease_request(a->s, 0x1234, 100), -ENOENT);
	/* a standby never grants */
	assert_int_equal(sync_lease_request(c->s, out, 100), -EAGAIN);
	/* inbound: replay reports move by at least half the step */
	sync_replay_report(a->s, in, 2000);
	bus_run(&b);
	assert_int_equal(sync_store_seq_get(c->s->store, in, true, NULL), 2000);
	sync_replay_report(a->s, in, 2100); /* < report_every / 2 further: not sent */
	bus_run(&b);
	assert_int_equal(sync_store_seq_get(c->s->store, in, true, NULL), 2000);
	/* a later SA update carries the limits the store already had: still the larger value */
	assert_int_equal(sync_synth_sa(&st, 3, 2), 0);
	sync_ike_changed(a->s, &st, IKE_CH_MSGID, 2);
	ike_sa_state_clear(&st);
	bus_run(&b);
	assert_int_equal(sync_store_seq_get(c->s->store, out, false, NULL), 8192);
	bus_fini(&b);
}

/*
 * Defence in depth against a partition (docs/faults.md "Fencing"): an own lease delivered in a
 * ring whose quorum callback has not come is held; quorum confirmed for that ring grants it,
 * no quorum drops it, and one held across a later ring goes through the group again.
 */
static void
test_lease_needs_quorum(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	struct ike_sa_state st;
	uint32_t out;

	(void)state;
	two_nodes(&b, &a, &c);
	assert_int_equal(sync_synth_sa(&st, 3, 2), 0);
	out = st.child[0].spi_out;
	sync_ike_changed(a->s, &st, IKE_CH_ESTABLISHED, 1);
	ike_sa_state_clear(&st);
	bus_run(&b);
	/* a new ring, its quorum not confirmed yet: delivered, held */
	sync_ring(a->s, 1, 999);
	assert_int_equal(sync_lease_request(a->s, out, 4096), 0);
	bus_run(&b);
	assert_int_equal(a->leases, 0);
	sync_quorum(a->s, true, 1, 999);
	assert_int_equal(a->leases, 1);
	assert_int_equal(a->lease_limit, 4096);
	/* held in ring 1001, then ring 1002 is confirmed: not granted, sent again, granted */
	sync_ring(a->s, 1, 1001);
	assert_int_equal(sync_lease_request(a->s, out, 8192), 0);
	bus_run(&b);
	sync_ring(a->s, 1, 1002);
	sync_quorum(a->s, true, 1, 1002);
	assert_int_equal(a->leases, 1);
	bus_run(&b);
	assert_int_equal(a->leases, 2);
	assert_int_equal(a->lease_limit, 8192);
	/* a cut: delivered alone, the callback says not quorate: never granted, stepped down */
	sync_ring(a->s, 1, 1003);
	assert_int_equal(sync_lease_request(a->s, out, 12288), 0);
	bus_run(&b);
	sync_quorum(a->s, false, 1, 1003);
	bus_run(&b);
	assert_int_equal(sync_role(a->s), HA_ROLE_FAULTED);
	assert_int_equal(a->leases, 2);
	assert_int_equal(a->lease_limit, 8192);
	bus_fini(&b);
}

/*
 * A partition as corosync reports it: CPG says the peer left with its node (NODEDOWN) before
 * the new ring and its quorum callback. Until a quorum callback without the peer comes, the
 * standby must not elect itself on the old ring's quorum (docs/faults.md); the callback then
 * decides: quorate (the peer is really gone) takes over, not quorate (the losing half) faults.
 */
static void
view_peer_down(struct bus_node *n, const struct bus_node *gone)
{
	struct sync_member self = {n->id, n->pid, false};
	struct sync_member left = {gone->id, gone->pid, true};
	struct sync_view v = {.members = &self,
	                      .nmembers = 1,
	                      .left = &left,
	                      .nleft = 1,
	                      .joined = NULL,
	                      .njoined = 0};

	sync_view(n->s, &v);
}

static void
test_node_down_waits_for_quorum(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	uint32_t only_c, only_a;

	(void)state;
	/* the winning half: the standby takes over once the callback confirms */
	two_nodes(&b, &a, &c);
	only_c = c->id;
	view_peer_down(c, a);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	sync_ring(c->s, 2, 700);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	sync_quorum_members(c->s, &only_c, 1);
	sync_quorum(c->s, true, 2, 700);
	assert_int_equal(sync_role(c->s), HA_ROLE_ACTIVE);
	bus_fini(&b);

	/* the losing half: never active, faulted on the callback */
	two_nodes(&b, &a, &c);
	only_c = c->id;
	view_peer_down(c, a);
	sync_ring(c->s, 2, 800);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	sync_quorum_members(c->s, &only_c, 1);
	sync_quorum(c->s, false, 2, 800);
	assert_int_equal(sync_role(c->s), HA_ROLE_FAULTED);
	bus_fini(&b);

	/* the callback came first (another order): the view decides at once */
	two_nodes(&b, &a, &c);
	only_a = a->id;
	sync_ring(a->s, 1, 900);
	sync_quorum_members(a->s, &only_a, 1);
	sync_quorum(a->s, true, 1, 900);
	view_peer_down(a, c);
	assert_int_equal(sync_role(a->s), HA_ROLE_ACTIVE);
	bus_fini(&b);
}

/* ---- joins and snapshots ------------------------------------------------------------------ */

static void
test_join_mid_stream(void **state)
{
	struct bus b;
	struct bus_node *a, *c, *d;
	struct sync_opts o;
	uint64_t commit = 0;
	struct ike_sa_state st;
	size_t steps = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.chunk_max_sas = 16;
	o.backlog_low = 1; /* one chunk in the queue at a time: live updates interleave */
	bus_init(&b, 1);
	a = bus_add(&b, 1, 100, &o);
	c = bus_add(&b, 2, 50, &o);
	d = bus_add(&b, 3, 40, &o);
	bus_join(a);
	bus_join(c);
	bus_run(&b);
	for (uint64_t i = 1; i <= 500; i++)
		publish(a, i, IKE_CH_ESTABLISHED, ++commit, 1);
	bus_run(&b);
	/* d joins; while its snapshot streams, SAs are updated, created and deleted */
	bus_join(d);
	while (bus_step(&b)) {
		b.now_ms++;
		steps++;
		if (steps % 3 == 0 && steps < 200) {
			uint64_t seed = 1 + (steps * 7) % 500;

			if (steps % 2) {
				publish(a, seed, IKE_CH_MSGID, ++commit, (uint32_t)steps);
			} else {
				assert_int_equal(sync_synth_sa(&st, seed, 0), 0);
				sync_ike_changed(a->s, &st, IKE_CH_DELETED, ++commit);
				ike_sa_state_clear(&st);
			}
			publish(a, 1000 + steps, IKE_CH_ESTABLISHED, ++commit, 1);
		}
	}
	assert_true(sync_in_sync(d->s));
	assert_int_equal(sync_role(d->s), HA_ROLE_STANDBY);
	assert_same_store(a, d);
	assert_same_store(a, c);
	assert_same_store(d, a);
	for (size_t r = 0; r < SYNC_REJ_NR; r++)
		if (r != SYNC_REJ_STALE)
			assert_int_equal(rejected(d, (enum sync_rej)r), 0);
	bus_fini(&b);
}

static void
test_sender_leaves_mid_snapshot(void **state)
{
	struct bus b;
	struct bus_node *a, *c, *d;
	struct sync_opts o;
	size_t steps = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.chunk_max_sas = 8;
	o.backlog_low = 1;
	bus_init(&b, 2);
	a = bus_add(&b, 1, 100, &o);
	c = bus_add(&b, 2, 50, &o);
	d = bus_add(&b, 3, 40, &o);
	bus_join(a);
	bus_join(c);
	bus_run(&b);
	for (uint64_t i = 1; i <= 200; i++)
		publish(a, i, IKE_CH_ESTABLISHED, i, 1);
	bus_run(&b);
	assert_same_store(a, c);
	bus_join(d);
	/* run until d's snapshot is under way, then the active crashes */
	while (bus_step(&b)) {
		struct sync_stats st;

		sync_stats(d->s, &st);
		if (st.snap_rx_running && st.snap_rx_sas >= 16)
			break;
		if (++steps > 1000)
			fail();
	}
	assert_false(sync_in_sync(d->s));
	bus_crash(a);
	bus_run(&b);
	/* c takes over and serves d a new snapshot */
	assert_int_equal(sync_role(c->s), HA_ROLE_ACTIVE);
	assert_true(sync_in_sync(d->s));
	assert_int_equal(sync_role(d->s), HA_ROLE_STANDBY);
	assert_same_store(c, d);
	{
		struct sync_stats st;

		sync_stats(d->s, &st);
		assert_int_equal(st.store_sas, 200);
	}
	/* the new active continues the commit numbering: d takes its updates as newer */
	publish(c, 5, IKE_CH_MSGID, 1, 9);
	bus_run(&b);
	{
		struct sync_sa_update u;

		assert_true(held(d, 5, &u));
		assert_int_equal(u.st.msgid_next_send, 9);
		assert_true(u.commit > 200);
		ike_sa_state_clear(&u.st);
	}
	assert_int_equal(c->safe, 1);
	bus_fini(&b);
}

/* The joiner dies in the middle of its snapshot: the active gives it up; the next joiner gets
 * a complete one, with the leases and replay reports of the SAs. */
static void
test_joiner_leaves_mid_snapshot(void **state)
{
	struct bus b;
	struct bus_node *a, *c, *d;
	struct sync_opts o;
	struct sync_stats st;
	struct ike_sa_state sa;
	size_t steps = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.chunk_max_sas = 8;
	o.backlog_low = 1;
	bus_init(&b, 1);
	a = bus_add(&b, 1, 100, &o);
	c = bus_add(&b, 2, 50, &o);
	d = bus_add(&b, 3, 40, &o);
	bus_join(a);
	bus_run(&b);
	for (uint64_t i = 1; i <= 100; i++)
		publish(a, i, IKE_CH_ESTABLISHED, i, 1);
	bus_run(&b);
	assert_int_equal(sync_synth_sa(&sa, 7, 2), 0);
	assert_int_equal(sync_lease_request(a->s, sa.child[0].spi_out, 70000), 0);
	sync_replay_report(a->s, sa.child[0].spi_in, 5000);
	bus_run(&b);
	bus_join(c);
	while (bus_step(&b)) {
		sync_stats(c->s, &st);
		if (st.snap_rx_running && st.snap_rx_sas >= 16)
			break;
		if (++steps > 1000)
			fail();
	}
	bus_crash(c);
	bus_run(&b);
	sync_stats(a->s, &st);
	assert_false(st.snap_tx_running);
	assert_int_equal(sync_role(a->s), HA_ROLE_ACTIVE);
	/* the next joiner gets everything, sequence state included */
	bus_join(d);
	bus_run(&b);
	assert_true(sync_in_sync(d->s));
	assert_same_store(a, d);
	assert_int_equal(sync_store_seq_get(d->s->store, sa.child[0].spi_out, false, NULL), 70000);
	assert_int_equal(sync_store_seq_get(d->s->store, sa.child[0].spi_in, true, NULL), 5000);
	ike_sa_state_clear(&sa);
	bus_fini(&b);
}

static void
test_corosync_restart_resyncs(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	struct ike_sa_state st;

	(void)state;
	two_nodes(&b, &a, &c);
	for (uint64_t i = 1; i <= 50; i++)
		publish(a, i, IKE_CH_ESTABLISHED, i, 1);
	bus_run(&b);
	/* c's corosync goes away; meanwhile a deletes and creates SAs */
	c->member = false;
	sync_link(c->s, false);
	assert_false(sync_in_sync(c->s));
	assert_int_equal(sync_role(c->s), HA_ROLE_FAULTED);
	for (uint64_t i = 1; i <= 10; i++) {
		assert_int_equal(sync_synth_sa(&st, i, 0), 0);
		sync_ike_changed(a->s, &st, IKE_CH_DELETED, 50 + i);
		ike_sa_state_clear(&st);
	}
	publish(a, 99, IKE_CH_ESTABLISHED, 61, 1);
	bus_run(&b);
	/* back: a snapshot brings it up to date, the deleted SAs it held are dropped */
	bus_join(c);
	bus_run(&b);
	assert_true(sync_in_sync(c->s));
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	assert_same_store(a, c);
	bus_fini(&b);
}

/* ---- hostile messages --------------------------------------------------------------------- */

static void
test_hostile(void **state)
{
	struct bus b;
	struct bus_node *a, *c;
	struct buf m, body;
	struct ike_sa_state st;
	struct sync_msg sm;
	struct sync_clock clk = {1700000000000ll, 1000};
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};

	(void)state;
	two_nodes(&b, &a, &c);
	buf_init(&m, true);
	buf_init(&body, true);
	/* not a SyncMsg */
	bus_inject(&b, 1, a->pid, junk, sizeof(junk));
	bus_run(&b);
	assert_int_equal(rejected(c, SYNC_REJ_MALFORMED), 1);

	/* wrong version */
	memset(&sm, 0, sizeof(sm));
	sm.sender = 1;
	sm.epoch = 1000;
	sm.type = SYNC_T_LEASE;
	sm.u.seq = (struct sync_seq){5, 5};
	assert_int_equal(sync_encode_msg(&sm, &m), 0);
	assert_int_equal(m.b_data[0], 0x08); /* field 1 (version), varint */
	m.b_data[1] = 2;
	bus_inject(&b, 1, a->pid, m.b_data, m.b_len);
	bus_run(&b);
	assert_int_equal(rejected(c, SYNC_REJ_VERSION), 1);

	/* truncated SaUpdate */
	assert_int_equal(sync_synth_sa(&st, 11, 2), 0);
	assert_int_equal(sync_encode_sa_update(&st, IKE_CH_ESTABLISHED, 1, &clk, &body), 0);
	buf_reset(&m);
	assert_int_equal(sync_encode_raw(1, 1000, SYNC_T_SA_UPDATE, body.b_data, body.b_len, &m),
	                 0);
	bus_inject(&b, 1, a->pid, m.b_data, m.b_len - 7);
	bus_run(&b);
	assert_int_equal(rejected(c, SYNC_REJ_MALFORMED), 2);

	/* sender field that is not the CPG sender */
	bus_inject(&b, 2, c->pid, m.b_data, m.b_len);
	bus_run(&b);
	assert_int_equal(rejected(a, SYNC_REJ_SENDER), 1);

	/* SA state from the standby (well-formed, but not the active's) */
	buf_reset(&m);
	assert_int_equal(sync_encode_raw(2, 1000, SYNC_T_SA_UPDATE, body.b_data, body.b_len, &m),
	                 0);
	bus_inject(&b, 2, c->pid + 1, m.b_data, m.b_len);
	bus_run(&b);
	assert_int_equal(rejected(a, SYNC_REJ_NOT_ACTIVE), 1);
	/* ... which c, seeing its node id from another process, refuses too */
	assert_int_equal(rejected(c, SYNC_REJ_SENDER), 2); /* this one and the one above */

	/* a key of the wrong length */
	secret_clear(&st.child[0].enc_in);
	assert_int_equal(secret_set(&st.child[0].enc_in, "short", 5), 0);
	buf_reset(&body);
	assert_int_equal(sync_encode_sa_update(&st, IKE_CH_ESTABLISHED, 1, &clk, &body), 0);
	buf_reset(&m);
	assert_int_equal(sync_encode_raw(1, 1000, SYNC_T_SA_UPDATE, body.b_data, body.b_len, &m),
	                 0);
	bus_inject(&b, 1, a->pid + 1, m.b_data, m.b_len); /* not a's own: a forged copy */
	bus_run(&b);
	assert_int_equal(rejected(c, SYNC_REJ_KEY_LENGTH), 1);
	ike_sa_state_clear(&st);

	/* a lease and a delete for SAs nobody holds */
	memset(&sm, 0, sizeof(sm));
	sm.version = SYNC_PROTO_VERSION;
	sm.sender = 1;
	sm.epoch = 1000;
	sm.type = SYNC_T_LEASE;
	sm.u.seq = (struct sync_seq){0xdead, 5};
	buf_reset(&m);
	assert_int_equal(sync_encode_msg(&sm, &m), 0);
	bus_inject(&b, 1, a->pid, m.b_data, m.b_len);
	sm.type = SYNC_T_SA_DELETE;
	sm.u.del = (struct sync_sa_delete){99, 0x77, 0x78};
	buf_reset(&m);
	assert_int_equal(sync_encode_msg(&sm, &m), 0);
	bus_inject(&b, 1, a->pid, m.b_data, m.b_len);
	bus_run(&b);
	assert_int_equal(rejected(c, SYNC_REJ_UNKNOWN_SA), 2);

	/* a stale (replayed) update changes nothing */
	publish(a, 12, IKE_CH_MSGID, 1, 4);
	bus_run(&b);
	{
		struct sync_sa_update u;

		assert_true(held(c, 12, &u));
		buf_reset(&body);
		assert_int_equal(sync_encode_sa_update(&u.st, IKE_CH_CREATED, 1, &clk, &body), 0);
		ike_sa_state_clear(&u.st);
	}
	buf_reset(&m);
	assert_int_equal(sync_encode_raw(1, 1000, SYNC_T_SA_UPDATE, body.b_data, body.b_len, &m),
	                 0);
	bus_inject(&b, 1, a->pid, m.b_data, m.b_len);
	bus_run(&b);
	assert_int_equal(rejected(c, SYNC_REJ_STALE), 1);

	/* after all that, the standby still holds the active's store and role */
	assert_same_store(a, c);
	assert_int_equal(sync_role(c->s), HA_ROLE_STANDBY);
	buf_fini(&m);
	buf_fini(&body);
	bus_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roles_bootstrap),
	        cmocka_unit_test(test_digest_mismatch),
	        cmocka_unit_test(test_switchover),
	        cmocka_unit_test(test_create_update_msgid_delete),
	        cmocka_unit_test(test_sync_before_send_needs_quorum),
	        cmocka_unit_test(test_bootstrap_newest_store),
	        cmocka_unit_test(test_bootstrap_after_partition),
	        cmocka_unit_test(test_whole_only_leaving_sync),
	        cmocka_unit_test(test_leases),
	        cmocka_unit_test(test_lease_needs_quorum),
	        cmocka_unit_test(test_node_down_waits_for_quorum),
	        cmocka_unit_test(test_join_mid_stream),
	        cmocka_unit_test(test_sender_leaves_mid_snapshot),
	        cmocka_unit_test(test_joiner_leaves_mid_snapshot),
	        cmocka_unit_test(test_corosync_restart_resyncs),
	        cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
