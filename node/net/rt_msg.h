/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink messages without a socket: builders that write one request into a caller's
 * buffer, and the parser of what the kernel answers (data messages, acks, errors with their
 * extended-ack text). Pure, so the parser is fuzzed (fuzz_rt_reply) and unit-tested alone.
 */
#ifndef TANDEM_NODE_NET_RT_MSG_H
#define TANDEM_NODE_NET_RT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/net/rt.h"

/* Room for any request built here (names, two addresses, a few u32 attributes). */
#define RT_MSG_MAX 512

/* What a request's replies said, collected over one or more datagrams. */
struct rt_reply {
	bool done;        /* the final ack (or NLMSG_DONE) arrived */
	int error;        /* 0, or the kernel's negative errno from NLMSG_ERROR */
	char msg[128];    /* extended-ack text that came with the error, "" if none */
	bool have_link;   /* an RTM_NEWLINK arrived: the fields below are set */
	unsigned ifindex; /* link index */
	unsigned ifflags; /* IFF_* */
	uint32_t mtu;     /* IFLA_MTU, 0 if absent */
	char ifname[16];  /* IFLA_IFNAME, "" if absent */
	bool have_hwaddr; /* IFLA_ADDRESS was a 6-byte (Ethernet) address */
	uint8_t hwaddr[6];
	unsigned nmsgs; /* messages seen (for tests) */
	/* set by the caller after rt_reply_init: receives each unicast RTM_NEWROUTE of a dump
	 * (rt.h's rt_route_fn); routes of other types (local, broadcast ...) are skipped */
	rt_route_fn route_fn;
	void *route_arg;
};

void rt_reply_init(struct rt_reply *r);

/*
 * Parses one datagram of replies to request `seq` from port `portid` (0 = the kernel's port
 * id is not checked). The buffer must be suitably aligned for struct nlmsghdr (a receive
 * buffer is). Returns:
 *   1        more datagrams are needed (a multi-part answer or data before the ack),
 *   0        the request is answered (r->done); r->error holds the kernel's verdict,
 *   -ESRCH   the datagram answers another request (stale; read on),
 *   -EBADMSG malformed (lengths, truncated error message, bad attributes).
 * Never reads outside [buf, buf + len).
 */
int rt_reply_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct rt_reply *r);

/*
 * Builders: each writes one request with NLM_F_REQUEST | NLM_F_ACK and `seq` into buf (room
 * for RT_MSG_MAX, aligned) and returns its length, or 0 when the arguments are invalid
 * (unknown family, name too long, prefix length out of range).
 */
size_t rt_msg_link_get_name(void *buf, uint32_t seq, const char *name);
size_t rt_msg_link_get_index(void *buf, uint32_t seq, unsigned ifindex);
size_t rt_msg_link_set(void *buf, uint32_t seq, unsigned ifindex, bool set_up, bool up,
                       uint32_t mtu);
size_t rt_msg_addr(void *buf, uint32_t seq, bool add, unsigned ifindex, const struct rt_prefix *p);
/*
 * An address with a lease (add only): created or replaced with preferred and valid lifetimes
 * of lease_s seconds, so the kernel removes it unless it is renewed in time.
 */
size_t rt_msg_addr_lease(void *buf, uint32_t seq, bool add, unsigned ifindex,
                         const struct rt_prefix *p, uint32_t lease_s);

/*
 * A dump of the routes of one family (AF_INET or AF_INET6) in every table: NLM_F_DUMP, no
 * ack (the dump ends with NLMSG_DONE). Returns the length or 0 for an unknown family.
 */
size_t rt_msg_route_dump(void *buf, uint32_t seq, int family);

enum rt_route_op { RT_ROUTE_ADD, RT_ROUTE_REPLACE, RT_ROUTE_DEL };
size_t rt_msg_route(void *buf, uint32_t seq, enum rt_route_op op, const struct rt_route *r);

#endif
