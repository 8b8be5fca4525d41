/* SPDX-License-Identifier: MIT */
/*
 * Control socket server: listener, per-client buffered connections with idle timeouts and a
 * client cap, frame reassembly, dispatch to the handler.
 */
#define LOG_SUBSYS "ctl"
#include "ctl_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "node/core/log.h"

#define CTL_MAX_CLIENTS     64
#define CTL_IDLE_TIMEOUT_MS 60000
/*
 * A subscriber's events wait in a ring of CTL_MON_QUEUE; they go to the socket only while
 * less than CTL_MON_OUT_MAX bytes wait there. A client that does not keep up loses the oldest
 * (counted, and told in the next event's `dropped`): tandemd never blocks on it and never
 * holds more than about 55 KiB (the ring) + 32 KiB for it.
 */
#define CTL_MON_QUEUE   128
#define CTL_MON_OUT_MAX (32u * 1024u)

struct ctl_client {
	TAILQ_ENTRY(ctl_client) entry;
	struct ctl_server *srv;
	struct bufferevent *bev;
	/* `hactl monitor`: the event ring (NULL unless subscribed) */
	struct ctl_event *q;
	unsigned q_head, q_len;
	uint64_t dropped; /* lost since the last delivered event */
	uint64_t dropped_total;
};

struct ctl_server {
	struct event_base *base;
	struct evconnlistener *lev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler_fn fn;
	void *arg;
	TAILQ_HEAD(, ctl_client) clients;
	unsigned nclients, nsubscribers;
	uint64_t mon_dropped; /* events lost by slow subscribers, all clients, since start */
};

/* Moves queued events to the socket while its output buffer has room. */
static void
ctl_client_flush(struct ctl_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct buf b;

	buf_init(&b, false);
	while (c->q_len && evbuffer_get_length(out) < CTL_MON_OUT_MAX) {
		const struct ctl_event *ev = &c->q[c->q_head];

		b.b_len = 0;
		if (ctl_encode_event(ev, c->dropped, &b) < 0 ||
		    bufferevent_write(c->bev, b.b_data, b.b_len) != 0)
			break;
		c->dropped = 0;
		c->q_head = (c->q_head + 1) % CTL_MON_QUEUE;
		c->q_len--;
	}
	buf_fini(&b);
}

static void
ctl_client_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	(void)bev;
	if (c->q)
		ctl_client_flush(c);
}

/* Turns the connection into an event subscription and answers with a "subscribed" event. */
static int
ctl_client_subscribe(struct ctl_client *c, struct buf *resp)
{
	struct ctl_event ev;

	if (!c->q) {
		c->q = calloc(CTL_MON_QUEUE, sizeof(*c->q));
		if (!c->q)
			return -ENOMEM;
		c->srv->nsubscribers++;
	}
	bufferevent_set_timeouts(c->bev, NULL, NULL); /* a monitor may stay for days */
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.kind, sizeof(ev.kind), "subscribed");
	snprintf(ev.reason, sizeof(ev.reason), "queue of %u events, drop-oldest", CTL_MON_QUEUE);
	return ctl_encode_event(&ev, 0, resp);
}

void
ctl_server_publish(struct ctl_server *s, const struct ctl_event *ev)
{
	struct ctl_client *c;

	if (!s || !s->nsubscribers)
		return;
	TAILQ_FOREACH(c, &s->clients, entry)
	{
		if (!c->q)
			continue;
		if (c->q_len == CTL_MON_QUEUE) { /* full: the oldest goes */
			c->q_head = (c->q_head + 1) % CTL_MON_QUEUE;
			c->q_len--;
			c->dropped++;
			c->dropped_total++;
			s->mon_dropped++;
		}
		c->q[(c->q_head + c->q_len) % CTL_MON_QUEUE] = *ev;
		c->q_len++;
		ctl_client_flush(c);
	}
}

void
ctl_server_mon_stats(const struct ctl_server *s, unsigned *subscribers, uint64_t *dropped)
{
	*subscribers = s ? s->nsubscribers : 0;
	*dropped = s ? s->mon_dropped : 0;
}

static void
ctl_client_free(struct ctl_client *c)
{
	TAILQ_REMOVE(&c->srv->clients, c, entry);
	c->srv->nclients--;
	if (c->q)
		c->srv->nsubscribers--;
	bufferevent_free(c->bev);
	free(c->q);
	free(c);
}

