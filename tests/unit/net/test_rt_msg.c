/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink messages without a socket: the reply parser on acks, errors with extended-ack
 * text, link answers, stale and foreign replies, malformed lengths and a truncation sweep;
 * the builders' argument checks and the attributes they write.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "node/net/rt_msg.h"

#define SEQ  4242u
#define PORT 777u

struct dgram {
	_Alignas(struct nlmsghdr) uint8_t b[4096];
	size_t len;
};

static struct nlmsghdr *
put_msg(struct dgram *d, uint16_t type, uint16_t flags, uint32_t seq, uint32_t port)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->b + d->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = port;
	return nlh;
}

static void
close_msg(struct dgram *d, struct nlmsghdr *nlh)
{
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

/* An NLMSG_ERROR with `error`, capped, optionally with an extended-ack message. */
static void
put_error(struct dgram *d, int error, const char *text, uint32_t seq)
{
	struct nlmsghdr *nlh =
	        put_msg(d, NLMSG_ERROR, NLM_F_CAPPED | (text ? NLM_F_ACK_TLVS : 0), seq, PORT);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr);
	e->msg.nlmsg_seq = seq;
	if (text)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	close_msg(d, nlh);
}

static void
put_link(struct dgram *d, int index, const char *name, uint32_t mtu)
{
	struct nlmsghdr *nlh = put_msg(d, RTM_NEWLINK, 0, SEQ, PORT);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	close_msg(d, nlh);
}

static void
test_ack(void **state)
{
	struct dgram d = {.len = 0};
	struct rt_reply r;

	(void)state;
	put_error(&d, 0, NULL, SEQ);
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 0);
	assert_true(r.done);
	assert_int_equal(r.error, 0);
	assert_false(r.have_link);
}

static void
test_error_with_text(void **state)
{
	struct dgram d = {.len = 0};
	struct rt_reply r;

	(void)state;
	put_error(&d, -EEXIST, "Route exists", SEQ);
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 0);
	assert_int_equal(r.error, -EEXIST);
	assert_string_equal(r.msg, "Route exists");
	/* some subsystems send a positive errno */
	d.len = 0;
	put_error(&d, ENODEV, NULL, SEQ);
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 0);
	assert_int_equal(r.error, -ENODEV);
}

static void
test_link_then_ack(void **state)
{
	struct dgram d = {.len = 0};
	struct rt_reply r;

	(void)state;
	put_link(&d, 7, "tdm0", 1400);
	rt_reply_init(&r);
	/* the link alone: the ack is still to come */
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 1);
	assert_true(r.have_link);
	assert_int_equal(r.ifindex, 7);
	assert_int_equal(r.mtu, 1400);
	assert_string_equal(r.ifname, "tdm0");
	assert_true(r.ifflags & IFF_UP);
	put_error(&d, 0, NULL, SEQ);
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 0);
	assert_true(r.have_link);
	assert_int_equal(r.nmsgs, 2);
}

static void
test_foreign(void **state)
{
	struct dgram d = {.len = 0};
	struct rt_reply r;

	(void)state;
	put_error(&d, 0, NULL, SEQ - 1);
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), -ESRCH);
	d.len = 0;
	put_error(&d, 0, NULL, SEQ);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT + 1, &r), -ESRCH);
	/* port 0: not checked */
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, 0, &r), 0);
}

static void
test_malformed(void **state)
{
	struct dgram d = {.len = 0};
	struct rt_reply r;
	struct nlmsghdr *nlh;

	(void)state;
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, 0, SEQ, PORT, &r), -EBADMSG);
	put_error(&d, 0, NULL, SEQ);
	nlh = (struct nlmsghdr *)d.b;
	/* a length libmnl's int comparison would accept */
	nlh->nlmsg_len = 0x80000010u;
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), -EBADMSG);
	/* an error message too short for struct nlmsgerr */
	nlh->nlmsg_len = sizeof(*nlh) + 4;
	assert_int_equal(rt_reply_parse(d.b, sizeof(*nlh) + 4, SEQ, PORT, &r), -EBADMSG);
	/* trailing garbage after a whole message */
	d.len = 0;
	put_error(&d, 0, NULL, SEQ);
	assert_int_equal(rt_reply_parse(d.b, d.len + 8, SEQ, PORT, &r), -EBADMSG);
	/* a link message with a name attribute that is not NUL-terminated */
	d.len = 0;
	put_link(&d, 3, "abcd", 1500);
	d.b[sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg) + 4 + 4] = 'x';
	rt_reply_init(&r);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), -EBADMSG);
}

