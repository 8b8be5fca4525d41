/* SPDX-License-Identifier: MIT */
/*
 * The hactl commands about tunnels and SAs (seed 004 §10-11): show tunnel, show ike-sa,
 * show ipsec-sa, show statistics, clear ike|ipsec sa tunnel NAME. Tunnels come from the
 * configuration, their state from the IKE engine's SAs and last events, traffic counters
 * from the crypto engines.
 */
#define LOG_SUBSYS "ike"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/ctl/ctl_codec_ike.h"
#include "node/eng/eng_sup.h"
#include "node/ike/ike_engine.h"
#include "node/tandemd_ike.h"
#include "node/tandemd_int.h"

/* SA counts of one tunnel (or all, name NULL) from the engine's states. */
struct tc_count {
	const char *name;
	unsigned ike, child, established;
};

static void
tc_count_fn(void *arg, const struct ike_sa_state *st)
{
	struct tc_count *c = arg;

	if (c->name && strcmp(c->name, st->tunnel) != 0)
		return;
	c->ike++;
	c->child += st->nchildren;
	if (st->phase == IKE_PHASE_ESTABLISHED || st->phase == IKE_PHASE_REKEYING)
		c->established += st->nchildren > 0;
}

static const char *const tc_kind[] = {
        [CFG_TUNNEL_STATIC] = "static",
        [CFG_TUNNEL_ON_DEMAND] = "on-demand",
        [CFG_TUNNEL_MANUAL] = "manual",
};
static const char *const tc_conn[] = {
        [CFG_CONN_BOTH] = "both",
        [CFG_CONN_INITIATOR_ONLY] = "initiator-only",
        [CFG_CONN_RESPONDER_ONLY] = "responder-only",
};

/* Strings of one tunnel line; they live in the caller's array until encoding is done. */
struct tc_strs {
	char local[64], remote[64], rid[300];
};

static void
tc_tunnel(struct tandemd *d, const struct cfg_tunnel *t, struct ctl_tunnel *v, struct tc_strs *s)
{
	struct tc_count c = {.name = t->name};
	const char *group = t->ctx && t->ctx->asp_group ? t->ctx->asp_group->name : "";
	bool up = false;

	if (t->kind != CFG_TUNNEL_MANUAL)
		ike_engine_walk_tunnel(tandemd_ike_engine(d->ike), t->name, tc_count_fn, &c);
	cfg_addr_str(&t->local, s->local, sizeof(s->local));
	if (t->remote.family)
		cfg_addr_str(&t->remote, s->remote, sizeof(s->remote));
	cfg_id_str(&t->remote_id, s->rid, sizeof(s->rid));
	v->name = t->name;
	v->kind = tc_kind[t->kind];
	if (t->shutdown)
		v->state = "shutdown";
	else if (t->kind == CFG_TUNNEL_MANUAL)
		v->state = d->eng && *group && eng_group_up(d->eng, group) ? "up" : "down";
	else
		v->state = c.established ? "up" : c.ike ? "connecting" : "down";
	v->local = s->local;
	v->remote = s->remote;
	v->remote_id = s->rid;
	v->ike_policy = t->ike_policy ? t->ike_policy->name : "";
	v->conn_type = t->ike_policy ? tc_conn[t->ike_policy->conn_type] : "";
	v->engine_group = group;
	v->iface = t->bind_if;
	v->ike_sas = c.ike;
	v->ipsec_sas = c.child;
	v->last_change = "";
	if (!tandemd_ike_tunnel_last(d->ike, t->name, &up, &v->last_change_unix, &v->last_change))
		v->last_change_unix = 0;
}

/* ENOENT with the configured names, for a tunnel name that is not configured. */
static int
tc_no_tunnel(struct tandemd *d, const char *name, struct buf *resp)
{
	char msg[512];
	size_t n = (size_t)snprintf(msg, sizeof(msg), "no tunnel '%s' is configured", name);
	const struct cfg_tunnel *t;
	const char *sep = " (configured: ";

	TAILQ_FOREACH(t, &d->cfg->tunnels, entry)
	{
		if (n + strlen(t->name) + 4 >= sizeof(msg))
			break;
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", sep, t->name);
		sep = ", ";
	}
	if (*sep == ',')
		snprintf(msg + n, sizeof(msg) - n, ")");
	return ctl_encode_error(ENOENT, msg, resp);
}

