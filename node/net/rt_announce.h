/* SPDX-License-Identifier: MIT */
/*
 * Announcing an address that moved to this node: the gratuitous ARP (IPv4, RFC 5227 §3 "ARP
 * announcement") and the unsolicited neighbour advertisement (IPv6, RFC 4861 §7.2.6) that
 * make neighbours and switches point at this node's MAC at once. The frame builders are pure
 * (unit-tested byte for byte); sending uses an AF_PACKET socket.
 */
#ifndef TANDEM_NODE_NET_RT_ANNOUNCE_H
#define TANDEM_NODE_NET_RT_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#define RT_GARP_LEN 42u /* Ethernet 14 + ARP 28 (the kernel pads it to 60) */
#define RT_UNA_LEN  86u /* Ethernet 14 + IPv6 40 + NA 24 + target link-layer option 8 */

/*
 * Writes a gratuitous ARP for `ip` owned by `mac` into buf: an ARP request (opcode 1) to the
 * broadcast address with sender and target protocol address both `ip` and target hardware
 * address zero, the form RFC 5227 §3 calls an announcement (hosts update an existing cache
 * entry from it; Linux does so whatever arp_accept says). Returns RT_GARP_LEN, or 0 when cap
 * is too small.
 */
size_t rt_garp_build(uint8_t *buf, size_t cap, const uint8_t mac[6], const uint8_t ip[4]);

/*
 * Writes an unsolicited neighbour advertisement for `ip6` owned by `mac` into buf: from ip6
 * to all-nodes ff02::1 (Ethernet 33:33:00:00:00:01), hop limit 255, flags Override set and
 * Solicited clear, Router clear, with the Target Link-Layer Address option (RFC 4861 §4.4,
 * §7.2.6), ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1). Returns RT_UNA_LEN, or 0
 * when cap is too small.
 */
size_t rt_una_build(uint8_t *buf, size_t cap, const uint8_t mac[6], const uint8_t ip6[16]);

/* The Internet checksum (RFC 1071) of pseudo-header + ICMPv6 message, as rt_una_build puts
 * it; exposed so tests can verify a frame. Returns 0 for a frame whose sum is right. */
uint16_t rt_icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *icmp,
                       size_t len);

/* Opens the AF_PACKET socket frames are sent through (close-on-exec, non-blocking). Returns 0
 * or -errno (-EPERM without CAP_NET_RAW). */
int rt_announce_open(int *fd);
/* Sends one frame built above out of link `ifindex`. Returns 0 or -errno. */
int rt_announce_send(int fd, unsigned ifindex, const uint8_t *frame, size_t len);

#endif
