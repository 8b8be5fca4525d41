/* SPDX-License-Identifier: MIT */
/*
 * Time in the engine: the queue of requests waiting for the one outstanding (window size 1,
 * RFC 7296 §2.3), retransmission with back-off and give-up (§2.1), half-open timeouts, IKE and
 * Child SA lifetimes (rekey at about 90 % with jitter, hard expiry), dead peer detection (§2.4,
 * seed 004 §6.3), Child SAs a tunnel still lacks, and the (re)initiation of static tunnels
 * with back-off. ike_engine_tick runs what is due and says when to call it next.
 */
#define LOG_SUBSYS "ike"

#include <errno.h>
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

struct ike_tun *
ike_tun_find(struct ike_engine *e, const char *name)
{
	for (size_t i = 0; i < e->ntuns; i++)
		if (strcmp(e->tuns[i].name, name) == 0)
			return &e->tuns[i];
	return NULL;
}

bool
ike_tun_has_sa(struct ike_engine *e, const char *name, const struct ike_sa *except)
{
	const struct ike_sa *sa;

	for (sa = TAILQ_FIRST(&e->sas); sa; sa = TAILQ_NEXT(sa, entry))
		if (sa != except && !sa->rekeyed && sa->st.phase != IKE_PHASE_DELETING &&
		    strcmp(sa->st.tunnel, name) == 0)
			return true;
	return false;
}

void
ike_tun_update(struct ike_engine *e, const char *name, const char *reason)
{
	struct ike_tun *tu = ike_tun_find(e, name);
	const struct ike_sa *sa;
	bool up = false;

	if (!tu || e->standby)
		return;
	for (sa = TAILQ_FIRST(&e->sas); sa; sa = TAILQ_NEXT(sa, entry))
		if (sa->st.phase != IKE_PHASE_STANDBY && strcmp(sa->st.tunnel, name) == 0 &&
		    ike_sa_live_children(sa))
			up = true;
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
		    !sa->cx[i].redundant && !sa->cx[i].deleting)
			return true;
	if (sa->req_active &&
	    (sa->st.req_kind == IKE_REQ_CHILD_CREATE || sa->st.req_kind == IKE_REQ_AUTH) &&
	    sa->ccs.seq == seqno)
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

	return c->rekey_at_ms && !c->rekeyed && !sa->cx[i].redundant && !sa->cx[i].deleting &&
	       !sa->cx[i].rekeying && sa->cx[i].installed &&
	       !ike_task_pending(sa, IKE_TASK_CHILD_REKEY, c->child_id) &&
	       !ike_task_pending(sa, IKE_TASK_CHILD_DELETE, c->child_id);
}

static bool
child_expire_due(const struct ike_sa *sa, size_t i)
{
	const struct ike_child_state *c = &sa->st.child[i];

	return c->expire_at_ms && !sa->cx[i].deleting &&
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
		         now >= max64(c->rekey_at_ms, sa->cx[i].tempfail_ms))
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
			AT(max64(c->rekey_at_ms, sa->cx[i].tempfail_ms));
	}
	if (dpd_due_possible(sa))
		AT(sa->last_rx_ms + dpd_interval_ms(sa));
	AT(children_next(sa));
#undef AT
	return next;
}

/* Static tunnels that may initiate and have no IKE SA: start them, with back-off. */
static void
tunnels_tick(struct ike_engine *e)
{
	for (size_t i = 0; i < e->ntuns; i++) {
		struct ike_tun *tu = &e->tuns[i];

		if (!ike_tun_may_initiate(tu->t) || ike_tun_has_sa(e, tu->name, NULL))
			continue;
		if (!tu->init_at_ms) {
			ike_tun_down_backoff(e, tu->name);
			continue;
		}
		if (e->now_ms < tu->init_at_ms)
			continue;
		tu->init_at_ms = 0;
		tu->deferred = false;
		(void)ike_init_start(e, tu->t);
	}
}

uint64_t
ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	uint64_t *spis = NULL, next = UINT64_MAX;
	struct ike_sa *sa;
	size_t n = 0, k = 0;

	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	if (e->standby || !e->cfg)
		return UINT64_MAX;
	if (e->cookie_ready)
		ike_cookie_rotate(e);
	/* by SPI: a tick may end other SAs than its own (rekeys, collisions, replacements) */
	for (sa = TAILQ_FIRST(&e->sas); sa; sa = TAILQ_NEXT(sa, entry))
		n++;
	if (n) {
		spis = calloc(n, sizeof(*spis));
		if (!spis)
			return e->now_ms + 100;
		for (sa = TAILQ_FIRST(&e->sas); sa; sa = TAILQ_NEXT(sa, entry))
			spis[k++] = ike_sa_our_spi(sa);
		for (size_t i = 0; i < k; i++) {
			sa = ike_sa_find(e, spis[i]);
			if (sa)
				sa_tick(sa);
		}
		free(spis);
	}
	tunnels_tick(e);
	for (sa = TAILQ_FIRST(&e->sas); sa; sa = TAILQ_NEXT(sa, entry)) {
		uint64_t t = sa_next(sa);

		if (t < next)
			next = t;
	}
	for (size_t i = 0; i < e->ntuns; i++) {
		const struct ike_tun *tu = &e->tuns[i];

		if (tu->init_at_ms && tu->init_at_ms < next && ike_tun_may_initiate(tu->t))
			next = tu->init_at_ms;
	}
	if (e->cookie_ready && e->cookie_rotate_ms < next)
		next = e->cookie_rotate_ms;
	/* a deadline already past means something waits on another event: do not spin */
	if (next <= e->now_ms)
		next = e->now_ms + 1;
	return next;
}
