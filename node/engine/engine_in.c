/* SPDX-License-Identifier: MIT */
/*
 * Inbound: datagrams from an attached UDP socket, received in batches (recvmmsg; with
 * UDP_GRO a buffer may hold several datagrams of one size). Each is a NAT-keepalive
 * (consumed), IKE behind the non-ESP marker (forwarded to tandemd as IkePacket, marker
 * stripped; RFC 3948 §2.2-2.3) or ESP: SPI lookup, esp_decap, and the inner packet written to
 * the SA's tunnel device.
 */
#define LOG_SUBSYS "engine"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/engine/engine_io.h"
#include "node/esp/esp_udp.h"

static void
addr_of(const struct sockaddr_storage *ss, struct engine_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		memcpy(a->addr, &s->sin_addr, 4);
		a->port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		memcpy(a->addr, &s->sin6_addr, 16);
		a->port = ntohs(s->sin6_port);
	}
}

static void
in_ike(struct engine_worker *w, struct engine_sock *s, const uint8_t *p, size_t len,
       const struct sockaddr_storage *from)
{
	struct engine_from m = {.type = ENGINE_FROM_IKE_PACKET};

	addr_of(from, &m.u.ike.src);
	m.u.ike.dst = s->local;
	m.u.ike.data = p + ESP_NON_ESP_MARKER_LEN;
	m.u.ike.len = len - ESP_NON_ESP_MARKER_LEN;
	if (engine_chan_send(w->eng, &m) < 0) {
		engine_drop(w, ENGINE_DROP_CHANNEL, NULL, 0, from);
		return;
	}
	atomic_fetch_add_explicit(&w->st.ike, 1, memory_order_relaxed);
}

/* The queue this worker writes to: its own when it reads one of the tunnel's, else any. */
static int
in_tun_fd(const struct engine_worker *w, const struct engine_tunnel *t)
{
	for (unsigned i = 0; i < t->nq; i++) {
		if (t->q[i].worker == w->id)
			return t->q[i].fd;
	}
	return t->nq ? t->q[w->id % t->nq].fd : -1;
}

/* Writes the pending TCP train, if any, as one super-packet. */
static void
in_gro_flush(struct engine_worker *w)
{
	struct engine_gro *g = &w->io->gro;
	const struct engine_tunnel *t = g->owner;
	unsigned nseg = g->nseg;
	size_t n = engine_gro_take(g);

	if (n == 0)
		return;
	ENGINE_STAT_ADD(w, tun_writes, 1);
	if (nseg > 1) {
		ENGINE_STAT_ADD(w, tun_gro_writes, 1);
		ENGINE_STAT_ADD(w, tun_gro_segs, nseg);
	}
	if (write(in_tun_fd(w, t), g->buf, n) != (ssize_t)n) {
		for (unsigned i = 0; i < nseg; i++)
			engine_drop(w, ENGINE_DROP_TUN_WRITE, NULL, 0, NULL);
		return;
	}
	ENGINE_STAT_ADD(w, packets_in, nseg);
}

/*
 * With a virtio header: TCP segments join a train (one write later); anything else goes now,
 * after the train (order within a flow), marked checksum-valid: ESP authenticated it.
 */
static bool
in_deliver_vnet(struct engine_worker *w, struct engine_tunnel *t, uint8_t *p, size_t len)
{
	struct engine_gro *g = &w->io->gro;

	if (w->eng->tun_gro && engine_gro_candidate(p, len)) {
		if (!engine_gro_append(g, t, p, len)) {
			in_gro_flush(w);
			engine_gro_start(g, t, p, len);
		}
		return true;
	}
	in_gro_flush(w);
	return false;
}

static void
in_deliver(struct engine_worker *w, struct engine_sa *sa, struct esp_inner *in,
           const struct sockaddr_storage *from)
{
	struct engine_tunnel *t = sa->tun;
	uint8_t *p = in->data;
	size_t len = in->len;

	if (!t || t->nq == 0) {
		engine_drop(w, ENGINE_DROP_NO_TUNNEL, sa, 0, from);
		return;
	}
	if (t->vnet_hdr) {
		if (in_deliver_vnet(w, t, p, len))
			return;
		/* the ESP header in front of the inner packet leaves room for the virtio header */
		p -= ENGINE_VNET_HDR;
		len += ENGINE_VNET_HDR;
		memset(p, 0, ENGINE_VNET_HDR);
		p[0] = 2; /* VIRTIO_NET_HDR_F_DATA_VALID */
	}
	ENGINE_STAT_ADD(w, tun_writes, 1);
	if (write(in_tun_fd(w, t), p, len) != (ssize_t)len) {
		engine_drop(w, ENGINE_DROP_TUN_WRITE, sa, 0, from);
		return;
	}
	atomic_fetch_add_explicit(&w->st.packets_in, 1, memory_order_relaxed);
}

/*
 * A due ReplayReport goes out before the packet that made it due is delivered: whatever the
 * engine delivered stays below the last report + replay_report_every (docs/engine.md).
 */
