/* SPDX-License-Identifier: MIT */
/*
 * tandemd's host for the IKE engine (tandemd_ike.c) and its control handlers
 * (tandemd_ike_ctl.c). Used by tandemd.c and tandemd_eng.c only.
 */
#ifndef TANDEM_NODE_TANDEMD_IKE_H
#define TANDEM_NODE_TANDEMD_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/config/cfg.h"
#include "node/core/buf.h"
#include "node/ctl/ctl_codec.h"

struct tandemd;
struct tandemd_ike;
struct ike_engine;

/* Creates the IKE engine with d's configuration options. Returns 0 or -errno. */
int tandemd_ike_new(struct tandemd *d, struct tandemd_ike **out);
void tandemd_ike_free(struct tandemd_ike *ti);
/* Opens/closes port-500 sockets for cfg's tunnels and hands cfg to the engine. */
void tandemd_ike_apply(struct tandemd_ike *ti, const struct cfg *cfg);
/* An IKE datagram that arrived elsewhere (port 4500, through a crypto engine). */
void tandemd_ike_input(struct tandemd_ike *ti, const struct sockaddr_storage *local,
                       const struct sockaddr_storage *remote, const uint8_t *p, size_t len);
/* Sync-before-send: state changes up to `commit` are replicated; send what waited for them. */
void tandemd_ike_commit_safe(struct tandemd_ike *ti, uint64_t commit);
/* The node stepped down: held datagrams (state the group did not deliver) are dropped. */
void tandemd_ike_drop_held(struct tandemd_ike *ti);
/* Runs due timers after something outside called into the engine. */
void tandemd_ike_kick(struct tandemd_ike *ti);
struct ike_engine *tandemd_ike_engine(struct tandemd_ike *ti);
/* The last up/down change the engine reported for a tunnel; false if none yet. */
bool tandemd_ike_tunnel_last(const struct tandemd_ike *ti, const char *name, bool *up,
                             int64_t *when_unix, const char **reason);

/* Answers the IKE commands (show tunnel/ike-sa/ipsec-sa/statistics, clear). */
int tandemd_ike_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp);

#endif
