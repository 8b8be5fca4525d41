/* SPDX-License-Identifier: MIT */
/*
 * tandemd's HA data plane: the cluster block's virtual addresses and the routes by cost of
 * tunnel interfaces (tandemd_ha.h, docs/ha.md). The engine supervisor installs a tunnel's
 * routes when its engine serves and the tunnel has an outbound SA, and the kernel drops them
 * with the TUN device when the engine dies; this file adds what the supervisor cannot know
 * (the node's role, the IKE tunnel state), reconciles the kernel's table against it, and
 * reports each change as an event and through `hactl show routes`.
 */
#define LOG_SUBSYS "ha"
#include "tandemd_ha.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/ctl/ctl_codec_ha.h"
#include "node/ctl/ctl_codec_mon.h"
#include "node/eng/eng_sup.h"
#include "node/net/rt.h"
#include "node/net/rt_announce.h"
#include "node/tandemd_events.h"
#include "node/tandemd_ike.h"
#include "node/tandemd_int.h"

#define HA_TICK_MS 1000u
/*
 * A held VIP is leased from the kernel for this long and renewed every tick: a tandemd that
 * dies without stepping down (kill -9) leaves its VIPs behind for at most this long, so two
 * nodes never answer ARP for one address for longer (docs/ha.md).
 */
#define HA_VIP_LEASE_S 3u
/* Announcements after a takeover: at 0, 250, 750 and 1750 ms (docs/ha.md, "Announcing"). */
static const uint32_t ha_ann_gap_ms[] = {0, 250, 500, 1000};
#define HA_ANN_COUNT (sizeof(ha_ann_gap_ms) / sizeof(ha_ann_gap_ms[0]))

struct ha_route {
	char prefix[64], ifname[CFG_NAME_MAX], ctx[CFG_NAME_MAX], nexthop[64];
	char tunnel[CFG_NAME_MAX], group[CFG_NAME_MAX], dev[16];
	bool manual;   /* a manual-key tunnel: up whenever its engine is */
	bool shutdown; /* the tunnel is administratively down */
	bool managed;
	struct rt_route rt; /* family, dst, dst_len, metric; ifindex filled per pass */
	bool present;       /* seen in the kernel's table in this pass */
	bool installed, carrier;
	bool preferred; /* the lowest configured cost of its prefix among managed routes */
	char why[128];
	int64_t changed_unix;
	/* redundancy (hactl show redundancy), kept on every route of the prefix */
	int64_t carrier_since_unix; /* when the prefix's carrier last changed; 0 never */
	char switch_why[192];       /* why it changed then */
};

struct ha_vip {
	struct cfg_vip v;
	char addr[64];
	bool held;
	char err[96];
};

struct tandemd_ha {
	struct tandemd *d;
	struct rt_sock *rt;
	int pkt_fd;
	bool active, role_set;
	struct ha_route *routes;
	size_t nroutes;
	struct ha_vip vips[CFG_MAX_VIPS];
	unsigned nvips;
	struct event *tick, *ann;
	unsigned ann_sent;
	uint64_t ann_start_ms;
};

/* ---- routes ------------------------------------------------------------------------------ */

