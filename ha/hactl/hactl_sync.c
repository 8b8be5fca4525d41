/* SPDX-License-Identifier: MIT */
/*
 * hactl's replication commands (docs/replication.md): `show cluster` (every node as this
 * node sees it: role, membership, quorum, configuration digest and whether it matches ours,
 * why a node cannot be active) and `show replication` (traffic by message type, refused
 * messages by reason, the store and its digest, sync-before-send latency, snapshots).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ha/hactl/hactl_int.h"

static const char *
hs(const char *s)
{
	return s && *s ? s : "-";
}

static void
render_cluster(const Tandem__Ctl__V1__Response *resp, struct buf *b)
{
	const Tandem__Ctl__V1__ShowCluster *c = resp->cluster;

	buf_printf(b, "cluster %s, node %u: %s%s%s\n", hs(c->cluster), c->node_id, hs(c->role),
	           c->fault && *c->fault ? " (" : "", c->fault && *c->fault ? c->fault : "");
	if (c->fault && *c->fault)
		buf_put_str(b, ")\n");
	buf_printf(b, "corosync %s, %u member(s), ring %llu, %s%s, active: ",
	           c->connected ? "connected" : "NOT CONNECTED", c->members,
	           (unsigned long long)c->ring_seq, c->quorate ? "quorate" : "NOT QUORATE",
	           c->quorate && !c->quorum_current ? " (not yet confirmed for this ring)" : "");
	if (c->elected)
		buf_printf(b, "node %u\n", c->elected);
	else
		buf_put_str(b, "none\n");
	if (c->has_split_brain_risk && c->split_brain_risk)
		buf_put_str(b, "WARNING: two nodes without an arbiter: a cut sync link makes both "
		               "halves active (docs/faults.md)\n");
	else if (c->has_arbiter)
		buf_printf(b, "arbiter: %s\n",
		           c->arbiter ? "corosync-qdevice votes" : "none (more than two nodes)");
	if (c->config_mismatch)
		buf_put_str(b,
		            "CONFIGURATION MISMATCH: nodes with another digest refuse to take over "
		            "from each other\n");
	buf_printf(b, "  %-4s %-12s %-8s %-8s %4s %-7s %-7s %-8s %-14s %s\n", "id", "name",
	           "member", "role", "prio", "quorum", "in-sync", "engines", "digest", "eligible");
	for (size_t i = 0; i < c->n_nodes; i++) {
		const Tandem__Ctl__V1__ClusterNode *n = c->nodes[i];
		char eng[24], dig[16];

		snprintf(eng, sizeof(eng), "%u/%u", n->engines_up, n->engines_total);
		/* "!": differs from this node's */
		snprintf(dig, sizeof(dig), "%.12s%s", hs(n->config_digest),
		         n->digest_match ? "" : "!");
		buf_printf(b, "  %-4u %-12s %-8s %-8s %4u %-7s %-7s %-8s %-14s %s%s\n", n->id,
		           hs(n->name), n->member ? (n->self ? "self" : "yes") : "no", hs(n->role),
		           n->priority, n->quorate ? "yes" : "no", n->in_sync ? "yes" : "no", eng,
		           dig, hs(n->eligible), n->elected ? ", elected" : "");
	}
	if (c->has_last_takeover_unix_ms && c->last_takeover_unix_ms) {
		time_t t = (time_t)(c->last_takeover_unix_ms / 1000);
		struct tm tm;
		char when[32] = "?";

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		buf_printf(b,
		           "last failover to this node: %s.%03lld UTC, %s; took %u ms here (%u IKE "
		           "SAs live)\n",
		           when, (long long)(c->last_takeover_unix_ms % 1000),
		           hs(c->last_takeover_reason), c->last_takeover_ms, c->last_takeover_sas);
	} else {
		buf_put_str(b, "last failover to this node: none since it started\n");
	}
}

static void
render_switchover(const Tandem__Ctl__V1__Response *resp, struct buf *b)
{
	const Tandem__Ctl__V1__SwitchoverResult *r = resp->switchover;

	buf_printf(b,
	           "switchover: node %u (%s) hands the cluster to node %u (%s); it takes over "
	           "when the group delivers the hand-over (hactl show cluster)\n",
	           r->from_id, hs(r->from_name), r->to_id, hs(r->to_name));
}

