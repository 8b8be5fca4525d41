/* SPDX-License-Identifier: MIT */
/*
 * tandemd's host for the replication layer (tandemd_sync.h): sync/ over corosync in the
 * daemon's loop, wired to the IKE engine, the crypto engines and hactl.
 */
#define LOG_SUBSYS "sync"
#include "node/tandemd_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "node/core/clk.h"
#include "node/core/hex.h"
#include "node/core/log.h"
#include "node/ctl/ctl_codec_sync.h"
#include "node/eng/eng_sup.h"
#include "node/tandemd_events.h"
#include "node/tandemd_ha.h"
#include "node/tandemd_ike.h"
#include "node/tandemd_int.h"
#include "sync/sync.h"
#include "sync/sync_cpg.h"

struct tandemd_sync {
	struct tandemd *d;
	struct sync *s;
	struct sync_cpg *cpg;
	struct event *tick;
	uint64_t tick_at; /* engine clock ms of the armed tick, UINT64_MAX none */
	/* the last time this node became active (hactl show cluster) */
	int64_t takeover_unix_ms;
	char takeover_why[256];
	uint32_t takeover_ms, takeover_sas;
	struct event *eng_grace; /* an active's engine down: the supervisor's restart first */
};

/*
 * An engine that dies on the active node is restarted in place by the supervisor in 15-30 ms
 * (docs/engine.md), with its SAs and no renegotiation: far less disruption than a failover.
 * The cluster hears of an active's engine group being down only if it is still down this long
 * later (a restart that failed, a crash loop in back-off); a standby's, and every recovery, at
 * once (docs/ha.md "Takeover").
 */
#define TS_ENGINE_GRACE_MS 300u

static void ts_engine_grace(evutil_socket_t fd, short what, void *arg);

bool
tandemd_sync_enabled(const struct tandemd *d)
{
	return d->sync != NULL;
}

/* ---- the replication layer's host ---------------------------------------------------------- */

