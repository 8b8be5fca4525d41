/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink socket (rt.h): one request at a time with NLM_F_ACK, the answer read on the
 * same socket with a receive timeout and checked by rt_reply_parse (sequence number, port id,
 * lengths). The kernel answers route, address and link requests synchronously, so a request
 * costs one system call round trip and does not block the event loop beyond that.
 */
#include "rt.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "node/net/rt_msg.h"

#define RT_RECV_TIMEOUT_MS 2000

struct rt_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char last_error[128];
	/* replies: a dump-sized buffer, aligned for struct nlmsghdr */
	_Alignas(struct nlmsghdr) uint8_t rx[32768];
};

int
rt_open(struct rt_sock **out)
{
	struct timeval tv = {.tv_sec = RT_RECV_TIMEOUT_MS / 1000,
	                     .tv_usec = (RT_RECV_TIMEOUT_MS % 1000) * 1000};
	struct rt_sock *s = calloc(1, sizeof(*s));
	int one = 1, rc;

	if (!s)
		return -ENOMEM;
	s->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->nl) {
		rc = -errno;
		goto fail;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto fail;
	}
	/* best effort: without them errors carry no text and acks are longer */
	(void)mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		rc = -errno;
		goto fail;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	*out = s;
	return 0;
fail:
	rt_close(s);
	return rc;
}

void
rt_close(struct rt_sock *s)
{
	if (!s)
		return;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s);
}

const char *
rt_last_error(const struct rt_sock *s)
{
	return s->last_error;
}

/*
 * Sends the request in req (len bytes, sequence number seq) and collects the answer in r,
 * which the caller initialised (rt_reply_init, then route_fn for a dump).
 */
static int
rt_request_into(struct rt_sock *s, const void *req, size_t len, uint32_t seq, struct rt_reply *r)
{
	int rc;

	s->last_error[0] = '\0';
	if (len == 0)
		return -EINVAL;
	if (mnl_socket_sendto(s->nl, req, len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->rx, sizeof(s->rx));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			/* EAGAIN: the receive timeout passed; ENOSPC: libmnl saw MSG_TRUNC */
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		rc = rt_reply_parse(s->rx, (size_t)n, seq, s->portid, r);
		if (rc == -ESRCH)
			continue; /* a late answer to an earlier request that timed out */
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if (r->error)
		snprintf(s->last_error, sizeof(s->last_error), "%s", r->msg);
	return r->error;
}

static int
rt_request(struct rt_sock *s, const void *req, size_t len, uint32_t seq, struct rt_reply *r)
{
	rt_reply_init(r);
	return rt_request_into(s, req, len, seq, r);
}

static uint32_t
rt_next_seq(struct rt_sock *s)
{
	if (++s->seq == 0)
		s->seq = 1;
	return s->seq;
}

int
rt_link_index(struct rt_sock *s, const char *name, unsigned *ifindex)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	size_t len = rt_msg_link_get_name(req, seq, name);
	struct rt_reply r;
	int rc;

	if (len == 0)
		return -EINVAL;
	rc = rt_request(s, req, len, seq, &r);
	if (rc < 0)
		return rc;
	if (!r.have_link)
		return -ENODEV;
	*ifindex = r.ifindex;
	return 0;
}

int
rt_link_get(struct rt_sock *s, unsigned ifindex, unsigned *flags, uint32_t *mtu)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;
	int rc = rt_request(s, req, rt_msg_link_get_index(req, seq, ifindex), seq, &r);

	if (rc < 0)
		return rc;
	if (!r.have_link)
		return -ENODEV;
	*flags = r.ifflags;
	*mtu = r.mtu;
	return 0;
}

int
rt_link_hwaddr(struct rt_sock *s, unsigned ifindex, uint8_t mac[6])
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;
	int rc = rt_request(s, req, rt_msg_link_get_index(req, seq, ifindex), seq, &r);

	if (rc < 0)
		return rc;
	if (!r.have_link)
		return -ENODEV;
	if (!r.have_hwaddr)
		return -EAFNOSUPPORT;
	memcpy(mac, r.hwaddr, sizeof(r.hwaddr));
	return 0;
}

int
rt_link_set_up(struct rt_sock *s, unsigned ifindex, bool up)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;

	return rt_request(s, req, rt_msg_link_set(req, seq, ifindex, true, up, 0), seq, &r);
}

int
rt_link_set_mtu(struct rt_sock *s, unsigned ifindex, uint32_t mtu)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;

	if (mtu == 0)
		return -EINVAL;
	return rt_request(s, req, rt_msg_link_set(req, seq, ifindex, false, false, mtu), seq, &r);
}

static int
rt_addr(struct rt_sock *s, bool add, unsigned ifindex, const struct rt_prefix *p)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;

	return rt_request(s, req, rt_msg_addr(req, seq, add, ifindex, p), seq, &r);
}

int
rt_addr_add(struct rt_sock *s, unsigned ifindex, const struct rt_prefix *p)
{
	return rt_addr(s, true, ifindex, p);
}

int
rt_addr_del(struct rt_sock *s, unsigned ifindex, const struct rt_prefix *p)
{
	return rt_addr(s, false, ifindex, p);
}

int
rt_addr_lease(struct rt_sock *s, unsigned ifindex, const struct rt_prefix *p, uint32_t lease_s)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;

	return rt_request(s, req, rt_msg_addr_lease(req, seq, true, ifindex, p, lease_s), seq, &r);
}

static int
rt_route(struct rt_sock *s, enum rt_route_op op, const struct rt_route *rt)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;

	return rt_request(s, req, rt_msg_route(req, seq, op, rt), seq, &r);
}

int
rt_route_add(struct rt_sock *s, const struct rt_route *r)
{
	return rt_route(s, RT_ROUTE_ADD, r);
}

int
rt_route_replace(struct rt_sock *s, const struct rt_route *r)
{
	return rt_route(s, RT_ROUTE_REPLACE, r);
}

int
rt_route_del(struct rt_sock *s, const struct rt_route *r)
{
	return rt_route(s, RT_ROUTE_DEL, r);
}

int
rt_route_dump(struct rt_sock *s, int family, rt_route_fn fn, void *arg)
{
	_Alignas(struct nlmsghdr) uint8_t req[RT_MSG_MAX];
	uint32_t seq = rt_next_seq(s);
	struct rt_reply r;

	rt_reply_init(&r);
	r.route_fn = fn;
	r.route_arg = arg;
	return rt_request_into(s, req, rt_msg_route_dump(req, seq, family), seq, &r);
}
