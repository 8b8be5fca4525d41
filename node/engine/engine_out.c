/* SPDX-License-Identifier: MIT */
/*
 * Outbound: clear packets read from a TUN queue (one per read, or a TSO super-packet cut
 * into segments here when the device hands over offloads), matched to the tunnel's outbound
 * SA by traffic selectors, fitted to the tunnel MTU (IPv4 without DF is fragmented before
 * encryption; otherwise an ICMP Fragmentation Needed / Packet Too Big goes back to the
 * sender), encapsulated in place, and sent to the SA's peer in batches: sendmmsg, with
 * equal-size ESP packets to one peer joined into one UDP GSO send (UDP_SEGMENT).
 */
#define LOG_SUBSYS "engine"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/engine/engine_io.h"
#include "node/engine/engine_pkt.h"
#include "node/esp/esp_ts.h"

#define OUT_GSO_SEGS      64    /* segments per UDP GSO send (older kernels' UDP_MAX_SEGMENTS) */
#define OUT_GSO_BYTES     65000 /* bytes per UDP GSO send (one UDP datagram's worth) */
#define OUT_WAIT_MS       2     /* a full socket buffer: wait this long once, then drop */
#define VNET_GSO_NONE     0u
#define VNET_F_NEEDS_CSUM 1u

static uint8_t *
out_slot(struct engine_io *io, unsigned i)
{
	return io->tbuf + (size_t)i * ENGINE_SLOT + ENGINE_HEAD;
}

/* ---- sending -------------------------------------------------------------------------------- */

/* DF on the outer header: IP_MTU_DISCOVER (IPv4) / IPV6_DONTFRAG, set only when it changes. */
static void
out_set_df(struct engine_sock *s, bool df)
{
	int v, want = df ? 1 : 0;

	if (s->pmtudisc == want)
		return;
	if (s->local.family == AF_INET) {
		v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
		(void)setsockopt(s->fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	} else {
		v = want;
		(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v));
	}
	s->pmtudisc = want;
}

/* Joins tx[j..] into one message: equal sizes to one peer, the last may be shorter. */
static unsigned
out_msg(struct engine_io *io, unsigned j, const struct engine_sock *s, bool df, unsigned m)
{
	const struct engine_txp *first = &io->tx[j];
	struct msghdr *mh = &io->smsg[m].msg_hdr;
	size_t seg = first->len, total = seg;
	unsigned k = j + 1;

	while (s->gso && k < io->ntx && k - j < OUT_GSO_SEGS && io->tx[k].sa == first->sa &&
	       io->tx[k].df == df && io->tx[k].len <= seg &&
	       total + io->tx[k].len <= OUT_GSO_BYTES) {
		total += io->tx[k].len;
		if (io->tx[k++].len < seg)
			break; /* a shorter one ends the train */
	}
	for (unsigned i = j; i < k; i++) {
		io->siov[i].iov_base = io->tx[i].data;
		io->siov[i].iov_len = io->tx[i].len;
	}
	memset(mh, 0, sizeof(*mh));
	io->msa[m] = first->sa;
	mh->msg_name = (void *)(uintptr_t)&first->sa->peer;
	mh->msg_namelen = first->sa->peer_len;
	mh->msg_iov = &io->siov[j];
	mh->msg_iovlen = k - j;
	if (k - j > 1) {
		struct cmsghdr *c;
		uint16_t gso = (uint16_t)seg;

		mh->msg_control = io->sctl[m].b;
		mh->msg_controllen = CMSG_SPACE(sizeof(gso));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(gso));
		memcpy(CMSG_DATA(c), &gso, sizeof(gso));
	}
	return k;
}

static void
out_send_fail(struct engine_worker *w, struct engine_sock *s, struct engine_sa *sa,
              struct msghdr *mh, int err)
{
	if (err == EMSGSIZE)
		engine_sa_refresh_mtu(sa); /* the route's path MTU dropped: size to the new one */
	if (mh->msg_iovlen > 1 && (err == EIO || err == EINVAL)) {
		s->gso = false; /* no UDP GSO on this path: send them one by one from now on */
		log_warnx("socket port %u: UDP GSO refused (%s); sending datagrams singly",
		          s->local.port, strerror(err));
	}
	for (size_t i = 0; i < mh->msg_iovlen; i++)
		engine_drop(w, ENGINE_DROP_SEND, sa, 0, &sa->peer);
}

/* sendmmsg of n messages on s; a full buffer is waited for once. */
static void
out_send(struct engine_worker *w, struct engine_sock *s, struct mmsghdr *msg, unsigned n)
{
	unsigned sent = 0;
	bool waited = false;

	while (sent < n) {
		int r = sendmmsg(s->fd, msg + sent, n - sent, MSG_DONTWAIT);

		ENGINE_STAT_ADD(w, send_calls, 1);
		if (r > 0) {
			for (int i = 0; i < r; i++) {
				size_t segs = msg[sent + (unsigned)i].msg_hdr.msg_iovlen;

				ENGINE_STAT_ADD(w, packets_out, segs);
				if (segs > 1) {
					ENGINE_STAT_ADD(w, gso_msgs, 1);
					ENGINE_STAT_ADD(w, gso_segs, segs);
				}
			}
			ENGINE_STAT_ADD(w, send_msgs, (unsigned)r);
			sent += (unsigned)r;
			continue;
		}
		if ((errno == EAGAIN || errno == ENOBUFS) && !waited) {
			struct pollfd pf = {s->fd, POLLOUT, 0};

			(void)poll(&pf, 1, OUT_WAIT_MS);
			waited = true;
			continue;
		}
		if (errno == EINTR)
			continue;
		out_send_fail(w, s, w->io->msa[sent], &msg[sent].msg_hdr, errno);
		sent++;
	}
}

