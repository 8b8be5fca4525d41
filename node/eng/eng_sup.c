/* SPDX-License-Identifier: MIT */
/*
 * The engine supervisor's public face (eng_sup.h): creation, applying a configuration
 * (engine groups started, changed ones restarted, removed ones stopped; UDP 4500 sockets
 * opened and closed; routes updated in place), queries for the IKE side and hactl, and the
 * timing knobs.
 */
#define LOG_SUBSYS "eng"
#include "eng_sup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/eng/eng_int.h"
#include "node/eng/eng_manual.h"

void
eng_sup_timing_default(struct eng_sup_timing *t)
{
	t->heartbeat_ms = 20;
	t->missed_beats = 3;
	t->grace_ms = 20;
	t->start_timeout_ms = 2000;
	t->backoff_first_ms = 100;
	t->backoff_max_ms = 5000;
	t->healthy_ms = 10000;
	t->stats_ms = 1000;
	t->engine_nice = -10;
}

void
eng_sup_set_timing(struct eng_sup *sup, const struct eng_sup_timing *t)
{
	sup->tm = *t;
	if (sup->tm.heartbeat_ms == 0)
		sup->tm.heartbeat_ms = 20;
	if (sup->tm.missed_beats == 0)
		sup->tm.missed_beats = 3;
}

const char *
eng_down_reason_name(enum eng_down_reason r)
{
	switch (r) {
	case ENG_DOWN_EXITED:
		return "exited";
	case ENG_DOWN_HUNG:
		return "hung";
	case ENG_DOWN_PROTOCOL:
		return "protocol";
	case ENG_DOWN_STOPPED:
		return "stopped";
	}
	return "none";
}

int
eng_sup_new(struct event_base *base, const char *engine_path, const struct eng_sup_events *ev,
            void *arg, struct eng_sup **out)
{
	struct eng_sup *sup;
	int rc;

	if (strlen(engine_path) >= sizeof(sup->engine_path))
		return -ENAMETOOLONG;
	sup = calloc(1, sizeof(*sup));
	if (!sup)
		return -ENOMEM;
	sup->base = base;
	snprintf(sup->engine_path, sizeof(sup->engine_path), "%s", engine_path);
	if (ev)
		sup->ev = *ev;
	sup->arg = arg;
	eng_sup_timing_default(&sup->tm);
	TAILQ_INIT(&sup->groups);
	TAILQ_INIT(&sup->socks);
	TAILQ_INIT(&sup->sas);
	if (eng_index_init(sup) < 0) {
		eng_index_fini(sup);
		free(sup);
		return -ENOMEM;
	}
	sup->lease_size = ENG_DEFAULT_LEASE;
	sup->lease_refill_pct = ENG_DEFAULT_REFILL;
	sup->replay_report_every = ENG_DEFAULT_RRE;
	sup->tun_queues = 0; /* one per worker, with the virtio header (docs/engine.md) */
	sup->tun_vnet = true;
	rc = rt_open(&sup->rt);
	if (rc < 0) {
		log_warnx("netlink unavailable (%s): tunnel devices cannot be set up",
		          strerror(-rc));
		sup->rt = NULL;
	}
	*out = sup;
	return 0;
}

void
eng_sup_set_tun(struct eng_sup *sup, unsigned queues, bool vnet_hdr)
{
	sup->tun_queues = queues < ENG_MAX_TUN_QUEUES ? queues : ENG_MAX_TUN_QUEUES;
	sup->tun_vnet = vnet_hdr;
}

const char *
eng_sup_engine_path(const struct eng_sup *sup)
{
	return sup->engine_path;
}

void
eng_sup_free(struct eng_sup *sup)
{
	struct eng_group *g;
	struct eng_sock *s;
	struct eng_sa *sa;

	if (!sup)
		return;
	while ((g = TAILQ_FIRST(&sup->groups))) {
		TAILQ_REMOVE(&sup->groups, g, entry);
		TAILQ_INSERT_HEAD(&sup->groups, g, entry); /* stays findable while it stops */
		eng_group_stop(g);
		TAILQ_REMOVE(&sup->groups, g, entry);
		eng_group_free(g);
	}
	while ((s = TAILQ_FIRST(&sup->socks))) {
		TAILQ_REMOVE(&sup->socks, s, entry);
		eng_sock_free(s);
	}
	while ((sa = TAILQ_FIRST(&sup->sas)))
		eng_store_remove(sup, sa);
	eng_index_fini(sup);
	eng_manual_seq_free(sup);
	rt_close(sup->rt);
	free(sup);
}

