/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the rtnetlink reply parser: whatever a netlink socket hands tandemd.
 * The input is copied into an aligned buffer first, as a receive buffer is; it is parsed
 * with and without the sequence/port checks, and as a second datagram of one answer.
 */
#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "node/net/rt_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(struct nlmsghdr) uint8_t buf[65536];
	struct rt_reply r;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	rt_reply_init(&r);
	(void)rt_reply_parse(buf, size, 0, 0, &r);
	(void)rt_reply_parse(buf, size, 1, 0, &r);
	rt_reply_init(&r);
	(void)rt_reply_parse(buf, size, 4242, 777, &r);
	return 0;
}
