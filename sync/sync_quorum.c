/* SPDX-License-Identifier: MIT */
/*
 * libquorum (sync_quorum.h): the only file that includes <corosync/quorum.h>.
 */
#define LOG_SUBSYS "sync"
#include "sync/sync_quorum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <corosync/cmap.h>
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
	struct sync_quorum_setup setup;
};

/*
 * Whether an arbiter votes and how many nodes corosync knows: a pair with neither a device
 * nor more nodes keeps quorum on both halves of a cut (TESTBED.md, docs/faults.md).
 */
static void
q_setup_read(struct sync_quorum_setup *out)
{
	cmap_handle_t h;
	cmap_iter_handle_t it;
	char key[CMAP_KEYNAME_MAXLEN + 1], *model = NULL;
	size_t len;
	cmap_value_types_t type;
	uint8_t two = 0;

	memset(out, 0, sizeof(*out));
	if (cmap_initialize(&h) != CS_OK)
		return;
	out->known = true;
	if (cmap_get_string(h, "quorum.device.model", &model) == CS_OK) {
		out->device = model && *model;
		free(model);
	}
	if (cmap_get_uint8(h, "quorum.two_node", &two) == CS_OK)
		out->two_node = two != 0;
	if (cmap_iter_init(h, "nodelist.node.", &it) == CS_OK) {
		while (cmap_iter_next(h, it, key, &len, &type) == CS_OK) {
			size_t n = strlen(key);

			if (n > 7 && strcmp(key + n - 7, ".nodeid") == 0)
				out->nodes++;
		}
		(void)cmap_iter_finalize(h, it);
	}
	(void)cmap_finalize(h);
}

void
sync_quorum_setup_refresh(struct sync_quorum *q)
{
	struct sync_quorum_setup now;

	q_setup_read(&now);
	if (!now.known)
		return;
	if (q->setup.known && now.device != q->setup.device)
		log_info("the quorum device is %s corosync's configuration",
		         now.device ? "now in" : "no longer in");
	q->setup = now;
}

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
	q_setup_read(&q->setup);
	if (q->setup.known && q->setup.nodes == 2 && !q->setup.device)
		log_warnx(
		        "WARNING: two nodes without an arbiter (no quorum device): a cut sync link "
		        "makes both halves active (docs/faults.md)");
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
sync_quorum_setup_get(const struct sync_quorum *q, struct sync_quorum_setup *out)
{
	*out = q->setup;
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
