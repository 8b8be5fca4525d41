/* SPDX-License-Identifier: MIT */
/*
 * tandemd's host for the replication layer (tandemd_sync.c, docs/replication.md): it runs
 * sync/ over corosync in the daemon's loop when the configuration has a cluster of more than
 * one node, and connects it to the IKE engine (observer, sync-before-send, standby imports),
 * the crypto engines (lease grants, replay reports) and hactl (show cluster, show
 * replication, status). Used by tandemd.c, tandemd_ike.c and tandemd_eng.c only.
 */
#ifndef TANDEM_NODE_TANDEMD_SYNC_H
#define TANDEM_NODE_TANDEMD_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "ha/ha_role.h"
#include "node/core/buf.h"
#include "node/ctl/ctl_codec.h"
#include "node/ike/ike_engine.h"

struct tandemd;

/*
 * Creates d->sync for a cluster of two or more nodes (nothing otherwise) after the IKE
 * engine exists and before it gets its configuration: the engine starts as a standby and
 * serves only once the group elected this node. Returns 0 or -errno (logged).
 */
int tandemd_sync_start(struct tandemd *d);
void tandemd_sync_free(struct tandemd *d);
/* Whether replication runs (a cluster of more than one node). */
bool tandemd_sync_enabled(const struct tandemd *d);

/* The IKE engine's observer, for the replication layer (from tandemd_ike.c). */
void tandemd_sync_ike_changed(struct tandemd *d, const struct ike_sa_state *st,
                              enum ike_change what, uint64_t commit);
/*
 * A crypto engine asks for a lease up to `limit` (from tandemd_eng.c). Returns 0 (granted
 * later, when the group delivered it), -ENOENT (not a replicated SA: grant it locally) or
 * -EAGAIN (this node is not active: no grant).
 */
int tandemd_sync_lease_request(struct tandemd *d, uint32_t spi, uint64_t limit);
void tandemd_sync_replay_report(struct tandemd *d, uint32_t spi, uint64_t highest);
/* Engine groups serving, of those configured (from tandemd_eng.c). */
void tandemd_sync_engines(struct tandemd *d, uint32_t up, uint32_t total);
/* An engine group went up or down: counts the configured groups serving now and tells the
 * replication layer (a node whose engines are not all serving is not eligible as active). */
void tandemd_sync_engines_changed(struct tandemd *d);
/* After a reload: the node's record carries the new configuration digest. */
void tandemd_sync_config_changed(struct tandemd *d);

/*
 * THE ROLE CHANGE HOOK. Called by the replication layer whenever this node's role changes
 * (old -> now, why). It turns the IKE engine live (ACTIVE) or standby (anything else); the
 * HA layer (VIPs, routes, takeover actions) attaches here.
 */
void tandemd_role_changed(struct tandemd *d, enum ha_role old, enum ha_role now, const char *why);
/*
 * For the metrics endpoint: the replication layer's counters and the last takeover (when
 * this node last became active, ms since the epoch, 0 never; and how long it took). False
 * without replication (nothing is written then).
 */
struct sync_stats;
bool tandemd_sync_metrics(const struct tandemd *d, struct sync_stats *st, int64_t *takeover_unix_ms,
                          uint32_t *takeover_ms);
/* The role now: "active", "standby", ...; "standalone" without a cluster. */
const char *tandemd_sync_role_str(const struct tandemd *d);
/* For hactl status: nodes whose configuration digest differs from ours ("" if none), and
 * whether this node is quorate. */
void tandemd_sync_status(const struct tandemd *d, char *mismatch, size_t cap, bool *quorate);
/* corosync's quorum set-up: false when not read yet; else *arbiter (a quorum device votes)
 * and *risk (two nodes without an arbiter: split brain on a cut sync link). */
bool tandemd_sync_arbiter(const struct tandemd *d, bool *arbiter, bool *risk);

/* Why the node is faulted or starting ("" otherwise, and without a cluster). */
const char *tandemd_sync_fault(const struct tandemd *d);
/* hactl show cluster / show replication. */
int tandemd_sync_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp);

#endif
