/* SPDX-License-Identifier: MIT */
/*
 * Tunnel and cluster rules of the second phase. A tunnel's names resolve as
 * docs/configuration.md says: its IKE policy in the signalling context, its bind interface in
 * the bind context, its ACLs there and then in the signalling context (seed 004 Example 16),
 * its on-demand profile next to its multibind interface (§9.3.3). Static and on-demand tunnels
 * of one context may not share a remote identity (§9.3); use-aaa is for on-demand ones (§7).
 * Tunnels with one local endpoint address share one engine group (docs/engine.md). A tunnel
 * whose IPsec proposals all need AH or IPComp, which tandem does not do, is flagged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

static void
names_of_ifs(const struct cfg_context *ctx, char *out, size_t cap)
{
	const struct cfg_interface *ifc;
	size_t len = 0;

	snprintf(out, cap, "none");
	TAILQ_FOREACH(ifc, &ctx->interfaces, entry)
	{
		if (len < cap && ifc->name[0])
			len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
			                        ifc->name);
	}
}

static void
names_of_policies(const struct cfg_context *ctx, char *out, size_t cap)
{
	const struct cfg_ike_policy *pol;
	size_t len = 0;

	snprintf(out, cap, "none");
	TAILQ_FOREACH(pol, &ctx->ike_policies, entry)
	{
		if (len < cap && pol->name[0])
			len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
			                        pol->name);
	}
}

/* Whether addr is the address of an interface of ctx or a cluster VIP. */
static bool
local_known(const struct cfg *cfg, const struct cfg_context *ctx, const struct cfg_addr *addr)
{
	const struct cfg_interface *ifc;

	TAILQ_FOREACH(ifc, &ctx->interfaces, entry)
	{
		for (unsigned i = 0; i < ifc->naddrs; i++) {
			if (cfg_addr_eq(&ifc->addrs[i].a, addr))
				return true;
		}
	}
	for (unsigned i = 0; cfg->cluster.present && i < cfg->cluster.nvips; i++) {
		if (cfg_addr_eq(&cfg->cluster.vips[i].prefix.a, addr))
			return true;
	}
	return false;
}

static void
tun_ctx(struct cfg_parser *p, struct cfg_tunnel *t)
{
	char a[64];

	if (!t->ctx_loc.line)
		snprintf(t->ctx_name, sizeof(t->ctx_name), "%s", CFG_DEFAULT_CONTEXT);
	if (!t->bind_ctx_loc.line && t->bind_if[0])
		memcpy(t->bind_ctx, t->ctx_name, sizeof(t->bind_ctx));
	if (!t->ctx_name[0])
		return;
	t->ctx = cfg_index_get(p->names, CFG_NS_CONTEXT, NULL, t->ctx_name);
	if (!t->ctx) {
		cfg_err_at(p, &t->ctx_loc, "context '%s' is not defined", t->ctx_name);
		return;
	}
	if (t->local.family && !local_known(p->cfg, t->ctx, &t->local)) {
		cfg_addr_str(&t->local, a, sizeof(a));
		cfg_warn_at(p, &t->local_loc,
		            "local address %s is not an address of an interface in context %s "
		            "(it must be up when the tunnel starts)",
		            a, t->ctx_name);
	}
	if (!t->ctx->asp_group_name[0])
		cfg_warn_at(p, &t->loc,
		            "context %s has no 'asp-group G service security': no engine serves "
		            "this tunnel, which will not come up",
		            t->ctx_name);
}

static void
tun_bind_kind(struct cfg_parser *p, struct cfg_tunnel *t, struct cfg_interface *ifc)
{
	if (t->kind == CFG_TUNNEL_ON_DEMAND) {
		if (ifc->kind != CFG_IF_IPSEC_MULTIBIND)
			cfg_err_at(p, &t->bind_loc,
			           "an on-demand tunnel binds an 'ipsec multibind' interface, and "
			           "%s is not one (seed 004 §9.3.1)",
			           ifc->name);
		return;
	}
	if (ifc->kind == CFG_IF_IPSEC_MULTIBIND) {
		cfg_err_at(p, &t->bind_loc,
		           "interface %s is an ipsec multibind interface, which serves on-demand "
		           "tunnels (expected an interface of this tunnel's own)",
		           ifc->name);
	} else if (ifc->bound_by) {
		cfg_err_at(p, &t->bind_loc,
		           "interface %s is already bound to tunnel %s (an interface serves one "
		           "static or manual tunnel)",
		           ifc->name, ifc->bound_by->name);
	} else {
		ifc->bound_by = t;
	}
}

