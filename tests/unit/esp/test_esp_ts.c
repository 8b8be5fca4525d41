/* SPDX-License-Identifier: MIT */
/*
 * Inner-packet parsing and traffic selectors: IPv4 and IPv6 headers, ports and ICMP
 * type/code, IPv6 extension headers, fragments (a non-first fragment has no ports, RFC 4301
 * §7.1), truncated packets, and the outbound/inbound direction of the selector lists.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "node/esp/esp_ts.h"
#include "tests/unit/esp/esp_vec.h"

static void
test_ipv4(void **state)
{
	uint8_t p[60];
	struct esp_flow f;

	(void)state;
	vec_ip4_udp(p, sizeof(p), 1234, 53);
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), 0);
	assert_int_equal(f.family, AF_INET);
	assert_int_equal(f.proto, 17);
	assert_true(f.ports);
	assert_int_equal(f.sport, 1234);
	assert_int_equal(f.dport, 53);
	assert_int_equal(f.len, 60);
	assert_false(f.df);
	p[6] = 0x40; /* DF */
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), 0);
	assert_true(f.df);
	/* a non-first fragment: no ports */
	p[6] = 0x20;
	p[7] = 0x10;
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), 0);
	assert_true(f.frag);
	assert_false(f.ports);
	/* ICMP echo request: type 8, code 0 */
	vec_ip4_udp(p, sizeof(p), 0x0800, 0);
	p[9] = 1;
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), 0);
	assert_int_equal(f.sport, 0x0800);
	/* lengths that lie */
	assert_int_equal(esp_flow_parse(p, 59, &f), -EBADMSG); /* total length 60 > 59 */
	p[0] = 0x44;                                           /* IHL 16 bytes < 20 */
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), -EBADMSG);
	p[0] = 0x4f; /* IHL 60 = total: no room for ports, but a valid header */
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), 0);
	assert_false(f.ports);
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(esp_flow_parse(p, n, &f), -EBADMSG);
	p[0] = 0x55;
	assert_int_equal(esp_flow_parse(p, sizeof(p), &f), -EBADMSG);
}

static void
test_ipv6_ext(void **state)
{
	uint8_t p[100];
	struct esp_flow f;

	(void)state;
	vec_ip6_udp(p, 80, 4000, 5000);
	assert_int_equal(esp_flow_parse(p, 80, &f), 0);
	assert_int_equal(f.family, AF_INET6);
	assert_int_equal(f.sport, 4000);
	assert_true(f.df);
	/* hop-by-hop (8 bytes) then UDP */
	memmove(p + 48, p + 40, 40);
	memset(p + 40, 0, 8);
	p[40] = 17;
	p[6] = 0;
	p[5] = 48;
	assert_int_equal(esp_flow_parse(p, 88, &f), 0);
	assert_int_equal(f.proto, 17);
	assert_int_equal(f.sport, 4000);
	/* a fragment header with offset: a non-first fragment */
	p[6] = 44;
	p[40] = 17;
	p[42] = 0x00;
	p[43] = 0x08;
	assert_int_equal(esp_flow_parse(p, 88, &f), 0);
	assert_true(f.frag);
	assert_false(f.ports);
	assert_int_equal(f.proto, 17);
	/* payload length beyond the buffer */
	assert_int_equal(esp_flow_parse(p, 87, &f), -EBADMSG);
}

static void
test_selectors(void **state)
{
	struct esp_sa_params p;
	struct esp_flow f;
	uint8_t pkt[60];

	(void)state;
	memset(&p, 0, sizeof(p));
	vec_ip4_udp(pkt, sizeof(pkt), 1000, 53);
	assert_int_equal(esp_flow_parse(pkt, sizeof(pkt), &f), 0);
	assert_true(esp_ts_match_out(&p, &f)); /* no selectors: anything */
	p.nts_local = 1;
	p.ts_local[0] = (struct esp_ts){.family = AF_INET,
	                                .start = {10, 1, 0, 0},
	                                .end = {10, 1, 0, 255},
	                                .sport = 0,
	                                .eport = 65535};
	p.nts_remote = 2;
	p.ts_remote[0] = (struct esp_ts){.family = AF_INET6, .sport = 0, .eport = 65535};
	p.ts_remote[1] = (struct esp_ts){.family = AF_INET,
	                                 .start = {10, 2, 0, 1},
	                                 .end = {10, 2, 0, 1},
	                                 .proto = 17,
	                                 .sport = 53,
	                                 .eport = 53};
	assert_true(esp_ts_match_out(&p, &f));
	assert_false(esp_ts_match_in(&p, &f)); /* reversed: 10.1.0.1 is not remote */
	vec_ip4_udp(pkt, sizeof(pkt), 1000, 54);
	assert_int_equal(esp_flow_parse(pkt, sizeof(pkt), &f), 0);
	assert_false(esp_ts_match_out(&p, &f));
	/* a non-first fragment matches only selectors with every port */
	vec_ip4_udp(pkt, sizeof(pkt), 1000, 53);
	pkt[7] = 0x10;
	assert_int_equal(esp_flow_parse(pkt, sizeof(pkt), &f), 0);
	assert_false(esp_ts_match_out(&p, &f));
	p.ts_remote[1].sport = 0;
	p.ts_remote[1].eport = 65535;
	assert_true(esp_ts_match_out(&p, &f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ipv4),
	        cmocka_unit_test(test_ipv6_ext),
	        cmocka_unit_test(test_selectors),
	};

	return cmocka_run_group_tests_name("esp_ts", tests, NULL, NULL);
}
