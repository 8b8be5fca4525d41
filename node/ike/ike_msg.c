/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 message framing (RFC 7296 §3.1, §3.2, §3.14): the fixed header, the walk along the
 * Next Payload chain that hands each payload body to its parser (ike_pld_*.c), and the
 * builder's header and generic-payload-header bookkeeping. Structural checks only; what an
 * exchange requires is checked by the exchange code.
 */
#include "ike_msg.h"

#include <errno.h>
#include <string.h>

#include "node/ike/ike_msg_int.h"

/* ---- header (RFC 7296 §3.1) ---------------------------------------------------------------
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

static int
hdr_fail(struct ike_perr *err, enum ike_reject r, uint32_t a, uint32_t b)
{
	if (err) {
		err->reason = r;
		err->pld_type = 0;
		err->a = a;
		err->b = b;
	}
	return -EBADMSG;
}

static bool
hdr_read(struct cur *c, struct ike_hdr *hdr)
{
	uint8_t ver;

	if (!cur_get_n64(c, &hdr->spi_i) || !cur_get_n64(c, &hdr->spi_r) ||
	    !cur_get_u8(c, &hdr->next) || !cur_get_u8(c, &ver) || !cur_get_u8(c, &hdr->exch) ||
	    !cur_get_u8(c, &hdr->flags) || !cur_get_n32(c, &hdr->msgid) ||
	    !cur_get_n32(c, &hdr->len))
		return false;
	hdr->major = ver >> 4;
	hdr->minor = ver & 0x0f;
	return true;
}

int
ike_hdr_parse(const uint8_t *p, size_t len, struct ike_hdr *hdr, struct ike_perr *err)
{
	struct cur c = cur_make(p, len);

	memset(hdr, 0, sizeof(*hdr));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len < IKE_HDR_LEN || !hdr_read(&c, hdr))
		return hdr_fail(err, IKE_REJ_HDR_INCOMPLETE,
		                (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len), 0);
	/*
	 * §3.1/§2.5: a major version other than 2 is rejected (INVALID_MAJOR_VERSION for a
	 * higher one); a higher minor version MUST be accepted. The version decides the format,
	 * so it is checked before anything else is believed.
	 */
	if (hdr->major != IKE_MAJOR_VERSION)
		return hdr_fail(err, IKE_REJ_HDR_MAJOR_VERSION, hdr->major, 0);
	/*
	 * §3.1 Length is the whole message. Over UDP the datagram is the message: more bytes
	 * than Length would be covered by neither the ICV nor AUTH, fewer mean truncation.
	 */
	if (hdr->len != len || hdr->len < IKE_HDR_LEN || hdr->len > IKE_MSG_MAX_LEN)
		return hdr_fail(err, IKE_REJ_HDR_TOTAL_LENGTH,
		                (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len), hdr->len);
	/* §3.1: the initiator's SPI "MUST NOT be zero" (§2.6). */
	if (hdr->spi_i == 0)
		return hdr_fail(err, IKE_REJ_HDR_ZERO_SPI_I, 0, 0);
	if (hdr->exch < IKE_EXCH_SA_INIT || hdr->exch > IKE_EXCH_INFORMATIONAL)
		return hdr_fail(err, IKE_REJ_HDR_EXCHANGE, hdr->exch, 0);
	return 0;
}

/* ---- payload chain (RFC 7296 §3.2) --------------------------------------------------------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

int
ike_perr_set(struct ike_pctx *pc, enum ike_reject r, uint32_t a, uint32_t b)
{
	if (pc->err) {
		pc->err->reason = r;
		pc->err->pld_type = pc->type;
		pc->err->a = a;
		pc->err->b = b;
	}
	return -EBADMSG;
}

void
ike_pnote(struct ike_pctx *pc, enum ike_note n, uint32_t a, uint32_t b)
{
	struct ike_msg *msg = pc->msg;

	if ((unsigned)n >= IKE_NOTE_COUNT || (msg->notes & (1u << n)))
		return;
	msg->notes |= (uint8_t)(1u << n);
	msg->note_a[n] = a;
	msg->note_b[n] = b;
}

typedef int (*ike_pld_parse_fn)(struct ike_pctx *pc, struct cur body);

/* What the codec understands, indexed by payload type (SKF is handled by the walk). */
struct pld_desc {
	ike_pld_parse_fn parse; /* NULL: SK and SKF, handled by the walk */
	bool once;              /* may appear once per message (outer and inner together) */
};

