/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for tandem-engine that speaks proto/engine.proto on descriptor 3, for the
 * supervisor's unit tests. It logs what it receives (one line per message, with checks of
 * the descriptors it was given) to $FAKE_ENGINE_LOG, sends Ready, Acks and Heartbeats, forwards
 * IKE datagrams from attached sockets, answers QueryStats, and obeys text commands on the
 * Unix datagram socket $FAKE_ENGINE_CTL: "lease SPI USED LIMIT", "replay SPI HIGHEST",
 * "lifetime SPI IN HARD BYTES", "garbage", "hb off", "hb on", "exit CODE".
 * $FAKE_ENGINE_EXIT_AT_START=N makes it exit with N at once; $FAKE_ENGINE_NO_READY keeps it
 * from sending Ready.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine.pb-c.h"

#define CHAN      3
#define MAX_SOCKS 8
#define MAX_SAS   64

typedef Tandem__Engine__V1__FromEngine from_t;
typedef Tandem__Engine__V1__ToEngine to_t;

struct fake_sa {
	uint32_t spi;
	bool inbound;
	uint64_t seq, lease;
};

static FILE *logf_;
static int socks[MAX_SOCKS], nsocks;
static struct fake_sa sas[MAX_SAS];
static int nsas;
static uint32_t hb_ms = 20;
static bool hb_on = true;
static uint64_t hb_seq;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	if (!logf_)
		return;
	fprintf(logf_, "%" PRIu64 " %d ", now_ms(), (int)getpid());
	va_start(ap, fmt);
	vfprintf(logf_, fmt, ap);
	va_end(ap);
	fputc('\n', logf_);
	fflush(logf_);
}

static void
send_from(from_t *m)
{
	uint8_t buf[65536];
	size_t n;

	m->has_version = 1;
	m->version = 1;
	n = tandem__engine__v1__from_engine__get_packed_size(m);
	if (n > sizeof(buf))
		return;
	tandem__engine__v1__from_engine__pack(m, buf);
	(void)send(CHAN, buf, n, MSG_NOSIGNAL);
}

static void
send_ack(uint64_t req, int err)
{
	Tandem__Engine__V1__Ack a;
	from_t m;

	if (!req)
		return;
	tandem__engine__v1__ack__init(&a);
	a.has_error = 1;
	a.error = err;
	tandem__engine__v1__from_engine__init(&m);
	m.has_req = 1;
	m.req = req;
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_ACK;
	m.ack = &a;
	send_from(&m);
}

static void
send_heartbeat(void)
{
	Tandem__Engine__V1__Heartbeat h;
	from_t m;

	tandem__engine__v1__heartbeat__init(&h);
	h.has_seq = 1;
	h.seq = ++hb_seq;
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_HEARTBEAT;
	m.heartbeat = &h;
	send_from(&m);
}

static void
send_ready(void)
{
	Tandem__Engine__V1__Ready r;
	from_t m;

	tandem__engine__v1__ready__init(&r);
	r.has_pid = 1;
	r.pid = (uint32_t)getpid();
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_READY;
	m.ready = &r;
	send_from(&m);
}

static void
send_stats(void)
{
	Tandem__Engine__V1__SaStats s[MAX_SAS], *sp[MAX_SAS];
	Tandem__Engine__V1__DropCount d, *dp = &d;
	Tandem__Engine__V1__Stats st;
	from_t m;

	for (int i = 0; i < nsas; i++) {
		tandem__engine__v1__sa_stats__init(&s[i]);
		s[i].has_spi = s[i].has_inbound = s[i].has_packets = s[i].has_lease_limit = 1;
		s[i].spi = sas[i].spi;
		s[i].inbound = sas[i].inbound;
		s[i].packets = 7;
		s[i].lease_limit = sas[i].lease;
		sp[i] = &s[i];
	}
	tandem__engine__v1__drop_count__init(&d);
	d.reason = (char *)(uintptr_t) "auth_failed";
	d.has_count = 1;
	d.count = 2;
	tandem__engine__v1__stats__init(&st);
	st.n_sa = (size_t)nsas;
	st.sa = sp;
	st.n_drops = 1;
	st.drops = &dp;
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_STATS;
	m.stats = &st;
	send_from(&m);
}

static const char *
addr_str(const ProtobufCBinaryData *a, char *out, size_t cap)
{
	if (a->len == 4)
		inet_ntop(AF_INET, a->data, out, (socklen_t)cap);
	else if (a->len == 16)
		inet_ntop(AF_INET6, a->data, out, (socklen_t)cap);
	else
		snprintf(out, cap, "?");
	return out;
}

static void
on_attach_socket(const Tandem__Engine__V1__AttachSocket *as, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[64], b[64] = "?";
	bool ok = false;

	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, b, sizeof(b));
		ok = as->local_addr.len == 4 &&
		     memcmp(as->local_addr.data, &s4->sin_addr, 4) == 0 &&
		     ntohs(s4->sin_port) == as->local_port;
	}
	note("attach_socket addr=%s:%u fd=%s bound=%s", addr_str(&as->local_addr, a, sizeof(a)),
	     as->local_port, ok ? "ok" : "bad", b);
	if (fd >= 0 && nsocks < MAX_SOCKS)
		socks[nsocks++] = fd;
}