static void
in_report(struct engine_worker *w, const struct engine_sa *sa)
{
	struct engine_from m = {.type = ENGINE_FROM_REPLAY_REPORT};

	if (!esp_sa_replay_report_due(sa->esp, &m.u.replay.highest))
		return;
	m.u.replay.spi = sa->p->spi;
	if (engine_chan_send(w->eng, &m) < 0)
		log_warnx("channel: ReplayReport for SPI 0x%08x not sent", sa->p->spi);
}

static void
in_esp(struct engine_worker *w, uint8_t *p, size_t len, const struct sockaddr_storage *from)
{
	struct engine_sa *sa;
	struct esp_inner in;
	enum esp_drop d;
	uint32_t spi;

	if (!esp_pkt_spi(p, len, &spi)) {
		engine_drop(w, ESP_DROP_MALFORMED, NULL, 0, from);
		return;
	}
	sa = engine_sa_in_lookup(w->eng, spi);
	if (!sa) {
		engine_drop(w, ESP_DROP_NO_SA, NULL, spi, from);
		return;
	}
	d = esp_decap(sa->esp, w->id, p, len, &in);
	engine_io_touch(w->eng, w->io, sa);
	if (d != ESP_DROP_NONE) {
		engine_drop(w, d, sa, 0, from);
		return;
	}
	in_report(w, sa);
	in_deliver(w, sa, &in, from);
}

static void
in_datagram(struct engine_worker *w, struct engine_sock *s, uint8_t *p, size_t len,
            const struct sockaddr_storage *from)
{
	switch (esp_udp_classify(p, len)) {
	case ESP_UDP_KEEPALIVE:
		atomic_fetch_add_explicit(&w->st.keepalives, 1, memory_order_relaxed);
		return;
	case ESP_UDP_IKE:
		in_ike(w, s, p, len, from);
		return;
	case ESP_UDP_ESP:
		in_esp(w, p, len, from);
		return;
	default:
		engine_drop(w, ESP_DROP_MALFORMED, NULL, 0, from);
		return;
	}
}

/* The UDP_GRO segment size of a received buffer, or 0 if it holds one datagram. */
static size_t
in_gro_size(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	}
	return 0;
}

static unsigned
in_prepare(struct engine_io *io, const struct engine_sock *s)
{
	unsigned n = s->gro ? ENGINE_RX_GRO_N : ENGINE_BATCH;
	size_t slot = ENGINE_RX_BUF / n;

	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &io->rmsg[i].msg_hdr;

		/* headroom in every slot: a virtio header may go in front of an inner packet */
		io->riov[i].iov_base = io->rbuf + (size_t)i * slot + ENGINE_HEAD;
		io->riov[i].iov_len = slot - ENGINE_HEAD;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &io->rfrom[i];
		mh->msg_namelen = sizeof(io->rfrom[i]);
		mh->msg_iov = &io->riov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = io->rctl[i].b;
		mh->msg_controllen = sizeof(io->rctl[i].b);
	}
	return n;
}

static void
in_batch(struct engine_worker *w, struct engine_sock *s, unsigned n)
{
	struct engine_io *io = w->io;

	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &io->rmsg[i].msg_hdr;
		uint8_t *p = io->riov[i].iov_base;
		size_t len = io->rmsg[i].msg_len, seg = in_gro_size(mh);

		if (mh->msg_flags & MSG_TRUNC) {
			engine_drop(w, ESP_DROP_MALFORMED, NULL, 0, &io->rfrom[i]);
			continue;
		}
		if (seg == 0 || seg >= len) {
			in_datagram(w, s, p, len, &io->rfrom[i]);
			continue;
		}
		/* a GRO train: datagrams of seg bytes, the last one possibly shorter */
		ENGINE_STAT_ADD(w, gro_trains, 1);
		ENGINE_STAT_ADD(w, gro_segs, (len + seg - 1) / seg);
		for (size_t off = 0; off < len; off += seg)
			in_datagram(w, s, p + off, len - off < seg ? len - off : seg,
			            &io->rfrom[i]);
	}
}

void
engine_in_readable(struct engine_worker *w, struct engine_sock *s)
{
	struct engine *e = w->eng;
	uint64_t start = clk_mono_us();

	/* bounded rounds and time per wakeup keep the other fds and the heartbeat served */
	for (int round = 0; round < 8; round++) {
		unsigned want = in_prepare(w->io, s);
		int n = recvmmsg(s->fd, w->io->rmsg, want, MSG_DONTWAIT, NULL);

		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				log_warn("socket port %u: recvmmsg", s->local.port);
			return;
		}
		ENGINE_STAT_ADD(w, recv_calls, 1);
		pthread_rwlock_rdlock(&e->lock);
		in_batch(w, s, (unsigned)n);
		in_gro_flush(w); /* before the lock goes: the train points at its tunnel */
		engine_io_events(e, w->io);
		pthread_rwlock_unlock(&e->lock);
		if ((unsigned)n < want || engine_worker_pulse(w, start))
			return;
	}
}
