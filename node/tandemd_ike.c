/* SPDX-License-Identifier: MIT */
/*
 * The IKE engine's host inside tandemd: UDP sockets on port 500 for every tunnel's local
 * address, IKE on port 4500 through the crypto engines' sockets (docs/engine.md), the timer
 * that drives the engine, the hold queue of sync-before-send, the observer's log lines, and
 * the hactl commands about tunnels and SAs.
 */
#define LOG_SUBSYS "ike"
#include "tandemd_ike.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/ctl/ctl_codec_ike.h"
#include "node/eng/eng_sup.h"
#include "node/ike/ike_const.h"
#include "node/ike/ike_engine.h"
#include "node/tandemd_events.h"
#include "node/tandemd_ha.h"
#include "node/tandemd_int.h"
#include "node/tandemd_sync.h"

#define TI_MAX_DGRAM 65535
#define TI_MAX_HELD  4096 /* datagrams waiting for their state to be replicated */

/* A socket bound to local:500. */
struct ti_sock {
	TAILQ_ENTRY(ti_sock) entry;
	struct sockaddr_storage local;
	int fd;
	struct event *ev;
	struct tandemd_ike *ti;
};

/* A datagram held by sync-before-send until its commit is safe. */
struct ti_held {
	TAILQ_ENTRY(ti_held) entry;
	uint64_t commit;
	struct sockaddr_storage local, remote;
	size_t len;
	uint8_t data[];
};

/* The last up/down change of a tunnel, from the observer. */
struct ti_tunnel {
	TAILQ_ENTRY(ti_tunnel) entry;
	char name[CFG_NAME_MAX];
	bool up;
	int64_t changed_unix;
	char reason[96];
};

struct tandemd_ike {
	struct tandemd *d;
	struct ike_engine *eng;
	struct event *timer;
	TAILQ_HEAD(, ti_sock) socks;
	TAILQ_HEAD(, ti_held) held;
	unsigned nheld;
	uint64_t safe_commit; /* changes up to this number are replicated (or need not be) */
	TAILQ_HEAD(, ti_tunnel) tunnels;
	struct log_rl rl_send;
};

/* ---- addresses ------------------------------------------------------------------------ */

static void
ti_sockaddr(const struct cfg_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
	}
}

static uint16_t
ti_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
	                                      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static socklen_t
ti_sslen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Same address (ports ignored). */
static bool
ti_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static void
ti_addr_str(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
	snprintf(out, cap, "%s:%u", a, ti_port(ss));
}

/* ---- the timer ------------------------------------------------------------------------- */

/* Runs due timers and arms the libevent timer for the next one. Call after every engine call. */
static void
ti_reschedule(struct tandemd_ike *ti)
{
	uint64_t now = clk_mono_ms(), next = ike_engine_tick(ti->eng, now);
	struct timeval tv;

	if (next == UINT64_MAX) {
		evtimer_del(ti->timer);
		return;
	}
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000);
	tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
	evtimer_add(ti->timer, &tv);
}

static void
ti_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ti_reschedule(arg);
}

/* ---- sending --------------------------------------------------------------------------- */

static struct ti_sock *
ti_sock_find(struct tandemd_ike *ti, const struct sockaddr_storage *local)
{
	struct ti_sock *s;

	TAILQ_FOREACH(s, &ti->socks, entry)
	if (ti_same_addr(&s->local, local))
		return s;
	return NULL;
}

/* Puts one datagram on the wire: port 500 from our socket, 4500 through the engine's. */
static void
ti_transmit(struct tandemd_ike *ti, const struct sockaddr_storage *local,
            const struct sockaddr_storage *remote, const uint8_t *p, size_t len)
{
	static const uint8_t marker[IKE_NON_ESP_MARKER_LEN];
	struct iovec iov[2] = {{(void *)(uintptr_t)marker, sizeof(marker)},
	                       {(void *)(uintptr_t)p, len}};
	struct msghdr mh = {.msg_name = (void *)(uintptr_t)remote, .msg_namelen = ti_sslen(remote)};
	struct ti_sock *s;
	uint32_t supp;
	int fd = -1;

	if (ti_port(local) == IKE_NATT_PORT) {
		fd = ti->d->eng ? eng_sup_natt_fd(ti->d->eng, local) : -1;
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
	} else {
		s = ti_sock_find(ti, local);
		fd = s ? s->fd : -1;
		mh.msg_iov = &iov[1];
		mh.msg_iovlen = 1;
	}
	if (fd >= 0 && sendmsg(fd, &mh, MSG_DONTWAIT) >= 0)
		return;
	if (log_rl_allow(&ti->rl_send, clk_mono_ms(), &supp)) {
		char l[64], r[64];

		ti_addr_str(local, l, sizeof(l));
		ti_addr_str(remote, r, sizeof(r));
		log_warnx("cannot send %zu bytes %s -> %s: %s%s", len, l, r,
		          fd < 0 ? "no socket for that address" : strerror(errno),
		          supp ? " (and more like it)" : "");
	}
}

