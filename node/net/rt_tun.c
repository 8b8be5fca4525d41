/* SPDX-License-Identifier: MIT */
/* TUN device creation (TUNSETIFF on /dev/net/tun), interface names, IPv6 off on a link. */
#include "rt_tun.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

bool
rt_ifname_valid(const char *name)
{
	size_t n = strnlen(name, IFNAMSIZ);

	if (n == 0 || n >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return false;
	return true;
}

int
rt_tun_open(const char *name, unsigned flags, int *fd)
{
	struct ifreq ifr;
	int tfd, rc;

	if (!rt_ifname_valid(name))
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (flags & RT_TUN_MULTI_QUEUE)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (flags & RT_TUN_VNET_HDR)
		ifr.ifr_flags |= IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	tfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	if (ioctl(tfd, TUNSETIFF, &ifr) != 0) {
		rc = -errno;
		close(tfd);
		return rc;
	}
	*fd = tfd;
	return 0;
}

int
rt_link_disable_ipv6(const char *name)
{
	char path[96];
	int fd, rc = 0;

	if (!rt_ifname_valid(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		rc = -errno;
	close(fd);
	return rc;
}
