/* SPDX-License-Identifier: MIT */
/*
 * What the engines run on: TUN devices of tunnel interfaces (created by tandemd, handed over,
 * their addresses, MTU, link state and routes by cost managed here through node/net) and the
 * UDP sockets on local:4500 (IP_FREEBIND so a standby can bind an address it does not hold
 * yet; packet info for the destination address). While a socket's group has no engine,
 * tandemd reads it: IKE datagrams become ike_packet events, ESP is counted as dropped.
 */
#define LOG_SUBSYS "eng"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "node/eng/eng_int.h"
#include "node/net/rt_tun.h"

#define ENG_SOCK_BATCH 32

/* ---- addresses -------------------------------------------------------------------------- */

bool
eng_sockaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
	return false;
}

void
eng_sockaddr_str(const struct sockaddr_storage *a, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(out, cap, "%s:%u", h, ntohs(s4->sin_port));
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(out, cap, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else {
		snprintf(out, cap, "-");
	}
}

/* ---- tunnels ---------------------------------------------------------------------------- */

void
eng_tunnel_free(struct eng_tunnel *t)
{
	if (!t)
		return;
	free(t->routes);
	free(t);
}

static int
eng_tunnel_addrs(struct eng_sup *sup, struct eng_tunnel *t)
{
	for (unsigned i = 0; i < t->naddrs; i++) {
		int rc = rt_addr_add(sup->rt, t->ifindex, &t->addrs[i]);

		if (rc < 0 && rc != -EEXIST) {
			log_warnx("tunnel %s: cannot add an address to %s: %s%s%s", t->name,
			          t->ifname, strerror(-rc), *rt_last_error(sup->rt) ? ": " : "",
			          rt_last_error(sup->rt));
			return rc;
		}
	}
	return 0;
}

/* Whether the tunnel carries IPv6 (an IPv6 address or route on its interface). */
static bool
eng_tunnel_has_v6(const struct eng_tunnel *t)
{
	for (unsigned i = 0; i < t->naddrs; i++)
		if (t->addrs[i].family == AF_INET6)
			return true;
	for (unsigned i = 0; i < t->nroutes; i++)
		if (t->routes[i].family == AF_INET6)
			return true;
	return false;
}

/* Opens the device's queues (the first open creates it). Returns the count or -errno. */
static int
eng_tunnel_open(const struct eng_sup *sup, const struct eng_tunnel *t, int *fds)
{
	unsigned want = eng_tun_queues(sup, t->g);
	unsigned flags =
	        (want > 1 ? RT_TUN_MULTI_QUEUE : 0) | (sup->tun_vnet ? RT_TUN_VNET_HDR : 0);
	unsigned n = 0;
	int rc = 0;

	while (n < want) {
		rc = rt_tun_open(t->ifname, flags, &fds[n]);
		if (rc < 0)
			break;
		n++;
	}
	if (rc < 0) {
		log_err("tunnel %s: cannot %s TUN device %s: %s", t->name,
		        n ? "add a queue to" : "create", t->ifname, strerror(-rc));
		while (n)
			close(fds[--n]);
		return rc;
	}
	return (int)n;
}

int
eng_tunnel_create(struct eng_sup *sup, struct eng_tunnel *t, int *fds)
{
	int n, rc;

	t->ifindex = 0;
	t->routes_on = false;
	if (!sup->rt)
		return -ENOTSUP;
	n = eng_tunnel_open(sup, t, fds);
	if (n < 0)
		return n;
	rc = rt_link_index(sup->rt, t->ifname, &t->ifindex);
	if (rc == 0 && !eng_tunnel_has_v6(t))
		(void)rt_link_disable_ipv6(t->ifname); /* best effort: only noise is at stake */
	if (rc == 0)
		rc = rt_link_set_mtu(sup->rt, t->ifindex, t->mtu);
	if (rc == 0)
		rc = eng_tunnel_addrs(sup, t);
	if (rc == 0)
		rc = rt_link_set_up(sup->rt, t->ifindex, true);
	if (rc < 0) {
		log_err("tunnel %s: cannot set up %s: %s", t->name, t->ifname, strerror(-rc));
		for (int i = 0; i < n; i++)
			close(fds[i]);
		t->ifindex = 0;
		return rc;
	}
	return n;
}

void
eng_tunnel_down(struct eng_sup *sup, struct eng_tunnel *t)
{
	int rc;

	if (t->ifindex && sup->rt) {
		rc = rt_link_set_up(sup->rt, t->ifindex, false);
		/* ENODEV: the device went with the engine's descriptors, and its routes with it */
		if (rc < 0 && rc != -ENODEV)
			log_warnx("tunnel %s: cannot set %s down: %s", t->name, t->ifname,
			          strerror(-rc));
	}
	t->ifindex = 0;
	t->routes_on = false;
}

static void
eng_route_str(const struct rt_route *r, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(r->family, r->dst, a, sizeof(a));
	snprintf(out, cap, "%s/%u metric %u", a, r->dst_len, r->metric);
}

static void
eng_tunnel_routes(struct eng_sup *sup, struct eng_tunnel *t, bool on)
{
	for (unsigned i = 0; i < t->nroutes; i++) {
		struct rt_route *r = &t->routes[i];
		char s[96];
		int rc;

		r->ifindex = t->ifindex;
		rc = on ? rt_route_replace(sup->rt, r) : rt_route_del(sup->rt, r);
		if (rc < 0 && (on || (rc != -ESRCH && rc != -ENODEV))) {
			eng_route_str(r, s, sizeof(s));
			log_warnx("tunnel %s: cannot %s route %s via %s: %s%s%s", t->name,
			          on ? "install" : "withdraw", s, t->ifname, strerror(-rc),
			          *rt_last_error(sup->rt) ? ": " : "", rt_last_error(sup->rt));
		}
	}
}

void
eng_tunnel_set_routes(struct eng_sup *sup, struct eng_tunnel *t, struct rt_route *routes,
                      unsigned n)
{
	bool same = n == t->nroutes;

	for (unsigned i = 0; same && i < n; i++)
		same = routes[i].family == t->routes[i].family &&
		       routes[i].dst_len == t->routes[i].dst_len &&
		       routes[i].metric == t->routes[i].metric &&
		       memcmp(routes[i].dst, t->routes[i].dst, sizeof(routes[i].dst)) == 0;
	if (same) {
		free(routes);
		return;
	}
	if (t->routes_on && sup->rt)
		eng_tunnel_routes(sup, t, false);
	t->routes_on = false;
	free(t->routes);
	t->routes = routes;
	t->nroutes = n;
	eng_tunnel_sync_routes(sup, t);
}

void
eng_tunnel_sync_routes(struct eng_sup *sup, struct eng_tunnel *t)
{
	bool want = t->g && t->g->state == ENG_ST_UP && t->ifindex && sup->rt &&
	            eng_tunnel_has_out_sa(sup, t);

	if (want == t->routes_on || !sup->rt || !t->ifindex)
		return;
	eng_tunnel_routes(sup, t, want);
	t->routes_on = want;
	if (t->nroutes)
		log_info("tunnel %s: %u route(s) via %s %s", t->name, t->nroutes, t->ifname,
		         want ? "installed" : "withdrawn");
}

/* ---- sockets ---------------------------------------------------------------------------- */

struct eng_sock *
eng_sock_find(const struct eng_sup *sup, const struct sockaddr_storage *local)
{
	struct eng_sock *s;

	TAILQ_FOREACH(s, &sup->socks, entry)
	if (eng_sockaddr_eq(&s->local, local))
		return s;
	return NULL;
}

/* The destination address of a received datagram, from IP_PKTINFO / IPV6_PKTINFO. */
static void
eng_sock_dst(const struct eng_sock *s, struct msghdr *mh, struct sockaddr_storage *dst)
{
	*dst = s->local;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    dst->ss_family == AF_INET) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in *)dst)->sin_addr = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		           dst->ss_family == AF_INET6) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)dst)->sin6_addr = pi.ipi6_addr;
		}
	}
}

