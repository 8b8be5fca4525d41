/* SPDX-License-Identifier: MIT */
/*
 * The real netlink calls, inside a network namespace of this test process's own (unshare
 * CLONE_NEWNET; as root only, otherwise every test is skipped): link lookup and state, TUN
 * devices that vanish with their descriptor, addresses, routes with metrics, and the
 * kernel's removal of routes when a link goes down.
 */
#include <errno.h>
#include <linux/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/net/rt.h"
#include "node/net/rt_tun.h"

static bool in_netns;

static int
group_setup(void **state)
{
	(void)state;
	/* a namespace of our own: nothing the test does is visible outside this process */
	in_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
	return 0;
}

static int
open_sock(void **state)
{
	struct rt_sock *s = NULL;

	if (!in_netns)
		return 0;
	if (rt_open(&s) != 0)
		return -1;
	*state = s;
	return 0;
}

static int
close_sock(void **state)
{
	rt_close(*state);
	return 0;
}

#define NEED_NETNS()                                                             \
	do {                                                                     \
		if (!in_netns) {                                                 \
			print_message("not root or no CLONE_NEWNET: skipped\n"); \
			skip();                                                  \
		}                                                                \
	} while (0)

/* Runs a command in this namespace and says whether its output contains needle. */
static bool
cmd_has(const char *cmd, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, needle) != NULL;
	pclose(f);
	return found;
}

static void
test_ifname_valid(void **state)
{
	(void)state;
	assert_true(rt_ifname_valid("TI-1"));
	assert_true(rt_ifname_valid("fifteen-chars-x"));
	assert_false(rt_ifname_valid("sixteen-chars-xx"));
	assert_false(rt_ifname_valid(""));
	assert_false(rt_ifname_valid("."));
	assert_false(rt_ifname_valid(".."));
	assert_false(rt_ifname_valid("a/b"));
	assert_false(rt_ifname_valid("a:b"));
	assert_false(rt_ifname_valid("a b"));
}

