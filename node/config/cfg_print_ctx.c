/* SPDX-License-Identifier: MIT */
/*
 * The canonical form of contexts (interfaces, routes, IKE policies, ACLs, profiles), tunnels
 * and the cluster block. Lists without names (routes, nodes, addresses) are sorted by value so
 * that the order in which a file writes them does not change the digest.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"
#include "node/config/cfg_print_int.h"

/* NOLINTBEGIN(bugprone-macro-parentheses): type is a type name */
#define NAME_CMP(fn, type)                                                           \
	static int fn(const void *a, const void *b)                                  \
	{                                                                            \
		return strcmp((*(type *const *)a)->name, (*(type *const *)b)->name); \
	}
/* NOLINTEND(bugprone-macro-parentheses) */

NAME_CMP(if_cmp, struct cfg_interface)
NAME_CMP(pol_cmp, struct cfg_ike_policy)
NAME_CMP(acl_cmp, struct cfg_acl)
NAME_CMP(prof_cmp, struct cfg_profile)
NAME_CMP(ctx_cmp, struct cfg_context)
NAME_CMP(tun_cmp, struct cfg_tunnel)

/* NOLINTBEGIN(bugprone-macro-parentheses): type is a type name */
#define PRINT_SORTED(w, head, type, cmp, fn)                                                       \
	do {                                                                                       \
		size_t n_ = 0;                                                                     \
		type *e_;                                                                          \
		void **v_;                                                                         \
		TAILQ_FOREACH(e_, head, entry)                                                     \
		n_++;                                                                              \
		v_ = cfg_pr_sorted(w, TAILQ_FIRST(head), offsetof(type, entry.tqe_next), n_, cmp); \
		for (size_t i_ = 0; v_ && i_ < n_; i_++)                                           \
			fn(w, (const type *)v_[i_]);                                               \
		free(v_);                                                                          \
	} while (0)
/* NOLINTEND(bugprone-macro-parentheses) */

static const char *const df_names[] = {"propagate", "set", "clear"};

/* ---- context contents ---------------------------------------------------------------------- */

static void
pr_interface(struct cfg_pr *w, const struct cfg_interface *ifc)
{
	static const char *const kinds[] = {"", " loopback", " ipsec", " ipsec multibind"};
	char a[64];

	cfg_pr_line(w, 1, "interface %s%s", ifc->name, kinds[ifc->kind]);
	cfg_pr_description(w, 2, ifc->description);
	for (unsigned i = 0; i < ifc->naddrs; i++) {
		cfg_prefix_str(&ifc->addrs[i], a, sizeof(a));
		cfg_pr_line(w, 2, "ip address %s", a);
	}
	if (ifc->unnumbered[0])
		cfg_pr_line(w, 2, "ip unnumbered %s", ifc->unnumbered);
	cfg_pr_close(w, 1);
}

static void
route_via(const struct cfg_route *rt, char *out, size_t cap)
{
	if (rt->via_if)
		snprintf(out, cap, "%s", rt->ifname);
	else
		cfg_addr_str(&rt->nexthop, out, cap);
}

static int
route_cmp(const void *a, const void *b)
{
	const struct cfg_route *x = *(const struct cfg_route *const *)a;
	const struct cfg_route *y = *(const struct cfg_route *const *)b;
	char vx[64], vy[64];
	int c = cfg_prefix_cmp(&x->dst, &y->dst);

	if (c)
		return c;
	route_via(x, vx, sizeof(vx));
	route_via(y, vy, sizeof(vy));
	c = strcmp(vx, vy);
	if (c)
		return c;
	return x->cost < y->cost ? -1 : (x->cost > y->cost);
}

static void
pr_route(struct cfg_pr *w, const struct cfg_route *rt)
{
	char dst[64], via[64];

	cfg_prefix_str(&rt->dst, dst, sizeof(dst));
	route_via(rt, via, sizeof(via));
	if (w->verbose || rt->cost)
		cfg_pr_line(w, 1, "ip route %s %s cost %u", dst, via, (unsigned)rt->cost);
	else
		cfg_pr_line(w, 1, "ip route %s %s", dst, via);
}

static void
pr_ike_policy_v(struct cfg_pr *w, const struct cfg_ike_policy *pol)
{
	bool v1 = pol->version == CFG_IKEV1, v = w->verbose;

	if (v1 && (v || pol->mode != CFG_MODE_MAIN))
		cfg_pr_line(w, 2, "mode %s", pol->mode == CFG_MODE_MAIN ? "main" : "aggressive");
	if (!v1 && (v || pol->auth_method != CFG_AUTH_PSK))
		cfg_pr_line(w, 2, "authentication %s",
		            pol->auth_method == CFG_AUTH_PSK ? "pre-shared-key" : "rsa-signature");
	if (pol->validate_cert_id)
		cfg_pr_line(w, 2, "validate-certificate-identity");
	if (pol->addr_alloc_aaa)
		cfg_pr_line(w, 2, "address-allocation aaa");
	if (!v1 && (v || pol->lifetime_sec != 86400))
		cfg_pr_line(w, 2, "lifetime seconds %u", (unsigned)pol->lifetime_sec);
}

