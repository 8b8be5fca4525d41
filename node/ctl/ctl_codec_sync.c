/* SPDX-License-Identifier: MIT */
/* `hactl show cluster` and `show replication` (proto/ctl.proto 40-49): domain structs into
 * responses. */
#include "ctl_codec_sync.h"

#include <errno.h>
#include <stdlib.h>

#include "node/ctl/ctl_int.h"

static void
node_to_pb(const struct ctl_cluster_node *s, Tandem__Ctl__V1__ClusterNode *o)
{
	tandem__ctl__v1__cluster_node__init(o);
	o->has_id = o->has_self = o->has_member = o->has_priority = o->has_quorate = true;
	o->has_in_sync = o->has_engines_up = o->has_engines_total = o->has_digest_match = true;
	o->has_store_commit = o->has_last_seen_ms = o->has_elected = true;
	o->id = s->id;
	o->name = CTL_STR(s->name);
	o->self = s->self;
	o->member = s->member;
	o->role = CTL_STR(s->role);
	o->priority = s->priority;
	o->quorate = s->quorate;
	o->in_sync = s->in_sync;
	o->engines_up = s->engines_up;
	o->engines_total = s->engines_total;
	o->config_digest = CTL_STR(s->config_digest);
	o->digest_match = s->digest_match;
	o->store_commit = s->store_commit;
	o->last_seen_ms = s->last_seen_ms;
	o->eligible = CTL_STR(s->eligible);
	o->elected = s->elected;
	o->fault = CTL_STR(s->fault);
	o->version = CTL_STR(s->version);
}

int
ctl_encode_show_cluster(const struct ctl_cluster *c, struct buf *out)
{
	Tandem__Ctl__V1__ClusterNode *nv = calloc(c->nnodes + 1, sizeof(*nv));
	Tandem__Ctl__V1__ClusterNode **np = calloc(c->nnodes + 1, sizeof(*np));
	Tandem__Ctl__V1__ShowCluster sc;
	Tandem__Ctl__V1__Response r;
	int rc = -ENOMEM;

	if (!nv || !np)
		goto out;
	for (size_t i = 0; i < c->nnodes; i++) {
		node_to_pb(&c->nodes[i], &nv[i]);
		np[i] = &nv[i];
	}
	tandem__ctl__v1__show_cluster__init(&sc);
	sc.cluster = CTL_STR(c->cluster);
	sc.has_node_id = sc.has_connected = sc.has_quorate = sc.has_quorum_current = true;
	sc.has_ring_seq = sc.has_members = sc.has_elected = sc.has_config_mismatch = true;
	sc.node_id = c->node_id;
	sc.role = CTL_STR(c->role);
	sc.fault = CTL_STR(c->fault);
	sc.connected = c->connected;
	sc.quorate = c->quorate;
	sc.quorum_current = c->quorum_current;
	sc.ring_seq = c->ring_seq;
	sc.members = c->members;
	sc.elected = c->elected;
	sc.config_mismatch = c->config_mismatch;
	if (c->setup_known) {
		sc.has_arbiter = sc.has_split_brain_risk = sc.has_quorum_nodes = true;
		sc.arbiter = c->arbiter;
		sc.split_brain_risk = c->split_brain_risk;
		sc.quorum_nodes = c->quorum_nodes;
	}
	sc.n_nodes = c->nnodes;
	sc.nodes = np;
	if (c->takeover_unix_ms) {
		sc.has_last_takeover_unix_ms = sc.has_last_takeover_ms = true;
		sc.has_last_takeover_sas = true;
		sc.last_takeover_unix_ms = c->takeover_unix_ms;
		sc.last_takeover_reason = CTL_STR(c->takeover_reason);
		sc.last_takeover_ms = c->takeover_ms;
		sc.last_takeover_sas = c->takeover_sas;
	}
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_CLUSTER;
	r.cluster = &sc;
	rc = ctl_put_response(&r, out);
out:
	free(nv);
	free(np);
	return rc;
}

int
ctl_encode_switchover(uint32_t from_id, const char *from_name, uint32_t to_id, const char *to_name,
                      struct buf *out)
{
	Tandem__Ctl__V1__SwitchoverResult o;
	Tandem__Ctl__V1__Response r;

	tandem__ctl__v1__switchover_result__init(&o);
	o.has_from_id = o.has_to_id = true;
	o.from_id = from_id;
	o.from_name = CTL_STR(from_name);
	o.to_id = to_id;
	o.to_name = CTL_STR(to_name);
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_SWITCHOVER;
	r.switchover = &o;
	return ctl_put_response(&r, out);
}