int
hactl_cmd_switchover(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__SwitchoverRequest sr;

	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__switchover_request__init(&sr);
	if (argc == 2 && strcmp(argv[0], "--to") == 0) {
		sr.to_node = argv[1];
	} else if (argc != 0) {
		fprintf(stderr, "hactl: usage: switchover [--to NODE]\n");
		return HACTL_EXIT_USAGE;
	}
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SWITCHOVER;
	req.switchover = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_SWITCHOVER, render_switchover);
}

static void
render_replication(const Tandem__Ctl__V1__Response *resp, struct buf *b)
{
	const Tandem__Ctl__V1__ShowReplication *r = resp->replication;

	buf_printf(b,
	           "corosync        %s, %llu reconnect(s), %llu try-again, %llu bytes queued "
	           "(peak %llu)\n",
	           r->connected ? "connected" : "NOT CONNECTED", (unsigned long long)r->reconnects,
	           (unsigned long long)r->try_again, (unsigned long long)r->queued_bytes,
	           (unsigned long long)r->queue_peak_bytes);
	buf_printf(b,
	           "store           %llu IKE SA(s), %llu Child SA direction(s), %llu tombstone(s), "
	           "%llu bytes, commit %llu, %s\n  digest        %s\n",
	           (unsigned long long)r->store_sas, (unsigned long long)r->store_children,
	           (unsigned long long)r->store_tombs, (unsigned long long)r->store_bytes,
	           (unsigned long long)r->store_commit, r->in_sync ? "in sync" : "NOT in sync",
	           hs(r->store_digest));
	buf_printf(b,
	           "sync-before-send %llu pending; own change -> delivered: p50 %llu us, p99 %llu "
	           "us, max %llu us (%llu samples)\n",
	           (unsigned long long)r->pending, (unsigned long long)r->latency_p50_us,
	           (unsigned long long)r->latency_p99_us, (unsigned long long)r->latency_max_us,
	           (unsigned long long)r->latency_samples);
	buf_printf(b,
	           "snapshots       %llu sent, %llu received%s; last: %llu SAs, %llu bytes, %llu "
	           "ms\n",
	           (unsigned long long)r->snapshots_sent, (unsigned long long)r->snapshots_received,
	           r->snapshot_running ? ", one under way" : "",
	           (unsigned long long)r->last_snapshot_sas,
	           (unsigned long long)r->last_snapshot_bytes,
	           (unsigned long long)r->last_snapshot_ms);
	buf_printf(b, "role changes    %llu\nmessages\n  %-12s %10s %12s %10s %12s\n",
	           (unsigned long long)r->role_changes, "type", "sent", "bytes", "received",
	           "bytes");
	for (size_t i = 0; i < r->n_traffic; i++) {
		const Tandem__Ctl__V1__ReplicationTraffic *t = r->traffic[i];

		buf_printf(b, "  %-12s %10llu %12llu %10llu %12llu\n", hs(t->type),
		           (unsigned long long)t->tx_msgs, (unsigned long long)t->tx_bytes,
		           (unsigned long long)t->rx_msgs, (unsigned long long)t->rx_bytes);
	}
	buf_put_str(b, "refused messages\n");
	for (size_t i = 0; i < r->n_rejected; i++)
		buf_printf(b, "  %-12s %10llu\n", hs(r->rejected[i]->reason),
		           (unsigned long long)r->rejected[i]->count);
}

int
hactl_cmd_show_cluster(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowClusterRequest sr;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "hactl: usage: show cluster\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_cluster_request__init(&sr);
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_CLUSTER;
	req.show_cluster = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_CLUSTER, render_cluster);
}

int
hactl_cmd_show_replication(const struct hactl_ctx *ctx, int argc, char **argv)
{
	Tandem__Ctl__V1__Request req;
	Tandem__Ctl__V1__ShowReplicationRequest sr;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "hactl: usage: show replication\n");
		return HACTL_EXIT_USAGE;
	}
	tandem__ctl__v1__request__init(&req);
	tandem__ctl__v1__show_replication_request__init(&sr);
	req.cmd_case = TANDEM__CTL__V1__REQUEST__CMD_SHOW_REPLICATION;
	req.show_replication = &sr;
	return hactl_run(ctx, &req, TANDEM__CTL__V1__RESPONSE__BODY_REPLICATION,
	                 render_replication);
}