/* Sends held datagrams whose state is now safe, in order. */
static void
ti_release(struct tandemd_ike *ti)
{
	struct ti_held *h;

	while ((h = TAILQ_FIRST(&ti->held)) != NULL && h->commit <= ti->safe_commit) {
		TAILQ_REMOVE(&ti->held, h, entry);
		ti->nheld--;
		ti_transmit(ti, &h->local, &h->remote, h->data, h->len);
		free(h);
	}
}

static void
ti_io_send(void *arg, const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
           const uint8_t *p, size_t len, uint64_t commit)
{
	struct tandemd_ike *ti = arg;
	struct ti_held *h;

	if (commit <= ti->safe_commit && TAILQ_EMPTY(&ti->held)) {
		ti_transmit(ti, local, remote, p, len);
		return;
	}
	/* sync-before-send: wait until the change that goes with it is replicated */
	if (ti->nheld >= TI_MAX_HELD || !(h = malloc(sizeof(*h) + len))) {
		log_warnx("sync-before-send queue full (%u datagrams): dropping one; the peer "
		          "will retransmit",
		          ti->nheld);
		return;
	}
	h->commit = commit;
	h->local = *local;
	h->remote = *remote;
	h->len = len;
	memcpy(h->data, p, len);
	TAILQ_INSERT_TAIL(&ti->held, h, entry);
	ti->nheld++;
}

void
tandemd_ike_drop_held(struct tandemd_ike *ti)
{
	struct ti_held *h;

	if (ti->nheld)
		log_info("dropping %u datagram(s) whose state the group did not deliver",
		         ti->nheld);
	while ((h = TAILQ_FIRST(&ti->held)) != NULL) {
		TAILQ_REMOVE(&ti->held, h, entry);
		free(h);
	}
	ti->nheld = 0;
}

void
tandemd_ike_commit_safe(struct tandemd_ike *ti, uint64_t commit)
{
	if (commit > ti->safe_commit)
		ti->safe_commit = commit;
	ti_release(ti);
}

/* ---- the engine's other callbacks -------------------------------------------------------- */

static void
ti_io_random(void *arg, uint8_t *p, size_t len)
{
	(void)arg;
	if (RAND_bytes(p, (int)len) != 1)
		fatalx("RAND_bytes failed: no randomness for IKE");
}

static int
ti_io_sa_install(void *arg, const struct esp_sa_params *p)
{
	struct tandemd_ike *ti = arg;
	int rc;

	if (!ti->d->eng) {
		log_warnx("tunnel %s: no crypto engine to install SA %08x in", p->tunnel, p->spi);
		return -ENOTSUP;
	}
	rc = eng_sa_install(ti->d->eng, p);
	if (rc < 0)
		log_warnx("tunnel %s: installing %s SA %08x failed: %s", p->tunnel,
		          p->inbound ? "inbound" : "outbound", p->spi, strerror(-rc));
	return rc;
}

static void
ti_io_sa_delete(void *arg, uint32_t spi, bool inbound)
{
	struct tandemd_ike *ti = arg;

	if (ti->d->eng)
		(void)eng_sa_delete(ti->d->eng, spi, inbound);
}

static struct ti_tunnel *
ti_tunnel_get(struct tandemd_ike *ti, const char *name)
{
	struct ti_tunnel *t;

	TAILQ_FOREACH(t, &ti->tunnels, entry)
	if (strcmp(t->name, name) == 0)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	TAILQ_INSERT_TAIL(&ti->tunnels, t, entry);
	return t;
}

static void
ti_obs_tunnel(void *arg, const char *tunnel, bool up, const char *reason)
{
	struct tandemd_ike *ti = arg;
	struct ti_tunnel *t = ti_tunnel_get(ti, tunnel);

	log_info("tunnel %s %s: %s", tunnel, up ? "up" : "down", reason ? reason : "");
	if (!t)
		return;
	t->up = up;
	t->changed_unix = clk_real_sec();
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
	tandemd_event(ti->d, TEV_TUNNEL, tunnel, up ? "up" : "down", NULL, 0, "%s",
	              reason ? reason : "");
	tandemd_ha_tunnel_changed(ti->d, tunnel, up, reason); /* routes by cost */
}

