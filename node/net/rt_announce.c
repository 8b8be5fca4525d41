/* SPDX-License-Identifier: MIT */
/*
 * Gratuitous ARP and unsolicited neighbour advertisement frames (rt_announce.h), written
 * field by field into the caller's buffer, and their AF_PACKET sender.
 */
#include "rt_announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>

#define RT_ETH_HDR 14u
#define RT_NA_LEN  32u /* ICMPv6 NA 24 + option 8 */

static const uint8_t rt_all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static uint8_t *
rt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
rt_put(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

static uint8_t *
rt_put_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	p = rt_put(p, dst, 6);
	p = rt_put(p, src, 6);
	return rt_put16(p, type);
}

size_t
rt_garp_build(uint8_t *buf, size_t cap, const uint8_t mac[6], const uint8_t ip[4])
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6] = {0};
	uint8_t *p = buf;

	if (cap < RT_GARP_LEN)
		return 0;
	p = rt_put_eth(p, bcast, mac, ETH_P_ARP);
	p = rt_put16(p, 1);        /* hardware type: Ethernet */
	p = rt_put16(p, ETH_P_IP); /* protocol type */
	*p++ = 6;                  /* hardware address length */
	*p++ = 4;                  /* protocol address length */
	p = rt_put16(p, 1);        /* request (RFC 5227 §3 announcement) */
	p = rt_put(p, mac, 6);     /* sender hardware address */
	p = rt_put(p, ip, 4);      /* sender protocol address */
	p = rt_put(p, zero, 6);    /* target hardware address: ignored */
	p = rt_put(p, ip, 4);      /* target protocol address: the same address */
	return (size_t)(p - buf);
}

static uint32_t
rt_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t
rt_icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *icmp, size_t len)
{
	uint8_t tail[8] = {0};
	uint32_t sum = 0;

	/* pseudo-header: source, destination, upper-layer length (32 bits), 3 zero, next header */
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = 58; /* ICMPv6 */
	sum = rt_sum(sum, src, 16);
	sum = rt_sum(sum, dst, 16);
	sum = rt_sum(sum, tail, sizeof(tail));
	sum = rt_sum(sum, icmp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t
rt_una_build(uint8_t *buf, size_t cap, const uint8_t mac[6], const uint8_t ip6[16])
{
	static const uint8_t mcast_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t *p = buf, *icmp;
	uint16_t csum;

	if (cap < RT_UNA_LEN)
		return 0;
	p = rt_put_eth(p, mcast_mac, mac, ETH_P_IPV6);
	/* IPv6 header: version 6, traffic class 0, flow label 0 */
	*p++ = 0x60;
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	p = rt_put16(p, RT_NA_LEN); /* payload length */
	*p++ = 58;                  /* next header: ICMPv6 */
	*p++ = 255;                 /* hop limit: RFC 4861 §7.1.2 receivers require 255 */
	p = rt_put(p, ip6, 16);
	p = rt_put(p, rt_all_nodes, 16);
	/* RFC 4861 §4.4 Neighbor Advertisement */
	icmp = p;
	*p++ = 136; /* type */
	*p++ = 0;   /* code */
	p = rt_put16(p, 0);
	*p++ = 0x20; /* R=0 S=0 O=1: unsolicited, override the cached address (§7.2.6) */
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	p = rt_put(p, ip6, 16); /* target address */
	*p++ = 2;               /* option: Target Link-Layer Address */
	*p++ = 1;               /* length in units of 8 bytes */
	p = rt_put(p, mac, 6);
	csum = rt_icmp6_csum(ip6, rt_all_nodes, icmp, RT_NA_LEN);
	rt_put16(icmp + 2, csum);
	return (size_t)(p - buf);
}

int
rt_announce_open(int *fd)
{
	/* protocol 0: this socket only sends, it receives nothing */
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -errno;
	*fd = s;
	return 0;
}

int
rt_announce_send(int fd, unsigned ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll;
	uint16_t type;

	if (len < RT_ETH_HDR || ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)ifindex;
	sll.sll_protocol = htons(type);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame, 6);
	if (sendto(fd, frame, len, 0, (const struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}
