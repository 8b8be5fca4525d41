/* SPDX-License-Identifier: MIT */
/*
 * The corosync transport of the replication layer, in a libevent loop: one CPG group per
 * cluster with agreed (total) ordering, libquorum's notifications, and the queue that carries
 * sync.h's messages to cpg_mcast_joined. Dispatches from the CPG and quorum fds; a send that
 * corosync refuses for now (CS_ERR_TRY_AGAIN) is retried from a timer; when the local corosync
 * goes away (dispatch fails) the connection is finalized and re-made every second, and the
 * group rejoined, with sync_link telling the replication layer each time.
 *
 * sync_cpg.c is the only file that includes <corosync/cpg.h>, sync_quorum.c the only one
 * that includes <corosync/quorum.h>.
 */
#ifndef TANDEM_SYNC_SYNC_CPG_H
#define TANDEM_SYNC_SYNC_CPG_H

#include <stddef.h>
#include <stdint.h>

#include "sync/sync.h"

struct event_base;
struct sync_cpg;

#define SYNC_CPG_QUEUE_MAX (64u << 20) /* bytes waiting for corosync before -ENOBUFS */

/*
 * group: the CPG group name (the cluster name). node_id: the corosync node id the
 * configuration gives this node (a corosync that reports another refuses the connection).
 * Connects nothing yet. Returns 0 or -ENOMEM.
 */
int sync_cpg_new(struct event_base *base, const char *group, uint32_t node_id,
                 struct sync_cpg **out);
/* The transport for sync_new (its arg is the sync_cpg). */
const struct sync_transport *sync_cpg_transport(void);
/*
 * Starts connecting (now, then every second until it works) and feeds s. after(arg) is
 * called after every batch of inputs given to s (the host runs sync_tick then).
 */
void sync_cpg_start(struct sync_cpg *c, struct sync *s, void (*after)(void *arg), void *arg);
/* Leaves the group, finalizes, frees. NULL-safe. */
void sync_cpg_free(struct sync_cpg *c);
/* Reads the quorum setup (arbiter, two_node, nodes) from corosync again into the sync. */
void sync_cpg_setup_refresh(struct sync_cpg *c);

struct sync_cpg_stats {
	bool connected;
	uint64_t reconnects;   /* connections made after the first */
	uint64_t try_again;    /* CS_ERR_TRY_AGAIN answers to a send */
	uint64_t mcast_errors; /* other send errors */
	size_t queued_msgs, queued_bytes;
	size_t queue_peak_bytes;
	uint32_t local_node; /* the node id corosync reports */
};
void sync_cpg_stats(const struct sync_cpg *c, struct sync_cpg_stats *out);

#endif
