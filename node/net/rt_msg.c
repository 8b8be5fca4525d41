/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink request builders and the reply parser (rt_msg.h). The parser walks the datagram
 * with libmnl's bounded iterators (mnl_cb_run2 for seq/portid checks and dispatch) after a
 * structural pass that rejects trailing garbage, and copies headers into aligned locals.
 */
#include "rt_msg.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

/* A datagram larger than this is refused before libmnl's int lengths see it. */
#define RT_REPLY_MAX (1u << 20)

void
rt_reply_init(struct rt_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* ---- reply parsing ----------------------------------------------------------------------- */

struct rt_parse {
	struct rt_reply *r;
	bool bad; /* a callback found a malformed message */
};

static int
rt_link_attr_cb(const struct nlattr *a, void *data)
{
	struct rt_parse *ps = data;
	struct rt_reply *r = ps->r;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(a) > sizeof(r->ifname)) {
			ps->bad = true;
			return MNL_CB_ERROR;
		}
		memcpy(r->ifname, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
			ps->bad = true;
			return MNL_CB_ERROR;
		}
		r->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		/* Ethernet-like links only; a TUN device has none, others other lengths */
		if (mnl_attr_get_payload_len(a) == sizeof(r->hwaddr)) {
			memcpy(r->hwaddr, mnl_attr_get_payload(a), sizeof(r->hwaddr));
			r->have_hwaddr = true;
		}
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static size_t
rt_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* A route's attributes; addresses must have the family's exact length. */
struct rt_route_parse {
	struct rt_route *rt;
	size_t alen;
	bool bad;
};

static int
rt_route_attr_cb(const struct nlattr *a, void *data)
{
	struct rt_route_parse *rp = data;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case RTA_DST:
	case RTA_GATEWAY:
		if (mnl_attr_get_payload_len(a) != rp->alen) {
			rp->bad = true;
			return MNL_CB_ERROR;
		}
		memcpy(type == RTA_DST ? rp->rt->dst : rp->rt->gw, mnl_attr_get_payload(a),
		       rp->alen);
		if (type == RTA_GATEWAY)
			rp->rt->has_gw = true;
		break;
	case RTA_OIF:
	case RTA_PRIORITY:
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
			rp->bad = true;
			return MNL_CB_ERROR;
		}
		if (type == RTA_OIF)
			rp->rt->ifindex = mnl_attr_get_u32(a);
		else if (type == RTA_PRIORITY)
			rp->rt->metric = mnl_attr_get_u32(a);
		else
			rp->rt->table = mnl_attr_get_u32(a);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* RTM_NEWROUTE of a dump: unicast routes go to r->route_fn, the rest is skipped. */
static int
rt_route_msg(const struct nlmsghdr *nlh, struct rt_parse *ps)
{
	struct rtmsg rtm;
	struct rt_route rt;
	struct rt_route_parse rp = {.rt = &rt};

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtm)) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
	rp.alen = rt_addr_len(rtm.rtm_family);
	if (!ps->r->route_fn || rtm.rtm_type != RTN_UNICAST || !rp.alen)
		return MNL_CB_OK;
	if (rtm.rtm_dst_len > rp.alen * 8) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	memset(&rt, 0, sizeof(rt));
	rt.family = rtm.rtm_family;
	rt.dst_len = rtm.rtm_dst_len;
	rt.table = rtm.rtm_table;
	if (mnl_attr_parse(nlh, sizeof(rtm), rt_route_attr_cb, &rp) != MNL_CB_OK || rp.bad) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	if (rt.table == RT_TABLE_MAIN)
		rt.table = 0; /* struct rt_route's spelling of the main table */
	ps->r->route_fn(ps->r->route_arg, &rt);
	return MNL_CB_OK;
}

