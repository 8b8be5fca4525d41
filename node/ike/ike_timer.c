/* SPDX-License-Identifier: MIT */
/*
 * Time in the engine: the queue of requests waiting for the one outstanding (window size 1,
 * RFC 7296 §2.3), retransmission with back-off and give-up (§2.1), half-open timeouts, IKE and
 * Child SA lifetimes (rekey at about 90 % with jitter, hard expiry), dead peer detection (§2.4,
 * seed 004 §6.3), Child SAs a tunnel still lacks, and the (re)initiation of static tunnels
 * with back-off. ike_engine_tick runs what is due and says when to call it next.
 *
 * Every IKE SA has one entry in a min-heap of deadlines (e->sa_timers): the earliest of all it
 * waits for (sa_next). Whatever changes an SA marks it dirty (ike_sa_touch), and the next tick
 * recomputes the deadlines of the dirty ones before it takes what is due off the heap, so a
 * tick costs O(k log n) for k SAs due or changed, never a walk of all n. Tunnels that may
 * initiate have their own heap (e->tun_timers) and dirty list, marked when their last SA goes.
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ike/ike_engine_int.h"

/* ---- tasks ---------------------------------------------------------------------------------- */

void
ike_task_add(struct ike_sa *sa, enum ike_task_kind kind, uint64_t child_id, uint32_t seq)
{
	struct ike_task *t;

	if (sa->ntasks >= IKE_MAX_TASKS)
		return;
	if (sa->ntasks == sa->task_cap) {
		uint8_t cap = sa->task_cap ? (uint8_t)(2 * sa->task_cap) : 2;
		struct ike_task *v = realloc(sa->tasks, cap * sizeof(*v));

		if (!v)
			return; /* as when the queue is full: the timers ask again */
		sa->tasks = v;
		sa->task_cap = cap;
	}
	ike_sa_touch(sa);
	/* the RFC 6311 sync goes first: every other request needs its message IDs */
	if (kind == IKE_TASK_MID_SYNC) {
		memmove(&sa->tasks[1], &sa->tasks[0], sa->ntasks * sizeof(sa->tasks[0]));
		t = &sa->tasks[0];
	} else {
		t = &sa->tasks[sa->ntasks];
	}
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->child_id = child_id;
	t->seq = seq;
	sa->ntasks++;
}

bool
ike_task_pending(const struct ike_sa *sa, enum ike_task_kind kind, uint64_t child_id)
{
	for (size_t i = 0; i < sa->ntasks; i++)
		if (sa->tasks[i].kind == kind && (!child_id || sa->tasks[i].child_id == child_id))
			return true;
	return false;
}

void
ike_task_run(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint64_t spi = ike_sa_our_spi(sa);

	while (sa->ntasks && !sa->req_active && sa->st.phase != IKE_PHASE_STANDBY &&
	       sa->st.phase != IKE_PHASE_DELETING) {
		struct ike_task t = sa->tasks[0];
		int rc;

		memmove(&sa->tasks[0], &sa->tasks[1], (sa->ntasks - 1) * sizeof(sa->tasks[0]));
		sa->ntasks--;
		switch (t.kind) {
		case IKE_TASK_CHILD_CREATE:
			rc = ike_child_start(sa, IKE_REQ_CHILD_CREATE, 0, t.seq);
			break;
		case IKE_TASK_CHILD_REKEY:
			rc = ike_child_start(sa, IKE_REQ_CHILD_REKEY, t.child_id, 0);
			break;
		case IKE_TASK_IKE_REKEY:
			rc = ike_child_start(sa, IKE_REQ_IKE_REKEY, 0, 0);
			break;
		default:
			rc = ike_info_start(sa, &t);
			break;
		}
		if (rc && rc != -ENOENT && rc != -EAGAIN)
			log_debug("tunnel %s: request not started: %s", ike_sa_tunnel_name(sa),
			          strerror(-rc));
		/* a start may end the SA (never today, but cheap to be sure) */
		if (ike_sa_find(e, spi) != sa)
			return;
	}
	ike_sa_touch(sa);
	if (!sa->ntasks) {
		free(sa->tasks);
		sa->tasks = NULL;
		sa->task_cap = 0;
	}
}

