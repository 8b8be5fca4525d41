/* SPDX-License-Identifier: MIT */
/*
 * The second phase: after the whole file is read, every reference is resolved (definitions may
 * follow their use) and the rules that span objects are checked: IKE policies name proposals
 * of their own IKE version (seed 004 §6.4), IPsec policies name IPsec proposals (§8.2), engine
 * groups fit their pools, routes and unnumbered interfaces name interfaces of their context.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

/* "a, b, c, …" of the names in a TAILQ, for "defined there: …". */
#define NAMES_LIST(head, out, cap)                                                 \
	do {                                                                       \
		size_t len_ = 0;                                                   \
		unsigned n_ = 0;                                                   \
		__typeof__(TAILQ_FIRST(head)) e_;                                  \
		(out)[0] = '\0';                                                   \
		TAILQ_FOREACH(e_, head, entry)                                     \
		{                                                                  \
			if (!e_->name[0])                                          \
				continue;                                          \
			if (n_++ == 6) {                                           \
				snprintf((out) + len_, (cap)-len_, ", …");         \
				break;                                             \
			}                                                          \
			len_ += (size_t)snprintf((out) + len_, (cap)-len_, "%s%s", \
			                         len_ ? ", " : "", e_->name);      \
			if (len_ >= (cap))                                         \
				break;                                             \
		}                                                                  \
		if (!n_)                                                           \
			snprintf((out), (cap), "none");                            \
	} while (0)

static void
undefined(struct cfg_parser *p, const struct cfg_loc *loc, const char *what, const char *name,
          const char *in, const char *defined)
{
	if (in)
		cfg_err_at(p, loc, "%s '%s' is not defined in context %s (defined there: %s)", what,
		           name, in, defined);
	else
		cfg_err_at(p, loc, "%s '%s' is not defined (defined: %s)", what, name, defined);
}

/* ---- proposals in policies ---------------------------------------------------------------- */

static void
ike_policy_refs(struct cfg_parser *p, struct cfg_ike_policy *pol)
{
	char list[256];
	bool psk = false, rsa = false;

	for (unsigned i = 0; i < pol->nprops; i++) {
		struct cfg_ike_proposal_ref *r = &pol->props[i];

		r->prop = cfg_index_get(p->names, CFG_NS_IKE_PROP, NULL, r->name);
		if (!r->prop) {
			NAMES_LIST(&p->cfg->ike_proposals, list, sizeof(list));
			undefined(p, &r->loc, "proposal", r->name, NULL, list);
		} else if (r->prop->version != pol->version) {
			cfg_err_at(p, &r->loc,
			           "proposal '%s' is an IKEv%d proposal; an IKEv%d policy takes "
			           "IKEv%d proposals (seed 004 §6.4)",
			           r->name, r->prop->version, pol->version, pol->version);
		} else {
			psk = psk || r->prop->auth_method == CFG_AUTH_PSK;
			rsa = rsa || r->prop->auth_method == CFG_AUTH_RSA_SIG;
		}
	}
	if (pol->nprops == 0)
		cfg_err_at(p, &pol->loc, "no 'seq N proposal P' (expected 1 to %u proposals)",
		           CFG_MAX_IKE_PROPOSALS);
	if (pol->version != CFG_IKEV1)
		return;
	if (psk && pol->psk.kind == CFG_PSK_NONE)
		cfg_err_at(p, &pol->loc,
		           "no 'pre-shared-key' (expected one: a proposal of this "
		           "policy authenticates with pre-shared-key)");
	if (pol->validate_cert_id && !rsa)
		cfg_err_at(p, &pol->loc,
		           "'validate-certificate-identity' needs a proposal with "
		           "'authentication rsa-signature'");
}

static void
ipsec_policy_refs(struct cfg_parser *p, struct cfg_ipsec_policy *pol)
{
	char list[256];

	cfg_where(p, "ipsec policy %s", pol->name);
	for (unsigned i = 0; i < pol->nprops; i++) {
		struct cfg_ipsec_proposal_ref *r = &pol->props[i];

		r->prop = cfg_index_get(p->names, CFG_NS_IPSEC_PROP, NULL, r->name);
		if (!r->prop) {
			NAMES_LIST(&p->cfg->ipsec_proposals, list, sizeof(list));
			undefined(p, &r->loc, "proposal", r->name, NULL, list);
		}
	}
	if (pol->nprops == 0)
		cfg_err_at(p, &pol->loc, "no 'seq N proposal P' (expected 1 to %u proposals)",
		           CFG_MAX_IPSEC_PROPS);
}

static void
asp_group_refs(struct cfg_parser *p, struct cfg_asp_group *g)
{
	char list[256];

	cfg_where(p, "asp group %s", g->name);
	if (!g->pool_name[0])
		return;
	g->pool = cfg_index_get(p->names, CFG_NS_ASP_POOL, NULL, g->pool_name);
	if (!g->pool) {
		NAMES_LIST(&p->cfg->asp_pools, list, sizeof(list));
		undefined(p, &g->pool_loc, "pool", g->pool_name, NULL, list);
	} else if (g->asp_count > g->pool->nasps) {
		cfg_err_at(p, &g->loc, "asp-count %u is more than pool %s's %u engine%s",
		           (unsigned)g->asp_count, g->pool->name, g->pool->nasps,
		           g->pool->nasps == 1 ? "" : "s");
	}
}

/* ---- contexts ------------------------------------------------------------------------------ */

