/* SPDX-License-Identifier: MIT */
/*
 * The engine's tables: attached sockets (by local address), tunnels (by name, each with its
 * TUN queues and its outbound SAs) and SAs (inbound by SPI in a hash, all in a list). Only
 * the main thread changes them, under the write lock; packet workers read them under the
 * read lock for one batch at a time, so an SA unlinked under the write lock can be freed as
 * soon as the lock is released. Every SA is in engine_sahash.c's table by (SPI, direction).
 */
#define LOG_SUBSYS "engine"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "node/core/log.h"
#include "node/engine/engine_int.h"

struct engine_sa *
engine_sa_in_lookup(struct engine *e, uint32_t spi)
{
	return engine_sahash_find(&e->sa_hash, spi, true);
}

struct engine_sa *
engine_sa_find(struct engine *e, uint32_t spi, bool inbound)
{
	return engine_sahash_find(&e->sa_hash, spi, inbound);
}

static struct engine_tunnel *
tun_find(struct engine *e, const char *name)
{
	struct engine_tunnel *t;

	TAILQ_FOREACH(t, &e->tuns, entry)
	{
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

static struct engine_sock *
sock_find(struct engine *e, int family, const uint8_t *addr, uint16_t port)
{
	struct engine_sock *s;

	TAILQ_FOREACH(s, &e->socks, entry)
	{
		if (s->local.family == family && s->local.port == port &&
		    memcmp(s->local.addr, addr, family == AF_INET ? 4 : 16) == 0)
			return s;
	}
	return NULL;
}

/* ---- outbound SA lists of tunnels -------------------------------------------------------- */

static int
tun_out_add(struct engine_tunnel *t, struct engine_sa *sa)
{
	if (t->nout == t->capout) {
		unsigned cap = t->capout ? t->capout * 2 : 4;
		struct engine_sa **n = realloc(t->out, cap * sizeof(struct engine_sa *));

		if (!n)
			return -ENOMEM;
		t->out = n;
		t->capout = cap;
	}
	t->out[t->nout++] = sa;
	return 0;
}

static void
tun_out_del(struct engine_tunnel *t, const struct engine_sa *sa)
{
	for (unsigned i = 0; i < t->nout; i++) {
		if (t->out[i] == sa) {
			memmove(&t->out[i], &t->out[i + 1],
			        (t->nout - i - 1) * sizeof(struct engine_sa *));
			t->nout--;
			return;
		}
	}
}

/* ---- SAs --------------------------------------------------------------------------------- */

/* The outer path MTU toward the peer: IP_MTU of a connected UDP socket (no privilege). */
static size_t
sa_path_mtu(const struct engine_sa *sa)
{
	int fd = socket(sa->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = 0;
	socklen_t ml = sizeof(mtu);

	if (fd < 0)
		return 1500;
	if (connect(fd, (const struct sockaddr *)&sa->peer, sa->peer_len) != 0 ||
	    getsockopt(fd, sa->peer.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	               sa->peer.ss_family == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &ml) != 0 ||
	    mtu < 576)
		mtu = 1500;
	close(fd);
	return (size_t)mtu;
}

/* The largest clear packet that goes whole: the configured MTU within the path's. */
static size_t
sa_inner_mtu(const struct engine_sa *sa, size_t path)
{
	size_t outer = path - (sa->p->family == AF_INET ? 20u : 40u) - 8u, inner, cfg = sa->p->mtu;

	if (!cfg && sa->tun)
		cfg = sa->tun->mtu;
	if (outer > ENGINE_PKT_MAX)
		outer = ENGINE_PKT_MAX; /* what one buffer slot holds */
	inner = esp_sa_max_inner(sa->esp, outer);
	return cfg && cfg < inner ? cfg : inner;
}

/*
 * The path MTU an outbound SA of the same tunnel to the same peer already found (0: none).
 * Probing costs a socket, connect, getsockopt and close per install, 5 % of a whole IKE SA
 * setup in perf; the SAs of one tunnel almost always share the peer. Only the first few are
 * looked at, so it stays O(1); EMSGSIZE re-probes per SA (engine_sa_refresh_mtu).
 */
static size_t
sa_known_path_mtu(const struct engine_sa *sa)
{
	const struct engine_tunnel *t = sa->tun;

	for (unsigned i = 0; t && i < t->nout && i < 4; i++) {
		const struct engine_sa *o = t->out[i];
		size_t mtu = atomic_load(&o->path_mtu);

		if (o != sa && mtu && o->peer_len == sa->peer_len &&
		    memcmp(&o->peer, &sa->peer, sa->peer_len) == 0)
			return mtu;
	}
	return 0;
}

/* Effective DF policy and inner MTU (docs/engine.md, "MTU and DF"). */
static void
sa_outer(struct engine_sa *sa)
{
	size_t path;

	sa->df_bit = sa->p->df_bit;
	if (sa->df_bit == CFG_DF_PROPAGATE && sa->tun)
		sa->df_bit = sa->tun->df_bit;
	if (sa->p->inbound)
		return;
	path = sa_known_path_mtu(sa);
	if (!path)
		path = sa_path_mtu(sa);
	atomic_store(&sa->path_mtu, path);
	atomic_store(&sa->inner_mtu, sa_inner_mtu(sa, path));
}

void
engine_sa_refresh_mtu(struct engine_sa *sa)
{
	size_t path = sa_path_mtu(sa);

	if (path == atomic_load(&sa->path_mtu))
		return;
	atomic_store(&sa->path_mtu, path);
	atomic_store(&sa->inner_mtu, sa_inner_mtu(sa, path));
	log_info("SA out SPI 0x%08x: path MTU now %zu, inner MTU %zu", sa->p->spi, path,
	         atomic_load(&sa->inner_mtu));
}

static void
sa_peer(struct engine_sa *sa)
{
	const struct esp_sa_params *p = sa->p;

	memset(&sa->peer, 0, sizeof(sa->peer));
	if (p->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&sa->peer;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->remote_port);
		memcpy(&sin->sin_addr, p->remote, 4);
		sa->peer_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa->peer;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->remote_port);
		memcpy(&sin6->sin6_addr, p->remote, 16);
		sa->peer_len = sizeof(*sin6);
	}
}

/* Links sa into the tables (write lock held). */
static int
sa_link(struct engine *e, struct engine_sa *sa)
{
	const struct esp_sa_params *p = sa->p;

	sa->tun = tun_find(e, p->tunnel);
	sa->sock = sock_find(e, p->family, p->local, p->local_port);
	if (engine_sahash_add(&e->sa_hash, sa) < 0)
		return -ENOMEM;
	if (!p->inbound && sa->tun && tun_out_add(sa->tun, sa) < 0) {
		engine_sahash_del(&e->sa_hash, sa);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&e->sas, sa, entry);
	return 0;
}

static void
sa_unlink(struct engine *e, struct engine_sa *sa)
{
	engine_sahash_del(&e->sa_hash, sa);
	if (!sa->p->inbound && sa->tun)
		tun_out_del(sa->tun, sa);
	TAILQ_REMOVE(&e->sas, sa, entry);
}

static void
sa_free(struct engine_sa *sa)
{
	if (!sa)
		return;
	esp_sa_free(sa->esp);
	free(sa);
}

int
engine_sa_install(struct engine *e, const struct esp_sa_params *p)
{
	struct engine_sa *sa = calloc(1, sizeof(*sa)), *old;
	int rc;

	if (!sa)
		return -ENOMEM;
	if (!p->udp_encap) {
		/* RFC 3948 only: the engine holds UDP sockets, not raw ESP (docs/engine.md) */
		free(sa);
		return -EPROTONOSUPPORT;
	}
	rc = esp_sa_new(p, &e->sa_opts, &sa->esp);
	if (rc < 0) {
		free(sa);
		return rc;
	}
	sa->p = esp_sa_params(sa->esp);
	sa_peer(sa);
	pthread_rwlock_wrlock(&e->lock);
	old = engine_sa_find(e, p->spi, p->inbound);
	if (old)
		sa_unlink(e, old);
	rc = sa_link(e, sa);
	if (rc == 0)
		sa_outer(sa);
	pthread_rwlock_unlock(&e->lock);
	sa_free(old);
	if (rc < 0) {
		sa_free(sa);
		return rc;
	}
	log_info("SA %s SPI 0x%08x tunnel %s installed%s: %s/%s%s, seq %llu, lease %llu, "
	         "inner MTU %zu",
	         p->inbound ? "in" : "out", p->spi, p->tunnel, old ? " (replaced)" : "",
	         cfg_encr_info(p->encr)->name, cfg_integ_info(p->integ)->name,
	         p->esn ? ", ESN" : "", (unsigned long long)p->seq_start,
	         (unsigned long long)p->lease_limit, atomic_load(&sa->inner_mtu));
	engine_sa_events(e, sa); /* an SA installed without a lease asks for one at once */
	return 0;
}

int
engine_sa_delete(struct engine *e, uint32_t spi, bool inbound)
{
	struct engine_sa *sa;

	pthread_rwlock_wrlock(&e->lock);
	sa = engine_sa_find(e, spi, inbound);
	if (sa)
		sa_unlink(e, sa);
	pthread_rwlock_unlock(&e->lock);
	if (!sa)
		return -ENOENT;
	log_info("SA %s SPI 0x%08x deleted", inbound ? "in" : "out", spi);
	sa_free(sa);
	return 0;
}

/* ---- sockets ----------------------------------------------------------------------------- */

#define ENGINE_SOCK_RCVBUF (8 << 20) /* bursts of GRO trains outrun a busy worker */

static void
sock_setup(struct engine *e, struct engine_sock *s)
{
	int on = 1, fl = fcntl(s->fd, F_GETFL), rb = ENGINE_SOCK_RCVBUF;

	if (fl >= 0)
		(void)fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
	/* beyond net.core.rmem_max only with CAP_NET_ADMIN; else as much as it allows */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) != 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	s->pmtudisc = -1;
	s->gso = e->gso;
	/* UDP_GRO: the kernel may hand over several datagrams of one size at once */
	s->gro = e->gro && setsockopt(s->fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) == 0;
}

