/* SPDX-License-Identifier: MIT */
/*
 * tandemd's part of the crypto engines: which tandem-engine binary runs, the supervisor's
 * life inside the daemon, the lease grant decision (one function, so the replication layer
 * can put corosync in front of it), and `hactl show engines`.
 */
#define LOG_SUBSYS "tandemd"
#include "tandemd_eng.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/eng/eng_sup.h"
#include "node/ike/ike_engine.h"
#include "node/tandemd_events.h"
#include "node/tandemd_ha.h"
#include "node/tandemd_ike.h"
#include "node/tandemd_int.h"
#include "node/tandemd_sync.h"

#define TANDEMD_ENGINE_NAME "tandem-engine"

/* ---- which binary ----------------------------------------------------------------------- */

static bool
tandemd_eng_try(char *out, size_t cap, const char *dir, const char *rel)
{
	int n = snprintf(out, cap, "%s/%s", dir, rel);

	return n > 0 && (size_t)n < cap && access(out, X_OK) == 0;
}

/* Next to tandemd (installed side by side), then where the build tree puts it, then $PATH. */
static void
tandemd_eng_find(char *out, size_t cap)
{
	char self[PATH_MAX], *slash, *path, *save = NULL;
	const char *env = getenv("PATH");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (tandemd_eng_try(out, cap, self, TANDEMD_ENGINE_NAME) ||
			    tandemd_eng_try(out, cap, self, "engine/" TANDEMD_ENGINE_NAME))
				return;
		}
	}
	path = env ? strdup(env) : NULL;
	for (char *dir = path ? strtok_r(path, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		if (*dir && tandemd_eng_try(out, cap, dir, TANDEMD_ENGINE_NAME)) {
			free(path);
			return;
		}
	}
	free(path);
	/* not found: keep the name; every start attempt will say so */
	snprintf(out, cap, "%s", TANDEMD_ENGINE_NAME);
}

/* ---- events ----------------------------------------------------------------------------- */

static uint32_t
tandemd_eng_lease_size(const struct tandemd *d)
{
	const struct cfg_cluster *c = &d->cfg->cluster;

	return c->present && c->lease_size ? c->lease_size : 65536u;
}

/*
 * The lease grant decision. For now a grant is immediate: the SA may use `lease_size` more
 * sequence numbers past what it has used. The replication layer replaces this with "deliver
 * the new limit through the group first, then grant" (docs/engine.md).
 */
static void
tandemd_eng_lease_request(void *arg, uint32_t spi, uint64_t used, uint64_t limit)
{
	struct tandemd *d = arg;
	uint64_t grant = used + tandemd_eng_lease_size(d);
	int rc;

	(void)limit;
	/* in a cluster: granted when the group delivered it (tandemd_sync.c); a standby grants
	 * nothing; an SA the group does not know (manual keys) is granted here */
	rc = tandemd_sync_lease_request(d, spi, grant);
	if (rc != -ENOENT)
		return;
	rc = eng_lease_grant(d->eng, spi, grant);
	if (rc < 0) {
		log_warnx("SA %08x: cannot grant a lease up to %llu: %s", spi,
		          (unsigned long long)grant, strerror(-rc));
		return;
	}
	/* the IKE SA state carries the limit, so a takeover starts above it */
	if (d->ike)
		ike_engine_child_seq(tandemd_ike_engine(d->ike), spi, false, grant);
}

static void
tandemd_eng_replay_report(void *arg, uint32_t spi, uint64_t highest)
{
	struct tandemd *d = arg;

	if (d->ike)
		ike_engine_child_seq(tandemd_ike_engine(d->ike), spi, true, highest);
	tandemd_sync_replay_report(d, spi, highest);
}

/* A byte lifetime: soft -> the IKE engine rekeys that Child SA, hard -> it deletes it. */
static void
tandemd_eng_lifetime(void *arg, uint32_t spi, bool inbound, bool hard, uint64_t bytes)
{
	struct tandemd *d = arg;

	log_info("SA %08x %s: %s byte lifetime reached after %llu bytes", spi,
	         inbound ? "in" : "out", hard ? "hard" : "soft", (unsigned long long)bytes);
	if (!d->ike)
		return;
	ike_engine_child_lifetime(tandemd_ike_engine(d->ike), spi, inbound, hard, clk_mono_ms());
	tandemd_ike_kick(d->ike);
}

/* An engine serves again or stopped: its tunnels' routes by cost follow (tandemd_ha.c). */
static void
tandemd_eng_up(void *arg, const char *group, unsigned restarts)
{
	char why[32];

	snprintf(why, sizeof(why), "restarts %u", restarts);
	tandemd_event(arg, TEV_ENGINE, group, "up", why, 0, "%s",
	              restarts ? "restarted" : "started");
	tandemd_ha_engine_changed(arg, group, true, why);
	tandemd_sync_engines_changed(arg); /* engine health in this node's record */
}

