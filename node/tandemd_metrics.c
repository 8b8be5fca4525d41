/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus endpoint (tandemd_metrics.h). Every family is written with its HELP and
 * TYPE lines, in base units (seconds, bytes), counters ending in _total, label values
 * escaped. The page is rendered from what the other parts of tandemd keep (configuration,
 * IKE engine, crypto engines, HA routes, replication) and never changes any of it.
 */
#define LOG_SUBSYS "metrics"
#include "tandemd_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/ctl/ctl_server.h"
#include "node/eng/eng_sup.h"
#include "node/esp/esp_drop.h"
#include "node/ike/ike_engine.h"
#include "node/ike/ike_msg.h"
#include "node/tandemd_events.h"
#include "node/tandemd_ha.h"
#include "node/tandemd_ike.h"
#include "node/tandemd_int.h"
#include "node/tandemd_sync.h"
#include "sync/sync.h"
#include "sync/sync_codec.h"

#define MET_CACHE_MS     500u
#define MET_HDR_MAX      8192u
#define MET_TIMEOUT_S    10
#define MET_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct tandemd_metrics {
	struct evhttp *http;
	struct cfg_addr addr;
	uint16_t port;
	struct buf page; /* the last rendered page */
	uint64_t page_ms;
	bool have_page;
	uint64_t scrapes, renders;
};

/* ---- text helpers ------------------------------------------------------------------------ */

static void
met_family(struct buf *o, const char *name, const char *type, const char *help)
{
	buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped (exposition format 0.0.4). */
static void
met_esc(struct buf *o, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(o, "\\%c", *s);
		else if (*s == '\n')
			buf_put_str(o, "\\n");
		else
			buf_put_u8(o, (uint8_t)*s);
	}
}

/* name{k1="v1",k2="v2"} value; labels is a NULL-terminated list of key, value pairs. */
static void
met_sample(struct buf *o, const char *name, const char *const *labels, const char *value)
{
	buf_put_str(o, name);
	if (labels && labels[0]) {
		buf_put_u8(o, '{');
		for (unsigned i = 0; labels[i]; i += 2) {
			buf_printf(o, "%s%s=\"", i ? "," : "", labels[i]);
			met_esc(o, labels[i + 1]);
			buf_put_u8(o, '"');
		}
		buf_put_u8(o, '}');
	}
	buf_printf(o, " %s\n", value);
}

static void
met_u64(struct buf *o, const char *name, const char *const *labels, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	met_sample(o, name, labels, s);
}

