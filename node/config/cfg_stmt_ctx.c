/* SPDX-License-Identifier: MIT */
/*
 * Contexts (seed 004 §3: routing contexts with interfaces, static routes, the engine group
 * that serves them and IKE keepalive, §6.3), their interfaces (loopback, ipsec, ipsec multibind
 * which must be unnumbered, §9.3.1), and the global engine pools and groups (the seeds' ASP
 * pools and groups, §13). A context may be opened again; it then gains what follows.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/cfg.h"
#include "node/config/cfg_int.h"

enum { C_KEEPALIVE };
enum { I_UNNUMBERED, I_DESC };
enum { G_POOL, G_COUNT };

/* ---- context ------------------------------------------------------------------------------- */

static struct cfg_context *
cur_ctx(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

int
cfg_open_context(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	char name[CFG_NAME_MAX];
	struct cfg_context *ctx;
	bool created;

	if (cfg_name(p, st, 1, "context name", name))
		(void)cfg_end(p, st, 2);
	ctx = cfg_ctx_get(p, name, &created);
	if (!ctx)
		return -ENOMEM;
	if (created)
		ctx->loc = f->loc;
	f->obj = ctx;
	cfg_frame_where(f, "context %s", name);
	return 0;
}

static int
ctx_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_context *ctx = cur_ctx(p);

	if (ctx->description) {
		cfg_err_tok(p, st, 0, "the context already has a description (write it once)");
		return 0;
	}
	return cfg_text(p, st, 1, &ctx->description);
}

static int
ctx_asp_group(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w1[] = {"service", NULL}, *const w2[] = {"security", NULL};
	struct cfg_context *ctx = cur_ctx(p);
	char name[CFG_NAME_MAX];

	if (ctx->asp_group_loc.line) {
		cfg_err_tok(p, st, 0, "'asp-group' is already set on line %u (write it once)",
		            (unsigned)ctx->asp_group_loc.line);
		return 0;
	}
	if (!cfg_name(p, st, 1, "asp-group name", name) ||
	    cfg_choice(p, st, 2, "asp-group", w1) != 0 ||
	    cfg_choice(p, st, 3, "service", w2) != 0 || !cfg_end(p, st, 4))
		return 0;
	memcpy(ctx->asp_group_name, name, sizeof(name));
	ctx->asp_group_loc = cfg_tok_loc(p, st, 1);
	return 0;
}

static int
ctx_keepalive(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_context *ctx = cur_ctx(p);
	uint32_t interval = 10, retries = 3;
	bool seen_i = false, seen_r = false;
	unsigned i = 2;

	if (!cfg_once(p, st, C_KEEPALIVE))
		return 0;
	while (i < st->n) {
		if (cfg_is(st, i, "interval") && !seen_i) {
			seen_i = true;
			if (!cfg_u32(p, st, i + 1, "interval", 2, 3600, "2-3600 seconds",
			             &interval))
				return 0;
		} else if (cfg_is(st, i, "retries") && !seen_r) {
			seen_r = true;
			if (!cfg_u32(p, st, i + 1, "retries", 1, 10, "1-10", &retries))
				return 0;
		} else {
			(void)cfg_end(p, st, i);
			return 0;
		}
		i += 2;
	}
	ctx->ike_keepalive = true;
	ctx->dpd_interval_sec = interval;
	ctx->dpd_retries = retries;
	return 0;
}

static int
ctx_no_keepalive(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_context *ctx = cur_ctx(p);

	if (cfg_once(p, st, C_KEEPALIVE) && cfg_end(p, st, 3)) {
		ctx->ike_keepalive = false;
		ctx->dpd_interval_sec = 10;
		ctx->dpd_retries = 3;
	}
	return 0;
}