/* Every prefix of a good datagram parses to a verdict without reading past it (ASan). */
static void
test_truncation_sweep(void **state)
{
	struct dgram d = {.len = 0};
	struct rt_reply r;

	(void)state;
	put_link(&d, 9, "wan0", 1500);
	put_error(&d, -EPERM, "Operation not permitted here", SEQ);
	for (size_t n = 0; n < d.len; n++) {
		struct dgram c;
		int rc;

		memcpy(c.b, d.b, n);
		rt_reply_init(&r);
		rc = rt_reply_parse(c.b, n, SEQ, PORT, &r);
		assert_true(rc == -EBADMSG || rc == 1 || rc == 0);
	}
	for (size_t i = 0; i < d.len * 8; i++) {
		struct dgram c = d;

		c.b[i / 8] ^= (uint8_t)(1u << (i % 8));
		rt_reply_init(&r);
		(void)rt_reply_parse(c.b, c.len, SEQ, PORT, &r);
	}
}

static void
test_builders(void **state)
{
	_Alignas(struct nlmsghdr) uint8_t buf[RT_MSG_MAX];
	struct rt_prefix p = {.family = AF_INET, .addr = {10, 0, 0, 1}, .len = 24};
	struct rt_route rt = {
	        .family = AF_INET, .dst = {10, 2}, .dst_len = 16, .ifindex = 5, .metric = 7};
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *a; /* non-const: mnl_attr_for_each casts it */
	bool saw_prio = false;

	(void)state;
	assert_int_equal(rt_msg_link_get_name(buf, 1, ""), 0);
	assert_int_equal(rt_msg_link_get_name(buf, 1, "sixteen-chars-xx"), 0);
	assert_true(rt_msg_link_get_name(buf, 1, "lo") > 0);
	assert_int_equal(nlh->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK), NLM_F_REQUEST | NLM_F_ACK);
	assert_true(rt_msg_addr(buf, 1, true, 3, &p) > 0);
	assert_true(nlh->nlmsg_flags & NLM_F_EXCL);
	/* a leased address: replaced (renewed), with both lifetimes set */
	assert_true(rt_msg_addr_lease(buf, 2, true, 3, &p, 3) > 0);
	assert_true(nlh->nlmsg_flags & NLM_F_REPLACE);
	assert_false(nlh->nlmsg_flags & NLM_F_EXCL);
	{
		const struct ifa_cacheinfo *ci = NULL;

		mnl_attr_for_each(a, nlh, sizeof(struct ifaddrmsg)) if (mnl_attr_get_type(a) ==
		                                                        IFA_CACHEINFO) ci =
		        mnl_attr_get_payload(a);
		assert_non_null(ci);
		assert_int_equal(ci->ifa_valid, 3);
		assert_int_equal(ci->ifa_prefered, 3);
	}
	assert_int_equal(rt_msg_addr_lease(buf, 2, false, 3, &p, 3), 0); /* no lease on a delete */
	p.len = 33;
	assert_int_equal(rt_msg_addr(buf, 1, true, 3, &p), 0);
	p.family = AF_UNIX;
	assert_int_equal(rt_msg_addr(buf, 1, true, 3, &p), 0);
	assert_int_equal(rt_msg_link_set(buf, 1, 0, true, true, 0), 0);
	rt.ifindex = 0;
	assert_int_equal(rt_msg_route(buf, 1, RT_ROUTE_ADD, &rt), 0);
	rt.ifindex = 5;
	assert_true(rt_msg_route(buf, 9, RT_ROUTE_REPLACE, &rt) > 0);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_true(nlh->nlmsg_flags & NLM_F_REPLACE);
	mnl_attr_for_each(a, nlh, sizeof(struct rtmsg))
	{
		if (mnl_attr_get_type(a) == RTA_PRIORITY) {
			assert_int_equal(mnl_attr_get_u32(a), 7);
			saw_prio = true;
		}
	}
	assert_true(saw_prio);
	assert_true(rt_msg_route(buf, 9, RT_ROUTE_DEL, &rt) > 0);
	assert_int_equal(nlh->nlmsg_type, RTM_DELROUTE);
}

/* ---- route dumps ---------------------------------------------------------------------- */

struct seen {
	struct rt_route r[8];
	unsigned n;
};

static void
collect(void *arg, const struct rt_route *r)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->r[s->n++] = *r;
}

static void
put_route(struct dgram *d, int family, uint8_t type, uint8_t table, const uint8_t *dst,
          uint8_t dst_len, uint32_t oif, uint32_t metric)
{
	struct nlmsghdr *nlh = put_msg(d, RTM_NEWROUTE, NLM_F_MULTI, SEQ, PORT);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = table;
	rtm->rtm_type = type;
	if (dst)
		mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, dst);
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	close_msg(d, nlh);
}

