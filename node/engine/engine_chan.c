/* SPDX-License-Identifier: MIT */
/*
 * The channel to tandemd: a SOCK_SEQPACKET socket, one protobuf message per datagram, file
 * descriptors as SCM_RIGHTS (docs/engine.md). Reading happens on the main thread; any
 * thread may send (a datagram is sent whole or not at all). tandemd closing the channel
 * stops the engine: it must never outlive its supervisor.
 */
#define LOG_SUBSYS "engine"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/log.h"
#include "node/engine/engine_int.h"

#define CHAN_SEND_WAIT_MS 100 /* a full channel: wait this long once before giving up */

/* The file descriptor passed with a message, if any (extra ones are closed). */
static int
chan_fd_of(struct msghdr *mh)
{
	int fd = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = f;
			else
				close(f);
		}
	}
	return fd;
}

static void
chan_message(struct engine *e, const uint8_t *p, size_t len, int fd)
{
	struct engine_to m;
	int rc = engine_to_decode(p, len, &m);

	if (rc < 0) {
		log_warnx("channel: undecodable message (%s)", strerror(-rc));
		if (fd >= 0)
			close(fd);
		engine_chan_ack(e, m.req, -rc, "undecodable message");
		return;
	}
	engine_ctl_handle(e, &m, fd); /* takes fd */
	engine_to_clear(&m);
}

/* Returns false when the channel is gone. */
static bool
chan_read_one(struct engine *e, uint8_t *buf)
{
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = {buf, ENGINE_MSG_MAX};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.b,
	                    .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(e->chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int fd;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		log_info("channel closed by tandemd: stopping");
		return false;
	}
	fd = chan_fd_of(&mh);
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		log_warnx("channel: truncated message dropped");
		if (fd >= 0)
			close(fd);
		return true;
	}
	chan_message(e, buf, (size_t)n, fd);
	return true;
}

static void
chan_readable(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[ENGINE_MSG_MAX];
	struct engine *e = arg;

	(void)fd;
	(void)what;
	/* a few messages per wakeup, so the packet path on this thread keeps its turn */
	for (int i = 0; i < 32 && !e->stopping; i++) {
		int avail = 0;

		if (!chan_read_one(e, buf)) {
			e->stopping = true;
			event_base_loopbreak(e->base);
			return;
		}
		if (recv(e->chan, &avail, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			break;
	}
}

int
engine_chan_start(struct engine *e)
{
	int type = 0;
	socklen_t tl = sizeof(type);

	if (getsockopt(e->chan, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_SEQPACKET) {
		log_warnx("fd %d is not a SOCK_SEQPACKET socket (the channel from tandemd)",
		          e->chan);
		return -EBADF;
	}
	e->ev_chan = event_new(e->base, e->chan, EV_READ | EV_PERSIST, chan_readable, e);
	if (!e->ev_chan)
		return -ENOMEM;
	event_priority_set(e->ev_chan, ENGINE_PRIO_CTL);
	return event_add(e->ev_chan, NULL) == 0 ? 0 : -ENOMEM;
}

static int
chan_send_raw(struct engine *e, const uint8_t *p, size_t len)
{
	for (int tries = 0; tries < 2; tries++) {
		struct pollfd pf = {e->chan, POLLOUT, 0};

		if (send(e->chan, p, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		(void)poll(&pf, 1, CHAN_SEND_WAIT_MS);
	}
	return -EAGAIN;
}

int
engine_chan_send(struct engine *e, const struct engine_from *m)
{
	static _Thread_local uint8_t buf[ENGINE_MSG_MAX];
	uint8_t *heap = NULL, *out = buf;
	size_t cap = sizeof(buf), len = 0;
	int rc;

	if (m->type == ENGINE_FROM_STATS) {
		/* may exceed one datagram's worth of stack: a control-path allocation */
		cap = (size_t)ENGINE_MSG_MAX * 4u;
		heap = malloc(cap);
		if (!heap)
			return -ENOMEM;
		out = heap;
	}
	rc = engine_from_encode(m, out, cap, &len);
	if (rc == 0 && len > ENGINE_MSG_MAX)
		rc = -EMSGSIZE;
	if (rc == 0)
		rc = chan_send_raw(e, out, len);
	free(heap);
	return rc;
}

void
engine_chan_ack(struct engine *e, uint64_t req, int err, const char *msg)
{
	struct engine_from m = {.req = req, .type = ENGINE_FROM_ACK};
	int rc;

	if (req == 0)
		return;
	m.u.ack.error = err;
	if (msg)
		snprintf(m.u.ack.message, sizeof(m.u.ack.message), "%s", msg);
	rc = engine_chan_send(e, &m);
	if (rc < 0)
		log_warnx("channel: Ack %llu not sent: %s", (unsigned long long)req, strerror(-rc));
}