static void
tandemd_eng_down(void *arg, const char *group, enum eng_down_reason reason, uint64_t detect_ms)
{
	char why[64];

	snprintf(why, sizeof(why), "%s, detected in %llu ms", eng_down_reason_name(reason),
	         (unsigned long long)detect_ms);
	tandemd_event(arg, TEV_ENGINE, group, "down", NULL, 0, "%s", why);
	tandemd_ha_engine_changed(arg, group, false, why);
	tandemd_sync_engines_changed(arg);
}

/* IKE on port 4500 that an engine (or, while none runs, the supervisor) received. */
static void
tandemd_eng_ike_packet(void *arg, const struct sockaddr_storage *src,
                       const struct sockaddr_storage *dst, const uint8_t *p, size_t len)
{
	struct tandemd *d = arg;

	if (d->ike)
		tandemd_ike_input(d->ike, dst, src, p, len);
}

int
tandemd_eng_start(struct tandemd *d)
{
	static const struct eng_sup_events ev = {
	        .lease_request = tandemd_eng_lease_request,
	        .replay_report = tandemd_eng_replay_report,
	        .lifetime = tandemd_eng_lifetime,
	        .ike_packet = tandemd_eng_ike_packet,
	        .engine_up = tandemd_eng_up,
	        .engine_down = tandemd_eng_down,
	};
	char path[PATH_MAX];
	int rc;

	if (d->opts.engine_path)
		snprintf(path, sizeof(path), "%s", d->opts.engine_path);
	else
		tandemd_eng_find(path, sizeof(path));
	rc = eng_sup_new(d->base, path, &ev, d, &d->eng);
	if (rc < 0) {
		log_err("cannot create the engine supervisor: %s", strerror(-rc));
		return rc;
	}
	/* manual SAs keep their numbering across restarts of tandemd; unreadable: logged */
	(void)eng_sup_set_state_dir(d->eng, d->opts.state_dir);
	log_info("crypto engines: %s", path);
	return 0;
}

void
tandemd_eng_apply(struct tandemd *d)
{
	if (d->eng)
		(void)eng_sup_apply(d->eng, d->cfg); /* logged inside */
}

void
tandemd_eng_free(struct tandemd *d)
{
	eng_sup_free(d->eng);
	d->eng = NULL;
}

const char *
tandemd_eng_path(const struct tandemd *d)
{
	return d->eng ? eng_sup_engine_path(d->eng) : "";
}

/* ---- hactl show engines ----------------------------------------------------------------- */

/* What a walk collects, strings copied: groups, and all groups' SAs and drops in order. */
struct tandemd_eng_wgroup {
	struct ctl_engine_group g;
	char name[CFG_NAME_MAX];
	char tunnels[1024];
	size_t sa_first, dr_first;
};
struct tandemd_eng_wsa {
	struct ctl_engine_sa s;
	char tunnel[CFG_NAME_MAX];
};
struct tandemd_eng_wdrop {
	struct ctl_engine_drop d;
	char reason[64];
};
struct tandemd_eng_walk {
	const char *only; /* one group, or NULL */
	struct tandemd_eng_wgroup *g;
	struct tandemd_eng_wsa *sa;
	struct tandemd_eng_wdrop *dr;
	size_t ng, capg, nsa, capsa, ndr, capdr;
	bool skip, nomem;
};

/* Room for one more element in *v (n used of *cap). */
static bool
tandemd_eng_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t nc = *cap ? *cap * 2 : 8;
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*v, nc * elem);
	if (!p)
		return false;
	*v = p;
	*cap = nc;
	return true;
}

static void
tandemd_eng_walk_group(void *arg, const struct eng_group_stats *gs)
{
	struct tandemd_eng_walk *w = arg;
	struct tandemd_eng_wgroup *wg;

	w->skip = w->only && strcmp(w->only, gs->group) != 0;
	if (w->skip || w->nomem)
		return;
	if (!tandemd_eng_grow((void **)&w->g, &w->capg, w->ng, sizeof(*w->g))) {
		w->nomem = true;
		return;
	}
	wg = &w->g[w->ng++];
	memset(wg, 0, sizeof(*wg));
	snprintf(wg->name, sizeof(wg->name), "%s", gs->group);
	snprintf(wg->tunnels, sizeof(wg->tunnels), "%s", gs->tunnels ? gs->tunnels : "");
	wg->sa_first = w->nsa;
	wg->dr_first = w->ndr;
	wg->g.state = gs->state;
	wg->g.last_failure = gs->last_reason ? eng_down_reason_name(gs->last_reason) : "";
	wg->g.pid = gs->pid > 0 ? (uint32_t)gs->pid : 0;
	wg->g.restarts = gs->restarts;
	wg->g.failures_in_row = gs->failures_in_row;
	wg->g.uptime_ms = gs->uptime_ms;
	wg->g.last_failure_detect_ms = gs->last_down_ms;
	wg->g.last_failure_unix = gs->last_down_unix;
	wg->g.next_restart_ms = gs->next_restart_ms;
	wg->g.heartbeats = gs->heartbeats;
	wg->g.packets_in = gs->packets_in;
	wg->g.packets_out = gs->packets_out;
}

