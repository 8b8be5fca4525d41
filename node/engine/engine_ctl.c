/* SPDX-License-Identifier: MIT */
/*
 * What the engine does with each message from tandemd (docs/engine.md): Hello starts the
 * workers and is answered by Ready; attachments, SA installs and deletions, lease grants and
 * detachments change the tables; QueryStats is answered by Stats; Shutdown stops the engine.
 * Every request with a non-zero req is answered by an Ack (error 0 or a positive errno).
 * Also the heartbeat, sent from the packet loop of worker 0 only while every worker turns.
 */
#define LOG_SUBSYS "engine"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/engine/engine_int.h"

#define ENGINE_STATS_PER_MSG 1024 /* SaStats per Stats datagram (each ~40 bytes) */

static void
ctl_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	(void)fd;
	(void)what;
	/* the timer keeps the period; pulses inside long batches fill in when it cannot run */
	engine_ctl_heartbeat(e);
}

void
engine_ctl_heartbeat_due(struct engine *e, uint64_t now_ms)
{
	if (e->hello && now_ms - e->hb_last_ms >= e->heartbeat_ms)
		engine_ctl_heartbeat(e);
}

/* Sent only if every other worker's tick moved since the last one: a hung worker stops it. */
void
engine_ctl_heartbeat(struct engine *e)
{
	struct engine_from m = {.type = ENGINE_FROM_HEARTBEAT};
	uint64_t now;
	int rc;

	for (unsigned i = 1; i < e->nworkers; i++) {
		uint64_t t = atomic_load(&e->w[i].ticks);

		if (t == e->hb_ticks[i])
			return;
		e->hb_ticks[i] = t;
	}
	for (unsigned i = 0; i < e->nworkers; i++) {
		m.u.hb.packets_in +=
		        atomic_load_explicit(&e->w[i].st.packets_in, memory_order_relaxed);
		m.u.hb.packets_out +=
		        atomic_load_explicit(&e->w[i].st.packets_out, memory_order_relaxed);
	}
	m.u.hb.seq = ++e->hb_seq;
	now = clk_mono_ms();
	if (e->hb_last_ms && now - e->hb_last_ms > e->hb_max_gap_ms)
		e->hb_max_gap_ms = now - e->hb_last_ms;
	e->hb_last_ms = now;
	rc = engine_chan_send(e, &m);
	if (rc < 0)
		log_warnx("heartbeat %llu not sent: %s", (unsigned long long)m.u.hb.seq,
		          strerror(-rc));
}

/*
 * Hello.workers 0: one per core, except on two cores or fewer, where one worker measured as
 * fast or faster with the traffic's own processes on the same cores
 * (docs/engine-performance.md).
 */
static unsigned
ctl_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n <= 2)
		return 1;
	return n > ENGINE_MAX_WORKERS ? ENGINE_MAX_WORKERS : (unsigned)n;
}

static int
ctl_hello(struct engine *e, const struct engine_hello *h, uint64_t req)
{
	struct engine_from r = {.req = req, .type = ENGINE_FROM_READY};
	struct timeval tv;
	enum log_level lvl;
	unsigned n;
	int rc;

	if (e->hello)
		return -EALREADY;
	if (h->log_level[0] && log_level_parse(h->log_level, &lvl) == 0)
		log_set_level(lvl);
	snprintf(e->group, sizeof(e->group), "%s", h->group);
	e->heartbeat_ms = h->heartbeat_ms ? h->heartbeat_ms : 20;
	e->sa_opts.lease_refill_pct = h->lease_refill_pct ? h->lease_refill_pct : 50;
	e->sa_opts.replay_report_every = h->replay_report_every;
	n = h->workers ? h->workers : ctl_default_workers();
	if (n > ENGINE_MAX_WORKERS)
		n = ENGINE_MAX_WORKERS;
	rc = engine_workers_start(e, n);
	if (rc < 0)
		return rc;
	e->sa_opts.nslots = e->nworkers;
	e->ev_hb = event_new(e->base, -1, EV_PERSIST, ctl_heartbeat_cb, e);
	if (!e->ev_hb)
		return -ENOMEM;
	event_priority_set(e->ev_hb, ENGINE_PRIO_CTL);
	tv.tv_sec = e->heartbeat_ms / 1000;
	tv.tv_usec = (suseconds_t)(e->heartbeat_ms % 1000) * 1000;
	event_add(e->ev_hb, &tv);
	e->hello = true;
	r.u.ready.pid = (uint32_t)getpid();
	r.u.ready.workers = e->nworkers;
	log_info("group %s: %u worker(s), heartbeat %u ms, lease refill at %u%%, replay report "
	         "every %u",
	         e->group, e->nworkers, e->heartbeat_ms, e->sa_opts.lease_refill_pct,
	         e->sa_opts.replay_report_every);
	rc = engine_chan_send(e, &r);
	engine_ctl_heartbeat(e); /* the first beat at once */
	return rc;
}