/* RTM_NEWLINK: the answer to a link query; RTM_NEWROUTE: a dump's. Others are skipped. */
static int
rt_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rt_parse *ps = data;
	struct ifinfomsg ifi;

	ps->r->nmsgs++;
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		return rt_route_msg(nlh, ps);
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifi)) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	memcpy(&ifi, mnl_nlmsg_get_payload(nlh), sizeof(ifi));
	ps->r->ifname[0] = '\0';
	ps->r->mtu = 0;
	ps->r->have_hwaddr = false;
	if (mnl_attr_parse(nlh, sizeof(ifi), rt_link_attr_cb, ps) != MNL_CB_OK) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	ps->r->have_link = true;
	ps->r->ifindex = (unsigned)ifi.ifi_index;
	ps->r->ifflags = ifi.ifi_flags;
	return MNL_CB_OK;
}

static int
rt_ext_ack_cb(const struct nlattr *a, void *data)
{
	struct rt_parse *ps = data;
	size_t n;

	if (mnl_attr_get_type(a) != NLMSGERR_ATTR_MSG)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	n = strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
	if (n >= sizeof(ps->r->msg))
		n = sizeof(ps->r->msg) - 1;
	memcpy(ps->r->msg, mnl_attr_get_str(a), n);
	ps->r->msg[n] = '\0';
	return MNL_CB_OK;
}

/*
 * The extended ack TLVs follow struct nlmsgerr and, unless NLM_F_CAPPED, the whole request
 * the kernel echoes back (netlink(7), "NETLINK_EXT_ACK").
 */
static int
rt_ext_ack(const struct nlmsghdr *nlh, const struct nlmsgerr *err, struct rt_parse *ps)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return MNL_CB_OK;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return MNL_CB_ERROR;
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (MNL_ALIGN(off) > plen)
		return MNL_CB_ERROR;
	return mnl_attr_parse(nlh, (unsigned)off, rt_ext_ack_cb, ps) == MNL_CB_OK ? MNL_CB_OK
	                                                                          : MNL_CB_ERROR;
}

/* NLMSG_ERROR: error 0 is the ack; anything else the kernel's errno (sign varies). */
static int
rt_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rt_parse *ps = data;
	struct nlmsgerr err;

	ps->r->nmsgs++;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err)) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err.error == 0 && !(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		ps->r->done = true;
		return MNL_CB_STOP;
	}
	if (rt_ext_ack(nlh, &err, ps) != MNL_CB_OK) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	if (err.error == INT32_MIN) {
		ps->bad = true;
		return MNL_CB_ERROR;
	}
	ps->r->error = err.error < 0 ? err.error : -err.error;
	ps->r->done = true;
	return MNL_CB_STOP;
}

static int
rt_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rt_parse *ps = data;

	(void)nlh;
	ps->r->nmsgs++;
	ps->r->done = true;
	return MNL_CB_STOP;
}

static int
rt_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* Structural pass: the datagram is a whole number of well-formed messages. */
static bool
rt_reply_wellformed(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	while (left > 0) {
		/* mnl_nlmsg_ok compares nlmsg_len as an int: a length >= 2^31 would pass it */
		if (!mnl_nlmsg_ok(nlh, left) || nlh->nlmsg_len > (unsigned)left)
			return false;
		if (MNL_ALIGN(nlh->nlmsg_len) >= (unsigned)left)
			return true; /* the last message; its padding may be missing */
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return true;
}

int
rt_reply_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct rt_reply *r)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
	        /* libmnl takes a non-const array */
	        [NLMSG_NOOP] = rt_noop_cb,
	        [NLMSG_ERROR] = rt_error_cb,
	        [NLMSG_DONE] = rt_done_cb,
	        [NLMSG_OVERRUN] = rt_noop_cb,
	};
	struct rt_parse ps = {.r = r};
	int rc;

	if (len == 0 || len > RT_REPLY_MAX || !rt_reply_wellformed(buf, len))
		return -EBADMSG;
	errno = 0;
	rc = mnl_cb_run2(buf, len, seq, portid, rt_data_cb, &ps, ctl, NLMSG_MIN_TYPE);
	if (ps.bad)
		return -EBADMSG;
	if (rc == MNL_CB_ERROR) {
		/* libmnl: ESRCH wrong port id, EPROTO wrong sequence number: not our answer */
		if (errno == ESRCH || errno == EPROTO)
			return -ESRCH;
		return -EBADMSG;
	}
	return r->done ? 0 : 1;
}