static void
met_dbl(struct buf *o, const char *name, const char *const *labels, double v)
{
	char s[40];

	snprintf(s, sizeof(s), "%.6f", v);
	met_sample(o, name, labels, s);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- node and cluster -------------------------------------------------------------------- */

static void
met_node(struct tandemd *d, struct buf *o)
{
	static const char *const roles[] = {"standalone", "starting", "standby",
	                                    "active",     "faulted",  "unknown"};
	const char *role = tandemd_sync_role_str(d);
	char mismatch[512] = "";
	bool quorate = true;

	met_family(o, "tandem_build_info", "gauge", "Always 1; the version of tandemd.");
	met_u64(o, "tandem_build_info", L("version", TANDEM_VERSION), 1);
	met_family(o, "tandem_start_time_seconds", "gauge",
	           "When tandemd started, seconds since the epoch.");
	met_u64(o, "tandem_start_time_seconds", NULL,
	        (uint64_t)(clk_real_sec() - (int64_t)((clk_mono_ms() - d->started_ms) / 1000)));
	met_family(o, "tandem_config_loaded_time_seconds", "gauge",
	           "When the running configuration was loaded, seconds since the epoch.");
	met_u64(o, "tandem_config_loaded_time_seconds", NULL, (uint64_t)d->cfg_loaded_unix);
	met_family(o, "tandem_config_info", "gauge",
	           "Always 1; the digest (SHA-256, first 12 hex digits) of the running "
	           "configuration.");
	{
		char dig[13];

		snprintf(dig, sizeof(dig), "%.12s", d->digest);
		met_u64(o, "tandem_config_info", L("digest", dig), 1);
	}
	met_family(o, "tandem_node_role", "gauge",
	           "1 for the role this node has now, 0 for the others.");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		met_u64(o, "tandem_node_role", L("role", roles[i]), strcmp(role, roles[i]) == 0);
	met_family(o, "tandem_node_active", "gauge",
	           "1 when this node acts as the active one (holds the virtual addresses, "
	           "installs routes).");
	met_u64(o, "tandem_node_active", NULL, tandemd_ha_active(d));
	if (tandemd_sync_enabled(d))
		tandemd_sync_status(d, mismatch, sizeof(mismatch), &quorate);
	met_family(o, "tandem_cluster_quorate", "gauge",
	           "1 when the node's partition has quorum (always 1 for a node alone).");
	met_u64(o, "tandem_cluster_quorate", NULL, quorate);
	met_family(o, "tandem_cluster_nodes", "gauge", "Nodes in the cluster block (1 alone).");
	met_u64(o, "tandem_cluster_nodes", NULL,
	        d->cfg->cluster.present ? d->cfg->cluster.nnodes : 1);
	met_family(o, "tandem_cluster_config_digest_match", "gauge",
	           "1 when every node's configuration digest equals this node's.");
	met_u64(o, "tandem_cluster_config_digest_match", NULL, mismatch[0] == '\0');
}

/* ---- tunnels and routes ------------------------------------------------------------------ */

struct met_sa_count {
	const char *tunnel; /* NULL: all */
	uint64_t ike[IKE_PHASE_STANDBY + 1], child[IKE_PHASE_STANDBY + 1];
	bool established;
};

static void
met_sa_count_fn(void *arg, const struct ike_sa_state *st)
{
	struct met_sa_count *c = arg;

	if ((unsigned)st->phase > IKE_PHASE_STANDBY)
		return;
	c->ike[st->phase]++;
	c->child[st->phase] += st->nchildren;
	if ((st->phase == IKE_PHASE_ESTABLISHED || st->phase == IKE_PHASE_REKEYING) &&
	    st->nchildren)
		c->established = true;
}

static const char *const met_phase[] = {
        [IKE_PHASE_INIT_SENT] = "init_sent",     [IKE_PHASE_INIT_DONE] = "init_done",
        [IKE_PHASE_ESTABLISHED] = "established", [IKE_PHASE_REKEYING] = "rekeying",
        [IKE_PHASE_DELETING] = "deleting",       [IKE_PHASE_STANDBY] = "standby",
};

struct met_routes {
	struct buf *o;
	const char *family;
	/* per tunnel: prefixes it is preferred / backup for, and carries now */
	const char *tunnel;
	unsigned preferred, backup, carrying;
};

static void
met_route_fn(void *arg, const struct tandemd_ha_route_info *r)
{
	struct met_routes *m = arg;
	struct buf *o = m->o;

	if (m->tunnel) {
		if (r->managed && strcmp(r->tunnel, m->tunnel) == 0) {
			m->preferred += r->preferred;
			m->backup += !r->preferred;
			m->carrying += r->carrier;
		}
		return;
	}
	if (strcmp(m->family, "tandem_route_installed") == 0)
		met_u64(o, m->family,
		        L("prefix", r->prefix, "context", r->context, "interface", r->interface,
		          "tunnel", r->tunnel, "role",
		          !r->managed    ? "unmanaged"
		          : r->preferred ? "preferred"
		                         : "backup"),
		        r->installed);
	else if (strcmp(m->family, "tandem_route_cost") == 0)
		met_u64(o, m->family,
		        L("prefix", r->prefix, "context", r->context, "interface", r->interface,
		          "tunnel", r->tunnel),
		        r->metric);
	else if (strcmp(m->family, "tandem_route_carrier") == 0)
		met_u64(o, m->family,
		        L("prefix", r->prefix, "context", r->context, "interface", r->interface,
		          "tunnel", r->tunnel),
		        r->carrier);
	else if (strcmp(m->family, "tandem_route_last_change_time_seconds") == 0)
		met_u64(o, m->family,
		        L("prefix", r->prefix, "context", r->context, "interface", r->interface,
		          "tunnel", r->tunnel),
		        (uint64_t)(r->changed_unix > 0 ? r->changed_unix : 0));
}

static void
met_routes_family(struct tandemd *d, struct buf *o, const char *name, const char *help)
{
	struct met_routes m = {.o = o, .family = name};

	met_family(o, name, "gauge", help);
	tandemd_ha_walk_routes(d, met_route_fn, &m);
}

static void
met_tunnels(struct tandemd *d, struct buf *o)
{
	struct ike_engine *e = d->ike ? tandemd_ike_engine(d->ike) : NULL;
	const struct cfg_tunnel *t;

	met_family(o, "tandem_tunnel_up", "gauge",
	           "1 when the tunnel has an established Child SA (manual: its engine serves).");
	TAILQ_FOREACH(t, &d->cfg->tunnels, entry)
	{
		struct met_sa_count c = {.tunnel = t->name};
		const char *group = t->ctx && t->ctx->asp_group ? t->ctx->asp_group->name : "";
		bool up;

		if (t->kind == CFG_TUNNEL_MANUAL)
			up = d->eng && *group && eng_group_up(d->eng, group);
		else {
			if (e)
				ike_engine_walk_tunnel(e, t->name, met_sa_count_fn, &c);
			up = c.established;
		}
		met_u64(o, "tandem_tunnel_up", L("tunnel", t->name), !t->shutdown && up);
	}
	met_family(o, "tandem_tunnel_last_change_time_seconds", "gauge",
	           "When the tunnel last went up or down, seconds since the epoch (0: never).");
	TAILQ_FOREACH(t, &d->cfg->tunnels, entry)
	{
		bool up = false;
		int64_t when = 0;
		const char *why = "";

		if (!d->ike || !tandemd_ike_tunnel_last(d->ike, t->name, &up, &when, &why))
			when = 0;
		met_u64(o, "tandem_tunnel_last_change_time_seconds", L("tunnel", t->name),
		        (uint64_t)(when > 0 ? when : 0));
	}
	/* preferred vs backup: how many protected prefixes the tunnel is each for */
	met_family(o, "tandem_tunnel_prefixes", "gauge",
	           "Protected prefixes for which the tunnel is the preferred route (lowest "
	           "cost) or a backup, and how many it carries now (role=\"carrying\").");
	TAILQ_FOREACH(t, &d->cfg->tunnels, entry)
	{
		struct met_routes m = {.o = o, .tunnel = t->name};

		tandemd_ha_walk_routes(d, met_route_fn, &m);
		met_u64(o, "tandem_tunnel_prefixes", L("tunnel", t->name, "role", "preferred"),
		        m.preferred);
		met_u64(o, "tandem_tunnel_prefixes", L("tunnel", t->name, "role", "backup"),
		        m.backup);
		met_u64(o, "tandem_tunnel_prefixes", L("tunnel", t->name, "role", "carrying"),
		        m.carrying);
	}
	met_routes_family(d, o, "tandem_route_installed",
	                  "1 when the configured route is in the kernel's table now; role says "
	                  "whether it is its prefix's preferred (lowest cost) route or a backup.");
	met_routes_family(d, o, "tandem_route_cost",
	                  "The configured cost of the route (the kernel route's metric).");
	met_routes_family(d, o, "tandem_route_carrier",
	                  "1 when the route is the installed route of lowest cost of its prefix: "
	                  "the one that carries the traffic.");
	met_routes_family(d, o, "tandem_route_last_change_time_seconds",
	                  "When the route was last installed or withdrawn, seconds since the "
	                  "epoch (0: never).");
}

/* ---- IKE --------------------------------------------------------------------------------- */

static void
met_ike(struct tandemd *d, struct buf *o)
{
	struct ike_engine *e = d->ike ? tandemd_ike_engine(d->ike) : NULL;
	struct met_sa_count c = {0};
	struct ike_stats st;

	memset(&st, 0, sizeof(st));
	if (e) {
		ike_engine_walk(e, met_sa_count_fn, &c);
		ike_engine_stats(e, &st);
	}
	met_family(o, "tandem_ike_sas", "gauge", "IKE SAs by state.");
	for (unsigned p = IKE_PHASE_INIT_SENT; p <= IKE_PHASE_STANDBY; p++)
		met_u64(o, "tandem_ike_sas", L("state", met_phase[p]), c.ike[p]);
	met_family(o, "tandem_child_sas", "gauge",
	           "Child SAs (in/out pairs) by the state of their IKE SA (standby: held on a "
	           "standby node, not installed).");
	for (unsigned p = IKE_PHASE_INIT_SENT; p <= IKE_PHASE_STANDBY; p++)
		met_u64(o, "tandem_child_sas", L("state", met_phase[p]), c.child[p]);
	met_family(o, "tandem_ike_packets_total", "counter", "IKE datagrams by direction.");
	met_u64(o, "tandem_ike_packets_total", L("direction", "in"), st.rx_packets);
	met_u64(o, "tandem_ike_packets_total", L("direction", "out"), st.tx_packets);
	met_family(o, "tandem_ike_bytes_total", "counter", "IKE bytes by direction.");
	met_u64(o, "tandem_ike_bytes_total", L("direction", "in"), st.rx_bytes);
	met_u64(o, "tandem_ike_bytes_total", L("direction", "out"), st.tx_bytes);
	met_family(o, "tandem_ike_retransmits_total", "counter",
	           "IKE requests this node sent again for want of a response.");
	met_u64(o, "tandem_ike_retransmits_total", NULL, st.retransmits);
	met_family(o, "tandem_ike_sa_events_total", "counter",
	           "IKE SAs established, rekeyed and deleted.");
	met_u64(o, "tandem_ike_sa_events_total", L("event", "established"), st.ike_sa_established);
	met_u64(o, "tandem_ike_sa_events_total", L("event", "rekeyed"), st.ike_sa_rekeyed);
	met_u64(o, "tandem_ike_sa_events_total", L("event", "deleted"), st.ike_sa_deleted);
	met_family(o, "tandem_child_sa_events_total", "counter",
	           "Child SAs established, rekeyed and deleted.");
	met_u64(o, "tandem_child_sa_events_total", L("event", "established"),
	        st.child_sa_established);
	met_u64(o, "tandem_child_sa_events_total", L("event", "rekeyed"), st.child_sa_rekeyed);
	met_u64(o, "tandem_child_sa_events_total", L("event", "deleted"), st.child_sa_deleted);
	met_family(o, "tandem_ike_rejected_messages_total", "counter",
	           "IKE messages rejected, by reason (docs/ike.md).");
	for (int r = 0; r < IKE_REJ_COUNT; r++) {
		const struct ike_reject_info *ri = ike_reject_info((enum ike_reject)r);

		if (ri && ri->counter && strcmp(ri->counter, "none") != 0) /* 0: accepted */
			met_u64(o, "tandem_ike_rejected_messages_total", L("reason", ri->counter),
			        st.rejected[r]);
	}
}

/* ---- engines, ESP, leases ---------------------------------------------------------------- */

/* Drop reasons written for every group, 0 included: the ESP ones, then the engine's own. */
static const char *const met_eng_reasons[] = {"no_tunnel", "too_big", "no_engine"};
#define MET_NREASONS (ESP_DROP__COUNT - 1 + sizeof(met_eng_reasons) / sizeof(met_eng_reasons[0]))

struct met_eng {
	struct buf *o;
	int pass; /* which family this walk writes */
	char group[CFG_NAME_MAX];
	bool have_group;
	uint64_t drops[MET_NREASONS];
};

static const char *
met_reason(size_t i)
{
	return i < ESP_DROP__COUNT - 1 ? esp_drop_name((enum esp_drop)(i + 1))
	                               : met_eng_reasons[i - (ESP_DROP__COUNT - 1)];
}

/* Writes the group's drop counters collected so far (every known reason) and resets them. */
static void
met_drops_flush(struct met_eng *m)
{
	if (m->pass != 7 || !m->have_group)
		return;
	for (size_t i = 0; i < MET_NREASONS; i++)
		met_u64(m->o, "tandem_esp_dropped_packets_total",
		        L("group", m->group, "reason", met_reason(i)), m->drops[i]);
	memset(m->drops, 0, sizeof(m->drops));
}

static void
met_eng_group(void *arg, const struct eng_group_stats *g)
{
	struct met_eng *m = arg;

	met_drops_flush(m);
	snprintf(m->group, sizeof(m->group), "%s", g->group);
	m->have_group = true;
	if (m->pass == 0)
		met_u64(m->o, "tandem_engine_up", L("group", g->group), g->up);
	else if (m->pass == 1)
		met_u64(m->o, "tandem_engine_restarts_total", L("group", g->group), g->restarts);
	else if (m->pass == 2)
		met_dbl(m->o, "tandem_engine_last_failure_detect_seconds", L("group", g->group),
		        (double)g->last_down_ms / 1000.0);
}

static void
met_eng_sa(void *arg, const struct eng_sa_stats *s)
{
	struct met_eng *m = arg;
	char spi[12];
	const char *dir = s->inbound ? "in" : "out";

	snprintf(spi, sizeof(spi), "%08x", s->spi);
	if (m->pass == 3)
		met_u64(m->o, "tandem_esp_packets_total",
		        L("tunnel", s->tunnel, "spi", spi, "direction", dir), s->packets);
	else if (m->pass == 4)
		met_u64(m->o, "tandem_esp_bytes_total",
		        L("tunnel", s->tunnel, "spi", spi, "direction", dir), s->bytes);
	else if (m->pass == 5 && !s->inbound)
		met_u64(m->o, "tandem_esp_sequence_number", L("tunnel", s->tunnel, "spi", spi),
		        s->seq);
	else if (m->pass == 6 && !s->inbound)
		met_u64(m->o, "tandem_esp_sequence_lease_limit", L("tunnel", s->tunnel, "spi", spi),
		        s->lease_limit);
}

static void
met_eng_drop(void *arg, const char *reason, uint64_t count)
{
	struct met_eng *m = arg;
	size_t i = 0;

	if (m->pass != 7)
		return;
	while (i < MET_NREASONS && strcmp(met_reason(i), reason) != 0)
		i++;
	if (i < MET_NREASONS)
		m->drops[i] += count;
	else /* a reason this tandemd does not know: written as it comes */
		met_u64(m->o, "tandem_esp_dropped_packets_total",
		        L("group", m->group, "reason", reason), count);
}

static void
met_engines(struct tandemd *d, struct buf *o)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
	        {"tandem_engine_up", "gauge", "1 when the engine group's tandem-engine serves."},
	        {"tandem_engine_restarts_total", "counter",
	         "Engine starts after the first (restarts after a failure)."},
	        {"tandem_engine_last_failure_detect_seconds", "gauge",
	         "From the engine's last sign of life to the detection of its last failure."},
	        {"tandem_esp_packets_total", "counter",
	         "ESP packets per SA and direction (in: decrypted, out: encrypted), across "
	         "engine restarts."},
	        {"tandem_esp_bytes_total", "counter", "ESP payload bytes per SA and direction."},
	        {"tandem_esp_sequence_number", "gauge",
	         "Outbound SA: the last sequence number sent (last engine report)."},
	        {"tandem_esp_sequence_lease_limit", "gauge",
	         "Outbound SA: sequence numbers below this are leased to the engine (replicated "
	         "before they are used)."},
	        {"tandem_esp_dropped_packets_total", "counter",
	         "ESP packets dropped, by reason (docs/engine.md, \"Rejected ESP packets\"; "
	         "no_engine: arrived while the group had no engine)."},
	};

	for (int pass = 0; pass < (int)(sizeof(fam) / sizeof(fam[0])); pass++) {
		struct met_eng m = {.o = o, .pass = pass};

		met_family(o, fam[pass].name, fam[pass].type, fam[pass].help);
		if (d->eng)
			eng_sup_walk(d->eng, met_eng_group, met_eng_sa, met_eng_drop, &m);
		met_drops_flush(&m);
	}
}

