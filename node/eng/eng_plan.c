/* SPDX-License-Identifier: MIT */
/*
 * From a configuration to what the engines must serve: for each engine group (the asp-group
 * of a tunnel's signalling context) the tunnels it carries, each with its TUN device name,
 * addresses, MTU, local address and the routes through its interface. Also the TUN naming
 * rule (eng_tun_name). Reads the model only; no system calls.
 */
#define LOG_SUBSYS "eng"
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/log.h"
#include "node/eng/eng_int.h"
#include "node/net/rt_tun.h"

/* "tdm" + 8 hex digits of the FNV-1a hash of "CTX/IFNAME". */
static void
eng_tun_hash(const char *ctx, const char *ifname, char out[16])
{
	uint32_t h = 2166136261u;
	const char *parts[] = {ctx, "/", ifname};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 16777619u;
	snprintf(out, 16, "tdm%08x", h);
}

void
eng_tun_name(const char *ctx, const char *ifname, char out[16])
{
	if (rt_ifname_valid(ifname))
		memcpy(out, ifname, strlen(ifname) + 1); /* valid: at most 15 bytes */
	else
		eng_tun_hash(ctx, ifname, out);
}

static bool
eng_plan_name_taken(const struct eng_plan *plan, const char *ifname)
{
	const struct eng_plan_group *pg;
	const struct eng_tunnel *t;

	TAILQ_FOREACH(pg, plan, entry)
	TAILQ_FOREACH(t, &pg->tunnels, entry)
	if (strcmp(t->ifname, ifname) == 0)
		return true;
	return false;
}

static struct eng_plan_group *
eng_plan_group_get(struct eng_plan *plan, const char *name)
{
	struct eng_plan_group *pg;

	TAILQ_FOREACH(pg, plan, entry)
	if (strcmp(pg->name, name) == 0)
		return pg;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return NULL;
	snprintf(pg->name, sizeof(pg->name), "%s", name);
	TAILQ_INIT(&pg->tunnels);
	buf_init(&pg->fp, false);
	TAILQ_INSERT_TAIL(plan, pg, entry);
	return pg;
}

static void
eng_plan_local(const struct cfg_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(ENG_NATT_PORT);
		memcpy(&s4->sin_addr, a->addr, 4);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ENG_NATT_PORT);
		memcpy(&s6->sin6_addr, a->addr, 16);
	}
}

/* Routes of every context written "ip route P IF cost N" with IF this tunnel's interface. */
static int
eng_plan_routes(const struct cfg *cfg, const struct cfg_interface *bind, struct eng_tunnel *t)
{
	const struct cfg_context *c;
	const struct cfg_route *r;
	unsigned n = 0;

	TAILQ_FOREACH(c, &cfg->contexts, entry)
	TAILQ_FOREACH(r, &c->routes, entry)
	n += r->via_if && r->iface == bind;
	if (n == 0)
		return 0;
	t->routes = calloc(n, sizeof(*t->routes));
	if (!t->routes)
		return -ENOMEM;
	TAILQ_FOREACH(c, &cfg->contexts, entry)
	{
		TAILQ_FOREACH(r, &c->routes, entry)
		{
			struct rt_route *rr;

			if (!r->via_if || r->iface != bind)
				continue;
			rr = &t->routes[t->nroutes++];
			rr->family = r->dst.a.family;
			memcpy(rr->dst, r->dst.a.addr, sizeof(rr->dst));
			rr->dst_len = r->dst.len;
			rr->metric = r->cost;
		}
	}
	return 0;
}

static void
eng_plan_fingerprint(struct eng_plan_group *pg, const struct eng_tunnel *t)
{
	char a[64];

	eng_sockaddr_str(&t->local, a, sizeof(a));
	buf_printf(&pg->fp, "tunnel %s dev %s mtu %u df %d local %s addrs", t->name, t->ifname,
	           t->mtu, (int)t->df, a);
	for (unsigned i = 0; i < t->naddrs; i++) {
		struct cfg_prefix p = {.a.family = t->addrs[i].family, .len = t->addrs[i].len};

		memcpy(p.a.addr, t->addrs[i].addr, sizeof(p.a.addr));
		cfg_prefix_str(&p, a, sizeof(a));
		buf_printf(&pg->fp, " %s", a);
	}
	buf_put_str(&pg->fp, "\n");
}

