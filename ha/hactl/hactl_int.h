/* SPDX-License-Identifier: MIT */
/* Shared by hactl's command files (which read the protobuf replies directly). */
#ifndef TANDEM_HA_HACTL_HACTL_INT_H
#define TANDEM_HA_HACTL_HACTL_INT_H

#include <stdint.h>

#include "ctl.pb-c.h"
#include "ha/hactl/hactl_cmds.h"
#include "node/core/buf.h"

#define HACTL_PROTO_VERSION 1u

typedef void (*hactl_render_fn)(const Tandem__Ctl__V1__Response *r, struct buf *out);

/*
 * Sends req, and on success prints the reply body: as JSON with --json, else through
 * render. Returns hactl's exit status.
 */
int hactl_run(const struct hactl_ctx *ctx, Tandem__Ctl__V1__Request *req, uint32_t want_body,
              hactl_render_fn render);
/* Prints why the control socket could not be reached; returns HACTL_EXIT_NO_DAEMON. */
int hactl_connect_error(const char *path, int err);
/* "1d 02:03:04" */
void hactl_fmt_duration(struct buf *b, uint64_t sec);
/* "2026-11-23 12:00:01" */
void hactl_fmt_time(struct buf *b, int64_t unix_sec);
/*
 * Parses an optional tunnel argument: nothing, "NAME" or "tunnel NAME". Returns 0 (and
 * *name = NULL for nothing), or prints a usage error and returns HACTL_EXIT_USAGE.
 */
int hactl_tunnel_arg(const char *cmd, int argc, char **argv, const char **name);

#endif
