/* SPDX-License-Identifier: MIT */
/*
 * The control socket of tandemd: a Unix stream socket (mode 0600) served from the libevent
 * loop. Each framed request is decoded and handed to the owner's handler, which appends a
 * framed response.
 */
#ifndef TANDEM_NODE_CTL_CTL_SERVER_H
#define TANDEM_NODE_CTL_CTL_SERVER_H

#include "node/core/buf.h"
#include "node/ctl/ctl_codec.h"
#include "node/ctl/ctl_codec_mon.h"

struct event_base;
struct ctl_server;

/*
 * Called from the event loop for each decoded request; appends exactly one framed response
 * to resp (with the ctl_encode_* functions). A non-zero return makes the server answer with
 * an error response of that (negative errno) value instead.
 */
typedef int (*ctl_handler_fn)(void *arg, const struct ctl_request *req, struct buf *resp);

/*
 * Creates the socket at path and starts serving. A stale socket (no one listening) is
 * replaced; a live one makes this fail with -EADDRINUSE. A missing parent directory is
 * created with mode 0755. Returns 0, -ENAMETOOLONG, -EADDRINUSE or -errno.
 */
int ctl_server_new(struct event_base *base, const char *path, ctl_handler_fn fn, void *arg,
                   struct ctl_server **out);
/*
 * A MonitorRequest turns its connection into a subscription (the server answers it itself);
 * ctl_server_publish queues ev for every subscriber (drop-oldest when a client's queue is
 * full) and writes what the sockets take now. Never blocks. NULL-safe.
 */
void ctl_server_publish(struct ctl_server *s, const struct ctl_event *ev);
/* Subscribers now, and events they lost to full queues since start. NULL-safe. */
void ctl_server_mon_stats(const struct ctl_server *s, unsigned *subscribers, uint64_t *dropped);

/* Closes every client and the listener, and removes the socket file. NULL-safe. */
void ctl_server_free(struct ctl_server *s);

#endif