/* SA established, rekeyed or deleted: an event (tandemd_events.h); message-ID moves are not. */
static void
ti_sa_event(struct tandemd_ike *ti, const struct ike_sa_state *st, enum ike_change what)
{
	bool child = what == IKE_CH_CHILD_ADDED || what == IKE_CH_CHILD_REKEYED ||
	             what == IKE_CH_CHILD_DELETED;
	const char *state = what == IKE_CH_ESTABLISHED || what == IKE_CH_CHILD_ADDED ? "established"
	                    : what == IKE_CH_REKEYED || what == IKE_CH_CHILD_REKEYED ? "rekeyed"
	                    : what == IKE_CH_DELETED || what == IKE_CH_CHILD_DELETED ? "deleted"
	                                                                             : NULL;
	char detail[64];

	if (!state)
		return;
	snprintf(detail, sizeof(detail), "IKE SA %016llx/%016llx", (unsigned long long)st->spi_i,
	         (unsigned long long)st->spi_r);
	tandemd_event(ti->d, child ? TEV_CHILD_SA : TEV_IKE_SA, st->tunnel, state, detail, 0,
	              "%u Child SA(s) now", (unsigned)st->nchildren);
}

static void
ti_obs_changed(void *arg, const struct ike_sa_state *st, enum ike_change what, uint64_t commit)
{
	struct tandemd_ike *ti = arg;

	/* Without replication every change is safe at once; with it, once the group delivered it
	 * back (tandemd_sync.c calls tandemd_ike_commit_safe) */
	if (!tandemd_sync_enabled(ti->d))
		ti->safe_commit = commit;
	else
		tandemd_sync_ike_changed(ti->d, st, what, commit);
	if (what == IKE_CH_ESTABLISHED || what == IKE_CH_DELETED || what == IKE_CH_REKEYED)
		log_info("IKE SA %016llx/%016llx of tunnel %s %s", (unsigned long long)st->spi_i,
		         (unsigned long long)st->spi_r, st->tunnel,
		         what == IKE_CH_ESTABLISHED ? "established"
		         : what == IKE_CH_DELETED   ? "deleted"
		                                    : "rekeyed");
	ti_sa_event(ti, st, what);
}

/* ---- receiving --------------------------------------------------------------------------- */

void
tandemd_ike_input(struct tandemd_ike *ti, const struct sockaddr_storage *local,
                  const struct sockaddr_storage *remote, const uint8_t *p, size_t len)
{
	ike_engine_input(ti->eng, clk_mono_ms(), local, remote, p, len);
	ti_reschedule(ti);
}

static void
ti_sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct ti_sock *s = arg;
	static uint8_t buf[TI_MAX_DGRAM];

	(void)what;
	for (int i = 0; i < 64; i++) { /* bounded: let other events run */
		struct sockaddr_storage remote;
		socklen_t rlen = sizeof(remote);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
		                     (struct sockaddr *)&remote, &rlen);

		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf))
			continue; /* truncated: cannot be a valid IKE message */
		ike_engine_input(s->ti->eng, clk_mono_ms(), &s->local, &remote, buf, (size_t)n);
	}
	ti_reschedule(s->ti);
}

static void
ti_sock_free(struct ti_sock *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

#define TI_SOCK_RCVBUF (4 << 20) /* port 500: room for a burst of IKE_SA_INITs */

/* Binds local:500. IP_FREEBIND: a standby binds the VIP before it holds it. */
static struct ti_sock *
ti_sock_open(struct tandemd_ike *ti, const struct sockaddr_storage *local)
{
	struct ti_sock *s = calloc(1, sizeof(*s));
	int one = 1, rb = TI_SOCK_RCVBUF;
	char a[64];

	if (!s)
		return NULL;
	s->ti = ti;
	s->local = *local;
	s->fd = socket(local->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) != 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s->fd, (const struct sockaddr *)local, ti_sslen(local)) != 0) {
		ti_addr_str(local, a, sizeof(a));
		log_warn("cannot open IKE socket %s", a);
		ti_sock_free(s);
		return NULL;
	}
	/*
	 * A burst of IKE_SA_INITs (a peer bringing hundreds of SAs up at once) outran the default
	 * receive buffer while the IKE engine computed DH; each dropped request cost the peer a
	 * 4 s retransmission (docs/benchmarks.md). Beyond rmem_max only with CAP_NET_ADMIN.
	 */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) != 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)); /* best effort */
	s->ev = event_new(ti->d->base, s->fd, EV_READ | EV_PERSIST, ti_sock_read, s);
	if (!s->ev || event_add(s->ev, NULL) != 0) {
		ti_sock_free(s);
		return NULL;
	}
	return s;
}

