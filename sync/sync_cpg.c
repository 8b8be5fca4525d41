/* SPDX-License-Identifier: MIT */
/*
 * The corosync CPG transport (sync_cpg.h): the only file that includes <corosync/cpg.h>.
 */
#define LOG_SUBSYS "sync"
#include "sync/sync_cpg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <event2/event.h>

#include "node/core/clk.h"
#include "node/core/log.h"
#include "sync/sync_quorum.h"

#define CPG_RECONNECT_MS 1000
#define CPG_RETRY_MS     1 /* CS_ERR_TRY_AGAIN: corosync's queue is full for a moment */

struct cpg_msg {
	struct cpg_msg *next;
	size_t len;
	uint8_t data[];
};

struct sync_cpg {
	struct event_base *base;
	char group[CPG_MAX_NAME_LENGTH];
	uint32_t node_id;
	struct sync *s;
	void (*after)(void *arg);
	void *after_arg;

	cpg_handle_t h;
	bool initialized, joined;
	struct event *ev_fd, *ev_retry, *ev_reconnect, *ev_fail;
	struct sync_quorum *q;

	struct cpg_msg *head, *tail;
	struct sync_cpg_stats st;
	bool ever_connected;
	struct log_rl rl;
};

static void cpg_disconnect(struct sync_cpg *c, const char *why);

/* ---- the queue --------------------------------------------------------------------------- */

static void
queue_pop(struct sync_cpg *c)
{
	struct cpg_msg *m = c->head;

	c->head = m->next;
	if (!c->head)
		c->tail = NULL;
	c->st.queued_msgs--;
	c->st.queued_bytes -= m->len;
	/* SaUpdates and snapshot chunks carry keys */
	explicit_bzero(m->data, m->len);
	free(m);
}

static void
queue_clear(struct sync_cpg *c)
{
	while (c->head)
		queue_pop(c);
}

static void
flush(struct sync_cpg *c)
{
	while (c->head && c->joined) {
		struct iovec iov = {c->head->data, c->head->len};
		cs_error_t rc = cpg_mcast_joined(c->h, CPG_TYPE_AGREED, &iov, 1);

		if (rc == CS_OK) {
			queue_pop(c);
			continue;
		}
		if (rc == CS_ERR_TRY_AGAIN) {
			struct timeval tv = {0, CPG_RETRY_MS * 1000};

			c->st.try_again++;
			event_add(c->ev_retry, &tv);
			return;
		}
		c->st.mcast_errors++;
		/* not from inside a dispatch callback: from the loop, at once */
		c->joined = false;
		event_active(c->ev_fail, EV_TIMEOUT, 0);
		return;
	}
}

static int
t_send(void *arg, const uint8_t *p, size_t len)
{
	struct sync_cpg *c = arg;
	struct cpg_msg *m;

	if (!c->joined)
		return -ENOTCONN;
	if (c->st.queued_bytes + len > SYNC_CPG_QUEUE_MAX)
		return -ENOBUFS;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOBUFS;
	m->next = NULL;
	m->len = len;
	memcpy(m->data, p, len);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->st.queued_msgs++;
	c->st.queued_bytes += len;
	if (c->st.queued_bytes > c->st.queue_peak_bytes)
		c->st.queue_peak_bytes = c->st.queued_bytes;
	/* at once unless corosync asked us to wait */
	if (c->st.queued_msgs == 1 || !event_pending(c->ev_retry, EV_TIMEOUT, NULL))
		flush(c);
	return 0;
}

static size_t
t_backlog(void *arg)
{
	const struct sync_cpg *c = arg;

	return c->st.queued_bytes;
}

const struct sync_transport *
sync_cpg_transport(void)
{
	static const struct sync_transport t = {.send = t_send, .backlog = t_backlog};

	return &t;
}

/* ---- CPG callbacks ----------------------------------------------------------------------- */

static struct sync_cpg *
ctx_of(cpg_handle_t h)
{
	void *ctx = NULL;

	if (cpg_context_get(h, &ctx) != CS_OK)
		return NULL;
	return ctx;
}

static void
on_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg,
           size_t len)
{
	struct sync_cpg *c = ctx_of(h);

	(void)group;
	if (c && c->s)
		sync_deliver(c->s, nodeid, pid, msg, len);
}

static void
members_of(const struct cpg_address *a, size_t n, struct sync_member *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct sync_member){a[i].nodeid, a[i].pid,
		                              a[i].reason == CPG_REASON_NODEDOWN};
}