int
engine_sock_attach(struct engine *e, const struct engine_addr *a, int fd)
{
	struct engine_sock *s;
	struct engine_sa *sa;

	if (fd < 0)
		return -EBADF;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->eng = e;
	s->fd = fd;
	s->local = *a;
	pthread_mutex_init(&s->tx_lock, NULL);
	sock_setup(e, s);
	s->worker = e->next_sock_worker++ % e->nworkers;
	pthread_rwlock_wrlock(&e->lock);
	TAILQ_INSERT_TAIL(&e->socks, s, entry);
	TAILQ_FOREACH(sa, &e->sas, entry)
	{
		if (!sa->sock)
			sa->sock = sock_find(e, sa->p->family, sa->p->local, sa->p->local_port);
	}
	pthread_rwlock_unlock(&e->lock);
	engine_worker_add(e, s->worker, s, NULL);
	log_info("socket fd %d on port %u attached (worker %u%s)", fd, a->port, s->worker,
	         s->gro ? ", UDP GRO" : "");
	return 0;
}

/* ---- tunnels ----------------------------------------------------------------------------- */

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif

static void
tunq_setup(struct engine *e, struct engine_tunnel *t, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	/* with a virtio header the device may hand over TSO super-packets and partial checksums */
	if (t->vnet_hdr)
		t->offload = ioctl(fd, TUNSETOFFLOAD, e->tso ? off : 0u) == 0 && e->tso;
}

