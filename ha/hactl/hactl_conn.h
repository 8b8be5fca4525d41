/* SPDX-License-Identifier: MIT */
/* hactl's side of the control socket: connect, send one framed request, read one reply. */
#ifndef TANDEM_HA_HACTL_HACTL_CONN_H
#define TANDEM_HA_HACTL_HACTL_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/buf.h"

/*
 * Connects to the daemon's socket. Returns a descriptor, or -errno: -ENOENT (no socket),
 * -ECONNREFUSED (nothing listens), -EACCES, -ENOTSOCK, -ENAMETOOLONG.
 */
int hactl_connect(const char *path);
/*
 * Sends payload framed and reads one framed reply into reply (payload only), waiting at most
 * timeout_ms overall. Returns 0, -ETIMEDOUT, -ECONNRESET (closed early), -EMSGSIZE or -errno.
 */
int hactl_roundtrip(int fd, const uint8_t *payload, size_t len, int timeout_ms, struct buf *reply);

#endif
