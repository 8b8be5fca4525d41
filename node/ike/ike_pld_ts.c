/* SPDX-License-Identifier: MIT */
/*
 * The Traffic Selector payloads TSi and TSr (RFC 7296 §3.13): IPv4 and IPv6 address ranges
 * with an IP protocol and a port range, parsed into struct ike_pld_ts and built from an
 * array of struct ike_ts. Whether the selectors are acceptable is the exchange code's call.
 */
#include <errno.h>
#include <string.h>

#include "node/ike/ike_msg.h"
#include "node/ike/ike_msg_int.h"

#define TS_PLD_HDR_LEN  4 /* Number of TSs, RESERVED */
#define TS_HDR_LEN      8 /* TS Type, IP Protocol ID, Selector Length, Start/End Port */
#define TS_OPAQUE_START 65535
#define TS_OPAQUE_END   0

/* Address length of a selector type, 0 for a type this codec does not know. */
static size_t
ts_addr_len(uint8_t type)
{
	switch (type) {
	case IKE_TS_IPV4_ADDR_RANGE:
		return 4;
	case IKE_TS_IPV6_ADDR_RANGE:
		return 16;
	default:
		return 0;
	}
}

/*
 * Traffic selector (§3.13.1):
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * |           Start Port*         |           End Port*           |
 * ~                         Starting Address*                     ~
 * ~                         Ending Address*                       ~
 */
static int
parse_selector(struct ike_pctx *pc, struct cur *c, struct ike_ts *ts)
{
	size_t left = cur_left(c), alen;
	uint16_t slen = 0;

	if (left < TS_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_TS_INCOMPLETE, (uint32_t)left, 0);
	(void)(cur_get_u8(c, &ts->type) && cur_get_u8(c, &ts->proto) && cur_get_n16(c, &slen) &&
	       cur_get_n16(c, &ts->sport) && cur_get_n16(c, &ts->eport));
	alen = ts_addr_len(ts->type);
	if (alen == 0)
		return ike_perr_set(pc, IKE_REJ_TS_TYPE, ts->type, 0);
	if (slen != TS_HDR_LEN + 2 * alen)
		return ike_perr_set(pc, IKE_REJ_TS_LENGTH, slen, 0);
	memset(ts->start, 0, sizeof(ts->start));
	memset(ts->end, 0, sizeof(ts->end));
	if (!cur_get_copy(c, ts->start, alen) || !cur_get_copy(c, ts->end, alen))
		return ike_perr_set(pc, IKE_REJ_TS_INCOMPLETE, (uint32_t)left, 0);
	/* §3.13.1: OPAQUE ports are Start Port 65535 and End Port 0; otherwise start <= end. */
	if (ts->sport > ts->eport && !(ts->sport == TS_OPAQUE_START && ts->eport == TS_OPAQUE_END))
		return ike_perr_set(pc, IKE_REJ_TS_PORT, ts->sport, ts->eport);
	return 0;
}

/*
 * §3.13: | Number of TSs |                 RESERVED                      |
 *        ~                       <Traffic Selectors>                     ~
 */
int
ike_pld_parse_ts(struct ike_pctx *pc, struct cur body)
{
	struct ike_pld_ts *pts = pc->type == IKE_PLD_TSI ? &pc->msg->tsi : &pc->msg->tsr;
	uint8_t n;
	int rc;

	if (cur_left(&body) < TS_PLD_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_TS_INCOMPLETE, (uint32_t)cur_left(&body), 0);
	(void)(cur_get_u8(&body, &n) && cur_skip(&body, 3));
	if (n == 0)
		return ike_perr_set(pc, IKE_REJ_TS_ZERO, 0, 0);
	if (n > IKE_MAX_TS)
		return ike_perr_set(pc, IKE_REJ_TS_TOO_MANY, n, IKE_MAX_TS);
	for (uint8_t i = 0; i < n; i++) {
		rc = parse_selector(pc, &body, &pts->ts[i]);
		if (rc)
			return rc;
	}
	/* Bytes after the last selector: Number of TSs and the length disagree. */
	if (cur_left(&body) != 0)
		return ike_perr_set(pc, IKE_REJ_TS_LENGTH, pc->pld_len, 0);
	pts->n = n;
	if (pc->type == IKE_PLD_TSI)
		pc->msg->has_tsi = true;
	else
		pc->msg->has_tsr = true;
	return 0;
}

int
ike_mb_ts(struct ike_mb *mb, uint8_t pld_type, const struct ike_ts *ts, uint8_t n)
{
	size_t off, total = TS_PLD_HDR_LEN, alen;
	int rc;

	if ((pld_type != IKE_PLD_TSI && pld_type != IKE_PLD_TSR) || n == 0 || n > IKE_MAX_TS)
		return ike_mb_fail(mb, -EINVAL);
	for (uint8_t i = 0; i < n; i++) {
		alen = ts_addr_len(ts[i].type);
		if (alen == 0)
			return ike_mb_fail(mb, -EINVAL);
		total += TS_HDR_LEN + 2 * alen;
	}
	rc = ike_mb_open(mb, pld_type, total, &off);
	if (rc)
		return rc;
	(void)(buf_put_u8(&mb->b, n) && buf_put_zero(&mb->b, 3));
	for (uint8_t i = 0; i < n; i++) {
		alen = ts_addr_len(ts[i].type);
		(void)(buf_put_u8(&mb->b, ts[i].type) && buf_put_u8(&mb->b, ts[i].proto) &&
		       buf_put_n16(&mb->b, (uint16_t)(TS_HDR_LEN + 2 * alen)) &&
		       buf_put_n16(&mb->b, ts[i].sport) && buf_put_n16(&mb->b, ts[i].eport) &&
		       buf_put(&mb->b, ts[i].start, alen) && buf_put(&mb->b, ts[i].end, alen));
	}
	return ike_mb_close(mb, off);
}