static struct engine_tunnel *
tun_new(struct engine *e, const struct engine_attach_tun *a)
{
	struct engine_tunnel *t = calloc(1, sizeof(*t));
	struct engine_sa *sa;

	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", a->tunnel);
	snprintf(t->ifname, sizeof(t->ifname), "%s", a->ifname);
	t->mtu = a->mtu;
	t->df_bit = a->df_bit;
	t->vnet_hdr = a->vnet_hdr;
	TAILQ_INSERT_TAIL(&e->tuns, t, entry);
	TAILQ_FOREACH(sa, &e->sas, entry)
	{
		if (strcmp(sa->p->tunnel, t->name) != 0)
			continue;
		sa->tun = t;
		if (!sa->p->inbound && tun_out_add(t, sa) < 0)
			log_warnx("tunnel %s: out of memory linking SA 0x%08x", t->name,
			          sa->p->spi);
		sa_outer(sa);
	}
	return t;
}

/* Workers from the last down: with one socket and one queue, two workers split the directions. */
static unsigned
tun_worker(struct engine *e)
{
	unsigned n = e->nworkers;

	return n - 1 - (e->next_tun_worker++ % n);
}

int
engine_tun_attach(struct engine *e, const struct engine_attach_tun *a, int fd)
{
	struct engine_tunnel *t;
	struct engine_tunq *q = NULL;
	int rc = 0;

	if (fd < 0)
		return -EBADF;
	pthread_rwlock_wrlock(&e->lock);
	t = tun_find(e, a->tunnel);
	if (!t)
		t = tun_new(e, a);
	if (!t)
		rc = -ENOMEM;
	else if (t->nq == ENGINE_MAX_QUEUES)
		rc = -ENOSPC;
	if (rc == 0) {
		q = &t->q[t->nq++];
		q->eng = e;
		q->tun = t;
		q->fd = fd;
		q->worker = tun_worker(e);
		tunq_setup(e, t, fd);
	}
	pthread_rwlock_unlock(&e->lock);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	engine_worker_add(e, q->worker, NULL, q);
	log_info("tunnel %s (%s) queue %u attached: fd %d, worker %u, MTU %u%s", t->name, t->ifname,
	         t->nq - 1, fd, q->worker, t->mtu, t->offload ? ", TSO/checksum offload" : "");
	return 0;
}

