/* SPDX-License-Identifier: MIT */
/*
 * libquorum (sync_quorum.h): the only file that includes <corosync/quorum.h>.
 */
#define LOG_SUBSYS "sync"
#include "sync/sync_quorum.h"

#include <errno.h>
#include <stdlib.h>

#include <corosync/corotypes.h>
#include <corosync/quorum.h>
#include <event2/event.h>

#include "node/core/log.h"

struct sync_quorum {
	quorum_handle_t h;
	struct event *ev;
	struct sync_quorum_cb cb;
	void *arg;
	bool failed;
};

static void
q_notify(quorum_handle_t h, uint32_t quorate, struct quorum_ring_id ring, uint32_t n,
         const uint32_t *members)
{
	const void *ctx = NULL;
	struct sync_quorum *q;

	if (quorum_context_get(h, &ctx) != CS_OK || !ctx)
		return;
	q = (struct sync_quorum *)(uintptr_t)ctx; /* our own pointer, given to initialize */
	q->cb.notify(q->arg, quorate != 0, ring.nodeid, ring.seq, n, members);
}

static void
q_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sync_quorum *q = arg;
	cs_error_t rc;

	(void)fd;
	(void)what;
	rc = quorum_dispatch(q->h, CS_DISPATCH_ALL);
	if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN && !q->failed) {
		log_warnx("quorum dispatch failed (error %d): corosync gone?", (int)rc);
		q->failed = true;
		event_del(q->ev);
		q->cb.failed(q->arg);
	}
}

int
sync_quorum_open(struct event_base *base, const struct sync_quorum_cb *cb, void *arg,
                 struct sync_quorum **out)
{
	quorum_model_v1_data_t md = {
	        .model = QUORUM_MODEL_V1,
	        .quorum_notify_fn = q_notify,
	};
	struct sync_quorum *q = calloc(1, sizeof(*q));
	uint32_t type = 0;
	int fd = -1;

	if (!q)
		return -ENOMEM;
	q->cb = *cb;
	q->arg = arg;
	if (quorum_model_initialize(&q->h, QUORUM_MODEL_V1, (quorum_model_data_t *)&md, &type, q) !=
	    CS_OK) {
		free(q);
		return -ENOTCONN;
	}
	if (!type)
		log_warnx("corosync has no quorum provider: every membership counts as quorate");
	if (quorum_fd_get(q->h, &fd) != CS_OK ||
	    quorum_trackstart(q->h, CS_TRACK_CHANGES | CS_TRACK_CURRENT) != CS_OK) {
		quorum_finalize(q->h);
		free(q);
		return -ENOTCONN;
	}
	q->ev = event_new(base, fd, EV_READ | EV_PERSIST, q_readable, q);
	if (!q->ev || event_add(q->ev, NULL)) {
		sync_quorum_close(q);
		return -ENOMEM;
	}
	*out = q;
	return 0;
}

void
sync_quorum_close(struct sync_quorum *q)
{
	if (!q)
		return;
	if (q->ev)
		event_free(q->ev);
	(void)quorum_trackstop(q->h);
	(void)quorum_finalize(q->h);
	free(q);
}
