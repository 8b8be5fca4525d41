/* SPDX-License-Identifier: MIT */
/* Shared by the control codec files only (they alone include ctl.pb-c.h). */
#ifndef TANDEM_NODE_CTL_CTL_INT_H
#define TANDEM_NODE_CTL_CTL_INT_H

#include "ctl.pb-c.h"
#include "node/core/buf.h"

/* A Response with version 1 and error 0. */
void ctl_response_init(Tandem__Ctl__V1__Response *r);
/* Packs r and appends it framed to out. Returns 0, -ENOMEM or -EMSGSIZE. */
int ctl_put_response(Tandem__Ctl__V1__Response *r, struct buf *out);

/* protobuf-c's structs hold char *; packing only reads them */
#define CTL_STR(s) ((char *)(uintptr_t)(s))

#endif