/* ---- apply ------------------------------------------------------------------------------ */

static struct eng_group *
eng_group_find(const struct eng_sup *sup, const char *name)
{
	struct eng_group *g;

	TAILQ_FOREACH(g, &sup->groups, entry)
	if (strcmp(g->name, name) == 0)
		return g;
	return NULL;
}

static const struct eng_plan_group *
eng_plan_find(const struct eng_plan *plan, const char *name)
{
	const struct eng_plan_group *pg;

	TAILQ_FOREACH(pg, plan, entry)
	if (strcmp(pg->name, name) == 0)
		return pg;
	return NULL;
}

static void
eng_sup_lease_settings(struct eng_sup *sup, const struct cfg *cfg)
{
	const struct cfg_cluster *c = &cfg->cluster;

	sup->lease_size = c->present && c->lease_size ? c->lease_size : ENG_DEFAULT_LEASE;
	sup->lease_refill_pct =
	        c->present && c->lease_refill_pct ? c->lease_refill_pct : ENG_DEFAULT_REFILL;
	sup->replay_report_every =
	        c->present && c->replay_report_every ? c->replay_report_every : ENG_DEFAULT_RRE;
}

/* Groups the configuration no longer has: stopped, with their sockets. */
static void
eng_sup_remove_groups(struct eng_sup *sup, const struct eng_plan *plan)
{
	struct eng_group *g, *gn;
	struct eng_sock *s, *sn;

	TAILQ_FOREACH_SAFE(g, &sup->groups, entry, gn)
	{
		if (eng_plan_find(plan, g->name))
			continue;
		log_info("engine group %s no longer serves a tunnel: stopping it", g->name);
		eng_group_stop(g);
		TAILQ_FOREACH_SAFE(s, &sup->socks, entry, sn)
		{
			if (s->g != g)
				continue;
			TAILQ_REMOVE(&sup->socks, s, entry);
			eng_sock_free(s);
		}
		TAILQ_REMOVE(&sup->groups, g, entry);
		eng_group_free(g);
	}
}

/* Same devices and addresses: only the routes may have changed. */
static void
eng_sup_update_routes(struct eng_sup *sup, struct eng_group *g, struct eng_plan_group *pg)
{
	struct eng_tunnel *t, *pt;

	TAILQ_FOREACH(t, &g->tunnels, entry)
	{
		TAILQ_FOREACH(pt, &pg->tunnels, entry)
		{
			if (strcmp(pt->name, t->name) != 0)
				continue;
			eng_tunnel_set_routes(sup, t, pt->routes, pt->nroutes);
			pt->routes = NULL;
			pt->nroutes = 0;
		}
	}
}