static void
ha_route_from_cfg(struct ha_route *hr, const struct cfg_route *cr)
{
	const struct cfg_interface *ifc = cr->via_if ? cr->iface : NULL;
	const struct cfg_tunnel *t = ifc ? ifc->bound_by : NULL;

	memset(hr, 0, sizeof(*hr));
	cfg_prefix_str(&cr->dst, hr->prefix, sizeof(hr->prefix));
	snprintf(hr->ctx, sizeof(hr->ctx), "%s", cr->ctx ? cr->ctx->name : "");
	if (cr->via_if)
		snprintf(hr->ifname, sizeof(hr->ifname), "%s", cr->ifname);
	else
		cfg_addr_str(&cr->nexthop, hr->nexthop, sizeof(hr->nexthop));
	hr->rt.family = cr->dst.a.family;
	memcpy(hr->rt.dst, cr->dst.a.addr, sizeof(hr->rt.dst));
	hr->rt.dst_len = cr->dst.len;
	hr->rt.metric = cr->cost;
	if (!t) {
		snprintf(hr->why, sizeof(hr->why), "%s",
		         cr->via_if ? "not a tunnel interface: left to the operator"
		                    : "next-hop route: left to the operator");
		return;
	}
	hr->managed = true;
	snprintf(hr->tunnel, sizeof(hr->tunnel), "%s", t->name);
	if (t->ctx)
		snprintf(hr->group, sizeof(hr->group), "%s", t->ctx->asp_group_name);
	hr->manual = t->kind == CFG_TUNNEL_MANUAL;
	hr->shutdown = t->shutdown;
	eng_tun_name(ifc->ctx ? ifc->ctx->name : "", ifc->name, hr->dev);
	snprintf(hr->why, sizeof(hr->why), "not evaluated yet");
}

/* Rebuilds the route table from the configuration, keeping what is known of equal routes. */
static int
ha_routes_build(struct tandemd_ha *ha, const struct cfg *cfg)
{
	const struct cfg_context *c;
	const struct cfg_route *cr;
	struct ha_route *v;
	size_t n = 0, i = 0;

	TAILQ_FOREACH(c, &cfg->contexts, entry)
	TAILQ_FOREACH(cr, &c->routes, entry)
	n++;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	TAILQ_FOREACH(c, &cfg->contexts, entry)
	TAILQ_FOREACH(cr, &c->routes, entry)
	{
		struct ha_route *hr = &v[i++];

		ha_route_from_cfg(hr, cr);
		for (size_t j = 0; j < ha->nroutes; j++) {
			const struct ha_route *o = &ha->routes[j];

			if (strcmp(o->prefix, hr->prefix) == 0 && strcmp(o->dev, hr->dev) == 0 &&
			    o->rt.metric == hr->rt.metric && o->managed == hr->managed) {
				hr->installed = o->installed;
				hr->carrier = o->carrier;
				hr->changed_unix = o->changed_unix;
				hr->carrier_since_unix = o->carrier_since_unix;
				memcpy(hr->switch_why, o->switch_why, sizeof(hr->switch_why));
			}
		}
	}
	for (i = 0; i < n; i++) {
		v[i].preferred = v[i].managed;
		for (size_t j = 0; j < n && v[i].preferred; j++)
			if (j != i && v[j].managed && strcmp(v[j].prefix, v[i].prefix) == 0 &&
			    (v[j].rt.metric < v[i].rt.metric ||
			     (v[j].rt.metric == v[i].rt.metric && j < i)))
				v[i].preferred = false;
	}
	free(ha->routes);
	ha->routes = v;
	ha->nroutes = n;
	return 0;
}

static void
ha_dump_cb(void *arg, const struct rt_route *r)
{
	struct tandemd_ha *ha = arg;
	size_t alen = r->family == AF_INET ? 4 : 16;

	if (r->table != 0)
		return;
	for (size_t i = 0; i < ha->nroutes; i++) {
		struct ha_route *hr = &ha->routes[i];

		if (hr->managed && hr->rt.ifindex && hr->rt.family == r->family &&
		    hr->rt.dst_len == r->dst_len && hr->rt.metric == r->metric &&
		    hr->rt.ifindex == r->ifindex && memcmp(hr->rt.dst, r->dst, alen) == 0)
			hr->present = true;
	}
}