int
ctl_encode_show_replication(const struct ctl_replication *s, struct buf *out)
{
	Tandem__Ctl__V1__ReplicationTraffic *tv = calloc(s->ntraffic + 1, sizeof(*tv));
	Tandem__Ctl__V1__ReplicationTraffic **tp = calloc(s->ntraffic + 1, sizeof(*tp));
	Tandem__Ctl__V1__ReplicationRejects *rv = calloc(s->nrejected + 1, sizeof(*rv));
	Tandem__Ctl__V1__ReplicationRejects **rp = calloc(s->nrejected + 1, sizeof(*rp));
	Tandem__Ctl__V1__ShowReplication o;
	Tandem__Ctl__V1__Response r;
	int rc = -ENOMEM;

	if (!tv || !tp || !rv || !rp)
		goto out;
	for (size_t i = 0; i < s->ntraffic; i++) {
		tandem__ctl__v1__replication_traffic__init(&tv[i]);
		tv[i].type = CTL_STR(s->traffic[i].type);
		tv[i].has_tx_msgs = tv[i].has_tx_bytes = tv[i].has_rx_msgs = tv[i].has_rx_bytes =
		        true;
		tv[i].tx_msgs = s->traffic[i].tx_msgs;
		tv[i].tx_bytes = s->traffic[i].tx_bytes;
		tv[i].rx_msgs = s->traffic[i].rx_msgs;
		tv[i].rx_bytes = s->traffic[i].rx_bytes;
		tp[i] = &tv[i];
	}
	for (size_t i = 0; i < s->nrejected; i++) {
		tandem__ctl__v1__replication_rejects__init(&rv[i]);
		rv[i].reason = CTL_STR(s->rejected[i].reason);
		rv[i].has_count = true;
		rv[i].count = s->rejected[i].count;
		rp[i] = &rv[i];
	}
	tandem__ctl__v1__show_replication__init(&o);
	o.has_connected = o.has_reconnects = o.has_try_again = o.has_send_failures = true;
	o.has_queued_bytes = o.has_queue_peak_bytes = o.has_store_sas = o.has_store_children = true;
	o.has_store_tombs = o.has_store_bytes = o.has_store_commit = o.has_pending = true;
	o.has_latency_samples = o.has_latency_p50_us = o.has_latency_p99_us = true;
	o.has_latency_max_us = o.has_in_sync = o.has_snapshots_sent = true;
	o.has_snapshots_received = o.has_last_snapshot_sas = o.has_last_snapshot_bytes = true;
	o.has_last_snapshot_ms = o.has_snapshot_running = o.has_role_changes = true;
	o.connected = s->connected;
	o.reconnects = s->reconnects;
	o.try_again = s->try_again;
	o.send_failures = s->send_failures;
	o.queued_bytes = s->queued_bytes;
	o.queue_peak_bytes = s->queue_peak_bytes;
	o.n_traffic = s->ntraffic;
	o.traffic = tp;
	o.n_rejected = s->nrejected;
	o.rejected = rp;
	o.store_sas = s->store_sas;
	o.store_children = s->store_children;
	o.store_tombs = s->store_tombs;
	o.store_bytes = s->store_bytes;
	o.store_commit = s->store_commit;
	o.store_digest = CTL_STR(s->store_digest);
	o.pending = s->pending;
	o.latency_samples = s->latency_samples;
	o.latency_p50_us = s->latency_p50_us;
	o.latency_p99_us = s->latency_p99_us;
	o.latency_max_us = s->latency_max_us;
	o.in_sync = s->in_sync;
	o.snapshots_sent = s->snapshots_sent;
	o.snapshots_received = s->snapshots_received;
	o.last_snapshot_sas = s->last_snapshot_sas;
	o.last_snapshot_bytes = s->last_snapshot_bytes;
	o.last_snapshot_ms = s->last_snapshot_ms;
	o.snapshot_running = s->snapshot_running;
	o.role_changes = s->role_changes;
	ctl_response_init(&r);
	r.body_case = TANDEM__CTL__V1__RESPONSE__BODY_REPLICATION;
	r.replication = &o;
	rc = ctl_put_response(&r, out);
out:
	free(tv);
	free(tp);
	free(rv);
	free(rp);
	return rc;
}
