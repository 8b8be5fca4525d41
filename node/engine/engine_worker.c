/* SPDX-License-Identifier: MIT */
/*
 * Packet workers: one event_base per thread (worker 0 is the main thread's, which also
 * serves the channel). Each socket and each TUN queue is polled by exactly one worker; the
 * main thread hands them over through a small command queue and a wake-up pipe and waits
 * until the worker took them. A tick per half heartbeat period proves a worker still turns.
 * Also the drop counters and their rate-limited log lines (seed 004 §17 wording).
 */
#define LOG_SUBSYS "engine"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/engine/engine_int.h"

#define ENGINE_LOG_BURST       5    /* lines per reason ... */
#define ENGINE_LOG_INTERVAL_MS 1000 /* ... per second and worker */

static const struct {
	const char *name, *msg;
} engine_drops[ENGINE_DROP__COUNT - ESP_DROP__COUNT] = {
        [ENGINE_DROP_NO_TUNNEL - ESP_DROP__COUNT] = {"no_tunnel",
                                                     "No tunnel interface for the SA."},
        [ENGINE_DROP_NO_OUT_SA -
                ESP_DROP__COUNT] = {"no_outbound_sa", "No outbound SA matches the packet."},
        [ENGINE_DROP_TOO_BIG -
                ESP_DROP__COUNT] = {"too_big", "Packet exceeds the tunnel MTU; ICMP sent."},
        [ENGINE_DROP_NO_SOCKET -
                ESP_DROP__COUNT] = {"no_socket", "No socket for the SA's local address."},
        [ENGINE_DROP_SEND - ESP_DROP__COUNT] = {"send_failed", "Sending the ESP packet failed."},
        [ENGINE_DROP_TUN_WRITE -
                ESP_DROP__COUNT] = {"tun_write_failed", "Writing to the tunnel interface failed."},
        [ENGINE_DROP_CHANNEL -
                ESP_DROP__COUNT] = {"channel_full", "IKE packet not forwarded: channel full."},
        [ENGINE_DROP_NOT_IP - ESP_DROP__COUNT] = {"not_ip", "Clear packet is not IPv4 or IPv6."},
};

const char *
engine_drop_name(unsigned d)
{
	if (d < ESP_DROP__COUNT)
		return esp_drop_name((enum esp_drop)d);
	return d < ENGINE_DROP__COUNT ? engine_drops[d - ESP_DROP__COUNT].name : "unknown";
}

const char *
engine_drop_msg(unsigned d)
{
	if (d < ESP_DROP__COUNT)
		return esp_drop_msg((enum esp_drop)d);
	return d < ENGINE_DROP__COUNT ? engine_drops[d - ESP_DROP__COUNT].msg : "Unknown.";
}

/* Peer-triggered reasons are warnings; the seeds call replay and no-SA lines information. */
static enum log_level
drop_level(unsigned d)
{
	switch (d) {
	case ESP_DROP_AUTH_FAILED:
	case ESP_DROP_MODE_MISMATCH:
	case ESP_DROP_BAD_PADDING:
	case ESP_DROP_MALFORMED:
	case ESP_DROP_TS_MISMATCH:
	case ESP_DROP_INTERNAL:
	case ENGINE_DROP_SEND:
	case ENGINE_DROP_TUN_WRITE:
		return LOG_LVL_WARN;
	default:
		return LOG_LVL_INFO;
	}
}