static void
tun_bind(struct cfg_parser *p, struct cfg_tunnel *t)
{
	struct cfg_context *bctx;
	char list[256];

	if (!t->bind_if[0] || !t->bind_ctx[0])
		return;
	bctx = cfg_index_get(p->names, CFG_NS_CONTEXT, NULL, t->bind_ctx);
	if (!bctx) {
		if (t->bind_ctx_loc.line)
			cfg_err_at(p, &t->bind_ctx_loc, "context '%s' is not defined", t->bind_ctx);
		return;
	}
	t->bind = cfg_index_get(p->names, CFG_NS_INTERFACE, bctx, t->bind_if);
	if (!t->bind) {
		names_of_ifs(bctx, list, sizeof(list));
		cfg_err_at(p, &t->bind_loc,
		           "interface '%s' is not defined in context %s (defined there: %s)",
		           t->bind_if, bctx->name, list);
		return;
	}
	tun_bind_kind(p, t, t->bind);
}

static void
tun_ike_policy(struct cfg_parser *p, struct cfg_tunnel *t)
{
	struct cfg_ike_policy *pol;
	char list[256];

	if (!t->ike_policy_name[0] || !t->ctx)
		return;
	pol = t->ike_policy =
	        cfg_index_get(p->names, CFG_NS_IKE_POLICY, t->ctx, t->ike_policy_name);
	if (!pol) {
		names_of_policies(t->ctx, list, sizeof(list));
		cfg_err_at(p, &t->ike_policy_loc,
		           "ike-policy '%s' is not defined in context %s (defined there: %s)",
		           t->ike_policy_name, t->ctx->name, list);
		return;
	}
	if (pol->version == CFG_IKEV1)
		cfg_warn_at(
		        p, &t->ike_policy_loc,
		        "ike policy %s is an IKEv1 policy; tandem negotiates IKEv2 only: tunnel "
		        "%s will not come up",
		        pol->name, t->name);
	if (pol->psk.kind == CFG_PSK_AAA && t->kind != CFG_TUNNEL_ON_DEMAND)
		cfg_err_at(p, &t->ike_policy_loc,
		           "ike policy %s uses 'pre-shared-key use-aaa', which only on-demand "
		           "tunnels can (seed 004 §7)",
		           pol->name);
	if (pol->id_remote.wildcard && t->kind != CFG_TUNNEL_ON_DEMAND)
		cfg_err_at(p, &t->ike_policy_loc,
		           "ike policy %s has a wildcard 'identity remote', which only on-demand "
		           "tunnels can use (seed 004 §9.3)",
		           pol->name);
}

static void
tun_seqs(struct cfg_parser *p, struct cfg_tunnel *t)
{
	struct cfg_context *acl_ctx = t->bind ? t->bind->ctx : t->ctx;
	char list[256];

	for (unsigned i = 0; i < t->nseqs; i++) {
		struct cfg_tunnel_seq *s = &t->seqs[i];

		cfg_seq_refs(p, s, acl_ctx, t->ctx);
		if (!s->sa_name[0])
			continue;
		s->sa = cfg_index_get(p->names, CFG_NS_IPSEC_SA, NULL, s->sa_name);
		if (!s->sa) {
			size_t len = 0;
			struct cfg_ipsec_sa *sa;

			snprintf(list, sizeof(list), "none");
			TAILQ_FOREACH(sa, &p->cfg->ipsec_sas, entry)
			{
				if (len < sizeof(list) && sa->name[0])
					len += (size_t)snprintf(list + len, sizeof(list) - len,
					                        "%s%s", len ? ", " : "", sa->name);
			}
			cfg_err_at(p, &s->sa_loc,
			           "security-association '%s' is not defined (defined: %s)",
			           s->sa_name, list);
		}
	}
}

