/* SPDX-License-Identifier: MIT */
/*
 * Gratuitous ARP and unsolicited neighbour advertisement frames: every byte of each against
 * the layout of RFC 826 / RFC 5227 §3 and RFC 4861 §4.4, the ICMPv6 checksum recomputed
 * independently, short buffers refused, and the sender's argument checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/net/rt_announce.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

static void
test_garp(void **state)
{
	static const uint8_t ip[4] = {192, 0, 2, 10};
	static const uint8_t want[RT_GARP_LEN] = {/* Ethernet: broadcast, from mac, ARP */
	                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00,
	                                          0x5e, 0x10, 0x20, 0x30, 0x08, 0x06,
	                                          /* ARP: Ethernet, IPv4, 6, 4, request */
	                                          0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
	                                          /* sender mac, sender ip */
	                                          0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 192, 0, 2, 10,
	                                          /* target mac zero, target ip = sender ip */
	                                          0, 0, 0, 0, 0, 0, 192, 0, 2, 10};
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(rt_garp_build(buf, sizeof(buf), mac, ip), RT_GARP_LEN);
	assert_memory_equal(buf, want, RT_GARP_LEN);
	assert_int_equal(buf[RT_GARP_LEN], 0xaa); /* nothing written past the frame */
	assert_int_equal(rt_garp_build(buf, RT_GARP_LEN - 1, mac, ip), 0);
	assert_int_equal(rt_garp_build(buf, RT_GARP_LEN, mac, ip), RT_GARP_LEN);
}

/* An independent RFC 1071 sum over pseudo-header and message: 0xffff for a right frame. */
static uint16_t
sum_frame(const uint8_t *ip6hdr, const uint8_t *icmp, size_t len)
{
	uint8_t ph[40 + 64];
	uint32_t s = 0;

	memset(ph, 0, sizeof(ph));
	memcpy(ph, ip6hdr + 8, 32); /* source, destination */
	ph[35] = (uint8_t)len;
	ph[39] = 58;
	memcpy(ph + 40, icmp, len);
	for (size_t i = 0; i < 40 + len; i += 2)
		s += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
test_una(void **state)
{
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	                                0,    0,    0,    0,    0, 0, 0, 0x10};
	static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t buf[128];
	const uint8_t *ip, *icmp;

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(rt_una_build(buf, sizeof(buf), mac, ip6), RT_UNA_LEN);
	assert_int_equal(buf[RT_UNA_LEN], 0xaa);
	/* Ethernet: all-nodes multicast 33:33:00:00:00:01 from mac, IPv6 */
	assert_memory_equal(buf, ((const uint8_t[]){0x33, 0x33, 0, 0, 0, 1}), 6);
	assert_memory_equal(buf + 6, mac, 6);
	assert_int_equal(buf[12], 0x86);
	assert_int_equal(buf[13], 0xdd);
	ip = buf + 14;
	assert_int_equal(ip[0], 0x60);
	assert_int_equal(ip[1] | ip[2] | ip[3], 0);
	assert_int_equal(ip[4] << 8 | ip[5], 32); /* payload length */
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255); /* RFC 4861 §7.1.2 */
	assert_memory_equal(ip + 8, ip6, 16);
	assert_memory_equal(ip + 24, all_nodes, 16);
	icmp = ip + 40;
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], 0x20); /* Override only: not a router, not solicited */
	assert_int_equal(icmp[5] | icmp[6] | icmp[7], 0);
	assert_memory_equal(icmp + 8, ip6, 16);
	assert_int_equal(icmp[24], 2); /* Target Link-Layer Address */
	assert_int_equal(icmp[25], 1);
	assert_memory_equal(icmp + 26, mac, 6);
	assert_int_equal(sum_frame(ip, icmp, 32), 0xffff);
	assert_int_equal(rt_icmp6_csum(ip + 8, ip + 24, icmp, 32), 0);
	/* a flipped bit breaks the checksum */
	buf[14 + 40 + 10] ^= 1;
	assert_int_not_equal(sum_frame(ip, icmp, 32), 0xffff);
	assert_int_equal(rt_una_build(buf, RT_UNA_LEN - 1, mac, ip6), 0);
}

static void
test_send_args(void **state)
{
	uint8_t frame[RT_GARP_LEN] = {0};
	int fd = -1;

	(void)state;
	assert_int_equal(rt_announce_send(-1, 1, frame, 10), -EINVAL); /* shorter than Ethernet */
	assert_int_equal(rt_announce_send(-1, 0, frame, sizeof(frame)), -EINVAL);
	/* without CAP_NET_RAW the socket is refused; with it a send on a bad fd fails */
	if (rt_announce_open(&fd) == 0) {
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(rt_announce_send(-1, 1, frame, sizeof(frame)), -EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_garp),
	        cmocka_unit_test(test_una),
	        cmocka_unit_test(test_send_args),
	};

	return cmocka_run_group_tests_name("rt_announce", tests, NULL, NULL);
}