/* Sends everything queued, in order, grouped by socket and DF. */
static void
out_flush(struct engine_worker *w)
{
	struct engine_io *io = w->io;
	unsigned i = 0;

	while (i < io->ntx) {
		struct engine_sock *s = io->tx[i].sa->sock;
		bool df = io->tx[i].df;
		unsigned j = i, m = 0;

		while (j < io->ntx && io->tx[j].sa->sock == s && io->tx[j].df == df)
			j = out_msg(io, j, s, df, m++);
		pthread_mutex_lock(&s->tx_lock);
		out_set_df(s, df);
		out_send(w, s, io->smsg, m);
		pthread_mutex_unlock(&s->tx_lock);
		i = j;
	}
	io->ntx = 0;
	io->tused = 0;
}

/* ---- per packet -------------------------------------------------------------------------------
 */

static struct engine_sa *
out_pick(const struct engine_tunnel *t, const struct esp_flow *f)
{
	for (unsigned i = 0; i < t->nout; i++) {
		if (esp_ts_match_out(t->out[i]->p, f))
			return t->out[i];
	}
	return NULL;
}

static bool
out_df(const struct engine_sa *sa, const struct esp_flow *f)
{
	switch (sa->df_bit) {
	case CFG_DF_SET:
		return true;
	case CFG_DF_CLEAR:
		return false;
	default:
		return f->df; /* propagate; IPv6 is never fragmented en route */
	}
}

/* Encapsulates p (in a tx slot) in place and queues it. */
static void
out_queue(struct engine_worker *w, struct engine_sa *sa, uint8_t *p, size_t len, bool df)
{
	struct engine_io *io = w->io;
	struct esp_pkt pkt = {p, len, ENGINE_HEAD, ENGINE_PKT_MAX - len + ENGINE_TAIL};
	enum esp_drop d;

	if (!sa->sock) {
		engine_drop(w, ENGINE_DROP_NO_SOCKET, sa, 0, &sa->peer);
		return;
	}
	d = esp_encap(sa->esp, w->id, &pkt);
	engine_io_touch(w->eng, io, sa);
	if (d != ESP_DROP_NONE) {
		engine_drop(w, d, sa, 0, &sa->peer);
		return;
	}
	io->tx[io->ntx++] = (struct engine_txp){pkt.data, pkt.len, sa, df};
}

/* A free tx slot, flushing first when none is left. */
static uint8_t *
out_take_slot(struct engine_worker *w)
{
	struct engine_io *io = w->io;

	if (io->tused == ENGINE_TX_SLOTS)
		out_flush(w);
	return out_slot(io, io->tused++);
}

static void
out_tun_write(struct engine_worker *w, struct engine_tunnel *t, uint8_t *p, size_t len)
{
	int fd = t->q[w->id % t->nq].fd;

	if (t->vnet_hdr) {
		p -= ENGINE_VNET_HDR;
		len += ENGINE_VNET_HDR;
		memset(p, 0, ENGINE_VNET_HDR);
	}
	if (write(fd, p, len) != (ssize_t)len)
		engine_drop(w, ENGINE_DROP_TUN_WRITE, NULL, 0, NULL);
}

/* IPv4 without DF: fragments before encryption (RFC 791; RFC 4459 §5.2 "pre-fragmentation"). */
static void
out_fragment(struct engine_worker *w, struct engine_sa *sa, const uint8_t *p, size_t len,
             const struct esp_flow *f)
{
	struct engine_io *io = w->io;
	uintptr_t at = (uintptr_t)p, g = (uintptr_t)io->gbuf;
	const uint8_t *orig = p;

	/* a flush may reuse the slot p is in; a packet in gbuf (not a slot) stays where it is */
	if (at < g || at >= g + ENGINE_HEAD + ENGINE_VNET_HDR + ENGINE_GSO_BUF) {
		if (len > ENGINE_PKT_MAX)
			return;
		memcpy(io->fbuf, p, len);
		orig = io->fbuf;
	}
	for (unsigned idx = 0;; idx++) {
		uint8_t *slot = out_take_slot(w);
		size_t n = engine_ip4_fragment(orig, len, atomic_load(&sa->inner_mtu), idx, slot);

		if (n == 0) {
			w->io->tused--;
			break;
		}
		out_queue(w, sa, slot, n, out_df(sa, f));
	}
}