uint64_t
ike_retransmit_timeout(const struct ike_engine *e, uint32_t n)
{
	uint64_t t = e->o.retransmit_base_ms;

	for (uint32_t i = 1; i < n && t < 3600000; i++)
		t *= 2;
	return t;
}

/* ---- tunnels ------------------------------------------------------------------------------- */

bool
ike_tun_has_sa(struct ike_engine *e, const char *name, const struct ike_sa *except)
{
	const struct ike_tun *tu = ike_tun_slot(e, name, false);
	uint32_t n = tu ? tu->nactive : 0;

	if (n && except && except->tu == tu && (except->cnt & IKE_CNT_ACTIVE))
		n--;
	return n > 0;
}

void
ike_tun_update(struct ike_engine *e, const char *name, const char *reason)
{
	struct ike_tun *tu = ike_tun_find(e, name);
	bool up;

	if (!tu || e->standby)
		return;
	up = tu->nup > 0;
	if (up == tu->up)
		return;
	tu->up = up;
	if (up)
		log_info("tunnel %s up", name);
	else
		log_info("tunnel %s down: %s", name, reason);
	if (e->obs.tunnel)
		e->obs.tunnel(e->obs_arg, name, up, reason);
}

void
ike_tun_down_backoff(struct ike_engine *e, const char *name)
{
	struct ike_tun *tu = ike_tun_find(e, name);
	uint32_t d;

	if (!tu || !ike_tun_may_initiate(tu->t) || ike_tun_has_sa(e, name, NULL) || tu->init_at_ms)
		return;
	d = tu->backoff_ms ? tu->backoff_ms : 1000;
	if (d > e->o.initiate_backoff_max_ms)
		d = e->o.initiate_backoff_max_ms;
	tu->init_at_ms = e->now_ms + d;
	/* after deferring to the peer (seed 001), jitter keeps two tandems from colliding again */
	if (tu->deferred)
		tu->init_at_ms += ike_random_below(e, d / 2 + 1);
	tu->backoff_ms =
	        d * 2 > e->o.initiate_backoff_max_ms ? e->o.initiate_backoff_max_ms : d * 2;
	ike_tun_touch(e, tu);
}

size_t
ike_seq_slot(const struct ike_sa *sa, uint32_t seqno)
{
	unsigned n;
	const struct cfg_tunnel_seq *s = sa->tun ? ike_tun_seqs(sa->tun, &n) : NULL;

	for (unsigned i = 0; s && i < n && i < CFG_MAX_TUNNEL_SEQS; i++)
		if (s[i].seq == seqno)
			return i;
	return 0;
}

static bool
seq_served(const struct ike_sa *sa, uint32_t seqno)
{
	for (size_t i = 0; i < sa->st.nchildren; i++)
		if (sa->st.child[i].seq_index == seqno && !sa->st.child[i].rekeyed &&
		    !sa->cx[i]->redundant && !sa->cx[i]->deleting)
			return true;
	if (sa->req_active &&
	    (sa->st.req_kind == IKE_REQ_CHILD_CREATE || sa->st.req_kind == IKE_REQ_AUTH) &&
	    sa->ccs && sa->ccs->seq == seqno)
		return true;
	for (size_t i = 0; i < sa->ntasks; i++)
		if (sa->tasks[i].kind == IKE_TASK_CHILD_CREATE && sa->tasks[i].seq == seqno)
			return true;
	return false;
}

static bool
may_create_children(const struct ike_sa *sa)
{
	return sa->st.phase == IKE_PHASE_ESTABLISHED && !sa->rekeyed && sa->tun &&
	       sa->tun->ike_policy &&
	       (sa->st.initiator || sa->tun->ike_policy->conn_type != CFG_CONN_RESPONDER_ONLY);
}

