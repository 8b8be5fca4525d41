/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the IKEv2 message codec's files: the parse context handed to each
 * payload parser (ike_pld_*.c) by the payload-chain walk (ike_msg.c), and the builder's
 * open/close pair for generic payload headers. Not for use outside node/ike/ike_msg*.c and
 * node/ike/ike_pld_*.c.
 */
#ifndef TANDEM_NODE_IKE_IKE_MSG_INT_H
#define TANDEM_NODE_IKE_IKE_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/core/cur.h"
#include "node/ike/ike_msg.h"

/* What a payload parser knows about the payload it is given. */
struct ike_pctx {
	struct ike_msg *msg;
	struct ike_perr *err;
	uint8_t type;     /* payload type */
	bool critical;    /* the generic header's critical bit */
	uint16_t pld_len; /* the generic header's Payload Length (body + 4) */
};

/* Records an accepted oddity in pc->msg (the numbers of the first of its kind are kept). */
void ike_pnote(struct ike_pctx *pc, enum ike_note n, uint32_t a, uint32_t b);

/* Fills *pc->err (when there is one) and returns -EBADMSG, so parsers can `return` it. */
int ike_perr_set(struct ike_pctx *pc, enum ike_reject r, uint32_t a, uint32_t b);

/* Payload body parsers (RFC 7296 §3.3-§3.16): 0, or -EBADMSG with the reason set. */
int ike_pld_parse_sa(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_ke(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_id(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_cert(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_certreq(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_auth(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_nonce(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_notify(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_delete(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_vendor(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_ts(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_cp(struct ike_pctx *pc, struct cur body);
int ike_pld_parse_eap(struct ike_pctx *pc, struct cur body);

/*
 * Builder: ike_mb_open appends a generic payload header for `type` (Next Payload 0, critical
 * bit 0, length to be patched), points the previous Next Payload at it and returns its offset
 * in *off; the caller appends the body and calls ike_mb_close, which writes the length.
 * body_max is an upper bound of the body's size, checked before anything is written.
 * Both return 0 or a negative errno and latch it in mb->err.
 */
int ike_mb_open(struct ike_mb *mb, uint8_t type, size_t body_max, size_t *off);
int ike_mb_close(struct ike_mb *mb, size_t off);
/* Latches rc (when negative) in mb->err and returns it. */
int ike_mb_fail(struct ike_mb *mb, int rc);

#endif