static void
pr_ike_policy(struct cfg_pr *w, const struct cfg_ike_policy *pol)
{
	static const char *const conn[] = {"both", "initiator-only", "responder-only"};
	char id[2 * CFG_ID_MAX + 16];

	cfg_pr_line(w, 1, "%s policy %s", pol->version == CFG_IKEV1 ? "ike" : "ike2", pol->name);
	cfg_pr_description(w, 2, pol->description);
	if (w->verbose || pol->conn_type != CFG_CONN_BOTH)
		cfg_pr_line(w, 2, "connection-type %s", conn[pol->conn_type]);
	if (pol->id_local.type != CFG_ID_NONE) {
		cfg_id_str(&pol->id_local, id, sizeof(id));
		cfg_pr_line(w, 2, "identity local %s", id);
	}
	if (pol->id_remote.type != CFG_ID_NONE) {
		cfg_id_str(&pol->id_remote, id, sizeof(id));
		cfg_pr_line(w, 2, "identity remote %s", id);
	}
	pr_ike_policy_v(w, pol);
	if (pol->psk.kind == CFG_PSK_AAA)
		cfg_pr_line(w, 2, "pre-shared-key use-aaa");
	else if (pol->psk.kind == CFG_PSK_KEY)
		cfg_pr_key_line(w, 2, "pre-shared-key", &pol->psk.key);
	for (unsigned i = 0; i < pol->nprops; i++)
		cfg_pr_line(w, 2, "seq %u proposal %s", (unsigned)pol->props[i].seq,
		            pol->props[i].name);
	cfg_pr_close(w, 1);
}

/* " eq 80", " lt 1024", " gt 1023", " range 10 20"; nothing for any port. */
static void
port_str(const struct cfg_port_range *r, char *out, size_t cap)
{
	if (r->lo == 0 && r->hi == 65535)
		out[0] = '\0';
	else if (r->lo == r->hi)
		snprintf(out, cap, " eq %u", r->lo);
	else if (r->lo == 0)
		snprintf(out, cap, " lt %u", r->hi + 1u);
	else if (r->hi == 65535)
		snprintf(out, cap, " gt %u", r->lo - 1u);
	else
		snprintf(out, cap, " range %u %u", r->lo, r->hi);
}

static void
pr_rule(struct cfg_pr *w, const struct cfg_acl_rule *r)
{
	char proto[16], src[64], dst[64], sp[32], dp[32];
	const char *name = cfg_proto_name(r->proto);

	if (name)
		snprintf(proto, sizeof(proto), "%s", name);
	else
		snprintf(proto, sizeof(proto), "%u", r->proto);
	cfg_prefix_str(&r->src, src, sizeof(src));
	cfg_prefix_str(&r->dst, dst, sizeof(dst));
	port_str(&r->sport, sp, sizeof(sp));
	port_str(&r->dport, dp, sizeof(dp));
	if (w->verbose || r->proto)
		cfg_pr_line(w, 2, "seq %u %s %s%s %s%s", (unsigned)r->seq, proto, src, sp, dst, dp);
	else
		cfg_pr_line(w, 2, "seq %u %s%s %s%s", (unsigned)r->seq, src, sp, dst, dp);
}

static void
pr_acl(struct cfg_pr *w, const struct cfg_acl *acl)
{
	cfg_pr_line(w, 1, "ipsec access-list %s", acl->name);
	cfg_pr_description(w, 2, acl->description);
	for (unsigned i = 0; i < acl->nrules; i++)
		pr_rule(w, &acl->rules[i]);
	cfg_pr_close(w, 1);
}

static void
pr_seq(struct cfg_pr *w, unsigned depth, const struct cfg_tunnel_seq *s)
{
	char line[256];
	size_t len;

	len = (size_t)snprintf(line, sizeof(line), "seq %u", (unsigned)s->seq);
	if (s->policy_name[0])
		len += (size_t)snprintf(line + len, sizeof(line) - len, " ipsec-policy %s",
		                        s->policy_name);
	if (s->sa_name[0] && len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len, " security-association %s",
		                        s->sa_name);
	if (s->acl_name[0] && len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, " access-group %s", s->acl_name);
	cfg_pr_line(w, depth, "%s", line);
}