static void
tandemd_eng_walk_sa(void *arg, const struct eng_sa_stats *s)
{
	struct tandemd_eng_walk *w = arg;
	struct tandemd_eng_wsa *ws;

	if (w->skip || w->nomem)
		return;
	if (!tandemd_eng_grow((void **)&w->sa, &w->capsa, w->nsa, sizeof(*w->sa))) {
		w->nomem = true;
		return;
	}
	ws = &w->sa[w->nsa++];
	snprintf(ws->tunnel, sizeof(ws->tunnel), "%s", s->tunnel);
	ws->s = (struct ctl_engine_sa){
	        .spi = s->spi,
	        .inbound = s->inbound,
	        .packets = s->packets,
	        .bytes = s->bytes,
	        .seq = s->seq,
	        .lease_limit = s->lease_limit,
	};
}

static void
tandemd_eng_walk_drop(void *arg, const char *reason, uint64_t count)
{
	struct tandemd_eng_walk *w = arg;
	struct tandemd_eng_wdrop *wd;

	if (w->skip || w->nomem)
		return;
	if (!tandemd_eng_grow((void **)&w->dr, &w->capdr, w->ndr, sizeof(*w->dr))) {
		w->nomem = true;
		return;
	}
	wd = &w->dr[w->ndr++];
	snprintf(wd->reason, sizeof(wd->reason), "%s", reason);
	wd->d.count = count;
}

/*
 * The contiguous arrays the encoder wants, pointing into the walk's strings. *groups, *sas
 * and *drops are the caller's to free.
 */
static int
tandemd_eng_walk_arrays(const struct tandemd_eng_walk *w, struct ctl_engine_group **groups,
                        struct ctl_engine_sa **sas, struct ctl_engine_drop **drops)
{
	*groups = calloc(w->ng + 1, sizeof(**groups));
	*sas = calloc(w->nsa + 1, sizeof(**sas));
	*drops = calloc(w->ndr + 1, sizeof(**drops));
	if (!*groups || !*sas || !*drops)
		return -ENOMEM;
	for (size_t i = 0; i < w->nsa; i++) {
		(*sas)[i] = w->sa[i].s;
		(*sas)[i].tunnel = w->sa[i].tunnel;
	}
	for (size_t i = 0; i < w->ndr; i++) {
		(*drops)[i] = w->dr[i].d;
		(*drops)[i].reason = w->dr[i].reason;
	}
	for (size_t i = 0; i < w->ng; i++) {
		const struct tandemd_eng_wgroup *wg = &w->g[i];
		size_t sa_end = i + 1 < w->ng ? w->g[i + 1].sa_first : w->nsa;
		size_t dr_end = i + 1 < w->ng ? w->g[i + 1].dr_first : w->ndr;

		(*groups)[i] = wg->g;
		(*groups)[i].group = wg->name;
		(*groups)[i].tunnels = wg->tunnels;
		(*groups)[i].sas = *sas + wg->sa_first;
		(*groups)[i].nsas = sa_end - wg->sa_first;
		(*groups)[i].drops = *drops + wg->dr_first;
		(*groups)[i].ndrops = dr_end - wg->dr_first;
	}
	return 0;
}

int
tandemd_eng_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp)
{
	struct tandemd_eng_walk w = {.only = req->group[0] ? req->group : NULL};
	struct ctl_engine_group *groups = NULL;
	struct ctl_engine_sa *sas = NULL;
	struct ctl_engine_drop *drops = NULL;
	char msg[128];
	int rc;

	if (!d->eng)
		return ctl_encode_error(ENOTSUP, "the engine supervisor is not running", resp);
	eng_sup_walk(d->eng, tandemd_eng_walk_group, tandemd_eng_walk_sa, tandemd_eng_walk_drop,
	             &w);
	if (w.nomem) {
		rc = -ENOMEM;
	} else if (w.only && w.ng == 0) {
		snprintf(msg, sizeof(msg), "no engine group '%s' serves a tunnel", w.only);
		rc = ctl_encode_error(ENOENT, msg, resp);
	} else {
		rc = tandemd_eng_walk_arrays(&w, &groups, &sas, &drops);
		if (rc == 0)
			rc = ctl_encode_show_engines(eng_sup_engine_path(d->eng), groups, w.ng,
			                             resp);
	}
	free(groups);
	free(sas);
	free(drops);
	free(w.g);
	free(w.sa);
	free(w.dr);
	return rc;
}