/* RFC 3948 §2.2: IKE starts with the four-zero non-ESP marker; 0xff alone is a keepalive. */
static void
eng_sock_datagram(struct eng_sock *s, struct msghdr *mh, const uint8_t *p, size_t n)
{
	static const uint8_t marker[4] = {0, 0, 0, 0};
	struct sockaddr_storage dst;
	struct eng_group *g = s->g;
	uint32_t suppressed;
	char a[64];

	if (n == 1 && p[0] == 0xff)
		return;
	if (n > sizeof(marker) && memcmp(p, marker, sizeof(marker)) == 0) {
		eng_sock_dst(s, mh, &dst);
		if (s->sup->ev.ike_packet)
			s->sup->ev.ike_packet(s->sup->arg, mh->msg_name, &dst, p + 4, n - 4);
		return;
	}
	if (!g)
		return;
	eng_group_count_drop(g, "no_engine", 1, true);
	if (log_rl_allow(&g->rl_noeng, clk_mono_ms(), &suppressed)) {
		eng_sockaddr_str(mh->msg_name, a, sizeof(a));
		log_warnx("engine %s is down: ESP from %s dropped (no engine)%s", g->name, a,
		          suppressed ? " (more suppressed)" : "");
	}
}

/* The segment size of a UDP GRO train (the engine turns UDP_GRO on), or 0. */
static size_t
eng_sock_gro_size(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int seg;

			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			return seg > 0 ? (size_t)seg : 0;
		}
	}
	return 0;
}