static void
pr_profile(struct cfg_pr *w, const struct cfg_profile *prof)
{
	cfg_pr_line(w, 1, "ipsec profile %s", prof->name);
	cfg_pr_description(w, 2, prof->description);
	if (w->verbose || prof->df_bit != CFG_DF_PROPAGATE)
		cfg_pr_line(w, 2, "df-bit %s", df_names[prof->df_bit]);
	if (prof->mtu)
		cfg_pr_line(w, 2, "mtu %u", (unsigned)prof->mtu);
	for (unsigned i = 0; i < prof->nseqs; i++)
		pr_seq(w, 2, &prof->seqs[i]);
	cfg_pr_close(w, 1);
}

/* ---- contexts ------------------------------------------------------------------------------ */

static bool
ctx_empty(const struct cfg_context *ctx)
{
	return !ctx->description && !ctx->asp_group_name[0] && !ctx->ike_keepalive &&
	       TAILQ_EMPTY(&ctx->interfaces) && TAILQ_EMPTY(&ctx->routes) &&
	       TAILQ_EMPTY(&ctx->ike_policies) && TAILQ_EMPTY(&ctx->acls) &&
	       TAILQ_EMPTY(&ctx->profiles);
}

static void
pr_keepalive(struct cfg_pr *w, const struct cfg_context *ctx)
{
	char line[96];
	size_t len;

	if (!ctx->ike_keepalive) {
		if (w->verbose)
			cfg_pr_line(w, 1, "no ike keepalive");
		return;
	}
	len = (size_t)snprintf(line, sizeof(line), "ike keepalive");
	if (w->verbose || ctx->dpd_interval_sec != 10)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " interval %u",
		                        (unsigned)ctx->dpd_interval_sec);
	if (w->verbose || ctx->dpd_retries != 3)
		snprintf(line + len, sizeof(line) - len, " retries %u", (unsigned)ctx->dpd_retries);
	cfg_pr_line(w, 1, "%s", line);
}

static void
pr_routes(struct cfg_pr *w, const struct cfg_context *ctx)
{
	size_t n = 0;
	struct cfg_route *rt;
	void **v;

	TAILQ_FOREACH(rt, &ctx->routes, entry)
	n++;
	v = cfg_pr_sorted(w, TAILQ_FIRST(&ctx->routes), offsetof(struct cfg_route, entry.tqe_next),
	                  n, route_cmp);
	for (size_t i = 0; v && i < n; i++)
		pr_route(w, v[i]);
	free(v);
}

static void
pr_context(struct cfg_pr *w, const struct cfg_context *ctx)
{
	/* An empty "local" means nothing whether the file named it or not. */
	if (strcmp(ctx->name, CFG_DEFAULT_CONTEXT) == 0 && ctx_empty(ctx))
		return;
	cfg_pr_line(w, 0, "context %s", ctx->name);
	cfg_pr_description(w, 1, ctx->description);
	if (ctx->asp_group_name[0])
		cfg_pr_line(w, 1, "asp-group %s service security", ctx->asp_group_name);
	pr_keepalive(w, ctx);
	PRINT_SORTED(w, &ctx->interfaces, struct cfg_interface, if_cmp, pr_interface);
	pr_routes(w, ctx);
	PRINT_SORTED(w, &ctx->ike_policies, struct cfg_ike_policy, pol_cmp, pr_ike_policy);
	PRINT_SORTED(w, &ctx->acls, struct cfg_acl, acl_cmp, pr_acl);
	PRINT_SORTED(w, &ctx->profiles, struct cfg_profile, prof_cmp, pr_profile);
	cfg_pr_close(w, 0);
}

void
cfg_pr_contexts(struct cfg_pr *w, const struct cfg *cfg)
{
	PRINT_SORTED(w, &cfg->contexts, struct cfg_context, ctx_cmp, pr_context);
}

/* ---- tunnels ------------------------------------------------------------------------------- */

static void
pr_tunnel_ends(struct cfg_pr *w, const struct cfg_tunnel *t)
{
	char loc[64], rem[64], id[2 * CFG_ID_MAX + 16];
	bool local_ctx = strcmp(t->ctx_name, CFG_DEFAULT_CONTEXT) == 0;

	cfg_addr_str(&t->local, loc, sizeof(loc));
	cfg_addr_str(&t->remote, rem, sizeof(rem));
	cfg_pr_line(w, 1, "peer-end-point local %s%s%s%s%s", loc,
	            t->remote.family ? " remote " : "", t->remote.family ? rem : "",
	            w->verbose || !local_ctx ? " context " : "",
	            w->verbose || !local_ctx ? t->ctx_name : "");
	if (w->verbose || strcmp(t->bind_ctx, t->ctx_name) != 0)
		cfg_pr_line(w, 1, "bind interface %s %s", t->bind_if, t->bind_ctx);
	else
		cfg_pr_line(w, 1, "bind interface %s", t->bind_if);
	if (t->remote_id.type != CFG_ID_NONE) {
		cfg_id_str(&t->remote_id, id, sizeof(id));
		cfg_pr_line(w, 1, "remote-id %s", id);
	}
	if (t->ike_policy_name[0])
		cfg_pr_line(w, 1, "ike-policy %s", t->ike_policy_name);
}