/* Why the route must not be in the kernel now, or "" when it must. */
static void
ha_route_want(const struct tandemd_ha *ha, const struct ha_route *hr, char *why, size_t cap)
{
	const struct tandemd *d = ha->d;
	const char *reason = "";
	int64_t when;
	bool up = false;

	why[0] = '\0';
	if (!ha->active)
		snprintf(why, cap, "this node is not active");
	else if (hr->shutdown)
		snprintf(why, cap, "tunnel %s is shut down", hr->tunnel);
	else if (!hr->group[0])
		snprintf(why, cap, "no engine group serves tunnel %s", hr->tunnel);
	else if (!d->eng || !eng_group_up(d->eng, hr->group))
		snprintf(why, cap, "engine %s is down", hr->group);
	else if (!hr->rt.ifindex)
		snprintf(why, cap, "device %s does not exist", hr->dev);
	else if (!hr->manual &&
	         !(d->ike && tandemd_ike_tunnel_last(d->ike, hr->tunnel, &up, &when, &reason)))
		snprintf(why, cap, "tunnel %s has not come up yet", hr->tunnel);
	else if (!hr->manual && !up)
		snprintf(why, cap, "tunnel %s is down (%s)", hr->tunnel, reason);
}

static void
ha_route_event(struct ha_route *hr, bool installed, const char *cause)
{
	hr->installed = installed;
	hr->changed_unix = clk_real_sec();
	if (installed)
		log_info(
		        "ha event: route %s via %s (tunnel %s, device %s) metric %u installed (%s)",
		        hr->prefix, hr->ifname, hr->tunnel, hr->dev, hr->rt.metric, cause);
	else
		log_info("ha event: route %s via %s (tunnel %s, device %s) metric %u withdrawn: "
		         "%s (%s)",
		         hr->prefix, hr->ifname, hr->tunnel, hr->dev, hr->rt.metric, hr->why,
		         cause);
}

/*
 * The carrier of prefix moved from prev to best (either NULL): remembered on every route of
 * the prefix for `hactl show redundancy`, and emitted as a route event.
 */
static void
ha_switch(struct tandemd_ha *ha, const char *prefix, const struct ha_route *prev,
          const struct ha_route *best, const char *cause)
{
	char why[192], detail[160];
	const char *state = !best ? "none" : best->preferred ? "preferred" : "backup";

	if (prev && !prev->installed && prev->why[0])
		snprintf(why, sizeof(why), "%s (%s)", prev->why, cause);
	else
		snprintf(why, sizeof(why), "%s", cause);
	snprintf(detail, sizeof(detail), "from %s to %s", prev ? prev->tunnel : "none",
	         best ? best->tunnel : "none");
	for (size_t j = 0; j < ha->nroutes; j++) {
		struct ha_route *o = &ha->routes[j];

		if (o->managed && strcmp(o->prefix, prefix) == 0) {
			o->carrier_since_unix = clk_real_sec();
			memcpy(o->switch_why, why, sizeof(o->switch_why));
		}
	}
	tandemd_event(ha->d, TEV_ROUTE, prefix, state, detail, 0, "%s", why);
}

/* The installed route of lowest metric for each prefix carries it; log when that changes. */
static void
ha_carriers(struct tandemd_ha *ha, const char *cause)
{
	for (size_t i = 0; i < ha->nroutes; i++) {
		struct ha_route *hr = &ha->routes[i], *best = NULL;
		bool first = true, had = false;

		if (!hr->managed)
			continue;
		for (size_t j = 0; j < ha->nroutes && first; j++) {
			const struct ha_route *o = &ha->routes[j];

			if (j < i && o->managed && strcmp(o->prefix, hr->prefix) == 0)
				first = false; /* handled with an earlier route of the prefix */
		}
		if (!first)
			continue;
		struct ha_route *prev = NULL;

		for (size_t j = i; j < ha->nroutes; j++) {
			struct ha_route *o = &ha->routes[j];

			if (!o->managed || strcmp(o->prefix, hr->prefix) != 0)
				continue;
			if (o->carrier)
				prev = o;
			had = had || o->carrier;
			if (o->installed && (!best || o->rt.metric < best->rt.metric))
				best = o;
		}
		for (size_t j = i; j < ha->nroutes; j++) {
			struct ha_route *o = &ha->routes[j];

			if (o->managed && strcmp(o->prefix, hr->prefix) == 0) {
				if ((o == best) != o->carrier && o == best)
					log_info(
					        "ha event: prefix %s now carried by tunnel %s (%s, "
					        "metric %u)",
					        o->prefix, o->tunnel, o->dev, o->rt.metric);
				o->carrier = o == best;
			}
		}
		if (!best && had)
			log_warnx("ha event: prefix %s: no tunnel carries it now", hr->prefix);
		if (best != prev)
			ha_switch(ha, hr->prefix, prev, best, cause);
	}
}