void
ike_sa_check_children(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct cfg_tunnel_seq *seqs;
	unsigned n;

	if (!may_create_children(sa) || e->now_ms < sa->children_at_ms)
		return;
	seqs = ike_tun_seqs(sa->tun, &n);
	for (unsigned i = 0; i < n && i < CFG_MAX_TUNNEL_SEQS; i++) {
		if (!seqs[i].policy || seq_served(sa, seqs[i].seq) ||
		    e->now_ms < sa->child_retry_ms[i])
			continue;
		ike_task_add(sa, IKE_TASK_CHILD_CREATE, 0, seqs[i].seq);
	}
}

/* When check_children will have something to do (UINT64_MAX: nothing). */
static uint64_t
children_next(const struct ike_sa *sa)
{
	const struct cfg_tunnel_seq *seqs;
	uint64_t next = UINT64_MAX;
	unsigned n;

	if (!may_create_children(sa))
		return UINT64_MAX;
	seqs = ike_tun_seqs(sa->tun, &n);
	for (unsigned i = 0; i < n && i < CFG_MAX_TUNNEL_SEQS; i++) {
		uint64_t t = sa->child_retry_ms[i] > sa->children_at_ms ? sa->child_retry_ms[i]
		                                                        : sa->children_at_ms;

		if (seqs[i].policy && !seq_served(sa, seqs[i].seq) && t < next)
			next = t;
	}
	return next;
}

/* ---- per-SA timers --------------------------------------------------------------------------- */

static bool
dpd_on(const struct ike_sa *sa)
{
	return sa->tun && sa->tun->ctx && sa->tun->ctx->ike_keepalive &&
	       sa->tun->ctx->dpd_interval_sec;
}

static uint64_t
dpd_interval_ms(const struct ike_sa *sa)
{
	return (uint64_t)sa->tun->ctx->dpd_interval_sec * 1000;
}

static uint32_t
max_sends(const struct ike_sa *sa)
{
	if (sa->st.req_kind == IKE_REQ_DPD && dpd_on(sa))
		return 1 + sa->tun->ctx->dpd_retries;
	return sa->e->o.retransmit_tries;
}

static const char *
req_name(enum ike_req_kind k)
{
	switch (k) {
	case IKE_REQ_INIT:
		return "IKE_SA_INIT";
	case IKE_REQ_AUTH:
		return "IKE_AUTH";
	case IKE_REQ_CHILD_CREATE:
	case IKE_REQ_CHILD_REKEY:
	case IKE_REQ_IKE_REKEY:
		return "CREATE_CHILD_SA";
	case IKE_REQ_DPD:
		return "liveness check (DPD)";
	default:
		return "INFORMATIONAL";
	}
}

/* The peer does not answer: give up on the SA (§2.4). */
static void
give_up(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	char tunnel[CFG_NAME_MAX], ps[IKE_PEER_STR_LEN];
	bool dpd = sa->st.req_kind == IKE_REQ_DPD;
	const char *why = dpd ? "dead peer (no answer to DPD)"
	                      : "no answer (retransmission "
	                        "timeout)";

	snprintf(tunnel, sizeof(tunnel), "%s", sa->st.tunnel);
	ike_sa_peer(sa, ps, sizeof(ps));
	log_warnx("tunnel %s: no answer from %s to %s after %u sends; %s", ike_sa_tunnel_name(sa),
	          ps, req_name(sa->st.req_kind), sa->req_sends,
	          sa->st.phase == IKE_PHASE_INIT_SENT ? "giving up" : "deleting the IKE SA");
	if (dpd)
		e->stats.dpd_dead++;
	if (sa->st.phase == IKE_PHASE_INIT_SENT)
		ike_sa_free(sa);
	else
		ike_sa_destroy(sa, why);
	if (tunnel[0])
		ike_tun_down_backoff(e, tunnel);
}