static void
h_clock(void *arg, struct sync_clock *c)
{
	struct timespec ts;

	(void)arg;
	c->mono_ms = clk_mono_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	c->unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
h_commit_safe(void *arg, uint64_t commit)
{
	struct tandemd_sync *ts = arg;

	if (ts->d->ike)
		tandemd_ike_commit_safe(ts->d->ike, commit);
}

static void
h_lease_granted(void *arg, uint32_t spi, uint64_t limit)
{
	struct tandemd_sync *ts = arg;
	struct tandemd *d = ts->d;
	int rc;

	if (!d->eng)
		return;
	rc = eng_lease_grant(d->eng, spi, limit);
	if (rc < 0) {
		log_warnx("SA %08x: cannot grant the replicated lease up to %llu: %s", spi,
		          (unsigned long long)limit, strerror(-rc));
		return;
	}
	/* the IKE SA state carries the limit, so a takeover starts above it */
	if (d->ike)
		ike_engine_child_seq(tandemd_ike_engine(d->ike), spi, false, limit);
}

static void
h_role_changed(void *arg, enum ha_role old, enum ha_role now, const char *why)
{
	struct tandemd_sync *ts = arg;

	tandemd_role_changed(ts->d, old, now, why);
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void
ts_schedule(struct tandemd_sync *ts)
{
	uint64_t next = sync_tick(ts->s), now = clk_mono_ms();
	struct timeval tv;
	uint64_t ms;

	if (next == UINT64_MAX) {
		event_del(ts->tick);
		ts->tick_at = UINT64_MAX;
		return;
	}
	ms = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	ts->tick_at = next;
	event_add(ts->tick, &tv);
	/* what a delivery released (held datagrams, grants) may have moved the IKE engine's timers
	 */
	if (ts->d->ike)
		tandemd_ike_kick(ts->d->ike);
}

static void
ts_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ts_schedule(arg);
}

static void
ts_after(void *arg)
{
	ts_schedule(arg);
}

/* ---- life cycle -------------------------------------------------------------------------- */

int
tandemd_sync_start(struct tandemd *d)
{
	static const struct sync_host host = {
	        .clock = h_clock,
	        .commit_safe = h_commit_safe,
	        .lease_granted = h_lease_granted,
	        .role_changed = h_role_changed,
	};
	const struct cfg_cluster *cl = &d->cfg->cluster;
	const struct cfg_cluster_node *me;
	struct tandemd_sync *ts;
	struct sync_opts o;
	uint8_t dig[32];
	int rc;

	if (!cl->present || cl->nnodes <= 1)
		return 0;
	me = cfg_find_node(d->cfg, d->opts.node);
	if (!me) {
		log_err("node %s is not in cluster %s: no replication", d->opts.node, cl->name);
		return -EINVAL;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->d = d;
	d->sync = ts;
	memset(&o, 0, sizeof(o));
	o.node_id = me->id;
	o.pid = (uint32_t)getpid();
	o.name = me->name;
	o.priority = me->priority;
	o.preempt = cl->preempt;
	if (cfg_digest(d->cfg, &d->mk, dig) == 0)
		memcpy(o.digest, dig, sizeof(o.digest));
	o.report_every = cl->replay_report_every ? cl->replay_report_every : 1024;
	{
		struct sync_clock c;

		h_clock(NULL, &c);
		o.epoch = (uint64_t)c.unix_ms;
	}
	if (RAND_bytes((unsigned char *)&o.seed, sizeof(o.seed)) != 1)
		o.seed = (uint64_t)clk_mono_ns() ^ (uint64_t)getpid();
	/* until elected, the IKE engine neither initiates nor answers */
	if (d->ike)
		ike_engine_set_standby(tandemd_ike_engine(d->ike), true);
	ts->tick = evtimer_new(d->base, ts_tick, ts);
	ts->eng_grace = evtimer_new(d->base, ts_engine_grace, d);
	rc = ts->tick && ts->eng_grace ? sync_cpg_new(d->base, cl->name, me->id, &ts->cpg)
	                               : -ENOMEM;
	if (rc == 0)
		rc = sync_new(&o, sync_cpg_transport(), ts->cpg, &host, ts,
		              d->ike ? tandemd_ike_engine(d->ike) : NULL, &ts->s);
	if (rc < 0) {
		log_err("cannot start replication: %s", strerror(-rc));
		tandemd_sync_free(d);
		return rc;
	}
	log_info("replication: cluster %s, node %s (id %u, priority %u), %u nodes", cl->name,
	         me->name, me->id, me->priority, cl->nnodes);
	tandemd_sync_engines_changed(d);
	sync_cpg_start(ts->cpg, ts->s, ts_after, ts);
	return 0;
}

void
tandemd_sync_free(struct tandemd *d)
{
	struct tandemd_sync *ts = d->sync;

	if (!ts)
		return;
	sync_cpg_free(ts->cpg); /* leaves the group: the others see it at once */
	sync_free(ts->s);
	if (ts->tick)
		event_free(ts->tick);
	if (ts->eng_grace)
		event_free(ts->eng_grace);
	free(ts);
	d->sync = NULL;
}

/* ---- inputs ------------------------------------------------------------------------------ */

void
tandemd_sync_ike_changed(struct tandemd *d, const struct ike_sa_state *st, enum ike_change what,
                         uint64_t commit)
{
	if (!d->sync)
		return;
	sync_ike_changed(d->sync->s, st, what, commit);
	/* no tick here: the engine is in the middle of its work; the send queue flushes itself */
}

int
tandemd_sync_lease_request(struct tandemd *d, uint32_t spi, uint64_t limit)
{
	if (!d->sync)
		return -ENOENT;
	return sync_lease_request(d->sync->s, spi, limit);
}

void
tandemd_sync_replay_report(struct tandemd *d, uint32_t spi, uint64_t highest)
{
	if (d->sync)
		sync_replay_report(d->sync->s, spi, highest);
}

void
tandemd_sync_engines(struct tandemd *d, uint32_t up, uint32_t total)
{
	if (!d->sync)
		return;
	sync_engines(d->sync->s, up, total);
	ts_schedule(d->sync);
}

void
tandemd_sync_config_changed(struct tandemd *d)
{
	uint8_t dig[32];

	if (!d->sync || cfg_digest(d->cfg, &d->mk, dig) != 0)
		return;
	sync_config_digest(d->sync->s, dig);
	ts_schedule(d->sync);
}

static void
ts_engines_count(const struct tandemd *d, uint32_t *up, uint32_t *total)
{
	const struct cfg_asp_group *g;

	*up = *total = 0;
	TAILQ_FOREACH(g, &d->cfg->asp_groups, entry)
	{
		(*total)++;
		*up += d->eng && eng_group_up(d->eng, g->name);
	}
}

static void
ts_engine_grace(evutil_socket_t fd, short what, void *arg)
{
	struct tandemd *d = arg;
	uint32_t up, total;

	(void)fd;
	(void)what;
	ts_engines_count(d, &up, &total);
	if (up < total)
		log_warnx("%u of %u engine groups still down %u ms later: telling the cluster",
		          total - up, total, TS_ENGINE_GRACE_MS);
	tandemd_sync_engines(d, up, total);
}

void
tandemd_sync_engines_changed(struct tandemd *d)
{
	struct timeval tv = {0, (suseconds_t)TS_ENGINE_GRACE_MS * 1000};
	uint32_t up, total;

	if (!d->sync)
		return;
	ts_engines_count(d, &up, &total);
	if (up < total && sync_role(d->sync->s) == HA_ROLE_ACTIVE) {
		if (!evtimer_pending(d->sync->eng_grace, NULL)) {
			log_info("engine group down on the active node: %u ms for the supervisor's "
			         "restart before the cluster is told",
			         TS_ENGINE_GRACE_MS);
			evtimer_add(d->sync->eng_grace, &tv);
		}
		return;
	}
	evtimer_del(d->sync->eng_grace);
	tandemd_sync_engines(d, up, total);
}

/* ---- roles --------------------------------------------------------------------------------- */

static void
uninstall_children(void *arg, const struct ike_sa_state *st)
{
	struct tandemd *d = arg;

	if (!d->eng)
		return;
	for (size_t i = 0; i < st->nchildren; i++) {
		(void)eng_sa_delete(d->eng, st->child[i].spi_in, true);
		(void)eng_sa_delete(d->eng, st->child[i].spi_out, false);
	}
}

static void
count_standby(void *arg, const struct ike_sa_state *st)
{
	if (st->phase == IKE_PHASE_STANDBY)
		(*(size_t *)arg)++;
}

void
tandemd_role_changed(struct tandemd *d, enum ha_role old, enum ha_role now, const char *why)
{
	struct ike_engine *e = d->ike ? tandemd_ike_engine(d->ike) : NULL;

	log_info("role %s -> %s%s%s", ha_role_str(old), ha_role_str(now), why && *why ? ": " : "",
	         why ? why : "");
	{
		char detail[48];

		snprintf(detail, sizeof(detail), "%s -> %s", ha_role_str(old), ha_role_str(now));
		tandemd_event(d, TEV_ROLE, d->opts.node, ha_role_str(now), detail, 0, "%s",
		              why ? why : "");
	}
	/* ready for systemd (Type=notify) once joined and elected: a first "faulted" can come
	 * before the join (corosync not answering yet) */
	if (now == HA_ROLE_STANDBY || now == HA_ROLE_ACTIVE || d->ready_sent)
		tandemd_notify_ready(d, ha_role_str(now));
	if (now == HA_ROLE_ACTIVE) {
		uint64_t t0 = clk_mono_us();
		size_t live = 0;

		/*
		 * The standby SAs go live first (Child SAs into the engines with their replicated
		 * message IDs and lease limits), then the addresses move: the first packet the
		 * VIPs draw finds its SA installed.
		 */
		if (e) {
			ike_engine_walk(e, count_standby, &live);
			ike_engine_activate(e, clk_mono_ms());
			tandemd_ike_kick(d->ike);
		}
		tandemd_ha_apply_role(d, true);
		if (d->sync) {
			struct tandemd_sync *ts = d->sync;
			struct timespec ts_now;

			clock_gettime(CLOCK_REALTIME, &ts_now);
			ts->takeover_unix_ms =
			        (int64_t)ts_now.tv_sec * 1000 + (int64_t)(ts_now.tv_nsec / 1000000);
			snprintf(ts->takeover_why, sizeof(ts->takeover_why), "%s",
			         why && *why ? why : ha_role_str(old));
			ts->takeover_ms = (uint32_t)((clk_mono_us() - t0 + 999) / 1000);
			ts->takeover_sas = (uint32_t)live;
			log_info(
			        "took over from %s in %u ms: %zu IKE SAs live, addresses announced",
			        ha_role_str(old), ts->takeover_ms, live);
			/* a failover: from standby, or the reason names the active that left or
			 * the switchover (a first election at start-up is not one) */
			unsigned cls = tandemd_failover_classify(why);

			if (old == HA_ROLE_STANDBY || cls != 2)
				tandemd_event(d, TEV_FAILOVER, d->opts.node,
				              tandemd_failover_class_name(cls), NULL,
				              ts->takeover_ms, "%s", ts->takeover_why);
		}
	} else {
		/* addresses first, so nothing arrives for SAs this node no longer serves */
		tandemd_ha_apply_role(d, false);
		if (e && old == HA_ROLE_ACTIVE) {
			/*
			 * The data plane goes with the role: a standby's engines hold no replicated
			 * Child SA (ike_engine.h: the host owns a standby's data plane). Left
			 * installed, a later takeover or an engine restart would find these with
			 * their old counters and send sequence numbers the node that took over has
			 * used since. What the group did not deliver is never sent.
			 */
			ike_engine_walk(e, uninstall_children, d);
			ike_engine_set_standby(e, true);
			tandemd_ike_drop_held(d->ike);
		}
	}
}

bool
tandemd_sync_metrics(const struct tandemd *d, struct sync_stats *st, int64_t *takeover_unix_ms,
                     uint32_t *takeover_ms)
{
	if (!d->sync)
		return false;
	sync_stats(d->sync->s, st);
	*takeover_unix_ms = d->sync->takeover_unix_ms;
	*takeover_ms = d->sync->takeover_ms;
	return true;
}

const char *
tandemd_sync_role_str(const struct tandemd *d)
{
	return d->sync ? ha_role_str(sync_role(d->sync->s)) : "standalone";
}

const char *
tandemd_sync_fault(const struct tandemd *d)
{
	return d->sync ? sync_fault(d->sync->s) : "";
}

struct mismatch_ctx {
	char *out;
	size_t cap, len;
};

static void
mismatch_one(void *arg, const struct sync_node_info *n)
{
	struct mismatch_ctx *m = arg;
	int w;

	if (n->self || !n->has_record || n->digest_match || m->len >= m->cap)
		return;
	w = snprintf(m->out + m->len, m->cap - m->len, "%s%s (node %u)", m->len ? ", " : "",
	             n->rec.name, n->id);
	if (w > 0)
		m->len += (size_t)w;
}

void
tandemd_sync_status(const struct tandemd *d, char *mismatch, size_t cap, bool *quorate)
{
	struct mismatch_ctx m = {mismatch, cap, 0};
	struct sync_stats st;

	if (cap)
		mismatch[0] = 0;
	*quorate = false;
	if (!d->sync)
		return;
	sync_nodes(d->sync->s, mismatch_one, &m);
	sync_stats(d->sync->s, &st);
	*quorate = st.quorate && st.quorum_current;
}

bool
tandemd_sync_arbiter(const struct tandemd *d, bool *arbiter, bool *risk)
{
	struct sync_stats st;

	*arbiter = *risk = false;
	if (!d->sync)
		return false;
	sync_cpg_setup_refresh(d->sync->cpg);
	sync_stats(d->sync->s, &st);
	*arbiter = st.arbiter;
	*risk = st.split_brain_risk;
	return st.setup_known;
}

/* ---- hactl ----------------------------------------------------------------------------------- */

struct nodes_ctx {
	struct ctl_cluster_node n[SYNC_MAX_NODES];
	char digest[SYNC_MAX_NODES][65];
	char name[SYNC_MAX_NODES][CFG_NAME_MAX];
	char fault[SYNC_MAX_NODES][SYNC_TEXT_MAX];
	char version[SYNC_MAX_NODES][32];
	size_t count;
	bool mismatch;
};

static void
nodes_one(void *arg, const struct sync_node_info *i)
{
	struct nodes_ctx *c = arg;
	struct ctl_cluster_node *n;
	size_t k = c->count;

	if (k >= SYNC_MAX_NODES)
		return;
	n = &c->n[k];
	memset(n, 0, sizeof(*n));
	snprintf(c->name[k], sizeof(c->name[k]), "%s", i->rec.name);
	snprintf(c->fault[k], sizeof(c->fault[k]), "%s", i->rec.fault);
	snprintf(c->version[k], sizeof(c->version[k]), "%s", i->rec.version);
	if (i->rec.has_digest)
		hex_encode(i->rec.digest, HA_DIGEST_LEN, c->digest[k]);
	else
		c->digest[k][0] = 0;
	n->id = i->id;
	n->name = c->name[k];
	n->self = i->self;
	n->member = i->member;
	n->role = i->has_record ? ha_role_str(i->rec.role) : "unknown";
	n->priority = i->rec.priority;
	n->quorate = i->rec.quorate;
	n->in_sync = i->rec.in_sync;
	n->engines_up = i->rec.engines_up;
	n->engines_total = i->rec.engines_total;
	n->config_digest = c->digest[k];
	n->digest_match = i->digest_match;
	n->store_commit = i->rec.store_commit;
	n->last_seen_ms = i->last_seen_ms;
	n->eligible = ha_why_str(i->why);
	n->elected = i->elected;
	n->fault = c->fault[k];
	n->version = c->version[k];
	if (!i->digest_match && i->has_record)
		c->mismatch = true;
	c->count++;
}

static int
ts_show_cluster(struct tandemd *d, struct buf *resp)
{
	struct tandemd_sync *ts = d->sync;
	struct nodes_ctx *c = calloc(1, sizeof(*c));
	struct sync_stats st;
	struct ctl_cluster cl;
	int rc;

	if (!c)
		return -ENOMEM;
	sync_cpg_setup_refresh(ts->cpg);
	sync_nodes(ts->s, nodes_one, c);
	sync_stats(ts->s, &st);
	memset(&cl, 0, sizeof(cl));
	cl.cluster = d->cfg->cluster.name;
	cl.node_id = sync_node_id(ts->s);
	cl.role = ha_role_str(sync_role(ts->s));
	cl.fault = sync_fault(ts->s);
	cl.connected = st.connected;
	cl.quorate = st.quorate;
	cl.quorum_current = st.quorum_current;
	cl.ring_seq = st.ring_seq;
	cl.members = (uint32_t)st.members;
	cl.elected = st.elected;
	cl.config_mismatch = c->mismatch;
	cl.setup_known = st.setup_known;
	cl.arbiter = st.arbiter;
	cl.split_brain_risk = st.split_brain_risk;
	cl.quorum_nodes = st.quorum_nodes;
	cl.nodes = c->n;
	cl.nnodes = c->count;
	cl.takeover_unix_ms = ts->takeover_unix_ms;
	cl.takeover_reason = ts->takeover_why;
	cl.takeover_ms = ts->takeover_ms;
	cl.takeover_sas = ts->takeover_sas;
	rc = ctl_encode_show_cluster(&cl, resp);
	free(c);
	return rc;
}

static int
ts_show_replication(struct tandemd *d, struct buf *resp)
{
	struct tandemd_sync *ts = d->sync;
	struct ctl_repl_traffic tr[SYNC_T_COUNT];
	struct ctl_repl_reject rj[SYNC_REJ_NR];
	struct sync_cpg_stats cs;
	struct sync_stats st;
	struct ctl_replication r;
	uint8_t dig[32];
	char dhex[65] = "";
	size_t nt = 0;

	sync_stats(ts->s, &st);
	sync_cpg_stats(ts->cpg, &cs);
	if (sync_digest(ts->s, dig) == 0)
		hex_encode(dig, sizeof(dig), dhex);
	for (int t = SYNC_T_NONE; t < SYNC_T_COUNT; t++) {
		if (t == SYNC_T_NONE && !st.rx_msgs[t])
			continue;
		tr[nt++] = (struct ctl_repl_traffic){
		        t == SYNC_T_NONE ? "undecodable" : sync_type_name((enum sync_type)t),
		        st.tx_msgs[t], st.tx_bytes[t], st.rx_msgs[t], st.rx_bytes[t]};
	}
	for (int k = 0; k < SYNC_REJ_NR; k++)
		rj[k] = (struct ctl_repl_reject){sync_rej_name((enum sync_rej)k), st.rejected[k]};
	memset(&r, 0, sizeof(r));
	r.connected = cs.connected;
	r.reconnects = cs.reconnects;
	r.try_again = cs.try_again;
	r.send_failures = st.send_failures;
	r.queued_bytes = cs.queued_bytes;
	r.queue_peak_bytes = cs.queue_peak_bytes;
	r.traffic = tr;
	r.ntraffic = nt;
	r.rejected = rj;
	r.nrejected = SYNC_REJ_NR;
	r.store_sas = st.store_sas;
	r.store_children = st.store_children;
	r.store_tombs = st.store_tombs;
	r.store_bytes = st.store_bytes;
	r.store_commit = st.store_commit;
	r.store_digest = dhex;
	r.pending = st.pending;
	r.latency_samples = st.lat_n;
	r.latency_p50_us = st.lat_p50_us;
	r.latency_p99_us = st.lat_p99_us;
	r.latency_max_us = st.lat_max_us;
	r.in_sync = sync_in_sync(ts->s);
	r.snapshots_sent = st.snaps_sent;
	r.snapshots_received = st.snaps_received;
	r.last_snapshot_sas = st.snaps_received ? st.last_rx_sas : st.last_tx_sas;
	r.last_snapshot_bytes = st.snaps_received ? st.last_rx_bytes : st.last_tx_bytes;
	r.last_snapshot_ms = st.snaps_received ? st.last_rx_ms : st.last_tx_ms;
	r.snapshot_running = st.snap_rx_running || st.snap_tx_running;
	r.role_changes = st.role_changes;
	return ctl_encode_show_replication(&r, resp);
}

/* hactl switchover [--to NODE] */
static int
ts_switchover(struct tandemd *d, const char *to_name, struct buf *resp)
{
	const struct cfg_cluster_node *to = NULL, *me = cfg_find_node(d->cfg, d->opts.node);
	uint32_t to_id = 0;
	char msg[320];
	int rc;

	if (to_name[0]) {
		to = cfg_find_node(d->cfg, to_name);
		if (!to) {
			snprintf(msg, sizeof(msg), "no node %s in cluster %s", to_name,
			         d->cfg->cluster.name);
			return ctl_encode_error(ENOENT, msg, resp);
		}
	}
	rc = sync_switchover(d->sync->s, to ? to->id : 0, "operator (hactl switchover)", &to_id);
	switch (rc) {
	case 0:
		break;
	case -EAGAIN:
		return ctl_encode_error(
		        EAGAIN, "this node is not active: run switchover on the active node", resp);
	case -EALREADY:
		return ctl_encode_error(EALREADY, "this node is already the active one", resp);
	case -ENOENT:
		snprintf(msg, sizeof(msg),
		         "%s%s cannot take over (not a member, not in sync, no quorum, engines "
		         "down or another configuration: hactl show cluster)",
		         to ? "node " : "no standby", to ? to->name : "");
		return ctl_encode_error(ENOENT, msg, resp);
	default:
		snprintf(msg, sizeof(msg), "the hand-over could not be sent: %s", strerror(-rc));
		return ctl_encode_error(EIO, msg, resp);
	}
	if (!to)
		for (size_t i = 0; i < d->cfg->cluster.nnodes; i++)
			if (d->cfg->cluster.nodes[i].id == to_id)
				to = &d->cfg->cluster.nodes[i];
	log_info("switchover requested by the operator: handing the cluster to node %u (%s)", to_id,
	         to ? to->name : "?");
	return ctl_encode_switchover(me ? me->id : 0, me ? me->name : "", to_id, to ? to->name : "",
	                             resp);
}

int
tandemd_sync_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp)
{
	if (!d->sync)
		return ctl_encode_error(ENOENT,
		                        "no replication: this node is not part of a cluster of "
		                        "two or more nodes",
		                        resp);
	switch (req->cmd) {
	case CTL_CMD_SHOW_CLUSTER:
		return ts_show_cluster(d, resp);
	case CTL_CMD_SHOW_REPLICATION:
		return ts_show_replication(d, resp);
	case CTL_CMD_SWITCHOVER:
		return ts_switchover(d, req->node, resp);
	default:
		return -ENOTSUP;
	}
}