/* Brings the kernel's routes by cost in line with what should be there; `cause` is logged. */
static void
ha_reconcile(struct tandemd_ha *ha, const char *cause)
{
	bool v4 = false, v6 = false;
	int rc;

	if (!ha->rt)
		return;
	for (size_t i = 0; i < ha->nroutes; i++) {
		struct ha_route *hr = &ha->routes[i];

		hr->present = false;
		hr->rt.ifindex = 0;
		if (!hr->managed)
			continue;
		if (rt_link_index(ha->rt, hr->dev, &hr->rt.ifindex) < 0)
			hr->rt.ifindex = 0;
		v4 = v4 || hr->rt.family == AF_INET;
		v6 = v6 || hr->rt.family == AF_INET6;
	}
	if ((v4 && (rc = rt_route_dump(ha->rt, AF_INET, ha_dump_cb, ha)) < 0) ||
	    (v6 && (rc = rt_route_dump(ha->rt, AF_INET6, ha_dump_cb, ha)) < 0)) {
		log_warnx("cannot read the kernel's routes: %s", strerror(-rc));
		return;
	}
	for (size_t i = 0; i < ha->nroutes; i++) {
		struct ha_route *hr = &ha->routes[i];
		char why[sizeof(hr->why)];

		if (!hr->managed)
			continue;
		ha_route_want(ha, hr, why, sizeof(why));
		if (why[0] && hr->present) {
			rc = rt_route_del(ha->rt, &hr->rt);
			if (rc < 0 && rc != -ESRCH)
				log_warnx("route %s via %s metric %u: cannot withdraw: %s",
				          hr->prefix, hr->dev, hr->rt.metric, strerror(-rc));
			else
				hr->present = false;
		} else if (!why[0] && !hr->present) {
			rc = rt_route_replace(ha->rt, &hr->rt);
			if (rc < 0)
				snprintf(why, sizeof(why), "cannot install: %s%s%s", strerror(-rc),
				         *rt_last_error(ha->rt) ? ": " : "", rt_last_error(ha->rt));
			else
				hr->present = true;
		}
		if (why[0])
			snprintf(hr->why, sizeof(hr->why), "%s", why);
		else
			hr->why[0] = '\0';
		if (hr->present != hr->installed)
			ha_route_event(hr, hr->present, cause);
	}
	ha_carriers(ha, cause);
}

/* ---- virtual addresses ------------------------------------------------------------------- */

static void
ha_vip_prefix(const struct ha_vip *hv, struct rt_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = hv->v.prefix.a.family;
	memcpy(p->addr, hv->v.prefix.a.addr, sizeof(p->addr));
	p->len = hv->v.prefix.len;
}

/* Adds (active) or removes one VIP. Returns 0 or -errno (kept in hv->err). */
static int
ha_vip_set(struct tandemd_ha *ha, struct ha_vip *hv, bool on, const char *cause)
{
	struct rt_prefix p;
	unsigned ifindex = 0;
	int rc;

	ha_vip_prefix(hv, &p);
	rc = rt_link_index(ha->rt, hv->v.ifname, &ifindex);
	if (rc == 0)
		rc = on ? rt_addr_lease(ha->rt, ifindex, &p, HA_VIP_LEASE_S)
		        : rt_addr_del(ha->rt, ifindex, &p);
	if (rc == -EEXIST || (!on && (rc == -EADDRNOTAVAIL || rc == -ENODEV)))
		rc = 0; /* already as wanted (a removed interface took its addresses along) */
	if (rc < 0) {
		if (!hv->err[0])
			log_warnx("ha: cannot %s VIP %s on %s: %s%s%s", on ? "add" : "remove",
			          hv->addr, hv->v.ifname, strerror(-rc),
			          *rt_last_error(ha->rt) ? ": " : "", rt_last_error(ha->rt));
		snprintf(hv->err, sizeof(hv->err), "cannot %s: %s", on ? "add" : "remove",
		         strerror(-rc));
		return rc;
	}
	hv->err[0] = '\0';
	if (hv->held != on)
		log_info("ha event: VIP %s on %s %s (%s)", hv->addr, hv->v.ifname,
		         on ? "added" : "removed", cause);
	hv->held = on;
	return 0;
}