static void
on_confchg(cpg_handle_t h, const struct cpg_name *group, const struct cpg_address *members,
           size_t nmembers, const struct cpg_address *left, size_t nleft,
           const struct cpg_address *joined, size_t njoined)
{
	struct sync_cpg *c = ctx_of(h);
	struct sync_member *m;
	struct sync_view v;

	(void)group;
	if (!c || !c->s)
		return;
	m = calloc(nmembers + nleft + njoined + 1, sizeof(*m));
	if (!m) {
		c->joined = false;
		event_active(c->ev_fail, EV_TIMEOUT, 0);
		return;
	}
	members_of(members, nmembers, m);
	members_of(left, nleft, m + nmembers);
	members_of(joined, njoined, m + nmembers + nleft);
	v = (struct sync_view){
	        .members = m,
	        .nmembers = nmembers,
	        .left = m + nmembers,
	        .nleft = nleft,
	        .joined = m + nmembers + nleft,
	        .njoined = njoined,
	};
	log_info("group %s: %zu member(s), %zu joined, %zu left", c->group, nmembers, njoined,
	         nleft);
	sync_view(c->s, &v);
	free(m);
}

static void
on_totem(cpg_handle_t h, struct cpg_ring_id ring, uint32_t n, const uint32_t *members)
{
	struct sync_cpg *c = ctx_of(h);

	(void)n;
	(void)members;
	if (c && c->s)
		sync_ring(c->s, ring.nodeid, ring.seq);
}

/* What corosync's configuration says about the quorum (an arbiter, two_node, nodes). */
static void
cpg_apply_setup(struct sync_cpg *c)
{
	struct sync_quorum_setup qs;

	if (!c->q)
		return;
	sync_quorum_setup_get(c->q, &qs);
	if (qs.known)
		sync_quorum_setup(c->s, qs.device, qs.two_node, qs.nodes);
}

static void
on_quorum(void *arg, bool quorate, uint32_t ring_node, uint64_t ring_seq, size_t n,
          const uint32_t *members)
{
	struct sync_cpg *c = arg;

	if (c->s) {
		sync_quorum_members(c->s, members, n);
		sync_quorum(c->s, quorate, ring_node, ring_seq);
	}
	if (c->after)
		c->after(c->after_arg);
}

static void
on_quorum_failed(void *arg)
{
	cpg_disconnect(arg, "the quorum connection failed");
}

void
sync_cpg_setup_refresh(struct sync_cpg *c)
{
	if (!c || !c->q || !c->s)
		return;
	sync_quorum_setup_refresh(c->q);
	cpg_apply_setup(c);
}

/* ---- events ------------------------------------------------------------------------------ */

static void
on_fd(evutil_socket_t fd, short what, void *arg)
{
	struct sync_cpg *c = arg;
	cs_error_t rc;

	(void)fd;
	(void)what;
	rc = cpg_dispatch(c->h, CS_DISPATCH_ALL);
	if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN) {
		char why[64];

		snprintf(why, sizeof(why), "cpg_dispatch failed (error %d)", (int)rc);
		cpg_disconnect(c, why);
	}
	if (c->after)
		c->after(c->after_arg);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sync_cpg *c = arg;

	(void)fd;
	(void)what;
	flush(c);
	if (c->after)
		c->after(c->after_arg); /* the backlog shrank: snapshots go on */
}

static void
on_fail(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cpg_disconnect(arg, "a send or a view change failed");
}

static void
schedule_reconnect(struct sync_cpg *c)
{
	struct timeval tv = {CPG_RECONNECT_MS / 1000, (CPG_RECONNECT_MS % 1000) * 1000};

	event_add(c->ev_reconnect, &tv);
}

static void
cpg_disconnect(struct sync_cpg *c, const char *why)
{
	if (!c->initialized)
		return;
	log_warnx("corosync connection closed: %s; reconnecting every %d ms", why,
	          CPG_RECONNECT_MS);
	if (c->ev_fd) {
		event_free(c->ev_fd);
		c->ev_fd = NULL;
	}
	event_del(c->ev_retry);
	sync_quorum_close(c->q);
	c->q = NULL;
	(void)cpg_finalize(c->h);
	c->initialized = false;
	c->joined = false;
	c->st.connected = false;
	queue_clear(c);
	if (c->s)
		sync_link(c->s, false);
	schedule_reconnect(c);
}