static void
retransmit(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	if (sa->req_sends >= max_sends(sa)) {
		give_up(sa);
		return;
	}
	sa->req_sends++;
	e->stats.retransmits++;
	ike_send_raw(e, &sa->st.local, &sa->st.remote, sa->st.req_out.s_data, sa->st.req_out.s_len,
	             sa->req_commit);
	if (sa->st.req_kind == IKE_REQ_DPD && dpd_on(sa))
		sa->req_next_ms = e->now_ms + dpd_interval_ms(sa);
	else
		sa->req_next_ms = e->now_ms + ike_retransmit_timeout(e, sa->req_sends);
}

static bool
ike_rekey_due(const struct ike_sa *sa)
{
	return sa->st.rekey_at_ms && !sa->rekeyed && sa->st.phase == IKE_PHASE_ESTABLISHED &&
	       !ike_task_pending(sa, IKE_TASK_IKE_REKEY, 0) &&
	       !(sa->req_active && sa->st.req_kind == IKE_REQ_IKE_REKEY);
}

static bool
child_rekey_due(const struct ike_sa *sa, size_t i)
{
	const struct ike_child_state *c = &sa->st.child[i];

	return c->rekey_at_ms && !c->rekeyed && !sa->cx[i]->redundant && !sa->cx[i]->deleting &&
	       !sa->cx[i]->rekeying && sa->cx[i]->installed &&
	       !ike_task_pending(sa, IKE_TASK_CHILD_REKEY, c->child_id) &&
	       !ike_task_pending(sa, IKE_TASK_CHILD_DELETE, c->child_id);
}

static bool
child_expire_due(const struct ike_sa *sa, size_t i)
{
	const struct ike_child_state *c = &sa->st.child[i];

	return c->expire_at_ms && !sa->cx[i]->deleting &&
	       !ike_task_pending(sa, IKE_TASK_CHILD_DELETE, c->child_id);
}

static bool
dpd_due_possible(const struct ike_sa *sa)
{
	return dpd_on(sa) && sa->st.phase == IKE_PHASE_ESTABLISHED && !sa->req_active &&
	       !ike_task_pending(sa, IKE_TASK_DPD, 0) && !sa->ntasks;
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void
sa_tick(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint64_t now = e->now_ms, spi = ike_sa_our_spi(sa);
	char ps[IKE_PEER_STR_LEN];

	if (sa->st.phase == IKE_PHASE_STANDBY)
		return;
	if (!sa->st.initiator && sa->st.phase == IKE_PHASE_INIT_DONE && sa->half_open_until_ms &&
	    now >= sa->half_open_until_ms) {
		log_info("half-open IKE SA from %s timed out (no IKE_AUTH)",
		         ike_sa_peer(sa, ps, sizeof(ps)));
		ike_sa_destroy(sa, "half-open timeout");
		return;
	}
	if (sa->req_active && now >= sa->req_next_ms) {
		retransmit(sa);
		if (ike_sa_find(e, spi) != sa)
			return;
	}
	if (sa->rekeyed && sa->destroy_at_ms && now >= sa->destroy_at_ms &&
	    sa->st.phase != IKE_PHASE_DELETING) {
		/* replaced, and the peer never deleted it: delete it ourselves */
		sa->destroy_at_ms = 0;
		ike_sa_close(sa, "replaced IKE SA not deleted by the peer");
		return;
	}
	if (sa->st.phase != IKE_PHASE_ESTABLISHED)
		return;
	if (sa->st.expire_at_ms && now >= sa->st.expire_at_ms) {
		ike_sa_close(sa, "lifetime expired");
		return;
	}
	if (ike_rekey_due(sa) && now >= max64(sa->st.rekey_at_ms, sa->ike_tempfail_ms))
		ike_task_add(sa, IKE_TASK_IKE_REKEY, 0, 0);
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		const struct ike_child_state *c = &sa->st.child[i];

		if (child_expire_due(sa, i) && now >= c->expire_at_ms)
			ike_task_add(sa, IKE_TASK_CHILD_DELETE, c->child_id, 0);
		else if (child_rekey_due(sa, i) &&
		         now >= max64(c->rekey_at_ms, sa->cx[i]->tempfail_ms))
			ike_task_add(sa, IKE_TASK_CHILD_REKEY, c->child_id, 0);
	}
	if (dpd_due_possible(sa) && now >= sa->last_rx_ms + dpd_interval_ms(sa))
		ike_task_add(sa, IKE_TASK_DPD, 0, 0);
	ike_sa_check_children(sa);
	ike_task_run(sa);
}