static int
eng_plan_tunnel(const struct cfg *cfg, const struct cfg_tunnel *ct, struct eng_plan *plan)
{
	const struct cfg_interface *bind = ct->bind;
	const struct cfg_asp_group *ag = ct->ctx->asp_group;
	struct eng_plan_group *pg = eng_plan_group_get(plan, ag->name);
	struct eng_tunnel *t;

	if (!pg)
		return -ENOMEM;
	if (pg->workers == 0) {
		/* one packet worker per ASP of the group: asp-count is the group's cores */
		pg->workers = ag->asp_count ? ag->asp_count : 1;
		buf_printf(&pg->fp, "workers %u\n", pg->workers);
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	snprintf(t->name, sizeof(t->name), "%s", ct->name);
	snprintf(t->cfg_if, sizeof(t->cfg_if), "%s", bind->name);
	snprintf(t->ctx, sizeof(t->ctx), "%s", bind->ctx ? bind->ctx->name : "");
	eng_tun_name(t->ctx, t->cfg_if, t->ifname);
	/* the same interface name in two contexts: the later one gets the hashed name */
	if (eng_plan_name_taken(plan, t->ifname))
		eng_tun_hash(t->ctx, t->cfg_if, t->ifname);
	TAILQ_INSERT_TAIL(&pg->tunnels, t, entry);
	for (unsigned i = 0; i < bind->naddrs; i++) {
		t->addrs[t->naddrs].family = bind->addrs[i].a.family;
		memcpy(t->addrs[t->naddrs].addr, bind->addrs[i].a.addr, 16);
		t->addrs[t->naddrs++].len = bind->addrs[i].len;
	}
	t->mtu = ct->mtu ? ct->mtu : ct->profile && ct->profile->mtu ? ct->profile->mtu : 0;
	if (t->mtu == 0)
		t->mtu = ENG_DEFAULT_MTU;
	t->df = ct->df_bit;
	eng_plan_local(&ct->local, &t->local);
	eng_plan_fingerprint(pg, t);
	return eng_plan_routes(cfg, bind, t);
}

int
eng_plan_build(const struct cfg *cfg, struct eng_plan *plan)
{
	const struct cfg_tunnel *ct;
	struct eng_plan_group *pg;
	int rc;

	TAILQ_INIT(plan);
	TAILQ_FOREACH(ct, &cfg->tunnels, entry)
	{
		if (ct->shutdown || !ct->bind || !ct->ctx || !ct->ctx->asp_group) {
			log_debug("tunnel %s: no engine serves it (%s)", ct->name,
			          ct->shutdown ? "shut down"
			          : !ct->bind  ? "no bound interface"
			                       : "its context has no asp-group");
			continue;
		}
		rc = eng_plan_tunnel(cfg, ct, plan);
		if (rc < 0)
			goto fail;
	}
	/* each fingerprint becomes a C string */
	TAILQ_FOREACH(pg, plan, entry)
	{
		if (!buf_put_u8(&pg->fp, 0) || !buf_ok(&pg->fp)) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	return 0;
fail:
	eng_plan_free(plan);
	return rc;
}

void
eng_plan_free(struct eng_plan *plan)
{
	struct eng_plan_group *pg;
	struct eng_tunnel *t;

	while ((pg = TAILQ_FIRST(plan))) {
		TAILQ_REMOVE(plan, pg, entry);
		while ((t = TAILQ_FIRST(&pg->tunnels))) {
			TAILQ_REMOVE(&pg->tunnels, t, entry);
			eng_tunnel_free(t);
		}
		buf_fini(&pg->fp);
		free(pg);
	}
}
