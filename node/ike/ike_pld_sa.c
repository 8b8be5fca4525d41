/* SPDX-License-Identifier: MIT */
/*
 * The Security Association payload (RFC 7296 §3.3): proposals, their transforms and the
 * Key Length attribute, parsed into struct ike_pld_sa and built from it. The parser checks
 * structure and numbering; whether a proposal is acceptable is the exchange code's question.
 */
#include <errno.h>
#include <string.h>

#include "node/ike/ike_msg.h"
#include "node/ike/ike_msg_int.h"

#define PROP_HDR_LEN  8
#define XFORM_HDR_LEN 8
#define ATTR_LEN      4
#define PROP_LAST     0
#define PROP_MORE     2
#define XFORM_LAST    0
#define XFORM_MORE    3
#define IKE_SPI_LEN   8
#define CHILD_SPI_LEN 4

/* ---- parsing ------------------------------------------------------------------------------
 *
 * Transform attribute (§3.3.5); only Key Length (14) is defined, in TV form (AF = 1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * An attribute we cannot use (TLV form, which Key Length MUST NOT take; an unknown type)
 * makes only its transform unusable (§3.3.6: "it MUST reject that transform"), noted; a TLV
 * value is skipped by its length, which must fit the transform.
 */
static int
parse_attrs(struct ike_pctx *pc, struct cur c, struct ike_transform *t, uint8_t pnum)
{
	bool have_keylen = false;
	uint16_t at = 0, val = 0;

	while (cur_left(&c) > 0) {
		if (cur_left(&c) < ATTR_LEN)
			return ike_perr_set(pc, IKE_REJ_XFORM_ATTR_LENGTH, ATTR_LEN,
			                    (uint32_t)cur_left(&c));
		(void)(cur_get_n16(&c, &at) && cur_get_n16(&c, &val));
		if (!(at & IKE_ATTR_AF)) {
			/* val is the length of the value that follows */
			if (!cur_skip(&c, val))
				return ike_perr_set(pc, IKE_REJ_XFORM_ATTR_LENGTH, val,
				                    (uint32_t)cur_left(&c));
			t->unusable = true;
			ike_pnote(pc, IKE_NOTE_XFORM_ATTR_TLV, at, pnum);
			continue;
		}
		if ((at & ~IKE_ATTR_AF) != IKE_ATTR_KEY_LENGTH) {
			t->unusable = true;
			ike_pnote(pc, IKE_NOTE_XFORM_ATTR_UNKNOWN, at & ~IKE_ATTR_AF, pnum);
			continue;
		}
		/* A second Key Length would make the transform ambiguous. */
		if (have_keylen)
			return ike_perr_set(pc, IKE_REJ_XFORM_ATTR_TYPE, at & ~IKE_ATTR_AF, pnum);
		/* No cipher has a 0-bit key, and keylen 0 means "no attribute" to the caller. */
		if (val == 0)
			return ike_perr_set(pc, IKE_REJ_XFORM_KEY_LENGTH, val, pnum);
		have_keylen = true;
		t->keylen = val;
	}
	return 0;
}

/*
 * Transform substructure (§3.3.2):
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * |Transform Type |   RESERVED    |          Transform ID         |
 * ~                      Transform Attributes                     ~
 */
static int
parse_transform(struct ike_pctx *pc, struct cur *c, struct ike_transform *t, uint8_t *last,
                uint8_t pnum)
{
	size_t left = cur_left(c);
	uint8_t res = 0;
	uint16_t len = 0;
	struct cur attrs;

	if (left < XFORM_HDR_LEN)
		return ike_perr_set(pc, IKE_REJ_XFORM_INCOMPLETE, (uint32_t)left, 0);
	(void)(cur_get_u8(c, last) && cur_get_u8(c, &res) && cur_get_n16(c, &len) &&
	       cur_get_u8(c, &t->type) && cur_get_u8(c, &res) && cur_get_n16(c, &t->id));
	if (len < XFORM_HDR_LEN || !cur_get_bytes(c, len - XFORM_HDR_LEN, &attrs))
		return ike_perr_set(pc, IKE_REJ_XFORM_LENGTH, len, (uint32_t)left);
	t->keylen = 0;
	t->unusable = false;
	return parse_attrs(pc, attrs, t, pnum);
}