/* ---- replication, failovers, events ------------------------------------------------------- */

static void
met_sync(struct tandemd *d, struct buf *o)
{
	struct sync_stats st;
	int64_t to_unix_ms = 0;
	uint32_t to_ms = 0;
	bool on;

	memset(&st, 0, sizeof(st));
	on = tandemd_sync_metrics(d, &st, &to_unix_ms, &to_ms);
	met_family(o, "tandem_cluster_members", "gauge",
	           "Nodes in the current corosync membership (1 for a node alone).");
	met_u64(o, "tandem_cluster_members", NULL, on ? st.members : 1);
	met_family(o, "tandem_replication_connected", "gauge",
	           "1 when connected to corosync (0 alone).");
	met_u64(o, "tandem_replication_connected", NULL, on && st.connected);
	met_family(o, "tandem_replication_messages_total", "counter",
	           "Replication messages by type and direction.");
	met_family(o, "tandem_replication_bytes_total", "counter",
	           "Replication bytes by type and direction.");
	for (int pass = 0; pass < 2 && on; pass++)
		for (int t = SYNC_T_NONE; t < SYNC_T_COUNT; t++) {
			const char *name = t == SYNC_T_NONE ? "undecodable"
			                                    : sync_type_name((enum sync_type)t);
			const char *fam = pass ? "tandem_replication_bytes_total"
			                       : "tandem_replication_messages_total";

			met_u64(o, fam, L("type", name, "direction", "out"),
			        pass ? st.tx_bytes[t] : st.tx_msgs[t]);
			met_u64(o, fam, L("type", name, "direction", "in"),
			        pass ? st.rx_bytes[t] : st.rx_msgs[t]);
		}
	met_family(o, "tandem_replication_rejected_messages_total", "counter",
	           "Replication messages refused, by reason.");
	for (int k = 0; k < SYNC_REJ_NR && on; k++)
		met_u64(o, "tandem_replication_rejected_messages_total",
		        L("reason", sync_rej_name((enum sync_rej)k)), st.rejected[k]);
	/*
	 * The replication layer keeps the last 1024 latencies and computes quantiles over them;
	 * it keeps no buckets, so this is a summary (no _sum, and _count is the window size).
	 */
	met_family(o, "tandem_replication_latency_seconds", "summary",
	           "Own change sent to the group until delivered back (sync before send), over "
	           "the last 1024 changes.");
	if (on) {
		met_dbl(o, "tandem_replication_latency_seconds", L("quantile", "0.5"),
		        (double)st.lat_p50_us / 1e6);
		met_dbl(o, "tandem_replication_latency_seconds", L("quantile", "0.99"),
		        (double)st.lat_p99_us / 1e6);
		met_dbl(o, "tandem_replication_latency_seconds", L("quantile", "1"),
		        (double)st.lat_max_us / 1e6);
		met_u64(o, "tandem_replication_latency_seconds_count", NULL, st.lat_n);
	}
	met_family(o, "tandem_replication_pending_changes", "gauge",
	           "Own changes sent, not yet delivered back.");
	met_u64(o, "tandem_replication_pending_changes", NULL, on ? st.pending : 0);
	met_family(o, "tandem_replication_store_sas", "gauge", "IKE SAs held in the store.");
	met_u64(o, "tandem_replication_store_sas", NULL, on ? st.store_sas : 0);
	met_family(o, "tandem_role_changes_total", "counter", "Role changes of this node.");
	met_u64(o, "tandem_role_changes_total", NULL, on ? st.role_changes : 0);
	met_family(o, "tandem_failovers_total", "counter",
	           "Times this node took over, by reason (active_left: the active node left the "
	           "group; switchover: planned; other).");
	for (unsigned i = 0; i < TANDEMD_FAILOVER_CLASSES; i++)
		met_u64(o, "tandem_failovers_total", L("reason", tandemd_failover_class_name(i)),
		        tandemd_failovers(d, i));
	met_family(o, "tandem_last_takeover_duration_seconds", "gauge",
	           "How long this node's last takeover took (standby SAs live, addresses "
	           "moved); 0 if it never took over.");
	met_dbl(o, "tandem_last_takeover_duration_seconds", NULL, (double)to_ms / 1000.0);
	met_family(o, "tandem_last_takeover_time_seconds", "gauge",
	           "When this node last became active, seconds since the epoch (0: never).");
	met_dbl(o, "tandem_last_takeover_time_seconds", NULL, (double)to_unix_ms / 1000.0);
}