static void
tun_qos_profile(struct cfg_parser *p, struct cfg_tunnel *t)
{
	if (t->qos_name[0]) {
		t->qos = cfg_index_get(p->names, CFG_NS_QOS, NULL, t->qos_name);
		if (!t->qos)
			cfg_err_at(p, &t->qos_loc, "qos policy '%s' is not defined", t->qos_name);
	}
	if (t->kind != CFG_TUNNEL_ON_DEMAND || !t->bind || !t->name[0])
		return;
	t->profile = cfg_index_get(p->names, CFG_NS_PROFILE, t->bind->ctx, t->name);
	if (!t->profile && !(t->ike_policy && t->ike_policy->psk.kind == CFG_PSK_AAA))
		cfg_err_at(p, &t->loc,
		           "no 'ipsec profile %s' in context %s (an on-demand tunnel uses the "
		           "profile named after it, in its multibind interface's context: seed 004 "
		           "§9.3.3)",
		           t->name, t->bind->ctx->name);
}

/* Whether the seq entries' policies hold a proposal (*any) and one tandem can negotiate (*ok). */
static void
seqs_negotiable(const struct cfg_tunnel_seq *seqs, unsigned n, bool *any, bool *ok)
{
	for (unsigned i = 0; i < n; i++) {
		const struct cfg_ipsec_policy *pol = seqs[i].policy;

		for (unsigned k = 0; pol && k < pol->nprops; k++) {
			const struct cfg_ipsec_proposal *pr = pol->props[k].prop;

			if (!pr)
				continue;
			*any = true;
			*ok = *ok || (!pr->ah && !pr->ipcomp);
		}
	}
}

/*
 * Each such proposal has its own warning; this one says what it means for the tunnel. An
 * on-demand tunnel negotiates with its profile's policies; a manual tunnel negotiates nothing
 * (its security associations warn about AH and IPComp themselves).
 */
static void
tun_negotiable(struct cfg_parser *p, const struct cfg_tunnel *t)
{
	bool any = false, ok = false;

	if (t->kind == CFG_TUNNEL_STATIC)
		seqs_negotiable(t->seqs, t->nseqs, &any, &ok);
	else if (t->kind == CFG_TUNNEL_ON_DEMAND && t->profile)
		seqs_negotiable(t->profile->seqs, t->profile->nseqs, &any, &ok);
	if (any && !ok)
		cfg_warn_at(p, &t->loc,
		            "tunnel %s: none of its IPsec proposals can be negotiated (tandem does "
		            "not do AH or IP compression): it will not come up",
		            t->name);
}

/* Two static tunnels of a context with one local endpoint and remote-id are one to IKE. */
static int
tun_static_key(struct cfg_parser *p, struct cfg_tunnel *t)
{
	char id[2 * CFG_ID_MAX + 16], key[sizeof(id) + 64], a[64];
	struct cfg_tunnel *old = NULL;
	int rc;

	if (t->kind != CFG_TUNNEL_STATIC || !t->ctx || t->remote_id.type == CFG_ID_NONE)
		return 0;
	cfg_id_str(&t->remote_id, id, sizeof(id));
	cfg_addr_str(&t->local, a, sizeof(a));
	snprintf(key, sizeof(key), "%s %s", a, id);
	rc = cfg_index_add(p->names, CFG_NS_STATIC_KEY, t->ctx, key, t, (void **)&old);
	if (rc == -EEXIST)
		cfg_err_at(p, &t->remote_id_loc,
		           "tunnel %s has the same local endpoint and remote-id as tunnel %s in "
		           "context %s (IKE could not tell them apart)",
		           t->name, old->name, t->ctx->name);
	else if (rc == 0)
		rc = cfg_index_add(p->names, CFG_NS_STATIC_ID, t->ctx, id, t, NULL);
	return rc == -ENOMEM ? rc : 0;
}

/*
 * One UDP 4500 socket per local address is handed to one engine process (docs/engine.md, "Who
 * owns what"), so every tunnel with that local endpoint must be served by that process's group
 * (seed 004 §9.3 likewise maps the tunnels of one context and local IP to one ASP). Tunnels
 * whose context has no engine group are left out: they already have a warning.
 */