static void
peer_str(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (!ss) {
		snprintf(out, cap, "-");
		return;
	}
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
	}
	snprintf(out, cap, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

void
engine_drop(struct engine_worker *w, unsigned reason, const struct engine_sa *sa, uint32_t spi,
            const struct sockaddr_storage *peer)
{
	char ps[INET6_ADDRSTRLEN + 10], more[64] = "";
	uint32_t supp = 0;

	if (reason >= ENGINE_DROP__COUNT)
		return;
	atomic_fetch_add_explicit(&w->st.drops[reason], 1, memory_order_relaxed);
	if (reason == ESP_DROP_DUMMY || drop_level(reason) > log_get_level())
		return;
	if (!log_rl_allow(&w->rl[reason], clk_mono_ms(), &supp))
		return;
	peer_str(peer, ps, sizeof(ps));
	if (sa)
		spi = sa->p->spi;
	if (supp)
		snprintf(more, sizeof(more), " [%u more suppressed]", supp);
	log_emit(drop_level(reason), LOG_SUBSYS, false, "%s (%s, SPI 0x%08x, peer %s, tunnel %s)%s",
	         engine_drop_msg(reason), engine_drop_name(reason), spi, ps,
	         sa ? sa->p->tunnel : "-", more);
}

#define STAT_SUM(e, f, out)                                                                    \
	do {                                                                                   \
		(out) = 0;                                                                     \
		for (unsigned i_ = 0; i_ < (e)->nworkers; i_++)                                \
			(out) += atomic_load_explicit(&(e)->w[i_].st.f, memory_order_relaxed); \
	} while (0)

void
engine_stats_log(struct engine *e)
{
	uint64_t pin, pout, tr, tso, tsos, rc, gt, gs, sc, sm, gm, gsg, tw, tgw, tgs;

	if (!e->w)
		return;
	STAT_SUM(e, packets_in, pin);
	STAT_SUM(e, packets_out, pout);
	STAT_SUM(e, tun_reads, tr);
	STAT_SUM(e, tso_reads, tso);
	STAT_SUM(e, tso_segs, tsos);
	STAT_SUM(e, recv_calls, rc);
	STAT_SUM(e, gro_trains, gt);
	STAT_SUM(e, gro_segs, gs);
	STAT_SUM(e, send_calls, sc);
	STAT_SUM(e, send_msgs, sm);
	STAT_SUM(e, gso_msgs, gm);
	STAT_SUM(e, gso_segs, gsg);
	STAT_SUM(e, tun_writes, tw);
	STAT_SUM(e, tun_gro_writes, tgw);
	STAT_SUM(e, tun_gro_segs, tgs);
	log_info("heartbeats %llu, longest gap %llu ms", (unsigned long long)e->hb_seq,
	         (unsigned long long)e->hb_max_gap_ms);
	log_info("packets in %llu out %llu; TUN reads %llu (TSO %llu -> %llu segments), TUN "
	         "writes %llu (joined %llu -> %llu segments); recvmmsg %llu (GRO trains %llu -> "
	         "%llu); sendmmsg %llu for %llu messages (GSO %llu -> %llu)",
	         (unsigned long long)pin, (unsigned long long)pout, (unsigned long long)tr,
	         (unsigned long long)tso, (unsigned long long)tsos, (unsigned long long)tw,
	         (unsigned long long)tgw, (unsigned long long)tgs, (unsigned long long)rc,
	         (unsigned long long)gt, (unsigned long long)gs, (unsigned long long)sc,
	         (unsigned long long)sm, (unsigned long long)gm, (unsigned long long)gsg);
}

/* ---- commands from the main thread -------------------------------------------------------- */

static void engine_sock_cb(evutil_socket_t fd, short what, void *arg);
static void engine_tunq_cb(evutil_socket_t fd, short what, void *arg);

static void
cmd_apply(struct engine_worker *w, const struct engine_cmd *c)
{
	struct event **ev = c->sock ? &c->sock->ev : &c->q->ev;

	if (c->type == ENGINE_CMD_ADD_FD && !*ev) {
		if (c->sock)
			*ev = event_new(w->base, c->sock->fd, EV_READ | EV_PERSIST, engine_sock_cb,
			                c->sock);
		else
			*ev = event_new(w->base, c->q->fd, EV_READ | EV_PERSIST, engine_tunq_cb,
			                c->q);
		if (*ev) {
			event_priority_set(*ev, ENGINE_PRIO_PKT);
			event_add(*ev, NULL);
		} else
			log_warnx("worker %u: out of memory polling fd", w->id);
	} else if (c->type == ENGINE_CMD_DEL_FD && *ev) {
		event_free(*ev);
		*ev = NULL;
	}
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine_worker *w = arg;
	char b[64];

	(void)what;
	while (read(fd, b, sizeof(b)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	for (unsigned i = 0; i < w->ncmds; i++) {
		if (w->cmds[i].type == ENGINE_CMD_STOP)
			event_base_loopbreak(w->base);
		else
			cmd_apply(w, &w->cmds[i]);
	}
	w->cmd_done += w->ncmds;
	w->ncmds = 0;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Queues a command for worker w (not 0) and waits until it ran. */
static void
cmd_send(struct engine_worker *w, const struct engine_cmd *c)
{
	uint64_t ticket;

	pthread_mutex_lock(&w->mu);
	while (w->ncmds == sizeof(w->cmds) / sizeof(w->cmds[0]))
		pthread_cond_wait(&w->cv, &w->mu);
	w->cmds[w->ncmds++] = *c;
	ticket = ++w->cmd_sent;
	pthread_mutex_unlock(&w->mu);
	(void)!write(w->wake[1], "w", 1);
	pthread_mutex_lock(&w->mu);
	while (w->cmd_done < ticket)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

static void
worker_cmd(struct engine *e, unsigned wi, enum engine_cmd_type type, struct engine_sock *s,
           struct engine_tunq *q)
{
	struct engine_cmd c = {.type = type, .sock = s, .q = q};
	struct engine_worker *w = &e->w[wi % e->nworkers];

	if (w->id == 0 || !w->started)
		cmd_apply(w, &c); /* the main thread's own loop, or one no longer running */
	else
		cmd_send(w, &c);
}

void
engine_worker_add(struct engine *e, unsigned w, struct engine_sock *s, struct engine_tunq *q)
{
	worker_cmd(e, w, ENGINE_CMD_ADD_FD, s, q);
}

void
engine_worker_del(struct engine *e, unsigned w, struct engine_sock *s, struct engine_tunq *q)
{
	if (e->w)
		worker_cmd(e, w, ENGINE_CMD_DEL_FD, s, q);
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void
engine_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine_sock *s = arg;
	struct engine *e = s->eng;

	(void)fd;
	(void)what;
	engine_in_readable(&e->w[s->worker], s);
}

static void
engine_tunq_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine_tunq *q = arg;

	(void)fd;
	(void)what;
	engine_out_readable(&q->eng->w[q->worker], q);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine_worker *w = arg;

	(void)fd;
	(void)what;
	w->last_tick_ms = clk_mono_ms();
	atomic_fetch_add(&w->ticks, 1);
}

bool
engine_worker_pulse(struct engine_worker *w, uint64_t start_us)
{
	struct engine *e = w->eng;
	uint64_t now_us = clk_mono_us(), now = now_us / 1000u, half = e->heartbeat_ms / 2u;

	if (now - w->last_tick_ms >= (half ? half : 1u)) {
		w->last_tick_ms = now;
		atomic_fetch_add(&w->ticks, 1);
	}
	if (w->id == 0)
		engine_ctl_heartbeat_due(e, now);
	/* a quarter of a heartbeat period per wakeup, then the loop's other events */
	return now_us - start_us >= (uint64_t)e->heartbeat_ms * 250u;
}

static void *
worker_main(void *arg)
{
	struct engine_worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static int
worker_init(struct engine *e, struct engine_worker *w, unsigned id)
{
	struct timeval tv = {0, (suseconds_t)(e->heartbeat_ms * 1000 / 2)};

	w->eng = e;
	w->id = id;
	w->wake[0] = w->wake[1] = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (unsigned d = 0; d < ENGINE_DROP__COUNT; d++)
		log_rl_init(&w->rl[d], ENGINE_LOG_BURST, ENGINE_LOG_INTERVAL_MS);
	log_rl_init(&w->rl_icmp, 100, 1000);
	w->io = engine_io_new();
	if (!w->io)
		return -ENOMEM;
	w->base = id == 0 ? e->base : event_base_new();
	if (!w->base || (id != 0 && event_base_priority_init(w->base, 2) != 0) ||
	    pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		return -ENOMEM;
	w->ev_wake = event_new(w->base, w->wake[0], EV_READ | EV_PERSIST, wake_cb, w);
	w->ev_tick = event_new(w->base, -1, EV_PERSIST, tick_cb, w);
	if (!w->ev_wake || !w->ev_tick)
		return -ENOMEM;
	event_priority_set(w->ev_wake, ENGINE_PRIO_CTL);
	event_priority_set(w->ev_tick, ENGINE_PRIO_CTL);
	tv.tv_sec = tv.tv_usec / 1000000;
	tv.tv_usec %= 1000000;
	event_add(w->ev_wake, NULL);
	event_add(w->ev_tick, &tv);
	return 0;
}

int
engine_workers_start(struct engine *e, unsigned n)
{
	e->w = calloc(n, sizeof(*e->w));
	if (!e->w)
		return -ENOMEM;
	e->nworkers = n;
	for (unsigned i = 0; i < n; i++) {
		int rc = worker_init(e, &e->w[i], i);

		if (rc < 0)
			return rc;
	}
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&e->w[i].thread, NULL, worker_main, &e->w[i]) != 0)
			return -EAGAIN;
		e->w[i].started = true;
	}
	return 0;
}

/* Stops and joins the threads; their bases stay until engine_workers_free. */
void
engine_workers_stop(struct engine *e)
{
	for (unsigned i = 1; e->w && i < e->nworkers; i++) {
		struct engine_worker *w = &e->w[i];
		struct engine_cmd c = {.type = ENGINE_CMD_STOP};

		if (!w->started)
			continue;
		pthread_mutex_lock(&w->mu);
		w->cmds[w->ncmds++] = c;
		pthread_mutex_unlock(&w->mu);
		(void)!write(w->wake[1], "s", 1);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
}

void
engine_workers_free(struct engine *e)
{
	for (unsigned i = 0; e->w && i < e->nworkers; i++) {
		struct engine_worker *w = &e->w[i];

		if (w->ev_wake)
			event_free(w->ev_wake);
		if (w->ev_tick)
			event_free(w->ev_tick);
		if (w->base && i != 0)
			event_base_free(w->base);
		for (int k = 0; k < 2; k++) {
			if (w->wake[k] >= 0)
				close(w->wake[k]);
		}
		engine_io_free(w->io);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	free(e->w);
	e->w = NULL;
	e->nworkers = 0;
}
