/* SPDX-License-Identifier: MIT */
/*
 * tandemd's host for the crypto engines (tandemd_eng.c): the engine supervisor created with
 * the daemon, applied on start and on every successful reload, its events (lease grants,
 * IKE datagrams that arrived through an engine) and `hactl show engines`. Used by tandemd.c.
 */
#ifndef TANDEM_NODE_TANDEMD_ENG_H
#define TANDEM_NODE_TANDEMD_ENG_H

#include <stddef.h>

#include "node/core/buf.h"
#include "node/ctl/ctl_codec.h"

struct tandemd;

/*
 * Finds the tandem-engine binary (--engine PATH; else next to tandemd's own binary, then in
 * its build-tree place engine/tandem-engine, then $PATH) and creates d->eng. Nothing starts
 * until tandemd_eng_apply. Returns 0 or -errno (logged).
 */
int tandemd_eng_start(struct tandemd *d);
/* Brings the engines in line with d->cfg (start, reload). Failures are logged. */
void tandemd_eng_apply(struct tandemd *d);
/* Stops every engine and frees d->eng; before the event base goes. */
void tandemd_eng_free(struct tandemd *d);
/* hactl show engines [GROUP]. Appends the framed response; returns 0 or -ENOMEM. */
int tandemd_eng_ctl(struct tandemd *d, const struct ctl_request *req, struct buf *resp);

/* The binary tandemd_eng_start chose (for logs and hactl). */
const char *tandemd_eng_path(const struct tandemd *d);

#endif