static void
met_events(struct tandemd *d, struct buf *o)
{
	struct tandemd_metrics *m = d->metrics;
	unsigned subs = 0;
	uint64_t dropped = 0;

	met_family(o, "tandem_events_total", "counter",
	           "Events emitted (the same as `hactl monitor` shows and the log has), by kind.");
	for (int k = 0; k < TEV_KIND_COUNT; k++)
		met_u64(o, "tandem_events_total", L("kind", tandemd_ev_kind_name(k)),
		        tandemd_events_count(d, k));
	ctl_server_mon_stats(d->ctl, &subs, &dropped);
	met_family(o, "tandem_monitor_subscribers", "gauge", "Clients running `hactl monitor`.");
	met_u64(o, "tandem_monitor_subscribers", NULL, subs);
	met_family(o, "tandem_monitor_dropped_events_total", "counter",
	           "Events lost by `hactl monitor` clients that read too slowly.");
	met_u64(o, "tandem_monitor_dropped_events_total", NULL, dropped);
	/* as of this page's render (a page is reused for 500 ms) */
	met_family(o, "tandem_metrics_scrapes_total", "counter",
	           "GET /metrics served, as of this page's render.");
	met_u64(o, "tandem_metrics_scrapes_total", NULL, m ? m->scrapes : 0);
	met_family(o, "tandem_metrics_renders_total", "counter",
	           "Pages rendered (a page is reused for 500 ms).");
	met_u64(o, "tandem_metrics_renders_total", NULL, m ? m->renders + 1 : 1);
}