static void
on_attach_tun(const Tandem__Engine__V1__AttachTun *at, int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (fd < 0 || ioctl(fd, TUNGETIFF, &ifr) != 0)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "?");
	note("attach_tun tunnel=%s ifname=%s mtu=%u dev=%s vnet=%d mq=%d", at->tunnel, at->ifname,
	     at->mtu, ifr.ifr_name, at->vnet_hdr, (ifr.ifr_flags & IFF_MULTI_QUEUE) != 0);
	/* keep the descriptor: the device lives while we do */
}

static void
on_install(const Tandem__Engine__V1__SaParams *sp)
{
	char l[64], r[64];
	int i;

	note("install spi=%08x in=%d seq_start=%" PRIu64 " lease=%" PRIu64
	     " encr=%u keylen=%zu ifname=%s tunnel=%s ts=%zu/%zu udp=%d %s:%u->%s:%u",
	     sp->spi, sp->inbound, sp->seq_start, sp->lease_limit, sp->encr, sp->enc_key.len,
	     sp->ifname, sp->tunnel, sp->n_ts_local, sp->n_ts_remote, sp->udp_encap,
	     addr_str(&sp->local_addr, l, sizeof(l)), sp->local_port,
	     addr_str(&sp->remote_addr, r, sizeof(r)), sp->remote_port);
	for (i = 0; i < nsas; i++)
		if (sas[i].spi == sp->spi && sas[i].inbound == sp->inbound)
			break;
	if (i == nsas && nsas < MAX_SAS)
		nsas++;
	if (i < MAX_SAS) {
		sas[i].spi = sp->spi;
		sas[i].inbound = sp->inbound;
		sas[i].seq = sp->seq_start;
		sas[i].lease = sp->lease_limit;
	}
}

/* One message from tandemd (with at most one descriptor). */
static int
on_channel(const uint8_t *p, size_t n, int fd)
{
	to_t *m = tandem__engine__v1__to_engine__unpack(NULL, n, p);
	int err = 0;

	if (!m) {
		note("undecodable");
		return 1;
	}
	switch (m->msg_case) {
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_HELLO:
		hb_ms = m->hello->heartbeat_ms ? m->hello->heartbeat_ms : 20;
		note("hello group=%s hb=%u refill=%u rre=%u workers=%u", m->hello->group, hb_ms,
		     m->hello->lease_refill_pct, m->hello->replay_report_every, m->hello->workers);
		if (!getenv("FAKE_ENGINE_NO_READY"))
			send_ready();
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_SOCKET:
		on_attach_socket(m->attach_socket, fd);
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_ATTACH_TUN:
		on_attach_tun(m->attach_tun, fd);
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_INSTALL_SA:
		on_install(m->install_sa->sa);
		if (getenv("FAKE_ENGINE_ACK_ERRNO"))
			err = atoi(getenv("FAKE_ENGINE_ACK_ERRNO"));
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_DELETE_SA:
		note("delete spi=%08x in=%d", m->delete_sa->spi, m->delete_sa->inbound);
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_GRANT_LEASE:
		note("grant spi=%08x limit=%" PRIu64, m->grant_lease->spi, m->grant_lease->limit);
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_DETACH_TUN:
		note("detach tunnel=%s", m->detach_tun->tunnel);
		break;
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_SHUTDOWN:
		note("shutdown");
		tandem__engine__v1__to_engine__free_unpacked(m, NULL);
		exit(0);
	case TANDEM__ENGINE__V1__TO_ENGINE__MSG_QUERY_STATS:
		send_stats();
		break;
	default:
		note("unknown message");
		break;
	}
	send_ack(m->req, err);
	tandem__engine__v1__to_engine__free_unpacked(m, NULL);
	return 0;
}

static void
read_channel(void)
{
	static uint8_t buf[65536];
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {
	        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(CHAN, &mh, MSG_CMSG_CLOEXEC);
	int fd = -1;

	if (n <= 0) {
		note("eof");
		exit(0);
	}
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	(void)on_channel(buf, (size_t)n, fd);
}

static void
forward_socket(int fd)
{
	uint8_t buf[65536];
	struct sockaddr_in src, dst;
	socklen_t sl = sizeof(src), dl = sizeof(dst);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src, &sl);
	Tandem__Engine__V1__IkePacket ip;
	from_t m;

	if (n <= 0)
		return;
	if (n < 5 || memcmp(buf, "\0\0\0\0", 4) != 0) {
		note("esp len=%zd", n);
		return;
	}
	getsockname(fd, (struct sockaddr *)&dst, &dl);
	tandem__engine__v1__ike_packet__init(&ip);
	ip.has_src_addr = ip.has_src_port = ip.has_dst_addr = ip.has_dst_port = ip.has_data = 1;
	ip.src_addr.data = (uint8_t *)&src.sin_addr;
	ip.src_addr.len = 4;
	ip.src_port = ntohs(src.sin_port);
	ip.dst_addr.data = (uint8_t *)&dst.sin_addr;
	ip.dst_addr.len = 4;
	ip.dst_port = ntohs(dst.sin_port);
	ip.data.data = buf + 4;
	ip.data.len = (size_t)n - 4;
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_IKE_PACKET;
	m.ike_packet = &ip;
	note("ike forwarded len=%zd", n - 4);
	send_from(&m);
}