static void
pr_tunnel(struct cfg_pr *w, const struct cfg_tunnel *t)
{
	static const char *const kinds[] = {"", " on-demand", " manual"};

	cfg_pr_line(w, 0, "tunnel ipsec %s%s%s", t->name, kinds[t->kind],
	            t->economical ? " economical" : "");
	cfg_pr_description(w, 1, t->description);
	if (t->shutdown)
		cfg_pr_line(w, 1, "shutdown");
	pr_tunnel_ends(w, t);
	for (unsigned i = 0; i < t->nseqs; i++)
		pr_seq(w, 1, &t->seqs[i]);
	if (w->verbose || t->df_bit != CFG_DF_PROPAGATE)
		cfg_pr_line(w, 1, "df-bit %s", df_names[t->df_bit]);
	if (t->mtu)
		cfg_pr_line(w, 1, "mtu %u", (unsigned)t->mtu);
	if (t->qos_name[0])
		cfg_pr_line(w, 1, "qos policy queuing %s", t->qos_name);
	if (t->ts_guided_routes)
		cfg_pr_line(w, 1, "ip route traffic-selector-guided");
	if (t->kind == CFG_TUNNEL_ON_DEMAND && (w->verbose || t->max_tunnels))
		cfg_pr_line(w, 1, "max-tunnels %u", (unsigned)t->max_tunnels);
	cfg_pr_close(w, 0);
}

void
cfg_pr_tunnels(struct cfg_pr *w, const struct cfg *cfg)
{
	PRINT_SORTED(w, &cfg->tunnels, struct cfg_tunnel, tun_cmp, pr_tunnel);
}

/* ---- cluster ------------------------------------------------------------------------------- */

static int
node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cfg_cluster_node *)a)->name,
	              ((const struct cfg_cluster_node *)b)->name);
}

static int
vip_cmp(const void *a, const void *b)
{
	const struct cfg_vip *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	return c ? c : cfg_prefix_cmp(&x->prefix, &y->prefix);
}

static void
pr_cluster_nodes(struct cfg_pr *w, const struct cfg_cluster *cl)
{
	struct cfg_cluster_node nodes[CFG_MAX_CLUSTER_NODES];
	struct cfg_vip vips[CFG_MAX_VIPS];
	char a[64];

	memcpy(nodes, cl->nodes, cl->nnodes * sizeof(nodes[0]));
	qsort(nodes, cl->nnodes, sizeof(nodes[0]), node_cmp);
	for (unsigned i = 0; i < cl->nnodes; i++) {
		cfg_addr_str(&nodes[i].addr, a, sizeof(a));
		cfg_pr_line(w, 1, "node %s id %u priority %u address %s", nodes[i].name,
		            (unsigned)nodes[i].id, (unsigned)nodes[i].priority, a);
	}
	if (cl->preempt)
		cfg_pr_line(w, 1, "preempt");
	memcpy(vips, cl->vips, cl->nvips * sizeof(vips[0]));
	qsort(vips, cl->nvips, sizeof(vips[0]), vip_cmp);
	for (unsigned i = 0; i < cl->nvips; i++) {
		cfg_prefix_str(&vips[i].prefix, a, sizeof(a));
		cfg_pr_line(w, 1, "virtual-address %s interface %s", a, vips[i].ifname);
	}
}

void
cfg_pr_cluster(struct cfg_pr *w, const struct cfg *cfg)
{
	const struct cfg_cluster *cl = &cfg->cluster;
	bool size = w->verbose || cl->lease_size != 65536;
	bool refill = w->verbose || cl->lease_refill_pct != 50;

	if (!cl->present)
		return;
	cfg_pr_line(w, 0, "cluster %s", cl->name);
	pr_cluster_nodes(w, cl);
	if (size && refill)
		cfg_pr_line(w, 1, "sequence-lease size %u refill %u", (unsigned)cl->lease_size,
		            (unsigned)cl->lease_refill_pct);
	else if (size)
		cfg_pr_line(w, 1, "sequence-lease size %u", (unsigned)cl->lease_size);
	else if (refill)
		cfg_pr_line(w, 1, "sequence-lease refill %u", (unsigned)cl->lease_refill_pct);
	if (w->verbose || cl->replay_report_every != 1024)
		cfg_pr_line(w, 1, "replay-report every %u", (unsigned)cl->replay_report_every);
	cfg_pr_close(w, 0);
}