/* §3.3.2: Last Substruc is 3 before every transform but the last, which has 0. */
static int
check_xform_last(struct ike_pctx *pc, uint8_t last, bool is_last, uint8_t ntrans, uint8_t pnum)
{
	if (last != XFORM_LAST && last != XFORM_MORE)
		return ike_perr_set(pc, IKE_REJ_XFORM_LAST, last, pnum);
	if ((last == XFORM_LAST) != is_last)
		return ike_perr_set(pc, IKE_REJ_XFORM_COUNT, ntrans, pnum);
	return 0;
}

static int
parse_transforms(struct ike_pctx *pc, struct cur c, struct ike_proposal *p)
{
	uint8_t last = XFORM_LAST;
	int rc;

	for (uint8_t i = 0; i < p->ntrans; i++) {
		rc = parse_transform(pc, &c, &p->trans[i], &last, p->num);
		if (rc)
			return rc;
		rc = check_xform_last(pc, last, i + 1 == p->ntrans, p->ntrans, p->num);
		if (rc)
			return rc;
	}
	/* §3.3.1 "Num Transforms": the count must account for every byte of the proposal. */
	if (cur_left(&c) != 0)
		return ike_perr_set(pc, IKE_REJ_XFORM_COUNT, p->ntrans, p->num);
	return 0;
}

/*
 * §3.3.1 SPI Size: 0 for IKE in IKE_SA_INIT (the SPIs are in the header), 8 for IKE when
 * rekeying it (CREATE_CHILD_SA), 4 for ESP and AH.
 */
static bool
spi_size_ok(const struct ike_pctx *pc, const struct ike_proposal *p)
{
	if (p->proto == IKE_PROTO_IKE)
		return p->spi_len == (pc->msg->hdr.exch == IKE_EXCH_SA_INIT ? 0 : IKE_SPI_LEN);
	return p->spi_len == CHILD_SPI_LEN;
}

/*
 * §3.3.1: "The first Proposal MUST have a Proposal Num of one (1)", each next one more.
 * A response carries the one accepted proposal under the number it was offered with.
 */
static int
check_number(struct ike_pctx *pc, const struct ike_proposal *p, uint8_t idx)
{
	uint8_t want;

	if (idx > 0)
		want = (uint8_t)(pc->msg->sa.props[idx - 1].num + 1);
	else if (pc->msg->hdr.flags & IKE_FLAG_RESPONSE)
		want = p->num ? p->num : 1;
	else
		want = 1;
	if (p->num != want)
		return ike_perr_set(pc, IKE_REJ_PROPOSAL_NUMBER, p->num, want);
	return 0;
}

static int
check_proposal(struct ike_pctx *pc, const struct ike_proposal *p, uint8_t idx)
{
	int rc = check_number(pc, p, idx);

	if (rc)
		return rc;
	if (p->proto < IKE_PROTO_IKE || p->proto > IKE_PROTO_ESP)
		return ike_perr_set(pc, IKE_REJ_INVALID_PROTOCOL_ID, p->proto, p->num);
	if (!spi_size_ok(pc, p))
		return ike_perr_set(pc, IKE_REJ_INVALID_SPI_SIZE, p->spi_len, p->num);
	if (p->ntrans == 0)
		return ike_perr_set(pc, IKE_REJ_ZERO_TRANSFORM, p->num, 0);
	if (p->ntrans > IKE_MAX_TRANSFORMS)
		return ike_perr_set(pc, IKE_REJ_XFORM_COUNT, p->ntrans, p->num);
	return 0;
}

/*
 * Proposal substructure (§3.3.1):
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * ~                        SPI (variable)                         ~
 * ~                        <Transforms>                           ~
 */
static int
parse_proposal(struct ike_pctx *pc, struct cur *c, uint8_t idx, uint8_t *last)
{
	struct ike_proposal *p = &pc->msg->sa.props[idx];
	size_t left = cur_left(c);
	uint8_t res = 0;
	uint16_t len = 0;
	struct cur body;
	int rc;

	(void)(cur_get_u8(c, last) && cur_get_u8(c, &res) && cur_get_n16(c, &len) &&
	       cur_get_u8(c, &p->num) && cur_get_u8(c, &p->proto) && cur_get_u8(c, &p->spi_len) &&
	       cur_get_u8(c, &p->ntrans)); /* the caller saw PROP_HDR_LEN bytes */
	if (*last != PROP_LAST && *last != PROP_MORE)
		return ike_perr_set(pc, IKE_REJ_PROPOSAL_LAST, *last, p->num);
	if (len < PROP_HDR_LEN || !cur_get_bytes(c, len - PROP_HDR_LEN, &body))
		return ike_perr_set(pc, IKE_REJ_PROPOSAL_LENGTH, len, (uint32_t)left);
	rc = check_proposal(pc, p, idx);
	if (rc)
		return rc;
	if (!cur_get_copy(&body, p->spi, p->spi_len))
		return ike_perr_set(pc, IKE_REJ_PROPOSAL_LENGTH, len, PROP_HDR_LEN + p->spi_len);
	return parse_transforms(pc, body, p);
}