static void
tun_free(struct engine *e, struct engine_tunnel *t)
{
	for (unsigned i = 0; i < t->nq; i++) {
		engine_worker_del(e, t->q[i].worker, NULL, &t->q[i]);
		close(t->q[i].fd);
	}
	free(t->out);
	free(t);
}

int
engine_tun_detach(struct engine *e, const char *name)
{
	struct engine_tunnel *t;
	struct engine_sa *sa;

	pthread_rwlock_rdlock(&e->lock);
	t = tun_find(e, name);
	pthread_rwlock_unlock(&e->lock);
	if (!t)
		return -ENOENT;
	/* stop the workers polling its queues first (they must not wait for our lock) */
	for (unsigned i = 0; i < t->nq; i++)
		engine_worker_del(e, t->q[i].worker, NULL, &t->q[i]);
	pthread_rwlock_wrlock(&e->lock);
	TAILQ_REMOVE(&e->tuns, t, entry);
	TAILQ_FOREACH(sa, &e->sas, entry)
	{
		if (sa->tun == t)
			sa->tun = NULL;
	}
	pthread_rwlock_unlock(&e->lock);
	for (unsigned i = 0; i < t->nq; i++)
		close(t->q[i].fd);
	t->nq = 0;
	free(t->out);
	free(t);
	log_info("tunnel %s detached", name);
	return 0;
}

void
engine_table_free(struct engine *e)
{
	struct engine_sa *sa;
	struct engine_tunnel *t;
	struct engine_sock *s;

	while ((sa = TAILQ_FIRST(&e->sas))) {
		TAILQ_REMOVE(&e->sas, sa, entry);
		sa_free(sa); /* wipes the key schedules */
	}
	engine_sahash_fini(&e->sa_hash);
	while ((t = TAILQ_FIRST(&e->tuns))) {
		TAILQ_REMOVE(&e->tuns, t, entry);
		tun_free(e, t);
	}
	while ((s = TAILQ_FIRST(&e->socks))) {
		TAILQ_REMOVE(&e->socks, s, entry);
		engine_worker_del(e, s->worker, s, NULL);
		close(s->fd);
		pthread_mutex_destroy(&s->tx_lock);
		free(s);
	}
}

static int
stats_drops(struct engine *e, struct engine_from *m)
{
	unsigned n = 0;

	m->u.stats.drops = calloc(ENGINE_DROP__COUNT, sizeof(*m->u.stats.drops));
	if (!m->u.stats.drops)
		return -ENOMEM;
	for (unsigned d = 1; d < ENGINE_DROP__COUNT; d++) {
		uint64_t c = 0;

		for (unsigned i = 0; i < e->nworkers; i++)
			c += atomic_load_explicit(&e->w[i].st.drops[d], memory_order_relaxed);
		if (c == 0)
			continue;
		m->u.stats.drops[n].reason = engine_drop_name(d);
		m->u.stats.drops[n++].count = c;
	}
	m->u.stats.ndrops = n;
	return 0;
}

int
engine_table_stats(struct engine *e, struct engine_from *m)
{
	struct engine_sa *sa;
	size_t n = 0, cap = 0;

	pthread_rwlock_rdlock(&e->lock);
	TAILQ_FOREACH(sa, &e->sas, entry)
	cap++;
	m->u.stats.sa = calloc(cap + 1, sizeof(*m->u.stats.sa));
	TAILQ_FOREACH(sa, &e->sas, entry)
	{
		struct esp_sa_stats st;

		if (!m->u.stats.sa)
			break;
		esp_sa_stats(sa->esp, &st);
		m->u.stats.sa[n] = (struct engine_sa_stat){
		        sa->p->spi, sa->p->inbound, st.packets, st.bytes, st.seq, st.lease_limit};
		n++;
	}
	pthread_rwlock_unlock(&e->lock);
	m->u.stats.nsa = n;
	if (!m->u.stats.sa || stats_drops(e, m) < 0) {
		free(m->u.stats.sa);
		return -ENOMEM;
	}
	return 0;
}
