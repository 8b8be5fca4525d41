/* SPDX-License-Identifier: MIT */
/*
 * libquorum in a libevent loop, for sync_cpg.c only: notifications (V1 model, with the ring
 * id they are for) are passed on as they come; the replication layer acts on the callback for
 * the current membership, never on a polled value (TESTBED.md, "Arbiter").
 */
#ifndef TANDEM_SYNC_SYNC_QUORUM_H
#define TANDEM_SYNC_SYNC_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sync_quorum;

struct sync_quorum_cb {
	/* members: the node ids of the membership this notification is for (n of them) */
	void (*notify)(void *arg, bool quorate, uint32_t ring_node, uint64_t ring_seq, size_t n,
	               const uint32_t *members);
	/* the connection failed (corosync went away): the owner closes and reconnects */
	void (*failed)(void *arg);
};

/* How corosync's quorum is set up (cmap, read when connecting). */
struct sync_quorum_setup {
	bool known;     /* cmap answered */
	bool device;    /* quorum.device.model is set: an arbiter (corosync-qdevice) votes */
	bool two_node;  /* quorum.two_node: 1 */
	uint32_t nodes; /* nodes in corosync's nodelist */
};

/* Connects and starts tracking. Returns 0, -ENOTCONN (corosync not there) or -ENOMEM. */
int sync_quorum_open(struct event_base *base, const struct sync_quorum_cb *cb, void *arg,
                     struct sync_quorum **out);
/* NULL-safe. */
void sync_quorum_close(struct sync_quorum *q);
/* The set-up read when connecting. */
void sync_quorum_setup_get(const struct sync_quorum *q, struct sync_quorum_setup *out);
/*
 * Reads the setup from corosync's configuration again (cmap; a reloaded corosync.conf, an
 * arbiter added, is seen without reconnecting). Called when the setup is shown, never on the
 * quorum callback's path.
 */
void sync_quorum_setup_refresh(struct sync_quorum *q);

#endif
