/* SPDX-License-Identifier: MIT */
/*
 * One engine group's life: start (spawn, Hello, sockets, TUN devices, every stored SA), up
 * once the engine is Ready and has acknowledged the start-up requests, liveness (channel
 * close, pidfd, 3 missed heartbeats), down (links down, SIGKILL, reap), restart with
 * back-off (0, 100 ms, 200 ms ... 5 s; reset after 10 s of health), and planned stops.
 */
#define LOG_SUBSYS "eng"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/eng/eng_int.h"

#define ENG_STOP_GRACE_MS 300

static void eng_group_hb_timeout(void *arg);
static void eng_group_restart_timer(void *arg);
static void eng_group_stats_timer(void *arg);

const char *
eng_state_name(enum eng_state s)
{
	static const char *const names[] = {
	        [ENG_ST_IDLE] = "idle",
	        [ENG_ST_STARTING] = "starting",
	        [ENG_ST_UP] = "up",
	        [ENG_ST_DYING] = "down",
	        [ENG_ST_BACKOFF] = "restarting",
	        [ENG_ST_STOPPED] = "stopped",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

struct eng_group *
eng_group_new(struct eng_sup *sup, const char *name)
{
	struct eng_group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->sup = sup;
	snprintf(g->name, sizeof(g->name), "%s", name);
	TAILQ_INIT(&g->tunnels);
	TAILQ_INIT(&g->txq);
	g->pidfd = g->chan = -1;
	log_rl_init(&g->rl_noeng, 5, 10000);
	if (tmr_init(&g->t_hb, sup->base, eng_group_hb_timeout, g) < 0 ||
	    tmr_init(&g->t_restart, sup->base, eng_group_restart_timer, g) < 0 ||
	    tmr_init(&g->t_stats, sup->base, eng_group_stats_timer, g) < 0) {
		eng_group_free(g);
		return NULL;
	}
	return g;
}

static void
eng_group_close_chan(struct eng_group *g)
{
	eng_chan_clear(g);
	if (g->ev_chan)
		event_free(g->ev_chan);
	if (g->ev_write)
		event_free(g->ev_write);
	g->ev_chan = g->ev_write = NULL;
	if (g->chan >= 0)
		close(g->chan);
	g->chan = -1;
}

static void
eng_group_close_pid(struct eng_group *g)
{
	if (g->ev_pid)
		event_free(g->ev_pid);
	g->ev_pid = NULL;
	if (g->pidfd >= 0)
		close(g->pidfd);
	g->pidfd = -1;
	g->pid = 0;
}

void
eng_group_free(struct eng_group *g)
{
	struct eng_tunnel *t;

	if (!g)
		return;
	eng_group_stop(g);
	tmr_fini(&g->t_hb);
	tmr_fini(&g->t_restart);
	tmr_fini(&g->t_stats);
	while ((t = TAILQ_FIRST(&g->tunnels))) {
		TAILQ_REMOVE(&g->tunnels, t, entry);
		eng_tunnel_unregister(g->sup, t);
		eng_tunnel_free(t);
	}
	free(g->fingerprint);
	free(g);
}

uint64_t
eng_group_req(struct eng_group *g)
{
	return ++g->next_req;
}

void
eng_group_tunnel_list(const struct eng_group *g, bool with_ifname, char *out, size_t cap)
{
	const struct eng_tunnel *t;
	size_t n = 0;

	out[0] = '\0';
	TAILQ_FOREACH(t, &g->tunnels, entry)
	{
		int w = with_ifname ? snprintf(out + n, cap - n, "%s%s (%s)", n ? ", " : "",
		                               t->name, t->ifname)
		                    : snprintf(out + n, cap - n, "%s%s", n ? ", " : "", t->name);

		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	if (n == 0)
		snprintf(out, cap, "(none)");
}

void
eng_group_count_drop(struct eng_group *g, const char *reason, uint64_t n, bool add)
{
	struct eng_drop_count *d = NULL;

	for (unsigned i = 0; i < g->ndrops && !d; i++)
		if (strcmp(g->drops[i].reason, reason) == 0)
			d = &g->drops[i];
	if (!d) {
		if (g->ndrops == ENG_MAX_DROPS)
			return;
		d = &g->drops[g->ndrops++];
		snprintf(d->reason, sizeof(d->reason), "%s", reason);
	}
	if (add)
		d->base += n;
	else
		d->cur = n;
}

/* ---- start ------------------------------------------------------------------------------ */

static uint64_t
eng_group_backoff_ms(const struct eng_group *g)
{
	const struct eng_sup_timing *tm = &g->sup->tm;
	uint64_t d;

	if (g->fails_in_row == 0)
		return 0;
	d = tm->backoff_first_ms;
	for (unsigned i = 1; i < g->fails_in_row && d < tm->backoff_max_ms; i++)
		d *= 2;
	return d < tm->backoff_max_ms ? d : tm->backoff_max_ms;
}

/* Arms the restart timer after a failure (the back-off grows with failures in a row). */
static uint64_t
eng_group_schedule(struct eng_group *g)
{
	uint64_t delay = eng_group_backoff_ms(g);

	g->fails_in_row++;
	g->state = ENG_ST_BACKOFF;
	g->restart_at_ms = clk_mono_ms() + delay;
	tmr_add_ms(&g->t_restart, delay);
	return delay;
}

static void
eng_group_set_sockets(struct eng_group *g, bool tandemd_reads)
{
	struct eng_sock *s;

	TAILQ_FOREACH(s, &g->sup->socks, entry)
	if (s->g == g)
		eng_sock_set_reading(s, tandemd_reads);
}

static int
eng_group_send_hello(struct eng_group *g)
{
	struct eng_sup *sup = g->sup;
	struct eng_hello h = {
	        .group = g->name,
	        .heartbeat_ms = sup->tm.heartbeat_ms,
	        .lease_refill_pct = sup->lease_refill_pct,
	        .replay_report_every = sup->replay_report_every,
	        .workers = g->workers,
	        .log_level = log_get_level() >= LOG_LVL_DEBUG  ? "debug"
	                     : log_get_level() >= LOG_LVL_INFO ? "info"
	                                                       : "warning",
	};
	struct buf b;
	int rc;

	buf_init(&b, false);
	rc = eng_codec_hello(eng_group_req(g), &h, &b);
	if (rc == 0)
		rc = eng_chan_send(g, &b, -1, false);
	buf_fini(&b);
	return rc;
}

static void
eng_group_send_sockets(struct eng_group *g)
{
	struct eng_sock *s;
	struct buf b;

	TAILQ_FOREACH(s, &g->sup->socks, entry)
	{
		if (s->g != g)
			continue;
		buf_init(&b, false);
		if (eng_codec_attach_socket(eng_group_req(g), &s->local, &b) == 0)
			(void)eng_chan_send(g, &b, s->fd, false); /* tandemd keeps its copy */
		buf_fini(&b);
	}
}

/* One AttachTun per queue of each tunnel's new device; the descriptors become the engine's. */
static void
eng_group_send_tunnels(struct eng_group *g)
{
	int fds[ENG_MAX_TUN_QUEUES], n;
	struct eng_tunnel *t;
	struct buf b;

	TAILQ_FOREACH(t, &g->tunnels, entry)
	{
		n = eng_tunnel_create(g->sup, t, fds);
		for (int i = 0; i < n; i++) {
			buf_init(&b, false);
			t->attach_req = eng_group_req(g);
			if (eng_codec_attach_tun(t->attach_req, t->name, t->ifname, t->mtu,
			                         (uint32_t)t->df, g->sup->tun_vnet, &b) == 0)
				(void)eng_chan_send(g, &b, fds[i], true); /* closed once sent */
			else
				close(fds[i]);
			buf_fini(&b);
		}
		/* n < 0: logged; this tunnel stays down, the others serve */
	}
}

static void
eng_group_send_sas(struct eng_group *g)
{
	struct eng_sa *sa;

	TAILQ_FOREACH(sa, &g->sup->sas, entry)
	if (eng_sa_group(g->sup, sa) == g)
		(void)eng_store_send(g->sup, g, sa);
}

static int
eng_group_spawn(struct eng_group *g)
{
	struct eng_sup *sup = g->sup;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	rc = eng_proc_spawn(sup->engine_path, sv[1], sup->tm.engine_nice, &g->pid, &g->pidfd);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		return rc;
	}
	g->chan = sv[0];
	g->ev_chan = event_new(sup->base, g->chan, EV_READ | EV_PERSIST, eng_chan_readable, g);
	g->ev_write = event_new(sup->base, g->chan, EV_WRITE, eng_chan_writable, g);
	if (!g->ev_chan || !g->ev_write)
		return -ENOMEM; /* the caller takes the half-started engine down */
	event_add(g->ev_chan, NULL);
	return 0;
}

static void eng_group_pid_readable(evutil_socket_t fd, short what, void *arg);

void
eng_group_start(struct eng_group *g)
{
	struct eng_sup *sup = g->sup;
	int rc;

	g->ready = g->barrier_acked = false;
	g->hb_count = g->last_hb_ms = g->packets_in = g->packets_out = 0;
	g->spawn_ms = clk_mono_ms();
	rc = eng_group_spawn(g);
	if (rc == 0) {
		g->ev_pid = event_new(sup->base, g->pidfd, EV_READ, eng_group_pid_readable, g);
		rc = g->ev_pid ? event_add(g->ev_pid, NULL) : -ENOMEM;
	}
	if (rc < 0) {
		if (g->pid > 0) {
			(void)eng_proc_kill(g->pid, g->pidfd, SIGKILL);
			(void)waitpid(g->pid, NULL, 0);
		}
		eng_group_close_chan(g);
		eng_group_close_pid(g);
		log_err("engine %s: cannot start %s: %s; next try in %llu ms", g->name,
		        sup->engine_path, strerror(-rc),
		        (unsigned long long)eng_group_backoff_ms(g));
		eng_group_schedule(g);
		return;
	}
	g->state = ENG_ST_STARTING;
	eng_group_set_sockets(g, false); /* the engine receives on them from now on */
	if (eng_group_send_hello(g) == 0) {
		eng_group_send_sockets(g);
		eng_group_send_tunnels(g);
		eng_group_send_sas(g);
	}
	g->barrier_req = g->next_req; /* the last start-up request */
	tmr_add_ms(&g->t_hb, sup->tm.start_timeout_ms);
	log_info("engine %s: started %s, pid %d%s", g->name, sup->engine_path, (int)g->pid,
	         g->restarts ? " (restart)" : "");
}

static void
eng_group_restart_timer(void *arg)
{
	struct eng_group *g = arg;

	if (g->state != ENG_ST_BACKOFF)
		return;
	g->restarts++;
	eng_group_start(g);
}

static void
eng_group_check_up(struct eng_group *g)
{
	struct eng_sup *sup = g->sup;
	struct eng_tunnel *t;
	char tl[256];

	if (g->state != ENG_ST_STARTING || !g->ready || !g->barrier_acked)
		return;
	g->state = ENG_ST_UP;
	g->up_ms = clk_mono_ms();
	TAILQ_FOREACH(t, &g->tunnels, entry)
	eng_tunnel_sync_routes(sup, t);
	if (sup->tm.stats_ms)
		tmr_add_ms(&g->t_stats, sup->tm.stats_ms);
	eng_group_tunnel_list(g, true, tl, sizeof(tl));
	log_info("engine %s up: pid %d ready %llu ms after start; tunnels %s", g->name, (int)g->pid,
	         (unsigned long long)(g->up_ms - g->spawn_ms), tl);
	if (sup->ev.engine_up)
		sup->ev.engine_up(sup->arg, g->name, g->restarts);
}

/* ---- messages from the engine ----------------------------------------------------------- */

static void
eng_group_ack(struct eng_group *g, const struct eng_msg *m)
{
	struct eng_tunnel *t;
	struct eng_sa *sa;

	if (m->u.ack.error) {
		const char *what = "a request";
		char w[96];

		TAILQ_FOREACH(sa, &g->sup->sas, entry)
		{
			if (sa->install_req != m->req)
				continue;
			snprintf(w, sizeof(w), "SA %08x %s", sa->p.spi,
			         sa->p.inbound ? "in" : "out");
			what = w;
		}
		TAILQ_FOREACH(t, &g->tunnels, entry)
		{
			if (t->attach_req != m->req)
				continue;
			snprintf(w, sizeof(w), "TUN %s of tunnel %s", t->ifname, t->name);
			what = w;
		}
		log_warnx("engine %s refused %s (request %llu): %s%s%s", g->name, what,
		          (unsigned long long)m->req, strerror(m->u.ack.error),
		          m->u.ack.message[0] ? ": " : "", m->u.ack.message);
	}
	if (m->req == g->barrier_req) {
		g->barrier_acked = true;
		eng_group_check_up(g);
	}
}

static void
eng_group_lease_request(struct eng_group *g, const struct eng_msg *m)
{
	struct eng_sup *sup = g->sup;
	struct eng_sa *sa = eng_store_find(sup, m->u.lease.spi, false);

	if (!sa || eng_sa_group(sup, sa) != g) {
		log_debug("engine %s: lease request for unknown SA %08x", g->name, m->u.lease.spi);
		return;
	}
	if (sup->ev.lease_request)
		sup->ev.lease_request(sup->arg, m->u.lease.spi, m->u.lease.used, m->u.lease.limit);
	else
		(void)eng_lease_grant(sup, m->u.lease.spi, m->u.lease.used + sup->lease_size);
}

static void
eng_group_replay(struct eng_group *g, const struct eng_msg *m)
{
	struct eng_sup *sup = g->sup;
	struct eng_sa *sa = eng_store_find(sup, m->u.replay.spi, true);

	if (!sa || eng_sa_group(sup, sa) != g)
		return;
	if (m->u.replay.highest > sa->reported)
		sa->reported = m->u.replay.highest;
	if (sa->manual)
		eng_manual_seq_note(sup, sa->p.spi, true, sa->reported, false);
	if (sup->ev.replay_report)
		sup->ev.replay_report(sup->arg, m->u.replay.spi, m->u.replay.highest);
}

static void
eng_group_lifetime(struct eng_group *g, const struct eng_msg *m)
{
	struct eng_sup *sup = g->sup;
	struct eng_sa *sa = eng_store_find(sup, m->u.lifetime.spi, m->u.lifetime.inbound);
	struct eng_tunnel *t = NULL;

	log_info("engine %s: SA %08x %s reached its %s byte lifetime (%llu bytes)", g->name,
	         m->u.lifetime.spi, m->u.lifetime.inbound ? "in" : "out",
	         m->u.lifetime.hard ? "hard" : "soft", (unsigned long long)m->u.lifetime.bytes);
	if (sa && m->u.lifetime.hard && eng_sa_group(sup, sa) == g) {
		/* the engine deleted it: a restart must not bring it back */
		t = eng_tunnel_find(sup, sa->p.tunnel);
		eng_store_remove(sup, sa);
		if (t)
			eng_tunnel_sync_routes(sup, t);
	}
	if (sup->ev.lifetime)
		sup->ev.lifetime(sup->arg, m->u.lifetime.spi, m->u.lifetime.inbound,
		                 m->u.lifetime.hard, m->u.lifetime.bytes);
}

static void
eng_group_heartbeat(struct eng_group *g, const struct eng_msg *m)
{
	g->last_hb_ms = clk_mono_ms();
	g->hb_count++;
	g->packets_in = m->u.hb.packets_in;
	g->packets_out = m->u.hb.packets_out;
	if (g->ready)
		tmr_add_ms(&g->t_hb, eng_hb_limit_ms(&g->sup->tm));
}

void
eng_group_dispatch(struct eng_group *g, const struct eng_msg *m)
{
	struct eng_sup *sup = g->sup;

	switch (m->type) {
	case ENG_MSG_READY:
		g->ready = true;
		g->last_hb_ms = clk_mono_ms();
		tmr_add_ms(&g->t_hb, eng_hb_limit_ms(&sup->tm));
		eng_group_check_up(g);
		break;
	case ENG_MSG_HEARTBEAT:
		eng_group_heartbeat(g, m);
		break;
	case ENG_MSG_ACK:
		eng_group_ack(g, m);
		break;
	case ENG_MSG_LEASE_REQUEST:
		eng_group_lease_request(g, m);
		break;
	case ENG_MSG_REPLAY_REPORT:
		eng_group_replay(g, m);
		break;
	case ENG_MSG_LIFETIME:
		eng_group_lifetime(g, m);
		break;
	case ENG_MSG_STATS:
		eng_store_stats(sup, g, m);
		break;
	case ENG_MSG_IKE_PACKET:
		if (sup->ev.ike_packet)
			sup->ev.ike_packet(sup->arg, &m->u.ike.src, &m->u.ike.dst, m->u.ike.data,
			                   m->u.ike.len);
		break;
	}
}

static void
eng_group_stats_timer(void *arg)
{
	struct eng_group *g = arg;
	struct buf b;

	if (g->state != ENG_ST_UP)
		return;
	buf_init(&b, false);
	if (eng_codec_query_stats(0, &b) == 0)
		(void)eng_chan_send(g, &b, -1, false);
	buf_fini(&b);
	tmr_add_ms(&g->t_stats, g->sup->tm.stats_ms);
}

/* ---- failure ---------------------------------------------------------------------------- */

/* The engine is gone for good: forget its process and what it held. */
static void
eng_group_forget(struct eng_group *g)
{
	struct eng_tunnel *t;

	tmr_del(&g->t_hb);
	tmr_del(&g->t_stats);
	TAILQ_FOREACH(t, &g->tunnels, entry)
	eng_tunnel_down(g->sup, t);
	eng_store_engine_gone(g->sup, g);
	for (unsigned i = 0; i < g->ndrops; i++) {
		g->drops[i].base += g->drops[i].cur;
		g->drops[i].cur = 0;
	}
	eng_group_close_chan(g);
}

static void
eng_group_reaped(struct eng_group *g, int status)
{
	uint64_t now = clk_mono_ms(), delay;
	char st[64], tl[256];

	eng_proc_status_str(status, st, sizeof(st));
	eng_group_close_pid(g);
	eng_group_tunnel_list(g, false, tl, sizeof(tl));
	delay = eng_group_schedule(g);
	log_warnx("engine %s died (%s) after %llu ms; tunnels %s down; restarting in %llu ms",
	          g->name, st, (unsigned long long)(now - g->spawn_ms), tl,
	          (unsigned long long)delay);
}

static const char *
eng_down_why(enum eng_down_reason why, const struct eng_sup *sup, char *buf, size_t cap)
{
	switch (why) {
	case ENG_DOWN_EXITED:
		return "closed its channel (exited)";
	case ENG_DOWN_HUNG:
		snprintf(buf, cap,
		         "sent no heartbeat for %llu ms (%u periods of %u ms + %u ms; hung)",
		         (unsigned long long)eng_hb_limit_ms(&sup->tm), sup->tm.missed_beats,
		         sup->tm.heartbeat_ms, sup->tm.grace_ms);
		return buf;
	case ENG_DOWN_PROTOCOL:
		return "broke the channel protocol";
	case ENG_DOWN_STOPPED:
		break;
	}
	return "was stopped";
}

void
eng_group_down(struct eng_group *g, enum eng_down_reason why)
{
	struct eng_sup *sup = g->sup;
	uint64_t now = clk_mono_ms(), detect;
	char tl[256], wb[96];
	int status, rc;

	if (g->state != ENG_ST_STARTING && g->state != ENG_ST_UP)
		return;
	detect = now - (g->last_hb_ms ? g->last_hb_ms : g->spawn_ms);
	if (g->state == ENG_ST_UP && now - g->up_ms >= sup->tm.healthy_ms)
		g->fails_in_row = 0; /* it was healthy long enough: restart at once */
	g->state = ENG_ST_DYING;
	g->down_ms = now;
	g->last_detect_ms = detect;
	g->last_reason = why;
	g->last_down_unix = clk_real_sec();
	(void)eng_proc_kill(g->pid, g->pidfd, SIGKILL); /* a hung engine still holds its TUNs */
	eng_group_forget(g);
	eng_group_set_sockets(g, true);
	eng_group_tunnel_list(g, false, tl, sizeof(tl));
	log_warnx("engine %s (pid %d) %s: detected in %llu ms after its last sign of life; "
	          "tunnels %s down",
	          g->name, (int)g->pid, eng_down_why(why, sup, wb, sizeof(wb)),
	          (unsigned long long)detect, tl);
	if (sup->ev.engine_down)
		sup->ev.engine_down(sup->arg, g->name, why, detect);
	rc = eng_proc_reap(g->pid, &status);
	if (rc == 1)
		eng_group_reaped(g, status);
	else if (rc < 0)
		eng_group_reaped(g, 0);
	/* else: the pidfd says when it is gone */
}

/*
 * No heartbeat read for missed_beats periods. Before calling it a hang, read what the channel
 * holds: when tandemd itself was kept off the CPU, the heartbeats wait there, and a timer that
 * expired in the same loop iteration as a heartbeat arrived must not count either.
 */
static void
eng_group_hb_timeout(void *arg)
{
	struct eng_group *g = arg;
	uint64_t limit = eng_hb_limit_ms(&g->sup->tm), since;

	if (g->ready && (g->state == ENG_ST_UP || g->state == ENG_ST_STARTING)) {
		eng_chan_drain(g);
		if (g->state != ENG_ST_UP && g->state != ENG_ST_STARTING)
			return; /* the channel said it is gone */
		since = clk_mono_ms() - g->last_hb_ms;
		if (since < limit) {
			tmr_add_ms(&g->t_hb, limit - since);
			return;
		}
	}
	if (g->state == ENG_ST_STARTING && !g->ready)
		log_warnx("engine %s: not ready %u ms after start", g->name,
		          g->sup->tm.start_timeout_ms);
	eng_group_down(g, ENG_DOWN_HUNG);
}

static void
eng_group_pid_readable(evutil_socket_t fd, short what, void *arg)
{
	struct eng_group *g = arg;
	int status = 0, rc;

	(void)fd;
	(void)what;
	if (g->state == ENG_ST_STARTING || g->state == ENG_ST_UP) {
		eng_group_down(g, ENG_DOWN_EXITED); /* reaps, too */
		return;
	}
	if (g->state != ENG_ST_DYING)
		return;
	rc = eng_proc_reap(g->pid, &status);
	if (rc != 0)
		eng_group_reaped(g, rc == 1 ? status : 0);
	else
		event_add(g->ev_pid, NULL); /* spurious: wait on */
}

/* ---- planned stop ----------------------------------------------------------------------- */

/* Waits (bounded) for the process to exit and reaps it; SIGKILL when the grace is over. */
static void
eng_group_wait_exit(struct eng_group *g, int *status)
{
	struct pollfd pfd = {.fd = g->pidfd, .events = POLLIN};

	if (eng_proc_reap(g->pid, status) == 1)
		return;
	if (g->pidfd >= 0 && poll(&pfd, 1, ENG_STOP_GRACE_MS) > 0 &&
	    eng_proc_reap(g->pid, status) == 1)
		return;
	(void)eng_proc_kill(g->pid, g->pidfd, SIGKILL);
	while (waitpid(g->pid, status, 0) < 0 && errno == EINTR)
		;
}

void
eng_group_stop(struct eng_group *g)
{
	struct eng_sup *sup = g->sup;
	bool was_serving = g->state == ENG_ST_STARTING || g->state == ENG_ST_UP;
	struct buf b;
	int status = 0;

	tmr_del(&g->t_restart);
	if (g->pid > 0) {
		if (g->chan >= 0) {
			buf_init(&b, false);
			if (eng_codec_shutdown(0, &b) == 0)
				(void)eng_chan_send(g, &b, -1, false);
			buf_fini(&b);
		}
		eng_group_forget(g); /* closes the channel: the engine sees it end */
		eng_group_wait_exit(g, &status);
		eng_group_close_pid(g);
	}
	eng_group_close_chan(g);
	if (g->state != ENG_ST_IDLE)
		g->state = ENG_ST_STOPPED;
	if (was_serving) {
		log_info("engine %s stopped", g->name);
		if (sup->ev.engine_down)
			sup->ev.engine_down(sup->arg, g->name, ENG_DOWN_STOPPED, 0);
	}
}