static const struct pld_desc pld_descs[IKE_PLD_EAP + 1] = {
        [IKE_PLD_SA] = {ike_pld_parse_sa, true},
        [IKE_PLD_KE] = {ike_pld_parse_ke, true},
        [IKE_PLD_IDI] = {ike_pld_parse_id, true},
        [IKE_PLD_IDR] = {ike_pld_parse_id, true},
        [IKE_PLD_CERT] = {ike_pld_parse_cert, false},
        [IKE_PLD_CERTREQ] = {ike_pld_parse_certreq, false},
        [IKE_PLD_AUTH] = {ike_pld_parse_auth, true},
        [IKE_PLD_NONCE] = {ike_pld_parse_nonce, true},
        [IKE_PLD_NOTIFY] = {ike_pld_parse_notify, false},
        [IKE_PLD_DELETE] = {ike_pld_parse_delete, false},
        [IKE_PLD_VENDOR] = {ike_pld_parse_vendor, false},
        [IKE_PLD_TSI] = {ike_pld_parse_ts, true},
        [IKE_PLD_TSR] = {ike_pld_parse_ts, true},
        [IKE_PLD_SK] = {NULL, true},
        [IKE_PLD_CP] = {ike_pld_parse_cp, true},
        [IKE_PLD_EAP] = {ike_pld_parse_eap, true},
};

static bool
pld_known(uint8_t type)
{
	return (type >= IKE_PLD_SA && type <= IKE_PLD_EAP) || type == IKE_PLD_SKF;
}

static bool
pld_seen(const struct ike_msg *msg, uint8_t type)
{
	for (size_t i = 0; i < msg->npld; i++)
		if (msg->pld[i].type == type)
			return true;
	return false;
}

/* One step of a walk: the payload chain's cursor and what the walk must remember. */
struct walk {
	struct ike_pctx pc;
	struct cur c; /* what is left of the chain */
	size_t total; /* bytes of the whole message (outer walk) for aad_len */
	bool inner;   /* walking the decrypted SK contents */
	uint8_t next; /* Next Payload of the payload just read */
	struct cur body;
};

/* Reads one generic payload header and cuts out the body; pc.type is the payload's type. */
static int
walk_header(struct walk *w)
{
	struct ike_pctx *pc = &w->pc;
	bool known = pld_known(pc->type);
	uint8_t flags = 0;
	uint16_t len = 0;
	size_t left = cur_left(&w->c);

	if (left < IKE_GENERIC_HDR_LEN)
		return ike_perr_set(pc, known ? IKE_REJ_GENERIC_LENGTH : IKE_REJ_DEFAULT_INCOMPLETE,
		                    (uint32_t)left, 0);
	(void)(cur_get_u8(&w->c, &w->next) && cur_get_u8(&w->c, &flags) &&
	       cur_get_n16(&w->c, &len));
	/* §3.2: Payload Length includes the 4-octet generic header and must fit the message. */
	if (len < IKE_GENERIC_HDR_LEN || !cur_get_bytes(&w->c, len - IKE_GENERIC_HDR_LEN, &w->body))
		return ike_perr_set(pc, known ? IKE_REJ_GENERIC_LENGTH : IKE_REJ_DEFAULT_LENGTH,
		                    len, 0);
	/* §3.2: the 7 RESERVED bits MUST be ignored on receipt. */
	pc->critical = (flags & IKE_PLD_CRITICAL) != 0;
	pc->pld_len = len;
	return 0;
}

/* §3.14: the SK payload is the last one and its Next Payload names the first inner one. */
static int
walk_sk(struct walk *w)
{
	struct ike_pctx *pc = &w->pc;
	struct ike_msg *msg = pc->msg;

	if (w->inner)
		return ike_perr_set(pc, IKE_REJ_SK_NESTED, 0, 0);
	if (cur_left(&w->c) != 0)
		return ike_perr_set(pc, IKE_REJ_SK_NOT_LAST, (uint32_t)cur_left(&w->c), 0);
	/* RFC 7383 §2.5: the Fragment Number and Total Fragments, then IV etc. */
	if (cur_left(&w->body) < (pc->type == IKE_PLD_SKF ? 5u : 1u))
		return ike_perr_set(pc, IKE_REJ_SK_INCOMPLETE, (uint32_t)cur_left(&w->body), 0);
	if (pc->type == IKE_PLD_SK) {
		msg->has_sk = true;
		msg->sk.inner_next = w->next;
		msg->sk.aad_len = w->total - cur_left(&w->body);
		msg->sk.body = w->body;
	}
	return 0;
}