/* Opens port-500 sockets for the local addresses of the configured tunnels, closes others. */
static void
ti_sockets_apply(struct tandemd_ike *ti, const struct cfg *cfg)
{
	struct ti_sock *s, *tmp;
	struct cfg_tunnel *t;

	/* glibc's sys/queue.h has no TAILQ_FOREACH_SAFE */
	for (s = TAILQ_FIRST(&ti->socks); s; s = tmp) {
		bool used = false;

		tmp = TAILQ_NEXT(s, entry);
		TAILQ_FOREACH(t, &cfg->tunnels, entry)
		{
			struct sockaddr_storage l;

			ti_sockaddr(&t->local, IKE_PORT, &l);
			used |= t->kind != CFG_TUNNEL_MANUAL && ti_same_addr(&l, &s->local);
		}
		if (!used) {
			TAILQ_REMOVE(&ti->socks, s, entry);
			ti_sock_free(s);
		}
	}
	TAILQ_FOREACH(t, &cfg->tunnels, entry)
	{
		struct sockaddr_storage l;

		if (t->kind == CFG_TUNNEL_MANUAL || !t->local.family)
			continue;
		ti_sockaddr(&t->local, IKE_PORT, &l);
		if (ti_sock_find(ti, &l))
			continue;
		s = ti_sock_open(ti, &l);
		if (s)
			TAILQ_INSERT_TAIL(&ti->socks, s, entry);
	}
}

/* ---- life cycle ----------------------------------------------------------------------------- */

int
tandemd_ike_new(struct tandemd *d, struct tandemd_ike **out)
{
	static const struct ike_io io = {
	        .send = ti_io_send,
	        .random = ti_io_random,
	        .sa_install = ti_io_sa_install,
	        .sa_delete = ti_io_sa_delete,
	};
	static const struct ike_observer obs = {
	        .changed = ti_obs_changed,
	        .tunnel = ti_obs_tunnel,
	};
	struct ike_engine_opts o = {
	        .half_open_cookie_threshold = d->cfg->ike_cookie_threshold,
	        .retransmit_base_ms = d->cfg->ike_retransmit_base_ms,
	        .retransmit_tries = d->cfg->ike_retransmit_tries,
	        .initiate_backoff_max_ms = 60000,
	};
	struct tandemd_ike *ti = calloc(1, sizeof(*ti));
	int rc;

	if (!ti)
		return -ENOMEM;
	ti->d = d;
	TAILQ_INIT(&ti->socks);
	TAILQ_INIT(&ti->held);
	TAILQ_INIT(&ti->tunnels);
	log_rl_init(&ti->rl_send, 5, 10000);
	ti->timer = evtimer_new(d->base, ti_timer, ti);
	rc = ti->timer ? ike_engine_new(&o, &io, ti, &obs, ti, &ti->eng) : -ENOMEM;
	if (rc < 0) {
		tandemd_ike_free(ti);
		return rc;
	}
	*out = ti;
	return 0;
}

void
tandemd_ike_apply(struct tandemd_ike *ti, const struct cfg *cfg)
{
	/* displays and imported SAs need the wall clock that goes with the engine clock */
	ike_engine_set_wallclock(ti->eng, clk_real_sec() * 1000, clk_mono_ms());
	ti_sockets_apply(ti, cfg);
	ike_engine_set_config(ti->eng, cfg, clk_mono_ms());
	ti_reschedule(ti);
}

void
tandemd_ike_free(struct tandemd_ike *ti)
{
	struct ti_sock *s;
	struct ti_held *h;
	struct ti_tunnel *t;

	if (!ti)
		return;
	while ((s = TAILQ_FIRST(&ti->socks)) != NULL) {
		TAILQ_REMOVE(&ti->socks, s, entry);
		ti_sock_free(s);
	}
	while ((h = TAILQ_FIRST(&ti->held)) != NULL) {
		TAILQ_REMOVE(&ti->held, h, entry);
		free(h);
	}
	while ((t = TAILQ_FIRST(&ti->tunnels)) != NULL) {
		TAILQ_REMOVE(&ti->tunnels, t, entry);
		free(t);
	}
	ike_engine_free(ti->eng);
	if (ti->timer)
		event_free(ti->timer);
	free(ti);
}

bool
tandemd_ike_tunnel_last(const struct tandemd_ike *ti, const char *name, bool *up,
                        int64_t *when_unix, const char **reason)
{
	const struct ti_tunnel *t;

	TAILQ_FOREACH(t, &ti->tunnels, entry)
	{
		if (strcmp(t->name, name) == 0) {
			*up = t->up;
			*when_unix = t->changed_unix;
			*reason = t->reason;
			return true;
		}
	}
	return false;
}

struct ike_engine *
tandemd_ike_engine(struct tandemd_ike *ti)
{
	return ti->eng;
}

void
tandemd_ike_kick(struct tandemd_ike *ti)
{
	ti_reschedule(ti);
}
