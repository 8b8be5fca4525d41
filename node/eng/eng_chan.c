/* SPDX-License-Identifier: MIT */
/*
 * The engine channel on tandemd's side: a SOCK_SEQPACKET socket, one protobuf message per
 * datagram. Sends go through a queue (a full socket buffer waits for EV_WRITE, never blocks
 * the loop) and carry at most one descriptor as SCM_RIGHTS. Receives are bounded per wakeup;
 * a truncated datagram, an unexpected descriptor or an undecodable message is a protocol
 * failure of the engine.
 */
#define LOG_SUBSYS "eng"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/core/log.h"
#include "node/eng/eng_int.h"

#define ENG_RX_BATCH 64 /* datagrams per wakeup, so one engine cannot starve the loop */

static void
eng_txmsg_free(struct eng_txmsg *m)
{
	if (m->close_fd && m->fd >= 0)
		close(m->fd);
	buf_fini(&m->b);
	free(m);
}

void
eng_chan_clear(struct eng_group *g)
{
	struct eng_txmsg *m;

	while ((m = TAILQ_FIRST(&g->txq))) {
		TAILQ_REMOVE(&g->txq, m, entry);
		eng_txmsg_free(m);
	}
	if (g->ev_write)
		event_del(g->ev_write);
}

static ssize_t
eng_chan_sendmsg(int chan, const struct eng_txmsg *m)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = m->b.b_data, .iov_len = m->b.b_len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (m->fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &m->fd, sizeof(int));
	}
	return sendmsg(chan, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int
eng_chan_flush(struct eng_group *g)
{
	struct eng_txmsg *m;

	while ((m = TAILQ_FIRST(&g->txq))) {
		ssize_t n = g->chan >= 0 ? eng_chan_sendmsg(g->chan, m) : -1;

		if (n < 0 && g->chan >= 0 && (errno == EAGAIN || errno == EINTR)) {
			event_add(g->ev_write, NULL);
			return 0;
		}
		if (n < 0)
			return g->chan >= 0 ? -errno : -ENOTCONN;
		TAILQ_REMOVE(&g->txq, m, entry);
		eng_txmsg_free(m);
	}
	event_del(g->ev_write);
	return 0;
}

int
eng_chan_send(struct eng_group *g, struct buf *b, int fd, bool close_fd)
{
	struct eng_txmsg *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		if (close_fd && fd >= 0)
			close(fd);
		buf_fini(b);
		return -ENOMEM;
	}
	m->b = *b; /* takes the contents; b is left empty */
	buf_init(b, b->b_secret);
	m->fd = fd;
	m->close_fd = close_fd;
	TAILQ_INSERT_TAIL(&g->txq, m, entry);
	rc = eng_chan_flush(g);
	if (rc < 0)
		log_warnx("engine %s: channel send failed: %s", g->name, strerror(-rc));
	return rc;
}

void
eng_chan_writable(evutil_socket_t fd, short what, void *arg)
{
	struct eng_group *g = arg;

	(void)fd;
	(void)what;
	if (eng_chan_flush(g) < 0)
		eng_group_down(g, ENG_DOWN_EXITED);
}

/* Closes descriptors an engine sent us: nothing in the protocol goes that way. */
static bool
eng_chan_drop_fds(struct msghdr *mh)
{
	bool any = false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t off = 0; off + sizeof(int) <= c->cmsg_len - CMSG_LEN(0);
		     off += sizeof(int)) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + off, sizeof(fd));
			close(fd);
			any = true;
		}
	}
	return any;
}

/* One datagram: 1 handled, 0 nothing left, -1 the engine is gone or broke the protocol. */
static int
eng_chan_read_one(struct eng_group *g)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = g->sup->rx, .iov_len = sizeof(g->sup->rx)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = u.buf,
	                    .msg_controllen = sizeof(u)};
	struct eng_msg m;
	ssize_t n = recvmsg(g->chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		if (n < 0)
			log_warn("engine %s: channel", g->name);
		eng_group_down(g, ENG_DOWN_EXITED);
		return -1;
	}
	if (eng_chan_drop_fds(&mh) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		log_warnx("engine %s: sent a truncated datagram or descriptors", g->name);
		eng_group_down(g, ENG_DOWN_PROTOCOL);
		return -1;
	}
	rc = eng_codec_decode(g->sup->rx, (size_t)n, &m);
	if (rc < 0) {
		log_warnx("engine %s: undecodable message (%zd bytes): %s", g->name, n,
		          strerror(-rc));
		eng_group_down(g, ENG_DOWN_PROTOCOL);
		return -1;
	}
	eng_group_dispatch(g, &m);
	eng_msg_fini(&m);
	return 1;
}

void
eng_chan_drain(struct eng_group *g)
{
	/* a handler may have taken the engine down: the channel is gone then */
	while (g->chan >= 0 && eng_chan_read_one(g) > 0)
		;
}

void
eng_chan_readable(evutil_socket_t fd, short what, void *arg)
{
	struct eng_group *g = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < ENG_RX_BATCH; i++) {
		/* a handler may have taken the engine down: the channel is gone then */
		if (g->chan < 0 || eng_chan_read_one(g) <= 0)
			return;
	}
}