static int
tc_show_tunnels(struct tandemd *d, const char *name, struct buf *resp)
{
	unsigned n = cfg_count_tunnels(d->cfg), k = 0;
	struct ctl_tunnel *v = calloc(n ? n : 1, sizeof(*v));
	struct tc_strs *s = calloc(n ? n : 1, sizeof(*s));
	const struct cfg_tunnel *t;
	int rc = -ENOMEM;

	if (v && s) {
		TAILQ_FOREACH(t, &d->cfg->tunnels, entry)
		if (!*name || strcmp(name, t->name) == 0)
			tc_tunnel(d, t, &v[k], &s[k]), k++;
		rc = (*name && k == 0) ? tc_no_tunnel(d, name, resp)
		                       : ctl_encode_tunnels(v, k, resp);
	}
	free(v);
	free(s);
	return rc;
}

/* Traffic counters of one SA direction from the crypto engines. */
static bool
tc_counters(void *arg, uint32_t spi, bool inbound, uint64_t *packets, uint64_t *bytes)
{
	struct tandemd *d = arg;

	return d->eng && eng_sa_counters(d->eng, spi, inbound, packets, bytes);
}

struct tc_list {
	struct ctl_sa_list *l;
	const char *name;
};

static void
tc_list_fn(void *arg, const struct ike_sa_state *st)
{
	struct tc_list *tl = arg;

	if (!*tl->name || strcmp(tl->name, st->tunnel) == 0)
		(void)ctl_sa_list_add(tl->l, st);
}

static int
tc_show_sas(struct tandemd *d, const char *name, bool ipsec, struct buf *resp)
{
	struct tc_list tl = {.name = name};

	if (*name && !cfg_find_tunnel(d->cfg, name))
		return tc_no_tunnel(d, name, resp);
	tl.l = ctl_sa_list_new(ipsec, clk_mono_ms(), tc_counters, d);
	if (!tl.l)
		return -ENOMEM;
	ike_engine_walk(tandemd_ike_engine(d->ike), tc_list_fn, &tl);
	return ctl_sa_list_finish(tl.l, resp);
}

/* ---- statistics ------------------------------------------------------------------------- */

#define TC_MAX_DROPS 64

struct tc_drops {
	struct ctl_counter v[TC_MAX_DROPS];
	size_t n;
};

static void
tc_drop_fn(void *arg, const char *reason, uint64_t count)
{
	struct tc_drops *dr = arg;

	for (size_t i = 0; i < dr->n; i++) {
		if (strcmp(dr->v[i].name, reason) == 0) {
			dr->v[i].value += count;
			return;
		}
	}
	if (dr->n < TC_MAX_DROPS) {
		dr->v[dr->n].name = reason; /* borrowed from the supervisor, which outlives us */
		dr->v[dr->n++].value = count;
	}
}

static int
tc_show_statistics(struct tandemd *d, struct buf *resp)
{
	static const char *const names[] = {
	        "rx_packets",
	        "tx_packets",
	        "rx_bytes",
	        "tx_bytes",
	        "retransmits",
	        "retransmitted_responses",
	        "ike_sa_init_done",
	        "ike_auth_done",
	        "create_child_sa_done",
	        "informational_done",
	        "ike_sa_established",
	        "ike_sa_rekeyed",
	        "ike_sa_deleted",
	        "child_sa_established",
	        "child_sa_rekeyed",
	        "child_sa_deleted",
	        "half_open",
	        "cookies_sent",
	        "dpd_dead",
	};
	struct ike_stats st;
	/* the engine's counters, then the oddities it accepted and counted (noted_*) */
	struct ctl_counter ike[sizeof(names) / sizeof(names[0]) + IKE_NOTE_COUNT];
	struct ctl_counter rej[IKE_REJ_COUNT];
	struct tc_drops drops = {.n = 0};
	size_t nrej = 0, nike = 0;

	ike_engine_stats(tandemd_ike_engine(d->ike), &st);
	uint64_t vals[] = {st.rx_packets,
	                   st.tx_packets,
	                   st.rx_bytes,
	                   st.tx_bytes,
	                   st.retransmits,
	                   st.retransmitted_responses,
	                   st.exch_done[0],
	                   st.exch_done[1],
	                   st.exch_done[2],
	                   st.exch_done[3],
	                   st.ike_sa_established,
	                   st.ike_sa_rekeyed,
	                   st.ike_sa_deleted,
	                   st.child_sa_established,
	                   st.child_sa_rekeyed,
	                   st.child_sa_deleted,
	                   st.half_open,
	                   st.cookies_sent,
	                   st.dpd_dead};

	_Static_assert(sizeof(vals) / sizeof(vals[0]) == sizeof(names) / sizeof(names[0]),
	               "a value per counter name");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ike[nike].name = names[i];
		ike[nike++].value = vals[i];
	}
	for (int n = 0; n < IKE_NOTE_COUNT; n++) {
		ike[nike].name = ike_note_info((enum ike_note)n)->counter;
		ike[nike++].value = st.noted[n];
	}
	for (int r = 1; r < IKE_REJ_COUNT; r++) {
		rej[nrej].name = ike_reject_info((enum ike_reject)r)->counter;
		rej[nrej++].value = st.rejected[r];
	}
	if (d->eng)
		eng_sup_walk(d->eng, NULL, NULL, tc_drop_fn, &drops);
	return ctl_encode_statistics(ike, nike, rej, nrej, drops.v, drops.n, resp);
}