int
tandemd_metrics_render(struct tandemd *d, struct buf *out)
{
	met_node(d, out);
	met_tunnels(d, out);
	met_ike(d, out);
	met_engines(d, out);
	met_sync(d, out);
	met_events(d, out);
	return buf_ok(out) ? 0 : -ENOMEM;
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static void
met_http(struct evhttp_request *req, void *arg)
{
	struct tandemd *d = arg;
	struct tandemd_metrics *m = d->metrics;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *body;
	uint64_t now = clk_mono_ms();

	if (!m || !path || (strcmp(path, "/metrics") != 0 && strcmp(path, "/") != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is served here");
		return;
	}
	body = evbuffer_new();
	if (!body) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	if (strcmp(path, "/") == 0) {
		evbuffer_add_printf(body, "tandemd %s: metrics at /metrics\n", TANDEM_VERSION);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		                  "text/plain; charset=utf-8");
		evhttp_send_reply(req, HTTP_OK, "OK", body);
		evbuffer_free(body);
		return;
	}
	m->scrapes++;
	if (!m->have_page || now - m->page_ms >= MET_CACHE_MS) {
		buf_reset(&m->page);
		m->have_page = tandemd_metrics_render(d, &m->page) == 0;
		m->page_ms = now;
		m->renders++;
	}
	if (!m->have_page) {
		evbuffer_free(body);
		evhttp_send_error(req, HTTP_SERVUNAVAIL, "out of memory");
		return;
	}
	evbuffer_add(body, m->page.b_data, m->page.b_len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", MET_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void
met_stop(struct tandemd_metrics *m)
{
	if (m->http) {
		evhttp_free(m->http);
		m->http = NULL;
	}
	m->have_page = false;
}

int
tandemd_metrics_apply(struct tandemd *d)
{
	struct tandemd_metrics *m = d->metrics;
	const struct cfg *cfg = d->cfg;
	char a[64];

	if (!cfg->metrics_addr.family) {
		if (m && m->http)
			log_info("metrics endpoint stopped (no 'metrics listen' any more)");
		if (m)
			met_stop(m);
		return 0;
	}
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		buf_init(&m->page, false);
		d->metrics = m;
	}
	if (m->http && m->port == cfg->metrics_port &&
	    memcmp(&m->addr, &cfg->metrics_addr, sizeof(m->addr)) == 0)
		return 0; /* unchanged */
	met_stop(m);
	cfg_addr_str(&cfg->metrics_addr, a, sizeof(a));
	m->http = evhttp_new(d->base);
	if (!m->http)
		return -ENOMEM;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, MET_HDR_MAX);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, MET_TIMEOUT_S);
	evhttp_set_gencb(m->http, met_http, d);
	if (!evhttp_bind_socket_with_handle(m->http, a, cfg->metrics_port)) {
		int err = errno ? errno : EADDRINUSE;

		log_warnx("metrics endpoint: cannot listen on %s%s%s:%u: %s",
		          cfg->metrics_addr.family == AF_INET6 ? "[" : "", a,
		          cfg->metrics_addr.family == AF_INET6 ? "]" : "", cfg->metrics_port,
		          strerror(err));
		met_stop(m);
		return -err;
	}
	m->addr = cfg->metrics_addr;
	m->port = cfg->metrics_port;
	log_info("metrics endpoint: http://%s%s%s:%u/metrics",
	         cfg->metrics_addr.family == AF_INET6 ? "[" : "", a,
	         cfg->metrics_addr.family == AF_INET6 ? "]" : "", cfg->metrics_port);
	return 0;
}

void
tandemd_metrics_free(struct tandemd *d)
{
	struct tandemd_metrics *m = d->metrics;

	if (!m)
		return;
	met_stop(m);
	buf_fini(&m->page);
	free(m);
	d->metrics = NULL;
}