static int
walk_payload(struct walk *w)
{
	struct ike_pctx *pc = &w->pc;
	struct ike_msg *msg = pc->msg;
	bool known = pld_known(pc->type);
	int rc;

	rc = walk_header(w);
	if (rc)
		return rc;
	/*
	 * §3.2: an unknown payload is skipped unless its critical bit says reject the message;
	 * "the critical bit applies to the current payload" only when the type is not understood
	 * (§2.5), so on a known one it is ignored, and noted.
	 */
	if (!known && pc->critical)
		return ike_perr_set(pc, IKE_REJ_UNSUPPORTED_CRITICAL, pc->type, 0);
	if (known && pc->critical)
		ike_pnote(pc, IKE_NOTE_CRITICAL_KNOWN, pc->type, 0);
	if (msg->npld >= IKE_MAX_PAYLOADS)
		return ike_perr_set(pc, IKE_REJ_TOO_MANY_PAYLOADS, pc->type, IKE_MAX_PAYLOADS);
	if (known && pc->type != IKE_PLD_SKF && pld_descs[pc->type].once && pld_seen(msg, pc->type))
		return ike_perr_set(pc, IKE_REJ_DUPLICATE_PAYLOAD, pc->type, 0);
	if (pc->type == IKE_PLD_SK || pc->type == IKE_PLD_SKF)
		rc = walk_sk(w);
	else if (known)
		rc = pld_descs[pc->type].parse(pc, w->body);
	if (rc)
		return rc;
	msg->pld[msg->npld].type = pc->type;
	msg->pld[msg->npld].critical = pc->critical;
	msg->pld[msg->npld].body = w->body;
	msg->npld++;
	return 0;
}

static int
walk_chain(struct walk *w, uint8_t first)
{
	int rc;

	w->next = first;
	while (w->next != IKE_PLD_NONE) {
		w->pc.type = w->next;
		w->pc.critical = false;
		w->pc.pld_len = 0;
		rc = walk_payload(w);
		if (rc)
			return rc;
		if (w->pc.type == IKE_PLD_SK || w->pc.type == IKE_PLD_SKF)
			return 0; /* its Next Payload is the first inner payload */
	}
	/* The chain ended: anything before Length's end is outside every payload. */
	w->pc.type = IKE_PLD_NONE;
	if (cur_left(&w->c) != 0)
		return ike_perr_set(&w->pc, IKE_REJ_HDR_NEXT_PAYLOAD, (uint32_t)cur_left(&w->c), 0);
	return 0;
}

int
ike_msg_parse(const uint8_t *p, size_t len, struct ike_msg *msg, struct ike_perr *err)
{
	struct walk w;
	int rc;

	memset(msg, 0, sizeof(*msg));
	rc = ike_hdr_parse(p, len, &msg->hdr, err);
	if (rc)
		return rc;
	memset(&w, 0, sizeof(w));
	w.pc.msg = msg;
	w.pc.err = err;
	w.total = msg->hdr.len;
	w.c = cur_make(p, msg->hdr.len);
	(void)cur_skip(&w.c, IKE_HDR_LEN); /* ike_hdr_parse checked len >= IKE_HDR_LEN */
	return walk_chain(&w, msg->hdr.next);
}

int
ike_msg_parse_inner(struct ike_msg *msg, uint8_t first, const uint8_t *p, size_t len,
                    struct ike_perr *err)
{
	struct walk w;

	if (err)
		memset(err, 0, sizeof(*err));
	memset(&w, 0, sizeof(w));
	w.pc.msg = msg;
	w.pc.err = err;
	w.inner = true;
	w.c = cur_make(p, len);
	return walk_chain(&w, first);
}

const struct ike_pld_notify *
ike_msg_notify(const struct ike_msg *msg, uint16_t type)
{
	for (size_t i = 0; i < msg->nnotify && i < IKE_MAX_NOTIFIES; i++)
		if (msg->notify[i].type == type)
			return &msg->notify[i];
	return NULL;
}

/* ---- builder ---------------------------------------------------------------------------- */

#define MB_NO_PREV SIZE_MAX /* a chain's first payload: no Next Payload octet to patch */