static void
send_lease(uint32_t spi, uint64_t used, uint64_t limit)
{
	Tandem__Engine__V1__LeaseRequest lr;
	from_t m;

	tandem__engine__v1__lease_request__init(&lr);
	lr.has_spi = lr.has_used = lr.has_limit = 1;
	lr.spi = spi;
	lr.used = used;
	lr.limit = limit;
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LEASE_REQUEST;
	m.lease_request = &lr;
	send_from(&m);
}

static void
send_replay(uint32_t spi, uint64_t highest)
{
	Tandem__Engine__V1__ReplayReport rr;
	from_t m;

	tandem__engine__v1__replay_report__init(&rr);
	rr.has_spi = rr.has_highest = 1;
	rr.spi = spi;
	rr.highest = highest;
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_REPLAY_REPORT;
	m.replay_report = &rr;
	send_from(&m);
}

static void
send_lifetime(uint32_t spi, int in, int hard, uint64_t bytes)
{
	Tandem__Engine__V1__LifetimeEvent le;
	from_t m;

	tandem__engine__v1__lifetime_event__init(&le);
	le.has_spi = le.has_inbound = le.has_hard = le.has_bytes = 1;
	le.spi = spi;
	le.inbound = in;
	le.hard = hard;
	le.bytes = bytes;
	tandem__engine__v1__from_engine__init(&m);
	m.msg_case = TANDEM__ENGINE__V1__FROM_ENGINE__MSG_LIFETIME;
	m.lifetime = &le;
	send_from(&m);
}

static void
on_command(int fd)
{
	char cmd[256];
	unsigned long long a = 0, b = 0, c = 0, d = 0;
	ssize_t n = recv(fd, cmd, sizeof(cmd) - 1, 0);

	if (n <= 0)
		return;
	cmd[n] = '\0';
	note("command %s", cmd);
	if (sscanf(cmd, "lease %llu %llu %llu", &a, &b, &c) == 3)
		send_lease((uint32_t)a, b, c);
	else if (sscanf(cmd, "replay %llu %llu", &a, &b) == 2)
		send_replay((uint32_t)a, b);
	else if (sscanf(cmd, "lifetime %llu %llu %llu %llu", &a, &b, &c, &d) == 4)
		send_lifetime((uint32_t)a, (int)b, (int)c, d);
	else if (strcmp(cmd, "garbage") == 0)
		(void)send(CHAN, "\xff\xff\xff\xff", 4, MSG_NOSIGNAL);
	else if (strcmp(cmd, "hb off") == 0)
		hb_on = false;
	else if (strcmp(cmd, "hb on") == 0)
		hb_on = true;
	else if (sscanf(cmd, "exit %llu", &a) == 1)
		exit((int)a);
}

/* Descriptors beyond 0-2 and the channel: there should be none (close-on-exec). */
static int
extra_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd > CHAN && fd != dirfd(d))
			n++;
	}
	closedir(d);
	return n;
}

static int
open_ctl(void)
{
	const char *path = getenv("FAKE_ENGINE_CTL");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (!path || strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(void)
{
	const char *logpath = getenv("FAKE_ENGINE_LOG");
	uint64_t next_hb = now_ms() + 20;
	bool chan_ok = fcntl(CHAN, F_GETFD) >= 0;
	int extra = extra_fds(), ctl;

	if (logpath)
		logf_ = fopen(logpath, "ae");
	note("start fd3=%s extra_fds=%d", chan_ok ? "ok" : "bad", extra);
	if (getenv("FAKE_ENGINE_EXIT_AT_START"))
		return atoi(getenv("FAKE_ENGINE_EXIT_AT_START"));
	ctl = open_ctl();
	for (;;) {
		struct pollfd p[2 + MAX_SOCKS];
		uint64_t now = now_ms();
		int np = 0, timeout = next_hb > now ? (int)(next_hb - now) : 0;

		p[np++] = (struct pollfd){.fd = CHAN, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = ctl, .events = POLLIN};
		for (int i = 0; i < nsocks; i++)
			p[np++] = (struct pollfd){.fd = socks[i], .events = POLLIN};
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return 2;
		if (p[0].revents)
			read_channel();
		if (p[1].revents & POLLIN)
			on_command(ctl);
		for (int i = 0; i < nsocks; i++)
			if (p[2 + i].revents & POLLIN)
				forward_socket(socks[i]);
		if (now_ms() >= next_hb) {
			if (hb_on)
				send_heartbeat();
			next_hb = now_ms() + hb_ms;
		}
	}
}