/* Handles one complete frame at the head of the input buffer. */
static int
ctl_client_frame(struct ctl_client *c, struct evbuffer *in, size_t frame_len)
{
	const uint8_t *p = evbuffer_pullup(in, (ssize_t)frame_len);
	struct ctl_request req;
	struct buf resp;
	int rc;

	if (!p)
		return -ENOMEM;
	buf_init(&resp, false);
	rc = ctl_request_decode(p + CTL_FRAME_HDR_LEN, frame_len - CTL_FRAME_HDR_LEN, &req);
	if (rc == -ENOTSUP && req.version != CTL_PROTO_VERSION) {
		char msg[96];

		snprintf(msg, sizeof(msg), "protocol version %u is not supported (this is %u)",
		         req.version, CTL_PROTO_VERSION);
		rc = ctl_encode_error(ENOTSUP, msg, &resp);
	} else if (rc == -ENOTSUP) {
		rc = ctl_encode_error(ENOTSUP, "unknown command", &resp);
	} else if (rc == -EINVAL) {
		rc = ctl_encode_error(EINVAL, "bad argument: a tunnel name is missing or too long",
		                      &resp);
	} else if (rc < 0) {
		rc = ctl_encode_error(EPROTO, "undecodable request", &resp);
	} else if (req.cmd == CTL_CMD_MONITOR) {
		rc = ctl_client_subscribe(c, &resp);
	} else {
		size_t before = resp.b_len;

		rc = c->srv->fn(c->srv->arg, &req, &resp);
		if (rc < 0) {
			resp.b_len = before;
			rc = ctl_encode_error(-rc, strerror(-rc), &resp);
		}
	}
	evbuffer_drain(in, frame_len);
	if (rc == 0 && bufferevent_write(c->bev, resp.b_data, resp.b_len) != 0)
		rc = -ENOMEM;
	buf_fini(&resp);
	return rc;
}

static void
ctl_client_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		uint8_t hdr[CTL_FRAME_HDR_LEN];
		size_t avail = evbuffer_get_length(in), frame_len;
		int rc;

		if (avail < CTL_FRAME_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		rc = ctl_frame_hdr(hdr, &frame_len);
		if (rc < 0) {
			log_warnx("client sent a frame over %u bytes; closing it", CTL_FRAME_MAX);
			ctl_client_free(c);
			return;
		}
		if (avail < frame_len)
			return;
		if (ctl_client_frame(c, in, frame_len) < 0) {
			log_warnx("cannot answer a client (out of memory); closing it");
			ctl_client_free(c);
			return;
		}
	}
}

static void
ctl_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("closing an idle control client");
	else if (what & BEV_EVENT_ERROR)
		log_debug("control client error: %s", strerror(errno));
	ctl_client_free(c);
}

static void
ctl_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
           void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_client *c;
	struct timeval idle = {CTL_IDLE_TIMEOUT_MS / 1000, 0};

	(void)lev;
	(void)sa;
	(void)salen;
	if (s->nclients >= CTL_MAX_CLIENTS) {
		log_warnx("refusing a control client: %u already connected", s->nclients);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&s->clients, c, entry);
	s->nclients++;
	bufferevent_setcb(c->bev, ctl_client_read, ctl_client_write, ctl_client_event, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Returns -EADDRINUSE when a live server answers at path, 0 when path is free or stale. */
static int
ctl_check_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc = 0;

	if (lstat(sun->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		rc = -EADDRINUSE;
	else if (unlink(sun->sun_path) != 0 && errno != ENOENT)
		rc = -errno;
	close(fd);
	return rc;
}

static int
ctl_make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
ctl_listen(const char *path, int *out_fd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd = -1, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = ctl_make_parent(path);
	if (rc == 0)
		rc = ctl_check_stale(&sun);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177); /* the socket is born 0600: no window with wider permissions */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : -errno;
	umask(old);
	if (rc == 0 && chmod(path, 0600) != 0)
		rc = -errno;
	if (rc == 0 && listen(fd, 16) != 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*out_fd = fd;
	return 0;
}

int
ctl_server_new(struct event_base *base, const char *path, ctl_handler_fn fn, void *arg,
               struct ctl_server **out)
{
	struct ctl_server *s;
	int fd = -1, rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	TAILQ_INIT(&s->clients);
	s->base = base;
	s->fn = fn;
	s->arg = arg;
	rc = ctl_listen(path, &fd);
	if (rc < 0) {
		free(s);
		return rc;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->lev = evconnlistener_new(base, ctl_accept, s, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!s->lev) {
		close(fd);
		unlink(path);
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void
ctl_server_free(struct ctl_server *s)
{
	struct ctl_client *c;

	if (!s)
		return;
	while ((c = TAILQ_FIRST(&s->clients)) != NULL)
		ctl_client_free(c);
	evconnlistener_free(s->lev);
	unlink(s->path);
	free(s);
}