static void
ha_announce_one(struct tandemd_ha *ha, const struct ha_vip *hv, unsigned nth)
{
	uint8_t frame[RT_UNA_LEN > RT_GARP_LEN ? RT_UNA_LEN : RT_GARP_LEN], mac[6];
	unsigned ifindex = 0;
	size_t len;
	int rc;

	rc = rt_link_index(ha->rt, hv->v.ifname, &ifindex);
	if (rc == 0)
		rc = rt_link_hwaddr(ha->rt, ifindex, mac);
	if (rc < 0) {
		log_debug("VIP %s: no announcement on %s: %s", hv->addr, hv->v.ifname,
		          strerror(-rc));
		return;
	}
	if (hv->v.prefix.a.family == AF_INET)
		len = rt_garp_build(frame, sizeof(frame), mac, hv->v.prefix.a.addr);
	else
		len = rt_una_build(frame, sizeof(frame), mac, hv->v.prefix.a.addr);
	rc = rt_announce_send(ha->pkt_fd, ifindex, frame, len);
	if (rc < 0)
		log_warnx("VIP %s: cannot announce on %s: %s", hv->addr, hv->v.ifname,
		          strerror(-rc));
	else
		log_info("ha: VIP %s announced on %s (%s %u/%u, +%llu ms)", hv->addr, hv->v.ifname,
		         hv->v.prefix.a.family == AF_INET ? "gratuitous ARP" : "unsolicited NA",
		         nth + 1, (unsigned)HA_ANN_COUNT,
		         (unsigned long long)(clk_mono_ms() - ha->ann_start_ms));
}

/* Sends announcement number ha->ann_sent for every held VIP and schedules the next. */
static void
ha_announce(evutil_socket_t fd, short what, void *arg)
{
	struct tandemd_ha *ha = arg;

	(void)fd;
	(void)what;
	if (!ha->active || ha->ann_sent >= HA_ANN_COUNT || ha->pkt_fd < 0)
		return;
	for (unsigned i = 0; i < ha->nvips; i++)
		if (ha->vips[i].held)
			ha_announce_one(ha, &ha->vips[i], ha->ann_sent);
	if (++ha->ann_sent < HA_ANN_COUNT) {
		uint32_t ms = ha_ann_gap_ms[ha->ann_sent];
		struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

		evtimer_add(ha->ann, &tv);
	}
}

static void
ha_announce_start(struct tandemd_ha *ha)
{
	ha->ann_sent = 0;
	ha->ann_start_ms = clk_mono_ms();
	evtimer_del(ha->ann);
	ha_announce(-1, 0, ha);
}

/* Every VIP as the role says. Returns the first failure. Announces newly added ones. */
static int
ha_vips_apply(struct tandemd_ha *ha, const char *cause)
{
	bool added = false;
	int first = 0;

	for (unsigned i = 0; i < ha->nvips; i++) {
		struct ha_vip *hv = &ha->vips[i];
		bool was = hv->held;
		int rc = ha_vip_set(ha, hv, ha->active, cause);

		if (rc < 0 && first == 0)
			first = rc;
		added = added || (!was && hv->held);
	}
	if (added)
		ha_announce_start(ha);
	return first;
}