static int
cpg_connect(struct sync_cpg *c)
{
	cpg_model_v1_data_t md = {
	        .model = CPG_MODEL_V1,
	        .cpg_deliver_fn = on_deliver,
	        .cpg_confchg_fn = on_confchg,
	        .cpg_totem_confchg_fn = on_totem,
	        .flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	static const struct sync_quorum_cb qcb = {.notify = on_quorum, .failed = on_quorum_failed};
	struct cpg_name name;
	unsigned int local = 0;
	cs_error_t rc;
	int fd = -1;
	uint32_t supp;

	rc = cpg_model_initialize(&c->h, CPG_MODEL_V1, (cpg_model_data_t *)&md, c);
	if (rc != CS_OK) {
		if (log_rl_allow(&c->rl, clk_mono_ms(), &supp))
			log_warnx("cannot connect to corosync (error %d)%s", (int)rc,
			          supp ? " (and more like it)" : "");
		return -ENOTCONN;
	}
	c->initialized = true;
	if (cpg_local_get(c->h, &local) != CS_OK || cpg_fd_get(c->h, &fd) != CS_OK)
		goto fail;
	c->st.local_node = local;
	if (local != c->node_id) {
		log_err("corosync says this is node %u, the configuration says %u: not joining",
		        local, c->node_id);
		goto fail;
	}
	c->ev_fd = event_new(c->base, fd, EV_READ | EV_PERSIST, on_fd, c);
	if (!c->ev_fd || event_add(c->ev_fd, NULL))
		goto fail;
	memset(&name, 0, sizeof(name));
	name.length = (uint32_t)strlen(c->group);
	memcpy(name.value, c->group, name.length);
	/* CS_ERR_TRY_AGAIN (corosync still syncing after a restart) too: the reconnect timer
	 * tries again */
	rc = cpg_join(c->h, &name);
	if (rc != CS_OK) {
		log_warnx("cannot join group %s (error %d)", c->group, (int)rc);
		goto fail;
	}
	if (sync_quorum_open(c->base, &qcb, c, &c->q)) {
		log_warnx("cannot connect to corosync's quorum service");
		goto fail;
	}
	c->joined = true;
	c->st.connected = true;
	cpg_apply_setup(c);
	if (c->ever_connected)
		c->st.reconnects++;
	c->ever_connected = true;
	log_info("joined CPG group %s as node %u", c->group, local);
	sync_link(c->s, true);
	return 0;
fail:
	if (c->ev_fd) {
		event_free(c->ev_fd);
		c->ev_fd = NULL;
	}
	sync_quorum_close(c->q);
	c->q = NULL;
	(void)cpg_finalize(c->h);
	c->initialized = false;
	return -ENOTCONN;
}

static void
on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct sync_cpg *c = arg;

	(void)fd;
	(void)what;
	if (cpg_connect(c))
		schedule_reconnect(c);
	if (c->after)
		c->after(c->after_arg);
}

/* ---- life cycle -------------------------------------------------------------------------- */

int
sync_cpg_new(struct event_base *base, const char *group, uint32_t node_id, struct sync_cpg **out)
{
	struct sync_cpg *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->base = base;
	snprintf(c->group, sizeof(c->group), "%s", group);
	c->node_id = node_id;
	log_rl_init(&c->rl, 1, 30000);
	c->ev_retry = evtimer_new(base, on_retry, c);
	c->ev_reconnect = evtimer_new(base, on_reconnect, c);
	c->ev_fail = evtimer_new(base, on_fail, c);
	if (!c->ev_retry || !c->ev_reconnect || !c->ev_fail) {
		sync_cpg_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void
sync_cpg_start(struct sync_cpg *c, struct sync *s, void (*after)(void *arg), void *arg)
{
	c->s = s;
	c->after = after;
	c->after_arg = arg;
	if (cpg_connect(c))
		schedule_reconnect(c);
	if (c->after)
		c->after(c->after_arg);
}

void
sync_cpg_free(struct sync_cpg *c)
{
	if (!c)
		return;
	if (c->joined) {
		struct cpg_name name;

		memset(&name, 0, sizeof(name));
		name.length = (uint32_t)strlen(c->group);
		memcpy(name.value, c->group, name.length);
		(void)cpg_leave(c->h, &name);
	}
	if (c->ev_fd)
		event_free(c->ev_fd);
	sync_quorum_close(c->q);
	if (c->initialized)
		(void)cpg_finalize(c->h);
	if (c->ev_retry)
		event_free(c->ev_retry);
	if (c->ev_reconnect)
		event_free(c->ev_reconnect);
	if (c->ev_fail)
		event_free(c->ev_fail);
	queue_clear(c);
	free(c);
}

void
sync_cpg_stats(const struct sync_cpg *c, struct sync_cpg_stats *out)
{
	*out = c->st;
}