/* ---- request builders -------------------------------------------------------------------- */

static struct nlmsghdr *
rt_put_header(void *buf, uint32_t seq, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, RT_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	nlh->nlmsg_seq = seq;
	return nlh;
}

size_t
rt_msg_link_get_name(void *buf, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	size_t n = strnlen(name, IFNAMSIZ);

	if (n == 0 || n >= IFNAMSIZ)
		return 0;
	nlh = rt_put_header(buf, seq, RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh->nlmsg_len;
}

size_t
rt_msg_link_get_index(void *buf, uint32_t seq, unsigned ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex == 0 || ifindex > INT32_MAX)
		return 0;
	nlh = rt_put_header(buf, seq, RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh->nlmsg_len;
}

size_t
rt_msg_link_set(void *buf, uint32_t seq, unsigned ifindex, bool set_up, bool up, uint32_t mtu)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex == 0 || ifindex > INT32_MAX)
		return 0;
	nlh = rt_put_header(buf, seq, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (set_up) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlh->nlmsg_len;
}

size_t
rt_msg_addr_lease(void *buf, uint32_t seq, bool add, unsigned ifindex, const struct rt_prefix *p,
                  uint32_t lease_s)
{
	size_t alen = rt_addr_len(p->family);
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint16_t flags = 0;

	if (!alen || p->len > alen * 8 || ifindex == 0 || (lease_s && !add))
		return 0;
	if (add)
		flags = NLM_F_CREATE | (lease_s ? NLM_F_REPLACE : NLM_F_EXCL);
	nlh = rt_put_header(buf, seq, add ? RTM_NEWADDR : RTM_DELADDR, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* IPv6: no duplicate address detection, so the address is usable at once */
	ifa->ifa_flags = p->family == AF_INET6 ? IFA_F_NODAD : 0;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr);
	if (lease_s) {
		/* the kernel removes the address when the lease runs out without a renewal */
		struct ifa_cacheinfo ci = {.ifa_prefered = lease_s, .ifa_valid = lease_s};

		mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return nlh->nlmsg_len;
}

size_t
rt_msg_addr(void *buf, uint32_t seq, bool add, unsigned ifindex, const struct rt_prefix *p)
{
	return rt_msg_addr_lease(buf, seq, add, ifindex, p, 0);
}

size_t
rt_msg_route(void *buf, uint32_t seq, enum rt_route_op op, const struct rt_route *r)
{
	static const uint16_t flags[] = {
	        [RT_ROUTE_ADD] = NLM_F_CREATE | NLM_F_EXCL,
	        [RT_ROUTE_REPLACE] = NLM_F_CREATE | NLM_F_REPLACE,
	        [RT_ROUTE_DEL] = 0,
	};
	size_t alen = rt_addr_len(r->family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!alen || r->dst_len > alen * 8 || (r->ifindex == 0 && !r->has_gw) ||
	    (unsigned)op > RT_ROUTE_DEL)
		return 0;
	nlh = rt_put_header(buf, seq, op == RT_ROUTE_DEL ? RTM_DELROUTE : RTM_NEWROUTE, flags[op]);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = r->table && r->table < 256 ? (uint8_t)r->table : RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	if (op == RT_ROUTE_DEL)
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* matches any scope */
	else
		rtm->rtm_scope = r->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	mnl_attr_put(nlh, RTA_DST, alen, r->dst);
	if (r->ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, r->ifindex);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gw);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return nlh->nlmsg_len;
}

size_t
rt_msg_route_dump(void *buf, uint32_t seq, int family)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!rt_addr_len(family))
		return 0;
	nlh = rt_put_header(buf, seq, RTM_GETROUTE, 0);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	return nlh->nlmsg_len;
}