static void
ctx_interfaces(struct cfg_parser *p, struct cfg_context *ctx)
{
	struct cfg_interface *ifc;
	char list[256];

	TAILQ_FOREACH(ifc, &ctx->interfaces, entry)
	{
		if (!ifc->unnumbered[0])
			continue;
		cfg_where(p, "interface %s", ifc->name);
		ifc->unnumbered_if =
		        cfg_index_get(p->names, CFG_NS_INTERFACE, ctx, ifc->unnumbered);
		if (!ifc->unnumbered_if) {
			NAMES_LIST(&ctx->interfaces, list, sizeof(list));
			undefined(p, &ifc->unnumbered_loc, "interface", ifc->unnumbered, ctx->name,
			          list);
		} else if (ifc->unnumbered_if->naddrs == 0) {
			cfg_err_at(p, &ifc->unnumbered_loc,
			           "interface '%s' has no address to lend (expected an interface "
			           "with 'ip address')",
			           ifc->unnumbered);
		}
	}
}

static void
ctx_routes(struct cfg_parser *p, struct cfg_context *ctx)
{
	struct cfg_route *rt;
	char list[256];

	cfg_where(p, "context %s", ctx->name);
	TAILQ_FOREACH(rt, &ctx->routes, entry)
	{
		if (!rt->via_if)
			continue;
		rt->iface = cfg_index_get(p->names, CFG_NS_INTERFACE, ctx, rt->ifname);
		if (!rt->iface) {
			NAMES_LIST(&ctx->interfaces, list, sizeof(list));
			undefined(p, &rt->via_loc, "interface", rt->ifname, ctx->name, list);
		}
	}
}

/* An ACL named by a seq: in ctx, then (for tunnels) in the signalling context. */
struct cfg_acl *
cfg_acl_lookup(struct cfg_parser *p, struct cfg_context *a, struct cfg_context *b, const char *name)
{
	struct cfg_acl *acl = a ? cfg_index_get(p->names, CFG_NS_ACL, a, name) : NULL;

	if (!acl && b)
		acl = cfg_index_get(p->names, CFG_NS_ACL, b, name);
	return acl;
}

/* Resolves the policy and ACL names of one seq entry (tunnels and profiles). */
void
cfg_seq_refs(struct cfg_parser *p, struct cfg_tunnel_seq *s, struct cfg_context *acl_ctx,
             struct cfg_context *acl_ctx2)
{
	char list[256];

	if (s->policy_name[0]) {
		s->policy = cfg_index_get(p->names, CFG_NS_IPSEC_POLICY, NULL, s->policy_name);
		if (!s->policy) {
			NAMES_LIST(&p->cfg->ipsec_policies, list, sizeof(list));
			undefined(p, &s->policy_loc, "ipsec-policy", s->policy_name, NULL, list);
		}
	}
	if (s->acl_name[0] && acl_ctx) {
		s->acl = cfg_acl_lookup(p, acl_ctx, acl_ctx2, s->acl_name);
		if (!s->acl) {
			NAMES_LIST(&acl_ctx->acls, list, sizeof(list));
			undefined(p, &s->acl_loc, "access-group", s->acl_name, acl_ctx->name, list);
		}
	}
}

static void
ctx_refs(struct cfg_parser *p, struct cfg_context *ctx)
{
	struct cfg_ike_policy *pol;
	struct cfg_profile *prof;
	char list[256];

	cfg_where(p, "context %s", ctx->name);
	if (ctx->asp_group_name[0]) {
		ctx->asp_group =
		        cfg_index_get(p->names, CFG_NS_ASP_GROUP, NULL, ctx->asp_group_name);
		if (!ctx->asp_group) {
			NAMES_LIST(&p->cfg->asp_groups, list, sizeof(list));
			undefined(p, &ctx->asp_group_loc, "asp-group", ctx->asp_group_name, NULL,
			          list);
		}
	}
	ctx_interfaces(p, ctx);
	ctx_routes(p, ctx);
	TAILQ_FOREACH(pol, &ctx->ike_policies, entry)
	{
		cfg_where(p, "%s policy %s", pol->version == CFG_IKEV1 ? "ike" : "ike2", pol->name);
		ike_policy_refs(p, pol);
	}
	TAILQ_FOREACH(prof, &ctx->profiles, entry)
	{
		cfg_where(p, "ipsec profile %s", prof->name);
		for (unsigned i = 0; i < prof->nseqs; i++)
			cfg_seq_refs(p, &prof->seqs[i], ctx, NULL);
	}
}

int
cfg_validate(struct cfg_parser *p)
{
	struct cfg *cfg = p->cfg;
	struct cfg_ipsec_policy *ipol;
	struct cfg_asp_group *g;
	struct cfg_context *ctx;
	bool created;
	int rc;

	ctx = cfg_ctx_get(p, CFG_DEFAULT_CONTEXT, &created);
	if (!ctx)
		return -ENOMEM;
	if (created) {
		ctx->implicit = true;
		ctx->loc.file = p->file; /* line 0: written nowhere */
	}
	TAILQ_FOREACH(ipol, &cfg->ipsec_policies, entry)
	ipsec_policy_refs(p, ipol);
	TAILQ_FOREACH(g, &cfg->asp_groups, entry)
	asp_group_refs(p, g);
	TAILQ_FOREACH(ctx, &cfg->contexts, entry)
	ctx_refs(p, ctx);
	rc = cfg_validate_tunnels(p);
	if (rc == 0)
		rc = cfg_validate_cluster(p);
	return rc;
}
