/* SPDX-License-Identifier: MIT */
/*
 * Responses of the HA data plane (proto/ctl.proto 50-59): `hactl show routes` with the
 * routes by cost, which tunnel carries each prefix, and the virtual addresses this node holds.
 */
#ifndef TANDEM_NODE_CTL_CTL_CODEC_HA_H
#define TANDEM_NODE_CTL_CTL_CODEC_HA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"

/* One configured `ip route`; strings borrowed for the encoder's call. */
struct ctl_route {
	const char *prefix;    /* "172.168.3.0/24" */
	const char *interface; /* the configured interface, or "" for a next-hop route */
	const char *context;
	const char *nexthop;  /* "" unless a next-hop route */
	const char *tunnel;   /* the tunnel bound to the interface, "" if none */
	const char *device;   /* its TUN device, "" if none */
	const char *group;    /* the engine group serving the tunnel, "" if none */
	uint32_t metric;      /* the configured cost */
	bool managed;         /* a route by cost on a tunnel interface: tandemd installs it */
	bool installed;       /* the kernel holds it now */
	bool carrier;         /* the installed route of lowest metric for its prefix */
	const char *reason;   /* why it is not installed ("" when installed) */
	int64_t changed_unix; /* when installed last changed, 0 never */
};

struct ctl_vip {
	const char *address;   /* "192.0.2.10/24" */
	const char *interface; /* Linux interface */
	bool held;             /* this node holds it now */
	const char *error;     /* the last failure to add or remove it, "" if none */
};

/* Appends a framed ShowRoutes response. Returns 0, -ENOMEM or -EMSGSIZE. */
int ctl_encode_show_routes(bool active, const struct ctl_route *routes, size_t nroutes,
                           const struct ctl_vip *vips, size_t nvips, struct buf *out);

#endif