void
ike_mb_init(struct ike_mb *mb, const struct ike_hdr *hdr)
{
	uint8_t major = hdr->major ? hdr->major : IKE_MAJOR_VERSION;

	memset(mb, 0, sizeof(*mb));
	buf_init(&mb->b, false);
	mb->start = mb->b.b_len;
	(void)(buf_put_n64(&mb->b, hdr->spi_i) && buf_put_n64(&mb->b, hdr->spi_r) &&
	       buf_put_u8(&mb->b, IKE_PLD_NONE) &&
	       buf_put_u8(&mb->b, (uint8_t)(major << 4 | (hdr->minor & 0x0f))) &&
	       buf_put_u8(&mb->b, hdr->exch) && buf_put_u8(&mb->b, hdr->flags) &&
	       buf_put_n32(&mb->b, hdr->msgid) && buf_put_n32(&mb->b, 0)); /* latched: finish */
	mb->next_off = mb->start + 16;
}

void
ike_mb_init_chain(struct ike_mb *mb)
{
	memset(mb, 0, sizeof(*mb));
	buf_init(&mb->b, false);
	mb->chain = true;
	mb->next_off = MB_NO_PREV;
}

uint8_t
ike_mb_first(const struct ike_mb *mb)
{
	return mb->first;
}

void
ike_mb_fini(struct ike_mb *mb)
{
	buf_fini(&mb->b);
}

int
ike_mb_fail(struct ike_mb *mb, int rc)
{
	if (rc < 0 && mb->err == 0)
		mb->err = rc;
	return rc;
}

int
ike_mb_open(struct ike_mb *mb, uint8_t type, size_t body_max, size_t *off)
{
	if (mb->err)
		return mb->err;
	if (mb->closed)
		return ike_mb_fail(mb, -EINVAL);
	if (body_max > UINT16_MAX - IKE_GENERIC_HDR_LEN)
		return ike_mb_fail(mb, -EMSGSIZE);
	*off = mb->b.b_len;
	if (!buf_put_u8(&mb->b, IKE_PLD_NONE) || !buf_put_u8(&mb->b, 0) || !buf_put_n16(&mb->b, 0))
		return ike_mb_fail(mb, -ENOMEM);
	if (mb->next_off == MB_NO_PREV)
		mb->first = type;
	else
		mb->b.b_data[mb->next_off] = type;
	mb->next_off = *off;
	return 0;
}

int
ike_mb_close(struct ike_mb *mb, size_t off)
{
	size_t len;

	if (!buf_ok(&mb->b))
		return ike_mb_fail(mb, -ENOMEM);
	len = mb->b.b_len - off;
	if (len > UINT16_MAX)
		return ike_mb_fail(mb, -EMSGSIZE);
	(void)buf_set_n16(&mb->b, off + 2, (uint16_t)len); /* off + 4 <= b_len */
	return 0;
}

int
ike_mb_payload(struct ike_mb *mb, uint8_t type, const uint8_t *body, size_t len)
{
	size_t off;
	int rc;

	if (type == IKE_PLD_SK || type == IKE_PLD_SKF)
		return ike_mb_fail(mb, -EINVAL); /* ike_mb_sk reserves and reports the body */
	rc = ike_mb_open(mb, type, len, &off);
	if (rc)
		return rc;
	if (!buf_put(&mb->b, body, len))
		return ike_mb_fail(mb, -ENOMEM);
	return ike_mb_close(mb, off);
}

int
ike_mb_sk(struct ike_mb *mb, uint8_t inner_first, size_t body_len, size_t *aad_len,
          size_t *body_off)
{
	size_t off;
	int rc;

	if (mb->chain)
		return ike_mb_fail(mb, -EINVAL); /* §3.14: SK is never nested */
	rc = ike_mb_open(mb, IKE_PLD_SK, body_len, &off);
	if (rc)
		return rc;
	mb->b.b_data[off] = inner_first;
	if (!buf_put_zero(&mb->b, body_len))
		return ike_mb_fail(mb, -ENOMEM);
	rc = ike_mb_close(mb, off);
	if (rc)
		return rc;
	mb->closed = true;
	*aad_len = off + IKE_GENERIC_HDR_LEN - mb->start;
	*body_off = off + IKE_GENERIC_HDR_LEN;
	return 0;
}

int
ike_mb_finish(struct ike_mb *mb)
{
	size_t total;

	if (mb->err)
		return mb->err;
	if (!buf_ok(&mb->b))
		return ike_mb_fail(mb, -ENOMEM);
	total = mb->b.b_len - mb->start;
	if (total > IKE_MSG_MAX_LEN)
		return ike_mb_fail(mb, -EMSGSIZE);
	if (!mb->chain)
		(void)buf_set_n32(&mb->b, mb->start + 24, (uint32_t)total); /* header is there */
	return 0;
}