/* §3.3: an SA payload holds one or more proposals and nothing else. */
int
ike_pld_parse_sa(struct ike_pctx *pc, struct cur body)
{
	struct ike_pld_sa *sa = &pc->msg->sa;
	uint8_t last = PROP_MORE;
	int rc;

	sa->nprops = 0;
	while (last == PROP_MORE) {
		if (cur_left(&body) < PROP_HDR_LEN)
			return ike_perr_set(pc, IKE_REJ_SA_INCOMPLETE, (uint32_t)cur_left(&body),
			                    0);
		if (sa->nprops >= IKE_MAX_PROPOSALS)
			return ike_perr_set(pc, IKE_REJ_PROPOSAL_TOO_MANY, sa->nprops + 1u,
			                    IKE_MAX_PROPOSALS);
		rc = parse_proposal(pc, &body, sa->nprops, &last);
		if (rc)
			return rc;
		sa->nprops++;
	}
	/* The last proposal said it was the last: the rest of the payload is unaccounted for. */
	if (cur_left(&body) != 0)
		return ike_perr_set(pc, IKE_REJ_SA_LENGTH, pc->pld_len,
		                    pc->pld_len - (uint32_t)cur_left(&body));
	pc->msg->has_sa = true;
	return 0;
}

/* ---- building ---------------------------------------------------------------------------- */

static size_t
transform_len(const struct ike_transform *t)
{
	return XFORM_HDR_LEN + (t->keylen ? ATTR_LEN : 0);
}

static size_t
proposal_len(const struct ike_proposal *p)
{
	size_t len = PROP_HDR_LEN + p->spi_len;

	for (uint8_t i = 0; i < p->ntrans; i++)
		len += transform_len(&p->trans[i]);
	return len;
}

static void
put_transform(struct buf *b, const struct ike_transform *t, bool last)
{
	(void)(buf_put_u8(b, last ? XFORM_LAST : XFORM_MORE) && buf_put_u8(b, 0) &&
	       buf_put_n16(b, (uint16_t)transform_len(t)) && buf_put_u8(b, t->type) &&
	       buf_put_u8(b, 0) && buf_put_n16(b, t->id));
	if (t->keylen)
		(void)(buf_put_n16(b, IKE_ATTR_AF | IKE_ATTR_KEY_LENGTH) &&
		       buf_put_n16(b, t->keylen));
}

/* Writes one proposal; failures latch in b (checked by ike_mb_close). */
static void
put_proposal(struct buf *b, const struct ike_proposal *p, bool last)
{
	(void)(buf_put_u8(b, last ? PROP_LAST : PROP_MORE) && buf_put_u8(b, 0) &&
	       buf_put_n16(b, (uint16_t)proposal_len(p)) && buf_put_u8(b, p->num) &&
	       buf_put_u8(b, p->proto) && buf_put_u8(b, p->spi_len) && buf_put_u8(b, p->ntrans) &&
	       buf_put(b, p->spi, p->spi_len));
	for (uint8_t i = 0; i < p->ntrans; i++)
		put_transform(b, &p->trans[i], i + 1 == p->ntrans);
}

int
ike_mb_sa(struct ike_mb *mb, const struct ike_pld_sa *sa)
{
	size_t off, total = 0;
	int rc;

	if (sa->nprops == 0 || sa->nprops > IKE_MAX_PROPOSALS)
		return ike_mb_fail(mb, -EINVAL);
	for (uint8_t i = 0; i < sa->nprops; i++) {
		const struct ike_proposal *p = &sa->props[i];

		if (p->spi_len > IKE_MAX_SPI_LEN || p->ntrans == 0 ||
		    p->ntrans > IKE_MAX_TRANSFORMS)
			return ike_mb_fail(mb, -EINVAL);
		total += proposal_len(p);
	}
	rc = ike_mb_open(mb, IKE_PLD_SA, total, &off);
	if (rc)
		return rc;
	for (uint8_t i = 0; i < sa->nprops; i++)
		put_proposal(&mb->b, &sa->props[i], i + 1 == sa->nprops);
	return ike_mb_close(mb, off);
}
