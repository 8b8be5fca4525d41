/* SPDX-License-Identifier: MIT */
/*
 * TUN devices for tunnel interfaces: created through /dev/net/tun (IFF_TUN | IFF_NO_PI), not
 * persistent, so a device lives exactly as long as a descriptor of it is open, and Linux
 * interface names checked the way the kernel checks them.
 */
#ifndef TANDEM_NODE_NET_RT_TUN_H
#define TANDEM_NODE_NET_RT_TUN_H

#include <stdbool.h>

#define RT_TUN_MULTI_QUEUE 0x1u /* IFF_MULTI_QUEUE: each open of the name adds a queue */
#define RT_TUN_VNET_HDR    0x2u /* IFF_VNET_HDR: a virtio-net header precedes each packet */

/* Whether name is a valid Linux interface name (1..15 bytes, not "." or "..", no '/', ':'
 * or white space), as the kernel's dev_valid_name() requires. */
bool rt_ifname_valid(const char *name);

/*
 * Creates the TUN device `name` (or, with RT_TUN_MULTI_QUEUE and an existing multi-queue
 * device of ours, attaches one more queue) and returns its descriptor in *fd: close-on-exec,
 * blocking (the reader chooses O_NONBLOCK itself). The device disappears when its last
 * descriptor closes. Returns 0, -EINVAL (bad name), -EBUSY (the name is taken, e.g. a device
 * still held by a process that has not exited yet), -EPERM (no CAP_NET_ADMIN) or -errno.
 */
int rt_tun_open(const char *name, unsigned flags, int *fd);

/*
 * Turns IPv6 off on a link (net.ipv6.conf.NAME.disable_ipv6 = 1, through /proc): a tunnel
 * device that carries no IPv6 then sends no router solicitations or MLD reports of its own
 * into the tunnel. Returns 0, -ENOENT (no IPv6 in this kernel) or -errno.
 */
int rt_link_disable_ipv6(const char *name);

#endif