/* Moves the plan's tunnels into g (replacing its own); the engine is stopped. */
static int
eng_sup_take_tunnels(struct eng_group *g, struct eng_plan_group *pg)
{
	struct eng_tunnel *t;
	size_t len;
	char *fp;

	fp = (char *)buf_steal(&pg->fp, &len); /* NUL-terminated by eng_plan_build */
	if (!fp)
		return -ENOMEM;
	free(g->fingerprint);
	g->fingerprint = fp;
	g->workers = pg->workers;
	while ((t = TAILQ_FIRST(&g->tunnels))) {
		TAILQ_REMOVE(&g->tunnels, t, entry);
		eng_tunnel_unregister(g->sup, t);
		eng_tunnel_free(t);
	}
	while ((t = TAILQ_FIRST(&pg->tunnels))) {
		TAILQ_REMOVE(&pg->tunnels, t, entry);
		t->g = g;
		TAILQ_INSERT_TAIL(&g->tunnels, t, entry);
		if (eng_tunnel_register(g->sup, t) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* One socket per local address of the plan's tunnels; the first group to name one owns it. */
static void
eng_sup_sockets(struct eng_sup *sup)
{
	struct eng_group *g;
	struct eng_tunnel *t;
	struct eng_sock *s, *sn;
	char a[64];

	TAILQ_FOREACH(s, &sup->socks, entry)
	s->seen = false;
	TAILQ_FOREACH(g, &sup->groups, entry)
	{
		TAILQ_FOREACH(t, &g->tunnels, entry)
		{
			if (t->local.ss_family == 0)
				continue;
			s = eng_sock_find(sup, &t->local);
			if (s && s->seen && s->g != g) {
				eng_sockaddr_str(&t->local, a, sizeof(a));
				log_warnx("tunnel %s: %s is already served by engine group %s; "
				          "only that engine receives on it",
				          t->name, a, s->g->name);
				continue;
			}
			if (!s && eng_sock_open(sup, &t->local, &s) < 0)
				continue;
			s->g = g;
			s->seen = true;
		}
	}
	TAILQ_FOREACH_SAFE(s, &sup->socks, entry, sn)
	{
		if (s->seen)
			continue;
		TAILQ_REMOVE(&sup->socks, s, entry);
		eng_sock_free(s);
	}
}

/* SAs of tunnels that are gone are deleted; the others follow their tunnel's device name. */
static void
eng_sup_prune_sas(struct eng_sup *sup)
{
	struct eng_sa *sa, *san;
	struct eng_tunnel *t;

	TAILQ_FOREACH_SAFE(sa, &sup->sas, entry, san)
	{
		t = eng_tunnel_find(sup, sa->p.tunnel);
		if (t) {
			memcpy(sa->p.ifname, t->ifname, sizeof(sa->p.ifname));
			continue;
		}
		log_info("SA %08x %s deleted: tunnel %s is no longer served by an engine",
		         sa->p.spi, sa->p.inbound ? "in" : "out", sa->p.tunnel);
		eng_store_remove(sup, sa);
	}
}

/* Brings one group in line with the plan; *start says whether its engine must (re)start. */
static int
eng_sup_apply_group(struct eng_sup *sup, struct eng_plan_group *pg, bool *start)
{
	struct eng_group *g = eng_group_find(sup, pg->name);

	if (g && g->fingerprint && strcmp(g->fingerprint, (const char *)pg->fp.b_data) == 0) {
		eng_sup_update_routes(sup, g, pg);
		*start = g->state == ENG_ST_STOPPED || g->state == ENG_ST_IDLE;
		return 0;
	}
	if (!g) {
		g = eng_group_new(sup, pg->name);
		if (!g)
			return -ENOMEM;
		TAILQ_INSERT_TAIL(&sup->groups, g, entry);
	} else {
		log_info("engine group %s: its tunnels or devices changed: restarting its engine",
		         g->name);
		eng_group_stop(g);
	}
	*start = true;
	return eng_sup_take_tunnels(g, pg);
}

int
eng_sup_apply(struct eng_sup *sup, const struct cfg *cfg)
{
	struct eng_plan plan;
	struct eng_plan_group *pg;
	struct eng_group *g;
	struct eng_sock *s;
	bool start;
	int rc;

	eng_sup_lease_settings(sup, cfg);
	rc = eng_plan_build(cfg, &plan);
	if (rc < 0) {
		log_err("cannot plan the engines: %s", strerror(-rc));
		return rc;
	}
	eng_sup_remove_groups(sup, &plan);
	TAILQ_FOREACH(pg, &plan, entry)
	{
		rc = eng_sup_apply_group(sup, pg, &start);
		if (rc < 0)
			break;
		g = eng_group_find(sup, pg->name);
		if (start)
			g->state = ENG_ST_IDLE;
	}
	eng_plan_free(&plan);
	eng_sup_sockets(sup);
	eng_sup_prune_sas(sup);
	(void)eng_manual_apply(sup, cfg); /* failures are logged; the other SAs serve */
	TAILQ_FOREACH(s, &sup->socks, entry)
	eng_sock_set_reading(s, s->g && s->g->state != ENG_ST_UP && s->g->state != ENG_ST_STARTING);
	TAILQ_FOREACH(g, &sup->groups, entry)
	{
		if (g->state != ENG_ST_IDLE)
			continue;
		g->fails_in_row = 0;
		eng_group_start(g);
	}
	if (rc < 0)
		log_err("cannot apply the engine configuration: %s", strerror(-rc));
	return rc;
}

/* ---- queries ---------------------------------------------------------------------------- */

int
eng_sup_natt_fd(const struct eng_sup *sup, const struct sockaddr_storage *local)
{
	const struct eng_sock *s = eng_sock_find(sup, local);

	return s ? s->fd : -1;
}

bool
eng_group_up(const struct eng_sup *sup, const char *group)
{
	const struct eng_group *g = eng_group_find(sup, group);

	return g && g->state == ENG_ST_UP;
}

static void
eng_sup_group_stats(const struct eng_group *g, char *tl, size_t cap, struct eng_group_stats *gs)
{
	uint64_t now = clk_mono_ms();
	const struct eng_tunnel *t;

	memset(gs, 0, sizeof(*gs));
	snprintf(gs->group, sizeof(gs->group), "%s", g->name);
	gs->up = g->state == ENG_ST_UP;
	gs->pid = (int)g->pid;
	gs->restarts = g->restarts;
	gs->last_down_ms = g->last_detect_ms;
	gs->state = eng_state_name(g->state);
	gs->last_reason = g->last_reason;
	gs->last_down_unix = g->last_down_unix;
	gs->uptime_ms = gs->up ? now - g->up_ms : 0;
	gs->failures_in_row = g->fails_in_row;
	gs->next_restart_ms =
	        g->state == ENG_ST_BACKOFF && g->restart_at_ms > now ? g->restart_at_ms - now : 0;
	gs->heartbeats = g->hb_count;
	gs->packets_in = g->packets_in;
	gs->packets_out = g->packets_out;
	TAILQ_FOREACH(t, &g->tunnels, entry)
	gs->ntunnels++;
	eng_group_tunnel_list(g, true, tl, cap);
	gs->tunnels = tl;
}

bool
eng_sa_counters(const struct eng_sup *sup, uint32_t spi, bool inbound, uint64_t *packets,
                uint64_t *bytes)
{
	const struct eng_sa *sa = eng_store_find(sup, spi, inbound);

	if (!sa || !eng_sa_group(sup, sa))
		return false;
	*packets = sa->packets_base + sa->packets_cur;
	*bytes = sa->bytes_base + sa->bytes_cur;
	return true;
}

void
eng_sup_walk(const struct eng_sup *sup,
             void (*group_fn)(void *arg, const struct eng_group_stats *g),
             void (*sa_fn)(void *arg, const struct eng_sa_stats *s),
             void (*drop_fn)(void *arg, const char *reason, uint64_t count), void *arg)
{
	const struct eng_group *g;
	const struct eng_sa *sa;
	struct eng_group_stats gs;
	struct eng_sa_stats ss;
	char tl[1024];

	TAILQ_FOREACH(g, &sup->groups, entry)
	{
		eng_sup_group_stats(g, tl, sizeof(tl), &gs);
		if (group_fn)
			group_fn(arg, &gs);
		TAILQ_FOREACH(sa, &sup->sas, entry)
		{
			if (!sa_fn || eng_sa_group(sup, sa) != g)
				continue;
			memset(&ss, 0, sizeof(ss));
			ss.spi = sa->p.spi;
			ss.inbound = sa->p.inbound;
			snprintf(ss.tunnel, sizeof(ss.tunnel), "%s", sa->p.tunnel);
			ss.packets = sa->packets_base + sa->packets_cur;
			ss.bytes = sa->bytes_base + sa->bytes_cur;
			ss.seq = sa->seq_seen;
			ss.lease_limit = sa->p.inbound ? 0 : sa->granted;
			sa_fn(arg, &ss);
		}
		for (unsigned i = 0; drop_fn && i < g->ndrops; i++)
			drop_fn(arg, g->drops[i].reason, g->drops[i].base + g->drops[i].cur);
	}
}