static void
test_link_lo(void **state)
{
	struct rt_sock *s = *state;
	unsigned idx = 0, flags = 0;
	uint32_t mtu = 0;

	NEED_NETNS();
	assert_int_equal(rt_link_index(s, "lo", &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(rt_link_set_up(s, idx, true), 0);
	assert_int_equal(rt_link_get(s, idx, &flags, &mtu), 0);
	assert_true(flags & IFF_UP);
	assert_int_equal(rt_link_index(s, "nosuchlink", &idx), -ENODEV);
	assert_int_equal(rt_link_index(s, "sixteen-chars-xx", &idx), -EINVAL);
	assert_int_equal(rt_link_set_up(s, 99999, true), -ENODEV);
}

static void
test_tun_lifetime(void **state)
{
	struct rt_sock *s = *state;
	unsigned idx = 0;
	int fd = -1, fd2 = -1, fd3 = -1;

	NEED_NETNS();
	assert_int_equal(rt_tun_open("tdmt0", 0, &fd), 0);
	assert_int_equal(rt_link_index(s, "tdmt0", &idx), 0);
	/* a second open of a single-queue device in use is refused */
	assert_int_equal(rt_tun_open("tdmt0", 0, &fd2), -EBUSY);
	close(fd);
	/* not persistent: the device goes with its descriptor */
	assert_int_equal(rt_link_index(s, "tdmt0", &idx), -ENODEV);
	/* multi-queue: each open adds a queue; the device lives while any is open */
	assert_int_equal(rt_tun_open("tdmmq", RT_TUN_MULTI_QUEUE, &fd), 0);
	assert_int_equal(rt_tun_open("tdmmq", RT_TUN_MULTI_QUEUE, &fd2), 0);
	close(fd);
	assert_int_equal(rt_link_index(s, "tdmmq", &idx), 0);
	close(fd2);
	assert_int_equal(rt_link_index(s, "tdmmq", &idx), -ENODEV);
	assert_int_equal(rt_tun_open("tdmvh", RT_TUN_VNET_HDR, &fd3), 0);
	assert_int_equal(rt_link_disable_ipv6("tdmvh"), 0);
	assert_true(cmd_has("cat /proc/sys/net/ipv6/conf/tdmvh/disable_ipv6", "1"));
	assert_int_equal(rt_link_disable_ipv6("nosuchlink"), -ENOENT);
	close(fd3);
}

/* Metrics (as bits, < 32) of the main-table routes to dst/24 through ifindex. */
struct dump_find {
	uint8_t dst[4];
	unsigned ifindex;
	uint32_t metrics;
};

static void
dump_find_cb(void *arg, const struct rt_route *r)
{
	struct dump_find *f = arg;

	if (r->family == AF_INET && r->table == 0 && r->dst_len == 24 &&
	    memcmp(r->dst, f->dst, 4) == 0 && r->ifindex == f->ifindex && r->metric < 32)
		f->metrics |= 1u << r->metric;
}

static void
test_addr_route(void **state)
{
	struct rt_sock *s = *state;
	struct rt_prefix a4 = {.family = AF_INET, .addr = {169, 254, 1, 1}, .len = 30};
	struct rt_prefix a6 = {
	        .family = AF_INET6, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, .len = 64};
	struct rt_route r = {.family = AF_INET, .dst = {10, 2, 0, 0}, .dst_len = 24, .metric = 5};
	unsigned idx = 0, flags = 0;
	uint32_t mtu = 0;
	int fd = -1;

	NEED_NETNS();
	assert_int_equal(rt_tun_open("tdmr0", 0, &fd), 0);
	assert_int_equal(rt_link_index(s, "tdmr0", &idx), 0);
	assert_int_equal(rt_link_set_mtu(s, idx, 1400), 0);
	assert_int_equal(rt_link_get(s, idx, &flags, &mtu), 0);
	assert_int_equal(mtu, 1400);
	assert_int_equal(rt_addr_add(s, idx, &a4), 0);
	assert_int_equal(rt_addr_add(s, idx, &a4), -EEXIST);
	assert_int_equal(rt_link_set_up(s, idx, true), 0);
	assert_int_equal(rt_addr_add(s, idx, &a6), 0);
	assert_true(cmd_has("ip -6 addr show dev tdmr0", "2001:db8::1/64"));

	r.ifindex = idx;
	assert_int_equal(rt_route_add(s, &r), 0);
	assert_int_equal(rt_route_add(s, &r), -EEXIST);
	assert_int_equal(rt_route_replace(s, &r), 0);
	r.metric = 10; /* the same prefix at another cost is another route */
	assert_int_equal(rt_route_add(s, &r), 0);
	assert_true(cmd_has("ip -4 route show 10.2.0.0/24", "metric 5"));
	assert_true(cmd_has("ip -4 route show 10.2.0.0/24", "metric 10"));
	/* the dump sees both, by metric and device */
	struct dump_find f = {.dst = {10, 2, 0, 0}, .ifindex = idx};
	assert_int_equal(rt_route_dump(s, AF_INET, dump_find_cb, &f), 0);
	assert_int_equal(f.metrics, (1u << 5) | (1u << 10));
	assert_int_equal(rt_route_dump(s, AF_INET6, dump_find_cb, &f), 0);
	assert_int_equal(rt_route_del(s, &r), 0);
	assert_int_equal(rt_route_del(s, &r), -ESRCH);
	assert_false(cmd_has("ip -4 route show 10.2.0.0/24", "metric 10"));
	f.metrics = 0;
	assert_int_equal(rt_route_dump(s, AF_INET, dump_find_cb, &f), 0);
	assert_int_equal(f.metrics, 1u << 5);
	/* a TUN device has no hardware address; loopback's is 6 zero bytes */
	uint8_t mac[6];
	assert_int_equal(rt_link_hwaddr(s, idx, mac), -EAFNOSUPPORT);
	assert_int_equal(rt_link_hwaddr(s, 1, mac), 0);
	/* setting the link down withdraws its routes (what a hung engine's tunnels rely on) */
	assert_true(cmd_has("ip -4 route show 10.2.0.0/24", "metric 5"));
	assert_int_equal(rt_link_set_up(s, idx, false), 0);
	assert_false(cmd_has("ip -4 route show 10.2.0.0/24", "metric 5"));
	assert_int_equal(rt_addr_del(s, idx, &a4), 0);
	assert_int_equal(rt_addr_del(s, idx, &a4), -EADDRNOTAVAIL);
	/* a leased address: renewing it is no error, and the kernel drops it when it runs out */
	assert_int_equal(rt_addr_lease(s, idx, &a4, 1), 0);
	assert_int_equal(rt_addr_lease(s, idx, &a4, 1), 0);
	assert_true(cmd_has("ip -4 addr show dev tdmr0", "valid_lft 1sec"));
	usleep(2500 * 1000);
	assert_false(cmd_has("ip -4 addr show dev tdmr0", "169.254.1.1/30"));
	/* a route via a gateway */
	assert_int_equal(rt_link_set_up(s, idx, true), 0);
	assert_int_equal(rt_addr_add(s, idx, &a4), 0);
	r.ifindex = 0;
	r.has_gw = true;
	memcpy(r.gw, (uint8_t[]){169, 254, 1, 2}, 4);
	r.metric = 3;
	assert_int_equal(rt_route_replace(s, &r), 0);
	assert_true(cmd_has("ip -4 route show 10.2.0.0/24", "via 169.254.1.2 dev tdmr0"));
	r.ifindex = idx;
	r.table = 1000;
	assert_int_equal(rt_route_add(s, &r), 0);
	assert_true(cmd_has("ip -4 route show table 1000", "10.2.0.0/24 via 169.254.1.2"));
	close(fd);
	assert_false(cmd_has("ip -4 route show", "tdmr0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ifname_valid),
	        cmocka_unit_test_setup_teardown(test_link_lo, open_sock, close_sock),
	        cmocka_unit_test_setup_teardown(test_tun_lifetime, open_sock, close_sock),
	        cmocka_unit_test_setup_teardown(test_addr_route, open_sock, close_sock),
	};

	return cmocka_run_group_tests_name("rt", tests, group_setup, NULL);
}