/* "ip route PREFIX {NEXTHOP | IFNAME} [cost N]" */
static bool
route_parse(struct cfg_parser *p, const struct cfg_stmt *st, struct cfg_route *rt)
{
	char e[80];

	if (!cfg_arg_prefix(p, st, 2, "route prefix", false, &rt->dst) ||
	    !cfg_need(p, st, 3, "next hop or interface"))
		return false;
	rt->via_loc = cfg_tok_loc(p, st, 3);
	if (cfg_addr_parse(st->t[3].s, &rt->nexthop)) {
		if (rt->nexthop.family != rt->dst.a.family) {
			cfg_err_tok(p, st, 3, "the next hop is not of the prefix's address family");
			return false;
		}
	} else if (cfg_name_valid(st->t[3].s)) {
		rt->via_if = true;
		snprintf(rt->ifname, sizeof(rt->ifname), "%s", st->t[3].s);
	} else {
		cfg_safe_str(st->t[3].s, 64, e, sizeof(e));
		cfg_err_tok(p, st, 3, "'%s' is neither an address nor an interface name", e);
		return false;
	}
	if (cfg_is(st, 4, "cost") &&
	    !cfg_u32(p, st, 5, "cost", 0, UINT32_MAX, "0-4294967295", &rt->cost))
		return false;
	return cfg_end(p, st, cfg_is(st, 4, "cost") ? 6 : 4);
}

static int
ctx_route(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_context *ctx = cur_ctx(p);
	struct cfg_route *rt = calloc(1, sizeof(*rt)), *old = NULL;
	char key[160], dst[64], via[64];
	int rc;

	if (!rt)
		return -ENOMEM;
	rt->loc = cfg_tok_loc(p, st, 0);
	rt->ctx = ctx;
	if (!route_parse(p, st, rt)) {
		free(rt);
		return 0;
	}
	TAILQ_INSERT_TAIL(&ctx->routes, rt, entry);
	cfg_prefix_str(&rt->dst, dst, sizeof(dst));
	if (rt->via_if)
		snprintf(via, sizeof(via), "%s", rt->ifname);
	else
		cfg_addr_str(&rt->nexthop, via, sizeof(via));
	snprintf(key, sizeof(key), "%s %s", dst, via);
	rc = cfg_index_add(p->names, CFG_NS_ROUTE, ctx, key, rt, (void **)&old);
	if (rc == -EEXIST)
		cfg_err_tok(p, st, 2, "the route to %s via %s is already configured on line %u",
		            dst, via, (unsigned)old->loc.line);
	return rc == -ENOMEM ? rc : 0;
}