/* The configured VIPs; ones no longer configured are removed if this node held them. */
static void
ha_vips_build(struct tandemd_ha *ha, const struct cfg *cfg)
{
	const struct cfg_cluster *c = &cfg->cluster;
	struct ha_vip nv[CFG_MAX_VIPS];
	unsigned n = c->present ? c->nvips : 0;

	memset(nv, 0, sizeof(nv));
	for (unsigned i = 0; i < n; i++) {
		nv[i].v = c->vips[i];
		cfg_prefix_str(&c->vips[i].prefix, nv[i].addr, sizeof(nv[i].addr));
		for (unsigned j = 0; j < ha->nvips; j++)
			if (strcmp(ha->vips[j].addr, nv[i].addr) == 0 &&
			    strcmp(ha->vips[j].v.ifname, nv[i].v.ifname) == 0) {
				nv[i].held = ha->vips[j].held;
				ha->vips[j].held = false; /* kept, not to be removed below */
			}
	}
	for (unsigned j = 0; j < ha->nvips; j++)
		if (ha->vips[j].held)
			(void)ha_vip_set(ha, &ha->vips[j], false, "no longer configured");
	memcpy(ha->vips, nv, sizeof(nv));
	ha->nvips = n;
}

/* ---- role -------------------------------------------------------------------------------- */

static int
ha_set_active(struct tandemd_ha *ha, bool active, const char *cause)
{
	int rc;

	if (active != ha->active)
		log_info("ha event: this node is now %s (%s)", active ? "active" : "standby",
		         cause);
	ha->active = active;
	if (!active)
		evtimer_del(ha->ann);
	rc = ha_vips_apply(ha, cause);
	ha_reconcile(ha, cause);
	return rc;
}

/* Without a role layer: a node alone in its configuration is active. */
static bool
ha_default_active(const struct cfg *cfg)
{
	return !cfg->cluster.present || cfg->cluster.nnodes <= 1;
}

int
tandemd_ha_apply_role(struct tandemd *d, bool active)
{
	struct tandemd_ha *ha = d->ha;

	if (!ha)
		return -ENOTSUP;
	ha->role_set = true;
	if (active == ha->active) {
		/* idempotent, but a VIP that failed earlier is tried again */
		for (unsigned i = 0; i < ha->nvips; i++)
			if (ha->vips[i].err[0])
				return ha_vips_apply(ha, "role confirmed");
		return 0;
	}
	return ha_set_active(ha, active,
	                     active ? "role layer: take over" : "role layer: step down");
}

bool
tandemd_ha_active(const struct tandemd *d)
{
	return d->ha && d->ha->active;
}

/* ---- events ------------------------------------------------------------------------------ */

void
tandemd_ha_engine_changed(struct tandemd *d, const char *group, bool up, const char *why)
{
	char cause[128];

	if (!d->ha)
		return;
	snprintf(cause, sizeof(cause), "engine %s %s%s%s", group, up ? "up" : "down",
	         why && *why ? ": " : "", why ? why : "");
	ha_reconcile(d->ha, cause);
}

void
tandemd_ha_tunnel_changed(struct tandemd *d, const char *tunnel, bool up, const char *why)
{
	char cause[160];

	if (!d->ha)
		return;
	snprintf(cause, sizeof(cause), "tunnel %s %s%s%s", tunnel, up ? "up" : "down",
	         why && *why ? ": " : "", why ? why : "");
	ha_reconcile(d->ha, cause);
}

static void
ha_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tandemd_ha *ha = arg;

	(void)fd;
	(void)what;
	/* a retry where one failed or is not as wanted; otherwise the active renews its leases */
	for (unsigned i = 0; i < ha->nvips; i++)
		if (ha->vips[i].err[0] || ha->vips[i].held != ha->active || ha->active) {
			(void)ha_vips_apply(ha, ha->active ? "lease renewal" : "retry");
			break;
		}
	ha_reconcile(ha, "periodic check");
}