static int
ctl_grant(struct engine *e, uint32_t spi, uint64_t limit)
{
	struct engine_sa *sa;
	int rc = -ENOENT;

	pthread_rwlock_rdlock(&e->lock);
	sa = engine_sa_find(e, spi, false);
	if (sa) {
		esp_sa_lease_grant(sa->esp, limit);
		rc = 0;
	}
	pthread_rwlock_unlock(&e->lock);
	return rc;
}

/* One or more Stats messages (ENGINE_STATS_PER_MSG SAs each), all with the request's req. */
static int
ctl_stats(struct engine *e, uint64_t req)
{
	struct engine_from m = {.req = req, .type = ENGINE_FROM_STATS}, part;
	size_t off = 0;
	int rc = engine_table_stats(e, &m);

	if (rc < 0)
		return rc;
	do {
		part = m;
		part.u.stats.sa = m.u.stats.sa + off;
		part.u.stats.nsa = m.u.stats.nsa - off;
		if (part.u.stats.nsa > ENGINE_STATS_PER_MSG)
			part.u.stats.nsa = ENGINE_STATS_PER_MSG;
		if (off > 0)
			part.u.stats.ndrops = 0; /* drop totals go in the first message only */
		rc = engine_chan_send(e, &part);
		off += part.u.stats.nsa;
	} while (rc == 0 && off < m.u.stats.nsa);
	free(m.u.stats.sa);
	free(m.u.stats.drops);
	return rc;
}

static int
ctl_dispatch(struct engine *e, struct engine_to *m, int *fd)
{
	int f = *fd;

	*fd = -1; /* the handlers below own it now */
	switch (m->type) {
	case ENGINE_TO_ATTACH_SOCKET:
		return engine_sock_attach(e, &m->u.sock, f);
	case ENGINE_TO_ATTACH_TUN:
		return engine_tun_attach(e, &m->u.tun, f);
	default:
		*fd = f;
		break;
	}
	switch (m->type) {
	case ENGINE_TO_INSTALL_SA:
		return engine_sa_install(e, &m->u.sa);
	case ENGINE_TO_DELETE_SA:
		return engine_sa_delete(e, m->u.del.spi, m->u.del.inbound);
	case ENGINE_TO_GRANT_LEASE:
		return ctl_grant(e, m->u.grant.spi, m->u.grant.limit);
	case ENGINE_TO_DETACH_TUN:
		return engine_tun_detach(e, m->u.detach);
	case ENGINE_TO_QUERY_STATS:
		return ctl_stats(e, m->req);
	case ENGINE_TO_SHUTDOWN:
		log_info("Shutdown from tandemd");
		e->stopping = true;
		event_base_loopbreak(e->base);
		return 0;
	default:
		return -EPROTO;
	}
}

void
engine_ctl_handle(struct engine *e, struct engine_to *m, int fd)
{
	int rc;

	if (m->type == ENGINE_TO_HELLO) {
		rc = ctl_hello(e, &m->u.hello, m->req);
	} else if (!e->hello) {
		rc = -EPROTO; /* docs/engine.md: Hello comes first */
	} else {
		rc = ctl_dispatch(e, m, &fd);
	}
	if (fd >= 0)
		close(fd); /* a descriptor with a message that takes none, or refused early */
	if (rc < 0)
		log_warnx("request %llu (type %d) refused: %s", (unsigned long long)m->req,
		          (int)m->type, strerror(-rc));
	engine_chan_ack(e, m->req, rc < 0 ? -rc : 0, rc < 0 ? strerror(-rc) : NULL);
}