static int
tun_engine_group(struct cfg_parser *p, struct cfg_tunnel *t)
{
	struct cfg_tunnel *old = NULL;
	char a[64];
	int rc;

	if (!t->local.family || !t->ctx || !t->ctx->asp_group)
		return 0;
	cfg_addr_str(&t->local, a, sizeof(a));
	rc = cfg_index_add(p->names, CFG_NS_LOCAL_EP, NULL, a, t, (void **)&old);
	if (rc == -EEXIST && old->ctx->asp_group != t->ctx->asp_group)
		cfg_err_at(p, &t->pep_loc,
		           "local endpoint %s is already served by engine group %s (tunnel %s); "
		           "this tunnel's context %s uses %s",
		           a, old->ctx->asp_group->name, old->name, t->ctx->name,
		           t->ctx->asp_group->name);
	return rc == -ENOMEM ? rc : 0;
}

/* Seed 004 §9.3: one remote identity is static or on-demand in a context, not both. */
static void
tun_ondemand_id(struct cfg_parser *p, struct cfg_tunnel *t)
{
	char id[2 * CFG_ID_MAX + 16];
	struct cfg_tunnel *st;

	if (t->kind != CFG_TUNNEL_ON_DEMAND || !t->ike_policy || !t->ctx ||
	    t->ike_policy->id_remote.type == CFG_ID_NONE)
		return;
	cfg_id_str(&t->ike_policy->id_remote, id, sizeof(id));
	st = cfg_index_get(p->names, CFG_NS_STATIC_ID, t->ctx, id);
	if (st)
		cfg_err_at(p, &t->ike_policy_loc,
		           "remote identity %s is used by static tunnel %s and by this on-demand "
		           "tunnel (ike policy %s) in context %s (seed 004 §9.3: not both)",
		           id, st->name, t->ike_policy->name, t->ctx->name);
}

int
cfg_validate_tunnels(struct cfg_parser *p)
{
	struct cfg_tunnel *t;
	int rc;

	TAILQ_FOREACH(t, &p->cfg->tunnels, entry)
	{
		cfg_where(p, "tunnel ipsec %s", t->name);
		tun_ctx(p, t);
		tun_bind(p, t);
		tun_ike_policy(p, t);
		tun_seqs(p, t);
		tun_qos_profile(p, t);
		tun_negotiable(p, t);
		rc = tun_static_key(p, t);
		if (rc == 0)
			rc = tun_engine_group(p, t);
		if (rc)
			return rc;
	}
	TAILQ_FOREACH(t, &p->cfg->tunnels, entry)
	{
		cfg_where(p, "tunnel ipsec %s", t->name);
		tun_ondemand_id(p, t);
	}
	return 0;
}

/* ---- cluster ------------------------------------------------------------------------------- */

static void
cluster_nodes(struct cfg_parser *p, const struct cfg_cluster *cl)
{
	for (unsigned i = 0; i < cl->nnodes; i++) {
		const struct cfg_cluster_node *a = &cl->nodes[i];

		for (unsigned j = 0; j < i; j++) {
			const struct cfg_cluster_node *b = &cl->nodes[j];

			if (strcmp(a->name, b->name) == 0)
				cfg_err_at(p, &a->loc, "node name %s is already used on line %u",
				           a->name, (unsigned)b->loc.line);
			else if (a->id == b->id)
				cfg_err_at(p, &a->loc, "node id %u is already used by node %s",
				           (unsigned)a->id, b->name);
			else if (cfg_addr_eq(&a->addr, &b->addr))
				cfg_err_at(p, &a->loc, "node address is already used by node %s",
				           b->name);
		}
	}
}

int
cfg_validate_cluster(struct cfg_parser *p)
{
	const struct cfg_cluster *cl = &p->cfg->cluster;

	if (!cl->present)
		return 0;
	cfg_where(p, "cluster %s", cl->name);
	cluster_nodes(p, cl);
	if (cl->nnodes == 0)
		cfg_err_at(p, &cl->loc, "no 'node' (expected 1 to %u nodes)",
		           CFG_MAX_CLUSTER_NODES);
	if (cl->nnodes > 1 && cl->nvips == 0)
		cfg_err_at(p, &cl->loc,
		           "no 'virtual-address' (a cluster of %u nodes needs at "
		           "least one address for the active node to own)",
		           cl->nnodes);
	for (unsigned i = 0; i < cl->nvips; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (cfg_addr_eq(&cl->vips[i].prefix.a, &cl->vips[j].prefix.a))
				cfg_err_at(p, &cl->vips[i].loc,
				           "virtual-address is already configured on line %u",
				           (unsigned)cl->vips[j].loc.line);
		}
	}
	return 0;
}