static void
eng_sock_readable(evutil_socket_t fd, short what, void *arg)
{
	struct eng_sock *s = arg;

	(void)what;
	for (int i = 0; i < ENG_SOCK_BATCH; i++) {
		_Alignas(8) uint8_t pkt[65536];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
			         64];
		} u;
		struct sockaddr_storage src;
		struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
		struct msghdr mh = {.msg_name = &src,
		                    .msg_namelen = sizeof(src),
		                    .msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = u.buf,
		                    .msg_controllen = sizeof(u)};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		size_t seg;

		if (n < 0)
			return; /* EAGAIN, or an ICMP error queued on the socket */
		if (mh.msg_flags & MSG_TRUNC)
			continue;
		/* a train the kernel joined while the engine had UDP_GRO on: one datagram each */
		seg = eng_sock_gro_size(&mh);
		if (seg == 0 || seg >= (size_t)n)
			seg = (size_t)n;
		for (size_t off = 0; off < (size_t)n && s->reading; off += seg)
			eng_sock_datagram(s, &mh, pkt + off,
			                  (size_t)n - off < seg ? (size_t)n - off : seg);
		if (!s->reading)
			return; /* the handler started an engine that now owns the socket */
	}
}

static int
eng_sock_bind(const struct sockaddr_storage *local)
{
	int one = 1, fd, rc;
	bool v6 = local->ss_family == AF_INET6;
	socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	fd = socket(local->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* IP_FREEBIND: bind an address this node does not hold (yet), e.g. a VIP on a standby */
	if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (!v6 && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0) ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)local, len) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int
eng_sock_open(struct eng_sup *sup, const struct sockaddr_storage *local, struct eng_sock **out)
{
	struct eng_sock *s = calloc(1, sizeof(*s));
	char a[64];
	int rc;

	if (!s)
		return -ENOMEM;
	s->sup = sup;
	s->local = *local;
	s->fd = eng_sock_bind(local);
	if (s->fd < 0) {
		rc = s->fd;
		eng_sockaddr_str(local, a, sizeof(a));
		log_err("cannot bind UDP %s for ESP in UDP and IKE: %s", a, strerror(-rc));
		free(s);
		return rc;
	}
	s->ev = event_new(sup->base, s->fd, EV_READ | EV_PERSIST, eng_sock_readable, s);
	if (!s->ev) {
		eng_sock_free(s);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&sup->socks, s, entry);
	*out = s;
	return 0;
}

void
eng_sock_free(struct eng_sock *s)
{
	if (!s)
		return;
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

void
eng_sock_set_reading(struct eng_sock *s, bool read)
{
	if (read == s->reading)
		return;
	s->reading = read;
	if (read) {
		/* the engine reads with UDP_GRO; tandemd takes datagrams one by one */
		(void)setsockopt(s->fd, IPPROTO_UDP, UDP_GRO, &(int){0}, sizeof(int));
		event_add(s->ev, NULL);
	} else {
		event_del(s->ev);
	}
}