static void
test_route_dump(void **state)
{
	static const uint8_t p4[4] = {172, 168, 3, 0};
	static const uint8_t p6[16] = {0x20, 0x01, 0x0d, 0xb8};
	struct dgram d = {0};
	struct rt_reply r;
	struct seen s = {0};
	struct nlmsghdr *nlh;

	(void)state;
	put_route(&d, AF_INET, RTN_UNICAST, RT_TABLE_MAIN, p4, 24, 7, 5);
	put_route(&d, AF_INET, RTN_LOCAL, RT_TABLE_LOCAL, p4, 32, 7, 0); /* skipped */
	put_route(&d, AF_INET6, RTN_UNICAST, RT_TABLE_MAIN, p6, 32, 9, 10);
	put_route(&d, AF_INET, RTN_UNICAST, 100, NULL, 0, 3, 0); /* a default route, table 100 */
	rt_reply_init(&r);
	r.route_fn = collect;
	r.route_arg = &s;
	/* no NLMSG_DONE yet: more datagrams are needed */
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 1);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[0].family, AF_INET);
	assert_memory_equal(s.r[0].dst, p4, 4);
	assert_int_equal(s.r[0].dst_len, 24);
	assert_int_equal(s.r[0].ifindex, 7);
	assert_int_equal(s.r[0].metric, 5);
	assert_int_equal(s.r[0].table, 0); /* main */
	assert_int_equal(s.r[1].family, AF_INET6);
	assert_memory_equal(s.r[1].dst, p6, 16);
	assert_int_equal(s.r[1].metric, 10);
	assert_int_equal(s.r[2].dst_len, 0);
	assert_int_equal(s.r[2].table, 100);
	/* the end of the dump */
	memset(&d, 0, sizeof(d));
	nlh = put_msg(&d, NLMSG_DONE, NLM_F_MULTI, SEQ, PORT);
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	close_msg(&d, nlh);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 0);
	assert_int_equal(r.error, 0);
	/* without a callback routes are skipped, not an error */
	rt_reply_init(&r);
	memset(&d, 0, sizeof(d));
	put_route(&d, AF_INET, RTN_UNICAST, RT_TABLE_MAIN, p4, 24, 7, 5);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), 1);
}

static void
test_route_dump_malformed(void **state)
{
	static const uint8_t p4[4] = {10, 0, 0, 0};
	struct dgram d = {0};
	struct rt_reply r;
	struct seen s = {0};
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	(void)state;
	/* an IPv4 route whose RTA_DST has 16 bytes */
	nlh = put_msg(&d, RTM_NEWROUTE, NLM_F_MULTI, SEQ, PORT);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_dst_len = 8;
	mnl_attr_put(nlh, RTA_DST, 16, d.b); /* any 16 bytes */
	close_msg(&d, nlh);
	rt_reply_init(&r);
	r.route_fn = collect;
	r.route_arg = &s;
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), -EBADMSG);
	/* a prefix length beyond the family's */
	memset(&d, 0, sizeof(d));
	put_route(&d, AF_INET, RTN_UNICAST, RT_TABLE_MAIN, p4, 33, 1, 0);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), -EBADMSG);
	/* a short metric */
	memset(&d, 0, sizeof(d));
	nlh = put_msg(&d, RTM_NEWROUTE, NLM_F_MULTI, SEQ, PORT);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u16(nlh, RTA_PRIORITY, 5);
	close_msg(&d, nlh);
	assert_int_equal(rt_reply_parse(d.b, d.len, SEQ, PORT, &r), -EBADMSG);
	/* every truncation of a good route message is rejected or parsed, never overread */
	memset(&d, 0, sizeof(d));
	put_route(&d, AF_INET, RTN_UNICAST, RT_TABLE_MAIN, p4, 8, 1, 0);
	for (size_t n = 1; n < d.len; n++) {
		_Alignas(struct nlmsghdr) uint8_t cut[4096];

		memcpy(cut, d.b, n);
		rt_reply_init(&r);
		r.route_fn = collect;
		r.route_arg = &s;
		assert_true(rt_reply_parse(cut, n, SEQ, PORT, &r) < 0);
	}
	assert_int_equal(s.n, 0);
	assert_int_equal(rt_msg_route_dump(d.b, 1, AF_UNSPEC), 0);
	nlh = (struct nlmsghdr *)d.b;
	assert_true(rt_msg_route_dump(d.b, 1, AF_INET6) > 0);
	assert_int_equal(nlh->nlmsg_type, RTM_GETROUTE);
	assert_true(nlh->nlmsg_flags & NLM_F_DUMP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ack),
	        cmocka_unit_test(test_error_with_text),
	        cmocka_unit_test(test_link_then_ack),
	        cmocka_unit_test(test_foreign),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_truncation_sweep),
	        cmocka_unit_test(test_builders),
	        cmocka_unit_test(test_route_dump),
	        cmocka_unit_test(test_route_dump_malformed),
	};

	return cmocka_run_group_tests_name("rt_msg", tests, NULL, NULL);
}
