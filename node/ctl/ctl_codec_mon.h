/* SPDX-License-Identifier: MIT */
/*
 * Responses of monitoring (proto/ctl.proto 60-69): the Event messages of `hactl monitor` and
 * the ShowRedundancy view of `hactl show redundancy`.
 */
#ifndef TANDEM_NODE_CTL_CTL_CODEC_MON_H
#define TANDEM_NODE_CTL_CTL_CODEC_MON_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"
#include "node/ctl/ctl_codec_ha.h"

/* One event, held by value in the per-client queues (strings cut to these sizes). */
struct ctl_event {
	uint64_t seq;
	int64_t at_unix_ms;
	char kind[16];
	char subject[80];
	char state[24];
	char reason[192];
	char detail[96];
	uint64_t duration_ms;
};

/* Appends a framed Response carrying ev; dropped: events lost before it. 0 or -ENOMEM. */
int ctl_encode_event(const struct ctl_event *ev, uint64_t dropped, struct buf *out);

/* One protected prefix; routes[] are its managed routes (borrowed for the call). */
struct ctl_redundancy {
	const char *prefix;
	const char *preferred;      /* tunnel of the lowest configured cost */
	const char *const *backups; /* the others, by cost */
	size_t nbackups;
	const char *carrier; /* "" none */
	int64_t since_unix;  /* 0 never */
	const char *last_switch_reason;
	const struct ctl_route *routes;
	size_t nroutes;
};

/* Appends a framed ShowRedundancy response. Returns 0, -ENOMEM or -EMSGSIZE. */
int ctl_encode_show_redundancy(bool active, const struct ctl_redundancy *p, size_t n,
                               struct buf *out);

#endif