static const struct cfg_kw ctx_kws[] = {
        {{"description"}, ctx_description, CFG_BLK_NONE},
        {{"interface"}, cfg_open_interface, CFG_BLK_INTERFACE},
        {{"ip", "route"}, ctx_route, CFG_BLK_NONE},
        {{"asp-group"}, ctx_asp_group, CFG_BLK_NONE},
        {{"ike", "policy"}, cfg_open_ike_policy, CFG_BLK_IKE_POLICY},
        {{"ike2", "policy"}, cfg_open_ike_policy, CFG_BLK_IKE_POLICY},
        {{"ipsec", "access-list"}, cfg_open_acl, CFG_BLK_ACL},
        {{"ipsec", "profile"}, cfg_open_profile, CFG_BLK_PROFILE},
        {{"ike", "keepalive"}, ctx_keepalive, CFG_BLK_NONE},
        {{"no", "ike", "keepalive"}, ctx_no_keepalive, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_context = {"context", ctx_kws,
                                            sizeof(ctx_kws) / sizeof(ctx_kws[0]), NULL, true};

/* ---- interface ---------------------------------------------------------------------------- */

static struct cfg_interface *
cur_if(struct cfg_parser *p)
{
	return cfg_cur(p)->obj;
}

static enum cfg_if_kind
if_kind(struct cfg_parser *p, const struct cfg_stmt *st)
{
	if (st->n == 2)
		return CFG_IF_PLAIN;
	if (cfg_is(st, 2, "loopback") && cfg_end(p, st, 3))
		return CFG_IF_LOOPBACK;
	if (cfg_is(st, 2, "ipsec") && st->n == 3)
		return CFG_IF_IPSEC;
	if (cfg_is(st, 2, "ipsec") && cfg_is(st, 3, "multibind") && cfg_end(p, st, 4))
		return CFG_IF_IPSEC_MULTIBIND;
	if (!cfg_is(st, 2, "loopback") && !cfg_is(st, 2, "ipsec"))
		(void)cfg_choice(p, st, 2, "interface kind",
		                 (const char *const[]){"loopback", "ipsec", NULL});
	else if (cfg_is(st, 2, "ipsec"))
		(void)cfg_choice(p, st, 3, "ipsec interface kind",
		                 (const char *const[]){"multibind", NULL});
	return CFG_IF_PLAIN;
}

int
cfg_open_interface(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_context *ctx = p->frames[p->depth - 2].obj;
	struct cfg_interface *ifc = calloc(1, sizeof(*ifc));
	int rc;

	if (!ifc)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&ctx->interfaces, ifc, entry);
	ifc->loc = f->loc;
	ifc->ctx = ctx;
	f->obj = ifc;
	if (cfg_name(p, st, 1, "interface name", ifc->name))
		ifc->kind = if_kind(p, st);
	cfg_frame_where(f, "interface %s", ifc->name);
	rc = cfg_register(p, st, 1, CFG_NS_INTERFACE, ctx, ifc->name, ifc,
	                  offsetof(struct cfg_interface, loc), "interface");
	return rc == -ENOMEM ? rc : 0;
}

static int
if_address(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_interface *ifc = cur_if(p);
	struct cfg_prefix a;

	if (ifc->kind == CFG_IF_IPSEC_MULTIBIND) {
		cfg_err_tok(p, st, 0,
		            "an ipsec multibind interface has no address of its own (seed 004 "
		            "§9.3.1; expected 'ip unnumbered IF')");
		return 0;
	}
	if (!cfg_arg_prefix(p, st, 2, "address", true, &a) || !cfg_end(p, st, 3))
		return 0;
	for (unsigned i = 0; i < ifc->naddrs; i++) {
		if (cfg_addr_eq(&ifc->addrs[i].a, &a.a)) {
			cfg_err_tok(p, st, 2, "the interface already has this address");
			return 0;
		}
	}
	if (ifc->naddrs == CFG_MAX_IF_ADDRS) {
		cfg_err_tok(p, st, 0, "more than %u addresses", CFG_MAX_IF_ADDRS);
		return 0;
	}
	ifc->addrs[ifc->naddrs++] = a;
	return 0;
}

static int
if_unnumbered(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_interface *ifc = cur_if(p);

	if (!cfg_once(p, st, I_UNNUMBERED))
		return 0;
	if (ifc->kind != CFG_IF_IPSEC_MULTIBIND) {
		cfg_err_tok(p, st, 0,
		            "'ip unnumbered' is only for 'ipsec multibind' interfaces "
		            "(seed 004 §9.3.1)");
		return 0;
	}
	ifc->unnumbered_loc = cfg_tok_loc(p, st, 2);
	if (cfg_name(p, st, 2, "interface name", ifc->unnumbered))
		(void)cfg_end(p, st, 3);
	return 0;
}

static int
if_description(struct cfg_parser *p, const struct cfg_stmt *st)
{
	return cfg_description(p, st, I_DESC, &cur_if(p)->description);
}

static int
if_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_interface *ifc = f->obj;

	if (ifc->kind == CFG_IF_IPSEC_MULTIBIND && !cfg_was_set(f, I_UNNUMBERED))
		cfg_err_at(p, &f->loc,
		           "an ipsec multibind interface must be unnumbered (seed 004 "
		           "§9.3.1; expected 'ip unnumbered IF')");
	return 0;
}

