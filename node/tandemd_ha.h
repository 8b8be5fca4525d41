/* SPDX-License-Identifier: MIT */
/*
 * tandemd's HA data plane (tandemd_ha.c): the cluster's virtual addresses (added, removed and
 * announced by gratuitous ARP / unsolicited NA on takeover) and the routes by cost of the
 * tunnel interfaces (withdrawn while their tunnel is down, the engine serving it is down, or
 * this node is not active), with `hactl show routes`. docs/ha.md describes the behaviour.
 *
 * The role is decided elsewhere. Until a role layer calls tandemd_ha_apply_role, a node
 * without a cluster block or whose cluster lists only itself is active by itself, and a
 * node of a larger cluster is standby (it holds no VIP and installs no route).
 */
#ifndef TANDEM_NODE_TANDEMD_HA_H
#define TANDEM_NODE_TANDEMD_HA_H

#include <stdbool.h>
#include <stdint.h>

#include "node/core/buf.h"
#include "node/ctl/ctl_codec.h"

struct tandemd;

/* Creates d->ha (netlink and packet sockets, timers) and applies d->cfg. Returns 0 or -errno
 * (logged). */
int tandemd_ha_start(struct tandemd *d);
/* After a successful reload: the VIP set and the route table follow d->cfg. */
void tandemd_ha_apply(struct tandemd *d);
/* Removes nothing (a stopping daemon leaves VIPs and routes to the next owner or to the
 * kernel's clean-up of its devices) and frees d->ha. NULL-safe. */
void tandemd_ha_free(struct tandemd *d);

/*
 * THE ROLE LAYER'S ENTRY POINT. Makes this node active (true) or standby (false):
 *  - active: adds every VIP of the cluster block on its interface (libmnl RTM_NEWADDR, IPv6
 *    without DAD), announces each one (gratuitous ARP / unsolicited NA, 4 sends at 0, 250,
 *    750 and 1750 ms), and lets the routes by cost of up tunnels in;
 *  - standby: removes every VIP and withdraws every route by cost at once.
 * Idempotent: calling it again with the same value changes nothing and logs nothing; each
 * change is logged as an event ("ha event: ..."). From then on the built-in default (a
 * lone node is active) no longer applies. Call it from the event loop (it does netlink I/O,
 * a few system calls per VIP and route). Returns 0, or the first -errno of a VIP that could
 * not be added or removed (logged; the others are still applied and a failed VIP is retried
 * every second).
 */
int tandemd_ha_apply_role(struct tandemd *d, bool active);
/* Whether this node currently acts as the active one. */
bool tandemd_ha_active(const struct tandemd *d);

/* Engine events (tandemd_eng.c): re-evaluates the routes of the group's tunnels. */
void tandemd_ha_engine_changed(struct tandemd *d, const char *group, bool up, const char *why);
/* IKE tunnel events (tandemd_ike.c): a tunnel has or lost its established Child SA. */
void tandemd_ha_tunnel_changed(struct tandemd *d, const char *tunnel, bool up, const char *why);

/* One configured route as the HA layer sees it; strings are borrowed for the call. */
struct tandemd_ha_route_info {
	const char *prefix, *context, *interface, *tunnel, *device;
	uint32_t metric;
	bool managed;   /* on a tunnel interface: tandemd installs and withdraws it */
	bool installed; /* the kernel holds it now */
	bool carrier;   /* the installed route of lowest cost of its prefix: carries the traffic */
	bool preferred; /* the lowest configured cost of its prefix (else a backup) */
	const char *reason;         /* why it is not installed; "" when installed */
	int64_t changed_unix;       /* when `installed` last changed; 0 never */
	int64_t carrier_since_unix; /* when the prefix's carrier last changed; 0 never */
	const char *switch_why;     /* why it changed then; "" never */
};

/* Calls fn for each configured route, in configuration order (metrics, show redundancy). */
void tandemd_ha_walk_routes(const struct tandemd *d,
                            void (*fn)(void *arg, const struct tandemd_ha_route_info *r),
                            void *arg);

/* hactl show redundancy: per protected prefix, preferred and backup tunnels, the carrier,
 * since when and why. Appends the framed response; returns 0 or -ENOMEM. */
int tandemd_ha_redundancy_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp);

/* hactl show routes. Appends the framed response; returns 0 or -ENOMEM. */
int tandemd_ha_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp);

#endif
