/* SPDX-License-Identifier: MIT */
/*
 * Links, addresses and routes through rtnetlink (libmnl), for the devices tandemd owns: the
 * TUN devices of tunnel interfaces and, later, the HA layer's virtual addresses and routes by
 * cost. One request at a time: each call sends one message with NLM_F_ACK and waits (bounded)
 * for the kernel's answer on the same socket, checking sequence number and port id.
 */
#ifndef TANDEM_NODE_NET_RT_H
#define TANDEM_NODE_NET_RT_H

#include <stdbool.h>
#include <stdint.h>

struct rt_sock;

/* An address with its prefix length; host bits are kept (an interface address). */
struct rt_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t len;
};

/* A unicast route in table `table` (0: main): dst/dst_len via ifindex and/or a gateway. */
struct rt_route {
	int family; /* AF_INET or AF_INET6 */
	uint8_t dst[16];
	uint8_t dst_len;
	unsigned ifindex; /* 0: none (then has_gw) */
	bool has_gw;
	uint8_t gw[16];
	uint32_t metric; /* RTA_PRIORITY: the configuration's "cost" */
	uint32_t table;  /* 0: RT_TABLE_MAIN */
};

/*
 * Opens a NETLINK_ROUTE socket (close-on-exec) bound to a kernel-chosen port id, with extended
 * acks so failures carry the kernel's reason. Returns 0 or -errno.
 */
int rt_open(struct rt_sock **out);
/* NULL-safe. */
void rt_close(struct rt_sock *s);
/* The kernel's text for the last failed request ("" if it gave none). Borrowed from s. */
const char *rt_last_error(const struct rt_sock *s);

/* Looks a link up by name. Returns 0, -ENODEV (no such link), -EINVAL (empty or too long) or
 * -errno. */
int rt_link_index(struct rt_sock *s, const char *name, unsigned *ifindex);
/* Sets IFF_UP (up) or clears it (down). Returns 0 or -errno (-ENODEV: no such link). */
int rt_link_set_up(struct rt_sock *s, unsigned ifindex, bool up);
/* Sets the link's MTU. Returns 0 or -errno. */
int rt_link_set_mtu(struct rt_sock *s, unsigned ifindex, uint32_t mtu);
/* The link's 6-byte hardware address. Returns 0, -ENODEV, -EAFNOSUPPORT (the link has no
 * Ethernet address, e.g. a TUN device) or -errno. */
int rt_link_hwaddr(struct rt_sock *s, unsigned ifindex, uint8_t mac[6]);
/* Reads flags (IFF_*) and MTU of a link. Returns 0 or -errno. */
int rt_link_get(struct rt_sock *s, unsigned ifindex, unsigned *flags, uint32_t *mtu);

/*
 * Adds or deletes an address on a link (IPv6 addresses skip duplicate address detection, so
 * they are usable at once). Add returns -EEXIST when the address is there already.
 */
int rt_addr_add(struct rt_sock *s, unsigned ifindex, const struct rt_prefix *p);
int rt_addr_del(struct rt_sock *s, unsigned ifindex, const struct rt_prefix *p);
/* Adds or renews an address that the kernel removes lease_s seconds after its last renewal
 * (a virtual address that must not outlive its owner: docs/ha.md). */
int rt_addr_lease(struct rt_sock *s, unsigned ifindex, const struct rt_prefix *p, uint32_t lease_s);

/*
 * Routes (protocol "static"). add fails with -EEXIST when the same route (destination, table,
 * metric) exists; replace creates or overwrites it; del removes the route matching
 * destination, table, metric and, when set, interface and gateway (-ESRCH if none).
 */
int rt_route_add(struct rt_sock *s, const struct rt_route *r);
int rt_route_replace(struct rt_sock *s, const struct rt_route *r);
int rt_route_del(struct rt_sock *s, const struct rt_route *r);

/*
 * Calls fn for each unicast route of `family` in every table (table 0 = main, as in struct
 * rt_route), before returning. The route is borrowed for the call; fn must not use s.
 * Returns 0 or -errno (-ETIMEDOUT, -EBADMSG for a malformed dump).
 */
typedef void (*rt_route_fn)(void *arg, const struct rt_route *r);
int rt_route_dump(struct rt_sock *s, int family, rt_route_fn fn, void *arg);

#endif