/* ---- life cycle -------------------------------------------------------------------------- */

void
tandemd_ha_apply(struct tandemd *d)
{
	struct tandemd_ha *ha = d->ha;

	if (!ha)
		return;
	if (ha_routes_build(ha, d->cfg) < 0)
		log_warnx("ha: out of memory for the route table; keeping the previous one");
	ha_vips_build(ha, d->cfg);
	(void)ha_set_active(ha, ha->role_set ? ha->active : ha_default_active(d->cfg),
	                    "configuration");
}

int
tandemd_ha_start(struct tandemd *d)
{
	struct timeval tv = {.tv_sec = HA_TICK_MS / 1000, .tv_usec = (HA_TICK_MS % 1000) * 1000};
	struct tandemd_ha *ha = calloc(1, sizeof(*ha));
	int rc;

	if (!ha)
		return -ENOMEM;
	ha->d = d;
	ha->pkt_fd = -1;
	d->ha = ha;
	rc = rt_open(&ha->rt);
	if (rc < 0) {
		log_err("ha: cannot open rtnetlink: %s", strerror(-rc));
		goto fail;
	}
	rc = rt_announce_open(&ha->pkt_fd);
	if (rc < 0)
		log_warnx("ha: no packet socket (%s): VIPs will not be announced", strerror(-rc));
	ha->tick = event_new(d->base, -1, EV_PERSIST, ha_tick, ha);
	ha->ann = evtimer_new(d->base, ha_announce, ha);
	if (!ha->tick || !ha->ann || event_add(ha->tick, &tv) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	tandemd_ha_apply(d);
	return 0;
fail:
	tandemd_ha_free(d);
	return rc;
}

void
tandemd_ha_free(struct tandemd *d)
{
	struct tandemd_ha *ha = d->ha;

	if (!ha)
		return;
	if (ha->tick)
		event_free(ha->tick);
	if (ha->ann)
		event_free(ha->ann);
	if (ha->pkt_fd >= 0)
		close(ha->pkt_fd);
	rt_close(ha->rt);
	free(ha->routes);
	free(ha);
	d->ha = NULL;
}

/* ---- metrics and hactl show redundancy ----------------------------------------------------- */

void
tandemd_ha_walk_routes(const struct tandemd *d,
                       void (*fn)(void *arg, const struct tandemd_ha_route_info *r), void *arg)
{
	const struct tandemd_ha *ha = d->ha;

	if (!ha)
		return;
	for (size_t i = 0; i < ha->nroutes; i++) {
		const struct ha_route *hr = &ha->routes[i];
		struct tandemd_ha_route_info r = {
		        .prefix = hr->prefix,
		        .context = hr->ctx,
		        .interface = hr->ifname,
		        .tunnel = hr->tunnel,
		        .device = hr->dev,
		        .metric = hr->rt.metric,
		        .managed = hr->managed,
		        .installed = hr->installed,
		        .carrier = hr->carrier,
		        .preferred = hr->preferred,
		        .reason = hr->installed ? "" : hr->why,
		        .changed_unix = hr->changed_unix,
		        .carrier_since_unix = hr->carrier_since_unix,
		        .switch_why = hr->switch_why,
		};

		fn(arg, &r);
	}
}

/* ---- hactl show routes ------------------------------------------------------------------- */

int
tandemd_ha_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp)
{
	struct tandemd_ha *ha = d->ha;
	struct ctl_route *r;
	struct ctl_vip v[CFG_MAX_VIPS];
	int rc;

	(void)req;
	if (!ha)
		return ctl_encode_error(ENOTSUP, "the HA layer is not running", resp);
	ha_reconcile(ha, "hactl show routes");
	r = calloc(ha->nroutes ? ha->nroutes : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < ha->nroutes; i++) {
		const struct ha_route *hr = &ha->routes[i];

		r[i] = (struct ctl_route){
		        .prefix = hr->prefix,
		        .interface = hr->ifname,
		        .context = hr->ctx,
		        .nexthop = hr->nexthop,
		        .tunnel = hr->tunnel,
		        .device = hr->dev,
		        .group = hr->group,
		        .metric = hr->rt.metric,
		        .managed = hr->managed,
		        .installed = hr->installed,
		        .carrier = hr->carrier,
		        .reason = hr->installed ? "" : hr->why,
		        .changed_unix = hr->changed_unix,
		};
	}
	for (unsigned i = 0; i < ha->nvips; i++)
		v[i] = (struct ctl_vip){
		        .address = ha->vips[i].addr,
		        .interface = ha->vips[i].v.ifname,
		        .held = ha->vips[i].held,
		        .error = ha->vips[i].err,
		};
	rc = ctl_encode_show_routes(ha->active, r, ha->nroutes, v, ha->nvips, resp);
	free(r);
	return rc;
}