static uint64_t
sa_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

#define AT(t)                          \
	do {                           \
		if ((t) && (t) < next) \
			next = (t);    \
	} while (0)
	if (sa->st.phase == IKE_PHASE_STANDBY)
		return UINT64_MAX;
	if (!sa->st.initiator && sa->st.phase == IKE_PHASE_INIT_DONE)
		AT(sa->half_open_until_ms);
	if (sa->req_active)
		AT(sa->req_next_ms);
	if (sa->rekeyed && sa->st.phase != IKE_PHASE_DELETING)
		AT(sa->destroy_at_ms);
	if (sa->st.phase != IKE_PHASE_ESTABLISHED)
		return next;
	AT(sa->st.expire_at_ms);
	if (ike_rekey_due(sa))
		AT(max64(sa->st.rekey_at_ms, sa->ike_tempfail_ms));
	for (size_t i = 0; i < sa->st.nchildren; i++) {
		const struct ike_child_state *c = &sa->st.child[i];

		if (child_expire_due(sa, i))
			AT(c->expire_at_ms);
		if (child_rekey_due(sa, i))
			AT(max64(c->rekey_at_ms, sa->cx[i]->tempfail_ms));
	}
	if (dpd_due_possible(sa))
		AT(sa->last_rx_ms + dpd_interval_ms(sa));
#undef AT
	/* here 0 is a time, not "none": Child SAs to create as soon as possible */
	{
		uint64_t c = children_next(sa);

		if (c < next)
			next = c;
	}
	return next;
}

/* ---- scheduling ------------------------------------------------------------------------------ */

/* The earliest time sa_tick has something to do for sa (UINT64_MAX: nothing). */
static uint64_t
sa_deadline(const struct ike_sa *sa)
{
	if (sa->st.phase == IKE_PHASE_STANDBY)
		return UINT64_MAX;
	/* queued requests that may start: at once (sa_tick runs the queue) */
	if (sa->st.phase == IKE_PHASE_ESTABLISHED && sa->ntasks && !sa->req_active)
		return sa->e->now_ms;
	return sa_next(sa);
}

void
ike_sa_touch(struct ike_sa *sa)
{
	if (sa->dirty)
		return;
	sa->dirty = true;
	TAILQ_INSERT_TAIL(&sa->e->dirty, sa, dirty_entry);
}

void
ike_sa_timers_drop(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	ike_heap_del(&e->sa_timers, &sa->tmr);
	ike_heap_del(&e->runq, &sa->runq);
	if (sa->dirty)
		TAILQ_REMOVE(&e->dirty, sa, dirty_entry);
	sa->dirty = false;
}

int
ike_sa_timers_reserve(struct ike_engine *e)
{
	if (ike_heap_reserve(&e->sa_timers, e->nsas + 1) || ike_heap_reserve(&e->runq, e->nsas + 1))
		return -ENOMEM;
	return 0;
}

/*
 * Recomputes the deadlines of the SAs marked since. While a tick runs SAs (cur: the creation
 * number of the one just run), one that became due and comes later in creation order joins
 * this tick's run, as in a walk of every SA in that order; the others wait for the next tick.
 */