static const struct cfg_kw if_kws[] = {
        {{"ip", "address"}, if_address, CFG_BLK_NONE},
        {{"ip", "unnumbered"}, if_unnumbered, CFG_BLK_NONE},
        {{"description"}, if_description, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_interface = {"interface", if_kws,
                                              sizeof(if_kws) / sizeof(if_kws[0]), if_close, false};

/* ---- asp pool and asp group --------------------------------------------------------------- */

int
cfg_open_asp_pool(struct cfg_parser *p, const struct cfg_stmt *st)
{
	static const char *const w1[] = {"service", NULL}, *const w2[] = {"security", NULL};
	struct cfg_frame *f = cfg_top(p);
	struct cfg_asp_pool *pool = calloc(1, sizeof(*pool));
	int rc;

	if (!pool)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->asp_pools, pool, entry);
	pool->loc = f->loc;
	f->obj = pool;
	if (cfg_name(p, st, 2, "pool name", pool->name) &&
	    cfg_choice(p, st, 3, "asp pool", w1) == 0 && cfg_choice(p, st, 4, "service", w2) == 0)
		(void)cfg_end(p, st, 5);
	cfg_frame_where(f, "asp pool %s", pool->name);
	rc = cfg_register(p, st, 2, CFG_NS_ASP_POOL, NULL, pool->name, pool,
	                  offsetof(struct cfg_asp_pool, loc), "asp pool");
	return rc == -ENOMEM ? rc : 0;
}

/* "S/N": an engine slot, 1-3 digits each side. */
static bool
asp_valid(const char *s)
{
	size_t a = strspn(s, "0123456789"), b;

	if (a == 0 || a > 3 || s[a] != '/')
		return false;
	b = strspn(s + a + 1, "0123456789");
	return b > 0 && b <= 3 && s[a + 1 + b] == '\0';
}

static int
pool_asp(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_asp_pool *pool = cfg_cur(p)->obj;
	char e[80];

	if (!cfg_need(p, st, 1, "engine slot (S/N)"))
		return 0;
	if (!asp_valid(st->t[1].s)) {
		cfg_safe_str(st->t[1].s, 64, e, sizeof(e));
		cfg_err_tok(p, st, 1, "'%s' is not an engine slot (expected S/N, e.g. 2/1)", e);
		return 0;
	}
	if (!cfg_end(p, st, 2))
		return 0;
	for (unsigned i = 0; i < pool->nasps; i++) {
		if (strcmp(pool->asps[i], st->t[1].s) == 0) {
			cfg_err_tok(p, st, 1, "asp %s is already in the pool", st->t[1].s);
			return 0;
		}
	}
	if (pool->nasps == CFG_MAX_POOL_ASPS) {
		cfg_err_tok(p, st, 0, "more than %u engines in one pool", CFG_MAX_POOL_ASPS);
		return 0;
	}
	snprintf(pool->asps[pool->nasps++], sizeof(pool->asps[0]), "%s", st->t[1].s);
	return 0;
}

static int
pool_close(struct cfg_parser *p, struct cfg_frame *f)
{
	struct cfg_asp_pool *pool = f->obj;

	if (pool->nasps == 0)
		cfg_err_at(p, &f->loc, "no 'asp S/N' (expected at least one engine)");
	return 0;
}

static const struct cfg_kw pool_kws[] = {
        {{"asp"}, pool_asp, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_asp_pool = {"asp pool", pool_kws, 1, pool_close, false};

int
cfg_open_asp_group(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_frame *f = cfg_top(p);
	struct cfg_asp_group *g = calloc(1, sizeof(*g));
	int rc;

	if (!g)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&p->cfg->asp_groups, g, entry);
	g->loc = f->loc;
	g->asp_count = 1;
	f->obj = g;
	if (cfg_name(p, st, 2, "group name", g->name))
		(void)cfg_end(p, st, 3);
	cfg_frame_where(f, "asp group %s", g->name);
	rc = cfg_register(p, st, 2, CFG_NS_ASP_GROUP, NULL, g->name, g,
	                  offsetof(struct cfg_asp_group, loc), "asp group");
	return rc == -ENOMEM ? rc : 0;
}

static int
group_pool(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_asp_group *g = cfg_cur(p)->obj;

	if (!cfg_once(p, st, G_POOL))
		return 0;
	g->pool_loc = cfg_tok_loc(p, st, 1);
	if (cfg_name(p, st, 1, "pool name", g->pool_name))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
group_count(struct cfg_parser *p, const struct cfg_stmt *st)
{
	struct cfg_asp_group *g = cfg_cur(p)->obj;

	if (cfg_once(p, st, G_COUNT) &&
	    cfg_u32(p, st, 1, "asp-count", 1, CFG_MAX_POOL_ASPS, "1-16", &g->asp_count))
		(void)cfg_end(p, st, 2);
	return 0;
}

static int
group_close(struct cfg_parser *p, struct cfg_frame *f)
{
	if (!cfg_was_set(f, G_POOL))
		cfg_err_at(p, &f->loc, "missing 'pool P' (expected the pool the group draws from)");
	return 0;
}

static const struct cfg_kw group_kws[] = {
        {{"pool"}, group_pool, CFG_BLK_NONE},
        {{"asp-count"}, group_count, CFG_BLK_NONE},
};

const struct cfg_blk_def cfg_blk_asp_group = {"asp group", group_kws, 2, group_close, false};