/* ---- hactl show redundancy --------------------------------------------------------------- */

static int
ha_route_cmp(const void *a, const void *b)
{
	const struct ha_route *x = *(const struct ha_route *const *)a;
	const struct ha_route *y = *(const struct ha_route *const *)b;

	return x->rt.metric < y->rt.metric ? -1 : x->rt.metric > y->rt.metric;
}

int
tandemd_ha_redundancy_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp)
{
	struct tandemd_ha *ha = d->ha;
	size_t n = ha ? ha->nroutes : 0, np = 0, k = 0;
	struct ctl_redundancy *p = calloc(n + 1, sizeof(*p));
	struct ctl_route *r = calloc(n + 1, sizeof(*r));
	const struct ha_route **sorted = calloc(n + 1, sizeof(*sorted));
	const char **names = calloc(n + 1, sizeof(*names));
	int rc = -ENOMEM;

	(void)req;
	if (!ha) {
		rc = ctl_encode_error(ENOTSUP, "the HA layer is not running", resp);
		goto out;
	}
	if (!p || !r || !sorted || !names)
		goto out;
	ha_reconcile(ha, "hactl show redundancy");
	for (size_t i = 0; i < n; i++) {
		const struct ha_route *hr = &ha->routes[i];
		struct ctl_redundancy *x;
		size_t m = 0, first = k;
		bool seen = false;

		if (!hr->managed)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = ha->routes[j].managed &&
			       strcmp(ha->routes[j].prefix, hr->prefix) == 0;
		if (seen)
			continue;
		for (size_t j = i; j < n; j++)
			if (ha->routes[j].managed && strcmp(ha->routes[j].prefix, hr->prefix) == 0)
				sorted[first + m++] = &ha->routes[j];
		qsort(&sorted[first], m, sizeof(*sorted), ha_route_cmp);
		x = &p[np++];
		x->prefix = hr->prefix;
		x->preferred = sorted[first]->tunnel;
		x->carrier = "";
		x->backups = &names[first];
		x->routes = &r[first];
		x->nroutes = m;
		for (size_t j = 0; j < m; j++) {
			const struct ha_route *o = sorted[first + j];

			if (j > 0)
				names[first + x->nbackups++] = o->tunnel;
			if (o->carrier)
				x->carrier = o->tunnel;
			x->since_unix = o->carrier_since_unix;
			x->last_switch_reason = o->switch_why;
			r[first + j] = (struct ctl_route){
			        .prefix = o->prefix,
			        .interface = o->ifname,
			        .context = o->ctx,
			        .nexthop = o->nexthop,
			        .tunnel = o->tunnel,
			        .device = o->dev,
			        .group = o->group,
			        .metric = o->rt.metric,
			        .managed = o->managed,
			        .installed = o->installed,
			        .carrier = o->carrier,
			        .reason = o->installed ? "" : o->why,
			        .changed_unix = o->changed_unix,
			};
		}
		k += m;
	}
	rc = ctl_encode_show_redundancy(ha->active, p, np, resp);
out:
	free(p);
	free(r);
	free(sorted);
	free(names);
	return rc;
}