static void
flush_dirty(struct ike_engine *e, bool running, uint64_t cur)
{
	struct ike_sa *sa;

	while ((sa = TAILQ_FIRST(&e->dirty))) {
		uint64_t d;

		TAILQ_REMOVE(&e->dirty, sa, dirty_entry);
		sa->dirty = false;
		if (ike_tmr_armed(&sa->runq))
			continue; /* due at the start of this tick: runs anyway */
		d = sa_deadline(sa);
		if (d == UINT64_MAX) {
			ike_heap_del(&e->sa_timers, &sa->tmr);
			continue;
		}
		if (d <= e->tick_now && sa->tick_gen == e->tick_gen) {
			d = e->tick_now + 1; /* ran this tick: the next one */
		} else if (d <= e->tick_now && running && sa->seq > cur) {
			ike_heap_del(&e->sa_timers, &sa->tmr);
			(void)ike_heap_set(&e->runq, &sa->runq, sa->seq); /* room reserved */
			continue;
		}
		(void)ike_heap_set(&e->sa_timers, &sa->tmr, d); /* room reserved per SA */
	}
}

/* Runs every SA that is due, in creation order. */
static void
run_sas(struct ike_engine *e)
{
	struct ike_tmr *t;

	flush_dirty(e, false, 0);
	while ((t = ike_heap_top(&e->sa_timers)) && t->at <= e->now_ms) {
		struct ike_sa *sa = ike_container_of(t, struct ike_sa, tmr);

		ike_heap_del(&e->sa_timers, t);
		(void)ike_heap_set(&e->runq, &sa->runq, sa->seq);
	}
	while ((t = ike_heap_top(&e->runq))) {
		struct ike_sa *sa = ike_container_of(t, struct ike_sa, runq);
		uint64_t cur = sa->seq;

		ike_heap_del(&e->runq, t);
		sa->tick_gen = e->tick_gen;
		ike_sa_touch(sa); /* rescheduled after it ran (freed: dropped) */
		sa_tick(sa);
		flush_dirty(e, true, cur);
	}
}

void
ike_tun_touch(struct ike_engine *e, struct ike_tun *tu)
{
	if (!tu || tu->dirty)
		return;
	tu->dirty = true;
	TAILQ_INSERT_TAIL(&e->tun_dirty, tu, dirty_entry);
}

/* A tunnel waits for its initiation time only while it may initiate and has no SA. */
static void
tun_reschedule(struct ike_engine *e, struct ike_tun *tu)
{
	if (tu->t && ike_tun_may_initiate(tu->t) && tu->init_at_ms && !tu->nactive)
		(void)ike_heap_set(&e->tun_timers, &tu->tmr, tu->init_at_ms); /* room reserved */
	else
		ike_heap_del(&e->tun_timers, &tu->tmr);
}

/* A static tunnel that may initiate and has no IKE SA: start it, with back-off. */
static void
tun_tick(struct ike_engine *e, struct ike_tun *tu)
{
	if (!ike_tun_may_initiate(tu->t) || ike_tun_has_sa(e, tu->name, NULL))
		return;
	if (!tu->init_at_ms) {
		ike_tun_down_backoff(e, tu->name);
		return;
	}
	if (e->now_ms < tu->init_at_ms)
		return;
	tu->init_at_ms = 0;
	tu->deferred = false;
	(void)ike_init_start(e, tu->t);
}

static int
by_cfg_order(const void *a, const void *b)
{
	const struct ike_tun *x = *(const struct ike_tun *const *)a;
	const struct ike_tun *y = *(const struct ike_tun *const *)b;

	return x->cfg_idx < y->cfg_idx ? -1 : x->cfg_idx > y->cfg_idx;
}