/* ---- clear ---------------------------------------------------------------------------------- */

static int
tc_clear(struct tandemd *d, const char *name, bool ike, struct buf *resp)
{
	struct ike_engine *e = tandemd_ike_engine(d->ike);
	struct tc_count c = {.name = name};
	int rc;

	if (!cfg_find_tunnel(d->cfg, name))
		return tc_no_tunnel(d, name, resp);
	ike_engine_walk_tunnel(e, name, tc_count_fn, &c);
	rc = ike ? ike_engine_clear_ike(e, name, clk_mono_ms())
	         : ike_engine_clear_ipsec(e, name, clk_mono_ms());
	tandemd_ike_kick(d->ike);
	if (rc < 0)
		return rc;
	log_info("operator cleared the %s SAs of tunnel %s (%u IKE SA(s), %u Child SA(s))",
	         ike ? "IKE" : "IPsec", name, ike ? c.ike : 0, c.child);
	return ctl_encode_clear(ike ? c.ike : 0, c.child, resp);
}

static int
tc_rekey(struct tandemd *d, const char *name, bool ike, struct buf *resp)
{
	struct tc_count c = {.name = name};
	int rc;

	if (!cfg_find_tunnel(d->cfg, name))
		return tc_no_tunnel(d, name, resp);
	ike_engine_walk(tandemd_ike_engine(d->ike), tc_count_fn, &c);
	rc = ike_engine_rekey(tandemd_ike_engine(d->ike), name, ike, clk_mono_ms());
	tandemd_ike_kick(d->ike);
	if (rc == -ENOENT)
		return ctl_encode_error(ENOENT, "the tunnel has no established SA to rekey", resp);
	if (rc == -EBUSY)
		return ctl_encode_error(EBUSY, "an exchange is under way on that IKE SA; try again",
		                        resp);
	if (rc < 0)
		return rc;
	log_info("operator started a rekey of the %s SA(s) of tunnel %s", ike ? "IKE" : "IPsec",
	         name);
	return ctl_encode_clear(ike ? c.ike : 0, ike ? 0 : c.child, resp);
}

int
tandemd_ike_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp)
{
	switch (req->cmd) {
	case CTL_CMD_SHOW_TUNNELS:
		return tc_show_tunnels(d, req->tunnel, resp);
	case CTL_CMD_SHOW_IKE_SA:
		return tc_show_sas(d, req->tunnel, false, resp);
	case CTL_CMD_SHOW_IPSEC_SA:
		return tc_show_sas(d, req->tunnel, true, resp);
	case CTL_CMD_SHOW_STATISTICS:
		return tc_show_statistics(d, resp);
	case CTL_CMD_CLEAR_IKE_SA:
		return tc_clear(d, req->tunnel, true, resp);
	case CTL_CMD_CLEAR_IPSEC_SA:
		return tc_clear(d, req->tunnel, false, resp);
	case CTL_CMD_REKEY_IKE_SA:
		return tc_rekey(d, req->tunnel, true, resp);
	case CTL_CMD_REKEY_IPSEC_SA:
		return tc_rekey(d, req->tunnel, false, resp);
	default:
		return -ENOTSUP;
	}
}