/* RFC 4303 §8.1 / RFC 4459: too big and not to be fragmented: tell the sender the MTU. */
static void
out_too_big(struct engine_worker *w, struct engine_tunnel *t, struct engine_sa *sa,
            const uint8_t *p, size_t len)
{
	struct engine_io *io = w->io;
	uint32_t supp;
	size_t n;

	engine_drop(w, ENGINE_DROP_TOO_BIG, sa, 0, NULL);
	if (!log_rl_allow(&w->rl_icmp, clk_mono_ms(), &supp))
		return; /* ICMP errors are rate-limited (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f)) */
	n = engine_icmp_too_big(p, len, atomic_load(&sa->inner_mtu), io->icmp + ENGINE_VNET_HDR,
	                        sizeof(io->icmp) - ENGINE_VNET_HDR);
	if (n)
		out_tun_write(w, t, io->icmp + ENGINE_VNET_HDR, n);
}

static void
out_packet(struct engine_worker *w, struct engine_tunnel *t, uint8_t *p, size_t len)
{
	struct engine_sa *sa;
	struct esp_flow f;

	if (esp_flow_parse(p, len, &f) < 0) {
		engine_drop(w, ENGINE_DROP_NOT_IP, NULL, 0, NULL);
		return;
	}
	sa = out_pick(t, &f);
	if (!sa) {
		engine_drop(w, ENGINE_DROP_NO_OUT_SA, NULL, 0, NULL);
		return;
	}
	if (f.len <= atomic_load_explicit(&sa->inner_mtu, memory_order_relaxed))
		out_queue(w, sa, p, f.len, out_df(sa, &f));
	else if (f.family == AF_INET && !f.df)
		out_fragment(w, sa, p, f.len, &f);
	else
		out_too_big(w, t, sa, p, f.len);
}

/* ---- reading the TUN queue ---------------------------------------------------------------- */

/* A TSO super-packet: cut into segments (each with its checksums), then as usual. */
static void
out_tso(struct engine_worker *w, struct engine_tunnel *t, const uint8_t *p, size_t len,
        const struct engine_vnet *v)
{
	struct engine_tso tso;

	if (engine_tso_prepare(p, len, v->gso_size, &tso) < 0) {
		engine_drop(w, ENGINE_DROP_NOT_IP, NULL, 0, NULL);
		return;
	}
	ENGINE_STAT_ADD(w, tso_reads, 1);
	ENGINE_STAT_ADD(w, tso_segs, tso.nseg);
	for (unsigned i = 0; i < tso.nseg; i++) {
		uint8_t *slot = out_take_slot(w);

		out_packet(w, t, slot, engine_tso_segment(&tso, i, slot));
	}
}

static bool
out_read_vnet(struct engine_worker *w, struct engine_tunq *q)
{
	uint8_t *buf = w->io->gbuf + ENGINE_HEAD, *p = buf + ENGINE_VNET_HDR;
	ssize_t n = read(q->fd, buf, ENGINE_VNET_HDR + ENGINE_GSO_BUF);
	struct engine_vnet v;
	size_t len;

	if (n <= 0)
		return false;
	ENGINE_STAT_ADD(w, tun_reads, 1);
	if ((size_t)n <= ENGINE_VNET_HDR)
		return true;
	len = (size_t)n - ENGINE_VNET_HDR;
	engine_vnet_parse(buf, &v);
	if ((v.gso_type & 0x7f) != VNET_GSO_NONE) {
		out_tso(w, q->tun, p, len, &v);
		return true;
	}
	if ((v.flags & VNET_F_NEEDS_CSUM) &&
	    engine_csum_complete(p, len, v.csum_start, v.csum_offset) < 0) {
		engine_drop(w, ENGINE_DROP_NOT_IP, NULL, 0, NULL);
		return true;
	}
	if (len > ENGINE_PKT_MAX) {
		out_packet(w, q->tun, p, len); /* too big for a slot: fragmented or refused */
		return true;
	}
	{
		uint8_t *slot = out_take_slot(w);

		memcpy(slot, p, len);
		out_packet(w, q->tun, slot, len);
	}
	return true;
}

static bool
out_read_plain(struct engine_worker *w, struct engine_tunq *q)
{
	struct engine_io *io = w->io;
	uint8_t *slot;
	ssize_t n;

	if (io->tused == ENGINE_TX_SLOTS)
		out_flush(w);
	slot = out_slot(io, io->tused);
	n = read(q->fd, slot, ENGINE_PKT_MAX);
	if (n <= 0)
		return false;
	ENGINE_STAT_ADD(w, tun_reads, 1);
	io->tused++;
	out_packet(w, q->tun, slot, (size_t)n);
	return true;
}

void
engine_out_readable(struct engine_worker *w, struct engine_tunq *q)
{
	struct engine *e = w->eng;
	uint64_t start = clk_mono_us();

	pthread_rwlock_rdlock(&e->lock);
	for (unsigned k = 0; k < ENGINE_BATCH; k++) {
		bool more = q->tun->vnet_hdr ? out_read_vnet(w, q) : out_read_plain(w, q);

		if (!more || ((k & 7) == 7 && engine_worker_pulse(w, start)))
			break;
	}
	out_flush(w);
	engine_io_events(e, w->io);
	pthread_rwlock_unlock(&e->lock);
}
