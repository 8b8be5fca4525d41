/* SPDX-License-Identifier: MIT */
/*
 * The inside of the tandemd process, shared by the files that make it up: tandemd.c (loop,
 * configuration, control socket), tandemd_eng.c (crypto engines) and tandemd_ike.c (IKE).
 * Each part owns its member and is reached through it; nothing else includes this header.
 */
#ifndef TANDEM_NODE_TANDEMD_INT_H
#define TANDEM_NODE_TANDEMD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "node/config/cfg.h"
#include "node/ctl/ctl_codec.h"
#include "node/tandemd.h"
#include "node/tandemd_events.h"

struct event;
struct event_base;
struct ctl_server;
struct eng_sup;
struct tandemd_ike;
struct tandemd_sync;
struct tandemd_ha;
struct tandemd_metrics;

struct tandemd {
	struct tandemd_opts opts;
	char master_key_path[4096];
	struct event_base *base;
	struct event *ev_term, *ev_int, *ev_hup;
	struct ctl_server *ctl;
	struct cfg_mask_key mk;
	char mk_id[9];
	struct cfg *cfg;
	char digest[65];
	int64_t cfg_loaded_unix;
	uint64_t started_ms;
	bool have_reload;
	struct ctl_reload last_reload;
	struct eng_sup *eng;       /* crypto engines (tandemd_eng.c) */
	struct tandemd_ike *ike;   /* IKE engine and its sockets (tandemd_ike.c) */
	struct tandemd_sync *sync; /* replication over corosync (tandemd_sync.c); NULL alone */
	struct tandemd_ha *ha;     /* VIPs and routes by cost (tandemd_ha.c) */
	struct tandemd_metrics *metrics; /* Prometheus endpoint (tandemd_metrics.c); NULL: off */
	struct tandemd_ev_counters ev;   /* events emitted (tandemd_events.c) */
	bool ready_sent;                 /* sd_notify READY=1 went out (tandemd_notify_ready) */
};

/*
 * Tells the service manager (sd_notify, a no-op outside systemd) that the node is ready: its
 * configuration is loaded and, in a cluster, it has joined its group. Once; later calls only
 * update the status line.
 */
void tandemd_notify_ready(struct tandemd *d, const char *role);

#endif
