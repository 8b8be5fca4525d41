/* SPDX-License-Identifier: MIT */
/* tandemd's side of the engine channel for tests, and their network plumbing. */
#include "engine_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
eh_spawn(struct eh_engine *e, const char *path, const char *const *extra)
{
	int sv[2];
	pid_t pid;

	memset(e, 0, sizeof(*e));
	e->next_req = 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		const char *argv[16] = {path, "--log-level", "debug"};
		int n = 3;

		for (int i = 0; extra && extra[i] && n < 15; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		execv(path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(sv[1]);
	e->pid = pid;
	e->chan = sv[0];
	return 0;
}

int
eh_stop(struct eh_engine *e, bool kill_it)
{
	int st = 0;

	if (e->pid <= 0)
		return -1;
	if (kill_it)
		kill(e->pid, SIGKILL);
	waitpid(e->pid, &st, 0);
	e->pid = 0;
	close(e->chan);
	e->chan = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

uint64_t
eh_send(struct eh_engine *e, struct engine_to *m, int fd)
{
	static uint8_t buf[ENGINE_MSG_MAX];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	size_t len = 0;

	if (m->req == 0)
		m->req = e->next_req++;
	if (engine_to_encode(m, buf, sizeof(buf), &len) < 0)
		return 0;
	iov.iov_base = buf;
	iov.iov_len = len;
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(e->chan, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	return m->req;
}

int
eh_wait(struct eh_engine *e, enum engine_from_type t, uint64_t req, int timeout_ms,
        struct engine_from *out)
{
	static uint8_t buf[ENGINE_MSG_MAX * 4];
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct pollfd pf = {e->chan, POLLIN, 0};
		uint64_t now = now_ms();
		struct engine_from m;
		ssize_t n;

		if (now >= end)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)(end - now)) <= 0)
			continue;
		n = recv(e->chan, buf, sizeof(buf), 0);
		if (n <= 0)
			return -EPIPE;
		if (engine_from_decode(buf, (size_t)n, &m) < 0)
			return -EBADMSG;
		if (m.type == ENGINE_FROM_HEARTBEAT) {
			e->heartbeats++;
			e->last_hb_seq = m.u.hb.seq;
		}
		if ((t == ENGINE_FROM_NONE || m.type == t) && (req == 0 || m.req == req)) {
			if (out)
				*out = m;
			else
				engine_from_clear(&m);
			return 0;
		}
		engine_from_clear(&m);
	}
}

int
eh_request(struct eh_engine *e, struct engine_to *m, int fd)
{
	struct engine_from a;
	uint64_t req = eh_send(e, m, fd);
	int rc;

	if (req == 0)
		return -EIO;
	rc = eh_wait(e, ENGINE_FROM_ACK, req, 3000, &a);
	if (rc < 0)
		return rc;
	rc = a.u.ack.error;
	engine_from_clear(&a);
	return rc;
}

int
eh_hello(struct eh_engine *e, uint32_t hb_ms, uint32_t refill, uint32_t report, uint32_t workers)
{
	struct engine_to m = {.type = ENGINE_TO_HELLO};
	struct engine_from r;
	uint64_t req;
	int rc;

	snprintf(m.u.hello.group, sizeof(m.u.hello.group), "test");
	m.u.hello.heartbeat_ms = hb_ms;
	m.u.hello.lease_refill_pct = refill;
	m.u.hello.replay_report_every = report;
	m.u.hello.workers = workers;
	req = eh_send(e, &m, -1);
	rc = eh_wait(e, ENGINE_FROM_READY, req, 3000, &r);
	if (rc < 0)
		return rc;
	rc = (int)r.u.ready.workers;
	engine_from_clear(&r);
	return rc;
}

bool
eh_can_tun(void)
{
	return geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0;
}

static int
if_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) == 0 ? 0 : -errno;
}

int
eh_netns(void)
{
	int s, rc;

	if (unshare(CLONE_NEWNET) != 0)
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -errno;
	rc = if_up(s, "lo");
	close(s);
	return rc;
}

static int
if_addr(int s, const char *name, const char *addr, unsigned prefix, unsigned mtu)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
		return -errno;
	sin->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
		return -errno;
	ifr.ifr_mtu = (int)mtu;
	if (mtu && ioctl(s, SIOCSIFMTU, &ifr) != 0)
		return -errno;
	return if_up(s, name);
}

int
eh_tun(const char *name, const char *addr, unsigned prefix, unsigned mtu, bool vnet)
{
	return eh_tun_mq(name, addr, prefix, mtu, vnet, false);
}

int
eh_tun_mq(const char *name, const char *addr, unsigned prefix, unsigned mtu, bool vnet, bool mq)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), s, rc;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) |
	                        (mq ? IFF_MULTI_QUEUE : 0));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	rc = s < 0 ? -errno : if_addr(s, name, addr, prefix, mtu);
	if (s >= 0)
		close(s);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
eh_udp(int family, const char *addr, uint16_t port, uint16_t *port_out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s->sin_addr);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		sl = sizeof(*s);
	}
	rc = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &rc, sizeof(rc));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (port_out)
		*port_out = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}