/* Tunnels whose time came or whose state changed, in configuration order. */
static void
run_tunnels(struct ike_engine *e)
{
	struct ike_tun **v = NULL, *tu;
	struct ike_tmr *t;
	size_t n = 0;

	if (!TAILQ_EMPTY(&e->tun_dirty) ||
	    ((t = ike_heap_top(&e->tun_timers)) && t->at <= e->now_ms)) {
		v = calloc(e->nslots ? e->nslots : 1, sizeof(*v));
		if (!v)
			return; /* the next tick tries again */
	}
	while ((t = ike_heap_top(&e->tun_timers)) && t->at <= e->now_ms) {
		tu = ike_container_of(t, struct ike_tun, tmr);
		ike_heap_del(&e->tun_timers, t);
		if (!tu->in_batch && n < e->nslots) {
			tu->in_batch = true;
			v[n++] = tu;
		}
	}
	while ((tu = TAILQ_FIRST(&e->tun_dirty))) {
		TAILQ_REMOVE(&e->tun_dirty, tu, dirty_entry);
		tu->dirty = false;
		if (tu->t && !tu->in_batch && n < e->nslots) {
			tu->in_batch = true;
			v[n++] = tu;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_cfg_order);
	for (size_t i = 0; i < n; i++) {
		tun_tick(e, v[i]);
		tun_reschedule(e, v[i]);
	}
	for (size_t i = 0; i < n; i++) {
		v[i]->in_batch = false;
		ike_tun_slot_gc(e, v[i]);
	}
	free(v);
}

uint64_t
ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;
	struct ike_tmr *t;

	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	if (e->standby || !e->cfg)
		return UINT64_MAX;
	if (e->cookie_ready)
		ike_cookie_rotate(e);
	e->tick_gen++;
	e->tick_now = e->now_ms;
	run_sas(e);
	run_tunnels(e);
	flush_dirty(e, false, 0); /* SAs the initiations made */
	if ((t = ike_heap_top(&e->sa_timers)))
		next = t->at;
	if ((t = ike_heap_top(&e->tun_timers)) && t->at < next)
		next = t->at;
	if (e->cookie_ready && e->cookie_rotate_ms < next)
		next = e->cookie_rotate_ms;
	/* a deadline already past means something waits on another event: do not spin */
	if (next <= e->now_ms)
		next = e->now_ms + 1;
	return next;
}

/* ---- self-check (tests) ---------------------------------------------------------------------- */

bool
ike_sa_timer_check(const struct ike_sa *sa, char *why, size_t cap)
{
	const struct ike_engine *e = sa->e;
	uint64_t d, lim;

	if (sa->dirty || ike_tmr_armed(&sa->runq))
		return true;
	d = sa_deadline(sa);
	if (d == UINT64_MAX)
		return true;
	lim = d > e->tick_now ? d : e->tick_now + 1;
	if (!ike_tmr_armed(&sa->tmr) || sa->tmr.at > lim) {
		snprintf(why, cap,
		         "SA %016llx (phase %d) is due at %llu but scheduled %s%llu: a change did "
		         "not mark it",
		         (unsigned long long)ike_sa_our_spi(sa), (int)sa->st.phase,
		         (unsigned long long)d, ike_tmr_armed(&sa->tmr) ? "at " : "never, was ",
		         (unsigned long long)sa->tmr.at);
		return false;
	}
	return true;
}

bool
ike_tun_timer_check(const struct ike_engine *e, const struct ike_tun *tu, char *why, size_t cap)
{
	if (tu->dirty || !tu->t || e->standby || !e->cfg || !ike_tun_may_initiate(tu->t) ||
	    tu->nactive)
		return true;
	if (!tu->init_at_ms || !ike_tmr_armed(&tu->tmr) || tu->tmr.at > tu->init_at_ms) {
		snprintf(why, cap, "tunnel %s has no SA and %s: a change did not mark it", tu->name,
		         tu->init_at_ms ? "its initiation is not scheduled" : "no initiation time");
		return false;
	}
	return true;
}
