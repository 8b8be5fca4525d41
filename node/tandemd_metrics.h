/* SPDX-License-Identifier: MIT */
/*
 * tandemd's Prometheus endpoint (tandemd_metrics.c, docs/monitoring.md): `metrics listen
 * ADDRESS:PORT` makes tandemd serve GET /metrics in the text exposition format (0.0.4) with
 * libevent's evhttp, from its event loop. Read-only: the handler only reads the state the
 * other parts keep, and a rendered page is reused for up to 500 ms, so a scrape storm costs
 * at most two renders a second. Requests are bounded (headers 8 KiB, no body, 10 s timeout).
 */
#ifndef TANDEM_NODE_TANDEMD_METRICS_H
#define TANDEM_NODE_TANDEMD_METRICS_H

#include "node/core/buf.h"

struct tandemd;

/*
 * Brings the endpoint in line with d->cfg: starts, moves or stops the listener (start and
 * every successful reload). A failure to bind is logged and leaves no endpoint; the daemon
 * runs on. Returns 0 or -errno.
 */
int tandemd_metrics_apply(struct tandemd *d);
/* Stops the endpoint. NULL-safe for a daemon that never had one. */
void tandemd_metrics_free(struct tandemd *d);
/* Renders the whole exposition into out (also what GET /metrics serves). 0 or -ENOMEM. */
int tandemd_metrics_render(struct tandemd *d, struct buf *out);

#endif
